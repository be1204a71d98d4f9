//! The endpoint's API types (`POST /groups/{id}/users/token`, `POST /user/groups/join`, ...) and
//! Onezone's `{"error": "..."}` body.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::num::NonZeroU64;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::group::PrivilegeSet;
use crate::json::{self, object_only};
use crate::token::Caveat;

use super::error::RequestError;

/// How many times an invite token may be used: a positive integer or `"infinity"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsageLimit {
    /// At most this many successful joins.
    Limited(NonZeroU64),
    /// Any number of joins.
    Infinity,
}

impl UsageLimit {
    /// One use: what the 17.06 endpoint grants.
    pub const ONCE: UsageLimit = UsageLimit::Limited(NonZeroU64::MIN);

    /// The largest limit a request may ask for: `i64::MAX`, so that every limit read from a
    /// request fits the signed 64-bit integer column (`BIGINT`) a store keeps it in.
    pub const MAX: u64 = i64::MAX as u64;

    /// Whether a token used `count` times may be used once more.
    pub fn admits(self, count: u64) -> bool {
        match self {
            UsageLimit::Limited(n) => count < n.get(),
            UsageLimit::Infinity => true,
        }
    }
}

impl fmt::Display for UsageLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageLimit::Limited(n) => write!(f, "{n}"),
            UsageLimit::Infinity => f.write_str("infinity"),
        }
    }
}

impl Serialize for UsageLimit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            UsageLimit::Limited(n) => s.serialize_u64(n.get()),
            UsageLimit::Infinity => s.serialize_str("infinity"),
        }
    }
}

/// What a usage limit may be, in the words of the API.
const EXPECTED_LIMIT: &str =
    "an integer of at least 1 and at most 9223372036854775807, or \"infinity\"";

impl<'de> Deserialize<'de> for UsageLimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = UsageLimit;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(EXPECTED_LIMIT)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<UsageLimit, E> {
                match NonZeroU64::new(v) {
                    Some(n) if v <= UsageLimit::MAX => Ok(UsageLimit::Limited(n)),
                    _ => Err(E::invalid_value(de::Unexpected::Unsigned(v), &self)),
                }
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<UsageLimit, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::invalid_value(de::Unexpected::Signed(v), &self)),
                }
            }
            // Past u64 (`1e20`, a float in JSON's eyes): out of range as well.
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<UsageLimit, E> {
                Err(E::invalid_value(de::Unexpected::Float(v), &self))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<UsageLimit, E> {
                if v == "infinity" {
                    Ok(UsageLimit::Infinity)
                } else {
                    Err(E::invalid_value(de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads a request body that must be a JSON object, as Onezone reads every body, into `T` (a
/// request type of this crate, or a server's own derived struct).
///
/// * Nothing but JSON white space (or nothing at all): [`RequestError::MissingBody`].
/// * Anything but an object (an array, a string, a number, `true`, `null`, a form feed, which
///   is not JSON white space): [`RequestError::NotAnObject`]. An array is never read by
///   position, as serde's derived `Deserialize` would read it.
/// * A value `T` refuses: [`RequestError::BadValue`], naming its key; a missing key or text
///   that is not JSON: [`RequestError::Json`]. No message names a Rust type.
///
/// Keys `T` does not declare are ignored, as Onezone ignores them (SPEC: 17.06
/// `check_validity`, 20.02 `entity_logic:ensure_valid` keep only the declared keys), unless
/// `T` itself refuses them.
///
/// ```
/// use onezone_tokens::invite::{RequestError, read_json_object};
/// #[derive(serde::Deserialize)]
/// struct Rename {
///     name: String,
/// }
/// let rename: Rename = read_json_object(br#"{"name": "Lab", "colour": "red"}"#)?;
/// assert_eq!(rename.name, "Lab");
/// let refused = read_json_object::<Rename>(br#"["Lab"]"#).err();
/// assert_eq!(refused, Some(RequestError::NotAnObject));
/// let refused = read_json_object::<Rename>(br#"{"name": 7}"#).err().unwrap();
/// assert_eq!(refused.to_string(), "bad value for `name`: invalid type: integer `7`, expected a string");
/// # Ok::<(), RequestError>(())
/// ```
///
/// # Errors
/// The [`RequestError`]s above; each is [`InviteError::InvalidRequest`], a 400, once converted.
///
/// [`InviteError::InvalidRequest`]: super::InviteError::InvalidRequest
pub fn read_json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, RequestError> {
    json::read_object(body).map_err(RequestError::from)
}

/// A body that may be absent: absent, empty or only JSON white space is `T::default()`.
pub(super) fn read_optional<T: DeserializeOwned + Default>(
    body: Option<&[u8]>,
) -> Result<T, RequestError> {
    match body {
        Some(body) if !json::is_blank(body) => read_json_object(body),
        _ => Ok(T::default()),
    }
}

/// The optional body of `POST /groups/{id}/users/token` (`GroupInviteTokenRequest`).
///
/// The 17.06 API defines no properties: `{}` (or no body at all) is the whole request. These
/// optional extensions use Onezone's (20.02) JSON spelling. Unknown keys are ignored, as Onezone
/// ignores them (it keeps only the declared ones); a declared key with a bad value is refused.
/// Only a JSON object is read (serde included: an array is refused, never read by position).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupInviteTokenRequest {
    /// Caveats to add, in their JSON form (time, ip, asn, geo.country, geo.region, consumer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<Caveat>,
    /// How many times the token may be used (default: the issuing policy's, 1 for the legacy
    /// API), at most [`UsageLimit::MAX`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_limit: Option<UsageLimit>,
    /// Privileges the joining member gets (default `[group_view]`); needs the issuer to hold
    /// `group_set_privileges` too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileges: Option<PrivilegeSet>,
}

impl<'de> Deserialize<'de> for GroupInviteTokenRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Fields {
            #[serde(default)]
            caveats: Vec<Caveat>,
            #[serde(default)]
            usage_limit: Option<UsageLimit>,
            #[serde(default)]
            privileges: Option<PrivilegeSet>,
        }
        let Fields { caveats, usage_limit, privileges } = object_only(deserializer)?;
        Ok(GroupInviteTokenRequest { caveats, usage_limit, privileges })
    }
}

impl GroupInviteTokenRequest {
    /// Reads a request body: absent, empty (or only JSON white space) and `{}` are all the empty
    /// request; anything else must be a JSON object ([`read_json_object`]).
    ///
    /// ```
    /// use onezone_tokens::invite::{GroupInviteTokenRequest, RequestError, UsageLimit};
    /// assert_eq!(GroupInviteTokenRequest::from_body(None)?, GroupInviteTokenRequest::default());
    /// let request = GroupInviteTokenRequest::from_body(Some(br#"{"usageLimit": 5}"#))?;
    /// assert_eq!(request.usage_limit, UsageLimit::Limited(5.try_into()?).into());
    /// // Fields are never read by position.
    /// let refused = GroupInviteTokenRequest::from_body(Some(br#"[[], 5]"#)).unwrap_err();
    /// assert_eq!(refused, RequestError::NotAnObject);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`read_json_object`]: [`RequestError::NotAnObject`], [`RequestError::BadValue`] (a
    /// `usageLimit` past [`UsageLimit::MAX`], say), [`RequestError::Json`]; each is
    /// [`InviteError::InvalidRequest`](super::InviteError::InvalidRequest), a 400, once
    /// converted.
    pub fn from_body(body: Option<&[u8]>) -> Result<Self, RequestError> {
        read_optional(body)
    }
}

/// The 200 response of the invite endpoints (`GroupInviteToken`): `{"token": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupInviteToken {
    /// The serialized token.
    pub token: String,
}

/// The body of `POST /user/groups/join` and `POST /groups/{id}/parents/join`: `{"token": "..."}`.
/// Unknown keys are ignored, as Onezone ignores them; only a JSON object is read (serde
/// included: `["<token>"]` is refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JoinRequest {
    /// The invite token.
    pub token: String,
}

impl<'de> Deserialize<'de> for JoinRequest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Fields {
            token: String,
        }
        let Fields { token } = object_only(deserializer)?;
        Ok(JoinRequest { token })
    }
}

impl JoinRequest {
    /// Reads a request body, which must be a JSON object with a string `token`
    /// ([`read_json_object`]).
    ///
    /// ```
    /// use onezone_tokens::invite::{JoinRequest, RequestError};
    /// let request = JoinRequest::from_body(Some(br#"{"token": "MDAx"}"#))?;
    /// assert_eq!(request.token, "MDAx");
    /// assert_eq!(JoinRequest::from_body(None).unwrap_err(), RequestError::MissingBody);
    /// assert_eq!(JoinRequest::from_body(Some(br#"["MDAx"]"#)).unwrap_err(), RequestError::NotAnObject);
    /// # Ok::<(), RequestError>(())
    /// ```
    ///
    /// # Errors
    /// As [`read_json_object`]; an absent body is [`RequestError::MissingBody`]. Each is
    /// [`InviteError::InvalidRequest`](super::InviteError::InvalidRequest), a 400, once
    /// converted.
    pub fn from_body(body: Option<&[u8]>) -> Result<Self, RequestError> {
        read_json_object(body.unwrap_or_default())
    }
}

/// Every error body of the API (`Error`): `{"error": "<description>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
}
