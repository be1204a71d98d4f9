//! The deprecated invite routes as Onezone 20.02 answers them: `POST /groups/{id}/users/token`
//! and `POST /groups/{id}/children/token` ignore what their body says and make a named invite token with
//! a usage limit of 1 and no caveats, under a generated name (oz-worker release/20.02.20
//! `src/logic/token_logic.erl` `create_legacy_invite_token`, `gen_invite_token_name`,
//! `format_invite_token_name`; `group_logic_plugin.erl` `create` of `invite_user_token` and
//! `invite_group_token`).

use alloc::format;
use alloc::string::String;

use rand_core::CryptoRng;
use serde::de::IgnoredAny;

use crate::group::PrivilegeSet;
use crate::token::{Subject, TokenType};

use super::api::{UsageLimit, read_optional};
use super::authorize::{Authorized, InviteGroup, InviteUser};
use super::error::InviteError;
use super::issue::{Grant, IssuePolicy, IssuedInvite, invite_kind, mint_named_invite};
use super::record::{InviteRecord, InviteTarget};
use super::token_api::NamedTokenRecord;

/// The longest name Onezone 20.02 generates for a legacy invite, in bytes.
pub const MAX_LEGACY_NAME_LEN: usize = 50;

/// Issues the token of `POST /groups/{id}/users/token` as Onezone 20.02 does: whatever the
/// body asks (none of its keys is read), a named user invite (`ujg`) with a usage limit of 1, no caveat (so
/// no expiry: [`InviteRecord::NO_EXPIRY`]) and the member privileges. `caller` passed the
/// checks of [`InviteUser`] (`group_add_user`, or 17.06's `group_invite_user`).
///
/// The body (`None`: none) must still be absent, blank or a JSON object, as 20.02's REST
/// handler decodes every body and its entity logic takes only a map (oz-worker release/20.02.20
/// `rest_handler.erl` `get_data`, `entity_logic.erl` `ensure_valid`: `malformedData`).
///
/// Onezone stores such a token under a generated name, [`legacy_invite_name`].
///
/// ```
/// use onezone_tokens::group::{GroupId, PrivilegeSet, UserId, Vocabulary};
/// use onezone_tokens::invite::{
///     GroupAccess, InviteRecord, InviteUser, IssuePolicy, UsageLimit, authorize,
///     issue_legacy_invite_token,
/// };
/// use onezone_tokens::token::UnverifiedToken;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (group, alice) = (GroupId::new("g1")?, UserId::new("alice")?);
/// let admin = GroupAccess::new(Some(&alice), &group, true, Vocabulary::Onezone2002.admin());
/// let caller = authorize(InviteUser, &group, Some(&alice), &admin)?;
/// let policy = IssuePolicy::new("onezone.example.org");
/// let asks = br#"{"usageLimit": 5, "privileges": ["group_delete"]}"#;
/// let issued = issue_legacy_invite_token(&caller, Some(asks), &policy, 1_800_000_000, &mut rand::rng())?;
/// assert_eq!(issued.record.usage_limit, UsageLimit::ONCE);
/// assert_eq!(issued.record.valid_until, InviteRecord::NO_EXPIRY);
/// assert_eq!(issued.record.privileges, PrivilegeSet::member());
/// assert!(UnverifiedToken::parse(&issued.response.token)?.caveats().is_empty());
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`InviteError::InvalidRequest`] for a body that is no JSON object (400);
/// [`InviteError::Mint`] if the token cannot be minted (an internal error).
pub fn issue_legacy_invite_token<R: CryptoRng + ?Sized>(
    caller: &Authorized<InviteUser>,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
) -> Result<IssuedInvite, InviteError> {
    legacy(caller, body, InviteTarget::UserJoinGroup, policy, now, rng)
}

/// Issues the token of `POST /groups/{id}/children/token` as Onezone 20.02 does: a named
/// group invite (`gjg`), otherwise as [`issue_legacy_invite_token`]. `caller` passed the
/// checks of [`InviteGroup`] (`group_add_child`, or 17.06's `group_invite_group`).
///
/// # Errors
/// As [`issue_legacy_invite_token`].
pub fn issue_legacy_child_invite_token<R: CryptoRng + ?Sized>(
    caller: &Authorized<InviteGroup>,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
) -> Result<IssuedInvite, InviteError> {
    legacy(caller, body, InviteTarget::GroupJoinGroup, policy, now, rng)
}

fn legacy<Op, R: CryptoRng + ?Sized>(
    caller: &Authorized<Op>,
    body: Option<&[u8]>,
    target: InviteTarget,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
) -> Result<IssuedInvite, InviteError> {
    read_optional::<IgnoredAny>(body)?;
    let grant = Grant {
        target,
        // ctool `privileges.erl` `group_member/0`, the same in every version.
        privileges: PrivilegeSet::member(),
        usage_limit: UsageLimit::ONCE,
        valid_until: InviteRecord::NO_EXPIRY,
    };
    mint_named_invite(caller, grant, &[], policy, now, rng)
}

/// The named-token record Onezone 20.02 keeps of a legacy invite (its `od_token`, beside the
/// invite's usage in [`IssuedInvite::record`]): named [`legacy_invite_name`] after the group's
/// `group_name` with the random `suffix`, the issuer as subject, the invite's type, no caveat,
/// no custom metadata, not revoked, created when the invite was. Store it with the invite
/// record, so that the token routes list, read, revoke and delete the legacy invite as any
/// named token (oz-worker release/20.02.20 `token_logic.erl` `create_legacy_invite_token`
/// creates it through the named-token logic). If its name is taken among the issuer's
/// tokens, draw another suffix.
///
/// ```
/// use onezone_tokens::group::{GroupId, UserId, Vocabulary};
/// use onezone_tokens::invite::{
///     GroupAccess, InviteUser, IssuePolicy, authorize, issue_legacy_invite_token,
///     legacy_named_record,
/// };
/// use onezone_tokens::token::{Subject, UnverifiedToken};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (group, alice) = (GroupId::new("g1")?, UserId::new("alice")?);
/// let admin = GroupAccess::new(Some(&alice), &group, true, Vocabulary::Onezone2002.admin());
/// let caller = authorize(InviteUser, &group, Some(&alice), &admin)?;
/// let policy = IssuePolicy::new("onezone.example.org");
/// let issued = issue_legacy_invite_token(&caller, None, &policy, 1_800_000_000, &mut rand::rng())?;
/// let named = legacy_named_record(&issued, "Physicists", [0xab, 0x01, 0xff]);
/// assert_eq!(named.name, "user invite to group - Physicists ab01ff");
/// assert_eq!(named.subject, Subject::User("alice".into()));
/// assert!(named.caveats.is_empty() && !named.revoked);
/// // The record names the token the route answered: the same identifier.
/// let token = UnverifiedToken::parse(&issued.response.token)?;
/// assert_eq!(named.identifier().as_borrowed(), token.identifier());
/// # Ok(()) }
/// ```
pub fn legacy_named_record(
    issued: &IssuedInvite,
    group_name: &str,
    suffix: [u8; 3],
) -> NamedTokenRecord {
    let record = &issued.record;
    NamedTokenRecord {
        token_id: record.token_id.clone(),
        name: legacy_invite_name(record.target, group_name, suffix),
        subject: Subject::User(record.issuer.as_str().into()),
        token_type: TokenType::Invite {
            kind: invite_kind(record.target),
            target: record.group_id.as_str().into(),
            params: String::new(),
        },
        caveats: alloc::vec::Vec::new(),
        custom_metadata: serde_json::Map::new(),
        revoked: record.revoked,
        created_at: record.created_at,
    }
}

/// The name Onezone 20.02 gives a legacy invite token: `user invite to group - <group name>
/// <6 hex>` (`group invite to group - ..` for a child-group invite), the hex digits those of
/// the three random bytes `suffix`. A name longer than [`MAX_LEGACY_NAME_LEN`] bytes has its
/// group name cut and ended with `...` so that the whole is 50 bytes (oz-worker release/20.02.20
/// `token_logic.erl` `format_invite_token_name`); where Onezone cuts bytes, this cuts at the last
/// character boundary, so the name stays UTF-8 (and may then be shorter).
///
/// ```
/// use onezone_tokens::invite::{InviteTarget, legacy_invite_name};
/// let name = legacy_invite_name(InviteTarget::UserJoinGroup, "Physicists", [0xab, 0x01, 0xff]);
/// assert_eq!(name, "user invite to group - Physicists ab01ff");
/// let long = legacy_invite_name(InviteTarget::GroupJoinGroup, "Department of Physics", [0; 3]);
/// assert_eq!(long, "group invite to group - Department of Ph... 000000");
/// assert_eq!(long.len(), 50);
/// ```
pub fn legacy_invite_name(target: InviteTarget, group_name: &str, suffix: [u8; 3]) -> String {
    let description = match target {
        InviteTarget::UserJoinGroup => "user invite to group",
        InviteTarget::GroupJoinGroup => "group invite to group",
    };
    let hex = base16ct::lower::encode_string(&suffix);
    // "<description> - <name> <hex>"
    let fixed = description.len() + 3 + 1 + hex.len();
    if fixed + group_name.len() <= MAX_LEGACY_NAME_LEN {
        return format!("{description} - {group_name} {hex}");
    }
    let mut end = MAX_LEGACY_NAME_LEN.saturating_sub(fixed + 3).min(group_name.len());
    while !group_name.is_char_boundary(end) {
        end -= 1;
    }
    let kept = group_name.get(..end).unwrap_or_default();
    format!("{description} - {kept}... {hex}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    use crate::group::{GroupId, UserId, Vocabulary};
    use crate::invite::{
        GroupAccess, InviteToken, Membership, RequestError, UserJoinFacts, authorize,
    };
    use crate::token::CaveatContext;

    /// Whatever the body asks, the same token: one use, no caveat, member privileges; a body
    /// that is no JSON object is refused; the token joins once, with no expiry.
    #[test]
    fn the_body_is_ignored_but_must_be_an_object() {
        let (group, alice, bob) = (
            GroupId::new("g1").unwrap(),
            UserId::new("alice").unwrap(),
            UserId::new("bob").unwrap(),
        );
        let admin = GroupAccess::new(Some(&alice), &group, true, Vocabulary::Onezone2002.admin());
        let caller = authorize(InviteUser, &group, Some(&alice), &admin).unwrap();
        let policy = IssuePolicy::new("onezone.example.org");
        let now = 1_800_000_000;
        let mut rng = rand::rng();
        let bodies: [Option<&[u8]>; 4] = [
            None,
            Some(b" \n"),
            Some(b"{}"),
            Some(br#"{"usageLimit": "infinity", "caveats": [{"type": "time", "validUntil": 1}]}"#),
        ];
        for body in bodies {
            let issued = issue_legacy_invite_token(&caller, body, &policy, now, &mut rng).unwrap();
            let record = &issued.record;
            assert_eq!(record.usage_limit, UsageLimit::ONCE);
            assert_eq!(record.valid_until, InviteRecord::NO_EXPIRY);
            assert_eq!(record.privileges, PrivilegeSet::member());
            assert_eq!(record.target, InviteTarget::UserJoinGroup);
            let token = InviteToken::parse(&issued.response.token).unwrap();
            // Joins decades later: nothing expires it.
            let ctx = CaveatContext::at(now + 50 * 365 * 24 * 3600);
            let pending = token.user_join(&bob, record, &ctx).unwrap();
            let facts = UserJoinFacts {
                issuer: admin.clone(),
                membership: Membership {
                    user: bob.clone(),
                    group: group.clone(),
                    is_member: false,
                    members: 1,
                },
            };
            let join = pending.decide(&facts, &crate::group::DirectoryLimits::default()).unwrap();
            assert_eq!(join.privileges, PrivilegeSet::member());
        }
        for bad in [&b"[]"[..], b"{", b"\"token\"", b"{} {}"] {
            let refused = issue_legacy_invite_token(&caller, Some(bad), &policy, now, &mut rng);
            assert!(matches!(refused, Err(InviteError::InvalidRequest(_))), "{bad:?}");
        }
        let refused = issue_legacy_invite_token(&caller, Some(b"[1]"), &policy, now, &mut rng);
        assert_eq!(refused.unwrap_err(), InviteError::InvalidRequest(RequestError::NotAnObject));
        let child = authorize(InviteGroup, &group, Some(&alice), &admin).unwrap();
        let issued = issue_legacy_child_invite_token(&child, None, &policy, now, &mut rng).unwrap();
        assert_eq!(issued.record.target, InviteTarget::GroupJoinGroup);
        assert_eq!(issued.record.usage_limit, UsageLimit::ONCE);
    }

    /// oz-worker release/20.02.20 `token_logic.erl` `format_invite_token_name`: names of up to
    /// 50 bytes as they are; longer ones cut to exactly 50 with `...`.
    #[test]
    fn names_are_onezones() {
        let user = InviteTarget::UserJoinGroup;
        // 20 + 3 + 1 + 6 = 30 bytes around the group name: 20 bytes of it fit.
        let twenty = "a".repeat(20);
        assert_eq!(
            legacy_invite_name(user, &twenty, [0x12, 0x34, 0x56]),
            format!("user invite to group - {twenty} 123456")
        );
        let long = legacy_invite_name(user, &"b".repeat(21), [0x12, 0x34, 0x56]);
        assert_eq!(long, format!("user invite to group - {}... 123456", "b".repeat(17)));
        assert_eq!(long.len(), 50);
        assert_eq!(legacy_invite_name(user, "", [0; 3]), "user invite to group -  000000");
        for n in 0..200 {
            let name = legacy_invite_name(InviteTarget::GroupJoinGroup, &"g".repeat(n), [9; 3]);
            assert!(name.len() <= MAX_LEGACY_NAME_LEN, "{n}");
            assert!(name.starts_with("group invite to group - ") && name.ends_with(" 090909"));
            assert_eq!(name.len() == MAX_LEGACY_NAME_LEN, n >= 19, "{n}: {name}");
        }
        // Multi-byte characters are never cut in half.
        let greek = "ΦΦΦΦΦΦΦΦΦΦΦΦ"; // 24 bytes
        let name = legacy_invite_name(user, greek, [0; 3]);
        assert_eq!(name, "user invite to group - ΦΦΦΦΦΦΦΦ... 000000");
        assert!(name.len() <= MAX_LEGACY_NAME_LEN);
        assert_eq!(name.to_string().chars().count(), 41);
    }
}
