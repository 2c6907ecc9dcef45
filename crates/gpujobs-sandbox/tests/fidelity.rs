//! The sandbox answers as the real servers do: every field of each provider's
//! documented (or recorded) job example is present in its answer, with `null`
//! where the example has `null`; wrong methods get 405; Ray's own quirks.

use gpujobs::ProviderKind;
use gpujobs_sandbox::{JobSpec, Sandbox, SandboxConfig};
use serde_json::Value;

/// The documented (or, for Ray, recorded) answer for one job, per provider, and its route.
const EXAMPLES: [(ProviderKind, &str, &str); 5] = [
    (
        ProviderKind::Ppio,
        "ppio/get_job.json",
        "/gpus/v2/jobs/{id}",
    ),
    (
        ProviderKind::Yuanrong,
        "yuanrong/get_job.json",
        "/api/jobs/{id}",
    ),
    (
        ProviderKind::Ray,
        "ray/live/get_job_succeeded.json",
        "/api/jobs/{id}",
    ),
    (
        ProviderKind::Matpool,
        "matpool/get_job.json",
        "/v1/job?id={id}",
    ),
    (
        ProviderKind::Tensorpool,
        "tensorpool/get_job_info.json",
        "/job/info/{id}",
    ),
];

/// Free-form maps: their keys are data, not fields.
const FREE_FORM: [&str; 3] = ["metadata", "job_info", "urls"];

/// Where `example`'s fields are missing from `answer`, or not null where the example is null.
fn missing(example: &Value, answer: &Value, at: &str, out: &mut Vec<String>) {
    match (example, answer) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, value) in want {
                match got.get(key) {
                    _ if FREE_FORM.contains(&key.as_str()) => {}
                    None => out.push(format!("{at}/{key} is missing")),
                    Some(found) => missing(value, found, &format!("{at}/{key}"), out),
                }
            }
        }
        (Value::Null, found) if !found.is_null() => out.push(format!("{at} is {found}, not null")),
        (Value::Array(want), Value::Array(got)) if !want.is_empty() && !got.is_empty() => {
            missing(&want[0], &got[0], &format!("{at}/0"), out)
        }
        _ => {}
    }
}

fn example(path: &str) -> Value {
    let file = format!("{}/../../tests/payloads/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
}

#[tokio::test]
async fn answers_carry_every_documented_field() {
    let sandbox = Sandbox::start(SandboxConfig::default().empty())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let mut problems = Vec::new();
    for (kind, file, route) in EXAMPLES {
        let id = sandbox.add_job(kind, JobSpec::new("python ok.py")).unwrap();
        let url = format!("{}{}", sandbox.base_url(kind), route.replace("{id}", &id));
        let mut request = http.get(url);
        if let Some(token) = sandbox.token(kind) {
            request = request.bearer_auth(token);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        missing(&example(file), &answer, kind.as_str(), &mut problems);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test]
async fn a_wrong_method_is_405_with_the_allowed_ones() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let http = reqwest::Client::new();
    let cases = [
        (ProviderKind::Ray, "/api/jobs/x/stop", "GET", "POST"),
        (ProviderKind::Yuanrong, "/api/jobs", "PUT", "GET, POST"),
        (ProviderKind::Ppio, "/gpus/v2/jobs/x", "DELETE", "GET"),
    ];
    for (kind, path, method, allowed) in cases {
        let url = format!("{}{path}", sandbox.base_url(kind));
        let mut request = http.request(method.parse().unwrap(), url);
        if let Some(token) = sandbox.token(kind) {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.unwrap();
        assert_eq!(answer.status(), 405, "{kind} {method} {path}");
        assert_eq!(answer.headers()["allow"], allowed, "{kind} {method} {path}");
    }
}

#[tokio::test]
async fn ray_answers_as_ray_2_60_does() {
    let sandbox = Sandbox::start(SandboxConfig::default().empty())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let base = sandbox.base_url(ProviderKind::Ray);
    let submitted: Value = http
        .post(format!("{base}/api/jobs/"))
        .json(&serde_json::json!({"entrypoint": "sleep infinity", "submission_id": "keep-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        submitted["job_id"], submitted["submission_id"],
        "{submitted}"
    );
    let deleted = http
        .delete(format!("{base}/api/jobs/keep-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 500, "deleting a running job");
}
