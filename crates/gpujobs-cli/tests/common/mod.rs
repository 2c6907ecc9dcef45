//! Running the `gpujobs` binary the tests built, shared by the CLI's tests.
#![allow(dead_code)] // each test file uses some of it

use std::process::{Command, Output};

/// The `gpujobs` binary, not yet run.
pub fn command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gpujobs"))
}

/// Runs `command` to its end: (exit code, stdout, stderr); -1 when a signal
/// ended it. Output that is not UTF-8 is shown with replacement characters.
pub fn run(command: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("gpujobs runs");
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    (status.code().unwrap_or(-1), text(stdout), text(stderr))
}

/// Runs `gpujobs` with only the given environment.
pub fn gpujobs(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    run(command().args(args).env_clear().envs(env.iter().copied()))
}
