//! Values that must never be shown: [`Secret`] (keys, passwords) and
//! [`SensitiveUrl`] (URLs that may carry tokens).
//!
//! Both print redacted in `Debug` and `Display`, and *serialize* redacted
//! too, so a job printed as JSON or written to a log cannot leak them. Code
//! that must write the real values — a request body, the sandbox's responses,
//! a CLI run with `--show-secrets` — serializes inside [`reveal`].

use std::cell::Cell;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a secret prints as.
pub const REDACTED: &str = "[REDACTED]";

thread_local! {
    static REVEALED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with secrets serialized as their real values on this thread.
///
/// Serialization is synchronous, so wrap exactly the `serde_json::to_*` call
/// (never an `.await`).
///
/// ```
/// use gpujobs_runtime::{Secret, reveal};
/// let key = Secret::new("sk-1");
/// assert_eq!(serde_json::to_string(&key).unwrap(), r#""[REDACTED]""#);
/// assert_eq!(reveal(|| serde_json::to_string(&key)).unwrap(), r#""sk-1""#);
/// ```
pub fn reveal<T>(f: impl FnOnce() -> T) -> T {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            REVEALED.with(|r| r.set(self.0));
        }
    }
    let _restore = Restore(REVEALED.with(|r| r.replace(true)));
    f()
}

fn revealed() -> bool {
    REVEALED.with(Cell::get)
}

/// A string that must never be shown: API keys, passwords, tokens.
///
/// `Debug`, `Display` and `Serialize` give `[REDACTED]` (serialize inside
/// [`reveal`] for the real value); [`Secret::expose`] is the way to read it.
///
/// ```
/// use gpujobs_runtime::Secret;
/// let key = Secret::new("sk-live-123");
/// assert_eq!(format!("{key:?} {key}"), "[REDACTED] [REDACTED]");
/// assert_eq!(key.expose(), "sk-live-123");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value. Call it only where the value is sent, never to print.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match revealed() {
            true => serializer.serialize_str(&self.0),
            false => serializer.serialize_str(REDACTED),
        }
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

impl schemars::JsonSchema for Secret {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Secret".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A secret; \"[REDACTED]\" unless secrets were explicitly requested"
        })
    }
}

/// A URL that may carry credentials (`?token=…`, `user:password@`, signed
/// query parameters). It prints and serializes with those parts redacted.
///
/// ```
/// use gpujobs_runtime::SensitiveUrl;
/// let url = SensitiveUrl::new("https://hz-4.matpool.com:26133?token=J90T8W3lU8&tab=1");
/// assert_eq!(url.to_string(), "https://hz-4.matpool.com:26133?token=[REDACTED]&tab=1");
/// assert_eq!(url.expose(), "https://hz-4.matpool.com:26133?token=J90T8W3lU8&tab=1");
/// ```
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SensitiveUrl(String);

/// Query parameters whose values are credentials (compared case-insensitively;
/// `signature` also catches `X-Amz-Signature`).
const SENSITIVE_PARAMS: [&str; 8] = [
    "token",
    "access_token",
    "key",
    "api_key",
    "apikey",
    "password",
    "secret",
    "signature",
];

impl SensitiveUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The URL as given. Call it only where the URL is used, never to print.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with credentials replaced by `[REDACTED]`.
    pub fn redacted(&self) -> String {
        redact_url(&self.0)
    }
}

/// Redacts `user:password@` and sensitive query values in `url`.
pub fn redact_url(url: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let mut out = match before_query.split_once("://") {
        Some((scheme, rest)) => {
            let authority_end = rest.find('/').unwrap_or(rest.len());
            let (authority, path) = rest.split_at(authority_end);
            match authority.rsplit_once('@') {
                Some((userinfo, host)) => {
                    let user = userinfo.split(':').next().unwrap_or("");
                    format!("{scheme}://{user}:{REDACTED}@{host}{path}")
                }
                None => before_query.to_owned(),
            }
        }
        None => before_query.to_owned(),
    };
    if let Some(query) = query {
        let (query, fragment) = match query.split_once('#') {
            Some((q, f)) => (q, Some(f)),
            None => (query, None),
        };
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if is_sensitive(name) => format!("{name}={REDACTED}"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
        if let Some(fragment) = fragment {
            out.push('#');
            out.push_str(fragment);
        }
    }
    out
}

fn is_sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SENSITIVE_PARAMS
        .iter()
        .any(|p| name == *p || name.ends_with(&format!("-{p}")) || name.ends_with(&format!("_{p}")))
}

impl fmt::Debug for SensitiveUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl fmt::Display for SensitiveUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for SensitiveUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match revealed() {
            true => serializer.serialize_str(&self.0),
            false => serializer.serialize_str(&self.redacted()),
        }
    }
}

impl<'de> Deserialize<'de> for SensitiveUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

impl schemars::JsonSchema for SensitiveUrl {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SensitiveUrl".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A URL; credentials in it are \"[REDACTED]\" unless secrets were explicitly requested"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("canary-7f3a");
        let shown = format!("{s:?} {s} {s:#?} {}", serde_json::to_string(&s).unwrap());
        assert!(!shown.contains("canary"), "{shown}");
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Holder {
            password: Secret,
        }
        let holder = format!("{:?}", Holder { password: s });
        assert_eq!(holder, "Holder { password: [REDACTED] }");
    }

    #[test]
    fn reveal_is_scoped_and_restored_after_a_panic() {
        let s: Secret = serde_json::from_str("\"pw\"").unwrap();
        assert_eq!(s.expose(), "pw");
        assert_eq!(reveal(|| serde_json::to_string(&s).unwrap()), "\"pw\"");
        let _ = std::panic::catch_unwind(|| reveal(|| panic!("inside")));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"[REDACTED]\"");
    }

    #[test]
    fn urls_lose_their_credentials() {
        let cases = [
            ("https://h/x?token=abc", "https://h/x?token=[REDACTED]"),
            ("https://u:pw@h:1/p?q=1", "https://u:[REDACTED]@h:1/p?q=1"),
            (
                "https://s3/o?X-Amz-Signature=zz&X-Amz-Date=1",
                "https://s3/o?X-Amz-Signature=[REDACTED]&X-Amz-Date=1",
            ),
            (
                "ssh://hz-4.matpool.com:26749",
                "ssh://hz-4.matpool.com:26749",
            ),
            (
                "https://h/?a=1&api_key=k#frag",
                "https://h/?a=1&api_key=[REDACTED]#frag",
            ),
        ];
        for (url, want) in cases {
            let url = SensitiveUrl::new(url);
            assert_eq!(url.to_string(), want);
            assert_eq!(serde_json::to_value(&url).unwrap(), want);
            assert!(!format!("{url:?}").contains("abc"));
        }
    }
}
