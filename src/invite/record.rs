//! What the server stores for each invite token it issues.

use alloc::string::String;
use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::group::{GroupId, PrivilegeSet, UserId};
use crate::macaroon::Secret;
use crate::token::DerivedSecrets;

use super::api::UsageLimit;

/// Who joins with an invite token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum InviteTarget {
    /// A user joins the group (`ujg`, issued by `POST /groups/{id}/users/token`).
    UserJoinGroup,
    /// A group joins the group as a child (`gjg`, issued by `POST /groups/{id}/children/token`).
    GroupJoinGroup,
}

impl InviteTarget {
    /// The target as stored (`invite_tokens.target`, see [`crate::storage`]): `"ujg"` or
    /// `"gjg"`, Onezone's abbreviations of the token types.
    pub const fn code(self) -> &'static str {
        match self {
            InviteTarget::UserJoinGroup => "ujg",
            InviteTarget::GroupJoinGroup => "gjg",
        }
    }

    /// The target of a stored code ([`InviteTarget::code`]); `None` for any other text.
    pub fn from_code(code: &str) -> Option<InviteTarget> {
        match code {
            "ujg" => Some(InviteTarget::UserJoinGroup),
            "gjg" => Some(InviteTarget::GroupJoinGroup),
            _ => None,
        }
    }
}

/// The server-side record of a named invite token: its secret, what it grants and how often it
/// has been used. Persist it with serde; the secret is written as base64url.
///
/// `Debug` never prints the secret.
///
/// ```
/// use onezone_tokens::group::{GroupId, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{
///     GroupAccess, InviteRecord, InviteUser, IssuePolicy, authorize, issue_invite_token,
/// };
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let policy = IssuePolicy::new("onezone.example.org");
/// let (group, alice) = (GroupId::new("g1")?, UserId::new("alice")?);
/// let access = GroupAccess::new(Some(&alice), &group, true, PrivilegeSet::admin());
/// let caller = authorize(InviteUser, &group, Some(&alice), &access)?;
/// let issued = issue_invite_token(&caller, None, &policy, 1_800_000_000, &mut rand::rng())?;
/// let record: InviteRecord = issued.record;
/// assert_eq!((record.usage_limit.to_string().as_str(), record.usage_count), ("1", 0));
/// assert!(record.is_open_at(1_800_000_000));
///
/// // Stored as JSON (or as columns); the secret never shows in `Debug`.
/// let json = serde_json::to_string(&record)?;
/// let back: InviteRecord = serde_json::from_str(&json)?;
/// assert_eq!(back, record);
/// assert!(!format!("{record:?}").contains(&json[json.find("\"secret\":").unwrap() + 10..][..12]));
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InviteRecord {
    /// The token id (the last part of the identifier).
    pub token_id: String,
    /// The per-token secret the token was minted with.
    #[serde(serialize_with = "secret_out", deserialize_with = "secret_in")]
    pub secret: SecretBytes,
    /// The group the token invites to.
    pub group_id: GroupId,
    /// The user who issued it.
    pub issuer: UserId,
    /// Who joins with it.
    pub target: InviteTarget,
    /// How many successful joins it allows.
    pub usage_limit: UsageLimit,
    /// How many successful joins it has had.
    pub usage_count: u64,
    /// The privileges a joining member gets.
    pub privileges: PrivilegeSet,
    /// When it was issued (Unix seconds).
    pub created_at: u64,
    /// When it expires (Unix seconds): its earliest `time` caveat, or
    /// [`InviteRecord::NO_EXPIRY`] if it has none.
    pub valid_until: u64,
    /// Whether it was revoked.
    #[serde(default)]
    pub revoked: bool,
}

impl InviteRecord {
    /// The [`valid_until`](InviteRecord::valid_until) of a token without a `time` caveat
    /// (Onezone 20.02's legacy invites): `i64::MAX`, the latest time a `BIGINT` column keeps.
    pub const NO_EXPIRY: u64 = i64::MAX as u64;

    /// The record with its secret put back, for a server that stores records without it
    /// ([`IssuePolicy::with_derived_secrets`](super::IssuePolicy::with_derived_secrets)): derived
    /// from the master secret when the stored one is empty, else unchanged (a record that keeps
    /// its own secret, say one migrated from an older store).
    pub fn with_derived_secret(mut self, secrets: Option<&DerivedSecrets>) -> Self {
        if self.secret.expose().is_empty()
            && let Some(derived) = secrets
        {
            self.secret = SecretBytes::new(derived.named(&self.token_id).expose().to_vec());
        }
        self
    }

    /// Whether the invite can still be used at `now` (Unix seconds): not revoked, with a use
    /// left, not expired. A join still verifies the token itself.
    pub fn is_open_at(&self, now: u64) -> bool {
        !self.revoked && self.usage_limit.admits(self.usage_count) && now < self.valid_until
    }
}

/// A per-token secret as stored in an [`InviteRecord`]: compared in constant time, zeroized on
/// drop, never printed.
#[derive(Clone)]
pub struct SecretBytes(alloc::vec::Vec<u8>);

impl SecretBytes {
    /// Wraps secret bytes.
    pub fn new(bytes: alloc::vec::Vec<u8>) -> Self {
        SecretBytes(bytes)
    }

    /// The secret bytes, to store them (as a database column, say). Handle with care: whoever
    /// reads them can mint this token.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret as the engine's [`Secret`].
    pub fn to_secret(&self) -> Secret {
        Secret::new(self.0.as_slice())
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(self.0.as_slice(), other.0.as_slice()).into()
    }
}
impl Eq for SecretBytes {}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***OMITTED***")
    }
}

impl fmt::Debug for InviteRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InviteRecord")
            .field("token_id", &self.token_id)
            .field("secret", &self.secret)
            .field("group_id", &self.group_id)
            .field("issuer", &self.issuer)
            .field("target", &self.target)
            .field("usage_limit", &self.usage_limit)
            .field("usage_count", &self.usage_count)
            .field("privileges", &self.privileges)
            .field("created_at", &self.created_at)
            .field("valid_until", &self.valid_until)
            .field("revoked", &self.revoked)
            .finish()
    }
}

fn secret_out<S: Serializer>(secret: &SecretBytes, s: S) -> Result<S::Ok, S::Error> {
    use base64::Engine;
    s.serialize_str(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&secret.0))
}

fn secret_in<'de, D: Deserializer<'de>>(d: D) -> Result<SecretBytes, D::Error> {
    use base64::Engine;
    let text = zeroize::Zeroizing::new(String::deserialize(d)?);
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.as_bytes())
        .map(SecretBytes)
        .map_err(|_| serde::de::Error::custom("the secret is not base64url"))
}
