//! What changed between two surfaces, and whether it breaks users.

use std::fmt;

use crate::surface::Surface;

/// One change to a generated client's surface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// Whether code written against the old surface may stop compiling or working.
    pub breaking: bool,
    /// What changed, e.g. `removed field GetJobResponse.log`.
    pub what: String,
}

/// Every change from `old` to `new`, breaking ones first.
///
/// Removed or changed operations, types and fields are breaking; added ones
/// are additive (an added field only breaks code that builds that type with a
/// struct literal, which users of response types do not).
pub fn diff(old: &Surface, new: &Surface) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut push = |breaking, what: String| changes.push(Change { breaking, what });
    for (name, op) in &old.operations {
        match new.operations.get(name) {
            None => push(true, format!("removed operation {name}")),
            Some(now) if now != op => push(
                true,
                format!(
                    "changed operation {name}: {} → {}",
                    op.signature(),
                    now.signature()
                ),
            ),
            Some(_) => {}
        }
    }
    for name in new
        .operations
        .keys()
        .filter(|n| !old.operations.contains_key(*n))
    {
        push(false, format!("added operation {name}"));
    }
    for (name, def) in &old.types {
        let Some(now) = new.types.get(name) else {
            push(true, format!("removed type {name}"));
            continue;
        };
        for (member, ty) in &def.members {
            match now.members.get(member) {
                None => push(true, format!("removed {name}.{member}")),
                Some(t) if t != ty => push(true, format!("changed {name}.{member}: {ty} → {t}")),
                Some(_) => {}
            }
        }
        for member in now.members.keys().filter(|m| !def.members.contains_key(*m)) {
            push(false, format!("added {name}.{member}"));
        }
    }
    for name in new.types.keys().filter(|n| !old.types.contains_key(*n)) {
        push(false, format!("added type {name}"));
    }
    changes.sort_by_key(|c| !c.breaking);
    changes
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = if self.breaking {
            "BREAKING"
        } else {
            "additive"
        };
        write!(f, "{tag}: {}", self.what)
    }
}

/// The surface drift of every provider's generated client between the git
/// revision `rev` and the working tree of the repository at `root`, as
/// Markdown for a pull request: a summary table, then each change.
pub fn since(root: &std::path::Path, rev: &str) -> Result<String, crate::Error> {
    let fail = |message: String| crate::Error {
        target: "drift".into(),
        message,
    };
    let mut rows = Vec::new();
    let mut details = String::new();
    for target in crate::provider_targets(root)? {
        let name = &target.name;
        let path = crate::slash(&target.output);
        let now = std::fs::read_to_string(root.join(&target.output))
            .map_err(|e| fail(format!("{path}: {e}")))?;
        let now = Surface::from_source(&now).map_err(|e| fail(format!("{path}: {e}")))?;
        // A provider new since `rev` had no surface then: everything is added.
        let then = match git_show(root, rev, &path).map_err(fail)? {
            Some(old) => {
                Surface::from_source(&old).map_err(|e| fail(format!("{rev}:{path}: {e}")))?
            }
            None => Surface::default(),
        };
        let changes = diff(&then, &now);
        let breaking = changes.iter().filter(|c| c.breaking).count();
        rows.push(format!(
            "| `{name}` | {breaking} | {} |",
            changes.len() - breaking
        ));
        if !changes.is_empty() {
            details.push_str(&format!("\n### `{name}`\n\n"));
            for change in &changes {
                let tag = if change.breaking {
                    "**BREAKING**"
                } else {
                    "additive"
                };
                details.push_str(&format!("- {tag}: {}\n", change.what));
            }
        }
    }
    let mut out = format!(
        "## Generated client surface since `{rev}`\n\n| provider | breaking | additive |\n|---|---|---|\n{}\n",
        rows.join("\n")
    );
    match details.is_empty() {
        true => out.push_str("\nNo surface changes.\n"),
        false => out.push_str(&details),
    }
    Ok(out)
}

/// `path` as it was at `rev`; `None` when it did not exist there.
fn git_show(root: &std::path::Path, rev: &str, path: &str) -> Result<Option<String>, String> {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
            .map_err(|e| format!("cannot run git: {e}"))
    };
    let resolved = run(&[
        "rev-parse",
        "--verify",
        "--quiet",
        &format!("{rev}^{{commit}}"),
    ])?;
    if !resolved.status.success() {
        return Err(format!("`{rev}` is not a git revision here"));
    }
    let shown = run(&["show", &format!("{rev}:{path}")])?;
    match shown.status.success() {
        true => String::from_utf8(shown.stdout)
            .map(Some)
            .map_err(|_| format!("{rev}:{path} is not UTF-8")),
        false => Ok(None),
    }
}
