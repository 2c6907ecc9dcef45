//! Outcomes that never vanish, on a real Slurm (`scripts/slurm-live.sh`, with
//! `MinJobAge=10`): four jobs end — exit 3, canceled, killed by a 1-minute
//! time limit, succeeded — slurmctld forgets them, and `get`, `wait`,
//! `wait_all` and a listing window still read each, with its cause and
//! usage, from accounting (slurmdbd + MariaDB, `GPUJOBS_SLURM_ACCOUNTING=1`).
//! Without accounting (`=0`): not found, as before. Reads the variables the
//! other live tests read (`slurm_live.rs`).

// In `slurm_live`, so the live script's filter (`-- --ignored slurm_live::`) runs it.
mod slurm_live {
    use std::time::{Duration, Instant};

    use futures_util::{StreamExt, TryStreamExt};
    use gpujobs::Cause;
    use gpujobs::prelude::*;
    use gpujobs::slurm::{SlurmOptions, SlurmProvider};

    fn var(name: &str) -> String {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} is not set: run scripts/slurm-live.sh"))
    }

    fn slurm() -> SlurmProvider {
        SlurmProvider::builder()
            .base_url(var("SLURMRESTD_URL"))
            .credential(var("GPUJOBS_SLURM_TOKEN"))
            .build()
            .unwrap()
    }

    fn job(command: &str, limit: Duration) -> SubmitRequest {
        let dir = var("GPUJOBS_SLURM_WORKDIR");
        let options = SlurmOptions::default()
            .output(format!("{dir}/%j.out"))
            .time_limit(limit);
        SubmitRequest::new(command)
            .working_dir(&dir)
            .options(options)
    }

    fn options(limit: Duration) -> WaitOptions {
        WaitOptions::default()
            .timeout(limit)
            .intervals(Duration::from_millis(500), Duration::from_secs(2))
    }

    /// Waits until slurmctld alone (a listing without a window) no longer
    /// shows any of `ids`: `MinJobAge` and its purge have passed.
    async fn until_forgotten(slurm: &SlurmProvider, ids: &[String]) -> Duration {
        let started = Instant::now();
        loop {
            let listed: Vec<Job> = slurm
                .list(ListOptions::default())
                .try_collect()
                .await
                .unwrap();
            if !listed.iter().any(|j| ids.contains(&j.id)) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(180),
                "slurmctld still knows them after 3 minutes"
            );
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    }

    /// The four ends; `(id, status, exit code, cause)` expected.
    async fn four_ends(
        slurm: &SlurmProvider,
    ) -> Vec<(String, JobStatus, Option<i64>, Option<Cause>)> {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        let failed = slurm
            .submit(&job("echo failing; exit 3", minutes(5)))
            .await
            .unwrap();
        let canceled = slurm.submit(&job("sleep 300", minutes(10))).await.unwrap();
        let timed_out = slurm.submit(&job("sleep 600", minutes(1))).await.unwrap();
        let ok = slurm.submit(&job("echo ok", minutes(5))).await.unwrap();
        // Cancel once it runs, so it is killed (not only taken off the queue).
        let started = Instant::now();
        while slurm.get(&canceled.id).await.unwrap().status != JobStatus::Running {
            assert!(started.elapsed() < Duration::from_secs(60), "it never ran");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        slurm.cancel(&canceled.id).await.unwrap();
        // 22.05's accounting sends a failed job's exit code as 0: left out there.
        let failed_code = match var("GPUJOBS_SLURM_RELEASE").as_str() {
            "22.05" => None,
            _ => Some(3),
        };
        vec![
            (
                failed.id,
                JobStatus::Failed,
                failed_code,
                Some(Cause::ExitCode),
            ),
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

    fn check(job: &Job, status: &JobStatus, code: Option<i64>, cause: Option<Cause>) {
        assert_eq!((&job.status, job.cause), (status, cause), "{job}");
        if status != &JobStatus::Canceled {
            assert_eq!(job.exit_code, code, "{job}");
        }
        let usage = job
            .usage
            .as_ref()
            .unwrap_or_else(|| panic!("no usage: {job}"));
        assert!(
            usage.elapsed.is_some() && usage.cpus.is_some() && usage.nodes.is_some(),
            "{job}: {usage:?}"
        );
        if job.cause == Some(Cause::TimeLimit) {
            assert!(
                usage.elapsed.is_some_and(|e| e >= Duration::from_secs(60)),
                "{usage:?}"
            );
        }
    }

    #[tokio::test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    async fn ended_jobs_are_known_after_slurmctld_forgot_them() {
        let slurm = slurm();
        let accounting = var("GPUJOBS_SLURM_ACCOUNTING") == "1";
        let ends = four_ends(&slurm).await;
        let ids: Vec<String> = ends.iter().map(|(id, ..)| id.clone()).collect();
        let since = chrono::Utc::now() - chrono::TimeDelta::minutes(5);
        // Each end, as wait_all sees it while slurmctld still knows them.
        let mut seen: Vec<(String, gpujobs::Result<Job>)> = slurm
            .wait_all(ids.clone(), &options(Duration::from_secs(300)))
            .collect()
            .await;
        seen.sort_by(|a, b| a.0.cmp(&b.0));
        for (id, status, _, _) in &ends {
            let job = seen
                .iter()
                .find(|(i, _)| i == id)
                .and_then(|(_, j)| j.as_ref().ok());
            assert_eq!(
                job.map(|j| &j.status),
                Some(status),
                "{id} while slurmctld knows it"
            );
        }
        let forgotten = until_forgotten(&slurm, &ids).await;
        println!("slurmctld forgot them {forgotten:?} after they ended");
        if !accounting {
            for id in &ids {
                let error = slurm.get(id).await.unwrap_err();
                assert!(matches!(error, Error::NotFound { .. }), "{error}");
            }
            return;
        }
        for (id, status, code, cause) in &ends {
            let job = slurm
                .get(id)
                .await
                .unwrap_or_else(|e| panic!("get {id}: {e}"));
            check(&job, status, *code, *cause);
            let waited = slurm
                .wait(id, &options(Duration::from_secs(30)))
                .await
                .unwrap();
            check(&waited, status, *code, *cause);
        }
        let all: Vec<(String, gpujobs::Result<Job>)> = slurm
            .wait_all(ids.clone(), &options(Duration::from_secs(30)))
            .collect()
            .await;
        for (id, status, code, cause) in &ends {
            let (_, job) = all.iter().find(|(i, _)| i == id).unwrap();
            check(
                job.as_ref()
                    .unwrap_or_else(|e| panic!("wait_all {id}: {e}")),
                status,
                *code,
                *cause,
            );
        }
        let listed: Vec<Job> = slurm
            .list(ListOptions::default().ended_since(since))
            .try_collect()
            .await
            .unwrap();
        for id in &ids {
            assert!(
                listed.iter().any(|j| &j.id == id),
                "{id} not in the window's listing"
            );
        }
    }
}
