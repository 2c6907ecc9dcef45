//! The commands: each in the module named for it, and [`run`], which parses
//! nothing and sets up once (the [`Context`], the [`Printer`]) before calling one.

mod config;
mod jobs;
mod logs;
mod providers;
mod submit;
mod sweep;
mod wait;

use std::io::IsTerminal;

use futures_util::FutureExt as _;

use gpujobs::ListOptions;
use gpujobs_sandbox::{Sandbox, SandboxConfig};

use crate::cli::{Cli, Command, Output};
use crate::context::Context;
use crate::emit::{emit, emit_bytes};
use crate::failure::Failure;
use crate::output::{JobView, Printer};

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
            | Command::Sweep { .. }
    );
    let prints = talks_to_a_provider
        || matches!(
            command,
            Command::Providers | Command::Schema | Command::Config { .. }
        );
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
        Command::Logs { .. } | Command::Providers | Command::Schema | Command::Config { .. }
    );
    if cli.output == Some(Output::Name) && !prints_jobs {
        return Err(Failure::usage(
            "-o name prints job ids: for get, list, wait, watch, cancel, submit and sweep",
        ));
    }
    let context = Context::new(&cli).await?;
    let printer = printer(&cli);
    match &cli.command {
        Command::Get { ids } => return jobs::get(&context, &printer, ids).await,
        Command::List {
            statuses,
            limit,
            max_pages,
            timeout,
            since,
            all_contexts,
        } => {
            let mut options = ListOptions::default();
            options.statuses = statuses.clone();
            if let Some(since) = since {
                let ago = chrono::TimeDelta::from_std(*since).unwrap_or(chrono::TimeDelta::MAX);
                options.ended_since = chrono::Utc::now().checked_sub_signed(ago);
            }
            options.limit = limit.and_then(|l| usize::try_from(l).ok());
            options.max_pages = *max_pages;
            let listing = match all_contexts {
                true => jobs::list_contexts(&context, &printer, options).boxed_local(),
                false => jobs::list(&context, &printer, options).boxed_local(),
            };
            return match timeout {
                Some(limit) => tokio::time::timeout(*limit, listing)
                    .await
                    .map_err(|_| Failure::total_timeout("listing", *limit))?,
                None => listing.await,
            };
        }
        Command::Cancel { ids } => return jobs::cancel(&context, &printer, ids).await,
        Command::Wait(args) => {
            return wait::wait(&context, &printer, args, args.timing.watch).await;
        }
        Command::Watch(args) => return wait::wait(&context, &printer, args, true).await,
        Command::Logs {
            id,
            follow,
            timeout,
        } => {
            let shown = logs::logs(&context, &printer, id, *follow, cli.max_response_size);
            return match timeout {
                Some(limit) => tokio::time::timeout(*limit, shown)
                    .await
                    .map_err(|_| Failure::total_timeout("following the log", *limit))?,
                None => shown.await,
            };
        }
        Command::Submit(args) if args.sweep.sweep.is_some() => {
            return sweep::submit(&context, &printer, args).await;
        }
        Command::Submit(args) => return submit::submit(&context, &printer, args).await,
        Command::Sweep { command } => return sweep::run(&context, &printer, command).await,
        Command::Providers => emit(&providers::providers_text(&printer)),
        Command::Config { command } => return config::run(&context, &printer, command),
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
                &mut crate::flags::with_descriptor_flags(Cli::command()),
                "gpujobs",
                &mut script,
            );
            emit_bytes(&script);
        }
    }
    Ok(0)
}

/// How this command prints: its output format, and what the terminal is.
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
