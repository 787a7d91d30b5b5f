//! The bodies of the workspace's fuzz targets: every decoder of bytes that
//! come from a provider, or (postbacks) from anyone on the internet.
//!
//! `fuzz/` (cargo-fuzz, nightly, libFuzzer) calls these functions, one
//! target each; `tests/corpus_replay.rs` runs every committed corpus file
//! (`fuzz/corpus/<target>/`) through the same functions on the stable
//! toolchain, so `cargo test` keeps the coverage the fuzzer found. A panic
//! is a finding: the decoders must turn any input into a typed error, and
//! the properties asserted here (round trips, idempotence, sign-then-verify)
//! must hold.
//!
//! Inputs that drive several operations start with a selector byte: its
//! low bits choose the operation, its high bits the HTTP status.
#![allow(clippy::missing_panics_doc)]

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use allpay_soap::dsig::{self, Canonicalization, SigningKey, VerifyingKey};
use payments_core::http::RawResponse;
use payments_core::{Currency, Decimal, MerchantReference, Money, SecretString};

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target: its name (the `fuzz/fuzz_targets/` file and the corpus
/// folder) and its body.
pub const TARGETS: &[(&str, Target)] = &[
    ("jawali_answers", jawali_answers),
    ("paykassma_answers", paykassma_answers),
    ("paykassma_postback", paykassma_postback),
    ("paykassma_signed_postback", paykassma_signed_postback),
    ("php_json", php_json),
    ("tr_qr_answers", tr_qr_answers),
    ("allpay_answers", allpay_answers),
    ("allpay_body_readers", allpay_body_readers),
    ("c14n", c14n),
    ("money", money),
    ("hostile_documents", hostile_documents),
    ("allpay_altered_answers", allpay_altered_answers),
];

/// The largest input each target faces in production, for libFuzzer's
/// `-max_len` (`cargo xtask fuzz`): an HTTP answer up to the client's cap
/// ([`payments_core::http::HttpConfig`]'s default, 1 MiB), a postback up to
/// the receiver's ([`paykassma::postback::MAX_POSTBACK_BYTES`]). The
/// structure-aware targets build documents larger than their input.
pub const MAX_LEN: &[(&str, usize)] = &[
    ("jawali_answers", ANSWER_CAP + 1),
    ("paykassma_answers", ANSWER_CAP + 1),
    (
        "paykassma_postback",
        paykassma::postback::MAX_POSTBACK_BYTES,
    ),
    ("paykassma_signed_postback", 4096),
    ("php_json", paykassma::postback::MAX_POSTBACK_BYTES),
    ("tr_qr_answers", ANSWER_CAP + 1),
    ("allpay_answers", ANSWER_CAP + 1),
    ("allpay_body_readers", ANSWER_CAP + 1),
    ("c14n", ANSWER_CAP),
    ("money", 4096),
    ("hostile_documents", 4096),
    ("allpay_altered_answers", 4096),
];

/// The HTTP client's cap on an answer's body (a selector byte comes first).
pub const ANSWER_CAP: usize = 1024 * 1024;

/// The HTTP statuses a selector byte's high bits choose from.
const STATUSES: [u16; 4] = [200, 400, 401, 500];

/// The selector byte split: (operation, HTTP status, the rest).
fn select(data: &[u8]) -> Option<(u8, u16, &[u8])> {
    let (&selector, rest) = data.split_first()?;
    let status = STATUSES[usize::from(selector >> 6)];
    Some((selector & 0x3f, status, rest))
}

/// The selector byte for `operation` (below 64) answered with `status`:
/// the inverse of the targets' split, a 2xx status read as 200 and any
/// status the selector cannot name as 500. For writing seeds.
pub fn selector(operation: u8, status: u16) -> u8 {
    let class = if (200..300).contains(&status) {
        200
    } else {
        status
    };
    let index = STATUSES
        .iter()
        .position(|known| *known == class)
        .unwrap_or(STATUSES.len() - 1);
    (operation & 0x3f) | (u8::try_from(index).unwrap_or(3) << 6)
}

fn response(status: u16, body: &[u8]) -> RawResponse {
    RawResponse::new(status, body.to_vec())
}

// ---------------------------------------------------------------- Jawali

struct Jawali {
    client: jawali::JawaliClient,
    cash_out: jawali::CashOut,
    voucher: jawali::VoucherCode,
    reference: MerchantReference,
}

fn jawali() -> &'static Jawali {
    static JAWALI: OnceLock<Jawali> = OnceLock::new();
    JAWALI.get_or_init(|| {
        let config = jawali::JawaliConfig::new(
            payments_core::Environment::Custom(
                payments_core::http::BaseUrl::parse("https://jawali.example/paygate")
                    .expect("base URL"),
            ),
            "merchant",
            SecretString::from("login-pw"),
            "1234",
            "777000111",
            SecretString::from("wallet-pw"),
        );
        let client = jawali::JawaliClient::new(config).expect("client");
        let voucher = jawali::VoucherCode::new("483920").expect("voucher");
        let reference =
            MerchantReference::new("order-1", &jawali::REF_ID_RULES).expect("reference");
        let cash_out = jawali::CashOut {
            voucher: voucher.clone(),
            customer_mobile: jawali::MobileNumber::new("771234567").expect("mobile"),
            amount: Money::parse("1500.50", Currency::YER).expect("amount"),
            reference: reference.clone(),
            purpose: None,
        };
        Jawali {
            client,
            cash_out,
            voucher,
            reference,
        }
    })
}

/// Jawali's answer readers: inquiry, cash-out, status, statement, balance
/// (selector % 5), the envelope included.
pub fn jawali_answers(data: &[u8]) {
    let Some((operation, status, body)) = select(data) else {
        return;
    };
    let j = jawali();
    let response = response(status, body);
    match operation % 5 {
        0 => {
            let _ = jawali::codec::inquiry_answer(&j.client, &response, &j.voucher);
        }
        1 => {
            if let Ok(receipt) = jawali::codec::cash_out_answer(&j.client, &response, &j.cash_out) {
                // A receipt is only ever for the amount asked.
                assert_eq!(receipt.amount, j.cash_out.amount, "{receipt:?}");
            }
        }
        2 => {
            let _ = jawali::codec::status_answer(&j.client, &response, &j.reference);
        }
        3 => {
            let _ = jawali::codec::statement_answer(&j.client, &response);
        }
        _ => {
            let _ = jawali::codec::balance_answer(&j.client, &response);
        }
    }
}

// ------------------------------------------------------------- Paykassma

/// The postback keys the Paykassma targets sign and verify with.
pub const POSTBACK_ACCESS_KEY: &str = "access-key";
/// See [`POSTBACK_ACCESS_KEY`].
pub const POSTBACK_PRIVATE_KEY: &str = "private-key";

struct Paykassma {
    client: paykassma::PaykassmaClient,
    activation: paykassma::Activation,
    verifier: paykassma::postback::PostbackVerifier,
    signer: paykassma::postback::PostbackSigner,
}

fn paykassma() -> &'static Paykassma {
    static PAYKASSMA: OnceLock<Paykassma> = OnceLock::new();
    PAYKASSMA.get_or_init(|| {
        let base =
            payments_core::http::BaseUrl::parse("https://api.paykassma.example/").expect("URL");
        let client = paykassma::PaykassmaClient::new(paykassma::PaykassmaConfig::with_urls(
            base.clone(),
            base,
            SecretString::from("api-secret"),
        ))
        .expect("client");
        let activation = paykassma::Activation {
            label: paykassma::Label::new("user-55").expect("label"),
            wallet_type: paykassma::WalletType::WAVEPAY,
            key1: paykassma::TransactionNumber::new("1394646476").expect("key1"),
            amount: Money::parse("500.50", Currency::MMK).expect("amount"),
            custom_transaction_id: MerchantReference::new(
                "123465477897",
                &paykassma::CUSTOM_TRANSACTION_ID_RULES,
            )
            .expect("reference"),
        };
        let keys = paykassma::postback::PostbackKeys::new(
            SecretString::from(POSTBACK_ACCESS_KEY),
            SecretString::from(POSTBACK_PRIVATE_KEY),
        );
        Paykassma {
            client,
            activation,
            verifier: paykassma::postback::PostbackVerifier::new(keys.clone()),
            signer: paykassma::postback::PostbackSigner::new(keys),
        }
    })
}

/// Paykassma's create and activate answer readers (selector % 2).
pub fn paykassma_answers(data: &[u8]) {
    let Some((operation, status, body)) = select(data) else {
        return;
    };
    let p = paykassma();
    let response = response(status, body);
    if operation.is_multiple_of(2) {
        let _ =
            paykassma::codec::create_answer(&p.client, &response, &paykassma::WalletType::WAVEPAY);
    } else if let Ok(outcome) =
        paykassma::codec::activate_answer(&p.client, &response, &p.activation)
        && let paykassma::ActivationOutcome::Credited { amount, .. } = &outcome
    {
        // Credited means credited with exactly the requested amount.
        assert_eq!(*amount, p.activation.amount, "{outcome:?}");
    }
}

/// The postback verifier, both layouts, on any bytes (anyone on the
/// internet can send them).
pub fn paykassma_postback(data: &[u8]) {
    let _ = paykassma().verifier.verify(data);
}

/// A JSON value built from fuzz input, for the signer.
#[derive(Debug, arbitrary::Arbitrary)]
enum Json {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn value(&self, depth: usize) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Int(i) => Value::from(*i),
            Json::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Json::Text(t) => Value::String(t.clone()),
            Json::Array(_) | Json::Object(_) if depth > 8 => Value::Null,
            Json::Array(items) => items.iter().map(|i| i.value(depth + 1)).collect(),
            Json::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|(k, v)| (k.clone(), v.value(depth + 1)))
                    .collect(),
            ),
        }
    }
}

/// Postbacks the crate signs, from fuzz-built fields, must verify, in both
/// layouts; and one changed member must not.
pub fn paykassma_signed_postback(data: &[u8]) {
    let mut input = arbitrary::Unstructured::new(data);
    let Ok((status, extra, batch)) =
        <(String, Vec<(String, Json)>, bool) as arbitrary::Arbitrary>::arbitrary(&mut input)
    else {
        return;
    };
    let p = paykassma();
    let mut fields = serde_json::Map::new();
    for (name, value) in &extra {
        fields.insert(name.clone(), value.value(0));
    }
    fields.remove("signature");
    fields.insert("status".to_owned(), serde_json::Value::String(status));
    let transaction = serde_json::Value::Object(fields);
    let signed = if batch {
        p.signer
            .sign_batch(&serde_json::Value::Array(vec![transaction]))
    } else {
        p.signer.sign_flat(&transaction)
    };
    let body = match signed {
        Ok(body) => body,
        // Flat fields that read as the batch layout are refused.
        Err(paykassma::postback::PostbackError::Malformed(_)) if !batch => return,
        Err(e) => panic!("an array of one object does not sign: {e}"),
    };
    match p.verifier.verify(body.as_bytes()) {
        Ok(verified) => assert_eq!(verified.transactions.len(), 1),
        // Typed fields the fuzzer made unreadable (an amount that is not a
        // number, a time that is not a time) are refused as malformed after
        // the signature matched: the signature must be right all the same.
        Err(paykassma::postback::PostbackError::Malformed(why)) => assert!(
            signature_is_right(&body, batch),
            "a body the crate signed is malformed ({why}) and its signature is wrong: {body}"
        ),
        Err(e) => panic!("a body the crate signed does not verify: {e}\n{body}"),
    }
    // The same body with the status changed must not verify.
    if let Some(at) = body.find("\"status\":\"") {
        let mut tampered = body.clone();
        tampered.insert(at + "\"status\":\"".len(), 'x');
        assert!(
            p.verifier.verify(tampered.as_bytes()).is_err(),
            "a changed body verified: {tampered}"
        );
    }
}

/// Whether `body`'s `signature` is `sha1(access . private . md5(signed))`
/// over its signed data as the verifier forms it (the whole object less
/// `signature`, or the `transactions` of the batch layout), computed here
/// from the documented formula rather than by the crate.
fn signature_is_right(body: &str, batch: bool) -> bool {
    use md5::Md5;
    use sha1::{Digest, Sha1};

    #[derive(serde::Deserialize)]
    struct Signed<'a> {
        signature: String,
        #[serde(borrow)]
        transactions: Option<&'a serde_json::value::RawValue>,
    }
    let Ok(signed) = serde_json::from_str::<Signed<'_>>(body) else {
        return false;
    };
    let data = match (batch, signed.transactions) {
        (true, Some(transactions)) => paykassma::codec::php_recompact(transactions.get(), None),
        (true, None) => return false,
        (false, _) => paykassma::codec::php_recompact(body, Some("signature")),
    };
    let Ok(data) = data else {
        return false;
    };
    let mut sha = Sha1::new();
    sha.update(POSTBACK_ACCESS_KEY);
    sha.update(POSTBACK_PRIVATE_KEY);
    sha.update(hex::encode(Md5::digest(data.as_bytes())));
    hex::encode(sha.finalize()) == signed.signature
}

/// The PHP `json_encode` forms: on any text, the compact form is valid JSON
/// of the same value and a fixed point; PHP's form of the compact form is
/// PHP's form of the text.
pub fn php_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(compact) = paykassma::codec::php_recompact(text, None) else {
        return;
    };
    // The same value, where serde_json's `Value` can hold it: it refuses
    // numbers past a double (`1e400`, which the compact form keeps as
    // written) and objects whose first member is named as its `raw_value`
    // feature's private token. Otherwise, still JSON.
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(before) => {
            let after: serde_json::Value =
                serde_json::from_str(&compact).expect("the compact form is not JSON");
            assert_eq!(before, after, "{text:?} -> {compact:?}");
        }
        Err(_) => assert!(
            serde_json::from_str::<serde::de::IgnoredAny>(&compact).is_ok(),
            "the compact form of {text:?} is not JSON: {compact:?}"
        ),
    }
    assert_eq!(
        paykassma::codec::php_recompact(&compact, None).as_deref(),
        Ok(compact.as_str()),
        "not a fixed point"
    );
    let php = paykassma::codec::php_encode_document(text);
    assert_eq!(php, paykassma::codec::php_encode_document(&compact));
    if let Ok(php) = php {
        assert_eq!(
            paykassma::codec::php_recompact(&php, None).as_deref(),
            Ok(php.as_str())
        );
        // PHP's form is a fixed point from the second pass on: PHP writes
        // the double -0.0 as `-0`, which it reads back as the integer 0.
        let twice = paykassma::codec::php_encode_document(&php).expect("PHP's form reads");
        assert_eq!(
            paykassma::codec::php_encode_document(&twice).as_deref(),
            Ok(twice.as_str())
        );
    }
}

// ------------------------------------------------------------ Sipay wallet

/// Sipay's answer as the seed document shows it, for the session Complete
/// is read against.
const SIPAY_BEGIN: &str = r#"{"status": 0, "code": "100", "message": null, "payload": {"tx_correlation_id": 7777777777777777777, "payment_data": "{\"MerchantNo\": \"0007777777\", \"TerminalNo\": \"0007777777\", \"MerchantName\": \"Test_58\", \"RequestAmount\": 0.13, \"TransactionId\": 98598610, \"Kdv\": \"1,00\", \"SaleRefCode\": \"7777777777777777777777\", \"SessionExpireDate\": \"2099-04-01T08:38:40.51\", \"ResponseCode\": 0}"}}"#;

struct Sipay {
    client: tr_qr_wallet::QrWalletClient,
    wallet: tr_qr_wallet::WalletNumber,
    session: tr_qr_wallet::QrSession,
}

fn sipay() -> &'static Sipay {
    static SIPAY: OnceLock<Sipay> = OnceLock::new();
    SIPAY.get_or_init(|| {
        let config = tr_qr_wallet::QrWalletConfig::new(
            payments_core::http::BaseUrl::parse("https://wallet.example/api/").expect("URL"),
            payments_core::http::BaseUrl::endpoint("https://identity.example/connect/token")
                .expect("URL"),
            "client-1",
            SecretString::from("client-s3cret"),
            "x-client-9",
            "provider-7",
        )
        .expect("config");
        let client = tr_qr_wallet::QrWalletClient::new(config).expect("client");
        let wallet = tr_qr_wallet::WalletNumber::new("7777777777").expect("wallet");
        let session = tr_qr_wallet::codec::begin_answer(
            &client,
            &response(200, SIPAY_BEGIN.as_bytes()),
            &wallet,
        )
        .expect("the seed's Begin answer reads");
        Sipay {
            client,
            wallet,
            session,
        }
    })
}

/// The Sipay wallet's Begin and Complete answer readers (selector % 2),
/// the JSON-in-string fields included.
pub fn tr_qr_answers(data: &[u8]) {
    let Some((operation, status, body)) = select(data) else {
        return;
    };
    let s = sipay();
    let response = response(status, body);
    if operation.is_multiple_of(2) {
        let _ = tr_qr_wallet::codec::begin_answer(&s.client, &response, &s.wallet);
    } else {
        let _ = tr_qr_wallet::codec::complete_answer(&s.client, &response, &s.session);
    }
}

// ---------------------------------------------------------------- Allpay

/// The cash-in service's namespace.
pub const ALLPAY_CASH_IN_NS: &str = "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1";
/// The transaction-management service's namespace.
pub const ALLPAY_TM_NS: &str = "http://www.allpay.kz/mfs/soap/TransactionManagement/1.1";

struct Allpay {
    client: allpay_soap::AllpayClient,
    /// The same client, answers not verified.
    unverified: allpay_soap::AllpayClient,
    check_user: allpay_soap::codec::Prepared,
    complete: allpay_soap::codec::Prepared,
    guid: MerchantReference,
    allpay_public: VerifyingKey,
}

fn allpay() -> &'static Allpay {
    static ALLPAY: OnceLock<Allpay> = OnceLock::new();
    ALLPAY.get_or_init(|| {
        use allpay_soap::sandbox::{allpay_public_key, merchant_private_key};
        let config = allpay_soap::AllpayConfig::new(
            payments_core::http::BaseUrl::parse("https://allpay.example").expect("URL"),
            "agent-7",
            "1001",
            SigningKey::from_pem(merchant_private_key()).expect("key"),
            VerifyingKey::from_pem(allpay_public_key()).expect("key"),
        );
        let mut insecure = config.clone();
        insecure.verification = allpay_soap::ResponseVerification::DisabledInsecure;
        // A fixed clock: the requests, and so the digests their answers must
        // echo, are the same in every process, so signed corpus answers
        // reach past the echo check.
        let clock = Arc::new(payments_core::clock::ManualClock::new(
            SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_420_800),
        ));
        let client = allpay_soap::AllpayClient::builder(config)
            .clock(clock.clone())
            .build()
            .expect("client");
        let unverified = allpay_soap::AllpayClient::builder(insecure)
            .clock(clock)
            .build()
            .expect("client");
        let user = allpay_soap::UserName::new("77011234567").expect("user");
        let guid = MerchantReference::new(
            "{67e55044-10b1-426f-9247-bb680e5fe0c8}",
            &allpay_soap::BRACED_GUID_RULES,
        )
        .expect("GUID");
        Allpay {
            check_user: allpay_soap::codec::check_user_request(&client, &user).expect("request"),
            complete: allpay_soap::codec::complete_request(&client, &guid, 42).expect("request"),
            client,
            unverified,
            guid,
            allpay_public: VerifyingKey::from_pem(allpay_public_key()).expect("key"),
        }
    })
}

/// Allpay's answer readers (`checkUser`, `completeTransaction`: selector
/// % 2) and the signature verifier, on any bytes.
pub fn allpay_answers(data: &[u8]) {
    let Some((operation, status, body)) = select(data) else {
        return;
    };
    let a = allpay();
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = dsig::verify_envelope(text, &a.allpay_public);
    }
    read_allpay(a, &a.client, operation, &response(status, body));
}

/// An Allpay answer for the fuzz client's `checkUser` (`operation` even) or
/// `completeTransaction` request, with `content` in its Body, echoing the
/// request's digest and signed with Allpay's sandbox key: a seed that the
/// answer readers read to the end.
pub fn allpay_signed_answer(operation: u8, content: &str) -> String {
    let key = SigningKey::from_pem(allpay_soap::sandbox::allpay_private_key()).expect("key");
    let unsigned = answer_envelope(allpay(), operation, content);
    dsig::sign_envelope(&unsigned, &key).expect("signs").xml
}

/// The request `operation` selects: `checkUser` (even) or
/// `completeTransaction`.
fn prepared(a: &Allpay, operation: u8) -> &allpay_soap::codec::Prepared {
    if operation.is_multiple_of(2) {
        &a.check_user
    } else {
        &a.complete
    }
}

/// An unsigned answer to the request `operation` selects: `content` in its
/// Body, the request's digest echoed in its Header.
fn answer_envelope(a: &Allpay, operation: u8, content: &str) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><requestDsig xmlns="https://allpay.kz">{}</requestDsig></soapenv:Header><soapenv:Body>{content}</soapenv:Body></soapenv:Envelope>"#,
        prepared(a, operation).digest()
    )
}

/// `response` read by `client` as the answer to the request `operation`
/// selects.
fn read_allpay(
    a: &Allpay,
    client: &allpay_soap::AllpayClient,
    operation: u8,
    response: &RawResponse,
) {
    let request = prepared(a, operation);
    if operation.is_multiple_of(2) {
        let _ = allpay_soap::codec::check_user_answer(client, request, response);
    } else {
        let _ = allpay_soap::codec::complete_answer(client, request, &a.guid, 42, response);
    }
}

/// Allpay's SOAP and schema readers past the signature: the fuzz input is
/// the SOAP Body's content of an answer echoing the request's digest, read
/// by a client that does not verify answers (the same readers run after a
/// signature verified; verification itself is fuzzed by `allpay_answers`
/// and `c14n`, and checked against xmlsec1 by `cargo xtask dsig`).
pub fn allpay_body_readers(data: &[u8]) {
    let Some((operation, status, body)) = select(data) else {
        return;
    };
    let Ok(content) = std::str::from_utf8(body) else {
        return;
    };
    let a = allpay();
    let answer = answer_envelope(a, operation, content);
    read_allpay(
        a,
        &a.unverified,
        operation,
        &response(status, answer.as_bytes()),
    );
}

/// A signed `checkUser` answer to the fuzz client's request, and what
/// the verifying client reads from it.
struct Signed {
    xml: String,
    read: Option<allpay_soap::UserInfo>,
}

fn signed_check_user() -> &'static Signed {
    static SIGNED: OnceLock<Signed> = OnceLock::new();
    SIGNED.get_or_init(|| {
        let xml = allpay_signed_answer(
            0,
            &format!(
                r#"<ns:checkUserResponse xmlns:ns="{ALLPAY_CASH_IN_NS}"><return><header><userMessage>OK</userMessage><developerMessage>OK</developerMessage><status>0</status></header><basicUserInfo><identified>true</identified><IIN>900101300123</IIN><firstName>Айгерим</firstName><lastName>Сапарова</lastName></basicUserInfo></return></ns:checkUserResponse>"#
            ),
        );
        let a = allpay();
        let read = allpay_soap::codec::check_user_answer(
            &a.client,
            &a.check_user,
            &response(200, xml.as_bytes()),
        )
        .expect("the signed seed answer reads");
        Signed { xml, read }
    })
}

/// The fragments an alteration inserts: markup a party without Allpay's key
/// could add (echoes, Fault texts, Signatures, values).
const FRAGMENTS: [&str; 8] = [
    r#"<requestDsig xmlns="https://allpay.kz">Zm9yZ2Vk</requestDsig>"#,
    "<firstName>FORGED</firstName>",
    "<status>0</status>",
    "<detail><userMessage>FORGED</userMessage></detail>",
    "<Object xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><identified>false</identified></Object>",
    "<KeyInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><firstName>FORGED</firstName></KeyInfo>",
    "<!-- x -->",
    "FORGED",
];

/// Applies one alteration, chosen by `op`, at places chosen by `x` and `y`,
/// to `xml`: moves the Signature to another element boundary or into a
/// text; duplicates, wraps or removes an element; inserts a fragment
/// somewhere or inside the Signature. `None` when it does not apply.
fn alter(xml: &str, op: u8, x: u8, y: u8) -> Option<String> {
    let doc = roxmltree::Document::parse(xml).ok()?;
    let elements: Vec<_> = doc.descendants().filter(|n| n.is_element()).collect();
    let pick = |k: u8| {
        elements
            .get(usize::from(k) % elements.len().max(1))
            .copied()
    };
    // Places between markup: before any `<`, or inside a text.
    let boundaries: Vec<usize> = xml
        .char_indices()
        .filter(|(_, c)| *c == '<')
        .map(|(i, _)| i)
        .chain(doc.descendants().filter(|n| n.is_text()).filter_map(|n| {
            let range = n.range();
            let text = xml.get(range.clone())?;
            let middle = text.char_indices().nth(text.chars().count() / 2)?.0;
            Some(range.start + middle)
        }))
        .collect();
    let place = |k: u8| {
        boundaries
            .get(usize::from(k) % boundaries.len().max(1))
            .copied()
    };
    let signature = elements
        .iter()
        .find(|n| n.has_tag_name((dsig::DSIG_NS, "Signature")))
        .map(|n| n.range());
    let insert = |at: usize, text: &str| -> Option<String> {
        Some(format!("{}{text}{}", xml.get(..at)?, xml.get(at..)?))
    };
    match op % 6 {
        0 => {
            let range = signature?;
            let moved = xml.get(range.clone())?.to_owned();
            let rest = format!("{}{}", xml.get(..range.start)?, xml.get(range.end..)?);
            let doc = roxmltree::Document::parse(&rest).ok()?;
            let spots: Vec<usize> = rest
                .char_indices()
                .filter(|(_, c)| *c == '<')
                .map(|(i, _)| i)
                .chain(
                    doc.descendants()
                        .filter(|n| n.is_text())
                        .map(|n| n.range().start + 1),
                )
                .collect();
            let at = *spots.get(usize::from(x) % spots.len().max(1))?;
            let at = if rest.is_char_boundary(at) {
                at
            } else {
                return None;
            };
            Some(format!("{}{moved}{}", rest.get(..at)?, rest.get(at..)?))
        }
        1 => {
            let element = pick(x)?;
            let range = element.range();
            insert(range.end, xml.get(range)?)
        }
        2 => {
            let element = pick(x)?;
            let wrapper = pick(y)?.tag_name().name().to_owned();
            let range = element.range();
            Some(format!(
                "{}<{wrapper}>{}</{wrapper}>{}",
                xml.get(..range.start)?,
                xml.get(range.clone())?,
                xml.get(range.end..)?
            ))
        }
        3 => {
            let range = pick(x)?.range();
            Some(format!(
                "{}{}",
                xml.get(..range.start)?,
                xml.get(range.end..)?
            ))
        }
        4 => insert(place(x)?, FRAGMENTS[usize::from(y) % FRAGMENTS.len()]),
        _ => {
            let range = signature?;
            let close = range.end.checked_sub("</Signature>".len())?;
            insert(close, FRAGMENTS[usize::from(y) % FRAGMENTS.len()])
        }
    }
}

/// Structure-aware: a signed `checkUser` answer altered by up to eight
/// alterations (three bytes each: which, where, what), then read by the
/// verifying client. Verified ⇒ every value read equals the value in the
/// signed canonical content: whatever was moved, duplicated, nested or
/// added, an answer that still verifies reads exactly as the unaltered one.
pub fn allpay_altered_answers(data: &[u8]) {
    let signed = signed_check_user();
    let mut xml = signed.xml.clone();
    for step in data.chunks_exact(3).take(8) {
        if let [op, x, y] = *step
            && let Some(altered) = alter(&xml, op, x, y)
        {
            xml = altered;
        }
    }
    let a = allpay();
    let read = allpay_soap::codec::check_user_answer(
        &a.client,
        &a.check_user,
        &response(200, xml.as_bytes()),
    );
    if let Ok(read) = read {
        assert_eq!(
            read, signed.read,
            "an altered answer read otherwise:\n{xml}"
        );
    }
}

/// Both canonicalizations, with and without comments: any document's
/// canonical form is a fixed point (canonicalizing it again changes
/// nothing).
pub fn c14n(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for method in [Canonicalization::Inclusive, Canonicalization::Exclusive] {
        for comments in [false, true] {
            if let Ok(canonical) = dsig::canonicalize(text, method, comments) {
                let again = dsig::canonicalize(&canonical, method, comments);
                assert_eq!(
                    again.as_deref(),
                    Ok(canonical.as_str()),
                    "{method:?} comments={comments}: not a fixed point of {text:?}"
                );
            }
        }
    }
}

// ----------------------------------------------------------------- Money

#[derive(serde::Deserialize)]
struct WireAmount {
    #[serde(deserialize_with = "payments_core::wire::decimal_from_number_or_string")]
    amount: Decimal,
}

/// Money and wire-number parsing: `Money::parse` and `Money`'s serde form
/// in every currency, where every amount read back is the amount written;
/// the JSON amount reader (numbers and strings) and `Money`'s deserializer
/// on any text, which must refuse what they cannot read, never panic.
pub fn money(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for &currency in Currency::ALL {
        if let Ok(money) = Money::parse(text, currency) {
            assert!(!money.amount().is_sign_negative() || money.is_zero());
            assert!(money.amount().scale() <= u32::from(currency.exponent()));
            let again = Money::parse(&money.amount().to_string(), currency).expect("reparse");
            assert_eq!(again, money);
            let scaled = Money::parse(&money.to_scaled_string(), currency).expect("scaled");
            assert_eq!(scaled, money);
            let json = serde_json::to_string(&money).expect("serialize");
            let back: Money = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, money);
        }
    }
    let json = format!(r#"{{"amount":{text}}}"#);
    if let Ok(wire) = serde_json::from_str::<WireAmount>(&json) {
        let _ = Money::new(wire.amount, Currency::YER);
    }
    let _ = serde_json::from_str::<Money>(text);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The altered-answers target's property can be reached: some
    /// alterations keep the signature valid (a fragment in `KeyInfo`, an
    /// extra text inside the Signature) and read as the signed answer;
    /// others are refused.
    #[test]
    fn altered_answers_that_still_verify_read_as_the_signed_one() {
        let signed = signed_check_user();
        assert!(signed.read.is_some());
        let a = allpay();
        let read = |xml: &str| {
            allpay_soap::codec::check_user_answer(
                &a.client,
                &a.check_user,
                &response(200, xml.as_bytes()),
            )
        };
        // A KeyInfo with a forged name inside the Signature: verifies, not read.
        let keyinfo = alter(&signed.xml, 5, 0, 5).expect("applies");
        assert_eq!(read(&keyinfo).expect("verifies"), signed.read);
        // An Object inside the Signature, or a duplicated element: refused.
        let object = alter(&signed.xml, 5, 0, 4).expect("applies");
        assert!(read(&object).is_err());
        let twice = alter(&signed.xml, 1, 9, 0).expect("applies");
        assert!(read(&twice).is_err());
        allpay_altered_answers(&[5, 0, 5, 0, 3, 0]);
    }

    #[test]
    fn every_target_runs_at_the_largest_input_it_faces() {
        let targets: Vec<&str> = TARGETS.iter().map(|(name, _)| *name).collect();
        let sized: Vec<&str> = MAX_LEN.iter().map(|(name, _)| *name).collect();
        assert_eq!(targets, sized);
        assert_eq!(
            ANSWER_CAP,
            payments_core::http::HttpConfig::default().max_response_bytes
        );
    }

    /// The independent check the signed-postback target leans on, when the
    /// verifier refuses a body as malformed, tells a right signature from a
    /// wrong one.
    #[test]
    fn the_independent_signature_check_tells_right_from_wrong() {
        let body = paykassma()
            .signer
            .sign_flat(&serde_json::json!({"status": "success", "amount": "not a number"}))
            .expect("signs");
        assert!(matches!(
            paykassma().verifier.verify(body.as_bytes()),
            Err(paykassma::postback::PostbackError::Malformed(_))
        ));
        assert!(signature_is_right(&body, false), "{body}");
        let at = body.find("\"signature\":\"").expect("signed") + "\"signature\":\"".len();
        let mut wrong = body.clone();
        let flipped = if body[at..].starts_with('0') {
            "1"
        } else {
            "0"
        };
        wrong.replace_range(at..=at, flipped);
        assert!(!signature_is_right(&wrong, false), "{wrong}");
        assert!(
            !signature_is_right(&body, true),
            "no transactions: not a batch"
        );
    }
}

// ------------------------------------------------------ Hostile documents

/// What one nesting level of a hostile document is.
#[derive(Debug, Clone, Copy, arbitrary::Arbitrary)]
enum Level {
    Array,
    Object,
}

/// Where a hostile document is sent.
#[derive(Debug, Clone, Copy, arbitrary::Arbitrary)]
enum Destination {
    /// A flat postback's extra member, `signature` beside it.
    FlatPostback,
    /// A batch postback's `transactions`.
    BatchPostback,
    /// The whole postback body.
    BarePostback,
    /// Jawali's `responseBody`, read by every Jawali reader.
    JawaliBody,
    /// Sipay's `payment_data`, JSON in a string.
    SipayPaymentData,
    /// A Paykassma activation answer's extra member.
    PaykassmaAnswer,
    /// Elements inside an Allpay answer's Body.
    AllpayXml,
}

/// A hostile document as a few numbers: the fuzzer picks the shape, the
/// target builds it as large as its destination's cap allows — deeper and
/// wider than a byte-level fuzzer reaches within libFuzzer's input sizes.
#[derive(Debug, arbitrary::Arbitrary)]
pub struct Shape {
    /// Nesting levels, up to 200,000 (past every limit).
    depth: u32,
    /// Members or items beside each level's nested one.
    width: u16,
    /// The levels, repeated as needed (empty: arrays).
    levels: Vec<Level>,
    /// Name every member of a level the same.
    same_names: bool,
    /// The innermost value's text.
    leaf: String,
    /// Namespace declarations and attributes on each XML element.
    xml_attributes: u8,
    /// Where it goes.
    destination: Destination,
}

impl Shape {
    fn level(&self, at: usize) -> Level {
        self.levels
            .get(at % self.levels.len().max(1))
            .copied()
            .unwrap_or(Level::Array)
    }

    /// The JSON document, at most `cap` bytes, built without recursion:
    /// `depth` levels, each with `width` members beside the nested one.
    fn json(&self, cap: usize) -> (String, usize) {
        let depth = usize::try_from(self.depth % 200_001).unwrap_or(0);
        let width = usize::from(self.width % 64);
        let mut out = String::with_capacity(cap.min(1 << 20));
        let mut open = Vec::new();
        let reserve = |open: &Vec<Level>| open.len() + 64;
        for at in 0..depth {
            let level = self.level(at);
            if out.len() + reserve(&open) + 16 + width * 8 > cap {
                break;
            }
            match level {
                Level::Array => {
                    out.push('[');
                    for _ in 0..width {
                        out.push_str("0,");
                    }
                }
                Level::Object => {
                    out.push('{');
                    for i in 0..width {
                        if self.same_names {
                            out.push_str("\"n\":0,");
                        } else {
                            use std::fmt::Write as _;
                            let _ = write!(out, "\"n{i}\":0,");
                        }
                    }
                    out.push_str(if self.same_names { "\"n\":" } else { "\"x\":" });
                }
            }
            open.push(level);
        }
        let leaf = serde_json::to_string(&self.leaf).unwrap_or_default();
        if out.len() + leaf.len() + open.len() < cap {
            out.push_str(&leaf);
        } else {
            out.push('0');
        }
        let levels = open.len();
        while let Some(level) = open.pop() {
            out.push(match level {
                Level::Array => ']',
                Level::Object => '}',
            });
        }
        (out, levels)
    }

    /// Nested XML elements (each with namespace declarations and
    /// attributes), at most `cap` bytes, and how deep they go.
    fn xml(&self, cap: usize) -> (String, usize) {
        use std::fmt::Write as _;
        let depth = usize::try_from(self.depth % 200_001).unwrap_or(0);
        let attributes = usize::from(self.xml_attributes % 32);
        let mut out = String::new();
        let mut levels = 0;
        for at in 0..depth {
            let mut element = String::from("<e");
            for i in 0..attributes {
                let _ = write!(element, r#" xmlns:p{i}="urn:{at}:{i}" a{i}="{i}""#);
            }
            element.push('>');
            if out.len() + element.len() + (levels + 1) * 4 > cap {
                break;
            }
            out.push_str(&element);
            levels += 1;
        }
        let mut text = String::new();
        for c in self.leaf.chars().filter(|c| !matches!(c, '<' | '&')) {
            text.push(c);
        }
        out.push_str(&text);
        for _ in 0..levels {
            out.push_str("</e>");
        }
        (out, levels)
    }
}

/// Structure-aware: deep and wide documents, built on purpose, sent to
/// every reader of untrusted JSON and XML. Every one answers in bounded time
/// (libFuzzer's `-timeout`) without a crash; nesting past the limits is
/// always refused: past [`payments_core::wire::MAX_DEPTH`] in JSON,
/// [`dsig::MAX_XML_DEPTH`] in XML.
pub fn hostile_documents(data: &[u8]) {
    let mut input = arbitrary::Unstructured::new(data);
    let Ok(shape) = <Shape as arbitrary::Arbitrary>::arbitrary(&mut input) else {
        return;
    };
    let postback_cap = paykassma::postback::MAX_POSTBACK_BYTES;
    match shape.destination {
        Destination::FlatPostback | Destination::BatchPostback | Destination::BarePostback => {
            let (document, levels) = shape.json(postback_cap - 96);
            let body = match shape.destination {
                Destination::FlatPostback => {
                    format!(r#"{{"status":"success","signature":"00","x":{document}}}"#)
                }
                Destination::BatchPostback => format!(
                    r#"{{"access_key":"{POSTBACK_ACCESS_KEY}","signature":"00","transactions":[{document}]}}"#
                ),
                _ => document,
            };
            let refused = paykassma().verifier.verify(body.as_bytes());
            let outer = usize::from(!matches!(shape.destination, Destination::BarePostback))
                + usize::from(matches!(shape.destination, Destination::BatchPostback));
            if levels + outer > payments_core::wire::MAX_DEPTH {
                // Refused for its depth, or for a member named twice that
                // the one pass met first.
                assert!(
                    matches!(&refused, Err(paykassma::postback::PostbackError::Malformed(why))
                        if why.contains("nested deeper") || why.contains("appears twice")),
                    "{levels} levels: {refused:?}"
                );
            }
            assert!(refused.is_err(), "an unsigned postback verified");
        }
        Destination::JawaliBody => {
            let (document, _) = shape.json(ANSWER_CAP - 128);
            let body =
                format!(r#"{{"responseStatus":{{"systemStatus":"0"}},"responseBody":{document}}}"#);
            for operation in 0..5 {
                let mut data = vec![selector(operation, 200)];
                data.extend_from_slice(body.as_bytes());
                jawali_answers(&data);
            }
        }
        Destination::SipayPaymentData => {
            let (document, _) = shape.json(ANSWER_CAP / 2 - 256);
            let body = serde_json::json!({
                "status": 0, "code": "100",
                "payload": {"tx_correlation_id": "7777777777777777777777", "payment_data": document}
            })
            .to_string();
            let s = sipay();
            let _ = tr_qr_wallet::codec::begin_answer(
                &s.client,
                &response(200, body.as_bytes()),
                &s.wallet,
            );
        }
        Destination::PaykassmaAnswer => {
            let (document, _) = shape.json(ANSWER_CAP - 128);
            let body = format!(
                r#"{{"status":"ok","deposit":true,"deposit_amount":500.50,"currency":{{"code":"MMK"}},"x":{document}}}"#
            );
            for operation in 0..2 {
                let mut data = vec![selector(operation, 200)];
                data.extend_from_slice(body.as_bytes());
                paykassma_answers(&data);
            }
        }
        Destination::AllpayXml => {
            let a = allpay();
            let (content, levels) = shape.xml(ANSWER_CAP - 512);
            let answer = answer_envelope(a, 0, &content);
            let verified = dsig::verify_envelope(&answer, &a.allpay_public);
            // The Envelope and the Body stand around the content: past the
            // depth limit it is refused as XML this SDK does not read (for
            // its depth, or for a limit the one pass met first).
            if levels + 2 > dsig::MAX_XML_DEPTH {
                assert!(
                    matches!(&verified, Err(dsig::SignatureError::Xml(_))),
                    "{levels} levels: {verified:?}"
                );
            }
            read_allpay(a, &a.client, 0, &response(200, answer.as_bytes()));
        }
    }
}
