//! How a job ended, beyond its status: why it did not succeed ([`Cause`]),
//! one vocabulary over every provider's states and reasons, and what it was
//! given and used ([`Usage`]).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize, Serializer};

/// Why a job that ended did not succeed, the same words for every provider
/// (`specs/causes.md` says where each provider's mapping comes from). A job
/// that runs or succeeded has none.
///
/// What a retry policy can act on: a job's own failure ([`Cause::ExitCode`])
/// would fail again; a lost node or a preemption ([`Cause::NodeFailure`],
/// [`Cause::Preempted`]) may not.
///
/// ```
/// use gpujobs::Cause;
/// assert_eq!(Cause::TimeLimit.to_string(), "time_limit");
/// assert_eq!("node_failure".parse::<Cause>(), Ok(Cause::NodeFailure));
/// assert!(Cause::Preempted.is_infrastructure() && !Cause::ExitCode.is_infrastructure());
/// ```
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Cause {
    /// The job's own command failed (a non-zero exit, or a signal it raised).
    ExitCode,
    /// It ran out of its time limit.
    TimeLimit,
    /// It ran out of memory.
    OutOfMemory,
    /// A node, its boot, or the provider's infrastructure failed under it.
    NodeFailure,
    /// The scheduler took its resources for another job.
    Preempted,
    /// Someone canceled it.
    Canceled,
    /// It could not end by its deadline.
    Deadline,
    /// It failed, and the provider does not say why.
    Unknown,
}

impl Cause {
    /// Every cause.
    pub const ALL: [Cause; 8] = [
        Cause::ExitCode,
        Cause::TimeLimit,
        Cause::OutOfMemory,
        Cause::NodeFailure,
        Cause::Preempted,
        Cause::Canceled,
        Cause::Deadline,
        Cause::Unknown,
    ];

    /// The name, as JSON writes it (`time_limit`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Cause::ExitCode => "exit_code",
            Cause::TimeLimit => "time_limit",
            Cause::OutOfMemory => "out_of_memory",
            Cause::NodeFailure => "node_failure",
            Cause::Preempted => "preempted",
            Cause::Canceled => "canceled",
            Cause::Deadline => "deadline",
            Cause::Unknown => "unknown",
        }
    }

    /// Whether the cause lies outside the job: the same job may succeed when
    /// run again (a node failed, it was preempted).
    pub const fn is_infrastructure(self) -> bool {
        matches!(self, Cause::NodeFailure | Cause::Preempted)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Cause {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Cause::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown cause `{s}`"))
    }
}

/// What a job was given and how long it ran, where the provider reports it.
///
/// ```
/// use std::time::Duration;
/// let mut usage = gpujobs::Usage::default();
/// usage.elapsed = Some(Duration::from_secs(75));
/// usage.cpus = Some(2.0);
/// let json = serde_json::to_value(&usage).unwrap();
/// assert_eq!((json["elapsed_seconds"].as_f64(), json["cpus"].as_f64()), (Some(75.0), Some(2.0)));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct Usage {
    /// How long it ran (in JSON `elapsed_seconds`).
    #[serde(rename = "elapsed_seconds", serialize_with = "seconds")]
    #[schemars(rename = "elapsed_seconds", with = "Option<f64>")]
    pub elapsed: Option<Duration>,
    /// The CPUs it was allocated.
    pub cpus: Option<f64>,
    /// The memory it was allocated, in bytes.
    pub memory_bytes: Option<u64>,
    /// The GPUs it was allocated.
    pub gpus: Option<f64>,
    /// The nodes it ran on (Slurm's host list, e.g. `gpu[01-04]`).
    pub nodes: Option<String>,
}

impl Usage {
    /// Whether nothing is known.
    pub fn is_empty(&self) -> bool {
        self == &Usage::default()
    }
}

fn seconds<S: Serializer>(elapsed: &Option<Duration>, serializer: S) -> Result<S::Ok, S::Error> {
    match elapsed {
        Some(d) => serializer.serialize_f64(d.as_secs_f64()),
        None => serializer.serialize_none(),
    }
}
