//! Each emulator answers malformed requests and bad credentials the way its
//! provider does, on the wire, and never crashes.

use gpujobs::ProviderKind;
use gpujobs_sandbox::{Sandbox, SandboxConfig};

struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("the sandbox answers");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    Answer {
        status: response.status().as_u16(),
        content_type,
        body: response.text().await.unwrap(),
    }
}

#[tokio::test]
async fn malformed_requests_get_the_provider_s_own_refusal() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    let url = |kind: ProviderKind, path: &str| format!("{}{path}", sandbox.base_url(kind));
    let token = |kind: ProviderKind| sandbox.token(kind).unwrap().to_owned();

    let ray = send(
        http.post(url(ProviderKind::Ray, "/api/jobs/"))
            .body("not json"),
    )
    .await;
    assert_eq!(
        (ray.status, ray.content_type.starts_with("text/plain")),
        (400, true),
        "{}",
        ray.body
    );

    let yuanrong = send(
        http.post(url(ProviderKind::Yuanrong, "/api/jobs"))
            .body(r#"{"entrypoint": "x"}"#),
    )
    .await;
    assert_eq!(yuanrong.status, 400);
    assert!(
        serde_json::from_str::<String>(&yuanrong.body).is_ok(),
        "a JSON string: {}",
        yuanrong.body
    );

    let ppio = send(
        http.post(url(ProviderKind::Ppio, "/gpus/v2/jobs/save-image"))
            .bearer_auth(token(ProviderKind::Ppio))
            .body("[]"),
    )
    .await;
    assert_eq!(ppio.status, 400, "{}", ppio.body);

    let ppio_cursor = send(
        http.get(url(ProviderKind::Ppio, "/gpus/v2/jobs?cursor=garbage"))
            .bearer_auth(token(ProviderKind::Ppio)),
    )
    .await;
    assert_eq!(ppio_cursor.status, 400);

    let matpool = send(
        http.post(url(ProviderKind::Matpool, "/v1/job"))
            .bearer_auth(token(ProviderKind::Matpool))
            .body("spec=x"),
    )
    .await;
    assert_eq!(
        (matpool.status, matpool.body.as_str()),
        (200, r#"{"code":6,"msg":"param illegal"}"#)
    );

    let matpool_page = send(
        http.get(url(ProviderKind::Matpool, "/v1/job/jobs?page=zero"))
            .bearer_auth(token(ProviderKind::Matpool)),
    )
    .await;
    assert_eq!(matpool_page.body, r#"{"code":6,"msg":"param illegal"}"#);

    let tensorpool = send(
        http.get(url(ProviderKind::Tensorpool, "/job/nowhere"))
            .bearer_auth(token(ProviderKind::Tensorpool)),
    )
    .await;
    assert_eq!(
        (tensorpool.status, tensorpool.body.as_str()),
        (404, r#"{"detail":"Not Found"}"#)
    );

    let too_big = send(
        http.post(url(ProviderKind::Ray, "/api/jobs/"))
            .body(vec![b'x'; 2 << 20]),
    )
    .await;
    assert_eq!(too_big.status, 413);

    // Still serving after all that.
    assert_eq!(
        send(http.get(url(ProviderKind::Ray, "/api/version")))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn bad_credentials_are_refused_each_provider_s_way() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    let url = |kind: ProviderKind, path: &str| format!("{}{path}", sandbox.base_url(kind));

    let ppio = send(
        http.get(url(ProviderKind::Ppio, "/gpus/v2/jobs"))
            .bearer_auth("wrong"),
    )
    .await;
    assert_eq!(ppio.status, 401);
    let matpool = send(
        http.get(url(ProviderKind::Matpool, "/v1/job/jobs"))
            .bearer_auth("wrong"),
    )
    .await;
    assert_eq!(
        (matpool.status, matpool.body.as_str()),
        (200, r#"{"code":176,"msg":"check jwt token failed"}"#)
    );
    let tensorpool_missing = send(http.get(url(ProviderKind::Tensorpool, "/job/list"))).await;
    assert_eq!(
        (tensorpool_missing.status, tensorpool_missing.body.as_str()),
        (403, r#"{"detail":"Not authenticated"}"#)
    );
    let tensorpool_wrong = send(
        http.get(url(ProviderKind::Tensorpool, "/job/list"))
            .bearer_auth("wrong"),
    )
    .await;
    assert_eq!(tensorpool_wrong.status, 401);
    // Ray's dashboard and openYuanrong document no authentication.
    assert_eq!(
        send(http.get(url(ProviderKind::Ray, "/api/jobs/")))
            .await
            .status,
        200
    );
    assert_eq!(
        send(http.get(url(ProviderKind::Yuanrong, "/api/jobs")))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn a_tensorpool_cancel_is_a_request_that_completes() {
    use gpujobs_sandbox::{JobSpec, Timing};
    // On the manual clock the cancel completes when the test says, not when
    // 80 ms have passed on a busy machine.
    let clock = gpujobs_runtime::ManualClock::new();
    let config = SandboxConfig::default().timing(Timing::fast()).empty();
    let sandbox = Sandbox::start(config.clock(std::sync::Arc::new(clock.clone())))
        .await
        .unwrap();
    let kind = ProviderKind::Tensorpool;
    let id = sandbox
        .add_job(kind, JobSpec::new("sleep infinity"))
        .unwrap();
    let http = reqwest::Client::new();
    let token = sandbox.token(kind).unwrap().to_owned();
    let url = |path: String| format!("{}{path}", sandbox.base_url(kind));

    let cancel = send(
        http.post(url(format!("/job/cancel/{id}")))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(cancel.status, 202);
    let accepted: serde_json::Value = serde_json::from_str(&cancel.body).unwrap();
    assert_eq!(accepted["status"], "canceling");
    let request = accepted["request_id"].as_str().unwrap().to_owned();

    let info = http
        .get(url(format!("/request/info/{request}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        info.headers()["retry-after"],
        "1",
        "asks to poll again while processing"
    );
    assert!(info.text().await.unwrap().contains("PROCESSING"));

    clock.advance(Timing::fast().cancel);
    let done = send(
        http.get(url(format!("/request/info/{request}")))
            .bearer_auth(&token),
    )
    .await;
    assert!(done.body.contains("COMPLETED"), "{}", done.body);
    let again = send(
        http.post(url(format!("/job/cancel/{id}")))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(again.status, 200, "canceling an ended job changes nothing");
}
