//! `trusted_networks` (docs/access.md): the client address is the gateway's
//! own idea of it (`trusted_proxies` respected, IPv4-mapped addresses read
//! as IPv4), never a header from an untrusted peer.

use crate::support::binary::client;
use crate::support::upstream::EchoServer;

use super::common::*;

fn lan_route(echo: &EchoServer, skip: &str, extra: &str) -> String {
    let mut t = protected("sonarr", "/sonarr/", &echo.url(), "\"power-user\"");
    t += &format!(
        "trusted_networks = [\"192.168.1.0/24\"]\ntrusted_networks_skip = {skip:?}\n{extra}"
    );
    t
}

async fn status_from(
    gw: &crate::support::binary::Gateway,
    xff: Option<&str>,
    cookie: Option<&str>,
) -> u16 {
    let mut req = client()
        .get(gw.url("/sonarr/"))
        .header("Accept", "text/html");
    if let Some(x) = xff {
        req = req.header("X-Forwarded-For", x);
    }
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn test_lan_through_a_trusted_proxy_admitted_untrusted_header_not() {
    let echo = EchoServer::start();
    let gw = builder(&lan_route(&echo, "sign_in", ""))
        .server_extra("trusted_proxies = [\"127.0.0.1/32\"]")
        .start();
    assert_eq!(status_from(&gw, Some("192.168.1.5"), None).await, 200);
    let seen = echo.last();
    assert_eq!(
        seen.header("x-webauth-user"),
        None,
        "LAN-admitted: no identity without a session"
    );
    assert_eq!(seen.header("x-real-ip"), Some("192.168.1.5"));
    assert_eq!(
        status_from(&gw, Some("10.0.0.5"), None).await,
        302,
        "another network"
    );
    // A client prepending a LAN address cannot get past our proxy's entry.
    assert_eq!(
        status_from(&gw, Some("192.168.1.5, 203.0.113.7"), None).await,
        302
    );
    // With a session, the LAN request carries its identity.
    add_user(&gw, "lee", "user", "pw-lee");
    let cookie = login(&gw, "lee", "pw-lee").await;
    assert_eq!(
        status_from(&gw, Some("192.168.1.5"), Some(&cookie)).await,
        200
    );
    assert_eq!(echo.last().header("x-webauth-user"), Some("lee"));

    // The same header from a peer that is not a trusted proxy is ignored.
    let untrusted = builder(&lan_route(&echo, "sign_in", "")).start();
    assert_eq!(
        status_from(&untrusted, Some("192.168.1.5"), None).await,
        302
    );
}

#[tokio::test]
async fn test_lan_dual_stack_listener_reads_mapped_addresses_as_ipv4() {
    let echo = EchoServer::start();
    // On [::] an IPv4 client appears as ::ffff:127.0.0.1; the proxy rule
    // and the LAN rule both read it (and mapped entries) as IPv4.
    let mut t = protected("sonarr", "/sonarr/", &echo.url(), "\"power-user\"");
    t += "trusted_networks = [\"192.168.1.0/24\"]\ntrusted_networks_skip = \"sign_in\"\n";
    t += &protected("local", "/local/", &echo.url(), "\"admin\"");
    t += "trusted_networks = [\"127.0.0.0/8\"]\ntrusted_networks_skip = \"sign_in\"\n";
    let gw = builder(&t)
        .listen_host("[::]")
        .server_extra("trusted_proxies = [\"127.0.0.1/32\"]")
        .start();
    assert_eq!(
        status_from(&gw, Some("::ffff:192.168.1.5"), None).await,
        200
    );
    assert_eq!(status_from(&gw, Some("192.168.1.5"), None).await, 200);
    assert_eq!(status_from(&gw, Some("::ffff:10.0.0.1"), None).await, 302);
    let direct = client().get(gw.url("/local/")).send().await.unwrap();
    assert_eq!(direct.status(), 200, "the mapped peer itself is 127.0.0.1");
}

#[tokio::test]
async fn test_lan_skips_only_the_second_factor_by_default() {
    let echo = EchoServer::start();
    let gw = builder(&lan_route(&echo, "second_factor", "second_factor = true\n"))
        .server_extra("trusted_proxies = [\"127.0.0.1/32\"]")
        .start();
    add_user(&gw, "mo", "power-user", "pw-mo");
    let cookie = login(&gw, "mo", "pw-mo").await;
    assert_eq!(
        status_from(&gw, Some("192.168.1.9"), None).await,
        302,
        "still needs a session"
    );
    assert_eq!(
        status_from(&gw, Some("192.168.1.9"), Some(&cookie)).await,
        200,
        "no second factor needed on the LAN"
    );
    let away = client()
        .get(gw.url("/sonarr/"))
        .header("Accept", "text/html")
        .header("Cookie", &cookie)
        .header("X-Forwarded-For", "198.51.100.4")
        .send()
        .await
        .unwrap();
    assert_eq!(away.status(), 302);
    assert!(away.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/gatehouse/step-up?rd="));
}
