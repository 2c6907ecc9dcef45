//! Rule `auth-header`: drop `Authorization` header parameters.
//!
//! Some specs (PPIO's) model the bearer token as a required header parameter on
//! every operation. Credentials belong to the client (set once, marked
//! sensitive, never a per-call string), so the parameter goes.

use serde_json::Value;

use super::Notes;
use super::walk::{METHODS, entries, resolve, token};

const RULE: &str = "auth-header";

pub(super) fn remove(doc: &mut Value, notes: &mut Notes) {
    let components = doc.get("components").cloned().unwrap_or(Value::Null);
    let is_auth = |p: &Value| {
        let p = resolve(&components, "parameters", p);
        p.get("in").and_then(Value::as_str) == Some("header")
            && p.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case("authorization"))
    };
    let paths: Vec<String> = entries(doc.get("paths")).map(|(p, _)| p.clone()).collect();
    for path in paths {
        let item = &mut doc["paths"][&path];
        let mut places = vec![String::new()];
        places.extend(
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (*m).to_owned()),
        );
        for method in places {
            let node = if method.is_empty() {
                &mut *item
            } else {
                &mut item[&method]
            };
            if let Some(Value::Array(params)) = node.get_mut("parameters") {
                let before = params.len();
                params.retain(|p| !is_auth(p));
                if params.len() != before {
                    let at = format!("/paths/{}/{method}", token(&path));
                    notes.add(RULE, &at, "removed the Authorization header parameter");
                }
            }
        }
    }
}
