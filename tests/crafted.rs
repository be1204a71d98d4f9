//! The adversarial review's crafted inputs, kept as regression tests: each is refused with an
//! error (never a panic, never unbounded work), and tokens at the size limit still parse.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use onezone_tokens::invite::GroupInviteTokenRequest;
use onezone_tokens::macaroon::{self, Encoding, Format, Limit, Limits, Secret};
use onezone_tokens::token::{Caveat, TokenError, TokenIdentifier, UnverifiedToken, mint_as};

fn parse(bytes: &[u8]) -> Result<UnverifiedToken, TokenError> {
    UnverifiedToken::parse(&URL_SAFE_NO_PAD.encode(bytes))
}

/// V2 binary with an identifier field whose varint length is 10 bytes (u64::MAX), 11 bytes (too
/// long for a u64) or 2^63: each is an error, with nothing allocated for it.
#[test]
fn v2_varints_of_10_and_11_bytes_and_2_pow_63_lengths_are_refused() {
    let u64_max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    let eleven = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
    let two_pow_63 = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];
    for varint in [&u64_max[..], &eleven[..], &two_pow_63[..]] {
        for field in [1u8, 2] {
            let mut bytes = vec![0x02, field];
            bytes.extend_from_slice(varint);
            bytes.extend_from_slice(b"identifier");
            let err = parse(&bytes).unwrap_err();
            assert!(matches!(err, TokenError::Malformed(_)), "{varint:x?}: {err:?}");
        }
    }
    // A valid 10-byte varint with a small value (over-long encoding of 5) is refused or read,
    // never a panic.
    let mut bytes = vec![0x02, 0x02, 0x85, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
    bytes.extend_from_slice(b"2/nmd/usr-a/act/t\x00\x00\x06\x20");
    bytes.extend_from_slice(&[0u8; 32]);
    let _ = parse(&bytes);
}

/// 5,000 levels of JSON nesting, in a JSON token and in a request body: an error, no stack
/// overflow.
#[test]
fn json_nested_5000_deep_is_refused() {
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let token = format!(r#"{{"v":2,"i":{deep},"s64":"AA"}}"#);
    assert!(parse(token.as_bytes()).is_err());
    let deep_objects = format!("{}1{}", r#"{"a":"#.repeat(5000), "}".repeat(5000));
    let token = format!(r#"{{"v":2,"i":"x","c":[{deep_objects}],"s64":"AA"}}"#);
    assert!(parse(token.as_bytes()).is_err());
    let body = format!(r#"{{"caveats":{deep}}}"#);
    assert!(GroupInviteTokenRequest::from_body(Some(body.as_bytes())).is_err());
    let body = format!(r#"{{"privileges":{deep_objects}}}"#);
    assert!(GroupInviteTokenRequest::from_body(Some(body.as_bytes())).is_err());
}

/// An access token (any caveat allowed) whose one caveat makes its base64url text `len` long.
fn token_of_length(len: usize) -> Option<String> {
    let id = TokenIdentifier::parse("2/nmd/usr-a/act/t").unwrap();
    let secret = Secret::new(&b"s"[..]);
    let mint = |n: usize| {
        let caveat = Caveat::parse(&format!("consumer = usr-{}", "a".repeat(n))).unwrap();
        mint_as(&secret, "oz", &id, &[caveat], Format::V1, Encoding::Base64Url)
    };
    // The text grows with the caveat: bisect for the largest caveat that fits.
    let (mut lo, mut hi) = (1usize, 60_000usize);
    while lo + 1 < hi {
        let mid = (lo + hi) / 2;
        match mint(mid) {
            Ok(t) if t.len() <= len => lo = mid,
            _ => hi = mid,
        }
    }
    mint(lo).ok().filter(|t| t.len() == len)
}

/// 64 KiB +- 1: a token of 65,535 or 65,536 characters parses (the default limit is 65,536);
/// one of 65,537 is refused before any decoding, and `mint` never makes one.
#[test]
fn tokens_of_64_kib_plus_minus_one() {
    assert_eq!(Limits::default().max_token_len, 65_536);
    for len in [65_535, 65_536] {
        let text = token_of_length(len).expect("a caveat length gives this token length");
        let token = UnverifiedToken::parse(&text).map(|_| ()).map_err(|e| e.to_string());
        assert_eq!(token, Ok(()), "{len}");
    }
    let mut text = token_of_length(65_536).unwrap();
    text.push('A');
    let err = UnverifiedToken::parse(&text).map(|_| ()).unwrap_err();
    assert_eq!(
        err,
        TokenError::Malformed(macaroon::Error::LimitExceeded {
            limit: Limit::TokenLength,
            max: 65_536,
            found: 65_537
        })
    );
    // One byte more of caveat than the 65,536-character token: minting refuses.
    let id = TokenIdentifier::parse("2/nmd/usr-a/act/t").unwrap();
    let too_long = (1..8).find_map(|extra| {
        let n = token_caveat_len(65_536)? + extra;
        let caveat = Caveat::parse(&format!("consumer = usr-{}", "a".repeat(n))).ok()?;
        mint_as(&Secret::new(&b"s"[..]), "oz", &id, &[caveat], Format::V1, Encoding::Base64Url)
            .err()
    });
    assert!(
        matches!(too_long, Some(TokenError::ExceedsLimit { limit: Limit::TokenLength, .. })),
        "{too_long:?}"
    );
}

/// The caveat id length (after `consumer = usr-`) of [`token_of_length`]'s token.
fn token_caveat_len(len: usize) -> Option<usize> {
    let text = token_of_length(len)?;
    let token = UnverifiedToken::parse(&text).ok()?;
    Some(token.macaroon().caveats().first()?.id().len() - "consumer = usr-".len())
}

/// Time caveats Onezone never writes: a sign, leading zeros, double spaces, NUL. Refused by the
/// parser, so never satisfied in a token.
#[test]
fn odd_time_caveats_are_refused() {
    for text in [
        "time < +1900000000",
        "time < -1",
        "time < 01900000000",
        "time < 00",
        "time  < 1900000000",
        "time <  1900000000",
        "time < 1900000000 ",
        " time < 1900000000",
        "time < 1900000000\0",
        "time\0< 1900000000",
        "time < \x001900000000",
        "time < 18446744073709551616",
        "time < 1_900_000_000",
        "time < ",
        "time <",
    ] {
        assert!(Caveat::parse(text).is_err(), "{text:?}");
    }
    for ok in ["time < 0", "time < 1900000000", "time < 18446744073709551615"] {
        assert_eq!(Caveat::parse(ok).unwrap().to_string(), ok);
    }
}
