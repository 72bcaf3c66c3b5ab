//! The portal's second-factor state beside [`crate::app::App`]: the WebAuthn
//! relying party, WebAuthn ceremonies waiting for the browser's answer, and
//! TOTP secrets shown for enrolment but not yet confirmed. Everything here
//! lives in memory for a few minutes; nothing is secret once used.

use std::time::{Duration, SystemTime};

use dashmap::DashMap;
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, PasskeyAuthentication, PasskeyRegistration, Url, Webauthn,
    WebauthnBuilder,
};

use crate::auth::totp::TotpSecret;
use crate::clock::unix;
use crate::config::{Config, SecondFactorPolicy};

/// How long a WebAuthn ceremony or a shown TOTP secret waits.
pub const CEREMONY_TTL: Duration = Duration::from_secs(300);

/// At most this many ceremonies (and, separately, enrolments) are held.
pub const MAX_WAITING: usize = 10_000;

/// A WebAuthn ceremony waiting for the browser.
#[derive(Debug, Clone)]
pub enum Ceremony {
    /// A signed-in user registering a passkey.
    Register {
        /// The user.
        user_id: i64,
        /// webauthn-rs state (challenge, excluded credentials).
        state: Box<PasskeyRegistration>,
    },
    /// A half-signed-in user proving a passkey as second factor.
    SecondFactor {
        /// The user.
        user_id: i64,
        /// webauthn-rs state (challenge, allowed credentials).
        state: Box<PasskeyAuthentication>,
    },
    /// A passwordless sign-in with a discoverable passkey.
    Passwordless {
        /// webauthn-rs state (challenge).
        state: Box<DiscoverableAuthentication>,
    },
}

/// The portal's second-factor state.
#[derive(Debug)]
pub struct FactorState {
    /// The relying party; `None` when second factors are off or no valid
    /// relying-party ID could be derived (an IP address in `public_url`).
    pub webauthn: Option<Webauthn>,
    /// The relying-party ID in use (for the security page).
    pub rp_id: Option<String>,
    ceremonies: DashMap<[u8; 32], (Ceremony, u64)>,
    enrolments: DashMap<i64, (TotpSecret, u64)>,
}

fn hash(nonce: &str) -> [u8; 32] {
    Sha256::digest(nonce.as_bytes()).into()
}

fn fresh(created: u64, now: u64) -> bool {
    now < created.saturating_add(CEREMONY_TTL.as_secs())
}

/// The relying-party ID: the `[session] domain` parent when set (one
/// passkey for every subdomain), else `public_url`'s host.
pub fn rp_id(config: &Config) -> Option<String> {
    match config.session.domain.as_deref() {
        Some(d) => Some(d.trim_start_matches('.').to_ascii_lowercase()),
        None => config
            .server
            .public_url
            .domain()
            .map(str::to_ascii_lowercase),
    }
}

fn relying_party(config: &Config) -> Option<(Webauthn, String)> {
    if config.login.second_factor == SecondFactorPolicy::Off {
        return None;
    }
    let id = rp_id(config)?;
    let origin: &Url = &config.server.public_url;
    let built = WebauthnBuilder::new(&id, origin)
        .map(|b| {
            b.rp_name("Gatehouse")
                .allow_subdomains(config.session.domain.is_some())
        })
        .and_then(|b| b.build());
    match built {
        Ok(w) => Some((w, id)),
        Err(e) => {
            tracing::warn!(rp_id = %id, origin = %origin, error = %e, "passkeys unavailable: no valid relying party");
            None
        }
    }
}

impl FactorState {
    /// The state for `config`, with nothing waiting.
    pub fn new(config: &Config) -> FactorState {
        let rp = relying_party(config);
        if rp.is_none() && config.login.second_factor != SecondFactorPolicy::Off {
            tracing::info!("passkeys need a host name in public_url (or [session] domain); TOTP works regardless");
        }
        let (webauthn, rp_id) = match rp {
            Some((w, id)) => (Some(w), Some(id)),
            None => (None, None),
        };
        FactorState {
            webauthn,
            rp_id,
            ceremonies: DashMap::new(),
            enrolments: DashMap::new(),
        }
    }

    /// Holds a ceremony; returns the nonce for the browser's cookie.
    pub fn begin(&self, ceremony: Ceremony, now: SystemTime) -> String {
        let t = unix(now);
        if self.ceremonies.len() >= MAX_WAITING {
            self.ceremonies.retain(|_, (_, c)| fresh(*c, t));
            if self.ceremonies.len() >= MAX_WAITING {
                self.ceremonies.clear();
            }
        }
        let nonce = crate::tokens::random_token();
        self.ceremonies.insert(hash(&nonce), (ceremony, t));
        nonce
    }

    /// Removes and returns the live ceremony of `nonce` (each answers once).
    pub fn finish(&self, nonce: &str, now: SystemTime) -> Option<Ceremony> {
        let (_, (ceremony, created)) = self.ceremonies.remove(&hash(nonce))?;
        fresh(created, unix(now)).then_some(ceremony)
    }

    /// The TOTP secret being enrolled by `user_id`: the one already shown
    /// (for five minutes), else a new one.
    pub fn enrolment(&self, user_id: i64, now: SystemTime) -> TotpSecret {
        let t = unix(now);
        if let Some(e) = self.enrolments.get(&user_id) {
            if fresh(e.1, t) {
                return e.0.clone();
            }
        }
        if self.enrolments.len() >= MAX_WAITING {
            self.enrolments.retain(|_, (_, c)| fresh(*c, t));
        }
        let secret = TotpSecret::generate();
        self.enrolments.insert(user_id, (secret.clone(), t));
        secret
    }

    /// The shown secret of `user_id`, if still fresh (not removed).
    pub fn shown_secret(&self, user_id: i64, now: SystemTime) -> Option<TotpSecret> {
        let e = self.enrolments.get(&user_id)?;
        fresh(e.1, unix(now)).then(|| e.0.clone())
    }

    /// Forgets the shown secret of `user_id` (confirmed or abandoned).
    pub fn end_enrolment(&self, user_id: i64) {
        self.enrolments.remove(&user_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(text: &str) -> Config {
        crate::config::parse(Path::new("t.toml"), text).unwrap()
    }

    #[test]
    fn test_rp_id_is_the_domain_parent_else_the_public_host() {
        let c = config("[server]\npublic_url = \"https://Home.Example.com\"\n");
        assert_eq!(rp_id(&c).as_deref(), Some("home.example.com"));
        let c = config(
            "[server]\npublic_url = \"https://auth.example.com\"\n[session]\ndomain = \".example.com\"\n",
        );
        assert_eq!(rp_id(&c).as_deref(), Some("example.com"));
        let state = FactorState::new(&c);
        assert!(
            state.webauthn.is_some(),
            "subdomains share the parent's passkeys"
        );
        let ip = config("[server]\npublic_url = \"http://127.0.0.1:8080\"\n");
        assert_eq!(rp_id(&ip), None);
        assert!(
            FactorState::new(&ip).webauthn.is_none(),
            "an IP cannot be a relying party"
        );
        let off = config(
            "[server]\npublic_url = \"http://localhost:8080\"\n[login]\nsecond_factor = \"off\"\n",
        );
        assert!(FactorState::new(&off).webauthn.is_none());
    }

    #[test]
    fn test_ceremonies_answer_once_within_five_minutes() {
        let c = config("[server]\npublic_url = \"http://localhost:8080\"\n");
        let state = FactorState::new(&c);
        let t0 = std::time::UNIX_EPOCH + Duration::from_secs(1000);
        let s1 = state.enrolment(1, t0);
        assert_eq!(
            state.enrolment(1, t0 + Duration::from_secs(10)),
            s1,
            "the shown secret is kept"
        );
        assert!(
            state.shown_secret(1, t0 + CEREMONY_TTL).is_none(),
            "expired"
        );
        state.end_enrolment(1);
        assert!(state.shown_secret(1, t0).is_none());
    }
}
