//! A spec's operations as flat field lists, to compare versions of one API
//! whose schemas are named per version (`v0.0.40_job_info`,
//! `v0.0.42_job_info`) or inlined: what each operation sends and answers,
//! field by field (`jobs[].exit_code.return_code.number: integer/int64`),
//! with every `$ref` followed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// How deep nested schemas are followed (recursive schemas stop here).
const MAX_DEPTH: usize = 12;

/// An operation's fields: `"<- field"` for its JSON request body, `"-> field"`
/// for its 200 answer, `"?name"` for a parameter; each with a type summary.
pub type Fields = BTreeMap<String, String>;

/// Every operation of `spec`, keyed `METHOD /path` with the API version in the
/// path written `{v}` (so `/slurm/v0.0.40/jobs/` and `/slurm/v0.0.42/jobs/` match).
pub fn operations(spec: &Value, version: &str) -> BTreeMap<String, Fields> {
    let mut out = BTreeMap::new();
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            if !["get", "put", "post", "delete", "patch"].contains(&method.as_str()) {
                continue;
            }
            let mut fields = Fields::new();
            for parameter in op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = parameter.get("name").and_then(Value::as_str).unwrap_or("?");
                let schema = parameter.get("schema").cloned().unwrap_or_default();
                fields.insert(format!("?{name}"), summary(&schema));
            }
            let body = op.pointer("/requestBody/content/application~1json/schema");
            if let Some(schema) = body {
                flatten(spec, schema, "<- ", &mut fields, 0, &mut BTreeSet::new());
            }
            if let Some(schema) = op.pointer("/responses/200/content/application~1json/schema") {
                flatten(spec, schema, "-> ", &mut fields, 0, &mut BTreeSet::new());
            }
            let key = format!("{} {}", method.to_uppercase(), path.replace(version, "{v}"));
            out.insert(key, fields);
        }
    }
    out
}

/// `node`'s fields below `at` into `out`, following references (`seen`: the
/// ones being followed, so a recursive schema ends).
fn flatten(
    spec: &Value,
    node: &Value,
    at: &str,
    out: &mut Fields,
    depth: usize,
    seen: &mut BTreeSet<String>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(target) = node.get("$ref").and_then(Value::as_str) {
        if !seen.insert(target.to_owned()) {
            out.insert(at.to_owned(), "(recursive)".into());
            return;
        }
        if let Some(resolved) = spec.pointer(target.trim_start_matches('#')) {
            flatten(spec, resolved, at, out, depth + 1, seen);
        }
        seen.remove(target);
        return;
    }
    let join = |name: &str| match at.ends_with(' ') {
        true => format!("{at}{name}"),
        false => format!("{at}.{name}"),
    };
    match node.get("type").and_then(Value::as_str) {
        Some("object") | None if node.get("properties").is_some() => {
            out.insert(at.trim_end().to_owned(), "object".into());
            for (name, property) in node["properties"].as_object().into_iter().flatten() {
                flatten(spec, property, &join(name), out, depth + 1, seen);
            }
        }
        Some("array") => {
            out.insert(at.trim_end().to_owned(), "array".into());
            let items = node.get("items").cloned().unwrap_or_default();
            flatten(
                spec,
                &items,
                &format!("{}[]", at.trim_end()),
                out,
                depth + 1,
                seen,
            );
        }
        _ => {
            out.insert(at.trim_end().to_owned(), summary(node));
        }
    }
}

/// A leaf schema in a few words: `integer/int64`, `string enum [A, B]`.
fn summary(schema: &Value) -> String {
    let kind = schema.get("type").and_then(Value::as_str).unwrap_or("any");
    let mut text = match schema.get("format").and_then(Value::as_str) {
        Some(format) => format!("{kind}/{format}"),
        None => kind.to_owned(),
    };
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let mut values: Vec<&str> = values.iter().filter_map(Value::as_str).collect();
        values.sort_unstable();
        text.push_str(&format!(" enum [{}]", values.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn operations_are_flattened_through_references_with_the_version_taken_out() {
        let spec = json!({
            "paths": { "/api/v1/jobs": { "get": {
                "parameters": [{ "name": "limit", "in": "query", "schema": { "type": "integer", "format": "int32" } }],
                "responses": { "200": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/List" } } } } } } } },
            "components": { "schemas": {
                "List": { "type": "object", "properties": { "jobs": { "type": "array", "items": { "$ref": "#/components/schemas/Job" } } } },
                "Job": { "type": "object", "properties": {
                    "state": { "type": "string", "enum": ["B", "A"] },
                    "parent": { "$ref": "#/components/schemas/Job" } } }
            } }
        });
        let ops = operations(&spec, "v1");
        let fields = &ops["GET /api/{v}/jobs"];
        assert_eq!(fields["?limit"], "integer/int32");
        assert_eq!(fields["-> jobs[].state"], "string enum [A, B]");
        assert_eq!(fields["-> jobs[].parent"], "(recursive)");
    }
}
