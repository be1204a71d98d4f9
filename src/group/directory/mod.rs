//! The directory: groups, memberships, nesting, and the index of effective privileges. One file
//! per concern: the types and internal lookups here, the queries (`query.rs`), the operations
//! (`ops.rs`), the upkeep of the index (`upkeep.rs`) and persistence (`persist.rs`).
//!
//! # Index
//!
//! Group and user ids are interned to dense `u32` indices (string → index through hash tables).
//! One table holds the effective privileges of every (group, user) pair of effective
//! membership, each entry packed in 12 bytes (group and user indices, 26 bits each, and the
//! privileges, 29 bits). A query is therefore two string lookups (which the processor overlaps)
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

mod ops;
mod persist;
mod query;
mod upkeep;
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
}
