//! Base64 as macaroon implementations write it: read url-safe or standard, padded or not;
//! write url-safe without padding.

use alloc::string::String;
use alloc::vec::Vec;

use base64::DecodeSliceError;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine};

use crate::macaroon::{Error, Limit};

const READ: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_encode_padding(false)
    .with_decode_padding_mode(DecodePaddingMode::Indifferent);
const URL_READ: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, READ);
const STD_READ: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, READ);
const URL_WRITE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_encode_padding(false),
);

pub(crate) fn encode_url(bytes: &[u8]) -> String {
    URL_WRITE.encode(bytes)
}

/// Eight characters of base64 read through `values` (each byte's value, 64 or more for a byte
/// that stands for none): the six bytes they stand for, as the first six of eight (the caller
/// writes all eight where the next two are overwritten or unused); `None` if one has no value.
/// Branch-free but for the one test: what makes reading a token's text cheap.
#[inline(always)]
pub(crate) fn eight(chunk: &[u8; 8], values: &[u8; 256]) -> Option<[u8; 8]> {
    // A `u8` indexes all 256 values: the fallback (no value) is never taken.
    let v = |c: u8| u64::from(values.get(usize::from(c)).copied().unwrap_or(0xff));
    let &[a, b, c, d, e, f, g, h] = chunk;
    let (a, b, c, d, e, f, g, h) = (v(a), v(b), v(c), v(d), v(e), v(f), v(g), v(h));
    let n = a << 58 | b << 52 | c << 46 | d << 40 | e << 34 | f << 28 | g << 22 | h << 16;
    ((a | b | c | d | e | f | g | h) < 64).then_some(n.to_be_bytes())
}

/// The most bytes `len` characters of base64 can decode to (the size [`decode_into`] needs).
pub(crate) fn decoded_len(len: usize) -> usize {
    len.div_ceil(4).saturating_mul(3)
}

/// Decodes either alphabet (but not both mixed), with or without `=` padding. Non-canonical
/// trailing bits are refused, so one token has one text form per alphabet.
pub(crate) fn decode(text: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = alloc::vec![0; decoded_len(text.len())];
    let len = decode_into(text, &mut out)?;
    out.truncate(len);
    Ok(out)
}

/// [`decode`] into `out`, which must hold [`decoded_len`] bytes: the number of bytes decoded.
///
/// The url-safe alphabet is tried first (what every implementation writes); only text that fails
/// on a `+` or `/` is decoded again with the standard alphabet, so the common case scans once.
pub(crate) fn decode_into(text: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    match URL_READ.decode_slice(text, out) {
        Err(DecodeSliceError::DecodeError(base64::DecodeError::InvalidByte(
            offset,
            b'+' | b'/',
        ))) => match text.iter().position(|&b| b == b'-' || b == b'_') {
            Some(url) => Err(Error::Base64 {
                offset: offset.max(url),
                problem: "mixes the url-safe and the standard alphabet",
            }),
            None => STD_READ.decode_slice(text, out).map_err(|e| describe(e, text.len())),
        },
        result => result.map_err(|e| describe(e, text.len())),
    }
}

fn describe(error: DecodeSliceError, len: usize) -> Error {
    let error = match error {
        DecodeSliceError::DecodeError(error) => error,
        // The callers size `out` with `decoded_len`, which is `base64`'s own estimate.
        DecodeSliceError::OutputSliceTooSmall => {
            return Error::LimitExceeded { limit: Limit::TokenLength, max: len, found: len };
        }
    };
    match error {
        base64::DecodeError::InvalidByte(offset, _) => {
            Error::Base64 { offset, problem: "character outside the base64 alphabet" }
        }
        base64::DecodeError::InvalidLength(offset) => {
            Error::Base64 { offset, problem: "length is not a possible base64 length (truncated?)" }
        }
        base64::DecodeError::InvalidLastSymbol { offset, .. } => Error::Base64 {
            offset,
            problem: "last character has stray bits (truncated or altered?)",
        },
        base64::DecodeError::InvalidPadding => {
            Error::Base64 { offset: len, problem: "wrong padding" }
        }
    }
}
