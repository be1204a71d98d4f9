//! The invite operations over an in-memory [`Directory`]: the storage-neutral decisions of
//! [`invite`](super), with their facts read from the directory and their writes applied to it
//! and to the [`InviteRecord`]. For tests, examples and servers small enough to hold their groups
//! in memory; a server with its own database calls the decisions directly.
//!
//! Each join is atomic: on any error neither the directory nor the record changes.

use rand_core::CryptoRng;

use crate::group::{Directory, DirectoryError, UserId};
use crate::token::CaveatContext;

use super::authorize::{InviteGroup, InviteUser, JoinParent, authorize, group_from_path};
use super::error::InviteError;
use super::facts::{ChildJoinFacts, GroupAccess, UserJoinFacts};
use super::issue::{IssuePolicy, IssuedInvite};
use super::join::{ChildJoin, InviteToken, TokenUse, UserJoin};
use super::record::InviteRecord;

/// [`invite::issue_invite_token`](super::issue_invite_token) with the facts read from
/// `directory`; `group_id` is the path's id (an invalid one is a 404).
///
/// ```
/// use onezone_tokens::group::{Directory, GroupId, GroupType, UserId};
/// use onezone_tokens::invite::{IssuePolicy, in_memory};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let alice = UserId::new("alice")?;
/// let mut directory = Directory::new();
/// directory.create_group(&alice, GroupId::new("g1")?, "Group one", GroupType::Team)?;
/// let policy = IssuePolicy::new("onezone.example.org");
/// let issued = in_memory::issue_invite_token(
///     &directory, Some(&alice), "g1", None, &policy, 1_800_000_000, &mut rand::rng())?;
/// assert_eq!(issued.record.usage_limit.to_string(), "1");
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`invite::issue_invite_token`](super::issue_invite_token).
pub fn issue_invite_token<R: CryptoRng + ?Sized>(
    directory: &Directory,
    caller: Option<&UserId>,
    group_id: &str,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
) -> Result<IssuedInvite, InviteError> {
    let group = group_from_path(group_id)?;
    let access = GroupAccess::from_directory(directory, caller, &group);
    let caller = authorize(InviteUser, &group, caller, &access)?;
    super::issue_invite_token(&caller, body, policy, now, rng)
}

/// [`invite::issue_child_invite_token`](super::issue_child_invite_token) with the facts read
/// from `directory`.
///
/// # Errors
/// As [`invite::issue_invite_token`](super::issue_invite_token).
pub fn issue_child_invite_token<R: CryptoRng + ?Sized>(
    directory: &Directory,
    caller: Option<&UserId>,
    group_id: &str,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
) -> Result<IssuedInvite, InviteError> {
    let group = group_from_path(group_id)?;
    let access = GroupAccess::from_directory(directory, caller, &group);
    let caller = authorize(InviteGroup, &group, caller, &access)?;
    super::issue_child_invite_token(&caller, body, policy, now, rng)
}

/// A refusal of the directory at write time, as the API answers it.
fn refused(e: DirectoryError) -> InviteError {
    match e {
        DirectoryError::AlreadyMember { user, group } => InviteError::AlreadyMember { user, group },
        DirectoryError::AlreadyChild { child, parent } => {
            InviteError::AlreadyChild { child, parent }
        }
        e => InviteError::Refused(e),
    }
}

/// Counts `token_use` on `record`, then runs `write`; if `write` fails, the count is given back,
/// as a database transaction would roll it back.
fn with_token_use<T>(
    record: &mut InviteRecord,
    token_use: Option<&TokenUse>,
    write: impl FnOnce() -> Result<T, DirectoryError>,
) -> Result<T, InviteError> {
    let Some(token_use) = token_use else { return write().map_err(refused) };
    token_use.apply(record)?;
    write().map_err(|e| {
        record.usage_count = record.usage_count.saturating_sub(1);
        refused(e)
    })
}

/// [`invite::join_group_with_token`](super::join_group_with_token) with the facts read from
/// `directory` and the join written to it: `user` becomes a member with the record's privileges
/// and the record's usage count rises by one.
///
/// # Errors
/// As [`invite::join_group_with_token`](super::join_group_with_token), plus a directory limit
/// ([`InviteError::Refused`]). On any error neither `directory` nor `record` changes.
pub fn join_group_with_token(
    directory: &mut Directory,
    record: &mut InviteRecord,
    user: &UserId,
    token: &str,
    ctx: &CaveatContext,
) -> Result<UserJoin, InviteError> {
    let token = InviteToken::parse(token)?;
    let pending = token.user_join(user, record, ctx)?;
    let facts = UserJoinFacts::from_directory(directory, pending.needs());
    let join = pending.decide(&facts, directory.limits())?;
    with_token_use(record, join.token_use.as_ref(), || {
        directory.add_user(&join.group, &join.user, join.privileges)
    })?;
    Ok(join)
}

/// [`invite::join_parent_group_with_token`](super::join_parent_group_with_token) with the facts
/// read from `directory` and the link written to it: `actor` needs `group_join_group` in
/// `child_id`, which becomes a child of the record's group with the record's privileges.
///
/// # Errors
/// As [`invite::join_parent_group_with_token`](super::join_parent_group_with_token), plus a
/// directory limit ([`InviteError::Refused`]). On any error neither `directory` nor `record`
/// changes.
pub fn join_parent_group_with_token(
    directory: &mut Directory,
    record: &mut InviteRecord,
    actor: &UserId,
    child_id: &str,
    token: &str,
    ctx: &CaveatContext,
) -> Result<ChildJoin, InviteError> {
    let child = group_from_path(child_id)?;
    let access = GroupAccess::from_directory(directory, Some(actor), &child);
    let child = authorize(JoinParent, &child, Some(actor), &access)?;
    let token = InviteToken::parse(token)?;
    let pending = token.child_join(&child, record, ctx)?;
    let facts = ChildJoinFacts::from_directory(directory, pending.needs());
    let join = pending.decide(&facts, directory.limits())?;
    with_token_use(record, join.token_use.as_ref(), || {
        directory.add_child(&join.parent, &join.child, join.privileges)
    })?;
    Ok(join)
}
