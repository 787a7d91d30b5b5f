//! Postback verification: both layouts, tampering of any kind, and a
//! signature made by an independent implementation of the documented formula.

use paykassma::postback::{
    PostbackError, PostbackKeys, PostbackLayout, PostbackSigner, PostbackStatus, PostbackVerifier,
};
use payments_core::{Currency, Money, SecretString};
use sha1::Digest;

const ACCESS: &str = "acc-key-01";
const PRIVATE: &str = "priv/key+02";

fn keys() -> PostbackKeys {
    PostbackKeys::new(SecretString::from(ACCESS), SecretString::from(PRIVATE))
}

fn verifier() -> PostbackVerifier {
    PostbackVerifier::new(keys())
}

/// The documented formula, written here from scratch:
/// sha1(access_key . private_key . md5(json)), lowercase hex.
fn independent_signature(access: &str, private: &str, json: &str) -> String {
    let md5 = hex::encode(md5::Md5::digest(json.as_bytes()));
    hex::encode(sha1::Sha1::digest(
        format!("{access}{private}{md5}").as_bytes(),
    ))
}

/// Signed data with `/`, Burmese text, a nested object and decimals, as PHP
/// writes it with JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE.
const FLAT_DATA: &str = r#"{"transaction_id":98765,"wallet_type":"wavepay","direction":"ingoing","status":"success","amount":500.50,"currency_code":"MMK","label":"user/55 ဝေ့ပေး","custom_transaction_id":"order-1","created_at":"2026-11-23 10:15:00","activated_at":"2026-11-23 10:16:30","additional_data":{"payer":"ကိုကို","url":"https://shop.example/return?x=1"}}"#;

fn flat_body(signature: &str) -> String {
    format!(
        r#"{},"signature":"{signature}"}}"#,
        FLAT_DATA.strip_suffix('}').unwrap()
    )
}

const BATCH_DATA: &str = r#"[{"id":1,"wallet_type":"wavepay","status":"success","amount":"6000","currency_code":"MMK","custom_transaction_id":"a/1","label":"ဦး","created_at":"2026-11-23T10:00:00+06:30"},{"id":2,"wallet_type":"kbzpay_manual","status":"rejected","amount":1.25,"currency_code":"XYZ","custom_transaction_id":"a-2"}]"#;

fn batch_body(signature: &str) -> String {
    format!(r#"{{"access_key":"{ACCESS}","signature":"{signature}","transactions":{BATCH_DATA}}}"#)
}

#[test]
fn a_flat_postback_signed_independently_verifies_and_reads_typed_fields() {
    let body = flat_body(&independent_signature(ACCESS, PRIVATE, FLAT_DATA));
    let postback = verifier().verify(body.as_bytes()).unwrap();
    assert_eq!(postback.layout, PostbackLayout::Flat);
    let [tx] = postback.transactions.as_slice() else {
        panic!("one transaction")
    };
    assert_eq!(tx.status, PostbackStatus::Success);
    assert_eq!(
        tx.amount,
        Some(Money::parse("500.50", Currency::MMK).unwrap())
    );
    assert_eq!(tx.custom_transaction_id.as_deref(), Some("order-1"));
    assert_eq!(tx.transaction_id.as_deref(), Some("98765"));
    assert_eq!(tx.label.as_deref(), Some("user/55 ဝေ့ပေး"));
    assert_eq!(tx.wallet_type.as_ref().map(|w| w.as_str()), Some("wavepay"));
    assert_eq!(tx.direction.as_deref(), Some("ingoing"));
    let created = tx.created_at.unwrap();
    assert_eq!(
        created.offset().whole_hours(),
        8,
        "times without an offset are +08:00"
    );
    assert_eq!(created.to_string(), "2026-11-23 10:15:00.0 +08:00:00");
    assert_eq!(tx.fields["additional_data"]["payer"], "ကိုကို");
    assert!(!tx.fields.contains_key("signature"));
}

#[test]
fn a_batch_postback_signed_independently_verifies_every_transaction() {
    let body = batch_body(&independent_signature(ACCESS, PRIVATE, BATCH_DATA));
    let postback = verifier().verify(body.as_bytes()).unwrap();
    assert_eq!(postback.layout, PostbackLayout::Batch);
    assert_eq!(postback.transactions.len(), 2);
    let (first, second) = (&postback.transactions[0], &postback.transactions[1]);
    assert_eq!(
        first.amount,
        Some(Money::parse("6000", Currency::MMK).unwrap())
    );
    assert_eq!(
        first.created_at.unwrap().offset().whole_minutes(),
        390,
        "an explicit offset is kept"
    );
    assert_eq!(second.status, PostbackStatus::Rejected);
    assert_eq!(second.amount, None, "an unknown currency has no Money");
    assert_eq!(
        second.amount_value.map(|d| d.to_string()).as_deref(),
        Some("1.25")
    );
    assert_eq!(second.currency_code.as_deref(), Some("XYZ"));
}

#[test]
fn a_one_character_change_anywhere_is_rejected() {
    for (name, body) in [
        (
            "flat",
            flat_body(&independent_signature(ACCESS, PRIVATE, FLAT_DATA)),
        ),
        (
            "batch",
            batch_body(&independent_signature(ACCESS, PRIVATE, BATCH_DATA)),
        ),
    ] {
        assert!(verifier().verify(body.as_bytes()).is_ok());
        let chars: Vec<char> = body.chars().collect();
        for i in 0..chars.len() {
            let mut changed = chars.clone();
            changed[i] = match chars[i] {
                'a' => 'b',
                '0' => '1',
                '"' => '\'',
                c if c.is_ascii_digit() => '0',
                _ => 'a',
            };
            let tampered: String = changed.into_iter().collect();
            assert!(
                verifier().verify(tampered.as_bytes()).is_err(),
                "{name}: change at {i} accepted: {tampered}"
            );
        }
    }
}

#[test]
fn a_wrong_key_is_rejected() {
    let body = flat_body(&independent_signature(
        ACCESS,
        "another-private-key",
        FLAT_DATA,
    ));
    assert_eq!(
        verifier().verify(body.as_bytes()),
        Err(PostbackError::BadSignature)
    );
    let body = flat_body(&independent_signature(ACCESS, PRIVATE, FLAT_DATA));
    let other = PostbackVerifier::new(PostbackKeys::new(
        SecretString::from("acc-key-99"),
        SecretString::from(PRIVATE),
    ));
    assert_eq!(
        other.verify(body.as_bytes()),
        Err(PostbackError::BadSignature)
    );
    // The batch layout's access_key must be ours, even with a valid signature.
    let forged = batch_body(&independent_signature(ACCESS, PRIVATE, BATCH_DATA))
        .replace(ACCESS, "someone-else");
    assert_eq!(
        verifier().verify(forged.as_bytes()),
        Err(PostbackError::BadSignature)
    );
}

#[test]
fn a_missing_or_empty_signature_is_rejected() {
    assert_eq!(
        verifier().verify(FLAT_DATA.as_bytes()),
        Err(PostbackError::MissingSignature)
    );
    assert_eq!(
        verifier().verify(flat_body("").as_bytes()),
        Err(PostbackError::MissingSignature)
    );
    let no_sig = format!(r#"{{"access_key":"{ACCESS}","transactions":{BATCH_DATA}}}"#);
    assert_eq!(
        verifier().verify(no_sig.as_bytes()),
        Err(PostbackError::MissingSignature)
    );
    assert_eq!(PostbackError::MissingSignature.http_status(), 401);
}

#[test]
fn a_signature_over_pretty_printed_json_is_rejected() {
    let pretty = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(FLAT_DATA).unwrap(),
    )
    .unwrap();
    let body = flat_body(&independent_signature(ACCESS, PRIVATE, &pretty));
    assert_eq!(
        verifier().verify(body.as_bytes()),
        Err(PostbackError::BadSignature)
    );
    let pretty_batch = serde_json::to_string_pretty(
        &serde_json::from_str::<serde_json::Value>(BATCH_DATA).unwrap(),
    )
    .unwrap();
    let body = batch_body(&independent_signature(ACCESS, PRIVATE, &pretty_batch));
    assert_eq!(
        verifier().verify(body.as_bytes()),
        Err(PostbackError::BadSignature)
    );
}

#[test]
fn a_body_re_indented_or_re_escaped_in_transit_still_verifies() {
    let signature = independent_signature(ACCESS, PRIVATE, BATCH_DATA);
    // Same data, pretty-printed, with `/` and non-ASCII escaped, as another
    // JSON library would write it; numbers kept as written.
    let transit = format!(
        "{{\n  \"access_key\": \"{ACCESS}\",\n  \"signature\": \"{signature}\",\n  \"transactions\": [\n    {}\n  ]\n}}",
        &BATCH_DATA[1..BATCH_DATA.len() - 1]
            .replace('/', "\\/")
            .replace("ဦး", "\\u1026\\u1038")
            .replace(",", ",\n    ")
    );
    assert!(transit.contains("\\/") && transit.contains("\\u1026"));
    let postback = verifier().verify(transit.as_bytes()).unwrap();
    assert_eq!(
        postback.transactions[0].custom_transaction_id.as_deref(),
        Some("a/1")
    );
    assert_eq!(postback.transactions[0].label.as_deref(), Some("ဦး"));
}

#[test]
fn an_uppercase_signature_is_not_the_same_signature() {
    let body = flat_body(&independent_signature(ACCESS, PRIVATE, FLAT_DATA).to_uppercase());
    assert_eq!(
        verifier().verify(body.as_bytes()),
        Err(PostbackError::BadSignature)
    );
}

#[test]
fn malformed_bodies_are_rejected_as_malformed() {
    for body in [
        "",
        "not json",
        "[1,2]",
        r#"{"signature": 5}"#,
        "{\"signature\":\"x\"",
        "\u{feff}{}",
    ] {
        let result = verifier().verify(body.as_bytes());
        assert!(result.is_err(), "{body:?}");
    }
    assert!(matches!(
        verifier().verify(b"\xff\xfe"),
        Err(PostbackError::Malformed(_))
    ));
    let sig = independent_signature(ACCESS, PRIVATE, r#"{"amount":5}"#);
    let no_status = format!(r#"{{"amount":5,"signature":"{sig}"}}"#);
    assert!(
        matches!(verifier().verify(no_status.as_bytes()), Err(PostbackError::Malformed(m)) if m.contains("no status"))
    );
    assert_eq!(PostbackError::Malformed(String::new()).http_status(), 400);
}

#[test]
fn the_signer_produces_what_the_independent_formula_expects() {
    let signer = PostbackSigner::new(keys());
    let body = signer.sign_flat_text(FLAT_DATA).unwrap();
    assert_eq!(
        body,
        flat_body(&independent_signature(ACCESS, PRIVATE, FLAT_DATA))
    );
    let body = signer.sign_batch_text(BATCH_DATA).unwrap();
    assert_eq!(
        body,
        batch_body(&independent_signature(ACCESS, PRIVATE, BATCH_DATA))
    );
    assert!(signer.sign_flat(&serde_json::json!([1])).is_err());
    assert!(!format!("{signer:?} {:?}", verifier()).contains(PRIVATE));
}

/// A postback carrying both spellings of a field (`transaction_id` and `id`,
/// `currency_code` and `currency`) verifies and is read with the preferred
/// spelling first — serde's "duplicate field" would refuse it.
#[test]
fn both_spellings_of_a_field_are_read_with_the_preferred_one_first() {
    let data = r#"{"id":1,"transaction_id":98765,"currency":"USD","currency_code":"MMK","status":"success","amount":500,"custom_transaction_id":"order-9"}"#;
    let body = format!(
        r#"{},"signature":"{}"}}"#,
        data.strip_suffix('}').unwrap(),
        independent_signature(ACCESS, PRIVATE, data)
    );
    let postback = verifier().verify(body.as_bytes()).unwrap();
    let tx = &postback.transactions[0];
    assert_eq!(tx.transaction_id.as_deref(), Some("98765"));
    assert_eq!(tx.currency_code.as_deref(), Some("MMK"));
    assert_eq!(tx.amount, Some(Money::parse("500", Currency::MMK).unwrap()));
    // A null preferred spelling gives way to the other one.
    let data = r#"{"transaction_id":null,"id":7,"currency_code":"MMK","status":"success","custom_transaction_id":"order-10"}"#;
    let body = format!(
        r#"{},"signature":"{}"}}"#,
        data.strip_suffix('}').unwrap(),
        independent_signature(ACCESS, PRIVATE, data)
    );
    let postback = verifier().verify(body.as_bytes()).unwrap();
    assert_eq!(
        postback.transactions[0].transaction_id.as_deref(),
        Some("7")
    );
}

#[test]
fn postback_errors_convert_into_the_workspace_error() {
    let bad: payments_core::Error = verifier()
        .verify(b"{\"status\":\"success\",\"signature\":\"00\"}")
        .unwrap_err()
        .into();
    assert!(
        matches!(bad, payments_core::Error::Authentication { .. }),
        "{bad:?}"
    );
    let malformed: payments_core::Error = verifier().verify(b"not json").unwrap_err().into();
    assert!(
        matches!(malformed, payments_core::Error::UndecodableResponse { .. }),
        "{malformed:?}"
    );
}

/// Found by the `paykassma_signed_postback` fuzz target: a flat postback
/// with a field named `transactions` (not an array, or without an access
/// key) was taken for the batch layout and refused.
#[test]
fn a_flat_postback_may_carry_a_field_named_transactions() {
    let signer = PostbackSigner::new(keys());
    for transactions in [
        serde_json::json!({"a": 1}),
        serde_json::json!("x"),
        serde_json::json!([{"status": "success"}]),
    ] {
        let body = signer
            .sign_flat(&serde_json::json!({
                "status": "success", "custom_transaction_id": "order-1",
                "transactions": transactions
            }))
            .unwrap();
        let postback = verifier().verify(body.as_bytes()).unwrap();
        assert_eq!(postback.layout, PostbackLayout::Flat, "{body}");
        assert_eq!(postback.transactions.len(), 1);
    }
    // Fields that are the batch layout's cannot be signed as flat ones.
    assert!(matches!(
        signer.sign_flat(&serde_json::json!({
            "status": "success", "access_key": "k", "transactions": []
        })),
        Err(PostbackError::Malformed(_))
    ));
}

/// The largest body a receiver reads.
const RECEIVER_CAP: usize = paykassma::postback::MAX_POSTBACK_BYTES;

/// Unsigned bodies nested as deep as the receivers' cap allows: refused as
/// malformed before the signature is looked at, quickly, and without
/// recursing once per level (which aborted the whole process: 10,000
/// levels, 20 KB).
#[test]
fn deeply_nested_unsigned_bodies_are_refused_quickly_without_recursing() {
    let levels = (RECEIVER_CAP - 64) / 2;
    let arrays = format!("{}{}", "[".repeat(levels), "]".repeat(levels));
    let objects = {
        let levels = (RECEIVER_CAP - 64) / 6;
        format!("{}1{}", r#"{"a":"#.repeat(levels), "}".repeat(levels))
    };
    for (name, body) in [
        (
            "flat arrays",
            format!(r#"{{"signature":"00","x":{arrays}}}"#),
        ),
        (
            "flat objects",
            format!(r#"{{"signature":"00","x":{objects}}}"#),
        ),
        (
            "batch arrays",
            format!(r#"{{"access_key":"{ACCESS}","signature":"00","transactions":[{arrays}]}}"#),
        ),
        ("bare arrays", arrays),
    ] {
        assert!(body.len() <= RECEIVER_CAP, "{name}: {}", body.len());
        let started = std::time::Instant::now();
        let refused = verifier().verify(body.as_bytes()).unwrap_err();
        let took = started.elapsed();
        assert!(
            matches!(&refused, PostbackError::Malformed(why) if why.contains("nested deeper than 128")),
            "{name}: {refused:?}"
        );
        assert_eq!(refused.http_status(), 400);
        assert!(took < std::time::Duration::from_secs(1), "{name}: {took:?}");
    }
}

/// PHP's `json_encode` never writes a member twice; a signed body that
/// does (`failed`, then `success`) is refused, whichever one a reader
/// would have kept.
#[test]
fn a_signed_postback_naming_a_member_twice_is_refused() {
    let data = r#"{"status":"failed","amount":500,"currency_code":"MMK","custom_transaction_id":"order-1","status":"success"}"#;
    let body = format!(
        r#"{},"signature":"{}"}}"#,
        data.strip_suffix('}').unwrap(),
        independent_signature(ACCESS, PRIVATE, data)
    );
    let refused = verifier().verify(body.as_bytes()).unwrap_err();
    assert!(
        matches!(&refused, PostbackError::Malformed(why) if why.contains("`status` appears twice")),
        "{refused:?}"
    );
}

/// A signed amount of `100000000000000000001` read as 1e20, and
/// `500.0000000000000001` as 500: signed or not, an amount is read exactly
/// or not at all.
#[test]
fn a_signed_postback_amount_no_double_carries_is_refused_not_rounded() {
    for amount in ["100000000000000000001", "500.0000000000000001"] {
        let data = format!(
            r#"{{"status":"success","amount":{amount},"currency_code":"MMK","custom_transaction_id":"order-1"}}"#
        );
        let body = format!(
            r#"{},"signature":"{}"}}"#,
            data.strip_suffix('}').unwrap(),
            independent_signature(ACCESS, PRIVATE, &data)
        );
        let refused = verifier().verify(body.as_bytes()).unwrap_err();
        assert!(
            matches!(&refused, PostbackError::Malformed(why) if why.contains("read exactly")),
            "{amount}: {refused:?}"
        );
    }
}
