//! The simulator's HTTP front: routing, reading requests, and answering in
//! the wallet API's envelope.

use std::sync::Arc;
use std::time::SystemTime;

use payments_core::clock::Clock;
use payments_core::sandbox::{SandboxHandler, SandboxRequest, SandboxResponse};
use payments_core::wire::{DecimalStyle, JsonNumber, decimal_from_number_or_string};
use payments_core::{Currency, Decimal, Money, async_trait};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::macros::{format_description, offset};

use super::ledger::{Begun, Completed, Refusal, Shared};
use super::{CLIENT_ID, CLIENT_SECRET, MERCHANT_CODE, PROVIDER_ID, TERMINAL_CODE, X_CLIENT_ID};

/// The HTTP handler over the simulator's state.
pub(super) struct Simulator(pub(super) Arc<Shared>);

#[derive(Serialize)]
struct Envelope<P> {
    status: i32,
    code: &'static str,
    message: Option<String>,
    payload: Option<P>,
}

fn ok<P: Serialize>(message: Option<&str>, payload: P) -> SandboxResponse {
    SandboxResponse::json(
        200,
        &Envelope {
            status: 0,
            code: "100",
            message: message.map(str::to_owned),
            payload: Some(payload),
        },
    )
}

fn refuse(code: &'static str, message: &str) -> SandboxResponse {
    SandboxResponse::json(
        200,
        &Envelope::<()> {
            status: 1,
            code,
            message: Some(message.to_owned()),
            payload: None,
        },
    )
}

fn local(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .to_offset(offset!(+3))
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:2]"
        ))
        .unwrap_or_default()
}

fn four(amount: Money) -> JsonNumber {
    JsonNumber::new(amount.amount(), DecimalStyle::Fixed(4))
}

#[derive(Deserialize)]
struct BeginRequest {
    wallet_number: String,
    provider_id: String,
    qr_code: String,
    qr_code_type: u8,
}

#[derive(Deserialize)]
struct CompleteRequest {
    wallet_number: String,
    provider_id: String,
    tx_correlation_id: Box<RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CreateQrData {
    merchant_code: String,
    terminal_code: String,
    #[serde(deserialize_with = "decimal_from_number_or_string")]
    transaction_amount: Decimal,
}

#[derive(Deserialize)]
struct CreateQrRequest {
    provider_id: String,
    data: CreateQrData,
}

#[async_trait]
impl SandboxHandler for Simulator {
    fn operation(&self, request: &SandboxRequest) -> String {
        match request.path.as_str() {
            "/connect/token" => "token",
            "/v1/Transaction/Create3rdPartyQrCode" => "create_qr_code",
            "/v1/Transaction/Begin3rdPartyQRCodePayment" => "begin",
            "/v1/Transaction/Complete3rdPartyQRCodePayment" => "complete",
            _ => "other",
        }
        .to_owned()
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        if request.path == "/connect/token" {
            return self.token(&request);
        }
        let now = self.0.clock.now();
        if !self.0.authorises(request.bearer(), now) {
            return SandboxResponse::with_type(
                401,
                "application/json",
                r#"{"message":"Unauthorized"}"#,
            );
        }
        if request.header("x-client-id") != Some(X_CLIENT_ID) {
            return SandboxResponse::json(
                403,
                &Envelope::<()> {
                    status: 1,
                    code: "403",
                    message: Some("invalid x-client-id".into()),
                    payload: None,
                },
            );
        }
        match request.path.as_str() {
            "/v1/Transaction/Create3rdPartyQrCode" => self.create_qr(&request, now),
            "/v1/Transaction/Begin3rdPartyQRCodePayment" => self.begin(&request, now),
            "/v1/Transaction/Complete3rdPartyQRCodePayment" => self.complete(&request, now),
            _ => {
                SandboxResponse::with_type(404, "text/html", "<html><body>Not Found</body></html>")
            }
        }
    }
}

impl Simulator {
    fn token(&self, request: &SandboxRequest) -> SandboxResponse {
        let field = |name| request.form_field(name).unwrap_or_default();
        if field("grant_type") != "client_credentials"
            || field("client_id") != CLIENT_ID
            || field("client_secret") != CLIENT_SECRET
        {
            return SandboxResponse::json(400, &serde_json::json!({"error": "invalid_client"}));
        }
        let token = self.0.issue_token();
        SandboxResponse::json(
            200,
            &serde_json::json!({"access_token": token, "token_type": "Bearer", "expires_in": self.0.options.token_ttl.as_secs(), "scope": field("scope")}),
        )
    }

    fn create_qr(&self, request: &SandboxRequest, now: SystemTime) -> SandboxResponse {
        let Ok(body) = request.json::<CreateQrRequest>() else {
            return refuse(
                "400",
                "provider_id and data {MerchantCode, TerminalCode, TransactionAmount} are required",
            );
        };
        if body.provider_id != PROVIDER_ID {
            return refuse("400", "unknown provider_id");
        }
        if body.data.merchant_code != MERCHANT_CODE || body.data.terminal_code != TERMINAL_CODE {
            return refuse("400", "unknown merchant or terminal");
        }
        let Ok(amount) = Money::new(body.data.transaction_amount, Currency::TRY) else {
            return refuse("400", "invalid TransactionAmount");
        };
        let (qr_code, short_code, expires) = self.0.create_qr(amount, now);
        ok(
            None,
            serde_json::json!({"qr_code": qr_code, "short_code": short_code, "expire_date": local(expires)}),
        )
    }

    fn begin(&self, request: &SandboxRequest, now: SystemTime) -> SandboxResponse {
        let Ok(body) = request.json::<BeginRequest>() else {
            return refuse(
                "400",
                "wallet_number, provider_id, qr_code and qr_code_type are required",
            );
        };
        if body.provider_id != PROVIDER_ID {
            return refuse("400", "unknown provider_id");
        }
        let Begun {
            correlation_id,
            sale_reference,
            approval,
            amount,
            expires,
        } = match self
            .0
            .begin(body.wallet_number, &body.qr_code, body.qr_code_type, now)
        {
            Ok(begun) => begun,
            Err(Refusal(code, message)) => return refuse(code, message),
        };
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct PaymentData<'a> {
            merchant_no: &'a str,
            terminal_no: &'a str,
            merchant_name: &'a str,
            brand_id: i32,
            brand_name: &'a str,
            city_name: &'a str,
            district_name: &'a str,
            request_amount: JsonNumber,
            batch_no: i32,
            transaction_id: u64,
            product_id: i32,
            product_name: &'a str,
            kdv: &'a str,
            discount_ratio: &'a str,
            currency_id: &'a str,
            sale_ref_code: &'a str,
            session_expire_date: String,
            response_code: i32,
            response_message: &'a str,
            error_message: Option<&'a str>,
        }
        let payment_data = serde_json::to_string(&PaymentData {
            merchant_no: MERCHANT_CODE,
            terminal_no: TERMINAL_CODE,
            merchant_name: "Sandbox Cafe",
            brand_id: 0,
            brand_name: "",
            city_name: "Antalya",
            district_name: "Aksu",
            request_amount: JsonNumber::new(amount.amount(), DecimalStyle::Normalized),
            batch_no: 1,
            transaction_id: approval,
            product_id: 2,
            product_name: "RESTO %1",
            kdv: "1,00",
            discount_ratio: "0,00",
            currency_id: "1",
            sale_ref_code: &sale_reference,
            session_expire_date: local(expires),
            response_code: 0,
            response_message: "Sorgulama işlemi başarılı.",
            error_message: None,
        })
        .unwrap_or_default();
        ok(
            None,
            serde_json::json!({"tx_correlation_id": correlation_id, "payment_data": payment_data}),
        )
    }

    fn complete(&self, request: &SandboxRequest, now: SystemTime) -> SandboxResponse {
        let Ok(body) = request.json::<CompleteRequest>() else {
            return refuse(
                "400",
                "wallet_number, provider_id and tx_correlation_id are required",
            );
        };
        if body.provider_id != PROVIDER_ID {
            return refuse("400", "unknown provider_id");
        }
        let raw = body.tx_correlation_id.get();
        let correlation_id = serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.to_owned());
        let Completed {
            amount,
            balance,
            limit,
            sale_reference,
            approval,
            transaction_id,
        } = match self.0.complete(&body.wallet_number, &correlation_id, now) {
            Ok(completed) => completed,
            Err(Refusal(code, message)) => return refuse(code, message),
        };
        let zero = Money::zero(Currency::TRY);
        #[derive(Serialize)]
        struct Pair {
            available: JsonNumber,
            unavailable: JsonNumber,
        }
        let ext_order_id =
            serde_json::json!({"saleRefCode": sale_reference, "transactionId": approval})
                .to_string();
        let payload = serde_json::json!({
            "transaction_id": transaction_id,
            "transaction_amount": four(amount),
            "transaction_fee": four(zero),
            "charged_amount": four(amount),
            "ext_order_id": ext_order_id,
            "business_code": "",
            "business_name": "",
            "friendly_name": "",
            "receiver_account_number": "SANDBOXPOS01",
            "receiver_wallet_number": MERCHANT_CODE,
            "sender_wallet_info": {
                "id": "7997777777777777777",
                "name": "",
                "account_number": "SANDBOX010",
                "account_type": "Personal",
                "created_date_utc": "2021-09-20T10:52:35.5927212+00:00",
                "number": body.wallet_number,
                "phone_country_code": null,
                "phone_number": null,
                "email": null,
                "total_balance": four(balance),
                "access_level_status_id": 1,
                "access_level_status": "Aktif",
                "payment_balance": Pair { available: four(balance), unavailable: four(zero) },
                "cash_balance": Pair { available: four(zero), unavailable: four(zero) },
                "transaction_limits": {
                    "max_balance": four(limit), "topup_credit_limit": four(limit), "topup_cash_limit": four(limit),
                    "withdrawal_limit": four(limit), "payment_limit": four(limit), "wallet_to_wallet_limit": four(limit)
                },
                "kyc_level_status": null,
                "currency_code": "TRY",
                "user_kyc_info": null
            }
        });
        ok(Some("İşlem başarılı"), payload)
    }
}
