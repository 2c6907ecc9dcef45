//! Running the `gpujobs` binary the tests built, shared by the CLI's tests.
#![allow(dead_code)] // each test file uses some of it

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long one run may take before the test fails (and the process is
/// killed) instead of hanging: a CLI that never ends is a failure to report.
pub const RUN_LIMIT: Duration = Duration::from_secs(300);

/// The `gpujobs` binary, not yet run.
pub fn command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gpujobs"))
}

/// Runs `command` to its end: (exit code, stdout, stderr); -1 when a signal
/// ended it. Output that is not UTF-8 is shown with replacement characters.
/// Panics, killing it, when it runs past [`RUN_LIMIT`].
pub fn run(command: &mut Command) -> (i32, String, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gpujobs runs");
    // Read both pipes while waiting, so a full pipe cannot stall the child.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_within(&mut child, RUN_LIMIT);
    let text = |reader: std::thread::JoinHandle<Vec<u8>>| {
        String::from_utf8_lossy(&reader.join().unwrap_or_default()).into_owned()
    };
    let (stdout, stderr) = (text(stdout), text(stderr));
    let Some(status) = status else {
        panic!("gpujobs ran past {RUN_LIMIT:?} and was killed; stderr: {stderr}");
    };
    (status.code().unwrap_or(-1), stdout, stderr)
}

/// All a pipe gives, read on its own thread.
fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// The child's exit status, or `None` (and the child killed) after `limit`.
fn wait_within(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("waits for gpujobs") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `gpujobs` with only the given environment.
pub fn gpujobs(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    run(command().args(args).env_clear().envs(env.iter().copied()))
}

/// Starts `command` and kills it with SIGKILL once `ready` (polled every
/// 5 ms, for at most a minute): whether it was still running then (`false`:
/// it ended first, on its own).
pub fn kill_when(command: &mut Command, ready: impl Fn() -> bool) -> bool {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gpujobs runs");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(Instant::now() < deadline, "never got part-way");
        if child.try_wait().expect("waits for gpujobs").is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let running = child.try_wait().expect("waits for gpujobs").is_none();
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    running
}

/// The live sweeps' `--params`: 50 tasks, `SEED` 7 × the index, and `CODE`
/// 3 (a failure) for tasks 7 and 19, 0 for the rest.
pub fn live_sweep_params() -> String {
    (0..50)
        .map(|i| {
            format!(
                "{{\"SEED\": {}, \"CODE\": {}}}",
                i * 7,
                u8::from(i == 7 || i == 19) * 3
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
