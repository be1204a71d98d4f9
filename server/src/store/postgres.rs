//! The PostgreSQL backend: one database shared by any number of server processes.
//!
//! Nothing is cached between requests: every request reads what it needs in its own
//! transaction (`READ COMMITTED`), so every instance sees every committed change. What must be
//! exactly-once is a conditional write the database arbitrates: a token's use
//! (`UPDATE ... WHERE usage_count < usage_limit`, which a concurrent updater re-checks after the
//! first commits), a membership or a link (`INSERT ... ON CONFLICT DO NOTHING` on the primary
//! key). A new child link locks the links table for the rest of its transaction, so that two
//! links cannot close a cycle together. A quota check locks the user first (a transaction-scoped
//! advisory lock), so that one user's requests at the limit take turns: without it, sixteen
//! simultaneous group creations against a quota of 5 stored 12, and 16 invites 10
//! (`instances.sh`). Both locks are the library's (`storage::Dialect::Postgres`).
//!
//! Connections come from an `r2d2` pool (`r2d2_postgres`: the sync client this backend runs on
//! blocking threads, as SQLite requests are; deadpool-postgres would need the async client and
//! an async store). A connection that failed is dropped rather than reused; while the database is
//! away a request answers 503 (after at most [`CONNECT_TIMEOUT`] waiting for a connection), and
//! the pool reconnects when it comes back.

use std::time::Duration;

use onezone_tokens::storage::Dialect;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls, Transaction};
use r2d2_postgres::PostgresConnectionManager;

use super::tx::{Column, Driver, Param, Row};
use super::{SCHEMA_VERSION, StoreError, Tx, create_schema, redact_url};

/// Connections the pool opens at most (each instance; `pg.sh` allows 200 in all).
const POOL_SIZE: u32 = 32;

/// How long a request waits for a connection before answering 503: the database is away, or
/// all [`POOL_SIZE`] connections are busy that long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// The open database.
pub struct PgStore {
    pool: r2d2::Pool<PostgresConnectionManager<NoTls>>,
}

/// Whether `e` means the connection (or the server) is gone, rather than a failed statement.
fn unavailable(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        None => true, // an I/O or protocol error: no answer from the server
        Some(code) => {
            code.code().starts_with("08") // connection exception
                || *code == SqlState::ADMIN_SHUTDOWN
                || *code == SqlState::CRASH_SHUTDOWN
                || *code == SqlState::CANNOT_CONNECT_NOW
        }
    }
}

fn classify(e: &postgres::Error) -> StoreError {
    if unavailable(e) {
        StoreError::Unavailable(e.to_string())
    } else {
        StoreError::Failed(e.to_string())
    }
}

impl PgStore {
    /// Connects and creates the schema if the database has none (one instance at a time).
    ///
    /// # Errors
    /// One line naming the database without its password.
    pub fn open(url: &str) -> Result<PgStore, String> {
        let shown = redact_url(url);
        let config: postgres::Config =
            url.parse().map_err(|e| format!("{shown}: not a valid PostgreSQL URL: {e}"))?;
        // One connection first, so that a database that cannot be reached says why at once.
        let mut client =
            config.connect(NoTls).map_err(|e| format!("{shown}: cannot connect: {e}"))?;
        migrate(&mut client).map_err(|e| format!("{shown}: cannot set up the schema: {e}"))?;
        drop(client);
        let pool = r2d2::Pool::builder()
            .max_size(POOL_SIZE)
            .min_idle(Some(1))
            .connection_timeout(CONNECT_TIMEOUT)
            // No round trip before each request: a connection that turns out dead fails its
            // request (503) and is dropped (`has_broken`: the client is closed).
            .test_on_check_out(false)
            .build_unchecked(PostgresConnectionManager::new(config, NoTls));
        Ok(PgStore { pool })
    }

    /// See [`super::Store::write`].
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut client = self.pool.get().map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let tx = client.transaction().map_err(|e| classify(&e))?;
        let mut t = PgTx { tx, broken: None };
        let value = f(&mut t)?;
        if let Some(e) = t.broken {
            return Err(e.into());
        }
        // A failed statement aborts the transaction, which is rolled back when dropped; the
        // connection goes back to the pool unless it is closed.
        t.tx.commit().map_err(|e| classify(&e))?;
        Ok(value)
    }
}

fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let fail = |e: postgres::Error| StoreError::Failed(e.to_string());
    let mut tx = client.transaction().map_err(fail)?;
    // Instances starting together on a new database take turns here.
    tx.execute("SELECT pg_advisory_xact_lock(7240001)", &[]).map_err(fail)?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        .map_err(fail)?;
    let version: Option<String> = tx
        .query_opt("SELECT value FROM meta WHERE key = 'schema'", &[])
        .map_err(fail)?
        .map(|r| r.get(0));
    if version.as_deref() != Some(SCHEMA_VERSION.to_string().as_str()) {
        create_schema(&mut |sql| tx.batch_execute(sql).map_err(fail))?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('schema', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&SCHEMA_VERSION.to_string()],
        )
        .map_err(fail)?;
    }
    tx.commit().map_err(fail)
}

/// One open transaction: the PostgreSQL side of the driver seam. `broken` keeps the first
/// connection-level failure, so that the request answers 503 even if its closure mapped the
/// error to something else.
struct PgTx<'c> {
    tx: Transaction<'c>,
    broken: Option<StoreError>,
}

impl PgTx<'_> {
    fn fail(&mut self, e: &postgres::Error) -> StoreError {
        let error = classify(e);
        if matches!(error, StoreError::Unavailable(_)) && self.broken.is_none() {
            self.broken = Some(error.clone());
        }
        error
    }
}

/// The parameters as the client binds them: exactly the contract's Rust types (every integer
/// an `i64`, which the statements cast to `BIGINT`).
fn bind<'p>(params: &'p [Param<'p>]) -> Vec<&'p (dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| -> &(dyn ToSql + Sync) {
            match p {
                Param::Text(t) => t,
                Param::OptText(t) => t,
                Param::Int(n) => n,
                Param::OptInt(n) => n,
                Param::Bytes(b) => b,
                Param::Bool(b) => b,
            }
        })
        .collect()
}

fn column(row: &postgres::Row, i: usize) -> Result<Column, postgres::Error> {
    let ty = row.columns().get(i).map(|c| c.type_().clone());
    Ok(match ty {
        Some(Type::INT8) => row.try_get::<_, Option<i64>>(i)?.map_or(Column::Null, Column::Int),
        Some(Type::TEXT) => row.try_get::<_, Option<String>>(i)?.map_or(Column::Null, Column::Text),
        Some(Type::BYTEA) => {
            row.try_get::<_, Option<Vec<u8>>>(i)?.map_or(Column::Null, Column::Bytes)
        }
        Some(Type::BOOL) => row.try_get::<_, Option<bool>>(i)?.map_or(Column::Null, Column::Bool),
        // A column of another type (an `int4` the contract should have cast): fails as a
        // wrong type, naming it.
        _ => row.try_get::<_, Option<i64>>(i)?.map_or(Column::Null, Column::Int),
    })
}

impl Driver for PgTx<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        match self.tx.execute(sql, &bind(params)) {
            Ok(n) => Ok(n),
            Err(e) => Err(self.fail(&e)),
        }
    }

    fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let rows = match self.tx.query(sql, &bind(params)) {
            Ok(rows) => rows,
            Err(e) => return Err(self.fail(&e)),
        };
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| column(row, i))
                    .collect::<Result<Row, _>>()
                    .map_err(|e| StoreError::Corrupt(format!("column ({e})")))
            })
            .collect()
    }
}
