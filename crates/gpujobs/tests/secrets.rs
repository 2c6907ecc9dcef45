//! A canary API key and a canary secret field never appear in any Debug,
//! Display, error or JSON output, nor in the captured logs — while the key is
//! really sent and the logs really say what happened.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{CANARY_KEY, Env, payload};
use gpujobs::matpool::MatpoolProvider;
use gpujobs::prelude::*;
use gpujobs::{ProviderConfig, ProviderKind};
use serde_json::json;

/// The SSH root password in Matpool's documented example.
const CANARY_PASSWORD: &str = "D]3F[wZ%pWS%oM0g";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Everything a program could show about an error.
fn shown(error: &Error) -> String {
    let mut out = format!("{error} {error:?}");
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        out.push_str(&format!(" {s} {s:?}"));
        source = s.source();
    }
    out
}

/// Where `kind` asks for job `j`: every provider in the registry needs one.
fn get_path(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Ppio => "/gpus/v2/jobs/j",
        ProviderKind::Yuanrong | ProviderKind::Ray => "/api/jobs/j",
        ProviderKind::Matpool => "/v1/job",
        ProviderKind::Tensorpool => "/job/info/j",
        ProviderKind::Slurm => "/slurm/v0.0.42/job/j",
        other => panic!("no canary route for {other}: add one to get_path()"),
    }
}

/// `kind` against the mock server, with the canary key (Slurm pinned to the
/// version `get_path` asks for).
fn config(kind: ProviderKind, env: &Env) -> ProviderConfig {
    let mut config = env.provider_config(kind);
    if kind == ProviderKind::Slurm {
        config.setting("api_version", "v0.0.42");
    }
    config
}

#[tokio::test]
async fn canaries_never_show() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = Env::new().await;
    // Every provider refuses the key and echoes it back, as some servers do.
    let echo = json!({"message": format!("invalid Authorization: Bearer {CANARY_KEY}")});
    let mut output = String::new();
    for &kind in ProviderKind::ALL {
        env.on("GET", get_path(kind), &[(401, echo.clone())]).await;
        let provider = gpujobs::connect(config(kind, &env)).unwrap();
        output.push_str(&format!("{provider:?}"));
        let error = provider.get("j").await.unwrap_err();
        assert!(
            matches!(error, Error::Unauthenticated { .. }),
            "{kind}: {error}"
        );
        output.push_str(&shown(&error));
    }
    // A secret field in a provider's record: Matpool's SSH password.
    let records = Env::new().await;
    records
        .on("GET", "/v1/job", &[(200, payload("matpool", "get_job"))])
        .await;
    let matpool = records.provider::<MatpoolProvider>();
    let job = matpool.get("421236").await.unwrap();
    output.push_str(&format!(
        "{matpool:?} {job:?} {job:#?} {}",
        serde_json::to_string(&job).unwrap()
    ));
    output.push_str(&format!(
        "{:?}",
        SubmitRequest::new("x").env("TOKEN", CANARY_KEY)
    ));

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    for canary in [CANARY_KEY, CANARY_PASSWORD] {
        assert!(!output.contains(canary), "{canary} shown in:\n{output}");
        assert!(!logs.contains(canary), "{canary} logged in:\n{logs}");
    }
    // The key was really sent, and the logs really describe the requests.
    // openYuanrong first (its JWT in X-Auth, raw), then Ray (Bearer), on the same path.
    let sent = &env.received("GET", "/api/jobs/j").await;
    assert_eq!(sent[0].headers["x-auth"], CANARY_KEY);
    assert_eq!(
        sent[1].headers["authorization"],
        format!("Bearer {CANARY_KEY}").as_str()
    );
    assert!(
        logs.contains("gpujobs.request") && logs.contains("operation=\"get_job\""),
        "{logs}"
    );
    assert!(
        logs.contains("path=\"/api/jobs/{submission_id}\"") && logs.contains("status=401"),
        "{logs}"
    );
    // …and the password is still there for code that asks for it.
    let gpujobs::ProviderJob::Matpool(raw) = &job.raw else {
        panic!()
    };
    let password = raw.app.as_ref().unwrap().ssh_auths[0]
        .base_on
        .as_ref()
        .unwrap()
        .cred
        .as_ref()
        .unwrap()
        .password
        .as_ref()
        .unwrap();
    assert_eq!(password.expose(), CANARY_PASSWORD);
    assert!(
        gpujobs::reveal(|| serde_json::to_string(&job))
            .unwrap()
            .contains("D]3F[wZ%pWS%oM0g")
    );
}
