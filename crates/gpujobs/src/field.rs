//! What a refusal is about, by name: a common field of a submit
//! ([`SubmitField`]), a provider's own option or setting, or one of the
//! limits every provider has ([`Field`]). Errors carry one, so a front end
//! can say it in its own words (the CLI names its flag) without reading text.

use std::fmt;

use serde::Serialize;

/// A common field of a [`crate::SubmitRequest`] (`command` is always taken).
///
/// ```
/// use gpujobs::SubmitField;
/// assert_eq!(SubmitField::WorkingDir.name(), "working_dir");
/// assert_eq!(SubmitField::ALL.len(), 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SubmitField {
    /// `id`: a repeated submit with it makes no second job.
    Id,
    /// `name`.
    Name,
    /// `env`.
    Env,
    /// `metadata`.
    Metadata,
    /// `working_dir`.
    WorkingDir,
    /// `cpus`.
    Cpus,
    /// `gpus`.
    Gpus,
    /// `memory_bytes`.
    MemoryBytes,
}

impl SubmitField {
    /// Every field, in the order a request lists them.
    pub const ALL: [SubmitField; 8] = [
        SubmitField::Id,
        SubmitField::Name,
        SubmitField::Env,
        SubmitField::Metadata,
        SubmitField::WorkingDir,
        SubmitField::Cpus,
        SubmitField::Gpus,
        SubmitField::MemoryBytes,
    ];

    /// The field's name in the library (`working_dir`).
    pub const fn name(self) -> &'static str {
        match self {
            SubmitField::Id => "id",
            SubmitField::Name => "name",
            SubmitField::Env => "env",
            SubmitField::Metadata => "metadata",
            SubmitField::WorkingDir => "working_dir",
            SubmitField::Cpus => "cpus",
            SubmitField::Gpus => "gpus",
            SubmitField::MemoryBytes => "memory_bytes",
        }
    }

    /// A bit of its own, for [`crate::SubmitFields`].
    pub(crate) const fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl fmt::Display for SubmitField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an [`crate::Error`] is about, where it is about one thing a caller
/// set ([`crate::Error::fields`]). Messages quote its [`name`](Field::name) in
/// backticks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// A common field of a submit.
    Submit(SubmitField),
    /// A provider's own submit option, by its name ([`crate::OptionFlag::name`]).
    SubmitOption(&'static str),
    /// A provider's own setting, by its name ([`crate::SettingFlag::name`]).
    Setting(&'static str),
    /// The base URL.
    BaseUrl,
    /// The largest answer read ([`crate::ProviderConfig::max_response_bytes`]).
    MaxResponseBytes,
    /// The most pages a listing reads ([`crate::ListOptions::max_pages`]).
    MaxPages,
    /// A sweep's name ([`crate::sweep::Sweep::name`]).
    SweepName,
    /// A sweep's tasks ([`crate::sweep::Sweep::tasks`]).
    SweepTasks,
}

impl Field {
    /// Its name in the library (`working_dir`, `max_response_bytes`).
    pub fn name(self) -> &'static str {
        match self {
            Field::Submit(field) => field.name(),
            Field::SubmitOption(name) | Field::Setting(name) => name,
            Field::BaseUrl => "base_url",
            Field::MaxResponseBytes => "max_response_bytes",
            Field::MaxPages => "max_pages",
            Field::SweepName => "sweep",
            Field::SweepTasks => "tasks",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
