//! Ray's Jobs REST API.
//!
//! Status: PENDING → queued, RUNNING → running, STOPPED → canceled,
//! SUCCEEDED → succeeded, FAILED → failed. Times are integer milliseconds.
//! Errors are `text/plain` (a real Ray sends Python tracebacks). A submit
//! always carries a `submission_id` (the caller's or a fresh one), so it is
//! safe to retry and never creates two jobs.

use async_trait::async_trait;
use futures_util::stream::BoxStream;
use gpujobs_ray::types::{JobDetails, JobSubmitRequest, VersionResponse};

mod package;
mod runtime_env;
mod tail;

pub use package::{DEFAULT_EXCLUDES, MAX_PACKAGE_BYTES};

pub use super::ray_family::RayOptions;
use super::ray_family::{self, STATUSES};
use super::{Api, Provider, adopt_if_same, fresh_id};
use crate::descriptor::{ApiFns, Descriptor, EnvVars, StatusTable};
use crate::error::Result;
use crate::field::Field;
use crate::field::SubmitField::{Cpus, Env, Gpus, Id, MemoryBytes, Metadata, Name, WorkingDir};
use crate::job::{Job, JobStatus};
use crate::paging::{Page, only_page};
use crate::provider::{JobProvider, Capabilities, Logs, check_id};
use crate::submit::{SharedOptions, SubmitFields, SubmitRequest};
use crate::registry::{ProviderJob, ProviderKind};
use crate::time::from_millis;

/// Ray's Jobs API (`RAY_API_SERVER_ADDRESS`, default `http://127.0.0.1:8265`).
pub type RayProvider = Provider<RayApi>;

/// Ray's record of a job.
pub type Record = JobDetails;

/// Ray's API, as [`Provider`] uses it.
#[derive(Debug)]
pub enum RayApi {}

impl super::sealed::Sealed for RayApi {}

/// What gpujobs knows about Ray.
pub static DESCRIPTOR: Descriptor = Descriptor {
    kind: ProviderKind::Ray,
    name: "ray",
    title: "Ray Jobs REST API",
    env: EnvVars::new(
        None,
        "RAY_API_SERVER_ADDRESS",
        Some("http://127.0.0.1:8265"),
    ),
    capabilities: Capabilities {
        logs: true,
        follow_logs: true,
        ..super::ray_family::CAPABILITIES
    },
    submit: SubmitFields::of(&[Id, Name, Env, Metadata, WorkingDir, Cpus, Gpus, MemoryBytes]),
    options: &super::ray_family::RAY_OPTIONS,
    settings: &[],
    statuses: StatusTable::new(&STATUSES, false),
    notes: &["a submit carries a submission_id, so repeating it never makes a second job"],
    api: ApiFns::of::<RayApi>(),
};

impl RayProvider {
    /// The Jobs API and Ray versions.
    pub async fn version(&self) -> Result<VersionResponse> {
        self.call(|| self.client().get_version()).await
    }

    /// Deletes a job that has ended; `false` if Ray did not delete it.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        check_id(ProviderKind::Ray, id)?;
        Ok(self.call(|| self.client().delete_job(id)).await?.deleted)
    }
}

/// Ray's job as a [`Job`].
pub(crate) fn to_job(details: JobDetails) -> Job {
    let raw = details.status.0.clone();
    let status = DESCRIPTOR.statuses.map(&raw);
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
    job = job.with_cause(details.error_type.as_deref(), &ray_family::CAUSES);
    job.raw = ProviderJob::Ray(Box::new(details));
    job
}

#[async_trait]
impl Api for RayApi {
    type JobAnswer = JobDetails;
    type PageAnswer = Vec<JobDetails>;
    type Cursor = ();
    type Client = gpujobs_ray::Client;
    const DESCRIPTOR: &'static Descriptor = &DESCRIPTOR;

    async fn fetch_job(p: &RayProvider, id: &str) -> Result<JobDetails> {
        p.call(|| p.client().get_job(id)).await
    }

    async fn fetch_page(p: &RayProvider, (): &(), _: Option<u32>) -> Result<Vec<JobDetails>> {
        p.call(|| p.client().list_jobs()).await
    }

    fn read_job(answer: JobDetails, _id: &str) -> Result<Job> {
        Ok(to_job(answer))
    }

    fn read_page(answer: Vec<JobDetails>, (): ()) -> Result<Page<()>> {
        only_page(answer, to_job)
    }

    async fn stop(p: &RayProvider, id: &str) -> Result<bool> {
        Ok(p.call(|| p.client().stop_job(id)).await?.stopped)
    }

    async fn submit(p: &RayProvider, request: &SubmitRequest) -> Result<Job> {
        let id = request.id.clone().unwrap_or_else(fresh_id);
        check_id(ProviderKind::Ray, &id)?;
        let options = request.options_for::<RayOptions>();
        let mut runtime_env = options.map(|o| o.runtime_env.clone()).unwrap_or_default();
        runtime_env::check(&runtime_env)?;
        if !request.env.is_empty() {
            runtime_env.insert("env_vars".into(), serde_json::json!(request.env));
        }
        if let Some(dir) = &request.working_dir {
            // A URI (gcs://, s3://, https://…) is the cluster's to fetch; anything
            // else is a directory (or zip) here, sent as Ray's client sends it.
            let excludes = options.map_or(&[][..], |o| &o.excludes);
            let uri = match dir.contains("://") {
                true if !excludes.is_empty() => {
                    return Err(crate::Error::refused(
                        ProviderKind::Ray,
                        Field::SubmitOption("excludes"),
                        format!("working_dir {dir} is a URI, fetched by the cluster: `excludes` apply to a local directory"),
                    ));
                }
                true => dir.clone(),
                false => package::upload(p, dir, excludes).await?,
            };
            runtime_env.insert("working_dir".into(), uri.into());
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
            entrypoint_resources: ray_family::resources(request),
            entrypoint_label_selector: options
                .map(|o| o.label_selector.clone())
                .filter(|labels| !labels.is_empty()),
        };
        match p.call(|| p.client().submit_job(&body)).await {
            Ok(submitted) => p.get(&submitted.submission_id).await,
            Err(e) => {
                let conflict = ray_family::taken_id(e)?;
                let same = |job: &Job| matches!(&job.raw, ProviderJob::Ray(d) if d.entrypoint == request.command);
                adopt_if_same(p, &id, conflict, same).await
            }
        }
    }

    async fn logs(p: &RayProvider, id: &str) -> Result<Logs> {
        Ok(Logs::Text(p.call(|| p.client().get_job_logs(id)).await?.logs))
    }

    fn follow_logs(p: &RayProvider, id: &str) -> BoxStream<'static, Result<String>> {
        tail::follow(p, id)
    }

    fn error_message(body: &str) -> String {
        ray_family::error_message(body)
    }

    fn options_from(values: &crate::options::OptionValues) -> Result<Option<SharedOptions>> {
        ray_family::options_from(values)
    }
}
