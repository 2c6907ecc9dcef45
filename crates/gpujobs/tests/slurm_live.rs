//! Live checks against a real slurmrestd (`scripts/slurm-live.sh` starts a
//! one-node Slurm cluster on loopback — 22.05, 24.11 or 26.05 — and runs
//! these with `--ignored`). They read `SLURMRESTD_URL`,
//! `GPUJOBS_SLURM_TOKEN` (the token, kept out of `SLURM_JWT` so Slurm's own
//! tools on the node are not switched to JWT), `GPUJOBS_SLURM_WORKDIR` (a
//! directory the jobs may write) and `GPUJOBS_SLURM_RELEASE`. No user name is
//! given: the token carries it, on every release.
//!
//! With `GPUJOBS_RECORD=1` they also save the server's raw answers under
//! `tests/payloads/slurm/live/<release>/`.

// One module, so the live script can run exactly these ignored tests (`-- --ignored slurm_live::`)
// while building what `cargo test --workspace` built.
mod slurm_live {
    use std::time::Duration;

    use futures_util::{StreamExt, TryStreamExt};
    use gpujobs::prelude::*;
    use gpujobs::slurm::version::ApiVersion;
    use gpujobs::slurm::{SlurmOptions, SlurmProvider};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    fn var(name: &str) -> String {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} is not set: run scripts/slurm-live.sh"))
    }

    fn slurm_at(url: &str) -> SlurmProvider {
        SlurmProvider::builder()
            .base_url(url)
            .credential(var("GPUJOBS_SLURM_TOKEN"))
            .build()
            .unwrap()
    }

    fn slurm() -> SlurmProvider {
        slurm_at(&var("SLURMRESTD_URL"))
    }

    fn options() -> WaitOptions {
        WaitOptions::default()
            .timeout(Duration::from_secs(120))
            .intervals(Duration::from_millis(200), Duration::from_secs(1))
    }

    /// A job writing into the shared work directory.
    fn job(command: &str) -> SubmitRequest {
        job_with(command, SlurmOptions::default())
    }

    /// A job writing into the shared work directory, with these options too.
    fn job_with(command: &str, options: SlurmOptions) -> SubmitRequest {
        let dir = var("GPUJOBS_SLURM_WORKDIR");
        let options = options
            .output(format!("{dir}/%j.out"))
            .time_limit(Duration::from_secs(300));
        SubmitRequest::new(command)
            .working_dir(&dir)
            .options(options)
    }

    /// The versions this release serves that gpujobs speaks, newest first.
    fn spoken_here() -> &'static [&'static str] {
        match var("GPUJOBS_SLURM_RELEASE").as_str() {
            "22.05" => &["v0.0.38"],
            "24.11" => &["v0.0.42", "v0.0.41", "v0.0.40"],
            "26.05" => &["v0.0.45", "v0.0.44", "v0.0.43", "v0.0.42"],
            other => panic!("no expectations for Slurm {other}"),
        }
    }

    /// Saves a raw answer of the live server, at `path` below the version
    /// spoken, when recording.
    async fn record(slurm: &SlurmProvider, name: &str, path: &str) {
        if std::env::var("GPUJOBS_RECORD").as_deref() != Ok("1") {
            return;
        }
        let version = slurm.api_version().await.unwrap();
        let answer = reqwest::Client::new()
            .get(format!("{}/slurm/{version}{path}", var("SLURMRESTD_URL")))
            .header("X-SLURM-USER-NAME", "root")
            .header("X-SLURM-USER-TOKEN", var("GPUJOBS_SLURM_TOKEN"))
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = answer.json().await.unwrap();
        let dir = format!(
            "{}/../../tests/payloads/slurm/live/{}/{version}",
            env!("CARGO_MANIFEST_DIR"),
            var("GPUJOBS_SLURM_RELEASE")
        );
        std::fs::create_dir_all(&dir).unwrap();
        let text = serde_json::to_string_pretty(&body).unwrap() + "\n";
        std::fs::write(format!("{dir}/{name}.json"), text).unwrap();
    }

    #[tokio::test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    async fn the_newest_version_both_speak_is_chosen() {
        let version = slurm().api_version().await.unwrap();
        assert_eq!(version.as_str(), spoken_here()[0]);
    }

    #[tokio::test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    async fn every_version_the_server_serves_can_be_pinned() {
        let done = slurm()
            .submit(&job("true").name("gpujobs-live-pinned"))
            .await
            .unwrap();
        let done = slurm().wait(&done.id, &options()).await.unwrap();
        for version in spoken_here() {
            let pinned = SlurmProvider::builder()
                .base_url(var("SLURMRESTD_URL"))
                .credential(var("GPUJOBS_SLURM_TOKEN"))
                .api_version(*version)
                .build()
                .unwrap();
            assert_eq!(
                pinned.api_version().await.unwrap(),
                ApiVersion::parse(version).unwrap()
            );
            let got = pinned.get(&done.id).await.unwrap();
            assert_eq!(
                (got.status, got.exit_code, got.name.as_deref()),
                (JobStatus::Succeeded, Some(0), Some("gpujobs-live-pinned")),
                "{version}"
            );
            let listed: Vec<Job> = pinned
                .list(ListOptions::default())
                .try_collect()
                .await
                .unwrap();
            assert!(listed.iter().any(|j| j.id == done.id), "{version}");
            record(&pinned, "get_job_completed", &format!("/job/{}", done.id)).await;
            record(
                &pinned,
                "list_jobs",
                if *version == "v0.0.38" {
                    "/jobs"
                } else {
                    "/jobs/"
                },
            )
            .await;
        }
        // A version this server does not serve is refused in one clear line.
        let unserved = if spoken_here()[0] == "v0.0.38" {
            "v0.0.45"
        } else {
            "v0.0.38"
        };
        let pinned = SlurmProvider::builder()
            .base_url(var("SLURMRESTD_URL"))
            .credential(var("GPUJOBS_SLURM_TOKEN"))
            .api_version(unserved)
            .build()
            .unwrap();
        let refused = pinned.get(&done.id).await.unwrap_err();
        assert!(matches!(refused, Error::Config { .. }), "{refused:?}");
        assert!(refused.to_string().contains("does not serve"), "{refused}");
    }

    #[tokio::test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    async fn a_job_runs_to_success_with_its_environment_and_output() {
        let slurm = slurm();
        let request = job("echo \"hi $WHO\"")
            .name("gpujobs-live-ok")
            .env("WHO", "slurm");
        let submitted = slurm.submit(&request).await.unwrap();
        assert!(
            submitted.id.parse::<u64>().is_ok(),
            "Slurm numbers its jobs: {}",
            submitted.id
        );
        assert_eq!(submitted.name.as_deref(), Some("gpujobs-live-ok"));

        let done = slurm.wait(&submitted.id, &options()).await.unwrap();
        assert_eq!(
            (done.status.clone(), done.exit_code),
            (JobStatus::Succeeded, Some(0)),
            "{done:?}"
        );
        assert!(done.started_at.is_some() && done.finished_at >= done.started_at);
        let output = format!("{}/{}.out", var("GPUJOBS_SLURM_WORKDIR"), done.id);
        assert_eq!(std::fs::read_to_string(&output).unwrap(), "hi slurm\n");

        let listed: Vec<Job> = slurm
            .list(ListOptions::default())
            .try_collect()
            .await
            .unwrap();
        assert!(
            listed.iter().any(|j| j.id == done.id),
            "list has job {}",
            done.id
        );
        record(&slurm, "get_job_completed", &format!("/job/{}", done.id)).await;
    }

    #[tokio::test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    async fn a_failing_job_reports_its_exit_code() {
        let slurm = slurm();
        let submitted = slurm.submit(&job("exit 3")).await.unwrap();
        let done = slurm.wait(&submitted.id, &options()).await.unwrap();
        assert_eq!(
            (done.status.clone(), done.exit_code),
            (JobStatus::Failed, Some(3)),
            "{done:?}"
        );
        assert_eq!(done.failure_reason.as_deref(), Some("FAILED: exit code 3"));
        record(&slurm, "get_job_failed", &format!("/job/{}", done.id)).await;
    }

    #[tokio::test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    async fn a_job_killed_by_a_signal_is_failed_and_names_it() {
        let slurm = slurm();
        let submitted = slurm.submit(&job("kill -9 $$")).await.unwrap();
        let done = slurm.wait(&submitted.id, &options()).await.unwrap();
        assert_eq!(
            (done.status.clone(), done.exit_code),
            (JobStatus::Failed, None),
            "{done:?}"
        );
        let reason = done.failure_reason.clone().unwrap_or_default();
        assert!(reason.contains("killed by signal 9"), "{reason}");
        record(&slurm, "get_job_signaled", &format!("/job/{}", done.id)).await;
    }

    #[tokio::test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    async fn twenty_jobs_waited_for_at_once_end_as_they_really_did() {
        let slurm = slurm();
        // 14 succeed, 5 exit 4, 1 is canceled while it sleeps or waits its turn.
        let mut expected = Vec::new();
        for n in 0..20 {
            let (command, status) = match n {
                19 => ("sleep 300".to_owned(), JobStatus::Canceled),
                n if n % 4 == 1 => (format!("echo {n}; exit 4"), JobStatus::Failed),
                n => (format!("echo {n}"), JobStatus::Succeeded),
            };
            let job = slurm.submit(&job(&command)).await.unwrap();
            expected.push((job.id, status));
        }
        slurm.cancel(&expected[19].0).await.unwrap();
        let ids: Vec<String> = expected.iter().map(|(id, _)| id.clone()).collect();
        let options = options().timeout(Duration::from_secs(300));
        let ends: std::collections::BTreeMap<String, Job> = slurm
            .wait_all(ids.clone(), &options)
            .map(|(id, end)| (id.clone(), end.unwrap_or_else(|e| panic!("{id}: {e}"))))
            .collect()
            .await;
        assert_eq!(ends.len(), 20);
        for (id, status) in &expected {
            let job = &ends[id];
            assert_eq!(&job.status, status, "{id}: {job:?}");
            if *status == JobStatus::Failed {
                assert_eq!(job.exit_code, Some(4), "{id}");
            }
        }

        // Their statuses by id, as `wait_all` polls them: the 20 among 1,000 ids
        // (two requests of 500 ids each), or refused where jobs/state takes no ids.
        let mut asked = ids;
        asked.extend((0..980).map(|n| (90_000_000 + n).to_string()));
        match slurm.statuses(&asked).await {
            Ok(brief) => {
                let got: std::collections::BTreeMap<&str, &JobStatus> =
                    brief.iter().map(|j| (j.id.as_str(), &j.status)).collect();
                // slurmctld answers for the jobs it still knows: with MinJobAge=10 the first
                // to end may be forgotten already (and known to accounting, where there is one).
                assert!(
                    got.keys().all(|id| expected.iter().any(|(e, _)| e == id)),
                    "{got:?}"
                );
                for (id, status) in &expected {
                    match got.get(id.as_str()) {
                        Some(seen) => assert_eq!(*seen, status, "{id}"),
                        None if std::env::var("GPUJOBS_SLURM_ACCOUNTING").as_deref() == Ok("1") => {
                            assert_eq!(
                                &slurm.get(id).await.unwrap().status,
                                status,
                                "{id} from accounting"
                            )
                        }
                        None => {}
                    }
                }
            }
            Err(e) => {
                assert_eq!(e.kind(), gpujobs::ErrorKind::Unsupported, "{e}");
                let version = slurm.api_version().await.unwrap();
                assert!(!version.states_by_id(), "{version}: {e}");
            }
        }
    }

    #[tokio::test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    async fn a_running_job_is_cancelled() {
        let slurm = slurm();
        let submitted = slurm.submit(&job("sleep 300")).await.unwrap();
        let watching = options();
        let mut changes = slurm.watch(&submitted.id, &watching);
        let mut running = None;
        while let Some(job) = changes.try_next().await.unwrap() {
            if job.status == JobStatus::Running {
                running = Some(job);
                break;
            }
        }
        drop(changes);
        let running = running.expect("the job ran");
        assert!(
            running.finished_at.is_none(),
            "a running job's predicted end is not an end"
        );
        record(&slurm, "get_job_running", &format!("/job/{}", running.id)).await;

        let outcome = slurm.cancel(&running.id).await.unwrap();
        assert!(
            !matches!(outcome, CancelOutcome::AlreadyEnded(_)),
            "{outcome:?}"
        );
        let ended = slurm.wait(&running.id, &options()).await.unwrap();
        assert_eq!(
            (ended.status.clone(), ended.exit_code),
            (JobStatus::Canceled, None),
            "{ended:?}"
        );
        record(&slurm, "get_job_cancelled", &format!("/job/{}", running.id)).await;
        let again = slurm.cancel(&running.id).await.unwrap();
        assert!(matches!(again, CancelOutcome::AlreadyEnded(_)), "{again:?}");
    }

    #[tokio::test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    async fn refusals_are_typed() {
        // GPUs reach the scheduler (`gpus` or `tres_per_job`), which this node without any refuses.
        let gpus = slurm()
            .submit(&job("nvidia-smi").gpus(1.0))
            .await
            .unwrap_err();
        assert!(matches!(gpus, Error::InvalidRequest { .. }), "{gpus:?}");
        assert!(
            gpus.to_string()
                .contains("Requested node configuration is not available"),
            "{gpus}"
        );
        let partition = slurm()
            .submit(&job_with(
                "true",
                SlurmOptions::default().partition("no-such-partition"),
            ))
            .await
            .unwrap_err();
        assert!(
            matches!(partition, Error::InvalidRequest { .. }),
            "{partition:?}"
        );

        let unknown = slurm().get("999999").await.unwrap_err();
        assert!(matches!(unknown, Error::NotFound { .. }), "{unknown:?}");
        record(&slurm(), "get_job_notfound", "/job/999999").await;

        // A token of the right form for root, but not signed with the cluster's key.
        let forged = SlurmProvider::builder()
            .base_url(var("SLURMRESTD_URL"))
            .credential("eyJhbGciOiJIUzI1NiJ9.eyJzdW4iOiJyb290In0.forged")
            .build()
            .unwrap();
        let refused = forged.get("1").await.unwrap_err();
        assert!(
            matches!(refused, Error::Unauthenticated { .. }),
            "{refused:?}"
        );
        assert!(
            !format!("{refused} {refused:?}").contains("forged"),
            "{refused:?}"
        );
    }

    #[tokio::test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    async fn a_submit_whose_answer_is_lost_makes_one_job() {
        let proxy = answer_dropping_proxy(var("SLURMRESTD_URL")).await;
        let request = job("sleep 1").name("gpujobs-live-lost");
        let job = slurm_at(&proxy).submit(&request).await.unwrap();

        // Every job carrying this submit's token: exactly the one returned.
        let slurm = slurm();
        let all: Vec<Job> = slurm
            .list(ListOptions::default())
            .try_collect()
            .await
            .unwrap();
        let comment = |j: &Job| {
            let raw = serde_json::to_value(&j.raw).unwrap();
            raw["comment"].as_str().unwrap_or_default().to_owned()
        };
        let mark = comment(
            all.iter()
                .find(|j| j.id == job.id)
                .expect("the job is listed"),
        );
        assert!(mark.starts_with("gpujobs-token="), "{mark}");
        let same: Vec<&str> = all
            .iter()
            .filter(|j| comment(j) == mark)
            .map(|j| j.id.as_str())
            .collect();
        assert_eq!(same, [job.id.as_str()], "one job for one submit");
        slurm.wait(&job.id, &options()).await.unwrap();
    }

    #[tokio::test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    async fn a_submit_repeated_with_its_id_returns_the_first_job() {
        let slurm = slurm();
        let id = format!("live-{}", std::process::id());
        let request = job("sleep 1").name("gpujobs-live-keyed").id(&id);
        let first = slurm.submit(&request).await.unwrap();
        let again = slurm.submit(&request).await.unwrap();
        assert_eq!(
            again.id, first.id,
            "the same request under one id is one job"
        );
        let other = slurm.submit(&job("sleep 2").id(&id)).await.unwrap_err();
        assert!(matches!(other, Error::Conflict { .. }), "{other:?}");
        assert!(other.to_string().contains(&first.id), "{other}");
        slurm.wait(&first.id, &options()).await.unwrap();
    }

    /// A proxy to `upstream` that forwards the first job submit, lets slurmrestd
    /// act on it, and closes the connection instead of passing the answer on.
    async fn answer_dropping_proxy(upstream: String) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let upstream = upstream.trim_start_matches("http://").to_owned();
        tokio::spawn(async move {
            let mut dropped = false;
            loop {
                let (mut client, _) = listener.accept().await.unwrap();
                let mut server = TcpStream::connect(&upstream).await.unwrap();
                let mut first = vec![0u8; 64 * 1024];
                let n = client.read(&mut first).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&first[..n]);
                let submit = head.starts_with("POST /slurm/")
                    && head
                        .lines()
                        .next()
                        .is_some_and(|l| l.contains("/job/submit"));
                server.write_all(&first[..n]).await.unwrap();
                if submit && !dropped {
                    dropped = true;
                    tokio::spawn(async move {
                        let (mut from_client, _) = client.split();
                        let (mut server_read, mut server_write) = server.split();
                        // The rest of the request, until slurmrestd has answered; then both close.
                        let mut answer = [0u8; 1];
                        tokio::select! {
                            _ = tokio::io::copy(&mut from_client, &mut server_write) => {}
                            _ = server_read.read_exact(&mut answer) => {}
                        }
                    });
                } else {
                    tokio::spawn(async move {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    });
                }
            }
        });
        format!("http://{address}")
    }
}
