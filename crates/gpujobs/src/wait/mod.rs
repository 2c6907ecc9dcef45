//! Waiting for jobs: `wait`, `submit_and_wait`, `watch`, and many jobs at
//! once (`wait_all`, in `many.rs`), all polling as [`WaitOptions`] says.

mod many;
mod options;

use std::sync::Arc;

use async_trait::async_trait;
use futures_util::stream::{self, BoxStream, StreamExt};

use crate::error::{Error, Result, TimeoutScope};
use crate::job::Job;
use crate::provider::JobProvider;
use crate::submit::SubmitRequest;
pub use many::Ended;
pub use options::WaitOptions;

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

    /// Waits for many jobs at once, yielding each one's end as soon as a poll
    /// sees it: `(id, Ok(job))` in its final state (succeeded, failed or
    /// canceled), or `(id, Err(…))` — [`Error::NotFound`] for a job the
    /// provider no longer knows (Slurm forgets ended jobs after `MinJobAge`),
    /// [`Error::Timeout`] with the last record seen for each job still running
    /// when `options.timeout` runs out (without its `raw` provider record, to
    /// keep a sweep's memory small), or a get's own error. Each id is
    /// reported once; the stream ends after the last.
    ///
    /// Polls follow `options` as [`wait`](JobProviderExt::wait) does, and each
    /// costs what is cheapest for the jobs still running: one listing when it
    /// covers them for less than a get each (a listing is tried once there
    /// are 32 jobs or more, 100 jobs a page; a listing too large or failing is not tried
    /// again), otherwise a get each, 16 at a time.
    ///
    /// ```no_run
    /// # async fn f(provider: &dyn gpujobs::JobProvider) {
    /// use futures_util::StreamExt;
    /// use gpujobs::{JobProviderExt, WaitOptions};
    /// let mut ends = provider.wait_all(["a", "b", "c"], &WaitOptions::default());
    /// while let Some((id, end)) = ends.next().await {
    ///     match end {
    ///         Ok(job) => println!("{id}: {}", job.status),
    ///         Err(e) => println!("{id}: {e}"),
    ///     }
    /// }
    /// # }
    /// ```
    fn wait_all<I, S>(&self, ids: I, options: &WaitOptions) -> BoxStream<'static, Ended>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let ids: Vec<String> = ids.into_iter().map(Into::into).collect();
        many::wait_all(self.shared(), ids, options)
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
                if !state.options.pause_before(state.started, state.polls).await {
                    return Some((Err(state.timed_out()), state));
                }
                state.polls += 1;
                let limit = state.options.poll_limit(state.started);
                let get = state.provider.get(&state.id);
                let Ok(answer) = tokio::time::timeout(limit, get).await else {
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
