//! [`TokenError`] in Onezone's error model: its stable code (the Onezone 20.02 error id) and
//! the 20.02 error object (see [`crate::onezone_error`]).

use alloc::format;
use alloc::string::String;

use serde_json::{Value, json};

use super::caveat::Caveat;
use super::verify::TokenError;
use crate::macaroon::Limit;
use crate::onezone_error::{OnezoneError, Refusal, sentence};

/// Onezone's description of `tokenInvalid`, the one answer for an unknown named token, a bad
/// signature and a forged generation alike.
const TOKEN_INVALID: &str = "Provided token is not valid.";

/// The caveat's JSON form, as Onezone puts it in `details.caveat` (its text when it does not
/// parse, which a caveat that was verified always does).
fn caveat_json(text: &str) -> Value {
    Caveat::parse(text)
        .ok()
        .and_then(|caveat| serde_json::to_value(caveat).ok())
        .unwrap_or_else(|| Value::from(text))
}

impl TokenError {
    /// The Onezone 20.02 error id of this refusal, a stable code to match on: `badToken`,
    /// `tokenInvalid`, `tokenRevoked`, `tokenCaveatUnknown`, `tokenCaveatUnverified` or
    /// `tokenTooLarge` (ctool release/20.02.20 `src/errors.erl`).
    ///
    /// An unknown named token, a bad signature, a third-party caveat and a generation newer
    /// than the subject's are all `tokenInvalid` with one description, as oz-worker 20.02.20
    /// `src/auth/token_auth.erl` answers them: a client cannot probe which tokens exist.
    ///
    /// ```
    /// use onezone_tokens::token::TokenError;
    /// assert_eq!(TokenError::UnknownToken.code(), "tokenInvalid");
    /// assert_eq!(TokenError::InvalidSignature.code(), "tokenInvalid");
    /// assert_eq!(TokenError::UnknownToken.to_string(), TokenError::InvalidSignature.to_string());
    /// assert_eq!(TokenError::Revoked.code(), "tokenRevoked");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Malformed(_) | TokenError::Identifier(_) => "badToken",
            TokenError::Revoked => "tokenRevoked",
            TokenError::SubjectInvalid => "tokenSubjectInvalid",
            TokenError::UnknownCaveat { .. } => "tokenCaveatUnknown",
            TokenError::CaveatNotAllowed { .. } | TokenError::CaveatFailed { .. } => {
                "tokenCaveatUnverified"
            }
            TokenError::ExceedsLimit { limit: Limit::TokenLength, .. } => "tokenTooLarge",
            TokenError::ExceedsLimit { .. } => "badToken",
            TokenError::TimeCaveatRequired => "tokenTimeCaveatRequired",
            // A temporary token outliving the maximum lifetime: Onezone never issues one.
            TokenError::UnknownToken
            | TokenError::InvalidSignature
            | TokenError::ThirdPartyCaveat
            | TokenError::FutureGeneration { .. }
            | TokenError::TemporaryLifetime { .. } => "tokenInvalid",
        }
    }

    /// The refusal as Onezone 20.02 reports it: [`code`](TokenError::code) as the id, status
    /// 400, and the details its clients read (`caveat` for caveat errors, `limit` for
    /// `tokenTooLarge`). As credentials, wrap it in [`OnezoneError::unauthorized`]; as a
    /// request's `token` value, Onezone answers `badValueToken` with it as `tokenError`.
    pub fn onezone_error(&self) -> OnezoneError {
        let id = self.code();
        match self {
            TokenError::Malformed(_) | TokenError::Identifier(_) => {
                OnezoneError::new(id, 400, "Provided token could not be understood by the server.")
            }
            TokenError::Revoked => OnezoneError::new(id, 400, "Provided token has been revoked."),
            TokenError::SubjectInvalid => OnezoneError::new(
                id,
                400,
                "The token subject is invalid (does not exist or is different than expected).",
            ),
            TokenError::UnknownCaveat { caveat, .. } => {
                OnezoneError::new(id, 400, format!("Unknown caveat - '{caveat}'."))
                    .with_details(json!({ "caveat": caveat }))
            }
            TokenError::CaveatNotAllowed { caveat, .. }
            | TokenError::CaveatFailed { caveat, .. } => OnezoneError::new(
                id,
                400,
                sentence(format!("Provided token is not valid - {self}")),
            )
            .with_details(json!({ "caveat": caveat_json(caveat) })),
            TokenError::ExceedsLimit { limit: Limit::TokenLength, max, .. } => OnezoneError::new(
                id,
                400,
                format!("Provided token exceeds the allowed size ({max} characters)."),
            )
            .with_details(json!({ "limit": max })),
            TokenError::ExceedsLimit { .. } => {
                OnezoneError::new(id, 400, "Provided token could not be understood by the server.")
            }
            // Minting knows no maximum lifetime: `IssueError` says it, with `maxTtl`.
            TokenError::TimeCaveatRequired => {
                OnezoneError::new(id, 400, "You must specify a time caveat.")
            }
            TokenError::UnknownToken
            | TokenError::InvalidSignature
            | TokenError::ThirdPartyCaveat
            | TokenError::FutureGeneration { .. }
            | TokenError::TemporaryLifetime { .. } => OnezoneError::new(id, 400, TOKEN_INVALID),
        }
    }
}

impl Refusal for TokenError {
    /// 400 with 17.06's words for a token that does not verify.
    fn onezone_1706(&self) -> (u16, String) {
        (400, format!("Bad value: provided \"token\" is not a valid token ({self})"))
    }

    fn onezone_2002(&self) -> OnezoneError {
        self.onezone_error()
    }
}
