//! The Ray adapter against a mock Ray server answering the shapes a real
//! Ray 2.60.0 returned (`tests/payloads/ray/`).

mod common;

use std::time::Duration;

use common::{Env, payload, payload_with};
use futures_util::TryStreamExt;
use gpujobs::prelude::*;
use gpujobs::ray::RayProvider;
use gpujobs::{Logs, TimeoutScope};
use serde_json::{Value, json};
use wiremock::ResponseTemplate;
use wiremock::matchers::{method, path};

const ID: &str = "raysubmit_AbC123";
const JOB: &str = "/api/jobs/raysubmit_AbC123";

/// Waits for job `ID` on the mock with the manual clock's wait options.
async fn wait(env: &Env) -> gpujobs::Result<Job> {
    env.provider::<RayProvider>()
        .wait(ID, &env.wait_options())
        .await
}

fn with_status(status: &str) -> Value {
    payload_with("ray", "get_job_succeeded", "/status", status)
}

#[tokio::test]
async fn get_maps_every_field() {
    let env = Env::new().await;
    env.on("GET", JOB, &[(200, payload("ray", "get_job_succeeded"))])
        .await;
    let job = env.provider::<RayProvider>().get(ID).await.unwrap();
    assert_eq!((job.provider, job.id.as_str()), (ProviderKind::Ray, ID));
    assert_eq!(
        (job.status, job.provider_status.as_str()),
        (JobStatus::Succeeded, "SUCCEEDED")
    );
    assert_eq!(job.exit_code, Some(0));
    assert_eq!(
        job.created_at.unwrap().to_rfc3339(),
        "2025-11-01T10:00:00.123+00:00"
    );
    assert_eq!(job.finished_at.unwrap().timestamp_millis(), 1761991203456);
    assert_eq!(job.message.as_deref(), Some("Job finished successfully."));
    assert!(job.failure_reason.is_none());
    assert!(matches!(job.raw, gpujobs::ProviderJob::Ray(_)));
}

#[tokio::test]
async fn a_pending_job_has_not_started() {
    let env = Env::new().await;
    env.on("GET", JOB, &[(200, payload("ray", "get_job_pending"))])
        .await;
    let job = env.provider::<RayProvider>().get(ID).await.unwrap();
    assert_eq!(job.status, JobStatus::Queued);
    assert!(job.started_at.is_none() && job.finished_at.is_none());
}

#[tokio::test]
async fn list_returns_every_job_filtered_and_limited() {
    let env = Env::new().await;
    env.on("GET", "/api/jobs/", &[(200, payload("ray", "list_jobs"))])
        .await;
    let ray = env.provider::<RayProvider>();
    let all: Vec<Job> = ray
        .list(ListOptions::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        all.iter().map(|j| j.status.clone()).collect::<Vec<_>>(),
        [JobStatus::Queued, JobStatus::Succeeded]
    );
    let done: Vec<Job> = ray
        .list(ListOptions::default().status(JobStatus::Succeeded))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(done.len(), 1);
    let one: Vec<Job> = ray
        .list(ListOptions::default().limit(1))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
}

#[tokio::test]
async fn cancel_stops_a_running_job_and_reads_it_back() {
    let env = Env::new().await;
    env.statuses(JOB, &["RUNNING", "STOPPED"], with_status)
        .await;
    env.on(
        "POST",
        &format!("{JOB}/stop"),
        &[(200, json!({"stopped": true}))],
    )
    .await;
    let outcome = env.provider::<RayProvider>().cancel(ID).await.unwrap();
    assert!(
        matches!(&outcome, CancelOutcome::Stopped(job) if job.status == JobStatus::Canceled),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn cancel_of_an_ended_job_reports_it_and_sends_no_stop() {
    let env = Env::new().await;
    env.statuses(JOB, &["SUCCEEDED"], with_status).await;
    let outcome = env.provider::<RayProvider>().cancel(ID).await.unwrap();
    assert!(
        matches!(&outcome, CancelOutcome::AlreadyEnded(job) if job.status == JobStatus::Succeeded)
    );
    assert!(
        env.received("POST", &format!("{JOB}/stop"))
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn cancel_racing_the_end_reports_already_ended() {
    let env = Env::new().await;
    env.statuses(JOB, &["RUNNING", "SUCCEEDED"], with_status)
        .await;
    env.on(
        "POST",
        &format!("{JOB}/stop"),
        &[(200, payload("ray", "stop_job_finished"))],
    )
    .await;
    let outcome = env.provider::<RayProvider>().cancel(ID).await.unwrap();
    assert!(matches!(outcome, CancelOutcome::AlreadyEnded(_)));
}

/// A mock Ray that takes a submit of `train-1` and shows it pending.
async fn accepting_train_1() -> Env {
    let env = Env::new().await;
    env.on(
        "POST",
        "/api/jobs/",
        &[(200, json!({"job_id": null, "submission_id": "train-1"}))],
    )
    .await;
    env.on(
        "GET",
        "/api/jobs/train-1",
        &[(200, payload("ray", "get_job_pending"))],
    )
    .await;
    env
}

#[tokio::test]
async fn submit_sends_entrypoint_env_metadata_resources_and_the_id() {
    let env = accepting_train_1().await;
    let mut request = SubmitRequest::new("python train.py")
        .id("train-1")
        .name("train")
        .env("EPOCHS", "3")
        .metadata("team", "ml");
    request.gpus = Some(1.0);
    let job = env
        .provider::<RayProvider>()
        .submit(&request)
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Queued);
    let sent: Value = env.received("POST", "/api/jobs/").await[0]
        .body_json()
        .unwrap();
    assert_eq!(
        sent,
        json!({
            "entrypoint": "python train.py",
            "submission_id": "train-1",
            "runtime_env": {"env_vars": {"EPOCHS": "3"}},
            "metadata": {"team": "ml", "name": "train"},
            "entrypoint_num_gpus": 1.0
        })
    );
}

/// Ray 2.54's `entrypoint_label_selector`: sent only when given, as given;
/// refused for openYuanrong, which shares the options but has no such field.
#[tokio::test]
async fn a_label_selector_is_sent_as_ray_takes_it() {
    let env = accepting_train_1().await;
    let options = gpujobs::ray::RayOptions::default().label("ray.io/accelerator-type", "A100");
    let request = SubmitRequest::new("python train.py")
        .id("train-1")
        .options(options.clone());
    env.provider::<RayProvider>()
        .submit(&request)
        .await
        .unwrap();
    let sent: Value = env.received("POST", "/api/jobs/").await[0]
        .body_json()
        .unwrap();
    assert_eq!(
        sent["entrypoint_label_selector"],
        json!({"ray.io/accelerator-type": "A100"}),
        "{sent}"
    );
    let mut yuanrong = env.provider_config(ProviderKind::Yuanrong);
    yuanrong.credential = None;
    let refused = gpujobs::connect(yuanrong)
        .unwrap()
        .submit(&request.clone().working_dir("/srv/app"))
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("cannot honour `label_selector`"),
        "{refused}"
    );
    // From the command line's values: KEY=VALUE, anything else refused.
    let values = |v: &str| {
        let mut values = gpujobs::OptionValues::new();
        values.insert("label_selector", vec![gpujobs::OptionValue::Text(v.into())]);
        gpujobs::ray::DESCRIPTOR.options_from(&values)
    };
    assert!(values("zone=us-east").unwrap().is_some());
    assert!(values("no-equals").is_err());
}

#[tokio::test]
async fn submit_without_an_id_sends_a_fresh_one() {
    let env = Env::new().await;
    env.on("POST", "/api/jobs/", &[(200, payload("ray", "submit_job"))])
        .await;
    env.on("GET", JOB, &[(200, payload("ray", "get_job_pending"))])
        .await;
    env.provider::<RayProvider>()
        .submit(&SubmitRequest::new("x"))
        .await
        .unwrap();
    let sent: Value = env.received("POST", "/api/jobs/").await[0]
        .body_json()
        .unwrap();
    assert!(
        sent["submission_id"]
            .as_str()
            .unwrap()
            .starts_with("gpujobs-"),
        "{sent}"
    );
}

#[tokio::test]
async fn a_keyed_submit_is_retried_and_creates_one_job() {
    let env = Env::new().await;
    // The first attempt fails with a 500 the job may already exist behind.
    let answers = vec![
        ResponseTemplate::new(500).set_body_string("internal error"),
        ResponseTemplate::new(400).set_body_string(
            "Job with submission_id train-1 already exists. Please use a different submission_id.",
        ),
    ];
    env.sequence(
        || wiremock::Mock::given(method("POST")).and(path("/api/jobs/")),
        answers,
    )
    .await;
    let mut existing = payload("ray", "get_job_pending");
    existing["submission_id"] = "train-1".into();
    existing["entrypoint"] = "python train.py".into();
    env.on("GET", "/api/jobs/train-1", &[(200, existing)]).await;
    let job = env
        .provider::<RayProvider>()
        .submit(&SubmitRequest::new("python train.py").id("train-1"))
        .await
        .unwrap();
    assert_eq!(job.id, "train-1");
    assert_eq!(env.received("POST", "/api/jobs/").await.len(), 2);
}

#[tokio::test]
async fn a_taken_id_of_another_job_is_a_conflict() {
    let env = Env::new().await;
    env.on_raw(
        "POST",
        "/api/jobs/",
        400,
        "text/plain",
        "Job with submission_id raysubmit_AbC123 already exists.",
    )
    .await;
    env.on("GET", JOB, &[(200, payload("ray", "get_job_pending"))])
        .await;
    let err = env
        .provider::<RayProvider>()
        .submit(&SubmitRequest::new("something else").id(ID))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Conflict { .. }), "{err}");
}

#[tokio::test]
async fn wait_reaches_succeeded_with_capped_backoff() {
    let env = Env::new().await;
    env.statuses(
        JOB,
        &["PENDING", "RUNNING", "RUNNING", "RUNNING", "SUCCEEDED"],
        with_status,
    )
    .await;
    let job = wait(&env).await.unwrap();
    assert_eq!(job.status, JobStatus::Succeeded);
    let secs: Vec<u64> = env.clock.sleeps().iter().map(Duration::as_secs).collect();
    assert_eq!(secs, [1, 2, 4, 4], "1 s doubling, capped at 4 s");
}

#[tokio::test]
async fn wait_reports_failure_with_reason_and_exit_code() {
    let env = Env::new().await;
    let mut failed = with_status("FAILED");
    failed["driver_exit_code"] = 3.into();
    failed["error_type"] = "JOB_ENTRYPOINT_COMMAND_ERROR".into();
    failed["message"] = "Job entrypoint command failed with exit code 3".into();
    env.on("GET", JOB, &[(200, with_status("RUNNING")), (200, failed)])
        .await;
    let job = wait(&env).await.unwrap();
    assert_eq!((job.status, job.exit_code), (JobStatus::Failed, Some(3)));
    assert_eq!(
        job.failure_reason.as_deref(),
        Some("JOB_ENTRYPOINT_COMMAND_ERROR: Job entrypoint command failed with exit code 3")
    );
}

#[tokio::test]
async fn wait_reaches_canceled() {
    let env = Env::new().await;
    env.statuses(JOB, &["RUNNING", "STOPPED"], with_status)
        .await;
    let job = wait(&env).await.unwrap();
    assert_eq!(job.status, JobStatus::Canceled);
}

#[tokio::test]
async fn wait_times_out_with_the_last_job_and_never_ends_on_an_unknown_status() {
    let env = Env::new().await;
    env.statuses(JOB, &["RUNNING", "PREEMPTED"], with_status)
        .await;
    let err = wait(&env).await.unwrap_err();
    assert_eq!(
        wait_timeout_last_status(&err),
        JobStatus::Unknown("PREEMPTED".into())
    );
    assert!(err.to_string().contains("was unknown"), "{err}");
}

/// The status of the last job a wait's timeout carries (panics on any other error).
fn wait_timeout_last_status(err: &Error) -> JobStatus {
    let Error::Timeout {
        scope: TimeoutScope::Wait,
        last_job: Some(last),
        ..
    } = err
    else {
        panic!("{err}")
    };
    last.status.clone()
}

#[tokio::test]
async fn the_poll_made_at_the_deadline_still_counts() {
    let env = Env::new().await;
    // Polls at 0, 1, 3, 7, 11, … 59 s, then one at the 60 s deadline: the job ends on that one.
    let mut statuses = vec!["RUNNING"; 17];
    statuses.push("SUCCEEDED");
    env.statuses(JOB, &statuses, with_status).await;
    let job = wait(&env).await.unwrap();
    assert_eq!(job.status, JobStatus::Succeeded);
    let waited: Duration = env.clock.sleeps().iter().sum();
    assert_eq!(
        waited,
        Duration::from_secs(60),
        "the last poll was at the deadline"
    );
}

#[tokio::test]
async fn a_poll_that_hangs_cannot_carry_the_wait_past_its_timeout() {
    let env = Env::new().await;
    // The first poll answers at once; the next hangs far beyond the wait's timeout.
    env.sequence(
        || wiremock::Mock::given(method("GET")).and(path(JOB)),
        vec![
            ResponseTemplate::new(200).set_body_json(with_status("RUNNING")),
            ResponseTemplate::new(200)
                .set_body_json(with_status("SUCCEEDED"))
                .set_delay(Duration::from_secs(120)),
        ],
    )
    .await;
    // The real clock: what is bounded here is a request in flight.
    let options = WaitOptions::default()
        .timeout(Duration::from_millis(1500))
        .intervals(Duration::from_millis(100), Duration::from_millis(100));
    let started = std::time::Instant::now();
    let err = env
        .provider::<RayProvider>()
        .wait(ID, &options)
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{err}");
    assert_eq!(wait_timeout_last_status(&err), JobStatus::Running);
}

#[tokio::test]
async fn watch_yields_each_status_change_once() {
    let env = Env::new().await;
    env.statuses(
        JOB,
        &["PENDING", "PENDING", "RUNNING", "SUCCEEDED"],
        with_status,
    )
    .await;
    let ray = env.provider::<RayProvider>();
    let options = env.wait_options();
    let seen: Vec<JobStatus> = ray
        .watch(ID, &options)
        .map_ok(|j| j.status)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        seen,
        [JobStatus::Queued, JobStatus::Running, JobStatus::Succeeded]
    );
}

#[tokio::test]
async fn logs_are_the_text_so_far() {
    let env = Env::new().await;
    env.on(
        "GET",
        &format!("{JOB}/logs"),
        &[(200, payload("ray", "get_job_logs"))],
    )
    .await;
    let logs = env.provider::<RayProvider>().logs(ID).await.unwrap();
    assert!(matches!(logs, Logs::Text(text) if text == "hi\n"));
}

#[tokio::test]
async fn a_text_plain_404_is_not_found() {
    let env = Env::new().await;
    env.on_raw(
        "GET",
        "/api/jobs/nope",
        404,
        "text/plain",
        "Job nope does not exist",
    )
    .await;
    let err = env.provider::<RayProvider>().get("nope").await.unwrap_err();
    assert!(
        matches!(&err, Error::NotFound { message, .. } if message == "Job nope does not exist"),
        "{err}"
    );
    assert_eq!(err.to_string(), "ray: not found: Job nope does not exist");
}

#[tokio::test]
async fn an_html_error_page_is_an_api_error_with_its_status() {
    let env = Env::new().await;
    env.on_raw(
        "GET",
        JOB,
        502,
        "text/html",
        "<html><body>Bad Gateway</body></html>",
    )
    .await;
    let err = env.provider::<RayProvider>().get(ID).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Api {
                status: Some(502),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("HTML page"), "{err}");
}

#[tokio::test]
async fn a_truncated_answer_is_a_clear_error() {
    let env = Env::new().await;
    env.on_raw(
        "GET",
        JOB,
        200,
        "application/json",
        r#"{"type": "SUBMISSION", "entrypoint": "x", "sta"#,
    )
    .await;
    let err = env.provider::<RayProvider>().get(ID).await.unwrap_err();
    // An answer that cannot be read is not the provider refusing: its own kind.
    assert!(matches!(&err, Error::Decode { body: Some(_), .. }), "{err}");
    assert_eq!(err.kind(), gpujobs::ErrorKind::Decode);
    assert!(err.to_string().contains("could not be read"), "{err}");
}

#[tokio::test]
async fn a_refusal_keeps_the_request_id_the_provider_gave() {
    let env = Env::new().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path(JOB))
        .respond_with(
            wiremock::ResponseTemplate::new(418)
                .insert_header("x-request-id", "req-7f3a")
                .set_body_string("no"),
        )
        .mount(&env.server)
        .await;
    let err = env.provider::<RayProvider>().get(ID).await.unwrap_err();
    assert_eq!(err.kind(), gpujobs::ErrorKind::Api, "{err}");
    assert_eq!(err.request_id(), Some("req-7f3a"), "{err:?}");
}

#[tokio::test]
async fn rate_limits_and_unavailability_are_retried_honouring_retry_after() {
    let env = Env::new().await;
    let answers = vec![
        ResponseTemplate::new(429).insert_header("retry-after", "3"),
        ResponseTemplate::new(503),
        ResponseTemplate::new(200).set_body_json(payload("ray", "get_job_succeeded")),
    ];
    env.sequence(
        || wiremock::Mock::given(method("GET")).and(path(JOB)),
        answers,
    )
    .await;
    let job = env.provider::<RayProvider>().get(ID).await.unwrap();
    assert_eq!(job.status, JobStatus::Succeeded);
    assert_eq!(
        env.clock.sleeps(),
        [Duration::from_secs(3), Duration::from_millis(400)]
    );
}

#[tokio::test]
async fn persistent_rate_limiting_surfaces_with_retry_after() {
    let env = Env::new().await;
    let answers = vec![ResponseTemplate::new(429).insert_header("retry-after", "3600")];
    env.sequence(
        || wiremock::Mock::given(method("GET")).and(path(JOB)),
        answers,
    )
    .await;
    let err = env.provider::<RayProvider>().get(ID).await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(3600))
    );
}

#[tokio::test]
async fn an_id_is_one_percent_encoded_path_segment() {
    let env = Env::new().await;
    env.on(
        "GET",
        "/api/jobs/..%2Fx%3Fy%23z",
        &[(200, payload("ray", "get_job_succeeded"))],
    )
    .await;
    env.provider::<RayProvider>().get("../x?y#z").await.unwrap();
    let requests = env.server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].url.path(), "/api/jobs/..%2Fx%3Fy%23z");
    assert_eq!(requests[0].url.query(), None);
}

#[tokio::test]
async fn ids_that_cannot_be_one_segment_are_refused_before_sending() {
    let env = Env::new().await;
    let ray = env.provider::<RayProvider>();
    for id in ["", ".", "..", "a\\b", "a\nb"] {
        assert!(
            matches!(ray.get(id).await, Err(Error::InvalidRequest { .. })),
            "{id:?}"
        );
    }
    assert!(env.server.received_requests().await.unwrap().is_empty());
}

/// A server that takes 10 s to answer anything.
async fn hanging_server() -> Env {
    let env = Env::new().await;
    let slow = ResponseTemplate::new(200)
        .set_body_json(payload("ray", "get_job_succeeded"))
        .set_delay(Duration::from_secs(10));
    env.sequence(|| wiremock::Mock::given(method("GET")), vec![slow])
        .await;
    env
}

/// Asserts that `ray.get` fails with a timeout of `scope`, in less than `within`.
/// `ray.get` fails on `scope`'s time limit, which is `limit` (what the error names), in less than `within`.
async fn get_times_out(ray: &RayProvider, scope: TimeoutScope, limit: Duration, within: Duration) {
    let started = std::time::Instant::now();
    let err = ray.get(ID).await.unwrap_err();
    assert!(
        matches!(&err, Error::Timeout { scope: s, .. } if *s == scope),
        "{err}"
    );
    // `after` is the limit that fired, as documented, not the time it took.
    let Error::Timeout { after, .. } = &err else {
        unreachable!()
    };
    assert_eq!(*after, limit, "{err}");
    let took = started.elapsed();
    assert!(took < within, "took {took:?}");
}

#[tokio::test]
async fn the_operation_timeout_bounds_a_hanging_server() {
    let env = hanging_server().await;
    let ray = RayProvider::builder()
        .base_url(env.server.uri())
        .attempt_timeout(Duration::from_millis(300))
        .operation_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    get_times_out(
        &ray,
        TimeoutScope::Operation,
        Duration::from_millis(300),
        Duration::from_secs(3),
    )
    .await;
}

#[tokio::test]
async fn on_a_test_clock_the_operation_timeout_still_bounds_real_time() {
    // A manual clock counts only its own sleeps, never the time spent waiting on
    // the network: without a real-time guard, ten 300 ms attempts 1 ms apart would take 3 s.
    let env = hanging_server().await;
    let ray = RayProvider::builder()
        .base_url(env.server.uri())
        .clock(std::sync::Arc::new(gpujobs_runtime::ManualClock::new()))
        .retry(gpujobs_runtime::RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            ..Default::default()
        })
        .attempt_timeout(Duration::from_millis(300))
        .operation_timeout(Duration::from_millis(700))
        .build()
        .unwrap();
    get_times_out(
        &ray,
        TimeoutScope::Operation,
        Duration::from_millis(700),
        Duration::from_millis(1_800),
    )
    .await;
}

#[tokio::test]
async fn an_attempt_timeout_within_a_longer_operation_says_attempt() {
    let env = hanging_server().await;
    let ray = RayProvider::builder()
        .base_url(env.server.uri())
        .attempt_timeout(Duration::from_millis(200))
        .operation_timeout(Duration::from_secs(30))
        .retry(gpujobs::RetryPolicy::never())
        .build()
        .unwrap();
    get_times_out(
        &ray,
        TimeoutScope::Attempt,
        Duration::from_millis(200),
        Duration::from_secs(30),
    )
    .await;
}

#[tokio::test]
async fn version_reads_the_server_versions() {
    let env = Env::new().await;
    env.on("GET", "/api/version", &[(200, payload("ray", "version"))])
        .await;
    assert_eq!(
        env.provider::<RayProvider>()
            .version()
            .await
            .unwrap()
            .ray_version,
        "2.60.0"
    );
}

#[tokio::test]
async fn a_duplicate_id_answered_with_a_500_traceback_is_adopted() {
    // What a real Ray 2.60 answered to a second submit with the same id (recorded).
    let env = Env::new().await;
    let path = format!(
        "{}/../../tests/payloads/ray/live/submit_job_duplicate.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let traceback = std::fs::read_to_string(path)
        .unwrap()
        .replace("dup-probe", "train-1");
    env.on_raw("POST", "/api/jobs/", 500, "text/plain", &traceback)
        .await;
    let mut existing = payload("ray", "get_job_pending");
    existing["submission_id"] = "train-1".into();
    existing["entrypoint"] = "python train.py".into();
    env.on("GET", "/api/jobs/train-1", &[(200, existing)]).await;
    let ray = env.provider::<RayProvider>();
    let job = ray
        .submit(&SubmitRequest::new("python train.py").id("train-1"))
        .await
        .unwrap();
    assert_eq!(job.id, "train-1");
    let err = ray
        .submit(&SubmitRequest::new("python other.py").id("train-1"))
        .await
        .unwrap_err();
    let Error::Conflict { message, .. } = &err else {
        panic!("{err}")
    };
    assert!(
        message.starts_with("ValueError: Job with submission_id train-1 already exists"),
        "{message}"
    );
}
