//! `cargo xtask drift REV`: the surface drift between a git revision and the
//! working tree, as Markdown, checked in a scratch git repository.

use std::path::Path;
use std::process::Command;

use gpujobs_codegen::{FIXTURES_CRATE, drift_since};

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .status()
        .expect("git runs");
    assert!(status.success(), "git {args:?}");
}

/// A committed fixture client, used as a provider's generated code.
fn client(fixture: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(FIXTURES_CRATE)
        .join("src")
        .join(fixture)
        .join("generated.rs");
    std::fs::read_to_string(path).unwrap()
}

/// Writes provider `name`'s spec folder and generated client into `dir`.
fn provider(dir: &Path, name: &str, code: &str) {
    let specs = dir.join("specs").join(name);
    std::fs::create_dir_all(&specs).unwrap();
    std::fs::write(specs.join("openapi.yaml"), "openapi: 3.0.3\n").unwrap();
    std::fs::write(specs.join("overlay.yaml"), "overlay: 1.0.0\n").unwrap();
    let src = dir.join(format!("crates/gpujobs-{name}/src"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("generated.rs"), code).unwrap();
}

#[test]
fn drift_since_a_revision_lists_breaking_and_additive_changes_per_provider() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    provider(root, "acme", &client("secrets"));
    provider(root, "steady", &client("auth_header"));
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "before"]);

    // acme's spec changed (another client), steady did not, and zeta is new.
    provider(root, "acme", &client("operation_ids"));
    provider(root, "zeta", &client("auth_header"));
    let markdown = drift_since(root, "HEAD").unwrap();

    assert!(
        markdown.starts_with("## Generated client surface since `HEAD`\n"),
        "{markdown}"
    );
    assert!(markdown.contains("| `steady` | 0 | 0 |"), "{markdown}");
    assert!(markdown.contains("### `acme`"), "{markdown}");
    assert!(
        markdown.contains("- **BREAKING**: removed operation"),
        "{markdown}"
    );
    assert!(
        markdown.contains("- additive: added operation"),
        "{markdown}"
    );
    assert!(
        !markdown.contains("### `steady`"),
        "no section without changes"
    );
    let zeta = &markdown[markdown.find("### `zeta`").expect("the new provider")..];
    assert!(
        !zeta.contains("BREAKING"),
        "a new provider only adds: {zeta}"
    );

    let unknown = drift_since(root, "no-such-rev").unwrap_err();
    assert!(
        unknown
            .to_string()
            .contains("`no-such-rev` is not a git revision"),
        "{unknown}"
    );
}

#[test]
fn no_change_says_so() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    provider(dir.path(), "acme", &client("secrets"));
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "one"]);
    let markdown = drift_since(dir.path(), "HEAD").unwrap();
    assert!(markdown.ends_with("\nNo surface changes.\n"), "{markdown}");
}

/// Two versions of one API in a scratch `specs/acme/`, the second adding a
/// field, changing one's type and dropping an enum value.
#[test]
fn versions_are_compared_field_by_field_with_the_version_taken_out() {
    let dir = tempfile::tempdir().unwrap();
    let spec = |version: &str, job: serde_json::Value| {
        serde_json::json!({
            "openapi": "3.0.3", "info": { "title": "acme", "version": version },
            "paths": { format!("/acme/{version}/job/{{id}}"): { "get": {
                "responses": { "200": { "content": { "application/json": { "schema": job } } } } } } }
        })
    };
    let old = spec(
        "v1.1",
        serde_json::json!({ "type": "object", "properties": {
        "state": { "type": "string", "enum": ["A", "B"] }, "nodes": { "type": "string" } } }),
    );
    let new = spec(
        "v1.2",
        serde_json::json!({ "type": "object", "properties": {
        "state": { "type": "string", "enum": ["A"] }, "nodes": { "type": "object", "properties": {} },
        "extra": { "type": "integer", "format": "int64" } } }),
    );
    for (version, spec) in [("v1.1", old), ("v1.2", new)] {
        let folder = dir.path().join("specs/acme").join(version);
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join("openapi.json"), spec.to_string()).unwrap();
    }
    let report = gpujobs_codegen::drift::between_versions(dir.path(), "acme").unwrap();
    assert!(report.contains("## v1.1 → v1.2"), "{report}");
    assert!(
        report.contains("1 operations in common; fields: 0 removed, 2 changed"),
        "{report}"
    );
    assert!(
        report.contains("**BREAKING**: `-> nodes` string → object — GET /acme/{v}/job/{id}"),
        "{report}"
    );
    assert!(
        report.contains("**BREAKING**: `-> state` values − B"),
        "{report}"
    );
    assert!(
        report.contains("additive: `-> extra` added (integer/int64)"),
        "{report}"
    );
}
