//! The server's storage: the library's storage contract (`onezone_tokens::storage`: schema,
//! statements, row types) plus the server's own users table (`migrations/`), behind one
//! interface with two backends, SQLite (one file, one process) and PostgreSQL (any number of
//! server processes).
//!
//! A request runs in one transaction ([`Store::write`]): the closure gets a [`Tx`], whose methods
//! are the few queries the requests need (each backed by a primary key or an index, none
//! proportional to the size of the database), and its outcome commits or rolls back as a whole.
//! The methods are written once (`tx.rs`) over a driver seam (`tx::Driver`: run a statement
//! with plain parameters, hand back plain columns); the backends differ only in connecting,
//! classifying errors and the locks their dialect needs (`sqlite.rs`, `postgres.rs`).
//! The store knows nothing of HTTP: its errors are [`StoreError`]s, which the API maps.

mod postgres;
mod sql;
mod sqlite;
mod tx;

use std::fmt;
use std::path::PathBuf;

use onezone_tokens::group::{ChildRow, Group, GroupId, MembershipRow, PrivilegeSet, UserId};
use onezone_tokens::invite::{InviteRecord, NamedTokenRecord, TokenUse};
use onezone_tokens::storage::ColumnError;
use onezone_tokens::token::Subject;

pub use sqlite::Durability;

/// The schema version this server writes (see `migrations/README.md`).
pub const SCHEMA_VERSION: i64 = 3;

/// Creates the schema of [`SCHEMA_VERSION`] (idempotent): version 2 ([`create_schema_v2`]), then
/// version 3's tables of Onezone 20.02's token API (the library's `storage::TOKENS_SCHEMA`).
fn create_schema(batch: &mut dyn FnMut(&str) -> Result<(), StoreError>) -> Result<(), StoreError> {
    create_schema_v2(batch)?;
    batch(onezone_tokens::storage::TOKENS_SCHEMA)
}

/// Creates the schema of version 2 (idempotent): the library's tables, then the server's own.
fn create_schema_v2(
    batch: &mut dyn FnMut(&str) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    batch(onezone_tokens::storage::SCHEMA)?;
    batch(sql::USERS_SCHEMA)
}

/// Which database to use.
#[derive(Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file (created if missing), owned by one server process.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user[:password]@host[:port]/name`).
    Postgres(String),
}

impl Database {
    /// `--db`'s value: a `postgres://` or `postgresql://` URL, else a file path.
    pub fn parse(text: &str) -> Database {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            Database::Postgres(text.to_owned())
        } else {
            Database::Sqlite(PathBuf::from(text))
        }
    }
}

/// The database for a person to read: a file's path, or a URL without its password.
impl fmt::Display for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(f, "{}", path.display()),
            Database::Postgres(url) => f.write_str(&redact_url(url)),
        }
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Database({self})")
    }
}

/// A connection URL with its password (if any) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, path) = rest.split_once('/').map_or((rest, None), |(a, p)| (a, Some(p)));
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    // A password may also hide in the query (`?password=...`).
    let path = path.map(|p| match p.split_once('?') {
        Some((base, query)) if query.contains("password") => format!("{base}?***"),
        _ => p.to_owned(),
    });
    match path {
        Some(path) => format!("{scheme}://{authority}/{path}"),
        None => format!("{scheme}://{authority}"),
    }
}

/// Why the store failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The database cannot be reached now (down, restarting, connection lost): worth a retry.
    Unavailable(String),
    /// The database holds a value no version of this server wrote.
    Corrupt(String),
    /// Any other failure of the database.
    Failed(String),
    /// A value of the request does not fit its column (a number past `i64::MAX`): nothing was
    /// written; the request, not the database, is at fault.
    DoesNotFit(ColumnError),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Unavailable(e) => write!(f, "the database is unavailable: {e}"),
            StoreError::Corrupt(e) => write!(f, "the database holds an invalid {e}"),
            StoreError::Failed(e) => write!(f, "database error: {e}"),
            StoreError::DoesNotFit(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for StoreError {}

/// The queries of one transaction. Every method is one statement on a primary key or an index,
/// or one recursive query bounded by the nesting depth. Implemented once, for every backend
/// (`tx.rs`).
pub trait Tx {
    /// `name`'s password hash.
    fn user_hash(&mut self, name: &str) -> Result<Option<String>, StoreError>;
    /// Sets `name`'s password hash, creating the user.
    fn set_user(&mut self, name: &str, hash: &str) -> Result<(), StoreError>;
    /// The number of users.
    fn user_count(&mut self) -> Result<u64, StoreError>;
    /// Makes `user`'s requests that count toward a quota and then write take turns until this
    /// transaction ends. Call it before a quota count ([`Tx::groups_created_by`],
    /// [`Tx::open_invites_of`]); a no-op where transactions already run one at a time.
    fn lock_user(&mut self, user: &UserId) -> Result<(), StoreError>;

    /// The group `id`.
    fn group(&mut self, id: &GroupId) -> Result<Option<Group>, StoreError>;
    /// Inserts a group made by `creator` (`None` for a migrated one); false if its id is taken.
    fn insert_group(&mut self, group: &Group, creator: Option<&UserId>)
    -> Result<bool, StoreError>;
    /// The number of groups `user` has created, counted up to `at_most` (take [`Tx::lock_user`]
    /// first).
    fn groups_created_by(&mut self, user: &UserId, at_most: u64) -> Result<u64, StoreError>;

    /// `user`'s direct privileges in `group`, if a direct member.
    fn membership(
        &mut self,
        group: &GroupId,
        user: &UserId,
    ) -> Result<Option<PrivilegeSet>, StoreError>;
    /// Inserts a direct membership; false if it exists.
    fn insert_membership(
        &mut self,
        group: &GroupId,
        user: &UserId,
        privileges: PrivilegeSet,
    ) -> Result<bool, StoreError>;
    /// Changes a direct membership's privileges.
    fn update_membership(
        &mut self,
        group: &GroupId,
        user: &UserId,
        privileges: PrivilegeSet,
    ) -> Result<(), StoreError>;
    /// The direct members of `group`, sorted.
    fn members(&mut self, group: &GroupId) -> Result<Vec<UserId>, StoreError>;
    /// The number of direct members of `group`, counted up to `at_most` (for
    /// `DirectoryLimits::check_member_count`).
    fn member_count(&mut self, group: &GroupId, at_most: u64) -> Result<u64, StoreError>;
    /// The effective members of `group` (direct members of it and of the groups below it, down
    /// to `max_depth` links), sorted.
    fn effective_members(
        &mut self,
        group: &GroupId,
        max_depth: usize,
    ) -> Result<Vec<UserId>, StoreError>;
    /// The rows of `group::effective_privileges_from_rows` for `user` in `group`: its direct
    /// memberships in `group` and below, and the links below `group`
    /// (`group::EFFECTIVE_PRIVILEGES_SQL`).
    fn privilege_rows(
        &mut self,
        user: &UserId,
        group: &GroupId,
        max_depth: usize,
    ) -> Result<(Vec<MembershipRow>, Vec<ChildRow>), StoreError>;

    /// The privileges `child` holds in `parent`, if it is its child.
    fn child_link(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
    ) -> Result<Option<PrivilegeSet>, StoreError>;
    /// Inserts a link; false if it exists.
    fn insert_child_link(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        privileges: PrivilegeSet,
    ) -> Result<bool, StoreError>;
    /// Changes a link's privileges.
    fn update_child_link(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        privileges: PrivilegeSet,
    ) -> Result<(), StoreError>;
    /// The children of `group`, sorted.
    fn children(&mut self, group: &GroupId) -> Result<Vec<GroupId>, StoreError>;
    /// The number of children of `parent`, counted up to `at_most` (for
    /// `DirectoryLimits::check_child_count`).
    fn child_count(&mut self, parent: &GroupId, at_most: u64) -> Result<u64, StoreError>;
    /// The parents of `group`, sorted.
    fn parents(&mut self, group: &GroupId) -> Result<Vec<GroupId>, StoreError>;
    /// The groups `user` is a direct member of, sorted (`GET /user/groups` of 20.02). No index
    /// serves it (see the schema on `group_users`): it reads every membership.
    fn groups_of(&mut self, user: &UserId) -> Result<Vec<GroupId>, StoreError>;
    /// The user who created `group`, if known (`creator` of 20.02's `GET /groups/{id}`).
    fn group_creator(&mut self, group: &GroupId) -> Result<Option<UserId>, StoreError>;
    /// The rows of `LinkShape::from_rows` for a new link (`group::LINK_SHAPE_SQL`).
    fn link_rows(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        max_depth: usize,
    ) -> Result<Vec<ChildRow>, StoreError>;
    /// Makes the links stand still until the transaction ends, so that a new link's cycle check
    /// and its insertion cannot interleave with another's (a no-op where transactions already
    /// run one at a time).
    fn lock_links(&mut self) -> Result<(), StoreError>;

    /// The invite record `token_id`.
    fn invite(&mut self, token_id: &str) -> Result<Option<InviteRecord>, StoreError>;
    /// Inserts a new invite record.
    fn insert_invite(&mut self, record: &InviteRecord) -> Result<(), StoreError>;
    /// Counts one use of a token, only if it is not revoked and has a use left (the library's
    /// conditional write, `TokenUse`); false if it had none left.
    fn use_token(&mut self, token_use: &TokenUse) -> Result<bool, StoreError>;
    /// The number of invite records.
    fn invite_count(&mut self) -> Result<u64, StoreError>;
    /// The invite records `issuer` issued, oldest first.
    fn invites_of(&mut self, issuer: &UserId) -> Result<Vec<InviteRecord>, StoreError>;
    /// The invite records of `group`, oldest first.
    fn invites_in(&mut self, group: &GroupId) -> Result<Vec<InviteRecord>, StoreError>;
    /// The number of `issuer`'s invites open at `now` (not revoked, not expired, a use left),
    /// counted up to `at_most` (take [`Tx::lock_user`] first).
    fn open_invites_of(
        &mut self,
        issuer: &UserId,
        now: u64,
        at_most: u64,
    ) -> Result<u64, StoreError>;
    /// Revokes (or reinstates) a token; false if there is no such record.
    fn set_revoked(&mut self, token_id: &str, revoked: bool) -> Result<bool, StoreError>;
    /// Deletes a token's record; false if there was none.
    fn delete_invite(&mut self, token_id: &str) -> Result<bool, StoreError>;

    /// The named token `token_id` (Onezone 20.02's token API).
    fn named_token(&mut self, token_id: &str) -> Result<Option<NamedTokenRecord>, StoreError>;
    /// `subject`'s named token called `name`.
    fn named_token_by_name(
        &mut self,
        subject: &Subject,
        name: &str,
    ) -> Result<Option<NamedTokenRecord>, StoreError>;
    /// The ids of `subject`'s named tokens, oldest first.
    fn named_token_ids(&mut self, subject: &Subject) -> Result<Vec<String>, StoreError>;
    /// Inserts a named token; false if its id or its name (for its subject) is taken. Take
    /// [`Tx::lock_user`] on the subject first.
    fn insert_named_token(&mut self, record: &NamedTokenRecord) -> Result<bool, StoreError>;
    /// Whether `subject` has a named token called `name` other than `token_id`.
    fn named_token_name_taken(
        &mut self,
        subject: &Subject,
        name: &str,
        token_id: &str,
    ) -> Result<bool, StoreError>;
    /// Writes a named token's name, custom metadata and revocation; false if there is none.
    fn update_named_token(&mut self, record: &NamedTokenRecord) -> Result<bool, StoreError>;
    /// Deletes a named token; false if there was none.
    fn delete_named_token(&mut self, token_id: &str) -> Result<bool, StoreError>;
    /// `subject`'s current generation of temporary tokens (1 until first revoked).
    fn temporary_generation(&mut self, subject: &Subject) -> Result<u64, StoreError>;
    /// Revokes all of `subject`'s temporary tokens: its generation plus one, answered.
    fn next_temporary_generation(&mut self, subject: &Subject) -> Result<u64, StoreError>;
}

/// The database, open.
pub enum Store {
    /// One SQLite file, this process's alone.
    Sqlite(sqlite::SqliteStore),
    /// A PostgreSQL database, shared by any number of server processes.
    Postgres(Box<postgres::PgStore>),
}

impl Store {
    /// Opens the database, creating or migrating its schema.
    ///
    /// # Errors
    /// One line for a person, naming the database (never a password).
    pub fn open(database: &Database, durability: Durability) -> Result<Store, String> {
        match database {
            Database::Sqlite(path) => {
                sqlite::SqliteStore::open(path, durability).map(Store::Sqlite)
            }
            Database::Postgres(url) => {
                postgres::PgStore::open(url).map(|store| Store::Postgres(Box::new(store)))
            }
        }
    }

    /// Runs `f` in one transaction, on the calling (blocking) thread, and commits if it returns
    /// `Ok`; on an error nothing is committed.
    ///
    /// # Errors
    /// `f`'s error, or the store's (converted by `E: From<StoreError>`).
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        match self {
            Store::Sqlite(store) => store.write(f),
            Store::Postgres(store) => store.write(f),
        }
    }
}
