//! Slurm's REST API (slurmrestd), every release from 22.05 to 26.05.
//!
//! slurmrestd serves its API in versions, each release a few (22.05:
//! v0.0.36–38; 24.11: v0.0.40–42; 26.05: v0.0.42–45). A client asks the
//! server once, in its `/openapi/v3`, which it serves, and speaks the newest
//! one gpujobs knows ([`version`]) for the rest of its life, unless the user
//! pinned one (`api_version`, `SLURMRESTD_API_VERSION`). Two generated
//! clients speak them: v0.0.38 (`gpujobs_slurm::v0_0_38`) and the data_parser versions
//! v0.0.40 to v0.0.45 (`gpujobs_slurm::v0_0_42`, the version a parameter of each call);
//! each module reads its answers into the one [`Job`] and writes its submit
//! body. What is the same on every version lives here: statuses, errors,
//! authentication, and a submit that never makes two jobs.
//!
//! Auth is `X-SLURM-USER-TOKEN` (a JWT from `scontrol token`) and
//! `X-SLURM-USER-NAME`, which 22.05 requires and later releases take from the
//! token: gpujobs sends the name given (`SLURM_USER_NAME`), or else the one
//! the token carries. Slurm has no client-chosen job id: a submit carries a
//! token in the job's `comment` and is found by it again, so a repeated or
//! retried submit never makes a second job. The REST API has no endpoint for
//! a job's output (it is in the file `standard_output` names, on the
//! cluster): `logs` is unsupported.

mod options;
mod v0_0_38;
mod v0_0_42;
pub mod version;

pub use self::options::SlurmOptions;
use self::options::OPTIONS;

use std::sync::Arc;

use async_trait::async_trait;
use gpujobs_runtime::{ClientState, Endpoint, GeneratedClient};
use serde::Deserialize;

use self::version::{ApiVersion, Served};
use super::{Api, Provider, fresh_id};
use crate::config::ProviderConfig;
use crate::descriptor::{ApiFns, Descriptor, EnvVars, StatusTable};
use crate::error::{Error, Operation, Result};
use crate::job::{Job, JobStatus};
use crate::paging::{Page, only_page};
use crate::provider::{Capabilities, JobProvider};
use crate::submit::{OptionValues, SharedOptions, SubmitFields, SubmitRequest};
use crate::registry::{ProviderJob, ProviderKind};

const KIND: ProviderKind = ProviderKind::Slurm;

/// Slurm through slurmrestd (`SLURMRESTD_URL`, `SLURM_JWT`, `SLURM_USER_NAME`,
/// `SLURMRESTD_API_VERSION`).
pub type SlurmProvider = Provider<SlurmApi>;

/// Slurm's record of a job, in the shape of the API version spoken.
pub use gpujobs_slurm::JobRecord as Record;

/// Slurm's API, as [`Provider`] uses it.
#[derive(Debug)]
pub enum SlurmApi {}

impl super::sealed::Sealed for SlurmApi {}

/// Every job state Slurm shows: its base states, and the flags that take
/// their place when set (Slurm's own `job_state_string()` order, which v0.0.38
/// sends and the later versions list beside the base state).
static STATUSES: [(&str, JobStatus); 23] = [
    ("PENDING", JobStatus::Queued),
    ("REQUEUED", JobStatus::Queued),
    ("REQUEUE_FED", JobStatus::Queued),
    ("REQUEUE_HOLD", JobStatus::Queued),
    ("RESV_DEL_HOLD", JobStatus::Queued),
    ("CONFIGURING", JobStatus::Starting),
    ("RUNNING", JobStatus::Running),
    ("SUSPENDED", JobStatus::Running),
    ("STOPPED", JobStatus::Running),
    ("RESIZING", JobStatus::Running),
    ("SIGNALING", JobStatus::Running),
    ("COMPLETING", JobStatus::Running),
    ("STAGE_OUT", JobStatus::Running),
    ("COMPLETED", JobStatus::Succeeded),
    ("CANCELLED", JobStatus::Canceled),
    ("REVOKED", JobStatus::Canceled),
    ("FAILED", JobStatus::Failed),
    ("TIMEOUT", JobStatus::Failed),
    ("NODE_FAIL", JobStatus::Failed),
    ("PREEMPTED", JobStatus::Failed),
    ("BOOT_FAIL", JobStatus::Failed),
    ("DEADLINE", JobStatus::Failed),
    ("OUT_OF_MEMORY", JobStatus::Failed),
];

/// The flags that Slurm shows instead of the base state, in its order of
/// precedence; SPECIAL_EXIT (requeued and held after a failure) is left
/// unknown on purpose: it is neither running nor an end.
const SHOWN_FLAGS: [&str; 12] = [
    "COMPLETING",
    "STAGE_OUT",
    "CONFIGURING",
    "RESIZING",
    "REQUEUED",
    "REQUEUE_FED",
    "REQUEUE_HOLD",
    "SPECIAL_EXIT",
    "STOPPED",
    "REVOKED",
    "RESV_DEL_HOLD",
    "SIGNALING",
];

/// Job ids asked for in one `jobs/state` request: a URL of about 7 KB
/// (`job_id=N&` each), which slurmrestd 24.11 and 26.05 take.
const STATES_PER_REQUEST: usize = 500;

/// What gpujobs knows about Slurm.
pub static DESCRIPTOR: Descriptor = Descriptor {
    kind: KIND,
    name: "slurm",
    title: "Slurm REST API (slurmrestd)",
    env: EnvVars::new(Some("SLURM_JWT"), "SLURMRESTD_URL", None)
        .with_user(&["SLURM_USER_NAME"])
        .with_api_version("SLURMRESTD_API_VERSION"),
    capabilities: Capabilities {
        reports_failure: true,
        submit: true,
        idempotent_submit: true,
        statuses: true,
        ..Capabilities::GET_LIST_CANCEL
    },
    submit: SubmitFields { metadata: false, ..SubmitFields::ALL },
    options: &OPTIONS,
    statuses: StatusTable::new(&STATUSES, false),
    notes: &[
        "Slurm 22.05 to 26.05: the API version is the newest the server serves and gpujobs speaks (v0.0.38, v0.0.40 to v0.0.45), asked once; pin one with SLURMRESTD_API_VERSION",
        "a submit is the batch script's body; a token in the job's comment keeps a repeated submit from making two jobs",
        "no logs endpoint: the output is in the job's standard_output file on the cluster",
        "SPECIAL_EXIT (requeued and held after a failure) is unknown, not an end",
    ],
    api: ApiFns::of::<SlurmApi>(),
};

/// The state Slurm shows for a base state and its flags (what squeue prints,
/// and what v0.0.38 sends as `job_state`).
fn shown_state(states: &[String]) -> String {
    SHOWN_FLAGS
        .iter()
        .find(|flag| states.iter().any(|s| s == *flag))
        .map(|flag| (*flag).to_owned())
        .or_else(|| {
            // The base state is the one that is not a flag.
            let base = |s: &&String| STATUSES.iter().any(|(name, _)| name == s) && !SHOWN_FLAGS.contains(&s.as_str());
            states.iter().find(base).cloned()
        })
        .or_else(|| states.first().cloned())
        .unwrap_or_default()
}

/// The generated clients of every version, and the version chosen for this
/// server (asked once, kept for the client's life).
#[derive(Clone, Debug)]
pub struct SlurmClient {
    v0_0_38: gpujobs_slurm::v0_0_38::Client,
    v0_0_42: gpujobs_slurm::v0_0_42::Client,
    chosen: Arc<tokio::sync::OnceCell<ApiVersion>>,
    settings: Arc<Settings>,
}

/// What a Slurm client keeps of its configuration.
#[derive(Debug, Default)]
struct Settings {
    /// The version the user pinned, as given.
    pinned: Option<String>,
    /// The user name given (`SLURM_USER_NAME`).
    user: Option<String>,
    /// The user the token was made for.
    token_user: Option<String>,
    has_token: bool,
}

impl SlurmClient {
    /// The client of API v0.0.38 (Slurm 22.05 to 23.11).
    pub fn v0_0_38(&self) -> &gpujobs_slurm::v0_0_38::Client {
        &self.v0_0_38
    }

    /// The client of the data_parser versions v0.0.40 to v0.0.45 (Slurm 23.11 on).
    pub fn v0_0_42(&self) -> &gpujobs_slurm::v0_0_42::Client {
        &self.v0_0_42
    }

    /// The version this client speaks, once it has asked the server (or was pinned).
    pub fn api_version(&self) -> Option<ApiVersion> {
        self.chosen.get().copied()
    }
}

impl GeneratedClient for SlurmClient {
    const PROVIDER: &'static str = gpujobs_slurm::v0_0_42::PROVIDER;

    /// The state both clients share; each adds its own endpoints (the two name
    /// their operations alike, and traces name each request's own path).
    fn client_state() -> ClientState {
        ClientState::new(Self::PROVIDER)
    }

    fn with_state(base_url: &str, http: reqwest::Client, state: ClientState) -> Self {
        let v0_0_38 = state.clone().with_endpoints(gpujobs_slurm::v0_0_38::ENDPOINTS);
        let v0_0_42 = state.with_endpoints(gpujobs_slurm::v0_0_42::ENDPOINTS);
        Self {
            v0_0_38: gpujobs_slurm::v0_0_38::Client::with_state(base_url, http.clone(), v0_0_38),
            v0_0_42: gpujobs_slurm::v0_0_42::Client::with_state(base_url, http, v0_0_42),
            chosen: Arc::default(),
            settings: Arc::default(),
        }
    }

    fn endpoints() -> Vec<Endpoint> {
        let mut all = gpujobs_slurm::v0_0_38::Client::endpoints();
        all.extend(gpujobs_slurm::v0_0_42::Client::endpoints());
        all
    }
}

/// What slurmrestd answers about jobs (one, or all), in the version spoken.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "an answer is read once where it is made")]
pub enum Jobs {
    /// v0.0.38's answer.
    V0038(gpujobs_slurm::v0_0_38::types::V0038JobsResponse),
    /// A data_parser version's answer.
    V0042(gpujobs_slurm::v0_0_42::types::V0042OpenapiJobInfoResp),
}

impl<'de> Deserialize<'de> for Jobs {
    /// Either version's answer, told apart by its shape: from v0.0.40 on,
    /// `job_state` is a list and `meta.plugin` names its data parser. (Used
    /// when reading recorded or fuzzed bytes; a client knows its version.)
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let value = serde_json::Value::deserialize(deserializer)?;
        let data_parser = value.pointer("/meta/plugin/data_parser").is_some()
            || value.get("jobs").and_then(|j| j.as_array()).is_some_and(|jobs| jobs.iter().any(|j| j.get("job_state").is_some_and(|s| s.is_array())));
        match data_parser {
            true => serde_json::from_value(value).map(Jobs::V0042),
            false => serde_json::from_value(value).map(Jobs::V0038),
        }
        .map_err(D::Error::custom)
    }
}

/// One entry of an answer's `errors` list, in every version's spelling.
#[derive(Debug, Default, Deserialize)]
struct Reported {
    error_number: Option<i64>,
    /// What a held submit (v0.0.38) numbers its error as.
    error_code: Option<i64>,
    error: Option<String>,
    description: Option<String>,
}

/// An answer's `errors`, whatever else it holds.
#[derive(Debug, Default, Deserialize)]
struct Answer {
    #[serde(default)]
    errors: Vec<Reported>,
}

/// Slurm's numbers for a request it will never accept as sent (seen live):
/// an invalid partition, no script, a node configuration (e.g. GPUs) the
/// cluster does not have, no working directory (23.02 on), a body it could
/// not parse.
const REFUSED_REQUEST: [i64; 5] = [2000, 2009, 2014, 2063, 9001];

/// The error an `errors` list reports, if any. 2017 is an unknown job; 1007
/// ("Protocol authentication error", from 23.02) and -1 ("Unspecified
/// error", 22.05) are how slurmctld refuses a token.
fn reported(errors: &[Reported]) -> Option<Error> {
    let first = errors.first()?;
    let number = first.error_number.or(first.error_code);
    let text = [first.error.as_deref(), first.description.as_deref()]
        .into_iter()
        .flatten()
        .map(|t| t.trim().trim_end_matches('.'))
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(": ");
    let message = crate::error::shorten(&text);
    Some(match number {
        Some(2017) => Error::NotFound {
            provider: KIND,
            message,
            source: None,
        },
        Some(number) if REFUSED_REQUEST.contains(&number) => {
            let hint = match number {
                2063 => " (set `working_dir`)",
                _ => "",
            };
            Error::InvalidRequest {
                provider: KIND,
                message: format!("Slurm refused the job: {message}{hint}"),
                source: None,
            }
        }
        Some(-1 | 1007) => Error::Unauthenticated {
            provider: KIND,
            message: format!("{message} (slurmctld refused the token: expired, or made for another cluster? check SLURM_JWT)"),
            source: None,
        },
        _ => Error::Api {
            provider: KIND,
            status: None,
            code: number.map(|n| n.to_string().into()),
            message,
            body: None,
            request_id: None,
            source: None,
        },
    })
}

/// What a failed answer says: its `errors`, or, for a text answer, what
/// slurmrestd itself refused.
fn answer_error(status: u16, body: &str) -> Option<Error> {
    let text = body.trim_start();
    if status == 404 && (text.starts_with("Unable to find requested URL") || text.starts_with("Unable find requested URL")) {
        // slurmrestd's own 404, for a path it does not serve (JSON 404s are unknown jobs).
        return Some(Error::Config {
            provider: KIND,
            message: format!(
                "this slurmrestd does not serve the API version asked for (it answered 404: {}): pin a version it serves with `api_version`, or leave the choice to gpujobs",
                crate::error::shorten(body.lines().next().unwrap_or_default())
            ),
        });
    }
    let answer: Answer = serde_json::from_str(body).ok()?;
    match reported(&answer.errors)? {
        Error::Api { code, message, .. } => Some(Error::Api {
            provider: KIND,
            status: Some(status),
            code,
            message,
            body: Some(crate::error::excerpt(body).into()),
            request_id: None,
            source: None,
        }),
        error => Some(error),
    }
}

/// The user a JWT says it was made for (its `sun` claim), if it is a JWT.
fn token_user(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(&base64url(payload)?).ok()?;
    claims.get("sun")?.as_str().map(str::to_owned)
}

/// Base64url without padding, as JWTs carry their parts.
fn base64url(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for c in text.trim_end_matches('=').bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    Some(out)
}

/// The user name sent as `X-SLURM-USER-NAME`: the one configured, or else the
/// one the token was made for.
fn user_name(config: &ProviderConfig) -> Option<String> {
    config.user.clone().or_else(|| token_user(config.credential.as_ref()?.expose()))
}

/// The mark a submit leaves in the job's `comment`: its token, and a
/// fingerprint of what was asked, so that the same request under the same id
/// finds its job and a different one is a conflict.
fn mark(token: &str, request: &SubmitRequest) -> String {
    format!("gpujobs-token={token} gpujobs-request={:016x}", fingerprint(request))
}

/// A stable hash (FNV-1a) of what a submit asks Slurm for. Environment values
/// are left out: they may be secrets, and a comment is visible to the cluster.
fn fingerprint(request: &SubmitRequest) -> u64 {
    let env: Vec<&String> = request.env.keys().collect();
    let options = SlurmOptions::of(request);
    let asked = format!(
        "{:?}",
        (
            &request.command,
            env,
            &request.name,
            &request.working_dir,
            &options.partition,
            &options.output,
            options.time_limit.map(|t| t.as_secs()),
            request.cpus.map(f64::to_bits),
            request.gpus.map(f64::to_bits),
            request.memory_bytes,
        )
    );
    asked
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

/// The batch script a command runs as.
fn script(request: &SubmitRequest) -> Result<String> {
    if request.command.trim().is_empty() {
        return Err(Error::invalid(KIND, "Slurm needs a command, the batch script's body"));
    }
    Ok(match request.command.starts_with("#!") {
        true => request.command.clone(),
        false => format!("#!/bin/bash\n{}\n", request.command),
    })
}

/// The job's environment: what was asked, and always a `PATH` (slurmctld
/// refuses an empty environment, and a job without PATH finds no programs).
fn environment(request: &SubmitRequest) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = request.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    if !request.env.contains_key("PATH") {
        env.push(("PATH".into(), "/usr/local/bin:/usr/bin:/bin".into()));
    }
    env
}

/// A whole number of CPUs or GPUs, as Slurm allocates them.
fn whole(what: &str, count: Option<f64>) -> Result<Option<i64>> {
    match count {
        Some(n) if n.fract() != 0.0 || n < 1.0 => Err(Error::invalid(KIND, format!("Slurm allocates whole {what} (`{}`), not {n}", what.to_lowercase()))),
        Some(n) => Ok(Some(n as i64)),
        None => Ok(None),
    }
}

/// What a submit asked of the cluster, for a refusal's message (none: only the defaults).
fn asked(request: &SubmitRequest) -> Option<String> {
    let count = |n: f64, what: &str| format!("{n} {what}{}", if n == 1.0 { "" } else { "s" });
    let mut parts = Vec::new();
    if let Some(gpus) = request.gpus {
        parts.push(count(gpus, "GPU"));
    }
    if let Some(cpus) = request.cpus {
        parts.push(count(cpus, "CPU"));
    }
    if let Some(bytes) = request.memory_bytes {
        parts.push(format!("{} MiB of memory", bytes.div_ceil(1 << 20)));
    }
    let options = SlurmOptions::of(request);
    if let Some(partition) = &options.partition {
        parts.push(format!("partition {partition}"));
    }
    if let Some(minutes) = options.minutes() {
        parts.push(format!("{minutes} minutes"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Whether a submit that failed with `error` may have made the job all the
/// same: the request may have reached slurmrestd and its answer was lost.
fn answer_may_be_lost(error: &Error) -> bool {
    match error {
        Error::Transport { .. } | Error::Timeout { .. } => true,
        // slurmrestd's own refusals carry an error code; a bare 5xx came from in between.
        Error::Api { status, code, .. } => code.is_none() && status.is_none_or(|s| s >= 500),
        _ => false,
    }
}

impl SlurmProvider {
    /// The API version to speak: the one pinned, or the newest this server
    /// serves that gpujobs speaks, asked once in the client's life.
    pub async fn api_version(&self) -> Result<ApiVersion> {
        let chosen = &self.client().chosen;
        let version = chosen.get_or_try_init(|| self.choose_version()).await?;
        Ok(*version)
    }

    async fn choose_version(&self) -> Result<ApiVersion> {
        if let Some(pinned) = &self.client().settings.pinned {
            return ApiVersion::parse(pinned).ok_or_else(|| Error::Config {
                provider: KIND,
                message: format!("`api_version` {pinned} is not a version gpujobs speaks; gpujobs speaks {}", ApiVersion::spoken()),
            });
        }
        let stream = self.send(|| self.client().v0_0_38.get_openapi_v3()).await?;
        let bytes: Vec<bytes::Bytes> = futures_util::TryStreamExt::try_collect(stream.into_inner())
            .await
            .map_err(|e| Error::Transport {
                provider: KIND,
                message: "the OpenAPI document was cut short".into(),
                source: Some(Box::new(e.without_url())),
            })?;
        let served = Served::read(&bytes.concat())
            .map_err(|e| Error::bad_answer(KIND, format!("its /openapi/v3 could not be read: {e}")))?;
        let release = served.release.clone().unwrap_or_else(|| "a slurmrestd".into());
        let Some(chosen) = served.choose() else {
            let serves = match served.versions.is_empty() {
                true => "no job API".to_owned(),
                false => served.versions.join(", "),
            };
            return Err(Error::Config {
                provider: KIND,
                message: format!(
                    "{} ({release}) serves {serves}; gpujobs speaks {}",
                    gpujobs_runtime::SensitiveUrl::new(&self.ctx().base_url),
                    ApiVersion::spoken()
                ),
            });
        };
        tracing::info!(target: "gpujobs", release = %release, served = %served.versions.join(","), "slurm: speaking API {chosen}");
        Ok(chosen)
    }

    /// One generated call, its refusals explained: which of the user name and
    /// the token slurmrestd took for wrong, where that can be told.
    async fn send<T, E, F>(&self, call: impl FnOnce() -> F) -> Result<T>
    where
        E: super::ErrorBody,
        F: std::future::Future<Output = std::result::Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>>>,
    {
        self.call(call).await.map_err(|error| self.explain(error))
    }

    fn explain(&self, error: Error) -> Error {
        let Error::Unauthenticated { message, source, .. } = error else {
            return error;
        };
        let settings = &self.client().settings;
        // slurmctld's refusals already say to check the token; slurmrestd's own 401 is plain text.
        let slurmctlds = message.contains("check SLURM_JWT");
        let hint = match (&settings.user, settings.token_user.as_deref()) {
            _ if !settings.has_token => "no token: set SLURM_JWT (`scontrol token` prints one)".to_owned(),
            (Some(user), Some(owner)) if user != owner => {
                format!("SLURM_USER_NAME is {user}, but the token is {owner}'s: unset SLURM_USER_NAME, or use a token made for {user}")
            }
            _ if slurmctlds => String::new(),
            (None, None) => "the token names no user, and Slurm 22.05 needs one: set SLURM_USER_NAME".to_owned(),
            _ => "slurmrestd refused the token: check SLURM_JWT".to_owned(),
        };
        let message = match hint.is_empty() {
            true => message,
            false => format!("{message} ({hint})"),
        };
        Error::Unauthenticated {
            provider: KIND,
            message,
            source,
        }
    }

    /// The job carrying a submit's token, and whether it was made by the same request.
    async fn find_submitted(&self, version: ApiVersion, token: &str, request: &SubmitRequest) -> Result<Option<(Job, bool)>> {
        let jobs = SlurmApi::fetch_page_at(self, version).await?;
        let (token_mark, same_mark) = (format!("gpujobs-token={token} "), mark(token, request));
        let comments: Vec<(Job, String)> = match jobs {
            Jobs::V0038(answer) => answer.jobs.into_iter().map(|j| (j.comment.clone().unwrap_or_default(), j)).map(|(c, j)| (v0_0_38::to_job(j), c)).collect(),
            Jobs::V0042(answer) => answer.jobs.into_iter().flat_map(|jobs| jobs.0).map(|j| (j.comment.clone().unwrap_or_default(), j)).map(|(c, j)| (v0_0_42::to_job(j), c)).collect(),
        };
        Ok(comments
            .into_iter()
            .find(|(_, comment)| comment.starts_with(&token_mark))
            .map(|(job, comment)| (job, comment == same_mark)))
    }
}

impl SlurmApi {
    /// Every job, in `version`'s answer.
    async fn fetch_page_at(p: &SlurmProvider, version: ApiVersion) -> Result<Jobs> {
        let client = p.client();
        Ok(match version {
            ApiVersion::V0038 => Jobs::V0038(p.send(|| client.v0_0_38.list_jobs(None)).await?),
            ApiVersion::DataParser(v) => Jobs::V0042(p.send(|| client.v0_0_42.list_jobs(v, None, None)).await?),
        })
    }

    /// Submits once; the job's id, or the error.
    async fn submit_once(p: &SlurmProvider, version: ApiVersion, request: &SubmitRequest, comment: &str) -> Result<i64> {
        let client = p.client();
        let (id, errors) = match version {
            ApiVersion::V0038 => {
                let body = v0_0_38::submission(request, comment)?;
                let answer = p.send(|| client.v0_0_38.submit_job(&body)).await?;
                (answer.job_id, answer.errors.iter().map(v0_0_38::reported).collect())
            }
            ApiVersion::DataParser(v) => {
                let body = v0_0_42::submission(request, comment)?;
                let answer = p.send(|| client.v0_0_42.submit_job(v, &body)).await?;
                (answer.job_id, answer.errors.iter().flat_map(|e| e.0.iter()).map(v0_0_42::reported).collect::<Vec<_>>())
            }
        };
        // A held submit answers with an error entry (2042) and still a job id.
        id.ok_or_else(|| reported(&errors).unwrap_or_else(|| Error::bad_answer(KIND, "the submit's answer holds no job id")))
    }
}

#[async_trait]
impl Api for SlurmApi {
    type JobAnswer = Jobs;
    type PageAnswer = Jobs;
    type Cursor = ();
    type Client = SlurmClient;
    const DESCRIPTOR: &'static Descriptor = &DESCRIPTOR;

    fn client(config: &ProviderConfig, base_url: &str, http: reqwest::Client, state: ClientState) -> Result<SlurmClient> {
        let mut client = SlurmClient::with_state(base_url, http, state);
        client.settings = Arc::new(Settings {
            pinned: config.api_version.clone(),
            user: config.user.clone(),
            token_user: config.credential.as_ref().and_then(|t| token_user(t.expose())),
            has_token: config.credential.is_some(),
        });
        Ok(client)
    }

    fn options_from(values: &OptionValues) -> Result<Option<SharedOptions>> {
        options::options_from(values)
    }

    fn auth_headers(config: &ProviderConfig) -> Result<reqwest::header::HeaderMap> {
        let fail = |message: &str| Error::Config {
            provider: KIND,
            message: message.to_owned(),
        };
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(user) = user_name(config) {
            let user = user.parse().map_err(|_| fail("the user name cannot be sent in a header"))?;
            headers.insert("x-slurm-user-name", user);
        }
        if let Some(token) = &config.credential {
            let mut value: reqwest::header::HeaderValue = token
                .expose()
                .parse()
                .map_err(|_| fail("the token cannot be sent in a header"))?;
            value.set_sensitive(true);
            headers.insert("x-slurm-user-token", value);
        }
        Ok(headers)
    }

    fn answer_error(status: u16, body: &str) -> Option<Error> {
        answer_error(status, body)
    }

    async fn fetch_job(p: &SlurmProvider, id: &str) -> Result<Jobs> {
        let client = p.client();
        Ok(match p.api_version().await? {
            ApiVersion::V0038 => Jobs::V0038(p.send(|| client.v0_0_38.get_job(id)).await?),
            ApiVersion::DataParser(v) => Jobs::V0042(p.send(|| client.v0_0_42.get_job(v, id, None, None)).await?),
        })
    }

    async fn fetch_page(p: &SlurmProvider, (): &(), _: Option<u32>) -> Result<Jobs> {
        Self::fetch_page_at(p, p.api_version().await?).await
    }

    fn read_job(answer: Jobs, id: &str) -> Result<Job> {
        let mut jobs = Self::read_page(answer, ())?.0.into_iter();
        jobs.next().ok_or_else(|| Error::NotFound {
            provider: KIND,
            message: format!("no job {id}"),
            source: None,
        })
    }

    fn read_page(answer: Jobs, (): ()) -> Result<Page<()>> {
        let jobs: Vec<Job> = match answer {
            Jobs::V0038(answer) => {
                let errors: Vec<Reported> = answer.errors.iter().map(v0_0_38::reported).collect();
                if let Some(error) = reported(&errors) {
                    return Err(error);
                }
                answer.jobs.into_iter().map(v0_0_38::to_job).collect()
            }
            Jobs::V0042(answer) => {
                let errors: Vec<Reported> = answer.errors.iter().flat_map(|e| e.0.iter()).map(v0_0_42::reported).collect();
                if let Some(error) = reported(&errors) {
                    return Err(error);
                }
                answer.jobs.into_iter().flat_map(|j| j.0).map(v0_0_42::to_job).collect()
            }
        };
        only_page(jobs, |job| job)
    }

    /// Through `jobs/state` with the ids (v0.0.42 on: slurmrestd 24.11 and
    /// later), 500 ids a request.
    async fn statuses(p: &SlurmProvider, ids: &[String]) -> Result<Vec<Job>> {
        let version = p.api_version().await?;
        let (ApiVersion::DataParser(v), true) = (version, version.states_by_id()) else {
            return Err(Error::unsupported(KIND, Operation::Statuses));
        };
        let mut brief = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(STATES_PER_REQUEST) {
            let chunk = chunk.to_vec();
            let answer = p.send(|| p.client().v0_0_42.list_job_states(v, Some(&chunk))).await?;
            let errors: Vec<Reported> = answer.errors.iter().flat_map(|e| e.0.iter()).map(v0_0_42::reported).collect();
            if let Some(error) = reported(&errors) {
                return Err(error);
            }
            brief.extend(answer.jobs.into_iter().filter_map(v0_0_42::to_brief));
        }
        Ok(brief)
    }

    async fn stop(p: &SlurmProvider, id: &str) -> Result<bool> {
        let client = p.client();
        let errors: Vec<Reported> = match p.api_version().await? {
            ApiVersion::V0038 => p.send(|| client.v0_0_38.cancel_job(id, None)).await?.errors.iter().map(v0_0_38::reported).collect(),
            ApiVersion::DataParser(v) => {
                let answer = p.send(|| client.v0_0_42.cancel_job(v, id, None, None)).await?;
                answer.errors.iter().flat_map(|e| e.0.iter()).map(v0_0_42::reported).collect()
            }
        };
        match reported(&errors) {
            Some(error) => Err(error),
            None => Ok(true),
        }
    }

    /// Submits, and never twice. The job's comment carries a token (the
    /// chosen [`SubmitRequest::id`], or a fresh one) and a fingerprint of the
    /// request: a submit under an id already used returns that job when the
    /// request is the same, as Ray does, and is a [`Error::Conflict`] when it
    /// is not; a submit whose answer is lost looks for its job by the token
    /// before it is sent again.
    async fn submit(p: &SlurmProvider, request: &SubmitRequest) -> Result<Job> {
        let version = p.api_version().await?;
        let token = request.id.clone().unwrap_or_else(fresh_id);
        let comment = mark(&token, request);
        // Checked before anything is sent.
        match version {
            ApiVersion::V0038 => drop(v0_0_38::submission(request, &comment)?),
            ApiVersion::DataParser(_) => drop(v0_0_42::submission(request, &comment)?),
        }
        if request.id.is_some()
            && let Some((job, same)) = p.find_submitted(version, &token, request).await?
        {
            return match same {
                true => Ok(job),
                false => Err(Error::Conflict {
                    provider: KIND,
                    message: format!("id {token} was already submitted, as Slurm job {}, with another request", job.id),
                    source: None,
                }),
            };
        }
        // The recovery is part of the one operation: its retries, its lookups and its
        // waits all end by the operation's deadline, as the runtime's own retries do.
        let (retry, clock) = (&p.ctx().retry, &p.ctx().clock);
        let deadline = clock.now() + p.ctx().operation_timeout;
        let mut attempt = 1;
        loop {
            let error = match Self::submit_once(p, version, request, &comment).await {
                Ok(id) => return p.get(&id.to_string()).await,
                Err(error) if answer_may_be_lost(&error) => error,
                Err(Error::InvalidRequest { message, source, .. }) => {
                    let message = match asked(request) {
                        Some(asked) => format!("{message} (asked for {asked})"),
                        None => message,
                    };
                    return Err(Error::InvalidRequest {
                        provider: KIND,
                        message,
                        source,
                    });
                }
                Err(error) => return Err(error),
            };
            if let Some((job, _)) = p.find_submitted(version, &token, request).await? {
                return Ok(job);
            }
            let pause = retry.backoff(attempt, clock.jitter());
            if attempt >= retry.max_attempts {
                return Err(error);
            }
            if clock.now() + pause >= deadline {
                return Err(Error::Timeout {
                    provider: KIND,
                    scope: crate::error::TimeoutScope::Operation,
                    after: p.ctx().operation_timeout,
                    last_job: None,
                });
            }
            clock.sleep(pause).await;
            attempt += 1;
        }
    }
}

/// What both versions' job records say, read into a [`Job`].
struct Fields {
    id: Option<i64>,
    name: Option<String>,
    /// The state Slurm shows, and the failure a wait status or exit record tells.
    state: String,
    reason: Option<String>,
    submitted: Option<i64>,
    started: Option<i64>,
    ended: Option<i64>,
    exit_code: Option<i64>,
    signal: Option<(i64, Option<String>)>,
}

impl Fields {
    fn into_job(self, raw: Record) -> Job {
        use crate::time::from_seconds;
        let mut status = DESCRIPTOR.statuses.map(&self.state);
        // A job a signal killed did not succeed, whatever its state says.
        if status == JobStatus::Succeeded && self.signal.is_some() {
            status = JobStatus::Failed;
        }
        let id = self.id.map(|id| id.to_string()).unwrap_or_default();
        let mut job = Job::new(KIND, id, status.clone(), self.state.clone());
        job.name = self.name.filter(|n| !n.is_empty());
        job.created_at = self.submitted.and_then(from_seconds);
        job.started_at = self.started.filter(|s| *s > 0).and_then(from_seconds);
        let ended = status.is_terminal();
        // While a job runs, end_time is when its time limit would end it: not an end.
        job.finished_at = self.ended.filter(|e| *e > 0 && ended).and_then(from_seconds);
        job.exit_code = self.exit_code.filter(|_| ended);
        let reason = self.reason.filter(|r| !r.is_empty() && r != "None");
        job.message = reason.clone();
        if status == JobStatus::Failed {
            let state = &self.state;
            job.failure_reason = Some(match (&self.signal, self.exit_code) {
                (Some((number, Some(name))), _) => format!("{state}: killed by signal {number} (SIG{name})"),
                (Some((number, None)), _) => format!("{state}: killed by signal {number}"),
                (None, Some(code)) if code != 0 => format!("{state}: exit code {code}"),
                _ => reason.map_or_else(|| state.clone(), |r| format!("{state}: {r}")),
            });
        }
        job.raw = ProviderJob::Slurm(Box::new(raw));
        job
    }
}

/// A submit with every field people set, for the versions' body tests.
#[cfg(test)]
fn sample_request() -> SubmitRequest {
    let options = SlurmOptions::default()
        .partition("gpu")
        .output("/scratch/%j.out")
        .time_limit(std::time::Duration::from_secs(90));
    let mut request = SubmitRequest::new("python train.py")
        .name("train")
        .working_dir("/scratch")
        .env("EPOCHS", "3")
        .options(options);
    request.gpus = Some(2.0);
    request.cpus = Some(4.0);
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shown_state_follows_slurms_precedence() {
        let states = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(shown_state(&states(&["COMPLETED"])), "COMPLETED");
        assert_eq!(shown_state(&states(&["PENDING", "REQUEUED"])), "REQUEUED");
        assert_eq!(shown_state(&states(&["COMPLETED", "COMPLETING"])), "COMPLETING");
        assert_eq!(shown_state(&states(&["RUNNING", "LAUNCH_FAILED"])), "RUNNING");
        assert_eq!(shown_state(&states(&["EXPEDITING", "PENDING"])), "PENDING");
        assert_eq!(shown_state(&states(&["NEW_STATE"])), "NEW_STATE");
    }

    #[test]
    fn a_tokens_user_is_read_from_its_claims() {
        // The payload of a token `scontrol token username=root` made on Slurm 24.11.
        let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE3OTY0OTEzMjYsImlhdCI6MTc5NjQ4NDEyNiwic3VuIjoicm9vdCJ9.sig";
        assert_eq!(token_user(token).as_deref(), Some("root"));
        assert_eq!(token_user("not-a-jwt"), None);
        assert_eq!(token_user("a.b!c.d"), None);
    }

    #[test]
    fn the_same_request_under_one_id_leaves_the_same_mark() {
        let request = SubmitRequest::new("python train.py").env("KEY", "secret-1");
        let again = SubmitRequest::new("python train.py").env("KEY", "secret-2");
        assert_eq!(mark("a", &request), mark("a", &again), "env values are not part of it");
        assert_ne!(mark("a", &request), mark("a", &SubmitRequest::new("python eval.py")));
        assert!(mark("a", &request).starts_with("gpujobs-token=a gpujobs-request="));
    }
}
