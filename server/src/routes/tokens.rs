//! Tokens: `POST /tokens/examine`, what a token says without trusting it.

use axum::body::Bytes;
use axum::http::HeaderMap;
use onezone_tokens::token::{TokenCaveat, UnverifiedToken};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Ok200, parse_body};
use crate::error::Error;

#[derive(Deserialize)]
// Unknown keys are ignored, as Onezone does.
struct ExamineRequest {
    token: String,
}

/// `POST /tokens/examine`: what a token says, without trusting it (no credentials needed; the
/// signature is not checked).
pub(crate) async fn examine(headers: HeaderMap, body: Bytes) -> Result<Ok200<Value>, Error> {
    let request: ExamineRequest = parse_body(&headers, &body)?;
    let token = UnverifiedToken::parse(&request.token).map_err(|e| {
        Error::bad_request(format!("Bad value: provided \"token\" is not a valid token ({e})"))
    })?;
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
    Ok(Ok200(json!({
        "location": macaroon.location().map(|l| String::from_utf8_lossy(l).into_owned()),
        "identifier": identifier.to_string(),
        "identifierFields": identifier.fields_json(),
        "caveats": caveats,
        "format": token.format().name(),
        "escaped": token.escaped(),
        "verified": false,
    })))
}
