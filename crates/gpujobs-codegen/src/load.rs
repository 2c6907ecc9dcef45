//! Loading specs and overlays (YAML or JSON) into `serde_json::Value`.

use std::path::Path;

use serde_json::Value;

/// Parses `text` as JSON when `path` ends in `.json`, otherwise as YAML.
pub fn parse(path: &Path, text: &str) -> Result<Value, String> {
    let is_json = path.extension().is_some_and(|e| e == "json");
    let parsed = if is_json {
        serde_json::from_str(text).map_err(|e| e.to_string())
    } else {
        serde_yaml_ng::from_str(text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| format!("cannot parse {}: {e}", path.display()))
}
