//! What both API families share: a job as Slurm shows it in each phase
//! ([`Shown`]), the fields of a submit, error entries, and the fields every
//! version renders alike.

use serde_json::{Value, json};

use std::collections::BTreeMap;
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
/// id (`step`, an array's id its tasks), by name (`job_name`), running at or
/// after `start_time` (`YYYY-MM-DDTHH:MM:SS`, UTC here), or all.
pub(super) fn accounting_query(req: &Req, ids: &[&str], job: &SimJob, state: &State) -> bool {
    let by_id = ids.is_empty() || ids.iter().any(|id| of_array(job, id) || is_task(job, id));
    let named = req
        .query
        .get("job_name")
        .is_none_or(|name| name.split(',').any(|n| job.spec.name.as_deref() == Some(n)));
    let since = req
        .query
        .get("start_time")
        .and_then(|t| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S").ok())
        .map(|t| t.and_utc().timestamp());
    let recent =
        since.is_none_or(|since| ended_at(job, state).is_none_or(|end| unix_seconds(end) >= since));
    by_id && named && recent
}

/// A job's place in its array, from its metadata: the array's id, its
/// index, and the array's `%N` limit (0: none).
pub(super) fn in_array(job: &SimJob) -> Option<(i64, i64, i64)> {
    let number = |key: &str| job.spec.metadata.get(key)?.parse::<i64>().ok();
    Some((
        number("array_job_id")?,
        number("array_task_id")?,
        number("array_max_tasks").unwrap_or(0),
    ))
}

/// Whether a job is array `array` or one of its tasks.
pub(super) fn of_array(job: &SimJob, array: &str) -> bool {
    job.id == array || in_array(job).is_some_and(|(a, ..)| a.to_string() == array)
}

/// The task an id as `1234_7` names: array 1234's task 7.
pub(super) fn is_task(job: &SimJob, id: &str) -> bool {
    let Some((array, index)) = id.split_once('_') else {
        return false;
    };
    in_array(job).is_some_and(|(a, i, _)| a.to_string() == array && i.to_string() == index)
}

/// How slurmctld holds `jobs`: an array's tasks still pending together as
/// one record — the first of them, with the expression of them all (`3-9%2`)
/// — and every other job as itself; a lone pending task is itself too.
pub(super) fn held<'a>(
    jobs: impl IntoIterator<Item = &'a SimJob>,
    state: &State,
) -> Vec<(&'a SimJob, Option<String>)> {
    let mut held: Vec<(&SimJob, Option<String>)> = Vec::new();
    let mut pending: BTreeMap<i64, (usize, Vec<u64>, i64)> = BTreeMap::new();
    for job in jobs {
        match in_array(job) {
            Some((array, index, limit)) if shown(job, state).state == "PENDING" => {
                match pending.get_mut(&array) {
                    Some((_, indices, _)) => indices.push(index as u64),
                    None => {
                        pending.insert(array, (held.len(), vec![index as u64], limit));
                        held.push((job, None));
                    }
                }
            }
            _ => held.push((job, None)),
        }
    }
    for (at, indices, limit) in pending.into_values() {
        if indices.len() > 1 {
            held[at].1 = Some(expression(&indices, limit));
        }
    }
    held
}

/// An array's task expression: runs as `START-END` joined by commas, and
/// `%N` where it has a limit.
fn expression(indices: &[u64], limit: i64) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &index in indices {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == index => *end = index,
            _ => runs.push((index, index)),
        }
    }
    let runs: Vec<String> = runs
        .into_iter()
        .map(|(a, b)| match a == b {
            true => a.to_string(),
            false => format!("{a}-{b}"),
        })
        .collect();
    match limit {
        0 => runs.join(","),
        n => format!("{}%{n}", runs.join(",")),
    }
}

/// Every job slurmctld holds (not forgotten), as it holds them, rendered.
pub(super) fn all_records<R>(state: &State, render: impl Fn(&SimJob, Option<&str>) -> R) -> Vec<R> {
    super::super::with_all(state, super::KIND, |all| {
        let known = all.iter().filter(|j| !forgotten(j, state));
        held(known, state)
            .into_iter()
            .map(|(job, together)| render(job, together.as_deref()))
            .collect()
    })
}

/// What `GET …/job/{id}` answers with, rendered: the job, or (asked by an
/// array's id, or by one of its tasks' `A_I`) every task of the array
/// slurmctld holds, as it holds them.
pub(super) fn records_of<R>(
    state: &State,
    id: &str,
    render: impl Fn(&SimJob, Option<&str>) -> R,
) -> Vec<R> {
    let array = id.split_once('_').map_or(id, |(array, _)| array);
    super::super::with_all(state, super::KIND, |all| {
        let asked = all
            .iter()
            .filter(|j| !forgotten(j, state) && of_array(j, array));
        held(asked, state)
            .into_iter()
            .map(|(job, together)| render(job, together.as_deref()))
            .collect()
    })
}

/// What `jobs/state` answers for `wanted` (every job when empty): one entry
/// per task, never tasks pending together. A pending task is written
/// `A_I`, a started one `<its own id>_I` (MEASURED, 24.11 and 26.05:
/// tests/payloads/slurm/live/24.11/arrays/). Asked by an array's id: every
/// task; by a pending task's `A_I`: every pending task of the array (its
/// one record); by a started task's: that task.
pub(super) fn task_states(state: &State, wanted: &[&str]) -> Vec<(String, &'static str)> {
    let jobs = state.jobs();
    let Some(list) = jobs.get(&super::KIND) else {
        return Vec::new();
    };
    let known = || list.all().iter().filter(|j| !forgotten(j, state));
    let pending = |j: &SimJob| shown(j, state).state == "PENDING";
    let mut picked: Vec<&SimJob> = match wanted.is_empty() {
        true => known().collect(),
        false => Vec::new(),
    };
    for id in wanted {
        let named: Vec<&SimJob> = match (id.split_once('_'), list.get(id)) {
            // A job of its own (looked up, not searched: wait_all asks 500 at once).
            (None, Some(job)) if in_array(job).is_none() => (!forgotten(job, state))
                .then_some(job)
                .into_iter()
                .collect(),
            (None, _) => known().filter(|j| j.id == *id || of_array(j, id)).collect(),
            (Some((array, _)), _) => match known().find(|j| is_task(j, id)) {
                Some(task) if pending(task) => known()
                    .filter(|j| of_array(j, array) && pending(j))
                    .collect(),
                Some(task) => vec![task],
                None => Vec::new(),
            },
        };
        for job in named {
            if !picked.iter().any(|p| p.id == job.id) {
                picked.push(job);
            }
        }
    }
    picked
        .into_iter()
        .map(|j| {
            let shown = shown(j, state).state;
            let id = match in_array(j) {
                Some((array, index, _)) if shown == "PENDING" => format!("{array}_{index}"),
                Some((_, index, _)) => format!("{}_{index}", j.id),
                None => j.id.clone(),
            };
            (id, shown)
        })
        .collect()
}

/// Cancels what `DELETE …/job/{id}` names — a job, every task of an array
/// asked by its id, or one task (`A_I`) — unless slurmctld forgot it:
/// whether it named any.
pub(super) fn cancel(state: &State, id: &str) -> bool {
    let (now, timing) = (state.now(), &state.config.timing);
    super::super::with_all_mut(state, super::KIND, |all| {
        let mut named = false;
        for job in all.iter_mut() {
            if (of_array(job, id) || is_task(job, id)) && !forgotten(job, state) {
                named = true;
                job.cancel(now, timing);
            }
        }
        named
    })
}

/// A record's array fields: the array's id (0: none), the task's index
/// (none for tasks pending together), the `%N` limit, and the expression of
/// the tasks pending together.
pub(super) struct ArrayFields {
    pub job_id: Option<i64>,
    pub array_job_id: i64,
    pub task_id: Option<i64>,
    pub max_tasks: i64,
    pub task_string: String,
}

pub(super) fn array_fields(job: &SimJob, together: Option<&str>) -> ArrayFields {
    match (in_array(job), together) {
        (Some((array, _, limit)), Some(tasks)) => ArrayFields {
            job_id: Some(array),
            array_job_id: array,
            task_id: None,
            max_tasks: limit,
            task_string: tasks.to_owned(),
        },
        (Some((array, index, limit)), None) => ArrayFields {
            job_id: None,
            array_job_id: array,
            task_id: Some(index),
            max_tasks: limit,
            task_string: String::new(),
        },
        (None, _) => ArrayFields {
            job_id: None,
            array_job_id: 0,
            task_id: None,
            max_tasks: 0,
            task_string: String::new(),
        },
    }
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

/// Adds the job a submit asks for (an array: a job for each task); the
/// answer's payload (`step_id` as the version spells it).
pub(super) fn created(
    state: &State,
    script: &str,
    job: &Value,
    env: Vec<(String, String)>,
    step: &str,
) -> Value {
    let spec = job_spec(script, job, env);
    let id = match job.get("array").and_then(Value::as_str).and_then(array) {
        Some((indices, limit)) => add_array(state, script, spec, &indices, limit),
        None => super::super::add_job(state, &super::Slurm, spec).id,
    };
    let id: i64 = id.parse().unwrap_or_default();
    json!({ "job_id": id, "step_id": step, "job_submit_user_msg": "" })
}

/// The indices and `%N` limit of an array expression (`0-9,12,20-30:5%4`).
pub(super) fn array(text: &str) -> Option<(Vec<u64>, Option<u64>)> {
    let (tasks, limit) = match text.split_once('%') {
        Some((tasks, limit)) => (tasks, Some(limit.parse().ok().filter(|n| *n > 0)?)),
        None => (text, None),
    };
    let mut indices = Vec::new();
    for part in tasks.split(',') {
        let (span, step) = match part.split_once(':') {
            Some((span, step)) => (span, step.parse().ok().filter(|s: &usize| *s > 0)?),
            None => (part, 1),
        };
        let (start, end): (u64, u64) = match span.split_once('-') {
            Some((start, end)) => (start.parse().ok()?, end.parse().ok()?),
            None => (span.parse().ok()?, span.parse().ok()?),
        };
        if end < start || end - start > 10_000_000 {
            return None;
        }
        indices.extend((start..=end).step_by(step));
    }
    indices.sort_unstable();
    indices.dedup();
    Some((indices, limit))
}

/// Adds an array: one job for each task, ids counting up from the array's;
/// with a `%N` limit, a task waits until those before it in waves of N have
/// run (one that runs until canceled holds its place for ever).
fn add_array(
    state: &State,
    script: &str,
    spec: JobSpec,
    indices: &[u64],
    limit: Option<u64>,
) -> String {
    let array: u64 = super::super::Emulator::new_id(&super::Slurm, state)
        .parse()
        .unwrap_or(1000);
    let timing = &state.config.timing;
    let wave = timing.queued + timing.starting + timing.running;
    for (position, index) in indices.iter().enumerate() {
        let mut task = spec.clone();
        task.id = Some((array + position as u64).to_string());
        let waves = limit.map_or(0, |n| position as u64 / n);
        task.delay = match (waves, spec.outcome) {
            (0, _) => Duration::ZERO,
            (_, Outcome::RunForever) => Duration::MAX,
            (n, _) => wave.checked_mul(n as u32).unwrap_or(Duration::MAX),
        };
        let meta = [
            ("array_job_id", array.to_string()),
            ("array_task_id", index.to_string()),
            ("array_max_tasks", limit.unwrap_or(0).to_string()),
        ];
        task.metadata.extend(meta.map(|(k, v)| (k.to_owned(), v)));
        task.env
            .insert("SLURM_ARRAY_JOB_ID".into(), array.to_string());
        task.env
            .insert("SLURM_ARRAY_TASK_ID".into(), index.to_string());
        task.env.extend(exports(script, *index, &task.env));
        super::super::add_job(state, &super::Slurm, task);
    }
    array.to_string()
}

/// What a batch script exports before its command, as the shell would run
/// it for array task `index`: its `export NAME=VALUE …` lines, and those of
/// a `case "$SLURM_ARRAY_TASK_ID" in` block under `index)` (values single-
/// or double-quoted, `$NAME` read from `env`). What gpujobs' sweeps prelude
/// says; other scripts' lines are left to the command.
pub(super) fn exports(
    script: &str,
    index: u64,
    env: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut in_case = false;
    for line in script.lines().map(str::trim) {
        if line.starts_with("case \"$SLURM_ARRAY_TASK_ID\" in") {
            in_case = true;
            continue;
        }
        if line == "esac" {
            in_case = false;
            continue;
        }
        let assignments = match (in_case, line.split_once(") ")) {
            (true, Some((label, rest))) if label == index.to_string() => {
                rest.trim_end_matches(";;").trim()
            }
            (true, _) => continue,
            (false, _) => line,
        };
        let Some(words) = assignments.strip_prefix("export ") else {
            continue;
        };
        found.extend(shell_words(words).into_iter().filter_map(|word| {
            let (name, value) = word.split_once('=')?;
            let value = value.replace("$SLURM_ARRAY_TASK_ID", &index.to_string());
            let value = env
                .iter()
                .fold(value, |v, (k, val)| v.replace(&format!("${k}"), val));
            Some((name.to_owned(), value))
        }));
    }
    found
}

/// Words as a shell splits them: single quotes literal (`'\''` a quote),
/// double quotes kept together.
fn shell_words(text: &str) -> Vec<String> {
    let (mut words, mut word, mut quote) = (Vec::new(), String::new(), None::<char>);
    let mut started = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\\') => word.extend(chars.next()),
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (None, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        words.push(word);
    }
    words
}

/// What every submit asks of the one-node cluster of `scripts/slurm-live.sh`:
/// a script, the `debug` partition, no GPUs (it has none), and an array (if
/// any) that parses with every index below `MaxArraySize`.
pub(super) fn refused_submit(
    script: Option<&str>,
    job: &Value,
    gpus: bool,
    state: &State,
) -> Option<(i64, &'static str)> {
    let partition = job.get("partition").and_then(Value::as_str);
    let max_array_size = state.config.slurm_max_array_size;
    let bad_array = job.get("array").is_some_and(|a| {
        a.as_str()
            .and_then(array)
            .is_none_or(|(indices, _)| indices.last().is_none_or(|&i| i >= max_array_size))
    });
    match (script, partition, gpus) {
        (None, ..) => Some((2009, "Job script not specified")),
        (_, Some(p), _) if p != "debug" => Some((2000, "Invalid partition name specified")),
        (_, _, true) => Some((2014, "Requested node configuration is not available")),
        _ if bad_array => Some((ARRAY_REFUSED, "Invalid job array specification")),
        _ => None,
    }
}

/// slurmctld's error for an array it cannot make (too large, or not an
/// array expression): 500 on 22.05 and 24.11, 422 on 26.05 (MEASURED,
/// tests/payloads/slurm/live/*/arrays/submit-too-big.json).
pub(super) const ARRAY_REFUSED: i64 = 2081;

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
