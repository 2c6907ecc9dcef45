//! Generic normalisation rules that turn a provider's spec into one progenitor
//! can generate from, and one whose generated client survives provider change.
//!
//! Each rule is a function over the whole document (`serde_json::Value`), runs
//! in a fixed order, and records what it changed as [`Normalised::notes`].
//! Each rule has a fixture spec in `crates/gpujobs-codegen-fixtures/specs/`.

mod auth_header;
mod doc_text;
mod openapi31;
mod openness;
mod operation_ids;
mod responses;
mod secrets;
mod walk;

use serde_json::Value;

/// A spec after normalisation, with a note for every change made.
#[derive(Debug)]
pub struct Normalised {
    /// The normalised OpenAPI 3.0.3 document.
    pub spec: Value,
    /// One line per change, `rule: where: what`.
    pub notes: Vec<String>,
}

/// A spec that a rule refuses to normalise; the message says what to change.
#[derive(Debug, thiserror::Error)]
#[error("normalise ({rule}): {message}")]
pub struct NormaliseError {
    /// The rule that failed.
    pub rule: &'static str,
    /// What is wrong, and where.
    pub message: String,
}

/// Runs every rule, in order.
pub fn normalise(mut spec: Value) -> Result<Normalised, NormaliseError> {
    let mut notes = Notes::default();
    openapi31::downconvert(&mut spec, &mut notes)?;
    auth_header::remove(&mut spec, &mut notes);
    operation_ids::synthesise(&mut spec, &mut notes)?;
    responses::one_body_kind_per_side(&mut spec, &mut notes)?;
    openness::open_responses(&mut spec, &mut notes);
    secrets::mark(&mut spec, &mut notes);
    doc_text::escape(&mut spec, &mut notes);
    Ok(Normalised {
        spec,
        notes: notes.0,
    })
}

/// The change log the rules write to.
#[derive(Default)]
struct Notes(Vec<String>);

impl Notes {
    fn add(&mut self, rule: &str, at: &str, what: impl std::fmt::Display) {
        self.0.push(format!("{rule}: {at}: {what}"));
    }
}

fn fail(rule: &'static str, at: &str, what: impl std::fmt::Display) -> NormaliseError {
    NormaliseError {
        rule,
        message: format!("{at}: {what}"),
    }
}
