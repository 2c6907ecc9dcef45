//! How fast `wait` notices a job's end, and what it costs the provider:
//! requests made and detection delay for jobs ending after T, through the real
//! Ray client against a local server on a manual clock (so minutes of waiting
//! take no time and every figure is exact), beside fixed 1 s polling in the
//! same run (`cargo bench --bench waiting`). Target: the end is noticed within
//! one maximum poll interval, with far fewer requests than fixed polling.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use gpujobs::{JobProviderExt, ProviderConfig, ProviderKind, WaitOptions};
use gpujobs_runtime::{Clock, ManualClock};
use serde_json::Value;
use support::{config, payload, runtime, serve};

/// Waits for a job that ends `ends_after` from now: (requests, detection delay).
fn wait_for(ends_after: Duration, initial: Duration, max: Duration) -> (usize, Duration) {
    let clock = ManualClock::new();
    let start = clock.now();
    let requests = Arc::new(AtomicUsize::new(0));
    let job: Value = serde_json::from_slice(&payload("ray", "get_job_succeeded")).expect("json");
    let (seen, ticking) = (requests.clone(), clock.clone());
    let base = serve(Arc::new(move |_target: &str| {
        seen.fetch_add(1, Ordering::Relaxed);
        let ended = ticking.now().duration_since(start) >= ends_after;
        let mut answer = job.clone();
        answer["status"] = if ended { "SUCCEEDED" } else { "RUNNING" }.into();
        serde_json::to_vec(&answer).expect("json")
    }));
    let mut ray: ProviderConfig = config(ProviderKind::Ray, &base);
    ray.clock = Arc::new(clock.clone());
    let ray = gpujobs::connect(ray).expect("connects");
    let options = WaitOptions::default()
        .timeout(Duration::from_secs(24 * 3600))
        .intervals(initial, max)
        .clock(Arc::new(clock.clone()));
    runtime()
        .block_on(ray.wait("raysubmit_bench", &options))
        .expect("the job ends");
    let noticed = clock.now().duration_since(start);
    (
        requests.load(Ordering::Relaxed),
        noticed.saturating_sub(ends_after),
    )
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let s = Duration::from_secs;
    let policies = [
        ("library default, 1 s doubling to 30 s", s(1), s(30)),
        ("CLI `wait`, 1 s doubling to 5 s", s(1), s(5)),
        ("baseline: fixed 1 s polling", s(1), s(1)),
    ];
    println!(
        "waiting: requests and detection delay for a job that ends after T (jitter at its maximum)"
    );
    println!(
        "{:<40} {:>7} {:>9} {:>12} {:>8}",
        "policy", "T", "requests", "noticed after", "target"
    );
    for (name, initial, max) in policies {
        for ends_after in [s(5), s(30), s(120), s(600), s(3600)] {
            let (requests, delay) = wait_for(ends_after, initial, max);
            let verdict = if delay <= max { "met" } else { "MISSED" };
            println!(
                "{name:<40} {:>6}s {requests:>9} {:>11.1}s {verdict:>8}",
                ends_after.as_secs(),
                delay.as_secs_f64()
            );
        }
    }
}
