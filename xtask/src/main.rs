//! `cargo xtask regen` regenerates every generated client from `specs/`;
//! `cargo xtask regen --check` writes nothing and fails if anything is stale;
//! `fetch-specs` brings published specs up to date; `drift REV` prints the
//! surface drift since a git revision as Markdown.

mod fetch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use gpujobs_codegen::{Mode, Outcome, Status};

const USAGE: &str = "usage: cargo xtask regen [--check] | fetch-specs [PROVIDER] [--from URL] [--header 'NAME: VALUE']...
                   | drift REV | drift-versions PROVIDER | overlaid DIR

  regen            regenerate every generated client from specs/ (and the codegen fixtures)
  regen --check    write nothing; exit 1 naming every stale or missing file
  fetch-specs      download each published spec from the `Fetch:` line of its SOURCE.md, write
                   it only if it changed (recording date and sha256 there), then regenerate and
                   print the surface drift. --from fetches from another server (a running
                   slurmrestd: --from http://127.0.0.1:6820); a header value $VAR is read from
                   the environment (--header 'X-SLURM-USER-TOKEN: $SLURM_JWT')
  drift REV        the generated clients' surface drift between git revision REV and the working
                   tree, as Markdown (for a pull request)
  drift-versions PROVIDER
                   what each version of a versioned API (specs/PROVIDER/<version>/) changes
                   from the one before, field by field, for the operations both serve
  overlaid DIR     write each provider's spec with its overlay applied to DIR/<provider>.json
                   (DIR/<provider>-<version>.json for each generated version of a versioned API)
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
        ["drift", rev] => return drift(rev),
        ["drift-versions", provider] => return drift_versions(provider),
        ["fetch-specs", rest @ ..] => return fetch_specs(rest),
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

fn drift(rev: &str) -> ExitCode {
    markdown(gpujobs_codegen::drift_since(&workspace_root(), rev))
}

fn drift_versions(provider: &str) -> ExitCode {
    markdown(gpujobs_codegen::drift::between_versions(
        &workspace_root(),
        provider,
    ))
}

/// Prints a report, or its error.
fn markdown(report: Result<String, gpujobs_codegen::Error>) -> ExitCode {
    match report {
        Ok(markdown) => {
            print!("{markdown}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn fetch_specs(args: &[&str]) -> ExitCode {
    let mut options = fetch::Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match (*arg, args.clone().next()) {
            ("--from", Some(url)) => options.from = Some((*url).to_owned()),
            ("--header", Some(header)) => options.headers.push((*header).to_owned()),
            (provider, _) if !provider.starts_with('-') && options.provider.is_none() => {
                options.provider = Some(provider.to_owned());
                continue;
            }
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
        args.next();
    }
    let root = workspace_root();
    let fetched = match fetch::fetch_specs(&root, &options) {
        Ok(fetched) => fetched,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut updated = false;
    for result in &fetched {
        match result {
            fetch::Fetched::Updated { provider, sha256 } => {
                updated = true;
                println!("{provider:<12} updated   sha256 {sha256}");
            }
            fetch::Fetched::Unchanged { provider } => println!("{provider:<12} unchanged"),
            fetch::Fetched::NotPublished { provider } => {
                println!("{provider:<12} skipped   (written from the docs: no `Fetch:` line)")
            }
            fetch::Fetched::NotServed { provider } => {
                println!("{provider:<12} skipped   (not served by this server)")
            }
        }
    }
    if !updated {
        return ExitCode::SUCCESS;
    }
    match gpujobs_codegen::regen(&root, Mode::Write) {
        Ok(outcomes) => {
            outcomes
                .iter()
                .filter(|o| o.status == Status::Written)
                .for_each(report);
            println!(
                "review: cargo insta review, then `cargo xtask drift HEAD` for the pull request"
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!(
                "error: the new spec does not generate: {e} (fix the overlay, then cargo xtask regen)"
            );
            ExitCode::FAILURE
        }
    }
}

fn write_overlaid(dir: &Path) -> ExitCode {
    let root = workspace_root();
    let run = || -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let targets = gpujobs_codegen::targets(&root).map_err(|e| e.to_string())?;
        for target in targets.iter().filter(|t| t.is_provider) {
            let (spec, _) = gpujobs_codegen::overlaid(&root, target).map_err(|e| e.to_string())?;
            // `slurm/v0.0.42` is written as `slurm-v0.0.42.json`.
            let path = dir.join(format!("{}.json", target.name.replace('/', "-")));
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
