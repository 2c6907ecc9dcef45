//! Lists jobs, submits one and waits for it, against a local server.
//!
//! With no argument it starts a small stand-in for a Ray dashboard on
//! loopback (the submitted job is pending, then running, then succeeds), so it
//! runs anywhere with no credentials; give it the sandbox's or a real Ray's URL:
//!
//! ```sh
//! cargo run -p gpujobs --example list_and_wait
//! cargo run -p gpujobs --example list_and_wait -- http://127.0.0.1:8080/ray   # gpujobs-sandbox
//! cargo run -p gpujobs --example list_and_wait -- http://127.0.0.1:8265       # a real Ray
//! ```

use std::time::Duration;

use futures_util::TryStreamExt;
use gpujobs::prelude::*;
use gpujobs::ray::RayProvider;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (_server, base_url) = match std::env::args().nth(1) {
        Some(url) => (None, url),
        None => {
            let server = local_ray().await;
            let url = server.uri();
            (Some(server), url)
        }
    };
    let ray = RayProvider::builder().base_url(base_url).build()?;

    let jobs: Vec<Job> = ray
        .list(ListOptions::default().limit(20))
        .try_collect()
        .await?;
    for job in &jobs {
        println!(
            "{:<24} {:<10} {}",
            job.id,
            job.status,
            job.name.as_deref().unwrap_or("-")
        );
    }
    let job = ray
        .submit(&SubmitRequest::new("echo hello from gpujobs").name("hello"))
        .await?;
    println!("submitted {} ({})", job.id, job.status);
    let options = WaitOptions::default()
        .timeout(Duration::from_secs(60))
        .intervals(Duration::from_millis(100), Duration::from_secs(2));
    let done = ray.wait(&job.id, &options).await?;
    println!(
        "{} ended {} (exit code {:?})",
        done.id, done.status, done.exit_code
    );
    Ok(())
}

/// A stand-in Ray dashboard on loopback: one job listed; a submitted job runs to success.
async fn local_ray() -> MockServer {
    let server = MockServer::start().await;
    let job = |status: &str| {
        json!({"type": "SUBMISSION", "submission_id": "demo-1", "entrypoint": "python train.py",
               "status": status, "start_time": 1_761_991_200_000_i64, "metadata": {"name": "train"}})
    };
    Mock::given(method("GET"))
        .and(path("/api/jobs/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([job("SUCCEEDED")])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/jobs/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"submission_id": "demo-1"})))
        .mount(&server)
        .await;
    for (i, status) in ["PENDING", "RUNNING"].into_iter().enumerate() {
        Mock::given(method("GET"))
            .and(path("/api/jobs/demo-1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(job(status)))
            .up_to_n_times(1)
            .with_priority(u8::try_from(i + 1).unwrap_or(1))
            .mount(&server)
            .await;
    }
    let mut done = job("SUCCEEDED");
    done["driver_exit_code"] = 0.into();
    Mock::given(method("GET"))
        .and(path("/api/jobs/demo-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(done))
        .with_priority(10)
        .mount(&server)
        .await;
    server
}
