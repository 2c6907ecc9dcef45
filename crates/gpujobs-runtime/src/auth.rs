//! Credential headers that change while a client lives ([`AuthHeaders`]): a
//! token fetched again before it expires. A fixed credential is sent as the
//! HTTP client's default headers instead; these are set on every attempt.

use std::fmt;
use std::sync::{Arc, RwLock};

use reqwest::header::HeaderMap;

/// The headers that carry the credential now, shared by the code that
/// refreshes it and every request that sends it (see
/// [`ClientState::with_auth_headers`](crate::ClientState::with_auth_headers)).
///
/// ```
/// use gpujobs_runtime::AuthHeaders;
/// let auth = AuthHeaders::default();
/// let mut headers = reqwest::header::HeaderMap::new();
/// headers.insert("x-auth", "t1".parse().unwrap());
/// auth.set(headers);
/// assert_eq!(auth.get()["x-auth"], "t1");
/// ```
#[derive(Clone, Default)]
pub struct AuthHeaders {
    current: Arc<RwLock<Arc<HeaderMap>>>,
}

impl AuthHeaders {
    /// Replaces the headers every later attempt sends (each value should be
    /// marked sensitive, so it never appears in a trace).
    pub fn set(&self, headers: HeaderMap) {
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        *current = Arc::new(headers);
    }

    /// The headers now.
    pub fn get(&self) -> Arc<HeaderMap> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sets them on `request`, in place of any it has of the same names.
    pub(crate) fn apply(&self, request: &mut reqwest::Request) {
        let headers = self.get();
        for (name, value) in headers.iter() {
            request.headers_mut().insert(name.clone(), value.clone());
        }
    }
}

impl fmt::Debug for AuthHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.get().keys().map(|k| k.to_string()).collect();
        f.debug_struct("AuthHeaders")
            .field("names", &names)
            .finish()
    }
}
