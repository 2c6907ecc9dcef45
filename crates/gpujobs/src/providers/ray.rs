//! Ray's Jobs REST API as a [`JobProvider`].
//!
//! Status: PENDING → queued, RUNNING → running, STOPPED → canceled,
//! SUCCEEDED → succeeded, FAILED → failed. Times are integer milliseconds.
//! Errors are `text/plain`. A submit always carries a `submission_id` (the
//! caller's or a fresh one), so it is safe to retry and never creates two jobs.

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use gpujobs_ray::types::{JobDetails, JobSubmitRequest, VersionResponse};

use super::{Ctx, adopt_if_same, cancel_via, fresh_id, ray_family_status};
use crate::config::{BuildProvider, ProviderConfig};
use crate::error::{Error, Result};
use crate::job::{Job, JobStatus, ProviderJob, ProviderKind};
use crate::paging;
use crate::provider::{
    CancelOutcome, Capabilities, JobProvider, ListOptions, Logs, SubmitRequest, check_id,
};
use crate::time::from_millis;

/// The Ray Jobs API (`RAY_API_SERVER_ADDRESS`, default `http://127.0.0.1:8265`).
#[derive(Clone, Debug)]
pub struct RayProvider {
    client: gpujobs_ray::Client,
    ctx: Ctx,
}

impl BuildProvider for RayProvider {
    const KIND: ProviderKind = ProviderKind::Ray;

    fn from_config(config: ProviderConfig) -> Result<Self> {
        let state = gpujobs_ray::client_state();
        let (ctx, base_url, http, state) = Ctx::build(&config, state)?;
        Ok(Self {
            client: gpujobs_ray::Client::new_with_client(&base_url, http, state),
            ctx,
        })
    }
}

impl RayProvider {
    /// The generated client, for everything the facade does not cover.
    pub fn client(&self) -> &gpujobs_ray::Client {
        &self.client
    }

    /// The Jobs API and Ray versions.
    pub async fn version(&self) -> Result<VersionResponse> {
        self.ctx.call(self.client.get_version()).await
    }

    /// Deletes a job that has ended; `false` if Ray did not delete it.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        check_id(self.ctx.kind, id)?;
        Ok(self.ctx.call(self.client.delete_job(id)).await?.deleted)
    }
}

/// Ray's job as a [`Job`].
pub(crate) fn to_job(details: JobDetails) -> Job {
    let raw = details.status.0.clone();
    let status = ray_family_status(&raw);
    let id = details
        .submission_id
        .clone()
        .or_else(|| details.job_id.clone())
        .unwrap_or_default();
    let mut job = Job::new(ProviderKind::Ray, id, status.clone(), raw);
    job.name = details
        .metadata
        .as_ref()
        .and_then(|m| m.get("name").cloned());
    job.exit_code = details.driver_exit_code.map(i64::from);
    job.created_at = details.start_time.and_then(from_millis);
    job.started_at = match status {
        JobStatus::Queued => None,
        _ => job.created_at,
    };
    job.finished_at = details.end_time.and_then(from_millis);
    job.message = details.message.clone().filter(|m| !m.is_empty());
    if status == JobStatus::Failed {
        job.failure_reason = match (&details.error_type, &job.message) {
            (Some(kind), Some(message)) => Some(format!("{kind}: {message}")),
            (kind, message) => kind.clone().or_else(|| message.clone()),
        };
    }
    job.raw = ProviderJob::Ray(Box::new(details));
    job
}

#[async_trait]
impl JobProvider for RayProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Ray
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            get: true,
            list: true,
            server_paging: false,
            cancel: true,
            async_cancel: false,
            reports_failure: true,
            submit: true,
            client_chosen_id: true,
            logs: true,
        }
    }

    async fn get(&self, id: &str) -> Result<Job> {
        check_id(self.ctx.kind, id)?;
        self.ctx.call(self.client.get_job(id)).await.map(to_job)
    }

    fn list(&self, options: ListOptions) -> BoxStream<'_, Result<Job>> {
        paging::single(self.ctx.kind, options, async move {
            let jobs = self.ctx.call(self.client.list_jobs()).await?;
            Ok(jobs.into_iter().map(to_job).collect())
        })
    }

    async fn cancel(&self, id: &str) -> Result<CancelOutcome> {
        check_id(self.ctx.kind, id)?;
        cancel_via(self, id, async {
            Ok(self.ctx.call(self.client.stop_job(id)).await?.stopped)
        })
        .await
    }

    async fn submit(&self, request: &SubmitRequest) -> Result<Job> {
        let id = request.id.clone().unwrap_or_else(fresh_id);
        check_id(self.ctx.kind, &id)?;
        let mut runtime_env = serde_json::Map::new();
        if !request.env.is_empty() {
            runtime_env.insert("env_vars".into(), serde_json::json!(request.env));
        }
        if let Some(dir) = &request.working_dir {
            runtime_env.insert("working_dir".into(), dir.clone().into());
        }
        let mut metadata = request.metadata.clone();
        if let Some(name) = &request.name {
            metadata.insert("name".into(), name.clone());
        }
        let body = JobSubmitRequest {
            entrypoint: request.command.clone(),
            submission_id: id.clone(),
            job_id: None,
            runtime_env: (!runtime_env.is_empty()).then_some(runtime_env),
            metadata: (!metadata.is_empty()).then_some(metadata),
            entrypoint_num_cpus: request.cpus,
            entrypoint_num_gpus: request.gpus,
            entrypoint_memory: request.memory_bytes.and_then(|m| i64::try_from(m).ok()),
            entrypoint_resources: (!request.resources.is_empty())
                .then(|| request.resources.clone()),
        };
        match self.ctx.call(self.client.submit_job(&body)).await {
            Ok(submitted) => self.get(&submitted.submission_id).await,
            Err(conflict @ Error::Conflict { .. }) => {
                let same = |job: &Job| matches!(&job.raw, ProviderJob::Ray(d) if d.entrypoint == request.command);
                adopt_if_same(self, &id, conflict, same).await
            }
            Err(e) => Err(e),
        }
    }

    async fn logs(&self, id: &str) -> Result<Logs> {
        check_id(self.ctx.kind, id)?;
        Ok(Logs::Text(
            self.ctx.call(self.client.get_job_logs(id)).await?.logs,
        ))
    }
}
