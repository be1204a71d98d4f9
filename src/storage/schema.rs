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

/// The tables of Onezone 20.02's token API, beside [`SCHEMA`] (the same SQL on SQLite and
/// PostgreSQL, `IF NOT EXISTS`): `named_tokens` (one [`NamedTokenRow`](super::NamedTokenRow)
/// each, a name unique per subject) and `temporary_token_generations` (each subject's current
/// generation of temporary tokens; a subject without a row is at generation 1). Neither holds a
/// secret: both kinds of secret are derived from a master key
/// ([`DerivedSecrets`](crate::token::DerivedSecrets)). An invite token's usage lives in its
/// `invite_tokens` row, under the same token id.
///
/// ```sql
#[doc = include_str!("tokens_schema.sql")]
/// ```
pub const TOKENS_SCHEMA: &str = include_str!("tokens_schema.sql");
