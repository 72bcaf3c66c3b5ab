//! `[store] url` (and any URL with a password in it, `[cluster] redis`
//! too): which store backend it names, and how to print it without its
//! password.
//!
//! `""` is the embedded SQLite file in `data_dir`; `postgres://…` or
//! `postgresql://…` (libpq's URL form, `?host=/dir` for a unix socket) is a
//! PostgreSQL server. [`mask`] is the only way a URL reaches a log line, an
//! error or `gatehouse check`: the password (in the user-info part or a
//! `password=` query parameter) becomes `***`.

/// What a masked password reads as.
pub const MASK: &str = "***";

/// `url` (or a line holding one) with any password replaced by [`MASK`].
/// Conservative: everything between the first `:` after `scheme://` and
/// the last `@` before the query counts as the password, so a password
/// holding `/`, `@` or `:` unencoded is still hidden whole. A lone user
/// part of a `redis://` or `rediss://` URL is hidden too: Redis takes
/// `redis://secret@host` as the password.
pub fn mask(url: &str) -> String {
    let (head, query) = match url.find('?') {
        Some(q) => (&url[..q], Some(&url[q + 1..])),
        None => (url, None),
    };
    let mut out = match head.find("://") {
        Some(s) => {
            let (scheme, rest) = head.split_at(s + 3);
            match rest.rfind('@') {
                Some(at) => {
                    let userinfo = &rest[..at];
                    let redis = scheme.ends_with("redis://") || scheme.ends_with("rediss://");
                    let user = match userinfo.find(':') {
                        Some(c) => format!("{}:{MASK}", &userinfo[..c]),
                        None if redis && !userinfo.is_empty() => MASK.to_string(),
                        None => userinfo.to_string(),
                    };
                    format!("{scheme}{user}{}", &rest[at..])
                }
                None => head.to_string(),
            }
        }
        None => head.to_string(),
    };
    if let Some(query) = query {
        out.push('?');
        let parts: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}={MASK}"),
                _ => p.to_string(),
            })
            .collect();
        out.push_str(&parts.join("&"));
    }
    out
}

/// Whether `url` selects PostgreSQL (else it must be empty).
pub fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Checks a `[store] url`: empty, or a PostgreSQL URL the client can
/// parse. The reason never repeats the URL (the caller shows it masked).
pub fn check(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Ok(());
    }
    if !is_postgres(url) {
        return Err(
            "must be empty (the embedded SQLite store) or a postgres:// or postgresql:// URL"
                .into(),
        );
    }
    match url.parse::<postgres::Config>() {
        Ok(c) if c.get_hosts().is_empty() => {
            Err("names no host (write host@…, or ?host=/socket/dir)".into())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "not a valid PostgreSQL URL: {}",
            mask(&e.to_string())
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_mask_hides_userinfo_password() {
        assert_eq!(
            mask("postgres://gh:s3cret@db.lan:5432/gatehouse"),
            "postgres://gh:***@db.lan:5432/gatehouse"
        );
        assert_eq!(mask("postgres://gh@db/x"), "postgres://gh@db/x");
        assert_eq!(mask("postgres://db/x"), "postgres://db/x");
        assert_eq!(mask(""), "");
    }

    #[test]
    fn test_mask_hides_odd_passwords_whole() {
        let m = mask("postgresql://u:p@ss/w:rd@host/db");
        assert_eq!(m, "postgresql://u:***@host/db");
        assert!(!m.contains("ss/w"));
        let m = mask("redis://:tok@en@127.0.0.1:6379/0");
        assert_eq!(m, "redis://:***@127.0.0.1:6379/0");
    }

    #[test]
    fn test_mask_redis_urls_and_lines() {
        assert_eq!(mask("redis://:hunter2@db:6379/0"), "redis://:***@db:6379/0");
        assert_eq!(mask("rediss://app:hunter2@db/1"), "rediss://app:***@db/1");
        assert_eq!(mask("redis://hunter2@db"), "redis://***@db");
        assert_eq!(mask("redis://db:6379"), "redis://db:6379");
        assert_eq!(mask("plain value"), "plain value");
        assert_eq!(mask("redis://db/0?x=a@b"), "redis://db/0?x=a@b");
        assert_eq!(
            mask(r#"redis = "redis://:pw@h:6379/0""#),
            r#"redis = "redis://:***@h:6379/0""#
        );
    }

    #[test]
    fn test_mask_hides_query_password() {
        assert_eq!(
            mask("postgres:///gatehouse?host=/run/pg&user=gh&password=hunter2"),
            "postgres:///gatehouse?host=/run/pg&user=gh&password=***"
        );
        assert_eq!(
            mask("postgres://u:a@h/d?PassWord=b"),
            "postgres://u:***@h/d?PassWord=***"
        );
    }

    #[test]
    fn test_check() {
        assert!(check("").is_ok());
        assert!(check("postgres://u:p@127.0.0.1:5432/db").is_ok());
        assert!(check("postgresql://u@/db?host=/tmp/sock").is_ok());
        let e = check("mysql://u:secret@h/db").unwrap_err();
        assert!(e.contains("postgres://"), "{e}");
        assert!(!e.contains("secret"));
        assert!(check("postgres://u:secret@h:notaport/db").is_err());
    }
}
