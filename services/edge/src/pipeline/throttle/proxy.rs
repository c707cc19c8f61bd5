//! The client address of a request behind trusted reverse proxies: `X-Forwarded-For` is
//! believed only when the connection comes from a configured proxy, and then only up to the
//! right-most hop that is not itself a trusted proxy.

use std::net::{IpAddr, Ipv6Addr};

use axum::http::HeaderMap;

/// One address block: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    addr: IpAddr,
    prefix: u8,
}

impl Block {
    fn parse(text: &str) -> Result<Block, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an address or CIDR block"))?;
        let addr = canonical(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{text:?} has a bad prefix length"))?,
        };
        Ok(Block { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:a.b.c.d`) as the IPv4 address.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// The configured reverse proxies.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    blocks: Vec<Block>,
}

impl TrustedProxies {
    /// Parses addresses and CIDR blocks (`10.0.0.0/8`, `::1`, `fd00::/8`).
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        let blocks = entries
            .iter()
            .map(|e| Block::parse(e))
            .collect::<Result<_, _>>()?;
        Ok(TrustedProxies { blocks })
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.blocks.iter().any(|b| b.contains(ip))
    }

    /// The address of the client: the peer itself unless the peer is a trusted proxy; then the
    /// right-most `X-Forwarded-For` entry that is not a trusted proxy (each proxy appends the
    /// address it received the request from, RFC 7239 section 5.2 describes the same chain for
    /// `Forwarded`). Entries left of the first untrusted one were written by the client and
    /// prove nothing. An entry that is not an address stops the walk at the hop that wrote it.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                None => break,
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, optionally with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        let (v6, _) = rest.split_once(']')?;
        return v6
            .parse::<Ipv6Addr>()
            .ok()
            .map(|ip| canonical(IpAddr::V6(ip)));
    }
    let (v4, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    v4.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn proxies(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_from_an_untrusted_peer_is_ignored() {
        let p = proxies(&["10.0.0.0/8"]);
        let h = headers(&["203.0.113.9"]);
        assert_eq!(p.client_address(ip("198.51.100.7"), &h), ip("198.51.100.7"));
        let none = TrustedProxies::default();
        assert_eq!(none.client_address(ip("10.1.1.1"), &h), ip("10.1.1.1"));
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let p = proxies(&["10.0.0.0/8", "192.0.2.5"]);
        // The client forged the first entry; the trusted proxies appended the rest.
        let h = headers(&["1.1.1.1, 203.0.113.9", "192.0.2.5"]);
        assert_eq!(p.client_address(ip("10.0.0.2"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn a_trusted_peer_without_forwarded_for_is_the_client() {
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            p.client_address(ip("10.0.0.2"), &HeaderMap::new()),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn a_garbage_hop_stops_the_walk_at_the_proxy_that_wrote_it() {
        let p = proxies(&["10.0.0.0/8"]);
        let h = headers(&["203.0.113.9, unknown, 10.0.0.7"]);
        assert_eq!(p.client_address(ip("10.0.0.2"), &h), ip("10.0.0.7"));
    }

    #[test]
    fn hops_with_ports_and_mapped_addresses_are_understood() {
        let p = proxies(&["::1", "127.0.0.0/8"]);
        let h = headers(&["[2001:db8::1]:443"]);
        assert_eq!(p.client_address(ip("::1"), &h), ip("2001:db8::1"));
        let h = headers(&["203.0.113.9:5678"]);
        assert_eq!(
            p.client_address(ip("::ffff:127.0.0.1"), &h),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn bad_proxy_entries_are_refused() {
        for bad in ["10.0.0.0/33", "nonsense", "::/129", "1.2.3.4/x"] {
            assert!(TrustedProxies::parse(&[bad.to_string()]).is_err(), "{bad}");
        }
        assert!(TrustedProxies::parse(&["0.0.0.0/0".into(), "::/0".into()]).is_ok());
    }
}
