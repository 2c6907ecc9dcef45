//! What a Ray submit's `runtime_env` may hold as gpujobs sends it: none of
//! the request's own fields (they are set where they belong), and no local
//! file or directory that Ray's own client would read or upload (a
//! requirements file, a conda YAML, a local module) — only a `working_dir` is
//! packed and uploaded, as its own field. The same for Rust, the CLI and
//! Python's `ray_compat`.

use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::field::{Field, SubmitField};
use crate::registry::ProviderKind;

const KIND: ProviderKind = ProviderKind::Ray;

/// The `runtime_env` keys that are the request's own fields.
const OWN: [(&str, Field); 3] = [
    ("env_vars", Field::Submit(SubmitField::Env)),
    ("working_dir", Field::Submit(SubmitField::WorkingDir)),
    ("excludes", Field::SubmitOption("excludes")),
];

/// The keys whose values may name local files Ray's client reads or uploads.
const MAY_BE_LOCAL: [&str; 4] = ["py_modules", "conda", "pip", "uv"];

/// Refuses what `runtime_env` cannot carry, naming it.
pub(super) fn check(runtime_env: &Map<String, Value>) -> Result<()> {
    if let Some((key, field)) = OWN.into_iter().find(|(k, _)| runtime_env.contains_key(*k)) {
        return Err(Error::refused(
            KIND,
            field,
            format!("set `{key}` as the request's own field (`{}`), not in runtime_env", field.name()),
        ));
    }
    match MAY_BE_LOCAL.into_iter().find(|key| runtime_env.get(*key).is_some_and(|v| names_local_files(key, v))) {
        None => Ok(()),
        Some(key) => Err(Error::refused(
            KIND,
            Field::SubmitOption("runtime_env"),
            format!(
                "cannot honour a local file or directory in `runtime_env`'s {key:?} (Ray's client reads or uploads it): give package names or URIs"
            ),
        )),
    }
}

/// Whether a value names local paths: a module directory in `py_modules`; a
/// requirements or environment file for `pip`, `uv` or `conda` (a list or an
/// object is given inline).
fn names_local_files(key: &str, value: &Value) -> bool {
    match (key, value) {
        ("py_modules", Value::Array(modules)) => modules.iter().any(|m| m.as_str().is_some_and(|m| !m.contains("://"))),
        (_, Value::String(path)) => {
            path.ends_with(".txt") || path.ends_with(".yaml") || path.ends_with(".yml") || std::path::Path::new(path).is_file()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn local_files_are_refused_and_inline_values_pass() {
        for local in [
            json!({ "pip": "requirements.txt" }),
            json!({ "conda": "environment.yml" }),
            json!({ "py_modules": ["./my_module"] }),
            json!({ "uv": "reqs.txt" }),
        ] {
            let error = check(&env(local.clone())).unwrap_err();
            assert!(error.to_string().contains("local file or directory"), "{local}: {error}");
        }
        for inline in [
            json!({ "pip": ["torch"] }),
            json!({ "conda": { "dependencies": ["numpy"] } }),
            json!({ "py_modules": ["s3://bucket/m.zip"] }),
            json!({ "pip": "torch" }),
        ] {
            assert!(check(&env(inline.clone())).is_ok(), "{inline}");
        }
        let own = check(&env(json!({ "env_vars": { "A": "1" } }))).unwrap_err();
        assert_eq!(own.fields(), [Field::Submit(SubmitField::Env)]);
    }
}
