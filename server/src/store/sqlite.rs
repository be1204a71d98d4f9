//! The SQLite backend: one file, owned by one server process.
//!
//! The connection holds SQLite's exclusive lock for the life of the process
//! (`locking_mode = EXCLUSIVE`), so a second server on the same file refuses to start. Requests
//! take turns on the one connection, each in a `BEGIN IMMEDIATE` transaction: SQLite runs one
//! writer at a time anyway, and a request that reads then writes never has to upgrade a lock.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use onezone_tokens::group::{
    ChildRow, Directory, EFFECTIVE_PRIVILEGES_SQL, Group, GroupId, LINK_SHAPE_SQL, MembershipRow,
    PrivilegeSet, UserId,
};
use onezone_tokens::invite::{InviteRecord, TokenUse};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::rows::{self, InviteRow};
use super::{SCHEMA, SCHEMA_VERSION, StoreError, Tx};

/// How durable a commit is (`PRAGMA synchronous` in WAL mode). PostgreSQL always commits
/// durably.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `FULL`: every commit is on disk before the answer (the default). A used token stays used
    /// across a power loss.
    #[default]
    Full,
    /// `NORMAL`: a commit survives a crash of the server, not a power loss of the machine.
    Normal,
}

/// The open SQLite database.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Failed(e.to_string())
}

fn depth(max_depth: usize) -> i64 {
    i64::try_from(max_depth).unwrap_or(i64::MAX)
}

impl SqliteStore {
    /// Opens (or creates, readable by its owner only) the file, takes its exclusive lock, and
    /// creates or migrates the schema.
    ///
    /// # Errors
    /// One line naming the file: it cannot be created or opened, is in use by another process,
    /// or is not a database of this server.
    pub fn open(path: &Path, durability: Durability) -> Result<SqliteStore, String> {
        let fail =
            |what: &str, e: &dyn std::fmt::Display| format!("{}: {what}: {e}", path.display());
        create_private(path).map_err(|e| fail("cannot create the database", &e))?;
        let mut conn = Connection::open(path).map_err(|e| fail("cannot open", &e))?;
        let setup = |conn: &Connection| -> rusqlite::Result<()> {
            // Fail at once rather than wait for a lock another server holds.
            conn.busy_timeout(Duration::from_millis(0))?;
            conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            let sync = match durability {
                Durability::Full => "FULL",
                Durability::Normal => "NORMAL",
            };
            conn.pragma_update(None, "synchronous", sync)
        };
        setup(&conn).map_err(|e| locked_or(path, "cannot configure", e))?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| locked_or(path, "cannot lock", e))?;
        migrate(&tx).map_err(|e| fail("cannot set up the schema", &e))?;
        tx.commit().map_err(|e| fail("cannot commit", &e))?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A request that panicked while holding the lock rolled its transaction back as it
        // unwound (the transaction is dropped); the connection is sound.
        self.conn.lock().unwrap_or_else(|poisoned| {
            self.conn.clear_poison();
            poisoned.into_inner()
        })
    }

    /// See [`super::Store::write`].
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(failed)?;
        let value = f(&mut SqliteTx(&tx))?;
        tx.commit().map_err(failed)?;
        Ok(value)
    }
}

/// Creates or migrates the schema to [`SCHEMA_VERSION`] inside the open transaction.
fn migrate(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute_batch("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        .map_err(failed)?;
    let version: Option<String> = tx
        .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| r.get(0))
        .optional()
        .map_err(failed)?;
    match version.as_deref() {
        None => {
            tx.execute_batch(SCHEMA).map_err(failed)?;
        }
        Some("1") => {
            tx.execute_batch(SCHEMA).map_err(failed)?;
            migrate_from_1(tx)?;
        }
        Some(v) if v == SCHEMA_VERSION.to_string() => return Ok(()),
        Some(v) => {
            return Err(StoreError::Failed(format!(
                "schema version {v}, this server knows versions 1 to {SCHEMA_VERSION}"
            )));
        }
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('schema', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [SCHEMA_VERSION.to_string()],
    )
    .map_err(failed)?;
    Ok(())
}

/// Version 1 kept the whole directory as one JSON row and each invite record as JSON: read them
/// through the library (which validates them) and write them as rows.
fn migrate_from_1(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let json: Option<String> = tx
        .query_row("SELECT json FROM directory WHERE id = 1", [], |r| r.get(0))
        .optional()
        .map_err(failed)?;
    let directory: Directory = match json {
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("version-1 group directory ({e})")))?,
        None => Directory::new(),
    };
    let mut t = SqliteTx(tx);
    for group in directory.groups() {
        t.insert_group(group, None)?;
    }
    for group in directory.groups() {
        for (user, privileges) in directory.members(&group.id).unwrap_or_default() {
            t.insert_membership(&group.id, user, privileges)?;
        }
        for (child, privileges) in directory.children(&group.id).unwrap_or_default() {
            t.insert_child_link(&group.id, child, privileges)?;
        }
    }
    let records: Vec<String> = {
        let mut stmt = tx.prepare("SELECT record FROM invites").map_err(failed)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(failed)?;
        rows.collect::<Result<_, _>>().map_err(failed)?
    };
    for json in records {
        let record: InviteRecord = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("version-1 invite record ({e})")))?;
        t.insert_invite(&record)?;
    }
    tx.execute_batch("DROP TABLE directory; DROP TABLE invites;").map_err(failed)
}

/// One open transaction.
struct SqliteTx<'t>(&'t Transaction<'t>);

impl SqliteTx<'_> {
    fn exists_changed(&self, sql: &str, params: impl rusqlite::Params) -> Result<bool, StoreError> {
        self.0.execute(sql, params).map(|n| n == 1).map_err(failed)
    }

    fn ids<T>(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        id: impl Fn(String) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.0.prepare(sql).map_err(failed)?;
        let mut rows = stmt.query(params).map_err(failed)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            out.push(id(row.get(0).map_err(failed)?)?);
        }
        Ok(out)
    }

    fn child_rows(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<ChildRow>, StoreError> {
        let mut stmt = self.0.prepare(sql).map_err(failed)?;
        let mut rows = stmt.query(params).map_err(failed)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            let get = |i| row.get::<_, String>(i).map_err(failed);
            out.push(rows::child_row(get(0)?, get(1)?, row.get(2).map_err(failed)?)?);
        }
        Ok(out)
    }

    fn invites(&self, sql: &str, key: &str) -> Result<Vec<InviteRecord>, StoreError> {
        let mut stmt = self.0.prepare(sql).map_err(failed)?;
        let mut result = stmt.query([key]).map_err(failed)?;
        let mut out = Vec::new();
        while let Some(r) = result.next().map_err(failed)? {
            let row = InviteRow {
                token_id: r.get(0).map_err(failed)?,
                secret: r.get(1).map_err(failed)?,
                group_id: r.get(2).map_err(failed)?,
                issuer: r.get(3).map_err(failed)?,
                target: r.get(4).map_err(failed)?,
                usage_limit: r.get(5).map_err(failed)?,
                usage_count: r.get(6).map_err(failed)?,
                privileges: r.get(7).map_err(failed)?,
                created_at: r.get(8).map_err(failed)?,
                valid_until: r.get(9).map_err(failed)?,
                revoked: r.get(10).map_err(failed)?,
            };
            out.push(row.into_record()?);
        }
        Ok(out)
    }

    fn count(&self, sql: &str) -> Result<u64, StoreError> {
        rows::unsigned(self.0.query_row(sql, [], |r| r.get(0)).map_err(failed)?)
    }
}

impl Tx for SqliteTx<'_> {
    fn user_hash(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        self.0.query_row(rows::USER_HASH, [name], |r| r.get(0)).optional().map_err(failed)
    }

    fn set_user(&mut self, name: &str, hash: &str) -> Result<(), StoreError> {
        self.0.execute(rows::SET_USER, [name, hash]).map(drop).map_err(failed)
    }

    fn user_count(&mut self) -> Result<u64, StoreError> {
        self.count(rows::USER_COUNT)
    }

    fn group(&mut self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        let row: Option<(String, String)> = self
            .0
            .query_row(rows::GROUP, [id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()
            .map_err(failed)?;
        row.map(|(name, group_type)| rows::group(id, name, &group_type)).transpose()
    }

    fn insert_group(
        &mut self,
        group: &Group,
        creator: Option<&UserId>,
    ) -> Result<bool, StoreError> {
        let kind = group.group_type.to_string();
        let creator = creator.map(UserId::as_str);
        self.exists_changed(
            rows::INSERT_GROUP,
            params![group.id.as_str(), group.name, kind, creator],
        )
    }

    fn groups_created_by(&mut self, user: &UserId, at_most: u64) -> Result<u64, StoreError> {
        let at_most = rows::signed(at_most.min(i64::MAX as u64))?;
        let n = self
            .0
            .query_row(rows::GROUPS_CREATED_BY, params![user.as_str(), at_most], |r| r.get(0))
            .map_err(failed)?;
        rows::unsigned(n)
    }

    fn membership(
        &mut self,
        group: &GroupId,
        user: &UserId,
    ) -> Result<Option<PrivilegeSet>, StoreError> {
        let bits: Option<i64> = self
            .0
            .query_row(rows::MEMBERSHIP, [group.as_str(), user.as_str()], |r| r.get(0))
            .optional()
            .map_err(failed)?;
        bits.map(rows::privileges).transpose()
    }

    fn insert_membership(
        &mut self,
        group: &GroupId,
        user: &UserId,
        privileges: PrivilegeSet,
    ) -> Result<bool, StoreError> {
        let p = params![group.as_str(), user.as_str(), privileges.bits()];
        self.exists_changed(rows::INSERT_MEMBERSHIP, p)
    }

    fn update_membership(
        &mut self,
        group: &GroupId,
        user: &UserId,
        privileges: PrivilegeSet,
    ) -> Result<(), StoreError> {
        let p = params![privileges.bits(), group.as_str(), user.as_str()];
        self.0.execute(rows::UPDATE_MEMBERSHIP, p).map(drop).map_err(failed)
    }

    fn members(&mut self, group: &GroupId) -> Result<Vec<UserId>, StoreError> {
        self.ids(rows::MEMBERS, [group.as_str()], rows::user_id)
    }

    fn effective_members(
        &mut self,
        group: &GroupId,
        max_depth: usize,
    ) -> Result<Vec<UserId>, StoreError> {
        self.ids(rows::EFFECTIVE_MEMBERS, params![group.as_str(), depth(max_depth)], rows::user_id)
    }

    fn privilege_rows(
        &mut self,
        user: &UserId,
        group: &GroupId,
        max_depth: usize,
    ) -> Result<(Vec<MembershipRow>, Vec<ChildRow>), StoreError> {
        let mut stmt = self.0.prepare(EFFECTIVE_PRIVILEGES_SQL).map_err(failed)?;
        let mut result =
            stmt.query(params![user.as_str(), group.as_str(), depth(max_depth)]).map_err(failed)?;
        let (mut memberships, mut links) = (Vec::new(), Vec::new());
        while let Some(row) = result.next().map_err(failed)? {
            let child: String = row.get(0).map_err(failed)?;
            let parent: Option<String> = row.get(1).map_err(failed)?;
            let bits: i64 = row.get(2).map_err(failed)?;
            match parent {
                None => memberships.push(MembershipRow {
                    user: user.clone(),
                    group: rows::group_id(child)?,
                    privileges: rows::privileges(bits)?,
                }),
                Some(parent) => links.push(rows::child_row(child, parent, bits)?),
            }
        }
        Ok((memberships, links))
    }

    fn child_link(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
    ) -> Result<Option<PrivilegeSet>, StoreError> {
        let bits: Option<i64> = self
            .0
            .query_row(rows::CHILD_LINK, [parent.as_str(), child.as_str()], |r| r.get(0))
            .optional()
            .map_err(failed)?;
        bits.map(rows::privileges).transpose()
    }

    fn insert_child_link(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        privileges: PrivilegeSet,
    ) -> Result<bool, StoreError> {
        let p = params![parent.as_str(), child.as_str(), privileges.bits()];
        self.exists_changed(rows::INSERT_CHILD_LINK, p)
    }

    fn update_child_link(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        privileges: PrivilegeSet,
    ) -> Result<(), StoreError> {
        let p = params![privileges.bits(), parent.as_str(), child.as_str()];
        self.0.execute(rows::UPDATE_CHILD_LINK, p).map(drop).map_err(failed)
    }

    fn children(&mut self, group: &GroupId) -> Result<Vec<GroupId>, StoreError> {
        self.ids(rows::CHILDREN, [group.as_str()], rows::group_id)
    }

    fn parents(&mut self, group: &GroupId) -> Result<Vec<GroupId>, StoreError> {
        self.ids(rows::PARENTS, [group.as_str()], rows::group_id)
    }

    fn link_rows(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        max_depth: usize,
    ) -> Result<Vec<ChildRow>, StoreError> {
        self.child_rows(LINK_SHAPE_SQL, params![parent.as_str(), child.as_str(), depth(max_depth)])
    }

    fn lock_links(&mut self) -> Result<(), StoreError> {
        // `BEGIN IMMEDIATE` on an exclusive connection: no other transaction runs meanwhile.
        Ok(())
    }

    fn invite(&mut self, token_id: &str) -> Result<Option<InviteRecord>, StoreError> {
        Ok(self.invites(rows::INVITE, token_id)?.into_iter().next())
    }

    fn invites_of(&mut self, issuer: &UserId) -> Result<Vec<InviteRecord>, StoreError> {
        self.invites(rows::INVITES_OF_ISSUER, issuer.as_str())
    }

    fn invites_in(&mut self, group: &GroupId) -> Result<Vec<InviteRecord>, StoreError> {
        self.invites(rows::INVITES_IN_GROUP, group.as_str())
    }

    fn open_invites_of(
        &mut self,
        issuer: &UserId,
        now: u64,
        at_most: u64,
    ) -> Result<u64, StoreError> {
        let (now, at_most) = (rows::signed(now)?, rows::signed(at_most.min(i64::MAX as u64))?);
        let n = self
            .0
            .query_row(rows::OPEN_INVITES_OF, params![issuer.as_str(), now, at_most], |r| r.get(0))
            .map_err(failed)?;
        rows::unsigned(n)
    }

    fn set_revoked(&mut self, token_id: &str, revoked: bool) -> Result<bool, StoreError> {
        self.exists_changed(rows::SET_REVOKED, params![revoked, token_id])
    }

    fn delete_invite(&mut self, token_id: &str) -> Result<bool, StoreError> {
        self.exists_changed(rows::DELETE_INVITE, [token_id])
    }

    fn insert_invite(&mut self, record: &InviteRecord) -> Result<(), StoreError> {
        self.0
            .execute(
                rows::INSERT_INVITE,
                params![
                    record.token_id,
                    record.secret.expose(),
                    record.group_id.as_str(),
                    record.issuer.as_str(),
                    rows::target_code(record.target),
                    rows::usage_limit_column(record.usage_limit)?,
                    rows::signed(record.usage_count)?,
                    record.privileges.bits(),
                    rows::signed(record.created_at)?,
                    rows::signed(record.valid_until)?,
                    record.revoked,
                ],
            )
            .map(drop)
            .map_err(failed)
    }

    fn use_token(&mut self, token_use: &TokenUse) -> Result<bool, StoreError> {
        self.exists_changed(rows::USE_TOKEN, [&token_use.token_id])
    }

    fn invite_count(&mut self) -> Result<u64, StoreError> {
        self.count(rows::INVITE_COUNT)
    }
}

fn locked_or(path: &Path, what: &str, e: rusqlite::Error) -> String {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
        || e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseLocked)
    {
        format!(
            "{}: the database is in use by another process (is a server already running on it?)",
            path.display()
        )
    } else {
        format!("{}: {what}: {e}", path.display())
    }
}

/// Creates the file if it does not exist, readable and writable by its owner only: it holds
/// password hashes and the secrets of the invite tokens.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}
