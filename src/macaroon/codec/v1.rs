//! The V1 format of libmacaroons: packets `LLLL key SP value LF`, where `LLLL` is the whole
//! packet length (header included) in four hex digits.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use crate::macaroon::KEY_LEN;

use super::Format;
use super::layout::{Layout, Span};
use super::reader::Reader;
use crate::macaroon::limits::MAX_V1_PACKET;
use crate::macaroon::{Error, Limits, Macaroon, RawCaveat};

const HEADER_LEN: usize = 4;
/// The smallest packet: header, a one-byte key, space, empty value, newline.
const MIN_PACKET: usize = HEADER_LEN + 3;

struct Packet<'a> {
    key: &'a [u8],
    value: &'a [u8],
    offset: usize,
}

impl Packet<'_> {
    /// Where the value lies in the whole input: it ends before the packet's final newline.
    fn span(&self, end_of_packet: usize) -> Span {
        let end = end_of_packet.saturating_sub(1);
        Span::new(end.saturating_sub(self.value.len()), end)
    }
}

/// The packet length a header gives: four lowercase hex digits, a number (not hex-encoded
/// bytes), read digit by digit. Uppercase is refused, as libmacaroons (`parse_packet`) does, so
/// a packet header has one spelling and re-encoding a parsed token is byte-exact. The header is
/// public, so this need not be constant-time: on a 1-caveat V1 token, `base16ct`'s
/// constant-time decoder made a whole verify 4% to 9% slower.
fn packet_len(header: &[u8]) -> Option<usize> {
    header.iter().try_fold(0usize, |len, &b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        Some(len << 4 | usize::from(digit))
    })
}

/// Reads the next packet, or `None` at the end of input.
fn next_packet<'a>(r: &mut Reader<'a>, limits: &Limits) -> Result<Option<Packet<'a>>, Error> {
    if r.is_empty() {
        return Ok(None);
    }
    let offset = r.offset();
    let header = r.take(HEADER_LEN, "packet length")?;
    let Some(len) = packet_len(header) else {
        return Err(Error::Malformed {
            reading: "packet length",
            offset,
            problem: "expected four lowercase hex digits",
        });
    };
    if len < MIN_PACKET {
        return Err(Error::Malformed {
            reading: "packet length",
            offset,
            problem: "shorter than the smallest possible packet",
        });
    }
    let body = r.take(len - HEADER_LEN, "packet")?;
    let Some((&last, body)) = body.split_last() else {
        return Err(Error::Truncated { reading: "packet", offset });
    };
    if last != b'\n' {
        return Err(Error::Malformed {
            reading: "packet",
            offset,
            problem: "does not end with a newline",
        });
    }
    // Not `ok_or`: its error would be built, and dropped by a call, for every packet.
    let Some(space) = body.iter().position(|&b| b == b' ') else {
        return Err(Error::Malformed {
            reading: "packet",
            offset,
            problem: "no space between key and value",
        });
    };
    let (key, value) = body.split_at(space);
    let value = value.get(1..).unwrap_or_default();
    // The signature is not a field in the sense of the limit (it must be 32 bytes anyway).
    if key != b"signature" {
        limits.check_field(value.len())?;
    }
    Ok(Some(Packet { key, value, offset }))
}

fn expect<'a>(
    packet: Option<Packet<'a>>,
    key: &'static [u8],
    reading: &'static str,
    at_end: usize,
) -> Result<Packet<'a>, Error> {
    match packet {
        Some(p) if p.key == key => Ok(p),
        Some(p) => Err(Error::Malformed { reading, offset: p.offset, problem: unexpected(p.key) }),
        None => Err(Error::Truncated { reading, offset: at_end }),
    }
}

fn unexpected(key: &[u8]) -> &'static str {
    match key {
        b"location" => "unexpected location packet",
        b"identifier" => "unexpected identifier packet",
        b"cid" => "unexpected cid packet",
        b"vid" => "vid packet that does not follow a cid packet",
        b"cl" => "cl packet that does not follow a vid packet",
        b"signature" => "unexpected signature packet",
        _ => "unknown packet key",
    }
}

/// Walks V1 bytes once, enforcing the whole grammar, and says where each part lies. The location
/// packet may be missing (pymacaroons and the `macaroon` crate omit it when there is no
/// location), but every other packet must be in libmacaroons order:
/// `location? identifier (cid (vid cl?)?)* signature`, with nothing after the signature.
/// Parses V1 bytes into a macaroon that borrows from them (see [`layout`]).
pub(crate) fn parse<'a>(data: &'a [u8], limits: &Limits) -> Result<Macaroon<'a>, Error> {
    Ok(layout(data, limits)?.macaroon(data, Format::V1))
}

pub(crate) fn layout(data: &[u8], limits: &Limits) -> Result<Layout, Error> {
    limits.check_token(data.len())?;
    super::layout::check_len(data.len())?;
    let mut r = Reader::new(data);
    let end = data.len();

    let mut packet = next_packet(&mut r, limits)?;
    let mut location = Span::default();
    if let Some(p) = packet.as_ref().filter(|p| p.key == b"location") {
        location = p.span(r.offset());
        packet = next_packet(&mut r, limits)?;
    }
    let identifier = expect(packet, b"identifier", "identifier packet", end)?.span(r.offset());

    let caveats_start = r.offset();
    let mut count = 0;
    // The previous packet's key: a `vid` may only follow a `cid` (one per caveat), a `cl` only a
    // `vid`. (The caveat's location cannot tell, since an empty `cl` leaves it `None`.)
    let mut previous: &[u8] = b"identifier";
    let (caveats_end, signature) = loop {
        let offset = r.offset();
        let Some(p) = next_packet(&mut r, limits)? else {
            return Err(Error::Truncated { reading: "signature packet", offset: end });
        };
        let follows = core::mem::replace(&mut previous, p.key);
        match p.key {
            b"cid" => {
                count += 1;
                limits.check_caveats(count)?;
            }
            b"vid" if follows == b"cid" => {}
            b"cl" if follows == b"vid" => {}
            b"signature" => {
                if p.value.len() != KEY_LEN {
                    return Err(Error::Malformed {
                        reading: "signature packet",
                        offset: p.offset,
                        problem: "the signature must be 32 bytes",
                    });
                }
                break (offset, p.span(r.offset()).start());
            }
            _ => return Err(malformed(&p)),
        }
    };
    if !r.is_empty() {
        return Err(Error::TrailingBytes { offset: r.offset() });
    }
    Ok(Layout::new(location, identifier, Span::new(caveats_start, caveats_end), count, signature))
}

/// The next caveat of a caveat section that [`layout`] accepted: `cid (vid cl?)?`. `None` at the
/// end (or, which `layout` rules out, on anything else).
#[inline]
pub(crate) fn next_caveat<'a>(r: &mut Reader<'a>) -> Option<RawCaveat<'a>> {
    if r.is_empty() {
        return None;
    }
    let cid = known_value(r, b"cid")?;
    if !next_key_is(r, b"vid ") {
        return Some(RawCaveat::first_party(cid));
    }
    let vid = known_value(r, b"vid")?;
    let cl =
        if next_key_is(r, b"cl ") { Some(Cow::Borrowed(known_value(r, b"cl")?)) } else { None };
    Some(RawCaveat::third_party(Cow::Borrowed(cid), Cow::Borrowed(vid), cl))
}

/// The value of the next packet, which `layout` checked and found to have this key: only the
/// length is read again; the value starts after the key and its space, and ends before the
/// newline.
fn known_value<'a>(r: &mut Reader<'a>, key: &[u8]) -> Option<&'a [u8]> {
    let len = packet_len(r.take(HEADER_LEN, "packet length").ok()?)?;
    let body = r.take(len.checked_sub(HEADER_LEN)?, "packet").ok()?;
    body.get(key.len() + 1..body.len().checked_sub(1)?)
}

/// Whether the next packet's key (after its 4-byte header), with its space, is `key`.
fn next_key_is(r: &Reader<'_>, key: &[u8]) -> bool {
    r.rest().get(HEADER_LEN..).is_some_and(|rest| rest.starts_with(key))
}

fn malformed(p: &Packet<'_>) -> Error {
    Error::Malformed { reading: "caveat packet", offset: p.offset, problem: unexpected(p.key) }
}

fn packet(out: &mut Vec<u8>, key: &'static str, value: &[u8]) -> Result<(), Error> {
    let len = HEADER_LEN + key.len() + 1 + value.len() + 1;
    if len > MAX_V1_PACKET {
        return Err(Error::Unencodable {
            field: key,
            problem: "a V1 packet cannot be longer than 65535 bytes",
        });
    }
    // Four lowercase hex digits, as libmacaroons writes them: `len` fits 16 bits (checked above).
    let len = u16::try_from(len).map_err(|_| Error::Unencodable {
        field: key,
        problem: "a V1 packet cannot be longer than 65535 bytes",
    })?;
    let mut header = [0u8; HEADER_LEN];
    let written = base16ct::lower::encode(&len.to_be_bytes(), &mut header).map(<[u8]>::len);
    debug_assert_eq!(written, Ok(HEADER_LEN), "two bytes are four hex digits");
    if written != Ok(HEADER_LEN) {
        return Err(Error::Unencodable {
            field: key,
            problem: "the packet header cannot be written",
        });
    }
    out.extend_from_slice(&header);
    out.extend_from_slice(key.as_bytes());
    out.push(b' ');
    out.extend_from_slice(value);
    out.push(b'\n');
    Ok(())
}

/// Writes V1 bytes exactly as libmacaroons: the location packet always (empty if none).
pub(crate) fn write(m: &Macaroon<'_>) -> Result<Vec<u8>, Error> {
    let mut size = 2 * HEADER_LEN + "location  identifier  signature  ".len() + 32;
    size += m.location().map_or(0, <[u8]>::len) + m.identifier().len();
    for c in m.caveats() {
        size += HEADER_LEN + 6 + c.id().len();
        size += c.verification_id().map_or(0, |v| 2 * HEADER_LEN + 10 + v.len());
        size += c.location().map_or(0, <[u8]>::len);
    }
    let mut out = Vec::with_capacity(size + HEADER_LEN);
    packet(&mut out, "location", m.location().unwrap_or_default())?;
    packet(&mut out, "identifier", m.identifier())?;
    for c in m.caveats() {
        packet(&mut out, "cid", c.id())?;
        if let Some(vid) = c.verification_id() {
            packet(&mut out, "vid", vid)?;
            // libmacaroons writes `cl` only for a third-party caveat with a location.
            if let Some(cl) = c.location() {
                packet(&mut out, "cl", cl)?;
            }
        }
    }
    packet(&mut out, "signature", m.signature().as_bytes())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn packets(list: &[(&'static str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (key, value) in list {
            packet(&mut out, key, value).unwrap();
        }
        out
    }

    /// Built only on its path (`let ... else`, not `ok_or`): what it says.
    #[test]
    fn a_packet_without_a_space_is_refused() {
        assert_eq!(
            parse(b"0010identifierX\n", &Limits::default()),
            Err(Error::Malformed {
                reading: "packet",
                offset: 0,
                problem: "no space between key and value",
            })
        );
    }

    /// Caught by the `v1` fuzz invariant (fuzz/regressions/v1/cl-twice-after-empty-cl): an empty
    /// `cl` packet left the caveat's location `None`, so a second `cl` was taken for the first and
    /// the grammar's `vid cl?` was not enforced.
    #[test]
    fn a_second_cl_packet_is_refused_even_after_an_empty_one() {
        let sig = [b'S'; 32];
        let mut list =
            vec![("location", &b""[..]), ("identifier", b"id"), ("cid", b"c"), ("vid", b"v")];
        list.extend([("cl", &b""[..]), ("cl", b"evil"), ("signature", &sig)]);
        assert_eq!(
            parse(&packets(&list), &Limits::default()),
            Err(Error::Malformed {
                reading: "caveat packet",
                offset: 60,
                problem: "cl packet that does not follow a vid packet",
            })
        );
        // One `cl` after the `vid`, empty or not, is fine, and so is none.
        for cl in [&[("cl", &b""[..])][..], &[("cl", b"there")], &[]] {
            let mut list = list.clone();
            list.splice(4..6, cl.iter().copied());
            let data = packets(&list);
            let m = parse(&data, &Limits::default()).unwrap();
            assert_eq!(m.caveats()[0].verification_id(), Some(&b"v"[..]));
            assert_eq!(
                m.caveats()[0].location(),
                cl.first().map(|(_, l)| *l).filter(|l| !l.is_empty())
            );
        }
    }
}
