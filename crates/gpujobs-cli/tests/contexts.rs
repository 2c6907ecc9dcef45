//! The contexts issue's rows at the command line, against sandboxes in this
//! process: two Slurm clusters (24.11 and 26.05) named in one config file and
//! switched between, the precedence of flags over the environment over a
//! context, malformed files, tokens from a command that expire while a
//! `wait` runs, TensorPool's new variable and openYuanrong's JWT.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::gpujobs;
use gpujobs::ProviderKind;
use gpujobs_sandbox::{JobSpec, Sandbox, SandboxConfig, SlurmRelease, Timing};
use serde_json::Value;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn sandbox(runtime: &tokio::runtime::Runtime, config: SandboxConfig) -> Sandbox {
    runtime.block_on(Sandbox::start(config.empty())).unwrap()
}

/// A config file in a directory of its own (mode 600), and that directory.
fn config_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    (dir, path)
}

/// `gpujobs ARGS` with GPUJOBS_CONFIG = `file`, and `env`.
fn with_file(file: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let file = file.to_str().unwrap();
    let env: Vec<(&str, &str)> = [("GPUJOBS_CONFIG", file)]
        .into_iter()
        .chain(env.iter().copied())
        .collect();
    gpujobs(args, &env)
}

fn names(stdout: &str) -> Vec<String> {
    let jobs: Value = serde_json::from_str(stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    jobs.as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn slurm_context(name: &str, sandbox: &Sandbox, extra: &str) -> String {
    format!(
        "[contexts.{name}]\nprovider = \"slurm\"\nbase_url = \"{}\"\ncredential = \"{}\"\nsettings = {{ user = \"sandbox\" }}\n{extra}\n",
        sandbox.base_url(ProviderKind::Slurm),
        sandbox.token(ProviderKind::Slurm).unwrap(),
    )
}

/// Row "switch between two Slurm clusters: re-export five variables".
#[test]
fn two_slurm_clusters_in_one_file_are_switched_between_by_name() {
    let rt = runtime();
    let old = sandbox(
        &rt,
        SandboxConfig::default().slurm_release(SlurmRelease::V24_11),
    );
    let new = sandbox(
        &rt,
        SandboxConfig::default().slurm_release(SlurmRelease::V26_05),
    );
    let on_old = old
        .add_job(ProviderKind::Slurm, JobSpec::new("true").name("on-24-11"))
        .unwrap();
    new.add_job(ProviderKind::Slurm, JobSpec::new("true").name("on-26-05"))
        .unwrap();
    let text = format!(
        "# two clusters\ncurrent-context = \"old\"\n\n{}{}",
        slurm_context("old", &old, ""),
        slurm_context("new", &new, "")
    );
    let (_dir, file) = config_file(&text);

    let (code, stdout, stderr) = with_file(&file, &["list", "-o", "json"], &[]);
    assert_eq!(
        (code, names(&stdout)),
        (0, vec!["on-24-11".to_owned()]),
        "{stderr}"
    );
    let (_, stdout, _) = with_file(&file, &["-c", "new", "list", "-o", "json"], &[]);
    assert_eq!(names(&stdout), ["on-26-05"]);
    let (_, stdout, _) = with_file(
        &file,
        &["list", "-o", "json"],
        &[("GPUJOBS_CONTEXT", "new")],
    );
    assert_eq!(names(&stdout), ["on-26-05"]);

    let (code, stdout, _) = with_file(&file, &["config", "use-context", "new"], &[]);
    assert_eq!((code, stdout.trim()), (0, "switched to context new"));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(
        written.starts_with("# two clusters\ncurrent-context = \"new\"\n"),
        "{written}"
    );
    assert_eq!(
        with_file(&file, &["config", "current-context"], &[])
            .1
            .trim(),
        "new"
    );
    let (_, table, _) = with_file(&file, &["config", "get-contexts"], &[]);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with('*') && l.contains("new")),
        "{table}"
    );

    // Every context at once, and a job of one by CONTEXT/ID.
    let (code, stdout, stderr) = with_file(&file, &["list", "--all-contexts"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("CONTEXT"), "{stdout}");
    assert!(
        stdout.contains("old") && stdout.contains("on-24-11") && stdout.contains("on-26-05"),
        "{stdout}"
    );
    let (_, ids, _) = with_file(&file, &["list", "--all-contexts", "-o", "name"], &[]);
    assert!(ids.lines().any(|l| l == format!("old/{on_old}")), "{ids}");
    let (code, stdout, stderr) =
        with_file(&file, &["get", &format!("old/{on_old}"), "-o", "json"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        serde_json::from_str::<Value>(&stdout).unwrap()["name"],
        "on-24-11"
    );

    // Secrets written in the file are never shown by `config view`.
    let (_, view, _) = with_file(&file, &["config", "view"], &[]);
    assert!(
        !view.contains(old.token(ProviderKind::Slurm).unwrap()),
        "{view}"
    );
    assert!(view.contains("[REDACTED]"), "{view}");
}

/// flags > environment > context > defaults, for the base URL and a setting.
#[test]
fn flags_beat_the_environment_which_beats_the_context() {
    let rt = runtime();
    let [a, b, c] = ["from-context", "from-env", "from-flag"].map(|name| {
        let sandbox = sandbox(&rt, SandboxConfig::default());
        sandbox
            .add_job(ProviderKind::Ray, JobSpec::new("true").name(name))
            .unwrap();
        sandbox
    });
    let url = |s: &Sandbox| s.base_url(ProviderKind::Ray);
    let text = format!(
        "current-context = \"r\"\n[contexts.r]\nprovider = \"ray\"\nbase_url = \"{}\"\n",
        url(&a)
    );
    let (_dir, file) = config_file(&text);
    let (env, flag) = (url(&b), url(&c));
    // (flags, environment, the job listed)
    type Row<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let rows: [Row; 3] = [
        (&[], &[], "from-context"),
        (&[], &[("RAY_API_SERVER_ADDRESS", &env)], "from-env"),
        (
            &["--base-url", &flag],
            &[("RAY_API_SERVER_ADDRESS", &env)],
            "from-flag",
        ),
    ];
    for (flags, env, expected) in rows {
        let args: Vec<&str> = flags
            .iter()
            .copied()
            .chain(["list", "-o", "json"])
            .collect();
        let (code, stdout, stderr) = with_file(&file, &args, env);
        assert_eq!(
            (code, names(&stdout)),
            (0, vec![expected.to_owned()]),
            "{flags:?} {env:?}: {stderr}"
        );
    }
    // Without a file, as before: the environment alone.
    let (code, stdout, _) = gpujobs(
        &["-p", "ray", "list", "-o", "json"],
        &[("RAY_API_SERVER_ADDRESS", &env)],
    );
    assert_eq!((code, names(&stdout)), (0, vec!["from-env".to_owned()]));
    // A context of another provider than -p is refused; the file's current one gives way to -p.
    let (code, _, stderr) = with_file(&file, &["-c", "r", "-p", "slurm", "list"], &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("-p slurm, but context r is ray"),
        "{stderr}"
    );
}

#[test]
fn a_malformed_file_names_file_line_and_key_and_exits_2() {
    let (_dir, file) = config_file(
        "[contexts.lab]\nprovider = \"slurm\"\nbase_url = \"http://127.0.0.1:1\"\ntoken = \"sk-canary-secret\"\n",
    );
    let (code, stdout, stderr) = with_file(&file, &["list"], &[]);
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    let at = format!("{}:4: `token`", file.display());
    assert!(stderr.contains(&at), "{stderr}");
    assert!(!stderr.contains("sk-canary-secret"), "{stderr}");

    let (_dir, file) = config_file("current-context = \"nope\"\n");
    let (code, _, stderr) = with_file(&file, &["list"], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`current-context`: names no context"),
        "{stderr}"
    );
    let (code, _, stderr) = with_file(Path::new("/nonexistent/gpujobs.toml"), &["list"], &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("/nonexistent/gpujobs.toml: cannot be read"),
        "{stderr}"
    );
    let (code, _, stderr) = gpujobs(&["-c", "lab", "list"], &[("HOME", "/nonexistent")]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no config file of contexts"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_file_others_can_read_that_holds_a_secret_is_warned_of() {
    use std::os::unix::fs::PermissionsExt as _;
    let rt = runtime();
    let slurm = sandbox(&rt, SandboxConfig::default());
    let (_dir, file) = config_file(&format!(
        "current-context = \"s\"\n{}",
        slurm_context("s", &slurm, "")
    ));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, stderr) = with_file(&file, &["list"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning:") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(!with_file(&file, &["list"], &[]).2.contains("warning"));
}

/// A token command as a Python script: asks the sandbox for a token of
/// `lifespan` seconds and counts its runs in `count`.
fn token_command(dir: &Path, sandbox: &Sandbox, lifespan: u64) -> (String, PathBuf) {
    let count = dir.join("runs");
    let script = dir.join("token.py");
    let url = format!(
        "http://{}/_tokens/slurm?lifespan={lifespan}",
        sandbox.addr()
    );
    std::fs::write(
        &script,
        format!(
            "import urllib.request\nopen({count:?}, 'a').write('x')\nprint('SLURM_JWT=' + urllib.request.urlopen(urllib.request.Request({url:?}, method='POST')).read().decode())\n",
            count = count.to_str().unwrap()
        ),
    )
    .unwrap();
    (
        format!(
            "token_command = [\"python3\", {:?}]",
            script.to_str().unwrap()
        ),
        count,
    )
}

/// Row "`wait` for longer than the token's lifespan: fails after it".
#[test]
fn a_wait_outlasting_its_tokens_lifespan_succeeds_on_refreshed_tokens() {
    if std::process::Command::new("python3")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!("SKIPPED: python3 is needed for the token command");
        return;
    }
    let rt = runtime();
    let timing = Timing {
        queued: Duration::from_millis(100),
        starting: Duration::from_millis(100),
        running: Duration::from_secs(9),
        cancel: Duration::from_millis(100),
    };
    let slurm = sandbox(&rt, SandboxConfig::default().timing(timing));
    let dir = tempfile::tempdir().unwrap();
    let (command, count) = token_command(dir.path(), &slurm, 2);
    let context = format!(
        "current-context = \"s\"\n[contexts.s]\nprovider = \"slurm\"\nbase_url = \"{}\"\n{command}\n",
        slurm.base_url(ProviderKind::Slurm)
    );
    let (_file_dir, file) = config_file(&context);
    let (code, stdout, stderr) = with_file(
        &file,
        &[
            "submit",
            "--working-dir",
            "/tmp",
            "-o",
            "name",
            "--",
            "true",
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = with_file(&file, &["wait", stdout.trim(), "--max-interval", "1s"], &[]);
    assert_eq!(code, 0, "the job succeeded, on tokens of 2 s: {stderr}");
    // Once at first, then each 1.5 s (¾ of 2 s) while requests go: never one a request.
    let runs = std::fs::read_to_string(&count).unwrap().len();
    assert!(
        (4..=10).contains(&runs),
        "{runs} token commands for ~10 s on 2 s tokens"
    );

    // A token whose lifespan ran out is refused by the sandbox, as by slurmctld.
    let expired = slurm.issue_token(ProviderKind::Slurm, Duration::ZERO);
    let env = [
        ("SLURMRESTD_URL", slurm.base_url(ProviderKind::Slurm)),
        ("SLURM_JWT", expired),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (code, _, stderr) = gpujobs(&["-p", "slurm", "--slurm-user", "sandbox", "list"], &env);
    assert_eq!(code, 5, "{stderr}");
}

#[test]
fn a_failing_token_command_is_named_with_its_status_never_its_output() {
    let rt = runtime();
    let slurm = sandbox(&rt, SandboxConfig::default());
    let context = format!(
        "current-context = \"s\"\n[contexts.s]\nprovider = \"slurm\"\nbase_url = \"{}\"\ntoken_command = [\"sh\", \"-c\", \"echo sk-canary-printed; exit 7\"]\n",
        slurm.base_url(ProviderKind::Slurm)
    );
    let (_dir, file) = config_file(&context);
    let (code, stdout, stderr) = with_file(&file, &["list"], &[]);
    assert_eq!((code, stdout.as_str()), (5, ""), "{stderr}");
    assert!(
        stderr.contains("token command `sh` exited with status 7"),
        "{stderr}"
    );
    assert!(!stderr.contains("sk-canary-printed"), "{stderr}");
}

/// Row "`TENSORPOOL_API_KEY=... gpujobs -p tensorpool list`: missing credential".
#[test]
fn tensorpool_reads_its_current_variable_and_the_old_one() {
    let rt = runtime();
    let sandbox = sandbox(&rt, SandboxConfig::default());
    sandbox
        .add_job(ProviderKind::Tensorpool, JobSpec::new("true").name("tp"))
        .unwrap();
    let (url, key) = (
        sandbox.base_url(ProviderKind::Tensorpool),
        sandbox.token(ProviderKind::Tensorpool).unwrap().to_owned(),
    );
    for var in ["TENSORPOOL_API_KEY", "TENSORPOOL_KEY"] {
        let (code, stdout, stderr) = gpujobs(
            &["-p", "tensorpool", "list", "-o", "json"],
            &[("TENSORPOOL_ENGINE", &url), (var, &key)],
        );
        assert_eq!(
            (code, names(&stdout)),
            (0, vec!["tp".to_owned()]),
            "{var}: {stderr}"
        );
    }
    let (code, _, stderr) = gpujobs(
        &["-p", "tensorpool", "list"],
        &[("TENSORPOOL_ENGINE", &url)],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("set TENSORPOOL_API_KEY"), "{stderr}");
}

/// Row "openYuanrong with authentication on: no way to send its token".
#[test]
fn openyuanrong_sends_its_jwt_in_x_auth_and_reads_the_frontends_refusal() {
    let rt = runtime();
    let sandbox = sandbox(
        &rt,
        SandboxConfig::default().token(ProviderKind::Yuanrong, "yr-jwt"),
    );
    sandbox
        .add_job(ProviderKind::Yuanrong, JobSpec::new("true").name("yr"))
        .unwrap();
    let url = sandbox.base_url(ProviderKind::Yuanrong);
    let (code, stdout, stderr) = gpujobs(
        &["-p", "yuanrong", "list", "-o", "json"],
        &[("YUANRONG_BASE_URL", &url), ("YUANRONG_TOKEN", "yr-jwt")],
    );
    assert_eq!(
        (code, names(&stdout)),
        (0, vec!["yr".to_owned()]),
        "{stderr}"
    );
    let (code, _, stderr) = gpujobs(&["-p", "yuanrong", "list"], &[("YUANRONG_BASE_URL", &url)]);
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("Authentication failed: no token"),
        "{stderr}"
    );
    let (code, _, stderr) = gpujobs(
        &["-p", "yuanrong", "list"],
        &[("YUANRONG_BASE_URL", &url), ("YUANRONG_TOKEN", "wrong")],
    );
    assert_eq!(code, 5, "{stderr}");
    assert!(
        stderr.contains("Authentication failed: invalid or malformed"),
        "{stderr}"
    );
}
