//! The sandbox's job model as a [`JobProvider`] with no HTTP in between.
//!
//! It is the reference the conformance suite runs against beside the real
//! adapters (a scenario that fails here is wrong itself), and a fast fake for
//! unit tests of code that takes an `Arc<dyn JobProvider>`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use async_trait::async_trait;
use futures_util::stream::{self, BoxStream, StreamExt};
use gpujobs::{
    CancelOutcome, Capabilities, Error, Job, JobProvider, JobStatus, ListOptions, Logs,
    ProviderKind, Result, SubmitRequest,
};

use crate::model::{JobSpec, Phase, SimJob, Timing};

/// An in-memory provider (kind `ProviderKind::Custom("memory")`) that supports everything.
///
/// ```
/// use gpujobs::prelude::*;
/// use gpujobs_sandbox::{ReferenceProvider, Timing};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> gpujobs::Result<()> {
/// let memory = ReferenceProvider::new(Timing::fast());
/// let job = memory.submit(&SubmitRequest::new("echo hi")).await?;
/// let done = memory.wait(&job.id, &WaitOptions::default()).await?;
/// assert_eq!(done.status, JobStatus::Succeeded);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ReferenceProvider {
    jobs: Arc<Mutex<Vec<SimJob>>>,
    timing: Timing,
    next: Arc<AtomicU64>,
}

impl ReferenceProvider {
    /// Its kind: a provider of its own, by name.
    pub const KIND: ProviderKind = ProviderKind::Custom("memory");

    /// An empty provider whose jobs move at `timing`.
    pub fn new(timing: Timing) -> Self {
        Self {
            jobs: Arc::default(),
            timing,
            next: Arc::new(AtomicU64::new(1)),
        }
    }

    /// Adds a job and returns its id.
    pub fn add_job(&self, spec: JobSpec) -> String {
        let seq = self.next.fetch_add(1, Ordering::SeqCst);
        let id = spec.id.clone().unwrap_or_else(|| format!("mem-{seq}"));
        let created = SystemTime::now() - spec.age;
        let job = SimJob {
            id: id.clone(),
            seq,
            spec,
            created,
            canceled_at: None,
            async_cancel: true,
        };
        self.lock().push(job);
        id
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<SimJob>> {
        self.jobs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn find(&self, id: &str) -> Result<SimJob> {
        self.lock()
            .iter()
            .find(|j| j.id == id)
            .cloned()
            .ok_or_else(|| Error::not_found(Self::KIND, format!("job {id} does not exist")))
    }

    fn to_job(&self, sim: &SimJob) -> Job {
        let now = SystemTime::now();
        let phase = sim.phase(now, &self.timing);
        let status = match phase {
            Phase::Queued => JobStatus::Queued,
            Phase::Starting => JobStatus::Starting,
            Phase::Running => JobStatus::Running,
            Phase::Canceling => JobStatus::Canceling,
            Phase::Succeeded => JobStatus::Succeeded,
            Phase::Failed(_) => JobStatus::Failed,
            Phase::Canceled => JobStatus::Canceled,
        };
        let mut job = Job::new(Self::KIND, sim.id.clone(), status, format!("{phase:?}"));
        job.name = sim.spec.name.clone();
        job.created_at = Some(sim.created.into());
        job.started_at = sim
            .entered(|p| p == Phase::Running, now, &self.timing)
            .map(Into::into);
        job.finished_at = phase
            .is_terminal()
            .then(|| {
                sim.history(now, &self.timing)
                    .last()
                    .map(|(_, at)| (*at).into())
            })
            .flatten();
        match phase {
            Phase::Succeeded => job.exit_code = Some(0),
            Phase::Failed(code) => {
                job.exit_code = Some(i64::from(code));
                job.failure_reason = Some(format!("exited with code {code}"));
            }
            _ => {}
        }
        job
    }
}

#[async_trait]
impl JobProvider for ReferenceProvider {
    fn kind(&self) -> ProviderKind {
        Self::KIND
    }

    fn capabilities(&self) -> Capabilities {
        let mut everything = Capabilities::default();
        everything.get = true;
        everything.list = true;
        everything.cancel = true;
        everything.async_cancel = true;
        everything.reports_failure = true;
        everything.submit = true;
        everything.client_chosen_id = true;
        everything.idempotent_submit = true;
        everything.logs = true;
        everything
    }

    async fn get(&self, id: &str) -> Result<Job> {
        self.find(id).map(|sim| self.to_job(&sim))
    }

    /// Every job in one page.
    fn pages(&self, _options: &ListOptions) -> BoxStream<'static, Result<Vec<Job>>> {
        let jobs: Vec<Job> = self.lock().iter().map(|sim| self.to_job(sim)).collect();
        stream::iter([Ok(jobs)]).boxed()
    }

    fn shared(&self) -> Arc<dyn JobProvider> {
        Arc::new(self.clone())
    }

    async fn cancel(&self, id: &str) -> Result<CancelOutcome> {
        let before = self.get(id).await?;
        if before.status.is_terminal() {
            return Ok(CancelOutcome::AlreadyEnded(before));
        }
        if let Some(sim) = self.lock().iter_mut().find(|j| j.id == id) {
            sim.cancel(SystemTime::now(), &self.timing);
        }
        let after = self.get(id).await?;
        Ok(match after.status.is_terminal() {
            true => CancelOutcome::Stopped(after),
            false => CancelOutcome::Accepted(after),
        })
    }

    async fn submit(&self, request: &SubmitRequest) -> Result<Job> {
        if let Some(id) = &request.id
            && let Ok(existing) = self.find(id)
        {
            return match existing.spec.command == request.command {
                true => Ok(self.to_job(&existing)),
                false => Err(Error::conflict(
                    Self::KIND,
                    format!("job {id} already exists"),
                )),
            };
        }
        let mut spec = JobSpec::new(request.command.clone());
        spec.name = request.name.clone();
        spec.id = request.id.clone();
        spec.env = request.env.clone();
        spec.metadata = request.metadata.clone();
        let id = self.add_job(spec);
        self.get(&id).await
    }

    async fn logs(&self, id: &str) -> Result<Logs> {
        let sim = self.find(id)?;
        Ok(Logs::Text(sim.logs(SystemTime::now(), &self.timing)))
    }
}
