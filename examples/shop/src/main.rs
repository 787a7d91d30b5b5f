//! A shop taking Jawali vouchers and Paykassma deposits, as a merchant
//! writes it: an axum service over `jawali` and `paykassma` alone (no
//! `payments_core`, no serde of its own), against the crates' embedded
//! sandboxes.
//!
//! - Every failure is returned as the SDK's `Error` in JSON (it is
//!   `Serialize`), with the HTTP status chosen by `Error::code()`.
//! - A payment whose outcome is unknown answers 202 with its reference;
//!   `POST /payments/{provider}/{reference}/settle` settles it with one
//!   call (`client.settle(reference)`).
//! - Paykassma's postbacks are served by the ready router
//!   (`paykassma::axum_postbacks::router`).
//!
//! `shop --self-test` starts the sandboxes and the shop on loopback, walks
//! every path over HTTP and exits 0 only when each answered as it must.
//! `shop` alone serves on 127.0.0.1:8080 against the sandboxes.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use jawali::sandbox::JawaliSandbox;
use jawali::{Currency, Error, JawaliClient, Money, OrderId, RetryPolicy, VoucherPayment};
use paykassma::postback::PostbackVerifier;
use paykassma::sandbox::PaykassmaSandbox;
use paykassma::serde_json::{Value, json};
use paykassma::{
    DepositOrder, Label, PaykassmaClient, PaykassmaGateway, PostbackInbox, TransactionNumber,
    WalletType,
};

/// What the handlers share: cheap clones of the clients.
#[derive(Clone)]
struct Shop {
    jawali: JawaliClient,
    paykassma: PaykassmaGateway,
}

/// A failure as the frontend gets it: an SDK error with the status chosen
/// by its stable code and the error itself as JSON (code, message,
/// reference, diagnostics…), or the shop's own failure.
enum ApiError {
    Sdk(Error),
    /// A payment task that did not finish (it panicked or was cancelled).
    Task,
}

impl From<Error> for ApiError {
    fn from(error: Error) -> Self {
        ApiError::Sdk(error)
    }
}

impl From<jawali::MoneyError> for ApiError {
    fn from(error: jawali::MoneyError) -> Self {
        ApiError::Sdk(error.into())
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(_: tokio::task::JoinError) -> Self {
        ApiError::Task
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error = match self {
            ApiError::Sdk(error) => error,
            ApiError::Task => {
                let body =
                    json!({"code": "internal", "message": "the payment task did not finish"});
                return (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response();
            }
        };
        let status = match error.code() {
            "invalid_input" => StatusCode::UNPROCESSABLE_ENTITY,
            // The customer's to fix: a refusal, a voucher for other money.
            "declined" | "terms_mismatch" => StatusCode::PAYMENT_REQUIRED,
            // Accepted, not finished: settle it by its reference.
            "outcome_unknown" => StatusCode::ACCEPTED,
            // Money moved on other terms: for a person.
            "integrity_mismatch" => StatusCode::CONFLICT,
            "not_sent" | "transport" | "http" | "undecodable_response" => StatusCode::BAD_GATEWAY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(&error)).into_response()
    }
}

type Answer = Result<Json<Value>, ApiError>;

/// A text field of the request body (`""` when absent: the SDK refuses it
/// by name).
fn text<'a>(body: &'a Value, field: &str) -> &'a str {
    body.get(field).and_then(Value::as_str).unwrap_or_default()
}

fn outcome(outcome: &jawali::PaymentOutcome) -> Json<Value> {
    Json(json!({ "paid": outcome.status == jawali::PaymentStatus::Completed, "outcome": outcome }))
}

/// `POST /jawali/orders/{order_id}/pay` `{"voucher", "mobile", "amount"}`.
async fn pay_voucher(
    State(shop): State<Shop>,
    Path(order_id): Path<String>,
    Json(body): Json<Value>,
) -> Answer {
    let order = VoucherPayment::new(
        OrderId::new(order_id)?,
        text(&body, "voucher"),
        text(&body, "mobile"),
        Money::parse(text(&body, "amount"), Currency::YER)?,
    )?;
    // Spawned: the payment runs to its end even if the client goes away.
    let paid = tokio::spawn(async move { jawali::pay(&shop.jawali, order).await }).await??;
    Ok(outcome(&paid))
}

/// `POST /paykassma/deposits` `{"label"}`: the wallet the user pays into.
async fn open_deposit(State(shop): State<Shop>, Json(body): Json<Value>) -> Answer {
    let label = Label::new(text(&body, "label"))?;
    let wallet = shop
        .paykassma
        .client()
        .create_deposit(&label, Currency::MMK)
        .await?;
    Ok(Json(json!({ "wallet": wallet })))
}

/// `POST /paykassma/orders/{order_id}/activate` `{"label", "key1", "amount"}`.
async fn activate_deposit(
    State(shop): State<Shop>,
    Path(order_id): Path<String>,
    Json(body): Json<Value>,
) -> Answer {
    let order = DepositOrder::new(
        OrderId::new(order_id)?,
        Label::new(text(&body, "label"))?,
        WalletType::WAVEPAY,
        TransactionNumber::new(text(&body, "key1"))?,
        Money::parse(text(&body, "amount"), Currency::MMK)?,
    );
    let paid = tokio::spawn(async move { paykassma::pay(&shop.paykassma, order).await }).await??;
    Ok(outcome(&paid))
}

/// `POST /payments/{provider}/{reference}/settle`: one call settles an
/// unknown payment, by the reference its error gave.
async fn settle(
    State(shop): State<Shop>,
    Path((provider, reference)): Path<(String, String)>,
) -> Answer {
    let settled = match provider.as_str() {
        "jawali" => shop.jawali.settle(&reference).await?,
        "paykassma" => shop.paykassma.settle(&reference).await?,
        _ => {
            return Ok(Json(
                json!({ "code": "not_found", "message": format!("no provider `{provider}`") }),
            ));
        }
    };
    Ok(outcome(&settled))
}

fn app(shop: Shop, inbox: Arc<PostbackInbox>) -> Router {
    Router::new()
        .route("/jawali/orders/{order_id}/pay", post(pay_voucher))
        .route("/paykassma/deposits", post(open_deposit))
        .route(
            "/paykassma/orders/{order_id}/activate",
            post(activate_deposit),
        )
        .route("/payments/{provider}/{reference}/settle", post(settle))
        .with_state(shop)
        .nest(
            "/paykassma/postbacks",
            paykassma::axum_postbacks::router(inbox),
        )
}

/// The sandboxes, the clients over them, and the shop on `address`.
struct Running {
    jawali: JawaliSandbox,
    paykassma: PaykassmaSandbox,
    base: String,
}

async fn start(address: &str) -> Result<Running, Box<dyn std::error::Error>> {
    let jawali_sandbox = JawaliSandbox::start().await?;
    let jawali = JawaliClient::builder(jawali_sandbox.config())
        // A short settle schedule, so that the self-test sees an unknown
        // outcome quickly (production keeps the default).
        .settle_policy(RetryPolicy::new(
            3,
            Duration::from_millis(20),
            Duration::from_millis(50),
        ))
        .build()?;
    let paykassma_sandbox = PaykassmaSandbox::start().await?;
    let inbox = Arc::new(PostbackInbox::new(PostbackVerifier::new(
        PaykassmaSandbox::postback_keys(),
    )));
    let gateway = PaykassmaGateway::new(
        PaykassmaClient::new(paykassma_sandbox.config())?,
        Arc::clone(&inbox),
        Duration::from_secs(5),
    );
    let listener = tokio::net::TcpListener::bind(address).await?;
    let base = format!("http://{}", listener.local_addr()?);
    paykassma_sandbox.set_postback_url(format!("{base}/paykassma/postbacks").parse()?);
    let shop = Shop {
        jawali,
        paykassma: gateway,
    };
    tokio::spawn(async move { axum::serve(listener, app(shop, inbox)).await });
    Ok(Running {
        jawali: jawali_sandbox,
        paykassma: paykassma_sandbox,
        base,
    })
}

/// One request to the shop: its status and JSON body.
async fn call(
    http: &jawali::reqwest::Client,
    url: String,
    body: Value,
) -> Result<(u16, Value), Box<dyn std::error::Error>> {
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    let status = response.status().as_u16();
    let body = response.bytes().await?;
    Ok((status, paykassma::serde_json::from_slice(&body)?))
}

/// Walks every path; `Err` names the first that answered wrongly.
async fn self_test(shop: &Running) -> Result<(), Box<dyn std::error::Error>> {
    let http = jawali::reqwest::Client::new();
    let base = &shop.base;
    let mobile = jawali::MobileNumber::new("771234567")?;
    let yer = |amount: &str| Money::parse(amount, Currency::YER);
    let check = |what: &str, ok: bool, answer: &Value| -> Result<(), String> {
        if ok {
            println!("ok    {what}");
            Ok(())
        } else {
            Err(format!("{what}: {answer}"))
        }
    };

    // A voucher paid.
    let voucher = shop.jawali.create_voucher(yer("1500")?, &mobile);
    let body = json!({"voucher": voucher.as_str(), "mobile": "771234567", "amount": "1500"});
    let (status, answer) =
        call(&http, format!("{base}/jawali/orders/o-1/pay"), body.clone()).await?;
    check(
        "jawali: a voucher is paid",
        status == 200 && answer["paid"] == true,
        &answer,
    )?;

    // The same voucher for another order: refused, the kind by name.
    let (status, answer) = call(&http, format!("{base}/jawali/orders/o-2/pay"), body).await?;
    check(
        "jawali: a used voucher is declined as already_used",
        status == 402
            && answer["code"] == "declined"
            && answer["decline"]["kind"] == "already_used",
        &answer,
    )?;

    // A voucher for other money: nothing paid, both amounts as money.
    let voucher = shop.jawali.create_voucher(yer("1000")?, &mobile);
    let body = json!({"voucher": voucher.as_str(), "mobile": "771234567", "amount": "1500"});
    let (status, answer) = call(&http, format!("{base}/jawali/orders/o-3/pay"), body).await?;
    check(
        "jawali: a voucher for other money is a terms mismatch",
        status == 402
            && answer["code"] == "terms_mismatch"
            && answer["outcome_known"] == true
            && answer["actual"]["amount"] == "1000.00",
        &answer,
    )?;

    // Refused input names its field.
    let body = json!({"voucher": "8412345", "mobile": "771234567", "amount": "-5"});
    let (status, answer) = call(&http, format!("{base}/jawali/orders/o-4/pay"), body).await?;
    check(
        "jawali: bad input is refused by name",
        status == 422 && answer["code"] == "invalid_input" && answer["field"] == "amount",
        &answer,
    )?;

    // The cash-out's answer lost and every lookup failing: unknown, then
    // settled with one call by the reference the error gave.
    let voucher = shop.jawali.create_voucher(yer("700")?, &mobile);
    shop.jawali
        .faults()
        .inject("cash_out", jawali::Fault::DropAfterCommit);
    shop.jawali.faults().inject_times(
        Some("check_status".to_owned()),
        jawali::Fault::Status(503),
        100,
    );
    let body = json!({"voucher": voucher.as_str(), "mobile": "771234567", "amount": "700"});
    let (status, answer) = call(&http, format!("{base}/jawali/orders/o-5/pay"), body).await?;
    check(
        "jawali: a lost answer is an unknown outcome with its reference",
        status == 202 && answer["code"] == "outcome_unknown" && answer["reference"].is_string(),
        &answer,
    )?;
    shop.jawali.faults().clear();
    let reference = answer["reference"].as_str().unwrap_or_default();
    let (status, answer) = call(
        &http,
        format!("{base}/payments/jawali/{reference}/settle"),
        Value::Null,
    )
    .await?;
    check(
        "jawali: one call settles it",
        status == 200 && answer["paid"] == true && shop.jawali.cash_outs().len() == 2,
        &answer,
    )?;

    // A Paykassma deposit: the wallet, the user's payment, the activation,
    // and the postback through the ready router.
    let (status, answer) = call(
        &http,
        format!("{base}/paykassma/deposits"),
        json!({"label": "user-55"}),
    )
    .await?;
    let wallet = answer["wallet"]["identifier"].as_str().unwrap_or_default();
    check(
        "paykassma: a wallet to pay into",
        status == 200 && !wallet.is_empty(),
        &answer,
    )?;
    let key1 = shop
        .paykassma
        .customer_pays(wallet, Money::parse("500", Currency::MMK)?);
    let body = json!({"label": "user-55", "key1": key1.as_str(), "amount": "500"});
    let (status, answer) =
        call(&http, format!("{base}/paykassma/orders/d-1/activate"), body).await?;
    check(
        "paykassma: a deposit is paid",
        status == 200 && answer["paid"] == true,
        &answer,
    )?;
    let delivered = tokio::time::timeout(Duration::from_secs(5), async {
        while shop.paykassma.deliveries().iter().all(|d| !d.acknowledged) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    check(
        "paykassma: its postback is acknowledged by the ready router",
        delivered.is_ok(),
        &json!(format!("{:?}", shop.paykassma.deliveries())),
    )?;

    // A repeat of the order answers the same payment: one credit.
    let body = json!({"label": "user-55", "key1": key1.as_str(), "amount": "500"});
    let (status, answer) =
        call(&http, format!("{base}/paykassma/orders/d-1/activate"), body).await?;
    check(
        "paykassma: a repeated order is the same payment",
        status == 200 && answer["paid"] == true && shop.paykassma.credited().len() == 1,
        &answer,
    )?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let self_testing = std::env::args().any(|a| a == "--self-test");
    let address = if self_testing {
        "127.0.0.1:0"
    } else {
        "127.0.0.1:8080"
    };
    let shop = match start(address).await {
        Ok(shop) => shop,
        Err(error) => {
            eprintln!("shop: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    if !self_testing {
        println!("shop: serving on {}", shop.base);
        let _ = tokio::signal::ctrl_c().await;
        return ExitCode::SUCCESS;
    }
    match self_test(&shop).await {
        Ok(()) => {
            println!("shop: every path answered as it must");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("shop: {error}");
            ExitCode::FAILURE
        }
    }
}
