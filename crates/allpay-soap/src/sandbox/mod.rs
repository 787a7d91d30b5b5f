//! A stateful Allpay simulator on loopback that checks request signatures
//! and signs its answers.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use allpay_soap::sandbox::AllpaySandbox;
//! use allpay_soap::{AllpayClient, CashIn, TerminalStatus, UserName};
//! use allpay_soap::{Currency, Money};
//!
//! let sandbox = AllpaySandbox::start().await?;
//! let client = AllpayClient::new(sandbox.config())?;
//! let user = UserName::new("77011234567")?;
//! assert!(client.check_user(&user).await?.is_some());
//! let payment = CashIn { to_user: user, amount: Money::parse("1500", Currency::KZT)?, guid: client.new_guid()? };
//! let done = client.drive_cash_in_payment(&payment).await?;
//! assert_eq!(done.status, TerminalStatus::Completed);
//! # Ok(()) }
//! ```
//!
//! What it simulates: signature checks on every request (an unsigned
//! `soap:Client` "Sign Error" Fault for a bad signature or certificate
//! number); signed answers echoing the request's digest as `requestDsig`;
//! customers ([`AllpaySandbox::add_user`]); the agent's balance; terminal
//! payments that stay `PENDING` for [`SandboxOptions::pending_polls`]
//! repeats, then complete (or are declined for an unknown customer or a
//! short balance), found again by GUID + requester; two-phase transactions
//! that block, then move or release the money; business Faults with
//! `developerMessage`, `userMessage`, `stackHash`. Faults per operation come
//! from the core ([`AllpaySandbox::faults`]).
//!
//! Its keys are sandbox-only test keys, published with this crate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use payments_core::sandbox::{
    Faults, SandboxHandler, SandboxRequest, SandboxResponse, SandboxServer,
};
use payments_core::{BaseUrl, Currency, Decimal, Money, async_trait};

use crate::config::AllpayConfig;
use crate::dsig::{SigningKey, VerifyingKey, sign_envelope};
use crate::generated::{self as g, cash_in, transaction_management as tm};
use crate::model::UserInfo;
use crate::soap::{self, Fault};
use crate::{CASH_IN_PATH, TRANSACTION_MANAGEMENT_PATH};

/// The sandbox merchant's private key (PKCS#8 PEM). Generated at run time
/// from a fixed seed — the same key every run, shipped in no file: a test
/// key, for the sandbox only.
pub fn merchant_private_key() -> &'static str {
    &crate::sandbox_keys::keys().merchant.private_pem
}

/// The sandbox merchant's public key (PEM), which the sandbox verifies requests with.
pub fn merchant_public_key() -> &'static str {
    &crate::sandbox_keys::keys().merchant.public_pem
}

/// The sandbox's own ("Allpay's") private key (PKCS#8 PEM), generated like
/// [`merchant_private_key`]. Sandbox only.
pub fn allpay_private_key() -> &'static str {
    &crate::sandbox_keys::keys().allpay.private_pem
}

/// The sandbox's ("Allpay's") public key (PEM), which verifies its answers.
pub fn allpay_public_key() -> &'static str {
    &crate::sandbox_keys::keys().allpay.public_pem
}
/// The agent login the sandbox accepts as `requester`.
pub const REQUESTER: &str = "sandbox-agent";
/// The certificate number the sandbox expects.
pub const CERTIFICATE_NUMBER: &str = "1001";

/// How the sandbox behaves.
#[derive(Debug, Clone)]
pub struct SandboxOptions {
    /// The agent's starting balance (default 1 000 000 KZT).
    pub agent_balance: Money,
    /// How many repeats a terminal payment stays `PENDING` before it is final (default 1).
    pub pending_polls: u32,
    /// The loopback port to serve on (default 0: a free one).
    pub port: u16,
}

impl Default for SandboxOptions {
    fn default() -> Self {
        SandboxOptions {
            port: 0,
            agent_balance: Money::from_minor_units(100_000_000, Currency::KZT)
                .unwrap_or_else(|_| Money::zero(Currency::KZT)),
            pending_polls: 1,
        }
    }
}

/// Money the sandbox moved to a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashedIn {
    /// The GUID.
    pub guid: String,
    /// The customer.
    pub to_user: String,
    /// The amount.
    pub amount: Money,
}

struct Terminal {
    to_user: String,
    amount: Money,
    polls: u32,
    status: &'static str,
    reason: Option<String>,
}

struct TwoPhase {
    id: i64,
    /// The customer: receiving a cash-in, or paying a cash-out.
    to_user: String,
    amount: Money,
    status: &'static str,
    /// A cash-out (money from the customer) rather than a cash-in.
    cash_out: bool,
}

/// Money the sandbox moved from a customer to the agent (a completed cash-out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashedOut {
    /// The GUID.
    pub guid: String,
    /// The customer.
    pub from_user: String,
    /// The amount.
    pub amount: Money,
}

#[derive(Default)]
struct State {
    users: HashMap<String, UserInfo>,
    available: Decimal,
    blocked: Decimal,
    terminal: HashMap<String, Terminal>,
    transactions: HashMap<String, TwoPhase>,
    cashed_in: Vec<CashedIn>,
    /// Customers' wallet balances, for cash-outs.
    wallets: HashMap<String, Decimal>,
    /// The code each customer's device shows for a cash-out.
    tokens: HashMap<String, String>,
    cashed_out: Vec<CashedOut>,
    next_id: i64,
    requests: usize,
}

struct Shared {
    options: SandboxOptions,
    merchant: VerifyingKey,
    allpay: SigningKey,
    state: Mutex<State>,
}

/// The running simulator. Stops when dropped.
pub struct AllpaySandbox {
    server: SandboxServer,
    shared: Arc<Shared>,
}

fn key_error(e: &crate::dsig::SignatureError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

impl AllpaySandbox {
    /// Starts a sandbox with default options and one identified customer,
    /// `77011234567`.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(SandboxOptions::default()).await
    }

    /// Starts a sandbox with `options`.
    ///
    /// # Errors
    ///
    /// When no loopback port can be bound.
    pub async fn start_with(options: SandboxOptions) -> std::io::Result<Self> {
        let port = options.port;
        let mut state = State {
            available: options.agent_balance.amount(),
            next_id: 5000,
            ..State::default()
        };
        state.users.insert(
            "77011234567".to_owned(),
            UserInfo {
                identified: true,
                iin: Some("900101300123".to_owned()),
                first_name: Some("Айгерим".to_owned()),
                last_name: Some("Серикова".to_owned()),
                patronymic: None,
            },
        );
        state
            .wallets
            .insert("77011234567".to_owned(), Decimal::from(500_000));
        let shared = Arc::new(Shared {
            merchant: VerifyingKey::from_pem(merchant_public_key()).map_err(|e| key_error(&e))?,
            allpay: SigningKey::from_pem(allpay_private_key()).map_err(|e| key_error(&e))?,
            options,
            state: Mutex::new(state),
        });
        let server =
            SandboxServer::start_on(port, Arc::new(Simulator(Arc::clone(&shared)))).await?;
        Ok(AllpaySandbox { server, shared })
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base_url(&self) -> BaseUrl {
        self.server.base_url()
    }

    /// A client configuration for this sandbox, with its keys.
    ///
    /// # Panics
    ///
    /// Never: the sandbox's generated keys are valid PEM.
    #[allow(clippy::expect_used)]
    pub fn config(&self) -> AllpayConfig {
        AllpayConfig::new(
            self.base_url(),
            REQUESTER,
            CERTIFICATE_NUMBER,
            SigningKey::from_pem(merchant_private_key()).expect("generated sandbox key"),
            VerifyingKey::from_pem(allpay_public_key()).expect("generated sandbox key"),
        )
    }

    /// Every secret a merchant's side holds with this sandbox: the body of
    /// the merchant's private key (each of its base64 lines) — for tests
    /// that search logs, errors and stored data for them.
    pub fn secrets(&self) -> Vec<String> {
        merchant_private_key()
            .lines()
            .filter(|line| !line.starts_with("-----") && line.len() > 16)
            .map(str::to_owned)
            .collect()
    }

    /// HTTP requests received so far (the round trips clients made).
    pub fn requests_served(&self) -> usize {
        self.server.requests()
    }

    /// The faults to inject into the next requests.
    pub fn faults(&self) -> &Faults {
        self.server.faults()
    }

    /// Adds (or replaces) a customer.
    pub fn add_user(&self, login: &str, info: UserInfo) {
        self.shared.lock().users.insert(login.to_owned(), info);
    }

    /// The agent's available balance.
    pub fn agent_balance(&self) -> Money {
        Money::new(self.shared.lock().available, Currency::KZT)
            .unwrap_or_else(|_| Money::zero(Currency::KZT))
    }

    /// Money blocked by pending two-phase transactions.
    pub fn blocked(&self) -> Money {
        Money::new(self.shared.lock().blocked, Currency::KZT)
            .unwrap_or_else(|_| Money::zero(Currency::KZT))
    }

    /// Every cash-in that reached a customer, in order.
    pub fn cashed_in(&self) -> Vec<CashedIn> {
        self.shared.lock().cashed_in.clone()
    }

    /// Every completed cash-out, in order.
    pub fn cashed_out(&self) -> Vec<CashedOut> {
        self.shared.lock().cashed_out.clone()
    }

    /// Plays the customer `user` opening a cash-out in their app: the
    /// six-digit code their device shows, which a cash-out must carry.
    pub fn cash_out_token(&self, user: &str) -> String {
        let mut state = self.shared.lock();
        let token = format!("{:06}", (state.next_id * 7919 + 104_729) % 1_000_000);
        state.next_id += 1;
        state.tokens.insert(user.to_owned(), token.clone());
        token
    }

    /// A customer's wallet balance (`77011234567` starts with 500 000 KZT).
    pub fn wallet_balance(&self, user: &str) -> Option<Money> {
        let state = self.shared.lock();
        let balance = state.wallets.get(user)?;
        Money::new(*balance, Currency::KZT).ok()
    }

    /// Requests received (signature failures included).
    pub fn requests(&self) -> usize {
        self.shared.lock().requests
    }
}

impl std::fmt::Debug for AllpaySandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AllpaySandbox")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Simulator(Arc<Shared>);

/// What the request said, read namespace-aware.
struct Call {
    operation: String,
    digest: String,
    fields: HashMap<String, String>,
}

fn xml_response(status: u16, body: String) -> SandboxResponse {
    SandboxResponse::with_type(status, "text/xml; charset=utf-8", body)
}

fn sign_error() -> SandboxResponse {
    xml_response(
        500,
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>Sign Error: bad sign or authorization token</faultstring></soap:Fault></soap:Body></soap:Envelope>"#.to_owned(),
    )
}

#[async_trait]
impl SandboxHandler for Simulator {
    fn operation(&self, request: &SandboxRequest) -> String {
        request
            .header("soapaction")
            .unwrap_or("unknown")
            .trim_matches('"')
            .to_owned()
    }

    async fn handle(&self, request: SandboxRequest) -> SandboxResponse {
        self.0.lock().requests += 1;
        let Ok(text) = std::str::from_utf8(&request.body) else {
            return sign_error();
        };
        // The client's rules for answers, applied to requests: one parse,
        // the limits, the strict envelope (one `certificateNumber`, in the
        // Header), the Signature a direct child of the Header; the call is
        // read from the same tree.
        let Ok(doc) = crate::dsig::parse(text) else {
            return sign_error();
        };
        let Ok(envelope) = soap::check_envelope(&doc, "certificateNumber") else {
            return sign_error();
        };
        let Ok((verified, _)) = crate::dsig::verify_document(&doc, &self.0.merchant) else {
            return sign_error();
        };
        let certificate = envelope
            .request_dsig
            .and_then(|node| crate::read::string(node).ok());
        if certificate.as_deref() != Some(CERTIFICATE_NUMBER) {
            return sign_error();
        }
        let service = match request.path.trim_start_matches('/') {
            CASH_IN_PATH => cash_in::NAMESPACE,
            TRANSACTION_MANAGEMENT_PATH => tm::NAMESPACE,
            _ => {
                return SandboxResponse::with_type(
                    404,
                    "text/html",
                    "<html><body>Not Found</body></html>",
                );
            }
        };
        // SOAP 1.1 §6.1.1 / WS-I R1109: the SOAPAction is a quoted string,
        // and JAX-WS matches it quoted — an unquoted one is not understood.
        let quoted = request
            .header("soapaction")
            .is_some_and(|a| a.len() >= 2 && a.starts_with('"') && a.ends_with('"'));
        if !quoted {
            return self.fault(
                None,
                "soap:Client",
                "SOAPAction must be a quoted string",
                "",
            );
        }
        let Some(call) = read_call(envelope.content, service, verified.digest_value) else {
            return self.fault(
                None,
                "soap:Client",
                "Unknown operation or malformed request",
                "",
            );
        };
        // Every operation but `echo` carries a header naming the agent.
        if call.operation != "echo"
            && call.fields.get("requester").map(String::as_str) != Some(REQUESTER)
        {
            return self.fault(
                Some(&call),
                "soap:Client",
                "Unknown requester",
                "Агент не найден",
            );
        }
        self.dispatch(&call)
    }
}

/// The call in the Body's one element `operation`: its one child (the
/// request, or `echo`'s text), that child's text fields and its `header`'s,
/// each at its place and once.
fn read_call(operation: roxmltree::Node<'_, '_>, service: &str, digest: String) -> Option<Call> {
    use crate::read::{elements, string, unqualified};
    if operation.tag_name().namespace() != Some(service) {
        return None;
    }
    let mut request = elements(operation).ok()?;
    let (Some(request), None) = (request.next(), request.next()) else {
        return None;
    };
    let mut fields = HashMap::new();
    let mut put = |node: roxmltree::Node<'_, '_>| -> Option<()> {
        let name = unqualified(node)?.to_owned();
        let value = string(node).ok()?;
        fields.insert(name, value).is_none().then_some(())
    };
    if request.children().any(|c| c.is_element()) {
        for field in elements(request).ok()? {
            if unqualified(field) == Some("header") {
                for item in elements(field).ok()? {
                    put(item)?;
                }
            } else {
                put(field)?;
            }
        }
    } else {
        put(request)?;
    }
    Some(Call {
        operation: operation.tag_name().name().to_owned(),
        digest,
        fields,
    })
}

fn ok_header() -> g::ResponseHeader {
    g::ResponseHeader {
        user_message: Some("Операция выполнена успешно".to_owned()),
        developer_message: Some("OK".to_owned()),
        status: 0,
        timestamp: None,
    }
}

impl Simulator {
    fn signed<B: yaserde::YaSerialize>(
        &self,
        call: Option<&Call>,
        status: u16,
        body: B,
    ) -> SandboxResponse {
        let Ok(xml) = soap::write(body) else {
            return sign_error();
        };
        let xml = match call {
            Some(call) => {
                soap::add_header_element(&xml, "requestDsig", &call.digest).unwrap_or(xml)
            }
            None => xml,
        };
        match sign_envelope(&xml, &self.0.allpay) {
            Ok(signed) => xml_response(status, signed.xml),
            Err(_) => sign_error(),
        }
    }

    fn fault(
        &self,
        call: Option<&Call>,
        code: &str,
        developer: &str,
        user: &str,
    ) -> SandboxResponse {
        let body = cash_in::EchoResponseBody {
            response: None,
            fault: Some(Fault {
                faultcode: code.to_owned(),
                faultstring: developer.to_owned(),
            }),
        };
        let Ok(xml) = soap::write(body) else {
            return sign_error();
        };
        let detail = format!(
            "<detail><developerMessage>{developer}</developerMessage><userMessage>{user}</userMessage><stackHash>sb-{:08x}</stackHash></detail>",
            developer.len() * 2654435761 % 4294967291
        );
        let xml = xml.replacen("</faultstring>", &format!("</faultstring>{detail}"), 1);
        let xml = match call {
            Some(call) => {
                soap::add_header_element(&xml, "requestDsig", &call.digest).unwrap_or(xml)
            }
            None => xml,
        };
        match sign_envelope(&xml, &self.0.allpay) {
            Ok(signed) => xml_response(500, signed.xml),
            Err(_) => sign_error(),
        }
    }

    fn field<'c>(call: &'c Call, name: &str) -> &'c str {
        call.fields.get(name).map_or("", String::as_str)
    }

    fn dispatch(&self, call: &Call) -> SandboxResponse {
        match call.operation.as_str() {
            "echo" => self.signed(
                Some(call),
                200,
                cash_in::EchoResponseBody {
                    response: Some(cash_in::EchoResponse {
                        result: Self::field(call, "Echo").to_owned(),
                    }),
                    fault: None,
                },
            ),
            "checkUser" | "checkUserAndValidateCashIn" => {
                let info = self
                    .0
                    .lock()
                    .users
                    .get(Self::field(call, "userName"))
                    .cloned();
                let result = g::CheckUserResponse {
                    header: ok_header(),
                    basic_user_info: info.map(|u| g::BasicUserInfo {
                        identified: u.identified,
                        iin: u.iin,
                        first_name: u.first_name,
                        last_name: u.last_name,
                        patronymic: u.patronymic,
                    }),
                };
                if call.operation == "checkUser" {
                    self.signed(
                        Some(call),
                        200,
                        cash_in::CheckUserResponseBody {
                            response: Some(cash_in::CheckUserResponse { result }),
                            fault: None,
                        },
                    )
                } else {
                    self.signed(
                        Some(call),
                        200,
                        cash_in::CheckUserAndValidateCashInResponseBody {
                            response: Some(cash_in::CheckUserAndValidateCashInResponse { result }),
                            fault: None,
                        },
                    )
                }
            }
            "createCashInPayment" => self.terminal(call),
            "createCashInTransaction" => self.create_transaction(call),
            "createCashOutTransaction" => self.create_cash_out(call),
            "completeTransaction" | "declineTransaction" => self.transaction_action(call),
            "availableBalance" => {
                let available = self.0.lock().available;
                self.signed(
                    Some(call),
                    200,
                    tm::AvailableBalanceResponseBody {
                        response: Some(tm::AvailableBalanceResponse {
                            result: g::AvailableBalanceResponse {
                                header: ok_header(),
                                agent_balance_response: available.to_string(),
                            },
                        }),
                        fault: None,
                    },
                )
            }
            _ => self.fault(Some(call), "soap:Client", "Unknown operation", ""),
        }
    }

    fn parse_amount(call: &Call) -> Option<Money> {
        Decimal::from_str_exact(Self::field(call, "amount"))
            .ok()
            .and_then(|d| Money::new(d, Currency::KZT).ok())
            .filter(|m| !m.is_zero())
    }

    fn terminal(&self, call: &Call) -> SandboxResponse {
        let guid = Self::field(call, "GUID").to_owned();
        let to_user = Self::field(call, "toUserName").to_owned();
        let Some(requested) = Self::parse_amount(call) else {
            return self.fault(
                Some(call),
                "soap:Client",
                "Invalid amount",
                "Неверная сумма",
            );
        };
        let key = format!("{REQUESTER}/{guid}");
        let mut state = self.0.lock();
        let known_user = state.users.contains_key(&to_user);
        let available = state.available;
        let pending_polls = self.0.options.pending_polls;
        let payment = state.terminal.entry(key).or_insert_with(|| Terminal {
            to_user: to_user.clone(),
            amount: requested,
            polls: 0,
            status: "PENDING",
            reason: None,
        });
        if payment.to_user != to_user || payment.amount != requested {
            drop(state);
            return self.fault(
                Some(call),
                "soap:Client",
                "GUID already used with other parameters",
                "Повторный GUID",
            );
        }
        let mut completed = None;
        if payment.status == "PENDING" {
            if payment.polls >= pending_polls {
                if !known_user {
                    payment.status = "DECLINED";
                    payment.reason = Some("user not found".to_owned());
                } else if available < payment.amount.amount() {
                    payment.status = "DECLINED";
                    payment.reason = Some("insufficient agent balance".to_owned());
                } else {
                    payment.status = "COMPLETED";
                    completed = Some(CashedIn {
                        guid,
                        to_user: payment.to_user.clone(),
                        amount: payment.amount,
                    });
                }
            }
            payment.polls += 1;
        }
        let (status, reason) = (payment.status, payment.reason.clone());
        if let Some(done) = completed {
            state.available -= done.amount.amount();
            state.cashed_in.push(done);
        }
        drop(state);
        self.signed(
            Some(call),
            200,
            cash_in::CreateCashInPaymentResponseBody {
                response: Some(cash_in::CreateCashInPaymentResponse {
                    result: g::TerminalPaymentResponse {
                        header: ok_header(),
                        terminal_payment_transaction_status: g::TerminalPaymentStatus::new(status),
                        reason,
                    },
                }),
                fault: None,
            },
        )
    }

    fn info(guid: &str, t: &TwoPhase) -> g::TransactionInfo {
        g::TransactionInfo {
            guid: guid.to_owned(),
            amount: t.amount.to_json_number().to_string(),
            transaction_id: t.id,
            transaction_status: g::TransactionStatus::new(t.status),
            commission: Some("0".to_owned()),
            commission_to: Some("0".to_owned()),
        }
    }

    fn transaction_answer(&self, call: &Call, info: g::TransactionInfo) -> SandboxResponse {
        let result = g::TransactionResponse {
            header: ok_header(),
            transaction_info: info,
        };
        match call.operation.as_str() {
            "createCashInTransaction" => self.signed(
                Some(call),
                200,
                tm::CreateCashInTransactionResponseBody {
                    response: Some(tm::CreateCashInTransactionResponse { result }),
                    fault: None,
                },
            ),
            "createCashOutTransaction" => self.signed(
                Some(call),
                200,
                tm::CreateCashOutTransactionResponseBody {
                    response: Some(tm::CreateCashOutTransactionResponse { result }),
                    fault: None,
                },
            ),
            "completeTransaction" => self.signed(
                Some(call),
                200,
                tm::CompleteTransactionResponseBody {
                    response: Some(tm::CompleteTransactionResponse { result }),
                    fault: None,
                },
            ),
            _ => self.signed(
                Some(call),
                200,
                tm::DeclineTransactionResponseBody {
                    response: Some(tm::DeclineTransactionResponse { result }),
                    fault: None,
                },
            ),
        }
    }

    /// What both two-phase creations start with: the amount, and the
    /// existing transaction's answer for a GUID seen before (a repeat).
    /// The state stays locked, so two requests with one GUID create one.
    fn two_phase_start(
        &self,
        call: &Call,
    ) -> Result<(String, Money, MutexGuard<'_, State>), SandboxResponse> {
        let guid = Self::field(call, "GUID").to_owned();
        let Some(requested) = Self::parse_amount(call) else {
            return Err(self.fault(
                Some(call),
                "soap:Client",
                "Invalid amount",
                "Неверная сумма",
            ));
        };
        let state = self.0.lock();
        if let Some(existing) = state.transactions.get(&guid) {
            let info = Self::info(&guid, existing);
            drop(state);
            return Err(self.transaction_answer(call, info));
        }
        Ok((guid, requested, state))
    }

    fn create_transaction(&self, call: &Call) -> SandboxResponse {
        let to_user = Self::field(call, "toUserName").to_owned();
        let (guid, requested, mut state) = match self.two_phase_start(call) {
            Ok(started) => started,
            Err(answer) => return answer,
        };
        if !state.users.contains_key(&to_user) {
            drop(state);
            return self.fault(
                Some(call),
                "soap:Server",
                "USER_NOT_FOUND",
                "Пользователь не найден",
            );
        }
        if state.available < requested.amount() {
            drop(state);
            return self.fault(
                Some(call),
                "soap:Server",
                "INSUFFICIENT_AGENT_BALANCE",
                "Недостаточно средств",
            );
        }
        state.available -= requested.amount();
        state.blocked += requested.amount();
        self.two_phase_open(call, state, guid, to_user, requested, false)
    }

    /// A cash-out: the customer's money, authorised by their device's code,
    /// is blocked until the transaction is completed or declined.
    fn create_cash_out(&self, call: &Call) -> SandboxResponse {
        let from_user = Self::field(call, "fromUserName").to_owned();
        let (guid, requested, mut state) = match self.two_phase_start(call) {
            Ok(started) => started,
            Err(answer) => return answer,
        };
        let Some(balance) = state.wallets.get(&from_user).copied() else {
            drop(state);
            return self.fault(
                Some(call),
                "soap:Server",
                "USER_NOT_FOUND",
                "Пользователь не найден",
            );
        };
        if state.tokens.get(&from_user).map(String::as_str) != Some(Self::field(call, "token")) {
            drop(state);
            return self.fault(
                Some(call),
                "soap:Client",
                "INVALID_TOKEN",
                "Неверный код подтверждения",
            );
        }
        if balance < requested.amount() {
            drop(state);
            return self.fault(
                Some(call),
                "soap:Server",
                "INSUFFICIENT_FUNDS",
                "Недостаточно средств",
            );
        }
        // A code authorises one cash-out.
        state.tokens.remove(&from_user);
        state
            .wallets
            .insert(from_user.clone(), balance - requested.amount());
        self.two_phase_open(call, state, guid, from_user, requested, true)
    }

    /// Records a new `PENDING` two-phase transaction (the money is blocked)
    /// and answers it.
    fn two_phase_open(
        &self,
        call: &Call,
        mut state: MutexGuard<'_, State>,
        guid: String,
        user: String,
        amount: Money,
        cash_out: bool,
    ) -> SandboxResponse {
        state.next_id += 1;
        let transaction = TwoPhase {
            id: state.next_id,
            to_user: user,
            amount,
            status: "PENDING",
            cash_out,
        };
        let info = Self::info(&guid, &transaction);
        state.transactions.insert(guid, transaction);
        drop(state);
        self.transaction_answer(call, info)
    }

    fn transaction_action(&self, call: &Call) -> SandboxResponse {
        let guid = Self::field(call, "GUID").to_owned();
        let id: i64 = Self::field(call, "transactionId")
            .parse()
            .unwrap_or_default();
        let complete = call.operation == "completeTransaction";
        let mut state = self.0.lock();
        let Some(transaction) = state.transactions.get(&guid).filter(|t| t.id == id) else {
            drop(state);
            return self.fault(
                Some(call),
                "soap:Server",
                "TRANSACTION_NOT_FOUND",
                "Транзакция не найдена",
            );
        };
        let (status, amount, user, cash_out) = (
            transaction.status,
            transaction.amount,
            transaction.to_user.clone(),
            transaction.cash_out,
        );
        match (status, complete) {
            ("PENDING", true) if cash_out => {
                state.available += amount.amount();
                state.cashed_out.push(CashedOut {
                    guid: guid.clone(),
                    from_user: user,
                    amount,
                });
            }
            ("PENDING", false) if cash_out => {
                *state.wallets.entry(user).or_default() += amount.amount();
            }
            ("PENDING", true) => {
                state.blocked -= amount.amount();
                state.cashed_in.push(CashedIn {
                    guid: guid.clone(),
                    to_user: user,
                    amount,
                });
            }
            ("PENDING", false) => {
                state.blocked -= amount.amount();
                state.available += amount.amount();
            }
            ("COMPLETED", true) | ("DECLINED", false) => {}
            _ => {
                drop(state);
                return self.fault(
                    Some(call),
                    "soap:Server",
                    "TRANSACTION_STATE_CONFLICT",
                    "Операция невозможна",
                );
            }
        }
        let new_status = if complete { "COMPLETED" } else { "DECLINED" };
        let info = state.transactions.get_mut(&guid).map(|t| {
            t.status = new_status;
            Self::info(&guid, t)
        });
        drop(state);
        match info {
            Some(info) => self.transaction_answer(call, info),
            None => self.fault(Some(call), "soap:Server", "TRANSACTION_NOT_FOUND", ""),
        }
    }
}
