//! `list`, `get` and `cancel`: jobs shown, or stopped, a few requests at a time.

use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use gpujobs::{CancelOutcome, Job, JobProvider, ListOptions};
use serde_json::json;

use crate::cli::Output;
use crate::context::Context;
use crate::emit::emit;
use crate::failure::Failure;
use crate::output::{JobView, Printer, one_line, status_text};

/// `list`: every provider asked (the one chosen, or every configured one) at once.
pub async fn list(
    context: &Context,
    printer: &Printer,
    options: ListOptions,
) -> Result<u8, Failure> {
    let mut code = 0;
    let mut providers = Vec::new();
    for kind in context.all()? {
        match context.connect(kind) {
            Ok(provider) => providers.push(provider),
            Err(f) => f.report(&mut code),
        }
    }
    if printer.output == Output::Ndjson {
        // One line per job as soon as its page arrives, from every provider at once.
        let mut jobs =
            futures_util::stream::select_all(providers.iter().map(|p| p.list(options.clone())));
        while let Some(job) = jobs.next().await {
            match job {
                Ok(job) => emit(&printer.job(&job)),
                Err(e) => context.explain_error(e).report(&mut code),
            }
        }
        return Ok(code);
    }
    let providers: Vec<(String, _)> = providers
        .into_iter()
        .map(|p| (p.kind().to_string(), p))
        .collect();
    let jobs: Vec<Job> = list_all(context, &providers, &options, "", &mut code)
        .await
        .into_iter()
        .map(|(_, job)| job)
        .collect();
    // `-o name` with no job prints nothing (not an empty line).
    let names_of_none = jobs.is_empty() && printer.output == Output::Name;
    if !names_of_none && (code == 0 || !jobs.is_empty() || printer.output != Output::Table) {
        emit(&printer.jobs(&jobs));
    }
    Ok(code)
}

/// `list --all-contexts`: every context of the config file asked at once,
/// each job with its context's name (a failing context reported, the rest shown).
pub async fn list_contexts(
    context: &Context,
    printer: &Printer,
    options: ListOptions,
) -> Result<u8, Failure> {
    let mut code = 0;
    let mut providers = Vec::new();
    for named in context.contexts()?.iter() {
        match context.connect_context(&named.name) {
            Ok(provider) => providers.push((named.name.clone(), provider)),
            Err(f) => f.report(&mut code),
        }
    }
    let jobs = list_all(context, &providers, &options, "context ", &mut code).await;
    if !(jobs.is_empty() && printer.output == Output::Name) {
        emit(&printer.jobs_of_contexts(&jobs));
    }
    Ok(code)
}

/// Every one of `providers` listed at once, each job with its provider's
/// label, in their order; a failing one reported (its message led by
/// `lead` and the label, where `lead` is given), the rest kept.
async fn list_all(
    context: &Context,
    providers: &[(String, Arc<dyn JobProvider>)],
    options: &ListOptions,
    lead: &str,
    code: &mut u8,
) -> Vec<(String, Job)> {
    let answers = futures_util::future::join_all(
        providers
            .iter()
            .map(|(_, p)| p.list(options.clone()).try_collect::<Vec<Job>>()),
    )
    .await;
    let mut jobs = Vec::new();
    for ((label, _), answer) in providers.iter().zip(answers) {
        match answer {
            Ok(found) => jobs.extend(found.into_iter().map(|job| (label.clone(), job))),
            Err(e) => {
                let mut failed = context.explain_error(e);
                if !lead.is_empty() {
                    failed.message = format!("{lead}{label}: {}", failed.message);
                }
                failed.report(code);
            }
        }
    }
    jobs
}

/// Requests in flight at once for `get` and `cancel` of several jobs.
const CONCURRENT: usize = 16;

/// `get`: one job as before; several, a few at a time, printed in the order
/// given (`-o ndjson` and `-o name` as each arrives), each failure reported.
pub async fn get(context: &Context, printer: &Printer, ids: &[String]) -> Result<u8, Failure> {
    let targets = context.targets(ids)?;
    if let [(provider, id)] = &targets[..] {
        emit(&printer.job(&context.explain(provider.get(id).await)?));
        return Ok(0);
    }
    let mut answers = futures_util::stream::iter(&targets)
        .map(|(provider, id)| provider.get(id))
        .buffered(CONCURRENT);
    let (mut code, mut jobs) = (0, Vec::new());
    let streaming = matches!(printer.output, Output::Ndjson | Output::Name);
    while let Some(answer) = answers.next().await {
        match answer {
            Ok(job) if streaming => emit(&printer.job(&job)),
            Ok(job) => jobs.push(job),
            Err(e) => context.failure(&e).report(&mut code),
        }
    }
    if !streaming && (!jobs.is_empty() || printer.output == Output::Json) {
        emit(&printer.jobs(&jobs));
    }
    Ok(code)
}

/// `cancel`: each job's outcome, a few at a time, in the order given.
pub async fn cancel(context: &Context, printer: &Printer, ids: &[String]) -> Result<u8, Failure> {
    let targets = context.targets(ids)?;
    if let [(provider, id)] = &targets[..] {
        emit(&cancel_text(
            printer,
            &context.explain(provider.cancel(id).await)?,
        ));
        return Ok(0);
    }
    let mut outcomes = futures_util::stream::iter(&targets)
        .map(|(provider, id)| provider.cancel(id))
        .buffered(CONCURRENT);
    let mut code = 0;
    while let Some(outcome) = outcomes.next().await {
        match outcome {
            Ok(outcome) => emit(&cancel_text(printer, &outcome)),
            Err(e) => context.failure(&e).report(&mut code),
        }
    }
    Ok(code)
}

/// What `cancel` says of one job.
pub(super) fn cancel_text(printer: &Printer, outcome: &CancelOutcome) -> String {
    let (what, job) = match outcome {
        CancelOutcome::Stopped(job) => ("stopped", job),
        CancelOutcome::Accepted(job) => ("accepted", job),
        CancelOutcome::AlreadyEnded(job) => ("already_ended", job),
        _ => ("unknown", outcome.job()),
    };
    match printer.output {
        Output::Name => one_line(&job.id),
        Output::Table => {
            let said = match what {
                "stopped" => "stopped".to_owned(),
                "accepted" => {
                    "cancel accepted; the provider finishes it shortly (`gpujobs wait` to follow)"
                        .to_owned()
                }
                _ => "had already ended; nothing was changed".to_owned(),
            };
            format!(
                "{} {}: {said} — now {}",
                job.provider,
                one_line(&job.id),
                status_text(&job.status)
            )
        }
        _ => printer.json(
            &json!({ "outcome": what, "job": JobView::from(job) }),
            printer.output == Output::Json,
        ),
    }
}
