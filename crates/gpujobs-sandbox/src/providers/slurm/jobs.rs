//! What both API families share: a job as Slurm shows it in each phase
//! ([`Shown`]), the fields of a submit, error entries, and the fields every
//! version renders alike.

use serde_json::{Value, json};

use crate::model::{JobSpec, Phase, SimJob, unix_seconds};
use crate::state::State;
use crate::wire::{Req, Resp};

/// One entry of an answer's `errors`.
pub(super) fn error(
    number: i64,
    error: &str,
    description: impl Into<String>,
    source: &str,
) -> Value {
    json!([{ "description": description.into(), "error_number": number, "error": error, "source": source }])
}

/// An unknown job's error (2017), as slurmctld says it.
pub(super) fn unknown_job(description: String, source: &str) -> Value {
    error(2017, "Invalid job id specified", description, source)
}

/// A request body as slurmrestd reads it: an empty one is an empty object,
/// one it cannot parse is a 400 in plain text.
pub(super) fn parse_body(req: &Req) -> Result<Value, Resp> {
    if req.body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice::<Value>(&req.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| Resp::text(400, "Unable to parse query."))
}

/// Adds the job a submit asks for; the answer's payload (`step_id` as the version spells it).
pub(super) fn created(
    state: &State,
    script: &str,
    job: &Value,
    env: Vec<(String, String)>,
    step: &str,
) -> Value {
    let created = super::super::add_job(state, &super::Slurm, job_spec(script, job, env));
    let id: i64 = created.id.parse().unwrap_or_default();
    json!({ "job_id": id, "step_id": step, "job_submit_user_msg": "" })
}

/// What every submit asks of the one-node cluster of `scripts/slurm-live.sh`:
/// a script, the `debug` partition, and no GPUs (it has none).
pub(super) fn refused_submit(
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
pub(super) fn job_spec(script: &str, job: &Value, environment: Vec<(String, String)>) -> JobSpec {
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
pub(super) struct Shown {
    pub state: &'static str,
    pub reason: &'static str,
    pub exit_code: i64,
    pub signal: Option<(i64, &'static str)>,
    pub started: Option<i64>,
    pub end_time: i64,
    pub limit_minutes: i64,
}

pub(super) fn shown(job: &SimJob, state: &State) -> Shown {
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

/// The fields of a job every API version renders alike: with `numbers` (the
/// version's own way to write a number, and its states and exit codes) added.
pub(super) fn render_with(job: &SimJob, shown: &Shown, numbers: Value) -> Value {
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
