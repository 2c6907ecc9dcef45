//! Many jobs at once (BENCHMARKS.md, "Many jobs at once"): per provider, in
//! one run, on a simulated hour — one manual clock shared by the sandbox and
//! the waiter, so jobs move exactly as far as the waiter sleeps:
//!
//! - 10,000 jobs ending evenly over an hour: `wait_all` against 10,000 single
//!   `wait`s (each started as its job's is: the job added, then waited for);
//! - 3 running jobs among 100,000 ended ones: `wait_all` against 3 single waits.
//!
//! Measured: requests made, bytes of the answers read, time from each job's
//! end to its report (simulated), and the waiter's peak heap (allocations on
//! its thread only; the sandbox runs on threads of its own).
//!
//! `cargo bench --bench many [-- PROVIDER…]`; `GPUJOBS_MANY=N` changes 10,000.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use futures_util::StreamExt;
use gpujobs::{JobProvider, JobProviderExt, ProviderKind, WaitOptions};
use gpujobs_runtime::{Clock, ManualClock};
use gpujobs_sandbox::{JobSpec, Sandbox, SandboxConfig, Timing};

/// Counts the heap of threads marked as the waiter's.
struct Counting;

static CURRENT: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTED: Cell<bool> = const { Cell::new(false) };
}

fn counted() -> bool {
    COUNTED.try_with(Cell::get).unwrap_or(false)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counted() {
            let now = CURRENT.fetch_add(layout.size() as isize, Ordering::Relaxed)
                + layout.size() as isize;
            PEAK.fetch_max(now.max(0) as usize, Ordering::Relaxed);
        }
        // SAFETY: forwarded as given.
        unsafe { System.alloc(layout) }
    }

    /// Forwarded to the system's `realloc` (which may grow a block in place,
    /// as a real program's would), counting the change in size: the default
    /// would allocate anew and copy, a peak no real program has.
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counted() {
            let change = new_size as isize - layout.size() as isize;
            let now = CURRENT.fetch_add(change, Ordering::Relaxed) + change;
            PEAK.fetch_max(now.max(0) as usize, Ordering::Relaxed);
        }
        // SAFETY: forwarded as given.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counted() {
            CURRENT.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// An hour of running once started; queues of a second.
fn hour_long() -> Timing {
    let mut timing = Timing::fast();
    timing.queued = Duration::from_secs(1);
    timing.starting = Duration::from_secs(1);
    timing.running = Duration::from_secs(3600);
    timing
}

const HOUR: u64 = 3602;

/// What one side of a comparison cost.
#[derive(Default)]
struct Cost {
    requests: usize,
    bytes: usize,
    /// Each job's delay from its end to its report, in seconds.
    delays: Vec<f64>,
    peak_heap: Option<usize>,
}

impl Cost {
    fn delay(&self, quantile: f64) -> f64 {
        let mut delays = self.delays.clone();
        delays.sort_by(f64::total_cmp);
        let at = ((delays.len() as f64 - 1.0) * quantile).round() as usize;
        delays.get(at).copied().unwrap_or(0.0)
    }
}

/// The polling every waiter here uses: 1 s doubling to 30 s, three hours at most.
fn options(clock: &ManualClock) -> WaitOptions {
    WaitOptions::default()
        .timeout(Duration::from_secs(3 * 3600))
        .intervals(Duration::from_secs(1), Duration::from_secs(30))
        .clock(Arc::new(clock.clone()))
}

/// One scenario's world: a sandbox on its own threads and clock, a client of
/// `kind` on that clock.
struct World {
    clock: ManualClock,
    sandbox: Sandbox,
    provider: Arc<dyn JobProvider>,
    kind: ProviderKind,
}

impl World {
    fn new(server: &tokio::runtime::Runtime, kind: ProviderKind, accounting: bool) -> Self {
        let clock = ManualClock::at(SystemTime::now());
        let config = SandboxConfig::default()
            .empty()
            .timing(hour_long())
            .clock(Arc::new(clock.clone()))
            .slurm_accounting(accounting);
        let sandbox = server.block_on(Sandbox::start(config)).expect("starts");
        let mut config = sandbox.provider_config(kind);
        config.clock = Arc::new(clock.clone());
        let provider = gpujobs::connect(config).expect("connects");
        Self {
            clock,
            sandbox,
            provider,
            kind,
        }
    }

    fn add(&self, spec: JobSpec) -> String {
        self.sandbox.add_job(self.kind, spec).expect("added")
    }

    /// Requests since `from`, and the bytes of their answers.
    fn spent(&self, from: usize) -> (usize, usize) {
        let all = self.sandbox.requests();
        let since = &all[from.min(all.len())..];
        (since.len(), since.iter().map(|r| r.answer_bytes).sum())
    }

    /// How long after its end `job` is reported now, in seconds.
    fn delay(&self, job: &gpujobs::Job) -> Option<f64> {
        let finished: SystemTime = job.finished_at?.into();
        let late = self
            .clock
            .wall()
            .duration_since(finished)
            .unwrap_or_default();
        Some(late.as_secs_f64())
    }
}

/// `wait_all` on `ids`, the waiter's heap counted.
fn many(client: &tokio::runtime::Runtime, world: &World, ids: Vec<String>) -> Cost {
    let from = world.sandbox.requests().len();
    let expected = ids.len();
    CURRENT.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    let delays = client.block_on(async {
        COUNTED.set(true);
        let mut delays = Vec::with_capacity(expected);
        let mut ends = world.provider.wait_all(ids, &options(&world.clock));
        while let Some((id, end)) = ends.next().await {
            let job = end.unwrap_or_else(|e| panic!("{id}: {e}"));
            delays.extend(world.delay(&job));
        }
        drop(ends);
        COUNTED.set(false);
        delays
    });
    let (requests, bytes) = world.spent(from);
    Cost {
        requests,
        bytes,
        delays,
        peak_heap: Some(PEAK.load(Ordering::Relaxed)),
    }
}

/// Single waits, one after another, each started as its job is in the
/// sweep: the job added with the age it has there, then waited for.
fn singles(client: &tokio::runtime::Runtime, world: &World, specs: &[JobSpec]) -> Cost {
    let from = world.sandbox.requests().len();
    let delays = client.block_on(async {
        let mut delays = Vec::with_capacity(specs.len());
        for spec in specs {
            let id = world.add(spec.clone());
            let job = world.provider.wait(&id, &options(&world.clock)).await;
            let job = job.unwrap_or_else(|e| panic!("{id}: {e}"));
            delays.extend(world.delay(&job));
        }
        delays
    });
    let (requests, bytes) = world.spent(from);
    Cost {
        requests,
        bytes,
        delays,
        peak_heap: None,
    }
}

/// `n` jobs ending evenly over the next hour; every tenth fails.
fn sweep(n: usize) -> Vec<JobSpec> {
    (0..n)
        .map(|i| {
            let ends_in = (i as u64 + 1) * 3600 / n as u64;
            let command = if i % 10 == 3 {
                "python x.py; exit 3"
            } else {
                "python x.py"
            };
            JobSpec::new(command).age(Duration::from_secs(HOUR - ends_in.min(HOUR - 2)))
        })
        .collect()
}

/// 3 jobs ending in 10, 20 and 30 minutes.
fn three() -> Vec<JobSpec> {
    [600u64, 1200, 1800]
        .iter()
        .map(|ends_in| JobSpec::new("python x.py").age(Duration::from_secs(HOUR - ends_in)))
        .collect()
}

/// `n` jobs that ended an hour ago.
fn ended(world: &World, n: usize) {
    for _ in 0..n {
        world.add(JobSpec::new("python old.py").age(Duration::from_secs(2 * HOUR)));
    }
}

fn row(kind: ProviderKind, jobs: &str, side: &str, cost: &Cost) -> String {
    let heap = cost
        .peak_heap
        .map_or("—".to_owned(), |b| format!("{:.1} MB", b as f64 / 1e6));
    format!(
        "| {kind} | {jobs} | {side} | {} | {:.1} MB | {:.0} s / {:.0} s | {heap} |",
        cost.requests,
        cost.bytes as f64 / 1e6,
        cost.delay(0.5),
        cost.delay(1.0),
    )
}

fn ratio(kind: ProviderKind, jobs: &str, single: &Cost, many: &Cost) -> String {
    format!(
        "| {kind} | {jobs} | single ÷ wait_all | {:.1}× | {:.2}× | | |",
        single.requests as f64 / many.requests.max(1) as f64,
        single.bytes as f64 / many.bytes.max(1) as f64,
    )
}

fn main() {
    let n: usize = std::env::var("GPUJOBS_MANY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let chosen: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "| provider | jobs | side | requests | bytes read | end → report (median / max) | waiter's peak heap |"
    );
    println!("|---|---|---|---|---|---|---|");
    for &kind in ProviderKind::ALL {
        if !chosen.is_empty() && !chosen.iter().any(|c| c == kind.as_str()) {
            continue;
        }
        // Slurm with accounting (slurmdbd) and without: ended jobs read many at once, or one by one.
        let variants: &[(bool, &str)] = match kind {
            ProviderKind::Slurm => &[(true, ""), (false, ", no accounting")],
            _ => &[(true, "")],
        };
        for &(accounting, note) in variants {
            let label = format!("{n} over an hour{note}");
            let world = World::new(&server, kind, accounting);
            let ids: Vec<String> = sweep(n).into_iter().map(|s| world.add(s)).collect();
            let all_at_once = many(&client, &world, ids);
            drop(world);
            let world = World::new(&server, kind, accounting);
            let one_by_one = singles(&client, &world, &sweep(n));
            drop(world);
            println!("{}", row(kind, &label, "wait_all", &all_at_once));
            println!("{}", row(kind, &label, "single waits", &one_by_one));
            println!("{}", ratio(kind, &label, &one_by_one, &all_at_once));

            let label = format!("3 among {}{note}", 10 * n);
            let world = World::new(&server, kind, accounting);
            ended(&world, 10 * n);
            let ids: Vec<String> = three().into_iter().map(|s| world.add(s)).collect();
            let all_at_once = many(&client, &world, ids);
            drop(world);
            let world = World::new(&server, kind, accounting);
            ended(&world, 10 * n);
            let one_by_one = singles(&client, &world, &three());
            drop(world);
            println!("{}", row(kind, &label, "wait_all", &all_at_once));
            println!("{}", row(kind, &label, "single waits", &one_by_one));
            println!("{}", ratio(kind, &label, &one_by_one, &all_at_once));
        }
    }
}
