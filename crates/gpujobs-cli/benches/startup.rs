//! Startup costs, each beside a baseline measured in the same run, so the
//! numbers mean something on any machine: `cargo bench -p gpujobs-cli`.
//!
//! Targets: `gpujobs --help` under 20 ms; the sandbox (five providers, demo
//! jobs) serving in under a second.

use std::process::Command;

use gpujobs_sandbox::{Sandbox, SandboxConfig};

fn main() {
    divan::main();
}

/// Spawning a process that does nothing: the floor under every CLI timing.
#[divan::bench]
fn baseline_spawn_true() {
    Command::new("true").output().expect("`true` runs");
}

/// `gpujobs --help`.
#[divan::bench]
fn gpujobs_help() {
    Command::new(env!("CARGO_BIN_EXE_gpujobs"))
        .arg("--help")
        .output()
        .expect("gpujobs runs");
}

/// The README's main command: start the built-in sandbox and list every provider.
#[divan::bench(sample_count = 20)]
fn gpujobs_sandbox_list() {
    Command::new(env!("CARGO_BIN_EXE_gpujobs"))
        .args(["--sandbox", "list"])
        .output()
        .expect("gpujobs runs");
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Binding a loopback port: the floor under starting any server.
#[divan::bench]
fn baseline_bind_loopback(bencher: divan::Bencher) {
    let runtime = runtime();
    bencher.bench_local(|| {
        runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("binds")
    });
}

/// Starting the sandbox: five providers, demo jobs, listening.
#[divan::bench]
fn sandbox_start(bencher: divan::Bencher) {
    let runtime = runtime();
    bencher.bench_local(|| {
        runtime
            .block_on(Sandbox::start(SandboxConfig::default()))
            .expect("starts")
    });
}
