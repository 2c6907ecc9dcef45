//! The live Slurm checks through the `gpujobs` binary: JSON output and exit
//! codes against a real slurmrestd (`scripts/slurm-live.sh`). The token goes
//! to the CLI as users give it, in `SLURM_JWT`.

mod common;

// One module, so the live script can run exactly these ignored tests (`-- --ignored slurm_live::`)
// while building what `cargo test --workspace` built.
mod slurm_live {
    use super::common;

    use serde_json::Value;

    fn var(name: &str) -> String {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} is not set: run scripts/slurm-live.sh"))
    }

    fn gpujobs(args: &[&str]) -> (i32, String, String) {
        let token = format!("SLURM_JWT={}", var("GPUJOBS_SLURM_TOKEN"));
        common::run(
            common::command()
                .args(["-p", "slurm"])
                .args(args)
                .env("SLURM_JWT", token),
        )
    }

    fn json(args: &[&str]) -> Value {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        let (code, stdout, stderr) = gpujobs(&all);
        assert!(code <= 1, "gpujobs {all:?} exited {code}: {stderr}");
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"))
    }

    /// `gpujobs submit` with the flags Slurm jobs need, writing into the shared directory.
    fn submit(command: &[&str]) -> String {
        let dir = var("GPUJOBS_SLURM_WORKDIR");
        let output = format!("{dir}/%j.out");
        let mut args = vec!["submit", "--working-dir", &dir, "--output-file", &output];
        args.extend([
            "--time-limit",
            "5m",
            "--partition",
            "debug",
            "--cpus",
            "1",
            "--",
        ]);
        args.extend_from_slice(command);
        let job = json(&args);
        assert_eq!(job["provider"], "slurm", "{job}");
        job["id"].as_str().unwrap().to_owned()
    }

    #[test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    fn submit_get_list_wait_through_the_cli() {
        let id = submit(&["echo", "hi", "cli"]);
        assert_eq!(json(&["get", &id])["id"].as_str(), Some(id.as_str()));
        let listed = json(&["list"]);
        assert!(
            listed
                .as_array()
                .unwrap()
                .iter()
                .any(|j| j["id"] == id.as_str())
        );
        let (code, stdout, stderr) = gpujobs(&["wait", &id, "-o", "json", "--timeout", "2m"]);
        assert_eq!(code, 0, "{stderr}");
        let done: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            (done["status"].as_str(), done["exit_code"].as_i64()),
            (Some("succeeded"), Some(0))
        );
        let output = format!("{}/{id}.out", var("GPUJOBS_SLURM_WORKDIR"));
        assert_eq!(std::fs::read_to_string(output).unwrap(), "hi cli\n");
    }

    #[test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    fn a_failing_job_makes_wait_exit_1() {
        let id = submit(&["exit", "3"]);
        let (code, stdout, _) = gpujobs(&["wait", &id, "-o", "json", "--timeout", "2m"]);
        assert_eq!(code, 1);
        let job: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            (job["status"].as_str(), job["exit_code"].as_i64()),
            (Some("failed"), Some(3))
        );
    }

    #[test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    fn cancel_not_found_and_no_logs_through_the_cli() {
        let id = submit(&["sleep", "300"]);
        let outcome = json(&["cancel", &id]);
        assert!(
            matches!(outcome["outcome"].as_str(), Some("stopped" | "accepted")),
            "{outcome}"
        );
        let (code, stdout, _) = gpujobs(&["wait", &id, "-o", "json", "--timeout", "2m"]);
        assert_eq!(code, 1);
        assert_eq!(
            serde_json::from_str::<Value>(&stdout).unwrap()["status"],
            "canceled"
        );

        let (code, _, stderr) = gpujobs(&["get", "999999"]);
        assert_eq!(code, 4, "{stderr}");
        assert!(
            stderr.starts_with("error: slurm: not found: Invalid job id specified"),
            "{stderr}"
        );
        let (code, _, stderr) = gpujobs(&["logs", &id]);
        assert_eq!(code, 2, "slurmrestd has no logs endpoint: {stderr}");
        assert!(stderr.contains("gpujobs providers"), "{stderr}");
    }

    #[test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    fn a_submit_repeated_with_its_id_makes_one_job() {
        let id = format!("cli-{}", std::process::id());
        let dir = var("GPUJOBS_SLURM_WORKDIR");
        let args = [
            "submit",
            "--id",
            &id,
            "--working-dir",
            &dir,
            "--",
            "sleep",
            "1",
        ];
        let first = json(&args);
        let again = json(&args);
        assert_eq!(first["id"], again["id"], "{first} {again}");
        let (code, _, stderr) = gpujobs(&[
            "submit",
            "--id",
            &id,
            "--working-dir",
            &dir,
            "--",
            "sleep",
            "2",
        ]);
        assert_eq!(
            code, 6,
            "another request under the same id is a conflict: {stderr}"
        );
        assert!(stderr.contains("conflict"), "{stderr}");
    }

    #[test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    fn a_refused_gpu_request_is_exit_2_in_slurms_words() {
        let dir = var("GPUJOBS_SLURM_WORKDIR");
        let (code, stdout, stderr) = gpujobs(&[
            "submit",
            "--gpus",
            "1",
            "--working-dir",
            &dir,
            "--",
            "nvidia-smi",
        ]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains("Requested node configuration is not available"),
            "{stderr}"
        );
    }

    #[test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    fn verbose_says_which_version_was_chosen_and_a_pin_is_honoured() {
        let (code, _, stderr) = gpujobs(&["-v", "list"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains("speaking API v0.0."), "{stderr}");
        let (code, _, stderr) = gpujobs(&["--slurm-api-version", "v0.0.39", "list"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("gpujobs speaks v0.0.45"), "{stderr}");
    }

    #[test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    fn a_bad_token_is_exit_5_and_never_printed() {
        let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdW4iOiJyb290In0.forged-canary";
        let (code, _, stderr) = common::run(
            common::command()
                .args(["-p", "slurm", "list"])
                .env("SLURM_JWT", forged),
        );
        assert_eq!(code, 5, "{stderr}");
        assert!(stderr.contains("SLURM_JWT"), "{stderr}");
        assert!(!stderr.contains("forged-canary"), "{stderr}");
    }

    /// When each task in `ended` (a `sweep wait -o json` answer) started and
    /// ended, in order of starting.
    fn spans(ended: &Value) -> Vec<(String, String)> {
        let mut spans: Vec<(String, String)> = ended
            .as_array()
            .unwrap()
            .iter()
            .map(|j| {
                let at = |k: &str| {
                    j[k].as_str()
                        .unwrap_or_else(|| panic!("no {k}: {j}"))
                        .to_owned()
                };
                (at("started_at"), at("finished_at"))
            })
            .collect();
        spans.sort();
        spans
    }

    /// The sweep, live: 50 tasks at most one running at once, the
    /// submitter killed with SIGKILL once the array is in (if it has not ended
    /// by then) and run again: exactly 50 tasks, each index once with its
    /// environment; `%1` kept (from Slurm's records); status counts equal
    /// them; the failed two retried once; a sweep of running tasks canceled.
    #[test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    fn a_sweep_killed_part_way_and_run_again_through_the_cli() {
        if var("GPUJOBS_SLURM_ACCOUNTING") == "0" {
            // Slurm's tasks are found by name; without accounting, ended ones
            // are forgotten after MinJobAge and a re-run would submit them again.
            eprintln!("SKIPPED: sweeps are resumable on Slurm with accounting (slurmdbd) only");
            return;
        }
        let dir = var("GPUJOBS_SLURM_WORKDIR");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("live-{nanos:x}");
        let params = format!("{dir}/{name}.jsonl");
        std::fs::write(&params, common::live_sweep_params()).unwrap();
        let script = format!(
            "echo \"$GPUJOBS_TASK_INDEX $SLURM_ARRAY_TASK_ID $SEED\" > {dir}/{name}-$GPUJOBS_TASK_INDEX.env; exit $CODE"
        );
        let output = format!("{dir}/%A_%a.out");
        let submit = |sweep: &str, tasks: &[&str], script: &str| -> Vec<String> {
            [
                &["submit", "--sweep", sweep][..],
                tasks,
                &["--working-dir", &dir, "--output-file", &output],
            ]
            .concat()
            .into_iter()
            .chain([
                "--time-limit",
                "5m",
                "--partition",
                "debug",
                "--cpus",
                "1",
                "--",
                script,
            ])
            .map(str::to_owned)
            .collect()
        };
        let args = submit(&name, &["--params", &params, "--max-running", "1"], &script);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let token = format!("SLURM_JWT={}", var("GPUJOBS_SLURM_TOKEN"));
        let mut first = common::command();
        first
            .args(["-p", "slurm"])
            .args(&args)
            .env("SLURM_JWT", &token);
        let killed = common::kill_when(&mut first, || gpujobs(&["sweep", "status", &name]).0 == 0);
        eprintln!(
            "the first submit was {}",
            if killed {
                "killed"
            } else {
                "done before the kill"
            }
        );
        let (code, stdout, stderr) = gpujobs(&args);
        assert_eq!(code, 0, "{stderr}");
        assert!(
            stdout.contains("50 of 50 tasks already there, 0 submitted"),
            "{stdout}"
        );

        let (code, stdout, stderr) =
            gpujobs(&["-o", "json", "sweep", "wait", &name, "--timeout", "10m"]);
        assert_eq!(code, 1, "two tasks fail: {stderr}");
        let ended: Value = serde_json::from_str(&stdout).unwrap();
        let ids: std::collections::BTreeSet<&str> = ended
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 50, "{ids:?}");
        for i in 0..50 {
            let env = std::fs::read_to_string(format!("{dir}/{name}-{i}.env")).unwrap();
            assert_eq!(env, format!("{i} {i} {}\n", i * 7), "task {i}");
        }
        // %1, from Slurm's records: each task started once the one before had ended.
        let spans = spans(&ended);
        for pair in spans.windows(2) {
            assert!(pair[1].0 >= pair[0].1, "two running at once: {pair:?}");
        }
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

        let mut retry = args.clone();
        retry.splice(0..1, ["sweep", "retry"]);
        let (code, stdout, stderr) = gpujobs(&retry);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("2 submitted"), "{stdout}");
        let (code, stdout, _) = gpujobs(&["-o", "json", "sweep", "wait", &name, "--timeout", "5m"]);
        assert_eq!(code, 1);
        let retried: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            retried.as_array().unwrap().len(),
            50,
            "the latest attempt of each"
        );

        // Cancel: three tasks that would run for five minutes, one request for the array.
        let held = format!("{name}-c");
        let args = submit(&held, &["--array", "0-2"], "sleep 300");
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(gpujobs(&args).0, 0);
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
        assert_eq!(json(&["sweep", "status", &held])["canceled"], 3);
    }

    /// The contexts issue, live: a context whose `token_command` mints
    /// tokens of 20 s (`scontrol token lifespan=20`), and a `wait` on a job
    /// of 90 s that succeeds on them; the token commands run are counted.
    #[test]
    #[ignore = "needs slurmrestd: scripts/slurm-live.sh"]
    fn a_wait_of_90_s_on_tokens_of_20_s_from_a_token_command() {
        let release = var("GPUJOBS_SLURM_RELEASE");
        if !matches!(release.as_str(), "24.11" | "26.05") {
            eprintln!("SKIPPED: run on 24.11 and 26.05 (this is {release})");
            return;
        }
        let (command, dir) = (
            var("GPUJOBS_SLURM_TOKEN_COMMAND"),
            var("GPUJOBS_SLURM_WORKDIR"),
        );
        let count = format!("{command}.count");
        let runs = || std::fs::read_to_string(&count).map_or(0, |s| s.lines().count());
        let file = format!("{dir}/contexts-{release}.toml");
        std::fs::write(
            &file,
            format!(
                "current-context = \"live\"\n[contexts.live]\nprovider = \"slurm\"\nbase_url = \"{}\"\ntoken_command = [\"{command}\", \"20\"]\n",
                var("SLURMRESTD_URL")
            ),
        )
        .unwrap();
        // Only the context gives a credential: no SLURM_JWT, which would come first.
        let with_context = |args: &[&str]| {
            common::run(
                common::command()
                    .args(args)
                    .env("GPUJOBS_CONFIG", &file)
                    .env_remove("SLURM_JWT"),
            )
        };
        let before = runs();
        let (code, id, stderr) = with_context(&[
            "submit",
            "-o",
            "name",
            "--working-dir",
            &dir,
            "--partition",
            "debug",
            "--time-limit",
            "5m",
            "--",
            "sleep 90",
        ]);
        assert_eq!(code, 0, "{stderr}");
        let started = std::time::Instant::now();
        let (code, _, stderr) =
            with_context(&["wait", id.trim(), "--timeout", "5m", "--max-interval", "5s"]);
        assert_eq!(
            code, 0,
            "the 90 s job succeeded on tokens of 20 s: {stderr}"
        );
        let ran = runs() - before;
        eprintln!(
            "{ran} token commands for a submit and a wait of {:?}",
            started.elapsed()
        );
        // Fetched again at ¾ of each token's 20 s while requests go: about 7 for ~100 s.
        assert!((4..=12).contains(&ran), "{ran} token commands");
    }
}
