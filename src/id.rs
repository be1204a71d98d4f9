//! The one rule for the ids Onezone generates (users, groups, providers, tokens, sessions,
//! invite targets): ASCII letters, digits, `-` and `_`. It keeps the separators of identifiers
//! (`/`, `:`) and of caveat lists (`|`), spaces, control characters and non-ASCII text out, so an
//! id reads the same in a token identifier, a caveat and the group model.

use alloc::boxed::Box;
use alloc::string::String;

/// Whether `c` may appear in an id.
pub(crate) fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// The first character of `text` that may not appear in an id, with its byte offset.
pub(crate) fn first_invalid(text: &str) -> Option<(usize, char)> {
    // Ids are ASCII: one branch-free pass over the bytes settles the common case (decoding
    // characters made this check a tenth of a token verification); only a refused id is
    // decoded to find the character to report.
    if all_id_bytes::<false>(text.as_bytes()) {
        return None;
    }
    text.char_indices().find(|&(_, c)| !is_id_char(c))
}

/// Whether every byte is an id character ([`is_id_char`]) or, with `SEPARATORS`, one of the
/// separators of token identifiers, `/` and `:`.
///
/// Branch-free, sixteen bytes at a time, so that the compiler makes each block a few vector
/// instructions; the last bytes are read as the last sixteen when there are sixteen (some bytes
/// twice). Byte by byte, with `is_ascii_alphanumeric`, it cost six instructions a byte: the
/// largest part of reading a token identifier.
pub(crate) fn all_id_bytes<const SEPARATORS: bool>(bytes: &[u8]) -> bool {
    let block = |block: &[u8; 16]| block.iter().fold(1u8, |ok, &b| ok & id_byte::<SEPARATORS>(b));
    let mut blocks = bytes.chunks_exact(16);
    let mut all = 1u8;
    for part in &mut blocks {
        // Always sixteen bytes.
        all &= part.try_into().map_or(0, block);
    }
    let rest = blocks.remainder();
    let last = bytes.len().checked_sub(16).and_then(|start| bytes.get(start..));
    match last.and_then(|last| last.try_into().ok()) {
        Some(last) if !rest.is_empty() => all &= block(last),
        // Fewer than sixteen in all: a table is cheaper than the arithmetic for a few bytes.
        _ => {
            for &b in rest {
                // A `u8` indexes all 256 entries: the fallback is never taken.
                all &= BYTE_CLASS.get(usize::from(b)).copied().unwrap_or(0) >> u8::from(SEPARATORS);
            }
        }
    }
    all & 1 == 1
}

/// 1 if `b` is an id character ([`is_id_char`]) or, with `SEPARATORS`, `/` or `:`; else 0.
/// Branch-free arithmetic, for loops the compiler turns into vector instructions.
#[inline(always)]
pub(crate) fn id_byte<const SEPARATORS: bool>(b: u8) -> u8 {
    // `b | 0x20` folds the uppercase letters onto the lowercase ones, and no other byte onto
    // them. `/` (0x2F) to `:` (0x3A) are the digits and the two separators.
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let digit = if SEPARATORS { b.wrapping_sub(b'/') < 12 } else { b.wrapping_sub(b'0') < 10 };
    u8::from(letter) | u8::from(digit) | u8::from(b == b'-') | u8::from(b == b'_')
}

/// An id's text kept inline up to `N` bytes, else on the heap: the ids Onezone makes (32
/// characters) cost no allocation where many are held or read (the group index's slots, a
/// `consumer` caveat's entries). It is the text: equal, hashed and printed as it.
#[derive(Clone)]
pub(crate) enum SmallId<const N: usize> {
    Inline { len: u8, bytes: [u8; N] },
    Heap(Box<str>),
}

impl<const N: usize> SmallId<N> {
    pub(crate) fn new(id: &str) -> Self {
        let mut bytes = [0; N];
        match (bytes.get_mut(..id.len()), u8::try_from(id.len())) {
            (Some(head), Ok(len)) => {
                head.copy_from_slice(id.as_bytes());
                SmallId::Inline { len, bytes }
            }
            _ => SmallId::Heap(id.into()),
        }
    }

    /// `id`, moved to the heap as it is if it is longer than `N` bytes.
    pub(crate) fn from_string(id: String) -> Self {
        if id.len() > N { SmallId::Heap(id.into_boxed_str()) } else { Self::new(&id) }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            SmallId::Inline { len, bytes } => bytes.get(..usize::from(*len)).unwrap_or_default(),
            SmallId::Heap(id) => id.as_bytes(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Copied from a `str` of `len` bytes: the fallback (an empty id) is never taken.
            SmallId::Inline { .. } => core::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            SmallId::Heap(id) => id,
        }
    }
}

impl<const N: usize> PartialEq for SmallId<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> Eq for SmallId<N> {}

impl<const N: usize> core::hash::Hash for SmallId<N> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl<const N: usize> core::fmt::Debug for SmallId<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Per byte: bit 0 set for an id character, bit 1 for an id character or a separator.
#[allow(clippy::indexing_slicing)] // a constant: `b` is below 256, checked when it is built
static BYTE_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let id = c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
        table[b] = if id {
            0b11
        } else if c == b'/' || c == b':' {
            0b10
        } else {
            0
        };
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::first_invalid;

    #[test]
    fn the_id_alphabet() {
        assert_eq!(first_invalid("Abc-09_x"), None);
        assert_eq!(first_invalid(""), None);
        assert_eq!(first_invalid("a|b"), Some((1, '|')));
        assert_eq!(first_invalid("é"), Some((0, 'é')));
        assert_eq!(first_invalid("a b"), Some((1, ' ')));
        assert_eq!(first_invalid("x/y:z"), Some((1, '/')));
    }

    /// Every byte, at every place of texts long and short (the blocks of sixteen, the last
    /// sixteen read again, the bytes after the last block), against the rule byte by byte.
    #[test]
    fn every_byte_at_every_place() {
        for len in [1, 5, 15, 16, 17, 31, 32, 33, 47] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut text = alloc::vec![b'a'; len];
                    text[at] = b;
                    let id = b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
                    let separator = b == b'/' || b == b':';
                    assert_eq!(super::all_id_bytes::<false>(&text), id, "{len} {at} {b}");
                    assert_eq!(
                        super::all_id_bytes::<true>(&text),
                        id || separator,
                        "{len} {at} {b}"
                    );
                }
            }
        }
        assert!(super::all_id_bytes::<false>(b""));
    }
}
