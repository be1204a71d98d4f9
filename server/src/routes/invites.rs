//! Invite tokens: issuing them (`POST /groups/{id}/users/token`, `/children/token`) and joining
//! with them (`POST /user/groups/join`, `POST /groups/{id}/parents/join`). The library decides
//! each step over facts read in the request's transaction; the handler writes what it decided.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use onezone_tokens::group::{GroupId, LinkShape, Privilege};
use onezone_tokens::invite::{
    ChildJoinFacts, GroupInviteToken, InviteError, InviteToken, JoinRequest, UserJoinFacts,
    authorize, group_from_path, issue_child_invite_token, issue_invite_token,
    join_group_with_token, join_parent_group_with_token,
};
use rand::rngs::SysRng;
use serde::Serialize;

use super::Caller;
use super::{Created, JsonBody, PeerIp, access, authorize_in, caveat_context, now, transaction};
use crate::app::App;
use crate::error::Error;

#[derive(Clone, Copy)]
enum Invite {
    User,
    Child,
}

/// `POST /groups/{id}/users/token` and `/children/token`: the library checks and mints; the
/// record is stored in the same transaction before the token is answered.
async fn issue(
    app: Arc<App>,
    user: Option<onezone_tokens::group::UserId>,
    id: String,
    body: JsonBody,
    kind: Invite,
) -> Result<Json<GroupInviteToken>, Error> {
    transaction(&app, move |app, tx| {
        let group = group_from_path(&id)?;
        let access = access(app, tx, user.as_ref(), &group)?;
        let mut rng = rand::rand_core::UnwrapErr(SysRng);
        let issue = match kind {
            Invite::User => issue_invite_token,
            Invite::Child => issue_child_invite_token,
        };
        let needed = match kind {
            Invite::User => Privilege::GroupInviteUser,
            Invite::Child => Privilege::GroupInviteGroup,
        };
        // 404, 401, 403 first; then the body: 415 if it is not declared JSON, 400 (the
        // library's) if it is no valid request.
        authorize(&group, user.as_ref(), &access, needed)?;
        let body = body.optional()?;
        let issued = issue(&group, user.as_ref(), &access, body, &app.policy, now(), &mut rng)?;
        let issuer = &issued.record.issuer;
        let quota = app.quotas.open_invites_per_user;
        if quota > 0 && tx.open_invites_of(issuer, now(), quota)? >= quota {
            return Err(Error::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Quota exceeded: user {issuer} already has the maximum of {quota} open invite \
                     tokens; revoke some (PATCH /tokens/named/{{id}}) or let them expire"
                ),
            ));
        }
        // Stored without its secret: that is derived from the master key kept outside the
        // database.
        tx.insert_invite(&app.stored(&issued.record))?;
        Ok(Json(issued.response))
    })
    .await
}

pub(crate) async fn user_token(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Json<GroupInviteToken>, Error> {
    issue(app, user, id, body, Invite::User).await
}

pub(crate) async fn child_token(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Json<GroupInviteToken>, Error> {
    issue(app, user, id, body, Invite::Child).await
}

#[derive(Serialize)]
pub(crate) struct Joined {
    #[serde(rename = "groupId")]
    group_id: GroupId,
}

/// `POST /user/groups/join`: the caller joins the group of the token. 201, `Location:
/// /user/groups/{id}`.
pub(crate) async fn join_group(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    peer: PeerIp,
    body: JsonBody,
) -> Result<Created<Joined>, Error> {
    let user = user.ok_or(InviteError::Unauthenticated)?;
    let request: JoinRequest = body.parse()?;
    let token = InviteToken::parse(&request.token)?;
    let ctx = caveat_context(&peer);
    transaction(&app, move |app, tx| {
        let record = tx.invite(token.token_id())?.ok_or(InviteError::InvalidToken)?;
        let record = app.with_secret(record);
        let facts = UserJoinFacts {
            issuer: access(app, tx, Some(&record.issuer), &record.group_id)?,
            already_member: tx.membership(&record.group_id, &user)?.is_some(),
        };
        let join = join_group_with_token(&user, &token, &record, &facts, &ctx)?;
        if !tx.use_token(&join.token_use)? {
            return Err(join.token_use.spent().into());
        }
        if !tx.insert_membership(&join.group, &join.user, join.privileges)? {
            return Err(join.already_member().into());
        }
        Ok(Created(join.location(), Joined { group_id: join.group }))
    })
    .await
}

/// `POST /groups/{id}/parents/join`: group `id` joins the group of the token as its child; the
/// caller needs `group_join_group` in it. 201, `Location: /groups/{id}/parents/{parent}`.
pub(crate) async fn join_parent(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    peer: PeerIp,
    body: JsonBody,
) -> Result<Created<Joined>, Error> {
    let ctx = caveat_context(&peer);
    transaction(&app, move |app, tx| {
        // 404, 401, 403 for the joining group come before the body is read.
        let child = authorize_in(app, tx, &id, user.as_ref(), Privilege::GroupJoinGroup)?;
        let request: JoinRequest = body.parse()?;
        let token = InviteToken::parse(&request.token)?;
        let record = tx.invite(token.token_id())?.ok_or(InviteError::InvalidToken)?;
        let record = app.with_secret(record);
        let parent = record.group_id.clone();
        // The cycle check and the insertion must not interleave with another link.
        tx.lock_links()?;
        let links = tx.link_rows(&parent, child.group(), app.limits.max_depth)?;
        let facts = ChildJoinFacts {
            issuer: access(app, tx, Some(&record.issuer), &parent)?,
            already_child: tx.child_link(&parent, child.group())?.is_some(),
            link: LinkShape::from_rows(&parent, child.group(), &links)
                .map_err(InviteError::from)?,
        };
        let join =
            join_parent_group_with_token(&child, &token, &record, &facts, &ctx, &app.limits)?;
        if !tx.use_token(&join.token_use)? {
            return Err(join.token_use.spent().into());
        }
        if !tx.insert_child_link(&join.parent, &join.child, join.privileges)? {
            return Err(join.already_child().into());
        }
        Ok(Created(join.location(), Joined { group_id: join.parent }))
    })
    .await
}
