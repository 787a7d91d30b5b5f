//! Differential runs: generated inputs through the crates and through an
//! independent implementation of the same standard, byte for byte.
//!
//! - `cargo xtask php-json [--documents N] [--seed S]`: PHP's `json_encode`
//!   (Debian's `php-cli`) against Paykassma's PHP-form encoder, and
//!   postbacks PHP signs against the crate's verifier.
//! - `cargo xtask c14n [--documents N] [--seed S]`: lxml's Canonical XML
//!   (inclusive and exclusive, with and without comments) against the Allpay
//!   crate's.
//! - `cargo xtask dsig [--envelopes N] [--seed S]`: envelopes the crate signs
//!   verified by `xmlsec1`, envelopes `xmlsec1` signs verified by the crate,
//!   and a one-byte change refused by both.
//!
//! Each prints what it compared and fails on the first difference, printing
//! the input that shows it (and its seed, to run it again).

pub(crate) mod c14n;
pub(crate) mod dsig;
pub(crate) mod php;

use std::path::Path;
use std::process::Command;

pub(crate) type Result = std::result::Result<(), String>;

/// `--NAME N` and `--seed S` from `args`, with defaults.
pub(crate) fn options(
    args: &[String],
    count_flag: &str,
    default_count: usize,
) -> std::result::Result<(usize, u64), String> {
    let mut count = default_count;
    let mut seed = 1;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = args.next().ok_or_else(|| format!("{arg} takes a value"));
        match arg.as_str() {
            flag if flag == count_flag => {
                count = value?
                    .parse()
                    .map_err(|_| format!("{count_flag} takes a whole number"))?;
            }
            "--seed" => {
                seed = value?
                    .parse()
                    .map_err(|_| "--seed takes a whole number".to_owned())?;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok((count, seed))
}

/// Generated text: the characters that escaping, encoding and
/// canonicalization treat differently.
pub(crate) struct Chars;

impl Chars {
    /// One character of the classes that matter to JSON and XML writers.
    pub(crate) fn any(rng: &mut fastrand::Rng) -> char {
        const SPECIAL: &[char] = &[
            '"', '\\', '/', '\'', '&', '<', '>', ' ', '\t', '\n', '\r', '\u{7f}', '\u{80}',
            '\u{a0}', '\u{e9}', '\u{2028}', '\u{2029}', '\u{feff}', '\u{fffd}', '\u{ffff}',
        ];
        match rng.u8(0..10) {
            0..=3 => rng.alphanumeric(),
            4 => rng.choice(SPECIAL.iter().copied()).unwrap_or('x'),
            5 => char::from_u32(rng.u32(0..0x20)).unwrap_or('x'),
            // Cyrillic (Allpay), Myanmar (Paykassma), Arabic (Jawali).
            6 => char::from_u32(rng.u32(0x400..0x4ff)).unwrap_or('Ж'),
            7 => char::from_u32(rng.u32(0x1000..0x109f)).unwrap_or('ဝ'),
            8 => char::from_u32(rng.u32(0x600..0x6ff)).unwrap_or('ج'),
            // Astral: emoji and the last planes.
            _ => rng
                .choice([
                    '\u{1f600}',
                    '\u{10000}',
                    '\u{1d11e}',
                    '\u{10ffff}',
                    '\u{20bb7}',
                ])
                .unwrap_or('\u{1f600}'),
        }
    }
}

/// Runs `command`, feeding `input`; its standard output.
pub(crate) fn pipe(command: &mut Command, input: &[u8]) -> std::result::Result<Vec<u8>, String> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("{:?}: {e}", command.get_program()))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    writer
        .join()
        .map_err(|_| "writer panicked".to_owned())?
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!(
            "{:?} failed ({})",
            command.get_program(),
            output.status
        ));
    }
    Ok(output.stdout)
}

/// Installs a Debian package when its command is missing (CI runs as root).
pub(crate) fn ensure_command(command: &str, package: &str) -> Result {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {command}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if found {
        return Ok(());
    }
    println!("{command} is missing: installing Debian's {package}");
    let status = Command::new("sh")
        .args([
            "-c",
            &format!("apt-get update -qq && apt-get install -y -qq {package} >/dev/null"),
        ])
        .status()
        .map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command} is needed (`apt-get install {package}`), and installing it failed"
        ))
    }
}

/// Writes `text` into a scratch file under `target/` for a failure report.
pub(crate) fn keep(root: &Path, name: &str, text: &[u8]) -> String {
    let dir = root.join("target/differential");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name);
    let _ = std::fs::write(&path, text);
    path.display().to_string()
}
