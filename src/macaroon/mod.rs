//! The macaroon engine: bytes <-> macaroon, the HMAC chain and verification.
//!
//! This layer knows nothing of Onezone. It reads and writes the V1, V2 and V2 JSON formats of
//! libmacaroons (and the dialects of pymacaroons, go-macaroon and the `macaroon` crate), signs
//! with the libmacaroons chain, adds third-party caveats and binds their discharges as
//! libmacaroons does, and verifies with a caller-supplied caveat checker (and the discharges:
//! [`Macaroon::verify_with_discharges`]).
//!
//! A server that verifies a token on every request reads it in place instead:
//! [`verify_token`] and [`with_token`] decode the text into a stack buffer and walk its packets
//! where they lie ([`MacaroonView`]), running the HMAC chain from the kept key without building
//! a [`Macaroon`] or allocating; the owned [`Macaroon`] is for minting and inspecting.
//!
//! ```
//! use onezone_tokens::macaroon::{Encoding, Format, Macaroon, RootKey};
//!
//! let key = RootKey::derive(b"this is the key");
//! let mut m = Macaroon::new(&key, b"keyid").with_location(b"http://example.org/");
//! m.add_first_party_caveat(b"account = 3735928559");
//! let token = m.serialize(Format::V1, Encoding::Base64Url)?;
//!
//! let parsed = Macaroon::deserialize(&token)?;
//! parsed.verify(&key, &mut |caveat: &[u8]| caveat == b"account = 3735928559")?;
//! # Ok::<(), onezone_tokens::macaroon::Error>(())
//! ```

mod codec;
mod error;
mod keys;
mod limits;
mod mac;
mod third_party;
mod verify;
mod view;

use alloc::borrow::Cow;
use alloc::vec::Vec;

pub use codec::{DecodedToken, Encoding, Format, decode_text, verify_token, with_token};
pub use error::{Error, Limit, MacaroonRef};
pub use keys::{KEY_LEN, RootKey, Secret, Signature};
pub use limits::Limits;
pub use verify::CaveatChecker;
pub use view::{FieldsText, MacaroonBytes, MacaroonView, ViewCaveats};

/// A macaroon: location, identifier, caveats and signature.
///
/// The lifetime lets a macaroon borrow its fields from the bytes it was parsed from (no copy
/// per field); [`Macaroon::into_owned`] detaches it. A `Macaroon` is not trusted: only
/// [`Macaroon::verify`] says whether it is authentic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Macaroon<'a> {
    location: Option<Cow<'a, [u8]>>,
    identifier: Cow<'a, [u8]>,
    caveats: Vec<RawCaveat<'a>>,
    signature: Signature,
}

/// One caveat as the engine sees it: bytes, meaning nothing yet (the Onezone meaning of a
/// first-party caveat is [`token::Caveat`](crate::token::Caveat)). First-party caveats have only
/// an identifier (the predicate); third-party caveats also have a verification id and usually a
/// location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCaveat<'a> {
    id: Cow<'a, [u8]>,
    verification_id: Option<Cow<'a, [u8]>>,
    location: Option<Cow<'a, [u8]>>,
}

fn owned(cow: Cow<'_, [u8]>) -> Cow<'static, [u8]> {
    Cow::Owned(cow.into_owned())
}

/// An empty location means "no location" in every format (libmacaroons omits it in V2 and JSON
/// and writes an empty V1 packet), so both read back as `None`.
fn non_empty(location: Option<Cow<'_, [u8]>>) -> Option<Cow<'_, [u8]>> {
    location.filter(|l| !l.is_empty())
}

impl<'a> RawCaveat<'a> {
    /// A first-party caveat with this predicate.
    pub fn first_party(predicate: impl Into<Cow<'a, [u8]>>) -> Self {
        RawCaveat { id: predicate.into(), verification_id: None, location: None }
    }

    /// A third-party caveat (see [`Macaroon::add_third_party_caveat`] to create one).
    pub(crate) fn third_party(
        id: Cow<'a, [u8]>,
        verification_id: Cow<'a, [u8]>,
        location: Option<Cow<'a, [u8]>>,
    ) -> Self {
        RawCaveat { id, verification_id: Some(verification_id), location: non_empty(location) }
    }

    /// The caveat identifier: the predicate of a first-party caveat; for a third-party caveat,
    /// what the third party reads (and the identifier of its discharge).
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// The verification id, present only on third-party caveats.
    pub fn verification_id(&self) -> Option<&[u8]> {
        self.verification_id.as_deref()
    }

    /// The location of a third-party caveat.
    pub fn location(&self) -> Option<&[u8]> {
        self.location.as_deref()
    }

    /// Whether this is a first-party caveat (no verification id).
    pub fn is_first_party(&self) -> bool {
        self.verification_id.is_none()
    }

    /// Detaches the caveat from the bytes it borrows.
    pub fn into_owned(self) -> RawCaveat<'static> {
        RawCaveat {
            id: owned(self.id),
            verification_id: self.verification_id.map(owned),
            location: self.location.map(owned),
        }
    }
}

impl<'a> Macaroon<'a> {
    /// Mints a macaroon without location: the signature is `HMAC(key, identifier)`.
    pub fn new(key: &RootKey, identifier: impl Into<Cow<'a, [u8]>>) -> Self {
        let identifier = identifier.into();
        let signature = key.sign_identifier(&identifier);
        Macaroon { location: None, identifier, caveats: Vec::new(), signature }
    }

    /// Sets the location. It is a hint only and not signed, so it can be changed at any time;
    /// an empty location is the same as none.
    pub fn with_location(mut self, location: impl Into<Cow<'a, [u8]>>) -> Self {
        self.location = non_empty(Some(location.into()));
        self
    }

    /// Assembles a macaroon from parts read off the wire (no signing).
    pub(crate) fn from_parts(
        location: Option<Cow<'a, [u8]>>,
        identifier: Cow<'a, [u8]>,
        caveats: Vec<RawCaveat<'a>>,
        signature: Signature,
    ) -> Self {
        Macaroon { location: non_empty(location), identifier, caveats, signature }
    }

    /// Adds a first-party caveat. Anyone holding the macaroon can do this (no secret needed);
    /// it can only narrow what the macaroon allows.
    pub fn add_first_party_caveat(&mut self, predicate: impl Into<Cow<'a, [u8]>>) {
        let predicate = predicate.into();
        self.signature = self.signature.chain(&predicate);
        self.caveats.push(RawCaveat::first_party(predicate));
    }

    /// The location, if any. It is a hint only: it is not covered by the signature.
    pub fn location(&self) -> Option<&[u8]> {
        self.location.as_deref()
    }

    /// The identifier the server uses to find the root secret.
    pub fn identifier(&self) -> &[u8] {
        &self.identifier
    }

    /// The caveats, in order.
    pub fn caveats(&self) -> &[RawCaveat<'a>] {
        &self.caveats
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Detaches the macaroon from the bytes it borrows.
    pub fn into_owned(self) -> Macaroon<'static> {
        Macaroon {
            location: self.location.map(owned),
            identifier: owned(self.identifier),
            caveats: self.caveats.into_iter().map(RawCaveat::into_owned).collect(),
            signature: self.signature,
        }
    }
}
