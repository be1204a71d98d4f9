//! IP masks, for `ip` caveats.

use super::*;

/// An IP address with a prefix length: `10.0.0.0/8`, `2001:db8::/32`, or a single host written
/// without a prefix (`167.73.12.17`, meaning `/32`; `::1`, meaning `/128`).
///
/// * The prefix length is at most 32 for IPv4 and 128 for IPv6.
/// * Host bits beyond the prefix are accepted and kept (`11.101.11.234/24` stays as written) and
///   ignored when matching, as in Onezone.
/// * Only the canonical spelling of the address is read — the one [`core::net::IpAddr`] prints
///   (no leading zeros; IPv6 lower-case and compressed as RFC 5952 says) — and the prefix length
///   is written without leading zeros. So the parsed value prints back to the same text.
/// * An IPv4-mapped IPv6 client address (`::ffff:10.1.2.3`) is matched as the IPv4 address;
///   otherwise IPv4 masks match only IPv4 clients and IPv6 masks only IPv6 clients.
///
/// Note: the Onezone 20.02 mask parser that could be inspected reads IPv4 only; an IPv6 mask is
/// valid here but may be refused by such a Onezone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpMask {
    addr: IpAddr,
    prefix_len: u8,
    /// Written without `/<len>`; then `prefix_len` is the address width.
    bare: bool,
}

impl IpMask {
    /// A mask of `prefix_len` bits, written `addr/prefix_len`. Fails if the prefix length is
    /// larger than the address (32 bits for IPv4, 128 for IPv6).
    pub fn new(addr: IpAddr, prefix_len: u8) -> Result<Self, CaveatError> {
        if prefix_len > width(addr) {
            let value = alloc::format!("{addr}/{prefix_len}");
            return Err(CaveatError::invalid(CaveatKind::Ip, &value, too_long_prefix(addr)));
        }
        Ok(IpMask { addr, prefix_len, bare: false })
    }

    /// A single host, written as the bare address (no `/<len>`).
    pub fn host(addr: IpAddr) -> Self {
        IpMask { addr, prefix_len: width(addr), bare: true }
    }

    /// The address as written (host bits included).
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length (32 or 128 for a bare host).
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Whether the mask was written without `/<len>`.
    pub fn is_bare(&self) -> bool {
        self.bare
    }

    /// Whether `ip` is within the mask: its first [`prefix_len`](Self::prefix_len) bits equal the
    /// mask's. An IPv4-mapped IPv6 `ip` is taken as its IPv4 address.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(mask), IpAddr::V4(ip)) => {
                let diff = u32::from(mask) ^ u32::from(ip);
                diff.checked_shr(32 - u32::from(self.prefix_len)).unwrap_or(0) == 0
            }
            (IpAddr::V6(mask), IpAddr::V6(ip)) => {
                let diff = u128::from(mask) ^ u128::from(ip);
                diff.checked_shr(128 - u32::from(self.prefix_len)).unwrap_or(0) == 0
            }
            _ => false,
        }
    }

    pub(super) fn parse_entry(text: &str) -> Result<Self, &'static str> {
        // `text.split_once('/')`, scanning bytes (`/` is ASCII, so its offset is a boundary).
        let slash = text.bytes().position(|b| b == b'/');
        let (addr_text, prefix_text) = match slash.and_then(|at| text.split_at_checked(at)) {
            Some((addr, slash_and_prefix)) => (addr, slash_and_prefix.get(1..)),
            None => (text, None),
        };
        if addr_text.is_empty() {
            return Err("the address is empty");
        }
        let addr = match parse_ipv4(addr_text.as_bytes()) {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let addr: IpAddr = addr_text.parse().map_err(|_| "not an IPv4 or IPv6 address")?;
                // `core`'s IPv4 parser takes only the canonical spelling (four decimal octets, no
                // leading zeros: `010.0.0.1` fails above, see the caveat tests), so only IPv6,
                // which has several spellings, is compared with how it prints (as it prints, so
                // without allocating).
                if addr.is_ipv6() && !prints_as(&addr, addr_text) {
                    return Err("the address is not in canonical form (no leading zeros; IPv6 \
                                in lower case and compressed as RFC 5952 says)");
                }
                addr
            }
        };
        match prefix_text {
            None => Ok(IpMask::host(addr)),
            Some(prefix) => {
                let prefix_len =
                    parse_decimal(prefix, u64::from(width(addr))).map_err(|problem| {
                        if problem == TOO_LARGE {
                            too_long_prefix(addr)
                        } else {
                            "the prefix length is not a decimal number without leading zeros"
                        }
                    })?;
                let prefix_len = u8::try_from(prefix_len).map_err(|_| too_long_prefix(addr))?;
                Ok(IpMask { addr, prefix_len, bare: false })
            }
        }
    }
}

/// Reads the IPv4 addresses that `core`'s parser reads, and no other: four `.`-separated octets
/// of one to three decimal digits, at most 255, without a leading zero (`0` alone is one). The
/// common case of an `ip` caveat, without the generic parser's backtracking over IPv4 then IPv6.
/// `None` sends the text to `core`'s parser, which has the last word.
pub(super) fn parse_ipv4(text: &[u8]) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut rest = text;
    for (i, octet) in octets.iter_mut().enumerate() {
        if i > 0 {
            rest = rest.strip_prefix(b".")?;
        }
        let digits = rest.iter().take(3).take_while(|b| b.is_ascii_digit()).count();
        let (number, after) = rest.split_at_checked(digits)?;
        let value = number.iter().fold(0u16, |v, &d| v * 10 + u16::from(d - b'0'));
        if digits == 0 || (digits > 1 && number.first() == Some(&b'0')) {
            return None;
        }
        *octet = u8::try_from(value).ok()?;
        rest = after;
    }
    rest.is_empty().then_some(Ipv4Addr::from(octets))
}

/// Whether `value` prints exactly as `text` (what `value.to_string() == text` says, compared
/// piece by piece as it is written, so without allocating).
pub(super) fn prints_as(value: &dyn fmt::Display, text: &str) -> bool {
    /// The text still to match.
    struct Rest<'a>(&'a [u8]);
    impl fmt::Write for Rest<'_> {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 = self.0.strip_prefix(s.as_bytes()).ok_or(fmt::Error)?;
            Ok(())
        }
    }
    let mut rest = Rest(text.as_bytes());
    fmt::write(&mut rest, format_args!("{value}")).is_ok() && rest.0.is_empty()
}

pub(super) fn width(addr: IpAddr) -> u8 {
    if addr.is_ipv4() { 32 } else { 128 }
}

pub(super) fn too_long_prefix(addr: IpAddr) -> &'static str {
    if addr.is_ipv4() {
        "the prefix length is larger than 32 (the maximum for IPv4)"
    } else {
        "the prefix length is larger than 128 (the maximum for IPv6)"
    }
}

impl fmt::Display for IpMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.bare {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix_len)
        }
    }
}

impl FromStr for IpMask {
    type Err = CaveatError;

    fn from_str(text: &str) -> Result<Self, CaveatError> {
        IpMask::parse_entry(text)
            .map_err(|problem| CaveatError::invalid(CaveatKind::Ip, text, problem))
    }
}

serde_as_text!(IpMask);

// Geo
