//! A generated client's state ([`ClientState`]): its provider, endpoint table
//! ([`Endpoint`], [`Retry`]), retry policy, time limits, response cap and clock.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::AuthHeaders;
use crate::body::{DEFAULT_MAX_RESPONSE_BYTES, FinalAnswer};
use crate::clock::{Clock, SystemClock};
use crate::retry::RetryPolicy;

/// One endpoint of a generated client: its id, HTTP method, path template
/// and whether a request may be sent again. `cargo xtask regen` writes each
/// client's table as `ENDPOINTS`, from the spec (see [`Retry`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// The operationId (the generated method's name).
    pub id: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template, e.g. `/api/jobs/{submission_id}`.
    pub path: &'static str,
    /// Whether a request that may have reached the server is sent again.
    pub retry: Retry,
}

/// Whether a request that may have reached the server can be sent again,
/// declared per operation in the spec (`x-gpujobs-retry`, or by HTTP method).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Retry {
    /// Repeating it does nothing twice (a GET; stopping a job that is stopping).
    Safe,
    /// It may act twice (creating a job): sent again only when it provably
    /// never reached the server (the connection was refused).
    Never,
    /// Safe because the provider refuses a second request carrying the same
    /// value of this body field, which the generated request type requires.
    IdempotencyKey(&'static str),
}

impl Retry {
    /// Whether a request may be repeated after it may have reached the server.
    pub fn is_safe(self) -> bool {
        !matches!(self, Self::Never)
    }
}

/// Per-client state that every generated client carries (progenitor's "inner
/// type"), and the policy its requests run under.
///
/// Every request of every generated client goes through [`ClientState::exec`]:
/// retries with backoff and `Retry-After`, per-attempt and per-operation time
/// limits, and a `tracing` span per attempt. Bodies and headers are never
/// logged.
///
/// ```
/// use std::time::Duration;
/// use gpujobs_runtime::{ClientState, RetryPolicy};
/// let state = ClientState::new("ray")
///     .with_retry(RetryPolicy { max_attempts: 3, ..RetryPolicy::default() })
///     .with_attempt_timeout(Duration::from_secs(10))
///     .with_operation_timeout(Duration::from_secs(60));
/// assert_eq!(state.provider(), "ray");
/// ```
#[derive(Clone, Debug)]
pub struct ClientState {
    pub(crate) provider: &'static str,
    pub(crate) endpoints: Vec<Endpoint>,
    pub(crate) retry: RetryPolicy,
    pub(crate) attempt_timeout: Option<Duration>,
    pub(crate) client_timeout: Option<Duration>,
    pub(crate) operation_timeout: Option<Duration>,
    pub(crate) max_response_bytes: u64,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) final_answer: Option<FinalAnswer>,
    pub(crate) auth: Option<AuthHeaders>,
}

impl ClientState {
    /// State for a client of `provider` (a short lowercase name such as `"ray"`),
    /// with the default [`RetryPolicy`] and no time limits.
    pub fn new(provider: &'static str) -> Self {
        Self {
            provider,
            endpoints: Vec::new(),
            retry: RetryPolicy::default(),
            attempt_timeout: None,
            client_timeout: None,
            operation_timeout: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            clock: Arc::new(SystemClock),
            final_answer: None,
            auth: None,
        }
    }

    /// Adds endpoints to the table that names path templates in traces and
    /// says which requests may be sent again.
    pub fn with_endpoints(mut self, endpoints: &[Endpoint]) -> Self {
        self.endpoints.extend_from_slice(endpoints);
        self
    }

    /// Sets the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Limits each attempt (connect, send, and receiving the response headers and body).
    pub fn with_attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Says that the `reqwest::Client` this state is used with limits every
    /// request to `timeout` itself (`ClientBuilder::timeout`): an attempt then
    /// sets its own limit only when that is shorter, which spares reqwest a
    /// per-request setting (an allocation) on every call.
    ///
    /// Only say so of a client built with that timeout: with any other, an
    /// attempt whose limit is `timeout` or longer runs without one.
    ///
    /// ```
    /// use std::time::Duration;
    /// let limit = Duration::from_secs(30);
    /// let http = reqwest::Client::builder().timeout(limit).build().unwrap();
    /// let state = gpujobs_runtime::ClientState::new("ray")
    ///     .with_attempt_timeout(limit)
    ///     .with_client_timeout(limit);
    /// # let _ = (http, state);
    /// ```
    pub fn with_client_timeout(mut self, timeout: Duration) -> Self {
        self.client_timeout = Some(timeout);
        self
    }

    /// Limits a whole operation, retries and waits included: no retry starts
    /// that could not finish in time, and the last attempt gets only what is left.
    pub fn with_operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// Limits every response body (error answers included) to `bytes`; a
    /// larger one fails with [`crate::body::ResponseTooLarge`] after at most
    /// that much was read. The default is
    /// [`DEFAULT_MAX_RESPONSE_BYTES`](crate::body::DEFAULT_MAX_RESPONSE_BYTES).
    pub fn with_max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Replaces the clock and jitter source (tests use [`crate::ManualClock`]).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Lets `is_final` read 5xx answers, and returns those it calls final
    /// at once instead of retrying them.
    pub fn with_final_answers(mut self, is_final: FinalAnswer) -> Self {
        self.final_answer = Some(is_final);
        self
    }

    /// Sets `auth`'s headers on every attempt (a credential that is
    /// refreshed while the client lives; a fixed one belongs in the HTTP
    /// client's default headers).
    pub fn with_auth_headers(mut self, auth: AuthHeaders) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The provider this client talks to.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The retry policy.
    pub fn retry(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The per-operation time limit, if any.
    pub fn operation_timeout(&self) -> Option<Duration> {
        self.operation_timeout
    }

    /// The clock in use.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The endpoint `operation` names, if the table has it.
    pub fn endpoint(&self, operation: &str) -> Option<&Endpoint> {
        self.endpoints.iter().find(|e| e.id == operation)
    }

    /// Whether a request of `operation` may be sent again after it may have
    /// reached the server: its endpoint's declared [`Retry`], or, for an
    /// operation missing from the table, whether `method` is idempotent.
    pub fn is_retry_safe(&self, method: &reqwest::Method, operation: &str) -> bool {
        use reqwest::Method;
        match self.endpoint(operation) {
            Some(endpoint) => endpoint.retry.is_safe(),
            None => matches!(
                *method,
                Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
            ),
        }
    }

    pub(crate) fn path_template(&self, operation: &str) -> &'static str {
        self.endpoint(operation).map_or("(unlisted)", |e| e.path)
    }
}
