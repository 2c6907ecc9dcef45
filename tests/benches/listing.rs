//! Listing many jobs: 1,000 and 100,000 jobs streamed through each paging
//! provider (PPIO's cursors, Matpool's page numbers) from a local server, with
//! the jobs per second and the peak heap the listing added, measured by a
//! counting allocator (`cargo bench --bench listing`). Target: the peak for
//! 100,000 jobs within 10 MB of the peak for 1,000 — `list` streams, it does
//! not gather.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use futures_util::TryStreamExt;
use gpujobs::{ListOptions, ProviderKind};
use serde_json::Value;
use support::{config, payload, runtime, serve};

/// The system allocator, counting the bytes live and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on to the system allocator.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const PAGE: usize = 100;

/// A query parameter of a request target.
fn param<'a>(target: &'a str, name: &str) -> Option<&'a str> {
    let query = target.split_once('?')?.1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

/// A numeric query parameter, or `default`.
fn number(target: &str, name: &str, default: usize) -> usize {
    param(target, name)
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

/// A recorded job rendered once, its `id` left as a marker to fill in: the
/// server then builds each page by joining text, so that what is measured is
/// the client, not the server serializing JSON values.
struct Rendered {
    before: String,
    after: String,
}

impl Rendered {
    const MARKER: &str = "\"__GPUJOBS_BENCH_ID__\"";

    fn new(mut job: Value) -> Self {
        job["id"] = "__GPUJOBS_BENCH_ID__".into();
        let text = job.to_string();
        let (before, after) = text.split_once(Self::MARKER).expect("the marker");
        Self {
            before: before.to_owned(),
            after: after.to_owned(),
        }
    }

    /// Jobs `from..to` as a JSON array, each with `id(i)` (a JSON literal) as its id.
    fn jobs(&self, from: usize, to: usize, id: impl Fn(usize) -> String) -> String {
        let mut out = String::from("[");
        for i in from..to {
            if i > from {
                out.push(',');
            }
            out.push_str(&self.before);
            out.push_str(&id(i));
            out.push_str(&self.after);
        }
        out.push(']');
        out
    }
}

/// PPIO's pages of `total` jobs: `{data, next_cursor, has_more}`, the cursor an offset.
fn ppio_pages(total: usize) -> support::Route {
    let recorded: Value = serde_json::from_slice(&payload("ppio", "list_jobs")).expect("json");
    let job = Rendered::new(recorded["data"][0].clone());
    Arc::new(move |target: &str| {
        let (from, size) = (number(target, "cursor", 0), number(target, "limit", PAGE));
        let to = (from + size).min(total);
        let data = job.jobs(from, to, |i| format!("\"job-{i}\""));
        let next = match to < total {
            true => format!("\"{to}\""),
            false => "null".to_owned(),
        };
        format!(
            r#"{{"data":{data},"next_cursor":{next},"has_more":{}}}"#,
            to < total
        )
        .into_bytes()
    })
}

/// Matpool's pages of `total` jobs: `{code, msg, pagination, job}`, pages from 1.
fn matpool_pages(total: usize) -> support::Route {
    let recorded: Value = serde_json::from_slice(&payload("matpool", "list_jobs")).expect("json");
    let job = Rendered::new(recorded["job"][0].clone());
    Arc::new(move |target: &str| {
        let (page, size) = (number(target, "page", 1), number(target, "per_page", PAGE));
        let from = page.saturating_sub(1) * size;
        let to = (from + size).min(total);
        let jobs = job.jobs(from, to, |i| (i + 1).to_string());
        let pages = total.div_ceil(size);
        format!(
            r#"{{"code":0,"msg":"","pagination":{{"total":{total},"numPages":{pages},"page":{page},"perPage":{size}}},"job":{jobs}}}"#
        )
        .into_bytes()
    })
}

/// Lists every job once, dropping each as it comes: (jobs, seconds, peak bytes added).
fn list(kind: ProviderKind, route: support::Route) -> (usize, f64, usize) {
    let base = serve(route);
    let provider = gpujobs::connect(config(kind, &base)).expect("connects");
    let options = ListOptions::default().page_size(PAGE as u32);
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let started = Instant::now();
    let count = runtime()
        .block_on(
            provider
                .list(options)
                .try_fold(0usize, |n, _job| async move { Ok(n + 1) }),
        )
        .expect("lists");
    let seconds = started.elapsed().as_secs_f64();
    (
        count,
        seconds,
        PEAK.load(Ordering::Relaxed).saturating_sub(before),
    )
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench` absent: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    println!("listing: jobs streamed through `list` from a local paging server, {PAGE} a page");
    println!(
        "{:<10} {:>8} {:>9} {:>12} {:>16}",
        "provider", "jobs", "seconds", "jobs/s", "peak heap added"
    );
    for (kind, pages) in [
        (
            ProviderKind::Ppio,
            ppio_pages as fn(usize) -> support::Route,
        ),
        (ProviderKind::Matpool, matpool_pages),
    ] {
        let mut peaks = Vec::new();
        for total in [1_000, 100_000] {
            let (count, seconds, peak) = list(kind, pages(total));
            assert_eq!(count, total, "{kind}: every job once");
            println!(
                "{:<10} {count:>8} {seconds:>9.2} {:>12.0} {:>12.2} MiB",
                kind.as_str(),
                count as f64 / seconds,
                peak as f64 / (1 << 20) as f64
            );
            peaks.push(peak);
        }
        let grew = peaks[1].saturating_sub(peaks[0]) as f64 / 1e6;
        let verdict = if grew <= 10.0 { "met" } else { "MISSED" };
        println!(
            "{:<10} 100,000 jobs took {grew:.2} MB more than 1,000 (target ≤ 10 MB: {verdict})",
            kind.as_str()
        );
    }
}
