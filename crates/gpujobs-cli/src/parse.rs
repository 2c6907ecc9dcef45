//! Values as the command line writes them: `K=V` pairs, and durations and
//! sizes as the library reads them everywhere ([`gpujobs::units`]).

pub fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("`{s}` is not K=V")),
    }
}

pub use gpujobs::units::{parse_limit, parse_size};
