//! Reply bodies of the fake plex.tv, shaped as in docs/upstreams.md §2.1.

use serde_json::json;

use super::{PlexUser, ALICE, MACHINE_ID, OTHER_MACHINE_ID};

/// `{"user": {...}}` of sign-in and `/users/account.json`.
pub(super) fn account_json(u: &PlexUser) -> serde_json::Value {
    json!({"user": {
        "id": u.id, "uuid": format!("uuid{}", u.id), "username": u.username, "title": u.username,
        "email": u.email, "thumb": format!("https://plex.tv/users/uuid{}/avatar?c=1", u.id),
        "authToken": u.token, "authentication_token": u.token,
        "home": false, "restricted": false, "subscription": {"active": false}
    }})
}

/// The `<user>` XML of `/users/account`, `/api/v2/user` and v2 sign-in
/// (with the attributes and children plexapi needs).
pub(super) fn account_xml(u: &PlexUser) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<user id="{id}" uuid="uuid{id}" username="{n}" title="{n}" email="{e}" authToken="{t}" thumb="https://plex.tv/users/uuid{id}/avatar?c=1" home="0" homeAdmin="0" restricted="0" guest="0" confirmed="1" scrobbleTypes="" friendlyName="" locale="" joinedAt="1600000000" rememberExpiresAt="1900000000" twoFactorEnabled="{tf}">
  <subscription active="0" status="Inactive" plan="" subscribedAt="" paymentService=""/>
  <profile autoSelectAudio="1" defaultAudioLanguage="en" defaultSubtitleLanguage="en" autoSelectSubtitle="0" defaultSubtitleAccessibility="0" defaultSubtitleForces="0"/>
  <entitlements/><roles/>
</user>"#,
        id = u.id,
        n = u.username,
        e = u.email,
        t = u.token,
        tf = u8::from(u.two_factor),
    )
}

/// The owner's friends: Bob on the owner's server, Carol on another one
/// (attribute order varies and values are escaped on purpose).
pub(super) fn friends_xml(u: &PlexUser) -> String {
    let users = if u.id == ALICE.id {
        format!(
            r#"  <User id="2222" title="bob" username="bob" email="bob@example.com" recommendationsPlaylistId="" thumb="https://plex.tv/users/bbb/avatar?c=1&amp;size=2" protected="0" home="0" allowTuners="0" allowSync="1" allowCameraUpload="0" allowChannels="0" allowSubtitleAdmin="0" filterAll="" filterMovies="" filterMusic="" filterPhotos="" filterTelevision="" restricted="0">
    <Server id="9999" serverId="8888" machineIdentifier="{MACHINE_ID}" name="Alice &amp; Friends" lastSeenAt="1700000000" numLibraries="3" allLibraries="1" owned="1" pending="0"/>
  </User>
  <User email='carol@example.com' username='carol' title='carol &quot;C&quot;' id='3333' restricted='0' home='0'>
    <Server name="Zed's" owned="0" machineIdentifier="{OTHER_MACHINE_ID}" id="9998" serverId="8887" pending="0"/>
  </User>
"#
        )
    } else {
        String::new()
    };
    let n = users.matches("<User ").count();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MediaContainer friendlyName=\"myPlex\" identifier=\"com.plexapp.plugins.myplex\" machineIdentifier=\"{MACHINE_ID}\" totalSize=\"{n}\" size=\"{n}\">\n{users}</MediaContainer>\n"
    )
}

/// `/pms/servers`: the owner sees their server and one shared with them.
pub(super) fn servers_xml(u: &PlexUser) -> String {
    let servers = if u.id == ALICE.id {
        format!(
            r#"  <Server accessToken="srv-token-1" name="Alice &amp; Friends" address="10.0.0.2" port="32400" version="1.40.0" scheme="http" host="10.0.0.2" localAddresses="10.0.0.2" machineIdentifier="{MACHINE_ID}" createdAt="1600000000" updatedAt="1700000000" owned="1" synced="0"/>
  <Server machineIdentifier="{OTHER_MACHINE_ID}" owned="0" name="Zed's Server" address="10.0.0.9" port="32400" accessToken="srv-token-2" sourceTitle="zed"/>
"#
        )
    } else {
        String::new()
    };
    let n = servers.matches("<Server ").count();
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<MediaContainer friendlyName=\"myPlex\" size=\"{n}\">\n{servers}</MediaContainer>\n")
}

/// app.plex.tv's sign-in page, reduced: it reads `code` from the fragment and
/// posts it with the typed credentials to `/__fake/approve`.
pub(super) const AUTH_PAGE: &str = r#"<!doctype html><html><head><title>Plex</title></head><body>
<form id="approve" method="post" action="/__fake/approve">
<input type="hidden" name="code" id="code">
<input name="login" id="login"><input type="password" name="password" id="password">
<button type="submit" id="allow">Allow</button></form>
<script>var h=new URLSearchParams(location.hash.replace(/^#!?\??/,''));document.getElementById('code').value=h.get('code')||'';</script>
</body></html>"#;
