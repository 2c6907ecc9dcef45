//! Many jobs at once from the command line: `wait A B C`, `wait --all`,
//! `get A B`, `cancel A B`, ids-only output and comma-separated statuses,
//! against a sandbox whose jobs end in milliseconds.

mod common;

use common::gpujobs;
use gpujobs::ProviderKind;
use gpujobs_sandbox::{JobSpec, Sandbox, SandboxConfig, Timing};
use serde_json::Value;

/// A fast sandbox with `commands` as Ray jobs; runs `test` with its ids and
/// the environment pointing at it.
fn with_ray_jobs(commands: &[&str], test: impl FnOnce(&[String], &[(&str, &str)])) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = SandboxConfig::default().timing(Timing::fast()).empty();
    let sandbox = runtime.block_on(Sandbox::start(config)).unwrap();
    let ids: Vec<String> = commands
        .iter()
        .map(|c| {
            sandbox
                .add_job(ProviderKind::Ray, JobSpec::new(*c))
                .unwrap()
        })
        .collect();
    let env = sandbox.env(ProviderKind::Ray);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    test(&ids, &env);
}

fn args<'a>(fixed: &[&'a str], ids: &'a [String]) -> Vec<&'a str> {
    let mut all = fixed.to_vec();
    all.extend(ids.iter().map(String::as_str));
    all.extend(["--interval", "20ms", "--max-interval", "100ms"]);
    all
}

#[test]
fn wait_for_several_jobs_reports_each_and_exits_1_when_one_failed() {
    with_ray_jobs(
        &["python a.py", "python b.py", "python c.py; exit 3"],
        |ids, env| {
            let (code, stdout, stderr) = gpujobs(&args(&["-p", "ray", "wait"], ids), env);
            assert_eq!(code, 1, "{stderr}");
            for id in ids {
                assert!(stdout.contains(id.as_str()), "{id} missing from\n{stdout}");
            }
            let statuses: Vec<&str> = stdout
                .lines()
                .skip(1)
                .filter_map(|row| row.split_whitespace().nth(3))
                .collect();
            let count = |want: &str| statuses.iter().filter(|s| **s == want).count();
            assert_eq!((count("succeeded"), count("failed")), (2, 1), "{stdout}");

            let two = &ids[..2];
            let (code, stdout, _) =
                gpujobs(&args(&["-p", "ray", "wait", "-o", "ndjson"], two), env);
            assert_eq!(code, 0, "all succeeded");
            let lines: Vec<Value> = stdout
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(lines.len(), 2);
            assert!(lines.iter().all(|j| j["status"] == "succeeded"));
        },
    );
}

#[test]
fn a_wait_that_runs_out_exits_3_naming_the_jobs_still_running() {
    with_ray_jobs(&["python a.py", "sleep infinity"], |ids, env| {
        let mut all = args(&["-p", "ray", "wait", "-o", "name"], ids);
        all.extend(["--timeout", "1s"]);
        let (code, stdout, stderr) = gpujobs(&all, env);
        assert_eq!(code, 3, "{stderr}");
        assert_eq!(stdout.trim(), ids[0], "the one that ended, by id");
        assert!(
            stderr.contains("1 of 2 jobs still running") && stderr.contains(ids[1].as_str()),
            "{stderr}"
        );
    });
}

#[test]
fn wait_all_takes_every_job_not_ended_when_it_starts() {
    with_ray_jobs(&["python a.py", "python b.py; exit 2"], |_, env| {
        let all = [
            "-p",
            "ray",
            "wait",
            "--all",
            "-o",
            "name",
            "--interval",
            "20ms",
        ];
        let (code, stdout, stderr) = gpujobs(&all, env);
        assert_eq!((code, stdout.lines().count()), (1, 2), "{stderr}");
    });
}

#[test]
fn get_and_cancel_take_several_ids_and_lists_pipe_into_them() {
    with_ray_jobs(
        &["sleep infinity", "sleep infinity", "sleep forever"],
        |ids, env| {
            let listed = [
                "-p",
                "ray",
                "list",
                "-o",
                "name",
                "--status",
                "queued,starting,running",
            ];
            let (code, stdout, _) = gpujobs(&listed, env);
            assert_eq!(code, 0);
            let mut names: Vec<&str> = stdout.lines().collect();
            names.sort_unstable();
            let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
            want.sort_unstable();
            assert_eq!(names, want, "one id a line, every running job");

            let mut get = vec!["-p", "ray", "get", "-o", "json"];
            get.extend(names.iter().copied());
            get.push("raysubmit_missing");
            let (code, stdout, stderr) = gpujobs(&get, env);
            assert_eq!(code, 4, "the missing one is reported: {stderr}");
            assert_eq!(
                serde_json::from_str::<Value>(&stdout)
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .len(),
                3
            );
            assert!(stderr.contains("raysubmit_missing"), "{stderr}");

            let mut cancel = vec!["-p", "ray", "cancel"];
            cancel.extend(names.iter().copied());
            let (code, stdout, stderr) = gpujobs(&cancel, env);
            assert_eq!(code, 0, "{stderr}");
            assert_eq!(stdout.matches("stopped").count(), 3, "{stdout}");
        },
    );
}

#[test]
fn name_output_is_refused_where_there_are_no_jobs_to_name() {
    let (code, _, stderr) = gpujobs(&["providers", "-o", "name"], &[]);
    assert_eq!(code, 2, "{stderr}");
}
