//! Client configuration.

use std::fmt;
use std::time::Duration;

use payments_core::BaseUrl;
use payments_core::http::{HttpConfig, RetryPolicy};
use time::UtcOffset;

use crate::dsig::{SigningKey, VerifyingKey};

/// The language of Allpay's texts (`lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Lang {
    /// Russian (Allpay's default).
    #[default]
    Ru,
    /// Kazakh.
    Kk,
    /// English.
    En,
}

impl Lang {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::Kk => "kk",
            Lang::En => "en",
        }
    }
}

/// How GUIDs are written: the schema's braced form by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum GuidFormat {
    /// `{67e55044-10b1-426f-9247-bb680e5fe0c8}`.
    #[default]
    Braced,
    /// `67e55044-10b1-426f-9247-bb680e5fe0c8`.
    Plain,
}

/// Whether Allpay's answers must carry a valid signature.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ResponseVerification {
    /// Every answer but an unsigned Fault must be signed by this key and
    /// echo our digest as `requestDsig` (the default).
    Required(VerifyingKey),
    /// Answers are not checked. Only for talking to a test system whose key
    /// you do not have: anyone on the path could forge any answer.
    DisabledInsecure,
}

/// Everything an [`AllpayClient`](crate::AllpayClient) needs.
#[derive(Clone)]
#[non_exhaustive]
pub struct AllpayConfig {
    /// The server (`https://…`; the service paths are added).
    pub base_url: BaseUrl,
    /// `requester`: the agent's Allpay login.
    pub requester: String,
    /// `certificateNumber`: the number of the merchant's certificate at Allpay.
    pub certificate_number: String,
    /// The merchant's private key, which signs every request.
    pub signing_key: SigningKey,
    /// How answers are checked.
    pub verification: ResponseVerification,
    /// `lang`.
    pub lang: Lang,
    /// How new GUIDs are written.
    pub guid_format: GuidFormat,
    /// The offset request timestamps are written with (Kazakhstan: +05:00).
    pub utc_offset: UtcOffset,
    /// Timeouts, response cap and read retries.
    pub http: HttpConfig,
    /// How [`drive_cash_in_payment`](crate::AllpayClient::drive_cash_in_payment)
    /// repeats a pending terminal payment (default: 10 attempts, 1 s to 30 s apart).
    pub terminal_schedule: RetryPolicy,
    /// How long the drive may take in all (default
    /// [`DEFAULT_PAY_DEADLINE`](payments_core::gateway::DEFAULT_PAY_DEADLINE),
    /// one minute): past it, the payment is
    /// [`OutcomeUnknown`](payments_core::Error::OutcomeUnknown) with its GUID.
    pub deadline: Duration,
}

impl AllpayConfig {
    /// A configuration by name: [`AllpayConfigBuilder`].
    pub fn builder() -> AllpayConfigBuilder {
        AllpayConfigBuilder::default()
    }

    /// The configuration from the environment: `ALLPAY_BASE_URL`,
    /// `ALLPAY_REQUESTER`, `ALLPAY_CERT_NUMBER`, and the paths of two PEM
    /// files, `ALLPAY_PRIVATE_KEY` (the merchant's signing key) and
    /// `ALLPAY_SERVER_PUBLIC_KEY` (Allpay's), all required.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`](payments_core::Error::Configuration) naming
    /// every missing variable, a key file that cannot be read (named, its
    /// content never shown) or parsed, or a base URL that does not parse.
    pub fn from_env() -> Result<Self, payments_core::Error> {
        let mut env = payments_core::env_config::EnvReader::new();
        let (base_url, requester, certificate) = (
            env.required("ALLPAY_BASE_URL"),
            env.required("ALLPAY_REQUESTER"),
            env.required("ALLPAY_CERT_NUMBER"),
        );
        let (private_key, public_key) = (
            env.required("ALLPAY_PRIVATE_KEY"),
            env.required("ALLPAY_SERVER_PUBLIC_KEY"),
        );
        env.finish()?;
        let pem = |variable: &str, path: &str| {
            std::fs::read_to_string(path).map_err(|e| {
                payments_core::Error::configuration(format_args!(
                    "{variable}: the key file {path} cannot be read: {e}"
                ))
            })
        };
        let key_error = |variable: &str, e: crate::dsig::SignatureError| {
            payments_core::Error::configuration(format_args!("{variable}: {e}"))
        };
        let signing = SigningKey::from_pem(&pem("ALLPAY_PRIVATE_KEY", &private_key)?)
            .map_err(|e| key_error("ALLPAY_PRIVATE_KEY", e))?;
        let verifying = VerifyingKey::from_pem(&pem("ALLPAY_SERVER_PUBLIC_KEY", &public_key)?)
            .map_err(|e| key_error("ALLPAY_SERVER_PUBLIC_KEY", e))?;
        Ok(AllpayConfig::new(
            BaseUrl::parse(&base_url)?,
            requester,
            certificate,
            signing,
            verifying,
        ))
    }

    /// A configuration that verifies every answer with Allpay's `allpay_key`.
    pub fn new(
        base_url: BaseUrl,
        requester: impl Into<String>,
        certificate_number: impl Into<String>,
        signing_key: SigningKey,
        allpay_key: VerifyingKey,
    ) -> Self {
        AllpayConfig {
            base_url,
            requester: requester.into(),
            certificate_number: certificate_number.into(),
            signing_key,
            verification: ResponseVerification::Required(allpay_key),
            lang: Lang::default(),
            guid_format: GuidFormat::default(),
            utc_offset: UtcOffset::from_hms(5, 0, 0).unwrap_or(UtcOffset::UTC),
            http: HttpConfig::default(),
            terminal_schedule: RetryPolicy::new(
                10,
                Duration::from_secs(1),
                Duration::from_secs(30),
            )
            .with_jitter(true),
            deadline: payments_core::gateway::DEFAULT_PAY_DEADLINE,
        }
    }

    /// Stops checking Allpay's signatures. **Insecure**: see
    /// [`ResponseVerification::DisabledInsecure`].
    #[must_use]
    pub fn disable_response_verification_insecure(mut self) -> Self {
        self.verification = ResponseVerification::DisabledInsecure;
        self
    }
}

/// An [`AllpayConfig`] by name — no positional strings to swap:
///
/// ```no_run
/// use allpay_soap::dsig::{SigningKey, VerifyingKey};
/// use allpay_soap::{AllpayConfig, BaseUrl};
///
/// # fn run(merchant_pem: &str, allpay_pem: &str) -> Result<(), allpay_soap::Error> {
/// let config = AllpayConfig::builder()
///     .base_url(BaseUrl::parse("https://allpay.example")?)
///     .requester("agent-login")
///     .certificate_number("1001")
///     .signing_key(SigningKey::from_pem(merchant_pem)?)
///     .allpay_key(VerifyingKey::from_pem(allpay_pem)?)
///     .build()?;
/// # let _ = config; Ok(()) }
/// ```
///
/// What is missing is named, all at once:
///
/// ```
/// let error = allpay_soap::AllpayConfig::builder().requester("agent-login").build().unwrap_err();
/// assert_eq!(
///     error.to_string(),
///     "configuration: AllpayConfig needs base_url, certificate_number, signing_key, allpay_key"
/// );
/// ```
#[derive(Default)]
#[must_use]
pub struct AllpayConfigBuilder {
    base_url: Option<BaseUrl>,
    requester: Option<String>,
    certificate_number: Option<String>,
    signing_key: Option<SigningKey>,
    allpay_key: Option<VerifyingKey>,
}

impl fmt::Debug for AllpayConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AllpayConfigBuilder")
            .field("base_url", &self.base_url)
            .field("requester", &self.requester)
            .field("certificate_number", &self.certificate_number)
            .finish_non_exhaustive()
    }
}

impl AllpayConfigBuilder {
    /// The server (`https://…`; the service paths are added).
    pub fn base_url(mut self, url: BaseUrl) -> Self {
        self.base_url = Some(url);
        self
    }

    /// `requester`: the agent's Allpay login.
    pub fn requester(mut self, requester: impl Into<String>) -> Self {
        self.requester = Some(requester.into());
        self
    }

    /// `certificateNumber`: the number of the merchant's certificate at Allpay.
    pub fn certificate_number(mut self, number: impl Into<String>) -> Self {
        self.certificate_number = Some(number.into());
        self
    }

    /// The merchant's private key, which signs every request.
    pub fn signing_key(mut self, key: SigningKey) -> Self {
        self.signing_key = Some(key);
        self
    }

    /// Allpay's key, which every answer's signature is checked with.
    pub fn allpay_key(mut self, key: VerifyingKey) -> Self {
        self.allpay_key = Some(key);
        self
    }

    /// The configuration, with the documented defaults for the rest.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`](payments_core::Error::Configuration) naming
    /// every missing field.
    pub fn build(self) -> Result<AllpayConfig, payments_core::Error> {
        let mut fields = payments_core::env_config::Required::new("AllpayConfig");
        let base_url = fields.take("base_url", self.base_url);
        let requester = fields.take("requester", self.requester);
        let number = fields.take("certificate_number", self.certificate_number);
        let signing_key = fields.take("signing_key", self.signing_key);
        let allpay_key = fields.take("allpay_key", self.allpay_key);
        match (base_url, requester, number, signing_key, allpay_key) {
            (Some(base_url), Some(requester), Some(number), Some(signing), Some(allpay)) => Ok(
                AllpayConfig::new(base_url, requester, number, signing, allpay),
            ),
            _ => Err(fields.error()),
        }
    }
}

impl fmt::Debug for AllpayConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AllpayConfig")
            .field("base_url", &self.base_url)
            .field("requester", &self.requester)
            .field("certificate_number", &self.certificate_number)
            .field("signing_key", &self.signing_key)
            .field(
                "verification",
                &matches!(self.verification, ResponseVerification::Required(_)),
            )
            .field("lang", &self.lang)
            .field("guid_format", &self.guid_format)
            .finish_non_exhaustive()
    }
}
