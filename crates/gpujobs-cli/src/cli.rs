//! The command line, as clap sees it.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use gpujobs::{JobStatus, ProviderKind};

/// Exit codes, also listed in `--help`.
pub const EXIT_CODES: &str = "Exit codes:
  0  success (for `wait`: the job succeeded)
  1  the job ended failed or canceled (`wait`)
  2  usage error (bad arguments, unsupported operation, missing configuration)
  3  timed out
  4  not found
  5  authentication or permission refused
  6  any other provider or network error";

/// The top of `--help`, drawn from the providers' descriptors.
fn about() -> String {
    let providers = ProviderKind::ALL.iter().map(|k| k.descriptor());
    let names: Vec<&str> = providers.clone().map(|d| d.title).collect();
    let credentials: Vec<&str> = providers.clone().filter_map(|d| d.env.credential).collect();
    let base_urls: Vec<&str> = providers.map(|d| d.env.base_url).collect();
    format!(
        "Drive GPU jobs on every provider with one tool: {}.

Try it with no account: `gpujobs --sandbox list` starts a local sandbox of every provider.
Credentials come from the environment ({}) or a context of the config file (--context).
Base URLs: {}, or --base-url.",
        names.join(", "),
        credentials.join(", "),
        base_urls.join(", ")
    )
}

use crate::flags::GLOBAL;
use crate::parse::{parse_key_value, parse_limit, parse_size};

/// `gpujobs [OPTIONS] <COMMAND>`
#[derive(Debug, Parser)]
#[command(name = "gpujobs", version, about = about(), after_help = EXIT_CODES)]
pub struct Cli {
    /// The provider to talk to.
    #[arg(short, long, global = true, env = "GPUJOBS_PROVIDER", value_parser = provider_parser(), help_heading = GLOBAL)]
    pub provider: Option<ProviderKind>,

    /// The context of the config file to use ($GPUJOBS_CONFIG, else ~/.config/gpujobs/config.toml)
    /// [default: its current-context].
    #[arg(short, long, global = true, env = "GPUJOBS_CONTEXT", value_name = "NAME", help_heading = GLOBAL)]
    pub context: Option<String>,

    /// The provider's base URL (overrides its environment variable).
    #[arg(long, global = true, value_name = "URL", help_heading = GLOBAL)]
    pub base_url: Option<String>,

    /// How to print results [default: table].
    #[arg(short, long, global = true, value_enum, help_heading = GLOBAL)]
    pub output: Option<Output>,

    /// Start a local sandbox of every provider, with demo jobs, and use it (it lasts this one command).
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub sandbox: bool,

    /// Time limit for each request to a provider, retries included (e.g. 30s, 2m) [default: 2m].
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_limit, help_heading = GLOBAL)]
    pub request_timeout: Option<Duration>,

    /// The largest answer read from a provider (e.g. 8MiB, 512KiB) [default: 8MiB].
    #[arg(long, global = true, value_name = "SIZE", value_parser = parse_size, help_heading = GLOBAL)]
    pub max_response_size: Option<u64>,

    /// Show secrets (passwords, tokens in URLs) instead of [REDACTED].
    #[arg(long, global = true, help_heading = GLOBAL)]
    pub show_secrets: bool,

    /// Trace on stderr: -v each request, -vv retries and gpujobs' own steps, -vvv the HTTP library too.
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    pub verbose: u8,

    /// Each provider's own settings given (`--slurm-user`; filled from the
    /// matches, see [`crate::flags::provider_settings`]).
    #[arg(skip)]
    pub settings: Vec<crate::flags::SettingGiven>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// A table for people.
    Table,
    /// One JSON document (an object for one job, an array for a list).
    Json,
    /// One JSON object per line.
    Ndjson,
    /// Job ids only, one a line (to pipe into `get`, `wait` or `cancel`).
    Name,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show jobs (several at once, a few requests at a time; each failure reported).
    Get {
        /// The job ids.
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
    },
    /// List jobs (without --provider: every configured provider, in one table).
    List {
        /// Only jobs in these statuses (comma-separated or repeated): queued, starting, running, canceling, succeeded, failed, canceled, unknown.
        #[arg(long = "status", value_name = "STATUS", value_parser = parse_status, value_delimiter = ',')]
        statuses: Vec<JobStatus>,
        /// At most this many jobs per provider.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        limit: Option<u64>,
        /// At most this many pages per provider (default 10000): a provider
        /// that pages in circles is stopped well before.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
        max_pages: Option<u32>,
        /// Give up listing after this long in all (exit 3).
        #[arg(long, value_name = "DURATION", value_parser = parse_limit)]
        timeout: Option<Duration>,
        /// Ended jobs only if they ended within this long (e.g. 6h): Slurm reads them from
        /// accounting too, where slurmctld has forgotten them.
        #[arg(long, value_name = "DURATION", value_parser = parse_limit)]
        since: Option<Duration>,
        /// Every context of the config file, each in a CONTEXT column (`-o name`: CONTEXT/ID,
        /// which get, wait and cancel take).
        #[arg(long, conflicts_with = "context")]
        all_contexts: bool,
    },
    /// Cancel jobs (canceling a job that already ended reports that and succeeds; several
    /// at once, a few requests at a time, each result reported).
    Cancel {
        /// The job ids.
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
    },
    /// Wait for jobs to end; exits 0 if all succeeded, 1 if any failed, was canceled or is
    /// gone, 3 if the time ran out first (naming the jobs still running).
    Wait(WaitArgs),
    /// Print a line each time a job's status changes until it ends (`wait --watch`); with
    /// several jobs, a line as each ends.
    Watch(WaitArgs),
    /// Print a job's logs (with --follow, until the job ends).
    Logs {
        /// The job id.
        id: String,
        /// Keep printing what the job prints until it ends.
        #[arg(short, long)]
        follow: bool,
        /// With --follow, give up after this long in all (exit 3).
        #[arg(long, value_name = "DURATION", value_parser = parse_limit, requires = "follow")]
        timeout: Option<Duration>,
    },
    /// Submit a job, or with --sweep many tasks of one command, each exactly once.
    Submit(Box<SubmitArgs>),
    /// Follow a sweep: its status, wait for it, cancel it, retry its failed tasks.
    Sweep {
        /// What to do with it.
        #[command(subcommand)]
        command: SweepCommand,
    },
    /// Show what each provider supports and how it is configured.
    Providers,
    /// The config file's contexts: list them, show or choose the current one, view the file.
    Config {
        /// What to do.
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Print the JSON Schema of a job as `-o json` prints it.
    Schema,
    /// Serve the sandbox standalone until Ctrl-C (it keeps its jobs between commands).
    Sandbox {
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Answer under /slurm as this Slurm release's slurmrestd: 22.05, 24.11 or 26.05.
        #[arg(long, value_name = "RELEASE", default_value = "26.05")]
        slurm_release: gpujobs_sandbox::SlurmRelease,
    },
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// How to wait for a job.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The job ids.
    #[arg(
        value_name = "ID",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub ids: Vec<String>,
    /// Every job of the provider that had not ended when the command started.
    #[arg(long)]
    pub all: bool,
    /// How long, how often, and whether to print each change.
    #[command(flatten)]
    pub timing: WaitTiming,
}

/// How long and how often a wait polls.
#[derive(Debug, Args)]
pub struct WaitTiming {
    /// Give up after this long in all (exit 3).
    #[arg(long, visible_alias = "for", value_name = "DURATION", value_parser = parse_limit, default_value = "1h")]
    pub timeout: Duration,
    /// Print a line each time the status changes.
    #[arg(long)]
    pub watch: bool,
    /// The first pause between polls; it doubles up to --max-interval.
    #[arg(long, value_name = "DURATION", value_parser = parse_limit, default_value = "1s")]
    pub interval: Duration,
    /// The longest pause between polls: the job's end is noticed within it.
    #[arg(long, value_name = "DURATION", value_parser = parse_limit, default_value = "5s")]
    pub max_interval: Duration,
}

/// `gpujobs config …`, as kubectl's.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// List the contexts (the current one marked with *).
    GetContexts,
    /// Print the current context's name.
    CurrentContext,
    /// Make NAME the current context (the file's `current-context` line is rewritten).
    UseContext {
        /// The context.
        name: String,
    },
    /// Print the contexts as the file defines them, credentials written in it redacted.
    View,
}

/// What is done with a sweep submitted with `submit --sweep`.
#[derive(Debug, Subcommand)]
pub enum SweepCommand {
    /// How far along it is: its tasks counted by status (failed ones by cause).
    Status {
        /// The sweep's name.
        name: String,
    },
    /// Wait for every task (its latest attempt) to end; exit codes as `wait` on many.
    Wait {
        /// The sweep's name.
        name: String,
        /// How long, how often, and whether to print each change.
        #[command(flatten)]
        timing: WaitTiming,
    },
    /// Cancel every task not ended (Slurm: one request for each array).
    Cancel {
        /// The sweep's name.
        name: String,
    },
    /// Submit again, as a new attempt (itself exactly once), each task whose latest attempt
    /// failed. The sweep is given as it was submitted: `--sweep`, `--array` or `--params`,
    /// and the command.
    Retry(Box<SubmitArgs>),
}

/// A sweep: many tasks of one command, each submitted exactly once.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Submit a sweep of this name (a-z, 0-9 and -): each task's id is derived from it and
    /// its index, so running the same command again submits only the tasks missing.
    #[arg(long, value_name = "NAME", help_heading = "Sweeps")]
    pub sweep: Option<String>,
    /// The tasks' indices, START-END, and at most N running at once with %N (e.g. 0-999%32);
    /// each task has GPUJOBS_TASK_INDEX (Slurm: also SLURM_ARRAY_TASK_ID). Slurm: one array.
    #[arg(long, value_name = "SPEC", requires = "sweep", help_heading = "Sweeps")]
    pub array: Option<String>,
    /// One task for each line of this file, a JSON object of strings, given to the task as
    /// environment variables (with GPUJOBS_TASK_INDEX, the line's number from 0).
    #[arg(long, value_name = "FILE", requires = "sweep", help_heading = "Sweeps")]
    pub params: Option<std::path::PathBuf>,
    /// At most this many tasks running at once (as %N in --array).
    #[arg(long, value_name = "N", requires = "sweep", value_parser = clap::value_parser!(u32).range(1..), help_heading = "Sweeps")]
    pub max_running: Option<u32>,
    /// At most this many submits in flight at once.
    #[arg(long, value_name = "N", requires = "sweep", default_value = "16", value_parser = clap::value_parser!(u64).range(1..1025), help_heading = "Sweeps")]
    pub submit_concurrency: u64,
}

/// What to submit: what most providers share. Each provider's own options are
/// added beside these from its descriptor ([`crate::flags::with_descriptor_flags`]), under a
/// heading per provider; a provider refuses what it cannot honour.
#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// The command: one argument is a command line as it is; several are quoted so the
    /// provider's shell runs exactly them (Ray and openYuanrong: the entrypoint; Slurm: the script).
    #[arg(required = true, num_args = 1.., trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<String>,
    /// A client-chosen id: submitting again with it returns the first job instead of making a
    /// second (Ray, openYuanrong; Slurm keeps it in the job's comment; refused where nothing can).
    #[arg(long)]
    pub id: Option<String>,
    /// A display name.
    #[arg(long)]
    pub name: Option<String>,
    /// An environment variable, K=V (repeatable).
    #[arg(short, long = "env", value_name = "K=V", value_parser = parse_key_value)]
    pub env: Vec<(String, String)>,
    /// A metadata label, K=V (repeatable; Ray, openYuanrong).
    #[arg(long = "label", value_name = "K=V", value_parser = parse_key_value)]
    pub labels: Vec<(String, String)>,
    /// The working directory (openYuanrong requires one; Slurm: on the cluster).
    #[arg(long)]
    pub working_dir: Option<String>,
    /// CPUs (Ray: for the driver; Slurm: whole CPUs per task).
    #[arg(long)]
    pub cpus: Option<f64>,
    /// GPUs (Ray: for the driver; Slurm: whole GPUs).
    #[arg(long)]
    pub gpus: Option<f64>,
    /// Memory, e.g. 16GiB (Ray: for the driver; Slurm: per node).
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    pub memory: Option<u64>,
    /// A sweep of it, where one is asked for.
    #[command(flatten)]
    pub sweep: SweepArgs,
    /// Each provider's own options given (filled from the matches, see
    /// [`crate::flags::provider_options`]).
    #[arg(skip)]
    pub provider_options: Vec<(&'static str, Vec<gpujobs::OptionValue>)>,
}

use clap::builder::TypedValueParser as _;

/// `-p` takes the providers built in, listed in `--help`.
fn provider_parser() -> impl clap::builder::TypedValueParser<Value = ProviderKind> {
    let names: Vec<&'static str> = ProviderKind::ALL.iter().map(|k| k.as_str()).collect();
    clap::builder::PossibleValuesParser::new(names).try_map(|s| s.parse::<ProviderKind>())
}

fn parse_status(s: &str) -> Result<JobStatus, gpujobs::UnknownStatus> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        crate::flags::with_descriptor_flags(Cli::command()).debug_assert();
    }
}
