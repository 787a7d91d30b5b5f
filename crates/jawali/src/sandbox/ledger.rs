//! The simulator's state and rules: vouchers, balances, tokens, cash-outs,
//! and what each `callWS` service decides.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use payments_core::clock::{Clock, ManualClock};
use payments_core::sandbox::SandboxResponse;
use payments_core::wire::JsonNumber;
use payments_core::{Currency, Money};
use serde::Serialize;
use time::OffsetDateTime;
use time::macros::{format_description, offset};

use super::http::{SimWalletAuth, SimWalletCall, fail, format_time, number, ok};
use super::{BookedCashOut, CREDENTIALS, SandboxCounts, SandboxOptions};
use crate::model::VoucherState;

pub(super) struct SimVoucher {
    pub(super) amount: Money,
    pub(super) customer_mobile: String,
    pub(super) sender_mobile: String,
    pub(super) created: SystemTime,
    pub(super) state: VoucherState,
    pub(super) issuer_reference: String,
}

impl SimVoucher {
    pub(super) fn current_state(&self, now: SystemTime, ttl: Duration) -> VoucherState {
        if self.state == VoucherState::Pending && now >= self.created + ttl {
            VoucherState::Expired
        } else {
            self.state.clone()
        }
    }
}

pub(super) struct StatementLine {
    at: SystemTime,
    reference: String,
    issuer_reference: String,
    amount: Money,
    balance: Money,
}

#[derive(Default)]
pub(super) struct State {
    pub(super) rng: fastrand::Rng,
    pub(super) issued: u64,
    pub(super) access_tokens: HashMap<String, SystemTime>,
    pub(super) wallet_tokens: HashMap<String, SystemTime>,
    /// Every token and refresh token ever issued, revoked ones included.
    pub(super) issued_tokens: Vec<String>,
    pub(super) vouchers: HashMap<String, SimVoucher>,
    pub(super) used_references: HashSet<String>,
    pub(super) cash_outs: Vec<BookedCashOut>,
    /// Cash-outs refused, by `refId`: a status lookup answers FAILED.
    pub(super) refused: HashSet<String>,
    /// Cash-outs still "processing", by `refId`: lookups left that answer PENDING.
    pub(super) processing: HashMap<String, u32>,
    /// How many PENDING lookups the next cash-outs get (slow commits).
    pub(super) slow: Vec<u32>,
    pub(super) balances: BTreeMap<&'static str, Money>,
    pub(super) statement: Vec<StatementLine>,
    pub(super) counts: SandboxCounts,
}

pub(super) struct Simulator {
    pub(super) clock: ManualClock,
    pub(super) options: SandboxOptions,
    pub(super) state: Mutex<State>,
}

impl Simulator {
    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn wallet_authentication(&self, body: &str) -> SandboxResponse {
        let Ok(auth) = serde_json::from_str::<SimWalletAuth>(body) else {
            return fail("-100", "Malformed request body", "طلب غير صالح");
        };
        if let Some(refused) = wallet_refused(&auth.identifier, &auth.password) {
            return refused;
        }
        let now = self.clock.now();
        let mut state = self.lock();
        let token = format!("wt-{:016x}", state.rng.u64(..));
        state
            .wallet_tokens
            .insert(token.clone(), now + self.options.wallet_token_ttl);
        state.issued_tokens.push(token.clone());
        state.counts.wallet_authentications += 1;
        ok(serde_json::json!({
            "access_token": token,
            "expires_in": self.options.wallet_token_ttl.as_secs(),
        }))
    }

    /// Records a request's `refId`; `false` for a duplicate.
    fn take_reference(state: &mut State, call: &SimWalletCall) -> Result<String, SandboxResponse> {
        let Some(reference) = call.ref_id.clone().filter(|r| !r.is_empty()) else {
            return Err(fail("-105", "refId is required", "المرجع مطلوب"));
        };
        if !state.used_references.insert(reference.clone()) {
            return Err(fail(
                "-106",
                format!("Duplicate refId {reference}"),
                "المرجع مكرر",
            ));
        }
        Ok(reference)
    }

    pub(super) fn inquiry(&self, call: &SimWalletCall, now: SystemTime) -> SandboxResponse {
        let mut state = self.lock();
        state.counts.inquiries += 1;
        if let Err(answer) = Self::take_reference(&mut state, call) {
            return answer;
        }
        let ttl = self.options.voucher_ttl;
        let Some(voucher) = voucher_for(&state, call) else {
            return fail("-107", "Voucher not found", "كود الشراء غير موجود");
        };
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            txnamount: JsonNumber,
            txncurrency: &'static str,
            state: String,
            issuer_trx_ref: String,
            receiver_mobile: String,
            sender_mobile: String,
            trx_date: String,
        }
        ok(Answer {
            txnamount: number(voucher.amount),
            txncurrency: voucher.amount.currency().code(),
            state: voucher.current_state(now, ttl).as_wire().to_owned(),
            issuer_trx_ref: voucher.issuer_reference.clone(),
            receiver_mobile: voucher.customer_mobile.clone(),
            sender_mobile: voucher.sender_mobile.clone(),
            trx_date: format_time(voucher.created),
        })
    }

    pub(super) fn cash_out(&self, call: &SimWalletCall, now: SystemTime) -> SandboxResponse {
        let ttl = self.options.voucher_ttl;
        let mut state = self.lock();
        state.counts.cash_out_requests += 1;
        let reference = match Self::take_reference(&mut state, call) {
            Ok(reference) => reference,
            Err(answer) => return answer,
        };
        let Some(voucher) = voucher_for(&state, call) else {
            state.refused.insert(reference);
            return fail("-107", "Voucher not found", "كود الشراء غير موجود");
        };
        let current = voucher.current_state(now, ttl);
        if current != VoucherState::Pending {
            let (desc, native) = match current {
                VoucherState::Expired => ("Voucher expired", "انتهت صلاحية كود الشراء"),
                VoucherState::Accepted => ("Voucher already accepted", "تم صرف كود الشراء مسبقاً"),
                VoucherState::Canceled => ("Voucher canceled", "كود الشراء ملغى"),
                _ => ("Voucher not pending", "كود الشراء غير قابل للصرف"),
            };
            state.refused.insert(reference);
            return fail("-108", desc, native);
        }
        let amount = voucher.amount;
        let requested = call
            .amount
            .zip(call.currency.as_deref().and_then(Currency::from_code))
            .and_then(|(a, c)| Money::new(a, c).ok());
        if requested != Some(amount) {
            state.refused.insert(reference);
            return fail(
                "-109",
                "Amount or currency does not match the voucher",
                "المبلغ أو العملة لا تطابق كود الشراء",
            );
        }
        let voucher_code = call.voucher.clone().unwrap_or_default();
        let issuer_reference = voucher.issuer_reference.clone();
        if let Some(v) = state.vouchers.get_mut(&voucher_code) {
            v.state = VoucherState::Accepted;
        }
        let balance = state
            .balances
            .get(amount.currency().code())
            .copied()
            .unwrap_or_else(|| Money::zero(amount.currency()))
            .checked_add(amount)
            .unwrap_or(amount);
        state.balances.insert(amount.currency().code(), balance);
        state.cash_outs.push(BookedCashOut {
            reference: reference.clone(),
            voucher: voucher_code,
            amount,
            issuer_reference: issuer_reference.clone(),
        });
        state.statement.push(StatementLine {
            at: now,
            reference: reference.clone(),
            issuer_reference: issuer_reference.clone(),
            amount,
            balance,
        });
        // The capitalised spellings, as some deployments answer.
        #[derive(Serialize)]
        struct Answer {
            amount: JsonNumber,
            #[serde(rename = "refId")]
            ref_id: String,
            #[serde(rename = "IssuerRef")]
            issuer_ref: String,
            #[serde(rename = "Currency")]
            currency: &'static str,
            balance: JsonNumber,
            status: &'static str,
        }
        let slow = if state.slow.is_empty() {
            None
        } else {
            Some(state.slow.remove(0))
        };
        if let Some(lookups) = slow {
            state.processing.insert(reference.clone(), lookups);
        }
        ok(Answer {
            amount: number(amount),
            ref_id: reference,
            issuer_ref: issuer_reference,
            currency: amount.currency().code(),
            balance: number(balance),
            status: if slow.is_some() {
                "PENDING"
            } else {
                "ACCEPTED"
            },
        })
    }

    pub(super) fn check_status(&self, call: &SimWalletCall) -> SandboxResponse {
        let mut state = self.lock();
        state.counts.status_lookups += 1;
        let reference = call.ref_id.clone().unwrap_or_default();
        let pending = match state.processing.get_mut(&reference) {
            Some(left) if *left > 0 => {
                *left -= 1;
                true
            }
            _ => false,
        };
        let refused = state.refused.contains(&reference);
        let Some(booked) = state.cash_outs.iter().find(|c| c.reference == reference) else {
            if refused {
                #[derive(Serialize)]
                #[serde(rename_all = "camelCase")]
                struct Failed {
                    ref_id: String,
                    status: &'static str,
                }
                return ok(Failed {
                    ref_id: reference,
                    status: "FAILED",
                });
            }
            return fail("-110", "Transaction not found", "العملية غير موجودة");
        };
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            ref_id: String,
            status: &'static str,
            amount: JsonNumber,
            currency: &'static str,
            issuer_ref: String,
        }
        ok(Answer {
            ref_id: booked.reference.clone(),
            status: if pending { "PENDING" } else { "SUCCESS" },
            amount: number(booked.amount),
            currency: booked.amount.currency().code(),
            issuer_ref: booked.issuer_reference.clone(),
        })
    }

    pub(super) fn statement(&self, call: &SimWalletCall) -> SandboxResponse {
        let format = format_description!("[year]-[month]-[day]");
        let parse =
            |d: &Option<String>| d.as_deref().and_then(|d| time::Date::parse(d, format).ok());
        let (Some(from), Some(to)) = (parse(&call.from_date), parse(&call.to_date)) else {
            return fail(
                "-111",
                "fromDate and toDate must be yyyy-MM-dd",
                "صيغة التاريخ غير صحيحة",
            );
        };
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Line {
            ref_id: String,
            issuer_ref: String,
            amount: JsonNumber,
            currency: &'static str,
            description: &'static str,
            trx_date: String,
            balance: JsonNumber,
        }
        #[derive(Serialize)]
        struct Answer {
            transactions: Vec<Line>,
        }
        let mut state = self.lock();
        state.counts.statements += 1;
        let transactions = state
            .statement
            .iter()
            .filter(|line| {
                let date = OffsetDateTime::from(line.at).to_offset(offset!(+3)).date();
                from <= date && date <= to
            })
            .map(|line| Line {
                ref_id: line.reference.clone(),
                issuer_ref: line.issuer_reference.clone(),
                amount: number(line.amount),
                currency: line.amount.currency().code(),
                description: "ECOMMCASHOUT",
                trx_date: format_time(line.at),
                balance: number(line.balance),
            })
            .collect();
        ok(Answer { transactions })
    }

    pub(super) fn balance(&self) -> SandboxResponse {
        let currency = self.options.wallet_currency;
        let mut state = self.lock();
        state.counts.balances += 1;
        let balance = state
            .balances
            .get(currency.code())
            .copied()
            .unwrap_or_else(|| Money::zero(currency));
        #[derive(Serialize)]
        struct Answer {
            balance: JsonNumber,
            currency: &'static str,
        }
        ok(Answer {
            balance: number(balance),
            currency: currency.code(),
        })
    }
}

fn voucher_for<'a>(state: &'a State, call: &SimWalletCall) -> Option<&'a SimVoucher> {
    let voucher = state.vouchers.get(call.voucher.as_deref()?)?;
    (call.receiver_mobile.as_deref() == Some(voucher.customer_mobile.as_str())).then_some(voucher)
}

/// The refusal of a call naming another agent wallet or password than the
/// sandbox's, if it does.
pub(super) fn wallet_refused(agent_wallet: &str, password: &str) -> Option<SandboxResponse> {
    (agent_wallet != CREDENTIALS.agent_wallet || password != CREDENTIALS.wallet_password).then(
        || {
            fail(
                "-103",
                "Invalid wallet credentials",
                "بيانات المحفظة غير صحيحة",
            )
        },
    )
}
