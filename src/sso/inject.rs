//! Building the upstream `Cookie` header: the client's cookies without the
//! gateway's own and without client-sent Tautulli tokens, plus the user's
//! Tautulli token(s).

use crate::tokens::TautulliToken;

/// The `Cookie` value to send upstream. Drops cookies named in `drop`; when
/// `replace_tautulli`, drops every client `tautulli_token_*` (never trust a
/// client-sent one) and adds the user's token of the instance whose
/// `host:port` is one of `upstreams` — or all of the user's Tautulli tokens
/// when none matches. `None` when nothing remains.
pub fn upstream_cookie<'a>(
    client_cookies: impl Iterator<Item = &'a [u8]>,
    drop: &[&str],
    replace_tautulli: bool,
    tokens: &[TautulliToken],
    upstreams: impl Iterator<Item = &'a str> + Clone,
) -> Option<String> {
    let mut out = String::new();
    for header in client_cookies {
        for (name, value) in crate::cookie::pairs(header) {
            if drop.iter().any(|d| d.as_bytes() == name) {
                continue;
            }
            if replace_tautulli
                && name.len() >= 15
                && name[..15].eq_ignore_ascii_case(b"tautulli_token_")
            {
                continue;
            }
            if let (Ok(n), Ok(v)) = (std::str::from_utf8(name), std::str::from_utf8(value)) {
                push(&mut out, n, v);
            }
        }
    }
    if replace_tautulli {
        let matching: Vec<&TautulliToken> = tokens
            .iter()
            .filter(|t| {
                upstreams
                    .clone()
                    .any(|u| u.eq_ignore_ascii_case(&t.authority))
            })
            .collect();
        let chosen: Vec<&TautulliToken> = if matching.is_empty() {
            tokens.iter().collect()
        } else {
            matching
        };
        for t in chosen {
            push(&mut out, &format!("tautulli_token_{}", t.uuid), &t.token);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// [`upstream_cookie`] for a Tautulli route, dropping nothing else.
pub fn tautulli_cookie<'a>(
    client_cookies: impl Iterator<Item = &'a [u8]>,
    tokens: &[TautulliToken],
    upstreams: impl Iterator<Item = &'a str> + Clone,
) -> Option<String> {
    upstream_cookie(client_cookies, &[], true, tokens, upstreams)
}

fn push(out: &mut String, name: &str, value: &str) {
    if !out.is_empty() {
        out.push_str("; ");
    }
    out.push_str(name);
    out.push('=');
    out.push_str(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(authority: &str, uuid: &str, value: &str) -> TautulliToken {
        TautulliToken {
            url: format!("http://{authority}/"),
            authority: authority.into(),
            uuid: uuid.into(),
            token: value.into(),
            path: "/".into(),
        }
    }

    #[test]
    fn test_tautulli_cookie_replaces_forged_token() {
        let tokens = [
            token("127.0.0.1:8181", "aaa", "real"),
            token("127.0.0.1:8282", "bbb", "other"),
        ];
        let client: [&[u8]; 1] = [b"x=1; tautulli_token_aaa=forged"];
        let c = tautulli_cookie(client.into_iter(), &tokens, ["127.0.0.1:8181"].into_iter());
        assert_eq!(c.as_deref(), Some("x=1; tautulli_token_aaa=real"));
    }

    #[test]
    fn test_tautulli_cookie_all_tokens_when_no_instance_matches() {
        let tokens = [
            token("127.0.0.1:8181", "aaa", "t1"),
            token("127.0.0.1:8282", "bbb", "t2"),
        ];
        let c = tautulli_cookie(std::iter::empty(), &tokens, ["10.0.0.1:80"].into_iter());
        assert_eq!(
            c.as_deref(),
            Some("tautulli_token_aaa=t1; tautulli_token_bbb=t2")
        );
    }

    #[test]
    fn test_upstream_cookie_drops_gateway_cookies_and_forged_tokens_without_session() {
        let client: [&[u8]; 2] = [
            b"gatehouse_session=secret; theme=dark",
            b"TAUTULLI_TOKEN_x=forged",
        ];
        let c = upstream_cookie(
            client.into_iter(),
            &["gatehouse_session"],
            true,
            &[],
            std::iter::empty(),
        );
        assert_eq!(c.as_deref(), Some("theme=dark"));
        let only_ours: [&[u8]; 1] = [b"gatehouse_session=secret"];
        assert_eq!(
            upstream_cookie(
                only_ours.into_iter(),
                &["gatehouse_session"],
                false,
                &[],
                std::iter::empty()
            ),
            None
        );
    }
}
