//! Base64 as macaroon implementations write it: read url-safe or standard, padded or not;
//! write url-safe without padding.

use alloc::string::String;
use alloc::vec::Vec;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine};

use crate::macaroon::Error;

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

/// Decodes either alphabet (but not both mixed), with or without `=` padding. Non-canonical
/// trailing bits are refused, so one token has one text form per alphabet.
///
/// The url-safe alphabet is tried first (what every implementation writes); only text that fails
/// on a `+` or `/` is decoded again with the standard alphabet, so the common case scans once.
pub(crate) fn decode(text: &[u8]) -> Result<Vec<u8>, Error> {
    match URL_READ.decode(text) {
        Err(base64::DecodeError::InvalidByte(offset, b'+' | b'/')) => {
            match text.iter().position(|&b| b == b'-' || b == b'_') {
                Some(url) => Err(Error::Base64 {
                    offset: offset.max(url),
                    problem: "mixes the url-safe and the standard alphabet",
                }),
                None => STD_READ.decode(text).map_err(|e| describe(e, text.len())),
            }
        }
        result => result.map_err(|e| describe(e, text.len())),
    }
}

fn describe(error: base64::DecodeError, len: usize) -> Error {
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
