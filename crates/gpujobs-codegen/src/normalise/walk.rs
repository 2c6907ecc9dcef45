//! Where schemas live in an OpenAPI document, and a walker over sub-schemas.

use serde_json::{Map, Value};

/// The HTTP methods an OpenAPI path item may hold.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Where a top-level schema sits, which decides which rules apply to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// `components.schemas.*`: used wherever it is referenced.
    Component,
    /// A parameter or request body: data we send.
    Request,
    /// A response body or header: data we receive.
    Response,
}

/// A visitor over schema objects: receives each schema and its JSON pointer.
pub type Visit<'f, E> = dyn FnMut(&mut Map<String, Value>, &str) -> Result<(), E> + 'f;

/// Escapes one JSON-pointer token.
pub fn token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Follows a `$ref` to `#/components/<section>/…` (`node` itself when it is
/// not one, or names nothing there).
pub fn resolve<'a>(components: &'a Value, section: &str, node: &'a Value) -> &'a Value {
    let prefix = format!("#/components/{section}/");
    node.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(prefix.as_str()))
        .and_then(|name| components.get(section).and_then(|all| all.get(name)))
        .unwrap_or(node)
}

/// Every operation as `(path, method)`, in document order.
pub fn operations(doc: &Value) -> Vec<(String, String)> {
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Vec::new();
    };
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(move |m| item.get(**m).is_some())
                .map(move |m| (path.clone(), (*m).to_owned()))
        })
        .collect()
}

/// The JSON pointer of an operation.
pub fn operation_pointer(path: &str, method: &str) -> String {
    format!("/paths/{}/{method}", token(path))
}

/// The JSON pointers of every top-level schema in the document, with its place.
pub fn schema_roots(doc: &Value) -> Vec<(String, Place)> {
    let mut roots = Vec::new();
    let push_content = |roots: &mut Vec<(String, Place)>, base: &str, node: &Value, place| {
        for (media, _) in entries(node.get("content")) {
            roots.push((format!("{base}/content/{}/schema", token(media)), place));
        }
    };
    let parameters = |roots: &mut Vec<(String, Place)>, base: &str, list: Option<&Value>| {
        for (i, _) in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            roots.push((format!("{base}/parameters/{i}/schema"), Place::Request));
        }
    };
    for (name, _) in entries(doc.pointer("/components/schemas")) {
        roots.push((
            format!("/components/schemas/{}", token(name)),
            Place::Component,
        ));
    }
    for (name, p) in entries(doc.pointer("/components/parameters")) {
        let base = format!("/components/parameters/{}", token(name));
        roots.push((format!("{base}/schema"), Place::Request));
        push_content(&mut roots, &base, p, Place::Request);
    }
    for (name, body) in entries(doc.pointer("/components/requestBodies")) {
        let base = format!("/components/requestBodies/{}", token(name));
        push_content(&mut roots, &base, body, Place::Request);
    }
    for (name, response) in entries(doc.pointer("/components/responses")) {
        let base = format!("/components/responses/{}", token(name));
        push_content(&mut roots, &base, response, Place::Response);
    }
    for (path, item) in entries(doc.get("paths")) {
        parameters(
            &mut roots,
            &format!("/paths/{}", token(path)),
            item.get("parameters"),
        );
    }
    for (path, method) in operations(doc) {
        let base = operation_pointer(&path, &method);
        let op = &doc["paths"][&path][&method];
        parameters(&mut roots, &base, op.get("parameters"));
        if let Some(body) = op.get("requestBody") {
            push_content(
                &mut roots,
                &format!("{base}/requestBody"),
                body,
                Place::Request,
            );
        }
        for (code, response) in entries(op.get("responses")) {
            let rbase = format!("{base}/responses/{}", token(code));
            push_content(&mut roots, &rbase, response, Place::Response);
            for (header, _) in entries(response.get("headers")) {
                roots.push((
                    format!("{rbase}/headers/{}/schema", token(header)),
                    Place::Response,
                ));
            }
        }
    }
    roots.retain(|(pointer, _)| doc.pointer(pointer).is_some_and(Value::is_object));
    roots
}

/// The entries of an optional JSON object.
pub fn entries(node: Option<&Value>) -> impl Iterator<Item = (&String, &Value)> {
    node.and_then(Value::as_object).into_iter().flatten()
}

/// Calls `f` on `schema` and then on each of its sub-schemas, depth first.
/// `at` is the JSON pointer of `schema`; `f` receives the pointer of each node.
pub fn walk<E>(schema: &mut Value, at: &str, f: &mut Visit<'_, E>) -> Result<(), E> {
    let Value::Object(map) = schema else {
        return Ok(());
    };
    f(map, at)?;
    for key in ["items", "additionalProperties", "not"] {
        if let Some(sub) = map.get_mut(key) {
            walk(sub, &format!("{at}/{key}"), f)?;
        }
    }
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for (name, sub) in props.iter_mut() {
            walk(sub, &format!("{at}/properties/{}", token(name)), f)?;
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(list)) = map.get_mut(key) {
            for (i, sub) in list.iter_mut().enumerate() {
                walk(sub, &format!("{at}/{key}/{i}"), f)?;
            }
        }
    }
    Ok(())
}

/// Walks every schema in the document whose root place satisfies `wanted`.
pub fn walk_document<E>(
    doc: &mut Value,
    wanted: impl Fn(&str, Place) -> bool,
    f: &mut Visit<'_, E>,
) -> Result<(), E> {
    for (pointer, place) in schema_roots(doc) {
        if !wanted(&pointer, place) {
            continue;
        }
        if let Some(schema) = doc.pointer_mut(&pointer) {
            walk(schema, &pointer, f)?;
        }
    }
    Ok(())
}
