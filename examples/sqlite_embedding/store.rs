//! A server's storage in normalized SQLite tables, and its request handlers: how a server that
//! keeps groups and invite records in its own database embeds the crate, using only its public
//! API. The schema and every statement are the library's storage contract
//! (`onezone_tokens::storage`); this file binds parameters, reads columns into the contract's
//! row types, and runs each request in one transaction. Every handler reads the facts one
//! request needs, asks the library for the decision, and writes what the decision says.
//!
//! `tests/rows.rs` runs these same handlers against `Directory` on random graphs.

use onezone_tokens::group::{
    ChildRow, DirectoryLimits, GroupId, GroupType, LinkShape, PrivilegeSet, UserId,
};
use onezone_tokens::invite::{
    ChildJoin, ChildJoinFacts, ChildLink, GroupAccess, GroupInviteToken, InviteError, InviteGroup,
    InviteRecord, InviteToken, InviteUser, IssuePolicy, JoinParent, Membership, TokenUse, UserJoin,
    UserJoinFacts, authorize, group_from_path,
};
use onezone_tokens::storage::{self, ColumnError, InviteRow, PrivilegeRows};
use onezone_tokens::token::CaveatContext;
use rand::CryptoRng;
use rusqlite::{Connection, OptionalExtension, Transaction, params};

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

impl From<ColumnError> for Failure {
    fn from(e: ColumnError) -> Self {
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

// ----- writes that set up a world (the server's other routes) -----

/// Creates a group; its creator becomes an admin member.
pub fn create_group(
    conn: &Connection,
    creator: &UserId,
    group: &GroupId,
    name: &str,
    group_type: GroupType,
) -> Result<(), Failure> {
    let kind = group_type.to_string();
    if conn.execute(storage::INSERT_GROUP, params![group.as_str(), name, kind, creator.as_str()])?
        == 0
    {
        return Err(Failure::Db(format!("group {group} exists")));
    }
    add_user(conn, group, creator, PrivilegeSet::admin())
}

/// Makes `user` a direct member of `group` (no checks: setup only).
pub fn add_user(
    conn: &Connection,
    group: &GroupId,
    user: &UserId,
    privileges: PrivilegeSet,
) -> Result<(), Failure> {
    let bits = storage::privileges_to_column(privileges);
    conn.execute(storage::INSERT_MEMBERSHIP, params![group.as_str(), user.as_str(), bits])?;
    Ok(())
}

/// Makes `child` a child of `parent` (no checks: setup only; joins check with the library).
pub fn add_child(
    conn: &Connection,
    parent: &GroupId,
    child: &GroupId,
    privileges: PrivilegeSet,
) -> Result<(), Failure> {
    let bits = storage::privileges_to_column(privileges);
    conn.execute(storage::INSERT_CHILD_LINK, params![parent.as_str(), child.as_str(), bits])?;
    Ok(())
}

// ----- the facts the library asks for -----

fn exists(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<bool, Failure> {
    Ok(conn.query_row(sql, params, |row| row.get(0))?)
}

fn count(conn: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<u64, Failure> {
    Ok(storage::count_from_column(conn.query_row(sql, params, |row| row.get(0))?)?)
}

/// `user`'s effective privileges in `group`: the library's rule over the rows of its one
/// recursive query.
pub fn effective_privileges(
    conn: &Connection,
    user: &UserId,
    group: &GroupId,
    limits: &DirectoryLimits,
) -> Result<PrivilegeSet, Failure> {
    let mut rows = PrivilegeRows::default();
    let mut statement = conn.prepare(storage::EFFECTIVE_PRIVILEGES_SQL)?;
    let depth = storage::bound(limits.max_depth);
    let mut found = statement.query(params![user.as_str(), group.as_str(), depth])?;
    while let Some(row) = found.next()? {
        rows.push(user, row.get(0)?, row.get(1)?, row.get(2)?)?;
    }
    Ok(rows.effective_privileges(user, group).map_err(InviteError::from)?)
}

/// `user`'s standing in `group`.
pub fn access(
    conn: &Connection,
    user: Option<&UserId>,
    group: &GroupId,
    limits: &DirectoryLimits,
) -> Result<GroupAccess, Failure> {
    if !exists(conn, storage::GROUP_EXISTS, [group.as_str()])? {
        return Ok(GroupAccess::missing(user, group));
    }
    let privileges = match user {
        Some(user) => effective_privileges(conn, user, group, limits)?,
        None => PrivilegeSet::EMPTY,
    };
    Ok(GroupAccess::new(user, group, true, privileges))
}

/// What a new link `parent` → `child` would do to the graph.
pub fn link_shape(
    conn: &Connection,
    parent: &GroupId,
    child: &GroupId,
    limits: &DirectoryLimits,
) -> Result<LinkShape, Failure> {
    let mut statement = conn.prepare(storage::LINK_SHAPE_SQL)?;
    let depth = storage::bound(limits.max_depth);
    let mut found = statement.query(params![parent.as_str(), child.as_str(), depth])?;
    let mut links = Vec::new();
    while let Some(row) = found.next()? {
        links.push(ChildRow::from_columns(row.get(0)?, row.get(1)?, row.get(2)?)?);
    }
    Ok(LinkShape::from_rows(parent, child, &links).map_err(InviteError::from)?)
}

// ----- invite records -----

/// Stores a freshly issued record.
pub fn put_invite(conn: &Connection, record: &InviteRecord) -> Result<(), Failure> {
    let row = InviteRow::try_from(record)?;
    conn.execute(
        storage::INSERT_INVITE,
        params![
            row.token_id,
            row.secret,
            row.group_id,
            row.issuer,
            row.target,
            row.usage_limit,
            row.usage_count,
            row.privileges,
            row.created_at,
            row.valid_until,
            row.revoked,
        ],
    )?;
    Ok(())
}

/// The record of `token_id`, if there is one.
pub fn invite(conn: &Connection, token_id: &str) -> Result<Option<InviteRecord>, Failure> {
    let row = conn
        .query_row(storage::SELECT_INVITE, [token_id], |r| {
            Ok(InviteRow {
                token_id: r.get(0)?,
                secret: r.get(1)?,
                group_id: r.get(2)?,
                issuer: r.get(3)?,
                target: r.get(4)?,
                usage_limit: r.get(5)?,
                usage_count: r.get(6)?,
                privileges: r.get(7)?,
                created_at: r.get(8)?,
                valid_until: r.get(9)?,
                revoked: r.get(10)?,
            })
        })
        .optional()?;
    Ok(row.map(InviteRecord::try_from).transpose()?)
}

/// Counts one use of the token, only if it is not revoked and has a use left: the conditional
/// write that makes the use exactly-once across processes. False if no use was left.
fn use_token(tx: &Transaction<'_>, token_use: &TokenUse) -> Result<bool, Failure> {
    Ok(tx.execute(storage::USE_INVITE, [&token_use.token_id])? == 1)
}

/// Inserts a membership or a link (`INSERT ... ON CONFLICT DO NOTHING`); false if it exists.
fn insert_new(
    tx: &Transaction<'_>,
    sql: &str,
    a: &GroupId,
    b: &str,
    privileges: PrivilegeSet,
) -> Result<bool, Failure> {
    let bits = storage::privileges_to_column(privileges);
    Ok(tx.execute(sql, params![a.as_str(), b, bits])? == 1)
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
        let caller = authorize(InviteGroup, &group, caller, &access)?;
        onezone_tokens::invite::issue_child_invite_token(&caller, body, policy, now, rng)?
    } else {
        let caller = authorize(InviteUser, &group, caller, &access)?;
        onezone_tokens::invite::issue_invite_token(&caller, body, policy, now, rng)?
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
    // The token against its record first; then the facts the library names, for their keys.
    let pending = token.user_join(user, &record, ctx)?;
    let needs = pending.needs();
    let (group, user) = (needs.group.as_str(), needs.user.as_str());
    // The member count is bounded by the cap: that is all the decision needs to know.
    let cap = storage::bound(limits.max_members_per_group);
    let facts = UserJoinFacts {
        issuer: access(&tx, Some(&needs.issuer), &needs.group, limits)?,
        membership: Membership {
            user: needs.user.clone(),
            group: needs.group.clone(),
            is_member: exists(&tx, storage::MEMBERSHIP_EXISTS, [group, user])?,
            members: count(&tx, storage::MEMBER_COUNT, params![group, cap])?,
        },
    };
    let join: UserJoin = pending.decide(&facts, limits)?;
    // A named invite's use (a temporary one, which this example never reads, has none).
    if let Some(token_use) = &join.token_use
        && !use_token(&tx, token_use)?
    {
        return Err(token_use.spent().into()); // dropping `tx` rolls back
    }
    if !insert_new(
        &tx,
        storage::INSERT_MEMBERSHIP,
        &join.group,
        join.user.as_str(),
        join.privileges,
    )? {
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
    // IMMEDIATE transaction cannot interleave with another link: `storage::Dialect::Sqlite`
    // needs no lock statement (PostgreSQL runs `Dialect::Postgres.lock_child_links()` here).
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    // 404, 401, 403 for the joining group come before the token is read.
    let child_access = access(&tx, actor, &child, limits)?;
    let child = authorize(JoinParent, &child, actor, &child_access)?;
    let token = InviteToken::parse(token)?;
    let record = invite(&tx, token.token_id())?.ok_or(InviteError::InvalidToken)?;
    let pending = token.child_join(&child, &record, ctx)?;
    let needs = pending.needs();
    let (parent, child) = (&needs.parent, &needs.child);
    let cap = storage::bound(limits.max_children_per_group);
    let facts = ChildJoinFacts {
        issuer: access(&tx, Some(&needs.issuer), parent, limits)?,
        link: ChildLink {
            parent: parent.clone(),
            child: child.clone(),
            is_child: exists(&tx, storage::CHILD_LINK_EXISTS, [parent.as_str(), child.as_str()])?,
            shape: link_shape(&tx, parent, child, limits)?,
            children: count(&tx, storage::CHILD_COUNT, params![parent.as_str(), cap])?,
        },
    };
    let join: ChildJoin = pending.decide(&facts, limits)?;
    if let Some(token_use) = &join.token_use
        && !use_token(&tx, token_use)?
    {
        return Err(token_use.spent().into());
    }
    let child = join.child.as_str();
    if !insert_new(&tx, storage::INSERT_CHILD_LINK, &join.parent, child, join.privileges)? {
        return Err(join.already_child().into());
    }
    tx.commit()?;
    Ok(join.location())
}

/// How many times the token `token_id` has been used.
pub fn usage_count(conn: &Connection, token_id: &str) -> Result<Option<u64>, Failure> {
    Ok(invite(conn, token_id)?.map(|record| record.usage_count))
}
