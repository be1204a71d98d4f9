//! Onezone's error model: every refusal of this crate as Onezone 17.06 and Onezone 20.02 answer
//! it, and one function that renders either body.
//!
//! | line | body | source |
//! |---|---|---|
//! | 17.06 | `{"error": "<description>"}` | the 17.06 API's `Error` object |
//! | 20.02 | `{"error": {"id": .., "description": .., "details": ..}}` | onezone-swagger 20.02 `definitions/error.yaml`; ids, statuses and details from ctool release/20.02.20 `src/errors.erl` |
//!
//! A 20.02 client branches on `error.id`; [`OnezoneError::id`] is that id, and
//! [`TokenError::code`](crate::token::TokenError::code) the same for token errors. Where 20.02
//! answers with another status than 17.06 (already a member: 409 `relationAlreadyExists`; an
//! issuer no longer authorized: 400 `inviteTokenSubjectNotAuthorized`), the 20.02 shape says
//! so. Internal errors are `internalServerError` with Onezone's generic description and no
//! details.
//!
//! ```
//! use onezone_tokens::group::{GroupId, UserId};
//! use onezone_tokens::invite::InviteError;
//! use onezone_tokens::onezone_error::{ErrorShape, error_response};
//! use serde_json::json;
//!
//! let e = InviteError::AlreadyMember { user: UserId::new("u1")?, group: GroupId::new("g1")? };
//! assert_eq!(
//!     error_response(&e, ErrorShape::Onezone1706),
//!     (400, json!({"error": "Bad value: user:u1 is already a member of group:g1"}))
//! );
//! assert_eq!(
//!     error_response(&e, ErrorShape::Onezone2002),
//!     (409, json!({"error": {
//!         "id": "relationAlreadyExists",
//!         "description": "Bad value: user:u1 is already a member of group:g1.",
//!         "details": {"childType": "user", "childId": "u1", "parentType": "group", "parentId": "g1"},
//!     }}))
//! );
//! # Ok::<(), onezone_tokens::group::IdError>(())
//! ```

use alloc::string::String;

use serde_json::{Map, Value, json};

/// Which Onezone REST line's error body to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorShape {
    /// `{"error": "<description>"}` (Onezone 17.06).
    Onezone1706,
    /// `{"error": {"id", "description", "details"}}` (Onezone 20.02 and later).
    Onezone2002,
}

/// A refusal as Onezone 20.02 reports it: the error id, the HTTP status, a description for a
/// person and the details a client reads (ctool release/20.02.20 `src/errors.erl`, `to_json`
/// and `to_http_code`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnezoneError {
    id: &'static str,
    status: u16,
    description: String,
    details: Option<Value>,
}

/// Onezone's description of `internalServerError`, the only thing a client learns of one.
pub(crate) const INTERNAL_DESCRIPTION: &str =
    "The server has encountered an error while processing this request.";

impl OnezoneError {
    /// An error with this id, status and description, and no details.
    pub fn new(id: &'static str, status: u16, description: impl Into<String>) -> Self {
        OnezoneError { id, status, description: description.into(), details: None }
    }

    /// The same error with these details (a JSON object).
    #[must_use]
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// `internalServerError` (500), with Onezone's generic description and no details.
    pub fn internal() -> Self {
        OnezoneError::new("internalServerError", 500, INTERNAL_DESCRIPTION)
    }

    /// `unauthorized` (401) with `details.authError`: how Onezone answers a request whose
    /// credentials are present but refused (oz-worker 20.02.20 `src/auth/token_auth.erl`).
    pub fn unauthorized(auth_error: &OnezoneError) -> Self {
        OnezoneError::new(
            "unauthorized",
            401,
            "Provided authentication is not valid (see details).",
        )
        .with_details(json!({ "authError": auth_error.to_json() }))
    }

    /// The error id, e.g. `relationAlreadyExists`: stable, what clients branch on.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The description, for a person.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The details, if the error has any.
    pub fn details(&self) -> Option<&Value> {
        self.details.as_ref()
    }

    /// The error object, `{"id", "description"}` plus `"details"` when there are any (the value
    /// of the body's `"error"` key, and of `authError` / `tokenError` details).
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("id".into(), Value::from(self.id));
        object.insert("description".into(), Value::from(self.description.as_str()));
        if let Some(details) = &self.details {
            object.insert("details".into(), details.clone());
        }
        Value::Object(object)
    }
}

/// A refusal this crate makes, as both Onezone lines answer it.
pub trait Refusal {
    /// Onezone 17.06: the HTTP status and the description of `{"error": "<description>"}`.
    fn onezone_1706(&self) -> (u16, String);

    /// Onezone 20.02: the error id, status and details.
    fn onezone_2002(&self) -> OnezoneError;
}

/// The HTTP status and JSON body of a refusal, in the shape of one Onezone line.
///
/// ```
/// use onezone_tokens::onezone_error::{ErrorShape, error_response};
/// use onezone_tokens::token::TokenError;
/// use serde_json::json;
///
/// let (status, body) = error_response(&TokenError::Revoked, ErrorShape::Onezone2002);
/// assert_eq!(status, 400);
/// assert_eq!(body, json!({"error": {"id": "tokenRevoked", "description": "Provided token has been revoked."}}));
/// ```
pub fn error_response<R: Refusal + ?Sized>(refusal: &R, shape: ErrorShape) -> (u16, Value) {
    match shape {
        ErrorShape::Onezone1706 => {
            let (status, description) = refusal.onezone_1706();
            (status, json!({ "error": description }))
        }
        _ => {
            let error = refusal.onezone_2002();
            (error.status, json!({ "error": error.to_json() }))
        }
    }
}

/// Ends a description with a full stop, as Onezone's all do (ctool `errors_tests.erl` checks
/// that convention).
pub(crate) fn sentence(text: impl Into<String>) -> String {
    let mut text = text.into();
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}
