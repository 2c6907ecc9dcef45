//! The TensorPool adapter against a mock server answering its documented shapes.

mod common;

use common::{Env, payload};
use futures_util::TryStreamExt;
use gpujobs::prelude::*;
use gpujobs::tensorpool::TensorpoolProvider;
use serde_json::{Value, json};

const JOB: &str = "/job/info/j-1";

fn info(status: &str, extra: Value) -> Value {
    let mut body = payload("tensorpool", "get_job_info");
    body["job_info"]["status"] = status.into();
    if let Value::Object(extra) = extra {
        body["job_info"].as_object_mut().unwrap().extend(extra);
    }
    body
}

#[tokio::test]
async fn get_reads_the_free_form_job_info() {
    let env = Env::new().await;
    env.on(
        "GET",
        JOB,
        &[(
            200,
            info("running", json!({"created_at": "2026-11-01T10:00:00Z"})),
        )],
    )
    .await;
    let job = env
        .provider::<TensorpoolProvider>()
        .get("j-1")
        .await
        .unwrap();
    assert_eq!((job.id.as_str(), job.status), ("j-1", JobStatus::Running));
    assert_eq!(
        job.created_at.unwrap().to_rfc3339(),
        "2026-11-01T10:00:00+00:00"
    );
}

#[tokio::test]
async fn user_code_and_infrastructure_failures_are_told_apart() {
    let env = Env::new().await;
    env.on("GET", JOB, &[(200, info("error", json!({"exit_code": 3})))])
        .await;
    env.on(
        "GET",
        "/job/info/j-2",
        &[(200, info("failed", json!({"id": "j-2"})))],
    )
    .await;
    let tp = env.provider::<TensorpoolProvider>();
    let user = tp.get("j-1").await.unwrap();
    let infra = tp.get("j-2").await.unwrap();
    assert_eq!(
        (user.status.clone(), user.exit_code),
        (JobStatus::Failed, Some(3))
    );
    assert_eq!(
        user.failure_reason.as_deref(),
        Some("the job's code exited with an error (exit code 3)")
    );
    assert!(
        infra
            .failure_reason
            .unwrap()
            .starts_with("infrastructure failure")
    );
}

#[tokio::test]
async fn a_422_is_an_invalid_request_with_the_validation_message() {
    let env = Env::new().await;
    env.on(
        "GET",
        JOB,
        &[(422, payload("tensorpool", "error_validation"))],
    )
    .await;
    let err = env
        .provider::<TensorpoolProvider>()
        .get("j-1")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { message, .. } if message == "field required"),
        "{err}"
    );
}

#[tokio::test]
async fn body_less_403_and_404_map_to_their_kinds() {
    let env = Env::new().await;
    env.on_raw("GET", JOB, 403, "application/json", "").await;
    env.on_raw(
        "GET",
        "/job/info/gone",
        404,
        "application/json",
        r#"{"message":"Job not found"}"#,
    )
    .await;
    let tp = env.provider::<TensorpoolProvider>();
    assert!(matches!(
        tp.get("j-1").await,
        Err(Error::PermissionDenied { .. })
    ));
    let err = tp.get("gone").await.unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { message, .. } if message == "Job not found"),
        "{err}"
    );
}

#[tokio::test]
async fn cancel_is_accepted_asynchronously() {
    let env = Env::new().await;
    env.on(
        "GET",
        JOB,
        &[
            (200, info("running", json!({}))),
            (200, info("canceling", json!({}))),
        ],
    )
    .await;
    env.on(
        "POST",
        "/job/cancel/j-1",
        &[(202, payload("tensorpool", "cancel_job_accepted"))],
    )
    .await;
    let tp = env.provider::<TensorpoolProvider>();
    assert!(tp.capabilities().async_cancel);
    let outcome = tp.cancel("j-1").await.unwrap();
    assert!(
        matches!(&outcome, CancelOutcome::Accepted(job) if job.status == JobStatus::Canceling),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn wait_follows_canceling_to_canceled() {
    let env = Env::new().await;
    env.on(
        "GET",
        JOB,
        &[
            (200, info("canceling", json!({}))),
            (200, info("canceled", json!({}))),
        ],
    )
    .await;
    let job = env
        .provider::<TensorpoolProvider>()
        .wait("j-1", &env.wait_options())
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Canceled);
}

#[tokio::test]
async fn list_reads_every_job() {
    let env = Env::new().await;
    env.on(
        "GET",
        "/job/list",
        &[(200, payload("tensorpool", "list_jobs"))],
    )
    .await;
    let jobs: Vec<Job> = env
        .provider::<TensorpoolProvider>()
        .list(ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].status.clone(), jobs[0].exit_code),
        (JobStatus::Succeeded, Some(0))
    );
}

#[tokio::test]
async fn submit_and_logs_are_unsupported() {
    let env = Env::new().await;
    let tp = env.provider::<TensorpoolProvider>();
    assert!(matches!(
        tp.submit(&SubmitRequest::new("x")).await,
        Err(Error::Unsupported { .. })
    ));
    assert!(matches!(
        tp.logs("j-1").await,
        Err(Error::Unsupported { .. })
    ));
}

#[tokio::test]
async fn an_unknown_status_is_kept_raw() {
    let env = Env::new().await;
    env.on("GET", JOB, &[(200, info("preempted", json!({})))])
        .await;
    let job = env
        .provider::<TensorpoolProvider>()
        .get("j-1")
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Unknown("preempted".into()));
}
