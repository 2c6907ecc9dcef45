//! How to wait: [`WaitOptions`] (time limit, poll intervals, clock).

use std::sync::Arc;
use std::time::{Duration, Instant};

use gpujobs_runtime::{Clock, SystemClock, backoff};

/// How to wait for a job.
///
/// Polls start at `initial_interval` and double up to `max_interval`
/// ([`gpujobs_runtime::backoff`], the same backoff as retries), each wait
/// jittered between half and the whole interval so many waiters do not poll
/// in step.
///
/// ```
/// use std::time::Duration;
/// use gpujobs::WaitOptions;
/// let options = WaitOptions::default().timeout(Duration::from_secs(600));
/// assert_eq!(options.max_interval, Duration::from_secs(30));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WaitOptions {
    /// Give up after this long, with [`Error::Timeout`](crate::Error::Timeout) carrying the last job seen.
    /// A poll still in flight then has 2 s more to answer, so a provider that hangs
    /// cannot hold the wait past `timeout` + 2 s. (The bound is tokio's timer: wait
    /// on a tokio runtime.)
    pub timeout: Duration,
    /// The first wait between polls.
    pub initial_interval: Duration,
    /// The longest wait between polls.
    pub max_interval: Duration,
    /// The clock and jitter source (tests use `gpujobs_runtime::ManualClock`).
    pub clock: Arc<dyn Clock>,
}

impl Default for WaitOptions {
    /// One hour, polling from 1 s up to 30 s.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(3600),
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            clock: Arc::new(SystemClock),
        }
    }
}

impl WaitOptions {
    /// Sets the overall timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the first and the longest poll interval.
    pub fn intervals(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_interval = initial;
        self.max_interval = max.max(initial);
        self
    }

    /// Uses this clock and jitter source.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The wait before poll number `poll` (from 1).
    pub(crate) fn pause(&self, poll: u32) -> Duration {
        let (initial, max) = (self.initial_interval, self.max_interval);
        backoff(initial, max, poll, self.clock.jitter(), 0.5)
    }
}

impl WaitOptions {
    /// Pauses before poll number `polls + 1` (not before the first); `false`,
    /// at once, when the wait's time has run out instead.
    pub(crate) async fn pause_before(&self, started: Instant, polls: u32) -> bool {
        if polls == 0 {
            return true;
        }
        let elapsed = self.clock.now().saturating_duration_since(started);
        if elapsed >= self.timeout {
            return false;
        }
        self.clock
            .sleep(self.pause(polls).min(self.timeout - elapsed))
            .await;
        true
    }

    /// How long a poll made now may take: the deadline bounds the poll too,
    /// so a request that hangs (up to its own time limit) cannot carry the
    /// wait far past `timeout`; the poll made at the deadline still gets
    /// `POLL_GRACE` to answer. Polls are network I/O, so the bound is real
    /// time, like a request's.
    pub(crate) fn poll_limit(&self, started: Instant) -> Duration {
        let elapsed = self.clock.now().saturating_duration_since(started);
        self.timeout.saturating_sub(elapsed) + POLL_GRACE
    }
}

/// How long past a wait's timeout its last poll may take to answer.
pub(crate) const POLL_GRACE: Duration = Duration::from_secs(2);
