//! How a command fails: its exit code and one line for stderr, from an
//! [`Error`]'s kind, with a hint of what to do. It needs to know only whether
//! the sandbox answered, not how the command was set up.

use std::time::Duration;

use gpujobs::Error;

use crate::flags::flag_of;
use crate::output::one_line;

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

    /// A whole command that ran out of time (exit 3).
    pub fn total_timeout(what: &str, limit: Duration) -> Self {
        Self {
            code: 3,
            message: format!(
                "{what} timed out after {} (--timeout)",
                humantime::format_duration(limit)
            ),
        }
    }

    /// Prints this failure of one of several jobs or providers and keeps the worst exit code.
    pub fn report(self, code: &mut u8) {
        eprintln!("error: {}", self.message);
        *code = (*code).max(self.code);
    }
}

/// The exit code for an error (see `--help`).
fn exit_code(error: &Error) -> u8 {
    match error {
        Error::NotFound { .. } => 4,
        Error::Unauthenticated { .. } | Error::PermissionDenied { .. } => 5,
        Error::Timeout { .. } => 3,
        Error::InvalidRequest { .. } | Error::Unsupported { .. } | Error::Config { .. } => 2,
        _ => 6,
    }
}

/// The exit code for an error, and its line with a hint of what to do;
/// `sandbox`: the command runs against `--sandbox` (hints say so).
pub fn failure(error: &Error, sandbox: bool) -> Failure {
    let provider = error.provider();
    let env = provider.descriptor().env;
    let sandbox = match sandbox {
        true => "--sandbox ",
        false => "",
    };
    let mut message = error.to_string();
    // What the library calls a field, the command line calls by its flag.
    for (field, flag) in error
        .fields()
        .iter()
        .filter_map(|f| Some((f, flag_of(*f, provider)?)))
    {
        message = message.replace(&format!("`{}`", field.name()), &flag);
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
        code: exit_code(error),
        message: one_line(&line),
    }
}
