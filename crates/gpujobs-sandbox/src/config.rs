//! How to run a sandbox: [`SandboxConfig`], and the Slurm release it answers as.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use gpujobs::ProviderKind;
use gpujobs_runtime::{Clock, SystemClock};

use crate::model::Timing;

/// The user a client acts as here, where its provider takes one.
pub(crate) const USER: &str = "sandbox";

/// How to run a sandbox.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SandboxConfig {
    /// Where to listen (port 0 picks a free port).
    pub addr: SocketAddr,
    /// The token each provider that checks credentials accepts.
    pub tokens: BTreeMap<ProviderKind, String>,
    /// How fast jobs move.
    pub timing: Timing,
    /// Seed every provider with a few demo jobs in various states.
    pub demo_jobs: bool,
    /// Seeds the generator of job ids and tokens: the same seed gives the same ids.
    pub seed: u64,
    /// The Slurm release whose slurmrestd answers under `/slurm` (default: 26.05,
    /// the newest gpujobs speaks).
    pub slurm_release: SlurmRelease,
    /// What time it is for the jobs (default: the system's). A
    /// [`gpujobs_runtime::ManualClock`] moves them only when a test advances it.
    pub clock: Arc<dyn Clock>,
    /// How long Slurm keeps an ended job after its end (slurmctld's
    /// `MinJobAge`; default: for ever): later, `/slurm/` no longer knows it.
    pub slurm_min_job_age: Option<std::time::Duration>,
    /// Whether Slurm has accounting (slurmdbd, `/slurmdb/`; default: yes):
    /// every job, ended ones however long ago.
    pub slurm_accounting: bool,
    /// The most tasks a Slurm array may have (slurmctld's `MaxArraySize`;
    /// default: Slurm's, 1001, so the largest index is 1000).
    pub slurm_max_array_size: u64,
}

impl Default for SandboxConfig {
    /// Loopback, a free port, demo tokens (`sandbox-<provider>-token`), demo timing and demo jobs.
    fn default() -> Self {
        let tokens = ProviderKind::ALL
            .iter()
            .copied()
            // openYuanrong checks a token only where it has authentication on (`token` turns it on).
            .filter(|k| k.descriptor().env.credential_required)
            .map(|k| (k, format!("sandbox-{k}-token")))
            .collect();
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            tokens,
            timing: Timing::demo(),
            demo_jobs: true,
            seed: fastrand::u64(..),
            slurm_release: SlurmRelease::default(),
            clock: Arc::new(SystemClock),
            slurm_min_job_age: None,
            slurm_accounting: true,
            slurm_max_array_size: 1001,
        }
    }
}

impl SandboxConfig {
    /// Listens on `addr`.
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Sets the token `provider` accepts.
    pub fn token(mut self, provider: ProviderKind, token: impl Into<String>) -> Self {
        self.tokens.insert(provider, token.into());
        self
    }

    /// Makes Slurm forget an ended job this long after its end (`MinJobAge`).
    pub fn slurm_min_job_age(mut self, age: std::time::Duration) -> Self {
        self.slurm_min_job_age = Some(age);
        self
    }

    /// Runs Slurm with or without accounting (`/slurmdb/`).
    pub fn slurm_accounting(mut self, accounting: bool) -> Self {
        self.slurm_accounting = accounting;
        self
    }

    /// Lets a Slurm array's indices go up to `size - 1` (`MaxArraySize`).
    pub fn slurm_max_array_size(mut self, size: u64) -> Self {
        self.slurm_max_array_size = size;
        self
    }

    /// Sets how fast jobs move.
    pub fn timing(mut self, timing: Timing) -> Self {
        self.timing = timing;
        self
    }

    /// Tells the jobs' time from `clock`: with a [`gpujobs_runtime::ManualClock`]
    /// a job moves only when the test advances it, however busy the machine.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use gpujobs_runtime::ManualClock;
    /// let clock = ManualClock::new();
    /// let config = gpujobs_sandbox::SandboxConfig::default().clock(Arc::new(clock.clone()));
    /// ```
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Makes job ids repeatable.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Answers under `/slurm` as this Slurm release's slurmrestd does.
    pub fn slurm_release(mut self, release: SlurmRelease) -> Self {
        self.slurm_release = release;
        self
    }

    /// Starts with no demo jobs.
    pub fn empty(mut self) -> Self {
        self.demo_jobs = false;
        self
    }
}

/// A Slurm release whose slurmrestd the sandbox answers as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SlurmRelease {
    /// Slurm 22.05.8 (Debian 12): API v0.0.36 to v0.0.38; gpujobs speaks v0.0.38.
    V22_05,
    /// Slurm 24.11.5 (Debian 13): API v0.0.40 to v0.0.42.
    V24_11,
    /// Slurm 26.05.5 (Debian forky): API v0.0.42 to v0.0.45.
    #[default]
    V26_05,
}

impl SlurmRelease {
    /// Every release the sandbox answers as, oldest first.
    pub const ALL: [SlurmRelease; 3] = [Self::V22_05, Self::V24_11, Self::V26_05];

    /// The release, as Slurm numbers it (`24.11.5`).
    pub fn number(self) -> &'static str {
        match self {
            Self::V22_05 => "22.05.8",
            Self::V24_11 => "24.11.5",
            Self::V26_05 => "26.05.5",
        }
    }

    /// The API versions its slurmrestd serves by default, newest first.
    pub fn versions(self) -> &'static [&'static str] {
        match self {
            Self::V22_05 => &["v0.0.38", "v0.0.37", "v0.0.36"],
            Self::V24_11 => &["v0.0.42", "v0.0.41", "v0.0.40"],
            Self::V26_05 => &["v0.0.45", "v0.0.44", "v0.0.43", "v0.0.42"],
        }
    }
}

impl std::str::FromStr for SlurmRelease {
    type Err = String;

    /// `22.05`, `24.11` or `26.05` (a patch number is allowed).
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.number().starts_with(s) && s.len() >= 5)
            .ok_or_else(|| format!("no Slurm release `{s}` in the sandbox (22.05, 24.11 or 26.05)"))
    }
}
