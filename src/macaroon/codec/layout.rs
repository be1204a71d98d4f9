//! Where the parts of a V1 or V2 macaroon lie in its bytes: what one walk of the grammar finds,
//! so the bytes can be read in place afterwards (by [`MacaroonView`](crate::macaroon::MacaroonView))
//! or copied into an owned [`Macaroon`].

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::reader::Reader;
use super::{Format, v1, v2};
use crate::macaroon::{Error, KEY_LEN, Limit, Limits, Macaroon, RawCaveat, Signature};

/// The most bytes a [`Layout`] describes, whatever the [`Limits`]: its positions are kept in 32
/// bits, so that it takes 32 bytes (not 72) in every token a server keeps and moves.
pub(crate) const MAX_LAID_OUT: usize = u32::MAX as usize;

/// Refuses bytes longer than a [`Layout`] describes; each format's `layout` asks first.
pub(crate) fn check_len(len: usize) -> Result<(), Error> {
    Limits::check(Limit::TokenLength, MAX_LAID_OUT, len)
}

/// A position in bytes no longer than [`MAX_LAID_OUT`] (checked before any is made: the
/// fallback is never taken).
fn narrow(position: usize) -> u32 {
    u32::try_from(position).unwrap_or(u32::MAX)
}

/// A range of bytes of the input (`Copy`, unlike `Range`). Empty for an absent location.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    start: u32,
    end: u32,
}

impl Span {
    pub(crate) fn new(start: usize, end: usize) -> Span {
        Span { start: narrow(start), end: narrow(end) }
    }

    pub(crate) fn start(self) -> usize {
        self.start as usize
    }

    pub(crate) fn end(self) -> usize {
        self.end as usize
    }

    pub(crate) fn of(self, data: &[u8]) -> &[u8] {
        data.get(self.start()..self.end()).unwrap_or_default()
    }
}

/// The parts of a macaroon that passed the whole grammar of its format (`v1::layout`,
/// `v2::layout`), as positions in its bytes.
///
/// Aligned to eight bytes: it is copied into every view and every kept token, and copies of
/// 8-byte pieces read back what was written in the same pieces (at its natural 4-byte
/// alignment, a verification of a token through `token::Verifier` took 2% longer, in stalls).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(align(8))]
pub(crate) struct Layout {
    /// The location's value; empty when absent or empty (both read as no location).
    pub(crate) location: Span,
    pub(crate) identifier: Span,
    /// The caveat section: V1 packets from the first `cid` up to the signature packet; V2 fields
    /// of every caveat, each with its end-of-section byte, without the section's final one.
    pub(crate) caveats: Span,
    /// How many caveats the section holds.
    count: u32,
    /// Where the 32 signature bytes start.
    signature: u32,
}

impl Layout {
    /// The layout of no bytes: it reads as an empty identifier, no caveats and a zero
    /// signature, which no key verifies: what `MacaroonView::to_bytes` keeps of a macaroon
    /// whose V2 bytes are longer than 4 GiB.
    pub(crate) const EMPTY: Layout = Layout {
        location: Span { start: 0, end: 0 },
        identifier: Span { start: 0, end: 0 },
        caveats: Span { start: 0, end: 0 },
        count: 0,
        signature: 0,
    };

    pub(crate) fn new(
        location: Span,
        identifier: Span,
        caveats: Span,
        count: usize,
        signature: usize,
    ) -> Layout {
        Layout { location, identifier, caveats, count: narrow(count), signature: narrow(signature) }
    }

    /// How many caveats the section holds.
    pub(crate) fn count(&self) -> usize {
        self.count as usize
    }

    /// Where the 32 signature bytes start: the bytes before it are every field's.
    pub(crate) fn signature_start(&self) -> usize {
        self.signature as usize
    }

    pub(crate) fn location<'a>(&self, data: &'a [u8]) -> Option<&'a [u8]> {
        Some(self.location.of(data)).filter(|l| !l.is_empty())
    }

    pub(crate) fn signature<'a>(&self, data: &'a [u8]) -> &'a [u8; KEY_LEN] {
        const NONE: &[u8; KEY_LEN] = &[0; KEY_LEN];
        let bytes = data.get(self.signature_start()..).and_then(|s| s.first_chunk::<KEY_LEN>());
        // The layout was found in these bytes, so the signature is there.
        bytes.unwrap_or(NONE)
    }

    /// The caveats, read in place, in order.
    pub(crate) fn caveats<'a>(&self, data: &'a [u8], format: Format) -> Caveats<'a> {
        Caveats { reader: Reader::new(self.caveats.of(data)), format }
    }

    /// The owned-API macaroon, borrowing each field from `data`.
    pub(crate) fn macaroon<'a>(&self, data: &'a [u8], format: Format) -> Macaroon<'a> {
        let mut caveats = Vec::with_capacity(self.count());
        caveats.extend(self.caveats(data, format));
        Macaroon::from_parts(
            self.location(data).map(Cow::Borrowed),
            Cow::Borrowed(self.identifier.of(data)),
            caveats,
            Signature::from_bytes(*self.signature(data)),
        )
    }
}

/// The caveats of a caveat section that its format's `layout` accepted, read in place.
#[derive(Clone)]
pub(crate) struct Caveats<'a> {
    reader: Reader<'a>,
    format: Format,
}

impl<'a> Iterator for Caveats<'a> {
    type Item = RawCaveat<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<RawCaveat<'a>> {
        match self.format {
            Format::V1 => v1::next_caveat(&mut self.reader),
            _ => v2::next_caveat(&mut self.reader),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Positions are kept in 32 bits: bytes past them are refused before any layout is made,
    /// whatever the limits, and every position up to them reads back as given.
    #[test]
    fn a_layout_describes_up_to_4_gib() {
        assert_eq!(check_len(MAX_LAID_OUT), Ok(()));
        assert_eq!(
            check_len(MAX_LAID_OUT + 1),
            Err(Error::LimitExceeded {
                limit: Limit::TokenLength,
                max: MAX_LAID_OUT,
                found: MAX_LAID_OUT + 1
            })
        );
        let span = Span::new(7, MAX_LAID_OUT);
        assert_eq!((span.start(), span.end()), (7, MAX_LAID_OUT));
        let layout = Layout::new(span, span, span, 300, MAX_LAID_OUT - 32);
        assert_eq!((layout.count(), layout.signature_start()), (300, MAX_LAID_OUT - 32));
        // 32 bytes, not 72: a kept token carries and moves one.
        assert_eq!(core::mem::size_of::<Layout>(), 32);
    }
}
