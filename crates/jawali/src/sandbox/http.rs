//! The simulator's HTTP front: the `SandboxHandler` impl, routing by path
//! and service name, parsing requests, building `callWS` responses.

use std::time::SystemTime;

use payments_core::clock::Clock;
use payments_core::sandbox::{SandboxHandler, SandboxRequest, SandboxResponse};
use payments_core::wire::{DecimalStyle, JsonNumber};
use payments_core::{Decimal, Money, async_trait};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;
use time::macros::{format_description, offset};

use super::CREDENTIALS;
use super::ledger::Simulator;
use crate::wire::Service;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SimEnvelope {
    header: SimHeader,
    body: Box<RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SimHeader {
    service_detail: SimServiceDetail,
    signon_detail: SimSignon,
    message_context: SimContext,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SimServiceDetail {
    #[serde(rename = "corrID")]
    corr_id: String,
    domain_name: String,
    service_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SimSignon {
    #[serde(rename = "clientID")]
    client_id: String,
    #[serde(rename = "orgID")]
    org_id: String,
    #[serde(rename = "userID")]
    user_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SimContext {
    client_date: String,
    body_type: String,
}

#[derive(Deserialize)]
pub(super) struct SimWalletAuth {
    pub(super) identifier: String,
    pub(super) password: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SimWalletCall {
    pub(super) agent_wallet: String,
    pub(super) password: String,
    pub(super) access_token: String,
    #[serde(default)]
    pub(super) voucher: Option<String>,
    #[serde(default)]
    pub(super) receiver_mobile: Option<String>,
    #[serde(default)]
    pub(super) ref_id: Option<String>,
    #[serde(
        default,
        deserialize_with = "payments_core::wire::optional_decimal_from_number_or_string"
    )]
    pub(super) amount: Option<Decimal>,
    #[serde(default)]
    pub(super) currency: Option<String>,
    #[serde(default)]
    pub(super) from_date: Option<String>,
    #[serde(default)]
    pub(super) to_date: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SimStatus {
    system_status: &'static str,
    system_status_desc: String,
    system_status_desc_native: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SimAnswer<B> {
    response_status: SimStatus,
    response_body: Option<B>,
}

pub(super) fn ok<B: Serialize>(body: B) -> SandboxResponse {
    SandboxResponse::json(
        200,
        &SimAnswer {
            response_status: SimStatus {
                system_status: "0",
                system_status_desc: "Success".to_owned(),
                system_status_desc_native: "تمت العملية بنجاح",
            },
            response_body: Some(body),
        },
    )
}

pub(super) fn fail(
    code: &'static str,
    desc: impl Into<String>,
    native: &'static str,
) -> SandboxResponse {
    SandboxResponse::json(
        200,
        &SimAnswer::<()> {
            response_status: SimStatus {
                system_status: code,
                system_status_desc: desc.into(),
                system_status_desc_native: native,
            },
            response_body: None,
        },
    )
}

pub(super) fn number(money: Money) -> JsonNumber {
    JsonNumber::new(money.amount(), DecimalStyle::Normalized)
}

pub(super) fn format_time(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .to_offset(offset!(+3))
        .format(format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second]"
        ))
        .unwrap_or_default()
}

#[async_trait]
impl SandboxHandler for Simulator {
    fn operation(&self, request: &SandboxRequest) -> String {
        if request.path.ends_with("/oauth/token") {
            return "login".to_owned();
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Peek {
            header: PeekHeader,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct PeekHeader {
            service_detail: PeekService,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct PeekService {
            service_name: String,
        }
        request
            .json::<Peek>()
            .ok()
            .and_then(|p| Service::from_service_name(&p.header.service_detail.service_name))
            .map_or_else(|| "unknown".to_owned(), |s| s.operation().name.to_owned())
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/paygate/oauth/token") => self.login(&request),
            ("POST", "/paygate/v1/ws/callWS") => self.call_ws(&request),
            _ => {
                SandboxResponse::with_type(404, "text/html", "<html><body>Not Found</body></html>")
            }
        }
    }
}

impl Simulator {
    fn login(&self, request: &SandboxRequest) -> SandboxResponse {
        let field = |name| request.form_field(name).unwrap_or_default();
        let client_ok = field("grant_type") == "password"
            && field("client_id") == "restapp"
            && field("client_secret") == "restapp"
            && field("scope") == "read";
        if !client_ok {
            return SandboxResponse::json(
                401,
                &serde_json::json!({"error": "invalid_client", "error_description": "Bad client credentials"}),
            );
        }
        if field("username") != CREDENTIALS.username || field("password") != CREDENTIALS.password {
            return SandboxResponse::json(
                400,
                &serde_json::json!({"error": "invalid_grant", "error_description": "Bad credentials"}),
            );
        }
        let now = self.clock.now();
        let mut state = self.lock();
        let token = format!("at-{:016x}", state.rng.u64(..));
        let refresh = format!("rt-{:016x}", state.rng.u64(..));
        state
            .access_tokens
            .insert(token.clone(), now + self.options.access_token_ttl);
        state.issued_tokens.extend([token.clone(), refresh.clone()]);
        state.counts.logins += 1;
        SandboxResponse::json(
            200,
            &serde_json::json!({
                "access_token": token,
                "token_type": "bearer",
                "refresh_token": refresh,
                "expires_in": self.options.access_token_ttl.as_secs(),
                "scope": "read",
            }),
        )
    }

    fn call_ws(&self, request: &SandboxRequest) -> SandboxResponse {
        let now = self.clock.now();
        let bearer_ok = request.bearer().is_some_and(|token| {
            self.lock()
                .access_tokens
                .get(token)
                .is_some_and(|expiry| now < *expiry)
        });
        if !bearer_ok {
            self.lock().counts.unauthorized += 1;
            return SandboxResponse::json(
                401,
                &serde_json::json!({"error": "invalid_token", "error_description": "Access token expired or invalid"}),
            );
        }
        let Ok(envelope) = request.json::<SimEnvelope>() else {
            return fail("-100", "Malformed request", "طلب غير صالح");
        };
        let Some(service) =
            Service::from_service_name(&envelope.header.service_detail.service_name)
        else {
            return fail("-101", "Unknown service", "خدمة غير معروفة");
        };
        let header = &envelope.header;
        if header.service_detail.domain_name != service.domain_name()
            || header.service_detail.corr_id.is_empty()
            || header.signon_detail.client_id != "WeCash"
            || header.signon_detail.org_id != CREDENTIALS.org_id
            || header.signon_detail.user_id != CREDENTIALS.username
            || header.message_context.client_date.is_empty()
            || header.message_context.body_type != "Clear"
        {
            return fail("-102", "Invalid request header", "ترويسة الطلب غير صالحة");
        }
        if service == Service::WalletAuthentication {
            return self.wallet_authentication(envelope.body.get());
        }
        let Ok(call) = serde_json::from_str::<SimWalletCall>(envelope.body.get()) else {
            return fail("-100", "Malformed request body", "طلب غير صالح");
        };
        if let Some(refused) = super::ledger::wallet_refused(&call.agent_wallet, &call.password) {
            return refused;
        }
        let wallet_token_ok = self
            .lock()
            .wallet_tokens
            .get(&call.access_token)
            .is_some_and(|expiry| now < *expiry);
        if !wallet_token_ok {
            // The request was received and refused: its refId is spent
            // ("unique, never repeated, in every request"), so a repeat
            // must come with a fresh one.
            if let Some(reference) = call.ref_id.filter(|r| !r.is_empty())
                && matches!(service, Service::Inquiry | Service::CashOut)
            {
                self.lock().used_references.insert(reference);
            }
            return fail(
                "-104",
                "Invalid access token",
                "رمز الدخول غير صالح أو منتهي",
            );
        }
        match service {
            Service::Inquiry => self.inquiry(&call, now),
            Service::CashOut => self.cash_out(&call, now),
            Service::CheckStatus => self.check_status(&call),
            Service::Statement => self.statement(&call),
            Service::Balance => self.balance(),
            Service::WalletAuthentication => fail("-101", "Unknown service", "خدمة غير معروفة"),
        }
    }
}
