//! Authenticate a request with an access token, as a REST service embedding the crate would:
//! the headers as the framework gives them, the route's operation for `api` caveats, and the
//! answer of a refusal in Onezone 20.02's shape.
//!
//! `cargo run --example authenticate`

use onezone_tokens::macaroon::Secret;
use onezone_tokens::onezone_error::{ErrorShape, error_response};
use onezone_tokens::token::{
    ApiCall, Authenticator, Caveat, CaveatContext, CredentialHeaders, Interface, MemorySecrets,
    Service, Subject, TokenIdentifier, mint,
};

const USAGE: &str = "\
usage: cargo run --example authenticate [-- --help]

Authenticate requests with an Onezone access token: the credential headers, the route's
operation for `api` caveats, and a refusal in Onezone 20.02's error shape. Takes no arguments.";

/// `--help` prints the usage and exits 0; any other argument exits 2 (the example takes none).
fn answer_help(usage: &str) {
    if let Some(arg) = std::env::args().nth(1) {
        if arg == "--help" || arg == "-h" {
            println!("{usage}");
            std::process::exit(0);
        }
        eprintln!("error: unexpected argument `{arg}` (see --help)");
        std::process::exit(2);
    }
}

/// The service's own storage: a named access token's secret and subject, by token id.
fn storage(secret: Secret) -> MemorySecrets {
    let mut secrets = MemorySecrets::new();
    secrets.insert_named("tok1", secret);
    secrets.set_subject("tok1", Subject::User("alice".into()));
    secrets
}

/// What one request says about itself: its time, peer, interface, the serving service, and the
/// operation its route performs.
fn context(route_operation: &str) -> Result<CaveatContext, Box<dyn std::error::Error>> {
    Ok(CaveatContext {
        now: 1_800_000_000,
        ip: Some("10.1.2.3".parse()?),
        interface: Some(Interface::Rest),
        service: Some("ozw-onezone".parse::<Service>()?),
        api_call: Some(route_operation.parse::<ApiCall>()?),
        ..CaveatContext::default()
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    answer_help(USAGE);
    // Issued earlier: alice's access token, for REST only and only to create groups.
    let secret = Secret::new(&b"per-token secret, from the service's storage"[..]);
    let id = TokenIdentifier::parse("2/nmd/usr-alice/act/tok1")?;
    let caveats: Vec<Caveat> =
        vec!["interface = rest".parse()?, "api = ozw/create/group.*.*:*".parse()?];
    let token = mint(&secret, "onezone.example.org", &id, &caveats)?;
    let secrets = storage(secret);
    let authenticator = Authenticator::new(&secrets);

    // A request to `POST /user/groups`, with the token as a bearer token.
    let bearer = format!("Bearer {token}");
    let request_headers =
        [("Content-Type", "application/json"), ("Authorization", bearer.as_str())];
    let headers = CredentialHeaders::from_headers(request_headers);
    let who = authenticator
        .authenticate(&headers, &context("ozw/create/group.null.instance:private")?)?;
    let subject = who.map(|a| a.subject);
    println!("POST /user/groups: authenticated as {subject:?}");
    assert_eq!(subject, Some(Subject::User("alice".into())));

    // The same token on `DELETE /groups/g1`: its `api` caveat refuses the operation.
    let refused = authenticator
        .authenticate(&headers, &context("ozw/delete/group.g1.instance:private")?)
        .expect_err("the api caveat allows only creating groups");
    let (status, body) = error_response(&refused, ErrorShape::Onezone2002);
    println!("DELETE /groups/g1: {status} {body}");
    assert_eq!(status, 401);
    assert_eq!(body["error"]["details"]["authError"]["id"], "tokenCaveatUnverified");

    // No token at all: no decision; the service may try basic auth or serve anonymously.
    let none = CredentialHeaders::from_headers([("Content-Type", "application/json")]);
    assert!(
        authenticator
            .authenticate(&none, &context("ozw/get/user.null.instance:private")?)?
            .is_none()
    );
    println!("GET /user without a token: anonymous");
    Ok(())
}
