//! The adapter shell every provider shares, and the shared protocols.
//!
//! A provider module describes its API (an [`Api`] implementation: its
//! generated client, how to read a job, a page, a stop) and its
//! [`Descriptor`]; [`Provider<A>`] wraps that in everything the providers have
//! in common — configuration, time limits, error mapping, paging guards, the
//! cancel protocol — so no provider repeats it.

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use gpujobs_runtime::{ClientState, GeneratedClient};
use progenitor_client::{ByteStream, ResponseValue};
use serde::de::DeserializeOwned;

use crate::config::{BuildProvider, ProviderBuilder, ProviderConfig};
use crate::descriptor::Descriptor;
use crate::error::{Error, Operation, Result, TimeoutScope, excerpt};
use crate::job::Job;
use crate::paging::{self, Page};
use crate::provider::{CancelOutcome, Capabilities, JobProvider, ListOptions, Logs, check_id};
use crate::submit::{OptionValues, SharedOptions, SubmitRequest};

// The one list of providers: a line adds one (see `registry_macro.rs`).
registry! {
    /// PPIO GPU API v2.
    "ppio" => Ppio => ppio,
    /// openYuanrong jobs.
    "yuanrong" => Yuanrong => yuanrong,
    /// Ray Jobs REST API.
    "ray" => Ray => ray,
    /// Matpool PaaS API.
    "matpool" => Matpool => matpool,
    /// TensorPool.
    "tensorpool" => Tensorpool => tensorpool,
    /// Slurm's REST API (slurmrestd).
    "slurm" => Slurm => slurm,
}

#[cfg(any(feature = "ray", feature = "yuanrong"))]
mod ray_family;
#[cfg(feature = "ray")]
mod ray_tail;

/// A provider built from the process environment, by kind (see [`Descriptor::env`]).
///
/// ```no_run
/// # fn demo() -> gpujobs::Result<()> {
/// let provider = gpujobs::from_env(gpujobs::ProviderKind::Ray)?;
/// assert_eq!(provider.kind(), gpujobs::ProviderKind::Ray);
/// # Ok(()) }
/// ```
pub fn from_env(kind: ProviderKind) -> Result<Arc<dyn JobProvider>> {
    let mut config = ProviderConfig::new(kind);
    config.apply_env(|name| std::env::var(name).ok())?;
    connect(config)
}

/// A provider built from `config`, by its kind.
pub fn connect(config: ProviderConfig) -> Result<Arc<dyn JobProvider>> {
    config.kind.descriptor().connect(config)
}

/// Keeps [`Api`] to gpujobs' own provider modules.
mod sealed {
    pub trait Sealed {}
}

/// What a provider module says about its API; [`Provider`] does the rest.
///
/// Implemented by each provider module's marker type (`RayApi`, …) and sealed:
/// a provider written outside gpujobs implements [`JobProvider`] instead (see
/// the `examples/custom-provider` crate).
#[async_trait]
pub trait Api: sealed::Sealed + Send + Sync + Sized + 'static {
    /// The generated client.
    type Client: GeneratedClient;
    /// What addresses one page of the job list, its default the first page
    /// (`()` where one answer holds every job).
    type Cursor: Hash + Default + Send + 'static;
    /// The provider's descriptor.
    const DESCRIPTOR: &'static Descriptor;

    /// What the provider answers for one job (a generated type).
    type JobAnswer: DeserializeOwned + Send;
    /// What the provider answers for one page of jobs (a generated type).
    type PageAnswer: DeserializeOwned + Send;

    /// Asks for one job (the id is already checked).
    async fn fetch_job(p: &Provider<Self>, id: &str) -> Result<Self::JobAnswer>;

    /// Asks for the page at `cursor`, of `size` jobs where the provider pages.
    async fn fetch_page(
        p: &Provider<Self>,
        cursor: &Self::Cursor,
        size: Option<u32>,
    ) -> Result<Self::PageAnswer>;

    /// Reads a job answer (`id`: the id asked for). Pure, so it is fuzzed.
    fn read_job(answer: Self::JobAnswer, id: &str) -> Result<Job>;

    /// Reads a page answer: its jobs and the cursor of the next page. Pure, so it is fuzzed.
    fn read_page(answer: Self::PageAnswer, cursor: Self::Cursor) -> Result<Page<Self::Cursor>>;

    /// Asks the provider to stop a job; `false` if it said it did not.
    async fn stop(p: &Provider<Self>, id: &str) -> Result<bool>;

    /// Submits a job.
    async fn submit(p: &Provider<Self>, request: &SubmitRequest) -> Result<Job> {
        let _ = request;
        Err(Error::unsupported(p.kind(), Operation::Submit))
    }

    /// The provider's own submit options from values given for its
    /// `Descriptor::options` (default: it has none, and none may be given).
    fn options_from(values: &OptionValues) -> Result<Option<SharedOptions>> {
        match values.keys().next() {
            None => Ok(None),
            Some(name) => Err(Error::invalid(
                Self::DESCRIPTOR.kind,
                format!("{} has no option `{name}`", Self::DESCRIPTOR.kind),
            )),
        }
    }

    /// A job's logs (the id is already checked).
    async fn logs(p: &Provider<Self>, id: &str) -> Result<Logs> {
        let _ = id;
        Err(Error::unsupported(p.kind(), Operation::Logs))
    }

    /// What a job prints until it ends (the id is already checked).
    fn follow_logs(p: &Provider<Self>, id: &str) -> BoxStream<'static, Result<String>> {
        let _ = id;
        let error = Error::unsupported(p.kind(), Operation::FollowLogs);
        futures_util::stream::once(std::future::ready(Err(error))).boxed()
    }

    /// The generated client for `base_url`, sending through `http` under
    /// `state` (default: the generated client as it is; a provider that keeps
    /// more, as Slurm its API version, builds its own from `config`).
    fn client(
        config: &ProviderConfig,
        base_url: &str,
        http: reqwest::Client,
        state: ClientState,
    ) -> Result<Self::Client> {
        let _ = config;
        Ok(Self::Client::with_state(base_url, http, state))
    }

    /// The headers that carry the credential (default: `Authorization: Bearer`).
    fn auth_headers(config: &ProviderConfig) -> Result<reqwest::header::HeaderMap> {
        match &config.credential {
            None => Ok(reqwest::header::HeaderMap::new()),
            Some(credential) => {
                gpujobs_runtime::bearer_headers(credential).map_err(|e| Error::Config {
                    provider: config.kind,
                    message: e.to_string(),
                })
            }
        }
    }

    /// The error for an error answer, where the provider's body says more than
    /// its status (default: none, the status decides).
    fn answer_error(status: u16, body: &str) -> Option<Error> {
        let _ = (status, body);
        None
    }

    /// The human message in an error answer's body.
    fn error_message(body: &str) -> String {
        plain_message(body)
    }
}

/// A provider: the generated client of an [`Api`], with the shared behaviour.
/// `gpujobs::ray::RayProvider` is `Provider<RayApi>`, and so on. Cloning is
/// cheap (the state is shared).
pub struct Provider<A: Api> {
    inner: Arc<Inner<A>>,
}

struct Inner<A: Api> {
    client: A::Client,
    ctx: Ctx,
}

impl<A: Api> Clone for Provider<A> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<A: Api> fmt::Debug for Provider<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("kind", &A::DESCRIPTOR.kind)
            .field("client", &self.inner.client)
            .field("ctx", &self.inner.ctx)
            .finish()
    }
}

impl<A: Api> Provider<A> {
    /// A builder with the defaults (no trait to import).
    pub fn builder() -> ProviderBuilder<Self> {
        <Self as BuildProvider>::builder()
    }

    /// Built from the process environment (see [`Descriptor::env`]).
    pub fn from_env() -> Result<Self> {
        <Self as BuildProvider>::from_env()
    }

    /// Built from `config`.
    pub fn from_config(config: ProviderConfig) -> Result<Self> {
        if config.kind != A::DESCRIPTOR.kind {
            return Err(Error::config(
                A::DESCRIPTOR.kind,
                format!(
                    "this is {}'s configuration (`ProviderConfig::new({:?})`), not {}'s",
                    config.kind,
                    config.kind,
                    A::DESCRIPTOR.kind
                ),
            ));
        }
        if let (Some(version), None) = (&config.api_version, A::DESCRIPTOR.env.api_version) {
            return Err(Error::Config {
                provider: A::DESCRIPTOR.kind,
                message: format!(
                    "`api_version` {version} was given, but {} has one API (versions are Slurm's)",
                    A::DESCRIPTOR.kind
                ),
            });
        }
        let state = A::Client::client_state();
        let answers = Answers::of::<A>();
        let headers = A::auth_headers(&config)?;
        let (ctx, base_url, http, state) = Ctx::build(&config, state, answers, headers)?;
        let client = A::client(&config, &base_url, http, state)?;
        Ok(Self {
            inner: Arc::new(Inner { client, ctx }),
        })
    }

    /// The generated client, for everything the facade does not cover.
    pub fn client(&self) -> &A::Client {
        &self.inner.client
    }

    /// What the adapter keeps besides its generated client.
    pub(crate) fn ctx(&self) -> &Ctx {
        &self.inner.ctx
    }

    /// Runs one generated call under the operation time limit and maps its error.
    pub(crate) async fn call<T, E: ErrorBody, F>(&self, call: impl FnOnce() -> F) -> Result<T>
    where
        F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
    {
        self.inner.ctx.call(call).await
    }
}

impl<A: Api> BuildProvider for Provider<A> {
    const KIND: ProviderKind = A::DESCRIPTOR.kind;

    fn from_config(config: ProviderConfig) -> Result<Self> {
        Provider::from_config(config)
    }
}

/// What a descriptor does through its provider's [`Api`]: connect, and read
/// answers without HTTP (what the property tests and fuzz targets drive).
#[derive(Clone, Copy)]
pub(crate) struct ApiFns {
    pub connect: fn(ProviderConfig) -> Result<Arc<dyn JobProvider>>,
    // Read only by the `decoders` feature's methods of `Descriptor`.
    #[cfg_attr(not(feature = "decoders"), allow(dead_code))]
    pub decode_job: fn(&[u8]) -> Result<Job>,
    #[cfg_attr(not(feature = "decoders"), allow(dead_code))]
    pub decode_page: fn(&[u8]) -> Result<Vec<Job>>,
    #[cfg_attr(not(feature = "decoders"), allow(dead_code))]
    pub decode_error: fn(u16, &[u8]) -> Error,
    pub options_from: fn(&OptionValues) -> Result<Option<SharedOptions>>,
}

impl fmt::Debug for ApiFns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiFns")
    }
}

impl ApiFns {
    /// The functions of `A`.
    pub(crate) const fn of<A: Api>() -> Self {
        Self {
            connect: |config| Ok(Arc::new(Provider::<A>::from_config(config)?)),
            decode_job: |bytes| A::read_job(decode::<A, _>(bytes)?, ""),
            decode_page: |bytes| Ok(A::read_page(decode::<A, _>(bytes)?, A::Cursor::default())?.0),
            decode_error: |status, bytes| {
                let body = String::from_utf8_lossy(bytes);
                answer_error(A::DESCRIPTOR.kind, status, &body, Answers::of::<A>(), None)
            },
            options_from: A::options_from,
        }
    }
}

/// An answer's bytes as a generated type, or the error the client reports for them.
fn decode<A: Api, T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| malformed(A::DESCRIPTOR.kind, bytes, e))
}

/// An answer that is not the expected JSON: the parser's reason and a bounded,
/// redacted excerpt of the body.
fn malformed(provider: ProviderKind, bytes: &[u8], e: serde_json::Error) -> Error {
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
fn answer_error(
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

#[async_trait]
impl<A: Api> JobProvider for Provider<A> {
    fn kind(&self) -> ProviderKind {
        A::DESCRIPTOR.kind
    }

    fn capabilities(&self) -> Capabilities {
        A::DESCRIPTOR.capabilities
    }

    async fn get(&self, id: &str) -> Result<Job> {
        check_id(self.kind(), id)?;
        A::read_job(A::fetch_job(self, id).await?, id)
    }

    fn pages(&self, options: &ListOptions) -> BoxStream<'static, Result<Vec<Job>>> {
        let this = self.clone();
        let size = options.page_size;
        paging::pages(
            self.kind(),
            A::Cursor::default(),
            options.max_pages,
            move |cursor| {
                let this = this.clone();
                async move { A::read_page(A::fetch_page(&this, &cursor, size).await?, cursor) }
            },
        )
    }

    async fn cancel(&self, id: &str) -> Result<CancelOutcome> {
        check_id(self.kind(), id)?;
        cancel_via(self, id, A::stop(self, id)).await
    }

    async fn submit(&self, request: &SubmitRequest) -> Result<Job> {
        if !A::DESCRIPTOR.capabilities.submit {
            return Err(Error::unsupported(self.kind(), Operation::Submit));
        }
        request.check_for(self.kind(), &A::DESCRIPTOR.submit)?;
        A::submit(self, request).await
    }

    async fn logs(&self, id: &str) -> Result<Logs> {
        check_id(self.kind(), id)?;
        A::logs(self, id).await
    }

    fn read_logs(&self, logs: Logs, limit: u64) -> BoxStream<'static, Result<bytes::Bytes>> {
        let ctx = self.ctx();
        let fetch = crate::provider::LogFetch {
            provider: ctx.kind,
            client: ctx.unauthenticated.clone(),
            within: ctx.operation_timeout,
            limit,
        };
        fetch.read(logs)
    }

    fn follow_logs(&self, id: &str) -> BoxStream<'static, Result<String>> {
        match check_id(self.kind(), id) {
            Ok(()) => A::follow_logs(self, id),
            Err(e) => futures_util::stream::once(std::future::ready(Err(e))).boxed(),
        }
    }

    fn shared(&self) -> Arc<dyn JobProvider> {
        Arc::new(self.clone())
    }
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
    /// URLs, which go to other hosts); the user's own client where one was given.
    pub unauthenticated: reqwest::Client,
    /// How the provider's error answers are read.
    answers: Answers,
    /// The retry policy and clock, for what the generated client does not do
    /// (today Slurm's lookup of a submit whose answer was lost).
    #[cfg_attr(not(feature = "slurm"), allow(dead_code))]
    pub retry: gpujobs_runtime::RetryPolicy,
    pub clock: Arc<dyn gpujobs_runtime::Clock>,
}

/// How a provider's error answers are read ([`Api::error_message`], [`Api::answer_error`]).
#[derive(Clone, Copy)]
struct Answers {
    message: fn(&str) -> String,
    error: fn(u16, &str) -> Option<Error>,
    is_final: gpujobs_runtime::body::FinalAnswer,
}

impl Answers {
    fn of<A: Api>() -> Self {
        Self {
            message: A::error_message,
            error: A::answer_error,
            is_final: is_final::<A>,
        }
    }
}

/// A 5xx whose body the provider's own error format reads as a failure that
/// will not pass (an unknown job, refused credentials) is not retried.
fn is_final<A: Api>(status: u16, body: &[u8]) -> bool {
    let error = std::str::from_utf8(body)
        .ok()
        .and_then(|body| A::answer_error(status, body));
    error.is_some_and(|error| !error.is_retryable())
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
    fn build(
        config: &ProviderConfig,
        mut state: ClientState,
        answers: Answers,
        auth: reqwest::header::HeaderMap,
    ) -> Result<(Self, String, reqwest::Client, ClientState)> {
        let base_url = config.checked_base_url()?;
        let builder = || {
            reqwest::Client::builder()
                .connect_timeout(config.connect_timeout)
                .timeout(config.attempt_timeout)
                .user_agent(concat!("gpujobs/", env!("CARGO_PKG_VERSION")))
        };
        let built = |builder: reqwest::ClientBuilder| {
            builder.build().map_err(|e| Error::Config {
                provider: config.kind,
                message: format!("cannot build the HTTP client: {e}"),
            })
        };
        let (http, unauthenticated) = match &config.http {
            Some(http) => (http.clone(), http.clone()),
            None => {
                // The client limits each attempt itself: the runtime then sets a
                // request's own limit only near the operation's deadline.
                state = state.with_client_timeout(config.attempt_timeout);
                (built(builder().default_headers(auth))?, built(builder())?)
            }
        };
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
            attempt_timeout: config.attempt_timeout,
            max_response_bytes: config.max_response_bytes,
            answers,
            retry: config.retry.clone(),
            clock: config.clock.clone(),
        };
        Ok((ctx, base_url, http, state))
    }

    /// Runs one generated call under the operation time limit and maps its error.
    ///
    /// `call` makes the generated call's future, which is large (its answer type
    /// lives in it): made here and boxed at once, it is not copied by every
    /// future it would otherwise be passed through (BENCHMARKS.md).
    pub async fn call<T, E: ErrorBody, F>(&self, call: impl FnOnce() -> F) -> Result<T>
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
            E2::InvalidRequest(message) => Error::InvalidRequest {
                provider,
                message,
                source: None,
            },
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
            message: transport_message(&e),
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

/// A transport error's description without its URL (which may carry a token).
fn transport_message(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "could not connect".into()
    } else if e.is_body() || e.is_decode() {
        "the response body was cut short or could not be read".into()
    } else if e.is_request() {
        "the request failed (connection dropped?)".into()
    } else {
        "the exchange failed".into()
    }
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

/// Cancels through the shared protocol: read the job; if it already ended,
/// say so and change nothing; otherwise `stop` it and read it back. `stop`
/// answers whether the provider stopped it.
pub(crate) async fn cancel_via<P, F>(provider: &P, id: &str, stop: F) -> Result<CancelOutcome>
where
    P: JobProvider + ?Sized,
    F: Future<Output = Result<bool>>,
{
    let before = provider.get(id).await?;
    if before.status.is_terminal() {
        return Ok(CancelOutcome::AlreadyEnded(before));
    }
    let stopped = stop.await?;
    let after = provider.get(id).await?;
    match (stopped, after.status.is_terminal()) {
        (_, true) if !stopped => Ok(CancelOutcome::AlreadyEnded(after)),
        (_, true) => Ok(CancelOutcome::Stopped(after)),
        (true, false) => Ok(CancelOutcome::Accepted(after)),
        (false, false) => Err(Error::Conflict {
            provider: provider.kind(),
            message: format!(
                "the provider refused to stop job {id}, which is {}",
                after.status
            ),
            source: None,
        }),
    }
}

/// After a submit refused because its id is taken: the existing job if it is
/// this very job (an earlier attempt whose answer was lost, as `same` judges),
/// otherwise the conflict. This is what makes a keyed submit safe to repeat.
#[allow(dead_code)] // only providers with client-chosen ids use it
pub(crate) async fn adopt_if_same<P: JobProvider + ?Sized>(
    provider: &P,
    id: &str,
    conflict: Error,
    same: impl Fn(&Job) -> bool,
) -> Result<Job> {
    match provider.get(id).await {
        Ok(existing) if same(&existing) => Ok(existing),
        _ => Err(conflict),
    }
}

/// A fresh client-chosen id, for providers that accept one: it makes a
/// submit safe to retry (the provider refuses a second job with the same id).
#[allow(dead_code)] // only providers with client-chosen ids use it
pub(crate) fn fresh_id() -> String {
    format!(
        "gpujobs-{:016x}{:08x}",
        fastrand::u64(..),
        fastrand::u32(..)
    )
}
