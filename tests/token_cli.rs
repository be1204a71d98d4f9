//! The token CLI (`examples/token.rs`), run for real: its output and exit status are a contract
//! other tools script against.
//!
//! The example is built once (`cargo build --example token`, asking cargo where it put the
//! executable) and then run directly, so the many invocations below stay fast.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

const ONEZONE_ID: &str = "2/nmd/usr-invitation-sender/ujg:GroupId:/1234567890example-id1234567890e";
const ONEZONE_SECRET: &str = "verySecretSecret5";

/// The example's executable, built on first use.
fn exe() -> &'static PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let output = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--example", "token", "--message-format=json"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "building the token example failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "token")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reports the token example's executable")
    })
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    args: Vec<String>,
}

fn token(args: &[&str]) -> Run {
    let output = Command::new(exe()).args(args).output().expect("the token example runs");
    Run {
        code: output.status.code().expect("exited normally"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        args: args.iter().map(|a| (*a).to_owned()).collect(),
    }
}

impl Run {
    /// The one JSON object printed on one line of stdout, after checking the exit status.
    fn json(&self, code: i32) -> Value {
        assert_eq!(
            self.code, code,
            "exit status of {:?}: {} {}",
            self.args, self.stdout, self.stderr
        );
        assert_eq!(self.stdout.lines().count(), 1, "one line for {:?}: {}", self.args, self.stdout);
        assert!(self.stderr.is_empty(), "stderr for {:?}: {}", self.args, self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    /// The one line printed by a successful `mint`.
    fn line(&self) -> &str {
        assert_eq!(self.code, 0, "exit status of {:?}: {}", self.args, self.stderr);
        assert!(self.stderr.is_empty(), "stderr for {:?}: {}", self.args, self.stderr);
        let line = self.stdout.strip_suffix('\n').expect("ends with a newline");
        assert!(!line.contains('\n'), "one line: {}", self.stdout);
        line
    }

    /// Exit 2, nothing on stdout, one `error:` line on stderr; returns the message.
    fn usage_error(&self) -> &str {
        assert_eq!(self.code, 2, "exit status of {:?}: {} {}", self.args, self.stdout, self.stderr);
        assert!(self.stdout.is_empty(), "stdout for {:?}: {}", self.args, self.stdout);
        assert!(self.stderr.starts_with("error: "), "stderr for {:?}: {}", self.args, self.stderr);
        assert_eq!(self.stderr.lines().count(), 1, "one line for {:?}: {}", self.args, self.stderr);
        self.stderr.trim_end()
    }

    /// `{"valid": false, "reason": ...}` with exit 1; returns the reason.
    fn invalid(&self) -> String {
        let out = self.json(1);
        assert_eq!(out["valid"], false, "{out}");
        out["reason"].as_str().expect("a reason").to_owned()
    }
}

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/macaroons.json")).expect("vector file is JSON")
}

fn s<'v>(v: &'v Value, key: &str) -> &'v str {
    v[key].as_str().unwrap_or_else(|| panic!("vector field {key} missing in {v}"))
}

fn onezone_vectors() -> Vec<Value> {
    let all = vectors();
    let found: Vec<Value> = all["v1"]
        .as_array()
        .expect("v1 list")
        .iter()
        .filter(|v| v["format"] == "v1+escape62")
        .cloned()
        .collect();
    assert_eq!(found.len(), 2);
    found
}

/// The first vector of `list` whose caveats are exactly `caveats`.
fn vector(list: &str, caveats: &[&str]) -> Value {
    let all = vectors();
    all[list]
        .as_array()
        .expect("vector list")
        .iter()
        .find(|v| v["caveats"].as_array().is_some_and(|c| *c == caveats))
        .cloned()
        .unwrap_or_else(|| panic!("no {list} vector with caveats {caveats:?}"))
}

#[test]
fn inspect_reads_the_onezone_vectors() {
    for (v, code) in onezone_vectors().iter().zip(["ujg", "gjg"]) {
        let out = token(&["inspect", s(v, "token")]).json(0);
        assert_eq!(out["format"], "v1", "{out}");
        assert_eq!(out["escaped"], true, "{out}");
        assert_eq!(out["location"], "domain.example.com", "{out}");
        assert_eq!(out["identifier"], s(v, "identifier"), "{out}");
        assert_eq!(out["signature"], s(v, "signature_hex"), "{out}");
        assert_eq!(out["caveats"], serde_json::json!([]), "{out}");
        let fields = &out["identifierFields"];
        assert_eq!(fields["version"], 2, "{out}");
        assert_eq!(fields["persistence"], "named", "{out}");
        assert_eq!(
            fields["subject"],
            serde_json::json!({"type": "user", "id": "invitation-sender"})
        );
        assert_eq!(fields["type"]["invite"]["code"], code, "{out}");
        assert_eq!(fields["type"]["invite"]["target"], "GroupId", "{out}");
        assert_eq!(fields["id"], "1234567890example-id1234567890e", "{out}");
        // One shape: exactly the library's description (the server's `/tokens/examine` body).
        let token = onezone_tokens::token::UnverifiedToken::parse(s(v, "token")).expect("parses");
        assert_eq!(out, serde_json::to_value(token.describe()).expect("serializes"));
    }
}

#[test]
fn inspect_reads_other_formats_and_foreign_macaroons() {
    // V2 binary, a libmacaroons identifier that happens to be a valid legacy Onezone id.
    let v2 = vector("v2", &["account = 3735928559"]);
    let out = token(&["inspect", s(&v2, "token")]).json(0);
    assert_eq!(out["format"], "v2", "{out}");
    assert_eq!(out["escaped"], false, "{out}");
    assert_eq!(out["location"], "http://example.org/", "{out}");
    assert_eq!(out["identifierFields"], serde_json::json!({"version": 1, "id": "keyid"}));
    let first = &out["caveats"][0];
    assert_eq!(first["caveat"], "account = 3735928559", "{out}");
    assert_eq!(first["json"], Value::Null, "{out}");
    assert!(first["error"].as_str().is_some_and(|e| !e.is_empty()), "{out}");
    assert!(first.get("verificationId").is_none() && first.get("discharge").is_none(), "{out}");
    assert_eq!(out["verified"], false, "{out}");
    assert_eq!(out["signature"], s(&v2, "signature_hex"), "{out}");

    // V2 JSON with a third-party caveat (go-macaroon's vector), not an Onezone identifier.
    let all = vectors();
    let json = all["v2json"]
        .as_array()
        .expect("v2json list")
        .iter()
        .find(|v| s(v, "token").contains("v64"))
        .expect("the third-party JSON vector");
    let out = token(&["inspect", s(json, "token")]).json(0);
    assert_eq!(out["format"], "v2json", "{out}");
    assert_eq!(out["escaped"], false, "{out}");
    assert_eq!(out["identifier"], "we used our other secret key", "{out}");
    assert_eq!(out["identifierFields"], Value::Null, "{out}");
    assert_eq!(out["signature"], s(json, "signature_hex"), "{out}");
    let third = &out["caveats"][1];
    assert_eq!(third["caveat"], "this was how we remind auth of key/pred", "{out}");
    assert_eq!(third["location"], "http://auth.mybank/", "{out}");
    assert_eq!(
        third["verificationId"],
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA027FAuBYhtHwJ58FX6UlVNFtFsGxQHS7uD_w_dedwv4Jjw7UorCREw5rXbRqIKhr"
    );
    assert_eq!(third["json"], Value::Null, "{out}");

    // Onezone caveats are shown in their JSON form.
    let minted = token(&[
        "mint",
        "--secret",
        "s",
        "--identifier",
        ONEZONE_ID,
        "--caveat",
        "time < 1496140144",
        "--caveat",
        "ip = 11.101.11.234/32|10.0.0.0/8",
        "--format",
        "v2",
        "--encoding",
        "base64url",
    ]);
    let out = token(&["inspect", minted.line()]).json(0);
    assert_eq!(out["format"], "v2", "{out}");
    assert_eq!(out["location"], Value::Null, "{out}");
    assert_eq!(
        out["caveats"][0]["json"],
        serde_json::json!({"type": "time", "validUntil": 1_496_140_144u64})
    );
    assert_eq!(
        out["caveats"][1]["json"],
        serde_json::json!({"type": "ip", "whitelist": ["11.101.11.234/32", "10.0.0.0/8"]})
    );
}

#[test]
fn inspect_refuses_unreadable_tokens_as_malformed_input() {
    let all = vectors();
    let seed = &all["seed_examples"];
    for text in [s(seed, "corrupted"), s(seed, "truncated"), "", "not a token"] {
        let message = token(&["inspect", text]).usage_error().to_owned();
        assert!(message.contains("cannot be read"), "{message}");
    }
    // The repaired seed token reads (a legacy identifier with a time caveat).
    let out = token(&["inspect", s(seed, "repaired")]).json(0);
    assert_eq!(out["location"], "onezone", "{out}");
    assert_eq!(
        out["caveats"][0]["json"],
        serde_json::json!({"type": "time", "validUntil": 1_496_140_144u64})
    );
}

#[test]
fn verify_checks_the_signature_with_the_root_secret() {
    for v in onezone_vectors() {
        let t = s(&v, "token");
        let out = token(&["verify", "--secret", ONEZONE_SECRET, t]).json(0);
        assert_eq!(out["valid"], true, "{out}");
        assert_eq!(out["identifier_fields"]["id"], "1234567890example-id1234567890e", "{out}");
        assert_eq!(out["caveats"], serde_json::json!([]), "{out}");
        assert_eq!(out["valid_until"], Value::Null, "{out}");

        let hex = hex::encode(ONEZONE_SECRET);
        assert_eq!(token(&["verify", "--secret-hex", &hex, t]).json(0)["valid"], true);

        let reason = token(&["verify", "--secret", "verySecretSecret6", t]).invalid();
        assert!(reason.contains("signature does not match"), "{reason}");
    }

    // An unreadable token is an invalid token, not malformed input.
    let all = vectors();
    let reason =
        token(&["verify", "--secret", "x", s(&all["seed_examples"], "corrupted")]).invalid();
    assert!(reason.contains("cannot be read"), "{reason}");

    // A foreign identifier verifies with --signature-only alone.
    let foreign = vector("v1", &["test = caveat"]);
    let (t, secret) = (s(&foreign, "token"), s(&foreign, "secret"));
    let reason = token(&["verify", "--secret", secret, t]).invalid();
    assert!(reason.contains("identifier"), "{reason}");
    let out = token(&["verify", "--secret", secret, "--signature-only", t]).json(0);
    assert_eq!(out["valid"], true, "{out}");
    assert_eq!(out["caveats"], serde_json::json!(["test = caveat"]), "{out}");
    assert_eq!(out["identifier_fields"], Value::Null, "{out}");
    let reason = token(&["verify", "--secret", "guess", "--signature-only", t]).invalid();
    assert!(reason.contains("signature does not match"), "{reason}");

    // A third-party caveat never verifies, even with the right secret.
    let third = &all["third_party_v1"];
    let reason =
        token(&["verify", "--secret", s(third, "secret"), "--signature-only", s(third, "token")])
            .invalid();
    assert!(reason.contains("third-party"), "{reason}");
}

#[test]
fn mint_reproduces_the_vectors_byte_for_byte() {
    for v in onezone_vectors() {
        let minted = token(&[
            "mint",
            "--secret",
            s(&v, "secret"),
            "--identifier",
            s(&v, "identifier"),
            "--location",
            s(&v, "location"),
        ]);
        assert_eq!(minted.line(), s(&v, "token"));
    }

    // Foreign identifiers take raw caveats.
    let foreign = vector("v1", &["test = caveat"]);
    let args = [
        "mint",
        "--secret",
        s(&foreign, "secret"),
        "--identifier",
        s(&foreign, "identifier"),
        "--location",
        s(&foreign, "location"),
        "--caveat",
        "test = caveat",
        "--encoding",
        "base64url",
    ];
    assert_eq!(token(&args).line(), s(&foreign, "token"));

    // `keyid` is a valid legacy Onezone identifier, so a foreign caveat needs --raw.
    let v2 = vector("v2", &["account = 3735928559"]);
    let mut args = vec![
        "mint",
        "--secret",
        s(&v2, "secret"),
        "--identifier",
        "keyid",
        "--location",
        "http://example.org/",
        "--caveat",
        "account = 3735928559",
        "--format",
        "v2",
        "--encoding",
        "base64url",
    ];
    let message = token(&args).usage_error().to_owned();
    assert!(message.contains("`account = 3735928559`") && message.contains("--raw"), "{message}");
    args.push("--raw");
    assert_eq!(token(&args).line(), s(&v2, "token"));

    // JSON, in libmacaroons' form.
    let json = vector("v2json", &["account = 3735928559", "user = alice"]);
    let args = [
        "mint",
        "--secret",
        s(&json, "secret"),
        "--identifier",
        "keyid",
        "--location",
        "http://example.org/",
        "--caveat",
        "account = 3735928559",
        "--caveat",
        "user = alice",
        "--format",
        "v2json",
        "--raw",
    ];
    assert_eq!(token(&args).line(), s(&json, "token"));

    // A bad Onezone caveat is named.
    let message = token(&[
        "mint",
        "--secret",
        "s",
        "--identifier",
        ONEZONE_ID,
        "--caveat",
        "time < 1000",
        "--caveat",
        "ip = 10.0.0.0/33",
    ])
    .usage_error()
    .to_owned();
    assert!(message.contains("caveat 2 `ip = 10.0.0.0/33`"), "{message}");
}

/// `mint` never prints a token the readers refuse. Failed on main: all three minted.
#[test]
fn mint_refuses_caveats_the_type_refuses_and_tokens_over_the_limits() {
    let message = token(&[
        "mint",
        "--secret",
        "s",
        "--identifier",
        "2/nmd/usr-a/ujg:g:/t",
        "--caveat",
        "data.readonly",
    ])
    .usage_error()
    .to_owned();
    assert!(message.contains("`data.readonly` is not allowed in invite tokens"), "{message}");

    let mut args = vec!["mint", "--secret", "s", "--identifier", ONEZONE_ID];
    for _ in 0..300 {
        args.extend(["--caveat", "time < 1000"]);
    }
    let message = token(&args).usage_error().to_owned();
    assert!(message.contains("caveat count limit"), "{message}");
    // Raw caveats on a foreign identifier: the same limits.
    let mut args = vec!["mint", "--secret", "s", "--identifier", "a b", "--raw"];
    for _ in 0..300 {
        args.extend(["--caveat", "x"]);
    }
    let message = token(&args).usage_error().to_owned();
    assert!(message.contains("caveat count limit"), "{message}");
}

/// Onezone 20.02 reads a legacy (version 1) identifier as a named access token (ctool
/// release/20.02.20 `src/auth/tokens.erl` `from_identifier(1, ..)`), so an access-token caveat
/// such as `interface = rest` is minted and verified on one.
#[test]
fn a_legacy_identifier_is_a_named_access_token() {
    let t = mint_with("8HfHARHgklqBkZVI4l6MBTvSSvt98ppp6948s8Q7SOk", &["interface = rest"]);
    let out =
        token(&["verify", "--secret", "s", "--now", "999", "--interface", "rest", &t]).json(0);
    assert_eq!(out["valid"], true, "{out}");
    assert_eq!(out["caveats"], serde_json::json!(["interface = rest"]), "{out}");
    let reason =
        token(&["verify", "--secret", "s", "--now", "999", "--interface", "graphsync", &t])
            .invalid();
    assert!(reason.contains("interface"), "{reason}");
}

/// `--api` names the request's operation, so a token with an `api` caveat can pass `verify`.
#[test]
fn verify_takes_the_api_operation() {
    let t = mint_with("2/nmd/usr-alice/act/t1", &["api = ozw/create/group.*.*:*"]);
    let with = |api: &str| token(&["verify", "--secret", "s", "--now", "999", "--api", api, &t]);
    assert_eq!(with("ozw/create/group.g1.users:private").json(0)["valid"], true);
    let out = with("ozw/delete/group.g1.instance:private").json(1);
    assert_eq!(out["code"], "tokenCaveatUnverified", "{out}");
    let reason = token(&["verify", "--secret", "s", "--now", "999", &t]).invalid();
    assert!(reason.contains("API operation"), "{reason}");
    let message = with("ozw/create/group.*.*:*").usage_error().to_owned();
    assert!(message.contains("--api"), "{message}");
}

/// Mints an Onezone invite token with these caveats under the secret `s`.
fn mint_with(identifier: &str, caveats: &[&str]) -> String {
    let mut args = vec!["mint", "--secret", "s", "--identifier", identifier];
    for caveat in caveats {
        args.extend(["--caveat", caveat]);
    }
    token(&args).line().to_owned()
}

#[test]
fn verify_checks_caveats_in_the_given_context() {
    // Time: valid until the second before `valid_until`.
    let t = mint_with(ONEZONE_ID, &["time < 1000"]);
    let out = token(&["verify", "--secret", "s", "--now", "999", &t]).json(0);
    assert_eq!(out["valid"], true, "{out}");
    assert_eq!(out["caveats"], serde_json::json!(["time < 1000"]), "{out}");
    assert_eq!(out["valid_until"], 1000, "{out}");
    let reason = token(&["verify", "--secret", "s", "--now", "1000", &t]).invalid();
    assert!(reason.contains("expired"), "{reason}");

    // Consumer and IP.
    let t = mint_with(ONEZONE_ID, &["consumer = usr-alice|prv-p1", "ip = 10.0.0.0/8"]);
    let verify = |extra: &[&str]| {
        let mut args = vec!["verify", "--secret", "s", "--now", "999"];
        args.extend_from_slice(extra);
        args.push(&t);
        token(&args)
    };
    let out = verify(&["--consumer", "usr-alice", "--ip", "10.1.2.3"]).json(0);
    assert_eq!(out["valid"], true, "{out}");
    assert_eq!(verify(&["--consumer", "prv-p1", "--ip", "10.1.2.3"]).json(0)["valid"], true);
    let reason = verify(&["--consumer", "usr-bob", "--ip", "10.1.2.3"]).invalid();
    assert!(reason.contains("consumer") && reason.contains("usr-bob"), "{reason}");
    let reason = verify(&["--consumer", "usr-alice", "--ip", "192.168.0.1"]).invalid();
    assert!(reason.contains("192.168.0.1"), "{reason}");
    let reason = verify(&["--ip", "10.1.2.3"]).invalid();
    assert!(reason.contains("consumer"), "{reason}");

    // --signature-only does not look at the context.
    let out = verify(&["--signature-only"]).json(0);
    assert_eq!(out["valid"], true, "{out}");
    assert_eq!(
        out["caveats"],
        serde_json::json!(["consumer = usr-alice|prv-p1", "ip = 10.0.0.0/8"])
    );

    // A temporary access token: the secret is the subject's, at the token's own generation.
    let t = mint_with("2/tmp-7/usr-alice/act/tok", &["time < 1000", "interface = rest"]);
    let out =
        token(&["verify", "--secret", "s", "--now", "999", "--interface", "rest", &t]).json(0);
    assert_eq!(
        out["identifier_fields"]["persistence"],
        serde_json::json!({"temporary": {"generation": 7}})
    );
    let reason =
        token(&["verify", "--secret", "s", "--now", "999", "--interface", "graphsync", &t])
            .invalid();
    assert!(reason.contains("interface"), "{reason}");
}

#[test]
fn malformed_command_lines_exit_2_with_one_error_line() {
    let t = onezone_vectors().first().map(|v| s(v, "token").to_owned()).expect("a vector");
    let t = t.as_str();
    let cases: &[&[&str]] = &[
        &["frobnicate", t],
        &["--secret", "x", "verify", t],
        &["inspect"],
        &["inspect", t, t],
        &["inspect", "--now", "1", t],
        &["verify", t],
        &["verify", "--secret"],
        &["verify", "--secret", "x"],
        &["verify", "--secret", "x", "--secret-hex", "00", t],
        &["verify", "--secret", "x", "--secret", "y", t],
        &["verify", "--secret-hex", "abc", t],
        &["verify", "--secret-hex", "zz", t],
        &["verify", "--secret", "x", "--now", "soon", t],
        &["verify", "--secret", "x", "--now", "-1", t],
        &["verify", "--secret", "x", "--asn", "4294967296", t],
        &["verify", "--secret", "x", "--ip", "10.0.0", t],
        &["verify", "--secret", "x", "--country", "de", t],
        &["verify", "--secret", "x", "--region", "Atlantis", t],
        &["verify", "--secret", "x", "--consumer", "alice", t],
        &["verify", "--secret", "x", "--interface", "soap", t],
        &["verify", "--secret", "x", "--service", "web-1", t],
        &["verify", "--secret", "x", "--signature-only=yes", t],
        &["verify", "--secret", "x", "--frob", t],
        &["mint", "--identifier", ONEZONE_ID],
        &["mint", "--secret", "x"],
        &["mint", "--secret", "x", "--identifier", ONEZONE_ID, "--format", "v3"],
        &["mint", "--secret", "x", "--identifier", ONEZONE_ID, "--encoding", "hex"],
        &["mint", "--secret", "x", "--identifier", ONEZONE_ID, "--caveat", "frob\nnicate"],
        &["mint", "--secret", "x", "--identifier", ONEZONE_ID, "stray"],
    ];
    for args in cases {
        token(args).usage_error();
    }
}

#[test]
fn help_prints_the_usage() {
    let help = token(&["--help"]);
    assert_eq!(help.code, 0, "{}", help.stderr);
    assert!(help.stdout.starts_with("usage:"), "{}", help.stdout);
    for command in ["inspect", "verify", "mint"] {
        assert!(help.stdout.contains(command), "{}", help.stdout);
    }
    assert_eq!(token(&["verify", "--help"]).code, 0);

    let bare = token(&[]);
    assert_eq!(bare.code, 2);
    assert!(bare.stdout.is_empty());
    assert!(bare.stderr.starts_with("usage:"), "{}", bare.stderr);
}

/// A macaroon with a third-party caveat, its discharge (with a time caveat) bound and unbound.
fn third_party_tokens() -> (String, String, String) {
    use onezone_tokens::macaroon::{Encoding, Format, Macaroon, RootKey};
    let key = RootKey::derive(b"root secret");
    let caveat_key = RootKey::derive(b"caveat secret");
    let mut m = Macaroon::new(&key, &b"a foreign identifier"[..]);
    m.add_first_party_caveat(&b"time < 1900000000"[..]);
    m.add_third_party_caveat(
        &b"https://idp/"[..],
        &caveat_key,
        &b"is alice?"[..],
        &mut rand::rng(),
    );
    let mut d = Macaroon::discharge(&caveat_key, &b"is alice?"[..]);
    d.add_first_party_caveat(&b"time < 1850000000"[..]);
    let bound = m.prepare_for_request(&d);
    (
        m.serialize(Format::V1, Encoding::Escaped).unwrap(),
        bound.serialize(Format::V2Json, Encoding::Base64Url).unwrap(),
        d.serialize(Format::V2, Encoding::Base64Url).unwrap(),
    )
}

#[test]
fn verify_takes_discharges() {
    let (m, bound, unbound) = third_party_tokens();
    let base = ["verify", "--secret", "root secret", "--now", "1800000000"];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        args.push(&m);
        token(&args)
    };
    // Signature only: chains and binding, no first-party caveat.
    let out = with(&["--signature-only", "--discharge", &bound]).json(0);
    assert_eq!(out["valid"], true, "{out}");
    assert_eq!(out["signature_only"], true, "{out}");
    assert_eq!(out["discharges"], 1, "{out}");
    let out = with(&["--signature-only", "--now", "1", "--discharge", &bound]);
    assert!(out.usage_error().contains("given twice"));
    let reason = with(&["--signature-only"]).invalid();
    assert!(reason.contains("third-party caveat and no discharge"), "{reason}");
    let reason = with(&["--signature-only", "--discharge", &unbound]).invalid();
    assert!(reason.contains("not bound"), "{reason}");
    let reason = with(&["--signature-only", "--discharge", "not a token"]).invalid();
    assert!(reason.contains("discharge 0 cannot be read"), "{reason}");

    // Full check: every first-party caveat, the discharge's too, in the context.
    let out = with(&["--discharge", &bound]).json(0);
    assert_eq!(out["valid"], true, "{out}");
    assert_eq!(out["signature_only"], false, "{out}");
    let late = token(&[
        "verify",
        "--secret",
        "root secret",
        "--now",
        "1860000000",
        "--discharge",
        &bound,
        &m,
    ])
    .invalid();
    assert!(late.contains("caveat 0 of discharge 0 is not satisfied: time < 1850000000"), "{late}");
    let reason = with(&["--discharge", &bound, "--discharge", &bound]).invalid();
    assert!(reason.contains("discharge 1 discharges no caveat"), "{reason}");
    let reason =
        token(&["verify", "--secret", "guess", "--discharge", &bound, "--signature-only", &m])
            .invalid();
    assert!(reason.contains("signature does not match"), "{reason}");
}

#[test]
fn inspect_shows_which_discharge_is_bound_to_each_third_party_caveat() {
    let (m, bound, unbound) = third_party_tokens();
    let out = token(&["inspect", &m]).json(0);
    let third = &out["caveats"][1];
    assert_eq!(third["caveat"], "is alice?", "{out}");
    assert_eq!(third["location"], "https://idp/", "{out}");
    assert_eq!(third["discharge"], Value::Null, "{out}");
    assert!(out["caveats"][0].get("discharge").is_none(), "{out}");

    // Without a secret: which discharge, but binding cannot be known.
    let out = token(&["inspect", "--discharge", &bound, &m]).json(0);
    assert_eq!(out["caveats"][1]["discharge"], serde_json::json!({"index": 0, "bound": null}));
    let out = token(&["inspect", "--secret", "root secret", "--discharge", &bound, &m]).json(0);
    assert_eq!(out["caveats"][1]["discharge"], serde_json::json!({"index": 0, "bound": true}));
    let out = token(&["inspect", "--secret", "root secret", "--discharge", &unbound, &m]).json(0);
    let d = &out["caveats"][1]["discharge"];
    assert_eq!(d["bound"], false, "{out}");
    assert!(d["reason"].as_str().unwrap().contains("not bound"), "{out}");
    let out = token(&["inspect", "--secret", "guess", "--discharge", &bound, &m]).json(0);
    assert_eq!(out["caveats"][1]["discharge"]["bound"], false, "{out}");
    assert!(
        token(&["inspect", "--discharge", "not a token", &m]).usage_error().contains("discharge 0")
    );
}
