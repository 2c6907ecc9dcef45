//! PPIO's GPU API v2 jobs.
//!
//! PPIO's jobs are platform jobs (saving an image, migrating an instance):
//! they can be read, listed (cursor paging), stopped, and their log URL read;
//! its only job-creating call saves an image, so a generic `submit` is
//! unsupported (`save_image` stays on the generated client). Only the status
//! `Succeeded` is documented; the mapping takes PPIO's other task statuses
//! (PascalCase, matched in any case) and leaves anything else unknown. Times
//! are unix seconds, 0 meaning none.

use async_trait::async_trait;
use gpujobs_ppio::types::{Job as PpioJob, ListJobsResponse, PpioError};
use gpujobs_runtime::SensitiveUrl;

use super::{Api, ErrorBody, Provider};
use crate::submit::SubmitFields;
use crate::descriptor::{ApiFns, Descriptor, EnvVars, StatusTable};
use crate::error::{Error, Result};
use crate::job::{Job, JobStatus};
use crate::paging::Page;
use crate::provider::{JobProvider, Capabilities, Logs};
use crate::registry::{ProviderJob, ProviderKind};
use crate::time::from_seconds;

/// PPIO's GPU API v2 (`PPIO_API_KEY`, `PPIO_BASE_URL`).
pub type PpioProvider = Provider<PpioApi>;

/// PPIO's record of a job.
pub type Record = PpioJob;

/// PPIO's API, as [`Provider`] uses it.
#[derive(Debug)]
pub enum PpioApi {}

impl super::sealed::Sealed for PpioApi {}

static STATUSES: [(&str, JobStatus); 12] = [
    ("Pending", JobStatus::Queued),
    ("Queued", JobStatus::Queued),
    ("Pulling", JobStatus::Queued),
    ("Running", JobStatus::Running),
    ("Stopping", JobStatus::Canceling),
    ("Succeeded", JobStatus::Succeeded),
    ("Success", JobStatus::Succeeded),
    ("Failed", JobStatus::Failed),
    ("Fail", JobStatus::Failed),
    ("Stopped", JobStatus::Canceled),
    ("Broken", JobStatus::Canceled),
    ("Break", JobStatus::Canceled),
];

/// What gpujobs knows about PPIO.
pub static DESCRIPTOR: Descriptor = Descriptor {
    kind: ProviderKind::Ppio,
    name: "ppio",
    title: "PPIO GPU API v2",
    env: EnvVars::new(
        Some("PPIO_API_KEY"),
        "PPIO_BASE_URL",
        Some("https://api.ppio.com"),
    ),
    capabilities: Capabilities {
        server_paging: true,
        reports_failure: true,
        logs: true,
        ..Capabilities::GET_LIST_CANCEL
    },
    submit: SubmitFields::NONE,
    options: &[],
    settings: &[],
    statuses: StatusTable::new(&STATUSES, true),
    notes: &["jobs are platform jobs (save image, migrate instance); logs are a URL"],
    api: ApiFns::of::<PpioApi>(),
};

/// PPIO's job as a [`Job`].
pub(crate) fn to_job(raw: PpioJob) -> Job {
    let no_state = gpujobs_ppio::types::JobStatus::default();
    let state = raw.status.as_ref().unwrap_or(&no_state);
    let provider_status = state.status.clone().unwrap_or_default();
    let status = DESCRIPTOR.statuses.map(&provider_status);
    let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.is_empty());
    let mut job = Job::new(
        ProviderKind::Ppio,
        raw.id.clone().unwrap_or_default(),
        status.clone(),
        provider_status,
    );
    job.name = non_empty(&raw.type_);
    job.created_at = raw.created_at.and_then(from_seconds);
    job.finished_at = match status.is_terminal() {
        true => raw.update_at.and_then(from_seconds),
        false => None,
    };
    job.message = non_empty(&state.message);
    if status == JobStatus::Failed {
        job.failure_reason = non_empty(&state.error).or_else(|| job.message.clone());
    }
    job.log_url = non_empty(&raw.log).map(SensitiveUrl::new);
    job.raw = ProviderJob::Ppio(Box::new(raw));
    job
}

#[async_trait]
impl ErrorBody for PpioError {
    async fn message(self) -> reqwest::Result<String> {
        Ok(self.message.or(self.reason).unwrap_or_default())
    }
}

#[async_trait]
impl Api for PpioApi {
    type JobAnswer = PpioJob;
    type PageAnswer = ListJobsResponse;
    type Cursor = String;
    type Client = gpujobs_ppio::Client;
    const DESCRIPTOR: &'static Descriptor = &DESCRIPTOR;

    async fn fetch_job(p: &PpioProvider, id: &str) -> Result<PpioJob> {
        p.call(|| p.client().get_job(id)).await
    }

    async fn fetch_page(p: &PpioProvider, cursor: &String, size: Option<u32>) -> Result<ListJobsResponse> {
        let cursor = (!cursor.is_empty()).then_some(cursor.as_str());
        p.call(|| p.client().list_jobs(cursor, None, size.map(u64::from), None))
            .await
    }

    fn read_job(answer: PpioJob, _id: &str) -> Result<Job> {
        Ok(to_job(answer))
    }

    fn read_page(answer: ListJobsResponse, _: String) -> Result<Page<String>> {
        let next = answer
            .next_cursor
            .filter(|c| !c.is_empty() && answer.has_more != Some(false));
        Ok((answer.data.into_iter().map(to_job).collect(), next))
    }

    async fn stop(p: &PpioProvider, id: &str) -> Result<bool> {
        p.call(|| p.client().stop_job(id)).await?;
        Ok(true)
    }

    /// PPIO gives a job's log as a URL on the job.
    async fn logs(p: &PpioProvider, id: &str) -> Result<Logs> {
        let job = p.get(id).await?;
        job.log_url.map(Logs::Url).ok_or_else(|| Error::NotFound {
            provider: ProviderKind::Ppio,
            message: format!("job {id} has no log URL"),
            source: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::DESCRIPTOR;
    use crate::job::JobStatus;

    /// The values themselves are checked against answers in `tests/statuses.rs`.
    #[test]
    fn statuses_ignore_case_and_unknown_values_stay_unknown() {
        let cases = [
            ("SUCCEEDED", JobStatus::Succeeded),
            ("broken", JobStatus::Canceled),
            ("Migrating", JobStatus::Unknown("Migrating".into())),
            ("", JobStatus::Unknown(String::new())),
        ];
        for (raw, want) in cases {
            assert_eq!(DESCRIPTOR.statuses.map(raw), want, "{raw}");
        }
    }
}
