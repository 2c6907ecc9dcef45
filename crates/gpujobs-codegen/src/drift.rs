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
