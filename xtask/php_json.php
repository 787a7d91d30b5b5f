<?php
// The PHP side of `cargo xtask php-json`: one task a line on stdin, one
// answer a line on stdout, base64 both ways.
//
//   D <document>                  -> json_encode(json_decode(document)), or !<error code>
//   F <document> <access> <private> -> a flat postback signed as Paykassma signs it,
//                                     compact, then a space, then pretty-printed
//   B <document> <access> <private> -> the same in the batch layout
//
// Flags as Paykassma's: JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE, and
// PHP's default serialize_precision (-1).
const FLAGS = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE;

function sign($data, $access, $private) {
    return sha1($access . $private . md5(json_encode($data, FLAGS)));
}

while (($line = fgets(STDIN)) !== false) {
    $parts = explode(' ', rtrim($line, "\n"));
    $kind = $parts[0];
    $document = base64_decode($parts[1]);
    $value = json_decode($document, false, 512);
    if (json_last_error() !== JSON_ERROR_NONE) {
        echo '!', json_last_error(), "\n";
        continue;
    }
    if ($kind === 'D') {
        $out = json_encode($value, FLAGS);
        echo $out === false ? '!' . json_last_error() : base64_encode($out), "\n";
        continue;
    }
    $access = base64_decode($parts[2]);
    $private = base64_decode($parts[3]);
    if ($kind === 'F') {
        $value->signature = sign($value, $access, $private);
        $body = $value;
    } else {
        $transactions = [$value];
        $body = ['access_key' => $access, 'signature' => sign($transactions, $access, $private), 'transactions' => $transactions];
    }
    $compact = json_encode($body, FLAGS);
    if ($compact === false) {
        // A value PHP cannot write (a number read as infinity): no postback.
        echo '!', json_last_error(), "\n";
        continue;
    }
    echo base64_encode($compact), ' ',
        base64_encode(json_encode($body, FLAGS | JSON_PRETTY_PRINT)), "\n";
}
