//! The simulator's HTTP front: routing, the `secret` check, reading the
//! create and activate requests, and writing Paykassma's answers.

use std::sync::Arc;

use payments_core::sandbox::{SandboxHandler, SandboxRequest, SandboxResponse};
use payments_core::wire::{DecimalStyle, JsonNumber, decimal_from_number_or_string};
use payments_core::{Currency, Decimal, Money, async_trait};
use serde::{Deserialize, Serialize};

use super::SECRET;
use super::ledger::{Activated, Shared};

/// The request handler.
pub(super) struct Simulator(pub(super) Arc<Shared>);

#[derive(Deserialize)]
struct CreateRequest {
    currency: String,
    label: String,
}

#[derive(Deserialize)]
struct ActivateRequest {
    currency_code: String,
    wallet_type: String,
    label: String,
    #[serde(deserialize_with = "decimal_from_number_or_string")]
    amount: Decimal,
    key1: String,
    custom_transaction_id: String,
}

fn fail(message: &str) -> SandboxResponse {
    SandboxResponse::json(
        200,
        &serde_json::json!({"status": "fail", "message": message}),
    )
}

#[async_trait]
impl SandboxHandler for Simulator {
    fn operation(&self, request: &SandboxRequest) -> String {
        if request.path.starts_with("/api/v1/transaction/create/") {
            "create".to_owned()
        } else if request.path == "/api/v1/transaction/activate" {
            "activate".to_owned()
        } else {
            "other".to_owned()
        }
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        if request.query_param("secret").as_deref() != Some(SECRET) {
            return SandboxResponse::with_type(
                404,
                "text/html",
                "<html><body><h1>404 Not Found</h1></body></html>",
            );
        }
        if request.method != "POST" {
            return SandboxResponse::with_type(
                405,
                "text/html",
                "<html><body>Method Not Allowed</body></html>",
            );
        }
        if let Some(wallet_type) = request.path.strip_prefix("/api/v1/transaction/create/") {
            return self.create(wallet_type, &request);
        }
        if request.path == "/api/v1/transaction/activate" {
            return self.activate(&request);
        }
        SandboxResponse::with_type(
            404,
            "text/html",
            "<html><body><h1>404 Not Found</h1></body></html>",
        )
    }
}

impl Simulator {
    fn create(&self, wallet_type: &str, request: &SandboxRequest) -> SandboxResponse {
        let Ok(body) = request.json::<CreateRequest>() else {
            return fail("currency and label are required");
        };
        if body.currency.len() != 3 || Currency::from_code(&body.currency).is_none() {
            return fail("The currency must be 3 characters.");
        }
        if body.label.is_empty() || body.label.chars().count() > 190 {
            return fail("The label may not be greater than 190 characters.");
        }
        let identifier = self.0.open_wallet(wallet_type);
        SandboxResponse::json(
            200,
            &serde_json::json!({"status": "ok", "params": {"identifier": identifier}}),
        )
    }

    fn activate(&self, request: &SandboxRequest) -> SandboxResponse {
        let Ok(body) = request.json::<ActivateRequest>() else {
            return fail(
                "currency_code, wallet_type, label, key1, amount and custom_transaction_id are required",
            );
        };
        if body.key1.is_empty() || body.key1.chars().count() > 11 {
            return fail("The key1 may not be greater than 11 characters.");
        }
        if body.label.is_empty()
            || body.label.chars().count() > 190
            || body.custom_transaction_id.chars().count() > 190
        {
            return fail(
                "The label and custom_transaction_id may not be greater than 190 characters.",
            );
        }
        let Some(currency) = Currency::from_code(&body.currency_code) else {
            return fail("Unknown currency.");
        };
        if Money::new(body.amount, currency).is_err() {
            return fail("The amount is not valid.");
        }
        let activated = Shared::activate(
            &self.0,
            &body.custom_transaction_id,
            &body.key1,
            &body.label,
            &body.wallet_type,
        );
        let paid = match activated {
            Activated::IdTaken => return fail("The custom_transaction_id has already been taken."),
            Activated::PossibleTransactionCreated => {
                return SandboxResponse::json(
                    200,
                    &serde_json::json!({"status": "possible_transaction_created", "message": "Transaction not found. Possible transaction created"}),
                );
            }
            Activated::TransactionUsed => {
                return fail("The transaction has already been activated.");
            }
            Activated::Pending => {
                return SandboxResponse::json(
                    200,
                    &serde_json::json!({"status": "pending", "message": "The deposit status check has been started. The operation may take longer than expected. Upon completion of the verification, the funds will be credited to your account"}),
                );
            }
            Activated::Credited(paid) => paid,
        };
        #[derive(Serialize)]
        struct CurrencyInfo {
            code: &'static str,
            symbol: &'static str,
        }
        #[derive(Serialize)]
        struct Credited {
            status: &'static str,
            deposit: bool,
            deposit_amount: JsonNumber,
            currency: CurrencyInfo,
        }
        let answer = Credited {
            status: "ok",
            deposit: true,
            deposit_amount: JsonNumber::new(paid.amount(), DecimalStyle::Normalized),
            currency: CurrencyInfo {
                code: paid.currency().code(),
                symbol: paid.currency().code(),
            },
        };
        SandboxResponse::json(200, &answer)
    }
}
