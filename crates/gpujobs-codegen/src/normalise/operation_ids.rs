//! Rule `operation-ids`: every operation gets a unique `operationId`.
//!
//! progenitor refuses operations without one (PPIO's published spec has
//! none). Good names come from the overlay; this rule only fills the gaps,
//! deterministically, from the method and path, so generation never fails
//! for want of a name.

use std::collections::BTreeSet;

use serde_json::Value;

use super::walk::{operation_pointer, operations};
use super::{NormaliseError, Notes, fail};

const RULE: &str = "operation-ids";

pub(super) fn synthesise(doc: &mut Value, notes: &mut Notes) -> Result<(), NormaliseError> {
    let ops = operations(doc);
    let mut taken = BTreeSet::new();
    for (path, method) in &ops {
        if let Some(id) = doc["paths"][path][method]["operationId"].as_str()
            && !taken.insert(id.to_owned())
        {
            let at = operation_pointer(path, method);
            return Err(fail(RULE, &at, format!("duplicate operationId `{id}`")));
        }
    }
    for (path, method) in &ops {
        let op = &mut doc["paths"][path][method];
        if op.get("operationId").is_some() {
            continue;
        }
        let base = name_for(method, path);
        let mut id = base.clone();
        let mut n = 2;
        while !taken.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        notes.add(
            RULE,
            &operation_pointer(path, method),
            format!("synthesised operationId `{id}`"),
        );
        op["operationId"] = Value::String(id);
    }
    Ok(())
}

/// `GET /gpus/v2/jobs/{job_id}` → `get_gpus_v2_jobs_by_job_id`.
fn name_for(method: &str, path: &str) -> String {
    let mut name = method.to_owned();
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        name.push('_');
        let segment = match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => format!("by_{param}"),
            None => segment.to_owned(),
        };
        let mut last_was_sep = false;
        for c in segment.chars() {
            if c.is_ascii_alphanumeric() {
                name.push(c.to_ascii_lowercase());
                last_was_sep = false;
            } else if !last_was_sep {
                name.push('_');
                last_was_sep = true;
            }
        }
    }
    name.trim_end_matches('_').to_owned()
}

#[cfg(test)]
mod tests {
    use super::name_for;

    #[test]
    fn names_come_from_method_and_path() {
        assert_eq!(
            name_for("get", "/gpus/v2/jobs/{job_id}"),
            "get_gpus_v2_jobs_by_job_id"
        );
        assert_eq!(
            name_for("post", "/gpus/v2/jobs/save-image"),
            "post_gpus_v2_jobs_save_image"
        );
        assert_eq!(name_for("get", "/api/jobs/"), "get_api_jobs");
    }
}
