//! The PPIO adapter against a mock server answering its documented shapes.

mod common;

use common::{CANARY_KEY, Env, json as answers, payload, payload_with};
use futures_util::TryStreamExt;

use gpujobs::ppio::PpioProvider;
use gpujobs::prelude::*;
use serde_json::{Value, json};
use wiremock::Mock;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};

const JOB: &str = "/gpus/v2/jobs/job-id";

fn with_status(status: &str) -> Value {
    payload_with("ppio", "get_job", "/status/status", status)
}

#[tokio::test]
async fn get_maps_the_documented_example() {
    let env = Env::new().await;
    env.on("GET", JOB, &[(200, payload("ppio", "get_job"))])
        .await;
    let job = env.provider::<PpioProvider>().get("job-id").await.unwrap();
    assert_eq!(
        (job.status, job.name.as_deref()),
        (JobStatus::Succeeded, Some("saveImage"))
    );
    assert_eq!(job.created_at.unwrap().timestamp(), 1714982400);
    assert_eq!(job.finished_at.unwrap().timestamp(), 1714982600);
    assert_eq!(
        job.log_url.unwrap().expose(),
        "https://example.com/logs/job-id"
    );
    let sent = &env.received("GET", JOB).await[0];
    assert_eq!(
        sent.headers["authorization"],
        format!("Bearer {CANARY_KEY}").as_str()
    );
}

#[tokio::test]
async fn list_follows_the_cursor_across_pages() {
    let env = Env::new().await;
    let mut first = payload("ppio", "list_jobs");
    first["next_cursor"] = "c2".into();
    let mut third = with_status("Failed");
    third["id"] = "job-3".into(); // a job of its own: one already listed is not listed again
    let last = json!({"data": [third], "next_cursor": "", "has_more": false});
    let page = |cursor: Option<&'static str>| {
        move || {
            let m = Mock::given(method("GET")).and(path("/gpus/v2/jobs"));
            match cursor {
                Some(c) => m.and(query_param("cursor", c)),
                None => m.and(query_param_is_missing("cursor")),
            }
        }
    };
    env.sequence(page(None), answers(&[(200, first)])).await;
    env.sequence(page(Some("c2")), answers(&[(200, last)]))
        .await;
    let jobs: Vec<Job> = env
        .provider::<PpioProvider>()
        .list(ListOptions::default().page_size(2))
        .try_collect()
        .await
        .unwrap();
    let statuses: Vec<JobStatus> = jobs.into_iter().map(|j| j.status).collect();
    assert_eq!(
        statuses,
        [JobStatus::Succeeded, JobStatus::Running, JobStatus::Failed]
    );
    let requests = env.received("GET", "/gpus/v2/jobs").await;
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].url.query(), Some("limit=2"));
}

#[tokio::test]
async fn cancel_stops_and_reads_back() {
    let env = Env::new().await;
    env.statuses(JOB, &["Running", "Stopped"], with_status)
        .await;
    env.on("POST", &format!("{JOB}/stop"), &[(200, json!({}))])
        .await;
    let outcome = env
        .provider::<PpioProvider>()
        .cancel("job-id")
        .await
        .unwrap();
    assert!(matches!(outcome, CancelOutcome::Stopped(job) if job.status == JobStatus::Canceled));
}

#[tokio::test]
async fn logs_are_the_job_s_log_url_shown_without_credentials() {
    let env = Env::new().await;
    let mut job = payload("ppio", "get_job");
    job["log"] = "https://logs.ppio.example/job-id?token=secret-tok".into();
    env.on("GET", JOB, &[(200, job)]).await;
    let Logs::Url(url) = env.provider::<PpioProvider>().logs("job-id").await.unwrap() else {
        panic!()
    };
    assert_eq!(
        url.to_string(),
        "https://logs.ppio.example/job-id?token=[REDACTED]"
    );
    assert!(url.expose().ends_with("secret-tok"));
}

#[tokio::test]
async fn a_signed_log_url_is_fetched_without_the_key_and_within_the_limit() {
    let env = Env::new().await;
    // The log host is another server: it must get the URL's own token, never the API key.
    let log_host = wiremock::MockServer::start().await;
    let log = "line 1\nline 2\n".repeat(64);
    Mock::given(method("GET"))
        .and(path("/job-id.log"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_string(log.clone()))
        .mount(&log_host)
        .await;
    let mut job = payload("ppio", "get_job");
    job["log"] = format!("{}/job-id.log?token=signed", log_host.uri()).into();
    env.on("GET", JOB, &[(200, job)]).await;
    let ppio = env.provider::<PpioProvider>();
    let logs = ppio.logs("job-id").await.unwrap();
    assert_eq!(logs.text(), None, "a URL, not text");

    let read: Vec<bytes::Bytes> = ppio
        .read_logs(logs.clone(), 1 << 20)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(read.concat(), log.as_bytes());
    let asked = log_host.received_requests().await.unwrap();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].url.query(), Some("token=signed"));
    let headers = format!("{:?}", asked[0].headers);
    assert!(!headers.contains(CANARY_KEY), "{headers}");
    assert!(!asked[0].headers.contains_key("authorization"), "{headers}");
    // Through the provider's configured client (its settings, not its credential).
    let agent = asked[0]
        .headers
        .get("user-agent")
        .map(|v| v.to_str().unwrap().to_owned());
    assert!(
        agent.as_deref().is_some_and(|a| a.starts_with("gpujobs/")),
        "{agent:?}"
    );

    let over: gpujobs::Result<Vec<bytes::Bytes>> = ppio.read_logs(logs, 100).try_collect().await;
    assert!(
        matches!(over, Err(Error::ResponseTooLarge { limit: 100, .. })),
        "{over:?}"
    );
}

#[tokio::test]
async fn submit_is_unsupported_and_says_so() {
    let env = Env::new().await;
    let ppio = env.provider::<PpioProvider>();
    assert!(!ppio.capabilities().submit);
    let err = ppio.submit(&SubmitRequest::new("x")).await.unwrap_err();
    assert_eq!(err.to_string(), "ppio does not support submit");
}

#[tokio::test]
async fn a_401_is_unauthenticated() {
    let env = Env::new().await;
    env.on("GET", JOB, &[(401, json!({"message": "invalid api key"}))])
        .await;
    let err = env
        .provider::<PpioProvider>()
        .get("job-id")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Unauthenticated { message, .. } if message == "invalid api key"),
        "{err}"
    );
}

#[tokio::test]
async fn wait_to_failure_carries_the_error() {
    let env = Env::new().await;
    let mut failed = with_status("Failed");
    failed["status"]["error"] = "ImagePushFailed".into();
    env.on("GET", JOB, &[(200, with_status("Running")), (200, failed)])
        .await;
    let job = env
        .provider::<PpioProvider>()
        .wait("job-id", &env.wait_options())
        .await
        .unwrap();
    assert_eq!(
        (job.status, job.failure_reason.as_deref()),
        (JobStatus::Failed, Some("ImagePushFailed"))
    );
}

#[tokio::test]
async fn an_unknown_status_is_kept_raw() {
    let env = Env::new().await;
    env.on(
        "GET",
        JOB,
        &[(200, payload("ppio", "get_job_unknown_status_extra_field"))],
    )
    .await;
    let job = env.provider::<PpioProvider>().get("job-id").await.unwrap();
    assert_eq!(job.status, JobStatus::Unknown("Migrating".into()));
}

#[tokio::test]
async fn a_log_download_ends_by_the_operation_time_limit() {
    let env = Env::new().await;
    let log_host = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::path("/slow.log"))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_string("x")
                .set_delay(std::time::Duration::from_secs(30)),
        )
        .mount(&log_host)
        .await;
    let mut job = payload("ppio", "get_job");
    job["log"] = format!("{}/slow.log", log_host.uri()).into();
    env.on("GET", JOB, &[(200, job)]).await;
    let ppio = PpioProvider::builder()
        .base_url(env.server.uri())
        .credential(CANARY_KEY)
        .operation_timeout(std::time::Duration::from_millis(300))
        .build()
        .unwrap();
    let logs = ppio.logs("job-id").await.unwrap();
    let started = std::time::Instant::now();
    let read: gpujobs::Result<Vec<bytes::Bytes>> =
        ppio.read_logs(logs, 1 << 20).try_collect().await;
    assert!(matches!(read, Err(Error::Timeout { .. })), "{read:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "bounded: {:?}",
        started.elapsed()
    );
}
