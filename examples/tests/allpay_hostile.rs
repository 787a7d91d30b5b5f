//! The Allpay example as a process of its own, pointed (`ALLPAY_BASE_URL`)
//! at a server that answers with altered envelopes: a forged name inside
//! the Signature, the Signature moved into the status, an old signed
//! COMPLETED answer replayed with this payment's digest inside its
//! Signature — then Allpay's genuine signed DECLINED. The example never exits 0 for the
//! payment the server did not complete, never prints text from outside the
//! signed content, and ends in bounded time.
#![cfg(unix)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use allpay_soap::dsig::{SigningKey, sign_envelope};
use allpay_soap::sandbox::{allpay_private_key, allpay_public_key, merchant_private_key};
use payments_core::async_trait;
use payments_core::sandbox::{SandboxHandler, SandboxRequest, SandboxResponse, SandboxServer};

const CI_NS: &str = "http://www.allpay.kz/mfs/soap/CashInTransactionManagement/1.1";
const OK: &str = "<header><userMessage>OK</userMessage><developerMessage>OK</developerMessage><status>0</status></header>";

/// An example binary built beside this test (`cargo test` builds them).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().and_then(|deps| deps.parent()).unwrap();
    debug.join("examples").join(name)
}

fn digest_of(request: &str) -> String {
    request
        .split_once("<DigestValue>")
        .and_then(|(_, rest)| rest.split_once("</DigestValue>"))
        .map(|(digest, _)| digest.to_owned())
        .unwrap_or_default()
}

fn signed(op: &str, inner: &str, request_dsig: &str) -> String {
    let xml = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><requestDsig xmlns="https://allpay.kz">{request_dsig}</requestDsig></soapenv:Header><soapenv:Body><ns:{op}Response xmlns:ns="{CI_NS}"><return>{inner}</return></ns:{op}Response></soapenv:Body></soapenv:Envelope>"#
    );
    sign_envelope(&xml, &SigningKey::from_pem(allpay_private_key()).unwrap())
        .unwrap()
        .xml
}

/// The signed envelope with its Signature taken out and handed to `put`.
fn moved(signed: &str, put: impl FnOnce(&str, String) -> String) -> String {
    let start = signed.find("<Signature ").unwrap();
    let end = signed.find("</Signature>").unwrap() + "</Signature>".len();
    put(
        &signed[start..end],
        format!("{}{}", &signed[..start], &signed[end..]),
    )
}

/// Answers `checkUserAndValidateCashIn` with Allpay's signed answer and a
/// forged name in the Signature's `KeyInfo`; each `createCashInPayment`
/// with the next altered envelope, then with a genuine signed DECLINED.
struct Hostile {
    payments: AtomicUsize,
}

#[async_trait]
impl SandboxHandler for Hostile {
    fn operation(&self, request: &SandboxRequest) -> String {
        request.header("soapaction").unwrap_or("").to_owned()
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        let body = String::from_utf8_lossy(&request.body).into_owned();
        let digest = digest_of(&body);
        let terminal = |status: &str| {
            format!(
                "{OK}<terminalPaymentTransactionStatus>{status}</terminalPaymentTransactionStatus>"
            )
        };
        let answer = if body.contains("checkUserAndValidateCashIn") {
            moved(
                &signed(
                    "checkUserAndValidateCashIn",
                    &format!(
                        "{OK}<basicUserInfo><identified>true</identified><firstName>Айгерим</firstName></basicUserInfo>"
                    ),
                    &digest,
                ),
                |signature, rest| {
                    let signature = signature.replacen(
                        "</Signature>",
                        "<KeyInfo><firstName>FORGED</firstName></KeyInfo></Signature>",
                        1,
                    );
                    rest.replacen(
                        "</soapenv:Header>",
                        &format!("{signature}</soapenv:Header>"),
                        1,
                    )
                },
            )
        } else {
            match self.payments.fetch_add(1, Ordering::SeqCst) {
                // The Signature moved into the status, FORGED beside it.
                0 => moved(
                    &signed("createCashInPayment", &terminal("COMPLETED"), &digest),
                    |signature, rest| {
                        rest.replacen("COMPLETED", &format!("COMP{signature}FORGEDLETED"), 1)
                    },
                ),
                // An old COMPLETED answer to another payment, this
                // payment's digest inside the Signature's Object.
                1 => moved(
                    &signed("createCashInPayment", &terminal("COMPLETED"), "b2xk"),
                    |signature, rest| {
                        let signature = signature.replacen(
                            "</Signature>",
                            &format!(r#"<Object><requestDsig xmlns="https://allpay.kz">{digest}</requestDsig></Object></Signature>"#),
                            1,
                        );
                        rest.replacen(
                            "<soapenv:Header>",
                            &format!("<soapenv:Header>{signature}"),
                            1,
                        )
                    },
                ),
                _ => signed("createCashInPayment", &terminal("DECLINED"), &digest),
            }
        };
        SandboxResponse::with_type(200, "text/xml; charset=utf-8", answer)
    }
}

#[tokio::test]
async fn the_allpay_example_never_reports_a_payment_the_server_did_not_complete() {
    let server = SandboxServer::start(Arc::new(Hostile {
        payments: AtomicUsize::new(0),
    }))
    .await
    .unwrap();
    let scratch = std::env::temp_dir().join(format!(
        "allpay-hostile-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    std::fs::create_dir_all(&scratch).unwrap();
    let merchant = scratch.join("merchant.pem");
    let allpay = scratch.join("allpay.pub.pem");
    std::fs::write(&merchant, merchant_private_key()).unwrap();
    std::fs::write(&allpay, allpay_public_key()).unwrap();
    let started = Instant::now();
    let output = tokio::task::spawn_blocking({
        let base_url = server.base_url().to_string();
        let (merchant, allpay) = (merchant.clone(), allpay.clone());
        move || {
            Command::new(example("allpay"))
                .args(["--user", "77019990000", "--amount", "900000"])
                .env("ALLPAY_BASE_URL", base_url)
                .env("ALLPAY_REQUESTER", "agent-7")
                .env("ALLPAY_CERT_NUMBER", "1001")
                .env("ALLPAY_PRIVATE_KEY", merchant)
                .env("ALLPAY_SERVER_PUBLIC_KEY", allpay)
                .output()
                .expect("the allpay example is built (cargo test builds examples)")
        }
    })
    .await
    .unwrap();
    let _ = std::fs::remove_dir_all(&scratch);
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stdout}\n{stderr}");
    assert!(
        !stdout.contains("result       : COMPLETED"),
        "{stdout}\n{stderr}"
    );
    assert!(
        !stdout.contains("FORGED") && !stderr.contains("FORGED"),
        "{stdout}\n{stderr}"
    );
    // The genuine name was read, and the genuine DECLINED ended the drive.
    assert!(stdout.contains("Айгерим"), "{stdout}\n{stderr}");
    assert!(stderr.contains("Declined"), "{stdout}\n{stderr}");
    assert!(took < Duration::from_secs(60), "{took:?}");
}
