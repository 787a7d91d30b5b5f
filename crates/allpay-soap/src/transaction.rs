//! Two-phase transactions (TransactionManagement/1.1): a cash-in or a
//! cash-out created, then completed or declined; the agent's balance.

use payments_core::{Error, MerchantReference, Money, Operation, Result};

use crate::generated::{self as g, transaction_management as tm};
use crate::model::{AgentBalance, CashIn, CashOut, Transaction, TransactionStatus};
use crate::session::{
    AllpayClient, BALANCE, CASH_IN_TRANSACTION, CASH_OUT_TRANSACTION, COMPLETE, DECLINE, Prepared,
    header_ok, money,
};

impl AllpayClient {
    /// `createCashInTransaction`: phase one of a two-phase cash-in. Allpay
    /// blocks the agent's money; the transaction is `PENDING` until
    /// [`complete_transaction`](Self::complete_transaction) or
    /// [`decline_transaction`](Self::decline_transaction). A repeat with the
    /// same GUID returns the existing transaction.
    ///
    /// # Errors
    ///
    /// As [`create_cash_in_payment`](Self::create_cash_in_payment).
    pub async fn create_cash_in_transaction(&self, payment: &CashIn) -> Result<Transaction> {
        self.check_cash_in(payment)?;
        let body = tm::CreateCashInTransactionBody {
            operation: tm::CreateCashInTransaction {
                request: self.cash_in_request(payment),
            },
        };
        let prepared = self.prepare(
            CASH_IN_TRANSACTION,
            true,
            "createCashInTransaction",
            body,
            Some(payment.guid.as_str()),
        )?;
        self.send::<tm::CreateCashInTransactionResponseBody, _>(&prepared, |answer| {
            read_created(
                CASH_IN_TRANSACTION,
                &payment.guid,
                payment.amount,
                answer.result,
            )
        })
        .await
    }

    async fn transaction_action(
        &self,
        operation: Operation,
        decline: bool,
        guid: &MerchantReference,
        transaction_id: i64,
    ) -> Result<Transaction> {
        if decline {
            let body = tm::DeclineTransactionBody {
                operation: tm::DeclineTransaction {
                    request: self.action_request(guid, transaction_id),
                },
            };
            let prepared = self.prepare(
                operation,
                true,
                "declineTransaction",
                body,
                Some(guid.as_str()),
            )?;
            self.send::<tm::DeclineTransactionResponseBody, _>(&prepared, |answer| {
                read_action(operation, guid, Some(transaction_id), answer.result)
            })
            .await
        } else {
            let prepared = self.prepare_complete(guid, transaction_id)?;
            self.send::<tm::CompleteTransactionResponseBody, _>(&prepared, |answer| {
                read_action(operation, guid, Some(transaction_id), answer.result)
            })
            .await
        }
    }

    /// The request of a complete or decline of `transaction_id`.
    fn action_request(
        &self,
        guid: &MerchantReference,
        transaction_id: i64,
    ) -> g::TransactionActionRequest {
        g::TransactionActionRequest {
            header: self.header(),
            guid: guid.as_str().to_owned(),
            transaction_id,
        }
    }

    /// `completeTransaction`'s request, written and signed.
    pub(crate) fn prepare_complete(
        &self,
        guid: &MerchantReference,
        transaction_id: i64,
    ) -> Result<Prepared> {
        let body = tm::CompleteTransactionBody {
            operation: tm::CompleteTransaction {
                request: self.action_request(guid, transaction_id),
            },
        };
        self.prepare(
            COMPLETE,
            true,
            "completeTransaction",
            body,
            Some(guid.as_str()),
        )
    }

    /// `completeTransaction`: phase two; the blocked money moves.
    ///
    /// # Errors
    ///
    /// A decline; [`Error::OutcomeUnknown`] (repeat it: completing a
    /// completed transaction answers it again); transport and signature errors.
    pub async fn complete_transaction(
        &self,
        guid: &MerchantReference,
        transaction_id: i64,
    ) -> Result<Transaction> {
        self.transaction_action(COMPLETE, false, guid, transaction_id)
            .await
    }

    /// `declineTransaction`: cancels a pending transaction; the blocked money is released.
    ///
    /// # Errors
    ///
    /// As [`complete_transaction`](Self::complete_transaction).
    pub async fn decline_transaction(
        &self,
        guid: &MerchantReference,
        transaction_id: i64,
    ) -> Result<Transaction> {
        self.transaction_action(DECLINE, true, guid, transaction_id)
            .await
    }

    /// `createCashOutTransaction` (TransactionManagement/1.1, Allpay's
    /// published `cashOutRequest`): phase one of a cash-out — the money is
    /// taken from the customer's wallet `from_user` (authorised by the code
    /// on their device) and *blocked*; the transaction is `PENDING` until
    /// [`complete_transaction`](Self::complete_transaction) moves it to the
    /// agent or [`decline_transaction`](Self::decline_transaction) releases
    /// it. A repeat with the same GUID returns the existing transaction, so
    /// an unknown outcome is settled by sending the same `CashOut` again.
    ///
    /// # Errors
    ///
    /// Invalid input (not KZT, zero, a malformed GUID or token); a verified
    /// Fault (a decline); [`Error::OutcomeUnknown`] (an unsigned Fault, a
    /// header status other than 0, 5xx, a timeout: repeat the same request);
    /// [`Error::IntegrityMismatch`] when the answer's amount differs.
    pub async fn create_cash_out_transaction(&self, cash_out: &CashOut) -> Result<Transaction> {
        let prepared = self.prepare_cash_out(cash_out)?;
        self.send::<tm::CreateCashOutTransactionResponseBody, _>(&prepared, |answer| {
            read_created(
                CASH_OUT_TRANSACTION,
                &cash_out.guid,
                cash_out.amount,
                answer.result,
            )
        })
        .await
    }

    pub(crate) fn prepare_cash_out(&self, cash_out: &CashOut) -> Result<Prepared> {
        self.check_amount_and_guid(cash_out.amount, &cash_out.guid)?;
        let body = tm::CreateCashOutTransactionBody {
            operation: tm::CreateCashOutTransaction {
                request: g::CashOutRequest {
                    header: self.header(),
                    from_user_name: cash_out.from_user.as_str().to_owned(),
                    amount: cash_out.amount.to_json_number().as_str().to_owned(),
                    guid: cash_out.guid.as_str().to_owned(),
                    token: cash_out.token.as_str().to_owned(),
                },
            },
        };
        self.prepare(
            CASH_OUT_TRANSACTION,
            true,
            "createCashOutTransaction",
            body,
            Some(cash_out.guid.as_str()),
        )
    }

    /// `availableBalance`: the agent's available balance. Allpay's schema
    /// types it as a string: the text is kept, and
    /// [`AgentBalance::amount`] is set only when it is exactly a KZT decimal.
    ///
    /// # Errors
    ///
    /// A decline; transport, signature and decoding errors.
    pub async fn available_balance(&self) -> Result<AgentBalance> {
        let body = tm::AvailableBalanceBody {
            operation: tm::AvailableBalance {
                request: g::AvailableBalanceRequest {
                    header: self.header(),
                },
            },
        };
        let prepared = self.prepare(BALANCE, true, "availableBalance", body, None)?;
        self.send::<tm::AvailableBalanceResponseBody, _>(&prepared, |answer| {
            let answer = answer.result;
            header_ok(BALANCE, &answer.header)?;
            let text = answer.agent_balance_response;
            let amount = money(BALANCE, "agentBalanceResponse", &text).ok();
            Ok(AgentBalance { text, amount })
        })
        .await
    }
}

/// The transaction in a two-phase answer (create, complete, decline) for
/// `guid` (and, for a complete or decline, `transaction_id`), once its
/// header says it is final. The answer is bound to its request: the GUID
/// and transaction id it echoes must be the request's, or it is an
/// integrity mismatch.
pub(crate) fn read_action(
    operation: Operation,
    guid: &MerchantReference,
    transaction_id: Option<i64>,
    answer: g::TransactionResponse,
) -> Result<Transaction> {
    header_final(operation, guid.as_str(), &answer.header)?;
    let transaction = transaction(operation, answer.transaction_info)?;
    // GUIDs are hexadecimal: compared without regard to case.
    if !transaction.guid.eq_ignore_ascii_case(guid.as_str()) {
        return Err(Error::mismatch(
            operation,
            "GUID",
            guid.as_str(),
            transaction.guid,
        ));
    }
    if let Some(id) = transaction_id
        && transaction.transaction_id != id
    {
        return Err(Error::mismatch(
            operation,
            "transactionId",
            id,
            transaction.transaction_id,
        ));
    }
    Ok(transaction)
}

/// The transaction a two-phase create for `guid` made, once final, and
/// for the `amount` asked.
fn read_created(
    operation: Operation,
    guid: &MerchantReference,
    amount: Money,
    answer: g::TransactionResponse,
) -> Result<Transaction> {
    let transaction = read_action(operation, guid, None, answer)?;
    if transaction.amount != amount {
        return Err(Error::mismatch(
            operation,
            "amount",
            amount,
            transaction.amount,
        ));
    }
    Ok(transaction)
}

/// A header to a money-moving call: Allpay documents no status values
/// beyond 0 = OK, so any other status may follow a booking. Unknown, not a
/// decline: repeat the same request (same GUID) to settle it.
fn header_final(operation: Operation, reference: &str, header: &g::ResponseHeader) -> Result<()> {
    header_ok(operation, header).map_err(|decline| {
        decline.undocumented_refusal(
            Some(reference.to_owned()),
            format_args!(
                "header status {} is not documented as a refusal: repeat the request to settle it",
                header.status
            ),
        )
    })
}

fn transaction(operation: Operation, info: g::TransactionInfo) -> Result<Transaction> {
    Ok(Transaction {
        amount: money(operation, "amount", &info.amount)?,
        commission: info
            .commission
            .as_deref()
            .map(|c| money(operation, "commission", c))
            .transpose()?,
        commission_to: info
            .commission_to
            .as_deref()
            .map(|c| money(operation, "commissionTo", c))
            .transpose()?,
        guid: info.guid,
        transaction_id: info.transaction_id,
        status: TransactionStatus::from_wire(&info.transaction_status.value),
    })
}
