//! The directory: groups, memberships, nesting, and the index of effective privileges.
//!
//! # Index
//!
//! Group and user ids are interned to dense `u32` indices (string → index through hash tables).
//! One table holds the effective privileges of every (group, user) pair of effective
//! membership, each entry packed in a `u64` (group and user indices, 26 bits each, and the
//! privileges, 12 bits). A query is therefore two string lookups (which the processor overlaps)
//! and one integer lookup, whatever the size or depth of the graph: see `index.rs` for the
//! layouts. Besides, every group keeps the set of its effective members and every user the set
//! of groups of which it is an effective member, for listings and for the updates below.
//!
//! A change at group `G` (a direct membership, a child link or its privileges) can only change
//! the effective privileges in `G` and its ancestors, and only those of the users concerned: the
//! user for a membership change, the effective members of the child for a link change. For each
//! such user the entries of `G` and of its ancestors are recomputed from the definition, children
//! before parents, and the walk stops climbing where nothing changed.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use foldhash::fast::RandomState;
use hashbrown::{HashMap, HashSet};
use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::error::DirectoryError;
use super::index::{Access, INDEX_BITS, IdIndex};
use super::model::{Group, GroupId, GroupType, UserId, name_problem};
use super::privilege::{Privilege, PrivilegeChange, PrivilegeSet};
use super::rows::LinkShape;

// Every map has its own random seed: ids are chosen by callers, and so is (through the order of
// operations) which interned indices share a map.
type Map<K, V> = HashMap<K, V, RandomState>;
type Set<K> = HashSet<K, RandomState>;

/// Bounds on the size and shape of a [`Directory`], checked by every operation and when a
/// serialized directory is read. A change that would exceed one is refused.
///
/// ```
/// use onezone_tokens::group::{Directory, DirectoryLimits};
/// let limits = DirectoryLimits::default().with_max_depth(8).with_max_groups(10_000);
/// let directory = Directory::with_limits(limits);
/// assert_eq!(directory.limits().max_depth, 8);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirectoryLimits {
    /// Maximum number of groups. Default 1 000 000. Above [`MAX_INDEXED`] acts as
    /// [`MAX_INDEXED`].
    pub max_groups: usize,
    /// Maximum number of users, counting those with at least one direct membership.
    /// Default 10 000 000. Above [`MAX_INDEXED`] acts as [`MAX_INDEXED`].
    pub max_users: usize,
    /// Maximum nesting: the longest chain of parent → child links (a group with no children and
    /// no parents is at depth 0; one child below one parent makes a chain of 1). A link that
    /// would make any chain longer is refused. Default 64.
    pub max_depth: usize,
    /// Maximum number of direct members of one group. Default 100 000.
    pub max_members_per_group: usize,
    /// Maximum number of child groups of one group. Default 10 000.
    pub max_children_per_group: usize,
}

impl Default for DirectoryLimits {
    fn default() -> Self {
        DirectoryLimits {
            max_groups: 1_000_000,
            max_users: 10_000_000,
            max_depth: 64,
            max_members_per_group: 100_000,
            max_children_per_group: 10_000,
        }
    }
}

impl DirectoryLimits {
    /// Sets [`DirectoryLimits::max_groups`].
    pub fn with_max_groups(mut self, max: usize) -> Self {
        self.max_groups = max;
        self
    }

    /// Sets [`DirectoryLimits::max_users`].
    pub fn with_max_users(mut self, max: usize) -> Self {
        self.max_users = max;
        self
    }

    /// Sets [`DirectoryLimits::max_depth`].
    pub fn with_max_depth(mut self, max: usize) -> Self {
        self.max_depth = max;
        self
    }

    /// Sets [`DirectoryLimits::max_members_per_group`].
    pub fn with_max_members_per_group(mut self, max: usize) -> Self {
        self.max_members_per_group = max;
        self
    }

    /// The number of groups allowed: `max_groups`, at most [`MAX_INDEXED`].
    fn group_cap(&self) -> usize {
        self.max_groups.min(MAX_INDEXED)
    }

    /// The number of users allowed: `max_users`, at most [`MAX_INDEXED`].
    fn user_cap(&self) -> usize {
        self.max_users.min(MAX_INDEXED)
    }

    /// Sets [`DirectoryLimits::max_children_per_group`].
    pub fn with_max_children_per_group(mut self, max: usize) -> Self {
        self.max_children_per_group = max;
        self
    }
}

/// One group and its links, by interned index.
#[derive(Clone)]
struct GroupNode {
    group: Group,
    /// Direct members → their direct privileges.
    members: Map<u32, PrivilegeSet>,
    /// Effective members, direct ones included (their privileges are in `Directory::access`).
    effective: Set<u32>,
    /// Children → the privileges each holds in this group.
    children: Map<u32, PrivilegeSet>,
    parents: Set<u32>,
    /// The longest chain of parent → child links below this group.
    height: usize,
}

impl GroupNode {
    fn new(group: Group) -> Self {
        GroupNode {
            group,
            members: Map::default(),
            effective: Set::default(),
            children: Map::default(),
            parents: Set::default(),
            height: 0,
        }
    }
}

/// One user with at least one direct membership.
#[derive(Clone)]
struct UserNode {
    id: UserId,
    /// The number of groups of which the user is a direct member (never 0 while interned).
    direct: usize,
    /// The groups of which the user is an effective member.
    groups: Set<u32>,
}

/// Groups, their members and their nesting, with the effective privileges of every user in
/// every group kept up to date.
///
/// # Model (Onezone 17.06)
///
/// A user is a *direct member* of a group with some direct privileges. A group can be a *child*
/// of other groups; a child `C` of `G` holds privileges `P_C` in `G`. A user is an *effective
/// member* of `G` if it is a direct member of `G` or an effective member of a child of `G`. The
/// *effective privileges* of a user in `G` are its direct privileges in `G` united with `P_C` for
/// every child `C` of `G` of which it is an effective member: what the user may do inside `C`
/// does not matter in `G`. The groups never form a cycle.
///
/// # Operations
///
/// The raw operations ([`add_user`](Directory::add_user), [`remove_user`](Directory::remove_user),
/// [`add_child`](Directory::add_child), [`remove_child`](Directory::remove_child)) check the
/// model's invariants and the [`DirectoryLimits`] but no actor: they serve the layer that
/// verifies invite tokens and joins. The `_as` operations and the privilege changes check that
/// the acting user holds the needed privilege among its *effective* privileges in the group.
/// A refused operation changes nothing.
///
/// # Cost
///
/// Queries take a few hash lookups whatever the size and depth of the directory. A change at a
/// group recomputes, for each user it concerns, that group and its ancestors; changes are
/// expected to be rare next to queries. Memory grows with the number of (user, group) pairs of
/// effective membership.
///
/// # Persistence
///
/// A directory serializes (serde) as
/// `{"groups": [Group...], "members": [{"groupId", "userId", "privileges"}...],
/// "children": [{"parentId", "childId", "privileges"}...]}`, each list sorted. Reading one
/// re-checks everything an operation would (unique and valid ids and names, referenced groups
/// exist, no cycle, the limits, the default ones unless read with
/// [`Directory::deserialize_with_limits`]) and rebuilds the index.
///
/// ```
/// use onezone_tokens::group::*;
/// let alice = UserId::new("alice")?;
/// let bob = UserId::new("bob")?;
/// let org = GroupId::new("org")?;
/// let team = GroupId::new("team")?;
///
/// let mut dir = Directory::new();
/// dir.create_group(&alice, org.clone(), "Org", GroupType::Organization)?;
/// dir.create_group(&alice, team.clone(), "Team", GroupType::Team)?;
/// dir.add_child(&org, &team, PrivilegeSet::manager())?;
/// dir.add_user(&team, &bob, PrivilegeSet::member())?;
///
/// // bob holds in org what team holds there.
/// assert!(dir.is_effective_member(&bob, &org));
/// assert_eq!(dir.effective_privileges(&bob, &org), PrivilegeSet::manager());
///
/// // bob cannot change privileges in org; alice (its creator, an admin) can.
/// let err = dir
///     .change_child_privileges(&bob, &org, &team, PrivilegeChange::set(PrivilegeSet::admin()))
///     .unwrap_err();
/// assert_eq!(err.to_string(), "user bob lacks group_set_privileges in group org");
/// dir.change_child_privileges(&alice, &org, &team, PrivilegeChange::revoke(PrivilegeSet::manager()))?;
/// assert_eq!(dir.effective_privileges(&bob, &org), PrivilegeSet::EMPTY);
/// assert!(dir.is_effective_member(&bob, &org));
///
/// // No cycles.
/// assert!(matches!(
///     dir.add_child(&team, &org, PrivilegeSet::member()),
///     Err(DirectoryError::WouldCreateCycle { .. })
/// ));
///
/// let json = serde_json::to_string(&dir)?;
/// let back: Directory = serde_json::from_str(&json)?;
/// assert_eq!(back.effective_privileges(&alice, &org), PrivilegeSet::admin());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Directory {
    limits: DirectoryLimits,
    group_index: IdIndex,
    groups: Vec<GroupNode>,
    user_index: IdIndex,
    /// (group, user) → effective privileges, for every effective membership.
    access: Access,
    /// Interned users; `None` marks a free slot (listed in `free_users`).
    users: Vec<Option<UserNode>>,
    free_users: Vec<u32>,
}

impl Default for Directory {
    fn default() -> Self {
        Directory::new()
    }
}

impl fmt::Debug for Directory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Directory")
            .field("groups", &self.groups.len())
            .field("users", &self.user_index.len())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// The most groups, or users, a directory can index, whatever its limits: 2^26 - 1
/// (67 108 863).
pub const MAX_INDEXED: usize = (1 << INDEX_BITS) - 1;

/// The index of a `usize` position, if below [`MAX_INDEXED`].
fn to_index(position: usize) -> Option<u32> {
    u32::try_from(position).ok().filter(|&i| (i as usize) < MAX_INDEXED)
}

impl Directory {
    /// An empty directory with the default [`DirectoryLimits`].
    pub fn new() -> Self {
        Directory::with_limits(DirectoryLimits::default())
    }

    /// An empty directory with these limits.
    pub fn with_limits(limits: DirectoryLimits) -> Self {
        Directory {
            limits,
            group_index: IdIndex::default(),
            groups: Vec::new(),
            user_index: IdIndex::default(),
            access: Access::default(),
            users: Vec::new(),
            free_users: Vec::new(),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &DirectoryLimits {
        &self.limits
    }

    /// The number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there is no group.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The number of users with at least one direct membership.
    pub fn user_count(&self) -> usize {
        self.user_index.len()
    }

    /// Every group, in the order they were created (or read).
    pub fn groups(&self) -> impl ExactSizeIterator<Item = &Group> + '_ {
        self.groups.iter().map(|node| &node.group)
    }

    // ----- internal lookups -----

    fn group_idx(&self, id: &GroupId) -> Option<u32> {
        self.group_index.get(id.as_str())
    }

    fn user_idx(&self, id: &UserId) -> Option<u32> {
        self.user_index.get(id.as_str())
    }

    fn node(&self, g: u32) -> Option<&GroupNode> {
        self.groups.get(g as usize)
    }

    fn user_node(&self, u: u32) -> Option<&UserNode> {
        self.users.get(u as usize).and_then(Option::as_ref)
    }

    fn user_id(&self, u: u32) -> Option<&UserId> {
        self.user_node(u).map(|node| &node.id)
    }

    fn group_id(&self, g: u32) -> Option<&GroupId> {
        self.node(g).map(|node| &node.group.id)
    }

    fn require(&self, id: &GroupId) -> Result<u32, DirectoryError> {
        self.group_idx(id).ok_or_else(|| DirectoryError::NoSuchGroup(id.clone()))
    }

    fn effective(&self, user: &UserId, group: &GroupId) -> Option<PrivilegeSet> {
        let g = self.group_idx(group)?;
        let u = self.user_idx(user)?;
        self.access.get(g, u)
    }

    // ----- queries -----

    /// The group with this id.
    pub fn group(&self, id: &GroupId) -> Option<&Group> {
        self.group_idx(id).and_then(|g| self.node(g)).map(|node| &node.group)
    }

    /// Whether `user` is a direct member of `group` (false if the group does not exist).
    pub fn is_direct_member(&self, user: &UserId, group: &GroupId) -> bool {
        self.direct_privileges(user, group).is_some()
    }

    /// Whether `user` is an effective member of `group`: a direct member, or an effective member
    /// of one of its children (false if the group does not exist).
    pub fn is_effective_member(&self, user: &UserId, group: &GroupId) -> bool {
        self.effective(user, group).is_some()
    }

    /// The direct privileges of `user` in `group`, or `None` if it is not a direct member.
    pub fn direct_privileges(&self, user: &UserId, group: &GroupId) -> Option<PrivilegeSet> {
        let g = self.group_idx(group)?;
        let u = self.user_idx(user)?;
        self.node(g)?.members.get(&u).copied()
    }

    /// The effective privileges of `user` in `group`: its direct privileges there united with
    /// the privileges that each child of `group` of which the user is an effective member holds
    /// in `group`. Empty if the user is no effective member (or the group does not exist); an
    /// effective member may also have none.
    pub fn effective_privileges(&self, user: &UserId, group: &GroupId) -> PrivilegeSet {
        self.effective(user, group).unwrap_or(PrivilegeSet::EMPTY)
    }

    fn sorted_users(
        &self,
        users: impl Iterator<Item = (u32, PrivilegeSet)>,
    ) -> Vec<(&UserId, PrivilegeSet)> {
        let mut list: Vec<_> = users.filter_map(|(u, p)| Some((self.user_id(u)?, p))).collect();
        list.sort_unstable_by(|a, b| a.0.cmp(b.0));
        list
    }

    /// The direct members of `group` with their direct privileges, sorted by user id; `None` if
    /// the group does not exist.
    pub fn members(&self, group: &GroupId) -> Option<Vec<(&UserId, PrivilegeSet)>> {
        let node = self.node(self.group_idx(group)?)?;
        Some(self.sorted_users(node.members.iter().map(|(&u, &p)| (u, p))))
    }

    /// The effective members of `group` with their effective privileges, sorted by user id;
    /// `None` if the group does not exist.
    pub fn effective_members(&self, group: &GroupId) -> Option<Vec<(&UserId, PrivilegeSet)>> {
        let g = self.group_idx(group)?;
        let node = self.node(g)?;
        let privileges = |u: u32| self.access.get(g, u).unwrap_or_default();
        Some(self.sorted_users(node.effective.iter().map(|&u| (u, privileges(u)))))
    }

    /// The children of `group` with the privileges each holds in it, sorted by id; `None` if the
    /// group does not exist.
    pub fn children(&self, group: &GroupId) -> Option<Vec<(&GroupId, PrivilegeSet)>> {
        let node = self.node(self.group_idx(group)?)?;
        let mut list: Vec<_> =
            node.children.iter().filter_map(|(&c, &p)| Some((self.group_id(c)?, p))).collect();
        list.sort_unstable_by(|a, b| a.0.cmp(b.0));
        Some(list)
    }

    /// The groups of which `group` is a child, sorted by id; `None` if the group does not exist.
    pub fn parents(&self, group: &GroupId) -> Option<Vec<&GroupId>> {
        let node = self.node(self.group_idx(group)?)?;
        let mut list: Vec<_> = node.parents.iter().filter_map(|&p| self.group_id(p)).collect();
        list.sort_unstable();
        Some(list)
    }

    /// The privileges `child` holds in `parent`, or `None` if it is not its child.
    pub fn child_privileges(&self, child: &GroupId, parent: &GroupId) -> Option<PrivilegeSet> {
        let c = self.group_idx(child)?;
        self.node(self.group_idx(parent)?)?.children.get(&c).copied()
    }

    // ----- operations -----

    /// Creates a group; `creator` becomes its direct member with all privileges
    /// ([`PrivilegeSet::admin`]).
    ///
    /// Refused if the id is taken ([`DirectoryError::GroupExists`]), the name is blank, longer
    /// than [`MAX_NAME_LEN`](super::MAX_NAME_LEN) bytes or holds a control character
    /// ([`DirectoryError::InvalidName`]), or a limit would be exceeded.
    pub fn create_group(
        &mut self,
        creator: &UserId,
        id: GroupId,
        name: impl Into<String>,
        group_type: GroupType,
    ) -> Result<(), DirectoryError> {
        let name = name.into();
        if let Some(problem) = name_problem(&name) {
            return Err(DirectoryError::InvalidName { group: id, problem });
        }
        if self.group_index.contains(id.as_str()) {
            return Err(DirectoryError::GroupExists(id));
        }
        let g = match to_index(self.groups.len()) {
            Some(g) if self.groups.len() < self.limits.group_cap() => g,
            _ => {
                return Err(DirectoryError::TooManyGroups {
                    group: id,
                    max: self.limits.group_cap(),
                });
            }
        };
        if self.limits.max_members_per_group == 0 {
            return Err(DirectoryError::TooManyMembers {
                group: id,
                user: creator.clone(),
                max: 0,
            });
        }
        let u = self.intern_user(creator)?;
        self.group_index.insert(id.as_str(), g);
        let mut node = GroupNode::new(Group { id, name, group_type });
        node.members.insert(u, PrivilegeSet::admin());
        node.effective.insert(u);
        self.access.set(g, u, Some(PrivilegeSet::admin()));
        self.groups.push(node);
        if let Some(Some(user)) = self.users.get_mut(u as usize) {
            user.direct += 1;
            user.groups.insert(g);
        }
        Ok(())
    }

    /// Makes `user` a direct member of `group` with `privileges`. No actor is checked: this is
    /// the raw operation behind joining with an invite token.
    ///
    /// Refused if the group does not exist, the user is already a direct member, or a limit
    /// would be exceeded.
    pub fn add_user(
        &mut self,
        group: &GroupId,
        user: &UserId,
        privileges: PrivilegeSet,
    ) -> Result<(), DirectoryError> {
        let g = self.require(group)?;
        let node = self.node(g).ok_or_else(|| DirectoryError::NoSuchGroup(group.clone()))?;
        if self.user_idx(user).is_some_and(|u| node.members.contains_key(&u)) {
            return Err(DirectoryError::AlreadyMember { user: user.clone(), group: group.clone() });
        }
        if node.members.len() >= self.limits.max_members_per_group {
            return Err(DirectoryError::TooManyMembers {
                group: group.clone(),
                user: user.clone(),
                max: self.limits.max_members_per_group,
            });
        }
        let u = self.intern_user(user)?;
        if let Some(node) = self.groups.get_mut(g as usize) {
            node.members.insert(u, privileges);
        }
        if let Some(Some(user)) = self.users.get_mut(u as usize) {
            user.direct += 1;
        }
        let order = self.up_closure(g);
        self.refresh(&[u], &order);
        Ok(())
    }

    /// Removes `user`'s direct membership of `group` and returns the direct privileges it had.
    /// No actor is checked (see [`Directory::remove_user_as`]).
    ///
    /// Refused if the group does not exist or the user is not a direct member. The user stays
    /// an effective member if it is one through a child.
    pub fn remove_user(
        &mut self,
        group: &GroupId,
        user: &UserId,
    ) -> Result<PrivilegeSet, DirectoryError> {
        let g = self.require(group)?;
        let not_a_member =
            || DirectoryError::NotAMember { user: user.clone(), group: group.clone() };
        let u = self.user_idx(user).ok_or_else(not_a_member)?;
        let old = self
            .groups
            .get_mut(g as usize)
            .and_then(|node| node.members.remove(&u))
            .ok_or_else(not_a_member)?;
        let order = self.up_closure(g);
        self.refresh(&[u], &order);
        self.release_user(u);
        Ok(old)
    }

    /// [`Directory::remove_user`] on behalf of `actor`, who needs `group_remove_user` among its
    /// effective privileges in `group`.
    pub fn remove_user_as(
        &mut self,
        actor: &UserId,
        group: &GroupId,
        user: &UserId,
    ) -> Result<PrivilegeSet, DirectoryError> {
        let g = self.require(group)?;
        self.authorize(actor, g, group, Privilege::GroupRemoveUser)?;
        self.remove_user(group, user)
    }

    /// Makes `child` a child of `parent`, holding `privileges` there: the effective members of
    /// `child` become effective members of `parent` (and of its ancestors) with those
    /// privileges. No actor is checked: this is the raw operation behind a group joining another
    /// with an invite token.
    ///
    /// Refused if a group does not exist, `child` is `parent` or one of its ancestors
    /// ([`DirectoryError::WouldCreateCycle`]), it is already a child, or a limit (children,
    /// depth) would be exceeded.
    pub fn add_child(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        privileges: PrivilegeSet,
    ) -> Result<(), DirectoryError> {
        let p = self.require(parent)?;
        let c = self.require(child)?;
        let parent_node =
            self.node(p).ok_or_else(|| DirectoryError::NoSuchGroup(parent.clone()))?;
        if parent_node.children.contains_key(&c) {
            return Err(DirectoryError::AlreadyChild {
                child: child.clone(),
                parent: parent.clone(),
            });
        }
        // A self-link is never a child already; `shape` finds it closes a cycle (`p` is in `order`).
        // Refusals come in this order: a cycle, too many children, too deep.
        let order = self.up_closure(p);
        let shape = self.shape(p, c, &order);
        if !shape.closes_cycle && parent_node.children.len() >= self.limits.max_children_per_group {
            return Err(DirectoryError::TooManyChildren {
                parent: parent.clone(),
                child: child.clone(),
                max: self.limits.max_children_per_group,
            });
        }
        shape.check(parent, child, &self.limits)?;
        let child_height = self.node(c).map_or(0, |node| node.height);

        if let Some(node) = self.groups.get_mut(p as usize) {
            node.children.insert(c, privileges);
            node.height = node.height.max(child_height + 1);
        }
        if let Some(node) = self.groups.get_mut(c as usize) {
            node.parents.insert(p);
        }
        // Heights only grow: push them up, children before parents.
        for &x in &order {
            let Some(node) = self.node(x) else { continue };
            let (height, parents): (usize, Vec<u32>) =
                (node.height, node.parents.iter().copied().collect());
            for q in parents {
                if let Some(up) = self.groups.get_mut(q as usize) {
                    up.height = up.height.max(height + 1);
                }
            }
        }
        let users = self.effective_user_list(c);
        self.refresh(&users, &order);
        Ok(())
    }

    /// What a new link `parent` → `child` would do to the graph (see [`LinkShape`]); `None` if
    /// a group does not exist. [`LinkShape::check`] on it refuses what [`Directory::add_child`]
    /// refuses for the graph's shape.
    pub fn link_shape(&self, parent: &GroupId, child: &GroupId) -> Option<LinkShape> {
        let (p, c) = (self.group_idx(parent)?, self.group_idx(child)?);
        Some(self.shape(p, c, &self.up_closure(p)))
    }

    /// The shape of a new link `p` → `c`, given `order`, the up-closure of `p`.
    fn shape(&self, p: u32, c: u32, order: &[u32]) -> LinkShape {
        // The longest chain of links above each group of `order`: parents come after children
        // in `order`, so walk it backwards.
        let mut above: Map<u32, usize> = Map::default();
        for &x in order.iter().rev() {
            if x == c {
                return LinkShape::new(true, 0);
            }
            let depth = self.node(x).map_or(0, |node| {
                node.parents.iter().filter_map(|q| above.get(q)).map(|d| d + 1).max().unwrap_or(0)
            });
            above.insert(x, depth);
        }
        let child_height = self.node(c).map_or(0, |node| node.height);
        LinkShape::new(false, above.get(&p).copied().unwrap_or(0) + 1 + child_height)
    }

    /// Unlinks `child` from `parent` and returns the privileges it held there. No actor is
    /// checked (see [`Directory::remove_child_as`]).
    ///
    /// Refused if a group does not exist or `child` is not a child of `parent`.
    pub fn remove_child(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
    ) -> Result<PrivilegeSet, DirectoryError> {
        let p = self.require(parent)?;
        let c = self.require(child)?;
        let old =
            self.groups.get_mut(p as usize).and_then(|node| node.children.remove(&c)).ok_or_else(
                || DirectoryError::NotAChild { child: child.clone(), parent: parent.clone() },
            )?;
        if let Some(node) = self.groups.get_mut(c as usize) {
            node.parents.remove(&p);
        }
        let order = self.up_closure(p);
        // Heights may shrink: recompute them, children before parents.
        for &x in &order {
            let height = self.node(x).map_or(0, |node| {
                node.children
                    .keys()
                    .filter_map(|&k| self.node(k))
                    .map(|child| child.height + 1)
                    .max()
                    .unwrap_or(0)
            });
            if let Some(node) = self.groups.get_mut(x as usize) {
                node.height = height;
            }
        }
        let users = self.effective_user_list(c);
        self.refresh(&users, &order);
        Ok(old)
    }

    /// [`Directory::remove_child`] on behalf of `actor`, who needs `group_remove_group` among
    /// its effective privileges in `parent`.
    pub fn remove_child_as(
        &mut self,
        actor: &UserId,
        parent: &GroupId,
        child: &GroupId,
    ) -> Result<PrivilegeSet, DirectoryError> {
        let p = self.require(parent)?;
        self.authorize(actor, p, parent, Privilege::GroupRemoveGroup)?;
        self.remove_child(parent, child)
    }

    /// Changes the direct privileges of `user` in `group` on behalf of `actor`, who needs
    /// `group_set_privileges` among its effective privileges in `group`. Returns the user's new
    /// direct privileges.
    ///
    /// Refused if the group does not exist, the actor lacks the privilege, or `user` is not a
    /// direct member (checked in that order).
    pub fn change_user_privileges(
        &mut self,
        actor: &UserId,
        group: &GroupId,
        user: &UserId,
        change: PrivilegeChange,
    ) -> Result<PrivilegeSet, DirectoryError> {
        let g = self.require(group)?;
        self.authorize(actor, g, group, Privilege::GroupSetPrivileges)?;
        let not_a_member =
            || DirectoryError::NotAMember { user: user.clone(), group: group.clone() };
        let u = self.user_idx(user).ok_or_else(not_a_member)?;
        let old =
            self.node(g).and_then(|node| node.members.get(&u).copied()).ok_or_else(not_a_member)?;
        let new = change.apply(old);
        if new != old {
            if let Some(node) = self.groups.get_mut(g as usize) {
                node.members.insert(u, new);
            }
            let order = self.up_closure(g);
            self.refresh(&[u], &order);
        }
        Ok(new)
    }

    /// Changes the privileges `child` holds in `parent` on behalf of `actor`, who needs
    /// `group_set_privileges` among its effective privileges in `parent`. Returns the child's
    /// new privileges there.
    ///
    /// Refused if a group does not exist, the actor lacks the privilege, or `child` is not a
    /// child of `parent`.
    pub fn change_child_privileges(
        &mut self,
        actor: &UserId,
        parent: &GroupId,
        child: &GroupId,
        change: PrivilegeChange,
    ) -> Result<PrivilegeSet, DirectoryError> {
        let p = self.require(parent)?;
        self.authorize(actor, p, parent, Privilege::GroupSetPrivileges)?;
        let c = self.require(child)?;
        let old =
            self.node(p).and_then(|node| node.children.get(&c).copied()).ok_or_else(|| {
                DirectoryError::NotAChild { child: child.clone(), parent: parent.clone() }
            })?;
        let new = change.apply(old);
        if new != old {
            if let Some(node) = self.groups.get_mut(p as usize) {
                node.children.insert(c, new);
            }
            let order = self.up_closure(p);
            let users = self.effective_user_list(c);
            self.refresh(&users, &order);
        }
        Ok(new)
    }

    // ----- index maintenance -----

    /// Refuses unless `actor` holds `privilege` among its effective privileges in group `g`.
    fn authorize(
        &self,
        actor: &UserId,
        g: u32,
        group: &GroupId,
        privilege: Privilege,
    ) -> Result<(), DirectoryError> {
        let held =
            self.user_idx(actor).and_then(|u| self.access.get(g, u)).unwrap_or(PrivilegeSet::EMPTY);
        if held.contains(privilege) {
            Ok(())
        } else {
            Err(DirectoryError::MissingPrivilege {
                actor: actor.clone(),
                group: group.clone(),
                privilege,
            })
        }
    }

    /// The index of `id`, interning it if new. Fails (changing nothing) only on the user limit.
    fn intern_user(&mut self, id: &UserId) -> Result<u32, DirectoryError> {
        if let Some(u) = self.user_idx(id) {
            return Ok(u);
        }
        let too_many =
            || DirectoryError::TooManyUsers { user: id.clone(), max: self.limits.user_cap() };
        if self.user_index.len() >= self.limits.user_cap() {
            return Err(too_many());
        }
        let node = UserNode { id: id.clone(), direct: 0, groups: Set::default() };
        let u = match self.free_users.pop() {
            Some(u) => u,
            None => to_index(self.users.len()).ok_or_else(too_many)?,
        };
        match self.users.get_mut(u as usize) {
            Some(slot) => *slot = Some(node),
            None => self.users.push(Some(node)),
        }
        self.user_index.insert(id.as_str(), u);
        Ok(u)
    }

    /// Frees user `u`'s slot once it has no direct membership left (and so no effective one).
    fn release_user(&mut self, u: u32) {
        let Some(slot) = self.users.get_mut(u as usize) else { return };
        let Some(node) = slot.as_mut() else { return };
        node.direct = node.direct.saturating_sub(1);
        if node.direct == 0 {
            debug_assert!(node.groups.is_empty());
            if let Some(node) = slot.take() {
                self.user_index.remove(node.id.as_str());
                self.free_users.push(u);
            }
        }
    }

    fn effective_user_list(&self, g: u32) -> Vec<u32> {
        self.node(g).map(|node| node.effective.iter().copied().collect()).unwrap_or_default()
    }

    /// `origin` and all its ancestors, each before all of its own ancestors (`origin` first).
    fn up_closure(&self, origin: u32) -> Vec<u32> {
        // The common case, a tree: follow the single parents.
        let mut chain = vec![origin];
        let mut at = origin;
        loop {
            let Some(node) = self.node(at) else { return chain };
            match node.parents.len() {
                0 => return chain,
                1 => match node.parents.iter().next() {
                    Some(&p) => {
                        chain.push(p);
                        at = p;
                    }
                    None => return chain,
                },
                _ => break,
            }
        }
        // A group with several parents: reverse post-order of a depth-first walk up.
        let mut visited: Set<u32> = Set::default();
        let mut post = Vec::new();
        let mut stack = vec![(origin, false)];
        while let Some((x, expanded)) = stack.pop() {
            if expanded {
                post.push(x);
                continue;
            }
            if !visited.insert(x) {
                continue;
            }
            stack.push((x, true));
            if let Some(node) = self.node(x) {
                stack.extend(
                    node.parents.iter().filter(|p| !visited.contains(*p)).map(|&p| (p, false)),
                );
            }
        }
        post.reverse();
        post
    }

    /// Recomputes the effective entries of each of `users` in the groups of `order` (a group,
    /// then its ancestors, each before its own ancestors) from the definition, given that the
    /// entries of every other group are right. Only the first group of `order` and the parents
    /// of groups whose entry changed are looked at.
    fn refresh(&mut self, users: &[u32], order: &[u32]) {
        let Some(&origin) = order.first() else { return };
        let mut dirty: Set<u32> = Set::default();
        for &u in users {
            dirty.clear();
            dirty.insert(origin);
            for &a in order {
                if !dirty.contains(&a) {
                    continue;
                }
                let (Some(node), Some(user)) = (self.node(a), self.user_node(u)) else { continue };
                let mut member = false;
                let mut privileges = PrivilegeSet::EMPTY;
                if let Some(&direct) = node.members.get(&u) {
                    member = true;
                    privileges |= direct;
                }
                // The children of `a` of which `u` is an effective member: walk the smaller side.
                if node.children.len() <= user.groups.len() {
                    for (c, &held) in &node.children {
                        if user.groups.contains(c) {
                            member = true;
                            privileges |= held;
                        }
                    }
                } else {
                    for g in &user.groups {
                        if let Some(&held) = node.children.get(g) {
                            member = true;
                            privileges |= held;
                        }
                    }
                }
                let new = member.then_some(privileges);
                if self.access.get(a, u) == new {
                    continue;
                }
                dirty.extend(node.parents.iter().copied());
                self.access.set(a, u, new);
                if let Some(node) = self.groups.get_mut(a as usize) {
                    match new {
                        Some(_) => node.effective.insert(u),
                        None => node.effective.remove(&u),
                    };
                }
                if let Some(Some(user)) = self.users.get_mut(u as usize) {
                    match new {
                        Some(_) => user.groups.insert(a),
                        None => user.groups.remove(&a),
                    };
                }
            }
        }
    }

    // ----- persistence -----

    /// Reads a directory serialized by its `Serialize` implementation, checking it against
    /// `limits` (the `Deserialize` implementation uses the default ones).
    ///
    /// ```
    /// use onezone_tokens::group::{Directory, DirectoryLimits};
    /// let json = r#"{"groups": [{"groupId": "a", "name": "A"}, {"groupId": "b", "name": "B"}],
    ///     "members": [], "children": [{"parentId": "a", "childId": "b", "privileges": []}]}"#;
    /// let flat = DirectoryLimits::default().with_max_depth(0);
    /// let mut de = serde_json::Deserializer::from_str(json);
    /// let err = Directory::deserialize_with_limits(&mut de, flat).unwrap_err();
    /// assert!(err.to_string().contains("nest groups 1 levels deep"));
    /// ```
    pub fn deserialize_with_limits<'de, D: Deserializer<'de>>(
        deserializer: D,
        limits: DirectoryLimits,
    ) -> Result<Self, D::Error> {
        let snapshot = Snapshot::deserialize(deserializer)?;
        Directory::from_snapshot(snapshot, limits)
            .map_err(|e| de::Error::custom(format_args!("invalid group directory: {e}")))
    }

    fn from_snapshot(snapshot: Snapshot, limits: DirectoryLimits) -> Result<Self, DirectoryError> {
        let mut dir = Directory::with_limits(limits);
        for group in snapshot.groups {
            if let Some(problem) = name_problem(&group.name) {
                return Err(DirectoryError::InvalidName { group: group.id, problem });
            }
            if dir.group_index.contains(group.id.as_str()) {
                return Err(DirectoryError::GroupExists(group.id));
            }
            let g = match to_index(dir.groups.len()) {
                Some(g) if dir.groups.len() < limits.group_cap() => g,
                _ => {
                    return Err(DirectoryError::TooManyGroups {
                        group: group.id,
                        max: limits.group_cap(),
                    });
                }
            };
            dir.group_index.insert(group.id.as_str(), g);
            dir.groups.push(GroupNode::new(group));
        }
        for link in snapshot.children {
            let p = dir.require(&link.parent)?;
            let c = dir.require(&link.child)?;
            if p == c {
                return Err(DirectoryError::WouldCreateCycle {
                    parent: link.parent,
                    child: link.child,
                });
            }
            let Some(node) = dir.groups.get_mut(p as usize) else { continue };
            if node.children.contains_key(&c) {
                return Err(DirectoryError::AlreadyChild {
                    child: link.child,
                    parent: link.parent,
                });
            }
            if node.children.len() >= limits.max_children_per_group {
                return Err(DirectoryError::TooManyChildren {
                    parent: link.parent,
                    child: link.child,
                    max: limits.max_children_per_group,
                });
            }
            node.children.insert(c, link.privileges);
            if let Some(node) = dir.groups.get_mut(c as usize) {
                node.parents.insert(p);
            }
        }
        let order = dir.children_first()?;
        for &x in &order {
            let Some(node) = dir.node(x) else { continue };
            let deepest = node
                .children
                .keys()
                .filter_map(|&c| Some((c, dir.node(c)?.height + 1)))
                .max_by_key(|&(c, h)| (h, core::cmp::Reverse(c)));
            let height = deepest.map_or(0, |(_, h)| h);
            if let Some((c, h)) = deepest.filter(|&(_, h)| h > limits.max_depth) {
                return Err(DirectoryError::TooDeep {
                    parent: node.group.id.clone(),
                    child: dir.group_id(c).cloned().unwrap_or_else(|| node.group.id.clone()),
                    depth: h,
                    max: limits.max_depth,
                });
            }
            if let Some(node) = dir.groups.get_mut(x as usize) {
                node.height = height;
            }
        }
        for member in snapshot.members {
            let g = dir.require(&member.group)?;
            let Some(node) = dir.node(g) else { continue };
            if dir.user_idx(&member.user).is_some_and(|u| node.members.contains_key(&u)) {
                return Err(DirectoryError::AlreadyMember {
                    user: member.user,
                    group: member.group,
                });
            }
            if node.members.len() >= limits.max_members_per_group {
                return Err(DirectoryError::TooManyMembers {
                    group: member.group,
                    user: member.user,
                    max: limits.max_members_per_group,
                });
            }
            let u = dir.intern_user(&member.user)?;
            if let Some(node) = dir.groups.get_mut(g as usize) {
                node.members.insert(u, member.privileges);
            }
            if let Some(Some(user)) = dir.users.get_mut(u as usize) {
                user.direct += 1;
            }
        }
        // The index, children first: a group's effective members are its direct members and
        // the effective members of its children.
        for &x in &order {
            let Some(node) = dir.node(x) else { continue };
            let mut effective = node.members.clone();
            for (&c, &held) in &node.children {
                let Some(child) = dir.node(c) else { continue };
                for &u in &child.effective {
                    *effective.entry(u).or_default() |= held;
                }
            }
            let mut members = Set::default();
            members.reserve(effective.len());
            for (u, privileges) in effective {
                if let Some(Some(user)) = dir.users.get_mut(u as usize) {
                    user.groups.insert(x);
                }
                dir.access.set(x, u, Some(privileges));
                members.insert(u);
            }
            if let Some(node) = dir.groups.get_mut(x as usize) {
                node.effective = members;
            }
        }
        Ok(dir)
    }

    /// Every group, each after all of its children; refused if the links form a cycle.
    fn children_first(&self) -> Result<Vec<u32>, DirectoryError> {
        let mut pending: Vec<usize> = self.groups.iter().map(|node| node.children.len()).collect();
        let mut ready: Vec<u32> = (0..self.groups.len())
            .filter(|&i| pending.get(i) == Some(&0))
            .filter_map(to_index)
            .collect();
        let mut order = Vec::with_capacity(self.groups.len());
        while let Some(x) = ready.pop() {
            order.push(x);
            let Some(node) = self.node(x) else { continue };
            for &p in &node.parents {
                if let Some(count) = pending.get_mut(p as usize) {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        ready.push(p);
                    }
                }
            }
        }
        // Every group left has a child left: follow such children until one repeats.
        let left = |g: &u32| pending.get(*g as usize).is_some_and(|&n| n > 0);
        let Some(first) = self
            .groups
            .iter()
            .find(|node| self.group_idx(&node.group.id).is_some_and(|g| left(&g)))
        else {
            return Ok(order);
        };
        let mut at = self.group_idx(&first.group.id);
        let mut seen: Set<u32> = Set::default();
        while let Some(x) = at {
            if !seen.insert(x) {
                break;
            }
            at = self.node(x).and_then(|node| node.children.keys().copied().filter(left).min());
        }
        let group = at.and_then(|g| self.group_id(g)).unwrap_or(&first.group.id);
        Err(DirectoryError::Cycle { group: group.clone() })
    }
}

/// The serialized form of a [`Directory`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Snapshot {
    groups: Vec<Group>,
    members: Vec<Membership>,
    children: Vec<Link>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Membership {
    #[serde(rename = "groupId")]
    group: GroupId,
    #[serde(rename = "userId")]
    user: UserId,
    privileges: PrivilegeSet,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Link {
    #[serde(rename = "parentId")]
    parent: GroupId,
    #[serde(rename = "childId")]
    child: GroupId,
    privileges: PrivilegeSet,
}

#[derive(Serialize)]
struct SnapshotRef<'a> {
    groups: Vec<&'a Group>,
    members: Vec<MembershipRef<'a>>,
    children: Vec<LinkRef<'a>>,
}

#[derive(Serialize)]
struct MembershipRef<'a> {
    #[serde(rename = "groupId")]
    group: &'a GroupId,
    #[serde(rename = "userId")]
    user: &'a UserId,
    privileges: PrivilegeSet,
}

#[derive(Serialize)]
struct LinkRef<'a> {
    #[serde(rename = "parentId")]
    parent: &'a GroupId,
    #[serde(rename = "childId")]
    child: &'a GroupId,
    privileges: PrivilegeSet,
}

impl Serialize for Directory {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut groups: Vec<&Group> = self.groups().collect();
        groups.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        let mut members = Vec::new();
        let mut children = Vec::new();
        for node in &self.groups {
            let group = &node.group.id;
            for (&u, &privileges) in &node.members {
                if let Some(user) = self.user_id(u) {
                    members.push(MembershipRef { group, user, privileges });
                }
            }
            for (&c, &privileges) in &node.children {
                if let Some(child) = self.group_id(c) {
                    children.push(LinkRef { parent: group, child, privileges });
                }
            }
        }
        members.sort_unstable_by(|a, b| (a.group, a.user).cmp(&(b.group, b.user)));
        children.sort_unstable_by(|a, b| (a.parent, a.child).cmp(&(b.parent, b.child)));
        SnapshotRef { groups, members, children }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Directory {
    /// Reads a directory with the default [`DirectoryLimits`], re-checking every invariant.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Directory::deserialize_with_limits(deserializer, DirectoryLimits::default())
    }
}
