//! When to order: a missing certificate at once; a held one when it enters
//! `renew_before` (never before a third of its life has passed), or inside
//! the CA's ARI window when the CA offers one. A failed attempt is retried
//! with exponential backoff (first retry after `retry`, doubling, capped at
//! `retry_max`), never sooner than a `Retry-After` the CA sent.

use std::time::{Duration, SystemTime};

use crate::certs::info::CertInfo;

/// The scheduler's clock settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Longest sleep between two looks at the certificates.
    pub check: Duration,
    /// Delay before the first retry.
    pub retry: Duration,
    /// Longest delay between retries.
    pub retry_max: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            check: Duration::from_secs(60),
            retry: Duration::from_secs(30),
            retry_max: Duration::from_secs(4 * 3600),
        }
    }
}

/// The environment variable that shortens the timing (tests).
pub const TIMING_ENV: &str = "GATEHOUSE_ACME_TIMING";

impl Timing {
    /// `GATEHOUSE_ACME_TIMING=check=1s,retry=1s,retry_max=8s`, else the defaults.
    pub fn from_env() -> Timing {
        match std::env::var(TIMING_ENV) {
            Ok(text) => Timing::parse(&text).unwrap_or_else(|e| {
                tracing::warn!(value = %text, error = %e, "{TIMING_ENV} ignored");
                Timing::default()
            }),
            Err(_) => Timing::default(),
        }
    }

    /// Parses `key=duration` pairs separated by commas.
    pub fn parse(text: &str) -> Result<Timing, String> {
        let mut t = Timing::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{part}: expected key=duration"))?;
            let d = humantime::parse_duration(value.trim()).map_err(|e| format!("{part}: {e}"))?;
            if d.is_zero() {
                return Err(format!("{part}: must be more than zero"));
            }
            match key.trim() {
                "check" => t.check = d,
                "retry" => t.retry = d,
                "retry_max" => t.retry_max = d,
                other => return Err(format!("{other}: unknown key")),
            }
        }
        Ok(t)
    }

    /// The wait after `failures` failures in a row (1 = the first retry).
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(30);
        self.retry
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.retry_max)
            .min(self.retry_max)
    }
}

/// When a certificate with `info` is due for renewal under `renew_before`,
/// and a warning when `renew_before` asked for more than two thirds of its
/// life (it is then renewed once a third of its life has passed).
pub fn renewal_due(info: &CertInfo, renew_before: Duration) -> (SystemTime, Option<String>) {
    let wanted = info
        .not_after
        .checked_sub(renew_before)
        .unwrap_or(info.not_before);
    let life = info.lifetime();
    let floor = info.not_before + life / 3;
    if wanted >= floor {
        return (wanted, None);
    }
    let warning = format!(
        "renew_before ({}) is more than two thirds of the certificate's life ({}): renewed once a third of it has passed",
        humantime::format_duration(renew_before),
        humantime::format_duration(life)
    );
    (floor, Some(warning))
}

/// A time inside the CA's suggested window `[start, end]` (RFC 9773 asks
/// for a random one, so renewals of many clients spread out).
pub fn within_window(start: SystemTime, end: SystemTime, now: SystemTime) -> SystemTime {
    let start = start.max(now);
    match end.duration_since(start) {
        Ok(span) if !span.is_zero() => {
            use rand::Rng;
            let offset =
                rand::thread_rng().gen_range(0..span.as_millis().min(u128::from(u64::MAX)) as u64);
            start + Duration::from_millis(offset)
        }
        _ => start,
    }
}

/// The next attempt after a failure at `now`: backoff, or the CA's
/// `Retry-After` when later (capped at a week), or `retry_max` for a rate
/// limit that came without one.
pub fn next_try(
    timing: &Timing,
    failures: u32,
    now: SystemTime,
    retry_after: Option<SystemTime>,
    rate_limited: bool,
) -> SystemTime {
    let mut delay = timing.backoff(failures);
    match retry_after.and_then(|at| at.duration_since(now).ok()) {
        Some(asked) => delay = delay.max(asked.min(Duration::from_secs(7 * 86_400))),
        None if rate_limited => delay = delay.max(timing.retry_max),
        None => {}
    }
    now + delay
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn info(days: u64) -> CertInfo {
        CertInfo {
            names: vec!["a.test".into()],
            issuer: "CA".into(),
            not_before: UNIX_EPOCH,
            not_after: UNIX_EPOCH + Duration::from_secs(days * 86_400),
        }
    }

    #[test]
    fn test_timing_parse_and_default() {
        assert_eq!(Timing::parse("").unwrap(), Timing::default());
        let t = Timing::parse("check=1s, retry=2s,retry_max=8s").unwrap();
        assert_eq!(t.check, Duration::from_secs(1));
        assert_eq!(t.retry_max, Duration::from_secs(8));
        assert!(Timing::parse("retry=0s").is_err());
        assert!(Timing::parse("soon=1s").is_err());
        assert!(Timing::parse("retry").is_err());
    }

    #[test]
    fn test_backoff_doubles_and_caps() {
        let t = Timing::default();
        assert!(
            t.retry <= Duration::from_secs(60),
            "first retry within a minute"
        );
        let waits: Vec<u64> = (1..=4).map(|n| t.backoff(n).as_secs()).collect();
        assert_eq!(waits, vec![30, 60, 120, 240]);
        assert_eq!(t.backoff(100), t.retry_max);
        assert_eq!(t.backoff(0), t.retry);
    }

    #[test]
    fn test_renewal_due_renew_before() {
        let (due, warn) = renewal_due(&info(90), Duration::from_secs(30 * 86_400));
        assert_eq!(due, UNIX_EPOCH + Duration::from_secs(60 * 86_400));
        assert!(warn.is_none());
    }

    #[test]
    fn test_renewal_due_floor_when_renew_before_too_long() {
        let (due, warn) = renewal_due(&info(90), Duration::from_secs(400 * 86_400));
        assert_eq!(due, UNIX_EPOCH + Duration::from_secs(30 * 86_400));
        assert!(warn.unwrap().contains("two thirds"));
    }

    #[test]
    fn test_next_try_honours_retry_after_and_rate_limits() {
        let t = Timing::default();
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(
            next_try(&t, 1, now, None, false),
            now + Duration::from_secs(30)
        );
        let later = now + Duration::from_secs(3600);
        assert_eq!(next_try(&t, 1, now, Some(later), false), later);
        let soon = now + Duration::from_secs(5);
        assert_eq!(
            next_try(&t, 2, now, Some(soon), false),
            now + Duration::from_secs(60)
        );
        assert_eq!(next_try(&t, 1, now, None, true), now + t.retry_max);
    }

    #[test]
    fn test_within_window() {
        let now = UNIX_EPOCH + Duration::from_secs(100);
        let (s, e) = (
            UNIX_EPOCH + Duration::from_secs(200),
            UNIX_EPOCH + Duration::from_secs(300),
        );
        let t = within_window(s, e, now);
        assert!(t >= s && t < e);
        assert_eq!(within_window(UNIX_EPOCH, UNIX_EPOCH, now), now);
    }
}
