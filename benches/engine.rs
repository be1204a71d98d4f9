//! Mint, parse and verify, side by side in one run: this crate, the `macaroon` crate 0.3
//! (libsodium through sodiumoxide) and a naive floor written here (the raw hmac + sha2 chain
//! with a bare V1/V2 writer/reader and base64, no validation at all).
//!
//! Every contender derives the key from the secret the same way, on every mint and verify;
//! the `mintkept_*` and `verifykept_*` groups time a server that derived its key once.
//! `python3 benches/report.py` turns the results into the ratio table of the README.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use onezone_tokens::macaroon::{self as engine, Encoding, Format, Limits, RootKey};

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

    fn chain(secret: &[u8], id: &[u8], caveats: &[&[u8]]) -> [u8; 32] {
        chain_key(&derive(secret), id, caveats)
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

    pub fn verify(text: &str, secret: &[u8], allowed: &[&[u8]]) -> bool {
        let p = parse(text);
        let caveats: Vec<&[u8]> = p.caveats.iter().map(Vec::as_slice).collect();
        caveats.iter().all(|c| allowed.contains(c))
            && chain(secret, &p.identifier, &caveats)[..] == p.signature[..]
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

fn their_format(v2: bool) -> macaroon::Format {
    if v2 { macaroon::Format::V2 } else { macaroon::Format::V1 }
}

fn theirs_mint(v2: bool, caveats: &[&[u8]]) -> String {
    theirs_mint_key(&macaroon::MacaroonKey::generate(SECRET), v2, caveats)
}

fn theirs_mint_key(key: &macaroon::MacaroonKey, v2: bool, caveats: &[&[u8]]) -> String {
    let mut m = macaroon::Macaroon::create(Some(LOCATION.into()), key, IDENTIFIER.into()).unwrap();
    for c in caveats {
        m.add_first_party_caveat((*c).into());
    }
    m.serialize(their_format(v2)).unwrap()
}

fn bench(c: &mut Criterion) {
    macaroon::initialize().unwrap();
    let limits = Limits::default();
    for (format_name, ours_format, v2) in [("v1", Format::V1, false), ("v2", Format::V2, true)] {
        for n in [1usize, 10] {
            let owned = caveats(n);
            let cav: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
            let token = ours_mint(ours_format, &cav);
            // All three contenders must agree on the bytes before we time them.
            assert_eq!(naive::mint(v2, SECRET, LOCATION, IDENTIFIER, &cav), token);
            let their_token = theirs_mint(v2, &cav);
            assert_eq!(
                engine::Macaroon::deserialize(&their_token).unwrap(),
                engine::Macaroon::deserialize(&token).unwrap()
            );
            let suffix = format!("{format_name}_{n}cav");

            let mut g = c.benchmark_group(format!("mint_{suffix}"));
            g.throughput(Throughput::Bytes(token.len() as u64));
            g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
                b.iter(|| ours_mint(ours_format, black_box(&cav)))
            });
            g.bench_function(BenchmarkId::from_parameter("macaroon_crate"), |b| {
                b.iter(|| theirs_mint(v2, black_box(&cav)))
            });
            g.bench_function(BenchmarkId::from_parameter("naive_floor"), |b| {
                b.iter(|| naive::mint(v2, SECRET, LOCATION, IDENTIFIER, black_box(&cav)))
            });
            g.finish();

            // A server minting many tokens with one secret keeps the derived key: every contender
            // derives it once, outside the timed loop.
            let (our_key, their_key) =
                (RootKey::derive(SECRET), macaroon::MacaroonKey::generate(SECRET));
            let naive_key = naive::derive(SECRET);
            let mut g = c.benchmark_group(format!("mintkept_{suffix}"));
            g.throughput(Throughput::Bytes(token.len() as u64));
            g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
                b.iter(|| ours_mint_key(&our_key, ours_format, black_box(&cav)))
            });
            g.bench_function(BenchmarkId::from_parameter("macaroon_crate"), |b| {
                b.iter(|| theirs_mint_key(&their_key, v2, black_box(&cav)))
            });
            g.bench_function(BenchmarkId::from_parameter("naive_floor"), |b| {
                b.iter(|| naive::mint_key(v2, &naive_key, LOCATION, IDENTIFIER, black_box(&cav)))
            });
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
            g.bench_function(BenchmarkId::from_parameter("naive_floor"), |b| {
                b.iter(|| black_box(naive::parse(black_box(&token))))
            });
            g.finish();

            let mut g = c.benchmark_group(format!("verify_{suffix}"));
            g.throughput(Throughput::Bytes(token.len() as u64));
            g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
                b.iter(|| {
                    let decoded = engine::decode_text(black_box(&token), &limits).unwrap();
                    let m = decoded.macaroon(&limits).unwrap();
                    let key = RootKey::derive(SECRET);
                    m.verify(&key, &mut |p: &[u8]| cav.contains(&p)).unwrap();
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
                b.iter(|| assert!(naive::verify(black_box(&token), SECRET, &cav)))
            });
            g.finish();

            // A server verifying many tokens under one secret keeps the derived key too.
            let mut g = c.benchmark_group(format!("verifykept_{suffix}"));
            g.throughput(Throughput::Bytes(token.len() as u64));
            g.bench_function(BenchmarkId::from_parameter("onezone_tokens"), |b| {
                b.iter(|| {
                    let decoded = engine::decode_text(black_box(&token), &limits).unwrap();
                    let m = decoded.macaroon(&limits).unwrap();
                    m.verify(&our_key, &mut |p: &[u8]| cav.contains(&p)).unwrap();
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

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = bench, bench_third_party
}
criterion_main!(benches);
