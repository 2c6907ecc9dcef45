//! The gpujobs regen pipeline, behind `cargo xtask regen`.
//!
//! For each target (a provider, or a normalisation fixture):
//! **load** the spec → apply its **overlay** → **normalise** → **generate**
//! with progenitor → **render** with prettyplease → **stamp** a header naming
//! the sources and their hash. [`regen`] writes the result, or, in
//! [`Mode::Check`], only compares it with what is committed. [`Surface`]
//! reads a generated file back into a short listing for review, and
//! [`drift::diff`] says what changed between two surfaces and whether it
//! breaks users.
//!
//! ```no_run
//! let root = std::path::Path::new(".");
//! let outcomes = gpujobs_codegen::regen(root, gpujobs_codegen::Mode::Check).unwrap();
//! assert!(outcomes.iter().all(|o| o.status == gpujobs_codegen::Status::Unchanged));
//! ```

pub mod drift;
mod fields;
mod generate;
mod load;
pub mod normalise;
pub mod overlay;
mod pipeline;
pub mod retry;
pub mod surface;
mod targets;
pub mod trim;

pub use drift::{Change, since as drift_since};
pub use generate::PROGENITOR_VERSION;
pub use normalise::{NormaliseError, Normalised, normalise};
pub use pipeline::{Generated, Mode, Outcome, Status, generate_target, overlaid, regen};
pub use surface::Surface;
pub use targets::{
    ApiVersion, Error, FIXTURES_CRATE, Target, provider_targets, providers, targets, versions,
};
