//! TOTP (RFC 6238, through `totp-rs`): 6 digits, 30-second steps, SHA-1
//! (what every authenticator app reads from an `otpauth://` URI), one step
//! of clock skew either way. [`check`] returns the time step a code matched,
//! so the caller can accept each step once per user (the store keeps the
//! last one). Also the ten single-use recovery codes (only their SHA-256 is
//! stored) and the conversion of Organizr's `auth_service` column.

use rand::RngCore as _;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// Seconds per time step.
pub const STEP: u64 = 30;
/// Digits of a code.
pub const DIGITS: u8 = 6;
/// Steps of clock skew accepted either way.
pub const SKEW: u16 = 1;
/// Recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

/// A TOTP shared secret. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// A new random secret from the OS.
    pub fn generate() -> TotpSecret {
        let mut bytes = vec![0u8; SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        TotpSecret(bytes)
    }

    /// Parses base32 (RFC 4648; case, spaces and `=` padding ignored).
    /// `None` for anything else, or fewer than 10 bytes (80 bits, the
    /// shortest secret Google Authenticator–style apps issue).
    pub fn from_base32(text: &str) -> Option<TotpSecret> {
        let clean: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=' && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if clean.is_empty()
            || !clean
                .bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
        {
            return None;
        }
        let secret = Secret::try_from_base32(&clean).ok()?;
        let bytes = secret.as_ref().to_vec();
        (bytes.len() >= 10).then_some(TotpSecret(bytes))
    }

    /// The secret as base32 without padding (what the store and the
    /// `otpauth://` URI hold).
    pub fn to_base32(&self) -> String {
        Secret::from(self.0.clone())
            .to_base32()
            .trim_end_matches('=')
            .to_string()
    }

    fn totp(&self) -> Totp {
        // Fixed, RFC-compliant parameters: `build_noncompliant` only skips the
        // 128-bit minimum, so an imported 80-bit Organizr secret still works.
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(SKEW)
            .with_step_duration(STEP)
            .with_secret(self.0.clone())
            .build_noncompliant()
    }
}

/// The time step of Unix time `unix`.
pub fn step_of(unix: u64) -> u64 {
    unix / STEP
}

/// The code for Unix time `unix` (tests and the enrolment page's example).
pub fn code_at(secret: &TotpSecret, unix: u64) -> String {
    secret.totp().generate(unix).to_string()
}

/// The time step `code` matches at Unix time `unix` (±[`SKEW`] steps), or
/// `None`. Spaces in the code are ignored; anything but 6 digits fails.
pub fn check(secret: &TotpSecret, code: &str, unix: u64) -> Option<u64> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != usize::from(DIGITS) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    secret.totp().check(&digits, unix)
}

/// The `otpauth://totp/…` URI an authenticator app scans.
pub fn otpauth_uri(secret: &TotpSecret, issuer: &str, account: &str) -> String {
    let enc = |s: &str| -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        enc(issuer),
        enc(account),
        secret.to_base32(),
        enc(issuer)
    )
}

/// Ten new recovery codes, `xxxx-xxxx-xxxx-xxxx` (80 random bits each, in
/// lower-case base32), shown once.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let text = Secret::from(bytes.to_vec())
                .to_base32()
                .to_ascii_lowercase();
            let chars: Vec<char> = text.chars().take(16).collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// Whether `code` is shaped like a recovery code (16 base32 characters,
/// dashes and spaces ignored) rather than a TOTP code.
pub fn is_recovery_code(code: &str) -> bool {
    let clean = normalize_recovery(code);
    clean.len() == 16
        && clean
            .bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b))
}

fn normalize_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The SHA-256 a recovery code is stored under (dashes, spaces and case
/// ignored). 80 random bits need no slow hash.
pub fn recovery_hash(code: &str) -> [u8; 32] {
    Sha256::digest(normalize_recovery(code).as_bytes()).into()
}

/// Organizr's 2FA: its `users.auth_service` column holds `internal`, or
/// `google::SECRET` for a TOTP secret (pragmarx/google2fa, base32). The
/// secret of a `google::` value, `None` for anything else.
pub fn from_organizr_auth_service(value: &str) -> Option<TotpSecret> {
    let (kind, secret) = value.trim().split_once("::")?;
    if !kind.trim().eq_ignore_ascii_case("google") {
        return None;
    }
    TotpSecret::from_base32(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 secret "12345678901234567890".
    fn rfc_secret() -> TotpSecret {
        TotpSecret(b"12345678901234567890".to_vec())
    }

    #[test]
    fn test_rfc6238_vectors_six_digits() {
        // The appendix gives 8 digits; a 6-digit code is their last six.
        for (t, eight) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(&rfc_secret(), t), &eight[2..], "t = {t}");
        }
    }

    #[test]
    fn test_check_skew_one_step_each_way_not_two() {
        let s = TotpSecret::generate();
        let now = 1_700_000_015;
        let step = step_of(now);
        for (delta, ok) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let t = (now as i64 + delta * STEP as i64) as u64;
            let code = code_at(&s, t);
            let got = check(&s, &code, now);
            if ok {
                assert_eq!(got, Some((step as i64 + delta) as u64), "delta {delta}");
            } else if got.is_some() {
                // a different step can collide by chance (1 in 10^6); it
                // must not be the step the code was made for
                assert_ne!(got, Some((step as i64 + delta) as u64));
            }
        }
        assert_eq!(check(&s, "12 34", now), None);
        assert_eq!(check(&s, "abcdef", now), None);
        let spaced = code_at(&s, now);
        let spaced = format!("{} {}", &spaced[..3], &spaced[3..]);
        assert_eq!(check(&s, &spaced, now), Some(step));
    }

    #[test]
    fn test_base32_roundtrip_and_uri() {
        let s = TotpSecret::generate();
        let b32 = s.to_base32();
        assert_eq!(b32.len(), 32);
        assert_eq!(
            TotpSecret::from_base32(&b32.to_lowercase()),
            Some(s.clone())
        );
        assert_eq!(TotpSecret::from_base32("not base32!"), None);
        assert_eq!(TotpSecret::from_base32("AAAA"), None, "too short");
        let uri = otpauth_uri(&s, "Gatehouse home", "alice@example.com");
        assert!(uri.starts_with("otpauth://totp/Gatehouse%20home:alice%40example.com?secret="));
        assert!(uri.contains(&format!("secret={b32}&issuer=Gatehouse%20home")));
        assert!(!format!("{s:?}").contains(&b32));
    }

    #[test]
    fn test_recovery_codes_shape_and_hash() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), 10);
        for c in &codes {
            assert_eq!(c.len(), 19, "{c}");
            assert!(is_recovery_code(c));
            assert_eq!(
                recovery_hash(c),
                recovery_hash(&c.to_uppercase().replace('-', " "))
            );
        }
        assert!(!is_recovery_code("123456"));
    }

    #[test]
    fn test_organizr_auth_service() {
        let s = from_organizr_auth_service("google::JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(s.to_base32(), "JBSWY3DPEHPK3PXP");
        assert_eq!(code_at(&s, 0).len(), 6);
        assert!(from_organizr_auth_service("internal").is_none());
        assert!(from_organizr_auth_service("google::").is_none());
        assert!(from_organizr_auth_service("duo::JBSWY3DPEHPK3PXP").is_none());
        assert!(from_organizr_auth_service(" Google::jbswy3dpehpk3pxp ").is_some());
    }
}
