//! A provider written outside gpujobs: "Acme", a made-up service whose jobs
//! live in memory and whose listing pages three jobs at a time (and, to show
//! the guards, can be told to page in circles).
//!
//! It implements only [`JobProvider`]; from the library it gets `wait`,
//! `watch` and `submit_and_wait` ([`gpujobs::JobProviderExt`]), listing with
//! the same paging guards as the built-in providers
//! ([`gpujobs::guarded_pages`]), the one [`Job`] model and its display, and
//! errors that name it ([`ProviderKind::Custom`]).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> gpujobs::Result<()> {
//! use gpujobs::prelude::*;
//! let acme = gpujobs_example_custom_provider::Acme::default();
//! let job = acme.submit(&SubmitRequest::new("train")).await?;
//! let done = acme.wait(&job.id, &WaitOptions::default()).await?;
//! assert_eq!(done.to_string(), format!("acme/{}: succeeded (exit 0)", job.id));
//! # Ok(()) }
//! ```

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use gpujobs::{
    CancelOutcome, Capabilities, Error, Job, JobProvider, JobStatus, ListOptions, ProviderKind,
    Result, SubmitRequest,
};

/// Acme's name, as its jobs and errors carry it.
pub const KIND: ProviderKind = ProviderKind::Custom("acme");

/// A made-up provider whose jobs succeed the second time they are read.
#[derive(Clone, Debug, Default)]
pub struct Acme {
    jobs: Arc<Mutex<Vec<(String, u32)>>>,
    /// Page in circles (to show the library's guard ending the listing).
    pub loops: bool,
}

impl Acme {
    fn job(id: &str, reads: u32) -> Job {
        let (status, raw) = match reads {
            0 => (JobStatus::Running, "RUN"),
            _ => (JobStatus::Succeeded, "DONE"),
        };
        let mut job = Job::new(KIND, id, status, raw);
        job.exit_code = (reads > 0).then_some(0);
        job
    }
}

#[async_trait]
impl JobProvider for Acme {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        (caps.get, caps.list, caps.submit, caps.server_paging) = (true, true, true, true);
        caps
    }

    async fn get(&self, id: &str) -> Result<Job> {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let (_, reads) = jobs
            .iter_mut()
            .find(|(j, _)| j == id)
            .ok_or_else(|| Error::not_found(KIND, format!("no job {id}")))?;
        let job = Self::job(id, *reads);
        *reads += 1;
        Ok(job)
    }

    /// Three jobs a page; the library's guards make it safe however the pages come.
    fn pages(&self, options: &ListOptions) -> BoxStream<'static, Result<Vec<Job>>> {
        let (jobs, loops) = (self.jobs.clone(), self.loops);
        gpujobs::guarded_pages(KIND, 0usize, options.max_pages, move |page| {
            let jobs = jobs.clone();
            async move {
                let jobs = jobs.lock().unwrap_or_else(|p| p.into_inner());
                let chunk: Vec<Job> = jobs
                    .iter()
                    .skip(page * 3)
                    .take(3)
                    .map(|(id, reads)| Self::job(id, *reads))
                    .collect();
                let next = match loops {
                    true => Some(0),
                    false => (jobs.len() > (page + 1) * 3).then_some(page + 1),
                };
                Ok((chunk, next))
            }
        })
    }

    fn shared(&self) -> Arc<dyn JobProvider> {
        Arc::new(self.clone())
    }

    async fn cancel(&self, id: &str) -> Result<CancelOutcome> {
        Ok(CancelOutcome::AlreadyEnded(self.get(id).await?))
    }

    async fn submit(&self, request: &SubmitRequest) -> Result<Job> {
        if request.command.is_empty() {
            return Err(Error::invalid(KIND, "Acme needs a command"));
        }
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        let id = format!("acme-{}", jobs.len() + 1);
        jobs.push((id.clone(), 0));
        Ok(Self::job(&id, 0))
    }
}

/// Lists every Acme job (the stream the library builds from [`JobProvider::pages`]).
pub fn all(acme: &Acme) -> BoxStream<'static, Result<Job>> {
    acme.list(ListOptions::default()).boxed()
}
