//! Outcomes that never vanish, against the sandbox on a manual clock, on
//! every Slurm release: slurmctld forgets an ended job after `MinJobAge`
//! (300 s by default), and accounting (slurmdbd) still knows it — `get`,
//! `wait`, `wait_all` and `list` with a window read it there, with its cause
//! and usage. Without accounting, as before: not found.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::{StreamExt, TryStreamExt};
use gpujobs::{
    Cause, Error, Job, JobProvider, JobProviderExt, JobStatus, ListOptions, ProviderKind,
    SubmitRequest, WaitOptions,
};
use gpujobs_runtime::{Clock, ManualClock};
use gpujobs_sandbox::{Sandbox, SandboxConfig, SlurmRelease, Timing};

const KIND: ProviderKind = ProviderKind::Slurm;

/// Slurm's default `MinJobAge`.
const MIN_JOB_AGE: Duration = Duration::from_secs(300);

/// Jobs start within 2 s and run 30 s (`sleep infinity` until canceled or its limit).
fn timing() -> Timing {
    Timing {
        queued: Duration::from_secs(1),
        starting: Duration::from_secs(1),
        running: Duration::from_secs(30),
        cancel: Duration::from_secs(1),
    }
}

async fn sandbox(release: SlurmRelease, accounting: bool, clock: &ManualClock) -> Sandbox {
    let config = SandboxConfig::default()
        .empty()
        .timing(timing())
        .clock(Arc::new(clock.clone()))
        .slurm_release(release)
        .slurm_min_job_age(MIN_JOB_AGE)
        .slurm_accounting(accounting);
    Sandbox::start(config).await.unwrap()
}

/// The four ends the issue names: exit 3, canceled, killed by a 1-minute
/// time limit, succeeded; `(job, expected status, exit code, cause)`.
async fn four_ends(
    slurm: &Arc<dyn JobProvider>,
    clock: &ManualClock,
) -> Vec<(String, JobStatus, Option<i64>, Option<Cause>)> {
    let at = |command: &str| SubmitRequest::new(command).working_dir("/tmp");
    let failed = slurm.submit(&at("python train.py; exit 3")).await.unwrap();
    let canceled = slurm.submit(&at("sleep infinity")).await.unwrap();
    let limited = gpujobs::slurm::SlurmOptions::default().time_limit(Duration::from_secs(60));
    let timed_out = slurm
        .submit(&at("sleep infinity").options(limited))
        .await
        .unwrap();
    let ok = slurm.submit(&at("python train.py")).await.unwrap();
    clock.advance(Duration::from_secs(5));
    slurm.cancel(&canceled.id).await.unwrap();
    vec![
        (failed.id, JobStatus::Failed, Some(3), Some(Cause::ExitCode)),
        (
            canceled.id,
            JobStatus::Canceled,
            None,
            Some(Cause::Canceled),
        ),
        (
            timed_out.id,
            JobStatus::Failed,
            None,
            Some(Cause::TimeLimit),
        ),
        (ok.id, JobStatus::Succeeded, Some(0), None),
    ]
}

/// `job` ended as expected, its cause and usage told (22.05's accounting
/// sends a failed job's exit code as 0: it is left unknown there).
fn check(
    job: &Job,
    release: SlurmRelease,
    status: &JobStatus,
    code: Option<i64>,
    cause: Option<Cause>,
) {
    assert_eq!(
        (&job.status, job.cause),
        (status, cause),
        "{release:?}: {job}"
    );
    let code = code.filter(|c| *c == 0 || release != SlurmRelease::V22_05);
    if status != &JobStatus::Canceled {
        assert_eq!(job.exit_code, code, "{release:?}: {job}");
    }
    let usage = job
        .usage
        .as_ref()
        .unwrap_or_else(|| panic!("{release:?}: no usage: {job}"));
    assert!(
        usage.elapsed.is_some() && usage.cpus == Some(1.0),
        "{release:?}: {usage:?}"
    );
    assert_eq!(usage.nodes.as_deref(), Some("sandbox-node"), "{release:?}");
    let json = serde_json::to_value(job).unwrap();
    assert_eq!(
        json["cause"],
        serde_json::to_value(cause).unwrap(),
        "{release:?}: `cause` in JSON"
    );
}

/// Six minutes after the four ended: slurmctld has forgotten them.
fn six_minutes_later(clock: &ManualClock) {
    clock.advance(Duration::from_secs(120 + 360));
}

fn options(clock: &ManualClock) -> WaitOptions {
    WaitOptions::default()
        .timeout(Duration::from_secs(3600))
        .intervals(Duration::from_secs(1), Duration::from_secs(30))
        .clock(Arc::new(clock.clone()))
}

#[tokio::test]
async fn get_and_wait_read_a_forgotten_job_from_accounting_on_every_release() {
    for release in SlurmRelease::ALL {
        let clock = ManualClock::at(SystemTime::now());
        let sandbox = sandbox(release, true, &clock).await;
        let slurm = sandbox.provider(KIND).unwrap();
        let ends = four_ends(&slurm, &clock).await;
        six_minutes_later(&clock);
        for (id, status, code, cause) in &ends {
            let job = slurm
                .get(id)
                .await
                .unwrap_or_else(|e| panic!("{release:?}: get {id}: {e}"));
            check(&job, release, status, *code, *cause);
            let waited = slurm.wait(id, &options(&clock)).await.unwrap();
            check(&waited, release, status, *code, *cause);
        }
        let requests = sandbox.requests();
        assert!(
            requests.iter().any(|r| r.path.starts_with("/slurmdb/")),
            "{release:?}: read from accounting"
        );
    }
}

#[tokio::test]
async fn wait_all_reads_jobs_that_ended_while_the_waiter_was_down() {
    for release in SlurmRelease::ALL {
        let clock = ManualClock::at(SystemTime::now());
        let sandbox = sandbox(release, true, &clock).await;
        let slurm = sandbox.provider(KIND).unwrap();
        let ends = four_ends(&slurm, &clock).await;
        // One more still running, so the sweep is waited for, not only looked up.
        let running = slurm
            .submit(&SubmitRequest::new("python long.py").working_dir("/tmp"))
            .await
            .unwrap();
        six_minutes_later(&clock);
        let mut ids: Vec<String> = ends.iter().map(|(id, ..)| id.clone()).collect();
        ids.push(running.id.clone());
        let mut seen: Vec<(String, gpujobs::Result<Job>)> = slurm
            .wait_all(ids.clone(), &options(&clock))
            .collect()
            .await;
        seen.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(seen.len(), ids.len(), "{release:?}");
        for (id, status, code, cause) in &ends {
            let (_, job) = seen.iter().find(|(i, _)| i == id).unwrap();
            let job = job.as_ref().unwrap_or_else(|e| {
                panic!("{release:?}: {id}: {e} (was NotFound before accounting)")
            });
            check(job, release, status, *code, *cause);
        }
    }
}

#[tokio::test]
async fn a_window_over_ended_jobs_lists_the_forgotten_ones() {
    for release in SlurmRelease::ALL {
        let clock = ManualClock::at(SystemTime::now());
        let sandbox = sandbox(release, true, &clock).await;
        let slurm = sandbox.provider(KIND).unwrap();
        let since: chrono::DateTime<chrono::Utc> = clock.wall().into();
        let ends = four_ends(&slurm, &clock).await;
        six_minutes_later(&clock);
        let listed: Vec<Job> = slurm
            .list(ListOptions::default())
            .try_collect()
            .await
            .unwrap();
        assert!(
            listed.is_empty(),
            "{release:?}: slurmctld alone knows none of them"
        );
        let window = ListOptions::default().ended_since(since - chrono::TimeDelta::minutes(1));
        let listed: Vec<Job> = slurm.list(window).try_collect().await.unwrap();
        for (id, status, ..) in &ends {
            let job = listed
                .iter()
                .find(|j| &j.id == id)
                .unwrap_or_else(|| panic!("{release:?}: {id} not listed"));
            assert_eq!(&job.status, status, "{release:?}");
        }
        let later = ListOptions::default().ended_since(clock.wall().into());
        let listed: Vec<Job> = slurm.list(later).try_collect().await.unwrap();
        assert!(
            listed.is_empty(),
            "{release:?}: none ended in a window after them: {listed:?}"
        );
    }
}

#[tokio::test]
async fn without_accounting_a_forgotten_job_is_not_found_as_before() {
    let clock = ManualClock::at(SystemTime::now());
    let sandbox = sandbox(SlurmRelease::V26_05, false, &clock).await;
    let slurm = sandbox.provider(KIND).unwrap();
    let ends = four_ends(&slurm, &clock).await;
    let (id, ..) = &ends[0];
    clock.advance(Duration::from_secs(60));
    let job = slurm.get(id).await.unwrap();
    assert_eq!(
        job.cause,
        Some(Cause::ExitCode),
        "known while slurmctld keeps it"
    );
    six_minutes_later(&clock);
    for _ in 0..2 {
        let error = slurm.get(id).await.unwrap_err();
        assert!(matches!(error, Error::NotFound { .. }), "{error}");
    }
    let accounting = sandbox
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/slurmdb/"))
        .count();
    assert_eq!(
        accounting, 0,
        "its /openapi/v3 says it has none: never asked"
    );
}

#[tokio::test]
async fn a_pinned_version_learns_there_is_no_accounting_once() {
    let clock = ManualClock::at(SystemTime::now());
    let sandbox = sandbox(SlurmRelease::V24_11, false, &clock).await;
    let mut config = sandbox.provider_config(KIND);
    config.setting("api_version", "v0.0.42");
    let slurm = gpujobs::connect(config).unwrap();
    let ends = four_ends(&slurm, &clock).await;
    six_minutes_later(&clock);
    for (id, ..) in &ends {
        assert!(matches!(slurm.get(id).await, Err(Error::NotFound { .. })));
    }
    let accounting = sandbox
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/slurmdb/"))
        .count();
    assert_eq!(accounting, 1, "asked once, its 404 remembered");
}
