//! Golden vectors from libmacaroons, pymacaroons, go-macaroon and Onezone
//! (`tests/vectors/macaroons.json`, a copy of the project's shared vectors).

use onezone_tokens::macaroon::{
    DecodedToken, Encoding, Error, Format, Limits, Macaroon, MacaroonRef, RawCaveat, RootKey,
    decode_text,
};
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/macaroons.json")).expect("vector file is JSON")
}

fn s<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key].as_str().unwrap_or_else(|| panic!("vector field {key} missing in {v}"))
}

fn caveats(v: &Value) -> Vec<String> {
    v["caveats"].as_array().map_or_else(Vec::new, |a| {
        a.iter().map(|c| c.as_str().expect("caveat string").to_owned()).collect()
    })
}

fn mint(v: &Value) -> Macaroon<'static> {
    let key = RootKey::derive(s(v, "secret").as_bytes());
    let mut m = Macaroon::new(&key, s(v, "identifier").as_bytes().to_vec())
        .with_location(s(v, "location").as_bytes().to_vec());
    for c in caveats(v) {
        m.add_first_party_caveat(c.into_bytes());
    }
    m
}

fn assert_fields(m: &Macaroon<'_>, v: &Value) {
    assert_eq!(m.location(), Some(s(v, "location").as_bytes()), "{v}");
    assert_eq!(m.identifier(), s(v, "identifier").as_bytes(), "{v}");
    let ids: Vec<&[u8]> = m.caveats().iter().map(RawCaveat::id).collect();
    let want = caveats(v);
    let want: Vec<&[u8]> = want.iter().map(|c| c.as_bytes()).collect();
    assert_eq!(ids, want, "{v}");
    assert_eq!(m.signature().to_hex(), s(v, "signature_hex"), "{v}");
}

fn verify_exact(m: &Macaroon<'_>, secret: &str, v: &Value) {
    let want = caveats(v);
    let key = RootKey::derive(secret.as_bytes());
    m.verify(&key, &mut |c: &[u8]| want.iter().any(|w| w.as_bytes() == c))
        .unwrap_or_else(|e| panic!("{e} for {v}"));
    // The same token under another secret is an opaque failure.
    let wrong = RootKey::derive(b"not the secret");
    assert_eq!(m.verify(&wrong, &mut |_: &[u8]| true), Err(Error::InvalidSignature));
}

#[test]
fn v1_vectors_mint_byte_for_byte_and_parse() {
    let all = vectors();
    for v in all["v1"].as_array().expect("v1 list") {
        let minted = mint(v);
        let encoding =
            if s(v, "format") == "v1+escape62" { Encoding::Escaped } else { Encoding::Base64Url };
        assert_eq!(minted.serialize(Format::V1, encoding).expect("encodes"), s(v, "token"), "{v}");
        assert_eq!(minted.signature().to_hex(), s(v, "signature_hex"));

        let parsed = Macaroon::deserialize(s(v, "token")).expect("parses");
        assert_fields(&parsed, v);
        assert_eq!(parsed, minted);
        verify_exact(&parsed, s(v, "secret"), v);

        let decoded = decode_text(s(v, "token"), &Limits::default()).expect("decodes");
        assert_eq!(decoded.format(), Format::V1);
        assert_eq!(decoded.escaped(), encoding == Encoding::Escaped, "{v}");

        if let Some(padded) = v.get("token_padded").and_then(Value::as_str) {
            let p = Macaroon::deserialize(padded).expect("padded pymacaroons form is accepted");
            assert_eq!(p, parsed);
        }
    }
}

#[test]
fn v2_vectors_mint_byte_for_byte_and_verify() {
    let all = vectors();
    for v in all["v2"].as_array().expect("v2 list") {
        let minted = mint(v);
        assert_eq!(
            minted.serialize(Format::V2, Encoding::Base64Url).expect("encodes"),
            s(v, "token")
        );
        let parsed = Macaroon::deserialize(s(v, "token")).expect("parses");
        assert_fields(&parsed, v);
        verify_exact(&parsed, s(v, "secret"), v);
        let decoded = decode_text(s(v, "token"), &Limits::default()).expect("decodes");
        assert_eq!(decoded.format(), Format::V2);
    }
}

#[test]
fn v2_json_vectors() {
    let all = vectors();
    for v in all["v2json"].as_array().expect("v2json list") {
        let parsed = Macaroon::deserialize(s(v, "token")).expect("parses");
        assert_eq!(parsed.signature().to_hex(), s(v, "signature_hex"));
        let Some(secret) = v.get("secret").and_then(Value::as_str) else {
            // go's third-party vector: kept byte for byte through V1/V2/JSON re-encoding.
            let third = parsed.caveats().iter().find(|c| !c.is_first_party()).expect("third party");
            assert_eq!(third.location(), Some(&b"http://auth.mybank/"[..]));
            assert_eq!(third.verification_id().map(<[u8]>::len), Some(72));
            for format in [Format::V1, Format::V2, Format::V2Json] {
                let text = parsed.serialize(format, Encoding::Base64Url).expect("encodes");
                assert_eq!(Macaroon::deserialize(&text).expect("round trip"), parsed);
            }
            continue;
        };
        assert_eq!(
            caveats(v),
            parsed
                .caveats()
                .iter()
                .map(|c| String::from_utf8(c.id().to_vec()).unwrap())
                .collect::<Vec<_>>()
        );
        // Minting the same macaroon writes the libmacaroons JSON byte for byte.
        let key = RootKey::derive(secret.as_bytes());
        let mut m = Macaroon::new(&key, parsed.identifier().to_vec())
            .with_location(parsed.location().expect("location").to_vec());
        for c in caveats(v) {
            m.add_first_party_caveat(c.into_bytes());
        }
        assert_eq!(m.to_json().unwrap(), s(v, "token"));
        verify_exact(&parsed, secret, v);
    }
}

#[test]
fn third_party_v1_vector_round_trips_and_needs_its_discharge() {
    let all = vectors();
    let v = &all["third_party_v1"];
    let parsed = Macaroon::deserialize(s(v, "token")).expect("parses");
    assert_eq!(parsed.location(), Some(s(v, "location").as_bytes()));
    assert_eq!(parsed.identifier(), s(v, "identifier").as_bytes());
    assert_eq!(parsed.signature().to_hex(), s(v, "signature_hex"));
    assert_eq!(parsed.serialize(Format::V1, Encoding::Base64Url).expect("encodes"), s(v, "token"));
    // The same macaroon as go wrote it in JSON.
    let go = Macaroon::deserialize(s(&all["v2json"][2], "token")).expect("parses");
    assert_eq!(go, parsed);

    let key = RootKey::derive(s(v, "secret").as_bytes());
    // The chain (with the libmacaroons third-party step) reproduces the signature...
    assert_eq!(parsed.compute_signature(&key).to_hex(), s(v, "signature_hex"));
    // ...but without its discharge the token must never pass (tests/discharge.rs verifies it
    // with one).
    let missing = Err(Error::DischargeMissing { holder: MacaroonRef::Authorizing, index: 1 });
    assert_eq!(parsed.verify(&key, &mut |_: &[u8]| true), missing);
    assert_eq!(parsed.verify_signature(&key), missing);
    assert_eq!(
        parsed.verify(&RootKey::derive(b"wrong"), &mut |_: &[u8]| true),
        Err(Error::InvalidSignature)
    );
}

#[test]
fn seed_examples() {
    let all = vectors();
    let seed = &all["seed_examples"];
    let fields = &seed["repaired_fields"];

    let repaired = Macaroon::deserialize(s(seed, "repaired")).expect("the repaired token parses");
    assert_eq!(repaired.location(), Some(s(fields, "location").as_bytes()));
    assert_eq!(repaired.identifier(), s(fields, "identifier").as_bytes());
    assert_eq!(repaired.caveats().len(), 1);
    assert_eq!(repaired.caveats()[0].id(), b"time < 1496140144");
    assert_eq!(repaired.signature().to_hex(), s(fields, "signature_hex"));
    // Re-encoding gives the repaired text back.
    assert_eq!(repaired.serialize(Format::V1, Encoding::Base64Url).unwrap(), s(seed, "repaired"));

    // "JK" decodes to 0x24 0xa0: not the start of any format.
    let corrupted = Macaroon::deserialize(s(seed, "corrupted")).unwrap_err();
    assert_eq!(corrupted, Error::UnknownFormat { first_byte: 0x24 });
    assert!(corrupted.to_string().contains("no known macaroon format"));

    // The cURL example was cut mid-character: its (escaped) base64 ends with stray bits.
    let truncated = Macaroon::deserialize(s(seed, "truncated")).unwrap_err();
    assert!(matches!(truncated, Error::Base64 { offset: 57, .. }), "{truncated:?}");
    assert!(truncated.to_string().contains("truncated"), "{truncated}");
}

#[test]
fn decoded_token_borrows_and_reports_format() {
    let all = vectors();
    let token = s(&all["v1"][1], "token");
    let decoded: DecodedToken<'_> = decode_text(token, &Limits::default()).unwrap();
    let m = decoded.macaroon(&Limits::default()).unwrap();
    assert_eq!(m.identifier(), b"keyid");
    assert_eq!(Macaroon::from_v1(decoded.as_bytes(), &Limits::default()).unwrap(), m);
    assert_eq!(Macaroon::from_binary(decoded.as_bytes(), &Limits::default()).unwrap(), m);
}
