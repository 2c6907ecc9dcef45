//! `gpujobs`: drive GPU jobs on every provider from the command line.

mod cli;
mod output;
mod run;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // No panic reaches the user as a backtrace: one line, and the "other error" code.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error: {info}");
        std::process::exit(6);
    }));
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version exit 0; usage errors exit 2.
        Err(e) => e.exit(),
    };
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
    match runtime.block_on(run::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// `-v` traces gpujobs' requests on stderr; `-vv` everything it logs.
fn trace(verbose: u8) {
    use tracing_subscriber::prelude::*;
    let level = match verbose {
        0 => return,
        1 => tracing::Level::DEBUG,
        _ => tracing::Level::TRACE,
    };
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target("gpujobs", level)
        .with_target("gpujobs_runtime", level);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(false),
        )
        .with(filter)
        .init();
}
