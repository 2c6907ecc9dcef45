//! Slurm on every release gpujobs supports: the API version chosen by asking
//! the server once, the same `Job` and the same `wait` whatever the version,
//! authentication as each release takes it, and the answers real slurmrestds
//! 22.05.8, 24.11.5 and 26.05.5 gave (`tests/payloads/slurm/live/`) read into
//! the one model.

use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use gpujobs::prelude::*;
use gpujobs::slurm::SlurmProvider;
use gpujobs::slurm::version::ApiVersion;
use gpujobs::{ErrorKind, ProviderConfig};
use gpujobs_sandbox::{Sandbox, SandboxConfig, SlurmRelease, Timing};
use serde_json::Value;

const KIND: ProviderKind = ProviderKind::Slurm;

async fn sandbox(release: SlurmRelease) -> Sandbox {
    let config = SandboxConfig::default()
        .empty()
        .timing(Timing::fast())
        .slurm_release(release);
    Sandbox::start(config).await.unwrap()
}

fn slurm(sandbox: &Sandbox) -> SlurmProvider {
    SlurmProvider::from_config(sandbox.provider_config(KIND)).unwrap()
}

/// How many times the server was asked which versions it serves.
fn negotiations(sandbox: &Sandbox) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.path == "/openapi/v3")
        .count()
}

fn options() -> WaitOptions {
    WaitOptions::default()
        .timeout(Duration::from_secs(20))
        .intervals(Duration::from_millis(20), Duration::from_millis(100))
}

#[tokio::test]
async fn each_release_gets_the_newest_version_both_speak() {
    for (release, expected) in [
        (SlurmRelease::V22_05, "v0.0.38"),
        (SlurmRelease::V24_11, "v0.0.42"),
        (SlurmRelease::V26_05, "v0.0.45"),
    ] {
        let sandbox = sandbox(release).await;
        let version = slurm(&sandbox).api_version().await.unwrap();
        assert_eq!(version.as_str(), expected, "Slurm {}", release.number());
    }
}

#[tokio::test]
async fn the_negotiation_costs_one_request_per_client() {
    let sandbox = sandbox(SlurmRelease::V26_05).await;
    let slurm = slurm(&sandbox);
    // Several first calls at once still ask once.
    let (a, b) = tokio::join!(
        slurm.list(ListOptions::default()).try_collect::<Vec<Job>>(),
        slurm.api_version()
    );
    a.unwrap();
    b.unwrap();
    let job = slurm
        .submit(&SubmitRequest::new("true").working_dir("/tmp"))
        .await
        .unwrap();
    slurm.get(&job.id).await.unwrap();
    slurm.wait(&job.id, &options()).await.unwrap();
    slurm.cancel(&job.id).await.unwrap();
    assert_eq!(negotiations(&sandbox), 1);
    // Clones share the answer; a new client asks again, once.
    slurm.clone().get(&job.id).await.unwrap();
    assert_eq!(negotiations(&sandbox), 1);
    let other = self::slurm(&sandbox);
    other.get(&job.id).await.unwrap();
    other.get(&job.id).await.unwrap();
    assert_eq!(negotiations(&sandbox), 2);
}

#[tokio::test]
async fn a_pinned_version_is_spoken_without_asking() {
    let sandbox = sandbox(SlurmRelease::V24_11).await;
    let mut config = sandbox.provider_config(KIND);
    config.setting("api_version", "v0.0.40");
    let slurm = SlurmProvider::from_config(config).unwrap();
    let job = slurm
        .submit(&SubmitRequest::new("true").working_dir("/tmp"))
        .await
        .unwrap();
    slurm.get(&job.id).await.unwrap();
    assert_eq!(negotiations(&sandbox), 0);
    assert!(
        sandbox
            .requests()
            .iter()
            .any(|r| r.path.starts_with("/slurm/v0.0.40/job/"))
    );

    // A version this server does not serve: one clear error, not "not found".
    let mut config = sandbox.provider_config(KIND);
    config.setting("api_version", "v0.0.45");
    let error = SlurmProvider::from_config(config)
        .unwrap()
        .get(&job.id)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    assert!(
        error.to_string().contains("does not serve the API version"),
        "{error}"
    );
    // One gpujobs does not speak is refused when the client is built, before anything is sent.
    let mut config = sandbox.provider_config(KIND);
    config.setting("api_version", "v0.0.39");
    let sent = sandbox.requests().len();
    let error = SlurmProvider::from_config(config).unwrap_err();
    assert!(
        error.to_string().contains("gpujobs speaks v0.0.45"),
        "{error}"
    );
    assert_eq!(error.fields(), [gpujobs::Field::Setting("api_version")]);
    assert_eq!(sandbox.requests().len(), sent, "nothing was sent");
}

#[tokio::test]
async fn a_version_pinned_on_another_provider_is_refused() {
    let mut config = ProviderConfig::new(ProviderKind::Ray);
    config.base_url = Some("http://127.0.0.1:1".into());
    config.setting("api_version", "v0.0.42");
    let error = gpujobs::connect(config).unwrap_err();
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
}

#[tokio::test]
async fn wait_behaves_the_same_on_every_version() {
    for release in SlurmRelease::ALL {
        let sandbox = sandbox(release).await;
        let slurm = slurm(&sandbox);
        let at = |command: &str| SubmitRequest::new(command).working_dir("/tmp");
        let ok = slurm.submit(&at("python ok.py")).await.unwrap();
        let failed = slurm.submit(&at("python bad.py; exit 3")).await.unwrap();
        let canceled = slurm.submit(&at("sleep infinity")).await.unwrap();
        slurm.cancel(&canceled.id).await.unwrap();
        let mut ends = Vec::new();
        for job in [ok, failed, canceled] {
            let done = slurm.wait(&job.id, &options()).await.unwrap();
            ends.push((done.status, done.exit_code));
        }
        assert_eq!(
            ends,
            [
                (JobStatus::Succeeded, Some(0)),
                (JobStatus::Failed, Some(3)),
                (JobStatus::Canceled, None)
            ],
            "Slurm {}",
            release.number()
        );
    }
}

#[tokio::test]
async fn a_refused_gpu_request_names_slurms_words_and_what_was_asked() {
    let sandbox = sandbox(SlurmRelease::V26_05).await;
    let slurm = slurm(&sandbox);
    let request = SubmitRequest::new("nvidia-smi")
        .working_dir("/tmp")
        .gpus(2.0);
    let error = slurm.submit(&request).await.unwrap_err();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("Requested node configuration is not available"),
        "{text}"
    );
    assert!(text.contains("2 GPUs"), "{text}");
    assert!(sandbox.jobs(KIND).is_empty(), "no job was made");
}

#[tokio::test]
async fn a_submit_repeated_under_its_id_is_one_job_on_every_version() {
    for release in SlurmRelease::ALL {
        let sandbox = sandbox(release).await;
        let slurm = slurm(&sandbox);
        let request = SubmitRequest::new("python train.py")
            .working_dir("/tmp")
            .id("sweep-1");
        let first = slurm.submit(&request).await.unwrap();
        let again = slurm.submit(&request).await.unwrap();
        assert_eq!(again.id, first.id, "Slurm {}", release.number());
        let other = SubmitRequest::new("python eval.py")
            .working_dir("/tmp")
            .id("sweep-1");
        let conflict = slurm.submit(&other).await.unwrap_err();
        assert!(matches!(conflict, Error::Conflict { .. }), "{conflict:?}");
        assert_eq!(sandbox.jobs(KIND).len(), 1, "Slurm {}", release.number());
    }
}

#[tokio::test]
async fn authentication_as_each_release_takes_it() {
    // 24.11 on: the token alone (it carries the user), no user name needed.
    let sandbox = sandbox(SlurmRelease::V26_05).await;
    let mut config = sandbox.provider_config(KIND);
    config.settings.remove("user");
    let slurm = SlurmProvider::from_config(config.clone()).unwrap();
    slurm
        .list(ListOptions::default())
        .try_collect::<Vec<Job>>()
        .await
        .unwrap();
    // A wrong token: slurmctld refuses it (511), said as an authentication failure.
    config.credential = Some("forged-canary".into());
    let refused = SlurmProvider::from_config(config)
        .unwrap()
        .get("1")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::Unauthenticated { .. }),
        "{refused:?}"
    );
    assert!(
        refused.to_string().contains("SLURM_JWT") && !refused.to_string().contains("forged-canary"),
        "{refused}"
    );

    // 22.05 needs a user name too: a token that carries none, and none given, says which to set.
    let sandbox = sandbox_22().await;
    let mut config = sandbox.provider_config(KIND);
    config.settings.remove("user");
    let refused = SlurmProvider::from_config(config)
        .unwrap()
        .get("1")
        .await
        .unwrap_err();
    assert!(
        matches!(refused, Error::Unauthenticated { .. }),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("SLURM_USER_NAME"), "{refused}");

    // A user name other than the token's user: the hint says so.
    let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdW4iOiJyb290In0.sig"; // made for `root`
    let sandbox = sandbox_22().await;
    let mut config = sandbox.provider_config(KIND);
    config.credential = Some(token.into());
    config.setting("user", "alice");
    let refused = SlurmProvider::from_config(config)
        .unwrap()
        .get("1")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("the token is root's"),
        "{refused}"
    );
}

async fn sandbox_22() -> Sandbox {
    sandbox(SlurmRelease::V22_05).await
}

/// A recorded answer of a real slurmrestd.
fn recorded(release: &str, version: &str, name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/payloads/slurm/live/{release}/{version}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every release and version recorded, with the answers each has.
fn recordings() -> Vec<(String, String, Vec<String>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/payloads/slurm/live");
    let mut found = Vec::new();
    for release in std::fs::read_dir(&root).unwrap().flatten() {
        // Each API version's folder (`v0.0.42`); `accounting/` holds slurmdbd's answers.
        let versions = std::fs::read_dir(release.path()).unwrap().flatten();
        for version in versions.filter(|v| v.file_name().to_string_lossy().starts_with('v')) {
            let names = std::fs::read_dir(version.path())
                .unwrap()
                .flatten()
                .filter_map(|f| {
                    f.file_name()
                        .to_str()?
                        .strip_suffix(".json")
                        .map(str::to_owned)
                })
                .collect();
            let name = |e: &std::fs::DirEntry| e.file_name().to_string_lossy().into_owned();
            found.push((name(&release), name(&version), names));
        }
    }
    found.sort();
    found
}

#[test]
fn every_recorded_answer_of_every_release_reads_into_the_one_job() {
    let descriptor = KIND.descriptor();
    let recordings = recordings();
    let releases: Vec<&str> = recordings.iter().map(|(r, _, _)| r.as_str()).collect();
    for release in ["22.05", "24.11", "26.05"] {
        assert!(
            releases.contains(&release),
            "no recordings of Slurm {release}"
        );
    }
    for (release, version, names) in &recordings {
        let at = format!("Slurm {release} {version}");
        for name in names {
            let bytes = recorded(release, version, name);
            if name == "jobs_state" {
                // jobs/state?job_id=…&job_id=…: ids and states only, an unknown id left out.
                let answer: gpujobs_slurm::v0_0_42::types::V0042OpenapiJobStateResp =
                    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{at} {name}: {e}"));
                let states: Vec<(&str, &[String])> = answer
                    .jobs
                    .iter()
                    .map(|j| (j.job_id.as_deref().unwrap_or_default(), &j.state[..]))
                    .collect();
                assert_eq!(states.len(), 2, "{at}: {states:?}");
                assert!(
                    states
                        .iter()
                        .all(|(id, s)| !id.is_empty() && s == &["FAILED"]),
                    "{at}: {states:?}"
                );
                continue;
            }
            if name == "list_jobs" {
                let jobs = descriptor
                    .decode_page(&bytes)
                    .unwrap_or_else(|e| panic!("{at} {name}: {e}"));
                assert!(
                    !jobs.is_empty() && jobs.iter().all(|j| !j.id.is_empty()),
                    "{at}"
                );
                continue;
            }
            let read = descriptor.decode_job(&bytes);
            let job = match (name.as_str(), read) {
                ("get_job_notfound", Err(e)) => {
                    assert_eq!(e.kind(), ErrorKind::NotFound, "{at}: {e}");
                    continue;
                }
                (_, Ok(job)) => job,
                (_, Err(e)) => panic!("{at} {name}: {e}"),
            };
            let want = match name.as_str() {
                "get_job_completed" => (JobStatus::Succeeded, Some(0)),
                "get_job_failed" => (JobStatus::Failed, Some(3)),
                "get_job_signaled" => (JobStatus::Failed, None),
                "get_job_cancelled" => (JobStatus::Canceled, None),
                "get_job_running" => (JobStatus::Running, None),
                other => panic!("{at}: no expectation for {other}"),
            };
            assert_eq!((job.status.clone(), job.exit_code), want, "{at} {name}");
            assert!(job.created_at.is_some(), "{at} {name}");
            assert_eq!(
                job.finished_at.is_some(),
                job.status.is_terminal(),
                "{at} {name}: a running job's predicted end is not an end"
            );
            if name == "get_job_signaled" {
                let reason = job.failure_reason.unwrap_or_default();
                assert!(reason.contains("killed by signal 9"), "{at}: {reason}");
            }
        }
    }
}

/// The `job_state` values a version's spec lists.
fn states_in(version: &str) -> Vec<String> {
    let path = format!(
        "{}/specs/slurm/{version}/openapi.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    fn find(node: &Value, spec: &Value, out: &mut Vec<String>) {
        match node {
            Value::Object(map) => {
                if let Some(state) = map.get("job_state") {
                    // Inline, or a reference to a schema of its own.
                    let state = match state.get("$ref").and_then(Value::as_str) {
                        Some(to) => spec.pointer(to.trim_start_matches('#')).unwrap_or(state),
                        None => state,
                    };
                    if let Some(Value::Array(values)) = state.pointer("/items/enum") {
                        out.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
                    }
                }
                map.values().for_each(|v| find(v, spec, out));
            }
            Value::Array(items) => items.iter().for_each(|v| find(v, spec, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    find(&spec, &spec, &mut out);
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_state_of_every_version_is_mapped() {
    let recorded: Value =
        serde_json::from_slice(&recorded("26.05", "v0.0.45", "get_job_running")).unwrap();
    // Flags that never stand for the state Slurm shows: the base state beside them does.
    let hidden = [
        "LAUNCH_FAILED",
        "RECONFIG_FAIL",
        "POWER_UP_NODE",
        "EXPEDITING",
        "UPDATE_DB",
    ];
    for version in [
        "v0.0.40", "v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44", "v0.0.45",
    ] {
        let states = states_in(version);
        assert!(states.len() >= 27, "{version}: {states:?}");
        for state in states {
            let mut answer = recorded.clone();
            answer["jobs"][0]["job_state"] = serde_json::json!(["PENDING", state]);
            let job = KIND
                .descriptor()
                .decode_job(&serde_json::to_vec(&answer).unwrap())
                .unwrap();
            let want_unknown = state == "SPECIAL_EXIT";
            match (hidden.contains(&state.as_str()), want_unknown) {
                (true, _) => assert_eq!(
                    job.status,
                    JobStatus::Queued,
                    "{version} {state} beside PENDING"
                ),
                (_, true) => assert!(
                    matches!(job.status, JobStatus::Unknown(_)),
                    "{version} {state}: held after a failure is no end"
                ),
                _ => assert!(
                    !matches!(job.status, JobStatus::Unknown(_)),
                    "{version} {state} is unmapped"
                ),
            }
            // Alone, a base state maps the same.
            answer["jobs"][0]["job_state"] = serde_json::json!([state]);
            let alone = KIND
                .descriptor()
                .decode_job(&serde_json::to_vec(&answer).unwrap())
                .unwrap();
            assert!(
                !matches!(alone.status, JobStatus::Unknown(_))
                    || hidden.contains(&state.as_str())
                    || want_unknown,
                "{version} {state}"
            );
        }
    }
    assert_eq!(
        ApiVersion::parse("v0.0.45").map(ApiVersion::as_str),
        Some("v0.0.45")
    );
}

#[tokio::test]
async fn a_server_that_serves_no_version_gpujobs_speaks_says_what_it_serves() {
    let server = wiremock::MockServer::start().await;
    let document = serde_json::json!({
        "info": { "version": "Slurm-23.02.7" },
        "paths": { "/slurm/v0.0.37/job/{job_id}": {}, "/slurm/v0.0.39/job/{job_id}": {} }
    });
    wiremock::Mock::given(wiremock::matchers::path("/openapi/v3"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(document))
        .mount(&server)
        .await;
    let slurm = SlurmProvider::builder()
        .base_url(server.uri())
        .credential("t")
        .clock(Arc::new(gpujobs_runtime::ManualClock::new()))
        .build()
        .unwrap();
    let error = slurm.get("1").await.unwrap_err();
    assert!(matches!(error, Error::Config { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("Slurm-23.02.7")
            && text.contains("serves v0.0.39, v0.0.37")
            && text.contains("gpujobs speaks v0.0.45"),
        "{text}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "nothing else was asked"
    );
}

#[tokio::test]
async fn the_sandbox_answers_job_states_as_a_real_slurmrestd_does() {
    let sandbox = sandbox(SlurmRelease::V24_11).await;
    let id = sandbox
        .add_job(KIND, gpujobs_sandbox::JobSpec::new("python x.py"))
        .unwrap();
    let url = format!("{}/slurm/v0.0.42/jobs/state/", sandbox.base_url(KIND));
    let token = sandbox.provider_config(KIND).credential.unwrap();
    let client = reqwest::Client::new();
    let ask = |query: String| {
        let request = client
            .get(format!("{url}?{query}"))
            .header("X-SLURM-USER-TOKEN", token.expose());
        async move { request.send().await.unwrap() }
    };
    let answer: Value = ask(format!("job_id={id}&job_id=999999"))
        .await
        .json()
        .await
        .unwrap();
    let recorded: Value =
        serde_json::from_slice(&recorded("24.11", "v0.0.42", "jobs_state")).unwrap();
    let keys = |v: &Value| {
        v["jobs"][0]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&answer), keys(&recorded), "{answer}");
    assert_eq!(
        answer["jobs"].as_array().unwrap().len(),
        1,
        "an unknown id is left out: {answer}"
    );
    assert_eq!(
        answer["jobs"][0]["job_id"],
        Value::from(id.as_str()),
        "the id a string"
    );
    // A comma-separated list is refused, as slurmrestd 24.11.5 refuses it.
    assert_eq!(ask(format!("job_id={id},{id}")).await.status(), 400);
}
