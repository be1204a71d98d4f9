//! Onezone's group rules over rows a database returns, for servers that keep groups in their own
//! storage instead of a [`Directory`](super::Directory).
//!
//! Two questions need more than one row: a user's effective privileges in a group
//! ([`effective_privileges_from_rows`]), and whether a new parent → child link closes a cycle or
//! nests too deep ([`LinkShape::from_rows`]). Each takes what one recursive query returns, and
//! answers exactly as [`Directory`](super::Directory) does (a differential property test in
//! `tests/rows.rs` holds both to that). Rows that cannot come from a consistent store (a cycle,
//! a duplicate, another user's membership) are refused with a [`RowsError`], never answered.
//!
//! # The queries
//!
//! [`EFFECTIVE_PRIVILEGES_SQL`] and [`LINK_SHAPE_SQL`] fetch those rows in one recursive query
//! each, bounded by the depth limit, from two tables:
//!
//! ```sql
//! group_users    (group_id, user_id,  privileges)  -- PRIMARY KEY (group_id, user_id)
//! group_children (parent_id, child_id, privileges) -- PRIMARY KEY (parent_id, child_id), INDEX (child_id)
//! ```
//!
//! Give `group_users` no index on `user_id` alone: the query reaches the user's rows through the
//! primary key from the group's subgraph, and with such an index PostgreSQL's planner reads all of
//! the user's memberships instead (measured: 2.9 ms against 0.23 ms for a user in 1,000 groups).
//!
//! `privileges` is [`PrivilegeSet::bits`] as an integer. The queries are plain SQL that SQLite and
//! PostgreSQL both run, with positional parameters `$1`, `$2` (text) and `$3` (a `BIGINT`: bind
//! an `i64`, e.g. [`storage::bound`](crate::storage::bound) of the depth limit); `privileges` is
//! read as a `BIGINT` (`i64`) on both. (SQLite numbers `$N` by first appearance, so each query
//! names them first in that order.) They belong to the storage contract, [`crate::storage`],
//! with the schema they run on; `examples/sqlite_embedding/` runs both against SQLite, and
//! `tests/rows.rs` holds them to [`Directory`](super::Directory) on random nested graphs.
//!
//! The member and child caps of [`DirectoryLimits`] hold over rows too:
//! [`DirectoryLimits::check_member_count`] and [`DirectoryLimits::check_child_count`] refuse as
//! the directory does, given the bounded counts of
//! [`MEMBER_COUNT`](crate::storage::MEMBER_COUNT) and [`CHILD_COUNT`](crate::storage::CHILD_COUNT).

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use super::directory::DirectoryLimits;
use super::error::DirectoryError;
use super::model::{GroupId, UserId};
use super::privilege::PrivilegeSet;

macro_rules! effective_privileges_sql {
    () => {
        "WITH RECURSIVE question(user_id, group_id, max_depth) AS (
    SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS BIGINT)
), down(group_id, depth) AS (
    SELECT group_id, 0 FROM question
  UNION
    SELECT c.child_id, down.depth + 1
    FROM group_children c JOIN down ON c.parent_id = down.group_id
    JOIN question ON down.depth < question.max_depth
)
SELECT m.group_id AS child_id, NULL AS parent_id, CAST(m.privileges AS BIGINT) AS privileges
FROM group_users m JOIN question ON m.user_id = question.user_id
WHERE m.group_id IN (SELECT group_id FROM down)
UNION ALL
SELECT child_id, parent_id, CAST(privileges AS BIGINT) AS privileges
FROM group_children WHERE parent_id IN (SELECT group_id FROM down)"
    };
}

macro_rules! link_shape_sql {
    () => {
        "WITH RECURSIVE link(parent_id, child_id, max_depth) AS (
    SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS BIGINT)
), up(group_id, depth) AS (
    SELECT parent_id, 0 FROM link
  UNION
    SELECT c.parent_id, up.depth + 1
    FROM group_children c JOIN up ON c.child_id = up.group_id JOIN link ON up.depth < link.max_depth
), down(group_id, depth) AS (
    SELECT child_id, 0 FROM link
  UNION
    SELECT c.child_id, down.depth + 1
    FROM group_children c JOIN down ON c.parent_id = down.group_id JOIN link ON down.depth < link.max_depth
)
SELECT child_id, parent_id, CAST(privileges AS BIGINT) AS privileges
FROM group_children WHERE child_id IN (SELECT group_id FROM up)
UNION
SELECT child_id, parent_id, CAST(privileges AS BIGINT) AS privileges
FROM group_children WHERE parent_id IN (SELECT group_id FROM down)"
    };
}

/// The rows of [`effective_privileges_from_rows`] for one (user, group) question, in one
/// recursive query: `$1` the user id, `$2` the group id, `$3` the depth limit
/// ([`DirectoryLimits::max_depth`]). It walks down from the group: every path from one of the
/// user's memberships up to the group runs through the group's subgraph, so the rows are the
/// user's memberships in the group and the groups below it, and the links below it. Each row is
/// `(child_id, parent_id, privileges)`: with `parent_id` NULL, a direct membership of the user in
/// `child_id` (a [`MembershipRow`]); otherwise a link (a [`ChildRow`]). The work is bounded by
/// the size of the group's subgraph, whatever the size of the database and however many groups
/// the user belongs to.
///
#[doc = concat!("```sql\n", effective_privileges_sql!(), "\n```")]
pub const EFFECTIVE_PRIVILEGES_SQL: &str = effective_privileges_sql!();

/// The rows of [`LinkShape::from_rows`] for a new link, in one recursive query: `$1` the parent
/// id, `$2` the child id, `$3` the depth limit. Each row is `(child_id, parent_id, privileges)`,
/// a [`ChildRow`]: every link on a path up from the parent or down from the child.
///
#[doc = concat!("```sql\n", link_shape_sql!(), "\n```")]
pub const LINK_SHAPE_SQL: &str = link_shape_sql!();

/// A direct membership, as a row of the caller's storage: `user` belongs to `group` with
/// `privileges`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MembershipRow {
    /// The member.
    pub user: UserId,
    /// The group.
    pub group: GroupId,
    /// The member's direct privileges in the group.
    pub privileges: PrivilegeSet,
}

/// A parent → child link, as a row of the caller's storage: `child` is a child of `parent` and
/// holds `privileges` there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildRow {
    /// The child group.
    pub child: GroupId,
    /// The parent group.
    pub parent: GroupId,
    /// The privileges the child (and so every effective member of it) holds in the parent.
    pub privileges: PrivilegeSet,
}

/// Why rows handed to [`effective_privileges_from_rows`] or [`LinkShape::from_rows`] were
/// refused: they cannot come from a consistent store, so no answer (and no grant) is given.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RowsError {
    /// A membership row is about another user than the one asked about.
    OtherUser {
        /// The user asked about.
        expected: UserId,
        /// The user of the row.
        found: UserId,
    },
    /// Two membership rows for the same user and group.
    DuplicateMembership {
        /// The user.
        user: UserId,
        /// The group.
        group: GroupId,
    },
    /// Two link rows for the same parent and child.
    DuplicateLink {
        /// The child.
        child: GroupId,
        /// The parent.
        parent: GroupId,
    },
    /// The links form a cycle (a group is its own ancestor); `group` is on it.
    Cycle {
        /// A group on the cycle.
        group: GroupId,
    },
}

impl fmt::Display for RowsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RowsError::OtherUser { expected, found } => write!(
                f,
                "a membership row is about user {found}, but the question is about user {expected}"
            ),
            RowsError::DuplicateMembership { user, group } => {
                write!(f, "two membership rows for user {user} in group {group}")
            }
            RowsError::DuplicateLink { child, parent } => {
                write!(f, "two link rows for child {child} of group {parent}")
            }
            RowsError::Cycle { group } => {
                write!(f, "the link rows form a cycle: group {group} is its own ancestor")
            }
        }
    }
}

impl core::error::Error for RowsError {}

/// The links of `rows` as adjacency lists, in both directions, refusing duplicates and cycles.
struct Graph<'r> {
    /// child → its parents, with the privileges the child holds in each.
    up: BTreeMap<&'r GroupId, Vec<(&'r GroupId, PrivilegeSet)>>,
    /// parent → its children.
    down: BTreeMap<&'r GroupId, Vec<&'r GroupId>>,
}

impl<'r> Graph<'r> {
    fn new(rows: &'r [ChildRow]) -> Result<Self, RowsError> {
        let mut up: BTreeMap<&GroupId, Vec<(&GroupId, PrivilegeSet)>> = BTreeMap::new();
        let mut down: BTreeMap<&GroupId, Vec<&GroupId>> = BTreeMap::new();
        for row in rows {
            let parents = up.entry(&row.child).or_default();
            if parents.iter().any(|&(p, _)| *p == row.parent) {
                return Err(RowsError::DuplicateLink {
                    child: row.child.clone(),
                    parent: row.parent.clone(),
                });
            }
            parents.push((&row.parent, row.privileges));
            down.entry(&row.parent).or_default().push(&row.child);
        }
        let graph = Graph { up, down };
        // Every group that has a parent, walked up: a cycle shows as a group met again on the
        // path being walked.
        let mut memo = BTreeMap::new();
        for &start in graph.up.keys() {
            longest_path(start, |x| graph.parents(x), &mut memo)?;
        }
        Ok(graph)
    }

    fn parents(&self, group: &GroupId) -> impl Iterator<Item = &'r GroupId> + '_ {
        self.up.get(group).into_iter().flatten().map(|&(p, _)| p)
    }

    fn children(&self, group: &GroupId) -> impl Iterator<Item = &'r GroupId> + '_ {
        self.down.get(group).into_iter().flatten().copied()
    }
}

/// The number of links on the longest path from `start` along `next`, memoized in `memo`
/// (`None` while a group is on the path being walked, `Some(length)` once done). Iterative, so a
/// deep chain of rows cannot overflow the stack; a cycle is an error.
fn longest_path<'r, I: Iterator<Item = &'r GroupId>>(
    start: &'r GroupId,
    next: impl Fn(&'r GroupId) -> I,
    memo: &mut BTreeMap<&'r GroupId, Option<usize>>,
) -> Result<usize, RowsError> {
    let cycle = |group: &GroupId| RowsError::Cycle { group: group.clone() };
    let mut stack: Vec<(&GroupId, bool)> = vec![(start, false)];
    while let Some((x, expanded)) = stack.pop() {
        if expanded {
            let length = next(x).filter_map(|y| memo.get(y).copied().flatten()).map(|l| l + 1);
            memo.insert(x, Some(length.max().unwrap_or(0)));
            continue;
        }
        match memo.get(x) {
            Some(Some(_)) => continue,
            Some(None) => return Err(cycle(x)),
            None => {}
        }
        memo.insert(x, None);
        stack.push((x, true));
        for y in next(x) {
            match memo.get(y) {
                Some(Some(_)) => {}
                Some(None) => return Err(cycle(y)),
                None => stack.push((y, false)),
            }
        }
    }
    Ok(memo.get(start).copied().flatten().unwrap_or(0))
}

/// The effective privileges of `user` in `group`, from rows of the caller's storage: Onezone's
/// rule, as [`Directory::effective_privileges`](super::Directory::effective_privileges) computes
/// it.
///
/// `memberships` are `user`'s direct memberships (at least those in `group` and in the groups
/// below it); `links` are the parent → child links on the paths from them up to `group` (more
/// rows are harmless). The user's direct privileges in `group` are united with the privileges in `group`
/// of every child of which the user is an effective member; a child's privileges replace its
/// members' own there, and several paths unite. [`EFFECTIVE_PRIVILEGES_SQL`] fetches exactly
/// these rows in one recursive query.
///
/// ```
/// use onezone_tokens::group::{
///     ChildRow, GroupId, MembershipRow, Privilege, PrivilegeSet, UserId,
///     effective_privileges_from_rows,
/// };
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (alice, lab, dept) = (UserId::new("alice")?, GroupId::new("lab")?, GroupId::new("dept")?);
/// // alice is an admin of `lab`; `lab` is a child of `dept` holding the manager privileges.
/// let memberships =
///     [MembershipRow { user: alice.clone(), group: lab.clone(), privileges: PrivilegeSet::admin() }];
/// let links = [ChildRow { child: lab, parent: dept.clone(), privileges: PrivilegeSet::manager() }];
/// let held = effective_privileges_from_rows(&alice, &dept, &memberships, &links)?;
/// assert_eq!(held, PrivilegeSet::manager()); // lab's privileges in dept replace alice's own
/// assert!(!held.contains(Privilege::GroupDelete));
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`RowsError`] if the rows are inconsistent: a membership of another user, a duplicate row, or
/// links forming a cycle.
pub fn effective_privileges_from_rows(
    user: &UserId,
    group: &GroupId,
    memberships: &[MembershipRow],
    links: &[ChildRow],
) -> Result<PrivilegeSet, RowsError> {
    let graph = Graph::new(links)?;
    let mut privileges = PrivilegeSet::EMPTY;
    // The groups of which `user` is an effective member: its direct ones and all above them.
    let mut reach: BTreeSet<&GroupId> = BTreeSet::new();
    let mut stack: Vec<&GroupId> = Vec::with_capacity(memberships.len());
    for row in memberships {
        if row.user != *user {
            return Err(RowsError::OtherUser { expected: user.clone(), found: row.user.clone() });
        }
        if !reach.insert(&row.group) {
            return Err(RowsError::DuplicateMembership {
                user: user.clone(),
                group: row.group.clone(),
            });
        }
        stack.push(&row.group);
        if row.group == *group {
            privileges |= row.privileges;
        }
    }
    while let Some(x) = stack.pop() {
        for parent in graph.parents(x) {
            if reach.insert(parent) {
                stack.push(parent);
            }
        }
    }
    for (&child, parents) in &graph.up {
        if reach.contains(child) {
            for &(parent, held) in parents {
                if parent == group {
                    privileges |= held;
                }
            }
        }
    }
    Ok(privileges)
}

/// What a new parent → child link would do to the shape of the group graph: whether it closes a
/// cycle, and how long the longest chain of links through it would be. [`LinkShape::check`]
/// refuses it as [`Directory::add_child`](super::Directory::add_child) does.
///
/// ```
/// use onezone_tokens::group::{ChildRow, DirectoryLimits, GroupId, LinkShape, PrivilegeSet};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (a, b) = (GroupId::new("a")?, GroupId::new("b")?);
/// // b is a child of a; now a asks to become a child of b.
/// let links = [ChildRow { child: b.clone(), parent: a.clone(), privileges: PrivilegeSet::member() }];
/// let shape = LinkShape::from_rows(&b, &a, &links)?;
/// assert!(shape.closes_cycle);
/// let refused = shape.check(&b, &a, &DirectoryLimits::default()).unwrap_err();
/// assert_eq!(refused.to_string(), "group a cannot join group b: a is an ancestor of b, so it would become its own ancestor");
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LinkShape {
    /// The child is the parent itself or one of its ancestors.
    pub closes_cycle: bool,
    /// The number of links in the longest chain through the new link: the longest chain above
    /// the parent, plus one, plus the longest chain below the child. 0 when it closes a cycle.
    pub depth: usize,
}

impl LinkShape {
    /// A link that closes no cycle and makes a chain of `depth` links.
    pub const fn new(closes_cycle: bool, depth: usize) -> Self {
        LinkShape { closes_cycle, depth }
    }

    /// The shape of a new link `parent` → `child`, from the rows of every link on a path up from
    /// `parent` and on a path down from `child` (more rows are harmless; [`LINK_SHAPE_SQL`]
    /// fetches them).
    ///
    /// # Errors
    /// [`RowsError`] for a duplicate row or links that already form a cycle.
    pub fn from_rows(
        parent: &GroupId,
        child: &GroupId,
        links: &[ChildRow],
    ) -> Result<LinkShape, RowsError> {
        let graph = Graph::new(links)?;
        if parent == child {
            return Ok(LinkShape::new(true, 0));
        }
        let mut memo = BTreeMap::new();
        // `child` is an ancestor of `parent` if the walk up from `parent` meets it.
        let mut seen = BTreeSet::new();
        let mut stack = vec![parent];
        while let Some(x) = stack.pop() {
            for p in graph.parents(x) {
                if p == child {
                    return Ok(LinkShape::new(true, 0));
                }
                if seen.insert(p) {
                    stack.push(p);
                }
            }
        }
        let above = longest_path(parent, |x| graph.parents(x), &mut memo)?;
        let mut memo = BTreeMap::new();
        let below = longest_path(child, |x| graph.children(x), &mut memo)?;
        Ok(LinkShape::new(false, above + 1 + below))
    }

    /// Refuses the link as [`Directory::add_child`](super::Directory::add_child) does: one that
    /// closes a cycle ([`DirectoryError::WouldCreateCycle`]) or nests deeper than
    /// `limits.max_depth` ([`DirectoryError::TooDeep`]).
    ///
    /// # Errors
    /// The [`DirectoryError`] the directory would answer.
    pub fn check(
        &self,
        parent: &GroupId,
        child: &GroupId,
        limits: &DirectoryLimits,
    ) -> Result<(), DirectoryError> {
        if self.closes_cycle {
            return Err(DirectoryError::WouldCreateCycle {
                parent: parent.clone(),
                child: child.clone(),
            });
        }
        if self.depth > limits.max_depth {
            return Err(DirectoryError::TooDeep {
                parent: parent.clone(),
                child: child.clone(),
                depth: self.depth,
                max: limits.max_depth,
            });
        }
        Ok(())
    }
}

impl DirectoryLimits {
    /// Refuses a new direct member of `group` when it already has `members` of them, as
    /// [`Directory::add_user`](super::Directory::add_user) does: at
    /// [`max_members_per_group`](DirectoryLimits::max_members_per_group) or more. `members` may be
    /// counted only up to the cap ([`MEMBER_COUNT`](crate::storage::MEMBER_COUNT) does).
    ///
    /// # Errors
    /// [`DirectoryError::TooManyMembers`].
    pub fn check_member_count(
        &self,
        group: &GroupId,
        user: &UserId,
        members: u64,
    ) -> Result<(), DirectoryError> {
        if members >= cap(self.max_members_per_group) {
            return Err(DirectoryError::TooManyMembers {
                group: group.clone(),
                user: user.clone(),
                max: self.max_members_per_group,
            });
        }
        Ok(())
    }

    /// Refuses a new child of `parent` when it already has `children` of them, as
    /// [`Directory::add_child`](super::Directory::add_child) does: at
    /// [`max_children_per_group`](DirectoryLimits::max_children_per_group) or more. `children`
    /// may be counted only up to the cap ([`CHILD_COUNT`](crate::storage::CHILD_COUNT) does).
    ///
    /// # Errors
    /// [`DirectoryError::TooManyChildren`].
    pub fn check_child_count(
        &self,
        parent: &GroupId,
        child: &GroupId,
        children: u64,
    ) -> Result<(), DirectoryError> {
        if children >= cap(self.max_children_per_group) {
            return Err(DirectoryError::TooManyChildren {
                parent: parent.clone(),
                child: child.clone(),
                max: self.max_children_per_group,
            });
        }
        Ok(())
    }
}

/// A cap as a count: `usize` fits `u64` on every target Rust supports.
fn cap(max: usize) -> u64 {
    u64::try_from(max).unwrap_or(u64::MAX)
}
