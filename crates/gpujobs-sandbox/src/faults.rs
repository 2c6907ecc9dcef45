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
    /// Act on the request at once, then answer after this delay (a client
    /// that dies meanwhile never hears that its job went in).
    SlowAnswer(Duration),
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

impl std::str::FromStr for Fault {
    type Err = String;

    /// A fault by name, as tests and the Python package name them:
    /// `status:503`, `rate_limited:5`, `slow:1.5`, `slow_answer:1.5`, `cut_short`, `drop`,
    /// `drop_answer`, `unknown_status`, `extra_field`, `paging_loop`,
    /// `repeated_cursor`, `duplicate_items`, `huge:BYTES`.
    ///
    /// ```
    /// use gpujobs_sandbox::Fault;
    /// assert_eq!("status:503".parse(), Ok(Fault::Status(503)));
    /// assert_eq!("slow:0.5".parse(), Ok(Fault::Slow(std::time::Duration::from_millis(500))));
    /// assert!("status".parse::<Fault>().unwrap_err().contains("`status:N`"));
    /// assert!("melt".parse::<Fault>().is_err());
    /// ```
    fn from_str(name: &str) -> Result<Self, String> {
        let (kind, value) = name.split_once(':').unwrap_or((name, ""));
        let number = |what: &str| {
            value
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
                .ok_or_else(|| format!("fault `{kind}` takes {what}: `{kind}:N`"))
        };
        Ok(match kind {
            "status" => Fault::Status(number("an HTTP status")? as u16),
            "rate_limited" => Fault::RateLimited {
                retry_after_secs: number("seconds")? as u64,
            },
            "slow" => Fault::Slow(Duration::from_secs_f64(number("seconds")?)),
            "slow_answer" => Fault::SlowAnswer(Duration::from_secs_f64(number("seconds")?)),
            "cut_short" => Fault::CutShort,
            "drop" => Fault::Drop,
            "drop_answer" => Fault::DropAnswer,
            "unknown_status" => Fault::UnknownStatus,
            "extra_field" => Fault::ExtraField,
            "paging_loop" => Fault::PagingLoop,
            "repeated_cursor" => Fault::RepeatedCursor,
            "duplicate_items" => Fault::DuplicateItems,
            "huge" => Fault::Huge {
                bytes: number("a size in bytes")? as u64,
                declared: false,
            },
            other => return Err(format!("no fault `{other}`")),
        })
    }
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
