//! IP addresses and numbers as text, for the hot path (`$remote_addr`,
//! `$proxy_add_x_forwarded_for`, `$server_port`, the access log).
//!
//! `Ipv4Addr`'s `Display` writes through `core::fmt` twice (into a scratch
//! buffer, then padded into the formatter): about 900 instructions for
//! `127.0.0.1`, three times per proxied request. An IPv4 address is written
//! here digit by digit into a stack buffer, with the same text. IPv6
//! addresses (`::` compression, IPv4-mapped forms) keep `Display`.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

/// Longest dotted-decimal IPv4 address: `255.255.255.255`.
const V4_MAX: usize = 15;

/// An IPv4 address in dotted decimal, as `Ipv4Addr`'s `Display` writes it.
pub struct V4Text {
    buf: [u8; V4_MAX],
    len: usize,
}

impl V4Text {
    pub fn new(ip: Ipv4Addr) -> Self {
        let mut buf = [0u8; V4_MAX];
        let mut len = 0;
        for (i, octet) in ip.octets().into_iter().enumerate() {
            if i > 0 {
                buf[len] = b'.';
                len += 1;
            }
            if octet >= 100 {
                buf[len] = b'0' + octet / 100;
                len += 1;
            }
            if octet >= 10 {
                buf[len] = b'0' + octet / 10 % 10;
                len += 1;
            }
            buf[len] = b'0' + octet % 10;
            len += 1;
        }
        V4Text { buf, len }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits and dots were written.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

/// `n` in decimal, written into `digits` (no `core::fmt`); the text is the
/// returned tail of `digits`.
pub fn decimal(mut n: u64, digits: &mut [u8; 20]) -> &[u8] {
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &digits[i..]
}

/// Appends `ip` as text.
pub fn push_ip(out: &mut String, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => out.push_str(V4Text::new(v4).as_str()),
        IpAddr::V6(v6) => {
            // Writing to a String cannot fail.
            let _ = write!(out, "{v6}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_decimal_matches_display() {
        for n in [0, 7, 9, 10, 99, 100, 65535, 1_000_000, u64::MAX] {
            assert_eq!(decimal(n, &mut [0u8; 20]), n.to_string().as_bytes());
        }
    }

    #[test]
    fn test_v4_text_matches_display() {
        for ip in [
            Ipv4Addr::new(0, 0, 0, 0),
            Ipv4Addr::new(127, 0, 0, 1),
            Ipv4Addr::new(10, 9, 99, 100),
            Ipv4Addr::new(192, 168, 1, 254),
            Ipv4Addr::new(255, 255, 255, 255),
            Ipv4Addr::new(1, 20, 200, 9),
        ] {
            assert_eq!(V4Text::new(ip).as_str(), ip.to_string());
        }
        // Every octet value, in each position.
        for o in 0..=255u8 {
            let ip = Ipv4Addr::new(o, 255 - o, o / 2, o.wrapping_mul(7));
            assert_eq!(V4Text::new(ip).as_str(), ip.to_string());
        }
    }

    #[test]
    fn test_push_ip_v4_and_v6() {
        let mut out = String::from("for=");
        push_ip(&mut out, IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)));
        out.push_str(", ");
        let v6: IpAddr = "2001:db8::1"
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        push_ip(&mut out, v6);
        out.push_str(", ");
        let mapped: IpAddr = "::ffff:192.0.2.1"
            .parse()
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        push_ip(&mut out, mapped);
        assert_eq!(out, "for=203.0.113.7, 2001:db8::1, ::ffff:192.0.2.1");
    }
}
