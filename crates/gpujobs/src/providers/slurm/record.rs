//! Slurm's job record, whatever the version: what both versions' records
//! say ([`Fields`]), read into the one [`Job`].

use std::time::Duration;

use super::KIND;
use super::states::CAUSES;
use crate::job::{ArrayTask, Job, JobStatus};
use crate::outcome::Usage;
use crate::registry::ProviderJob;

/// Slurm's record of a job, in the shape of the API version spoken.
pub use gpujobs_slurm::JobRecord as Record;

/// What both versions' job records say, read into a [`Job`].
pub(super) struct Fields {
    pub id: Option<i64>,
    pub name: Option<String>,
    /// The state Slurm shows, and the failure a wait status or exit record tells.
    pub state: String,
    pub reason: Option<String>,
    pub submitted: Option<i64>,
    pub started: Option<i64>,
    pub ended: Option<i64>,
    pub exit_code: Option<i64>,
    pub signal: Option<(i64, Option<String>)>,
    /// What it was given and ran for, where the record says.
    pub usage: Usage,
    /// Who canceled it (accounting's `kill_request_user`).
    pub canceled_by: Option<String>,
    /// Where it sits in an array, if it is in one.
    pub array: Option<InArray>,
}

/// A record's place in an array: the array's id, and the task's index, or
/// (for the one record of tasks still pending together) those tasks'
/// expression (`2-49%8`).
pub(super) struct InArray {
    pub array: i64,
    pub index: Option<i64>,
    pub pending: Option<String>,
}

/// Slurm's "no value" (`NO_VAL`, `0xfffffffe`) and what lies above it.
const NO_VAL: i64 = 0xffff_fffe;

/// The most pending tasks one record is read into (Slurm's own largest
/// `MaxArraySize` is 4,000,001); an expression naming more is read as the
/// one record, its id the array's.
const MOST_PENDING_TASKS: usize = 4_000_001;

impl InArray {
    /// From a record's array fields: `None` where it is not in one.
    pub(super) fn of(array: Option<i64>, index: Option<i64>, pending: Option<&str>) -> Option<Self> {
        let array = array.filter(|a| *a > 0 && *a < NO_VAL)?;
        Some(Self {
            array,
            index: index.filter(|i| (0..NO_VAL).contains(i)),
            pending: pending.filter(|p| !p.is_empty()).map(str::to_owned),
        })
    }
}

impl Fields {
    /// The jobs a record is: one, or (the record of an array's tasks still
    /// pending together) one for each of its tasks, the first carrying the
    /// record in `raw`.
    pub(super) fn into_jobs(mut self, raw: Record) -> Vec<Job> {
        let pending = self.array.as_mut().filter(|a| a.index.is_none()).and_then(|a| a.pending.take());
        let indices = pending.as_deref().and_then(task_indices);
        let (Some(indices), Some(array)) = (indices, self.array.as_ref().map(|a| a.array)) else {
            return vec![self.into_job(raw)];
        };
        let mut first = self.into_job(raw);
        let raw = std::mem::replace(&mut first.raw, ProviderJob::Absent);
        let mut jobs: Vec<Job> = indices
            .into_iter()
            .map(|index| {
                let mut task = first.clone();
                task.array = Some(ArrayTask::new(array.to_string(), index));
                task.id = format!("{array}_{index}");
                task
            })
            .collect();
        if let Some(first) = jobs.first_mut() {
            first.raw = raw;
        }
        jobs
    }

    pub(super) fn into_job(self, raw: Record) -> Job {
        use crate::time::from_seconds;
        let mut status = super::DESCRIPTOR.statuses.map(&self.state);
        // A job a signal killed did not succeed, whatever its state says.
        if status == JobStatus::Succeeded && self.signal.is_some() {
            status = JobStatus::Failed;
        }
        let task = self.array.as_ref().and_then(|a| Some(ArrayTask::new(a.array.to_string(), a.index? as u64)));
        let id = match &task {
            Some(task) => task.task_id(),
            None => self.id.map(|id| id.to_string()).unwrap_or_default(),
        };
        let mut job = Job::new(KIND, id, status.clone(), self.state.clone());
        job.array = task;
        job.name = self.name.filter(|n| !n.is_empty());
        job.created_at = self.submitted.and_then(from_seconds);
        job.started_at = self.started.filter(|s| *s > 0).and_then(from_seconds);
        let ended = status.is_terminal();
        // While a job runs, end_time is when its time limit would end it: not an end.
        job.finished_at = self.ended.filter(|e| *e > 0 && ended).and_then(from_seconds);
        // An exit code is the job's own: a job its time limit, a cancel or a
        // node failure ended reads 0 in Slurm's record, which says nothing.
        let exited = matches!(self.state.as_str(), "COMPLETED" | "FAILED");
        job.exit_code = self.exit_code.filter(|code| ended && (exited || *code != 0));
        let reason = self.reason.filter(|r| !r.is_empty() && r != "None");
        job.message = reason.clone();
        if status == JobStatus::Failed {
            let state = &self.state;
            job.failure_reason = Some(match (&self.signal, self.exit_code) {
                (Some((number, Some(name))), _) => format!("{state}: killed by signal {number} (SIG{name})"),
                (Some((number, None)), _) => format!("{state}: killed by signal {number}"),
                (None, Some(code)) if code != 0 => format!("{state}: exit code {code}"),
                _ => reason.map_or_else(|| state.clone(), |r| format!("{state}: {r}")),
            });
        }
        if let (JobStatus::Canceled, Some(user)) = (&status, self.canceled_by.filter(|u| !u.is_empty())) {
            job.failure_reason = Some(format!("{}: by {user}", self.state));
        }
        job = job.with_cause(Some(&self.state), &CAUSES);
        job.usage = (!self.usage.is_empty()).then_some(self.usage);
        job.raw = ProviderJob::Slurm(Box::new(raw));
        job
    }
}

/// What a TRES list says was allocated: `(cpus, memory_bytes, gpus)`, from
/// `(type, name, count)` entries (`cpu` and `mem` in MiB, `gres`/`gpu`).
pub(super) fn allocated<'a>(tres: impl IntoIterator<Item = (&'a str, Option<&'a str>, Option<i64>)>) -> Usage {
    let mut usage = Usage::default();
    for (kind, name, count) in tres {
        let Some(count) = count.filter(|c| *c >= 0) else { continue };
        match (kind, name) {
            ("cpu", _) => usage.cpus = Some(count as f64),
            ("mem", _) => usage.memory_bytes = Some((count as u64).saturating_mul(1 << 20)),
            ("gres", Some(name)) if name == "gpu" || name.starts_with("gpu:") => {
                usage.gpus = Some(usage.gpus.unwrap_or(0.0) + count as f64)
            }
            _ => {}
        }
    }
    usage
}

/// The TRES string slurmctld writes (`cpu=2,mem=4G,node=1,gres/gpu=1`) as entries.
pub(super) fn tres_entries(text: &str) -> Vec<(&str, Option<&str>, Option<i64>)> {
    text.split(',')
        .filter_map(|entry| entry.split_once('='))
        .map(|(key, value)| {
            let (kind, name) = match key.split_once('/') {
                Some((kind, name)) => (kind, Some(name)),
                None => (key, None),
            };
            // Memory is written with a unit (`4G`, `500M`): kept in MiB, as the lists count it.
            let digits = value.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            let scale = match value[digits.len()..].to_ascii_uppercase().as_str() {
                "K" => 1.0 / 1024.0,
                "G" => 1024.0,
                "T" => 1024.0 * 1024.0,
                _ => 1.0,
            };
            let count = digits.parse::<f64>().ok().map(|n| (n * scale).round() as i64);
            (kind, name, count)
        })
        .collect()
}

/// The indices an array's task expression names: `0-3,7,10-20:5`, with a
/// `%N` limit after it; or a hexadecimal mask (`0x1F`), as slurmdbd stores
/// them. `None` for anything else, or for more than [`MOST_PENDING_TASKS`].
pub(super) fn task_indices(text: &str) -> Option<Vec<u64>> {
    let text = text.split('%').next()?.trim();
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        if hex.len() > MOST_PENDING_TASKS / 4 + 1 {
            return None;
        }
        let mut indices = Vec::new();
        for (at, digit) in hex.chars().rev().enumerate() {
            let bits = digit.to_digit(16)?;
            indices.extend((0..4).filter(|b| bits & (1 << b) != 0).map(|b| (at * 4 + b) as u64));
        }
        return Some(indices);
    }
    let mut indices = Vec::new();
    for part in text.split(',') {
        let (span, step) = match part.split_once(':') {
            Some((span, step)) => (span, step.trim().parse::<u64>().ok().filter(|s| *s > 0)?),
            None => (part, 1),
        };
        let (start, end) = match span.split_once('-') {
            Some((start, end)) => (start.trim().parse::<u64>().ok()?, end.trim().parse::<u64>().ok()?),
            None => (span.trim().parse().ok()?, span.trim().parse().ok()?),
        };
        let count = end.checked_sub(start)? / step + 1;
        if indices.len() as u64 + count > MOST_PENDING_TASKS as u64 {
            return None;
        }
        indices.extend((start..=end).step_by(step as usize));
    }
    Some(indices)
}

/// A run's length from a record's seconds.
pub(super) fn elapsed(seconds: Option<i64>) -> Option<Duration> {
    seconds.filter(|s| *s >= 0).map(|s| Duration::from_secs(s as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tres_are_read_in_both_forms() {
        let usage = allocated(tres_entries("cpu=2,mem=4G,node=1,billing=2,gres/gpu=1"));
        assert_eq!((usage.cpus, usage.memory_bytes, usage.gpus), (Some(2.0), Some(4 << 30), Some(1.0)));
        let listed = allocated([("cpu", None, Some(1)), ("mem", None, Some(500)), ("energy", None, Some(-2))]);
        assert_eq!((listed.cpus, listed.memory_bytes, listed.gpus), (Some(1.0), Some(500 << 20), None));
        assert!(allocated(tres_entries("")).is_empty());
    }

    #[test]
    fn an_arrays_task_expressions_are_read_and_bounded() {
        assert_eq!(task_indices("2-5%8"), Some(vec![2, 3, 4, 5]));
        assert_eq!(task_indices("0-3,7,10-20:5"), Some(vec![0, 1, 2, 3, 7, 10, 15, 20]));
        assert_eq!(task_indices("0x13"), Some(vec![0, 1, 4]));
        for bad in ["", "a-b", "5-2", "0-4:0", "0xZ", "0-4294967293"] {
            assert_eq!(task_indices(bad), None, "{bad}");
        }
        assert!(InArray::of(Some(5), Some(NO_VAL), Some("1-3")).is_some_and(|a| a.index.is_none()));
        assert!(InArray::of(Some(0), Some(1), None).is_none(), "not in an array");
    }
}
