//! One error type whose kinds a program can act on.

mod constructors;
mod kinds;

use std::time::Duration;

pub use self::kinds::{ErrorKind, Operation, PagingGuard, TimeoutScope};
use crate::field::Field;
use crate::job::Job;
use crate::registry::ProviderKind;

/// The underlying cause of an error, kept reachable as `source()`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong, by what a caller can do about it.
///
/// Messages name the provider and never contain credentials; provider bodies
/// appear only as a short excerpt with secrets redacted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The job (or another resource) does not exist.
    #[non_exhaustive]
    #[error("{provider}: not found: {message}")]
    NotFound {
        /// The provider.
        provider: ProviderKind,
        /// What the provider said.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The credential is missing, wrong or expired.
    #[non_exhaustive]
    #[error("{provider}: authentication failed: {message}")]
    Unauthenticated {
        /// The provider.
        provider: ProviderKind,
        /// What the provider said, or which variable to set.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The credential is valid but not allowed to do this.
    #[non_exhaustive]
    #[error("{provider}: permission denied: {message}")]
    PermissionDenied {
        /// The provider.
        provider: ProviderKind,
        /// What the provider said.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// Too many requests; try again after `retry_after` if given.
    #[non_exhaustive]
    #[error("{provider}: rate limited{}: {message}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The provider.
        provider: ProviderKind,
        /// How long the provider asked to wait.
        retry_after: Option<Duration>,
        /// What the provider said.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The request was refused as malformed or invalid.
    #[non_exhaustive]
    #[error("{provider}: invalid request: {message}")]
    InvalidRequest {
        /// The provider.
        provider: ProviderKind,
        /// What is wrong.
        message: String,
        /// What the caller set that is wrong, where the message names it (see [`Error::fields`]).
        fields: Box<[Field]>,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The request conflicts with the current state (e.g. the id is taken).
    #[non_exhaustive]
    #[error("{provider}: conflict: {message}")]
    Conflict {
        /// The provider.
        provider: ProviderKind,
        /// What the provider said.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The provider has no way to do this (see [`crate::JobProvider::capabilities`]).
    #[non_exhaustive]
    #[error("{provider} does not support {operation}")]
    Unsupported {
        /// The provider.
        provider: ProviderKind,
        /// The operation.
        operation: Operation,
    },
    /// A time limit fired.
    #[non_exhaustive]
    #[error("{provider}: {scope} timed out after {:.1}s{}", after.as_secs_f64(), last_job.as_ref().map(|j| format!(" (job {} was {})", j.id, j.status)).unwrap_or_default())]
    Timeout {
        /// The provider.
        provider: ProviderKind,
        /// Which limit.
        scope: TimeoutScope,
        /// The limit.
        after: Duration,
        /// For a `wait`, the last state of the job seen.
        last_job: Option<Box<Job>>,
    },
    /// The provider could not be reached, or the connection broke.
    #[non_exhaustive]
    #[error("{provider}: transport error: {message}")]
    Transport {
        /// The provider.
        provider: ProviderKind,
        /// What happened.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// The provider refused with an error not covered above.
    #[non_exhaustive]
    #[error("{provider}: {}{}{message}", status.map(|s| format!("HTTP {s}: ")).unwrap_or_default(), code.as_ref().map(|c| format!("code {c}: ")).unwrap_or_default())]
    Api {
        /// The provider.
        provider: ProviderKind,
        /// The HTTP status, if there was a response.
        status: Option<u16>,
        /// The provider's own error code, if any.
        code: Option<Box<str>>,
        /// What the provider said.
        message: String,
        /// The start of the response body, secrets redacted.
        body: Option<Box<str>>,
        /// The id the provider gave the request (`x-request-id`), if it sent one.
        request_id: Option<Box<str>>,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// An answer could not be read: not the JSON the provider's API says, or
    /// not making sense (a job answer without a job). Not the provider refusing.
    #[non_exhaustive]
    #[error("{provider}: unreadable answer: {message}")]
    Decode {
        /// The provider.
        provider: ProviderKind,
        /// What could not be read, and why.
        message: String,
        /// The start of the response body, secrets redacted.
        body: Option<Box<str>>,
        /// The underlying error.
        #[source]
        source: Option<BoxError>,
    },
    /// An answer was larger than the limit set with `max_response_bytes`
    /// (refused while it streamed in: at most the limit was read).
    #[non_exhaustive]
    #[error("{provider}: the response is larger than {} (the limit; raise it with `max_response_bytes`)", gpujobs_runtime::body::ByteSize(*limit))]
    ResponseTooLarge {
        /// The provider.
        provider: ProviderKind,
        /// The limit, in bytes.
        limit: u64,
    },
    /// Listing stopped because the provider's paging went wrong (it would
    /// otherwise page forever); the jobs before this error were all listed once.
    #[non_exhaustive]
    #[error("{provider}: listing stopped after {pages} pages: {guard}")]
    Paging {
        /// The provider.
        provider: ProviderKind,
        /// Which guard fired.
        guard: PagingGuard,
        /// The pages fetched.
        pages: u32,
    },
    /// The provider is not configured correctly (base URL, plain-http credential, …).
    #[non_exhaustive]
    #[error("{provider}: configuration: {message}")]
    Config {
        /// The provider.
        provider: ProviderKind,
        /// What to fix.
        message: String,
        /// The settings to fix, where the message names them (see [`Error::fields`]).
        fields: Box<[Field]>,
    },
}

impl Error {
    /// The kind of error, for matching without listing every variant.
    ///
    /// ```
    /// use gpujobs::{Error, ErrorKind, ProviderKind};
    /// let error = Error::invalid(ProviderKind::Ray, "no command");
    /// assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Unauthenticated { .. } => ErrorKind::Unauthenticated,
            Self::PermissionDenied { .. } => ErrorKind::PermissionDenied,
            Self::RateLimited { .. } => ErrorKind::RateLimited,
            Self::InvalidRequest { .. } => ErrorKind::InvalidRequest,
            Self::Conflict { .. } => ErrorKind::Conflict,
            Self::Unsupported { .. } => ErrorKind::Unsupported,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::Transport { .. } => ErrorKind::Transport,
            Self::Api { .. } => ErrorKind::Api,
            Self::Decode { .. } => ErrorKind::Decode,
            Self::ResponseTooLarge { .. } => ErrorKind::ResponseTooLarge,
            Self::Paging { .. } => ErrorKind::Paging,
            Self::Config { .. } => ErrorKind::Config,
        }
    }

    /// Whether trying the same call again later may succeed: rate limits, time
    /// limits of one attempt or operation, broken connections, and a provider's
    /// 500, 502, 503 or 504 (gpujobs has already retried these within the
    /// operation's limits where that was safe).
    ///
    /// ```
    /// use gpujobs::{Error, ProviderKind};
    /// assert!(!Error::invalid(ProviderKind::Ray, "no command").is_retryable());
    /// ```
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. } | Self::Transport { .. } => true,
            Self::Timeout { scope, .. } => *scope != TimeoutScope::Wait,
            Self::Api { status, .. } => status.is_some_and(gpujobs_runtime::retry::is_transient),
            _ => false,
        }
    }

    /// The provider the error came from.
    pub fn provider(&self) -> ProviderKind {
        match self {
            Self::NotFound { provider, .. }
            | Self::Unauthenticated { provider, .. }
            | Self::PermissionDenied { provider, .. }
            | Self::RateLimited { provider, .. }
            | Self::InvalidRequest { provider, .. }
            | Self::Conflict { provider, .. }
            | Self::Unsupported { provider, .. }
            | Self::Timeout { provider, .. }
            | Self::Transport { provider, .. }
            | Self::Api { provider, .. }
            | Self::Decode { provider, .. }
            | Self::ResponseTooLarge { provider, .. }
            | Self::Paging { provider, .. }
            | Self::Config { provider, .. } => *provider,
        }
    }

    /// What the caller set that the error is about, where its message names
    /// it (quoted in backticks by its [`Field::name`]): a submit's field or
    /// option a provider cannot honour, a setting to fix, a limit that was
    /// reached. Front ends name each in their own words (the CLI its flag).
    ///
    /// ```
    /// use gpujobs::{Error, Field, ProviderKind, SubmitField};
    /// let error = Error::refused(ProviderKind::Matpool, Field::Submit(SubmitField::Id), "no `id`");
    /// assert_eq!(error.fields(), [Field::Submit(SubmitField::Id)]);
    /// ```
    pub fn fields(&self) -> &[Field] {
        match self {
            Self::InvalidRequest { fields, .. } | Self::Config { fields, .. } => fields,
            Self::ResponseTooLarge { .. } => &[Field::MaxResponseBytes],
            Self::Paging {
                guard: PagingGuard::PageLimit(_),
                ..
            } => &[Field::MaxPages],
            _ => &[],
        }
    }

    /// The message alone, without the provider and kind `Display` puts
    /// before it: for an answer of the provider, what the provider said
    /// (shortened, redacted, terminal-safe); `None` where the error is only
    /// its kind (unsupported, timed out, too large, paging).
    ///
    /// ```
    /// use gpujobs::{Error, ProviderKind};
    /// let error = Error::from_status(ProviderKind::Ray, 500, "boom".into(), None, None);
    /// assert_eq!((error.to_string().as_str(), error.message()), ("ray: HTTP 500: boom", Some("boom")));
    /// ```
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::NotFound { message, .. }
            | Self::Unauthenticated { message, .. }
            | Self::PermissionDenied { message, .. }
            | Self::RateLimited { message, .. }
            | Self::InvalidRequest { message, .. }
            | Self::Conflict { message, .. }
            | Self::Transport { message, .. }
            | Self::Api { message, .. }
            | Self::Decode { message, .. }
            | Self::Config { message, .. } => Some(message),
            _ => None,
        }
    }

    /// The id the provider gave the request, where it sent one (an `Api` error).
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The same error, carrying the id the provider gave the request (kept by `Api` errors).
    pub(crate) fn with_request_id(mut self, id: Option<String>) -> Self {
        if let Self::Api { request_id, .. } = &mut self {
            *request_id = id.map(String::into_boxed_str);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_kinds() {
        let kind = |status| Error::from_status(ProviderKind::Ray, status, "m".into(), None, None);
        assert!(matches!(kind(404), Error::NotFound { .. }));
        assert!(matches!(kind(401), Error::Unauthenticated { .. }));
        assert!(matches!(kind(403), Error::PermissionDenied { .. }));
        assert!(matches!(kind(422), Error::InvalidRequest { .. }));
        assert!(matches!(kind(409), Error::Conflict { .. }));
        assert!(matches!(kind(429), Error::RateLimited { .. }));
        assert!(matches!(
            kind(502),
            Error::Api {
                status: Some(502),
                ..
            }
        ));
    }

    #[test]
    fn retryable_errors_are_the_passing_ones() {
        let api = |status| Error::from_status(ProviderKind::Ray, status, "m".into(), None, None);
        assert!(api(503).is_retryable() && api(429).is_retryable());
        assert!(!api(404).is_retryable() && !api(400).is_retryable());
        assert_eq!(api(404).kind(), ErrorKind::NotFound);
    }
}
