//! API v0.0.38 (Slurm 22.05): a string `job_state`, raw wait statuses,
//! plain-second times, every field sent (unset ones as zero or `null`).

use gpujobs_slurm::v0_0_38::types::{Dbv0038Job, V0038JobResponseProperties, V0038JobSubmission};
use serde_json::{Value, json};

use super::super::{exists, with_all};
use super::KIND;
use super::jobs::{
    accounting_query, all_records, array_fields, cancel, created, in_array, is_task, limit_minutes,
    of_array, parse_body, records_of, refused_submit, render_with, shown, unknown_job,
};
use crate::SlurmRelease;
use crate::model::{SimJob, unix_seconds};
use crate::state::State;
use crate::wire::{Absent, Req, Resp, every_field, typed};

/// What every v0.0.38 answer starts with.
fn meta() -> Value {
    json!({
        "plugin": { "type": "openapi/v0.0.38", "name": "Slurm OpenAPI v0.0.38" },
        "Slurm": { "version": { "major": 22, "micro": 8, "minor": 5 }, "release": "22.05.8" }
    })
}

/// A v0.0.38 answer: `{meta, errors, …payload}`.
pub(super) fn answer(status: u16, errors: Value, payload: Value) -> Resp {
    let mut body = json!({ "meta": meta(), "errors": errors });
    if let (Value::Object(body), Value::Object(payload)) = (&mut body, payload) {
        body.extend(payload);
    }
    Resp::json(status, &body)
}

/// A request to `/slurm/v0.0.38/…`.
pub(super) fn handle(req: &Req, state: &State, method: &str, path: &[&str]) -> Resp {
    let unknown =
        |id: &str, verb: &str, source: &str| unknown_job(format!("{verb} JobId={id}"), source);
    match (method, path) {
        ("GET", ["jobs"]) => jobs(all_records(state, |j, together| render(j, state, together))),
        ("GET", ["job", id]) => {
            match records_of(state, id, |j, together| render(j, state, together)) {
                found if !found.is_empty() => jobs(found),
                _ => answer(
                    500,
                    unknown(id, "Unable to find", "slurm_load_job"),
                    json!({ "jobs": [] }),
                ),
            }
        }
        ("DELETE", ["job", id]) => match cancel(state, id) {
            true => answer(200, json!([]), json!({})),
            false => {
                let description =
                    format!("unable to kill JobId={id} with signal 9: Invalid job id specified");
                answer(500, unknown_job(description, "slurm_kill_job"), json!({}))
            }
        },
        ("POST", ["job", "submit"]) => submit(req, state),
        // Updates are accepted and ignored: gpujobs never sends one.
        ("POST", ["job", id]) => match parse_body(req) {
            Err(refused) => refused,
            Ok(_) if exists(state, KIND, id) => answer(200, json!([]), json!({})),
            Ok(_) => answer(
                500,
                unknown_job(
                    "job update from [localhost] failed".into(),
                    "_parse_job_list",
                ),
                json!({}),
            ),
        },
        ("GET", ["ping"]) => {
            let ping =
                json!([{ "hostname": "sandbox", "ping": "UP", "status": 0, "mode": "primary" }]);
            answer(200, json!([]), json!({ "pings": ping }))
        }
        _ => Resp::text(404, SlurmRelease::V22_05.not_found()),
    }
}

/// The job fields slurmrestd 22.05 sends as `null` when unset (every other
/// field is always sent, as its type's zero value).
const NULL_WHEN_UNSET: [&str; 17] = [
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

/// `{meta, errors: [], jobs}` with every field of every job, as slurmrestd 22.05 sends it.
fn jobs(jobs: Vec<V0038JobResponseProperties>) -> Resp {
    let answer: gpujobs_slurm::v0_0_38::types::V0038JobsResponse =
        typed(json!({ "meta": meta(), "errors": [], "jobs": jobs }));
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
        // A task's index, 0 included; `null` on a job outside an array and on
        // its tasks pending together (MEASURED: tests/payloads/slurm/live/22.05/arrays/).
        let no_task = job["array_job_id"].as_i64().unwrap_or(0) == 0
            || job["array_task_string"]
                .as_str()
                .is_some_and(|s| !s.is_empty());
        if no_task {
            job["array_task_id"] = Value::Null;
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

fn submit(req: &Req, state: &State) -> Resp {
    let raw = match parse_body(req) {
        Ok(raw) => raw,
        Err(refused) => return refused,
    };
    if !raw.get("script").is_some_and(Value::is_string) {
        return answer(
            500,
            json!([{ "error_code": 2009, "error": "Job script not specified" }]),
            json!({}),
        );
    }
    // slurmrestd 22.05 refuses a job without an environment object (as these three errors).
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
    let Ok(V0038JobSubmission { script, .. }) =
        serde_json::from_value::<V0038JobSubmission>(raw.clone())
    else {
        let refused = json!([{ "error_code": 9001, "error": "Failure during parsing" }]);
        return answer(400, refused, json!({}));
    };
    let job = raw.get("job").cloned().unwrap_or_default();
    let gpus = job.get("gpus").is_some_and(|g| g.as_str() != Some("0"));
    let has_script = (!script.is_empty() && job.is_object()).then_some(script.as_str());
    if let Some((number, text)) = refused_submit(has_script, &job, gpus, state) {
        return answer(
            500,
            json!([{ "error_code": number, "error": text }]),
            json!({}),
        );
    }
    let env = job
        .get("environment")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
        .collect();
    answer(200, json!([]), created(state, &script, &job, env, "BATCH"))
}

/// A job as slurmrestd 22.05 renders it (the record of an array's tasks
/// pending `together`, where they are).
fn render(job: &SimJob, state: &State, together: Option<&str>) -> V0038JobResponseProperties {
    let shown = shown(job, state);
    let array = array_fields(job, together);
    // A raw wait status: the exit code in the high byte, or the signal.
    let wait_status = shown
        .signal
        .map_or(shown.exit_code << 8, |(number, _)| number);
    let numbers = json!({
        "job_state": shown.state,
        "exit_code": wait_status,
        "derived_exit_code": 0,
        "submit_time": unix_seconds(job.created),
        "eligible_time": unix_seconds(job.created),
        "start_time": shown.started.unwrap_or(0),
        "end_time": shown.end_time,
        "time_limit": shown.limit_minutes,
        "tasks": 1,
        "cpus": 1,
        "node_count": 1,
        "array_job_id": array.array_job_id,
        "array_task_id": array.task_id,
        "array_max_tasks": array.max_tasks,
        "array_task_string": array.task_string,
    });
    let mut rendered = render_with(job, &shown, numbers);
    if let Some(id) = array.job_id {
        rendered["job_id"] = json!(id);
    }
    typed(rendered)
}

/// A request to accounting, `/slurmdb/v0.0.38/…` (the dbv0.0.38 plugin):
/// every job, ended ones however long ago. An unknown job, or a query that
/// finds none, is 200 with error 9003 "Nothing found with query"; ids are one
/// comma-separated list (`step=1%2C2`), a repeated `step` keeps the last
/// (MEASURED on 22.05.8).
pub(super) fn accounting(req: &Req, state: &State, method: &str, path: &[&str]) -> Resp {
    let listed: Vec<String> = req
        .query
        .all("step")
        .last()
        .map(|s| s.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let (by_id, wanted): (bool, Vec<&str>) = match (method, path) {
        ("GET", ["job", id]) => (true, vec![*id]),
        ("GET", ["jobs"]) => (false, listed.iter().map(String::as_str).collect()),
        _ => return Resp::text(404, SlurmRelease::V22_05.not_found()),
    };
    let jobs: Vec<Value> = with_all(state, KIND, |all| {
        all.iter()
            .filter(|j| match by_id {
                true => of_array(j, wanted[0]) || is_task(j, wanted[0]),
                false => accounting_query(req, &wanted, j, state),
            })
            .map(|j| every_field(&render_accounted(j, state), Absent::Null))
            .collect()
    });
    let errors = match jobs.is_empty() {
        true => {
            json!([{ "description": "Nothing found", "error_number": 9003, "error": "Nothing found with query", "source": "slurmdb_jobs_get" }])
        }
        false => json!([]),
    };
    let mut body = json!({ "meta": meta(), "errors": errors, "jobs": jobs });
    body["meta"]["plugin"] =
        json!({ "type": "openapi/dbv0.0.38", "name": "Slurm OpenAPI DB v0.0.38" });
    Resp::json(200, &body)
}

/// A job as accounting renders it on 22.05: its state an object, and — as
/// slurmrestd 22.05.8 does — a failed job's exit code as `SUCCESS`, 0 (sacct
/// says the right one; MEASURED).
fn render_accounted(job: &SimJob, state: &State) -> Dbv0038Job {
    let shown = shown(job, state);
    let ran = shown
        .started
        .filter(|_| shown.end_time > 0)
        .map(|s| (shown.end_time - s).max(0));
    let tres = json!([
        { "type": "cpu", "name": null, "id": 1, "count": 1 },
        { "type": "mem", "name": null, "id": 2, "count": 1024 },
        { "type": "node", "name": null, "id": 4, "count": 1 },
    ]);
    let meta = |key: &str| job.spec.metadata.get(key).cloned();
    typed(json!({
        "job_id": job.id.parse::<i64>().unwrap_or_default(),
        "name": job.spec.name.clone().unwrap_or_default(),
        "state": { "current": shown.state, "reason": shown.reason },
        "exit_code": { "status": "SUCCESS", "return_code": 0 },
        "derived_exit_code": { "status": "SUCCESS", "return_code": 0 },
        "time": {
            "elapsed": ran.unwrap_or(0),
            "submission": unix_seconds(job.created),
            "eligible": unix_seconds(job.created),
            "start": shown.started.unwrap_or(0),
            "end": shown.end_time,
            "suspended": 0,
            "limit": limit_minutes(job),
        },
        "tres": { "allocated": if shown.started.is_some() { tres.clone() } else { json!([]) }, "requested": tres },
        "nodes": if shown.started.is_some() { "sandbox-node" } else { "None assigned" },
        "comment": { "job": null, "administrator": null, "system": null },
        "array": match in_array(job) {
            Some((array, index, limit)) => json!({ "job_id": array, "task_id": index, "task": null, "limits": { "max": { "running": { "tasks": limit } } } }),
            None => json!({ "job_id": 0, "task_id": null, "task": null }),
        },
        "partition": meta("partition"),
        "working_directory": job.spec.working_dir.clone(),
        "user": "sandbox",
        "account": "sandbox",
        "kill_request_user": if shown.state == "CANCELLED" { Some("sandbox") } else { None },
    }))
}
