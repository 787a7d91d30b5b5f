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
    let mut total = 0;
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
        total += files.len();
    }
    // Every target has a corpus folder, and nothing else is there.
    let folders = std::fs::read_dir(corpus_dir()).unwrap().count();
    assert_eq!(folders, TARGETS.len(), "a corpus folder without a target");
    assert!(total >= TARGETS.len());
}

/// Writes the seeds that need the crates' own signers (postbacks, signed
/// Allpay answers) and the XML and JSON seeds:
/// `cargo test -p fuzz-targets --test corpus_replay -- --ignored write_seeds`.
#[test]
#[ignore = "writes the signed seed files into fuzz/corpus"]
fn write_seeds() {
    use allpay_soap::dsig::{SigningKey, sign_envelope};
    use paykassma::postback::{PostbackKeys, PostbackSigner};
    use payments_core::SecretString;

    fn put(target: &str, name: &str, data: &[u8]) {
        let dir = corpus_dir().join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
    }

    let signer = PostbackSigner::new(PostbackKeys::new(
        SecretString::from("access-key"),
        SecretString::from("private-key"),
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
    let key = SigningKey::from_pem(allpay_soap::sandbox::allpay_private_key()).unwrap();
    for (selector, name, content) in [(0u8, "check-user", &check_user), (1, "complete", &complete)]
    {
        let mut signed_seed = vec![selector];
        signed_seed.extend_from_slice(content.as_bytes());
        put("allpay_body_readers", name, &signed_seed);
        let envelope = format!(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Header><requestDsig xmlns="https://allpay.kz">AAAA</requestDsig></soapenv:Header><soapenv:Body>{content}</soapenv:Body></soapenv:Envelope>"#
        );
        let signed = sign_envelope(&envelope, &key).unwrap().xml;
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
}
