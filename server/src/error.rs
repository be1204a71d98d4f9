//! Every failure is an HTTP status and Onezone's `{"error": "..."}` body, including the
//! framework's own refusals (unknown route, wrong method, oversized body).

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use onezone_tokens::invite::{ErrorBody, InviteError};

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
    },
}

impl Error {
    /// An answer with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Error::Http { status, message: message.into() }
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
        }
    }
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
            _ => {}
        }
        json_error(self.status(), self.message())
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
/// printable, becomes the message; else the status' reason phrase.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&response) {
        return response;
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
    let mut out = json_error(status, message);
    // Keep the headers that mean something to the client (e.g. `Allow` on a 405).
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
}
