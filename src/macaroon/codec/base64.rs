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
pub(crate) fn decode(text: &[u8]) -> Result<Vec<u8>, Error> {
    let url = text.iter().position(|&b| b == b'-' || b == b'_');
    let std = text.iter().position(|&b| b == b'+' || b == b'/');
    let engine = match (url, std) {
        (Some(a), Some(b)) => {
            return Err(Error::Base64 {
                offset: a.max(b),
                problem: "mixes the url-safe and the standard alphabet",
            });
        }
        (None, Some(_)) => &STD_READ,
        _ => &URL_READ,
    };
    engine.decode(text).map_err(|e| match e {
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
            Error::Base64 { offset: text.len(), problem: "wrong padding" }
        }
    })
}
