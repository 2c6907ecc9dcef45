//! Running a parsed command line.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use gpujobs::{
    CancelOutcome, Error, Job, JobProvider, JobProviderExt, JobStatus, ListOptions, Logs,
    ProviderConfig, ProviderKind, SubmitRequest, WaitOptions,
};
use gpujobs_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

use crate::cli::{Cli, Command, Output, SubmitArgs};
use crate::output::{JobView, Printer, one_line, status_text};

/// How the process ends: its exit code and, for failures, one line for stderr.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }
}

/// The exit code for an error, and its line with a hint of what to do.
pub fn failure(error: &Error) -> Failure {
    let provider = error.provider();
    let env = provider.descriptor().env;
    let code = match error {
        Error::NotFound { .. } => 4,
        Error::Unauthenticated { .. } | Error::PermissionDenied { .. } => 5,
        Error::Timeout { .. } => 3,
        Error::InvalidRequest { .. } | Error::Unsupported { .. } | Error::Config { .. } => 2,
        _ => 6,
    };
    let message = error.to_string();
    let hint = match error {
        Error::Unauthenticated { .. } | Error::PermissionDenied { .. } => env
            .credential
            .filter(|var| !message.contains(var))
            .map(|var| format!(" (check {var})")),
        Error::Transport { .. } => Some(format!(
            " (is it reachable? set {} or --base-url)",
            env.base_url
        )),
        Error::NotFound { .. } => Some(format!(" (`gpujobs -p {provider} list` shows the jobs)")),
        Error::Unsupported { .. } => {
            Some(" (`gpujobs providers` shows what each provider supports)".into())
        }
        Error::ResponseTooLarge { .. } => Some(" (--max-response-size raises it)".into()),
        Error::Paging { .. } => Some(" (--max-pages raises the page limit)".into()),
        _ => None,
    };
    let line = format!("{message}{}", hint.unwrap_or_default());
    // Provider text is in the message: one line, with control characters escaped.
    Failure {
        code,
        message: crate::output::one_line(&line),
    }
}

/// Runs `cli`; the exit code on success (0, or 1 for a `wait` whose job did not succeed).
pub async fn run(cli: Cli) -> Result<u8, Failure> {
    let context = Context::new(&cli).await?;
    // After the sandbox (if any) made its jobs, so "42m ago" never reads 41.
    let printer = printer(&cli);
    let mut out = std::io::stdout().lock();
    let mut print = |text: &str| {
        // A closed stdout (e.g. `| head`) is not an error worth a message.
        let _ = writeln!(out, "{text}");
    };
    match &cli.command {
        Command::Get { id } => {
            print(&printer.job(&context.one()?.get(id).await.map_err(|e| failure(&e))?))
        }
        Command::List {
            statuses,
            limit,
            max_pages,
        } => {
            let mut options = ListOptions::default();
            options.statuses = statuses.clone();
            options.limit = *limit;
            options.max_pages = *max_pages;
            return list(&context, &printer, options).await;
        }
        Command::Cancel { id } => {
            let outcome = context.one()?.cancel(id).await.map_err(|e| failure(&e))?;
            print(&cancel_text(&printer, &outcome));
        }
        Command::Wait { id, wait_for } => return wait(&context, &printer, id, *wait_for).await,
        Command::Logs { id } => print(&logs_text(
            &printer,
            context.one()?.logs(id).await.map_err(|e| failure(&e))?,
        )),
        Command::Submit(args) => {
            let job = context
                .one()?
                .submit(&submit_request(args))
                .await
                .map_err(|e| failure(&e))?;
            print(&printer.job(&job));
        }
        Command::Providers => print(&providers_text(&printer)),
        Command::Schema => print(&printer.json(&schemars::schema_for!(JobView), true)),
        Command::Sandbox { addr } => {
            let sandbox = Sandbox::start(SandboxConfig::default().addr(*addr))
                .await
                .map_err(|e| Failure {
                    code: 6,
                    message: format!("cannot start the sandbox on {addr}: {e}"),
                })?;
            print(&sandbox.banner());
            let _ = tokio::signal::ctrl_c().await;
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "gpujobs",
                &mut std::io::stdout(),
            );
        }
    }
    Ok(0)
}

fn printer(cli: &Cli) -> Printer {
    let terminal = std::io::stdout().is_terminal();
    Printer {
        output: cli.output,
        show_secrets: cli.show_secrets,
        color: terminal && std::env::var_os("NO_COLOR").is_none(),
        width: terminal
            .then(|| terminal_size::terminal_size().map_or(100, |(w, _)| usize::from(w.0))),
        now: chrono::Utc::now(),
    }
}

/// The providers the command line points at, and the sandbox if one was started.
struct Context {
    provider: Option<ProviderKind>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    max_response_bytes: Option<u64>,
    sandbox: Option<Sandbox>,
}

impl Context {
    async fn new(cli: &Cli) -> Result<Self, Failure> {
        let sandbox = match cli.sandbox {
            true => Some(
                Sandbox::start(SandboxConfig::default().seed(42))
                    .await
                    .map_err(|e| Failure {
                        code: 6,
                        message: format!("cannot start the built-in sandbox: {e}"),
                    })?,
            ),
            false => None,
        };
        Ok(Self {
            provider: cli.provider,
            base_url: cli.base_url.clone(),
            timeout: cli.timeout,
            max_response_bytes: cli.max_response_size,
            sandbox,
        })
    }

    fn connect(&self, kind: ProviderKind) -> Result<Arc<dyn JobProvider>, Failure> {
        let mut config = match &self.sandbox {
            Some(sandbox) => sandbox.provider_config(kind),
            None => {
                let mut config = ProviderConfig::new(kind);
                config
                    .apply_env(|name| std::env::var(name).ok())
                    .map_err(|e| failure(&e))?;
                config
            }
        };
        if let Some(url) = &self.base_url {
            config.base_url = Some(url.clone());
        }
        if let Some(bytes) = self.max_response_bytes {
            config.max_response_bytes = bytes;
        }
        if let Some(timeout) = self.timeout {
            config.operation_timeout = timeout;
            config.attempt_timeout = config.attempt_timeout.min(timeout);
        }
        gpujobs::connect(config).map_err(|e| failure(&e))
    }

    /// The one provider a command acts on.
    fn one(&self) -> Result<Arc<dyn JobProvider>, Failure> {
        let kind = self.provider.ok_or_else(|| {
            let names: Vec<&str> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
            Failure::usage(format!(
                "choose a provider with -p/--provider ({}) or GPUJOBS_PROVIDER",
                names.join(", ")
            ))
        })?;
        self.connect(kind)
    }

    /// The providers `list` covers: the chosen one, or every configured one.
    fn all(&self) -> Result<Vec<ProviderKind>, Failure> {
        if let Some(kind) = self.provider {
            return Ok(vec![kind]);
        }
        if self.base_url.is_some() {
            return Err(Failure::usage(
                "--base-url needs a provider: add -p/--provider",
            ));
        }
        let configured: Vec<ProviderKind> = match &self.sandbox {
            Some(_) => ProviderKind::ALL.to_vec(),
            None => ProviderKind::ALL
                .iter()
                .copied()
                .filter(|k| {
                    let env = k.descriptor().env;
                    let set = |var: &str| std::env::var(var).is_ok_and(|v| !v.trim().is_empty());
                    env.credential.map_or_else(|| set(env.base_url), set)
                })
                .collect(),
        };
        match configured.is_empty() {
            true => {
                // A provider counts as configured by its credential, or its base URL if it takes none.
                let variables: Vec<&str> = ProviderKind::ALL
                    .iter()
                    .map(|k| k.descriptor().env)
                    .map(|env| env.credential.unwrap_or(env.base_url))
                    .collect();
                Err(Failure::usage(format!(
                    "no provider is configured: set {}, pass -p, or try --sandbox",
                    variables.join(", ")
                )))
            }
            false => Ok(configured),
        }
    }
}

async fn list(context: &Context, printer: &Printer, options: ListOptions) -> Result<u8, Failure> {
    let mut code = 0;
    let mut providers = Vec::new();
    for kind in context.all()? {
        match context.connect(kind) {
            Ok(provider) => providers.push(provider),
            Err(f) => report(&mut code, f),
        }
    }
    if printer.output == Output::Ndjson {
        // One line per job as soon as its page arrives, from every provider at once.
        let mut jobs =
            futures_util::stream::select_all(providers.iter().map(|p| p.list(options.clone())));
        while let Some(job) = jobs.next().await {
            match job {
                Ok(job) => println!("{}", printer.job(&job)),
                Err(e) => report(&mut code, failure(&e)),
            }
        }
        return Ok(code);
    }
    // Every provider is asked at once; answers are kept in provider order.
    let answers = futures_util::future::join_all(
        providers
            .iter()
            .map(|p| p.list(options.clone()).try_collect::<Vec<Job>>()),
    )
    .await;
    let mut jobs = Vec::new();
    for answer in answers {
        match answer {
            Ok(found) => jobs.extend(found),
            Err(e) => report(&mut code, failure(&e)),
        }
    }
    if code == 0 || !jobs.is_empty() || printer.output != Output::Table {
        println!("{}", printer.jobs(&jobs));
    }
    Ok(code)
}

/// Prints a provider's failure and keeps the worst exit code.
fn report(code: &mut u8, failure: Failure) {
    eprintln!("error: {}", failure.message);
    *code = (*code).max(failure.code);
}

async fn wait(
    context: &Context,
    printer: &Printer,
    id: &str,
    wait_for: Duration,
) -> Result<u8, Failure> {
    let provider = context.one()?;
    let options = WaitOptions::default().timeout(wait_for);
    let spinner = printer.output == Output::Table && std::io::stderr().is_terminal();
    let mut watch = provider.watch(id, &options);
    let mut last: Option<Job> = None;
    let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    let mut tick = tokio::time::interval(Duration::from_millis(120));
    let started = std::time::Instant::now();
    let mut frame = 0;
    let end = loop {
        tokio::select! {
            next = watch.next() => match next {
                Some(Ok(job)) => {
                    let done = job.status.is_terminal();
                    last = Some(job);
                    if done { break Ok(()) }
                }
                Some(Err(e)) => break Err(e),
                None => break Ok(()),
            },
            _ = tick.tick(), if spinner => {
                frame = (frame + 1) % frames.len();
                let status = last.as_ref().map_or_else(|| "…".to_owned(), |j| status_text(&j.status));
                eprint!("\r\x1b[2K{} {}: {status} ({}s)", frames[frame], one_line(id), started.elapsed().as_secs());
            }
        }
    };
    if spinner {
        eprint!("\r\x1b[2K");
    }
    end.map_err(|e| failure(&e))?;
    let job = last.ok_or_else(|| Failure {
        code: 6,
        message: format!("{}: no answer for job {id}", provider.kind()),
    })?;
    println!("{}", printer.job(&job));
    Ok(match job.status {
        JobStatus::Succeeded => 0,
        _ => 1,
    })
}

fn cancel_text(printer: &Printer, outcome: &CancelOutcome) -> String {
    let (what, job) = match outcome {
        CancelOutcome::Stopped(job) => ("stopped", job),
        CancelOutcome::Accepted(job) => ("accepted", job),
        CancelOutcome::AlreadyEnded(job) => ("already_ended", job),
        _ => ("unknown", outcome.job()),
    };
    match printer.output {
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

fn logs_text(printer: &Printer, logs: Logs) -> String {
    let url_text = |url: &gpujobs::SensitiveUrl| match printer.show_secrets {
        true => url.expose().to_owned(),
        false => url.to_string(),
    };
    match (printer.output, logs) {
        // On a terminal, a log's control characters are escaped (line breaks and tabs
        // kept); piped or redirected, the log is written exactly as the provider sent it.
        (Output::Table, Logs::Text(text)) if printer.width.is_some() => {
            gpujobs::terminal_safe_lines(text.trim_end()).into_owned()
        }
        (Output::Table, Logs::Text(text)) => text.trim_end().to_owned(),
        (Output::Table, Logs::Url(url)) => format!("the log is at {}", one_line(&url_text(&url))),
        (_, Logs::Text(text)) => {
            printer.json(&json!({ "logs": text }), printer.output == Output::Json)
        }
        (_, Logs::Url(url)) => printer.json(
            &json!({ "log_url": url_text(&url) }),
            printer.output == Output::Json,
        ),
        (_, _) => String::new(),
    }
}

fn submit_request(args: &SubmitArgs) -> SubmitRequest {
    let mut request = SubmitRequest::new(args.command.join(" "));
    request.id = args.id.clone();
    request.name = args.name.clone();
    request.env = args.env.iter().cloned().collect();
    request.working_dir = args.working_dir.clone();
    request.image = args.image.clone();
    request.environment = args.environment.clone();
    request.gpu = args.gpu.clone();
    request.region = args.region;
    request
}

fn providers_text(printer: &Printer) -> String {
    let rows: Vec<serde_json::Value> = ProviderKind::ALL
        .iter()
        .map(|kind| {
            let descriptor = kind.descriptor();
            json!({
                "provider": kind,
                "capabilities": descriptor.capabilities,
                "credential_variable": descriptor.env.credential,
                "base_url_variable": descriptor.env.base_url,
                "default_base_url": descriptor.env.default_base_url,
            })
        })
        .collect();
    if printer.output != Output::Table {
        return printer.json(&rows, printer.output == Output::Json);
    }
    let mark = |v: &serde_json::Value| {
        if v.as_bool() == Some(true) {
            "yes"
        } else {
            "-"
        }
    };
    let mut out = format!(
        "{:<11} {:<4} {:<5} {:<7} {:<7} {:<5} {:<13} {:<16} {}\n",
        "PROVIDER",
        "GET",
        "LIST",
        "CANCEL",
        "SUBMIT",
        "LOGS",
        "ASYNC-CANCEL",
        "CREDENTIAL",
        "BASE URL"
    );
    for row in &rows {
        let caps = &row["capabilities"];
        out.push_str(&format!(
            "{:<11} {:<4} {:<5} {:<7} {:<7} {:<5} {:<13} {:<16} {}\n",
            row["provider"].as_str().unwrap_or(""),
            mark(&caps["get"]),
            mark(&caps["list"]),
            mark(&caps["cancel"]),
            mark(&caps["submit"]),
            mark(&caps["logs"]),
            mark(&caps["async_cancel"]),
            row["credential_variable"].as_str().unwrap_or("-"),
            row["base_url_variable"].as_str().unwrap_or(""),
        ));
    }
    out.trim_end().to_owned()
}
