//! Machine clients (docs/access.md): an API token in `Authorization:
//! Bearer TOKEN`, or as the password of `Authorization: Basic` (user +
//! token), on routes with `machine_clients = true`.
//!
//! The valid path is a hash and two map look-ups (the token table, the
//! user's prebuilt identity) and, only while some login ban is running, the
//! regulation's ban check. A wrong token counts as a failed sign-in (the
//! Basic user name and the client IP; a Bearer token, which names no user,
//! counts for the IP only) on a blocking thread, since it may write a ban.
//! Tokens never reach a log line.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::SystemTime;

use crate::app::App;
use crate::auth::api_tokens::parse_authorization;
use crate::auth::session::Identity;
use crate::config::Route;

/// The regulation key of a Bearer token's failures: per client address, so
/// a flood of bad Bearer tokens bans that address and no user name. (A NUL
/// cannot occur in a user name.)
fn bearer_key(ip: IpAddr) -> String {
    format!("\u{0}bearer {}", ip.to_canonical())
}

/// The identity an `Authorization` value authenticates on `route`, or
/// `None` (refused: unknown, expired, revoked, for another route, another
/// user's name, a locked user, or a banned name or address).
pub async fn authenticate(
    app: &App,
    route: &Route,
    header: &[u8],
    ip: IpAddr,
    now: SystemTime,
) -> Option<Arc<Identity>> {
    let presented = parse_authorization(header)?;
    let key = presented.user.clone().unwrap_or_else(|| bearer_key(ip));
    let banned = app.regulation.is_banned(&key, ip, now);
    let identity = app
        .api_tokens
        .lookup(&presented.token, now)
        .filter(|t| t.allows_route(&route.name))
        .and_then(|t| app.sessions.identity(t.user_id))
        .filter(|i| !i.locked)
        .filter(|i| {
            presented
                .user
                .as_deref()
                .is_none_or(|u| u.trim().eq_ignore_ascii_case(&i.username))
        });
    match identity {
        Some(i) if !banned => Some(i),
        Some(_) => {
            tracing::warn!(client = %ip, route = %route.name, "API token refused: banned");
            None
        }
        None => {
            if !banned {
                let (regulation, store) = (app.regulation.clone(), app.store.clone());
                let _ = tokio::task::spawn_blocking(move || {
                    regulation.record_failure(&store, &key, ip, now);
                })
                .await;
            }
            let user = presented.user.as_deref().unwrap_or("");
            tracing::warn!(client = %ip, route = %route.name, user = ?user, "API token refused");
            None
        }
    }
}
