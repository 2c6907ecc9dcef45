//! The config file's text: read into [`Contexts`] with every error placed
//! (file, line, key), its `current-context` line rewritten, and whether it
//! holds a secret others can read.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{Context, ContextError, Contexts, CredentialFrom};
use crate::registry::ProviderKind;

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(rename = "current-context")]
    current_context: Option<Spanned<String>>,
    #[serde(default)]
    contexts: BTreeMap<String, Spanned<RawContext>>,
}

/// One context as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawContext {
    provider: Spanned<String>,
    base_url: Option<String>,
    #[serde(default)]
    settings: BTreeMap<String, Spanned<String>>,
    credential_env: Option<Spanned<String>>,
    credential_file: Option<Spanned<String>>,
    token_command: Option<Spanned<Vec<String>>>,
    credential: Option<Spanned<String>>,
    request_timeout: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    max_attempts: Option<u32>,
    max_response_size: Option<Spanned<String>>,
    #[serde(default)]
    allow_insecure_http: bool,
}

/// Reads `text`, the file at `path`.
pub(super) fn parse(path: &Path, text: &str) -> Result<Contexts, ContextError> {
    let at = |span: Option<Range<usize>>, key: Option<String>, message: String| ContextError {
        path: path.to_owned(),
        line: span.map(|s| line_of(text, s.start)),
        key,
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| {
        let message = e.message().trim().to_owned();
        at(e.span(), key_in(&message), message)
    })?;
    let mut contexts = BTreeMap::new();
    for (name, raw) in raw.contexts {
        let key = |field: &str| Some(format!("contexts.{name}.{field}"));
        let raw = raw.into_inner();
        let provider: ProviderKind = raw
            .provider
            .get_ref()
            .parse()
            .map_err(|e| at(Some(raw.provider.span()), key("provider"), format!("{e}")))?;
        let descriptor = provider.descriptor();
        let mut settings = BTreeMap::new();
        for (setting, value) in raw.settings {
            if !descriptor.settings.iter().any(|s| s.name == setting) {
                let known: Vec<&str> = descriptor.settings.iter().map(|s| s.name).collect();
                let known = match known.is_empty() {
                    true => "it has none".to_owned(),
                    false => format!("it has {}", known.join(", ")),
                };
                return Err(at(
                    Some(value.span()),
                    key(&format!("settings.{setting}")),
                    format!("{provider} has no setting `{setting}` ({known})"),
                ));
            }
            settings.insert(setting, value.into_inner());
        }
        let sources = [
            raw.credential_env
                .as_ref()
                .map(|v| ("credential_env", v.span())),
            raw.credential_file
                .as_ref()
                .map(|v| ("credential_file", v.span())),
            raw.token_command
                .as_ref()
                .map(|v| ("token_command", v.span())),
            raw.credential.as_ref().map(|v| ("credential", v.span())),
        ];
        let given: Vec<_> = sources.into_iter().flatten().collect();
        if let [_, (second, span), ..] = given.as_slice() {
            return Err(at(
                Some(span.clone()),
                key(second),
                format!(
                    "give one of credential_env, credential_file, token_command and credential, not {} and {second}",
                    given[0].0
                ),
            ));
        }
        if let (Some((field, span)), None) = (given.first(), descriptor.env.credential) {
            return Err(at(
                Some(span.clone()),
                key(field),
                format!("{provider} takes no credential"),
            ));
        }
        let credential = match (
            raw.credential_env,
            raw.credential_file,
            raw.token_command,
            raw.credential,
        ) {
            (Some(var), ..) => CredentialFrom::Env(var.into_inner()),
            (_, Some(file), ..) => CredentialFrom::File(resolve(path, file.get_ref())),
            (_, _, Some(command), _) => {
                if command.get_ref().first().is_none_or(|p| p.is_empty()) {
                    return Err(at(
                        Some(command.span()),
                        key("token_command"),
                        "needs a program: [\"scontrol\", \"token\"]".into(),
                    ));
                }
                CredentialFrom::Command(command.into_inner())
            }
            (_, _, _, Some(value)) => CredentialFrom::Value(value.into_inner().into()),
            _ => CredentialFrom::None,
        };
        let duration = |value: Option<Spanned<String>>, field: &str| -> Result<_, ContextError> {
            value
                .map(|v| {
                    crate::units::parse_limit(v.get_ref())
                        .map_err(|e| at(Some(v.span()), key(field), e))
                })
                .transpose()
        };
        let max_response_bytes = raw
            .max_response_size
            .map(|v| {
                crate::units::parse_size(v.get_ref())
                    .map_err(|e| at(Some(v.span()), key("max_response_size"), e))
            })
            .transpose()?;
        let (request_timeout, connect_timeout) = (
            duration(raw.request_timeout, "request_timeout")?,
            duration(raw.connect_timeout, "connect_timeout")?,
        );
        contexts.insert(
            name.clone(),
            Context {
                name: name.clone(),
                provider,
                base_url: raw.base_url,
                settings,
                credential,
                request_timeout,
                connect_timeout,
                max_attempts: raw.max_attempts,
                max_response_bytes,
                allow_insecure_http: raw.allow_insecure_http,
            },
        );
    }
    let current = match raw.current_context {
        Some(current) if !contexts.contains_key(current.get_ref()) => {
            return Err(at(
                Some(current.span()),
                Some("current-context".into()),
                format!(
                    "names no context of this file: `{}`",
                    crate::text::terminal_safe(current.get_ref())
                ),
            ));
        }
        current => current.map(Spanned::into_inner),
    };
    Ok(Contexts {
        path: path.to_owned(),
        current,
        contexts,
        warnings: Vec::new(),
    })
}

/// The line (from 1) of byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The key a parser's message names (``unknown field `x` ``), if any.
fn key_in(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    Some(rest.split('`').next()?.to_owned())
}

/// `file` as written in the config file at `path`: `~/` is the home
/// directory, a relative path is the config file's directory's.
fn resolve(path: &Path, file: &str) -> PathBuf {
    if let (Some(rest), Some(home)) = (file.strip_prefix("~/"), std::env::var_os("HOME")) {
        return PathBuf::from(home).join(rest);
    }
    let file = PathBuf::from(file);
    match (file.is_relative(), path.parent()) {
        (true, Some(dir)) => dir.join(file),
        _ => file,
    }
}

/// `text` with `current-context = "name"`: its line replaced where there is
/// one before the first table, else added at the top.
pub(super) fn with_current(text: &str, name: &str) -> String {
    let line = format!("current-context = {}", toml_string(name));
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let top = lines
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .unwrap_or(lines.len());
    match lines[..top]
        .iter()
        .position(|l| l.trim_start().starts_with("current-context"))
    {
        Some(at) => lines[at] = line,
        None => lines.insert(0, line),
    }
    lines.join("\n") + "\n"
}

/// `value` as a TOML basic string.
fn toml_string(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

/// A warning when the file at `path` holds a secret (a `credential`) and
/// others may read it, as ssh warns of a private key.
pub(super) fn readable_by_others(path: &Path, contexts: &Contexts) -> Option<String> {
    let holding: Vec<&str> = contexts
        .iter()
        .filter(|c| matches!(c.credential, CredentialFrom::Value(_)))
        .map(|c| c.name.as_str())
        .collect();
    if holding.is_empty() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        (mode & 0o077 != 0).then(|| {
            format!(
                "{} holds a credential (context {}) and others can read it (mode {:o}): chmod 600 {0}",
                path.display(),
                holding.join(", "),
                mode & 0o777
            )
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Contexts, ContextError> {
        parse(Path::new("/cfg/config.toml"), text)
    }

    #[test]
    fn a_file_of_two_contexts() {
        let contexts = parsed(
            r#"
current-context = "lab"
[contexts.lab]
provider = "slurm"
base_url = "http://127.0.0.1:6820"
token_command = ["scontrol", "token", "lifespan=600"]
settings = { user = "alice" }
request_timeout = "2m"
max_response_size = "16MiB"
[contexts.work]
provider = "ray"
"#,
        )
        .unwrap();
        assert_eq!(contexts.current(), Some("lab"));
        let lab = contexts.get("lab").unwrap();
        assert_eq!(lab.provider, ProviderKind::Slurm);
        assert_eq!(lab.settings["user"], "alice");
        assert_eq!(
            lab.request_timeout,
            Some(std::time::Duration::from_secs(120))
        );
        assert_eq!(lab.max_response_bytes, Some(16 << 20));
        assert!(matches!(&lab.credential, CredentialFrom::Command(argv) if argv[0] == "scontrol"));
        assert_eq!(contexts.get("work").unwrap().provider, ProviderKind::Ray);
    }

    #[test]
    fn errors_name_the_line_and_the_key_never_a_value() {
        let error = |text: &str| parsed(text).unwrap_err();
        let unknown = error("[contexts.lab]\nprovider = \"slurm\"\ntoken = \"sk-canary\"\n");
        assert_eq!(
            (unknown.line, unknown.key.as_deref()),
            (Some(3), Some("token"))
        );
        assert!(!unknown.to_string().contains("sk-canary"), "{unknown}");
        let provider = error("[contexts.lab]\n\nprovider = \"slurmm\"\n");
        assert_eq!(
            (provider.line, provider.key.as_deref()),
            (Some(3), Some("contexts.lab.provider"))
        );
        let setting = error("[contexts.lab]\nprovider = \"slurm\"\nsettings = { usr = \"a\" }\n");
        assert_eq!(setting.key.as_deref(), Some("contexts.lab.settings.usr"));
        assert!(
            setting.message.contains("it has user, api_version"),
            "{setting}"
        );
        let two = error(
            "[contexts.lab]\nprovider = \"slurm\"\ncredential_env = \"A\"\ncredential = \"sk-canary\"\n",
        );
        assert_eq!(two.line, Some(4));
        assert!(!two.to_string().contains("sk-canary"), "{two}");
        let ray = error("[contexts.w]\nprovider = \"ray\"\ncredential_env = \"A\"\n");
        assert!(ray.message.contains("ray takes no credential"), "{ray}");
        let broken = error("[contexts.lab\nprovider = \"slurm\"\n");
        assert_eq!(broken.line, Some(1), "{broken}");
        let dangling = error("current-context = \"nope\"\n");
        assert_eq!(dangling.key.as_deref(), Some("current-context"));
        let limit = error("[contexts.lab]\nprovider = \"slurm\"\nrequest_timeout = \"soon\"\n");
        assert_eq!(
            (limit.line, limit.key.as_deref()),
            (Some(3), Some("contexts.lab.request_timeout"))
        );
        assert_eq!(
            limit.to_string().split(": ").take(2).collect::<Vec<_>>(),
            ["/cfg/config.toml:3", "`contexts.lab.request_timeout`"]
        );
    }

    #[test]
    fn the_current_context_line_is_rewritten_in_place() {
        let text = "# mine\ncurrent-context = \"a\"\n\n[contexts.a]\nprovider = \"ray\"\n";
        assert_eq!(
            with_current(text, "b"),
            "# mine\ncurrent-context = \"b\"\n\n[contexts.a]\nprovider = \"ray\"\n"
        );
        assert_eq!(
            with_current("[contexts.a]\n", "a"),
            "current-context = \"a\"\n[contexts.a]\n"
        );
    }

    #[test]
    fn a_credential_file_is_found_beside_the_config_file() {
        assert_eq!(
            resolve(Path::new("/cfg/config.toml"), "lab.jwt"),
            PathBuf::from("/cfg/lab.jwt")
        );
        assert_eq!(
            resolve(Path::new("/cfg/config.toml"), "/abs/t"),
            PathBuf::from("/abs/t")
        );
    }
}
