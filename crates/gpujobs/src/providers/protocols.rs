//! What several providers do the same way: cancel (read, stop, read back),
//! adopt the job of a repeated keyed submit, send again a submit whose answer
//! was lost only after looking for its job, and make fresh client-chosen ids.

use std::future::Future;

use gpujobs_runtime::retry::{Attempts, Next};

use super::http::Ctx;
use crate::error::{Error, Result, TimeoutScope};
use crate::job::Job;
use crate::provider::{CancelOutcome, JobProvider};

/// Cancels through the shared protocol: read the job; if it already ended,
/// say so and change nothing; otherwise `stop` it and read it back. `stop`
/// answers whether the provider stopped it.
pub(crate) async fn cancel_via<P, F>(provider: &P, id: &str, stop: F) -> Result<CancelOutcome>
where
    P: JobProvider + ?Sized,
    F: Future<Output = Result<bool>>,
{
    let before = provider.get(id).await?;
    if before.status.is_terminal() {
        return Ok(CancelOutcome::AlreadyEnded(before));
    }
    let stopped = stop.await?;
    let after = provider.get(id).await?;
    match (stopped, after.status.is_terminal()) {
        (_, true) if !stopped => Ok(CancelOutcome::AlreadyEnded(after)),
        (_, true) => Ok(CancelOutcome::Stopped(after)),
        (true, false) => Ok(CancelOutcome::Accepted(after)),
        (false, false) => Err(Error::Conflict {
            provider: provider.kind(),
            message: format!(
                "the provider refused to stop job {id}, which is {}",
                after.status
            ),
            source: None,
        }),
    }
}

/// After a submit refused because its id is taken: the existing job if it is
/// this very job (an earlier attempt whose answer was lost, as `same` judges),
/// otherwise the conflict. This is what makes a keyed submit safe to repeat.
#[allow(dead_code)] // only providers with client-chosen ids use it
pub(crate) async fn adopt_if_same<P: JobProvider + ?Sized>(
    provider: &P,
    id: &str,
    conflict: Error,
    same: impl Fn(&Job) -> bool,
) -> Result<Job> {
    match provider.get(id).await {
        Ok(existing) if same(&existing) => Ok(existing),
        _ => Err(conflict),
    }
}

/// What [`send_or_find`] ended with.
#[cfg_attr(not(feature = "slurm"), allow(dead_code))]
pub(crate) enum Sent {
    /// The provider's answer: the new job's id.
    Id(String),
    /// The job an earlier attempt made, found after its answer was lost.
    Found(Box<Job>),
}

/// A submit for a provider that has no client-chosen id but whose jobs carry
/// a mark a submit can be found by again (Slurm's comment): `send` it; when
/// its answer may have been lost (`lost` says), `find` the job by its mark
/// before sending again. The attempts, their pauses and the deadline are the
/// runtime's ([`Attempts`], the operation's time limit), so a submit is
/// repeated exactly as any request is, and never after its job was made.
#[cfg_attr(not(feature = "slurm"), allow(dead_code))]
pub(crate) async fn send_or_find<S, F>(
    ctx: &Ctx,
    mut send: impl FnMut() -> S,
    mut find: impl FnMut() -> F,
    lost: fn(&Error) -> bool,
) -> Result<Sent>
where
    S: Future<Output = Result<String>>,
    F: Future<Output = Result<Option<Job>>>,
{
    let mut attempts = Attempts::new(&ctx.retry, &*ctx.clock, Some(ctx.operation_timeout));
    loop {
        let error = match send().await {
            Err(error) if lost(&error) => error,
            sent => return sent.map(Sent::Id),
        };
        if let Some(job) = find().await? {
            return Ok(Sent::Found(Box::new(job)));
        }
        match attempts.next(None) {
            Next::Pause(pause) => ctx.clock.sleep(pause).await,
            Next::Deadline => {
                return Err(Error::Timeout {
                    provider: ctx.kind,
                    scope: TimeoutScope::Operation,
                    after: ctx.operation_timeout,
                    last_job: None,
                });
            }
            Next::Exhausted | Next::TooLong => return Err(error),
        }
    }
}

/// A fresh client-chosen id, for providers that accept one: it makes a
/// submit safe to retry (the provider refuses a second job with the same id).
#[allow(dead_code)] // only providers with client-chosen ids use it
pub(crate) fn fresh_id() -> String {
    format!(
        "gpujobs-{:016x}{:08x}",
        fastrand::u64(..),
        fastrand::u32(..)
    )
}
