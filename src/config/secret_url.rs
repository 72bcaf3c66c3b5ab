//! URL passwords out of messages: `redis://:secret@host` is shown as
//! `redis://:***@host` in configuration errors, logs and `gatehouse check`.

/// What a URL password is shown as.
pub const MASK: &str = "***";

/// `text` with the password of a `scheme://user:password@host` URL (or
/// the lone user part of `scheme://secret@host`, which Redis takes as the
/// password) replaced by [`MASK`]; anything else unchanged.
pub fn mask_url_password(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_owned();
    };
    let rest_start = scheme_end + 3;
    let rest = &text[rest_start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return text.to_owned();
    };
    let userinfo = &rest[..at];
    let shown = match userinfo.split_once(':') {
        Some((user, _)) => format!("{user}:{MASK}"),
        None if userinfo.is_empty() => String::new(),
        None => MASK.to_owned(),
    };
    format!(
        "{}{}{}",
        &text[..rest_start],
        shown,
        &rest[at..] // keeps the '@' and what follows
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_mask_url_password() {
        assert_eq!(
            mask_url_password("redis://:hunter2@db:6379/0"),
            "redis://:***@db:6379/0"
        );
        assert_eq!(
            mask_url_password("rediss://app:hunter2@db/1"),
            "rediss://app:***@db/1"
        );
        assert_eq!(mask_url_password("redis://hunter2@db"), "redis://***@db");
        assert_eq!(mask_url_password("redis://db:6379"), "redis://db:6379");
        assert_eq!(mask_url_password("plain value"), "plain value");
        assert_eq!(
            mask_url_password("redis://db/0?x=a@b"),
            "redis://db/0?x=a@b",
            "an @ after the host is no user part"
        );
    }
}
