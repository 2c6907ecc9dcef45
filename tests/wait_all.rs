//! Waiting for many jobs at once (`JobProviderExt::wait_all`) against the
//! sandbox, on one manual clock shared by the sandbox and the waiter: jobs
//! move exactly as far as the waiter sleeps, however busy the machine.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use gpujobs::{Error, Job, JobProvider, JobProviderExt, JobStatus, ProviderKind, WaitOptions};
use gpujobs_runtime::{Clock, ManualClock};
use gpujobs_sandbox::{JobSpec, Sandbox, SandboxConfig, Timing};

/// A job runs for an hour once started; a cancel takes a second.
fn hour_long() -> Timing {
    let mut timing = Timing::fast();
    timing.queued = Duration::from_secs(1);
    timing.starting = Duration::from_secs(1);
    timing.running = Duration::from_secs(3600);
    timing.cancel = Duration::from_secs(1);
    timing
}

async fn sandbox(clock: &ManualClock) -> Sandbox {
    let config = SandboxConfig::default()
        .empty()
        .timing(hour_long())
        .clock(Arc::new(clock.clone()));
    Sandbox::start(config).await.unwrap()
}

fn options(clock: &ManualClock, timeout: Duration) -> WaitOptions {
    WaitOptions::default()
        .timeout(timeout)
        .intervals(Duration::from_secs(1), Duration::from_secs(30))
        .clock(Arc::new(clock.clone()))
}

/// Every end, by id, with the wall-clock time it was reported at.
async fn wait_all(
    provider: &Arc<dyn JobProvider>,
    ids: &[String],
    options: &WaitOptions,
    clock: &ManualClock,
) -> BTreeMap<String, (gpujobs::Result<Job>, SystemTime)> {
    let mut ends = BTreeMap::new();
    let mut stream = provider.wait_all(ids.iter().cloned(), options);
    while let Some((id, end)) = stream.next().await {
        let previous = ends.insert(id.clone(), (end, clock.wall()));
        assert!(previous.is_none(), "{id} reported twice");
    }
    ends
}

/// Requests the sandbox received: (listings, gets of one job).
fn requests(sandbox: &Sandbox, list_path: &str) -> (usize, usize) {
    let all = sandbox.requests();
    let lists = all.iter().filter(|r| r.path == list_path).count();
    (lists, all.len() - lists)
}

#[tokio::test]
async fn two_hundred_ray_jobs_ending_over_an_hour_cost_fewer_requests_than_one_poll_each() {
    let clock = ManualClock::at(SystemTime::now());
    let sandbox = sandbox(&clock).await;
    let provider = sandbox.provider(ProviderKind::Ray).unwrap();
    let mut ids = Vec::new();
    for n in 0..200u64 {
        // Staggered: job n has already run n × 18 s of its hour; every 7th fails.
        let command = if n % 7 == 0 {
            "python x.py; exit 3"
        } else {
            "python x.py"
        };
        let spec = JobSpec::new(command).age(Duration::from_secs(2 + n * 18));
        ids.push(sandbox.add_job(ProviderKind::Ray, spec).unwrap());
    }
    let ends = wait_all(
        &provider,
        &ids,
        &options(&clock, Duration::from_secs(7200)),
        &clock,
    )
    .await;

    assert_eq!(ends.len(), 200);
    for (n, id) in ids.iter().enumerate() {
        let (end, reported) = &ends[id];
        let job = end.as_ref().unwrap_or_else(|e| panic!("{id}: {e}"));
        let want = if n % 7 == 0 {
            JobStatus::Failed
        } else {
            JobStatus::Succeeded
        };
        assert_eq!(job.status, want, "{id}");
        // Reported within one longest poll interval of its end.
        let finished = job.finished_at.expect("an end time");
        let late = reported.duration_since(finished.into()).unwrap_or_default();
        assert!(
            late <= Duration::from_secs(31),
            "{id} reported {late:?} after it ended"
        );
    }
    // One listing a poll while many run, a get each for the last dozen; single
    // waits would have made 200 requests at every poll of the first minutes.
    let (lists, gets) = requests(&sandbox, "/api/jobs/");
    assert!(
        (100..=200).contains(&lists),
        "{lists} listings over an hour"
    );
    assert!(
        lists + gets <= 200,
        "{lists} listings and {gets} gets in all"
    );
}

#[tokio::test]
async fn three_jobs_among_a_thousand_ended_ones_are_asked_for_one_by_one() {
    let clock = ManualClock::at(SystemTime::now());
    let sandbox = sandbox(&clock).await;
    let provider = sandbox.provider(ProviderKind::Ray).unwrap();
    for _ in 0..1000 {
        let old = JobSpec::new("python old.py").age(Duration::from_secs(7200));
        sandbox.add_job(ProviderKind::Ray, old).unwrap();
    }
    let ids: Vec<String> = (0..3u64)
        .map(|n| {
            let spec = JobSpec::new("python new.py").age(Duration::from_secs(3000 + n * 100));
            sandbox.add_job(ProviderKind::Ray, spec).unwrap()
        })
        .collect();
    let options = options(&clock, Duration::from_secs(7200));
    let ends = wait_all(&provider, &ids, &options, &clock).await;
    assert!(
        ends.values()
            .all(|(end, _)| end.as_ref().is_ok_and(|j| j.status == JobStatus::Succeeded))
    );
    let (lists, gets) = requests(&sandbox, "/api/jobs/");
    assert_eq!(lists, 0, "never read the 1,000 ended jobs");
    // As three single waits would: at most three gets a poll.
    let polls = clock.sleeps().len() + 1;
    assert!(gets <= 3 * polls, "{gets} gets in {polls} polls");
}

#[tokio::test]
async fn a_job_the_provider_does_not_know_is_reported_not_waited_for() {
    let clock = ManualClock::at(SystemTime::now());
    let sandbox = sandbox(&clock).await;
    let provider = sandbox.provider(ProviderKind::Ray).unwrap();
    let spec = JobSpec::new("python x.py").age(Duration::from_secs(3590));
    let known = sandbox.add_job(ProviderKind::Ray, spec).unwrap();
    let ids = [known.clone(), "raysubmit_gone".to_owned()];
    let ends = wait_all(
        &provider,
        &ids,
        &options(&clock, Duration::from_secs(600)),
        &clock,
    )
    .await;
    assert!(matches!(
        ends["raysubmit_gone"].0,
        Err(Error::NotFound { .. })
    ));
    assert_eq!(
        ends[&known].0.as_ref().unwrap().status,
        JobStatus::Succeeded
    );
}

#[tokio::test]
async fn jobs_still_running_at_the_timeout_end_with_their_last_record() {
    let clock = ManualClock::at(SystemTime::now());
    let sandbox = sandbox(&clock).await;
    let provider = sandbox.provider(ProviderKind::Ray).unwrap();
    let forever = sandbox
        .add_job(ProviderKind::Ray, JobSpec::new("sleep infinity"))
        .unwrap();
    let soon = JobSpec::new("python x.py").age(Duration::from_secs(3595));
    let soon = sandbox.add_job(ProviderKind::Ray, soon).unwrap();
    let ids = [forever.clone(), soon.clone()];
    let ends = wait_all(
        &provider,
        &ids,
        &options(&clock, Duration::from_secs(60)),
        &clock,
    )
    .await;
    assert_eq!(ends[&soon].0.as_ref().unwrap().status, JobStatus::Succeeded);
    match &ends[&forever].0 {
        Err(Error::Timeout {
            last_job: Some(job),
            ..
        }) => {
            assert_eq!(job.status, JobStatus::Running)
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_paging_provider_is_listed_page_by_page_and_a_cancel_is_an_end() {
    let clock = ManualClock::at(SystemTime::now());
    let sandbox = sandbox(&clock).await;
    let provider = sandbox.provider(ProviderKind::Ppio).unwrap();
    let ids: Vec<String> = (0..40u64)
        .map(|n| {
            let spec = JobSpec::new("save image").age(Duration::from_secs(3000 + n * 10));
            sandbox.add_job(ProviderKind::Ppio, spec).unwrap()
        })
        .collect();
    provider.cancel(&ids[0]).await.unwrap();
    let ends = wait_all(
        &provider,
        &ids,
        &options(&clock, Duration::from_secs(7200)),
        &clock,
    )
    .await;
    assert_eq!(
        ends[&ids[0]].0.as_ref().unwrap().status,
        JobStatus::Canceled
    );
    assert!(
        ends.values()
            .all(|(end, _)| end.as_ref().is_ok_and(|j| j.status.is_terminal()))
    );
    let listed = sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/gpus/v2/jobs?"))
        .count();
    assert!(listed > 0, "PPIO was listed, not asked job by job");
}

/// 200 Slurm jobs ending over an hour, as in the Ray test above; every 7th fails.
async fn slurm_sweep(
    release: gpujobs_sandbox::SlurmRelease,
    accounting: bool,
) -> (Sandbox, Vec<String>, ManualClock) {
    let clock = ManualClock::at(SystemTime::now());
    let config = SandboxConfig::default()
        .empty()
        .timing(hour_long())
        .clock(Arc::new(clock.clone()))
        .slurm_release(release)
        .slurm_accounting(accounting);
    let sandbox = Sandbox::start(config).await.unwrap();
    let ids = (0..200u64)
        .map(|n| {
            let command = if n % 7 == 0 {
                "python x.py; exit 3"
            } else {
                "python x.py"
            };
            let spec = JobSpec::new(command).age(Duration::from_secs(2 + n * 18));
            sandbox.add_job(ProviderKind::Slurm, spec).unwrap()
        })
        .collect();
    (sandbox, ids, clock)
}

/// Each job ended as it should, with its whole record (exit code, end time).
fn check_sweep(ids: &[String], ends: &BTreeMap<String, (gpujobs::Result<Job>, SystemTime)>) {
    assert_eq!(ends.len(), ids.len());
    for (n, id) in ids.iter().enumerate() {
        let job = ends[id].0.as_ref().unwrap_or_else(|e| panic!("{id}: {e}"));
        let (status, code) = match n % 7 {
            0 => (JobStatus::Failed, 3),
            _ => (JobStatus::Succeeded, 0),
        };
        assert_eq!((&job.status, job.exit_code), (&status, Some(code)), "{id}");
        assert!(
            job.finished_at.is_some() && !job.raw.is_absent(),
            "{id}: a whole record"
        );
    }
}

/// What a Slurm sweep cost: (job-state requests, gets of one job, accounting
/// requests, listings, polls).
fn slurm_cost(sandbox: &Sandbox, clock: &ManualClock) -> (usize, usize, usize, usize, usize) {
    let all = sandbox.requests();
    let count = |f: &dyn Fn(&str) -> bool| all.iter().filter(|r| f(&r.path)).count();
    (
        count(&|p| p.contains("/jobs/state/")),
        count(&|p| p.starts_with("/slurm/") && p.contains("/job/")),
        count(&|p| p.starts_with("/slurmdb/")),
        count(&|p| p.starts_with("/slurm/") && p.ends_with("/jobs/")),
        clock.sleeps().len() + 1,
    )
}

#[tokio::test]
async fn slurm_jobs_are_polled_through_their_states_and_read_whole_from_accounting() {
    let (sandbox, ids, clock) = slurm_sweep(gpujobs_sandbox::SlurmRelease::V24_11, true).await;
    let provider = sandbox.provider(ProviderKind::Slurm).unwrap();
    let ends = wait_all(
        &provider,
        &ids,
        &options(&clock, Duration::from_secs(7200)),
        &clock,
    )
    .await;
    check_sweep(&ids, &ends);
    let (states, gets, accounting, listings, polls) = slurm_cost(&sandbox, &clock);
    // One request of states a poll (200 ids fit in one), and the records of the
    // jobs that ended since in one accounting request: no get a job.
    assert_eq!(states, polls, "{states} state requests in {polls} polls");
    assert_eq!(gets, 0, "no get a job: their records come from accounting");
    assert!(
        accounting <= polls,
        "{accounting} accounting requests in {polls} polls"
    );
    assert_eq!(listings, 0, "never the whole records of every job");
}

#[tokio::test]
async fn slurm_jobs_are_polled_through_their_states_and_read_whole_once_ended() {
    // Without accounting, as before: a get for each job's final record.
    let (sandbox, ids, clock) = slurm_sweep(gpujobs_sandbox::SlurmRelease::V24_11, false).await;
    let provider = sandbox.provider(ProviderKind::Slurm).unwrap();
    let ends = wait_all(
        &provider,
        &ids,
        &options(&clock, Duration::from_secs(7200)),
        &clock,
    )
    .await;
    check_sweep(&ids, &ends);
    let (states, gets, accounting, listings, polls) = slurm_cost(&sandbox, &clock);
    assert_eq!(states, polls, "{states} state requests in {polls} polls");
    assert_eq!(gets, 200, "a get for each job, once it ended");
    assert_eq!((accounting, listings), (0, 0));
    assert!(
        sandbox.requests().len() <= polls + 200 + 1,
        "{} requests",
        sandbox.requests().len()
    );
}

#[tokio::test]
async fn slurm_without_job_states_by_id_is_listed_as_before() {
    // Slurm 22.05 (v0.0.38) has no jobs/state: nothing is asked of it. The
    // listing shows every job slurmctld still knows, so accounting (whose 22.05
    // exit codes are wrong) is asked of none.
    let (sandbox, ids, clock) = slurm_sweep(gpujobs_sandbox::SlurmRelease::V22_05, true).await;
    let provider = sandbox.provider(ProviderKind::Slurm).unwrap();
    let ends = wait_all(
        &provider,
        &ids,
        &options(&clock, Duration::from_secs(7200)),
        &clock,
    )
    .await;
    check_sweep(&ids, &ends);
    let all = sandbox.requests();
    assert!(all.iter().all(|r| !r.path.contains("/jobs/state")));
    assert!(all.iter().any(|r| r.path.ends_with("/jobs")), "listed");
    assert!(
        all.iter().all(|r| !r.path.starts_with("/slurmdb/")),
        "accounting asked of none"
    );
}
