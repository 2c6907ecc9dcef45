//! openYuanrong's job API.
//!
//! It mirrors Ray's (same status values, same mapping), with its own wire:
//! times are strings (seconds in practice, "milliseconds" in the docs: the
//! unit is decided by magnitude), stop and delete answer a bare boolean,
//! errors are JSON-encoded strings, a submit needs a `working_dir`, the server
//! prefixes client-chosen ids with `app-`, and there is no logs endpoint.
//! Where its frontend has authentication on, a JWT goes in `X-Auth` (raw, no
//! `Bearer`), and a refusal is a 401 of `{"error": "..."}`.

use async_trait::async_trait;
use gpujobs_yuanrong::types::{
    AppInfo, ErrorMessage, RuntimeEnv, SubmitJobRequest, SubmitJobRequestSubmissionId,
};

pub use super::ray_family::RayOptions;
use super::ray_family::{self, STATUSES};
use super::{Api, ErrorBody, Provider, adopt_if_same, fresh_id};
use crate::config::ProviderConfig;
use crate::descriptor::{ApiFns, Descriptor, EnvVars, StatusTable};
use crate::error::{Error, Result};
use crate::field::SubmitField::{self, Cpus, Env, Gpus, Id, MemoryBytes, Metadata, Name, WorkingDir};
use crate::field::Field;
use crate::job::{Job, JobStatus};
use crate::paging::{Page, only_page};
use crate::provider::{JobProvider, check_id};
use crate::submit::{SharedOptions, SubmitFields, SubmitRequest};
use crate::registry::{ProviderJob, ProviderKind};
use crate::time::from_unix_string;

const KIND: ProviderKind = ProviderKind::Yuanrong;

/// openYuanrong's job API (`YUANRONG_BASE_URL`: the frontend endpoint;
/// `YUANRONG_TOKEN`: its JWT, where authentication is on).
pub type YuanrongProvider = Provider<YuanrongApi>;

/// openYuanrong's record of a job.
pub type Record = AppInfo;

/// openYuanrong's API, as [`Provider`] uses it.
#[derive(Debug)]
pub enum YuanrongApi {}

impl super::sealed::Sealed for YuanrongApi {}

/// What gpujobs knows about openYuanrong.
pub static DESCRIPTOR: Descriptor = Descriptor {
    kind: KIND,
    name: "yuanrong",
    title: "openYuanrong jobs (Ray's Jobs API, its own wire)",
    // The frontend's JWT, sent as `X-Auth`, where it has authentication on (it may not).
    env: EnvVars::new(Some("YUANRONG_TOKEN"), "YUANRONG_BASE_URL", None).optional_credential(),
    capabilities: super::ray_family::CAPABILITIES,
    submit: SubmitFields::of(&[Id, Name, Env, Metadata, WorkingDir, Cpus, Gpus, MemoryBytes]),
    options: &super::ray_family::OPTIONS,
    settings: &[],
    statuses: StatusTable::new(&STATUSES, false),
    notes: &[
        "a submit needs a working directory (--working-dir): a directory or a file:// zip",
        "no logs endpoint",
    ],
    api: ApiFns::of::<YuanrongApi>(),
};

impl YuanrongProvider {
    /// Deletes a job that has ended; `false` if its state forbids it.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        check_id(KIND, id)?;
        self.call(|| self.client().delete_job(id)).await
    }
}

/// openYuanrong's job as a [`Job`].
pub(crate) fn to_job(info: AppInfo) -> Job {
    let raw = info.status.0.clone();
    let status = DESCRIPTOR.statuses.map(&raw);
    let mut job = Job::new(KIND, info.submission_id.clone(), status.clone(), raw);
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
    job = job.with_cause(info.error_type.as_deref(), &ray_family::CAUSES);
    job.raw = ProviderJob::Yuanrong(Box::new(info));
    job
}

#[async_trait]
impl ErrorBody for ErrorMessage {
    async fn message(self) -> reqwest::Result<String> {
        Ok(match self {
            ErrorMessage::String(message) => message,
            // The frontend's JWT middleware refuses with {"error": "..."}.
            ErrorMessage::AuthError(refused) => refused.error,
            ErrorMessage::Object(other) => super::plain_message(&serde_json::Value::Object(other).to_string()),
        })
    }
}

#[async_trait]
impl Api for YuanrongApi {
    type JobAnswer = AppInfo;
    type PageAnswer = Vec<AppInfo>;
    type Cursor = ();
    type Client = gpujobs_yuanrong::Client;
    const DESCRIPTOR: &'static Descriptor = &DESCRIPTOR;

    async fn fetch_job(p: &YuanrongProvider, id: &str) -> Result<AppInfo> {
        p.call(|| p.client().get_job(id)).await
    }

    /// The frontend's JWT in `X-Auth`, as it is (jwtauth.go reads no `Bearer`).
    fn auth_headers(config: &ProviderConfig) -> Result<reqwest::header::HeaderMap> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = &config.credential {
            let value = gpujobs_runtime::sensitive_value(token.expose())
                .map_err(|_| Error::config(KIND, "the token cannot be sent in a header"))?;
            headers.insert("x-auth", value);
        }
        Ok(headers)
    }

    async fn fetch_page(p: &YuanrongProvider, (): &(), _: Option<u32>) -> Result<Vec<AppInfo>> {
        p.call(|| p.client().list_jobs()).await
    }

    fn read_job(answer: AppInfo, _id: &str) -> Result<Job> {
        Ok(to_job(answer))
    }

    fn read_page(answer: Vec<AppInfo>, (): ()) -> Result<Page<()>> {
        only_page(answer, to_job)
    }

    async fn stop(p: &YuanrongProvider, id: &str) -> Result<bool> {
        p.call(|| p.client().stop_job(id)).await
    }

    async fn submit(p: &YuanrongProvider, request: &SubmitRequest) -> Result<Job> {
        ray_family::refuse_ray_only(KIND, request)?;
        let working_dir = request.working_dir.clone().ok_or_else(|| {
            Error::refused(
                KIND,
                Field::Submit(SubmitField::WorkingDir),
                "openYuanrong needs a working directory (`working_dir`): a directory or a file:// zip",
            )
        })?;
        let id = request.id.clone().unwrap_or_else(fresh_id);
        let bare = id.strip_prefix("app-").unwrap_or(&id);
        // The spec's pattern (the generated type checks it) and the documented `driver` rule.
        let submission_id = bare
            .parse::<SubmitJobRequestSubmissionId>()
            .ok()
            .filter(|_| !bare.contains("driver"))
            .ok_or_else(|| {
                Error::invalid(
                    KIND,
                    format!("openYuanrong ids are 1-64 of a-z, 0-9 and -, without `driver`: `{id}`"),
                )
            })?;
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
            submission_id,
            entrypoint_num_cpus: request.cpus,
            entrypoint_num_gpus: request.gpus,
            entrypoint_memory: request.memory_bytes.and_then(|m| i64::try_from(m).ok()),
            entrypoint_resources: ray_family::resources(request).unwrap_or_default(),
        };
        match p.call(|| p.client().submit_job(None, None, &body)).await {
            Ok(submitted) => p.get(&submitted.submission_id).await,
            Err(e) => {
                let conflict = ray_family::taken_id(e)?;
                let command = Some(request.command.as_str());
                let same = |job: &Job| matches!(&job.raw, ProviderJob::Yuanrong(i) if i.entrypoint.as_deref() == command);
                adopt_if_same(p, &full_id, conflict, same).await
            }
        }
    }

    fn error_message(body: &str) -> String {
        ray_family::error_message(body)
    }

    fn options_from(values: &crate::options::OptionValues) -> Result<Option<SharedOptions>> {
        ray_family::options_from(values)
    }
}
