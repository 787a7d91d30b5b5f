//! Reading a provider's JSON strictly in the one pass that decodes it.
//!
//! [`from_json`] runs serde_json's typed parse through a thin wrapper that
//! sees every object's member names as serde_json reads them — the members a
//! type reads and the ones it skips, at every depth — and refuses the text
//! when one object names a member twice. Members a type skips are walked
//! (not jumped over), so serde_json's nesting limit ([`MAX_DEPTH`](super::MAX_DEPTH)) holds for
//! them too, and every object in them is checked the same way. Amounts are
//! exact by construction: the decimal readers
//! ([`decimal_from_number_or_string`](super::decimal_from_number_or_string))
//! read a number from its text, never through an `f64`.
//!
//! That is what [`check_json`](super::check_json) guarantees, without a
//! second pass over the bytes: one parser per answer. Two differences: a
//! value captured as raw text (`serde_json::value::RawValue`) is kept as
//! written and checked only when it is read (Jawali reads its answer bodies
//! and its beaten spellings with [`from_json_str`], Paykassma its `params`
//! with `check_json`, Sipay's correlation id must be digits); and
//! skipped members are decoded as they are walked, so a string in one that
//! is not valid JSON text (a lone surrogate escape) refuses the answer.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use super::strict::{ObjectNames, StrictJsonError, excerpt};

/// The name under which serde_json hands over a value's raw text
/// (`serde_json::value::RawValue`'s protocol): a raw value passes through
/// the wrapper untouched (whoever reads its text reads it strictly again),
/// and [`raw_text`] asks for it.
pub(super) const RAW_VALUE: &str = "$serde_json::private::RawValue";

/// Decodes `T` from the JSON `text`, refusing in the same pass an object that
/// names a member twice (read or skipped, at any depth) and nesting past
/// [`MAX_DEPTH`](super::MAX_DEPTH). Trailing text after the value is refused, as by
/// `serde_json::from_slice`.
///
/// ```
/// use payments_core::wire::from_json;
///
/// #[derive(serde::Deserialize, Debug)]
/// struct Answer { status: String }
///
/// let answer: Answer = from_json(br#"{"status":"ok","extra":{"a":1}}"#).unwrap();
/// assert_eq!(answer.status, "ok");
/// let twice = from_json::<Answer>(br#"{"status":"FAILED","status":"ok"}"#).unwrap_err();
/// assert!(twice.to_string().contains("`status` appears twice"));
/// // Members the type skips are read as strictly as the ones it keeps.
/// assert!(from_json::<Answer>(br#"{"status":"ok","extra":{"a":1,"a":2}}"#).is_err());
/// ```
///
/// # Errors
///
/// serde_json's error: the text is not JSON of `T`'s shape, or names a
/// member twice in one object, or nests too deep.
pub fn from_json<'de, T: de::Deserialize<'de>>(text: &'de [u8]) -> serde_json::Result<T> {
    // From text known to be UTF-8, serde_json skips checking each string.
    match std::str::from_utf8(text) {
        Ok(text) => from_json_str(text),
        Err(_) => read_seed(
            &mut serde_json::Deserializer::from_slice(text),
            PhantomData::<T>,
        ),
    }
}

/// [`from_json`] for text.
///
/// # Errors
///
/// As [`from_json`].
pub fn from_json_str<'de, T: de::Deserialize<'de>>(text: &'de str) -> serde_json::Result<T> {
    from_json_str_seed(text, PhantomData::<T>)
}

/// [`from_json_str`] with a seed: for a reader that is not a type's
/// `Deserialize` (a field read in its own way).
///
/// # Errors
///
/// As [`from_json`].
pub fn from_json_str_seed<'de, S: DeserializeSeed<'de>>(
    text: &'de str,
    seed: S,
) -> serde_json::Result<S::Value> {
    read_seed(&mut serde_json::Deserializer::from_str(text), seed)
}

fn read_seed<'de, R: serde_json::de::Read<'de>, S: DeserializeSeed<'de>>(
    deserializer: &mut serde_json::Deserializer<R>,
    seed: S,
) -> serde_json::Result<S::Value> {
    // Most answers are a few levels and a few dozen names (Sipay's sale has
    // 20); small enough for glibc's fast path.
    let mut names = Vec::with_capacity(32);
    let value = seed.deserialize(Strict {
        inner: &mut *deserializer,
        names: &mut names,
    })?;
    deserializer.end()?;
    Ok(value)
}

/// Reads the value `deserializer` stands at from its JSON text as written
/// (a number's digits, a string with its quotes and escapes) with `read`,
/// when the deserializer is serde_json's reading borrowed input. Where
/// serde_json hands over text of its own (a `serde_json::Value`, whose
/// numbers are doubles already and whose text is the double's; a reader's
/// copy), the value is read both with `read` and as `fallback` reads the
/// double, and only when the two agree. Anywhere else — a value serde
/// buffered (`flatten`, `untagged`), serde's in-memory deserializers —
/// strings and integers go to `fallback`, and a number with a fraction or
/// an exponent is refused: its text is lost.
pub(crate) fn raw_text<'de, D, T, F, V>(
    deserializer: D,
    read: F,
    fallback: V,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: PartialEq,
    F: FnOnce(&str) -> Result<T, String>,
    V: for<'any> Visitor<'any, Value = T>,
{
    deserializer.deserialize_newtype_struct(
        RAW_VALUE,
        RawText {
            read,
            fallback,
            buffered: false,
        },
    )
}

struct RawText<F, V> {
    read: F,
    fallback: V,
    /// Handed over as a newtype's content: not serde_json's raw value.
    buffered: bool,
}

impl<'de, T, F, V> Visitor<'de> for RawText<F, V>
where
    T: PartialEq,
    F: FnOnce(&str) -> Result<T, String>,
    V: for<'any> Visitor<'any, Value = T>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fallback.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        // serde_json's raw value: one member, named `RAW_VALUE`, whose value
        // is the text, handed to this visitor directly. Any other map — one
        // spelling that name in a buffered value included — is not a value
        // this reads.
        let invalid = || de::Error::invalid_type(de::Unexpected::Map, &self);
        if self.buffered {
            return Err(invalid());
        }
        match map.next_key::<Text<'de>>()? {
            Some(Text(name)) if name == RAW_VALUE => {}
            _ => return Err(invalid()),
        }
        let text = map.next_value::<Text<'de>>()?.0;
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(invalid());
        }
        match text {
            // The input's own text, its grammar checked by serde_json: the
            // value as written.
            Cow::Borrowed(text) => (self.read)(text).map_err(de::Error::custom),
            // Text serde_json made or copied: believed only where the text
            // and its double say the same.
            Cow::Owned(text) => {
                let double = serde_json::Deserializer::from_str(&text)
                    .deserialize_any(self.fallback)
                    .map_err(de::Error::custom)?;
                match (self.read)(&text) {
                    Ok(exact) if exact == double => Ok(exact),
                    _ => Err(de::Error::custom(format_args!(
                        "the number {} is not read exactly by a double: not read",
                        excerpt(&text)
                    ))),
                }
            }
        }
    }

    // A deserializer without raw text hands the value over as it is.
    fn visit_newtype_struct<D: Deserializer<'de>>(mut self, d: D) -> Result<T, D::Error> {
        self.buffered = true;
        d.deserialize_any(self)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        self.fallback.visit_str(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        self.fallback.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        self.fallback.visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        Err(E::custom(format_args!(
            "the number {v} was handed over without its text (a buffered or in-memory value): a fraction is read only as written"
        )))
    }
}

/// A string, borrowed where the deserializer lends it.
struct Text<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("text")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(TextVisitor)
    }
}

/// The names of every open object's members so far, innermost last (an
/// object's own start where its [`Object`] says).
type Names<'de> = Vec<Cow<'de, str>>;

/// A deserializer whose objects refuse a member named twice.
struct Strict<'n, 'de, D> {
    inner: D,
    names: &'n mut Names<'de>,
}

/// The `deserialize_*` methods of a wrapping deserializer: each hands its
/// visitor to the inner deserializer wrapped in `$wrap`, which shares the
/// wrapper's `$field`; `$extra` are methods forwarded the same way beyond
/// the ones every wrapper forwards.
macro_rules! forward {
    ($wrap:ident { $field:ident } $(, $extra:ident($($earg:ident: $ety:ty),*))* $(,)?) => {
        forward!(@methods $wrap $field;
            deserialize_any(), deserialize_bool(), deserialize_i8(), deserialize_i16(),
            deserialize_i32(), deserialize_i64(), deserialize_i128(), deserialize_u8(),
            deserialize_u16(), deserialize_u32(), deserialize_u64(), deserialize_u128(),
            deserialize_f32(), deserialize_f64(), deserialize_char(), deserialize_str(),
            deserialize_string(), deserialize_bytes(), deserialize_byte_buf(),
            deserialize_option(), deserialize_unit(), deserialize_seq(), deserialize_map(),
            deserialize_identifier(),
            deserialize_unit_struct(name: &'static str),
            deserialize_tuple(len: usize),
            deserialize_tuple_struct(name: &'static str, len: usize),
            deserialize_struct(name: &'static str, fields: &'static [&'static str]),
            deserialize_enum(name: &'static str, variants: &'static [&'static str])
            $(, $extra($($earg: $ety),*))*
        );
    };
    (@methods $wrap:ident $field:ident; $($method:ident($($arg:ident: $ty:ty),*)),*) => {
        $(
            fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
                self.inner.$method($($arg,)* $wrap { visitor, $field: self.$field })
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<'_, 'de, D> {
    type Error = D::Error;

    forward!(Wrap { names });

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        if name == RAW_VALUE {
            // Kept as text, unread: whoever reads it reads it strictly.
            return self.inner.deserialize_newtype_struct(name, visitor);
        }
        self.inner.deserialize_newtype_struct(
            name,
            Wrap {
                visitor,
                names: self.names,
            },
        )
    }

    /// A skipped value is walked, not jumped over: its objects are checked
    /// and its nesting counted like any other's.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_any(Wrap {
            visitor,
            names: self.names,
        })
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// A visitor whose maps, sequences and nested values are read strictly.
struct Wrap<'n, 'de, V> {
    visitor: V,
    names: &'n mut Names<'de>,
}

macro_rules! pass {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.visitor.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Wrap<'_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    pass! {
        visit_bool(bool), visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64),
        visit_i128(i128), visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64),
        visit_u128(u128), visit_f32(f32), visit_f64(f64), visit_char(char), visit_str(&str),
        visit_borrowed_str(&'de str), visit_string(String), visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]), visit_byte_buf(Vec<u8>),
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.visitor.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(Strict {
            inner,
            names: self.names,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_newtype_struct(Strict {
            inner,
            names: self.names,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_seq(StrictSeq {
            inner: seq,
            names: self.names,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(StrictMap {
            inner: map,
            object: Object {
                own: ObjectNames::opening(self.names),
                names: self.names,
                added: 0,
                duplicate: None,
            },
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_enum(StrictEnum {
            inner: data,
            names: self.names,
        })
    }
}

/// A seed whose value is read strictly.
struct StrictSeed<'n, 'de, S> {
    seed: S,
    names: &'n mut Names<'de>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for StrictSeed<'_, 'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Strict {
            inner,
            names: self.names,
        })
    }
}

struct StrictSeq<'n, 'de, A> {
    inner: A,
    names: &'n mut Names<'de>,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for StrictSeq<'_, 'de, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.inner.next_element_seed(StrictSeed {
            seed,
            names: &mut *self.names,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// One object being read.
struct StrictMap<'n, 'de, A> {
    inner: A,
    object: Object<'n, 'de>,
}

/// One object's names (`own`, on the shared stack `names`), dropped when
/// it ends.
struct Object<'n, 'de> {
    names: &'n mut Names<'de>,
    own: ObjectNames<Cow<'de, str>>,
    /// How many names were noted: a key read without one is refused.
    added: usize,
    /// A name found twice: the object is refused even if the key's reader
    /// swallowed the error.
    duplicate: Option<StrictJsonError>,
}

impl<'de> Object<'_, 'de> {
    /// Notes `name`; an error if this object named it before.
    fn add(&mut self, name: Cow<'de, str>) -> Result<(), StrictJsonError> {
        if let Err(name) = self.own.add(self.names, name) {
            let error = StrictJsonError::DuplicateMember {
                name: excerpt(&name),
            };
            self.duplicate = Some(error.clone());
            return Err(error);
        }
        self.added += 1;
        Ok(())
    }
}

impl Drop for Object<'_, '_> {
    fn drop(&mut self) {
        self.own.end(self.names);
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for StrictMap<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let before = self.object.added;
        let key = self.inner.next_key_seed(KeySeed {
            seed,
            object: &mut self.object,
        });
        // Refused even where the key's reader turned the error into a value.
        if let Some(duplicate) = self.object.duplicate.take() {
            return Err(de::Error::custom(duplicate));
        }
        let key = key?;
        // A name read in a way that never showed it cannot be checked: it
        // is not read.
        if key.is_some() && self.object.added == before {
            return Err(de::Error::custom(
                "a member name read without its text cannot be checked for a duplicate",
            ));
        }
        Ok(key)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.next_value_seed(StrictSeed {
            seed,
            names: &mut *self.object.names,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// A member name's seed: the name is noted as it passes to `seed`.
struct KeySeed<'k, 'n, 'de, S> {
    seed: S,
    object: &'k mut Object<'n, 'de>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for KeySeed<'_, '_, 'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, inner: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(KeyDeserializer {
            inner,
            object: self.object,
        })
    }
}

struct KeyDeserializer<'k, 'n, 'de, D> {
    inner: D,
    object: &'k mut Object<'n, 'de>,
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for KeyDeserializer<'_, '_, 'de, D> {
    type Error = D::Error;

    forward!(
        KeyVisitor { object },
        deserialize_ignored_any(),
        deserialize_newtype_struct(name: &'static str),
    );

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// Notes the name a member-name visitor is given: JSON names are strings,
/// handed over as text, or as the number or `true`/`false` they spell when
/// the key is read as one.
struct KeyVisitor<'k, 'n, 'de, V> {
    visitor: V,
    object: &'k mut Object<'n, 'de>,
}

macro_rules! note {
    ($($method:ident($ty:ty)),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
                self.object.add(Cow::Owned(v.to_string())).map_err(E::custom)?;
                self.visitor.$method(v)
            }
        )*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for KeyVisitor<'_, '_, 'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        self.object.add(Cow::Borrowed(v)).map_err(E::custom)?;
        self.visitor.visit_borrowed_str(v)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        self.object
            .add(Cow::Owned(v.to_owned()))
            .map_err(E::custom)?;
        self.visitor.visit_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        self.object.add(Cow::Owned(v.clone())).map_err(E::custom)?;
        self.visitor.visit_string(v)
    }

    note! {
        visit_bool(bool), visit_i8(i8), visit_i16(i16), visit_i32(i32), visit_i64(i64),
        visit_i128(i128), visit_u8(u8), visit_u16(u16), visit_u32(u32), visit_u64(u64),
        visit_u128(u128), visit_f32(f32), visit_f64(f64), visit_char(char),
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<V::Value, E> {
        self.object
            .add(Cow::Owned(bytes_name(v)))
            .map_err(E::custom)?;
        self.visitor.visit_bytes(v)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<V::Value, E> {
        self.object
            .add(Cow::Owned(bytes_name(v)))
            .map_err(E::custom)?;
        self.visitor.visit_borrowed_bytes(v)
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<V::Value, E> {
        self.object
            .add(Cow::Owned(bytes_name(&v)))
            .map_err(E::custom)?;
        self.visitor.visit_byte_buf(v)
    }

    // A name read into a newtype (`struct Name<'a>(Cow<'a, str>)`).
    fn visit_newtype_struct<D: Deserializer<'de>>(self, inner: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_newtype_struct(KeyDeserializer {
            inner,
            object: self.object,
        })
    }

    // A name read as an `Option` (serde_json's keys are never `null`).
    fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<V::Value, D::Error> {
        self.visitor.visit_some(KeyDeserializer {
            inner,
            object: self.object,
        })
    }

    // A name read as an enum's variant: the variant's name is the name.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_enum(KeyEnum {
            inner: data,
            object: self.object,
        })
    }
}

/// A name handed over as bytes, noted exactly (as hex, after a NUL that no
/// name read as text in the same map starts with: one map's names are all
/// read one way).
fn bytes_name(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut name = String::with_capacity(1 + 2 * bytes.len());
    name.push('\0');
    for byte in bytes {
        let _ = write!(name, "{byte:02x}");
    }
    name
}

/// A member name read as an enum: its variant is noted as it is read.
struct KeyEnum<'k, 'n, 'de, A> {
    inner: A,
    object: &'k mut Object<'n, 'de>,
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for KeyEnum<'_, '_, 'de, A> {
    type Error = A::Error;
    type Variant = A::Variant;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, A::Variant), A::Error> {
        self.inner.variant_seed(KeySeed {
            seed,
            object: self.object,
        })
    }
}

/// An enum (`{"Variant": value}`): its value is read strictly.
struct StrictEnum<'n, 'de, A> {
    inner: A,
    names: &'n mut Names<'de>,
}

impl<'n, 'de, A: EnumAccess<'de>> EnumAccess<'de> for StrictEnum<'n, 'de, A> {
    type Error = A::Error;
    type Variant = StrictVariant<'n, 'de, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, inner) = self.inner.variant_seed(seed)?;
        Ok((
            value,
            StrictVariant {
                inner,
                names: self.names,
            },
        ))
    }
}

struct StrictVariant<'n, 'de, A> {
    inner: A,
    names: &'n mut Names<'de>,
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for StrictVariant<'_, 'de, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.newtype_variant_seed(StrictSeed {
            seed,
            names: self.names,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner.tuple_variant(
            len,
            Wrap {
                visitor,
                names: self.names,
            },
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner.struct_variant(
            fields,
            Wrap {
                visitor,
                names: self.names,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rust_decimal::Decimal;
    use serde::Deserialize;
    use serde::de::IgnoredAny;
    use serde_json::value::RawValue;

    use super::*;
    use crate::wire::strict::LINEAR_NAMES;

    /// A typed answer that reads one member and skips the rest.
    #[derive(Deserialize, Debug)]
    struct Status {
        status: String,
    }

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Nested {
        inner: Option<Status>,
        list: Option<Vec<Status>>,
        value: Option<serde_json::Value>,
        names: Option<BTreeMap<Name, IgnoredAny>>,
    }

    /// A member name read into a newtype, as the Jawali reader reads them.
    #[derive(Deserialize, Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Name(String);

    fn twice<'a, T: Deserialize<'a> + fmt::Debug>(text: &'a str) -> String {
        let error = from_json_str::<T>(text).expect_err(text).to_string();
        assert!(
            error.contains("appears twice in one object"),
            "{text}: {error}"
        );
        error
    }

    #[test]
    fn a_member_named_twice_is_refused_whether_read_or_skipped() {
        for text in [
            r#"{"status":"FAILED","x":1,"status":"ACCEPTED"}"#,
            r#"{"status":"ok","x":1,"x":2}"#,
            r#"{"status":"ok","skipped":{"a":{"s":1,"s":2}}}"#,
            r#"{"status":"ok","skipped":[0,[{"k":[],"k":{}}]]}"#,
            r#"{"status":"a","st\u0061tus":"b"}"#,
            r#"{"status":"ok","\/":1,"/":2}"#,
        ] {
            twice::<Status>(text);
        }
        for text in [
            r#"{"inner":{"status":"a","status":"b"}}"#,
            r#"{"list":[{"status":"a"},{"status":"a","status":"b"}]}"#,
            r#"{"value":{"a":1,"a":2}}"#,
            r#"{"names":{"a":1,"a":2}}"#,
            r#"{"inner":null,"inner":null}"#,
        ] {
            twice::<Nested>(text);
        }
        let error = twice::<Status>(r#"{"status":"FAILED","status":"ACCEPTED"}"#);
        assert!(error.contains("`status`"), "{error}");
    }

    #[test]
    fn names_in_sibling_and_nested_objects_are_their_own() {
        let text = r#"{"status":"ok","a":{"a":{"a":1}},"b":{"a":2},"c":[{"a":3},{"a":4}]}"#;
        assert_eq!(from_json_str::<Status>(text).unwrap().status, "ok");
        from_json_str::<IgnoredAny>(text).unwrap();
        let nested: Nested = from_json_str(
            r#"{"inner":{"status":"a"},"list":[{"status":"a"},{"status":"b"}],"names":{"a":1,"b":2}}"#,
        )
        .unwrap();
        assert_eq!(nested.list.unwrap().len(), 2);
        assert_eq!(
            nested.names.unwrap().keys().collect::<Vec<_>>(),
            [&Name("a".into()), &Name("b".into())]
        );
    }

    #[test]
    fn large_objects_are_checked_through_a_set() {
        let members: Vec<String> = (0..5_000).map(|i| format!("\"k{i}\":{i}")).collect();
        let unique = format!("{{{}}}", members.join(","));
        from_json_str::<IgnoredAny>(&unique).unwrap();
        let with_k17 = format!("{{{},\"k17\":0}}", members.join(","));
        let error = twice::<IgnoredAny>(&with_k17);
        assert!(error.contains("`k17`"), "{error}");
        // Below the set's threshold, compared one by one: the same answer.
        let few = members.get(..LINEAR_NAMES - 1).unwrap().join(",");
        from_json_str::<IgnoredAny>(&format!("{{{few}}}")).unwrap();
        let with_k3 = format!("{{{few},\"k3\":0}}");
        let error = twice::<IgnoredAny>(&with_k3);
        assert!(error.contains("`k3`"), "{error}");
    }

    /// A skipped member is walked under serde_json's nesting limit, never
    /// recursed into without one (the limit refuses it long before the
    /// stack could run out).
    #[test]
    fn nesting_is_limited_in_skipped_members_too() {
        for deep in [
            format!(
                r#"{{"status":"ok","x":{}1{}}}"#,
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
            format!(
                r#"{{"status":"ok","x":{}1{}}}"#,
                r#"{"a":"#.repeat(100_000),
                "}".repeat(100_000)
            ),
        ] {
            let error = from_json_str::<Status>(&deep).unwrap_err().to_string();
            assert!(error.contains("recursion limit exceeded"), "{error}");
        }
        let fine = format!(
            r#"{{"status":"ok","x":{}1{}}}"#,
            "[".repeat(100),
            "]".repeat(100)
        );
        assert_eq!(from_json_str::<Status>(&fine).unwrap().status, "ok");
    }

    #[test]
    fn what_is_inside_strings_is_not_structure() {
        let status: Status =
            from_json_str(r#"{"status":"{\"a\":1,\"a\":2} [[[[ 1.00000000000000000001","b":"\\"}"#)
                .unwrap();
        assert_eq!(
            status.status,
            r#"{"a":1,"a":2} [[[[ 1.00000000000000000001"#
        );
    }

    /// A raw value is kept unread: whoever reads it reads it strictly.
    #[test]
    fn raw_values_are_kept_as_written_for_a_strict_read_later() {
        #[derive(Deserialize, Debug)]
        struct Envelope<'a> {
            #[serde(borrow)]
            body: Option<&'a RawValue>,
        }
        let text = r#"{"body":{"status":"a","status":"b"}}"#;
        let envelope: Envelope<'_> = from_json_str(text).unwrap();
        let body = envelope.body.unwrap().get();
        assert_eq!(body, r#"{"status":"a","status":"b"}"#);
        twice::<Status>(body);
        assert!(from_json_str_seed(body, std::marker::PhantomData::<Status>).is_err());
        twice::<Envelope<'_>>(r#"{"body":1,"body":2}"#);
    }

    #[test]
    fn trailing_text_and_non_json_are_refused() {
        for text in [
            r#"{"status":"ok"} x"#,
            r#"{"status":"ok"}{}"#,
            "",
            "<html>",
            r#"{"status":"#,
        ] {
            assert!(from_json_str::<Status>(text).is_err(), "{text}");
        }
        assert!(from_json::<Status>(b"{\"status\":\"\xff\"}").is_err());
        assert_eq!(
            from_json::<Status>(br#" {"status":"ok"} "#).unwrap().status,
            "ok"
        );
    }

    #[derive(Deserialize)]
    struct Amount {
        #[serde(deserialize_with = "crate::wire::decimal_from_number_or_string")]
        amount: Decimal,
    }

    fn amount(text: &str) -> Result<String, String> {
        from_json_str::<Amount>(&format!(r#"{{"amount":{text}}}"#))
            .map(|a| a.amount.to_string())
            .map_err(|e| e.to_string())
    }

    /// Amounts are read from their text: the number as written, whatever a
    /// double would have made of it.
    #[test]
    fn amounts_are_read_from_their_text() {
        for (text, read) in [
            ("500.0000000000000001", "500.0000000000000001"),
            ("0.30000000000000001", "0.30000000000000001"),
            ("2244424340127481.25", "2244424340127481.25"),
            ("100000000000000000001", "100000000000000000001"),
            ("-0.13", "-0.13"),
            ("12345.678900000000000000", "12345.678900000000000000"),
            ("125e-2", "1.25"),
            ("1.5E2", "150"),
            ("1e+2", "100"),
            (r#""0.13""#, "0.13"),
            (r#"" 1500.00 ""#, "1500.00"),
            (r#""\u0031\u0035""#, "15"),
        ] {
            assert_eq!(amount(text).as_deref(), Ok(read), "{text}");
        }
        for text in [
            "1234567890123456789012345678.901",
            "1e-400",
            "1e40",
            "null",
            "true",
            "[1]",
            r#"{"a":1}"#,
            r#""1,5""#,
            r#""""#,
        ] {
            assert!(amount(text).is_err(), "{text}: {:?}", amount(text));
        }
    }

    /// Where there is no text as written: a `Value` is read as its doubles
    /// are (the old rules), serde's in-memory and buffering deserializers
    /// give strings and integers, and a fraction without its text is refused.
    #[test]
    fn amounts_are_read_from_deserializers_without_text() {
        let value = serde_json::json!({"amount": 0.13});
        assert_eq!(
            serde_json::from_value::<Amount>(value)
                .unwrap()
                .amount
                .to_string(),
            "0.13"
        );
        let value = serde_json::json!({"amount": "0.13"});
        assert_eq!(
            serde_json::from_value::<Amount>(value)
                .unwrap()
                .amount
                .to_string(),
            "0.13"
        );
        // A `Value`'s numbers are doubles: read as a double is, not from the
        // double's text (`1e+20` is not what was written).
        let value: serde_json::Value =
            serde_json::from_str(r#"{"amount":100000000000000000001}"#).unwrap();
        assert!(serde_json::from_value::<Amount>(value).is_err());

        use serde::de::IntoDeserializer;
        type InMemory = serde::de::value::Error;
        let read = |d: serde::de::value::StrDeserializer<'_, InMemory>| {
            crate::wire::decimal_from_number_or_string(d).map(|d| d.to_string())
        };
        assert_eq!(read("2.50".into_deserializer()).unwrap(), "2.50");
        let whole = crate::wire::decimal_from_number_or_string(
            IntoDeserializer::<InMemory>::into_deserializer(7_u64),
        );
        assert_eq!(whole.unwrap().to_string(), "7");
        let fraction = crate::wire::decimal_from_number_or_string(
            IntoDeserializer::<InMemory>::into_deserializer(0.5_f64),
        );
        assert!(fraction.is_err());
        // A one-member map is not a raw value unless serde_json made it.
        let map = serde::de::value::MapDeserializer::<_, InMemory>::new(
            [("anything", "1e2")].into_iter(),
        );
        assert!(crate::wire::decimal_from_number_or_string(map).is_err());

        // Buffered by serde (`flatten`, `untagged`): the text is lost, so a
        // fraction is refused rather than read from its double.
        #[derive(Deserialize)]
        struct Flattened {
            #[serde(flatten)]
            inner: Amount,
        }
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Untagged {
            Amount(Amount),
        }
        for text in [r#"{"amount":500.0000000000000001}"#, r#"{"amount":0.5}"#] {
            assert!(from_json_str::<Flattened>(text).is_err(), "{text}");
            assert!(from_json_str::<Untagged>(text).is_err(), "{text}");
        }
        let whole = from_json_str::<Flattened>(r#"{"amount":500}"#).unwrap();
        assert_eq!(whole.inner.amount.to_string(), "500");
        let text = from_json_str::<Untagged>(r#"{"amount":"0.5"}"#).unwrap();
        let Untagged::Amount(text) = text;
        assert_eq!(text.amount.to_string(), "0.5");
    }

    /// Text serde_json made or copied (a reader's) is believed only where
    /// it and its double agree; a buffered map spelling serde_json's
    /// raw-value name is not a raw value.
    #[test]
    fn amounts_without_borrowed_text_are_read_only_where_exact() {
        let reader = |text: &str| {
            serde_json::from_reader::<_, Amount>(format!(r#"{{"amount":{text}}}"#).as_bytes())
                .map(|a| a.amount.to_string())
                .map_err(|e| e.to_string())
        };
        assert_eq!(reader("0.25").as_deref(), Ok("0.25"));
        assert_eq!(
            reader(r#""0.30000000000000001""#).as_deref(),
            Ok("0.30000000000000001")
        );
        assert!(reader("0.30000000000000001").is_err());
        assert!(reader("100000000000000000001").is_err());

        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Flattened {
            #[serde(flatten)]
            inner: Amount,
        }
        for text in [
            r#"{"amount":{"$serde_json::private::RawValue":"1e2"}}"#,
            r#"{"amount":{"$serde_json::private::RawValue":"+1"}}"#,
        ] {
            assert!(from_json_str::<Flattened>(text).is_err(), "{text}");
            assert!(serde_json::from_str::<Flattened>(text).is_err(), "{text}");
        }
        for (text, read) in [
            ("0e-400", "0"),
            ("-0E+99999999999", "0"),
            ("100e-30", "0.0000000000000000000000000001"),
        ] {
            assert_eq!(amount(text).as_deref(), Ok(read), "{text}");
        }
        let refused = amount("true").unwrap_err();
        assert!(refused.contains("not a decimal"), "{refused}");
    }

    /// Names read as `Option`s or as bytes are checked too, bytes exactly;
    /// a key whose reader swallows the error does not hide a duplicate.
    #[test]
    fn names_read_as_options_bytes_or_leniently_are_checked() {
        use std::collections::HashMap;
        twice::<HashMap<Option<String>, u8>>(r#"{"a":1,"a":2}"#);
        let options: HashMap<Option<String>, u8> = from_json_str(r#"{"a":1,"b":2}"#).unwrap();
        assert_eq!(options.len(), 2);

        #[derive(Debug, PartialEq, Eq, Hash)]
        struct Bytes(Vec<u8>);
        impl<'de> Deserialize<'de> for Bytes {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl Visitor<'_> for V {
                    type Value = Bytes;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("bytes")
                    }
                    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Bytes, E> {
                        Ok(Bytes(v.to_vec()))
                    }
                }
                d.deserialize_bytes(V)
            }
        }
        twice::<HashMap<Bytes, u8>>(r#"{"a":1,"a":2}"#);
        let distinct: HashMap<Bytes, u8> = from_json(b"{\"\xff\":1,\"\xfe\":2}").unwrap();
        assert_eq!(distinct.len(), 2);

        #[derive(Debug, PartialEq, Eq, Hash)]
        struct Lenient(String);
        impl<'de> Deserialize<'de> for Lenient {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(Lenient(String::deserialize(d).unwrap_or_default()))
            }
        }
        twice::<HashMap<Lenient, u8>>(r#"{"a":1,"b":2,"a":3}"#);
    }

    /// An identifier or a status code with a fraction or an exponent is
    /// refused: its double (`9`, `0`) is not what was written.
    #[test]
    fn identifiers_are_integers_or_strings() {
        #[derive(Deserialize, Debug)]
        struct Code {
            #[serde(deserialize_with = "crate::wire::string_from_string_or_number")]
            code: String,
        }
        for text in [
            "1e-400",
            "9.0000000000000001",
            "0.0",
            "1.5",
            "18446744073709551616",
        ] {
            assert!(
                from_json_str::<Code>(&format!(r#"{{"code":{text}}}"#)).is_err(),
                "{text}"
            );
        }
        for (text, read) in [
            ("0", "0"),
            ("-7", "-7"),
            (r#""0.0""#, "0.0"),
            ("18446744073709551615", "18446744073709551615"),
        ] {
            let code: Code = from_json_str(&format!(r#"{{"code":{text}}}"#)).unwrap();
            assert_eq!(code.code, read);
        }
    }

    /// Names read as numbers, booleans or enum variants are checked too.
    #[test]
    fn names_read_as_other_types_are_checked() {
        use std::collections::HashMap;
        twice::<HashMap<u32, String>>(r#"{"1":"FAILED","1":"OK"}"#);
        twice::<HashMap<i64, String>>(r#"{"-7":"a","-7":"b"}"#);
        twice::<HashMap<bool, u8>>(r#"{"true":1,"true":2}"#);
        #[derive(Deserialize, Debug, PartialEq, Eq, Hash)]
        enum Key {
            A,
            B,
        }
        twice::<HashMap<Key, u8>>(r#"{"A":1,"B":2,"A":3}"#);
        let keys: HashMap<Key, u8> = from_json_str(r#"{"A":1,"B":2}"#).unwrap();
        assert_eq!(keys.get(&Key::B), Some(&2));
        let numbers: HashMap<u32, String> = from_json_str(r#"{"1":"a","2":"b"}"#).unwrap();
        assert_eq!(numbers.len(), 2);
    }
}
