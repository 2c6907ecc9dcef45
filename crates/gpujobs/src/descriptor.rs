//! What gpujobs knows about a provider, in one value per provider.

use std::sync::Arc;

use serde::Serialize;

use crate::config::ProviderConfig;
use crate::error::Result;
use crate::job::{Job, JobStatus};
use crate::provider::{Capabilities, JobProvider};
use crate::providers::ApiFns;
use crate::registry::ProviderKind;

/// Everything the rest of gpujobs (and the CLI) asks about a provider: its
/// names, environment variables, capabilities, status mapping, and how to
/// connect. Each provider's module holds its own; [`ProviderKind::descriptor`]
/// finds it.
///
/// ```
/// use gpujobs::{JobStatus, ProviderKind};
/// let ray = ProviderKind::Ray.descriptor();
/// assert_eq!(ray.env.base_url, "RAY_API_SERVER_ADDRESS");
/// assert_eq!(ray.statuses.map("STOPPED"), JobStatus::Canceled);
/// assert!(ray.capabilities.submit);
/// ```
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct Descriptor {
    /// The kind.
    pub kind: ProviderKind,
    /// The lowercase name, as on the command line (`ray`).
    pub name: &'static str,
    /// What it is (`Ray Jobs REST API`).
    pub title: &'static str,
    /// The environment variables it is configured from.
    pub env: EnvVars,
    /// What it supports.
    pub capabilities: Capabilities,
    /// How its status values map onto [`JobStatus`].
    pub statuses: StatusTable,
    /// What a user should know, one sentence each (shown by `gpujobs providers`).
    pub notes: &'static [&'static str],
    #[serde(skip)]
    pub(crate) api: ApiFns,
}

impl Descriptor {
    /// A provider of this kind built from `config`.
    pub fn connect(&self, config: ProviderConfig) -> Result<Arc<dyn JobProvider>> {
        (self.api.connect)(config)
    }

    /// Reads a job answer's bytes as the client does (for property tests and fuzzing).
    #[doc(hidden)]
    pub fn decode_job(&self, bytes: &[u8]) -> Result<Job> {
        (self.api.decode_job)(bytes)
    }

    /// Reads a list page's bytes as the client does (for property tests and fuzzing).
    #[doc(hidden)]
    pub fn decode_page(&self, bytes: &[u8]) -> Result<Vec<Job>> {
        (self.api.decode_page)(bytes)
    }

    /// Reads an error answer as the client does (for property tests and fuzzing).
    #[doc(hidden)]
    pub fn decode_error(&self, status: u16, bytes: &[u8]) -> crate::Error {
        (self.api.decode_error)(status, bytes)
    }
}

/// The environment variables a provider is configured from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EnvVars {
    /// The credential variable, if the provider takes one.
    pub credential: Option<&'static str>,
    /// The base-URL override.
    pub base_url: &'static str,
    /// The base URL when the override is not set (none: the override is required).
    pub default_base_url: Option<&'static str>,
    /// The variables naming the user, first found wins (providers that want one: Slurm).
    pub user: &'static [&'static str],
    /// The variable pinning the API version, for providers whose servers serve several (Slurm).
    pub api_version: Option<&'static str>,
}

impl EnvVars {
    /// Variables for a provider (for descriptors).
    pub(crate) const fn new(
        credential: Option<&'static str>,
        base_url: &'static str,
        default_base_url: Option<&'static str>,
    ) -> Self {
        Self {
            credential,
            base_url,
            default_base_url,
            user: &[],
            api_version: None,
        }
    }

    /// The same, with the variables that name the user.
    #[cfg_attr(not(feature = "slurm"), allow(dead_code))] // only Slurm names a user
    pub(crate) const fn with_user(mut self, user: &'static [&'static str]) -> Self {
        self.user = user;
        self
    }

    /// The same, with the variable that pins the API version.
    #[cfg_attr(not(feature = "slurm"), allow(dead_code))] // only Slurm has versions
    pub(crate) const fn with_api_version(mut self, var: &'static str) -> Self {
        self.api_version = Some(var);
        self
    }
}

/// A provider's status values and what each means, in lifecycle order.
#[derive(Debug, Serialize)]
#[non_exhaustive]
pub struct StatusTable {
    /// `(provider value, status)`; a value may appear under several spellings.
    pub values: &'static [(&'static str, JobStatus)],
    /// Whether values are matched regardless of case.
    pub ignore_case: bool,
}

impl StatusTable {
    /// A table (for descriptors).
    pub(crate) const fn new(
        values: &'static [(&'static str, JobStatus)],
        ignore_case: bool,
    ) -> Self {
        Self {
            values,
            ignore_case,
        }
    }

    /// The status of a provider value; a value not in the table is
    /// [`JobStatus::Unknown`] with the value (never terminal).
    pub fn map(&self, raw: &str) -> JobStatus {
        self.values
            .iter()
            .find(|(value, _)| match self.ignore_case {
                true => value.eq_ignore_ascii_case(raw),
                false => *value == raw,
            })
            .map_or_else(
                || JobStatus::Unknown(raw.to_owned()),
                |(_, status)| status.clone(),
            )
    }
}

/// The in-memory reference provider's descriptor: built by
/// `gpujobs_sandbox::ReferenceProvider`, never by `connect`.
#[cfg(feature = "testing")]
pub(crate) static MEMORY: Descriptor = Descriptor {
    kind: ProviderKind::Memory,
    name: "memory",
    title: "in-memory reference provider (gpujobs-sandbox)",
    env: EnvVars::new(None, "GPUJOBS_MEMORY_URL", None),
    capabilities: Capabilities::NONE,
    statuses: StatusTable::new(&[], false),
    notes: &[],
    api: ApiFns {
        connect: |_| Err(not_http()),
        decode_job: |_| Err(not_http()),
        decode_page: |_| Err(not_http()),
        decode_error: |_, _| not_http(),
    },
};

#[cfg(feature = "testing")]
fn not_http() -> crate::Error {
    crate::Error::Config {
        provider: ProviderKind::Memory,
        message: "the in-memory provider has no HTTP: it is gpujobs_sandbox::ReferenceProvider"
            .into(),
    }
}
