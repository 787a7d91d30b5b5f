//! Each Jawali operation's request building and answer reading, as the
//! client runs them (`jawali::codec`), against a hand-written minimal serde
//! client doing the same work on the same bytes: the same request body, the
//! same answer read into the same values (amounts as exact decimals).
//! `cargo xtask bench` prints the ratios; `cargo test --benches` runs each
//! once.

use std::alloc::System;
use std::hint::black_box;

use bench_support::criterion::{Criterion, criterion_group, criterion_main};
use bench_support::{INSTRUMENTED_SYSTEM, StatsAlloc, compare};
use jawali::payments_core::http::RawResponse;
use jawali::reqwest;
use jawali::{
    BaseUrl, CashOut, Currency, JawaliClient, MerchantReference, MobileNumber, Money, SecretString,
    VoucherCode, codec,
};
use serde_json::value::RawValue;

mod baseline;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const INQUIRY_ANSWER: &str = r#"{"responseStatus":{"systemStatus":"0","systemStatusDesc":"Success","systemStatusDescNative":"تمت العملية بنجاح"},"responseBody":{"txnamount":1500,"txncurrency":"YER","state":"PENDING","issuerTrxRef":"ISS-77","receiverMobile":"771234567","senderMobile":"733000001","trxDate":"2026-11-23 10:00:00"}}"#;
const CASH_OUT_ANSWER: &str = r#"{"responseStatus":{"systemStatus":"0","systemStatusDesc":"Success","systemStatusDescNative":"تمت العملية بنجاح"},"responseBody":{"amount":1500.5,"refId":"order-1","issuerRef":"9876543210","currency":"YER","balance":25000.5,"status":"ACCEPTED"}}"#;
const STATUS_ANSWER: &str = r#"{"responseStatus":{"systemStatus":"0","systemStatusDesc":"Success","systemStatusDescNative":"تمت العملية بنجاح"},"responseBody":{"refId":"order-1","status":"SUCCESS","amount":1500,"currency":"YER","issuerRef":"ISS-1"}}"#;
const STATEMENT_ANSWER: &str = r#"{"responseStatus":{"systemStatus":"0","systemStatusDesc":"Success","systemStatusDescNative":"تمت العملية بنجاح"},"responseBody":{"transactions":[{"refId":"order-1","issuerRef":"ISS-1","amount":1500,"currency":"YER","description":"ECOMMCASHOUT","trxDate":"2026-11-20 12:00:00","balance":1500},{"refId":"order-2","amount":-250.75,"currency":"YER","description":"ECOMMCASHOUT"}]}}"#;
const BALANCE_ANSWER: &str = r#"{"responseStatus":{"systemStatus":"0","systemStatusDesc":"Success","systemStatusDescNative":"تمت العملية بنجاح"},"responseBody":{"balance":125000.25,"currency":"YER"}}"#;

fn client() -> JawaliClient {
    baseline::sdk_client(BaseUrl::parse("https://jawali.example/paygate").unwrap())
}

fn benches(c: &mut Criterion) {
    let client = client();
    let http = reqwest::Client::new();
    let url = reqwest::Url::parse("https://jawali.example/paygate/v1/ws/callWS").unwrap();
    let access = SecretString::from("access-token-0123456789");
    let wallet = SecretString::from("wallet-token-0123456789");
    let voucher = VoucherCode::new("483920").unwrap();
    let mobile = MobileNumber::new("771234567").unwrap();
    let reference = MerchantReference::new("order-1", &jawali::REF_ID_RULES).unwrap();
    let yer = |a: &str| Money::parse(a, Currency::YER).unwrap();
    let cash_out = CashOut {
        voucher: voucher.clone(),
        customer_mobile: mobile.clone(),
        amount: yer("1500.50"),
        reference: reference.clone(),
        purpose: None,
    };

    // --- inquiry
    let sdk_inquiry = || {
        let request =
            codec::inquiry_request(&client, &access, &wallet, &voucher, &mobile, &reference)
                .unwrap();
        let voucher = codec::inquiry_answer(
            &client,
            &RawResponse::new(200, INQUIRY_ANSWER.as_bytes()),
            &voucher,
        )
        .unwrap();
        (request, voucher)
    };
    let baseline_inquiry = || {
        let body = baseline::call(
            &http,
            &url,
            "PAYAG.ECOMMERCEINQUIRY",
            baseline::inquiry("order-1"),
        );
        let answer: baseline::InquiryAnswer = baseline::read(INQUIRY_ANSWER.as_bytes());
        let amount = baseline::money(answer.txnamount, &answer.txncurrency);
        (body, answer, amount)
    };
    let (request, parsed) = sdk_inquiry();
    let (body, answer, amount) = baseline_inquiry();
    baseline::same_request(&request, &body);
    assert_eq!(parsed.amount, amount);
    assert_eq!(
        parsed.issuer_reference.unwrap().as_str(),
        answer.issuer_trx_ref.unwrap()
    );
    assert_eq!(answer.state, "PENDING");
    assert_eq!(
        (parsed.receiver_mobile, parsed.sender_mobile, parsed.date),
        (
            answer.receiver_mobile,
            answer.sender_mobile,
            answer.trx_date
        )
    );
    compare(
        c,
        GLOBAL,
        "jawali/inquiry",
        || drop(black_box(sdk_inquiry())),
        || drop(black_box(baseline_inquiry())),
    );

    // --- cash-out
    let sdk_cash_out = || {
        let request = codec::cash_out_request(&client, &access, &wallet, &cash_out).unwrap();
        let receipt = codec::cash_out_answer(
            &client,
            &RawResponse::new(200, CASH_OUT_ANSWER.as_bytes()),
            &cash_out,
        )
        .unwrap();
        (request, receipt)
    };
    let baseline_cash_out = || {
        // The amount written from its decimal digits, as JSON number.
        let amount_raw =
            RawValue::from_string(cash_out.amount.amount().normalize().to_string()).unwrap();
        let body = baseline::call(
            &http,
            &url,
            "PAYAG.ECOMMCASHOUT",
            baseline::CashOut {
                inquiry: baseline::inquiry("order-1"),
                amount: &amount_raw,
                currency: "YER",
            },
        );
        let answer: baseline::CashOutAnswer = baseline::read(CASH_OUT_ANSWER.as_bytes());
        let amount = baseline::money(answer.amount, &answer.currency);
        let balance = answer.balance.map(|b| baseline::money(b, &answer.currency));
        assert!(
            amount == cash_out.amount && answer.ref_id == "order-1" && answer.status == "ACCEPTED"
        );
        (body, answer, amount, balance)
    };
    let (request, receipt) = sdk_cash_out();
    let (body, answer, amount, balance) = baseline_cash_out();
    baseline::same_request(&request, &body);
    assert_eq!(
        receipt.issuer_reference.unwrap().as_str(),
        answer.issuer_ref.unwrap()
    );
    assert_eq!((receipt.amount, receipt.balance), (amount, balance));
    compare(
        c,
        GLOBAL,
        "jawali/cash_out",
        || drop(black_box(sdk_cash_out())),
        || drop(black_box(baseline_cash_out())),
    );

    // --- status
    let sdk_status = || {
        let request = codec::status_request(&client, &access, &wallet, &reference).unwrap();
        let status = codec::status_answer(
            &client,
            &RawResponse::new(200, STATUS_ANSWER.as_bytes()),
            &reference,
        )
        .unwrap();
        (request, status)
    };
    let baseline_status = || {
        let body = baseline::call(
            &http,
            &url,
            "PAYAG.AGENTCHECKSTATUS",
            baseline::Status {
                agent_wallet: "777000111",
                password: "wallet-pw",
                access_token: "wallet-token-0123456789",
                ref_id: "order-1",
            },
        );
        let answer: baseline::StatusAnswer = baseline::read(STATUS_ANSWER.as_bytes());
        let amount = answer
            .amount
            .zip(answer.currency.as_deref())
            .map(|(a, c)| baseline::money(a, c));
        (body, answer, amount)
    };
    let (request, status) = sdk_status();
    let (body, answer, amount) = baseline_status();
    baseline::same_request(&request, &body);
    assert_eq!(status.amount, amount);
    assert_eq!(
        status.issuer_reference.unwrap().as_str(),
        answer.issuer_ref.unwrap()
    );
    assert_eq!(
        (answer.ref_id.as_str(), answer.status.as_str()),
        ("order-1", "SUCCESS")
    );
    compare(
        c,
        GLOBAL,
        "jawali/status",
        || drop(black_box(sdk_status())),
        || drop(black_box(baseline_status())),
    );

    // --- statement
    let from = time::Date::from_calendar_date(2026, time::Month::November, 1).unwrap();
    let to = time::Date::from_calendar_date(2026, time::Month::November, 23).unwrap();
    let sdk_statement = || {
        let request = codec::statement_request(&client, &access, &wallet, from, to).unwrap();
        let lines =
            codec::statement_answer(&client, &RawResponse::new(200, STATEMENT_ANSWER.as_bytes()))
                .unwrap();
        (request, lines)
    };
    let baseline_statement = || {
        let body = baseline::call(
            &http,
            &url,
            "PAYAG.AGENTSTATEMENT",
            baseline::Statement {
                agent_wallet: "777000111",
                password: "wallet-pw",
                access_token: "wallet-token-0123456789",
                from_date: "2026-11-01",
                to_date: "2026-11-23",
            },
        );
        let answer: baseline::StatementAnswer = baseline::read(STATEMENT_ANSWER.as_bytes());
        let amounts: Vec<(Money, Option<Money>)> = answer
            .transactions
            .iter()
            .map(|l| {
                (
                    baseline::money(l.amount.abs(), &l.currency),
                    l.balance.map(|b| baseline::money(b, &l.currency)),
                )
            })
            .collect();
        (body, answer, amounts)
    };
    let (request, lines) = sdk_statement();
    let (body, answer, amounts) = baseline_statement();
    baseline::same_request(&request, &body);
    assert_eq!(
        lines
            .iter()
            .map(|l| (l.amount, l.balance_after))
            .collect::<Vec<_>>(),
        amounts
    );
    assert_eq!(
        lines[1].reference.as_deref(),
        answer.transactions[1].ref_id.as_deref()
    );
    assert!(answer.transactions.iter().all(|l| l.description.is_some()));
    assert_eq!(
        lines[0].issuer_reference.as_ref().map(|r| r.as_str()),
        answer.transactions[0].issuer_ref.as_deref()
    );
    assert_eq!(lines[0].date, answer.transactions[0].trx_date);
    compare(
        c,
        GLOBAL,
        "jawali/statement",
        || drop(black_box(sdk_statement())),
        || drop(black_box(baseline_statement())),
    );

    // --- balance
    let sdk_balance = || {
        let request = codec::balance_request(&client, &access, &wallet).unwrap();
        let balance =
            codec::balance_answer(&client, &RawResponse::new(200, BALANCE_ANSWER.as_bytes()))
                .unwrap();
        (request, balance)
    };
    let baseline_balance = || {
        let body = baseline::call(
            &http,
            &url,
            "PAYAG.AGENTBALANCEINQUIRY",
            baseline::Wallet {
                agent_wallet: "777000111",
                password: "wallet-pw",
                access_token: "wallet-token-0123456789",
            },
        );
        let answer: baseline::BalanceAnswer = baseline::read(BALANCE_ANSWER.as_bytes());
        (body, baseline::money(answer.balance, &answer.currency))
    };
    let (request, balance) = sdk_balance();
    let (body, available) = baseline_balance();
    baseline::same_request(&request, &body);
    assert_eq!(balance.available, available);
    compare(
        c,
        GLOBAL,
        "jawali/balance",
        || drop(black_box(sdk_balance())),
        || drop(black_box(baseline_balance())),
    );
}

criterion_group! {
    name = codec_benches;
    config = bench_support::config();
    targets = benches
}
criterion_main!(codec_benches);
