//! Slurm's REST API (slurmrestd, plugin `v0.0.38`).
//!
//! Auth is `X-SLURM-USER-NAME` and `X-SLURM-USER-TOKEN` (a JWT from
//! `scontrol token`). Failures arrive as HTTP 500 (or inside a 200) with an
//! `errors` list: error 2017 (invalid job id) is `NotFound`, an unspecified
//! error (-1) is what a bad token gets, `Unauthenticated`. Times are Unix
//! seconds; `end_time` is a prediction until the job ends, so `finished_at`
//! is set only then. `exit_code` is the raw wait status (`exit 3` is 768).
//! Slurm has no client-chosen job id: a submit carries a token in the job's
//! `comment`, and a submit whose answer was lost looks for its job by that
//! token before it is sent again, so it never makes two jobs. The REST API
//! has no endpoint for a job's output (it is in the file `standard_output`
//! names, on the cluster): `logs` is unsupported.

use async_trait::async_trait;
use gpujobs_slurm::types::{V0038Answer, V0038Error, V0038JobResponseProperties, V0038JobSubmission, V0038JobsResponse};
use serde_json::{Map, Value, json};

use super::{Api, ApiFns, ErrorBody, Provider, fresh_id};
use crate::config::ProviderConfig;
use crate::descriptor::{Descriptor, EnvVars, StatusTable};
use crate::error::{Error, Result};
use crate::job::{Job, JobStatus};
use crate::paging::Page;
use crate::provider::{Capabilities, JobProvider, SubmitRequest};
use crate::registry::{ProviderJob, ProviderKind};
use crate::time::from_seconds;

const KIND: ProviderKind = ProviderKind::Slurm;

/// Slurm through slurmrestd (`SLURMRESTD_URL`, `SLURM_JWT`, `SLURM_USER_NAME` or `USER`).
pub type SlurmProvider = Provider<SlurmApi>;

/// Slurm's record of a job.
pub type Record = V0038JobResponseProperties;

/// Slurm's API, as [`Provider`] uses it.
#[derive(Debug)]
pub enum SlurmApi {}

/// Every job state Slurm defines.
static STATUSES: [(&str, JobStatus); 18] = [
    ("PENDING", JobStatus::Queued),
    ("REQUEUED", JobStatus::Queued),
    ("CONFIGURING", JobStatus::Starting),
    ("RUNNING", JobStatus::Running),
    ("SUSPENDED", JobStatus::Running),
    ("STOPPED", JobStatus::Running),
    ("RESIZING", JobStatus::Running),
    ("COMPLETING", JobStatus::Running),
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

/// What gpujobs knows about Slurm.
pub static DESCRIPTOR: Descriptor = Descriptor {
    kind: KIND,
    name: "slurm",
    title: "Slurm REST API (slurmrestd)",
    env: EnvVars::new(Some("SLURM_JWT"), "SLURMRESTD_URL", None).with_user(&["SLURM_USER_NAME", "USER"]),
    capabilities: Capabilities {
        get: true,
        list: true,
        cancel: true,
        reports_failure: true,
        submit: true,
        idempotent_submit: true,
        ..Capabilities::NONE
    },
    statuses: StatusTable::new(&STATUSES, false),
    notes: &[
        "a submit is the batch script's body; a token in the job's comment keeps a repeated submit from making two jobs",
        "no logs endpoint: the output is in the job's standard_output file on the cluster",
        "SPECIAL_EXIT (requeued and held after a failure) is unknown, not an end",
    ],
    api: ApiFns::of::<SlurmApi>(),
};

/// The mark a submit leaves in the job's `comment`.
fn mark(token: &str) -> String {
    format!("gpujobs-token={token}")
}

/// Decodes a raw wait status: `(exit code, signal)`.
pub(crate) fn wait_status(raw: i64) -> (Option<i64>, Option<i64>) {
    match raw & 0x7f {
        0 => (Some((raw >> 8) & 0xff), None),
        signal => (None, Some(signal)),
    }
}

/// Slurm's job as a [`Job`].
pub(crate) fn to_job(raw: V0038JobResponseProperties) -> Job {
    let state = raw.job_state.clone().unwrap_or_default();
    let status = DESCRIPTOR.statuses.map(&state);
    let id = raw.job_id.map(|id| id.to_string()).unwrap_or_default();
    let mut job = Job::new(KIND, id, status.clone(), state.clone());
    job.name = raw.name.clone().filter(|n| !n.is_empty());
    job.created_at = raw.submit_time.and_then(from_seconds);
    job.started_at = raw.start_time.and_then(from_seconds);
    let ended = status.is_terminal();
    // While a job runs, end_time is when its time limit would end it: not an end.
    job.finished_at = raw.end_time.and_then(from_seconds).filter(|_| ended);
    let (exit, signal) = raw.exit_code.map_or((None, None), wait_status);
    job.exit_code = exit.filter(|_| ended);
    let reason = raw.state_reason.clone().filter(|r| !r.is_empty() && r != "None");
    job.message = reason.clone();
    if status == JobStatus::Failed {
        job.failure_reason = Some(match (signal, exit) {
            (Some(signal), _) => format!("{state}: killed by signal {signal}"),
            (None, Some(code)) if code != 0 => format!("{state}: exit code {code}"),
            _ => reason.map_or_else(|| state.clone(), |r| format!("{state}: {r}")),
        });
    }
    job.raw = ProviderJob::Slurm(Box::new(raw));
    job
}

/// Slurm's numbers for a request it will never accept as sent (seen live):
/// an invalid partition, no script, a node configuration (e.g. GPUs) the
/// cluster does not have, a body it could not parse.
const REFUSED_REQUEST: [i64; 4] = [2000, 2009, 2014, 9001];

/// The error an `errors` list reports, if any. Error 2017 is an unknown job;
/// -1 ("Unspecified error") is what slurmrestd answers a bad or expired token.
fn reported(errors: &[V0038Error]) -> Option<Error> {
    let first = errors.first()?;
    let number = first.error_number.or(first.error_code);
    let text = [first.error.as_deref(), first.description.as_deref()]
        .into_iter()
        .flatten()
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
        Some(number) if REFUSED_REQUEST.contains(&number) => Error::InvalidRequest {
            provider: KIND,
            message,
            source: None,
        },
        Some(-1) => Error::Unauthenticated {
            provider: KIND,
            message: format!("{message} (how slurmrestd refuses a bad or expired token: check SLURM_JWT)"),
            source: None,
        },
        _ => Error::Api {
            provider: KIND,
            status: None,
            code: number.map(|n| n.to_string()),
            message,
            body: None,
            source: None,
        },
    })
}

/// The job fields a [`SubmitRequest`] sets, as slurmrestd reads them.
fn submission(request: &SubmitRequest, token: &str) -> Result<V0038JobSubmission> {
    if request.command.trim().is_empty() {
        return Err(Error::invalid(KIND, "Slurm needs a command, the batch script's body"));
    }
    let script = match request.command.starts_with("#!") {
        true => request.command.clone(),
        false => format!("#!/bin/bash\n{}\n", request.command),
    };
    // slurmrestd requires an environment; a job without PATH finds no programs.
    let mut environment: Map<String, Value> = request.env.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
    environment
        .entry("PATH")
        .or_insert_with(|| "/usr/local/bin:/usr/bin:/bin".into());
    let mut job = json!({ "environment": environment, "comment": mark(token) });
    let mut set = |key: &str, value: Value| {
        job[key] = value;
    };
    if let Some(name) = &request.name {
        set("name", name.clone().into());
    }
    if let Some(dir) = &request.working_dir {
        set("current_working_directory", dir.clone().into());
    }
    if let Some(partition) = &request.partition {
        set("partition", partition.clone().into());
    }
    if let Some(output) = &request.output {
        set("standard_output", output.clone().into());
    }
    if let Some(limit) = request.time_limit {
        set("time_limit", limit.as_secs().div_ceil(60).max(1).into());
    }
    if let Some(cpus) = request.cpus {
        if cpus.fract() != 0.0 || cpus < 1.0 {
            return Err(Error::invalid(KIND, format!("Slurm allocates whole CPUs (`cpus`), not {cpus}")));
        }
        set("cpus_per_task", (cpus as i64).into());
    }
    if let Some(gpus) = request.gpus {
        if gpus.fract() != 0.0 || gpus < 1.0 {
            return Err(Error::invalid(KIND, format!("Slurm allocates whole GPUs (`gpus`), not {gpus}")));
        }
        set("gpus", (gpus as i64).to_string().into());
    }
    if let Some(bytes) = request.memory_bytes {
        set("memory_per_node", bytes.div_ceil(1 << 20).into());
    }
    serde_json::from_value(json!({ "script": script, "job": job }))
        .map_err(|e| Error::invalid(KIND, format!("cannot express this submit for Slurm: {e}")))
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

/// A typed error answer goes back to its JSON, which [`Api::answer_error`] reads.
#[async_trait]
impl ErrorBody for V0038Answer {
    async fn message(self) -> reqwest::Result<String> {
        Ok(serde_json::to_string(&self).unwrap_or_default())
    }
}

impl SlurmProvider {
    /// The job carrying a submit's token, if slurmrestd has it.
    async fn find_submitted(&self, token: &str) -> Result<Option<Job>> {
        let answer = self.call(|| self.client().list_jobs(None)).await?;
        let mark = mark(token);
        let found = answer.jobs.into_iter().find(|j| j.comment.as_deref() == Some(mark.as_str()));
        Ok(found.map(to_job))
    }
}

#[async_trait]
impl Api for SlurmApi {
    type Client = gpujobs_slurm::Client;
    type Cursor = ();
    const DESCRIPTOR: &'static Descriptor = &DESCRIPTOR;
    type JobAnswer = V0038JobsResponse;
    type PageAnswer = V0038JobsResponse;

    fn auth_headers(config: &ProviderConfig) -> Result<reqwest::header::HeaderMap> {
        let fail = |message: &str| Error::Config {
            provider: KIND,
            message: message.to_owned(),
        };
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(user) = &config.user {
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
        let answer: V0038Answer = serde_json::from_str(body).ok()?;
        match reported(&answer.errors)? {
            Error::Api { code, message, .. } => Some(Error::Api {
                provider: KIND,
                status: Some(status),
                code,
                message,
                body: Some(crate::error::excerpt(body)),
                source: None,
            }),
            error => Some(error),
        }
    }

    async fn fetch_job(p: &SlurmProvider, id: &str) -> Result<V0038JobsResponse> {
        p.call(|| p.client().get_job(id)).await
    }

    async fn fetch_page(p: &SlurmProvider, (): &(), _: Option<u32>) -> Result<V0038JobsResponse> {
        p.call(|| p.client().list_jobs(None)).await
    }

    fn read_job(answer: V0038JobsResponse, id: &str) -> Result<Job> {
        if let Some(error) = reported(&answer.errors) {
            return Err(error);
        }
        let job = answer.jobs.into_iter().next().ok_or_else(|| Error::NotFound {
            provider: KIND,
            message: format!("no job {id}"),
            source: None,
        })?;
        Ok(to_job(job))
    }

    fn read_page(answer: V0038JobsResponse, (): ()) -> Result<Page<()>> {
        if let Some(error) = reported(&answer.errors) {
            return Err(error);
        }
        Ok((answer.jobs.into_iter().map(to_job).collect(), None))
    }

    async fn stop(p: &SlurmProvider, id: &str) -> Result<bool> {
        let answer = p.call(|| p.client().cancel_job(id, None)).await?;
        match reported(&answer.errors) {
            Some(error) => Err(error),
            None => Ok(true),
        }
    }

    /// Submits, and never twice: a submit whose answer is lost looks for its
    /// job (by the token in its comment) before it is sent again. A chosen
    /// [`SubmitRequest::id`] is the token, and one already used is a
    /// [`Error::Conflict`], as on Ray (Slurm numbers the job itself).
    async fn submit(p: &SlurmProvider, request: &SubmitRequest) -> Result<Job> {
        let token = request.id.clone().unwrap_or_else(fresh_id);
        let body = submission(request, &token)?;
        if request.id.is_some()
            && let Some(job) = p.find_submitted(&token).await?
        {
            return Err(Error::Conflict {
                provider: KIND,
                message: format!("id {token} was already submitted, as Slurm job {}", job.id),
                source: None,
            });
        }
        let (retry, clock) = (&p.ctx().retry, &p.ctx().clock);
        let mut attempt = 1;
        loop {
            let error = match p.call(|| p.client().submit_job(&body)).await {
                Ok(answer) => {
                    // A held submit answers with an error entry (2042) and still a job id.
                    let Some(id) = answer.job_id else {
                        return Err(reported(&answer.errors).unwrap_or_else(|| {
                            Error::bad_answer(KIND, "the submit's answer holds no job id")
                        }));
                    };
                    return p.get(&id.to_string()).await;
                }
                Err(error) if answer_may_be_lost(&error) => error,
                Err(error) => return Err(error),
            };
            if let Some(job) = p.find_submitted(&token).await? {
                return Ok(job);
            }
            if attempt >= retry.max_attempts {
                return Err(error);
            }
            clock.sleep(retry.backoff(attempt, clock.jitter())).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_slurm_state_maps_and_new_ones_are_unknown() {
        let cases = [
            ("PENDING", JobStatus::Queued),
            ("RUNNING", JobStatus::Running),
            ("SUSPENDED", JobStatus::Running),
            ("COMPLETING", JobStatus::Running),
            ("COMPLETED", JobStatus::Succeeded),
            ("CANCELLED", JobStatus::Canceled),
            ("FAILED", JobStatus::Failed),
            ("TIMEOUT", JobStatus::Failed),
            ("NODE_FAIL", JobStatus::Failed),
            ("PREEMPTED", JobStatus::Failed),
            ("BOOT_FAIL", JobStatus::Failed),
            ("DEADLINE", JobStatus::Failed),
            ("OUT_OF_MEMORY", JobStatus::Failed),
            ("REQUEUED", JobStatus::Queued),
            ("RESIZING", JobStatus::Running),
            ("REVOKED", JobStatus::Canceled),
            ("STOPPED", JobStatus::Running),
            ("SPECIAL_EXIT", JobStatus::Unknown("SPECIAL_EXIT".into())),
            ("LAUNCH_FAILED", JobStatus::Unknown("LAUNCH_FAILED".into())),
        ];
        for (raw, want) in cases {
            assert_eq!(DESCRIPTOR.statuses.map(raw), want, "{raw}");
        }
    }

    #[test]
    fn wait_statuses_decode() {
        assert_eq!(wait_status(0), (Some(0), None));
        assert_eq!(wait_status(768), (Some(3), None));
        assert_eq!(wait_status(15), (None, Some(15)));
        assert_eq!(wait_status(9), (None, Some(9)));
    }

    #[test]
    fn a_submit_carries_its_token_and_the_fields_people_set() {
        let request = SubmitRequest::new("python train.py")
            .name("train")
            .partition("gpu")
            .working_dir("/scratch")
            .output("/scratch/%j.out")
            .time_limit(std::time::Duration::from_secs(90))
            .env("EPOCHS", "3");
        let mut request = request;
        request.gpus = Some(2.0);
        request.cpus = Some(4.0);
        let body = serde_json::to_value(submission(&request, "tok-1").unwrap()).unwrap();
        let job = &body["job"];
        assert_eq!(body["script"], "#!/bin/bash\npython train.py\n");
        assert_eq!(job["comment"], "gpujobs-token=tok-1");
        assert_eq!((job["time_limit"].as_i64(), job["gpus"].as_str()), (Some(2), Some("2")));
        assert_eq!((job["partition"].as_str(), job["cpus_per_task"].as_i64()), (Some("gpu"), Some(4)));
        assert_eq!(job["environment"]["EPOCHS"], "3");
        assert!(job["environment"]["PATH"].is_string());
        let mut half = SubmitRequest::new("x");
        half.gpus = Some(0.5);
        assert!(matches!(submission(&half, "t"), Err(Error::InvalidRequest { .. })));
    }
}
