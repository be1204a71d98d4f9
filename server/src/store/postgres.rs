//! The PostgreSQL backend: one database shared by any number of server processes.
//!
//! Nothing is cached between requests: every request reads what it needs in its own
//! transaction (`READ COMMITTED`), so every instance sees every committed change. What must be
//! exactly-once is a conditional write the database arbitrates: a token's use
//! (`UPDATE ... WHERE usage_count < usage_limit`, which a concurrent updater re-checks after the
//! first commits), a membership or a link (`INSERT ... ON CONFLICT DO NOTHING` on the primary
//! key). A new child link locks the links table for the rest of its transaction, so that two
//! links cannot close a cycle together. A quota check locks the user's row (`FOR UPDATE`) before
//! it counts, so that one user's requests at the limit take turns: without it, sixteen
//! simultaneous group creations against a quota of 5 stored 12, and 16 invites 10
//! (`instances.sh`).
//!
//! Connections come from a small pool that drops a connection as soon as it fails; while the
//! database is away a request answers 503, and the next one after it comes back reconnects.

use std::sync::Mutex;

use onezone_tokens::group::{
    ChildRow, EFFECTIVE_PRIVILEGES_SQL, Group, GroupId, LINK_SHAPE_SQL, MembershipRow,
    PrivilegeSet, UserId,
};
use onezone_tokens::invite::{InviteRecord, TokenUse};
use postgres::error::SqlState;
use postgres::{Client, NoTls, Transaction};

use super::rows::{self, InviteRow};
use super::{SCHEMA, SCHEMA_VERSION, StoreError, Tx, redact_url};

/// Connections kept open between requests.
const POOL_SIZE: usize = 16;

/// The open database.
pub struct PgStore {
    config: postgres::Config,
    idle: Mutex<Vec<Client>>,
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

fn depth(max_depth: usize) -> i32 {
    i32::try_from(max_depth).unwrap_or(i32::MAX)
}

fn bits(privileges: PrivilegeSet) -> i32 {
    // `PrivilegeSet::bits` stays below `1 << 29`: it fits an INTEGER.
    i32::try_from(privileges.bits()).unwrap_or(i32::MAX)
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
        let mut client =
            config.connect(NoTls).map_err(|e| format!("{shown}: cannot connect: {e}"))?;
        migrate(&mut client).map_err(|e| format!("{shown}: cannot set up the schema: {e}"))?;
        Ok(PgStore { config, idle: Mutex::new(vec![client]) })
    }

    fn take(&self) -> Result<Client, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(client) if !client.is_closed() => Ok(client),
            _ => self.config.connect(NoTls).map_err(|e| StoreError::Unavailable(e.to_string())),
        }
    }

    fn give_back(&self, client: Client) {
        if client.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < POOL_SIZE
        {
            idle.push(client);
        }
    }

    /// See [`super::Store::write`].
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut client = self.take()?;
        let outcome = (|| {
            let tx = client.transaction().map_err(|e| classify(&e))?;
            let mut t = PgTx { tx, broken: None };
            let value = f(&mut t)?;
            if let Some(e) = t.broken {
                return Err(e.into());
            }
            t.tx.commit().map_err(|e| classify(&e))?;
            Ok(value)
        })();
        // A failed statement aborts the transaction, which is rolled back when dropped; the
        // connection is kept unless it is gone.
        self.give_back(client);
        outcome
    }
}

fn migrate(client: &mut Client) -> Result<(), postgres::Error> {
    let mut tx = client.transaction()?;
    // Instances starting together on a new database take turns here.
    tx.execute("SELECT pg_advisory_xact_lock(7240001)", &[])?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    )?;
    let version: Option<String> =
        tx.query_opt("SELECT value FROM meta WHERE key = 'schema'", &[])?.map(|r| r.get(0));
    if version.as_deref() != Some(SCHEMA_VERSION.to_string().as_str()) {
        tx.batch_execute(SCHEMA)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('schema', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&SCHEMA_VERSION.to_string()],
        )?;
    }
    tx.commit()
}

/// One open transaction. `broken` keeps the first connection-level failure, so that the request
/// answers 503 even if its closure mapped the error to something else.
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

    fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, StoreError> {
        match self.tx.query(sql, params) {
            Ok(rows) => Ok(rows),
            Err(e) => Err(self.fail(&e)),
        }
    }

    fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Option<postgres::Row>, StoreError> {
        match self.tx.query_opt(sql, params) {
            Ok(row) => Ok(row),
            Err(e) => Err(self.fail(&e)),
        }
    }

    fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        match self.tx.execute(sql, params) {
            Ok(n) => Ok(n),
            Err(e) => Err(self.fail(&e)),
        }
    }

    fn get<'r, T: postgres::types::FromSql<'r>>(
        row: &'r postgres::Row,
        i: usize,
    ) -> Result<T, StoreError> {
        row.try_get(i).map_err(|e| StoreError::Corrupt(format!("column ({e})")))
    }

    fn ids<T>(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
        id: impl Fn(String) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        self.query(sql, params)?.iter().map(|row| id(Self::get(row, 0)?)).collect()
    }

    fn invites(&mut self, sql: &str, key: &str) -> Result<Vec<InviteRecord>, StoreError> {
        self.query(sql, &[&key])?
            .iter()
            .map(|r| {
                InviteRow {
                    token_id: Self::get(r, 0)?,
                    secret: Self::get(r, 1)?,
                    group_id: Self::get(r, 2)?,
                    issuer: Self::get(r, 3)?,
                    target: Self::get(r, 4)?,
                    usage_limit: Self::get(r, 5)?,
                    usage_count: Self::get(r, 6)?,
                    privileges: i64::from(Self::get::<i32>(r, 7)?),
                    created_at: Self::get(r, 8)?,
                    valid_until: Self::get(r, 9)?,
                    revoked: Self::get(r, 10)?,
                }
                .into_record()
            })
            .collect()
    }

    fn count(&mut self, sql: &str) -> Result<u64, StoreError> {
        let rows = self.query(sql, &[])?;
        let n: i64 = rows.first().map(|r| Self::get(r, 0)).transpose()?.unwrap_or(0);
        rows::unsigned(n)
    }
}

impl Tx for PgTx<'_> {
    fn user_hash(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        self.query_opt(rows::USER_HASH, &[&name])?.map(|r| Self::get(&r, 0)).transpose()
    }

    fn set_user(&mut self, name: &str, hash: &str) -> Result<(), StoreError> {
        self.execute(rows::SET_USER, &[&name, &hash]).map(drop)
    }

    fn user_count(&mut self) -> Result<u64, StoreError> {
        self.count(rows::USER_COUNT)
    }

    fn group(&mut self, id: &GroupId) -> Result<Option<Group>, StoreError> {
        let Some(row) = self.query_opt(rows::GROUP, &[&id.as_str()])? else { return Ok(None) };
        let group_type: String = Self::get(&row, 1)?;
        rows::group(id, Self::get(&row, 0)?, &group_type).map(Some)
    }

    fn insert_group(
        &mut self,
        group: &Group,
        creator: Option<&UserId>,
    ) -> Result<bool, StoreError> {
        let kind = group.group_type.to_string();
        let creator = creator.map(UserId::as_str);
        let n =
            self.execute(rows::INSERT_GROUP, &[&group.id.as_str(), &group.name, &kind, &creator])?;
        Ok(n == 1)
    }

    fn groups_created_by(&mut self, user: &UserId, at_most: u64) -> Result<u64, StoreError> {
        let at_most = rows::signed(at_most.min(i64::MAX as u64))?;
        self.query(rows::LOCK_USER, &[&user.as_str()])?;
        let rows = self.query(rows::GROUPS_CREATED_BY, &[&user.as_str(), &at_most])?;
        let n: i64 = rows.first().map(|r| Self::get(r, 0)).transpose()?.unwrap_or(0);
        rows::unsigned(n)
    }

    fn membership(
        &mut self,
        group: &GroupId,
        user: &UserId,
    ) -> Result<Option<PrivilegeSet>, StoreError> {
        let row = self.query_opt(rows::MEMBERSHIP, &[&group.as_str(), &user.as_str()])?;
        row.map(|r| rows::privileges(i64::from(Self::get::<i32>(&r, 0)?))).transpose()
    }

    fn insert_membership(
        &mut self,
        group: &GroupId,
        user: &UserId,
        privileges: PrivilegeSet,
    ) -> Result<bool, StoreError> {
        let n = self.execute(
            rows::INSERT_MEMBERSHIP,
            &[&group.as_str(), &user.as_str(), &bits(privileges)],
        )?;
        Ok(n == 1)
    }

    fn update_membership(
        &mut self,
        group: &GroupId,
        user: &UserId,
        privileges: PrivilegeSet,
    ) -> Result<(), StoreError> {
        self.execute(rows::UPDATE_MEMBERSHIP, &[&bits(privileges), &group.as_str(), &user.as_str()])
            .map(drop)
    }

    fn members(&mut self, group: &GroupId) -> Result<Vec<UserId>, StoreError> {
        self.ids(rows::MEMBERS, &[&group.as_str()], rows::user_id)
    }

    fn effective_members(
        &mut self,
        group: &GroupId,
        max_depth: usize,
    ) -> Result<Vec<UserId>, StoreError> {
        self.ids(rows::EFFECTIVE_MEMBERS, &[&group.as_str(), &depth(max_depth)], rows::user_id)
    }

    fn privilege_rows(
        &mut self,
        user: &UserId,
        group: &GroupId,
        max_depth: usize,
    ) -> Result<(Vec<MembershipRow>, Vec<ChildRow>), StoreError> {
        let result = self.query(
            EFFECTIVE_PRIVILEGES_SQL,
            &[&user.as_str(), &group.as_str(), &depth(max_depth)],
        )?;
        let (mut memberships, mut links) = (Vec::new(), Vec::new());
        for row in &result {
            let child: String = Self::get(row, 0)?;
            let parent: Option<String> = Self::get(row, 1)?;
            let bits = i64::from(Self::get::<i32>(row, 2)?);
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
        let row = self.query_opt(rows::CHILD_LINK, &[&parent.as_str(), &child.as_str()])?;
        row.map(|r| rows::privileges(i64::from(Self::get::<i32>(&r, 0)?))).transpose()
    }

    fn insert_child_link(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        privileges: PrivilegeSet,
    ) -> Result<bool, StoreError> {
        let n = self.execute(
            rows::INSERT_CHILD_LINK,
            &[&parent.as_str(), &child.as_str(), &bits(privileges)],
        )?;
        Ok(n == 1)
    }

    fn update_child_link(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        privileges: PrivilegeSet,
    ) -> Result<(), StoreError> {
        self.execute(
            rows::UPDATE_CHILD_LINK,
            &[&bits(privileges), &parent.as_str(), &child.as_str()],
        )
        .map(drop)
    }

    fn children(&mut self, group: &GroupId) -> Result<Vec<GroupId>, StoreError> {
        self.ids(rows::CHILDREN, &[&group.as_str()], rows::group_id)
    }

    fn parents(&mut self, group: &GroupId) -> Result<Vec<GroupId>, StoreError> {
        self.ids(rows::PARENTS, &[&group.as_str()], rows::group_id)
    }

    fn link_rows(
        &mut self,
        parent: &GroupId,
        child: &GroupId,
        max_depth: usize,
    ) -> Result<Vec<ChildRow>, StoreError> {
        let result =
            self.query(LINK_SHAPE_SQL, &[&parent.as_str(), &child.as_str(), &depth(max_depth)])?;
        result
            .iter()
            .map(|row| {
                let bits = i64::from(Self::get::<i32>(row, 2)?);
                rows::child_row(Self::get(row, 0)?, Self::get(row, 1)?, bits)
            })
            .collect()
    }

    fn lock_links(&mut self) -> Result<(), StoreError> {
        // Readers go on; another link (or this lock) waits until this transaction ends.
        self.execute("LOCK TABLE group_children IN SHARE ROW EXCLUSIVE MODE", &[]).map(drop)
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
        self.query(rows::LOCK_USER, &[&issuer.as_str()])?;
        let rows = self.query(rows::OPEN_INVITES_OF, &[&issuer.as_str(), &now, &at_most])?;
        let n: i64 = rows.first().map(|r| Self::get(r, 0)).transpose()?.unwrap_or(0);
        rows::unsigned(n)
    }

    fn set_revoked(&mut self, token_id: &str, revoked: bool) -> Result<bool, StoreError> {
        Ok(self.execute(rows::SET_REVOKED, &[&revoked, &token_id])? == 1)
    }

    fn delete_invite(&mut self, token_id: &str) -> Result<bool, StoreError> {
        Ok(self.execute(rows::DELETE_INVITE, &[&token_id])? == 1)
    }

    fn insert_invite(&mut self, record: &InviteRecord) -> Result<(), StoreError> {
        let usage_limit = rows::usage_limit_column(record.usage_limit)?;
        let (count, created, until) = (
            rows::signed(record.usage_count)?,
            rows::signed(record.created_at)?,
            rows::signed(record.valid_until)?,
        );
        self.execute(
            rows::INSERT_INVITE,
            &[
                &record.token_id,
                &record.secret.expose(),
                &record.group_id.as_str(),
                &record.issuer.as_str(),
                &rows::target_code(record.target),
                &usage_limit,
                &count,
                &bits(record.privileges),
                &created,
                &until,
                &record.revoked,
            ],
        )
        .map(drop)
    }

    fn use_token(&mut self, token_use: &TokenUse) -> Result<bool, StoreError> {
        Ok(self.execute(rows::USE_TOKEN, &[&token_use.token_id])? == 1)
    }

    fn invite_count(&mut self) -> Result<u64, StoreError> {
        self.count(rows::INVITE_COUNT)
    }
}
