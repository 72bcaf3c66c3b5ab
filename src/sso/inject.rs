//! The upstream `Cookie` header for routes with `sso = ["tautulli"]`
//! (DESIGN §6, beyond Organizr): the client's cookies minus any
//! `tautulli_token_*` it sent (never trust a client-forged token), plus the
//! session's token of the instance whose `host:port` matches one of the
//! route's upstreams — or all of the user's Tautulli tokens when none matches.

use crate::sso::tokens::TautulliToken;

/// Name prefix of Tautulli's JWT cookie.
pub const TOKEN_COOKIE_PREFIX: &str = crate::sso::TAUTULLI_COOKIE_PREFIX;

/// Builds the upstream `Cookie` value from the client's `Cookie` headers, the
/// session's Tautulli tokens and the route's upstream addresses (`host:port`).
/// `None` when nothing is left to send. Client cookie pairs that are not
/// printable ASCII are dropped (they could not be sent in a header value).
pub fn tautulli_cookie<'a, 'b>(
    client_cookies: impl IntoIterator<Item = &'a [u8]>,
    tokens: &[TautulliToken],
    upstream_addresses: impl IntoIterator<Item = &'b str>,
) -> Option<String> {
    let mut pairs: Vec<String> = Vec::new();
    for header in client_cookies {
        for pair in header.split(|&b| b == b';') {
            let pair = pair.trim_ascii();
            if pair.is_empty() || !pair.iter().all(|b| (0x20..0x7f).contains(b)) {
                continue;
            }
            let name = pair
                .split(|&b| b == b'=')
                .next()
                .unwrap_or_default()
                .trim_ascii();
            let forged = name.len() >= TOKEN_COOKIE_PREFIX.len()
                && name[..TOKEN_COOKIE_PREFIX.len()]
                    .eq_ignore_ascii_case(TOKEN_COOKIE_PREFIX.as_bytes());
            if !forged {
                pairs.push(String::from_utf8_lossy(pair).into_owned());
            }
        }
    }
    let addresses: Vec<&str> = upstream_addresses.into_iter().collect();
    let matching: Vec<&TautulliToken> = tokens
        .iter()
        .filter(|t| {
            addresses
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&t.authority))
        })
        .collect();
    let chosen: Vec<&TautulliToken> = if matching.is_empty() {
        tokens.iter().collect()
    } else {
        matching
    };
    for t in chosen {
        pairs.push(format!("{TOKEN_COOKIE_PREFIX}{}={}", t.uuid, t.token));
    }
    (!pairs.is_empty()).then(|| pairs.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tok(authority: &str, uuid: &str, token: &str) -> TautulliToken {
        TautulliToken {
            url: format!("http://{authority}/"),
            authority: authority.into(),
            uuid: uuid.into(),
            token: token.into(),
            path: "/".into(),
        }
    }

    #[test]
    fn test_tautulli_cookie_replaces_forged_and_picks_matching_instance() {
        let tokens = [tok("t1:8181", "aaa", "J1"), tok("t2:8181", "bbb", "J2")];
        let c = tautulli_cookie(
            [
                &b"x=1; tautulli_token_aaa=FORGED; Tautulli_Token_zzz=F2"[..],
                b"y=2",
            ],
            &tokens,
            ["t2:8181"],
        );
        assert_eq!(c.as_deref(), Some("x=1; y=2; tautulli_token_bbb=J2"));
    }

    #[test]
    fn test_tautulli_cookie_all_tokens_when_no_upstream_matches() {
        let tokens = [tok("t1:8181", "aaa", "J1"), tok("t2:8181", "bbb", "J2")];
        let c = tautulli_cookie(std::iter::empty(), &tokens, ["other:80"]);
        assert_eq!(
            c.as_deref(),
            Some("tautulli_token_aaa=J1; tautulli_token_bbb=J2")
        );
    }

    #[test]
    fn test_tautulli_cookie_none_when_empty_and_drops_non_ascii() {
        assert_eq!(
            tautulli_cookie([&b"tautulli_token_x=1"[..]], &[], ["a:1"]),
            None
        );
        let c = tautulli_cookie([&b"a=\xff; b=2"[..]], &[], ["a:1"]);
        assert_eq!(c.as_deref(), Some("b=2"));
    }
}
