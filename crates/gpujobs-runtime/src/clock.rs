//! Time and randomness, injectable in one place so tests check retry and
//! polling delays without sleeping.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// A boxed, sendable future, as returned by [`Clock::sleep`].
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The source of time and of jitter for retries, timeouts and waits.
pub trait Clock: Send + Sync + fmt::Debug {
    /// A monotonic instant, for measuring elapsed time.
    fn now(&self) -> Instant;
    /// Wall-clock time, for HTTP-date `Retry-After` values.
    fn wall(&self) -> SystemTime;
    /// Waits for `duration`.
    fn sleep(&self, duration: Duration) -> Sleep;
    /// A fraction in `[0, 1]` that spreads out backoffs (see [`crate::backoff`]).
    fn jitter(&self) -> f64 {
        fastrand::f64()
    }
    /// Whether this clock's time is real time, so that limits counted on it
    /// also bound the time spent waiting on the network. Only [`SystemClock`]'s
    /// is; code that must bound real time guards a clock that is not itself.
    fn is_real_time(&self) -> bool {
        false
    }
}

/// The real clock (tokio's timer).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }

    fn is_real_time(&self) -> bool {
        true
    }
}

/// A clock for tests: sleeping returns at once, advances the clock and is
/// recorded; jitter is fixed (1.0 unless set: every backoff at its full length).
///
/// ```
/// use std::time::Duration;
/// use gpujobs_runtime::{Clock, ManualClock};
/// let clock = ManualClock::new();
/// let start = clock.now();
/// // The sleep is recorded and time advances when it is called; the future is ready at once.
/// drop(clock.sleep(Duration::from_secs(3)));
/// assert_eq!(clock.now() - start, Duration::from_secs(3));
/// assert_eq!(clock.sleeps(), [Duration::from_secs(3)]);
/// ```
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualState>>,
}

#[derive(Debug)]
struct ManualState {
    start: Instant,
    elapsed: Duration,
    wall: SystemTime,
    sleeps: Vec<Duration>,
    jitter: f64,
}

impl ManualClock {
    /// A clock at an arbitrary start, with the wall clock at 2026-01-01T00:00:00Z.
    pub fn new() -> Self {
        let wall = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        Self {
            inner: Arc::new(Mutex::new(ManualState {
                start: Instant::now(),
                elapsed: Duration::ZERO,
                wall,
                sleeps: Vec::new(),
                jitter: 1.0,
            })),
        }
    }

    /// A clock whose wall clock stands at `wall` until advanced (e.g. now,
    /// for times a person reads relative to the real one).
    pub fn at(wall: SystemTime) -> Self {
        let clock = Self::new();
        clock.lock().wall = wall;
        clock
    }

    /// Fixes the jitter fraction (clamped to `[0, 1]`).
    pub fn with_jitter(self, fraction: f64) -> Self {
        self.lock().jitter = fraction.clamp(0.0, 1.0);
        self
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }

    /// Moves time forward without recording a sleep.
    pub fn advance(&self, by: Duration) {
        self.lock().elapsed += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualState> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let state = self.lock();
        state.start + state.elapsed
    }

    fn wall(&self) -> SystemTime {
        let state = self.lock();
        state.wall + state.elapsed
    }

    fn sleep(&self, duration: Duration) -> Sleep {
        let mut state = self.lock();
        state.elapsed += duration;
        state.sleeps.push(duration);
        Box::pin(std::future::ready(()))
    }

    fn jitter(&self) -> f64 {
        self.lock().jitter
    }
}
