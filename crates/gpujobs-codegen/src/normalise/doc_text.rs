//! Rule `doc-text`: make spec text safe for rustdoc.
//!
//! Descriptions and summaries become doc comments, which rustdoc reads as
//! Markdown: `<market GPU name>` is an unclosed HTML tag, `[id]` a broken
//! intra-doc link, a bare `https://…` a lint warning. Outside code spans,
//! `<`, `>`, `[` and `]` are backslash-escaped (Markdown shows them as
//! written) and bare URLs become autolinks, so the generated docs build with
//! `-D warnings` and read as the provider wrote them.

use serde_json::Value;

use super::Notes;
use super::walk::token;

const RULE: &str = "doc-text";

/// The keys whose text reaches doc comments (progenitor puts the terms of
/// service in the client's docs).
const TEXT_KEYS: [&str; 3] = ["description", "summary", "termsOfService"];

pub(super) fn escape(doc: &mut Value, notes: &mut Notes) {
    visit(doc, String::new(), notes);
}

fn visit(node: &mut Value, at: String, notes: &mut Notes) {
    match node {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                let here = format!("{at}/{}", token(key));
                match value {
                    Value::String(text) if TEXT_KEYS.contains(&key.as_str()) => {
                        if let Some(safe) = rustdoc_safe(text) {
                            notes.add(RULE, &here, "escaped for rustdoc");
                            *text = safe;
                        }
                    }
                    _ => visit(value, here, notes),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                visit(item, format!("{at}/{i}"), notes);
            }
        }
        _ => {}
    }
}

/// `text` made safe for rustdoc, or `None` when it already is.
pub fn rustdoc_safe(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_code = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            if let Some(url) = bare_url(rest) {
                out.push('<');
                out.push_str(url);
                out.push('>');
                rest = &rest[url.len()..];
                continue;
            }
            if matches!(c, '<' | '>' | '[' | ']') && !out.ends_with('\\') {
                out.push('\\');
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    (out != text).then_some(out)
}

/// The URL `text` starts with, if it starts with one (up to whitespace, and
/// without trailing punctuation that ends a sentence).
fn bare_url(text: &str) -> Option<&str> {
    if !(text.starts_with("http://") || text.starts_with("https://")) {
        return None;
    }
    let end = text
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '`' | '"' | ')' | ']'))
        .unwrap_or(text.len());
    let url = text[..end].trim_end_matches(['.', ',', ';', ':', '!', '?']);
    (url.len() > "https://".len()).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::rustdoc_safe;

    #[test]
    fn tags_links_and_urls_are_escaped_outside_code() {
        let cases = [
            ("the <market GPU name>", Some("the \\<market GPU name\\>")),
            ("port_<n> and [id]", Some("port_\\<n\\> and \\[id\\]")),
            ("see https://x.dev/a.", Some("see <https://x.dev/a>.")),
            ("as `<n>` or `[x]`", None),
            ("already \\<fine\\>", None),
            ("plain text", None),
            ("一个 <名字>", Some("一个 \\<名字\\>")),
        ];
        for (text, want) in cases {
            assert_eq!(rustdoc_safe(text).as_deref(), want, "{text}");
        }
    }
}
