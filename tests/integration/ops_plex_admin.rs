//! `{portal}/admin/plex` against the plex.tv fake: the PIN flow as the
//! owner, the server list, `[plex] token`/`machine_id` written into the file
//! with its comments, the running gateway reloaded; cross-site posts and
//! non-admins refused.

use std::time::Duration;

use crate::support::accounts::{add_user, builder, login};
use crate::support::binary::{client, Gateway};
use crate::support::fakes::plex_tv::{PlexTvFake, ALICE, MACHINE_ID};

const DEADLINE: Duration = Duration::from_secs(15);

async fn post(
    gw: &Gateway,
    path: &str,
    cookie: &str,
    origin: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let r = client()
        .post(gw.url(path))
        .header("cookie", cookie)
        .header("origin", origin)
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn get(gw: &Gateway, path: &str, cookie: &str) -> (u16, String) {
    let r = client()
        .get(gw.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn test_admin_plex_retrieve_writes_the_file_and_reloads() {
    let plex = PlexTvFake::start();
    let rest = format!(
        "# Plex settings, filled by the admin page\n[plex]\n# the owner's token\n\
         token = \"\"   # Retrieve fills this\napi_url = \"{0}\"\napp_url = \"{0}\"\n",
        plex.url()
    );
    let gw = builder(&rest).start();
    add_user(&gw, "root", "admin", "root-password-1");
    add_user(&gw, "joe", "user", "joe-password-1");
    let admin = login(&gw, "root", "root-password-1").await;
    let user = login(&gw, "joe", "joe-password-1").await;
    let here = gw.url("");

    // A normal user gets 403, on the page and on its forms.
    assert_eq!(get(&gw, "/gatehouse/admin/plex", &user).await.0, 403);
    assert_eq!(
        post(&gw, "/gatehouse/admin/plex/pin", &user, &here, &[])
            .await
            .0,
        403
    );
    // A form posted from another site is refused, even with the admin's cookie.
    let (code, _) = post(
        &gw,
        "/gatehouse/admin/plex/pin",
        &admin,
        "http://evil.example",
        &[],
    )
    .await;
    assert_eq!(code, 403);
    assert!(plex.pin_ids().is_empty(), "no PIN for a refused post");

    let (code, page) = get(&gw, "/gatehouse/admin/plex", &admin).await;
    assert_eq!(code, 200);
    assert!(page.contains("<td id=\"token\">not set</td>"), "{page}");

    let (code, page) = post(&gw, "/gatehouse/admin/plex/pin", &admin, &here, &[]).await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("id=\"plex-auth\""), "{page}");
    let pin = *plex.pin_ids().last().unwrap();
    // Not approved yet.
    let (code, page) = post(&gw, "/gatehouse/admin/plex/check", &admin, &here, &[]).await;
    assert_eq!(code, 200);
    assert!(page.contains("not approved the PIN yet"), "{page}");
    assert!(plex.approve_pin(pin, &ALICE));
    let (code, page) = post(&gw, "/gatehouse/admin/plex/check", &admin, &here, &[]).await;
    assert_eq!(code, 200, "{page}");
    assert!(
        page.contains(&format!("value=\"{MACHINE_ID}\" checked")),
        "{page}"
    );
    assert!(
        page.contains("Alice &amp;amp; Friends") || page.contains("Alice &amp; Friends"),
        "{page}"
    );
    assert!(
        !page.contains(ALICE.token),
        "the token never reaches a page"
    );

    let (code, page) = post(
        &gw,
        "/gatehouse/admin/plex/save",
        &admin,
        &here,
        &[("machine_id", MACHINE_ID)],
    )
    .await;
    assert_eq!(code, 200, "{page}");
    assert!(page.contains("id=\"saved\""), "{page}");

    // The file: both values, every comment and the layout kept.
    let text = std::fs::read_to_string(gw.config_path()).unwrap();
    assert!(
        text.contains("# Plex settings, filled by the admin page\n[plex]\n# the owner's token\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "token = \"{}\"   # Retrieve fills this\n",
            ALICE.token
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("machine_id = \"{MACHINE_ID}\"")),
        "{text}"
    );
    assert!(text.starts_with("[server]\n"), "{text}");

    // The running gateway reloaded: the page shows the new values.
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let (_, page) = get(&gw, "/gatehouse/admin/plex", &admin).await;
        if page.contains(&format!("<td id=\"machine_id\">{MACHINE_ID}</td>"))
            && page.contains("<td id=\"token\">set</td>")
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not reloaded:\n{page}\n{}",
            gw.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = gw.wait_log("configuration reloaded", DEADLINE).await;
    assert!(log.contains("gatehouse::audit"), "{log}");
    assert!(
        log.contains("action=\"plex.save\"") && log.contains("who=root"),
        "{log}"
    );
    assert!(
        log.contains("refused: cross-site") && log.contains("refused: not an admin"),
        "{log}"
    );
    assert!(
        !log.contains(ALICE.token),
        "the token never reaches the log"
    );
}
