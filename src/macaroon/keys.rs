//! Secret material: the root secret, the derived key and signatures.
//!
//! None of these types is `Copy`, none derives `Debug` (the hand-written impls print
//! `***OMITTED***`), equality is constant-time and the bytes are zeroized on drop.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use alloc::vec::Vec;

use super::mac::MacKey;

/// Length in bytes of a derived key and of a signature (HMAC-SHA256 output).
pub const KEY_LEN: usize = 32;

/// The secret a server keeps for a family of macaroons.
///
/// It is never used directly as a MAC key: [`RootKey::derive`] turns it into the 32-byte key
/// libmacaroons uses. Any length is accepted.
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps secret bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Secret(Zeroizing::new(bytes.into()))
    }

    /// The secret bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Derives the macaroon root key from this secret (see [`RootKey::derive`]).
    pub fn derive_key(&self) -> RootKey {
        RootKey::derive(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***OMITTED***)")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for Secret {}

/// The 32-byte key that signs a macaroon's identifier, derived from a root secret as libmacaroons
/// does: `HMAC-SHA256(key = "macaroons-key-generator", msg = secret)`.
///
/// Derive it once and keep it to mint many macaroons without re-deriving.
///
/// A `RootKey` also keeps the `hmac` crate's keyed state (cloned for each use, wiped on drop), so
/// signing with a kept key skips the keying.
///
/// ```
/// use onezone_tokens::macaroon::{Encoding, Format, Macaroon, RootKey};
///
/// // Derived once from the token's secret, as libmacaroons derives it, then kept.
/// let key = RootKey::derive(b"this is our super secret key; only we should know it");
/// let mut m = Macaroon::new(&key, b"we used our secret key").with_location(b"http://mybank/");
/// m.add_first_party_caveat(b"account = 3735928559");
/// let token = m.serialize(Format::V1, Encoding::Base64Url)?;
///
/// let read = Macaroon::deserialize(&token)?;
/// read.verify(&key, &mut |caveat: &[u8]| caveat == b"account = 3735928559")?;
/// assert_eq!(format!("{key:?}"), "RootKey(***OMITTED***)");
/// # Ok::<(), onezone_tokens::macaroon::Error>(())
/// ```
pub struct RootKey {
    bytes: [u8; KEY_LEN],
    mac: MacKey,
}

impl RootKey {
    /// Derives the key from a root secret of any length.
    pub fn derive(secret: &[u8]) -> Self {
        let mut bytes = MacKey::derive(secret);
        let key = Self::from_derived(bytes);
        bytes.zeroize();
        key
    }

    /// Uses 32 bytes that were already derived (by this crate or another implementation) as the key.
    pub fn from_derived(bytes: [u8; KEY_LEN]) -> Self {
        RootKey { mac: MacKey::new(&bytes), bytes }
    }

    /// The derived key bytes.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.bytes
    }

    /// Derives a 32-byte secret for `label` from this key: `HMAC-SHA256(key, label)`.
    ///
    /// Lets a server keep one master secret and compute per-token secrets instead of storing them.
    /// Different labels give independent secrets.
    pub fn derive_secret(&self, label: &[u8]) -> Secret {
        let mut out = self.mac.mac(&[label]);
        let secret = Secret::new(out.to_vec());
        out.zeroize();
        secret
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey(***OMITTED***)")
    }
}

impl PartialEq for RootKey {
    fn eq(&self, other: &Self) -> bool {
        self.bytes.ct_eq(&other.bytes).into()
    }
}
impl Eq for RootKey {}

// `MacKey` (the `hmac` crate's state) wipes itself on drop.
impl Drop for RootKey {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}
impl ZeroizeOnDrop for RootKey {}

/// A macaroon signature: the last link of the HMAC chain.
///
/// Whoever holds it can add caveats, so it is treated as a secret: redacted `Debug`,
/// constant-time equality, zeroized on drop.
pub struct Signature([u8; KEY_LEN]);

impl Signature {
    /// Wraps 32 signature bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Signature(bytes)
    }

    /// Wraps a slice that must be exactly 32 bytes long.
    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        let array: [u8; KEY_LEN] = bytes.try_into().ok()?;
        Some(Signature(array))
    }

    /// The signature bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// The signature as 64 lowercase hex digits.
    pub fn to_hex(&self) -> alloc::string::String {
        base16ct::lower::encode_string(&self.0)
    }

    /// The next link of the chain for a first-party caveat: `HMAC(self, predicate)`.
    pub(crate) fn chain(&self, predicate: &[u8]) -> Signature {
        Signature(MacKey::new(&self.0).mac_once(&[predicate]))
    }

    /// The next link of the chain for a third-party caveat, as libmacaroons:
    /// `HMAC(self, HMAC(self, vid) || HMAC(self, cid))`.
    pub(crate) fn chain_third_party(&self, vid: &[u8], cid: &[u8]) -> Signature {
        let key = MacKey::new(&self.0);
        let a = Zeroizing::new(key.mac(&[vid]));
        let b = Zeroizing::new(key.mac(&[cid]));
        Signature(key.mac_once(&[&a[..], &b[..]]))
    }
}

impl RootKey {
    /// The first link of the chain: `HMAC(key, identifier)`.
    pub(crate) fn sign_identifier(&self, identifier: &[u8]) -> Signature {
        Signature(self.mac.mac(&[identifier]))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(***OMITTED***)")
    }
}

impl PartialEq for Signature {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}
impl Eq for Signature {}

// Cloning is explicit (signatures are secrets and deliberately not `Copy`).
impl Clone for Signature {
    fn clone(&self) -> Self {
        Signature(self.0)
    }
}

impl Drop for Signature {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}
impl ZeroizeOnDrop for Signature {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn debug_never_prints_secret_bytes() {
        let secret = Secret::new(&b"hunter2"[..]);
        let key = secret.derive_key();
        let sig = key.sign_identifier(b"id");
        for text in [format!("{secret:?}"), format!("{key:?}"), format!("{sig:?}")] {
            assert!(text.contains("***OMITTED***"), "{text}");
            assert!(!text.contains("hunter2"));
            assert!(!text.contains(&sig.to_hex()[..8]));
        }
    }

    #[test]
    fn equality_is_by_value() {
        assert_eq!(RootKey::derive(b"a"), RootKey::derive(b"a"));
        assert_ne!(RootKey::derive(b"a"), RootKey::derive(b"b"));
        let key = RootKey::derive(b"a");
        assert_ne!(key.sign_identifier(b"x"), key.sign_identifier(b"y"));
    }
}
