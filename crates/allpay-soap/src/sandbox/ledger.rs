//! The simulator's state and rules: the agent's balance, customers and
//! their wallets and cash-out codes, terminal payments (`PENDING` for
//! [`SandboxOptions::pending_polls`] repeats, found again by GUID +
//! requester), two-phase transactions that block, then move or release
//! the money.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use payments_core::sandbox::SandboxResponse;
use payments_core::{Currency, Decimal, Money};

use super::http::{Call, Simulator, ok_header};
use super::{CashedIn, CashedOut, REQUESTER, SandboxOptions};
use crate::dsig::{SigningKey, VerifyingKey};
use crate::generated::{self as g, cash_in};
use crate::model::UserInfo;

pub(super) struct Terminal {
    to_user: String,
    amount: Money,
    polls: u32,
    status: &'static str,
    reason: Option<String>,
}

pub(super) struct TwoPhase {
    pub(super) id: i64,
    /// The customer: receiving a cash-in, or paying a cash-out.
    to_user: String,
    pub(super) amount: Money,
    pub(super) status: &'static str,
    /// A cash-out (money from the customer) rather than a cash-in.
    cash_out: bool,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) users: HashMap<String, UserInfo>,
    pub(super) available: Decimal,
    pub(super) blocked: Decimal,
    pub(super) terminal: HashMap<String, Terminal>,
    pub(super) transactions: HashMap<String, TwoPhase>,
    pub(super) cashed_in: Vec<CashedIn>,
    /// Customers' wallet balances, for cash-outs.
    pub(super) wallets: HashMap<String, Decimal>,
    /// The code each customer's device shows for a cash-out.
    pub(super) tokens: HashMap<String, String>,
    pub(super) cashed_out: Vec<CashedOut>,
    pub(super) next_id: i64,
    pub(super) requests: usize,
}

pub(super) struct Shared {
    pub(super) options: SandboxOptions,
    pub(super) merchant: VerifyingKey,
    pub(super) allpay: SigningKey,
    pub(super) state: Mutex<State>,
}

impl Shared {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Simulator {
    fn parse_amount(call: &Call) -> Option<Money> {
        Decimal::from_str_exact(Self::field(call, "amount"))
            .ok()
            .and_then(|d| Money::new(d, Currency::KZT).ok())
            .filter(|m| !m.is_zero())
    }

    pub(super) fn terminal(&self, call: &Call) -> SandboxResponse {
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

    pub(super) fn create_transaction(&self, call: &Call) -> SandboxResponse {
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
    pub(super) fn create_cash_out(&self, call: &Call) -> SandboxResponse {
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

    pub(super) fn transaction_action(&self, call: &Call) -> SandboxResponse {
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
