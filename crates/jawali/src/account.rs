//! The merchant wallet's lookups: an operation's status by `refId`
//! (`AGENTCHECKSTATUS`), the statement (`AGENTSTATEMENT`) and the balance
//! (`AGENTBALANCEINQUIRY`).

use payments_core::wire::money_in_answer as money;
use payments_core::{Error, MerchantReference, ProviderReference, Result};

use crate::JawaliClient;
use crate::model::{Balance, StatementEntry, TransactionState, TransactionStatus};
use crate::session::{decline, iso_date, parse_currency};
use crate::wire::{self, ResponseEnvelope, Service};

impl JawaliClient {
    /// Looks an earlier operation up by its `refId` (`AGENTCHECKSTATUS`).
    /// "No such operation" is [`TransactionState::NotFound`], not an error.
    ///
    /// # Errors
    ///
    /// A decline, [`Error::UndecodableResponse`], transport errors.
    pub async fn check_status(&self, reference: &MerchantReference) -> Result<TransactionStatus> {
        self.call(
            Service::CheckStatus,
            || {
                Ok((
                    wire::CheckStatusFields {
                        ref_id: reference.as_str(),
                    },
                    Some(reference.to_string()),
                ))
            },
            |envelope| self.read_status(reference, &envelope),
        )
        .await
    }

    /// What a status lookup's answer says about `reference`.
    pub(crate) fn read_status(
        &self,
        reference: &MerchantReference,
        envelope: &ResponseEnvelope<'_>,
    ) -> Result<TransactionStatus> {
        let operation = Service::CheckStatus.operation();
        if !envelope.status.is_success() {
            if envelope.status.says_not_found() {
                return Ok(TransactionStatus {
                    reference: reference.clone(),
                    state: TransactionState::NotFound,
                    amount: None,
                    issuer_reference: None,
                });
            }
            return Err(decline(operation, &envelope.status));
        }
        let answer: wire::StatusAnswer = self.parse_body(operation, envelope)?;
        let amount = match (answer.amount, &answer.currency) {
            (Some(amount), Some(code)) => {
                let currency = parse_currency(operation, code)?;
                Some(money(operation, "amount", amount, currency)?)
            }
            _ => None,
        };
        Ok(TransactionStatus {
            reference: reference.clone(),
            state: TransactionState::from_wire(&answer.status),
            amount,
            issuer_reference: answer.issuer_ref.map(ProviderReference::new),
        })
    }

    /// The merchant wallet's operations from `from` to `to`, both included
    /// (`AGENTSTATEMENT`, dates sent as `yyyy-MM-dd`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] when `from` is after `to`; a decline,
    /// [`Error::UndecodableResponse`], transport errors.
    pub async fn statement(&self, from: time::Date, to: time::Date) -> Result<Vec<StatementEntry>> {
        if from > to {
            return Err(Error::invalid("from", format_args!("{from} is after {to}")));
        }
        let (from, to) = (
            iso_date(from).ok_or_else(|| Error::invalid("from", "the year is not four digits"))?,
            iso_date(to).ok_or_else(|| Error::invalid("to", "the year is not four digits"))?,
        );
        self.call(
            Service::Statement,
            || {
                Ok((
                    wire::StatementFields {
                        from_date: &from,
                        to_date: &to,
                    },
                    None,
                ))
            },
            |envelope| self.read_statement(&envelope),
        )
        .await
    }

    /// A statement's lines.
    pub(crate) fn read_statement(
        &self,
        envelope: &ResponseEnvelope<'_>,
    ) -> Result<Vec<StatementEntry>> {
        let operation = Service::Statement.operation();
        if !envelope.status.is_success() {
            return Err(decline(operation, &envelope.status));
        }
        // Read in one pass, each line where it lies (see `StatementAnswer`).
        let answer: wire::StatementAnswer = self.parse_body(operation, envelope)?;
        answer
            .transactions
            .into_iter()
            .map(|line| {
                let currency = parse_currency(operation, &line.currency)?;
                Ok(StatementEntry {
                    reference: line.ref_id,
                    issuer_reference: line.issuer_ref.map(ProviderReference::new),
                    amount: money(operation, "amount", line.amount.abs(), currency)?,
                    description: line.description,
                    date: line.trx_date,
                    balance_after: line
                        .balance
                        .map(|b| money(operation, "balance", b, currency))
                        .transpose()?,
                })
            })
            .collect()
    }

    /// The merchant wallet's balance (`AGENTBALANCEINQUIRY`).
    ///
    /// # Errors
    ///
    /// A decline, [`Error::UndecodableResponse`], transport errors.
    pub async fn balance(&self) -> Result<Balance> {
        self.call(
            Service::Balance,
            || Ok((wire::NoFields {}, None)),
            |envelope| self.read_balance(&envelope),
        )
        .await
    }

    /// The balance an answer states.
    pub(crate) fn read_balance(&self, envelope: &ResponseEnvelope<'_>) -> Result<Balance> {
        let operation = Service::Balance.operation();
        if !envelope.status.is_success() {
            return Err(decline(operation, &envelope.status));
        }
        let answer: wire::BalanceAnswer = self.parse_body(operation, envelope)?;
        let currency = parse_currency(operation, &answer.currency)?;
        Ok(Balance {
            available: money(operation, "balance", answer.balance, currency)?,
        })
    }
}
