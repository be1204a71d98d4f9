//! HMAC-SHA256 from RustCrypto's `hmac` and `sha2` crates, keyed once and cloned per use.
//!
//! Keying an HMAC costs two SHA-256 compressions (the inner and outer key blocks). A [`MacKey`]
//! holds the `hmac` crate's keyed state, so a kept [`RootKey`](super::RootKey) signs without
//! re-keying: each MAC clones that state (a copy of the two midstates) and hashes only its
//! message.
//!
//! We drive `hmac`'s block-level API ([`HmacCore`] and one block buffer per message) rather than
//! its buffered `Hmac` wrapper: the padding, finalization and compression are still all the
//! crates', but each MAC skips the wrapper's moves of its whole state and its output copy, which
//! made a 10-link chain 20% to 25% slower than a hand-written HMAC over SHA-256 midstates; this
//! way mint and verify are as fast as they were with it (the README has the numbers). With the
//! `zeroize` feature of `sha2`/`hmac` (enabled in `Cargo.toml`) the midstates and the block buffer
//! wipe themselves on drop, the kept state and every clone alike.

use hmac::block_api::HmacCore;
use hmac::digest::KeyInit;
use hmac::digest::block_api::{Buffer, FixedOutputCore, UpdateCore};
use sha2::Sha256;

/// `hmac`'s block-level HMAC-SHA256: the inner and outer SHA-256 states after the key blocks.
type Core = HmacCore<Sha256>;

/// The key libmacaroons derives root keys with.
pub(crate) const GENERATOR_KEY: &[u8] = b"macaroons-key-generator";

/// A keyed HMAC-SHA256, ready to be cloned for each message.
#[derive(Clone)]
pub(crate) struct MacKey(Core);

impl MacKey {
    /// Keys with a key of at most 64 bytes (SHA-256's block): a 32-byte chain key, or
    /// [`GENERATOR_KEY`]. A longer key (which HMAC would hash first) is never used by this crate
    /// and is refused in debug builds.
    ///
    /// The key is handed to `hmac` as it is, without a padded copy of ours to wipe: `hmac` pads it
    /// in a block of its own (XORed with the pads, which is as good as the key) that it leaves on
    /// the stack, so wiping a copy of ours would cost a 64-byte volatile write per chain link
    /// (about 5 ns, 3% of a link) and remove nothing. The secrets this crate owns (`Secret`,
    /// `RootKey`, `Signature`, the HMAC states) wipe themselves on drop.
    ///
    /// Always inlined: as a call (which the compiler chose for some builds, as the code around
    /// it changed) it hands the keyed state back through memory, and a chain link's
    /// `HMAC(signature, caveat)` took 5% to 12% longer for it (criterion, V1 and V2 verify).
    #[inline(always)]
    pub(crate) fn new(key: &[u8]) -> Self {
        debug_assert!(key.len() <= 64, "MacKey::new: keys are at most one block");
        match Core::new_from_slice(key) {
            Ok(core) => MacKey(core),
            // `hmac` accepts keys of any length (its own `KeyInit::new` relies on it), and no
            // input of ours reaches this: every key here is a 32-byte signature or a constant.
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        }
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
    /// The clone that hashes the message and its block buffer (the message's last partial block,
    /// then the inner hash) are wiped when they drop, so secret messages leave nothing behind
    /// either.
    #[inline]
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        self.clone().mac_once(parts)
    }

    /// The same for a key used once: no clone to make (and wipe).
    #[inline]
    pub(crate) fn mac_once(self, parts: &[&[u8]]) -> [u8; 32] {
        let MacKey(mut core) = self;
        let mut buffer = Buffer::<Core>::default();
        for part in parts {
            buffer.digest_blocks(part, |blocks| core.update_blocks(blocks));
        }
        let mut out = [0u8; 32];
        core.finalize_fixed_core(&mut buffer, (&mut out).into());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use hmac::{Hmac, Mac};

    /// The `hmac` crate's buffered `Hmac`, keyed the ordinary way, with the key as given.
    fn reference(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
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
