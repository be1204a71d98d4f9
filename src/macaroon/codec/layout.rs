//! Where the parts of a V1 or V2 macaroon lie in its bytes: what one walk of the grammar finds,
//! so the bytes can be read in place afterwards (by [`MacaroonView`](crate::macaroon::MacaroonView))
//! or copied into an owned [`Macaroon`].

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::reader::Reader;
use super::{Format, v1, v2};
use crate::macaroon::{KEY_LEN, Macaroon, RawCaveat, Signature};

/// A range of bytes of the input (`Copy`, unlike `Range`). Empty for an absent location.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Span {
    pub(crate) fn of(self, data: &[u8]) -> &[u8] {
        data.get(self.start..self.end).unwrap_or_default()
    }
}

/// The parts of a macaroon that passed the whole grammar of its format (`v1::layout`,
/// `v2::layout`), as positions in its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// The location's value; empty when absent or empty (both read as no location).
    pub(crate) location: Span,
    pub(crate) identifier: Span,
    /// The caveat section: V1 packets from the first `cid` up to the signature packet; V2 fields
    /// of every caveat, each with its end-of-section byte, without the section's final one.
    pub(crate) caveats: Span,
    /// How many caveats the section holds.
    pub(crate) count: usize,
    /// Where the 32 signature bytes start.
    pub(crate) signature: usize,
}

impl Layout {
    pub(crate) fn location<'a>(&self, data: &'a [u8]) -> Option<&'a [u8]> {
        Some(self.location.of(data)).filter(|l| !l.is_empty())
    }

    pub(crate) fn signature<'a>(&self, data: &'a [u8]) -> &'a [u8; KEY_LEN] {
        const NONE: &[u8; KEY_LEN] = &[0; KEY_LEN];
        let bytes = data.get(self.signature..).and_then(|s| s.first_chunk::<KEY_LEN>());
        // The layout was found in these bytes, so the signature is there.
        bytes.unwrap_or(NONE)
    }

    /// The caveats, read in place, in order.
    pub(crate) fn caveats<'a>(&self, data: &'a [u8], format: Format) -> Caveats<'a> {
        Caveats { reader: Reader::new(self.caveats.of(data)), format }
    }

    /// The owned-API macaroon, borrowing each field from `data`.
    pub(crate) fn macaroon<'a>(&self, data: &'a [u8], format: Format) -> Macaroon<'a> {
        let mut caveats = Vec::with_capacity(self.count);
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

    fn next(&mut self) -> Option<RawCaveat<'a>> {
        match self.format {
            Format::V1 => v1::next_caveat(&mut self.reader),
            _ => v2::next_caveat(&mut self.reader),
        }
    }
}
