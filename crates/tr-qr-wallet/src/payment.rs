//! Paying: Begin, Complete, and settling a Complete whose outcome is
//! unknown — their request bodies and how their answers are read.

use payments_core::gateway::{Attempt, settle_by};
use payments_core::http::RawResponse;
use payments_core::{Currency, Decimal, Error, MerchantReference, Money, Result};
use serde_json::value::RawValue;
use time::macros::{format_description, offset};
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::QrWalletClient;
use crate::config::CorrelationIdEncoding;
use crate::gateway::CORRELATION_RULES;
use crate::model::{
    Balance, CorrelationId, Embedded, ExtOrder, Limits, QrCode, QrCodeType, QrReceipt, QrSession,
    Sale, SenderWallet, Settlement, WalletCode, WalletNumber,
};
use crate::session::decline;
use crate::wire::{self, BEGIN, COMPLETE};

/// Begin's path under the API URL.
pub(crate) const BEGIN_PATH: &str = "v1/Transaction/Begin3rdPartyQRCodePayment";
/// Complete's path under the API URL.
pub(crate) const COMPLETE_PATH: &str = "v1/Transaction/Complete3rdPartyQRCodePayment";

impl QrWalletClient {
    /// Begins a payment for the scanned code (`Begin3rdPartyQRCodePayment`):
    /// nothing is charged; the session holds the sale to show the user.
    ///
    /// # Errors
    ///
    /// A decline (unknown wallet, a `ResponseCode` other than 0 inside
    /// `payment_data`); [`Error::UndecodableResponse`]; transport errors.
    pub async fn begin(
        &self,
        wallet: &WalletNumber,
        qr_code: &QrCode,
        kind: QrCodeType,
    ) -> Result<QrSession> {
        self.call(
            BEGIN,
            &self.inner.begin_url,
            None,
            &self.begin_body(wallet, qr_code, kind),
            |payload, response| self.read_begin(wallet, payload, response),
        )
        .await
    }

    /// Begin's URL.
    pub(crate) fn begin_url(&self) -> &url::Url {
        &self.inner.begin_url
    }

    /// Complete's URL.
    pub(crate) fn complete_url(&self) -> &url::Url {
        &self.inner.complete_url
    }

    /// Begin's body.
    pub(crate) fn begin_body<'a>(
        &'a self,
        wallet: &'a WalletNumber,
        qr_code: &'a QrCode,
        kind: QrCodeType,
    ) -> wire::BeginBody<'a> {
        wire::BeginBody {
            wallet_number: wallet.as_str(),
            provider_id: &self.inner.config.provider_id,
            qr_code: qr_code.as_str(),
            qr_code_type: kind.wire(),
        }
    }

    /// The session a successful Begin's payload describes.
    pub(crate) fn read_begin(
        &self,
        wallet: &WalletNumber,
        payload: wire::BeginPayload,
        response: &RawResponse,
    ) -> Result<QrSession> {
        session_from_wire(wallet.clone(), payload)?
            .map_err(|e| self.inner.http.undecodable(BEGIN, e, response, None))
    }

    /// Completes a begun payment (`Complete3rdPartyQRCodePayment`): the
    /// wallet is debited. Refused before any request when the session has
    /// expired or its sale could not be read (never pay an unknown amount).
    /// The charged amount is checked against the sale's. **Not retried**: an
    /// [`Error::OutcomeUnknown`] is settled with [`settle`](Self::settle).
    ///
    /// # Cancellation
    ///
    /// Dropped once its request may have left, the wallet may have been
    /// debited with nobody told: [`settle`](Self::settle) with the same
    /// session settles it (the wallet answers a completed session as such,
    /// never debiting twice). Journaled (`payments_journal::Journaled`), the
    /// session is written down before Complete leaves.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] (expired or unreadable session); a decline
    /// ([`WalletCode`]); [`Error::OutcomeUnknown`]; [`Error::IntegrityMismatch`].
    pub async fn complete(&self, session: &QrSession) -> Result<QrReceipt> {
        let sale = self.payable(session)?;
        self.send_complete(session, sale).await
    }

    /// Settles a payment this client committed — by the reference
    /// [`Error::reference`] gives for an [`Error::OutcomeUnknown`], or by the
    /// merchant's order id it was paid for —
    /// by completing its session again (the wallet answers a completed session as a duplicate), never by a second debit. A payment that ended answers how it ended again.
    /// A reference answers for its own payment; an order id (paid through
    /// `pay`, `Checkout` or `payments_journal::Journaled`) for the order's
    /// latest attempt.
    ///
    /// ```no_run
    /// # async fn run(client: tr_qr_wallet::QrWalletClient, order: tr_qr_wallet::QrPayment) -> tr_qr_wallet::Result<()> {
    /// match tr_qr_wallet::pay(&client, order).await {
    ///     Err(error) if error.code() == "outcome_unknown" => {
    ///         let reference = error.reference().unwrap_or_default().to_owned();
    ///         // Later (a back-office button, a timer):
    ///         let outcome = client.settle(&reference).await?;
    ///         println!("{reference}: {}", outcome.status);
    ///     }
    ///     other => println!("{:?}", other.map(|outcome| outcome.status)),
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// It knows the last 10,000 payments this client (and its clones)
    /// committed in this process — those whose future was dropped
    /// mid-commit included (settle those by the order id they were paid
    /// for through `pay`, `Checkout` or a journal: the reference went with
    /// the future). A payment made by another process is settled
    /// through the journal that made it (`payments_journal::Journaled`).
    ///
    /// # Errors
    ///
    /// A proven decline or mismatch; [`Error::OutcomeUnknown`] while the
    /// provider cannot tell yet; [`Error::InvalidInput`] naming `reference`
    /// for a reference this process did not commit.
    pub async fn settle(&self, reference: &str) -> Result<payments_core::PaymentOutcome> {
        payments_core::gateway::settle_reference(self, reference).await
    }

    /// The wire-level settle, for tools ([`settle`](Self::settle) is what a
    /// payment uses): settles a Complete whose outcome is unknown by sending the same Complete
    /// again — same wallet, same `tx_correlation_id` — on the configured
    /// settle policy ([`QrWalletConfig::settle`](crate::QrWalletConfig::settle)).
    /// The wallet completes a session at most once, so this cannot debit
    /// twice. Which answers are final (Sipay's code table, NOTES):
    ///
    /// - success: the repeat completed it now (the first attempt had not);
    /// - 301, duplicate: the session was completed — by the first attempt;
    /// - 300, 310, 311 (wallet not found, limit, balance): the wallet
    ///   evaluated the debit again and refused it, which it does only for a
    ///   session not yet completed (a completed one answers 301): the
    ///   payment did not happen;
    /// - anything else — a session that expired, "not found", a generic or
    ///   undocumented code, 5xx, a timeout, a garbled answer, a refused
    ///   token — proves nothing: the repeat is tried again, and when the
    ///   policy runs out the answer is [`Error::OutcomeUnknown`].
    ///
    /// The session's expiry is not checked here: a payment made before the
    /// expiry must still be found.
    ///
    /// # Errors
    ///
    /// A refusal above (the payment did not happen); an integrity mismatch;
    /// [`Error::OutcomeUnknown`] (call it again later).
    pub async fn settle_session(&self, session: &QrSession) -> Result<Settlement> {
        let sale = session.sale.decoded().ok_or_else(unreadable_sale)?;
        let reference =
            MerchantReference::new(session.correlation_id.as_str(), &CORRELATION_RULES)?;
        settle_by(
            &self.inner.config.settle,
            COMPLETE,
            &reference,
            None,
            |_| async {
                match self.send_complete(session, sale).await {
                    Ok(receipt) => Attempt::Settled(Ok(Settlement::Completed(Box::new(receipt)))),
                    // The wallet completed it, on other terms than the sale's.
                    Err(error @ Error::IntegrityMismatch { .. }) => Attempt::Settled(Err(error)),
                    // 301: the session was completed — by the first attempt.
                    Err(error @ Error::OutcomeUnknown { .. })
                        if error
                            .provider_decline()
                            .is_some_and(|d| WalletCode::of(d) == WalletCode::Duplicate) =>
                    {
                        Attempt::Settled(Ok(Settlement::CompletedEarlier {
                            correlation_id: session.correlation_id.clone(),
                        }))
                    }
                    Err(error @ Error::Declined { .. }) => Attempt::Settled(Err(error)),
                    Err(error) => Attempt::failed(error),
                }
            },
        )
        .await
    }

    /// Sends Complete for `session` and reads its receipt, checked against
    /// `sale`.
    async fn send_complete(&self, session: &QrSession, sale: &Sale) -> Result<QrReceipt> {
        self.call(
            COMPLETE,
            &self.inner.complete_url,
            Some(session.correlation_id.as_str()),
            &self.complete_body(session)?,
            |payload, response| self.read_complete(sale, payload, response),
        )
        .await
    }

    /// Complete's body for `session`.
    pub(crate) fn complete_body<'a>(
        &'a self,
        session: &'a QrSession,
    ) -> Result<wire::CompleteBody<'a>> {
        let digits = session.correlation_id.as_str();
        let correlation = match self.inner.config.correlation_id_encoding {
            CorrelationIdEncoding::Number => wire::CorrelationOnWire::Number(
                RawValue::from_string(digits.to_owned())
                    .map_err(|_| Error::invalid("tx_correlation_id", "is not digits"))?,
            ),
            CorrelationIdEncoding::String => wire::CorrelationOnWire::String(digits),
        };
        Ok(wire::CompleteBody {
            wallet_number: session.wallet_number.as_str(),
            provider_id: &self.inner.config.provider_id,
            tx_correlation_id: correlation,
        })
    }

    /// The receipt a successful Complete's payload gives, checked against `sale`.
    pub(crate) fn read_complete(
        &self,
        sale: &Sale,
        payload: wire::CompletePayload,
        response: &RawResponse,
    ) -> Result<QrReceipt> {
        let receipt = receipt_from_wire(payload)
            .map_err(|e| self.inner.http.undecodable(COMPLETE, e, response, None))?;
        as_sold(sale, receipt)
    }

    fn payable<'s>(&self, session: &'s QrSession) -> Result<&'s Sale> {
        let sale = session.sale.decoded().ok_or_else(unreadable_sale)?;
        if let Some(expires_at) = sale.expires_at {
            let now = OffsetDateTime::from(self.inner.clock.now());
            if now >= expires_at {
                return Err(Error::invalid(
                    "session",
                    format_args!("expired at {expires_at}; begin a new payment"),
                ));
            }
        }
        Ok(sale)
    }
}

/// `receipt`, if the wallet charged what the sale said, for the sale it
/// named; an integrity mismatch otherwise.
fn as_sold(sale: &Sale, receipt: QrReceipt) -> Result<QrReceipt> {
    if receipt.charged != sale.amount {
        return Err(Error::mismatch(
            COMPLETE,
            "charged_amount",
            sale.amount,
            receipt.charged,
        ));
    }
    if let (Some(order), Some(expected)) = (receipt.order.decoded(), &sale.sale_reference)
        && &order.sale_reference != expected
    {
        return Err(Error::mismatch(
            COMPLETE,
            "saleRefCode",
            expected,
            &order.sale_reference,
        ));
    }
    Ok(receipt)
}

fn unreadable_sale() -> Error {
    Error::invalid(
        "session",
        "its sale (payment_data) could not be read; refusing to pay an unknown amount",
    )
}

/// A correlation id from its raw JSON text: a string of digits, or a number
/// written with digits only — kept exactly.
fn correlation_id(raw: &RawValue) -> std::result::Result<CorrelationId, String> {
    let text = raw.get().trim();
    let digits = if text.starts_with('"') {
        serde_json::from_str::<String>(text).map_err(|e| e.to_string())?
    } else {
        text.to_owned()
    };
    CorrelationId::new(digits.trim())
        .map_err(|_| format!("tx_correlation_id `{text}` is not a string of digits"))
}

fn try_money(
    field: &str,
    value: Decimal,
    currency: Currency,
) -> std::result::Result<Money, String> {
    Money::new(value, currency).map_err(|e| format!("{field}: {e}"))
}

/// `2021-04-01T08:38:40.51`, Türkiye time.
fn local_time(text: &str) -> std::result::Result<OffsetDateTime, String> {
    let format = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond digits:1+]]]"
    );
    PrimitiveDateTime::parse(text.trim(), format)
        .map(|t| t.assume_offset(offset!(+3)))
        .or_else(|_| {
            OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
        })
        .map_err(|e| format!("time `{text}`: {e}"))
}

pub(crate) fn session_from_wire(
    wallet: WalletNumber,
    payload: wire::BeginPayload,
) -> Result<std::result::Result<QrSession, String>> {
    let correlation_id = match correlation_id(&payload.tx_correlation_id) {
        Ok(id) => id,
        Err(e) => return Ok(Err(e)),
    };
    let sale = match payload.payment_data {
        Embedded::Raw { text, error } => Embedded::Raw { text, error },
        Embedded::Decoded(data) => {
            if data.response_code.trim() != "0" {
                let message = data
                    .error_message
                    .clone()
                    .or(data.response_message.clone())
                    .unwrap_or_default();
                return Err(decline(BEGIN, data.response_code.trim(), &message));
            }
            match sale_from_wire(data) {
                Ok(sale) => Embedded::Decoded(sale),
                Err(e) => return Ok(Err(e)),
            }
        }
    };
    Ok(Ok(QrSession {
        wallet_number: wallet,
        correlation_id,
        sale,
    }))
}

fn sale_from_wire(data: Box<wire::PaymentData>) -> std::result::Result<Sale, String> {
    let ratio =
        |field: &str, text: Option<String>| -> std::result::Result<Option<Decimal>, String> {
            text.filter(|t| !t.trim().is_empty())
                .map(|t| {
                    wire::parse_decimal_comma(&t)
                        .ok_or_else(|| format!("{field} `{t}` is not a decimal"))
                })
                .transpose()
        };
    Ok(Sale {
        merchant_no: data.merchant_no.unwrap_or_default(),
        terminal_no: data.terminal_no.unwrap_or_default(),
        merchant_name: data.merchant_name.unwrap_or_default(),
        brand_id: data.brand_id,
        brand_name: data.brand_name.filter(|s| !s.is_empty()),
        city: data.city_name,
        district: data.district_name,
        amount: try_money("RequestAmount", data.request_amount, Currency::TRY)?,
        batch_no: data.batch_no,
        approval_number: data.transaction_id,
        product_id: data.product_id,
        product_name: data.product_name,
        vat_ratio: ratio("Kdv", data.kdv)?,
        discount_ratio: ratio("DiscountRatio", data.discount_ratio)?,
        currency_id: data.currency_id,
        sale_reference: data.sale_ref_code,
        expires_at: data
            .session_expire_date
            .as_deref()
            .map(local_time)
            .transpose()?,
        response_code: data.response_code.trim().parse().unwrap_or_default(),
        response_message: data.response_message,
        error_message: data.error_message,
    })
}

pub(crate) fn receipt_from_wire(
    payload: wire::CompletePayload,
) -> std::result::Result<QrReceipt, String> {
    let try_tl = |field: &str, value: Decimal| try_money(field, value, Currency::TRY);
    let sender = payload
        .sender_wallet_info
        .map(sender_from_wire)
        .transpose()?;
    Ok(QrReceipt {
        transaction_id: payload.transaction_id,
        amount: try_tl("transaction_amount", payload.transaction_amount)?,
        fee: try_tl(
            "transaction_fee",
            payload.transaction_fee.unwrap_or_default(),
        )?,
        charged: try_tl("charged_amount", payload.charged_amount)?,
        order: match payload.ext_order_id {
            Embedded::Decoded(order) => Embedded::Decoded(ExtOrder {
                sale_reference: order.sale_ref_code,
                approval_number: order.transaction_id,
            }),
            Embedded::Raw { text, error } => Embedded::Raw { text, error },
        },
        business_code: payload.business_code.filter(|s| !s.is_empty()),
        business_name: payload.business_name.filter(|s| !s.is_empty()),
        friendly_name: payload.friendly_name.filter(|s| !s.is_empty()),
        receiver_account_number: payload.receiver_account_number,
        receiver_wallet_number: payload.receiver_wallet_number,
        sender,
    })
}

fn sender_from_wire(wire: Box<wire::SenderWire>) -> std::result::Result<SenderWallet, String> {
    let currency = match wire.currency_code.as_deref() {
        Some(code) => {
            Currency::from_code(code.trim()).ok_or_else(|| format!("unknown currency `{code}`"))?
        }
        None => Currency::TRY,
    };
    let money = |field: &str, value: Option<Decimal>| {
        value.map(|v| try_money(field, v, currency)).transpose()
    };
    let balance = |field: &str,
                   b: Option<wire::BalanceWire>|
     -> std::result::Result<Option<Balance>, String> {
        b.map(|b| {
            Ok(Balance {
                available: try_money(field, b.available.unwrap_or_default(), currency)?,
                unavailable: try_money(field, b.unavailable.unwrap_or_default(), currency)?,
            })
        })
        .transpose()
    };
    let limits = wire.transaction_limits.unwrap_or_default();
    Ok(SenderWallet {
        id: wire.id,
        name: wire.name.filter(|s| !s.is_empty()),
        account_number: wire.account_number,
        account_type: wire.account_type,
        created_at: wire
            .created_date_utc
            .as_deref()
            .map(|t| {
                OffsetDateTime::parse(t.trim(), &time::format_description::well_known::Rfc3339)
                    .map_err(|e| format!("created_date_utc `{t}`: {e}"))
            })
            .transpose()?,
        number: wire.number,
        phone_country_code: wire.phone_country_code,
        phone_number: wire.phone_number,
        email: wire.email,
        total_balance: money("total_balance", wire.total_balance)?,
        access_level_status_id: wire.access_level_status_id,
        access_level_status: wire.access_level_status,
        payment_balance: balance("payment_balance", wire.payment_balance)?,
        cash_balance: balance("cash_balance", wire.cash_balance)?,
        limits: Limits {
            max_balance: money("max_balance", limits.max_balance)?,
            topup_credit_limit: money("topup_credit_limit", limits.topup_credit_limit)?,
            topup_cash_limit: money("topup_cash_limit", limits.topup_cash_limit)?,
            withdrawal_limit: money("withdrawal_limit", limits.withdrawal_limit)?,
            payment_limit: money("payment_limit", limits.payment_limit)?,
            wallet_to_wallet_limit: money("wallet_to_wallet_limit", limits.wallet_to_wallet_limit)?,
        },
        kyc_level_status: wire.kyc_level_status,
        currency_code: wire.currency_code,
    })
}

#[cfg(test)]
mod seed_examples {
    //! The seed document's own example answers, parsed. The seed's Begin
    //! example is not valid JSON (its `payment_data` string holds unescaped
    //! quotes and newlines); it is repaired by escaping that string, and
    //! nothing else — the `" tx_correlation_id "` key keeps its spaces.

    use super::*;
    use crate::wire::Envelope;

    const BEGIN_ANSWER: &str = r#"{
"status": 0,
"code": "100",
"message": null,
"payload": {
" tx_correlation_id ": "7777777777777777777",
"payment_data": "{\n\"MerchantNo\": \"0007777777\",\n\"TerminalNo\": \"0007777777\",\n\"MerchantName\": \"Test_58\",\n\"BrandId\": 0,\n\"BrandName\": \"\",\n\"CityName\": \"Antalya\",\n\"DistrictName\": \"Aksu\",\n\"RequestAmount\": 0.13,\n\"BatchNo\": 1,\n\"TransactionId\": 98598610,\n\"ProductId\": 2,\n\"ProductName\": \"RESTO %1\",\n\"Kdv\": \"1,00\",\n\"DiscountRatio\": \"0,00\",\n\"CurrencyId\": \"1\",\n\"SaleRefCode\": \"7777777777777777777777\",\n\"SessionExpireDate\": \"2021-04-01T08:38:40.51\",\n\"ResponseCode\": 0,\n\"ResponseMessage\": \"Sorgulama işlemi başarılı.\",\n\"ErrorMessage\": null } "
}
}"#;

    const COMPLETE_ANSWER: &str = r#"{
"status": 0,
"code": "100",
"message": "İşlem başarılı",
"payload": {
"transaction_id": "55555560555665555555",
"transaction_amount": 100.0000,
"transaction_fee": 0.0000,
"charged_amount": 100.0000,
"ext_order_id": "{\"saleRefCode\":\"5555055555555555555\",\"transactionId\":55555555}",
"business_code": "",
"business_name": "",
"friendly_name": "",
"receiver_account_number": "EEEEEEOE00",
"receiver_wallet_number": "7777777777",
"sender_wallet_info": {
"id": "7997777777777777777",
"name": "",
"account_number": "EEEEEE010",
"account_type": "Personal",
"created_date_utc": "2021-09-20T10:52:35.5927212+00:00",
"number": "777777777",
"phone_country_code": null,
"phone_number": null,
"email": null,
"total_balance": 796.00,
"access_level_status_id": 1,
"access_level_status": "Aktif",
"payment_balance": {
"available": 796.00,
"unavailable": 0.00
},
"cash_balance": {
"available": 0.00,
"unavailable": 0.00
},
"transaction_limits": {
"max_balance": 1250.0000,
"topup_credit_limit": 1250.0000,
"topup_cash_limit": 1250.0000,
"withdrawal_limit": 1250.0000,
"payment_limit": 1250.0000,
"wallet_to_wallet_limit": 1250.0000
},
"kyc_level_status": null,
"currency_code": "TRY",
"user_kyc_info": null
}
}
}"#;

    fn tl(amount: &str) -> Money {
        Money::parse(amount, Currency::TRY).unwrap()
    }

    #[test]
    fn the_seeds_begin_answer_parses_into_the_expected_session() {
        let envelope: Envelope<wire::BeginPayload> = serde_json::from_str(BEGIN_ANSWER).unwrap();
        let payload = envelope.payload.unwrap();
        let session = session_from_wire(WalletNumber::new("1011179271").unwrap(), payload)
            .unwrap()
            .unwrap();
        assert_eq!(session.correlation_id.as_str(), "7777777777777777777");
        let sale = session.sale.decoded().unwrap();
        assert_eq!(sale.amount, tl("0.13"));
        assert_eq!(sale.vat_ratio, Some(Decimal::new(100, 2)));
        assert_eq!(sale.discount_ratio, Some(Decimal::ZERO));
        assert_eq!(sale.approval_number.as_deref(), Some("98598610"));
        assert_eq!(
            sale.sale_reference.as_deref(),
            Some("7777777777777777777777")
        );
        assert_eq!(
            sale.expires_at.unwrap().to_string(),
            "2021-04-01 8:38:40.51 +03:00:00"
        );
        insta::assert_debug_snapshot!("seed_begin_session", session);
    }

    #[test]
    fn the_seeds_complete_answer_parses_into_the_expected_receipt() {
        let envelope: Envelope<wire::CompletePayload> =
            serde_json::from_str(COMPLETE_ANSWER).unwrap();
        assert_eq!(envelope.message.as_deref(), Some("İşlem başarılı"));
        let receipt = receipt_from_wire(envelope.payload.unwrap()).unwrap();
        assert_eq!(receipt.transaction_id, "55555560555665555555");
        assert_eq!(
            (receipt.amount, receipt.fee, receipt.charged),
            (tl("100"), tl("0"), tl("100"))
        );
        let order = receipt.order.decoded().unwrap();
        assert_eq!(
            (
                order.sale_reference.as_str(),
                order.approval_number.as_str()
            ),
            ("5555055555555555555", "55555555")
        );
        let sender = receipt.sender.as_ref().unwrap();
        assert_eq!(sender.total_balance, Some(tl("796")));
        assert_eq!(sender.limits.payment_limit, Some(tl("1250")));
        let created = sender.created_at.unwrap();
        assert_eq!(
            created.nanosecond(),
            592_721_200,
            "all 7 fractional digits kept"
        );
        assert_eq!(created.offset().whole_seconds(), 0);
        insta::assert_debug_snapshot!("seed_complete_receipt", receipt);
    }

    #[test]
    fn a_payment_data_string_that_is_not_json_keeps_its_raw_text() {
        let answer = r#"{"status":0,"code":"100","payload":{"tx_correlation_id":"12","payment_data":"MerchantNo=1;Amount=0,13"}}"#;
        let envelope: Envelope<wire::BeginPayload> = serde_json::from_str(answer).unwrap();
        let session = session_from_wire(WalletNumber::new("1").unwrap(), envelope.payload.unwrap())
            .unwrap()
            .unwrap();
        match session.sale {
            Embedded::Raw { text, error } => {
                assert_eq!(text, "MerchantNo=1;Amount=0,13");
                assert!(!error.is_empty());
            }
            Embedded::Decoded(_) => panic!("not JSON"),
        }
    }

    #[test]
    fn a_correlation_id_sent_as_a_22_digit_number_is_kept_exactly() {
        let answer = r#"{"status":0,"code":"100","payload":{"tx_correlation_id":7777777777777777777777,"payment_data":"{}"}}"#;
        let envelope: Envelope<wire::BeginPayload> = serde_json::from_str(answer).unwrap();
        assert_eq!(
            correlation_id(&envelope.payload.unwrap().tx_correlation_id)
                .unwrap()
                .as_str(),
            "7777777777777777777777"
        );
        for bad in ["-1", "1.5", "1e22", "\"12a\"", "\"\"", "null"] {
            let raw = RawValue::from_string(bad.to_owned()).unwrap();
            assert!(correlation_id(&raw).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_response_code_inside_payment_data_is_a_decline() {
        let answer = r#"{"status":0,"code":"100","payload":{"tx_correlation_id":"1","payment_data":"{\"RequestAmount\":1,\"ResponseCode\":51,\"ResponseMessage\":\"QR süresi doldu\",\"ErrorMessage\":\"QR expired\"}"}}"#;
        let envelope: Envelope<wire::BeginPayload> = serde_json::from_str(answer).unwrap();
        let error = session_from_wire(WalletNumber::new("1").unwrap(), envelope.payload.unwrap())
            .unwrap_err();
        let decline = error.decline().unwrap();
        assert_eq!(
            (decline.code.as_str(), decline.message.as_str()),
            ("51", "QR expired")
        );
    }
}
