//! Waiting for jobs: `wait`, `submit_and_wait`, `watch`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream::{self, BoxStream, StreamExt};

use gpujobs_runtime::{Clock, Jitter, RandomJitter, SystemClock};

use crate::error::{Error, Result, TimeoutScope};
use crate::job::Job;
use crate::provider::{JobProvider, SubmitRequest};

/// How to wait for a job.
///
/// Polls start at `initial_interval` and double up to `max_interval`, each
/// wait jittered between half and the whole interval so many waiters do not
/// poll in step.
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
    /// Give up after this long, with [`Error::Timeout`] carrying the last job seen.
    pub timeout: Duration,
    /// The first wait between polls.
    pub initial_interval: Duration,
    /// The longest wait between polls.
    pub max_interval: Duration,
    /// The clock (tests use `gpujobs_runtime::ManualClock`).
    pub clock: Arc<dyn Clock>,
    /// The jitter source.
    pub jitter: Arc<dyn Jitter>,
}

impl Default for WaitOptions {
    /// One hour, polling from 1 s up to 30 s.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(3600),
            initial_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(30),
            clock: Arc::new(SystemClock),
            jitter: Arc::new(RandomJitter),
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

    /// Uses this clock and jitter.
    pub fn clock(mut self, clock: Arc<dyn Clock>, jitter: Arc<dyn Jitter>) -> Self {
        self.clock = clock;
        self.jitter = jitter;
        self
    }
}

/// `wait`, `submit_and_wait` and `watch`, for every [`JobProvider`].
#[async_trait]
pub trait JobProviderExt: JobProvider {
    /// Polls until the job ends and returns it in its final state — succeeded,
    /// failed or canceled alike (check `status`). An unknown status is not an
    /// end. Times out with [`Error::Timeout`] (scope `Wait`) carrying the last
    /// job seen.
    async fn wait(&self, id: &str, options: &WaitOptions) -> Result<Job> {
        let mut watch = self.watch(id, options);
        let mut last = None;
        while let Some(job) = watch.next().await {
            let job = job?;
            if job.status.is_terminal() {
                return Ok(job);
            }
            last = Some(job);
        }
        Err(Error::bad_answer(
            self.kind(),
            format!("stopped watching job {id} before it ended ({last:?})"),
        ))
    }

    /// Submits a job and waits for it to end.
    async fn submit_and_wait(&self, request: &SubmitRequest, options: &WaitOptions) -> Result<Job> {
        let job = self.submit(request).await?;
        match job.status.is_terminal() {
            true => Ok(job),
            false => self.wait(&job.id, options).await,
        }
    }

    /// A stream of the job each time its status changes (the first poll
    /// included), ending after a terminal status or with an error (a timeout
    /// carries the last job seen).
    fn watch<'a>(&'a self, id: &'a str, options: &'a WaitOptions) -> BoxStream<'a, Result<Job>> {
        struct State {
            started: std::time::Instant,
            interval: Duration,
            last: Option<Job>,
            done: bool,
        }
        let clock = options.clock.clone();
        let state = State {
            started: clock.now(),
            interval: options.initial_interval,
            last: None,
            done: false,
        };
        stream::unfold(state, move |mut state| {
            let clock = clock.clone();
            async move {
                loop {
                    if state.done {
                        return None;
                    }
                    if state.last.is_some() {
                        let elapsed = clock.now().saturating_duration_since(state.started);
                        if elapsed >= options.timeout {
                            state.done = true;
                            let error = Error::Timeout {
                                provider: self.kind(),
                                scope: TimeoutScope::Wait,
                                after: options.timeout,
                                last_job: state.last.take().map(Box::new),
                            };
                            return Some((Err(error), state));
                        }
                        let half = state.interval / 2;
                        let pause = (half + half.mul_f64(options.jitter.fraction()))
                            .min(options.timeout - elapsed);
                        clock.sleep(pause).await;
                        state.interval = (state.interval * 2).min(options.max_interval);
                    }
                    let job = match self.get(id).await {
                        Ok(job) => job,
                        Err(e) => {
                            state.done = true;
                            return Some((Err(e), state));
                        }
                    };
                    let changed = state
                        .last
                        .as_ref()
                        .is_none_or(|last| last.status != job.status);
                    state.done = job.status.is_terminal();
                    state.last = Some(job.clone());
                    if changed {
                        return Some((Ok(job), state));
                    }
                }
            }
        })
        .boxed()
    }
}

impl<P: JobProvider + ?Sized> JobProviderExt for P {}
