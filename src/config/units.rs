//! Sizes and durations as nginx users write them.
//!
//! Sizes: a number of bytes with an optional `k`, `m` or `g` suffix (powers of
//! 1024, case-insensitive): `10m`, `128k`, `1g`, `4096`. Durations: humantime
//! spans (`240s`, `5m`, `7d`, `1h30m`, `500ms`) or a bare number of seconds,
//! as nginx reads `proxy_read_timeout 240;`.

use std::time::Duration;

/// Why a size was refused.
const SIZE_HELP: &str = "expected a size like 10m, 128k, 1g or a number of bytes";
/// Why a duration was refused.
const DURATION_HELP: &str = "expected a duration like 240s, 5m, 7d, 1h30m or a number of seconds";

/// Parses an nginx size: digits with an optional `k`/`m`/`g` suffix.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, factor) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let factor: u64 = match c.to_ascii_lowercase() {
                'k' => 1 << 10,
                'm' => 1 << 20,
                'g' => 1 << 30,
                _ => return Err(SIZE_HELP.to_owned()),
            };
            (&t[..i], factor)
        }
        _ => (t, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SIZE_HELP.to_owned());
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| "size is too large".to_owned())
}

/// A size given as a TOML integer: a number of bytes, not negative.
pub fn size_from_integer(n: i64) -> Result<u64, String> {
    u64::try_from(n).map_err(|_| "a size cannot be negative".to_owned())
}

/// Parses a duration: humantime (`240s`, `1h30m`) or bare seconds (`240`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| "duration is too large".to_owned());
    }
    humantime::parse_duration(t).map_err(|_| DURATION_HELP.to_owned())
}

/// A duration given as a TOML integer: seconds, not negative (nginx style).
pub fn duration_from_integer(n: i64) -> Result<Duration, String> {
    u64::try_from(n)
        .map(Duration::from_secs)
        .map_err(|_| "a duration cannot be negative".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_parse_size_units() {
        assert_eq!(parse_size("10m"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("128k"), Ok(128 * 1024));
        assert_eq!(parse_size("1g"), Ok(1024 * 1024 * 1024));
        assert_eq!(parse_size("10M"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("128K"), Ok(128 * 1024));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("0"), Ok(0));
    }

    #[test]
    fn test_parse_size_rejects_bad() {
        for bad in [
            "",
            "m",
            "10mb",
            "10 m",
            "ten",
            "-1",
            "1.5m",
            "10t",
            "99999999999999999999",
        ] {
            assert!(parse_size(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn test_parse_size_overflow() {
        assert_eq!(
            parse_size("99999999999g"),
            Err("size is too large".to_owned())
        );
    }

    #[test]
    fn test_size_from_integer_negative() {
        assert_eq!(size_from_integer(1024), Ok(1024));
        assert!(size_from_integer(-1).is_err());
    }

    #[test]
    fn test_parse_duration_forms() {
        assert_eq!(parse_duration("240s"), Ok(Duration::from_secs(240)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("240"), Ok(Duration::from_secs(240)));
    }

    #[test]
    fn test_parse_duration_rejects_bad() {
        for bad in ["", "soon", "5 parsecs", "-5s", "s", "1.2.3s"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn test_duration_from_integer() {
        assert_eq!(duration_from_integer(240), Ok(Duration::from_secs(240)));
        assert!(duration_from_integer(-1).is_err());
    }
}
