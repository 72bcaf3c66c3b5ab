//! The same store operations, checked on SQLite and on PostgreSQL: every
//! case gets a fresh, empty store from `fresh`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use gatehouse::store::{
    AcmeCertRow, AcmeLease, ApiTokenRow, Ban, BanKind, SessionRow, Store, StoreError,
};
use gatehouse::tokens::SsoTokens;

use crate::support::postgres::Postgres;

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn session(hash: u8, user_id: i64, expires: i64) -> SessionRow {
    SessionRow {
        token_hash: [hash; 32],
        user_id,
        created: 100,
        expires,
        last_seen: 100,
        remember: true,
        sso: SsoTokens::default(),
        second_factor: false,
    }
}

fn users(s: &Store) {
    let a = s
        .add_user("Alice", "Alice@X", 4, Some("h"), None, UNIX_EPOCH)
        .unwrap();
    assert_eq!((a.group, a.locked), (4, false));
    let dup = s
        .add_user("alice", "", 4, None, None, UNIX_EPOCH)
        .unwrap_err();
    assert!(
        matches!(dup, StoreError::DuplicateName(ref n) if n == "alice"),
        "{dup}"
    );
    assert_eq!(s.user_by_name("ALICE").unwrap().unwrap().id, a.id);
    assert_eq!(s.user_by_email("alice@x").unwrap().unwrap().id, a.id);
    assert!(s.user_by_email("").unwrap().is_none());
    let b = s
        .add_user("bob", "", 1, None, Some(22), UNIX_EPOCH)
        .unwrap();
    s.set_group("BOB", 0).unwrap();
    s.set_locked("bob", true).unwrap();
    s.set_password("bob", Some("$argon2id$x")).unwrap();
    s.set_email("bob", "b@x").unwrap();
    let got = s.user_by_id(b.id).unwrap().unwrap();
    assert_eq!(
        (
            got.group,
            got.locked,
            got.password_hash.as_deref(),
            got.email.as_str()
        ),
        (0, true, Some("$argon2id$x"), "b@x")
    );
    assert_eq!(s.user_by_plex_id(22).unwrap().unwrap().name, "bob");
    s.set_plex_id("bob", None).unwrap();
    assert!(s.user_by_plex_id(22).unwrap().is_none());
    assert_eq!(s.count_admins().unwrap(), 1);
    let names: Vec<String> = s
        .list_users()
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names, ["Alice", "bob"]);
    assert!(matches!(
        s.set_group("nobody", 1),
        Err(StoreError::UnknownUser(_))
    ));
    assert!(matches!(
        s.delete_user("nobody"),
        Err(StoreError::UnknownUser(_))
    ));
    let imported = s
        .add_imported_user("gina", "", 5, Some("$2y$10$h"), true, UNIX_EPOCH)
        .unwrap();
    assert!(imported.locked);
    // Ids are never reused; the high water mark survives deletion.
    s.delete_user("gina").unwrap();
    assert_eq!(s.user_id_high_water().unwrap(), imported.id);
    let c = s.add_user("carol", "", 4, None, None, UNIX_EPOCH).unwrap();
    assert!(c.id > imported.id);
}

fn sessions(s: &Store) {
    let u = s.add_user("alice", "", 4, None, None, UNIX_EPOCH).unwrap();
    let mut row = session(7, u.id, 200);
    row.sso = SsoTokens {
        plex: Some("tok".into()),
        ..SsoTokens::default()
    };
    row.second_factor = true;
    s.insert_session(&row).unwrap();
    s.insert_session(&session(8, u.id, 120)).unwrap();
    assert!(s.insert_session(&row).is_err(), "same hash twice");
    assert_eq!(s.count_live_sessions(at(150)).unwrap(), 1);
    assert_eq!(s.live_sessions(at(150)).unwrap(), vec![row.clone()]);
    s.update_last_seen(&[([7; 32], 160)]).unwrap();
    assert_eq!(s.live_sessions(at(150)).unwrap()[0].last_seen, 160);
    let sso = SsoTokens {
        ombi: Some("o".into()),
        ..SsoTokens::default()
    };
    s.update_session_sso(&[7; 32], &sso).unwrap();
    assert_eq!(s.live_sessions(at(150)).unwrap()[0].sso, sso);
    assert_eq!(s.session_hashes().unwrap().len(), 2);
    assert_eq!(s.delete_expired(at(150)).unwrap(), 1);
    assert_eq!(s.delete_sessions(&[[7; 32], [9; 32]]).unwrap(), 1);
    s.insert_session(&session(1, u.id, 500)).unwrap();
    s.insert_session(&session(2, u.id, 500)).unwrap();
    s.insert_session(&session(3, u.id, 500)).unwrap();
    assert!(s.delete_session(&[1; 32]).unwrap());
    assert!(!s.delete_session(&[1; 32]).unwrap());
    // change_password keeps the session that made the change.
    assert_eq!(
        s.change_password("ALICE", "new", Some(&[2; 32])).unwrap(),
        1
    );
    assert_eq!(
        s.session_hashes().unwrap().into_iter().collect::<Vec<_>>(),
        vec![[2; 32]]
    );
    assert_eq!(s.delete_user_sessions(u.id).unwrap(), 1);
    s.insert_session(&session(4, u.id, 500)).unwrap();
    s.delete_user("alice").unwrap();
    assert!(s.session_hashes().unwrap().is_empty(), "cascade");
}

fn bans(s: &Store) {
    s.save_ban(BanKind::User, "alice", 300).unwrap();
    s.save_ban(BanKind::Ip, "10.0.0.9", 100).unwrap();
    s.save_ban(BanKind::User, "alice", 200).unwrap(); // never shortens
    assert_eq!(
        s.live_bans(at(150)).unwrap(),
        vec![Ban {
            kind: BanKind::User,
            key: "alice".into(),
            until: 300
        }]
    );
}

fn second_factors(s: &Store) {
    let id = s
        .add_user("alice", "", 4, None, None, UNIX_EPOCH)
        .unwrap()
        .id;
    let other = s.add_user("bob", "", 4, None, None, UNIX_EPOCH).unwrap().id;
    assert!(s.totp(id).unwrap().is_none());
    assert!(!s.has_second_factor(id).unwrap());
    s.set_totp(id, "JBSWY3DPEHPK3PXP", 100, &[[1; 32], [2; 32]], UNIX_EPOCH)
        .unwrap();
    assert!(s.has_second_factor(id).unwrap());
    assert_eq!(s.totp(id).unwrap().unwrap().last_step, 100);
    assert!(!s.use_totp_step(id, 100).unwrap());
    assert!(s.use_totp_step(id, 101).unwrap());
    assert!(!s.use_totp_step(id, 101).unwrap(), "replayed");
    assert_eq!(s.count_recovery_codes(id).unwrap(), 2);
    assert!(s.use_recovery_code(id, &[1; 32]).unwrap());
    assert!(!s.use_recovery_code(id, &[1; 32]).unwrap());
    s.replace_recovery_codes(id, &[[3; 32], [3; 32]]).unwrap();
    assert_eq!(s.count_recovery_codes(id).unwrap(), 1);
    assert!(s.delete_totp(id).unwrap());
    assert_eq!(s.count_recovery_codes(id).unwrap(), 0);
    let pk = s
        .add_passkey(id, b"cred-1", "laptop", "{}", UNIX_EPOCH)
        .unwrap();
    assert!(s
        .add_passkey(other, b"cred-1", "x", "{}", UNIX_EPOCH)
        .is_err());
    assert_eq!(
        s.passkey_by_credential(b"cred-1").unwrap().unwrap().user_id,
        id
    );
    assert!(!s.delete_passkey(other, pk).unwrap(), "not bob's");
    s.touch_passkey(pk, "{\"n\":1}", at(5)).unwrap();
    let keys = s.passkeys_of(id).unwrap();
    assert_eq!(
        (keys[0].passkey.as_str(), keys[0].last_used),
        ("{\"n\":1}", Some(5))
    );
    let h = s.webauthn_handle(id, [7; 16]).unwrap();
    assert_eq!(s.webauthn_handle(id, [8; 16]).unwrap(), h, "kept");
    assert_eq!(s.user_by_webauthn_handle(&h).unwrap(), Some(id));
    s.delete_user("alice").unwrap();
    assert!(s.passkey_by_credential(b"cred-1").unwrap().is_none());
    assert!(s.user_by_webauthn_handle(&h).unwrap().is_none());
}

fn api_tokens(s: &Store) {
    let a = s.add_user("a", "", 4, None, None, UNIX_EPOCH).unwrap().id;
    let b = s.add_user("b", "", 4, None, None, UNIX_EPOCH).unwrap().id;
    let row = |user_id, hash, expires| ApiTokenRow {
        id: 0,
        user_id,
        token_hash: [hash; 32],
        name: format!("t{hash}"),
        routes: vec!["sonarr".into(), "radarr".into()],
        created: 0,
        expires,
    };
    let t1 = s.insert_api_token(&row(a, 1, None)).unwrap();
    s.insert_api_token(&row(a, 2, Some(100))).unwrap();
    s.insert_api_token(&row(b, 3, None)).unwrap();
    let mine = s.api_tokens_of(a).unwrap();
    assert_eq!((mine.len(), mine[0].id), (2, t1));
    assert_eq!(mine[0].routes, ["sonarr", "radarr"]);
    assert_eq!(s.delete_api_token(t1, Some(b)).unwrap(), None, "not b's");
    assert_eq!(s.delete_api_token(t1, Some(a)).unwrap(), Some([1; 32]));
    assert_eq!(s.delete_expired_api_tokens(at(100)).unwrap(), 1);
    assert_eq!(s.all_api_tokens().unwrap().len(), 1);
    s.delete_user("b").unwrap();
    assert!(s.all_api_tokens().unwrap().is_empty());
}

fn meta_and_versions(s: &Store, other: &Store) {
    assert_eq!(s.get_meta("client_id").unwrap(), None);
    s.set_meta("client_id", "a").unwrap();
    other.set_meta("client_id", "b").unwrap();
    assert_eq!(s.get_meta("client_id").unwrap().as_deref(), Some("b"));
    assert!(s.delete_meta("client_id").unwrap());
    assert!(!s.delete_meta("client_id").unwrap());
    assert!(s.schema_version().unwrap() >= 2);
    // A user change (e.g. by the CLI) moves the version another gateway polls.
    let before = s.data_version().unwrap();
    other
        .add_user("zed", "", 4, None, None, UNIX_EPOCH)
        .unwrap();
    assert_ne!(s.data_version().unwrap(), before);
    let before = s.data_version().unwrap();
    other.set_locked("zed", true).unwrap();
    assert_ne!(s.data_version().unwrap(), before);
}

fn acme_row(issued: i64, pem: &str) -> AcmeCertRow {
    AcmeCertRow {
        name: "a.test".into(),
        pem: pem.into(),
        issued,
        not_after: issued + 90,
        node: "n1".into(),
    }
}

/// ACME shared through the store: the first account saved wins, a newer
/// certificate replaces an older one and never the reverse, and one holder
/// at a time may order a name until its lease runs out.
fn acme(s: &Store, other: &Store) {
    let dir = "https://ca.test/dir";
    assert_eq!(s.acme_account(dir).unwrap(), None);
    assert_eq!(s.save_acme_account(dir, "one", 1).unwrap(), "one");
    assert_eq!(other.save_acme_account(dir, "two", 2).unwrap(), "one");
    assert_eq!(
        other
            .save_acme_account("https://ca.test/other", "two", 2)
            .unwrap(),
        "two"
    );
    assert!(!s.forget_acme_account(dir, "two").unwrap());
    assert!(s.forget_acme_account(dir, "one").unwrap());
    assert_eq!(other.acme_account(dir).unwrap(), None);

    assert!(s.save_acme_cert(&acme_row(10, "ten")).unwrap());
    assert!(
        !other.save_acme_cert(&acme_row(5, "five")).unwrap(),
        "older refused"
    );
    assert_eq!(other.acme_cert("a.test").unwrap().unwrap().pem, "ten");
    assert!(other.save_acme_cert(&acme_row(20, "twenty")).unwrap());
    let got = s.acme_cert("a.test").unwrap().unwrap();
    assert_eq!(
        (got.pem.as_str(), got.not_after, got.node.as_str()),
        ("twenty", 110, "n1")
    );
    assert_eq!(s.acme_cert("b.test").unwrap(), None);
    assert!(other.forget_acme_cert("a.test").unwrap());
    assert!(!s.forget_acme_cert("a.test").unwrap());
    assert_eq!(s.acme_cert("a.test").unwrap(), None);

    assert_eq!(
        s.take_acme_lease("a.test", "A", 100, 0).unwrap(),
        AcmeLease::Taken
    );
    assert_eq!(
        other.take_acme_lease("a.test", "B", 150, 50).unwrap(),
        AcmeLease::Held {
            holder: "A".into(),
            until: 100
        }
    );
    assert_eq!(
        s.take_acme_lease("a.test", "A", 200, 60).unwrap(),
        AcmeLease::Taken,
        "extended"
    );
    assert_eq!(
        other.take_acme_lease("b.test", "B", 150, 50).unwrap(),
        AcmeLease::Taken,
        "per name"
    );
    // A died mid-order: its lease runs out and B takes over.
    assert_eq!(
        other.take_acme_lease("a.test", "B", 400, 200).unwrap(),
        AcmeLease::Taken
    );
    s.release_acme_lease("a.test", "A").unwrap();
    assert!(matches!(
        s.take_acme_lease("a.test", "C", 500, 210).unwrap(),
        AcmeLease::Held { holder, .. } if holder == "B"
    ));
    other.release_acme_lease("a.test", "B").unwrap();
    assert_eq!(
        s.take_acme_lease("a.test", "C", 500, 210).unwrap(),
        AcmeLease::Taken
    );
}

/// Runs every case, each on the stores `fresh` returns (two handles on one
/// new, empty store).
fn run_suite(fresh: &mut dyn FnMut() -> (Store, Store)) {
    users(&fresh().0);
    sessions(&fresh().0);
    bans(&fresh().0);
    second_factors(&fresh().0);
    api_tokens(&fresh().0);
    let (s, other) = fresh();
    meta_and_versions(&s, &other);
    let (s, other) = fresh();
    acme(&s, &other);
}

#[test]
fn test_store_suite_sqlite() {
    let mut dirs = Vec::new();
    run_suite(&mut || {
        let dir = tempfile::tempdir().unwrap();
        let pair = (
            Store::open_url("", dir.path()).unwrap(),
            Store::open(dir.path()).unwrap(),
        );
        dirs.push(dir);
        pair
    });
}

#[test]
fn test_store_suite_postgres() {
    let Some(mut pg) = Postgres::start("test_store_suite_postgres") else {
        return;
    };
    let unused = tempfile::tempdir().unwrap();
    run_suite(&mut || {
        let url = pg.new_database();
        let s = Store::open_url(&url, unused.path()).unwrap();
        (s, Store::open_url(&url, unused.path()).unwrap())
    });
    assert!(
        std::fs::read_dir(unused.path()).unwrap().next().is_none(),
        "nothing written to data_dir"
    );
}

#[test]
fn test_store_postgres_over_unix_socket_and_schema() {
    let Some(mut pg) = Postgres::start("test_store_postgres_over_unix_socket_and_schema") else {
        return;
    };
    let tcp = pg.new_database();
    let db = tcp.rsplit('/').next().unwrap().to_string();
    let url = pg.socket_url(&db);
    let unused = tempfile::tempdir().unwrap();
    let s = Store::open_url(&url, unused.path()).unwrap();
    s.add_user("sock", "", 4, None, None, UNIX_EPOCH).unwrap();
    assert_eq!(s.describe(), url, "no password to mask");
    // Opening again migrates nothing and keeps the data.
    let again = Store::open_url(&url, unused.path()).unwrap();
    assert!(again.user_by_name("SOCK").unwrap().is_some());
    let mut client = pg.client(&db);
    let version: i64 = client
        .query_one("SELECT version FROM schema_version", &[])
        .unwrap()
        .get(0);
    assert_eq!(version, s.schema_version().unwrap());
    let rows = client
        .query("SELECT count(*) FROM schema_version", &[])
        .unwrap();
    assert_eq!(rows[0].get::<_, i64>(0), 1);
}

#[test]
fn test_store_postgres_unreachable_names_masked_url() {
    let port = crate::support::ports::free_port();
    let url = format!("postgres://gh:hunter2@127.0.0.1:{port}/gatehouse");
    let err = Store::open_url(&url, std::path::Path::new("/nonexistent")).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Unreachable(..)), "{text}");
    assert!(
        text.contains(&format!("postgres://gh:***@127.0.0.1:{port}/gatehouse")),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}
