//! What a token says, unverified, as one JSON shape: the body of Onezone's `POST /tokens/examine`
//! in the reference server and the output of the token CLI's `inspect`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::Value;

use crate::macaroon::{Format, Macaroon};

use super::caveat::Caveat;
use super::identifier::TokenIdentifier;
use super::verify::{TokenCaveat, UnverifiedToken};

/// A description of a token, nothing in it verified: what `POST /tokens/examine` answers.
///
/// Serialized (serde) as
/// `{"format", "escaped", "location", "identifier", "identifierFields", "caveats", "signature",
/// "verified"}`: `identifierFields` is [`TokenIdentifier::fields_json`] (null for an identifier
/// that is not Onezone's), each caveat a [`CaveatDescription`], `signature` the signature in hex
/// (the holder of the token has it anyway), `verified` always `false`.
///
/// ```
/// use onezone_tokens::token::{TokenError, UnverifiedToken};
///
/// let token = UnverifiedToken::parse(
///     "MDAyMGxvY2F00aW9uIGRvbWFpbi5leGFtcGxlLmNvbQowMDU4aWRlbnRpZmllciAyL25tZC91c3ItaW52aXRhdGlvbi1zZW5kZXIvdWpnOkdyb3VwSWQ6LzEyMzQ1Njc4OTBleGFtcGxlLWlkMTIzNDU2Nzg5MGUKMDAyZnNpZ25hdHVyZSAZ9fnn2KhoiG2TYBxVhRllfTxiFK7wpdMQoJQaJNo4sQo",
/// )?;
/// let json = serde_json::to_value(token.describe()).unwrap();
/// assert_eq!(json["format"], "v1");
/// assert_eq!(json["escaped"], true);
/// assert_eq!(json["location"], "domain.example.com");
/// assert_eq!(json["identifierFields"]["subject"], serde_json::json!({"type": "user", "id": "invitation-sender"}));
/// assert_eq!(json["caveats"], serde_json::json!([]));
/// assert_eq!(json["verified"], false);
/// # Ok::<(), TokenError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TokenDescription {
    /// The format it was read in: `v1`, `v2` or `v2json`.
    pub format: &'static str,
    /// Whether its text was Onezone-escaped.
    pub escaped: bool,
    /// Its location (not signed), UTF-8 with invalid bytes replaced.
    pub location: Option<String>,
    /// Its identifier, UTF-8 with invalid bytes replaced.
    pub identifier: String,
    /// What an Onezone identifier says, or `None` (null) for any other identifier.
    pub identifier_fields: Option<Value>,
    /// Its caveats, in order.
    pub caveats: Vec<CaveatDescription>,
    /// Its signature, 64 lowercase hex digits.
    pub signature: String,
    /// Always `false`: nothing here was checked.
    pub verified: bool,
}

/// One caveat of a [`TokenDescription`]:
/// `{"caveat", "json"[, "error"][, "verificationId", "location"[, "discharge"]]}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CaveatDescription {
    /// The caveat id as text (UTF-8, invalid bytes replaced): a first-party caveat's predicate.
    pub caveat: String,
    /// Onezone's JSON form of a first-party caveat Onezone knows; `None` (null) otherwise.
    pub json: Option<Caveat>,
    /// Why a first-party caveat is not one Onezone knows (absent when it is, and for third-party
    /// caveats).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// A third-party caveat's verification id, base64url (absent for first-party caveats).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification_id: Option<String>,
    /// A third-party caveat's location (absent for first-party caveats; null when it has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Option<String>>,
    /// For a third-party caveat, when discharges were given to match it: the one whose
    /// identifier is the caveat id (null when none is). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discharge: Option<Option<DischargeMatch>>,
}

/// The discharge found for a third-party caveat (see [`CaveatDescription::discharge`]):
/// `{"index", "bound"[, "reason"]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DischargeMatch {
    /// Its position among the discharges given.
    pub index: usize,
    /// Whether it is bound to this token (checked with the root key), or `None` (null) when no
    /// key was given: binding cannot be checked without it.
    pub bound: Option<bool>,
    /// Why it is not bound, when `bound` is `Some(false)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl DischargeMatch {
    /// The discharge at `index`, and whether it is bound (`None`: not checked), with the reason
    /// when it is not.
    pub fn new(index: usize, bound: Option<bool>, reason: Option<String>) -> Self {
        DischargeMatch { index, bound, reason }
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

impl TokenDescription {
    /// Describes any macaroon (Onezone's or not), read in `format`, `escaped` or not.
    pub fn of_macaroon(m: &Macaroon<'_>, format: Format, escaped: bool) -> Self {
        let caveats = m
            .caveats()
            .iter()
            .map(|c| match c.verification_id() {
                None => match TokenCaveat::read(c.id()) {
                    TokenCaveat::Known(caveat) => CaveatDescription {
                        caveat: caveat.to_string(),
                        json: Some(caveat),
                        error: None,
                        verification_id: None,
                        location: None,
                        discharge: None,
                    },
                    TokenCaveat::Unknown { text, error } => CaveatDescription {
                        caveat: text,
                        json: None,
                        error: Some(error.to_string()),
                        verification_id: None,
                        location: None,
                        discharge: None,
                    },
                },
                Some(vid) => CaveatDescription {
                    caveat: lossy(c.id()),
                    json: None,
                    error: None,
                    verification_id: Some(URL_SAFE_NO_PAD.encode(vid)),
                    location: Some(c.location().map(lossy)),
                    discharge: None,
                },
            })
            .collect();
        TokenDescription {
            format: format.name(),
            escaped,
            location: m.location().map(lossy),
            identifier: lossy(m.identifier()),
            identifier_fields: TokenIdentifier::parse_bytes(m.identifier())
                .ok()
                .map(|id| id.fields_json()),
            caveats,
            signature: m.signature().to_hex(),
            verified: false,
        }
    }
}

impl UnverifiedToken {
    /// What the token says, unverified (see [`TokenDescription`]).
    pub fn describe(&self) -> TokenDescription {
        TokenDescription::of_macaroon(&self.macaroon(), self.format(), self.escaped())
    }
}
