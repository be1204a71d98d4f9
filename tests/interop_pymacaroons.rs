//! Cross-check with pymacaroons (0.13), both ways, through `tests/interop/pymacaroons_check.py`.
//!
//! Needs `python3` with pymacaroons importable: `python3 -m pip install pymacaroons==0.13.0`
//! (brings PyNaCl, which has wheels, and six). Without it every test is reported *ignored* (the
//! reason on stderr), never passed, unless the environment variable `ONEZONE_REQUIRE_PYMACAROONS`
//! is set (to anything): then a missing python3 or pymacaroons fails every test. CI sets it.
//!
//! What pymacaroons writes, compared with libmacaroons (and pinned below):
//!
//! * V1: the same bytes and text as libmacaroons and we write (location packet always, base64url
//!   without padding): we re-encode its V1 tokens byte for byte. Except with a non-ASCII
//!   identifier (or location): pymacaroons sizes that packet by *characters*, so its header is
//!   short by the extra UTF-8 bytes and the token is corrupt; libmacaroons, pymacaroons itself
//!   and we refuse it ("does not end with a newline"). Its V2 has no such problem.
//! * V2 with a location: the same bytes as ours. V2 without a location: pymacaroons writes an
//!   empty location field `0x01 0x00` (its `location` is never `None`); libmacaroons omits it but
//!   reads it back as no location, as we do, so our re-encoding is 2 bytes shorter.
//! * V2 JSON: `json.dumps` of a dict, so `", "`/`": "` separators, its own key order, no `"v"`,
//!   no `"c"` when there are no caveats (libmacaroons' JSON reader requires `"c"`, so it refuses
//!   those), and non-ASCII text escaped as `\uXXXX` (libmacaroons' JSON reader refuses `\u`
//!   escapes). We read all of it; it is not canonical, so only the fields are compared.
//! * For V1 macaroons its `JsonSerializer` writes pymacaroons' own "JSON v1"
//!   (`{"identifier", "signature" (hex), "location", "caveats": [{"cid"}]}`), which no other
//!   implementation reads; neither do we.
//!
//! And what pymacaroons cannot do with our tokens: check a first-party caveat that is not UTF-8
//! (its verifier decodes every predicate as UTF-8; it reads such tokens fine).
//!
//! Third-party caveats: pymacaroons' `add_third_party_caveat` takes the raw caveat key (and
//! derives it as a root key, as we expect callers to with `RootKey::derive`) and a `nonce`
//! keyword, so its output is pinned byte for byte here; its `prepare_for_request` is
//! libmacaroons' binding. Its verifier does not require every discharge to be used and does not
//! bound nesting (we do); none of the cases here depends on that.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use onezone_tokens::macaroon::{Encoding, Error, Format, Macaroon, RootKey};
use serde_json::{Value, json};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/pymacaroons_check.py");
const REQUIRE: &str = "ONEZONE_REQUIRE_PYMACAROONS";
const INSTALL: &str = "python3 -m pip install pymacaroons==0.13.0";

const SECRET: &[u8] = b"this is our super secret key; only we should know it";
const OTHER_SECRET: &[u8] = b"this is not the key";

/// Why python3 with pymacaroons cannot be used here, or `None` when it can.
fn pymacaroons_problem() -> Option<String> {
    match Command::new("python3").arg(SCRIPT).arg("probe").output() {
        Err(e) => Some(format!("python3 cannot be run ({e})")),
        Ok(out) if out.status.success() => match serde_json::from_slice::<Value>(&out.stdout) {
            Ok(probe) if probe["pymacaroons"].is_string() => None,
            _ => Some(format!(
                "the probe printed no pymacaroons version: {}",
                String::from_utf8_lossy(&out.stdout).trim()
            )),
        },
        Ok(out) => Some(format!(
            "pymacaroons is not importable by python3 ({}: {})",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// The cross-checks, each needing pymacaroons.
const TESTS: [(&str, fn()); 5] = [
    (
        "pymacaroons_tokens_parse_verify_and_re_encode_here",
        pymacaroons_tokens_parse_verify_and_re_encode_here,
    ),
    ("pymacaroons_reads_and_verifies_our_tokens", pymacaroons_reads_and_verifies_our_tokens),
    (
        "pymacaroons_reads_binary_predicates_and_third_party_caveats",
        pymacaroons_reads_binary_predicates_and_third_party_caveats,
    ),
    (
        "pymacaroons_third_party_caveats_and_discharges_verify_here",
        pymacaroons_third_party_caveats_and_discharges_verify_here,
    ),
    (
        "pymacaroons_verifies_our_third_party_caveats_and_discharges",
        pymacaroons_verifies_our_third_party_caveats_and_discharges,
    ),
];

/// Runs the cross-checks when pymacaroons is there; otherwise reports them ignored (and says
/// why), or failed when `ONEZONE_REQUIRE_PYMACAROONS` is set.
fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let problem = pymacaroons_problem();
    let required = std::env::var_os(REQUIRE).is_some();
    if let Some(problem) = &problem {
        if required {
            eprintln!(
                "interop_pymacaroons: {REQUIRE} is set but {problem}; install it with `{INSTALL}`"
            );
        } else {
            eprintln!(
                "interop_pymacaroons: ignored: {problem}. Install it with `{INSTALL}`, \
                 or set {REQUIRE}=1 to make this a failure."
            );
        }
    }
    let trials = TESTS
        .iter()
        .map(|&(name, test)| {
            let ignored = problem.is_some() && !required;
            let problem = problem.clone();
            libtest_mimic::Trial::test(name, move || match problem {
                Some(problem) => Err(format!("{REQUIRE} is set but {problem}").into()),
                None => {
                    test();
                    Ok(())
                }
            })
            .with_ignored_flag(ignored)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

/// Runs the script's `command` with one JSON line per input and returns its output lines.
fn run(command: &str, input: &[Value]) -> Vec<Value> {
    let mut child = Command::new("python3")
        .arg(SCRIPT)
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    {
        // The script reads all its input before writing, so this cannot deadlock.
        let mut stdin = child.stdin.take().expect("stdin");
        for line in input {
            writeln!(stdin, "{line}").expect("write to the script");
        }
    }
    let out = child.wait_with_output().expect("the script finishes");
    assert!(
        out.status.success(),
        "pymacaroons_check.py {command} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), input.len(), "one output line per input line");
    lines
}

/// One macaroon to mint on either side.
#[derive(Debug, Clone)]
struct Spec {
    location: &'static str,
    identifier: Vec<u8>,
    caveats: Vec<String>,
}

fn specs() -> Vec<Spec> {
    let many: Vec<String> = (0..10)
        .map(|i| format!("caveat {i} {}", "=".repeat(i)))
        .chain(["time < 2030-01-01, \"quoted\"\nand \u{e9}t\u{e9}".to_owned()])
        .collect();
    let mut all = Vec::new();
    for location in ["", "http://example.org/", "onezone"] {
        for identifier in
            [&b"keyid"[..], b"k", b"ke", "\u{fc}n\u{ef}code id".as_bytes(), &[b'x'; 300]]
        {
            for caveats in [vec![], vec!["account = 3735928559".to_owned()], many.clone()] {
                all.push(Spec { location, identifier: identifier.to_vec(), caveats });
            }
        }
    }
    all
}

fn mint_ours(spec: &Spec, secret: &[u8]) -> Macaroon<'static> {
    let mut m = Macaroon::new(&RootKey::derive(secret), spec.identifier.clone())
        .with_location(spec.location.as_bytes().to_vec());
    for c in &spec.caveats {
        m.add_first_party_caveat(c.clone().into_bytes());
    }
    m
}

fn assert_fields(m: &Macaroon<'_>, spec: &Spec, signature_hex: &str, what: &str) {
    let location = Some(spec.location.as_bytes()).filter(|l| !l.is_empty());
    assert_eq!(m.location(), location, "{what}");
    assert_eq!(m.identifier(), &spec.identifier[..], "{what}");
    let ids: Vec<&[u8]> = m.caveats().iter().map(|c| c.id()).collect();
    let want: Vec<&[u8]> = spec.caveats.iter().map(String::as_bytes).collect();
    assert_eq!(ids, want, "{what}");
    assert!(m.caveats().iter().all(|c| c.is_first_party()), "{what}");
    assert_eq!(m.signature().to_hex(), signature_hex, "{what}");
}

fn assert_we_verify(m: &Macaroon<'_>, spec: &Spec, what: &str) {
    let key = RootKey::derive(SECRET);
    m.verify(&key, &mut |c: &[u8]| spec.caveats.iter().any(|w| w.as_bytes() == c))
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        m.verify(&RootKey::derive(OTHER_SECRET), &mut |_: &[u8]| true),
        Err(Error::InvalidSignature),
        "{what}"
    );
    if !spec.caveats.is_empty() {
        assert!(
            matches!(
                m.verify(&key, &mut |_: &[u8]| false),
                Err(Error::CaveatNotSatisfied { index: 0, .. })
            ),
            "{what}"
        );
    }
}

fn pymacaroons_tokens_parse_verify_and_re_encode_here() {
    let specs = specs();
    let input: Vec<Value> = [1, 2]
        .iter()
        .flat_map(|&version| {
            specs.iter().map(move |s| {
                json!({
                    "secret_hex": hex::encode(SECRET),
                    "location": s.location,
                    "identifier_hex": hex::encode(&s.identifier),
                    "caveats": s.caveats,
                    "version": version,
                })
            })
        })
        .collect();
    let minted = run("mint", &input);
    let (mut v2_no_location, mut json_without_c, mut json_with_escape) = (0, 0, 0);
    let mut v1_bad_length = 0;
    for (out, spec) in minted.iter().zip(specs.iter().cycle()) {
        let version = out["version"].as_u64().unwrap();
        let what = format!("pymacaroons V{version} {spec:?}");
        let binary = out["binary"].as_str().unwrap();
        let their_json = out["json"].as_str().unwrap();
        let signature_hex = out["signature_hex"].as_str().unwrap();

        // Both sides sign alike.
        let ours_minted = mint_ours(spec, SECRET);
        assert_eq!(ours_minted.signature().to_hex(), signature_hex, "{what}");

        if version == 1 && !spec.identifier.is_ascii() {
            // pymacaroons' V1 packet length counts the identifier's characters, not its bytes, so
            // the packet overruns its header: libmacaroons, pymacaroons itself and we refuse it.
            let bytes = URL_SAFE_NO_PAD.decode(binary).unwrap();
            let at = if spec.location.is_empty() { 14 } else { 4 + 9 + spec.location.len() + 1 };
            let chars = std::str::from_utf8(&spec.identifier).unwrap().chars().count();
            assert_eq!(
                bytes[at..at + 4],
                *format!("{:04x}", 4 + 11 + chars + 1).as_bytes(),
                "{what}"
            );
            let err = Macaroon::deserialize(binary).unwrap_err();
            assert_eq!(
                err,
                Error::Malformed {
                    reading: "packet",
                    offset: at,
                    problem: "does not end with a newline"
                },
                "{what}"
            );
            v1_bad_length += 1;
            continue;
        }
        let parsed =
            Macaroon::deserialize(binary).unwrap_or_else(|e| panic!("{what}: {e}: {binary}"));
        assert_fields(&parsed, spec, signature_hex, &what);
        assert_we_verify(&parsed, spec, &what);
        assert_eq!(parsed, ours_minted, "{what}");

        let format = if version == 1 { Format::V1 } else { Format::V2 };
        let ours = parsed.serialize(format, Encoding::Base64Url).unwrap();
        if version == 2 && spec.location.is_empty() {
            // pymacaroons writes an empty location field; we (and libmacaroons) omit it.
            let theirs = URL_SAFE_NO_PAD.decode(binary).unwrap();
            assert_eq!(&theirs[..3], [0x02, 0x01, 0x00], "{what}");
            assert_eq!([&[0x02][..], &theirs[3..]].concat(), parsed.to_v2(), "{what}");
            assert_ne!(ours, binary, "{what}");
            v2_no_location += 1;
        } else {
            // Canonical: byte for byte what pymacaroons wrote.
            assert_eq!(ours, binary, "{what}");
        }

        if version == 1 {
            // pymacaroons' own "JSON v1", which only pymacaroons reads.
            let v: Value = serde_json::from_str(their_json).unwrap();
            assert!(v["identifier"].is_string() && v["signature"] == signature_hex, "{their_json}");
            let err = Macaroon::deserialize(their_json).unwrap_err();
            assert!(matches!(err, Error::Json { .. }), "{what}: {err:?}");
            continue;
        }

        let from_json = Macaroon::deserialize(their_json)
            .unwrap_or_else(|e| panic!("{what}: {e}: {their_json}"));
        assert_fields(&from_json, spec, signature_hex, &what);
        assert_we_verify(&from_json, spec, &what);
        // Not libmacaroons' layout: no "v", ", " separators; so ours differs, but reads the same.
        let v: Value = serde_json::from_str(their_json).unwrap();
        assert!(v.get("v").is_none(), "{their_json}");
        assert!(their_json.contains("\", \""), "{their_json}");
        assert_ne!(from_json.to_json().unwrap(), their_json, "{what}");
        assert_eq!(
            Macaroon::deserialize(&from_json.to_json().unwrap()).unwrap(),
            from_json,
            "{what}"
        );
        if spec.caveats.is_empty() {
            // libmacaroons requires "c".
            assert!(v.get("c").is_none(), "{their_json}");
            json_without_c += 1;
        }
        if spec.caveats.iter().any(|c| !c.is_ascii()) || !spec.identifier.is_ascii() {
            // libmacaroons refuses `\u` escapes.
            assert!(their_json.contains("\\u00"), "{their_json}");
            json_with_escape += 1;
        }
    }
    assert!(v2_no_location > 0 && json_without_c > 0 && json_with_escape > 0 && v1_bad_length > 0);
}

fn pymacaroons_reads_and_verifies_our_tokens() {
    let specs = specs();
    let mut requests = Vec::new();
    let mut expected = Vec::new();
    for spec in &specs {
        let m = mint_ours(spec, SECRET);
        for format in [Format::V1, Format::V2, Format::V2Json] {
            let token = m.serialize(format, Encoding::Base64Url).unwrap();
            let what = format!("{format:?} {spec:?}");
            // With the right secret and every caveat satisfied: accepted.
            requests.push(
                json!({"token": token, "secret_hex": hex::encode(SECRET), "satisfy": spec.caveats}),
            );
            expected.push((what.clone(), spec, m.signature().to_hex(), true));
            // Another secret: refused.
            requests.push(json!({"token": token, "secret_hex": hex::encode(OTHER_SECRET), "satisfy": spec.caveats}));
            expected.push((format!("{what} (wrong secret)"), spec, m.signature().to_hex(), false));
            if let Some((_, rest)) = spec.caveats.split_last() {
                // The last caveat not satisfied: refused.
                requests.push(
                    json!({"token": token, "secret_hex": hex::encode(SECRET), "satisfy": rest}),
                );
                expected.push((
                    format!("{what} (caveat unmet)"),
                    spec,
                    m.signature().to_hex(),
                    false,
                ));
            }
        }
    }
    let answers = run("verify", &requests);
    for (answer, (what, spec, signature_hex, ok)) in answers.iter().zip(&expected) {
        assert_eq!(answer["ok"], *ok, "{what}: {answer}");
        if !ok {
            assert!(answer["error"].as_str().unwrap().starts_with("verify: "), "{what}: {answer}");
        }
        // pymacaroons reads the same fields whatever the verdict ("" for no location).
        assert_eq!(answer["location"], spec.location, "{what}: {answer}");
        assert_eq!(answer["identifier_hex"], hex::encode(&spec.identifier), "{what}: {answer}");
        let caveats: Vec<Value> = spec
            .caveats
            .iter()
            .map(|c| json!({"id_hex": hex::encode(c), "vid_hex": null, "location": null}))
            .collect();
        assert_eq!(answer["caveats"], Value::Array(caveats), "{what}: {answer}");
        assert_eq!(answer["signature_hex"], signature_hex.as_str(), "{what}: {answer}");
    }
}

/// Tokens pymacaroons reads but cannot verify (binary predicates), and a third-party caveat
/// (libmacaroons' README vector) read the same way on both sides.
fn pymacaroons_reads_binary_predicates_and_third_party_caveats() {
    let key = RootKey::derive(SECRET);
    let mut binary = Macaroon::new(&key, vec![0xffu8, 0x00, 0xfe]).with_location(&b"onezone"[..]);
    binary.add_first_party_caveat(vec![0xfbu8, 0xff]);
    let vectors: Value = serde_json::from_str(include_str!("vectors/macaroons.json")).unwrap();
    let third =
        Macaroon::deserialize(vectors["third_party_v1"]["token"].as_str().unwrap()).unwrap();

    let mut requests = Vec::new();
    for m in [&binary, &third] {
        for format in [Format::V1, Format::V2, Format::V2Json] {
            let token = m.serialize(format, Encoding::Base64Url).unwrap();
            requests
                .push(json!({"token": token, "secret_hex": hex::encode(SECRET), "satisfy": []}));
        }
    }
    let answers = run("verify", &requests);
    for (n, answer) in answers.iter().enumerate() {
        let m = if n < 3 { &binary } else { &third };
        assert_eq!(answer["ok"], false, "{answer}");
        assert_eq!(answer["identifier_hex"], hex::encode(m.identifier()), "{answer}");
        assert_eq!(answer["location"], String::from_utf8(m.location().unwrap().to_vec()).unwrap());
        assert_eq!(answer["signature_hex"], m.signature().to_hex(), "{answer}");
        let caveats: Vec<Value> = m
            .caveats()
            .iter()
            .map(|c| {
                json!({
                    "id_hex": hex::encode(c.id()),
                    "vid_hex": c.verification_id().map(hex::encode),
                    "location": c.location().map(|l| String::from_utf8(l.to_vec()).unwrap()),
                })
            })
            .collect();
        assert_eq!(answer["caveats"], Value::Array(caveats), "{answer}");
        if n < 3 {
            // Its verifier decodes every predicate as UTF-8.
            let error = answer["error"].as_str().unwrap();
            assert!(error.contains("UnicodeDecodeError"), "{answer}");
        }
    }
    assert_eq!(third.caveats()[1].verification_id().map(<[u8]>::len), Some(72));
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

const CAVEAT_KEY: &[u8] = b"a key shared with the third party";
const NONCE: [u8; 24] = *b"a fixed nonce, 24 bytes!";

/// The same macaroon and discharge minted here, with the nonce pymacaroons is given.
fn mint_ours_tp() -> (Macaroon<'static>, Macaroon<'static>) {
    let key = RootKey::derive(SECRET);
    let caveat_key = RootKey::derive(CAVEAT_KEY);
    let mut m = Macaroon::new(&key, &b"keyid"[..]).with_location(&b"http://example.org/"[..]);
    m.add_first_party_caveat(&b"account = 3735928559"[..]);
    m.add_third_party_caveat(
        &b"http://auth/"[..],
        &caveat_key,
        &b"is alice?"[..],
        &mut Fixed(NONCE),
    );
    m.add_first_party_caveat(&b"action = read"[..]);
    let mut d =
        Macaroon::discharge(&caveat_key, &b"is alice?"[..]).with_location(&b"http://auth/"[..]);
    d.add_first_party_caveat(&b"user = alice"[..]);
    let bound = m.prepare_for_request(&d);
    (m, bound)
}

const SATISFIED: [&str; 3] = ["account = 3735928559", "action = read", "user = alice"];

/// pymacaroons adds a third-party caveat (its `nonce` fixed to ours), mints and binds the
/// discharge; we verify the pair from its V1, V2 and V2 JSON, and the bytes are the ones we make
/// with the same nonce. (For V1 macaroons pymacaroons' `JsonSerializer` writes its own "JSON v1",
/// which no other implementation reads; its V2 JSON is the JSON case.)
fn pymacaroons_third_party_caveats_and_discharges_verify_here() {
    let requests: Vec<Value> = [1, 2]
        .map(|version| {
            json!({
                "secret_hex": hex::encode(SECRET), "location": "http://example.org/",
                "identifier_hex": hex::encode("keyid"), "version": version,
                "caveats": ["account = 3735928559", "action = read"],
                "third_party": {
                    "location": "http://auth/", "key_hex": hex::encode(CAVEAT_KEY),
                    "id_hex": hex::encode("is alice?"), "nonce_hex": hex::encode(NONCE),
                    "caveats": ["user = alice"],
                },
            })
        })
        .to_vec();
    // pymacaroons adds caveats in the order given: first-party ones first, then the third-party
    // caveat. Mint ours in that order too.
    let key = RootKey::derive(SECRET);
    let caveat_key = RootKey::derive(CAVEAT_KEY);
    let mut same = Macaroon::new(&key, &b"keyid"[..]).with_location(&b"http://example.org/"[..]);
    same.add_first_party_caveat(&b"account = 3735928559"[..]);
    same.add_first_party_caveat(&b"action = read"[..]);
    same.add_third_party_caveat(
        &b"http://auth/"[..],
        &caveat_key,
        &b"is alice?"[..],
        &mut Fixed(NONCE),
    );
    let mut d =
        Macaroon::discharge(&caveat_key, &b"is alice?"[..]).with_location(&b"http://auth/"[..]);
    d.add_first_party_caveat(&b"user = alice"[..]);
    let same_bound = same.prepare_for_request(&d);

    let limits = onezone_tokens::macaroon::Limits::default();
    let satisfy = |p: &[u8]| SATISFIED.iter().any(|s| s.as_bytes() == p);
    for (answer, version) in run("mint_tp", &requests).iter().zip([1, 2]) {
        let mut texts = vec![(
            answer["binary"].as_str().unwrap(),
            answer["discharge_binary"].as_str().unwrap(),
        )];
        if version == 2 {
            texts.push((
                answer["json"].as_str().unwrap(),
                answer["discharge_json"].as_str().unwrap(),
            ));
        }
        for (token, discharge) in texts {
            let what = format!("v{version}: {token}");
            let m = Macaroon::deserialize(token).unwrap_or_else(|e| panic!("{what}: {e}"));
            let d = Macaroon::deserialize(discharge).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(m, same, "{what}");
            assert_eq!(d.signature(), same_bound.signature(), "{what}");
            assert_eq!(
                m.verify_with_discharges(&key, &mut { satisfy }, std::slice::from_ref(&d), &limits),
                Ok(()),
                "{what}"
            );
            assert_eq!(
                m.verify(&key, &mut { satisfy }),
                Err(Error::DischargeMissing {
                    holder: onezone_tokens::macaroon::MacaroonRef::Authorizing,
                    index: 2
                }),
                "{what}"
            );
        }
        if version == 1 {
            // Byte for byte what we write.
            assert_eq!(answer["binary"], same.serialize(Format::V1, Encoding::Base64Url).unwrap());
            assert_eq!(
                answer["discharge_binary"],
                same_bound.serialize(Format::V1, Encoding::Base64Url).unwrap()
            );
        }
    }
}

/// Our third-party caveats, discharges and bindings verify in pymacaroons in V1, V2 and V2 JSON;
/// without the discharge, or with it unbound, pymacaroons refuses them too.
fn pymacaroons_verifies_our_third_party_caveats_and_discharges() {
    let (m, bound) = mint_ours_tp();
    let caveat_key = RootKey::derive(CAVEAT_KEY);
    let mut unbound =
        Macaroon::discharge(&caveat_key, &b"is alice?"[..]).with_location(&b"http://auth/"[..]);
    unbound.add_first_party_caveat(&b"user = alice"[..]);
    let mut requests = Vec::new();
    for format in [Format::V1, Format::V2, Format::V2Json] {
        let token = m.serialize(format, Encoding::Base64Url).unwrap();
        for discharges in [vec![&bound], vec![], vec![&unbound]] {
            let discharges: Vec<String> = discharges
                .iter()
                .map(|d| d.serialize(format, Encoding::Base64Url).unwrap())
                .collect();
            requests.push(json!({
                "token": token, "secret_hex": hex::encode(SECRET), "satisfy": SATISFIED,
                "discharges": discharges,
            }));
        }
    }
    let answers = run("verify", &requests);
    for (n, (answer, request)) in answers.iter().zip(&requests).enumerate() {
        // Per format: bound (accepted), none, unbound (both refused).
        let expected = n % 3 == 0;
        assert_eq!(answer["ok"], expected, "{request} -> {answer}");
        if !expected {
            assert!(answer["error"].is_string(), "{answer}");
        }
    }
}
