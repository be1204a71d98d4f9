//! V2 JSON read in place: the text is walked once and its fields decoded (JSON escapes undone,
//! `*64` fields from base64) straight into a caller's buffer as the V2 binary bytes they stand
//! for, which a [`MacaroonView`](crate::macaroon::MacaroonView) then reads where they lie. No
//! owned [`Macaroon`](crate::macaroon::Macaroon), no allocation.
//!
//! This reader is a recogniser, not a second parser: it takes the shapes every writer produces
//! (any key order, whitespace, `x` or `x64` fields, every JSON string escape including surrogate
//! pairs, `"v": 2` or `"2"`) and answers `None` for anything else, valid or not (`null`s, escaped
//! keys, caveats given as arrays, duplicate or unknown keys, both `i` and `i64`, a lone
//! surrogate, a control character, trailing data, a limit exceeded, a buffer too small ...).
//! On `None` the caller parses the text with `serde_json` ([`super::json::parse`]), which
//! accepts or refuses it with its own error. So what is accepted and refused, and with which
//! error, is `serde_json`'s by construction; what this reader must guarantee is that anything it
//! accepts, `serde_json` accepts as the same macaroon, which the differential tests below and
//! the fuzz corpus check (`fuzzing::json`).
//!
//! The shape this crate and libmacaroons write (`{"v":2,"l":..,"i":..,"c":[..],"s64":..}`, no
//! whitespace, no escape, first-party caveats) is walked first by [`written`], which copies each
//! field once, straight from the text to its place in the V2 bytes, in about half the time of
//! the other walk. It takes nothing the walk of any shape ([`any_shape`]) would not read as
//! the same bytes (the tests hold the two to it); anything else goes to that walk.

use super::base64;
use super::layout::{self, Layout};
use super::v2;
use crate::macaroon::{KEY_LEN, Limits};

/// Which keys of an object have been seen (one bit each), to refuse duplicates.
#[derive(Default)]
struct Seen(u8);

impl Seen {
    /// Marks `bit`; `None` if it was already marked.
    fn mark(&mut self, bit: u8) -> Option<()> {
        let bit = 1u8 << bit;
        (self.0 & bit == 0).then(|| self.0 |= bit)
    }
}

/// A field's decoded bytes, where they lie in the scratch buffer.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    fn of(self, data: &[u8]) -> Option<&[u8]> {
        data.get(self.start..self.end)
    }
}

/// A field given as text (`x`) or base64 (`x64`), at most one of the two.
#[derive(Default)]
struct Slot(Option<Span>);

impl Slot {
    fn set(&mut self, span: Span) -> Option<()> {
        self.0.replace(span).is_none().then_some(())
    }
}

struct Cursor<'t> {
    text: &'t [u8],
    pos: usize,
}

impl<'t> Cursor<'t> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    /// Skips JSON whitespace (what `serde_json` skips: space, tab, line feed, carriage return).
    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\t' | b'\r')) {
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, consumed.
    fn next(&mut self) -> Option<u8> {
        self.ws();
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn expect(&mut self, b: u8) -> Option<()> {
        (self.next()? == b).then_some(())
    }

    /// A string without escapes (a key, `short`, or a base64 value): the bytes between the
    /// quotes.
    fn raw_string(&mut self, short: bool) -> Option<&'t [u8]> {
        self.expect(b'"')?;
        self.raw_string_rest(short)
    }

    /// [`Cursor::raw_string`] after its opening quote.
    fn raw_string_rest(&mut self, short: bool) -> Option<&'t [u8]> {
        let rest = self.text.get(self.pos..)?;
        let len = if short {
            rest.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20)?
        } else {
            plain_run(rest)?
        };
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        self.pos += len + 1;
        rest.get(..len)
    }

    /// A member's key and its colon.
    fn key(&mut self) -> Option<&'t [u8]> {
        // Most keys are one letter, written without whitespace: `"i":`.
        if let Some(&[b'"', _, b'"', b':']) = self.text.get(self.pos..self.pos + 4) {
            self.pos += 4;
            return self.text.get(self.pos - 3..self.pos - 2);
        }
        let key = self.raw_string(true)?;
        self.expect(b':')?;
        Some(key)
    }

    /// A string with its escapes undone, written to `out` at `at`: where it lies there.
    fn string_into(&mut self, out: &mut [u8], at: usize) -> Option<Span> {
        self.expect(b'"')?;
        let mut w = at;
        loop {
            let rest = self.text.get(self.pos..)?;
            let run = plain_run(rest)?;
            out.get_mut(w..w + run)?.copy_from_slice(rest.get(..run)?);
            w += run;
            self.pos += run + 1;
            match rest.get(run)? {
                b'"' => return Some(Span { start: at, end: w }),
                b'\\' => {}
                _ => return None, // a control character: not a JSON string
            }
            let unescaped = match self.text.get(self.pos)? {
                b'"' => b'"',
                b'\\' => b'\\',
                b'/' => b'/',
                b'b' => 0x08,
                b'f' => 0x0c,
                b'n' => b'\n',
                b'r' => b'\r',
                b't' => b'\t',
                b'u' => {
                    self.pos += 1;
                    let c = self.code_point()?;
                    let len = c.len_utf8();
                    c.encode_utf8(out.get_mut(w..w + len)?);
                    w += len;
                    continue;
                }
                _ => return None,
            };
            *out.get_mut(w)? = unescaped;
            w += 1;
            self.pos += 1;
        }
    }

    /// The character of a `\u` escape (its `\u` read), with the low half of a surrogate pair;
    /// `None` for a lone surrogate (which `serde_json` refuses).
    fn code_point(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if !(0xd800..0xe000).contains(&first) {
            return char::from_u32(first);
        }
        if first >= 0xdc00 || self.text.get(self.pos..self.pos + 2)? != b"\\u" {
            return None;
        }
        self.pos += 2;
        let second = self.hex4()?;
        if !(0xdc00..0xe000).contains(&second) {
            return None;
        }
        char::from_u32(0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let mut value = 0;
        for &d in digits {
            value = value * 16 + char::from(d).to_digit(16)?;
        }
        self.pos += 4;
        Some(value)
    }

    /// A field's value: text (`base64` false) or base64 text, decoded into `out` at `at`.
    fn value_into(&mut self, base64: bool, out: &mut [u8], at: usize) -> Option<Span> {
        if !base64 {
            return self.string_into(out, at);
        }
        let text = self.raw_string(false)?;
        let out = out.get_mut(at..)?;
        let len = match url_unpadded(text, out) {
            Some(len) => len,
            None => base64::decode_into(text, out).ok()?,
        };
        Some(Span { start: at, end: at + len })
    }

    /// After a member: `true` for `,` (another follows), `false` for `close`.
    fn more(&mut self, close: u8) -> Option<bool> {
        match self.next()? {
            b',' => Some(true),
            b if b == close => Some(false),
            _ => None,
        }
    }
}

/// Whether `b` ends a run of string content: `"`, `\` or a control character. Branch-free, for
/// loops the compiler turns into vector instructions.
#[inline(always)]
fn stops(b: u8) -> u8 {
    u8::from(b == b'"') | u8::from(b == b'\\') | u8::from(b < 0x20)
}

/// How many bytes of `text` are string content that stands for itself (not `"`, `\`, or a
/// control character), up to the first that does not; `None` if all do (the string does not
/// end). Sixteen bytes at a time, branch-free within a block (a few vector instructions): a
/// token's fields are mostly such bytes. The block that holds the stop, and the last bytes, are
/// read eight at a time (the "has a byte less than n" test, exact up to the first byte it finds).
fn plain_run(text: &[u8]) -> Option<usize> {
    let mut done = 0;
    let mut rest = text;
    while let Some((block, tail)) = rest.split_first_chunk::<16>() {
        if block.iter().fold(0, |any, &b| any | stops(b)) != 0 {
            break;
        }
        done += 16;
        rest = tail;
    }
    while let Some((chunk, tail)) = rest.split_first_chunk::<8>() {
        let word = u64::from_le_bytes(*chunk);
        let stops = below(word, 0x20)
            | below(word ^ (ONES * u64::from(b'"')), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1);
        if stops != 0 {
            return Some(done + (stops.trailing_zeros() / 8) as usize);
        }
        done += 8;
        rest = tail;
    }
    rest.iter().position(|&b| stops(b) != 0).map(|at| done + at)
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// The high bit of each byte of `word` below `n` (at most 0x80), exact up to the first: the
/// classic "has a byte less than n" test (a false positive needs a borrow from a true one below).
fn below(word: u64, n: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS
}

/// The value of each base64url character (`X` for any other byte), as a table: a lookup is
/// what makes decoding a signature here cheaper than through the `base64` crate.
#[rustfmt::skip]
const URL_VALUES: [u8; 256] = {
    const X: u8 = 0xff;
    [
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
        X, X, X, X, X, X, X, X, X, X, X, X, X, 62, X, X,
        52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
        X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
        15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, 63,
        X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
        41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    ]
};

fn sextet(c: u8) -> u32 {
    u32::from(URL_VALUES.get(usize::from(c)).copied().unwrap_or(0xff))
}

/// Decodes base64url without padding (as every writer gives a signature) into `out`: the
/// decoded length, or `None` for anything else (another alphabet, padding, stray bits in the
/// last character, a length no base64 has, too small an `out`), which `base64::decode_into`
/// then decides. What it decodes, the `base64` crate decodes to the same bytes.
fn url_unpadded(text: &[u8], out: &mut [u8]) -> Option<usize> {
    let mut w = 0;
    let mut rest = text;
    // Eight characters at a time while the eight bytes they are written as fit (six bytes, and
    // two that the next group overwrites or that lie past the decoded bytes).
    while let Some((chunk, tail)) = rest.split_first_chunk::<8>()
        && let Some(slot) = out.get_mut(w..w + 8)
    {
        slot.copy_from_slice(&base64::eight(chunk, &URL_VALUES)?);
        w += 6;
        rest = tail;
    }
    let mut groups = rest.chunks_exact(4);
    for group in &mut groups {
        let &[a, b, c, d] = group else { return None };
        let (a, b, c, d) = (sextet(a), sextet(b), sextet(c), sextet(d));
        if (a | b | c | d) >= 64 {
            return None;
        }
        let n = a << 18 | b << 12 | c << 6 | d;
        let [_, x, y, z] = n.to_be_bytes();
        out.get_mut(w..w + 3)?.copy_from_slice(&[x, y, z]);
        w += 3;
    }
    let (a, b, c, bytes) = match *groups.remainder() {
        [] => return Some(w),
        [a, b] => (sextet(a), sextet(b), 0, 1),
        [a, b, c] => (sextet(a), sextet(b), sextet(c), 2),
        _ => return None,
    };
    let n = a << 18 | b << 12 | c << 6;
    // Every character in the alphabet, and no bits past the last byte.
    if (a | b | c) >= 64 || n & (0xff_ffff >> (8 * bytes)) != 0 {
        return None;
    }
    let [_, x, y, _] = n.to_be_bytes();
    out.get_mut(w..w + bytes)?.copy_from_slice([x, y].get(..bytes)?);
    Some(w + bytes)
}

/// Writes into `out` at `*w`, bounds-checked.
fn put(out: &mut [u8], w: &mut usize, bytes: &[u8]) -> Option<()> {
    out.get_mut(*w..*w + bytes.len())?.copy_from_slice(bytes);
    *w += bytes.len();
    Some(())
}

/// A V2 field: its type, its length as a varint, its bytes (where they are written).
/// The type and a one-byte length are written in one go (a token's fields are shorter than
/// 128 bytes but for long identifiers).
fn put_field(out: &mut [u8], w: &mut usize, kind: u8, value: &[u8]) -> Option<Span> {
    match u8::try_from(value.len()) {
        Ok(short) if short < 0x80 => put(out, w, &[kind, short])?,
        _ => {
            let mut varint = [0u8; 10];
            let (mut n, mut len) = (value.len(), 0);
            while n >= 0x80 {
                *varint.get_mut(len)? = (n & 0x7f) as u8 | 0x80;
                n >>= 7;
                len += 1;
            }
            *varint.get_mut(len)? = n as u8;
            put(out, w, &[kind])?;
            put(out, w, varint.get(..=len)?)?;
        }
    }
    put(out, w, value)?;
    Some(Span { start: *w - value.len(), end: *w })
}

/// Reads the V2 JSON `text` into `out` as V2 binary bytes (using `scratch` for the decoded
/// fields; each buffer at least as long as `text` to read any token that fits), and returns
/// their length and layout; `None` if `text` is not in a shape read here (see the module).
pub(crate) fn read(
    text: &[u8],
    scratch: &mut [u8],
    out: &mut [u8],
    limits: &Limits,
) -> Option<(usize, Layout)> {
    limits.check_token(text.len()).ok()?;
    // Its V2 bytes are shorter than the text: a layout describes them.
    layout::check_len(text.len()).ok()?;
    if let Some(read) = written(text, out, limits) {
        return Some(read);
    }
    any_shape(text, scratch, out, limits)
}

/// The shape this crate and libmacaroons write, `{"v":2,"l":"..","i":"..","c":[{"i":".."},..],
/// "s64":".."}` (the location optional, no whitespace, no escape, first-party caveats), read in
/// one pass with each field copied once, straight from the text to where it lies in `out`;
/// `None` for anything else, which [`any_shape`] reads (so this walk may only accept what that
/// one accepts as the same bytes, which the tests check).
fn written(text: &[u8], out: &mut [u8], limits: &Limits) -> Option<(usize, Layout)> {
    let mut c = Written { at: Cursor { text, pos: 0 }, out, w: 0 };
    c.literal(b"{\"v\":2,")?;
    c.put(&[v2::VERSION])?;
    // An empty location is written as none, as `root` writes it.
    let location = match c.literal(b"\"l\":") {
        Some(()) => {
            let location = c.field(v2::LOCATION, true, limits)?;
            c.literal(b",")?;
            location
        }
        None => layout::Span::default(),
    };
    c.literal(b"\"i\":")?;
    let identifier = c.field(v2::IDENTIFIER, false, limits)?;
    c.put(&[v2::EOS])?;
    c.literal(b",\"c\":[")?;
    let (caveats_start, mut count) = (c.w, 0);
    if c.literal(b"]").is_none() {
        loop {
            count += 1;
            limits.check_caveats(count).ok()?;
            c.literal(b"{\"i\":")?;
            c.field(v2::IDENTIFIER, false, limits)?;
            c.literal(b"}")?;
            c.put(&[v2::EOS])?;
            if c.literal(b",").is_none() {
                break;
            }
        }
        c.literal(b"]")?;
    }
    let caveats = layout::Span::new(caveats_start, c.w);
    // The signature: 32 bytes, 43 characters of unpadded base64url.
    c.literal(b",\"s64\":\"")?;
    c.put(&[v2::EOS, v2::SIGNATURE, KEY_LEN as u8])?;
    let signature = c.w;
    let encoded = c.at.text.get(c.at.pos..c.at.pos + 43)?;
    if url_unpadded(encoded, c.out.get_mut(signature..)?)? != KEY_LEN {
        return None;
    }
    c.at.pos += encoded.len();
    c.w += KEY_LEN;
    c.literal(b"\"}")?;
    if c.at.pos != text.len() {
        return None;
    }
    let layout = Layout::new(location, identifier, caveats, count, signature);
    debug_assert_eq!(v2::layout(c.out.get(..c.w)?, &Limits::UNLIMITED), Ok(layout));
    Some((c.w, layout))
}

/// Where [`written`] is in the text (no whitespace skipped), and in `out`.
struct Written<'t, 'o> {
    at: Cursor<'t>,
    out: &'o mut [u8],
    w: usize,
}

impl Written<'_, '_> {
    /// `literal`, consumed; `None` if the text does not go on with it.
    fn literal(&mut self, literal: &[u8]) -> Option<()> {
        let end = self.at.pos + literal.len();
        (self.at.text.get(self.at.pos..end)? == literal).then(|| self.at.pos = end)
    }

    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        put(self.out, &mut self.w, bytes)
    }

    /// A string with no escape, written to `out` as a V2 field of `kind` (none if it is empty
    /// and `omit_empty`): where its bytes lie there. Inlined: its result, handed back through
    /// the stack, was read back at other widths (a stall at each of the three calls, `perf`).
    #[inline(always)]
    fn field(&mut self, kind: u8, omit_empty: bool, limits: &Limits) -> Option<layout::Span> {
        self.literal(b"\"")?;
        let value = self.at.raw_string_rest(false)?;
        limits.check_field(value.len()).ok()?;
        if omit_empty && value.is_empty() {
            return Some(layout::Span::default());
        }
        let at = put_field(self.out, &mut self.w, kind, value)?;
        Some(layout::Span::new(at.start, at.end))
    }
}

/// [`read`] for any shape (see the module): the root fields decoded into `scratch` as they
/// come, the caveats' V2 bytes into `out`, the root section put in front of them.
fn any_shape(
    text: &[u8],
    scratch: &mut [u8],
    out: &mut [u8],
    limits: &Limits,
) -> Option<(usize, Layout)> {
    let mut c = Cursor { text, pos: 0 };
    let (mut location, mut identifier, mut signature) = (Slot(None), Slot(None), Slot(None));
    // The root fields go to `scratch` as they are read, the caveats' V2 bytes to `out`. The
    // root section is written to `out` first when the caveats come after the identifier (as
    // writers put them), else after the caveats and rotated in front of them at the end.
    let (mut w, mut used, mut count) = (0, 0, 0);
    let mut root_first = None;
    let mut seen = Seen::default();
    c.expect(b'{')?;
    loop {
        let key = c.key()?;
        let (bit, slot) = match key {
            b"v" => {
                seen.mark(0)?;
                c.ws();
                match c.peek()? {
                    b'2' => c.pos += 1,
                    _ => (c.raw_string(true)? == b"2").then_some(())?,
                }
                if !c.more(b'}')? {
                    break;
                }
                continue;
            }
            b"c" => {
                seen.mark(1)?;
                if let Some(id) = identifier.0 {
                    let location = location.0.map(|l| l.of(scratch)).unwrap_or(Some(&[]))?;
                    let root = root(out, &mut w, location, id.of(scratch)?)?;
                    root_first = Some((root, location.len()));
                }
                c.expect(b'[')?;
                c.ws();
                if c.peek()? == b']' {
                    c.pos += 1;
                } else {
                    loop {
                        count += 1;
                        limits.check_caveats(count).ok()?;
                        caveat(&mut c, scratch, used, out, &mut w, limits)?;
                        if !c.more(b']')? {
                            break;
                        }
                    }
                }
                if !c.more(b'}')? {
                    break;
                }
                continue;
            }
            b"l" => (2, (&mut location, false)),
            b"l64" => (3, (&mut location, true)),
            b"i" => (4, (&mut identifier, false)),
            b"i64" => (5, (&mut identifier, true)),
            b"s" => (6, (&mut signature, false)),
            b"s64" => (7, (&mut signature, true)),
            _ => return None,
        };
        seen.mark(bit)?;
        let span = c.value_into(slot.1, scratch, used)?;
        slot.0.set(span)?;
        used = span.end;
        if !c.more(b'}')? {
            break;
        }
    }
    c.ws();
    if c.pos != text.len() {
        return None;
    }

    let identifier = identifier.0?.of(scratch)?;
    let signature = signature.0?.of(scratch)?;
    if signature.len() != KEY_LEN {
        return None;
    }
    let location = match location.0 {
        Some(l) => l.of(scratch)?,
        None => &[],
    };
    // The JSON parser's limits: the text's length (above), the caveat count and the caveats'
    // fields (as they were read), the identifier and the location.
    limits.check_field(identifier.len()).ok()?;
    limits.check_field(location.len()).ok()?;

    let (root, caveats) = match root_first {
        // Written in front of the caveats, with the location (a location read after the
        // caveats and not empty was not).
        Some((root, written)) if written == location.len() => {
            (root, layout::Span::new(root.len, w))
        }
        stale => {
            if let Some((root, _)) = stale {
                out.copy_within(root.len..w, 0);
                w -= root.len;
            }
            // Written after the caveats, then rotated in front of them.
            let caveats_len = w;
            let root = root(out, &mut w, location, identifier)?;
            out.get_mut(..w)?.rotate_right(root.len);
            let moved =
                |s: layout::Span| layout::Span::new(s.start() - caveats_len, s.end() - caveats_len);
            let root = Root {
                location: root.location.map(moved),
                identifier: moved(root.identifier),
                len: root.len,
            };
            (root, layout::Span::new(root.len, root.len + caveats_len))
        }
    };
    put(out, &mut w, &[v2::EOS])?;
    let signature_at = put_field(out, &mut w, v2::SIGNATURE, signature)?;
    // No location reads as an empty one (see `Layout::location`).
    let location = root.location.unwrap_or_default();
    let layout = Layout::new(location, root.identifier, caveats, count, signature_at.start);
    debug_assert_eq!(v2::layout(out.get(..w)?, &Limits::UNLIMITED), Ok(layout));
    Some((w, layout))
}

/// Where the root section's parts lie in `out`, and its length.
#[derive(Clone, Copy)]
struct Root {
    location: Option<layout::Span>,
    identifier: layout::Span,
    len: usize,
}

/// Writes the root section (version, location unless empty, identifier, end) at `*w`.
fn root(out: &mut [u8], w: &mut usize, location: &[u8], identifier: &[u8]) -> Option<Root> {
    let start = *w;
    put(out, w, &[v2::VERSION])?;
    let mut location_at = None;
    if !location.is_empty() {
        let at = put_field(out, w, v2::LOCATION, location)?;
        location_at = Some(layout::Span::new(at.start, at.end));
    }
    let at = put_field(out, w, v2::IDENTIFIER, identifier)?;
    put(out, w, &[v2::EOS])?;
    let identifier = layout::Span::new(at.start, at.end);
    Some(Root { location: location_at, identifier, len: *w - start })
}

/// One caveat object: its fields decoded into `scratch` from `at` (reused for the next), its V2
/// bytes appended to `out` at `*w`.
fn caveat(
    c: &mut Cursor<'_>,
    scratch: &mut [u8],
    at: usize,
    out: &mut [u8],
    w: &mut usize,
    limits: &Limits,
) -> Option<()> {
    let (mut id, mut vid, mut location) = (Slot(None), Slot(None), Slot(None));
    let mut seen = Seen::default();
    let mut used = at;
    c.expect(b'{')?;
    loop {
        let key = c.key()?;
        let (bit, slot, base64) = match key {
            b"i" => (0, &mut id, false),
            b"i64" => (1, &mut id, true),
            b"l" => (2, &mut location, false),
            b"l64" => (3, &mut location, true),
            b"v" => (4, &mut vid, false),
            b"v64" => (5, &mut vid, true),
            _ => return None,
        };
        seen.mark(bit)?;
        let span = c.value_into(base64, scratch, used)?;
        slot.set(span)?;
        used = span.end;
        if !c.more(b'}')? {
            break;
        }
    }
    let id = id.0?.of(scratch)?;
    let location = match location.0 {
        Some(l) => Some(l.of(scratch)?),
        None => None,
    };
    let vid = match vid.0 {
        Some(v) => Some(v.of(scratch)?),
        None => None,
    };
    for field in [Some(id), location, vid].into_iter().flatten() {
        limits.check_field(field.len()).ok()?;
    }
    match vid {
        Some(vid) => {
            if let Some(l) = location {
                put_field(out, w, v2::LOCATION, l)?;
            }
            put_field(out, w, v2::IDENTIFIER, id)?;
            put_field(out, w, v2::VID, vid)?;
        }
        // A first-party caveat's empty location is dropped, as the JSON parser drops it; any
        // other is refused there.
        None if location.is_some_and(|l| !l.is_empty()) => return None,
        None => {
            put_field(out, w, v2::IDENTIFIER, id)?;
        }
    }
    put(out, w, &[v2::EOS])
}

#[cfg(test)]
mod tests {
    use alloc::borrow::Cow;
    use alloc::format;
    use alloc::string::{String, ToString};
    use alloc::vec;
    use alloc::vec::Vec;

    use proptest::prelude::*;

    use super::*;
    use crate::macaroon::codec::json;
    use crate::macaroon::{Format, Macaroon, RawCaveat, RootKey, with_token};

    /// The in-place reading of `text`, as the owned macaroon it stands for. Where the walk of
    /// the written shape takes it, the walk of any shape reads the same bytes, laid out alike.
    fn in_place(text: &str, limits: &Limits) -> Option<Macaroon<'static>> {
        let (mut scratch, mut out) = (vec![0; text.len()], vec![0; text.len()]);
        let (len, layout) = read(text.as_bytes(), &mut scratch, &mut out, limits)?;
        let mut written_out = vec![0xa5; text.len()];
        if let Some((w, written_layout)) = written(text.as_bytes(), &mut written_out, limits) {
            assert_eq!((&written_out[..w], written_layout), (&out[..len], layout), "{text}");
            let (mut scratch, mut any_out) = (vec![0; text.len()], vec![0; text.len()]);
            let any = any_shape(text.as_bytes(), &mut scratch, &mut any_out, limits);
            assert_eq!(
                any.map(|(w, l)| (any_out[..w].to_vec(), l)),
                Some((out[..len].to_vec(), layout))
            );
        }
        Some(layout.macaroon(&out[..len], Format::V2).into_owned())
    }

    /// A macaroon as this crate writes it (the shape read by [`written`]): any location,
    /// identifier and first-party caveats, text or not, long or short.
    fn writers_json() -> impl Strategy<Value = (String, bool)> {
        let field = prop_oneof![
            4 => "[a-z0-9 /:<=-]{0,20}".prop_map(String::into_bytes),
            1 => "[a-z]{120,140}".prop_map(String::into_bytes),
            1 => bytes(),
        ];
        (
            field.clone(),
            proptest::option::of(field.clone()),
            proptest::collection::vec(field, 0..4),
            any::<bool>(),
        )
            .prop_map(|(id, location, caveats, third_party)| {
                let key = RootKey::derive(b"a key");
                let mut m = Macaroon::new(&key, &id[..]);
                if let Some(l) = &location {
                    m = m.with_location(&l[..]);
                }
                for c in &caveats {
                    m.add_first_party_caveat(&c[..]);
                }
                let mut caveats = m.caveats().to_vec();
                if third_party {
                    caveats.push(RawCaveat::third_party(
                        Cow::Borrowed(b"tp"),
                        Cow::Borrowed(b"vid"),
                        None,
                    ));
                }
                let m = Macaroon::from_parts(
                    m.location().map(Cow::Borrowed),
                    Cow::Borrowed(m.identifier()),
                    caveats,
                    m.signature().clone(),
                )
                .into_owned();
                let plain = |f: &[u8]| {
                    core::str::from_utf8(f)
                        .is_ok_and(|s| !s.chars().any(|c| c == '"' || c == '\\' || c.is_control()))
                };
                // The written shape: every field as text, no third-party caveat.
                let shape = plain(&id)
                    && location.as_deref().is_none_or(plain)
                    && m.caveats().iter().all(|c| plain(c.id()))
                    && !third_party;
                (macaroon_json(&m), shape)
            })
    }

    /// What the in-place reader accepts, `serde_json` accepts as the same macaroon; returns
    /// whether the in-place reader took it.
    fn agrees(text: &str, limits: &Limits) -> Result<bool, TestCaseError> {
        let owned = json::parse(text, limits).map(Macaroon::into_owned);
        let Some(fast) = in_place(text, limits) else { return Ok(false) };
        prop_assert_eq!(Ok(&fast), owned.as_ref(), "read in place, refused by serde: {}", text);
        // And through the public path: the same view, the same verify outcome.
        let key = RootKey::derive(b"a key");
        let checker = |c: &[u8]| c.starts_with(b"a");
        let viewed = with_token(text, limits, |v| {
            (v.to_macaroon().into_owned(), v.format(), v.verify(&key, &mut { checker }))
        });
        // The public path reads a text as JSON only if it starts with `{` (a token in a header
        // has no leading blank; `json::parse` is `serde_json`, which skips one): any other text
        // is read as base64, which a JSON text is not, and refused.
        if !text.starts_with('{') {
            prop_assert!(viewed.is_err(), "a text not starting with `{{` read as JSON: {}", text);
            return Ok(true);
        }
        let verified = owned.as_ref().map(|m| m.verify(&key, &mut { checker }));
        prop_assert_eq!(
            viewed.as_ref().map(|(m, f, v)| (m, *f, v.clone())),
            verified.map(|v| (&fast, Format::V2Json, v))
        );
        Ok(true)
    }

    fn macaroon_json(m: &Macaroon<'_>) -> String {
        m.to_json().unwrap()
    }

    #[test]
    fn reads_what_the_writer_writes_in_place() {
        let key = RootKey::derive(b"a key");
        let mut m = Macaroon::new(&key, b"an identifier \"quoted\" \\ \n\x01")
            .with_location(b"https://onezone.example.org");
        m.add_first_party_caveat(&b"a caveat"[..]);
        m.add_first_party_caveat(&b"\xff binary caveat"[..]);
        let mut caveats = m.caveats().to_vec();
        caveats.push(RawCaveat::third_party(
            Cow::Borrowed(b"tp id"),
            Cow::Borrowed(&[0, 1, 2, 255]),
            Some(Cow::Borrowed(b"https://third.example.org")),
        ));
        caveats.push(RawCaveat::third_party(Cow::Borrowed(b"tp2"), Cow::Borrowed(b"v"), None));
        let m = Macaroon::from_parts(
            m.location().map(Cow::Borrowed),
            Cow::Borrowed(m.identifier()),
            caveats,
            m.signature().clone(),
        );
        let text = macaroon_json(&m);
        assert_eq!(in_place(&text, &Limits::default()), Some(m.clone().into_owned()));
        assert!(agrees(&text, &Limits::default()).unwrap());
        let text = macaroon_json(&Macaroon::new(&key, b""));
        assert!(agrees(&text, &Limits::default()).unwrap());
    }

    /// The written shape's corners, each read by its walk as by the walk of any shape: an
    /// empty location (written as none), no location, no caveats, an identifier of 128 bytes
    /// and more (a two-byte length), empty caveats; and just off the shape (whitespace, `"v"`
    /// as a string, an escape, padding), left to the other walk.
    #[test]
    fn the_written_shape_and_its_corners() {
        let sig = "\"s64\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"";
        let long = "x".repeat(130);
        let limits = Limits::default();
        for (body, shape) in [
            (r#""l":"","i":"id","c":[{"i":"a"}]"#.to_string(), true),
            (r#""i":"id","c":[]"#.to_string(), true),
            (r#""l":"here","i":"","c":[{"i":""},{"i":"b"}]"#.to_string(), true),
            (format!(r#""l":"{long}","i":"{long}","c":[{{"i":"{long}"}}]"#), true),
            (r#""i":"id", "c":[]"#.to_string(), false),
            (r#""i":"i\u0064","c":[]"#.to_string(), false),
            (r#""c":[],"i":"id""#.to_string(), false),
            (r#""i":"id","c":[{"i":"a","l":""}]"#.to_string(), false),
        ] {
            let text = format!(r#"{{"v":2,{body},{sig}}}"#);
            let mut out = vec![0; text.len()];
            assert_eq!(written(text.as_bytes(), &mut out, &limits).is_some(), shape, "{text}");
            assert!(agrees(&text, &limits).unwrap(), "{text}");
        }
        for text in [
            format!(r#"{{"v":"2","i":"id","c":[],{sig}}}"#),
            format!(r#"{{"v":2,"i":"id","c":[],{}}}"#, sig.replace("AAA\"", "AAA=\"")),
        ] {
            let mut out = vec![0; text.len()];
            assert_eq!(written(text.as_bytes(), &mut out, &limits), None, "{text}");
        }
    }

    #[test]
    fn takes_every_string_escape_and_leaves_the_rest_to_serde() {
        let sig = "\"s64\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"";
        let limits = Limits::default();
        // Read in place, and the same as serde's reading.
        for id in [
            r#""plain""#,
            r#""\"\\\/\b\f\n\r\t""#,
            r#""\u00e9\u0000\u20AC""#,
            r#""\ud83d\ude00 and \uD83D\uDE00""#,
            r#""é😀""#,
        ] {
            let text = format!("{{\"i\":{id},{sig}}}");
            assert!(agrees(&text, &limits).unwrap(), "{text}");
        }
        for text in [
            format!(" {{ \"v\" : 2 , \"i\" : \"x\" ,\n\t{sig} }} \r\n"),
            format!("{{\"v\":\"2\",\"c\":[],\"i\":\"x\",{sig}}}"),
            format!(
                "{{{sig},\"c\":[{{\"v64\":\"AA\",\"i\":\"c\",\"l\":\"\"}}],\"l\":\"\",\"i64\":\"eA\"}}"
            ),
            format!("{{\"c\":[{{\"i\":\"c\",\"l\":\"\"}}],\"i\":\"x\",{sig}}}"),
            format!("{{\"i\":\"x\",\"s\":\"{}\"}}", "a".repeat(32)),
            format!("{{\"i64\":\"eA==\",\"s64\":\"{}=\"}}", "A".repeat(43)),
        ] {
            assert!(agrees(text.trim_start(), &limits).unwrap(), "{text}");
        }
        // Left to serde (which accepts some of them, refuses others).
        for text in [
            format!("{{\"i\":\"\\ud83d\",{sig}}}"),
            format!("{{\"i\":\"\\udc00\",{sig}}}"),
            format!("{{\"i\":\"\\ud83d\\u0041\",{sig}}}"),
            format!("{{\"i\":\"\\x\",{sig}}}"),
            format!("{{\"i\":\"\\u12\",{sig}}}"),
            format!("{{\"i\":\"a\u{1}b\",{sig}}}"),
            format!("{{\"i\":\"x\",\"i\":\"x\",{sig}}}"),
            format!("{{\"i\":\"x\",\"i64\":\"eA\",{sig}}}"),
            format!("{{\"\\u0069\":\"x\",{sig}}}"),
            format!("{{\"i\":\"x\",\"l\":null,{sig}}}"),
            format!("{{\"i\":\"x\",\"v\":null,{sig}}}"),
            format!("{{\"i\":\"x\",\"v\":2.0,{sig}}}"),
            format!("{{\"i\":\"x\",\"v\":20,{sig}}}"),
            format!("{{\"i\":\"x\",\"c\":[[\"c\"]],{sig}}}"),
            format!("{{\"i\":\"x\",\"c\":[{{\"i\":\"c\",\"l\":\"there\"}}],{sig}}}"),
            format!("{{\"i\":\"x\",\"x\":\"x\",{sig}}}"),
            format!("{{\"i\":\"x\",{sig},}}"),
            format!("{{\"i\":\"x\",{sig}}}x"),
            format!("{{\"i\":\"x\",{sig}}}{{}}"),
            format!("{{\"i64\":\"e\\/A\",{sig}}}"),
            "{\"i\":\"x\"}".to_string(),
            "{\"i\":\"x\",\"s64\":\"AAAA\"}".to_string(),
            "{}".to_string(),
        ] {
            assert!(!agrees(&text, &limits).unwrap(), "{text}");
        }
        // Limits: refused in place, then by serde with its error.
        let text = format!("{{\"i\":\"xxxx\",\"c\":[{{\"i\":\"c\"}},{{\"i\":\"d\"}}],{sig}}}");
        assert!(agrees(&text, &limits).unwrap());
        for limits in [
            limits.with_max_field_len(3),
            limits.with_max_caveats(1),
            limits.with_max_token_len(text.len() - 1),
        ] {
            assert!(!agrees(&text, &limits).unwrap());
            assert!(json::parse(&text, &limits).is_err());
        }
    }

    /// A JSON string literal of `value`, each character escaped or not by `mask` (those that
    /// must be escaped always are, in one of their escapes).
    fn literal(value: &str, mask: u64) -> String {
        let mut out = String::from("\"");
        for (i, c) in value.chars().enumerate() {
            let escape = mask >> (i % 64) & 1 == 1;
            match c {
                '"' if escape => out.push_str("\\\""),
                '\\' if escape => out.push_str("\\\\"),
                '\n' if escape => out.push_str("\\n"),
                '/' if escape => out.push_str("\\/"),
                c if escape || c == '"' || c == '\\' || (c as u32) < 0x20 => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    /// A field `name` of `value`: as text if it is UTF-8 and `text`, else as base64 of one of
    /// the alphabets, padded or not.
    fn member(name: &str, value: &[u8], text: bool, mask: u64) -> String {
        match core::str::from_utf8(value) {
            Ok(s) if text => format!("\"{name}\":{}", literal(s, mask)),
            _ => {
                use ::base64::Engine;
                use ::base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
                let b64 = if mask & 1 == 1 {
                    STANDARD.encode(value)
                } else {
                    URL_SAFE_NO_PAD.encode(value)
                };
                format!("\"{name}64\":\"{b64}\"")
            }
        }
    }

    fn ws(pick: u8) -> &'static str {
        ["", "", "", " ", "\n\t", " \r\n "][usize::from(pick % 6)]
    }

    /// A JSON object of `members` in the given order, with whitespace from `spaces`.
    fn object(members: &[String], spaces: &[u8]) -> String {
        let space = |i: usize| ws(spaces.get(i % spaces.len().max(1)).copied().unwrap_or(0));
        let mut out = format!("{{{}", space(0));
        for (i, m) in members.iter().enumerate() {
            if i > 0 {
                out.push_str(&format!("{},{}", space(2 * i), space(2 * i + 1)));
            }
            out.push_str(m);
        }
        out.push_str(space(members.len() + 7));
        out.push('}');
        out
    }

    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => "[a-z \"\\\\/\n\u{1}é😀]{0,12}".prop_map(String::into_bytes),
            1 => proptest::collection::vec(any::<u8>(), 0..12),
        ]
    }

    prop_compose! {
        /// A macaroon's JSON in any shape a writer may give it: keys in any order, whitespace,
        /// fields as text (escaped at random) or base64, caveats of every kind.
        fn any_json()(
            id in bytes(),
            location in proptest::option::of(bytes()),
            caveats in proptest::collection::vec(
                (bytes(), proptest::option::of((bytes(), proptest::option::of(bytes())))),
                0..4,
            ),
            sig in proptest::array::uniform32(any::<u8>()),
            text in any::<[bool; 8]>(),
            masks in any::<[u64; 4]>(),
            version in 0..3u8,
            spaces in proptest::collection::vec(any::<u8>(), 1..8),
            order in any::<u64>(),
        ) -> String {
            let caveats: Vec<String> = caveats
                .iter()
                .enumerate()
                .map(|(n, (cid, tp))| {
                    let mut members = vec![member("i", cid, text[n % 8], masks[n % 4])];
                    if let Some((vid, cl)) = tp {
                        members.push(member("v", vid, false, masks[1]));
                        if let Some(cl) = cl {
                            members.push(member("l", cl, text[(n + 1) % 8], masks[2]));
                        }
                    }
                    let len = members.len();
                    members.rotate_left(order as usize % len);
                    object(&members, &spaces)
                })
                .collect();
            let mut members = vec![
                member("i", &id, text[0], masks[0]),
                member("s", &sig, text[1], masks[1]),
                format!("\"c\":[{}]", caveats.join(",")),
            ];
            if let Some(l) = &location {
                members.push(member("l", l, text[2], masks[2]));
            }
            match version {
                0 => members.push("\"v\":2".to_string()),
                1 => members.push("\"v\":\"2\"".to_string()),
                _ => {}
            }
            let len = members.len();
            for i in 0..len {
                members.swap(i, (order >> (4 * i)) as usize % len);
            }
            object(&members, &spaces)
        }
    }

    /// `text` with each of `edits` made in turn: `cut` bytes from `at` replaced by `piece`.
    fn spliced(text: String, edits: &[(prop::sample::Index, usize, &str)]) -> Vec<u8> {
        let mut bytes = text.into_bytes();
        for (at, cut, piece) in edits {
            let at = at.index(bytes.len() + 1);
            let end = (at + cut).min(bytes.len());
            bytes.splice(at..end, piece.bytes());
        }
        bytes
    }

    /// Pieces of JSON to splice into a macaroon's JSON.
    fn piece() -> impl Strategy<Value = &'static str> {
        proptest::sample::select(vec![
            "",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"",
            "\\",
            " ",
            "\u{1}",
            "null",
            "2",
            "2.0",
            "20",
            "\"2\"",
            "true",
            "\"i\":\"x\",",
            "\"i64\":\"eA\",",
            "\"l\":\"\",",
            "\"x\":1,",
            "\"v\":2,",
            "\"c\":[],",
            "\\u",
            "\\ud83d",
            "\\udc00",
            "\\u0041",
            "\\n",
            "\\x",
            "AAAA",
            "=",
            "+",
            "-",
            "_",
            "é",
            "[\"c\"]",
            "{\"i\":\"c\"}",
        ])
    }

    #[test]
    fn the_url_table_is_the_base64url_alphabet() {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        for b in 0..=255u8 {
            let expected = alphabet.iter().position(|&a| a == b).map_or(0xff, |v| v as u32);
            assert_eq!(sextet(b), expected, "{b:#x}");
        }
    }

    #[test]
    fn the_url_decoder_takes_only_what_base64_takes_alike() {
        for text in
            [&b""[..], b"QQ", b"QUI", b"QUJD", b"QR", b"QUJ", b"Q", b"QUJDR", b"QQ==", b"+/+/"]
        {
            let (mut fast, mut crate_out) = ([0u8; 8], [0u8; 8]);
            let decoded = base64::decode_into(text, &mut crate_out);
            if let Some(len) = url_unpadded(text, &mut fast) {
                assert_eq!(decoded, Ok(len), "{}", text.escape_ascii());
                assert_eq!(fast[..len], crate_out[..len]);
            }
            // Canonical unpadded base64url is decoded here, the rest left to the crate.
            let canonical = matches!(text, b"" | b"QQ" | b"QUI" | b"QUJD");
            assert_eq!(
                url_unpadded(text, &mut fast).is_some(),
                canonical,
                "{}",
                text.escape_ascii()
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// What the base64url decoder decodes, the `base64` crate decodes to the same bytes; and
        /// it decodes every value written as unpadded base64url.
        #[test]
        fn the_url_decoder_agrees_with_the_base64_crate(
            value in proptest::collection::vec(any::<u8>(), 0..40),
            noise in proptest::collection::vec(
                prop_oneof![Just(b'A'), Just(b'_'), Just(b'-'), Just(b'+'), Just(b'/'), Just(b'='), any::<u8>()],
                0..48,
            ),
        ) {
            use ::base64::Engine;
            let written = ::base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&value);
            let mut out = [0u8; 64];
            prop_assert_eq!(url_unpadded(written.as_bytes(), &mut out), Some(value.len()));
            prop_assert_eq!(&out[..value.len()], &value[..]);
            for text in [&noise[..], written.as_bytes()] {
                let (mut fast, mut crate_out) = ([0u8; 64], [0u8; 64]);
                let decoded = base64::decode_into(text, &mut crate_out);
                if let Some(len) = url_unpadded(text, &mut fast) {
                    prop_assert_eq!(decoded, Ok(len));
                    prop_assert_eq!(&fast[..len], &crate_out[..len]);
                }
            }
        }

        /// This crate's JSON is read in the written shape when it is that shape (as serde
        /// reads it; `in_place` checks the walk of any shape reads the same), and in place
        /// otherwise; cut and patched, whatever is read in place is read as serde reads it.
        #[test]
        fn the_written_shape_is_read_as_any_shape_is(
            (text, shape) in writers_json(),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), 0..4usize, piece()), 0..3),
            limits in prop_oneof![
                3 => Just(Limits::default()),
                1 => (0..20usize).prop_map(|n| Limits::default().with_max_field_len(n)),
                1 => (0..3usize).prop_map(|n| Limits::default().with_max_caveats(n)),
            ],
        ) {
            let mut out = vec![0; text.len()];
            let read = written(text.as_bytes(), &mut out, &Limits::default());
            prop_assert_eq!(read.is_some(), shape, "{}", text);
            prop_assert!(agrees(&text, &Limits::default())?, "not read in place: {}", text);
            if let Ok(text) = core::str::from_utf8(&spliced(text, &edits)) {
                agrees(text, &limits)?;
            }
        }

        /// A well-formed macaroon JSON in any writer's shape is read in place, as serde reads it.
        #[test]
        fn any_writers_json_is_read_in_place_as_serde_reads_it(text in any_json()) {
            let owned = json::parse(&text, &Limits::default());
            prop_assert!(agrees(&text, &Limits::default())?, "not read in place: {} ({:?})", text, owned.err());
        }

        /// JSON cut, spliced and patched: whatever the in-place reader accepts, serde accepts as
        /// the same macaroon with the same verify outcome (else serde decides alone).
        #[test]
        fn mutated_json_is_accepted_in_place_only_as_serde_accepts_it(
            text in any_json(),
            edits in proptest::collection::vec((any::<prop::sample::Index>(), 0..4usize, piece()), 1..4),
            limits in prop_oneof![
                3 => Just(Limits::default()),
                1 => (0..20usize).prop_map(|n| Limits::default().with_max_field_len(n)),
                1 => (0..3usize).prop_map(|n| Limits::default().with_max_caveats(n)),
                1 => (0..200usize).prop_map(|n| Limits::default().with_max_token_len(n)),
            ],
        ) {
            if let Ok(text) = core::str::from_utf8(&spliced(text, &edits)) {
                agrees(text, &limits)?;
            }
        }
    }
}
