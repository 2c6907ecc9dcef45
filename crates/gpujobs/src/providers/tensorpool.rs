//! TensorPool's job REST API as a [`JobProvider`].
//!
//! `job_info` is a free-form object; this adapter reads `id`, `status`,
//! `exit_code`, `name`, `message`/`public_message` and times from it where
//! present. Status: pending → queued, running, completed → succeeded,
//! error → failed (the job's own code exited non-zero), failed → failed (an
//! infrastructure fault), canceling, canceled. A cancel is asynchronous (202).
//! Jobs are submitted over a WebSocket, so a generic `submit` is unsupported.

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use gpujobs_tensorpool::types::HttpValidationError;
use serde_json::{Map, Value};

use super::{Ctx, ErrorBody, cancel_via};
use crate::config::{BuildProvider, ProviderConfig};
use crate::error::Result;
use crate::job::{Job, JobStatus, ProviderJob, ProviderKind};
use crate::paging;
use crate::provider::{CancelOutcome, Capabilities, JobProvider, ListOptions, check_id};
use crate::time::from_json;

/// TensorPool (`TENSORPOOL_KEY`, `TENSORPOOL_ENGINE`).
#[derive(Clone, Debug)]
pub struct TensorpoolProvider {
    client: gpujobs_tensorpool::Client,
    ctx: Ctx,
}

impl BuildProvider for TensorpoolProvider {
    const KIND: ProviderKind = ProviderKind::Tensorpool;

    fn from_config(config: ProviderConfig) -> Result<Self> {
        let state = gpujobs_tensorpool::client_state();
        let (ctx, base_url, http, state) = Ctx::build(&config, state)?;
        Ok(Self {
            client: gpujobs_tensorpool::Client::new_with_client(&base_url, http, state),
            ctx,
        })
    }
}

impl TensorpoolProvider {
    /// The generated client (pull outputs, delete, request status …).
    pub fn client(&self) -> &gpujobs_tensorpool::Client {
        &self.client
    }
}

/// TensorPool's status values onto ours, with the failure kind they imply.
pub(crate) fn status(raw: &str) -> (JobStatus, Option<&'static str>) {
    match raw.to_ascii_lowercase().as_str() {
        "pending" => (JobStatus::Queued, None),
        "running" => (JobStatus::Running, None),
        "completed" => (JobStatus::Succeeded, None),
        "error" => (
            JobStatus::Failed,
            Some("the job's code exited with an error"),
        ),
        "failed" => (
            JobStatus::Failed,
            Some("infrastructure failure (TensorPool's side)"),
        ),
        "canceling" | "cancelling" => (JobStatus::Canceling, None),
        "canceled" | "cancelled" => (JobStatus::Canceled, None),
        _ => (JobStatus::Unknown(raw.to_owned()), None),
    }
}

/// A `job_info` object as a [`Job`]; `fallback_id` when it has no id.
pub(crate) fn to_job(info: Map<String, Value>, fallback_id: &str) -> Job {
    let text = |key: &str| {
        info.get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
    };
    let provider_status = text("status").unwrap_or_default();
    let (status, failure) = status(&provider_status);
    let id = text("id")
        .or_else(|| text("job_id"))
        .unwrap_or_else(|| fallback_id.to_owned());
    let mut job = Job::new(ProviderKind::Tensorpool, id, status, provider_status);
    job.name = text("name");
    job.exit_code = info.get("exit_code").and_then(Value::as_i64);
    job.message = text("message").or_else(|| text("public_message"));
    job.failure_reason = failure.map(|kind| match (&job.message, job.exit_code) {
        (Some(message), _) => format!("{kind}: {message}"),
        (None, Some(code)) => format!("{kind} (exit code {code})"),
        (None, None) => kind.to_owned(),
    });
    job.created_at = info.get("created_at").and_then(from_json);
    job.started_at = info.get("started_at").and_then(from_json);
    job.finished_at = info
        .get("finished_at")
        .or_else(|| info.get("ended_at"))
        .and_then(from_json);
    job.raw = ProviderJob::Tensorpool(Box::new(info));
    job
}

#[async_trait]
impl ErrorBody for HttpValidationError {
    async fn message(self) -> reqwest::Result<String> {
        let details: Vec<String> = self.detail.iter().map(|d| d.msg.clone()).collect();
        Ok(details.join("; "))
    }
}

#[async_trait]
impl JobProvider for TensorpoolProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Tensorpool
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            get: true,
            list: true,
            server_paging: false,
            cancel: true,
            async_cancel: true,
            reports_failure: true,
            submit: false,
            client_chosen_id: false,
            logs: false,
        }
    }

    async fn get(&self, id: &str) -> Result<Job> {
        check_id(self.ctx.kind, id)?;
        let info = self.ctx.call(self.client.get_job_info(id)).await?;
        Ok(to_job(info.job_info, id))
    }

    fn list(&self, options: ListOptions) -> BoxStream<'_, Result<Job>> {
        paging::single(self.ctx.kind, options, async move {
            let list = self.ctx.call(self.client.list_jobs(None)).await?;
            Ok(list
                .jobs
                .unwrap_or_default()
                .into_iter()
                .map(|info| to_job(info, ""))
                .collect())
        })
    }

    async fn cancel(&self, id: &str) -> Result<CancelOutcome> {
        check_id(self.ctx.kind, id)?;
        cancel_via(self, id, async {
            self.ctx.call(self.client.cancel_job(id)).await?;
            Ok(true)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::status;
    use crate::job::JobStatus;

    #[test]
    fn statuses_map_value_by_value() {
        let cases = [
            ("pending", JobStatus::Queued, false),
            ("running", JobStatus::Running, false),
            ("completed", JobStatus::Succeeded, false),
            ("error", JobStatus::Failed, true),
            ("failed", JobStatus::Failed, true),
            ("canceling", JobStatus::Canceling, false),
            ("canceled", JobStatus::Canceled, false),
            ("RUNNING", JobStatus::Running, false),
            ("queued", JobStatus::Unknown("queued".into()), false),
        ];
        for (raw, want, has_reason) in cases {
            let (got, reason) = status(raw);
            assert_eq!(got, want, "{raw}");
            assert_eq!(reason.is_some(), has_reason, "{raw}");
        }
        assert_ne!(
            status("error").1,
            status("failed").1,
            "user-code and infrastructure failures differ"
        );
    }
}
