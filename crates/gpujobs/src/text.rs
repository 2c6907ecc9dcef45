//! Provider text made safe to show on a terminal, and shortened and
//! redacted for an error's message.
//!
//! A job's name, status, message or an error body comes from a remote server.
//! Printed raw, an escape sequence in it could clear the screen, retitle the
//! window, hide itself or rewrite what was printed before (`\r`). Every
//! human-readable output of gpujobs passes provider text through
//! [`terminal_safe`]; JSON output keeps the exact text (its encoder escapes it).

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character, and every invisible character that
/// reorders text (bidirectional overrides), written as a visible escape:
/// `\x1b`, `\r`, `\n`, `\t`, `\u{202e}`. Everything else is kept as it is.
///
/// ```
/// use gpujobs::terminal_safe;
/// assert_eq!(terminal_safe("train\x1b]0;pwned\x07"), r"train\x1b]0;pwned\x07");
/// assert_eq!(terminal_safe("ok\rFAILED"), r"ok\rFAILED");
/// assert_eq!(terminal_safe("训练-🚀"), "训练-🚀");
/// ```
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// Like [`terminal_safe`], but keeps line breaks and tabs: for text printed
/// as lines, such as logs.
///
/// ```
/// use gpujobs::terminal_safe_lines;
/// assert_eq!(terminal_safe_lines("step 1\n\x1b[2Jstep 2\n"), "step 1\n\\x1b[2Jstep 2\n");
/// ```
pub fn terminal_safe_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| is_terminal_control(c) && !(keep_lines && matches!(c, '\n' | '\t'));
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            c if !unsafe_char(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// Whether a terminal would act on `c` rather than show it: the control
/// characters (C0, DEL, C1) and the bidirectional formatting characters.
///
/// ```
/// assert!(gpujobs::is_terminal_control('\x1b') && gpujobs::is_terminal_control('\u{202e}'));
/// assert!(!gpujobs::is_terminal_control('é'));
/// ```
pub fn is_terminal_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The most of a body an error keeps.
pub(crate) const BODY_EXCERPT: usize = 512;

/// The start of a response body, secrets redacted, on one line, safe for a
/// terminal (control characters escaped).
pub(crate) fn excerpt(body: &str) -> String {
    shorten(&redact_text(&shorten(body)))
}

/// The start of a provider's text (at most [`BODY_EXCERPT`] characters), on
/// one line, safe for a terminal (control characters escaped).
pub(crate) fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(BODY_EXCERPT).collect();
    if text.chars().nth(BODY_EXCERPT).is_some() {
        short.push('…');
    }
    terminal_safe(&short.replace(['\n', '\r'], " ")).into_owned()
}

/// Keys whose values are secrets wherever they appear in a body.
const SECRET_KEYS: [&str; 7] = [
    "password",
    "token",
    "secret",
    "api_key",
    "apikey",
    "authorization",
    "signature",
];

/// Replaces the value after any secret-looking key (`"password": "x"`,
/// `token=x`, `Authorization: Bearer x`) with `[REDACTED]`.
pub(crate) fn redact_text(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let hit = SECRET_KEYS
            .iter()
            .filter_map(|k| lower[i..].find(k).map(|at| (i + at, k.len())))
            .min();
        let Some((at, len)) = hit else {
            out.push_str(&text[i..]);
            break;
        };
        let mut j = at + len;
        out.push_str(&text[i..j]);
        // Skip the key's tail (`"`, `:`, `=`, spaces, a `Bearer ` scheme), then the value.
        let bytes = text.as_bytes();
        while j < bytes.len() && matches!(bytes[j], b'"' | b'\'' | b':' | b'=' | b' ') {
            out.push(bytes[j] as char);
            j += 1;
        }
        if lower[j..].starts_with("bearer ") {
            out.push_str(&text[j..j + 7]);
            j += 7;
        }
        let value_end = text[j..]
            .find(['"', '\'', '&', ',', '}', ' ', ';'])
            .map_or(text.len(), |e| j + e);
        if value_end > j {
            out.push_str(gpujobs_runtime::REDACTED);
        }
        i = value_end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_character_is_escaped_and_nothing_else_changes() {
        for c in (0u32..0x250).filter_map(char::from_u32) {
            let shown = terminal_safe(&c.to_string()).into_owned();
            match c.is_control() {
                true => assert!(
                    shown.starts_with('\\') && shown.chars().all(|c| !c.is_control()),
                    "{c:?} → {shown:?}"
                ),
                false => assert_eq!(shown, c.to_string()),
            }
        }
        assert_eq!(terminal_safe("a\u{202e}b"), "a\\u{202e}b");
        assert_eq!(terminal_safe("\u{9b}31m"), "\\u{9b}31m");
    }

    #[test]
    fn secrets_in_bodies_are_redacted() {
        let body = r#"{"user":"root","password":"D]3F[wZ%pWS%oM0g","url":"https://h?token=J90T8W3lU8&x=1"} Authorization: Bearer sk-123"#;
        let shown = redact_text(body);
        for canary in ["D]3F[wZ%pWS%oM0g", "J90T8W3lU8", "sk-123"] {
            assert!(!shown.contains(canary), "{shown}");
        }
        assert!(
            shown.contains(r#""user":"root""#) && shown.contains("x=1"),
            "{shown}"
        );
    }

    #[test]
    fn excerpts_escape_control_characters() {
        let e = excerpt("boom\x1b]0;owned\x07\x1b[2J");
        assert!(!e.chars().any(char::is_control), "{e}");
        assert!(e.contains(r"\x1b]0;owned\x07"), "{e}");
    }

    #[test]
    fn excerpts_are_bounded_and_on_one_line() {
        let long = "x\n".repeat(2000);
        let e = excerpt(&long);
        assert!(e.chars().count() <= BODY_EXCERPT + 1 && !e.contains('\n'));
    }

    #[test]
    fn plain_text_is_not_copied() {
        assert!(matches!(terminal_safe("plain"), Cow::Borrowed(_)));
    }
}
