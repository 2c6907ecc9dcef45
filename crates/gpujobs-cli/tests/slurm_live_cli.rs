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
}
