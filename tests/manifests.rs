//! What a new user reads to write their `Cargo.toml`, and what the sandbox
//! pulls into a build that depends on it.

use std::path::Path;

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

#[test]
fn the_sandbox_turns_on_no_tls_and_no_test_only_feature_of_the_library() {
    let manifest: toml_like::Manifest =
        toml_like::parse(&read("crates/gpujobs-sandbox/Cargo.toml"));
    let gpujobs = manifest
        .dependency("gpujobs")
        .expect("the sandbox depends on gpujobs");
    assert!(gpujobs.contains("default-features = false"), "{gpujobs}");
    assert!(
        !gpujobs.contains("rustls") && !gpujobs.contains("testing"),
        "{gpujobs}"
    );
    let readme = read("crates/gpujobs-sandbox/README.md");
    assert!(
        readme.contains("[dev-dependencies]\ngpujobs-sandbox"),
        "the README says: a dev-dependency"
    );
}

#[test]
fn the_readme_says_how_to_depend_on_gpujobs() {
    let readme = read("README.md");
    // The TOML block that is a Cargo.toml (another is the contexts' config file).
    let toml = readme
        .split("```toml\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .find(|block| block.contains("[dependencies]"))
        .expect("a Cargo.toml snippet");
    for needed in [
        "default-features = false",
        "\"rustls\"",
        "tokio",
        "futures-util",
        "[dev-dependencies]",
        "gpujobs-sandbox",
    ] {
        assert!(toml.contains(needed), "{needed} missing from:\n{toml}");
    }
}

/// Just enough of a manifest to find one dependency's line.
mod toml_like {
    pub struct Manifest(String);

    pub fn parse(text: &str) -> Manifest {
        Manifest(text.to_owned())
    }

    impl Manifest {
        /// The line declaring `name` under `[dependencies]`.
        pub fn dependency(&self, name: &str) -> Option<String> {
            let section = self
                .0
                .split("\n[dependencies]\n")
                .nth(1)?
                .split("\n[")
                .next()?;
            section
                .lines()
                .find(|l| l.starts_with(&format!("{name} =")))
                .map(str::to_owned)
        }
    }
}
