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
