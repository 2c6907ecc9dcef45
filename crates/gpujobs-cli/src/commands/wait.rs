//! `wait` and `watch`: one job polled until it ends, or many through
//! `wait_all`, with a spinner or a progress line on a terminal.

use std::io::IsTerminal;

use futures_util::{StreamExt, TryStreamExt};
use gpujobs::{Error, Job, JobProviderExt, JobStatus, ListOptions, WaitOptions};

use crate::cli::{Output, WaitArgs, WaitTiming};
use crate::context::Context;
use crate::emit::emit;
use crate::failure::Failure;
use crate::output::{JobView, Printer, one_line, status_text};
use crate::progress::{print_above, progress_bar, spinner};

/// `wait` and `watch`: one job as before (a line per status change with
/// `watch`); several, or `--all`, through `wait_all`.
pub async fn wait(
    context: &Context,
    printer: &Printer,
    args: &WaitArgs,
    watch: bool,
) -> Result<u8, Failure> {
    match (&args.ids[..], args.all) {
        ([id], false) => wait_one(context, printer, args, id, watch).await,
        _ => wait_many(context, printer, args, watch).await,
    }
}

/// The wait's options from the command line.
pub fn wait_options(timing: &WaitTiming) -> WaitOptions {
    WaitOptions::default()
        .timeout(timing.timeout)
        .intervals(timing.interval, timing.max_interval)
}

/// Many jobs, or `--all`: their ends reported as [`report_ends`] does.
async fn wait_many(
    context: &Context,
    printer: &Printer,
    args: &WaitArgs,
    watch: bool,
) -> Result<u8, Failure> {
    if !args.all {
        // Grouped by provider (`CONTEXT/ID` names another), each group waited for as one.
        let mut groups: Vec<(std::sync::Arc<dyn gpujobs::JobProvider>, Vec<String>)> = Vec::new();
        for (provider, id) in context.targets(&args.ids)? {
            match groups
                .iter_mut()
                .find(|(p, _)| std::sync::Arc::ptr_eq(p, &provider))
            {
                Some((_, ids)) => ids.push(id),
                None => groups.push((provider, vec![id])),
            }
        }
        let options = wait_options(&args.timing);
        let ends = futures_util::stream::select_all(
            groups
                .into_iter()
                .map(|(provider, ids)| provider.wait_all(ids, &options)),
        );
        let total = args.ids.len() as u64;
        return report_ends(context, printer, ends.boxed(), total, &args.timing, watch).await;
    }
    let provider = context.one()?;
    let jobs: Vec<Job> = provider
        .list(ListOptions::default())
        .try_collect()
        .await
        .map_err(|e| context.failure(&e))?;
    let ids: Vec<String> = jobs
        .into_iter()
        .filter(|j| !j.status.is_terminal())
        .map(|j| j.id)
        .collect();
    if ids.is_empty() {
        eprintln!("note: no {} job was running", provider.kind());
    }
    let total = ids.len() as u64;
    let ends = provider.wait_all(ids, &wait_options(&args.timing));
    report_ends(context, printer, ends, total, &args.timing, watch).await
}

/// Each end of `ends` (of `total` jobs) as it comes: printed as it ends
/// (`-o ndjson`, `-o name`, and with `watch` a line), a table or array of
/// them all at the end otherwise, a progress line on a terminal. Exit 0 if
/// all succeeded, 1 if any did not (or is gone), 3 if the time ran out
/// first, naming the jobs still running.
pub async fn report_ends(
    context: &Context,
    printer: &Printer,
    mut ends: futures_util::stream::BoxStream<'static, gpujobs::Ended>,
    total: u64,
    timing: &WaitTiming,
    watch: bool,
) -> Result<u8, Failure> {
    let progress = (printer.output == Output::Table && std::io::stderr().is_terminal())
        .then(|| progress_bar(total));
    let streaming = watch || matches!(printer.output, Output::Ndjson | Output::Name);
    let (mut code, mut failed, mut ended, mut still_running) = (0, 0u64, Vec::new(), Vec::new());
    while let Some((id, end)) = ends.next().await {
        match end {
            Ok(job) => {
                if job.status != JobStatus::Succeeded {
                    failed += 1;
                    code = code.max(1);
                }
                let line = match (watch, printer.output) {
                    (true, Output::Table) => Some(change_line(printer, &job)),
                    _ if streaming => Some(printer.job(&job)),
                    _ => None,
                };
                if let Some(line) = line {
                    print_above(progress.as_ref(), &line);
                }
                ended.push(job);
            }
            Err(Error::Timeout { .. }) => still_running.push(id),
            Err(e) => {
                failed += 1;
                let f = context.failure(&e);
                code = code.max(1);
                match &progress {
                    Some(bar) => bar.suspend(|| f.report(&mut code)),
                    None => f.report(&mut code),
                }
            }
        }
        if let Some(bar) = &progress {
            bar.inc(1);
            let running = total - bar.position();
            bar.set_message(format!("{failed} failed, {running} running"));
        }
    }
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if !streaming && (!ended.is_empty() || printer.output == Output::Json) {
        emit(&printer.jobs(&ended));
    }
    if !still_running.is_empty() {
        let shown: Vec<String> = still_running
            .iter()
            .take(20)
            .map(|id| one_line(id))
            .collect();
        let more = still_running.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        return Err(Failure {
            code: 3,
            message: format!(
                "timed out after {} (--timeout) with {} of {total} jobs still running: {}{more}",
                humantime::format_duration(timing.timeout),
                still_running.len(),
                shown.join(", ")
            ),
        });
    }
    Ok(code)
}

/// One job: polls until it ends; with `watch`, a line per status change.
async fn wait_one(
    context: &Context,
    printer: &Printer,
    args: &WaitArgs,
    id: &str,
    watch: bool,
) -> Result<u8, Failure> {
    let (provider, id) = context
        .targets(std::slice::from_ref(&id.to_owned()))?
        .remove(0);
    let id = id.as_str();
    let mut changes = provider.watch(id, &wait_options(&args.timing));
    let spinner = (!watch && printer.output == Output::Table && std::io::stderr().is_terminal())
        .then(|| spinner(id));
    let mut last: Option<Job> = None;
    while let Some(change) = changes.next().await {
        let job = match change {
            Ok(job) => job,
            Err(e) => {
                if let Some(spinner) = &spinner {
                    spinner.finish_and_clear();
                }
                return Err(context.failure(&e));
            }
        };
        if let Some(spinner) = &spinner {
            spinner.set_message(format!("{}: {}", one_line(id), status_text(&job.status)));
        }
        if watch {
            emit(&change_line(printer, &job));
        }
        last = Some(job);
    }
    if let Some(spinner) = &spinner {
        spinner.finish_and_clear();
    }
    let job = last.ok_or_else(|| Failure {
        code: 6,
        message: format!("{}: no answer for job {}", provider.kind(), one_line(id)),
    })?;
    if !watch {
        emit(&printer.job(&job));
    }
    Ok(match job.status {
        JobStatus::Succeeded => 0,
        _ => 1,
    })
}

/// One status change: `12:04:05  ray  raysubmit_x  running (RUNNING)`, or one JSON object.
fn change_line(printer: &Printer, job: &Job) -> String {
    match printer.output {
        Output::Table => format!(
            "{}  {}  {}  {} ({})",
            chrono::Local::now().format("%H:%M:%S"),
            job.provider,
            one_line(&job.id),
            status_text(&job.status),
            one_line(&job.provider_status)
        ),
        Output::Name => one_line(&job.id),
        _ => printer.json(&JobView::from(job), false),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use clap::Parser;
    use gpujobs::{JobProvider, JobProviderExt, ProviderKind};
    use gpujobs_runtime::{Clock, ManualClock};
    use gpujobs_sandbox::{JobSpec, Sandbox, SandboxConfig, Timing};

    use crate::cli::{Cli, Command};

    /// `gpujobs wait`'s defaults notice a job's end within `--max-interval`'s
    /// 5 s (they used to back off to 30 s): on one manual clock shared by the
    /// sandbox and the waiter, so the machine's load cannot move the answer.
    #[tokio::test]
    async fn the_defaults_notice_the_end_within_the_longest_interval() {
        let Command::Wait(args) = Cli::try_parse_from(["gpujobs", "-p", "ray", "wait", "j1"])
            .unwrap()
            .command
        else {
            panic!("not a wait");
        };
        let clock = ManualClock::new();
        let timing = Timing {
            queued: Duration::from_secs(1),
            starting: Duration::from_secs(1),
            running: Duration::from_secs(6),
            cancel: Duration::from_secs(1),
        };
        let config = SandboxConfig::default()
            .empty()
            .timing(timing)
            .clock(Arc::new(clock.clone()));
        let sandbox = Sandbox::start(config).await.unwrap();
        let provider: Arc<dyn JobProvider> = sandbox.provider(ProviderKind::Ray).unwrap();
        let id = sandbox
            .add_job(ProviderKind::Ray, JobSpec::new("python train.py"))
            .unwrap();
        let started = clock.now();
        let options = super::wait_options(&args.timing).clock(Arc::new(clock.clone()));
        let job = provider.wait(&id, &options).await.unwrap();
        let noticed = clock.now() - started;
        assert_eq!(job.status, gpujobs::JobStatus::Succeeded);
        let ends_after = Duration::from_secs(8);
        assert!(
            noticed >= ends_after && noticed <= ends_after + args.timing.max_interval,
            "ended at {ends_after:?}, noticed at {noticed:?} (max interval {:?})",
            args.timing.max_interval
        );
        assert_eq!(
            args.timing.max_interval,
            Duration::from_secs(5),
            "the default"
        );
    }
}
