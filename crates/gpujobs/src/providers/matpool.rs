//! Matpool's PaaS job API.
//!
//! Every answer is an envelope `{code, msg, …}` and failures arrive with HTTP
//! 200: code 176 (bad token) is `Unauthenticated`, 6 (invalid parameter)
//! `InvalidRequest`, a "not found" message `NotFound`, anything else `Api`.
//! Status: 6 initializing and 2 scheduled → starting, 1 → queued, 3 →
//! running, 5 → canceling, 4 completed → succeeded, unless the job's state
//! history shows a 5 (then it was canceled). Listing pages oldest first, so
//! jobs created meanwhile land on later pages instead of shifting earlier ones.

use async_trait::async_trait;
use gpujobs_matpool::types::{CreateJobForm, Job as MatpoolJob, JobListResponse, JobResponse};

use super::{Api, Provider};
use crate::descriptor::{ApiFns, Descriptor, EnvVars, StatusTable};
use crate::error::{Error, Result};
use crate::text::shorten;
use crate::job::{Job, JobStatus};
use crate::paging::Page;
use crate::provider::Capabilities;
use crate::field::{Field, SubmitField};
use crate::options::{OptionFlag, OptionKind, OptionValue, OptionValues};
use crate::submit::{SharedOptions, SubmitFields, SubmitOptions, SubmitRequest};
use crate::registry::{ProviderJob, ProviderKind};
use crate::time::from_seconds;

const KIND: ProviderKind = ProviderKind::Matpool;

/// Matpool's PaaS API (`MATPOOL_TOKEN`, `MATPOOL_BASE_URL`).
pub type MatpoolProvider = Provider<MatpoolApi>;

/// Matpool's record of a job.
pub type Record = MatpoolJob;

/// Matpool's API, as [`Provider`] uses it.
#[derive(Debug)]
pub enum MatpoolApi {}

impl super::sealed::Sealed for MatpoolApi {}

/// What only Matpool takes when submitting: the machine (a GPU model) and
/// what it starts from (an image or a saved environment, exactly one).
///
/// ```
/// use gpujobs::matpool::MatpoolOptions;
/// let options = MatpoolOptions::default().gpu_model("NVIDIA A16").image(12);
/// let request = gpujobs::SubmitRequest::new("python train.py").options(options);
/// assert!(request.options_for::<MatpoolOptions>().is_some());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MatpoolOptions {
    /// The GPU model (`spec.gpuName`; required).
    pub gpu_model: Option<String>,
    /// An image id (`from_image_id`).
    pub image: Option<i64>,
    /// A saved environment id (`from_snapshot_id`).
    pub environment: Option<i64>,
    /// A region id (`agent_domain`; default 0).
    pub region: Option<i64>,
}

impl MatpoolOptions {
    /// Sets the GPU model.
    pub fn gpu_model(mut self, model: impl Into<String>) -> Self {
        self.gpu_model = Some(model.into());
        self
    }

    /// Starts from this image.
    pub fn image(mut self, id: i64) -> Self {
        self.image = Some(id);
        self
    }

    /// Starts from this saved environment.
    pub fn environment(mut self, id: i64) -> Self {
        self.environment = Some(id);
        self
    }

    /// Runs in this region.
    pub fn region(mut self, id: i64) -> Self {
        self.region = Some(id);
        self
    }
}

impl SubmitOptions for MatpoolOptions {
    fn providers(&self) -> &'static [ProviderKind] {
        &[KIND]
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// [`MatpoolOptions`] as a command line offers them.
static OPTIONS: [OptionFlag; 4] = [
    OptionFlag::new("gpu_model", "gpu", OptionKind::Text, "The GPU model, e.g. \"NVIDIA A16\" (required)"),
    OptionFlag::new("image", "image", OptionKind::Integer, "Start from this image id"),
    OptionFlag::new("environment", "environment", OptionKind::Integer, "Start from this saved environment id"),
    OptionFlag::new("region", "region", OptionKind::Integer, "The region id (default 0)"),
];

static STATUSES: [(&str, JobStatus); 6] = [
    ("6", JobStatus::Starting),
    ("1", JobStatus::Queued),
    ("2", JobStatus::Starting),
    ("3", JobStatus::Running),
    ("5", JobStatus::Canceling),
    ("4", JobStatus::Succeeded),
];

/// What gpujobs knows about Matpool.
pub static DESCRIPTOR: Descriptor = Descriptor {
    kind: KIND,
    name: "matpool",
    title: "Matpool PaaS API",
    env: EnvVars::new(
        Some("MATPOOL_TOKEN"),
        "MATPOOL_BASE_URL",
        Some("https://paas.matpool.com"),
    ),
    capabilities: Capabilities {
        server_paging: true,
        async_cancel: true,
        submit: true,
        ..Capabilities::GET_LIST_CANCEL
    },
    submit: SubmitFields::of(&[SubmitField::Name, SubmitField::Env]),
    options: &OPTIONS,
    settings: &[],
    statuses: StatusTable::new(&STATUSES, false),
    notes: &[
        "reports every ended job as completed (4): a failed job shows succeeded",
        "4 after a 5 (canceling) in the job's history is canceled",
        "a submit needs --gpu and one of --image or --environment; it is never retried",
    ],
    api: ApiFns::of::<MatpoolApi>(),
};

/// Turns a non-zero envelope `code` into an error.
pub(crate) fn check(code: i64, msg: &str) -> Result<()> {
    let msg = shorten(msg);
    let message = format!("{msg} (code {code})");
    match code {
        0 => Ok(()),
        176 => Err(Error::Unauthenticated {
            provider: KIND,
            message: format!("{message}: check MATPOOL_TOKEN"),
            source: None,
        }),
        6 => Err(Error::invalid(KIND, message)),
        _ if msg.to_ascii_lowercase().contains("not found") || msg.contains("不存在") => {
            Err(Error::NotFound {
                provider: KIND,
                message,
                source: None,
            })
        }
        _ => Err(Error::Api {
            provider: KIND,
            status: Some(200),
            code: Some(code.to_string().into()),
            message: msg,
            body: None,
            request_id: None,
            source: None,
        }),
    }
}

/// Matpool's status onto ours; `history` is the job's state log, oldest first.
pub(crate) fn status(current: i64, history: &[i64]) -> JobStatus {
    match DESCRIPTOR.statuses.map(&current.to_string()) {
        JobStatus::Succeeded if history.contains(&5) => JobStatus::Canceled,
        status => status,
    }
}

/// Matpool's job as a [`Job`].
pub(crate) fn to_job(raw: MatpoolJob) -> Job {
    let log = raw
        .state
        .as_ref()
        .map(|s| s.log.as_slice())
        .unwrap_or_default();
    let history: Vec<i64> = log
        .iter()
        .filter_map(|e| e.status.as_ref().map(|s| s.0))
        .collect();
    let entered = |status: i64| {
        log.iter()
            .find(|e| e.status.as_ref().is_some_and(|s| s.0 == status))
            .and_then(|e| e.ts.as_ref())
            .and_then(|ts| from_seconds(ts.seconds))
    };
    let current = raw.status.0;
    let mut job = Job::new(
        KIND,
        raw.id.to_string(),
        status(current, &history),
        current.to_string(),
    );
    job.name = raw
        .app
        .as_ref()
        .and_then(|a| a.remark.clone())
        .filter(|r| !r.is_empty());
    job.created_at = raw
        .create_time
        .as_ref()
        .and_then(|t| from_seconds(t.seconds));
    job.started_at = entered(3);
    job.finished_at = entered(4);
    job.message = raw.desc.clone().filter(|d| !d.is_empty());
    job.raw = ProviderJob::Matpool(Box::new(raw));
    job
}

/// Matpool's create form for a [`SubmitRequest`], refusing what it cannot express.
fn create_form(request: &SubmitRequest) -> Result<CreateJobForm> {
    let options = request.options_for::<MatpoolOptions>().cloned().unwrap_or_default();
    let gpu = options
        .gpu_model
        .as_deref()
        .ok_or_else(|| Error::refused(KIND, Field::SubmitOption("gpu_model"), "Matpool needs a GPU model (`gpu_model`)"))?;
    let (image, environment) = (options.image, options.environment);
    if image.is_some() == environment.is_some() {
        return Err(Error::refused_all(
            KIND,
            &[Field::SubmitOption("image"), Field::SubmitOption("environment")],
            "Matpool needs exactly one of an image id (`image`) or an environment id (`environment`)",
        ));
    }
    if let Some((key, _)) = request
        .env
        .iter()
        .find(|(k, v)| k.contains(['=', ';']) || v.contains(';'))
    {
        return Err(Error::invalid(
            KIND,
            format!("Matpool's K=V;… format cannot carry the variable `{key}`"),
        ));
    }
    let envs: Vec<String> = request
        .env
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    Ok(CreateJobForm {
        spec: serde_json::json!({ "gpuName": gpu }).to_string(),
        agent_domain: options.region.unwrap_or(0),
        from_image_id: image,
        from_snapshot_id: environment,
        cmd: Some(request.command.clone()).filter(|c| !c.is_empty()),
        envs: (!envs.is_empty()).then(|| envs.join(";")),
        remark: request.name.clone(),
        domain: None,
        ports: None,
    })
}

/// [`MatpoolOptions`] from a command line's values.
fn options_from(values: &OptionValues) -> Result<Option<SharedOptions>> {
    let integer = |name: &str| {
        values.get(name)?.iter().find_map(|v| match v {
            OptionValue::Integer(n) => Some(*n),
            _ => None,
        })
    };
    let options = MatpoolOptions {
        gpu_model: crate::options::text(values, "gpu_model"),
        image: integer("image"),
        environment: integer("environment"),
        region: integer("region"),
    };
    Ok((options != MatpoolOptions::default()).then(|| std::sync::Arc::new(options) as std::sync::Arc<dyn SubmitOptions>))
}

#[async_trait]
impl Api for MatpoolApi {
    type JobAnswer = JobResponse;
    type PageAnswer = JobListResponse;
    type Cursor = u64;
    type Client = gpujobs_matpool::Client;
    const DESCRIPTOR: &'static Descriptor = &DESCRIPTOR;

    fn options_from(values: &OptionValues) -> Result<Option<SharedOptions>> {
        options_from(values)
    }

    async fn fetch_job(p: &MatpoolProvider, id: &str) -> Result<JobResponse> {
        p.call(|| p.client().get_job(id)).await
    }

    /// Pages by index from 0; Matpool numbers them from 1.
    async fn fetch_page(p: &MatpoolProvider, index: &u64, size: Option<u32>) -> Result<JobListResponse> {
        let (page, per_page) = ((index + 1).to_string(), size.unwrap_or(50).to_string());
        p.call(|| p.client().list_jobs(Some(true), Some(&page), Some(&per_page))).await
    }

    fn read_job(answer: JobResponse, id: &str) -> Result<Job> {
        check(answer.code, &answer.msg)?;
        answer
            .job
            .map(to_job)
            .ok_or_else(|| Error::bad_answer(KIND, format!("answer for job {id} holds no job")))
    }

    fn read_page(answer: JobListResponse, index: u64) -> Result<Page<u64>> {
        check(answer.code, &answer.msg)?;
        let pages = answer.pagination.map_or(0, |p| p.num_pages);
        let more = !answer.job.is_empty() && ((index + 1) as i64) < pages;
        let next = more.then_some(index + 1);
        Ok((answer.job.into_iter().map(to_job).collect(), next))
    }

    async fn stop(p: &MatpoolProvider, id: &str) -> Result<bool> {
        let answer = p.call(|| p.client().cancel_job(id)).await?;
        check(answer.code, &answer.msg)?;
        Ok(true)
    }

    /// Creates a job. Never retried once sent: Matpool has no idempotency key.
    async fn submit(p: &MatpoolProvider, request: &SubmitRequest) -> Result<Job> {
        let form = create_form(request)?;
        let created = p.call(|| p.client().create_job(&form)).await?;
        check(created.code, &created.msg)?;
        created
            .job
            .map(to_job)
            .ok_or_else(|| Error::bad_answer(KIND, "the created job is missing from the answer"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_value_by_value() {
        let cases = [
            (6, vec![6], JobStatus::Starting),
            (1, vec![6, 1], JobStatus::Queued),
            (2, vec![6, 1, 2], JobStatus::Starting),
            (3, vec![6, 1, 2, 3], JobStatus::Running),
            (5, vec![6, 1, 5], JobStatus::Canceling),
            (4, vec![6, 1, 2, 3, 4], JobStatus::Succeeded),
            (4, vec![6, 1, 5, 4], JobStatus::Canceled),
            (4, vec![], JobStatus::Succeeded),
            (7, vec![], JobStatus::Unknown("7".into())),
        ];
        for (current, history, want) in cases {
            assert_eq!(
                status(current, &history),
                want,
                "{current} after {history:?}"
            );
        }
    }

    #[test]
    fn envelope_codes_map_to_kinds() {
        assert!(check(0, "").is_ok());
        assert!(matches!(
            check(176, "check jwt token failed"),
            Err(Error::Unauthenticated { .. })
        ));
        assert!(matches!(
            check(6, "param illegal"),
            Err(Error::InvalidRequest { .. })
        ));
        assert!(matches!(
            check(7, "job not found"),
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(check(1, "boom"), Err(Error::Api { code: Some(c), .. }) if &*c == "1"));
    }

    #[test]
    fn a_submit_needs_a_gpu_and_exactly_one_image_or_environment() {
        let gpu = || MatpoolOptions::default().gpu_model("NVIDIA A16");
        let with = |options: MatpoolOptions| SubmitRequest::new("nvidia-smi").options(options);
        assert!(create_form(&with(gpu().image(633839))).is_ok());
        for bad in [
            with(MatpoolOptions::default().image(1)),
            with(gpu()),
            with(gpu().image(1).environment(2)),
            with(gpu().image(1)).env("A", "x;y"),
        ] {
            assert!(
                matches!(create_form(&bad), Err(Error::InvalidRequest { .. })),
                "{bad:?}"
            );
        }
        let form = create_form(&with(gpu().image(633839).region(2)).env("A", "1").env("B", "2")).unwrap();
        assert_eq!(
            (form.envs.as_deref(), form.agent_domain, form.from_image_id),
            (Some("A=1;B=2"), 2, Some(633839))
        );
        assert_eq!(form.spec, r#"{"gpuName":"NVIDIA A16"}"#);
    }
}
