//! Beyond Organizr, through the real gateway: SSO tokens injected into
//! upstream requests (`sso = ["tautulli"]`, `sso = ["plex"]`), the Plex and
//! Ombi bootstrap pages served on another host, logout clearing every cookie
//! with its Path and Domain, and tokens surviving a restart.

use serde_json::Value;

use super::common::{add_user, api_login, cookie, gateway, set_cookies, Fakes, Setup};
use crate::support::binary::{client, Gateway};
use crate::support::fakes::plex_tv::ALICE;
use crate::support::upstream::EchoServer;

const DOMAIN: &str = ".example.test";

/// `/t1/` → instance 1 (root `/`), `/tautulli/` → instance 2 (served under
/// `/tautulli`, URI passed unchanged), `/stats/` → an echo server that is no
/// Tautulli instance, `/plex/` → the echo with Plex SSO.
fn routes(f: &Fakes, echo: &EchoServer) -> String {
    format!(
        r#"
[[route]]
name = "t1"
path = "/t1/"
upstream = ["{t1}/"]
auth = "member"
sso = ["tautulli"]

[[route]]
name = "tautulli"
path = "/tautulli/"
upstream = ["{t2}"]
auth = "member"
sso = ["tautulli"]

[[route]]
name = "stats"
path = "/stats/"
upstream = ["{echo}/"]
auth = "member"
sso = ["tautulli"]

[[route]]
name = "plex"
path = "/plex/"
upstream = ["{echo}/"]
auth = "member"
sso = ["plex"]
"#,
        t1 = f.t1.server.url(),
        t2 = f.t2.server.url(),
        echo = echo.url(),
    )
}

fn setup(f: &Fakes, echo: &EchoServer) -> Setup {
    Setup {
        domain: DOMAIN,
        extra: routes(f, echo),
        ..Setup::default()
    }
}

async fn get_with(
    gw: &Gateway,
    path: &str,
    cookie: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client().get(gw.url(path)).header("Cookie", cookie);
    for (n, v) in extra {
        req = req.header(*n, *v);
    }
    req.send().await.unwrap()
}

/// `POST /gatehouse/logout` with `cookie`.
async fn post_logout(gw: &Gateway, cookie: &str) -> reqwest::Response {
    client()
        .post(gw.url("/gatehouse/logout"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// The request the echo server saw, from its JSON reply.
fn echoed_header(v: &Value, name: &str) -> Vec<String> {
    v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .map(|h| h[1].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn test_tautulli_route_gets_the_users_token_never_a_forged_one() {
    let (f, echo) = (Fakes::start(), EchoServer::start());
    let gw = gateway(&f, &setup(&f, &echo));
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    assert_eq!(l.status, 200);
    let real1 = cookie(&l.cookies, &f.t1.token_cookie()).value.clone();
    let real2 = cookie(&l.cookies, &f.t2.token_cookie()).value.clone();
    let session = format!(
        "gatehouse_session={}",
        cookie(&l.cookies, "gatehouse_session").value
    );
    let forged = format!(
        "{session}; {}=FORGED1; theme=dark; {}=FORGED2; TAUTULLI_TOKEN_x=F3",
        f.t1.token_cookie(),
        f.t2.token_cookie()
    );

    // Instance 2 behind /tautulli/: only its own token, the forged ones gone.
    let resp = get_with(&gw, "/tautulli/home", &forged, &[]).await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.text().await.unwrap().contains("/auth/logout"),
        "Tautulli accepted the injected token"
    );
    let seen =
        f.t2.requests()
            .into_iter()
            .rfind(|r| r.path() == "/tautulli/home")
            .unwrap();
    assert_eq!(seen.cookie(&f.t2.token_cookie()), Some(real2.clone()));
    assert_eq!(seen.cookie("theme").as_deref(), Some("dark"));
    let header = seen.header("Cookie").unwrap();
    assert!(
        !header.contains("FORGED") && !header.contains("F3"),
        "{header}"
    );
    assert!(
        !header.contains(&f.t1.token_cookie()),
        "only the matching instance's token: {header}"
    );

    // Instance 1 behind /t1/ (prefix replaced).
    let resp = get_with(&gw, "/t1/home", &forged, &[]).await;
    assert_eq!(resp.status(), 200);
    let seen =
        f.t1.requests()
            .into_iter()
            .rfind(|r| r.path() == "/home")
            .unwrap();
    assert_eq!(seen.cookie(&f.t1.token_cookie()), Some(real1.clone()));
    assert!(!seen.header("Cookie").unwrap().contains("FORGED"));

    // No instance matches the echo upstream: every token of the user.
    let resp = get_with(&gw, "/stats/x", &forged, &[]).await;
    let v: Value = resp.json().await.unwrap();
    let sent = echoed_header(&v, "cookie");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        sent[0].contains(&format!("{}={real1}", f.t1.token_cookie())),
        "{sent:?}"
    );
    assert!(
        sent[0].contains(&format!("{}={real2}", f.t2.token_cookie())),
        "{sent:?}"
    );
    assert!(
        !sent[0].contains("FORGED") && !sent[0].contains("F3"),
        "{sent:?}"
    );
}

#[tokio::test]
async fn test_forged_tautulli_cookie_removed_when_the_session_has_no_token() {
    let (f, echo) = (Fakes::start(), EchoServer::start());
    let gw = gateway(
        &f,
        &Setup {
            backend: "local",
            ..setup(&f, &echo)
        },
    );
    add_user(&gw, "guesty", "7", "guesty-pw");
    let l = api_login(&gw, "guesty", "guesty-pw", false).await;
    assert_eq!(l.status, 200);
    let c = format!("{}; {}=FORGED; theme=dark", l.jar(), f.t1.token_cookie());
    let resp = get_with(&gw, "/stats/x", &c, &[]).await;
    let v: Value = resp.json().await.unwrap();
    let sent = echoed_header(&v, "cookie").join("; ");
    assert!(sent.contains("theme=dark"), "{sent}");
    assert!(
        !sent.contains("FORGED"),
        "a client-sent tautulli_token_* reached the upstream: {sent}"
    );
}

#[tokio::test]
async fn test_plex_route_gets_x_plex_token_unless_the_client_sent_one() {
    let (f, echo) = (Fakes::start(), EchoServer::start());
    let gw = gateway(&f, &setup(&f, &echo));
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    let v: Value = get_with(&gw, "/plex/identity", &l.jar(), &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(echoed_header(&v, "x-plex-token"), [ALICE.token]);
    let v: Value = get_with(
        &gw,
        "/plex/identity",
        &l.jar(),
        &[("X-Plex-Token", "client-own")],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(echoed_header(&v, "x-plex-token"), ["client-own"]);
    // The Tautulli-only route gets no Plex token.
    let v: Value = get_with(&gw, "/stats/x", &l.jar(), &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(echoed_header(&v, "x-plex-token").is_empty());
}

#[tokio::test]
async fn test_plex_bootstrap_page_on_another_host() {
    let (f, echo) = (Fakes::start(), EchoServer::start());
    let gw = gateway(&f, &setup(&f, &echo));
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    let store = format!(
        "localStorage.setItem(\"myPlexAccessToken\",\"{}\")",
        ALICE.token
    );
    let cases = [
        ("/plex/web/", "\"/plex/web/\""),
        (
            "https://plex.example.test/web/",
            "\"https://plex.example.test/web/\"",
        ),
        ("https://evil.test/web/", "\"/web/\""),
    ];
    for (to, replace) in cases {
        let path = format!("/gatehouse/sso/plex?to={}", urlencode(to));
        let resp = get_with(&gw, &path, &l.jar(), &[("Host", "plex.example.test")]).await;
        assert_eq!(resp.status(), 200, "{to}");
        let body = resp.text().await.unwrap();
        assert!(body.contains(&store), "{body}");
        assert!(
            body.contains(&format!("window.location.replace({replace})")),
            "{to}: {body}"
        );
    }
    // Without a session: to the sign-in page, coming back here.
    let resp = get_with(
        &gw,
        "/gatehouse/sso/plex?to=/plex/web/",
        "",
        &[("Host", "plex.example.test")],
    )
    .await;
    assert_eq!(resp.status(), 302);
    let loc = resp.headers()["location"].to_str().unwrap();
    assert!(
        loc.starts_with("/gatehouse/login?rd=") && loc.contains("sso"),
        "{loc}"
    );
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn test_ombi_bootstrap_sets_a_host_only_auth_cookie() {
    let (f, echo) = (Fakes::start(), EchoServer::start());
    let gw = gateway(&f, &setup(&f, &echo));
    let l = api_login(&gw, "alice", ALICE.password, false).await;
    let auth = cookie(&l.cookies, "Auth").value.clone();
    let resp = get_with(
        &gw,
        "/gatehouse/sso/ombi?to=/ombi/",
        &l.jar(),
        &[("Host", "ombi.example.test")],
    )
    .await;
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], "/ombi/auth/cookie");
    let set = set_cookies(&resp);
    let c = cookie(&set, "Auth");
    assert_eq!(c.value, auth);
    assert_eq!(c.attr("path"), Some("/"));
    assert_eq!(
        c.attr("domain"),
        None,
        "host-only: for the host serving Ombi"
    );
    assert!(
        !c.has("httponly"),
        "Ombi's /auth/cookie page reads it with JavaScript"
    );
    assert_eq!(set.len(), 1);
}

/// Asserts the logout reply removes every cookie the login set, with the same Path and Domain.
fn assert_clears_all(resp: &reqwest::Response, f: &Fakes) {
    assert_eq!(resp.status(), 302);
    assert_eq!(resp.headers()["location"], "/gatehouse/login");
    let set = set_cookies(resp);
    let want = [
        ("gatehouse_session".to_string(), "/"),
        ("mpt".to_string(), "/"),
        ("Auth".to_string(), "/"),
        (f.t1.token_cookie(), "/"),
        (f.t2.token_cookie(), "/tautulli"),
    ];
    for (name, path) in &want {
        let c = cookie(&set, name);
        assert!(c.is_removal(), "{c:?}");
        assert_eq!(c.attr("path"), Some(*path), "{c:?}");
        assert_eq!(c.attr("domain"), Some(DOMAIN), "{c:?}");
    }
    assert_eq!(set.len(), want.len(), "{set:#?}");
}

#[tokio::test]
async fn test_logout_clears_every_cookie_with_its_path_and_domain() {
    let (f, echo) = (Fakes::start(), EchoServer::start());
    let gw = gateway(&f, &setup(&f, &echo));
    let l = api_login(&gw, "alice", ALICE.password, true).await;
    assert_eq!(l.cookies.len(), 5);
    let resp = post_logout(&gw, &l.jar()).await;
    assert_clears_all(&resp, &f);
    assert_eq!(
        get_with(&gw, "/gatehouse/api/me", &l.jar(), &[])
            .await
            .status(),
        401
    );
    let resp = get_with(&gw, "/stats/x", &l.jar(), &[("Accept", "application/json")]).await;
    assert_eq!(resp.status(), 401, "the session and its tokens are gone");
}

#[tokio::test]
async fn test_tokens_survive_a_restart_with_the_session() {
    let (f, echo) = (Fakes::start(), EchoServer::start());
    let mut gw = gateway(&f, &setup(&f, &echo));
    let l = api_login(&gw, "alice", ALICE.password, true).await;
    let real2 = cookie(&l.cookies, &f.t2.token_cookie()).value.clone();
    gw.restart();
    let resp = get_with(&gw, "/tautulli/home", &l.jar(), &[]).await;
    assert_eq!(resp.status(), 200);
    let seen =
        f.t2.requests()
            .into_iter()
            .rfind(|r| r.path() == "/tautulli/home")
            .unwrap();
    assert_eq!(seen.cookie(&f.t2.token_cookie()), Some(real2));
    let v: Value = get_with(&gw, "/plex/x", &l.jar(), &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(echoed_header(&v, "x-plex-token"), [ALICE.token]);
    let resp = post_logout(&gw, &l.jar()).await;
    assert_clears_all(&resp, &f);
}
