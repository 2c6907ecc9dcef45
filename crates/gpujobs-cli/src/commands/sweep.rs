//! `submit --sweep` and `sweep status|wait|cancel|retry`: a sweep is defined
//! by the command line that submits it, and every step reads it back from the
//! provider, so any of them can be run again after a crash.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use gpujobs::sweep::{self, Sweep, SweepEvent, SweepReport, SweepStatus, SweepTask, Tasks};
use gpujobs::{JobProvider, ProviderKind, WaitOptions};
use serde_json::json;

use super::jobs::cancel_text;
use super::submit::submit_request;
use super::wait::{report_ends, wait_options};
use crate::cli::{Output, SubmitArgs, SweepCommand};
use crate::context::Context;
use crate::emit::emit;
use crate::failure::Failure;
use crate::output::{JobView, Printer, one_line, table};
use crate::progress::{print_above, task_bar};

/// How long a submit with `--max-running` waits, in all, for running tasks
/// to make room (the rest is submitted by the next run).
const ROOM_WAIT: Duration = Duration::from_secs(30 * 24 * 3600);

/// The largest `--params` file read.
const MOST_PARAMS_BYTES: u64 = 256 << 20;

/// `submit --sweep`: the tasks the provider does not have yet, each exactly
/// once; a line per task with `-o ndjson` or `-o name`, a summary otherwise,
/// a progress line on a terminal. Exit 0 if every task is in.
pub async fn submit(
    context: &Context,
    printer: &Printer,
    args: &SubmitArgs,
) -> Result<u8, Failure> {
    let provider = context.one()?;
    let sweep = sweep_of(args, provider.kind())?;
    let total = sweep.tasks.len();
    let report = submit_with(context, printer, provider.clone(), &sweep, total, false).await?;
    emit_report(printer, &sweep.name, provider.kind(), total, report.0);
    Ok(report.1)
}

/// `sweep …`.
pub async fn run(
    context: &Context,
    printer: &Printer,
    command: &SweepCommand,
) -> Result<u8, Failure> {
    let provider = context.one()?;
    match command {
        SweepCommand::Status { name } => {
            let status = sweep::sweep_status(provider.as_ref(), name)
                .await
                .map_err(|e| context.failure(&e))?;
            if status.tasks == 0 {
                let none = gpujobs::Error::not_found(
                    provider.kind(),
                    format!("no task of sweep {}", one_line(name)),
                );
                return Err(context.failure(&none));
            }
            emit(&status_text(printer, &status));
            Ok(0)
        }
        SweepCommand::Wait { name, timing } => {
            let (total, ends) = sweep::wait_sweep(provider, name, &wait_options(timing))
                .await
                .map_err(|e| context.failure(&e))?;
            report_ends(context, printer, ends, total as u64, timing, timing.watch).await
        }
        SweepCommand::Cancel { name } => {
            let outcomes = sweep::cancel_sweep(provider.clone(), name)
                .await
                .map_err(|e| context.failure(&e))?;
            let mut code = 0;
            if outcomes.is_empty() && printer.output == Output::Table {
                eprintln!(
                    "note: every task of sweep {} had already ended",
                    one_line(name)
                );
            }
            for (_, outcome) in outcomes {
                match outcome {
                    Ok(outcome) => emit(&cancel_text(printer, &outcome)),
                    Err(e) => context.failure(&e).report(&mut code),
                }
            }
            Ok(code)
        }
        SweepCommand::Retry(args) => {
            let sweep = sweep_of(args, provider.kind())?;
            let total = sweep.tasks.len();
            let (report, code) =
                submit_with(context, printer, provider.clone(), &sweep, total, true).await?;
            emit_report(printer, &sweep.name, provider.kind(), total, report);
            Ok(code)
        }
    }
}

/// Submits (or, with `retry`, retries the failed tasks of) `sweep`, saying
/// each task as it goes: the report, and the exit code.
async fn submit_with(
    context: &Context,
    printer: &Printer,
    provider: Arc<dyn JobProvider>,
    sweep: &Sweep,
    total: u64,
    retry: bool,
) -> Result<(SweepReport, u8), Failure> {
    let progress = (printer.output == Output::Table && std::io::stderr().is_terminal())
        .then(|| task_bar(total));
    let streaming = matches!(printer.output, Output::Ndjson | Output::Name);
    let mut code = 0;
    let on_event = |event: &SweepEvent| {
        let line = match event {
            SweepEvent::Present(task) => task_line(printer, "present", task),
            SweepEvent::Submitted(task) => task_line(printer, "submitted", task),
            SweepEvent::Failed { index, error } => {
                let mut failure = context.failure(error);
                failure.message = format!("task {index}: {}", failure.message);
                match &progress {
                    Some(bar) => bar.suspend(|| failure.report(&mut code)),
                    None => failure.report(&mut code),
                }
                None
            }
            _ => None,
        };
        if let Some(line) = line.filter(|_| streaming) {
            print_above(progress.as_ref(), &line);
        }
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    };
    let options = WaitOptions::default().timeout(ROOM_WAIT);
    let report = match retry {
        false => sweep::submit_sweep(provider, sweep, &options, on_event).await,
        true => sweep::retry_failed(provider, sweep, on_event).await,
    };
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    Ok((report.map_err(|e| context.failure(&e))?, code))
}

/// One task as `-o ndjson` (`{event, index, attempt, job}`) or `-o name` says it.
fn task_line(printer: &Printer, event: &str, task: &SweepTask) -> Option<String> {
    match printer.output {
        Output::Name => Some(one_line(&task.job.id)),
        Output::Ndjson => Some(printer.json(
            &json!({ "event": event, "index": task.index, "attempt": task.attempt, "job": JobView::from(&task.job) }),
            false,
        )),
        _ => None,
    }
}

/// What a submit of a sweep did, in all (`-o table` and `-o json`).
fn emit_report(printer: &Printer, name: &str, kind: ProviderKind, total: u64, report: SweepReport) {
    match printer.output {
        Output::Table => emit(&format!(
            "sweep {} on {kind}: {} of {total} tasks already there, {} submitted, {} failed (`gpujobs sweep status {}`)",
            one_line(name),
            report.present,
            report.submitted,
            report.failed,
            one_line(name),
        )),
        Output::Json => emit(&printer.json(
            &json!({ "sweep": name, "provider": kind, "tasks": total, "report": report }),
            true,
        )),
        _ => {}
    }
}

/// A sweep's counts: a table row (failures by cause under it), or its JSON.
fn status_text(printer: &Printer, status: &SweepStatus) -> String {
    match printer.output {
        Output::Table => {
            let header = [
                "SWEEP",
                "TASKS",
                "QUEUED",
                "RUNNING",
                "SUCCEEDED",
                "FAILED",
                "CANCELED",
            ];
            let row = vec![
                one_line(&status.name),
                status.tasks.to_string(),
                status.queued.to_string(),
                status.running.to_string(),
                status.succeeded.to_string(),
                status.failed_total().to_string(),
                status.canceled.to_string(),
            ];
            let mut text = table(&header, vec![row], None, &[]);
            if !status.failed.is_empty() {
                let causes: Vec<String> = status
                    .failed
                    .iter()
                    .map(|(cause, n)| format!("{cause} {n}"))
                    .collect();
                text.push_str(&format!("\nfailed by cause: {}", causes.join(", ")));
            }
            if status.unknown > 0 {
                text.push_str(&format!(
                    "\nin a status gpujobs does not know: {}",
                    status.unknown
                ));
            }
            text
        }
        Output::Name => one_line(&status.name),
        output => printer.json(status, output == Output::Json),
    }
}

/// The sweep the command line describes, for `kind`.
fn sweep_of(args: &SubmitArgs, kind: ProviderKind) -> Result<Sweep, Failure> {
    let given = &args.sweep;
    let name = given
        .sweep
        .clone()
        .ok_or_else(|| Failure::usage("a sweep needs its name: --sweep NAME"))?;
    if args.id.is_some() {
        return Err(Failure::usage(
            "--id and --sweep: each task's id is derived from the sweep's name and its index",
        ));
    }
    let template = submit_request(args, kind)?;
    let (tasks, limit) = match (&given.array, &given.params) {
        (Some(spec), params) => {
            let (range, limit) =
                sweep::parse_array(spec).map_err(|e| Failure::usage(format!("--array {e}")))?;
            let tasks = match params {
                None => Tasks::Range(range),
                Some(file) => {
                    let params = read_params(file)?;
                    if range != (0..params.len() as u64) {
                        return Err(Failure::usage(format!(
                            "--array {spec} and --params: the file has {} tasks (0-{}); give --max-running for a limit",
                            params.len(),
                            params.len().saturating_sub(1)
                        )));
                    }
                    Tasks::Params(params)
                }
            };
            (tasks, limit)
        }
        (None, Some(file)) => (Tasks::Params(read_params(file)?), None),
        (None, None) => {
            return Err(Failure::usage(
                "a sweep needs its tasks: --array START-END[%N] or --params FILE",
            ));
        }
    };
    let limit = match (limit, given.max_running) {
        (Some(a), Some(b)) if a != b => {
            return Err(Failure::usage(format!(
                "--array …%{a} and --max-running {b}: one limit"
            )));
        }
        (a, b) => a.or(b),
    };
    let mut sweep =
        Sweep::new(name, template, tasks).submit_concurrency(given.submit_concurrency as usize);
    if let Some(limit) = limit {
        sweep = sweep.max_running(limit);
    }
    Ok(sweep)
}

/// A `--params` file: one JSON object a line (blank lines skipped), its
/// values strings, numbers or booleans.
fn read_params(file: &Path) -> Result<Vec<std::collections::BTreeMap<String, String>>, Failure> {
    use std::io::Read;
    let unreadable =
        |e: std::io::Error| Failure::usage(format!("--params {}: {e}", file.display()));
    let mut text = String::new();
    std::fs::File::open(file)
        .map_err(unreadable)?
        .take(MOST_PARAMS_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(unreadable)?;
    if text.len() as u64 > MOST_PARAMS_BYTES {
        return Err(Failure::usage(format!(
            "--params {}: larger than 256 MiB",
            file.display()
        )));
    }
    let mut tasks = Vec::new();
    for (at, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let wrong = |why: &str| {
            Failure::usage(format!(
                "--params {} line {}: {why}",
                file.display(),
                at + 1
            ))
        };
        let object: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).map_err(|e| wrong(&format!("not a JSON object ({e})")))?;
        let mut params = std::collections::BTreeMap::new();
        for (key, value) in object {
            let value = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => {
                    return Err(wrong(&format!(
                        "`{}` is not a string, number or boolean",
                        one_line(&key)
                    )));
                }
            };
            params.insert(key, value);
        }
        tasks.push(params);
    }
    if tasks.is_empty() {
        return Err(Failure::usage(format!(
            "--params {}: no task in it",
            file.display()
        )));
    }
    Ok(tasks)
}
