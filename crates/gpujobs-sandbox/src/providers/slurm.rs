//! Slurm's REST API as slurmrestd 22.05 serves it (`/slurm/v0.0.38/…`):
//! `X-SLURM-USER-NAME`/`X-SLURM-USER-TOKEN` auth (none → 401 text, a wrong
//! token → 500 "Unspecified error"), failures as 500 with an `errors` list,
//! integer job ids, Unix-second times with `end_time` a prediction while a
//! job runs, raw wait statuses as exit codes, every key sent.

use gpujobs::ProviderKind;
use gpujobs_slurm::types::{V0038JobResponseProperties, V0038JobSubmission};
use serde_json::{Value, json};

use super::{Emulator, all, exists, with_job};
use crate::State;
use crate::faults::Fault;
use crate::model::{JobSpec, Phase, SimJob, unix_seconds};
use crate::wire::{Absent, Req, Resp, every_field};

const KIND: ProviderKind = ProviderKind::Slurm;

/// What every answer starts with.
fn meta() -> Value {
    json!({
        "plugin": { "type": "openapi/v0.0.38", "name": "Slurm OpenAPI v0.0.38" },
        "Slurm": { "version": { "major": 22, "micro": 8, "minor": 5 }, "release": "22.05.8" }
    })
}

/// An answer: `{meta, errors, …payload}`, 200 or (with errors) 500.
fn answer(status: u16, errors: Value, payload: Value) -> Resp {
    let mut body = json!({ "meta": meta(), "errors": errors });
    if let (Value::Object(body), Value::Object(payload)) = (&mut body, payload) {
        body.extend(payload);
    }
    Resp::json(status, &body)
}

fn error(number: i64, error: &str, description: String, source: &str) -> Value {
    json!([{ "description": description, "error_number": number, "error": error, "source": source }])
}

/// Slurm's wire format.
#[derive(Debug)]
pub(crate) struct Slurm;

impl Emulator for Slurm {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    /// Job ids count up, as slurmctld's do.
    fn new_id(&self, state: &State) -> String {
        let largest = all(state, KIND)
            .iter()
            .filter_map(|j| j.id.parse::<u64>().ok())
            .max();
        largest.map_or(1000, |n| n + 1).to_string()
    }

    fn unknown_status(&self) -> (&'static str, Value) {
        ("/jobs/0/job_state", Value::from("SPECIAL_EXIT"))
    }

    fn list_pointer(&self) -> &'static str {
        "/jobs"
    }

    fn endpoints(&self) -> Vec<gpujobs_runtime::Endpoint> {
        <gpujobs_slurm::Client as gpujobs_runtime::GeneratedClient>::endpoints()
    }

    fn method_not_allowed(&self) -> &'static str {
        "Requested REST method is not defined at URL. Please view /openapi/v3 for API reference."
    }

    fn handle(&self, req: &Req, state: &State, _fault: Option<&Fault>) -> Resp {
        let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
        let (Some(_user), Some(token)) =
            (header("x-slurm-user-name"), header("x-slurm-user-token"))
        else {
            return Resp::text(401, "Authentication failure");
        };
        if state.config.tokens.get(&KIND).is_some_and(|t| t != token) {
            let refused = error(
                -1,
                "Unspecified error",
                "Failed while looking for jobs".into(),
                "slurm_load_jobs",
            );
            return answer(500, refused, json!({ "jobs": [] }));
        }
        let (now, timing) = (state.now(), &state.config.timing);
        let unknown = |id: &str, verb: &str, source: &str| {
            let description = format!("{verb} JobId={id}");
            error(2017, "Invalid job id specified", description, source)
        };
        let (method, path) = req.route();
        match (method, path.as_slice()) {
            ("GET", ["slurm", "v0.0.38", "jobs"]) => {
                let jobs: Vec<V0038JobResponseProperties> =
                    all(state, KIND).iter().map(|j| render(j, state)).collect();
                jobs_answer(jobs)
            }
            ("GET", ["slurm", "v0.0.38", "job", id]) => {
                match with_job(state, KIND, id, |j| render(j, state)) {
                    Some(job) => jobs_answer(vec![job]),
                    None => answer(
                        500,
                        unknown(id, "Unable to find", "slurm_load_job"),
                        json!({ "jobs": [] }),
                    ),
                }
            }
            ("DELETE", ["slurm", "v0.0.38", "job", id]) => {
                match with_job(state, KIND, id, |j| j.cancel(now, timing)) {
                    Some(_) => answer(200, json!([]), json!({})),
                    None => {
                        let description = format!(
                            "unable to kill JobId={id} with signal 9: Invalid job id specified"
                        );
                        answer(
                            500,
                            error(
                                2017,
                                "Invalid job id specified",
                                description,
                                "slurm_kill_job",
                            ),
                            json!({}),
                        )
                    }
                }
            }
            ("POST", ["slurm", "v0.0.38", "job", "submit"]) => submit(req, state),
            // Updates are accepted and ignored: gpujobs never sends one.
            ("POST", ["slurm", "v0.0.38", "job", id]) => match parse_body(req) {
                Err(refused) => refused,
                Ok(_) if exists(state, KIND, id) => answer(200, json!([]), json!({})),
                Ok(_) => {
                    let description = "job update from [localhost] failed".to_owned();
                    let unknown = error(
                        2017,
                        "Invalid job id specified",
                        description,
                        "_parse_job_list",
                    );
                    answer(500, unknown, json!({}))
                }
            },
            ("GET", ["slurm", "v0.0.38", "ping"]) => {
                let ping = json!([{ "hostname": "sandbox", "ping": "UP", "status": 0, "mode": "primary" }]);
                answer(200, json!([]), json!({ "pings": ping }))
            }
            _ => Resp::text(
                404,
                "Unable find requested URL. Please view /openapi/v3 for API reference.",
            ),
        }
    }
}

/// The job fields slurmrestd sends as `null` when unset (every other field is
/// always sent, as its type's zero value).
const NULL_WHEN_UNSET: [&str; 18] = [
    "array_task_id",
    "core_spec",
    "cores_per_socket",
    "cpu_frequency_governor",
    "cpu_frequency_maximum",
    "cpu_frequency_minimum",
    "cpus_per_task",
    "memory_per_cpu",
    "memory_per_node",
    "nice",
    "profile",
    "shared",
    "sockets_per_node",
    "tasks_per_core",
    "tasks_per_socket",
    "thread_spec",
    "threads_per_core",
    "billable_tres",
];

/// `{meta, errors: [], jobs}` with every field of every job, as slurmrestd sends it.
fn jobs_answer(jobs: Vec<V0038JobResponseProperties>) -> Resp {
    let answer: gpujobs_slurm::types::V0038JobsResponse =
        serde_json::from_value(json!({ "meta": meta(), "errors": [], "jobs": jobs }))
            .unwrap_or_default();
    let mut value = every_field(&answer, Absent::Zero);
    for job in value
        .get_mut("jobs")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        for field in NULL_WHEN_UNSET {
            if let Some(slot) = job.get_mut(field).filter(|v| is_zero(v)) {
                *slot = Value::Null;
            }
        }
    }
    Resp::json(200, &value)
}

/// A type's zero value, as [`Absent::Zero`] fills it in.
fn is_zero(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A request body as slurmrestd reads it: an empty one is an empty object,
/// one it cannot parse is a 400 in plain text.
fn parse_body(req: &Req) -> Result<Value, Resp> {
    if req.body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice::<Value>(&req.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| Resp::text(400, "Unable to parse query."))
}

fn submit(req: &Req, state: &State) -> Resp {
    let raw = match parse_body(req) {
        Ok(raw) => raw,
        Err(refused) => return refused,
    };
    if !raw.get("script").is_some_and(Value::is_string) {
        let missing = json!([{ "error_code": 2009, "error": "Job script not specified" }]);
        return answer(500, missing, json!({}));
    }
    // slurmrestd refuses a job without an environment object (as these three errors).
    if !raw
        .pointer("/job/environment")
        .is_some_and(Value::is_object)
    {
        let refused = json!([
            { "error": "environment must be a dictionary", "error_code": -1 },
            {
                "description": "Unable to process key \"environment\"",
                "error_number": -1,
                "error": "Unspecified error",
                "source": "slurm_process_option_data"
            },
            { "error_code": 9001, "error": "Failure during parsing" }
        ]);
        return answer(400, refused, json!({}));
    }
    let Ok(V0038JobSubmission {
        script,
        job: Some(job),
        ..
    }) = serde_json::from_value(raw)
    else {
        let refused = json!([{ "error_code": 9001, "error": "Failure during parsing" }]);
        return answer(400, refused, json!({}));
    };
    // One partition, as in scripts/slurm-live.sh's cluster.
    if job.partition.as_deref().is_some_and(|p| p != "debug") {
        let refused = json!([{ "error_code": 2000, "error": "Invalid partition name specified" }]);
        return answer(500, refused, json!({}));
    }
    let mut spec = JobSpec::new(
        script
            .lines()
            .filter(|l| !l.starts_with("#!"))
            .collect::<Vec<_>>()
            .join("; "),
    );
    spec.name = job.name.clone();
    spec.working_dir = job.current_working_directory.clone();
    spec.env = job
        .environment
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect();
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    spec.metadata = [
        ("comment", text(&job.comment)),
        (
            "partition",
            job.partition.clone().unwrap_or_else(|| "debug".into()),
        ),
        ("standard_output", text(&job.standard_output)),
        ("time_limit", job.time_limit.unwrap_or(60).to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let created = super::add_job(state, &Slurm, spec);
    let id: i64 = created.id.parse().unwrap_or_default();
    answer(
        200,
        json!([]),
        json!({ "job_id": id, "step_id": "BATCH", "job_submit_user_msg": "" }),
    )
}

/// A job as slurmrestd renders it.
fn render(job: &SimJob, state: &State) -> V0038JobResponseProperties {
    let (now, timing) = (state.now(), &state.config.timing);
    let phase = job.phase(now, timing);
    let meta = |key: &str| job.spec.metadata.get(key).cloned().unwrap_or_default();
    let limit_minutes: i64 = meta("time_limit").parse().unwrap_or(60);
    let (state_name, reason, exit_code) = match phase {
        Phase::Queued | Phase::Starting => ("PENDING", "Resources", 0),
        Phase::Running | Phase::Canceling => ("RUNNING", "None", 0),
        Phase::Succeeded => ("COMPLETED", "None", 0),
        Phase::Failed(code) => ("FAILED", "NonZeroExitCode", i64::from(code) << 8),
        Phase::Canceled => ("CANCELLED", "None", 15),
    };
    let started = job
        .entered(|p| matches!(p, Phase::Running), now, timing)
        .map(unix_seconds);
    let ended = phase
        .is_terminal()
        .then(|| {
            job.history(now, timing)
                .last()
                .map(|(_, at)| unix_seconds(*at))
        })
        .flatten();
    // Pending: 0; running: the prediction start + limit; ended: when it ended.
    let end_time = ended
        .or(started.map(|s| s + 60 * limit_minutes))
        .unwrap_or(0);
    let value = json!({
        "job_id": job.id.parse::<i64>().unwrap_or_default(),
        "name": job.spec.name.clone().unwrap_or_default(),
        "job_state": state_name,
        "state_reason": reason,
        "exit_code": exit_code,
        "derived_exit_code": 0,
        "submit_time": unix_seconds(job.created),
        "eligible_time": unix_seconds(job.created),
        "start_time": started.unwrap_or(0),
        "end_time": end_time,
        "time_limit": limit_minutes,
        "comment": meta("comment"),
        "partition": meta("partition"),
        "standard_output": meta("standard_output"),
        "current_working_directory": job.spec.working_dir.clone().unwrap_or_else(|| "/tmp".into()),
        "user_name": "sandbox",
        "user_id": 1000,
        "group_name": "sandbox",
        "cluster": "sandbox",
        "nodes": if started.is_some() { "sandbox-node" } else { "" },
        "batch_flag": true,
        "tasks": 1,
        "cpus": 1,
        "node_count": 1,
    });
    serde_json::from_value(value).unwrap_or_default()
}
