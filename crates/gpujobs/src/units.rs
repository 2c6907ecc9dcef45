//! Values as people write them, in flags and config files alike: durations
//! (`30s`, `1h 30m`, plain seconds) and sizes (`8MiB`, plain bytes).

use std::time::Duration;

/// `8MiB`, `512KiB`, `1GiB`, `2MB`, or plain bytes.
///
/// ```
/// assert_eq!(gpujobs::units::parse_size("8MiB"), Ok(8 << 20));
/// ```
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a size like 8MiB or 512KiB"))?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return Err(format!("`{s}`: the unit must be B, KiB, MiB or GiB")),
    };
    match value.checked_mul(scale) {
        Some(0) => Err("the size must be more than 0".into()),
        Some(bytes) => Ok(bytes),
        None => Err(format!("`{s}` is out of range")),
    }
}

/// A duration like `500ms`, `30s`, `5m`, `1h 30m` (humantime), or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    match s.parse::<u64>() {
        Ok(seconds) => Ok(Duration::from_secs(seconds)),
        Err(_) => humantime::parse_duration(s)
            .map_err(|e| format!("`{s}` is not a duration like 30s, 5m or 1h: {e}")),
    }
}

/// A time limit: a duration that is not zero.
pub fn parse_limit(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        Duration::ZERO => Err("a time limit must be more than 0".into()),
        limit => Ok(limit),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert!(parse_duration("soon").is_err() && parse_limit("0s").is_err());
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(
            parse_size("0").is_err() && parse_size("lots").is_err() && parse_size("3TiB").is_err()
        );
    }
}
