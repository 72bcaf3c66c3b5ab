//! The fakes' own contract details that the clients do not exercise.

use crate::support::fakes::ombi::{OmbiFake, OMBI_API_KEY};
use crate::support::fakes::plex_tv::{PlexTvFake, ALICE};
use crate::support::fakes::tautulli::{TautulliFake, TautulliOptions};

#[tokio::test]
async fn test_fake_plex_pins_xml_without_accept_and_client_id_required() {
    let fake = PlexTvFake::start();
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{}/api/v2/pins?strong=true", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = c
        .post(format!("{}/api/v2/pins", fake.url()))
        .header("X-Plex-Client-Identifier", "x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body = r.text().await.unwrap();
    assert!(
        body.starts_with("<pin id=") && body.contains("authToken=\"\""),
        "{body}"
    );
    let r = c
        .get(format!(
            "{}/users/account?X-Plex-Token={}",
            fake.url(),
            ALICE.token
        ))
        .send()
        .await
        .unwrap();
    let xml = r.text().await.unwrap();
    assert!(
        xml.contains("scrobbleTypes=\"\"")
            && xml.contains("<subscription ")
            && xml.contains("<profile ")
    );
}

#[tokio::test]
async fn test_fake_ombi_api_key_rule_on_every_api_path() {
    let fake = OmbiFake::start();
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{}/api/v1/Token", fake.url()))
        .header("apikey", "wrong")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.text().await.unwrap(), "Invalid API Key");
    let r = c
        .get(format!(
            "{}/api/v1/Settings/about?apikey={OMBI_API_KEY}",
            fake.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = c
        .get(format!("{}/api/v1/Settings/about", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .post(format!("{}/api/v1/Token/plextoken", fake.url()))
        .json(&serde_json::json!({"plexToken": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn test_fake_tautulli_home_redirects_or_401_for_xhr() {
    let fake = TautulliFake::start(TautulliOptions {
        root: "/tautulli".into(),
        ..TautulliOptions::default()
    });
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c.get(format!("{}/home", fake.url())).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "/tautulli/auth/logout?redirect_uri=/tautulli/home"
    );
    let r = c
        .get(format!("{}/home", fake.url()))
        .header("X-Requested-With", "XMLHttpRequest")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = c
        .get(format!("{}/auth/login", fake.url()))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with(&format!("tautulli_session_{}=", fake.uuid))
            && cookie.contains("Path=/tautulli")
    );
}
