//! HMAC-SHA256 over RustCrypto's SHA-256 compression function, with keyed midstates.
//!
//! HMAC(K, m) = SHA256((K ^ opad) || SHA256((K ^ ipad) || m)). The two key blocks are always
//! exactly one compression each, so we keep the SHA-256 state after them (the "midstates") and
//! start every MAC from there. That lets the constant libmacaroons generator key be keyed at
//! compile time and a kept [`RootKey`](super::RootKey) sign without re-keying: a macaroon
//! link costs the compressions of its message plus one, instead of three more. The result is
//! tested against the `hmac` crate for arbitrary keys and messages.

use sha2::block_api::compress256;
use zeroize::Zeroize;

const BLOCK: usize = 64;
const IPAD: u8 = 0x36;
const OPAD: u8 = 0x5c;

/// The SHA-256 initial state.
const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// A keyed HMAC-SHA256: the midstates after the inner and outer key blocks.
pub(crate) struct MacKey {
    inner: [u32; 8],
    outer: [u32; 8],
}

/// The libmacaroons generator key, keyed at compile time.
pub(crate) const GENERATOR: MacKey = MacKey::new_const(b"macaroons-key-generator");

fn state_bytes(state: &[u32; 8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (dst, word) in out.chunks_exact_mut(4).zip(state) {
        dst.copy_from_slice(&word.to_be_bytes());
    }
    out
}

impl MacKey {
    /// Keys with a key of at most 64 bytes (all this crate uses: 32-byte chain keys).
    pub(crate) fn new(key: &[u8; 32]) -> Self {
        let mut block = [IPAD; BLOCK];
        for (b, k) in block.iter_mut().zip(key) {
            *b ^= k;
        }
        let mut inner = IV;
        compress256(&mut inner, core::slice::from_ref(&block));
        for b in block.iter_mut() {
            // Turns `key ^ ipad` into `key ^ opad` in place.
            *b ^= IPAD ^ OPAD;
        }
        let mut outer = IV;
        compress256(&mut outer, core::slice::from_ref(&block));
        block.zeroize();
        MacKey { inner, outer }
    }

    /// The same at compile time, with a portable compression function (for constant keys only).
    #[allow(clippy::indexing_slicing)] // const evaluation: an out-of-range index fails the build
    const fn new_const(key: &[u8]) -> Self {
        let mut ipad = [IPAD; BLOCK];
        let mut opad = [OPAD; BLOCK];
        let mut i = 0;
        while i < key.len() && i < BLOCK {
            ipad[i] ^= key[i];
            opad[i] ^= key[i];
            i += 1;
        }
        MacKey { inner: const_compress(IV, &ipad), outer: const_compress(IV, &opad) }
    }

    /// `HMAC(key, parts[0] || parts[1] || ...)` for a public message under a secret key.
    ///
    /// The scratch buffers then hold only the public message and the inner hash, which is of no
    /// use without the outer key, so they are not wiped (the keyed midstates are, on drop).
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        self.mac_wiping(parts, false)
    }

    /// `HMAC(key, ...)` for a secret message (or a public key, as [`GENERATOR`]): the scratch
    /// buffers, which then hold the secret and an inner hash anyone could finish, are wiped.
    pub(crate) fn mac_secret(&self, parts: &[&[u8]]) -> [u8; 32] {
        self.mac_wiping(parts, true)
    }

    fn mac_wiping(&self, parts: &[&[u8]], wipe: bool) -> [u8; 32] {
        let mut state = self.inner;
        let mut buf = [0u8; 2 * BLOCK];
        let mut filled = 0usize;
        let mut total = BLOCK as u64;
        for part in parts {
            total += part.len() as u64;
            let mut rest: &[u8] = part;
            while !rest.is_empty() {
                let (dst, _) = buf.split_at_mut(BLOCK);
                let space = dst.get_mut(filled..).unwrap_or_default();
                let n = space.len().min(rest.len());
                let (now, later) = rest.split_at(n);
                if let Some(d) = space.get_mut(..n) {
                    d.copy_from_slice(now);
                }
                filled += n;
                rest = later;
                if filled == BLOCK {
                    if let Some(b) = buf.first_chunk::<BLOCK>() {
                        compress256(&mut state, core::slice::from_ref(b));
                    }
                    filled = 0;
                }
            }
        }
        // Padding: 0x80, zeros, then the message length in bits, in one or two blocks.
        if let Some(b) = buf.get_mut(filled) {
            *b = 0x80;
        }
        let blocks = if filled < BLOCK - 8 { 1 } else { 2 };
        for b in buf.get_mut(filled + 1..blocks * BLOCK - 8).unwrap_or_default() {
            *b = 0;
        }
        if let Some(len) = buf.get_mut(blocks * BLOCK - 8..blocks * BLOCK) {
            len.copy_from_slice(&(total * 8).to_be_bytes());
        }
        let (one, two) = buf.split_at(BLOCK);
        for block in [one, two].into_iter().take(blocks) {
            if let Some(b) = block.first_chunk::<BLOCK>() {
                compress256(&mut state, core::slice::from_ref(b));
            }
        }
        let inner_hash = state_bytes(&state);

        let mut outer_block = [0u8; BLOCK];
        if let Some((hash, pad)) = outer_block.split_first_chunk_mut::<32>() {
            *hash = inner_hash;
            if let Some(first) = pad.first_mut() {
                *first = 0x80;
            }
        }
        if let Some(len) = outer_block.last_chunk_mut::<8>() {
            *len = (((BLOCK + 32) as u64) * 8).to_be_bytes();
        }
        let mut outer = self.outer;
        compress256(&mut outer, core::slice::from_ref(&outer_block));
        let out = state_bytes(&outer);

        if wipe {
            buf.zeroize();
            outer_block.zeroize();
            state.zeroize();
            outer.zeroize();
        }
        out
    }
}

impl Drop for MacKey {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// The SHA-256 compression function, evaluated at compile time only (for [`GENERATOR`]).
#[allow(clippy::indexing_slicing)] // const evaluation: an out-of-range index fails the build
const fn const_compress(mut state: [u32; 8], block: &[u8; BLOCK]) -> [u32; 8] {
    let mut w = [0u32; 64];
    let mut t = 0;
    while t < 16 {
        w[t] = u32::from_be_bytes([
            block[4 * t],
            block[4 * t + 1],
            block[4 * t + 2],
            block[4 * t + 3],
        ]);
        t += 1;
    }
    while t < 64 {
        let s0 = w[t - 15].rotate_right(7) ^ w[t - 15].rotate_right(18) ^ (w[t - 15] >> 3);
        let s1 = w[t - 2].rotate_right(17) ^ w[t - 2].rotate_right(19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16].wrapping_add(s0).wrapping_add(w[t - 7]).wrapping_add(s1);
        t += 1;
    }
    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = state;
    t = 0;
    while t < 64 {
        let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
        let ch = (e & f) ^ (!e & g);
        let t1 = h.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[t]).wrapping_add(w[t]);
        let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
        let maj = (a & b) ^ (a & c) ^ (b & c);
        let t2 = s0.wrapping_add(maj);
        h = g;
        g = f;
        f = e;
        e = d.wrapping_add(t1);
        d = c;
        c = b;
        b = a;
        a = t1.wrapping_add(t2);
        t += 1;
    }
    let add = [a, b, c, d, e, f, g, h];
    t = 0;
    while t < 8 {
        state[t] = state[t].wrapping_add(add[t]);
        t += 1;
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::digest::KeyInit;
    use hmac::{Hmac, Mac};
    use proptest::prelude::*;

    fn reference(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
        for p in parts {
            m.update(p);
        }
        m.finalize().into_bytes().into()
    }

    #[test]
    fn generator_midstates_match_the_hmac_crate() {
        for msg in [&b""[..], b"this is the key", &[0xab; 55], &[1; 56], &[2; 64], &[3; 200]] {
            assert_eq!(GENERATOR.mac(&[msg]), reference(b"macaroons-key-generator", &[msg]));
            assert_eq!(GENERATOR.mac_secret(&[msg]), GENERATOR.mac(&[msg]));
        }
    }

    proptest! {
        #[test]
        fn matches_the_hmac_crate(
            key in any::<[u8; 32]>(),
            a in proptest::collection::vec(any::<u8>(), 0..300),
            b in proptest::collection::vec(any::<u8>(), 0..100),
        ) {
            let k = MacKey::new(&key);
            prop_assert_eq!(k.mac(&[&a]), reference(&key, &[&a]));
            prop_assert_eq!(k.mac(&[&a, &b]), reference(&key, &[&a, &b]));
            prop_assert_eq!(k.mac_secret(&[&a, &b]), reference(&key, &[&a, &b]));
        }
    }
}
