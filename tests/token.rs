//! The Onezone token layer: Onezone's own vectors, the secret sources, revocation and
//! generations, which caveats each token type accepts, and verification in a context.

use onezone_tokens::macaroon::{Encoding, Format, Macaroon, RootKey, Secret};
use onezone_tokens::token::{
    ApiCall, Caveat, CaveatContext, CaveatFailure, CrudOperation, DerivedSecrets, Gri,
    IdentifierV2, Interface, InviteKind, MemorySecrets, Persistence, Subject, TokenCaveat,
    TokenError, TokenIdentifier, TokenType, UnverifiedToken, Verifier, mint, mint_as,
};
use onezone_tokens::token::{Consumer, ServiceKind};
use proptest::prelude::*;
use serde_json::Value;

fn vectors() -> Value {
    serde_json::from_str(include_str!("vectors/macaroons.json")).unwrap()
}

fn ctx(now: u64) -> CaveatContext {
    CaveatContext { now, ..Default::default() }
}

fn secret(s: &str) -> Secret {
    Secret::new(s.as_bytes())
}

fn named_invite(token_id: &str) -> TokenIdentifier {
    TokenIdentifier::parse(&format!("2/nmd/usr-alice/ujg:group1:/{token_id}")).unwrap()
}

#[test]
fn onezone_vectors_mint_byte_for_byte_verify_and_inspect() {
    let all = vectors();
    let onezone: Vec<&Value> =
        all["v1"].as_array().unwrap().iter().filter(|v| v["format"] == "v1+escape62").collect();
    assert_eq!(onezone.len(), 2, "the user- and group-joins-group vectors");
    for (v, kind) in
        onezone.into_iter().zip([InviteKind::UserJoinGroup, InviteKind::GroupJoinGroup])
    {
        let id = TokenIdentifier::parse(v["identifier"].as_str().unwrap()).unwrap();
        let text =
            mint(&secret(v["secret"].as_str().unwrap()), "domain.example.com", &id, &[]).unwrap();
        assert_eq!(text, v["token"].as_str().unwrap());

        let token = UnverifiedToken::parse(&text).unwrap();
        assert!(token.escaped());
        assert_eq!(token.format(), Format::V1);
        let v2 = token.identifier().into_v2().unwrap();
        assert_eq!(v2.persistence, Persistence::Named);
        assert_eq!(v2.subject, Subject::User("invitation-sender"));
        assert_eq!(v2.token_type, TokenType::Invite { kind, target: "GroupId", params: "" });
        assert_eq!(v2.id, "1234567890example-id1234567890e");
        // A clone (as each verified token keeps) reads the same.
        let copy = token.clone();
        assert_eq!((copy.escaped(), copy.format()), (true, Format::V1));
        assert_eq!((copy.identifier(), copy.macaroon()), (token.identifier(), token.macaroon()));

        let mut secrets = MemorySecrets::new();
        secrets.insert_named(v2.id, secret(v["secret"].as_str().unwrap()));
        let verified = Verifier::new(&secrets).verify(&token, &ctx(0)).unwrap();
        assert_eq!(verified.identifier(), token.identifier());
        assert_eq!(verified.location(), Some("domain.example.com"));
        assert_eq!(verified.valid_until(), None);

        // `Debug` shows the identifier it lends (not where its fields lie), never the signature.
        let bytes = *token.macaroon().signature().as_bytes();
        let decimal = bytes[..8].iter().map(u8::to_string).collect::<Vec<_>>().join(", ");
        let hex: String = bytes[..8].iter().map(|b| format!("{b:02x}")).collect();
        for shown in [format!("{token:?}"), format!("{verified:?}")] {
            assert!(shown.contains(r#"User("invitation-sender")"#), "{shown}");
            assert!(shown.contains(r#"id: "1234567890example-id1234567890e""#), "{shown}");
            assert!(!shown.contains(&decimal) && !shown.contains(&hex), "{shown}");
        }
    }
}

#[test]
fn the_seed_example_is_a_legacy_identifier() {
    let all = vectors();
    let token = UnverifiedToken::parse(all["seed_examples"]["repaired"].as_str().unwrap()).unwrap();
    assert!(matches!(token.identifier(), TokenIdentifier::Legacy(_)));
    assert_eq!(token.caveats(), vec![TokenCaveat::Known(Caveat::Time { valid_until: 1496140144 })]);
    // Its key is unknown: without a secret it is simply an unknown token.
    let none = MemorySecrets::new();
    assert_eq!(Verifier::new(&none).verify(&token, &ctx(0)), Err(TokenError::UnknownToken));
}

#[test]
fn expiry_is_exclusive_and_explained() {
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("t1", secret("s"));
    let text =
        mint(&secret("s"), "oz", &named_invite("t1"), &[Caveat::Time { valid_until: 1496140144 }])
            .unwrap();
    let token = UnverifiedToken::parse(&text).unwrap();
    let v = Verifier::new(&secrets);
    assert!(v.verify(&token, &ctx(1496140143)).is_ok());
    let err = v.verify(&token, &ctx(1496140144)).unwrap_err();
    assert!(
        matches!(&err, TokenError::CaveatFailed { failure: CaveatFailure::Expired { .. }, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("expired at 2017-05-30T10:29:04Z"), "{err}");
}

#[test]
fn invite_tokens_accept_only_the_invite_caveats() {
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("t1", secret("s"));
    let key = secret("s");
    for (caveat, allowed) in [
        ("time < 2000000000", true),
        ("ip = 10.0.0.0/8", true),
        ("asn = 112", true),
        ("geo.country = DE|PT", true),
        ("geo.region != Africa", true),
        ("consumer = usr-*", true),
        ("interface = rest", false),
        ("service = ozw-onezone", false),
        ("data.readonly", false),
        ("authorization = none", false),
    ] {
        let c = Caveat::parse(caveat).unwrap();
        let text = if allowed {
            mint(&key, "oz", &named_invite("t1"), &[c]).unwrap()
        } else {
            // `mint` refuses them; another minter may not.
            assert!(matches!(
                mint(&key, "oz", &named_invite("t1"), &[c]),
                Err(TokenError::CaveatNotAllowed { .. })
            ));
            let key = RootKey::derive(b"s");
            let mut m = Macaroon::new(&key, named_invite("t1").to_string().into_bytes())
                .with_location(&b"oz"[..]);
            m.add_first_party_caveat(caveat.as_bytes());
            m.serialize(Format::V1, Encoding::Escaped).unwrap()
        };
        let token = UnverifiedToken::parse(&text).unwrap();
        let result = Verifier::new(&secrets).verify(&token, &ctx(1));
        if allowed {
            // Allowed kinds get as far as evaluation (context is missing for most of them).
            assert!(!matches!(result, Err(TokenError::CaveatNotAllowed { .. })), "{caveat}");
        } else {
            let err = result.unwrap_err();
            assert_eq!(
                err,
                TokenError::CaveatNotAllowed { caveat: caveat.into(), token_type: "invite" }
            );
            assert!(err.to_string().contains(caveat));
        }
    }
}

#[test]
fn unknown_caveats_never_pass_and_are_named() {
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("t1", secret("s"));
    let key = RootKey::derive(b"s");
    let mut m = Macaroon::new(&key, named_invite("t1").to_string().into_bytes());
    m.add_first_party_caveat(&b"favourite colour = blue"[..]);
    let token =
        UnverifiedToken::parse(&m.serialize(Format::V1, Encoding::Escaped).unwrap()).unwrap();
    let err = Verifier::new(&secrets).verify(&token, &ctx(0)).unwrap_err();
    assert!(
        matches!(&err, TokenError::UnknownCaveat { caveat, .. } if caveat == "favourite colour = blue")
    );
}

/// The token layer reads the typed caveats in the walk that checks the signature: the first
/// caveat that is refused, unknown or not allowed, is the one reported, whatever comes after
/// it, and only once the signature is found authentic.
#[test]
fn the_first_refused_caveat_is_reported_in_token_order() {
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("t1", secret("s"));
    secrets.set_subject("t1", Subject::User("someone-else".into()));
    let token_with = |key: &[u8], caveats: &[&str]| {
        let mut m =
            Macaroon::new(&RootKey::derive(key), named_invite("t1").to_string().into_bytes());
        for c in caveats {
            m.add_first_party_caveat(c.as_bytes());
        }
        UnverifiedToken::parse(&m.serialize(Format::V1, Encoding::Escaped).unwrap()).unwrap()
    };
    let (unknown, not_allowed) = ("favourite colour = blue", "interface = rest");
    let verify = |token: &UnverifiedToken| Verifier::new(&secrets).verify(token, &ctx(0));
    // Forged: nothing about the caveats is said.
    assert_eq!(verify(&token_with(b"x", &[unknown])), Err(TokenError::InvalidSignature));
    // Authentic, but the record names another subject: that comes before the caveats.
    assert_eq!(verify(&token_with(b"s", &[unknown])), Err(TokenError::SubjectInvalid));
    secrets.set_subject("t1", Subject::User("alice".into()));
    let verify = |token: &UnverifiedToken| Verifier::new(&secrets).verify(token, &ctx(0));
    let err = verify(&token_with(b"s", &["time < 2000000000", not_allowed, unknown])).unwrap_err();
    assert_eq!(
        err,
        TokenError::CaveatNotAllowed { caveat: not_allowed.into(), token_type: "invite" }
    );
    let err = verify(&token_with(b"s", &["time < 2000000000", unknown, not_allowed])).unwrap_err();
    assert!(
        matches!(&err, TokenError::UnknownCaveat { caveat, .. } if caveat == unknown),
        "{err:?}"
    );
    // Known and allowed, but failing: reported as written.
    let failing = token_with(b"s", &["time < 2000000000", "time < 5"]);
    let err = Verifier::new(&secrets).verify(&failing, &ctx(10)).unwrap_err();
    assert!(
        matches!(&err, TokenError::CaveatFailed { caveat, .. } if caveat == "time < 5"),
        "{err:?}"
    );
}

#[test]
fn signature_errors_come_before_anything_else() {
    // A token with an expired caveat and a forged signature says only "invalid signature".
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("t1", secret("right"));
    let text =
        mint(&secret("wrong"), "oz", &named_invite("t1"), &[Caveat::Time { valid_until: 1 }])
            .unwrap();
    let token = UnverifiedToken::parse(&text).unwrap();
    assert_eq!(Verifier::new(&secrets).verify(&token, &ctx(10)), Err(TokenError::InvalidSignature));
}

#[test]
fn named_tokens_can_be_revoked() {
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("t1", secret("s"));
    let token =
        UnverifiedToken::parse(&mint(&secret("s"), "oz", &named_invite("t1"), &[]).unwrap())
            .unwrap();
    assert!(Verifier::new(&secrets).verify(&token, &ctx(0)).is_ok());
    secrets.revoke("t1");
    assert_eq!(Verifier::new(&secrets).verify(&token, &ctx(0)), Err(TokenError::Revoked));
}

#[test]
fn temporary_tokens_follow_generations_and_the_ttl() {
    let alice = Subject::User("alice".into());
    let mut secrets = MemorySecrets::new();
    secrets.insert_temporary(&alice, secret("alice-tmp"), 3);
    let id = |generation| {
        TokenIdentifier::V2(
            IdentifierV2::new(
                Persistence::Temporary { generation },
                alice.clone(),
                TokenType::Access { session: None },
                "tmp1",
            )
            .unwrap(),
        )
    };
    let now = 1_000_000;
    let week = 604_800;
    let tok = |generation, caveats: &[Caveat]| {
        UnverifiedToken::parse(&mint(&secret("alice-tmp"), "oz", &id(generation), caveats).unwrap())
            .unwrap()
    };
    let v = Verifier::new(&secrets);
    let fine = [Caveat::Time { valid_until: now + week }];
    assert!(v.verify(&tok(3, &fine), &ctx(now)).is_ok());
    assert_eq!(v.verify(&tok(2, &fine), &ctx(now)), Err(TokenError::Revoked));
    assert_eq!(
        v.verify(&tok(4, &fine), &ctx(now)),
        Err(TokenError::FutureGeneration { token: 4, current: 3 })
    );
    // `mint` refuses a temporary token without a time caveat; another minter may not.
    assert_eq!(mint(&secret("alice-tmp"), "oz", &id(3), &[]), Err(TokenError::TimeCaveatRequired));
    let bare = Macaroon::new(&RootKey::derive(b"alice-tmp"), id(3).to_string().into_bytes())
        .serialize(Format::V1, Encoding::Escaped)
        .unwrap();
    assert_eq!(
        v.verify(&UnverifiedToken::parse(&bare).unwrap(), &ctx(now)),
        Err(TokenError::TemporaryLifetime { max_valid_until: now + week, valid_until: None })
    );
    let too_long = [Caveat::Time { valid_until: now + week + 1 }];
    assert!(matches!(
        v.verify(&tok(3, &too_long), &ctx(now)),
        Err(TokenError::TemporaryLifetime { .. })
    ));
    // Two time caveats: the earliest counts.
    let both =
        [Caveat::Time { valid_until: now + 10 * week }, Caveat::Time { valid_until: now + 60 }];
    assert!(v.verify(&tok(3, &both), &ctx(now)).is_ok());
    assert!(
        Verifier::new(&secrets)
            .with_max_temporary_ttl(30)
            .verify(&tok(3, &both), &ctx(now))
            .is_err()
    );

    secrets.revoke_all_temporary(&alice);
    assert_eq!(Verifier::new(&secrets).verify(&tok(3, &fine), &ctx(now)), Err(TokenError::Revoked));
}

#[test]
fn derived_secrets_need_no_storage() {
    let derived = DerivedSecrets::new(&secret("master"));
    let text = mint(&derived.named("t9"), "oz", &named_invite("t9"), &[]).unwrap();
    let token = UnverifiedToken::parse(&text).unwrap();
    assert!(Verifier::new(&derived).verify(&token, &ctx(0)).is_ok());
    // Another master secret knows nothing of it.
    let other = DerivedSecrets::new(&secret("other master"));
    assert_eq!(Verifier::new(&other).verify(&token, &ctx(0)), Err(TokenError::InvalidSignature));
    // Per-token secrets are independent.
    assert_ne!(derived.named("t9"), derived.named("t10"));
}

#[test]
fn consumer_context_is_required_and_matched() {
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("t1", secret("s"));
    let c = Caveat::parse("consumer = usr-carol").unwrap();
    let token =
        UnverifiedToken::parse(&mint(&secret("s"), "oz", &named_invite("t1"), &[c]).unwrap())
            .unwrap();
    let v = Verifier::new(&secrets);
    let missing = v.verify(&token, &ctx(0)).unwrap_err();
    assert!(matches!(missing, TokenError::CaveatFailed { .. }), "{missing:?}");
    let carol =
        CaveatContext { consumer: Some("usr-carol".parse::<Consumer>().unwrap()), ..ctx(0) };
    assert!(v.verify(&token, &carol).is_ok());
    let bob = CaveatContext { consumer: Some("usr-bob".parse::<Consumer>().unwrap()), ..ctx(0) };
    let err = v.verify(&token, &bob).unwrap_err();
    assert!(err.to_string().contains("usr-bob"), "{err}");
}

#[test]
fn caveat_order_is_kept_byte_for_byte_in_every_format() {
    let caveats: Vec<Caveat> =
        ["consumer = usr-a|grp-*", "time < 1900000000", "ip = 10.0.0.0/8", "asn = 3"]
            .iter()
            .map(|c| Caveat::parse(c).unwrap())
            .collect();
    for (format, encoding) in [
        (Format::V1, Encoding::Escaped),
        (Format::V1, Encoding::Base64Url),
        (Format::V2, Encoding::Base64Url),
        (Format::V2Json, Encoding::Base64Url),
    ] {
        let text =
            mint_as(&secret("s"), "oz", &named_invite("t1"), &caveats, format, encoding).unwrap();
        let m = Macaroon::deserialize(&text).unwrap();
        let got: Vec<String> =
            m.caveats().iter().map(|c| String::from_utf8(c.id().to_vec()).unwrap()).collect();
        let want: Vec<String> = caveats.iter().map(ToString::to_string).collect();
        assert_eq!(got, want);
        assert_eq!(UnverifiedToken::parse(&text).unwrap().format(), format);
    }
}

fn arb_caveat() -> impl Strategy<Value = Caveat> {
    prop_oneof![
        (0u64..3_000_000_000).prop_map(|valid_until| Caveat::Time { valid_until }),
        (0u8..=32).prop_map(|p| Caveat::parse(&format!("ip = 10.1.2.3/{p}")).unwrap()),
        (1u32..100_000).prop_map(|a| Caveat::parse(&format!("asn = {a}")).unwrap()),
        prop::sample::select(vec!["DE", "PT", "PL", "FR"])
            .prop_map(|c| Caveat::parse(&format!("geo.country != {c}")).unwrap()),
        prop::sample::select(vec!["usr-carol", "usr-*", "grp-g1", "usr-bob|usr-carol"])
            .prop_map(|c| Caveat::parse(&format!("consumer = {c}")).unwrap()),
    ]
}

fn arb_ctx() -> impl Strategy<Value = CaveatContext> {
    (
        0u64..3_000_000_000,
        prop::option::of(any::<[u8; 4]>()),
        prop::option::of(1u32..100_000),
        prop::option::of(prop::sample::select(vec!["DE", "PT", "US"])),
        prop::option::of(prop::sample::select(vec!["usr-carol", "usr-bob"])),
    )
        .prop_map(|(now, ip, asn, country, consumer)| CaveatContext {
            now,
            ip: ip.map(std::net::IpAddr::from),
            asn,
            country: country.map(str::to_owned),
            consumer: consumer.map(|c| c.parse().unwrap()),
            ..Default::default()
        })
}

proptest! {
    /// Attenuating a token with any caveat never makes a failing verification pass, and a
    /// passing one keeps passing only if the new caveat holds.
    #[test]
    fn attenuation_only_narrows(
        base in prop::collection::vec(arb_caveat(), 0..4),
        extra in arb_caveat(),
        context in arb_ctx(),
    ) {
        let mut secrets = MemorySecrets::new();
        secrets.insert_named("t1", secret("s"));
        let text = mint(&secret("s"), "oz", &named_invite("t1"), &base).unwrap();
        let before = Verifier::new(&secrets).verify(&UnverifiedToken::parse(&text).unwrap(), &context);

        let mut held = Macaroon::deserialize(&text).unwrap();
        held.add_first_party_caveat(extra.to_string().into_bytes());
        let narrowed = held.serialize(Format::V1, Encoding::Escaped).unwrap();
        let after = Verifier::new(&secrets).verify(&UnverifiedToken::parse(&narrowed).unwrap(), &context);

        if before.is_err() {
            prop_assert!(after.is_err());
        }
        prop_assert_eq!(after.is_ok(), before.is_ok() && extra.check(&context).is_ok());
    }
}

/// Minting never produces a token the readers refuse, and says which limit or caveat is the
/// problem. Failed on main: 300 caveats, a 5,000-entry ip list and `data.readonly` in an invite
/// token all minted tokens that never parse or verify.
#[test]
fn mint_refuses_what_no_reader_would_accept() {
    let s = secret("s");
    let id = named_invite("t");
    let time = Caveat::Time { valid_until: 1_900_000_000 };
    // At the caveat count limit the token parses; over it, minting refuses.
    let at_limit = mint(&s, "oz", &id, &vec![time.clone(); 256]).unwrap();
    assert_eq!(UnverifiedToken::parse(&at_limit).unwrap().macaroon().caveats().len(), 256);
    let err = mint(&s, "oz", &id, &vec![time.clone(); 300]).unwrap_err();
    assert_eq!(
        err,
        TokenError::ExceedsLimit {
            limit: onezone_tokens::macaroon::Limit::CaveatCount,
            max: 256,
            found: 300
        }
    );
    assert_eq!(
        err.to_string(),
        "the token would exceed the caveat count limit: 300 caveats, more than the maximum of 256"
    );
    // A 5,000-entry ip list is one caveat too long for a field.
    let list: Vec<String> = (0..5000).map(|i| format!("10.{}.{}.0/24", i / 256, i % 256)).collect();
    let ip = Caveat::parse(&format!("ip = {}", list.join("|"))).unwrap();
    let err = mint(&s, "oz", &id, &[ip]).unwrap_err();
    assert!(matches!(err, TokenError::ExceedsLimit { .. }), "{err:?}");
    assert!(err.to_string().contains("field length limit"), "{err}");
    // 4,900 short entries fit a field, but the token text would be too long.
    let list: Vec<String> = (0..4900).map(|i| format!("10.{}.{}.1", i / 256, i % 256)).collect();
    let ip = Caveat::parse(&format!("ip = {}", list.join("|"))).unwrap();
    let message = mint(&s, "oz", &id, &[ip]).map(|t| t.len()).unwrap_err().to_string();
    assert!(message.contains("token length limit"), "{message}");

    // Caveats the identifier's type refuses: invites take only the invite ones.
    for (identifier, token_type) in
        [("2/nmd/usr-a/ujg:g:/t", "invite"), ("2/tmp-3/usr-a/gjg:g:/t", "invite")]
    {
        let id = TokenIdentifier::parse(identifier).unwrap();
        let err = mint(&s, "oz", &id, &[time.clone(), Caveat::DataReadonly]).unwrap_err();
        assert_eq!(
            err,
            TokenError::CaveatNotAllowed { caveat: "data.readonly".into(), token_type },
            "{identifier}"
        );
    }
    // A legacy identifier is a named access token (ctool release/20.02.20 `src/auth/tokens.erl`
    // `from_identifier(1, ..)`): the access-token caveats, `interface` and `api` among them.
    let id = TokenIdentifier::parse("legacyid").unwrap();
    let rest = Caveat::parse("interface = rest").unwrap();
    let api = Caveat::parse("api = ozw/get/user.*.*:*").unwrap();
    let text = mint(&s, "oz", &id, &[time.clone(), rest, api]).unwrap();
    let mut secrets = MemorySecrets::new();
    secrets.insert_legacy("legacyid", Secret::new(&b"s"[..]));
    let token = UnverifiedToken::parse(&text).unwrap();
    let ctx = CaveatContext {
        now: 1,
        interface: Some(Interface::Rest),
        api_call: Some(ApiCall {
            service: ServiceKind::OzWorker,
            operation: CrudOperation::Get,
            gri: Gri {
                entity_type: "user".into(),
                entity_id: "u1".into(),
                aspect: "instance".into(),
                scope: "private".into(),
            },
        }),
        ..CaveatContext::default()
    };
    Verifier::new(&secrets).verify(&token, &ctx).unwrap();
    let id = TokenIdentifier::parse("2/nmd/usr-a/act/t").unwrap();
    let text = mint(&s, "oz", &id, &[time.clone(), Caveat::DataReadonly]).unwrap();
    UnverifiedToken::parse(&text).unwrap();
    // An identity token takes the identity caveats only: no data, service or api caveat.
    let id = TokenIdentifier::parse("2/tmp-1/usr-a/idn/t").unwrap();
    let err = mint(&s, "oz", &id, &[time.clone(), Caveat::DataReadonly]).unwrap_err();
    assert_eq!(
        err,
        TokenError::CaveatNotAllowed { caveat: "data.readonly".into(), token_type: "identity" }
    );
}

/// One caveat of every kind, in string form.
const ONE_OF_EACH: [&str; 13] = [
    "time < 2000000000",
    "ip = 10.0.0.0/8",
    "asn = 112",
    "geo.country = DE|PT",
    "geo.region != Africa",
    "consumer = usr-*",
    "service = ozw-onezone",
    "interface = rest",
    "api = ozw/get/user.*.*:*",
    "data.readonly",
    "data.path = L3NwYWNlMQ==",
    "data.objectid = 39592d594e",
    "authorization = none",
];

/// Each kind of token accepts exactly the caveats of ctool release/20.02.20
/// `src/auth/tokens.erl` `DEFAULT_SUPPORTED_{ACCESS,IDENTITY,INVITE}_TOKEN_CAVEATS` (and an
/// access token proving identity only, `authorization = none` plus the identity ones): `mint`
/// refuses the others and so does the verifier, for tokens minted elsewhere.
#[test]
fn every_kind_of_token_accepts_exactly_onezones_caveats() {
    let access = &ONE_OF_EACH[..12];
    let identity = [0, 1, 2, 3, 4, 5, 7].map(|i| ONE_OF_EACH[i]);
    let invite = &ONE_OF_EACH[..6];
    let mut scoped = identity.to_vec();
    scoped.push("authorization = none");
    for (identifier, kind, identity_only, accepted) in [
        ("2/nmd/usr-a/act/t1", "access", false, access.to_vec()),
        ("legacy1", "access", false, access.to_vec()),
        ("2/nmd/usr-a/act/t1", "access", true, scoped.clone()),
        ("legacy1", "access", true, scoped),
        ("2/nmd/usr-a/idn/t1", "identity", false, identity.to_vec()),
        ("2/nmd/usr-a/idn/t1", "identity", true, identity.to_vec()),
        ("2/nmd/usr-a/ujg:g1:/t1", "invite", false, invite.to_vec()),
        ("2/nmd/usr-a/uji:inv1:/t1", "invite", false, invite.to_vec()),
        ("2/nmd/usr-a/gji:inv1:/t1", "invite", true, invite.to_vec()),
    ] {
        let mut secrets = MemorySecrets::new();
        secrets.insert_named("t1", secret("s"));
        secrets.insert_legacy("legacy1", secret("s"));
        let id = TokenIdentifier::parse(identifier).unwrap();
        let ctx = CaveatContext { now: 1, identity_only, ..CaveatContext::default() };
        for caveat in ONE_OF_EACH {
            let c = Caveat::parse(caveat).unwrap();
            let minted = mint(&secret("s"), "oz", &id, std::slice::from_ref(&c));
            let mints = minted.is_ok();
            let key = RootKey::derive(b"s");
            let mut m =
                Macaroon::new(&key, identifier.as_bytes().to_vec()).with_location(&b"oz"[..]);
            m.add_first_party_caveat(caveat.as_bytes());
            let text = m.serialize(Format::V1, Encoding::Escaped).unwrap();
            let result =
                Verifier::new(&secrets).verify(&UnverifiedToken::parse(&text).unwrap(), &ctx);
            if accepted.contains(&caveat) {
                assert!(mints, "{identifier} {caveat}");
                assert!(
                    !matches!(result, Err(TokenError::CaveatNotAllowed { .. })),
                    "{identifier} {caveat} {identity_only}: {result:?}"
                );
            } else {
                let refused =
                    TokenError::CaveatNotAllowed { caveat: caveat.into(), token_type: kind };
                assert_eq!(result.unwrap_err(), refused, "{identifier} {identity_only}");
                // What some context accepts, `mint` lets through (an access token takes every
                // caveat in one context or the other); nothing else.
                assert_eq!(mints, kind == "access", "{identifier} {caveat}: {minted:?}");
            }
        }
    }
}

/// Onezone's REST interface refuses data access caveats (oz-worker 20.02.20 leaves
/// `data_access_caveats_policy` at ctool's `disallow_data_access_caveats`), whatever the data
/// access; on other interfaces they are checked against the access.
#[test]
fn data_caveats_fail_on_the_rest_interface() {
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("t1", secret("s"));
    let id = TokenIdentifier::parse("2/nmd/usr-a/act/t1").unwrap();
    for caveat in ["data.readonly", "data.path = L3NwYWNlMQ==", "data.objectid = 39592d594e"] {
        let c = Caveat::parse(caveat).unwrap();
        let token = UnverifiedToken::parse(&mint(&secret("s"), "oz", &id, &[c]).unwrap()).unwrap();
        let access = CaveatContext {
            now: 1,
            read_only: Some(true),
            data_path: Some("/space1/file".into()),
            object_id: Some("39592d594e".into()),
            ..CaveatContext::default()
        };
        let oneclient = CaveatContext { interface: Some(Interface::Oneclient), ..access.clone() };
        Verifier::new(&secrets).verify(&token, &oneclient).unwrap();
        let rest = CaveatContext { interface: Some(Interface::Rest), ..access };
        let err = Verifier::new(&secrets).verify(&token, &rest).unwrap_err();
        let TokenError::CaveatFailed { caveat: failed, failure } = &err else { panic!("{err:?}") };
        assert_eq!(failed, caveat);
        assert!(matches!(
            failure,
            CaveatFailure::DataAccessNotAllowed { interface: Interface::Rest, .. }
        ));
        assert!(
            err.to_string()
                .ends_with("data access caveats are not allowed on the 'rest' interface"),
            "{err}"
        );
    }
}

/// Issue 18: `UnverifiedToken` keeps the decoded bytes and `Verifier::verify` reads them in
/// place; in every format and encoding (JSON kept as its V2 bytes), and from a parsed macaroon,
/// the token reads and verifies the same, and `macaroon()` is the token's macaroon.
#[test]
fn every_format_and_encoding_verifies_in_place() {
    let id = named_invite("tok9");
    let caveats =
        [Caveat::Time { valid_until: 1_900_000_000 }, Caveat::parse("ip = 10.0.0.0/8").unwrap()];
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("tok9", secret("s9"));
    let ctx = CaveatContext { ip: Some("10.1.2.3".parse().unwrap()), ..ctx(1_800_000_000) };
    let outside = CaveatContext { ip: Some("11.1.2.3".parse().unwrap()), ..ctx.clone() };
    for format in [Format::V1, Format::V2, Format::V2Json] {
        for encoding in [Encoding::Base64Url, Encoding::Escaped] {
            let text =
                mint_as(&secret("s9"), "onezone.example.org", &id, &caveats, format, encoding)
                    .unwrap();
            let what = format!("{format:?}/{encoding:?}: {text}");
            let token = UnverifiedToken::parse(&text).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(token.format(), format, "{what}");
            let escaped = encoding == Encoding::Escaped && format != Format::V2Json;
            assert_eq!(token.escaped(), escaped, "{what}");
            let m = Macaroon::deserialize(&text).unwrap();
            assert_eq!(token.macaroon(), m, "{what}");
            let verified = Verifier::new(&secrets).verify(&token, &ctx).expect(&what);
            assert_eq!(verified.caveats(), &caveats[..], "{what}");
            assert_eq!(verified.location(), Some("onezone.example.org"), "{what}");
            let refused = Verifier::new(&secrets).verify(&token, &outside).unwrap_err();
            assert!(matches!(refused, TokenError::CaveatFailed { .. }), "{what}: {refused}");

            let wrapped = UnverifiedToken::from_macaroon(m, format, escaped).unwrap();
            assert_eq!(wrapped.macaroon(), token.macaroon(), "{what}");
            assert_eq!(Verifier::new(&secrets).verify(&wrapped, &ctx), Ok(verified), "{what}");
        }
    }
    // A wrong secret is the opaque error, read in place too.
    let text = mint(&secret("other"), "onezone.example.org", &id, &caveats).unwrap();
    let token = UnverifiedToken::parse(&text).unwrap();
    assert_eq!(Verifier::new(&secrets).verify(&token, &ctx), Err(TokenError::InvalidSignature));
}
