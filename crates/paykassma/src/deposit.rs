//! Deposits: create (the wallet the user pays into) and activate (with
//! the user's transaction number).

use payments_core::http::{RawResponse, Request};
use payments_core::{Currency, Decline, DeclineKind, Error, Money, Operation, Result};

use crate::PaykassmaClient;
use crate::model::{Activation, ActivationOutcome, DepositDetails, Label, WalletType};
use crate::wire::{self, ACTIVATE, CREATE};

impl PaykassmaClient {
    /// Asks for the wallet the user must pay into
    /// (`POST /api/v1/transaction/create/{wallet_type}`), for the
    /// configuration's wallet type ([`create_deposit_for`](Self::create_deposit_for)
    /// names another). Repeating it moves no money.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a bad wallet type; a decline for
    /// `{"status": "fail"}`; [`Error::Authentication`] for HTTP 404 (bad
    /// secret); [`Error::UndecodableResponse`]; transport errors.
    pub async fn create_deposit(
        &self,
        label: &Label,
        currency: Currency,
    ) -> Result<DepositDetails> {
        let wallet_type = self.config().default_wallet_type.clone();
        self.create_deposit_for(label, currency, &wallet_type).await
    }

    /// As [`create_deposit`](Self::create_deposit), for `wallet_type`
    /// rather than the configuration's default.
    ///
    /// # Errors
    ///
    /// As [`create_deposit`](Self::create_deposit).
    pub async fn create_deposit_for(
        &self,
        label: &Label,
        currency: Currency,
        wallet_type: &WalletType,
    ) -> Result<DepositDetails> {
        let request = self.create_request(label, currency, wallet_type)?;
        self.post(CREATE, None, request, |response| {
            self.read_create(wallet_type, response)
        })
        .await
    }

    /// The create request (the wallet type checked first).
    pub(crate) fn create_request(
        &self,
        label: &Label,
        currency: Currency,
        wallet_type: &WalletType,
    ) -> Result<Request> {
        wallet_type.validate()?;
        let body = wire::CreateBody {
            currency: currency.code(),
            label: label.as_str(),
        };
        self.post_request(self.create_url(wallet_type)?, &body)
    }

    /// What a create answer says.
    pub(crate) fn read_create(
        &self,
        wallet_type: &WalletType,
        response: &RawResponse,
    ) -> Result<DepositDetails> {
        let answer: wire::CreateAnswer = self.http().decode_json(CREATE, response)?;
        match answer.status.as_str() {
            "ok" => {
                let params = answer.params.unwrap_or_default();
                let identifier = params.get("identifier").and_then(|v| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                });
                Ok(DepositDetails {
                    wallet_type: wallet_type.clone(),
                    identifier,
                    params,
                })
            }
            "fail" => Err(decline(CREATE, answer.message.unwrap_or_default())),
            other => Err(self.http().undecodable(
                CREATE,
                format_args!("unknown status `{other}`"),
                response,
                None,
            )),
        }
    }

    /// The wire call: activates a deposit with the user's transaction
    /// number (`POST /api/v1/transaction/activate`), once. A payment goes
    /// through [`PaykassmaGateway`](crate::PaykassmaGateway) (`pay`), which
    /// sends this call, waits for the postback, repeats it under the same
    /// id when it provably never arrived, and whose
    /// [`settle`](crate::PaykassmaGateway::settle) settles an unknown
    /// outcome by its reference.
    ///
    /// The amount is written as an exact JSON number. **Not retried**: an
    /// [`Error::OutcomeUnknown`] is settled by the postback for its
    /// `custom_transaction_id` — do not credit the user until it arrives.
    /// A deposit credited with another amount is an
    /// [`Error::IntegrityMismatch`] on `amount` with both amounts as
    /// money, as through the gateway.
    ///
    /// # Cancellation
    ///
    /// Dropped once its request may have left, the deposit may be credited
    /// with nobody told: its postback (delivered to the merchant's endpoint,
    /// [`PostbackInbox`](crate::PostbackInbox)) says so for
    /// `activation.custom_transaction_id`. Through the
    /// [`PaykassmaGateway`](crate::PaykassmaGateway) (journaled with
    /// `payments_journal::Journaled`), an activation that never arrived is
    /// repeated under the same id.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (zero amount, bad wallet type); a decline
    /// for `{"status": "fail"}`; [`Error::Authentication`] for HTTP 404;
    /// [`Error::IntegrityMismatch`] for another amount credited;
    /// [`Error::OutcomeUnknown`]; [`Error::UndecodableResponse`].
    pub async fn activate(&self, activation: &Activation) -> Result<ActivationOutcome> {
        let (request, requested) = self.activate_request(activation)?;
        let reference = activation.custom_transaction_id.as_str();
        self.post(ACTIVATE, Some(reference), request, |response| {
            self.read_activate(requested, reference, response)
        })
        .await
    }

    /// The activate request and the amount it asks for (checked first).
    pub(crate) fn activate_request(&self, activation: &Activation) -> Result<(Request, Money)> {
        let requested = activation
            .amount
            .require_positive()
            .map_err(|e| Error::invalid_money("amount", &e))?;
        activation.wallet_type.validate()?;
        let body = wire::ActivateBody {
            currency_code: requested.currency().code(),
            wallet_type: activation.wallet_type.as_str(),
            label: activation.label.as_str(),
            amount: requested.to_json_number(),
            key1: activation.key1.as_str(),
            custom_transaction_id: activation.custom_transaction_id.as_str(),
        };
        Ok((self.post_request(self.activate_url(), &body)?, requested))
    }

    /// What an activate answer says about the deposit of `requested` under `reference`.
    pub(crate) fn read_activate(
        &self,
        requested: Money,
        reference: &str,
        response: &RawResponse,
    ) -> Result<ActivationOutcome> {
        let answer: wire::ActivateAnswer = self.http().decode_json(ACTIVATE, response)?;
        let message = answer.message.clone().unwrap_or_default();
        match answer.status.as_str() {
            "ok" => {
                let (Some(true), Some(value)) = (answer.deposit, answer.deposit_amount) else {
                    return Err(self.http().undecodable(
                        ACTIVATE,
                        "`ok` without `deposit: true` and a `deposit_amount`",
                        response,
                        None,
                    ));
                };
                let currency = match &answer.currency {
                    Some(info) => Currency::from_code(info.code()).ok_or_else(|| {
                        self.http().undecodable(
                            ACTIVATE,
                            format_args!("unknown currency `{}`", info.code()),
                            response,
                            None,
                        )
                    })?,
                    None => requested.currency(),
                };
                if currency != requested.currency() {
                    return Err(Error::mismatch(
                        ACTIVATE,
                        "currency",
                        requested.currency(),
                        currency,
                    ));
                }
                let credited = Money::new(value, currency).map_err(|e| {
                    self.http().undecodable(
                        ACTIVATE,
                        format_args!("deposit_amount: {e}"),
                        response,
                        None,
                    )
                })?;
                if credited == requested {
                    Ok(ActivationOutcome::Credited { amount: credited })
                } else {
                    tracing::warn!(
                        provider = wire::PROVIDER,
                        %reference,
                        %requested,
                        %credited,
                        "deposit credited with a different amount than requested"
                    );
                    // Money moved, for another amount: one event, one error,
                    // whichever door the activation came through.
                    Err(Error::mismatch(ACTIVATE, "amount", requested, credited))
                }
            }
            "pending" => Ok(ActivationOutcome::Pending { message }),
            "possible_transaction_created" => {
                Ok(ActivationOutcome::PossibleTransactionCreated { message })
            }
            "fail" => Err(decline(ACTIVATE, message)),
            other => Err(self.http().undecodable(
                ACTIVATE,
                format_args!("unknown status `{other}`"),
                response,
                None,
            )),
        }
    }
}

/// A `{"status": "fail"}` answer. Paykassma documents no codes, only a
/// free-text message: the message is kept, and one kind only is read from
/// its words: a message naming `custom_transaction_id` (or "custom
/// transaction id") as taken (Paykassma's validation message, "The
/// custom_transaction_id has already been taken.") is [`DeclineKind::DuplicateReference`] — for an order's id, the
/// order was activated before. Read wrongly, it costs no money: the gateway
/// then waits for the postback and answers unknown without one, never
/// completed. Every other `fail` is [`DeclineKind::Other`].
fn decline(operation: Operation, message: String) -> Error {
    let names_the_id = message.contains("custom_transaction_id")
        || message
            .to_ascii_lowercase()
            .contains("custom transaction id");
    let kind = if names_the_id && message.contains("taken") {
        DeclineKind::DuplicateReference
    } else {
        DeclineKind::Other
    };
    Error::declined(operation, Decline::new("fail", kind, message))
}
