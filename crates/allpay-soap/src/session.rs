//! The client itself: signing a request and sending one call, verifying
//! and reading the signed answer. The operations are grouped by what they
//! do: `users`, `cash_in` (terminal payments) and `transaction`
//! (two-phase); `gateway` pays an order with them.

use std::fmt;
use std::sync::Arc;

use http::HeaderValue;
use payments_core::clock::{Clock, SystemClock};
use payments_core::http::{HttpClient, RawResponse, Request};
use payments_core::order::OrderId;
use payments_core::reference::{ReferenceGenerator, UuidFormat, UuidReferences, name_based_uuid};
use payments_core::secret::Scrubber;
use payments_core::{
    Currency, Decimal, Decline, DeclineKind, Diagnostics, Error, MerchantReference, Money,
    Operation, Result,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use yaserde::YaSerialize;

use crate::config::{AllpayConfig, GuidFormat, ResponseVerification};
use crate::dsig::{self, SignatureError};
use crate::generated::{self as g, cash_in, transaction_management as tm};
use crate::model::{BRACED_GUID_RULES, PLAIN_GUID_RULES};
use crate::read::{self as reader, ReadError};
use crate::soap;

const PROVIDER: &str = "allpay";

/// The namespace of the order GUIDs ([`AllpayClient::order_guid`]): a
/// UUID of this crate's own (`6d1d1f9e-3a55-4c1e-9a0b-5f0c2b7e41a8`), so
/// its GUIDs meet no other name-based UUID.
const ORDER_GUID_NAMESPACE: [u8; 16] = [
    0x6d, 0x1d, 0x1f, 0x9e, 0x3a, 0x55, 0x4c, 0x1e, 0x9a, 0x0b, 0x5f, 0x0c, 0x2b, 0x7e, 0x41, 0xa8,
];
pub(crate) const ECHO: Operation = Operation::read(PROVIDER, "echo");
pub(crate) const CHECK_USER: Operation = Operation::read(PROVIDER, "check_user");
pub(crate) const CHECK_USER_CASH_IN: Operation =
    Operation::read(PROVIDER, "check_user_and_validate_cash_in");
pub(crate) const CASH_IN_PAYMENT: Operation =
    Operation::money_moving(PROVIDER, "create_cash_in_payment");
pub(crate) const CASH_IN_TRANSACTION: Operation =
    Operation::money_moving(PROVIDER, "create_cash_in_transaction");
pub(crate) const CASH_OUT_TRANSACTION: Operation =
    Operation::money_moving(PROVIDER, "create_cash_out_transaction");
pub(crate) const COMPLETE: Operation = Operation::money_moving(PROVIDER, "complete_transaction");
pub(crate) const DECLINE: Operation = Operation::money_moving(PROVIDER, "decline_transaction");
pub(crate) const BALANCE: Operation = Operation::read(PROVIDER, "available_balance");

/// The path of the CashInTransactionManagement/1.1 service.
pub const CASH_IN_PATH: &str = "allpay-public-soap/cash-in-transaction-management/v1.1";
/// The path of the TransactionManagement/1.1 service.
pub const TRANSACTION_MANAGEMENT_PATH: &str = "allpay-public-soap/transaction-management/v1.1";

/// An operation's answer: its generated reader of the Body's one element.
pub(crate) trait Answer {
    type Response;
    fn read(content: roxmltree::Node<'_, '_>) -> Result<reader::Answer<Self::Response>, ReadError>;
}

macro_rules! answers {
    ($($body:ty => $response:ty),* $(,)?) => {$(
        impl Answer for $body {
            type Response = $response;
            fn read(content: roxmltree::Node<'_, '_>) -> Result<reader::Answer<$response>, ReadError> {
                <$body>::read(content)
            }
        }
    )*};
}

answers! {
    cash_in::EchoResponseBody => cash_in::EchoResponse,
    cash_in::CheckUserResponseBody => cash_in::CheckUserResponse,
    cash_in::CheckUserAndValidateCashInResponseBody => cash_in::CheckUserAndValidateCashInResponse,
    cash_in::CreateCashInPaymentResponseBody => cash_in::CreateCashInPaymentResponse,
    tm::CreateCashInTransactionResponseBody => tm::CreateCashInTransactionResponse,
    tm::CreateCashOutTransactionResponseBody => tm::CreateCashOutTransactionResponse,
    tm::CompleteTransactionResponseBody => tm::CompleteTransactionResponse,
    tm::DeclineTransactionResponseBody => tm::DeclineTransactionResponse,
    tm::AvailableBalanceResponseBody => tm::AvailableBalanceResponse,
}

/// A signed request, ready to be sent — and sent again unchanged.
#[derive(Clone)]
pub(crate) struct Prepared {
    pub(crate) operation: Operation,
    pub(crate) url: url::Url,
    pub(crate) action: &'static str,
    pub(crate) xml: String,
    pub(crate) digest: String,
    pub(crate) reference: Option<String>,
}

/// An Allpay client. Cheap to clone, `Send + Sync`.
///
/// Every request is signed (XML-DSig, the merchant's key) and carries the
/// certificate number; every answer is verified (Allpay's key, and our
/// digest echoed as `requestDsig`) unless verification was explicitly
/// disabled.
#[derive(Clone)]
pub struct AllpayClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: AllpayConfig,
    http: HttpClient,
    cash_in_url: url::Url,
    tm_url: url::Url,
    clock: Arc<dyn Clock>,
    references: Arc<dyn ReferenceGenerator>,
    open: payments_core::gateway::OpenPayments<crate::CheckedCashIn>,
}

/// Builds an [`AllpayClient`] with non-default parts.
pub struct AllpayClientBuilder {
    config: AllpayConfig,
    http_client: Option<reqwest::Client>,
    clock: Arc<dyn Clock>,
    references: Option<Arc<dyn ReferenceGenerator>>,
}

impl AllpayClientBuilder {
    /// Sends through the caller's `reqwest::Client` (shared pool, proxy).
    /// The SDK still refuses to follow redirects and applies its total
    /// timeout to every request; the connect timeout is the caller's.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Reads time (request timestamps) from `clock`.
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Generates GUIDs with `generator` (random UUIDs in the configured
    /// [`GuidFormat`] by default).
    #[must_use]
    pub fn references(mut self, generator: Arc<dyn ReferenceGenerator>) -> Self {
        self.references = Some(generator);
        self
    }

    /// The client.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] when the HTTP client cannot be set up.
    pub fn build(self) -> Result<AllpayClient> {
        let config = self.config;
        let references = self.references.unwrap_or_else(|| {
            let format = match config.guid_format {
                GuidFormat::Braced => UuidFormat::Braced,
                GuidFormat::Plain => UuidFormat::Hyphenated,
            };
            Arc::new(UuidReferences { format })
        });
        let user_agent = payments_core::user_agent!();
        let http = HttpClient::build(
            self.http_client,
            user_agent,
            config.http.clone(),
            Scrubber::new(),
        )?;
        Ok(AllpayClient {
            inner: Arc::new(Inner {
                open: payments_core::gateway::OpenPayments::default(),
                cash_in_url: config.base_url.join(CASH_IN_PATH)?,
                tm_url: config.base_url.join(TRANSACTION_MANAGEMENT_PATH)?,
                config,
                http,
                clock: self.clock,
                references,
            }),
        })
    }
}

impl AllpayClient {
    /// A client on the system clock with random GUIDs.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] when the HTTP client cannot be set up.
    pub fn new(config: AllpayConfig) -> Result<Self> {
        Self::builder(config).build()
    }

    /// A builder, to replace the HTTP client, the clock or the GUID generator.
    pub fn builder(config: AllpayConfig) -> AllpayClientBuilder {
        AllpayClientBuilder {
            config,
            http_client: None,
            clock: Arc::new(SystemClock),
            references: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AllpayConfig {
        &self.inner.config
    }

    /// A fresh GUID in the configured format.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if the generator's output breaks the GUID rules.
    pub fn new_guid(&self) -> Result<MerchantReference> {
        MerchantReference::generate(self.inner.references.as_ref(), self.guid_rules())
    }

    /// The GUID of attempt `attempt` (from 1) at order `order_id`: a
    /// name-based UUID (version 5) of the agent's `requester` and the
    /// attempt's key ([`OrderId::attempt_key`]), in the configured format.
    /// Every repeat of one attempt sends the same GUID — Allpay keeps GUID
    /// and requester unique and answers a repeat with the transaction the
    /// first one made — while another agent, another order or a later
    /// attempt (paid again after a proven failure) gets its own.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] if the GUID breaks the configured rules
    /// (never for the formats this crate writes).
    pub fn order_guid(&self, order_id: &OrderId, attempt: u32) -> Result<MerchantReference> {
        use sha1::{Digest, Sha1};
        let format = match self.inner.config.guid_format {
            GuidFormat::Braced => UuidFormat::Braced,
            GuidFormat::Plain => UuidFormat::Hyphenated,
        };
        let mut hash = Sha1::new();
        hash.update(ORDER_GUID_NAMESPACE);
        hash.update(self.inner.config.requester.as_bytes());
        // A byte neither a login nor an order id holds: no two
        // (requester, key) pairs give the same name.
        hash.update([0]);
        hash.update(order_id.attempt_key(attempt).as_bytes());
        let digest: [u8; 20] = hash.finalize().into();
        MerchantReference::new(name_based_uuid(&digest, format), self.guid_rules())
    }

    pub(crate) fn guid_rules(&self) -> &'static payments_core::reference::ReferenceRules {
        match self.inner.config.guid_format {
            GuidFormat::Braced => &BRACED_GUID_RULES,
            GuidFormat::Plain => &PLAIN_GUID_RULES,
        }
    }

    pub(crate) fn header(&self) -> g::RequestHeader {
        let now =
            OffsetDateTime::from(self.inner.clock.now()).to_offset(self.inner.config.utc_offset);
        g::RequestHeader {
            lang: Some(g::Language::new(self.inner.config.lang.code())),
            timestamp: now
                .replace_nanosecond(0)
                .unwrap_or(now)
                .format(&Rfc3339)
                .unwrap_or_default(),
            requester: self.inner.config.requester.clone(),
            token: None,
        }
    }

    /// Writes, adds the certificate number, and signs.
    pub(crate) fn prepare<B: YaSerialize>(
        &self,
        operation: Operation,
        tm_service: bool,
        action: &'static str,
        body: B,
        reference: Option<&str>,
    ) -> Result<Prepared> {
        let unsigned = soap::write(body)
            .map_err(|e| Error::configuration(format_args!("request does not serialize: {e}")))?;
        let unsigned = soap::add_header_element(
            &unsigned,
            "certificateNumber",
            &self.inner.config.certificate_number,
        )
        .map_err(|e| Error::configuration(format_args!("request envelope: {e}")))?;
        let signed = dsig::sign_envelope(&unsigned, &self.inner.config.signing_key)
            .map_err(|e| Error::configuration(format_args!("signing: {e}")))?;
        Ok(Prepared {
            operation,
            url: if tm_service {
                self.inner.tm_url.clone()
            } else {
                self.inner.cash_in_url.clone()
            },
            action,
            xml: signed.xml,
            digest: signed.digest_value,
            reference: reference.map(str::to_owned),
        })
    }

    /// Sends a prepared request and reads its answer with `read`. Every
    /// error, `read`'s included, names the GUID (the merchant reference,
    /// and Allpay's handle on the transaction) and the HTTP status.
    pub(crate) async fn send<A: Answer, T>(
        &self,
        prepared: &Prepared,
        read: impl FnOnce(A::Response) -> Result<T>,
    ) -> Result<T> {
        let mut diagnostics = Diagnostics::new();
        diagnostics.correlation_id.clone_from(&prepared.reference);
        diagnostics.reference.clone_from(&prepared.reference);
        let outcome = self
            .exchange::<A>(prepared, &mut diagnostics)
            .await
            .and_then(read);
        // Allpay's messages and Fault texts may quote the request: scrubbed whole.
        diagnostics
            .annotate(outcome)
            .map_err(|e| e.scrubbed(self.inner.http.scrubber()))
    }

    /// [`send`](Self::send) without the reading: the exchange is noted in
    /// `diagnostics`.
    async fn exchange<A: Answer>(
        &self,
        prepared: &Prepared,
        diagnostics: &mut Diagnostics,
    ) -> Result<A::Response> {
        let request = soap_request(prepared)?;
        let response = self
            .inner
            .http
            .execute_noting(
                prepared.operation,
                prepared.reference.as_deref(),
                &request,
                diagnostics,
            )
            .await?;
        self.read_answer::<A>(prepared, &response)
    }

    /// What the answer to `prepared` says: its response, verified, or the
    /// error it is.
    pub(crate) fn read_answer<A: Answer>(
        &self,
        prepared: &Prepared,
        response: &RawResponse,
    ) -> Result<A::Response> {
        let operation = prepared.operation;
        let reference = prepared.reference.as_deref();
        let looks_like_xml = response.body.trim_ascii_start().first() == Some(&b'<');
        // SOAP 1.1 answers a Fault with HTTP 500.
        if !(response.is_success() || (response.status == 500 && looks_like_xml)) {
            return Err(self
                .inner
                .http
                .unexpected_status(operation, reference, response));
        }
        let text = std::str::from_utf8(&response.body).map_err(|e| {
            self.inner
                .http
                .undecodable(operation, "not UTF-8", response, Some(Box::new(e)))
        })?;
        let undecodable = |detail: String| {
            self.inner
                .http
                .undecodable(operation, detail, response, None)
        };
        // The one parse of the answer: the signature is checked on this
        // tree and every value is read from it.
        let doc = dsig::parse(text).map_err(|e| match e {
            SignatureError::Xml(detail) => {
                undecodable(format!("not XML this SDK reads ({detail})"))
            }
            other => undecodable(other.to_string()),
        })?;
        let envelope = soap::check_envelope(&doc, "requestDsig").map_err(undecodable)?;
        let is_fault = envelope.content.has_tag_name((dsig::SOAP_ENV_NS, "Fault"));
        // Whether the answer is Allpay's own word: signed and verified, or
        // verification was turned off by the merchant.
        let mut authentic = true;
        if let ResponseVerification::Required(key) = &self.inner.config.verification {
            match dsig::verify_document(&doc, key) {
                Ok(_) => {
                    // The echo of our digest, from its one place: a direct
                    // child of the Header, covered by the digest.
                    let echoed = match envelope.request_dsig {
                        Some(node) => Some(reader::string(node).map_err(undecodable)?),
                        None => None,
                    };
                    if echoed.as_deref() != Some(prepared.digest.as_str()) {
                        return Err(Error::mismatch(
                            operation,
                            "requestDsig",
                            &prepared.digest,
                            echoed.unwrap_or_else(|| "none".to_owned()),
                        ));
                    }
                }
                // Allpay answers a request it could not verify ("Sign Error")
                // with an unsigned Fault: read it.
                Err(SignatureError::Missing) if is_fault => authentic = false,
                Err(e) => return Err(signature_error(operation, &e)),
            }
        }
        match A::read(envelope.content).map_err(undecodable)? {
            reader::Answer::Response(answer) => Ok(answer),
            reader::Answer::Fault(read) => {
                let (fault, detail) = (read.fault, read.detail);
                let error = soap::fault_error(operation, &fault, &detail);
                // A Fault to a money-moving call is a refusal only when it is
                // Allpay's verified word (signed, or verification turned
                // off): an unsigned Fault may come from a balancer or a
                // crashed handler after the money moved. "Sign Error" stays
                // an authentication error: Allpay documents it as a refusal.
                if operation.kind == payments_core::OperationKind::MoneyMoving
                    && matches!(error, Error::Declined { .. })
                    && !authentic
                {
                    let reason = format!(
                        "an unsigned SOAP Fault `{}`: {}; not a refusal Allpay proved",
                        fault.faultcode, error
                    );
                    return Err(error.undocumented_refusal(reference.map(str::to_owned), reason));
                }
                Err(error)
            }
        }
    }

    pub(crate) fn check_amount_and_guid(
        &self,
        amount: Money,
        guid: &MerchantReference,
    ) -> Result<()> {
        if amount.currency() != Currency::KZT {
            return Err(Error::invalid(
                "amount",
                format_args!("must be in KZT, not {}", amount.currency()),
            ));
        }
        amount
            .require_positive()
            .map_err(|e| Error::invalid_money("amount", &e))?;
        MerchantReference::new(guid.as_str(), self.guid_rules())?;
        Ok(())
    }

    pub(crate) fn open(&self) -> &payments_core::gateway::OpenPayments<crate::CheckedCashIn> {
        &self.inner.open
    }

    /// The operation a cash-in payment's commit runs.
    pub(crate) fn cash_in_operation() -> Operation {
        CASH_IN_PAYMENT
    }
}

/// The HTTP request that sends `prepared`.
pub(crate) fn soap_request(prepared: &Prepared) -> Result<Request> {
    // Quoted, as SOAP 1.1 §6.1.1 and WS-I Basic Profile R1109 require:
    // JAX-WS servers match the quoted form.
    let action = HeaderValue::try_from(format!("\"{}\"", prepared.action))
        .map_err(|_| Error::configuration("SOAPAction is not a header value"))?;
    Ok(Request::post(prepared.url.clone())
        .header(http::HeaderName::from_static("soapaction"), action)
        .body(
            HeaderValue::from_static("text/xml; charset=utf-8"),
            prepared.xml.clone(),
        ))
}

fn signature_error(operation: Operation, error: &SignatureError) -> Error {
    Error::mismatch(
        operation,
        "signature",
        "a valid signature by Allpay's key",
        error.to_string(),
    )
}

pub(crate) fn header_ok(operation: Operation, header: &g::ResponseHeader) -> Result<()> {
    if header.status == 0 {
        return Ok(());
    }
    let mut decline = Decline::new(
        header.status.to_string(),
        DeclineKind::Other,
        header.developer_message.clone().unwrap_or_default(),
    );
    if let Some(user) = &header.user_message {
        decline = decline.with_user_message(user.clone());
    }
    Err(Error::declined(operation, decline))
}

/// An `xs:decimal` in KZT: digits with an optional fraction, no exponent.
pub(crate) fn money(operation: Operation, field: &str, text: &str) -> Result<Money> {
    let text = text.trim();
    let valid = !text.is_empty()
        && text
            .trim_start_matches(['-', '+'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.');
    let decimal = valid.then(|| Decimal::from_str_exact(text).ok()).flatten();
    let Some(decimal) = decimal else {
        return Err(Error::UndecodableResponse {
            operation,
            detail: format!(
                "{field} `{}` is not an xs:decimal",
                text.chars().take(32).collect::<String>()
            ),
            raw: payments_core::secret::RedactedText::from_static(""),
            source: None,
            diagnostics: None,
        });
    };
    payments_core::wire::money_in_answer(operation, field, decimal, Currency::KZT)
}

impl fmt::Debug for AllpayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AllpayClient")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod request_snapshots {
    //! One snapshot per request envelope, signed: the same function builds
    //! what goes on the wire. Each is also checked by `xmlsec1` when present.

    use std::time::{Duration, SystemTime};

    use payments_core::clock::ManualClock;
    use payments_core::reference::SeededUuidReferences;

    use super::*;
    use crate::dsig::{SigningKey, VerifyingKey, verify_envelope};
    use crate::model::{CashIn, CashOut, UserName};

    fn merchant_key() -> &'static str {
        &crate::sandbox_keys::keys().merchant.private_pem
    }
    fn merchant_public() -> &'static str {
        &crate::sandbox_keys::keys().merchant.public_pem
    }
    fn allpay_public() -> &'static str {
        &crate::sandbox_keys::keys().allpay.public_pem
    }

    fn client() -> AllpayClient {
        let config = AllpayConfig::new(
            payments_core::BaseUrl::parse("https://allpay.example").unwrap(),
            "agent-7",
            "1001",
            SigningKey::from_pem(merchant_key()).unwrap(),
            VerifyingKey::from_pem(allpay_public()).unwrap(),
        );
        let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_420_800));
        AllpayClient::builder(config)
            .clock(Arc::new(clock))
            .references(Arc::new(SeededUuidReferences::new(3, UuidFormat::Braced)))
            .build()
            .unwrap()
    }

    fn cash_in(client: &AllpayClient) -> CashIn {
        CashIn {
            to_user: UserName::new("77011234567").unwrap(),
            amount: Money::parse("1500.50", Currency::KZT).unwrap(),
            guid: client.new_guid().unwrap(),
        }
    }

    fn check(name: &str, prepared: &Prepared) {
        let verified = verify_envelope(
            &prepared.xml,
            &VerifyingKey::from_pem(merchant_public()).unwrap(),
        )
        .unwrap();
        assert_eq!(verified.digest_value, prepared.digest);
        insta::assert_snapshot!(name, prepared.xml);
        xmlsec1_verifies(&prepared.xml);
    }

    fn xmlsec1_verifies(xml: &str) {
        if std::process::Command::new("xmlsec1")
            .arg("--version")
            .output()
            .is_err()
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "xmlsec1 is required in CI"
            );
            return;
        }
        let dir =
            std::env::temp_dir().join(format!("allpay-snap-{}-{}", std::process::id(), xml.len()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("m.xml"), xml).unwrap();
        std::fs::write(dir.join("k.pem"), merchant_public()).unwrap();
        let out = std::process::Command::new("xmlsec1")
            .args(["--verify", "--pubkey-pem"])
            .arg(dir.join("k.pem"))
            .arg(dir.join("m.xml"))
            .output()
            .unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            out.status.success(),
            "xmlsec1: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn every_request_envelope() {
        let client = client();
        let header = || client.header();
        let user = UserName::new("77011234567").unwrap();
        let echo = cash_in::EchoBody {
            operation: cash_in::Echo {
                request: "ping".into(),
            },
        };
        check(
            "request_echo",
            &client.prepare(ECHO, false, "echo", echo, None).unwrap(),
        );
        let check_user = cash_in::CheckUserBody {
            operation: cash_in::CheckUser {
                request: g::CheckUserRequest {
                    header: header(),
                    user_name: user.as_str().into(),
                },
            },
        };
        check(
            "request_check_user",
            &client
                .prepare(CHECK_USER, false, "checkUser", check_user, None)
                .unwrap(),
        );
        let validate = cash_in::CheckUserAndValidateCashInBody {
            operation: cash_in::CheckUserAndValidateCashIn {
                request: g::CheckUserRequest {
                    header: header(),
                    user_name: user.as_str().into(),
                },
            },
        };
        check(
            "request_check_user_and_validate_cash_in",
            &client
                .prepare(
                    CHECK_USER_CASH_IN,
                    false,
                    "checkUserAndValidateCashIn",
                    validate,
                    None,
                )
                .unwrap(),
        );
        let payment = cash_in(&client);
        check(
            "request_create_cash_in_payment",
            &client.prepare_cash_in_payment(&payment).unwrap(),
        );
        let transaction = tm::CreateCashInTransactionBody {
            operation: tm::CreateCashInTransaction {
                request: client.cash_in_request(&payment),
            },
        };
        check(
            "request_create_cash_in_transaction",
            &client
                .prepare(
                    CASH_IN_TRANSACTION,
                    true,
                    "createCashInTransaction",
                    transaction,
                    None,
                )
                .unwrap(),
        );
        let cash_out = CashOut {
            from_user: user,
            amount: payment.amount,
            guid: payment.guid.clone(),
            token: crate::model::CashOutToken::new("482913").unwrap(),
        };
        check(
            "request_create_cash_out_transaction",
            &client.prepare_cash_out(&cash_out).unwrap(),
        );
        let action = || g::TransactionActionRequest {
            header: header(),
            guid: payment.guid.to_string(),
            transaction_id: 5001,
        };
        let complete = tm::CompleteTransactionBody {
            operation: tm::CompleteTransaction { request: action() },
        };
        check(
            "request_complete_transaction",
            &client
                .prepare(COMPLETE, true, "completeTransaction", complete, None)
                .unwrap(),
        );
        let decline = tm::DeclineTransactionBody {
            operation: tm::DeclineTransaction { request: action() },
        };
        check(
            "request_decline_transaction",
            &client
                .prepare(DECLINE, true, "declineTransaction", decline, None)
                .unwrap(),
        );
        let balance = tm::AvailableBalanceBody {
            operation: tm::AvailableBalance {
                request: g::AvailableBalanceRequest { header: header() },
            },
        };
        check(
            "request_available_balance",
            &client
                .prepare(BALANCE, true, "availableBalance", balance, None)
                .unwrap(),
        );
    }

    /// An order's GUID is a name-based UUID of the agent and the attempt's
    /// key: the same for every repeat of one attempt, another for another
    /// attempt, order or agent; braced as configured.
    #[test]
    fn order_guids_are_the_same_for_a_repeat_only() {
        let client = client();
        let order = OrderId::new("payout-1001").unwrap();
        let first = client.order_guid(&order, 1).unwrap();
        assert_eq!(first, client.order_guid(&order, 1).unwrap());
        assert_eq!(first, client.order_guid(&order, 0).unwrap());
        let text = first.as_str();
        assert!(text.starts_with('{') && text.ends_with('}'), "{text}");
        assert_eq!(text.len(), 38);
        assert_eq!(&text[15..16], "5", "version 5: {text}");
        assert!(
            matches!(&text[20..21], "8" | "9" | "a" | "b"),
            "RFC variant: {text}"
        );
        // Pinned (Python's `uuid.uuid5(namespace, "agent-7\0payout-1001")`
        // gives the same): a GUID Allpay keeps must be derived the same way
        // by every later version of this crate.
        assert_eq!(text, "{7972e926-1043-53b5-bf4d-97ab07c784ad}");
        assert_ne!(first, client.order_guid(&order, 2).unwrap());
        let other = OrderId::new("payout-1002").unwrap();
        assert_ne!(first, client.order_guid(&other, 1).unwrap());
        let mut config = client.config().clone();
        config.requester = "agent-8".to_owned();
        let another_agent = AllpayClient::new(config).unwrap();
        assert_ne!(first, another_agent.order_guid(&order, 1).unwrap());
    }

    #[test]
    fn amounts_are_plain_decimals_and_guids_braced() {
        let client = client();
        let prepared = client.prepare_cash_in_payment(&cash_in(&client)).unwrap();
        assert!(
            prepared.xml.contains("<amount>1500.5</amount>"),
            "{}",
            prepared.xml
        );
        assert!(prepared.xml.contains("<GUID>{"), "{}", prepared.xml);
        assert!(
            prepared
                .xml
                .contains("<timestamp>2026-11-23T13:00:00+05:00</timestamp>"),
            "{}",
            prepared.xml
        );
        assert!(
            prepared.xml.contains(
                "<certificateNumber xmlns=\"https://allpay.kz\">1001</certificateNumber>"
            )
        );
    }

    #[test]
    fn xs_decimals_are_read_exactly_and_exponents_refused() {
        assert_eq!(
            money(BALANCE, "x", "1500.50").unwrap(),
            Money::parse("1500.5", Currency::KZT).unwrap()
        );
        for bad in ["1.5E3", "", "abc", "1,5", "0x10"] {
            assert!(money(BALANCE, "x", bad).is_err(), "{bad}");
        }
    }
}
