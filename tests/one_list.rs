//! One list of providers, really: every provider in the registry
//! (`crates/gpujobs/src/registry_macro.rs`) is emulated by the sandbox,
//! benchmarked, listed by the scripts' `scripts/providers.sh` and in the READMEs' tables.
//! The fidelity test (`crates/gpujobs-sandbox/tests/fidelity.rs`) and the
//! secrets canary (`crates/gpujobs/tests/secrets.rs`) loop over the same list
//! and fail on a provider they have no example or route for.

#[path = "benches/support/mod.rs"]
mod support;

use gpujobs::ProviderKind;
use gpujobs_workspace_tests::root;

fn names(kinds: &[ProviderKind]) -> Vec<&'static str> {
    kinds.iter().map(|kind| kind.as_str()).collect()
}

#[test]
fn the_sandbox_emulates_every_provider() {
    assert_eq!(
        names(&gpujobs_sandbox::emulated()),
        names(ProviderKind::ALL)
    );
}

#[test]
fn every_provider_is_benchmarked_on_an_answer_it_decodes() {
    for &kind in ProviderKind::ALL {
        let endpoint = support::endpoints::endpoint(kind)
            .unwrap_or_else(|| panic!("{kind} has no benchmark endpoint"));
        (endpoint.decode)(&endpoint.body)
            .unwrap_or_else(|e| panic!("{kind}'s benchmark answer does not decode: {e}"));
    }
}

/// The scripts that loop over providers (benchmarks) read `scripts/providers.sh`.
#[test]
fn the_scripts_list_every_provider() {
    let output = std::process::Command::new("bash")
        .arg(root().join("scripts/providers.sh"))
        .output()
        .expect("bash runs");
    assert!(output.status.success(), "{output:?}");
    let listed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(listed.lines().collect::<Vec<_>>(), names(ProviderKind::ALL));
    for script in ["scripts/bench-build.sh", "scripts/bench-instructions.sh"] {
        let text = std::fs::read_to_string(root().join(script)).unwrap();
        assert!(text.contains("$(bash scripts/providers.sh)"), "{script}");
    }
}

/// The READMEs' provider tables (a doc list cannot be generated, so it is checked).
#[test]
fn the_readmes_table_every_provider() {
    for readme in ["README.md", "crates/gpujobs/README.md"] {
        let text = std::fs::read_to_string(root().join(readme)).unwrap();
        for kind in ProviderKind::ALL {
            assert!(
                text.contains(&format!("\n| `{kind}` |")),
                "{readme}'s provider table has no row for {kind}"
            );
        }
    }
}

/// Files that name a provider's siblings without being about one provider:
/// not edited when a provider is added (each with why).
const NOT_EDITED_FOR_A_PROVIDER: [(&str, &str); 4] = [
    (
        "CONTRIBUTING.md",
        "the recipe itself, with providers as examples",
    ),
    ("CHANGELOG.md", "history"),
    (
        "BENCHMARKS.md",
        "figures of runs, measured again when one is run",
    ),
    ("tests/one_list.rs", "this check"),
];

/// Whether `text` names every provider: by its registry name (`ray` as a
/// word; the others as written in prose too, `openYuanrong`).
fn names_every_provider(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    ProviderKind::ALL.iter().all(|kind| match kind.as_str() {
        "ray" => lower
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .any(|word| word == "ray"),
        name => lower.contains(name),
    })
}

/// The recipe in CONTRIBUTING.md is true: every tracked file that names
/// every provider (code and prose alike: what a new provider must edit) is
/// in its table of existing files to edit, or said here not to be; every
/// file the table names exists; and the count its prose gives is the table's.
#[test]
fn the_recipe_lists_every_file_a_new_provider_edits() {
    let output = std::process::Command::new("git")
        .args(["ls-files"])
        .current_dir(root())
        .output()
        .expect("git runs");
    assert!(output.status.success(), "{output:?}");
    let tracked = String::from_utf8(output.stdout).unwrap();
    let naming: Vec<&str> = tracked
        .lines()
        .filter(|f| {
            !(f.starts_with("specs/")
                || f.contains("/payloads/")
                || f.ends_with("generated.rs")
                || f.ends_with(".snap")
                || f.ends_with("Cargo.lock")
                || NOT_EDITED_FOR_A_PROVIDER.iter().any(|(n, _)| n == f))
        })
        .filter(|f| {
            std::fs::read_to_string(root().join(f)).is_ok_and(|text| names_every_provider(&text))
        })
        .collect();
    let recipe = std::fs::read_to_string(root().join("CONTRIBUTING.md")).unwrap();
    let table = recipe
        .split("**Existing files it edits**")
        .nth(1)
        .and_then(|rest| {
            rest.split("\n\n")
                .find(|block| block.trim_start().starts_with('|'))
        })
        .expect("CONTRIBUTING.md has the table of existing files it edits");
    let listed: Vec<&str> = table
        .lines()
        .skip(2)
        .filter_map(|row| row.split('|').nth(1))
        .flat_map(|cell| cell.split('`').skip(1).step_by(2))
        .collect();
    let missing: Vec<&&str> = naming.iter().filter(|f| !listed.contains(f)).collect();
    assert!(
        missing.is_empty(),
        "these files name every provider, so a new one edits them, but CONTRIBUTING.md's recipe does not list them: {missing:?}"
    );
    for file in &listed {
        assert!(
            root().join(file).exists(),
            "the recipe lists {file}, which does not exist"
        );
    }
    let count = format!("edits **{} existing files**", listed.len());
    assert!(
        recipe.contains(&count),
        "CONTRIBUTING.md's recipe should say it {count} (its table lists {})",
        listed.len()
    );
}

#[test]
fn a_file_naming_every_provider_is_found_and_prose_counts() {
    assert!(names_every_provider(
        "PPIO, openYuanrong, Ray, Matpool, TensorPool and Slurm"
    ));
    assert!(!names_every_provider(
        "PPIO, openYuanrong, array, Matpool, TensorPool and Slurm"
    ));
}
