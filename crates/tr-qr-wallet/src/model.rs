//! What the integrator works with: validated inputs, the session Begin
//! opens, the receipt Complete returns, and the wallet's error codes.

use std::fmt;

use payments_core::{Decimal, Decline, Error, Money};
use time::OffsetDateTime;

/// The wallet's own id of a begun payment (`tx_correlation_id`): a string of
/// digits of any length, kept exactly as received. Never a number type: the
/// document's example has 22 digits, more than a `u64` holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct CorrelationId(pub(crate) String);

impl CorrelationId {
    /// Wraps a correlation id; it must be a non-empty string of ASCII digits.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for field `tx_correlation_id`.
    pub fn new(digits: &str) -> Result<Self, Error> {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::invalid(
                "tx_correlation_id",
                "must be a non-empty string of digits",
            ));
        }
        Ok(CorrelationId(digits.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CorrelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A wallet number: 1–32 ASCII letters or digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct WalletNumber(String);

impl WalletNumber {
    /// Validates a wallet number; surrounding whitespace is trimmed.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for field `wallet_number`.
    pub fn new(number: &str) -> Result<Self, Error> {
        let number = number.trim();
        if number.is_empty() {
            return Err(Error::invalid("wallet_number", "must not be empty"));
        }
        if number.len() > 32 || !number.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                "wallet_number",
                "must be 1 to 32 ASCII letters or digits",
            ));
        }
        Ok(WalletNumber(number.to_owned()))
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WalletNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The content of a scanned QR code (or its short code): 1–512 characters,
/// no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct QrCode(pub(crate) String);

impl QrCode {
    /// Validates a QR code's content; surrounding whitespace is trimmed.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for field `qr_code`.
    pub fn new(content: &str) -> Result<Self, Error> {
        let content = content.trim();
        if content.is_empty() {
            return Err(Error::invalid("qr_code", "must not be empty"));
        }
        if content.chars().count() > 512 || content.chars().any(char::is_control) {
            return Err(Error::invalid(
                "qr_code",
                "must be at most 512 characters, without control characters",
            ));
        }
        Ok(QrCode(content.to_owned()))
    }

    /// The content.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which kind of code was scanned (`qr_code_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QrCodeType {
    /// The full QR code (`1`).
    #[default]
    Default,
    /// The short code printed beside it (`2`).
    Short,
}

impl QrCodeType {
    pub(crate) fn wire(self) -> u8 {
        match self {
            QrCodeType::Default => 1,
            QrCodeType::Short => 2,
        }
    }
}

impl fmt::Display for QrCodeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QrCodeType::Default => "default",
            QrCodeType::Short => "short",
        })
    }
}

/// Serialized as its name (`default`, `short`).
impl serde::Serialize for QrCodeType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A field that arrives as JSON encoded in a string (`payment_data`,
/// `ext_order_id`): decoded when it is JSON of the expected shape, kept as
/// the raw text otherwise.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Embedded<T> {
    /// The decoded value.
    Decoded(T),
    /// The text as received, and why it could not be decoded.
    Raw {
        /// The text.
        text: String,
        /// The decoder's complaint.
        error: String,
    },
}

impl<T> Embedded<T> {
    /// The decoded value, if any.
    pub fn decoded(&self) -> Option<&T> {
        match self {
            Embedded::Decoded(value) => Some(value),
            Embedded::Raw { .. } => None,
        }
    }
}

/// The sale a QR code stands for (`payment_data`, decoded). Serializable,
/// for a journal to keep (`expires_at` as RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct Sale {
    /// `MerchantNo`: the store number.
    pub merchant_no: String,
    /// `TerminalNo`: the terminal number.
    pub terminal_no: String,
    /// `MerchantName`.
    pub merchant_name: String,
    /// `BrandId`.
    pub brand_id: Option<i64>,
    /// `BrandName`.
    pub brand_name: Option<String>,
    /// `CityName`.
    pub city: Option<String>,
    /// `DistrictName`.
    pub district: Option<String>,
    /// `RequestAmount`, in TRY.
    pub amount: Money,
    /// `BatchNo`: the end-of-day batch.
    pub batch_no: Option<i64>,
    /// `TransactionId`: the approval number.
    pub approval_number: Option<String>,
    /// `ProductId`.
    pub product_id: Option<i64>,
    /// `ProductName`.
    pub product_name: Option<String>,
    /// `Kdv`: the VAT ratio, from its decimal-comma text (`"1,00"` → `1.00`).
    pub vat_ratio: Option<Decimal>,
    /// `DiscountRatio`, from its decimal-comma text.
    pub discount_ratio: Option<Decimal>,
    /// `CurrencyId` as sent (`"1"` is TRY).
    pub currency_id: Option<String>,
    /// `SaleRefCode`: the sale's unique reference.
    pub sale_reference: Option<String>,
    /// `SessionExpireDate`, read as Türkiye time (+03:00).
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// `ResponseCode` (0 on success).
    pub response_code: i64,
    /// `ResponseMessage`.
    pub response_message: Option<String>,
    /// `ErrorMessage`.
    pub error_message: Option<String>,
}

/// A begun payment: what Complete needs, and the sale to show the user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct QrSession {
    /// The wallet paying.
    pub wallet_number: WalletNumber,
    /// `tx_correlation_id`, exactly as received.
    pub correlation_id: CorrelationId,
    /// The sale (`payment_data`).
    pub sale: Embedded<Sale>,
}

/// `ext_order_id`, decoded: the sale reference and the approval number.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct ExtOrder {
    /// `saleRefCode`.
    pub sale_reference: String,
    /// `transactionId`: the approval number.
    pub approval_number: String,
}

/// An available / unavailable balance pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Balance {
    /// Usable now.
    pub available: Money,
    /// Held.
    pub unavailable: Money,
}

/// The wallet's limits (`transaction_limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct Limits {
    /// `max_balance`.
    pub max_balance: Option<Money>,
    /// `topup_credit_limit`.
    pub topup_credit_limit: Option<Money>,
    /// `topup_cash_limit`.
    pub topup_cash_limit: Option<Money>,
    /// `withdrawal_limit`.
    pub withdrawal_limit: Option<Money>,
    /// `payment_limit`.
    pub payment_limit: Option<Money>,
    /// `wallet_to_wallet_limit`.
    pub wallet_to_wallet_limit: Option<Money>,
}

/// The paying wallet after the payment (`sender_wallet_info`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct SenderWallet {
    /// `id`.
    pub id: Option<String>,
    /// `name`.
    pub name: Option<String>,
    /// `account_number`.
    pub account_number: Option<String>,
    /// `account_type` (`Personal`).
    pub account_type: Option<String>,
    /// `created_date_utc`, with its offset and 7 fractional digits kept.
    pub created_at: Option<OffsetDateTime>,
    /// `number`: the wallet number.
    pub number: Option<String>,
    /// `phone_country_code`.
    pub phone_country_code: Option<String>,
    /// `phone_number`.
    pub phone_number: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `total_balance`.
    pub total_balance: Option<Money>,
    /// `access_level_status_id`.
    pub access_level_status_id: Option<i64>,
    /// `access_level_status` (`Aktif`).
    pub access_level_status: Option<String>,
    /// `payment_balance`.
    pub payment_balance: Option<Balance>,
    /// `cash_balance`.
    pub cash_balance: Option<Balance>,
    /// `transaction_limits`.
    pub limits: Limits,
    /// `kyc_level_status`.
    pub kyc_level_status: Option<String>,
    /// `currency_code` as sent.
    pub currency_code: Option<String>,
}

/// The receipt of a completed payment.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct QrReceipt {
    /// `transaction_id`: the wallet's transaction id.
    pub transaction_id: String,
    /// `transaction_amount`.
    pub amount: Money,
    /// `transaction_fee`.
    pub fee: Money,
    /// `charged_amount`: checked equal to the sale's amount.
    pub charged: Money,
    /// `ext_order_id`.
    pub order: Embedded<ExtOrder>,
    /// `business_code`.
    pub business_code: Option<String>,
    /// `business_name`.
    pub business_name: Option<String>,
    /// `friendly_name`.
    pub friendly_name: Option<String>,
    /// `receiver_account_number`.
    pub receiver_account_number: Option<String>,
    /// `receiver_wallet_number`.
    pub receiver_wallet_number: Option<String>,
    /// `sender_wallet_info`.
    pub sender: Option<SenderWallet>,
}

/// How an unknown Complete outcome ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub enum Settlement {
    /// The repeat completed the payment now: the first attempt had not.
    Completed(Box<QrReceipt>),
    /// The wallet says the session was already completed (code 301): the
    /// first attempt did pay, once.
    CompletedEarlier {
        /// The session's correlation id.
        correlation_id: CorrelationId,
    },
}

/// A QR code made for a test sale (`Create3rdPartyQrCode`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CreatedQrCode {
    /// The QR code's content.
    pub qr_code: QrCode,
    /// The short code, when given.
    pub short_code: Option<String>,
    /// When it expires, as sent.
    pub expire_date: Option<String>,
}

/// The wallet's result codes that have a name (Sipay's documentation).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum WalletCode {
    /// `100`: success.
    Success,
    /// `300`: wallet not found or invalid.
    WalletNotFound,
    /// `301`: duplicate external transaction id (the session was already completed).
    Duplicate,
    /// `310`: limit insufficient.
    LimitInsufficient,
    /// `311`: insufficient wallet balance.
    InsufficientBalance,
    /// Any other code, as sent.
    Other(String),
}

impl WalletCode {
    /// Whether the code is one Sipay documents as a refusal: the wallet
    /// did not debit (wallet not found, limit, balance). Any other
    /// non-success code to a Complete may follow a debit.
    pub fn refuses_before_debit(&self) -> bool {
        matches!(
            self,
            WalletCode::WalletNotFound
                | WalletCode::LimitInsufficient
                | WalletCode::InsufficientBalance
        )
    }

    /// Reads a code.
    pub fn from_code(code: &str) -> Self {
        match code.trim() {
            "100" => WalletCode::Success,
            "300" => WalletCode::WalletNotFound,
            "301" => WalletCode::Duplicate,
            "310" => WalletCode::LimitInsufficient,
            "311" => WalletCode::InsufficientBalance,
            other => WalletCode::Other(other.to_owned()),
        }
    }

    /// The code of a decline this crate produced.
    pub fn of(decline: &Decline) -> Self {
        Self::from_code(&decline.code)
    }
}

impl WalletCode {
    /// The wallet's code (`100`, `300`, `301`, `310`, `311`, or another as
    /// received).
    pub fn code(&self) -> &str {
        match self {
            WalletCode::Success => "100",
            WalletCode::WalletNotFound => "300",
            WalletCode::Duplicate => "301",
            WalletCode::LimitInsufficient => "310",
            WalletCode::InsufficientBalance => "311",
            WalletCode::Other(code) => code,
        }
    }
}

/// The code and its meaning: `311 insufficient balance`.
impl fmt::Display for WalletCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let meaning = match self {
            WalletCode::Success => "success",
            WalletCode::WalletNotFound => "wallet not found",
            WalletCode::Duplicate => "duplicate",
            WalletCode::LimitInsufficient => "limit insufficient",
            WalletCode::InsufficientBalance => "insufficient balance",
            WalletCode::Other(_) => "other",
        };
        write!(f, "{} {meaning}", self.code())
    }
}

/// Serialized as its code (`"311"`).
impl serde::Serialize for WalletCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}
