//! Why an invite operation was refused: one typed reason per variant, with the HTTP status
//! ([`InviteError::status`]) and Onezone's exact message (`Display`) of the API's answer.

use alloc::string::{String, ToString};
use core::fmt;

use crate::group::{DirectoryError, GroupId, Privilege, PrivilegeSet, RowsError, UserId};
use crate::text::Quoted;
use crate::token::{Caveat, TokenError};

use crate::json::ObjectError;

use super::api::{ErrorBody, UsageLimit};
use super::facts::FactsMismatch;

/// An HTTP status of the API's errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// 400: invalid request (or token).
    BadRequest,
    /// 401: not authenticated.
    Unauthorized,
    /// 403: authenticated but lacking a privilege.
    Forbidden,
    /// 404: no such resource.
    NotFound,
    /// 500: internal error.
    Internal,
}

impl Status {
    /// The numeric HTTP status code.
    pub fn code(self) -> u16 {
        match self {
            Status::BadRequest => 400,
            Status::Unauthorized => 401,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::Internal => 500,
        }
    }
}

/// Why an invite operation was refused. A server maps it once: [`InviteError::status`] is the HTTP
/// status, [`InviteError::body`] the `{"error": ...}` body (Onezone's message, `Display`, for a
/// 4xx; a generic one for a 5xx, whose detail `Display` keeps for the log). With the `http`
/// feature, `InviteError::to_http_response` is the whole answer.
///
/// Messages never contain a secret or a token; ids are shown only once validated.
///
/// ```
/// use onezone_tokens::group::Privilege;
/// use onezone_tokens::invite::{InviteError, Status};
/// let e = InviteError::MissingPrivilege { privilege: Privilege::GroupInviteUser };
/// assert_eq!(e.status(), Status::Forbidden);
/// assert_eq!(
///     e.to_string(),
///     "You are not authorized to perform this operation (missing privilege group_invite_user)"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InviteError {
    /// 404: no such group. `group` is the id when it is a valid one (an invalid id from a path is
    /// never echoed back).
    GroupNotFound {
        /// The group asked for, if its id is valid.
        group: Option<GroupId>,
    },
    /// 401: the request has no authenticated caller.
    Unauthenticated,
    /// 403: the caller lacks `privilege` in the group.
    MissingPrivilege {
        /// The privilege needed.
        privilege: Privilege,
    },
    /// 403: the token's issuer no longer holds `privilege` in the group it invites to.
    IssuerNotAuthorized {
        /// The privilege the issuer needs.
        privilege: Privilege,
    },
    /// 403: the token grants more than the default member privileges (`[group_view]`), and its
    /// issuer no longer holds `group_set_privileges` in the group it invites to, so the token may
    /// not hand those privileges out any more.
    IssuerCannotGrant {
        /// The privileges the token's record grants.
        privileges: PrivilegeSet,
    },
    /// 404: no named token has this id (`/tokens/named/{id}`). The id is not echoed back.
    NamedTokenNotFound,
    /// 403: the caller is neither the named token's subject (its issuer) nor a holder of the
    /// Onezone-admin privilege `oz_tokens_manage`, so may not see or change it.
    NotTokenSubject,
    /// 400: the request body is not a valid request.
    InvalidRequest(RequestError),
    /// 400: the token does not parse, its signature is wrong, or it is not an invite token for
    /// this record and this kind of join. Deliberately says nothing more.
    InvalidToken,
    /// 400: the token is authentic but refused, for the reason given (an expired or unmet
    /// caveat, a revoked token, a caveat an invite token may not carry).
    TokenRejected(TokenError),
    /// 400: the token has been used as many times as its usage limit allows.
    UsageLimitReached {
        /// The limit.
        limit: UsageLimit,
    },
    /// 400: the user is already a direct member of the group.
    AlreadyMember {
        /// The user.
        user: UserId,
        /// The group.
        group: GroupId,
    },
    /// 400: the group is already a child of the parent.
    AlreadyChild {
        /// The child.
        child: GroupId,
        /// The parent.
        parent: GroupId,
    },
    /// 400: the group model refuses the change (a cycle, a nesting or size limit).
    Refused(DirectoryError),
    /// 500: the facts the caller passed contradict each other (for example privileges in a group
    /// it says does not exist). Nothing is granted.
    InconsistentFacts(&'static str),
    /// 500: the facts the caller passed describe another user, group or link than the request
    /// needs (the joining user's standing passed as the issuer's, parent and child swapped,
    /// another group's access). A programming error of the caller; nothing is granted.
    MismatchedFacts(FactsMismatch),
    /// 500: the rows the caller read cannot come from a consistent store. Nothing is granted.
    InconsistentRows(RowsError),
    /// 500: the token could not be minted.
    Mint(TokenError),
}

impl InviteError {
    /// 404 for the group `id`: the id is echoed back only if it is a valid one.
    pub fn group_not_found(id: &str) -> Self {
        InviteError::GroupNotFound { group: GroupId::new(id).ok() }
    }

    /// The HTTP status of the answer ([`Status`]; with the `http` feature, an
    /// `http::StatusCode` through `From`).
    pub fn status(&self) -> Status {
        match self {
            InviteError::GroupNotFound { .. } | InviteError::NamedTokenNotFound => Status::NotFound,
            InviteError::Unauthenticated => Status::Unauthorized,
            InviteError::MissingPrivilege { .. }
            | InviteError::IssuerNotAuthorized { .. }
            | InviteError::IssuerCannotGrant { .. }
            | InviteError::NotTokenSubject => Status::Forbidden,
            InviteError::InvalidRequest(_)
            | InviteError::InvalidToken
            | InviteError::TokenRejected(_)
            | InviteError::UsageLimitReached { .. }
            | InviteError::AlreadyMember { .. }
            | InviteError::AlreadyChild { .. }
            | InviteError::Refused(_) => Status::BadRequest,
            InviteError::InconsistentFacts(_)
            | InviteError::MismatchedFacts(_)
            | InviteError::InconsistentRows(_)
            | InviteError::Mint(_) => Status::Internal,
        }
    }

    /// The response body, `{"error": "..."}`: Onezone's message (`Display`) for a 4xx; for a
    /// 5xx only `"Internal server error"`, so that a server which maps every error through this
    /// body never tells a client its internal detail. That detail stays in `Display` and
    /// [`source`](core::error::Error::source), for the server's log.
    ///
    /// ```
    /// use onezone_tokens::invite::{InviteError, Status};
    /// let e = InviteError::InconsistentFacts("privileges in a group that does not exist");
    /// assert_eq!(e.status(), Status::Internal);
    /// assert_eq!(e.body().error, "Internal server error");
    /// assert!(e.to_string().contains("privileges in a group that does not exist")); // for the log
    /// ```
    pub fn body(&self) -> ErrorBody {
        let error = match self.status() {
            Status::Internal => String::from(INTERNAL),
            _ => self.to_string(),
        };
        ErrorBody { error }
    }

    /// The whole answer as an `http::Response`: the status, `Content-Type: application/json`
    /// and [`InviteError::body`] as JSON text (a 5xx tells nothing of its detail). With axum,
    /// `error.to_http_response().map(axum::body::Body::from)` is an `axum::response::Response`.
    ///
    /// ```
    /// use onezone_tokens::invite::InviteError;
    /// let response = InviteError::Unauthenticated.to_http_response();
    /// assert_eq!(response.status(), http::StatusCode::UNAUTHORIZED);
    /// assert_eq!(response.body(), r#"{"error":"Authentication error"}"#);
    /// ```
    #[cfg(feature = "http")]
    pub fn to_http_response(&self) -> http::Response<String> {
        // An `ErrorBody` is one string field: writing it as JSON cannot fail.
        let json = serde_json::to_string(&self.body()).unwrap_or_default();
        let mut response = http::Response::new(json);
        *response.status_mut() = self.status().into();
        response
            .headers_mut()
            .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
        response
    }
}

/// `Status` as the `http` crate's status code (the `http` feature).
#[cfg(feature = "http")]
impl From<Status> for http::StatusCode {
    fn from(status: Status) -> Self {
        match status {
            Status::BadRequest => http::StatusCode::BAD_REQUEST,
            Status::Unauthorized => http::StatusCode::UNAUTHORIZED,
            Status::Forbidden => http::StatusCode::FORBIDDEN,
            Status::NotFound => http::StatusCode::NOT_FOUND,
            Status::Internal => http::StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// [`InviteError::to_http_response`] (the `http` feature).
#[cfg(feature = "http")]
impl From<InviteError> for http::Response<String> {
    fn from(e: InviteError) -> Self {
        e.to_http_response()
    }
}

/// The public message of every 5xx.
const INTERNAL: &str = "Internal server error";

const INVALID_TOKEN: &str = "Bad value: provided \"token\" is not a valid token";

impl fmt::Display for InviteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InviteError::GroupNotFound { group: Some(group) } => {
                write!(f, "The resource could not be found: group {group}")
            }
            InviteError::GroupNotFound { group: None } => {
                f.write_str("The resource could not be found")
            }
            InviteError::Unauthenticated => f.write_str("Authentication error"),
            InviteError::MissingPrivilege { privilege } => write!(
                f,
                "You are not authorized to perform this operation (missing privilege {})",
                privilege.as_str()
            ),
            InviteError::IssuerNotAuthorized { privilege } => write!(
                f,
                "The issuer of this invite token is no longer authorized to invite (missing \
                 privilege {})",
                privilege.as_str()
            ),
            InviteError::IssuerCannotGrant { .. } => write!(
                f,
                "The issuer of this invite token is no longer authorized to grant the privileges \
                 it carries (missing privilege {})",
                Privilege::GroupSetPrivileges.as_str()
            ),
            InviteError::NamedTokenNotFound => f.write_str("The resource could not be found"),
            InviteError::NotTokenSubject => f.write_str(
                "You are not authorized to perform this operation (only the token's subject or \
                 an Onezone admin with oz_tokens_manage may manage it)",
            ),
            InviteError::InvalidRequest(e) => write!(f, "Invalid request: {e}"),
            InviteError::InvalidToken => f.write_str(INVALID_TOKEN),
            InviteError::TokenRejected(e) => write!(f, "{INVALID_TOKEN} ({e})"),
            InviteError::UsageLimitReached { limit } => {
                write!(f, "{INVALID_TOKEN} (its usage limit of {limit} is reached)")
            }
            InviteError::AlreadyMember { user, group } => {
                write!(f, "Bad value: user:{user} is already a member of group:{group}")
            }
            InviteError::AlreadyChild { child, parent } => {
                write!(f, "Bad value: group:{child} is already a member of group:{parent}")
            }
            InviteError::Refused(e) => write!(f, "Bad value: {e}"),
            InviteError::InconsistentFacts(what) => {
                write!(f, "Internal server error: inconsistent facts: {what}")
            }
            InviteError::MismatchedFacts(e) => {
                write!(f, "Internal server error: mismatched facts: {e}")
            }
            InviteError::InconsistentRows(e) => {
                write!(f, "Internal server error: inconsistent rows: {e}")
            }
            // The detail is the `source()`.
            InviteError::Mint(_) => f.write_str(INTERNAL),
        }
    }
}

impl core::error::Error for InviteError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            InviteError::TokenRejected(e) | InviteError::Mint(e) => Some(e),
            InviteError::Refused(e) => Some(e),
            InviteError::InconsistentRows(e) => Some(e),
            InviteError::InvalidRequest(e) => Some(e),
            _ => None,
        }
    }
}

impl From<RowsError> for InviteError {
    fn from(e: RowsError) -> Self {
        InviteError::InconsistentRows(e)
    }
}

/// What is wrong with an invite request body ([`InviteError::InvalidRequest`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The body is not JSON, or lacks a key the request needs; the text says where and why.
    Json(String),
    /// The request needs a body, and there is none (or only JSON white space).
    MissingBody,
    /// The body is not a JSON object: an array (never read by position), a string, a number,
    /// `true`, `false`, `null`, or not JSON at all (a lone form feed, say).
    NotAnObject,
    /// The value of a key the request declares is refused: of the wrong type, or out of range (a
    /// `usageLimit` past [`UsageLimit::MAX`], say).
    BadValue {
        /// The key, as the body spells it.
        key: String,
        /// Why its value is refused.
        reason: String,
    },
    /// The body asks for a caveat invite tokens may not carry.
    CaveatNotAllowed(Caveat),
    /// The body asks for a lifetime longer than the policy's maximum.
    LifetimeTooLong {
        /// The requested end of validity (Unix seconds).
        valid_until: u64,
        /// The policy's maximum lifetime (seconds).
        max_ttl: u64,
        /// The latest end of validity allowed now (Unix seconds).
        max_valid_until: u64,
    },
    /// The body's time caveat has already expired.
    AlreadyExpired(Caveat),
    /// The token asked for would exceed the parsing limits (too many caveats, too long a
    /// caveat or token), so it could never be used: [`TokenError::ExceedsLimit`] says which.
    TokenTooLarge(TokenError),
    /// An update (`PATCH /tokens/named/{id}`) that sets nothing.
    NothingToUpdate,
}

impl From<ObjectError> for RequestError {
    fn from(e: ObjectError) -> Self {
        match e {
            ObjectError::Missing => RequestError::MissingBody,
            ObjectError::NotAnObject => RequestError::NotAnObject,
            ObjectError::BadValue { key, reason } => RequestError::BadValue { key, reason },
            ObjectError::Json(text) => RequestError::Json(text),
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The JSON reader's words quote the body (an unknown key, say).
            RequestError::Json(e) => write!(f, "{}", Quoted::long(e)),
            RequestError::MissingBody => f.write_str("missing JSON body"),
            RequestError::NotAnObject => f.write_str("the body must be a JSON object"),
            RequestError::BadValue { key, reason } => {
                write!(f, "bad value for `{}`: {}", Quoted::short(key), Quoted::long(reason))
            }
            RequestError::CaveatNotAllowed(caveat) => write!(
                f,
                "the caveat `{}` is not allowed in invite tokens (allowed: time, ip, asn, \
                 geo.country, geo.region, consumer)",
                Quoted::short(caveat)
            ),
            RequestError::LifetimeTooLong { valid_until, max_ttl, max_valid_until } => write!(
                f,
                "the requested lifetime ends at {valid_until}, after the maximum lifetime of \
                 {max_ttl} s (at {max_valid_until})"
            ),
            RequestError::AlreadyExpired(caveat) => {
                write!(f, "the time caveat `{caveat}` has already expired")
            }
            RequestError::TokenTooLarge(e) => write!(f, "{e}"),
            RequestError::NothingToUpdate => {
                f.write_str("missing data, you must provide at least one of: revoked")
            }
        }
    }
}

impl core::error::Error for RequestError {}

impl From<RequestError> for InviteError {
    fn from(e: RequestError) -> Self {
        InviteError::InvalidRequest(e)
    }
}
