//! Config builders and helpers shared by the SSO client tests.

use std::net::IpAddr;
use std::time::Duration;

use gatehouse::config::{Plex, Sso, SsoOmbi, SsoPlex, SsoTautulli};
use url::Url;

/// The client identifier the tests use.
pub const CLIENT_ID: &str = "gatehouse-test-client-0001";

/// The client address passed as `X-Forwarded-For`.
pub fn client_ip() -> IpAddr {
    "203.0.113.7".parse().unwrap()
}

/// `[plex]` pointing both base URLs at the fake plex.tv.
pub fn plex_cfg(base: &str, strict: bool) -> Plex {
    Plex {
        token: crate::support::fakes::plex_tv::ALICE.token.into(),
        machine_id: crate::support::fakes::plex_tv::MACHINE_ID.into(),
        admin: "Alice@Example.com".into(),
        oauth: true,
        strict_friends: strict,
        new_user_group: 4,
        api_url: Url::parse(base).unwrap(),
        app_url: Url::parse(base).unwrap(),
    }
}

/// `[sso.*]` with everything disabled.
pub fn sso_off() -> Sso {
    Sso {
        plex: SsoPlex { enabled: false },
        ombi: SsoOmbi {
            enabled: false,
            url: None,
            api_key: String::new(),
            fallback_user: String::new(),
            fallback_password: String::new(),
        },
        tautulli: SsoTautulli {
            enabled: false,
            urls: Vec::new(),
            api_key: String::new(),
            min_group: 4,
        },
    }
}

/// `[sso.ombi]` for the fake at `url`.
pub fn ombi_cfg(url: &str, api_key: &str, fallback: bool) -> SsoOmbi {
    use crate::support::fakes::ombi::{FALLBACK_PASSWORD, FALLBACK_USER};
    SsoOmbi {
        enabled: true,
        url: Some(Url::parse(url).unwrap()),
        api_key: api_key.into(),
        fallback_user: if fallback {
            FALLBACK_USER.into()
        } else {
            String::new()
        },
        fallback_password: if fallback {
            FALLBACK_PASSWORD.into()
        } else {
            String::new()
        },
    }
}

/// `[sso.tautulli]` for the given instance URLs.
pub fn tautulli_cfg(urls: &[String], api_key: &str) -> SsoTautulli {
    SsoTautulli {
        enabled: true,
        urls: urls.iter().map(|u| Url::parse(u).unwrap()).collect(),
        api_key: api_key.into(),
        min_group: 4,
    }
}

/// The shared SSO HTTP client.
pub fn http() -> reqwest::Client {
    gatehouse::sso::http_client().unwrap()
}

/// A base URL on which nothing listens.
pub fn dead_url() -> String {
    format!("http://127.0.0.1:{}", crate::support::ports::free_port())
}

/// Long enough that a "hanging" fake never answers within a test.
pub const HANG: Duration = Duration::from_secs(30);
