//! Every failure is an HTTP status and Onezone's error body, including the framework's own
//! refusals (unknown route, wrong method, oversized body): `{"error": "..."}` as 17.06 answers,
//! or `{"error": {"id", "description", "details"}}` as 20.02 does (`--api 20.02`; ids, statuses
//! and details of ctool release/20.02.20 `src/errors.erl`, rendered by the library's
//! [`onezone_error`](onezone_tokens::onezone_error)).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use onezone_tokens::invite::{ErrorBody, InviteError};
use onezone_tokens::onezone_error::{OnezoneError, Refusal};
use serde_json::json;

use crate::app::{Api, App};
use crate::store::StoreError;

/// The largest request body accepted (413 above).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Every way a request can fail, each with its HTTP status and a message for a person (never a
/// secret, a token or a database's detail: those go to the log).
#[derive(Debug)]
pub enum Error {
    /// A refusal the library decided: its status and Onezone's message.
    Invite(InviteError),
    /// The database failed: 503 while it cannot be reached, 400 for a value that does not fit
    /// its column, else 500.
    Store(StoreError),
    /// The HTTP layer refused the request (a body that does not read, a media type, a route,
    /// credentials), or failed itself.
    Http {
        /// The status.
        status: StatusCode,
        /// The message.
        message: String,
        /// The refusal as 20.02 answers it, when it is not the one its status implies
        /// ([`Error::as_v2002`]).
        onezone: Option<Box<OnezoneError>>,
    },
    /// A refusal the library decided in Onezone's error model (token issuing, authentication,
    /// the directory): both lines' answers.
    Refused {
        /// The 17.06 status and message.
        v1706: (u16, String),
        /// The 20.02 error.
        v2002: Box<OnezoneError>,
    },
}

impl Error {
    /// An answer with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Error::Http { status, message: message.into(), onezone: None }
    }

    /// The same error, answered as `onezone` under 20.02 (its own status and body).
    #[must_use]
    pub fn with_onezone(self, onezone: OnezoneError) -> Self {
        match self {
            Error::Http { status, message, .. } => {
                Error::Http { status, message, onezone: Some(Box::new(onezone)) }
            }
            other => other,
        }
    }

    /// Any refusal of the library that has both lines' answers.
    pub fn refused<R: Refusal + ?Sized>(refusal: &R) -> Self {
        Error::Refused { v1706: refusal.onezone_1706(), v2002: Box::new(refusal.onezone_2002()) }
    }

    /// A 20.02-only refusal (a route 17.06 does not have): the same status and description in
    /// a 17.06 body.
    pub fn v2002(error: OnezoneError) -> Self {
        Error::Refused {
            v1706: (error.status(), error.description().to_owned()),
            v2002: Box::new(error),
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404 for a path with no resource behind it.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 500. The detail goes to the log, not to the client.
    pub fn internal(detail: impl Into<String>) -> Self {
        tracing::error!("internal error: {}", detail.into());
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Invite(e) => e.status().into(),
            Error::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Store(StoreError::DoesNotFit(_)) => StatusCode::BAD_REQUEST,
            Error::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Http { status, .. } => *status,
            Error::Refused { v1706: (status, _), .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// The message of the `{"error": ...}` body.
    pub fn message(&self) -> String {
        match self {
            // The library's public body: a 5xx tells nothing of its detail.
            Error::Invite(e) => e.body().error,
            Error::Store(StoreError::Unavailable(_)) => {
                "Service unavailable: the database cannot be reached now; try again later"
                    .to_owned()
            }
            Error::Store(StoreError::DoesNotFit(e)) => format!("Bad value: {e}"),
            Error::Store(_) => "Internal server error".to_owned(),
            Error::Http { message, .. } => message.clone(),
            Error::Refused { v1706: (_, message), .. } => message.clone(),
        }
    }

    /// The error as Onezone 20.02 answers it: the library's refusals as the library maps them;
    /// the database unavailable `serviceUnavailable`; the HTTP layer's refusals by their
    /// status (`badMessage` with the message for a 400, `notFound`, `forbidden`, `notSupported`
    /// for a method, `timeout`, ...), keeping that status.
    pub fn as_v2002(&self) -> OnezoneError {
        match self {
            Error::Invite(e) => e.onezone_2002(),
            Error::Store(StoreError::Unavailable(_)) => OnezoneError::new(
                "serviceUnavailable",
                503,
                "Service required for this operation is offline.",
            ),
            Error::Store(StoreError::DoesNotFit(e)) => bad_message(&format!("Bad value: {e}")),
            Error::Store(_) => OnezoneError::internal(),
            Error::Http { onezone: Some(e), .. } => (**e).clone(),
            Error::Http { status, message, onezone: None } => by_status(*status, message),
            Error::Refused { v2002, .. } => (**v2002).clone(),
        }
    }

    /// The answer in `api`'s shape.
    pub fn respond(self, api: Api) -> Response {
        reshape(api, self.into_response())
    }
}

/// `badMessage` (400) with the message as its detail.
fn bad_message(message: &str) -> OnezoneError {
    OnezoneError::new("badMessage", 400, "This message could not be understood by the server.")
        .with_details(json!({ "message": message }))
}

/// A refusal of the HTTP layer as 20.02 names it, keeping the status (ctool release/20.02.20
/// `src/errors.erl`). Onezone has no id for some of this server's statuses (405, 413, 415, 429):
/// the nearest one, with the message, keeps the status a client reads first.
fn by_status(status: StatusCode, message: &str) -> OnezoneError {
    let code = status.as_u16();
    let keep = |id: &'static str, description: &str| {
        OnezoneError::new(id, code, description).with_details(json!({ "message": message }))
    };
    match status {
        StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE => {
            let mut e = bad_message(message);
            if code != 400 {
                e = keep("badMessage", e.description());
            }
            e
        }
        StatusCode::UNAUTHORIZED => OnezoneError::new(
            "unauthorized",
            401,
            "You must authenticate yourself to perform this operation.",
        ),
        StatusCode::FORBIDDEN => {
            OnezoneError::new("forbidden", 403, "You are not authorized to perform this operation.")
        }
        StatusCode::NOT_FOUND => {
            OnezoneError::new("notFound", 404, "The resource could not be found.")
        }
        StatusCode::METHOD_NOT_ALLOWED => keep("notSupported", "This operation is not supported."),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            keep("malformedData", "Provided data could not be understood by the server.")
        }
        StatusCode::REQUEST_TIMEOUT => keep("timeout", "Operation timed out."),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            keep("temporaryFailure", "Temporary failure - please try again later.")
        }
        s if s.is_server_error() => OnezoneError::internal(),
        _ => keep("badMessage", "This message could not be understood by the server."),
    }
}

/// What an error answer would be under 20.02, carried on its 17.06 response until the
/// app's [`Api`] is known ([`json_errors`], [`reshape`]).
#[derive(Clone)]
struct Onezone2002(Arc<OnezoneError>);

/// The response in `api`'s shape: an error answer made by [`Error`] rewritten as 20.02's body
/// (and status) under [`Api::V2002`]; anything else as it is.
pub fn reshape(api: Api, response: Response) -> Response {
    if api != Api::V2002 {
        return response;
    }
    let Some(Onezone2002(error)) = response.extensions().get::<Onezone2002>().cloned() else {
        return response;
    };
    let (parts, _) = response.into_parts();
    let status = StatusCode::from_u16(error.status()).unwrap_or(parts.status);
    let mut out = (status, Json(json!({ "error": error.to_json() }))).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}

impl From<InviteError> for Error {
    fn from(e: InviteError) -> Self {
        Error::Invite(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status().as_u16(), self.message())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        // What the client is not told goes to the log: an internal refusal of the library, the
        // database's detail.
        match &self {
            Error::Invite(e) if e.status().code() >= 500 => tracing::error!("internal error: {e}"),
            Error::Store(StoreError::Unavailable(e)) => tracing::warn!("database unavailable: {e}"),
            Error::Store(StoreError::DoesNotFit(_)) => {}
            Error::Store(e) => tracing::error!("internal error: {e}"),
            Error::Refused { v2002, .. } if v2002.status() >= 500 => {
                tracing::error!("internal error: {}", v2002.description());
            }
            _ => {}
        }
        let onezone = Onezone2002(Arc::new(self.as_v2002()));
        let mut response = json_error(self.status(), self.message());
        response.extensions_mut().insert(onezone);
        response
    }
}

fn json_error(status: StatusCode, message: String) -> Response {
    (status, Json(ErrorBody { error: message })).into_response()
}

/// Whether a response already carries a JSON body.
fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Rewrites an error answer that is not JSON (one the framework made: an unknown method, a
/// rejected body, ...) as `{"error": "..."}` with the same status. Its text, if short and
/// printable, becomes the message; else the status' reason phrase. Then every error answer
/// takes the app's [`Api`] shape ([`reshape`]).
pub async fn json_errors(State(app): State<Arc<App>>, response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    if is_json(&response) {
        return reshape(app.api, response);
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.ok().and_then(|bytes| {
        let text = String::from_utf8(bytes.to_vec()).ok()?;
        let text = text.trim();
        (!text.is_empty() && !text.chars().any(char::is_control)).then(|| text.to_owned())
    });
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("Payload too large: the request body is longer than {} bytes", BODY_LIMIT)
        }
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed".to_owned(),
        _ => text.unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned()),
    };
    let mut out = Error::new(status, message).into_response();
    // Keep the headers that mean something to the client (e.g. `Allow` on a 405).
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    reshape(app.api, out)
}
