//! The one async step a cache miss may take with several instances
//! (docs/cluster.md): a session cookie this node does not know is looked
//! up in the shared store (bounded wait, unknown tokens remembered) before
//! the request's plain, synchronous look-ups run. A hit never comes here.

use std::time::SystemTime;

use crate::app::App;
use crate::auth::session::Found;

/// After a miss: the session, when another node created it (and it was
/// adopted into this node's table); `None` for a single instance or a
/// request without a session cookie.
pub async fn fill(app: &App, headers: &http::HeaderMap, now: SystemTime) -> Option<Found> {
    let cluster = app.cluster.as_ref()?;
    if app.sessions.lookup_headers(headers, now).is_some() {
        return app.sessions.lookup_headers(headers, now);
    }
    if cluster
        .fill_miss(&app.sessions, &app.store, headers, now)
        .await
    {
        app.sessions.lookup_headers(headers, now)
    } else {
        None
    }
}
