//! Slurm's job record, whatever the version: what both versions' records
//! say ([`Fields`]), read into the one [`Job`].

use super::KIND;
use crate::job::{Job, JobStatus};
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
        job.exit_code = self.exit_code.filter(|_| ended);
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
        job.raw = ProviderJob::Slurm(Box::new(raw));
        job
    }
}
