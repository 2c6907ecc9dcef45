//! # gpujobs-sandbox
//!
//! A local server that speaks the job APIs of every gpujobs provider — PPIO,
//! openYuanrong, Ray, Matpool, TensorPool and Slurm — each under its own path prefix
//! on one loopback port, so a client's base URL is
//! `http://127.0.0.1:PORT/<provider>`. Jobs live in memory and move through
//! their lifecycles with time; each provider answers with its own auth checks,
//! error shapes and paging; faults can be switched on per provider or per job.
//! Answers are built from the generated client types, so the sandbox cannot
//! drift from the specs.
//!
//! ## Test your own code against gpujobs-sandbox
//!
//! Add it as a **dev**-dependency (`[dev-dependencies] gpujobs-sandbox = "0.1"`): it emulates
//! every provider, so it depends on all of them, which a dev-dependency keeps out of your
//! program's own build.
//!
//! ```
//! use futures_util::TryStreamExt;
//! use gpujobs::prelude::*;
//! use gpujobs_sandbox::{Fault, FaultRule, Sandbox, SandboxConfig, Timing};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sandbox = Sandbox::start(SandboxConfig::default().timing(Timing::fast())).await?;
//! let ray = sandbox.provider(ProviderKind::Ray)?; // an Arc<dyn JobProvider> pointed at it
//!
//! let job = ray.submit(&SubmitRequest::new("python train.py; exit 3")).await?;
//! let done = ray.wait(&job.id, &WaitOptions::default()).await?;
//! assert_eq!((done.status, done.exit_code), (JobStatus::Failed, Some(3)));
//!
//! // The next request to Ray is refused with a 503: the client retries it.
//! sandbox.inject(FaultRule::new(Fault::Status(503)).provider(ProviderKind::Ray).times(1));
//! let jobs: Vec<Job> = ray.list(ListOptions::default()).try_collect().await?;
//! assert!(!jobs.is_empty());
//! # Ok(()) }
//! ```
//!
//! The same server runs standalone (`cargo run -p gpujobs-sandbox -- --addr
//! 127.0.0.1:8080`) and inside the `gpujobs` CLI (`gpujobs --sandbox …`).
//! [`ReferenceProvider`] is the same job model without HTTP, for unit tests.

mod config;
mod faults;
mod model;
mod providers;
mod reference;
mod server;
mod state;
mod tail;
mod tokens;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

use gpujobs::{JobProvider, ProviderConfig, ProviderKind};

pub use config::{SandboxConfig, SlurmRelease};
pub use faults::{Fault, FaultRule};
pub use model::{JobSpec, Outcome, Phase, SimJob, Timing};
pub use reference::ReferenceProvider;
pub use state::RequestRecord;

use config::USER;
use state::{State, lock};

/// Every provider the sandbox emulates, in [`ProviderKind::ALL`] order (the
/// conformance suite runs its scenarios against each).
pub fn emulated() -> Vec<ProviderKind> {
    providers::EMULATORS.iter().map(|e| e.kind()).collect()
}

/// A running sandbox. Dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    state: Arc<State>,
    _shutdown: tokio::sync::watch::Sender<()>,
}

impl Sandbox {
    /// Starts serving every provider.
    pub async fn start(config: SandboxConfig) -> std::io::Result<Self> {
        let state = Arc::new(State::new(config.clone()));
        if config.demo_jobs {
            providers::seed_demo_jobs(&state);
        }
        let (shutdown, stopped) = tokio::sync::watch::channel(());
        let addr = server::spawn(config.addr, state.clone(), stopped).await?;
        Ok(Self {
            addr,
            state,
            _shutdown: shutdown,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of `provider`, e.g. `http://127.0.0.1:PORT/ray`.
    pub fn base_url(&self, provider: ProviderKind) -> String {
        format!("http://{}/{provider}", self.addr)
    }

    /// The token `provider` accepts, if it checks one.
    pub fn token(&self, provider: ProviderKind) -> Option<&str> {
        self.state.config.tokens.get(&provider).map(String::as_str)
    }

    /// A token `provider` accepts for `lifespan` (from the sandbox's clock),
    /// a JWT with an `exp` as `scontrol token lifespan=…` makes; refused once
    /// expired. `POST /_tokens/{provider}?lifespan=SECONDS` issues one too
    /// (for token commands), answering the token as text.
    ///
    /// ```
    /// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
    /// use gpujobs::ProviderKind;
    /// let sandbox = gpujobs_sandbox::Sandbox::start(Default::default()).await?;
    /// let token = sandbox.issue_token(ProviderKind::Slurm, std::time::Duration::from_secs(20));
    /// assert!(gpujobs::Credential::new(token).expires_at.is_some());
    /// # Ok(()) }
    /// ```
    pub fn issue_token(&self, provider: ProviderKind, lifespan: std::time::Duration) -> String {
        self.state.issue(provider, lifespan)
    }

    /// A provider configuration pointed at the sandbox, with its token.
    pub fn provider_config(&self, provider: ProviderKind) -> ProviderConfig {
        let mut config = ProviderConfig::new(provider);
        config.base_url = Some(self.base_url(provider));
        config.credential = self.token(provider).map(Into::into);
        if provider
            .descriptor()
            .settings
            .iter()
            .any(|s| s.name == "user")
        {
            config.setting("user", USER);
        }
        config
    }

    /// A client of `provider` pointed at the sandbox.
    pub fn provider(&self, provider: ProviderKind) -> gpujobs::Result<Arc<dyn JobProvider>> {
        gpujobs::connect(self.provider_config(provider))
    }

    /// Puts a job in `provider`'s table (how jobs appear on providers that
    /// cannot submit) and returns its id; an error if the sandbox does not
    /// emulate `provider`.
    pub fn add_job(&self, provider: ProviderKind, spec: JobSpec) -> gpujobs::Result<String> {
        match providers::emulator(provider) {
            Some(emulator) => Ok(providers::add_job(&self.state, emulator, spec).id),
            None => Err(gpujobs::Error::config(
                provider,
                "the sandbox does not emulate this provider",
            )),
        }
    }

    /// Switches a fault on.
    pub fn inject(&self, rule: FaultRule) {
        lock(&self.state.faults).push(rule);
    }

    /// Switches every fault off.
    pub fn clear_faults(&self) {
        lock(&self.state.faults).clear();
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.state.requests).clone()
    }

    /// The environment that points a client (the CLI, or `from_env`) at
    /// `provider` here: its base URL, its token where it checks one, and the
    /// user to act as where the provider takes one (Slurm 22.05 needs it:
    /// the sandbox's token names none).
    ///
    /// ```no_run
    /// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
    /// use gpujobs::ProviderKind;
    /// let sandbox = gpujobs_sandbox::Sandbox::start(Default::default()).await?;
    /// let child = std::process::Command::new("gpujobs")
    ///     .args(["-p", "ray", "list"])
    ///     .envs(sandbox.env(ProviderKind::Ray))
    ///     .status()?;
    /// # Ok(()) }
    /// ```
    pub fn env(&self, provider: ProviderKind) -> Vec<(&'static str, String)> {
        let env = provider.descriptor().env;
        let mut vars = vec![(env.base_url, self.base_url(provider))];
        if let (Some(var), Some(token)) = (env.credential, self.token(provider)) {
            vars.push((var, token.to_owned()));
        }
        let user = provider
            .descriptor()
            .settings
            .iter()
            .find(|s| s.name == "user");
        if let Some(var) = user.and_then(|s| s.env.first()) {
            vars.push((var, USER.to_owned()));
        }
        vars
    }

    /// What the standalone server prints: each provider's base URL and the
    /// environment to point a client at it.
    pub fn banner(&self) -> String {
        let mut out = format!("gpujobs sandbox listening on http://{}\n\n", self.addr);
        for kind in emulated() {
            let vars: Vec<String> = self
                .env(kind)
                .into_iter()
                .map(|(var, value)| format!("{var}={value}"))
                .collect();
            out.push_str(&format!("  {:<11} {}\n", kind.as_str(), vars.join(" ")));
        }
        out.push_str("\nThese are demo tokens for this local server only. Ctrl-C stops it.\n");
        out
    }

    /// The package Ray's package endpoints hold under `uri`
    /// (`gcs://_ray_pkg_….zip`): a working directory as a client uploaded it.
    pub fn ray_package(&self, uri: &str) -> Option<Vec<u8>> {
        state::lock(&self.state.packages)
            .get(uri)
            .map(|b| b.to_vec())
    }

    /// The jobs `provider` holds.
    pub fn jobs(&self, provider: ProviderKind) -> Vec<SimJob> {
        let jobs = self.state.jobs();
        jobs.get(&provider)
            .map(|list| list.all().to_vec())
            .unwrap_or_default()
    }
}
