//! Configuration from the environment, for the provider crates'
//! `from_env()`: every missing variable named at once, secrets read into
//! [`SecretString`]s, empty values counted as unset.
//!
//! ```
//! use payments_core::env_config::EnvReader;
//!
//! let mut env = EnvReader::new();
//! let user = env.required("EXAMPLE_PROVIDER_SURELY_UNSET_USER");
//! let password = env.secret("EXAMPLE_PROVIDER_SURELY_UNSET_PASSWORD");
//! let error = env.finish().unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "configuration: set EXAMPLE_PROVIDER_SURELY_UNSET_USER, EXAMPLE_PROVIDER_SURELY_UNSET_PASSWORD in the environment"
//! );
//! # let _ = (user, password);
//! ```

use secrecy::SecretString;

use crate::error::Error;

/// Reads variables, noting the missing required ones; [`EnvReader::finish`]
/// names them all.
#[derive(Debug, Default)]
pub struct EnvReader {
    missing: Vec<&'static str>,
}

impl EnvReader {
    /// A reader with nothing missing yet.
    pub fn new() -> Self {
        EnvReader::default()
    }

    /// The variable `name`, if set and not empty.
    pub fn optional(&self, name: &str) -> Option<String> {
        std::env::var(name)
            .ok()
            .filter(|value| !value.trim().is_empty())
    }

    /// The variable `name`; noted as missing (and `""`) when unset or empty.
    pub fn required(&mut self, name: &'static str) -> String {
        self.optional(name).unwrap_or_else(|| {
            self.missing.push(name);
            String::new()
        })
    }

    /// The secret variable `name`, as [`EnvReader::required`].
    pub fn secret(&mut self, name: &'static str) -> SecretString {
        SecretString::from(self.required(name))
    }

    /// `Ok` when every required variable was set.
    ///
    /// # Errors
    ///
    /// [`Error::Configuration`] naming every missing variable.
    pub fn finish(self) -> Result<(), Error> {
        if self.missing.is_empty() {
            Ok(())
        } else {
            Err(Error::configuration(format_args!(
                "set {} in the environment",
                self.missing.join(", ")
            )))
        }
    }
}

/// The fields a configuration builder was given, for its `build()`: each
/// required one taken by name; when any is missing, one error names them
/// all.
///
/// ```
/// use payments_core::env_config::Required;
///
/// let mut fields = Required::new("ExampleConfig");
/// let user = fields.take("username", Some("merchant"));
/// let secret = fields.take::<String>("secret", None);
/// let (Some(_user), Some(_secret)) = (user, secret) else {
///     let error = fields.error();
///     assert_eq!(error.to_string(), "configuration: ExampleConfig needs secret");
///     return;
/// };
/// # unreachable!();
/// ```
#[derive(Debug)]
pub struct Required {
    config: &'static str,
    missing: Vec<&'static str>,
}

impl Required {
    /// Nothing missing yet from the configuration named `config`.
    pub fn new(config: &'static str) -> Self {
        Required {
            config,
            missing: Vec::new(),
        }
    }

    /// `value`; noted as missing under `name` when `None`.
    pub fn take<T>(&mut self, name: &'static str, value: Option<T>) -> Option<T> {
        if value.is_none() {
            self.missing.push(name);
        }
        value
    }

    /// [`Error::Configuration`] naming every field taken as missing — for
    /// the branch where one of the taken values is `None`.
    pub fn error(self) -> Error {
        Error::configuration(format_args!(
            "{} needs {}",
            self.config,
            self.missing.join(", ")
        ))
    }
}
