//! Provider times → UTC timestamps.

// Each provider uses the conversions its wire needs: with some providers left out, others go unused.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};

/// Unix seconds; 0 (PPIO's "none") and out-of-range values give `None`.
pub(crate) fn from_seconds(seconds: i64) -> Option<DateTime<Utc>> {
    (seconds > 0)
        .then(|| Utc.timestamp_opt(seconds, 0).single())
        .flatten()
}

/// Unix milliseconds (Ray).
pub(crate) fn from_millis(millis: i64) -> Option<DateTime<Utc>> {
    (millis > 0)
        .then(|| Utc.timestamp_millis_opt(millis).single())
        .flatten()
}

/// A unix time whose unit is decided by magnitude: openYuanrong documents
/// milliseconds but its examples hold 10-digit seconds. Below 10^11 it is
/// seconds (10^11 s is the year 5138; 10^11 ms is 1973).
pub(crate) fn from_unix_any(value: i64) -> Option<DateTime<Utc>> {
    match value < 100_000_000_000 {
        true => from_seconds(value),
        false => from_millis(value),
    }
}

/// A unix time in a string (openYuanrong); empty, `0` or unparsable give `None`.
pub(crate) fn from_unix_string(value: &str) -> Option<DateTime<Utc>> {
    value.trim().parse::<i64>().ok().and_then(from_unix_any)
}

/// A time in a free-form JSON value: a unix number (unit by magnitude) or an RFC 3339 string.
pub(crate) fn from_json(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    match value {
        serde_json::Value::Number(n) => n.as_i64().and_then(from_unix_any),
        serde_json::Value::String(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .ok()
            .or_else(|| from_unix_string(s)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_decided_by_magnitude() {
        let t = "2025-08-18T02:27:57Z";
        assert_eq!(
            from_unix_string("1755484077")
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            t
        );
        assert_eq!(
            from_unix_string("1755484077000")
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            t
        );
        assert_eq!(from_unix_string(""), None);
        assert_eq!(from_unix_string("0"), None);
        assert_eq!(from_seconds(0), None);
        assert_eq!(
            from_millis(1_761_991_200_123)
                .unwrap()
                .timestamp_subsec_millis(),
            123
        );
        assert_eq!(
            from_json(&serde_json::json!("2026-01-01T00:00:00+08:00"))
                .unwrap()
                .to_rfc3339(),
            "2025-12-31T16:00:00+00:00"
        );
    }
}
