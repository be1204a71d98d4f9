//! The facts and writes of the invite decisions, over PostgreSQL with tokio-postgres: every
//! statement is the library's (`onezone_tokens::storage`), bound with the same Rust types on
//! every driver (`&str`, `i64`, `bool`, `&[u8]`); this file only binds them and reads columns.

use onezone_tokens::group::{ChildRow, DirectoryLimits, GroupId, LinkShape, PrivilegeSet, UserId};
use onezone_tokens::invite::{
    ChildJoinNeeds, ChildLink, GroupAccess, InviteError, InviteRecord, Membership, UserJoinNeeds,
};
use onezone_tokens::storage::{self, ColumnError, InviteRow, PrivilegeRows};
use tokio_postgres::GenericClient;
use tokio_postgres::types::ToSql;

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

impl From<tokio_postgres::Error> for Failure {
    fn from(e: tokio_postgres::Error) -> Self {
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

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

async fn one<T>(db: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<T, Failure>
where
    T: for<'r> tokio_postgres::types::FromSql<'r>,
{
    Ok(db.query_one(sql, params).await?.try_get(0)?)
}

async fn count(db: &impl GenericClient, sql: &str, params: Params<'_>) -> Result<u64, Failure> {
    Ok(storage::count_from_column(one(db, sql, params).await?)?)
}

/// `user`'s standing in `group`: the group's row, then the library's rule over the rows of its
/// one recursive query.
pub async fn access(
    db: &impl GenericClient,
    user: Option<&UserId>,
    group: &GroupId,
    limits: &DirectoryLimits,
) -> Result<GroupAccess, Failure> {
    if !one::<bool>(db, storage::GROUP_EXISTS, &[&group.as_str()]).await? {
        return Ok(GroupAccess::missing(user, group));
    }
    let Some(user) = user else {
        return Ok(GroupAccess::new(None, group, true, PrivilegeSet::EMPTY));
    };
    let depth = storage::bound(limits.max_depth);
    let params: Params<'_> = &[&user.as_str(), &group.as_str(), &depth];
    let mut rows = PrivilegeRows::default();
    for row in db.query(storage::EFFECTIVE_PRIVILEGES_SQL, params).await? {
        rows.push(user, row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)?;
    }
    let privileges = rows.effective_privileges(user, group).map_err(InviteError::from)?;
    Ok(GroupAccess::new(Some(user), group, true, privileges))
}

/// The joining user's membership of the group, for the keys the pending join named.
pub async fn membership(
    db: &impl GenericClient,
    needs: &UserJoinNeeds,
    limits: &DirectoryLimits,
) -> Result<Membership, Failure> {
    let (group, user) = (needs.group.as_str(), needs.user.as_str());
    let cap = storage::bound(limits.max_members_per_group);
    Ok(Membership {
        user: needs.user.clone(),
        group: needs.group.clone(),
        is_member: one(db, storage::MEMBERSHIP_EXISTS, &[&group, &user]).await?,
        members: count(db, storage::MEMBER_COUNT, &[&group, &cap]).await?,
    })
}

/// The new link, for the keys the pending join named. Run it after
/// `Dialect::Postgres.lock_child_links()` in the transaction that inserts the link.
pub async fn child_link(
    db: &impl GenericClient,
    needs: &ChildJoinNeeds,
    limits: &DirectoryLimits,
) -> Result<ChildLink, Failure> {
    let (parent, child) = (needs.parent.as_str(), needs.child.as_str());
    let depth = storage::bound(limits.max_depth);
    let mut links = Vec::new();
    for row in db.query(storage::LINK_SHAPE_SQL, &[&parent, &child, &depth]).await? {
        links.push(ChildRow::from_columns(row.try_get(0)?, row.try_get(1)?, row.try_get(2)?)?);
    }
    let cap = storage::bound(limits.max_children_per_group);
    Ok(ChildLink {
        parent: needs.parent.clone(),
        child: needs.child.clone(),
        is_child: one(db, storage::CHILD_LINK_EXISTS, &[&parent, &child]).await?,
        shape: LinkShape::from_rows(&needs.parent, &needs.child, &links)
            .map_err(InviteError::from)?,
        children: count(db, storage::CHILD_COUNT, &[&parent, &cap]).await?,
    })
}

/// Stores a freshly issued record (numbers past a BIGINT are refused here, never at the store).
pub async fn put_invite(db: &impl GenericClient, record: &InviteRecord) -> Result<(), Failure> {
    let r = InviteRow::try_from(record)?;
    let params: Params<'_> = &[
        &r.token_id,
        &r.secret,
        &r.group_id,
        &r.issuer,
        &r.target,
        &r.usage_limit,
        &r.usage_count,
        &r.privileges,
        &r.created_at,
        &r.valid_until,
        &r.revoked,
    ];
    db.execute(storage::INSERT_INVITE, params).await?;
    Ok(())
}

/// The record of `token_id`, if there is one.
pub async fn invite(
    db: &impl GenericClient,
    token_id: &str,
) -> Result<Option<InviteRecord>, Failure> {
    let Some(r) = db.query_opt(storage::SELECT_INVITE, &[&token_id]).await? else {
        return Ok(None);
    };
    let row = InviteRow {
        token_id: r.try_get(0)?,
        secret: r.try_get(1)?,
        group_id: r.try_get(2)?,
        issuer: r.try_get(3)?,
        target: r.try_get(4)?,
        usage_limit: r.try_get(5)?,
        usage_count: r.try_get(6)?,
        privileges: r.try_get(7)?,
        created_at: r.try_get(8)?,
        valid_until: r.try_get(9)?,
        revoked: r.try_get(10)?,
    };
    Ok(Some(InviteRecord::try_from(row)?))
}

/// Runs a write of the contract that changes one row or none (`USE_INVITE`,
/// `INSERT_MEMBERSHIP`, `INSERT_CHILD_LINK`): true if it changed one.
pub async fn changed(
    db: &impl GenericClient,
    sql: &str,
    params: Params<'_>,
) -> Result<bool, Failure> {
    Ok(db.execute(sql, params).await? == 1)
}
