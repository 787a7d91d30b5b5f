//! Every committed corpus file (`fuzz/corpus/<target>/`) through its
//! target, on the stable toolchain: the ordinary suite keeps the coverage
//! the fuzzer found, and every crash the fuzzer ever found (kept in the
//! corpus under `crash-*`) stays fixed.

use std::path::{Path, PathBuf};

use fuzz_targets::TARGETS;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus")
}

#[test]
fn every_corpus_file_runs_through_its_target() {
    for (name, target) in TARGETS {
        let dir = corpus_dir().join(name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{name}: empty corpus");
        for file in &files {
            let data = std::fs::read(file).unwrap();
            let run = std::panic::catch_unwind(|| target(&data));
            assert!(run.is_ok(), "{name}: {} panicked", file.display());
        }
    }
    // Every target has a corpus folder, and nothing else is there.
    let folders = std::fs::read_dir(corpus_dir()).unwrap().count();
    assert_eq!(folders, TARGETS.len(), "a corpus folder without a target");
}

/// Writes the seeds that need the crates' own signers (postbacks, signed
/// Allpay answers), the XML and JSON seeds, and every answer the four
/// sandboxes give over a whole payment (recorded through a proxy):
/// `cargo test -p fuzz-targets --test corpus_replay -- --ignored write_seeds`.
#[test]
#[ignore = "writes seed files into fuzz/corpus"]
fn write_seeds() {
    use paykassma::postback::{PostbackKeys, PostbackSigner};
    use payments_core::SecretString;

    let signer = PostbackSigner::new(PostbackKeys::new(
        SecretString::from(fuzz_targets::POSTBACK_ACCESS_KEY),
        SecretString::from(fuzz_targets::POSTBACK_PRIVATE_KEY),
    ));
    let transaction = serde_json::json!({
        "status": "success", "amount": 500.5, "currency_code": "MMK",
        "custom_transaction_id": "123465477897", "transaction_id": 98765,
        "label": "user-55", "wallet_type": "wavepay", "direction": "ingoing",
        "created_at": "2026-11-23 10:00:00", "activated_at": "2026-11-23T10:05:00+06:30",
        "comment": "ဝေ့ပေး \u{2028} https://x.example/p?q=1"
    });
    let flat = signer.sign_flat(&transaction).unwrap();
    let batch = signer
        .sign_batch(&serde_json::json!([transaction, {"status": "failed", "id": "7"}]))
        .unwrap();
    put("paykassma_postback", "flat", flat.as_bytes());
    put("paykassma_postback", "batch", batch.as_bytes());
    put("php_json", "flat", flat.as_bytes());
    put("php_json", "batch", batch.as_bytes());
    put(
        "php_json",
        "numbers",
        br#"[0, -0, -0.0, 1.0, 500.50, 1e17, 1E-5, 9223372036854775808, 1.7976931348623157e308, 5e-324, {"\/\u00e9\ud83d\ude00\u2028": [[], {}]}]"#,
    );
    put(
        "paykassma_signed_postback",
        "some",
        b"success\x00\x03\x01a\x02\x07\x01\x01b\x03\x00",
    );

    let ci = fuzz_targets::ALLPAY_CASH_IN_NS;
    let tm = fuzz_targets::ALLPAY_TM_NS;
    let check_user = format!(
        r#"<ns2:checkUserResponse xmlns:ns2="{ci}"><return><header><userMessage>Операция выполнена</userMessage><developerMessage>OK</developerMessage><status>0</status><timestamp>2026-11-23T10:00:00+05:00</timestamp></header><basicUserInfo><identified>true</identified><IIN>900101300123</IIN><firstName>Айгерим</firstName><lastName>Сапарова</lastName></basicUserInfo></return></ns2:checkUserResponse>"#
    );
    let complete = format!(
        r#"<ns2:completeTransactionResponse xmlns:ns2="{tm}"><return><header><status>0</status><timestamp>2026-11-23T10:00:00+05:00</timestamp></header><transaction><id>42</id><GUID>{{67e55044-10b1-426f-9247-bb680e5fe0c8}}</GUID><status>COMPLETED</status><amount>1500.50</amount></transaction></return></ns2:completeTransactionResponse>"#
    );
    for (selector, name, content) in [(0u8, "check-user", &check_user), (1, "complete", &complete)]
    {
        let mut body_seed = vec![selector];
        body_seed.extend_from_slice(content.as_bytes());
        put("allpay_body_readers", name, &body_seed);
        let signed = fuzz_targets::allpay_signed_answer(selector, content);
        let mut answer = vec![selector];
        answer.extend_from_slice(signed.as_bytes());
        put("allpay_answers", name, &answer);
        put("c14n", name, signed.as_bytes());
    }
    let fixtures =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/allpay-soap/tests/fixtures/xmlsec1");
    for entry in std::fs::read_dir(fixtures).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "xml") {
            let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
            put("c14n", &name, &std::fs::read(&path).unwrap());
        }
    }
    put(
        "c14n",
        "namespaces",
        "<?xml version=\"1.0\"?>\n<!-- before -->\n<?pi data?>\n<a:r xmlns:a=\"urn:a\" xmlns=\"urn:d\" xmlns:u=\"urn:u\" b='2' a:c=\"&#9;&lt;\"><e xmlns=\"\"><![CDATA[<x>&]]>&#x41;\r\n</e><a:f xmlns:a=\"urn:a2\" xml:lang=\"kk\">Қазақ</a:f><!-- c --></a:r>\n<!-- after -->".as_bytes(),
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(sandboxes::record_all());
}

fn put(target: &str, name: &str, data: &[u8]) {
    let dir = corpus_dir().join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
}

/// Whole payments through each provider's sandbox, every answer recorded.
mod sandboxes {
    use std::sync::{Arc, Mutex};

    use payments_core::sandbox::{SandboxHandler, SandboxRequest, SandboxResponse, SandboxServer};
    use payments_core::{Currency, Money, async_trait};

    /// Forwards every request to `upstream` and keeps each answer.
    struct Recorder {
        upstream: String,
        http: payments_core::http::HttpClient,
        answers: Mutex<Vec<(SandboxRequest, u16, bytes::Bytes)>>,
    }

    /// Forwarded once each: never retried.
    const FORWARD: payments_core::Operation =
        payments_core::Operation::money_moving("seeds", "forward");

    #[async_trait]
    impl SandboxHandler for Recorder {
        fn operation(&self, _: &SandboxRequest) -> String {
            "recorded".to_owned()
        }

        async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
            let mut url = format!("{}{}", self.upstream, request.path);
            if let Some(query) = &request.query {
                url.push('?');
                url.push_str(query);
            }
            let url = tr_qr_wallet::url::Url::parse(&url).unwrap();
            let mut forward = payments_core::http::Request::new(request.method.clone(), url);
            for (name, value) in &request.headers {
                if name != http::header::HOST && name != http::header::CONTENT_LENGTH {
                    forward = forward.header(name.clone(), value.clone());
                }
            }
            if !request.body.is_empty() {
                forward = forward.body(content_type(&request.headers), request.body.clone());
            }
            let answer = self.http.execute(FORWARD, None, &forward).await.unwrap();
            let content_type = content_type(&answer.headers);
            self.answers
                .lock()
                .unwrap()
                .push((request, answer.status, answer.body.clone()));
            SandboxResponse {
                status: answer.status,
                headers: vec![(http::header::CONTENT_TYPE, content_type)],
                body: answer.body,
            }
        }
    }

    fn content_type(headers: &http::HeaderMap) -> http::HeaderValue {
        headers
            .get(http::header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(http::HeaderValue::from_static("application/octet-stream"))
    }

    /// A recording proxy in front of `upstream` (a sandbox's base URL).
    async fn recorder(upstream: &str) -> (Arc<Recorder>, SandboxServer) {
        let recorder = Arc::new(Recorder {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: payments_core::http::HttpClient::new(
                "seeds/1",
                payments_core::http::HttpConfig::default(),
                payments_core::Scrubber::new(),
            )
            .unwrap(),
            answers: Mutex::new(Vec::new()),
        });
        let server = SandboxServer::start(recorder.clone()).await.unwrap();
        (recorder, server)
    }

    /// `url` (a sandbox's) with the proxy's port in place of the sandbox's.
    fn proxied(url: &str, proxy: &SandboxServer) -> String {
        let port = url
            .split(':')
            .nth(2)
            .and_then(|rest| rest.split('/').next())
            .unwrap();
        url.replace(&format!(":{port}"), &format!(":{}", proxy.addr().port()))
    }

    /// A seed per recorded answer: the selector byte (operation and HTTP
    /// status as the targets read them), then the body.
    fn keep(
        target: &str,
        provider: &str,
        answers: &[(SandboxRequest, u16, bytes::Bytes)],
        select: impl Fn(&SandboxRequest) -> Option<u8>,
    ) {
        for (i, (request, status, body)) in answers.iter().enumerate() {
            let Some(operation) = select(request) else {
                continue;
            };
            let mut seed = vec![fuzz_targets::selector(operation, *status)];
            seed.extend_from_slice(body);
            super::put(target, &format!("sandbox-{provider}-{i}"), &seed);
        }
    }

    fn body_has(request: &SandboxRequest, needle: &str) -> bool {
        request
            .body
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    }

    pub(super) async fn record_all() {
        jawali().await;
        paykassma().await;
        tr_qr_wallet().await;
        allpay().await;
    }

    async fn jawali() {
        let sandbox = jawali::sandbox::JawaliSandbox::start().await.unwrap();
        let mut config = sandbox.config();
        let jawali::JawaliConfig { environment, .. } = &config;
        let payments_core::Environment::Custom(base) = environment else {
            panic!("the sandbox's environment is a custom URL");
        };
        let base = base.as_url().as_str().to_owned();
        let (recorded, proxy) = recorder(&base).await;
        config.environment = payments_core::Environment::Custom(
            payments_core::http::BaseUrl::parse(&proxied(&base, &proxy)).unwrap(),
        );
        let client = jawali::JawaliClient::new(config).unwrap();
        let amount = Money::parse("1500", Currency::YER).unwrap();
        let mobile = jawali::MobileNumber::new("771234567").unwrap();
        let voucher = sandbox.create_voucher(amount, &mobile);
        let order = jawali::VoucherPayment::new(
            jawali::OrderId::generate(),
            voucher.as_str(),
            mobile.as_str(),
            amount,
        )
        .unwrap();
        payments_core::pay(&client, order).await.unwrap();
        let _ = client.balance().await.unwrap();
        let today = jawali::time::OffsetDateTime::now_utc().date();
        let _ = client
            .statement(today.previous_day().unwrap(), today)
            .await
            .unwrap();
        let unknown = client.new_reference().unwrap();
        let _ = client.check_status(&unknown).await;
        let answers = recorded.answers.lock().unwrap();
        keep("jawali_answers", "jawali", &answers, |request| {
            [
                "PAYAG.ECOMMERCEINQUIRY",
                "PAYAG.ECOMMCASHOUT",
                "PAYAG.AGENTCHECKSTATUS",
                "PAYAG.AGENTSTATEMENT",
                "PAYAG.AGENTBALANCEINQUIRY",
            ]
            .iter()
            .position(|service| body_has(request, service))
            .and_then(|i| u8::try_from(i).ok())
        });
    }

    async fn paykassma() {
        let (sandbox, inbox, _endpoint) =
            paykassma::sandbox::start_with_inbox(paykassma::sandbox::SandboxOptions::default())
                .await
                .unwrap();
        let mut config = sandbox.config();
        let base = config.api_url.as_url().as_str().to_owned();
        let (recorded, proxy) = recorder(&base).await;
        config.api_url = payments_core::http::BaseUrl::parse(&proxied(&base, &proxy)).unwrap();
        let client = paykassma::PaykassmaClient::new(config).unwrap();
        let order = sandbox
            .paid_deposit(
                &client,
                paykassma::Label::new("user-55").unwrap(),
                Money::parse("500", Currency::MMK).unwrap(),
            )
            .await
            .unwrap();
        let gateway =
            paykassma::PaykassmaGateway::new(client, inbox, std::time::Duration::from_secs(5));
        payments_core::pay(&gateway, order).await.unwrap();
        let answers = recorded.answers.lock().unwrap();
        keep("paykassma_answers", "paykassma", &answers, |request| {
            if request.path.contains("activate") {
                Some(1)
            } else if request.path.contains("create") || body_has(request, "\"label\"") {
                Some(0)
            } else {
                None
            }
        });
    }

    async fn tr_qr_wallet() {
        let sandbox = tr_qr_wallet::sandbox::QrWalletSandbox::start()
            .await
            .unwrap();
        let wallet = tr_qr_wallet::WalletNumber::new("1011179271").unwrap();
        sandbox.add_wallet(
            &wallet,
            Money::parse("100", Currency::TRY).unwrap(),
            Money::parse("1250", Currency::TRY).unwrap(),
        );
        let mut config = sandbox.config();
        let base = config.api_url.as_url().as_str().to_owned();
        let (recorded, proxy) = recorder(&base).await;
        config.api_url = payments_core::http::BaseUrl::parse(&proxied(&base, &proxy)).unwrap();
        config.token_url =
            tr_qr_wallet::url::Url::parse(&proxied(config.token_url.as_str(), &proxy)).unwrap();
        let client = tr_qr_wallet::QrWalletClient::new(config).unwrap();
        let qr = sandbox.pos_creates_qr(Money::parse("12.50", Currency::TRY).unwrap());
        let order = tr_qr_wallet::QrPayment::new(
            tr_qr_wallet::OrderId::generate(),
            wallet,
            qr,
            tr_qr_wallet::QrCodeType::Default,
        );
        payments_core::pay(&client, order).await.unwrap();
        let answers = recorded.answers.lock().unwrap();
        keep("tr_qr_answers", "tr-qr-wallet", &answers, |request| {
            let path = request.path.to_ascii_lowercase();
            if path.contains("begin") {
                Some(0)
            } else if path.contains("complete") {
                Some(1)
            } else {
                None
            }
        });
    }

    async fn allpay() {
        let sandbox = allpay_soap::sandbox::AllpaySandbox::start().await.unwrap();
        let mut config = sandbox.config();
        let base = config.base_url.as_url().as_str().to_owned();
        let (recorded, proxy) = recorder(&base).await;
        config.base_url = payments_core::http::BaseUrl::parse(&proxied(&base, &proxy)).unwrap();
        config.terminal_schedule.initial_backoff = std::time::Duration::from_millis(20);
        let client = allpay_soap::AllpayClient::new(config).unwrap();
        let user = allpay_soap::UserName::new("77011234567").unwrap();
        let _ = client.check_user(&user).await.unwrap();
        let order = allpay_soap::CashInOrder::new(
            allpay_soap::OrderId::generate(),
            user,
            Money::parse("1500", Currency::KZT).unwrap(),
        );
        payments_core::pay(&client, order).await.unwrap();
        let answers = recorded.answers.lock().unwrap();
        for (i, (request, status, body)) in answers.iter().enumerate() {
            let text = String::from_utf8_lossy(body);
            let selector =
                fuzz_targets::selector(u8::from(!body_has(request, "checkUser")), *status);
            // The whole signed answer, and its Body's content alone.
            let mut seed = vec![selector];
            seed.extend_from_slice(body);
            super::put("allpay_answers", &format!("sandbox-allpay-{i}"), &seed);
            super::put("c14n", &format!("sandbox-allpay-{i}"), body);
            // The Body's content, with the namespaces the Body declares
            // moved onto its first element.
            let start = text.find(":Body").unwrap();
            let open_end = start + text[start..].find('>').unwrap();
            let declarations = &text[start + ":Body".len()..open_end];
            let close = text.rfind("</").unwrap();
            let content = &text[open_end + 1..close];
            let content = content.rsplit_once("</").map_or(content, |(c, _)| c);
            let name_end = content
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap();
            let content = format!(
                "{}{declarations}{}",
                &content[..name_end],
                &content[name_end..]
            );
            let mut seed = vec![selector];
            seed.extend_from_slice(content.as_bytes());
            super::put("allpay_body_readers", &format!("sandbox-allpay-{i}"), &seed);
        }
    }
}
