//! A small implementation of OpenAPI Overlay 1.1.
//!
//! An overlay is a list of actions, each with a JSONPath `target` and one of
//! `update` (merged into every matched node), `copy` (a JSONPath naming one
//! node, merged into every matched node as an `update` would be; what renames a
//! path) or `remove: true`. We require a
//! `description` on every action: it is the reason for the edit, so a reader
//! can see exactly how and why our spec differs from upstream. An action whose
//! target matches nothing is an error, so an upstream change that moves what
//! we patch cannot go unnoticed.
//!
//! Merge rules: objects merge key by key, recursively; an update to an array
//! appends (an array update appends each element); anything else is replaced.

use serde_json::{Map, Value};
use serde_json_path::JsonPath;

/// Why an overlay could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum OverlayError {
    /// The overlay document is not of the expected shape.
    #[error("overlay is malformed: {0}")]
    Malformed(String),
    /// An action has no `description` (its reason).
    #[error(
        "overlay action {index} (target `{target}`) has no description: every edit needs a reason"
    )]
    NoReason {
        /// Position of the action, from 0.
        index: usize,
        /// Its JSONPath target.
        target: String,
    },
    /// An action's target is not valid JSONPath.
    #[error("overlay action {index}: invalid JSONPath `{target}`: {message}")]
    BadTarget {
        /// Position of the action, from 0.
        index: usize,
        /// Its JSONPath target.
        target: String,
        /// What the JSONPath parser said.
        message: String,
    },
    /// An action's `copy` does not select exactly one node.
    #[error(
        "overlay action {index}: `copy` `{source_path}` must select exactly one node, not {found}"
    )]
    BadCopy {
        /// Position of the action, from 0.
        index: usize,
        /// Its `copy` JSONPath.
        source_path: String,
        /// How many nodes it selected.
        found: usize,
    },
    /// An action's target selects nothing in the spec.
    #[error("overlay action {index} (target `{target}`) matched nothing in the spec")]
    NoMatch {
        /// Position of the action, from 0.
        index: usize,
        /// Its JSONPath target.
        target: String,
    },
}

/// Applies `overlay` to `spec` in place.
pub fn apply(spec: &mut Value, overlay: &Value) -> Result<(), OverlayError> {
    if overlay.get("overlay").and_then(Value::as_str).is_none() {
        return Err(OverlayError::Malformed(
            "missing `overlay: 1.0.0` version".into(),
        ));
    }
    let actions = match overlay.get("actions") {
        Some(Value::Array(actions)) => actions,
        None => return Ok(()),
        Some(_) => return Err(OverlayError::Malformed("`actions` is not a list".into())),
    };
    for (index, action) in actions.iter().enumerate() {
        apply_action(spec, index, action)?;
    }
    Ok(())
}

fn apply_action(spec: &mut Value, index: usize, action: &Value) -> Result<(), OverlayError> {
    let target = action
        .get("target")
        .and_then(Value::as_str)
        .ok_or_else(|| OverlayError::Malformed(format!("action {index} has no `target`")))?
        .to_owned();
    let has_reason = action
        .get("description")
        .and_then(Value::as_str)
        .is_some_and(|d| !d.trim().is_empty());
    if !has_reason {
        return Err(OverlayError::NoReason { index, target });
    }
    let path = JsonPath::parse(&target).map_err(|e| OverlayError::BadTarget {
        index,
        target: target.clone(),
        message: e.to_string(),
    })?;
    let pointers: Vec<String> = path
        .query_located(spec)
        .locations()
        .map(|loc| loc.to_json_pointer())
        .collect();
    if pointers.is_empty() {
        return Err(OverlayError::NoMatch { index, target });
    }
    let remove = action.get("remove").and_then(Value::as_bool) == Some(true);
    let copied = match action.get("copy").map(|c| copied(spec, index, c)) {
        Some(found) => Some(found?),
        None => None,
    };
    match (remove, action.get("update").or(copied.as_ref())) {
        (true, None) => {
            // Remove from the last match backwards so array indices stay valid.
            for pointer in pointers.iter().rev() {
                remove_at(spec, pointer);
            }
        }
        (false, Some(update)) if action.get("update").is_none() || copied.is_none() => {
            for pointer in &pointers {
                if let Some(node) = spec.pointer_mut(pointer) {
                    merge(node, update);
                }
            }
        }
        _ => {
            return Err(OverlayError::Malformed(format!(
                "action {index} must have exactly one of `update`, `copy` or `remove: true`"
            )));
        }
    }
    Ok(())
}

/// The one node a `copy` action's JSONPath selects.
fn copied(spec: &Value, index: usize, source: &Value) -> Result<Value, OverlayError> {
    let source_path = source.as_str().unwrap_or_default().to_owned();
    let path = JsonPath::parse(&source_path).map_err(|e| OverlayError::BadTarget {
        index,
        target: source_path.clone(),
        message: e.to_string(),
    })?;
    match path.query(spec).all().as_slice() {
        [one] => Ok((*one).clone()),
        found => Err(OverlayError::BadCopy {
            index,
            source_path,
            found: found.len(),
        }),
    }
}

/// Merges `update` into `node` (see the module docs for the rules).
fn merge(node: &mut Value, update: &Value) {
    match (node, update) {
        (Value::Object(node), Value::Object(update)) => merge_objects(node, update),
        (Value::Array(node), Value::Array(update)) => node.extend(update.iter().cloned()),
        (Value::Array(node), update) => node.push(update.clone()),
        (node, update) => *node = update.clone(),
    }
}

fn merge_objects(node: &mut Map<String, Value>, update: &Map<String, Value>) {
    for (key, value) in update {
        match node.get_mut(key) {
            Some(existing @ Value::Object(_)) if value.is_object() => merge(existing, value),
            _ => {
                node.insert(key.clone(), value.clone());
            }
        }
    }
}

fn remove_at(spec: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let key = last.replace("~1", "/").replace("~0", "~");
    match spec.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.remove(&key);
        }
        Some(Value::Array(items)) => {
            if let Ok(i) = key.parse::<usize>()
                && i < items.len()
            {
                items.remove(i);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn overlay(actions: Value) -> Value {
        json!({ "overlay": "1.0.0", "info": { "title": "t", "version": "1" }, "actions": actions })
    }

    #[test]
    fn update_merges_recursively_and_appends_to_arrays() {
        let mut spec = json!({ "paths": { "/a": { "get": { "tags": ["x"], "summary": "s" } } } });
        let o = overlay(json!([
            { "target": "$.paths['/a'].get", "description": "name it",
              "update": { "operationId": "get_a", "summary": "new" } },
            { "target": "$.paths['/a'].get.tags", "description": "tag it", "update": "y" },
        ]));
        apply(&mut spec, &o).unwrap();
        assert_eq!(
            spec,
            json!({ "paths": { "/a": { "get": {
                "tags": ["x", "y"], "summary": "new", "operationId": "get_a" } } } })
        );
    }

    #[test]
    fn remove_deletes_every_match() {
        let mut spec = json!({ "p": [ { "in": "header" }, { "in": "path" }, { "in": "header" } ] });
        let o = overlay(json!([
            { "target": "$.p[?@.in == 'header']", "description": "auth is client-level", "remove": true }
        ]));
        apply(&mut spec, &o).unwrap();
        assert_eq!(spec, json!({ "p": [ { "in": "path" } ] }));
    }

    #[test]
    fn copy_merges_one_node_into_the_target_so_a_path_can_be_renamed() {
        let mut spec = json!({ "paths": { "/v1/a": { "get": { "operationId": "a" } } } });
        let o = overlay(json!([
            { "target": "$.paths", "description": "new key", "update": { "/{v}/a": {} } },
            { "target": "$.paths['/{v}/a']", "description": "its value", "copy": "$.paths['/v1/a']" },
            { "target": "$.paths['/v1/a']", "description": "old key", "remove": true },
        ]));
        apply(&mut spec, &o).unwrap();
        assert_eq!(
            spec,
            json!({ "paths": { "/{v}/a": { "get": { "operationId": "a" } } } })
        );

        let mut spec = json!({ "a": 1, "b": 2 });
        let twice = overlay(json!([{ "target": "$.a", "description": "x", "copy": "$.*" }]));
        let err = apply(&mut spec, &twice).unwrap_err();
        assert!(
            matches!(err, OverlayError::BadCopy { found: 2, .. }),
            "{err}"
        );
        let both =
            overlay(json!([{ "target": "$.a", "description": "x", "copy": "$.b", "update": 3 }]));
        assert!(matches!(
            apply(&mut spec, &both),
            Err(OverlayError::Malformed(_))
        ));
    }

    #[test]
    fn an_action_without_a_reason_is_refused() {
        let mut spec = json!({ "a": 1 });
        let o = overlay(json!([{ "target": "$.a", "update": 2 }]));
        let err = apply(&mut spec, &o).unwrap_err();
        assert!(
            matches!(err, OverlayError::NoReason { index: 0, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_target_that_matches_nothing_is_an_error() {
        let mut spec = json!({ "a": 1 });
        let o = overlay(json!([{ "target": "$.b", "description": "x", "update": 2 }]));
        let err = apply(&mut spec, &o).unwrap_err();
        assert_eq!(
            err.to_string(),
            "overlay action 0 (target `$.b`) matched nothing in the spec"
        );
    }
}
