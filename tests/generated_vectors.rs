//! The generated vectors (`tests/vectors/generated.json`, written by
//! `cargo run --example gen_vectors`): minting from the recorded inputs reproduces every output
//! byte for byte, and every output parses back to the inputs and verifies.

use onezone_tokens::macaroon::{Encoding, Error, Format, Limits, Macaroon, RootKey, decode_text};
use serde_json::Value;

// The generator itself, to check that the committed file is what it writes today.
#[allow(dead_code)]
#[path = "../examples/gen_vectors.rs"]
mod generator;

fn file() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(generator::PATH);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cases() -> Vec<Value> {
    let all: Value = serde_json::from_str(&file()).expect("the vector file is JSON");
    all["cases"].as_array().expect("a list of cases").clone()
}

/// `{"utf8": text}` or `{"hex": bytes}`.
fn data(v: &Value) -> Vec<u8> {
    if let Some(text) = v.get("utf8").and_then(Value::as_str) {
        return text.as_bytes().to_vec();
    }
    let hex = v.get("hex").and_then(Value::as_str).unwrap_or_else(|| panic!("not data: {v}"));
    let bytes = hex::decode(hex).expect("hex");
    assert!(std::str::from_utf8(&bytes).is_err(), "UTF-8 input written as hex: {v}");
    bytes
}

struct Case {
    name: String,
    secret: Vec<u8>,
    location: Option<Vec<u8>>,
    identifier: Vec<u8>,
    caveats: Vec<Vec<u8>>,
    signature_hex: String,
    /// (format, encoding, field name, text)
    outputs: Vec<(Format, Encoding, &'static str, String)>,
}

const OUTPUTS: [(Format, Encoding, &str); 5] = [
    (Format::V1, Encoding::Base64Url, "v1_base64url"),
    (Format::V1, Encoding::Escaped, "v1_escaped"),
    (Format::V2, Encoding::Base64Url, "v2_base64url"),
    (Format::V2, Encoding::Escaped, "v2_escaped"),
    (Format::V2Json, Encoding::Base64Url, "v2_json"),
];

fn parse_case(v: &Value) -> Case {
    let s =
        |key: &str| v[key].as_str().unwrap_or_else(|| panic!("{key} missing in {v}")).to_owned();
    Case {
        name: format!("case {}", v["case"]),
        secret: data(&v["secret"]),
        location: if v["location"].is_null() { None } else { Some(data(&v["location"])) },
        identifier: data(&v["identifier"]),
        caveats: v["caveats"].as_array().expect("caveats").iter().map(data).collect(),
        signature_hex: s("signature_hex"),
        outputs: OUTPUTS.iter().map(|&(f, e, name)| (f, e, name, s(name))).collect(),
    }
}

impl Case {
    fn key(&self) -> RootKey {
        RootKey::derive(&self.secret)
    }

    fn mint(&self) -> Macaroon<'_> {
        let mut m = Macaroon::new(&self.key(), &self.identifier[..]);
        if let Some(location) = &self.location {
            m = m.with_location(&location[..]);
        }
        for caveat in &self.caveats {
            m.add_first_party_caveat(&caveat[..]);
        }
        m
    }

    fn assert_inputs(&self, m: &Macaroon<'_>, what: &str) {
        let name = &self.name;
        assert_eq!(m.location(), self.location.as_deref(), "{name} {what}");
        assert_eq!(m.identifier(), &self.identifier[..], "{name} {what}");
        let ids: Vec<&[u8]> = m.caveats().iter().map(|c| c.id()).collect();
        let want: Vec<&[u8]> = self.caveats.iter().map(Vec::as_slice).collect();
        assert_eq!(ids, want, "{name} {what}");
        assert!(m.caveats().iter().all(|c| c.is_first_party()), "{name} {what}");
        assert_eq!(m.signature().to_hex(), self.signature_hex, "{name} {what}");
    }

    fn assert_verifies(&self, m: &Macaroon<'_>, what: &str) {
        let name = &self.name;
        let caveats = &self.caveats;
        let mut exactly = |c: &[u8]| caveats.iter().any(|w| w == c);
        assert_eq!(m.verify(&self.key(), &mut exactly), Ok(()), "{name} {what}");
        assert_eq!(m.verify_signature(&self.key()), Ok(()), "{name} {what}");
        let wrong = RootKey::derive(b"not the secret of any generated case");
        assert_eq!(m.verify(&wrong, &mut exactly), Err(Error::InvalidSignature), "{name} {what}");
        if let Some(first) = caveats.first() {
            let expected = Error::CaveatNotSatisfied {
                index: 0,
                predicate: String::from_utf8_lossy(first).into_owned(),
            };
            assert_eq!(m.verify(&self.key(), &mut |_: &[u8]| false), Err(expected), "{name}");
        }
    }
}

#[test]
fn the_committed_file_is_what_the_generator_writes() {
    assert!(
        file() == generator::render(),
        "tests/vectors/generated.json is stale: run `cargo run --example gen_vectors`"
    );
    assert!(file().ends_with("}\n"));
    assert!(!file().contains('\r'));
}

#[test]
fn the_cases_cover_what_they_should() {
    let cases: Vec<Case> = cases().iter().map(parse_case).collect();
    assert_eq!(cases.len(), generator::CASES);
    let count = |f: &dyn Fn(&Case) -> bool| cases.iter().filter(|c| f(c)).count();
    let binary = |b: &[u8]| std::str::from_utf8(b).is_err();
    assert!(count(&|c| c.location.is_none()) >= 4);
    assert!(count(&|c| c.location.as_deref().is_some_and(binary)) >= 2);
    assert!(count(&|c| binary(&c.identifier)) >= 5);
    assert!(count(&|c| !binary(&c.identifier)) >= 5);
    assert!(count(&|c| binary(&c.secret)) >= 5);
    assert!(count(&|c| c.caveats.is_empty()) >= 1);
    assert!(count(&|c| c.caveats.len() == 10) >= 1);
    assert!(count(&|c| c.caveats.iter().any(|cav| binary(cav))) >= 5);
    // Non-UTF-8 fields make the JSON form use its base64 fields.
    assert!(count(&|c| c.outputs[4].3.contains("64\":")) >= 5);
}

#[test]
fn minting_reproduces_every_output_byte_for_byte() {
    for case in cases().iter().map(parse_case) {
        let m = case.mint();
        case.assert_inputs(&m, "minted");
        case.assert_verifies(&m, "minted");
        for (format, encoding, name, text) in &case.outputs {
            let written = m.serialize(*format, *encoding).expect("encodes");
            assert_eq!(&written, text, "{} {name}", case.name);
        }
        assert_eq!(m.to_json().unwrap(), case.outputs[4].3, "{}", case.name);
    }
}

#[test]
fn every_output_parses_back_to_the_inputs_and_verifies() {
    let limits = Limits::default();
    for case in cases().iter().map(parse_case) {
        let minted = case.mint();
        for (format, encoding, name, text) in &case.outputs {
            let what = format!("{name}: {text}");
            // Owned.
            let parsed = Macaroon::deserialize(text).unwrap_or_else(|e| panic!("{what}: {e}"));
            case.assert_inputs(&parsed, &what);
            case.assert_verifies(&parsed, &what);
            assert_eq!(parsed, minted, "{what}");
            assert_eq!(parsed.serialize(*format, *encoding).as_ref(), Ok(text), "{what}");

            // Borrowed, with the detected format and encoding.
            let decoded = decode_text(text, &limits).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(decoded.format(), *format, "{what}");
            let plain = &case.outputs.iter().find(|o| o.0 == *format).expect("plain form").3;
            assert_eq!(decoded.escaped(), text != plain, "{what}");
            let borrowed = decoded.macaroon(&limits).unwrap_or_else(|e| panic!("{what}: {e}"));
            case.assert_inputs(&borrowed, &what);
            case.assert_verifies(&borrowed, &what);

            // The decoded bytes through the format's own reader and writer.
            let bytes = decoded.as_bytes();
            let (again, rewritten) = match format {
                Format::V1 => {
                    let m = Macaroon::from_v1(bytes, &limits).expect("V1 bytes");
                    let v1 = m.to_v1().expect("fits V1");
                    (m, v1)
                }
                Format::V2 => {
                    let m = Macaroon::from_v2(bytes, &limits).expect("V2 bytes");
                    let v2 = m.to_v2();
                    (m, v2)
                }
                _ => {
                    let json = std::str::from_utf8(bytes).expect("JSON text");
                    let m = Macaroon::from_json(json, &limits).expect("JSON");
                    let written = m.to_json().unwrap().into_bytes();
                    (m, written)
                }
            };
            assert_eq!(rewritten, bytes, "{what}");
            assert_eq!(Macaroon::from_binary(bytes, &limits).as_ref(), Ok(&again), "{what}");
            case.assert_inputs(&again, &what);
        }
    }
}

/// The third-party cases: minting with the recorded nonce reproduces every output byte for byte,
/// and every format of the macaroon verifies with every format of its bound discharge.
#[test]
fn third_party_cases_reproduce_and_verify_with_their_discharge() {
    let all: Value = serde_json::from_str(&file()).expect("the vector file is JSON");
    let cases = all["third_party_cases"].as_array().expect("third-party cases");
    assert_eq!(cases.len(), generator::THIRD_PARTY_CASES);
    let inputs = generator::third_party_inputs();
    let limits = Limits::default();
    for (v, inputs) in cases.iter().zip(&inputs) {
        let name = format!("third-party case {}", v["case"]);
        let s = |key: &str| v[key].as_str().unwrap_or_else(|| panic!("{key} in {v}")).to_owned();
        // The recorded inputs are the generator's.
        assert_eq!(data(&v["secret"]), inputs.base.secret, "{name}");
        assert_eq!(data(&v["caveat_secret"]), inputs.caveat_secret, "{name}");
        assert_eq!(data(&v["caveat_id"]), inputs.caveat_id, "{name}");
        assert_eq!(s("nonce_hex"), hex::encode(inputs.nonce), "{name}");
        let discharge_caveats: Vec<Vec<u8>> =
            v["discharge_caveats"].as_array().expect("list").iter().map(data).collect();
        assert_eq!(discharge_caveats, inputs.discharge_caveats, "{name}");

        let (m, bound) = generator::mint_third_party(inputs);
        assert_eq!(m.signature().to_hex(), s("signature_hex"), "{name}");
        assert_eq!(bound.signature().to_hex(), s("bound_signature_hex"), "{name}");
        let vid = m.caveats().last().and_then(|c| c.verification_id()).expect("third party");
        assert_eq!(&vid[..24], &inputs.nonce[..], "{name}: the nonce starts the vid");

        let key = RootKey::derive(&inputs.base.secret);
        let mut all_caveats = inputs.base.caveats.clone();
        all_caveats.extend(discharge_caveats);
        let mut exactly = |c: &[u8]| all_caveats.iter().any(|w| w == c);
        for format in ["v1_base64url", "v2_base64url", "v2_json"] {
            let text = s(format);
            let parsed = Macaroon::deserialize(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(parsed, m, "{name} {format}");
            for discharge_format in
                ["discharge_v1_base64url", "discharge_v2_base64url", "discharge_v2_json"]
            {
                let d = Macaroon::deserialize(&s(discharge_format)).expect("discharge parses");
                assert_eq!(d, bound, "{name} {discharge_format}");
                assert_eq!(
                    parsed.verify_with_discharges(&key, &mut exactly, &[d], &limits),
                    Ok(()),
                    "{name} {format} {discharge_format}"
                );
            }
            let index = parsed.caveats().len() - 1;
            assert_eq!(
                parsed.verify(&key, &mut exactly),
                Err(Error::DischargeMissing {
                    holder: onezone_tokens::macaroon::MacaroonRef::Authorizing,
                    index
                }),
                "{name} {format}"
            );
        }
    }
}
