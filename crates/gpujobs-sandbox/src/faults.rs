//! Faults a test can switch on, per provider, per job, per method.

use std::time::Duration;

use gpujobs::ProviderKind;

/// Something going wrong, as a real provider might.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this HTTP status (e.g. 500, 502, 503) instead of the real answer.
    Status(u16),
    /// Answer 429 with `Retry-After` in seconds.
    RateLimited {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// Answer after this delay.
    Slow(Duration),
    /// Send the headers and half the body, then break the connection.
    CutShort,
    /// Close the connection without answering.
    Drop,
    /// Act on the request, then close the connection without answering (the
    /// answer is lost on the way back).
    DropAnswer,
    /// Answer a job with a status value the provider does not document.
    UnknownStatus,
    /// Answer with an extra field the spec does not have.
    ExtraField,
    /// List answers page in circles: every page holds the first page's jobs
    /// and promises one more page (Matpool's `numPages` keeps growing; PPIO
    /// sends a new cursor each time).
    PagingLoop,
    /// List answers hand back the cursor they were sent (cursor-paged providers).
    RepeatedCursor,
    /// List answers hold every job twice.
    DuplicateItems,
    /// Answer with a body of this many bytes (a JSON string of spaces), sent
    /// without a `Content-Length` unless `declared`.
    Huge {
        /// The body's size.
        bytes: u64,
        /// Send a `Content-Length`.
        declared: bool,
    },
}

/// When a [`Fault`] applies.
///
/// ```
/// use gpujobs::ProviderKind;
/// use gpujobs_sandbox::{Fault, FaultRule};
/// // The next two requests to Ray about job `j-1` get a 503.
/// let rule = FaultRule::new(Fault::Status(503)).provider(ProviderKind::Ray).job("j-1").times(2);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    /// The fault.
    pub fault: Fault,
    /// Only this provider (all when `None`).
    pub provider: Option<ProviderKind>,
    /// Only requests about this job id (in the path or the `id` query parameter).
    pub job: Option<String>,
    /// Only this HTTP method.
    pub method: Option<String>,
    /// How many requests it applies to (always when `None`).
    pub times: Option<u32>,
}

impl FaultRule {
    /// A fault for every request, until narrowed.
    pub fn new(fault: Fault) -> Self {
        Self {
            fault,
            provider: None,
            job: None,
            method: None,
            times: None,
        }
    }

    /// Only for this provider.
    pub fn provider(mut self, provider: ProviderKind) -> Self {
        self.provider = Some(provider);
        self
    }

    /// Only for requests about this job.
    pub fn job(mut self, id: impl Into<String>) -> Self {
        self.job = Some(id.into());
        self
    }

    /// Only for this method (`"POST"`, …).
    pub fn method(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }

    /// Only for the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = Some(n);
        self
    }

    pub(crate) fn matches(&self, provider: ProviderKind, method: &str, ids: &[&str]) -> bool {
        self.provider.is_none_or(|p| p == provider)
            && self.method.as_deref().is_none_or(|m| m == method)
            && self.job.as_deref().is_none_or(|j| ids.contains(&j))
            && self.times != Some(0)
    }
}
