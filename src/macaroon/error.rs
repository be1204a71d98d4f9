//! The engine's error type.

use alloc::string::String;
use core::fmt;

use crate::text::Quoted;

/// Which configured [`Limits`](super::Limits) bound a token exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_token_len`](super::Limits::max_token_len): the size of the token's text or bytes.
    TokenLength,
    /// [`Limits::max_caveats`](super::Limits::max_caveats): the number of caveats.
    CaveatCount,
    /// [`Limits::max_field_len`](super::Limits::max_field_len): one field (location, identifier,
    /// caveat id, verification id, caveat location).
    FieldLength,
    /// [`Limits::max_discharges`](super::Limits::max_discharges): the number of discharge
    /// macaroons given with a macaroon.
    DischargeCount,
    /// [`Limits::max_discharge_depth`](super::Limits::max_discharge_depth): how deep discharges
    /// for the third-party caveats of discharges nest.
    DischargeDepth,
}

impl Limit {
    fn describe(self) -> &'static str {
        match self {
            Limit::TokenLength => "token length",
            Limit::CaveatCount => "caveat count",
            Limit::FieldLength => "field length",
            Limit::DischargeCount => "discharge count",
            Limit::DischargeDepth => "discharge depth",
        }
    }
}

/// One macaroon of a request: the authorizing macaroon, or one of the discharges given with it
/// (by its position in the slice passed to the verifier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacaroonRef {
    /// The authorizing macaroon (the one verified with the root key).
    Authorizing,
    /// The discharge at this position (0-based) of the discharges given.
    Discharge(usize),
}

impl fmt::Display for MacaroonRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MacaroonRef::Authorizing => f.write_str("the authorizing macaroon"),
            MacaroonRef::Discharge(i) => write!(f, "discharge {i}"),
        }
    }
}

/// Everything that can go wrong reading, writing or verifying a macaroon.
///
/// Parse errors name what was being read (`reading`) and where (`offset`, in bytes of the
/// decoded token, or in characters of the text for base64 errors). A wrong signature is a single
/// opaque [`Error::InvalidSignature`]; which caveat or discharge failed is only reported once the
/// authorizing macaroon's signature is known to be authentic (and a first-party caveat only once
/// every discharge is known authentic too).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The input is larger than a configured limit allows; nothing was allocated for it.
    LimitExceeded {
        /// The limit that was exceeded.
        limit: Limit,
        /// The configured maximum.
        max: usize,
        /// The size found (or at least this much).
        found: usize,
    },
    /// The token text is empty.
    Empty,
    /// The token text is not valid base64 (url or standard alphabet, padded or not).
    Base64 {
        /// Character offset in the text (after un-escaping the Onezone form).
        offset: usize,
        /// What is wrong there.
        problem: &'static str,
    },
    /// The decoded bytes start like no known format (V1 starts with a hex digit, V2 with `0x02`,
    /// JSON with `{`).
    UnknownFormat {
        /// The first byte of the decoded token.
        first_byte: u8,
    },
    /// The token ended while `reading` was still expected.
    Truncated {
        /// What was being read.
        reading: &'static str,
        /// Byte offset where the data ran out.
        offset: usize,
    },
    /// A part of the token is not well formed.
    Malformed {
        /// What was being read.
        reading: &'static str,
        /// Byte offset of the offending part.
        offset: usize,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// Bytes follow the signature.
    TrailingBytes {
        /// Byte offset of the first extra byte.
        offset: usize,
    },
    /// The JSON form could not be read.
    Json {
        /// What is wrong, as the JSON reader words it (with line and column).
        message: String,
    },
    /// A field cannot be written in the requested format (e.g. a V1 packet over 65535 bytes).
    Unencodable {
        /// The field that does not fit.
        field: &'static str,
        /// Why.
        problem: &'static str,
    },
    /// The signature does not match: wrong key, or the token was altered. Deliberately says no more.
    InvalidSignature,
    /// The signature is authentic, but a first-party caveat is not satisfied.
    CaveatNotSatisfied {
        /// Position of the caveat (0-based, over all caveats).
        index: usize,
        /// The caveat's predicate (lossy UTF-8).
        predicate: String,
    },
    /// A third-party caveat has no discharge among those given (no discharge's identifier is the
    /// caveat id).
    DischargeMissing {
        /// The macaroon holding the caveat.
        holder: MacaroonRef,
        /// Position of the caveat (0-based, over all caveats of `holder`).
        index: usize,
    },
    /// A third-party caveat's verification id does not open with the chain's signature: it is
    /// truncated, altered, or was not sealed for this chain (another signature or nonce).
    VerificationIdInvalid {
        /// The macaroon holding the caveat.
        holder: MacaroonRef,
        /// Position of the caveat (0-based, over all caveats of `holder`).
        index: usize,
    },
    /// A discharge's signature is not its chain under the key sealed in the caveat, bound to the
    /// authorizing macaroon: it was altered, minted with another key, or bound to another macaroon.
    DischargeInvalidSignature {
        /// Position of the discharge among those given.
        discharge: usize,
    },
    /// A discharge is authentic but was not bound to the authorizing macaroon
    /// ([`Macaroon::prepare_for_request`](super::Macaroon::prepare_for_request)).
    DischargeNotBound {
        /// Position of the discharge among those given.
        discharge: usize,
    },
    /// A discharge would discharge a second caveat; each discharge is used at most once.
    DischargeReused {
        /// Position of the discharge among those given.
        discharge: usize,
        /// The macaroon holding the second caveat.
        holder: MacaroonRef,
        /// Position of the second caveat (0-based, over all caveats of `holder`).
        index: usize,
    },
    /// A discharge needs itself, directly or through other discharges.
    DischargeCycle {
        /// Position of the discharge among those given.
        discharge: usize,
    },
    /// A discharge given is the authorizing macaroon itself (same identifier and caveats).
    DischargeIsAuthorizing {
        /// Position of the discharge among those given.
        discharge: usize,
    },
    /// A discharge given discharges no caveat of the request.
    DischargeUnused {
        /// Position of the discharge among those given.
        discharge: usize,
    },
    /// Every signature is authentic, but a first-party caveat of a discharge is not satisfied.
    DischargeCaveatNotSatisfied {
        /// Position of the discharge among those given.
        discharge: usize,
        /// Position of the caveat (0-based, over all caveats of the discharge).
        index: usize,
        /// The caveat's predicate (lossy UTF-8).
        predicate: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LimitExceeded { limit, max, found } => write!(
                f,
                "token exceeds the {} limit: {found} is more than the maximum {max}",
                limit.describe()
            ),
            Error::Empty => f.write_str("the token is empty"),
            Error::Base64 { offset, problem } => {
                write!(f, "the token is not valid base64 at character {offset}: {problem}")
            }
            Error::UnknownFormat { first_byte } => write!(
                f,
                "the token is in no known macaroon format (decoded first byte 0x{first_byte:02x}; \
                 expected a V1 packet length, V2 version byte 0x02 or JSON)"
            ),
            Error::Truncated { reading, offset } => {
                write!(
                    f,
                    "the token is truncated: it ends at byte {offset} while reading the {reading}"
                )
            }
            Error::Malformed { reading, offset, problem } => {
                write!(f, "malformed {reading} at byte {offset}: {problem}")
            }
            Error::TrailingBytes { offset } => {
                write!(f, "unexpected bytes after the signature, from byte {offset}")
            }
            Error::Json { message } => {
                write!(f, "invalid JSON macaroon: {}", Quoted::long(message))
            }
            Error::Unencodable { field, problem } => {
                write!(f, "cannot encode the {field}: {problem}")
            }
            Error::InvalidSignature => f.write_str("the token's signature is invalid"),
            Error::CaveatNotSatisfied { index, predicate } => {
                write!(f, "caveat {index} is not satisfied: {}", Quoted::short(predicate))
            }
            Error::DischargeMissing { holder, index } => write!(
                f,
                "caveat {index} of {holder} is a third-party caveat and no discharge macaroon for it \
                 was given"
            ),
            Error::VerificationIdInvalid { holder, index } => write!(
                f,
                "the verification id of third-party caveat {index} of {holder} cannot be opened: \
                 it is truncated, altered or sealed for another chain"
            ),
            Error::DischargeInvalidSignature { discharge } => write!(
                f,
                "the signature of discharge {discharge} is invalid: it was altered, minted with \
                 another key, or bound to another macaroon"
            ),
            Error::DischargeNotBound { discharge } => write!(
                f,
                "discharge {discharge} is not bound to the authorizing macaroon (prepare it for \
                 the request first)"
            ),
            Error::DischargeReused { discharge, holder, index } => write!(
                f,
                "discharge {discharge} is used a second time, for caveat {index} of {holder}; a \
                 discharge discharges one caveat"
            ),
            Error::DischargeCycle { discharge } => {
                write!(f, "discharge {discharge} requires itself (cyclic discharges)")
            }
            Error::DischargeIsAuthorizing { discharge } => {
                write!(f, "discharge {discharge} is the authorizing macaroon itself")
            }
            Error::DischargeUnused { discharge } => {
                write!(f, "discharge {discharge} discharges no caveat of the request")
            }
            Error::DischargeCaveatNotSatisfied { discharge, index, predicate } => {
                write!(f, "caveat {index} of discharge {discharge} is not satisfied: {predicate}")
            }
        }
    }
}

impl core::error::Error for Error {}
