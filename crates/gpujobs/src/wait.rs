//! Waiting for jobs: `wait`, `submit_and_wait`, `watch`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::stream::{self, BoxStream, StreamExt};

use gpujobs_runtime::{Clock, SystemClock, backoff};

use crate::error::{Error, Result, TimeoutScope};
use crate::job::Job;
use crate::provider::JobProvider;
use crate::submit::SubmitRequest;

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
    /// Give up after this long, with [`Error::Timeout`] carrying the last job seen.
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
    fn pause(&self, poll: u32) -> Duration {
        let (initial, max) = (self.initial_interval, self.max_interval);
        backoff(initial, max, poll, self.clock.jitter(), 0.5)
    }
}

/// How long past a wait's timeout its last poll may take to answer.
const POLL_GRACE: Duration = Duration::from_secs(2);

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
    /// carries the last job seen). The stream owns what it needs, so it can be
    /// moved into a spawned task.
    fn watch(&self, id: &str, options: &WaitOptions) -> BoxStream<'static, Result<Job>> {
        struct State {
            provider: Arc<dyn JobProvider>,
            id: String,
            options: WaitOptions,
            started: std::time::Instant,
            polls: u32,
            last: Option<Job>,
            done: bool,
        }
        impl State {
            /// Ends the stream with the timeout, carrying the last job seen.
            fn timed_out(&mut self) -> Error {
                self.done = true;
                Error::Timeout {
                    provider: self.provider.kind(),
                    scope: TimeoutScope::Wait,
                    after: self.options.timeout,
                    last_job: self.last.take().map(Box::new),
                }
            }
        }
        let state = State {
            provider: self.shared(),
            id: id.to_owned(),
            started: options.clock.now(),
            options: options.clone(),
            polls: 0,
            last: None,
            done: false,
        };
        stream::unfold(state, |mut state| async move {
            loop {
                if state.done {
                    return None;
                }
                let (options, clock) = (&state.options, &state.options.clock);
                if state.last.is_some() {
                    let elapsed = clock.now().saturating_duration_since(state.started);
                    if elapsed >= options.timeout {
                        return Some((Err(state.timed_out()), state));
                    }
                    let pause = options.pause(state.polls).min(options.timeout - elapsed);
                    clock.sleep(pause).await;
                }
                state.polls += 1;
                // The deadline also bounds the poll itself, so a get that hangs (up to its
                // own request timeout) cannot carry the wait far past `timeout`; the poll
                // made at the deadline still gets `POLL_GRACE` to answer. The poll is
                // network I/O, so its bound is real time, like the request timeout's.
                let remaining = options
                    .timeout
                    .saturating_sub(clock.now().saturating_duration_since(state.started));
                let get = state.provider.get(&state.id);
                let Ok(answer) = tokio::time::timeout(remaining + POLL_GRACE, get).await else {
                    return Some((Err(state.timed_out()), state));
                };
                let job = match answer {
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
        })
        .boxed()
    }
}

impl<P: JobProvider + ?Sized> JobProviderExt for P {}
