//! Issuing named and temporary tokens: what Onezone checks first, so that no token issued is
//! one the verifier refuses.

use onezone_tokens::macaroon::Secret;
use onezone_tokens::onezone_error::Refusal;
use onezone_tokens::token::{
    Caveat, CaveatContext, IssueError, MemorySecrets, Subject, TokenError, TokenIdentifier,
    TokenType, UnverifiedToken, Verifier, issue_named_token, issue_temporary_token, mint,
};
use serde_json::json;

const NOW: u64 = 1_800_000_000;
const MAX_TTL: u64 = 604_800;

fn alice() -> Subject {
    Subject::User("alice".into())
}

fn access() -> TokenType {
    TokenType::Access { session: None }
}

/// `mint` no longer makes a temporary token without a time caveat, which every verifier
/// refuses. Failed on main: `2/tmp-1/usr-alice/act/t1` minted without one.
#[test]
fn mint_refuses_a_temporary_token_without_a_time_caveat() {
    let id = TokenIdentifier::parse("2/tmp-1/usr-alice/act/t1").unwrap();
    let secret = Secret::new(&b"s"[..]);
    let err = mint(&secret, "oz", &id, &["interface = rest".parse().unwrap()]).unwrap_err();
    assert_eq!(err, TokenError::TimeCaveatRequired);
    assert_eq!(err.code(), "tokenTimeCaveatRequired");
    mint(&secret, "oz", &id, &[Caveat::Time { valid_until: NOW + 60 }]).unwrap();
}

#[test]
fn temporary_tokens_need_a_time_caveat_within_the_maximum() {
    let shared = Secret::new(&b"alice's shared secret"[..]);
    let issue = |caveats: &[Caveat]| {
        issue_temporary_token(
            "oz.example.org",
            alice(),
            access(),
            caveats,
            &shared,
            4,
            NOW,
            MAX_TTL,
            &mut rand::rng(),
        )
    };
    // ctool errors_tests' ?ERROR_TOKEN_TIME_CAVEAT_REQUIRED(MaxTtl) shape, with this maximum.
    for caveats in [
        vec![],
        vec!["ip = 10.0.0.0/8".parse().unwrap()],
        vec![Caveat::Time { valid_until: NOW + MAX_TTL + 1 }],
        vec![Caveat::Time { valid_until: NOW }],
    ] {
        let err = issue(&caveats).unwrap_err();
        assert_eq!(err, IssueError::TimeCaveatRequired { max_ttl: MAX_TTL }, "{caveats:?}");
        let onezone = err.onezone_2002();
        assert_eq!((onezone.id(), onezone.status()), ("tokenTimeCaveatRequired", 400));
        assert_eq!(onezone.details(), Some(&json!({"maxTtl": MAX_TTL})));
    }
    // The earliest time caveat counts: a later one beside it does not help or hurt.
    let caveats = [
        Caveat::Time { valid_until: NOW + MAX_TTL },
        Caveat::Time { valid_until: NOW + 10 * MAX_TTL },
    ];
    let issued = issue(&caveats).unwrap();
    let v2 = issued.identifier.as_v2().unwrap();
    assert_eq!(v2.subject, alice());
    assert_eq!(v2.id.len(), 32);
    assert!(v2.id.bytes().all(|b| b.is_ascii_hexdigit()));
    let mut secrets = MemorySecrets::new();
    secrets.insert_temporary(&alice(), Secret::new(&b"alice's shared secret"[..]), 4);
    let token = UnverifiedToken::parse(&issued.token).unwrap();
    let verified = Verifier::new(&secrets)
        .with_max_temporary_ttl(MAX_TTL)
        .verify(&token, &CaveatContext::at(NOW))
        .unwrap();
    assert_eq!(verified.valid_until(), Some(NOW + MAX_TTL));
}

#[test]
fn named_tokens_of_every_type() {
    let mut secrets = MemorySecrets::new();
    for token_type in [
        access(),
        TokenType::Identity,
        TokenType::Invite {
            kind: onezone_tokens::token::InviteKind::UserJoinGroup,
            target: "g1".into(),
            params: String::new(),
        },
    ] {
        let mut stored = None;
        let issued = issue_named_token(
            "oz.example.org",
            alice(),
            token_type.clone(),
            &[Caveat::Time { valid_until: NOW + 60 }],
            |id| {
                stored = Some(id.to_owned());
                Secret::new(format!("secret of {id}").into_bytes())
            },
            &mut rand::rng(),
        )
        .unwrap();
        let id = stored.unwrap();
        assert_eq!(issued.identifier.id(), id);
        assert_eq!(issued.identifier.as_v2().unwrap().token_type, token_type);
        secrets.insert_named(id.clone(), Secret::new(format!("secret of {id}").into_bytes()));
        let token = UnverifiedToken::parse(&issued.token).unwrap();
        Verifier::new(&secrets).verify(&token, &CaveatContext::at(NOW)).unwrap();
    }
    // Groups and nobody get no version 2 token (ctool `tokens.erl` `construct/3`).
    for subject in [Subject::Group("g1".into()), Subject::Nobody] {
        let err = issue_named_token(
            "oz",
            subject,
            access(),
            &[],
            |_| Secret::new(&b"s"[..]),
            &mut rand::rng(),
        )
        .unwrap_err();
        assert_eq!(err, IssueError::SubjectInvalid);
        assert_eq!(err.onezone_2002().id(), "tokenSubjectInvalid");
    }
    // A caveat the type refuses: the token's error.
    let err = issue_named_token(
        "oz",
        alice(),
        TokenType::Identity,
        &[Caveat::DataReadonly],
        |_| Secret::new(&b"s"[..]),
        &mut rand::rng(),
    )
    .unwrap_err();
    assert!(matches!(err, IssueError::Token(TokenError::CaveatNotAllowed { .. })), "{err:?}");
}

/// What a person and a 17.06 client read of a refusal to issue, and the cause kept for
/// `source()` (cargo mutants found these answers untested).
#[test]
fn issue_errors_read_for_people_in_both_shapes() {
    use onezone_tokens::onezone_error::{ErrorShape, error_response};
    use std::error::Error as _;

    let err = IssueError::TimeCaveatRequired { max_ttl: 60 };
    assert_eq!(
        err.to_string(),
        "a temporary token needs a time caveat with a lifetime of at most 60 s"
    );
    assert_eq!(
        error_response(&err, ErrorShape::Onezone1706),
        (
            400,
            json!({"error": "Invalid request: a temporary token needs a time caveat with a lifetime of at most 60 s"})
        )
    );
    assert_eq!(
        IssueError::SubjectInvalid.onezone_1706(),
        (400, "Invalid request: tokens are issued for users and Oneproviders only".to_owned())
    );
    assert!(err.source().is_none());
    let wrapped = IssueError::Token(TokenError::TimeCaveatRequired);
    assert_eq!(wrapped.to_string(), TokenError::TimeCaveatRequired.to_string());
    let source = wrapped.source().and_then(|s| s.downcast_ref::<TokenError>());
    assert_eq!(source, Some(&TokenError::TimeCaveatRequired));
}
