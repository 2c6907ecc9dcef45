//! PPIO's GPU API v2 jobs as a [`JobProvider`].
//!
//! PPIO's jobs are platform jobs (saving an image, migrating an instance):
//! they can be read, listed (cursor paging), stopped, and their log URL read;
//! its only job-creating call saves an image, so a generic `submit` is
//! unsupported (`save_image` stays on the generated client). Only the status
//! `Succeeded` is documented; the mapping takes PPIO's other task statuses
//! (PascalCase) and leaves anything else unknown. Times are unix seconds, 0
//! meaning none.

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use gpujobs_ppio::types::Job as PpioJob;
use gpujobs_runtime::SensitiveUrl;

use super::{Ctx, cancel_via};
use crate::config::{BuildProvider, ProviderConfig};
use crate::error::{Error, Result};
use crate::job::{Job, JobStatus, ProviderJob, ProviderKind};
use crate::paging;
use crate::provider::{CancelOutcome, Capabilities, JobProvider, ListOptions, Logs, check_id};
use crate::time::from_seconds;

/// PPIO's GPU API v2 (`PPIO_API_KEY`, `PPIO_BASE_URL`).
#[derive(Clone, Debug)]
pub struct PpioProvider {
    client: gpujobs_ppio::Client,
    ctx: Ctx,
}

impl BuildProvider for PpioProvider {
    const KIND: ProviderKind = ProviderKind::Ppio;

    fn from_config(config: ProviderConfig) -> Result<Self> {
        let state = gpujobs_ppio::client_state();
        let (ctx, base_url, http, state) = Ctx::build(&config, state)?;
        Ok(Self {
            client: gpujobs_ppio::Client::new_with_client(&base_url, http, state),
            ctx,
        })
    }
}

impl PpioProvider {
    /// The generated client (e.g. for `save_image`).
    pub fn client(&self) -> &gpujobs_ppio::Client {
        &self.client
    }
}

/// PPIO's status values onto ours (case-insensitive).
pub(crate) fn status(raw: &str) -> JobStatus {
    match raw.to_ascii_lowercase().as_str() {
        "pending" | "queued" | "pulling" => JobStatus::Queued,
        "running" => JobStatus::Running,
        "stopping" => JobStatus::Canceling,
        "succeeded" | "success" => JobStatus::Succeeded,
        "failed" | "fail" => JobStatus::Failed,
        "stopped" | "broken" | "break" => JobStatus::Canceled,
        _ => JobStatus::Unknown(raw.to_owned()),
    }
}

/// PPIO's job as a [`Job`].
pub(crate) fn to_job(raw: PpioJob) -> Job {
    let state = raw.status.clone().unwrap_or_default();
    let provider_status = state.status.clone().unwrap_or_default();
    let status = status(&provider_status);
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
impl JobProvider for PpioProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Ppio
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            get: true,
            list: true,
            server_paging: true,
            cancel: true,
            async_cancel: false,
            reports_failure: true,
            submit: false,
            client_chosen_id: false,
            logs: true,
        }
    }

    async fn get(&self, id: &str) -> Result<Job> {
        check_id(self.ctx.kind, id)?;
        self.ctx.call(self.client.get_job(id)).await.map(to_job)
    }

    fn list(&self, options: ListOptions) -> BoxStream<'_, Result<Job>> {
        let page_size = options.page_size.map(u64::from);
        paging::pages(
            self.ctx.kind,
            String::new(),
            options,
            move |cursor: String| async move {
                let cursor_param = (!cursor.is_empty()).then_some(cursor.as_str());
                let page = self
                    .ctx
                    .call(self.client.list_jobs(cursor_param, None, page_size, None))
                    .await?;
                let next = page
                    .next_cursor
                    .filter(|c| !c.is_empty() && page.has_more != Some(false));
                Ok((page.data.into_iter().map(to_job).collect(), next))
            },
        )
    }

    async fn cancel(&self, id: &str) -> Result<CancelOutcome> {
        check_id(self.ctx.kind, id)?;
        cancel_via(self, id, async {
            self.ctx.call(self.client.stop_job(id)).await?;
            Ok(true)
        })
        .await
    }

    /// PPIO gives a job's log as a URL on the job.
    async fn logs(&self, id: &str) -> Result<Logs> {
        let job = self.get(id).await?;
        job.log_url.map(Logs::Url).ok_or_else(|| Error::NotFound {
            provider: ProviderKind::Ppio,
            message: format!("job {id} has no log URL"),
            source: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::status;
    use crate::job::JobStatus;

    #[test]
    fn statuses_map_value_by_value() {
        let cases = [
            ("Pending", JobStatus::Queued),
            ("Running", JobStatus::Running),
            ("Stopping", JobStatus::Canceling),
            ("Succeeded", JobStatus::Succeeded),
            ("Failed", JobStatus::Failed),
            ("Stopped", JobStatus::Canceled),
            ("Broken", JobStatus::Canceled),
            ("SUCCEEDED", JobStatus::Succeeded),
            ("Migrating", JobStatus::Unknown("Migrating".into())),
            ("", JobStatus::Unknown(String::new())),
        ];
        for (raw, want) in cases {
            assert_eq!(status(raw), want, "{raw}");
        }
    }
}
