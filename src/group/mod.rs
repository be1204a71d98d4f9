//! Groups, users and privileges: the Onezone 17.06 group model, with nested groups.
//!
//! This layer knows nothing of tokens. It holds the [`Directory`] of groups, the direct
//! privileges of users in them, and which groups are children of which (with the privileges
//! each child holds in its parent), and answers what a user may do in a group: its
//! [`effective_privileges`](Directory::effective_privileges).
//!
//! - [`Privilege`]: the 12 group privileges; [`PrivilegeSet`]: a set of them, with the levels
//!   [`member`](PrivilegeSet::member), [`manager`](PrivilegeSet::manager) and
//!   [`admin`](PrivilegeSet::admin).
//! - [`PrivilegeChange`]: Onezone's `{"operation": "set" | "grant" | "revoke", "privileges": [...]}`.
//! - [`GroupId`], [`UserId`]: validated identifiers; [`Group`], [`GroupType`]: the group record.
//! - [`Directory`], [`DirectoryLimits`], [`DirectoryError`]: the model, its bounds, its refusals.
//! - For groups kept in the caller's own database: [`effective_privileges_from_rows`] and
//!   [`LinkShape::from_rows`] apply the same rules to the rows one recursive query returns
//!   ([`MembershipRow`], [`ChildRow`]), refusing inconsistent rows with a [`RowsError`]. The
//!   schema and statements they run on are [`crate::storage`]'s.

mod directory;
mod error;
mod index;
mod model;
mod privilege;
mod rows;

pub use directory::{Directory, DirectoryLimits, MAX_INDEXED};
pub use error::DirectoryError;
pub use model::{
    Group, GroupId, GroupType, IdError, IdKind, MAX_ID_LEN, MAX_NAME_LEN, UnknownGroupType, UserId,
};
pub use privilege::{
    Operation, Privilege, PrivilegeChange, PrivilegeIter, PrivilegeSet, UnknownPrivilege,
};
pub use rows::{
    ChildRow, EFFECTIVE_PRIVILEGES_SQL, LINK_SHAPE_SQL, LinkShape, MembershipRow, RowsError,
    effective_privileges_from_rows,
};

#[cfg(test)]
mod tests;
