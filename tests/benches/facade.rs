//! The facade's cost over hand-written HTTP, each beside its baseline in the
//! same run (`cargo bench --bench facade`; BENCHMARKS.md has the figures):
//!
//! - per-call overhead, per provider: `get` through the facade vs a minimal
//!   `reqwest` + `serde_json` call of the same endpoint, decoding the same
//!   payload into the same generated type (target: median ≤ 1.03×);
//! - fan-out: 10,000 `get`s over all providers at concurrency 64, through one
//!   shared facade client per provider against one shared `reqwest::Client`
//!   by hand (target: ≥ 0.97× the throughput).

mod support;

use std::sync::{Arc, OnceLock};

use divan::counter::ItemsCount;
use futures_util::{StreamExt, TryStreamExt, stream};
use gpujobs::{JobProvider, ProviderKind};
use support::endpoints::{Endpoint, ID, endpoint};
use support::{config, runtime, serve};

fn main() {
    divan::main();
}

const FANOUT: usize = 10_000;
const CONCURRENCY: usize = 64;

/// One provider's `get`: its facade, and the same request and decoding by hand.
struct Case {
    facade: Arc<dyn JobProvider>,
    /// The get URL (what the generated client requests for job `ID`).
    url: String,
    /// Decodes an answer into the generated type, as the generated client does.
    decode: support::endpoints::Decode,
}

/// Every provider's endpoint: one without fails here (and in `tests/one_list.rs`).
fn table() -> Vec<Endpoint> {
    PROVIDERS
        .iter()
        .map(|&kind| endpoint(kind).unwrap_or_else(|| panic!("no benchmark endpoint for {kind}")))
        .collect()
}

/// One server for all providers, each under `/<provider>`, and a case per provider.
fn cases() -> &'static Vec<(ProviderKind, Case)> {
    static CASES: OnceLock<Vec<(ProviderKind, Case)>> = OnceLock::new();
    CASES.get_or_init(|| {
        let answers: Vec<(String, Vec<u8>)> = table()
            .into_iter()
            .map(|e| (format!("/{}{}", e.kind, e.path), e.body))
            .collect();
        let base = serve(Arc::new(move |target: &str| {
            let found = answers.iter().find(|(path, _)| path == target);
            found.map(|(_, body)| body.clone()).unwrap_or_default()
        }));
        table()
            .into_iter()
            .map(
                |Endpoint {
                     kind, path, decode, ..
                 }| {
                    let root = format!("{base}/{kind}");
                    let facade = gpujobs::connect(config(kind, &root)).expect("connects");
                    let url = format!("{root}{path}");
                    (
                        kind,
                        Case {
                            facade,
                            url,
                            decode,
                        },
                    )
                },
            )
            .collect()
    })
}

fn case(kind: ProviderKind) -> &'static Case {
    &cases().iter().find(|(k, _)| *k == kind).expect("a case").1
}

/// The hand-written client: one, shared, as a careful user would keep it.
fn http() -> &'static reqwest::Client {
    static HTTP: OnceLock<reqwest::Client> = OnceLock::new();
    HTTP.get_or_init(reqwest::Client::new)
}

/// What a careful user writes by hand: send, read the body, decode.
async fn by_hand(case: &Case) {
    let answer = http()
        .get(&case.url)
        .bearer_auth("bench-token")
        .send()
        .await
        .expect("answers");
    let body = answer
        .error_for_status()
        .expect("200")
        .bytes()
        .await
        .expect("a body");
    (case.decode)(&body).expect("decodes");
}

/// Every provider (the registry's list): one without an endpoint in `table()` fails the run.
const PROVIDERS: &[ProviderKind] = ProviderKind::ALL;

#[divan::bench(args = PROVIDERS, sample_count = 1000)]
fn get_facade(bencher: divan::Bencher, kind: ProviderKind) {
    let case = case(kind);
    bencher.bench(|| runtime().block_on(case.facade.get(ID)).expect("a job"));
}

#[divan::bench(args = PROVIDERS, sample_count = 1000)]
fn get_by_hand(bencher: divan::Bencher, kind: ProviderKind) {
    let case = case(kind);
    bencher.bench(|| runtime().block_on(by_hand(case)));
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn fanout_facade(bencher: divan::Bencher) {
    let cases = cases();
    bencher.counter(ItemsCount::new(FANOUT)).bench(|| {
        // Each job is dropped as it comes, as the hand-written side drops its answers.
        let gets = stream::iter(0..FANOUT)
            .map(|i| cases[i % cases.len()].1.facade.get(ID))
            .buffer_unordered(CONCURRENCY)
            .try_for_each(|job| {
                divan::black_box(job);
                std::future::ready(Ok(()))
            });
        runtime().block_on(gets).expect("every get")
    });
}

#[divan::bench(sample_count = 10, sample_size = 1)]
fn fanout_by_hand(bencher: divan::Bencher) {
    let cases = cases();
    bencher.counter(ItemsCount::new(FANOUT)).bench(|| {
        let gets = stream::iter(0..FANOUT)
            .map(|i| by_hand(&cases[i % cases.len()].1))
            .buffer_unordered(CONCURRENCY)
            .for_each(|()| std::future::ready(()));
        runtime().block_on(gets)
    });
}
