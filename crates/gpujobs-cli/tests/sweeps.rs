//! The sweeps issue's rows at the command line, against a sandbox in this
//! process that the `gpujobs` binary asks over HTTP: a sweep of many tasks
//! in one command, one array on Slurm, the submitter killed part-way and run
//! again (each task exactly once), and `gpujobs sweep status|wait|cancel|retry`.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{command, gpujobs};
use gpujobs::ProviderKind;
use gpujobs_sandbox::{Fault, FaultRule, Sandbox, SandboxConfig, SlurmRelease, Timing};
use serde_json::Value;

const RELEASES: [SlurmRelease; 3] = [
    SlurmRelease::V22_05,
    SlurmRelease::V24_11,
    SlurmRelease::V26_05,
];

fn start_sandbox(
    runtime: &tokio::runtime::Runtime,
    release: SlurmRelease,
    timing: Timing,
) -> Sandbox {
    let config = SandboxConfig::default()
        .empty()
        .timing(timing)
        .slurm_release(release);
    runtime.block_on(Sandbox::start(config)).unwrap()
}

/// Tasks that run for a second or so.
fn quick() -> Timing {
    Timing {
        queued: Duration::from_millis(100),
        starting: Duration::from_millis(100),
        running: Duration::from_millis(800),
        cancel: Duration::from_millis(100),
    }
}

/// Tasks that stay running for the whole test.
fn slow() -> Timing {
    Timing {
        running: Duration::from_secs(3600),
        ..quick()
    }
}

fn env(sandbox: &Sandbox, kind: ProviderKind) -> Vec<(String, String)> {
    sandbox
        .env(kind)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

fn run(args: &[&str], env: &[(String, String)]) -> (i32, String, String) {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    gpujobs(args, &env)
}

/// Where Slurm runs the tasks (its submit needs one); elsewhere none, as a
/// Ray working directory is uploaded.
fn working_dir(kind: ProviderKind) -> &'static [&'static str] {
    match kind {
        ProviderKind::Slurm => &["--working-dir", "/tmp"],
        _ => &[],
    }
}

/// The index each job of `kind` in the sandbox was given, in order.
fn indices(sandbox: &Sandbox, kind: ProviderKind) -> Vec<u64> {
    let mut found: Vec<u64> = sandbox
        .jobs(kind)
        .iter()
        .filter_map(|j| j.spec.env.get("GPUJOBS_TASK_INDEX")?.parse().ok())
        .collect();
    found.sort_unstable();
    found
}

#[test]
fn a_thousand_tasks_go_in_with_one_command_and_on_slurm_as_one_array() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (kind, release) in [(ProviderKind::Ray, SlurmRelease::default())]
        .into_iter()
        .chain(RELEASES.map(|r| (ProviderKind::Slurm, r)))
    {
        let sandbox = runtime
            .block_on(Sandbox::start(
                SandboxConfig::default()
                    .empty()
                    .timing(slow())
                    .slurm_release(release),
            ))
            .unwrap();
        let env = env(&sandbox, kind);
        // Slurm keeps `%64` itself; elsewhere the submitter would stay to keep it
        // (these tasks run for an hour), so the Ray sweep has no limit.
        let array = match kind {
            ProviderKind::Slurm => "0-999%64",
            _ => "0-999",
        };
        let args = [
            &[
                "-p",
                kind.as_str(),
                "submit",
                "--sweep",
                "seeds",
                "--array",
                array,
            ][..],
            working_dir(kind),
            &["--", "python", "train.py"],
        ]
        .concat();
        let (code, stdout, stderr) = run(&args, &env);
        assert_eq!(code, 0, "{kind} {release:?}: {stderr}");
        assert!(
            stdout.contains("0 of 1000 tasks already there, 1000 submitted, 0 failed"),
            "{stdout}"
        );
        assert_eq!(
            indices(&sandbox, kind),
            (0..1000).collect::<Vec<u64>>(),
            "{kind} {release:?}: each index once"
        );
        let posts = sandbox
            .requests()
            .into_iter()
            .filter(|r| r.method == "POST")
            .count();
        match kind {
            ProviderKind::Slurm => {
                assert_eq!(posts, 1, "{release:?}: one request for the whole sweep")
            }
            _ => assert_eq!(posts, 1000),
        }
        // What each task runs is the command, untouched, after its prelude.
        if kind == ProviderKind::Slurm {
            let job = &sandbox.jobs(kind)[7];
            assert_eq!(
                job.spec.env["SLURM_ARRAY_TASK_ID"],
                job.spec.env["GPUJOBS_TASK_INDEX"]
            );
            assert!(
                job.spec.command.ends_with("python train.py"),
                "{}",
                job.spec.command
            );
        }
        // Run again: nothing more goes in.
        let (code, stdout, _) = run(&args, &env);
        assert_eq!(code, 0);
        assert!(
            stdout.contains("1000 of 1000 tasks already there, 0 submitted"),
            "{kind} {release:?}: {stdout}"
        );
        assert_eq!(sandbox.jobs(kind).len(), 1000);
    }
}

/// Starts `args` with only `env`, and kills it with SIGKILL once `ready`.
fn kill_part_way(args: &[&str], env: &[(String, String)], ready: impl Fn() -> bool) {
    let mut command = command();
    command
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    assert!(
        common::kill_when(&mut command, ready),
        "the submit ended before it was killed"
    );
}

#[test]
fn a_submitter_killed_part_way_and_run_again_leaves_each_task_exactly_once() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // Ray: one submit at a time, killed once 40 of 200 went in.
    let sandbox = start_sandbox(&runtime, SlurmRelease::default(), slow());
    let env_ray = env(&sandbox, ProviderKind::Ray);
    let args = [
        "-p",
        "ray",
        "submit",
        "--sweep",
        "kill",
        "--array",
        "0-199",
        "--submit-concurrency",
        "1",
        "--",
        "python",
        "train.py",
    ];
    kill_part_way(&args, &env_ray, || {
        sandbox.jobs(ProviderKind::Ray).len() >= 40
    });
    let before = sandbox.jobs(ProviderKind::Ray).len();
    assert!(before < 200, "killed part-way: {before} in");
    let (code, stdout, stderr) = run(&args, &env_ray);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains(&format!(
            "{before} of 200 tasks already there, {} submitted",
            200 - before
        )),
        "{stdout}"
    );
    assert_eq!(
        indices(&sandbox, ProviderKind::Ray),
        (0..200).collect::<Vec<u64>>()
    );
    // Slurm: killed while its one submit is in flight (slurmctld has it; its answer is slow).
    for release in RELEASES {
        let sandbox = start_sandbox(&runtime, release, slow());
        let env = env(&sandbox, ProviderKind::Slurm);
        sandbox.inject(
            FaultRule::new(Fault::SlowAnswer(Duration::from_secs(30)))
                .provider(ProviderKind::Slurm)
                .method("POST")
                .times(1),
        );
        let args = [
            "-p",
            "slurm",
            "submit",
            "--sweep",
            "kill",
            "--array",
            "0-49%8",
            "--working-dir",
            "/tmp",
            "--",
            "python",
            "train.py",
        ];
        kill_part_way(&args, &env, || {
            !sandbox.jobs(ProviderKind::Slurm).is_empty()
        });
        let (code, stdout, stderr) = run(&args, &env);
        assert_eq!(code, 0, "{release:?}: {stderr}");
        assert_eq!(
            indices(&sandbox, ProviderKind::Slurm),
            (0..50).collect::<Vec<u64>>(),
            "{release:?}: {stdout}"
        );
    }
}

#[test]
fn status_wait_cancel_and_retry_a_sweep() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    for (kind, release) in [
        (ProviderKind::Ray, SlurmRelease::default()),
        (ProviderKind::Slurm, SlurmRelease::V22_05),
        (ProviderKind::Slurm, SlurmRelease::V26_05),
    ] {
        let sandbox = start_sandbox(&runtime, release, quick());
        let env = env(&sandbox, kind);
        let params = std::env::temp_dir().join(format!(
            "gpujobs-sweep-{}-{kind}-{release:?}.jsonl",
            std::process::id()
        ));
        std::fs::write(
            &params,
            "{\"CODE\": 0}\n{\"CODE\": 3}\n{\"CODE\": 0}\n{\"CODE\": 5}\n",
        )
        .unwrap();
        let params = params.to_str().unwrap();
        let submit = [
            &[
                "-p",
                kind.as_str(),
                "submit",
                "--sweep",
                "codes",
                "--params",
                params,
            ][..],
            working_dir(kind),
            &["--", "exit $CODE"],
        ]
        .concat();
        assert_eq!(run(&submit, &env).0, 0, "{kind}");
        // wait: as `wait` on many, 1 when a task failed.
        let (code, stdout, stderr) = run(
            &["-p", kind.as_str(), "sweep", "wait", "codes", "-o", "json"],
            &env,
        );
        assert_eq!(code, 1, "{kind} {release:?}: {stderr}");
        let ended: Vec<Value> = serde_json::from_str(&stdout).unwrap();
        assert_eq!(ended.len(), 4);
        let (code, stdout, _) = run(
            &[
                "-p",
                kind.as_str(),
                "sweep",
                "status",
                "codes",
                "-o",
                "json",
            ],
            &env,
        );
        assert_eq!(code, 0);
        let status: Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(
            (status["tasks"].as_u64(), status["succeeded"].as_u64()),
            (Some(4), Some(2)),
            "{kind} {release:?}: {stdout}"
        );
        assert_eq!(status["failed"]["exit_code"], 2, "{stdout}");
        // retry: the two failed tasks only, as attempt 1; again, nothing (they have not failed yet).
        let mut retry: Vec<&str> = submit.to_vec();
        retry.splice(2..3, ["sweep", "retry"]);
        let (code, stdout, stderr) = run(&[&["-o", "ndjson"][..], &retry].concat(), &env);
        assert_eq!(code, 0, "{stderr}");
        let retried: BTreeSet<(u64, u64)> = stdout
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .map(|e| (e["index"].as_u64().unwrap(), e["attempt"].as_u64().unwrap()))
            .collect();
        assert_eq!(
            retried,
            BTreeSet::from([(1, 1), (3, 1)]),
            "{kind} {release:?}"
        );
        let (_, stdout, _) = run(&retry, &env);
        assert!(
            stdout.contains("0 submitted"),
            "{kind} {release:?}: {stdout}"
        );
        // cancel: the retries, still running.
        let (code, stdout, stderr) = run(
            &[
                "-p",
                kind.as_str(),
                "sweep",
                "cancel",
                "codes",
                "-o",
                "ndjson",
            ],
            &env,
        );
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(stdout.lines().count(), 2, "{kind} {release:?}: {stdout}");
        // A sweep the provider has none of is not found (exit 4).
        assert_eq!(
            run(&["-p", kind.as_str(), "sweep", "status", "nothing"], &env).0,
            4
        );
    }
}

#[test]
fn a_sweep_the_command_line_cannot_describe_is_a_usage_error() {
    for (args, says) in [
        (
            vec!["submit", "--sweep", "a", "--", "x"],
            "--array START-END[%N] or --params FILE",
        ),
        (
            vec!["submit", "--sweep", "a", "--array", "9-3", "--", "x"],
            "the end comes before the start",
        ),
        (
            vec![
                "submit",
                "--sweep",
                "a",
                "--array",
                "0-9%2",
                "--max-running",
                "3",
                "--",
                "x",
            ],
            "one limit",
        ),
        (
            vec![
                "submit", "--sweep", "a", "--id", "b", "--array", "0-1", "--", "x",
            ],
            "derived from the sweep's name",
        ),
        (
            vec!["submit", "--sweep", "Bad_Name", "--array", "0-1", "--", "x"],
            "--sweep",
        ),
    ] {
        let (code, _, stderr) = gpujobs(&[&["--sandbox", "-p", "ray"], &args[..]].concat(), &[]);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
