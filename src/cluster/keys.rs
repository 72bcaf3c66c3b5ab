//! Redis key names and the messages of the events channel. Nothing in
//! Redis is a secret in the clear: sessions travel as token hashes (hex),
//! users as ids, bans as the user name and address they name; session
//! rows and their SSO tokens stay in the store.

/// The pub/sub channel every node listens on.
pub const CHANNEL: &str = "gatehouse:events";

/// Failure times of a user name or address (a sorted set: the same
/// sliding window as one node keeps).
pub fn failures_key(key: &str) -> String {
    format!("gatehouse:fail:{key}")
}

/// A ban of a user name or address (value: until, Unix seconds).
pub fn ban_key(key: &str) -> String {
    format!("gatehouse:ban:{key}")
}

/// User names and addresses share the key space: user names cannot start
/// with `@`, so addresses get it.
pub fn user_part(name: &str) -> String {
    format!("u:{name}")
}

/// The address part of a key.
pub fn ip_part(ip: &str) -> String {
    format!("@{ip}")
}

/// A pending Plex PIN (value: the browser's nonce).
pub fn pin_key(id: &str) -> String {
    format!("gatehouse:plexpin:{id}")
}

/// An ACME HTTP-01 answer (value: the key authorization, public by design:
/// the CA reads it over plain HTTP).
pub fn acme_key(token: &str) -> String {
    format!("gatehouse:acme:{token}")
}

/// One message of [`CHANNEL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// These sessions ended (by token hash).
    Ended(Vec<[u8; 32]>),
    /// A user changed (lock, group, password, deletion).
    User(i64),
    /// A user name and an address are banned until a Unix second.
    Ban {
        until: u64,
        ip: String,
        user: String,
    },
    /// A node is back from an outage: every node compares its cache with
    /// the store (messages sent meanwhile were lost).
    Reconcile,
    /// A TLS-ALPN-01 challenge of a name (RFC 8737): every node serves the
    /// challenge certificate for this SHA-256 of the key authorization
    /// (public by design: the CA reads it in the handshake), or stops
    /// (`None`).
    Alpn {
        name: String,
        digest: Option<[u8; 32]>,
    },
}

/// The nodes that serve a TLS-ALPN-01 challenge certificate (a set of
/// instance names): the ordering node waits for every other node here
/// before it tells the CA to look.
pub fn alpn_ack_key(name: &str, digest: &[u8; 32]) -> String {
    format!("gatehouse:acme-alpn:{name}:{}", hex::encode(digest))
}

/// `KIND INSTANCE REST`: the text of `event` from `instance`.
pub fn encode(instance: &str, event: &Event) -> String {
    match event {
        Event::Ended(hashes) => {
            let list: Vec<String> = hashes.iter().map(hex::encode).collect();
            format!("s {instance} {}", list.join(","))
        }
        Event::User(id) => format!("u {instance} {id}"),
        Event::Ban { until, ip, user } => format!("b {instance} {until} {ip} {user}"),
        Event::Reconcile => format!("r {instance}"),
        Event::Alpn { name, digest } => match digest {
            Some(d) => format!("a {instance} {name} {}", hex::encode(d)),
            None => format!("a {instance} {name}"),
        },
    }
}

/// The sender and event of a message; `None` for anything else.
pub fn decode(text: &str) -> Option<(&str, Event)> {
    let mut parts = text.splitn(3, ' ');
    let kind = parts.next()?;
    let instance = parts.next()?;
    let rest = parts.next().unwrap_or("");
    let event = match kind {
        "s" => {
            let mut hashes = Vec::new();
            for h in rest.split(',').filter(|h| !h.is_empty()) {
                let bytes = hex::decode(h).ok()?;
                hashes.push(<[u8; 32]>::try_from(bytes.as_slice()).ok()?);
            }
            Event::Ended(hashes)
        }
        "u" => Event::User(rest.parse().ok()?),
        "b" => {
            let mut f = rest.splitn(3, ' ');
            let until = f.next()?.parse().ok()?;
            let ip = f.next()?.to_owned();
            let user = f.next().unwrap_or("").to_owned();
            Event::Ban { until, ip, user }
        }
        "r" => Event::Reconcile,
        "a" => {
            let mut f = rest.split(' ');
            let name = f.next().filter(|n| !n.is_empty())?.to_owned();
            let digest = match f.next() {
                Some(h) => Some(<[u8; 32]>::try_from(hex::decode(h).ok()?.as_slice()).ok()?),
                None => None,
            };
            Event::Alpn { name, digest }
        }
        _ => return None,
    };
    Some((instance, event))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_events_round_trip() {
        for e in [
            Event::Ended(vec![[7; 32], [9; 32]]),
            Event::Ended(vec![]),
            Event::User(42),
            Event::Ban {
                until: 99,
                ip: "10.0.0.1".into(),
                user: "mary ann".into(),
            },
            Event::Reconcile,
            Event::Alpn {
                name: "a.example.com".into(),
                digest: Some([3; 32]),
            },
            Event::Alpn {
                name: "a.example.com".into(),
                digest: None,
            },
        ] {
            let text = encode("node-a#12345678", &e);
            assert_eq!(decode(&text), Some(("node-a#12345678", e)));
        }
        for bad in [
            "",
            "x a b",
            "s a zz",
            "u a x",
            "b a x y",
            "s a 0102",
            "a n",
            "a n x.test 0102",
        ] {
            assert!(decode(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn test_keys_hold_no_token() {
        let text = encode("n", &Event::Ended(vec![[0xab; 32]]));
        assert_eq!(text, format!("s n {}", "ab".repeat(32)));
        assert_eq!(failures_key(&user_part("alice")), "gatehouse:fail:u:alice");
        assert_eq!(ban_key(&ip_part("::")), "gatehouse:ban:@::");
    }
}
