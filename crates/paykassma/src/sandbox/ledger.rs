//! The simulator's state and rules: the wallets create hands out, the
//! payments customers make into them, activations, and credited deposits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use payments_core::Money;
use payments_core::clock::ManualClock;
use payments_core::http::{HttpClient, HttpConfig, Timeouts};

use super::postbacks::PostbackDelivery;
use super::{PostbackQuirks, SandboxOptions};
use crate::model::TransactionNumber;

/// A deposit the sandbox credited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditedDeposit {
    /// The merchant's `custom_transaction_id`.
    pub custom_transaction_id: String,
    /// The transaction number.
    pub key1: String,
    /// The user's label.
    pub label: String,
    /// The amount actually paid and credited.
    pub amount: Money,
}

struct Payment {
    wallet: String,
    amount: Money,
    slow: bool,
    activated: bool,
    quirks: PostbackQuirks,
}

#[derive(Default)]
pub(super) struct State {
    rng: fastrand::Rng,
    wallets: HashMap<String, String>,
    payments: HashMap<String, Payment>,
    used_ids: HashMap<String, String>,
    pub(super) credited: Vec<CreditedDeposit>,
    pub(super) deliveries: Vec<PostbackDelivery>,
    pub(super) activations: usize,
    next_id: u64,
}

/// The simulator's state, shared with the tasks that deliver postbacks.
pub(super) struct Shared {
    pub(super) clock: ManualClock,
    pub(super) http: HttpClient,
    state: Mutex<State>,
    options: Mutex<SandboxOptions>,
}

/// What an activation did, by the simulator's rules.
pub(super) enum Activated {
    /// The `custom_transaction_id` was used before.
    IdTaken,
    /// No payment has this transaction number (the id is taken all the same).
    PossibleTransactionCreated,
    /// The payment was activated before.
    TransactionUsed,
    /// The payment's check is slow: credited after
    /// [`SandboxOptions::slow_check`].
    Pending,
    /// Credited with the amount actually paid.
    Credited(Money),
}

impl Shared {
    /// A simulator with `options`, nothing paid yet.
    pub(super) fn new(options: SandboxOptions) -> std::io::Result<Self> {
        // Each delivery attempt waits at most 5 s for the endpoint.
        let mut delivery_config = HttpConfig::default();
        delivery_config.timeouts = Timeouts::new(Duration::from_secs(5), Duration::from_secs(5));
        Ok(Shared {
            clock: ManualClock::starting_now(),
            // The SDK's own client, so the TLS provider features apply
            // (a bare reqwest client panics under `rustls-ring` alone).
            http: HttpClient::new(
                "paykassma-sandbox/1",
                delivery_config,
                payments_core::Scrubber::new(),
            )
            .map_err(std::io::Error::other)?,
            state: Mutex::new(State {
                rng: fastrand::Rng::with_seed(options.seed),
                ..State::default()
            }),
            options: Mutex::new(options),
        })
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn options(&self) -> MutexGuard<'_, SandboxOptions> {
        self.options.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new wallet number for `wallet_type`, for create to answer.
    pub(super) fn open_wallet(&self, wallet_type: &str) -> String {
        let mut state = self.lock();
        let identifier = format!("09{:09}", state.rng.u64(0..1_000_000_000));
        state
            .wallets
            .insert(identifier.clone(), wallet_type.to_owned());
        identifier
    }

    /// The customer pays `amount` into the wallet `identifier` (slowly, if
    /// `slow`): the transaction number they get.
    pub(super) fn pay(
        &self,
        identifier: &str,
        amount: Money,
        slow: bool,
        quirks: PostbackQuirks,
    ) -> TransactionNumber {
        let mut state = self.lock();
        let number = loop {
            let candidate = state.rng.u64(1_000_000_000..10_000_000_000).to_string();
            if !state.payments.contains_key(&candidate) {
                break candidate;
            }
        };
        state.payments.insert(
            number.clone(),
            Payment {
                wallet: identifier.to_owned(),
                amount,
                slow,
                activated: false,
                quirks,
            },
        );
        // Ten digits: a valid `key1` by construction.
        TransactionNumber(number)
    }

    /// Activates the payment `key1` under `custom_transaction_id` (a
    /// request already checked); a credited deposit's postback is sent in
    /// the background.
    pub(super) fn activate(
        this: &Arc<Self>,
        custom_transaction_id: &str,
        key1: &str,
        label: &str,
        wallet_type: &str,
    ) -> Activated {
        let mut state = this.lock();
        state.activations += 1;
        if state.used_ids.contains_key(custom_transaction_id) {
            return Activated::IdTaken;
        }
        let Some(payment) = state.payments.get_mut(key1) else {
            state
                .used_ids
                .insert(custom_transaction_id.to_owned(), key1.to_owned());
            return Activated::PossibleTransactionCreated;
        };
        if payment.activated {
            return Activated::TransactionUsed;
        }
        payment.activated = true;
        let (paid, slow, wallet, quirks) = (
            payment.amount,
            payment.slow,
            payment.wallet.clone(),
            payment.quirks,
        );
        state
            .used_ids
            .insert(custom_transaction_id.to_owned(), key1.to_owned());
        let wallet_type = state
            .wallets
            .get(&wallet)
            .cloned()
            .unwrap_or(wallet_type.to_owned());
        let deposit = CreditedDeposit {
            custom_transaction_id: custom_transaction_id.to_owned(),
            key1: key1.to_owned(),
            label: label.to_owned(),
            amount: paid,
        };
        drop(state);
        if slow {
            let simulator = Arc::clone(this);
            let delay = this.options().slow_check;
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                simulator.credit(deposit, wallet_type, quirks).await;
            });
            return Activated::Pending;
        }
        let simulator = Arc::clone(this);
        tokio::spawn(async move { simulator.credit(deposit, wallet_type, quirks).await });
        Activated::Credited(paid)
    }

    /// Books `deposit` as credited: the `transaction_id` of its postbacks.
    pub(super) fn book(&self, deposit: &CreditedDeposit) -> u64 {
        let mut state = self.lock();
        state.next_id += 1;
        state.credited.push(deposit.clone());
        state.next_id
    }
}
