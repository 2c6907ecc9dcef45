//! The openYuanrong adapter against a mock server answering its documented shapes.

mod common;

use common::{Env, payload, payload_with};
use gpujobs::prelude::*;
use gpujobs::yuanrong::YuanrongProvider;
use serde_json::{Value, json};

const ID: &str = "app-fe4ee1e5-d24f-4236-be15-7654e3c2229b";
const JOB: &str = "/api/jobs/app-fe4ee1e5-d24f-4236-be15-7654e3c2229b";

fn with_status(status: &str) -> Value {
    payload_with("yuanrong", "get_job", "/status", status)
}

#[tokio::test]
async fn get_maps_the_documented_example_with_string_second_times() {
    let env = Env::new().await;
    env.on("GET", JOB, &[(200, payload("yuanrong", "get_job"))])
        .await;
    let job = env.provider::<YuanrongProvider>().get(ID).await.unwrap();
    assert_eq!((job.status, job.exit_code), (JobStatus::Succeeded, Some(0)));
    assert_eq!(
        job.started_at.unwrap().to_rfc3339(),
        "2025-08-18T02:27:57+00:00"
    );
    assert_eq!(
        job.finished_at.unwrap().to_rfc3339(),
        "2025-08-18T02:29:00+00:00"
    );
}

#[tokio::test]
async fn millisecond_string_times_give_the_same_instant() {
    let env = Env::new().await;
    let mut job = payload("yuanrong", "get_job");
    job["start_time"] = "1755484077000".into();
    env.on("GET", JOB, &[(200, job)]).await;
    let job = env.provider::<YuanrongProvider>().get(ID).await.unwrap();
    assert_eq!(
        job.started_at.unwrap().to_rfc3339(),
        "2025-08-18T02:27:57+00:00"
    );
}

#[tokio::test]
async fn a_json_string_404_is_not_found_with_its_message() {
    let env = Env::new().await;
    env.on(
        "GET",
        "/api/jobs/app-xxxxx",
        &[(404, json!("not found app, submissionId: app-xxxxx"))],
    )
    .await;
    let err = env
        .provider::<YuanrongProvider>()
        .get("app-xxxxx")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { message, .. } if message == "not found app, submissionId: app-xxxxx"),
        "{err}"
    );
}

#[tokio::test]
async fn a_stop_answered_false_after_the_job_ended_is_already_ended() {
    let env = Env::new().await;
    env.statuses(JOB, &["RUNNING", "FAILED"], with_status).await;
    env.on("POST", &format!("{JOB}/stop"), &[(200, json!(false))])
        .await;
    let outcome = env.provider::<YuanrongProvider>().cancel(ID).await.unwrap();
    assert!(
        matches!(&outcome, CancelOutcome::AlreadyEnded(job) if job.status == JobStatus::Failed),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn cancel_stops_a_running_job() {
    let env = Env::new().await;
    env.statuses(JOB, &["RUNNING", "STOPPED"], with_status)
        .await;
    env.on("POST", &format!("{JOB}/stop"), &[(200, json!(true))])
        .await;
    let outcome = env.provider::<YuanrongProvider>().cancel(ID).await.unwrap();
    assert!(matches!(outcome, CancelOutcome::Stopped(job) if job.status == JobStatus::Canceled));
}

#[tokio::test]
async fn submit_needs_a_working_dir_and_sends_the_bare_id() {
    let env = Env::new().await;
    let yr = env.provider::<YuanrongProvider>();
    let err = yr
        .submit(&SubmitRequest::new("python x.py"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { message, .. } if message.contains("working_dir")),
        "{err}"
    );
    let bad_id = yr
        .submit(&SubmitRequest::new("x").working_dir("/w").id("Has_Caps"))
        .await
        .unwrap_err();
    assert!(matches!(bad_id, Error::InvalidRequest { .. }));

    env.on(
        "POST",
        "/api/jobs",
        &[(200, json!({"submission_id": "app-train-7"}))],
    )
    .await;
    env.on(
        "GET",
        "/api/jobs/app-train-7",
        &[(200, with_status("PENDING"))],
    )
    .await;
    let request = SubmitRequest::new("python x.py")
        .working_dir("file:///w.zip")
        .id("train-7")
        .env("K", "V");
    let job = yr.submit(&request).await.unwrap();
    assert_eq!(job.status, JobStatus::Queued);
    let sent: Value = env.received("POST", "/api/jobs").await[0]
        .body_json()
        .unwrap();
    assert_eq!(sent["submission_id"], "train-7");
    assert_eq!(
        sent["runtime_env"],
        json!({"working_dir": "file:///w.zip", "env_vars": {"K": "V"}})
    );
}

#[tokio::test]
async fn wait_reports_failure_with_the_error_type() {
    let env = Env::new().await;
    let mut failed = with_status("FAILED");
    failed["error_type"] = "ScriptError".into();
    failed["driver_exit_code"] = 2.into();
    env.on("GET", JOB, &[(200, with_status("PENDING")), (200, failed)])
        .await;
    let job = env
        .provider::<YuanrongProvider>()
        .wait(ID, &env.wait_options())
        .await
        .unwrap();
    assert_eq!(
        (job.status, job.exit_code, job.failure_reason.as_deref()),
        (JobStatus::Failed, Some(2), Some("ScriptError"))
    );
}

#[tokio::test]
async fn an_unknown_status_is_kept_raw() {
    let env = Env::new().await;
    env.on(
        "GET",
        JOB,
        &[(
            200,
            payload("yuanrong", "get_job_unknown_status_extra_field"),
        )],
    )
    .await;
    let job = env.provider::<YuanrongProvider>().get(ID).await.unwrap();
    assert_eq!(job.status, JobStatus::Unknown("SUSPENDED".into()));
    assert!(!job.status.is_terminal());
}

#[tokio::test]
async fn logs_are_unsupported() {
    let env = Env::new().await;
    let yr = env.provider::<YuanrongProvider>();
    assert!(!yr.capabilities().logs);
    assert!(matches!(yr.logs(ID).await, Err(Error::Unsupported { .. })));
}
