//! The committed generated code is exactly what `cargo xtask regen` produces,
//! so `cargo test` fails on stale code just as `cargo xtask regen --check` does.

use std::path::{Path, PathBuf};

use gpujobs_codegen::{Mode, Status, Target, generate_target, provider_targets, regen, targets};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_generated_code_is_fresh() {
    let outcomes = regen(root(), Mode::Check).unwrap();
    let stale: Vec<String> = outcomes
        .iter()
        .filter(|o| o.status != Status::Unchanged)
        .map(|o| {
            format!(
                "{} ({:?}: {})",
                o.target.name,
                o.status,
                o.target.output.display()
            )
        })
        .collect();
    assert!(
        stale.is_empty(),
        "stale generated code, run `cargo xtask regen`: {stale:?}"
    );
    assert!(outcomes.len() >= provider_targets(root()).unwrap().len());
}

#[test]
fn generation_is_deterministic() {
    for target in targets(root()).unwrap() {
        let first = generate_target(root(), &target).unwrap().code;
        let second = generate_target(root(), &target).unwrap().code;
        assert!(first == second, "{}: two runs differ", target.name);
    }
}

/// A copy of everything regen reads and writes, in a temporary directory.
fn copy_of_inputs_and_outputs() -> (tempfile::TempDir, Vec<Target>) {
    let dir = tempfile::tempdir().unwrap();
    let all = targets(root()).unwrap();
    for target in &all {
        let files: Vec<&PathBuf> = [&target.spec, &target.output]
            .into_iter()
            .chain(&target.overlay)
            .collect();
        for file in files {
            let to = dir.path().join(file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(root().join(file), to).unwrap();
        }
    }
    (dir, all)
}

#[test]
fn changing_one_byte_of_a_spec_makes_only_that_provider_stale() {
    let (dir, all) = copy_of_inputs_and_outputs();
    for provider in provider_targets(root()).unwrap() {
        let provider = provider.name.as_str();
        let target = all.iter().find(|t| t.name == provider).unwrap();
        let spec = dir.path().join(&target.spec);
        // One more byte of whitespace: the same spec, other bytes.
        let mut bytes = std::fs::read(&spec).unwrap();
        bytes.push(b' ');
        std::fs::write(&spec, &bytes).unwrap();

        let outcomes = regen(dir.path(), Mode::Check).unwrap();
        let stale: Vec<&str> = outcomes
            .iter()
            .filter(|o| o.status == Status::Stale)
            .map(|o| o.target.name.as_str())
            .collect();
        assert_eq!(stale, [provider]);

        bytes.pop();
        std::fs::write(&spec, &bytes).unwrap();
    }
}

#[test]
fn a_missing_generated_file_is_reported() {
    let (dir, all) = copy_of_inputs_and_outputs();
    let target = all.iter().find(|t| t.name == "ray").unwrap();
    std::fs::remove_file(dir.path().join(&target.output)).unwrap();
    let outcomes = regen(dir.path(), Mode::Check).unwrap();
    let ray = outcomes.iter().find(|o| o.target.name == "ray").unwrap();
    assert_eq!(ray.status, Status::Missing);
    assert!(
        !dir.path().join(&target.output).exists(),
        "check mode must write nothing"
    );
}

#[test]
fn write_mode_restores_a_stale_file_and_reports_the_surface_drift() {
    let (dir, all) = copy_of_inputs_and_outputs();
    let target = all.iter().find(|t| t.name == "ray").unwrap();
    let spec = dir.path().join(&target.spec);
    let text = std::fs::read_to_string(&spec).unwrap();
    // Drop the logs operation and add a field: one breaking and one additive change.
    let edited = text
        .replace(
            "  /api/jobs/{submission_id}/logs:",
            "  /api/jobs/{submission_id}/unused-logs:",
        )
        .replace(
            "        logs: { type: string }",
            "        logs: { type: string }\n        truncated: { type: boolean }",
        );
    std::fs::write(&spec, edited).unwrap();

    let outcomes = regen(dir.path(), Mode::Write).unwrap();
    let ray = outcomes.iter().find(|o| o.target.name == "ray").unwrap();
    assert_eq!(ray.status, Status::Written);
    let changes: Vec<String> = ray.changes.iter().map(ToString::to_string).collect();
    assert!(
        changes
            .iter()
            .any(|c| c.starts_with("BREAKING: changed operation get_job_logs")),
        "{changes:?}"
    );
    assert!(
        changes.contains(&"additive: added JobLogsResponse.truncated".to_owned()),
        "{changes:?}"
    );
    let again = regen(dir.path(), Mode::Check).unwrap();
    assert!(again.iter().all(|o| o.status == Status::Unchanged));
}
