//! Authenticating requests with access tokens: the headers, the type gate, the stored subject,
//! temporary generations, `api` caveats, and the 401 answers with their `authError`.

use onezone_tokens::macaroon::Secret;
use onezone_tokens::onezone_error::{ErrorShape, error_response};
use onezone_tokens::token::{
    AuthError, Authenticator, Caveat, CaveatContext, CredentialHeaders, Interface, MemorySecrets,
    Subject, TokenError, TokenIdentifier, mint,
};
use serde_json::json;

fn secret(s: &str) -> Secret {
    Secret::new(s.as_bytes())
}

fn token(id: &str, key: &str, caveats: &[&str]) -> String {
    let caveats: Vec<Caveat> = caveats.iter().map(|c| c.parse().unwrap()).collect();
    mint(&secret(key), "oz.example.org", &TokenIdentifier::parse(id).unwrap(), &caveats).unwrap()
}

fn rest(api: &str) -> CaveatContext {
    CaveatContext {
        now: 1_800_000_000,
        interface: Some(Interface::Rest),
        api_call: Some(api.parse().unwrap()),
        ..CaveatContext::default()
    }
}

fn auth(secrets: &MemorySecrets, text: &str, ctx: &CaveatContext) -> Result<Subject, AuthError> {
    let headers = CredentialHeaders::from_headers([("X-Auth-Token", text)]);
    Authenticator::new(secrets).authenticate(&headers, ctx).map(|a| a.unwrap().subject)
}

fn alice() -> Subject {
    Subject::User("alice".into())
}

/// ctool release/20.02.20 `test/auth/tokens_tests.erl` `access_token_headers_manipulation_test`
/// (and the service and consumer ones), as vectors, plus `parse_access_token_header`'s order.
#[test]
fn credential_headers_as_onezone_reads_them() {
    let read = |headers: &[(&'static str, &'static str)]| {
        CredentialHeaders::from_headers(headers.iter().copied()).access_token
    };
    let t = "gimme-access-123";
    assert_eq!(read(&[]), None);
    assert_eq!(read(&[("unsupported-header", t)]), None);
    assert_eq!(read(&[("x-auth-token", t)]), Some(t));
    assert_eq!(read(&[("authorization", "Bearer gimme-access-123")]), Some(t));
    assert_eq!(read(&[("macaroon", t)]), Some(t));
    // The order: X-Auth-Token, then Authorization: Bearer, then Macaroon, whatever the order
    // of the headers; another scheme is no token; names in any case; the first of a name.
    let all = [("Macaroon", "m"), ("Authorization", "Bearer b"), ("X-Auth-Token", "x")];
    assert_eq!(read(&all), Some("x"));
    assert_eq!(read(&all[..2]), Some("b"));
    assert_eq!(read(&[("Authorization", "Basic YTpi"), ("Macaroon", "m")]), Some("m"));
    assert_eq!(read(&[("Authorization", "bearer b")]), None);
    assert_eq!(read(&[("X-AUTH-TOKEN", "one"), ("x-auth-token", "two")]), Some("one"));
    let headers = CredentialHeaders::from_headers([
        ("X-Onedata-Service-Token", "my-service-token"),
        ("x-onedata-consumer-token", "my-consumer-token"),
    ]);
    assert_eq!(headers.service_token, Some("my-service-token"));
    assert_eq!(headers.consumer_token, Some("my-consumer-token"));
    assert_eq!(headers.access_token, None);
    // Debug never shows a token.
    let shown = format!("{:?}", CredentialHeaders::from_headers([("x-auth-token", t)]));
    assert!(!shown.contains(t), "{shown}");
}

/// A server that parsed the access token already (to find its record) decides on it without
/// a second parse, with the same answers.
#[test]
fn a_parsed_token_is_decided_as_its_text() {
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("t1", secret("t1"));
    let ctx = rest("ozw/get/user.alice.instance:private");
    let authenticator = Authenticator::new(&secrets);
    for text in [
        token("2/nmd/usr-alice/act/t1", "t1", &[]),
        token("2/nmd/usr-alice/act/t1", "not t1", &[]),
        token("2/nmd/usr-alice/act/t1", "t1", &["interface = oneclient"]),
    ] {
        let parsed = onezone_tokens::token::UnverifiedToken::parse(&text).unwrap();
        let headers = CredentialHeaders::from_headers([("X-Auth-Token", text.as_str())]);
        let from_text = authenticator.authenticate(&headers, &ctx).map(|a| a.unwrap().subject);
        let from_parsed = authenticator.authenticate_token(&parsed, &ctx).map(|a| a.subject);
        assert_eq!(from_parsed, from_text);
    }
}

#[test]
fn no_token_is_no_decision() {
    let secrets = MemorySecrets::new();
    let headers = CredentialHeaders::from_headers([("Authorization", "Basic YTpi")]);
    let ctx = rest("ozw/get/user.alice.instance:private");
    assert_eq!(Authenticator::new(&secrets).authenticate(&headers, &ctx), Ok(None));
}

/// Only access tokens authenticate; the 401 carries `notAnAccessToken` with the type received.
#[test]
fn only_access_tokens_authenticate() {
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("t1", secret("s"));
    let ctx = rest("ozw/get/user.alice.instance:private");
    assert_eq!(auth(&secrets, &token("2/nmd/usr-alice/act/t1", "s", &[]), &ctx), Ok(alice()));
    for (id, received) in [
        ("2/nmd/usr-alice/idn/t1", json!({"identityToken": {}})),
        (
            "2/nmd/usr-alice/ujg:g1:/t1",
            json!({"inviteToken": {"inviteType": "userJoinGroup", "groupId": "g1", "parameters": {}}}),
        ),
    ] {
        let err = auth(&secrets, &token(id, "s", &[]), &ctx).unwrap_err();
        assert!(matches!(err, AuthError::NotAnAccessToken { .. }), "{err:?}");
        let (status, body) = error_response(&err, ErrorShape::Onezone2002);
        assert_eq!(status, 401);
        assert_eq!(body["error"]["id"], "unauthorized");
        assert_eq!(body["error"]["details"]["authError"]["id"], "notAnAccessToken");
        assert_eq!(body["error"]["details"]["authError"]["details"]["received"], received);
    }
    // Bound to a session: a REST request presents none (`tokenSessionInvalid`).
    let bound = token("2/nmd/usr-alice/act:sess1/t1", "s", &[]);
    let err = auth(&secrets, &bound, &ctx).unwrap_err();
    assert_eq!(err, AuthError::SessionInvalid);
    assert_eq!(err.auth_error().id(), "tokenSessionInvalid");
}

/// One stored secret no longer verifies tokens of other subjects or types: the subject stored
/// with the record is checked (`tokenSubjectInvalid`). Failed on main, where the verifier saw
/// only the token id.
#[test]
fn the_stored_subject_is_checked() {
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("x", secret("s"));
    secrets.set_subject("x", alice());
    let ctx = rest("ozw/get/user.alice.instance:private");
    assert_eq!(auth(&secrets, &token("2/nmd/usr-alice/act/x", "s", &[]), &ctx), Ok(alice()));
    let err = auth(&secrets, &token("2/nmd/usr-bob/act/x", "s", &[]), &ctx).unwrap_err();
    assert_eq!(err, AuthError::Token(TokenError::SubjectInvalid));
    assert_eq!(err.auth_error().id(), "tokenSubjectInvalid");

    // A legacy token authenticates as the subject stored with it, or not at all.
    let legacy = token("8HfHARHgklqBkZVI4l6MBTvSSvt98ppp6948s8Q7SOk", "s", &["interface = rest"]);
    let mut secrets = MemorySecrets::new();
    secrets.insert_legacy("8HfHARHgklqBkZVI4l6MBTvSSvt98ppp6948s8Q7SOk", secret("s"));
    let err = auth(&secrets, &legacy, &ctx).unwrap_err();
    assert_eq!(err.auth_error().id(), "tokenSubjectInvalid");
    secrets.set_subject("8HfHARHgklqBkZVI4l6MBTvSSvt98ppp6948s8Q7SOk", alice());
    assert_eq!(auth(&secrets, &legacy, &ctx), Ok(alice()));
}

/// Rotating a subject's temporary secret (a new generation) revokes the older tokens: they
/// read as revoked, as oz-worker answers, not as forged. Failed on main (`InvalidSignature`).
#[test]
fn a_rotated_temporary_generation_reads_as_revoked() {
    let ctx = rest("ozw/get/user.alice.instance:private");
    let until = format!("time < {}", ctx.now + 3600);
    let old = token("2/tmp-1/usr-alice/act/t", "gen-1 secret", &[&until]);
    let mut secrets = MemorySecrets::new();
    secrets.insert_temporary(&alice(), secret("gen-1 secret"), 1);
    assert_eq!(auth(&secrets, &old, &ctx), Ok(alice()));
    secrets.insert_temporary(&alice(), secret("gen-2 secret"), 2);
    let err = auth(&secrets, &old, &ctx).unwrap_err();
    assert_eq!(err, AuthError::Token(TokenError::Revoked));
    assert_eq!(err.auth_error().id(), "tokenRevoked");
    let new = token("2/tmp-2/usr-alice/act/t", "gen-2 secret", &[&until]);
    assert_eq!(auth(&secrets, &new, &ctx), Ok(alice()));
    // A generation from the future is forged: `tokenInvalid`, like a bad signature.
    let future = token("2/tmp-3/usr-alice/act/t", "gen-2 secret", &[&until]);
    assert_eq!(auth(&secrets, &future, &ctx).unwrap_err().auth_error().id(), "tokenInvalid");
}

/// `api` caveats are matched against the operation the route names; data caveats never hold
/// on REST.
#[test]
fn api_caveats_follow_the_route() {
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("t1", secret("s"));
    let t = token(
        "2/nmd/usr-alice/act/t1",
        "s",
        &["api = ozw/get/group.*.*:*|all/create/group.*.users:*"],
    );
    for (call, allowed) in [
        ("ozw/get/group.g1.instance:private", true),
        ("ozw/create/group.g1.users:private", true),
        ("opw/create/group.g1.users:private", true),
        ("ozw/update/group.g1.instance:private", false),
        ("ozw/get/user.alice.instance:private", false),
    ] {
        let result = auth(&secrets, &t, &rest(call));
        assert_eq!(result.is_ok(), allowed, "{call}: {result:?}");
        if let Err(err) = result {
            let auth_error = err.auth_error();
            assert_eq!(auth_error.id(), "tokenCaveatUnverified");
            assert_eq!(auth_error.details().unwrap()["caveat"]["type"], "api");
        }
    }
    // A route that names no operation cannot satisfy an `api` caveat.
    let no_call = CaveatContext { api_call: None, ..rest("ozw/get/group.g1.instance:private") };
    assert!(auth(&secrets, &t, &no_call).is_err());
    let data = token("2/nmd/usr-alice/act/t1", "s", &["data.readonly"]);
    let err = auth(&secrets, &data, &rest("ozw/get/group.g1.instance:private")).unwrap_err();
    assert_eq!(err.auth_error().id(), "tokenCaveatUnverified");
}

#[test]
fn bad_tokens_are_unauthorized() {
    let secrets = MemorySecrets::new();
    let ctx = rest("ozw/get/user.alice.instance:private");
    let err = auth(&secrets, "rubbish-123", &ctx).unwrap_err();
    assert_eq!(err.auth_error().id(), "badToken");
    // Unknown token and bad signature: one answer.
    let unknown = auth(&secrets, &token("2/nmd/usr-alice/act/t1", "s", &[]), &ctx).unwrap_err();
    let mut other = MemorySecrets::new();
    other.insert_named("t1", secret("not s"));
    let forged = auth(&other, &token("2/nmd/usr-alice/act/t1", "s", &[]), &ctx).unwrap_err();
    assert_eq!(
        error_response(&unknown, ErrorShape::Onezone2002),
        error_response(&forged, ErrorShape::Onezone2002)
    );
    assert_eq!(
        error_response(&unknown, ErrorShape::Onezone1706),
        error_response(&forged, ErrorShape::Onezone1706)
    );
    assert_eq!(error_response(&unknown, ErrorShape::Onezone1706).0, 401);
}

/// The consumer proves itself with an identity token in `X-Onedata-Consumer-Token`; its subject
/// satisfies the access token's `consumer` caveat. A user's access token proves no identity;
/// a Oneprovider's still does (oz-worker 20.02.20 `token_auth.erl` `verify_identity_token`).
#[test]
fn consumer_tokens_prove_the_consumer() {
    let mut secrets = MemorySecrets::new();
    for id in ["t1", "bob-idn", "bob-act", "p1-act"] {
        secrets.insert_named(id, secret(id));
    }
    let access = token("2/nmd/usr-alice/act/t1", "t1", &["consumer = usr-bob|prv-p1"]);
    let ctx = rest("ozw/get/user.alice.instance:private");
    let authenticator = Authenticator::new(&secrets);
    let decide = |consumer_token: Option<&str>| {
        let mut headers = vec![("X-Auth-Token", access.as_str())];
        headers.extend(consumer_token.map(|t| ("X-Onedata-Consumer-Token", t)));
        let headers = CredentialHeaders::from_headers(headers);
        let consumer = authenticator.consumer(&headers, &ctx)?;
        let ctx = CaveatContext { consumer, ..ctx.clone() };
        authenticator.authenticate(&headers, &ctx).map(|a| a.map(|a| a.subject))
    };
    // Without a consumer token the caveat cannot hold.
    assert_eq!(decide(None).unwrap_err().auth_error().id(), "tokenCaveatUnverified");
    let bob_identity = token("2/nmd/usr-bob/idn/bob-idn", "bob-idn", &["interface = rest"]);
    assert_eq!(decide(Some(&bob_identity)), Ok(Some(alice())));
    let provider = token("2/nmd/prv-p1/act/p1-act", "p1-act", &[]);
    assert_eq!(decide(Some(&provider)), Ok(Some(alice())));
    let bob_access = token("2/nmd/usr-bob/act/bob-act", "bob-act", &[]);
    let err = decide(Some(&bob_access)).unwrap_err();
    let (status, body) = error_response(&err, ErrorShape::Onezone2002);
    assert_eq!(status, 401);
    let auth_error = &body["error"]["details"]["authError"];
    assert_eq!(auth_error["id"], "badConsumerToken");
    assert_eq!(auth_error["details"]["tokenError"]["id"], "notAnIdentityToken");
    assert_eq!(
        auth_error["details"]["tokenError"]["details"]["received"],
        json!({"accessToken": {}})
    );
    // A forged consumer token: `badConsumerToken` with `tokenInvalid`.
    let forged = token("2/nmd/usr-bob/idn/bob-idn", "not bob's secret", &[]);
    let err = decide(Some(&forged)).unwrap_err();
    assert_eq!(err.auth_error().details().unwrap()["tokenError"]["id"], "tokenInvalid");
}

/// The serving service: `ozw-onezone` unless a Oneprovider's identity token in
/// `X-Onedata-Service-Token` says `opw-<id>`; a user's token there is `badServiceToken`.
#[test]
fn service_tokens_name_the_service() {
    let mut secrets = MemorySecrets::new();
    for id in ["t1", "p1-idn", "bob-idn"] {
        secrets.insert_named(id, secret(id));
    }
    let access = token("2/nmd/usr-alice/act/t1", "t1", &["service = opw-p1"]);
    let ctx = rest("ozw/get/user.alice.instance:private");
    let authenticator = Authenticator::new(&secrets);
    let decide = |service_token: Option<&str>| {
        let mut headers = vec![("X-Auth-Token", access.as_str())];
        headers.extend(service_token.map(|t| ("X-Onedata-Service-Token", t)));
        let headers = CredentialHeaders::from_headers(headers);
        let service = authenticator.service(&headers, &ctx)?;
        let ctx = CaveatContext { service: Some(service), ..ctx.clone() };
        authenticator.authenticate(&headers, &ctx).map(|a| a.map(|a| a.subject))
    };
    let err = decide(None).unwrap_err();
    assert_eq!(err.auth_error().id(), "tokenCaveatUnverified", "ozw-onezone is not opw-p1");
    let provider = token("2/nmd/prv-p1/idn/p1-idn", "p1-idn", &[]);
    assert_eq!(decide(Some(&provider)), Ok(Some(alice())));
    let bob = token("2/nmd/usr-bob/idn/bob-idn", "bob-idn", &[]);
    let err = decide(Some(&bob)).unwrap_err();
    assert_eq!(err.auth_error().id(), "badServiceToken");
    assert_eq!(err.auth_error().details().unwrap()["tokenError"]["id"], "tokenInvalid");
}

/// What a person reads of each refusal, and the token error kept as the `source()` (cargo
/// mutants found these untested).
#[test]
fn auth_errors_read_for_people_and_keep_their_cause() {
    use std::error::Error as _;

    let mut secrets = MemorySecrets::new();
    for id in ["i1", "v1", "t1"] {
        secrets.insert_named(id, secret(id));
    }
    let ctx = rest("ozw/get/user.alice.instance:private");
    let identity = token("2/nmd/usr-alice/idn/i1", "i1", &[]);
    let err = auth(&secrets, &identity, &ctx).unwrap_err();
    assert_eq!(err.to_string(), "expected an access token, but received an identity token");
    let invite = token("2/nmd/usr-alice/ujg:g1:/v1", "v1", &[]);
    let err = auth(&secrets, &invite, &ctx).unwrap_err();
    assert_eq!(err.to_string(), "expected an access token, but received an invite token");
    // A consumer token that is a user's access token: not an identity token.
    let access = token("2/nmd/usr-alice/act/t1", "t1", &[]);
    let headers = CredentialHeaders::from_headers([("X-Onedata-Consumer-Token", access.as_str())]);
    let err = Authenticator::new(&secrets).consumer(&headers, &ctx).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the consumer token is not valid: expected an identity token, but received an access token"
    );
    assert!(err.source().is_none());

    let err = AuthError::Token(TokenError::Revoked);
    assert_eq!(err.to_string(), TokenError::Revoked.to_string());
    let source = err.source().and_then(|s| s.downcast_ref::<TokenError>());
    assert_eq!(source, Some(&TokenError::Revoked));
    assert!(AuthError::SessionInvalid.source().is_none());

    // Debug names what was found, never the token.
    let shown = format!("{:?}", CredentialHeaders::from_headers([("x-auth-token", "t0k3n")]));
    assert_eq!(
        shown,
        "CredentialHeaders { access_token: Some(\"<redacted>\"), service_token: None, \
         consumer_token: None }"
    );
}

/// A Oneprovider's access token as proof of identity is verified as Onezone verifies one used
/// only for identity: `authorization = none` holds there (and only there), caveats beyond the
/// identity ones do not (ctool release/20.02.20 `tokens.erl` `verify/3`).
///
/// A group is a subject only inside `consumer` caveats (ctool release/20.02.20 `aai.erl`: "used
/// in cv_consumer caveats to allow token consumption for any member of specified group"); no
/// token has one (oz-worker release/20.02.20 `token_auth.erl` `validate_subject` has clauses
/// for users and Oneproviders only), so a token naming a group as its subject proves nobody:
/// `tokenSubjectInvalid`, as a consumer token and as a credential. Failed before: the consumer
/// token below proved the consumer `grp-g1` (cargo mutants found the arm untested).
#[test]
fn identity_proofs_are_verified_for_identity_only() {
    let mut secrets = MemorySecrets::new();
    for id in ["t1", "p1-act", "g1-idn", "g1-act"] {
        secrets.insert_named(id, secret(id));
    }
    let ctx = rest("ozw/get/user.alice.instance:private");
    let authenticator = Authenticator::new(&secrets);
    let consumer_of = |proof: &str| {
        let headers = CredentialHeaders::from_headers([("X-Onedata-Consumer-Token", proof)]);
        authenticator.consumer(&headers, &ctx)
    };
    let provider = token("2/nmd/prv-p1/act/p1-act", "p1-act", &["authorization = none"]);
    let consumer = consumer_of(&provider).unwrap().unwrap();
    assert_eq!(consumer.to_string(), "prv-p1");
    // The same token as a credential: `authorization = none` never authorizes a request.
    assert!(auth(&secrets, &provider, &ctx).is_err());

    let group = token("2/nmd/grp-g1/idn/g1-idn", "g1-idn", &[]);
    let err = consumer_of(&group).unwrap_err();
    assert_eq!(err, AuthError::BadConsumerToken(Box::new(TokenError::SubjectInvalid.into())));
    assert_eq!(err.auth_error().details().unwrap()["tokenError"]["id"], "tokenSubjectInvalid");
    let group_access = token("2/nmd/grp-g1/act/g1-act", "g1-act", &[]);
    let err = auth(&secrets, &group_access, &ctx).unwrap_err();
    assert_eq!(err, AuthError::Token(TokenError::SubjectInvalid));
}
