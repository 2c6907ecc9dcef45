//! What slurmrestd answers about jobs, in the version spoken ([`Jobs`]), and
//! the jobs read out of it.

use serde::Deserialize;

use super::errors::check;
use super::{v0_0_38, v0_0_42};
use crate::error::Result;
use crate::job::Job;

/// What slurmrestd answers about jobs (one, or all), in the version spoken.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "an answer is read once where it is made")]
pub enum Jobs {
    /// v0.0.38's answer.
    V0038(gpujobs_slurm::v0_0_38::types::V0038JobsResponse),
    /// A data_parser version's answer.
    V0042(gpujobs_slurm::v0_0_42::types::V0042OpenapiJobInfoResp),
}

impl<'de> Deserialize<'de> for Jobs {
    /// Either version's answer, told apart by its shape: from v0.0.40 on,
    /// `job_state` is a list and `meta.plugin` names its data parser. (Used
    /// when reading recorded or fuzzed bytes; a client knows its version.)
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = serde_json::Value::deserialize(deserializer)?;
        let data_parser = value.pointer("/meta/plugin/data_parser").is_some()
            || value.get("jobs").and_then(|j| j.as_array()).is_some_and(|jobs| jobs.iter().any(|j| j.get("job_state").is_some_and(|s| s.is_array())));
        match data_parser {
            true => serde_json::from_value(value).map(Jobs::V0042),
            false => serde_json::from_value(value).map(Jobs::V0038),
        }
        .map_err(D::Error::custom)
    }
}

impl Jobs {
    /// The jobs it holds, or the error its `errors` report.
    pub(super) fn read(self) -> Result<Vec<Job>> {
        Ok(match self {
            Jobs::V0038(answer) => {
                check(answer.errors.iter().map(v0_0_38::reported))?;
                answer.jobs.into_iter().map(v0_0_38::to_job).collect()
            }
            Jobs::V0042(answer) => {
                check(answer.errors.iter().flat_map(|e| e.0.iter()).map(v0_0_42::reported))?;
                answer.jobs.into_iter().flat_map(|j| j.0).map(v0_0_42::to_job).collect()
            }
        })
    }

    /// Each job with its comment (where a submit leaves its mark).
    pub(super) fn with_comments(self) -> Vec<(Job, String)> {
        match self {
            Jobs::V0038(answer) => answer
                .jobs
                .into_iter()
                .map(|j| (j.comment.clone().unwrap_or_default(), j))
                .map(|(c, j)| (v0_0_38::to_job(j), c))
                .collect(),
            Jobs::V0042(answer) => answer
                .jobs
                .into_iter()
                .flat_map(|jobs| jobs.0)
                .map(|j| (j.comment.clone().unwrap_or_default(), j))
                .map(|(c, j)| (v0_0_42::to_job(j), c))
                .collect(),
        }
    }
}
