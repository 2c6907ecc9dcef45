//! Runtime shared by every generated gpujobs client.
//!
//! Each generated crate (`gpujobs-ppio`, `gpujobs-ray`, …) is generated with
//! [`ClientState`] as its progenitor *inner type* and must route every request
//! through [`ClientState::exec`] (see [`impl_client_hooks!`]). That single
//! choke point is where retries, timeouts and tracing live, so they behave the
//! same for every provider.
//!
//! Secret values in generated types (for example Matpool's SSH password) are
//! generated as [`Secret`], which never prints its value.

mod auth;
pub mod body;
mod clock;
mod exec;
pub mod retry;
mod secret;
mod state;

pub use auth::AuthHeaders;
pub use clock::{Clock, ManualClock, Sleep, SystemClock};
pub use retry::{RetryPolicy, backoff};
pub use secret::{REDACTED, Secret, SensitiveUrl, reveal};
pub use state::{ClientState, Endpoint, Retry};

#[doc(hidden)]
pub use progenitor_client as __progenitor_client;

/// Implements progenitor's `ClientHooks` for a generated `Client` so that every
/// request goes through [`ClientState::exec`].
///
/// Generated crates are generated with `HooksMode::Expected`, so forgetting
/// this line is a compile error rather than a silently unhooked client.
///
/// ```ignore
/// mod generated;
/// pub use generated::*;
/// gpujobs_runtime::impl_client_hooks!(Client);
/// ```
#[macro_export]
macro_rules! impl_client_hooks {
    ($client:ty) => {
        impl $crate::__progenitor_client::ClientHooks<$crate::ClientState> for $client {
            async fn exec(
                &self,
                request: ::reqwest::Request,
                info: &$crate::__progenitor_client::OperationInfo,
            ) -> ::reqwest::Result<::reqwest::Response> {
                use $crate::__progenitor_client::ClientInfo as _;
                // Boxed: held inline, this large future would make every generated
                // call's future as large, and be copied each time that one moves.
                ::std::boxed::Box::pin(self.inner().exec(self.client(), request, info)).await
            }
        }
    };
}

/// Declares a generated provider crate's hand-written root in one line.
///
/// It includes `src/generated.rs` (never formatted by `cargo fmt`, never
/// linted by clippy), re-exports it, routes the client through the runtime's
/// hooks, and adds `PROVIDER` and [`new_client`](#) so a client is built the
/// same way for every provider:
///
/// ```ignore
/// gpujobs_runtime::generated_client!("ppio");
/// // gives: gpujobs_ppio::{Client, types, PROVIDER, new_client, …}
/// let client = gpujobs_ppio::new_client("https://api.ppio.com", reqwest::Client::new());
/// ```
#[macro_export]
macro_rules! generated_client {
    ($provider:literal $(, extra_endpoints = $extra:expr)?) => {
        #[allow(missing_docs, unused_imports, clippy::all, clippy::pedantic)]
        mod generated;

        pub use generated::*;
        pub use $crate::{ClientState, Secret};

        /// The provider name used in traces and errors.
        pub const PROVIDER: &str = $provider;

        /// The runtime state of a client of this provider: its name and endpoints
        /// table, with the default retry policy (customise it, then pass it to
        /// `Client::new_with_client`).
        pub fn client_state() -> $crate::ClientState {
            $crate::ClientState::new(PROVIDER).with_endpoints(ENDPOINTS)$(.with_endpoints($extra))?
        }

        /// Builds a client for `base_url` that sends through `http`.
        ///
        /// Build `http` yourself (timeouts, TLS, pooling): the generated
        /// `Client::new` uses a fixed 15-second total timeout that suits no
        /// long-running job API.
        pub fn new_client(base_url: &str, http: ::reqwest::Client) -> Client {
            Client::new_with_client(base_url, http, client_state())
        }

        impl $crate::GeneratedClient for Client {
            const PROVIDER: &'static str = PROVIDER;

            fn client_state() -> $crate::ClientState {
                client_state()
            }

            fn with_state(base_url: &str, http: ::reqwest::Client, state: $crate::ClientState) -> Self {
                Client::new_with_client(base_url, http, state)
            }

            fn endpoints() -> Vec<$crate::Endpoint> {
                let endpoints = ENDPOINTS.iter()$(.chain($extra.iter()))?;
                endpoints.copied().collect()
            }
        }

        $crate::impl_client_hooks!(Client);
    };
}

/// What every generated client offers (implemented by [`generated_client!`]),
/// so code can build any of them the same way.
pub trait GeneratedClient: Clone + Send + Sync + std::fmt::Debug + 'static {
    /// The provider name used in traces and errors.
    const PROVIDER: &'static str;

    /// Its runtime state with the default policy and its endpoints table.
    fn client_state() -> ClientState;

    /// A client for `base_url`, sending through `http` under `state`.
    fn with_state(base_url: &str, http: reqwest::Client, state: ClientState) -> Self;

    /// Every endpoint, hand-written ones included.
    fn endpoints() -> Vec<Endpoint>;
}

/// Default headers carrying `Authorization: Bearer <secret>`, marked
/// sensitive so reqwest and `tracing` never print the value.
///
/// ```
/// let headers = gpujobs_runtime::bearer_headers(&gpujobs_runtime::Secret::new("sk-1")).unwrap();
/// assert!(headers["authorization"].is_sensitive());
/// assert!(!format!("{headers:?}").contains("sk-1"));
/// ```
pub fn bearer_headers(token: &Secret) -> Result<reqwest::header::HeaderMap, InvalidSecret> {
    let value = sensitive_value(&format!("Bearer {}", token.expose()))?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, value);
    Ok(headers)
}

/// A header value holding a secret as it is (`X-SLURM-USER-TOKEN`,
/// openYuanrong's `X-Auth`), marked sensitive so it is never printed.
///
/// ```
/// let value = gpujobs_runtime::sensitive_value("jwt").unwrap();
/// assert!(value.is_sensitive());
/// assert!(gpujobs_runtime::sensitive_value("a\nb").is_err());
/// ```
pub fn sensitive_value(secret: &str) -> Result<reqwest::header::HeaderValue, InvalidSecret> {
    let mut value = reqwest::header::HeaderValue::try_from(secret).map_err(|_| InvalidSecret)?;
    value.set_sensitive(true);
    Ok(value)
}

/// A secret that cannot be sent in an HTTP header (it holds a control
/// character or a newline). The value itself is never included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidSecret;

impl std::fmt::Display for InvalidSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the credential contains characters that cannot be sent in an HTTP header")
    }
}

impl std::error::Error for InvalidSecret {}
