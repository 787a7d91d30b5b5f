//! Payment-window links (`https://plugin.{server}/?label=…&wallet_type=…&currency_code=…`).

use payments_core::{BaseUrl, Currency, Error, MerchantReference, Money};
use url::Url;

use crate::model::{Label, Lang, WalletType};

/// Builds the link that opens Paykassma's payment window.
///
/// The `success_url` / `fail_url` / `pending_url` parameters must be hashed
/// by a scheme Paykassma describes to merchants and that is not public: pass
/// the already hashed values. The `payment_url_*_id` parameters take the ids
/// Paykassma support issues for URLs you registered.
///
/// ```
/// use paykassma::{Label, Lang, PaymentLink, WalletType};
/// use paykassma::{BaseUrl, Currency, Money};
///
/// let plugin = BaseUrl::parse("https://plugin.pay.example.com")?;
/// let url = PaymentLink::new(&plugin, &Label::new("user 55/β")?, &WalletType::WAVEPAY, Currency::MMK)
///     .lang(&Lang::MY)
///     .fixed_amount(Money::parse("500", Currency::MMK)?)?
///     .build();
/// assert_eq!(
///     url.as_str(),
///     "https://plugin.pay.example.com/?label=user+55%2F%CE%B2&wallet_type=wavepay&currency_code=MMK&lang=my&fixed_amount=500"
/// );
/// # Ok::<(), paykassma::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentLink {
    base: Url,
    currency: Currency,
    params: Vec<(&'static str, String)>,
}

impl PaymentLink {
    /// A link for `label` paying into `wallet_type` in `currency`.
    pub fn new(
        plugin_url: &BaseUrl,
        label: &Label,
        wallet_type: &WalletType,
        currency: Currency,
    ) -> Self {
        PaymentLink {
            base: plugin_url.as_url().clone(),
            currency,
            params: vec![
                ("label", label.as_str().to_owned()),
                ("wallet_type", wallet_type.as_str().to_owned()),
                ("currency_code", currency.code().to_owned()),
            ],
        }
    }

    fn set(mut self, name: &'static str, value: String) -> Self {
        self.params.retain(|(n, _)| *n != name);
        self.params.push((name, value));
        self
    }

    /// The window's language (`lang`).
    #[must_use]
    pub fn lang(self, lang: &Lang) -> Self {
        self.set("lang", lang.as_str().to_owned())
    }

    /// The merchant's id of this deposit (`custom_transaction_id`).
    #[must_use]
    pub fn custom_transaction_id(self, id: &MerchantReference) -> Self {
        self.set("custom_transaction_id", id.as_str().to_owned())
    }

    /// A fixed amount the user cannot change (`fixed_amount`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidInput`] for a zero amount or another currency than the link's.
    pub fn fixed_amount(self, amount: Money) -> Result<Self, Error> {
        let amount = amount
            .require_positive()
            .map_err(|e| Error::invalid_money("fixed_amount", &e))?;
        if amount.currency() != self.currency {
            return Err(Error::invalid(
                "fixed_amount",
                format_args!(
                    "is in {}, the link is in {}",
                    amount.currency(),
                    self.currency
                ),
            ));
        }
        Ok(self.set(
            "fixed_amount",
            amount.to_wire_string(payments_core::wire::DecimalStyle::Normalized),
        ))
    }

    /// `payment_url_success_id`: the id of a registered success URL.
    #[must_use]
    pub fn success_url_id(self, id: impl Into<String>) -> Self {
        self.set("payment_url_success_id", id.into())
    }

    /// `payment_url_fail_id`.
    #[must_use]
    pub fn fail_url_id(self, id: impl Into<String>) -> Self {
        self.set("payment_url_fail_id", id.into())
    }

    /// `payment_url_pending_id`.
    #[must_use]
    pub fn pending_url_id(self, id: impl Into<String>) -> Self {
        self.set("payment_url_pending_id", id.into())
    }

    /// `success_url`, already hashed by the caller.
    #[must_use]
    pub fn hashed_success_url(self, hashed: impl Into<String>) -> Self {
        self.set("success_url", hashed.into())
    }

    /// `fail_url`, already hashed by the caller.
    #[must_use]
    pub fn hashed_fail_url(self, hashed: impl Into<String>) -> Self {
        self.set("fail_url", hashed.into())
    }

    /// `pending_url`, already hashed by the caller.
    #[must_use]
    pub fn hashed_pending_url(self, hashed: impl Into<String>) -> Self {
        self.set("pending_url", hashed.into())
    }

    /// The link, parameters percent-encoded in the order they were set.
    pub fn build(&self) -> Url {
        let mut url = self.base.clone();
        url.query_pairs_mut()
            .extend_pairs(self.params.iter().map(|(k, v)| (*k, v.as_str())));
        url
    }
}
