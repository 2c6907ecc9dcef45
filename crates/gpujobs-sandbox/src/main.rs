//! `gpujobs-sandbox`: serve every provider's job API on loopback until Ctrl-C.

use std::process::ExitCode;

use gpujobs::ProviderKind;
use gpujobs_sandbox::{Sandbox, SandboxConfig, SlurmRelease, Timing};

const USAGE: &str = "usage: gpujobs-sandbox [--addr HOST:PORT] [--token PROVIDER=TOKEN]... [--slurm-release RELEASE] [--fast] [--empty]

Serves the job API of every gpujobs provider under /<provider>, with demo jobs, until Ctrl-C.

  --addr HOST:PORT          where to listen (default 127.0.0.1:8080)
  --token PROVIDER=TOKEN    the token a provider accepts (default sandbox-<provider>-token)
  --slurm-release RELEASE   answer as this Slurm's slurmrestd: 22.05, 24.11 or 26.05 (default)
  --fast                    jobs move in milliseconds instead of seconds
  --empty                   start without demo jobs";

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("error: cannot start the sandbox: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", sandbox.banner());
    let _ = tokio::signal::ctrl_c().await;
    ExitCode::SUCCESS
}

fn parse(args: impl Iterator<Item = String>) -> Result<Option<SandboxConfig>, String> {
    let mut config = SandboxConfig::default().addr(([127, 0, 0, 1], 8080).into());
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--addr" => {
                config = config.addr(
                    value("--addr")?
                        .parse()
                        .map_err(|e| format!("--addr: {e}"))?,
                )
            }
            "--token" => {
                let pair = value("--token")?;
                let (provider, token) =
                    pair.split_once('=').ok_or("--token takes PROVIDER=TOKEN")?;
                config = config.token(
                    provider
                        .parse::<ProviderKind>()
                        .map_err(|e| e.to_string())?,
                    token,
                );
            }
            "--slurm-release" => {
                config = config.slurm_release(value("--slurm-release")?.parse::<SlurmRelease>()?)
            }
            "--fast" => config = config.timing(Timing::fast()),
            "--empty" => config = config.empty(),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(config))
}
