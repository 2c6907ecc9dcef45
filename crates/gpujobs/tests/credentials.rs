//! Credentials from a source ([`CredentialProvider`]) against a mock PPIO:
//! fetched when first needed and shared by concurrent requests, fetched
//! again once ¾ of a JWT's lifetime has passed (on the client's clock), and
//! once after a refusal, the refused call sent again with the new one.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use common::{Env, payload};
use gpujobs::prelude::*;
use gpujobs::{Credential, CredentialError, CredentialProvider};
use gpujobs_runtime::Clock as _;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

const JOB: &str = "/gpus/v2/jobs/job-id";

/// Tokens `t1`, `t2`, … as JWTs that expire `lifetime` after the clock's now.
#[derive(Debug)]
struct Minted {
    clock: gpujobs_runtime::ManualClock,
    lifetime: Duration,
    fetches: AtomicUsize,
}

impl Minted {
    fn token(n: usize, exp: SystemTime) -> String {
        let exp = exp.duration_since(UNIX_EPOCH).unwrap().as_secs();
        let claims = format!(r#"{{"exp":{exp},"n":{n}}}"#);
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims);
        format!("eyJhbGciOiJIUzI1NiJ9.{claims}.t{n}")
    }
}

#[async_trait::async_trait]
impl CredentialProvider for Minted {
    async fn fetch(&self) -> Result<Credential, CredentialError> {
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        // Slow enough that concurrent requests find one fetch under way.
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok(Credential::new(Self::token(
            n,
            self.clock.wall() + self.lifetime,
        )))
    }
}

fn client(env: &Env, source: Arc<Minted>) -> Arc<dyn JobProvider> {
    let mut config = env.provider_config(ProviderKind::Ppio);
    config.credential = None;
    config.credential_source = Some(source);
    gpujobs::connect(config).unwrap()
}

fn minted(env: &Env, lifetime: u64) -> Arc<Minted> {
    Arc::new(Minted {
        clock: env.clock.clone(),
        lifetime: Duration::from_secs(lifetime),
        fetches: AtomicUsize::new(0),
    })
}

/// The header of token `n`, fetched at `fetched_at` to live `lifetime` seconds.
fn bearer(n: usize, lifetime: u64, fetched_at: SystemTime) -> String {
    format!(
        "Bearer {}",
        Minted::token(n, fetched_at + Duration::from_secs(lifetime))
    )
}

#[tokio::test]
async fn one_fetch_for_many_requests_and_another_after_three_quarters_of_its_life() {
    let env = Env::new().await;
    env.on("GET", JOB, &[(200, payload("ppio", "get_job"))])
        .await;
    let source = minted(&env, 600);
    let ppio = client(&env, source.clone());
    let start = env.clock.wall();
    let gets = (0..20).map(|_| ppio.get("job-id"));
    for got in futures_util::future::join_all(gets).await {
        got.unwrap();
    }
    assert_eq!(
        source.fetches.load(Ordering::SeqCst),
        1,
        "20 requests at once, one fetch"
    );
    env.clock.advance(Duration::from_secs(449));
    ppio.get("job-id").await.unwrap();
    assert_eq!(
        source.fetches.load(Ordering::SeqCst),
        1,
        "fresh until 450 s of its 600"
    );
    env.clock.advance(Duration::from_secs(2));
    ppio.get("job-id").await.unwrap();
    assert_eq!(source.fetches.load(Ordering::SeqCst), 2);
    let sent = env.received("GET", JOB).await;
    assert_eq!(
        sent[0].headers["authorization"],
        bearer(1, 600, start).as_str()
    );
    let second = start + Duration::from_secs(451);
    assert_eq!(
        sent.last().unwrap().headers["authorization"],
        bearer(2, 600, second).as_str()
    );
}

#[tokio::test]
async fn a_refused_credential_is_fetched_again_once_and_the_call_sent_again() {
    let env = Env::new().await;
    let source = minted(&env, 600);
    let first = bearer(1, 600, env.clock.wall());
    // The first token is accepted once, then refused (revoked, say); any other accepted.
    let answer =
        |status: u16| ResponseTemplate::new(status).set_body_json(payload("ppio", "get_job"));
    Mock::given(method("GET"))
        .and(path(JOB))
        .and(header("authorization", first.as_str()))
        .respond_with(answer(200))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&env.server)
        .await;
    Mock::given(method("GET"))
        .and(path(JOB))
        .and(header("authorization", first.as_str()))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"message": "token revoked"})),
        )
        .with_priority(2)
        .mount(&env.server)
        .await;
    Mock::given(method("GET"))
        .and(path(JOB))
        .respond_with(answer(200))
        .with_priority(3)
        .mount(&env.server)
        .await;
    let ppio = client(&env, source.clone());
    ppio.get("job-id").await.unwrap();
    env.clock.advance(Duration::from_secs(10));
    ppio.get("job-id").await.unwrap();
    assert_eq!(
        source.fetches.load(Ordering::SeqCst),
        2,
        "refused: fetched again, once"
    );
    let sent = env.received("GET", JOB).await;
    assert_eq!(sent.len(), 3, "the refused call sent again");
    assert_ne!(sent[2].headers["authorization"], first.as_str());

    // A source whose every token is refused: one more fetch a call, never a loop.
    let refusing = Env::new().await;
    refusing
        .on("GET", JOB, &[(401, serde_json::json!({"message": "no"}))])
        .await;
    let source = minted(&refusing, 600);
    let ppio = client(&refusing, source.clone());
    refusing.clock.advance(Duration::from_secs(5));
    let error = ppio.get("job-id").await.unwrap_err();
    assert!(matches!(error, Error::Unauthenticated { .. }), "{error:?}");
    // The first was fetched just now: a second right away would be refused as well.
    assert_eq!(source.fetches.load(Ordering::SeqCst), 1);
    refusing.clock.advance(Duration::from_secs(2));
    let _ = ppio.get("job-id").await.unwrap_err();
    assert_eq!(
        source.fetches.load(Ordering::SeqCst),
        2,
        "refused after 2 s: fetched again, once"
    );
    assert_eq!(
        refusing.received("GET", JOB).await.len(),
        3,
        "one call each, one sent again"
    );
}

#[derive(Debug)]
struct Failing;

#[async_trait::async_trait]
impl CredentialProvider for Failing {
    async fn fetch(&self) -> Result<Credential, CredentialError> {
        Err("token command `vault` exited with status 2".into())
    }
}

#[tokio::test]
async fn a_source_that_fails_is_an_authentication_error_and_nothing_is_sent() {
    let env = Env::new().await;
    let mut config = env.provider_config(ProviderKind::Ppio);
    config.credential_source = Some(Arc::new(Failing));
    let error = gpujobs::connect(config)
        .unwrap()
        .get("job-id")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unauthenticated { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("cannot get a credential: token command `vault` exited with status 2"),
        "{error}"
    );
    assert!(env.received("GET", JOB).await.is_empty());
}
