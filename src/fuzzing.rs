//! Entry points for the fuzz targets in `fuzz/` and for replaying their corpora in `cargo test`.
//! Not part of the public API.
//!
//! Each function takes arbitrary bytes, runs them through the engine and checks invariants with
//! `assert!`/`panic!`: a panic is how the fuzzer learns of a bug. Asserting is right here, and
//! only here, because this module exists solely for the fuzz targets and the corpus replay test;
//! the library proper never panics on input. Any panic that comes from inside `macaroon::` rather
//! than from an assertion of this module is a library bug.

use alloc::vec::Vec;
use core::str;

use crate::macaroon::{
    Encoding, Error, Format, Limits, Macaroon, MacaroonRef, MacaroonView, RootKey, verify_token,
    with_token,
};

const FORMATS: [Format; 3] = [Format::V1, Format::V2, Format::V2Json];
const ENCODINGS: [Encoding; 2] = [Encoding::Base64Url, Encoding::Escaped];

/// The secret of [`forgery`]: no input the fuzzer can build carries a signature under it.
const FIXED_SECRET: &[u8] = b"fuzzing fixed secret";

/// The limits to re-read what the crate wrote from a token that was read within the defaults.
///
/// Re-encoding may lengthen a token (a V1 token without location packet gains an empty one;
/// base64, escaping and JSON grow text), so a token just under
/// [`Limits::max_token_len`] may come back just over it. That is the length limit doing its job,
/// not a codec bug: the length limit is raised to the re-encoded size, every other limit stays.
fn limits_for(len: usize) -> Limits {
    let limits = Limits::default();
    let max = limits.max_token_len.max(len);
    limits.with_max_token_len(max)
}

/// Largest V1 packet (4 hex digits of length).
const MAX_V1_PACKET: usize = 0xffff;

/// Whether every field fits the V1 packet its key gives it (`len key SP value LF`).
fn fits_v1(m: &Macaroon<'_>) -> bool {
    let fits = |key: &str, value: &[u8]| key.len() + value.len() + 6 <= MAX_V1_PACKET;
    fits("location", m.location().unwrap_or_default())
        && fits("identifier", m.identifier())
        && m.caveats().iter().all(|c| {
            fits("cid", c.id())
                && c.verification_id().is_none_or(|v| fits("vid", v))
                && c.location().is_none_or(|l| fits("cl", l))
        })
}

/// The length of a V1 packet from its 4-digit header, in any case (the reader's own strictness
/// about the spelling is checked by comparing headers byte for byte).
fn v1_packet_len(header: &[u8]) -> usize {
    header.iter().fold(0, |n, &b| match char::from(b).to_digit(16) {
        Some(digit) => n * 16 + digit as usize,
        None => panic!("V1 packet length digit {b:#04x} accepted by the reader"),
    })
}

/// Whether a V1 packet with `key` may follow one with `prev` (`None`: at the start) in the
/// grammar the reader documents: `location? identifier (cid (vid cl?)?)* signature`.
fn v1_may_follow(prev: Option<&[u8]>, key: &[u8]) -> bool {
    match prev {
        None => matches!(key, b"location" | b"identifier"),
        Some(b"location") => key == b"identifier",
        Some(b"identifier" | b"cl") => matches!(key, b"cid" | b"signature"),
        Some(b"cid") => matches!(key, b"cid" | b"vid" | b"signature"),
        Some(b"vid") => matches!(key, b"cid" | b"cl" | b"signature"),
        Some(_) => false,
    }
}

/// What the V1 writer must produce for V1 bytes the reader accepted: the same packets byte for
/// byte, in libmacaroons' form (a missing location packet becomes an empty one; an empty `cl`
/// packet, which means no location, is left out as libmacaroons leaves it out). Panics if the
/// packets the reader accepted are not in the order of its grammar.
fn canonical_v1(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 16);
    let mut prev: Option<&[u8]> = None;
    while !data.is_empty() {
        let len = v1_packet_len(data.get(..4).unwrap_or_default());
        let Some((packet, rest)) = data.split_at_checked(len) else {
            panic!("truncated V1 packet accepted by the reader");
        };
        let body = packet.get(4..len.saturating_sub(1)).unwrap_or_default();
        let key = body.split(|&b| b == b' ').next().unwrap_or_default();
        assert!(
            v1_may_follow(prev, key),
            "the V1 reader accepted a {} packet after {}",
            key.escape_ascii(),
            prev.unwrap_or(b"the start").escape_ascii()
        );
        if prev.is_none() && key != b"location" {
            out.extend_from_slice(b"000elocation \n");
        }
        if body != b"cl " {
            out.extend_from_slice(packet);
        }
        prev = Some(key);
        data = rest;
    }
    assert_eq!(
        prev,
        Some(&b"signature"[..]),
        "the V1 reader accepted a token not ending in a signature"
    );
    out
}

fn read_varint(data: &mut &[u8]) -> usize {
    let mut value = 0usize;
    for shift in (0..64).step_by(7) {
        let Some((&b, rest)) = data.split_first() else {
            panic!("truncated V2 varint accepted by the reader");
        };
        *data = rest;
        value |= usize::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return value;
        }
    }
    panic!("overlong V2 varint accepted by the reader");
}

/// Where a V2 reader is in the grammar
/// `0x02 [location] identifier EOS ([location identifier vid | identifier [vid]] EOS)* EOS signature`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum V2State {
    Root,
    RootLocation,
    RootIdentifier,
    Caveat,
    CaveatLocation,
    CaveatIdentifier,
    LocatedIdentifier,
    Vid,
    Signature,
    End,
}

/// The state after a V2 field of `kind` (0 for end-of-section); panics if the grammar does not
/// allow the field there.
fn v2_next(state: V2State, kind: usize) -> V2State {
    use V2State::*;
    match (state, kind) {
        (Root, 1) => RootLocation,
        (Root | RootLocation, 2) => RootIdentifier,
        (RootIdentifier, 0) => Caveat,
        (Caveat, 1) => CaveatLocation,
        (Caveat, 2) => CaveatIdentifier,
        (Caveat, 0) => Signature,
        (CaveatLocation, 2) => LocatedIdentifier,
        (CaveatIdentifier | LocatedIdentifier, 4) => Vid,
        (CaveatIdentifier | Vid, 0) => Caveat,
        (Signature, 6) => End,
        _ => panic!("the V2 reader accepted a field of type {kind} in state {state:?}"),
    }
}

/// What the V2 writer must produce for V2 bytes the reader accepted: the same bytes without the
/// empty location fields (`0x01 0x00`), which libmacaroons omits. Panics if the fields the reader
/// accepted are not in the order of its grammar.
fn canonical_v2(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let Some((&version, mut rest)) = data.split_first() else {
        panic!("empty V2 input accepted by the reader");
    };
    out.push(version);
    let mut state = V2State::Root;
    while !rest.is_empty() {
        let start = rest;
        let kind = read_varint(&mut rest);
        state = v2_next(state, kind);
        if kind == 0 {
            out.push(0);
            continue;
        }
        let len = read_varint(&mut rest);
        let Some((_, after)) = rest.split_at_checked(len) else {
            panic!("truncated V2 field accepted by the reader");
        };
        rest = after;
        if !(kind == 1 && len == 0) {
            let field_len = start.len() - rest.len();
            out.extend_from_slice(start.get(..field_len).unwrap_or_default());
        }
    }
    assert_eq!(state, V2State::End, "the V2 reader accepted a token not ending in a signature");
    out
}

/// V1 bytes: what the reader accepts, the writer writes back (in libmacaroons' canonical form)
/// and the reader reads back unchanged; re-encoding is a fixed point.
pub fn v1(data: &[u8]) {
    let view = MacaroonView::from_v1(data, &Limits::default());
    assert_eq!(
        view.as_ref().map(MacaroonView::to_macaroon).map_err(Clone::clone),
        Macaroon::from_v1(data, &Limits::default()),
        "the V1 view and the V1 parser disagree"
    );
    let Ok(m) = Macaroon::from_v1(data, &Limits::default()) else { return };
    // Every V1 field was read from a V1 packet with the same key, so it fits one again.
    assert!(fits_v1(&m), "a macaroon read from V1 does not fit V1");
    let encoded = m.to_v1().unwrap_or_else(|e| panic!("V1 read from V1 does not re-encode: {e}"));
    let canonical = canonical_v1(data);
    assert!(
        encoded == canonical,
        "V1 re-encoding differs beyond the documented leniencies:\n got {}\nwant {}",
        encoded.escape_ascii(),
        canonical.escape_ascii()
    );
    let again = Macaroon::from_v1(&encoded, &limits_for(encoded.len()))
        .unwrap_or_else(|e| panic!("re-encoded V1 does not parse: {e}"));
    assert_eq!(again, m, "V1 round trip changed the macaroon");
    assert_eq!(again.to_v1().as_ref(), Ok(&encoded), "V1 re-encoding is not a fixed point");
}

/// V2 binary bytes: as [`v1`], with V2.
pub fn v2(data: &[u8]) {
    let view = MacaroonView::from_v2(data, &Limits::default());
    assert_eq!(
        view.as_ref().map(MacaroonView::to_macaroon).map_err(Clone::clone),
        Macaroon::from_v2(data, &Limits::default()),
        "the V2 view and the V2 parser disagree"
    );
    let Ok(m) = Macaroon::from_v2(data, &Limits::default()) else { return };
    let encoded = m.to_v2();
    let canonical = canonical_v2(data);
    assert!(
        encoded == canonical,
        "V2 re-encoding differs beyond empty locations:\n got {}\nwant {}",
        encoded.escape_ascii(),
        canonical.escape_ascii()
    );
    let again = Macaroon::from_v2(&encoded, &limits_for(encoded.len()))
        .unwrap_or_else(|e| panic!("re-encoded V2 does not parse: {e}"));
    assert_eq!(again, m, "V2 round trip changed the macaroon");
    assert_eq!(again.to_v2(), encoded, "V2 re-encoding is not a fixed point");
}

/// V2 JSON text (any dialect in, libmacaroons' form out): as [`v1`], with JSON; and read in
/// place ([`with_token`]) as `serde_json` reads it: the same macaroon, or the same error.
pub fn json(data: &[u8]) {
    let Ok(text) = str::from_utf8(data) else { return };
    // JSON read in place accepts and refuses as `serde_json` does, and reads the same macaroon.
    if text.starts_with('{') {
        view_agrees(text, &Limits::default());
    }
    let Ok(m) = Macaroon::from_json(text, &Limits::default()) else { return };
    let encoded = m.to_json().unwrap_or_else(|e| panic!("a parsed macaroon has no JSON: {e}"));
    let again = Macaroon::from_json(&encoded, &limits_for(encoded.len()))
        .unwrap_or_else(|e| panic!("re-encoded JSON does not parse: {e}\n{encoded}"));
    assert_eq!(again, m, "JSON round trip changed the macaroon");
    assert_eq!(again.to_json().ok(), Some(encoded), "JSON re-encoding is not a fixed point");
}

/// The in-place reader ([`with_token`]) reads `text` as [`decode_text`](crate::macaroon::decode_text)
/// and [`DecodedToken::macaroon`](crate::macaroon::DecodedToken::macaroon) do: the same
/// macaroon, format and escaping, or the same error.
fn view_agrees(text: &str, limits: &Limits) {
    let owned = crate::macaroon::decode_text(text, limits)
        .and_then(|d| d.macaroon(limits).map(|m| (m.into_owned(), d.format(), d.escaped())));
    let viewed =
        with_token(text, limits, |v| (v.to_macaroon().into_owned(), v.format(), v.escaped()));
    assert_eq!(viewed, owned, "with_token and decode_text disagree");
}

/// Token text in any form: a token that parses serializes to every format and encoding, and each
/// text reads back as the same macaroon, in the format and escaping it was written in, and
/// serializes again to the same text.
pub fn text(data: &[u8]) {
    let Ok(text) = str::from_utf8(data) else { return };
    let limits = Limits::default();
    view_agrees(text, &limits);
    let Ok(m) = Macaroon::deserialize_with(text, &limits) else { return };
    for format in FORMATS {
        for encoding in ENCODINGS {
            let written = match m.serialize(format, encoding) {
                Ok(written) => written,
                // A field read from V2 or JSON may be too large for a V1 packet.
                Err(Error::Unencodable { .. }) if format == Format::V1 && !fits_v1(&m) => continue,
                Err(e) => panic!("{format:?}/{encoding:?} does not encode: {e}"),
            };
            let limits = limits_for(written.len());
            let decoded = crate::macaroon::decode_text(&written, &limits).unwrap_or_else(|e| {
                panic!("{format:?}/{encoding:?} text does not decode: {e}\n{written}")
            });
            assert_eq!(decoded.format(), format, "{format:?}/{encoding:?} read as another format");
            // Escaping changes the text only if it has a character to escape, and then it writes
            // a `0`; text without `0` reads the same either way and counts as plain.
            let escaped =
                encoding == Encoding::Escaped && format != Format::V2Json && written.contains('0');
            assert_eq!(decoded.escaped(), escaped, "{format:?}/{encoding:?} escaping misread");
            view_agrees(&written, &limits);
            let again = Macaroon::deserialize_with(&written, &limits).unwrap_or_else(|e| {
                panic!("{format:?}/{encoding:?} does not parse: {e}\n{written}")
            });
            assert_eq!(
                again, m,
                "{format:?}/{encoding:?} round trip changed the macaroon\n{written}"
            );
            assert_eq!(
                again.serialize(format, encoding).as_ref(),
                Ok(&written),
                "{format:?}/{encoding:?} is not a fixed point"
            );
        }
    }
}

/// Any input, as text and as binary: nothing verifies under a secret the fuzzer does not know,
/// even with a checker that accepts every caveat, nor with itself as its own discharge, and the
/// failure is the opaque [`Error::InvalidSignature`] (a caveat or discharge failure is only
/// reported for an authentic signature).
pub fn forgery(data: &[u8]) {
    let key = RootKey::derive(FIXED_SECRET);
    let check = |m: &Macaroon<'_>| {
        assert_eq!(m.verify(&key, &mut |_: &[u8]| true), Err(Error::InvalidSignature), "forged");
        assert_eq!(
            m.verify(&key, &mut |_: &[u8]| false),
            Err(Error::InvalidSignature),
            "not opaque"
        );
        assert_eq!(m.verify_signature(&key), Err(Error::InvalidSignature), "forged signature");
        let itself = [m.clone(), m.clone()];
        let limits = Limits::default();
        assert_eq!(
            m.verify_with_discharges(&key, &mut |_: &[u8]| true, &itself, &limits),
            Err(Error::InvalidSignature),
            "forged with itself as discharge"
        );
        assert_eq!(
            m.verify_signature_with_discharges(&key, &itself, &limits),
            Err(Error::InvalidSignature),
            "forged signature with itself as discharge"
        );
    };
    if let Ok(text) = str::from_utf8(data)
        && let Ok(m) = Macaroon::deserialize(text)
    {
        check(&m);
        let limits = Limits::default();
        for accept in [true, false] {
            assert_eq!(
                verify_token(text, &key, &mut |_: &[u8]| accept, &limits),
                Err(Error::InvalidSignature),
                "forged in place"
            );
        }
        let signature = with_token(text, &limits, |view| view.verify_signature(&key));
        assert_eq!(signature, Ok(Err(Error::InvalidSignature)), "forged signature in place");
    }
    if let Ok(m) = Macaroon::from_binary(data, &Limits::default()) {
        check(&m);
    }
}

/// The key of the third-party caveat in [`discharge`]: the fuzzer does not know it either.
const FIXED_CAVEAT_SECRET: &[u8] = b"fuzzing fixed caveat secret";

/// Splits `data` into parts, each `len_hi len_lo bytes...` (big-endian 16-bit length; the last
/// part takes what is left if it is short).
fn frames(mut data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    while let Some((&[hi, lo], rest)) = data.split_first_chunk::<2>() {
        let len = usize::from(u16::from_be_bytes([hi, lo])).min(rest.len());
        let (part, after) = rest.split_at(len);
        parts.push(part);
        data = after;
    }
    parts
}

/// A macaroon read from a part: binary of any format, else text of any form.
fn read_part(part: &[u8]) -> Option<Macaroon<'static>> {
    let limits = Limits::default();
    if let Ok(m) = Macaroon::from_binary(part, &limits) {
        return Some(m.into_owned());
    }
    Macaroon::deserialize_with(str::from_utf8(part).ok()?, &limits).ok()
}

/// A nonce source that repeats one byte: deterministic, for this oracle only.
struct Repeat(u8);

impl rand_core::TryRng for Repeat {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(u32::from(self.0))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(u64::from(self.0))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.fill(self.0);
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Repeat {}

/// Discharges: `data` is framed parts (each a 2-byte big-endian length, then the bytes): a
/// macaroon, then up to 16 discharges.
///
/// 1. The parsed macaroon, with the parsed discharges, never verifies under a secret the fuzzer
///    does not know, and fails with the opaque [`Error::InvalidSignature`].
/// 2. A macaroon minted here under that secret (the first part as its identifier) with a
///    third-party caveat whose key the fuzzer does not know verifies with the discharge minted
///    here, and never with the fuzzer's discharges: the error then says what is wrong (the
///    macaroon is authentic), never `InvalidSignature`, and a discharge set over the limit is
///    refused by the limit.
pub fn discharge(data: &[u8]) {
    let parts = frames(data);
    let Some((first, rest)) = parts.split_first() else { return };
    let discharges: Vec<Macaroon<'static>> =
        rest.iter().take(16).filter_map(|part| read_part(part)).collect();
    let key = RootKey::derive(FIXED_SECRET);
    let limits = Limits::default().with_max_discharges(8).with_max_discharge_depth(3);
    let mut accept = |_: &[u8]| true;

    if let Some(m) = read_part(first) {
        assert_eq!(
            m.verify_with_discharges(&key, &mut accept, &discharges, &limits),
            Err(Error::InvalidSignature),
            "a parsed macaroon verified, or not opaquely, with discharges"
        );
    }

    let caveat_key = RootKey::derive(FIXED_CAVEAT_SECRET);
    let mut m = Macaroon::new(&key, *first);
    m.add_first_party_caveat(&b"fuzz = 1"[..]);
    m.add_third_party_caveat(&b"fuzz"[..], &caveat_key, &b"fuzz caveat"[..], &mut Repeat(7));
    let genuine = m.prepare_for_request(&Macaroon::discharge(&caveat_key, &b"fuzz caveat"[..]));
    // The oracle is alive: the genuine discharge verifies.
    assert_eq!(
        m.verify_with_discharges(&key, &mut accept, core::slice::from_ref(&genuine), &limits),
        Ok(()),
        "the genuine discharge does not verify"
    );
    let result = m.verify_with_discharges(&key, &mut accept, &discharges, &limits);
    if discharges.len() > limits.max_discharges {
        assert!(matches!(result, Err(Error::LimitExceeded { .. })), "{result:?}");
        return;
    }
    match result {
        Ok(()) => panic!("fuzzer discharges verified a macaroon whose caveat key it does not know"),
        Err(Error::InvalidSignature) => panic!("an authentic macaroon reported a bad signature"),
        Err(Error::DischargeMissing { holder: MacaroonRef::Authorizing, index }) => {
            assert_eq!(index, 1, "the missing discharge is the third-party caveat's");
        }
        Err(_) => {}
    }
    // And beside the genuine one, the fuzzer's discharges never turn a success into a failure
    // that hides which part is wrong, nor into a success for a wrong set.
    let mut with_genuine = discharges.clone();
    with_genuine.push(genuine);
    if let Ok(()) = m.verify_with_discharges(&key, &mut accept, &with_genuine, &limits) {
        // Only possible if every fuzzer discharge was used, i.e. none was given.
        assert!(discharges.is_empty(), "an unused fuzzer discharge was accepted");
    }
}

/// A request where caveats may hold: the current time, a consumer in a group, an IP address and
/// an interface.
fn fuzz_context() -> crate::token::CaveatContext {
    use crate::token::{CaveatContext, Consumer, ConsumerKind, Interface};
    CaveatContext {
        now: 1_800_000_000,
        consumer: Consumer::new(ConsumerKind::User, "carol").ok(),
        consumer_groups: alloc::vec!["admins".into()],
        ip: Some(core::net::IpAddr::V4(core::net::Ipv4Addr::new(10, 1, 2, 3))),
        interface: Some(Interface::Rest),
        ..CaveatContext::default()
    }
}

/// Onezone identifiers and caveats: any text that parses as one formats back to the same bytes,
/// its serde form reads back to the same value, and a caveat's JSON form reads back too; a caveat
/// read in place holds exactly when the one built from it does. Also runs the whole token parser
/// on the text. Nothing may panic.
pub fn token(data: &[u8]) {
    use crate::token::{Caveat, TokenIdentifier, UnverifiedToken};
    use alloc::string::ToString;

    // Any bytes are a possible identifier (macaroon identifiers are bytes).
    let from_bytes = TokenIdentifier::parse_bytes(data);
    let Ok(text) = core::str::from_utf8(data) else {
        assert!(from_bytes.is_err(), "non-UTF-8 identifier accepted");
        return;
    };
    assert_eq!(from_bytes, TokenIdentifier::parse(text), "parse_bytes and parse disagree");
    crate::token::identifier::assert_readings_agree(text);

    if let Ok(id) = TokenIdentifier::parse(text) {
        assert_eq!(id.to_string(), text, "identifier does not format back byte for byte");
        let json = serde_json::to_string(&id).unwrap_or_else(|e| panic!("{e}"));
        let back: TokenIdentifier = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, id, "identifier serde round trip");
        let _ = id.fields_json();
    }

    if let Ok(caveat) = Caveat::parse(text) {
        assert_eq!(caveat.to_string(), text, "caveat does not format back byte for byte");
        let json = serde_json::to_string(&caveat).unwrap_or_else(|e| panic!("{e}"));
        let back: Caveat = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(back, caveat, "caveat JSON round trip");
        let _ = caveat.check(&crate::token::CaveatContext::default());
    }
    // Read in place, the caveat holds exactly when the caveat built from it holds.
    crate::token::caveat::assert_holds_agrees(text, &fuzz_context());

    // The text as a caveat's JSON form: what reads must write back to a string that reads the same.
    if let Ok(caveat) = serde_json::from_str::<Caveat>(text) {
        let string = caveat.to_string();
        assert_eq!(Caveat::parse(&string).as_ref(), Ok(&caveat), "JSON caveat -> string -> caveat");
    }

    // And as a whole token.
    if let Ok(token) = UnverifiedToken::parse(text) {
        let _ = token.caveats();
        // The identifier it lends (from where its fields lie in the bytes) is the one in them.
        let owned = TokenIdentifier::parse_bytes(token.macaroon().identifier());
        assert_eq!(Ok(token.identifier().into_owned()), owned, "the lent identifier differs");
    }
}
