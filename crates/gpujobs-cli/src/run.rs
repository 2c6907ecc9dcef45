//! Running a parsed command line.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt, TryStreamExt};
use gpujobs::{
    CancelOutcome, Error, Job, JobProvider, JobProviderExt, JobStatus, ListOptions, Logs,
    ProviderConfig, ProviderKind, SubmitRequest, WaitOptions,
};
use gpujobs_sandbox::{Sandbox, SandboxConfig};
use serde_json::json;

use crate::cli::{Cli, Command, Output, SubmitArgs, WaitArgs};
use crate::output::{JobView, Printer, one_line, status_text, table};

/// The most of a job's log `logs` reads when `--max-response-size` is not given.
const LOG_LIMIT: u64 = 64 << 20;

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

/// Writes a line to stdout. A closed stdout (`| head`) ends the program quietly,
/// as other Unix tools do.
pub fn emit(text: &str) {
    emit_bytes(format!("{text}\n").as_bytes());
}

/// Writes bytes to stdout, as [`emit`].
fn emit_bytes(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush())
        && e.kind() == std::io::ErrorKind::BrokenPipe
    {
        std::process::exit(0);
    }
}

/// The library's words for what the command line calls flags: the common ones,
/// and every provider's own options (from the descriptors).
fn flags() -> Vec<(String, String)> {
    let common = [
        ("base_url", "base-url"),
        ("working_dir", "working-dir"),
        ("id", "id"),
        ("name", "name"),
        ("env", "env"),
        ("metadata", "label"),
        ("cpus", "cpus"),
        ("gpus", "gpus"),
        ("memory_bytes", "memory"),
        ("ListOptions::max_pages", "max-pages"),
        ("max_pages", "max-pages"),
        ("max_response_bytes", "max-response-size"),
        ("api_version", "slurm-api-version"),
    ];
    let options = ProviderKind::ALL
        .iter()
        .flat_map(|k| k.descriptor().options)
        .map(|o| (o.name, o.flag));
    common
        .into_iter()
        .chain(options)
        .map(|(word, flag)| (format!("`{word}`"), format!("--{flag}")))
        .collect()
}

/// The exit code for an error, and its line with a hint of what to do.
pub fn failure(error: &Error, context: Option<&Context>) -> Failure {
    let provider = error.provider();
    let env = provider.descriptor().env;
    let code = match error {
        Error::NotFound { .. } => 4,
        Error::Unauthenticated { .. } | Error::PermissionDenied { .. } => 5,
        Error::Timeout { .. } => 3,
        Error::InvalidRequest { .. } | Error::Unsupported { .. } | Error::Config { .. } => 2,
        _ => 6,
    };
    let sandbox = match context.is_some_and(|c| c.sandbox.is_some()) {
        true => "--sandbox ",
        false => "",
    };
    let mut message = error.to_string();
    for (word, flag) in flags() {
        message = message.replace(&word, &flag);
    }
    let hint = match error {
        // A provider that takes no credential was refused one: the URL points elsewhere.
        Error::Unauthenticated { .. } | Error::PermissionDenied { .. }
            if env.credential.is_none() =>
        {
            Some(format!(
                " ({provider} sends no credential: do {} or --base-url point at another service?)",
                env.base_url
            ))
        }
        Error::Unauthenticated { .. } | Error::PermissionDenied { .. } => env
            .credential
            .filter(|var| !message.contains(var))
            .map(|var| format!(" (check {var})")),
        Error::Transport { .. } => Some(format!(
            " (is it reachable? set {} or --base-url)",
            env.base_url
        )),
        Error::NotFound { .. } => Some(format!(
            " (`gpujobs {sandbox}-p {provider} list` shows the jobs)"
        )),
        Error::Unsupported { .. } => Some(format!(
            " (`gpujobs {sandbox}providers` shows what each provider supports)"
        )),
        Error::Timeout { scope, .. } => Some(match scope {
            gpujobs::TimeoutScope::Wait => " (--timeout sets how long to wait)".into(),
            _ => " (--request-timeout sets each request's limit)".into(),
        }),
        _ => None,
    };
    let line = format!("{message}{}", hint.unwrap_or_default());
    // Provider text is in the message: one line, with control characters escaped.
    Failure {
        code,
        message: one_line(&line),
    }
}

/// Global options given on the command line, by name, that `command` has no use for.
pub fn unused_options(command: &Command, given: &[&str]) -> Option<String> {
    let talks_to_a_provider = matches!(
        command,
        Command::Get { .. }
            | Command::List { .. }
            | Command::Cancel { .. }
            | Command::Wait(_)
            | Command::Watch(_)
            | Command::Logs { .. }
            | Command::Submit(_)
    );
    let prints = talks_to_a_provider || matches!(command, Command::Providers | Command::Schema);
    let unused: Vec<&str> = given
        .iter()
        .copied()
        .filter(|flag| match *flag {
            "verbose" => false,
            "output" => !prints,
            _ => !talks_to_a_provider,
        })
        .collect();
    match unused.is_empty() {
        true => None,
        false => Some(
            unused
                .iter()
                .map(|f| format!("--{}", f.replace('_', "-")))
                .collect::<Vec<_>>()
                .join(", "),
        ),
    }
}

/// Runs `cli`; the exit code on success (0, or 1 for a `wait` whose job did not succeed).
pub async fn run(cli: Cli) -> Result<u8, Failure> {
    if matches!(cli.command, Command::Schema) && cli.output.is_some_and(|o| o != Output::Json) {
        return Err(Failure::usage("schema prints JSON Schema: -o json only"));
    }
    let prints_jobs = !matches!(
        cli.command,
        Command::Logs { .. } | Command::Providers | Command::Schema
    );
    if cli.output == Some(Output::Name) && !prints_jobs {
        return Err(Failure::usage(
            "-o name prints job ids: for get, list, wait, watch, cancel and submit",
        ));
    }
    let context = Context::new(&cli).await?;
    let printer = printer(&cli);
    match &cli.command {
        Command::Get { ids } => return get(&context, &printer, ids).await,
        Command::List {
            statuses,
            limit,
            max_pages,
            timeout,
        } => {
            let mut options = ListOptions::default();
            options.statuses = statuses.clone();
            options.limit = limit.and_then(|l| usize::try_from(l).ok());
            options.max_pages = *max_pages;
            let listing = list(&context, &printer, options);
            return match timeout {
                Some(limit) => tokio::time::timeout(*limit, listing)
                    .await
                    .map_err(|_| total_timeout("listing", *limit))?,
                None => listing.await,
            };
        }
        Command::Cancel { ids } => return cancel(&context, &printer, ids).await,
        Command::Wait(args) => return wait(&context, &printer, args, args.watch).await,
        Command::Watch(args) => return wait(&context, &printer, args, true).await,
        Command::Logs {
            id,
            follow,
            timeout,
        } => {
            let shown = logs(&context, &printer, id, *follow, cli.max_response_size);
            return match timeout {
                Some(limit) => tokio::time::timeout(*limit, shown)
                    .await
                    .map_err(|_| total_timeout("following the log", *limit))?,
                None => shown.await,
            };
        }
        Command::Submit(args) => {
            let provider = context.one()?;
            let request = submit_request(args, provider.kind())?;
            let job = provider.submit(&request).await;
            emit(&printer.job(&context.explain(job)?));
            if context.sandbox.is_some() {
                eprintln!(
                    "note: the --sandbox server lasts this one command; `gpujobs sandbox` keeps one running"
                );
            }
        }
        Command::Providers => emit(&providers_text(&printer)),
        Command::Schema => emit(&printer.json(&schemars::schema_for!(JobView), true)),
        Command::Sandbox {
            addr,
            slurm_release,
        } => {
            let config = SandboxConfig::default()
                .addr(*addr)
                .slurm_release(*slurm_release);
            let sandbox = Sandbox::start(config).await.map_err(|e| Failure {
                code: 6,
                message: format!("cannot start the sandbox on {addr}: {e}"),
            })?;
            emit(&sandbox.banner());
            let _ = tokio::signal::ctrl_c().await;
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(
                *shell,
                &mut crate::cli::with_provider_options(Cli::command()),
                "gpujobs",
                &mut script,
            );
            emit_bytes(&script);
        }
    }
    Ok(0)
}

/// The failure of a whole command running out of time (exit 3).
fn total_timeout(what: &str, limit: Duration) -> Failure {
    Failure {
        code: 3,
        message: format!(
            "{what} timed out after {} (--timeout)",
            humantime::format_duration(limit)
        ),
    }
}

fn printer(cli: &Cli) -> Printer {
    let terminal = std::io::stdout().is_terminal();
    Printer {
        output: cli.output.unwrap_or(Output::Table),
        show_secrets: cli.show_secrets,
        color: terminal && std::env::var_os("NO_COLOR").is_none(),
        width: terminal
            .then(|| terminal_size::terminal_size().map_or(100, |(w, _)| usize::from(w.0))),
        now: None,
    }
}

/// The providers the command line points at, and the sandbox if one was started.
pub struct Context {
    provider: Option<ProviderKind>,
    base_url: Option<String>,
    request_timeout: Option<Duration>,
    max_response_bytes: Option<u64>,
    slurm_api_version: Option<String>,
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
        if let (Some(_), Some(kind)) = (&cli.slurm_api_version, cli.provider)
            && kind != ProviderKind::Slurm
        {
            return Err(Failure::usage(format!(
                "--slurm-api-version is for -p slurm, not {kind}"
            )));
        }
        Ok(Self {
            provider: cli.provider,
            slurm_api_version: cli.slurm_api_version.clone(),
            base_url: cli.base_url.clone(),
            request_timeout: cli.request_timeout,
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
                    .map_err(|e| failure(&e, Some(self)))?;
                config
            }
        };
        if let Some(url) = &self.base_url {
            config.base_url = Some(url.clone());
        }
        if let Some(bytes) = self.max_response_bytes {
            config.max_response_bytes = bytes;
        }
        if let (Some(version), ProviderKind::Slurm) = (&self.slurm_api_version, kind) {
            config.api_version = Some(version.clone());
        }
        if let Some(timeout) = self.request_timeout {
            config.operation_timeout = timeout;
            config.attempt_timeout = config.attempt_timeout.min(timeout);
        }
        gpujobs::connect(config).map_err(|e| failure(&e, Some(self)))
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

    /// `result`, its error explained where the answer shows a base URL that
    /// points at the sandbox's root, or at a prefix it does not serve, instead of one
    /// provider under it.
    fn explain<T>(&self, result: gpujobs::Result<T>) -> Result<T, Failure> {
        result.map_err(|error| self.explain_error(error))
    }

    /// [`failure`], with a wrong base URL explained (see [`Context::explain`]) from the
    /// answer already received: the sandbox says what it serves in its 404.
    fn explain_error(&self, error: Error) -> Failure {
        let mut failed = failure(&error, Some(self));
        let said = format!("{error} {error:?}");
        if let (true, Some(url)) = (said.contains(SANDBOX_INDEX), &self.base_url) {
            failed.message = sandbox_hint(url, error.provider());
            failed.code = 2;
        }
        failed
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

/// How the sandbox's 404 for a path outside every provider begins.
const SANDBOX_INDEX: &str = "gpujobs sandbox: providers at";

/// What to do about a base URL the sandbox answered with its index: point it at
/// the provider under the sandbox's root (the root is what is left of the URL
/// without its path).
fn sandbox_hint(url: &str, provider: ProviderKind) -> String {
    let parsed = reqwest::Url::parse(url).ok();
    let root = parsed.as_ref().map_or_else(
        || url.trim_end_matches('/').to_owned(),
        |u| u.origin().ascii_serialization(),
    );
    let path = parsed.as_ref().map_or("", |u| u.path()).trim_matches('/');
    let shown = gpujobs::SensitiveUrl::new(url);
    match path.is_empty() {
        true => format!(
            "{provider}: {shown} is the sandbox's root, not a provider: use --base-url {root}/{provider}"
        ),
        false => format!(
            "{provider}: the sandbox serves no provider at /{} ({shown}): use --base-url {root}/{provider}",
            one_line(path)
        ),
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
                Ok(job) => emit(&printer.job(&job)),
                Err(e) => report(&mut code, context.explain_error(e)),
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
            Err(e) => report(&mut code, context.explain_error(e)),
        }
    }
    // `-o name` with no job prints nothing (not an empty line).
    let names_of_none = jobs.is_empty() && printer.output == Output::Name;
    if !names_of_none && (code == 0 || !jobs.is_empty() || printer.output != Output::Table) {
        emit(&printer.jobs(&jobs));
    }
    Ok(code)
}

/// Prints a provider's failure and keeps the worst exit code.
fn report(code: &mut u8, failure: Failure) {
    eprintln!("error: {}", failure.message);
    *code = (*code).max(failure.code);
}

/// Requests in flight at once for `get` and `cancel` of several jobs.
const CONCURRENT: usize = 16;

/// `get`: one job as before; several, a few at a time, printed in the order
/// given (`-o ndjson` and `-o name` as each arrives), each failure reported.
async fn get(context: &Context, printer: &Printer, ids: &[String]) -> Result<u8, Failure> {
    let provider = context.one()?;
    if let [id] = ids {
        emit(&printer.job(&context.explain(provider.get(id).await)?));
        return Ok(0);
    }
    let mut answers = futures_util::stream::iter(ids)
        .map(|id| provider.get(id))
        .buffered(CONCURRENT);
    let (mut code, mut jobs) = (0, Vec::new());
    let streaming = matches!(printer.output, Output::Ndjson | Output::Name);
    while let Some(answer) = answers.next().await {
        match answer {
            Ok(job) if streaming => emit(&printer.job(&job)),
            Ok(job) => jobs.push(job),
            Err(e) => report(&mut code, failure(&e, Some(context))),
        }
    }
    if !streaming && (!jobs.is_empty() || printer.output == Output::Json) {
        emit(&printer.jobs(&jobs));
    }
    Ok(code)
}

/// `cancel`: each job's outcome, a few at a time, in the order given.
async fn cancel(context: &Context, printer: &Printer, ids: &[String]) -> Result<u8, Failure> {
    let provider = context.one()?;
    if let [id] = ids {
        emit(&cancel_text(
            printer,
            &context.explain(provider.cancel(id).await)?,
        ));
        return Ok(0);
    }
    let mut outcomes = futures_util::stream::iter(ids)
        .map(|id| provider.cancel(id))
        .buffered(CONCURRENT);
    let mut code = 0;
    while let Some(outcome) = outcomes.next().await {
        match outcome {
            Ok(outcome) => emit(&cancel_text(printer, &outcome)),
            Err(e) => report(&mut code, failure(&e, Some(context))),
        }
    }
    Ok(code)
}

/// `wait` and `watch`: one job as before (a line per status change with
/// `watch`); several, or `--all`, through `wait_all`.
async fn wait(
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
fn wait_options(args: &WaitArgs) -> WaitOptions {
    WaitOptions::default()
        .timeout(args.timeout)
        .intervals(args.interval, args.max_interval)
}

/// Many jobs: each printed as it ends (`-o ndjson`, `-o name`, and with
/// `watch` a line); a table or array of them all at the end otherwise; a
/// progress line on a terminal. Exit 0 if all succeeded, 1 if any did not
/// (or is gone), 3 if the time ran out first, naming the jobs still running.
async fn wait_many(
    context: &Context,
    printer: &Printer,
    args: &WaitArgs,
    watch: bool,
) -> Result<u8, Failure> {
    let provider = context.one()?;
    let ids = match args.all {
        false => args.ids.clone(),
        true => {
            let jobs: Vec<Job> = provider
                .list(ListOptions::default())
                .try_collect()
                .await
                .map_err(|e| failure(&e, Some(context)))?;
            jobs.into_iter()
                .filter(|j| !j.status.is_terminal())
                .map(|j| j.id)
                .collect()
        }
    };
    if ids.is_empty() {
        eprintln!("note: no {} job was running", provider.kind());
    }
    let total = ids.len() as u64;
    let progress = (printer.output == Output::Table && std::io::stderr().is_terminal())
        .then(|| progress_bar(total));
    let streaming = watch || matches!(printer.output, Output::Ndjson | Output::Name);
    let (mut code, mut failed, mut ended, mut still_running) = (0, 0u64, Vec::new(), Vec::new());
    let mut ends = provider.wait_all(ids, &wait_options(args));
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
                match (line, &progress) {
                    (Some(line), Some(bar)) => bar.suspend(|| emit(&line)),
                    (Some(line), None) => emit(&line),
                    (None, _) => {}
                }
                ended.push(job);
            }
            Err(Error::Timeout { .. }) => still_running.push(id),
            Err(e) => {
                failed += 1;
                let f = failure(&e, Some(context));
                code = code.max(1);
                match &progress {
                    Some(bar) => bar.suspend(|| report(&mut code, f)),
                    None => report(&mut code, f),
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
                humantime::format_duration(args.timeout),
                still_running.len(),
                shown.join(", ")
            ),
        });
    }
    Ok(code)
}

/// The progress line of a many-job wait, on stderr.
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} ended, {msg} ({elapsed})")
    {
        bar.set_style(style);
    }
    bar.set_message(format!("0 failed, {total} running"));
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// One job: polls until it ends; with `watch`, a line per status change.
async fn wait_one(
    context: &Context,
    printer: &Printer,
    args: &WaitArgs,
    id: &str,
    watch: bool,
) -> Result<u8, Failure> {
    let provider = context.one()?;
    let mut changes = provider.watch(id, &wait_options(args));
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
                return Err(failure(&e, Some(context)));
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

/// A spinner on stderr with the time since it started.
fn spinner(id: &str) -> indicatif::ProgressBar {
    let spinner = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        spinner.set_style(style);
    }
    spinner.set_message(format!("{}: …", one_line(id)));
    spinner.enable_steady_tick(Duration::from_millis(120));
    spinner
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

fn cancel_text(printer: &Printer, outcome: &CancelOutcome) -> String {
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

/// Prints a job's log: on a terminal with control characters escaped (line
/// breaks and tabs kept), piped exactly as the provider sent it; `-o json`
/// as one `{"logs": …}` object.
async fn logs(
    context: &Context,
    printer: &Printer,
    id: &str,
    follow: bool,
    limit: Option<u64>,
) -> Result<u8, Failure> {
    let provider = context.one()?;
    let fail = |e: Error| failure(&e, Some(context));
    let terminal = printer.width.is_some();
    let chunks: std::pin::Pin<Box<dyn Stream<Item = gpujobs::Result<bytes::Bytes>> + Send>> =
        match follow {
            true => provider.follow_logs(id).map_ok(bytes::Bytes::from).boxed(),
            false => {
                let logs: Logs = context.explain(provider.logs(id).await)?;
                provider.read_logs(logs, limit.unwrap_or(LOG_LIMIT))
            }
        };
    if printer.output != Output::Table {
        let all: Vec<bytes::Bytes> = chunks.try_collect().await.map_err(fail)?;
        let text = String::from_utf8_lossy(&all.concat()).into_owned();
        emit(&printer.json(&json!({ "logs": text }), printer.output == Output::Json));
        return Ok(0);
    }
    let mut chunks = chunks;
    let mut ends_with_newline = true;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(fail)?;
        ends_with_newline = chunk.ends_with(b"\n");
        match terminal {
            true => emit_bytes(
                gpujobs::terminal_safe_lines(&String::from_utf8_lossy(&chunk)).as_bytes(),
            ),
            false => emit_bytes(&chunk),
        }
    }
    if terminal && !ends_with_newline {
        emit_bytes(b"\n");
    }
    Ok(0)
}

/// The request `submit` makes of `kind`: the common fields, and the provider's own
/// options from its flags. A flag of another provider's is refused (exit 2), naming it.
fn submit_request(args: &SubmitArgs, kind: ProviderKind) -> Result<SubmitRequest, Failure> {
    let mut request = SubmitRequest::from_args(&args.command);
    request.id = args.id.clone();
    request.name = args.name.clone();
    request.env = args.env.iter().cloned().collect();
    request.metadata = args.labels.iter().cloned().collect();
    request.working_dir = args.working_dir.clone();
    request.cpus = args.cpus;
    request.gpus = args.gpus;
    request.memory_bytes = args.memory;
    let descriptor = kind.descriptor();
    let mut values = gpujobs::OptionValues::new();
    let mut foreign = Vec::new();
    for (flag, given) in &args.provider_options {
        match descriptor.options.iter().find(|o| o.flag == *flag) {
            Some(option) => drop(values.insert(option.name, given.clone())),
            None => {
                let takers: Vec<String> = crate::cli::option_takers(flag)
                    .iter()
                    .map(|k| k.to_string())
                    .collect();
                foreign.push(format!("--{flag} (an option of {})", takers.join(", ")));
            }
        }
    }
    if !foreign.is_empty() {
        return Err(Failure::usage(format!(
            "{kind} cannot honour {}",
            foreign.join(", ")
        )));
    }
    let options = descriptor
        .options_from(&values)
        .map_err(|e| failure(&e, None))?;
    Ok(request.shared_options(options))
}

/// What each provider supports, from the descriptors, and what to know about it.
fn providers_text(printer: &Printer) -> String {
    let descriptors: Vec<&gpujobs::Descriptor> =
        ProviderKind::ALL.iter().map(|k| k.descriptor()).collect();
    if printer.output != Output::Table {
        return printer.json(&descriptors, printer.output == Output::Json);
    }
    let mark = |yes: bool| if yes { "yes" } else { "-" }.to_owned();
    let header = [
        "PROVIDER",
        "GET",
        "LIST",
        "CANCEL",
        "SUBMIT",
        "LOGS",
        "FOLLOW",
        "FAILURES",
        "CREDENTIAL",
        "BASE URL",
    ];
    let rows = descriptors
        .iter()
        .map(|d| {
            let caps = d.capabilities;
            vec![
                d.name.to_owned(),
                mark(caps.get),
                mark(caps.list),
                match (caps.cancel, caps.async_cancel) {
                    (true, true) => "async".to_owned(),
                    (cancel, _) => mark(cancel),
                },
                mark(caps.submit),
                mark(caps.logs),
                mark(caps.follow_logs),
                match caps.reports_failure {
                    true => "reported".to_owned(),
                    false => "NOT reported".to_owned(),
                },
                d.env.credential.unwrap_or("-").to_owned(),
                d.env.base_url.to_owned(),
            ]
        })
        .collect();
    let mut out = table(&header, rows, None, &[]);
    out.push_str("\n\n");
    for d in descriptors {
        for note in d.notes {
            out.push_str(&format!("{}: {note}\n", d.name));
        }
    }
    out.trim_end().to_owned()
}
