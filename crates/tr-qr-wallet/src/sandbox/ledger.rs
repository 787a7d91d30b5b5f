//! The simulator's state and rules: wallets, balances and limits, QR codes,
//! sessions, debits and tokens.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use payments_core::Money;
use payments_core::clock::{Clock, ManualClock};

use super::{Debit, SandboxCounts, SandboxOptions};

pub(super) struct Wallet {
    pub(super) balance: Money,
    pub(super) payment_limit: Money,
}

struct PosQr {
    amount: Money,
    expires: SystemTime,
    used: bool,
    short_code: String,
}

struct Session {
    wallet: String,
    qr: String,
    amount: Money,
    sale_reference: String,
    approval: u64,
    expires: SystemTime,
    completed: bool,
}

#[derive(Default)]
pub(super) struct State {
    rng: fastrand::Rng,
    pub(super) tokens: HashMap<String, SystemTime>,
    /// Every token ever issued, revoked ones included.
    pub(super) issued_tokens: Vec<String>,
    pub(super) wallets: HashMap<String, Wallet>,
    qr_codes: HashMap<String, PosQr>,
    sessions: HashMap<String, Session>,
    pub(super) debits: Vec<Debit>,
    pub(super) counts: SandboxCounts,
}

impl State {
    fn digits(&mut self, n: usize) -> String {
        let first = char::from(b'1' + self.rng.u8(0..9));
        std::iter::once(first)
            .chain((1..n).map(|_| char::from(b'0' + self.rng.u8(0..10))))
            .collect()
    }

    fn new_qr(&mut self, amount: Money, expires: SystemTime) -> (String, String) {
        let code = self.digits(20);
        let short_code = self.digits(6);
        self.qr_codes.insert(
            code.clone(),
            PosQr {
                amount,
                expires,
                used: false,
                short_code: short_code.clone(),
            },
        );
        (code, short_code)
    }
}

pub(super) struct Shared {
    pub(super) clock: ManualClock,
    pub(super) options: SandboxOptions,
    state: Mutex<State>,
}

/// A refusal: the envelope's code and message.
pub(super) struct Refusal(pub(super) &'static str, pub(super) &'static str);

/// A session Begin opened.
pub(super) struct Begun {
    pub(super) correlation_id: String,
    pub(super) sale_reference: String,
    pub(super) approval: u64,
    pub(super) amount: Money,
    pub(super) expires: SystemTime,
}

/// A debit Complete booked.
pub(super) struct Completed {
    pub(super) amount: Money,
    /// The wallet's balance after the debit.
    pub(super) balance: Money,
    /// The wallet's payment limit.
    pub(super) limit: Money,
    pub(super) sale_reference: String,
    pub(super) approval: u64,
    pub(super) transaction_id: String,
}

impl Shared {
    /// The simulator's state for `options`, its clock at `options.start`.
    pub(super) fn new(options: SandboxOptions) -> Self {
        Shared {
            clock: ManualClock::new(options.start),
            state: Mutex::new(State {
                rng: fastrand::Rng::with_seed(options.seed),
                ..State::default()
            }),
            options,
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new token, valid for the token life from now.
    pub(super) fn issue_token(&self) -> String {
        let now = self.clock.now();
        let mut state = self.lock();
        let token = format!("tok-{}", state.digits(16));
        state
            .tokens
            .insert(token.clone(), now + self.options.token_ttl);
        state.issued_tokens.push(token.clone());
        state.counts.tokens += 1;
        token
    }

    /// Whether `bearer` is a token alive at `now`; a refusal is counted.
    pub(super) fn authorises(&self, bearer: Option<&str>, now: SystemTime) -> bool {
        let authorised = bearer.is_some_and(|token| {
            self.lock()
                .tokens
                .get(token)
                .is_some_and(|expiry| now < *expiry)
        });
        if !authorised {
            self.lock().counts.unauthorized += 1;
        }
        authorised
    }

    /// A QR code for a sale of `amount`, valid for the QR life from `now`:
    /// the code, its short code and its expiry.
    pub(super) fn create_qr(&self, amount: Money, now: SystemTime) -> (String, String, SystemTime) {
        let expires = now + self.options.qr_ttl;
        let (qr_code, short_code) = self.lock().new_qr(amount, expires);
        (qr_code, short_code, expires)
    }

    /// Begin: opens a session for `wallet` to pay the QR code `qr_code`
    /// (a short code when `qr_code_type` is 2).
    pub(super) fn begin(
        &self,
        wallet: String,
        qr_code: &str,
        qr_code_type: u8,
        now: SystemTime,
    ) -> Result<Begun, Refusal> {
        let mut state = self.lock();
        state.counts.begins += 1;
        if !state.wallets.contains_key(&wallet) {
            return Err(Refusal("300", "Cüzdan bulunamadı"));
        }
        let code = match qr_code_type {
            2 => state
                .qr_codes
                .iter()
                .find(|(_, qr)| qr.short_code == qr_code)
                .map(|(code, _)| code.clone()),
            _ => Some(qr_code.to_owned()),
        };
        let Some((code, amount)) = code.and_then(|code| {
            let qr = state.qr_codes.get(&code)?;
            (!qr.used && now < qr.expires).then_some((code, qr.amount))
        }) else {
            return Err(Refusal("330", "QR kod bulunamadı veya süresi doldu"));
        };
        let correlation_id = state.digits(22);
        let sale_reference = state.digits(22);
        let approval = state.rng.u64(10_000_000..100_000_000);
        let expires = now + self.options.session_ttl;
        state.sessions.insert(
            correlation_id.clone(),
            Session {
                wallet,
                qr: code,
                amount,
                sale_reference: sale_reference.clone(),
                approval,
                expires,
                completed: false,
            },
        );
        Ok(Begun {
            correlation_id,
            sale_reference,
            approval,
            amount,
            expires,
        })
    }

    /// Complete: debits `wallet` once for the session `correlation_id`.
    pub(super) fn complete(
        &self,
        wallet: &str,
        correlation_id: &str,
        now: SystemTime,
    ) -> Result<Completed, Refusal> {
        let mut state = self.lock();
        state.counts.completes += 1;
        let Some(session) = state.sessions.get(correlation_id) else {
            return Err(Refusal("350", "İşlem bulunamadı"));
        };
        if session.wallet != wallet {
            return Err(Refusal("300", "Cüzdan bulunamadı"));
        }
        if session.completed {
            return Err(Refusal("301", "Mükerrer işlem"));
        }
        if now >= session.expires {
            return Err(Refusal("340", "Oturum süresi doldu"));
        }
        let (amount, qr, sale_reference, approval) = (
            session.amount,
            session.qr.clone(),
            session.sale_reference.clone(),
            session.approval,
        );
        let Some(payer) = state.wallets.get(wallet) else {
            return Err(Refusal("300", "Cüzdan bulunamadı"));
        };
        if amount.amount() > payer.payment_limit.amount() {
            return Err(Refusal("310", "Limit yetersiz"));
        }
        let Ok(balance) = payer.balance.checked_sub(amount) else {
            return Err(Refusal("311", "Yetersiz bakiye"));
        };
        let limit = payer.payment_limit;
        if let Some(payer) = state.wallets.get_mut(wallet) {
            payer.balance = balance;
        }
        if let Some(session) = state.sessions.get_mut(correlation_id) {
            session.completed = true;
        }
        if let Some(qr) = state.qr_codes.get_mut(&qr) {
            qr.used = true;
        }
        state.debits.push(Debit {
            correlation_id: correlation_id.to_owned(),
            qr_code: qr,
            wallet: wallet.to_owned(),
            amount,
        });
        let transaction_id = state.digits(20);
        Ok(Completed {
            amount,
            balance,
            limit,
            sale_reference,
            approval,
            transaction_id,
        })
    }
}
