//! The standalone binary serves all five providers and prints how to reach them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_serves_every_provider_and_prints_their_urls() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_gpujobs-sandbox"))
        .args(["--addr", &addr, "--token", "ppio=my-token"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let stdout = running.0.stdout.take().unwrap();
    let banner: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(7)
        .map(Result::unwrap)
        .collect();
    let banner = banner.join("\n");
    for expected in [
        format!("PPIO_BASE_URL=http://{addr}/ppio PPIO_API_KEY=my-token"),
        format!("RAY_API_SERVER_ADDRESS=http://{addr}/ray"),
        "MATPOOL_TOKEN=sandbox-matpool-token".to_owned(),
        format!("TENSORPOOL_ENGINE=http://{addr}/tensorpool"),
        format!("YUANRONG_BASE_URL=http://{addr}/yuanrong"),
    ] {
        assert!(
            banner.contains(&expected),
            "{expected} missing from:\n{banner}"
        );
    }

    let http = reqwest::Client::new();
    let started = Instant::now();
    let get = |path: &str, token: Option<&str>| {
        let mut request = http.get(format!("http://{addr}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    // The banner is printed once it listens; give a slow machine a moment anyway.
    while get("/", None).await.is_err() && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Each provider's demo jobs, as its own wire format shows them.
    let checks = [
        ("/ray/api/jobs/", None, "python train.py"),
        ("/yuanrong/api/jobs", None, "python train.py"),
        (
            "/ppio/gpus/v2/jobs",
            Some("my-token"),
            r#""status":"Succeeded""#,
        ),
        (
            "/matpool/v1/job/jobs",
            Some("sandbox-matpool-token"),
            "train-resnet",
        ),
        (
            "/tensorpool/job/list",
            Some("sandbox-tensorpool-token"),
            "train-resnet",
        ),
    ];
    for (path, token, demo) in checks {
        let response = get(path, token).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body = response.text().await.unwrap();
        assert!(body.contains(demo), "{path}: no demo job in {body}");
    }
    let refused = get("/ppio/gpus/v2/jobs", Some("sandbox-ppio-token"))
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        401,
        "the configured token replaces the default"
    );
}
