//! TensorPool's job REST API.
//!
//! `job_info` is a free-form object; this adapter reads `id`, `status`,
//! `exit_code`, `name`, `message`/`public_message` and times from it where
//! present. Status: pending → queued, running, completed → succeeded,
//! error → failed (the job's own code exited non-zero), failed → failed (an
//! infrastructure fault), canceling, canceled. A cancel is asynchronous (202).
//! Jobs are submitted over a WebSocket, so a generic `submit` is unsupported.

use async_trait::async_trait;
use gpujobs_tensorpool::types::{ErrorDetail, HttpValidationError, JobInfoResponse, JobListResponse};
use serde_json::{Map, Value};

use super::{Api, ErrorBody, Provider};
use crate::submit::SubmitFields;
use crate::descriptor::{ApiFns, Descriptor, EnvVars, StatusTable};
use crate::error::Result;
use crate::job::{Job, JobStatus};
use crate::outcome::Cause;
use crate::paging::{Page, only_page};
use crate::provider::Capabilities;
use crate::registry::{ProviderJob, ProviderKind};
use crate::time::from_json;

/// TensorPool (`TENSORPOOL_API_KEY`, or the older `TENSORPOOL_KEY`; `TENSORPOOL_ENGINE`).
pub type TensorpoolProvider = Provider<TensorpoolApi>;

/// TensorPool's record of a job: its free-form `job_info`.
pub type Record = Map<String, Value>;

/// TensorPool's API, as [`Provider`] uses it.
#[derive(Debug)]
pub enum TensorpoolApi {}

impl super::sealed::Sealed for TensorpoolApi {}

static STATUSES: [(&str, JobStatus); 9] = [
    ("pending", JobStatus::Queued),
    ("running", JobStatus::Running),
    ("completed", JobStatus::Succeeded),
    ("error", JobStatus::Failed),
    ("failed", JobStatus::Failed),
    ("canceling", JobStatus::Canceling),
    ("cancelling", JobStatus::Canceling),
    ("canceled", JobStatus::Canceled),
    ("cancelled", JobStatus::Canceled),
];

/// What gpujobs knows about TensorPool.
pub static DESCRIPTOR: Descriptor = Descriptor {
    kind: ProviderKind::Tensorpool,
    name: "tensorpool",
    title: "TensorPool",
    // TensorPool's own CLI reads TENSORPOOL_API_KEY; gpujobs read TENSORPOOL_KEY before it did.
    env: EnvVars::new(
        Some("TENSORPOOL_API_KEY"),
        "TENSORPOOL_ENGINE",
        Some("https://engine.tensorpool.dev"),
    )
    .aliases(&["TENSORPOOL_KEY"]),
    capabilities: Capabilities {
        async_cancel: true,
        reports_failure: true,
        ..Capabilities::GET_LIST_CANCEL
    },
    submit: SubmitFields::NONE,
    options: &[],
    settings: &[],
    statuses: StatusTable::new(&STATUSES, true),
    notes: &[
        "jobs are submitted over a WebSocket (not supported here)",
        "`error` is the job's own failure, `failed` TensorPool's",
    ],
    api: ApiFns::of::<TensorpoolApi>(),
};

/// The failure a TensorPool status implies: its own code, or the infrastructure.
/// Why a TensorPool job did not succeed, by its status (DOCUMENTED:
/// docs.tensorpool.dev, "Get job information": `error` is the job's code
/// exiting non-zero, `failed` an infrastructure fault).
static CAUSES: [(&str, Cause); 2] = [("error", Cause::ExitCode), ("failed", Cause::NodeFailure)];

pub(crate) fn failure_kind(raw: &str) -> Option<&'static str> {
    match raw.to_ascii_lowercase().as_str() {
        "error" => Some("the job's code exited with an error"),
        "failed" => Some("infrastructure failure (TensorPool's side)"),
        _ => None,
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
    let status = DESCRIPTOR.statuses.map(&provider_status);
    let failure = failure_kind(&provider_status);
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
    let lower = job.provider_status.to_ascii_lowercase();
    job = job.with_cause(Some(&lower), &CAUSES);
    job.raw = ProviderJob::Tensorpool(Box::new(info));
    job
}

#[async_trait]
impl ErrorBody for ErrorDetail {
    async fn message(self) -> reqwest::Result<String> {
        Ok(self.detail.unwrap_or_default())
    }
}

#[async_trait]
impl Api for TensorpoolApi {
    type JobAnswer = JobInfoResponse;
    type PageAnswer = JobListResponse;
    type Cursor = ();
    type Client = gpujobs_tensorpool::Client;
    const DESCRIPTOR: &'static Descriptor = &DESCRIPTOR;

    async fn fetch_job(p: &TensorpoolProvider, id: &str) -> Result<JobInfoResponse> {
        p.call(|| p.client().get_job_info(id)).await
    }

    async fn fetch_page(p: &TensorpoolProvider, (): &(), _: Option<u32>) -> Result<JobListResponse> {
        p.call(|| p.client().list_jobs(None)).await
    }

    fn read_job(answer: JobInfoResponse, id: &str) -> Result<Job> {
        Ok(to_job(answer.job_info, id))
    }

    fn read_page(answer: JobListResponse, (): ()) -> Result<Page<()>> {
        let jobs = answer.jobs.unwrap_or_default();
        only_page(jobs, |info| to_job(info, ""))
    }

    /// FastAPI's answers: `{"detail": "…"}`, or for a refused request
    /// `{"detail": [{"msg": "…"}, …]}` (its validation errors, joined).
    fn error_message(body: &str) -> String {
        let validation = serde_json::from_str::<HttpValidationError>(body).ok();
        match validation.filter(|v| !v.detail.is_empty()) {
            Some(v) => v.detail.iter().map(|d| d.msg.as_str()).collect::<Vec<_>>().join("; "),
            None => super::plain_message(body),
        }
    }

    async fn stop(p: &TensorpoolProvider, id: &str) -> Result<bool> {
        p.call(|| p.client().cancel_job(id)).await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::{DESCRIPTOR, failure_kind};
    use crate::job::JobStatus;

    /// Which failures carry a reason; case; unknown values (the values
    /// themselves are checked against answers in `tests/statuses.rs`).
    #[test]
    fn failures_carry_their_kind_and_unknown_values_stay_unknown() {
        let cases = [
            ("error", JobStatus::Failed, true),
            ("failed", JobStatus::Failed, true),
            ("completed", JobStatus::Succeeded, false),
            ("RUNNING", JobStatus::Running, false),
            ("queued", JobStatus::Unknown("queued".into()), false),
        ];
        for (raw, want, has_reason) in cases {
            let (got, reason) = (DESCRIPTOR.statuses.map(raw), failure_kind(raw));
            assert_eq!(got, want, "{raw}");
            assert_eq!(reason.is_some(), has_reason, "{raw}");
        }
        assert_ne!(
            failure_kind("error"),
            failure_kind("failed"),
            "user-code and infrastructure failures differ"
        );
    }
}
