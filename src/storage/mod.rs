//! The storage contract: the schema, the statements and the row types of a server that keeps
//! groups and invite records in SQLite or PostgreSQL. Constants and types only; the caller runs
//! the statements with its own driver (rusqlite, postgres, tokio-postgres, sqlx), sync or async.
//!
//! - [`SCHEMA`]: four tables, the same SQL on both databases.
//! - The statements, one constant each, with `$1`, `$2`, ... parameters that every driver binds
//!   with the same Rust types (`&str`, `i64`, `Option<i64>`, `&[u8]`, `bool`; every integer is a
//!   `BIGINT` both ways): groups ([`INSERT_GROUP`], [`SELECT_GROUP`], [`GROUP_EXISTS`]),
//!   memberships ([`SELECT_MEMBERSHIP`], [`MEMBERSHIP_EXISTS`], [`INSERT_MEMBERSHIP`],
//!   [`MEMBER_COUNT`]), links ([`SELECT_CHILD_LINK`], [`CHILD_LINK_EXISTS`],
//!   [`INSERT_CHILD_LINK`], [`CHILD_COUNT`], [`LINK_SHAPE_SQL`]), effective privileges
//!   ([`EFFECTIVE_PRIVILEGES_SQL`]), invite records ([`INSERT_INVITE`], [`SELECT_INVITE`],
//!   [`SELECT_INVITES_OF_ISSUER`], [`SELECT_INVITES_IN_GROUP`], the conditional use
//!   [`USE_INVITE`], [`SET_INVITE_REVOKED`], [`DELETE_INVITE`]), quotas
//!   ([`GROUPS_CREATED_BY`], [`OPEN_INVITES_OF`]); Onezone 20.02's named tokens
//!   ([`TOKENS_SCHEMA`]: [`INSERT_NAMED_TOKEN`], [`SELECT_NAMED_TOKEN`],
//!   [`SELECT_NAMED_TOKEN_BY_NAME`], [`SELECT_NAMED_TOKEN_IDS_OF`], [`NAMED_TOKEN_NAME_TAKEN`],
//!   [`UPDATE_NAMED_TOKEN`], [`DELETE_NAMED_TOKEN`]) and temporary-token generations
//!   ([`SELECT_TEMPORARY_GENERATION`], [`NEXT_TEMPORARY_GENERATION`]).
//! - The locks, the one place the databases differ ([`Dialect`]): a new child link locks the
//!   links ([`Dialect::lock_child_links`]), a quota count locks the user
//!   ([`Dialect::lock_user`]); on SQLite a transaction begun `IMMEDIATE` already holds the one
//!   write lock.
//! - Rows in plain column types with checked conversions both ways: [`InviteRow`]
//!   (`TryFrom<&InviteRecord>` and back), [`NamedTokenRow`] (`TryFrom<&NamedTokenRecord>` and
//!   back, with [`generation_from_column`]), [`MembershipRow::from_columns`](crate::group::MembershipRow::from_columns),
//!   [`ChildRow::from_columns`](crate::group::ChildRow::from_columns), [`PrivilegeRows`]; a value
//!   that does not fit is a [`ColumnError`] naming the column.
//!
//! A join, in one transaction (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: any level, with the
//! locks): [`SELECT_INVITE`] the token's record, read the facts ([`GROUP_EXISTS`],
//! [`EFFECTIVE_PRIVILEGES_SQL`], [`MEMBERSHIP_EXISTS`] or, for a group, the link lock,
//! [`CHILD_LINK_EXISTS`] and [`LINK_SHAPE_SQL`]; the caps with [`MEMBER_COUNT`] /
//! [`CHILD_COUNT`]), let the library decide, then [`USE_INVITE`] (0 rows: roll back, the token
//! is spent) and [`INSERT_MEMBERSHIP`] / [`INSERT_CHILD_LINK`] (0 rows: roll back, already a
//! member). `examples/sqlite_embedding` does exactly that; `tests/storage.rs` runs every
//! statement on SQLite and, with `ONEZONE_TEST_POSTGRES` set to a database URL, on PostgreSQL.

mod columns;
mod invite_row;
mod named_token_row;
mod schema;
mod statements;

pub use crate::group::{EFFECTIVE_PRIVILEGES_SQL, LINK_SHAPE_SQL};
pub use columns::{
    ColumnError, PrivilegeRows, bound, count_from_column, privileges_from_column,
    privileges_to_column,
};
pub use invite_row::InviteRow;
pub use named_token_row::{NamedTokenRow, generation_from_column};
pub use schema::{SCHEMA, TOKENS_SCHEMA};
pub use statements::{
    CHILD_COUNT, CHILD_LINK_EXISTS, DELETE_INVITE, DELETE_NAMED_TOKEN, Dialect, GROUP_EXISTS,
    GROUPS_CREATED_BY, INSERT_CHILD_LINK, INSERT_GROUP, INSERT_INVITE, INSERT_MEMBERSHIP,
    INSERT_NAMED_TOKEN, LOCK_CHILD_LINKS_POSTGRES, LOCK_USER_POSTGRES, MEMBER_COUNT,
    MEMBERSHIP_EXISTS, NAMED_TOKEN_NAME_TAKEN, NEXT_TEMPORARY_GENERATION, OPEN_INVITES_OF,
    SELECT_CHILD_LINK, SELECT_GROUP, SELECT_INVITE, SELECT_INVITES_IN_GROUP,
    SELECT_INVITES_OF_ISSUER, SELECT_MEMBERSHIP, SELECT_NAMED_TOKEN, SELECT_NAMED_TOKEN_BY_NAME,
    SELECT_NAMED_TOKEN_IDS_OF, SELECT_TEMPORARY_GENERATION, SET_INVITE_REVOKED, UPDATE_NAMED_TOKEN,
    USE_INVITE,
};
