//! Named contexts from a config file, as kubectl's contexts and AWS's
//! profiles: each a provider, its base URL and settings, request limits, and
//! where its credential comes from (see [`Contexts`]).
//!
//! The file is `$GPUJOBS_CONFIG`, else `config.toml` in the platform's
//! config directory (`$XDG_CONFIG_HOME/gpujobs`, `~/.config/gpujobs`):
//!
//! ```toml
//! current-context = "lab"
//!
//! [contexts.lab]
//! provider = "slurm"
//! base_url = "https://slurm.lab.example:6820"
//! token_command = ["scontrol", "token", "lifespan=600"]   # or credential_env, credential_file, credential
//! request_timeout = "2m"
//! settings = { user = "alice" }
//!
//! [contexts.work]
//! provider = "ray"
//! base_url = "http://ray.work.example:8265"
//! ```
//!
//! What a context gives is applied first: the environment's variables, then
//! a front end's flags, are set over it (flags > environment > context >
//! defaults).

mod file;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use gpujobs_runtime::Secret;

use crate::config::{Overrides, ProviderConfig};
use crate::credential::TokenCommand;
use crate::error::{Error, Result};
use crate::registry::ProviderKind;

/// The config file's contexts.
#[derive(Clone, Debug)]
pub struct Contexts {
    path: PathBuf,
    current: Option<String>,
    contexts: BTreeMap<String, Context>,
    warnings: Vec<String>,
}

/// One named context: what a client of it is configured from.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Context {
    /// Its name.
    pub name: String,
    /// Its provider.
    pub provider: ProviderKind,
    /// The base URL.
    pub base_url: Option<String>,
    /// The provider's own settings by name (Slurm's `user`, `api_version`).
    pub settings: BTreeMap<String, String>,
    /// Where the credential comes from.
    pub credential: CredentialFrom,
    /// The limit of one operation, retries included.
    pub request_timeout: Option<Duration>,
    /// The limit for establishing a connection.
    pub connect_timeout: Option<Duration>,
    /// Attempts in all.
    pub max_attempts: Option<u32>,
    /// The largest answer read.
    pub max_response_bytes: Option<u64>,
    /// Send the credential over plain http to a remote host.
    pub allow_insecure_http: bool,
}

/// Where a context's credential comes from.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum CredentialFrom {
    /// None given (the environment may give one).
    #[default]
    None,
    /// This environment variable (`credential_env`).
    Env(String),
    /// This file's first line (`credential_file`), read when connecting.
    File(PathBuf),
    /// This command's output, run when a credential is due (`token_command`).
    Command(Vec<String>),
    /// Written in the file itself (`credential`).
    Value(Secret),
}

/// A config file that cannot be used: which file, where, which key, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContextError {
    /// The file.
    pub path: PathBuf,
    /// The line (from 1), where one is to blame.
    pub line: Option<usize>,
    /// The key, where one is to blame (`contexts.lab.provider`).
    pub key: Option<String>,
    /// What is wrong (never a value of the file, which may be a secret).
    pub message: String,
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ContextError {}

impl Contexts {
    /// Where the config file is: `$GPUJOBS_CONFIG`, else `config.toml` in the
    /// platform's config directory, through `lookup` (e.g.
    /// `|name| std::env::var(name).ok()`).
    pub fn path(lookup: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
        let set = |name: &str| lookup(name).filter(|v| !v.is_empty());
        if let Some(path) = set("GPUJOBS_CONFIG") {
            return Some(PathBuf::from(path));
        }
        let dir = match set("XDG_CONFIG_HOME") {
            Some(dir) => PathBuf::from(dir),
            None if cfg!(windows) => PathBuf::from(set("APPDATA")?),
            None if cfg!(target_os = "macos") => {
                PathBuf::from(set("HOME")?).join("Library/Application Support")
            }
            None => PathBuf::from(set("HOME")?).join(".config"),
        };
        Some(dir.join("gpujobs").join("config.toml"))
    }

    /// The contexts of the file at [`Contexts::path`]; none when there is no
    /// such file and `$GPUJOBS_CONFIG` does not name one (then it must exist).
    pub fn load_default(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> std::result::Result<Option<Self>, ContextError> {
        let named = lookup("GPUJOBS_CONFIG").is_some_and(|v| !v.is_empty());
        let Some(path) = Self::path(lookup) else {
            return Ok(None);
        };
        match (named, path.exists()) {
            (false, false) => Ok(None),
            _ => Self::load(&path).map(Some),
        }
    }

    /// What to say when a context is asked for and there is no file:
    /// where it was looked for, and how to name another.
    pub fn no_file(lookup: impl Fn(&str) -> Option<String>) -> String {
        let at = Self::path(lookup).map_or_else(|| "none".to_owned(), |p| p.display().to_string());
        format!("no config file of contexts (looked for {at}; GPUJOBS_CONFIG names another)")
    }

    /// The contexts of the file at `path`.
    pub fn load(path: &Path) -> std::result::Result<Self, ContextError> {
        let text = std::fs::read_to_string(path).map_err(|e| ContextError {
            path: path.to_owned(),
            line: None,
            key: None,
            message: format!("cannot be read: {e}"),
        })?;
        let mut contexts = Self::parse(path, &text)?;
        contexts
            .warnings
            .extend(file::readable_by_others(path, &contexts));
        Ok(contexts)
    }

    /// The contexts `text` (the file at `path`) defines.
    pub fn parse(path: &Path, text: &str) -> std::result::Result<Self, ContextError> {
        file::parse(path, text)
    }

    /// The file they were read from.
    pub fn file(&self) -> &Path {
        &self.path
    }

    /// The file's `current-context`.
    pub fn current(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// The context called `name`.
    pub fn get(&self, name: &str) -> Option<&Context> {
        self.contexts.get(name)
    }

    /// The context called `name`, or an error listing those there are.
    pub fn find(&self, name: &str) -> std::result::Result<&Context, ContextError> {
        self.get(name).ok_or_else(|| {
            let names: Vec<&str> = self.contexts.keys().map(String::as_str).collect();
            ContextError {
                path: self.path.clone(),
                line: None,
                key: None,
                message: match names.is_empty() {
                    true => format!("no context `{name}`: the file defines none"),
                    false => format!("no context `{name}` (there are: {})", names.join(", ")),
                },
            }
        })
    }

    /// Every context, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Context> {
        self.contexts.values()
    }

    /// What was noticed while reading that is not an error (a file holding a
    /// secret that others can read).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Makes `name` the file's `current-context`, rewriting only that line
    /// (the rest, comments included, is kept as it is).
    pub fn use_context(&mut self, name: &str) -> std::result::Result<(), ContextError> {
        self.find(name)?;
        let text = std::fs::read_to_string(&self.path).unwrap_or_default();
        let updated = file::with_current(&text, name);
        std::fs::write(&self.path, updated).map_err(|e| ContextError {
            path: self.path.clone(),
            line: None,
            key: None,
            message: format!("cannot be written: {e}"),
        })?;
        self.current = Some(name.to_owned());
        Ok(())
    }
}

impl Context {
    /// Sets what this context gives over `config` (a fresh one, or one the
    /// defaults made): the environment and flags are applied after it.
    pub fn apply(&self, config: &mut ProviderConfig) -> Result<()> {
        let fail = |message: String| {
            Error::config(self.provider, format!("context `{}`: {message}", self.name))
        };
        let mut overrides = Overrides {
            base_url: self.base_url.clone(),
            settings: self.settings.clone().into_iter().collect(),
            operation_timeout: self.request_timeout,
            connect_timeout: self.connect_timeout,
            max_attempts: self.max_attempts,
            max_response_bytes: self.max_response_bytes,
            allow_insecure_http: self.allow_insecure_http,
            ..Overrides::default()
        };
        match &self.credential {
            CredentialFrom::None => {}
            CredentialFrom::Env(var) => match std::env::var(var) {
                Ok(value) if !value.trim().is_empty() => {
                    overrides.credential = Some(Secret::new(value.trim()));
                }
                _ => return Err(fail(format!("its credential_env {var} is not set"))),
            },
            CredentialFrom::File(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    fail(format!(
                        "its credential_file {} cannot be read: {}",
                        path.display(),
                        e.kind()
                    ))
                })?;
                let first = text.lines().next().unwrap_or("").trim();
                if first.is_empty() {
                    return Err(fail(format!(
                        "its credential_file {} is empty",
                        path.display()
                    )));
                }
                overrides.credential = Some(Secret::new(first));
            }
            CredentialFrom::Value(secret) => overrides.credential = Some(secret.clone()),
            CredentialFrom::Command(argv) => {
                let mut command = TokenCommand::new(argv.clone());
                if let Some(var) = self.provider.descriptor().env.credential {
                    command = command.variable(var);
                }
                config.credential = None;
                config.credential_source = Some(Arc::new(command));
            }
        }
        config.apply(overrides);
        Ok(())
    }
}
