//! The one job model and the one status model.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use gpujobs_runtime::SensitiveUrl;

use crate::outcome::{Cause, Usage};
use crate::registry::{ProviderJob, ProviderKind};

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
    /// The lowercase name; width, fill and alignment apply (`{:<10}`).
    ///
    /// ```
    /// use gpujobs::{JobStatus, ProviderKind};
    /// assert_eq!(format!("[{:<9}]", JobStatus::Running), "[running  ]");
    /// assert_eq!(format!("[{:>9}]", JobStatus::Failed), "[   failed]");
    /// assert_eq!(format!("[{:^8}]", ProviderKind::Ray), "[  ray   ]");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A status name that is not one of gpujobs' statuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown status `{name}` (expected queued, starting, running, canceling, succeeded, failed, canceled or unknown)"
)]
pub struct UnknownStatus {
    /// The name given.
    pub name: String,
}

impl FromStr for JobStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("unknown") {
            return Ok(Self::Unknown(String::new()));
        }
        Self::KNOWN
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownStatus { name: s.to_owned() })
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
#[non_exhaustive]
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
    /// Why it did not succeed, once it ended without succeeding.
    pub cause: Option<Cause>,
    /// What it was given and how long it ran, where the provider says.
    pub usage: Option<Usage>,
    /// The native array it is a task of, and its index there (Slurm's
    /// `1234_7`: array `1234`, index 7).
    pub array: Option<ArrayTask>,
    /// Where the job's log can be fetched, if the provider gives a URL.
    pub log_url: Option<SensitiveUrl>,
    /// The provider's own record of the job (left out of JSON when absent).
    #[serde(skip_serializing_if = "ProviderJob::is_absent")]
    pub raw: ProviderJob,
}

/// A job's place in a native array: the array's id (the parent, which
/// `cancel` takes for every task at once) and the task's index.
///
/// ```
/// use gpujobs::ArrayTask;
/// let task = ArrayTask::new("1234", 7);
/// assert_eq!(task.task_id(), "1234_7");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct ArrayTask {
    /// The array's id.
    pub array: String,
    /// The task's index in it.
    pub index: u64,
}

impl ArrayTask {
    /// Task `index` of array `array`.
    pub fn new(array: impl Into<String>, index: u64) -> Self {
        Self {
            array: array.into(),
            index,
        }
    }

    /// The task's own id, as Slurm writes it: `<array>_<index>`.
    pub fn task_id(&self) -> String {
        format!("{}_{}", self.array, self.index)
    }
}

impl fmt::Display for Job {
    /// One line a person can read: `provider/id (name): status (exit N): why`,
    /// with the provider's text made safe for a terminal. Width, fill and
    /// alignment apply to the whole line.
    ///
    /// ```
    /// use gpujobs::{Job, JobStatus, ProviderKind};
    /// let mut job = Job::new(ProviderKind::Slurm, "6", JobStatus::Failed, "FAILED");
    /// job.name = Some("train\x1b[2J".into());
    /// job.exit_code = Some(3);
    /// job.failure_reason = Some("FAILED: exit code 3".into());
    /// assert_eq!(job.to_string(), "slurm/6 (train\\x1b[2J): failed (exit 3): FAILED: exit code 3");
    /// let short = Job::new(ProviderKind::Ray, "r1", JobStatus::Running, "RUNNING");
    /// assert_eq!(format!("[{short:<20}]"), "[ray/r1: running     ]");
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use std::fmt::Write as _;
        let mut line = format!("{}/{}", self.provider, crate::terminal_safe(&self.id));
        if let Some(name) = &self.name {
            let _ = write!(line, " ({})", crate::terminal_safe(name));
        }
        let _ = write!(line, ": {}", self.status);
        if let Some(code) = self.exit_code {
            let _ = write!(line, " (exit {code})");
        }
        if let Some(reason) = &self.failure_reason {
            let _ = write!(line, ": {}", crate::terminal_safe(reason));
        }
        f.pad(&line)
    }
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

    /// Sets the cause of a job in its status from a provider's `table` of its
    /// own values (`key`: the state or error kind the provider reports):
    /// none while it runs or once it succeeded; `Canceled` for a canceled job
    /// the table says nothing of; `Unknown` for a failure it does not explain.
    pub(crate) fn with_cause(mut self, key: Option<&str>, table: &[(&str, Cause)]) -> Self {
        let listed = key
            .and_then(|key| table.iter().find(|(value, _)| *value == key))
            .map(|(_, cause)| *cause);
        self.cause = match self.status {
            JobStatus::Failed => Some(listed.unwrap_or(Cause::Unknown)),
            JobStatus::Canceled => Some(listed.unwrap_or(Cause::Canceled)),
            _ => None,
        };
        self
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
            cause: None,
            usage: None,
            array: None,
            log_url: None,
            raw: ProviderJob::Absent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_is_given_only_to_jobs_that_did_not_succeed() {
        let table = [("TIMEOUT", Cause::TimeLimit), ("REVOKED", Cause::Canceled)];
        let job = |status: JobStatus| Job::new(ProviderKind::Slurm, "1", status, "X");
        let cause = |status, key| job(status).with_cause(key, &table).cause;
        assert_eq!(
            cause(JobStatus::Failed, Some("TIMEOUT")),
            Some(Cause::TimeLimit)
        );
        assert_eq!(cause(JobStatus::Failed, Some("NEW")), Some(Cause::Unknown));
        assert_eq!(cause(JobStatus::Failed, None), Some(Cause::Unknown));
        assert_eq!(cause(JobStatus::Canceled, None), Some(Cause::Canceled));
        assert_eq!(cause(JobStatus::Succeeded, Some("TIMEOUT")), None);
        assert_eq!(cause(JobStatus::Running, None), None);
        for cause in Cause::ALL {
            assert_eq!(cause.as_str().parse(), Ok(cause));
            assert_eq!(serde_json::to_value(cause).unwrap(), cause.as_str());
        }
    }
}
