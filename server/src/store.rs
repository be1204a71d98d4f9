//! The state of the server in one SQLite file: users (with their password hashes), the group
//! [`Directory`] (one serde JSON row) and the invite records (one row per token id).
//!
//! Every request runs in one transaction: [`Store::write`] takes the process-wide connection
//! lock, `BEGIN IMMEDIATE`, hands the closure the directory and the open transaction, writes the
//! directory back if the closure changed it, and commits; any error rolls everything back.
//!
//! The connection holds SQLite's exclusive lock for the life of the process
//! (`locking_mode = EXCLUSIVE`): no other process reads or writes the file meanwhile (a second
//! server on the same file refuses to start). That is what makes the in-memory copy of the
//! directory sound: every change to the file goes through this process, under the lock, and the
//! copy is replaced only by what was committed (or reloaded from the file after a failure).

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use onezone_tokens::group::Directory;
use onezone_tokens::invite::InviteRecord;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::error::Failure;

/// How durable a commit is (`PRAGMA synchronous` in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `FULL`: every commit is on disk before the answer (the default). A used token stays used
    /// across a power loss.
    #[default]
    Full,
    /// `NORMAL`: a commit survives a crash of the server, not a power loss of the machine.
    Normal,
}

/// The database: one connection behind a process-wide lock, and the directory it holds.
pub struct Store {
    inner: Mutex<Inner>,
}

struct Inner {
    conn: Connection,
    /// The committed directory; `None` when it must be read again from the file.
    directory: Option<Directory>,
}

/// What a [`Store::write`] closure works on: the open transaction and the directory.
pub struct Tx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    directory: &'a mut Directory,
    changed: bool,
}

const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS directory (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS invites (
    token_id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    record   TEXT NOT NULL
);
";

/// Why the database could not be opened.
#[derive(Debug)]
pub struct OpenError(String);

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OpenError {}

fn open_error(path: &Path, what: &str, e: impl std::fmt::Display) -> OpenError {
    OpenError(format!("{}: {what}: {e}", path.display()))
}

impl Store {
    /// Opens (or creates, readable by its owner only) the database file and takes its exclusive
    /// lock.
    ///
    /// # Errors
    /// If the file cannot be created or opened, is not a database of this server, or another
    /// process holds it.
    pub fn open(path: &Path, durability: Durability) -> Result<Store, OpenError> {
        create_private(path).map_err(|e| open_error(path, "cannot create the database", e))?;
        let conn = Connection::open(path).map_err(|e| open_error(path, "cannot open", e))?;
        let setup = |conn: &Connection| -> rusqlite::Result<()> {
            // Fail at once rather than wait for a lock another server holds.
            conn.busy_timeout(Duration::from_millis(0))?;
            conn.pragma_update(None, "locking_mode", "EXCLUSIVE")?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            let sync = match durability {
                Durability::Full => "FULL",
                Durability::Normal => "NORMAL",
            };
            conn.pragma_update(None, "synchronous", sync)?;
            Ok(())
        };
        setup(&conn).map_err(|e| locked_or(path, "cannot configure", e))?;
        let mut conn = conn;
        {
            // An immediate transaction takes (and, in exclusive mode, keeps) the write lock.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| locked_or(path, "cannot lock", e))?;
            tx.execute_batch(SCHEMA).map_err(|e| open_error(path, "cannot create tables", e))?;
            let version: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| r.get(0))
                .optional()
                .map_err(|e| open_error(path, "cannot read the schema version", e))?;
            match version {
                None => {
                    tx.execute(
                        "INSERT INTO meta (key, value) VALUES ('schema', ?1)",
                        [SCHEMA_VERSION.to_string()],
                    )
                    .map_err(|e| open_error(path, "cannot write the schema version", e))?;
                }
                Some(v) if v == SCHEMA_VERSION.to_string() => {}
                Some(v) => {
                    return Err(OpenError(format!(
                        "{}: schema version {v}, this server knows {SCHEMA_VERSION}",
                        path.display()
                    )));
                }
            }
            tx.commit().map_err(|e| open_error(path, "cannot commit", e))?;
        }
        let store = Store { inner: Mutex::new(Inner { conn, directory: None }) };
        // Read the directory now: a corrupt one stops the start, not the first request.
        store
            .read(|_| Ok(()))
            .map_err(|e| OpenError(format!("{}: {}", path.display(), e.message())))?;
        Ok(store)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => {
                // A request panicked while holding the lock: its transaction was rolled back
                // when it unwound, but the copy of the directory may hold a partial change.
                let mut guard = poisoned.into_inner();
                guard.directory = None;
                self.inner.clear_poison();
                guard
            }
        }
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction and commits if it returns `Ok`: the
    /// directory is written back if `f` changed it ([`Tx::change`]). On an error nothing
    /// is committed and the directory is as before.
    ///
    /// # Errors
    /// `f`'s error, or 500 if the database fails.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let tx =
            inner.conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
        if inner.directory.is_none() {
            inner.directory = Some(load_directory(&tx)?);
        }
        let Some(directory) = inner.directory.as_mut() else {
            return Err(Failure::internal("the directory is not loaded"));
        };
        let mut t = Tx { tx: &tx, directory, changed: false };
        let outcome = f(&mut t).and_then(|value| {
            if t.changed {
                let json = serde_json::to_string(&*t.directory)
                    .map_err(|e| Failure::internal(format!("cannot write the directory: {e}")))?;
                tx.execute(
                    "INSERT INTO directory (id, json) VALUES (1, ?1)
                     ON CONFLICT (id) DO UPDATE SET json = excluded.json",
                    [json],
                )
                .map_err(db)?;
            }
            Ok(value)
        });
        let changed = t.changed;
        let committed = outcome.and_then(|value| tx.commit().map(|()| value).map_err(db));
        if committed.is_err() && changed {
            // The file was rolled back; the copy may not have been: read it again next time.
            inner.directory = None;
        }
        committed
    }

    /// Runs `f` on the committed directory, under the same lock (a consistent snapshot).
    ///
    /// # Errors
    /// `f`'s error, or 500 if the directory cannot be read.
    pub fn read<T>(&self, f: impl FnOnce(&Directory) -> Result<T, Failure>) -> Result<T, Failure> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        if inner.directory.is_none() {
            let tx =
                inner.conn.transaction_with_behavior(TransactionBehavior::Deferred).map_err(db)?;
            let directory = load_directory(&tx)?;
            tx.commit().map_err(db)?;
            inner.directory = Some(directory);
        }
        match inner.directory.as_ref() {
            Some(directory) => f(directory),
            None => Err(Failure::internal("the directory is not loaded")),
        }
    }

    /// Sets `name`'s password hash (creating the user).
    ///
    /// # Errors
    /// 500 if the database fails.
    pub fn set_user(&self, name: &str, password_hash: &str) -> Result<(), Failure> {
        self.write(|tx| {
            tx.tx
                .execute(
                    "INSERT INTO users (name, password_hash) VALUES (?1, ?2)
                     ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
                    params![name, password_hash],
                )
                .map_err(db)?;
            Ok(())
        })
    }

    /// Every user and its password hash.
    ///
    /// # Errors
    /// 500 if the database fails.
    pub fn users(&self) -> Result<Vec<(String, String)>, Failure> {
        self.write(|tx| {
            let mut stmt =
                tx.tx.prepare("SELECT name, password_hash FROM users ORDER BY name").map_err(db)?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(db)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db)
        })
    }
}

impl Tx<'_> {
    /// The directory as committed so far.
    pub fn directory(&self) -> &Directory {
        self.directory
    }

    /// Runs one operation of the library on the directory; if it succeeds, the directory is
    /// written back when the transaction commits. This relies on the library's promise that a
    /// refused operation changes nothing (`DirectoryError`, `join_group_with_token`, ...): a
    /// refusal then costs no reload of the directory.
    pub fn change<T, E>(&mut self, f: impl FnOnce(&mut Directory) -> Result<T, E>) -> Result<T, E> {
        let outcome = f(self.directory);
        if outcome.is_ok() {
            self.changed = true;
        }
        outcome
    }

    /// The stored record of this token id.
    ///
    /// # Errors
    /// 500 if the database fails or the row does not read.
    pub fn invite(&self, token_id: &str) -> Result<Option<InviteRecord>, Failure> {
        let json: Option<String> = self
            .tx
            .query_row("SELECT record FROM invites WHERE token_id = ?1", [token_id], |r| r.get(0))
            .optional()
            .map_err(db)?;
        json.map(|json| {
            serde_json::from_str(&json)
                .map_err(|e| Failure::internal(format!("cannot read an invite record: {e}")))
        })
        .transpose()
    }

    /// Stores a record (a new one, or a changed one under the same token id).
    ///
    /// # Errors
    /// 500 if the database fails.
    pub fn put_invite(&self, record: &InviteRecord) -> Result<(), Failure> {
        let json = serde_json::to_string(record)
            .map_err(|e| Failure::internal(format!("cannot write an invite record: {e}")))?;
        self.tx
            .execute(
                "INSERT INTO invites (token_id, group_id, record) VALUES (?1, ?2, ?3)
                 ON CONFLICT (token_id) DO UPDATE SET record = excluded.record",
                params![record.token_id, record.group_id.as_str(), json],
            )
            .map_err(db)?;
        Ok(())
    }

    /// The number of stored invite records.
    ///
    /// # Errors
    /// 500 if the database fails.
    pub fn invite_count(&self) -> Result<u64, Failure> {
        let count: i64 =
            self.tx.query_row("SELECT COUNT(*) FROM invites", [], |r| r.get(0)).map_err(db)?;
        u64::try_from(count).map_err(|_| Failure::internal("a negative count"))
    }
}

fn load_directory(tx: &rusqlite::Transaction<'_>) -> Result<Directory, Failure> {
    let json: Option<String> = tx
        .query_row("SELECT json FROM directory WHERE id = 1", [], |r| r.get(0))
        .optional()
        .map_err(db)?;
    match json {
        None => Ok(Directory::new()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| Failure::internal(format!("cannot read the group directory: {e}"))),
    }
}

fn db(e: rusqlite::Error) -> Failure {
    Failure::internal(format!("database error: {e}"))
}

fn locked_or(path: &Path, what: &str, e: rusqlite::Error) -> OpenError {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
        || e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseLocked)
    {
        OpenError(format!(
            "{}: the database is in use by another process (is a server already running on it?)",
            path.display()
        ))
    } else {
        open_error(path, what, e)
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
