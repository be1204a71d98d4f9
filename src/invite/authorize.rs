//! Onezone's checks before any operation in a group (404, 401, 403, in that order), and the proof
//! that they passed: one [`Authorized`] value per checked operation, which every decision that
//! needs it takes (issuing an invite, a group joining a parent, any other operation of a server).

use core::marker::PhantomData;

use crate::group::{GroupId, Privilege, PrivilegeSet, UserId};

use super::error::InviteError;
use super::facts::GroupAccess;

/// The group named by a request path: a string that is not a valid [`GroupId`] names no group.
///
/// # Errors
/// [`InviteError::GroupNotFound`] (404) for an invalid id, which is not echoed back.
pub fn group_from_path(id: &str) -> Result<GroupId, InviteError> {
    GroupId::new(id).map_err(|_| InviteError::GroupNotFound { group: None })
}

mod sealed {
    pub trait Sealed {}
}

/// An operation in a group that needs a privilege there: the operations the invite decisions
/// take a proof of ([`InviteUser`], [`InviteGroup`], [`JoinParent`]), or any [`Privilege`] for a
/// server's other operations. Sealed: the privilege each needs is the library's to say.
pub trait Operation: sealed::Sealed + Copy {
    /// The privilege the operation needs in the group.
    fn privilege(self) -> Privilege;
}

/// Issuing a user invite (`POST /groups/{id}/users/token`): needs `group_invite_user`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InviteUser;

/// Issuing a child-group invite (`POST /groups/{id}/children/token`): needs
/// `group_invite_group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct InviteGroup;

/// Joining a group to a parent with an invite (`POST /groups/{id}/parents/join`): needs
/// `group_join_group` in the joining group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JoinParent;

impl sealed::Sealed for InviteUser {}
impl sealed::Sealed for InviteGroup {}
impl sealed::Sealed for JoinParent {}
impl sealed::Sealed for Privilege {}

impl Operation for InviteUser {
    fn privilege(self) -> Privilege {
        Privilege::GroupInviteUser
    }
}
impl Operation for InviteGroup {
    fn privilege(self) -> Privilege {
        Privilege::GroupInviteGroup
    }
}
impl Operation for JoinParent {
    fn privilege(self) -> Privilege {
        Privilege::GroupJoinGroup
    }
}
/// Any other operation, named by the privilege it needs.
impl Operation for Privilege {
    fn privilege(self) -> Privilege {
        self
    }
}

/// Proof that a caller passed Onezone's checks for the operation `Op` in a group: the group
/// exists, the caller is authenticated and holds the operation's privilege. Only [`authorize`]
/// makes one; the decisions that need it take it (`Authorized<InviteUser>` to issue a user
/// invite, `Authorized<JoinParent>` for a group to join a parent), so no path skips the checks
/// and a proof of one operation cannot stand for another:
///
/// ```compile_fail
/// use onezone_tokens::group::{GroupId, Privilege, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{GroupAccess, IssuePolicy, authorize, issue_invite_token};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (g1, bob) = (GroupId::new("g1")?, UserId::new("bob")?);
/// let access = GroupAccess::new(Some(&bob), &g1, true, PrivilegeSet::member());
/// // A proof for `group_view` does not issue invites: the types differ.
/// let viewer = authorize(Privilege::GroupView, &g1, Some(&bob), &access)?;
/// let policy = IssuePolicy::new("onezone.example.org");
/// issue_invite_token(&viewer, None, &policy, 1_800_000_000, &mut rand::rng())?;
/// # Ok(()) }
/// ```
///
/// ```compile_fail
/// use onezone_tokens::group::{GroupId, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{Authorized, InviteUser};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Only `authorize` makes a proof: its fields are private.
/// let forged: Authorized<InviteUser> = Authorized {
///     group: GroupId::new("g1")?,
///     caller: UserId::new("mallory")?,
///     privileges: PrivilegeSet::admin(),
///     op: Default::default(),
/// };
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a proof of authorization is taken by the decision it authorizes"]
pub struct Authorized<Op = Privilege> {
    group: GroupId,
    caller: UserId,
    privileges: PrivilegeSet,
    op: PhantomData<Op>,
}

impl<Op> Authorized<Op> {
    /// The group.
    pub fn group(&self) -> &GroupId {
        &self.group
    }

    /// The caller.
    pub fn caller(&self) -> &UserId {
        &self.caller
    }

    /// The caller's effective privileges in the group (the checked one among them).
    pub fn privileges(&self) -> PrivilegeSet {
        self.privileges
    }
}

/// Onezone's checks before the operation `op` in `group`, in its order: the group exists (404),
/// there is a caller (401), the caller holds the operation's privilege (403). `access` is the
/// caller's standing in `group` as the caller's storage tells it, keyed by that caller and group.
///
/// ```
/// use onezone_tokens::group::{GroupId, Privilege, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{GroupAccess, InviteError, JoinParent, authorize};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (g1, bob) = (GroupId::new("g1")?, UserId::new("bob")?);
/// let member = GroupAccess::new(Some(&bob), &g1, true, PrivilegeSet::member());
/// let refused = authorize(JoinParent, &g1, Some(&bob), &member).unwrap_err();
/// assert_eq!(refused, InviteError::MissingPrivilege { privilege: Privilege::GroupJoinGroup });
/// let anonymous = authorize(Privilege::GroupView, &g1, None, &GroupAccess::missing(None, &g1));
/// assert_eq!(anonymous.unwrap_err().status().code(), 404); // the group's absence comes first
///
/// // bob's standing passed for another user (or group) is refused, never used.
/// let alice = UserId::new("alice")?;
/// let misused = authorize(Privilege::GroupView, &g1, Some(&alice), &member).unwrap_err();
/// assert!(matches!(misused, InviteError::MismatchedFacts(_)));
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`InviteError::GroupNotFound`], [`InviteError::Unauthenticated`],
/// [`InviteError::MissingPrivilege`]; [`InviteError::MismatchedFacts`] for the standing of another
/// user or in another group, [`InviteError::InconsistentFacts`] for privileges in a group said not
/// to exist.
pub fn authorize<Op: Operation>(
    op: Op,
    group: &GroupId,
    caller: Option<&UserId>,
    access: &GroupAccess,
) -> Result<Authorized<Op>, InviteError> {
    access.check_for("the caller's access", caller, group)?;
    if !access.group_exists {
        return Err(InviteError::GroupNotFound { group: Some(group.clone()) });
    }
    let caller = caller.ok_or(InviteError::Unauthenticated)?;
    let needed = op.privilege();
    if !access.privileges.allows(needed) {
        return Err(InviteError::MissingPrivilege { privilege: needed });
    }
    Ok(Authorized {
        group: group.clone(),
        caller: caller.clone(),
        privileges: access.privileges,
        op: PhantomData,
    })
}
