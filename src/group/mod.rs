//! Groups, users and privileges: the Onezone 17.06 group model, with nested groups.
//!
//! This layer knows nothing of tokens. It holds the [`Directory`] of groups, the direct
//! privileges of users in them, and which groups are children of which (with the privileges
//! each child holds in its parent), and answers what a user may do in a group: its
//! [`effective_privileges`](Directory::effective_privileges).
//!
//! - [`Privilege`]: the group privileges of every Onezone version (17.06's 12, 20.02's 21,
//!   21.02's 23); [`PrivilegeSet`]: a set of them, with 17.06's levels
//!   [`member`](PrivilegeSet::member), [`manager`](PrivilegeSet::manager) and
//!   [`admin`](PrivilegeSet::admin). [`Vocabulary`]: one version's names and levels, the
//!   17.06 -> 20.02 map of oz-worker's `od_group.erl`, reading and writing a set in either
//!   ([`PrivilegeSet::parse_in`], [`PrivilegeSet::in_vocabulary`]), and authorization under
//!   either name ([`PrivilegeSet::allows`], which the [`Directory`] checks with).
//! - [`PrivilegeChange`]: Onezone's `{"operation": "set" | "grant" | "revoke", "privileges": [...]}`.
//!   [`PrivilegeUpdate`]: Onezone 20.02's `{"grant": [...], "revoke": [...]}`, read in one
//!   vocabulary's names, refused as 20.02 refuses it ([`PrivilegeUpdateError`]).
//! - [`GroupId`], [`UserId`]: validated identifiers; [`Group`], [`GroupType`]: the group record.
//!   [`GroupCreation`]: the body of `POST /user/groups` as Onezone 20.02 reads it (its type
//!   names, [`GroupType::name_2002`]), refused as 20.02 refuses it ([`GroupCreationError`]).
//! - [`Directory`], [`DirectoryLimits`], [`DirectoryError`]: the model, its bounds, its refusals.
//! - For groups kept in the caller's own database: [`effective_privileges_from_rows`] and
//!   [`LinkShape::from_rows`] apply the same rules to the rows one recursive query returns
//!   ([`MembershipRow`], [`ChildRow`]), refusing inconsistent rows with a [`RowsError`]. The
//!   schema and statements they run on are [`crate::storage`]'s.

mod create;
mod directory;
mod error;
mod index;
mod model;
mod onezone_error;
mod privilege;
mod rows;
mod update;
mod vocabulary;

pub use create::{GroupCreation, GroupCreationError};
pub use directory::{Directory, DirectoryLimits, MAX_INDEXED};
pub use error::DirectoryError;
pub use model::{
    Group, GroupId, GroupType, IdError, IdKind, MAX_ID_LEN, MAX_NAME_LEN, UnknownGroupType, UserId,
};
pub(crate) use onezone_error::relation_already_exists;
pub use privilege::{
    Operation, Privilege, PrivilegeChange, PrivilegeIter, PrivilegeSet, UnknownPrivilege,
};
pub use rows::{
    ChildRow, EFFECTIVE_PRIVILEGES_SQL, LINK_SHAPE_SQL, LinkShape, MembershipRow, RowsError,
    effective_privileges_from_rows,
};
pub use update::{PrivilegeUpdate, PrivilegeUpdateError};
pub use vocabulary::Vocabulary;

#[cfg(test)]
mod tests;
