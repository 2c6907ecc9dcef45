//! Which failures are retried, and how long to wait before the next attempt.

use std::time::{Duration, SystemTime};

/// How requests are retried. The defaults suit interactive use against a
/// cloud API: 4 attempts, 200 ms doubling to at most 10 s, full jitter, and a
/// `Retry-After` of at most 30 s honoured (a longer one ends the retries and
/// surfaces as a rate-limit error carrying the server's wait).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 means never retry).
    pub max_attempts: u32,
    /// The backoff cap before the first retry; it doubles per attempt.
    pub initial_backoff: Duration,
    /// The largest backoff cap.
    pub max_backoff: Duration,
    /// The longest `Retry-After` that is waited for.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (from 1): [`backoff`] with full
    /// jitter (anything from zero to the whole step).
    pub fn backoff(&self, retry: u32, jitter: f64) -> Duration {
        backoff(self.initial_backoff, self.max_backoff, retry, jitter, 0.0)
    }
}

/// The attempts of one operation under a [`RetryPolicy`] and a deadline: the
/// one retry engine, which the runtime's requests use and so does any
/// protocol of several requests that must repeat one of them (Slurm's submit
/// whose answer was lost).
///
/// ```
/// use std::time::Duration;
/// use gpujobs_runtime::{Clock, ManualClock, RetryPolicy, retry::{Attempts, Next}};
/// let clock = ManualClock::new();
/// let policy = RetryPolicy { max_attempts: 2, ..RetryPolicy::default() };
/// let mut attempts = Attempts::new(&policy, &clock, Some(Duration::from_secs(60)));
/// assert!(matches!(attempts.next(None), Next::Pause(_)));
/// assert_eq!(attempts.next(None), Next::Exhausted);
/// ```
#[derive(Debug)]
pub struct Attempts<'a> {
    policy: &'a RetryPolicy,
    clock: &'a dyn crate::Clock,
    started: std::time::Instant,
    limit: Option<Duration>,
    attempt: u32,
}

/// What follows a failed attempt ([`Attempts::next`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Pause this long, then try again.
    Pause(Duration),
    /// The policy's attempts are used up.
    Exhausted,
    /// The server asked for a longer pause than the policy waits for.
    TooLong,
    /// The pause would end past the operation's deadline.
    Deadline,
}

impl<'a> Attempts<'a> {
    /// The first attempt of an operation that started now and may take `limit`.
    pub fn new(
        policy: &'a RetryPolicy,
        clock: &'a dyn crate::Clock,
        limit: Option<Duration>,
    ) -> Self {
        Self {
            policy,
            clock,
            started: clock.now(),
            limit,
            attempt: 1,
        }
    }

    /// The attempt under way, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// Whether another attempt may follow this one (its request is worth copying).
    pub fn may_follow(&self) -> bool {
        self.attempt < self.policy.max_attempts
    }

    /// What is left of the operation's time.
    pub fn remaining(&self) -> Option<Duration> {
        let elapsed = self.clock.now().saturating_duration_since(self.started);
        self.limit.map(|limit| limit.saturating_sub(elapsed))
    }

    /// After a failed attempt: the pause before the next one (`hint`, a
    /// server's `Retry-After`, else the policy's backoff with jitter), or why
    /// there is none. Counts the next attempt when there is one.
    pub fn next(&mut self, hint: Option<Duration>) -> Next {
        if !self.may_follow() {
            return Next::Exhausted;
        }
        let pause = match hint {
            Some(wait) if wait > self.policy.max_retry_after => return Next::TooLong,
            Some(wait) => wait,
            None => self.policy.backoff(self.attempt, self.clock.jitter()),
        };
        if self.remaining().is_some_and(|left| pause >= left) {
            return Next::Deadline;
        }
        self.attempt += 1;
        Next::Pause(pause)
    }
}

/// The one exponential backoff that retries and waits share: step `n` (from 1)
/// is `min(max, initial × 2^(n-1))`, of which a `jitter` fraction (in `[0, 1]`)
/// is taken above a `floor` fraction that is always waited.
///
/// ```
/// use std::time::Duration;
/// use gpujobs_runtime::backoff;
/// let s = Duration::from_secs;
/// assert_eq!(backoff(s(1), s(30), 3, 1.0, 0.0), s(4));
/// assert_eq!(backoff(s(1), s(30), 9, 1.0, 0.0), s(30));
/// assert_eq!(backoff(s(1), s(30), 3, 0.0, 0.5), s(2), "never under half the step");
/// ```
pub fn backoff(initial: Duration, max: Duration, step: u32, jitter: f64, floor: f64) -> Duration {
    let full = initial
        .saturating_mul(2u32.saturating_pow(step.saturating_sub(1)))
        .min(max);
    let floor = floor.clamp(0.0, 1.0);
    full.mul_f64(floor + (1.0 - floor) * jitter.clamp(0.0, 1.0))
}

/// The statuses that say "try again later": too many requests, and a
/// server's or a gateway's failure. The one list (the facade's
/// `Error::is_retryable` reads it too).
pub const TRANSIENT_STATUSES: [u16; 5] = [429, 500, 502, 503, 504];

/// Whether `status` is one of [`TRANSIENT_STATUSES`].
pub fn is_transient(status: u16) -> bool {
    TRANSIENT_STATUSES.contains(&status)
}

/// What a failed exchange was, without its text (which may hold the URL and
/// the token in it): the one reading of a `reqwest::Error` that retries,
/// traces and error messages share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// No connection was made: the request never reached the server.
    Connect,
    /// A time limit ran out.
    Timeout,
    /// The answer's body broke off or could not be read.
    Body,
    /// The request failed on the way (a dropped connection).
    Request,
    /// Anything else.
    Other,
}

impl Failure {
    /// The kind of `error`.
    pub fn of(error: &reqwest::Error) -> Self {
        if error.is_connect() {
            Self::Connect
        } else if error.is_timeout() {
            Self::Timeout
        } else if error.is_body() || error.is_decode() {
            Self::Body
        } else if error.is_request() {
            Self::Request
        } else {
            Self::Other
        }
    }

    /// A short name, for traces.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Timeout => "timeout",
            Self::Body => "body",
            Self::Request => "request",
            Self::Other => "other",
        }
    }

    /// What happened, for a person.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Connect => "could not connect",
            Self::Timeout => "the time limit ran out",
            Self::Body => "the response body was cut short or could not be read",
            Self::Request => "the request failed (connection dropped?)",
            Self::Other => "the exchange failed",
        }
    }
}

/// What to do after one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Return this result to the caller.
    Done,
    /// Try again, after the server's `Retry-After` if it sent one.
    Retry(Option<Duration>),
}

/// Decides whether an attempt's outcome is worth retrying.
///
/// `retry_safe` says whether repeating the request cannot do anything twice
/// (an idempotent method, or a request carrying an idempotency key). A request
/// that is not retry-safe is retried only when it provably never reached the
/// server (a connection failure).
pub fn classify(
    result: &reqwest::Result<reqwest::Response>,
    retry_safe: bool,
    now: SystemTime,
) -> Verdict {
    match result {
        Err(e) => match Failure::of(e) {
            Failure::Connect => Verdict::Retry(None),
            // A timeout, a dropped connection, or a body that broke off: the request may have
            // been acted on, so only a request that is safe to repeat is sent again.
            Failure::Timeout | Failure::Request | Failure::Body if retry_safe => {
                Verdict::Retry(None)
            }
            _ => Verdict::Done,
        },
        Ok(response) => match is_transient(response.status().as_u16()) && retry_safe {
            true => Verdict::Retry(retry_after(response.headers(), now)),
            false => Verdict::Done,
        },
    }
}

/// The wait a `Retry-After` header asks for: delay-seconds or an HTTP date.
pub fn retry_after(headers: &reqwest::header::HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_scales_with_jitter() {
        let policy = RetryPolicy::default();
        let full: Vec<u128> = (1..=8)
            .map(|n| policy.backoff(n, 1.0).as_millis())
            .collect();
        assert_eq!(full, [200, 400, 800, 1600, 3200, 6400, 10_000, 10_000]);
        assert_eq!(policy.backoff(3, 0.5), Duration::from_millis(400));
        assert_eq!(policy.backoff(3, 0.0), Duration::ZERO);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600); // 2026-01-01T00:00:00Z
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Thu, 01 Jan 2026 00:00:12 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(12)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 31 Dec 2025 23:00:00 GMT"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }
}
