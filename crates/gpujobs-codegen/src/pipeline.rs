//! The pipeline for one target — load, overlay, normalise, generate, render,
//! stamp — and [`regen`], which writes (or checks) every target's file.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::drift::Change;
use crate::normalise::Normalised;
use crate::surface::Surface;
use crate::targets::{Error, Target, slash, targets};
use crate::{drift, generate, load, normalise, overlay, retry};

/// The pipeline's result for one target, before it is written.
#[derive(Debug)]
pub struct Generated {
    /// The normalised spec and the notes on what normalisation changed.
    pub normalised: Normalised,
    /// The complete generated file, header included.
    pub code: String,
}

/// A target's spec with its overlay applied (before normalisation), and the
/// sha256 of the spec and overlay bytes: what linters and schemathesis read.
pub fn overlaid(root: &Path, target: &Target) -> Result<(serde_json::Value, String), Error> {
    let fail = |message: String| Error {
        target: target.name.clone(),
        message,
    };
    let read = |path: &Path| {
        std::fs::read_to_string(root.join(path))
            .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))
    };
    let spec_text = read(&target.spec)?;
    let mut spec = load::parse(&target.spec, &spec_text).map_err(fail)?;
    let mut hasher = Sha256::new();
    hasher.update(spec_text.as_bytes());
    if let Some(overlay_path) = &target.overlay {
        let overlay_text = read(overlay_path)?;
        let overlay = load::parse(overlay_path, &overlay_text).map_err(fail)?;
        overlay::apply(&mut spec, &overlay)
            .map_err(|e| fail(format!("{}: {e}", overlay_path.display())))?;
        hasher.update(overlay_text.as_bytes());
    }
    let hash = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((spec, hash))
}

/// Runs load → overlay → normalise → generate → render → stamp for one target.
pub fn generate_target(root: &Path, target: &Target) -> Result<Generated, Error> {
    let fail = |message: String| Error {
        target: target.name.clone(),
        message,
    };
    let (spec, hash) = overlaid(root, target)?;
    let mut sources = slash(&target.spec);
    if let Some(overlay_path) = &target.overlay {
        sources = format!("{sources} + {}", slash(overlay_path));
    }
    let normalised = normalise(spec).map_err(|e| fail(e.to_string()))?;
    let rules = retry::rules(&normalised.spec).map_err(fail)?;
    let mut body = generate::generate(&normalised.spec).map_err(fail)?;
    let surface = Surface::from_source(&body).map_err(fail)?;
    body.push_str(&generate::endpoints_table(&surface, &rules).map_err(fail)?);
    let code = format!("{}{body}", generate::header(&sources, &hash));
    Ok(Generated { normalised, code })
}

/// Whether [`regen`] writes files or only compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Write every file whose content changed.
    Write,
    /// Write nothing; report stale and missing files.
    Check,
}

/// What [`regen`] found (and, in [`Mode::Write`], did) for one target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// The committed file is what the pipeline produces.
    Unchanged,
    /// The file differed and was rewritten.
    Written,
    /// The file differs from what the pipeline produces (check mode).
    Stale,
    /// The file does not exist (check mode).
    Missing,
}

/// The outcome for one target.
#[derive(Debug)]
pub struct Outcome {
    /// The target.
    pub target: Target,
    /// What happened to its file.
    pub status: Status,
    /// How the surface changed (providers only; empty when unchanged).
    pub changes: Vec<Change>,
}

/// Regenerates every target under `root` (the workspace root).
pub fn regen(root: &Path, mode: Mode) -> Result<Vec<Outcome>, Error> {
    let mut outcomes = Vec::new();
    for target in targets(root)? {
        let generated = generate_target(root, &target)?;
        let path = root.join(&target.output);
        let existing = std::fs::read_to_string(&path).ok();
        let status = match (&existing, mode) {
            (Some(old), _) if *old == generated.code => Status::Unchanged,
            (None, Mode::Check) => Status::Missing,
            (Some(_), Mode::Check) => Status::Stale,
            (_, Mode::Write) => {
                std::fs::write(&path, &generated.code).map_err(|e| Error {
                    target: target.name.clone(),
                    message: format!("cannot write {}: {e}", target.output.display()),
                })?;
                Status::Written
            }
        };
        let changes = match (&existing, status) {
            (Some(old), Status::Written | Status::Stale) if target.is_provider => {
                let before = Surface::from_source(old).unwrap_or_default();
                let after = Surface::from_source(&generated.code).map_err(|message| Error {
                    target: target.name.clone(),
                    message,
                })?;
                drift::diff(&before, &after)
            }
            _ => Vec::new(),
        };
        outcomes.push(Outcome {
            target,
            status,
            changes,
        });
    }
    Ok(outcomes)
}
