//! `public_paths` (docs/access.md): the nested-API pattern reaches the
//! upstream without a session and without identity; encoded and
//! dot-segment variants of a protected path stay protected.

use crate::support::raw::{raw_request, status_of};
use crate::support::upstream::EchoServer;

use super::common::*;

fn sonarr(echo: &EchoServer) -> String {
    let mut t = protected("sonarr", "/sonarr/", &echo.url(), "\"power-user\"");
    t += "public_paths = [\"/sonarr/api/\", \"/sonarr/feed/\"]\n";
    t
}

#[tokio::test]
async fn test_public_paths_pass_without_session_and_without_identity() {
    let echo = EchoServer::start();
    let gw = builder(&sonarr(&echo)).start();
    add_user(&gw, "pat", "power-user", "pw-pat");
    let forged = crate::support::binary::client()
        .get(gw.url("/sonarr/api/v3/series?apikey=k"))
        .header("X-WEBAUTH-USER", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 200);
    let seen = echo.last();
    assert_eq!(seen.target, "/sonarr/api/v3/series?apikey=k");
    assert_eq!(
        seen.header("x-webauth-user"),
        None,
        "no identity, forged one stripped"
    );
    assert_eq!(
        get_status(&gw, "/sonarr/feed/calendar.ics", None, true).await,
        200
    );
    // With a session, the public path carries the session's identity.
    let cookie = login(&gw, "pat", "pw-pat").await;
    assert_eq!(
        get_status(&gw, "/sonarr/api/v3/queue", Some(&cookie), false).await,
        200
    );
    assert_eq!(echo.last().header("x-webauth-user"), Some("pat"));
    // The rest of the app still needs the sign-in.
    assert_eq!(get_status(&gw, "/sonarr/", None, true).await, 302);
    assert_eq!(get_status(&gw, "/sonarr/settings", None, false).await, 401);
    // An encoded spelling of the public path itself is that path, and the
    // upstream receives it normalized.
    let resp = raw_request(
        gw.port,
        b"GET /sonarr/%61pi/v3/x HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status_of(&resp), Some(200));
    assert_eq!(echo.last().target, "/sonarr/api/v3/x");
}

#[tokio::test]
async fn test_encoded_and_dot_segment_variants_of_protected_paths_stay_protected() {
    let echo = EchoServer::start();
    let gw = builder(&sonarr(&echo)).start();
    let before = echo.requests().len();
    for target in [
        "/sonarr/api/../admin",
        "/sonarr/api/%2e%2e/admin",
        "/sonarr/api/.%2e/admin",
        "/sonarr/api%2f..%2fadmin",
        "/sonarr/api%2F%2E%2E%2Fadmin",
        "/sonarr/api/..%2fadmin",
        "/sonarr/api%5c..%5cadmin",
        "/sonarr/api/%5C..%5Cadmin",
        "/sonarr/api/x%5c..%5c..%5cadmin/",
        "/sonarr/API/",
        "/sonarr/Api/v3",
        "/sonarr/api;x/../admin",
        "/sonarr//admin",
        "/sonarr/apix",
        "/sonarr/feedback",
    ] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: gw.test\r\nConnection: close\r\n\r\n");
        let resp = raw_request(gw.port, req.as_bytes()).await;
        let status = status_of(&resp);
        assert!(
            matches!(status, Some(401) | Some(400)),
            "{target}: {status:?}\n{resp}"
        );
    }
    assert_eq!(echo.requests().len(), before, "none reached the upstream");
}
