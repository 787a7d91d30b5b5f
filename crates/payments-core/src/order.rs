//! The merchant's order: its id, and the terms a repeat must match.
//!
//! One merchant order is one payment, however often it is submitted: a
//! double click, a load balancer repeating a request that timed out, a
//! queue delivering a job twice. The order's [`OrderId`] — the merchant's
//! own id, from their order table — is what makes a repeat recognisable:
//!
//! - where the provider offers an idempotency key, it is derived from the
//!   order id (Allpay's GUID, Paykassma's `custom_transaction_id`), so even
//!   an unjournaled [`pay`](crate::pay) repeated for one order finds the
//!   first payment;
//! - a journal (`payments_journal::Journaled`) keys its payments by
//!   (scope, order id): a repeat returns the recorded outcome, waits for the
//!   payment in flight, or settles an open one — never a second commit —
//!   and a repeat on other terms is refused before any request.
//!
//! ```
//! use payments_core::order::OrderId;
//!
//! let id = OrderId::new("shop-42/order-1001")?;
//! assert_eq!(id.as_str(), "shop-42/order-1001");
//! // Refused before anything is sent, naming the field.
//! assert_eq!(
//!     OrderId::new("order 1001").unwrap_err().to_string(),
//!     "invalid order_id: `order 1001`: an order id is 1 to 64 printable ASCII characters, without spaces and without `~` (nothing was sent)"
//! );
//! # Ok::<(), payments_core::Error>(())
//! ```

use std::fmt;

use secrecy::SecretString;

use crate::error::Error;

/// The longest [`OrderId`], in characters.
pub const MAX_ORDER_ID_LEN: usize = 64;

/// The merchant's id of an order: 1 to [`MAX_ORDER_ID_LEN`] printable
/// ASCII characters (`!` to `}`), without spaces and without `~` — which
/// the SDKs reserve to tell a later attempt's provider key from an order
/// id (`1001~2` is the second attempt at order `1001`).
///
/// Lead with your own order table's id: a repeat of a request that carries
/// it is then recognised wherever it runs. [`OrderId::generate`] makes one
/// for callers that have none — a fresh id per call, which recognises no
/// repeat.
///
/// It appears on the provider's side (Paykassma's `custom_transaction_id`)
/// and in a journal in clear: it is an identifier, not a secret; keep
/// customer data out of it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(Box<str>);

impl OrderId {
    /// Validates an order id.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for field `order_id`: empty, longer than
    /// [`MAX_ORDER_ID_LEN`], or a character outside `!`–`}`.
    pub fn new(id: impl Into<String>) -> Result<Self, Error> {
        let id: String = id.into();
        let allowed = |c: char| c.is_ascii_graphic() && c != '~';
        if id.is_empty() || id.len() > MAX_ORDER_ID_LEN || !id.chars().all(allowed) {
            let shown: String = id.chars().take(MAX_ORDER_ID_LEN + 8).collect();
            return Err(Error::invalid(
                "order_id",
                format_args!(
                    "`{}`: an order id is 1 to {MAX_ORDER_ID_LEN} printable ASCII characters, without spaces and without `~`",
                    shown.escape_debug()
                ),
            ));
        }
        Ok(OrderId(id.into_boxed_str()))
    }

    /// A fresh order id (`ord-` and 32 hexadecimal digits of a random
    /// UUID), for callers without one of their own. Two calls never give
    /// the same id, so a repeat made with a generated id is a new payment:
    /// generate it once per order, where the order is created, and keep it.
    pub fn generate() -> Self {
        OrderId(format!("ord-{}", uuid::Uuid::new_v4().simple()).into_boxed_str())
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The provider key of `attempt` (1-based) at this order: the id itself
    /// for the first attempt, `id~N` for attempt `N` (a payment made again
    /// after a proven failure; `~` is never part of an id).
    pub fn attempt_key(&self, attempt: u32) -> String {
        if attempt <= 1 {
            self.0.to_string()
        } else {
            format!("{}~{attempt}", self.0)
        }
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrderId({:?})", &*self.0)
    }
}

impl AsRef<str> for OrderId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for OrderId {
    type Err = Error;

    fn from_str(id: &str) -> Result<Self, Error> {
        OrderId::new(id)
    }
}

impl serde::Serialize for OrderId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for OrderId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        OrderId::new(id).map_err(serde::de::Error::custom)
    }
}

/// One term of an order, as a repeat must match it: the field's name as
/// input errors name it (`"amount"`, `"voucher"`) and its value in a
/// canonical text (an amount as `1500 YER` however it was written). The
/// value may be a bearer secret (a voucher code): it is held as a
/// [`SecretString`], and a journal keeps only a keyed digest of it.
#[derive(Debug)]
pub struct OrderTerm {
    /// The field's name.
    pub field: &'static str,
    /// Its canonical value.
    pub value: SecretString,
}

impl OrderTerm {
    /// A term.
    pub fn new(field: &'static str, value: impl Into<String>) -> Self {
        OrderTerm {
            field,
            value: SecretString::from(value.into()),
        }
    }

    /// An amount's term: its decimal without trailing zeros and its
    /// currency, so `1500`, `1500.00` and `1500.0` are one amount.
    pub fn money(field: &'static str, money: &crate::Money) -> Self {
        OrderTerm::new(
            field,
            format!("{} {}", money.amount().normalize(), money.currency()),
        )
    }
}

/// What every provider's order type is: a merchant order, identified by
/// its [`OrderId`], with the terms a repeat under that id must match, and
/// the attempt it is (1 unless the order is paid again after a proven
/// failure).
///
/// ```
/// use payments_core::order::{MerchantOrder, OrderId, OrderTerm};
/// use payments_core::{Currency, Money};
///
/// struct Order { id: OrderId, attempt: u32, amount: Money }
///
/// impl MerchantOrder for Order {
///     fn order_id(&self) -> &OrderId { &self.id }
///     fn attempt(&self) -> u32 { self.attempt }
///     fn set_attempt(&mut self, attempt: u32) { self.attempt = attempt.max(1) }
///     fn terms(&self) -> Vec<OrderTerm> { vec![OrderTerm::money("amount", &self.amount)] }
/// }
/// ```
pub trait MerchantOrder {
    /// The merchant's id of the order.
    fn order_id(&self) -> &OrderId;

    /// Which attempt at the order this is, from 1. A provider whose
    /// idempotency key derives from the order id derives it from
    /// [`OrderId::attempt_key`] of this attempt, so that an order paid
    /// again after a proven failure is a new payment on the provider's side
    /// too, and a repeat of one attempt is the same payment.
    fn attempt(&self) -> u32;

    /// Makes this order attempt `attempt` (values below 1 count as 1). A
    /// journal sets it when the merchant pays an order again after a proven
    /// failure; merchants rarely call it themselves.
    fn set_attempt(&mut self, attempt: u32);

    /// The order's terms, in a fixed order: what a repeat under the same
    /// order id must match (amount and currency, customer, voucher, …).
    /// Never the order id or the attempt.
    fn terms(&self) -> Vec<OrderTerm>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_ids_are_printable_ascii_without_spaces_or_tildes() {
        for good in ["1", "A-1001", "#1001", "shop/42:order_7", &"x".repeat(64)] {
            assert_eq!(OrderId::new(good).unwrap().as_str(), good);
        }
        for bad in ["", " ", "a b", "a~2", "é", "a\n", &"x".repeat(65)] {
            let error = OrderId::new(bad).unwrap_err();
            assert!(
                matches!(&error, Error::InvalidInput { field, .. } if field == "order_id"),
                "{bad:?}: {error}"
            );
        }
    }

    #[test]
    fn generated_ids_are_valid_and_distinct() {
        let (a, b) = (OrderId::generate(), OrderId::generate());
        assert_ne!(a, b);
        assert_eq!(OrderId::new(a.as_str()).unwrap(), a);
        assert_eq!(a.as_str().len(), 36);
    }

    #[test]
    fn attempt_keys_tell_attempts_apart_and_never_meet_an_id() {
        let id = OrderId::new("1001").unwrap();
        assert_eq!(id.attempt_key(0), "1001");
        assert_eq!(id.attempt_key(1), "1001");
        assert_eq!(id.attempt_key(2), "1001~2");
        assert!(OrderId::new(id.attempt_key(2)).is_err());
    }

    #[test]
    fn amounts_are_one_term_however_written() {
        use secrecy::ExposeSecret;
        let a = crate::Money::parse("1500", crate::Currency::YER).unwrap();
        let b = crate::Money::parse("1500.00", crate::Currency::YER).unwrap();
        assert_eq!(
            OrderTerm::money("amount", &a).value.expose_secret(),
            OrderTerm::money("amount", &b).value.expose_secret()
        );
        assert_eq!(
            OrderTerm::money("amount", &a).value.expose_secret(),
            "1500 YER"
        );
    }

    #[test]
    fn serde_validates() {
        let id: OrderId = serde_json::from_str("\"A-1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"A-1\"");
        assert!(serde_json::from_str::<OrderId>("\"a b\"").is_err());
    }
}
