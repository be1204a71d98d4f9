//! HMAC-SHA256 from RustCrypto's `hmac` and `sha2` crates, keyed once and cloned per use.
//!
//! Keying an HMAC costs two SHA-256 compressions (the inner and outer key blocks). A [`MacKey`]
//! holds the `hmac` crate's keyed state, so a kept [`RootKey`](super::RootKey) signs without
//! re-keying: each MAC clones that state (a copy of the two midstates) and hashes only its
//! message. With the `zeroize` feature of `sha2`/`hmac` (enabled in `Cargo.toml`) the state and
//! its block buffer wipe themselves on drop, the kept one and every clone alike.

use hmac::digest::Key;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroize;

type HmacSha256 = Hmac<Sha256>;

/// The key libmacaroons derives root keys with.
pub(crate) const GENERATOR_KEY: &[u8] = b"macaroons-key-generator";

/// A keyed HMAC-SHA256, ready to be cloned for each message.
#[derive(Clone)]
pub(crate) struct MacKey(HmacSha256);

impl MacKey {
    /// Keys with a key of at most 64 bytes (SHA-256's block): a 32-byte chain key, or
    /// [`GENERATOR_KEY`].
    ///
    /// HMAC pads a short key with zeros to one block, so the padded block keys the same MAC;
    /// passing it whole lets `hmac` take its infallible constructor. A longer key (which HMAC
    /// would hash first) is never used by this crate and is refused in debug builds.
    pub(crate) fn new(key: &[u8]) -> Self {
        debug_assert!(key.len() <= 64, "MacKey::new: keys are at most one block");
        let mut block = Key::<HmacSha256>::default();
        let len = key.len().min(block.len());
        if let (Some(dst), Some(src)) = (block.get_mut(..len), key.get(..len)) {
            dst.copy_from_slice(src);
        }
        let mac = HmacSha256::new(&block);
        block.as_mut_slice().zeroize();
        MacKey(mac)
    }

    /// The libmacaroons generator key (see [`RootKey::derive`](super::RootKey::derive)).
    pub(crate) fn generator() -> Self {
        MacKey::new(GENERATOR_KEY)
    }

    /// `HMAC(GENERATOR_KEY, secret)`: a root key from its secret, as libmacaroons derives it.
    ///
    /// With `std` the generator is keyed once per process (a public key, so nothing to wipe);
    /// without it, on every call (two more compressions).
    pub(crate) fn derive(secret: &[u8]) -> [u8; 32] {
        #[cfg(feature = "std")]
        {
            static GENERATOR: std::sync::OnceLock<MacKey> = std::sync::OnceLock::new();
            GENERATOR.get_or_init(MacKey::generator).mac(&[secret])
        }
        #[cfg(not(feature = "std"))]
        {
            MacKey::generator().mac_once(&[secret])
        }
    }

    /// `HMAC(key, parts[0] || parts[1] || ...)`.
    ///
    /// The clone that hashes the message (holding the message's last partial block and the inner
    /// state) is wiped when it drops, so secret messages leave nothing behind either.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.0.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// The same for a key used once: no clone to make (and wipe).
    pub(crate) fn mac_once(self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.0;
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The `hmac` crate keyed the ordinary way, with the key as given.
    fn reference(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut m = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap();
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().into()
    }

    #[test]
    fn the_generator_is_hmac_with_the_libmacaroons_key() {
        for msg in [&b""[..], b"this is the key", &[0xab; 55], &[1; 56], &[2; 64], &[3; 200]] {
            assert_eq!(MacKey::generator().mac(&[msg]), reference(GENERATOR_KEY, &[msg]));
            assert_eq!(MacKey::derive(msg), reference(GENERATOR_KEY, &[msg]));
        }
    }

    #[test]
    fn a_kept_key_gives_the_same_mac_every_time() {
        let key = MacKey::new(&[7; 32]);
        let first = key.mac(&[b"identifier"]);
        assert_eq!(key.mac(&[b"ident", b"ifier"]), first);
        assert_eq!(key.clone().mac(&[b"identifier"]), first);
        assert_eq!(key.mac_once(&[b"identifier"]), first);
    }

    proptest! {
        /// Zero-padding the key to a block is the same MAC (RFC 2104), for every key length used.
        #[test]
        fn matches_the_hmac_crate(
            key in proptest::collection::vec(any::<u8>(), 0..=64),
            a in proptest::collection::vec(any::<u8>(), 0..300),
            b in proptest::collection::vec(any::<u8>(), 0..100),
        ) {
            let k = MacKey::new(&key);
            prop_assert_eq!(k.mac(&[&a]), reference(&key, &[&a]));
            prop_assert_eq!(k.mac(&[&a, &b]), reference(&key, &[&a, &b]));
        }
    }
}
