//! What a command acts on: the providers the command line points at (a
//! context of the config file, the environment, or the in-process sandbox,
//! seeded so demo ids repeat), with the command line's overrides, and the
//! sandbox if one was started.

use std::sync::Arc;
use std::time::Duration;

use gpujobs::contexts::{self, Contexts};
use gpujobs::{Error, JobProvider, Overrides, ProviderConfig, ProviderKind};
use gpujobs_sandbox::{Sandbox, SandboxConfig};

use crate::cli::Cli;
use crate::failure::{Failure, failure};
use crate::flags::SettingGiven;
use crate::output::one_line;

/// A job id, and the provider that knows it.
pub type Target = (Arc<dyn JobProvider>, String);

/// The providers the command line points at, and the sandbox if one was started.
pub struct Context {
    provider: Option<ProviderKind>,
    /// The config file's contexts, if there is a file.
    contexts: Option<Contexts>,
    /// The context chosen (`--context`, `GPUJOBS_CONTEXT`, or the file's current one).
    chosen: Option<contexts::Context>,
    base_url: Option<String>,
    request_timeout: Option<Duration>,
    max_response_bytes: Option<u64>,
    settings: Vec<SettingGiven>,
    sandbox: Option<Sandbox>,
}

impl Context {
    pub async fn new(cli: &Cli) -> Result<Self, Failure> {
        if let Some(kind) = cli.provider
            && let Some(other) = cli.settings.iter().find(|s| s.kind != kind)
        {
            return Err(Failure::usage(format!(
                "--{} is for -p {}, not {kind}",
                other.flag, other.kind
            )));
        }
        if cli.sandbox && cli.context.is_some() {
            return Err(Failure::usage(
                "--sandbox and --context: the sandbox is its own context",
            ));
        }
        let contexts = match cli.sandbox {
            true => None,
            false => Contexts::load_default(|name| std::env::var(name).ok())
                .map_err(|e| Failure::usage(e.to_string()))?,
        };
        for warning in contexts.iter().flat_map(|c| c.warnings()) {
            eprintln!("warning: {warning}");
        }
        let chosen = choose(contexts.as_ref(), cli)?;
        let sandbox = match cli.sandbox {
            true => Some(
                Sandbox::start(SandboxConfig::default().seed(42))
                    .await
                    .map_err(|e| Failure {
                        code: 6,
                        message: format!("cannot start the built-in sandbox: {e}"),
                    })?,
            ),
            false => None,
        };
        Ok(Self {
            provider: cli.provider.or(chosen.as_ref().map(|c| c.provider)),
            contexts,
            chosen,
            base_url: cli.base_url.clone(),
            request_timeout: cli.request_timeout,
            max_response_bytes: cli.max_response_size,
            settings: cli.settings.clone(),
            sandbox,
        })
    }

    /// Whether the command runs against `--sandbox`.
    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// [`failure`], for this command.
    pub fn failure(&self, error: &Error) -> Failure {
        failure(error, self.is_sandbox())
    }

    /// A provider of `kind`: the sandbox's, or configured from the
    /// environment, with what the command line sets over it.
    pub fn connect(&self, kind: ProviderKind) -> Result<Arc<dyn JobProvider>, Failure> {
        let chosen = self.chosen.as_ref().filter(|c| c.provider == kind);
        self.connect_to(kind, chosen)
    }

    /// A provider of `kind`, configured from `context` (if any), then the
    /// environment, then the command line (flags > environment > context).
    fn connect_to(
        &self,
        kind: ProviderKind,
        context: Option<&contexts::Context>,
    ) -> Result<Arc<dyn JobProvider>, Failure> {
        let mut config = match &self.sandbox {
            Some(sandbox) => sandbox.provider_config(kind),
            None => {
                let mut config = ProviderConfig::new(kind);
                if let Some(context) = context {
                    context.apply(&mut config).map_err(|e| self.failure(&e))?;
                }
                config
                    .apply_env(|name| std::env::var(name).ok())
                    .map_err(|e| self.failure(&e))?;
                config
            }
        };
        let mut overrides = Overrides::default();
        overrides.base_url = self.base_url.clone();
        overrides.max_response_bytes = self.max_response_bytes;
        overrides.operation_timeout = self.request_timeout;
        overrides.settings = self
            .settings
            .iter()
            .filter(|s| s.kind == kind)
            .map(|s| (s.name.to_owned(), s.value.clone()))
            .collect();
        config.apply(overrides);
        gpujobs::connect(config).map_err(|e| self.failure(&e))
    }

    /// The provider of the config file's context `name`.
    pub fn connect_context(&self, name: &str) -> Result<Arc<dyn JobProvider>, Failure> {
        let context = self.context_named(name)?;
        self.connect_to(context.provider, Some(context))
    }

    /// The config file's context `name`.
    fn context_named(&self, name: &str) -> Result<&contexts::Context, Failure> {
        let contexts = self.contexts()?;
        contexts
            .find(name)
            .map_err(|e| Failure::usage(e.to_string()))
    }

    /// The config file's contexts (for `config` and `list --all-contexts`).
    pub fn contexts(&self) -> Result<&Contexts, Failure> {
        match (&self.sandbox, &self.contexts) {
            (Some(_), _) => Err(Failure::usage("--sandbox has no contexts")),
            (None, Some(contexts)) => Ok(contexts),
            (None, None) => Err(no_config_file()),
        }
    }

    /// The provider of each of `ids`, in order, and the id it knows: `CONTEXT/ID`
    /// is the job ID of the config file's context CONTEXT, anything else a job
    /// of the one provider a command acts on. Each provider is connected once.
    pub fn targets(&self, ids: &[String]) -> Result<Vec<Target>, Failure> {
        let mut connected: Vec<(Option<&str>, Arc<dyn JobProvider>)> = Vec::new();
        let mut targets = Vec::with_capacity(ids.len());
        for id in ids {
            let (context, job) = match id.split_once('/') {
                Some((name, job))
                    if self
                        .contexts
                        .as_ref()
                        .is_some_and(|c| c.get(name).is_some()) =>
                {
                    (Some(name), job)
                }
                _ => (None, id.as_str()),
            };
            let provider = match connected.iter().find(|(c, _)| *c == context) {
                Some((_, provider)) => provider.clone(),
                None => {
                    let provider = match context {
                        Some(name) => self.connect_context(name)?,
                        None => self.one()?,
                    };
                    connected.push((context, provider.clone()));
                    provider
                }
            };
            targets.push((provider, job.to_owned()));
        }
        Ok(targets)
    }

    /// The one provider a command acts on.
    pub fn one(&self) -> Result<Arc<dyn JobProvider>, Failure> {
        let kind = self.provider.ok_or_else(|| {
            let names: Vec<&str> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
            Failure::usage(format!(
                "choose a provider with -p/--provider ({}) or GPUJOBS_PROVIDER",
                names.join(", ")
            ))
        })?;
        self.connect(kind)
    }

    /// `result`, its error explained where the answer shows a base URL that
    /// points at the sandbox's root, or at a prefix it does not serve, instead of one
    /// provider under it.
    pub fn explain<T>(&self, result: gpujobs::Result<T>) -> Result<T, Failure> {
        result.map_err(|error| self.explain_error(error))
    }

    /// [`failure`], with a wrong base URL explained (see [`Context::explain`]) from the
    /// answer already received: the sandbox says what it serves in its 404.
    pub fn explain_error(&self, error: Error) -> Failure {
        let mut failed = self.failure(&error);
        let said = format!("{error} {error:?}");
        if let (true, Some(url)) = (said.contains(SANDBOX_INDEX), &self.base_url) {
            failed.message = sandbox_hint(url, error.provider());
            failed.code = 2;
        }
        failed
    }

    /// The providers `list` covers: the chosen one, or every configured one.
    pub fn all(&self) -> Result<Vec<ProviderKind>, Failure> {
        if let Some(kind) = self.provider {
            return Ok(vec![kind]);
        }
        if self.base_url.is_some() {
            return Err(Failure::usage(
                "--base-url needs a provider: add -p/--provider",
            ));
        }
        let configured: Vec<ProviderKind> = match &self.sandbox {
            Some(_) => ProviderKind::ALL.to_vec(),
            None => ProviderKind::ALL
                .iter()
                .copied()
                .filter(|k| {
                    let env = k.descriptor().env;
                    let set = |var: &str| std::env::var(var).is_ok_and(|v| !v.trim().is_empty());
                    match env.credential_required {
                        true => env.credential_vars().any(set),
                        false => set(env.base_url),
                    }
                })
                .collect(),
        };
        match configured.is_empty() {
            true => {
                // A provider counts as configured by its credential, or its base URL if it takes none.
                let variables: Vec<&str> = ProviderKind::ALL
                    .iter()
                    .map(|k| k.descriptor().env)
                    .map(|env| match env.credential_required {
                        true => env.credential.unwrap_or(env.base_url),
                        false => env.base_url,
                    })
                    .collect();
                Err(Failure::usage(format!(
                    "no provider is configured: set {}, pass -p, or try --sandbox",
                    variables.join(", ")
                )))
            }
            false => Ok(configured),
        }
    }
}

/// The context the command line chooses: `--context` (or `GPUJOBS_CONTEXT`),
/// else the file's current one unless `-p` names another provider.
fn choose(contexts: Option<&Contexts>, cli: &Cli) -> Result<Option<contexts::Context>, Failure> {
    let explicit = cli.context.as_deref();
    let Some(name) = explicit.or(contexts.and_then(Contexts::current)) else {
        return Ok(None);
    };
    let contexts = contexts.ok_or_else(no_config_file)?;
    let context = contexts
        .find(name)
        .map_err(|e| Failure::usage(e.to_string()))?;
    match cli.provider {
        Some(kind) if kind != context.provider && explicit.is_some() => Err(Failure::usage(
            format!("-p {kind}, but context {name} is {}", context.provider),
        )),
        // The file's current context is for its own provider; another given with -p is as before.
        Some(kind) if kind != context.provider => Ok(None),
        _ => Ok(Some(context.clone())),
    }
}

/// That there is no config file, and where it was looked for.
fn no_config_file() -> Failure {
    Failure::usage(Contexts::no_file(|n| std::env::var(n).ok()))
}

/// How the sandbox's 404 for a path outside every provider begins.
const SANDBOX_INDEX: &str = "gpujobs sandbox: providers at";

/// What to do about a base URL the sandbox answered with its index: point it at
/// the provider under the sandbox's root (the root is what is left of the URL
/// without its path).
fn sandbox_hint(url: &str, provider: ProviderKind) -> String {
    let parsed = reqwest::Url::parse(url).ok();
    let root = parsed.as_ref().map_or_else(
        || url.trim_end_matches('/').to_owned(),
        |u| u.origin().ascii_serialization(),
    );
    let path = parsed.as_ref().map_or("", |u| u.path()).trim_matches('/');
    let shown = gpujobs::SensitiveUrl::new(url);
    match path.is_empty() {
        true => format!(
            "{provider}: {shown} is the sandbox's root, not a provider: use --base-url {root}/{provider}"
        ),
        false => format!(
            "{provider}: the sandbox serves no provider at /{} ({shown}): use --base-url {root}/{provider}",
            one_line(path)
        ),
    }
}
