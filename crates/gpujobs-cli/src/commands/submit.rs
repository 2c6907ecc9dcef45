//! `submit`: the request the command line describes, for the provider chosen.

use gpujobs::{OptionKey, OptionValues, ProviderKind, SubmitRequest};

use crate::cli::SubmitArgs;
use crate::context::Context;
use crate::emit::emit;
use crate::failure::{Failure, failure};
use crate::output::Printer;

/// Submits, and prints the job.
pub async fn submit(
    context: &Context,
    printer: &Printer,
    args: &SubmitArgs,
) -> Result<u8, Failure> {
    let provider = context.one()?;
    let request = submit_request(args, provider.kind())?;
    let job = provider.submit(&request).await;
    emit(&printer.job(&context.explain(job)?));
    if context.is_sandbox() {
        eprintln!(
            "note: the --sandbox server lasts this one command; `gpujobs sandbox` keeps one running"
        );
    }
    Ok(0)
}

/// The request `submit` makes of `kind`: the common fields, and the provider's own
/// options from its flags (another provider's flag is refused, exit 2, naming it).
pub(super) fn submit_request(
    args: &SubmitArgs,
    kind: ProviderKind,
) -> Result<SubmitRequest, Failure> {
    let mut request = SubmitRequest::from_args(&args.command);
    request.id = args.id.clone();
    request.name = args.name.clone();
    request.env = args.env.iter().cloned().collect();
    request.metadata = args.labels.iter().cloned().collect();
    request.working_dir = args.working_dir.clone();
    request.cpus = args.cpus;
    request.gpus = args.gpus;
    request.memory_bytes = args.memory;
    let descriptor = kind.descriptor();
    let keys = args
        .provider_options
        .iter()
        .map(|(flag, _)| OptionKey::Flag(flag));
    let found = descriptor
        .options_named(keys, |o| format!("--{}", o.flag))
        .map_err(|e| failure(&e, false))?;
    let given = args
        .provider_options
        .iter()
        .map(|(_, values)| values.clone());
    let values: OptionValues = found.iter().map(|o| o.name).zip(given).collect();
    let options = descriptor
        .options_from(&values)
        .map_err(|e| failure(&e, false))?;
    Ok(request.shared_options(options))
}
