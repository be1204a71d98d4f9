//! Third-party caveats and discharges, as libmacaroons builds them.
//!
//! A third-party caveat delegates a check to another service. Its verification id is the
//! caveat's key (derived as a root key is) sealed with NaCl `crypto_secretbox` (XSalsa20-Poly1305)
//! under the signature before the caveat, written as `nonce || tag || ciphertext` (72 bytes). The
//! third party mints a *discharge* macaroon with the same key and the caveat id as its identifier;
//! before a request, the holder binds each discharge to the authorizing macaroon's signature:
//! `HMAC(0^32, HMAC(0^32, root_sig) || HMAC(0^32, discharge_sig))`.

use alloc::borrow::Cow;

use crypto_secretbox::aead::{AeadInPlace, KeyInit};
use crypto_secretbox::{Key, Nonce, Tag, XSalsa20Poly1305};
use rand_core::CryptoRng;
use zeroize::{Zeroize, Zeroizing};

use super::{KEY_LEN, Macaroon, RawCaveat, RootKey, Signature};

/// Length of the secretbox nonce that starts a verification id.
pub(crate) const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag after the nonce.
const TAG_LEN: usize = 16;
/// Length of a verification id: nonce, tag and the sealed 32-byte key.
pub(crate) const VID_LEN: usize = NONCE_LEN + TAG_LEN + KEY_LEN;

/// The secretbox keyed with a chain signature. `SecretBox` zeroizes its key copy on drop; the
/// `Key` array built here is wiped before returning.
fn secretbox(sig: &Signature) -> XSalsa20Poly1305 {
    let mut key = Key::from(*sig.as_bytes());
    let cipher = XSalsa20Poly1305::new(&key);
    key.as_mut_slice().zeroize();
    cipher
}

/// Seals `key` under `sig` with `nonce`: `nonce || tag || ciphertext`, as libmacaroons writes it.
pub(crate) fn seal(sig: &Signature, key: &[u8; KEY_LEN], nonce: [u8; NONCE_LEN]) -> [u8; VID_LEN] {
    let mut sealed = Zeroizing::new(*key);
    // Encryption fails only with associated data, and there is none. Should it fail anyway, the
    // zero tag makes a verification id that never opens: the caveat fails closed.
    let tag = secretbox(sig)
        .encrypt_in_place_detached(&Nonce::from(nonce), b"", &mut sealed[..])
        .unwrap_or_default();
    let mut vid = [0u8; VID_LEN];
    let (n, rest) = vid.split_at_mut(NONCE_LEN);
    let (t, c) = rest.split_at_mut(TAG_LEN);
    n.copy_from_slice(&nonce);
    t.copy_from_slice(&tag);
    c.copy_from_slice(&sealed[..]);
    vid
}

/// Opens a verification id sealed under `sig`: the caveat key's bytes, or `None` if the id is
/// not exactly 72 bytes or its tag does not match (checked in constant time by the secretbox).
pub(crate) fn open(sig: &Signature, vid: &[u8]) -> Option<RootKey> {
    let (nonce, rest) = vid.split_first_chunk::<NONCE_LEN>()?;
    let (tag, sealed) = rest.split_first_chunk::<TAG_LEN>()?;
    let sealed: &[u8; KEY_LEN] = sealed.try_into().ok()?;
    let mut key = Zeroizing::new(*sealed);
    secretbox(sig)
        .decrypt_in_place_detached(&Nonce::from(*nonce), b"", &mut key[..], &Tag::from(*tag))
        .ok()?;
    Some(RootKey::from_derived(*key))
}

impl<'a> Macaroon<'a> {
    /// Adds a third-party caveat: the holder of a discharge macaroon minted with `caveat_key` and
    /// identifier `caveat_id` (see [`Macaroon::discharge`]) satisfies it.
    ///
    /// `caveat_key` is the key shared with the third party, derived as a root key is
    /// ([`RootKey::derive`] of the secret, as libmacaroons and pymacaroons derive theirs). It is
    /// sealed in the caveat's verification id under the current signature with a fresh 24-byte
    /// nonce from `rng`; `caveat_id` must let the third party recover the key and the condition
    /// to check (e.g. the key encrypted to the third party, or a reference to it). `location`
    /// says where the third party is (a hint; not signed). Anyone holding the macaroon can add
    /// one; it can only narrow what the macaroon allows.
    ///
    /// `rng` is any [`CryptoRng`] of `rand_core` 0.10 ([`crate::rand_core`]), e.g. `rand` 0.10's
    /// `rand::rng()`.
    pub fn add_third_party_caveat<R: CryptoRng + ?Sized>(
        &mut self,
        location: impl Into<Cow<'a, [u8]>>,
        caveat_key: &RootKey,
        caveat_id: impl Into<Cow<'a, [u8]>>,
        rng: &mut R,
    ) {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let vid = seal(&self.signature, caveat_key.expose(), nonce);
        let caveat_id = caveat_id.into();
        self.signature = self.signature.chain_third_party(&vid, &caveat_id);
        self.caveats.push(RawCaveat::third_party(
            caveat_id,
            Cow::Owned(vid.to_vec()),
            Some(location.into()),
        ));
    }

    /// Mints a discharge macaroon: the third party's answer to a caveat with id `caveat_id`
    /// sealed with `caveat_key`. The same as [`Macaroon::new`] (the caveat id is the discharge's
    /// identifier), named for the role.
    ///
    /// The third party may add first-party caveats (checked by the same checker as the
    /// authorizing macaroon's) and third-party caveats of its own. Before it is sent with a
    /// request, the holder binds it with [`Macaroon::prepare_for_request`].
    pub fn discharge(caveat_key: &RootKey, caveat_id: impl Into<Cow<'a, [u8]>>) -> Self {
        Macaroon::new(caveat_key, caveat_id)
    }

    /// Binds a discharge to this (authorizing) macaroon for a request, as libmacaroons'
    /// `macaroon_prepare_for_request`: the copy's signature becomes
    /// `HMAC(0^32, HMAC(0^32, self.signature) || HMAC(0^32, discharge.signature))`, so the
    /// discharge cannot be used with another macaroon. Bind every discharge, nested ones
    /// included, to the authorizing macaroon, and bind each exactly once.
    pub fn prepare_for_request<'d>(&self, discharge: &Macaroon<'d>) -> Macaroon<'d> {
        let mut bound = discharge.clone();
        bound.signature = bind(&self.signature, &discharge.signature);
        bound
    }
}

/// The binding of a discharge's signature to the authorizing macaroon's.
pub(crate) fn bind(root: &Signature, discharge: &Signature) -> Signature {
    Signature::from_bytes([0u8; KEY_LEN]).chain_third_party(root.as_bytes(), discharge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_key_opens_only_with_its_signature_and_intact_bytes() {
        let sig = Signature::from_bytes([7; KEY_LEN]);
        let key = RootKey::derive(b"caveat key");
        let vid = seal(&sig, key.expose(), [9; NONCE_LEN]);
        assert_eq!(vid.len(), 72);
        assert_eq!(&vid[..NONCE_LEN], &[9; NONCE_LEN]);
        assert_eq!(open(&sig, &vid), Some(RootKey::derive(b"caveat key")));
        assert_eq!(open(&Signature::from_bytes([8; KEY_LEN]), &vid), None);
        for i in 0..vid.len() {
            let mut altered = vid;
            altered[i] ^= 1;
            assert_eq!(open(&sig, &altered), None, "byte {i} altered");
        }
        for len in 0..vid.len() {
            assert_eq!(open(&sig, &vid[..len]), None, "truncated to {len}");
        }
        let mut longer = vid.to_vec();
        longer.push(0);
        assert_eq!(open(&sig, &longer), None);
    }
}
