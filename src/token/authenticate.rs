//! Authenticating a REST request with an access token, as a decision: the credential headers,
//! the type gate (access tokens only), verification in the request's context, and the subject.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use core::fmt;

use serde_json::{Value, json};

use super::caveat::{CaveatContext, Consumer, ConsumerKind, Service, ServiceKind};
use super::identifier::{Subject, TokenIdentifier, TokenType};
use super::kind::TokenKind;
use super::secrets::TokenSecrets;
use super::verify::{
    DEFAULT_MAX_TEMPORARY_TTL, TokenError, UnverifiedToken, VerifiedToken, Verifier,
};
use crate::onezone_error::{OnezoneError, Refusal};

/// The credential headers of a request, read as Onezone reads them (ctool release/20.02.20
/// `src/auth/tokens.erl`): the access token from `X-Auth-Token`, else from `Authorization:
/// Bearer <token>`, else from the deprecated `Macaroon` header (`parse_access_token_header`);
/// the service token from `X-Onedata-Service-Token`, the consumer token from
/// `X-Onedata-Consumer-Token`. Header names are matched without regard to case (HTTP's rule;
/// cowboy lowers them); a name given twice counts once, the first time. An `Authorization`
/// header of another scheme (`Basic ...`) is not a token.
///
/// `Debug` shows which headers are present, never a token.
///
/// ```
/// use onezone_tokens::token::CredentialHeaders;
/// let headers = [("authorization", "Bearer T1"), ("Macaroon", "T2")];
/// assert_eq!(CredentialHeaders::from_headers(headers).access_token, Some("T1"));
/// let basic = [("Authorization", "Basic YWxpY2U6c2VjcmV0"), ("macaroon", "T2")];
/// assert_eq!(CredentialHeaders::from_headers(basic).access_token, Some("T2"));
/// assert_eq!(CredentialHeaders::from_headers([("X-Other", "T3")]).access_token, None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct CredentialHeaders<'a> {
    /// The access token, if a header carries one.
    pub access_token: Option<&'a str>,
    /// The service token (`X-Onedata-Service-Token`).
    pub service_token: Option<&'a str>,
    /// The consumer token (`X-Onedata-Consumer-Token`).
    pub consumer_token: Option<&'a str>,
}

impl<'a> CredentialHeaders<'a> {
    /// Reads the headers (name, value pairs, in any order).
    pub fn from_headers<I: IntoIterator<Item = (&'a str, &'a str)>>(headers: I) -> Self {
        let (mut x_auth, mut authorization, mut macaroon) = (None, None, None);
        let mut found = CredentialHeaders::default();
        for (name, value) in headers {
            let slot = if name.eq_ignore_ascii_case("x-auth-token") {
                &mut x_auth
            } else if name.eq_ignore_ascii_case("authorization") {
                &mut authorization
            } else if name.eq_ignore_ascii_case("macaroon") {
                &mut macaroon
            } else if name.eq_ignore_ascii_case("x-onedata-service-token") {
                &mut found.service_token
            } else if name.eq_ignore_ascii_case("x-onedata-consumer-token") {
                &mut found.consumer_token
            } else {
                continue;
            };
            slot.get_or_insert(value);
        }
        // `<<"Bearer ", T/binary>>`: the scheme as Onezone matches it, case and one space.
        let bearer = authorization.and_then(|v: &'a str| v.strip_prefix("Bearer "));
        found.access_token = x_auth.or(bearer).or(macaroon);
        found
    }
}

impl fmt::Debug for CredentialHeaders<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |token: Option<&str>| token.map(|_| "<redacted>");
        f.debug_struct("CredentialHeaders")
            .field("access_token", &shown(self.access_token))
            .field("service_token", &shown(self.service_token))
            .field("consumer_token", &shown(self.consumer_token))
            .finish()
    }
}

/// Why a request's access token does not authenticate it. Onezone answers each with 401
/// `unauthorized` and this error as `details.authError` ([`AuthError::onezone_error`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// The token does not parse or verify.
    Token(TokenError),
    /// The token is an identity or invite token: only access tokens authenticate
    /// (`notAnAccessToken`).
    NotAnAccessToken {
        /// The token's type (boxed to keep the error small).
        received: Box<TokenType>,
    },
    /// The access token is bound to a session (`act:<sessionId>`), which a REST request does
    /// not present (`tokenSessionInvalid`; ctool `tokens.erl` `examine_session_id`).
    SessionInvalid,
    /// A token offered as proof of identity (a consumer token) is not an identity token
    /// (`notAnIdentityToken`). Oneproviders' access tokens are still taken (oz-worker 20.02.20
    /// `token_auth.erl` `verify_identity_token`), users' are not.
    NotAnIdentityToken {
        /// The token's type (boxed to keep the error small).
        received: Box<TokenType>,
    },
    /// The consumer token (`X-Onedata-Consumer-Token`) does not prove an identity
    /// (`badConsumerToken`, with why as `tokenError`).
    BadConsumerToken(Box<AuthError>),
    /// The service token (`X-Onedata-Service-Token`) does not prove a Oneprovider
    /// (`badServiceToken`, with why as `tokenError`).
    BadServiceToken(Box<AuthError>),
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Token(e) => write!(f, "{e}"),
            AuthError::NotAnAccessToken { received } => {
                write!(f, "expected an access token, but received an {}", printable(received))
            }
            AuthError::SessionInvalid => {
                f.write_str("this token is bound to a session the request does not present")
            }
            AuthError::NotAnIdentityToken { received } => {
                write!(f, "expected an identity token, but received an {}", printable(received))
            }
            AuthError::BadConsumerToken(e) => write!(f, "the consumer token is not valid: {e}"),
            AuthError::BadServiceToken(e) => write!(f, "the service token is not valid: {e}"),
        }
    }
}

impl core::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            AuthError::Token(e) => Some(e),
            _ => None,
        }
    }
}

impl From<TokenError> for AuthError {
    fn from(e: TokenError) -> Self {
        AuthError::Token(e)
    }
}

/// The subject of a verified token, if it may be one: a user or a Oneprovider. A group is a
/// subject only inside `consumer` caveats (ctool release/20.02.20 `aai.erl`); oz-worker
/// release/20.02.20 `token_auth.erl` `validate_subject` knows users and Oneproviders only.
fn token_subject(subject: Subject) -> Result<Subject, AuthError> {
    match subject {
        Subject::User(_) | Subject::Provider(_) => Ok(subject),
        _ => Err(AuthError::Token(TokenError::SubjectInvalid)),
    }
}

fn printable(token_type: &TokenType) -> &'static str {
    match TokenKind::of_type(token_type) {
        TokenKind::Identity => "identity token",
        TokenKind::Invite => "invite token",
        _ => "access token",
    }
}

impl<S: AsRef<str>> TokenType<S> {
    /// The type in Onezone's JSON (ctool release/20.02.20 `src/auth/token_type.erl`
    /// `to_json`): `{"accessToken": {}}` (with `sessionId` when bound to one),
    /// `{"identityToken": {}}`, `{"inviteToken": {"inviteType": .., "<target key>": ..,
    /// "parameters": {}}}`.
    ///
    /// ```
    /// use onezone_tokens::token::TokenIdentifier;
    /// let id = TokenIdentifier::parse("2/nmd/usr-a/ujg:g1:/t1")?;
    /// assert_eq!(
    ///     id.as_v2().unwrap().token_type.onezone_json(),
    ///     serde_json::json!({"inviteToken": {"inviteType": "userJoinGroup", "groupId": "g1", "parameters": {}}})
    /// );
    /// # Ok::<(), onezone_tokens::token::IdentifierError>(())
    /// ```
    pub fn onezone_json(&self) -> Value {
        match self {
            TokenType::Access { session: None } => json!({ "accessToken": {} }),
            TokenType::Access { session: Some(session) } => {
                json!({ "accessToken": { "sessionId": session.as_ref() } })
            }
            TokenType::Identity => json!({ "identityToken": {} }),
            TokenType::Invite { kind, target, .. } => {
                let mut invite = serde_json::Map::new();
                invite.insert("inviteType".into(), Value::from(kind.name()));
                invite.insert(kind.target_key().into(), Value::from(target.as_ref()));
                invite.insert("parameters".into(), json!({}));
                json!({ "inviteToken": invite })
            }
        }
    }
}

impl AuthError {
    /// The error Onezone 20.02 puts in `details.authError` (ctool release/20.02.20
    /// `src/errors.erl`): the token's error, `notAnAccessToken` with the `received` type, or
    /// `tokenSessionInvalid`.
    pub fn auth_error(&self) -> OnezoneError {
        match self {
            AuthError::Token(e) => e.onezone_error(),
            AuthError::NotAnAccessToken { received } => OnezoneError::new(
                "notAnAccessToken",
                400,
                format!("Expected an access token, but received a(n) {}.", printable(received)),
            )
            .with_details(json!({ "received": received.onezone_json() })),
            AuthError::SessionInvalid => OnezoneError::new(
                "tokenSessionInvalid",
                400,
                "This token is bound to a session different than presented by the client or no \
                 longer existent.",
            ),
            AuthError::NotAnIdentityToken { received } => OnezoneError::new(
                "notAnIdentityToken",
                400,
                format!("Expected an identity token, but received a(n) {}.", printable(received)),
            )
            .with_details(json!({ "received": received.onezone_json() })),
            AuthError::BadConsumerToken(e) => OnezoneError::new(
                "badConsumerToken",
                400,
                "Provided consumer token is not valid (see details).",
            )
            .with_details(json!({ "tokenError": e.auth_error().to_json() })),
            AuthError::BadServiceToken(e) => OnezoneError::new(
                "badServiceToken",
                400,
                "Provided service token is not valid (see details).",
            )
            .with_details(json!({ "tokenError": e.auth_error().to_json() })),
        }
    }

    /// The answer: 401 `unauthorized` with [`auth_error`](AuthError::auth_error) as
    /// `details.authError` (oz-worker 20.02.20 `src/auth/token_auth.erl`).
    pub fn onezone_error(&self) -> OnezoneError {
        OnezoneError::unauthorized(&self.auth_error())
    }
}

impl Refusal for AuthError {
    /// 401 `Authentication error: ..`.
    fn onezone_1706(&self) -> (u16, String) {
        (401, format!("Authentication error: {self}"))
    }

    fn onezone_2002(&self) -> OnezoneError {
        self.onezone_error()
    }
}

/// Who a request's access token authenticates, and the verified token (its caveats, its expiry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The token's subject: from its identifier, or for a legacy token the subject stored
    /// with its record.
    pub subject: Subject,
    /// The token, verified.
    pub token: VerifiedToken,
}

/// Authenticates requests with access tokens over a secret store.
///
/// For each request the caller gives the credential headers and the request's
/// [`CaveatContext`]: the time, the peer IP, `interface: Some(Interface::Rest)`, the serving
/// service (`ozw-onezone` unless a service token says otherwise), the consumer, and the
/// [`ApiCall`](super::ApiCall) the route performs, against which `api` caveats are matched
/// (oz-worker 20.02.20 `entity_logic.erl` `ensure_authorized_regarding_api_caveats`).
///
/// ```
/// use onezone_tokens::macaroon::Secret;
/// use onezone_tokens::token::{
///     Authenticator, CaveatContext, CredentialHeaders, Interface, MemorySecrets, Subject,
///     TokenIdentifier, mint,
/// };
///
/// let secret = Secret::new(&b"per-token secret"[..]);
/// let id = TokenIdentifier::parse("2/nmd/usr-alice/act/tok1")?;
/// let caveats = ["interface = rest", "api = ozw/create/group.*.*:*"].map(|c| c.parse().unwrap());
/// let token = mint(&secret, "onezone.example.org", &id, &caveats)?;
/// let mut secrets = MemorySecrets::new();
/// secrets.insert_named("tok1", secret);
/// secrets.set_subject("tok1", Subject::User("alice".into()));
///
/// let bearer = format!("Bearer {token}");
/// let headers = CredentialHeaders::from_headers([("Authorization", bearer.as_str())]);
/// let ctx = CaveatContext {
///     now: 1_800_000_000,
///     interface: Some(Interface::Rest),
///     api_call: Some("ozw/create/group.null.instance:private".parse()?),
///     ..CaveatContext::default()
/// };
/// let who = Authenticator::new(&secrets).authenticate(&headers, &ctx)?.expect("a token");
/// assert_eq!(who.subject, Subject::User("alice".into()));
///
/// // Another operation: the `api` caveat refuses it, 401 with the caveat named.
/// let other = CaveatContext { api_call: Some("ozw/delete/group.g1.instance:private".parse()?), ..ctx };
/// let refused = Authenticator::new(&secrets).authenticate(&headers, &other).unwrap_err();
/// let answer = refused.onezone_error();
/// assert_eq!((answer.status(), answer.id()), (401, "unauthorized"));
/// assert_eq!(answer.details().unwrap()["authError"]["id"], "tokenCaveatUnverified");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Authenticator<'s, S: TokenSecrets + ?Sized> {
    secrets: &'s S,
    max_temporary_ttl: u64,
}

impl<'s, S: TokenSecrets + ?Sized> Authenticator<'s, S> {
    /// An authenticator over this store, with Onezone's default maximum temporary-token
    /// lifetime.
    pub fn new(secrets: &'s S) -> Self {
        Authenticator { secrets, max_temporary_ttl: DEFAULT_MAX_TEMPORARY_TTL }
    }

    /// Sets the maximum lifetime of temporary tokens (seconds), as [`Verifier`] does.
    #[must_use]
    pub fn with_max_temporary_ttl(mut self, seconds: u64) -> Self {
        self.max_temporary_ttl = seconds;
        self
    }

    /// Decides who the request is: `Ok(None)` when no header carries an access token (the
    /// caller may try other credentials, or serve the request anonymously), `Ok(Some(..))`
    /// with the subject when the access token authenticates it.
    ///
    /// In order: the token parses; it is an access token (or a legacy identifier, a named
    /// access token); it verifies ([`Verifier::verify`]: the secret, the generation of a
    /// temporary token, revocation, the stored subject, the caveats an access token may carry,
    /// every caveat in `ctx`); it is not bound to a session; a legacy token has a stored
    /// subject.
    ///
    /// # Errors
    /// An [`AuthError`], to answer with 401 ([`AuthError::onezone_error`]).
    #[must_use = "the decision says who the caller is"]
    pub fn authenticate(
        &self,
        headers: &CredentialHeaders<'_>,
        ctx: &CaveatContext,
    ) -> Result<Option<Authenticated>, AuthError> {
        let Some(text) = headers.access_token else {
            return Ok(None);
        };
        let token = UnverifiedToken::parse(text)?;
        self.authenticate_token(&token, ctx).map(Some)
    }

    /// [`authenticate`](Self::authenticate) for an access token already parsed: for a server
    /// that read the token's identifier first (to find its record, or the user a route's GRI
    /// names) and need not parse it again.
    ///
    /// # Errors
    /// As [`authenticate`](Self::authenticate), but for the parse.
    #[must_use = "the decision says who the caller is"]
    pub fn authenticate_token(
        &self,
        token: &UnverifiedToken,
        ctx: &CaveatContext,
    ) -> Result<Authenticated, AuthError> {
        if let TokenIdentifier::V2(v2) = token.identifier()
            && TokenKind::of_type(&v2.token_type) != TokenKind::Access
        {
            return Err(AuthError::NotAnAccessToken {
                received: Box::new(v2.token_type.into_owned()),
            });
        }
        let verified = Verifier::new(self.secrets)
            .with_max_temporary_ttl(self.max_temporary_ttl)
            .verify(token, ctx)?;
        let subject = match verified.identifier() {
            TokenIdentifier::V2(v2) => {
                if matches!(v2.token_type, TokenType::Access { session: Some(_) }) {
                    return Err(AuthError::SessionInvalid);
                }
                v2.subject.into_owned()
            }
            // Onezone injects the subject stored with the record (`token_auth.erl`).
            other => self
                .secrets
                .named_subject(other.id())
                .ok_or(AuthError::Token(TokenError::SubjectInvalid))?,
        };
        Ok(Authenticated { subject: token_subject(subject)?, token: verified })
    }

    /// Who an identity token proves to be (oz-worker 20.02.20 `token_auth.erl`
    /// `verify_identity_token`): an identity token, or a Oneprovider's access token, verified
    /// as proof of identity only ([`CaveatContext::identity_only`]: an access token then takes
    /// `authorization = none` and the identity caveats).
    ///
    /// # Errors
    /// [`AuthError::NotAnIdentityToken`] for other tokens (a user's access token among them),
    /// else why the token does not verify.
    pub fn verify_identity(&self, token: &str, ctx: &CaveatContext) -> Result<Subject, AuthError> {
        let token = UnverifiedToken::parse(token)?;
        let not_identity = |t: TokenType<&str>| AuthError::NotAnIdentityToken {
            received: Box::new(t.into_owned()),
        };
        let v2 = match token.identifier() {
            TokenIdentifier::V2(v2) => v2,
            // A legacy identifier is a user's or a provider's access token; its subject is stored.
            _ => return Err(not_identity(TokenType::Access { session: None })),
        };
        match (&v2.token_type, &v2.subject) {
            (TokenType::Identity, _)
            | (TokenType::Access { session: None }, Subject::Provider(_)) => {}
            (other, _) => return Err(not_identity(*other)),
        }
        let ctx = CaveatContext { identity_only: true, ..ctx.clone() };
        let verified = Verifier::new(self.secrets)
            .with_max_temporary_ttl(self.max_temporary_ttl)
            .verify(&token, &ctx)?;
        match verified.identifier() {
            TokenIdentifier::V2(v2) => token_subject(v2.subject.into_owned()),
            _ => Err(AuthError::Token(TokenError::SubjectInvalid)),
        }
    }

    /// The consumer a request proves with its `X-Onedata-Consumer-Token` (an identity token),
    /// for the `consumer` caveats of its access token: `Ok(None)` without that header.
    /// Put it in the context's [`consumer`](CaveatContext::consumer) before
    /// [`authenticate`](Authenticator::authenticate).
    ///
    /// # Errors
    /// [`AuthError::BadConsumerToken`] with why.
    pub fn consumer(
        &self,
        headers: &CredentialHeaders<'_>,
        ctx: &CaveatContext,
    ) -> Result<Option<Consumer>, AuthError> {
        let Some(text) = headers.consumer_token else {
            return Ok(None);
        };
        let bad = |e: AuthError| AuthError::BadConsumerToken(Box::new(e));
        let subject = self.verify_identity(text, ctx).map_err(bad)?;
        let consumer = match &subject {
            Subject::User(id) => Consumer::new(ConsumerKind::User, id.as_str()),
            Subject::Provider(id) => Consumer::new(ConsumerKind::Provider, id.as_str()),
            _ => return Err(bad(AuthError::Token(TokenError::SubjectInvalid))),
        };
        consumer.map(Some).map_err(|_| bad(AuthError::Token(TokenError::SubjectInvalid)))
    }

    /// The service serving a request, as its `X-Onedata-Service-Token` proves it: a
    /// Oneprovider's identity token gives `opw-<provider id>` (oz-worker 20.02.20
    /// `token_auth.erl` `verify_service_token`); without that header, `ozw-onezone`
    /// ([`Service::onezone_worker`]). Put it in the context's
    /// [`service`](CaveatContext::service) before [`authenticate`](Authenticator::authenticate).
    ///
    /// # Errors
    /// [`AuthError::BadServiceToken`] with why (`tokenInvalid` for a token of a user).
    pub fn service(
        &self,
        headers: &CredentialHeaders<'_>,
        ctx: &CaveatContext,
    ) -> Result<Service, AuthError> {
        let Some(text) = headers.service_token else {
            return Ok(Service::onezone_worker());
        };
        let bad = |e: AuthError| AuthError::BadServiceToken(Box::new(e));
        let invalid = || bad(AuthError::Token(TokenError::InvalidSignature));
        match self.verify_identity(text, ctx).map_err(bad)? {
            Subject::Provider(id) => {
                Service::new(ServiceKind::OpWorker, id.as_str()).map_err(|_| invalid())
            }
            _ => Err(invalid()),
        }
    }
}
