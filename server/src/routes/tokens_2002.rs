//! The token routes of Onezone 20.02 (`--api 20.02`; SPEC section 8), in its shapes (oz-worker
//! release/20.02.20 `src/http/rest/routes/token_routes.erl`, `translators/token_rest_translator.erl`,
//! `src/logic/token_logic_plugin.erl`):
//!
//! - named tokens of the caller: `POST /user/tokens/named` (201, `{"tokenId", "token"}`, an
//!   absolute `Location`), `GET` (`{"tokens": [ids]}`) and `DELETE /user/tokens/named`,
//!   `GET /user/tokens/named/name/{name}`;
//! - a named token by id: `GET`, `PATCH` (`name`, `customMetadata`, `revoked`), `DELETE
//!   /tokens/named/{id}`, `GET /tokens/named/{id}/status` (`{"revoked"}`);
//! - temporary tokens: `POST /user/tokens/temporary` (201, `{"token"}`, no `Location`), `GET`
//!   (`{"generation"}`) and `DELETE /user/tokens/temporary` (all revoked);
//! - `POST /tokens/examine`, `/tokens/confine`, `/tokens/verify_access_token`,
//!   `/tokens/verify_identity_token`, `/tokens/verify_invite_token`.
//!
//! The library reads and checks every body and decides every refusal (`invite::token_api`);
//! this file reads and writes the records. A token's subject manages it, or a holder of
//! `oz_tokens_manage` (`--admin`). An invite token's usage lives in its `invite_tokens` row,
//! which joins read and count as for every invite.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use onezone_tokens::group::{UserId, Vocabulary};
use onezone_tokens::invite::{
    ConfineRequest, InviteError, InviteToken, JsonObject, NamedTokenPatch, NamedTokenRecord,
    NamedTokenRequest, TemporaryTokenRequest, TokenApiError, VerifyKind, VerifyRequest,
    read_json_object, read_token, verification_json,
};
use onezone_tokens::onezone_error::OnezoneError;
use onezone_tokens::token::{
    Authenticator, Caveat, CaveatContext, CredentialHeaders, IssueError, Persistence, Subject,
    TokenIdentifier, Verifier, confine, earliest_expiry, examine_json, issue_named_token,
    issue_temporary_token, mint,
};
use rand::rngs::SysRng;
use serde_json::{Value, json};

use super::{Caller, Created, JsonBody, PeerIp, access, transaction};
use crate::app::App;
use crate::error::Error;
use crate::store::Tx;
use crate::token_auth::DbSecrets;

/// The privilege names this line speaks.
const VOCABULARY: Vocabulary = Vocabulary::Onezone2002;

fn refused(e: TokenApiError) -> Error {
    Error::refused(&e)
}

fn issue_refused(e: IssueError) -> Error {
    Error::refused(&e)
}

/// The body as a JSON object; none (or only white space) reads as `{}`, so that a missing
/// required key is `missingRequiredValue` as in Onezone.
fn object(body: &JsonBody) -> Result<JsonObject, Error> {
    match body.optional()? {
        None => Ok(JsonObject::new()),
        Some(bytes) => Ok(read_json_object(bytes).map_err(InviteError::from)?),
    }
}

fn signed_in(user: Option<UserId>) -> Result<UserId, Error> {
    Ok(user.ok_or(InviteError::Unauthenticated)?)
}

fn subject(user: &UserId) -> Subject {
    Subject::User(user.as_str().to_owned())
}

/// A named token's text: minted again from its derived secret (the same bytes as issued).
fn token_text(app: &App, record: &NamedTokenRecord) -> Result<String, Error> {
    let secret = app.token_secrets.named(&record.token_id);
    mint(&secret, &app.domain, &record.identifier(), &record.caveats)
        .map_err(|e| Error::internal(format!("a stored named token does not mint: {e}")))
}

/// The NamedToken object of a record, with its invite's usage when it is one.
fn named_json(app: &App, tx: &mut dyn Tx, record: &NamedTokenRecord) -> Result<Value, Error> {
    let invite = tx.invite(&record.token_id)?;
    let token = token_text(app, record)?;
    Ok(record.onezone_json(&token, invite.as_ref(), VOCABULARY))
}

/// Onezone's checks for a token named by id: it exists (404), there is a caller (401), the
/// caller is its subject or holds `oz_tokens_manage` (403).
fn authorized_record(
    app: &App,
    tx: &mut dyn Tx,
    user: Option<&UserId>,
    id: &str,
) -> Result<NamedTokenRecord, Error> {
    let record = tx.named_token(id)?.ok_or(InviteError::NamedTokenNotFound)?;
    let user = user.ok_or(InviteError::Unauthenticated)?;
    if record.subject != subject(user) && !app.admin(user).oz_tokens_manage {
        return Err(Error::v2002(OnezoneError::new(
            "forbidden",
            403,
            "You are not authorized to perform this operation.",
        )));
    }
    Ok(record)
}

/// `POST /user/tokens/named`: 201, `{"tokenId", "token"}`, `Location:
/// https://<domain>/api/v3/onezone/tokens/named/{id}`.
pub(crate) async fn create_named(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    body: JsonBody,
) -> Result<Created<Value>, Error> {
    let user = signed_in(user)?;
    transaction(&app, move |app, tx| {
        let request = NamedTokenRequest::from_json(&object(&body)?, VOCABULARY).map_err(refused)?;
        if let Some(group) = request.invite_group() {
            let group = group.map_err(refused)?;
            request.check_invitation(&access(app, tx, Some(&user), &group)?).map_err(refused)?;
        }
        let mut rng = rand::rand_core::UnwrapErr(SysRng);
        let at = app.clock.now();
        let issued = issue_named_token(
            &app.domain,
            subject(&user),
            request.token_type.clone(),
            &request.caveats,
            |id| app.token_secrets.named(id),
            &mut rng,
        )
        .map_err(issue_refused)?;
        let id = issued.identifier.id().to_owned();
        // The name is unique per subject: the subject's creations and renames take turns.
        tx.lock_user(&user)?;
        if !tx.insert_named_token(&request.record(&id, subject(&user), at))? {
            return Err(refused(TokenApiError::NameOccupied));
        }
        if let Some(invite) = request.invite_record(&id, &user, at) {
            // The open-invite quota counts these as the legacy route's invites.
            let quota = app.quotas.open_invites_per_user;
            if quota > 0 && !invite.revoked && tx.open_invites_of(&user, at, quota)? >= quota {
                return Err(Error::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Quota exceeded: user {user} already has the maximum of {quota} open \
                         invite tokens; revoke some (PATCH /tokens/named/{{id}}) or let them expire"
                    ),
                ));
            }
            tx.insert_invite(&invite)?;
        }
        let location = format!("https://{}/api/v3/onezone/tokens/named/{id}", app.domain);
        Ok(Created(location, json!({ "tokenId": id, "token": issued.token })))
    })
    .await
}

/// `GET /user/tokens/named`: `{"tokens": [ids]}`, oldest first.
pub(crate) async fn list_named(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
) -> Result<Json<Value>, Error> {
    let user = signed_in(user)?;
    transaction(&app, move |_, tx| {
        let ids = tx.named_token_ids(&subject(&user))?;
        Ok(Json(json!({ "tokens": ids })))
    })
    .await
}

/// `DELETE /user/tokens/named`: 204, every named token of the caller deleted (and its invite
/// record: the tokens stop working).
pub(crate) async fn delete_all_named(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
) -> Result<StatusCode, Error> {
    let user = signed_in(user)?;
    transaction(&app, move |_, tx| {
        for id in tx.named_token_ids(&subject(&user))? {
            tx.delete_named_token(&id)?;
            tx.delete_invite(&id)?;
        }
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// `GET /user/tokens/named/name/{name}`: the caller's named token of that name.
pub(crate) async fn get_named_by_name(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(name): Path<String>,
) -> Result<Json<Value>, Error> {
    let user = signed_in(user)?;
    transaction(&app, move |app, tx| {
        let record = tx
            .named_token_by_name(&subject(&user), &name)?
            .ok_or(InviteError::NamedTokenNotFound)?;
        Ok(Json(named_json(app, tx, &record)?))
    })
    .await
}

/// `GET /tokens/named/{id}`: the NamedToken.
pub(crate) async fn get_named(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Error> {
    transaction(&app, move |app, tx| {
        let record = authorized_record(app, tx, user.as_ref(), &id)?;
        Ok(Json(named_json(app, tx, &record)?))
    })
    .await
}

/// `GET /tokens/named/{id}/status`: `{"revoked": ..}`.
pub(crate) async fn named_status(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Error> {
    transaction(&app, move |app, tx| {
        let record = authorized_record(app, tx, user.as_ref(), &id)?;
        Ok(Json(json!({ "revoked": record.revoked })))
    })
    .await
}

/// `PATCH /tokens/named/{id}` with any of `name`, `customMetadata`, `revoked`: 204. A name the
/// subject's other token holds is `badValueIdentifierOccupied`.
pub(crate) async fn update_named(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<StatusCode, Error> {
    transaction(&app, move |app, tx| {
        let mut record = authorized_record(app, tx, user.as_ref(), &id)?;
        let patch = NamedTokenPatch::from_json(&object(&body)?).map_err(refused)?;
        if let Some(name) = &patch.name {
            if let Subject::User(owner) = &record.subject
                && let Ok(owner) = UserId::new(owner.as_str())
            {
                tx.lock_user(&owner)?;
            }
            if tx.named_token_name_taken(&record.subject, name, &record.token_id)? {
                return Err(refused(TokenApiError::NameOccupied));
            }
        }
        patch.apply(&mut record);
        if !tx.update_named_token(&record)? {
            return Err(InviteError::NamedTokenNotFound.into());
        }
        if patch.revoked.is_some() {
            // An invite's record is what a join reads: it is revoked with the token.
            tx.set_revoked(&record.token_id, record.revoked)?;
        }
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// `DELETE /tokens/named/{id}`: 204; the token stops working.
pub(crate) async fn delete_named(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    transaction(&app, move |app, tx| {
        let record = authorized_record(app, tx, user.as_ref(), &id)?;
        if !tx.delete_named_token(&record.token_id)? {
            return Err(InviteError::NamedTokenNotFound.into());
        }
        tx.delete_invite(&record.token_id)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// `POST /user/tokens/temporary`: 201, `{"token"}` and no `Location` (a temporary token has no
/// resource). It needs a time caveat within the maximum lifetime (`tokenTimeCaveatRequired`
/// with `maxTtl`).
pub(crate) async fn create_temporary(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    body: JsonBody,
) -> Result<Response, Error> {
    let user = signed_in(user)?;
    transaction(&app, move |app, tx| {
        let request = TemporaryTokenRequest::from_json(&object(&body)?).map_err(refused)?;
        if let Some(group) = request.invite_group() {
            let group = group.map_err(refused)?;
            request.check_invitation(&access(app, tx, Some(&user), &group)?).map_err(refused)?;
        }
        let generation = tx.temporary_generation(&subject(&user))?;
        let secret = app.token_secrets.temporary(&subject(&user));
        let mut rng = rand::rand_core::UnwrapErr(SysRng);
        let issued = issue_temporary_token(
            &app.domain,
            subject(&user),
            request.token_type,
            &request.caveats,
            &secret,
            generation,
            app.clock.now(),
            app.max_temporary_ttl,
            &mut rng,
        )
        .map_err(issue_refused)?;
        Ok((StatusCode::CREATED, Json(json!({ "token": issued.token }))).into_response())
    })
    .await
}

/// `GET /user/tokens/temporary`: `{"generation": ..}`.
pub(crate) async fn temporary_generation(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
) -> Result<Json<Value>, Error> {
    let user = signed_in(user)?;
    transaction(&app, move |_, tx| {
        Ok(Json(json!({ "generation": tx.temporary_generation(&subject(&user))? })))
    })
    .await
}

/// `DELETE /user/tokens/temporary`: 204; every temporary token of the caller issued so far is
/// revoked (the generation rises by one, in the database every instance reads).
pub(crate) async fn revoke_temporary(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
) -> Result<StatusCode, Error> {
    let user = signed_in(user)?;
    transaction(&app, move |_, tx| {
        tx.next_temporary_generation(&subject(&user))?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// `POST /tokens/examine`: what a token says, unverified, in 20.02's shape. No caller is
/// needed, but credentials that are given are checked first, as on every route.
pub(crate) async fn examine(_: Caller, body: JsonBody) -> Result<Json<Value>, Error> {
    let token = read_token(&object(&body)?, "token").map_err(refused)?;
    let examined = examine_json(&token)
        .map_err(|e| refused(onezone_tokens::invite::bad_value_token("token", &e)))?;
    Ok(Json(examined))
}

/// `POST /tokens/confine`: `{"token"}`, the token with the caveats added (credentials, if
/// given, checked first).
pub(crate) async fn confine_token(_: Caller, body: JsonBody) -> Result<Json<Value>, Error> {
    let request = ConfineRequest::from_json(&object(&body)?).map_err(refused)?;
    let token = confine(&request.token, &request.caveats)
        .map_err(|e| refused(onezone_tokens::invite::bad_value_token("token", &e)))?;
    Ok(Json(json!({ "token": token })))
}

pub(crate) async fn verify_access_token(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    peer: PeerIp,
    body: JsonBody,
) -> Result<Json<Value>, Error> {
    verify(app, user, peer, body, false, VerifyKind::Access).await
}

pub(crate) async fn verify_identity_token(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    peer: PeerIp,
    body: JsonBody,
) -> Result<Json<Value>, Error> {
    verify(app, user, peer, body, false, VerifyKind::Identity).await
}

pub(crate) async fn verify_invite_token(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    peer: PeerIp,
    body: JsonBody,
) -> Result<Json<Value>, Error> {
    verify(app, user, peer, body, true, VerifyKind::Invite(None)).await
}

/// `POST /tokens/verify_*_token`: `{"subject", "ttl"}` for a token that verifies in the
/// context the body describes (oz-worker `token_logic_plugin.erl`
/// `build_token_verification_auth_ctx`): `peerIp` (else the caller's address), `interface`,
/// `consumerToken` (else the caller is the consumer; `null`: none), `serviceToken`. Else the
/// token's own error (400), as Onezone answers it.
async fn verify(
    app: Arc<App>,
    user: Option<UserId>,
    peer: PeerIp,
    body: JsonBody,
    invite: bool,
    kind: VerifyKind,
) -> Result<Json<Value>, Error> {
    let body = object(&body)?;
    let mut request = VerifyRequest::from_json(&body, invite).map_err(refused)?;
    if !invite {
        request.kind = kind;
    }
    let token = read_token(&body, "token").map_err(refused)?;
    request.check_invite_type(&token.identifier()).map_err(refused)?;
    transaction(&app, move |app, tx| {
        let at = app.clock.now();
        let texts = [
            Some(request.token.as_str()),
            request.service_token.as_deref(),
            request.consumer_token.as_ref().and_then(Option::as_deref),
        ];
        let secrets = DbSecrets::read(&app.token_secrets, tx, texts.into_iter().flatten())?;
        let authenticator =
            Authenticator::new(&secrets).with_max_temporary_ttl(app.max_temporary_ttl);
        let mut ctx = CaveatContext {
            now: at,
            ip: request.peer_ip.unwrap_or(peer.0),
            interface: request.interface,
            ..CaveatContext::default()
        };
        let as_error = |e: onezone_tokens::token::AuthError| Error::v2002(e.auth_error());
        if let Some(service) = &request.service_token {
            let headers = CredentialHeaders { service_token: Some(service), ..Default::default() };
            ctx.service = Some(authenticator.service(&headers, &ctx).map_err(as_error)?);
        }
        ctx.consumer = match &request.consumer_token {
            Some(Some(consumer)) => {
                let headers =
                    CredentialHeaders { consumer_token: Some(consumer), ..Default::default() };
                authenticator.consumer(&headers, &ctx).map_err(as_error)?
            }
            Some(None) => None,
            None => user.as_ref().and_then(|u| {
                onezone_tokens::token::Consumer::new(
                    onezone_tokens::token::ConsumerKind::User,
                    u.as_str(),
                )
                .ok()
            }),
        };
        let (subject, valid_until) = match request.kind {
            VerifyKind::Access => {
                let headers =
                    CredentialHeaders { access_token: Some(&request.token), ..Default::default() };
                let who = authenticator.authenticate(&headers, &ctx).map_err(as_error)?;
                let who = who.ok_or_else(|| Error::internal("a token was given"))?;
                (who.subject, who.token.valid_until())
            }
            VerifyKind::Identity => {
                let subject =
                    authenticator.verify_identity(&request.token, &ctx).map_err(as_error)?;
                (subject, earliest_expiry(&token_caveats(&request.token)))
            }
            _ => verify_invite(app, tx, &request, &secrets, &ctx)?,
        };
        Ok(Json(verification_json(&subject, valid_until, at)))
    })
    .await
}

fn token_caveats(text: &str) -> Vec<Caveat> {
    let Ok(token) = onezone_tokens::token::UnverifiedToken::parse(text) else { return Vec::new() };
    token
        .caveats()
        .into_iter()
        .filter_map(|c| match c {
            onezone_tokens::token::TokenCaveat::Known(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// An invite token verified: a named one against its invite record (the record every join
/// reads: revocation, usage left, the issuer), a temporary one against its subject's
/// generation.
fn verify_invite(
    app: &App,
    tx: &mut dyn Tx,
    request: &VerifyRequest,
    secrets: &DbSecrets<'_>,
    ctx: &CaveatContext,
) -> Result<(Subject, Option<u64>), Error> {
    let token = onezone_tokens::token::UnverifiedToken::parse(&request.token)
        .map_err(|e| refused(onezone_tokens::invite::bad_value_token("token", &e)))?;
    match token.identifier() {
        TokenIdentifier::V2(v2) if v2.persistence == Persistence::Named => {
            let invite = InviteToken::parse(&request.token)?;
            let record = tx.invite(invite.token_id())?.ok_or(InviteError::InvalidToken)?;
            let verified = invite.verify(&app.with_secret(record), ctx)?;
            Ok((subject(verified.issuer()), earliest_expiry(verified.caveats())))
        }
        _ => {
            let verified = Verifier::new(secrets)
                .with_max_temporary_ttl(app.max_temporary_ttl)
                .verify(&token, ctx)
                .map_err(|e| Error::v2002(e.onezone_error()))?;
            let subject = match verified.identifier() {
                TokenIdentifier::V2(v2) => v2.subject.into_owned(),
                _ => Subject::Nobody,
            };
            Ok((subject, verified.valid_until()))
        }
    }
}
