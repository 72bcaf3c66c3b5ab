//! Client address logic: which IP a request really comes from, and lists of
//! IPs / CIDRs to match it against.
//!
//! [`client_ip`] follows nginx's `real_ip_header X-Forwarded-For;
//! real_ip_recursive on;`: `X-Forwarded-For` is believed only when the TCP peer
//! is a configured trusted proxy, and then it is walked from the right (the
//! entries closest to us, appended by proxies we trust) past every trusted
//! address; the first untrusted entry is the client. A client can prepend
//! whatever it likes to the header, but it can never get past the entry our
//! own proxy appended (docs/docs/security.md E 27–29).
//!
//! Everything here is pure: no I/O, no DNS (Organizr resolves host names in its
//! white/blacklists; we accept only addresses and CIDRs).

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// Errors of this module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    /// A list entry that is neither an IP address nor a CIDR.
    #[error("{0:?} is not an IP address or CIDR")]
    InvalidEntry(String),
}

/// The client address of a request.
///
/// `peer` is the TCP peer, `xff` the (single) `X-Forwarded-For` header value,
/// `trusted` the `[server] trusted_proxies` networks. If the peer is not
/// trusted, the header is ignored and the peer is the client. Otherwise the
/// header is walked right to left: trusted entries are skipped, the first
/// untrusted one is returned, and if every entry is trusted the leftmost is.
/// A malformed entry stops the walk at the last good address.
pub fn client_ip(peer: IpAddr, xff: Option<&[u8]>, trusted: &[IpNet]) -> IpAddr {
    client_ip_from_headers(peer, xff, trusted)
}

/// [`client_ip`] over every `X-Forwarded-For` header of a request, in the
/// order they were received (nginx treats several headers as one list joined
/// with commas).
pub fn client_ip_from_headers<'a, I>(peer: IpAddr, xff: I, trusted: &[IpNet]) -> IpAddr
where
    I: IntoIterator<Item = &'a [u8]>,
    I::IntoIter: DoubleEndedIterator,
{
    let peer = peer.to_canonical();
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let mut current = peer;
    for header in xff.into_iter().rev() {
        for entry in header.rsplit(|&b| b == b',') {
            let Some(ip) = parse_entry(entry) else {
                return current;
            };
            current = ip;
            if !is_trusted(ip, trusted) {
                return ip;
            }
        }
    }
    current
}

/// Whether `ip` is inside one of the `trusted` networks.
pub fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    let ip = ip.to_canonical();
    trusted.iter().any(|net| net.contains(&ip))
}

fn parse_entry(entry: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(entry).ok()?;
    let text = text.trim_matches(|c| c == ' ' || c == '\t');
    IpAddr::from_str(text).ok().map(|ip| ip.to_canonical())
}

/// A list of IP addresses and networks, parsed from CSV
/// (`"10.0.0.0/8, 192.168.1.5, ::1, fd00::/8"`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpList(Vec<IpNet>);

impl IpList {
    /// Parses a comma-separated list; entries are trimmed, empty entries are
    /// skipped, a bare address means that single host (/32 or /128).
    pub fn parse(csv: &str) -> Result<Self, NetError> {
        let mut nets = Vec::new();
        for entry in csv.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            nets.push(parse_net(entry)?);
        }
        Ok(Self(nets))
    }

    /// Builds a list from already parsed networks.
    pub fn from_nets(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    /// Adds every entry of `other` to this list.
    pub fn extend(&mut self, other: IpList) {
        self.0.extend(other.0);
    }

    /// Whether `ip` (IPv4-mapped IPv6 addresses count as IPv4) is in the list.
    pub fn contains(&self, ip: IpAddr) -> bool {
        is_trusted(ip, &self.0)
    }

    /// `true` when the list has no entry.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The networks, e.g. to pass as `trusted` to [`client_ip`].
    pub fn as_slice(&self) -> &[IpNet] {
        &self.0
    }
}

impl FromStr for IpList {
    type Err = NetError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn parse_net(entry: &str) -> Result<IpNet, NetError> {
    if entry.contains('/') {
        return IpNet::from_str(entry)
            .map(|n| n.trunc())
            .map_err(|_| NetError::InvalidEntry(entry.to_owned()));
    }
    IpAddr::from_str(entry)
        .map(|ip| IpNet::from(ip.to_canonical()))
        .map_err(|_| NetError::InvalidEntry(entry.to_owned()))
}

/// xorshift64: a deterministic "random" byte string over `alphabet`, for
/// the randomized never-panic tests of the parsers (here, `auth`, `portal`).
#[cfg(test)]
pub(crate) fn random_string(state: &mut u64, alphabet: &[u8], max_len: u64) -> Vec<u8> {
    let mut next = || {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    };
    let len = next() % max_len;
    (0..len)
        .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(s: &str) -> Vec<IpNet> {
        IpList::parse(s).unwrap().0
    }

    #[test]
    fn test_client_ip_untrusted_peer_ignores_xff() {
        // docs/docs/security.md E 27: a client-supplied XFF from an untrusted peer must
        // not make it look local.
        let trusted = nets("192.168.1.1");
        let got = client_ip(ip("203.0.113.9"), Some(b"10.0.0.1"), &trusted);
        assert_eq!(got, ip("203.0.113.9"));
    }

    #[test]
    fn test_client_ip_no_trusted_proxies_ignores_xff() {
        let got = client_ip(ip("127.0.0.1"), Some(b"10.0.0.1"), &[]);
        assert_eq!(got, ip("127.0.0.1"));
    }

    #[test]
    fn test_client_ip_trusted_peer_takes_rightmost_untrusted() {
        // docs/docs/security.md E 29: client spoofs "6.6.6.6", CDN appends the real
        // address, our trusted proxy connects.
        let trusted = nets("10.0.0.0/8, 173.245.48.0/20");
        let xff = b"6.6.6.6, 198.51.100.7, 173.245.48.10";
        let got = client_ip(ip("10.0.0.2"), Some(xff), &trusted);
        assert_eq!(got, ip("198.51.100.7"));
    }

    #[test]
    fn test_client_ip_forged_local_address_behind_proxy_is_not_trusted() {
        // docs/docs/security.md E 27 behind a proxy: "10.0.0.1" was written by the
        // client, the proxy appended the real address after it.
        let trusted = nets("10.0.0.2");
        let got = client_ip(ip("10.0.0.2"), Some(b"10.0.0.1, 203.0.113.5"), &trusted);
        assert_eq!(got, ip("203.0.113.5"));
    }

    #[test]
    fn test_client_ip_all_trusted_returns_leftmost() {
        let trusted = nets("10.0.0.0/8");
        let got = client_ip(ip("10.0.0.2"), Some(b"10.1.1.1,10.2.2.2"), &trusted);
        assert_eq!(got, ip("10.1.1.1"));
    }

    #[test]
    fn test_client_ip_trusted_peer_without_xff_is_peer() {
        let trusted = nets("10.0.0.0/8");
        assert_eq!(client_ip(ip("10.0.0.2"), None, &trusted), ip("10.0.0.2"));
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some(b""), &trusted),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn test_client_ip_malformed_entry_stops_at_last_good() {
        let trusted = nets("10.0.0.0/8");
        let got = client_ip(ip("10.0.0.2"), Some(b"1.2.3.4, bogus, 10.9.9.9"), &trusted);
        assert_eq!(got, ip("10.9.9.9"));
        let got = client_ip(ip("10.0.0.2"), Some(b"1.2.3.4, \xff\xfe"), &trusted);
        assert_eq!(got, ip("10.0.0.2"));
        let got = client_ip(ip("10.0.0.2"), Some(b"1.2.3.4,,"), &trusted);
        assert_eq!(got, ip("10.0.0.2"));
    }

    #[test]
    fn test_client_ip_ipv6_and_mapped_addresses() {
        let trusted = nets("fd00::/8, 127.0.0.1");
        let got = client_ip(ip("::ffff:127.0.0.1"), Some(b"2001:db8::1"), &trusted);
        assert_eq!(got, ip("2001:db8::1"));
        let got = client_ip(ip("fd00::5"), Some(b" ::ffff:198.51.100.1 "), &trusted);
        assert_eq!(got, ip("198.51.100.1"));
    }

    #[test]
    fn test_client_ip_several_headers_walk_last_first() {
        let trusted = nets("10.0.0.0/8");
        let headers: [&[u8]; 2] = [b"198.51.100.1", b"10.3.3.3"];
        let got = client_ip_from_headers(ip("10.0.0.2"), headers, &trusted);
        assert_eq!(got, ip("198.51.100.1"));
    }

    #[test]
    fn test_ip_list_parses_ips_and_cidrs() {
        let list = IpList::parse(" 10.0.0.0/8 ,192.168.1.5,, ::1, fd00::/8 ").unwrap();
        assert!(list.contains(ip("10.255.0.1")));
        assert!(list.contains(ip("192.168.1.5")));
        assert!(!list.contains(ip("192.168.1.6")));
        assert!(list.contains(ip("::1")));
        assert!(list.contains(ip("fd12::1")));
        assert!(list.contains(ip("::ffff:10.1.2.3")));
        assert!(!list.contains(ip("11.0.0.1")));
        assert!(IpList::parse("").unwrap().is_empty());
    }

    #[test]
    fn test_ip_list_host_bits_are_truncated() {
        let list = IpList::parse("192.168.1.77/24").unwrap();
        assert!(list.contains(ip("192.168.1.1")));
        assert_eq!(list.as_slice()[0].to_string(), "192.168.1.0/24");
    }

    #[test]
    fn test_ip_list_rejects_garbage() {
        for bad in ["example.com", "10.0.0.0/33", "1.2.3", "10.0.0.1 10.0.0.2"] {
            assert_eq!(
                IpList::parse(bad),
                Err(NetError::InvalidEntry(bad.to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn test_client_ip_random_xff_never_panics_or_leaks_untrusted_peer() {
        let alphabet = b"0123456789abcdef.:, \t[]/\xff";
        let trusted = nets("10.0.0.0/8, fd00::/8");
        let mut state = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            let xff = random_string(&mut state, alphabet, 48);
            assert_eq!(
                client_ip(ip("203.0.113.1"), Some(&xff), &trusted),
                ip("203.0.113.1")
            );
            let _ = client_ip(ip("10.0.0.1"), Some(&xff), &trusted);
        }
    }
}
