//! Tokens: `POST /tokens/examine`, what a token says without trusting it.

use axum::Json;
use onezone_tokens::token::{TokenDescription, UnverifiedToken};
use serde::Deserialize;

use super::JsonBody;
use crate::error::Error;

#[derive(Deserialize)]
// Unknown keys are ignored, as Onezone does.
struct ExamineRequest {
    token: String,
}

/// `POST /tokens/examine`: what a token says, without trusting it (no credentials needed; the
/// signature is not checked). The body is the library's `TokenDescription`, the shape the token
/// CLI's `inspect` prints too.
pub(crate) async fn examine(body: JsonBody) -> Result<Json<TokenDescription>, Error> {
    let request: ExamineRequest = body.parse()?;
    let token = UnverifiedToken::parse(&request.token).map_err(|e| {
        Error::bad_request(format!("Bad value: provided \"token\" is not a valid token ({e})"))
    })?;
    Ok(Json(token.describe()))
}
