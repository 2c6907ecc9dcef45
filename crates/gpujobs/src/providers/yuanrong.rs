//! openYuanrong's job API as a [`JobProvider`].
//!
//! It mirrors Ray's (same status values, same mapping), with its own wire:
//! times are strings (seconds in practice, "milliseconds" in the docs: the
//! unit is decided by magnitude), stop and delete answer a bare boolean,
//! errors are JSON-encoded strings, a submit needs a `working_dir`, the server
//! prefixes client-chosen ids with `app-`, and there is no logs endpoint.

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use gpujobs_yuanrong::types::{AppInfo, ErrorMessage, RuntimeEnv, SubmitJobRequest};

use super::{Ctx, ErrorBody, adopt_if_same, cancel_via, fresh_id, ray_family_status};
use crate::config::{BuildProvider, ProviderConfig};
use crate::error::{Error, Result};
use crate::job::{Job, JobStatus, ProviderJob, ProviderKind};
use crate::paging;
use crate::provider::{
    CancelOutcome, Capabilities, JobProvider, ListOptions, SubmitRequest, check_id,
};
use crate::time::from_unix_string;

/// openYuanrong's job API (`YUANRONG_BASE_URL`: the frontend endpoint).
#[derive(Clone, Debug)]
pub struct YuanrongProvider {
    client: gpujobs_yuanrong::Client,
    ctx: Ctx,
}

impl BuildProvider for YuanrongProvider {
    const KIND: ProviderKind = ProviderKind::Yuanrong;

    fn from_config(config: ProviderConfig) -> Result<Self> {
        let state = gpujobs_yuanrong::client_state();
        let (ctx, base_url, http, state) = Ctx::build(&config, state)?;
        Ok(Self {
            client: gpujobs_yuanrong::Client::new_with_client(&base_url, http, state),
            ctx,
        })
    }
}

impl YuanrongProvider {
    /// The generated client, for everything the facade does not cover.
    pub fn client(&self) -> &gpujobs_yuanrong::Client {
        &self.client
    }

    /// Deletes a job that has ended; `false` if its state forbids it.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        check_id(self.ctx.kind, id)?;
        self.ctx.call(self.client.delete_job(id)).await
    }
}

/// openYuanrong's job as a [`Job`].
pub(crate) fn to_job(info: AppInfo) -> Job {
    let raw = info.status.0.clone();
    let status = ray_family_status(&raw);
    let mut job = Job::new(
        ProviderKind::Yuanrong,
        info.submission_id.clone(),
        status.clone(),
        raw,
    );
    job.name = info.metadata.get("name").cloned();
    // Every key is always sent, so the exit code is 0 until the job ends: trust it only then.
    job.exit_code = info
        .driver_exit_code
        .map(i64::from)
        .filter(|_| status.is_terminal());
    job.started_at = info.start_time.as_deref().and_then(from_unix_string);
    job.created_at = job.started_at;
    job.finished_at = info.end_time.as_deref().and_then(from_unix_string);
    if status == JobStatus::Failed {
        job.failure_reason = info.error_type.clone().filter(|e| !e.is_empty());
    }
    job.raw = ProviderJob::Yuanrong(Box::new(info));
    job
}

#[async_trait]
impl ErrorBody for ErrorMessage {
    async fn message(self) -> reqwest::Result<String> {
        Ok(self.0)
    }
}

#[async_trait]
impl JobProvider for YuanrongProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Yuanrong
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
            logs: false,
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
        cancel_via(self, id, self.ctx.call(self.client.stop_job(id))).await
    }

    async fn submit(&self, request: &SubmitRequest) -> Result<Job> {
        let kind = self.ctx.kind;
        let working_dir = request.working_dir.clone().ok_or_else(|| {
            Error::invalid(
                kind,
                "openYuanrong needs a working_dir (a directory or a file:// zip)",
            )
        })?;
        let id = request.id.clone().unwrap_or_else(fresh_id);
        let bare = id.strip_prefix("app-").unwrap_or(&id);
        let valid = !bare.is_empty()
            && bare.len() <= 64
            && !bare.contains("driver")
            && bare
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(Error::invalid(
                kind,
                format!("openYuanrong ids are 1-64 of a-z, 0-9 and -, without `driver`: `{id}`"),
            ));
        }
        let full_id = format!("app-{bare}");
        let mut metadata = request.metadata.clone();
        if let Some(name) = &request.name {
            metadata.insert("name".into(), name.clone());
        }
        let body = SubmitJobRequest {
            entrypoint: request.command.clone(),
            runtime_env: RuntimeEnv {
                working_dir,
                env_vars: request.env.clone(),
                pip: Vec::new(),
            },
            metadata,
            submission_id: bare.to_owned(),
            entrypoint_num_cpus: request.cpus,
            entrypoint_num_gpus: request.gpus,
            entrypoint_memory: request.memory_bytes.and_then(|m| i64::try_from(m).ok()),
            entrypoint_resources: request.resources.clone(),
        };
        match self
            .ctx
            .call(self.client.submit_job(None, None, &body))
            .await
        {
            Ok(submitted) => self.get(&submitted.submission_id).await,
            Err(conflict @ Error::Conflict { .. }) => {
                let command = Some(request.command.as_str());
                let same = |job: &Job| matches!(&job.raw, ProviderJob::Yuanrong(i) if i.entrypoint.as_deref() == command);
                adopt_if_same(self, &full_id, conflict, same).await
            }
            Err(e) => Err(e),
        }
    }
}
