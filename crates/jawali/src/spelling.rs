//! Answers whose fields arrive under more than one spelling, and the
//! one-pass reader [`spelled_answer!`] writes for each of them.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, Visitor};

/// An answer body whose fields arrive under more than one spelling.
/// Integrations show `status` and `state`, `amount` and `txnamount`,
/// `balance` and `availableBalance`, `IssuerRef` and `issuerRef` — sometimes
/// two of them in one answer, which serde's `alias` refuses as a duplicate.
/// So each field lists its accepted spellings in precedence order: the best
/// one present (and not `null`) is read, wherever it lies in the object; the
/// others are skipped unread. Amounts are read by
/// [`decimal_from_number_or_string`](payments_core::wire::decimal_from_number_or_string),
/// from the number's text; the answer is read strictly
/// ([`from_json`](payments_core::wire::from_json)): a name twice in one
/// object refuses it.
///
/// The reader matches the spellings inline; the trait lists them for the
/// tests, which check that no spelling names two fields.
#[cfg(test)]
pub(crate) trait Spelled {
    /// Per field: its spellings, the canonical one first, in precedence
    /// order (what [`spelled_answer!`]'s reader matches).
    const SPELLINGS: &'static [&'static [&'static str]];
}

/// A field name of an answer, borrowed from its text where it can be (a
/// name with escapes is copied).
#[derive(Deserialize)]
pub(crate) struct Name<'a>(#[serde(borrow)] pub(crate) Cow<'a, str>);

/// How one field's value is read, once its spelling is chosen.
pub(crate) trait Reader {
    /// What the field holds.
    type Value;

    /// Reads the value (never `null`: that spelling is then not present);
    /// `None` for a value that is present but says nothing (an empty
    /// optional text).
    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self::Value>, D::Error>;
}

/// A decimal, from a JSON number or a string holding one.
pub(crate) struct DecimalReader;

impl Reader for DecimalReader {
    type Value = payments_core::Decimal;

    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self::Value>, D::Error> {
        payments_core::wire::decimal_from_number_or_string(deserializer).map(Some)
    }
}

/// Text, from a string or a number (an identifier sent either way).
pub(crate) struct TextReader;

impl Reader for TextReader {
    type Value = String;

    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self::Value>, D::Error> {
        payments_core::wire::string_from_string_or_number(deserializer).map(Some)
    }
}

/// Optional text, from a string or a number; the empty string says nothing
/// ([`optional_string_from_string_or_number`](payments_core::wire::optional_string_from_string_or_number)).
pub(crate) struct OptionalTextReader;

impl Reader for OptionalTextReader {
    type Value = String;

    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self::Value>, D::Error> {
        payments_core::wire::optional_string_from_string_or_number(deserializer)
    }
}

/// `T` as serde reads it.
pub(crate) struct PlainReader<T>(PhantomData<T>);

impl<T: DeserializeOwned> Reader for PlainReader<T> {
    type Value = T;

    fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Self::Value>, D::Error> {
        T::deserialize(deserializer).map(Some)
    }
}

/// Reads one member's value with `R`; `None` for `null`.
pub(crate) struct NullOr<R>(PhantomData<R>);

impl<R> NullOr<R> {
    pub(crate) const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<'de, R: Reader> DeserializeSeed<'de> for NullOr<R> {
    type Value = Option<Option<R::Value>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de, R: Reader> Visitor<'de> for NullOr<R> {
    type Value = Option<Option<R::Value>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        R::read(deserializer).map(Some)
    }
}

/// A field's best spelling so far: read where it lay (the first spelling,
/// which nothing can beat), or kept as text until the object ends, read
/// only if no better spelling came (so that a losing spelling's value is
/// never read, as a field list chosen before reading never read it).
pub(crate) enum Best<'de, V> {
    Read(Option<V>),
    Later(&'de serde_json::value::RawValue),
}

impl<'de, V> Best<'de, V> {
    /// The field's value: read now if it was kept.
    pub(crate) fn value<R: Reader<Value = V>, E: serde::de::Error>(self) -> Result<Option<V>, E> {
        match self {
            Best::Read(value) => Ok(value),
            // Read as strictly as the answer it lay in (never `null`: a
            // `null` spelling is not kept).
            Best::Later(raw) => {
                payments_core::wire::from_json_str_seed(raw.get(), NullOr::<R>::new())
                    .map(Option::flatten)
                    .map_err(E::custom)
            }
        }
    }
}

/// Makes `best` (of precedence `rank`) a field's best spelling so far. A
/// beaten spelling kept as text is never read as the field, but is read
/// strictly as it is dropped: a member named twice or nesting too deep
/// inside it refuses the answer, as anywhere else in it.
pub(crate) fn replace<'de, V, E: serde::de::Error>(
    slot: &mut Option<(usize, Best<'de, V>)>,
    rank: usize,
    best: Best<'de, V>,
) -> Result<(), E> {
    if let Some((_, Best::Later(raw))) = slot.replace((rank, best)) {
        payments_core::wire::from_json_str::<serde::de::IgnoredAny>(raw.get())
            .map_err(E::custom)?;
    }
    Ok(())
}

/// Where `name` stands in `spellings` (its precedence rank), if it is one.
pub(crate) fn rank(spellings: &[&str], name: &str) -> Option<usize> {
    spellings.iter().position(|spelling| *spelling == name)
}

/// Declares an answer struct and its one-pass [`Deserialize`]: each field
/// lists its spellings in precedence order and its [`Reader`]; `required`
/// fields must be present, `optional` ones are `Option`s. A field's first
/// spelling is read where it lies; another is kept as text while it is the
/// best so far (an equal one, a repeated name, replaces it) and read once
/// the object ends. A `null` never counts as present; members no field
/// spells are skipped unread.
macro_rules! spelled_answer {
    (
        $(#[$meta:meta])*
        pub(crate) struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                $kind:ident $field:ident: $ty:ty = [$($spelling:literal),+ $(,)?] => $reader:ty
            ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        pub(crate) struct $name {
            $(
                $(#[$field_meta])*
                pub(crate) $field: spelled_answer!(@type $kind $ty),
            )+
        }

        #[cfg(test)]
        impl $crate::spelling::Spelled for $name {
            const SPELLINGS: &'static [&'static [&'static str]] = &[$(&[$($spelling),+]),+];
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Object;

                impl<'de> serde::de::Visitor<'de> for Object {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " object"))
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        $(let mut $field: Option<(usize, $crate::spelling::Best<'de, $ty>)> = None;)+
                        while let Some($crate::spelling::Name(name)) =
                            map.next_key::<$crate::spelling::Name<'de>>()?
                        {
                            $(
                                if let Some(rank) =
                                    $crate::spelling::rank(&[$($spelling),+], name.as_ref())
                                {
                                    if $field.as_ref().is_none_or(|(best, _)| rank <= *best) {
                                        if rank == 0 {
                                            if let Some(value) = map.next_value_seed(
                                                $crate::spelling::NullOr::<$reader>::new(),
                                            )? {
                                                $crate::spelling::replace::<_, A::Error>(
                                                    &mut $field,
                                                    rank,
                                                    $crate::spelling::Best::Read(value),
                                                )?;
                                            }
                                        } else {
                                            let raw: &'de serde_json::value::RawValue =
                                                map.next_value()?;
                                            if raw.get().trim() != "null" {
                                                $crate::spelling::replace::<_, A::Error>(
                                                    &mut $field,
                                                    rank,
                                                    $crate::spelling::Best::Later(raw),
                                                )?;
                                            }
                                        }
                                    } else {
                                        map.next_value::<serde::de::IgnoredAny>()?;
                                    }
                                    continue;
                                }
                            )+
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                        $(
                            let $field: Option<Option<$ty>> = match $field {
                                Some((_, best)) => Some(best.value::<$reader, A::Error>()?),
                                None => None,
                            };
                        )+
                        Ok($name {
                            $($field: spelled_answer!(@take $kind $field [$($spelling),+]),)+
                        })
                    }
                }

                deserializer.deserialize_map(Object)
            }
        }
    };
    (@type required $ty:ty) => { $ty };
    (@type optional $ty:ty) => { Option<$ty> };
    (@take required $field:ident [$first:literal $(, $rest:literal)*]) => {
        match $field {
            Some(Some(value)) => value,
            _ => return Err(serde::de::Error::missing_field($first)),
        }
    };
    (@take optional $field:ident [$($spelling:literal),+]) => {
        $field.flatten()
    };
}

pub(crate) use spelled_answer;

#[cfg(test)]
mod tests {
    use payments_core::Decimal;
    use serde_json::from_str as decode;

    use super::*;
    use crate::wire::{CashOutAnswer, StatusAnswer};

    /// An escaped name is read like its plain form, a repeated name keeps its
    /// last value, a `null` spelling gives way to the next, a later spelling
    /// never overrides an earlier one, and a better one read later wins.
    #[test]
    fn spelled_fields_are_chosen_by_precedence_from_the_raw_text() {
        let answer: CashOutAnswer = decode(
            r#"{"\u0061mount": 10.5, "Currency": null, "currency": "YER", "txncurrency": "USD",
                "refId": "a", "refId": "b", "balance": "1.10", "unknown": {"x": [1, 2]},
                "state": "PENDING", "Status": "FAILED", "status": "ACCEPTED", "Status": "X"}"#,
        )
        .unwrap();
        assert_eq!(answer.amount, Some(Decimal::new(105, 1)));
        assert_eq!(answer.currency.as_deref(), Some("YER"));
        assert_eq!(answer.ref_id.as_deref(), Some("b"));
        assert_eq!(answer.balance, Some(Decimal::new(110, 2)));
        assert_eq!(answer.status.as_deref(), Some("ACCEPTED"));
        assert_eq!(answer.issuer_ref, None);
        assert!(decode::<CashOutAnswer>("[1]").is_err());
        assert!(decode::<CashOutAnswer>(r#"{"amount": "ten"}"#).is_err());
        // A value of the wrong shape under a spelling that loses is never read.
        let answer: CashOutAnswer = decode(r#"{"amount": 1, "txnamount": {"x": 1}}"#).unwrap();
        assert_eq!(answer.amount, Some(Decimal::ONE));
    }

    /// An empty optional text says nothing, as before a field took its
    /// value from the spelling that won: it is `None`, not `Some("")`, and
    /// it still holds its field against a later, worse spelling.
    #[test]
    fn an_empty_optional_text_is_none() {
        let answer: CashOutAnswer =
            decode(r#"{"currency": "", "Currency": "YER", "refId": "", "status": ""}"#).unwrap();
        assert_eq!(
            (answer.currency, answer.ref_id, answer.status),
            (None, None, None)
        );
    }

    /// A spelling that a better one beats is never read, wherever it lies:
    /// its value may be of any shape.
    #[test]
    fn a_beaten_spelling_is_never_read_before_or_after_the_better_one() {
        let yer_ok = (Some("YER".to_owned()), Some("OK".to_owned()), None);
        for (text, chosen) in [
            (
                r#"{"txncurrency": {"x": 1}, "currency": "YER", "state": [1], "status": "OK"}"#,
                yer_ok.clone(),
            ),
            (
                r#"{"currency": "YER", "txncurrency": {"x": 1}, "status": "OK", "state": [1]}"#,
                yer_ok,
            ),
            (
                r#"{"Amount": "n/a", "amount": 10, "txnamount": 718033974354117.2}"#,
                (None, None, Some(Decimal::TEN)),
            ),
        ] {
            let answer: CashOutAnswer = decode(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(
                (answer.currency, answer.status, answer.amount),
                chosen,
                "{text}"
            );
        }
        // The best spelling present is read, late, and refused if it is bad.
        let answer: CashOutAnswer = decode(r#"{"txnamount": 5, "Amount": 7}"#).unwrap();
        assert_eq!(answer.amount, Some(Decimal::new(7, 0)));
        assert!(decode::<CashOutAnswer>(r#"{"txnamount": 5, "Amount": "n/a"}"#).is_err());
    }

    /// Read strictly, as every answer is: a beaten spelling kept as text is
    /// never believed, but a member named twice or nesting past the limit
    /// inside it refuses the answer, as anywhere else.
    #[test]
    fn a_beaten_spelling_is_read_strictly_as_it_is_dropped() {
        use payments_core::wire::from_json_str;
        let deep = format!(
            r#"{{"Amount": {}1{}, "amount": 10}}"#,
            "[".repeat(200_000),
            "]".repeat(200_000)
        );
        for text in [
            r#"{"Status": {"status": "FAILED", "status": "OK"}, "status": "OK"}"#,
            r#"{"state": [{"a": 1, "a": 2}], "Status": "X", "status": "OK"}"#,
            deep.as_str(),
        ] {
            assert!(
                from_json_str::<CashOutAnswer>(text).is_err(),
                "{}",
                &text[..60.min(text.len())]
            );
        }
        let answer: CashOutAnswer =
            from_json_str(r#"{"Status": {"x": [1, {"y": 2}]}, "status": "OK", "amount": 1}"#)
                .unwrap();
        assert_eq!(answer.status.as_deref(), Some("OK"));
    }

    /// A required field is missing when no spelling of it is present, or
    /// only `null` ones are; the error names its canonical spelling.
    #[test]
    fn a_required_field_needs_a_spelling_that_is_not_null() {
        let error = decode::<StatusAnswer>(r#"{"state": null, "amount": 1}"#)
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("missing field `status`"), "{error}");
        let answer: StatusAnswer = decode(r#"{"txnStatus": "OK", "trxStatus": null}"#).unwrap();
        assert_eq!(answer.status, "OK");
    }

    /// No spelling belongs to two fields of one answer: which field a member
    /// fills is never a matter of declaration order.
    #[test]
    fn no_spelling_names_two_fields() {
        use crate::wire::{BalanceAnswer, InquiryAnswer, StatementLine, WalletAuthAnswer};
        for groups in [
            WalletAuthAnswer::SPELLINGS,
            InquiryAnswer::SPELLINGS,
            CashOutAnswer::SPELLINGS,
            StatusAnswer::SPELLINGS,
            StatementLine::SPELLINGS,
            BalanceAnswer::SPELLINGS,
        ] {
            let mut all: Vec<&str> = groups.iter().flat_map(|g| g.iter().copied()).collect();
            let count = all.len();
            all.sort_unstable();
            all.dedup();
            assert_eq!(all.len(), count, "{groups:?}");
        }
    }
}
