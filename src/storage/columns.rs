//! Plain column values (`String`, `i64`, `Option<i64>`, `Vec<u8>`, `bool`) to the library's
//! types and back, checked both ways.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::group::{
    ChildRow, GroupId, MembershipRow, PrivilegeSet, RowsError, UserId,
    effective_privileges_from_rows,
};

/// A value that does not fit its column, or a column value that no record can hold. Either way
/// the row is not written (or not believed): a typed error naming the column, never a panic.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ColumnError {
    /// A number past `i64::MAX`, which a `BIGINT` column cannot hold (a usage limit, count or
    /// time that the library's `u64` allows). A server answers it as a bad request.
    OutOfRange {
        /// The column, as `table.column`.
        column: &'static str,
        /// The value.
        value: u64,
    },
    /// A column holds a value no record can have (a negative count, an invalid id, an unknown
    /// target or privilege bit): the database was written by something else.
    Invalid {
        /// The column, as `table.column`.
        column: &'static str,
    },
}

impl fmt::Display for ColumnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ColumnError::OutOfRange { column, value } => {
                write!(f, "{column} {value} is too large to store (at most {})", i64::MAX)
            }
            ColumnError::Invalid { column } => {
                write!(f, "the database holds an invalid {column}")
            }
        }
    }
}

impl core::error::Error for ColumnError {}

/// A `u64` as the `BIGINT` of `column`.
pub(super) fn signed(column: &'static str, value: u64) -> Result<i64, ColumnError> {
    i64::try_from(value).map_err(|_| ColumnError::OutOfRange { column, value })
}

/// A `BIGINT` of `column` as the `u64` it stands for.
pub(super) fn unsigned(column: &'static str, value: i64) -> Result<u64, ColumnError> {
    u64::try_from(value).map_err(|_| ColumnError::Invalid { column })
}

pub(super) fn group_id(column: &'static str, text: String) -> Result<GroupId, ColumnError> {
    GroupId::new(text).map_err(|_| ColumnError::Invalid { column })
}

pub(super) fn user_id(column: &'static str, text: String) -> Result<UserId, ColumnError> {
    UserId::new(text).map_err(|_| ColumnError::Invalid { column })
}

pub(super) fn privileges(column: &'static str, bits: i64) -> Result<PrivilegeSet, ColumnError> {
    u32::try_from(bits)
        .ok()
        .and_then(PrivilegeSet::from_bits)
        .ok_or(ColumnError::Invalid { column })
}

/// A privilege set as its `privileges` column ([`PrivilegeSet::bits`]).
pub const fn privileges_to_column(privileges: PrivilegeSet) -> i64 {
    privileges.bits() as i64
}

/// A `privileges` column as the set it stands for.
///
/// # Errors
/// [`ColumnError::Invalid`] for a negative number or an unknown privilege bit.
pub fn privileges_from_column(bits: i64) -> Result<PrivilegeSet, ColumnError> {
    privileges("privileges", bits)
}

/// A `COUNT(*)` column as a count.
///
/// # Errors
/// [`ColumnError::Invalid`] for a negative number.
pub fn count_from_column(count: i64) -> Result<u64, ColumnError> {
    unsigned("count", count)
}

/// A limit, cap or depth as the `BIGINT` a bound parameter (`LIMIT`, depth) takes: itself, or
/// `i64::MAX` if larger (no database holds more rows than that).
pub fn bound<N: TryInto<i64>>(n: N) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

impl MembershipRow {
    /// A `group_users` row: `user_id`, `group_id`, `privileges`.
    ///
    /// # Errors
    /// [`ColumnError::Invalid`] naming the column that holds an invalid id or privilege set.
    pub fn from_columns(
        user_id: String,
        group_id: String,
        privileges: i64,
    ) -> Result<MembershipRow, ColumnError> {
        Ok(MembershipRow {
            user: self::user_id("group_users.user_id", user_id)?,
            group: self::group_id("group_users.group_id", group_id)?,
            privileges: self::privileges("group_users.privileges", privileges)?,
        })
    }
}

impl ChildRow {
    /// A `group_children` row, in the order [`LINK_SHAPE_SQL`](super::LINK_SHAPE_SQL) returns
    /// it: `child_id`, `parent_id`, `privileges`.
    ///
    /// # Errors
    /// [`ColumnError::Invalid`] naming the column that holds an invalid id or privilege set.
    pub fn from_columns(
        child_id: String,
        parent_id: String,
        privileges: i64,
    ) -> Result<ChildRow, ColumnError> {
        Ok(ChildRow {
            child: group_id("group_children.child_id", child_id)?,
            parent: group_id("group_children.parent_id", parent_id)?,
            privileges: self::privileges("group_children.privileges", privileges)?,
        })
    }
}

/// The rows [`EFFECTIVE_PRIVILEGES_SQL`](super::EFFECTIVE_PRIVILEGES_SQL) returns for one
/// (user, group) question, sorted into memberships and links as they are read.
///
/// ```
/// use onezone_tokens::group::{GroupId, PrivilegeSet, UserId};
/// use onezone_tokens::storage::{self, EFFECTIVE_PRIVILEGES_SQL, PrivilegeRows, SCHEMA};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = rusqlite::Connection::open_in_memory()?;
/// db.execute_batch(SCHEMA)?;
/// db.execute_batch("INSERT INTO groups VALUES ('lab', 'Lab', 'team', NULL), ('dept', 'Dept', 'team', NULL);
///     INSERT INTO group_users VALUES ('lab', 'alice', 2047);
///     INSERT INTO group_children VALUES ('dept', 'lab', 1);")?;
/// let (alice, dept) = (UserId::new("alice")?, GroupId::new("dept")?);
///
/// let mut rows = PrivilegeRows::default();
/// let mut statement = db.prepare(EFFECTIVE_PRIVILEGES_SQL)?;
/// let mut found = statement.query(("alice", "dept", storage::bound(64)))?;
/// while let Some(r) = found.next()? {
///     rows.push(&alice, r.get(0)?, r.get(1)?, r.get(2)?)?;
/// }
/// assert_eq!(rows.effective_privileges(&alice, &dept)?, PrivilegeSet::from_bits(1).unwrap());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivilegeRows {
    /// The user's direct memberships (rows with no `parent_id`).
    pub memberships: Vec<MembershipRow>,
    /// The links (rows with a `parent_id`).
    pub links: Vec<ChildRow>,
}

impl PrivilegeRows {
    /// Adds one row: `child_id`, `parent_id` (NULL for a membership of `user`), `privileges`.
    ///
    /// # Errors
    /// [`ColumnError::Invalid`] naming the column that holds an invalid id or privilege set.
    pub fn push(
        &mut self,
        user: &UserId,
        child_id: String,
        parent_id: Option<String>,
        privileges: i64,
    ) -> Result<(), ColumnError> {
        match parent_id {
            None => self.memberships.push(MembershipRow {
                user: user.clone(),
                group: group_id("group_users.group_id", child_id)?,
                privileges: self::privileges("group_users.privileges", privileges)?,
            }),
            Some(parent_id) => {
                self.links.push(ChildRow::from_columns(child_id, parent_id, privileges)?)
            }
        }
        Ok(())
    }

    /// `user`'s effective privileges in `group` from these rows
    /// ([`effective_privileges_from_rows`]).
    ///
    /// # Errors
    /// [`RowsError`] if the rows are inconsistent.
    pub fn effective_privileges(
        &self,
        user: &UserId,
        group: &GroupId,
    ) -> Result<PrivilegeSet, RowsError> {
        effective_privileges_from_rows(user, group, &self.memberships, &self.links)
    }
}
