//! The CLI as people use it: kubectl-style time limits, pipes closed early,
//! tables that fit, waiting and watching, logs, error lines and help that say
//! what to type. One test (or more) per point of the issue that asked for it.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::gpujobs;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The id of a demo job of the built-in sandbox, by name.
fn demo_id(provider: &str, name: &str) -> String {
    let (_, out, _) = gpujobs(&["--sandbox", "-p", provider, "list", "-o", "json"], &[]);
    let jobs: Value = serde_json::from_str(&out).unwrap();
    jobs.as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn ray_job(id: &str, status: &str) -> Value {
    json!({"type": "SUBMISSION", "entrypoint": "python x.py", "submission_id": id, "status": status,
           "start_time": 1764000000000u64})
}

/// Answers each GET of a Ray job with the next status, then the last one forever.
struct Statuses(std::sync::Mutex<Vec<&'static str>>);

impl Respond for Statuses {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut left = self.0.lock().unwrap();
        let status = if left.len() > 1 {
            left.remove(0)
        } else {
            left[0]
        };
        let id = request.url.path().rsplit('/').next().unwrap_or_default();
        ResponseTemplate::new(200).set_body_json(ray_job(id, status))
    }
}

/// A Ray whose job `j1` is RUNNING until `ends_after`, then SUCCEEDED.
struct EndsAfter(Instant, Duration);

impl Respond for EndsAfter {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let status = match self.0.elapsed() >= self.1 {
            true => "SUCCEEDED",
            false => "RUNNING",
        };
        ResponseTemplate::new(200).set_body_json(ray_job("j1", status))
    }
}

// 1. `wait --timeout` bounds the whole wait (`--for` too); `--request-timeout` is per request.
#[test]
fn wait_timeout_bounds_the_whole_wait() {
    let forever = demo_id("ray", "serve-llm");
    for flag in ["--timeout", "--for"] {
        let started = Instant::now();
        let (code, stdout, stderr) = gpujobs(
            &["--sandbox", "-p", "ray", "wait", &forever, flag, "3s"],
            &[],
        );
        assert_eq!((code, stdout.as_str()), (3, ""), "{stderr}");
        assert!(
            stderr.contains("timed out") && stderr.contains("was running"),
            "{stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{flag}: {:?}",
            started.elapsed()
        );
    }
    let (code, _, stderr) = gpujobs(
        &["--sandbox", "-p", "ray", "--timeout", "3s", "get", "x"],
        &[],
    );
    assert_eq!(
        code, 2,
        "--timeout is not a global option any more: {stderr}"
    );
}

// 2. A closed stdout ends the program quietly, whatever the output format.
#[tokio::test(flavor = "multi_thread")]
async fn a_pipe_closed_early_ends_quietly() {
    let server = MockServer::start().await;
    let jobs: Vec<Value> = (0..3000)
        .map(|i| ray_job(&format!("job-{i:05}"), "SUCCEEDED"))
        .collect();
    Mock::given(path("/api/jobs/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(jobs))
        .mount(&server)
        .await;
    let url = server.uri();
    for output in ["table", "json", "ndjson"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gpujobs"))
            .args(["-p", "ray", "--base-url", &url, "list", "-o", output])
            .env_clear()
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        // The reader is dropped here: the pipe is closed after one line, like `| head -1`.
        let out = tokio::task::block_in_place(|| child.wait_with_output()).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!first.is_empty());
        assert!(out.status.success(), "{output}: {:?} {stderr}", out.status);
        assert!(stderr.is_empty(), "{output}: {stderr}");
    }
}

// 4. The default polling notices the end of a job within 5 s (it used to back off to 30 s):
// on a manual clock, in `commands/wait.rs`'s tests. Here, the real binary waits for a real end.
#[tokio::test(flavor = "multi_thread")]
async fn wait_returns_once_the_job_has_ended() {
    let server = MockServer::start().await;
    let started = Instant::now();
    Mock::given(method("GET"))
        .and(path("/api/jobs/j1"))
        .respond_with(EndsAfter(started, Duration::from_secs(2)))
        .mount(&server)
        .await;
    let url = server.uri();
    let (code, stdout, stderr) = tokio::task::block_in_place(|| {
        gpujobs(&["-p", "ray", "--base-url", &url, "wait", "j1"], &[])
    });
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("succeeded"), "{stdout}");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "not before it ended"
    );
}

// 5. `logs --follow` streams until the job ends (Ray, over its WebSocket tail).
#[test]
fn logs_follow_prints_until_the_job_ends() {
    let ended = demo_id("ray", "eval-nightly");
    let (code, stdout, stderr) =
        gpujobs(&["--sandbox", "-p", "ray", "logs", "--follow", &ended], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        "[sandbox] $ python eval.py; exit 3\n[sandbox] exited with code 3\n"
    );
    let running = demo_id("ray", "serve-llm");
    let started = Instant::now();
    let (code, stdout, stderr) = gpujobs(
        &[
            "--sandbox",
            "-p",
            "ray",
            "logs",
            "--follow",
            &running,
            "--timeout",
            "2s",
        ],
        &[],
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stdout.starts_with("[sandbox] $ python serve.py"),
        "{stdout}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    let (code, _, stderr) = gpujobs(
        &["--sandbox", "-p", "tensorpool", "logs", "--follow", "x"],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("does not support following logs"),
        "{stderr}"
    );
}

// 6. Errors speak the command line's language.
#[tokio::test(flavor = "multi_thread")]
async fn errors_name_flags_and_spot_the_sandbox_root() {
    let (code, _, stderr) = gpujobs(&["-p", "yuanrong", "get", "x"], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("set YUANRONG_BASE_URL (or --base-url)"),
        "{stderr}"
    );
    let (code, _, stderr) = gpujobs(&["--sandbox", "-p", "matpool", "submit", "x"], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("(--gpu)"), "{stderr}");
    let (_, _, stderr) = gpujobs(&["--sandbox", "-p", "ray", "get", "nope"], &[]);
    assert!(
        stderr.contains("`gpujobs --sandbox -p ray list`"),
        "{stderr}"
    );

    let sandbox = gpujobs_sandbox::Sandbox::start(gpujobs_sandbox::SandboxConfig::default())
        .await
        .unwrap();
    let root = format!("http://{}", sandbox.addr());
    let (code, _, stderr) = tokio::task::block_in_place(|| {
        gpujobs(&["-p", "ray", "--base-url", &root, "get", "x"], &[])
    });
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("use --base-url {root}/ray")),
        "{stderr}"
    );
}

// 7. Help and usage: global options under their own heading, -p values listed,
// options that do nothing refused, zero limits refused.
#[test]
fn help_and_usage_say_what_is_possible() {
    let (code, help, _) = gpujobs(&["get", "--help"], &[]);
    assert_eq!(code, 0);
    let heading = help
        .find("Global options:")
        .expect("a heading for global options");
    assert!(help.find("--provider").unwrap() > heading, "{help}");
    let names: Vec<&str> = gpujobs::ProviderKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect();
    let possible = format!("[possible values: {}]", names.join(", "));
    assert!(help.contains(&possible), "{help}");
    for args in [
        &["schema", "-o", "table"][..],
        &["sandbox", "--sandbox"],
        &["providers", "-p", "ray"],
        &["--sandbox", "list", "--limit", "0"],
        &["--sandbox", "--request-timeout", "0s", "list"],
        &["--sandbox", "-p", "ray", "wait", "x", "--timeout", "0s"],
    ] {
        let (code, _, stderr) = gpujobs(args, &[]);
        assert_eq!(code, 2, "{args:?}: {stderr}");
    }
    let (_, providers, _) = gpujobs(&["providers"], &[]);
    let matpool = providers
        .lines()
        .find(|l| l.starts_with("matpool"))
        .unwrap();
    assert!(matpool.contains("NOT reported"), "{providers}");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_v_shows_more() {
    let server = MockServer::start().await;
    Mock::given(path("/api/jobs/j1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ray_job("j1", "RUNNING")))
        .mount(&server)
        .await;
    let url = server.uri();
    let lines = |v: &str| {
        let (code, _, stderr) = tokio::task::block_in_place(|| {
            gpujobs(&[v, "-p", "ray", "--base-url", &url, "get", "j1"], &[])
        });
        assert_eq!(code, 0, "{stderr}");
        stderr.lines().count()
    };
    let (one, two, three) = (lines("-v"), lines("-vv"), lines("-vvv"));
    assert!(
        one > 0 && one < two && two < three,
        "-v {one}, -vv {two}, -vvv {three} lines"
    );
}

// 8. `watch`: a line per status change, as text or NDJSON.
#[tokio::test(flavor = "multi_thread")]
async fn watch_prints_each_status_change() {
    let server = MockServer::start().await;
    Mock::given(path("/api/jobs/j1"))
        .respond_with(Statuses(std::sync::Mutex::new(vec![
            "PENDING",
            "PENDING",
            "RUNNING",
            "SUCCEEDED",
        ])))
        .mount(&server)
        .await;
    let url = server.uri();
    let args = [
        "-p",
        "ray",
        "--base-url",
        &url,
        "watch",
        "j1",
        "--interval",
        "50ms",
        "-o",
        "ndjson",
    ];
    let (code, stdout, stderr) = tokio::task::block_in_place(|| gpujobs(&args, &[]));
    assert_eq!(code, 0, "{stderr}");
    let statuses: Vec<String> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(statuses, ["queued", "running", "succeeded"]);

    let ended = demo_id("ray", "eval-nightly");
    let (code, stdout, _) = gpujobs(&["--sandbox", "-p", "ray", "wait", &ended, "--watch"], &[]);
    assert_eq!(code, 1, "it failed");
    assert_eq!(stdout.lines().count(), 1);
    assert!(
        stdout.contains(&format!("ray  {ended}  failed (FAILED)")),
        "{stdout}"
    );
}
