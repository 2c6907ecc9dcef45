//! Rule `open-responses`: a new provider value or field never fails a decode.
//!
//! In every schema a response can reach (directly or through `$ref`):
//! - `enum` lists are removed (the type becomes a plain string or number, and
//!   the known values move into the description), so a new status value
//!   decodes instead of failing the whole `get`;
//! - `additionalProperties: false` is removed, so a new field is ignored.
//!
//! Request-only schemas keep their enums: there they catch our own mistakes.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::Notes;
use super::walk::{Place, schema_roots, walk_document};

const RULE: &str = "open-responses";
const COMPONENT: &str = "/components/schemas/";

pub(super) fn open_responses(doc: &mut Value, notes: &mut Notes) {
    let reachable = reachable_from_responses(doc);
    let wanted = |pointer: &str, place: Place| match place {
        Place::Response => true,
        Place::Component => component_name(pointer).is_some_and(|n| reachable.contains(n)),
        Place::Request => false,
    };
    let _ = walk_document::<()>(doc, wanted, &mut |schema, at| {
        open(schema, at, notes);
        Ok(())
    });
}

fn open(s: &mut Map<String, Value>, at: &str, notes: &mut Notes) {
    if s.get("additionalProperties") == Some(&Value::Bool(false)) {
        s.remove("additionalProperties");
        notes.add(RULE, at, "dropped additionalProperties: false");
    }
    let scalar = matches!(
        s.get("type").and_then(Value::as_str),
        None | Some("string" | "integer" | "number")
    );
    if scalar && let Some(Value::Array(values)) = s.remove("enum") {
        let known: Vec<String> = values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        let line = format!("Known values: {}. Others may appear.", known.join(", "));
        let description = match s.get("description").and_then(Value::as_str) {
            Some(d) => format!("{d}\n\n{line}"),
            None => line,
        };
        s.insert("description".into(), json!(description));
        if !s.contains_key("type")
            && let Some(first) = values.first()
        {
            let t = if first.is_string() {
                "string"
            } else {
                "number"
            };
            s.insert("type".into(), json!(t));
        }
        notes.add(RULE, at, "opened enum");
    }
}

fn component_name(pointer: &str) -> Option<&str> {
    pointer.strip_prefix(COMPONENT).filter(|n| !n.contains('/'))
}

/// Names of the component schemas any response can reach.
fn reachable_from_responses(doc: &Value) -> BTreeSet<String> {
    let mut todo: Vec<String> = Vec::new();
    for (pointer, place) in schema_roots(doc) {
        if place == Place::Response {
            collect_refs(doc.pointer(&pointer).unwrap_or(&Value::Null), &mut todo);
        }
    }
    let mut seen = BTreeSet::new();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            let schema = doc
                .pointer(&format!("{COMPONENT}{name}"))
                .unwrap_or(&Value::Null);
            collect_refs(schema, &mut todo);
        }
    }
    seen
}

fn collect_refs(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.push(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
