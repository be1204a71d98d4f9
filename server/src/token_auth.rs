//! Access tokens as credentials (`--api 20.02`): the library's [`Authenticator`] over the
//! token records of the database, read in the request's transaction.
//!
//! Every secret is derived from the master key ([`DerivedSecrets`]); the database holds what
//! can change: a named token's record (revoked, its stored subject) and each subject's
//! generation of temporary tokens. [`DbSecrets::read`] reads those of the (at most three)
//! tokens of a request once, derives each root key once, and lends them to the verifier; every
//! instance on the same database agrees on revocation, since nothing is cached across requests.

use std::net::IpAddr;

use onezone_tokens::group::UserId;
use onezone_tokens::invite::NamedTokenRecord;
use onezone_tokens::macaroon::{RootKey, Secret};
use onezone_tokens::token::{
    ApiCall, AuthError, Authenticator, CaveatContext, CredentialHeaders, DerivedSecrets, Interface,
    Persistence, Subject, TokenError, TokenIdentifier, TokenKey, TokenSecrets, UnverifiedToken,
};

use crate::store::{StoreError, Tx};

/// The token records a request's tokens name, with their root keys derived once.
pub struct DbSecrets<'a> {
    derived: &'a DerivedSecrets,
    named: Vec<(NamedTokenRecord, RootKey)>,
    temporary: Vec<(Subject, u64, RootKey)>,
}

impl<'a> DbSecrets<'a> {
    /// Reads the records of `tokens` (the texts of the request's tokens; those that do not
    /// parse name nothing).
    ///
    /// # Errors
    /// If the database fails.
    pub fn read<'t>(
        derived: &'a DerivedSecrets,
        tx: &mut dyn Tx,
        tokens: impl IntoIterator<Item = &'t str>,
    ) -> Result<DbSecrets<'a>, StoreError> {
        let mut secrets = DbSecrets { derived, named: Vec::new(), temporary: Vec::new() };
        for text in tokens {
            let Ok(token) = UnverifiedToken::parse(text) else { continue };
            secrets.add(tx, token.identifier())?;
        }
        Ok(secrets)
    }

    /// Reads the record `identifier` names, if not read yet.
    ///
    /// # Errors
    /// If the database fails.
    pub fn add(
        &mut self,
        tx: &mut dyn Tx,
        identifier: TokenIdentifier<&str>,
    ) -> Result<(), StoreError> {
        let TokenIdentifier::V2(v2) = identifier else { return Ok(()) };
        match v2.persistence {
            Persistence::Named => {
                if self.named.iter().any(|(r, _)| r.token_id == v2.id) {
                    return Ok(());
                }
                if let Some(record) = tx.named_token(v2.id)? {
                    let key = self.derived.named(&record.token_id).derive_key();
                    self.named.push((record, key));
                }
            }
            Persistence::Temporary { .. } => {
                if self.temporary.iter().any(|(s, _, _)| s.as_borrowed() == v2.subject) {
                    return Ok(());
                }
                let subject = v2.subject.into_owned();
                let generation = tx.temporary_generation(&subject)?;
                let key = self.derived.temporary(&subject).derive_key();
                self.temporary.push((subject, generation, key));
            }
            _ => {}
        }
        Ok(())
    }

    fn record(&self, token_id: &str) -> Option<&(NamedTokenRecord, RootKey)> {
        self.named.iter().find(|(r, _)| r.token_id == token_id)
    }
}

impl TokenSecrets for DbSecrets<'_> {
    fn named_secret(&self, token_id: &str) -> Option<Secret> {
        self.record(token_id).map(|_| self.derived.named(token_id))
    }

    fn temporary_secret(&self, subject: &Subject) -> Option<(Secret, u64)> {
        let (_, generation, _) = self.temporary.iter().find(|(s, _, _)| s == subject)?;
        Some((self.derived.temporary(subject), *generation))
    }

    fn is_revoked(&self, token_id: &str) -> bool {
        self.record(token_id).is_some_and(|(r, _)| r.revoked)
    }

    fn named_subject(&self, token_id: &str) -> Option<Subject> {
        self.record(token_id).map(|(r, _)| r.subject.clone())
    }

    fn named_key(&self, token_id: &str) -> Option<TokenKey<'_>> {
        self.record(token_id).map(|(_, key)| TokenKey::Kept(key))
    }

    fn temporary_key(&self, subject: &Subject) -> Option<(TokenKey<'_>, u64)> {
        let (_, generation, key) = self.temporary.iter().find(|(s, _, _)| s == subject)?;
        Some((TokenKey::Kept(key), *generation))
    }
}

/// The tokens a request carries, copied out of its headers (the check runs on a blocking
/// thread), the access token parsed once for every use. `Debug` shows none of them.
#[derive(Default)]
pub struct RequestTokens {
    /// The access token.
    pub access: Option<String>,
    /// `X-Onedata-Service-Token`.
    pub service: Option<String>,
    /// `X-Onedata-Consumer-Token`.
    pub consumer: Option<String>,
    /// The access token, parsed (`None` without one).
    parsed: Option<Result<UnverifiedToken, TokenError>>,
}

impl std::fmt::Debug for RequestTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestTokens(***OMITTED***)")
    }
}

impl RequestTokens {
    /// The tokens of these headers (ctool `tokens.erl` `parse_access_token_header`, through
    /// the library's [`CredentialHeaders`]).
    pub fn from_headers(headers: &axum::http::HeaderMap) -> RequestTokens {
        let pairs = headers
            .iter()
            .filter_map(|(name, value)| value.to_str().ok().map(|value| (name.as_str(), value)));
        let found = CredentialHeaders::from_headers(pairs);
        RequestTokens {
            access: found.access_token.map(str::to_owned),
            service: found.service_token.map(str::to_owned),
            consumer: found.consumer_token.map(str::to_owned),
            parsed: found.access_token.map(UnverifiedToken::parse),
        }
    }

    fn headers(&self) -> CredentialHeaders<'_> {
        CredentialHeaders {
            access_token: self.access.as_deref(),
            service_token: self.service.as_deref(),
            consumer_token: self.consumer.as_deref(),
        }
    }

    /// The user whose id the access token's identifier claims, unverified: what a route that
    /// acts on the caller's own resources names in its GRI before the token is checked
    /// (Onezone resolves `?CLIENT_ID` to the authenticated subject, which is this one if the
    /// token verifies at all).
    pub fn claimed_user(&self) -> Option<String> {
        let token = self.parsed.as_ref()?.as_ref().ok()?;
        match token.identifier() {
            TokenIdentifier::V2(v2) => match &v2.subject {
                Subject::User(id) => Some((*id).to_owned()),
                _ => None,
            },
            _ => None,
        }
    }
}

/// Who the request's access token authenticates, in the REST context: `interface = rest`, the
/// peer IP, the service of `X-Onedata-Service-Token` (else `ozw-onezone`), the consumer of
/// `X-Onedata-Consumer-Token`, and the route's API call for `api` caveats (oz-worker
/// release/20.02.20 `src/auth/token_auth.erl`, `entity_logic.erl`
/// `ensure_authorized_regarding_api_caveats`). `Ok(None)` when the request carries no access
/// token. Only users authenticate here: a Oneprovider's token is `tokenSubjectInvalid`. The
/// access token is parsed once ([`RequestTokens::from_headers`]) and must parse before the
/// service and consumer tokens are read, as in oz-worker's `authenticate_for_rest_interface`.
///
/// # Errors
/// `Err(Ok(e))`: the 401 to answer; `Err(Err(e))`: the database failed.
pub fn authenticate(
    derived: &DerivedSecrets,
    tx: &mut dyn Tx,
    tokens: &RequestTokens,
    ctx: RequestContext,
) -> Result<Option<UserId>, Result<AuthError, StoreError>> {
    let Some(parsed) = &tokens.parsed else { return Ok(None) };
    let access = parsed.as_ref().map_err(|e| Ok(AuthError::Token(e.clone())))?;
    let others = [tokens.service.as_deref(), tokens.consumer.as_deref()];
    let mut secrets = DbSecrets::read(derived, tx, others.into_iter().flatten()).map_err(Err)?;
    secrets.add(tx, access.identifier()).map_err(Err)?;
    let authenticator = Authenticator::new(&secrets).with_max_temporary_ttl(ctx.max_ttl);
    let headers = tokens.headers();
    let mut context = CaveatContext {
        now: ctx.now,
        ip: ctx.ip,
        interface: Some(Interface::Rest),
        ..CaveatContext::default()
    };
    context.service = Some(authenticator.service(&headers, &context).map_err(Ok)?);
    context.consumer = authenticator.consumer(&headers, &context).map_err(Ok)?;
    context.api_call = ctx.api_call;
    let who = authenticator.authenticate_token(access, &context).map_err(Ok)?;
    match who.subject {
        Subject::User(id) => {
            UserId::new(id).map(Some).map_err(|_| Ok(AuthError::Token(TokenError::SubjectInvalid)))
        }
        _ => Err(Ok(AuthError::Token(TokenError::SubjectInvalid))),
    }
}

/// What a request's tokens are checked against.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// The time (Unix seconds).
    pub now: u64,
    /// The client's address.
    pub ip: Option<IpAddr>,
    /// The route's operation, for `api` caveats.
    pub api_call: Option<ApiCall>,
    /// The longest lifetime a temporary token may have.
    pub max_ttl: u64,
}
