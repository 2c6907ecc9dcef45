//! The HTTP side every adapter shares: its context ([`Ctx`]: the clients, the
//! limits, the clock) and reading what went wrong — a generated client's error
//! mapped to an [`Error`] kind, error bodies read within a limit, transport
//! failures described without their URLs.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use gpujobs_runtime::ClientState;
use gpujobs_runtime::retry::Failure;
use progenitor_client::{ByteStream, ResponseValue};

use crate::config::ProviderConfig;
use crate::credential::Refresher;
use crate::error::{Error, Result, TimeoutScope};
use crate::registry::ProviderKind;
use crate::text::excerpt;

/// An answer that is not the expected JSON: the parser's reason and a bounded,
/// redacted excerpt of the body.
pub(crate) fn malformed(provider: ProviderKind, bytes: &[u8], e: serde_json::Error) -> Error {
    Error::Decode {
        provider,
        message: format!(
            "the answer could not be read as the expected JSON: {}",
            crate::text::terminal_safe(&e.to_string())
        ),
        body: Some(excerpt(&String::from_utf8_lossy(bytes)).into()),
        source: Some(Box::new(e)),
    }
}

/// The error for an error answer: its status and the message read from its body.
pub(crate) fn answer_error(
    provider: ProviderKind,
    status: u16,
    body: &str,
    answers: Answers,
    retry_after: Option<Duration>,
) -> Error {
    if let Some(error) = (answers.error)(status, body) {
        return error;
    }
    let message = (answers.message)(body);
    Error::from_status(provider, status, message, Some(excerpt(body)), retry_after)
}

/// An HTTP client's settings for a provider: its time limits, gpujobs' user agent.
fn http_client(connect_timeout: Duration, attempt_timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(attempt_timeout)
        .user_agent(concat!("gpujobs/", env!("CARGO_PKG_VERSION")))
}

fn built(provider: ProviderKind, builder: reqwest::ClientBuilder) -> Result<reqwest::Client> {
    builder
        .build()
        .map_err(|e| Error::config(provider, format!("cannot build the HTTP client: {e}")))
}

/// What every adapter keeps besides its generated client.
#[derive(Clone)]
pub(crate) struct Ctx {
    pub kind: ProviderKind,
    pub operation_timeout: Duration,
    /// The API's base URL (checked), for what the generated client does not do.
    #[cfg_attr(not(any(feature = "slurm", feature = "ray")), allow(dead_code))]
    pub base_url: String,
    /// The limit of one attempt (what a timeout error names), and of what the
    /// generated client does not do (Ray's log tail).
    pub attempt_timeout: Duration,
    #[cfg_attr(not(feature = "ray"), allow(dead_code))]
    pub max_response_bytes: u64,
    /// The provider's HTTP settings without its credential (for signed log
    /// URLs, which go to other hosts); the user's own client where one was
    /// given. Built when first needed ([`Ctx::unauthenticated`]): building an
    /// HTTP client reads the system's root certificates, a few milliseconds a
    /// client most never spend (BENCHMARKS.md §9).
    unauthenticated: Arc<OnceLock<reqwest::Client>>,
    connect_timeout: Duration,
    /// How the provider's error answers are read.
    answers: Answers,
    /// The retry policy and clock, for what the generated client does not do
    /// (today Slurm's lookup of a submit whose answer was lost).
    #[cfg_attr(not(feature = "slurm"), allow(dead_code))]
    pub retry: gpujobs_runtime::RetryPolicy,
    pub clock: Arc<dyn gpujobs_runtime::Clock>,
    /// A credential from a source, kept fresh ([`Ctx::call`] asks it first).
    refresher: Option<Arc<Refresher>>,
}

/// How a provider's error answers are read ([`Api::error_message`], [`Api::answer_error`]).
#[derive(Clone, Copy)]
pub(crate) struct Answers {
    pub message: fn(&str) -> String,
    pub error: fn(u16, &str) -> Option<Error>,
    pub is_final: gpujobs_runtime::body::FinalAnswer,
}

impl fmt::Debug for Ctx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ctx")
            .field("kind", &self.kind)
            .field("operation_timeout", &self.operation_timeout)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    /// Builds the generated client's runtime state and HTTP client from `config`.
    pub(crate) fn build(
        config: &ProviderConfig,
        mut state: ClientState,
        answers: Answers,
        auth: reqwest::header::HeaderMap,
        refresher: Option<Refresher>,
    ) -> Result<(Self, String, reqwest::Client, ClientState)> {
        let base_url = config.checked_base_url()?;
        let unauthenticated = Arc::new(OnceLock::new());
        let http = match &config.http {
            Some(http) => {
                let _ = unauthenticated.set(http.clone());
                http.clone()
            }
            None => {
                // The client limits each attempt itself: the runtime then sets a
                // request's own limit only near the operation's deadline.
                state = state.with_client_timeout(config.attempt_timeout);
                let builder = http_client(config.connect_timeout, config.attempt_timeout);
                built(config.kind, builder.default_headers(auth))?
            }
        };
        if let Some(refresher) = &refresher {
            state = state.with_auth_headers(refresher.headers.clone());
        }
        let state = state
            .with_final_answers(answers.is_final)
            .with_retry(config.retry.clone())
            .with_attempt_timeout(config.attempt_timeout)
            .with_operation_timeout(config.operation_timeout)
            .with_max_response_bytes(config.max_response_bytes)
            .with_clock(config.clock.clone());
        let ctx = Ctx {
            kind: config.kind,
            operation_timeout: config.operation_timeout,
            base_url: base_url.clone(),
            unauthenticated,
            connect_timeout: config.connect_timeout,
            attempt_timeout: config.attempt_timeout,
            max_response_bytes: config.max_response_bytes,
            answers,
            retry: config.retry.clone(),
            clock: config.clock.clone(),
            refresher: refresher.map(Arc::new),
        };
        Ok((ctx, base_url, http, state))
    }

    /// The HTTP client without the provider's credential, built the first time.
    pub fn unauthenticated(&self) -> Result<reqwest::Client> {
        if let Some(client) = self.unauthenticated.get() {
            return Ok(client.clone());
        }
        let client = built(
            self.kind,
            http_client(self.connect_timeout, self.attempt_timeout),
        )?;
        Ok(self.unauthenticated.get_or_init(|| client).clone())
    }

    /// Runs one generated call under the operation time limit and maps its error.
    ///
    /// `call` makes the generated call's future, which is large (its answer type
    /// lives in it): made here and boxed at once, it is not copied by every
    /// future it would otherwise be passed through (BENCHMARKS.md).
    /// With a credential from a source, it is made fresh first, and a call
    /// refused for its credential is sent once more with a new one (nothing
    /// was done: the server refused it).
    pub async fn call<T, E: ErrorBody, F>(&self, call: impl Fn() -> F) -> Result<T>
    where
        F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
    {
        let Some(refresher) = &self.refresher else {
            return self.call_once(call).await;
        };
        let generation = refresher.fresh().await?;
        match self.call_once(&call).await {
            Err(Error::Unauthenticated { .. }) if refresher.refused(generation).await? => {
                self.call_once(call).await
            }
            answer => answer,
        }
    }

    async fn call_once<T, E: ErrorBody, F>(&self, call: impl FnOnce() -> F) -> Result<T>
    where
        F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
    {
        let started = std::time::Instant::now();
        let call = Box::pin(call());
        // On the real clock the runtime holds every attempt to what is left of the
        // operation's budget and starts no wait that would overrun it, and after it
        // nothing waits on the network (the body is already read): no timer is
        // needed here. A test clock counts only its own sleeps, so real time is
        // guarded, with a little grace so the runtime's answer wins when it has one.
        let answer = match self.clock.is_real_time() {
            true => call.await,
            false => {
                let limit = self.operation_timeout + Duration::from_millis(250);
                match tokio::time::timeout(limit, call).await {
                    Ok(answer) => answer,
                    Err(_) => return Err(self.operation_timed_out()),
                }
            }
        };
        match answer {
            Ok(value) => Ok(value.into_inner()),
            Err(error) => Err(self.error(error, started.elapsed()).await),
        }
    }

    fn operation_timed_out(&self) -> Error {
        Error::Timeout {
            provider: self.kind,
            scope: TimeoutScope::Operation,
            after: self.operation_timeout,
            last_job: None,
        }
    }

    /// Maps a generated client's error to an [`Error`] kind.
    pub async fn error<E: ErrorBody>(
        &self,
        error: progenitor_client::Error<E>,
        elapsed: Duration,
    ) -> Error {
        use progenitor_client::Error as E2;
        let provider = self.kind;
        match error {
            E2::InvalidRequest(message) => Error::invalid(provider, message),
            E2::CommunicationError(e) | E2::InvalidUpgrade(e) | E2::ResponseBodyError(e) => {
                self.transport_error(e, elapsed)
            }
            E2::InvalidResponsePayload(bytes, e) => malformed(provider, &bytes, e),
            E2::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let request_id = request_id(response.headers());
                let retry_after = gpujobs_runtime::retry::retry_after(
                    response.headers(),
                    std::time::SystemTime::now(),
                );
                match response.into_inner().message().await {
                    Ok(text) => answer_error(provider, status, &text, self.answers, retry_after)
                        .with_request_id(request_id),
                    Err(e) => self.transport_error(e, elapsed),
                }
            }
            E2::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                let request_id = request_id(response.headers());
                let retry_after = gpujobs_runtime::retry::retry_after(
                    response.headers(),
                    std::time::SystemTime::now(),
                );
                match read_bounded(response.bytes_stream()).await {
                    Ok(body) => answer_error(provider, status, &body, self.answers, retry_after)
                        .with_request_id(request_id),
                    Err(e) => self.transport_error(e, elapsed),
                }
            }
            E2::Custom(message) => Error::Transport {
                provider,
                message,
                source: None,
            },
        }
    }

    /// A failed exchange: an answer over the size limit, a time limit (which
    /// one, from how long the operation had run), or a broken connection.
    fn transport_error(&self, e: reqwest::Error, elapsed: Duration) -> Error {
        let provider = self.kind;
        if let Some(too_large) = gpujobs_runtime::body::find(&e) {
            return Error::ResponseTooLarge {
                provider,
                limit: too_large.limit,
            };
        }
        if e.is_timeout() {
            // The last attempt gets only what is left of the operation budget.
            let (scope, limit) = match elapsed + Duration::from_millis(50) >= self.operation_timeout
            {
                true => (TimeoutScope::Operation, self.operation_timeout),
                false => (TimeoutScope::Attempt, self.attempt_timeout),
            };
            return Error::Timeout {
                provider,
                scope,
                after: limit,
                last_job: None,
            };
        }
        Error::Transport {
            provider,
            message: Failure::of(&e).describe().into(),
            source: Some(Box::new(e.without_url())),
        }
    }
}

/// The id a provider gave a request, from the headers providers send it in.
fn request_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    [
        "x-request-id",
        "request-id",
        "x-trace-id",
        "x-correlation-id",
    ]
    .iter()
    .find_map(|name| headers.get(*name)?.to_str().ok())
    .map(|id| {
        crate::text::terminal_safe(id.trim())
            .chars()
            .take(128)
            .collect()
    })
}

/// The most of an error body that is read.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

/// The start of an error body (the runtime has already refused one over the size limit).
async fn read_bounded<S, B>(mut stream: S) -> reqwest::Result<String>
where
    S: futures_util::Stream<Item = reqwest::Result<B>> + Unpin,
    B: AsRef<[u8]>,
{
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(chunk?.as_ref());
        if body.len() >= ERROR_BODY_LIMIT {
            body.truncate(ERROR_BODY_LIMIT);
            break;
        }
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

/// The human message in an error body: a JSON string, a JSON object's
/// `message`/`msg`/`error`/`detail`, or the text itself.
pub(crate) fn plain_message(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(map)) => {
            ["message", "msg", "error", "detail", "external_message"]
                .iter()
                .find_map(|k| {
                    map.get(*k)
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                })
                .unwrap_or_else(|| body.trim().to_owned())
        }
        _ if body.trim_start().starts_with('<') => "an HTML page instead of an API answer".into(),
        _ => body.trim().to_owned(),
    }
}

/// A generated error body that can say what went wrong.
#[async_trait]
pub(crate) trait ErrorBody: Send {
    /// The body's text (reading it can fail for a streamed body); the
    /// provider's [`Api::error_message`] reads the message out of it.
    async fn message(self) -> reqwest::Result<String>;
}

#[async_trait]
impl ErrorBody for () {
    async fn message(self) -> reqwest::Result<String> {
        Ok(String::new())
    }
}

#[async_trait]
impl ErrorBody for ByteStream {
    async fn message(self) -> reqwest::Result<String> {
        read_bounded(self.into_inner()).await
    }
}
