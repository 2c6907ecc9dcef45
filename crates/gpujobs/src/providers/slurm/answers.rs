//! What slurmrestd answers about jobs, in the version spoken ([`Jobs`]):
//! slurmctld's (the jobs it knows) or accounting's (slurmdbd's: every job,
//! ended ones long after slurmctld forgot them); and the jobs read out of it.

use serde::Deserialize;

use super::errors::check;
use super::{v0_0_38, v0_0_42};
use crate::error::Result;
use crate::job::Job;
use gpujobs_slurm::{v0_0_38::types as t38, v0_0_42::types as t42};

/// How slurmrestd 22.05 says an accounting query found no job (MEASURED).
const NOTHING_FOUND: i64 = 9003;

/// What slurmrestd answers about jobs (one, or many), in the version spoken.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "an answer is read once where it is made")]
pub enum Jobs {
    /// v0.0.38's answer.
    V0038(t38::V0038JobsResponse),
    /// A data_parser version's answer.
    V0042(t42::V0042OpenapiJobInfoResp),
    /// Accounting's answer, v0.0.38's (dbv0.0.38).
    AccountingV0038(t38::Dbv0038JobInfo),
    /// Accounting's answer, a data_parser version's.
    AccountingV0042(t42::V0042OpenapiSlurmdbdJobsResp),
}

impl<'de> Deserialize<'de> for Jobs {
    /// Any of the four, told apart by their shape: from v0.0.40 on, `job_state`
    /// is a list and `meta.plugin` names a data parser; an accounting record's
    /// `state` is an object, `{current, reason}`. (Used when reading recorded
    /// or fuzzed bytes; a client knows what it asked.)
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = serde_json::Value::deserialize(deserializer)?;
        let jobs = value.get("jobs").and_then(|j| j.as_array());
        let any = |has: fn(&serde_json::Value) -> bool| jobs.is_some_and(|jobs| jobs.iter().any(has));
        let data_parser = value.pointer("/meta/plugin/data_parser").is_some() || any(|j| j.get("job_state").is_some_and(|s| s.is_array()));
        let accounting = any(|j| j.get("state").is_some_and(|s| s.is_object()))
            || value.pointer("/meta/plugin/type").and_then(|t| t.as_str()).is_some_and(|t| t.contains("db"));
        match (accounting, data_parser) {
            (true, true) => serde_json::from_value(value).map(Jobs::AccountingV0042),
            (true, false) => serde_json::from_value(value).map(Jobs::AccountingV0038),
            (false, true) => serde_json::from_value(value).map(Jobs::V0042),
            (false, false) => serde_json::from_value(value).map(Jobs::V0038),
        }
        .map_err(D::Error::custom)
    }
}

/// A listing: the jobs slurmctld knows, and accounting's jobs of a window
/// over ended ones where one was asked (and the server has accounting).
#[derive(Debug)]
pub struct Listing {
    jobs: Jobs,
    accounted: Option<Jobs>,
}

impl Listing {
    pub(super) fn new(jobs: Jobs, accounted: Option<Jobs>) -> Self {
        Self { jobs, accounted }
    }

    /// slurmctld's jobs, then accounting's that slurmctld no longer knows.
    pub(super) fn read(self) -> Result<Vec<Job>> {
        let mut jobs = self.jobs.read()?;
        if let Some(accounted) = self.accounted {
            let known: std::collections::HashSet<String> = jobs.iter().map(|j| j.id.clone()).collect();
            jobs.extend(accounted.read()?.into_iter().filter(|j| !known.contains(&j.id)));
        }
        Ok(jobs)
    }
}

impl<'de> Deserialize<'de> for Listing {
    /// One answer, as a listing without a window (for recorded or fuzzed bytes).
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::new(Jobs::deserialize(deserializer)?, None))
    }
}

impl Jobs {
    /// Whether it holds a record of the job `id` (an array's task `A_I`: a
    /// record of the array's task `I`, or of its tasks pending together).
    pub(super) fn holds(&self, id: &str) -> bool {
        let (job, task): (Option<i64>, Option<i64>) = match id.split_once('_') {
            Some((array, task)) => (array.parse().ok(), Some(task.parse().unwrap_or(-1))),
            None => (id.parse().ok(), None),
        };
        let is = |job_id: Option<i64>, array: Option<i64>, index: Option<i64>| match task {
            None => job_id == job,
            Some(task) => array == job && index.is_none_or(|i| i == task || i >= 0xffff_fffe),
        };
        let no_val = |n: &Option<t42::V0042Uint32NoValStruct>| n.as_ref().filter(|n| n.set == Some(true)).and_then(|n| n.number);
        match self {
            Jobs::V0038(answer) => answer.jobs.iter().any(|j| is(j.job_id, j.array_job_id, j.array_task_id)),
            Jobs::V0042(answer) => answer.jobs.iter().flat_map(|j| j.0.iter()).any(|j| is(j.job_id, no_val(&j.array_job_id), no_val(&j.array_task_id))),
            Jobs::AccountingV0038(answer) => answer.jobs.iter().any(|j| {
                let array = j.array.as_ref();
                is(j.job_id, array.and_then(|a| a.job_id), array.and_then(|a| a.task_id))
            }),
            Jobs::AccountingV0042(answer) => answer.jobs.iter().flat_map(|j| j.0.iter()).any(|j| {
                let array = j.array.as_ref();
                is(j.job_id, array.and_then(|a| a.job_id), array.and_then(|a| no_val(&a.task_id)))
            }),
        }
    }

    /// The job `id` among those it holds (an array's tasks share an answer);
    /// for a plain id, the first where `id` is not one of them (asked by an
    /// array's id, the answer holds its tasks).
    pub(super) fn read_one(self, id: &str) -> Result<Option<Job>> {
        let mut jobs = self.read()?;
        let at = match jobs.iter().position(|j| j.id == id) {
            Some(at) => at,
            None if id.contains('_') || jobs.is_empty() => return Ok(None),
            None => 0,
        };
        Ok(Some(jobs.swap_remove(at)))
    }

    /// The jobs it holds, or the error its `errors` report.
    pub(super) fn read(self) -> Result<Vec<Job>> {
        Ok(match self {
            Jobs::V0038(answer) => {
                check(answer.errors.iter().map(v0_0_38::reported))?;
                answer.jobs.into_iter().flat_map(v0_0_38::to_jobs).collect()
            }
            Jobs::V0042(answer) => {
                check(answer.errors.iter().flat_map(|e| e.0.iter()).map(v0_0_42::reported))?;
                answer.jobs.into_iter().flat_map(|j| j.0).flat_map(v0_0_42::to_jobs).collect()
            }
            Jobs::AccountingV0038(answer) => {
                // 22.05 says an empty answer as error 9003, "Nothing found with query".
                let errors = answer.errors.iter().filter(|e| e.error_number != Some(NOTHING_FOUND));
                check(errors.map(v0_0_38::reported_by_accounting))?;
                answer.jobs.into_iter().flat_map(v0_0_38::accounted_to_jobs).collect()
            }
            Jobs::AccountingV0042(answer) => {
                check(answer.errors.iter().flat_map(|e| e.0.iter()).map(v0_0_42::reported))?;
                answer.jobs.into_iter().flat_map(|j| j.0).flat_map(v0_0_42::accounted_to_jobs).collect()
            }
        })
    }

    /// Each job with its comment (where a submit leaves its mark; accounting
    /// keeps it only where slurm.conf says `AccountingStoreFlags=job_comment`).
    pub(super) fn with_comments(self) -> Vec<(Job, String)> {
        fn paired<T>(records: impl IntoIterator<Item = T>, comment: fn(&T) -> Option<String>, to_jobs: fn(T) -> Vec<Job>) -> Vec<(Job, String)> {
            let each = |record: T| {
                let comment = comment(&record).unwrap_or_default();
                to_jobs(record).into_iter().map(move |job| (job, comment.clone()))
            };
            records.into_iter().flat_map(each).collect()
        }
        match self {
            Jobs::V0038(answer) => paired(answer.jobs, |j| j.comment.clone(), v0_0_38::to_jobs),
            Jobs::V0042(answer) => paired(answer.jobs.into_iter().flat_map(|j| j.0), |j| j.comment.clone(), v0_0_42::to_jobs),
            Jobs::AccountingV0038(answer) => paired(answer.jobs, |j| j.comment.as_ref()?.job.clone(), v0_0_38::accounted_to_jobs),
            Jobs::AccountingV0042(answer) => paired(answer.jobs.into_iter().flat_map(|j| j.0), |j| j.comment.as_ref()?.job.clone(), v0_0_42::accounted_to_jobs),
        }
    }
}
