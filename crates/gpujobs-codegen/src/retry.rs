//! Whether an operation may be sent again, declared in the spec.
//!
//! An operation's retry rule is its `x-gpujobs-retry` extension (usually set
//! in the overlay), or, without one, what its HTTP method promises:
//!
//! | `x-gpujobs-retry` | meaning |
//! |---|---|
//! | (absent) | GET, HEAD, PUT, DELETE, OPTIONS: `safe`; POST, PATCH: `never` |
//! | `safe` | repeating it does nothing twice (stopping a job that is stopping) |
//! | `never` | it may act twice (creating a job): sent again only if it never reached the server |
//! | `{idempotency-key: FIELD}` | the provider refuses a second request with the same `FIELD`, a **required** property of the JSON request body, so every request carries one |
//!
//! The rules are checked here, at regen (an idempotency key the request body
//! does not have, or does not require, fails with the operation and field
//! named), and written into each generated client's `ENDPOINTS` table as
//! `gpujobs_runtime::Retry` values, which the runtime reads. The surface
//! snapshot shows them, so a review sees every change.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// The extension's name.
pub const EXTENSION: &str = "x-gpujobs-retry";

/// An operation's retry rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Repeating it does nothing twice.
    Safe,
    /// It may act twice: never blindly repeated.
    Never,
    /// Safe because of this required request body field.
    IdempotencyKey(String),
}

impl fmt::Display for Retry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Safe => f.write_str("safe"),
            Self::Never => f.write_str("never"),
            Self::IdempotencyKey(field) => write!(f, "key:{field}"),
        }
    }
}

impl Retry {
    /// Reads the rule back from its [`Display`](fmt::Display) form (as the surface shows it).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "safe" => Some(Self::Safe),
            "never" => Some(Self::Never),
            _ => text
                .strip_prefix("key:")
                .map(|f| Self::IdempotencyKey(f.to_owned())),
        }
    }

    /// The `gpujobs_runtime::Retry` expression for the generated table.
    pub fn tokens(&self) -> proc_macro2::TokenStream {
        match self {
            Self::Safe => quote::quote!(gpujobs_runtime::Retry::Safe),
            Self::Never => quote::quote!(gpujobs_runtime::Retry::Never),
            Self::IdempotencyKey(field) => {
                quote::quote!(gpujobs_runtime::Retry::IdempotencyKey(#field))
            }
        }
    }
}

/// Every operation's rule, by upper-case method and path, checked against its request body.
pub fn rules(spec: &Value) -> Result<BTreeMap<(String, String), Retry>, String> {
    let mut rules = BTreeMap::new();
    let paths = spec.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let method = method.to_ascii_uppercase();
            if !["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "POST", "PATCH"]
                .contains(&method.as_str())
            {
                continue;
            }
            let name = op
                .get("operationId")
                .and_then(Value::as_str)
                .map_or_else(|| format!("{method} {path}"), str::to_owned);
            let declared = declared(spec, op).map_err(|e| format!("operation {name}: {e}"))?;
            let rule = by_method(&method, declared);
            rules.insert((method, path.clone()), rule);
        }
    }
    Ok(rules)
}

fn declared(spec: &Value, op: &Value) -> Result<Option<Retry>, String> {
    Ok(match op.get(EXTENSION) {
        None => None,
        Some(Value::String(s)) if s == "safe" => Some(Retry::Safe),
        Some(Value::String(s)) if s == "never" => Some(Retry::Never),
        Some(Value::Object(map)) if map.len() == 1 && map.contains_key("idempotency-key") => {
            let field = map["idempotency-key"]
                .as_str()
                .ok_or(format!("{EXTENSION}: idempotency-key must name a field"))?;
            check_key(spec, op, field)?;
            Some(Retry::IdempotencyKey(field.to_owned()))
        }
        Some(other) => {
            return Err(format!(
                "{EXTENSION} is `safe`, `never` or {{idempotency-key: FIELD}}, not {other}"
            ));
        }
    })
}

/// The idempotency key must be a required property of the JSON request body.
fn check_key(spec: &Value, op: &Value, field: &str) -> Result<(), String> {
    let schema = op
        .pointer("/requestBody/content/application~1json/schema")
        .map(|s| resolve(spec, s))
        .ok_or(format!(
            "{EXTENSION} names the idempotency key `{field}`, but the operation has no JSON request body"
        ))?;
    if schema.pointer(&format!("/properties/{field}")).is_none() {
        return Err(format!(
            "{EXTENSION} names the idempotency key `{field}`, which the request body does not have"
        ));
    }
    let required = schema.get("required").and_then(Value::as_array);
    if !required.into_iter().flatten().any(|r| r == field) {
        return Err(format!(
            "{EXTENSION} names the idempotency key `{field}`, which the request body does not require \
             (make it required, so every request carries one)"
        ));
    }
    Ok(())
}

/// Follows a local `$ref` (one level is all our specs use for request bodies).
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|pointer| spec.pointer(pointer))
        .unwrap_or(schema)
}

/// What an operation's method promises when it declares nothing.
fn by_method(method: &str, declared: Option<Retry>) -> Retry {
    match declared {
        Some(rule) => rule,
        None if ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(&method) => Retry::Safe,
        None => Retry::Never,
    }
}
