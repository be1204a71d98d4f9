//! Managing named invite tokens after they are issued, as Onezone 20.02's token routes do:
//! `GET /user/tokens/named` (list one's own), and by id `GET`, `PATCH` (`{"revoked": true}`) and
//! `DELETE` `/tokens/named/{id}`.
//!
//! Who may: Onezone (oz-worker `token_logic_plugin:authorize/2`) lets the token's subject, here
//! the record's issuer (`usr-<issuer>`), manage its own tokens; anyone else needs the
//! Onezone-admin privilege `oz_tokens_manage` ([`AdminAccess`]). Privileges in the token's group
//! play no part. Checks come in Onezone's entity-logic order: the token exists (404), the caller
//! is authenticated (401), may manage it (403), the request is valid (400).
//!
//! Like the invite decisions these are pure: the caller reads the record(s) and its admin
//! standing, and writes what the decision returns. Listings carry usage and expiry but never the
//! secret nor the token itself ([`InviteSummary`]).

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Deserializer, Serialize};

use crate::group::{GroupId, PrivilegeSet, UserId};
use crate::json::{self, object_only};

use super::api::{UsageLimit, read_json_object};
use super::error::{InviteError, RequestError};
use super::record::{InviteRecord, InviteTarget};

/// The caller's Onezone-admin standing, as the caller's storage or configuration tells it: only
/// `oz_tokens_manage` matters to token management.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdminAccess {
    /// Whether the caller holds the Onezone-admin privilege `oz_tokens_manage`, which lets it
    /// manage anyone's named tokens.
    pub oz_tokens_manage: bool,
}

impl AdminAccess {
    /// No admin privilege: the caller manages only its own tokens.
    pub const NONE: AdminAccess = AdminAccess { oz_tokens_manage: false };
}

/// Whether `caller` may manage `record`: it is the token's subject, or holds `oz_tokens_manage`.
fn may_manage(caller: &UserId, admin: AdminAccess, record: &InviteRecord) -> bool {
    admin.oz_tokens_manage || record.issuer == *caller
}

/// Onezone's checks before `GET`, `PATCH` or `DELETE /tokens/named/{id}`: the token exists
/// (`record` is what the caller's storage holds under `{id}`; 404), there is a caller (401), it
/// may manage the token (403). Returns the record for the answer: `GET` answers
/// [`InviteSummary::from`] it, `DELETE` deletes its row (Onezone answers `204`).
///
/// ```
/// use onezone_tokens::invite::{AdminAccess, InviteError, authorize_named_token};
/// let refused = authorize_named_token(None, AdminAccess::NONE, None).unwrap_err();
/// assert_eq!(refused, InviteError::NamedTokenNotFound); // absence comes first
/// ```
///
/// # Errors
/// [`InviteError::NamedTokenNotFound`], [`InviteError::Unauthenticated`],
/// [`InviteError::NotTokenSubject`].
pub fn authorize_named_token<'r>(
    caller: Option<&UserId>,
    admin: AdminAccess,
    record: Option<&'r InviteRecord>,
) -> Result<&'r InviteRecord, InviteError> {
    let record = record.ok_or(InviteError::NamedTokenNotFound)?;
    let caller = caller.ok_or(InviteError::Unauthenticated)?;
    if !may_manage(caller, admin, record) {
        return Err(InviteError::NotTokenSubject);
    }
    Ok(record)
}

/// The body of `PATCH /tokens/named/{id}`: `{"revoked": true}` revokes the token,
/// `{"revoked": false}` reinstates it (as Onezone allows). Keys Onezone knows but this crate does
/// not keep (`name`, `customMetadata`) and unknown keys are ignored, as Onezone ignores unknown
/// keys. Only a JSON object is read (serde included: `[true]` is refused).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamedTokenUpdate {
    /// The new revocation state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<bool>,
}

impl<'de> Deserialize<'de> for NamedTokenUpdate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Fields {
            #[serde(default)]
            revoked: Option<bool>,
        }
        let Fields { revoked } = object_only(deserializer)?;
        Ok(NamedTokenUpdate { revoked })
    }
}

impl NamedTokenUpdate {
    /// Reads a request body, a JSON object ([`read_json_object`](super::read_json_object)).
    ///
    /// # Errors
    /// [`RequestError::NotAnObject`], [`RequestError::BadValue`] (a `revoked` that is not a
    /// boolean, say) or [`RequestError::Json`] if it is not a JSON object of this shape;
    /// [`RequestError::NothingToUpdate`] if it sets nothing (absent, empty or `{}`), as Onezone
    /// requires at least one value.
    pub fn from_body(body: Option<&[u8]>) -> Result<Self, RequestError> {
        let update: NamedTokenUpdate = match body {
            Some(body) if !json::is_blank(body) => read_json_object(body)?,
            _ => NamedTokenUpdate::default(),
        };
        if update.revoked.is_none() {
            return Err(RequestError::NothingToUpdate);
        }
        Ok(update)
    }
}

/// A `PATCH /tokens/named/{id}`, decided: the write to make, then answer `204 No Content`.
///
/// ```sql
/// UPDATE invite_tokens SET revoked = :revoked WHERE token_id = :token_id
/// ```
///
/// A revoked token fails verification at once ([`InviteError::TokenRejected`] with
/// [`TokenError::Revoked`](crate::token::TokenError::Revoked)) and its
/// [`TokenUse`](super::TokenUse) never counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUpdate {
    /// The token id.
    pub token_id: String,
    /// The new revocation state.
    pub revoked: bool,
}

impl TokenUpdate {
    /// Applies the update to an in-memory record, if it is this token's; returns whether it was.
    pub fn apply(&self, record: &mut InviteRecord) -> bool {
        if record.token_id != self.token_id {
            return false;
        }
        record.revoked = self.revoked;
        true
    }
}

/// `PATCH /tokens/named/{id}`: revokes (or reinstates) one named token by id. Checks as
/// [`authorize_named_token`], then the body (400). Decides; writes nothing.
///
/// ```
/// use onezone_tokens::group::{GroupId, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{
///     AdminAccess, GroupAccess, InviteError, InviteUser, IssuePolicy, authorize,
///     issue_invite_token, update_named_token,
/// };
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (g1, alice, bob) = (GroupId::new("g1")?, UserId::new("alice")?, UserId::new("bob")?);
/// let access = GroupAccess::new(Some(&alice), &g1, true, PrivilegeSet::admin());
/// let policy = IssuePolicy::new("onezone.example.org");
/// let caller = authorize(InviteUser, &g1, Some(&alice), &access)?;
/// let mut record = issue_invite_token(&caller, None, &policy, 1_800_000_000, &mut rand::rng())?.record;
/// let body = Some(&br#"{"revoked": true}"#[..]);
/// // Only its issuer (or an admin with oz_tokens_manage) may revoke it.
/// let refused = update_named_token(Some(&bob), AdminAccess::NONE, Some(&record), body);
/// assert_eq!(refused.unwrap_err(), InviteError::NotTokenSubject);
/// let update = update_named_token(Some(&alice), AdminAccess::NONE, Some(&record), body)?;
/// assert!(update.apply(&mut record) && record.revoked);
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`authorize_named_token`], then [`InviteError::InvalidRequest`] for a bad body.
pub fn update_named_token(
    caller: Option<&UserId>,
    admin: AdminAccess,
    record: Option<&InviteRecord>,
    body: Option<&[u8]>,
) -> Result<TokenUpdate, InviteError> {
    let record = authorize_named_token(caller, admin, record)?;
    let update = NamedTokenUpdate::from_body(body)?;
    Ok(TokenUpdate {
        token_id: record.token_id.clone(),
        revoked: update.revoked.unwrap_or(record.revoked),
    })
}

/// What a listing shows of an invite: what it grants, its usage and expiry, never its secret
/// nor the token text. Serialized in camelCase, e.g.
/// `{"id":"..","groupId":"g1","issuer":"alice","target":"userJoinGroup","privileges":["group_view"],
/// "usageLimit":1,"usageCount":0,"createdAt":..,"validUntil":..,"revoked":false}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InviteSummary {
    /// The token id.
    pub id: String,
    /// The group the token invites to.
    pub group_id: GroupId,
    /// Who issued it (the token's subject).
    pub issuer: UserId,
    /// Who joins with it.
    pub target: InviteTarget,
    /// The privileges a joining member gets.
    pub privileges: PrivilegeSet,
    /// How many successful joins it allows.
    pub usage_limit: UsageLimit,
    /// How many it has had.
    pub usage_count: u64,
    /// When it was issued (Unix seconds).
    pub created_at: u64,
    /// When it expires (Unix seconds).
    pub valid_until: u64,
    /// Whether it was revoked.
    pub revoked: bool,
}

impl From<&InviteRecord> for InviteSummary {
    fn from(record: &InviteRecord) -> Self {
        InviteSummary {
            id: record.token_id.clone(),
            group_id: record.group_id.clone(),
            issuer: record.issuer.clone(),
            target: record.target,
            privileges: record.privileges,
            usage_limit: record.usage_limit,
            usage_count: record.usage_count,
            created_at: record.created_at,
            valid_until: record.valid_until,
            revoked: record.revoked,
        }
    }
}

/// Which invites a listing keeps, besides those the caller may not manage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InviteFilter {
    /// Only the invites to this group.
    pub group: Option<GroupId>,
    /// Only the invites still open at this time (Unix seconds): not revoked, with a use left, not
    /// expired ([`InviteRecord::is_open_at`]).
    pub open_at: Option<u64>,
}

impl InviteFilter {
    /// Every invite the caller may manage (`GET /user/tokens/named`).
    pub fn all() -> Self {
        InviteFilter::default()
    }

    /// The open invites to `group` at `now`: a group's outstanding invitations.
    pub fn open_in_group(group: GroupId, now: u64) -> Self {
        InviteFilter { group: Some(group), open_at: Some(now) }
    }

    fn keeps(&self, record: &InviteRecord) -> bool {
        self.group.as_ref().is_none_or(|g| *g == record.group_id)
            && self.open_at.is_none_or(|now| record.is_open_at(now))
    }
}

/// Lists named invite tokens: those of `records` the caller may manage (its own, or all with
/// `oz_tokens_manage`) and `filter` keeps, in the order given, as [`InviteSummary`]s. For
/// `GET /user/tokens/named` the caller reads its own records (`WHERE issuer = :caller`); for a
/// group's open invites, that group's records with [`InviteFilter::open_in_group`].
///
/// ```
/// use onezone_tokens::group::{GroupId, UserId};
/// use onezone_tokens::invite::{AdminAccess, InviteError, InviteFilter, list_named_tokens};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let filter = InviteFilter::open_in_group(GroupId::new("g1")?, 1_800_000_000);
/// let none = list_named_tokens(Some(&UserId::new("alice")?), AdminAccess::NONE, [], &filter)?;
/// assert!(none.is_empty());
/// let anonymous = list_named_tokens(None, AdminAccess::NONE, [], &filter).unwrap_err();
/// assert_eq!(anonymous, InviteError::Unauthenticated);
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`InviteError::Unauthenticated`] without a caller.
pub fn list_named_tokens<'r>(
    caller: Option<&UserId>,
    admin: AdminAccess,
    records: impl IntoIterator<Item = &'r InviteRecord>,
    filter: &InviteFilter,
) -> Result<Vec<InviteSummary>, InviteError> {
    let caller = caller.ok_or(InviteError::Unauthenticated)?;
    Ok(records
        .into_iter()
        .filter(|r| may_manage(caller, admin, r) && filter.keeps(r))
        .map(InviteSummary::from)
        .collect())
}
