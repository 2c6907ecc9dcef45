//! Credentials that refresh themselves: a [`CredentialProvider`] (a token
//! command such as `scontrol token`, or the user's own) is asked when a
//! credential is first needed, again shortly before a JWT's `exp`, and once
//! after the server refuses one; concurrent requests share one fetch.

mod command;
mod refresh;

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;
use base64::Engine as _;
use gpujobs_runtime::Secret;

pub use command::TokenCommand;
pub(crate) use refresh::Refresher;

/// What a [`CredentialProvider`] failed with: said without the credential
/// (or anything a command printed, which may hold one).
pub type CredentialError = Box<dyn std::error::Error + Send + Sync>;

/// Where a credential comes from while a client lives, as AWS's SDK and
/// object_store have it: asked when a credential is first needed, again
/// shortly before the one held expires (its [`Credential::expires_at`]), and
/// once after the provider refuses it. Never asked by two requests at once.
///
/// ```
/// use gpujobs::{Credential, CredentialError, CredentialProvider, ProviderConfig, ProviderKind};
/// use std::sync::Arc;
///
/// #[derive(Debug)]
/// struct Vault;
///
/// #[async_trait::async_trait]
/// impl CredentialProvider for Vault {
///     async fn fetch(&self) -> Result<Credential, CredentialError> {
///         Ok(Credential::new("eyJ…")) // a JWT's `exp` is read from it
///     }
/// }
///
/// let mut config = ProviderConfig::new(ProviderKind::Slurm);
/// config.credential_source = Some(Arc::new(Vault));
/// ```
#[async_trait]
pub trait CredentialProvider: Send + Sync + fmt::Debug {
    /// A credential, fetched now.
    async fn fetch(&self) -> Result<Credential, CredentialError>;
}

/// A credential and when it stops being accepted.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Credential {
    /// The secret sent.
    pub secret: Secret,
    /// When it expires (none: it is fetched again only after a refusal).
    pub expires_at: Option<SystemTime>,
}

impl Credential {
    /// A credential expiring when its JWT's `exp` says (read, not verified:
    /// that is the server's part), or never known to expire if it is no JWT.
    ///
    /// ```
    /// // {"exp": 1796491326, "sun": "root"}
    /// let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3OTY0OTEzMjYsInN1biI6InJvb3QifQ.sig";
    /// let at = gpujobs::Credential::new(jwt).expires_at.unwrap();
    /// assert_eq!(at, std::time::UNIX_EPOCH + std::time::Duration::from_secs(1796491326));
    /// assert!(gpujobs::Credential::new("sk-plain").expires_at.is_none());
    /// ```
    pub fn new(secret: impl Into<Secret>) -> Self {
        let secret = secret.into();
        let expires_at = jwt_expiry(secret.expose());
        Self { secret, expires_at }
    }

    /// With this expiry instead.
    pub fn expiring_at(mut self, at: Option<SystemTime>) -> Self {
        self.expires_at = at;
        self
    }
}

/// When a JWT says it expires (its `exp` claim), if `token` is one.
fn jwt_expiry(token: &str) -> Option<SystemTime> {
    let claims = jwt_claims(token)?;
    let exp = claims.get("exp")?.as_u64()?;
    Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(exp))
}

/// A JWT's claims, read and not verified.
pub(crate) fn jwt_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD_INDIFFERENT
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
