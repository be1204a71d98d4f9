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

use onezone_tokens::group::Directory;
use onezone_tokens::invite::InviteRecord;
use onezone_tokens::storage::Dialect;
use rusqlite::ToSql;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::tx::{Column, Driver, Param, Row};
use super::{SCHEMA_VERSION, StoreError, Tx, create_schema};

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
    let mut batch = |sql: &str| tx.execute_batch(sql).map_err(failed);
    match version.as_deref() {
        None => create_schema(&mut batch)?,
        Some("1") => {
            create_schema(&mut batch)?;
            migrate_from_1(tx)?;
        }
        // Version 3 adds the tables of the token API; nothing of version 2 changes.
        Some("2") => batch(onezone_tokens::storage::TOKENS_SCHEMA)?,
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

/// One open transaction: the SQLite side of the driver seam.
struct SqliteTx<'t>(&'t Transaction<'t>);

/// A parameter as SQLite binds it, borrowed (no copy of a text or a blob).
impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match *self {
            Param::Text(t) | Param::OptText(Some(t)) => ValueRef::Text(t.as_bytes()),
            Param::Int(n) | Param::OptInt(Some(n)) => ValueRef::Integer(n),
            Param::OptText(None) | Param::OptInt(None) => ValueRef::Null,
            Param::Bytes(b) => ValueRef::Blob(b),
            Param::Bool(b) => ValueRef::Integer(i64::from(b)),
        }))
    }
}

impl Driver for SqliteTx<'_> {
    fn dialect(&self) -> Dialect {
        // Every transaction is `BEGIN IMMEDIATE` on an exclusive connection: no lock statement.
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let params = rusqlite::params_from_iter(params);
        let mut statement = self.0.prepare(sql).map_err(failed)?;
        statement.execute(params).map(|n| n as u64).map_err(failed)
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let mut statement = self.0.prepare(sql).map_err(failed)?;
        let columns = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(params)).map_err(failed)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            let mut columns_of_row = Vec::with_capacity(columns);
            for i in 0..columns {
                columns_of_row.push(match row.get_ref(i).map_err(failed)? {
                    ValueRef::Null => Column::Null,
                    ValueRef::Integer(n) => Column::Int(n),
                    ValueRef::Text(t) => Column::Text(
                        String::from_utf8(t.to_vec())
                            .map_err(|_| StoreError::Corrupt("text column".to_owned()))?,
                    ),
                    ValueRef::Blob(b) => Column::Bytes(b.to_vec()),
                    ValueRef::Real(_) => {
                        return Err(StoreError::Corrupt("a REAL column".to_owned()));
                    }
                });
            }
            out.push(columns_of_row);
        }
        Ok(out)
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

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    /// Every table's columns (name, type, not null, default, key) and every index, as SQLite
    /// reports them: what statements see, whatever the comments of the text that made them.
    fn shape(conn: &Connection) -> Vec<String> {
        let mut out = Vec::new();
        let mut tables = conn
            .prepare("SELECT type, name, tbl_name FROM sqlite_master ORDER BY type, name")
            .unwrap();
        let objects: Vec<(String, String, String)> = tables
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for (kind, name, table) in objects {
            out.push(format!("{kind} {name} on {table}"));
            let pragma = if kind == "table" { "table_info" } else { "index_info" };
            let mut columns = conn.prepare(&format!("PRAGMA {pragma}({name})")).unwrap();
            let n = columns.column_count();
            let rows = columns
                .query_map([], |r| {
                    (0..n)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
                        .collect::<Result<Vec<_>, _>>()
                })
                .unwrap();
            for row in rows {
                out.push(format!("  {}", row.unwrap().join(" ")));
            }
        }
        out
    }

    /// A version-2 database made before the schema moved into the library has exactly the
    /// tables, columns and indexes that version 2 makes now: the server opens it as it is.
    #[test]
    fn version_2_is_the_same_schema_as_before_the_library_held_it() {
        let before = Connection::open_in_memory().unwrap();
        let old = include_str!("../../tests/fixtures/schema_v2_before_storage_contract.sql");
        before.execute_batch(old).unwrap();
        let now = Connection::open_in_memory().unwrap();
        crate::store::create_schema_v2(&mut |sql| now.execute_batch(sql).map_err(super::failed))
            .unwrap();
        assert_eq!(shape(&now), shape(&before));
        assert!(shape(&now).len() > 20, "{:?}", shape(&now));
    }

    /// A version-2 database (made before the token API) opens as version 3: its rows stay,
    /// the token tables are added, and the version says 3; opening it again changes nothing.
    #[test]
    fn version_2_migrates_to_3() {
        let dir = std::env::temp_dir().join(format!("onezone_v2_to_v3_{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("v2.db");
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(include_str!(
                "../../tests/fixtures/schema_v2_before_storage_contract.sql"
            ))
            .unwrap();
            old.execute_batch(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                 INSERT INTO meta VALUES ('schema', '2');
                 INSERT INTO groups VALUES ('g1', 'Lab', 'team', 'alice');",
            )
            .unwrap();
        }
        for _ in 0..2 {
            let store = super::SqliteStore::open(&path, super::Durability::Full).unwrap();
            let conn = store.lock();
            let version: String = conn
                .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, "3");
            let tables: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'
                     AND name IN ('named_tokens', 'temporary_token_generations')",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(tables, 2);
            let name: String = conn.query_row("SELECT name FROM groups", [], |r| r.get(0)).unwrap();
            assert_eq!(name, "Lab");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
