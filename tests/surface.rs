//! Pins each provider's generated *surface* (operations and types, see
//! `gpujobs_codegen::surface`) with an insta snapshot in `tests/snapshots/`.
//! A spec change shows up in review as a short diff of these files; accept it
//! with `cargo insta review` once you have read it.

use std::path::Path;

use gpujobs_codegen::{Surface, providers};

#[test]
fn provider_surfaces() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for provider in providers(root).unwrap() {
        let path = root.join(format!("crates/gpujobs-{provider}/src/generated.rs"));
        let source = std::fs::read_to_string(&path).unwrap();
        let surface = Surface::from_source(&source).unwrap();
        assert!(
            !surface.operations.is_empty(),
            "{provider}: no operations found"
        );
        insta::assert_snapshot!(format!("surface_{provider}"), surface.to_string());
    }
}
