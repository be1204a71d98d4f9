//! Wire formats: bytes <-> [`Macaroon`], and the text forms around them.

pub(crate) mod base64;
mod json;
mod reader;
mod v1;
mod v2;

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use super::{Error, Limits, Macaroon};

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
