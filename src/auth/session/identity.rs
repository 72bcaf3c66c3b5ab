//! The identity of a signed-in user as the hot path needs it: plain fields
//! plus header values built once (when the user is loaded), so injecting
//! identity headers is a reference-count bump, never a format or a parse.

use http::HeaderValue;

use crate::groups;
use crate::store::User;

/// A signed-in user as the hot path needs it: plain fields plus prebuilt
/// header values (`None` when the value holds a control character, so it is
/// never emitted).
#[derive(Debug)]
pub struct Identity {
    /// The user's row id.
    pub user_id: i64,
    /// Login name.
    pub username: String,
    /// E-mail ("" when unknown).
    pub email: String,
    /// Organizr group number.
    pub group: u16,
    /// Locked users are treated as signed out.
    pub locked: bool,
    /// `username` as a header value, `None` when it may not be emitted.
    pub username_value: Option<HeaderValue>,
    /// `email` as a header value, `None` when it may not be emitted.
    pub email_value: Option<HeaderValue>,
    /// The group number, e.g. `4`.
    pub group_value: HeaderValue,
    /// The group name, e.g. `user` or `group-7`.
    pub group_name_value: HeaderValue,
}

/// A header value, or `None` for text a header must never carry: any byte
/// below 0x20 (tab included) or 0x7f, or anything `HeaderValue` refuses.
pub fn header_value(text: &str) -> Option<HeaderValue> {
    if text.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return None;
    }
    HeaderValue::from_str(text).ok()
}

impl Identity {
    /// What the auth decision needs of this user.
    pub fn state(&self) -> crate::auth::decision::UserState {
        crate::auth::decision::UserState {
            group: self.group,
            locked: self.locked,
        }
    }

    /// Builds the identity of a stored user.
    pub fn from_user(u: &User) -> Identity {
        let group_name = groups::name(u.group);
        Identity {
            user_id: u.id,
            username: u.name.clone(),
            email: u.email.clone(),
            group: u.group,
            locked: u.locked,
            username_value: header_value(&u.name),
            email_value: header_value(&u.email),
            group_value: HeaderValue::from(u.group),
            group_name_value: header_value(&group_name)
                .unwrap_or_else(|| HeaderValue::from_static("user")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_control_characters_never_become_header_values() {
        assert!(header_value("ok name").is_some());
        assert!(header_value("evil\r\nX-Admin: 1").is_none());
        assert!(header_value("nul\0").is_none());
        assert!(header_value("tab\there").is_none());
        assert!(header_value("del\x7f").is_none());
    }

    #[test]
    fn test_identity_from_user_prebuilds_values() {
        let u = User {
            id: 3,
            name: "bad\nname".into(),
            email: "e@x".into(),
            group: 7,
            password_hash: None,
            locked: false,
            plex_id: None,
            created: 0,
        };
        let i = Identity::from_user(&u);
        assert!(i.username_value.is_none(), "never emitted");
        assert_eq!(i.email_value.unwrap(), "e@x");
        assert_eq!(i.group_value, "7");
        assert_eq!(i.group_name_value, "group-7");
    }
}
