//! One adapter per provider, each mapping its generated client onto
//! [`JobProvider`]: one status mapping, one error mapping, its quirks.
//! What they share lives here.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use gpujobs_runtime::ClientState;
use progenitor_client::{ByteStream, ResponseValue};

use crate::config::{BuildProvider, ProviderConfig};
use crate::error::{Error, Result, TimeoutScope, excerpt};
use crate::job::ProviderKind;
use crate::provider::{CancelOutcome, JobProvider};

#[cfg(feature = "matpool")]
pub mod matpool;
#[cfg(feature = "ppio")]
pub mod ppio;
#[cfg(feature = "ray")]
pub mod ray;
#[cfg(feature = "tensorpool")]
pub mod tensorpool;
#[cfg(feature = "yuanrong")]
pub mod yuanrong;

/// A provider built from the process environment, by kind (see [`ProviderKind::env`]).
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
    fn build<P: BuildProvider + JobProvider + 'static>(
        config: ProviderConfig,
    ) -> Result<Arc<dyn JobProvider>> {
        Ok(Arc::new(P::from_config(config)?))
    }
    match config.kind {
        #[cfg(feature = "ppio")]
        ProviderKind::Ppio => build::<ppio::PpioProvider>(config),
        #[cfg(feature = "yuanrong")]
        ProviderKind::Yuanrong => build::<yuanrong::YuanrongProvider>(config),
        #[cfg(feature = "ray")]
        ProviderKind::Ray => build::<ray::RayProvider>(config),
        #[cfg(feature = "matpool")]
        ProviderKind::Matpool => build::<matpool::MatpoolProvider>(config),
        #[cfg(feature = "tensorpool")]
        ProviderKind::Tensorpool => build::<tensorpool::TensorpoolProvider>(config),
        ProviderKind::Memory => Err(Error::Config {
            provider: ProviderKind::Memory,
            message: "the in-memory provider is built with gpujobs_sandbox::ReferenceProvider"
                .into(),
        }),
        #[allow(unreachable_patterns)]
        other => Err(Error::Config {
            provider: other,
            message: format!("gpujobs was built without the `{other}` feature"),
        }),
    }
}

/// What every adapter keeps besides its generated client.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub kind: ProviderKind,
    pub operation_timeout: Duration,
}

impl Ctx {
    /// Builds the generated client's runtime state and HTTP client from `config`.
    pub fn build(
        config: &ProviderConfig,
        state: ClientState,
    ) -> Result<(Self, String, reqwest::Client, ClientState)> {
        let base_url = config.checked_base_url()?;
        let http = match &config.http {
            Some(http) => http.clone(),
            None => {
                let mut builder = reqwest::Client::builder()
                    .connect_timeout(config.connect_timeout)
                    .user_agent(concat!("gpujobs/", env!("CARGO_PKG_VERSION")));
                if let Some(credential) = &config.credential {
                    let headers =
                        gpujobs_runtime::bearer_headers(credential).map_err(|e| Error::Config {
                            provider: config.kind,
                            message: e.to_string(),
                        })?;
                    builder = builder.default_headers(headers);
                }
                builder.build().map_err(|e| Error::Config {
                    provider: config.kind,
                    message: format!("cannot build the HTTP client: {e}"),
                })?
            }
        };
        let state = state
            .with_retry(config.retry.clone())
            .with_attempt_timeout(config.attempt_timeout)
            .with_operation_timeout(config.operation_timeout)
            .with_max_response_bytes(config.max_response_bytes)
            .with_clock(config.clock.clone())
            .with_jitter(config.jitter.clone());
        let ctx = Ctx {
            kind: config.kind,
            operation_timeout: config.operation_timeout,
        };
        Ok((ctx, base_url, http, state))
    }

    /// Runs one generated call under the operation time limit and maps its error.
    pub async fn call<T, E: ErrorBody>(
        &self,
        call: impl Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
    ) -> Result<T> {
        let started = std::time::Instant::now();
        // A little grace over the runtime's own budget, so its answer wins when it has one.
        match tokio::time::timeout(self.operation_timeout + Duration::from_millis(250), call).await
        {
            Ok(Ok(value)) => Ok(value.into_inner()),
            Ok(Err(error)) => Err(self.error(error, started.elapsed()).await),
            Err(_) => Err(self.timeout(TimeoutScope::Operation)),
        }
    }

    fn timeout(&self, scope: TimeoutScope) -> Error {
        let after = match scope {
            TimeoutScope::Operation => self.operation_timeout,
            _ => Duration::ZERO,
        };
        Error::Timeout {
            provider: self.kind,
            scope,
            after,
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
            E2::InvalidResponsePayload(bytes, e) => Error::Api {
                provider,
                status: None,
                code: None,
                message: format!(
                    "the answer could not be read as the expected JSON: {}",
                    crate::text::terminal_safe(&e.to_string())
                ),
                body: Some(excerpt(&String::from_utf8_lossy(&bytes))),
                source: Some(Box::new(e)),
            },
            E2::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let retry_after = gpujobs_runtime::retry::retry_after(
                    response.headers(),
                    std::time::SystemTime::now(),
                );
                match response.into_inner().message().await {
                    Ok(message) => {
                        let body = excerpt(&message);
                        Error::from_status(provider, status, message, Some(body), retry_after)
                    }
                    Err(e) => self.transport_error(e, elapsed),
                }
            }
            E2::UnexpectedResponse(response) => {
                let status = response.status().as_u16();
                let retry_after = gpujobs_runtime::retry::retry_after(
                    response.headers(),
                    std::time::SystemTime::now(),
                );
                match read_bounded(response.bytes_stream()).await {
                    Ok(body) => {
                        let message = plain_message(&body);
                        Error::from_status(
                            provider,
                            status,
                            message,
                            Some(excerpt(&body)),
                            retry_after,
                        )
                    }
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
            let scope = match elapsed + Duration::from_millis(50) >= self.operation_timeout {
                true => TimeoutScope::Operation,
                false => TimeoutScope::Attempt,
            };
            return Error::Timeout {
                provider,
                scope,
                after: elapsed,
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
        // A Python server's traceback (a real Ray sends them, nested): its last
        // `SomeError: …` line says what happened.
        _ if body
            .trim_start()
            .starts_with("Traceback (most recent call last)") =>
        {
            body.lines()
                .rev()
                .find(|l| is_exception_line(l))
                .unwrap_or(body)
                .trim()
                .to_owned()
        }
        _ => body.trim().to_owned(),
    }
}

/// `ValueError: …`, `ray.exceptions.RaySystemError: …`: a Python exception's line.
fn is_exception_line(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
            && (name.ends_with("Error") || name.ends_with("Exception"))
    })
}

/// A generated error body that can say what went wrong.
#[async_trait]
pub(crate) trait ErrorBody: Send {
    /// The message in the body (reading it can fail for a streamed body).
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
        Ok(plain_message(&read_bounded(self.into_inner()).await?))
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
pub(crate) async fn adopt_if_same<P: JobProvider + ?Sized>(
    provider: &P,
    id: &str,
    conflict: Error,
    same: impl Fn(&crate::job::Job) -> bool,
) -> Result<crate::job::Job> {
    match provider.get(id).await {
        Ok(existing) if same(&existing) => Ok(existing),
        _ => Err(conflict),
    }
}

/// A fresh client-chosen id, for providers that accept one: it makes a
/// submit safe to retry (the provider refuses a second job with the same id).
pub(crate) fn fresh_id() -> String {
    format!(
        "gpujobs-{:016x}{:08x}",
        fastrand::u64(..),
        fastrand::u32(..)
    )
}

/// Ray's status values, which openYuanrong shares.
#[cfg(any(feature = "ray", feature = "yuanrong"))]
pub(crate) fn ray_family_status(raw: &str) -> crate::job::JobStatus {
    use crate::job::JobStatus;
    match raw {
        "PENDING" => JobStatus::Queued,
        "RUNNING" => JobStatus::Running,
        "STOPPED" => JobStatus::Canceled,
        "SUCCEEDED" => JobStatus::Succeeded,
        "FAILED" => JobStatus::Failed,
        other => JobStatus::Unknown(other.to_owned()),
    }
}

#[cfg(all(test, any(feature = "ray", feature = "yuanrong")))]
mod tests {
    use super::ray_family_status;
    use crate::job::JobStatus;

    #[test]
    fn ray_family_statuses_map_value_by_value() {
        let cases = [
            ("PENDING", JobStatus::Queued),
            ("RUNNING", JobStatus::Running),
            ("STOPPED", JobStatus::Canceled),
            ("SUCCEEDED", JobStatus::Succeeded),
            ("FAILED", JobStatus::Failed),
            ("PREEMPTED", JobStatus::Unknown("PREEMPTED".into())),
            ("running", JobStatus::Unknown("running".into())),
        ];
        for (raw, want) in cases {
            assert_eq!(ray_family_status(raw), want, "{raw}");
        }
    }
}
