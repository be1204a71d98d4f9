//! What an invite decision needs to know of the caller's storage, filled in by the caller for one
//! request (from its own database, or from a [`Directory`] with the `from_directory`
//! constructors). Facts are plain data: a sync or async server fetches them however it likes,
//! then hands them to the decision.
//!
//! Every fact carries the keys it describes (the user, the group, the link), and the decision
//! compares them with the request: facts about another user, another group or the link the wrong
//! way round are refused with [`InviteError::MismatchedFacts`] (a 500, never a grant). The
//! decisions also say which facts they need: [`PendingUserJoin::needs`](super::PendingUserJoin::needs)
//! and [`PendingChildJoin::needs`](super::PendingChildJoin::needs) name the keys to read.
//!
//! Which statement of the storage contract ([`storage`](crate::storage)) reads each fact:
//!
//! | fact | statement |
//! |---|---|
//! | [`GroupAccess::group_exists`] | [`GROUP_EXISTS`](crate::storage::GROUP_EXISTS) |
//! | [`GroupAccess::privileges`] | [`EFFECTIVE_PRIVILEGES_SQL`](crate::storage::EFFECTIVE_PRIVILEGES_SQL), its rows into [`PrivilegeRows`](crate::storage::PrivilegeRows) |
//! | [`Membership::is_member`] | [`MEMBERSHIP_EXISTS`](crate::storage::MEMBERSHIP_EXISTS) |
//! | [`Membership::members`] | [`MEMBER_COUNT`](crate::storage::MEMBER_COUNT), bounded by the cap |
//! | [`ChildLink::is_child`] | [`CHILD_LINK_EXISTS`](crate::storage::CHILD_LINK_EXISTS) |
//! | [`ChildLink::children`] | [`CHILD_COUNT`](crate::storage::CHILD_COUNT), bounded by the cap |
//! | [`ChildLink::shape`] | [`LINK_SHAPE_SQL`](crate::storage::LINK_SHAPE_SQL), its rows into [`LinkShape::from_rows`], after [`Dialect::lock_child_links`](crate::storage::Dialect::lock_child_links) |

use alloc::string::String;
use core::fmt;

use crate::group::{
    Directory, DirectoryError, DirectoryLimits, GroupId, LinkShape, PrivilegeSet, UserId,
};

use super::error::InviteError;

/// One user's standing in one group: whether the group exists, and the user's effective
/// privileges in it (empty when the user is no member, or there is no user). Keyed by the user
/// and the group it describes.
///
/// ```
/// use onezone_tokens::group::{GroupId, Privilege, PrivilegeSet, UserId};
/// use onezone_tokens::invite::GroupAccess;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (alice, g1) = (UserId::new("alice")?, GroupId::new("g1")?);
/// // What a server read for (alice, g1): the group exists and alice is a manager there.
/// let access = GroupAccess::new(Some(&alice), &g1, true, PrivilegeSet::manager());
/// assert!(access.privileges.contains(Privilege::GroupInviteUser));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupAccess {
    /// Whose standing this is (`None`: an anonymous caller).
    pub user: Option<UserId>,
    /// The group it is in.
    pub group: GroupId,
    /// Whether the group exists.
    pub group_exists: bool,
    /// The user's effective privileges in the group.
    pub privileges: PrivilegeSet,
}

impl GroupAccess {
    /// `user`'s standing in `group`, as read.
    pub fn new(
        user: Option<&UserId>,
        group: &GroupId,
        group_exists: bool,
        privileges: PrivilegeSet,
    ) -> Self {
        GroupAccess { user: user.cloned(), group: group.clone(), group_exists, privileges }
    }

    /// `group` does not exist (so `user` holds nothing in it).
    pub fn missing(user: Option<&UserId>, group: &GroupId) -> Self {
        GroupAccess::new(user, group, false, PrivilegeSet::EMPTY)
    }

    /// `user`'s standing in `group`, read from a [`Directory`]; `user` `None` (an anonymous
    /// caller) holds nothing.
    pub fn from_directory(directory: &Directory, user: Option<&UserId>, group: &GroupId) -> Self {
        if directory.group(group).is_none() {
            return GroupAccess::missing(user, group);
        }
        let privileges =
            user.map_or(PrivilegeSet::EMPTY, |u| directory.effective_privileges(u, group));
        GroupAccess::new(user, group, true, privileges)
    }

    /// Refuses a standing of someone else or in another group than the request's, and
    /// privileges in a group said not to exist.
    pub(crate) fn check_for(
        &self,
        fact: &'static str,
        user: Option<&UserId>,
        group: &GroupId,
    ) -> Result<(), InviteError> {
        if self.user.as_ref() != user {
            return Err(mismatch(fact, "user", user.map(UserId::as_str), self.user.as_ref()));
        }
        if self.group != *group {
            return Err(mismatch(fact, "group", Some(group.as_str()), Some(&self.group)));
        }
        if !self.group_exists && !self.privileges.is_empty() {
            return Err(InviteError::InconsistentFacts(
                "privileges were given in a group said not to exist",
            ));
        }
        Ok(())
    }
}

/// Whether a user is a direct member of a group, and how many direct members the group has (for
/// [`DirectoryLimits::max_members_per_group`]). Keyed by the user and the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The user.
    pub user: UserId,
    /// The group.
    pub group: GroupId,
    /// Whether the user is a direct member of the group.
    pub is_member: bool,
    /// How many direct members the group has, counted up to
    /// [`DirectoryLimits::max_members_per_group`] at least (a bounded count, so 0 with a cap of 0
    /// even for a member).
    pub members: u64,
}

impl Membership {
    /// `user`'s membership of `group`, read from a [`Directory`].
    pub fn from_directory(directory: &Directory, user: &UserId, group: &GroupId) -> Self {
        Membership {
            user: user.clone(),
            group: group.clone(),
            is_member: directory.is_direct_member(user, group),
            members: directory.member_count(group) as u64,
        }
    }
}

/// What the database says of a new link `parent` → `child`: whether it exists, what it would do
/// to the group graph ([`LinkShape`]: a cycle, its depth) and how many children the parent has
/// (for [`DirectoryLimits::max_children_per_group`]). Keyed by the parent and the child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildLink {
    /// The parent.
    pub parent: GroupId,
    /// The child.
    pub child: GroupId,
    /// Whether `child` is already a child of `parent`.
    pub is_child: bool,
    /// What the new link would do to the group graph; see [`LinkShape::from_rows`].
    pub shape: LinkShape,
    /// How many children `parent` has, counted up to
    /// [`DirectoryLimits::max_children_per_group`] at least (a bounded count).
    pub children: u64,
}

impl ChildLink {
    /// The link `parent` → `child`, read from a [`Directory`].
    pub fn from_directory(directory: &Directory, parent: &GroupId, child: &GroupId) -> Self {
        ChildLink {
            parent: parent.clone(),
            child: child.clone(),
            is_child: directory.child_privileges(child, parent).is_some(),
            shape: directory.link_shape(parent, child).unwrap_or(LinkShape::new(false, 0)),
            children: directory.child_count(parent) as u64,
        }
    }
}

/// The facts of a user joining a group with an invite token
/// ([`join_group_with_token`](super::join_group_with_token)): the keys are those of
/// [`UserJoinNeeds`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserJoinFacts {
    /// The token's issuer's standing in the group the token invites to.
    pub issuer: GroupAccess,
    /// The joining user's membership of that group.
    pub membership: Membership,
}

impl UserJoinFacts {
    /// The facts `needs` names, read from a [`Directory`].
    pub fn from_directory(directory: &Directory, needs: &UserJoinNeeds) -> Self {
        UserJoinFacts {
            issuer: GroupAccess::from_directory(directory, Some(&needs.issuer), &needs.group),
            membership: Membership::from_directory(directory, &needs.user, &needs.group),
        }
    }

    /// Refuses facts of other keys than `needs`', or that contradict each other.
    pub(crate) fn check(&self, needs: &UserJoinNeeds) -> Result<(), InviteError> {
        self.issuer.check_for("the issuer's access", Some(&needs.issuer), &needs.group)?;
        let m = &self.membership;
        if m.user != needs.user {
            return Err(mismatch(
                "the membership",
                "user",
                Some(needs.user.as_str()),
                Some(&m.user),
            ));
        }
        if m.group != needs.group {
            let expected = Some(needs.group.as_str());
            return Err(mismatch("the membership", "group", expected, Some(&m.group)));
        }
        if !self.issuer.group_exists && (m.is_member || m.members > 0) {
            return Err(InviteError::InconsistentFacts(
                "a membership was given in a group said not to exist",
            ));
        }
        Ok(())
    }
}

/// The facts of a group joining a parent group with an invite token
/// ([`join_parent_group_with_token`](super::join_parent_group_with_token)): the keys are those of
/// [`ChildJoinNeeds`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildJoinFacts {
    /// The token's issuer's standing in the parent.
    pub issuer: GroupAccess,
    /// The new link.
    pub link: ChildLink,
}

impl ChildJoinFacts {
    /// The facts `needs` names, read from a [`Directory`].
    pub fn from_directory(directory: &Directory, needs: &ChildJoinNeeds) -> Self {
        ChildJoinFacts {
            issuer: GroupAccess::from_directory(directory, Some(&needs.issuer), &needs.parent),
            link: ChildLink::from_directory(directory, &needs.parent, &needs.child),
        }
    }

    /// Refuses facts of other keys than `needs`', or that contradict each other.
    pub(crate) fn check(&self, needs: &ChildJoinNeeds) -> Result<(), InviteError> {
        self.issuer.check_for("the issuer's access", Some(&needs.issuer), &needs.parent)?;
        let link = &self.link;
        if link.parent != needs.parent {
            let expected = Some(needs.parent.as_str());
            return Err(mismatch("the link", "parent", expected, Some(&link.parent)));
        }
        if link.child != needs.child {
            let expected = Some(needs.child.as_str());
            return Err(mismatch("the link", "child", expected, Some(&link.child)));
        }
        if !self.issuer.group_exists && (link.is_child || link.children > 0) {
            return Err(InviteError::InconsistentFacts(
                "a child link was given to a group said not to exist",
            ));
        }
        if link.is_child && link.shape.closes_cycle {
            return Err(InviteError::InconsistentFacts(
                "the group is said to be both a child and an ancestor of the parent",
            ));
        }
        Ok(())
    }
}

/// The facts a user's join needs, named by
/// [`PendingUserJoin::needs`](super::PendingUserJoin::needs): the issuer's standing in the group
/// ([`GroupAccess`] for (`issuer`, `group`)) and the joining user's [`Membership`] of it (for
/// (`user`, `group`)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "read the facts it names"]
pub struct UserJoinNeeds {
    /// The token's issuer.
    pub issuer: UserId,
    /// The joining user.
    pub user: UserId,
    /// The group the token invites to.
    pub group: GroupId,
}

/// The facts a group's join needs, named by
/// [`PendingChildJoin::needs`](super::PendingChildJoin::needs): the issuer's standing in the
/// parent ([`GroupAccess`] for (`issuer`, `parent`)) and the new [`ChildLink`] (`parent` →
/// `child`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "read the facts it names"]
pub struct ChildJoinNeeds {
    /// The token's issuer.
    pub issuer: UserId,
    /// The group the token invites to.
    pub parent: GroupId,
    /// The joining group.
    pub child: GroupId,
}

/// Facts about something else than the request asked about
/// ([`InviteError::MismatchedFacts`]): a programming error of the caller, never a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactsMismatch {
    /// Which fact: "the issuer's access", "the membership", "the link", "the caller's access".
    pub fact: &'static str,
    /// Which of its keys differs: "user", "group", "parent", "child".
    pub key: &'static str,
    /// The key the request needs (`None`: no user).
    pub expected: Option<String>,
    /// The key the fact carries (`None`: no user).
    pub given: Option<String>,
}

impl fmt::Display for FactsMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |k: &Option<String>| k.clone().unwrap_or_else(|| String::from("(none)"));
        write!(
            f,
            "{} was read for {} {}, but the request needs {} {}",
            self.fact,
            self.key,
            show(&self.given),
            self.key,
            show(&self.expected)
        )
    }
}

fn mismatch(
    fact: &'static str,
    key: &'static str,
    expected: Option<&str>,
    given: Option<&impl AsRef<str>>,
) -> InviteError {
    InviteError::MismatchedFacts(FactsMismatch {
        fact,
        key,
        expected: expected.map(String::from),
        given: given.map(|g| String::from(g.as_ref())),
    })
}

/// The member cap of `limits` over a [`Membership`], as [`Directory::add_user`] refuses it.
pub(crate) fn check_members(
    membership: &Membership,
    limits: &DirectoryLimits,
) -> Result<(), DirectoryError> {
    limits.check_member_count(&membership.group, &membership.user, membership.members)
}

/// The link checks of `limits` over a [`ChildLink`], in [`Directory::add_child`]'s order: a
/// cycle, too many children, too deep.
pub(crate) fn check_link(link: &ChildLink, limits: &DirectoryLimits) -> Result<(), DirectoryError> {
    // A group never joins itself, whatever the facts say.
    let shape = if link.parent == link.child { LinkShape::new(true, 0) } else { link.shape };
    if !shape.closes_cycle {
        limits.check_child_count(&link.parent, &link.child, link.children)?;
    }
    shape.check(&link.parent, &link.child, limits)
}
