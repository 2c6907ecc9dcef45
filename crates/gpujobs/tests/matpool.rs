//! The Matpool adapter against a mock server answering its documented shapes:
//! `{code, msg, …}` envelopes, failures inside HTTP 200, page-number paging.

mod common;

use common::{Env, json as answers, payload};
use futures_util::TryStreamExt;
use gpujobs::matpool::{MatpoolOptions, MatpoolProvider};
use gpujobs::prelude::*;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

const ID: &str = "421236";

/// The documented job, in the envelope of a get.
fn job_with(status: i64, history: &[i64]) -> Value {
    let mut job = payload("matpool", "list_jobs")["job"][0].clone();
    job["status"] = status.into();
    job["state"]["status"] = status.into();
    job["state"]["log"] = history
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"id": i, "status": s, "ts": {"seconds": 1744082021 + 10 * i as i64}, "sourceId": 421236}))
        .collect();
    json!({"code": 0, "msg": "", "job": job})
}

async fn on_get(env: &Env, answers_in_order: &[Value]) {
    let list: Vec<(u16, Value)> = answers_in_order.iter().map(|a| (200, a.clone())).collect();
    env.sequence(
        || {
            Mock::given(method("GET"))
                .and(path("/v1/job"))
                .and(query_param("id", ID))
        },
        answers(&list),
    )
    .await;
}

#[tokio::test]
async fn get_maps_the_documented_job_and_its_history() {
    let env = Env::new().await;
    on_get(&env, &[payload("matpool", "get_job")]).await;
    let job = env.provider::<MatpoolProvider>().get(ID).await.unwrap();
    assert_eq!(
        (job.status, job.provider_status.as_str()),
        (JobStatus::Running, "3")
    );
    assert_eq!(job.name.as_deref(), Some("job & instance's name"));
    assert_eq!(job.created_at.unwrap().timestamp(), 1744082021);
    assert_eq!(job.started_at.unwrap().timestamp(), 1744082070);
    assert!(job.finished_at.is_none());
}

#[tokio::test]
async fn list_walks_page_numbers_oldest_first() {
    let env = Env::new().await;
    let mut first = payload("matpool", "list_jobs");
    first["job"] = json!([first["job"][0]]);
    let mut second = payload("matpool", "list_jobs");
    second["job"] = json!([second["job"][1]]);
    second["pagination"]["page"] = 2.into();
    for (page, body) in [("1", first), ("2", second)] {
        env.sequence(
            || {
                Mock::given(method("GET"))
                    .and(path("/v1/job/jobs"))
                    .and(query_param("page", page))
                    .and(query_param("order", "true"))
            },
            answers(&[(200, body.clone())]),
        )
        .await;
    }
    let ids: Vec<String> = env
        .provider::<MatpoolProvider>()
        .list(ListOptions::default())
        .map_ok(|j| j.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids, ["421236", "421235"]);
    assert_eq!(env.received("GET", "/v1/job/jobs").await.len(), 2);
}

#[tokio::test]
async fn a_bad_token_inside_http_200_is_unauthenticated() {
    let env = Env::new().await;
    on_get(&env, &[payload("matpool", "error_bad_token")]).await;
    let err = env.provider::<MatpoolProvider>().get(ID).await.unwrap_err();
    assert!(
        matches!(&err, Error::Unauthenticated { message, .. } if message.contains("MATPOOL_TOKEN")),
        "{err}"
    );
}

#[tokio::test]
async fn an_illegal_parameter_inside_http_200_is_an_invalid_request() {
    let env = Env::new().await;
    on_get(&env, &[payload("matpool", "error_param_illegal")]).await;
    let err = env.provider::<MatpoolProvider>().get(ID).await.unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err}");
}

#[tokio::test]
async fn cancel_is_accepted_and_finishes_later() {
    let env = Env::new().await;
    on_get(&env, &[job_with(1, &[6, 1]), job_with(5, &[6, 1, 5])]).await;
    env.on("DELETE", "/v1/job", &[(200, json!({"code": 0, "msg": ""}))])
        .await;
    let outcome = env.provider::<MatpoolProvider>().cancel(ID).await.unwrap();
    assert!(
        matches!(&outcome, CancelOutcome::Accepted(job) if job.status == JobStatus::Canceling),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn cancel_of_a_completed_job_is_already_ended() {
    let env = Env::new().await;
    on_get(&env, &[job_with(4, &[6, 1, 2, 3, 4])]).await;
    let outcome = env.provider::<MatpoolProvider>().cancel(ID).await.unwrap();
    assert!(
        matches!(&outcome, CancelOutcome::AlreadyEnded(job) if job.status == JobStatus::Succeeded)
    );
    assert!(env.received("DELETE", "/v1/job").await.is_empty());
}

#[tokio::test]
async fn wait_sees_completed_after_canceling_as_canceled() {
    let env = Env::new().await;
    on_get(&env, &[job_with(5, &[6, 1, 5]), job_with(4, &[6, 1, 5, 4])]).await;
    let job = env
        .provider::<MatpoolProvider>()
        .wait(ID, &env.wait_options())
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Canceled);
    assert_eq!(job.finished_at.unwrap().timestamp(), 1744082051);
}

#[tokio::test]
async fn wait_reaches_succeeded() {
    let env = Env::new().await;
    on_get(
        &env,
        &[
            job_with(6, &[6]),
            job_with(3, &[6, 1, 2, 3]),
            job_with(4, &[6, 1, 2, 3, 4]),
        ],
    )
    .await;
    let job = env
        .provider::<MatpoolProvider>()
        .wait(ID, &env.wait_options())
        .await
        .unwrap();
    assert_eq!(job.status, JobStatus::Succeeded);
}

#[tokio::test]
async fn submit_posts_a_multipart_form_once_even_on_500() {
    let env = Env::new().await;
    env.sequence(
        || Mock::given(method("POST")).and(path("/v1/job")),
        vec![ResponseTemplate::new(500)],
    )
    .await;
    let request = SubmitRequest::new("python train.py")
        .options(
            MatpoolOptions::default()
                .gpu_model("NVIDIA A16")
                .image(633839),
        )
        .env("A", "1")
        .name("train");
    let err = env
        .provider::<MatpoolProvider>()
        .submit(&request)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Api {
                status: Some(500),
                ..
            }
        ),
        "{err}"
    );
    let sent = env.received("POST", "/v1/job").await;
    assert_eq!(sent.len(), 1, "a job-creating POST is never retried");
    let body = String::from_utf8_lossy(&sent[0].body);
    for part in [
        r#"name="spec""#,
        r#"{"gpuName":"NVIDIA A16"}"#,
        r#"name="from_image_id""#,
        "633839",
        "A=1",
        r#"name="remark""#,
    ] {
        assert!(body.contains(part), "missing {part} in {body}");
    }
    assert!(
        sent[0].headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("multipart/form-data")
    );
}

#[tokio::test]
async fn submit_returns_the_created_job() {
    let env = Env::new().await;
    env.on("POST", "/v1/job", &[(200, job_with(6, &[6]))]).await;
    let request = SubmitRequest::new("nvidia-smi").options(
        MatpoolOptions::default()
            .gpu_model("NVIDIA A16")
            .environment(77),
    );
    let job = env
        .provider::<MatpoolProvider>()
        .submit(&request)
        .await
        .unwrap();
    assert_eq!((job.id.as_str(), job.status), (ID, JobStatus::Starting));
}

#[tokio::test]
async fn what_matpool_cannot_honour_is_refused_before_anything_is_sent() {
    let env = Env::new().await;
    let options = || MatpoolOptions::default().gpu_model("NVIDIA A16").image(1);
    let matpool = env.provider::<MatpoolProvider>();
    // Matpool keeps no client token: an id could not prevent a second job.
    let keyed = SubmitRequest::new("python train.py")
        .id("x")
        .options(options());
    let error = matpool.submit(&keyed).await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    assert!(error.to_string().contains("cannot honour `id`"), "{error}");
    for refused in [
        SubmitRequest::new("x").working_dir("/w").options(options()),
        SubmitRequest::new("x").gpus(1.0).options(options()),
        SubmitRequest::new("x").options(gpujobs::slurm::SlurmOptions::default().partition("gpu")),
    ] {
        let error = matpool.submit(&refused).await.unwrap_err();
        assert_eq!(error.kind(), gpujobs::ErrorKind::InvalidRequest, "{error}");
    }
    assert!(
        env.server.received_requests().await.unwrap().is_empty(),
        "nothing was sent"
    );
}

#[tokio::test]
async fn an_unknown_status_is_kept_raw() {
    let env = Env::new().await;
    on_get(
        &env,
        &[payload("matpool", "get_job_unknown_status_extra_field")],
    )
    .await;
    let job = env.provider::<MatpoolProvider>().get(ID).await.unwrap();
    assert_eq!(job.status, JobStatus::Unknown("7".into()));
}
