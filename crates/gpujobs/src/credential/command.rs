//! A credential printed by a command ([`TokenCommand`]): `scontrol token
//! lifespan=600`, an OIDC helper, a password manager.

use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use tokio::io::AsyncReadExt as _;

use super::{Credential, CredentialError, CredentialProvider};

/// The most of a command's output read: a token is a line.
const MAX_OUTPUT: u64 = 64 * 1024;

/// A command that prints a credential, run when one is needed (see
/// [`CredentialProvider`]): its output is the credential, or, where a line
/// reads `VARIABLE=value` for the provider's credential variable (as
/// `scontrol token` prints `SLURM_JWT=…`), that value. A failure names the
/// command and its exit status, never its output (it may hold a secret).
///
/// ```
/// let command = gpujobs::TokenCommand::new(["scontrol", "token", "lifespan=600"])
///     .variable("SLURM_JWT");
/// assert_eq!(format!("{command:?}"), r#"TokenCommand { program: "scontrol", args: 2 }"#);
/// ```
#[derive(Clone)]
pub struct TokenCommand {
    argv: Vec<String>,
    variable: Option<String>,
    timeout: Duration,
}

impl std::fmt::Debug for TokenCommand {
    // The arguments may hold a secret (a password flag): counted, not shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCommand")
            .field("program", &self.program())
            .field("args", &self.argv.len().saturating_sub(1))
            .finish()
    }
}

impl TokenCommand {
    /// The command `argv` (a program and its arguments, no shell), given a
    /// minute to answer.
    pub fn new<S: Into<String>>(argv: impl IntoIterator<Item = S>) -> Self {
        Self {
            argv: argv.into_iter().map(Into::into).collect(),
            variable: None,
            timeout: Duration::from_secs(60),
        }
    }

    /// Takes the value of the line `NAME=value`, where the command prints one.
    pub fn variable(mut self, name: impl Into<String>) -> Self {
        self.variable = Some(name.into());
        self
    }

    /// Gives the command this long before it is killed.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The program run.
    pub fn program(&self) -> &str {
        self.argv.first().map_or("", String::as_str)
    }

    /// The credential in `output`.
    fn credential_in(&self, output: &str) -> Option<String> {
        let assigned = self.variable.as_deref().and_then(|name| {
            output
                .lines()
                .find_map(|line| line.trim().strip_prefix(name)?.strip_prefix('='))
        });
        let value = assigned.unwrap_or(output).trim();
        (!value.is_empty()).then(|| value.to_owned())
    }
}

#[async_trait]
impl CredentialProvider for TokenCommand {
    async fn fetch(&self) -> Result<Credential, CredentialError> {
        let program = self.program();
        let said = |what: String| -> CredentialError {
            format!("token command `{program}` {what}").into()
        };
        if program.is_empty() {
            return Err("the token command is empty".into());
        }
        let mut child = tokio::process::Command::new(program)
            .args(&self.argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| said(format!("cannot be run: {}", e.kind())))?;
        let mut stdout = child.stdout.take().expect("piped").take(MAX_OUTPUT);
        let run = async {
            let mut output = Vec::new();
            stdout.read_to_end(&mut output).await?;
            Ok::<_, std::io::Error>((child.wait().await?, output))
        };
        let (status, output) = match tokio::time::timeout(self.timeout, run).await {
            Err(_) => return Err(said(format!("did not finish in {:?}", self.timeout))),
            Ok(Err(e)) => return Err(said(format!("failed: {}", e.kind()))),
            Ok(Ok(done)) => done,
        };
        if !status.success() {
            let status = status
                .code()
                .map_or("a signal".to_owned(), |c| format!("status {c}"));
            return Err(said(format!("exited with {status}")));
        }
        let output = String::from_utf8(output)
            .map_err(|_| said("printed something that is not text".into()))?;
        let secret = self
            .credential_in(&output)
            .ok_or_else(|| said("printed no credential".into()))?;
        Ok(Credential::new(secret))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_credential_is_the_named_line_or_the_whole_output() {
        let slurm = TokenCommand::new(["scontrol"]).variable("SLURM_JWT");
        assert_eq!(
            slurm.credential_in("SLURM_JWT=abc\n").as_deref(),
            Some("abc")
        );
        assert_eq!(
            slurm.credential_in("note\nSLURM_JWT=abc\n").as_deref(),
            Some("abc")
        );
        assert_eq!(slurm.credential_in("  tok \n").as_deref(), Some("tok"));
        assert_eq!(slurm.credential_in(" \n"), None);
        assert_eq!(slurm.credential_in("SLURM_JWT=\n"), None);
    }

    #[tokio::test]
    async fn a_failing_command_is_named_with_its_status_never_its_output() {
        let failing = TokenCommand::new(["sh", "-c", "echo sk-canary; exit 3"]);
        let error = failing.fetch().await.unwrap_err().to_string();
        assert_eq!(error, "token command `sh` exited with status 3");
        let missing = TokenCommand::new(["/nonexistent/gpujobs-token"]);
        let error = missing.fetch().await.unwrap_err().to_string();
        assert!(
            error.contains("cannot be run: entity not found") || error.contains("cannot be run"),
            "{error}"
        );
        let ok = TokenCommand::new(["sh", "-c", "echo SLURM_JWT=t1"]).variable("SLURM_JWT");
        assert_eq!(ok.fetch().await.unwrap().secret.expose(), "t1");
    }
}
