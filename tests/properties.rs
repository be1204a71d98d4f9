//! Property tests of the macaroon engine (proptest).
//!
//! - Round trips: every format and encoding reads back as the same macaroon and writes the same
//!   text again; the readers also take the standard alphabet and padded base64.
//! - Tampering: a flipped bit or a changed byte, in the decoded bytes or in the text, never gives
//!   a token that verifies and says something else. The location is a hint that libmacaroons
//!   does not sign, so it is the one part that can be changed (and the only one: changing any
//!   other decoded byte makes the token fail).
//! - Attenuation: caveats added by a holder only narrow, and cannot be removed.
//! - Truncation: every strict prefix of a token is an error (parse error), except that a prefix
//!   of the Onezone-escaped text can read as plain base64: as the plain form of the same token,
//!   or as another token, which then never verifies.
//! - A wrong key is always the opaque `InvalidSignature`, whatever the caveats.
//! - Limits: one over a limit is `LimitExceeded` naming it; exactly at the limit parses.
//! - The in-place path (`with_token`, `verify_token`, `MacaroonView`) reads every text and binary
//!   form, tampered or not, as the owned path does, and verifies it with the same result.
//!
//! Case counts are kept moderate so the file runs in seconds in debug builds; raise them with
//! `PROPTEST_CASES` for a longer soak.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use onezone_tokens::macaroon::{
    Encoding, Error, Format, KEY_LEN, Limit, Limits, Macaroon, MacaroonRef, MacaroonView, RootKey,
    decode_text, verify_token, with_token,
};
use proptest::prelude::*;
use proptest::sample::Index;

/// The number of cases: `default`, or `PROPTEST_CASES` when set (for a longer soak).
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const FORMATS: [Format; 3] = [Format::V1, Format::V2, Format::V2Json];
const ENCODINGS: [Encoding; 2] = [Encoding::Base64Url, Encoding::Escaped];

/// What a macaroon is minted from.
#[derive(Debug, Clone)]
struct Spec {
    secret: Vec<u8>,
    location: Option<Vec<u8>>,
    identifier: Vec<u8>,
    caveats: Vec<Vec<u8>>,
}

impl Spec {
    fn key(&self) -> RootKey {
        RootKey::derive(&self.secret)
    }

    fn mint(&self) -> Macaroon<'static> {
        let mut m = Macaroon::new(&self.key(), self.identifier.clone());
        if let Some(location) = &self.location {
            m = m.with_location(location.clone());
        }
        for caveat in &self.caveats {
            m.add_first_party_caveat(caveat.clone());
        }
        m
    }

    /// The location as the macaroon reports it (an empty location is no location).
    fn expected_location(&self) -> Option<&[u8]> {
        self.location.as_deref().filter(|l| !l.is_empty())
    }

    /// The longest field that counts against `Limits::max_field_len`.
    fn longest_field(&self) -> usize {
        let caveats = self.caveats.iter().map(Vec::len);
        let fields = [self.location.as_ref().map_or(0, Vec::len), self.identifier.len()];
        fields.into_iter().chain(caveats).max().unwrap_or(0)
    }
}

/// Field contents: arbitrary bytes (rarely UTF-8), printable ASCII, or any Unicode text
/// (control characters included), so JSON gets both its text and its base64 fields.
fn bytes(max: usize) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..=max),
        prop::collection::vec(0x20u8..0x7f, 0..=max),
        prop::collection::vec(any::<char>(), 0..=max / 2)
            .prop_map(|chars| chars.into_iter().collect::<String>().into_bytes()),
    ]
    .boxed()
}

fn spec_with(
    location: BoxedStrategy<Option<Vec<u8>>>,
    caveats: std::ops::Range<usize>,
) -> impl Strategy<Value = Spec> {
    (bytes(32), location, bytes(40), prop::collection::vec(bytes(40), caveats)).prop_map(
        |(secret, location, identifier, caveats)| Spec { secret, location, identifier, caveats },
    )
}

/// Any location, including none and empty.
fn spec() -> impl Strategy<Value = Spec> {
    spec_with(prop::option::of(bytes(40)).boxed(), 0..12)
}

fn spec_with_caveats() -> impl Strategy<Value = Spec> {
    spec_with(prop::option::of(bytes(40)).boxed(), 1..12)
}

fn spec_without_location() -> impl Strategy<Value = Spec> {
    spec_with(Just(None).boxed(), 0..12)
}

/// A checker that accepts exactly the given predicates.
fn exactly(caveats: &[Vec<u8>]) -> impl FnMut(&[u8]) -> bool + '_ {
    move |c: &[u8]| caveats.iter().any(|w| w == c)
}

fn accept_all(_: &[u8]) -> bool {
    true
}

fn reject_all(_: &[u8]) -> bool {
    false
}

/// Onezone's escaping, written independently of the library's.
fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0' => "00".to_owned(),
            '_' => "01".to_owned(),
            '-' => "02".to_owned(),
            '/' => "03".to_owned(),
            '+' => "04".to_owned(),
            '=' => "05".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

fn to_standard_alphabet(url: &str) -> String {
    url.chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect()
}

fn padded(text: &str) -> String {
    let mut out = text.to_owned();
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

/// Every text form of `m`, labelled.
fn texts(m: &Macaroon<'_>) -> Vec<(Format, Encoding, String)> {
    let mut out = Vec::new();
    for format in FORMATS {
        for encoding in ENCODINGS {
            out.push((format, encoding, m.serialize(format, encoding).expect("encodes")));
        }
    }
    out
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The outcome of parsing and verifying a tampered token (checker accepting everything): it
/// must be rejected, or verify only because it says exactly what the original says apart from
/// the unsigned location. Returns whether it verified.
fn assert_not_forged(
    original: &Macaroon<'_>,
    key: &RootKey,
    parsed: Result<Macaroon<'_>, Error>,
    what: &str,
) -> Result<bool, TestCaseError> {
    let Ok(parsed) = parsed else { return Ok(false) };
    match parsed.verify(key, &mut accept_all) {
        Err(Error::InvalidSignature) => Ok(false),
        Ok(()) => {
            prop_assert_eq!(parsed.identifier(), original.identifier(), "{}", what);
            prop_assert_eq!(parsed.caveats(), original.caveats(), "{}", what);
            prop_assert_eq!(parsed.signature(), original.signature(), "{}", what);
            Ok(true)
        }
        Err(other) => {
            Err(TestCaseError::fail(format!("{what}: tampered token fails with {other:?}")))
        }
    }
}

/// A tampered binary token (V1 or V2 bytes): decoded bytes have one encoding, so if it verifies
/// the change must have been to the location.
fn assert_binary_mutant_rejected(
    original: &Macaroon<'_>,
    key: &RootKey,
    mutant: &[u8],
    what: &str,
) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    assert_binary_view_agrees(mutant, key)?;
    for (name, parsed) in [
        ("from_binary", Macaroon::from_binary(mutant, &limits)),
        ("from_v1", Macaroon::from_v1(mutant, &limits)),
        ("from_v2", Macaroon::from_v2(mutant, &limits)),
    ] {
        let location = parsed.as_ref().ok().and_then(|m| m.location().map(<[u8]>::to_vec));
        let what = format!("{what} via {name}: {mutant:02x?}");
        if assert_not_forged(original, key, parsed, &what)? {
            prop_assert_ne!(location.as_deref(), original.location(), "{}", what);
        }
    }
    Ok(())
}

/// A tampered text: it must not verify unless it reads as the same macaroon (e.g. the only
/// url-safe character swapped for its standard-alphabet twin) or only the location changed.
fn assert_text_mutant_rejected(
    original: &Macaroon<'_>,
    key: &RootKey,
    mutant: &[u8],
    what: &str,
) -> Result<(), TestCaseError> {
    // A text that is no longer UTF-8 cannot even be handed to the reader.
    let Ok(text) = std::str::from_utf8(mutant) else { return Ok(()) };
    let what = format!("{what}: {text}");
    assert_view_agrees(text, key, &[], &Limits::default())?;
    assert_not_forged(original, key, Macaroon::deserialize(text), &what)?;
    let limits = Limits::default();
    if let Ok(decoded) = decode_text(text, &limits) {
        assert_not_forged(original, key, decoded.macaroon(&limits), &what)?;
    }
    Ok(())
}

/// The in-place path reads `text` as `decode_text` + `DecodedToken::macaroon` do (same macaroon,
/// format and escaping, or the same error), and verifies it with the same result, with checkers
/// accepting `accepted`, everything, or nothing.
fn assert_view_agrees(
    text: &str,
    key: &RootKey,
    accepted: &[Vec<u8>],
    limits: &Limits,
) -> Result<(), TestCaseError> {
    let owned = decode_text(text, limits)
        .and_then(|d| d.macaroon(limits).map(|m| (m.into_owned(), d.format(), d.escaped())));
    let viewed =
        with_token(text, limits, |v| (v.to_macaroon().into_owned(), v.format(), v.escaped()));
    prop_assert_eq!(&viewed, &owned, "with_token and decode_text disagree on {}", text);
    let Ok((m, _, _)) = owned else { return Ok(()) };
    let in_place = |checker: &mut dyn FnMut(&[u8]) -> bool| {
        verify_token(text, key, &mut |c: &[u8]| checker(c), limits)
    };
    prop_assert_eq!(in_place(&mut exactly(accepted)), m.verify(key, &mut exactly(accepted)));
    prop_assert_eq!(in_place(&mut accept_all), m.verify(key, &mut accept_all), "{}", text);
    prop_assert_eq!(in_place(&mut reject_all), m.verify(key, &mut reject_all), "{}", text);
    let signature = with_token(text, limits, |v| v.verify_signature(key));
    prop_assert_eq!(signature, Ok(m.verify_signature(key)), "{}", text);
    Ok(())
}

/// The same for binary V1 and V2 bytes: `MacaroonView::from_v1`/`from_v2` against
/// `Macaroon::from_v1`/`from_v2`.
fn assert_binary_view_agrees(data: &[u8], key: &RootKey) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    let reads = [
        ("V1", MacaroonView::from_v1(data, &limits), Macaroon::from_v1(data, &limits)),
        ("V2", MacaroonView::from_v2(data, &limits), Macaroon::from_v2(data, &limits)),
    ];
    for (name, view, owned) in reads {
        prop_assert_eq!(
            view.as_ref().map(MacaroonView::to_macaroon).map_err(Clone::clone),
            owned.clone(),
            "{} {:02x?}",
            name,
            data
        );
        if let (Ok(view), Ok(owned)) = (view, owned) {
            prop_assert_eq!(view.caveat_count(), owned.caveats().len());
            prop_assert_eq!(view.verify(key, &mut accept_all), owned.verify(key, &mut accept_all));
            prop_assert_eq!(view.verify(key, &mut reject_all), owned.verify(key, &mut reject_all));
        }
    }
    Ok(())
}

fn flip(data: &[u8], at: usize, bit: u32) -> Vec<u8> {
    let mut out = data.to_vec();
    out[at] ^= 1 << bit;
    out
}

fn change(data: &[u8], at: usize, delta: u8) -> Vec<u8> {
    let mut out = data.to_vec();
    out[at] ^= delta;
    out
}

/// V2 bytes written by hand (independently of the library's writer): `caveats` are
/// `(id, Some((vid, location)))` for third-party caveats, `(id, None)` for first-party ones.
type CaveatParts = (Vec<u8>, Option<(Vec<u8>, Vec<u8>)>);

fn v2_by_hand(
    location: &[u8],
    identifier: &[u8],
    caveats: &[CaveatParts],
    signature: &[u8; KEY_LEN],
) -> Vec<u8> {
    fn field(out: &mut Vec<u8>, kind: u8, value: &[u8]) {
        out.push(kind);
        let mut n = value.len();
        while n >= 0x80 {
            out.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
        out.extend_from_slice(value);
    }
    let mut out = vec![2];
    if !location.is_empty() {
        field(&mut out, 1, location);
    }
    field(&mut out, 2, identifier);
    out.push(0);
    for (id, third_party) in caveats {
        if let Some((_, cl)) = third_party
            && !cl.is_empty()
        {
            field(&mut out, 1, cl);
        }
        field(&mut out, 2, id);
        if let Some((vid, _)) = third_party {
            field(&mut out, 4, vid);
        }
        out.push(0);
    }
    out.push(0);
    field(&mut out, 6, signature);
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(256)))]

    /// deserialize(serialize(m)) == m in every format and encoding, the text is a fixed point,
    /// the format is detected, the borrowing path agrees, and the token verifies.
    #[test]
    fn every_format_and_encoding_round_trips(spec in spec()) {
        check::every_format_and_encoding_round_trips(spec)?;
    }

    /// The readers take the standard alphabet and `=` padding (pymacaroons, older tools), also
    /// under Onezone's escaping, and base64 of the JSON form.
    #[test]
    fn readers_accept_standard_alphabet_and_padding(spec in spec()) {
        check::readers_accept_standard_alphabet_and_padding(spec)?;
    }

    /// One flipped bit or one changed byte, anywhere in the V1 or V2 bytes or in any text form,
    /// never gives a token that verifies (with a checker accepting everything) and says something
    /// else. In the decoded bytes, only a change inside the location may still verify.
    #[test]
    fn tampering_never_verifies(
        spec in spec(),
        at in any::<Index>(),
        bit in 0..8u32,
        delta in 1..=255u8,
    ) {
        check::tampering_never_verifies(spec, at, bit, delta)?;
    }

    /// Without a location there is nothing unsigned: no single change to the decoded bytes
    /// verifies at all.
    #[test]
    fn tampering_without_location_never_verifies(
        spec in spec_without_location(),
        at in any::<Index>(),
        bit in 0..8u32,
        delta in 1..=255u8,
    ) {
        check::tampering_without_location_never_verifies(spec, at, bit, delta)?;
    }

    /// Caveats only narrow. With a checker that refuses exactly `refused`: a token that fails
    /// still fails (with the same first failure) after a holder adds caveats; a passing token
    /// fails on the first added `refused`, at its index; and the attenuated token, made without
    /// the secret, is still authentic under the root key.
    #[test]
    fn caveats_added_by_a_holder_only_narrow(
        spec in spec(),
        refused in bytes(16),
        refused_at in prop::option::of(any::<Index>()),
        extra in prop::collection::vec((bytes(24), prop::bool::weighted(0.2)), 0..6),
        format in prop::sample::select(FORMATS.to_vec()),
        encoding in prop::sample::select(ENCODINGS.to_vec()),
    ) {
        check::caveats_added_by_a_holder_only_narrow(
            spec, refused, refused_at, extra, format, encoding,
        )?;
    }

    /// Caveats cannot be removed or reordered: the final signature over a shorter or reordered
    /// list is invalid (the chain is one-way and order-dependent).
    #[test]
    fn caveats_cannot_be_removed_or_reordered(
        spec in spec_with_caveats(),
        first in any::<Index>(),
        second in any::<Index>(),
    ) {
        check::caveats_cannot_be_removed_or_reordered(spec, first, second)?;
    }

    /// A wrong key is always exactly `InvalidSignature`, also when the checker refuses every
    /// caveat (a caveat failure is only reported for an authentic signature).
    #[test]
    fn wrong_key_is_always_the_opaque_invalid_signature(
        spec in spec(),
        other_secret in bytes(32),
        format in prop::sample::select(FORMATS.to_vec()),
    ) {
        check::wrong_key_is_always_the_opaque_invalid_signature(spec, other_secret, format)?;
    }

    /// Third-party caveats (read from hand-written V2 bytes): they round-trip through every
    /// format, the right key reports the unsupported caveat (or an earlier refused first-party
    /// one), and a wrong key is still just `InvalidSignature`.
    #[test]
    fn third_party_caveats_round_trip_and_need_discharges(
        secret in bytes(32),
        location in bytes(20),
        identifier in bytes(30),
        caveats in prop::collection::vec(
            (bytes(30), prop::option::of((bytes(40), bytes(20)))),
            0..5,
        ),
        third_party in (bytes(30), (bytes(40), bytes(20))),
        at in any::<Index>(),
    ) {
        // At least one third-party caveat, anywhere.
        let mut caveats = caveats;
        caveats.insert(at.index(caveats.len() + 1), (third_party.0, Some(third_party.1)));
        check::third_party_caveats_round_trip_and_need_discharges(
            secret, location, identifier, caveats,
        )?;
    }

    /// One over a limit gives `LimitExceeded` naming that limit (with the configured maximum and
    /// the size found); exactly at the limit the token parses.
    #[test]
    fn limits_name_the_exceeded_limit(spec in spec()) {
        check::limits_name_the_exceeded_limit(spec)?;
    }
}

proptest! {
    // Each case tries every prefix of seven encodings: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(cases(64)))]

    /// Every strict prefix of a valid token is an error: of the V1 and V2 bytes, of the JSON
    /// text, and of every text form.
    #[test]
    fn every_strict_prefix_is_an_error(spec in spec()) {
        check::every_strict_prefix_is_an_error(spec)?;
    }
}

/// A strict prefix of a token's text does not parse, with two exceptions the escaped text form
/// cannot avoid, neither of which is a forgery:
///
/// - the plain text itself, when it is a prefix of the escaped text (a plain text ending in its
///   only escapable character, a `0`, is escaped by appending a `0`): the same token;
/// - a prefix of escaped text is also (or only, once it is no longer valid escaped text) read as
///   plain base64, and that reading can line up as a token (typically when the escapes are all
///   in the signature): a different token with a garbage signature, which must not verify.
///
/// `plain` is the plain base64url form when `prefix` is cut from the escaped form.
fn assert_prefix_rejected(
    key: &RootKey,
    prefix: &str,
    plain: Option<&str>,
    what: &str,
) -> Result<(), TestCaseError> {
    assert_view_agrees(prefix, key, &[], &Limits::default())?;
    let Ok(parsed) = Macaroon::deserialize(prefix) else { return Ok(()) };
    let Some(plain) = plain else {
        return Err(TestCaseError::fail(format!("{what}: parses")));
    };
    if prefix == plain {
        return Ok(());
    }
    let decoded = decode_text(prefix, &Limits::default());
    prop_assert_eq!(decoded.map(|d| d.escaped()), Ok(false), "{}: parses", what);
    prop_assert_eq!(parsed.verify(key, &mut accept_all), Err(Error::InvalidSignature), "{}", what);
    Ok(())
}

/// The other case proptest found: a plain text whose only escapable character is a final `0`
/// is escaped by appending a `0`, so the plain text is a strict prefix of the escaped text, and
/// reads (rightly) as the same token.
#[test]
fn plain_text_can_be_a_prefix_of_the_escaped_text() {
    let key = RootKey::derive(b"k");
    let (m, plain) = (0..200_000u32)
        .find_map(|n| {
            let m = Macaroon::new(&key, format!("id{n}").into_bytes());
            let plain = m.serialize(Format::V2, Encoding::Base64Url).unwrap();
            let (head, last) = plain.split_at(plain.len() - 1);
            let only_final_zero = last == "0" && !head.contains(['0', '-', '_']);
            only_final_zero.then_some((m, plain))
        })
        .expect("an identifier whose plain text ends in its only escapable character, a 0");
    let escaped = m.serialize(Format::V2, Encoding::Escaped).unwrap();
    assert_eq!(escaped, format!("{plain}0"));
    assert_eq!(Macaroon::deserialize(&plain), Ok(m.clone()));
    assert_eq!(Macaroon::deserialize(&escaped), Ok(m.clone()));
    for len in 0..escaped.len() {
        let what = format!("prefix {len}");
        assert_prefix_rejected(&key, &escaped[..len], Some(&plain), &what).unwrap();
    }
}

/// Whether `text` is also valid Onezone-escaped text (alphanumeric, at least one `0`, each `0`
/// followed by `0`..`5`), so the reader tries both readings.
fn is_valid_escaped(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            return false;
        }
        if b[i] == b'0' {
            if !b.get(i + 1).is_some_and(|c| (b'0'..=b'5').contains(c)) {
                return false;
            }
            i += 1;
        }
        i += 1;
    }
    b.contains(&b'0')
}

/// The case proptest found: an escaped V2 token cut by two characters reads, as plain base64,
/// as a well-formed token with another signature. It parses but never verifies.
#[test]
fn truncated_escaped_token_read_as_plain_never_verifies() {
    let key = RootKey::derive(&[29, 76, 165]);
    let m = Macaroon::new(&key, vec![0xaa, 0x80]);
    let text = m.serialize(Format::V2, Encoding::Escaped).unwrap();
    assert_eq!(text, "AgICqoAAAAYgITLkDr7r37lk3ORGQs1MfVk9Kir70200LuhjdRdBLBECw");
    let prefix = &text[..text.len() - 2];
    let parsed = Macaroon::deserialize(prefix).expect("the plain reading lines up");
    assert_eq!(parsed.identifier(), m.identifier());
    assert_ne!(parsed.signature(), m.signature());
    assert_eq!(parsed.verify(&key, &mut accept_all), Err(Error::InvalidSignature));
    for len in 0..text.len() {
        let plain = m.serialize(Format::V2, Encoding::Base64Url).unwrap();
        assert_prefix_rejected(&key, &text[..len], Some(&plain), &format!("prefix {len}")).unwrap();
    }
}

/// The bodies of the property tests above, outside the macro so that rustfmt formats them.
mod check {
    use super::*;

    pub fn every_format_and_encoding_round_trips(spec: Spec) -> Result<(), TestCaseError> {
        let m = spec.mint();
        let key = spec.key();
        let limits = Limits::default();
        prop_assert_eq!(m.location(), spec.expected_location());
        prop_assert_eq!(m.identifier(), &spec.identifier[..]);
        let ids: Vec<&[u8]> = m.caveats().iter().map(|c| c.id()).collect();
        let want: Vec<&[u8]> = spec.caveats.iter().map(Vec::as_slice).collect();
        prop_assert_eq!(ids, want);
        prop_assert!(m.caveats().iter().all(|c| c.is_first_party()));
        prop_assert_eq!(m.verify(&key, &mut exactly(&spec.caveats)), Ok(()));

        for (format, encoding, text) in texts(&m) {
            let back = Macaroon::deserialize(&text);
            prop_assert_eq!(back.as_ref(), Ok(&m), "{:?}/{:?}: {}", format, encoding, text);
            let again = back.as_ref().map(|b| b.serialize(format, encoding));
            prop_assert_eq!(again, Ok(Ok(text.clone())), "{:?}/{:?}", format, encoding);

            let decoded = decode_text(&text, &limits).expect("decodes");
            prop_assert_eq!(decoded.format(), format, "{}", text);
            let plain = m.serialize(format, Encoding::Base64Url).expect("encodes");
            prop_assert_eq!(decoded.escaped(), text != plain, "{}", text);
            let borrowed = decoded.macaroon(&limits);
            prop_assert_eq!(borrowed.as_ref(), Ok(&m));
            let verified = borrowed.map(|b| b.verify(&key, &mut exactly(&spec.caveats)));
            prop_assert_eq!(verified, Ok(Ok(())));
            assert_view_agrees(&text, &key, &spec.caveats, &limits)?;
            let in_place = verify_token(&text, &key, &mut exactly(&spec.caveats), &limits);
            prop_assert_eq!(in_place, Ok(()));
        }

        // The binary forms directly.
        let v1 = m.to_v1().expect("fits V1");
        prop_assert_eq!(Macaroon::from_v1(&v1, &limits), Ok(m.clone()));
        assert_binary_view_agrees(&v1, &key)?;
        assert_binary_view_agrees(&m.to_v2(), &key)?;
        prop_assert_eq!(Macaroon::from_binary(&v1, &limits), Ok(m.clone()));
        prop_assert_eq!(Macaroon::from_v1(&v1, &limits).map(|b| b.to_v1()), Ok(Ok(v1.clone())));
        prop_assert_eq!(
            URL_SAFE_NO_PAD.encode(&v1),
            m.serialize(Format::V1, Encoding::Base64Url).unwrap()
        );

        let v2 = m.to_v2();
        prop_assert_eq!(Macaroon::from_v2(&v2, &limits), Ok(m.clone()));
        prop_assert_eq!(Macaroon::from_binary(&v2, &limits), Ok(m.clone()));
        prop_assert_eq!(Macaroon::from_v2(&v2, &limits).map(|b| b.to_v2()), Ok(v2.clone()));
        // Byte for byte what a hand-written V2 encoder produces.
        let parts: Vec<CaveatParts> = spec.caveats.iter().map(|c| (c.clone(), None)).collect();
        let location = spec.location.clone().unwrap_or_default();
        prop_assert_eq!(
            &v2,
            &v2_by_hand(&location, &spec.identifier, &parts, m.signature().as_bytes())
        );

        let json = m.to_json().unwrap();
        prop_assert_eq!(Macaroon::from_json(&json, &limits), Ok(m.clone()));
        prop_assert_eq!(Macaroon::from_binary(json.as_bytes(), &limits), Ok(m.clone()));
        prop_assert_eq!(
            Macaroon::from_json(&json, &limits).map(|b| b.to_json().unwrap()),
            Ok(json.clone())
        );
        Ok(())
    }

    pub fn readers_accept_standard_alphabet_and_padding(spec: Spec) -> Result<(), TestCaseError> {
        let m = spec.mint();
        for format in [Format::V1, Format::V2] {
            let url = m.serialize(format, Encoding::Base64Url).expect("encodes");
            let escaped = m.serialize(format, Encoding::Escaped).expect("encodes");
            prop_assert_eq!(&escape(&url), &escaped);
            let std = to_standard_alphabet(&url);
            for variant in [
                std.clone(),
                padded(&url),
                padded(&std),
                escape(&std),
                escape(&padded(&url)),
                escape(&padded(&std)),
            ] {
                prop_assert_eq!(Macaroon::deserialize(&variant), Ok(m.clone()), "{}", variant);
                assert_view_agrees(&variant, &spec.key(), &spec.caveats, &Limits::default())?;
            }
        }
        let json_b64 = URL_SAFE_NO_PAD.encode(m.to_json().unwrap());
        let std = to_standard_alphabet(&json_b64);
        for variant in
            [json_b64.clone(), padded(&json_b64), std.clone(), padded(&std), escape(&padded(&std))]
        {
            prop_assert_eq!(Macaroon::deserialize(&variant), Ok(m.clone()), "{}", variant);
            assert_view_agrees(&variant, &spec.key(), &spec.caveats, &Limits::default())?;
        }
        Ok(())
    }

    pub fn tampering_never_verifies(
        spec: Spec,
        at: Index,
        bit: u32,
        delta: u8,
    ) -> Result<(), TestCaseError> {
        let m = spec.mint();
        let key = spec.key();
        for (name, data) in [("V1", m.to_v1().expect("fits V1")), ("V2", m.to_v2())] {
            let i = at.index(data.len());
            assert_binary_mutant_rejected(
                &m,
                &key,
                &flip(&data, i, bit),
                &format!("{name} bit {bit} of byte {i}"),
            )?;
            assert_binary_mutant_rejected(
                &m,
                &key,
                &change(&data, i, delta),
                &format!("{name} byte {i} ^ {delta:#04x}"),
            )?;
        }
        for (format, encoding, text) in texts(&m) {
            let data = text.as_bytes();
            let i = at.index(data.len());
            let what = format!("{format:?}/{encoding:?} text");
            assert_text_mutant_rejected(
                &m,
                &key,
                &flip(data, i, bit),
                &format!("{what}, bit {bit} of char {i}"),
            )?;
            assert_text_mutant_rejected(
                &m,
                &key,
                &change(data, i, delta),
                &format!("{what}, char {i} ^ {delta:#04x}"),
            )?;
        }
        Ok(())
    }

    pub fn tampering_without_location_never_verifies(
        spec: Spec,
        at: Index,
        bit: u32,
        delta: u8,
    ) -> Result<(), TestCaseError> {
        let m = spec.mint();
        let key = spec.key();
        let limits = Limits::default();
        for data in [m.to_v1().expect("fits V1"), m.to_v2()] {
            let i = at.index(data.len());
            for mutant in [flip(&data, i, bit), change(&data, i, delta)] {
                if let Ok(parsed) = Macaroon::from_binary(&mutant, &limits) {
                    prop_assert_eq!(
                        parsed.verify(&key, &mut accept_all),
                        Err(Error::InvalidSignature),
                        "{:02x?}",
                        mutant
                    );
                }
            }
        }
        Ok(())
    }

    pub fn caveats_added_by_a_holder_only_narrow(
        spec: Spec,
        refused: Vec<u8>,
        refused_at: Option<Index>,
        extra: Vec<(Vec<u8>, bool)>,
        format: Format,
        encoding: Encoding,
    ) -> Result<(), TestCaseError> {
        let mut spec = spec;
        if let Some(at) = refused_at {
            spec.caveats.insert(at.index(spec.caveats.len() + 1), refused.clone());
        }
        let m = spec.mint();
        let key = spec.key();
        let mut checker = |c: &[u8]| c != refused.as_slice();
        let first_refused = |caveats: &[Vec<u8>], offset: usize| {
            caveats.iter().position(|c| *c == refused).map(|i| Error::CaveatNotSatisfied {
                index: offset + i,
                predicate: lossy(&refused),
            })
        };
        let before = m.verify(&key, &mut checker);
        prop_assert_eq!(&before, &first_refused(&spec.caveats, 0).map_or(Ok(()), Err));

        // The holder only has the text; it adds caveats and passes the token on.
        let text = m.serialize(format, encoding).expect("encodes");
        let mut held = Macaroon::deserialize(&text).expect("parses");
        let extra: Vec<Vec<u8>> = extra
            .into_iter()
            .map(|(c, is_refused)| if is_refused { refused.clone() } else { c })
            .collect();
        for c in &extra {
            held.add_first_party_caveat(c.clone());
        }
        let passed_on = held.serialize(format, encoding).expect("encodes");
        let attenuated = Macaroon::deserialize(&passed_on).expect("parses");
        prop_assert_eq!(&attenuated.caveats()[..m.caveats().len()], m.caveats());
        prop_assert_eq!(attenuated.caveats().len(), m.caveats().len() + extra.len());
        prop_assert_eq!(attenuated.verify_signature(&key), Ok(()));
        prop_assert_eq!(attenuated.verify(&key, &mut accept_all), Ok(()));
        if !extra.is_empty() {
            prop_assert_ne!(attenuated.signature(), m.signature());
        }

        let after = attenuated.verify(&key, &mut checker);
        if before.is_err() {
            prop_assert_eq!(&after, &before);
        } else {
            let expected = first_refused(&extra, m.caveats().len()).map_or(Ok(()), Err);
            prop_assert_eq!(after, expected);
        }

        // Appending the refused predicate to a passing token fails on exactly that caveat.
        let mut refused_last = m.clone();
        refused_last.add_first_party_caveat(refused.clone());
        let result = refused_last.verify(&key, &mut checker);
        if before.is_ok() {
            let index = m.caveats().len();
            prop_assert_eq!(
                result,
                Err(Error::CaveatNotSatisfied { index, predicate: lossy(&refused) })
            );
        } else {
            prop_assert_eq!(result, before);
        }
        Ok(())
    }

    pub fn caveats_cannot_be_removed_or_reordered(
        spec: Spec,
        first: Index,
        second: Index,
    ) -> Result<(), TestCaseError> {
        let m = spec.mint();
        let key = spec.key();
        let n = spec.caveats.len();
        let with_signature_of_m = |caveats: Vec<Vec<u8>>| {
            let shorter = Spec { caveats, ..spec.clone() }.mint();
            let mut bytes = shorter.to_v2();
            let at = bytes.len() - KEY_LEN;
            bytes[at..].copy_from_slice(m.signature().as_bytes());
            bytes
        };
        // Drop a suffix.
        let keep = first.index(n);
        let spliced = with_signature_of_m(spec.caveats[..keep].to_vec());
        let parsed = Macaroon::from_v2(&spliced, &Limits::default()).expect("parses");
        prop_assert_eq!(parsed.verify(&key, &mut accept_all), Err(Error::InvalidSignature));
        // Drop one caveat anywhere.
        let mut dropped = spec.caveats.clone();
        dropped.remove(first.index(n));
        let spliced = with_signature_of_m(dropped);
        let parsed = Macaroon::from_v2(&spliced, &Limits::default()).expect("parses");
        prop_assert_eq!(parsed.verify(&key, &mut accept_all), Err(Error::InvalidSignature));
        // Swap two different caveats.
        let (i, j) = (first.index(n), second.index(n));
        if spec.caveats[i] != spec.caveats[j] {
            let mut swapped = spec.caveats.clone();
            swapped.swap(i, j);
            let spliced = with_signature_of_m(swapped);
            let parsed = Macaroon::from_v2(&spliced, &Limits::default()).expect("parses");
            prop_assert_eq!(parsed.verify(&key, &mut accept_all), Err(Error::InvalidSignature));
        }
        Ok(())
    }

    pub fn wrong_key_is_always_the_opaque_invalid_signature(
        spec: Spec,
        other_secret: Vec<u8>,
        format: Format,
    ) -> Result<(), TestCaseError> {
        prop_assume!(other_secret != spec.secret);
        let m = spec.mint();
        let parsed =
            Macaroon::deserialize(&m.serialize(format, Encoding::Base64Url).unwrap()).unwrap();
        let wrong = RootKey::derive(&other_secret);
        for result in [
            parsed.verify(&wrong, &mut accept_all),
            parsed.verify(&wrong, &mut reject_all),
            parsed.verify(&wrong, &mut exactly(&spec.caveats)),
            parsed.verify_signature(&wrong),
        ] {
            prop_assert_eq!(&result, &Err(Error::InvalidSignature));
            let message = result.unwrap_err().to_string();
            prop_assert_eq!(message.as_str(), "the token's signature is invalid");
        }
        // With the right key, the same refusing checker names the first caveat.
        let expected = match spec.caveats.first() {
            Some(c) => Err(Error::CaveatNotSatisfied { index: 0, predicate: lossy(c) }),
            None => Ok(()),
        };
        prop_assert_eq!(parsed.verify(&spec.key(), &mut reject_all), expected);
        Ok(())
    }

    pub fn third_party_caveats_round_trip_and_need_discharges(
        secret: Vec<u8>,
        location: Vec<u8>,
        identifier: Vec<u8>,
        caveats: Vec<CaveatParts>,
    ) -> Result<(), TestCaseError> {
        prop_assume!(secret != b"some other secret");
        let key = RootKey::derive(&secret);
        let limits = Limits::default();
        let unsigned = v2_by_hand(&location, &identifier, &caveats, &[0; KEY_LEN]);
        let signature =
            Macaroon::from_v2(&unsigned, &limits).expect("parses").compute_signature(&key);
        let bytes = v2_by_hand(&location, &identifier, &caveats, signature.as_bytes());
        let m = Macaroon::from_v2(&bytes, &limits).expect("parses");
        prop_assert_eq!(&m.to_v2(), &bytes);
        for (i, (id, third)) in caveats.iter().enumerate() {
            let c = &m.caveats()[i];
            prop_assert_eq!(c.id(), &id[..]);
            prop_assert_eq!(c.verification_id(), third.as_ref().map(|(vid, _)| &vid[..]));
            let cl = third.as_ref().map(|(_, cl)| &cl[..]).filter(|cl| !cl.is_empty());
            prop_assert_eq!(c.location(), cl);
        }
        for (format, encoding, text) in texts(&m) {
            prop_assert_eq!(
                Macaroon::deserialize(&text),
                Ok(m.clone()),
                "{:?}/{:?}: {}",
                format,
                encoding,
                text
            );
            assert_view_agrees(&text, &key, &[], &limits)?;
            assert_view_agrees(&text, &RootKey::derive(b"some other secret"), &[], &limits)?;
        }

        // Without its discharge the first third-party caveat fails, and a missing discharge is
        // reported before any refused first-party caveat (signatures and discharges first).
        let third_index = caveats.iter().position(|(_, third)| third.is_some()).expect("one");
        let missing =
            Err(Error::DischargeMissing { holder: MacaroonRef::Authorizing, index: third_index });
        prop_assert_eq!(m.verify(&key, &mut accept_all), missing.clone());
        prop_assert_eq!(m.verify_signature(&key), missing.clone());
        prop_assert_eq!(m.verify(&key, &mut reject_all), missing);

        let wrong = RootKey::derive(b"some other secret");
        prop_assert_eq!(m.verify(&wrong, &mut accept_all), Err(Error::InvalidSignature));
        prop_assert_eq!(m.verify(&wrong, &mut reject_all), Err(Error::InvalidSignature));
        prop_assert_eq!(m.verify_signature(&wrong), Err(Error::InvalidSignature));
        Ok(())
    }

    pub fn limits_name_the_exceeded_limit(spec: Spec) -> Result<(), TestCaseError> {
        let m = spec.mint();
        let n = m.caveats().len();
        let longest = spec.longest_field();
        let over = |limit, max, found| Err(Error::LimitExceeded { limit, max, found });
        let d = Limits::default();

        for (format, encoding, text) in texts(&m) {
            let len = text.len();
            let read = |limits: Limits| Macaroon::deserialize_with(&text, &limits);
            let what = format!("{format:?}/{encoding:?}: {text}");
            prop_assert_eq!(read(d.with_max_token_len(len)), Ok(m.clone()), "{}", what);
            prop_assert_eq!(
                read(d.with_max_token_len(len - 1)),
                over(Limit::TokenLength, len - 1, len),
                "{}",
                what
            );
            prop_assert_eq!(read(d.with_max_caveats(n)), Ok(m.clone()), "{}", what);
            if n > 0 {
                prop_assert_eq!(
                    read(d.with_max_caveats(n - 1)),
                    over(Limit::CaveatCount, n - 1, n),
                    "{}",
                    what
                );
            }
            prop_assert_eq!(read(d.with_max_field_len(longest)), Ok(m.clone()), "{}", what);
            if longest > 0 {
                let result = read(d.with_max_field_len(longest - 1));
                prop_assert_eq!(result, over(Limit::FieldLength, longest - 1, longest), "{}", what);
            }
            // The borrowing and the in-place paths report the same.
            let key = spec.key();
            for limits in [
                d.with_max_token_len(len - 1),
                d.with_max_caveats(n.saturating_sub(1)),
                d.with_max_field_len(longest.saturating_sub(1)),
            ] {
                assert_view_agrees(&text, &key, &spec.caveats, &limits)?;
            }
            if n > 0 {
                let limits = d.with_max_caveats(n - 1);
                let result =
                    decode_text(&text, &limits).and_then(|t| t.macaroon(&limits).map(|_| ()));
                let over = |limit, max, found| Err(Error::LimitExceeded { limit, max, found });
                prop_assert_eq!(result, over(Limit::CaveatCount, n - 1, n), "{}", what);
            }
        }

        let v1 = m.to_v1().expect("fits V1");
        let v2 = m.to_v2();
        let json = m.to_json().unwrap();
        type Parse<'b> = Box<dyn Fn(&Limits) -> Result<Macaroon<'b>, Error> + 'b>;
        let parsers: [(&str, usize, Parse<'_>); 3] = [
            ("V1", v1.len(), Box::new(|l: &Limits| Macaroon::from_v1(&v1, l))),
            ("V2", v2.len(), Box::new(|l: &Limits| Macaroon::from_v2(&v2, l))),
            ("JSON", json.len(), Box::new(|l: &Limits| Macaroon::from_json(&json, l))),
        ];
        for (name, len, parse) in parsers {
            prop_assert_eq!(parse(&d.with_max_token_len(len)), Ok(m.clone()), "{}", name);
            prop_assert_eq!(
                parse(&d.with_max_token_len(len - 1)),
                over(Limit::TokenLength, len - 1, len),
                "{}",
                name
            );
            prop_assert_eq!(parse(&d.with_max_caveats(n)), Ok(m.clone()), "{}", name);
            if n > 0 {
                prop_assert_eq!(
                    parse(&d.with_max_caveats(n - 1)),
                    over(Limit::CaveatCount, n - 1, n),
                    "{}",
                    name
                );
            }
            prop_assert_eq!(parse(&d.with_max_field_len(longest)), Ok(m.clone()), "{}", name);
            if longest > 0 {
                prop_assert_eq!(
                    parse(&d.with_max_field_len(longest - 1)),
                    over(Limit::FieldLength, longest - 1, longest),
                    "{}",
                    name
                );
            }
        }
        Ok(())
    }

    pub fn every_strict_prefix_is_an_error(spec: Spec) -> Result<(), TestCaseError> {
        let m = spec.mint();
        let limits = Limits::default();
        let v1 = m.to_v1().expect("fits V1");
        for len in 0..v1.len() {
            prop_assert!(Macaroon::from_v1(&v1[..len], &limits).is_err(), "V1 prefix {}", len);
            prop_assert!(Macaroon::from_binary(&v1[..len], &limits).is_err(), "V1 prefix {}", len);
        }
        let v2 = m.to_v2();
        for len in 0..v2.len() {
            prop_assert!(Macaroon::from_v2(&v2[..len], &limits).is_err(), "V2 prefix {}", len);
            prop_assert!(Macaroon::from_binary(&v2[..len], &limits).is_err(), "V2 prefix {}", len);
        }
        let json = m.to_json().unwrap();
        for len in 0..json.len() {
            prop_assert!(
                Macaroon::from_binary(&json.as_bytes()[..len], &limits).is_err(),
                "JSON prefix {}",
                len
            );
            if let Some(prefix) = json.get(..len) {
                prop_assert!(Macaroon::from_json(prefix, &limits).is_err(), "JSON prefix {}", len);
            }
        }
        let key = spec.key();
        for (format, encoding, text) in texts(&m) {
            // Tokens are ASCII except JSON text fields; cut at character boundaries.
            let plain = m.serialize(format, Encoding::Base64Url).unwrap();
            let plain = Some(plain.as_str()).filter(|p| *p != text);
            for (len, _) in text.char_indices() {
                let prefix = &text[..len];
                let what = format!("{format:?}/{encoding:?} prefix {prefix:?}");
                assert_prefix_rejected(&key, prefix, plain, &what)?;
            }
        }
        Ok(())
    }
}

fn fixed_spec(location: Option<&[u8]>) -> Spec {
    Spec {
        secret: b"this is our super secret key; only we should know it".to_vec(),
        location: location.map(<[u8]>::to_vec),
        identifier: b"we used our secret key".to_vec(),
        caveats: vec![
            b"account = 3735928559".to_vec(),
            b"time < 2030-01-01T00:00\n".to_vec(),
            vec![0, 0xff, 0x80, b' ', b'\n'],
        ],
    }
}

/// Exhaustively: flipping any one bit of the V1 or V2 bytes of a fixed token verifies exactly
/// when the bit is in the location (8 bits per location byte), and never otherwise.
#[test]
fn every_bit_flip_of_a_fixed_token() {
    for location in [None, Some(&b"https://onezone.example.org"[..])] {
        let spec = fixed_spec(location);
        let m = spec.mint();
        let key = spec.key();
        for data in [m.to_v1().unwrap(), m.to_v2()] {
            let mut verified = 0;
            for i in 0..data.len() {
                for bit in 0..8 {
                    let mutant = flip(&data, i, bit);
                    let Ok(parsed) = Macaroon::from_binary(&mutant, &Limits::default()) else {
                        continue;
                    };
                    match parsed.verify(&key, &mut accept_all) {
                        Err(Error::InvalidSignature) => {}
                        Ok(()) => {
                            verified += 1;
                            assert_ne!(parsed.location(), m.location(), "byte {i} bit {bit}");
                            assert_eq!(parsed.identifier(), m.identifier());
                            assert_eq!(parsed.caveats(), m.caveats());
                        }
                        Err(other) => panic!("byte {i} bit {bit}: {other:?}"),
                    }
                }
            }
            assert_eq!(verified, 8 * location.map_or(0, <[u8]>::len), "{location:?}");
        }
    }
}

/// Exhaustively: every strict prefix of each form of a fixed token, with and without location.
#[test]
fn every_prefix_of_a_fixed_token() {
    for location in [None, Some(&b"https://onezone.example.org"[..])] {
        let spec = fixed_spec(location);
        let (m, key) = (spec.mint(), spec.key());
        for (format, encoding, text) in texts(&m) {
            let plain = m.serialize(format, Encoding::Base64Url).unwrap();
            let plain = Some(plain.as_str()).filter(|p| *p != text);
            for len in 0..text.len() {
                let what = format!("{format:?}/{encoding:?} prefix {len}");
                assert_prefix_rejected(&key, &text[..len], plain, &what).unwrap();
            }
            assert_eq!(Macaroon::deserialize(&text), Ok(m.clone()));
        }
    }
}

/// A plain base64url token whose text happens to be valid escaped text (alphanumeric, every `0`
/// followed by `0`..`5`) is first read as escaped; when it is over a limit, the error must still
/// be the limit, not the base64 error of the escaped reading.
#[test]
fn ambiguous_plain_text_over_a_limit_names_the_limit() {
    let key = RootKey::derive(b"k");
    let mut found = 0;
    for n in 0..20_000u32 {
        let mut m = Macaroon::new(&key, format!("id{n}").into_bytes());
        m.add_first_party_caveat(&b"a"[..]);
        for format in [Format::V1, Format::V2] {
            let text = m.serialize(format, Encoding::Base64Url).unwrap();
            if !is_valid_escaped(&text) {
                continue;
            }
            found += 1;
            if found > 20 {
                return;
            }
            assert_eq!(Macaroon::deserialize(&text).as_ref(), Ok(&m), "{text}");
            let decoded = decode_text(&text, &Limits::default()).unwrap();
            assert!(!decoded.escaped(), "{text}");
            let limits = Limits::default().with_max_caveats(0);
            assert_eq!(
                Macaroon::deserialize_with(&text, &limits),
                Err(Error::LimitExceeded { limit: Limit::CaveatCount, max: 0, found: 1 }),
                "{text}"
            );
            // The in-place path decides the same, once: the plain reading.
            let read = |limits: &Limits| with_token(&text, limits, |v| v.escaped());
            assert_eq!(read(&Limits::default()), Ok(false), "{text}");
            assert_eq!(
                read(&Limits::default().with_max_caveats(0)),
                Err(Error::LimitExceeded { limit: Limit::CaveatCount, max: 0, found: 1 }),
                "{text}"
            );
            let default = Limits::default();
            assert_eq!(verify_token(&text, &key, &mut |c: &[u8]| c == b"a", &default), Ok(()));
            let limits = Limits::default().with_max_field_len(1);
            assert_eq!(with_token(&text, &limits, |_| ()), Err(result_of(&text, &limits)));
            let result = Macaroon::deserialize_with(&text, &limits);
            assert!(
                matches!(
                    result,
                    Err(Error::LimitExceeded { limit: Limit::FieldLength, max: 1, .. })
                ),
                "{text}: {result:?}"
            );
        }
    }
    assert!(found >= 10, "only {found} ambiguous tokens found");
}

fn result_of(text: &str, limits: &Limits) -> Error {
    Macaroon::deserialize_with(text, limits).expect_err("over a limit")
}

/// V1 packet headers are lowercase hex only, as libmacaroons writes and reads them: the same
/// token with an uppercase header is refused (one spelling per token).
#[test]
fn v1_headers_are_lowercase_hex_only() {
    let m = fixed_spec(Some(b"https://onezone.example.org")).mint();
    let v1 = m.to_v1().unwrap();
    // The signature packet is 0x2f = 47 bytes long: header "002f".
    let at = v1.windows(13).position(|w| w == b"002fsignature").expect("signature packet");
    // Uppercase, and what a number parser might take (a sign, a space, `x`, a non-digit).
    for (i, b) in [(3, b'F'), (0, b'+'), (0, b' '), (1, b'x'), (2, b'g'), (3, 0xaf)] {
        let mut bad = v1.clone();
        bad[at + i] = b;
        assert!(
            matches!(
                Macaroon::from_v1(&bad, &Limits::default()),
                Err(Error::Malformed { reading: "packet length", .. })
            ),
            "header byte {i} = {b:#04x}"
        );
    }
    assert_eq!(Macaroon::from_v1(&v1, &Limits::default()), Ok(m));
}
