//! Mint, parse and verify, side by side in one run: this crate, the `macaroon` crate 0.3
//! (libsodium through sodiumoxide), a naive floor written here (the raw `hmac` + `sha2` chain
//! with a bare V1/V2 writer and reader, base64, no validation at all) and the bound: the SHA-256
//! compressions the chain cannot avoid, each timed alone, plus the base64 decode of the token.
//!
//! - `mint_*`, `mintkept_*`: mint and serialize, deriving the key each time or keeping it.
//! - `parse_*`: text to a macaroon (this crate: `decode_text` + `DecodedToken::macaroon`).
//! - `verify_*`, `verifykept_*`: text to a verified token, the key derived from the secret each
//!   time or kept (a server verifying many tokens under one secret). `onezone_tokens` is the
//!   in-place path (`verify_token`); `onezone_owned` the path before it (`decode_text` +
//!   `DecodedToken::macaroon` + `Macaroon::verify`). `_escaped` groups read Onezone's escaped
//!   text of the same token.
//! - `bound/*`: `sha256_block` (SHA-256 of 55 bytes: one compression) and `decode_*` (the
//!   token's base64 decoded into a buffer allocated once). The bench writes how many compressions each
//!   verify group needs to `target/criterion/bounds.json`.
//! - `token_access`, `token_invite` (and `_plain`): the Onezone layer (`UnverifiedToken::parse`,
//!   then `token::Verifier::verify` with the key `MemorySecrets` keeps, derived once when the
//!   secret was stored) against the engine's `verify_token` of the same text with the key
//!   derived from the same secret (`engine`) or kept (`engine_kept`, the like-for-like row).
//!
//! - `caveat_parse`: `Caveat::parse` of the caveats of those two tokens (`time`, `ip`,
//!   `interface`, `consumer`) and of longer `ip` and `consumer` lists, the typed caveat read of
//!   every verification.
//!
//! `python3 benches/report.py` turns the results into the ratio tables of the README.

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use onezone_tokens::macaroon::{self as engine, Encoding, Format, Limits, RootKey, Secret};
use onezone_tokens::token::{
    Caveat, CaveatContext, Interface, MemorySecrets, TokenIdentifier, UnverifiedToken, Verifier,
    mint_as,
};
use sha2::{Digest, Sha256};

const SECRET: &[u8] = b"this is our super secret key; only we should know it";
const LOCATION: &str = "onezone.example.org";
const IDENTIFIER: &[u8] =
    b"2/nmd/usr-invitation-sender/ujg:GroupId:/1234567890example-id1234567890e";

fn caveats(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            if i == 0 {
                b"time < 1496140144".to_vec()
            } else {
                format!("consumer = usr-user{i:04}").into_bytes()
            }
        })
        .collect()
}

/// SHA-256 compressions of an HMAC from a kept keyed state over `len` bytes: the inner hash's
/// blocks after the key block (the message and at least 9 bytes of padding), then the outer
/// hash's one block after its key block.
fn kept_hmac(len: usize) -> usize {
    (len + 9).div_ceil(64) + 1
}

/// Keying an HMAC with a 32-byte key: the inner and the outer key block.
const KEYING: usize = 2;

/// The compressions a verify cannot avoid: the chain over the identifier from the kept key and
/// over each caveat from the previous signature, plus deriving the key from a secret of
/// `derived` bytes (from the kept generator state) when it is not kept.
fn compressions(identifier: usize, caveats: &[usize], derived: Option<usize>) -> usize {
    let derive = derived.map_or(0, |secret| kept_hmac(secret) + KEYING);
    derive + kept_hmac(identifier) + caveats.iter().map(|&c| KEYING + kept_hmac(c)).sum::<usize>()
}

/// What `report.py` needs to compute each group's bound.
#[derive(Default)]
struct Bounds(BTreeMap<String, (usize, Option<String>)>);

impl Bounds {
    fn add(&mut self, group: &str, compressions: usize, decode: Option<&str>) {
        self.0.insert(group.to_owned(), (compressions, decode.map(str::to_owned)));
    }

    fn write(&self) {
        let json: serde_json::Map<String, serde_json::Value> = self
            .0
            .iter()
            .map(|(group, (n, decode))| {
                (group.clone(), serde_json::json!({ "compressions": n, "decode": decode }))
            })
            .collect();
        let dir = std::path::Path::new("target/criterion");
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("bounds.json"), serde_json::to_string_pretty(&json).unwrap())
            .unwrap();
    }
}

/// The floor: what any implementation must do at least, with no checks at all.
mod naive {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Sha256;

    fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
        mac.update(msg);
        mac.finalize().into_bytes().into()
    }

    pub fn derive(secret: &[u8]) -> [u8; 32] {
        hmac(b"macaroons-key-generator", secret)
    }

    fn chain_key(key: &[u8; 32], id: &[u8], caveats: &[&[u8]]) -> [u8; 32] {
        let mut sig = hmac(key, id);
        for c in caveats {
            sig = hmac(&sig, c);
        }
        sig
    }

    fn packet(out: &mut Vec<u8>, key: &str, value: &[u8]) {
        let len = 4 + key.len() + 2 + value.len();
        out.extend_from_slice(format!("{len:04x}").as_bytes());
        out.extend_from_slice(key.as_bytes());
        out.push(b' ');
        out.extend_from_slice(value);
        out.push(b'\n');
    }

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

    pub fn mint(v2: bool, secret: &[u8], loc: &str, id: &[u8], caveats: &[&[u8]]) -> String {
        mint_key(v2, &derive(secret), loc, id, caveats)
    }

    pub fn mint_key(v2: bool, key: &[u8; 32], loc: &str, id: &[u8], caveats: &[&[u8]]) -> String {
        let sig = chain_key(key, id, caveats);
        let mut out = Vec::with_capacity(256);
        if v2 {
            out.push(2);
            field(&mut out, 1, loc.as_bytes());
            field(&mut out, 2, id);
            out.push(0);
            for c in caveats {
                field(&mut out, 2, c);
                out.push(0);
            }
            out.push(0);
            field(&mut out, 6, &sig);
        } else {
            packet(&mut out, "location", loc.as_bytes());
            packet(&mut out, "identifier", id);
            for c in caveats {
                packet(&mut out, "cid", c);
            }
            packet(&mut out, "signature", &sig);
        }
        URL_SAFE_NO_PAD.encode(out)
    }

    pub struct Parsed {
        pub location: Vec<u8>,
        pub identifier: Vec<u8>,
        pub caveats: Vec<Vec<u8>>,
        pub signature: Vec<u8>,
    }

    pub fn parse(text: &str) -> Parsed {
        let data = URL_SAFE_NO_PAD.decode(text).unwrap();
        let mut p =
            Parsed { location: vec![], identifier: vec![], caveats: vec![], signature: vec![] };
        if data[0] == 2 {
            let mut i = 1;
            let mut section = 0;
            while i < data.len() {
                let kind = data[i];
                i += 1;
                if kind == 0 {
                    section += 1;
                    continue;
                }
                let (mut len, mut shift) = (0usize, 0);
                loop {
                    let b = data[i];
                    i += 1;
                    len |= usize::from(b & 0x7f) << shift;
                    shift += 7;
                    if b & 0x80 == 0 {
                        break;
                    }
                }
                let value = data[i..i + len].to_vec();
                i += len;
                match (kind, section) {
                    (1, 0) => p.location = value,
                    (2, 0) => p.identifier = value,
                    (6, _) => p.signature = value,
                    _ => p.caveats.push(value),
                }
            }
        } else {
            let mut i = 0;
            while i < data.len() {
                let len = usize::from_str_radix(std::str::from_utf8(&data[i..i + 4]).unwrap(), 16)
                    .unwrap();
                let body = &data[i + 4..i + len - 1];
                let sp = body.iter().position(|&b| b == b' ').unwrap();
                let value = body[sp + 1..].to_vec();
                match &body[..sp] {
                    b"location" => p.location = value,
                    b"identifier" => p.identifier = value,
                    b"cid" => p.caveats.push(value),
                    _ => p.signature = value,
                }
                i += len;
            }
        }
        p
    }

    /// The `hmac` crate's keyed state for a derived key, kept by a server between verifies.
    pub fn keyed(key: &[u8; 32]) -> Hmac<Sha256> {
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap()
    }

    /// The naive verifier, in about 40 lines: decode, walk the packets or fields in place, the
    /// chain from the kept keyed state (a clone per message), every caveat in `allowed`, compare.
    /// No validation beyond what it needs not to crash on its own tokens.
    pub fn verify_kept(text: &str, kept: &Hmac<Sha256>, allowed: &[&[u8]]) -> bool {
        let data = URL_SAFE_NO_PAD.decode(text).unwrap();
        let (mut sig, mut given, mut ok) = ([0u8; 32], &[][..], true);
        let mut on = |kind: u8, value: &[u8]| match kind {
            b'i' => {
                sig = {
                    let mut m = kept.clone();
                    m.update(value);
                    m.finalize().into_bytes().into()
                }
            }
            b'c' => {
                ok &= allowed.contains(&value);
                sig = hmac(&sig, value);
            }
            _ => {}
        };
        let mut i = 0;
        if data[0] == 2 {
            let (mut section, mut sig_at) = (0, 0..0);
            i = 1;
            while i < data.len() {
                let kind = data[i];
                i += 1;
                if kind == 0 {
                    section += 1;
                    continue;
                }
                let (mut len, mut shift) = (0usize, 0);
                loop {
                    let b = data[i];
                    i += 1;
                    len |= usize::from(b & 0x7f) << shift;
                    shift += 7;
                    if b & 0x80 == 0 {
                        break;
                    }
                }
                match (kind, section) {
                    (2, 0) => on(b'i', &data[i..i + len]),
                    (6, _) => sig_at = i..i + len,
                    (2, _) => on(b'c', &data[i..i + len]),
                    _ => {}
                }
                i += len;
            }
            given = &data[sig_at];
        } else {
            while i < data.len() {
                let len = usize::from_str_radix(std::str::from_utf8(&data[i..i + 4]).unwrap(), 16)
                    .unwrap();
                let body = &data[i + 4..i + len - 1];
                let sp = body.iter().position(|&b| b == b' ').unwrap();
                match &body[..sp] {
                    b"identifier" => on(b'i', &body[sp + 1..]),
                    b"cid" => on(b'c', &body[sp + 1..]),
                    b"signature" => given = &body[sp + 1..],
                    _ => {}
                }
                i += len;
            }
        }
        ok && sig[..] == given[..]
    }

    /// The same, deriving the key from the secret first.
    pub fn verify(text: &str, secret: &[u8], allowed: &[&[u8]]) -> bool {
        verify_kept(text, &keyed(&derive(secret)), allowed)
    }

    /// V2 JSON, naively: serde into borrowed strings, the signature from base64.
    #[derive(serde::Deserialize)]
    struct Json<'a> {
        #[serde(borrow)]
        i: &'a str,
        #[serde(borrow, default)]
        c: Vec<JsonCaveat<'a>>,
        #[serde(borrow)]
        s64: &'a str,
    }

    #[derive(serde::Deserialize)]
    struct JsonCaveat<'a> {
        #[serde(borrow)]
        i: &'a str,
    }

    pub fn verify_json_kept(text: &str, kept: &Hmac<Sha256>, allowed: &[&[u8]]) -> bool {
        let j: Json<'_> = serde_json::from_str(text).unwrap();
        let mut sig: [u8; 32] = {
            let mut m = kept.clone();
            m.update(j.i.as_bytes());
            m.finalize().into_bytes().into()
        };
        let mut ok = true;
        for c in &j.c {
            ok &= allowed.contains(&c.i.as_bytes());
            sig = hmac(&sig, c.i.as_bytes());
        }
        let mut given = [0u8; 33];
        ok && URL_SAFE_NO_PAD.decode_slice(j.s64, &mut given) == Ok(32) && sig[..] == given[..32]
    }

    pub fn verify_json(text: &str, secret: &[u8], allowed: &[&[u8]]) -> bool {
        verify_json_kept(text, &keyed(&derive(secret)), allowed)
    }
}

fn ours_mint(format: Format, caveats: &[&[u8]]) -> String {
    ours_mint_key(&RootKey::derive(SECRET), format, caveats)
}

fn ours_mint_key(key: &RootKey, format: Format, caveats: &[&[u8]]) -> String {
    let mut m = engine::Macaroon::new(key, IDENTIFIER).with_location(LOCATION.as_bytes());
    for c in caveats {
        m.add_first_party_caveat(*c);
    }
    m.serialize(format, Encoding::Base64Url).unwrap()
}

fn their_format(format: Format) -> macaroon::Format {
    match format {
        Format::V1 => macaroon::Format::V1,
        Format::V2 => macaroon::Format::V2,
        _ => macaroon::Format::V2JSON,
    }
}

fn theirs_mint(format: Format, caveats: &[&[u8]]) -> String {
    theirs_mint_key(&macaroon::MacaroonKey::generate(SECRET), format, caveats)
}

fn theirs_mint_key(key: &macaroon::MacaroonKey, format: Format, caveats: &[&[u8]]) -> String {
    let mut m = macaroon::Macaroon::create(Some(LOCATION.into()), key, IDENTIFIER.into()).unwrap();
    for c in caveats {
        m.add_first_party_caveat((*c).into());
    }
    m.serialize(their_format(format)).unwrap()
}

/// The base64 decode alone: the token's bytes into a buffer allocated (and zeroed) once.
fn decode(text: &str, out: &mut [u8]) -> usize {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode_slice(text, out).unwrap()
}

fn bench(c: &mut Criterion) {
    macaroon::initialize().unwrap();
    let limits = Limits::default();
    let mut bounds = Bounds::default();

    // One compression, timed alone: SHA-256 of 55 bytes (one block with its padding).
    let mut g = c.benchmark_group("bound");
    g.bench_function("sha256_block", |b| b.iter(|| Sha256::digest(black_box([7u8; 55]))));
    g.finish();

    for (format_name, format) in
        [("v1", Format::V1), ("v2", Format::V2), ("v2json", Format::V2Json)]
    {
        let binary = format != Format::V2Json;
        let v2 = format == Format::V2;
        for n in [1usize, 10] {
            let owned = caveats(n);
            let cav: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
            let token = ours_mint(format, &cav);
            // All contenders must agree on the bytes before we time them.
            if binary {
                assert_eq!(naive::mint(v2, SECRET, LOCATION, IDENTIFIER, &cav), token);
            }
            let their_token = theirs_mint(format, &cav);
            assert_eq!(
                engine::Macaroon::deserialize(&their_token).unwrap(),
                engine::Macaroon::deserialize(&token).unwrap()
            );
            let suffix = format!("{format_name}_{n}cav");

            let mut g = c.benchmark_group(format!("mint_{suffix}"));
            g.throughput(Throughput::Bytes(token.len() as u64));
            g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
                b.iter(|| ours_mint(format, black_box(&cav)))
            });
            g.bench_function(BenchmarkId::from_parameter("macaroon_crate"), |b| {
                b.iter(|| theirs_mint(format, black_box(&cav)))
            });
            if binary {
                g.bench_function(BenchmarkId::from_parameter("naive_floor"), |b| {
                    b.iter(|| naive::mint(v2, SECRET, LOCATION, IDENTIFIER, black_box(&cav)))
                });
            }
            g.finish();

            // A server minting many tokens with one secret keeps the derived key: every contender
            // derives it once, outside the timed loop.
            let (our_key, their_key) =
                (RootKey::derive(SECRET), macaroon::MacaroonKey::generate(SECRET));
            let naive_key = naive::derive(SECRET);
            let mut g = c.benchmark_group(format!("mintkept_{suffix}"));
            g.throughput(Throughput::Bytes(token.len() as u64));
            g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
                b.iter(|| ours_mint_key(&our_key, format, black_box(&cav)))
            });
            g.bench_function(BenchmarkId::from_parameter("macaroon_crate"), |b| {
                b.iter(|| theirs_mint_key(&their_key, format, black_box(&cav)))
            });
            if binary {
                g.bench_function(BenchmarkId::from_parameter("naive_floor"), |b| {
                    b.iter(|| {
                        naive::mint_key(v2, &naive_key, LOCATION, IDENTIFIER, black_box(&cav))
                    })
                });
            }
            g.finish();

            let mut g = c.benchmark_group(format!("parse_{suffix}"));
            g.throughput(Throughput::Bytes(token.len() as u64));
            g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
                b.iter(|| {
                    let decoded = engine::decode_text(black_box(&token), &limits).unwrap();
                    let m = decoded.macaroon(&limits).unwrap();
                    black_box(m.caveats().len());
                })
            });
            g.bench_function(BenchmarkId::from_parameter("macaroon_crate"), |b| {
                b.iter(|| black_box(macaroon::Macaroon::deserialize(black_box(&token)).unwrap()))
            });
            if binary {
                g.bench_function(BenchmarkId::from_parameter("naive_floor"), |b| {
                    b.iter(|| black_box(naive::parse(black_box(&token))))
                });
            }
            g.finish();

            // The bound of this token: its decode, timed alone, and its compressions.
            let decode_row = binary.then(|| format!("decode_{suffix}"));
            if let Some(row) = &decode_row {
                let mut g = c.benchmark_group("bound");
                let mut out = vec![0; token.len()];
                g.bench_function(row.as_str(), |b| b.iter(|| decode(black_box(&token), &mut out)));
                g.finish();
            }
            let lens: Vec<usize> = cav.iter().map(|c| c.len()).collect();
            let kept = compressions(IDENTIFIER.len(), &lens, None);
            let derived = compressions(IDENTIFIER.len(), &lens, Some(SECRET.len()));
            bounds.add(&format!("verify_{suffix}"), derived, decode_row.as_deref());
            bounds.add(&format!("verifykept_{suffix}"), kept, decode_row.as_deref());

            let checker = |p: &[u8]| cav.contains(&p);
            let mut g = c.benchmark_group(format!("verify_{suffix}"));
            g.throughput(Throughput::Bytes(token.len() as u64));
            g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
                b.iter(|| {
                    let key = RootKey::derive(SECRET);
                    engine::verify_token(black_box(&token), &key, &mut { checker }, &limits)
                        .unwrap();
                })
            });
            g.bench_function(BenchmarkId::from_parameter("onezone_owned"), |b| {
                b.iter(|| {
                    let decoded = engine::decode_text(black_box(&token), &limits).unwrap();
                    let m = decoded.macaroon(&limits).unwrap();
                    let key = RootKey::derive(SECRET);
                    m.verify(&key, &mut { checker }).unwrap();
                })
            });
            g.bench_function(BenchmarkId::from_parameter("macaroon_crate"), |b| {
                b.iter(|| {
                    let m = macaroon::Macaroon::deserialize(black_box(&token)).unwrap();
                    let key = macaroon::MacaroonKey::generate(SECRET);
                    let mut verifier = macaroon::Verifier::default();
                    for c in &cav {
                        verifier.satisfy_exact((*c).into());
                    }
                    verifier.verify(&m, &key, Vec::new()).unwrap();
                })
            });
            g.bench_function(BenchmarkId::from_parameter("naive_floor"), |b| {
                b.iter(|| {
                    assert!(if binary {
                        naive::verify(black_box(&token), SECRET, &cav)
                    } else {
                        naive::verify_json(black_box(&token), SECRET, &cav)
                    })
                })
            });
            g.finish();

            // A server verifying many tokens under one secret keeps the derived key too.
            let naive_kept = naive::keyed(&naive_key);
            let mut g = c.benchmark_group(format!("verifykept_{suffix}"));
            g.throughput(Throughput::Bytes(token.len() as u64));
            g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
                b.iter(|| {
                    engine::verify_token(black_box(&token), &our_key, &mut { checker }, &limits)
                        .unwrap();
                })
            });
            g.bench_function(BenchmarkId::from_parameter("onezone_owned"), |b| {
                b.iter(|| {
                    let decoded = engine::decode_text(black_box(&token), &limits).unwrap();
                    let m = decoded.macaroon(&limits).unwrap();
                    m.verify(&our_key, &mut { checker }).unwrap();
                })
            });
            g.bench_function(BenchmarkId::from_parameter("macaroon_crate"), |b| {
                b.iter(|| {
                    let m = macaroon::Macaroon::deserialize(black_box(&token)).unwrap();
                    let mut verifier = macaroon::Verifier::default();
                    for c in &cav {
                        verifier.satisfy_exact((*c).into());
                    }
                    verifier.verify(&m, &their_key, Vec::new()).unwrap();
                })
            });
            g.bench_function(BenchmarkId::from_parameter("naive_floor"), |b| {
                b.iter(|| {
                    assert!(if binary {
                        naive::verify_kept(black_box(&token), &naive_kept, &cav)
                    } else {
                        naive::verify_json_kept(black_box(&token), &naive_kept, &cav)
                    })
                })
            });
            g.finish();

            // Onezone's escaped text of the same token (JSON is never escaped).
            if binary {
                let escaped = engine::Macaroon::deserialize(&token)
                    .unwrap()
                    .serialize(format, Encoding::Escaped)
                    .unwrap();
                assert_ne!(escaped, token);
                let group = format!("verifykept_{suffix}_escaped");
                bounds.add(&group, kept, decode_row.as_deref());
                let mut g = c.benchmark_group(group);
                g.throughput(Throughput::Bytes(escaped.len() as u64));
                g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
                    b.iter(|| {
                        let text = black_box(&escaped);
                        engine::verify_token(text, &our_key, &mut { checker }, &limits).unwrap();
                    })
                });
                g.bench_function(BenchmarkId::from_parameter("onezone_owned"), |b| {
                    b.iter(|| {
                        let decoded = engine::decode_text(black_box(&escaped), &limits).unwrap();
                        let m = decoded.macaroon(&limits).unwrap();
                        m.verify(&our_key, &mut { checker }).unwrap();
                    })
                });
                g.finish();
            }
        }
    }
    bench_tokens(c, &mut bounds);
    bounds.write();
}

/// The Onezone layer: a named access token with time, ip and interface caveats and a named
/// invite with time and consumer caveats, as Onezone mints them (V1, escaped) and in plain
/// base64url, verified by `token::Verifier` and by the engine alone.
fn bench_tokens(c: &mut Criterion, bounds: &mut Bounds) {
    const NOW: u64 = 1_800_000_000;
    const TOKEN_SECRET: &[u8] = b"a per-token secret of 32 bytes!!";
    let limits = Limits::default();
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("HwUpk8jrwxKOe45uzLFX2GVC8lKEasj4", Secret::new(TOKEN_SECRET));
    let access = (
        "token_access",
        "2/nmd/usr-aa9c9cdc0e4bbd8d6b9a4a9a6e8bcd1f/act/HwUpk8jrwxKOe45uzLFX2GVC8lKEasj4",
        vec![
            Caveat::Time { valid_until: NOW + 3600 },
            Caveat::parse("ip = 10.0.0.0/8").unwrap(),
            Caveat::parse("interface = rest").unwrap(),
        ],
        CaveatContext {
            now: NOW,
            ip: Some("10.1.2.3".parse().unwrap()),
            interface: Some(Interface::Rest),
            ..Default::default()
        },
    );
    let invite = (
        "token_invite",
        "2/nmd/usr-aa9c9cdc0e4bbd8d6b9a4a9a6e8bcd1f/ujg:HwUpk8jrwxKOe45uzLFX2GVC8lKEasj4q253sptVqF8:/HwUpk8jrwxKOe45uzLFX2GVC8lKEasj4",
        vec![
            Caveat::Time { valid_until: NOW + 3600 },
            Caveat::parse("consumer = usr-carol").unwrap(),
        ],
        CaveatContext {
            now: NOW,
            consumer: Some("usr-carol".parse().unwrap()),
            ..Default::default()
        },
    );
    let key = RootKey::derive(TOKEN_SECRET);
    for (name, identifier, caveats, ctx) in [access, invite] {
        let id = TokenIdentifier::parse(identifier).unwrap();
        let raw: Vec<Vec<u8>> = caveats.iter().map(|c| c.to_string().into_bytes()).collect();
        let lens: Vec<usize> = raw.iter().map(Vec::len).collect();
        let checker = |p: &[u8]| raw.iter().any(|c| c == p);
        for (encoding, group) in
            [(Encoding::Escaped, name.to_owned()), (Encoding::Base64Url, format!("{name}_plain"))]
        {
            let secret = Secret::new(TOKEN_SECRET);
            let text = mint_as(&secret, LOCATION, &id, &caveats, Format::V1, encoding).unwrap();
            let plain =
                mint_as(&secret, LOCATION, &id, &caveats, Format::V1, Encoding::Base64Url).unwrap();
            let token = UnverifiedToken::parse(&text).unwrap();
            Verifier::new(&secrets).verify(&token, &ctx).unwrap();
            engine::verify_token(&text, &key, &mut { checker }, &limits).unwrap();

            let decode_row = format!("decode_{name}");
            if encoding == Encoding::Base64Url {
                let mut g = c.benchmark_group("bound");
                let mut out = vec![0; plain.len()];
                g.bench_function(decode_row.as_str(), |b| {
                    b.iter(|| decode(black_box(&plain), &mut out))
                });
                g.finish();
            }
            let n = compressions(identifier.len(), &lens, Some(TOKEN_SECRET.len()));
            bounds.add(&group, n, Some(&decode_row));

            let mut g = c.benchmark_group(group);
            g.throughput(Throughput::Bytes(text.len() as u64));
            g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
                b.iter(|| {
                    let token = UnverifiedToken::parse(black_box(&text)).unwrap();
                    Verifier::new(&secrets).verify(&token, &ctx).unwrap()
                })
            });
            g.bench_function(BenchmarkId::from_parameter("engine"), |b| {
                b.iter(|| {
                    let key = RootKey::derive(TOKEN_SECRET);
                    engine::verify_token(black_box(&text), &key, &mut { checker }, &limits).unwrap()
                })
            });
            g.bench_function(BenchmarkId::from_parameter("engine_kept"), |b| {
                b.iter(|| {
                    engine::verify_token(black_box(&text), &key, &mut { checker }, &limits).unwrap()
                })
            });
            g.finish();
        }
    }
}

/// Third-party caveats, side by side with the `macaroon` crate (there is no naive floor for
/// them: the floor would be the secretbox itself). `thirdparty_add`: mint a macaroon with one
/// first-party caveat and add a third-party caveat (a fresh nonce from the OS RNG on both sides).
/// `thirdparty_verify`: parse the V1 macaroon and its bound V1 discharge (one first-party caveat
/// each), derive the key and verify both.
fn bench_third_party(c: &mut Criterion) {
    macaroon::initialize().unwrap();
    let limits = Limits::default();
    let (cid, cloc, pred, dpred) = (
        &b"third party caveat id"[..],
        "https://idp.example/",
        &b"account = 42"[..],
        &b"user = alice"[..],
    );
    let caveat_key = RootKey::derive(b"caveat secret");
    let their_caveat_key = macaroon::MacaroonKey::from(*caveat_key.expose());

    let ours_add = || {
        let mut m = engine::Macaroon::new(&RootKey::derive(SECRET), IDENTIFIER)
            .with_location(LOCATION.as_bytes());
        m.add_first_party_caveat(pred);
        m.add_third_party_caveat(cloc.as_bytes(), &caveat_key, cid, &mut rand::rng());
        m
    };
    let theirs_add = || {
        let key = macaroon::MacaroonKey::generate(SECRET);
        let mut m =
            macaroon::Macaroon::create(Some(LOCATION.into()), &key, IDENTIFIER.into()).unwrap();
        m.add_first_party_caveat(pred.into());
        m.add_third_party_caveat(cloc, &their_caveat_key, cid.into());
        m
    };
    let mut g = c.benchmark_group("thirdparty_add");
    g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
        b.iter(|| black_box(ours_add()))
    });
    g.bench_function(BenchmarkId::from_parameter("macaroon_crate"), |b| {
        b.iter(|| black_box(theirs_add()))
    });
    g.finish();

    let m = ours_add();
    let mut d = engine::Macaroon::discharge(&caveat_key, cid);
    d.add_first_party_caveat(dpred);
    let token = m.serialize(Format::V1, Encoding::Base64Url).unwrap();
    let discharge = m.prepare_for_request(&d).serialize(Format::V1, Encoding::Base64Url).unwrap();
    // Both sides accept the pair before it is timed.
    let their_verify = |token: &str, discharge: &str| {
        let m = macaroon::Macaroon::deserialize(token).unwrap();
        let d = macaroon::Macaroon::deserialize(discharge).unwrap();
        let key = macaroon::MacaroonKey::generate(SECRET);
        let mut verifier = macaroon::Verifier::default();
        verifier.satisfy_exact(pred.into());
        verifier.satisfy_exact(dpred.into());
        verifier.verify(&m, &key, vec![d]).unwrap();
    };
    let our_verify = |token: &str, discharge: &str| {
        let decoded = engine::decode_text(token, &limits).unwrap();
        let m = decoded.macaroon(&limits).unwrap();
        let decoded_d = engine::decode_text(discharge, &limits).unwrap();
        let d = decoded_d.macaroon(&limits).unwrap();
        let key = RootKey::derive(SECRET);
        let mut checker = |p: &[u8]| p == pred || p == dpred;
        m.verify_with_discharges(&key, &mut checker, &[d], &limits).unwrap();
    };
    their_verify(&token, &discharge);
    our_verify(&token, &discharge);
    let mut g = c.benchmark_group("thirdparty_verify");
    g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
        b.iter(|| our_verify(black_box(&token), black_box(&discharge)))
    });
    g.bench_function(BenchmarkId::from_parameter("macaroon_crate"), |b| {
        b.iter(|| their_verify(black_box(&token), black_box(&discharge)))
    });
    g.finish();
}

/// `Caveat::parse` alone, for the caveats `token_access` and `token_invite` carry and for lists.
fn bench_caveat_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("caveat_parse");
    for (row, text) in [
        ("time", "time < 1800003600"),
        ("ip", "ip = 10.0.0.0/8"),
        ("interface", "interface = rest"),
        ("consumer", "consumer = usr-carol"),
        ("ip_list", "ip = 10.0.0.0/8|192.168.1.17|2001:db8::/32|172.16.0.0/12|127.0.0.1/32"),
        (
            "consumer_list",
            "consumer = usr-d4f5876dbe7f1e7e8a511de6dd31144c|grp-0921135ee61fe53a3df449365228e9b4|\
             prv-*|usr-carol|grp-admins",
        ),
    ] {
        Caveat::parse(text).unwrap();
        g.bench_function(row, |b| b.iter(|| Caveat::parse(black_box(text)).unwrap()));
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench, bench_third_party, bench_caveat_parse
}
criterion_main!(benches);
