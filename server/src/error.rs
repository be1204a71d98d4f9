//! Every failure is an HTTP status and Onezone's `{"error": "..."}` body, including the
//! framework's own refusals (unknown route, wrong method, oversized body).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use onezone_tokens::invite::{ErrorBody, InviteError};

/// An error answer: a status and a message for a person (never a secret or a token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    status: StatusCode,
    message: String,
}

impl Failure {
    /// An answer with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Failure { status, message: message.into() }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401, as the library words it.
    pub fn unauthorized() -> Self {
        InviteError::Unauthenticated.into()
    }

    /// 404 for a path with no resource behind it.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 500. The detail goes to the log, not to the client.
    pub fn internal(detail: impl Into<String>) -> Self {
        let detail = detail.into();
        eprintln!("internal error: {detail}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl From<InviteError> for Failure {
    fn from(e: InviteError) -> Self {
        let status =
            StatusCode::from_u16(e.status().code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if status.is_server_error() {
            // The detail (e.g. inconsistent storage) goes to the log, not to the client.
            return Failure::internal(e.to_string());
        }
        Failure { status, message: e.to_string() }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(e: crate::store::StoreError) -> Self {
        match e {
            crate::store::StoreError::Unavailable(detail) => {
                eprintln!("database unavailable: {detail}");
                Failure::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Service unavailable: the database cannot be reached now; try again later",
                )
            }
            e => Failure::internal(e.to_string()),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        json_error(self.status, self.message)
    }
}

/// A JSON response.
pub fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(e) => Failure::internal(format!("cannot write a response: {e}")).into_response(),
    }
}

fn json_error(status: StatusCode, message: String) -> Response {
    json_response(status, &ErrorBody { error: message })
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
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "Payload too large: the request body is longer than {} bytes",
            crate::routes::BODY_LIMIT
        ),
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
