//! Pins each provider's generated *surface* (operations and types, see
//! `gpujobs_codegen::surface`) with an insta snapshot in `tests/snapshots/`.
//! A spec change shows up in review as a short diff of these files; accept it
//! with `cargo insta review` once you have read it.

use std::path::Path;

use gpujobs_codegen::{Surface, provider_targets};

#[test]
fn provider_surfaces() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for target in provider_targets(root).unwrap() {
        let source = std::fs::read_to_string(root.join(&target.output)).unwrap();
        let surface = Surface::from_source(&source).unwrap();
        assert!(
            !surface.operations.is_empty(),
            "{}: no operations found",
            target.name
        );
        insta::assert_snapshot!(target.snapshot_name(), surface.to_string());
    }
}
