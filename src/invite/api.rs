//! The endpoint's API types (`POST /groups/{id}/users/token`, `POST /user/groups/join`, ...) and
//! Onezone's `{"error": "..."}` body.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::num::NonZeroU64;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::group::PrivilegeSet;
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

impl<'de> Deserialize<'de> for UsageLimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = UsageLimit;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer >= 1 or \"infinity\"")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<UsageLimit, E> {
                NonZeroU64::new(v)
                    .map(UsageLimit::Limited)
                    .ok_or_else(|| E::custom("usageLimit must be at least 1"))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<UsageLimit, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom("usageLimit must be at least 1")),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<UsageLimit, E> {
                if v == "infinity" {
                    Ok(UsageLimit::Infinity)
                } else {
                    Err(E::custom("usageLimit must be an integer >= 1 or \"infinity\""))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// The optional body of `POST /groups/{id}/users/token` (`GroupInviteTokenRequest`).
///
/// The 17.06 API defines no properties: `{}` (or no body at all) is the whole request. These
/// optional extensions use Onezone's (20.02) JSON spelling. Unknown keys are ignored, as Onezone
/// ignores them (it keeps only the declared ones); a declared key with a bad value is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupInviteTokenRequest {
    /// Caveats to add, in their JSON form (time, ip, asn, geo.country, geo.region, consumer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caveats: Vec<Caveat>,
    /// How many times the token may be used (default: the issuing policy's, 1 for the legacy API).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_limit: Option<UsageLimit>,
    /// Privileges the joining member gets (default `[group_view]`); needs the issuer to hold
    /// `group_set_privileges` too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileges: Option<PrivilegeSet>,
}

impl GroupInviteTokenRequest {
    /// Reads a request body: absent, empty (or only white space) and `{}` are all the empty request.
    ///
    /// # Errors
    /// [`RequestError::Json`] naming what is wrong (invalid JSON, an unknown field, a bad value);
    /// it is [`InviteError::InvalidRequest`](super::InviteError::InvalidRequest), a 400, once
    /// converted.
    pub fn from_body(body: Option<&[u8]>) -> Result<Self, RequestError> {
        let Some(body) = body.filter(|b| !b.iter().all(u8::is_ascii_whitespace)) else {
            return Ok(Self::default());
        };
        serde_json::from_slice(body).map_err(|e| RequestError::json(&e))
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
// Unknown keys are ignored, as Onezone does.
pub struct JoinRequest {
    /// The invite token.
    pub token: String,
}

/// Every error body of the API (`Error`): `{"error": "<description>"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
}
