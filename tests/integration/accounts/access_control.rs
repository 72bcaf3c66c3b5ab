//! docs/docs/security.md F31–F37: path tricks, methods, API vs browser answers and
//! WebSocket upgrades on protected routes, through the real gateway.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::support::binary::{client, Gateway};
use crate::support::raw::{raw_request, status_of};
use crate::support::upstream::{EchoServer, WsEchoServer};

use super::common::{add_user, builder, get_status, login, protected, WITHIN};

/// `/admin/` (admin only) and a public catch-all `/` on separate upstreams.
fn start(admin: &EchoServer, public: &EchoServer) -> Gateway {
    let mut toml = protected("admin", "/admin/", &admin.url(), "\"admin\"");
    toml += &format!(
        "[[route]]\nname = \"public\"\npath = \"/\"\nupstream = [{:?}]\nauth = \"none\"\n",
        public.url()
    );
    builder(&toml).start()
}

/// Percent-decodes, collapses slashes and removes dot segments.
fn normalize(path: &str) -> String {
    let path = path.split('?').next().unwrap_or("");
    let decoded = url::form_urlencoded::parse(format!("p={}", path.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
        .replace('\\', "/");
    let mut out: Vec<&str> = Vec::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

/// Sends each raw target to `/admin/`'s gateway; returns the bypasses found
/// (answered 200, or the public upstream got a path that means `/admin`).
async fn bypasses(gw: &Gateway, public: &EchoServer, tricks: &[&str]) -> Vec<String> {
    let mut report = Vec::new();
    for path in tricks {
        let before = public.requests().len();
        let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let resp = raw_request(gw.port, req.as_bytes()).await;
        let status = status_of(&resp);
        let leaked: Vec<String> = public.requests()[before..]
            .iter()
            .filter(|r| normalize(&r.target).starts_with("/admin"))
            .map(|r| r.target.clone())
            .collect();
        if status == Some(200) || !leaked.is_empty() {
            report.push(format!(
                "GET {path}: status {status:?}, public upstream got {leaked:?}"
            ));
        }
    }
    report
}

#[tokio::test]
async fn test_f31_path_normalization_cannot_bypass_admin() {
    let admin = EchoServer::start();
    let public = EchoServer::start();
    let gw = start(&admin, &public);
    let tricks = [
        "/admin/../admin/",
        "//admin/",
        "/%61dmin/",
        "/./admin/",
        "/x/../admin/",
        "/admin/./",
        "/%2e/admin/",
        "/.%2e/admin/",
        "/x/%2e%2e/admin/",
        "/admin",
    ];
    let report = bypasses(&gw, &public, &tricks).await;
    assert!(
        admin.requests().is_empty(),
        "admin upstream reached: {:?}",
        admin.requests()
    );
    assert!(report.is_empty(), "bypasses:\n{}", report.join("\n"));
}

#[tokio::test]
async fn test_f31_encoded_slash_cannot_bypass_admin() {
    let admin = EchoServer::start();
    let public = EchoServer::start();
    let gw = start(&admin, &public);
    let report = bypasses(
        &gw,
        &public,
        &["/admin%2f", "/admin%2F", "/%2fadmin/", "/admin%2fsecret"],
    )
    .await;
    assert!(report.is_empty(), "bypasses:\n{}", report.join("\n"));
}

#[tokio::test]
async fn test_f32_head_options_override_do_not_bypass() {
    let admin = EchoServer::start();
    let public = EchoServer::start();
    let gw = start(&admin, &public);
    let c = client();
    let head = c.head(gw.url("/admin/")).send().await.unwrap();
    assert_eq!(head.status(), 401);
    let head_nav = c
        .head(gw.url("/admin/"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(head_nav.status(), 302);
    let options = c
        .request(reqwest::Method::OPTIONS, gw.url("/admin/"))
        .header("Origin", "http://127.0.0.1")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), 401);
    let overridden = c
        .post(gw.url("/admin/"))
        .header("X-HTTP-Method-Override", "GET")
        .header("X-Method-Override", "HEAD")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(overridden.status(), 401);
    assert!(admin.requests().is_empty());
}

#[tokio::test]
async fn test_f34_unknown_path_and_vhost_not_served() {
    let echo = EchoServer::start();
    let mut toml = protected("app", "/app/", &echo.url(), "\"user\"");
    toml += "host = \"app.test\"\n";
    let gw = builder(&toml).start();
    let resp = client()
        .get(gw.url("/app/"))
        .header("Host", "other.test")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(get_status(&gw, "/nothing-here", None, false).await, 404);
    assert!(echo.requests().is_empty());
    let resp = client()
        .get(gw.url("/app/"))
        .header("Host", "app.test")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401, "the matching vhost is protected");
}

#[tokio::test]
async fn test_f35_api_requests_get_401_browsers_302() {
    let echo = EchoServer::start();
    let gw = builder(&protected("app", "/app/", &echo.url(), "\"user\"")).start();
    let c = client();
    let cases: [(&[(&str, &str)], u16); 5] = [
        (&[("Accept", "text/html")], 302),
        (
            &[
                ("Accept", "text/html"),
                ("X-Requested-With", "XMLHttpRequest"),
            ],
            401,
        ),
        (&[("Accept", "application/json")], 401),
        (&[("Accept", "*/*")], 401),
        (&[], 401),
    ];
    for (headers, want) in cases {
        let mut req = c.get(gw.url("/app/api/v1/items"));
        for (n, v) in headers {
            req = req.header(*n, *v);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), want, "{headers:?}");
        if want == 302 {
            assert_eq!(
                resp.headers()["location"],
                "/gatehouse/login?rd=%2Fapp%2Fapi%2Fv1%2Fitems"
            );
        }
    }
    let post = c
        .post(gw.url("/app/form"))
        .header("Accept", "text/html")
        .body("a=1")
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 401, "a POST is not a navigation");
    assert!(echo.requests().is_empty());
}

#[tokio::test]
async fn test_f37_websocket_upgrade_authenticated() {
    let ws_up = WsEchoServer::start();
    let toml = protected("ws", "/ws/", &format!("{}/", ws_up.url()), "\"user\"");
    let gw = builder(&toml).start();
    add_user(&gw, "alice", "user", "pw-alice");
    let url = format!("ws://127.0.0.1:{}/ws/socket", gw.port);

    let refused = tokio_tungstenite::connect_async(url.as_str()).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert!(
                matches!(resp.status().as_u16(), 401 | 302),
                "{}",
                resp.status()
            );
        }
        other => panic!(
            "upgrade without a session: {:?}",
            other.map(|(_, r)| r.status())
        ),
    }
    assert!(
        ws_up.upgrades().is_empty(),
        "the upstream saw an unauthenticated upgrade"
    );

    let cookie = login(&gw, "alice", "pw-alice").await;
    let mut req = url.as_str().into_client_request().unwrap();
    req.headers_mut().insert("Cookie", cookie.parse().unwrap());
    req.headers_mut()
        .insert("X-WEBAUTH-USER", "admin".parse().unwrap());
    let (mut ws, resp) = tokio::time::timeout(WITHIN, tokio_tungstenite::connect_async(req))
        .await
        .expect("handshake timed out")
        .expect("upgrade with a session");
    assert_eq!(resp.status(), 101);
    let seen = ws_up.wait_for_upgrades(1, WITHIN).await;
    assert_eq!(seen[0].header("x-webauth-user"), Some("alice"));
    ws.send(Message::Text("ping".into())).await.unwrap();
    let echoed = tokio::time::timeout(WITHIN, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => return t.to_string(),
                Some(Ok(_)) => continue,
                other => panic!("WebSocket ended: {other:?}"),
            }
        }
    })
    .await
    .expect("no echo");
    assert_eq!(echoed, "ping");
}
