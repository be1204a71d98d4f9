//! Wire formats: bytes <-> [`Macaroon`], and the text forms around them.

pub(crate) mod base64;
mod json;
mod json_view;
pub(crate) mod layout;
mod reader;
pub(crate) mod v1;
pub(crate) mod v2;

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use super::{CaveatChecker, Error, Limits, Macaroon, MacaroonView, RootKey};

/// A macaroon serialization format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// libmacaroons V1 packets (what Onezone uses).
    V1,
    /// libmacaroons V2 binary fields.
    V2,
    /// V2 JSON.
    V2Json,
}

impl Format {
    /// The format's short name: `v1`, `v2` or `v2json`.
    pub fn name(self) -> &'static str {
        match self {
            Format::V1 => "v1",
            Format::V2 => "v2",
            Format::V2Json => "v2json",
        }
    }
}

/// How a binary format (V1, V2) is turned into text. JSON is always written as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Encoding {
    /// base64url without padding, as libmacaroons.
    #[default]
    Base64Url,
    /// Onezone's escaped form (18.02 on): base64url with `0`->`00`, `_`->`01`, `-`->`02`,
    /// `/`->`03`, `+`->`04`, `=`->`05`, so the token is alphanumeric.
    Escaped,
}

/// A token's text decoded to the bytes of its format, with what was learnt on the way.
///
/// Parse it with [`DecodedToken::macaroon`], which borrows from it: verifying this way needs no
/// heap allocation per field or caveat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedToken<'t> {
    format: Format,
    escaped: bool,
    bytes: Cow<'t, [u8]>,
}

impl DecodedToken<'_> {
    /// The detected format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the text was in Onezone's escaped form.
    pub fn escaped(&self) -> bool {
        self.escaped
    }

    /// The decoded bytes (V1 packets, V2 fields, or JSON text).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Parses the bytes.
    ///
    /// # Errors
    /// Any parse error of the detected format, or a limit exceeded.
    pub fn macaroon(&self, limits: &Limits) -> Result<Macaroon<'_>, Error> {
        parse_bytes(&self.bytes, self.format, limits)
    }
}

fn parse_bytes<'b>(
    bytes: &'b [u8],
    format: Format,
    limits: &Limits,
) -> Result<Macaroon<'b>, Error> {
    match format {
        Format::V1 => v1::parse(bytes, limits),
        Format::V2 => v2::parse(bytes, limits),
        Format::V2Json => {
            let text = core::str::from_utf8(bytes).map_err(|e| Error::Malformed {
                reading: "JSON text",
                offset: e.valid_up_to(),
                problem: "not UTF-8",
            })?;
            json::parse(text, limits)
        }
    }
}

/// Tells the format from the first byte of the decoded token.
fn detect(bytes: &[u8]) -> Result<Format, Error> {
    match bytes.first() {
        None => Err(Error::Empty),
        Some(b) if b.is_ascii_hexdigit() => Ok(Format::V1),
        Some(&v2::VERSION) => Ok(Format::V2),
        Some(b'{') => Ok(Format::V2Json),
        Some(&first_byte) => Err(Error::UnknownFormat { first_byte }),
    }
}

/// Whether `text` can be Onezone-escaped text that differs from its plain reading: only
/// `[0-9A-Za-z]`, at least one `0`, and every `0` followed by `0`..`5`. Checked without
/// allocating, so plain tokens (which nearly always fail early) cost one short scan.
fn is_escaped(text: &[u8]) -> bool {
    let mut seen_zero = false;
    let mut it = text.iter();
    while let Some(&b) = it.next() {
        if b == b'0' {
            seen_zero = true;
            if !matches!(it.next(), Some(b'0'..=b'5')) {
                return false;
            }
        } else if !b.is_ascii_alphanumeric() {
            return false;
        }
    }
    seen_zero
}

/// Undoes Onezone's escaping of text for which [`is_escaped`] holds.
fn unescape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut it = text.iter();
    while let Some(&b) = it.next() {
        out.push(if b == b'0' {
            match it.next() {
                Some(b'1') => b'_',
                Some(b'2') => b'-',
                Some(b'3') => b'/',
                Some(b'4') => b'+',
                Some(b'5') => b'=',
                _ => b'0',
            }
        } else {
            b
        });
    }
    out
}

/// [`is_escaped`] and [`unescape`] in one pass, into `out` (at least `text.len()` bytes): the
/// length of the unescaped text, or `None` if `text` is not escaped text (then it is plain).
///
/// Escaped text is alphanumeric throughout (the escapes `00`..`05` too), so it is read eight
/// bytes at a time: each word is checked to be alphanumeric and copied whole in a few
/// operations, and where it holds a `0`, the escape is undone and the next word starts after
/// it. For a 247-character token that is 1,700 instructions (callgrind), against 4,400 for
/// the two byte-by-byte passes (`is_escaped`, then `unescape`) and 2,000 for its base64 decode.
fn unescape_checked(text: &[u8], out: &mut [u8]) -> Option<usize> {
    let (mut rest, mut written, mut seen_zero) = (text, 0, false);
    while let Some((chunk, _)) = rest.split_first_chunk::<8>() {
        let word = u64::from_le_bytes(*chunk);
        if !alphanumeric(word) {
            return None;
        }
        // Written whole, even past a `0`: what follows it is overwritten next.
        *out.get_mut(written..)?.first_chunk_mut::<8>()? = *chunk;
        let zeros = zero_chars(word);
        if zeros == 0 {
            rest = rest.get(8..)?;
            written += 8;
            continue;
        }
        let at = (zeros.trailing_zeros() / 8) as usize;
        *out.get_mut(written + at)? = unescaped(*rest.get(at + 1)?)?;
        seen_zero = true;
        rest = rest.get(at + 2..)?;
        written += at + 1;
    }
    // The last few characters, one at a time.
    let mut rest = rest.iter();
    while let Some(&b) = rest.next() {
        let b = match b {
            b'0' => {
                seen_zero = true;
                unescaped(*rest.next()?)?
            }
            b if b.is_ascii_alphanumeric() => b,
            _ => return None,
        };
        *out.get_mut(written)? = b;
        written += 1;
    }
    seen_zero.then_some(written)
}

/// The character a `0` escape stands for, by the character after the `0`.
fn unescaped(code: u8) -> Option<u8> {
    match code {
        b'0' => Some(b'0'),
        b'1' => Some(b'_'),
        b'2' => Some(b'-'),
        b'3' => Some(b'/'),
        b'4' => Some(b'+'),
        b'5' => Some(b'='),
        _ => None,
    }
}

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// The high bit of each byte of `word` that is the character `0` (the classic "has a zero byte"
/// test on the word XORed with `0`s; exact up to the first match, which is what is used).
fn zero_chars(word: u64) -> u64 {
    let x = word ^ (ONES * u64::from(b'0'));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Whether all eight bytes of `word` are ASCII letters or digits. For bytes below 0x80, adding
/// `0x80 - lo` sets a byte's high bit exactly when it is at least `lo`, with no carry into the
/// next byte (hence the ASCII check first); letters are compared in lower case (`| 0x20`).
fn alphanumeric(word: u64) -> bool {
    let at_least = |w: u64, lo: u8| w.wrapping_add(ONES * u64::from(0x80 - lo));
    let in_range = |w: u64, lo: u8, hi: u8| at_least(w, lo) & !at_least(w, hi + 1);
    let lower = word | (ONES * 0x20);
    word & HIGHS == 0 && (in_range(word, b'0', b'9') | in_range(lower, b'a', b'z')) & HIGHS == HIGHS
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '0' => out.push_str("00"),
            '_' => out.push_str("01"),
            '-' => out.push_str("02"),
            '/' => out.push_str("03"),
            '+' => out.push_str("04"),
            '=' => out.push_str("05"),
            c => out.push(c),
        }
    }
    out
}

fn decode_base64(text: &[u8], escaped: bool) -> Result<DecodedToken<'static>, Error> {
    let bytes = base64::decode(text)?;
    Ok(DecodedToken { format: detect(&bytes)?, escaped, bytes: Cow::Owned(bytes) })
}

/// Decodes a token's text form and detects its format: JSON as is, or V1/V2 in base64 (url or
/// standard alphabet, padded or not, plain or Onezone-escaped; base64 of JSON is read too).
///
/// Text that is valid escaped text is read as escaped when that reading parses, else as plain;
/// if neither parses, the error is the escaped reading's, unless the plain reading is a
/// well-formed token that only exceeds a limit (then it is that [`Error::LimitExceeded`]).
///
/// # Errors
/// [`Error::Empty`], [`Error::LimitExceeded`], [`Error::Base64`], [`Error::UnknownFormat`], or a
/// parse error when the text is ambiguous and neither reading parses.
pub fn decode_text<'t>(text: &'t str, limits: &Limits) -> Result<DecodedToken<'t>, Error> {
    limits.check_token(text.len())?;
    if text.is_empty() {
        return Err(Error::Empty);
    }
    if text.starts_with('{') {
        return Ok(DecodedToken {
            format: Format::V2Json,
            escaped: false,
            bytes: Cow::Borrowed(text.as_bytes()),
        });
    }
    let text = text.as_bytes();
    if is_escaped(text) {
        let escaped = decode_base64(&unescape(text), true)
            .and_then(|t| t.macaroon(limits).map(|_| ()).map(|()| t));
        return match escaped {
            Ok(token) => Ok(token),
            Err(escaped_error) => match decode_base64(text, false) {
                Ok(plain) => match plain.macaroon(limits).err() {
                    None => Ok(plain),
                    // The plain reading is a well-formed token that only exceeds a limit: report
                    // that, not why the escaped reading is no token. (Lifting the count and field
                    // limits is safe here: parsing allocates at most in proportion to the bytes,
                    // which are within the token length limit.)
                    Some(error @ Error::LimitExceeded { .. })
                        if plain
                            .macaroon(
                                &limits.with_max_caveats(usize::MAX).with_max_field_len(usize::MAX),
                            )
                            .is_ok() =>
                    {
                        Err(error)
                    }
                    Some(_) => Err(escaped_error),
                },
                Err(_) => Err(escaped_error),
            },
        };
    }
    decode_base64(text, false)
}

/// Tokens of up to this many characters are decoded on the stack (a 512-byte buffer, and another
/// for the unescaped text of an escaped token that is not read in one pass); Onezone's tokens
/// are 200 to 400 characters.
const SMALL_TOKEN: usize = 512;
/// Up to this many on a larger stack buffer; longer tokens in one heap allocation.
const LARGE_TOKEN: usize = 4096;

/// Decodes a token's text form and hands `f` a [`MacaroonView`] of it, read in place: the path
/// for servers that verify a token on every request.
///
/// It reads what [`decode_text`] reads (JSON, or V1/V2 in base64 of either alphabet, padded or
/// not, plain or Onezone-escaped) and decides the same way, but decodes once into a stack buffer
/// (for tokens of up to 4096 characters; longer ones take one allocation) and parses once: an
/// ambiguous text (valid as escaped and as plain) is read as escaped when that reading parses,
/// and only otherwise decoded again as plain. JSON is read in place too, its fields (escaped
/// text or base64) decoded into the stack buffer as the V2 bytes they stand for; JSON in a shape
/// that reader does not take (`null` fields, escaped keys ...) is parsed by `serde_json` into a
/// [`Macaroon`] and viewed, so JSON is accepted and refused exactly as by [`Macaroon::from_json`].
///
/// ```
/// use onezone_tokens::macaroon::{Encoding, Format, Limits, Macaroon, RootKey, with_token};
///
/// let key = RootKey::derive(b"the server's secret");
/// let mut m = Macaroon::new(&key, b"id-1").with_location(b"onezone.example.org");
/// m.add_first_party_caveat(b"time < 1900000000");
/// let text = m.serialize(Format::V1, Encoding::Escaped)?;
///
/// let id = with_token(&text, &Limits::default(), |view| {
///     assert!(view.escaped());
///     view.verify(&key, &mut |c: &[u8]| c == b"time < 1900000000").map(|()| view.identifier().to_vec())
/// })??;
/// assert_eq!(id, b"id-1");
/// # Ok::<(), onezone_tokens::macaroon::Error>(())
/// ```
///
/// # Errors
/// As [`decode_text`] and the format's parser; `f`'s own result is returned inside `Ok`.
pub fn with_token<R>(
    text: &str,
    limits: &Limits,
    f: impl FnOnce(MacaroonView<'_>) -> R,
) -> Result<R, Error> {
    limits.check_token(text.len())?;
    if text.is_empty() {
        return Err(Error::Empty);
    }
    if text.starts_with('{') {
        return if text.len() <= SMALL_TOKEN / 2 {
            json_on_stack::<{ SMALL_TOKEN / 2 }, R>(text, limits, f)
        } else if text.len() <= SMALL_TOKEN {
            json_on_stack::<SMALL_TOKEN, R>(text, limits, f)
        } else if text.len() <= LARGE_TOKEN {
            json_on_stack::<LARGE_TOKEN, R>(text, limits, f)
        } else {
            let mut buffer = alloc::vec![0; 2 * text.len()];
            let (scratch, out) = buffer.split_at_mut(text.len());
            read_json(text, scratch, out, limits, f)
        };
    }
    let text = text.as_bytes();
    if text.len() <= SMALL_TOKEN {
        on_stack::<SMALL_TOKEN, R>(text, limits, f)
    } else if text.len() <= LARGE_TOKEN {
        on_stack::<LARGE_TOKEN, R>(text, limits, f)
    } else {
        let decoded = base64::decoded_len(text.len());
        let mut buffer = alloc::vec![0; decoded + text.len()];
        let (out, scratch) = buffer.split_at_mut(decoded);
        let unescaped = unescape_checked(text, scratch).and_then(|len| scratch.get(..len));
        read(text, unescaped, out, limits, f)
    }
}

/// Verifies a token given as text with `key` and `checker`, read in place (see [`with_token`]
/// and [`MacaroonView::verify`]).
///
/// # Errors
/// Any error of [`with_token`], then of [`MacaroonView::verify`].
pub fn verify_token<C: CaveatChecker + ?Sized>(
    text: &str,
    key: &RootKey,
    checker: &mut C,
    limits: &Limits,
) -> Result<(), Error> {
    with_token(text, limits, |view| view.verify(key, checker))?
}

/// [`with_token`] for text of at most `N` characters: its buffers on the stack.
fn on_stack<const N: usize, R>(
    text: &[u8],
    limits: &Limits,
    f: impl FnOnce(MacaroonView<'_>) -> R,
) -> Result<R, Error> {
    // `N` characters decode to at most `3 * N / 4` bytes, and unescape to at most `N`. Escaped
    // text is decoded in one pass into the one buffer a plain token needs (the pass fails
    // within a few characters of plain text); only escaped text of another shape takes the
    // second, for its unescaped text.
    let mut buffer = [0u8; N];
    match decode_escaped(text, &mut buffer) {
        Escaped::Plain => read(text, None, &mut buffer, limits, f),
        Escaped::Decoded(len) => read_decoded_escaped(text, len, &mut buffer, limits, f),
        Escaped::Unsure => {
            let mut unescaped = [0u8; N];
            let len = unescape_checked(text, &mut unescaped);
            read(text, len.and_then(|len| unescaped.get(..len)), &mut buffer, limits, f)
        }
    }
}

/// What [`decode_escaped`] made of a text.
#[derive(Debug, PartialEq, Eq)]
enum Escaped {
    /// Not escaped text ([`unescape_checked`] would say `None`): read it as plain.
    Plain,
    /// Escaped text whose unescaped reading is canonical base64url, decoded: its length.
    Decoded(usize),
    /// Escaped text of another shape (`03`..`05` escapes, padding, stray bits ...), or `out`
    /// too small: [`unescape_checked`] and the `base64` crate decide.
    Unsure,
}

/// Onezone's escaped text unescaped and decoded from base64url in one pass, into `out`: the
/// form every Onezone token takes (its base64url holds no `/`, `+` or `=`, so only the escapes
/// `00`, `01` and `02`). Eight or four characters at a time through a table where none is a
/// `0`; the few groups around an escape a character at a time. It answers [`Escaped::Plain`]
/// only where [`unescape_checked`] answers `None`, and decodes only escaped text, to the bytes
/// `base64::decode_into` makes of its unescaped reading; anything else is [`Escaped::Unsure`]
/// (then the caller asks `unescape_checked`).
fn decode_escaped(text: &[u8], out: &mut [u8]) -> Escaped {
    let (mut rest, mut written, mut seen_zero) = (text, 0, false);
    // The sextets of the last group (and how many bits they are), when the text ends inside one.
    let (pending, bits): (u32, u32) = loop {
        // Eight characters (six bytes, written as eight: the next two are overwritten).
        if let Some((chunk, tail)) = rest.split_first_chunk::<8>()
            && let Some(slot) = out.get_mut(written..written + 8)
            && let Some(word) = base64::eight(chunk, &ESCAPED_VALUES)
        {
            slot.copy_from_slice(&word);
            written += 6;
            rest = tail;
            continue;
        }
        if let Some((&[a, b, c, d], tail)) = rest.split_first_chunk::<4>() {
            let (a, b, c, d) =
                (escaped_value(a), escaped_value(b), escaped_value(c), escaped_value(d));
            if (a | b | c | d) < 64 {
                let [_, x, y, z] = (a << 18 | b << 12 | c << 6 | d).to_be_bytes();
                let Some(slot) = out.get_mut(written..written + 3) else { return Escaped::Unsure };
                slot.copy_from_slice(&[x, y, z]);
                written += 3;
                rest = tail;
                continue;
            }
        }
        // One whole group around an escape, a character (or an escape) at a time: after it,
        // the groups are whole again, and the steps above take the text again. (Read a
        // character at a time until the groups realigned, through the steps' tests at each, an
        // escape cost more than the rest of its 30 characters.)
        let mut group = 0u32;
        let mut sextets = 0;
        while sextets < 4 {
            let Some((&c, tail)) = rest.split_first() else { break };
            rest = tail;
            let value = match escaped_value(c) {
                v if v < 64 => v,
                ZERO => {
                    seen_zero = true;
                    let Some((&code, tail)) = rest.split_first() else { return Escaped::Plain };
                    rest = tail;
                    match code {
                        b'0' => 52,
                        b'1' => 63,
                        b'2' => 62,
                        b'3'..=b'5' => return Escaped::Unsure,
                        _ => return Escaped::Plain,
                    }
                }
                _ => return Escaped::Plain,
            };
            group = group << 6 | value;
            sextets += 1;
        }
        if sextets < 4 {
            // The text ended inside this group.
            break (group, 6 * sextets);
        }
        let [_, x, y, z] = group.to_be_bytes();
        let Some(slot) = out.get_mut(written..written + 3) else { return Escaped::Unsure };
        slot.copy_from_slice(&[x, y, z]);
        written += 3;
    };
    if !seen_zero {
        return Escaped::Plain;
    }
    // The last group: 2 or 3 characters (1 or 2 bytes) whose leftover bits are 0, as base64
    // requires; 1 character is no base64.
    let bytes = match bits {
        0 => return Escaped::Decoded(written),
        12 => 1,
        18 => 2,
        _ => return Escaped::Unsure,
    };
    let extra = bits - 8 * bytes;
    if pending & ((1 << extra) - 1) != 0 {
        return Escaped::Unsure;
    }
    let [.., x, y] = (pending >> extra << (16 - 8 * bytes)).to_be_bytes();
    match (out.get_mut(written..written + bytes as usize), [x, y].get(..bytes as usize)) {
        (Some(slot), Some(value)) => {
            slot.copy_from_slice(value);
            Escaped::Decoded(written + bytes as usize)
        }
        _ => Escaped::Unsure,
    }
}

/// [`ESCAPED_VALUES`]' mark of the character `0`, which starts an escape.
const ZERO: u32 = 0xfe;

fn escaped_value(c: u8) -> u32 {
    u32::from(ESCAPED_VALUES.get(usize::from(c)).copied().unwrap_or(0xff))
}

/// The base64url value of each alphanumeric character but `0`, which escaped text has in place
/// of every base64url character; `Z` for `0` (an escape follows), `X` for any other byte (no
/// escaped text has it).
#[rustfmt::skip]
const ESCAPED_VALUES: [u8; 256] = {
    const X: u8 = 0xff;
    const Z: u8 = 0xfe;
    [
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
        X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
        Z, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
        X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
        15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
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

/// [`with_token`] for JSON of at most `N` bytes: its buffers on the stack.
fn json_on_stack<const N: usize, R>(
    text: &str,
    limits: &Limits,
    f: impl FnOnce(MacaroonView<'_>) -> R,
) -> Result<R, Error> {
    let (mut scratch, mut out) = ([0u8; N], [0u8; N]);
    read_json(text, &mut scratch, &mut out, limits, f)
}

/// Reads JSON text in place into `out` (V2 bytes; `scratch` holds the decoded fields) and views
/// it; text the in-place reader does not take is parsed by `serde_json`, which accepts it (then
/// it is viewed as parsed) or refuses it with its error (see `json_view`).
fn read_json<R>(
    text: &str,
    scratch: &mut [u8],
    out: &mut [u8],
    limits: &Limits,
    f: impl FnOnce(MacaroonView<'_>) -> R,
) -> Result<R, Error> {
    if let Some((len, layout)) = json_view::read(text.as_bytes(), scratch, out, limits) {
        let bytes = out.get(..len).unwrap_or_default();
        return Ok(f(MacaroonView::packed(bytes, Format::V2Json, layout)));
    }
    let m = json::parse(text, limits)?;
    Ok(f(MacaroonView::of(&m, Format::V2Json)))
}

/// Decodes `text` into `out` and views it; for escaped text (`unescaped` is its unescaped
/// reading), that reading first, and only if it does not parse, the text again as plain (as
/// [`decode_text`] decides, with the same errors).
fn read<R, F: FnOnce(MacaroonView<'_>) -> R>(
    text: &[u8],
    unescaped: Option<&[u8]>,
    out: &mut [u8],
    limits: &Limits,
    f: F,
) -> Result<R, Error> {
    let Some(unescaped) = unescaped else {
        let len = base64::decode_into(text, out)?;
        return view_bytes(out.get(..len).unwrap_or_default(), false, limits, f)
            .map_err(|(e, _)| e);
    };
    match base64::decode_into(unescaped, out) {
        Ok(len) => read_decoded_escaped(text, len, out, limits, f),
        Err(escaped_error) => read_plain_after(text, escaped_error, out, limits, f),
    }
}

/// [`read`] for escaped text whose unescaped reading is already decoded into `out[..len]`.
fn read_decoded_escaped<R, F: FnOnce(MacaroonView<'_>) -> R>(
    text: &[u8],
    len: usize,
    out: &mut [u8],
    limits: &Limits,
    f: F,
) -> Result<R, Error> {
    match view_bytes(out.get(..len).unwrap_or_default(), true, limits, f) {
        Ok(result) => Ok(result),
        Err((escaped_error, f)) => read_plain_after(text, escaped_error, out, limits, f),
    }
}

/// [`read`] once the escaped reading of `text` failed with `escaped_error`: the plain reading.
fn read_plain_after<R, F: FnOnce(MacaroonView<'_>) -> R>(
    text: &[u8],
    escaped_error: Error,
    out: &mut [u8],
    limits: &Limits,
    f: F,
) -> Result<R, Error> {
    let Ok(len) = base64::decode_into(text, out) else { return Err(escaped_error) };
    let plain = out.get(..len).unwrap_or_default();
    match view_bytes(plain, false, limits, f) {
        Ok(result) => Ok(result),
        // The plain reading is a well-formed token that only exceeds a limit: report that, not
        // why the escaped reading is no token (as `decode_text`).
        Err((error @ Error::LimitExceeded { .. }, _))
            if detect(plain)
                .and_then(|format| {
                    parse_bytes(
                        plain,
                        format,
                        &limits.with_max_caveats(usize::MAX).with_max_field_len(usize::MAX),
                    )
                })
                .is_ok() =>
        {
            Err(error)
        }
        Err(_) => Err(escaped_error),
    }
}

/// Parses decoded bytes in their detected format and hands their view to `f`; if they do not
/// parse, gives `f` back with the error.
fn view_bytes<R, F: FnOnce(MacaroonView<'_>) -> R>(
    bytes: &[u8],
    escaped: bool,
    limits: &Limits,
    f: F,
) -> Result<R, (Error, F)> {
    let view = match detect(bytes) {
        Ok(Format::V1) => MacaroonView::from_v1(bytes, limits),
        Ok(Format::V2) => MacaroonView::from_v2(bytes, limits),
        Ok(_) => {
            // JSON in base64: parsed, then viewed.
            return match parse_bytes(bytes, Format::V2Json, limits) {
                Ok(m) => Ok(f(MacaroonView::of(&m, Format::V2Json).with_escaped(escaped))),
                Err(e) => Err((e, f)),
            };
        }
        Err(e) => Err(e),
    };
    match view {
        Ok(view) => Ok(f(view.with_escaped(escaped))),
        Err(e) => Err((e, f)),
    }
}

impl Macaroon<'_> {
    /// The V1 bytes, exactly as libmacaroons writes them.
    ///
    /// # Errors
    /// [`Error::Unencodable`] if a field does not fit a V1 packet (65535 bytes).
    pub fn to_v1(&self) -> Result<Vec<u8>, Error> {
        v1::write(self)
    }

    /// The V2 binary bytes, exactly as libmacaroons writes them.
    pub fn to_v2(&self) -> Vec<u8> {
        v2::write(self)
    }

    /// The V2 JSON text, in the libmacaroons form.
    ///
    /// # Errors
    /// [`Error::Unencodable`] only on a broken invariant (`serde_json` refusing plain strings);
    /// never a partial or empty token in its place.
    pub fn to_json(&self) -> Result<String, Error> {
        json::write(self)
    }

    /// Serializes to text: `format` chooses the bytes, `encoding` how binary formats become text
    /// (JSON is returned as JSON whatever the encoding).
    ///
    /// # Errors
    /// [`Error::Unencodable`] if a field does not fit the format.
    pub fn serialize(&self, format: Format, encoding: Encoding) -> Result<String, Error> {
        let bytes = match format {
            Format::V1 => self.to_v1()?,
            Format::V2 => self.to_v2(),
            Format::V2Json => return self.to_json(),
        };
        let text = base64::encode_url(&bytes);
        Ok(match encoding {
            Encoding::Base64Url => text,
            Encoding::Escaped => escape(&text),
        })
    }
}

impl<'a> Macaroon<'a> {
    /// Parses V1 bytes (not base64). Borrows from `bytes`.
    ///
    /// # Errors
    /// A parse error saying what was being read and where, or a limit exceeded.
    pub fn from_v1(bytes: &'a [u8], limits: &Limits) -> Result<Self, Error> {
        v1::parse(bytes, limits)
    }

    /// Parses V2 binary bytes (not base64). Borrows from `bytes`.
    ///
    /// # Errors
    /// A parse error saying what was being read and where, or a limit exceeded.
    pub fn from_v2(bytes: &'a [u8], limits: &Limits) -> Result<Self, Error> {
        v2::parse(bytes, limits)
    }

    /// Parses V2 JSON in any of the supported dialects. Borrows from `text` where it can.
    ///
    /// # Errors
    /// [`Error::Json`] for invalid JSON or unknown fields, [`Error::Malformed`] for a field given
    /// twice or a bad signature length, or a limit exceeded.
    pub fn from_json(text: &'a str, limits: &Limits) -> Result<Self, Error> {
        json::parse(text, limits)
    }

    /// Parses binary bytes of any format, telling V1, V2 and JSON apart by the first byte.
    ///
    /// # Errors
    /// [`Error::UnknownFormat`] or the chosen format's parse error.
    pub fn from_binary(bytes: &'a [u8], limits: &Limits) -> Result<Self, Error> {
        parse_bytes(bytes, detect(bytes)?, limits)
    }
}

impl Macaroon<'static> {
    /// Parses a token in any text form with the default [`Limits`] (see [`decode_text`]).
    ///
    /// ```
    /// use onezone_tokens::macaroon::{Error, Macaroon, RootKey};
    ///
    /// // libmacaroons' example token (V1, base64url).
    /// let m = Macaroon::deserialize(
    ///     "MDAxY2xvY2F0aW9uIGh0dHA6Ly9teWJhbmsvCjAwMjZpZGVudGlmaWVyIHdlIHVzZWQgb3VyIHNlY3JldCBrZXkKMDAyZnNpZ25hdHVyZSDj2eApCFJsTAA5rhURQRXZf91ovyujebNCqvD2F9BVLwo",
    /// )?;
    /// assert_eq!(m.identifier(), b"we used our secret key");
    /// assert_eq!(m.location(), Some(&b"http://mybank/"[..]));
    /// m.verify(&RootKey::derive(b"this is our super secret key; only we should know it"), &mut |_: &[u8]| false)?;
    ///
    /// let err = Macaroon::deserialize("not a token!").unwrap_err();
    /// assert_eq!(err.to_string(), "the token is not valid base64 at character 3: character outside the base64 alphabet");
    /// # Ok::<(), Error>(())
    /// ```
    ///
    /// # Errors
    /// See [`decode_text`] and the format's parser.
    pub fn deserialize(text: &str) -> Result<Self, Error> {
        Self::deserialize_with(text, &Limits::default())
    }

    /// Parses a token in any text form within `limits`.
    ///
    /// # Errors
    /// See [`decode_text`] and the format's parser.
    pub fn deserialize_with(text: &str, limits: &Limits) -> Result<Self, Error> {
        let token = decode_text(text, limits)?;
        token.macaroon(limits).map(Macaroon::into_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn one_pass(text: &[u8]) -> Option<Vec<u8>> {
        let mut out = alloc::vec![0; text.len()];
        unescape_checked(text, &mut out).map(|len| out[..len].to_vec())
    }

    #[test]
    fn the_one_pass_unescape_agrees_on_edge_cases() {
        for text in [
            &b""[..],
            b"0",
            b"00",
            b"000",
            b"0000",
            b"01",
            b"06",
            b"0a",
            b"a0",
            b"abc",
            b"a-b",
            b"0001020304050",
            b"00010203040500",
            b"abcdefgh0",
            b"abcdefgh01",
            b"abcdefg01",
            b"x0y",
            b"ab_cd",
            b"ABCDEFGH00IJKLMNOP01",
            b"\xff00",
        ] {
            let expected = is_escaped(text).then(|| unescape(text));
            assert_eq!(one_pass(text), expected, "{}", text.escape_ascii());
        }
        // Every byte value in every position of a word, against the byte-wise tests.
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut bytes = *b"abcdefgh";
                bytes[at] = b;
                let word = u64::from_le_bytes(bytes);
                assert_eq!(alphanumeric(word), b.is_ascii_alphanumeric(), "{b:#x} at {at}");
                let first = (zero_chars(word) != 0).then(|| zero_chars(word).trailing_zeros() / 8);
                assert_eq!(first, (b == b'0').then_some(at as u32), "{b:#x} at {at}");
            }
        }
        assert_eq!(zero_chars(u64::from_le_bytes(*b"a0b00c0d")).trailing_zeros() / 8, 1);
    }

    /// `decode_escaped` against `unescape_checked` then the `base64` crate: the same answer
    /// for plain text, the same bytes when it decodes.
    fn decode_escaped_agrees(text: &[u8]) -> Result<Escaped, TestCaseError> {
        let mut out = alloc::vec![0; text.len()];
        let answer = decode_escaped(text, &mut out);
        let unescaped = one_pass(text);
        match &answer {
            Escaped::Plain => prop_assert_eq!(unescaped, None, "{}", text.escape_ascii()),
            Escaped::Decoded(len) => {
                let unescaped = unescaped.expect("escaped text");
                prop_assert_eq!(base64::decode(&unescaped), Ok(out[..*len].to_vec()));
            }
            // No claim: the caller unescapes and decodes as before.
            Escaped::Unsure => {}
        }
        Ok(answer)
    }

    #[test]
    fn the_one_pass_decoder_reads_escaped_tokens_and_leaves_the_rest() {
        for (text, expected) in [
            (&b""[..], Escaped::Plain),
            (b"QUJD", Escaped::Plain),
            (b"QU-D", Escaped::Plain),
            (b"0", Escaped::Plain),
            (b"06QQ", Escaped::Plain),
            (b"0100", Escaped::Unsure),
            (b"01A", Escaped::Decoded(1)),
            (b"030a-", Escaped::Unsure),
            (b"00QUJD", Escaped::Unsure),
            (b"QQ0505", Escaped::Unsure),
            (b"0300", Escaped::Unsure),
            (b"QR01", Escaped::Unsure),
            (b"QUJD00", Escaped::Unsure),
            (b"QUJDQQ01", Escaped::Unsure),
            (b"QUJDQU01", Escaped::Unsure),
            (b"QUJDQ01A", Escaped::Decoded(5)),
            (b"00AA", Escaped::Decoded(2)),
            (b"00AAQUJD", Escaped::Unsure),
            (b"00AAQ01A", Escaped::Decoded(4)),
        ] {
            assert_eq!(decode_escaped_agrees(text).unwrap(), expected, "{}", text.escape_ascii());
        }
    }

    proptest! {
        /// Onezone's escaped text of any bytes is decoded in one pass, as unescaping then
        /// decoding it does; and on any text, the one pass agrees with the two.
        #[test]
        fn the_one_pass_decoder_is_unescaping_then_decoding(
            value in proptest::collection::vec(any::<u8>(), 0..200),
            text in prop_oneof![
                proptest::collection::vec(
                    prop_oneof![
                        4 => proptest::char::range('a', 'z').prop_map(|c| c as u8),
                        2 => proptest::char::range('0', '9').prop_map(|c| c as u8),
                        1 => Just(b'-'),
                    ],
                    0..80,
                ),
                proptest::collection::vec(any::<u8>(), 0..40),
            ]
        ) {
            let escaped = escape(&base64::encode_url(&value));
            let answer = decode_escaped_agrees(escaped.as_bytes())?;
            if is_escaped(escaped.as_bytes()) {
                prop_assert_eq!(answer, Escaped::Decoded(value.len()));
            }
            decode_escaped_agrees(&text)?;
        }

        /// `unescape_checked` is `is_escaped` then `unescape`, on text that is mostly
        /// alphanumeric with escapes (the interesting case) and on any bytes.
        #[test]
        fn the_one_pass_unescape_is_the_two_passes(
            text in prop_oneof![
                proptest::collection::vec(
                    prop_oneof![
                        4 => proptest::char::range('a', 'z').prop_map(|c| c as u8),
                        2 => proptest::char::range('0', '9').prop_map(|c| c as u8),
                        1 => Just(b'-'),
                    ],
                    0..80,
                ),
                proptest::collection::vec(any::<u8>(), 0..40),
            ]
        ) {
            prop_assert_eq!(one_pass(&text), is_escaped(&text).then(|| unescape(&text)));
        }
    }
}
