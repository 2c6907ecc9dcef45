//! Submitting a sweep (BENCHMARKS.md §10), every side against one sandbox
//! in this process, in one run:
//!
//! - Slurm: `gpujobs submit --sweep … --array 0-9999` (one native array)
//!   against 10,000 single submits through the library, 64 in flight (the
//!   fastest a sweep can go without arrays);
//! - Ray: `gpujobs submit --sweep …` (64 submits in flight) against a loop of
//!   `gpujobs submit` processes, one a task (what users do today), timed on
//!   a sample of them and projected to the whole sweep.
//!
//! Measured: requests the sandbox answered, wall time, and the submitting
//! process's peak resident memory.
//!
//! Single submits on Slurm are timed on a sample too: each keyed submit
//! lists the cluster's jobs first (that is how it stays exactly once without
//! an idempotency key), so they slow as the cluster fills, and a projection
//! from the sample is a lower bound.
//!
//! `cargo bench -p gpujobs-cli --bench sweeps`; `GPUJOBS_SWEEP_TASKS=N`
//! changes 10,000, `GPUJOBS_SWEEP_LOOP=N` the 1,000 processes sampled,
//! `GPUJOBS_SWEEP_SINGLES=N` the 500 single Slurm submits.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use gpujobs::sweep::{Sweep, Tasks};
use gpujobs::{JobProvider, ProviderKind, SubmitRequest};
use gpujobs_sandbox::{Sandbox, SandboxConfig, Timing};

/// What one side cost.
struct Cost {
    tasks: u64,
    requests: usize,
    wall: Duration,
    peak_rss: Option<u64>,
}

fn count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `gpujobs ARGS` against the sandbox's `kind`, which must succeed,
/// and gives its peak resident memory in bytes: `VmHWM`, read from /proc
/// every 0.2 ms while it runs (the last reading). Not `getrusage`: Linux counts in a
/// child's peak the memory of this process, which it was forked from.
fn gpujobs(sandbox: &Sandbox, kind: ProviderKind, args: &[String]) -> u64 {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gpujobs"))
        .args(["-p", kind.as_str()])
        .args(args)
        .envs(sandbox.env(kind))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gpujobs runs");
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let exited = loop {
        if let Some(exited) = child.try_wait().expect("waits") {
            break exited;
        }
        let high_water = std::fs::read_to_string(&status).ok().and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        });
        peak = peak.max(high_water.unwrap_or(0) * 1024);
        std::thread::sleep(Duration::from_micros(200));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().expect("piped"), &mut stderr).ok();
    assert!(exited.success(), "gpujobs {args:?}: {stderr}");
    peak
}

/// `gpujobs submit --sweep NAME --array 0-(N-1) -- COMMAND`, one process.
fn cli_sweep(sandbox: &Sandbox, kind: ProviderKind, name: &str, tasks: u64) -> Cost {
    let working_dir = match kind {
        ProviderKind::Slurm => &["--working-dir", "/tmp"][..],
        _ => &[],
    };
    let from = sandbox.requests().len();
    let started = Instant::now();
    let args = [
        "submit",
        "--sweep",
        name,
        "--array",
        &format!("0-{}", tasks - 1),
        "--submit-concurrency",
        "64",
    ];
    let args: Vec<String> = [&args[..], working_dir, &["--", "python train.py"]]
        .concat()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let peak = gpujobs(sandbox, kind, &args);
    Cost {
        tasks,
        requests: sandbox.requests().len() - from,
        wall: started.elapsed(),
        peak_rss: Some(peak),
    }
}

/// The sweep's tasks submitted one by one through the library, 64 in flight.
fn library_singles(
    client: &tokio::runtime::Runtime,
    sandbox: &Sandbox,
    provider: Arc<dyn JobProvider>,
    tasks: u64,
) -> Cost {
    let mut template = SubmitRequest::new("python train.py");
    template.working_dir = Some("/tmp".into());
    let sweep = Sweep::new("singles", template, Tasks::Range(0..tasks));
    let from = sandbox.requests().len();
    let started = Instant::now();
    client.block_on(
        futures_util::stream::iter(0..tasks)
            .map(|index| {
                let mut request = sweep.task_request(index, 0);
                // Slurm records a sweep in the job's name, not in labels it has none of.
                request.metadata.clear();
                let provider = provider.clone();
                async move { provider.submit(&request).await.expect("submitted") }
            })
            .buffer_unordered(64)
            .for_each(|_| async {}),
    );
    Cost {
        tasks,
        requests: sandbox.requests().len() - from,
        wall: started.elapsed(),
        peak_rss: None,
    }
}

/// A loop of `gpujobs submit` processes, one a task, for `sample` tasks.
fn process_loop(sandbox: &Sandbox, kind: ProviderKind, sample: u64) -> Cost {
    let from = sandbox.requests().len();
    let started = Instant::now();
    let mut peak = 0;
    for index in 0..sample {
        let args = [
            "submit".to_owned(),
            "--id".to_owned(),
            format!("loop-{index}"),
            "-e".to_owned(),
            format!("GPUJOBS_TASK_INDEX={index}"),
            "--".to_owned(),
            "python train.py".to_owned(),
        ];
        peak = peak.max(gpujobs(sandbox, kind, &args));
    }
    Cost {
        tasks: sample,
        requests: sandbox.requests().len() - from,
        wall: started.elapsed(),
        peak_rss: Some(peak),
    }
}

fn row(kind: ProviderKind, side: &str, cost: &Cost, tasks: u64) {
    let per_task = cost.wall.as_secs_f64() / cost.tasks as f64;
    let projected = match cost.tasks == tasks {
        true => format!("{:.2} s", cost.wall.as_secs_f64()),
        false => format!(
            "{:.1} s (projected from {})",
            per_task * tasks as f64,
            cost.tasks
        ),
    };
    let requests = cost.requests as f64 * tasks as f64 / cost.tasks as f64;
    let rss = cost
        .peak_rss
        .map_or("—".to_owned(), |b| format!("{:.1} MB", b as f64 / 1e6));
    println!(
        "| {kind} | {tasks} | {side} | {requests:.0} | {projected} | {:.2} ms | {rss} |",
        per_task * 1e3
    );
}

fn main() {
    let tasks = count("GPUJOBS_SWEEP_TASKS", 10_000).max(1);
    let sample = count("GPUJOBS_SWEEP_LOOP", 1_000).clamp(1, tasks);
    let singles = count("GPUJOBS_SWEEP_SINGLES", 500).clamp(1, tasks);
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    // Jobs queue for an hour: nothing ends while the sweep is submitted.
    let mut timing = Timing::fast();
    timing.queued = Duration::from_secs(3600);
    let config = SandboxConfig::default()
        .empty()
        .timing(timing)
        .slurm_max_array_size(tasks + 1);
    let sandbox = server.block_on(Sandbox::start(config)).expect("starts");
    println!("| provider | tasks | side | requests | wall time | a task | submitter's peak RSS |");
    println!("|---|---|---|---|---|---|---|");

    let slurm = sandbox.provider(ProviderKind::Slurm).expect("connects");
    let array = cli_sweep(&sandbox, ProviderKind::Slurm, "array", tasks);
    row(
        ProviderKind::Slurm,
        "`submit --sweep --array` (one array)",
        &array,
        tasks,
    );
    // After the array: the cluster already holds its tasks, as it would.
    let singles = library_singles(&client, &sandbox, slurm, singles);
    row(
        ProviderKind::Slurm,
        "single submits, 64 in flight",
        &singles,
        tasks,
    );

    let sweep = cli_sweep(&sandbox, ProviderKind::Ray, "sweep", tasks);
    row(
        ProviderKind::Ray,
        "`submit --sweep` (64 in flight)",
        &sweep,
        tasks,
    );
    let each = process_loop(&sandbox, ProviderKind::Ray, sample);
    row(
        ProviderKind::Ray,
        "a loop of `gpujobs submit`",
        &each,
        tasks,
    );
    println!(
        "\nSlurm: single ÷ array {:.0}× the requests, ≥ {:.0}× the time; Ray: loop ÷ sweep {:.1}× the time",
        singles.requests as f64 / singles.tasks as f64 * tasks as f64 / array.requests as f64,
        singles.wall.as_secs_f64() / singles.tasks as f64 * tasks as f64 / array.wall.as_secs_f64(),
        each.wall.as_secs_f64() / each.tasks as f64 * tasks as f64 / sweep.wall.as_secs_f64(),
    );
}
