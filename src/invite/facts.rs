//! What an invite decision needs to know of the caller's storage, filled in by the caller for one
//! request (from its own database, or from a [`Directory`] with the `from_directory`
//! constructors). Facts are plain data: a sync or async server fetches them however it likes,
//! then hands them to the decision.
//!
//! Which rows each fact comes from, for a server on SQL (tables as in
//! [`group`](crate::group)'s row functions):
//!
//! | fact | query |
//! |---|---|
//! | `group_exists` | `SELECT 1 FROM groups WHERE group_id = :group` |
//! | `privileges` | the recursive query of [`effective_privileges_from_rows`](crate::group::effective_privileges_from_rows), then that function |
//! | `already_member` | `SELECT 1 FROM group_users WHERE group_id = :group AND user_id = :user` |
//! | `already_child` | `SELECT 1 FROM group_children WHERE parent_id = :parent AND child_id = :child` |
//! | `link` | the recursive query of [`LinkShape::from_rows`], then that function |

use crate::group::{Directory, GroupId, LinkShape, PrivilegeSet, UserId};

use super::error::InviteError;

/// One user's standing in one group: whether the group exists, and the user's effective
/// privileges in it (empty when the user is no member, or there is no user).
///
/// ```
/// use onezone_tokens::group::PrivilegeSet;
/// use onezone_tokens::invite::GroupAccess;
/// // What a server read for (alice, g1): the group exists and alice is a manager there.
/// let access = GroupAccess { group_exists: true, privileges: PrivilegeSet::manager() };
/// assert!(access.privileges.contains(onezone_tokens::group::Privilege::GroupInviteUser));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupAccess {
    /// Whether the group exists.
    pub group_exists: bool,
    /// The user's effective privileges in the group.
    pub privileges: PrivilegeSet,
}

impl GroupAccess {
    /// The group does not exist (so nobody holds anything in it).
    pub const MISSING: GroupAccess =
        GroupAccess { group_exists: false, privileges: PrivilegeSet::EMPTY };

    /// `user`'s standing in `group`, read from a [`Directory`]; `user` `None` (an anonymous
    /// caller) holds nothing.
    pub fn from_directory(directory: &Directory, user: Option<&UserId>, group: &GroupId) -> Self {
        if directory.group(group).is_none() {
            return GroupAccess::MISSING;
        }
        let privileges =
            user.map_or(PrivilegeSet::EMPTY, |u| directory.effective_privileges(u, group));
        GroupAccess { group_exists: true, privileges }
    }

    /// Refuses privileges in a group said not to exist.
    pub(crate) fn check(&self) -> Result<(), InviteError> {
        if !self.group_exists && !self.privileges.is_empty() {
            return Err(InviteError::InconsistentFacts(
                "privileges were given in a group said not to exist",
            ));
        }
        Ok(())
    }
}

/// The facts of a user joining a group with an invite token
/// ([`join_group_with_token`](super::join_group_with_token)), for the record's group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserJoinFacts {
    /// The token's issuer's standing in the group the token invites to.
    pub issuer: GroupAccess,
    /// Whether the joining user is already a direct member of that group.
    pub already_member: bool,
}

impl UserJoinFacts {
    /// The facts of `user` joining `group` on `issuer`'s invitation, read from a [`Directory`].
    pub fn from_directory(
        directory: &Directory,
        issuer: &UserId,
        group: &GroupId,
        user: &UserId,
    ) -> Self {
        UserJoinFacts {
            issuer: GroupAccess::from_directory(directory, Some(issuer), group),
            already_member: directory.is_direct_member(user, group),
        }
    }

    pub(crate) fn check(&self) -> Result<(), InviteError> {
        self.issuer.check()?;
        if !self.issuer.group_exists && self.already_member {
            return Err(InviteError::InconsistentFacts(
                "a membership was given in a group said not to exist",
            ));
        }
        Ok(())
    }
}

/// The facts of a group joining a parent group with an invite token
/// ([`join_parent_group_with_token`](super::join_parent_group_with_token)), for the record's
/// group (the parent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildJoinFacts {
    /// The token's issuer's standing in the parent.
    pub issuer: GroupAccess,
    /// Whether the joining group is already a child of the parent.
    pub already_child: bool,
    /// What the new link would do to the group graph (a cycle, its depth); see
    /// [`LinkShape::from_rows`].
    pub link: LinkShape,
}

impl ChildJoinFacts {
    /// The facts of `child` joining `parent` on `issuer`'s invitation, read from a [`Directory`].
    pub fn from_directory(
        directory: &Directory,
        issuer: &UserId,
        parent: &GroupId,
        child: &GroupId,
    ) -> Self {
        let link = directory.link_shape(parent, child).unwrap_or(LinkShape::new(false, 0));
        ChildJoinFacts {
            issuer: GroupAccess::from_directory(directory, Some(issuer), parent),
            already_child: directory.child_privileges(child, parent).is_some(),
            link,
        }
    }

    pub(crate) fn check(&self) -> Result<(), InviteError> {
        self.issuer.check()?;
        if !self.issuer.group_exists && self.already_child {
            return Err(InviteError::InconsistentFacts(
                "a child link was given to a group said not to exist",
            ));
        }
        if self.already_child && self.link.closes_cycle {
            return Err(InviteError::InconsistentFacts(
                "the group is said to be both a child and an ancestor of the parent",
            ));
        }
        Ok(())
    }
}
