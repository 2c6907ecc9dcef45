//! `config get-contexts | current-context | use-context NAME | view`: the
//! config file's contexts, as kubectl's.

use gpujobs::contexts::{Context as Named, CredentialFrom};
use serde_json::json;

use crate::cli::{ConfigCommand, Output};
use crate::context::Context;
use crate::emit::emit;
use crate::failure::Failure;
use crate::output::{Printer, one_line, table};

/// Runs one `config` command.
pub fn run(context: &Context, printer: &Printer, command: &ConfigCommand) -> Result<u8, Failure> {
    let contexts = context.contexts()?;
    match command {
        ConfigCommand::GetContexts => {
            let current = contexts.current();
            let rows = contexts
                .iter()
                .map(|c| {
                    let mark = if Some(c.name.as_str()) == current {
                        "*"
                    } else {
                        ""
                    };
                    vec![
                        mark.to_owned(),
                        one_line(&c.name),
                        c.provider.to_string(),
                        base_url(c),
                    ]
                })
                .collect();
            match printer.output {
                Output::Table => emit(&table(
                    &["CURRENT", "NAME", "PROVIDER", "BASE URL"],
                    rows,
                    printer.width,
                    &[],
                )),
                _ => emit(
                    &printer.json(
                        &contexts
                            .iter()
                            .map(|c| view(c, current))
                            .collect::<Vec<_>>(),
                        true,
                    ),
                ),
            }
        }
        ConfigCommand::CurrentContext => match contexts.current() {
            Some(name) => emit(&one_line(name)),
            None => {
                return Err(Failure::usage(format!(
                    "{} sets no current-context",
                    contexts.file().display()
                )));
            }
        },
        ConfigCommand::UseContext { name } => {
            let mut contexts = contexts.clone();
            contexts
                .use_context(name)
                .map_err(|e| Failure::usage(e.to_string()))?;
            emit(&format!("switched to context {}", one_line(name)));
        }
        ConfigCommand::View => {
            let current = contexts.current();
            let all: Vec<_> = contexts.iter().map(|c| view(c, current)).collect();
            emit(&printer.json(
                &json!({ "file": contexts.file(), "current-context": current, "contexts": all }),
                true,
            ));
        }
    }
    Ok(0)
}

fn base_url(context: &Named) -> String {
    context.base_url.as_deref().map_or_else(
        || "-".to_owned(),
        |u| gpujobs::SensitiveUrl::new(u).to_string(),
    )
}

/// A context as shown: a credential written in the file redacted, a command
/// by its program (its arguments may hold a secret).
fn view(context: &Named, current: Option<&str>) -> serde_json::Value {
    let credential = match &context.credential {
        CredentialFrom::Env(var) => json!({ "env": var }),
        CredentialFrom::File(path) => json!({ "file": path }),
        CredentialFrom::Command(argv) => json!({ "command": argv.first(), "args": argv.len() - 1 }),
        CredentialFrom::Value(secret) => json!({ "value": secret }),
        _ => serde_json::Value::Null,
    };
    json!({
        "name": context.name,
        "current": Some(context.name.as_str()) == current,
        "provider": context.provider,
        "base_url": context.base_url.as_deref().map(gpujobs::SensitiveUrl::new),
        "settings": context.settings,
        "credential": credential,
        "request_timeout": context.request_timeout.map(|d| d.as_secs_f64()),
        "connect_timeout": context.connect_timeout.map(|d| d.as_secs_f64()),
        "max_attempts": context.max_attempts,
        "max_response_bytes": context.max_response_bytes,
        "allow_insecure_http": context.allow_insecure_http,
    })
}
