//! A server's storage in normalized SQLite tables, and its request handlers: how a server that
//! keeps groups and invite records in its own database embeds the crate, using only its public
//! API. Every handler reads the facts one request needs, asks the library for the decision, and
//! writes what the decision says inside one transaction.
//!
//! `tests/rows.rs` runs these same handlers against `Directory` on random graphs.

use onezone_tokens::group::{
    ChildRow, DirectoryLimits, EFFECTIVE_PRIVILEGES_SQL, GroupId, GroupType, LINK_SHAPE_SQL,
    LinkShape, MembershipRow, Privilege, PrivilegeSet, UserId, effective_privileges_from_rows,
};
use onezone_tokens::invite::{
    ChildJoin, ChildJoinFacts, GroupAccess, GroupInviteToken, InviteError, InviteRecord,
    InviteTarget, InviteToken, IssuePolicy, SecretBytes, TokenUse, UsageLimit, UserJoin,
    UserJoinFacts, authorize, group_from_path,
};
use onezone_tokens::token::CaveatContext;
use rand::CryptoRng;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// The schema: one table per relation, each lookup backed by its primary key or an index.
pub const SCHEMA: &str = "
CREATE TABLE groups (
    group_id TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    type     TEXT NOT NULL
);
CREATE TABLE group_users (
    group_id   TEXT NOT NULL REFERENCES groups (group_id),
    user_id    TEXT NOT NULL,
    privileges INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE TABLE group_children (
    parent_id  TEXT NOT NULL REFERENCES groups (group_id),
    child_id   TEXT NOT NULL REFERENCES groups (group_id),
    privileges INTEGER NOT NULL,
    PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX group_children_by_child ON group_children (child_id);
CREATE TABLE invite_tokens (
    token_id    TEXT PRIMARY KEY,
    secret      BLOB NOT NULL,
    group_id    TEXT NOT NULL REFERENCES groups (group_id),
    issuer      TEXT NOT NULL,
    target      TEXT NOT NULL CHECK (target IN ('ujg', 'gjg')),
    usage_limit INTEGER CHECK (usage_limit >= 1), -- NULL: infinity
    usage_count INTEGER NOT NULL,
    privileges  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    valid_until INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0
);
";

/// Why a request failed: the API's answer, or the database's fault (a 500).
#[derive(Debug)]
pub enum Failure {
    /// The answer the library decided.
    Api(InviteError),
    /// The database failed, or holds a value no code of ours wrote.
    Db(String),
}

impl From<InviteError> for Failure {
    fn from(e: InviteError) -> Self {
        Failure::Api(e)
    }
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Db(e.to_string())
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Api(e) => write!(f, "{} {e}", e.status().code()),
            Failure::Db(e) => write!(f, "500 database: {e}"),
        }
    }
}

impl std::error::Error for Failure {}

fn corrupt(what: &str) -> Failure {
    Failure::Db(format!("the database holds an invalid {what}"))
}

fn privileges(bits: i64) -> Result<PrivilegeSet, Failure> {
    u32::try_from(bits)
        .ok()
        .and_then(PrivilegeSet::from_bits)
        .ok_or_else(|| corrupt("privilege set"))
}

fn group_id(text: String) -> Result<GroupId, Failure> {
    GroupId::new(text).map_err(|_| corrupt("group id"))
}

fn depth_limit(limits: &DirectoryLimits) -> i64 {
    i64::try_from(limits.max_depth).unwrap_or(i64::MAX)
}

// ----- writes that set up a world (the server's other routes) -----

/// Creates a group; its creator becomes an admin member.
pub fn create_group(
    conn: &Connection,
    creator: &UserId,
    group: &GroupId,
    name: &str,
    group_type: GroupType,
) -> Result<(), Failure> {
    conn.execute(
        "INSERT INTO groups (group_id, name, type) VALUES (?1, ?2, ?3)",
        params![group.as_str(), name, group_type.to_string()],
    )?;
    add_user(conn, group, creator, PrivilegeSet::admin())
}

/// Makes `user` a direct member of `group`.
pub fn add_user(
    conn: &Connection,
    group: &GroupId,
    user: &UserId,
    privileges: PrivilegeSet,
) -> Result<(), Failure> {
    conn.execute(
        "INSERT INTO group_users (group_id, user_id, privileges) VALUES (?1, ?2, ?3)",
        params![group.as_str(), user.as_str(), privileges.bits()],
    )?;
    Ok(())
}

/// Makes `child` a child of `parent` (no checks: setup only; joins check with the library).
pub fn add_child(
    conn: &Connection,
    parent: &GroupId,
    child: &GroupId,
    privileges: PrivilegeSet,
) -> Result<(), Failure> {
    conn.execute(
        "INSERT INTO group_children (parent_id, child_id, privileges) VALUES (?1, ?2, ?3)",
        params![parent.as_str(), child.as_str(), privileges.bits()],
    )?;
    Ok(())
}

// ----- the facts the library asks for -----

fn group_exists(conn: &Connection, group: &GroupId) -> Result<bool, Failure> {
    Ok(conn
        .query_row("SELECT 1 FROM groups WHERE group_id = ?1", [group.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// `user`'s effective privileges in `group`: the library's rule over the rows of its one
/// recursive query.
pub fn effective_privileges(
    conn: &Connection,
    user: &UserId,
    group: &GroupId,
    limits: &DirectoryLimits,
) -> Result<PrivilegeSet, Failure> {
    let mut memberships = Vec::new();
    let mut links = Vec::new();
    let mut statement = conn.prepare(EFFECTIVE_PRIVILEGES_SQL)?;
    let mut rows = statement.query(params![user.as_str(), group.as_str(), depth_limit(limits)])?;
    while let Some(row) = rows.next()? {
        let child = group_id(row.get(0)?)?;
        let parent: Option<String> = row.get(1)?;
        let held = privileges(row.get(2)?)?;
        match parent {
            None => memberships.push(MembershipRow {
                user: user.clone(),
                group: child,
                privileges: held,
            }),
            Some(parent) => {
                links.push(ChildRow { child, parent: group_id(parent)?, privileges: held })
            }
        }
    }
    Ok(effective_privileges_from_rows(user, group, &memberships, &links)
        .map_err(InviteError::from)?)
}

/// `user`'s standing in `group`.
pub fn access(
    conn: &Connection,
    user: Option<&UserId>,
    group: &GroupId,
    limits: &DirectoryLimits,
) -> Result<GroupAccess, Failure> {
    if !group_exists(conn, group)? {
        return Ok(GroupAccess::MISSING);
    }
    let privileges = match user {
        Some(user) => effective_privileges(conn, user, group, limits)?,
        None => PrivilegeSet::EMPTY,
    };
    Ok(GroupAccess { group_exists: true, privileges })
}

/// What a new link `parent` → `child` would do to the graph.
pub fn link_shape(
    conn: &Connection,
    parent: &GroupId,
    child: &GroupId,
    limits: &DirectoryLimits,
) -> Result<LinkShape, Failure> {
    let mut statement = conn.prepare(LINK_SHAPE_SQL)?;
    let mut rows =
        statement.query(params![parent.as_str(), child.as_str(), depth_limit(limits)])?;
    let mut links = Vec::new();
    while let Some(row) = rows.next()? {
        links.push(ChildRow {
            child: group_id(row.get(0)?)?,
            parent: group_id(row.get(1)?)?,
            privileges: privileges(row.get(2)?)?,
        });
    }
    Ok(LinkShape::from_rows(parent, child, &links).map_err(InviteError::from)?)
}

fn exists(conn: &Connection, sql: &str, a: &str, b: &str) -> Result<bool, Failure> {
    Ok(conn.query_row(sql, [a, b], |_| Ok(())).optional()?.is_some())
}

// ----- invite records -----

fn target_code(target: InviteTarget) -> &'static str {
    match target {
        InviteTarget::UserJoinGroup => "ujg",
        InviteTarget::GroupJoinGroup => "gjg",
    }
}

/// Stores a freshly issued record.
pub fn put_invite(conn: &Connection, record: &InviteRecord) -> Result<(), Failure> {
    let usage_limit = match record.usage_limit {
        UsageLimit::Limited(n) => Some(i64::try_from(n.get()).unwrap_or(i64::MAX)),
        UsageLimit::Infinity => None,
    };
    conn.execute(
        "INSERT INTO invite_tokens (token_id, secret, group_id, issuer, target, usage_limit,
             usage_count, privileges, created_at, valid_until, revoked)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            record.token_id,
            record.secret.expose(),
            record.group_id.as_str(),
            record.issuer.as_str(),
            target_code(record.target),
            usage_limit,
            i64::try_from(record.usage_count).unwrap_or(i64::MAX),
            record.privileges.bits(),
            i64::try_from(record.created_at).unwrap_or(i64::MAX),
            i64::try_from(record.valid_until).unwrap_or(i64::MAX),
            record.revoked,
        ],
    )?;
    Ok(())
}

/// The record of `token_id`, if there is one.
pub fn invite(conn: &Connection, token_id: &str) -> Result<Option<InviteRecord>, Failure> {
    let row = conn
        .query_row(
            "SELECT secret, group_id, issuer, target, usage_limit, usage_count, privileges,
                    created_at, valid_until, revoked
             FROM invite_tokens WHERE token_id = ?1",
            [token_id],
            |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, Option<i64>>(4)?,
                    row.get::<_, i64>(5)?,
                    row.get::<_, i64>(6)?,
                    row.get::<_, i64>(7)?,
                    row.get::<_, i64>(8)?,
                    row.get::<_, bool>(9)?,
                ))
            },
        )
        .optional()?;
    let Some((secret, group, issuer, target, limit, count, held, created, until, revoked)) = row
    else {
        return Ok(None);
    };
    let number = |v: i64| u64::try_from(v).map_err(|_| corrupt("count or time"));
    Ok(Some(InviteRecord {
        token_id: token_id.to_owned(),
        secret: SecretBytes::new(secret),
        group_id: group_id(group)?,
        issuer: UserId::new(issuer).map_err(|_| corrupt("user id"))?,
        target: match target.as_str() {
            "ujg" => InviteTarget::UserJoinGroup,
            "gjg" => InviteTarget::GroupJoinGroup,
            _ => return Err(corrupt("invite target")),
        },
        usage_limit: match limit {
            None => UsageLimit::Infinity,
            Some(n) => number(n)?
                .try_into()
                .map(UsageLimit::Limited)
                .map_err(|_| corrupt("usage limit"))?,
        },
        usage_count: number(count)?,
        privileges: privileges(held)?,
        created_at: number(created)?,
        valid_until: number(until)?,
        revoked,
    }))
}

/// Counts one use of the token, only if it is not revoked and has a use left: the conditional
/// write that makes the use exactly-once across processes. False if no use was left.
fn use_token(tx: &Transaction<'_>, token_use: &TokenUse) -> Result<bool, Failure> {
    let updated = tx.execute(
        "UPDATE invite_tokens SET usage_count = usage_count + 1
         WHERE token_id = ?1 AND NOT revoked
           AND (usage_limit IS NULL OR usage_count < usage_limit)",
        [&token_use.token_id],
    )?;
    Ok(updated == 1)
}

/// Inserts a row, false if its primary key is taken.
fn insert_new(
    tx: &Transaction<'_>,
    sql: &str,
    a: &str,
    b: &str,
    bits: u32,
) -> Result<bool, Failure> {
    match tx.execute(sql, params![a, b, bits]) {
        Ok(_) => Ok(true),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

// ----- the request handlers -----

/// `POST /groups/{id}/users/token` (or `/children/token` with `child`): the answer's body.
#[allow(clippy::too_many_arguments)]
pub fn issue<R: CryptoRng + ?Sized>(
    conn: &mut Connection,
    caller: Option<&UserId>,
    id: &str,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    limits: &DirectoryLimits,
    now: u64,
    rng: &mut R,
    child: bool,
) -> Result<GroupInviteToken, Failure> {
    let group = group_from_path(id)?;
    let tx = conn.transaction()?;
    let access = access(&tx, caller, &group, limits)?;
    let issued = if child {
        onezone_tokens::invite::issue_child_invite_token(
            &group, caller, &access, body, policy, now, rng,
        )?
    } else {
        onezone_tokens::invite::issue_invite_token(&group, caller, &access, body, policy, now, rng)?
    };
    put_invite(&tx, &issued.record)?;
    tx.commit()?;
    Ok(issued.response)
}

/// `POST /user/groups/join`: the `Location` of the `201 Created` answer.
pub fn join_group(
    conn: &mut Connection,
    user: &UserId,
    token: &str,
    ctx: &CaveatContext,
    limits: &DirectoryLimits,
) -> Result<String, Failure> {
    let token = InviteToken::parse(token)?;
    // IMMEDIATE: take SQLite's write lock before reading, so that concurrent joins queue (a
    // read-then-write transaction could not upgrade its lock under contention).
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let record = invite(&tx, token.token_id())?.ok_or(InviteError::InvalidToken)?;
    let facts = UserJoinFacts {
        issuer: access(&tx, Some(&record.issuer), &record.group_id, limits)?,
        already_member: exists(
            &tx,
            "SELECT 1 FROM group_users WHERE group_id = ?1 AND user_id = ?2",
            record.group_id.as_str(),
            user.as_str(),
        )?,
    };
    let join: UserJoin =
        onezone_tokens::invite::join_group_with_token(user, &token, &record, &facts, ctx)?;
    if !use_token(&tx, &join.token_use)? {
        return Err(join.token_use.spent().into()); // dropping `tx` rolls back
    }
    let sql = "INSERT INTO group_users (group_id, user_id, privileges) VALUES (?1, ?2, ?3)";
    if !insert_new(&tx, sql, join.group.as_str(), join.user.as_str(), join.privileges.bits())? {
        return Err(join.already_member().into());
    }
    tx.commit()?;
    Ok(join.location())
}

/// `POST /groups/{id}/parents/join`: the `Location` of the `201 Created` answer.
pub fn join_parent(
    conn: &mut Connection,
    actor: Option<&UserId>,
    child_id: &str,
    token: &str,
    ctx: &CaveatContext,
    limits: &DirectoryLimits,
) -> Result<String, Failure> {
    let child = group_from_path(child_id)?;
    // SQLite runs one writer at a time, so reading the link's shape and inserting it in one
    // transaction cannot interleave with another link (PostgreSQL: SERIALIZABLE).
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // 404, 401, 403 for the joining group come before the token is read.
    let child_access = access(&tx, actor, &child, limits)?;
    let child = authorize(&child, actor, &child_access, Privilege::GroupJoinGroup)?;
    let token = InviteToken::parse(token)?;
    let record = invite(&tx, token.token_id())?.ok_or(InviteError::InvalidToken)?;
    let parent = &record.group_id;
    let facts = ChildJoinFacts {
        issuer: access(&tx, Some(&record.issuer), parent, limits)?,
        already_child: exists(
            &tx,
            "SELECT 1 FROM group_children WHERE parent_id = ?1 AND child_id = ?2",
            parent.as_str(),
            child.group().as_str(),
        )?,
        link: link_shape(&tx, parent, child.group(), limits)?,
    };
    let join: ChildJoin = onezone_tokens::invite::join_parent_group_with_token(
        &child, &token, &record, &facts, ctx, limits,
    )?;
    if !use_token(&tx, &join.token_use)? {
        return Err(join.token_use.spent().into());
    }
    let sql = "INSERT INTO group_children (parent_id, child_id, privileges) VALUES (?1, ?2, ?3)";
    if !insert_new(&tx, sql, join.parent.as_str(), join.child.as_str(), join.privileges.bits())? {
        return Err(join.already_child().into());
    }
    tx.commit()?;
    Ok(join.location())
}

/// How many times the token `token_id` has been used.
pub fn usage_count(conn: &Connection, token_id: &str) -> Result<Option<u64>, Failure> {
    Ok(invite(conn, token_id)?.map(|record| record.usage_count))
}
