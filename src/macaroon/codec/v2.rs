//! The V2 binary format of libmacaroons:
//! `0x02 [location] identifier EOS (caveat)* EOS signature`, each field
//! `type:varint length:varint bytes`, each caveat `[location] identifier [vid] EOS`.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::Format;
use super::layout::{Layout, Span};
use super::reader::Reader;
use crate::macaroon::{Error, KEY_LEN, Limits, Macaroon, RawCaveat};

pub(crate) const VERSION: u8 = 2;
pub(crate) const EOS: u8 = 0;
pub(crate) const LOCATION: u8 = 1;
pub(crate) const IDENTIFIER: u8 = 2;
pub(crate) const VID: u8 = 4;
pub(crate) const SIGNATURE: u8 = 6;

/// Reads a protobuf varint, rejecting overlong encodings so every value has one encoding and
/// re-encoding is byte-exact. Values that do not fit `usize` are malformed.
fn varint(r: &mut Reader<'_>, reading: &'static str) -> Result<usize, Error> {
    let offset = r.offset();
    let mut value: u64 = 0;
    for i in 0..10u32 {
        let b = r.byte(reading)?;
        let bits = u64::from(b & 0x7f);
        if i == 9 && bits > 1 {
            break;
        }
        value |= bits << (7 * i);
        if b & 0x80 == 0 {
            if b == 0 && i > 0 {
                return Err(Error::Malformed { reading, offset, problem: "overlong varint" });
            }
            return usize::try_from(value).map_err(|_| Error::Malformed {
                reading,
                offset,
                problem: "length does not fit in memory",
            });
        }
    }
    Err(Error::Malformed { reading, offset, problem: "varint longer than 64 bits" })
}

struct Field<'a> {
    kind: u8,
    value: &'a [u8],
    offset: usize,
}

impl Field<'_> {
    /// Where the value lies in the whole input: it ends where the reader stands after it.
    fn span(&self, end: usize) -> Span {
        Span::new(end.saturating_sub(self.value.len()), end)
    }
}

/// Reads the next field, or `None` for an end-of-section byte.
fn field<'a>(
    r: &mut Reader<'a>,
    limits: &Limits,
    reading: &'static str,
) -> Result<Option<Field<'a>>, Error> {
    let offset = r.offset();
    let kind = varint(r, reading)?;
    if kind == usize::from(EOS) {
        return Ok(None);
    }
    let kind = match u8::try_from(kind) {
        Ok(k @ (LOCATION | IDENTIFIER | VID | SIGNATURE)) => k,
        _ => return Err(Error::Malformed { reading, offset, problem: "unknown field type" }),
    };
    let len = varint(r, reading)?;
    // The signature is not a field in the sense of the limit (it must be 32 bytes anyway).
    if kind != SIGNATURE {
        limits.check_field(len)?;
    }
    let value = r.take(len, reading)?;
    Ok(Some(Field { kind, value, offset }))
}

fn out_of_order(f: &Field<'_>, reading: &'static str) -> Error {
    Error::Malformed { reading, offset: f.offset, problem: "field out of order" }
}

/// Parses V2 bytes into a macaroon that borrows from them (see [`layout`]).
pub(crate) fn parse<'a>(data: &'a [u8], limits: &Limits) -> Result<Macaroon<'a>, Error> {
    Ok(layout(data, limits)?.macaroon(data, Format::V2))
}

/// Walks V2 bytes once, enforcing the field order of the grammar and no trailing bytes, and says
/// where each part lies.
pub(crate) fn layout(data: &[u8], limits: &Limits) -> Result<Layout, Error> {
    limits.check_token(data.len())?;
    super::layout::check_len(data.len())?;
    let mut r = Reader::new(data);
    if r.byte("version")? != VERSION {
        return Err(Error::Malformed { reading: "version", offset: 0, problem: "expected 0x02" });
    }

    // Root section: [location] identifier EOS
    let mut f = field(&mut r, limits, "identifier")?;
    let mut location = Span::default();
    if let Some(l) = f.as_ref().filter(|f| f.kind == LOCATION) {
        location = l.span(r.offset());
        f = field(&mut r, limits, "identifier")?;
    }
    let identifier = match f {
        Some(f) if f.kind == IDENTIFIER => f.span(r.offset()),
        Some(f) => return Err(out_of_order(&f, "identifier")),
        None => {
            return Err(Error::Malformed {
                reading: "identifier",
                offset: r.offset().saturating_sub(1),
                problem: "missing identifier",
            });
        }
    };
    if let Some(f) = field(&mut r, limits, "end of the root section")? {
        return Err(out_of_order(&f, "end of the root section"));
    }

    // Caveats, each ending with EOS; an empty section ends the list.
    let caveats_start = r.offset();
    let mut caveats_end = caveats_start;
    let mut count = 0;
    while let Some(mut f) = field(&mut r, limits, "caveat")? {
        count += 1;
        limits.check_caveats(count)?;
        let mut has_location = false;
        if f.kind == LOCATION {
            has_location = true;
            let Some(identifier) = field(&mut r, limits, "caveat identifier")? else {
                return Err(Error::Malformed {
                    reading: "caveat identifier",
                    offset: r.offset().saturating_sub(1),
                    problem: "missing caveat identifier",
                });
            };
            f = identifier;
        }
        if f.kind != IDENTIFIER {
            return Err(out_of_order(&f, "caveat identifier"));
        }
        match field(&mut r, limits, "caveat")? {
            None => {
                if has_location {
                    return Err(Error::Malformed {
                        reading: "caveat",
                        offset: f.offset,
                        problem: "a caveat location without a verification id",
                    });
                }
            }
            Some(v) if v.kind == VID => {
                if let Some(extra) = field(&mut r, limits, "end of caveat")? {
                    return Err(out_of_order(&extra, "end of caveat"));
                }
            }
            Some(other) => return Err(out_of_order(&other, "caveat")),
        }
        caveats_end = r.offset();
    }

    let sig = match field(&mut r, limits, "signature")? {
        Some(f) if f.kind == SIGNATURE => f,
        Some(f) => return Err(out_of_order(&f, "signature")),
        None => {
            return Err(Error::Malformed {
                reading: "signature",
                offset: r.offset().saturating_sub(1),
                problem: "missing signature",
            });
        }
    };
    if sig.value.len() != KEY_LEN {
        return Err(Error::Malformed {
            reading: "signature",
            offset: sig.offset,
            problem: "the signature must be 32 bytes",
        });
    }
    let signature = sig.span(r.offset()).start();
    if !r.is_empty() {
        return Err(Error::TrailingBytes { offset: r.offset() });
    }
    Ok(Layout::new(location, identifier, Span::new(caveats_start, caveats_end), count, signature))
}

/// The next caveat of a caveat section that [`layout`] accepted: `[location] identifier [vid]
/// EOS`. `None` at the end (or, which `layout` rules out, on anything else).
#[inline(always)]
pub(crate) fn next_caveat<'a>(r: &mut Reader<'a>) -> Option<RawCaveat<'a>> {
    if r.is_empty() {
        return None;
    }
    let unlimited = Limits::UNLIMITED;
    let mut f = field(r, &unlimited, "caveat").ok()??;
    let mut cl = None;
    if f.kind == LOCATION {
        cl = Some(Cow::Borrowed(f.value));
        f = field(r, &unlimited, "caveat").ok()??;
    }
    let cid = Cow::Borrowed(f.value);
    match field(r, &unlimited, "caveat").ok()? {
        None => Some(RawCaveat::first_party(cid)),
        Some(v) => {
            // The caveat's EOS.
            field(r, &unlimited, "caveat").ok()?;
            Some(RawCaveat::third_party(cid, Cow::Borrowed(v.value), cl))
        }
    }
}

fn put_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_field(out: &mut Vec<u8>, kind: u8, value: &[u8]) {
    out.push(kind);
    put_varint(out, value.len());
    out.extend_from_slice(value);
}

/// Writes V2 bytes as libmacaroons (locations omitted when absent).
pub(crate) fn write(m: &Macaroon<'_>) -> Vec<u8> {
    let mut size = 4 + 3 * 10 + 32 + m.identifier().len() + m.location().map_or(0, <[u8]>::len);
    for c in m.caveats() {
        size += 3 * 11 + c.id().len();
        size += c.verification_id().map_or(0, <[u8]>::len) + c.location().map_or(0, <[u8]>::len);
    }
    let mut out = Vec::with_capacity(size);
    out.push(VERSION);
    if let Some(l) = m.location() {
        put_field(&mut out, LOCATION, l);
    }
    put_field(&mut out, IDENTIFIER, m.identifier());
    out.push(EOS);
    for c in m.caveats() {
        if let (Some(l), Some(_)) = (c.location(), c.verification_id()) {
            put_field(&mut out, LOCATION, l);
        }
        put_field(&mut out, IDENTIFIER, c.id());
        if let Some(v) = c.verification_id() {
            put_field(&mut out, VID, v);
        }
        out.push(EOS);
    }
    out.push(EOS);
    put_field(&mut out, SIGNATURE, m.signature().as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The errors built only on their path (`let ... else`, not `ok_or`): what they say.
    #[test]
    fn a_caveat_location_without_an_identifier_and_a_cut_length_are_refused() {
        let limits = Limits::default();
        // version, identifier "id", end of section, then a caveat of a location alone.
        let data = [VERSION, IDENTIFIER, 2, b'i', b'd', EOS, LOCATION, 1, b'l', EOS];
        assert_eq!(
            layout(&data, &limits),
            Err(Error::Malformed {
                reading: "caveat identifier",
                offset: 9,
                problem: "missing caveat identifier",
            })
        );
        // The identifier's length is cut off: the byte the reader wanted is past the end.
        let data = [VERSION, IDENTIFIER];
        assert_eq!(
            layout(&data, &limits),
            Err(Error::Truncated { reading: "identifier", offset: 2 })
        );
    }
}
