//! ACME HTTP-01 on the gateway's listeners: `GET
//! /.well-known/acme-challenge/TOKEN` is answered from the ACME client's
//! pending tokens before routing, auth and redirects, when `[acme]` uses
//! http-01. Anything else under that prefix (unknown tokens, tokens with
//! characters outside `[A-Za-z0-9_-]` such as `../`) is a 404. With another
//! challenge type, or without `[acme]`, the path is routed like any other
//! (a certbot beside the gateway can be given a route for it). With several
//! instances an answer another node's order placed comes from Redis
//! (docs/cluster.md).

use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};

use crate::acme::HTTP01_PREFIX;
use crate::app::App;
use crate::config::AcmeChallenge;
use crate::reply::Reply;

/// The reply to an HTTP-01 request, `None` when `path` (as sent, before
/// normalization) is not one or http-01 is not in use.
pub async fn answer(app: &App, method: &http::Method, path: &str) -> Option<Reply> {
    let acme = &app.config.acme;
    if !acme.enabled || acme.challenge != AcmeChallenge::Http01 {
        return None;
    }
    let token = path.strip_prefix(HTTP01_PREFIX)?;
    let get = method == http::Method::GET || method == http::Method::HEAD;
    let mut found = app.acme_http01.answer(token).filter(|_| get);
    if found.is_none() && get && crate::acme::valid_token(token) {
        if let Some(cluster) = &app.cluster {
            found = cluster.kv().acme(token).await;
        }
    }
    match found {
        Some(key_authorization) => Some(Reply {
            status: 200,
            headers: vec![
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                ),
                (CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body: Bytes::from(key_authorization),
        }),
        None => Some(Reply::text(404, "not found\n")),
    }
}
