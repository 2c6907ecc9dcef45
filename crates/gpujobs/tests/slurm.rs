//! The Slurm adapter against a mock slurmrestd answering what a real
//! slurmrestd 22.05.8 answered (`tests/payloads/slurm/`), in API v0.0.38
//! (pinned, so no `/openapi/v3` is asked). `slurm_versions.rs` covers the
//! later releases and the choice of version.

mod common;

use std::sync::Arc;

use common::{CANARY_KEY, Env, payload, payload_with};
use futures_util::TryStreamExt;
use gpujobs::prelude::*;
use gpujobs::slurm::SlurmProvider;
use wiremock::ResponseTemplate;
use wiremock::matchers::{method, path};

const JOBS: &str = "/slurm/v0.0.38/jobs";
const SUBMIT: &str = "/slurm/v0.0.38/job/submit";

fn job_path(id: u32) -> String {
    format!("/slurm/v0.0.38/job/{id}")
}

fn slurm(env: &Env) -> SlurmProvider {
    SlurmProvider::builder()
        .base_url(env.server.uri())
        .user("alice")
        .api_version("v0.0.38")
        .credential(CANARY_KEY)
        .clock(Arc::new(env.clock.clone()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn get_maps_every_field_and_sends_slurms_auth_headers() {
    let env = Env::new().await;
    env.on(
        "GET",
        &job_path(4),
        &[(200, payload("slurm", "get_job_completed"))],
    )
    .await;
    let job = slurm(&env).get("4").await.unwrap();
    assert_eq!((job.provider, job.id.as_str()), (ProviderKind::Slurm, "4"));
    assert_eq!(
        (job.status, job.provider_status.as_str()),
        (JobStatus::Succeeded, "COMPLETED")
    );
    assert_eq!(job.exit_code, Some(0));
    assert!(job.created_at.is_some() && job.started_at.is_some() && job.finished_at.is_some());
    assert!(matches!(job.raw, gpujobs::ProviderJob::Slurm(_)));

    let sent = &env.received("GET", &job_path(4)).await[0];
    assert_eq!(sent.headers["x-slurm-user-name"], "alice");
    assert_eq!(sent.headers["x-slurm-user-token"], CANARY_KEY);
    assert!(
        !sent.headers.contains_key("authorization"),
        "slurmrestd refuses Bearer"
    );
}

#[tokio::test]
async fn a_running_jobs_predicted_end_is_not_an_end() {
    let env = Env::new().await;
    env.on(
        "GET",
        &job_path(4),
        &[(200, payload("slurm", "get_job_running"))],
    )
    .await;
    let job = slurm(&env).get("4").await.unwrap();
    assert_eq!(job.status, JobStatus::Running);
    assert!(job.started_at.is_some());
    assert_eq!((job.finished_at, job.exit_code), (None, None));
}

#[tokio::test]
async fn a_failed_job_reports_its_exit_code_from_the_wait_status() {
    let env = Env::new().await;
    env.on(
        "GET",
        &job_path(6),
        &[(200, payload("slurm", "get_job_failed"))],
    )
    .await;
    let job = slurm(&env).get("6").await.unwrap();
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.exit_code, Some(3), "768 is `exit 3`");
    assert_eq!(job.failure_reason.as_deref(), Some("FAILED: exit code 3"));
}

#[tokio::test]
async fn a_job_killed_by_a_signal_says_so_and_has_no_exit_code() {
    let env = Env::new().await;
    // Wait status 9: killed by SIGKILL (no exit code), as an out-of-memory kill reports.
    let killed = payload_with("slurm", "get_job_failed", "/jobs/0/exit_code", 9);
    env.on("GET", &job_path(6), &[(200, killed)]).await;
    let job = slurm(&env).get("6").await.unwrap();
    assert_eq!(
        (job.status.clone(), job.exit_code),
        (JobStatus::Failed, None)
    );
    assert_eq!(
        job.failure_reason.as_deref(),
        Some("FAILED: killed by signal 9")
    );
}

#[tokio::test]
async fn a_cancelled_job_has_no_exit_code() {
    let env = Env::new().await;
    env.on(
        "GET",
        &job_path(5),
        &[(200, payload("slurm", "get_job_cancelled"))],
    )
    .await;
    let job = slurm(&env).get("5").await.unwrap();
    assert_eq!((job.status, job.exit_code), (JobStatus::Canceled, None));
}

#[tokio::test]
async fn slurmrestds_500s_become_typed_errors() {
    let env = Env::new().await;
    env.on(
        "GET",
        &job_path(99),
        &[(500, payload("slurm", "get_job_notfound"))],
    )
    .await;
    env.on(
        "GET",
        &job_path(98),
        &[(500, payload("slurm", "bad_token"))],
    )
    .await;
    env.on_raw(
        "GET",
        &job_path(97),
        401,
        "text/plain",
        "Authentication failure",
    )
    .await;
    let slurm = slurm(&env);
    let unknown = slurm.get("99").await.unwrap_err();
    assert!(matches!(unknown, Error::NotFound { .. }), "{unknown:?}");
    let refused = slurm.get("98").await.unwrap_err();
    assert!(
        matches!(refused, Error::Unauthenticated { .. }),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("SLURM_JWT"), "{refused}");
    let anonymous = slurm.get("97").await.unwrap_err();
    assert!(
        matches!(anonymous, Error::Unauthenticated { .. }),
        "{anonymous:?}"
    );
    for error in [unknown, refused, anonymous] {
        assert!(!format!("{error} {error:?}").contains(CANARY_KEY));
    }
    // A 500 carrying a known refusal is final: each was asked once.
    assert_eq!(env.received("GET", &job_path(99)).await.len(), 1);
}

#[tokio::test]
async fn list_and_cancel() {
    let env = Env::new().await;
    env.on("GET", JOBS, &[(200, payload("slurm", "list_jobs"))])
        .await;
    let running = payload("slurm", "get_job_running");
    let cancelled = payload_with("slurm", "get_job_cancelled", "/jobs/0/job_id", 4);
    env.on("GET", &job_path(4), &[(200, running), (200, cancelled)])
        .await;
    env.on(
        "DELETE",
        &job_path(4),
        &[(200, payload("slurm", "cancel_job"))],
    )
    .await;
    env.on(
        "DELETE",
        &job_path(99),
        &[(500, payload("slurm", "cancel_notfound"))],
    )
    .await;
    let slurm = slurm(&env);
    let jobs: Vec<Job> = slurm
        .list(ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert!(!jobs.is_empty());
    assert!(
        jobs.iter()
            .all(|j| j.provider == ProviderKind::Slurm && !j.id.is_empty())
    );
    let outcome = slurm.cancel("4").await.unwrap();
    assert!(matches!(outcome, CancelOutcome::Stopped(_)), "{outcome:?}");
    assert_eq!(env.received("DELETE", &job_path(4)).await.len(), 1);
    let unknown = slurm.cancel("99").await.unwrap_err();
    assert!(matches!(unknown, Error::NotFound { .. }), "{unknown:?}");
}

#[tokio::test]
async fn submit_sends_a_batch_script_with_path_and_its_token() {
    let env = Env::new().await;
    env.on("POST", SUBMIT, &[(200, payload("slurm", "submit"))])
        .await;
    env.on(
        "GET",
        &job_path(4),
        &[(200, payload("slurm", "get_job_running"))],
    )
    .await;
    let request = SubmitRequest::new("python train.py")
        .name("train")
        .env("EPOCHS", "3")
        .options(
            gpujobs::slurm::SlurmOptions::default().time_limit(std::time::Duration::from_secs(90)),
        );
    let job = slurm(&env).submit(&request).await.unwrap();
    assert_eq!(job.id, "4");

    let sent: serde_json::Value = env.received("POST", SUBMIT).await[0].body_json().unwrap();
    assert_eq!(sent["script"], "#!/bin/bash\npython train.py\n");
    assert_eq!(sent["job"]["name"], "train");
    assert_eq!(sent["job"]["environment"]["EPOCHS"], "3");
    assert!(sent["job"]["environment"]["PATH"].is_string(), "{sent}");
    assert_eq!(sent["job"]["time_limit"], 2, "minutes, rounded up");
    assert!(
        sent["job"]["comment"]
            .as_str()
            .unwrap()
            .starts_with("gpujobs-token=")
    );
}

#[tokio::test]
async fn a_held_submit_still_returns_its_job() {
    let env = Env::new().await;
    env.on("POST", SUBMIT, &[(200, payload("slurm", "submit_held"))])
        .await;
    env.on(
        "GET",
        &job_path(7),
        &[(
            200,
            payload_with("slurm", "get_job_running", "/jobs/0/job_id", 7),
        )],
    )
    .await;
    let job = slurm(&env)
        .submit(&SubmitRequest::new("sleep 60"))
        .await
        .unwrap();
    assert_eq!(job.id, "7");
}

/// The comment a submit of `request` leaves on its job, as sent.
async fn mark_of(request: &SubmitRequest) -> String {
    let env = Env::new().await;
    env.on("POST", SUBMIT, &[(200, payload("slurm", "submit"))])
        .await;
    env.on(
        "GET",
        &job_path(4),
        &[(200, payload("slurm", "get_job_running"))],
    )
    .await;
    let mut unkeyed = request.clone();
    unkeyed.id = None;
    let _ = slurm(&env).submit(&unkeyed).await;
    let sent: serde_json::Value = env.received("POST", SUBMIT).await[0].body_json().unwrap();
    let mark = sent["job"]["comment"].as_str().unwrap().to_owned();
    // The token is fresh for an unkeyed submit: put the request's id in its place.
    let (_, fingerprint) = mark.split_once(' ').unwrap();
    format!(
        "gpujobs-token={} {fingerprint}",
        request.id.as_deref().unwrap()
    )
}

#[tokio::test]
async fn a_submit_whose_answer_is_lost_finds_its_job_instead_of_sending_again() {
    let env = Env::new().await;
    let request = SubmitRequest::new("python train.py").id("run-42");
    let mut listed = payload("slurm", "list_jobs");
    // Before the submit, no job carries the token; after it, job 1 does.
    env.sequence(
        || wiremock::Mock::given(method("GET")).and(path(JOBS)),
        vec![ResponseTemplate::new(200).set_body_json(listed.clone()), {
            listed["jobs"][0]["comment"] = mark_of(&request).await.into();
            ResponseTemplate::new(200).set_body_json(listed.clone())
        }],
    )
    .await;
    env.on_raw("POST", SUBMIT, 502, "text/html", "<html>Bad Gateway</html>")
        .await;
    let job = slurm(&env).submit(&request).await.unwrap();
    assert_eq!(job.id, "1", "the job the lost submit made");
    assert_eq!(env.received("POST", SUBMIT).await.len(), 1, "sent once");

    // The same request under the same id again is that job, and nothing is sent.
    let again = slurm(&env).submit(&request).await.unwrap();
    assert_eq!(again.id, "1");
    // Another request under the same id is a conflict, and nothing is sent either.
    let other = SubmitRequest::new("python eval.py").id("run-42");
    let conflict = slurm(&env).submit(&other).await.unwrap_err();
    assert!(matches!(conflict, Error::Conflict { .. }), "{conflict:?}");
    assert!(conflict.to_string().contains("Slurm job 1"), "{conflict}");
    assert_eq!(env.received("POST", SUBMIT).await.len(), 1);
}

#[tokio::test]
async fn a_submit_whose_answers_keep_getting_lost_ends_by_the_operation_deadline() {
    let env = Env::new().await;
    env.on("GET", JOBS, &[(200, payload("slurm", "list_jobs"))])
        .await;
    env.on_raw("POST", SUBMIT, 502, "text/html", "<html>Bad Gateway</html>")
        .await;
    // Many attempts allowed, backing off from 5 s: the 60 s deadline comes first.
    let retry = gpujobs::RetryPolicy {
        max_attempts: 50,
        initial_backoff: std::time::Duration::from_secs(5),
        max_backoff: std::time::Duration::from_secs(20),
        ..Default::default()
    };
    let slurm = SlurmProvider::builder()
        .base_url(env.server.uri())
        .api_version("v0.0.38")
        .user("alice")
        .credential(CANARY_KEY)
        .clock(Arc::new(env.clock.clone()))
        .operation_timeout(std::time::Duration::from_secs(60))
        .retry(retry)
        .build()
        .unwrap();
    let error = slurm.submit(&SubmitRequest::new("true")).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                scope: gpujobs::TimeoutScope::Operation,
                ..
            }
        ),
        "{error:?}"
    );
    let slept: std::time::Duration = env.clock.sleeps().iter().sum();
    assert!(
        slept <= std::time::Duration::from_secs(60),
        "waited {slept:?} past the deadline"
    );
    assert!(env.received("POST", SUBMIT).await.len() < 50);
}

#[tokio::test]
async fn a_refused_submit_is_not_sent_again() {
    let env = Env::new().await;
    let refused = serde_json::json!({
        "meta": payload("slurm", "submit")["meta"],
        "errors": [{ "error_code": 2009, "error": "Job script not specified" }]
    });
    env.on("POST", SUBMIT, &[(500, refused)]).await;
    let error = slurm(&env)
        .submit(&SubmitRequest::new("true"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    assert!(
        error.to_string().contains("Job script not specified"),
        "{error}"
    );
    assert_eq!(env.received("POST", SUBMIT).await.len(), 1);
    assert!(
        env.received("GET", JOBS).await.is_empty(),
        "a refusal is not a lost answer"
    );
}

#[tokio::test]
async fn what_slurm_cannot_express_is_refused_before_sending() {
    let env = Env::new().await;
    let slurm = slurm(&env);
    for request in [
        SubmitRequest::new("  "),
        SubmitRequest::new("true").cpus(0.5),
        SubmitRequest::new("true").gpus(1.5),
    ] {
        let error = slurm.submit(&request).await.unwrap_err();
        assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    }
    assert!(env.server.received_requests().await.unwrap().is_empty());
}
