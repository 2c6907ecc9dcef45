//! `gpujobs`: drive GPU jobs on every provider from the command line.

mod cli;
mod commands;
mod context;
mod emit;
mod failure;
mod flags;
mod output;
mod parse;
mod progress;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

/// The global options, by their argument ids (the providers' settings besides).
const GLOBAL_OPTIONS: [&str; 9] = [
    "provider",
    "context",
    "base_url",
    "output",
    "sandbox",
    "request_timeout",
    "max_response_size",
    "show_secrets",
    "verbose",
];

/// Whether `id` was given on the command line (not by default or environment), at any level.
fn given_here(matches: &clap::ArgMatches, id: &str) -> bool {
    let here = matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
    here || matches
        .subcommand()
        .is_some_and(|(_, sub)| given_here(sub, id))
}

fn main() -> ExitCode {
    // No panic reaches the user as a backtrace: one line, and the "other error" code.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error: {info}");
        std::process::exit(6);
    }));
    let matches = match flags::with_descriptor_flags(cli::Cli::command()).try_get_matches() {
        Ok(matches) => matches,
        // --help and --version exit 0; usage errors exit 2.
        Err(e) => e.exit(),
    };
    let mut cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match &mut cli.command {
        cli::Command::Submit(args)
        | cli::Command::Sweep {
            command: cli::SweepCommand::Retry(args),
        } => args.provider_options = flags::provider_options(&matches),
        _ => {}
    }
    cli.settings = flags::provider_settings(&matches);
    // A global option that does nothing in this command is a mistake worth saying.
    let settings = cli.settings.iter().map(|s| s.flag.as_str());
    let given: Vec<&str> = GLOBAL_OPTIONS
        .into_iter()
        .filter(|id| given_here(&matches, id))
        .chain(settings)
        .collect();
    if let Some(unused) = commands::unused_options(&cli.command, &given) {
        eprintln!("error: {unused} has no effect on this command");
        return ExitCode::from(2);
    }
    trace(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(6);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// On stderr: `-v` each request gpujobs sends; `-vv` also its retries and
/// its own steps, with each request's span when it closes; `-vvv` the HTTP
/// library's traces too.
fn trace(verbose: u8) {
    use tracing::Level;
    use tracing_subscriber::filter::Targets;
    use tracing_subscriber::fmt::format::FmtSpan;
    use tracing_subscriber::prelude::*;
    let (filter, spans) = match verbose {
        0 => return,
        // gpujobs' own choices too, e.g. the Slurm API version it speaks.
        1 => (
            Targets::new()
                .with_target("gpujobs_runtime", Level::DEBUG)
                .with_target("gpujobs", Level::INFO),
            FmtSpan::NONE,
        ),
        2 => (
            Targets::new()
                .with_target("gpujobs", Level::TRACE)
                .with_target("gpujobs_runtime", Level::TRACE),
            FmtSpan::CLOSE,
        ),
        _ => (Targets::new().with_default(Level::TRACE), FmtSpan::CLOSE),
    };
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_span_events(spans)
                .with_target(verbose > 2),
        )
        .with(filter)
        .init();
}
