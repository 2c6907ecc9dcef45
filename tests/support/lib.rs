//! Helpers shared by the workspace-level tests in `tests/`.

/// The README's Rust examples, compiled as doc-tests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;

/// The published crates' READMEs, likewise (what crates.io shows).
#[cfg(doctest)]
#[doc = include_str!("../../crates/gpujobs/README.md")]
#[doc = include_str!("../../crates/gpujobs-sandbox/README.md")]
pub struct CrateReadmeExamples;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// The workspace root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The path of a recorded or documented payload, `tests/payloads/<provider>/<name>.json`.
pub fn payload_path(provider: &str, name: &str) -> PathBuf {
    root()
        .join("tests/payloads")
        .join(provider)
        .join(format!("{name}.json"))
}

/// The raw text of a payload.
pub fn payload_text(provider: &str, name: &str) -> String {
    let path = payload_path(provider, name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A payload decoded into `T`, panicking with the provider, file and serde's reason.
pub fn decode<T: DeserializeOwned>(provider: &str, name: &str) -> T {
    serde_json::from_str(&payload_text(provider, name)).unwrap_or_else(|e| {
        panic!(
            "{provider}/{name}.json does not decode into {}: {e}",
            std::any::type_name::<T>()
        )
    })
}
