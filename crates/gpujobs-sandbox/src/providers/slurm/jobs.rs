//! What both API families share: a job as Slurm shows it in each phase
//! ([`Shown`]), the fields of a submit, error entries, and the fields every
//! version renders alike.

use serde_json::{Value, json};

use std::time::{Duration, SystemTime};

use crate::model::{JobSpec, Outcome, Phase, SimJob, unix_seconds};
use crate::state::State;
use crate::wire::{Req, Resp};

/// A job's time limit, in minutes (Slurm's default partition limit here: 60).
pub(super) fn limit_minutes(job: &SimJob) -> i64 {
    job.spec
        .metadata
        .get("time_limit")
        .and_then(|m| m.parse().ok())
        .unwrap_or(60)
}

/// When its time limit ended a job that would have run longer (one that
/// runs until canceled): its start plus the limit, once that has passed.
fn timed_out_at(job: &SimJob, state: &State) -> Option<SystemTime> {
    let (now, timing) = (state.now(), &state.config.timing);
    if job.spec.outcome != Outcome::RunForever {
        return None;
    }
    let started = job.entered(|p| matches!(p, Phase::Running), now, timing)?;
    let end = started + Duration::from_secs(60 * limit_minutes(job).max(0) as u64);
    (end <= now && job.canceled_at.is_none_or(|c| c > end)).then_some(end)
}

/// When a job ended, by itself, by a cancel or by its time limit.
pub(super) fn ended_at(job: &SimJob, state: &State) -> Option<SystemTime> {
    timed_out_at(job, state).or_else(|| job.ended_at(state.now(), &state.config.timing))
}

/// Whether slurmctld no longer knows the job: it ended more than
/// `MinJobAge` ago ([`crate::SandboxConfig::slurm_min_job_age`]).
pub(super) fn forgotten(job: &SimJob, state: &State) -> bool {
    let Some(age) = state.config.slurm_min_job_age else {
        return false;
    };
    ended_at(job, state).is_some_and(|end| {
        state
            .now()
            .duration_since(end)
            .is_ok_and(|since| since > age)
    })
}

/// The jobs accounting holds that a `/slurmdb/…/jobs` query asks for: by
/// id (`step`, an array's id its tasks), or running at or after `start_time`
/// (`YYYY-MM-DDTHH:MM:SS`, UTC here), or all.
pub(super) fn accounting_query(req: &Req, ids: &[&str], job: &SimJob, state: &State) -> bool {
    let by_id = ids.is_empty() || ids.contains(&job.id.as_str());
    let since = req
        .query
        .get("start_time")
        .and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S").ok())
        .map(|t| t.and_utc().timestamp());
    let recent =
        since.is_none_or(|since| ended_at(job, state).is_none_or(|end| unix_seconds(end) >= since));
    by_id && recent
}

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
    if let Some(end) = timed_out_at(job, state) {
        let started = job.entered(
            |p| matches!(p, Phase::Running),
            state.now(),
            &state.config.timing,
        );
        return Shown {
            state: "TIMEOUT",
            reason: "TimeLimit",
            exit_code: 0,
            signal: None,
            started: started.map(unix_seconds),
            end_time: unix_seconds(end),
            limit_minutes: limit_minutes(job),
        };
    }
    let (now, timing) = (state.now(), &state.config.timing);
    let phase = job.phase(now, timing);
    let limit_minutes = limit_minutes(job);
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
