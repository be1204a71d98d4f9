//! Named tokens after they are issued, as Onezone 20.02's token routes: `GET /user/tokens/named`
//! (one's own, or with `?group=ID` the open invites of a group), and by id `GET`, `PATCH`
//! (`{"revoked": true}`) and `DELETE` `/tokens/named/{id}`. The token's issuer manages it, or a
//! user holding `oz_tokens_manage` (the server's `--admin`); listings never show a secret or a
//! token.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use onezone_tokens::group::GroupId;
use onezone_tokens::invite::{
    AdminAccess, InviteError, InviteFilter, InviteSummary, authorize_named_token,
    list_named_tokens, update_named_token,
};
use serde::{Deserialize, Serialize};

use super::{Caller, JsonBody, transaction};
use crate::app::App;
use crate::error::Error;

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    group: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct NamedTokens {
    tokens: Vec<InviteSummary>,
}

/// `GET /user/tokens/named`: the caller's named tokens, oldest first; with `?group=ID`, the
/// invites of that group still open now that the caller may manage.
pub(crate) async fn list(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Query(query): Query<ListQuery>,
) -> Result<Json<NamedTokens>, Error> {
    transaction(&app, move |app, tx| {
        let user = user.ok_or(InviteError::Unauthenticated)?;
        let admin = app.admin(&user);
        let (records, filter) = match query.group {
            Some(id) => {
                let group = GroupId::new(id.as_str())
                    .map_err(|_| InviteError::GroupNotFound { group: None })?;
                (tx.invites_in(&group)?, InviteFilter::open_in_group(group, app.clock.now()))
            }
            None => (tx.invites_of(&user)?, InviteFilter::all()),
        };
        let tokens = list_named_tokens(Some(&user), admin, &records, &filter)?;
        Ok(Json(NamedTokens { tokens }))
    })
    .await
}

/// `GET /tokens/named/{id}`: what the token grants, its usage and expiry.
pub(crate) async fn get(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<InviteSummary>, Error> {
    transaction(&app, move |app, tx| {
        let record = tx.invite(&id)?;
        let admin = user.as_ref().map_or(AdminAccess::NONE, |u| app.admin(u));
        let record = authorize_named_token(user.as_ref(), admin, record.as_ref())?;
        Ok(Json(InviteSummary::from(record)))
    })
    .await
}

/// `PATCH /tokens/named/{id}` with `{"revoked": true}` (or `false`): 204. A body not declared
/// JSON is 415, after the 404, 401 and 403 checks, as on every other route with a body.
pub(crate) async fn update(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<StatusCode, Error> {
    transaction(&app, move |app, tx| {
        let record = tx.invite(&id)?;
        let admin = user.as_ref().map_or(AdminAccess::NONE, |u| app.admin(u));
        authorize_named_token(user.as_ref(), admin, record.as_ref())?;
        let body = body.optional()?;
        let update = update_named_token(user.as_ref(), admin, record.as_ref(), body)?;
        if !tx.set_revoked(&update.token_id, update.revoked)? {
            return Err(InviteError::NamedTokenNotFound.into());
        }
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// `DELETE /tokens/named/{id}`: 204; the token stops working (its record is gone).
pub(crate) async fn delete(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    transaction(&app, move |app, tx| {
        let record = tx.invite(&id)?;
        let admin = user.as_ref().map_or(AdminAccess::NONE, |u| app.admin(u));
        let record = authorize_named_token(user.as_ref(), admin, record.as_ref())?;
        if !tx.delete_invite(&record.token_id)? {
            return Err(InviteError::NamedTokenNotFound.into());
        }
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}
