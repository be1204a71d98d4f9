//! Named tokens after they are issued, as Onezone 20.02's token routes: `GET /user/tokens/named`
//! (one's own, or with `?group=ID` the open invites of a group), and by id `GET`, `PATCH`
//! (`{"revoked": true}`) and `DELETE` `/tokens/named/{id}`. The token's issuer manages it, or a
//! user holding `oz_tokens_manage` (the server's `--admin`); listings never show a secret or a
//! token.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use onezone_tokens::group::GroupId;
use onezone_tokens::invite::{
    AdminAccess, InviteError, InviteFilter, InviteSummary, authorize_named_token,
    list_named_tokens, update_named_token,
};
use serde::{Deserialize, Serialize};

use super::{Caller, Ok200, now, transaction};
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
) -> Result<Ok200<NamedTokens>, Error> {
    transaction(&app, move |app, tx| {
        let user = user.ok_or(InviteError::Unauthenticated)?;
        let admin = app.admin(&user);
        let (records, filter) = match query.group {
            Some(id) => {
                let group = GroupId::new(id.as_str())
                    .map_err(|_| InviteError::GroupNotFound { group: None })?;
                (tx.invites_in(&group)?, InviteFilter::open_in_group(group, now()))
            }
            None => (tx.invites_of(&user)?, InviteFilter::all()),
        };
        let tokens = list_named_tokens(Some(&user), admin, &records, &filter)?;
        Ok(Ok200(NamedTokens { tokens }))
    })
    .await
}

/// `GET /tokens/named/{id}`: what the token grants, its usage and expiry.
pub(crate) async fn get(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Ok200<InviteSummary>, Error> {
    transaction(&app, move |app, tx| {
        let record = tx.invite(&id)?;
        let admin = user.as_ref().map_or(AdminAccess::NONE, |u| app.admin(u));
        let record = authorize_named_token(user.as_ref(), admin, record.as_ref())?;
        Ok(Ok200(InviteSummary::from(record)))
    })
    .await
}

/// `PATCH /tokens/named/{id}` with `{"revoked": true}` (or `false`): 204.
pub(crate) async fn update(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<StatusCode, Error> {
    transaction(&app, move |app, tx| {
        let record = tx.invite(&id)?;
        let admin = user.as_ref().map_or(AdminAccess::NONE, |u| app.admin(u));
        let update = update_named_token(user.as_ref(), admin, record.as_ref(), Some(&body))?;
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
