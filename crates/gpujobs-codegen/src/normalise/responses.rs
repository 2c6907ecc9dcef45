//! Rule `response-bodies`: at most one kind of body per side of an operation.
//!
//! progenitor gives each operation one success type and one error type, and
//! panics when the responses on one side disagree (a JSON body on one code,
//! no body or a text body on another). TensorPool's spec mixes a JSON 422 with
//! body-less 403/404/500.
//!
//! - Error side: keep the responses with the first JSON body (or, if none is
//!   JSON, the first raw body) and drop the others from the spec. A dropped
//!   status is still handled: the client returns it as an unexpected response
//!   with its status and whole body, which the facade maps to a typed error.
//! - Success side: disagreement is refused, because dropping a success code
//!   would turn a success into an error. Fix it in the overlay.

use serde_json::Value;

use super::walk::{entries, operation_pointer, operations, resolve, token};
use super::{NormaliseError, Notes, fail};

const RULE: &str = "response-bodies";

#[derive(Clone, Debug, PartialEq)]
enum Kind {
    Json(Value),
    Raw,
    Empty,
}

fn kind(response: &Value) -> Kind {
    let content = response.get("content").and_then(Value::as_object);
    let json = content.and_then(|c| {
        c.iter().find(|(media, _)| {
            *media == "application/json" || media.starts_with("application/json;")
        })
    });
    match (json, content) {
        (Some((_, media)), _) => Kind::Json(media.get("schema").cloned().unwrap_or(Value::Null)),
        (None, Some(c)) if !c.is_empty() => Kind::Raw,
        _ => Kind::Empty,
    }
}

fn is_success(code: &str) -> bool {
    code.starts_with('2') || code == "default"
}

fn is_error(code: &str) -> bool {
    code.starts_with('4') || code.starts_with('5') || code == "default"
}

pub(super) fn one_body_kind_per_side(
    doc: &mut Value,
    notes: &mut Notes,
) -> Result<(), NormaliseError> {
    let components = doc.get("components").cloned().unwrap_or(Value::Null);
    for (path, method) in operations(doc) {
        let at = operation_pointer(&path, &method);
        let responses: Vec<(String, Kind)> = entries(doc["paths"][&path][&method].get("responses"))
            .map(|(code, r)| (code.clone(), kind(resolve(&components, "responses", r))))
            .collect();

        let success: Vec<&(String, Kind)> =
            responses.iter().filter(|(c, _)| is_success(c)).collect();
        if let Some((first, rest)) = success.split_first()
            && let Some((code, _)) = rest.iter().find(|(_, k)| *k != first.1)
        {
            return Err(fail(
                RULE,
                &at,
                format!(
                    "success responses {} and {code} have different bodies; \
                         make them agree in the overlay",
                    first.0
                ),
            ));
        }

        let errors: Vec<&(String, Kind)> = responses.iter().filter(|(c, _)| is_error(c)).collect();
        let keep = errors
            .iter()
            .find(|(_, k)| matches!(k, Kind::Json(_)))
            .or_else(|| errors.iter().find(|(_, k)| *k == Kind::Raw))
            .map(|(_, k)| k.clone());
        let Some(keep) = keep else { continue };
        let drop: Vec<String> = errors
            .iter()
            .filter(|(_, k)| *k != keep)
            .map(|(c, _)| c.clone())
            .collect();
        if let Some(Value::Object(map)) = doc["paths"][&path][&method].get_mut("responses") {
            for code in &drop {
                map.remove(code);
                notes.add(
                    RULE,
                    &format!("{at}/responses/{}", token(code)),
                    "dropped: its body differs from the operation's error body (it arrives as an unexpected response)",
                );
            }
        }
    }
    Ok(())
}
