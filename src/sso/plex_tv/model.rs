//! plex.tv data types, their parsing from JSON/XML replies, and the
//! admission rule of the Plex login backend.

use serde::Deserialize;

use crate::config::Plex;
use crate::sso::xml::{self, TagKind};

/// A plex.tv account, from sign-in or a token check. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct PlexAccount {
    /// plex.tv account id (0 when absent).
    pub id: u64,
    pub uuid: String,
    pub username: String,
    pub email: String,
    /// Avatar URL.
    pub thumb: String,
    /// The user's plex.tv token (`authToken`).
    pub token: String,
}

impl std::fmt::Debug for PlexAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlexAccount")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// One entry of the owner's friends list (`GET /api/users`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlexFriend {
    pub id: String,
    pub username: String,
    pub email: String,
    /// `machineIdentifier` of every server shared with this friend.
    pub servers: Vec<String>,
}

/// One server of `GET /pms/servers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlexServer {
    pub name: String,
    /// `owned="1"`: the token's account owns it.
    pub owned: bool,
    pub machine_identifier: String,
}

/// A PIN of the OAuth flow (`POST /api/v2/pins`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub id: u64,
    pub code: String,
}

/// The state of a PIN (`GET /api/v2/pins/{id}`). `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub enum PinState {
    /// Not approved yet.
    Pending,
    /// Approved: the user's plex.tv token.
    Done(String),
    /// Gone (404) or past its lifetime.
    Expired,
}

impl std::fmt::Debug for PinState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PinState::Pending => f.write_str("Pending"),
            PinState::Done(_) => f.write_str("Done(<redacted>)"),
            PinState::Expired => f.write_str("Expired"),
        }
    }
}

/// Outcome of the Plex backend's approval check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// `[plex] admin` names this account.
    Owner,
    /// In the owner's friends list (and, when strict, sharing `machine_id`).
    Friend,
    /// Anyone else.
    Refused,
}

/// Decides whether a plex.tv account may sign in: the owner when `cfg.admin`
/// equals its username or e-mail (case-insensitively); a friend when listed
/// in `friends` by id, username or e-mail, and — with `strict_friends` — that
/// entry shares `cfg.machine_id` (an empty `machine_id` then refuses: fail closed).
pub fn admit(account: &PlexAccount, cfg: &Plex, friends: &[PlexFriend]) -> Admission {
    if same(&cfg.admin, &account.username) || same(&cfg.admin, &account.email) {
        return Admission::Owner;
    }
    let listed = friends.iter().filter(|f| {
        (account.id != 0 && f.id == account.id.to_string())
            || same(&f.username, &account.username)
            || same(&f.email, &account.email)
    });
    for f in listed {
        if !cfg.strict_friends
            || (!cfg.machine_id.is_empty()
                && f.servers
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(&cfg.machine_id)))
        {
            return Admission::Friend;
        }
    }
    Admission::Refused
}

/// Case-insensitive equality of two non-empty strings.
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    !a.is_empty() && !b.is_empty() && a.to_lowercase() == b.to_lowercase()
}

#[derive(Deserialize)]
struct AccountReply {
    user: RawAccount,
}

#[derive(Deserialize)]
struct RawAccount {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    uuid: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    thumb: Option<String>,
    #[serde(rename = "authToken", default)]
    auth_token: Option<String>,
    #[serde(default)]
    authentication_token: Option<String>,
}

/// Parses `{"user": {...}}` (sign-in and `/users/account.json`). `None` when
/// the shape is wrong or no token is present.
pub(crate) fn parse_account(json: &str) -> Option<PlexAccount> {
    let raw = serde_json::from_str::<AccountReply>(json).ok()?.user;
    let token = raw
        .auth_token
        .filter(|t| !t.is_empty())
        .or(raw.authentication_token)
        .filter(|t| !t.is_empty())?;
    let id = match raw.id {
        Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(serde_json::Value::String(s)) => s.parse().unwrap_or(0),
        _ => 0,
    };
    Some(PlexAccount {
        id,
        uuid: raw.uuid.unwrap_or_default(),
        username: raw.username.unwrap_or_default(),
        email: raw.email.unwrap_or_default(),
        thumb: raw.thumb.unwrap_or_default(),
        token,
    })
}

/// Parses the `/api/users` XML: every `User` with its child `Server`s.
pub(crate) fn parse_friends(body: &str) -> Vec<PlexFriend> {
    let mut out: Vec<PlexFriend> = Vec::new();
    let mut inside = false;
    for tag in xml::tags(body) {
        match (tag.name, tag.kind) {
            ("User", TagKind::Close) => inside = false,
            ("User", kind) => {
                out.push(PlexFriend {
                    id: tag.attr("id").unwrap_or_default().to_string(),
                    username: tag.attr("username").unwrap_or_default().to_string(),
                    email: tag.attr("email").unwrap_or_default().to_string(),
                    servers: Vec::new(),
                });
                inside = kind == TagKind::Open;
            }
            ("Server", _) if inside && tag.starts() => {
                if let (Some(f), Some(m)) = (out.last_mut(), tag.attr("machineIdentifier")) {
                    f.servers.push(m.to_string());
                }
            }
            _ => {}
        }
    }
    out
}

/// Parses the `/pms/servers` XML.
pub(crate) fn parse_servers(body: &str) -> Vec<PlexServer> {
    xml::tags(body)
        .filter(|t| t.name == "Server" && t.starts())
        .map(|t| PlexServer {
            name: t.attr("name").unwrap_or_default().to_string(),
            owned: t.attr("owned") == Some("1"),
            machine_identifier: t.attr("machineIdentifier").unwrap_or_default().to_string(),
        })
        .collect()
}

#[derive(Deserialize)]
struct RawPin {
    id: u64,
    #[serde(default)]
    code: String,
    #[serde(rename = "authToken", default)]
    auth_token: Option<String>,
    #[serde(rename = "expiresIn", default)]
    expires_in: Option<i64>,
}

/// Parses a PIN object into the PIN and its state.
pub(crate) fn parse_pin(json: &str) -> Option<(Pin, PinState)> {
    let raw: RawPin = serde_json::from_str(json).ok()?;
    let state = match raw.auth_token.filter(|t| !t.is_empty()) {
        Some(t) => PinState::Done(t),
        None if raw.expires_in.is_some_and(|e| e <= 0) => PinState::Expired,
        None => PinState::Pending,
    };
    Some((
        Pin {
            id: raw.id,
            code: raw.code,
        },
        state,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(strict: bool) -> Plex {
        Plex {
            token: "owner".into(),
            machine_id: "m1".into(),
            admin: "Alice@Example.com".into(),
            oauth: true,
            strict_friends: strict,
            new_user_group: 4,
            api_url: url::Url::parse("https://plex.tv").unwrap(),
            app_url: url::Url::parse("https://app.plex.tv").unwrap(),
        }
    }

    fn account(name: &str, email: &str, id: u64) -> PlexAccount {
        PlexAccount {
            id,
            uuid: String::new(),
            username: name.into(),
            email: email.into(),
            thumb: String::new(),
            token: "t".into(),
        }
    }

    const USERS: &str = r#"<MediaContainer size="2">
      <User id="2" title="bob" username="bob" email="bob@example.com" restricted="0">
        <Server id="9" machineIdentifier="m1" name="Alice &amp; Co" owned="1"/>
      </User>
      <User email="carol@example.com" username="carol" id="3"><Server machineIdentifier="m2"/></User>
      <User id="4" username="" email="" />
    </MediaContainer>"#;

    #[test]
    fn test_parse_friends_users_and_servers() {
        let f = parse_friends(USERS);
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].username, "bob");
        assert_eq!(f[0].servers, ["m1"]);
        assert_eq!(f[1].id, "3");
        assert_eq!(f[1].servers, ["m2"]);
        assert!(f[2].servers.is_empty());
    }

    #[test]
    fn test_admit_owner_friend_strict_and_stranger() {
        let f = parse_friends(USERS);
        let c = cfg(true);
        assert_eq!(
            admit(&account("alice", "alice@example.com", 1), &c, &[]),
            Admission::Owner
        );
        assert_eq!(admit(&account("BOB", "x@y", 0), &c, &f), Admission::Friend);
        assert_eq!(admit(&account("carol", "", 0), &c, &f), Admission::Refused);
        assert_eq!(
            admit(&account("carol", "", 0), &cfg(false), &f),
            Admission::Friend
        );
        assert_eq!(
            admit(&account("dave", "", 0), &cfg(false), &f),
            Admission::Refused
        );
        // Empty e-mail never matches the empty e-mail of another entry.
        assert_eq!(
            admit(&account("zed", "", 0), &cfg(false), &f),
            Admission::Refused
        );
        let mut no_machine = cfg(true);
        no_machine.machine_id.clear();
        assert_eq!(
            admit(&account("bob", "", 0), &no_machine, &f),
            Admission::Refused
        );
    }

    #[test]
    fn test_parse_account_token_fields() {
        let a = parse_account(
            r#"{"user":{"id":7,"username":"alice","email":"a@x","authToken":"","authentication_token":"T"}}"#,
        )
        .unwrap();
        assert_eq!((a.id, a.token.as_str()), (7, "T"));
        assert!(parse_account(r#"{"user":{"username":"a"}}"#).is_none());
        assert!(!format!("{a:?}").contains('T'));
    }

    #[test]
    fn test_parse_pin_states() {
        let (p, s) = parse_pin(r#"{"id":5,"code":"c","authToken":null,"expiresIn":1800}"#).unwrap();
        assert_eq!((p.id, s), (5, PinState::Pending));
        let (_, s) = parse_pin(r#"{"id":5,"code":"c","authToken":"tok","expiresIn":1}"#).unwrap();
        assert_eq!(s, PinState::Done("tok".into()));
        let (_, s) = parse_pin(r#"{"id":5,"code":"c","expiresIn":0}"#).unwrap();
        assert_eq!(s, PinState::Expired);
    }

    #[test]
    fn test_parse_servers_owned_flag() {
        let s = parse_servers(
            r#"<MediaContainer><Server name="A &amp; B" owned="1" machineIdentifier="m1"/><Server machineIdentifier="m2" owned="0" name="X"></Server></MediaContainer>"#,
        );
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "A & B");
        assert!(s[0].owned && !s[1].owned);
    }
}
