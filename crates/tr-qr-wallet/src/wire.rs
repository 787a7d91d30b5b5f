//! The wallet API's wire format, exactly as Sipay spells it. Private.

use std::marker::PhantomData;

use payments_core::wire::{
    JsonNumber, decimal_from_number_or_string, from_json_str,
    optional_decimal_from_number_or_string, optional_string_from_string_or_number,
    string_from_string_or_number,
};
use payments_core::{Decimal, Operation};
use serde::de::value::MapAccessDeserializer;
use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_with::{DeserializeAs, serde_as};

use crate::model::Embedded;

pub(crate) const PROVIDER: &str = "tr-qr-wallet";
pub(crate) const TOKEN: Operation = Operation::authentication(PROVIDER, "token");
/// Begin opens a session and moves no money.
pub(crate) const BEGIN: Operation = Operation::read(PROVIDER, "begin");
pub(crate) const COMPLETE: Operation = Operation::money_moving(PROVIDER, "complete");
/// Creating a test QR code moves no money.
pub(crate) const CREATE_QR: Operation = Operation::read(PROVIDER, "create_qr_code");

/// `serde_with` adapter: JSON carried in a string, decoded into `T`, or
/// kept as raw text when it is not JSON of that shape. The string's JSON is
/// read as strictly as the answer around it ([`from_json_str`]): a member
/// named twice (two `RequestAmount`s) keeps it raw, never one reading;
/// amounts are read from their text. An object in place of the string is
/// read as `T` too, as part of the answer: one that is not `T` refuses the
/// answer.
pub(crate) struct JsonStringOrRaw;

impl<'de, T: DeserializeOwned> DeserializeAs<'de, Embedded<T>> for JsonStringOrRaw {
    fn deserialize_as<D: Deserializer<'de>>(deserializer: D) -> Result<Embedded<T>, D::Error> {
        deserializer.deserialize_any(EmbeddedVisitor(PhantomData))
    }
}

struct EmbeddedVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for EmbeddedVisitor<T> {
    type Value = Embedded<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON in a string, or an object")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Embedded<T>, E> {
        Ok(match from_json_str::<T>(text) {
            Ok(decoded) => Embedded::Decoded(decoded),
            Err(error) => Embedded::Raw {
                text: text.to_owned(),
                error: error.to_string(),
            },
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Embedded<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Embedded::Decoded)
    }
}

/// `{"status": 0, "code": "100", "message": …, "payload": …}`.
#[derive(Deserialize)]
pub(crate) struct Envelope<P> {
    #[serde(deserialize_with = "string_from_string_or_number")]
    pub(crate) status: String,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) code: Option<String>,
    #[serde(default)]
    pub(crate) message: Option<String>,
    #[serde(default = "none")]
    pub(crate) payload: Option<P>,
}

fn none<P>() -> Option<P> {
    None
}

#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) expires_in: Option<u64>,
}

#[derive(Serialize)]
pub(crate) struct BeginBody<'a> {
    pub(crate) wallet_number: &'a str,
    pub(crate) provider_id: &'a str,
    pub(crate) qr_code: &'a str,
    pub(crate) qr_code_type: u8,
}

#[serde_as]
#[derive(Deserialize)]
pub(crate) struct BeginPayload {
    /// Raw JSON text: a string, or a number of any length.
    #[serde(alias = " tx_correlation_id ")]
    pub(crate) tx_correlation_id: Box<RawValue>,
    #[serde_as(as = "JsonStringOrRaw")]
    pub(crate) payment_data: Embedded<Box<PaymentData>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PaymentData {
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) merchant_no: Option<String>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) terminal_no: Option<String>,
    #[serde(default)]
    pub(crate) merchant_name: Option<String>,
    #[serde(default)]
    pub(crate) brand_id: Option<i64>,
    #[serde(default)]
    pub(crate) brand_name: Option<String>,
    #[serde(default)]
    pub(crate) city_name: Option<String>,
    #[serde(default)]
    pub(crate) district_name: Option<String>,
    #[serde(deserialize_with = "decimal_from_number_or_string")]
    pub(crate) request_amount: Decimal,
    #[serde(default)]
    pub(crate) batch_no: Option<i64>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) transaction_id: Option<String>,
    #[serde(default)]
    pub(crate) product_id: Option<i64>,
    #[serde(default)]
    pub(crate) product_name: Option<String>,
    #[serde(
        default,
        alias = "KDV",
        deserialize_with = "optional_string_from_string_or_number"
    )]
    pub(crate) kdv: Option<String>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) discount_ratio: Option<String>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) currency_id: Option<String>,
    #[serde(
        default,
        alias = "SelfRefCode",
        deserialize_with = "optional_string_from_string_or_number"
    )]
    pub(crate) sale_ref_code: Option<String>,
    #[serde(default)]
    pub(crate) session_expire_date: Option<String>,
    #[serde(default, deserialize_with = "string_from_string_or_number")]
    pub(crate) response_code: String,
    #[serde(default)]
    pub(crate) response_message: Option<String>,
    #[serde(default)]
    pub(crate) error_message: Option<String>,
}

/// The correlation id as it goes back: the digits as a JSON number
/// (written verbatim), or as a string.
#[derive(Serialize)]
#[serde(untagged)]
pub(crate) enum CorrelationOnWire<'a> {
    Number(Box<RawValue>),
    String(&'a str),
}

#[derive(Serialize)]
pub(crate) struct CompleteBody<'a> {
    pub(crate) wallet_number: &'a str,
    pub(crate) provider_id: &'a str,
    pub(crate) tx_correlation_id: CorrelationOnWire<'a>,
}

#[serde_as]
#[derive(Deserialize)]
pub(crate) struct CompletePayload {
    #[serde(deserialize_with = "string_from_string_or_number")]
    pub(crate) transaction_id: String,
    #[serde(deserialize_with = "decimal_from_number_or_string")]
    pub(crate) transaction_amount: Decimal,
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    pub(crate) transaction_fee: Option<Decimal>,
    #[serde(deserialize_with = "decimal_from_number_or_string")]
    pub(crate) charged_amount: Decimal,
    #[serde_as(as = "JsonStringOrRaw")]
    #[serde(default = "missing_order")]
    pub(crate) ext_order_id: Embedded<ExtOrderWire>,
    #[serde(default)]
    pub(crate) business_code: Option<String>,
    #[serde(default)]
    pub(crate) business_name: Option<String>,
    #[serde(default)]
    pub(crate) friendly_name: Option<String>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) receiver_account_number: Option<String>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) receiver_wallet_number: Option<String>,
    #[serde(default)]
    pub(crate) sender_wallet_info: Option<Box<SenderWire>>,
}

fn missing_order() -> Embedded<ExtOrderWire> {
    Embedded::Raw {
        text: String::new(),
        error: "ext_order_id is missing".to_owned(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExtOrderWire {
    #[serde(deserialize_with = "string_from_string_or_number")]
    pub(crate) sale_ref_code: String,
    #[serde(deserialize_with = "string_from_string_or_number")]
    pub(crate) transaction_id: String,
}

#[derive(Deserialize, Default)]
pub(crate) struct BalanceWire {
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    pub(crate) available: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    pub(crate) unavailable: Option<Decimal>,
}

#[derive(Deserialize, Default)]
pub(crate) struct LimitsWire {
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    pub(crate) max_balance: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    pub(crate) topup_credit_limit: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    pub(crate) topup_cash_limit: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    pub(crate) withdrawal_limit: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    pub(crate) payment_limit: Option<Decimal>,
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    pub(crate) wallet_to_wallet_limit: Option<Decimal>,
}

#[derive(Deserialize)]
pub(crate) struct SenderWire {
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) account_number: Option<String>,
    #[serde(default)]
    pub(crate) account_type: Option<String>,
    #[serde(default)]
    pub(crate) created_date_utc: Option<String>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) number: Option<String>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) phone_country_code: Option<String>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) phone_number: Option<String>,
    #[serde(default)]
    pub(crate) email: Option<String>,
    #[serde(default, deserialize_with = "optional_decimal_from_number_or_string")]
    pub(crate) total_balance: Option<Decimal>,
    #[serde(default)]
    pub(crate) access_level_status_id: Option<i64>,
    #[serde(default)]
    pub(crate) access_level_status: Option<String>,
    #[serde(default)]
    pub(crate) payment_balance: Option<BalanceWire>,
    #[serde(default)]
    pub(crate) cash_balance: Option<BalanceWire>,
    #[serde(default)]
    pub(crate) transaction_limits: Option<Box<LimitsWire>>,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) kyc_level_status: Option<String>,
    #[serde(default)]
    pub(crate) currency_code: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct CreateQrBody<'a> {
    pub(crate) provider_id: &'a str,
    pub(crate) data: CreateQrData<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateQrData<'a> {
    pub(crate) merchant_code: &'a str,
    pub(crate) terminal_code: &'a str,
    pub(crate) transaction_amount: JsonNumber,
}

#[derive(Deserialize)]
pub(crate) struct CreateQrPayload {
    #[serde(deserialize_with = "string_from_string_or_number")]
    pub(crate) qr_code: String,
    #[serde(default, deserialize_with = "optional_string_from_string_or_number")]
    pub(crate) short_code: Option<String>,
    #[serde(default)]
    pub(crate) expire_date: Option<String>,
}

/// A decimal written the Turkish way (`"1,00"`, `"1.234,56"`), or the
/// English way when there is no comma (`"1.00"`).
pub(crate) fn parse_decimal_comma(text: &str) -> Option<Decimal> {
    let text = text.trim();
    let normalized = if text.contains(',') {
        text.replace('.', "").replace(',', ".")
    } else {
        text.to_owned()
    };
    Decimal::from_str_exact(&normalized).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use payments_core::wire::DecimalStyle;

    #[test]
    fn request_bodies() {
        let begin = serde_json::to_string(&BeginBody {
            wallet_number: "1011179271",
            provider_id: "metropol",
            qr_code: "63759407536179025465",
            qr_code_type: 1,
        })
        .unwrap();
        insta::assert_snapshot!("request_begin", begin);
        let digits = "7777777777777777777777";
        let as_number = serde_json::to_string(&CompleteBody {
            wallet_number: "111111111",
            provider_id: "eeeeeeee",
            tx_correlation_id: CorrelationOnWire::Number(
                RawValue::from_string(digits.to_owned()).unwrap(),
            ),
        })
        .unwrap();
        insta::assert_snapshot!("request_complete_number", as_number);
        let as_string = serde_json::to_string(&CompleteBody {
            wallet_number: "111111111",
            provider_id: "eeeeeeee",
            tx_correlation_id: CorrelationOnWire::String(digits),
        })
        .unwrap();
        insta::assert_snapshot!("request_complete_string", as_string);
        let create = serde_json::to_string(&CreateQrBody {
            provider_id: "metropol",
            data: CreateQrData {
                merchant_code: "0007777777",
                terminal_code: "0007777778",
                transaction_amount: JsonNumber::new(
                    Decimal::new(1250, 2),
                    DecimalStyle::Normalized,
                ),
            },
        })
        .unwrap();
        insta::assert_snapshot!("request_create_qr_code", create);
    }

    #[test]
    fn decimal_comma_strings_are_read_exactly() {
        for (text, expected) in [
            ("1,00", "1.00"),
            ("0,00", "0.00"),
            ("18,5", "18.5"),
            ("1.234,56", "1234.56"),
            ("8", "8"),
            ("1.00", "1.00"),
            (" 20,25 ", "20.25"),
        ] {
            assert_eq!(
                parse_decimal_comma(text),
                Some(Decimal::from_str_exact(expected).unwrap()),
                "{text}"
            );
        }
        for text in ["", "abc", "1,2,3", ",", "1,00%"] {
            assert_eq!(parse_decimal_comma(text), None, "{text}");
        }
    }
}
