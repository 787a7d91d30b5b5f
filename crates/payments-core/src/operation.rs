//! What a provider call is, for errors, tracing and the retry policy.

use std::fmt;

/// Whether repeating a call can change money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationKind {
    /// Reads state: inquiry, status, balance, statement. Safe to repeat.
    Read,
    /// Obtains a credential (OAuth token, wallet token). Safe to repeat.
    Authentication,
    /// Moves money or commits a state change: cash-out, activate, complete,
    /// cash-in. **Never repeated blindly**: once it may have been sent, only
    /// a status lookup can say what happened.
    MoneyMoving,
}

impl OperationKind {
    /// Whether a repeat of the same call has no effect beyond the first one.
    pub const fn is_idempotent(self) -> bool {
        !matches!(self, OperationKind::MoneyMoving)
    }
}

/// One provider operation: which provider, which call, and what kind.
///
/// Provider crates declare theirs as constants:
///
/// ```
/// use payments_core::Operation;
/// const CASH_OUT: Operation = Operation::money_moving("jawali", "cash_out");
/// assert_eq!(CASH_OUT.to_string(), "jawali.cash_out");
/// assert!(!CASH_OUT.kind.is_idempotent());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Operation {
    /// The provider crate's short name (`"jawali"`).
    pub provider: &'static str,
    /// The operation in the merchant's language (`"cash_out"`).
    pub name: &'static str,
    /// Whether it reads, authenticates or moves money.
    pub kind: OperationKind,
}

impl Operation {
    /// A read-only operation.
    pub const fn read(provider: &'static str, name: &'static str) -> Self {
        Operation {
            provider,
            name,
            kind: OperationKind::Read,
        }
    }

    /// A credential request.
    pub const fn authentication(provider: &'static str, name: &'static str) -> Self {
        Operation {
            provider,
            name,
            kind: OperationKind::Authentication,
        }
    }

    /// An operation that moves money.
    pub const fn money_moving(provider: &'static str, name: &'static str) -> Self {
        Operation {
            provider,
            name,
            kind: OperationKind::MoneyMoving,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.provider, self.name)
    }
}
