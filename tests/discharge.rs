//! Third-party caveats and discharges: the libmacaroons construction, verification with bound
//! discharges, and every bad input of issue 10 (each a clear error, bounded in time and memory).

// `&[x.clone()]` reads better than `slice::from_ref(&x)` in these assertions.
#![allow(clippy::cloned_ref_to_slice_refs)]

use std::convert::Infallible;
use std::time::{Duration, Instant};

use onezone_tokens::macaroon::{
    Encoding, Error, Format, Limit, Limits, Macaroon, MacaroonRef, RawCaveat, RootKey,
};
use rand_core::{TryCryptoRng, TryRng};

/// Repeats fixed bytes: a deterministic nonce source for tests only (never a real `CryptoRng`).
struct FixedNonce([u8; 24]);

impl TryRng for FixedNonce {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(u32::from_le_bytes([self.0[0], self.0[1], self.0[2], self.0[3]]))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from(self.try_next_u32()?))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for (d, s) in dst.iter_mut().zip(self.0.iter().cycle()) {
            *d = *s;
        }
        Ok(())
    }
}
impl TryCryptoRng for FixedNonce {}

const ROOT_SECRET: &[u8] = b"this is a different super-secret key; never use the same secret twice";
const CAVEAT_SECRET: &[u8] = b"4; guaranteed random by a fair toss of the dice";
const CAVEAT_ID: &[u8] = b"this was how we remind auth of key/pred";

fn all_true() -> impl FnMut(&[u8]) -> bool {
    |_: &[u8]| true
}

/// The libmacaroons README example: a macaroon with one first-party and one third-party caveat
/// (random nonce), its discharge with a time caveat, bound.
fn example() -> (RootKey, Macaroon<'static>, Macaroon<'static>) {
    let key = RootKey::derive(ROOT_SECRET);
    let caveat_key = RootKey::derive(CAVEAT_SECRET);
    let mut m = Macaroon::new(&key, &b"we used our other secret key"[..])
        .with_location(&b"http://mybank/"[..]);
    m.add_first_party_caveat(&b"account = 3735928559"[..]);
    m.add_third_party_caveat(&b"http://auth.mybank/"[..], &caveat_key, CAVEAT_ID, &mut rand::rng());
    let mut d =
        Macaroon::discharge(&caveat_key, CAVEAT_ID).with_location(&b"http://auth.mybank/"[..]);
    d.add_first_party_caveat(&b"time < 2030-01-01T00:00"[..]);
    let bound = m.prepare_for_request(&d);
    (key, m, bound)
}

#[test]
fn the_libmacaroons_vector_vid_is_our_seal_with_its_zero_nonce() {
    // The shared vector third_party_v1 (libmacaroons README, go's binary test) was made with this
    // caveat key and an all-zero nonce: we rebuild it byte for byte.
    let key = RootKey::derive(ROOT_SECRET);
    let mut m = Macaroon::new(&key, &b"we used our other secret key"[..])
        .with_location(&b"http://mybank/"[..]);
    m.add_first_party_caveat(&b"account = 3735928559"[..]);
    m.add_third_party_caveat(
        &b"http://auth.mybank/"[..],
        &RootKey::derive(CAVEAT_SECRET),
        CAVEAT_ID,
        &mut FixedNonce([0; 24]),
    );
    let vectors: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/macaroons.json"
        ))
        .expect("vectors"),
    )
    .expect("JSON");
    let want = vectors["third_party_v1"]["token"].as_str().expect("token");
    assert_eq!(m.serialize(Format::V1, Encoding::Base64Url).expect("encodes"), want);
    let third = &m.caveats()[1];
    assert_eq!(third.verification_id().map(<[u8]>::len), Some(72));
    assert_eq!(third.location(), Some(&b"http://auth.mybank/"[..]));

    // And it verifies with a discharge for it.
    let d = Macaroon::discharge(&RootKey::derive(CAVEAT_SECRET), CAVEAT_ID);
    let bound = m.prepare_for_request(&d);
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &[bound], &Limits::default()),
        Ok(())
    );
}

#[test]
fn a_bound_discharge_verifies_in_every_format() {
    let (key, m, bound) = example();
    let limits = Limits::default();
    let mut seen = Vec::new();
    let mut checker = |p: &[u8]| {
        seen.push(p.to_vec());
        p == b"account = 3735928559" || p == b"time < 2030-01-01T00:00"
    };
    assert_eq!(m.verify_with_discharges(&key, &mut checker, &[bound.clone()], &limits), Ok(()));
    // The checker saw the first-party caveats of both macaroons.
    assert_eq!(seen, [&b"account = 3735928559"[..], b"time < 2030-01-01T00:00"]);
    for format in [Format::V1, Format::V2, Format::V2Json] {
        let mt = m.serialize(format, Encoding::Escaped).expect("encodes");
        let dt = bound.serialize(format, Encoding::Base64Url).expect("encodes");
        let m2 = Macaroon::deserialize(&mt).expect("parses");
        let d2 = Macaroon::deserialize(&dt).expect("parses");
        assert_eq!(m2, m);
        assert_eq!(
            m2.verify_with_discharges(&key, &mut all_true(), &[d2.clone()], &limits),
            Ok(()),
            "{format:?}"
        );
        assert_eq!(m2.verify_signature_with_discharges(&key, &[d2], &limits), Ok(()));
    }
}

#[test]
fn nonces_are_fresh_and_taken_from_the_rng() {
    let key = RootKey::derive(b"k");
    let ck = RootKey::derive(b"c");
    let mut a = Macaroon::new(&key, &b"id"[..]);
    let mut b = a.clone();
    a.add_third_party_caveat(&b""[..], &ck, &b"c"[..], &mut rand::rng());
    b.add_third_party_caveat(&b""[..], &ck, &b"c"[..], &mut rand::rng());
    assert_ne!(a.caveats()[0].verification_id(), b.caveats()[0].verification_id());
    let mut c = Macaroon::new(&key, &b"id"[..]);
    c.add_third_party_caveat(&b""[..], &ck, &b"c"[..], &mut FixedNonce([5; 24]));
    assert_eq!(&c.caveats()[0].verification_id().unwrap()[..24], &[5; 24]);
    // An empty location is no location, as for the macaroon's.
    assert_eq!(c.caveats()[0].location(), None);
}

#[test]
fn first_party_caveats_of_a_discharge_are_checked_after_every_signature() {
    let (key, m, bound) = example();
    let limits = Limits::default();
    let refuse_time = |p: &[u8]| !p.starts_with(b"time");
    assert_eq!(
        m.verify_with_discharges(&key, &mut { refuse_time }, &[bound.clone()], &limits),
        Err(Error::DischargeCaveatNotSatisfied {
            discharge: 0,
            index: 0,
            predicate: "time < 2030-01-01T00:00".into()
        })
    );
    // The signature-only check evaluates no first-party caveat.
    assert_eq!(m.verify_signature_with_discharges(&key, &[bound.clone()], &limits), Ok(()));
    // The authorizing macaroon's own refused caveat comes first.
    assert_eq!(
        m.verify_with_discharges(&key, &mut |_: &[u8]| false, &[bound.clone()], &limits),
        Err(Error::CaveatNotSatisfied { index: 0, predicate: "account = 3735928559".into() })
    );
    // A caveat failure is never reported while a discharge is not authentic.
    let unbound = Macaroon::discharge(&RootKey::derive(CAVEAT_SECRET), CAVEAT_ID);
    assert_eq!(
        m.verify_with_discharges(&key, &mut |_: &[u8]| false, &[unbound], &limits),
        Err(Error::DischargeNotBound { discharge: 0 })
    );
}

#[test]
fn a_wrong_root_key_is_opaque_whatever_the_discharges() {
    let (_, m, bound) = example();
    let wrong = RootKey::derive(b"wrong");
    let limits = Limits::default();
    for discharges in
        [vec![], vec![bound.clone()], vec![bound.clone(), bound.clone()], vec![m.clone()]]
    {
        assert_eq!(
            m.verify_with_discharges(&wrong, &mut all_true(), &discharges, &limits),
            Err(Error::InvalidSignature)
        );
    }
}

#[test]
fn missing_unbound_wrongly_bound_and_tampered_discharges() {
    let (key, m, bound) = example();
    let limits = Limits::default();
    let verify = |ds: &[Macaroon<'_>]| m.verify_with_discharges(&key, &mut all_true(), ds, &limits);
    assert_eq!(
        verify(&[]),
        Err(Error::DischargeMissing { holder: MacaroonRef::Authorizing, index: 1 })
    );
    assert_eq!(m.verify(&key, &mut all_true()), verify(&[]));
    assert_eq!(m.verify_signature(&key), verify(&[]));

    let caveat_key = RootKey::derive(CAVEAT_SECRET);
    let mut d = Macaroon::discharge(&caveat_key, CAVEAT_ID);
    d.add_first_party_caveat(&b"time < 2030-01-01T00:00"[..]);
    assert_eq!(verify(&[d.clone()]), Err(Error::DischargeNotBound { discharge: 0 }));
    // Bound twice, or bound to another macaroon.
    assert_eq!(
        verify(&[m.prepare_for_request(&bound)]),
        Err(Error::DischargeInvalidSignature { discharge: 0 })
    );
    let other = Macaroon::new(&key, &b"another"[..]);
    assert_eq!(
        verify(&[other.prepare_for_request(&d)]),
        Err(Error::DischargeInvalidSignature { discharge: 0 })
    );
    // Minted with another key.
    let forged = m.prepare_for_request(&Macaroon::discharge(&RootKey::derive(b"guess"), CAVEAT_ID));
    assert_eq!(verify(&[forged]), Err(Error::DischargeInvalidSignature { discharge: 0 }));
    // A caveat removed from the bound discharge (its signature kept), or added to it after
    // binding (which anyone can do, but then the binding no longer matches).
    let mut json: serde_json::Value =
        serde_json::from_str(&bound.to_json().unwrap()).expect("JSON");
    json["c"] = serde_json::json!([]);
    let stripped = Macaroon::from_json(&json.to_string(), &limits).expect("parses").into_owned();
    assert_eq!(stripped.caveats().len(), 0);
    assert_eq!(verify(&[stripped]), Err(Error::DischargeInvalidSignature { discharge: 0 }));
    let mut widened = bound.clone();
    widened.add_first_party_caveat(&b"more"[..]);
    assert_eq!(verify(&[widened]), Err(Error::DischargeInvalidSignature { discharge: 0 }));
    // A discharge for another caveat: nothing discharges this one.
    let elsewhere =
        m.prepare_for_request(&Macaroon::discharge(&caveat_key, &b"another caveat"[..]));
    assert_eq!(
        verify(&[elsewhere.clone()]),
        Err(Error::DischargeMissing { holder: MacaroonRef::Authorizing, index: 1 })
    );
    // ...and beside the right one it is unused.
    assert_eq!(verify(&[bound.clone(), elsewhere]), Err(Error::DischargeUnused { discharge: 1 }));
    assert_eq!(verify(&[bound]), Ok(()));
}

/// A macaroon whose signature is authentic but whose third-party caveat has these `vid` bytes:
/// a holder can add such a caveat without any key (it is plain attenuation). Built as V1 packets
/// with a placeholder signature, then the chain's signature put in its place.
fn with_raw_vid(vid: &[u8]) -> (RootKey, Macaroon<'static>) {
    let key = RootKey::derive(b"root");
    let mut m = Macaroon::new(&key, &b"id"[..]);
    m.add_first_party_caveat(&b"a"[..]);
    let packet = |key: &str, value: &[u8]| {
        let mut p = format!("{:04x}{key} ", 4 + key.len() + 2 + value.len()).into_bytes();
        p.extend_from_slice(value);
        p.push(b'\n');
        p
    };
    let mut bytes = m.to_v1().expect("v1");
    bytes.truncate(bytes.len() - packet("signature", &[0; 32]).len());
    bytes.extend(packet("cid", b"caveat"));
    bytes.extend(packet("vid", vid));
    let unsigned = bytes.clone();
    bytes.extend(packet("signature", &[0; 32]));
    let placeholder = Macaroon::from_v1(&bytes, &Limits::default()).expect("parses");
    let mut signed = unsigned;
    signed.extend(packet("signature", placeholder.compute_signature(&key).as_bytes()));
    (key, Macaroon::from_v1(&signed, &Limits::default()).expect("parses").into_owned())
}

#[test]
fn truncated_altered_and_wrong_nonce_verification_ids() {
    let caveat_key = RootKey::derive(b"third party");
    let good = {
        let key = RootKey::derive(b"root");
        let mut m = Macaroon::new(&key, &b"id"[..]);
        m.add_first_party_caveat(&b"a"[..]);
        m.add_third_party_caveat(&b"tp"[..], &caveat_key, &b"caveat"[..], &mut FixedNonce([3; 24]));
        m
    };
    let vid = good.caveats()[1].verification_id().expect("vid").to_vec();
    let discharge =
        |m: &Macaroon<'_>| m.prepare_for_request(&Macaroon::discharge(&caveat_key, &b"caveat"[..]));
    // The good one, rebuilt through the helper, verifies: the helper is faithful.
    let (key, rebuilt) = with_raw_vid(&vid);
    assert_eq!(rebuilt.caveats()[1].location(), None);
    let d = discharge(&rebuilt);
    assert_eq!(
        rebuilt.verify_with_discharges(&key, &mut all_true(), &[d], &Limits::default()),
        Ok(())
    );

    let bad = |vid: &[u8]| {
        let (key, m) = with_raw_vid(vid);
        let d = discharge(&m);
        m.verify_with_discharges(&key, &mut all_true(), &[d], &Limits::default())
    };
    let invalid = Err(Error::VerificationIdInvalid { holder: MacaroonRef::Authorizing, index: 1 });
    for len in [0, 1, 24, 40, 71] {
        assert_eq!(bad(&vid[..len]), invalid, "truncated to {len}");
    }
    let mut longer = vid.clone();
    longer.push(0);
    assert_eq!(bad(&longer), invalid);
    for i in [0, 23, 24, 39, 40, 71] {
        let mut altered = vid.clone();
        altered[i] ^= 0x80;
        assert_eq!(bad(&altered), invalid, "byte {i} altered");
    }
    // Another nonce in front of the same box.
    let mut renonced = vid.clone();
    renonced[..24].copy_from_slice(&[4; 24]);
    assert_eq!(bad(&renonced), invalid);

    // Altering the vid of an issued token without the key breaks the signature, opaquely.
    let mut bytes = good.to_v2();
    let at = bytes.windows(vid.len()).position(|w| w == vid).expect("vid in V2");
    bytes[at + 30] ^= 1;
    let tampered = Macaroon::from_v2(&bytes, &Limits::default()).expect("parses");
    let d = discharge(&good);
    assert_eq!(
        tampered.verify_with_discharges(
            &RootKey::derive(b"root"),
            &mut all_true(),
            &[d],
            &Limits::default()
        ),
        Err(Error::InvalidSignature)
    );
}

#[test]
fn a_discharge_used_twice() {
    let key = RootKey::derive(b"root");
    let ck = RootKey::derive(b"third");
    let mut m = Macaroon::new(&key, &b"id"[..]);
    m.add_third_party_caveat(&b"tp"[..], &ck, &b"same"[..], &mut rand::rng());
    m.add_third_party_caveat(&b"tp"[..], &ck, &b"same"[..], &mut rand::rng());
    let d = m.prepare_for_request(&Macaroon::discharge(&ck, &b"same"[..]));
    let limits = Limits::default();
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &[d.clone()], &limits),
        Err(Error::DischargeReused { discharge: 0, holder: MacaroonRef::Authorizing, index: 1 })
    );
    // Two discharges for two caveats with the same id: each is used once.
    assert_eq!(m.verify_with_discharges(&key, &mut all_true(), &[d.clone(), d], &limits), Ok(()));
}

/// A chain: the authorizing macaroon needs `d0`, `d0` needs `d1`, ... `d{n-1}`.
fn chain(n: usize) -> (RootKey, Macaroon<'static>, Vec<Macaroon<'static>>) {
    let key = RootKey::derive(b"root");
    let mut m = Macaroon::new(&key, &b"id"[..]);
    let keys: Vec<RootKey> = (0..n).map(|i| RootKey::derive(format!("k{i}").as_bytes())).collect();
    m.add_third_party_caveat(&b"tp"[..], &keys[0], &b"d0"[..], &mut rand::rng());
    let mut ds = Vec::new();
    for i in 0..n {
        let mut d = Macaroon::discharge(&keys[i], format!("d{i}").into_bytes());
        if i + 1 < n {
            d.add_third_party_caveat(
                &b"tp"[..],
                &keys[i + 1],
                format!("d{}", i + 1).into_bytes(),
                &mut rand::rng(),
            );
        }
        ds.push(m.prepare_for_request(&d));
    }
    (key, m, ds)
}

#[test]
fn nested_discharges_verify_up_to_the_depth_limit() {
    let limits = Limits::default();
    assert_eq!(limits.max_discharge_depth, 8);
    let (key, m, ds) = chain(8);
    assert_eq!(m.verify_with_discharges(&key, &mut all_true(), &ds, &limits), Ok(()));
    // Any order of the discharges.
    let reversed: Vec<_> = ds.iter().rev().cloned().collect();
    assert_eq!(m.verify_with_discharges(&key, &mut all_true(), &reversed, &limits), Ok(()));
    // A nested discharge's missing discharge names its holder.
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &ds[..7], &limits),
        Err(Error::DischargeMissing { holder: MacaroonRef::Discharge(6), index: 0 })
    );
    let (key, m, ds) = chain(9);
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &ds, &limits),
        Err(Error::LimitExceeded { limit: Limit::DischargeDepth, max: 8, found: 9 })
    );
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &ds, &limits.with_max_discharge_depth(9)),
        Ok(())
    );
}

#[test]
fn a_deep_chain_is_refused_in_bounded_time() {
    // 1,000 nested discharges, all authentic, with the count limit raised: the depth limit stops
    // the walk after 8 discharges, and no recursion grows the stack.
    let (key, m, ds) = chain(1000);
    let limits = Limits::default().with_max_discharges(1000);
    let start = Instant::now();
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &ds, &limits),
        Err(Error::LimitExceeded { limit: Limit::DischargeDepth, max: 8, found: 9 })
    );
    // With both limits raised, the whole chain verifies: work linear in the discharges.
    let limits = limits.with_max_discharge_depth(1000);
    assert_eq!(m.verify_with_discharges(&key, &mut all_true(), &ds, &limits), Ok(()));
    assert!(start.elapsed() < Duration::from_secs(20), "{:?}", start.elapsed());
}

#[test]
fn a_thousand_discharges() {
    let (key, m, bound) = example();
    let many = vec![bound; 1000];
    let start = Instant::now();
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &many, &Limits::default()),
        Err(Error::LimitExceeded { limit: Limit::DischargeCount, max: 64, found: 1000 })
    );
    // Raised limit: the first copy is used, the 999 others are not.
    assert_eq!(
        m.verify_with_discharges(
            &key,
            &mut all_true(),
            &many,
            &Limits::default().with_max_discharges(1000)
        ),
        Err(Error::DischargeUnused { discharge: 1 })
    );
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
}

#[test]
fn a_discharge_that_is_the_macaroon_itself() {
    let (key, m, bound) = example();
    let limits = Limits::default();
    for discharges in
        [vec![m.clone()], vec![bound.clone(), m.clone()], vec![m.prepare_for_request(&m)]]
    {
        let at = discharges.len() - 1;
        assert_eq!(
            m.verify_with_discharges(&key, &mut all_true(), &discharges, &limits),
            Err(Error::DischargeIsAuthorizing { discharge: at })
        );
    }
    // A holder adds a third-party caveat naming the macaroon's own identifier, sealing a key they
    // chose under the signature they hold: the macaroon still cannot discharge itself.
    let mut m2 = m.clone();
    m2.add_third_party_caveat(
        &b""[..],
        &RootKey::derive(b"chosen"),
        m.identifier().to_vec(),
        &mut rand::rng(),
    );
    assert_eq!(
        m2.verify_with_discharges(&key, &mut all_true(), &[bound.clone(), m2.clone()], &limits),
        Err(Error::DischargeIsAuthorizing { discharge: 1 })
    );
    // The original (without the holder's caveat) is not m2, but does not discharge it either:
    // its chain is not under the key the holder sealed.
    let mut d = Macaroon::discharge(&RootKey::derive(CAVEAT_SECRET), CAVEAT_ID);
    d.add_first_party_caveat(&b"time < 2030-01-01T00:00"[..]);
    let ds = [m2.prepare_for_request(&d), m2.prepare_for_request(&m)];
    assert_eq!(
        m2.verify_with_discharges(&key, &mut all_true(), &ds, &limits),
        Err(Error::DischargeInvalidSignature { discharge: 1 })
    );
    // And a discharge bound to the original is wrongly bound for m2.
    assert_eq!(
        m2.verify_with_discharges(&key, &mut all_true(), &[bound, ds[1].clone()], &limits),
        Err(Error::DischargeInvalidSignature { discharge: 0 })
    );
}

#[test]
fn cyclic_discharges() {
    let key = RootKey::derive(b"root");
    let (ka, kb) = (RootKey::derive(b"a"), RootKey::derive(b"b"));
    let mut m = Macaroon::new(&key, &b"id"[..]);
    m.add_third_party_caveat(&b""[..], &ka, &b"A"[..], &mut rand::rng());
    let limits = Limits::default();

    // A needs itself.
    let mut a = Macaroon::discharge(&ka, &b"A"[..]);
    a.add_third_party_caveat(&b""[..], &ka, &b"A"[..], &mut rand::rng());
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &[m.prepare_for_request(&a)], &limits),
        Err(Error::DischargeCycle { discharge: 0 })
    );
    // A needs B, B needs A.
    let mut a = Macaroon::discharge(&ka, &b"A"[..]);
    a.add_third_party_caveat(&b""[..], &kb, &b"B"[..], &mut rand::rng());
    let mut b = Macaroon::discharge(&kb, &b"B"[..]);
    b.add_third_party_caveat(&b""[..], &ka, &b"A"[..], &mut rand::rng());
    let ds = [m.prepare_for_request(&a), m.prepare_for_request(&b)];
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &ds, &limits),
        Err(Error::DischargeCycle { discharge: 0 })
    );
    // Even with a second copy of A: the copy is used for B's caveat, and its own caveat finds
    // B used by an ancestor (A -> B -> A' -> B).
    let ds = [ds[0].clone(), ds[1].clone(), ds[0].clone()];
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &ds, &limits),
        Err(Error::DischargeCycle { discharge: 1 })
    );
}

#[test]
fn errors_read_as_sentences() {
    let e = Error::DischargeMissing { holder: MacaroonRef::Discharge(2), index: 1 };
    assert_eq!(
        e.to_string(),
        "caveat 1 of discharge 2 is a third-party caveat and no discharge macaroon for it was given"
    );
    let e = Error::LimitExceeded { limit: Limit::DischargeDepth, max: 8, found: 9 };
    assert_eq!(
        e.to_string(),
        "token exceeds the discharge depth limit: 9 is more than the maximum 8"
    );
    assert!(Error::DischargeNotBound { discharge: 0 }.to_string().contains("not bound"));
}

#[test]
fn caveats_report_their_kind() {
    let (_, m, _) = example();
    assert!(m.caveats()[0].is_first_party());
    assert!(!m.caveats()[1].is_first_party());
    assert_eq!(m.caveats()[1].id(), CAVEAT_ID);
    let _ = RawCaveat::first_party(&b"x"[..]);
}

#[test]
fn check_discharge_says_which_discharge_is_bound_to_which_caveat() {
    let (key, m, bound) = example();
    let caveat_key = RootKey::derive(CAVEAT_SECRET);
    let mut unbound = Macaroon::discharge(&caveat_key, CAVEAT_ID);
    unbound.add_first_party_caveat(&b"time < 2030-01-01T00:00"[..]);
    assert_eq!(m.check_discharge(&key, 1, &bound), Ok(()));
    assert_eq!(
        m.check_discharge(&key, 1, &unbound),
        Err(Error::DischargeNotBound { discharge: 0 })
    );
    let other = Macaroon::new(&key, &b"other"[..]);
    assert_eq!(
        m.check_discharge(&key, 1, &other.prepare_for_request(&unbound)),
        Err(Error::DischargeInvalidSignature { discharge: 0 })
    );
    let missing = Err(Error::DischargeMissing { holder: MacaroonRef::Authorizing, index: 0 });
    assert_eq!(m.check_discharge(&key, 0, &bound), missing);
    assert_eq!(
        m.check_discharge(
            &key,
            1,
            &m.prepare_for_request(&Macaroon::discharge(&caveat_key, &b"x"[..]))
        ),
        Err(Error::DischargeMissing { holder: MacaroonRef::Authorizing, index: 1 })
    );
    assert_eq!(
        m.check_discharge(&RootKey::derive(b"wrong"), 1, &bound),
        Err(Error::InvalidSignature)
    );
}

/// Issue 18: the discharge used for a caveat is the one that verifies, not the first with its id,
/// so an injected junk discharge with the same id changes nothing, whatever the order.
#[test]
fn a_junk_discharge_with_the_same_id_decides_nothing_whatever_the_order() {
    let (key, m, bound) = example();
    let limits = Limits::default();
    let verify = |ds: &[Macaroon<'_>]| m.verify_with_discharges(&key, &mut all_true(), ds, &limits);
    let junk = m.prepare_for_request(&Macaroon::discharge(&RootKey::derive(b"guess"), CAVEAT_ID));
    assert_eq!(verify(&[bound.clone()]), Ok(()));
    // The genuine discharge is used in both orders; the junk one is left unused, so the request
    // fails closed the same way, naming the junk.
    assert_eq!(
        verify(&[junk.clone(), bound.clone()]),
        Err(Error::DischargeUnused { discharge: 0 })
    );
    assert_eq!(verify(&[bound, junk.clone()]), Err(Error::DischargeUnused { discharge: 1 }));
    // Junk alone: the first junk's failure is reported.
    assert_eq!(
        verify(&[junk.clone(), junk]),
        Err(Error::DischargeInvalidSignature { discharge: 0 })
    );
}

/// Two third-party caveats with the same id under different keys: each discharge fits one, and
/// the order they are given in does not matter.
#[test]
fn same_id_discharges_for_two_caveats_verify_in_either_order() {
    let key = RootKey::derive(b"root");
    let (k1, k2) = (RootKey::derive(b"first third party"), RootKey::derive(b"second"));
    let mut m = Macaroon::new(&key, &b"id"[..]);
    m.add_third_party_caveat(&b"tp"[..], &k1, &b"same"[..], &mut rand::rng());
    m.add_third_party_caveat(&b"tp"[..], &k2, &b"same"[..], &mut rand::rng());
    let d1 = m.prepare_for_request(&Macaroon::discharge(&k1, &b"same"[..]));
    let d2 = m.prepare_for_request(&Macaroon::discharge(&k2, &b"same"[..]));
    let limits = Limits::default();
    for ds in [[d1.clone(), d2.clone()], [d2.clone(), d1.clone()]] {
        assert_eq!(m.verify_with_discharges(&key, &mut all_true(), &ds, &limits), Ok(()));
        assert_eq!(m.verify_signature_with_discharges(&key, &ds, &limits), Ok(()));
    }
    // The checker sees each discharge's caveats once, only those of discharges that are used.
    let mut d1c = Macaroon::discharge(&k1, &b"same"[..]);
    d1c.add_first_party_caveat(&b"one"[..]);
    let junk = m.prepare_for_request(&Macaroon::discharge(&RootKey::derive(b"x"), &b"same"[..]));
    let mut junk_with_caveat = Macaroon::discharge(&RootKey::derive(b"y"), &b"same"[..]);
    junk_with_caveat.add_first_party_caveat(&b"never shown"[..]);
    let ds = [junk, m.prepare_for_request(&junk_with_caveat), d2, m.prepare_for_request(&d1c)];
    let mut seen = Vec::new();
    let mut checker = |c: &[u8]| {
        seen.push(c.to_vec());
        true
    };
    assert_eq!(
        m.verify_with_discharges(&key, &mut checker, &ds, &limits),
        Err(Error::DischargeUnused { discharge: 0 })
    );
    assert_eq!(seen, [b"one".to_vec()]);
}

/// The bound still holds with as many same-id discharges as the limit allows, all junk but one,
/// in either order; one more is refused by the count limit before any work.
#[test]
fn many_same_id_discharges_stay_within_the_limits() {
    let (key, m, bound) = example();
    let limits = Limits::default();
    let max = limits.max_discharges;
    let junk: Vec<Macaroon<'static>> = (0..max - 1)
        .map(|i| {
            let k = RootKey::derive(format!("guess {i}").as_bytes());
            m.prepare_for_request(&Macaroon::discharge(&k, CAVEAT_ID))
        })
        .collect();
    let start = Instant::now();
    let mut last = junk.clone();
    last.push(bound.clone());
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &last, &limits),
        Err(Error::DischargeUnused { discharge: 0 })
    );
    let mut first = vec![bound.clone()];
    first.extend(junk.iter().cloned());
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &first, &limits),
        Err(Error::DischargeUnused { discharge: 1 })
    );
    last.push(bound);
    assert_eq!(
        m.verify_with_discharges(&key, &mut all_true(), &last, &limits),
        Err(Error::LimitExceeded { limit: Limit::DischargeCount, max, found: max + 1 })
    );
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
}
