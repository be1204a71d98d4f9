//! Interoperability with the `macaroon` crate 0.3 (macaroon-rs), both ways, in V1, V2 and V2 JSON.
//!
//! Keys: `macaroon::MacaroonKey::generate(secret)` is `HMAC-SHA256(key = "macaroons-key-generator"
//! zero-padded to 32 bytes, msg = secret)`, which is exactly [`RootKey::derive`] (HMAC pads any
//! key to the 64-byte block, so the 9 extra zeros change nothing). `MacaroonKey::from([u8; 32])`
//! uses the bytes as they are, which is [`RootKey::from_derived`].
//!
//! What the `macaroon` crate writes, byte for byte (pinned by the tests below, so they fail if a
//! new version changes it), and how libmacaroons (`rescrv/libmacaroons`: `v1.c`, `v2.c`,
//! `base64.c`, `macaroons.c`) takes it:
//!
//! * **V1 without a location packet** when the location is `None`: the bytes start with the
//!   `identifier` packet. libmacaroons' `macaroon_deserialize_v1` requires a `location` packet
//!   first (`parse_location_packet`) and returns `MACAROON_INVALID`. libmacaroons and pymacaroons
//!   always write the packet (empty when there is no location); we write it and read both.
//! * **Padded base64url** (`=`/`==`) for V1 and V2 text (base64 0.13 `URL_SAFE` pads). Not
//!   canonical (libmacaroons, pymacaroons, go-macaroon and we write no padding), but not refused:
//!   libmacaroons' `b64_pton` stops at `=` and skips the rest, pymacaroons re-pads, we accept it.
//!   Removing the padding gives our text exactly, wherever the bytes are the same.
//! * **V2 text is base64 of the V2 bytes**, as pymacaroons, go-macaroon and we write it; note that
//!   libmacaroons' own `macaroon_deserialize` takes V2 only as raw bytes (first byte `0x02`) and
//!   hands anything base64-looking to the V1 parser, so no implementation's V2 *text* goes into
//!   libmacaroons without decoding it first.
//! * **V2 JSON** with every optional field present as `null` and each value in one of two
//!   fields: `{"v":2,"i":null,"i64":"<std base64, padded>","l":"<loc>"|null,"l64":null,
//!   "c":[{"i":null,"i64":"<std base64, padded>","l":null,"l64":null,"v":null,"v64":null}],
//!   "s":null,"s64":"<base64url, padded>"}`. libmacaroons' JSON reader (`j2b_macaroon`) takes
//!   only string values (a `null` trips the `assert` in `j2b_string`, or without asserts leaves
//!   the parser out of step) and rejects a field seen twice (`i` and `i64`, `l` and `l64`, `s` and
//!   `s64`), so it refuses every JSON token the crate writes. We accept it (a `null` field is an
//!   absent field). Identifiers and predicates always go to `i64` in the *standard* alphabet, even
//!   when they are text; `s64` is url-safe; `v64` standard; all padded.
//! * **V2 with an empty location field** (`0x01 0x00`) for `Some("")`; libmacaroons omits an empty
//!   location, but reads it back as none, as we do. pymacaroons does the same.
//! * **Corrupt V1 packet headers** for a packet over 65535 bytes: the length is truncated to its
//!   low 16 bits instead of being refused (we return [`Error::Unencodable`]; every reader then
//!   misparses or refuses the token).
//!
//! And what the crate refuses that others write:
//!
//! * **url-safe base64 in JSON `i64`/`v64`**: read with the standard alphabet only, so a value
//!   whose base64url has `-` or `_` fails ("unable to base64 decode value"). go-macaroon,
//!   pymacaroons and we write url-safe base64 there (libmacaroons reads both alphabets); e.g. the
//!   go JSON vector's `v64`. This is the crate's bug, not ours.
//! * **JSON without `"v"`** (go-macaroon, pymacaroons) or without `"c"` (pymacaroons with no
//!   caveats): "missing field". libmacaroons also requires `"c"` but not `"v"`.
//! * **A non-UTF-8 location** (its locations are `String`s).
//! * Our V1 with no location reads back as `Some("")`, not `None` (the empty `location` packet
//!   libmacaroons writes); its V2/JSON readers give `None`.
//!
//! Nothing the crate legitimately writes is refused by our reader, and nothing we write is refused
//! by the crate except through the limitations above.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use macaroon::{
    ByteString, Caveat as TheirCaveat, Format as TheirFormat, Macaroon as Theirs, MacaroonError,
    MacaroonKey, Verifier,
};
use onezone_tokens::macaroon::{
    Encoding, Error, Format, Limits, Macaroon, MacaroonRef, RawCaveat, RootKey, decode_text,
};

const SECRET: &[u8] = b"this is the key";
const OTHER_SECRET: &[u8] = b"this is not the key";

/// The empty V1 location packet libmacaroons (and we) write when there is no location.
const EMPTY_LOCATION_PACKET: &[u8] = b"000elocation \n";

fn init() {
    macaroon::initialize().expect("sodiumoxide initializes");
}

/// One macaroon to mint on both sides.
#[derive(Debug, Clone)]
struct Case {
    location: Option<&'static str>,
    identifier: Vec<u8>,
    caveats: Vec<Vec<u8>>,
}

fn cases() -> Vec<Case> {
    let locations = [None, Some("http://example.org/"), Some("l")];
    let identifiers: Vec<Vec<u8>> = vec![
        // Lengths 1..=6 make the V1 and V2 byte counts fall on every residue mod 3, so the crate's
        // base64 has no padding, `=` and `==` (checked in `their_binary_formats_...`).
        b"k".to_vec(),
        b"ke".to_vec(),
        b"key".to_vec(),
        b"keyid".to_vec(),
        b"keyid2".to_vec(),
        "id with spaces and \u{fc}n\u{ef}code".as_bytes().to_vec(),
        // Over 0xff bytes: a V1 length with three significant hex digits, a two-byte V2 varint.
        vec![b'x'; 300],
        // Not UTF-8; base64url "__4APj8", standard "//4APj8=".
        vec![0xff, 0xfe, 0x00, 0x3e, 0x3f],
        // Not UTF-8; "gA" in both alphabets.
        vec![0x80],
    ];
    let many_text: Vec<Vec<u8>> = (0..12)
        .map(|i| format!("caveat {i} {}", "=".repeat(i)).into_bytes())
        .chain([b"line\nbreak, \"quotes\", back\\slash and \x01".to_vec()])
        .collect();
    let many_binary: Vec<Vec<u8>> = vec![
        b"time < 2030-01-01".to_vec(),
        // Not UTF-8; base64url "-_8", standard "+/8=".
        vec![0xfb, 0xff],
        // Not UTF-8; "gIE" in both alphabets.
        vec![0x80, 0x81],
        b"account = 3735928559".to_vec(),
    ];
    let caveat_sets = [vec![], vec![b"account = 3735928559".to_vec()], many_text, many_binary];
    let mut all = Vec::new();
    for location in locations {
        for identifier in &identifiers {
            for caveats in &caveat_sets {
                all.push(Case {
                    location,
                    identifier: identifier.clone(),
                    caveats: caveats.clone(),
                });
            }
        }
    }
    all
}

fn mint_theirs(case: &Case, key: &MacaroonKey) -> Theirs {
    let mut m =
        Theirs::create(case.location.map(String::from), key, ByteString(case.identifier.clone()))
            .expect("the crate mints");
    for c in &case.caveats {
        m.add_first_party_caveat(ByteString(c.clone()));
    }
    m
}

fn mint_ours(case: &Case, key: &RootKey) -> Macaroon<'static> {
    let mut m = Macaroon::new(key, case.identifier.clone());
    if let Some(l) = case.location {
        m = m.with_location(l.as_bytes().to_vec());
    }
    for c in &case.caveats {
        m.add_first_party_caveat(c.clone());
    }
    m
}

/// The crate's caveat predicates; panics on a third-party caveat.
fn their_predicates(m: &Theirs) -> Vec<Vec<u8>> {
    m.caveats()
        .into_iter()
        .map(|c| match c {
            TheirCaveat::FirstParty(fp) => fp.predicate().0,
            TheirCaveat::ThirdParty(_) => panic!("unexpected third-party caveat in {m:?}"),
        })
        .collect()
}

fn our_predicates(m: &Macaroon<'_>) -> Vec<Vec<u8>> {
    m.caveats()
        .iter()
        .map(|c| {
            assert!(c.is_first_party(), "unexpected third-party caveat in {m:?}");
            c.id().to_vec()
        })
        .collect()
}

fn their_verifier(caveats: &[Vec<u8>]) -> Verifier {
    let mut v = Verifier::default();
    for c in caveats {
        v.satisfy_exact(ByteString(c.clone()));
    }
    v
}

fn their_format(format: Format) -> TheirFormat {
    match format {
        Format::V1 => TheirFormat::V1,
        Format::V2 => TheirFormat::V2,
        Format::V2Json => TheirFormat::V2JSON,
        _ => unreachable!("no other format"),
    }
}

const FORMATS: [Format; 3] = [Format::V1, Format::V2, Format::V2Json];

/// Decodes the crate's V1/V2 text with a strict, padding-required base64url decoder.
fn their_bytes(text: &str) -> Vec<u8> {
    URL_SAFE.decode(text).unwrap_or_else(|e| panic!("not canonical padded base64url ({e}): {text}"))
}

/// Our verification with exactly the case's caveats satisfied, under the right and a wrong key.
fn assert_we_verify(m: &Macaroon<'_>, caveats: &[Vec<u8>], what: &str) {
    let key = RootKey::derive(SECRET);
    let allowed: BTreeSet<&[u8]> = caveats.iter().map(Vec::as_slice).collect();
    m.verify(&key, &mut |c: &[u8]| allowed.contains(c))
        .unwrap_or_else(|e| panic!("{what}: we refuse the crate's token: {e}"));
    assert_eq!(
        m.verify(&RootKey::derive(OTHER_SECRET), &mut |_: &[u8]| true),
        Err(Error::InvalidSignature),
        "{what}: accepted under another secret"
    );
    if let Some(last) = caveats.last() {
        let result = m.verify(&key, &mut |c: &[u8]| c != last.as_slice());
        assert!(
            matches!(result, Err(Error::CaveatNotSatisfied { index, .. }) if index + 1 == caveats.len()),
            "{what}: an unsatisfied caveat gave {result:?}"
        );
    }
}

#[test]
fn key_derivation_is_the_same_on_both_sides() {
    init();
    let long = [0x5au8; 200];
    for secret in [&b""[..], SECRET, b"x", &long[..64], &long[..]] {
        let theirs = MacaroonKey::generate(secret);
        assert_eq!(&theirs[..], &RootKey::derive(secret).expose()[..], "secret {secret:?}");
    }
    // A raw 32-byte key is used as is by `MacaroonKey::from`, which is `RootKey::from_derived`...
    let raw = [7u8; 32];
    let theirs = Theirs::create(None, &MacaroonKey::from(raw), "keyid".into()).unwrap();
    let ours = Macaroon::new(&RootKey::from_derived(raw), &b"keyid"[..]);
    assert_eq!(&theirs.signature()[..], &ours.signature().as_bytes()[..]);
    // ...and not `RootKey::derive`, which would hash it once more.
    let derived = Macaroon::new(&RootKey::derive(&raw), &b"keyid"[..]);
    assert_ne!(&theirs.signature()[..], &derived.signature().as_bytes()[..]);
}

#[test]
fn both_sides_mint_the_same_signature() {
    init();
    let their_key = MacaroonKey::generate(SECRET);
    let our_key = RootKey::derive(SECRET);
    for case in cases() {
        let theirs = mint_theirs(&case, &their_key);
        let ours = mint_ours(&case, &our_key);
        assert_eq!(&theirs.signature()[..], &ours.signature().as_bytes()[..], "{case:?}");
    }
}

#[test]
fn their_tokens_parse_and_verify_here() {
    init();
    let key = MacaroonKey::generate(SECRET);
    for case in cases() {
        let theirs = mint_theirs(&case, &key);
        // The crate's own verifier accepts what it minted (else the case proves nothing).
        their_verifier(&case.caveats).verify(&theirs, &key, vec![]).expect("the crate verifies");
        for format in FORMATS {
            let what = format!("{format:?} {case:?}");
            let text = theirs.serialize(their_format(format)).expect("the crate serializes");
            let decoded = decode_text(&text, &Limits::default())
                .unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
            assert_eq!(decoded.format(), format, "{what}");
            assert!(!decoded.escaped(), "{what}");

            let ours =
                Macaroon::deserialize(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
            // `None` stays `None` in every format (V1: no packet; JSON: `"l":null`).
            assert_eq!(ours.location(), case.location.map(str::as_bytes), "{what}");
            assert_eq!(ours.identifier(), &case.identifier[..], "{what}");
            assert_eq!(our_predicates(&ours), case.caveats, "{what}");
            assert_eq!(&ours.signature().as_bytes()[..], &theirs.signature()[..], "{what}");
            assert_we_verify(&ours, &case.caveats, &what);
        }
    }
}

/// The crate's V1 and V2 bytes are libmacaroons' bytes (ours), but for the missing V1 location
/// packet; its text is ours plus `=` padding.
#[test]
fn their_binary_formats_are_ours_plus_padding_and_minus_the_v1_location_packet() {
    init();
    let key = MacaroonKey::generate(SECRET);
    let mut paddings = BTreeSet::new();
    for case in cases() {
        let theirs = mint_theirs(&case, &key);
        for format in [Format::V1, Format::V2] {
            let what = format!("{format:?} {case:?}");
            let text = theirs.serialize(their_format(format)).unwrap();
            let bytes = their_bytes(&text);

            // Padded: the text is whole 4-character groups, with 0, 1 or 2 `=`.
            let pad = text.len() - text.trim_end_matches('=').len();
            assert_eq!(text.len() % 4, 0, "{what}: {text}");
            assert_eq!(pad, (3 - bytes.len() % 3) % 3, "{what}: {text}");
            paddings.insert((format == Format::V1, pad));

            let ours = Macaroon::deserialize(&text).unwrap();
            let our_bytes = match format {
                Format::V1 => ours.to_v1().unwrap(),
                _ => ours.to_v2(),
            };
            let our_text = ours.serialize(format, Encoding::Base64Url).unwrap();
            if format == Format::V1 && case.location.is_none() {
                // No location packet: libmacaroons would refuse these bytes.
                assert_eq!(&bytes[4..15], b"identifier ", "{what}");
                assert_eq!(our_bytes, [EMPTY_LOCATION_PACKET, &bytes[..]].concat(), "{what}");
                assert_ne!(our_text, text.trim_end_matches('='), "{what}");
            } else {
                assert_eq!(our_bytes, bytes, "{what}");
                assert_eq!(our_text, text.trim_end_matches('='), "{what}");
            }
            // The decoded bytes are parsed by the binary entry points too.
            assert_eq!(Macaroon::from_binary(&bytes, &Limits::default()).unwrap(), ours, "{what}");
        }
    }
    // Every padding length (none, `=`, `==`) was seen in both formats.
    for v1 in [true, false] {
        for pad in 0..3 {
            assert!(paddings.contains(&(v1, pad)), "no case with V1={v1} and {pad} `=`");
        }
    }
}

/// The crate's JSON, exactly, for the libmacaroons example; libmacaroons refuses it (nulls, `i`
/// next to `i64`), we read it as the same macaroon as libmacaroons' own JSON.
#[test]
fn their_json_has_nulls_duplicate_fields_and_padded_standard_base64() {
    init();
    let case = Case {
        location: Some("http://example.org/"),
        identifier: b"keyid".to_vec(),
        caveats: vec![b"account = 3735928559".to_vec(), b"user = alice".to_vec()],
    };
    let json =
        mint_theirs(&case, &MacaroonKey::generate(SECRET)).serialize(TheirFormat::V2JSON).unwrap();
    assert_eq!(
        json,
        concat!(
            r#"{"v":2,"i":null,"i64":"a2V5aWQ=","l":"http://example.org/","l64":null,"c":["#,
            r#"{"i":null,"i64":"YWNjb3VudCA9IDM3MzU5Mjg1NTk=","l":null,"l64":null,"v":null,"v64":null},"#,
            r#"{"i":null,"i64":"dXNlciA9IGFsaWNl","l":null,"l64":null,"v":null,"v64":null}],"#,
            r#""s":null,"s64":"S-lnzR6gxrJrr2pKlO6bBbFYhtoLqF6MQqk8jQ4SXvw="}"#
        )
    );
    // libmacaroons' serialization_3 v2j vector: the same macaroon, as libmacaroons writes it.
    let libmacaroons = r#"{"v":2,"l":"http://example.org/","i":"keyid","c":[{"i":"account = 3735928559"},{"i":"user = alice"}],"s64":"S-lnzR6gxrJrr2pKlO6bBbFYhtoLqF6MQqk8jQ4SXvw"}"#;
    let ours = Macaroon::deserialize(&json).unwrap();
    assert_eq!(ours, Macaroon::deserialize(libmacaroons).unwrap());
    assert_eq!(ours.to_json().unwrap(), libmacaroons);
    assert_we_verify(&ours, &case.caveats, "libmacaroons example");

    // The same shape for every case: each value in `x64`, standard base64 with padding, and an
    // explicit null for every other field.
    let key = MacaroonKey::generate(SECRET);
    for case in cases() {
        let theirs = mint_theirs(&case, &key);
        let json = theirs.serialize(TheirFormat::V2JSON).unwrap();
        let prefix = format!(r#"{{"v":2,"i":null,"i64":"{}","#, STANDARD.encode(&case.identifier));
        assert!(json.starts_with(&prefix), "{json}");
        let sig = URL_SAFE.encode(&theirs.signature()[..]);
        assert!(json.ends_with(&format!(r#""s":null,"s64":"{sig}"}}"#)), "{json}");
        match case.location {
            Some(l) => assert!(json.contains(&format!(r#""l":"{l}","l64":null,"c":["#)), "{json}"),
            None => assert!(json.contains(r#""l":null,"l64":null,"c":["#), "{json}"),
        }
        for c in &case.caveats {
            let cav = format!(
                r#"{{"i":null,"i64":"{}","l":null,"l64":null,"v":null,"v64":null}}"#,
                STANDARD.encode(c)
            );
            assert!(json.contains(&cav), "{cav} not in {json}");
        }
    }
}

#[test]
fn our_tokens_parse_and_verify_there() {
    init();
    let our_key = RootKey::derive(SECRET);
    let their_key = MacaroonKey::generate(SECRET);
    let wrong_key = MacaroonKey::generate(OTHER_SECRET);
    let (mut refused, mut binary_read) = (0, 0);
    for case in cases() {
        let ours = mint_ours(&case, &our_key);
        for format in FORMATS {
            let what = format!("{format:?} {case:?}");
            let text = ours.serialize(format, Encoding::Base64Url).unwrap();
            let parsed = Theirs::deserialize(&text);

            // The crate reads JSON `i64` with the standard alphabet only: a non-UTF-8 value whose
            // base64url (which we, pymacaroons and go write) has `-` or `_` is refused.
            let url_only = |v: &Vec<u8>| {
                std::str::from_utf8(v).is_err() && URL_SAFE_NO_PAD.encode(v).contains(['-', '_'])
            };
            let binary = |v: &Vec<u8>| std::str::from_utf8(v).is_err();
            let fields = || std::iter::once(&case.identifier).chain(&case.caveats);
            if format == Format::V2Json && fields().any(url_only) {
                let err = parsed.expect_err(&what);
                assert!(
                    matches!(&err, MacaroonError::DeserializationError(m) if m.contains("base64")),
                    "{what}: {err:?}"
                );
                refused += 1;
                continue;
            }
            let theirs =
                parsed.unwrap_or_else(|e| panic!("{what}: the crate refuses {text}: {e:?}"));
            if format == Format::V2Json && fields().any(binary) {
                binary_read += 1;
            }

            assert_eq!(theirs.identifier().0, case.identifier, "{what}");
            let location = match (format, case.location) {
                // Our (libmacaroons') empty V1 location packet reads as an empty location there.
                (Format::V1, None) => Some(String::new()),
                (_, l) => l.map(String::from),
            };
            assert_eq!(theirs.location(), location, "{what}");
            assert_eq!(their_predicates(&theirs), case.caveats, "{what}");
            assert_eq!(&theirs.signature()[..], &ours.signature().as_bytes()[..], "{what}");
            if location.as_deref() != Some("") {
                // Field for field what the crate mints itself.
                assert_eq!(theirs, mint_theirs(&case, &their_key), "{what}");
            }

            their_verifier(&case.caveats)
                .verify(&theirs, &their_key, vec![])
                .unwrap_or_else(|e| panic!("{what}: the crate's verifier refuses: {e:?}"));
            let wrong = their_verifier(&case.caveats).verify(&theirs, &wrong_key, vec![]);
            assert!(matches!(wrong, Err(MacaroonError::InvalidSignature)), "{what}: {wrong:?}");
            if let Some((_, rest)) = case.caveats.split_last() {
                let missing = their_verifier(rest).verify(&theirs, &their_key, vec![]);
                assert!(
                    matches!(missing, Err(MacaroonError::CaveatNotSatisfied(_))),
                    "{what}: {missing:?}"
                );
            }

            // Written back by the crate, V1 and V2 are our text plus padding (the empty location
            // read from our V1 is written back as the same empty packet).
            if format != Format::V2Json {
                let again = theirs.serialize(their_format(format)).unwrap();
                assert_eq!(again.trim_end_matches('='), text, "{what}");
            }
        }
    }
    // Both branches above were taken.
    assert!(refused > 0 && binary_read > 0, "refused {refused}, binary read {binary_read}");
}

/// Third-party caveats the crate adds follow the libmacaroons chain: we parse them, recompute the
/// signature, re-encode byte for byte, refuse them without a discharge, and accept them with the
/// discharge the crate mints and binds, in every format.
#[test]
fn their_third_party_caveats_and_discharges_verify_here() {
    init();
    let key = MacaroonKey::generate(SECRET);
    let mut theirs =
        Theirs::create(Some("http://mybank/".into()), &key, "we used our other secret key".into())
            .unwrap();
    theirs.add_first_party_caveat("account = 3735928559".into());
    let caveat_key = MacaroonKey::generate(b"third party secret");
    theirs.add_third_party_caveat(
        "http://auth.mybank/",
        &caveat_key,
        "this was how we remind auth of key/pred".into(),
    );
    theirs.add_first_party_caveat("time < 2030-01-01".into());
    // The third party's discharge, bound by the crate.
    let mut their_discharge = Theirs::create(
        Some("http://auth.mybank/".into()),
        &caveat_key,
        "this was how we remind auth of key/pred".into(),
    )
    .unwrap();
    their_discharge.add_first_party_caveat("user = alice".into());
    theirs.bind(&mut their_discharge);
    // The crate itself accepts the pair (and refuses the macaroon alone).
    let verifier = their_verifier(&[
        b"account = 3735928559".to_vec(),
        b"time < 2030-01-01".to_vec(),
        b"user = alice".to_vec(),
    ]);
    verifier.verify(&theirs, &key, vec![their_discharge.clone()]).unwrap();
    assert!(verifier.verify(&theirs, &key, vec![]).is_err());
    let satisfied: [&[u8]; 3] = [b"account = 3735928559", b"time < 2030-01-01", b"user = alice"];
    let caveats = theirs.caveats();
    let TheirCaveat::ThirdParty(tp) = &caveats[1] else { panic!("third party") };
    let vid = tp.verifier_id().0;
    assert_eq!(vid.len(), 72, "nonce, key and MAC");

    for format in FORMATS {
        let what = format!("{format:?}");
        let text = theirs.serialize(their_format(format)).unwrap();
        let ours = Macaroon::deserialize(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"));
        assert_eq!(ours.caveats().len(), 3, "{what}");
        let third: &RawCaveat<'_> = &ours.caveats()[1];
        assert!(!third.is_first_party(), "{what}");
        assert_eq!(third.id(), b"this was how we remind auth of key/pred", "{what}");
        assert_eq!(third.verification_id(), Some(&vid[..]), "{what}");
        assert_eq!(third.location(), Some(&b"http://auth.mybank/"[..]), "{what}");
        assert!(ours.caveats()[0].is_first_party() && ours.caveats()[2].is_first_party());

        let our_key = RootKey::derive(SECRET);
        assert_eq!(&ours.compute_signature(&our_key).as_bytes()[..], &theirs.signature()[..]);
        assert_eq!(
            ours.verify(&our_key, &mut |_: &[u8]| true),
            Err(Error::DischargeMissing { holder: MacaroonRef::Authorizing, index: 1 }),
            "{what}"
        );
        let discharge_text = their_discharge.serialize(their_format(format)).unwrap();
        let discharge = Macaroon::deserialize(&discharge_text).unwrap();
        let limits = Limits::default();
        assert_eq!(
            ours.verify_with_discharges(
                &our_key,
                &mut |p: &[u8]| satisfied.contains(&p),
                std::slice::from_ref(&discharge),
                &limits
            ),
            Ok(()),
            "{what}"
        );
        assert_eq!(
            ours.verify_with_discharges(
                &our_key,
                &mut |p: &[u8]| p != b"user = alice",
                std::slice::from_ref(&discharge),
                &limits
            ),
            Err(Error::DischargeCaveatNotSatisfied {
                discharge: 0,
                index: 0,
                predicate: "user = alice".into()
            }),
            "{what}"
        );
        assert_eq!(
            ours.verify(&RootKey::derive(OTHER_SECRET), &mut |_: &[u8]| true),
            Err(Error::InvalidSignature)
        );

        match format {
            Format::V1 => assert_eq!(ours.to_v1().unwrap(), their_bytes(&text)),
            Format::V2 => assert_eq!(ours.to_v2(), their_bytes(&text)),
            _ => {
                // Their `v64` is standard base64 with padding.
                assert!(text.contains(&format!(r#""v64":"{}""#, STANDARD.encode(&vid))), "{text}");
                // Our JSON writes `v64` in base64url: the crate reads it only if that happens to
                // have no `-` or `_` (the vid is random, so either can happen here).
                let back = Theirs::deserialize(ours.to_json().unwrap());
                if URL_SAFE_NO_PAD.encode(&vid).contains(['-', '_']) {
                    assert!(back.is_err(), "{back:?}");
                } else {
                    assert_eq!(back.unwrap(), theirs);
                }
            }
        }
        // Our V1 and V2 go back to the crate as the same macaroon.
        for back in [Format::V1, Format::V2] {
            let text = ours.serialize(back, Encoding::Base64Url).unwrap();
            assert_eq!(Theirs::deserialize(&text).unwrap(), theirs, "{what} -> {back:?}");
        }
    }
}

/// Our third-party caveats, discharges and bindings verify in the crate, in V1 and V2; in JSON
/// only when no verification id's base64url has `-` or `_` (the crate's JSON reader takes the
/// standard alphabet only, see the module docs), which the fixed nonces below are chosen for.
#[test]
fn our_third_party_caveats_and_discharges_verify_there() {
    init();
    let key = RootKey::derive(SECRET);
    let caveat_key = RootKey::derive(b"third party secret");
    let nested_key = RootKey::derive(b"nested third party");
    // Fixed nonces whose verification ids encode without `-`/`_`, found by a search over the
    // first byte (the ids are deterministic given the nonce).
    let mut found = None;
    for first in 0..=255u8 {
        let mut nonce = [0x11; 24];
        nonce[0] = first;
        let mut m = Macaroon::new(&key, &b"we used our other secret key"[..])
            .with_location(&b"http://mybank/"[..]);
        m.add_first_party_caveat(&b"account = 3735928559"[..]);
        m.add_third_party_caveat(
            &b"http://auth.mybank/"[..],
            &caveat_key,
            &b"cav-1"[..],
            &mut Fixed(nonce),
        );
        let mut d = Macaroon::discharge(&caveat_key, &b"cav-1"[..]);
        d.add_first_party_caveat(&b"user = alice"[..]);
        d.add_third_party_caveat(
            &b"http://nested/"[..],
            &nested_key,
            &b"cav-2"[..],
            &mut Fixed(nonce),
        );
        let nested = Macaroon::discharge(&nested_key, &b"cav-2"[..]);
        let vids = [&m, &d].map(|x| {
            URL_SAFE_NO_PAD.encode(x.caveats().last().unwrap().verification_id().unwrap())
        });
        if vids.iter().all(|v| !v.contains(['-', '_'])) {
            found = Some((m.clone(), [m.prepare_for_request(&d), m.prepare_for_request(&nested)]));
            break;
        }
    }
    let (m, discharges) = found.expect("a nonce whose ids the crate's JSON reader takes");
    let their_key = MacaroonKey::from(*key.expose());
    for format in FORMATS {
        let what = format!("{format:?}");
        let token = m.serialize(format, Encoding::Base64Url).unwrap();
        let theirs = Theirs::deserialize(&token).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        let their_discharges: Vec<Theirs> = discharges
            .iter()
            .map(|d| {
                Theirs::deserialize(d.serialize(format, Encoding::Base64Url).unwrap()).unwrap()
            })
            .collect();
        let verifier =
            their_verifier(&[b"account = 3735928559".to_vec(), b"user = alice".to_vec()]);
        verifier
            .verify(&theirs, &their_key, their_discharges.clone())
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        // And it refuses the pair with the nested discharge missing, or unbound.
        assert!(verifier.verify(&theirs, &their_key, their_discharges[..1].to_vec()).is_err());
        let unbound = Theirs::deserialize(
            Macaroon::discharge(&caveat_key, &b"cav-1"[..])
                .serialize(format, Encoding::Base64Url)
                .unwrap(),
        )
        .unwrap();
        assert!(
            verifier
                .verify(&theirs, &their_key, vec![unbound, their_discharges[1].clone()])
                .is_err()
        );
        // Ours accepts the same.
        assert_eq!(
            m.verify_with_discharges(
                &key,
                &mut |p: &[u8]| p == b"account = 3735928559" || p == b"user = alice",
                &discharges,
                &Limits::default()
            ),
            Ok(())
        );
    }
}

/// Repeats a fixed nonce: a deterministic source for tests only.
struct Fixed([u8; 24]);

impl rand_core::TryRng for Fixed {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.iter_mut().zip(self.0.iter().cycle()).for_each(|(d, s)| *d = *s);
        Ok(())
    }
}
impl rand_core::TryCryptoRng for Fixed {}

/// go-macaroon's JSON vector (third-party caveat, no `"v"`, url-safe `v64` with `_`): we read it;
/// the crate refuses it, and refuses our JSON of it, because of the base64 alphabet alone.
#[test]
fn the_crate_refuses_url_safe_base64_and_missing_fields_in_json() {
    init();
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("vectors/macaroons.json")).unwrap();
    let go_json = vectors["v2json"][2]["token"].as_str().unwrap();
    let ours = Macaroon::deserialize(go_json).unwrap();
    let vid = ours.caveats()[1].verification_id().unwrap().to_vec();
    let url_vid = URL_SAFE_NO_PAD.encode(&vid);
    assert!(url_vid.contains('_'), "{url_vid}");

    // Refused for its `v64` (url-safe) before the missing "v" is even noticed.
    let err = Theirs::deserialize(go_json).unwrap_err();
    assert!(
        matches!(&err, MacaroonError::DeserializationError(m) if m.contains("base64")),
        "{err:?}"
    );

    let our_json = ours.to_json().unwrap();
    assert!(our_json.contains(&format!(r#""v64":"{url_vid}""#)), "{our_json}");
    let err = Theirs::deserialize(&our_json).unwrap_err();
    assert!(
        matches!(&err, MacaroonError::DeserializationError(m) if m.contains("base64")),
        "{err:?}"
    );

    // The same JSON with `v64` in the standard alphabet is read, and is the same macaroon as our V1.
    let std_json = our_json.replace(&url_vid, &STANDARD.encode(&vid));
    let from_std = Theirs::deserialize(&std_json).expect("standard alphabet is read");
    let from_v1 =
        Theirs::deserialize(ours.serialize(Format::V1, Encoding::Base64Url).unwrap()).unwrap();
    assert_eq!(from_std, from_v1);
    let caveats = from_v1.caveats();
    let TheirCaveat::ThirdParty(tp) = &caveats[1] else { panic!("third party") };
    assert_eq!(tp.verifier_id().0, vid);
    // And we read it whatever the alphabet.
    assert_eq!(Macaroon::deserialize(&std_json).unwrap(), ours);

    // pymacaroons-style JSON: no "v", and no "c" without caveats. We read it; the crate does not.
    let py = r#"{"i": "keyid", "s64": "fN7nklEcW8b1KEhYBd_psk54XijiqZMB-dcRxgnjjvc"}"#;
    let ours = Macaroon::deserialize(py).unwrap();
    ours.verify(&RootKey::derive(SECRET), &mut |_: &[u8]| false).unwrap();
    let err = Theirs::deserialize(py).unwrap_err();
    assert!(
        matches!(&err, MacaroonError::DeserializationError(m) if m.contains("missing field `v`")),
        "{err:?}"
    );
    let with_v = r#"{"v": 2, "i": "keyid", "s64": "fN7nklEcW8b1KEhYBd_psk54XijiqZMB-dcRxgnjjvc"}"#;
    let err = Theirs::deserialize(with_v).unwrap_err();
    assert!(
        matches!(&err, MacaroonError::DeserializationError(m) if m.contains("missing field `c`")),
        "{err:?}"
    );
}

/// `Some("")` in the crate: V1 writes the empty location packet (as libmacaroons), V2 an empty
/// location field `0x01 0x00` (libmacaroons omits it), JSON `"l":""`. All read here as no location.
#[test]
fn their_empty_location() {
    init();
    let key = MacaroonKey::generate(SECRET);
    let mut theirs = Theirs::create(Some(String::new()), &key, "keyid".into()).unwrap();
    theirs.add_first_party_caveat("account = 3735928559".into());
    let ours_minted = mint_ours(
        &Case {
            location: None,
            identifier: b"keyid".to_vec(),
            caveats: vec![b"account = 3735928559".to_vec()],
        },
        &RootKey::derive(SECRET),
    );

    let v1 = theirs.serialize(TheirFormat::V1).unwrap();
    assert!(their_bytes(&v1).starts_with(EMPTY_LOCATION_PACKET));
    let ours = Macaroon::deserialize(&v1).unwrap();
    assert_eq!(ours, ours_minted);
    assert_eq!(ours.to_v1().unwrap(), their_bytes(&v1));

    let v2 = their_bytes(&theirs.serialize(TheirFormat::V2).unwrap());
    assert_eq!(&v2[..3], [0x02, 0x01, 0x00]);
    let ours = Macaroon::from_v2(&v2, &Limits::default()).unwrap();
    assert_eq!(ours, ours_minted);
    assert_eq!(ours.to_v2(), [&[0x02][..], &v2[3..]].concat());

    let json = theirs.serialize(TheirFormat::V2JSON).unwrap();
    assert!(json.contains(r#""l":"","l64":null"#), "{json}");
    assert_eq!(Macaroon::deserialize(&json).unwrap(), ours_minted);
}

/// A V1 packet over 65535 bytes: the crate writes its length modulo 0x10000 instead of failing.
#[test]
fn the_crate_writes_corrupt_v1_headers_for_oversized_packets() {
    init();
    let key = MacaroonKey::generate(SECRET);
    let predicate = vec![b'a'; 65_530];
    let mut theirs = Theirs::create(Some("l".into()), &key, "keyid".into()).unwrap();
    theirs.add_first_party_caveat(ByteString(predicate.clone()));
    let text = theirs.serialize(TheirFormat::V1).unwrap();
    let bytes = their_bytes(&text);
    // "000flocation l\n" (15 bytes) and "0015identifier keyid\n" (21 bytes), then the cid
    // packet: 4 + 4 + 65530 + 1 = 65539 = 0x10003 bytes, written as "0003".
    assert!(bytes.starts_with(b"000flocation l\n0015identifier keyid\n"));
    let cid = &bytes[15 + 21..];
    assert_eq!(&cid[..8], b"0003cid ");
    let big = Limits::default().with_max_token_len(1 << 20).with_max_field_len(1 << 17);
    let err = Macaroon::deserialize_with(&text, &big).unwrap_err();
    assert!(matches!(err, Error::Malformed { reading: "packet length", .. }), "{err:?}");

    // We refuse to write such a packet, and V2 (varint lengths) carries it fine.
    let ours = mint_ours(
        &Case {
            location: Some("l"),
            identifier: b"keyid".to_vec(),
            caveats: vec![predicate.clone()],
        },
        &RootKey::derive(SECRET),
    );
    assert!(matches!(ours.to_v1(), Err(Error::Unencodable { field: "cid", .. })));
    let v2 = Macaroon::deserialize_with(&theirs.serialize(TheirFormat::V2).unwrap(), &big).unwrap();
    assert_eq!(v2, ours);
}

/// A location that is not UTF-8 (which libmacaroons and we allow) is refused by the crate in every
/// format; the same token with a text location is read.
#[test]
fn the_crate_refuses_non_utf8_locations() {
    init();
    let key = RootKey::derive(SECRET);
    let mut binary = Macaroon::new(&key, &b"keyid"[..]).with_location(vec![0xc3u8, 0x28]);
    binary.add_first_party_caveat(&b"account = 3735928559"[..]);
    let mut text = Macaroon::new(&key, &b"keyid"[..]).with_location(&b"\xc3\xa9"[..]);
    text.add_first_party_caveat(&b"account = 3735928559"[..]);
    for format in FORMATS {
        let token = binary.serialize(format, Encoding::Base64Url).unwrap();
        assert_eq!(Macaroon::deserialize(&token).unwrap(), binary, "{format:?}");
        let err = Theirs::deserialize(&token).unwrap_err();
        assert!(
            matches!(&err, MacaroonError::DeserializationError(m) if m.contains("utf-8")),
            "{format:?}: {err:?}"
        );
        let token = text.serialize(format, Encoding::Base64Url).unwrap();
        assert_eq!(Theirs::deserialize(&token).unwrap().location().as_deref(), Some("\u{e9}"));
    }
}
