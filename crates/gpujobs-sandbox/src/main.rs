//! `gpujobs-sandbox`: serve every provider's job API on loopback until Ctrl-C.

use std::process::ExitCode;

use gpujobs::ProviderKind;
use gpujobs_sandbox::{Sandbox, SandboxConfig, Timing};

const USAGE: &str =
    "usage: gpujobs-sandbox [--addr HOST:PORT] [--token PROVIDER=TOKEN]... [--fast] [--empty]

Serves the job APIs of ppio, yuanrong, ray, matpool and tensorpool under /<provider>,
with demo jobs, until Ctrl-C.

  --addr HOST:PORT          where to listen (default 127.0.0.1:8080)
  --token PROVIDER=TOKEN    the token a provider accepts (default sandbox-<provider>-token)
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
            "--fast" => config = config.timing(Timing::fast()),
            "--empty" => config = config.empty(),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Some(config))
}
