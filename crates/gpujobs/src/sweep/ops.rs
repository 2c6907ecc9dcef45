//! What is done with a sweep, each step read from the provider so that any
//! of them can be run again after a crash and does nothing twice: submit
//! (the missing tasks only; with `max_running`, the next as one ends),
//! status counts, wait, cancel, retry the failed tasks.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use serde::Serialize;

use super::spec::Sweep;
use super::tasks::SweepTask;
use crate::error::{Error, Operation, Result};
use crate::job::{Job, JobStatus};
use crate::outcome::Cause;
use crate::provider::{CancelOutcome, JobProvider};
use crate::wait::{Ended, JobProviderExt, WaitOptions};

/// What submitting a sweep did to one task, as it happens.
#[derive(Debug)]
#[non_exhaustive]
pub enum SweepEvent {
    /// The provider already had the task (an earlier run submitted it).
    Present(SweepTask),
    /// It was submitted now.
    Submitted(SweepTask),
    /// Its submit failed (it is tried again by the next run).
    Failed {
        /// The task's index.
        index: u64,
        /// Why.
        error: Error,
    },
}

/// What a submit of a sweep did, in all.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SweepReport {
    /// Tasks the provider already had.
    pub present: usize,
    /// Tasks submitted now.
    pub submitted: usize,
    /// Tasks whose submit failed.
    pub failed: usize,
}

/// How far along a sweep is, from the latest attempt of each task the
/// provider has.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SweepStatus {
    /// The sweep.
    pub name: String,
    /// Tasks the provider has.
    pub tasks: usize,
    /// Waiting for resources, or being set up.
    pub queued: usize,
    /// Running (or being canceled).
    pub running: usize,
    /// Succeeded.
    pub succeeded: usize,
    /// Failed, by cause.
    pub failed: BTreeMap<Cause, usize>,
    /// Canceled.
    pub canceled: usize,
    /// In a status gpujobs does not know.
    pub unknown: usize,
}

impl SweepStatus {
    /// Failed tasks, whatever the cause.
    pub fn failed_total(&self) -> usize {
        self.failed.values().sum()
    }

    /// Tasks that have ended.
    pub fn ended(&self) -> usize {
        self.succeeded + self.failed_total() + self.canceled
    }
}

/// Refuses a sweep `provider` cannot submit exactly once.
fn check(provider: &dyn JobProvider, sweep: &Sweep) -> Result<()> {
    if !provider.capabilities().sweeps {
        return Err(Error::unsupported(provider.kind(), Operation::Sweep));
    }
    sweep.check(provider.kind())
}

/// The latest attempt of each task of sweep `name` the provider has, by index.
pub async fn sweep_tasks(
    provider: &dyn JobProvider,
    name: &str,
) -> Result<BTreeMap<u64, SweepTask>> {
    let mut latest: BTreeMap<u64, SweepTask> = BTreeMap::new();
    let mut found = provider.sweep_tasks(name);
    while let Some(task) = found.try_next().await? {
        match latest.get(&task.index) {
            Some(seen) if seen.attempt >= task.attempt => {}
            _ => drop(latest.insert(task.index, task)),
        }
    }
    Ok(latest)
}

/// Submits `sweep`'s tasks the provider does not have yet, each exactly once
/// (a task's id is derived from its index, so a repeated submit adopts the
/// job it made), `submit_concurrency` at a time; on Slurm one array for all
/// of them. With `max_running` on a provider without arrays, only that many
/// run at once: the next is submitted as one ends (watched as `wait_all` does,
/// with `options`), so stopping the submitter pauses the sweep and running it
/// again resumes it. `on_event` hears of each task as it goes.
pub async fn submit_sweep(
    provider: Arc<dyn JobProvider>,
    sweep: &Sweep,
    options: &WaitOptions,
    mut on_event: impl FnMut(&SweepEvent),
) -> Result<SweepReport> {
    check(provider.as_ref(), sweep)?;
    let mut report = SweepReport::default();
    let present = sweep_tasks(provider.as_ref(), &sweep.name).await?;
    let mut running: Vec<String> = Vec::new();
    for task in present.values() {
        if !task.job.status.is_terminal() {
            running.push(task.job.id.clone());
        }
        report.present += 1;
        on_event(&SweepEvent::Present(task.clone()));
    }
    let mut missing: Vec<u64> = sweep
        .tasks
        .indices()
        .filter(|i| !present.contains_key(i))
        .collect();
    if missing.is_empty() {
        return Ok(report);
    }
    if let Some(jobs) = provider.submit_array(sweep, &missing, 0).await? {
        for task in jobs {
            report.submitted += 1;
            on_event(&SweepEvent::Submitted(task));
        }
        return Ok(report);
    }
    let limit = sweep.max_running.map_or(usize::MAX, |n| n as usize);
    while !missing.is_empty() {
        let room = limit.saturating_sub(running.len()).min(missing.len());
        if room == 0 {
            // Wait for one of those running to end, then fill its place.
            let mut ends = provider.wait_all(running.clone(), options);
            match ends.next().await {
                // The wait's time ran out: the rest is for the next run.
                Some((_, Err(timeout @ Error::Timeout { .. }))) => return Err(timeout),
                // Ended, or gone: its place is free.
                Some((id, _)) => running.retain(|r| *r != id),
                None => running.clear(),
            }
            continue;
        }
        let batch: Vec<u64> = missing.drain(..room).collect();
        let mut sent = stream::iter(batch)
            .map(|index| {
                let (provider, request) = (provider.clone(), sweep.task_request(index, 0));
                async move { (index, provider.submit(&request).await) }
            })
            .buffer_unordered(sweep.submit_concurrency);
        while let Some((index, sent)) = sent.next().await {
            let event = match sent {
                Ok(job) => {
                    report.submitted += 1;
                    running.push(job.id.clone());
                    SweepEvent::Submitted(SweepTask::new(index, 0, job))
                }
                Err(error) => {
                    report.failed += 1;
                    SweepEvent::Failed { index, error }
                }
            };
            on_event(&event);
        }
    }
    Ok(report)
}

/// How far along sweep `name` is.
pub async fn sweep_status(provider: &dyn JobProvider, name: &str) -> Result<SweepStatus> {
    let mut status = SweepStatus {
        name: name.to_owned(),
        ..SweepStatus::default()
    };
    for task in sweep_tasks(provider, name).await?.into_values() {
        status.tasks += 1;
        match &task.job.status {
            JobStatus::Queued | JobStatus::Starting => status.queued += 1,
            JobStatus::Running | JobStatus::Canceling => status.running += 1,
            JobStatus::Succeeded => status.succeeded += 1,
            JobStatus::Failed => {
                *status
                    .failed
                    .entry(task.job.cause.unwrap_or(Cause::Unknown))
                    .or_default() += 1
            }
            JobStatus::Canceled => status.canceled += 1,
            _ => status.unknown += 1,
        }
    }
    Ok(status)
}

/// Waits for every task of sweep `name` (its latest attempt) to end: how
/// many tasks there are, and each as it ends (those already ended at once),
/// as [`JobProviderExt::wait_all`] reports them; a sweep the provider has no
/// task of is `NotFound`.
pub async fn wait_sweep(
    provider: Arc<dyn JobProvider>,
    name: &str,
    options: &WaitOptions,
) -> Result<(usize, BoxStream<'static, Ended>)> {
    let tasks = sweep_tasks(provider.as_ref(), name).await?;
    if tasks.is_empty() {
        return Err(Error::not_found(
            provider.kind(),
            format!("no task of sweep {}", crate::text::shorten(name)),
        ));
    }
    let total = tasks.len();
    let (ended, running): (Vec<Job>, Vec<Job>) = tasks
        .into_values()
        .map(|t| t.job)
        .partition(|j| j.status.is_terminal());
    let ended = stream::iter(ended.into_iter().map(|job| (job.id.clone(), Ok(job))));
    let ids: Vec<String> = running.into_iter().map(|j| j.id).collect();
    let waited = match ids.is_empty() {
        true => stream::empty().boxed(),
        false => provider.wait_all(ids, options),
    };
    Ok((total, ended.chain(waited).boxed()))
}

/// Cancels every task of sweep `name` not ended yet: on Slurm one request
/// for each array, elsewhere one a task, 16 at a time. Each task's outcome.
pub async fn cancel_sweep(
    provider: Arc<dyn JobProvider>,
    name: &str,
) -> Result<Vec<(u64, Result<CancelOutcome>)>> {
    let tasks = sweep_tasks(provider.as_ref(), name).await?;
    if tasks.is_empty() {
        return Err(Error::not_found(
            provider.kind(),
            format!("no task of sweep {}", crate::text::shorten(name)),
        ));
    }
    let running: Vec<SweepTask> = tasks
        .into_values()
        .filter(|t| !t.job.status.is_terminal())
        .collect();
    if let Some(outcomes) = provider.cancel_array(&running).await? {
        return Ok(outcomes);
    }
    Ok(stream::iter(running)
        .map(|task| {
            let provider = provider.clone();
            async move { (task.index, provider.cancel(&task.job.id).await) }
        })
        .buffered(16)
        .collect()
        .await)
}

/// Submits again, as a new attempt (`<sweep>-<index>-r<attempt>`, itself
/// exactly once), each task of `sweep` whose latest attempt failed; on Slurm
/// one array for all of them. `on_event` hears of each.
pub async fn retry_failed(
    provider: Arc<dyn JobProvider>,
    sweep: &Sweep,
    mut on_event: impl FnMut(&SweepEvent),
) -> Result<SweepReport> {
    check(provider.as_ref(), sweep)?;
    let tasks = sweep_tasks(provider.as_ref(), &sweep.name).await?;
    let failed: Vec<&SweepTask> = tasks
        .values()
        .filter(|t| t.job.status == JobStatus::Failed)
        .collect();
    let mut report = SweepReport {
        present: tasks.len() - failed.len(),
        ..SweepReport::default()
    };
    // Failed tasks retried together are one attempt further than the furthest of them.
    let attempt = failed.iter().map(|t| t.attempt).max().map_or(1, |a| a + 1);
    let indices: Vec<u64> = failed.iter().map(|t| t.index).collect();
    if indices.is_empty() {
        return Ok(report);
    }
    if let Some(jobs) = provider.submit_array(sweep, &indices, attempt).await? {
        for task in jobs {
            report.submitted += 1;
            on_event(&SweepEvent::Submitted(task));
        }
        return Ok(report);
    }
    // Owned (index, attempt) pairs: a stream over borrowed tasks makes a
    // future that is not `Send` for every lifetime (rustc's HRTB limits).
    let retries: Vec<(u64, u32)> = failed.iter().map(|t| (t.index, t.attempt + 1)).collect();
    let mut sent = stream::iter(retries)
        .map(|(index, attempt)| {
            let (provider, request) = (provider.clone(), sweep.task_request(index, attempt));
            async move { (index, attempt, provider.submit(&request).await) }
        })
        .buffer_unordered(sweep.submit_concurrency);
    while let Some((index, attempt, sent)) = sent.next().await {
        let event = match sent {
            Ok(job) => {
                report.submitted += 1;
                SweepEvent::Submitted(SweepTask::new(index, attempt, job))
            }
            Err(error) => {
                report.failed += 1;
                SweepEvent::Failed { index, error }
            }
        };
        on_event(&event);
    }
    Ok(report)
}
