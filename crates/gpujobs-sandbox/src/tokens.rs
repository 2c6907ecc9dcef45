//! Tokens the sandbox issues that expire ([`Issued`]): JWTs with an `exp`,
//! accepted beside each provider's fixed token until then, so a client's
//! refreshing of short-lived credentials is tested offline.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use gpujobs::ProviderKind;

/// The tokens issued, each with its provider and expiry.
#[derive(Debug, Default)]
pub(crate) struct Issued {
    tokens: Mutex<HashMap<String, (ProviderKind, SystemTime)>>,
}

impl Issued {
    /// A JWT for `provider` expiring `lifespan` after `now`, as `scontrol token`
    /// makes them (`exp`, `iat`, `sun`; the signature is only the sandbox's).
    pub(crate) fn issue(
        &self,
        provider: ProviderKind,
        now: SystemTime,
        lifespan: Duration,
        user: &str,
        nonce: &str,
    ) -> String {
        let encode = |json: serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
        };
        let at = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let header = encode(serde_json::json!({ "alg": "HS256", "typ": "JWT" }));
        let claims =
            encode(serde_json::json!({ "exp": at + lifespan.as_secs(), "iat": at, "sun": user }));
        let token = format!("{header}.{claims}.{nonce}");
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(token.clone(), (provider, now + lifespan));
        token
    }

    /// Whether `token` was issued for `provider` and has not expired at `now`.
    pub(crate) fn accepts(&self, provider: ProviderKind, token: &str, now: SystemTime) -> bool {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .is_some_and(|(kind, exp)| *kind == provider && now < *exp)
    }
}
