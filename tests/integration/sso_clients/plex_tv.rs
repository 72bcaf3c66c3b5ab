//! `PlexTv` against the fake plex.tv: every method and every error.

use std::time::Duration;

use gatehouse::sso::plex_tv::{admit, Admission, PinState, PlexError, PlexTv};

use super::common::{dead_url, plex_cfg, CLIENT_ID, HANG};
use crate::support::fakes::plex_tv::{
    PlexTvFake, ALICE, BOB, CAROL, DAVE, ERIN, MACHINE_ID, OTHER_MACHINE_ID,
};
use crate::support::fakes::Mode;

fn client(fake: &PlexTvFake) -> PlexTv {
    PlexTv::new(&plex_cfg(&fake.url(), true), CLIENT_ID).unwrap()
}

#[tokio::test]
async fn test_plex_sign_in_by_username_and_email_sends_plex_headers() {
    let fake = PlexTvFake::start();
    let c = client(&fake);
    let a = c.sign_in("alice", ALICE.password).await.unwrap();
    assert_eq!(
        (a.username.as_str(), a.token.as_str(), a.id),
        ("alice", ALICE.token, ALICE.id)
    );
    let a = c
        .sign_in("ALICE@example.COM", ALICE.password)
        .await
        .unwrap();
    assert_eq!(a.email, "alice@example.com");

    let req = &fake.requests()[0];
    assert_eq!(
        (req.method.as_str(), req.path()),
        ("POST", "/users/sign_in.json")
    );
    assert_eq!(req.form("user[login]").as_deref(), Some("alice"));
    assert_eq!(req.form("user[password]").as_deref(), Some(ALICE.password));
    assert!(req.body_text().contains("user%5Blogin%5D=alice"));
    assert_eq!(req.header("X-Plex-Product"), Some("Gatehouse"));
    assert_eq!(
        req.header("X-Plex-Version"),
        Some(env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(req.header("X-Plex-Client-Identifier"), Some(CLIENT_ID));
    assert!(req.header("X-Plex-Platform").is_some_and(|p| !p.is_empty()));
    assert_eq!(req.header("X-Plex-Device"), Some("Gatehouse"));
    assert_eq!(req.header("Accept"), Some("application/json"));
    assert_eq!(
        req.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
}

#[tokio::test]
async fn test_plex_sign_in_errors_one_clear_line_each() {
    let fake = PlexTvFake::start();
    let c = client(&fake);
    let wrong = c.sign_in("alice", "nope").await.unwrap_err();
    assert!(matches!(wrong, PlexError::WrongCredentials), "{wrong:?}");
    let unknown = c.sign_in("nobody", "x").await.unwrap_err();
    assert!(matches!(unknown, PlexError::WrongCredentials));
    let tfa = c.sign_in("erin", ERIN.password).await.unwrap_err();
    assert!(matches!(tfa, PlexError::TwoFactorRequired), "{tfa:?}");

    fake.set_mode(Mode::RateLimited);
    let limited = c.sign_in("alice", ALICE.password).await.unwrap_err();
    assert!(matches!(limited, PlexError::RateLimited), "{limited:?}");
    fake.set_mode(Mode::Forbidden);
    let other = c.sign_in("alice", ALICE.password).await.unwrap_err();
    assert!(matches!(other, PlexError::Unexpected(403)), "{other:?}");

    let down = PlexTv::new(&plex_cfg(&dead_url(), true), CLIENT_ID).unwrap();
    let unreachable = down.sign_in("alice", ALICE.password).await.unwrap_err();
    assert!(
        matches!(unreachable, PlexError::Unreachable(_)),
        "{unreachable:?}"
    );

    fake.set_mode(Mode::Down);
    let reset = c.sign_in("alice", ALICE.password).await.unwrap_err();
    assert!(matches!(reset, PlexError::Unreachable(_)), "{reset:?}");

    fake.set_mode(Mode::Slow(HANG));
    let quick = PlexTv::with_timeout(
        &plex_cfg(&fake.url(), true),
        CLIENT_ID,
        Duration::from_millis(300),
    )
    .unwrap();
    let timeout = quick.sign_in("alice", ALICE.password).await.unwrap_err();
    assert!(matches!(timeout, PlexError::Timeout), "{timeout:?}");

    for e in [wrong, tfa, limited, other, unreachable, reset, timeout] {
        let line = e.to_string();
        assert!(!line.contains('\n') && !line.is_empty(), "{line}");
        assert!(
            !line.contains(ALICE.password) && !line.contains(ERIN.password),
            "{line}"
        );
    }
}

#[tokio::test]
async fn test_plex_account_by_token_and_invalid_token() {
    let fake = PlexTvFake::start();
    let c = client(&fake);
    let a = c.account(BOB.token).await.unwrap();
    assert_eq!((a.username.as_str(), a.token.as_str()), ("bob", BOB.token));
    let req = &fake.requests()[0];
    assert_eq!(req.target, "/users/account.json");
    assert_eq!(req.header("X-Plex-Token"), Some(BOB.token));
    let e = c.account("forged").await.unwrap_err();
    assert!(matches!(e, PlexError::InvalidToken), "{e:?}");
    assert!(!e.to_string().contains("forged"));
}

#[tokio::test]
async fn test_plex_friends_and_servers_parse_xml() {
    let fake = PlexTvFake::start();
    let c = client(&fake);
    let friends = c.friends(ALICE.token).await.unwrap();
    assert_eq!(friends.len(), 2);
    assert_eq!(
        (friends[0].username.as_str(), friends[0].id.as_str()),
        ("bob", "2222")
    );
    assert_eq!(friends[0].servers, [MACHINE_ID]);
    assert_eq!(
        (friends[1].email.as_str(), friends[1].servers.as_slice()),
        ("carol@example.com", &[OTHER_MACHINE_ID.to_string()][..])
    );
    let req = &fake.requests()[0];
    assert_eq!(req.target, "/api/users", "the token must not be in the URL");
    assert_eq!(req.header("X-Plex-Token"), Some(ALICE.token));
    assert_eq!(req.header("Accept"), Some("application/xml"));

    let servers = c.servers(ALICE.token).await.unwrap();
    assert_eq!(servers.len(), 2);
    assert_eq!(
        (servers[0].name.as_str(), servers[0].owned),
        ("Alice & Friends", true)
    );
    assert_eq!(servers[0].machine_identifier, MACHINE_ID);
    assert_eq!(
        (servers[1].name.as_str(), servers[1].owned),
        ("Zed's Server", false)
    );
    assert!(c.servers(BOB.token).await.unwrap().is_empty());
    assert!(matches!(
        c.friends("bad").await.unwrap_err(),
        PlexError::InvalidToken
    ));
    assert!(matches!(
        c.servers("bad").await.unwrap_err(),
        PlexError::InvalidToken
    ));
}

#[tokio::test]
async fn test_plex_admission_owner_friends_strict_and_stranger() {
    let fake = PlexTvFake::start();
    let strict = plex_cfg(&fake.url(), true);
    let loose = plex_cfg(&fake.url(), false);
    let c = client(&fake);
    let alice = c.sign_in("alice", ALICE.password).await.unwrap();
    assert_eq!(
        c.admission(&alice, &strict).await.unwrap(),
        Admission::Owner
    );
    assert!(
        fake.server.requests_to("/api/users").is_empty(),
        "owner needs no friends list"
    );

    let bob = c.sign_in("bob", BOB.password).await.unwrap();
    let carol = c.sign_in("carol", CAROL.password).await.unwrap();
    let dave = c.sign_in("dave", DAVE.password).await.unwrap();
    assert_eq!(c.admission(&bob, &strict).await.unwrap(), Admission::Friend);
    assert_eq!(
        c.admission(&carol, &strict).await.unwrap(),
        Admission::Refused
    );
    assert_eq!(
        c.admission(&carol, &loose).await.unwrap(),
        Admission::Friend
    );
    assert_eq!(
        c.admission(&dave, &loose).await.unwrap(),
        Admission::Refused
    );
    let friends_req = &fake.server.requests_to("/api/users")[0];
    assert_eq!(
        friends_req.header("X-Plex-Token"),
        Some(ALICE.token),
        "owner's token"
    );

    let friends = c.friends(ALICE.token).await.unwrap();
    assert_eq!(admit(&bob, &strict, &friends), Admission::Friend);
    assert_eq!(admit(&dave, &strict, &friends), Admission::Refused);
}

#[tokio::test]
async fn test_plex_pin_flow_pending_done_expired() {
    let fake = PlexTvFake::start();
    let c = client(&fake);
    let pin = c.create_pin().await.unwrap();
    assert_eq!(pin.code.len(), 25);
    let req = &fake.requests()[0];
    assert_eq!(
        (req.method.as_str(), req.target.as_str()),
        ("POST", "/api/v2/pins?strong=true")
    );
    assert_eq!(req.header("X-Plex-Client-Identifier"), Some(CLIENT_ID));

    assert_eq!(c.check_pin(pin.id).await.unwrap(), PinState::Pending);
    assert!(fake.approve_pin(pin.id, &BOB));
    assert_eq!(
        c.check_pin(pin.id).await.unwrap(),
        PinState::Done(BOB.token.into())
    );
    let other_client = PlexTv::new(&plex_cfg(&fake.url(), true), "another-install").unwrap();
    assert_eq!(
        other_client.check_pin(pin.id).await.unwrap(),
        PinState::Pending,
        "token only for the creating client"
    );

    fake.expire_pin(pin.id);
    assert_eq!(c.check_pin(pin.id).await.unwrap(), PinState::Expired);
    assert_eq!(c.check_pin(1).await.unwrap(), PinState::Expired);
    fake.set_mode(Mode::RateLimited);
    assert!(matches!(
        c.check_pin(pin.id).await.unwrap_err(),
        PlexError::RateLimited
    ));
    assert!(matches!(
        c.create_pin().await.unwrap_err(),
        PlexError::RateLimited
    ));
}

#[tokio::test]
async fn test_plex_auth_url_opens_the_fake_app_page() {
    let fake = PlexTvFake::start();
    let c = client(&fake);
    let pin = c.create_pin().await.unwrap();
    let url = c.auth_url(&pin.code);
    let expected = format!(
        "{}/auth#?clientID={CLIENT_ID}&code={}&context%5Bdevice%5D%5Bproduct%5D=Gatehouse",
        fake.url(),
        pin.code
    );
    assert_eq!(url, expected);
    let page = reqwest::get(url.split('#').next().unwrap()).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("/__fake/approve"));

    // Approving through the page's form (as a browser would) completes the PIN.
    let form = [
        ("code", pin.code.as_str()),
        ("login", "alice"),
        ("password", ALICE.password),
    ];
    let r = reqwest::Client::new()
        .post(format!("{}/__fake/approve", fake.url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        c.check_pin(pin.id).await.unwrap(),
        PinState::Done(ALICE.token.into())
    );
}
