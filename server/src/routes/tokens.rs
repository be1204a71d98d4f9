//! Tokens: `POST /tokens/examine`, what a token says without trusting it.

use axum::body::Bytes;
use axum::http::HeaderMap;
use onezone_tokens::token::{TokenDescription, UnverifiedToken};
use serde::Deserialize;

use super::{Ok200, parse_body};
use crate::error::Error;

#[derive(Deserialize)]
// Unknown keys are ignored, as Onezone does.
struct ExamineRequest {
    token: String,
}

/// `POST /tokens/examine`: what a token says, without trusting it (no credentials needed; the
/// signature is not checked). The body is the library's `TokenDescription`, the shape the token
/// CLI's `inspect` prints too.
pub(crate) async fn examine(
    headers: HeaderMap,
    body: Bytes,
) -> Result<Ok200<TokenDescription>, Error> {
    let request: ExamineRequest = parse_body(&headers, &body)?;
    let token = UnverifiedToken::parse(&request.token).map_err(|e| {
        Error::bad_request(format!("Bad value: provided \"token\" is not a valid token ({e})"))
    })?;
    Ok(Ok200(token.describe()))
}
