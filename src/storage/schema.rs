//! The tables the statements of this module run on.

/// The schema, as SQL that SQLite and PostgreSQL both run (`CREATE ... IF NOT EXISTS`, so it can
/// be applied to a database that already has it). Run it as one batch (rusqlite's
/// `execute_batch`, postgres' `batch_execute`, sqlx's `raw_sql`).
///
/// Four tables, each lookup of the statements backed by its primary key or an index:
/// `groups`, `group_users` (direct memberships), `group_children` (parent → child links) and
/// `invite_tokens` (one [`InviteRow`](super::InviteRow) each). A server adds its own tables
/// (users, sessions) beside them; no statement here reads them.
///
/// Types are chosen to mean the same on both: `TEXT` ids, `BIGINT` counts and Unix times
/// (SQLite keeps any integer in 64 bits), `BYTEA` secrets (a blob in SQLite), `BOOLEAN` (0/1
/// in SQLite). `privileges` columns are `INTEGER` (12 bits are used); every statement reads them
/// as `BIGINT` and binds them through `CAST(... AS BIGINT)`, so a driver always uses `i64`.
///
/// ```sql
#[doc = include_str!("schema.sql")]
/// ```
pub const SCHEMA: &str = include_str!("schema.sql");
