//! What several providers do the same way: cancel (read, stop, read back),
//! adopt the job of a repeated keyed submit, and make fresh client-chosen ids.

use std::future::Future;

use crate::error::{Error, Result};
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
