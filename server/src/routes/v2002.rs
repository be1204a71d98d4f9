//! The user and group routes as Onezone 20.02 answers them (`--api 20.02`), where they differ
//! from 17.06: `GET /user`, `GET /user/groups`; `POST /user/groups` and the joins answer 201
//! with an absolute `Location` and no body; `GET /groups/{id}` in its `protected` shape;
//! privileges listed and changed in 20.02's names (`{"grant", "revoke"}`). Sources: oz-worker
//! release/20.02.20 `src/http/rest/routes/{user,group}_routes.erl`,
//! `src/http/rest/translators/{user,group}_rest_translator.erl`, `rest_translator.erl`,
//! `src/logic/group_logic_plugin.erl`.
//!
//! This server's user ids are its user names: `userId` and `username` are the same.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onezone_tokens::group::{
    GroupCreation, GroupId, Privilege, PrivilegeChange, PrivilegeSet, PrivilegeUpdate, UserId,
    Vocabulary,
};
use onezone_tokens::invite::{InviteError, group_from_path};
use serde_json::{Value, json};

use super::{BASE, Caller, Created, JsonBody, PeerIp, groups, invites, transaction};
use crate::app::{Api, App};
use crate::error::Error;

/// The privileges a group's creator gets: 17.06's admin set, or 20.02's 21 names (ctool
/// release/20.02.20 `privileges.erl` `group_admin/0`, given by oz-worker's
/// `group_logic_plugin.erl` `create` of `instance`).
pub(crate) fn creator_privileges(api: Api) -> PrivilegeSet {
    match api {
        Api::V1706 => PrivilegeSet::admin(),
        Api::V2002 => Vocabulary::Onezone2002.admin(),
    }
}

/// A stored set as the API lists it: under 20.02 in 20.02's names (a set stored under 17.06 is
/// mapped by the library's upgrade map), under 17.06 as stored.
pub(crate) fn listed(api: Api, stored: PrivilegeSet) -> PrivilegeSet {
    match api {
        Api::V1706 => stored,
        Api::V2002 => stored.in_vocabulary(Vocabulary::Onezone2002),
    }
}

/// A privilege change as each line writes it: 17.06's `{"operation", "privileges"}`, or
/// 20.02's `{"grant", "revoke"}` in 20.02's names.
pub(crate) enum Change {
    V1706(PrivilegeChange),
    V2002(PrivilegeUpdate),
}

impl Change {
    /// Reads the body of a `PATCH .../privileges`.
    pub(crate) fn read(api: Api, body: &JsonBody) -> Result<Change, Error> {
        match api {
            Api::V1706 => Ok(Change::V1706(body.parse()?)),
            Api::V2002 => PrivilegeUpdate::parse_in(Vocabulary::Onezone2002, body.optional()?)
                .map(Change::V2002)
                .map_err(|e| Error::refused(&e)),
        }
    }

    /// The privileges after the change.
    pub(crate) fn apply(&self, current: PrivilegeSet) -> PrivilegeSet {
        match self {
            Change::V1706(change) => change.apply(current),
            Change::V2002(update) => update.apply(current),
        }
    }
}

/// A path of the API as an absolute URL on the server's domain, as 20.02 writes `Location`
/// (oz-worker release/20.02.20 `rest_translator.erl` `created_reply_with_location`,
/// `oz_worker.erl` `get_rest_uri`: `https://<domain>/api/v3/onezone<path>`).
pub(crate) fn absolute(app: &App, path: &str) -> String {
    format!("https://{}{BASE}{path}", app.domain)
}

/// 201 with a `Location` and no body.
pub(crate) struct CreatedAt(pub String);

impl IntoResponse for CreatedAt {
    fn into_response(self) -> Response {
        match HeaderValue::from_str(&self.0) {
            Ok(location) => (StatusCode::CREATED, [(header::LOCATION, location)]).into_response(),
            Err(_) => Error::internal("a Location header that is not ASCII").into_response(),
        }
    }
}

/// `GET /user`: the caller's `protected` record (oz-worker release/20.02.20
/// `user_rest_translator.erl`), with the deprecated keys it still writes. This server keeps no
/// full name, e-mail, linked account or creation time: `fullName` is the user name, the lists
/// are empty and `creationTime` is left out.
pub(crate) async fn user(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
) -> Result<Json<Value>, Error> {
    let user = user.ok_or(InviteError::Unauthenticated)?;
    transaction(&app, move |_, tx| {
        let basic_auth = tx.user_hash(user.as_str())?.is_some();
        let name = user.as_str();
        Ok(Json(json!({
            "userId": name,
            "username": name,
            "fullName": name,
            "basicAuthEnabled": basic_auth,
            "blocked": false,
            "emails": [],
            "linkedAccounts": [],
            "name": name,
            "login": name,
            "alias": name,
            "emailList": [],
        })))
    })
    .await
}

/// `GET /user/groups`: `{"groups": [ids]}`, the groups the caller is a direct member of.
pub(crate) async fn user_groups(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
) -> Result<Json<Value>, Error> {
    let user = user.ok_or(InviteError::Unauthenticated)?;
    transaction(&app, move |_, tx| Ok(Json(json!({ "groups": tx.groups_of(&user)? })))).await
}

/// `POST /user/groups`: the body in 20.02's words (its type names, `team` by default); the
/// creator gets 20.02's admin privileges. 201, `Location:
/// https://<domain>/api/v3/onezone/user/groups/{id}`, no body (oz-worker release/20.02.20
/// `group_rest_translator.erl` `create_response` with `?AS_USER`).
pub(crate) async fn create_group(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    body: JsonBody,
) -> Result<CreatedAt, Error> {
    let user = user.ok_or(InviteError::Unauthenticated)?;
    let request = GroupCreation::parse_2002(body.optional()?).map_err(|e| Error::refused(&e))?;
    let group = groups::insert(&app, user, request.name, request.group_type).await?;
    Ok(CreatedAt(absolute(&app, &format!("/user/groups/{}", group.id))))
}

/// `POST /user/groups/join`: as 17.06 decides it; 201 with the absolute `Location`, no body
/// (oz-worker release/20.02.20 `group_rest_translator.erl`, `join` as `instance`, `?AS_USER`).
pub(crate) async fn join_group(
    state: State<Arc<App>>,
    caller: Caller,
    peer: PeerIp,
    body: JsonBody,
) -> Result<CreatedAt, Error> {
    let app = Arc::clone(&state.0);
    let Created(location, _) = invites::join_group(state, caller, peer, body).await?;
    Ok(CreatedAt(absolute(&app, &location)))
}

/// `POST /groups/{id}/parents/join`: 201, `Location:
/// https://<domain>/api/v3/onezone/groups/{id}/parents/{parent}`, no body (`?AS_GROUP`).
pub(crate) async fn join_parent(
    state: State<Arc<App>>,
    caller: Caller,
    path: Path<String>,
    peer: PeerIp,
    body: JsonBody,
) -> Result<CreatedAt, Error> {
    let app = Arc::clone(&state.0);
    let Created(location, _) = invites::join_parent(state, caller, path, peer, body).await?;
    Ok(CreatedAt(absolute(&app, &location)))
}

/// `GET /groups/{id}` in 20.02's `protected` scope: `groupId`, `name`, `type` (20.02's names),
/// `creator` as a subject (`{"type": "user", "id"}`, or `{"type": "nobody", "id": null}` when
/// unknown: ctool `aai.erl` `subject_to_json`). Any effective member may read it, whatever
/// their privileges (oz-worker release/20.02.20 `group_logic_plugin.erl` `authorize`:
/// `auth_by_membership`). This server keeps no creation time: `creationTime` is left out.
pub(crate) async fn get_group(
    State(app): State<Arc<App>>,
    Caller(user): Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, Error> {
    transaction(&app, move |app, tx| {
        let group_id = group_from_path(&id)?;
        let Some(group) = tx.group(&group_id)? else {
            return Err(InviteError::group_not_found(&id).into());
        };
        let user = user.ok_or(InviteError::Unauthenticated)?;
        // The rows are the user's memberships in the group and below it: any one makes the
        // user an effective member (and privileges, `group_view` among them, come only so).
        let member = !tx.privilege_rows(&user, &group_id, app.limits.max_depth)?.0.is_empty();
        if !member {
            return Err(InviteError::MissingPrivilege { privilege: Privilege::GroupView }.into());
        }
        let creator = match tx.group_creator(&group_id)? {
            Some(creator) => json!({"type": "user", "id": creator}),
            None => json!({"type": "nobody", "id": null}),
        };
        Ok(Json(json!({
            "groupId": group.id,
            "name": group.name,
            "type": group.group_type.name_2002(),
            "creator": creator,
        })))
    })
    .await
}

/// The privilege needed to read a member's (or a child's) privileges: `group_view` in 17.06;
/// in 20.02 `group_view_privileges`, except for one's own (oz-worker release/20.02.20
/// `group_logic_plugin.erl` `authorize` of `user_privileges`, `eff_user_privileges`,
/// `child_privileges`). `None`: no privilege needed, only that the group exists and the caller
/// is authenticated.
pub(crate) fn to_view_privileges(
    api: Api,
    caller: Option<&UserId>,
    of_user: Option<&str>,
) -> Option<Privilege> {
    match api {
        Api::V1706 => Some(Privilege::GroupView),
        Api::V2002 if caller.is_some() && caller.map(UserId::as_str) == of_user => None,
        Api::V2002 => Some(Privilege::GroupViewPrivileges),
    }
}

/// Onezone's checks for reading privileges in group `id`: it exists (404), a caller (401), the
/// privilege [`to_view_privileges`] names (403).
pub(crate) fn authorize_view(
    app: &App,
    tx: &mut dyn crate::store::Tx,
    id: &str,
    caller: Option<&UserId>,
    needed: Option<Privilege>,
) -> Result<GroupId, Error> {
    match needed {
        Some(privilege) => Ok(super::authorize_in(app, tx, id, caller, privilege)?.group().clone()),
        None => {
            let group = group_from_path(id)?;
            if tx.group(&group)?.is_none() {
                return Err(InviteError::group_not_found(id).into());
            }
            caller.ok_or(InviteError::Unauthenticated)?;
            Ok(group)
        }
    }
}
