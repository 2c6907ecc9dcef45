//! The live Ray checks through the `gpujobs` binary: JSON output and exit
//! codes against a real Ray head node (`scripts/ray-live.sh`).

mod common;

// One module, so the live script can run exactly these ignored tests (`-- --ignored ray_live::`)
// while building what `cargo test --workspace` built.
mod ray_live {
    use super::common;

    use serde_json::Value;

    fn gpujobs(args: &[&str]) -> (i32, String, String) {
        common::run(common::command().args(["-p", "ray"]).args(args))
    }

    fn json(args: &[&str]) -> Value {
        // Before the subcommand: after a `--`, it would be part of a submitted command.
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        let (code, stdout, stderr) = gpujobs(&all);
        assert!(code <= 1, "gpujobs {all:?} exited {code}: {stderr}");
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    }

    fn fresh(prefix: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        format!("{prefix}-{nanos:x}")
    }

    #[test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    fn wait_for_three_jobs_at_once_through_the_cli() {
        let sweep = fresh("cli-sweep");
        let mut ids = Vec::new();
        for (n, code) in [0, 0, 5].iter().enumerate() {
            let id = format!("{sweep}-{n}");
            let script = format!("import sys; sys.exit({code})");
            let (status, _, stderr) =
                gpujobs(&["submit", "--id", &id, "--", "python", "-c", &script]);
            assert_eq!(status, 0, "{stderr}");
            ids.push(id);
        }
        let mut wait = vec!["-o", "ndjson", "wait", "--max-interval", "1s"];
        wait.extend(ids.iter().map(String::as_str));
        let (code, stdout, stderr) = gpujobs(&wait);
        assert_eq!(code, 1, "one failed: {stderr}");
        let ends: Vec<Value> = stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(ends.len(), 3, "{stdout}");
        for end in &ends {
            let id = end["id"].as_str().unwrap();
            let want = if id.ends_with("-2") {
                ("failed", 5)
            } else {
                ("succeeded", 0)
            };
            assert_eq!(
                (
                    end["status"].as_str().unwrap(),
                    end["exit_code"].as_i64().unwrap()
                ),
                want,
                "{id}"
            );
        }
    }

    #[test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    fn submit_get_list_wait_logs_through_the_cli() {
        let id = fresh("cli-ok");
        let job = json(&[
            "submit",
            "--id",
            &id,
            "-e",
            "WHO=cli",
            "--",
            "python",
            "-c",
            // Sent as typed: the arguments are quoted for Ray's shell.
            "import os; print('hi', os.environ['WHO'])",
        ]);
        assert_eq!(
            (job["id"].as_str(), job["provider"].as_str()),
            (Some(id.as_str()), Some("ray"))
        );
        assert_eq!(json(&["get", &id])["id"].as_str(), Some(id.as_str()));
        let listed = json(&["list"]);
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .any(|j| j["id"] == id.as_str())
        );
        let (code, stdout, stderr) = gpujobs(&["wait", &id, "-o", "json"]);
        assert_eq!(code, 0, "{stderr}");
        let done: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            (done["status"].as_str(), done["exit_code"].as_i64()),
            (Some("succeeded"), Some(0))
        );
        let (code, logs, _) = gpujobs(&["logs", &id]);
        assert_eq!(code, 0);
        assert!(logs.contains("hi cli"), "{logs}");
    }

    #[test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    fn a_failing_job_makes_wait_exit_1() {
        let id = fresh("cli-fail");
        json(&[
            "submit",
            "--id",
            &id,
            "--",
            "python",
            "-c",
            "import sys; sys.exit(3)",
        ]);
        let (code, stdout, _) = gpujobs(&["wait", &id, "-o", "json"]);
        assert_eq!(code, 1);
        let job: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            (job["status"].as_str(), job["exit_code"].as_i64()),
            (Some("failed"), Some(3))
        );
    }

    #[test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    fn cancel_and_not_found_through_the_cli() {
        let id = fresh("cli-sleep");
        json(&["submit", "--id", &id, "--", "sleep", "600"]);
        let outcome = json(&["cancel", &id]);
        assert!(
            matches!(outcome["outcome"].as_str(), Some("stopped" | "accepted")),
            "{outcome}"
        );
        let (code, stdout, _) = gpujobs(&["wait", &id, "-o", "json", "--for", "2m"]);
        assert_eq!(code, 1);
        assert_eq!(
            serde_json::from_str::<Value>(&stdout).unwrap()["status"].as_str(),
            Some("canceled")
        );
        let (code, _, stderr) = gpujobs(&["get", "no-such-job-gpujobs"]);
        assert_eq!(code, 4);
        assert!(
            stderr.starts_with("error: ray: not found: Job no-such-job-gpujobs does not exist"),
            "{stderr}"
        );
    }

    #[test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    fn logs_follow_streams_until_the_job_ends() {
        let id = fresh("cli-follow");
        json(&[
            "submit",
            "--id",
            &id,
            "--",
            "python",
            "-c",
            "import time\nfor i in range(3):\n    print('tick', i, flush=True); time.sleep(1)",
        ]);
        let started = std::time::Instant::now();
        let (code, stdout, stderr) = gpujobs(&["logs", "--follow", &id, "--timeout", "2m"]);
        assert_eq!(code, 0, "{stderr}");
        for i in 0..3 {
            assert!(stdout.contains(&format!("tick {i}")), "{stdout}");
        }
        let (_, status, _) = gpujobs(&["get", &id, "-o", "json"]);
        let job: Value = serde_json::from_str(&status).unwrap();
        assert_eq!(job["status"], "succeeded", "the stream ended with the job");
        assert!(
            started.elapsed() > std::time::Duration::from_secs(2),
            "it followed, not read once"
        );
    }

    /// The sweep, live: 50 tasks, at most 4 running (kept by the
    /// submitter), the submitter killed with SIGKILL once 10 are in and run
    /// again: exactly 50 tasks, each index once with its environment; `%4`
    /// kept (from Ray's records); status counts equal them; the failed two
    /// retried once; a sweep of running tasks canceled.
    #[test]
    #[ignore = "needs a Ray head node: scripts/ray-live.sh"]
    fn a_sweep_killed_part_way_and_run_again_through_the_cli() {
        let name = fresh("sweep");
        let params = std::env::temp_dir().join(format!("{name}.jsonl"));
        std::fs::write(&params, common::live_sweep_params()).unwrap();
        let params = params.to_str().unwrap();
        let script = "echo \"task $GPUJOBS_TASK_INDEX seed $SEED\"; exit $CODE";
        let args = [
            "submit",
            "--sweep",
            &name,
            "--params",
            params,
            "--max-running",
            "4",
            "--",
            script,
        ];
        let in_sweep = || {
            json(&["sweep", "status", &name])["tasks"]
                .as_u64()
                .unwrap_or(0)
        };
        let mut first = common::command();
        first.args(["-p", "ray"]).args(args);
        let killed = common::kill_when(&mut first, || {
            gpujobs(&["sweep", "status", &name]).0 == 0 && in_sweep() >= 10
        });
        assert!(
            killed,
            "the submitter keeps %4 until the last task is in: it was still running"
        );
        let before = in_sweep();
        assert!(before < 50, "killed part-way: {before} in");
        let (code, stdout, stderr) = gpujobs(&args);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stdout.contains(&format!(
                "{before} of 50 tasks already there, {} submitted",
                50 - before
            )),
            "{stdout}"
        );

        let (code, stdout, stderr) =
            gpujobs(&["-o", "json", "sweep", "wait", &name, "--timeout", "10m"]);
        assert_eq!(code, 1, "two tasks fail: {stderr}");
        let ended: Value = serde_json::from_str(&stdout).unwrap();
        let ended = ended.as_array().unwrap();
        let ids: std::collections::BTreeSet<&str> =
            ended.iter().map(|j| j["id"].as_str().unwrap()).collect();
        assert_eq!(
            ids,
            (0..50)
                .map(|i| format!("{name}-{i}"))
                .collect::<std::collections::BTreeSet<_>>()
                .iter()
                .map(String::as_str)
                .collect()
        );
        for i in [0, 7, 33, 49] {
            let (_, logs, _) = gpujobs(&["logs", &format!("{name}-{i}")]);
            assert!(
                logs.contains(&format!("task {i} seed {}", i * 7)),
                "task {i}: {logs}"
            );
        }
        // %4, from Ray's records: never more than four between start and end at once.
        let spans: Vec<(String, String)> = ended
            .iter()
            .map(|j| {
                (
                    j["started_at"].as_str().unwrap().to_owned(),
                    j["finished_at"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let most = spans
            .iter()
            .map(|(at, _)| spans.iter().filter(|(s, e)| s <= at && at < e).count())
            .max();
        assert!(most.is_some_and(|m| m <= 4), "{most:?} ran at once");
        let status = json(&["sweep", "status", &name]);
        assert_eq!(status["tasks"], 50, "{status}");
        assert_eq!(
            (
                status["succeeded"].as_u64(),
                status["failed"]["exit_code"].as_u64()
            ),
            (Some(48), Some(2)),
            "{status}"
        );

        let mut retry = args.to_vec();
        retry.splice(0..1, ["sweep", "retry"]);
        let (code, stdout, stderr) = gpujobs(&retry);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("2 submitted"), "{stdout}");
        assert_eq!(
            json(&["get", &format!("{name}-7-r1")])["id"],
            format!("{name}-7-r1")
        );

        // Cancel: three tasks that would run for five minutes.
        let held = fresh("held");
        assert_eq!(
            gpujobs(&[
                "submit",
                "--sweep",
                &held,
                "--array",
                "0-2",
                "--",
                "sleep 300"
            ])
            .0,
            0
        );
        let (code, _, stderr) = gpujobs(&["sweep", "cancel", &held]);
        assert_eq!(code, 0, "{stderr}");
        let (_, stdout, _) = gpujobs(&["-o", "json", "sweep", "wait", &held, "--timeout", "2m"]);
        let ended: Value = serde_json::from_str(&stdout).unwrap();
        assert!(
            ended
                .as_array()
                .unwrap()
                .iter()
                .all(|j| j["status"] == "canceled"),
            "{ended}"
        );
    }
}
