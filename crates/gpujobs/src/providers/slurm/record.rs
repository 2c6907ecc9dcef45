//! Slurm's job record, whatever the version: what both versions' records
//! say ([`Fields`]), read into the one [`Job`].

use std::time::Duration;

use super::KIND;
use super::states::CAUSES;
use crate::job::{Job, JobStatus};
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
}

impl Fields {
    pub(super) fn into_job(self, raw: Record) -> Job {
        use crate::time::from_seconds;
        let mut status = super::DESCRIPTOR.statuses.map(&self.state);
        // A job a signal killed did not succeed, whatever its state says.
        if status == JobStatus::Succeeded && self.signal.is_some() {
            status = JobStatus::Failed;
        }
        let id = self.id.map(|id| id.to_string()).unwrap_or_default();
        let mut job = Job::new(KIND, id, status.clone(), self.state.clone());
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
}
