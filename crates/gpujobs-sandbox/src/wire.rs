//! What the emulators see of a request and give back: the sandbox's own
//! small request and response types, independent of the HTTP server.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::header::HeaderMap;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

/// A request's query: every `name=value` pair in the order sent, decoded.
#[derive(Debug, Default)]
pub(crate) struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(query: &str) -> Self {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        let pairs = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (decode(name), decode(value))
            });
        Self(pairs.collect())
    }

    /// The last value sent for `name` (how most servers read a repeated parameter).
    pub fn get(&self, name: &str) -> Option<&String> {
        self.0.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Every value sent for `name`, in order (`job_id=1&job_id=2`).
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A request, parsed for the provider handlers.
#[derive(Debug)]
pub(crate) struct Req {
    pub method: String,
    /// Path segments below the provider prefix, percent-decoded.
    pub segments: Vec<String>,
    pub query: Query,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    /// The bearer token sent, if any.
    pub fn bearer(&self) -> Option<&str> {
        self.headers
            .get(hyper::header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")
    }

    /// The segments as string slices, for matching.
    pub fn route(&self) -> (&str, Vec<&str>) {
        (
            self.method.as_str(),
            self.segments.iter().map(String::as_str).collect(),
        )
    }
}

/// A response, before faults and encoding.
#[derive(Debug)]
pub(crate) struct Resp {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

impl Resp {
    /// A JSON answer. Secrets are written as they are: this is the wire.
    pub fn json(status: u16, value: &impl Serialize) -> Self {
        let body = gpujobs_runtime::reveal(|| serde_json::to_vec(value)).unwrap_or_default();
        Self {
            status,
            content_type: "application/json",
            body,
            headers: Vec::new(),
        }
    }

    /// A JSON answer with every field of `T` present, as servers that always
    /// send every key do: a field the generated type leaves out when empty is
    /// written as `absent` says (see [`Absent`]).
    pub fn json_every_field<T: Serialize + JsonSchema>(
        status: u16,
        value: &T,
        absent: Absent,
    ) -> Self {
        Self::json(status, &every_field(value, absent))
    }

    /// An answer without a body, as aiohttp's bare `Response()` sends (Ray's
    /// package endpoints).
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            content_type: "application/octet-stream",
            body: Vec::new(),
            headers: Vec::new(),
        }
    }

    /// A plain-text answer.
    pub fn text(status: u16, text: impl Into<String>) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: text.into().into_bytes(),
            headers: Vec::new(),
        }
    }
}

/// `value` as JSON with every field of `T` present (see [`Resp::json_every_field`]).
pub(crate) fn every_field<T: Serialize + JsonSchema>(value: &T, absent: Absent) -> Value {
    let mut json = gpujobs_runtime::reveal(|| serde_json::to_value(value)).unwrap_or_default();
    let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
    fill(&mut json, &schema, &schema, absent);
    json
}

/// A generated type built from the fields given as JSON.
///
/// The emulators build their answers this way rather than as struct literals:
/// the generated type still checks them (a required field missing or a value
/// of the wrong type fails every test that asks), but a field that a spec
/// change adds is simply absent here, so an additive change stays additive
/// (a struct literal would stop compiling: E0063). A key the type does not
/// have is an emulator's mistake, caught in debug builds.
///
/// # Panics
///
/// When `fields` do not make a `T`: the emulator disagrees with its own spec,
/// which the tests exist to catch.
pub(crate) fn typed<T: serde::de::DeserializeOwned + Serialize>(fields: Value) -> T {
    let value = match serde_json::from_value::<T>(fields.clone()) {
        Ok(value) => value,
        Err(e) => panic!(
            "the sandbox built an invalid {}: {e}",
            std::any::type_name::<T>()
        ),
    };
    #[cfg(debug_assertions)]
    {
        let back = gpujobs_runtime::reveal(|| serde_json::to_value(&value)).unwrap_or_default();
        if let Some(key) = unknown_key(&fields, &back) {
            panic!(
                "the sandbox set `{key}`, which {} does not have",
                std::any::type_name::<T>()
            );
        }
    }
    value
}

/// A key of `given` that `built` lost (nested objects and first list items
/// too; not one set to null or to an empty map or list, which generated types
/// leave out when they write).
#[cfg(debug_assertions)]
fn unknown_key(given: &Value, built: &Value) -> Option<String> {
    let empty = |value: &Value| match value {
        Value::Null => true,
        Value::Object(map) => map.is_empty(),
        Value::Array(list) => list.is_empty(),
        _ => false,
    };
    match (given, built) {
        (Value::Object(given), Value::Object(built)) => {
            given.iter().find_map(|(key, value)| match built.get(key) {
                _ if empty(value) => None,
                None => Some(key.clone()),
                Some(found) => unknown_key(value, found).map(|inner| format!("{key}.{inner}")),
            })
        }
        (Value::Array(given), Value::Array(built)) => given
            .first()
            .zip(built.first())
            .and_then(|(g, b)| unknown_key(g, b)),
        _ => None,
    }
}

/// How a server writes a field it has no value for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Absent {
    /// `null` for every field (Python servers such as Ray's). Lists are `[]`.
    Null,
    /// `null` only for fields the spec leaves untyped because the provider's
    /// docs show them as `null` (Matpool); others stay absent. Lists are `[]`.
    DocumentedNull,
    /// The type's zero value: `""`, `0`, `false`, `{}`, `[]` (Go servers without `omitempty`).
    Zero,
}

/// Adds every property of `schema` missing from `value`, recursing into
/// nested objects and list items (`root` holds the `$defs` that `$ref`s name).
fn fill(value: &mut Value, schema: &Value, root: &Value, absent: Absent) {
    let schema = resolve(schema, root);
    match value {
        Value::Object(map) => {
            let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            for (name, declared) in properties {
                let property = resolve(declared, root);
                if !map.contains_key(name) {
                    match nothing(declared, property, absent) {
                        Some(value) => map.insert(name.clone(), value),
                        None => continue,
                    };
                }
                if let Some(field) = map.get_mut(name) {
                    fill(field, property, root, absent);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = schema.get("items") {
                for value in items {
                    fill(value, item, root, absent);
                }
            }
        }
        _ => {}
    }
}

/// The schema a `$ref`, or the non-null branch of an `anyOf`/`oneOf`, stands for.
fn resolve<'a>(schema: &'a Value, root: &'a Value) -> &'a Value {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let target = reference.strip_prefix('#').and_then(|p| root.pointer(p));
        return target.map_or(schema, |t| resolve(t, root));
    }
    let branches = schema.get("anyOf").or_else(|| schema.get("oneOf"));
    if let Some(Value::Array(branches)) = branches {
        let real = branches
            .iter()
            .find(|b| b.get("type") != Some(&Value::from("null")));
        return real.map_or(schema, |b| resolve(b, root));
    }
    schema
}

/// What a server writes for a field it has no value for (`declared`: the
/// field's schema as written, `schema`: what it resolves to); `None`: nothing.
fn nothing(declared: &Value, schema: &Value, absent: Absent) -> Option<Value> {
    let types: Vec<&str> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let is = |t: &str| types.contains(&t);
    let untyped = types.is_empty() && declared.get("anyOf").is_none();
    match absent {
        _ if is("array") => Some(Value::Array(Vec::new())),
        Absent::Null => Some(Value::Null),
        Absent::DocumentedNull => untyped.then_some(Value::Null),
        Absent::Zero if is("string") => Some(Value::from("")),
        Absent::Zero if is("integer") || is("number") => Some(Value::from(0)),
        Absent::Zero if is("boolean") => Some(Value::from(false)),
        Absent::Zero if is("object") => Some(Value::Object(serde_json::Map::new())),
        Absent::Zero => Some(Value::Null),
    }
}

/// A response body, as the server sends it.
pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

/// An empty body.
pub(crate) fn empty() -> Body {
    Full::new(Bytes::new())
        .map_err(|never: Infallible| match never {})
        .boxed()
}
