//! Sweeps as Slurm's own arrays: one submit for all of a sweep's tasks
//! (`0-49%8`, the limit on tasks running at once kept by the scheduler), each
//! task given its index and parameters by a prelude to the script; a sweep's
//! tasks found again by its job name, in slurmctld and in accounting; one
//! cancel for each array.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::answers::Jobs;
use super::{DESCRIPTOR, KIND, SlurmProvider, submit};
use crate::error::{Error, Result};
use crate::field::{Field, SubmitField};
use crate::job::{Job, JobStatus};
use crate::provider::CancelOutcome;
use crate::providers::adapter::finish;
use crate::providers::protocols::Sent;
use crate::submit::SubmitRequest;
use crate::sweep::{SWEEP_ENV, Sweep, SweepTask, TASK_INDEX_ENV};

/// Submits tasks `indices` of `sweep` as one array named after the sweep:
/// the tasks as slurmctld holds them right after.
pub(super) async fn submit_array(p: &SlurmProvider, sweep: &Sweep, indices: &[u64], attempt: u32) -> Result<Vec<SweepTask>> {
    let request = array_request(sweep, indices)?;
    request.check_for(KIND, DESCRIPTOR.submit)?;
    let array = match submit::send(p, &request, Some(&array_spec(indices, sweep.max_running))).await? {
        Sent::Id(id) => id,
        // Its answer was lost: found again by its mark, as one of its tasks.
        Sent::Found(job) => job.array.map_or(job.id, |a| a.array),
    };
    let wanted: HashSet<u64> = indices.iter().copied().collect();
    let tasks = read(p.fetch_job(&array).await?)?.into_iter().filter_map(|job| {
        let index = job.array.as_ref()?.index;
        wanted.contains(&index).then(|| SweepTask::new(index, attempt, job))
    });
    Ok(tasks.collect())
}

/// Every task of sweep `name`, every attempt: the array tasks named after it
/// that slurmctld holds, and those accounting holds that slurmctld forgot.
/// A task's attempts are counted in the order their arrays were made.
pub(super) async fn array_tasks(p: &SlurmProvider, name: &str) -> Result<Vec<SweepTask>> {
    let of_sweep = |job: &Job| job.array.is_some() && job.name.as_deref() == Some(name);
    let mut jobs: Vec<Job> = read(p.fetch_all().await?)?.into_iter().filter(of_sweep).collect();
    if let Some(accounted) = p.fetch_accounted_named(name).await? {
        let known: HashSet<String> = jobs.iter().map(|j| j.id.clone()).collect();
        jobs.extend(read(accounted)?.into_iter().filter(|j| of_sweep(j) && !known.contains(&j.id)));
    }
    jobs.sort_by_key(|job| job.array.as_ref().map(|a| a.array.parse::<u64>().unwrap_or(u64::MAX)));
    let mut attempts: BTreeMap<u64, u32> = BTreeMap::new();
    let tasks = jobs.into_iter().filter_map(|job| {
        let index = job.array.as_ref()?.index;
        let attempt = attempts.entry(index).or_default();
        *attempt += 1;
        Some(SweepTask::new(index, *attempt - 1, job))
    });
    Ok(tasks.collect())
}

/// Cancels `tasks` with one request for each array they are in (which
/// cancels every task of it not ended), then reads each back.
pub(super) async fn cancel_arrays(p: &SlurmProvider, tasks: &[SweepTask]) -> Result<Vec<(u64, Result<CancelOutcome>)>> {
    let arrays: BTreeSet<&str> = tasks.iter().filter_map(|t| Some(t.job.array.as_ref()?.array.as_str())).collect();
    let mut now: HashMap<String, Job> = HashMap::new();
    for array in arrays {
        p.stop_job(array).await?;
        now.extend(read(p.fetch_job(array).await?)?.into_iter().map(|job| (job.id.clone(), job)));
    }
    let outcome = |task: &SweepTask| match now.get(&task.job.id).cloned() {
        Some(job) if job.status == JobStatus::Canceled => CancelOutcome::Stopped(job),
        Some(job) if job.status.is_terminal() => CancelOutcome::AlreadyEnded(job),
        Some(job) => CancelOutcome::Accepted(job),
        None => CancelOutcome::Accepted(task.job.clone()),
    };
    Ok(tasks.iter().map(|task| (task.index, Ok(outcome(task)))).collect())
}

/// The jobs of an answer, read as every job is.
fn read(answer: Jobs) -> Result<Vec<Job>> {
    Ok(answer.read()?.into_iter().map(finish).collect())
}

/// The array's request: the template named after the sweep, its script the
/// command after the tasks' prelude, `GPUJOBS_SWEEP` in its environment.
fn array_request(sweep: &Sweep, indices: &[u64]) -> Result<SubmitRequest> {
    if sweep.template.name.is_some() {
        let why = "a sweep's array on Slurm is named after the sweep (its tasks are found by it): its template has no `name`";
        return Err(Error::refused(KIND, Field::Submit(SubmitField::Name), why));
    }
    let mut request = sweep.template.clone();
    request.name = Some(sweep.name.clone());
    request.env.insert(SWEEP_ENV.into(), sweep.name.clone());
    request.command = script(sweep, indices)?;
    Ok(request)
}

/// The array's batch script: the template's command, unchanged, after a
/// prelude that gives each task `GPUJOBS_TASK_INDEX` (Slurm's own
/// `SLURM_ARRAY_TASK_ID`) and its parameters, their values single-quoted.
/// A script of its own (`#!…`) must be one a POSIX shell runs.
fn script(sweep: &Sweep, indices: &[u64]) -> Result<String> {
    let command = sweep.template.command.as_str();
    if command.trim().is_empty() {
        return Err(Error::invalid(KIND, "Slurm needs a command, the batch script's body"));
    }
    // The prelude goes after the shebang and the comments under it (`#SBATCH` lines).
    let (head, body) = match command.lines().next() {
        Some(shebang) if shebang.starts_with("#!") => {
            if !runs_in_a_shell(shebang) {
                let why = format!(
                    "a sweep's tasks get their index and parameters on Slurm from a shell prelude: its command is a shell command or a sh or bash script, not `{}`",
                    crate::text::shorten(shebang)
                );
                return Err(Error::invalid(KIND, why));
            }
            let comments: usize = command.split_inclusive('\n').take_while(|line| line.starts_with('#')).map(str::len).sum();
            command.split_at(comments)
        }
        _ => ("#!/bin/bash\n", command),
    };
    let mut prelude = format!(
        "# gpujobs sweep {}: the task's index and parameters, by SLURM_ARRAY_TASK_ID\nexport {TASK_INDEX_ENV}=\"$SLURM_ARRAY_TASK_ID\"\n",
        sweep.name
    );
    let with_params: Vec<(u64, &BTreeMap<String, String>)> = indices.iter().filter_map(|i| Some((*i, sweep.tasks.params(*i)?))).collect();
    if !with_params.is_empty() {
        prelude.push_str("case \"$SLURM_ARRAY_TASK_ID\" in\n");
        for (index, params) in with_params.into_iter().filter(|(_, p)| !p.is_empty()) {
            let exports: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", shell_quote(v))).collect();
            prelude.push_str(&format!("{index}) export {} ;;\n", exports.join(" ")));
        }
        prelude.push_str("esac\n");
    }
    let head = match head.ends_with('\n') {
        true => head.to_owned(),
        false => format!("{head}\n"),
    };
    Ok(format!("{head}{prelude}{body}\n"))
}

/// Whether a shebang names a POSIX shell (`/bin/bash`, `/usr/bin/env sh`).
fn runs_in_a_shell(shebang: &str) -> bool {
    let mut words = shebang.trim_start_matches("#!").split_whitespace();
    let program = match words.next() {
        Some(env) if env.ends_with("/env") => words.find(|w| !w.starts_with('-')),
        program => program,
    };
    let name = program.and_then(|p| p.rsplit('/').next()).unwrap_or_default();
    matches!(name, "sh" | "bash" | "dash" | "ksh" | "zsh")
}

/// A value as one single-quoted shell word.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// Slurm's array expression of `indices`: runs as `START-END`, joined by
/// commas, the limit on tasks running at once after `%`.
fn array_spec(indices: &[u64], max_running: Option<u32>) -> String {
    let indices: BTreeSet<u64> = indices.iter().copied().collect();
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for index in indices {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == index => *end = index,
            _ => runs.push((index, index)),
        }
    }
    let mut spec: Vec<String> = runs
        .into_iter()
        .map(|(start, end)| match start == end {
            true => start.to_string(),
            false => format!("{start}-{end}"),
        })
        .collect();
    if let (Some(limit), Some(last)) = (max_running, spec.last_mut()) {
        last.push_str(&format!("%{limit}"));
    }
    spec.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::Tasks;

    fn sweep(command: &str, tasks: Tasks) -> Sweep {
        Sweep::new("lr", SubmitRequest::new(command), tasks)
    }

    #[test]
    fn an_array_is_named_by_its_runs_and_its_limit() {
        assert_eq!(array_spec(&[0, 1, 2, 3], Some(2)), "0-3%2");
        assert_eq!(array_spec(&[7, 3, 4, 9, 10, 12], None), "3-4,7,9-10,12");
        assert_eq!(array_spec(&[5], Some(1)), "5%1");
    }

    #[test]
    fn each_task_gets_its_index_and_quoted_parameters_the_command_untouched() {
        let params = vec![
            BTreeMap::from([("LR".to_owned(), "0.1".to_owned())]),
            BTreeMap::from([("NOTE".to_owned(), "it's $HOME; rm -rf /".to_owned())]),
        ];
        let text = script(&sweep("python train.py --lr $LR", Tasks::Params(params)), &[0, 1]).unwrap();
        assert!(text.starts_with("#!/bin/bash\n# gpujobs sweep lr"), "{text}");
        assert!(text.contains("export GPUJOBS_TASK_INDEX=\"$SLURM_ARRAY_TASK_ID\"\n"));
        assert!(text.contains("0) export LR='0.1' ;;\n"));
        assert!(text.contains(r"1) export NOTE='it'\''s $HOME; rm -rf /' ;;"), "{text}");
        assert!(text.ends_with("esac\npython train.py --lr $LR\n"), "{text}");
        // A retry's prelude names only the tasks retried.
        let retried = script(&sweep("x", Tasks::Params(vec![BTreeMap::from([("A".into(), "1".into())]); 3])), &[2]).unwrap();
        assert!(retried.contains("2) export A='1'") && !retried.contains("0) export"), "{retried}");
    }

    #[test]
    fn a_script_of_its_own_keeps_its_shebang_and_directives_first() {
        let text = script(&sweep("#!/usr/bin/env bash\n#SBATCH --foo\necho hi", Tasks::Range(0..2)), &[0, 1]).unwrap();
        assert!(text.starts_with("#!/usr/bin/env bash\n#SBATCH --foo\n# gpujobs sweep lr"), "{text}");
        assert!(text.ends_with("echo hi\n"), "{text}");
        let python = script(&sweep("#!/usr/bin/python3\nprint(1)", Tasks::Range(0..1)), &[0]);
        assert!(matches!(python, Err(Error::InvalidRequest { .. })), "{python:?}");
        let named = Sweep::new("lr", SubmitRequest::new("x").name("mine"), Tasks::Range(0..1));
        assert!(matches!(array_request(&named, &[0]), Err(e) if e.fields() == [Field::Submit(SubmitField::Name)]));
    }
}
