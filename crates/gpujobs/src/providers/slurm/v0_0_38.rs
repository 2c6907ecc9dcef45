//! API v0.0.38 (Slurm 22.05 to 23.11): its job record and its submit body.
//!
//! `job_state` is the state Slurm shows, a string; times are Unix seconds;
//! `exit_code` is the raw wait status (`exit 3` is 768, a signal its number).

use async_trait::async_trait;
use gpujobs_slurm::v0_0_38::types::{Dbv0038Error, Dbv0038Job, V0038Answer, V0038Error, V0038JobResponseProperties, V0038JobSubmission};
use serde_json::{Map, Value, json};

use super::body::{environment, script, whole};
use super::errors::Reported;
use super::record::{Fields, InArray, Record, allocated, elapsed, tres_entries};
use crate::outcome::Usage;
use super::{KIND, SlurmOptions};
use crate::error::{Error, Result};
use crate::field::SubmitField;
use crate::job::Job;
use crate::submit::SubmitRequest;

/// Decodes a raw wait status: `(exit code, signal)`.
pub(super) fn wait_status(raw: i64) -> (Option<i64>, Option<i64>) {
    match raw & 0x7f {
        0 => (Some((raw >> 8) & 0xff), None),
        signal => (None, Some(signal)),
    }
}

/// A typed error answer goes back to its JSON, which `answer_error` reads.
#[async_trait]
impl super::super::ErrorBody for V0038Answer {
    async fn message(self) -> reqwest::Result<String> {
        Ok(serde_json::to_string(&self).unwrap_or_default())
    }
}

/// An error entry, as every version reads it.
pub(super) fn reported(error: &V0038Error) -> Reported {
    Reported {
        error_number: error.error_number,
        error_code: error.error_code,
        error: error.error.clone(),
        description: error.description.clone(),
    }
}

/// An accounting answer's error entry, as every version reads it.
pub(super) fn reported_by_accounting(error: &Dbv0038Error) -> Reported {
    Reported {
        error_number: error.error_number,
        error_code: None,
        error: error.error.clone(),
        description: error.description.clone(),
    }
}

/// Slurm's job as a [`Job`] (an array's tasks still pending together: one each).
pub(super) fn to_jobs(raw: V0038JobResponseProperties) -> Vec<Job> {
    let (exit_code, signal) = raw.exit_code.map_or((None, None), wait_status);
    Fields {
        id: raw.job_id,
        name: raw.name.clone(),
        state: raw.job_state.clone().unwrap_or_default(),
        reason: raw.state_reason.clone(),
        submitted: raw.submit_time,
        started: raw.start_time,
        ended: raw.end_time,
        exit_code,
        signal: signal.map(|number| (number, None)),
        usage: usage(raw.tres_alloc_str.as_deref(), raw.nodes.as_deref()),
        canceled_by: None,
        array: InArray::of(raw.array_job_id, raw.array_task_id, raw.array_task_string.as_deref()),
    }
    .into_jobs(Record::V0038(raw))
}

/// What a slurmctld record says the job was given (its nodes once it ran).
fn usage(tres: Option<&str>, nodes: Option<&str>) -> Usage {
    let mut usage = allocated(tres_entries(tres.unwrap_or_default()));
    usage.nodes = nodes.filter(|n| !n.is_empty()).map(str::to_owned);
    usage
}

/// Accounting's record (dbv0.0.38) as a [`Job`]. 22.05's slurmrestd sends a
/// failed job's exit code as 0 and `SUCCESS` (sacct says the right one,
/// MEASURED): a failed job's zero exit code is left out as unknown.
pub(super) fn accounted_to_jobs(raw: Dbv0038Job) -> Vec<Job> {
    let state = raw.state.as_ref().and_then(|s| s.current.clone()).unwrap_or_default();
    let exit = raw.exit_code.as_ref();
    let signal = exit.and_then(|e| e.signal.as_ref()).and_then(|s| Some((s.signal_id?, s.name.clone().filter(|n| !n.is_empty()))));
    let code = exit.and_then(|e| e.return_code).filter(|code| *code != 0 || state == "COMPLETED");
    let time = raw.time.as_ref();
    let tres = raw.tres.as_ref().and_then(|t| t.allocated.as_ref());
    let mut usage = allocated(tres.into_iter().flat_map(|list| list.0.iter()).map(|t| (t.type_.as_deref().unwrap_or_default(), t.name.as_deref(), t.count)));
    usage.elapsed = elapsed(time.and_then(|t| t.elapsed)).filter(|_| time.and_then(|t| t.start).is_some_and(|s| s > 0));
    usage.nodes = raw.nodes.clone().filter(|n| !n.is_empty() && n != "None assigned");
    Fields {
        id: raw.job_id,
        name: raw.name.clone(),
        state,
        reason: raw.state.as_ref().and_then(|s| s.reason.clone()),
        submitted: time.and_then(|t| t.submission),
        started: time.and_then(|t| t.start),
        ended: time.and_then(|t| t.end),
        exit_code: code,
        signal,
        usage,
        canceled_by: raw.kill_request_user.clone(),
        array: raw.array.as_ref().and_then(|a| InArray::of(a.job_id, a.task_id, a.task.as_deref())),
    }
    .into_jobs(Record::AccountingV0038(raw))
}

/// The submit body: the script at the top, the job's fields beside it.
pub(super) fn submission(request: &SubmitRequest, comment: &str, array: Option<&str>) -> Result<V0038JobSubmission> {
    let script = script(request)?;
    // v0.0.38 wants the environment as an object.
    let environment: Map<String, Value> = environment(request).into_iter().map(|(k, v)| (k, v.into())).collect();
    let mut job = json!({ "environment": environment, "comment": comment });
    let mut set = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            job[key] = value;
        }
    };
    set("name", request.name.clone().map(Value::from));
    set("array", array.map(Value::from));
    set("current_working_directory", request.working_dir.clone().map(Value::from));
    let options = SlurmOptions::of(request);
    set("partition", options.partition.clone().map(Value::from));
    set("standard_output", options.output.clone().map(Value::from));
    set("time_limit", options.minutes().map(Value::from));
    set("cpus_per_task", whole("CPUs", SubmitField::Cpus, request.cpus)?.map(Value::from));
    set("gpus", whole("GPUs", SubmitField::Gpus, request.gpus)?.map(|n| n.to_string().into()));
    set("memory_per_node", request.memory_bytes.map(|b| b.div_ceil(1 << 20).into()));
    serde_json::from_value(json!({ "script": script, "job": job }))
        .map_err(|e| Error::invalid(KIND, format!("cannot express this submit for Slurm: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses_decode() {
        assert_eq!(wait_status(0), (Some(0), None));
        assert_eq!(wait_status(768), (Some(3), None));
        assert_eq!(wait_status(15), (None, Some(15)));
        assert_eq!(wait_status(9), (None, Some(9)));
    }

    #[test]
    fn a_submit_carries_its_mark_and_the_fields_people_set() {
        let request = super::super::sample_request();
        let body = serde_json::to_value(submission(&request, "gpujobs-token=tok-1", None).unwrap()).unwrap();
        let job = &body["job"];
        assert_eq!(body["script"], "#!/bin/bash\npython train.py\n");
        assert_eq!(job["comment"], "gpujobs-token=tok-1");
        assert_eq!((job["time_limit"].as_i64(), job["gpus"].as_str()), (Some(2), Some("2")));
        assert_eq!((job["partition"].as_str(), job["cpus_per_task"].as_i64()), (Some("gpu"), Some(4)));
        assert_eq!(job["environment"]["EPOCHS"], "3");
        assert!(job["environment"]["PATH"].is_string());
        let mut half = SubmitRequest::new("x");
        half.gpus = Some(0.5);
        assert!(matches!(submission(&half, "t", None), Err(Error::InvalidRequest { .. })));
    }
}
