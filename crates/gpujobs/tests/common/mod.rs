//! Helpers for the adapter tests: a mock provider server, the documented
//! payloads from `tests/payloads/`, and providers wired to a manual clock.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use gpujobs::{BuildProvider, ProviderConfig, ProviderKind, WaitOptions};
use gpujobs_runtime::ManualClock;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockBuilder, MockServer, Request, ResponseTemplate};

/// The API key every test provider sends: it must never be printed.
pub const CANARY_KEY: &str = "sk-canary-5ec7e7";

/// A documented or recorded payload, `tests/payloads/<provider>/<name>.json`.
pub fn payload(provider: &str, name: &str) -> Value {
    let path = format!(
        "{}/../../tests/payloads/{provider}/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// A payload with the value at JSON pointer `at` replaced by `value`.
pub fn payload_with(provider: &str, name: &str, at: &str, value: impl Into<Value>) -> Value {
    let mut body = payload(provider, name);
    *body
        .pointer_mut(at)
        .unwrap_or_else(|| panic!("{provider}/{name} has nothing at {at}")) = value.into();
    body
}

/// A mock provider and a manual clock.
pub struct Env {
    pub server: MockServer,
    pub clock: ManualClock,
}

impl Env {
    pub async fn new() -> Self {
        Self {
            server: MockServer::start().await,
            clock: ManualClock::new(),
        }
    }

    /// The configuration of any provider pointed at the mock, with the canary
    /// key and the manual clock (for `gpujobs::connect`).
    pub fn provider_config(&self, kind: ProviderKind) -> ProviderConfig {
        let mut config = ProviderConfig::new(kind);
        config.base_url = Some(self.server.uri());
        config.credential = Some(CANARY_KEY.into());
        config.clock = Arc::new(self.clock.clone());
        config
    }

    /// A provider pointed at the mock, with the canary key and the manual clock.
    pub fn provider<P: BuildProvider>(&self) -> P {
        P::builder()
            .base_url(self.server.uri())
            .credential(CANARY_KEY)
            .clock(Arc::new(self.clock.clone()))
            .build()
            .unwrap()
    }

    /// Waits on the manual clock: polls 1 s doubling to 4 s, giving up after 60 s.
    pub fn wait_options(&self) -> WaitOptions {
        WaitOptions::default()
            .timeout(Duration::from_secs(60))
            .intervals(Duration::from_secs(1), Duration::from_secs(4))
            .clock(Arc::new(self.clock.clone()))
    }

    /// Answers `METHOD path` with each JSON answer once, in order, then the last forever.
    pub async fn on(&self, verb: &str, at: &str, answers: &[(u16, Value)]) {
        self.sequence(|| Mock::given(method(verb)).and(path(at)), json(answers))
            .await;
    }

    /// Answers `GET at` with the job `job(status)` for each status in turn, then the last forever.
    pub async fn statuses(&self, at: &str, statuses: &[&str], job: impl Fn(&str) -> Value) {
        let answers: Vec<(u16, Value)> = statuses.iter().map(|s| (200, job(s))).collect();
        self.on("GET", at, &answers).await;
    }

    /// Answers requests matched by `mock()` with each template once, in order, then the last forever.
    pub async fn sequence(&self, mock: impl Fn() -> MockBuilder, answers: Vec<ResponseTemplate>) {
        let count = answers.len();
        for (i, template) in answers.into_iter().enumerate() {
            let m = mock()
                .respond_with(template)
                .with_priority(u8::try_from(i + 1).unwrap());
            let m = match i + 1 == count {
                true => m,
                false => m.up_to_n_times(1),
            };
            m.mount(&self.server).await;
        }
    }

    /// Answers `METHOD path` with a raw body.
    pub async fn on_raw(&self, verb: &str, at: &str, status: u16, content_type: &str, body: &str) {
        let template =
            ResponseTemplate::new(status).set_body_raw(body.as_bytes().to_vec(), content_type);
        Mock::given(method(verb))
            .and(path(at))
            .respond_with(template)
            .mount(&self.server)
            .await;
    }

    /// The requests received for `METHOD path`.
    pub async fn received(&self, verb: &str, at: &str) -> Vec<Request> {
        let all = self.server.received_requests().await.unwrap();
        all.into_iter()
            .filter(|r| r.method.as_str() == verb && r.url.path() == at)
            .collect()
    }
}

/// JSON answers as response templates.
pub fn json(answers: &[(u16, Value)]) -> Vec<ResponseTemplate> {
    answers
        .iter()
        .map(|(status, body)| ResponseTemplate::new(*status).set_body_json(body.clone()))
        .collect()
}
