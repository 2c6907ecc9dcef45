use std::sync::Arc;
use std::time::Duration;

use progenitor_client::OperationInfo;
use tracing::Instrument as _;
use tracing::field::Empty;

use crate::body::{DEFAULT_MAX_RESPONSE_BYTES, FinalAnswer, Read, read_within};
use crate::clock::{Clock, SystemClock};
use crate::retry::{RetryPolicy, Verdict, classify};

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
    provider: &'static str,
    endpoints: Vec<Endpoint>,
    retry: RetryPolicy,
    attempt_timeout: Option<Duration>,
    client_timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
    max_response_bytes: u64,
    clock: Arc<dyn Clock>,
    final_answer: Option<FinalAnswer>,
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

    fn path_template(&self, operation: &str) -> &'static str {
        self.endpoint(operation).map_or("(unlisted)", |e| e.path)
    }

    /// Executes one operation: sends `request`, retrying as the policy allows.
    ///
    /// Returns the last attempt's result: a response (of any status) or the
    /// transport error. Retried: connection failures (always: the request
    /// never reached the server); and, for retry-safe requests only, timeouts,
    /// dropped connections, 429, 500, 502, 503 and 504. A `Retry-After` is
    /// waited for when it is at most the policy's cap, otherwise the response
    /// is returned as it is.
    pub async fn exec(
        &self,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let operation = info.operation_id;
        let method = request.method().clone();
        let path = self.path_template(operation);
        let retry_safe = self.is_retry_safe(&method, operation);
        let started = self.clock.now();
        let mut attempt = 1u32;
        loop {
            // Copied before this attempt's time limit is set: the copy gets its own.
            let again = match attempt < self.retry.max_attempts {
                true => copy_request(&request),
                false => None,
            };
            let sent = self.clock.now();
            let remaining = self
                .operation_timeout
                .map(|t| t.saturating_sub(sent.saturating_duration_since(started)));
            let limit = min_some(self.attempt_timeout, remaining);
            if limit.is_some_and(|limit| self.client_timeout.is_none_or(|own| limit < own)) {
                *request.timeout_mut() = limit;
            }
            let span = tracing::debug_span!(
                "gpujobs.request",
                provider = self.provider,
                operation,
                method = %method,
                path,
                attempt,
                status = Empty,
                duration_ms = Empty,
            );
            let result = self.send(client, request).instrument(span.clone()).await;
            let (result, is_final) = match result {
                Sent::Answer(result) => (result, false),
                Sent::Final(response) => (Ok(response), true),
                // Never retried: the same request would get the same oversized answer.
                Sent::TooLarge(response) => {
                    tracing::debug!(parent: &span, limit = self.max_response_bytes, "response too large");
                    return Ok(response);
                }
            };
            // Timed only when someone listens: reading the clock is a cost of every call.
            if !span.is_disabled() || tracing::event_enabled!(tracing::Level::DEBUG) {
                self.trace(
                    &span,
                    &result,
                    self.clock.now().saturating_duration_since(sent),
                );
            }
            if is_final {
                tracing::debug!(parent: &span, "the server's final answer: not retried");
                return result;
            }
            if result.as_ref().is_ok_and(|r| r.status().is_success()) {
                return result;
            }
            let Verdict::Retry(hint) = classify(&result, retry_safe, self.clock.wall()) else {
                return result;
            };
            let Some(next) = again else { return result };
            let delay = match hint {
                Some(wait) if wait > self.retry.max_retry_after => return result,
                Some(wait) => wait,
                None => self.retry.backoff(attempt, self.clock.jitter()),
            };
            let elapsed = self.clock.now().saturating_duration_since(started);
            if self.operation_timeout.is_some_and(|t| elapsed + delay >= t) {
                return result;
            }
            tracing::debug!(parent: &span, delay_ms = delay.as_millis() as u64, "retrying");
            self.clock.sleep(delay).await;
            request = next;
            attempt += 1;
        }
    }
}

/// One attempt's outcome.
enum Sent {
    /// A response read whole, or the transport error (mid-body ones included).
    Answer(reqwest::Result<reqwest::Response>),
    /// A response whose body was over the limit.
    TooLarge(reqwest::Response),
    /// A 5xx the server means (see [`ClientState::with_final_answers`]).
    Final(reqwest::Response),
}

impl ClientState {
    /// Records an attempt's outcome and duration on its span, and as an event.
    fn trace(
        &self,
        span: &tracing::Span,
        result: &reqwest::Result<reqwest::Response>,
        duration: Duration,
    ) {
        let duration_ms = duration.as_millis() as u64;
        span.record("duration_ms", duration_ms);
        match result {
            Ok(response) => {
                span.record("status", response.status().as_u16());
                tracing::debug!(parent: span, status = response.status().as_u16(), duration_ms, "response");
            }
            Err(error) => {
                let kind = crate::retry::Failure::of(error).as_str();
                tracing::debug!(parent: span, error = kind, duration_ms, "transport error");
            }
        }
    }

    /// Sends one attempt and reads its body within the limit, so a body that
    /// breaks or stalls is an error of this attempt, retried like any other.
    async fn send(&self, client: &reqwest::Client, request: reqwest::Request) -> Sent {
        let response = match client.execute(request).await {
            Ok(response) => response,
            Err(error) => return Sent::Answer(Err(error)),
        };
        let is_final = self
            .final_answer
            .filter(|_| response.status().is_server_error());
        match read_within(response, self.max_response_bytes, is_final).await {
            Read::Whole(response, true) => Sent::Final(response),
            Read::Whole(response, false) => Sent::Answer(Ok(response)),
            Read::Failed(error) => Sent::Answer(Err(error)),
            Read::TooLarge(response) => Sent::TooLarge(response),
        }
    }
}

/// A copy of `request` to send again. reqwest's own `try_clone` also sets up
/// (allocates) the per-request settings a generated request never has, on
/// every call; only a request with a body or a time limit of its own needs it.
/// (In reqwest 0.13 a request's only other setting, its extensions, can be set
/// from outside only with a body: `TryFrom<http::Request>`.)
fn copy_request(request: &reqwest::Request) -> Option<reqwest::Request> {
    if request.body().is_some() || request.timeout().is_some() {
        return request.try_clone();
    }
    let mut copy = reqwest::Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    Some(copy)
}

fn min_some(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}
