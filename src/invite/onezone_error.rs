//! The invite layer's refusals in Onezone's error model (see [`crate::onezone_error`]): each
//! [`InviteError`] and [`RequestError`] with its Onezone 20.02 error id, status and details
//! beside the 17.06 answer of [`InviteError::status`] and [`InviteError::body`].

use alloc::format;
use alloc::string::{String, ToString};

use serde_json::json;

use super::error::{InviteError, RequestError};
use crate::group::relation_already_exists;
use crate::onezone_error::{OnezoneError, Refusal};
use crate::token::TokenError;

/// `badValueToken` (400) for the request's `token` value, with the token's own error.
fn bad_value_token(token_error: &OnezoneError) -> OnezoneError {
    OnezoneError::new(
        "badValueToken",
        400,
        "Bad value: provided \"token\" is not a valid token (see details).",
    )
    .with_details(json!({ "key": "token", "tokenError": token_error.to_json() }))
}

/// `inviteTokenSubjectNotAuthorized` (400): what oz-worker 20.02.20 answers when the issuer of
/// an invite no longer holds what it needs (`src/logic/tokens/invite_tokens.erl`).
fn subject_not_authorized() -> OnezoneError {
    OnezoneError::new(
        "inviteTokenSubjectNotAuthorized",
        400,
        "The subject of this token is not (or no longer) authorized to issue such invitations.",
    )
}

fn caveat_json(caveat: &crate::token::Caveat) -> serde_json::Value {
    serde_json::to_value(caveat).unwrap_or_else(|_| json!(caveat.to_string()))
}

impl Refusal for RequestError {
    /// 400, `Invalid request: ..`.
    fn onezone_1706(&self) -> (u16, String) {
        (400, format!("Invalid request: {self}"))
    }

    /// `malformedData` for a body that does not read (its text is not echoed),
    /// `badValueCaveat` for a caveat an invite may not carry or one already expired,
    /// `tokenTimeCaveatRequired` (with `maxTtl`) for a lifetime past the maximum,
    /// `tokenTooLarge` or `badToken` for a token past the limits, `missingAtLeastOneValue`
    /// for an update that sets nothing.
    fn onezone_2002(&self) -> OnezoneError {
        match self {
            // ctool release/20.02.20 `src/errors.erl`: ?ERROR_MALFORMED_DATA for a body that is
            // no JSON object (or none), ?ERROR_BAD_DATA(Key) for a declared key's bad value (its
            // hint-less form: the reason is the JSON reader's, not Onezone's words).
            RequestError::Json(_) | RequestError::MissingBody | RequestError::NotAnObject => {
                OnezoneError::new(
                    "malformedData",
                    400,
                    "Provided data could not be understood by the server.",
                )
            }
            RequestError::BadValue { key, .. } => OnezoneError::new(
                "badData",
                400,
                format!(
                    "Bad value: provided \"{key}\" has an invalid format or is incomprehensible \
                     in the context of this operation."
                ),
            )
            .with_details(json!({ "key": key })),
            RequestError::CaveatNotAllowed(caveat) | RequestError::AlreadyExpired(caveat) => {
                let json = caveat_json(caveat);
                OnezoneError::new(
                    "badValueCaveat",
                    400,
                    format!("Provided caveat is invalid: '{json}'."),
                )
                .with_details(json!({ "caveat": json }))
            }
            RequestError::LifetimeTooLong { max_ttl, .. } => OnezoneError::new(
                "tokenTimeCaveatRequired",
                400,
                format!("You must specify a time caveat with maximum TTL of {max_ttl} seconds."),
            )
            .with_details(json!({ "maxTtl": max_ttl })),
            RequestError::TokenTooLarge(e) => e.onezone_error(),
            RequestError::NothingToUpdate => OnezoneError::new(
                "missingAtLeastOneValue",
                400,
                "Missing data, you must provide at least one of: [\"revoked\"].",
            )
            .with_details(json!({ "keys": ["revoked"] })),
        }
    }
}

impl Refusal for InviteError {
    /// [`InviteError::status`] and the message of [`InviteError::body`].
    fn onezone_1706(&self) -> (u16, String) {
        (self.status().code(), self.body().error)
    }

    /// Onezone 20.02's answer. Where it differs from 17.06's status: already a member or a
    /// child is 409 `relationAlreadyExists`, an issuer no longer authorized (to invite or to
    /// grant the token's privileges) is 400 `inviteTokenSubjectNotAuthorized`, a spent token
    /// is 400 `inviteTokenUsageLimitReached` without details. A token that does not verify is
    /// `badValueToken` with its [`TokenError`] as `tokenError` (`tokenInvalid` when nothing
    /// more may be said). Internal errors say nothing but `internalServerError`.
    fn onezone_2002(&self) -> OnezoneError {
        match self {
            InviteError::GroupNotFound { .. } | InviteError::NamedTokenNotFound => {
                OnezoneError::new("notFound", 404, "The resource could not be found.")
            }
            InviteError::Unauthenticated => OnezoneError::new(
                "unauthorized",
                401,
                "You must authenticate yourself to perform this operation.",
            ),
            InviteError::MissingPrivilege { .. } | InviteError::NotTokenSubject => {
                OnezoneError::new(
                    "forbidden",
                    403,
                    "You are not authorized to perform this operation.",
                )
            }
            InviteError::IssuerNotAuthorized { .. } | InviteError::IssuerCannotGrant { .. } => {
                subject_not_authorized()
            }
            InviteError::InvalidRequest(e) => e.onezone_2002(),
            InviteError::InvalidToken => {
                bad_value_token(&TokenError::InvalidSignature.onezone_error())
            }
            InviteError::TokenRejected(e) => bad_value_token(&e.onezone_error()),
            InviteError::UsageLimitReached { .. } => OnezoneError::new(
                "inviteTokenUsageLimitReached",
                400,
                "The usage limit of this invite token has been reached.",
            ),
            InviteError::AlreadyMember { user, group } => {
                relation_already_exists("user", user.as_str(), group)
            }
            InviteError::AlreadyChild { child, parent } => {
                relation_already_exists("group", child.as_str(), parent)
            }
            InviteError::Refused(e) => e.onezone_2002(),
            InviteError::InconsistentFacts(_)
            | InviteError::MismatchedFacts(_)
            | InviteError::InconsistentRows(_)
            | InviteError::Mint(_) => OnezoneError::internal(),
        }
    }
}
