//! Invite tokens: issuing them (`POST /groups/{id}/users/token`, `/children/token`) and joining
//! with them (`POST /user/groups/join`, `POST /groups/{id}/parents/join`). The library decides
//! each step over facts read in the request's transaction; the handler writes what it decided.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use onezone_tokens::group::{GroupId, LinkShape};
use onezone_tokens::invite::{
    ChildJoinFacts, ChildLink, GroupInviteToken, InviteError, InviteGroup, InviteRecord,
    InviteToken, InviteUser, IssuedInvite, JoinParent, JoinRequest, Membership, UserJoinFacts,
    issue_child_invite_token, issue_invite_token, issue_legacy_child_invite_token,
    issue_legacy_invite_token, legacy_named_record,
};
use rand::rngs::SysRng;
use serde::Serialize;

use super::Caller;
use super::{Created, JsonBody, PeerIp, access, authorize_in, caveat_context, transaction};
use crate::app::{Api, App};
use crate::error::Error;
use crate::store::Tx;

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
        let mut rng = rand::rand_core::UnwrapErr(SysRng);
        let (policy, at) = (&app.policy, app.clock.now());
        // 404, 401, 403 first (the proof); then the body: 415 if it is not declared JSON, 400
        // (the library's) if it is no valid request.
        // 20.02 reads none of the body's keys (a JSON object, or none): a named invite, usage
        // limit 1, no caveats (oz-worker release/20.02.20 `token_logic.erl`
        // `create_legacy_invite_token`).
        let legacy = app.api == Api::V2002;
        let issued = match kind {
            Invite::User => {
                let caller = authorize_in(app, tx, &id, user.as_ref(), InviteUser)?;
                let body = body.optional()?;
                if legacy {
                    issue_legacy_invite_token(&caller, body, policy, at, &mut rng)?
                } else {
                    issue_invite_token(&caller, body, policy, at, &mut rng)?
                }
            }
            Invite::Child => {
                let caller = authorize_in(app, tx, &id, user.as_ref(), InviteGroup)?;
                let body = body.optional()?;
                if legacy {
                    issue_legacy_child_invite_token(&caller, body, policy, at, &mut rng)?
                } else {
                    issue_child_invite_token(&caller, body, policy, at, &mut rng)?
                }
            }
        };
        let issuer = &issued.record.issuer;
        let quota = app.quotas.open_invites_per_user;
        if quota > 0 {
            tx.lock_user(issuer)?;
        }
        if quota > 0 && tx.open_invites_of(issuer, app.clock.now(), quota)? >= quota {
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
        if legacy {
            store_named(tx, &issued, &mut rng)?;
        }
        Ok(Json(issued.response))
    })
    .await
}

/// 20.02 keeps a legacy invite as a named token too, under a generated name (the library's
/// `legacy_named_record`; oz-worker release/20.02.20 `token_logic.erl`
/// `create_legacy_invite_token`): the token routes list, read, revoke and delete it as any
/// other. A name already taken among the issuer's tokens draws another suffix.
fn store_named(
    tx: &mut dyn Tx,
    issued: &IssuedInvite,
    rng: &mut impl rand::Rng,
) -> Result<(), Error> {
    let group = tx
        .group(&issued.record.group_id)?
        .ok_or_else(|| Error::internal("the group of a legacy invite is gone"))?;
    // Names are unique per subject: the subject's creations and renames take turns.
    tx.lock_user(&issued.record.issuer)?;
    for _ in 0..8 {
        let mut suffix = [0u8; 3];
        rng.fill_bytes(&mut suffix);
        if tx.insert_named_token(&legacy_named_record(issued, &group.name, suffix))? {
            return Ok(());
        }
    }
    Err(Error::internal("no free name for a legacy invite token"))
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
    let token =
        InviteToken::parse_any(&request.token)?.with_max_temporary_ttl(app.max_temporary_ttl);
    let ctx = caveat_context(&app, &peer);
    transaction(&app, move |app, tx| {
        let record = invite_record(app, tx, &token)?;
        // The token against its record; then the facts the library names, read for its keys.
        let pending = token.user_join(&user, &record, &ctx)?;
        let needs = pending.needs();
        let facts = UserJoinFacts {
            issuer: access(app, tx, Some(&needs.issuer), &needs.group)?,
            membership: Membership {
                user: needs.user.clone(),
                group: needs.group.clone(),
                is_member: tx.membership(&needs.group, &needs.user)?.is_some(),
                members: tx.member_count(&needs.group, cap(app.limits.max_members_per_group))?,
            },
        };
        let join = pending.decide(&facts, &app.limits)?;
        // A named invite's use; a temporary one counts none.
        if let Some(token_use) = &join.token_use
            && !tx.use_token(token_use)?
        {
            return Err(token_use.spent().into());
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
    let ctx = caveat_context(&app, &peer);
    transaction(&app, move |app, tx| {
        // 404, 401, 403 for the joining group come before the body is read.
        let child = authorize_in(app, tx, &id, user.as_ref(), JoinParent)?;
        let request: JoinRequest = body.parse()?;
        let token =
            InviteToken::parse_any(&request.token)?.with_max_temporary_ttl(app.max_temporary_ttl);
        let record = invite_record(app, tx, &token)?;
        let pending = token.child_join(&child, &record, &ctx)?;
        let needs = pending.needs();
        let (parent, child) = (&needs.parent, &needs.child);
        // The cycle check and the insertion must not interleave with another link.
        tx.lock_links()?;
        let links = tx.link_rows(parent, child, app.limits.max_depth)?;
        let facts = ChildJoinFacts {
            issuer: access(app, tx, Some(&needs.issuer), parent)?,
            link: ChildLink {
                parent: parent.clone(),
                child: child.clone(),
                is_child: tx.child_link(parent, child)?.is_some(),
                shape: LinkShape::from_rows(parent, child, &links).map_err(InviteError::from)?,
                children: tx.child_count(parent, cap(app.limits.max_children_per_group))?,
            },
        };
        let join = pending.decide(&facts, &app.limits)?;
        // A named invite's use; a temporary one counts none.
        if let Some(token_use) = &join.token_use
            && !tx.use_token(token_use)?
        {
            return Err(token_use.spent().into());
        }
        if !tx.insert_child_link(&join.parent, &join.child, join.privileges)? {
            return Err(join.already_child().into());
        }
        Ok(Created(join.location(), Joined { group_id: join.parent }))
    })
    .await
}

/// The record `token` is checked against: a named invite's as stored (with its secret put
/// back), or the one a temporary invite stands for, made from its subject's shared secret and
/// current generation read in this transaction (so a `DELETE /user/tokens/temporary` revokes
/// it on every instance). Both APIs take this path; only `--api 20.02` issues temporary invites.
fn invite_record(app: &App, tx: &mut dyn Tx, token: &InviteToken) -> Result<InviteRecord, Error> {
    if token.is_temporary() {
        let subject = token.identifier().subject.into_owned();
        let generation = tx.temporary_generation(&subject)?;
        let secret = app.token_secrets.temporary(&subject);
        return Ok(InviteRecord::temporary(token, &secret, generation)?);
    }
    let record = tx.invite(token.token_id())?.ok_or(InviteError::InvalidToken)?;
    Ok(app.with_secret(record))
}

/// A cap of `DirectoryLimits` as the bound of a count: counting past it tells the decision
/// nothing more.
fn cap(max: usize) -> u64 {
    u64::try_from(max).unwrap_or(u64::MAX)
}
