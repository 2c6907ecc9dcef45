//! Slurm's REST API as slurmrestd serves it, for one chosen release
//! ([`SlurmRelease`]): the API versions that release serves, listed in its
//! `/openapi/v3`, each in its own shapes — v0.0.38 (22.05) with a string
//! `job_state`, raw wait statuses and plain-second times; v0.0.40 to v0.0.45
//! (24.11, 26.05) with state lists, `{set, infinite, number}` numbers and
//! exit records. Authentication as each release takes it: 22.05 wants a user
//! name and a token; later releases the token alone (or `Authorization:
//! Bearer`, but not both). Failures as each sends them: 500 with an `errors`
//! list (22.05), 404, 511 or 500 with one (later), plain text for what
//! slurmrestd itself refuses.

use gpujobs::ProviderKind;
use gpujobs_slurm::v0_0_38::types::{V0038JobResponseProperties, V0038JobSubmission};
use gpujobs_slurm::v0_0_42::types::{V0042JobInfo, V0042JobSubmitReq};
use serde_json::{Value, json};

use super::{Emulator, exists, largest_number, with_all, with_each, with_job};
use crate::SlurmRelease;
use crate::faults::Fault;
use crate::model::{JobSpec, Phase, SimJob, unix_seconds};
use crate::state::State;
use crate::wire::{Absent, Req, Resp, every_field, typed};

const KIND: ProviderKind = ProviderKind::Slurm;

/// How each release's slurmrestd words things (the emulator's side of [`SlurmRelease`]).
impl SlurmRelease {
    /// Whether it sends the data parser's shapes (v0.0.40 on).
    fn data_parser(self) -> bool {
        self != Self::V22_05
    }

    /// `info.version` of its `/openapi/v3`, as each release writes it.
    fn info_version(self) -> &'static str {
        match self {
            Self::V22_05 => "0.0.38",
            Self::V24_11 => "Slurm-24.11.5&openapi/slurmctld",
            Self::V26_05 => "Slurm-26.05.5",
        }
    }

    /// Its 404 for a path it does not serve (plain text).
    fn not_found(self) -> &'static str {
        match self {
            Self::V26_05 => {
                "Unable to find requested URL endpoint. Please query the '/openapi/v3' endpoint or visit 'https://slurm.schedmd.com/rest_api.html' for the OpenAPI specification which includes a list of all possible slurmrestd endpoints."
            }
            _ => "Unable find requested URL. Please view /openapi/v3 for API reference.",
        }
    }
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
        largest_number(state, KIND)
            .map_or(1000, |n| n + 1)
            .to_string()
    }

    fn unknown_status(&self, state: &State) -> (&'static str, Value) {
        match state.config.slurm_release.data_parser() {
            true => ("/jobs/0/job_state", json!(["PENDING", "SPECIAL_EXIT"])),
            false => ("/jobs/0/job_state", Value::from("SPECIAL_EXIT")),
        }
    }

    fn list_pointer(&self) -> &'static str {
        "/jobs"
    }

    fn endpoints(&self) -> Vec<gpujobs_runtime::Endpoint> {
        let mut all = gpujobs_slurm::v0_0_38::ENDPOINTS.to_vec();
        all.extend_from_slice(gpujobs_slurm::v0_0_42::ENDPOINTS);
        all
    }

    fn method_not_allowed(&self) -> &'static str {
        "Requested REST method is not defined at URL. Please view /openapi/v3 for API reference."
    }

    fn handle(&self, req: &Req, state: &State, _fault: Option<&Fault>) -> Resp {
        let release = state.config.slurm_release;
        if let Some(refused) = refused_auth(req, state, release) {
            return refused;
        }
        let (method, path) = req.route();
        if method == "GET" && path == ["openapi", "v3"] {
            return Resp::json(200, &openapi(release));
        }
        let served = |version: &str| release.versions().contains(&version);
        match path.as_slice() {
            ["slurm", "v0.0.38", rest @ ..] if served("v0.0.38") => {
                v0_0_38(req, state, method, rest)
            }
            ["slurm", version, rest @ ..] if served(version) && release.data_parser() => {
                data_parser(req, state, version, method, rest)
            }
            _ => Resp::text(404, release.not_found()),
        }
    }
}

/// A request slurmrestd (or slurmctld) refuses for its credentials, if it does.
fn refused_auth(req: &Req, state: &State, release: SlurmRelease) -> Option<Resp> {
    let header = |name: &str| req.headers.get(name).and_then(|v| v.to_str().ok());
    let (user, token, bearer) = (
        header("x-slurm-user-name"),
        header("x-slurm-user-token"),
        req.bearer(),
    );
    let token = match (release, user, token, bearer) {
        // 22.05 wants both headers and knows no Bearer.
        (SlurmRelease::V22_05, Some(_), Some(token), _) => token,
        (SlurmRelease::V22_05, ..) => return Some(Resp::text(401, "Authentication failure")),
        // Later: the token alone, as a header or Bearer — both at once is ambiguous.
        (_, _, Some(_), Some(_)) | (_, _, None, None) => {
            return Some(Resp::text(401, "Authentication failure"));
        }
        (_, _, Some(token), None) | (_, _, None, Some(token)) => token,
    };
    if state.config.tokens.get(&KIND).is_none_or(|t| t == token) {
        return None;
    }
    // slurmrestd passes the token on; slurmctld refuses it.
    Some(match release {
        SlurmRelease::V22_05 => answer_v0_0_38(
            500,
            error(
                -1,
                "Unspecified error",
                "Failed while looking for jobs",
                "slurm_load_jobs",
            ),
            json!({ "jobs": [] }),
        ),
        _ => answer(
            release,
            "v0.0.42",
            511,
            error(
                1007,
                "Protocol authentication error",
                "Unable to query jobs",
                "slurm_load_jobs()",
            ),
            json!({ "jobs": [] }),
        ),
    })
}

/// The release's `/openapi/v3`: its version, and its job paths (the rest of the
/// real document, 0.9 MB of it, is left out).
fn openapi(release: SlurmRelease) -> Value {
    let mut paths = serde_json::Map::new();
    for version in release.versions() {
        let jobs = match release.data_parser() {
            true => ["jobs/", "job/{job_id}", "job/submit", "jobs/state/"].as_slice(),
            false => ["jobs", "job/{job_id}", "job/submit"].as_slice(),
        };
        for path in jobs {
            paths.insert(format!("/slurm/{version}/{path}"), json!({}));
        }
    }
    json!({ "openapi": "3.0.3", "info": { "title": "Slurm REST API", "version": release.info_version() }, "paths": paths })
}

fn error(number: i64, error: &str, description: impl Into<String>, source: &str) -> Value {
    json!([{ "description": description.into(), "error_number": number, "error": error, "source": source }])
}

/// An unknown job's error (2017), as slurmctld says it.
fn unknown_job(description: String, source: &str) -> Value {
    error(2017, "Invalid job id specified", description, source)
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

/// Adds the job a submit asks for; the answer's payload (`step_id` as the version spells it).
fn created(
    state: &State,
    script: &str,
    job: &Value,
    env: Vec<(String, String)>,
    step: &str,
) -> Value {
    let created = super::add_job(state, &Slurm, job_spec(script, job, env));
    let id: i64 = created.id.parse().unwrap_or_default();
    json!({ "job_id": id, "step_id": step, "job_submit_user_msg": "" })
}

/// What every submit asks of the one-node cluster of `scripts/slurm-live.sh`:
/// a script, the `debug` partition, and no GPUs (it has none).
fn refused_submit(
    script: Option<&str>,
    partition: Option<&str>,
    gpus: bool,
) -> Option<(i64, &'static str)> {
    match (script, partition, gpus) {
        (None, ..) => Some((2009, "Job script not specified")),
        (_, Some(p), _) if p != "debug" => Some((2000, "Invalid partition name specified")),
        (_, _, true) => Some((2014, "Requested node configuration is not available")),
        _ => None,
    }
}

/// A job made from a submit's fields.
fn job_spec(script: &str, job: &Value, environment: Vec<(String, String)>) -> JobSpec {
    let mut spec = JobSpec::new(
        script
            .lines()
            .filter(|l| !l.starts_with("#!"))
            .collect::<Vec<_>>()
            .join("; "),
    );
    let text = |key: &str| job.get(key).and_then(Value::as_str).map(str::to_owned);
    spec.name = text("name");
    spec.working_dir = text("current_working_directory");
    spec.env = environment.into_iter().collect();
    // A number, or (v0.0.40 on) a `{set, infinite, number}`.
    let minutes = job
        .get("time_limit")
        .and_then(|t| t.as_i64().or_else(|| t.get("number")?.as_i64()));
    spec.metadata = [
        ("comment", text("comment").unwrap_or_default()),
        (
            "partition",
            text("partition").unwrap_or_else(|| "debug".into()),
        ),
        (
            "standard_output",
            text("standard_output").unwrap_or_default(),
        ),
        ("time_limit", minutes.unwrap_or(60).to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    spec
}

/// What a job's phase looks like to Slurm: its state, reason, exit code and
/// the signal that ended it.
struct Shown {
    state: &'static str,
    reason: &'static str,
    exit_code: i64,
    signal: Option<(i64, &'static str)>,
    started: Option<i64>,
    end_time: i64,
    limit_minutes: i64,
}

fn shown(job: &SimJob, state: &State) -> Shown {
    let (now, timing) = (state.now(), &state.config.timing);
    let phase = job.phase(now, timing);
    let limit_minutes: i64 = job
        .spec
        .metadata
        .get("time_limit")
        .and_then(|m| m.parse().ok())
        .unwrap_or(60);
    let (state_name, reason, exit_code, signal) = match phase {
        Phase::Queued | Phase::Starting => ("PENDING", "Resources", 0, None),
        Phase::Running | Phase::Canceling => ("RUNNING", "None", 0, None),
        Phase::Succeeded => ("COMPLETED", "None", 0, None),
        Phase::Failed(code) => ("FAILED", "NonZeroExitCode", i64::from(code), None),
        Phase::Canceled => ("CANCELLED", "None", 0, Some((15, "TERM"))),
    };
    let started = job
        .entered(|p| matches!(p, Phase::Running), now, timing)
        .map(unix_seconds);
    let ended = job.ended_at(now, timing).map(unix_seconds);
    // Pending: 0; running: the prediction start + limit; ended: when it ended.
    let end_time = ended
        .or(started.map(|s| s + 60 * limit_minutes))
        .unwrap_or(0);
    Shown {
        state: state_name,
        reason,
        exit_code,
        signal,
        started,
        end_time,
        limit_minutes,
    }
}

// ---- v0.0.38 (Slurm 22.05) ----

/// What every v0.0.38 answer starts with.
fn meta_v0_0_38() -> Value {
    json!({
        "plugin": { "type": "openapi/v0.0.38", "name": "Slurm OpenAPI v0.0.38" },
        "Slurm": { "version": { "major": 22, "micro": 8, "minor": 5 }, "release": "22.05.8" }
    })
}

/// A v0.0.38 answer: `{meta, errors, …payload}`.
fn answer_v0_0_38(status: u16, errors: Value, payload: Value) -> Resp {
    let mut body = json!({ "meta": meta_v0_0_38(), "errors": errors });
    if let (Value::Object(body), Value::Object(payload)) = (&mut body, payload) {
        body.extend(payload);
    }
    Resp::json(status, &body)
}

fn v0_0_38(req: &Req, state: &State, method: &str, path: &[&str]) -> Resp {
    let (now, timing) = (state.now(), &state.config.timing);
    let unknown =
        |id: &str, verb: &str, source: &str| unknown_job(format!("{verb} JobId={id}"), source);
    match (method, path) {
        ("GET", ["jobs"]) => jobs_v0_0_38(with_all(state, KIND, |all| {
            all.iter().map(|j| render_v0_0_38(j, state)).collect()
        })),
        ("GET", ["job", id]) => match with_job(state, KIND, id, |j| render_v0_0_38(j, state)) {
            Some(job) => jobs_v0_0_38(vec![job]),
            None => answer_v0_0_38(
                500,
                unknown(id, "Unable to find", "slurm_load_job"),
                json!({ "jobs": [] }),
            ),
        },
        ("DELETE", ["job", id]) => match with_job(state, KIND, id, |j| j.cancel(now, timing)) {
            Some(_) => answer_v0_0_38(200, json!([]), json!({})),
            None => {
                let description =
                    format!("unable to kill JobId={id} with signal 9: Invalid job id specified");
                answer_v0_0_38(500, unknown_job(description, "slurm_kill_job"), json!({}))
            }
        },
        ("POST", ["job", "submit"]) => submit_v0_0_38(req, state),
        // Updates are accepted and ignored: gpujobs never sends one.
        ("POST", ["job", id]) => match parse_body(req) {
            Err(refused) => refused,
            Ok(_) if exists(state, KIND, id) => answer_v0_0_38(200, json!([]), json!({})),
            Ok(_) => answer_v0_0_38(
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
            answer_v0_0_38(200, json!([]), json!({ "pings": ping }))
        }
        _ => Resp::text(404, SlurmRelease::V22_05.not_found()),
    }
}

/// The job fields slurmrestd 22.05 sends as `null` when unset (every other
/// field is always sent, as its type's zero value).
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

/// `{meta, errors: [], jobs}` with every field of every job, as slurmrestd 22.05 sends it.
fn jobs_v0_0_38(jobs: Vec<V0038JobResponseProperties>) -> Resp {
    let answer: gpujobs_slurm::v0_0_38::types::V0038JobsResponse =
        typed(json!({ "meta": meta_v0_0_38(), "errors": [], "jobs": jobs }));
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

fn submit_v0_0_38(req: &Req, state: &State) -> Resp {
    let raw = match parse_body(req) {
        Ok(raw) => raw,
        Err(refused) => return refused,
    };
    if !raw.get("script").is_some_and(Value::is_string) {
        return answer_v0_0_38(
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
        return answer_v0_0_38(400, refused, json!({}));
    }
    let Ok(V0038JobSubmission { script, .. }) =
        serde_json::from_value::<V0038JobSubmission>(raw.clone())
    else {
        let refused = json!([{ "error_code": 9001, "error": "Failure during parsing" }]);
        return answer_v0_0_38(400, refused, json!({}));
    };
    let job = raw.get("job").cloned().unwrap_or_default();
    let gpus = job.get("gpus").is_some_and(|g| g.as_str() != Some("0"));
    let has_script = (!script.is_empty() && job.is_object()).then_some(script.as_str());
    if let Some((number, text)) = refused_submit(
        has_script,
        job.get("partition").and_then(Value::as_str),
        gpus,
    ) {
        return answer_v0_0_38(
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
    answer_v0_0_38(200, json!([]), created(state, &script, &job, env, "BATCH"))
}

/// The fields of a job every API version renders alike: with `numbers` (the
/// version's own way to write a number, and its states and exit codes) added.
fn render_with(job: &SimJob, shown: &Shown, numbers: Value) -> Value {
    let meta = |key: &str| job.spec.metadata.get(key).cloned().unwrap_or_default();
    let mut value = json!({
        "job_id": job.id.parse::<i64>().unwrap_or_default(),
        "name": job.spec.name.clone().unwrap_or_default(),
        "state_reason": shown.reason,
        "comment": meta("comment"),
        "partition": meta("partition"),
        "standard_output": meta("standard_output"),
        "current_working_directory": job.spec.working_dir.clone().unwrap_or_else(|| "/tmp".into()),
        "user_name": "sandbox",
        "user_id": 1000,
        "group_name": "sandbox",
        "cluster": "sandbox",
        "nodes": if shown.started.is_some() { "sandbox-node" } else { "" },
        "batch_flag": true,
    });
    if let (Value::Object(value), Value::Object(numbers)) = (&mut value, numbers) {
        value.extend(numbers);
    }
    value
}

/// A job as slurmrestd 22.05 renders it.
fn render_v0_0_38(job: &SimJob, state: &State) -> V0038JobResponseProperties {
    let shown = shown(job, state);
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
    });
    typed(render_with(job, &shown, numbers))
}

// ---- v0.0.40 to v0.0.45 (Slurm 23.11 on) ----

/// What every answer of a data_parser version carries.
fn meta(release: SlurmRelease, version: &str) -> Value {
    let mut parts = release.number().split('.');
    let (major, minor, micro) = (parts.next(), parts.next(), parts.next());
    json!({
        "plugin": { "type": "openapi/slurmctld", "name": "Slurm OpenAPI slurmctld", "data_parser": format!("data_parser/{version}"), "accounting_storage": "" },
        "client": { "source": "[sandbox]", "user": "sandbox", "group": "sandbox" },
        "command": [],
        "slurm": { "version": { "major": major, "minor": minor, "micro": micro }, "release": release.number(), "cluster": "sandbox" }
    })
}

/// An answer: `{…payload, meta, errors, warnings}`.
fn answer(
    release: SlurmRelease,
    version: &str,
    status: u16,
    errors: Value,
    payload: Value,
) -> Resp {
    let mut body = payload;
    body["meta"] = meta(release, version);
    body["errors"] = errors;
    body["warnings"] = json!([]);
    Resp::json(status, &body)
}

/// A job rendered in v0.0.42's fields, in `version`'s instead: the job
/// fields the versions add and drop (`cargo xtask drift-versions slurm`).
fn in_version(mut job: Value, version: &str) -> Value {
    let (added, dropped): (Value, &[&str]) = match version {
        "v0.0.40" | "v0.0.41" => (
            json!({ "exclusive": [], "oversubscribe": false, "show_flags": [], "minimum_switches": 0 }),
            &["priority_by_partition", "required_switches"],
        ),
        "v0.0.42" => (json!({}), &[]),
        later => {
            let mut added = json!({ "licenses_allocated": "", "segment_size": 0, "stdin_expanded": "", "stdout_expanded": "", "stderr_expanded": "" });
            if later >= "v0.0.44" {
                added["submit_line"] = json!("");
                added["step_id"] = json!({ "job_id": no_val(None), "step_het_component": no_val(None), "step_id": "batch", "sluid": "" });
            }
            if later >= "v0.0.45" {
                added["container_type"] = json!("");
                added["memory_update_delay"] = json!(0);
                added["memory_update_margin"] = json!(0);
            }
            let dropped: &[&str] = if later >= "v0.0.45" { &["power"] } else { &[] };
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

fn data_parser(req: &Req, state: &State, version: &str, method: &str, path: &[&str]) -> Resp {
    let release = state.config.slurm_release;
    let (now, timing) = (state.now(), &state.config.timing);
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
        ("GET", ["jobs", ""] | ["jobs"]) => jobs(with_all(state, KIND, |all| {
            all.iter().map(|j| render(j, state)).collect()
        })),
        ("GET", ["jobs", "state", ..]) => {
            // slurmrestd reads `job_id` repeated and refuses a comma-separated
            // list (24.11.5: 400 "Unable to parse query."); it answers ids as
            // strings, under `state`, and leaves out ids it does not know.
            let wanted: Vec<&str> = req.query.all("job_id").collect();
            if wanted.iter().any(|id| id.contains(',')) {
                return Resp::text(400, "Unable to parse query.");
            }
            let entry = |j: &SimJob| json!({ "job_id": j.id, "state": [shown(j, state).state] });
            let listed: Vec<Value> = match wanted.is_empty() {
                true => with_all(state, KIND, |all| all.iter().map(entry).collect()),
                false => with_each(state, KIND, &wanted, entry),
            };
            reply(200, json!([]), json!({ "jobs": listed }))
        }
        ("GET", ["job", id]) => match with_job(state, KIND, id, |j| render(j, state)) {
            Some(job) => jobs(vec![job]),
            None => {
                let empty = json!({ "jobs": [], "last_backfill": no_val(Some(0)), "last_update": no_val(Some(0)) });
                reply(
                    404,
                    unknown_job(format!("Unable to query JobId={id}"), "_handle_job_get"),
                    empty,
                )
            }
        },
        ("DELETE", ["job", id]) => match with_job(state, KIND, id, |j| j.cancel(now, timing)) {
            Some(_) if version == "v0.0.40" || version == "v0.0.41" => {
                reply(200, json!([]), json!({}))
            }
            Some(_) => reply(200, json!([]), json!({ "status": [] })),
            None => {
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
    if let Some((number, text)) =
        refused_submit(script, job.get("partition").and_then(Value::as_str), gpus)
    {
        return reply(
            500,
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

/// A job as a data_parser version renders it.
fn render(job: &SimJob, state: &State) -> V0042JobInfo {
    let shown = shown(job, state);
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
    });
    typed(render_with(job, &shown, numbers))
}
