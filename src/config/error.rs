//! Configuration errors: one [`ConfigError`] per bad key, all of them
//! collected in [`ConfigErrors`] so `gatehouse check` reports every problem of
//! a file at once, each as `FILE:LINE: KEY: reason (value)`.

use std::fmt;
use std::path::PathBuf;

/// What a secret value is shown as in messages.
pub const REDACTED: &str = "<redacted>";

/// One configuration error: displays as `FILE:LINE: KEY: reason (value)`.
///
/// `value` is the offending value as written in the file (secrets replaced by
/// `<redacted>`); it is empty when there is no value (a missing key), and then
/// the ` (value)` part is left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, as given to `load`/`parse`.
    pub file: PathBuf,
    /// 1-based line of the offending key or value (0 when the file could not be read).
    pub line: usize,
    /// Dotted key path, e.g. `proxy.read_timeout` or `route[2].upstream[0]`.
    pub key: String,
    /// Short reason.
    pub reason: String,
    /// The value as written (or `<redacted>`); empty for a missing key.
    pub value: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file.display(),
            self.line,
            self.key,
            self.reason
        )?;
        if !self.value.is_empty() {
            write!(f, " ({})", self.value)?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// All errors found in one file (Display: one per line, in file order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Whether the value of `key` (a dotted path) is a secret that must never be
/// shown: `token`, `api_key`, `*password*`, or a `set_headers` entry that
/// looks like a credential (`Authorization`, `X-Api-Key`, `Cookie`, …).
pub fn is_secret_key(key: &str) -> bool {
    let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    let last = last.split('[').next().unwrap_or(&last);
    if last == "token" || last == "api_key" || last.contains("password") {
        return true;
    }
    let in_headers = key.contains("set_headers.");
    in_headers
        && ["auth", "key", "token", "cookie", "secret", "password"]
            .iter()
            .any(|w| last.contains(w))
}

/// The value to show for `key`: `raw` itself, or `<redacted>` for secrets.
pub fn shown_value(key: &str, raw: &str) -> String {
    if is_secret_key(key) && !raw.is_empty() {
        REDACTED.to_owned()
    } else {
        // A URL's password (`[store] url`, `[cluster] redis`, any URL with
        // user info) is masked, inside the quotes of a TOML string.
        match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(inner) => format!("\"{}\"", crate::store_url::mask(inner)),
            None => crate::store_url::mask(raw),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(key: &str, value: &str) -> ConfigError {
        ConfigError {
            file: PathBuf::from("conf/x.toml"),
            line: 7,
            key: key.into(),
            reason: "bad".into(),
            value: value.into(),
        }
    }

    #[test]
    fn test_display_with_value() {
        assert_eq!(
            err("proxy.read_timeout", "\"soon\"").to_string(),
            "conf/x.toml:7: proxy.read_timeout: bad (\"soon\")"
        );
    }

    #[test]
    fn test_display_without_value() {
        assert_eq!(
            err("route[0].path", "").to_string(),
            "conf/x.toml:7: route[0].path: bad"
        );
    }

    #[test]
    fn test_errors_display_one_per_line() {
        let all = ConfigErrors(vec![err("a", "1"), err("b", "2")]);
        assert_eq!(
            all.to_string(),
            "conf/x.toml:7: a: bad (1)\nconf/x.toml:7: b: bad (2)"
        );
    }

    #[test]
    fn test_is_secret_key_secrets() {
        assert!(is_secret_key("plex.token"));
        assert!(is_secret_key("sso.ombi.api_key"));
        assert!(is_secret_key("sso.ombi.fallback_password"));
        assert!(is_secret_key("route[1].set_headers.Authorization"));
        assert!(is_secret_key("proxy.set_headers.X-Api-Key"));
        assert!(!is_secret_key("proxy.set_headers.Host"));
        assert!(!is_secret_key("sso.ombi.url"));
        assert!(!is_secret_key("route[0].upstream[1]"));
    }

    #[test]
    fn test_shown_value_redacts() {
        assert_eq!(shown_value("plex.token", "\"abc\""), REDACTED);
        assert_eq!(shown_value("plex.admin", "\"bob\""), "\"bob\"");
    }

    #[test]
    fn test_shown_value_masks_url_passwords() {
        assert_eq!(
            shown_value("store.url", "\"mysql://gh:pw@db/x?password=pw2\""),
            "\"mysql://gh:***@db/x?password=***\""
        );
        assert_eq!(
            shown_value("server.public_url", "\"https://example.org/\""),
            "\"https://example.org/\""
        );
    }
}
