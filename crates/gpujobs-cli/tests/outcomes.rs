//! The outcomes issue's rows at the command line: a job killed by its time
//! limit says so in `-o json` (`"cause": "time_limit"`, with its usage),
//! after slurmctld forgot it; `list --since` finds such jobs; a Slurm without
//! accounting says so once with `-v`. The sandbox runs on a manual clock in
//! this process; the `gpujobs` binary asks it over HTTP.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::gpujobs;
use gpujobs::{ProviderKind, SubmitRequest};
use gpujobs_runtime::ManualClock;
use gpujobs_sandbox::{Sandbox, SandboxConfig, Timing};
use serde_json::Value;

fn sandbox(runtime: &tokio::runtime::Runtime, clock: &ManualClock, accounting: bool) -> Sandbox {
    let timing = Timing {
        queued: Duration::from_secs(1),
        starting: Duration::from_secs(1),
        running: Duration::from_secs(30),
        cancel: Duration::from_secs(1),
    };
    let config = SandboxConfig::default()
        .empty()
        .timing(timing)
        .clock(Arc::new(clock.clone()))
        .slurm_min_job_age(Duration::from_secs(300))
        .slurm_accounting(accounting);
    runtime.block_on(Sandbox::start(config)).unwrap()
}

/// A job with a 1-minute limit that would run for ever, ended and forgotten: its id.
fn timed_out(runtime: &tokio::runtime::Runtime, sandbox: &Sandbox, clock: &ManualClock) -> String {
    let slurm = sandbox.provider(ProviderKind::Slurm).unwrap();
    let limit = gpujobs::slurm::SlurmOptions::default().time_limit(Duration::from_secs(60));
    let request = SubmitRequest::new("sleep infinity")
        .working_dir("/tmp")
        .options(limit);
    let job = runtime.block_on(slurm.submit(&request)).unwrap();
    clock.advance(Duration::from_secs(62 + 360));
    job.id
}

fn env(sandbox: &Sandbox) -> Vec<(String, String)> {
    sandbox
        .env(ProviderKind::Slurm)
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
}

#[test]
fn a_job_its_time_limit_killed_says_so_in_json_after_slurmctld_forgot_it() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let clock = ManualClock::at(SystemTime::now());
    let sandbox = sandbox(&runtime, &clock, true);
    let id = timed_out(&runtime, &sandbox, &clock);
    let env = env(&sandbox);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (code, stdout, stderr) = gpujobs(&["-p", "slurm", "get", &id, "-o", "json"], &env);
    assert_eq!(code, 0, "{stderr}");
    let job: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (job["status"].as_str(), job["cause"].as_str()),
        (Some("failed"), Some("time_limit")),
        "{stdout}"
    );
    assert!(
        job["usage"]["elapsed_seconds"]
            .as_f64()
            .is_some_and(|s| s >= 60.0),
        "{stdout}"
    );
    assert_eq!(job["usage"]["nodes"], "sandbox-node");
    let (_, table, _) = gpujobs(&["-p", "slurm", "get", &id], &env);
    assert!(
        table.contains("cause           time_limit") && table.contains("usage           ran 1m"),
        "{table}"
    );
    let (_, listed, _) = gpujobs(&["-p", "slurm", "list", "-o", "name"], &env);
    assert!(
        !listed.contains(&id),
        "slurmctld alone has forgotten it: {listed}"
    );
    let (code, listed, stderr) = gpujobs(
        &["-p", "slurm", "list", "--since", "1d", "-o", "name"],
        &env,
    );
    assert_eq!((code, listed.trim()), (0, id.as_str()), "{stderr}");
}

#[test]
fn a_slurm_without_accounting_says_so_once_with_v() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let clock = ManualClock::at(SystemTime::now());
    let sandbox = sandbox(&runtime, &clock, false);
    let id = timed_out(&runtime, &sandbox, &clock);
    let env = env(&sandbox);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (code, _, stderr) = gpujobs(&["-v", "-p", "slurm", "get", &id], &env);
    assert_eq!(code, 4, "not found, as before: {stderr}");
    let said = stderr
        .matches("slurm: no accounting at /slurmdb: ended jobs are known for MinJobAge only")
        .count();
    assert_eq!(said, 1, "{stderr}");
}
