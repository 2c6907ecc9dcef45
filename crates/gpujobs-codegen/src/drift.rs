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
pub fn since(root: &std::path::Path, rev: &str) -> Result<String, crate::targets::Error> {
    let fail = |message: String| crate::targets::Error {
        target: "drift".into(),
        message,
    };
    let mut rows = Vec::new();
    let mut details = String::new();
    for target in crate::targets::provider_targets(root)? {
        let name = &target.name;
        let path = crate::targets::slash(&target.output);
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

/// What differs between each version of `provider`'s API and the next, for the
/// operations both serve, field by field (`cargo xtask drift-versions PROVIDER`),
/// as Markdown: the evidence for generating versions together or apart.
///
/// A field removed or changed is breaking for a client of the older version
/// reading the newer one (or the other way round); an added one is additive.
/// Changes of integer width alone are listed on one line.
pub fn between_versions(
    root: &std::path::Path,
    provider: &str,
) -> Result<String, crate::targets::Error> {
    let fail = |message: String| crate::targets::Error {
        target: provider.to_owned(),
        message,
    };
    let versions = crate::targets::versions(root, provider)?;
    if versions.len() < 2 {
        return Err(fail(format!(
            "specs/{provider}/ keeps no versions to compare"
        )));
    }
    let mut loaded = Vec::new();
    for version in &versions {
        let text = std::fs::read_to_string(root.join(&version.spec))
            .map_err(|e| fail(format!("{}: {e}", version.spec.display())))?;
        let spec = crate::load::parse(&version.spec, &text).map_err(fail)?;
        loaded.push((
            version.name.clone(),
            crate::fields::operations(&spec, &version.name),
        ));
    }
    let mut out =
        format!("# `{provider}`: what each API version changes, for the operations both serve\n");
    for pair in loaded.windows(2) {
        let ((old_name, old), (new_name, new)) = (&pair[0], &pair[1]);
        out.push_str(&format!("\n## {old_name} → {new_name}\n\n"));
        let common: Vec<&String> = old.keys().filter(|k| new.contains_key(*k)).collect();
        if common.is_empty() {
            out.push_str("No operation in common: different APIs.\n");
            continue;
        }
        let only = |a: &BTreeMap<String, crate::fields::Fields>,
                    b: &BTreeMap<String, crate::fields::Fields>| {
            a.keys()
                .filter(|k| !b.contains_key(*k))
                .cloned()
                .collect::<Vec<_>>()
        };
        // field → (what, operations)
        let mut found: BTreeMap<(u8, String, String), Vec<String>> = BTreeMap::new();
        for key in &common {
            let (a, b) = (&old[*key], &new[*key]);
            for (field, was) in a {
                let change = match b.get(field) {
                    None => (0, field.clone(), format!("removed (was {was})")),
                    Some(now)
                        if now != was
                            && enum_values(was).is_some()
                            && enum_values(now).is_some() =>
                    {
                        let (before, after) = (
                            enum_values(was).unwrap_or_default(),
                            enum_values(now).unwrap_or_default(),
                        );
                        let gone: Vec<&str> = before
                            .iter()
                            .filter(|v| !after.contains(v))
                            .copied()
                            .collect();
                        let new: Vec<&str> = after
                            .iter()
                            .filter(|v| !before.contains(v))
                            .copied()
                            .collect();
                        let mut what = String::from("values");
                        if !new.is_empty() {
                            what.push_str(&format!(" + {}", new.join(", ")));
                        }
                        if !gone.is_empty() {
                            what.push_str(&format!(" − {}", gone.join(", ")));
                        }
                        (if gone.is_empty() { 3 } else { 1 }, field.clone(), what)
                    }
                    Some(now) if now != was && width_only(was, now) => {
                        (2, field.clone(), format!("{was} → {now}"))
                    }
                    Some(now) if now != was => (1, field.clone(), format!("{was} → {now}")),
                    Some(_) => continue,
                };
                found.entry(change).or_default().push((*key).clone());
            }
            for (field, now) in b.iter().filter(|(f, _)| !a.contains_key(*f)) {
                found
                    .entry((3, field.clone(), format!("added ({now})")))
                    .or_default()
                    .push((*key).clone());
            }
        }
        let count = |kind: u8| found.keys().filter(|(k, _, _)| *k == kind).count();
        out.push_str(&format!(
            "{} operations in common; fields: {} removed, {} changed, {} changed in integer width only, {} added.\n",
            common.len(),
            count(0),
            count(1),
            count(2),
            count(3)
        ));
        for (name, ops) in [
            ("only in the older", only(old, new)),
            ("only in the newer", only(new, old)),
        ] {
            if !ops.is_empty() {
                out.push_str(&format!("Operations {name}: {}.\n", ops.join(", ")));
            }
        }
        out.push('\n');
        let widths: Vec<&String> = found
            .keys()
            .filter(|(k, _, _)| *k == 2)
            .map(|(_, f, _)| f)
            .collect();
        for ((kind, field, what), ops) in &found {
            if *kind == 2 {
                continue;
            }
            let tag = if *kind == 3 {
                "additive"
            } else {
                "**BREAKING**"
            };
            out.push_str(&format!("- {tag}: `{field}` {what} — {}\n", ops.join(", ")));
        }
        if !widths.is_empty() {
            let mut names: Vec<&str> = widths.iter().map(|f| f.as_str()).collect();
            names.dedup();
            out.push_str(&format!(
                "- integer width only: {}\n",
                names
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok(out)
}

/// The values of an enum's summary (`string enum [A, B]`), if it is one.
fn enum_values(summary: &str) -> Option<Vec<&str>> {
    let list = summary.split_once(" enum [")?.1.strip_suffix(']')?;
    Some(list.split(", ").collect())
}

/// Whether two leaf summaries differ only in the integer's width.
fn width_only(was: &str, now: &str) -> bool {
    let plain = |s: &str| s.replace("/int32", "").replace("/int64", "");
    was.starts_with("integer") && now.starts_with("integer") && plain(was) == plain(now)
}

use std::collections::BTreeMap;
