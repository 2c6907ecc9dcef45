//! Ray's Jobs REST API: no auth (a local dashboard), `text/plain` errors,
//! integer-millisecond times, `{"stopped"}` and `{"deleted"}` answers.

use gpujobs::ProviderKind;
use gpujobs_ray::types::{
    JobDeleteResponse, JobDetails, JobLogsResponse, JobStopResponse, JobSubmitRequest,
    JobSubmitResponse, VersionResponse,
};

use super::{
    Emulator, decode_keyed, exists, exit_code, metadata, ray_status, remove, submitted, with_all,
    with_job,
};
use serde_json::{Value, json};

use crate::faults::Fault;
use crate::model::{Phase, SimJob, unix_millis};
use crate::state::{State, lock};
use crate::wire::{Absent, Req, Resp, typed};

const KIND: ProviderKind = ProviderKind::Ray;

/// Ray's wire format.
#[derive(Debug)]
pub(crate) struct Ray;

impl Emulator for Ray {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn new_id(&self, state: &State) -> String {
        format!("raysubmit_{}", state.random_id(16))
    }

    fn unknown_status(&self, _state: &State) -> (&'static str, Value) {
        ("/status", Value::from("PREEMPTED"))
    }

    fn endpoints(&self) -> Vec<gpujobs_runtime::Endpoint> {
        <gpujobs_ray::Client as gpujobs_runtime::GeneratedClient>::endpoints()
    }

    fn log_tail(&self, req: &Req) -> Option<String> {
        match req.route() {
            ("GET", path) if matches!(path.as_slice(), ["api", "jobs", _, "logs", "tail"]) => {
                Some(path[2].to_owned())
            }
            _ => None,
        }
    }

    fn handle(&self, req: &Req, state: &State, _fault: Option<&Fault>) -> Resp {
        let now = state.now();
        let timing = &state.config.timing;
        let not_found = |id: &str| Resp::text(404, format!("Job {id} does not exist"));
        let (method, path) = req.route();
        match (method, path.as_slice()) {
            ("GET", ["api", "version"]) => Resp::json(200, &version()),
            ("GET", ["api", "jobs", ""]) => {
                let jobs: Vec<JobDetails> = with_all(state, KIND, |all| {
                    all.iter().map(|j| details(j, state)).collect()
                });
                Resp::json_every_field(200, &jobs, Absent::Null)
            }
            ("POST", ["api", "jobs", ""]) => submit(req, state),
            ("GET", ["api", "jobs", id]) => with_job(state, KIND, id, |j| {
                Resp::json_every_field(200, &details(j, state), Absent::Null)
            })
            .unwrap_or_else(|| not_found(id)),
            ("DELETE", ["api", "jobs", id]) => {
                match with_job(state, KIND, id, |j| j.phase(now, timing)) {
                    None => not_found(id),
                    // Ray 2.60 refuses with a 500 (its docs say 400).
                    Some(phase) if !phase.is_terminal() => Resp::text(
                        500,
                        format!(
                            "Attempted to delete job with id '{id}', but it is in a non-terminal state {}.",
                            ray_status(phase)
                        ),
                    ),
                    Some(_) => Resp::json(
                        200,
                        &typed::<JobDeleteResponse>(json!({"deleted": remove(state, KIND, id)})),
                    ),
                }
            }
            ("POST", ["api", "jobs", id, "stop"]) => with_job(state, KIND, id, |j| {
                Resp::json(
                    200,
                    &typed::<JobStopResponse>(json!({"stopped": j.cancel(now, timing)})),
                )
            })
            .unwrap_or_else(|| not_found(id)),
            ("GET", ["api", "jobs", id, "logs"]) => with_job(state, KIND, id, |j| {
                Resp::json(
                    200,
                    &typed::<JobLogsResponse>(json!({"logs": j.logs(now, timing)})),
                )
            })
            .unwrap_or_else(|| not_found(id)),
            ("GET", ["api", "packages", protocol, name]) => {
                let uri = format!("{protocol}://{name}");
                match lock(&state.packages).contains_key(&uri) {
                    true => Resp::empty(200),
                    false => Resp::text(404, format!("Package {uri} does not exist")),
                }
            }
            ("PUT", ["api", "packages", protocol, name]) => {
                let uri = format!("{protocol}://{name}");
                lock(&state.packages).insert(uri, req.body.clone());
                Resp::empty(200)
            }
            _ => Resp::text(404, "Not Found"),
        }
    }
}

fn version() -> VersionResponse {
    typed(json!({
        "version": "4",
        "ray_version": "2.60.0",
        "ray_commit": "sandbox",
        "session_name": "session_gpujobs_sandbox",
    }))
}

fn submit(req: &Req, state: &State) -> Resp {
    // Without a submission_id Ray takes the deprecated job_id, or makes one up.
    let fallback = |body: &serde_json::Map<String, serde_json::Value>| {
        body.get("job_id")
            .and_then(|j| j.as_str())
            .map_or_else(|| Ray.new_id(state), str::to_owned)
    };
    let body: JobSubmitRequest = match decode_keyed(&req.body, "submission_id", fallback) {
        Ok(body) => body,
        Err(e) => return Resp::text(400, format!("Bad Request: invalid JobSubmitRequest: {e}")),
    };
    let id = Some(body.submission_id.clone());
    if let Some(id) = id.as_deref().filter(|id| exists(state, KIND, id)) {
        return Resp::text(
            400,
            format!(
                "Job with submission_id {id} already exists. Please use a different submission_id."
            ),
        );
    }
    let mut spec = submitted(
        &body.entrypoint,
        body.metadata.as_ref().and_then(|m| m.get("name").cloned()),
        id,
    );
    spec.metadata = body.metadata.unwrap_or_default();
    if let Some(runtime_env) = body.runtime_env {
        spec.working_dir = runtime_env
            .get("working_dir")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if let Some(env) = runtime_env.get("env_vars").and_then(Value::as_object) {
            spec.env = env
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect();
        }
        spec.runtime_env = Some(Value::Object(runtime_env));
    }
    let job = super::add_job(state, &Ray, spec);
    Resp::json(
        200,
        // Ray 2.60 sends the (deprecated) job_id too, equal to the submission id.
        &typed::<JobSubmitResponse>(json!({"job_id": job.id, "submission_id": job.id})),
    )
}

fn details(job: &SimJob, state: &State) -> JobDetails {
    let (now, timing) = (state.now(), &state.config.timing);
    let phase = job.phase(now, timing);
    let started = !matches!(phase, Phase::Queued | Phase::Starting);
    let message = match phase {
        Phase::Queued | Phase::Starting => "Job has not started yet.".to_owned(),
        Phase::Running | Phase::Canceling => "Job is currently running.".to_owned(),
        Phase::Succeeded => "Job finished successfully.".to_owned(),
        Phase::Failed(code) => format!(
            "Job entrypoint command failed with exit code {code}, last available logs: {}",
            job.logs(now, timing)
        ),
        Phase::Canceled => "Job was intentionally stopped.".to_owned(),
    };
    let end_time = job.ended_at(now, timing).map(unix_millis);
    typed(json!({
        "type": "SUBMISSION",
        "entrypoint": job.spec.command,
        "job_id": started.then(|| format!("{:08x}", job.seq)),
        "submission_id": job.id,
        "driver_info": started.then(|| json!({
            "id": format!("{:08x}", job.seq),
            "node_ip_address": "127.0.0.1",
            "pid": (4000 + job.seq).to_string(),
        })),
        "status": ray_status(phase),
        "message": message,
        "error_type": matches!(phase, Phase::Failed(_)).then_some("JOB_ENTRYPOINT_COMMAND_ERROR"),
        "start_time": unix_millis(job.created),
        "end_time": end_time,
        "metadata": metadata(job),
        "runtime_env": job.spec.runtime_env,
        "driver_agent_http_address": started.then_some("http://127.0.0.1:52365"),
        "driver_node_id": started.then_some("sandbox-node"),
        "driver_exit_code": exit_code(phase),
    }))
}
