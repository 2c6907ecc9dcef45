//! The `gpujobs` binary, end to end: golden outputs against its built-in
//! sandbox (whose demo ids are seeded, so they repeat), exit codes, and
//! providers that answer garbage.

mod common;

use std::sync::Arc;

use common::gpujobs;
use gpujobs::ProviderKind;
use gpujobs_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Runs against a sandbox seeded as the built-in one is (so the same demo
/// ids) whose clock stands still: its demo jobs stay in the states they start
/// in however long the command takes on a busy machine. Expects success.
fn sandbox(args: &[&str]) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let still = Arc::new(gpujobs_runtime::ManualClock::at(
        std::time::SystemTime::now(),
    ));
    let config = SandboxConfig::default().seed(42).clock(still);
    let sandbox = runtime.block_on(Sandbox::start(config)).unwrap();
    let env: Vec<(&str, String)> = ProviderKind::ALL
        .iter()
        .flat_map(|kind| sandbox.env(*kind))
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, stdout, stderr) = gpujobs(args, &env);
    assert_eq!(code, 0, "gpujobs {args:?} failed: {stderr}");
    // A submit says that the built-in sandbox lasts one command; nothing else goes to stderr.
    let unexpected: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("note: "))
        .collect();
    assert!(unexpected.is_empty(), "unexpected stderr: {stderr}");
    stdout
}

/// Replaces what changes from run to run: wall-clock times and second counts.
fn stable(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<String> = line
            .split(' ')
            .map(|w| {
                let is_time = w.len() == 8 && w.chars().filter(|c| *c == ':').count() == 2;
                let is_date = w.len() == 10
                    && w.chars().filter(|c| *c == '-').count() == 2
                    && w.starts_with("20");
                let is_secs = w.ends_with('s')
                    && w.len() <= 3
                    && w[..w.len() - 1].chars().all(|c| c.is_ascii_digit());
                match (is_time, is_date, is_secs) {
                    (true, _, _) => "<time>".into(),
                    (_, true, _) => "<date>".into(),
                    (_, _, true) => "<n>s".into(),
                    _ => w.to_owned(),
                }
            })
            .collect();
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    out
}

/// The demo job ids of `provider`, by name.
fn demo_ids(provider: &str) -> Vec<(String, String)> {
    let jobs: Value =
        serde_json::from_str(&sandbox(&["-p", provider, "list", "-o", "json"])).unwrap();
    jobs.as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["name"].as_str().unwrap_or_default().to_owned(),
                j["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn demo_id(provider: &str, name: &str) -> String {
    demo_ids(provider)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, id)| id)
        .unwrap()
}

#[test]
fn list_shows_every_provider_in_one_table() {
    insta::assert_snapshot!(stable(&sandbox(&["list"])));
}

#[test]
fn list_filters_by_status_and_limits() {
    let out = sandbox(&[
        "list",
        "--status",
        "failed",
        "--status",
        "succeeded",
        "--limit",
        "1",
    ]);
    insta::assert_snapshot!(stable(&out));
}

#[test]
fn list_as_json_is_an_array_of_jobs() {
    let jobs: Value = serde_json::from_str(&sandbox(&["-p", "ray", "list", "-o", "json"])).unwrap();
    insta::assert_json_snapshot!(jobs, {
        "[].created_at" => "<time>", "[].started_at" => "<time>", "[].finished_at" => "<time>",
        "[].failure_reason" => "<reason>",
    });
}

#[test]
fn list_as_ndjson_is_one_job_per_line() {
    let out = sandbox(&["-p", "tensorpool", "list", "-o", "ndjson"]);
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|j| j["provider"] == "tensorpool"));
    let every: Vec<Value> = sandbox(&["list", "-o", "ndjson"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let all = gpujobs::ProviderKind::ALL.len();
    assert_eq!(every.len(), 4 * all, "4 demo jobs from each provider");
    let providers: std::collections::BTreeSet<&str> = every
        .iter()
        .map(|j| j["provider"].as_str().unwrap())
        .collect();
    assert_eq!(providers.len(), all);
}

#[test]
fn get_shows_one_job() {
    let id = demo_id("tensorpool", "eval-nightly");
    insta::assert_snapshot!(stable(&sandbox(&["-p", "tensorpool", "get", &id])));
    let job: Value =
        serde_json::from_str(&sandbox(&["-p", "tensorpool", "get", &id, "-o", "json"])).unwrap();
    assert_eq!(
        (job["status"].as_str(), job["exit_code"].as_i64()),
        (Some("failed"), Some(3))
    );
    let keys: Vec<&str> = job
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = [
        "provider",
        "id",
        "name",
        "status",
        "provider_status",
        "failure_reason",
        "exit_code",
        "created_at",
        "started_at",
        "finished_at",
        "message",
        "cause",
        "usage",
        "array",
        "log_url",
    ];
    expected.sort();
    assert_eq!(keys, expected);
}

#[test]
fn secrets_in_urls_are_redacted_unless_asked() {
    let id = demo_id("ppio", "instanceMigrate");
    let shown = sandbox(&["-p", "ppio", "get", &id, "-o", "json"]);
    assert!(
        shown.contains("token=[REDACTED]") && !shown.contains("sandbox-log-token"),
        "{shown}"
    );
    let revealed = sandbox(&["-p", "ppio", "get", &id, "-o", "json", "--show-secrets"]);
    assert!(revealed.contains("token=sandbox-log-token"), "{revealed}");
}

#[test]
fn logs_behind_a_signed_url_are_fetched_and_printed() {
    let id = demo_id("ppio", "instanceMigrate");
    let logs = sandbox(&["-p", "ppio", "logs", &id]);
    assert!(logs.starts_with("[sandbox] $ "), "{logs}");
    assert!(!logs.contains("token="), "{logs}");
}

#[test]
fn cancel_stops_a_running_job_and_accepts_an_ended_one() {
    let running = demo_id("ray", "serve-llm");
    insta::assert_snapshot!(sandbox(&["-p", "ray", "cancel", &running]), @"ray raysubmit_u6rkh7lfsv9dwwto: stopped — now canceled");
    let done = demo_id("ray", "train-resnet");
    let out: Value =
        serde_json::from_str(&sandbox(&["-p", "ray", "cancel", &done, "-o", "json"])).unwrap();
    assert_eq!(
        (out["outcome"].as_str(), out["job"]["status"].as_str()),
        (Some("already_ended"), Some("succeeded"))
    );
    let accepted = demo_id("matpool", "serve-llm");
    let out = sandbox(&["-p", "matpool", "cancel", &accepted]);
    assert!(
        out.contains("cancel accepted") && out.ends_with("now canceling\n"),
        "{out}"
    );
}

#[test]
fn wait_exits_0_on_success_1_on_failure_3_on_timeout() {
    let ok = demo_id("ray", "train-resnet");
    let (code, stdout, _) = gpujobs(&["--sandbox", "-p", "ray", "wait", &ok], &[]);
    assert_eq!(code, 0);
    assert!(stdout.contains("succeeded"));
    let failed = demo_id("yuanrong", "eval-nightly");
    let (code, stdout, _) = gpujobs(
        &["--sandbox", "-p", "yuanrong", "wait", &failed, "-o", "json"],
        &[],
    );
    assert_eq!(code, 1);
    let job: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (job["status"].as_str(), job["exit_code"].as_i64()),
        (Some("failed"), Some(3))
    );
    let forever = demo_id("ray", "serve-llm");
    let (code, stdout, stderr) = gpujobs(
        &[
            "--sandbox",
            "-p",
            "ray",
            "wait",
            &forever,
            "--for",
            "1500ms",
        ],
        &[],
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("timed out") && stderr.contains("was running"),
        "{stderr}"
    );
}

#[test]
fn logs_print_the_job_output() {
    let id = demo_id("ray", "eval-nightly");
    insta::assert_snapshot!(sandbox(&["-p", "ray", "logs", &id]), @r"
    [sandbox] $ python eval.py; exit 3
    [sandbox] exited with code 3
    ");
}

#[test]
fn submit_uses_what_each_provider_takes() {
    let job: Value = serde_json::from_str(&sandbox(&[
        "-p", "ray", "submit", "--id", "cli-1", "-e", "A=1", "-o", "json", "--", "python", "x.py",
    ]))
    .unwrap();
    assert_eq!(
        (job["id"].as_str(), job["status"].as_str()),
        (Some("cli-1"), Some("queued"))
    );
    let job: Value = serde_json::from_str(&sandbox(&[
        "-p",
        "matpool",
        "submit",
        "--gpu",
        "NVIDIA A16",
        "--image",
        "633839",
        "-o",
        "json",
        "nvidia-smi",
    ]))
    .unwrap();
    assert_eq!(job["status"].as_str(), Some("queued"));
    let (code, _, stderr) = gpujobs(&["--sandbox", "-p", "matpool", "submit", "nvidia-smi"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("GPU model"), "{stderr}");
    let (code, _, stderr) = gpujobs(&["--sandbox", "-p", "tensorpool", "submit", "x"], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.starts_with("error: tensorpool does not support submit"),
        "{stderr}"
    );
}

#[test]
fn providers_show_the_capability_matrix() {
    insta::assert_snapshot!(gpujobs(&["providers"], &[]).1);
    let rows: Value = serde_json::from_str(&gpujobs(&["providers", "-o", "json"], &[]).1).unwrap();
    assert_eq!(
        rows.as_array().unwrap().len(),
        gpujobs::ProviderKind::ALL.len()
    );
}

#[test]
fn schema_describes_the_json_output() {
    let (code, stdout, _) = gpujobs(&["schema"], &[]);
    assert_eq!(code, 0);
    let schema: Value = serde_json::from_str(&stdout).unwrap();
    let properties = schema["properties"].as_object().unwrap();
    assert_eq!(properties.len(), 15);
    assert!(properties.contains_key("provider_status") && !properties.contains_key("raw"));
}

#[test]
fn completions_and_help() {
    let (code, bash, _) = gpujobs(&["completions", "bash"], &[]);
    assert_eq!(code, 0);
    assert!(bash.contains("gpujobs") && bash.contains("complete"));
    let (code, help, _) = gpujobs(&["--help"], &[]);
    assert_eq!(code, 0);
    assert!(
        help.contains("Exit codes:") && help.contains("5  authentication or permission refused"),
        "{help}"
    );
    for command in [
        "get",
        "list",
        "cancel",
        "wait",
        "logs",
        "submit",
        "providers",
        "schema",
        "sandbox",
    ] {
        let (code, help, _) = gpujobs(&[command, "--help"], &[]);
        assert_eq!(code, 0, "{command} --help");
        assert!(help.contains("Usage: gpujobs"), "{command}: {help}");
    }
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(gpujobs(&["list", "--status", "sideways"], &[]).0, 2);
    assert_eq!(gpujobs(&["--bogus"], &[]).0, 2);
    let (code, _, stderr) = gpujobs(&["get", "x"], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("-p/--provider"), "{stderr}");
    let (code, _, stderr) = gpujobs(&["list"], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--sandbox"), "{stderr}");
}

#[test]
fn not_found_exits_4() {
    let (code, stdout, stderr) = gpujobs(&["--sandbox", "-p", "yuanrong", "get", "app-nope"], &[]);
    assert_eq!((code, stdout.as_str()), (4, ""));
    assert_eq!(stderr.lines().count(), 1);
    assert!(
        stderr.starts_with("error: yuanrong: not found: not found app, submissionId: app-nope"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn authentication_failures_exit_5_and_say_what_to_set() {
    // A credential never given is missing configuration (exit 2, as the README says).
    let (code, _, stderr) = gpujobs(&["-p", "ppio", "list"], &[]);
    assert_eq!(code, 2);
    assert_eq!(
        stderr,
        "error: ppio: configuration: no credential: set PPIO_API_KEY\n"
    );

    let sandbox = gpujobs_sandbox::Sandbox::start(gpujobs_sandbox::SandboxConfig::default())
        .await
        .unwrap();
    let url = sandbox.base_url(gpujobs::ProviderKind::Matpool);
    let env = [
        ("MATPOOL_TOKEN", "wrong-token-canary"),
        ("MATPOOL_BASE_URL", url.as_str()),
    ];
    // The sandbox serves from this runtime while the CLI runs: block this thread only.
    let (code, _, stderr) =
        tokio::task::block_in_place(|| gpujobs(&["-p", "matpool", "list"], &env));
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("check jwt token failed") && stderr.contains("MATPOOL_TOKEN"),
        "{stderr}"
    );
    assert!(!stderr.contains("wrong-token-canary"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_answering_garbage_exits_6_with_one_line() {
    let server = MockServer::start().await;
    Mock::given(path("/api/jobs/html"))
        .respond_with(ResponseTemplate::new(502).set_body_raw(
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
            "text/html",
        ))
        .mount(&server)
        .await;
    Mock::given(path("/api/jobs/truncated"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"type":"SUBMISSION","entrypoint":"x","sta"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let uri = server.uri();
    for (id, expected) in [
        ("html", "HTTP 502: an HTML page instead of an API answer"),
        ("truncated", "could not be read"),
    ] {
        let args = ["-p", "ray", "--base-url", uri.as_str(), "get", id];
        let (code, stdout, stderr) = tokio::task::block_in_place(|| gpujobs(&args, &[]));
        assert_eq!((code, stdout.as_str()), (6, ""), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("error: ray: ") && stderr.contains(expected),
            "{stderr}"
        );
    }
}
