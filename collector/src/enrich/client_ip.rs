//! The visitor's IP address: the socket peer, or what a trusted proxy says in `Forwarded`
//! (RFC 7239) or `X-Forwarded-For`.
//!
//! Forwarding headers are written by whoever sends them, so they are believed only when the
//! request came from a configured trusted proxy, and only as far back as the chain of
//! trusted proxies goes: the client is the right-most address that is not itself a trusted
//! proxy. A visitor who adds their own `X-Forwarded-For` only adds entries to the left of it.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

/// One hop of a forwarding header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hop {
    /// An address.
    Ip(IpAddr),
    /// `unknown`, an obfuscated identifier (`_hidden`) or garbage: the chain stops here.
    Opaque,
}

fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// Parses one node: `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]:443`, quoted or not.
fn parse_node(s: &str) -> Hop {
    let s = s.trim().trim_matches('"').trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Hop::Ip(canonical(ip));
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Hop::Ip(canonical(sa.ip()));
    }
    // `[v6]` without a port.
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if let Ok(ip) = inner.parse::<IpAddr>() {
            return Hop::Ip(canonical(ip));
        }
    }
    Hop::Opaque
}

/// The hops of every `Forwarded` header line, in order (client first).
fn forwarded_hops(headers: &HeaderMap) -> Option<Vec<Hop>> {
    let mut hops = Vec::new();
    let mut seen = false;
    for value in headers.get_all("forwarded") {
        seen = true;
        let Ok(value) = value.to_str() else {
            hops.push(Hop::Opaque);
            continue;
        };
        for element in value.split(',') {
            let node = element.split(';').find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim().eq_ignore_ascii_case("for").then_some(v)
            });
            // An element without `for=` still stands for a hop we cannot read.
            hops.push(node.map_or(Hop::Opaque, parse_node));
        }
    }
    seen.then_some(hops)
}

/// The hops of every `X-Forwarded-For` header line, in order (client first).
fn x_forwarded_for_hops(headers: &HeaderMap) -> Option<Vec<Hop>> {
    let mut hops = Vec::new();
    let mut seen = false;
    for value in headers.get_all("x-forwarded-for") {
        seen = true;
        let Ok(value) = value.to_str() else {
            hops.push(Hop::Opaque);
            continue;
        };
        hops.extend(
            value
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(parse_node),
        );
    }
    seen.then_some(hops)
}

impl TrustedProxies {
    /// Trusts the given networks.
    pub fn new(nets: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies { nets }
    }

    /// Whether no proxy is trusted (forwarding headers are then always ignored).
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(&ip))
    }

    /// The client's address for a request from `peer` with `headers`; `None` when a trusted
    /// proxy forwarded it but the client hop is unknown or hidden.
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !self.trusts(peer) {
            return Some(peer);
        }
        // `Forwarded` is the standard; `X-Forwarded-For` is read only when it is absent,
        // so a proxy that writes both cannot be contradicted by the other.
        let Some(hops) = forwarded_hops(headers).or_else(|| x_forwarded_for_hops(headers)) else {
            return Some(peer);
        };
        let mut last_trusted = peer;
        for hop in hops.iter().rev() {
            match *hop {
                Hop::Ip(ip) if self.trusts(ip) => last_trusted = ip,
                Hop::Ip(ip) => return Some(ip),
                Hop::Opaque => return None,
            }
        }
        // Every hop is a trusted proxy: the request started inside the trusted network.
        Some(last_trusted)
    }
}

impl std::str::FromStr for TrustedProxies {
    type Err = String;

    /// Parses a comma- or space-separated list of CIDRs or single addresses.
    fn from_str(s: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in s.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => item
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| format!("{item:?} is not an IP address or CIDR network"))?,
            };
            nets.push(net);
        }
        Ok(TrustedProxies { nets })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    fn proxies(s: &str) -> TrustedProxies {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_are_the_client_whatever_they_claim() {
        let h = headers(&[
            ("x-forwarded-for", "81.2.69.142"),
            ("forwarded", "for=1.2.3.4"),
        ]);
        assert_eq!(
            TrustedProxies::default().client_ip(ip("203.0.113.9"), &h),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies("10.0.0.0/8").client_ip(ip("203.0.113.9"), &h),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_passes_the_client_on() {
        let p = proxies("10.0.0.0/8, 127.0.0.1");
        type Headers<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Headers, Option<&str>)] = &[
            (&[("x-forwarded-for", "81.2.69.142")], Some("81.2.69.142")),
            // A spoofed entry to the left of what our proxy appended is ignored.
            (
                &[("x-forwarded-for", "6.6.6.6, 81.2.69.142")],
                Some("81.2.69.142"),
            ),
            // Several trusted hops are skipped.
            (
                &[("x-forwarded-for", "81.2.69.142, 10.0.0.7, 10.1.1.1")],
                Some("81.2.69.142"),
            ),
            // Several header lines read as one list.
            (
                &[
                    ("x-forwarded-for", "6.6.6.6"),
                    ("x-forwarded-for", "81.2.69.142"),
                ],
                Some("81.2.69.142"),
            ),
            (
                &[("x-forwarded-for", "81.2.69.142:5123")],
                Some("81.2.69.142"),
            ),
            (
                &[("x-forwarded-for", "::ffff:81.2.69.142")],
                Some("81.2.69.142"),
            ),
            (
                &[("forwarded", "for=\"[2a02:6b8::2:242]:4711\";proto=https")],
                Some("2a02:6b8::2:242"),
            ),
            (
                &[(
                    "forwarded",
                    "for=192.0.2.60;proto=http;by=203.0.113.43, for=10.0.0.2",
                )],
                Some("192.0.2.60"),
            ),
            (
                &[("forwarded", "For=\"81.2.69.142:80\"")],
                Some("81.2.69.142"),
            ),
            // Forwarded wins over X-Forwarded-For.
            (
                &[
                    ("forwarded", "for=81.2.69.142"),
                    ("x-forwarded-for", "6.6.6.6"),
                ],
                Some("81.2.69.142"),
            ),
            // Hidden or unreadable client hops make the client unknown, not the proxy.
            (&[("forwarded", "for=unknown")], None),
            (&[("forwarded", "for=_hidden, for=10.0.0.3")], None),
            (&[("x-forwarded-for", "garbage")], None),
            // No header: the request started at the proxy itself.
            (&[], Some("10.0.0.1")),
            // Every hop trusted: the left-most trusted one.
            (
                &[("x-forwarded-for", "10.9.9.9, 10.0.0.5")],
                Some("10.9.9.9"),
            ),
        ];
        for (pairs, want) in cases {
            assert_eq!(
                p.client_ip(ip("10.0.0.1"), &headers(pairs)),
                want.and_then(ip),
                "{pairs:?}"
            );
        }
    }

    #[test]
    fn lists_of_networks_parse_or_name_the_bad_entry() {
        let p = proxies("10.0.0.0/8 192.168.1.1,2001:db8::/32");
        assert!(p.trusts("10.200.0.1".parse().unwrap()));
        assert!(p.trusts("192.168.1.1".parse().unwrap()));
        assert!(!p.trusts("192.168.1.2".parse().unwrap()));
        assert!(p.trusts("2001:db8::5".parse().unwrap()));
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
        let err = "10.0.0.0/8,nope".parse::<TrustedProxies>().unwrap_err();
        assert!(err.contains("\"nope\""), "{err}");
    }

    #[test]
    fn no_peer_means_no_address() {
        assert_eq!(
            proxies("10.0.0.0/8").client_ip(None, &HeaderMap::new()),
            None
        );
    }
}
