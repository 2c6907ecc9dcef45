//! Trimming a served spec to the endpoints a client uses: the kept paths,
//! and of the components only what they refer to, directly or not.
//!
//! slurmrestd serves one document for everything it loaded (0.66 MB for Slurm
//! 24.11 with three API versions); a version's folder in `specs/` keeps only
//! its job endpoints, named on the `Keep:` lines of its `SOURCE.md`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// `spec` with only the paths in `keep` (each must be there) and the
/// components they refer to; everything outside `paths` and `components`
/// (`openapi`, `info`, `servers`, `security`, …) is kept as it is.
pub fn keep_paths(spec: &Value, keep: &[&str]) -> Result<Value, String> {
    let paths = spec
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("the spec has no `paths`")?;
    let mut kept = Map::new();
    for path in keep {
        let item = paths
            .get(*path)
            .ok_or_else(|| format!("the spec has no path `{path}`"))?;
        kept.insert((*path).to_owned(), item.clone());
    }
    let mut out = spec.clone();
    out["paths"] = Value::Object(kept.clone());
    let Some(components) = spec.get("components").and_then(Value::as_object) else {
        return Ok(out);
    };
    // Follow `#/components/<section>/<name>` references until nothing new turns up.
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    let mut todo = Vec::new();
    refs(&Value::Object(kept), &mut todo);
    // Security schemes are named by `security`, not referred to.
    if let Some(schemes) = components.get("securitySchemes").and_then(Value::as_object) {
        todo.extend(
            schemes
                .keys()
                .map(|name| ("securitySchemes".to_owned(), name.clone())),
        );
    }
    while let Some(reference) = todo.pop() {
        if !wanted.insert(reference.clone()) {
            continue;
        }
        let (section, name) = &reference;
        let node = components
            .get(section)
            .and_then(|s| s.get(name))
            .ok_or_else(|| {
                format!("`#/components/{section}/{name}` is referred to but not defined")
            })?;
        refs(node, &mut todo);
    }
    let mut trimmed = Map::new();
    for (section, name) in wanted {
        let entries = trimmed
            .entry(section.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        entries[&name] = components[&section][&name].clone();
    }
    out["components"] = Value::Object(trimmed);
    Ok(out)
}

/// Every local component reference under `node`, as (section, name).
fn refs(node: &Value, found: &mut Vec<(String, String)>) {
    match node {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => {
                        let mut parts = target.trim_start_matches("#/components/").splitn(2, '/');
                        if let (true, Some(section), Some(name)) = (
                            target.starts_with("#/components/"),
                            parts.next(),
                            parts.next(),
                        ) {
                            found.push((
                                section.to_owned(),
                                name.replace("~1", "/").replace("~0", "~"),
                            ));
                        }
                    }
                    _ => refs(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_the_kept_paths_and_what_they_refer_to_remain() {
        let spec = json!({
            "openapi": "3.0.3", "info": { "version": "Slurm-24.11.5" },
            "paths": {
                "/a": { "get": { "responses": { "200": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/A" } } } } } } },
                "/b": { "get": { "responses": { "200": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/B" } } } } } } }
            },
            "components": {
                "schemas": {
                    "A": { "properties": { "c": { "$ref": "#/components/schemas/C" } } },
                    "B": { "type": "string" },
                    "C": { "type": "array", "items": { "$ref": "#/components/schemas/A" } }
                },
                "securitySchemes": { "token": { "type": "apiKey" } }
            }
        });
        let trimmed = keep_paths(&spec, &["/a"]).unwrap();
        assert_eq!(trimmed["info"], spec["info"]);
        assert_eq!(trimmed["paths"].as_object().unwrap().len(), 1);
        let schemas: Vec<&String> = trimmed["components"]["schemas"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(schemas, ["A", "C"]);
        assert_eq!(
            trimmed["components"]["securitySchemes"],
            spec["components"]["securitySchemes"]
        );
        assert!(
            keep_paths(&spec, &["/missing"])
                .unwrap_err()
                .contains("/missing")
        );
    }
}
