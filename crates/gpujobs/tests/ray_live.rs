//! Live checks against a real Ray head node (`scripts/ray-live.sh` starts one
//! on loopback and runs these with `--ignored`). They read
//! `RAY_API_SERVER_ADDRESS` (default `http://127.0.0.1:8265`).
//!
//! With `GPUJOBS_RECORD=1` they also save the server's raw answers under
//! `tests/payloads/ray/live/`, which the offline decode tests then read, so
//! offline tests use real shapes.

// One module, so the live script can run exactly these ignored tests (`-- --ignored ray_live::`)
// while building what `cargo test --workspace` built.
mod ray_live {
    use std::time::Duration;

    use futures_util::{StreamExt, TryStreamExt};
    use gpujobs::prelude::*;
    use gpujobs::ray::RayProvider;
    use gpujobs::yuanrong::YuanrongProvider;
    use gpujobs::{Logs, ProviderJob};
    use serde_json::Value;

    fn address() -> String {
        std::env::var("RAY_API_SERVER_ADDRESS").unwrap_or_else(|_| "http://127.0.0.1:8265".into())
    }

    fn ray() -> RayProvider {
        RayProvider::builder().base_url(address()).build().unwrap()
    }

    fn options() -> WaitOptions {
        WaitOptions::default()
            .timeout(Duration::from_secs(120))
            .intervals(Duration::from_millis(200), Duration::from_secs(1))
    }

    /// A fresh id, so reruns against one cluster never collide.
    fn fresh(prefix: &str) -> String {
        format!(
            "{prefix}-{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        )
    }

    /// Saves a raw answer of the live server when recording.
    async fn record(name: &str, path: &str) {
        if std::env::var("GPUJOBS_RECORD").as_deref() != Ok("1") {
            return;
        }
        let response = reqwest::get(format!("{}{path}", address())).await.unwrap();
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        let dir = format!(
            "{}/../../tests/payloads/ray/live",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::create_dir_all(&dir).unwrap();
        let text = match serde_json::from_str::<Value>(&body) {
            Ok(json) => serde_json::to_string_pretty(&json).unwrap(),
            Err(_) => body,
        };
        std::fs::write(
            format!(
                "{dir}/{name}.{}",
                if status == 200 { "json" } else { "txt" }
            ),
            text + "\n",
        )
        .unwrap();
    }

    #[tokio::test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    async fn version_is_ray_2_60() {
        let version = ray().version().await.unwrap();
        assert_eq!(
            (version.version.as_str(), version.ray_version.as_str()),
            ("4", "2.60.0")
        );
        record("version", "/api/version").await;
    }

    #[tokio::test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    async fn a_job_runs_from_submit_to_succeeded() {
        let ray = ray();
        let id = fresh("live-ok");
        let request =
            SubmitRequest::new("python -c \"import os; print('hello', os.environ['GREETING'])\"")
                .id(&id)
                .name("live-ok")
                .env("GREETING", "from-gpujobs")
                .metadata("suite", "live");
        let submitted = ray.submit(&request).await.unwrap();
        assert_eq!(submitted.id, id);
        assert!(
            matches!(submitted.status, JobStatus::Queued | JobStatus::Running),
            "{:?}",
            submitted.status
        );
        let ProviderJob::Ray(details) = &submitted.raw else {
            panic!()
        };
        assert_eq!(details.metadata.as_ref().unwrap()["suite"], "live");
        record("get_job_pending", &format!("/api/jobs/{id}")).await;

        let listed: Vec<Job> = ray
            .list(ListOptions::default())
            .try_collect()
            .await
            .unwrap();
        assert!(listed.iter().any(|j| j.id == id));

        let done = ray.wait(&id, &options()).await.unwrap();
        assert_eq!(
            (done.status.clone(), done.exit_code),
            (JobStatus::Succeeded, Some(0))
        );
        assert!(done.started_at.is_some() && done.finished_at >= done.started_at);
        let Logs::Text(logs) = ray.logs(&id).await.unwrap() else {
            panic!()
        };
        assert!(logs.contains("hello from-gpujobs"), "{logs}");
        record("get_job_succeeded", &format!("/api/jobs/{id}")).await;
        record("get_job_logs", &format!("/api/jobs/{id}/logs")).await;
        record("list_jobs", "/api/jobs/").await;

        // Stop and delete of a finished job: cancel reports it ended; delete removes it.
        assert!(
            matches!(ray.cancel(&id).await.unwrap(), CancelOutcome::AlreadyEnded(job) if job.status == JobStatus::Succeeded)
        );
        assert!(ray.delete(&id).await.unwrap());
        assert!(matches!(ray.get(&id).await, Err(Error::NotFound { .. })));
    }

    #[tokio::test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    async fn a_job_exiting_3_fails_with_exit_code_3() {
        let ray = ray();
        let id = fresh("live-fail");
        ray.submit(
            &SubmitRequest::new("python -c \"import sys; print('failing'); sys.exit(3)\"").id(&id),
        )
        .await
        .unwrap();
        let job = ray.wait(&id, &options()).await.unwrap();
        assert_eq!(
            (job.status.clone(), job.exit_code),
            (JobStatus::Failed, Some(3))
        );
        let reason = job.failure_reason.unwrap_or_default();
        assert!(reason.contains("exit code 3"), "{reason}");
        record("get_job_failed", &format!("/api/jobs/{id}")).await;
    }

    #[tokio::test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    async fn stopping_a_running_job_ends_it_canceled() {
        let ray = ray();
        let id = fresh("live-sleep");
        ray.submit(&SubmitRequest::new("sleep 600").id(&id))
            .await
            .unwrap();
        let watching = options();
        let mut changes = ray.watch(&id, &watching);
        while let Some(job) = changes.try_next().await.unwrap() {
            if job.status == JobStatus::Running {
                break;
            }
        }
        drop(changes);
        let outcome = ray.cancel(&id).await.unwrap();
        assert!(
            matches!(
                outcome,
                CancelOutcome::Stopped(_) | CancelOutcome::Accepted(_)
            ),
            "{outcome:?}"
        );
        let job = ray.wait(&id, &options()).await.unwrap();
        assert_eq!(job.status, JobStatus::Canceled);
        record("get_job_stopped", &format!("/api/jobs/{id}")).await;
    }

    #[tokio::test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    async fn twenty_jobs_waited_for_at_once_end_as_they_really_did() {
        let ray = ray();
        let sweep = fresh("live-sweep");
        // 14 succeed, 5 exit 4, 1 is canceled while it sleeps.
        let mut expected = Vec::new();
        for n in 0..20 {
            let id = format!("{sweep}-{n}");
            let (command, status) = match n {
                19 => ("sleep 600".to_owned(), JobStatus::Canceled),
                n if n % 4 == 1 => (
                    format!("python -c \"import sys; sys.exit(4)\" # {n}"),
                    JobStatus::Failed,
                ),
                n => (format!("python -c \"print({n})\""), JobStatus::Succeeded),
            };
            ray.submit(&SubmitRequest::new(command).id(&id))
                .await
                .unwrap();
            expected.push((id, status));
        }
        ray.cancel(&expected[19].0).await.unwrap();
        let ids: Vec<String> = expected.iter().map(|(id, _)| id.clone()).collect();
        let options = options().timeout(Duration::from_secs(300));
        let ends: std::collections::BTreeMap<String, Job> = ray
            .wait_all(ids, &options)
            .map(|(id, end)| (id.clone(), end.unwrap_or_else(|e| panic!("{id}: {e}"))))
            .collect()
            .await;
        assert_eq!(ends.len(), 20);
        for (id, status) in &expected {
            let job = &ends[id];
            assert_eq!(&job.status, status, "{id}");
            match status {
                JobStatus::Failed => assert_eq!(job.exit_code, Some(4), "{id}"),
                JobStatus::Succeeded => assert_eq!(job.exit_code, Some(0), "{id}"),
                _ => {}
            }
            assert!(job.finished_at.is_some(), "{id} has an end time");
        }
    }

    #[tokio::test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    async fn an_unknown_id_is_not_found() {
        let err = ray().get("no-such-job-gpujobs").await.unwrap_err();
        assert!(
            matches!(&err, Error::NotFound { message, .. } if message.contains("does not exist")),
            "{err}"
        );
        record("get_job_not_found", "/api/jobs/no-such-job-gpujobs").await;
    }

    #[tokio::test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    async fn the_same_submission_id_twice_makes_one_job() {
        let ray = ray();
        let id = fresh("live-once");
        let request = SubmitRequest::new("echo once").id(&id);
        let first = ray.submit(&request).await.unwrap();
        let second = ray.submit(&request).await.unwrap();
        assert_eq!(first.id, second.id);
        let listed: Vec<Job> = ray
            .list(ListOptions::default())
            .try_collect()
            .await
            .unwrap();
        assert_eq!(listed.iter().filter(|j| j.id == id).count(), 1);
        let other = ray
            .submit(&SubmitRequest::new("echo another command").id(&id))
            .await
            .unwrap_err();
        assert!(matches!(other, Error::Conflict { .. }), "{other}");
    }

    /// A local working directory reaches the job, packed under the name Ray's
    /// own client gives it (so either finds the other's upload), without what
    /// Ray leaves out.
    #[tokio::test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    async fn a_local_working_dir_reaches_the_job_under_rays_own_name_for_it() {
        let dir = std::env::temp_dir().join(fresh("gpujobs-working-dir"));
        for (path, text) in [
            (
                "train.py",
                "print(open('data.txt').read()); import os; print(sorted(os.listdir('.')))",
            ),
            ("data.txt", "from-the-working-dir"),
            ("big/blob.bin", "left out by --exclude"),
            ("notes.log", "left out by .gitignore"),
            ("logs/keep.log", "kept by a negation"),
            ("only-at-root.txt", "left out by an anchored pattern"),
            (
                "sub/only-at-root.txt",
                "kept: the pattern is anchored at the top",
            ),
            (".gitignore", "*.log\n!keep.log\n/only-at-root.txt\n"),
            ("__pycache__/x.pyc", "left out by Ray's defaults"),
        ] {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let ray = ray();
        let request = SubmitRequest::new("python train.py")
            .id(fresh("live-working-dir"))
            .working_dir(dir.to_str().unwrap())
            .options(gpujobs::ray::RayOptions::default().exclude("big/"));
        let job = ray.submit(&request).await.unwrap();
        let uri = |job: &Job| match &job.raw {
            ProviderJob::Ray(details) => details.runtime_env.as_ref().unwrap()["working_dir"]
                .as_str()
                .unwrap()
                .to_owned(),
            other => panic!("{other:?}"),
        };
        let sent = uri(&job);
        let python = std::env::var("GPUJOBS_RAY_PYTHON")
            .expect("scripts/ray-live.sh sets GPUJOBS_RAY_PYTHON, the Python that has Ray");
        let script = "import sys\nfrom ray._private.runtime_env.packaging import get_uri_for_directory\nfrom ray._private.ray_constants import get_runtime_env_default_excludes as defaults\nprint(get_uri_for_directory(sys.argv[1], include_gitignore=True, excludes=defaults() + ['big/']))";
        let out = std::process::Command::new(python)
            .args(["-c", script])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            sent,
            String::from_utf8_lossy(&out.stdout).trim(),
            "Ray's own name for it"
        );
        let done = ray.wait(&job.id, &options()).await.unwrap();
        let Logs::Text(logs) = ray.logs(&job.id).await.unwrap() else {
            panic!("Ray's logs are text")
        };
        assert_eq!(done.status, JobStatus::Succeeded, "{logs}");
        assert!(logs.contains("from-the-working-dir"), "{logs}");
        assert!(
            logs.contains("['.gitignore', 'data.txt', 'logs', 'sub', 'train.py']"),
            "{logs}"
        );
        // The same files again: the same package (already there, so not sent again).
        let again = ray
            .submit(&request.clone().id(fresh("live-working-dir")))
            .await
            .unwrap();
        assert_eq!(uri(&again), sent);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// openYuanrong mirrors Ray's job API; where the two wire formats agree, the
    /// yuanrong adapter works against Ray. Where they differ it fails in the
    /// documented way (README, "openYuanrong and Ray").
    #[tokio::test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    async fn the_yuanrong_adapter_where_the_wire_formats_agree() {
        let yuanrong = YuanrongProvider::builder()
            .base_url(address())
            .build()
            .unwrap();
        let id = fresh("yr-on-ray");
        let request = SubmitRequest::new("echo from-yuanrong")
            .id(&id)
            .working_dir(".");
        // Submit differs: openYuanrong posts to /api/jobs, Ray only serves /api/jobs/.
        let err = yuanrong.submit(&request).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::NotFound { .. } | Error::Api { .. } | Error::Decode { .. }
            ),
            "{err}"
        );

        // Get differs in its times: Ray sends integer milliseconds where openYuanrong sends strings.
        ray()
            .submit(&SubmitRequest::new("echo from-ray").id(&id))
            .await
            .unwrap();
        let err = yuanrong.get(&id).await.unwrap_err();
        assert!(err.to_string().contains("could not be read"), "{err}");
        assert_eq!(err.kind(), gpujobs::ErrorKind::Decode, "{err}");
        // Errors differ: Ray's text/plain 404 is not openYuanrong's JSON string, so the yuanrong
        // adapter reports an answer it cannot read (with the body), not NotFound.
        let err = yuanrong.get("no-such-job-gpujobs").await.unwrap_err();
        assert!(
            matches!(&err, Error::Decode { body: Some(body), .. } | Error::Api { body: Some(body), .. } if body.contains("does not exist")),
            "{err}"
        );
    }
}
