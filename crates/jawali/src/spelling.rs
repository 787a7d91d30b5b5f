//! Answers whose fields arrive under more than one spelling: the decoder
//! that reads one spelling per field, from the raw text.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::value::MapDeserializer;
use serde_json::value::RawValue;

/// An answer body whose fields arrive under more than one spelling.
/// Integrations show `status` and `state`, `amount` and `txnamount`,
/// `balance` and `availableBalance`, `IssuerRef` and `issuerRef` — sometimes
/// two of them in one answer, which serde's `alias` refuses as a duplicate.
/// So each field lists its accepted spellings in precedence order: the first
/// one present (and not `null`) is read, under the first (canonical) name;
/// the others are ignored. Values are read from the raw text, so amounts
/// never pass through a binary float.
pub(crate) trait Spelled {
    /// Per field: its spellings, the canonical one first, in precedence order.
    const SPELLINGS: &'static [&'static [&'static str]];
}

/// A field name of an answer, borrowed from its text where it can be (a
/// name with escapes is copied).
#[derive(Deserialize)]
pub(crate) struct Name<'a>(#[serde(borrow)] pub(crate) Cow<'a, str>);

/// An answer object's fields in their order, names and values borrowed from
/// its text; a repeated name keeps its last value, as a map would.
struct Fields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Object;

        impl<'de> serde::de::Visitor<'de> for Object {
            type Value = Fields<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Fields<'de>, A::Error> {
                let mut fields: Vec<(Cow<'de, str>, &'de RawValue)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some((Name(name), value)) =
                    map.next_entry::<Name<'de>, &'de RawValue>()?
                {
                    match fields.iter_mut().find(|(seen, _)| *seen == name) {
                        Some(field) => field.1 = value,
                        None => fields.push((name, value)),
                    }
                }
                Ok(Fields(fields))
            }
        }

        deserializer.deserialize_map(Object)
    }
}

/// Decodes `raw` (a JSON object) as `T`, one spelling per field.
pub(crate) fn decode<'a, T: Spelled + Deserialize<'a>>(
    raw: &'a str,
) -> Result<T, serde_json::Error> {
    let fields: Fields<'a> = serde_json::from_str(raw)?;
    from_fields(&fields)
}

/// A `T` read where it lies (an element of a list, say), one spelling per
/// field, without capturing its text first.
pub(crate) struct SpelledValue<T>(pub(crate) T);

impl<'de, T: Spelled + Deserialize<'de>> Deserialize<'de> for SpelledValue<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let fields = Fields::deserialize(deserializer)?;
        from_fields(&fields)
            .map(SpelledValue)
            .map_err(serde::de::Error::custom)
    }
}

/// More spelling groups than any answer type has (a test checks every type).
pub(crate) const MAX_GROUPS: usize = 16;

/// `T` from an object's `fields`, one spelling per field.
fn from_fields<'a, T: Spelled + Deserialize<'a>>(
    fields: &Fields<'a>,
) -> Result<T, serde_json::Error> {
    // One pass over the fields: each group's best spelling present (the
    // lowest rank, not `null`), and the fields no group names, in order.
    let mut chosen: [Option<(usize, &'a RawValue)>; MAX_GROUPS] = [None; MAX_GROUPS];
    let mut others = Vec::new();
    for (name, value) in &fields.0 {
        let spelled = T::SPELLINGS.iter().enumerate().find_map(|(group, names)| {
            names
                .iter()
                .position(|spelling| *spelling == name.as_ref())
                .map(|rank| (group, rank))
        });
        match spelled {
            Some((group, rank)) => {
                if let Some(slot) = chosen.get_mut(group)
                    && slot.is_none_or(|(best, _)| rank < best)
                    && value.get().trim() != "null"
                {
                    *slot = Some((rank, *value));
                }
            }
            None => others.push((name.as_ref(), *value)),
        }
    }
    // Under each group's canonical name, then the others, where they lie.
    let chosen = T::SPELLINGS
        .iter()
        .zip(chosen)
        .filter_map(|(names, best)| Some((*names.first()?, best?.1)));
    T::deserialize(MapDeserializer::<_, serde_json::Error>::new(
        chosen.chain(others),
    ))
}

#[cfg(test)]
mod tests {
    use payments_core::Decimal;

    use super::*;
    use crate::wire::CashOutAnswer;

    /// The spellings decoder: an escaped name is read like its plain form,
    /// a repeated name keeps its last value, a `null` spelling gives way to
    /// the next, and a later spelling never overrides an earlier one.
    #[test]
    fn spelled_fields_are_chosen_by_precedence_from_the_raw_text() {
        let answer: CashOutAnswer = decode(
            r#"{"\u0061mount": 10.5, "Currency": null, "currency": "YER", "txncurrency": "USD",
                "refId": "a", "refId": "b", "balance": "1.10", "unknown": {"x": [1, 2]}}"#,
        )
        .unwrap();
        assert_eq!(answer.amount, Some(Decimal::new(105, 1)));
        assert_eq!(answer.currency.as_deref(), Some("YER"));
        assert_eq!(answer.ref_id.as_deref(), Some("b"));
        assert_eq!(answer.balance, Some(Decimal::new(110, 2)));
        assert!(decode::<CashOutAnswer>("[1]").is_err());
        assert!(decode::<CashOutAnswer>(r#"{"amount": "ten"}"#).is_err());
    }
}
