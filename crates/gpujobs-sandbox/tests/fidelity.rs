//! The sandbox answers as the real servers do: every field of each provider's
//! documented (or recorded) job example is present in its answer, with `null`
//! where the example has `null`; wrong methods get 405; Ray's own quirks.

use gpujobs::ProviderKind;
use gpujobs_sandbox::{JobSpec, Sandbox, SandboxConfig, SlurmRelease};
use serde_json::Value;

/// One documented (or recorded) answer for one job: the Slurm release that
/// answered it (`None` for the other providers), the file, the route.
type Example = (Option<SlurmRelease>, &'static str, &'static str);

/// What `kind`'s real server answers for one job: documented, or recorded from
/// a live server (Ray; Slurm per release and API version). Every provider in
/// the registry needs at least one: the test below fails on one without.
fn examples(kind: ProviderKind) -> Vec<Example> {
    match kind {
        ProviderKind::Ppio => vec![(None, "ppio/get_job.json", "/gpus/v2/jobs/{id}")],
        ProviderKind::Yuanrong => vec![(None, "yuanrong/get_job.json", "/api/jobs/{id}")],
        ProviderKind::Ray => vec![(None, "ray/live/get_job_succeeded.json", "/api/jobs/{id}")],
        ProviderKind::Matpool => vec![(None, "matpool/get_job.json", "/v1/job?id={id}")],
        ProviderKind::Tensorpool => {
            vec![(None, "tensorpool/get_job_info.json", "/job/info/{id}")]
        }
        ProviderKind::Slurm => vec![
            (
                Some(SlurmRelease::V22_05),
                "slurm/live/22.05/v0.0.38/get_job_running.json",
                "/slurm/v0.0.38/job/{id}",
            ),
            (
                Some(SlurmRelease::V24_11),
                "slurm/live/24.11/v0.0.40/get_job_completed.json",
                "/slurm/v0.0.40/job/{id}",
            ),
            (
                Some(SlurmRelease::V24_11),
                "slurm/live/24.11/v0.0.42/get_job_completed.json",
                "/slurm/v0.0.42/job/{id}",
            ),
            (
                Some(SlurmRelease::V26_05),
                "slurm/live/26.05/v0.0.45/get_job_completed.json",
                "/slurm/v0.0.45/job/{id}",
            ),
        ],
        _ => vec![],
    }
}

/// `request` with the credentials the sandbox expects of `kind`.
fn authorized(
    request: reqwest::RequestBuilder,
    sandbox: &Sandbox,
    kind: ProviderKind,
) -> reqwest::RequestBuilder {
    match (kind, sandbox.token(kind)) {
        (ProviderKind::Slurm, Some(token)) => request
            .header("X-SLURM-USER-NAME", "sandbox")
            .header("X-SLURM-USER-TOKEN", token),
        (_, Some(token)) => request.bearer_auth(token),
        (_, None) => request,
    }
}

/// Free-form maps: their keys are data, not fields (Slurm's `job_resources`
/// differs between its API versions and is kept as it comes).
const FREE_FORM: [&str; 4] = ["metadata", "job_info", "urls", "job_resources"];

/// Where `example`'s fields are missing from `answer`, or not null where the example is null.
fn missing(example: &Value, answer: &Value, at: &str, out: &mut Vec<String>) {
    match (example, answer) {
        (Value::Object(want), Value::Object(got)) => {
            for (key, value) in want {
                match got.get(key) {
                    None => out.push(format!("{at}/{key} is missing")),
                    // Present, and of the example's kind; its keys are data.
                    Some(found) if FREE_FORM.contains(&key.as_str()) => {
                        if value.is_object() && !found.is_object() {
                            out.push(format!("{at}/{key} is {found}, not a map"));
                        }
                    }
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
    let http = reqwest::Client::new();
    let mut problems = Vec::new();
    for &kind in ProviderKind::ALL {
        let examples = examples(kind);
        assert!(
            !examples.is_empty(),
            "no fidelity example for {kind}: add one to examples()"
        );
        for (release, file, route) in examples {
            let mut config = SandboxConfig::default().empty();
            if let Some(release) = release {
                config = config.slurm_release(release);
            }
            let sandbox = Sandbox::start(config).await.unwrap();
            let id = sandbox.add_job(kind, JobSpec::new("python ok.py")).unwrap();
            let url = format!("{}{}", sandbox.base_url(kind), route.replace("{id}", &id));
            let request = authorized(http.get(url), &sandbox, kind);
            let answer: Value = request.send().await.unwrap().json().await.unwrap();
            let at = match release {
                Some(release) => format!("{kind} {}", release.number()),
                None => kind.to_string(),
            };
            missing(&example(file), &answer, &at, &mut problems);
        }
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
        (
            ProviderKind::Slurm,
            "/slurm/v0.0.45/jobs/",
            "PUT",
            "DELETE, GET",
        ),
    ];
    for (kind, path, method, allowed) in cases {
        let url = format!("{}{path}", sandbox.base_url(kind));
        let request = http.request(method.parse().unwrap(), url);
        let answer = authorized(request, &sandbox, kind).send().await.unwrap();
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

/// What a real slurmrestd 22.05.8 answered (scripts/slurm-live.sh, providers.md §7).
#[tokio::test]
async fn slurm_answers_as_slurmrestd_22_05_does() {
    let config = SandboxConfig::default()
        .empty()
        .slurm_release(SlurmRelease::V22_05);
    let sandbox = Sandbox::start(config).await.unwrap();
    let kind = ProviderKind::Slurm;
    let http = reqwest::Client::new();
    let base = format!("{}/slurm/v0.0.38", sandbox.base_url(kind));
    let send = |request: reqwest::RequestBuilder| async {
        let answer = authorized(request, &sandbox, kind).send().await.unwrap();
        (answer.status().as_u16(), answer.text().await.unwrap())
    };
    let errors = |body: &str| -> Value {
        let answer: Value = serde_json::from_str(body).unwrap();
        answer["errors"].clone()
    };

    let anonymous = http.get(format!("{base}/jobs")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.text().await.unwrap(), "Authentication failure");

    let (status, body) = send(http.post(format!("{base}/job/submit"))).await;
    assert_eq!(status, 500, "a submit without a body: {body}");
    assert_eq!(errors(&body)[0]["error_code"], 2009, "{body}");

    let (status, body) = send(http.post(format!("{base}/job/submit")).body("not json")).await;
    assert_eq!((status, body.as_str()), (400, "Unable to parse query."));

    let list_env = serde_json::json!({"script": "#!/bin/bash\ntrue", "job": {"environment": []}});
    let (status, body) = send(http.post(format!("{base}/job/submit")).json(&list_env)).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        errors(&body)[0]["error"],
        "environment must be a dictionary"
    );

    let elsewhere = serde_json::json!({
        "script": "#!/bin/bash\ntrue",
        "job": {"environment": {}, "partition": "gpu-a100"}
    });
    let (status, body) = send(http.post(format!("{base}/job/submit")).json(&elsewhere)).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(
        errors(&body)[0]["error"],
        "Invalid partition name specified"
    );

    let (status, body) = send(http.get(format!("{base}/job/424242"))).await;
    assert_eq!(status, 500, "an unknown job: {body}");
    assert_eq!(errors(&body)[0]["error_number"], 2017, "{body}");

    let failing = serde_json::json!({
        "script": "#!/bin/bash\nexit 3",
        "job": {"environment": {"PATH": "/bin"}}
    });
    let (status, body) = send(http.post(format!("{base}/job/submit")).json(&failing)).await;
    assert_eq!(status, 200, "{body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()["job_id"].clone();
    assert!(id.is_u64(), "job ids are integers: {body}");
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (_, body) = send(http.get(format!("{base}/job/{id}"))).await;
    let job: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(job["jobs"][0]["job_state"], "PENDING", "{body}");
    assert_eq!(job["jobs"][0]["end_time"], 0, "no end time while pending");

    let old = JobSpec::new("python x.py; exit 3").age(std::time::Duration::from_secs(600));
    let id = sandbox.add_job(kind, old).unwrap();
    let (_, body) = send(http.get(format!("{base}/job/{id}"))).await;
    let job: Value = serde_json::from_str(&body).unwrap();
    let job = &job["jobs"][0];
    assert_eq!(job["job_state"], "FAILED", "{body}");
    assert_eq!(job["exit_code"], 768, "the raw wait status of `exit 3`");
    assert!(job["end_time"].as_i64().unwrap() > job["start_time"].as_i64().unwrap());
}

/// What real slurmrestds 24.11.5 and 26.05.5 answered (scripts/slurm-live.sh,
/// recorded in tests/payloads/slurm/live/).
#[tokio::test]
async fn slurm_answers_as_slurmrestd_24_11_and_26_05_do() {
    let kind = ProviderKind::Slurm;
    let http = reqwest::Client::new();
    for (release, newest, unserved) in [
        (SlurmRelease::V24_11, "v0.0.42", "v0.0.43"),
        (SlurmRelease::V26_05, "v0.0.45", "v0.0.41"),
    ] {
        let config = SandboxConfig::default().empty().slurm_release(release);
        let sandbox = Sandbox::start(config).await.unwrap();
        let root = sandbox.base_url(kind);
        let token = sandbox.token(kind).unwrap().to_owned();
        let base = format!("{root}/slurm/{newest}");
        let send = |request: reqwest::RequestBuilder| async {
            let answer = request
                .header("X-SLURM-USER-TOKEN", &token)
                .send()
                .await
                .unwrap();
            (answer.status().as_u16(), answer.text().await.unwrap())
        };
        let errors = |body: &str| -> Value {
            serde_json::from_str::<Value>(body).unwrap()["errors"].clone()
        };

        // The served versions, in the document that lists every path.
        let (status, body) = send(http.get(format!("{root}/openapi/v3"))).await;
        assert_eq!(status, 200, "{body}");
        let document: Value = serde_json::from_str(&body).unwrap();
        let paths = document["paths"].as_object().unwrap();
        assert!(
            paths.contains_key(&format!("/slurm/{newest}/job/{{job_id}}")),
            "{body}"
        );
        assert!(!paths.keys().any(|p| p.contains(unserved)), "{body}");

        // The token alone is enough; with Bearer as well, it is ambiguous; none, refused.
        let (status, _) = send(http.get(format!("{base}/jobs/"))).await;
        assert_eq!(status, 200);
        let both = http
            .get(format!("{base}/jobs/"))
            .bearer_auth(&token)
            .header("X-SLURM-USER-TOKEN", &token);
        assert_eq!(both.send().await.unwrap().status(), 401);
        let bearer = http.get(format!("{base}/jobs/")).bearer_auth(&token);
        assert_eq!(bearer.send().await.unwrap().status(), 200);
        let forged = http
            .get(format!("{base}/jobs/"))
            .header("X-SLURM-USER-TOKEN", "forged");
        let answer = forged.send().await.unwrap();
        assert_eq!(answer.status(), 511);
        assert_eq!(
            errors(&answer.text().await.unwrap())[0]["error_number"],
            1007
        );

        let (status, body) = send(http.get(format!("{base}/job/424242"))).await;
        assert_eq!(status, 404, "an unknown job is a JSON 404: {body}");
        assert_eq!(errors(&body)[0]["error_number"], 2017, "{body}");
        let (status, body) = send(http.get(format!("{root}/slurm/{unserved}/jobs/"))).await;
        assert_eq!(status, 404, "{body}");
        assert!(
            body.starts_with("Unable"),
            "a path not served is plain text: {body}"
        );

        let no_cwd = serde_json::json!({"script": "#!/bin/bash\ntrue", "job": {"environment": ["PATH=/bin"]}});
        let (status, body) = send(http.post(format!("{base}/job/submit")).json(&no_cwd)).await;
        assert_eq!(
            (status, errors(&body)[0]["error_number"].as_i64()),
            (500, Some(2063)),
            "{body}"
        );
        let gpus = serde_json::json!({"script": "#!/bin/bash\ntrue", "job": {"environment": ["PATH=/bin"], "current_working_directory": "/tmp", "tres_per_job": "gres/gpu:1"}});
        let (status, body) = send(http.post(format!("{base}/job/submit")).json(&gpus)).await;
        assert_eq!(status, 500, "{body}");
        assert_eq!(
            errors(&body)[0]["error"],
            "Requested node configuration is not available"
        );

        let failing = serde_json::json!({"script": "#!/bin/bash\nexit 3", "job": {"environment": ["PATH=/bin"], "current_working_directory": "/tmp"}});
        let (status, body) = send(http.post(format!("{base}/job/submit")).json(&failing)).await;
        assert_eq!(status, 200, "{body}");
        let old = JobSpec::new("python x.py; exit 3").age(std::time::Duration::from_secs(600));
        let id = sandbox.add_job(kind, old).unwrap();
        let (_, body) = send(http.get(format!("{base}/job/{id}"))).await;
        let job = &serde_json::from_str::<Value>(&body).unwrap()["jobs"][0];
        assert_eq!(job["job_state"], serde_json::json!(["FAILED"]), "{body}");
        assert_eq!(
            job["exit_code"]["return_code"],
            serde_json::json!({"set": true, "infinite": false, "number": 3})
        );
        assert_eq!(job["exit_code"]["status"], serde_json::json!(["ERROR"]));
    }
}
