//! Rule `openapi-3.1`: down-convert an OpenAPI 3.1 document to 3.0.3.
//!
//! progenitor accepts only 3.0.x. The conversions are the ones FastAPI-style
//! 3.1 documents need; anything else 3.1 can say fails loudly, naming the
//! keyword and where it is, so nothing is silently lost.

use serde_json::{Map, Value, json};

use super::walk::walk_document;
use super::{NormaliseError, Notes, fail};

const RULE: &str = "openapi-3.1";

/// JSON Schema 2020-12 keywords with no OpenAPI 3.0 equivalent.
const UNSUPPORTED: [&str; 19] = [
    "$defs",
    "$id",
    "$schema",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "prefixItems",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "patternProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "minContains",
    "maxContains",
    "propertyNames",
];

/// Annotations 3.0 does not know and that change no generated type.
const DROPPED_ANNOTATIONS: [&str; 4] = [
    "$comment",
    "contentMediaType",
    "contentEncoding",
    "contentSchema",
];

/// Siblings of `$ref` that 3.1 allows and 3.0 ignores; they only annotate.
const REF_ANNOTATIONS: [&str; 7] = [
    "description",
    "title",
    "summary",
    "deprecated",
    "readOnly",
    "writeOnly",
    "example",
];

pub(super) fn downconvert(doc: &mut Value, notes: &mut Notes) -> Result<(), NormaliseError> {
    let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
    if version.starts_with("3.0.") {
        return Ok(());
    }
    if !version.starts_with("3.1.") {
        return Err(fail(
            RULE,
            "/openapi",
            format!("unsupported OpenAPI version `{version}`"),
        ));
    }
    notes.add(RULE, "/openapi", format!("{version} → 3.0.3"));
    doc["openapi"] = json!("3.0.3");
    let root = doc
        .as_object_mut()
        .expect("an OpenAPI document is an object");
    root.remove("jsonSchemaDialect");
    if root
        .get("webhooks")
        .is_some_and(|w| w.as_object().is_some_and(|w| !w.is_empty()))
    {
        return Err(fail(
            RULE,
            "/webhooks",
            "webhooks have no OpenAPI 3.0 equivalent",
        ));
    }
    root.remove("webhooks");
    root.entry("paths").or_insert_with(|| json!({}));
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }
    if doc.pointer("/components/pathItems").is_some() {
        return Err(fail(
            RULE,
            "/components/pathItems",
            "path items in components are 3.1-only",
        ));
    }
    walk_document(doc, |_, _| true, &mut |schema, at| {
        convert_schema(schema, at, notes)
    })
}

fn convert_schema(
    s: &mut Map<String, Value>,
    at: &str,
    notes: &mut Notes,
) -> Result<(), NormaliseError> {
    if let Some(keyword) = UNSUPPORTED.iter().find(|k| s.contains_key(**k)) {
        return Err(fail(
            RULE,
            at,
            format!(
                "JSON Schema keyword `{keyword}` has no OpenAPI 3.0 equivalent; rewrite it in the overlay"
            ),
        ));
    }
    for key in DROPPED_ANNOTATIONS {
        if s.remove(key).is_some() {
            notes.add(RULE, at, format!("dropped annotation `{key}`"));
        }
    }
    type_list(s, at, notes)?;
    null_branches(s, at, notes)?;
    if let Some(value) = s.remove("const") {
        if s.contains_key("enum") {
            return Err(fail(RULE, at, "both `const` and `enum`"));
        }
        s.insert("enum".into(), json!([value]));
        notes.add(RULE, at, "const → one-value enum");
    }
    if let Some(examples) = s.remove("examples") {
        if let (false, Some(first)) = (
            s.contains_key("example"),
            examples.as_array().and_then(|e| e.first()),
        ) {
            s.insert("example".into(), first.clone());
        }
        notes.add(RULE, at, "examples → example");
    }
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(n) = s.get(exclusive).filter(|v| v.is_number()).cloned() {
            s.insert(bound.into(), n);
            s.insert(exclusive.into(), json!(true));
            notes.add(
                RULE,
                at,
                format!("numeric {exclusive} → {bound} + boolean {exclusive}"),
            );
        }
    }
    if s.contains_key("$ref") && s.len() > 1 {
        let other = s
            .keys()
            .find(|k| *k != "$ref" && !REF_ANNOTATIONS.contains(&k.as_str()));
        if let Some(other) = other {
            return Err(fail(
                RULE,
                at,
                format!("`$ref` with sibling `{other}` has no 3.0 meaning"),
            ));
        }
        s.retain(|k, _| k == "$ref");
        notes.add(
            RULE,
            at,
            "dropped annotations beside `$ref` (3.0 ignores them)",
        );
    }
    Ok(())
}

/// `type: [X, "null"]` → `type: X, nullable: true`.
fn type_list(
    s: &mut Map<String, Value>,
    at: &str,
    notes: &mut Notes,
) -> Result<(), NormaliseError> {
    match s.get("type") {
        Some(Value::Array(types)) => {
            let nullable = types.iter().any(|t| t == "null");
            let rest: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
            let [only] = rest.as_slice() else {
                return Err(fail(
                    RULE,
                    at,
                    format!(
                        "`type: {}` cannot be said in 3.0",
                        Value::Array(types.clone())
                    ),
                ));
            };
            s.insert("type".into(), only.clone());
            if nullable {
                s.insert("nullable".into(), json!(true));
            }
            notes.add(RULE, at, "type list → single type + nullable");
        }
        Some(t) if t == "null" => {
            return Err(fail(
                RULE,
                at,
                "a schema of `type: null` alone cannot be said in 3.0",
            ));
        }
        _ => {}
    }
    Ok(())
}

/// `anyOf`/`oneOf` with a `{type: null}` branch → the other branch + `nullable`.
fn null_branches(
    s: &mut Map<String, Value>,
    at: &str,
    notes: &mut Notes,
) -> Result<(), NormaliseError> {
    for key in ["anyOf", "oneOf"] {
        let Some(Value::Array(branches)) = s.get(key) else {
            continue;
        };
        let is_null = |b: &Value| b.get("type").is_some_and(|t| t == "null");
        if !branches.iter().any(is_null) {
            continue;
        }
        let mut rest: Vec<Value> = branches.iter().filter(|b| !is_null(b)).cloned().collect();
        s.insert("nullable".into(), json!(true));
        if rest.len() == 1 {
            s.remove(key);
            let only = rest.remove(0);
            if only.get("$ref").is_some() {
                if s.contains_key("allOf") {
                    return Err(fail(
                        RULE,
                        at,
                        format!("`{key}` of a `$ref` and null beside an `allOf`"),
                    ));
                }
                s.insert("allOf".into(), json!([only]));
            } else if let Value::Object(only) = only {
                for (k, v) in only {
                    s.entry(k).or_insert(v);
                }
            }
        } else {
            s.insert(key.into(), Value::Array(rest));
        }
        notes.add(RULE, at, format!("{key} with a null branch → nullable"));
    }
    Ok(())
}
