//! Macaroons read in place: a [`MacaroonView`] borrows its fields from the decoded bytes (no copy,
//! no allocation) and verifies by running the HMAC chain over them, for the servers that verify a
//! token on every request. [`with_token`](super::with_token) decodes a token's text into a stack
//! buffer and hands over its view.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;
use core::slice;

use subtle::ConstantTimeEq;

use super::codec::layout::{Caveats, Layout};
use super::codec::{v1, v2};
use super::error::MacaroonRef;
use super::{CaveatChecker, Error, Format, KEY_LEN, Limits, Macaroon, RawCaveat, RootKey};

/// A macaroon read in place from its bytes: V1 packets or V2 fields walked once to check the
/// whole grammar (as strictly as [`Macaroon::from_v1`] and [`Macaroon::from_v2`], which are
/// built on the same walk), then read where they lie. Nothing is copied or allocated.
///
/// It verifies like [`Macaroon::verify`] (same chain, same errors, same order of errors), and
/// [`MacaroonView::to_macaroon`] gives the owned-API macaroon to inspect it further.
///
/// ```
/// use onezone_tokens::macaroon::{Encoding, Format, Limits, Macaroon, MacaroonView, RootKey};
///
/// let key = RootKey::derive(b"the server's secret");
/// let mut m = Macaroon::new(&key, b"id-1").with_location(b"onezone.example.org");
/// m.add_first_party_caveat(b"account = 42");
/// let bytes = m.to_v1()?;
///
/// let view = MacaroonView::from_v1(&bytes, &Limits::default())?;
/// assert_eq!(view.identifier(), b"id-1");
/// view.verify(&key, &mut |caveat: &[u8]| caveat == b"account = 42")?;
/// assert_eq!(view.to_macaroon(), m);
/// # Ok::<(), onezone_tokens::macaroon::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct MacaroonView<'a> {
    repr: Repr<'a>,
    escaped: bool,
}

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// V1 or V2 bytes and where their parts lie.
    Packed(Packed<'a>),
    /// A macaroon parsed another way (JSON, whose fields may be base64 or escaped text).
    Parsed { macaroon: &'a Macaroon<'a>, format: Format },
}

/// [`Repr::Packed`]'s fields, in a struct of their own: copied as a whole, the layout keeps
/// its alignment (as loose fields of the variant, the layout was copied with the padding
/// before it, at other offsets than it was written: a stall each time a view was built, `perf`).
#[derive(Clone, Copy)]
struct Packed<'a> {
    data: &'a [u8],
    format: Format,
    layout: Layout,
}

impl<'a> MacaroonView<'a> {
    /// Reads V1 bytes (not base64) in place.
    ///
    /// # Errors
    /// As [`Macaroon::from_v1`]: a parse error saying what was being read and where, or a limit
    /// exceeded.
    #[inline]
    pub fn from_v1(data: &'a [u8], limits: &Limits) -> Result<Self, Error> {
        Ok(Self::packed(data, Format::V1, v1::layout(data, limits)?))
    }

    /// Reads V2 binary bytes (not base64) in place.
    ///
    /// # Errors
    /// As [`Macaroon::from_v2`].
    #[inline]
    pub fn from_v2(data: &'a [u8], limits: &Limits) -> Result<Self, Error> {
        Ok(Self::packed(data, Format::V2, v2::layout(data, limits)?))
    }

    /// A view of a macaroon parsed otherwise (e.g. from JSON with [`Macaroon::from_json`]);
    /// `format` is what [`MacaroonView::format`] reports.
    pub fn of(macaroon: &'a Macaroon<'a>, format: Format) -> Self {
        MacaroonView { repr: Repr::Parsed { macaroon, format }, escaped: false }
    }

    pub(crate) fn packed(data: &'a [u8], format: Format, layout: Layout) -> Self {
        MacaroonView { repr: Repr::Packed(Packed { data, format, layout }), escaped: false }
    }

    pub(crate) fn with_escaped(mut self, escaped: bool) -> Self {
        self.escaped = escaped;
        self
    }

    /// The format it was read in.
    pub fn format(&self) -> Format {
        match self.repr {
            Repr::Packed(Packed { format, .. }) | Repr::Parsed { format, .. } => format,
        }
    }

    /// Whether it was read from Onezone's escaped text (see [`with_token`](super::with_token)).
    pub fn escaped(&self) -> bool {
        self.escaped
    }

    /// The location, if any (a hint only: not covered by the signature).
    pub fn location(&self) -> Option<&'a [u8]> {
        match self.repr {
            Repr::Packed(Packed { data, layout, .. }) => layout.location(data),
            Repr::Parsed { macaroon, .. } => macaroon.location(),
        }
    }

    /// The identifier the server uses to find the root secret.
    pub fn identifier(&self) -> &'a [u8] {
        match self.repr {
            Repr::Packed(Packed { data, layout, .. }) => layout.identifier.of(data),
            Repr::Parsed { macaroon, .. } => macaroon.identifier(),
        }
    }

    /// How many caveats it has.
    pub fn caveat_count(&self) -> usize {
        match self.repr {
            Repr::Packed(Packed { layout, .. }) => layout.count(),
            Repr::Parsed { macaroon, .. } => macaroon.caveats().len(),
        }
    }

    /// The caveats, in order, each borrowing its bytes from where they lie.
    pub fn caveats(&self) -> ViewCaveats<'a> {
        ViewCaveats(match self.repr {
            Repr::Packed(Packed { data, format, layout }) => {
                Inner::Packed(layout.caveats(data, format))
            }
            Repr::Parsed { macaroon, .. } => Inner::Parsed(macaroon.caveats().iter()),
        })
    }

    /// Its fields as text, for a caller that reads several of them as UTF-8 (a server reading
    /// a token's identifier, caveats and location): the bytes before the signature are
    /// checked once, and each field is then a slice of them ([`FieldsText::get`]).
    pub fn fields_text(&self) -> FieldsText<'a> {
        let whole = match self.repr {
            Repr::Packed(Packed { data, layout, .. }) => data.get(..layout.signature_start()),
            Repr::Parsed { .. } => None,
        };
        FieldsText { whole: whole.and_then(|bytes| core::str::from_utf8(bytes).ok()) }
    }

    fn signature(&self) -> &'a [u8; KEY_LEN] {
        match self.repr {
            Repr::Packed(Packed { data, layout, .. }) => layout.signature(data),
            Repr::Parsed { macaroon, .. } => macaroon.signature().as_bytes(),
        }
    }

    /// The owned-API macaroon, borrowing its fields from the same bytes (one allocation, for
    /// the caveat list).
    pub fn to_macaroon(&self) -> Macaroon<'a> {
        match self.repr {
            Repr::Packed(Packed { data, format, layout }) => layout.macaroon(data, format),
            Repr::Parsed { macaroon, .. } => Macaroon {
                location: macaroon.location().map(Cow::Borrowed),
                identifier: Cow::Borrowed(macaroon.identifier()),
                caveats: self.caveats().collect(),
                signature: macaroon.signature().clone(),
            },
        }
    }

    /// Verifies it as [`Macaroon::verify`] does: the signature must match `key` (compared in
    /// constant time) and `checker` must accept every first-party caveat; the chain and the
    /// caveats are evaluated in one pass over the bytes.
    ///
    /// # Errors
    /// [`Error::InvalidSignature`] (opaque) if the signature does not match; then
    /// [`Error::DischargeMissing`] for a third-party caveat (a view takes no discharges: see
    /// [`Macaroon::verify_with_discharges`]), or [`Error::CaveatNotSatisfied`] naming the first
    /// caveat the checker refused.
    pub fn verify<C: CaveatChecker + ?Sized>(
        &self,
        key: &RootKey,
        checker: &mut C,
    ) -> Result<(), Error> {
        self.check(key, Some(checker))
    }

    /// Checks the signature alone, as [`Macaroon::verify_signature`], without evaluating any
    /// first-party caveat: for callers that evaluate them afterwards.
    ///
    /// # Errors
    /// [`Error::InvalidSignature`] if the chain does not match; [`Error::DischargeMissing`] if it
    /// matches but a third-party caveat is present.
    pub fn verify_signature(&self, key: &RootKey) -> Result<(), Error> {
        self.check::<dyn CaveatChecker>(key, None)
    }

    fn check<C: CaveatChecker + ?Sized>(
        &self,
        key: &RootKey,
        mut checker: Option<&mut C>,
    ) -> Result<(), Error> {
        let mut sig = key.sign_identifier(self.identifier());
        let mut refused = None;
        let mut third_party = None;
        // The index counted by hand: `enumerate` was a call that handed each caveat back
        // through memory, a copy read back at other widths (a stall, `perf`: the V1 verify
        // took about 20 ns more).
        let mut index = 0;
        #[allow(clippy::explicit_counter_loop)]
        for caveat in self.caveats() {
            sig = match caveat.verification_id() {
                None => {
                    if refused.is_none()
                        && let Some(checker) = checker.as_deref_mut()
                        && !checker.check(caveat.id())
                    {
                        refused = Some(Error::CaveatNotSatisfied {
                            index,
                            predicate: String::from_utf8_lossy(caveat.id()).into_owned(),
                        });
                    }
                    sig.chain(caveat.id())
                }
                Some(vid) => {
                    third_party.get_or_insert(index);
                    sig.chain_third_party(vid, caveat.id())
                }
            };
            index += 1;
        }
        if !bool::from(ct_eq(sig.as_bytes(), self.signature())) {
            return Err(Error::InvalidSignature);
        }
        // Authentic: from here on, errors may say what is wrong, in `Macaroon::verify`'s order.
        if let Some(index) = third_party {
            return Err(Error::DischargeMissing { holder: MacaroonRef::Authorizing, index });
        }
        refused.map_or(Ok(()), Err)
    }
}

impl MacaroonView<'_> {
    /// Copies the bytes it reads into a [`MacaroonBytes`] (one allocation, shared by its
    /// clones), to keep the macaroon beyond the buffer it was read from. A macaroon parsed
    /// otherwise (JSON) is kept as its V2 bytes, which say the same; if those are longer than
    /// 4 GiB (past what [`Limits`] lets a reader take by default), as no bytes at all, which no
    /// key verifies.
    pub fn to_bytes(&self) -> MacaroonBytes {
        self.try_to_bytes().unwrap_or_else(|_| MacaroonBytes {
            bytes: Arc::from(&[][..]),
            format: Format::V2,
            layout: Layout::EMPTY,
            escaped: self.escaped,
        })
    }

    /// [`MacaroonView::to_bytes`], refusing a macaroon parsed otherwise whose V2 bytes are
    /// longer than 4 GiB ([`Error::LimitExceeded`]): where their parts lie is kept in 32 bits.
    ///
    /// Inlined, the parsed macaroon's branch out of line: returned from a call, the kept bytes
    /// were copied once more through its `Result`, their last fields written a byte at a time
    /// and read back eight at a time (a stall, `perf`; 3% of the token layer's parse and
    /// verify of an invite, both builds interleaved).
    #[inline(always)]
    pub(crate) fn try_to_bytes(&self) -> Result<MacaroonBytes, Error> {
        match self.repr {
            Repr::Packed(Packed { data, format, layout }) => {
                // JSON read in place lies in its V2 bytes, and is kept as V2 (as a parsed one).
                let format = if format == Format::V2Json { Format::V2 } else { format };
                Ok(MacaroonBytes { bytes: data.into(), format, layout, escaped: self.escaped })
            }
            Repr::Parsed { macaroon, .. } => parsed_to_bytes(macaroon, self.escaped),
        }
    }
}

/// [`MacaroonView::try_to_bytes`] of a macaroon parsed otherwise: kept as its V2 bytes.
#[inline(never)]
fn parsed_to_bytes(macaroon: &Macaroon<'_>, escaped: bool) -> Result<MacaroonBytes, Error> {
    let bytes = macaroon.to_v2();
    // What V2 writes, V2 reads (the limits were applied when the macaroon was read): only the
    // 4 GiB bound refuses it.
    let layout = v2::layout(&bytes, &Limits::UNLIMITED)?;
    Ok(MacaroonBytes { bytes: bytes.into(), format: Format::V2, layout, escaped })
}

/// A macaroon's fields as text ([`MacaroonView::fields_text`]).
///
/// Reading each field with [`core::str::from_utf8`] costs more for its first few bytes than
/// for the rest (a short field costs as much as a long one); reading them as slices of one
/// text checked once does not.
#[derive(Debug, Clone, Copy)]
pub struct FieldsText<'a> {
    /// Every byte before the signature, when they are UTF-8 as a whole.
    whole: Option<&'a str>,
}

impl<'a> FieldsText<'a> {
    /// `field` (a field of the viewed macaroon: its location, identifier or a caveat's bytes)
    /// as text: exactly [`core::str::from_utf8`] of it, a slice of the text checked once when
    /// it lies there whole, on character boundaries.
    ///
    /// # Errors
    /// As [`core::str::from_utf8`], when `field` is not UTF-8.
    #[inline]
    pub fn get(&self, field: &'a [u8]) -> Result<&'a str, core::str::Utf8Error> {
        if let Some(whole) = self.whole {
            // Where `field` starts in `whole`, if it lies there: the same bytes, so the same
            // text (a slice of UTF-8 between two character boundaries is UTF-8). Anything else
            // (before or after it, where the offsets wrap or pass its end, or across a
            // character boundary) is read on its own.
            let start = (field.as_ptr() as usize).wrapping_sub(whole.as_ptr() as usize);
            if let Some(text) = whole.get(start..start.wrapping_add(field.len())) {
                return Ok(text);
            }
        }
        core::str::from_utf8(field)
    }
}

/// A macaroon kept as its V1 or V2 bytes in one allocation, with where its parts lie, and read
/// in place through [`MacaroonBytes::view`]: what a parsed token that is verified later keeps
/// (the Onezone token layer's [`UnverifiedToken`](crate::token::UnverifiedToken)). Its clones
/// share the bytes (a reference count, no copy).
///
/// Made by [`MacaroonView::to_bytes`].
#[derive(Clone)]
pub struct MacaroonBytes {
    bytes: Arc<[u8]>,
    format: Format,
    layout: Layout,
    escaped: bool,
}

impl MacaroonBytes {
    /// The view of the kept bytes.
    pub fn view(&self) -> MacaroonView<'_> {
        // Built whole where it is returned (built, then moved by `with_escaped`, its layout was
        // written at one offset and read back at another: a stall, `perf`).
        let MacaroonBytes { bytes, format, layout, escaped } = self;
        MacaroonView {
            repr: Repr::Packed(Packed { data: bytes, format: *format, layout: *layout }),
            escaped: *escaped,
        }
    }
}

impl fmt::Debug for MacaroonBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("MacaroonBytes").field(&self.view()).finish()
    }
}

/// Constant-time equality of two signatures, a 64-bit word at a time (`subtle`'s comparison of
/// byte slices takes an optimization barrier per byte, 32 of them).
fn ct_eq(a: &[u8; KEY_LEN], b: &[u8; KEY_LEN]) -> subtle::Choice {
    let words = |s: &[u8; KEY_LEN]| {
        let mut w = [0u64; KEY_LEN / 8];
        for (w, chunk) in w.iter_mut().zip(s.chunks_exact(8)) {
            *w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        }
        w
    };
    words(a).ct_eq(&words(b))
}

impl fmt::Debug for MacaroonView<'_> {
    /// Like a [`Macaroon`]'s, with the signature redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MacaroonView")
            .field("format", &self.format())
            .field("location", &self.location().map(<[u8]>::escape_ascii))
            .field("identifier", &self.identifier().escape_ascii())
            .field("caveats", &self.caveat_count())
            .finish_non_exhaustive()
    }
}

/// The caveats of a [`MacaroonView`], in order ([`MacaroonView::caveats`]).
#[derive(Clone)]
pub struct ViewCaveats<'a>(Inner<'a>);

#[derive(Clone)]
enum Inner<'a> {
    Packed(Caveats<'a>),
    Parsed(slice::Iter<'a, RawCaveat<'a>>),
}

impl<'a> Iterator for ViewCaveats<'a> {
    type Item = RawCaveat<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<RawCaveat<'a>> {
        match &mut self.0 {
            Inner::Packed(caveats) => caveats.next(),
            Inner::Parsed(caveats) => caveats.next().map(|c| RawCaveat {
                id: Cow::Borrowed(c.id()),
                verification_id: c.verification_id().map(Cow::Borrowed),
                location: c.location().map(Cow::Borrowed),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::string::String;
    use alloc::vec::Vec;

    use proptest::prelude::*;

    use super::MacaroonView;
    use crate::macaroon::{Error, Format, Limits, Macaroon, RootKey};

    /// The walk names the first caveat the checker refuses by its place among the caveats
    /// (it counts them itself), read in place, kept, or parsed otherwise.
    #[test]
    fn a_refused_caveat_is_named_by_its_index() {
        let key = RootKey::derive(b"key");
        let mut m = Macaroon::new(&key, &b"id"[..]);
        for caveat in [&b"a = 1"[..], b"b = 2", b"c = 3", b"d = 4"] {
            m.add_first_party_caveat(caveat);
        }
        let (v1, v2) = (m.to_v1().unwrap(), m.to_v2());
        let limits = Limits::default();
        let (v1, v2) = (MacaroonView::from_v1(&v1, &limits), MacaroonView::from_v2(&v2, &limits));
        let (v1, v2) = (v1.unwrap(), v2.unwrap());
        let kept = v2.to_bytes();
        for view in [v1, v2, kept.view(), MacaroonView::of(&m, Format::V2Json)] {
            for (refused, index) in [(&b"a = 1"[..], 0), (b"c = 3", 2), (b"d = 4", 3)] {
                let mut checker = |caveat: &[u8]| caveat != refused && caveat != b"d = 4";
                let predicate = String::from_utf8(refused.to_vec()).unwrap();
                assert_eq!(
                    view.verify(&key, &mut checker),
                    Err(Error::CaveatNotSatisfied { index, predicate }),
                );
            }
            assert_eq!(view.verify(&key, &mut |_: &[u8]| true), Ok(()));
        }
    }

    proptest! {
        /// Each field read through `fields_text` is what `from_utf8` of it answers, whether the
        /// fields are text, split characters across the V2 length bytes or are not UTF-8 at
        /// all, in V1 and V2.
        #[test]
        fn fields_text_is_from_utf8_of_each_field(
            location in "[a-z.\\u{e9}]{0,20}",
            identifier in proptest::collection::vec(prop_oneof![Just(b'a'), Just(0xc3), Just(0xa9), Just(0x80), any::<u8>()], 0..200),
            caveats in proptest::collection::vec(proptest::collection::vec(prop_oneof![Just(b'x'), Just(0xc3), Just(0xa9), any::<u8>()], 0..150), 0..4),
            text_only in any::<bool>(),
        ) {
            let keep = |bytes: Vec<u8>| if text_only { bytes.into_iter().filter(u8::is_ascii).collect() } else { bytes };
            let key = RootKey::derive(b"key");
            let mut m = Macaroon::new(&key, keep(identifier)).with_location(location.as_bytes());
            for caveat in caveats {
                m.add_first_party_caveat(keep(caveat));
            }
            let (v1, v2) = (m.to_v1().unwrap(), m.to_v2());
            let limits = Limits::UNLIMITED;
            for view in [MacaroonView::from_v1(&v1, &limits).unwrap(), MacaroonView::from_v2(&v2, &limits).unwrap()] {
                let text = view.fields_text();
                for caveat in view.caveats() {
                    prop_assert_eq!(text.get(caveat.id()), core::str::from_utf8(caveat.id()));
                }
                for field in [view.identifier()].into_iter().chain(view.location()) {
                    prop_assert_eq!(text.get(field), core::str::from_utf8(field));
                }
                // A field of another buffer (here: a copy) is read on its own.
                let copy = view.identifier().to_vec();
                prop_assert_eq!(text.get(&copy), core::str::from_utf8(&copy));
            }
        }
    }
}
