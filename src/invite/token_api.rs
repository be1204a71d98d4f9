//! The token API of Onezone 20.02 (`POST /user/tokens/named`, `/user/tokens/temporary`,
//! `PATCH /tokens/named/{id}`, `POST /tokens/verify_*_token`) as decisions: the request bodies
//! read and checked as oz-worker release/20.02.20 checks them (`src/logic/token_logic_plugin.erl`
//! `validate/1`, `src/logic/entity_logic.erl` `check_type` / `check_value`), the invitation an
//! invite token makes checked against the facts of its group (`src/logic/tokens/invite_tokens.erl`
//! `ensure_valid_invitation`), and the record of a named token with the JSON Onezone answers for
//! it (`src/http/rest/translators/token_rest_translator.erl`, `src/logic/tokens/token_metadata.erl`).
//!
//! Every refusal is a [`TokenApiError`] with Onezone's error id, status and details (ctool
//! `errors.erl` at the commit oz-worker 20.02.20 pins).

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::net::IpAddr;
use core::num::NonZeroU64;

use serde_json::{Map, Value, json};

use crate::group::{GroupId, Privilege, PrivilegeSet, UserId, Vocabulary};
use crate::onezone_error::{OnezoneError, Refusal};
use crate::token::{
    Caveat, IdentifierV2, Interface, InviteKind, Persistence, Subject, TokenError, TokenIdentifier,
    TokenType, UnverifiedToken, earliest_expiry,
};

use super::api::UsageLimit;
use super::facts::GroupAccess;
use super::record::{InviteRecord, InviteTarget, SecretBytes};

/// A token name's length in characters, at least and at most (ctool `validation.hrl`
/// `NAME_MAXIMUM_LENGTH`; "2-50 characters").
const NAME_LENGTH: (usize, usize) = (2, 50);

/// Onezone's rule for names (ctool `include/validation.hrl` `NAME_REQUIREMENTS_DESCRIPTION`).
const NAME_REQUIREMENTS: &str = "Name must be 2-50 characters long and composed only of UTF-8 \
    letters, digits, brackets and underscores. Dashes, spaces and dots are allowed (but not at \
    the beginning or the end).";

/// Whether `name` is a valid Onezone name: 2 to 50 characters of letters, digits, `(`, `)` and
/// `_`, with spaces, dots and dashes allowed inside (ctool `validation.hrl`:
/// `NAME_FIRST_CHARS_ALLOWED` `)(\w_`, `NAME_MIDDLE_CHARS_ALLOWED` `)(\w_ .-`).
///
/// ```
/// use onezone_tokens::invite::is_valid_name;
/// assert!(is_valid_name("my token (2)"));
/// assert!(is_valid_name("Zażółć_1"));
/// assert!(!is_valid_name("a"));
/// assert!(!is_valid_name(" padded "));
/// assert!(!is_valid_name("semi;colon"));
/// ```
pub fn is_valid_name(name: &str) -> bool {
    let edge = |c: char| c.is_alphanumeric() || matches!(c, '_' | '(' | ')');
    let middle = |c: char| edge(c) || matches!(c, ' ' | '.' | '-');
    let count = name.chars().count();
    let (Some(first), Some(last)) = (name.chars().next(), name.chars().last()) else {
        return false;
    };
    (NAME_LENGTH.0..=NAME_LENGTH.1).contains(&count)
        && edge(first)
        && edge(last)
        && name.chars().all(middle)
}

/// Why a token request is refused, with Onezone 20.02's error for each.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenApiError {
    /// A required key is missing (`missingRequiredValue`).
    MissingValue {
        /// The key.
        key: &'static str,
    },
    /// A name that breaks Onezone's rule (`badValueName`).
    BadName,
    /// A value that is not a string (`badValueString`).
    NotAString {
        /// The key.
        key: &'static str,
    },
    /// An empty string where a token is expected (`badValueEmpty`).
    Empty {
        /// The key.
        key: &'static str,
    },
    /// A value that is not a boolean (`badValueBoolean`).
    NotABoolean {
        /// The key.
        key: &'static str,
    },
    /// A value that is not a JSON object (`badValueJSON`).
    NotAnObject {
        /// The key.
        key: &'static str,
    },
    /// A value that is not an integer (`badValueInteger`).
    NotAnInteger {
        /// The key.
        key: &'static str,
    },
    /// A number below its minimum (`badValueTooLow`).
    TooLow {
        /// The key.
        key: &'static str,
        /// The minimum.
        limit: u64,
    },
    /// A value that is not a token type, or a type the subject may not have
    /// (`badValueTokenType`).
    BadTokenType {
        /// The key.
        key: &'static str,
    },
    /// A list of caveats that is not a list (`badData`).
    BadData {
        /// The key.
        key: &'static str,
    },
    /// A caveat Onezone does not read (`badValueCaveat`, with the caveat as given).
    BadCaveat {
        /// The caveat as the request gave it (boxed to keep the error small).
        caveat: Box<Value>,
    },
    /// A list with a value outside the allowed ones (`badValueListNotAllowed`).
    NotAllowed {
        /// The key.
        key: &'static str,
        /// The allowed values.
        allowed: Vec<&'static str>,
    },
    /// A list that is not a list of strings (`badValueListOfStrings`).
    NotAListOfStrings {
        /// The key.
        key: &'static str,
    },
    /// Not an IPv4 address (`badValueIPv4Address`).
    NotAnIpv4Address {
        /// The key.
        key: &'static str,
    },
    /// A value outside a fixed set (`badValueNotAllowed`).
    NotOneOf {
        /// The key.
        key: &'static str,
        /// The allowed values.
        allowed: Vec<&'static str>,
    },
    /// The subject already has a named token of this name (`badValueIdentifierOccupied`, key
    /// `name`).
    NameOccupied,
    /// A value that is not a token (`badValueToken`, with the token's error).
    BadToken {
        /// The key.
        key: &'static str,
        /// Why (boxed to keep the error small).
        error: Box<OnezoneError>,
    },
    /// The token is not an invite token of the expected type (`notAnInviteToken`).
    NotAnInviteToken {
        /// The invite type expected, `None` for any.
        expected: Option<InviteKind>,
        /// The token's type (boxed to keep the error small).
        received: Box<TokenType>,
    },
    /// The invite's target does not exist, or is of a kind this server keeps none of
    /// (`inviteTokenTargetIdInvalid`).
    TargetIdInvalid {
        /// The target id.
        id: String,
    },
    /// The subject may not issue this invitation (`inviteTokenSubjectNotAuthorized`).
    SubjectNotAuthorized,
}

impl fmt::Display for TokenApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.onezone_2002().description())
    }
}

impl core::error::Error for TokenApiError {}

fn keyed(id: &'static str, key: &str, description: String) -> OnezoneError {
    OnezoneError::new(id, 400, description).with_details(json!({ "key": key }))
}

impl Refusal for TokenApiError {
    /// 400 with the 20.02 description.
    fn onezone_1706(&self) -> (u16, String) {
        let e = self.onezone_2002();
        (e.status(), e.description().to_owned())
    }

    /// The ids, descriptions and details of ctool `errors.erl` `to_json`.
    fn onezone_2002(&self) -> OnezoneError {
        match self {
            TokenApiError::MissingValue { key } => {
                keyed("missingRequiredValue", key, format!("Missing required value: {key}."))
            }
            TokenApiError::BadName => {
                OnezoneError::new("badValueName", 400, format!("Bad value: {NAME_REQUIREMENTS}"))
            }
            TokenApiError::NotAString { key } => keyed(
                "badValueString",
                key,
                format!("Bad value: provided \"{key}\" must be a string."),
            ),
            TokenApiError::Empty { key } => keyed(
                "badValueEmpty",
                key,
                format!("Bad value: provided \"{key}\" must not be empty."),
            ),
            TokenApiError::NotABoolean { key } => keyed(
                "badValueBoolean",
                key,
                format!("Bad value: provided \"{key}\" must be a boolean."),
            ),
            TokenApiError::NotAnObject { key } => keyed(
                "badValueJSON",
                key,
                format!("Bad value: provided \"{key}\" must be a valid JSON."),
            ),
            TokenApiError::NotAnInteger { key } => keyed(
                "badValueInteger",
                key,
                format!("Bad value: provided \"{key}\" must be an integer."),
            ),
            TokenApiError::TooLow { key, limit } => OnezoneError::new(
                "badValueTooLow",
                400,
                format!("Bad value: provided \"{key}\" must be at least {limit}."),
            )
            .with_details(json!({ "key": key, "limit": limit })),
            TokenApiError::BadTokenType { key } => keyed(
                "badValueTokenType",
                key,
                format!("Bad value: provided \"{key}\" is not a valid token type."),
            ),
            TokenApiError::BadData { key } => keyed(
                "badData",
                key,
                format!(
                    "Bad value: provided \"{key}\" has an invalid format or is incomprehensible \
                     in the context of this operation."
                ),
            ),
            TokenApiError::BadCaveat { caveat } => OnezoneError::new(
                "badValueCaveat",
                400,
                format!("Provided caveat is invalid: '{caveat}'."),
            )
            .with_details(json!({ "caveat": caveat })),
            TokenApiError::NotAllowed { key, allowed } => OnezoneError::new(
                "badValueListNotAllowed",
                400,
                format!(
                    "Bad value: provided \"{key}\" must be a list containing zero or more \
                     following values: {}.",
                    allowed.join(", ")
                ),
            )
            .with_details(json!({ "key": key, "allowed": allowed })),
            TokenApiError::NotAListOfStrings { key } => keyed(
                "badValueListOfStrings",
                key,
                format!("Bad value: provided \"{key}\" must be a list of strings."),
            ),
            TokenApiError::NotAnIpv4Address { key } => keyed(
                "badValueIPv4Address",
                key,
                format!("Bad value: provided \"{key}\" is not a valid IPv4 address."),
            ),
            TokenApiError::NotOneOf { key, allowed } => OnezoneError::new(
                "badValueNotAllowed",
                400,
                format!("Bad value: provided \"{key}\" must be one of: {}.", allowed.join(", ")),
            )
            .with_details(json!({ "key": key, "allowed": allowed })),
            TokenApiError::NameOccupied => keyed(
                "badValueIdentifierOccupied",
                "name",
                "Bad value: provided identifier (\"name\") is already occupied.".to_owned(),
            ),
            TokenApiError::BadToken { key, error } => OnezoneError::new(
                "badValueToken",
                400,
                format!("Bad value: provided \"{key}\" is not a valid token (see details)."),
            )
            .with_details(json!({ "key": key, "tokenError": error.to_json() })),
            TokenApiError::NotAnInviteToken { expected, received } => {
                let expected = expected.map_or("any", InviteKind::name);
                OnezoneError::new(
                    "notAnInviteToken",
                    400,
                    format!(
                        "Expected an invite token of type '{expected}', but received a(n) {}.",
                        received_name(received)
                    ),
                )
                .with_details(json!({
                    "expectedInviteType": expected,
                    "received": received.onezone_json(),
                }))
            }
            TokenApiError::TargetIdInvalid { id } => OnezoneError::new(
                "inviteTokenTargetIdInvalid",
                400,
                format!("The target id '{id}' is invalid for this type of invite token."),
            )
            .with_details(json!({ "id": id })),
            TokenApiError::SubjectNotAuthorized => OnezoneError::new(
                "inviteTokenSubjectNotAuthorized",
                400,
                "The subject of this token is not (or no longer) authorized to issue such \
                 invitations.",
            ),
        }
    }
}

fn received_name(token_type: &TokenType) -> String {
    match token_type {
        TokenType::Access { .. } => "access token".into(),
        TokenType::Identity => "identity token".into(),
        TokenType::Invite { kind, .. } => format!("invite token of type '{}'", kind.name()),
    }
}

/// The request body as read: a JSON object (the server refuses anything else first).
pub type JsonObject = Map<String, Value>;

fn string<'a>(body: &'a JsonObject, key: &'static str) -> Result<Option<&'a str>, TokenApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(TokenApiError::NotAString { key }),
    }
}

fn boolean(body: &JsonObject, key: &'static str) -> Result<Option<bool>, TokenApiError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(TokenApiError::NotABoolean { key }),
    }
}

fn object(body: &JsonObject, key: &'static str) -> Result<Option<JsonObject>, TokenApiError> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o.clone())),
        Some(_) => Err(TokenApiError::NotAnObject { key }),
    }
}

fn name(body: &JsonObject, required: bool) -> Result<Option<String>, TokenApiError> {
    match string(body, "name")? {
        None if required => Err(TokenApiError::MissingValue { key: "name" }),
        None => Ok(None),
        Some(name) if is_valid_name(name) => Ok(Some(name.to_owned())),
        Some(_) => Err(TokenApiError::BadName),
    }
}

fn token_type(body: &JsonObject) -> Result<TokenType, TokenApiError> {
    match body.get("type") {
        None => Ok(TokenType::Access { session: None }),
        Some(value) => match TokenType::from_onezone_json(value) {
            // Tokens bound to a session are Onezone's GUI's own (not made through this API).
            Some(TokenType::Access { session: Some(_) }) | None => {
                Err(TokenApiError::BadTokenType { key: "type" })
            }
            Some(t) => Ok(t),
        },
    }
}

/// The caveats of a request: a list of Onezone JSON caveats (or their text forms).
fn caveats(body: &JsonObject) -> Result<Vec<Caveat>, TokenApiError> {
    let Some(value) = body.get("caveats") else { return Ok(Vec::new()) };
    let Value::Array(items) = value else {
        return Err(TokenApiError::BadData { key: "caveats" });
    };
    items
        .iter()
        .map(|item| {
            let read = match item {
                Value::String(text) => Caveat::parse(text).ok(),
                other => serde_json::from_value(other.clone()).ok(),
            };
            // Onezone echoes a caveat that is neither text nor an object as its text
            // (`entity_logic.erl`: `str_utils:format_bin("~tp", [Term])`).
            let echoed = match item {
                Value::String(_) | Value::Object(_) => item.clone(),
                other => Value::String(other.to_string()),
            };
            read.ok_or_else(|| TokenApiError::BadCaveat { caveat: Box::new(echoed) })
        })
        .collect()
}

/// `usageLimit`: an integer of at least 1, or `"infinity"` (the default); oz-worker
/// `token_metadata.erl` `{integer_or_infinity, {not_lower_than, 1}}`.
fn usage_limit(body: &JsonObject) -> Result<UsageLimit, TokenApiError> {
    let key = "usageLimit";
    let number = match body.get(key) {
        None => return Ok(UsageLimit::Infinity),
        Some(Value::String(s)) if s == "infinity" => return Ok(UsageLimit::Infinity),
        Some(Value::String(s)) => s.parse::<i64>().ok(),
        Some(Value::Number(n)) => n.as_i64(),
        Some(_) => None,
    };
    let number = number.ok_or(TokenApiError::NotAnInteger { key })?;
    let limit = u64::try_from(number).ok().and_then(NonZeroU64::new);
    limit.map(UsageLimit::Limited).ok_or(TokenApiError::TooLow { key, limit: 1 })
}

/// `privileges` of an invite: names of the vocabulary the server speaks.
fn privileges(
    body: &JsonObject,
    vocabulary: Vocabulary,
) -> Result<Option<PrivilegeSet>, TokenApiError> {
    let key = "privileges";
    let Some(value) = body.get(key) else { return Ok(None) };
    let Value::Array(items) = value else {
        return Err(TokenApiError::NotAListOfStrings { key });
    };
    let names: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
    let names = names.ok_or(TokenApiError::NotAListOfStrings { key })?;
    PrivilegeSet::parse_in(vocabulary, names)
        .map(Some)
        .map_err(|_| TokenApiError::NotAllowed { key, allowed: vocabulary.privileges().names() })
}

/// `POST /user/tokens/named`, read: `name` (required), `type` (default an access token),
/// `caveats`, `customMetadata`, `revoked`; for an invite token also `usageLimit` and
/// `privileges` (ignored otherwise, as Onezone's validator does not declare them).
///
/// ```
/// use onezone_tokens::group::Vocabulary;
/// use onezone_tokens::invite::{NamedTokenRequest, TokenApiError, UsageLimit};
/// use onezone_tokens::onezone_error::Refusal;
/// use serde_json::json;
///
/// let body = json!({"name": "invite 1", "type": {"inviteToken": {"inviteType": "userJoinGroup", "groupId": "g1"}},
///                   "usageLimit": 3, "caveats": [{"type": "interface", "interface": "rest"}]});
/// let request = NamedTokenRequest::from_json(body.as_object().unwrap(), Vocabulary::Onezone2002)?;
/// assert_eq!(request.usage_limit.to_string(), "3");
/// assert_eq!(request.caveats[0].to_string(), "interface = rest");
///
/// let nameless = json!({"type": {"identityToken": {}}});
/// let refused = NamedTokenRequest::from_json(nameless.as_object().unwrap(), Vocabulary::Onezone2002).unwrap_err();
/// assert_eq!(refused, TokenApiError::MissingValue { key: "name" });
/// assert_eq!(refused.onezone_2002().id(), "missingRequiredValue");
/// # Ok::<(), TokenApiError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NamedTokenRequest {
    /// The token's name, unique among its subject's named tokens.
    pub name: String,
    /// The token's type.
    pub token_type: TokenType,
    /// Its caveats.
    pub caveats: Vec<Caveat>,
    /// `customMetadata`, a JSON object (empty by default).
    pub custom_metadata: JsonObject,
    /// Whether it is created revoked.
    pub revoked: bool,
    /// An invite's usage limit (infinity by default).
    pub usage_limit: UsageLimit,
    /// An invite's privileges, if named (the member set otherwise).
    pub privileges: Option<PrivilegeSet>,
}

impl NamedTokenRequest {
    /// Reads the body, with privilege names of `vocabulary`.
    ///
    /// # Errors
    /// The first [`TokenApiError`] of the keys in the order above.
    pub fn from_json(body: &JsonObject, vocabulary: Vocabulary) -> Result<Self, TokenApiError> {
        let name = name(body, true)?.unwrap_or_default();
        let token_type = token_type(body)?;
        let caveats = caveats(body)?;
        let custom_metadata = object(body, "customMetadata")?.unwrap_or_default();
        let revoked = boolean(body, "revoked")?.unwrap_or(false);
        let (usage_limit, privileges) = match &token_type {
            TokenType::Invite { .. } => (usage_limit(body)?, privileges(body, vocabulary)?),
            _ => (UsageLimit::Infinity, None),
        };
        Ok(NamedTokenRequest {
            name,
            token_type,
            caveats,
            custom_metadata,
            revoked,
            usage_limit,
            privileges,
        })
    }

    /// The invitation the request makes, checked against what the caller's storage says of its
    /// target (oz-worker `invite_tokens.erl` `ensure_valid_invitation`): the target must be a
    /// group that exists (`inviteTokenTargetIdInvalid`: this crate keeps no spaces, clusters,
    /// harvesters or inventories), the subject must hold the invite privilege there, and
    /// `group_set_privileges` too if the request names `privileges`
    /// (`inviteTokenSubjectNotAuthorized`). `access` is the subject's standing in the group
    /// the type names; `None` for a token that is no invite.
    ///
    /// # Errors
    /// As above.
    pub fn check_invitation(&self, access: &GroupAccess) -> Result<(), TokenApiError> {
        check_invitation(&self.token_type, self.privileges.is_some(), access)
    }

    /// The group an invite token of this request invites to, if it is one this crate keeps
    /// (user or group joins a group); check it with [`check_invitation`](Self::check_invitation).
    pub fn invite_group(&self) -> Option<Result<GroupId, TokenApiError>> {
        invite_group(&self.token_type)
    }

    /// The record a named token of this request is stored as, once issued with `token_id`
    /// for `subject` at `now`.
    pub fn record(&self, token_id: &str, subject: Subject, now: u64) -> NamedTokenRecord {
        NamedTokenRecord {
            token_id: token_id.to_owned(),
            name: self.name.clone(),
            subject,
            token_type: self.token_type.clone(),
            caveats: self.caveats.clone(),
            custom_metadata: self.custom_metadata.clone(),
            revoked: self.revoked,
            created_at: now,
        }
    }

    /// The invite record of an invite token of this request (its usage, privileges and expiry,
    /// which joins read and count), stored without its secret (derived from a master key);
    /// `None` for a token that is no group invite.
    pub fn invite_record(&self, token_id: &str, issuer: &UserId, now: u64) -> Option<InviteRecord> {
        let TokenType::Invite { kind, target, .. } = &self.token_type else { return None };
        let target_kind = invite_target(*kind)?;
        let group_id = GroupId::new(target.as_str()).ok()?;
        let expiry = earliest_expiry(&self.caveats);
        Some(InviteRecord {
            token_id: token_id.to_owned(),
            secret: SecretBytes::new(Vec::new()),
            group_id,
            issuer: issuer.clone(),
            target: target_kind,
            usage_limit: self.usage_limit,
            usage_count: 0,
            privileges: self.privileges.unwrap_or(PrivilegeSet::member()),
            created_at: now,
            // No time caveat: the record never expires (the largest time a column holds).
            valid_until: expiry.unwrap_or(UsageLimit::MAX),
            revoked: self.revoked,
        })
    }
}

/// The group an invite type names, if it is one (see [`NamedTokenRequest::invite_group`]).
fn invite_group(token_type: &TokenType) -> Option<Result<GroupId, TokenApiError>> {
    let TokenType::Invite { target, .. } = token_type else { return None };
    Some(
        GroupId::new(target.as_str())
            .map_err(|_| TokenApiError::TargetIdInvalid { id: target.clone() }),
    )
}

/// See [`NamedTokenRequest::check_invitation`]; `custom_privileges` when the request names
/// `privileges` (oz-worker `token_metadata.erl` `inspect_requested_privileges`).
fn check_invitation(
    token_type: &TokenType,
    custom_privileges: bool,
    access: &GroupAccess,
) -> Result<(), TokenApiError> {
    let TokenType::Invite { kind, target, .. } = token_type else { return Ok(()) };
    let invalid = || TokenApiError::TargetIdInvalid { id: target.clone() };
    let target_kind = invite_target(*kind).ok_or_else(invalid)?;
    if !access.group_exists || access.group.as_str() != target {
        return Err(invalid());
    }
    if !access.privileges.allows(super::issue::invite_privilege(target_kind)) {
        return Err(TokenApiError::SubjectNotAuthorized);
    }
    if custom_privileges && !access.privileges.allows(Privilege::GroupSetPrivileges) {
        return Err(TokenApiError::SubjectNotAuthorized);
    }
    Ok(())
}

/// The invite kinds this crate keeps records for.
fn invite_target(kind: InviteKind) -> Option<InviteTarget> {
    match kind {
        InviteKind::UserJoinGroup => Some(InviteTarget::UserJoinGroup),
        InviteKind::GroupJoinGroup => Some(InviteTarget::GroupJoinGroup),
        _ => None,
    }
}

/// `POST /user/tokens/temporary`, read: `type` (default an access token) and `caveats`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TemporaryTokenRequest {
    /// The token's type.
    pub token_type: TokenType,
    /// Its caveats (a time caveat within the maximum lifetime is required when issuing).
    pub caveats: Vec<Caveat>,
}

impl TemporaryTokenRequest {
    /// Reads the body (absent keys take their defaults).
    ///
    /// # Errors
    /// [`TokenApiError::BadTokenType`], [`TokenApiError::BadData`] or
    /// [`TokenApiError::BadCaveat`].
    pub fn from_json(body: &JsonObject) -> Result<Self, TokenApiError> {
        Ok(TemporaryTokenRequest { token_type: token_type(body)?, caveats: caveats(body)? })
    }

    /// The group an invite token of this request invites to (see
    /// [`NamedTokenRequest::invite_group`]).
    pub fn invite_group(&self) -> Option<Result<GroupId, TokenApiError>> {
        invite_group(&self.token_type)
    }

    /// The invitation checked as for a named token with the default privileges (oz-worker
    /// `token_logic_plugin.erl` `validate_type(_, temporary, ..)`): a temporary invite carries
    /// no privileges of its own.
    ///
    /// # Errors
    /// As [`NamedTokenRequest::check_invitation`].
    pub fn check_invitation(&self, access: &GroupAccess) -> Result<(), TokenApiError> {
        check_invitation(&self.token_type, false, access)
    }
}

/// `PATCH /tokens/named/{id}`, read: any of `name`, `customMetadata`, `revoked` (oz-worker
/// `token_logic_plugin.erl` `validate(update, instance)`).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct NamedTokenPatch {
    /// A new name.
    pub name: Option<String>,
    /// New custom metadata.
    pub custom_metadata: Option<JsonObject>,
    /// Revoke or reinstate.
    pub revoked: Option<bool>,
}

impl NamedTokenPatch {
    /// Reads the body.
    ///
    /// # Errors
    /// [`TokenApiError::BadName`], [`TokenApiError::NotAnObject`],
    /// [`TokenApiError::NotABoolean`].
    pub fn from_json(body: &JsonObject) -> Result<Self, TokenApiError> {
        Ok(NamedTokenPatch {
            name: name(body, false)?,
            custom_metadata: object(body, "customMetadata")?,
            revoked: boolean(body, "revoked")?,
        })
    }

    /// The record with the patch applied.
    pub fn apply(&self, record: &mut NamedTokenRecord) {
        if let Some(name) = &self.name {
            record.name.clone_from(name);
        }
        if let Some(metadata) = &self.custom_metadata {
            record.custom_metadata.clone_from(metadata);
        }
        if let Some(revoked) = self.revoked {
            record.revoked = revoked;
        }
    }
}

/// Which token a `POST /tokens/verify_*_token` verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyKind {
    /// `verify_access_token`.
    Access,
    /// `verify_identity_token`.
    Identity,
    /// `verify_invite_token`, with `expectedInviteType` (`None`: any).
    Invite(Option<InviteKind>),
}

/// `POST /tokens/verify_access_token`, `verify_identity_token` and `verify_invite_token`,
/// read (oz-worker `token_logic_plugin.erl` `validate_verify_operation`,
/// `build_token_verification_auth_ctx`): `token` (required), `peerIp`, `interface`,
/// `consumerToken`, `serviceToken`, and for invites `expectedInviteType`.
///
/// ```
/// use onezone_tokens::invite::{VerifyKind, VerifyRequest};
/// # let token = "MDAyMGxvY2F00aW9uIGRvbWFpbi5leGFtcGxlLmNvbQowMDU4aWRlbnRpZmllciAyL25tZC91c3ItaW52aXRhdGlvbi1zZW5kZXIvdWpnOkdyb3VwSWQ6LzEyMzQ1Njc4OTBleGFtcGxlLWlkMTIzNDU2Nzg5MGUKMDAyZnNpZ25hdHVyZSAZ9fnn2KhoiG2TYBxVhRllfTxiFK7wpdMQoJQaJNo4sQo";
/// let body = serde_json::json!({"token": token, "peerIp": "10.0.0.1", "interface": "rest"});
/// let read = VerifyRequest::from_json(body.as_object().unwrap(), false)?;
/// assert_eq!(read.peer_ip, Some(Some("10.0.0.1".parse().unwrap())));
/// assert_eq!(read.kind, VerifyKind::Access);
/// # Ok::<(), onezone_tokens::invite::TokenApiError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyRequest {
    /// The token's text.
    pub token: String,
    /// `peerIp`: absent (`None`: the caller's address), `null` (`Some(None)`: none) or an
    /// address.
    pub peer_ip: Option<Option<IpAddr>>,
    /// `interface`, if given.
    pub interface: Option<Interface>,
    /// `consumerToken`: absent (`None`: the caller is the consumer), `null` (`Some(None)`: no
    /// consumer) or a token.
    pub consumer_token: Option<Option<String>>,
    /// `serviceToken`, if given.
    pub service_token: Option<String>,
    /// What is verified.
    pub kind: VerifyKind,
}

impl VerifyRequest {
    /// Reads the body of `verify_access_token` / `verify_identity_token` (`invite` false) or
    /// of `verify_invite_token` (`invite` true).
    ///
    /// # Errors
    /// The first [`TokenApiError`] of `token`, `peerIp`, `interface`, `consumerToken`,
    /// `serviceToken`, `expectedInviteType`.
    pub fn from_json(body: &JsonObject, invite: bool) -> Result<Self, TokenApiError> {
        let token = token_text(body, "token")?;
        let peer_ip = match body.get("peerIp") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(text)) => match text.parse::<core::net::Ipv4Addr>() {
                Ok(ip) => Some(Some(IpAddr::V4(ip))),
                Err(_) => return Err(TokenApiError::NotAnIpv4Address { key: "peerIp" }),
            },
            Some(_) => return Err(TokenApiError::NotAnIpv4Address { key: "peerIp" }),
        };
        let interface = match string(body, "interface")? {
            None => None,
            Some(text) => Some(text.parse::<Interface>().map_err(|_| TokenApiError::NotOneOf {
                key: "interface",
                allowed: alloc::vec!["graphsync", "rest", "oneclient"],
            })?),
        };
        let consumer_token = match body.get("consumerToken") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(_) => Some(Some(token_text(body, "consumerToken")?)),
        };
        let service_token = match body.get("serviceToken") {
            None | Some(Value::Null) => None,
            Some(_) => Some(token_text(body, "serviceToken")?),
        };
        // Read for its type only: data-access caveats are refused on the REST interface anyway.
        boolean(body, "allowDataAccessCaveats")?;
        let kind = if invite {
            let key = "expectedInviteType";
            let expected = match string(body, key)? {
                None | Some("any") => None,
                Some(name) => Some(InviteKind::from_name(name).ok_or_else(|| {
                    let mut allowed: Vec<&'static str> =
                        InviteKind::ALL.iter().map(|k| k.name()).collect();
                    allowed.push("any");
                    TokenApiError::NotOneOf { key, allowed }
                })?),
            };
            VerifyKind::Invite(expected)
        } else {
            VerifyKind::Access
        };
        Ok(VerifyRequest { token, peer_ip, interface, consumer_token, service_token, kind })
    }

    /// For `verify_invite_token`: the token's type must be an invite of the expected kind
    /// (`notAnInviteToken` with `{expectedInviteType, received}` otherwise).
    ///
    /// # Errors
    /// [`TokenApiError::NotAnInviteToken`].
    pub fn check_invite_type<S: AsRef<str>>(
        &self,
        identifier: &TokenIdentifier<S>,
    ) -> Result<(), TokenApiError> {
        let VerifyKind::Invite(expected) = self.kind else { return Ok(()) };
        let received = match identifier {
            TokenIdentifier::V2(v2) => v2.token_type.as_borrowed().into_owned(),
            TokenIdentifier::Legacy(_) => TokenType::Access { session: None },
        };
        match &received {
            TokenType::Invite { kind, .. } if expected.is_none_or(|e| e == *kind) => Ok(()),
            _ => Err(TokenApiError::NotAnInviteToken { expected, received: Box::new(received) }),
        }
    }
}

/// The answer of `POST /tokens/verify_*_token`: `{"subject": {"type", "id"}, "ttl"}`, `ttl`
/// the seconds left until the earliest time caveat, or null without one (oz-worker
/// `token_rest_translator.erl` `token_verification_reply`, ctool `caveats.erl` `infer_ttl`).
///
/// ```
/// use onezone_tokens::invite::verification_json;
/// use onezone_tokens::token::Subject;
/// let alice = Subject::User("alice".into());
/// assert_eq!(verification_json(&alice, Some(160), 100)["ttl"], 60);
/// assert_eq!(verification_json(&alice, None, 100)["ttl"], serde_json::Value::Null);
/// ```
pub fn verification_json(subject: &Subject, valid_until: Option<u64>, now: u64) -> Value {
    let ttl = valid_until.map(|v| v.saturating_sub(now));
    json!({ "subject": subject.onezone_json(), "ttl": ttl })
}

/// A named token as stored: everything Onezone keeps of it (oz-worker `od_token` record) but
/// the secret, which is derived from a master key
/// ([`DerivedSecrets::named`](crate::token::DerivedSecrets::named)). An invite token's usage,
/// privileges and expiry live in its [`InviteRecord`], under the same token id.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedTokenRecord {
    /// The token id.
    pub token_id: String,
    /// Its name, unique among its subject's named tokens.
    pub name: String,
    /// Its subject.
    pub subject: Subject,
    /// Its type.
    pub token_type: TokenType,
    /// The caveats it was issued with.
    pub caveats: Vec<Caveat>,
    /// `customMetadata`.
    pub custom_metadata: JsonObject,
    /// Whether it is revoked.
    pub revoked: bool,
    /// When it was created (Unix seconds).
    pub created_at: u64,
}

impl NamedTokenRecord {
    /// The token's identifier, `2/nmd/<subject>/<type>/<id>`.
    pub fn identifier(&self) -> TokenIdentifier {
        TokenIdentifier::V2(IdentifierV2 {
            persistence: Persistence::Named,
            subject: self.subject.clone(),
            token_type: self.token_type.clone(),
            id: self.token_id.clone(),
        })
    }

    /// The record's `metadata` as Onezone answers it (oz-worker `token_metadata.erl`
    /// `build`): `{"creationTime", "custom"}`, and for an invite (with its record) also
    /// `privileges` (names of `vocabulary`), `usageLimit` and `usageCount`.
    pub fn metadata_json(&self, invite: Option<&InviteRecord>, vocabulary: Vocabulary) -> Value {
        let mut metadata = Map::new();
        metadata.insert("creationTime".into(), Value::from(self.created_at));
        metadata.insert("custom".into(), Value::Object(self.custom_metadata.clone()));
        if let Some(invite) = invite {
            let names = invite.privileges.in_vocabulary(vocabulary).names();
            metadata.insert("privileges".into(), json!(names));
            metadata.insert("usageLimit".into(), json!(invite.usage_limit));
            metadata.insert("usageCount".into(), json!(invite.usage_count));
        }
        Value::Object(metadata)
    }

    /// The NamedToken object of `GET /tokens/named/{id}` (oz-worker `token_rest_translator.erl`
    /// `named_token_reply`): `{"id", "name", "subject", "type", "caveats", "metadata",
    /// "revoked", "token"}`, with the token's text (minted again from its derived secret: the
    /// same bytes each time).
    pub fn onezone_json(
        &self,
        token: &str,
        invite: Option<&InviteRecord>,
        vocabulary: Vocabulary,
    ) -> Value {
        json!({
            "id": self.token_id,
            "name": self.name,
            "subject": self.subject.onezone_json(),
            "type": self.token_type.onezone_json(),
            "caveats": self.caveats,
            "metadata": self.metadata_json(invite, vocabulary),
            "revoked": self.revoked,
            "token": token,
        })
    }
}

/// A request's token under `key` (`token` of examine, confine and the verify routes), read:
/// `missingRequiredValue`, `badValueEmpty`, or `badValueToken` with why it does not parse
/// (oz-worker `entity_logic.erl` `check_type(token, ..)`).
///
/// ```
/// use onezone_tokens::invite::read_token;
/// use onezone_tokens::onezone_error::Refusal;
/// let body = serde_json::json!({"token": "garbage"});
/// let refused = read_token(body.as_object().unwrap(), "token").unwrap_err().onezone_2002();
/// assert_eq!(refused.id(), "badValueToken");
/// assert_eq!(refused.details().unwrap()["tokenError"]["id"], "badToken");
/// ```
///
/// # Errors
/// As above.
pub fn read_token(body: &JsonObject, key: &'static str) -> Result<UnverifiedToken, TokenApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Err(TokenApiError::MissingValue { key }),
        Some(Value::String(text)) if text.is_empty() => Err(TokenApiError::Empty { key }),
        Some(Value::String(text)) => {
            UnverifiedToken::parse(text).map_err(|e| bad_value_token(key, &e))
        }
        Some(_) => Err(TokenApiError::BadToken {
            key,
            error: Box::new(OnezoneError::new(
                "badToken",
                400,
                "Provided token could not be understood by the server.",
            )),
        }),
    }
}

/// The text of a token under `key`, checked to parse (as [`read_token`]).
fn token_text(body: &JsonObject, key: &'static str) -> Result<String, TokenApiError> {
    read_token(body, key)?;
    match body.get(key) {
        Some(Value::String(text)) => Ok(text.clone()),
        _ => Err(TokenApiError::MissingValue { key }),
    }
}

/// `POST /tokens/confine`, read: `token` and `caveats`, both required.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConfineRequest {
    /// The token to confine.
    pub token: UnverifiedToken,
    /// The caveats to add.
    pub caveats: Vec<Caveat>,
}

impl ConfineRequest {
    /// Reads the body.
    ///
    /// # Errors
    /// As [`read_token`], then `missingRequiredValue` (`caveats`), `badData` or
    /// `badValueCaveat`.
    pub fn from_json(body: &JsonObject) -> Result<Self, TokenApiError> {
        let token = read_token(body, "token")?;
        if !body.contains_key("caveats") {
            return Err(TokenApiError::MissingValue { key: "caveats" });
        }
        Ok(ConfineRequest { token, caveats: caveats(body)? })
    }
}

/// The answer `badValueToken` for the request's `key`, with the token's error.
pub fn bad_value_token(key: &'static str, error: &TokenError) -> TokenApiError {
    TokenApiError::BadToken { key, error: Box::new(error.onezone_error()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token of the SPEC's examples (section 7): `2/nmd/usr-invitation-sender/ujg:GroupId:/..`.
    const TOKEN: &str = "MDAyMGxvY2F00aW9uIGRvbWFpbi5leGFtcGxlLmNvbQowMDU4aWRlbnRpZmllciAyL25tZC91c3ItaW52aXRhdGlvbi1zZW5kZXIvdWpnOkdyb3VwSWQ6LzEyMzQ1Njc4OTBleGFtcGxlLWlkMTIzNDU2Nzg5MGUKMDAyZnNpZ25hdHVyZSAZ9fnn2KhoiG2TYBxVhRllfTxiFK7wpdMQoJQaJNo4sQo";

    fn body(value: Value) -> JsonObject {
        match value {
            Value::Object(o) => o,
            _ => unreachable!(),
        }
    }

    #[test]
    fn names_follow_onezones_rule() {
        for good in ["ab", "a b", "a.b-c", "(x)", "__", "Ünïcödé", &"x".repeat(50)] {
            assert!(is_valid_name(good), "{good:?}");
        }
        for bad in ["", "a", " ab", "ab ", ".ab", "ab-", "a/b", "a;b", &"x".repeat(51)] {
            assert!(!is_valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn named_requests_are_checked_key_by_key() {
        let v = Vocabulary::Onezone2002;
        let refused = |value: Value| NamedTokenRequest::from_json(&body(value), v).unwrap_err();
        assert_eq!(refused(json!({})), TokenApiError::MissingValue { key: "name" });
        assert_eq!(refused(json!({"name": 7})), TokenApiError::NotAString { key: "name" });
        assert_eq!(refused(json!({"name": "x"})), TokenApiError::BadName);
        assert_eq!(
            refused(json!({"name": "ab", "type": {"bogus": {}}})),
            TokenApiError::BadTokenType { key: "type" }
        );
        assert_eq!(
            refused(json!({"name": "ab", "caveats": {"type": "time"}})),
            TokenApiError::BadData { key: "caveats" }
        );
        assert_eq!(
            refused(json!({"name": "ab", "caveats": [{"type": "time"}]})),
            TokenApiError::BadCaveat { caveat: Box::new(json!({"type": "time"})) }
        );
        assert_eq!(
            refused(json!({"name": "ab", "customMetadata": []})),
            TokenApiError::NotAnObject { key: "customMetadata" }
        );
        assert_eq!(
            refused(json!({"name": "ab", "revoked": "yes"})),
            TokenApiError::NotABoolean { key: "revoked" }
        );
        let invite = json!({"inviteToken": {"inviteType": "userJoinGroup", "groupId": "g1"}});
        assert_eq!(
            refused(json!({"name": "ab", "type": invite, "usageLimit": 0})),
            TokenApiError::TooLow { key: "usageLimit", limit: 1 }
        );
        assert_eq!(
            refused(json!({"name": "ab", "type": invite, "usageLimit": "many"})),
            TokenApiError::NotAnInteger { key: "usageLimit" }
        );
        // 17.06's names are not 20.02's.
        let e = refused(json!({"name": "ab", "type": invite, "privileges": ["group_invite_user"]}));
        assert!(matches!(e, TokenApiError::NotAllowed { key: "privileges", .. }), "{e:?}");
        assert_eq!(e.onezone_2002().details().unwrap()["allowed"].as_array().unwrap().len(), 21);
        // Outside an invite, usageLimit and privileges are not read.
        let access = NamedTokenRequest::from_json(
            &body(json!({"name": "ab", "usageLimit": 0, "privileges": 3})),
            v,
        )
        .unwrap();
        assert_eq!(access.token_type, TokenType::Access { session: None });
        assert_eq!((access.usage_limit, access.privileges), (UsageLimit::Infinity, None));
    }

    #[test]
    fn invitations_are_checked_against_the_group() {
        let (g1, alice) = (GroupId::new("g1").unwrap(), UserId::new("alice").unwrap());
        let read = |value: Value| {
            NamedTokenRequest::from_json(&body(value), Vocabulary::Onezone2002).unwrap()
        };
        let ujg = json!({"inviteToken": {"inviteType": "userJoinGroup", "groupId": "g1"}});
        let plain = read(json!({"name": "ab", "type": ujg}));
        let named = read(json!({"name": "ab", "type": ujg, "privileges": ["group_view"]}));
        let manager = GroupAccess::new(Some(&alice), &g1, true, PrivilegeSet::manager());
        let admin = GroupAccess::new(Some(&alice), &g1, true, PrivilegeSet::admin());
        let member = GroupAccess::new(Some(&alice), &g1, true, PrivilegeSet::member());
        let missing = GroupAccess::missing(Some(&alice), &g1);
        assert_eq!(plain.check_invitation(&manager), Ok(()));
        assert_eq!(plain.check_invitation(&member), Err(TokenApiError::SubjectNotAuthorized));
        assert_eq!(named.check_invitation(&manager), Err(TokenApiError::SubjectNotAuthorized));
        assert_eq!(named.check_invitation(&admin), Ok(()));
        assert_eq!(
            plain.check_invitation(&missing),
            Err(TokenApiError::TargetIdInvalid { id: "g1".into() })
        );
        let space = read(
            json!({"name": "ab", "type": {"inviteToken": {"inviteType": "userJoinSpace", "spaceId": "s1"}}}),
        );
        let refused = space.check_invitation(&admin).unwrap_err();
        assert_eq!(refused.onezone_2002().id(), "inviteTokenTargetIdInvalid");
        assert_eq!(refused.onezone_2002().details(), Some(&json!({"id": "s1"})));
        assert!(space.invite_record("t1", &alice, 5).is_none());
        let record = named.invite_record("t1", &alice, 5).unwrap();
        assert_eq!(
            (record.valid_until, record.usage_limit),
            (UsageLimit::MAX, UsageLimit::Infinity)
        );
    }

    /// The bad values of oz-worker release/20.02.20 `test_distributed/token_api_test_SUITE.erl`
    /// (`BAD_TYPE_VALUES`, `BAD_CAVEATS_VALUES`, `BAD_CUSTOM_METADATA_VALUES`,
    /// `BAD_REVOKED_VALUES`, and the `bad_values` of confine and verify), as facts: the value
    /// and the error Onezone answers.
    #[test]
    fn onezones_bad_values() {
        let named = |key: &str, value: Value| {
            let mut body = body(json!({"name": "ok name"}));
            body.insert(key.into(), value);
            NamedTokenRequest::from_json(&body, Vocabulary::Onezone2002)
                .unwrap_err()
                .onezone_2002()
                .to_json()
        };
        let error = |id: &str, details: Value| json!({"id": id, "details": details});
        let same = |got: Value, want: Value| {
            assert_eq!(got["id"], want["id"], "{got}");
            assert_eq!(got["details"], want["details"], "{got}");
        };
        for value in [json!(""), json!(123123), json!("dsfdsfasdf")] {
            same(named("type", value), error("badValueTokenType", json!({"key": "type"})));
        }
        for value in [json!(""), json!(345345), json!(1.56), json!("string literal"), json!({})] {
            same(named("caveats", value), error("badData", json!({"key": "caveats"})));
        }
        for (value, echoed) in [
            (json!([{}]), json!({})),
            (json!([{"a": "b"}]), json!({"a": "b"})),
            (json!([{"type": "tiem"}]), json!({"type": "tiem"})),
            (json!([1, 2, 3]), json!("1")),
            (json!(["a", "b", "c"]), json!("a")),
            (json!(["time > 1234"]), json!("time > 1234")),
            (json!(["ip = 1.2.3.4.5"]), json!("ip = 1.2.3.4.5")),
        ] {
            same(named("caveats", value), error("badValueCaveat", json!({"caveat": echoed})));
        }
        for value in [json!(""), json!(345345), json!(1.56), json!("string literal")] {
            let want = error("badValueJSON", json!({"key": "customMetadata"}));
            same(named("customMetadata", value), want);
        }
        for value in [json!(""), json!(345345), json!(1.56), json!("string literal")] {
            same(named("revoked", value), error("badValueBoolean", json!({"key": "revoked"})));
        }
        let bad_token = |key: &str| {
            let token_error = json!({"id": "badToken", "description":
                "Provided token could not be understood by the server."});
            error("badValueToken", json!({"key": key, "tokenError": token_error}))
        };
        let confine = |value: Value| {
            ConfineRequest::from_json(&body(value)).unwrap_err().onezone_2002().to_json()
        };
        for value in [json!("1234"), json!(1234), json!({"a": "b"})] {
            let got = confine(json!({"token": value, "caveats": []}));
            same(got.clone(), bad_token("token"));
            assert_eq!(got["details"]["tokenError"]["id"], "badToken");
        }
        let token = TOKEN;
        for value in [json!("1234"), json!(1234)] {
            same(
                confine(json!({"token": token, "caveats": value})),
                error("badData", json!({"key": "caveats"})),
            );
        }
        let verify = |key: &str, value: Value| {
            let mut body = body(json!({"token": token}));
            body.insert(key.into(), value);
            VerifyRequest::from_json(&body, false).unwrap_err().onezone_2002().to_json()
        };
        for value in [json!("1234.6.78.19"), json!(1234), json!({"a": "b"})] {
            same(verify("peerIp", value), error("badValueIPv4Address", json!({"key": "peerIp"})));
        }
        same(
            verify("interface", json!({"a": "b"})),
            error("badValueString", json!({"key": "interface"})),
        );
        let got = verify("interface", json!("graphSync"));
        assert_eq!(
            (got["id"].clone(), got["details"]["key"].clone()),
            (json!("badValueNotAllowed"), json!("interface"))
        );
        for key in ["serviceToken", "consumerToken"] {
            for value in [json!({"a": "b"}), json!("graphSync")] {
                same(verify(key, value), bad_token(key));
            }
        }
        for value in [json!("1234"), json!(1234), json!({"a": "b"})] {
            let want = error("badValueBoolean", json!({"key": "allowDataAccessCaveats"}));
            same(verify("allowDataAccessCaveats", value), want);
        }
    }

    #[test]
    fn invite_types_are_checked_when_verifying() {
        let read = |value: Value| VerifyRequest::from_json(&body(value), true).unwrap();
        let any = read(json!({"token": TOKEN}));
        let ujg = read(json!({"token": TOKEN, "expectedInviteType": "userJoinGroup"}));
        let invite = TokenIdentifier::parse("2/nmd/usr-a/gjg:g1:/t1").unwrap();
        let access = TokenIdentifier::parse("2/nmd/usr-a/act/t1").unwrap();
        assert_eq!(any.check_invite_type(&invite), Ok(()));
        let e = ujg.check_invite_type(&invite).unwrap_err().onezone_2002();
        assert_eq!(e.id(), "notAnInviteToken");
        assert_eq!(
            e.details(),
            Some(&json!({"expectedInviteType": "userJoinGroup", "received":
                {"inviteToken": {"inviteType": "groupJoinGroup", "groupId": "g1", "parameters": {}}}}))
        );
        let e = any.check_invite_type(&access).unwrap_err().onezone_2002();
        assert_eq!(e.details().unwrap()["expectedInviteType"], "any");
        let refused = VerifyRequest::from_json(&body(json!({"token": ""})), false).unwrap_err();
        assert_eq!(refused, TokenApiError::Empty { key: "token" });
        let refused =
            VerifyRequest::from_json(&body(json!({"token": TOKEN, "peerIp": "::1"})), false);
        assert_eq!(refused.unwrap_err(), TokenApiError::NotAnIpv4Address { key: "peerIp" });
    }
}
