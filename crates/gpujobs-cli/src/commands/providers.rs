//! `providers`: what each provider supports, and what to know about it.

use gpujobs::ProviderKind;

use crate::cli::Output;
use crate::output::{Printer, table};

/// What each provider supports, from the descriptors, and what to know about it.
pub fn providers_text(printer: &Printer) -> String {
    let descriptors: Vec<&gpujobs::Descriptor> =
        ProviderKind::ALL.iter().map(|k| k.descriptor()).collect();
    if printer.output != Output::Table {
        return printer.json(&descriptors, printer.output == Output::Json);
    }
    let mark = |yes: bool| if yes { "yes" } else { "-" }.to_owned();
    let header = [
        "PROVIDER",
        "GET",
        "LIST",
        "CANCEL",
        "SUBMIT",
        "LOGS",
        "FOLLOW",
        "FAILURES",
        "CREDENTIAL",
        "BASE URL",
    ];
    let rows = descriptors
        .iter()
        .map(|d| {
            let caps = d.capabilities;
            vec![
                d.name.to_owned(),
                mark(caps.get),
                mark(caps.list),
                match (caps.cancel, caps.async_cancel) {
                    (true, true) => "async".to_owned(),
                    (cancel, _) => mark(cancel),
                },
                mark(caps.submit),
                mark(caps.logs),
                mark(caps.follow_logs),
                match caps.reports_failure {
                    true => "reported".to_owned(),
                    false => "NOT reported".to_owned(),
                },
                d.env.credential.unwrap_or("-").to_owned(),
                d.env.base_url.to_owned(),
            ]
        })
        .collect();
    let mut out = table(&header, rows, None, &[]);
    out.push_str("\n\n");
    for d in descriptors {
        for note in d.notes {
            out.push_str(&format!("{}: {note}\n", d.name));
        }
    }
    out.trim_end().to_owned()
}
