//! Money: an exact decimal amount in an ISO 4217 currency.
//!
//! Amounts are [`rust_decimal::Decimal`]s, never binary floats. A [`Money`]
//! value is always valid for its currency: it is never negative and never has
//! more fractional digits than the currency's minor unit allows (two for
//! `YER`, none for `JPY`, three for `KWD`). Arithmetic is checked and refuses
//! to mix currencies.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ISO 4217 currency: alphabetic code, numeric code and minor-unit exponent.
///
/// The set is closed to the currencies the workspace's providers and their
/// merchants need; [`Currency::from_code`] looks one up by its code.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    numeric: u16,
    exponent: u8,
}

macro_rules! currencies {
    ($($(#[$doc:meta])* $ident:ident = ($code:literal, $numeric:literal, $exp:literal);)*) => {
        impl Currency {
            $($(#[$doc])* pub const $ident: Currency = Currency { code: $code, numeric: $numeric, exponent: $exp };)*

            /// Every currency this crate knows, in alphabetical order of code.
            pub const ALL: &'static [Currency] = &[$(Currency::$ident),*];
        }
    };
}

currencies! {
    /// UAE dirham.
    AED = ("AED", 784, 2);
    /// Bangladeshi taka.
    BDT = ("BDT", 50, 2);
    /// Bahraini dinar (three decimals).
    BHD = ("BHD", 48, 3);
    /// Chinese yuan renminbi.
    CNY = ("CNY", 156, 2);
    /// Egyptian pound.
    EGP = ("EGP", 818, 2);
    /// Euro.
    EUR = ("EUR", 978, 2);
    /// Pound sterling.
    GBP = ("GBP", 826, 2);
    /// Indian rupee.
    INR = ("INR", 356, 2);
    /// Iraqi dinar (three decimals).
    IQD = ("IQD", 368, 3);
    /// Jordanian dinar (three decimals).
    JOD = ("JOD", 400, 3);
    /// Japanese yen (no decimals).
    JPY = ("JPY", 392, 0);
    /// Kyrgyz som.
    KGS = ("KGS", 417, 2);
    /// South Korean won (no decimals).
    KRW = ("KRW", 410, 0);
    /// Kuwaiti dinar (three decimals).
    KWD = ("KWD", 414, 3);
    /// Kazakhstani tenge.
    KZT = ("KZT", 398, 2);
    /// Myanmar kyat.
    MMK = ("MMK", 104, 2);
    /// Omani rial (three decimals).
    OMR = ("OMR", 512, 3);
    /// Pakistani rupee.
    PKR = ("PKR", 586, 2);
    /// Russian ruble.
    RUB = ("RUB", 643, 2);
    /// Saudi riyal.
    SAR = ("SAR", 682, 2);
    /// Turkish lira.
    TRY = ("TRY", 949, 2);
    /// US dollar.
    USD = ("USD", 840, 2);
    /// Uzbekistani som.
    UZS = ("UZS", 860, 2);
    /// Yemeni rial.
    YER = ("YER", 886, 2);
}

impl Currency {
    /// Looks a currency up by its alphabetic code (case-sensitive, as ISO 4217 writes it).
    pub fn from_code(code: &str) -> Option<Currency> {
        Self::ALL.iter().copied().find(|c| c.code == code)
    }

    /// Looks a currency up by its ISO 4217 numeric code (`886` for `YER`).
    pub fn from_numeric(numeric: u16) -> Option<Currency> {
        Self::ALL.iter().copied().find(|c| c.numeric == numeric)
    }

    /// The three-letter code, `"YER"`.
    pub const fn code(&self) -> &'static str {
        self.code
    }

    /// The numeric code, `886` for `YER`.
    pub const fn numeric(&self) -> u16 {
        self.numeric
    }

    /// How many fractional digits the minor unit has (2 for `YER`, 0 for `JPY`, 3 for `KWD`).
    pub const fn exponent(&self) -> u8 {
        self.exponent
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl FromStr for Currency {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
            .ok_or_else(|| MoneyError::UnknownCurrency(s.chars().take(16).collect()))
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        code.parse().map_err(serde::de::Error::custom)
    }
}

/// Why an amount is not valid money.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MoneyError {
    /// The amount is below zero.
    #[error("amount {0} is negative")]
    Negative(Decimal),
    /// The amount has more fractional digits than the currency allows.
    #[error("amount {amount} has more than {exponent} decimal places, the precision of {currency}")]
    TooPrecise {
        /// The amount as given.
        amount: Decimal,
        /// The currency.
        currency: Currency,
        /// Its minor-unit exponent.
        exponent: u8,
    },
    /// The amount is zero where a positive amount is required.
    #[error("amount must be greater than zero")]
    NotPositive,
    /// An operation mixed two currencies.
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// The left operand's currency.
        left: Currency,
        /// The right operand's currency.
        right: Currency,
    },
    /// The result does not fit a decimal, or a subtraction went below zero.
    #[error("arithmetic overflow or negative result")]
    Overflow,
    /// The text is not a decimal number.
    #[error("`{0}` is not a decimal amount")]
    NotANumber(String),
    /// The code is not a currency this crate knows.
    #[error("`{0}` is not a known ISO 4217 currency code")]
    UnknownCurrency(String),
}

/// An exact, non-negative amount of one currency.
///
/// ```
/// use payments_core::{Currency, Money};
/// use rust_decimal::Decimal;
///
/// let price = Money::parse("1500.5", Currency::YER)?;
/// assert_eq!(price.to_string(), "1500.50 YER");
/// assert_eq!(price.amount(), Decimal::new(150050, 2));
/// // Three decimals is too precise for the Yemeni rial:
/// assert!(Money::parse("1.005", Currency::YER).is_err());
/// # Ok::<(), payments_core::MoneyError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Validates `amount` for `currency`: not negative, and no more decimal
    /// places than the currency's exponent. Trailing zeros do not count:
    /// `12.000` is valid `YER` (stored as `12.00`), `12.5` is not valid `JPY`.
    ///
    /// # Errors
    ///
    /// [`MoneyError::Negative`] or [`MoneyError::TooPrecise`].
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(MoneyError::Negative(amount));
        }
        let exponent = currency.exponent;
        // Already at the currency's scale (what answers mostly carry): as it
        // is, a zero made positive.
        if amount.scale() == u32::from(exponent) {
            let amount = if amount.is_zero() {
                amount.abs()
            } else {
                amount
            };
            return Ok(Money { amount, currency });
        }
        let normalized = amount.normalize();
        if normalized.scale() > u32::from(exponent) {
            return Err(MoneyError::TooPrecise {
                amount,
                currency,
                exponent,
            });
        }
        let mut amount = normalized;
        // Cannot fail: the scale only grows up to the currency exponent (≤ 3),
        // and `rescale` saturates instead of overflowing.
        amount.rescale(u32::from(exponent));
        Ok(Money { amount, currency })
    }

    /// Parses a decimal text (`"1500"`, `"12.50"`) in `currency`.
    ///
    /// # Errors
    ///
    /// [`MoneyError::NotANumber`] for text that is not a plain decimal, and
    /// every error of [`Money::new`].
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let amount = Decimal::from_str_exact(text.trim())
            .map_err(|_| MoneyError::NotANumber(text.chars().take(40).collect()))?;
        Self::new(amount, currency)
    }

    /// Money from an integer count of minor units (`150050` YER-fils = `1500.50 YER`).
    ///
    /// # Errors
    ///
    /// [`MoneyError::Negative`] for a negative count.
    pub fn from_minor_units(units: i64, currency: Currency) -> Result<Self, MoneyError> {
        Self::new(Decimal::new(units, u32::from(currency.exponent)), currency)
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        let mut amount = Decimal::ZERO;
        amount.rescale(u32::from(currency.exponent));
        Money { amount, currency }
    }

    /// The amount, scaled to the currency's exponent (`1500.50`, never `1500.5`).
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount as a count of minor units (`1500.50 YER` → `150050`).
    pub fn minor_units(&self) -> i128 {
        self.amount.mantissa()
    }

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// Requires a strictly positive amount, as every payment does.
    ///
    /// # Errors
    ///
    /// [`MoneyError::NotPositive`] for zero.
    pub fn require_positive(self) -> Result<Self, MoneyError> {
        if self.amount.is_zero() {
            Err(MoneyError::NotPositive)
        } else {
            Ok(self)
        }
    }

    /// `self + other`.
    ///
    /// # Errors
    ///
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::Overflow`].
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Money::new(sum, self.currency)
    }

    /// `self - other`; a negative result is an error, since money here is never negative.
    ///
    /// # Errors
    ///
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::Overflow`] (also for a negative result).
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let difference = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow)?;
        if difference.is_sign_negative() && !difference.is_zero() {
            return Err(MoneyError::Overflow);
        }
        Money::new(difference, self.currency)
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({} {})", self.amount, self.currency)
    }
}

/// Serialized as `{"amount": "1500.50", "currency": "YER"}`: the amount is a
/// string so that no reader turns it into a binary float.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Money", 2)?;
        s.serialize_field("amount", &self.amount.to_string())?;
        s.serialize_field("currency", &self.currency)?;
        s.end()
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            #[serde(deserialize_with = "crate::wire::decimal_from_number_or_string")]
            amount: Decimal,
            currency: Currency,
        }
        let raw = Raw::deserialize(deserializer)?;
        Money::new(raw.amount, raw.currency).map_err(serde::de::Error::custom)
    }
}
