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
}
