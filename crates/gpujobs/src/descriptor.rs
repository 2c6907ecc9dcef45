//! What gpujobs knows about a provider, in one value per provider.

use std::sync::Arc;

use serde::Serialize;

use std::fmt;

use crate::config::ProviderConfig;
use crate::error::{Error, Result};
use crate::job::{Job, JobStatus};
use crate::options::{OptionFlag, OptionKey, OptionValues, SettingFlag, find_options};
use crate::provider::{Capabilities, JobProvider};
use crate::registry::ProviderKind;
use crate::submit::{SharedOptions, SubmitFields};

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
    /// Which common fields of a submit it honours (the rest it refuses).
    pub submit: SubmitFields,
    /// Its own submit options ([`crate::SubmitOptions`]), as a command line offers them.
    pub options: &'static [OptionFlag],
    /// Its own settings (how it is reached: Slurm's user, its API version),
    /// with the variables they are read from.
    pub settings: &'static [SettingFlag],
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

    /// This provider's own submit options, from values given for its
    /// [`options`](Descriptor::options) (none given: none).
    pub fn options_from(&self, values: &OptionValues) -> Result<Option<SharedOptions>> {
        (self.api.options_from)(values)
    }

    /// Its submit options asked for by name or flag; any that is another
    /// provider's, or no provider's, is refused with [`Error::InvalidRequest`]
    /// naming each (`name` says how a front end calls an option: the CLI by
    /// its flag, Python by its name) — the one refusal every front end shows.
    ///
    /// ```
    /// use gpujobs::{OptionKey, ProviderKind};
    /// let slurm = ProviderKind::Slurm.descriptor();
    /// let named = |o: &gpujobs::OptionFlag| format!("`{}`", o.name);
    /// let found = slurm.options_named([OptionKey::Flag("time-limit")], named).unwrap();
    /// assert_eq!(found[0].name, "time_limit");
    /// let refused = slurm.options_named([OptionKey::Name("image")], named).unwrap_err();
    /// assert!(refused.to_string().contains("cannot honour `image` (an option of matpool)"), "{refused}");
    /// ```
    pub fn options_named<'k>(
        &self,
        keys: impl IntoIterator<Item = OptionKey<'k>>,
        name: impl Fn(&OptionFlag) -> String,
    ) -> Result<Vec<&'static OptionFlag>> {
        find_options(self.kind, self.options, keys, name)
    }

    /// Reads a job answer's bytes as the client does (for property tests and fuzzing).
    #[cfg(feature = "decoders")]
    pub fn decode_job(&self, bytes: &[u8]) -> Result<Job> {
        (self.api.decode_job)(bytes)
    }

    /// Reads a list page's bytes as the client does (for property tests and fuzzing).
    #[cfg(feature = "decoders")]
    pub fn decode_page(&self, bytes: &[u8]) -> Result<Vec<Job>> {
        (self.api.decode_page)(bytes)
    }

    /// Reads an error answer as the client does (for property tests and fuzzing).
    #[cfg(feature = "decoders")]
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
    /// Older names of the credential variable, still read when
    /// [`credential`](Self::credential) is not set (TensorPool's `TENSORPOOL_KEY`).
    pub credential_aliases: &'static [&'static str],
    /// Whether a client cannot be made without the credential (false: the
    /// server may run without authentication, as openYuanrong's can).
    pub credential_required: bool,
    /// The base-URL override.
    pub base_url: &'static str,
    /// The base URL when the override is not set (none: the override is required).
    pub default_base_url: Option<&'static str>,
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
            credential_aliases: &[],
            credential_required: credential.is_some(),
            base_url,
            default_base_url,
        }
    }

    /// These variables, with older names of the credential variable (for descriptors).
    pub(crate) const fn aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.credential_aliases = aliases;
        self
    }

    /// These variables, the credential not required (for descriptors).
    pub(crate) const fn optional_credential(mut self) -> Self {
        self.credential_required = false;
        self
    }

    /// Every variable the credential is read from, the preferred one first.
    pub fn credential_vars(&self) -> impl Iterator<Item = &'static str> {
        self.credential
            .into_iter()
            .chain(self.credential_aliases.iter().copied())
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

/// What gpujobs knows of a provider written outside it ([`ProviderKind::Custom`]):
/// nothing; the provider's own `capabilities()` says what it supports.
pub(crate) static CUSTOM: Descriptor = Descriptor {
    kind: ProviderKind::Custom("custom"),
    name: "custom",
    title: "a provider written outside gpujobs",
    env: EnvVars::new(None, "", None),
    capabilities: Capabilities::NONE,
    submit: SubmitFields::NONE,
    options: &[],
    settings: &[],
    statuses: StatusTable::new(&[], false),
    notes: &[],
    api: ApiFns {
        connect: |config| Err(built_elsewhere(config.kind)),
        decode_job: |_| Err(built_elsewhere(ProviderKind::Custom("custom"))),
        decode_page: |_| Err(built_elsewhere(ProviderKind::Custom("custom"))),
        decode_error: |_, _| built_elsewhere(ProviderKind::Custom("custom")),
        options_from: |_| Ok(None),
    },
};

fn built_elsewhere(kind: ProviderKind) -> crate::Error {
    crate::Error::config(
        kind,
        format!("{kind} is a provider written outside gpujobs: build it with its own crate"),
    )
}

/// What a descriptor does through its provider's `Api`: connect, and read
/// answers without HTTP (what the property tests and fuzz targets drive).
#[derive(Clone, Copy)]
pub(crate) struct ApiFns {
    pub connect: fn(ProviderConfig) -> Result<Arc<dyn JobProvider>>,
    // Read only by the `decoders` feature's methods of `Descriptor`.
    #[cfg_attr(not(feature = "decoders"), allow(dead_code))]
    pub decode_job: fn(&[u8]) -> Result<Job>,
    #[cfg_attr(not(feature = "decoders"), allow(dead_code))]
    pub decode_page: fn(&[u8]) -> Result<Vec<Job>>,
    #[cfg_attr(not(feature = "decoders"), allow(dead_code))]
    pub decode_error: fn(u16, &[u8]) -> Error,
    pub options_from: fn(&OptionValues) -> Result<Option<SharedOptions>>,
}

impl fmt::Debug for ApiFns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiFns")
    }
}
