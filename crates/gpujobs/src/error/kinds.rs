//! The small enums an [`Error`](super::Error) is matched by and made of: its
//! kind, the operation it names, the time limit that fired, the paging guard.

use std::fmt;

#[cfg(doc)]
use super::Error;

use serde::Serialize;

/// An operation of [`crate::JobProvider`], as named in [`Error::Unsupported`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Operation {
    /// `get`
    Get,
    /// `list`
    List,
    /// `cancel`
    Cancel,
    /// `submit`
    Submit,
    /// `logs`
    Logs,
    /// `follow_logs`
    FollowLogs,
    /// `statuses`
    Statuses,
    /// Many jobs' whole records at once ([`crate::JobProvider::records`]).
    Records,
    /// Submitting a sweep exactly once ([`crate::sweep`]).
    Sweep,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Get => "get",
            Self::List => "list",
            Self::Cancel => "cancel",
            Self::Submit => "submit",
            Self::Logs => "logs",
            Self::FollowLogs => "following logs",
            Self::Statuses => "many jobs' statuses at once",
            Self::Records => "many jobs' records at once",
            Self::Sweep => "sweeps (submitted exactly once)",
        })
    }
}

/// Which time limit fired.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeoutScope {
    /// One HTTP attempt (connect, send, receive).
    Attempt,
    /// One operation, all its retries and waits included.
    Operation,
    /// A `wait` for a job to end.
    Wait,
}

impl fmt::Display for TimeoutScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::Attempt => "one attempt",
            Self::Operation => "the operation",
            Self::Wait => "waiting for the job",
        })
    }
}

/// Why a listing stopped paging (see [`Error::Paging`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PagingGuard {
    /// The provider sent a page cursor it had sent before.
    RepeatedCursor,
    /// The provider sent a page it had sent before.
    RepeatedPage,
    /// A page held only jobs that were already listed.
    NoNewJobs,
    /// The page limit was reached (`ListOptions::max_pages`).
    PageLimit(u32),
}

impl fmt::Display for PagingGuard {
    /// Why paging stopped, as a sentence; width, fill and alignment apply.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let limit;
        f.pad(match self {
            Self::RepeatedCursor => {
                "the provider sent a page cursor it had sent before (a paging loop)"
            }
            Self::RepeatedPage => "the provider sent a page it had sent before (a paging loop)",
            Self::NoNewJobs => "a page held only jobs already listed (a paging loop)",
            Self::PageLimit(max) => {
                limit = format!("reached the limit of {max} pages (raise it with `max_pages`)");
                &limit
            }
        })
    }
}

/// What kind of error an [`Error`] is, to match on without its fields
/// (see [`Error::kind`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::NotFound`]
    NotFound,
    /// [`Error::Unauthenticated`]
    Unauthenticated,
    /// [`Error::PermissionDenied`]
    PermissionDenied,
    /// [`Error::RateLimited`]
    RateLimited,
    /// [`Error::InvalidRequest`]
    InvalidRequest,
    /// [`Error::Conflict`]
    Conflict,
    /// [`Error::Unsupported`]
    Unsupported,
    /// [`Error::Timeout`]
    Timeout,
    /// [`Error::Transport`]
    Transport,
    /// [`Error::Api`]
    Api,
    /// [`Error::Decode`]
    Decode,
    /// [`Error::ResponseTooLarge`]
    ResponseTooLarge,
    /// [`Error::Paging`]
    Paging,
    /// [`Error::Config`]
    Config,
}

impl fmt::Display for ErrorKind {
    /// The name in snake case (`not_found`); width, fill and alignment apply.
    ///
    /// ```
    /// use gpujobs::ErrorKind;
    /// assert_eq!(format!("[{:<12}]", ErrorKind::NotFound), "[not_found   ]");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Self::NotFound => "not_found",
            Self::Unauthenticated => "unauthenticated",
            Self::PermissionDenied => "permission_denied",
            Self::RateLimited => "rate_limited",
            Self::InvalidRequest => "invalid_request",
            Self::Conflict => "conflict",
            Self::Unsupported => "unsupported",
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::Api => "api",
            Self::Decode => "decode",
            Self::ResponseTooLarge => "response_too_large",
            Self::Paging => "paging",
            Self::Config => "config",
        })
    }
}
