//! TensorPool's job REST API: FastAPI-style auth and errors (`{"detail"}`),
//! free-form `job_info`, asynchronous cancels tracked as requests.

use chrono::{DateTime, SecondsFormat, Utc};
use gpujobs::ProviderKind;
use gpujobs_tensorpool::types::{
    JobCancelResponse, JobInfoResponse, JobListResponse, JobPullResponse, MessageResponse,
    RequestInfoResponse,
};
use serde_json::{Map, Value, json};

use super::{Emulator, exit_code, remove, with_all, with_job};
use crate::faults::Fault;
use crate::model::{Phase, SimJob};
use crate::state::State;
use crate::wire::{Req, Resp, typed};

const KIND: ProviderKind = ProviderKind::Tensorpool;

fn detail(status: u16, message: &str) -> Resp {
    Resp::json(status, &json!({ "detail": message }))
}

/// Tensorpool's wire format.
#[derive(Debug)]
pub(crate) struct Tensorpool;

impl Emulator for Tensorpool {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    fn new_id(&self, state: &State) -> String {
        format!("tp-{}", state.random_id(10))
    }

    fn unknown_status(&self, _state: &State) -> (&'static str, Value) {
        ("/job_info/status", Value::from("preempted"))
    }

    fn list_pointer(&self) -> &'static str {
        "/jobs"
    }

    fn endpoints(&self) -> Vec<gpujobs_runtime::Endpoint> {
        <gpujobs_tensorpool::Client as gpujobs_runtime::GeneratedClient>::endpoints()
    }

    fn handle(&self, req: &Req, state: &State, _fault: Option<&Fault>) -> Resp {
        match req.bearer() {
            None => return detail(403, "Not authenticated"),
            Some(_) if !state.accepts(KIND, req.bearer()) => {
                return detail(401, "Invalid API key");
            }
            Some(_) => {}
        }
        let (now, timing) = (state.now(), &state.config.timing);
        let not_found = || detail(404, "Job not found");
        let (method, path) = req.route();
        match (method, path.as_slice()) {
            ("GET", ["job", "info", id]) => with_job(state, KIND, id, |j| {
                let info = job_info(j, state);
                let message = format!(
                    "JOB_ID\tSTATUS\n{}\t{}\n",
                    j.id,
                    info["status"].as_str().unwrap_or("")
                );
                Resp::json(
                    200,
                    &typed::<JobInfoResponse>(json!({"message": message, "job_info": info})),
                )
            })
            .unwrap_or_else(not_found),
            ("GET", ["job", "list"]) => {
                let jobs: Vec<Map<String, Value>> = with_all(state, KIND, |all| {
                    all.iter().map(|j| job_info(j, state)).collect()
                });
                let lines: String = jobs
                    .iter()
                    .map(|j| {
                        format!(
                            "{}\t{}\n",
                            j["id"].as_str().unwrap_or(""),
                            j["status"].as_str().unwrap_or("")
                        )
                    })
                    .collect();
                Resp::json(
                    200,
                    &typed::<JobListResponse>(json!({
                        "message": format!("JOB_ID\tSTATUS\n{lines}"),
                        "jobs": jobs,
                    })),
                )
            }
            ("POST", ["job", "cancel", id]) => {
                with_job(state, KIND, id, |j| match j.cancel(now, timing) {
                    true => Resp::json(
                        202,
                        &typed::<JobCancelResponse>(json!({
                            "job_id": j.id,
                            "message": "Cancellation requested",
                            "status": "canceling",
                            "request_id": format!("req-{}", j.id),
                        })),
                    ),
                    false => Resp::json(
                        200,
                        &typed::<JobCancelResponse>(json!({
                            "job_id": j.id,
                            "message": "Job has already finished",
                            "status": status(j.phase(now, timing)),
                        })),
                    ),
                })
                .unwrap_or_else(not_found)
            }
            ("DELETE", ["job", "delete", id]) => {
                match with_job(state, KIND, id, |j| j.phase(now, timing).is_terminal()) {
                    None => not_found(),
                    Some(false) => detail(400, "Only finished jobs can be deleted"),
                    Some(true) => {
                        remove(state, KIND, id);
                        Resp::json(
                            200,
                            &typed::<MessageResponse>(
                                json!({"message": format!("Job {id} deleted")}),
                            ),
                        )
                    }
                }
            }
            ("GET", ["job", "pull", id]) => {
                with_job(state, KIND, id, |j| Resp::json(200, &pull(j, state)))
                    .unwrap_or_else(not_found)
            }
            ("GET", ["request", "info", request]) => {
                let id = request.strip_prefix("req-").unwrap_or_default();
                with_job(state, KIND, id, |j| {
                    let done = j.phase(now, timing) == Phase::Canceled;
                    let mut resp = Resp::json(
                        200,
                        &typed::<RequestInfoResponse>(json!({
                            "request_id": request,
                            "status": if done { "COMPLETED" } else { "PROCESSING" },
                        })),
                    );
                    if !done {
                        resp.headers.push(("retry-after", "1".into()));
                    }
                    resp
                })
                .unwrap_or_else(|| detail(404, "Request not found"))
            }
            _ => detail(404, "Not Found"),
        }
    }
}

fn status(phase: Phase) -> &'static str {
    match phase {
        Phase::Queued | Phase::Starting => "pending",
        Phase::Running => "running",
        Phase::Canceling => "canceling",
        Phase::Succeeded => "completed",
        Phase::Failed(_) => "error",
        Phase::Canceled => "canceled",
    }
}

fn job_info(job: &SimJob, state: &State) -> Map<String, Value> {
    let (now, timing) = (state.now(), &state.config.timing);
    let phase = job.phase(now, timing);
    let time = |at: Option<std::time::SystemTime>| {
        at.map_or(Value::Null, |t| {
            DateTime::<Utc>::from(t)
                .to_rfc3339_opts(SecondsFormat::Secs, true)
                .into()
        })
    };
    let ended = job.ended_at(now, timing);
    let message = match phase {
        Phase::Failed(code) => format!("Command exited with code {code}"),
        _ => String::new(),
    };
    let info = json!({
        "id": job.id,
        "name": job.spec.name,
        "status": status(phase),
        "exit_code": exit_code(phase),
        "instance_type": "1xH100",
        "message": message,
        "created_at": time(Some(job.created)),
        "started_at": time(job.entered(|p| p == Phase::Running, now, timing)),
        "finished_at": time(ended),
    });
    match info {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn pull(job: &SimJob, state: &State) -> JobPullResponse {
    match job.phase(state.now(), &state.config.timing).is_terminal() {
        true => typed(json!({
            "message": "1 file",
            "download_map": {
                "output/log.txt": format!(
                    "https://outputs.sandbox.invalid/{}/log.txt?X-Amz-Signature=sandbox",
                    job.id
                ),
            },
        })),
        false => typed(json!({
            "message": "The job is still running: sync its outputs with rsync",
            "command": format!("rsync -avz sandbox@127.0.0.1:/jobs/{}/output ./", job.id),
            "command_show_stdout": true,
        })),
    }
}
