//! Rule `secrets`: secret fields generate `gpujobs_runtime::Secret`.
//!
//! A string schema marked `x-gpujobs-secret: true` (by an overlay) or with
//! `format: password` is generated as the runtime's redacting `Secret`, so it
//! never shows in `Debug` output, logs or errors.

use serde_json::{Value, json};

use super::Notes;
use super::walk::walk_document;

const RULE: &str = "secrets";

pub(super) fn mark(doc: &mut Value, notes: &mut Notes) {
    let _ = walk_document::<()>(doc, |_, _| true, &mut |s, at| {
        let marked = s.get("x-gpujobs-secret") == Some(&Value::Bool(true))
            || (s.get("type") == Some(&json!("string"))
                && s.get("format") == Some(&json!("password")));
        if marked {
            s.insert(
                "x-rust-type".into(),
                json!({ "crate": "gpujobs-runtime", "version": "*", "path": "gpujobs_runtime::Secret" }),
            );
            notes.add(RULE, at, "generated as gpujobs_runtime::Secret");
        }
        Ok(())
    });
}
