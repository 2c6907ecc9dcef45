//! The data_parser versions, v0.0.40 to v0.0.45 (Slurm 23.11 on): the job
//! record and the submit body, in v0.0.42's types.
//!
//! `job_state` is a list, a base state and flags (`["PENDING", "REQUEUED"]`);
//! numbers are `{set, infinite, number}`; `exit_code` is `{status,
//! return_code, signal: {id, name}}`; the environment is a list of `K=V`.

use gpujobs_slurm::v0_0_42::types::{
    V0042Job, V0042JobInfo, V0042JobStateRespJob, V0042ProcessExitCodeVerbose, V0042JobSubmitReq, V0042OpenapiError, V0042Uint16NoValStruct, V0042Uint32NoValStruct,
    V0042Uint64NoValStruct,
};
use serde_json::{Value, json};

use super::body::{environment, script, whole};
use super::errors::Reported;
use super::record::{Fields, InArray, Record, allocated, elapsed, tres_entries};
use crate::outcome::Usage;
use super::states::shown_state;
use super::{KIND, SlurmOptions};
use crate::error::{Error, Result};
use crate::field::SubmitField;
use crate::job::Job;
use crate::submit::SubmitRequest;

/// A `{set, infinite, number}`: its number when it is set and finite.
trait NoVal {
    fn parts(&self) -> (Option<bool>, Option<bool>, Option<i64>);

    fn value(&self) -> Option<i64> {
        match self.parts() {
            (Some(true), infinite, number) if infinite != Some(true) => number,
            _ => None,
        }
    }
}

macro_rules! no_val {
    ($($ty:ty),*) => {$(
        impl NoVal for $ty {
            fn parts(&self) -> (Option<bool>, Option<bool>, Option<i64>) {
                (self.set, self.infinite, self.number)
            }
        }
    )*};
}
no_val!(V0042Uint16NoValStruct, V0042Uint32NoValStruct, V0042Uint64NoValStruct);

fn number(value: &Option<impl NoVal>) -> Option<i64> {
    value.as_ref().and_then(NoVal::value)
}

/// An error entry, as every version reads it.
pub(super) fn reported(error: &V0042OpenapiError) -> Reported {
    Reported {
        error_number: error.error_number,
        error_code: None,
        error: error.error.clone(),
        description: error.description.clone(),
    }
}

/// An exit record's signal: its number and name.
fn signal(exit: Option<&V0042ProcessExitCodeVerbose>) -> Option<(i64, Option<String>)> {
    let signal = exit?.signal.as_ref()?;
    Some((number(&signal.id)?, signal.name.clone().filter(|n| !n.is_empty())))
}

/// Slurm's job as a [`Job`] (an array's tasks still pending together: one each).
pub(super) fn to_jobs(raw: V0042JobInfo) -> Vec<Job> {
    let states: Vec<String> = raw.job_state.clone().map(Vec::from).unwrap_or_default();
    let exit = raw.exit_code.as_ref();
    let mut usage = allocated(tres_entries(raw.tres_alloc_str.as_deref().unwrap_or_default()));
    usage.nodes = raw.nodes.clone().filter(|n| !n.is_empty());
    Fields {
        id: raw.job_id,
        name: raw.name.clone(),
        state: shown_state(&states),
        reason: raw.state_reason.clone(),
        submitted: number(&raw.submit_time),
        started: number(&raw.start_time),
        ended: number(&raw.end_time),
        exit_code: exit.and_then(|e| number(&e.return_code)),
        signal: signal(exit),
        usage,
        canceled_by: None,
        array: InArray::of(number(&raw.array_job_id), number(&raw.array_task_id), raw.array_task_string.as_deref()),
    }
    .into_jobs(Record::V0042(raw))
}

/// Accounting's record as a [`Job`] (or one for each task it holds).
pub(super) fn accounted_to_jobs(raw: V0042Job) -> Vec<Job> {
    let state = raw.state.as_ref().and_then(|s| s.current.clone()).map(Vec::from).unwrap_or_default();
    let exit = raw.exit_code.as_ref();
    let time = raw.time.as_ref();
    let tres = raw.tres.as_ref().and_then(|t| t.allocated.as_ref());
    let mut usage: Usage = allocated(tres.into_iter().flat_map(|list| list.0.iter()).map(|t| (t.type_.as_deref().unwrap_or_default(), t.name.as_deref(), t.count)));
    usage.elapsed = elapsed(time.and_then(|t| t.elapsed)).filter(|_| time.and_then(|t| t.start).is_some_and(|s| s > 0));
    usage.nodes = raw.nodes.clone().filter(|n| !n.is_empty() && n != "None assigned");
    Fields {
        id: raw.job_id,
        name: raw.name.clone(),
        state: shown_state(&state),
        reason: raw.state.as_ref().and_then(|s| s.reason.clone()),
        submitted: time.and_then(|t| t.submission),
        started: time.and_then(|t| t.start),
        ended: time.and_then(|t| t.end),
        exit_code: exit.and_then(|e| number(&e.return_code)),
        signal: signal(exit),
        usage,
        canceled_by: raw.kill_request_user.clone(),
        array: raw.array.as_ref().and_then(|a| InArray::of(a.job_id, number(&a.task_id), a.task.as_deref())),
    }
    .into_jobs(Record::AccountingV0042(raw))
}

/// One entry of a `jobs/state` answer as a brief [`Job`]: id and status only.
pub(super) fn to_brief(entry: V0042JobStateRespJob) -> Option<Job> {
    let state = shown_state(&entry.state);
    let status = super::DESCRIPTOR.statuses.map(&state);
    Some(Job::new(KIND, entry.job_id?, status, state))
}

/// A `{set, infinite, number}` for a number.
fn set(number: impl Into<Value>) -> Value {
    json!({ "set": true, "infinite": false, "number": number.into() })
}

/// The submit body: the script at the top (where every version from v0.0.38
/// to v0.0.46 reads it), the job's fields beside it.
pub(super) fn submission(request: &SubmitRequest, comment: &str, array: Option<&str>) -> Result<V0042JobSubmitReq> {
    let script = script(request)?;
    let environment: Vec<String> = environment(request).into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut job = json!({ "environment": environment, "comment": comment });
    let mut put = |key: &str, value: Option<Value>| {
        if let Some(value) = value {
            job[key] = value;
        }
    };
    put("name", request.name.clone().map(Value::from));
    put("array", array.map(Value::from));
    put("current_working_directory", request.working_dir.clone().map(Value::from));
    let options = SlurmOptions::of(request);
    put("partition", options.partition.clone().map(Value::from));
    put("standard_output", options.output.clone().map(Value::from));
    put("time_limit", options.minutes().map(set));
    put("cpus_per_task", whole("CPUs", SubmitField::Cpus, request.cpus)?.map(Value::from));
    // v0.0.40 on: GPUs are a trackable resource (the `gpus` field is gone).
    put("tres_per_job", whole("GPUs", SubmitField::Gpus, request.gpus)?.map(|n| format!("gres/gpu:{n}").into()));
    put("memory_per_node", request.memory_bytes.map(|b| set(b.div_ceil(1 << 20))));
    serde_json::from_value(json!({ "script": script, "job": job }))
        .map_err(|e| Error::invalid(KIND, format!("cannot express this submit for Slurm: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submit_carries_its_mark_and_the_fields_people_set() {
        let mut request = super::super::sample_request();
        request.memory_bytes = Some(3 << 30);
        let body = serde_json::to_value(submission(&request, "gpujobs-token=tok-1", None).unwrap()).unwrap();
        let job = &body["job"];
        assert_eq!(body["script"], "#!/bin/bash\npython train.py\n");
        assert_eq!(job["comment"], "gpujobs-token=tok-1");
        assert_eq!(job["time_limit"], json!({ "set": true, "infinite": false, "number": 2 }));
        assert_eq!(job["memory_per_node"]["number"], 3072);
        assert_eq!((job["tres_per_job"].as_str(), job["cpus_per_task"].as_i64()), (Some("gres/gpu:2"), Some(4)));
        let env: Vec<&str> = job["environment"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        assert!(env.contains(&"EPOCHS=3") && env.iter().any(|e| e.starts_with("PATH=")), "{env:?}");
        assert!(job.get("gpus").is_none());
    }
}
