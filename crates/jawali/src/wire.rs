//! The `callWS` wire format, exactly as the provider spells it.
//!
//! Private: the public API speaks in [`crate::model`] types. Request bodies
//! are built by pure functions ([`envelope`]) so they can be snapshot-tested
//! without a network.

use payments_core::wire::{JsonNumber, cow_from_string_or_number};
use payments_core::{Decimal, DeclineKind, Operation};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use std::borrow::Cow;

use crate::spelling::{
    DecimalReader, Name, OptionalTextReader, PlainReader, TextReader, rank, spelled_answer,
};

/// The `callWS` services, with their wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    WalletAuthentication,
    Inquiry,
    CashOut,
    CheckStatus,
    Statement,
    Balance,
}

pub(crate) const PROVIDER: &str = "jawali";
pub(crate) const LOGIN: Operation = Operation::authentication(PROVIDER, "login");

impl Service {
    /// Every service, for the sandbox to route by name.
    #[cfg(feature = "sandbox")]
    pub(crate) const ALL: [Service; 6] = [
        Service::WalletAuthentication,
        Service::Inquiry,
        Service::CashOut,
        Service::CheckStatus,
        Service::Statement,
        Service::Balance,
    ];

    pub(crate) fn service_name(self) -> &'static str {
        match self {
            Service::WalletAuthentication => "PAYWA.WALLETAUTHENTICATION",
            Service::Inquiry => "PAYAG.ECOMMERCEINQUIRY",
            Service::CashOut => "PAYAG.ECOMMCASHOUT",
            Service::CheckStatus => "PAYAG.AGENTCHECKSTATUS",
            Service::Statement => "PAYAG.AGENTSTATEMENT",
            Service::Balance => "PAYAG.AGENTBALANCEINQUIRY",
        }
    }

    pub(crate) fn domain_name(self) -> &'static str {
        match self {
            Service::WalletAuthentication => "WalletDomain",
            _ => "MerchantDomain",
        }
    }

    pub(crate) fn operation(self) -> Operation {
        match self {
            Service::WalletAuthentication => {
                Operation::authentication(PROVIDER, "wallet_authentication")
            }
            Service::Inquiry => Operation::read(PROVIDER, "inquiry"),
            Service::CashOut => Operation::money_moving(PROVIDER, "cash_out"),
            Service::CheckStatus => Operation::read(PROVIDER, "check_status"),
            Service::Statement => Operation::read(PROVIDER, "statement"),
            Service::Balance => Operation::read(PROVIDER, "balance"),
        }
    }

    /// The service named `name` on the wire, for the sandbox.
    #[cfg(feature = "sandbox")]
    pub(crate) fn from_service_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.service_name() == name)
    }
}

/// What the header carries besides the service.
pub(crate) struct Signon<'a> {
    pub(crate) org_id: &'a str,
    pub(crate) user_id: &'a str,
    pub(crate) external_user: &'a str,
}

#[derive(Serialize)]
pub(crate) struct Envelope<'a, B> {
    header: Header<'a>,
    body: B,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Header<'a> {
    service_detail: ServiceDetail<'a>,
    signon_detail: SignonDetail<'a>,
    message_context: MessageContext<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceDetail<'a> {
    #[serde(rename = "corrID")]
    corr_id: &'a str,
    domain_name: &'static str,
    service_name: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SignonDetail<'a> {
    #[serde(rename = "clientID")]
    client_id: &'static str,
    #[serde(rename = "orgID")]
    org_id: &'a str,
    #[serde(rename = "userID")]
    user_id: &'a str,
    external_user: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageContext<'a> {
    client_date: &'a str,
    body_type: &'static str,
}

/// The whole `callWS` request for `service` with `body`.
pub(crate) fn envelope<'a, B: Serialize>(
    service: Service,
    corr_id: &'a str,
    client_date: &'a str,
    signon: &Signon<'a>,
    body: B,
) -> Envelope<'a, B> {
    Envelope {
        header: Header {
            service_detail: ServiceDetail {
                corr_id,
                domain_name: service.domain_name(),
                service_name: service.service_name(),
            },
            signon_detail: SignonDetail {
                client_id: "WeCash",
                org_id: signon.org_id,
                user_id: signon.user_id,
                external_user: signon.external_user,
            },
            message_context: MessageContext {
                client_date,
                body_type: "Clear",
            },
        },
        body,
    }
}

#[derive(Serialize)]
pub(crate) struct WalletAuthBody<'a> {
    pub(crate) identifier: &'a str,
    pub(crate) password: &'a str,
}

/// The wallet credentials every merchant-domain call carries.
#[derive(Serialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WalletCredentials<'a> {
    pub(crate) agent_wallet: &'a str,
    pub(crate) password: &'a str,
    /// The *wallet* token from `WALLETAUTHENTICATION`.
    pub(crate) access_token: &'a str,
}

/// A merchant-domain body: the wallet credentials, then the operation's fields.
#[derive(Serialize)]
pub(crate) struct WalletCall<'a, F> {
    #[serde(flatten)]
    pub(crate) credentials: WalletCredentials<'a>,
    #[serde(flatten)]
    pub(crate) fields: &'a F,
}

/// The balance inquiry has no fields of its own.
#[derive(Serialize)]
pub(crate) struct NoFields {}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InquiryFields<'a> {
    pub(crate) voucher: &'a str,
    pub(crate) receiver_mobile: &'a str,
    /// Fresh for every request (repeats after a refused token included).
    pub(crate) ref_id: std::borrow::Cow<'a, str>,
    pub(crate) purpose: &'a str,
}

#[derive(Serialize)]
pub(crate) struct CashOutFields<'a> {
    #[serde(flatten)]
    pub(crate) inquiry: InquiryFields<'a>,
    pub(crate) amount: JsonNumber,
    pub(crate) currency: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CheckStatusFields<'a> {
    pub(crate) ref_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatementFields<'a> {
    pub(crate) from_date: &'a str,
    pub(crate) to_date: &'a str,
}

// ---------------------------------------------------------------- answers

/// `{"responseStatus": {...}, "responseBody": {...}}`.
#[derive(Deserialize)]
pub(crate) struct ResponseEnvelope<'a> {
    #[serde(rename = "responseStatus", borrow)]
    pub(crate) status: ResponseStatus<'a>,
    /// Borrowed from the answer: read once, by the operation.
    #[serde(rename = "responseBody", default, borrow)]
    pub(crate) body: Option<&'a RawValue>,
}

#[derive(Deserialize, Debug, Clone)]
pub(crate) struct ResponseStatus<'a> {
    #[serde(
        rename = "systemStatus",
        borrow,
        deserialize_with = "cow_from_string_or_number"
    )]
    pub(crate) code: Cow<'a, str>,
    #[serde(rename = "systemStatusDesc", default, borrow)]
    pub(crate) description: Option<Cow<'a, str>>,
    #[serde(rename = "systemStatusDescNative", default, borrow)]
    pub(crate) native: Option<Cow<'a, str>>,
}

impl ResponseStatus<'_> {
    pub(crate) fn is_success(&self) -> bool {
        self.code.trim() == "0"
    }

    fn texts(&self) -> String {
        format!(
            "{} {}",
            self.description.as_deref().unwrap_or_default(),
            self.native.as_deref().unwrap_or_default()
        )
        .to_lowercase()
    }

    /// An HTTP 200 whose text says the wallet token is invalid or expired.
    pub(crate) fn rejects_wallet_token(&self) -> bool {
        let text = self.texts();
        text.contains("token") && (text.contains("invalid") || text.contains("expired"))
    }

    /// A lookup whose text says there is no such operation.
    pub(crate) fn says_not_found(&self) -> bool {
        let text = self.texts();
        text.contains("not found") || text.contains("not exist") || text.contains("no transaction")
    }

    /// The decline kind, read from the provider's text (codes are not documented).
    pub(crate) fn decline_kind(&self) -> DeclineKind {
        let text = self.texts();
        if text.contains("insufficient") {
            DeclineKind::InsufficientFunds
        } else if text.contains("duplicate")
            || text.contains("already used") && text.contains("ref")
        {
            DeclineKind::DuplicateReference
        } else if text.contains("expired") {
            DeclineKind::Expired
        } else if text.contains("limit") {
            DeclineKind::LimitExceeded
        } else if text.contains("already") || text.contains("accepted") {
            DeclineKind::AlreadyUsed
        } else if text.contains("cancel") {
            DeclineKind::Cancelled
        } else if text.contains("not found")
            || text.contains("not exist")
            || text.contains("invalid wallet")
        {
            DeclineKind::AccountNotFound
        } else if text.contains("password") || text.contains("unauthori") || text.contains("token")
        {
            DeclineKind::Unauthorized
        } else {
            DeclineKind::Other
        }
    }
}

/// The OAuth2 token endpoint's answer.
#[derive(Deserialize)]
pub(crate) struct OAuthToken {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) expires_in: Option<u64>,
}

/// The OAuth2 error answer.
#[derive(Deserialize)]
pub(crate) struct OAuthError {
    pub(crate) error: String,
    #[serde(default)]
    pub(crate) error_description: Option<String>,
}

spelled_answer! {
    pub(crate) struct WalletAuthAnswer {
        required access_token: String = ["access_token", "accessToken"] => PlainReader<String>,
        optional expires_in: u64 = ["expires_in", "expiresIn"] => PlainReader<u64>,
    }
}

spelled_answer! {
    pub(crate) struct InquiryAnswer {
        required txnamount: Decimal = ["txnamount", "txnAmount"] => DecimalReader,
        required txncurrency: String = ["txncurrency", "txnCurrency"] => TextReader,
        required state: String = ["state", "State"] => PlainReader<String>,
        optional issuer_trx_ref: String = ["issuerTrxRef", "IssuerTrxRef"] => OptionalTextReader,
        optional receiver_mobile: String = ["receiverMobile"] => OptionalTextReader,
        optional sender_mobile: String = ["senderMobile"] => OptionalTextReader,
        optional trx_date: String = ["trxDate"] => OptionalTextReader,
    }
}

spelled_answer! {
    pub(crate) struct CashOutAnswer {
        optional amount: Decimal = ["amount", "Amount", "txnamount"] => DecimalReader,
        optional currency: String = ["currency", "Currency", "txncurrency"] => OptionalTextReader,
        optional ref_id: String = ["refId", "RefId"] => OptionalTextReader,
        optional issuer_ref: String = ["issuerRef", "IssuerRef", "issuerTrxRef"] => OptionalTextReader,
        optional balance: Decimal = ["balance", "Balance", "availableBalance"] => DecimalReader,
        /// The operation's own state (`ACCEPTED`, `PENDING`, `FAILED`, …), when sent.
        optional status: String = ["status", "Status", "state"] => OptionalTextReader,
    }
}

spelled_answer! {
    pub(crate) struct StatusAnswer {
        required status: String =
            ["status", "state", "Status", "trxStatus", "txnStatus"] => PlainReader<String>,
        optional amount: Decimal = ["amount", "Amount", "txnamount"] => DecimalReader,
        optional currency: String = ["currency", "Currency", "txncurrency"] => OptionalTextReader,
        optional issuer_ref: String = ["issuerRef", "IssuerRef", "issuerTrxRef"] => OptionalTextReader,
    }
}

/// A statement: its lines under the first spelling present and not `null`
/// (a spelling repeated keeps its last such value). Read in one pass, each
/// line where it lies with its own spellings.
pub(crate) struct StatementAnswer {
    pub(crate) transactions: Vec<StatementLine>,
}

impl StatementAnswer {
    /// The list's spellings, in precedence order.
    pub(crate) const SPELLINGS: &'static [&'static str] =
        &["transactions", "statement", "items", "Transactions"];
}

impl<'de> Deserialize<'de> for StatementAnswer {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;

        impl<'de> serde::de::Visitor<'de> for Object {
            type Value = StatementAnswer;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a statement object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<StatementAnswer, A::Error> {
                let mut best: Option<(usize, Vec<StatementLine>)> = None;
                while let Some(Name(name)) = map.next_key::<Name<'de>>()? {
                    match rank(StatementAnswer::SPELLINGS, name.as_ref()) {
                        Some(rank) if best.as_ref().is_none_or(|(seen, _)| rank <= *seen) => {
                            if let Some(lines) = map.next_value()? {
                                best = Some((rank, lines));
                            }
                        }
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                best.map(|(_, transactions)| StatementAnswer { transactions })
                    .ok_or_else(|| serde::de::Error::missing_field("transactions"))
            }
        }

        deserializer.deserialize_map(Object)
    }
}

spelled_answer! {
    pub(crate) struct StatementLine {
        optional ref_id: String = ["refId", "RefId"] => OptionalTextReader,
        optional issuer_ref: String = ["issuerRef", "IssuerRef"] => OptionalTextReader,
        required amount: Decimal = ["amount", "Amount", "txnamount"] => DecimalReader,
        required currency: String = ["currency", "Currency", "txncurrency"] => TextReader,
        optional description: String = ["description", "type", "trxType"] => PlainReader<String>,
        optional trx_date: String = ["trxDate", "date"] => OptionalTextReader,
        optional balance: Decimal = ["balance", "balanceAfter"] => DecimalReader,
    }
}

spelled_answer! {
    pub(crate) struct BalanceAnswer {
        required balance: Decimal = ["balance", "Balance", "availableBalance"] => DecimalReader,
        required currency: String = ["currency", "Currency"] => TextReader,
    }
}

#[cfg(test)]
mod tests {
    //! Snapshots of every request body, built by the same pure functions the
    //! client sends. Credentials and volatile fields are redacted.

    use super::*;
    use payments_core::wire::DecimalStyle;

    /// The statement's list: the best spelling present and not `null`,
    /// whatever the order; a repeated spelling keeps its last value; an
    /// escaped name reads like its plain form; no list is an error.
    #[test]
    fn a_statement_list_is_chosen_by_precedence_in_one_pass() {
        let line = |r: &str| format!(r#"{{"refId":"{r}","amount":1,"currency":"YER"}}"#);
        let refs = |json: &str| -> Vec<Option<String>> {
            serde_json::from_str::<StatementAnswer>(json)
                .unwrap()
                .transactions
                .into_iter()
                .map(|l| l.ref_id)
                .collect()
        };
        let (a, b, c) = (line("a"), line("b"), line("c"));
        assert_eq!(
            refs(&format!(
                r#"{{"items":[{a}],"transactions":null,"statement":[{b}],"x":{{}}}}"#
            )),
            [Some("b".to_owned())]
        );
        assert_eq!(
            refs(&format!(
                r#"{{"transactions":[{a}],"\u0074ransactions":[{b},{c}]}}"#
            )),
            [Some("b".to_owned()), Some("c".to_owned())]
        );
        assert_eq!(
            refs(&format!(r#"{{"Transactions":[{a}]}}"#)),
            [Some("a".to_owned())]
        );
        assert!(serde_json::from_str::<StatementAnswer>(r#"{"transactions":null}"#).is_err());
        assert!(serde_json::from_str::<StatementAnswer>("[]").is_err());
    }

    const SIGNON: Signon<'static> = Signon {
        org_id: "1234",
        user_id: "merchant",
        external_user: "shop",
    };

    /// Snapshots the body as it goes on the wire (serde_json's text, read
    /// back), and returns that text.
    fn snapshot<B: Serialize>(name: &str, service: Service, body: B) -> String {
        let envelope = envelope(service, "0f6c6d2e-volatile", "1700000000000", &SIGNON, body);
        let wire = serde_json::to_string(&envelope).unwrap();
        let value: serde_json::Value = serde_json::from_str(&wire).unwrap();
        insta::assert_json_snapshot!(name, value, {
            ".header.serviceDetail.corrID" => "[corrID]",
            ".header.messageContext.clientDate" => "[clientDate]",
            ".body.password" => "[wallet password]",
            ".body.accessToken" => "[wallet token]",
        });
        wire
    }

    #[test]
    fn wallet_authentication_request() {
        snapshot(
            "request_wallet_authentication",
            Service::WalletAuthentication,
            WalletAuthBody {
                identifier: "777000111",
                password: "wallet-pw",
            },
        );
    }

    const CREDENTIALS: WalletCredentials<'static> = WalletCredentials {
        agent_wallet: "777000111",
        password: "wallet-pw",
        access_token: "WT1",
    };

    fn call<F>(fields: &F) -> WalletCall<'_, F> {
        WalletCall {
            credentials: CREDENTIALS,
            fields,
        }
    }

    const INQUIRY: InquiryFields<'static> = InquiryFields {
        voucher: "483920",
        receiver_mobile: "771234567",
        ref_id: std::borrow::Cow::Borrowed("ref-000001"),
        purpose: "Online purchase",
    };

    #[test]
    fn inquiry_request() {
        snapshot("request_inquiry", Service::Inquiry, call(&INQUIRY));
    }

    #[test]
    fn cash_out_request() {
        let fields = CashOutFields {
            inquiry: InquiryFields {
                ref_id: std::borrow::Cow::Borrowed("ref-000002"),
                ..INQUIRY
            },
            amount: JsonNumber::new(Decimal::new(150050, 2), DecimalStyle::Normalized),
            currency: "YER",
        };
        let wire = snapshot("request_cash_out", Service::CashOut, call(&fields));
        assert!(
            wire.contains(r#""amount":1500.5,"currency":"YER""#),
            "{wire}"
        );
    }

    #[test]
    fn check_status_request() {
        snapshot(
            "request_check_status",
            Service::CheckStatus,
            call(&CheckStatusFields {
                ref_id: "ref-000002",
            }),
        );
    }

    #[test]
    fn statement_request() {
        let fields = StatementFields {
            from_date: "2026-11-01",
            to_date: "2026-11-23",
        };
        snapshot("request_statement", Service::Statement, call(&fields));
    }

    #[test]
    fn balance_request() {
        snapshot("request_balance", Service::Balance, call(&NoFields {}));
    }

    #[test]
    fn snapshots_hold_no_credential() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/snapshots");
        let mut read = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                !text.contains("wallet-pw") && !text.contains("\"WT1\""),
                "{path:?}"
            );
            read += 1;
        }
        assert!(read >= 6, "every request body has a snapshot");
    }

    #[test]
    fn token_rejections_and_not_found_are_read_from_the_text() {
        let status = |desc: &'static str| ResponseStatus {
            code: "-1".into(),
            description: Some(desc.into()),
            native: None,
        };
        assert!(status("Invalid access token").rejects_wallet_token());
        assert!(status("Access Token Expired").rejects_wallet_token());
        assert!(!status("Voucher expired").rejects_wallet_token());
        assert!(status("Transaction not found").says_not_found());
        assert!(!status("Voucher expired").says_not_found());
        assert_eq!(
            status("Insufficient balance").decline_kind(),
            DeclineKind::InsufficientFunds
        );
        assert_eq!(
            status("Duplicate refId r-1").decline_kind(),
            DeclineKind::DuplicateReference
        );
        assert_eq!(
            status("Voucher expired").decline_kind(),
            DeclineKind::Expired
        );
        assert_eq!(
            status("Voucher already accepted").decline_kind(),
            DeclineKind::AlreadyUsed
        );
        assert_eq!(status("Something odd").decline_kind(), DeclineKind::Other);
    }
}
