//! The request policy every generated client runs under, checked against a
//! local mock server with a manual clock (delays are recorded, not slept).

use std::sync::Arc;
use std::time::Duration;

use gpujobs_runtime::{ClientState, Endpoint, ManualClock, Retry, RetryPolicy};
use progenitor_client::OperationInfo;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn state(clock: &ManualClock) -> ClientState {
    ClientState::new("test").with_clock(Arc::new(clock.clone()))
}

async fn run(
    state: &ClientState,
    request: reqwest::RequestBuilder,
    operation: &'static str,
) -> reqwest::Result<reqwest::Response> {
    run_on(&reqwest::Client::new(), state, request, operation).await
}

async fn run_on(
    client: &reqwest::Client,
    state: &ClientState,
    request: reqwest::RequestBuilder,
    operation: &'static str,
) -> reqwest::Result<reqwest::Response> {
    let request = request.build().unwrap();
    let info = OperationInfo {
        operation_id: operation,
    };
    state.exec(client, request, &info).await
}

fn get(server: &MockServer) -> reqwest::RequestBuilder {
    reqwest::Client::new().get(format!("{}/x", server.uri()))
}

/// Answers each status in turn (with its `Retry-After`, if any), then the last one forever.
async fn server_answering(statuses: &[(u16, Option<&str>)]) -> MockServer {
    let server = MockServer::start().await;
    for (i, (status, retry_after)) in statuses.iter().enumerate() {
        let mut response = ResponseTemplate::new(*status);
        if let Some(after) = retry_after {
            response = response.insert_header("retry-after", *after);
        }
        let mock = Mock::given(path("/x")).respond_with(response);
        let mock = match i + 1 == statuses.len() {
            true => mock,
            false => mock.up_to_n_times(1),
        };
        mock.with_priority(u8::try_from(i + 1).unwrap())
            .mount(&server)
            .await;
    }
    server
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn transient_errors_are_retried_with_exponential_backoff() {
    let server = server_answering(&[(503, None), (502, None), (504, None), (200, None)]).await;
    let clock = ManualClock::new();
    let response = run(&state(&clock), get(&server), "get").await.unwrap();
    assert_eq!(response.status(), 200);
    let ms = |n| Duration::from_millis(n);
    assert_eq!(clock.sleeps(), [ms(200), ms(400), ms(800)]);
    assert_eq!(requests(&server).await, 4);
}

#[tokio::test]
async fn retries_stop_at_the_attempt_limit() {
    let server = server_answering(&[(503, None)]).await;
    let clock = ManualClock::new();
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let response = run(&state(&clock).with_retry(policy), get(&server), "get")
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    assert_eq!(requests(&server).await, 3);
    assert_eq!(clock.sleeps().len(), 2);
}

#[tokio::test]
async fn retry_after_is_honoured_in_seconds() {
    let server = server_answering(&[(429, Some("7")), (200, None)]).await;
    let clock = ManualClock::new();
    let response = run(&state(&clock), get(&server), "get").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(clock.sleeps(), [Duration::from_secs(7)]);
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    // ManualClock's wall clock starts at 2026-01-01T00:00:00Z.
    let date = "Thu, 01 Jan 2026 00:00:05 GMT";
    let server = server_answering(&[(503, Some(date)), (200, None)]).await;
    let clock = ManualClock::new();
    run(&state(&clock), get(&server), "get").await.unwrap();
    assert_eq!(clock.sleeps(), [Duration::from_secs(5)]);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_returned_not_waited_for() {
    let server = server_answering(&[(429, Some("3600")), (200, None)]).await;
    let clock = ManualClock::new();
    let response = run(&state(&clock), get(&server), "get").await.unwrap();
    assert_eq!(response.status(), 429);
    assert!(clock.sleeps().is_empty());
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn a_job_creating_post_is_never_retried_once_sent() {
    for status in [500, 502, 503, 429] {
        let server = server_answering(&[(status, Some("1")), (200, None)]).await;
        let clock = ManualClock::new();
        let post = reqwest::Client::new()
            .post(format!("{}/x", server.uri()))
            .json(&serde_json::json!({"entrypoint": "x"}));
        let response = run(&state(&clock), post, "submit_job").await.unwrap();
        assert_eq!(response.status(), status);
        assert_eq!(requests(&server).await, 1, "status {status}");
    }
}

/// A table declaring `submit_job` as `retry` (what `cargo xtask regen` writes from the spec).
fn declaring(clock: &ManualClock, id: &'static str, retry: Retry) -> ClientState {
    state(clock).with_endpoints(&[Endpoint {
        id,
        method: "POST",
        path: "/x",
        retry,
    }])
}

#[tokio::test]
async fn a_post_with_an_idempotency_key_is_retried() {
    let clock = ManualClock::new();
    let submit = |server: &MockServer| {
        reqwest::Client::new()
            .post(format!("{}/x", server.uri()))
            .json(&serde_json::json!({"entrypoint": "x", "submission_id": "job-1"}))
    };
    let keyed = declaring(&clock, "submit_job", Retry::IdempotencyKey("submission_id"));
    let server = server_answering(&[(500, None), (200, None)]).await;
    assert_eq!(
        run(&keyed, submit(&server), "submit_job")
            .await
            .unwrap()
            .status(),
        200
    );

    let never = declaring(&clock, "submit_job", Retry::Never);
    let server = server_answering(&[(500, None), (200, None)]).await;
    assert_eq!(
        run(&never, submit(&server), "submit_job")
            .await
            .unwrap()
            .status(),
        500
    );
}

#[tokio::test]
async fn a_post_declared_retry_safe_is_retried() {
    let server = server_answering(&[(503, None), (200, None)]).await;
    let clock = ManualClock::new();
    let post = reqwest::Client::new().post(format!("{}/x", server.uri()));
    let stop_is_safe = declaring(&clock, "stop_job", Retry::Safe);
    let response = run(&stop_is_safe, post, "stop_job").await.unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_a_post() {
    // Bind and drop a listener so the port is (almost certainly) closed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let clock = ManualClock::new();
    let post = reqwest::Client::new().post(format!("http://127.0.0.1:{port}/x"));
    let error = run(&state(&clock), post, "submit_job").await.unwrap_err();
    assert!(error.is_connect());
    assert_eq!(clock.sleeps().len(), 3, "4 attempts, 3 waits");
}

#[tokio::test]
async fn no_retry_starts_that_would_overrun_the_operation_budget() {
    let server = server_answering(&[(503, None)]).await;
    let clock = ManualClock::new();
    let tight = state(&clock).with_operation_timeout(Duration::from_millis(500));
    let response = run(&tight, get(&server), "get").await.unwrap();
    assert_eq!(response.status(), 503);
    // 200 ms fits in 500 ms; 200 + 400 does not.
    assert_eq!(clock.sleeps(), [Duration::from_millis(200)]);
}

#[tokio::test]
async fn each_attempt_is_limited_by_the_attempt_timeout() {
    let server = slow_server().await;
    let clock = ManualClock::new();
    let quick = state(&clock)
        .with_attempt_timeout(Duration::from_millis(100))
        .with_retry(RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        });
    let started = std::time::Instant::now();
    let error = run(&quick, get(&server), "get").await.unwrap_err();
    assert!(error.is_timeout());
    assert_eq!(
        requests(&server).await,
        2,
        "a GET that timed out is retried"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

/// A server that answers every GET after 5 s.
async fn slow_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    server
}

/// A client that limits every request to `limit` itself, and a state told so.
fn limited_by_client(clock: &ManualClock, limit: Duration) -> (reqwest::Client, ClientState) {
    let client = reqwest::Client::builder().timeout(limit).build().unwrap();
    let state = state(clock)
        .with_attempt_timeout(limit)
        .with_client_timeout(limit);
    (client, state)
}

#[tokio::test]
async fn a_client_that_limits_attempts_itself_still_ends_each_in_time() {
    let server = slow_server().await;
    let clock = ManualClock::new();
    let (client, state) = limited_by_client(&clock, Duration::from_millis(100));
    let state = state.with_retry(RetryPolicy {
        max_attempts: 2,
        ..RetryPolicy::default()
    });
    let started = std::time::Instant::now();
    let error = run_on(&client, &state, get(&server), "get")
        .await
        .unwrap_err();
    assert!(error.is_timeout());
    assert_eq!(requests(&server).await, 2);
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn near_the_deadline_an_attempt_gets_less_than_the_clients_own_limit() {
    let server = slow_server().await;
    let clock = ManualClock::new();
    let (client, state) = limited_by_client(&clock, Duration::from_secs(30));
    let state = state.with_operation_timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let error = run_on(&client, &state, get(&server), "get")
        .await
        .unwrap_err();
    assert!(
        error.is_timeout(),
        "the operation's 200 ms, not the client's 30 s"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_request_sent_again_is_the_same_request() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/x"))
        .and(header("x-probe", "kept"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let request = get(&server).header("x-probe", "kept").query(&[("q", "1")]);
    let response = run(&state(&clock), request, "get").await.unwrap();
    assert_eq!(response.status(), 200, "the second attempt kept the header");
    let sent = server.received_requests().await.unwrap();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].url, sent[1].url);
    assert_eq!(sent[0].method, sent[1].method);
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_and_not_asked_for_again() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(10_000)))
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let small = state(&clock).with_max_response_bytes(4096);
    let response = run(&small, get(&server), "get").await.unwrap();
    let error = response.bytes().await.unwrap_err();
    assert_eq!(
        gpujobs_runtime::body::find(&error),
        Some(gpujobs_runtime::body::ResponseTooLarge { limit: 4096 })
    );
    assert_eq!(requests(&server).await, 1);

    let exact = state(&clock).with_max_response_bytes(10_000);
    let response = run(&exact, get(&server), "get").await.unwrap();
    // The body was read into memory and handed on: the answer keeps its URL.
    assert_eq!(response.url().as_str(), format!("{}/x", server.uri()));
    assert_eq!(
        response.bytes().await.unwrap().len(),
        10_000,
        "a body at the limit is whole"
    );
}

#[tokio::test]
async fn a_5xx_the_server_means_is_returned_at_once() {
    let server = MockServer::start().await;
    let refusal =
        ResponseTemplate::new(500).set_body_string(r#"{"errors":[{"error_number":2017}]}"#);
    Mock::given(path("/x"))
        .respond_with(refusal)
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let means_it =
        |status: u16, body: &[u8]| status == 500 && body.windows(4).any(|w| w == b"2017");
    let state = state(&clock).with_final_answers(means_it);
    let response = run(&state, get(&server), "get").await.unwrap();
    assert_eq!(response.status(), 500);
    assert_eq!(
        response.text().await.unwrap(),
        r#"{"errors":[{"error_number":2017}]}"#,
        "the body is kept"
    );
    assert_eq!(requests(&server).await, 1);

    // Any other 5xx is still retried.
    let flaky = server_answering(&[(500, None), (200, None)]).await;
    let response = run(&state, get(&flaky), "get").await.unwrap();
    assert_eq!(
        (response.status().as_u16(), requests(&flaky).await),
        (200, 2)
    );
}
