//! Sweeps against the sandbox, on a manual clock: exactly once after a crash
//! part-way through submitting, the limit on tasks running at once kept,
//! status counts equal to the provider's records, cancel and retry of the
//! failed tasks — on every provider that submits sweeps.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::{StreamExt, TryStreamExt};
use gpujobs::sweep::{self, Sweep, SweepEvent, Tasks};
use gpujobs::{Job, JobProvider, JobStatus, ListOptions, ProviderKind, SubmitRequest, WaitOptions};
use gpujobs_runtime::{Clock, ManualClock};
use gpujobs_sandbox::{Sandbox, SandboxConfig, Timing};

/// A task runs 60 s once started (2 s of queue).
fn timing() -> Timing {
    Timing {
        queued: Duration::from_secs(1),
        starting: Duration::from_secs(1),
        running: Duration::from_secs(60),
        cancel: Duration::from_secs(1),
    }
}

async fn sandbox(clock: &ManualClock) -> Sandbox {
    let config = SandboxConfig::default()
        .empty()
        .timing(timing())
        .clock(Arc::new(clock.clone()));
    Sandbox::start(config).await.unwrap()
}

fn options(clock: &ManualClock) -> WaitOptions {
    WaitOptions::default()
        .timeout(Duration::from_secs(6 * 3600))
        .intervals(Duration::from_secs(1), Duration::from_secs(10))
        .clock(Arc::new(clock.clone()))
}

/// Each provider that submits sweeps, and what its tasks need beside the command.
fn sweeping() -> Vec<(ProviderKind, SubmitRequest)> {
    ProviderKind::ALL
        .iter()
        .filter(|k| k.descriptor().capabilities.sweeps)
        .map(|k| {
            (
                *k,
                SubmitRequest::new("python train.py").working_dir("/tmp"),
            )
        })
        .collect()
}

async fn all_jobs(provider: &Arc<dyn JobProvider>) -> Vec<Job> {
    provider
        .list(ListOptions::default())
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sweep_killed_part_way_and_run_again_has_each_task_exactly_once() {
    for (kind, template) in sweeping() {
        let clock = ManualClock::at(SystemTime::now());
        let sandbox = sandbox(&clock).await;
        let provider = sandbox.provider(kind).unwrap();
        // The first run is killed after 20 tasks went in (on Slurm, one array of 20).
        let first = Sweep::new("seeds", template.clone(), Tasks::Range(0..20));
        sweep::submit_sweep(provider.clone(), &first, &options(&clock), |_| {})
            .await
            .unwrap();
        let sweep = Sweep::new("seeds", template, Tasks::Range(0..50));
        let mut events = Vec::new();
        let report = sweep::submit_sweep(provider.clone(), &sweep, &options(&clock), |e| {
            events.push(format!("{e:?}"))
        })
        .await
        .unwrap();
        assert_eq!(
            (report.present, report.submitted, report.failed),
            (20, 30, 0),
            "{kind}"
        );
        // Run again: nothing more.
        let again = sweep::submit_sweep(provider.clone(), &sweep, &options(&clock), |_| {})
            .await
            .unwrap();
        assert_eq!((again.present, again.submitted), (50, 0), "{kind}");
        let tasks = sweep::sweep_tasks(provider.as_ref(), "seeds")
            .await
            .unwrap();
        assert_eq!(
            tasks.keys().copied().collect::<Vec<_>>(),
            (0..50).collect::<Vec<_>>(),
            "{kind}: each index once"
        );
        assert_eq!(
            all_jobs(&provider).await.len(),
            50,
            "{kind}: no second job for any task"
        );
        let sent: Vec<BTreeMap<String, String>> =
            sandbox.jobs(kind).into_iter().map(|j| j.spec.env).collect();
        for index in 0..50u64 {
            let env = sent
                .iter()
                .find(|e| e.get("GPUJOBS_TASK_INDEX") == Some(&index.to_string()));
            let env = env.unwrap_or_else(|| panic!("{kind}: task {index} was not given its index"));
            assert_eq!(env["GPUJOBS_SWEEP"], "seeds", "{kind}");
        }
    }
}

#[tokio::test]
async fn at_most_n_tasks_run_at_once_and_the_counts_are_the_providers() {
    for (kind, template) in sweeping() {
        let clock = ManualClock::at(SystemTime::now());
        let sandbox = sandbox(&clock).await;
        let provider = sandbox.provider(kind).unwrap();
        let sweep = Sweep::new("capped", template, Tasks::Range(0..20)).max_running(4);
        let report = sweep::submit_sweep(provider.clone(), &sweep, &options(&clock), |_| {})
            .await
            .unwrap();
        assert_eq!(report.submitted, 20, "{kind}");
        let (total, ends) = sweep::wait_sweep(provider.clone(), "capped", &options(&clock))
            .await
            .unwrap();
        let ends: Vec<_> = ends.collect().await;
        assert_eq!((total, ends.len()), (20, 20), "{kind}");
        // From the provider's records: never more than 4 running at once.
        let jobs = all_jobs(&provider).await;
        let spans: Vec<(i64, i64)> = jobs
            .iter()
            .map(|j| {
                (
                    j.started_at.unwrap().timestamp(),
                    j.finished_at.unwrap().timestamp(),
                )
            })
            .collect();
        let most = spans
            .iter()
            .map(|(at, _)| spans.iter().filter(|(s, e)| s <= at && at < e).count())
            .max();
        assert!(most.is_some_and(|m| m <= 4), "{kind}: {most:?} ran at once");
        let status = sweep::sweep_status(provider.as_ref(), "capped")
            .await
            .unwrap();
        let succeeded = jobs
            .iter()
            .filter(|j| j.status == JobStatus::Succeeded)
            .count();
        assert_eq!(
            (status.tasks, status.succeeded),
            (20, succeeded),
            "{kind}: {status:?}"
        );
    }
}

#[tokio::test]
async fn cancel_and_retry_the_failed_tasks_do_what_they_say() {
    for (kind, template) in sweeping() {
        let clock = ManualClock::at(SystemTime::now());
        let sandbox = sandbox(&clock).await;
        let provider = sandbox.provider(kind).unwrap();
        let mut failing = template.clone();
        failing.command = "python train.py; exit 3".into();
        let sweep = Sweep::new(
            "flaky",
            failing,
            Tasks::Params(
                (0..6)
                    .map(|n| BTreeMap::from([("LR".to_owned(), format!("0.{n}"))]))
                    .collect(),
            ),
        );
        sweep::submit_sweep(provider.clone(), &sweep, &options(&clock), |_| {})
            .await
            .unwrap();
        clock.advance(Duration::from_secs(120));
        let status = sweep::sweep_status(provider.as_ref(), "flaky")
            .await
            .unwrap();
        assert_eq!(
            (status.tasks, status.failed_total()),
            (6, 6),
            "{kind}: {status:?}"
        );
        assert_eq!(
            status.failed.get(&gpujobs::Cause::ExitCode),
            Some(&6),
            "{kind}"
        );
        let mut retried = Vec::new();
        let report = sweep::retry_failed(provider.clone(), &sweep, |e| {
            if let SweepEvent::Submitted(task) = e {
                retried.push((task.index, task.attempt));
            }
        })
        .await
        .unwrap();
        assert_eq!(report.submitted, 6, "{kind}");
        assert!(
            retried.iter().all(|(_, attempt)| *attempt == 1),
            "{kind}: {retried:?}"
        );
        // Retried again while the retries run: they have not failed yet, nothing is sent.
        let again = sweep::retry_failed(provider.clone(), &sweep, |_| {})
            .await
            .unwrap();
        assert_eq!(again.submitted, 0, "{kind}");
        let outcomes = sweep::cancel_sweep(provider.clone(), "flaky")
            .await
            .unwrap();
        assert_eq!(outcomes.len(), 6, "{kind}: the six retries are canceled");
        clock.advance(Duration::from_secs(10));
        let status = sweep::sweep_status(provider.as_ref(), "flaky")
            .await
            .unwrap();
        assert_eq!(
            (status.tasks, status.canceled),
            (6, 6),
            "{kind}: {status:?}"
        );
        assert_eq!(
            all_jobs(&provider).await.len(),
            12,
            "{kind}: 6 first attempts and 6 retries"
        );
    }
}

#[tokio::test]
async fn a_provider_that_cannot_submit_a_sweep_exactly_once_refuses_it() {
    let clock = ManualClock::at(SystemTime::now());
    let sandbox = sandbox(&clock).await;
    let matpool = sandbox.provider(ProviderKind::Matpool).unwrap();
    let sweep = Sweep::new("nope", SubmitRequest::new("x"), Tasks::Range(0..3));
    let error = sweep::submit_sweep(matpool, &sweep, &options(&clock), |_| {})
        .await
        .unwrap_err();
    assert_eq!(error.kind(), gpujobs::ErrorKind::Unsupported, "{error}");
    assert!(
        sandbox.requests().iter().all(|r| r.method != "POST"),
        "nothing was sent"
    );
    let _ = clock.now();
}

/// Slurm's tasks as slurmctld holds them on each release: the ones pending
/// together are one record, started ones their own jobs, and `jobs/state`
/// (24.11 on) writes a started task as `<its own id>_I` — every task is still
/// known by its `A_I`, and an array Slurm cannot make is refused, not retried.
#[tokio::test]
async fn slurm_array_tasks_are_known_by_their_index_on_every_release() {
    use gpujobs::Error;
    use gpujobs_sandbox::SlurmRelease;
    for release in [
        SlurmRelease::V22_05,
        SlurmRelease::V24_11,
        SlurmRelease::V26_05,
    ] {
        let clock = ManualClock::at(SystemTime::now());
        let config = SandboxConfig::default()
            .empty()
            .timing(timing())
            .clock(Arc::new(clock.clone()))
            .slurm_release(release);
        let sandbox = Sandbox::start(config).await.unwrap();
        let provider = sandbox.provider(ProviderKind::Slurm).unwrap();
        let template = SubmitRequest::new("python train.py").working_dir("/tmp");
        let sweep = Sweep::new("held", template.clone(), Tasks::Range(0..6)).max_running(2);
        sweep::submit_sweep(provider.clone(), &sweep, &options(&clock), |_| {})
            .await
            .unwrap();
        clock.advance(Duration::from_secs(5)); // two running, four pending together
        let tasks = sweep::sweep_tasks(provider.as_ref(), "held").await.unwrap();
        let ids: Vec<String> = tasks.values().map(|t| t.job.id.clone()).collect();
        assert_eq!(ids.len(), 6, "{release:?}: {ids:?}");
        // 22.05 has no `jobs/state`: each task is asked on its own.
        let brief = match release {
            SlurmRelease::V22_05 => {
                futures_util::future::try_join_all(ids.iter().map(|id| provider.get(id)))
                    .await
                    .unwrap()
            }
            _ => provider.statuses(&ids).await.unwrap(),
        };
        let mut statuses: Vec<(String, JobStatus)> =
            brief.into_iter().map(|j| (j.id, j.status)).collect();
        statuses.sort_by(|a, b| a.0.cmp(&b.0));
        let array = ids[0].split_once('_').unwrap().0.to_owned();
        let want: Vec<(String, JobStatus)> = (0..6)
            .map(|i| {
                let status = if i < 2 {
                    JobStatus::Running
                } else {
                    JobStatus::Queued
                };
                (format!("{array}_{i}"), status)
            })
            .collect();
        assert_eq!(statuses, want, "{release:?}");
        assert_eq!(
            provider.get(&format!("{array}_4")).await.unwrap().status,
            JobStatus::Queued
        );

        // Above MaxArraySize (1001 by default): slurmctld's 2081, once.
        let before = sandbox.requests().len();
        let big = Sweep::new("big", template, Tasks::Range(0..2000));
        let refused = sweep::submit_sweep(provider.clone(), &big, &options(&clock), |_| {})
            .await
            .unwrap_err();
        assert!(
            matches!(refused, Error::InvalidRequest { .. }),
            "{release:?}: {refused:?}"
        );
        assert!(
            refused
                .to_string()
                .contains("Invalid job array specification"),
            "{refused}"
        );
        let posts = sandbox.requests()[before..]
            .iter()
            .filter(|r| r.method == "POST")
            .count();
        assert_eq!(posts, 1, "{release:?}: a refused submit is not sent again");
    }
}
