//! The one job model and the one status model.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use gpujobs_runtime::SensitiveUrl;

/// The providers gpujobs speaks to.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// PPIO GPU API v2.
    Ppio,
    /// openYuanrong jobs.
    Yuanrong,
    /// Ray Jobs REST API.
    Ray,
    /// Matpool PaaS API.
    Matpool,
    /// TensorPool.
    Tensorpool,
    /// The in-memory reference provider of `gpujobs-sandbox`, for tests (not in [`ProviderKind::ALL`]).
    Memory,
}

impl ProviderKind {
    /// Every provider, in the order they are listed everywhere.
    pub const ALL: [ProviderKind; 5] = [
        Self::Ppio,
        Self::Yuanrong,
        Self::Ray,
        Self::Matpool,
        Self::Tensorpool,
    ];

    /// The lowercase name, as on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ppio => "ppio",
            Self::Yuanrong => "yuanrong",
            Self::Ray => "ray",
            Self::Matpool => "matpool",
            Self::Tensorpool => "tensorpool",
            Self::Memory => "memory",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown provider `{s}` (expected one of ppio, yuanrong, ray, matpool, tensorpool)"))
    }
}

/// Where a job is in its life, the same for every provider.
///
/// Each provider maps its own values onto these exhaustively; a value it does
/// not know becomes [`JobStatus::Unknown`] with the raw value, which is never
/// terminal (so `wait` keeps waiting rather than reporting a guess).
///
/// ```
/// use gpujobs::JobStatus;
/// assert!(JobStatus::Canceled.is_terminal());
/// assert!(!JobStatus::Unknown("PREEMPTED".into()).is_terminal());
/// assert_eq!("running".parse::<JobStatus>().unwrap(), JobStatus::Running);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JobStatus {
    /// Accepted, waiting for resources.
    Queued,
    /// Resources found; being set up.
    Starting,
    /// Running.
    Running,
    /// A cancel is in progress.
    Canceling,
    /// Ended successfully.
    Succeeded,
    /// Ended in failure (see the job's failure reason and exit code).
    Failed,
    /// Ended because it was canceled.
    Canceled,
    /// A provider value gpujobs does not know (kept as it came).
    Unknown(String),
}

impl JobStatus {
    /// The known statuses, in lifecycle order (`Unknown` aside).
    pub const KNOWN: [JobStatus; 7] = [
        Self::Queued,
        Self::Starting,
        Self::Running,
        Self::Canceling,
        Self::Succeeded,
        Self::Failed,
        Self::Canceled,
    ];

    /// Whether the job has ended: succeeded, failed or canceled. Never true for `Unknown`.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }

    /// The lowercase name (`unknown` for every unknown value).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Canceling => "canceling",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
            Self::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("unknown") {
            return Ok(Self::Unknown(String::new()));
        }
        Self::KNOWN
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown status `{s}` (expected queued, starting, running, canceling, succeeded, failed, canceled or unknown)")
            })
    }
}

impl Serialize for JobStatus {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for JobStatus {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for JobStatus {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "JobStatus".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "enum": ["queued", "starting", "running", "canceling", "succeeded", "failed", "canceled", "unknown"]
        })
    }
}

/// A job on any provider.
///
/// Serializes to JSON with secrets redacted (serialize inside
/// [`gpujobs_runtime::reveal`] to include them). `raw` is the provider's own
/// record, in the type generated from its spec, for full fidelity.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Job {
    /// The provider.
    pub provider: ProviderKind,
    /// The id to pass back to `get`, `cancel`, `wait` and `logs`.
    pub id: String,
    /// A human name, where the provider has one.
    pub name: Option<String>,
    /// The unified status.
    pub status: JobStatus,
    /// The provider's own status value, as a string.
    pub provider_status: String,
    /// Why the job failed, where known.
    pub failure_reason: Option<String>,
    /// The job's exit code, where known.
    pub exit_code: Option<i64>,
    /// When the job was created (UTC).
    pub created_at: Option<DateTime<Utc>>,
    /// When the job started running (UTC).
    pub started_at: Option<DateTime<Utc>>,
    /// When the job ended (UTC).
    pub finished_at: Option<DateTime<Utc>>,
    /// The provider's message about the job, if any.
    pub message: Option<String>,
    /// Where the job's log can be fetched, if the provider gives a URL.
    pub log_url: Option<SensitiveUrl>,
    /// The provider's own record of the job.
    pub raw: ProviderJob,
}

impl Job {
    /// The JSON Schema of a job as it serializes (the `raw` record included).
    ///
    /// ```
    /// let schema = gpujobs::Job::json_schema();
    /// assert_eq!(schema["properties"]["status"]["$ref"], "#/$defs/JobStatus");
    /// ```
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(Job)).unwrap_or_default()
    }

    /// A job with only its identity and status set; adapters fill in the rest.
    pub fn new(
        provider: ProviderKind,
        id: impl Into<String>,
        status: JobStatus,
        provider_status: impl Into<String>,
    ) -> Self {
        Self {
            provider,
            id: id.into(),
            name: None,
            status,
            provider_status: provider_status.into(),
            failure_reason: None,
            exit_code: None,
            created_at: None,
            started_at: None,
            finished_at: None,
            message: None,
            log_url: None,
            raw: ProviderJob::Absent,
        }
    }
}

/// A provider's own record of a job, in the type generated from its spec.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ProviderJob {
    /// PPIO's job.
    #[cfg(feature = "ppio")]
    Ppio(Box<gpujobs_ppio::types::Job>),
    /// openYuanrong's AppInfo.
    #[cfg(feature = "yuanrong")]
    Yuanrong(Box<gpujobs_yuanrong::types::AppInfo>),
    /// Ray's JobDetails.
    #[cfg(feature = "ray")]
    Ray(Box<gpujobs_ray::types::JobDetails>),
    /// Matpool's job.
    #[cfg(feature = "matpool")]
    Matpool(Box<gpujobs_matpool::types::Job>),
    /// TensorPool's free-form `job_info`.
    #[cfg(feature = "tensorpool")]
    Tensorpool(Box<serde_json::Map<String, serde_json::Value>>),
    /// No provider record (a job made by hand, or by an in-memory provider).
    Absent,
}
