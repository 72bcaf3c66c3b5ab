//! Organizr's `config.php` settings as Gatehouse keys: the login backend,
//! `[plex]`, `[sso.*]`, `remember_me`. Keys missing from the file take
//! Organizr's own defaults (a `config.php` fresh from the wizard has only
//! nine keys); password settings are decrypted with `organizrHash`.

use toml_edit::Value;

use super::crypto::decrypt;
use super::php::Php;

/// Organizr's defaults (its `api/config/default.php`) for the keys read here.
const DEFAULTS: &[(&str, &str)] = &[
    ("authType", "internal"),
    ("authBackend", ""),
    ("plexToken", ""),
    ("plexID", ""),
    ("plexAdmin", ""),
    ("plexoAuth", "false"),
    ("plexStrictFriends", "true"),
    ("ssoPlex", "false"),
    ("ssoOmbi", "false"),
    ("ombiURL", ""),
    ("ombiToken", ""),
    ("ombiFallbackUser", ""),
    ("ombiFallbackPassword", ""),
    ("ssoTautulli", "false"),
    ("tautulliURL", ""),
    ("ssoTautulliAuth", "4"),
    ("rememberMeDays", "7"),
];

/// The settings of one install, read with defaults.
pub struct Settings<'a> {
    php: Option<&'a Php>,
}

/// One Gatehouse key to set: `(table, key, value)`.
pub type Key = (&'static str, &'static str, Value);

impl<'a> Settings<'a> {
    /// Over `config.php` (or, without one, Organizr's defaults only).
    pub fn new(php: Option<&'a Php>) -> Self {
        Settings { php }
    }

    fn raw(&self, key: &str) -> Option<&Php> {
        self.php.and_then(|p| p.get(key))
    }

    /// A setting as text (Organizr's default when missing).
    pub fn text(&self, key: &str) -> String {
        match self.raw(key) {
            Some(v) => v.text(),
            None => DEFAULTS
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(String::new(), |(_, v)| (*v).to_owned()),
        }
    }

    /// A setting as a boolean.
    pub fn flag(&self, key: &str) -> bool {
        match self.raw(key) {
            Some(v) => v.truthy(),
            None => DEFAULTS.iter().any(|(k, v)| *k == key && *v == "true"),
        }
    }

    /// A password setting, decrypted; `Err` says why it was kept as written.
    fn password(&self, key: &str) -> Result<String, String> {
        let stored = self.text(key);
        if stored.is_empty() {
            return Ok(stored);
        }
        let hash = self.text("organizrHash");
        decrypt(&stored, &hash).map_err(|e| format!("config.php: {key}: cannot be decrypted with organizrHash ({e}); left empty, set it by hand"))
    }

    /// The Gatehouse keys, with notes (comments) and warnings.
    pub fn keys(&self) -> (Vec<Key>, Vec<String>, Vec<String>) {
        let mut keys: Vec<Key> = Vec::new();
        let mut notes = Vec::new();
        let mut warnings = Vec::new();
        let auth_type = self.text("authType").to_ascii_lowercase();
        let backend = self.text("authBackend").to_ascii_lowercase();
        let uses_backend = matches!(auth_type.as_str(), "both" | "external");
        let login = if backend == "plex" && uses_backend {
            "plex"
        } else {
            "local"
        };
        if backend == "plex" && !uses_backend {
            notes.push(format!("authBackend is plex but authType is {auth_type}: Organizr checked only its own passwords, so [login] backend stays \"local\" (set \"plex\" to sign in with Plex passwords)"));
        } else if !backend.is_empty() && backend != "plex" && uses_backend {
            warnings.push(format!("config.php: authBackend: {backend} is not supported; users sign in with their imported Organizr passwords ([login] backend = \"local\")"));
        }
        keys.push(("login", "backend", login.into()));
        keys.push(("plex", "token", self.text("plexToken").into()));
        let machine = self.text("plexID");
        if machine.is_empty()
            || (machine.len() == 40 && machine.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            keys.push(("plex", "machine_id", machine.into()));
        } else {
            warnings.push(
                "config.php: plexID: not 40 hexadecimal characters; [plex] machine_id left empty"
                    .to_owned(),
            );
        }
        keys.push(("plex", "admin", self.text("plexAdmin").into()));
        keys.push(("plex", "oauth", self.flag("plexoAuth").into()));
        keys.push((
            "plex",
            "strict_friends",
            self.flag("plexStrictFriends").into(),
        ));
        keys.push(("sso.plex", "enabled", self.flag("ssoPlex").into()));
        let ombi_url = self.text("ombiURL");
        let ombi = self.flag("ssoOmbi");
        if ombi && ombi_url.is_empty() {
            warnings.push(
                "config.php: ssoOmbi: on, but ombiURL is empty; [sso.ombi] stays off".to_owned(),
            );
        }
        keys.push(("sso.ombi", "enabled", (ombi && !ombi_url.is_empty()).into()));
        keys.push(("sso.ombi", "url", ombi_url.into()));
        keys.push(("sso.ombi", "api_key", self.text("ombiToken").into()));
        keys.push((
            "sso.ombi",
            "fallback_user",
            self.text("ombiFallbackUser").into(),
        ));
        let fallback = self.password("ombiFallbackPassword").unwrap_or_else(|w| {
            warnings.push(w);
            String::new()
        });
        keys.push(("sso.ombi", "fallback_password", fallback.into()));
        let urls: Vec<String> = self
            .text("tautulliURL")
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .collect();
        let tautulli = self.flag("ssoTautulli");
        if tautulli && urls.is_empty() {
            warnings.push(
                "config.php: ssoTautulli: on, but tautulliURL is empty; [sso.tautulli] stays off"
                    .to_owned(),
            );
        }
        keys.push((
            "sso.tautulli",
            "enabled",
            (tautulli && !urls.is_empty()).into(),
        ));
        keys.push((
            "sso.tautulli",
            "urls",
            Value::Array(urls.iter().map(String::as_str).collect()),
        ));
        let min: i64 = self
            .text("ssoTautulliAuth")
            .trim()
            .parse()
            .unwrap_or(4)
            .clamp(0, 999);
        keys.push(("sso.tautulli", "min_group", min.into()));
        if let Ok(days) = self.text("rememberMeDays").trim().parse::<u32>() {
            if days > 0 {
                keys.push(("session", "remember_me", format!("{days}d").into()));
            }
        }
        for (flag, name) in [
            ("ssoOverseerr", "Overseerr"),
            ("ssoJellyfin", "Jellyfin"),
            ("ssoPetio", "Petio"),
            ("ssoKomga", "Komga"),
        ] {
            if self.flag(flag) {
                warnings.push(format!("config.php: {flag}: {name} single sign-on is not supported; its users sign in to {name} themselves"));
            }
        }
        (keys, notes, warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::organizr::php::parse;

    fn keys(text: Option<&str>) -> (Vec<Key>, Vec<String>, Vec<String>) {
        let php = text.map(|t| parse("config.php", t.as_bytes()).unwrap());
        Settings::new(php.as_ref()).keys()
    }

    fn get<'a>(keys: &'a [Key], table: &str, key: &str) -> &'a Value {
        &keys
            .iter()
            .find(|(t, k, _)| *t == table && *k == key)
            .unwrap()
            .2
    }

    #[test]
    fn test_wizard_only_config_takes_organizr_defaults() {
        let (k, _, w) = keys(Some("<?php return ['organizrHash' => 'x', 'uuid' => 'u'];"));
        assert!(w.is_empty());
        assert_eq!(get(&k, "login", "backend").as_str(), Some("local"));
        assert_eq!(get(&k, "plex", "oauth").as_bool(), Some(false));
        assert_eq!(get(&k, "plex", "strict_friends").as_bool(), Some(true));
        assert_eq!(get(&k, "sso.tautulli", "min_group").as_integer(), Some(4));
        assert_eq!(get(&k, "session", "remember_me").as_str(), Some("7d"));
    }

    #[test]
    fn test_backend_follows_auth_type() {
        let (k, notes, _) = keys(Some(
            "<?php return ['authType' => 'internal', 'authBackend' => 'plex'];",
        ));
        assert_eq!(get(&k, "login", "backend").as_str(), Some("local"));
        assert_eq!(notes.len(), 1);
        let (k, _, _) = keys(Some(
            "<?php return ['authType' => 'both', 'authBackend' => 'plex'];",
        ));
        assert_eq!(get(&k, "login", "backend").as_str(), Some("plex"));
        let (_, _, w) = keys(Some(
            "<?php return ['authType' => 'both', 'authBackend' => 'ldap'];",
        ));
        assert!(w[0].starts_with("config.php: authBackend: ldap is not supported"));
    }

    #[test]
    fn test_sso_needs_urls() {
        let (k, _, w) = keys(Some("<?php return ['ssoOmbi' => true, 'ssoTautulli' => true, 'tautulliURL' => 'http://a:1,http://b:2'];"));
        assert_eq!(get(&k, "sso.ombi", "enabled").as_bool(), Some(false));
        assert_eq!(get(&k, "sso.tautulli", "enabled").as_bool(), Some(true));
        assert_eq!(get(&k, "sso.tautulli", "urls").as_array().unwrap().len(), 2);
        assert_eq!(w.len(), 1, "{w:?}");
    }
}
