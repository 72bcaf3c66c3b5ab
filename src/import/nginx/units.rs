//! nginx sizes (`10m`, `1M`, `128k`, `4096`) and times (`240`, `5m`,
//! `1h30m`, `500ms`) in the form Gatehouse writes them.

/// A size as Gatehouse writes it (`10m`), or why not.
pub fn size(text: &str) -> Result<String, String> {
    let t = text.trim().to_ascii_lowercase();
    let (num, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => t.split_at(i),
        None => (t.as_str(), ""),
    };
    if num.is_empty() || !matches!(unit, "" | "k" | "m" | "g") {
        return Err(format!("{text:?} is not an nginx size"));
    }
    Ok(format!("{num}{unit}"))
}

/// A time as Gatehouse writes it (`240s`, `500ms`), or why not.
pub fn time(text: &str) -> Result<String, String> {
    let t = text.trim();
    let bad = || format!("{text:?} is not an nginx time");
    let mut ms: u64 = 0;
    let mut rest = t;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if end == 0 {
            return Err(bad());
        }
        let n: u64 = rest[..end].parse().map_err(|_| bad())?;
        rest = &rest[end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let factor: u64 = match &rest[..unit_end] {
            "" | "s" => 1000,
            "ms" => 1,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 7 * 86_400_000,
            "M" => 30 * 86_400_000,
            "y" => 365 * 86_400_000,
            _ => return Err(bad()),
        };
        rest = &rest[unit_end..];
        ms = n
            .checked_mul(factor)
            .and_then(|v| ms.checked_add(v))
            .ok_or_else(bad)?;
    }
    if ms == 0 {
        return Err(format!(
            "{text:?}: a zero timeout has no Gatehouse equivalent"
        ));
    }
    Ok(if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_size() {
        assert_eq!(size("10m").unwrap(), "10m");
        assert_eq!(size("1G").unwrap(), "1g");
        assert_eq!(size("0").unwrap(), "0");
        assert!(size("10mb").is_err());
    }

    #[test]
    fn test_time() {
        assert_eq!(time("240").unwrap(), "240s");
        assert_eq!(time("5m").unwrap(), "300s");
        assert_eq!(time("1h30m").unwrap(), "5400s");
        assert_eq!(time("500ms").unwrap(), "500ms");
        assert!(time("0").is_err());
        assert!(time("soon").is_err());
    }
}
