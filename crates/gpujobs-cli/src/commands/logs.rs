//! `logs`: a job's log as it is now, or followed until the job ends.

use futures_util::{StreamExt, TryStreamExt};
use gpujobs::{DEFAULT_LOG_LIMIT, Error};
use serde_json::json;

use crate::cli::Output;
use crate::context::Context;
use crate::emit::{emit, emit_bytes};
use crate::failure::Failure;
use crate::output::Printer;

/// Prints a job's log: on a terminal with control characters escaped (line
/// breaks and tabs kept), piped exactly as the provider sent it; `-o json`
/// as one `{"logs": …}` object.
pub async fn logs(
    context: &Context,
    printer: &Printer,
    id: &str,
    follow: bool,
    limit: Option<u64>,
) -> Result<u8, Failure> {
    let provider = context.one()?;
    let fail = |e: Error| context.explain_error(e);
    let terminal = printer.width.is_some();
    let chunks = match follow {
        true => provider.follow_logs(id).map_ok(bytes::Bytes::from).boxed(),
        false => provider.log_bytes(id, limit.unwrap_or(DEFAULT_LOG_LIMIT)),
    };
    if printer.output != Output::Table {
        let all: Vec<bytes::Bytes> = chunks.try_collect().await.map_err(fail)?;
        let text = String::from_utf8_lossy(&all.concat()).into_owned();
        emit(&printer.json(&json!({ "logs": text }), printer.output == Output::Json));
        return Ok(0);
    }
    let mut chunks = chunks;
    let mut ends_with_newline = true;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(fail)?;
        ends_with_newline = chunk.ends_with(b"\n");
        match terminal {
            true => emit_bytes(
                gpujobs::terminal_safe_lines(&String::from_utf8_lossy(&chunk)).as_bytes(),
            ),
            false => emit_bytes(&chunk),
        }
    }
    if terminal && !ends_with_newline {
        emit_bytes(b"\n");
    }
    Ok(0)
}
