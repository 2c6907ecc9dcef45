//! `cargo xtask regen` regenerates every generated client from `specs/`;
//! `cargo xtask regen --check` writes nothing and fails if anything is stale.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use gpujobs_codegen::{Mode, Outcome, Status};

const USAGE: &str = "usage: cargo xtask regen [--check] | overlaid DIR

  regen            regenerate every generated client from specs/ (and the codegen fixtures)
  regen --check    write nothing; exit 1 naming every stale or missing file
  overlaid DIR     write each provider's spec with its overlay applied to DIR/<provider>.json
                   (what Spectral and schemathesis check)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["regen"] => Mode::Write,
        ["regen", "--check"] => Mode::Check,
        ["overlaid", dir] => return write_overlaid(Path::new(dir)),
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let outcomes = match gpujobs_codegen::regen(&workspace_root(), mode) {
        Ok(outcomes) => outcomes,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for outcome in &outcomes {
        report(outcome);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let bad: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| matches!(o.status, Status::Stale | Status::Missing))
        .collect();
    if bad.is_empty() {
        println!(
            "{} targets, {} in {elapsed:.2} s",
            outcomes.len(),
            verb(mode)
        );
        return ExitCode::SUCCESS;
    }
    let names: Vec<&str> = bad.iter().map(|o| o.target.name.as_str()).collect();
    eprintln!(
        "error: generated code is stale for {}: run `cargo xtask regen` and review the surface snapshots",
        names.join(", ")
    );
    ExitCode::FAILURE
}

fn write_overlaid(dir: &Path) -> ExitCode {
    let root = workspace_root();
    let run = || -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let targets = gpujobs_codegen::targets(&root).map_err(|e| e.to_string())?;
        for target in targets.iter().filter(|t| t.is_provider) {
            let (spec, _) = gpujobs_codegen::overlaid(&root, target).map_err(|e| e.to_string())?;
            let path = dir.join(format!("{}.json", target.name));
            let text = serde_json::to_string_pretty(&spec).map_err(|e| e.to_string())?;
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
            println!("{}", path.display());
        }
        Ok(())
    };
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn verb(mode: Mode) -> &'static str {
    match mode {
        Mode::Write => "regenerated",
        Mode::Check => "checked",
    }
}

fn report(outcome: &Outcome) {
    let status = match outcome.status {
        Status::Unchanged => "unchanged",
        Status::Written => "written",
        Status::Stale => "STALE",
        Status::Missing => "MISSING",
    };
    println!(
        "{:<28} {status:<9} {}",
        outcome.target.name,
        outcome.target.output.display()
    );
    let breaking = outcome.changes.iter().filter(|c| c.breaking).count();
    if !outcome.changes.is_empty() {
        println!(
            "  surface: {breaking} breaking, {} additive",
            outcome.changes.len() - breaking
        );
        for change in &outcome.changes {
            println!("    {change}");
        }
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
