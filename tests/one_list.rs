//! One list of providers, really: every provider in the registry
//! (`crates/gpujobs/src/registry_macro.rs`) is emulated by the sandbox,
//! benchmarked, listed by the benchmark script and in the READMEs' tables.
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

/// `scripts/bench-instructions.sh` reads the list with this sed expression.
#[test]
fn the_benchmark_script_reads_the_registry() {
    let script = std::fs::read_to_string(root().join("scripts/bench-instructions.sh")).unwrap();
    let expression = r#"s/^ *"\([a-z]*\)" => .*/\1/p"#;
    assert!(
        script.contains(expression),
        "the script's sed expression changed"
    );
    let output = std::process::Command::new("sed")
        .args(["-n", expression])
        .arg(root().join("crates/gpujobs/src/registry_macro.rs"))
        .output()
        .expect("sed runs");
    let listed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(listed.lines().collect::<Vec<_>>(), names(ProviderKind::ALL));
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
