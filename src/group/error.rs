//! Why a [`Directory`](super::Directory) refused a change.

use core::fmt;

use super::model::{GroupId, UserId};
use super::privilege::Privilege;

/// Why a [`Directory`](super::Directory) operation, or the reading of a serialized directory,
/// was refused. A refused operation changes nothing.
///
/// The message names what was refused and why, e.g.
/// `user bob lacks group_set_privileges in group g1`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DirectoryError {
    /// No group has this id.
    NoSuchGroup(GroupId),
    /// A group with this id already exists.
    GroupExists(GroupId),
    /// The name given to a group is not acceptable (see [`Group`](super::Group)).
    InvalidName {
        /// The group being created.
        group: GroupId,
        /// What is wrong with the name.
        problem: &'static str,
    },
    /// The user is already a direct member of the group.
    AlreadyMember {
        /// The user.
        user: UserId,
        /// The group.
        group: GroupId,
    },
    /// The user is not a direct member of the group.
    NotAMember {
        /// The user.
        user: UserId,
        /// The group.
        group: GroupId,
    },
    /// The group is already a child of the parent.
    AlreadyChild {
        /// The would-be child.
        child: GroupId,
        /// The parent.
        parent: GroupId,
    },
    /// The group is not a child of the parent.
    NotAChild {
        /// The group named as child.
        child: GroupId,
        /// The group named as parent.
        parent: GroupId,
    },
    /// Making `child` a child of `parent` would make a group its own ancestor: `child` is
    /// `parent` itself or one of its ancestors.
    WouldCreateCycle {
        /// The group that was to gain a child.
        parent: GroupId,
        /// The group that was to join it.
        child: GroupId,
    },
    /// A serialized directory's groups form a cycle; `group` is on it.
    Cycle {
        /// A group that is its own ancestor.
        group: GroupId,
    },
    /// The acting user lacks a privilege the operation needs in the group (effective
    /// privileges count, see [`Directory::effective_privileges`](super::Directory::effective_privileges)).
    MissingPrivilege {
        /// The acting user.
        actor: UserId,
        /// The group in which the privilege is needed.
        group: GroupId,
        /// The privilege needed.
        privilege: Privilege,
    },
    /// The directory already holds [`DirectoryLimits::max_groups`](super::DirectoryLimits::max_groups)
    /// groups.
    TooManyGroups {
        /// The group that was to be created.
        group: GroupId,
        /// The limit.
        max: usize,
    },
    /// The directory already knows [`DirectoryLimits::max_users`](super::DirectoryLimits::max_users)
    /// users (users with at least one direct membership).
    TooManyUsers {
        /// The user that was to be added.
        user: UserId,
        /// The limit.
        max: usize,
    },
    /// The group already has
    /// [`DirectoryLimits::max_members_per_group`](super::DirectoryLimits::max_members_per_group)
    /// direct members.
    TooManyMembers {
        /// The group.
        group: GroupId,
        /// The user that was to be added.
        user: UserId,
        /// The limit.
        max: usize,
    },
    /// The parent already has
    /// [`DirectoryLimits::max_children_per_group`](super::DirectoryLimits::max_children_per_group)
    /// child groups.
    TooManyChildren {
        /// The parent.
        parent: GroupId,
        /// The group that was to join it.
        child: GroupId,
        /// The limit.
        max: usize,
    },
    /// The link `parent` → `child` would be part of a chain of nested groups longer than
    /// [`DirectoryLimits::max_depth`](super::DirectoryLimits::max_depth) links.
    TooDeep {
        /// The parent.
        parent: GroupId,
        /// The child.
        child: GroupId,
        /// The length, in parent → child links, of the longest chain through that link.
        depth: usize,
        /// The limit.
        max: usize,
    },
}

impl fmt::Display for DirectoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirectoryError::NoSuchGroup(group) => write!(f, "group {group} does not exist"),
            DirectoryError::GroupExists(group) => {
                write!(f, "cannot create group {group}: a group with this id already exists")
            }
            DirectoryError::InvalidName { group, problem } => {
                write!(f, "cannot name group {group}: {problem}")
            }
            DirectoryError::AlreadyMember { user, group } => {
                write!(f, "user {user} is already a direct member of group {group}")
            }
            DirectoryError::NotAMember { user, group } => {
                write!(f, "user {user} is not a direct member of group {group}")
            }
            DirectoryError::AlreadyChild { child, parent } => {
                write!(f, "group {child} is already a child of group {parent}")
            }
            DirectoryError::NotAChild { child, parent } => {
                write!(f, "group {child} is not a child of group {parent}")
            }
            DirectoryError::WouldCreateCycle { parent, child } if parent == child => {
                write!(f, "group {child} cannot join itself")
            }
            DirectoryError::WouldCreateCycle { parent, child } => write!(
                f,
                "group {child} cannot join group {parent}: {child} is an ancestor of {parent}, \
                 so it would become its own ancestor"
            ),
            DirectoryError::Cycle { group } => {
                write!(f, "group {group} is its own ancestor (the groups form a cycle)")
            }
            DirectoryError::MissingPrivilege { actor, group, privilege } => {
                write!(f, "user {actor} lacks {privilege} in group {group}")
            }
            DirectoryError::TooManyGroups { group, max } => write!(
                f,
                "cannot create group {group}: the directory already holds the maximum of {max} \
                 groups"
            ),
            DirectoryError::TooManyUsers { user, max } => write!(
                f,
                "cannot add user {user}: the directory already has the maximum of {max} users"
            ),
            DirectoryError::TooManyMembers { group, user, max } => write!(
                f,
                "cannot add user {user} to group {group}: it already has the maximum of {max} \
                 direct members"
            ),
            DirectoryError::TooManyChildren { parent, child, max } => write!(
                f,
                "group {child} cannot join group {parent}: it already has the maximum of {max} \
                 child groups"
            ),
            DirectoryError::TooDeep { parent, child, depth, max } => write!(
                f,
                "group {child} cannot be a child of group {parent}: that would nest groups \
                 {depth} levels deep, more than the maximum of {max}"
            ),
        }
    }
}

impl core::error::Error for DirectoryError {}
