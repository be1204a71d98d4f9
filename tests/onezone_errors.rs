//! Onezone's error model: every refusal of the crate as Onezone 17.06 and 20.02 answer it.
//!
//! The expected ids, statuses, details and fixed descriptions are Onezone's (ctool
//! release/20.02.20 `src/errors.erl` `to_json` / `to_http_code`; the conventions of its
//! `test/errors_tests.erl`: every description non-empty and ending with a full stop, every
//! status from 400 to 503), kept here as data.

use onezone_tokens::group::{DirectoryError, GroupId, Privilege, PrivilegeSet, UserId, Vocabulary};
use onezone_tokens::invite::{InviteError, RequestError, UsageLimit};
use onezone_tokens::macaroon::Limit;
use onezone_tokens::onezone_error::{ErrorShape, OnezoneError, Refusal, error_response};
use onezone_tokens::token::{Caveat, CaveatError, CaveatFailure, TokenError};
use serde_json::{Value, json};

fn g(id: &str) -> GroupId {
    GroupId::new(id).unwrap()
}

fn u(id: &str) -> UserId {
    UserId::new(id).unwrap()
}

/// A 20.02 answer: status, id, details (`null`: none), and the description when it is one of
/// Onezone's fixed ones.
struct Expected {
    status: u16,
    id: &'static str,
    details: Value,
    description: Option<&'static str>,
}

fn e(status: u16, id: &'static str, details: Value) -> Expected {
    Expected { status, id, details, description: None }
}

fn fixed(status: u16, id: &'static str, description: &'static str) -> Expected {
    Expected { status, id, details: Value::Null, description: Some(description) }
}

const TOKEN_INVALID: &str = "Provided token is not valid.";
const BAD_TOKEN: &str = "Provided token could not be understood by the server.";
const INTERNAL: &str = "The server has encountered an error while processing this request.";

fn check(what: &str, error: &OnezoneError, expected: &Expected) {
    assert_eq!(error.status(), expected.status, "{what}");
    assert_eq!(error.id(), expected.id, "{what}");
    assert_eq!(error.details().cloned().unwrap_or(Value::Null), expected.details, "{what}");
    if let Some(description) = expected.description {
        assert_eq!(error.description(), description, "{what}");
    }
    // ctool `errors_tests.erl`: a description, ending with a full stop; a status in 400..=503.
    assert!(!error.description().is_empty(), "{what}");
    assert!(error.description().ends_with('.'), "{what}: {}", error.description());
    assert!((400..=503).contains(&error.status()), "{what}");
    // The body: `{"error": {"id", "description"[, "details"]}}`.
    let mut object = json!({ "id": expected.id, "description": error.description() });
    if !expected.details.is_null() {
        object["details"] = expected.details.clone();
    }
    assert_eq!(error.to_json(), object, "{what}");
}

fn token_errors() -> Vec<(TokenError, Expected)> {
    let time = "time < 12323746234";
    vec![
        (TokenError::UnknownToken, fixed(400, "tokenInvalid", TOKEN_INVALID)),
        (TokenError::InvalidSignature, fixed(400, "tokenInvalid", TOKEN_INVALID)),
        (TokenError::ThirdPartyCaveat, fixed(400, "tokenInvalid", TOKEN_INVALID)),
        (
            TokenError::FutureGeneration { token: 9, current: 3 },
            fixed(400, "tokenInvalid", TOKEN_INVALID),
        ),
        (
            TokenError::TemporaryLifetime { max_valid_until: 10, valid_until: None },
            fixed(400, "tokenInvalid", TOKEN_INVALID),
        ),
        (TokenError::Revoked, fixed(400, "tokenRevoked", "Provided token has been revoked.")),
        (
            TokenError::Malformed(onezone_tokens::macaroon::Error::InvalidSignature),
            fixed(400, "badToken", BAD_TOKEN),
        ),
        (
            TokenError::Identifier(
                onezone_tokens::token::TokenIdentifier::parse("2/x").unwrap_err(),
            ),
            fixed(400, "badToken", BAD_TOKEN),
        ),
        // ctool errors_tests: ?ERROR_TOKEN_CAVEAT_UNKNOWN(<<"grant = everything">>).
        (
            TokenError::UnknownCaveat {
                caveat: "grant = everything".into(),
                error: CaveatError::Unrecognized,
            },
            Expected {
                status: 400,
                id: "tokenCaveatUnknown",
                details: json!({"caveat": "grant = everything"}),
                description: Some("Unknown caveat - 'grant = everything'."),
            },
        ),
        // ctool errors_tests: ?ERROR_TOKEN_CAVEAT_UNVERIFIED(#cv_time{valid_until = 12323746234}).
        (
            TokenError::CaveatFailed {
                caveat: time.into(),
                failure: CaveatFailure::Expired {
                    valid_until: 12_323_746_234,
                    now: 12_323_746_235,
                },
            },
            e(
                400,
                "tokenCaveatUnverified",
                json!({"caveat": {"type": "time", "validUntil": 12323746234u64}}),
            ),
        ),
        (
            TokenError::CaveatNotAllowed { caveat: "data.readonly".into(), token_type: "invite" },
            e(400, "tokenCaveatUnverified", json!({"caveat": {"type": "data.readonly"}})),
        ),
        (
            TokenError::ExceedsLimit {
                limit: Limit::TokenLength,
                max: 1_048_576,
                found: 2_000_000,
            },
            Expected {
                status: 400,
                id: "tokenTooLarge",
                details: json!({"limit": 1_048_576}),
                description: Some("Provided token exceeds the allowed size (1048576 characters)."),
            },
        ),
        (
            TokenError::ExceedsLimit { limit: Limit::CaveatCount, max: 256, found: 300 },
            fixed(400, "badToken", BAD_TOKEN),
        ),
    ]
}

#[test]
fn token_errors_have_onezones_ids_and_details() {
    for (error, expected) in token_errors() {
        assert_eq!(error.code(), expected.id, "{error:?}");
        check(&format!("{error:?}"), &error.onezone_error(), &expected);
        assert_eq!(error.onezone_2002(), error.onezone_error());
        // 17.06: the invite API's 400 for a token that does not verify.
        let (status, message) = error.onezone_1706();
        assert_eq!(status, 400);
        assert!(message.starts_with("Bad value: provided \"token\" is not a valid token ("));
    }
}

/// An unknown named token and a bad signature read the same in every form a client sees; an
/// unknown caveat's words carry no advice meant for the library's caller.
#[test]
fn clients_cannot_tell_an_unknown_token_from_a_forged_one() {
    let (unknown, forged) = (TokenError::UnknownToken, TokenError::InvalidSignature);
    assert_eq!(unknown.to_string(), forged.to_string());
    assert_eq!(unknown.code(), forged.code());
    for shape in [ErrorShape::Onezone1706, ErrorShape::Onezone2002] {
        assert_eq!(error_response(&unknown, shape), error_response(&forged, shape));
        let wrapped = |e: TokenError| error_response(&InviteError::TokenRejected(e), shape);
        assert_eq!(wrapped(unknown.clone()), wrapped(forged.clone()));
    }
    let caveat = TokenError::UnknownCaveat {
        caveat: "grant = everything".into(),
        error: Caveat::parse("grant = everything").unwrap_err(),
    };
    let message = caveat.to_string();
    assert_eq!(message, "unknown caveat `grant = everything`: not a caveat Onezone recognises");
    assert!(!message.contains("raw text"), "{message}");
}

fn invite_errors() -> Vec<(InviteError, u16, Expected)> {
    let subject_not_authorized = fixed(
        400,
        "inviteTokenSubjectNotAuthorized",
        "The subject of this token is not (or no longer) authorized to issue such invitations.",
    );
    let forbidden = fixed(403, "forbidden", "You are not authorized to perform this operation.");
    let not_found = fixed(404, "notFound", "The resource could not be found.");
    let expired = Caveat::Time { valid_until: 5 };
    vec![
        (InviteError::GroupNotFound { group: Some(g("g1")) }, 404, not_found),
        (
            InviteError::NamedTokenNotFound,
            404,
            fixed(404, "notFound", "The resource could not be found."),
        ),
        (
            InviteError::Unauthenticated,
            401,
            fixed(401, "unauthorized", "You must authenticate yourself to perform this operation."),
        ),
        (InviteError::MissingPrivilege { privilege: Privilege::GroupInviteUser }, 403, forbidden),
        (
            InviteError::NotTokenSubject,
            403,
            fixed(403, "forbidden", "You are not authorized to perform this operation."),
        ),
        // 20.02's statuses where they differ from 17.06's.
        (
            InviteError::IssuerNotAuthorized { privilege: Privilege::GroupInviteUser },
            403,
            subject_not_authorized,
        ),
        (
            InviteError::IssuerCannotGrant { privileges: PrivilegeSet::admin() },
            403,
            fixed(
                400,
                "inviteTokenSubjectNotAuthorized",
                "The subject of this token is not (or no longer) authorized to issue such \
                 invitations.",
            ),
        ),
        (
            InviteError::UsageLimitReached {
                limit: UsageLimit::Limited(std::num::NonZeroU64::MIN),
            },
            400,
            fixed(
                400,
                "inviteTokenUsageLimitReached",
                "The usage limit of this invite token has been reached.",
            ),
        ),
        (
            InviteError::AlreadyMember { user: u("user1"), group: g("g1") },
            400,
            Expected {
                status: 409,
                id: "relationAlreadyExists",
                details: json!({"childType": "user", "childId": "user1", "parentType": "group", "parentId": "g1"}),
                description: Some("Bad value: user:user1 is already a member of group:g1."),
            },
        ),
        (
            InviteError::AlreadyChild { child: g("c1"), parent: g("p1") },
            400,
            e(
                409,
                "relationAlreadyExists",
                json!({"childType": "group", "childId": "c1", "parentType": "group", "parentId": "p1"}),
            ),
        ),
        (
            InviteError::InvalidToken,
            400,
            e(
                400,
                "badValueToken",
                json!({"key": "token", "tokenError": {"id": "tokenInvalid", "description": TOKEN_INVALID}}),
            ),
        ),
        (
            InviteError::TokenRejected(TokenError::Revoked),
            400,
            e(
                400,
                "badValueToken",
                json!({"key": "token", "tokenError": {"id": "tokenRevoked", "description": "Provided token has been revoked."}}),
            ),
        ),
        (
            InviteError::InvalidRequest(RequestError::Json("expected value at line 1".into())),
            400,
            fixed(400, "malformedData", "Provided data could not be understood by the server."),
        ),
        (
            InviteError::InvalidRequest(RequestError::CaveatNotAllowed(Caveat::DataReadonly)),
            400,
            e(400, "badValueCaveat", json!({"caveat": {"type": "data.readonly"}})),
        ),
        (
            InviteError::InvalidRequest(RequestError::AlreadyExpired(expired)),
            400,
            e(400, "badValueCaveat", json!({"caveat": {"type": "time", "validUntil": 5}})),
        ),
        (
            InviteError::InvalidRequest(RequestError::LifetimeTooLong {
                valid_until: 10_000,
                max_ttl: 86_400,
                max_valid_until: 9_000,
            }),
            400,
            // ctool errors_tests: ?ERROR_TOKEN_TIME_CAVEAT_REQUIRED(86400).
            Expected {
                status: 400,
                id: "tokenTimeCaveatRequired",
                details: json!({"maxTtl": 86400}),
                description: Some(
                    "You must specify a time caveat with maximum TTL of 86400 seconds.",
                ),
            },
        ),
        (
            InviteError::InvalidRequest(RequestError::NothingToUpdate),
            400,
            e(400, "missingAtLeastOneValue", json!({"keys": ["revoked"]})),
        ),
        (
            InviteError::InvalidRequest(RequestError::TokenTooLarge(TokenError::ExceedsLimit {
                limit: Limit::TokenLength,
                max: 100,
                found: 101,
            })),
            400,
            e(400, "tokenTooLarge", json!({"limit": 100})),
        ),
        (
            InviteError::Refused(DirectoryError::WouldCreateCycle {
                parent: g("a"),
                child: g("a"),
            }),
            400,
            fixed(400, "cannotAddRelationToSelf", "Cannot add relation to self."),
        ),
        (InviteError::InconsistentFacts("x"), 500, fixed(500, "internalServerError", INTERNAL)),
        (InviteError::Mint(TokenError::Revoked), 500, fixed(500, "internalServerError", INTERNAL)),
    ]
}

#[test]
fn invite_errors_have_onezones_ids_statuses_and_details() {
    for (error, status_1706, expected) in invite_errors() {
        let what = format!("{error:?}");
        check(&what, &error.onezone_2002(), &expected);
        // 17.06: today's status and message, unchanged.
        assert_eq!(error.onezone_1706(), (status_1706, error.body().error), "{what}");
        assert_eq!(error.status().code(), status_1706, "{what}");
        // One function, either body.
        assert_eq!(
            error_response(&error, ErrorShape::Onezone1706),
            (status_1706, json!({"error": error.body().error}))
        );
        assert_eq!(
            error_response(&error, ErrorShape::Onezone2002),
            (expected.status, json!({"error": error.onezone_2002().to_json()}))
        );
    }
}

/// Internal errors say nothing but `internalServerError` in the 20.02 body.
#[test]
fn internal_errors_say_nothing() {
    for error in [
        InviteError::InconsistentFacts("privileges in a missing group"),
        InviteError::Mint(TokenError::ExceedsLimit { limit: Limit::CaveatCount, max: 1, found: 2 }),
    ] {
        let (status, body) = error_response(&error, ErrorShape::Onezone2002);
        assert_eq!(status, 500);
        assert_eq!(body, json!({"error": {"id": "internalServerError", "description": INTERNAL}}));
    }
}

#[test]
fn directory_errors_have_onezones_ids() {
    let cases = [
        (DirectoryError::NoSuchGroup(g("g1")), 404, "notFound", Value::Null),
        (DirectoryError::GroupExists(g("g1")), 400, "alreadyExists", Value::Null),
        (
            DirectoryError::MissingPrivilege {
                actor: u("a"),
                group: g("g1"),
                privilege: Privilege::GroupSetPrivileges,
            },
            403,
            "forbidden",
            Value::Null,
        ),
        (
            DirectoryError::AlreadyMember { user: u("user1"), group: g("g1") },
            400,
            "relationAlreadyExists",
            json!({"childType": "user", "childId": "user1", "parentType": "group", "parentId": "g1"}),
        ),
        // ctool 20.02.20 writes these types as its record names (`od_user`), unlike the above.
        (
            DirectoryError::NotAMember { user: u("user1"), group: g("g1") },
            400,
            "relationDoesNotExist",
            json!({"childType": "od_user", "childId": "user1", "parentType": "od_group", "parentId": "g1"}),
        ),
        (
            DirectoryError::NotAChild { child: g("c"), parent: g("p") },
            400,
            "relationDoesNotExist",
            json!({"childType": "od_group", "childId": "c", "parentType": "od_group", "parentId": "p"}),
        ),
        (
            DirectoryError::WouldCreateCycle { parent: g("a"), child: g("b") },
            400,
            "cannotAddRelationToSelf",
            Value::Null,
        ),
        (DirectoryError::Cycle { group: g("a") }, 500, "internalServerError", Value::Null),
        (
            DirectoryError::TooManyGroups { group: g("g9"), max: 2 },
            400,
            "badData",
            json!({"key": "groupId", "hint": "cannot create group g9: the directory already holds the maximum of 2 groups"}),
        ),
    ];
    for (error, status_1706, id, details) in cases {
        let onezone = error.onezone_2002();
        let status = match id {
            "notFound" => 404,
            "forbidden" => 403,
            "relationAlreadyExists" | "alreadyExists" => 409,
            "internalServerError" => 500,
            _ => 400,
        };
        check(
            &format!("{error:?}"),
            &onezone,
            &Expected { status, id, details, description: None },
        );
        assert_eq!(error.onezone_1706().0, status_1706, "{error:?}");
    }
}

/// Inconsistent rows are the server's fault: 500, nothing more said.
#[test]
fn inconsistent_rows_say_nothing() {
    let rows = onezone_tokens::group::RowsError::Cycle { group: g("g1") };
    assert_eq!(
        error_response(&rows, ErrorShape::Onezone2002),
        (500, json!({"error": {"id": "internalServerError", "description": INTERNAL}}))
    );
    assert_eq!(
        error_response(&rows, ErrorShape::Onezone1706),
        (500, json!({"error": "Internal server error"}))
    );
}

/// A 17.06 name in a 20.02 list: `badValueListNotAllowed` with 20.02's names.
#[test]
fn privilege_names_outside_the_vocabulary() {
    let err = PrivilegeSet::parse_in(Vocabulary::Onezone2002, ["group_invite_user"]).unwrap_err();
    let onezone = err.onezone_error("grant", Vocabulary::Onezone2002);
    assert_eq!((onezone.id(), onezone.status()), ("badValueListNotAllowed", 400));
    let details = onezone.details().unwrap();
    assert_eq!(details["key"], "grant");
    assert_eq!(details["allowed"].as_array().unwrap().len(), 21);
    assert_eq!(details["allowed"][0], "group_add_child");
    assert!(onezone.description().starts_with(
        "Bad value: provided \"grant\" must be a list containing zero or more following values: \
         group_add_child, group_add_cluster,"
    ));
}

/// Credentials refused: `unauthorized` with the token error as `authError`.
#[test]
fn refused_credentials_are_unauthorized_with_the_token_error() {
    let error = OnezoneError::unauthorized(&TokenError::Revoked.onezone_error());
    check(
        "unauthorized",
        &error,
        &Expected {
            status: 401,
            id: "unauthorized",
            details: json!({"authError": {"id": "tokenRevoked", "description": "Provided token has been revoked."}}),
            description: Some("Provided authentication is not valid (see details)."),
        },
    );
}

/// ctool release/20.02.20 `test/auth/tokens_tests.erl`, as vectors: `unknown_caveat_test` (a
/// legacy identifier `id123` under `secrettt123` with the caveat `grant = everything` is
/// `tokenCaveatUnknown` naming it), `bad_token_test` (`rubbish-123` is `badToken`) and
/// `check_verification_result` (a wrong secret is `tokenInvalid`).
#[test]
fn ctool_tokens_tests_vectors() {
    use onezone_tokens::macaroon::{Encoding, Format, Macaroon, RootKey, Secret};
    use onezone_tokens::token::{CaveatContext, MemorySecrets, UnverifiedToken, Verifier};

    let key = RootKey::derive(b"secrettt123");
    let mut m = Macaroon::new(&key, &b"id123"[..]).with_location(&b"onezone.example.com"[..]);
    m.add_first_party_caveat(&b"grant = everything"[..]);
    let token =
        UnverifiedToken::parse(&m.serialize(Format::V1, Encoding::Escaped).unwrap()).unwrap();
    let mut secrets = MemorySecrets::new();
    secrets.insert_legacy("id123", Secret::new(&b"secrettt123"[..]));
    let err =
        Verifier::new(&secrets).verify(&token, &CaveatContext::at(1_600_000_000)).unwrap_err();
    let onezone = err.onezone_error();
    assert_eq!(onezone.id(), "tokenCaveatUnknown");
    assert_eq!(onezone.details(), Some(&json!({"caveat": "grant = everything"})));

    let err = UnverifiedToken::parse("rubbish-123").unwrap_err();
    assert_eq!(err.code(), "badToken");

    let mut wrong = MemorySecrets::new();
    wrong.insert_legacy("id123", Secret::new(&b"bad-secret"[..]));
    let err = Verifier::new(&wrong).verify(&token, &CaveatContext::at(1_600_000_000)).unwrap_err();
    assert_eq!(err.code(), "tokenInvalid");
}

/// ctool `tokens_tests.erl` `sanitize_caveats_test`, its JSON caveats as data
/// (`tests/vectors/ctool_caveats_json.json`): every `?OK` one reads (and writes back the same
/// JSON), every `?BAD` one is refused.
#[test]
fn ctool_caveat_json_vectors() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/ctool_caveats_json.json");
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ok = vectors["ok"].as_array().unwrap();
    let bad = vectors["bad"].as_array().unwrap();
    assert_eq!((ok.len(), bad.len()), (14, 49));
    for json in ok {
        let caveat: Caveat = serde_json::from_value(json.clone())
            .unwrap_or_else(|e| panic!("{json} should read: {e}"));
        assert_eq!(&serde_json::to_value(&caveat).unwrap(), json);
    }
    for json in bad {
        assert!(
            serde_json::from_value::<Caveat>(json.clone()).is_err(),
            "{json} should be refused"
        );
    }
}

/// A request refusal rendered alone (a server that maps `RequestError` before it becomes an
/// `InviteError`) answers as its `InviteError` does in both shapes.
#[test]
fn a_request_error_alone_answers_as_its_invite_error() {
    for e in [RequestError::NothingToUpdate, RequestError::NotAnObject, RequestError::MissingBody] {
        let wrapped = InviteError::InvalidRequest(e.clone());
        for shape in [ErrorShape::Onezone1706, ErrorShape::Onezone2002] {
            assert_eq!(error_response(&e, shape), error_response(&wrapped, shape), "{e:?}");
        }
        let (status, body) = error_response(&e, ErrorShape::Onezone1706);
        assert_eq!(status, 400);
        assert_eq!(body["error"], format!("Invalid request: {e}"));
    }
}
