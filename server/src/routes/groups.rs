//! Groups: creating one, reading it, its members, children and parents, and their privileges.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use onezone_tokens::group::{
    DirectoryError, Group, GroupId, GroupType, Privilege, PrivilegeSet, UserId,
    effective_privileges_from_rows,
};
use onezone_tokens::invite::InviteError;
use serde::{Deserialize, Serialize};

use super::Caller;
use super::{Created, JsonBody, authorize_in, transaction, v2002};
use crate::app::{App, random_group_id};
use crate::error::Error;

#[derive(Deserialize)]
// Unknown keys are ignored, as Onezone does.
struct CreateGroup {
    name: String,
    #[serde(rename = "type", default)]
    group_type: GroupType,
}

/// `POST /user/groups`: the caller creates a group and becomes its admin. 201, `Location:
/// /groups/{id}`, the group as body.
pub(crate) async fn create(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    body: JsonBody,
) -> Result<Created<Group>, Error> {
    let user = user.ok_or(InviteError::Unauthenticated)?;
    let request: CreateGroup = body.parse()?;
    let group = insert(&app, user, request.name, request.group_type).await?;
    Ok(Created(format!("/groups/{}", group.id), group))
}

/// Creates a group of `user`, who gets the creator's privileges of the server's API line,
/// within the user's quota.
pub(crate) async fn insert(
    app: &Arc<App>,
    user: UserId,
    name: String,
    group_type: GroupType,
) -> Result<Group, Error> {
    transaction(app, move |app, tx| {
        let quota = app.quotas.groups_per_user;
        if quota > 0 {
            tx.lock_user(&user)?;
        }
        if quota > 0 && tx.groups_created_by(&user, quota)? >= quota {
            return Err(Error::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Quota exceeded: user {user} has already created the maximum of {quota} groups"
                ),
            ));
        }
        // A collision of 190-bit random ids is only a theoretical case, yet handled.
        for _ in 0..8 {
            let group = Group::new(random_group_id(), name.clone(), group_type).map_err(refused)?;
            if tx.insert_group(&group, Some(&user))? {
                tx.insert_membership(&group.id, &user, v2002::creator_privileges(app.api))?;
                return Ok(group);
            }
        }
        Err(Error::internal("no free group id"))
    })
    .await
}

/// A refusal of the group model, as the API answers it.
pub(crate) fn refused(e: DirectoryError) -> Error {
    match e {
        DirectoryError::NotAMember { .. } | DirectoryError::NotAChild { .. } => {
            Error::not_found(format!("The resource could not be found: {e}"))
        }
        DirectoryError::NoSuchGroup(group) => InviteError::group_not_found(group.as_str()).into(),
        e => InviteError::Refused(e).into(),
    }
}

/// `GET /groups/{id}`: needs `group_view`.
pub(crate) async fn get(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<Group>, Error> {
    transaction(&app, move |app, tx| {
        let group = authorize_in(app, tx, &id, user.as_ref(), Privilege::GroupView)?;
        let group = tx.group(group.group())?;
        group.map(Json).ok_or_else(|| InviteError::group_not_found(&id).into())
    })
    .await
}

#[derive(Serialize)]
pub(crate) struct Users {
    users: Vec<UserId>,
}

#[derive(Serialize)]
pub(crate) struct Groups {
    groups: Vec<GroupId>,
}

#[derive(Serialize)]
pub(crate) struct Privileges {
    privileges: PrivilegeSet,
}

/// `GET /groups/{id}/users`: needs `group_view`.
pub(crate) async fn users(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<Users>, Error> {
    transaction(&app, move |app, tx| {
        let group = authorize_in(app, tx, &id, user.as_ref(), Privilege::GroupView)?;
        Ok(Json(Users { users: tx.members(group.group())? }))
    })
    .await
}

/// `GET /groups/{id}/effective_users`: needs `group_view`.
pub(crate) async fn effective_users(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<Users>, Error> {
    transaction(&app, move |app, tx| {
        let group = authorize_in(app, tx, &id, user.as_ref(), Privilege::GroupView)?;
        let users = tx.effective_members(group.group(), app.limits.max_depth)?;
        Ok(Json(Users { users }))
    })
    .await
}

fn no_member(uid: &str, group: &GroupId, effective: bool) -> Error {
    Error::not_found(format!(
        "The resource could not be found: no {}member {} in group {group}",
        if effective { "effective " } else { "" },
        UserId::new(uid).map_or_else(|_| "with that id".to_owned(), |u| u.to_string()),
    ))
}

/// `GET /groups/{id}/users/{uid}/privileges`: needs `group_view`.
pub(crate) async fn user_privileges(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path((id, uid)): Path<(String, String)>,
) -> Result<Json<Privileges>, Error> {
    transaction(&app, move |app, tx| {
        let needed = v2002::to_view_privileges(app.api, user.as_ref(), Some(&uid));
        let group = &v2002::authorize_view(app, tx, &id, user.as_ref(), needed)?;
        let member = UserId::new(uid.as_str()).map_err(|_| no_member(&uid, group, false))?;
        let privileges =
            tx.membership(group, &member)?.ok_or_else(|| no_member(&uid, group, false))?;
        Ok(Json(Privileges { privileges: v2002::listed(app.api, privileges) }))
    })
    .await
}

/// `GET /groups/{id}/effective_users/{uid}/privileges`: needs `group_view`.
pub(crate) async fn effective_user_privileges(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path((id, uid)): Path<(String, String)>,
) -> Result<Json<Privileges>, Error> {
    transaction(&app, move |app, tx| {
        let needed = v2002::to_view_privileges(app.api, user.as_ref(), Some(&uid));
        let group = &v2002::authorize_view(app, tx, &id, user.as_ref(), needed)?;
        let member = UserId::new(uid.as_str()).map_err(|_| no_member(&uid, group, true))?;
        let (memberships, links) = tx.privilege_rows(&member, group, app.limits.max_depth)?;
        // The rows are the user's memberships in the group and below it: any one makes the user
        // an effective member.
        if memberships.is_empty() {
            return Err(no_member(&uid, group, true));
        }
        let privileges = effective_privileges_from_rows(&member, group, &memberships, &links)
            .map_err(InviteError::from)?;
        Ok(Json(Privileges { privileges: v2002::listed(app.api, privileges) }))
    })
    .await
}

/// `GET /groups/{id}/children`: needs `group_view`.
pub(crate) async fn children(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<Groups>, Error> {
    transaction(&app, move |app, tx| {
        let group = authorize_in(app, tx, &id, user.as_ref(), Privilege::GroupView)?;
        Ok(Json(Groups { groups: tx.children(group.group())? }))
    })
    .await
}

/// `GET /groups/{id}/parents`: needs `group_view`.
pub(crate) async fn parents(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<Groups>, Error> {
    transaction(&app, move |app, tx| {
        let group = authorize_in(app, tx, &id, user.as_ref(), Privilege::GroupView)?;
        Ok(Json(Groups { groups: tx.parents(group.group())? }))
    })
    .await
}

/// `GET /groups/{id}/children/{cid}/privileges`: needs `group_view`.
pub(crate) async fn child_privileges(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path((id, cid)): Path<(String, String)>,
) -> Result<Json<Privileges>, Error> {
    transaction(&app, move |app, tx| {
        let needed = v2002::to_view_privileges(app.api, user.as_ref(), None);
        let group = &v2002::authorize_view(app, tx, &id, user.as_ref(), needed)?;
        let no_child = || {
            Error::not_found(format!(
                "The resource could not be found: no child group {} in group {group}",
                GroupId::new(cid.as_str())
                    .map_or_else(|_| "with that id".to_owned(), |g| g.to_string()),
            ))
        };
        let child = GroupId::new(cid.as_str()).map_err(|_| no_child())?;
        let privileges = tx.child_link(group, &child)?.ok_or_else(no_child)?;
        Ok(Json(Privileges { privileges: v2002::listed(app.api, privileges) }))
    })
    .await
}

/// `PATCH /groups/{id}/users/{uid}/privileges`: needs `group_set_privileges`; 204.
pub(crate) async fn set_user_privileges(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path((id, uid)): Path<(String, String)>,
    body: JsonBody,
) -> Result<StatusCode, Error> {
    transaction(&app, move |app, tx| {
        let group = authorize_in(app, tx, &id, user.as_ref(), Privilege::GroupSetPrivileges)?;
        let change = v2002::Change::read(app.api, &body)?;
        let member = UserId::new(uid.as_str()).map_err(|_| {
            Error::not_found("The resource could not be found: no member with that id")
        })?;
        let group = group.group().clone();
        let old = tx.membership(&group, &member)?.ok_or_else(|| {
            refused(DirectoryError::NotAMember { user: member.clone(), group: group.clone() })
        })?;
        let new = change.apply(old);
        if new != old {
            tx.update_membership(&group, &member, new)?;
        }
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// `PATCH /groups/{id}/children/{cid}/privileges`: needs `group_set_privileges`; 204.
pub(crate) async fn set_child_privileges(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path((id, cid)): Path<(String, String)>,
    body: JsonBody,
) -> Result<StatusCode, Error> {
    transaction(&app, move |app, tx| {
        let parent = authorize_in(app, tx, &id, user.as_ref(), Privilege::GroupSetPrivileges)?;
        let change = v2002::Change::read(app.api, &body)?;
        let child = GroupId::new(cid.as_str()).map_err(|_| {
            Error::not_found("The resource could not be found: no child group with that id")
        })?;
        let parent = parent.group().clone();
        if tx.group(&child)?.is_none() {
            return Err(refused(DirectoryError::NoSuchGroup(child)));
        }
        let old = tx.child_link(&parent, &child)?.ok_or_else(|| {
            refused(DirectoryError::NotAChild { child: child.clone(), parent: parent.clone() })
        })?;
        let new = change.apply(old);
        if new != old {
            tx.update_child_link(&parent, &child, new)?;
        }
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}
