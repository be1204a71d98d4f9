//! The routes of the Onezone group-invite REST API (base path `/api/v3/onezone`).
//!
//! Each handler reads the caller from the `Authorization` header (`None` if it proves no one),
//! then runs its whole work in one transaction of the [`Store`](crate::store::Store) on a
//! blocking thread, calling the pure functions of `onezone_tokens`. Checks follow Onezone's
//! order: the resource exists (404), there is a caller (401), the caller holds the privilege
//! (403), the request is valid (415, 400).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use onezone_tokens::group::{
    Directory, DirectoryError, Group, GroupId, GroupType, Privilege, PrivilegeChange, UserId,
};
use onezone_tokens::invite::in_memory::{
    issue_child_invite_token, issue_invite_token, join_group_with_token,
    join_parent_group_with_token,
};
use onezone_tokens::invite::{GroupInviteToken, InviteError, InviteToken, JoinRequest};
use onezone_tokens::token::{CaveatContext, TokenCaveat, UnverifiedToken};
use rand::rngs::SysRng;
use rand::{RngExt, distr::Alphanumeric};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::App;
use crate::error::{Failure, json_errors, json_response};

/// The base path of every route.
pub const BASE: &str = "/api/v3/onezone";

/// The largest request body accepted (413 above).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The length of a generated group id.
const GROUP_ID_LEN: usize = 32;

/// The router of the API, with its request log, body limit and JSON errors.
pub fn router(app: Arc<App>) -> Router {
    let api = Router::new()
        .route("/user/groups", post(create_group))
        .route("/user/groups/join", post(join_group))
        .route("/groups/{id}", get(get_group))
        .route("/groups/{id}/users", get(list_users))
        .route("/groups/{id}/users/token", post(user_token))
        .route(
            "/groups/{id}/users/{uid}/privileges",
            get(user_privileges).patch(set_user_privileges),
        )
        .route("/groups/{id}/effective_users", get(list_effective_users))
        .route("/groups/{id}/effective_users/{uid}/privileges", get(effective_user_privileges))
        .route("/groups/{id}/children", get(list_children))
        .route("/groups/{id}/children/token", post(child_token))
        .route(
            "/groups/{id}/children/{cid}/privileges",
            get(child_privileges).patch(set_child_privileges),
        )
        .route("/groups/{id}/parents", get(list_parents))
        .route("/groups/{id}/parents/join", post(join_parent))
        .route("/tokens/examine", post(examine_token));
    Router::new()
        .nest(BASE, api)
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::map_response(json_errors))
        .layer(middleware::from_fn(log_request))
        .with_state(app)
}

// ---------------------------------------------------------------------------------------------
// Plumbing
// ---------------------------------------------------------------------------------------------

/// One line per request on stderr: method, path (no query string), status, time. Never a
/// header or a body.
async fn log_request(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let mut path = request.uri().path().to_owned();
    if path.len() > 200 {
        let mut end = 200;
        while !path.is_char_boundary(end) {
            end -= 1;
        }
        path.truncate(end);
        path.push_str("...");
    }
    let response = next.run(request).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    eprintln!("{method} {path} {} {ms:.2}ms", response.status().as_u16());
    response
}

async fn unknown_route() -> Failure {
    Failure::not_found("The resource could not be found")
}

/// The client's address, when the server runs with connection info (not in-process tests).
struct PeerIp(Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_canonical());
        Ok(PeerIp(ip))
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

async fn caller(app: &Arc<App>, headers: &HeaderMap) -> Option<UserId> {
    app.users.authenticate(headers.get(header::AUTHORIZATION)).await
}

/// Runs `f` on a blocking thread (it takes the database lock and may wait for the disk).
async fn blocking<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&App) -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    let app = Arc::clone(app);
    tokio::task::spawn_blocking(move || f(&app))
        .await
        .unwrap_or_else(|e| Err(Failure::internal(format!("a request failed: {e}"))))
}

/// Whether the body is blank (no body: the optional body of the token endpoints).
fn is_blank(body: &[u8]) -> bool {
    body.iter().all(u8::is_ascii_whitespace)
}

/// Whether a non-blank body is declared as JSON (`application/json`, parameters allowed).
fn declared_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| {
            let essence = essence.trim().to_ascii_lowercase();
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        })
}

fn unsupported_media_type() -> Failure {
    Failure::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Unsupported media type: send the body as JSON (Content-Type: application/json)",
    )
}

/// The body as `T`: 415 if it is not declared JSON, 400 if it is missing or does not read.
fn parse_body<T: for<'de> Deserialize<'de>>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, Failure> {
    if is_blank(body) {
        return Err(Failure::bad_request("Invalid request: missing JSON body"));
    }
    if !declared_json(headers) {
        return Err(unsupported_media_type());
    }
    serde_json::from_slice(body).map_err(|e| Failure::bad_request(format!("Invalid request: {e}")))
}

fn group_not_found(id: &str) -> Failure {
    // Only a valid id is echoed back; anything else could be arbitrary text from the path.
    match GroupId::new(id) {
        Ok(id) => Failure::not_found(format!("The resource could not be found: group {id}")),
        Err(_) => Failure::not_found("The resource could not be found"),
    }
}

/// The group `id` (404), then the caller (401), then `privilege` (403).
fn authorize(
    directory: &Directory,
    id: &str,
    caller: Option<&UserId>,
    privilege: Privilege,
) -> Result<(GroupId, UserId), Failure> {
    let group = GroupId::new(id).map_err(|_| group_not_found(id))?;
    if directory.group(&group).is_none() {
        return Err(group_not_found(id));
    }
    let caller = caller.ok_or_else(Failure::unauthorized)?;
    if !directory.effective_privileges(caller, &group).contains(privilege) {
        return Err(Failure::new(
            StatusCode::FORBIDDEN,
            format!(
                "You are not authorized to perform this operation (missing privilege {})",
                privilege.as_str()
            ),
        ));
    }
    Ok((group, caller.clone()))
}

fn directory_error(e: &DirectoryError) -> Failure {
    match e {
        DirectoryError::NoSuchGroup(id) => group_not_found(id.as_str()),
        DirectoryError::NotAMember { .. } | DirectoryError::NotAChild { .. } => {
            Failure::not_found(format!("The resource could not be found: {e}"))
        }
        DirectoryError::MissingPrivilege { privilege, .. } => Failure::new(
            StatusCode::FORBIDDEN,
            format!(
                "You are not authorized to perform this operation (missing privilege {})",
                privilege.as_str()
            ),
        ),
        DirectoryError::InvalidName { .. }
        | DirectoryError::AlreadyMember { .. }
        | DirectoryError::AlreadyChild { .. }
        | DirectoryError::WouldCreateCycle { .. }
        | DirectoryError::TooManyGroups { .. }
        | DirectoryError::TooManyUsers { .. }
        | DirectoryError::TooManyMembers { .. }
        | DirectoryError::TooManyChildren { .. }
        | DirectoryError::TooDeep { .. } => Failure::bad_request(format!("Bad value: {e}")),
        _ => Failure::internal(format!("directory: {e}")),
    }
}

fn created(location: &str, body: &impl Serialize) -> Response {
    let mut response = json_response(StatusCode::CREATED, body);
    match HeaderValue::from_str(location) {
        Ok(value) => {
            response.headers_mut().insert(header::LOCATION, value);
            response
        }
        Err(_) => Failure::internal("a Location header that is not ASCII").into_response(),
    }
}

fn ok_json(body: &impl Serialize) -> Response {
    json_response(StatusCode::OK, body)
}

fn respond<T>(result: Result<T, Failure>, f: impl FnOnce(T) -> Response) -> Response {
    match result {
        Ok(value) => f(value),
        Err(failure) => failure.into_response(),
    }
}

pub(crate) fn random_group_id() -> GroupId {
    let mut rng = rand::rand_core::UnwrapErr(SysRng);
    let id: String =
        (&mut rng).sample_iter(Alphanumeric).take(GROUP_ID_LEN).map(char::from).collect();
    match GroupId::new(id) {
        Ok(id) => id,
        Err(_) => unreachable!("32 ASCII letters and digits are a valid id"),
    }
}

fn caveat_context(peer: &PeerIp) -> CaveatContext {
    CaveatContext { now: now(), ip: peer.0, ..CaveatContext::default() }
}

// ---------------------------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateGroup {
    name: String,
    #[serde(rename = "type", default)]
    group_type: GroupType,
}

/// `POST /user/groups`: the caller creates a group and becomes its admin. 201, `Location:
/// /groups/{id}`, the group as body.
async fn create_group(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(user) = caller(&app, &headers).await else {
        return Failure::unauthorized().into_response();
    };
    let request: CreateGroup = match parse_body(&headers, &body) {
        Ok(request) => request,
        Err(failure) => return failure.into_response(),
    };
    let result = blocking(&app, move |app| {
        app.store.write(|tx| {
            // A collision of 190-bit random ids is only a theoretical case, yet handled.
            for _ in 0..8 {
                let id = random_group_id();
                match tx.change(|dir| {
                    dir.create_group(&user, id.clone(), request.name.clone(), request.group_type)
                }) {
                    Ok(()) => {
                        return tx
                            .directory()
                            .group(&id)
                            .cloned()
                            .ok_or_else(|| Failure::internal("lost a group"));
                    }
                    Err(DirectoryError::GroupExists(_)) => continue,
                    Err(e) => return Err(directory_error(&e)),
                }
            }
            Err(Failure::internal("no free group id"))
        })
    })
    .await;
    respond(result, |group: Group| created(&format!("/groups/{}", group.id), &group))
}

/// `GET /groups/{id}`: needs `group_view`.
async fn get_group(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = caller(&app, &headers).await;
    let result = blocking(&app, move |app| {
        app.store.read(|dir| {
            let (group, _) = authorize(dir, &id, user.as_ref(), Privilege::GroupView)?;
            dir.group(&group).cloned().ok_or_else(|| group_not_found(&id))
        })
    })
    .await;
    respond(result, |group| ok_json(&group))
}

#[derive(Serialize)]
struct Users {
    users: Vec<String>,
}

#[derive(Serialize)]
struct Groups {
    groups: Vec<String>,
}

#[derive(Serialize)]
struct Privileges {
    privileges: onezone_tokens::group::PrivilegeSet,
}

/// `GET /groups/{id}/users` and `/effective_users`: needs `group_view`.
async fn members(app: Arc<App>, id: String, headers: HeaderMap, effective: bool) -> Response {
    let user = caller(&app, &headers).await;
    let result = blocking(&app, move |app| {
        app.store.read(|dir| {
            let (group, _) = authorize(dir, &id, user.as_ref(), Privilege::GroupView)?;
            let list = if effective { dir.effective_members(&group) } else { dir.members(&group) };
            let list = list.ok_or_else(|| group_not_found(&id))?;
            Ok(Users { users: list.into_iter().map(|(u, _)| u.to_string()).collect() })
        })
    })
    .await;
    respond(result, |users| ok_json(&users))
}

async fn list_users(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    members(app, id, headers, false).await
}

async fn list_effective_users(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    members(app, id, headers, true).await
}

/// `GET /groups/{id}/users/{uid}/privileges` and `/effective_users/...`: needs `group_view`.
async fn member_privileges(
    app: Arc<App>,
    id: String,
    uid: String,
    headers: HeaderMap,
    effective: bool,
) -> Response {
    let user = caller(&app, &headers).await;
    let result = blocking(&app, move |app| {
        app.store.read(|dir| {
            let (group, _) = authorize(dir, &id, user.as_ref(), Privilege::GroupView)?;
            let not_member = || {
                Failure::not_found(format!(
                    "The resource could not be found: no {}member {} in group {group}",
                    if effective { "effective " } else { "" },
                    UserId::new(uid.as_str())
                        .map_or_else(|_| "with that id".to_owned(), |u| u.to_string()),
                ))
            };
            let member = UserId::new(uid.as_str()).map_err(|_| not_member())?;
            let privileges = if effective {
                dir.is_effective_member(&member, &group)
                    .then(|| dir.effective_privileges(&member, &group))
            } else {
                dir.direct_privileges(&member, &group)
            };
            privileges.map(|privileges| Privileges { privileges }).ok_or_else(not_member)
        })
    })
    .await;
    respond(result, |p| ok_json(&p))
}

async fn user_privileges(
    State(app): State<Arc<App>>,
    Path((id, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    member_privileges(app, id, uid, headers, false).await
}

async fn effective_user_privileges(
    State(app): State<Arc<App>>,
    Path((id, uid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    member_privileges(app, id, uid, headers, true).await
}

/// `GET /groups/{id}/children`: needs `group_view`.
async fn list_children(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = caller(&app, &headers).await;
    let result = blocking(&app, move |app| {
        app.store.read(|dir| {
            let (group, _) = authorize(dir, &id, user.as_ref(), Privilege::GroupView)?;
            let children = dir.children(&group).ok_or_else(|| group_not_found(&id))?;
            Ok(Groups { groups: children.into_iter().map(|(g, _)| g.to_string()).collect() })
        })
    })
    .await;
    respond(result, |groups| ok_json(&groups))
}

/// `GET /groups/{id}/parents`: needs `group_view`.
async fn list_parents(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let user = caller(&app, &headers).await;
    let result = blocking(&app, move |app| {
        app.store.read(|dir| {
            let (group, _) = authorize(dir, &id, user.as_ref(), Privilege::GroupView)?;
            let parents = dir.parents(&group).ok_or_else(|| group_not_found(&id))?;
            Ok(Groups { groups: parents.into_iter().map(ToString::to_string).collect() })
        })
    })
    .await;
    respond(result, |groups| ok_json(&groups))
}

/// `GET /groups/{id}/children/{cid}/privileges`: needs `group_view`.
async fn child_privileges(
    State(app): State<Arc<App>>,
    Path((id, cid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let user = caller(&app, &headers).await;
    let result = blocking(&app, move |app| {
        app.store.read(|dir| {
            let (group, _) = authorize(dir, &id, user.as_ref(), Privilege::GroupView)?;
            let not_child = || {
                Failure::not_found(format!(
                    "The resource could not be found: no child group {} in group {group}",
                    GroupId::new(cid.as_str())
                        .map_or_else(|_| "with that id".to_owned(), |g| g.to_string()),
                ))
            };
            let child = GroupId::new(cid.as_str()).map_err(|_| not_child())?;
            let privileges = dir.child_privileges(&child, &group).ok_or_else(not_child)?;
            Ok(Privileges { privileges })
        })
    })
    .await;
    respond(result, |p| ok_json(&p))
}

/// `PATCH /groups/{id}/users/{uid}/privileges`: needs `group_set_privileges`; 204.
async fn set_user_privileges(
    State(app): State<Arc<App>>,
    Path((id, uid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = caller(&app, &headers).await;
    let result = blocking(&app, move |app| {
        app.store.write(|tx| {
            let (group, actor) =
                authorize(tx.directory(), &id, user.as_ref(), Privilege::GroupSetPrivileges)?;
            let change: PrivilegeChange = parse_body(&headers, &body)?;
            let member = UserId::new(uid.as_str()).map_err(|_| {
                Failure::not_found("The resource could not be found: no member with that id")
            })?;
            tx.change(|dir| dir.change_user_privileges(&actor, &group, &member, change))
                .map_err(|e| directory_error(&e))?;
            Ok(())
        })
    })
    .await;
    respond(result, |()| StatusCode::NO_CONTENT.into_response())
}

/// `PATCH /groups/{id}/children/{cid}/privileges`: needs `group_set_privileges`; 204.
async fn set_child_privileges(
    State(app): State<Arc<App>>,
    Path((id, cid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = caller(&app, &headers).await;
    let result = blocking(&app, move |app| {
        app.store.write(|tx| {
            let (group, actor) =
                authorize(tx.directory(), &id, user.as_ref(), Privilege::GroupSetPrivileges)?;
            let change: PrivilegeChange = parse_body(&headers, &body)?;
            let child = GroupId::new(cid.as_str()).map_err(|_| {
                Failure::not_found("The resource could not be found: no child group with that id")
            })?;
            tx.change(|dir| dir.change_child_privileges(&actor, &group, &child, change))
                .map_err(|e| directory_error(&e))?;
            Ok(())
        })
    })
    .await;
    respond(result, |()| StatusCode::NO_CONTENT.into_response())
}

// ---------------------------------------------------------------------------------------------
// Invite tokens
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Invite {
    User,
    Child,
}

/// `POST /groups/{id}/users/token` and `/children/token`: the library checks and mints; the
/// record is stored in the same transaction before the token is answered.
async fn issue(
    app: Arc<App>,
    id: String,
    headers: HeaderMap,
    body: Bytes,
    kind: Invite,
) -> Response {
    let user = caller(&app, &headers).await;
    let result = blocking(&app, move |app| {
        app.store.write(|tx| {
            let mut rng = rand::rand_core::UnwrapErr(SysRng);
            let issue = match kind {
                Invite::User => issue_invite_token,
                Invite::Child => issue_child_invite_token,
            };
            let issued = issue(
                tx.directory(),
                user.as_ref(),
                &id,
                Some(&body),
                &app.policy,
                now(),
                &mut rng,
            )?;
            // The body is checked after the privileges, as the rest of the request; the library
            // read it as JSON, so it must be declared so (an empty body needs no type).
            if !is_blank(&body) && !declared_json(&headers) {
                return Err(unsupported_media_type());
            }
            tx.put_invite(&issued.record)?;
            Ok(issued.response)
        })
    })
    .await;
    respond(result, |token: GroupInviteToken| ok_json(&token))
}

async fn user_token(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    issue(app, id, headers, body, Invite::User).await
}

async fn child_token(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    issue(app, id, headers, body, Invite::Child).await
}

#[derive(Serialize)]
struct JoinedBody {
    #[serde(rename = "groupId")]
    group_id: String,
}

/// A written join: where the new membership lives, and the group joined.
struct Joined {
    location: String,
    group_id: GroupId,
}

fn joined_response(result: Result<Joined, Failure>) -> Response {
    respond(result, |joined| {
        created(&joined.location, &JoinedBody { group_id: joined.group_id.to_string() })
    })
}

/// `POST /user/groups/join`: the caller joins the group of the token. 201, `Location:
/// /user/groups/{id}`.
async fn join_group(
    State(app): State<Arc<App>>,
    peer: PeerIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(user) = caller(&app, &headers).await else {
        return Failure::unauthorized().into_response();
    };
    let request: JoinRequest = match parse_body(&headers, &body) {
        Ok(request) => request,
        Err(failure) => return failure.into_response(),
    };
    let token_id = match InviteToken::parse(&request.token) {
        Ok(token) => token.token_id().to_owned(),
        Err(e) => return Failure::from(e).into_response(),
    };
    let ctx = caveat_context(&peer);
    let result = blocking(&app, move |app| {
        app.store.write(|tx| {
            let mut record = tx.invite(&token_id)?.ok_or(InviteError::InvalidToken)?;
            let joined = tx.change(|dir| {
                join_group_with_token(dir, &mut record, &user, &request.token, &ctx)
            })?;
            tx.put_invite(&record)?;
            Ok(Joined { location: joined.location(), group_id: joined.group })
        })
    })
    .await;
    joined_response(result)
}

/// `POST /groups/{id}/parents/join`: group `id` joins the group of the token as its child; the
/// caller needs `group_join_group` in it. 201, `Location: /groups/{id}/parents/{parent}`.
async fn join_parent(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    peer: PeerIp,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let user = caller(&app, &headers).await;
    let ctx = caveat_context(&peer);
    let result = blocking(&app, move |app| {
        app.store.write(|tx| {
            let (_, actor) =
                authorize(tx.directory(), &id, user.as_ref(), Privilege::GroupJoinGroup)?;
            let request: JoinRequest = parse_body(&headers, &body)?;
            let token = InviteToken::parse(&request.token)?;
            let mut record = tx.invite(token.token_id())?.ok_or(InviteError::InvalidToken)?;
            let joined = tx.change(|dir| {
                join_parent_group_with_token(dir, &mut record, &actor, &id, &request.token, &ctx)
            })?;
            tx.put_invite(&record)?;
            Ok(Joined { location: joined.location(), group_id: joined.parent })
        })
    })
    .await;
    joined_response(result)
}

// ---------------------------------------------------------------------------------------------
// Examining a token
// ---------------------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExamineRequest {
    token: String,
}

/// `POST /tokens/examine`: what a token says, without trusting it (no credentials needed; the
/// signature is not checked).
async fn examine_token(headers: HeaderMap, body: Bytes) -> Response {
    let request: ExamineRequest = match parse_body(&headers, &body) {
        Ok(request) => request,
        Err(failure) => return failure.into_response(),
    };
    let token = match UnverifiedToken::parse(&request.token) {
        Ok(token) => token,
        Err(e) => {
            return Failure::bad_request(format!(
                "Bad value: provided \"token\" is not a valid token ({e})"
            ))
            .into_response();
        }
    };
    let caveats: Vec<Value> = token
        .caveats()
        .into_iter()
        .map(|caveat| match caveat {
            TokenCaveat::Known(c) => json!({
                "caveat": c.to_string(),
                "json": serde_json::to_value(&c).unwrap_or(Value::Null),
            }),
            TokenCaveat::Unknown { text, error } => json!({
                "caveat": text,
                "json": Value::Null,
                "error": error.to_string(),
            }),
        })
        .collect();
    let macaroon = token.macaroon();
    let identifier = token.identifier();
    let out = json!({
        "location": macaroon.location().map(|l| String::from_utf8_lossy(l).into_owned()),
        "identifier": identifier.to_string(),
        "identifierFields": identifier.fields_json(),
        "caveats": caveats,
        "format": token.format().name(),
        "escaped": token.escaped(),
        "verified": false,
    });
    ok_json(&out)
}
