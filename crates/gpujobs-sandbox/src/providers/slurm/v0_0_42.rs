//! The data_parser versions, v0.0.40 to v0.0.45 (Slurm 23.11 on), in
//! v0.0.42's types (as the facade's `v0_0_42` and `gpujobs_slurm::v0_0_42`):
//! state lists, `{set, infinite, number}` numbers, exit records, and each
//! version's own added and dropped job fields.

use gpujobs_slurm::v0_0_42::types::{V0042Job, V0042JobInfo, V0042JobSubmitReq};
use serde_json::{Value, json};

use super::super::{exists, with_all};
use super::KIND;
use super::jobs::{
    ARRAY_REFUSED, accounting_query, all_records, array_fields, cancel, created, error, in_array,
    is_task, limit_minutes, of_array, parse_body, records_of, refused_submit, render_with, shown,
    task_states, unknown_job,
};
use crate::SlurmRelease;
use crate::model::{SimJob, unix_seconds};
use crate::state::State;
use crate::wire::{Absent, Req, Resp, every_field, typed};

/// What every answer of a data_parser version carries.
fn meta(release: SlurmRelease, version: &str, plugin: &str) -> Value {
    let mut parts = release.number().split('.');
    let (major, minor, micro) = (parts.next(), parts.next(), parts.next());
    json!({
        "plugin": { "type": plugin, "name": "Slurm OpenAPI", "data_parser": format!("data_parser/{version}"), "accounting_storage": "" },
        "client": { "source": "[sandbox]", "user": "sandbox", "group": "sandbox" },
        "command": [],
        "slurm": { "version": { "major": major, "minor": minor, "micro": micro }, "release": release.number(), "cluster": "sandbox" }
    })
}

/// An answer: `{…payload, meta, errors, warnings}`.
pub(super) fn answer(
    release: SlurmRelease,
    version: &str,
    status: u16,
    errors: Value,
    payload: Value,
) -> Resp {
    let mut body = payload;
    body["meta"] = meta(release, version, "openapi/slurmctld");
    body["errors"] = errors;
    body["warnings"] = json!([]);
    Resp::json(status, &body)
}

/// A job rendered in v0.0.42's fields, in `version`'s instead: the job
/// fields the versions add and drop (`cargo xtask drift-versions slurm`).
fn in_version(mut job: Value, version: &str) -> Value {
    // `v0.0.N`, compared by N (as text, v0.0.100 would come before v0.0.44).
    let number: u32 = version
        .rsplit('.')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let (added, dropped): (Value, &[&str]) = match number {
        40 | 41 => (
            json!({ "exclusive": [], "oversubscribe": false, "show_flags": [], "minimum_switches": 0 }),
            &["priority_by_partition", "required_switches"],
        ),
        42 => (json!({}), &[]),
        later => {
            let mut added = json!({ "licenses_allocated": "", "segment_size": 0, "stdin_expanded": "", "stdout_expanded": "", "stderr_expanded": "" });
            if later >= 44 {
                added["submit_line"] = json!("");
                added["step_id"] = json!({ "job_id": no_val(None), "step_het_component": no_val(None), "step_id": "batch", "sluid": "" });
            }
            if later >= 45 {
                added["container_type"] = json!("");
                added["memory_update_delay"] = json!(0);
                added["memory_update_margin"] = json!(0);
            }
            let dropped: &[&str] = if later >= 45 { &["power"] } else { &[] };
            (added, dropped)
        }
    };
    if let (Value::Object(job), Value::Object(added)) = (&mut job, added) {
        job.extend(added);
        dropped.iter().for_each(|field| drop(job.remove(*field)));
    }
    job
}

/// `{set, infinite, number}`: set when there is a number.
fn no_val(number: Option<i64>) -> Value {
    json!({ "set": number.is_some(), "infinite": false, "number": number.unwrap_or(0) })
}

/// A request to `/slurm/<version>/…`, v0.0.40 to v0.0.45.
pub(super) fn handle(req: &Req, state: &State, version: &str, method: &str, path: &[&str]) -> Resp {
    let release = state.config.slurm_release;
    let now = state.now();
    let reply = |status, errors, payload| answer(release, version, status, errors, payload);
    // Every field of every job is sent, unset numbers as `{set: false, …}`, in this version's fields.
    let jobs = |jobs: Vec<V0042JobInfo>| {
        let jobs: Vec<Value> = jobs
            .iter()
            .map(|job| in_version(every_field(job, Absent::Zero), version))
            .collect();
        let payload = json!({ "jobs": jobs, "last_backfill": no_val(Some(0)), "last_update": no_val(Some(unix_seconds(now))) });
        reply(200, json!([]), payload)
    };
    match (method, path) {
        ("GET", ["jobs", ""] | ["jobs"]) => {
            jobs(all_records(state, |j, together| render(j, state, together)))
        }
        ("GET", ["jobs", "state", ..]) => {
            // slurmrestd reads `job_id` repeated and refuses a comma-separated
            // list (24.11.5: 400 "Unable to parse query."); it answers ids as
            // strings, under `state`, and leaves out ids it does not know.
            let wanted: Vec<&str> = req.query.all("job_id").collect();
            if wanted.iter().any(|id| id.contains(',')) {
                return Resp::text(400, "Unable to parse query.");
            }
            let listed: Vec<Value> = task_states(state, &wanted)
                .into_iter()
                .map(|(id, state)| json!({ "job_id": id, "state": [state] }))
                .collect();
            reply(200, json!([]), json!({ "jobs": listed }))
        }
        ("GET", ["job", id]) => {
            match records_of(state, id, |j, together| render(j, state, together)) {
                found if !found.is_empty() => jobs(found),
                _ => {
                    let empty = json!({ "jobs": [], "last_backfill": no_val(Some(0)), "last_update": no_val(Some(0)) });
                    reply(
                        404,
                        unknown_job(format!("Unable to query JobId={id}"), "_handle_job_get"),
                        empty,
                    )
                }
            }
        }
        ("DELETE", ["job", id]) => match cancel(state, id) {
            true if version == "v0.0.40" || version == "v0.0.41" => {
                reply(200, json!([]), json!({}))
            }
            true => reply(200, json!([]), json!({ "status": [] })),
            false => {
                let description = format!("Unable to signal JobId={id}: Invalid job id specified");
                reply(
                    404,
                    unknown_job(description, "_handle_job_delete"),
                    json!({ "status": [] }),
                )
            }
        },
        ("POST", ["job", "submit"]) => submit(req, state, version),
        // Updates are accepted and ignored: gpujobs never sends one.
        ("POST", ["job", id]) => match parse_body(req) {
            Err(refused) => refused,
            Ok(_) if exists(state, KIND, id) => reply(200, json!([]), json!({ "results": [] })),
            Ok(_) => reply(
                404,
                unknown_job(format!("Unable to update JobId={id}"), "_update_job"),
                json!({}),
            ),
        },
        _ => Resp::text(404, release.not_found()),
    }
}

fn submit(req: &Req, state: &State, version: &str) -> Resp {
    let release = state.config.slurm_release;
    let reply = |status, errors, payload| answer(release, version, status, errors, payload);
    let raw = match parse_body(req) {
        Ok(raw) => raw,
        Err(refused) => return refused,
    };
    if serde_json::from_value::<V0042JobSubmitReq>(raw.clone()).is_err() {
        return reply(
            400,
            error(
                9001,
                "Failure during parsing",
                "Rejecting request: unable to parse the request body",
                "_parse_job",
            ),
            json!({}),
        );
    }
    let job = raw.get("job").cloned().unwrap_or_default();
    // Top level, where every version reads it, or (v0.0.40 on) inside the job.
    let script = raw
        .get("script")
        .or_else(|| job.get("script"))
        .and_then(Value::as_str);
    let gpus = ["tres_per_job", "tres_per_node", "tres_per_task"]
        .iter()
        .any(|key| {
            job.get(*key)
                .and_then(Value::as_str)
                .is_some_and(|t| t.contains("gpu"))
        });
    if let Some((number, text)) = refused_submit(script, &job, gpus, state) {
        let status = match (number, release) {
            (ARRAY_REFUSED, SlurmRelease::V26_05) => 422,
            _ => 500,
        };
        return reply(
            status,
            error(
                number,
                text,
                "Batch job submission failed",
                "slurm_submit_batch_job()",
            ),
            json!({}),
        );
    }
    let environment: Vec<(String, String)> = job
        .get("environment")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            entry
                .as_str()?
                .split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect();
    // slurmctld refuses an empty environment, and (from 23.02) a job without a working directory.
    if environment.is_empty() {
        return reply(
            500,
            error(
                2022,
                "Environment variables not specified",
                "Batch job submission failed",
                "slurm_submit_batch_job()",
            ),
            json!({}),
        );
    }
    if job.get("current_working_directory").is_none() {
        let text = "Job cannot be submitted without the current working directory specified.";
        return reply(
            500,
            error(
                2063,
                text,
                "Batch job submission failed",
                "slurm_submit_batch_job()",
            ),
            json!({}),
        );
    }
    let submitted = created(
        state,
        script.unwrap_or_default(),
        &job,
        environment,
        "batch",
    );
    reply(200, json!([]), submitted)
}

/// A job as a data_parser version renders it (the record of an array's
/// tasks pending `together`, where they are).
fn render(job: &SimJob, state: &State, together: Option<&str>) -> V0042JobInfo {
    let shown = shown(job, state);
    let array = array_fields(job, together);
    let (status, return_code) = match (shown.state, shown.signal) {
        (_, Some(_)) => ("SIGNALED", None),
        ("COMPLETED", None) => ("SUCCESS", Some(0)),
        ("FAILED", None) => ("ERROR", Some(shown.exit_code)),
        _ => ("PENDING", None),
    };
    let exit_code = json!({
        "status": [status],
        "return_code": no_val(return_code),
        "signal": { "id": no_val(shown.signal.map(|s| s.0)), "name": shown.signal.map_or("", |s| s.1) },
    });
    let numbers = json!({
        "job_state": [shown.state],
        "state_description": "",
        "exit_code": exit_code,
        "derived_exit_code": exit_code,
        "submit_time": no_val(Some(unix_seconds(job.created))),
        "eligible_time": no_val(Some(unix_seconds(job.created))),
        "start_time": no_val(Some(shown.started.unwrap_or(0))),
        "end_time": no_val(Some(shown.end_time)),
        "time_limit": no_val(Some(shown.limit_minutes)),
        "tasks": no_val(Some(1)),
        "cpus": no_val(Some(1)),
        "node_count": no_val(Some(1)),
        "array_job_id": no_val(Some(array.array_job_id)),
        "array_task_id": no_val(array.task_id),
        "array_max_tasks": no_val(Some(array.max_tasks)),
        "array_task_string": array.task_string,
    });
    let mut rendered = render_with(job, &shown, numbers);
    if let Some(id) = array.job_id {
        rendered["job_id"] = json!(id);
    }
    typed(rendered)
}

/// A request to accounting, `/slurmdb/<version>/…` (served with
/// `openapi/slurmdbd`): every job, ended ones however long ago. An unknown
/// job is 200 with no jobs; ids are read repeated (`step=1&step=2`), a comma
/// refused (MEASURED on 24.11.5 and 26.05.5).
pub(super) fn accounting(
    req: &Req,
    state: &State,
    version: &str,
    method: &str,
    path: &[&str],
) -> Resp {
    let release = state.config.slurm_release;
    let reply = |status, mut payload: Value| {
        payload["meta"] = meta(release, version, "openapi/slurmdbd");
        payload["meta"]["plugin"]["accounting_storage"] = json!("accounting_storage/slurmdbd");
        payload["errors"] = json!([]);
        payload["warnings"] = json!([]);
        Resp::json(status, &payload)
    };
    let wanted: Vec<&str> = match (method, path) {
        ("GET", ["job", id]) => vec![*id],
        ("GET", ["jobs", ""] | ["jobs"]) => req.query.all("step").collect(),
        _ => return Resp::text(404, release.not_found()),
    };
    if wanted.iter().any(|id| id.contains(',')) {
        return Resp::text(400, "Unable to parse query.");
    }
    let by_id = matches!(path, ["job", _]);
    let jobs: Vec<Value> = with_all(state, KIND, |all| {
        all.iter()
            .filter(|j| match by_id {
                true => of_array(j, wanted[0]) || is_task(j, wanted[0]),
                false => accounting_query(req, &wanted, j, state),
            })
            .map(|j| every_field(&render_accounted(j, state), Absent::Zero))
            .collect()
    });
    reply(200, json!({ "jobs": jobs }))
}

/// A job as accounting renders it in a data_parser version: its state an
/// object, its times plain seconds, what it was given a TRES list.
fn render_accounted(job: &SimJob, state: &State) -> V0042Job {
    let shown = shown(job, state);
    let exit = match (shown.state, shown.signal) {
        ("FAILED", _) => {
            json!({ "status": ["ERROR"], "return_code": no_val(Some(shown.exit_code)), "signal": { "id": no_val(None), "name": "" } })
        }
        _ => {
            json!({ "status": ["SUCCESS"], "return_code": no_val(Some(0)), "signal": { "id": no_val(None), "name": "" } })
        }
    };
    let ran = shown
        .started
        .filter(|_| shown.end_time > 0)
        .map(|s| (shown.end_time - s).max(0));
    let tres = json!([
        { "type": "cpu", "name": "", "id": 1, "count": 1 },
        { "type": "mem", "name": "", "id": 2, "count": 1024 },
        { "type": "node", "name": "", "id": 4, "count": 1 },
    ]);
    let meta = |key: &str| job.spec.metadata.get(key).cloned().unwrap_or_default();
    typed(json!({
        "job_id": job.id.parse::<i64>().unwrap_or_default(),
        "name": job.spec.name.clone().unwrap_or_default(),
        "state": { "current": [shown.state], "reason": shown.reason },
        "exit_code": exit,
        "derived_exit_code": { "status": ["SUCCESS"], "return_code": no_val(Some(0)), "signal": { "id": no_val(None), "name": "" } },
        "time": {
            "elapsed": ran.unwrap_or(0),
            "submission": unix_seconds(job.created),
            "eligible": unix_seconds(job.created),
            "start": shown.started.unwrap_or(0),
            "end": shown.end_time,
            "limit": no_val(Some(limit_minutes(job))),
        },
        "tres": { "allocated": if shown.started.is_some() { tres.clone() } else { json!([]) }, "requested": tres },
        "nodes": if shown.started.is_some() { "sandbox-node" } else { "None assigned" },
        // Slurm stores no job comment unless `AccountingStoreFlags=job_comment` (MEASURED).
        "comment": { "job": "", "administrator": "", "system": "" },
        "array": match in_array(job) {
            Some((array, index, limit)) => json!({ "job_id": array, "task_id": no_val(Some(index)), "task": "", "limits": { "max": { "running": { "tasks": limit } } } }),
            None => json!({ "job_id": 0, "task_id": no_val(None), "task": "" }),
        },
        "partition": meta("partition"),
        "working_directory": job.spec.working_dir.clone().unwrap_or_else(|| "/tmp".into()),
        "user": "sandbox",
        "account": "sandbox",
        "kill_request_user": if shown.state == "CANCELLED" { "sandbox" } else { "" },
    }))
}
