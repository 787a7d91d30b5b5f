//! The API's wire format, exactly as Paykassma spells it. Private.

use payments_core::wire::{JsonNumber, check_json, optional_decimal_from_number_or_string};
use payments_core::{Decimal, Operation};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub(crate) const PROVIDER: &str = "paykassma";
/// Create only hands out wallet details; repeating it moves no money.
pub(crate) const CREATE: Operation = Operation::read(PROVIDER, "create");
pub(crate) const ACTIVATE: Operation = Operation::money_moving(PROVIDER, "activate");

#[derive(Serialize)]
pub(crate) struct CreateBody<'a> {
    pub(crate) currency: &'a str,
    pub(crate) label: &'a str,
}

/// Fields in the seed's order.
#[derive(Serialize)]
pub(crate) struct ActivateBody<'a> {
    pub(crate) currency_code: &'a str,
    pub(crate) wallet_type: &'a str,
    pub(crate) label: &'a str,
    pub(crate) amount: JsonNumber,
    pub(crate) key1: &'a str,
    pub(crate) custom_transaction_id: &'a str,
}

#[derive(Deserialize)]
pub(crate) struct CreateAnswer {
    pub(crate) status: String,
    #[serde(default, deserialize_with = "checked_params")]
    pub(crate) params: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pub(crate) message: Option<String>,
}

/// `params` reach the merchant as `serde_json::Value`s, whose numbers are
/// doubles: their text is read strictly first ([`check_json`]), so a number
/// no double carries exactly refuses the answer instead of being rounded.
fn checked_params<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, D::Error> {
    let Some(raw) = Option::<&'de RawValue>::deserialize(deserializer)? else {
        return Ok(None);
    };
    check_json(raw.get().as_bytes()).map_err(de::Error::custom)?;
    serde_json::from_str(raw.get()).map_err(de::Error::custom)
}

#[derive(Deserialize)]
pub(crate) struct ActivateAnswer {
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) deposit: Option<bool>,
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    pub(crate) deposit_amount: Option<Decimal>,
    #[serde(default)]
    pub(crate) currency: Option<CurrencyInfo>,
    #[serde(default)]
    pub(crate) message: Option<String>,
}

/// `{"code": "MMK", "symbol": "MMK"}`, or a bare code.
pub(crate) enum CurrencyInfo {
    Object { code: String },
    Code(String),
}

/// The object form's members; only `code` is read.
#[derive(Deserialize)]
struct CurrencyObject {
    code: String,
}

impl<'de> Deserialize<'de> for CurrencyInfo {
    // By hand rather than `#[serde(untagged)]`, which buffers the value first.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Info;

        impl<'de> serde::de::Visitor<'de> for Info {
            type Value = CurrencyInfo;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a currency code, or an object with a `code`")
            }

            fn visit_str<E: serde::de::Error>(self, code: &str) -> Result<CurrencyInfo, E> {
                Ok(CurrencyInfo::Code(code.to_owned()))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<CurrencyInfo, A::Error> {
                let object =
                    CurrencyObject::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(CurrencyInfo::Object { code: object.code })
            }
        }

        deserializer.deserialize_any(Info)
    }
}

impl CurrencyInfo {
    pub(crate) fn code(&self) -> &str {
        match self {
            CurrencyInfo::Object { code } | CurrencyInfo::Code(code) => code,
        }
    }
}

#[cfg(test)]
mod tests {
    //! Snapshots of the request bodies, from the same builders the client uses.

    use super::*;
    use payments_core::wire::DecimalStyle;

    #[test]
    fn the_answer_currency_is_read_as_an_object_or_a_bare_code() {
        let read = |currency: &str| {
            let answer: ActivateAnswer =
                serde_json::from_str(&format!(r#"{{"status": "ok", "currency": {currency}}}"#))?;
            Ok::<_, serde_json::Error>(answer.currency.map(|c| c.code().to_owned()))
        };
        assert_eq!(
            read(r#"{"code": "MMK", "symbol": "K"}"#)
                .unwrap()
                .as_deref(),
            Some("MMK")
        );
        assert_eq!(read(r#""MMK""#).unwrap().as_deref(), Some("MMK"));
        assert_eq!(read("null").unwrap(), None);
        assert!(read(r#"{"symbol": "K"}"#).is_err());
        assert!(read("5").is_err());
    }

    #[test]
    fn create_request() {
        let body = serde_json::to_string(&CreateBody {
            currency: "MMK",
            label: "user-55",
        })
        .unwrap();
        insta::assert_snapshot!("request_create", body);
    }

    #[test]
    fn activate_request() {
        let body = serde_json::to_string(&ActivateBody {
            currency_code: "MMK",
            wallet_type: "wavepay",
            label: "user-55",
            amount: JsonNumber::new(Decimal::new(50050, 2), DecimalStyle::Normalized),
            key1: "1394646476",
            custom_transaction_id: "123465477897",
        })
        .unwrap();
        insta::assert_snapshot!("request_activate", body);
    }
}
