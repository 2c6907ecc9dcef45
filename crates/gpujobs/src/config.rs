//! Configuration: one builder shape for every provider, and `from_env`.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use gpujobs_runtime::{Clock, RetryPolicy, Secret, SystemClock};

use crate::credential::CredentialProvider;
use crate::error::{Error, Result};
use crate::field::Field;
use crate::options::SettingValues;
use crate::registry::ProviderKind;

/// Everything a provider adapter is built from.
#[derive(Clone)]
#[non_exhaustive]
pub struct ProviderConfig {
    /// The provider.
    pub kind: ProviderKind,
    /// The API's base URL (no trailing slash).
    pub base_url: Option<String>,
    /// The API key or token (sent as `Authorization: Bearer …`, or as the provider wants it).
    pub credential: Option<Secret>,
    /// Where a credential that changes while the client lives comes from (a
    /// token command, the user's own [`CredentialProvider`]): used instead of
    /// [`credential`](Self::credential) when set.
    pub credential_source: Option<Arc<dyn CredentialProvider>>,
    /// The provider's own settings by name, as given (Slurm's `user` and
    /// `api_version`: its descriptor's [`settings`](crate::Descriptor::settings));
    /// checked when connecting, where one the provider lacks is refused.
    pub settings: SettingValues,
    /// Limit for one HTTP attempt.
    pub attempt_timeout: Duration,
    /// Limit for one operation, retries included.
    pub operation_timeout: Duration,
    /// Limit for establishing a connection.
    pub connect_timeout: Duration,
    /// How requests are retried.
    pub retry: RetryPolicy,
    /// The largest response body read; a larger one is [`Error::ResponseTooLarge`].
    pub max_response_bytes: u64,
    /// Send the credential over plain http to a host that is not loopback.
    pub allow_insecure_http: bool,
    /// The HTTP client to send with (one is built when absent).
    pub http: Option<reqwest::Client>,
    /// The clock and jitter source for retries.
    pub clock: Arc<dyn Clock>,
}

impl ProviderConfig {
    /// Defaults: 30 s per attempt, 120 s per operation, 10 s to connect, the
    /// default retry policy, responses of at most 8 MiB.
    pub fn new(kind: ProviderKind) -> Self {
        Self {
            kind,
            base_url: None,
            credential: None,
            credential_source: None,
            settings: SettingValues::new(),
            attempt_timeout: Duration::from_secs(30),
            operation_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            max_response_bytes: gpujobs_runtime::body::DEFAULT_MAX_RESPONSE_BYTES,
            allow_insecure_http: false,
            http: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Reads the provider's variables (see [`crate::Descriptor::env`]) through
    /// `lookup` (e.g. `|name| std::env::var(name).ok()`). A required credential
    /// missing from both the environment and the config is an
    /// [`Error::Config`] naming the variable to set (nothing was sent, so
    /// nothing was refused).
    pub fn apply_env(&mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<()> {
        let descriptor = self.kind.descriptor();
        let env = descriptor.env;
        let present = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        if let Some(url) = present(env.base_url) {
            self.base_url = Some(url);
        }
        for setting in descriptor.settings {
            if let Some(value) = setting.env.iter().find_map(|var| present(var)) {
                self.settings
                    .insert(setting.name.to_owned(), value.trim().to_owned());
            }
        }
        if let Some(var) = env.credential {
            match env
                .credential_vars()
                .find_map(|var| Some((var, present(var)?)))
            {
                Some((var, value)) => {
                    self.credential = Some(Secret::new(credential_value(var, &value)));
                    self.credential_source = None;
                }
                None if env.credential_required && !self.has_credential() => {
                    return Err(Error::config(
                        self.kind,
                        format!("no credential: set {var}"),
                    ));
                }
                None => {}
            }
        }
        Ok(())
    }

    /// Whether a credential is given, fixed or from a source.
    pub fn has_credential(&self) -> bool {
        self.credential.is_some() || self.credential_source.is_some()
    }

    /// The base URL, checked: http(s) (https only with TLS built in, the
    /// `rustls` feature), and no credential in clear text to a remote host.
    pub fn checked_base_url(&self) -> Result<String> {
        self.checked_base_url_with(cfg!(feature = "rustls"))
    }

    /// [`checked_base_url`](Self::checked_base_url), with or without TLS built in.
    fn checked_base_url_with(&self, tls: bool) -> Result<String> {
        let fail = |message: String| Error::config_of(self.kind, Field::BaseUrl, message);
        let env = self.kind.descriptor().env;
        let raw = self
            .base_url
            .as_deref()
            .or(env.default_base_url)
            .ok_or_else(|| fail(format!("no base URL: set {} (or `base_url`)", env.base_url)))?;
        let url = url::Url::parse(raw).map_err(|e| {
            fail(format!(
                "base URL `{}` is not a URL: {e}",
                gpujobs_runtime::SensitiveUrl::new(raw)
            ))
        })?;
        match url.scheme() {
            "https" if !tls => {
                return Err(fail(format!(
                    "{} is https, and this build of gpujobs has no TLS: enable its `rustls` feature (gpujobs = {{ features = [\"rustls\"] }})",
                    gpujobs_runtime::SensitiveUrl::new(raw)
                )));
            }
            "https" => {}
            "http" if !self.has_credential() || self.allow_insecure_http || is_loopback(&url) => {}
            "http" => {
                return Err(fail(format!(
                    "refusing to send the credential over plain http to {}; use https, or allow_insecure_http(true) if you mean it",
                    url.host_str().unwrap_or("?")
                )));
            }
            other => {
                return Err(fail(format!(
                    "base URL scheme `{other}` is not http or https"
                )));
            }
        }
        Ok(raw.trim_end_matches('/').to_owned())
    }
}

/// What a front end (the CLI's flags, Python's keyword arguments) sets over
/// a configuration: each `Some` replaces the value, settings are added.
///
/// ```
/// use std::time::Duration;
/// use gpujobs::{Overrides, ProviderConfig, ProviderKind};
/// let mut config = ProviderConfig::new(ProviderKind::Slurm);
/// let mut overrides = Overrides::default();
/// overrides.operation_timeout = Some(Duration::from_secs(5));
/// overrides.settings.insert("user".into(), "alice".into());
/// config.apply(overrides);
/// assert_eq!(config.attempt_timeout, Duration::from_secs(5), "no attempt outlasts its operation");
/// assert_eq!(config.settings["user"], "alice");
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Overrides {
    /// The base URL.
    pub base_url: Option<String>,
    /// The credential.
    pub credential: Option<Secret>,
    /// The provider's own settings, by name.
    pub settings: SettingValues,
    /// The limit of one attempt.
    pub attempt_timeout: Option<Duration>,
    /// The limit of one operation, retries included (each attempt's too).
    pub operation_timeout: Option<Duration>,
    /// The limit for establishing a connection.
    pub connect_timeout: Option<Duration>,
    /// Attempts in all (at least one).
    pub max_attempts: Option<u32>,
    /// The largest answer read.
    pub max_response_bytes: Option<u64>,
    /// Send the credential over plain http to a remote host.
    pub allow_insecure_http: bool,
}

impl ProviderConfig {
    /// Sets what `overrides` gives; an attempt's limit never exceeds the operation's.
    pub fn apply(&mut self, overrides: Overrides) {
        let Overrides {
            base_url,
            credential,
            settings,
            attempt_timeout,
            operation_timeout,
            connect_timeout,
            max_attempts,
            max_response_bytes,
            allow_insecure_http,
        } = overrides;
        self.base_url = base_url.or(self.base_url.take());
        if credential.is_some() {
            self.credential_source = None;
        }
        self.credential = credential.or(self.credential.take());
        self.settings.extend(settings);
        self.attempt_timeout = attempt_timeout.unwrap_or(self.attempt_timeout);
        self.operation_timeout = operation_timeout.unwrap_or(self.operation_timeout);
        self.attempt_timeout = self.attempt_timeout.min(self.operation_timeout);
        self.connect_timeout = connect_timeout.unwrap_or(self.connect_timeout);
        if let Some(attempts) = max_attempts {
            self.retry.max_attempts = attempts.max(1);
        }
        self.max_response_bytes = max_response_bytes.unwrap_or(self.max_response_bytes);
        self.allow_insecure_http |= allow_insecure_http;
    }

    /// Sets one of the provider's own settings by name.
    pub fn setting(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.settings.insert(name.into(), value.into());
        self
    }
}

/// A credential variable's value: `scontrol token` prints `SLURM_JWT=…`, so
/// the whole line pasted works too.
fn credential_value(var: &str, value: &str) -> String {
    let value = value.trim();
    value
        .strip_prefix(var)
        .and_then(|v| v.strip_prefix('='))
        .unwrap_or(value)
        .to_owned()
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("kind", &self.kind)
            .field(
                "base_url",
                &self
                    .base_url
                    .as_deref()
                    .map(gpujobs_runtime::SensitiveUrl::new),
            )
            .field("credential", &self.credential)
            .field("credential_source", &self.credential_source)
            .field("settings", &self.settings)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("retry", &self.retry)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .finish_non_exhaustive()
    }
}

/// A provider adapter that can be built from a [`ProviderConfig`].
///
/// Every provider has these as inherent methods too, so no import is needed.
///
/// ```no_run
/// use gpujobs::ppio::PpioProvider;
/// # fn demo() -> gpujobs::Result<()> {
/// let ppio = PpioProvider::builder()
///     .credential("sk-…")
///     .operation_timeout(std::time::Duration::from_secs(30))
///     .build()?;
/// let from_env = PpioProvider::from_env()?; // PPIO_API_KEY, PPIO_BASE_URL
/// # Ok(()) }
/// ```
pub trait BuildProvider: Sized {
    /// The provider.
    const KIND: ProviderKind;

    /// Builds the adapter.
    fn from_config(config: ProviderConfig) -> Result<Self>;

    /// A builder with the defaults.
    fn builder() -> ProviderBuilder<Self> {
        ProviderBuilder {
            config: ProviderConfig::new(Self::KIND),
            _provider: PhantomData,
        }
    }

    /// Built from the process environment (see [`crate::Descriptor::env`]).
    fn from_env() -> Result<Self> {
        Self::builder()
            .env(|name| std::env::var(name).ok())?
            .build()
    }
}

/// Builds one provider adapter (see [`BuildProvider`]).
#[derive(Debug)]
pub struct ProviderBuilder<P> {
    config: ProviderConfig,
    _provider: PhantomData<fn() -> P>,
}

impl<P: BuildProvider> ProviderBuilder<P> {
    /// Sets the base URL.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.config.base_url = Some(url.into());
        self
    }

    /// Sets one of the provider's own settings by name (see
    /// [`ProviderConfig::settings`]; each provider's builder also has typed
    /// methods for its own, e.g. `SlurmProvider::builder().user(…)`).
    pub fn setting(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.config.settings.insert(name.into(), value.into());
        self
    }

    /// Sets the API key or token.
    pub fn credential(mut self, credential: impl Into<Secret>) -> Self {
        self.config.credential = Some(credential.into());
        self
    }

    /// Sets the limit for one HTTP attempt.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.config.attempt_timeout = timeout;
        self
    }

    /// Sets the limit for one operation, retries included.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.config.operation_timeout = timeout;
        self
    }

    /// Sets the limit for establishing a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    /// Sets the largest response body read (default 8 MiB); a larger answer
    /// fails with [`Error::ResponseTooLarge`] after at most that much was read.
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.config.max_response_bytes = bytes;
        self
    }

    /// Allows sending the credential over plain http to a remote host.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.config.allow_insecure_http = allow;
        self
    }

    /// Sends through this HTTP client (its own timeouts apply too).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.config.http = Some(http);
        self
    }

    /// Uses this clock and jitter source for retries (tests use `ManualClock`).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.config.clock = clock;
        self
    }

    /// Reads the provider's variables through `lookup` (see [`ProviderConfig::apply_env`]).
    pub fn env(mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        self.config.apply_env(lookup)?;
        Ok(self)
    }

    /// The configuration so far.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// Builds the adapter.
    pub fn build(self) -> Result<P> {
        P::from_config(self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kind: ProviderKind, url: &str, credential: Option<&str>) -> ProviderConfig {
        let mut config = ProviderConfig::new(kind);
        config.base_url = Some(url.into());
        config.credential = credential.map(Secret::new);
        config
    }

    #[test]
    fn a_credential_over_plain_http_goes_only_to_loopback() {
        let ok = |url, cred| {
            config(ProviderKind::Ppio, url, cred)
                .checked_base_url()
                .is_ok()
        };
        assert!(ok("http://127.0.0.1:8080/ppio", Some("k")));
        assert!(ok("http://localhost:8080", Some("k")));
        assert!(ok("http://[::1]:8080", Some("k")));
        assert!(ok("https://api.ppio.com", Some("k")));
        assert!(ok("http://ray.internal:8265", None));
        assert!(!ok("http://api.example.com", Some("k")));
        assert!(!ok("ftp://x", None));
        let mut allowed = config(ProviderKind::Ppio, "http://api.example.com", Some("k"));
        allowed.allow_insecure_http = true;
        assert!(allowed.checked_base_url().is_ok());
    }

    #[test]
    fn https_without_tls_built_in_names_the_feature() {
        let config = config(ProviderKind::Ppio, "https://api.ppio.com", Some("k"));
        let error = config.checked_base_url_with(false).unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::Config);
        assert!(
            error.to_string().contains("enable its `rustls` feature"),
            "{error}"
        );
        assert!(config.checked_base_url_with(true).is_ok());
    }

    #[test]
    fn debug_never_shows_the_credential() {
        let shown = format!(
            "{:?}",
            config(ProviderKind::Ppio, "https://x?token=abc", Some("sk-canary"))
        );
        assert!(
            !shown.contains("sk-canary") && !shown.contains("abc"),
            "{shown}"
        );
    }
}
