//! The routes of the Onezone group-invite REST API (base path `/api/v3/onezone`), one file per
//! resource: `groups`, `invites` (issuing invite tokens and joining with them), `tokens`.
//!
//! A handler gets the caller from the [`Caller`] extractor (credentials
//! that are present but wrong answer 401 before anything else), then runs its whole work in one
//! transaction of the [`Store`](crate::store::Store) on a blocking thread, asking
//! `onezone_tokens` for every decision. Checks follow Onezone's order: the resource exists (404),
//! there is a caller (401), the caller holds the privilege (403), the request is valid (415,
//! 400).

mod api_calls;
mod groups;
mod invites;
mod named_tokens;
mod tokens;
mod tokens_2002;
mod v2002;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use onezone_tokens::group::{GroupId, PrivilegeSet, UserId, effective_privileges_from_rows};
use onezone_tokens::invite::{
    Authorized, GroupAccess, InviteError, Operation, RequestError, authorize, group_from_path,
    read_json_object,
};
use onezone_tokens::onezone_error::OnezoneError;
use onezone_tokens::token::CaveatContext;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::app::{Api, App};
use crate::auth::Credentials;
use crate::error::{BODY_LIMIT, Error, json_errors};
use crate::store::Tx;
use crate::token_auth::{self, RequestContext, RequestTokens};

/// The base path of every route.
pub const BASE: &str = "/api/v3/onezone";

/// The router of the API, with its request log, body limit and JSON errors.
pub fn router(app: Arc<App>) -> Router {
    // Where 20.02 answers otherwise, its handler (`v2002`); its routes 17.06 lacks, only then.
    let v2002 = app.api == Api::V2002;
    let api = Router::new()
        .route(
            "/user/groups",
            if v2002 {
                post(v2002::create_group).get(v2002::user_groups)
            } else {
                post(groups::create)
            },
        )
        .route(
            "/user/groups/join",
            if v2002 { post(v2002::join_group) } else { post(invites::join_group) },
        )
        .route("/groups/{id}", if v2002 { get(v2002::get_group) } else { get(groups::get) })
        .route("/groups/{id}/users", get(groups::users))
        .route("/groups/{id}/users/token", post(invites::user_token))
        .route(
            "/groups/{id}/users/{uid}/privileges",
            get(groups::user_privileges).patch(groups::set_user_privileges),
        )
        .route("/groups/{id}/effective_users", get(groups::effective_users))
        .route(
            "/groups/{id}/effective_users/{uid}/privileges",
            get(groups::effective_user_privileges),
        )
        .route("/groups/{id}/children", get(groups::children))
        .route("/groups/{id}/children/token", post(invites::child_token))
        .route(
            "/groups/{id}/children/{cid}/privileges",
            get(groups::child_privileges).patch(groups::set_child_privileges),
        )
        .route("/groups/{id}/parents", get(groups::parents))
        .route(
            "/groups/{id}/parents/join",
            if v2002 { post(v2002::join_parent) } else { post(invites::join_parent) },
        );
    let api = match app.api {
        Api::V1706 => api
            .route("/tokens/examine", post(tokens::examine))
            .route("/user/tokens/named", get(named_tokens::list))
            .route(
                "/tokens/named/{id}",
                get(named_tokens::get).patch(named_tokens::update).delete(named_tokens::delete),
            ),
        Api::V2002 => token_routes_2002(api).route("/user", get(v2002::user)),
    };
    Router::new()
        .nest(BASE, api)
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(Arc::clone(&app), answer_late_body))
        .layer(middleware::map_response_with_state(Arc::clone(&app), json_errors))
        .layer(request_log())
        .with_state(app)
}

/// The token routes of Onezone 20.02 (`tokens_2002`).
fn token_routes_2002(api: Router<Arc<App>>) -> Router<Arc<App>> {
    use tokens_2002 as t;
    api.route("/tokens/examine", post(t::examine))
        .route("/tokens/confine", post(t::confine_token))
        .route("/tokens/verify_access_token", post(t::verify_access_token))
        .route("/tokens/verify_identity_token", post(t::verify_identity_token))
        .route("/tokens/verify_invite_token", post(t::verify_invite_token))
        .route(
            "/user/tokens/named",
            get(t::list_named).post(t::create_named).delete(t::delete_all_named),
        )
        .route("/user/tokens/named/name/{name}", get(t::get_named_by_name))
        .route(
            "/tokens/named/{id}",
            get(t::get_named).patch(t::update_named).delete(t::delete_named),
        )
        .route("/tokens/named/{id}/status", get(t::named_status))
        .route(
            "/user/tokens/temporary",
            get(t::temporary_generation).post(t::create_temporary).delete(t::revoke_temporary),
        )
}

/// tower-http's `TraceLayer` with a span per request and one event when it is answered.
type RequestLog = TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    (),
    fn(&Response, Duration, &Span),
    (),
    (),
    (),
>;

/// The request log: one line per request, `METHOD PATH STATUS TIMEms` (the path without its
/// query string, cut at 200 bytes). Never a header or a body, so never a token or a password.
fn request_log() -> RequestLog {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> Span)
        .on_request(())
        .on_response(log_answer as fn(&Response, Duration, &Span))
        .on_body_chunk(())
        .on_eos(())
        .on_failure(())
}

/// The span of a request's log line: `METHOD PATH` (the path cut at 200 bytes). Also used by the
/// accept loop for the answers it makes before the routes.
pub(crate) fn request_span(request: &Request) -> Span {
    let mut path = request.uri().path();
    if path.len() > 200 {
        let mut end = 200;
        while !path.is_char_boundary(end) {
            end -= 1;
        }
        path = &path[..end];
    }
    tracing::info_span!("request", method = %request.method(), path = %path)
}

/// The rest of a request's log line, in its span: `STATUS TIMEms`.
pub(crate) fn log_answer(response: &Response, latency: Duration, _: &Span) {
    let ms = latency.as_secs_f64() * 1000.0;
    tracing::info!("{} {ms:.2}ms", response.status().as_u16());
}

/// Marks a request whose body did not arrive within the server's `body_timeout`: the accept
/// loop's body deadline sets it when it fails the read, and the answer is then 408, not the 400
/// of the body extractor that saw the read fail.
#[derive(Clone, Debug)]
pub(crate) struct LateBody {
    late: Arc<AtomicBool>,
    timeout: Duration,
}

impl LateBody {
    pub(crate) fn new(timeout: Duration) -> Self {
        LateBody { late: Arc::new(AtomicBool::new(false)), timeout }
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Called by the deadline when it fails a read.
    pub(crate) fn mark(&self) {
        self.late.store(true, Ordering::Relaxed);
    }
}

/// 408 (and the connection closed) for a request whose body missed its deadline, whatever the
/// handler or its extractor made of the failed read.
async fn answer_late_body(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let api = app.api;
    let late = request.extensions().get::<LateBody>().cloned();
    let response = next.run(request).await;
    match late {
        Some(late) if late.late.load(Ordering::Relaxed) => {
            let message = format!(
                "Request timeout: the request body was not received within {:?}",
                late.timeout
            );
            let mut response = Error::new(StatusCode::REQUEST_TIMEOUT, message).respond(api);
            response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
        _ => response,
    }
}

async fn unknown_route() -> Error {
    Error::not_found("The resource could not be found")
}

/// The caller of a request: `None` for an anonymous one. Credentials that are present but not
/// valid answer 401 at once, before any other check, so that a wrong password never learns
/// whether a group exists (Onezone reads credentials first).
pub struct Caller(pub Option<UserId>);

impl FromRequestParts<Arc<App>> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Error> {
        if app.api == Api::V2002 {
            let tokens = RequestTokens::from_headers(&parts.headers);
            if tokens.access.is_some() {
                return token_caller(parts, app, tokens).await;
            }
        }
        match app.credentials(&parts.headers).await? {
            Credentials::Absent => Ok(Caller(None)),
            Credentials::Valid(user) => Ok(Caller(Some(user))),
            // 20.02: `unauthorized` with `badBasicCredentials` as its `authError`
            // (oz-worker release/20.02.20 `src/auth/basic_auth.erl`, ctool `errors.erl`).
            Credentials::Invalid => Err(Error::new(
                StatusCode::UNAUTHORIZED,
                "Provided basic authorization credentials are not valid",
            )
            .with_onezone(OnezoneError::unauthorized(&OnezoneError::new(
                "badBasicCredentials",
                400,
                "Invalid username or password.",
            )))),
        }
    }
}

/// The caller an access token proves (`--api 20.02`): the library's `Authenticator` over the
/// database's token records, with the route's API call for `api` caveats; 401 `unauthorized`
/// with `details.authError` on any failure.
async fn token_caller(
    parts: &mut Parts,
    app: &Arc<App>,
    tokens: RequestTokens,
) -> Result<Caller, Error> {
    // Nested under the base, the router sees the path below it; the full path otherwise.
    let path = parts.uri.path();
    let path = path.strip_prefix(BASE).unwrap_or(path);
    let client = tokens.claimed_user();
    let api_call = api_calls::api_call(&parts.method, path, client.as_deref());
    let PeerIp(ip) = PeerIp::from_request_parts(parts, app).await.unwrap_or(PeerIp(None));
    let ctx = RequestContext { now: app.clock.now(), ip, api_call, max_ttl: app.max_temporary_ttl };
    transaction(app, move |app, tx| {
        match token_auth::authenticate(&app.token_secrets, tx, &tokens, ctx) {
            Ok(user) => Ok(Caller(user)),
            Err(Ok(refused)) => Err(Error::refused(&refused)),
            Err(Err(failed)) => Err(failed.into()),
        }
    })
    .await
}

/// The client's address, when the server runs with connection info (not in-process tests).
pub(crate) struct PeerIp(Option<IpAddr>);

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

pub(crate) fn caveat_context(app: &App, peer: &PeerIp) -> CaveatContext {
    CaveatContext { now: app.clock.now(), ip: peer.0, ..CaveatContext::default() }
}

/// Runs `f` in one transaction on a blocking thread (it may wait for the database and the disk).
pub(crate) async fn transaction<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&App, &mut dyn Tx) -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    let app = Arc::clone(app);
    tokio::task::spawn_blocking(move || app.store.write(|tx| f(&app, tx)))
        .await
        .unwrap_or_else(|e| Err(Error::internal(format!("a request failed: {e}"))))
}

/// A request body, read but not yet parsed: a handler parses it ([`JsonBody::parse`],
/// [`JsonBody::optional`]) only after Onezone's 404, 401 and 403 checks, which axum's `Json`
/// extractor would not wait for (it refuses a body before the handler runs, with its own
/// statuses). The checks of the body itself, in order: a missing one (400), one not declared
/// JSON (415), one that is not a JSON object of the request's shape (400, the library's
/// [`read_json_object`]).
pub(crate) struct JsonBody {
    bytes: Bytes,
    declared_json: bool,
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = BytesRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, BytesRejection> {
        let declared_json = declared_json(request.headers());
        let bytes = Bytes::from_request(request, state).await?;
        Ok(JsonBody { bytes, declared_json })
    }
}

impl JsonBody {
    /// The body of a route that needs one, as `T`: 400 if it is missing, 415 if it is not
    /// declared JSON, 400 if it is not a JSON object `T` reads (the message names the key).
    pub(crate) fn parse<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let body = self.optional()?.ok_or(RequestError::MissingBody).map_err(InviteError::from)?;
        Ok(read_json_object(body).map_err(InviteError::from)?)
    }

    /// The body of a route where it is optional, for the library to read: `None` if there is
    /// none (only JSON white space), 415 if it is not declared JSON.
    pub(crate) fn optional(&self) -> Result<Option<&[u8]>, Error> {
        if self.bytes.iter().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) {
            Ok(None)
        } else if self.declared_json {
            Ok(Some(&self.bytes))
        } else {
            Err(Error::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Unsupported media type: send the body as JSON (Content-Type: application/json)",
            ))
        }
    }
}

/// Whether a body is declared as JSON (`application/json` or `application/*+json`, parameters
/// allowed).
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

/// `user`'s standing in `group`, from the database: the group's row, and the user's effective
/// privileges by the library's rule over the rows of one recursive query.
pub(crate) fn access(
    app: &App,
    tx: &mut dyn Tx,
    user: Option<&UserId>,
    group: &GroupId,
) -> Result<GroupAccess, Error> {
    if tx.group(group)?.is_none() {
        return Ok(GroupAccess::missing(user, group));
    }
    let privileges = match user {
        Some(user) => effective_privileges(app, tx, user, group)?,
        None => PrivilegeSet::EMPTY,
    };
    Ok(GroupAccess::new(user, group, true, privileges))
}

/// `user`'s effective privileges in `group` (empty if no effective member).
pub(crate) fn effective_privileges(
    app: &App,
    tx: &mut dyn Tx,
    user: &UserId,
    group: &GroupId,
) -> Result<PrivilegeSet, Error> {
    let (memberships, links) = tx.privilege_rows(user, group, app.limits.max_depth)?;
    Ok(effective_privileges_from_rows(user, group, &memberships, &links)
        .map_err(InviteError::from)?)
}

/// Onezone's checks for an operation in group `id`: it exists (404), there is a caller (401),
/// the caller holds the operation's privilege (403).
pub(crate) fn authorize_in<Op: Operation>(
    app: &App,
    tx: &mut dyn Tx,
    id: &str,
    caller: Option<&UserId>,
    op: Op,
) -> Result<Authorized<Op>, Error> {
    let group = group_from_path(id)?;
    let access = access(app, tx, caller, &group)?;
    Ok(authorize(op, &group, caller, &access)?)
}

/// A `201 Created` answer with a `Location` and a JSON body.
pub(crate) struct Created<T>(pub String, pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        match HeaderValue::from_str(&self.0) {
            Ok(location) => {
                (StatusCode::CREATED, [(header::LOCATION, location)], Json(self.1)).into_response()
            }
            Err(_) => Error::internal("a Location header that is not ASCII").into_response(),
        }
    }
}
