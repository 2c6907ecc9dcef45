//! Nothing silently dropped, nothing asked that the user did not ask: the
//! command line's rows of issue 20's tables, each as it is now.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::gpujobs;
use gpujobs::ProviderKind;
use gpujobs_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;

#[test]
fn an_id_matpool_cannot_keep_is_refused_before_a_job_is_made() {
    let submit = [
        "--sandbox",
        "-p",
        "matpool",
        "submit",
        "--id",
        "mine-1",
        "--gpu",
        "A100",
        "--image",
        "12",
        "--",
        "python",
        "train.py",
    ];
    let (code, stdout, stderr) = gpujobs(&submit, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "no job: {stdout}");
    assert!(stderr.contains("cannot honour --id"), "{stderr}");
}

#[test]
fn options_ray_cannot_honour_are_refused_each_named() {
    let submit = [
        "--sandbox",
        "-p",
        "ray",
        "submit",
        "--partition",
        "gpu",
        "--gpu",
        "A100",
        "--image",
        "5",
        "--time-limit",
        "1h",
        "--",
        "echo",
        "hi",
    ];
    let (code, stdout, stderr) = gpujobs(&submit, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "no job: {stdout}");
    for flag in ["--partition", "--gpu", "--image", "--time-limit"] {
        assert!(stderr.contains(flag), "{flag}: {stderr}");
    }
}

#[test]
fn the_command_is_sent_as_typed() {
    with_sandbox(|sandbox| {
        let ray = sandbox.base_url(ProviderKind::Ray);
        let submit = [
            "-p",
            "ray",
            "--base-url",
            &ray,
            "submit",
            "--",
            "python",
            "-c",
            "print('a b')",
        ];
        let (code, _, stderr) = gpujobs(&submit, &[]);
        assert_eq!(code, 0, "{stderr}");
        let received = sandbox.jobs(ProviderKind::Ray).pop().unwrap().spec.command;
        // Ray runs its entrypoint through sh: sh gives back exactly the arguments typed.
        let out = std::process::Command::new("sh")
            .args(["-c", &format!("printf '%s\\n' {received}")])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            "python\n-c\nprint('a b')\n",
            "{received}"
        );
    });
}

/// A server that answers every request 404 and counts them.
fn counting_404() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut head = [0u8; 4096];
            let _ = stream.read(&mut head);
            seen.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot found");
        }
    });
    (url, count)
}

#[test]
fn an_error_costs_no_request_beyond_the_one_asked() {
    let (url, count) = counting_404();
    let (code, _, stderr) = gpujobs(&["-p", "ray", "--base-url", &url, "get", "x"], &[]);
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "one GET, no probe of the server's root"
    );
}

#[test]
fn the_schema_lists_only_real_providers() {
    let (code, stdout, _) = gpujobs(&["schema"], &[]);
    assert_eq!(code, 0);
    let schema: Value = serde_json::from_str(&stdout).unwrap();
    let text = schema.to_string();
    assert!(
        !text.contains("\"memory\""),
        "a test-only provider in the shipped schema"
    );
    for kind in ProviderKind::ALL {
        assert!(text.contains(&format!("\"{kind}\"")), "{kind}");
    }
}

fn with_sandbox<T>(test: impl FnOnce(&Sandbox) -> T) -> T {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sandbox = runtime
        .block_on(Sandbox::start(SandboxConfig::default()))
        .unwrap();
    test(&sandbox)
}

#[test]
fn a_base_url_beside_the_sandboxs_providers_gets_a_suggestion_that_works() {
    with_sandbox(|sandbox| {
        let root = format!("http://{}", sandbox.addr());
        for wrong in [format!("{root}/rya"), root.clone()] {
            let (code, _, stderr) = gpujobs(&["-p", "ray", "--base-url", &wrong, "list"], &[]);
            assert_eq!(code, 2, "{stderr}");
            let suggested = format!("--base-url {root}/ray");
            assert!(stderr.contains(&suggested), "{stderr}");
        }
        let (code, _, stderr) = gpujobs(
            &["-p", "ray", "--base-url", &format!("{root}/ray"), "list"],
            &[],
        );
        assert_eq!(code, 0, "the suggestion works: {stderr}");
    });
}

#[test]
fn a_provider_that_takes_no_credential_refused_one_says_the_url_points_elsewhere() {
    with_sandbox(|sandbox| {
        let ppio = sandbox.base_url(ProviderKind::Ppio);
        let (code, _, stderr) = gpujobs(&["-p", "ray", "--base-url", &ppio, "list"], &[]);
        assert_eq!(code, 5, "{stderr}");
        assert!(stderr.contains("ray sends no credential"), "{stderr}");
    });
}

#[test]
fn a_missing_credential_is_missing_configuration_exit_2() {
    let (code, _, stderr) = gpujobs(&["-p", "ppio", "list"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("set PPIO_API_KEY"), "{stderr}");
}

#[test]
fn a_wait_that_runs_out_names_the_waits_own_time_limit() {
    // The sandbox's demo `serve-llm` runs forever; the same seed gives the same ids.
    let (_, stdout, _) = gpujobs(
        &[
            "--sandbox",
            "-p",
            "ray",
            "-o",
            "json",
            "list",
            "--status",
            "running",
        ],
        &[],
    );
    let jobs: Value = serde_json::from_str(&stdout).unwrap();
    let id = jobs[0]["id"].as_str().unwrap().to_owned();
    let (code, _, stderr) = gpujobs(
        &["--sandbox", "-p", "ray", "wait", &id, "--timeout", "1s"],
        &[],
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("--timeout") && !stderr.contains("--request-timeout"),
        "{stderr}"
    );
}

#[test]
fn a_local_working_dir_is_uploaded_once_and_submitted_as_its_package() {
    let dir = std::env::temp_dir().join(format!("gpujobs-cli-wd-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("train.py"), "print('hi')\n").unwrap();
    std::fs::write(dir.join("data/big.bin"), "x").unwrap();
    with_sandbox(|sandbox| {
        let ray = sandbox.base_url(ProviderKind::Ray);
        let submit = [
            "-p",
            "ray",
            "--base-url",
            &ray,
            "submit",
            "--working-dir",
            dir.to_str().unwrap(),
            "--exclude",
            "data/",
            "--runtime-env-json",
            r#"{"pip": ["torch"]}"#,
            "--",
            "python",
            "train.py",
        ];
        for _ in 0..2 {
            let (code, _, stderr) = gpujobs(&submit, &[]);
            assert_eq!(code, 0, "{stderr}");
        }
        let packages = |method: &str| {
            sandbox
                .requests()
                .iter()
                .filter(|r| r.method == method && r.path.starts_with("/api/packages/gcs/_ray_pkg_"))
                .count()
        };
        assert_eq!((packages("GET"), packages("PUT")), (2, 1), "sent once");
        let spec = sandbox.jobs(ProviderKind::Ray).pop().unwrap().spec;
        let uri = spec.working_dir.unwrap();
        assert!(
            uri.starts_with("gcs://_ray_pkg_") && uri.ends_with(".zip"),
            "{uri}"
        );
        let package = sandbox
            .ray_package(&uri)
            .expect("the package it names was uploaded");
        let text = String::from_utf8_lossy(&package);
        assert!(
            text.contains("train.py") && !text.contains("big.bin"),
            "data/ left out"
        );
        assert_eq!(
            spec.runtime_env.unwrap()["pip"],
            serde_json::json!(["torch"])
        );
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_working_dir_that_cannot_be_sent_is_refused_before_a_job_is_made() {
    let cases: [(&[&str], &str); 3] = [
        (
            &["--working-dir", "/no/such/dir"],
            "cannot read /no/such/dir",
        ),
        (&["--runtime-env-json", "[1]"], "not a JSON object"),
        (
            &["--runtime-env-json", r#"{"env_vars": {"A": "1"}}"#],
            "set `env_vars` as the request's own field",
        ),
    ];
    for (args, why) in cases {
        let mut submit = vec!["--sandbox", "-p", "ray", "submit"];
        submit.extend_from_slice(args);
        submit.extend(["--", "python", "train.py"]);
        let (code, stdout, stderr) = gpujobs(&submit, &[]);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "no job: {stdout}");
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    }
    let (code, _, stderr) = gpujobs(
        &[
            "--sandbox",
            "-p",
            "yuanrong",
            "submit",
            "--working-dir",
            "/tmp",
            "--exclude",
            "x",
            "--",
            "true",
        ],
        &[],
    );
    assert_eq!(code, 2, "openYuanrong uploads nothing: {stderr}");
    assert!(stderr.contains("--exclude"), "{stderr}");
}
