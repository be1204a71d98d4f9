//! The statements a server runs on [`SCHEMA`](super::SCHEMA), for SQLite and PostgreSQL alike.
//!
//! Parameters are positional, `$1`, `$2`, ..., named in order of first appearance (SQLite
//! numbers `$N` by first appearance, PostgreSQL by N: in order, both agree). Every integer
//! parameter is wrapped in `CAST(... AS BIGINT)` and every integer column is read as `BIGINT`,
//! so a driver binds and reads `i64` everywhere (PostgreSQL would otherwise prepare some of them
//! as `int4`, and tokio-postgres and sqlx refuse an `i64` for an `int4`). Text parameters are
//! `&str`, `bytea` is `&[u8]`, booleans are `bool`.
//!
//! Writes that may meet an existing row (`INSERT_*`) say so by the number of rows they change:
//! 1 if inserted, 0 if the row was there (`ON CONFLICT DO NOTHING`), never a constraint error.

// ----- groups -----

/// Inserts a group: `$1` group id, `$2` name, `$3` group type
/// ([`GroupType`](crate::group::GroupType) as text), `$4` creator's user id (or NULL). Changes
/// 0 rows if the id is taken.
pub const INSERT_GROUP: &str = "INSERT INTO groups (group_id, name, group_type, created_by)
VALUES ($1, $2, $3, $4) ON CONFLICT (group_id) DO NOTHING";

/// A group's `name` and `group_type`: `$1` group id. No row if there is no such group.
pub const SELECT_GROUP: &str = "SELECT name, group_type FROM groups WHERE group_id = $1";

/// Whether a group exists (one row, one `bool`): `$1` group id.
///
/// ```
/// use onezone_tokens::storage::{GROUP_EXISTS, INSERT_GROUP, SCHEMA};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = rusqlite::Connection::open_in_memory()?;
/// db.execute_batch(SCHEMA)?;
/// assert_eq!(db.execute(INSERT_GROUP, ("g1", "Lab", "team", "alice"))?, 1);
/// assert_eq!(db.execute(INSERT_GROUP, ("g1", "Lab", "team", "alice"))?, 0); // taken
/// assert!(db.query_row(GROUP_EXISTS, ["g1"], |r| r.get::<_, bool>(0))?);
/// assert!(!db.query_row(GROUP_EXISTS, ["g2"], |r| r.get::<_, bool>(0))?);
/// # Ok(()) }
/// ```
pub const GROUP_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM groups WHERE group_id = $1)";

// ----- direct memberships -----

/// A user's direct privileges in a group (`i64`, see
/// [`privileges_from_column`](super::privileges_from_column)): `$1` group id, `$2` user id. No
/// row if the user is no direct member.
pub const SELECT_MEMBERSHIP: &str =
    "SELECT CAST(privileges AS BIGINT) FROM group_users WHERE group_id = $1 AND user_id = $2";

/// Whether a user is a direct member of a group (one row, one `bool`): `$1` group id, `$2` user
/// id. The `already_member` fact of a user's join.
pub const MEMBERSHIP_EXISTS: &str =
    "SELECT EXISTS (SELECT 1 FROM group_users WHERE group_id = $1 AND user_id = $2)";

/// Inserts a direct membership if absent: `$1` group id, `$2` user id, `$3` privileges
/// ([`privileges_to_column`](super::privileges_to_column)). Changes 0 rows if the user is
/// already a direct member: a concurrent join won, answer `already_member`.
///
/// ```
/// use onezone_tokens::group::{DirectoryLimits, GroupId, PrivilegeSet, UserId};
/// use onezone_tokens::storage::{
///     self, INSERT_GROUP, INSERT_MEMBERSHIP, MEMBER_COUNT, MEMBERSHIP_EXISTS, SCHEMA,
/// };
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = rusqlite::Connection::open_in_memory()?;
/// db.execute_batch(SCHEMA)?;
/// db.execute(INSERT_GROUP, ("g1", "Lab", "team", "alice"))?;
/// let bits = storage::privileges_to_column(PrivilegeSet::member());
/// assert_eq!(db.execute(INSERT_MEMBERSHIP, ("g1", "carol", bits))?, 1);
/// assert_eq!(db.execute(INSERT_MEMBERSHIP, ("g1", "carol", bits))?, 0); // already a member
/// assert!(db.query_row(MEMBERSHIP_EXISTS, ["g1", "carol"], |r| r.get::<_, bool>(0))?);
///
/// // The member cap, over rows: count at most the cap, then ask the library.
/// let limits = DirectoryLimits::default().with_max_members_per_group(1);
/// let cap = storage::bound(limits.max_members_per_group);
/// let members: i64 = db.query_row(MEMBER_COUNT, ("g1", cap), |r| r.get(0))?;
/// let (g1, dave) = (GroupId::new("g1")?, UserId::new("dave")?);
/// let refused = limits.check_member_count(&g1, &dave, storage::count_from_column(members)?);
/// assert_eq!(refused.unwrap_err().to_string(), "cannot add user dave to group g1: it already has the maximum of 1 direct members");
/// # Ok(()) }
/// ```
pub const INSERT_MEMBERSHIP: &str =
    "INSERT INTO group_users (group_id, user_id, privileges) VALUES ($1, $2, CAST($3 AS BIGINT))
ON CONFLICT (group_id, user_id) DO NOTHING";

/// The number of direct members of a group, counted up to a bound (one row, one `i64`): `$1`
/// group id, `$2` the bound ([`bound`](super::bound) of
/// [`DirectoryLimits::max_members_per_group`](crate::group::DirectoryLimits::max_members_per_group)).
/// The work is bounded by the cap, whatever the group's size; hand the count to
/// [`DirectoryLimits::check_member_count`](crate::group::DirectoryLimits::check_member_count).
pub const MEMBER_COUNT: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM group_users
WHERE group_id = $1 LIMIT CAST($2 AS BIGINT)) AS bounded";

// ----- parent → child links -----

/// The privileges a child holds in a parent (`i64`): `$1` parent id, `$2` child id. No row if
/// it is not its child.
pub const SELECT_CHILD_LINK: &str =
    "SELECT CAST(privileges AS BIGINT) FROM group_children WHERE parent_id = $1 AND child_id = $2";

/// Whether a group is a child of another (one row, one `bool`): `$1` parent id, `$2` child id.
/// The `already_child` fact of a group's join.
pub const CHILD_LINK_EXISTS: &str =
    "SELECT EXISTS (SELECT 1 FROM group_children WHERE parent_id = $1 AND child_id = $2)";

/// Inserts a link if absent: `$1` parent id, `$2` child id, `$3` privileges. Changes 0 rows if
/// the link exists. Run it in the transaction that read the link's shape
/// ([`LINK_SHAPE_SQL`](super::LINK_SHAPE_SQL)) after taking
/// [`Dialect::lock_child_links`]: two links checked concurrently could close a cycle together.
///
/// ```
/// use onezone_tokens::group::{DirectoryLimits, GroupId, LinkShape, PrivilegeSet};
/// use onezone_tokens::storage::{
///     self, CHILD_COUNT, Dialect, INSERT_CHILD_LINK, INSERT_GROUP, LINK_SHAPE_SQL, SCHEMA,
/// };
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut db = rusqlite::Connection::open_in_memory()?;
/// db.execute_batch(SCHEMA)?;
/// for g in ["a", "b"] {
///     db.execute(INSERT_GROUP, (g, g, "team", None::<&str>))?;
/// }
/// let limits = DirectoryLimits::default();
/// let (a, b) = (GroupId::new("a")?, GroupId::new("b")?);
/// let bits = storage::privileges_to_column(PrivilegeSet::member());
/// // SQLite: IMMEDIATE takes the write lock first, so no lock statement is needed.
/// let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
/// assert_eq!(Dialect::Sqlite.lock_child_links(), None);
/// assert_eq!(tx.execute(INSERT_CHILD_LINK, ("a", "b", bits))?, 1);
///
/// // Now a asks to join b: read the shape and the child count, then check as `Directory` does.
/// let mut links = Vec::new();
/// let mut rows = tx.prepare(LINK_SHAPE_SQL)?;
/// let mut found = rows.query(("b", "a", storage::bound(limits.max_depth)))?;
/// while let Some(r) = found.next()? {
///     links.push(onezone_tokens::group::ChildRow::from_columns(r.get(0)?, r.get(1)?, r.get(2)?)?);
/// }
/// let shape = LinkShape::from_rows(&b, &a, &links)?;
/// let children: i64 =
///     tx.query_row(CHILD_COUNT, ("b", storage::bound(limits.max_children_per_group)), |r| r.get(0))?;
/// assert!(shape.closes_cycle);
/// assert!(limits.check_child_count(&b, &a, storage::count_from_column(children)?).is_ok());
/// # drop(found); drop(rows); tx.commit()?;
/// # Ok(()) }
/// ```
pub const INSERT_CHILD_LINK: &str =
    "INSERT INTO group_children (parent_id, child_id, privileges) VALUES ($1, $2, CAST($3 AS BIGINT))
ON CONFLICT (parent_id, child_id) DO NOTHING";

/// The number of children of a group, counted up to a bound (one row, one `i64`): `$1` parent
/// id, `$2` the bound ([`bound`](super::bound) of
/// [`DirectoryLimits::max_children_per_group`](crate::group::DirectoryLimits::max_children_per_group));
/// hand the count to
/// [`DirectoryLimits::check_child_count`](crate::group::DirectoryLimits::check_child_count).
pub const CHILD_COUNT: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM group_children
WHERE parent_id = $1 LIMIT CAST($2 AS BIGINT)) AS bounded";

// ----- invite records -----

/// The columns of an [`InviteRow`](super::InviteRow), in its fields' order, as every
/// `SELECT_INVITE*` statement returns them.
macro_rules! select_invites_where {
    ($cond:literal) => {
        concat!(
            "SELECT token_id, secret, group_id, issuer, target, usage_limit, usage_count,
    CAST(privileges AS BIGINT), created_at, valid_until, revoked
FROM invite_tokens WHERE ",
            $cond,
            " ORDER BY created_at, token_id"
        )
    };
}

/// Inserts an invite record: `$1` to `$11`, the fields of an [`InviteRow`](super::InviteRow) in
/// order (`token_id`, `secret`, `group_id`, `issuer`, `target`, `usage_limit`, `usage_count`,
/// `privileges`, `created_at`, `valid_until`, `revoked`).
///
/// ```
/// use onezone_tokens::group::{GroupId, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{
///     GroupAccess, InviteRecord, InviteUser, IssuePolicy, authorize, issue_invite_token,
/// };
/// use onezone_tokens::storage::{INSERT_GROUP, INSERT_INVITE, InviteRow, SCHEMA, SELECT_INVITE};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = rusqlite::Connection::open_in_memory()?;
/// db.execute_batch(SCHEMA)?;
/// db.execute(INSERT_GROUP, ("g1", "Lab", "team", "alice"))?;
/// let (g1, alice) = (GroupId::new("g1")?, UserId::new("alice")?);
/// let access = GroupAccess::new(Some(&alice), &g1, true, PrivilegeSet::admin());
/// let caller = authorize(InviteUser, &g1, Some(&alice), &access)?;
/// let policy = IssuePolicy::new("onezone.example.org");
/// let issued = issue_invite_token(&caller, None, &policy, 1_800_000_000, &mut rand::rng())?;
///
/// let row = InviteRow::try_from(&issued.record)?; // a u64 past i64::MAX is an error here
/// db.execute(INSERT_INVITE, rusqlite::params![
///     row.token_id, row.secret, row.group_id, row.issuer, row.target, row.usage_limit,
///     row.usage_count, row.privileges, row.created_at, row.valid_until, row.revoked,
/// ])?;
///
/// let read = db.query_row(SELECT_INVITE, [&row.token_id], |r| Ok(InviteRow {
///     token_id: r.get(0)?, secret: r.get(1)?, group_id: r.get(2)?, issuer: r.get(3)?,
///     target: r.get(4)?, usage_limit: r.get(5)?, usage_count: r.get(6)?, privileges: r.get(7)?,
///     created_at: r.get(8)?, valid_until: r.get(9)?, revoked: r.get(10)?,
/// }))?;
/// assert_eq!(InviteRecord::try_from(read)?, issued.record);
/// # Ok(()) }
/// ```
pub const INSERT_INVITE: &str = "INSERT INTO invite_tokens (token_id, secret, group_id, issuer,
    target, usage_limit, usage_count, privileges, created_at, valid_until, revoked)
VALUES ($1, $2, $3, $4, $5, CAST($6 AS BIGINT), CAST($7 AS BIGINT), CAST($8 AS BIGINT),
    CAST($9 AS BIGINT), CAST($10 AS BIGINT), $11)";

/// The invite record of a token: `$1` token id. Columns as the fields of
/// [`InviteRow`](super::InviteRow); no row if there is no such record.
pub const SELECT_INVITE: &str = select_invites_where!("token_id = $1");

/// The invite records a user issued, oldest first: `$1` issuer's user id. Columns as
/// [`SELECT_INVITE`]'s.
pub const SELECT_INVITES_OF_ISSUER: &str = select_invites_where!("issuer = $1");

/// The invite records of a group, oldest first: `$1` group id. Columns as [`SELECT_INVITE`]'s.
pub const SELECT_INVITES_IN_GROUP: &str = select_invites_where!("group_id = $1");

/// Counts one use of a token, only if it is not revoked and has a use left: `$1` token id (the
/// [`TokenUse`](crate::invite::TokenUse) of a join decision, if it has one: a temporary invite's
/// has none). Changes 1 row, or 0 if another
/// request used the token up (or revoked it) since its record was read: roll back and answer
/// [`TokenUse::spent`](crate::invite::TokenUse::spent). The database arbitrates, so the use is
/// exactly-once across connections and processes; never read the count, add one and write it
/// back.
///
/// ```
/// # use onezone_tokens::storage::{INSERT_GROUP, INSERT_INVITE, SCHEMA, SET_INVITE_REVOKED, USE_INVITE};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let db = rusqlite::Connection::open_in_memory()?;
/// # db.execute_batch(SCHEMA)?;
/// # db.execute(INSERT_GROUP, ("g1", "Lab", "team", "alice"))?;
/// // A one-use token, stored (see INSERT_INVITE):
/// # db.execute(INSERT_INVITE, rusqlite::params![
/// #     "t1", b"".as_slice(), "g1", "alice", "ujg", Some(1i64), 0i64, 1i64, 0i64, 9i64, false])?;
/// assert_eq!(db.execute(USE_INVITE, ["t1"])?, 1); // this join won
/// assert_eq!(db.execute(USE_INVITE, ["t1"])?, 0); // used up: roll back, answer `spent`
/// assert_eq!(db.execute(SET_INVITE_REVOKED, (true, "t1"))?, 1);
/// # Ok(()) }
/// ```
pub const USE_INVITE: &str = "UPDATE invite_tokens SET usage_count = usage_count + 1
WHERE token_id = $1 AND NOT revoked AND (usage_limit IS NULL OR usage_count < usage_limit)";

/// Revokes (`true`) or reinstates (`false`) a token: `$1` the flag, `$2` token id. Changes 0
/// rows if there is no such record.
pub const SET_INVITE_REVOKED: &str = "UPDATE invite_tokens SET revoked = $1 WHERE token_id = $2";

/// Deletes a token's record: `$1` token id. Changes 0 rows if there was none.
pub const DELETE_INVITE: &str = "DELETE FROM invite_tokens WHERE token_id = $1";

// ----- named tokens (Onezone 20.02's token API) -----

/// The columns of a [`NamedTokenRow`](super::NamedTokenRow), in its fields' order, as every
/// `SELECT_NAMED_TOKEN*` statement returns them.
macro_rules! select_named_tokens_where {
    ($cond:literal) => {
        concat!(
            "SELECT token_id, subject, name, token_type, caveats, custom_metadata, revoked,
    created_at
FROM named_tokens WHERE ",
            $cond,
            " ORDER BY created_at, token_id"
        )
    };
}

/// Inserts a named token: `$1` to `$8`, the fields of a
/// [`NamedTokenRow`](super::NamedTokenRow) in order. Changes 0 rows if the id is taken or the
/// subject already has a token of that name (answer `badValueIdentifierOccupied`, key `name`);
/// take [`Dialect::lock_user`] on the subject first so that a concurrent rename cannot take the
/// name in between.
///
/// ```
/// use onezone_tokens::storage::{INSERT_NAMED_TOKEN, SCHEMA, SELECT_NAMED_TOKEN, TOKENS_SCHEMA};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = rusqlite::Connection::open_in_memory()?;
/// db.execute_batch(SCHEMA)?;
/// db.execute_batch(TOKENS_SCHEMA)?;
/// let row = ("t1", "usr-alice", "my token", "act", "[]", "{}", false, 7i64);
/// assert_eq!(db.execute(INSERT_NAMED_TOKEN, row)?, 1);
/// let same_name = ("t2", "usr-alice", "my token", "act", "[]", "{}", false, 8i64);
/// assert_eq!(db.execute(INSERT_NAMED_TOKEN, same_name)?, 0); // occupied
/// let name: String = db.query_row(SELECT_NAMED_TOKEN, ["t1"], |r| r.get(2))?;
/// assert_eq!(name, "my token");
/// # Ok(()) }
/// ```
pub const INSERT_NAMED_TOKEN: &str = "INSERT INTO named_tokens (token_id, subject, name,
    token_type, caveats, custom_metadata, revoked, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, CAST($8 AS BIGINT)) ON CONFLICT DO NOTHING";

/// The named token `$1` (token id). Columns as the fields of
/// [`NamedTokenRow`](super::NamedTokenRow); no row if there is none.
pub const SELECT_NAMED_TOKEN: &str = select_named_tokens_where!("token_id = $1");

/// A subject's named token by name: `$1` subject (`usr-<id>`), `$2` name. Columns as
/// [`SELECT_NAMED_TOKEN`]'s.
pub const SELECT_NAMED_TOKEN_BY_NAME: &str =
    select_named_tokens_where!("subject = $1 AND name = $2");

/// The ids of a subject's named tokens, oldest first: `$1` subject.
pub const SELECT_NAMED_TOKEN_IDS_OF: &str =
    "SELECT token_id FROM named_tokens WHERE subject = $1 ORDER BY created_at, token_id";

/// Whether a subject has a named token of a name other than token `$3`'s (one row, one
/// `bool`): `$1` subject, `$2` name, `$3` token id. Read before a rename, under
/// [`Dialect::lock_user`].
pub const NAMED_TOKEN_NAME_TAKEN: &str = "SELECT EXISTS (SELECT 1 FROM named_tokens
WHERE subject = $1 AND name = $2 AND token_id <> $3)";

/// Rewrites what `PATCH /tokens/named/{id}` changes: `$1` name, `$2` custom metadata, `$3`
/// revoked, `$4` token id. Changes 0 rows if there is no such token.
pub const UPDATE_NAMED_TOKEN: &str =
    "UPDATE named_tokens SET name = $1, custom_metadata = $2, revoked = $3 WHERE token_id = $4";

/// Deletes a named token: `$1` token id. Changes 0 rows if there was none. (An invite token's
/// `invite_tokens` row goes with [`DELETE_INVITE`].)
pub const DELETE_NAMED_TOKEN: &str = "DELETE FROM named_tokens WHERE token_id = $1";

// ----- temporary tokens -----

/// A subject's current generation of temporary tokens (one `i64`): `$1` subject. No row: the
/// first generation (see [`generation_from_column`](super::generation_from_column)).
pub const SELECT_TEMPORARY_GENERATION: &str =
    "SELECT generation FROM temporary_token_generations WHERE subject = $1";

/// Revokes all of a subject's temporary tokens by raising its generation by one (from the
/// first, 1, to 2 when it has no row yet): `$1` subject. The database adds, so two instances
/// revoking at once raise it twice, never lose one; read the new generation with
/// [`SELECT_TEMPORARY_GENERATION`] in the same transaction.
///
/// ```
/// use onezone_tokens::storage::{
///     NEXT_TEMPORARY_GENERATION, SCHEMA, SELECT_TEMPORARY_GENERATION, TOKENS_SCHEMA,
/// };
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let db = rusqlite::Connection::open_in_memory()?;
/// db.execute_batch(SCHEMA)?;
/// db.execute_batch(TOKENS_SCHEMA)?;
/// for expected in [2i64, 3] {
///     assert_eq!(db.execute(NEXT_TEMPORARY_GENERATION, ["usr-alice"])?, 1);
///     let g: i64 = db.query_row(SELECT_TEMPORARY_GENERATION, ["usr-alice"], |r| r.get(0))?;
///     assert_eq!(g, expected);
/// }
/// # Ok(()) }
/// ```
pub const NEXT_TEMPORARY_GENERATION: &str =
    "INSERT INTO temporary_token_generations (subject, generation) VALUES ($1, 2)
ON CONFLICT (subject) DO UPDATE SET generation = temporary_token_generations.generation + 1";

// ----- quotas -----

/// The number of groups a user created, counted up to a bound (one row, one `i64`): `$1` user
/// id, `$2` the bound (the quota). Take [`Dialect::lock_user`] first, in the same transaction
/// as the insert the quota guards.
///
/// ```
/// use onezone_tokens::storage::{Dialect, GROUPS_CREATED_BY, INSERT_GROUP, SCHEMA};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut db = rusqlite::Connection::open_in_memory()?;
/// db.execute_batch(SCHEMA)?;
/// let quota = 2i64;
/// let tx = db.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
/// if let Some(lock) = Dialect::Sqlite.lock_user() {
///     tx.execute(lock, ["alice"])?; // PostgreSQL: alice's requests take turns from here
/// }
/// let created: i64 = tx.query_row(GROUPS_CREATED_BY, ("alice", quota), |r| r.get(0))?;
/// assert!(created < quota);
/// tx.execute(INSERT_GROUP, ("g1", "Lab", "team", "alice"))?;
/// tx.commit()?;
/// # Ok(()) }
/// ```
pub const GROUPS_CREATED_BY: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM groups
WHERE created_by = $1 LIMIT CAST($2 AS BIGINT)) AS created";

/// The number of a user's invite tokens open at a time (not revoked, not expired, a use left),
/// counted up to a bound (one row, one `i64`): `$1` issuer's user id, `$2` the time (Unix
/// seconds), `$3` the bound (the quota). Runs over the `(issuer, valid_until)` index: the work
/// is bounded by the quota and the issuer's tokens still valid. Take [`Dialect::lock_user`]
/// first.
pub const OPEN_INVITES_OF: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM invite_tokens
WHERE issuer = $1 AND valid_until > CAST($2 AS BIGINT) AND NOT revoked
    AND (usage_limit IS NULL OR usage_count < usage_limit)
LIMIT CAST($3 AS BIGINT)) AS open";

// ----- locks -----

/// PostgreSQL: makes the links stand still until the transaction ends, so that a new link's
/// shape check and its insertion cannot interleave with another link's. Readers go on; another
/// link (or this lock) waits until the transaction ends. No parameter.
pub const LOCK_CHILD_LINKS_POSTGRES: &str = "LOCK TABLE group_children IN SHARE ROW EXCLUSIVE MODE";

/// PostgreSQL: the user's requests that count toward a quota and then write take turns until the
/// first commits: `$1` user id. A transaction-scoped advisory lock on the user id (class 7240002),
/// so it needs no users table; it is released at commit or rollback.
pub const LOCK_USER_POSTGRES: &str =
    "SELECT pg_advisory_xact_lock(7240002, hashtext(CAST($1 AS TEXT)))";

/// Which database the statements run on: all of them are the same on both, except the locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Dialect {
    /// SQLite, with every transaction that writes begun `IMMEDIATE` (or `EXCLUSIVE`): it holds
    /// the database's one write lock from its first statement, so no other transaction
    /// interleaves and no lock statement is needed. (A deferred transaction that reads then
    /// writes gets no such guarantee: begin it `IMMEDIATE`.)
    Sqlite,
    /// PostgreSQL, at `READ COMMITTED` (its default) or above.
    Postgres,
}

impl Dialect {
    /// The statement to run before reading a new link's shape
    /// ([`LINK_SHAPE_SQL`](super::LINK_SHAPE_SQL)), in the transaction that inserts it; `None`
    /// where the transaction's own lock suffices.
    pub const fn lock_child_links(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some(LOCK_CHILD_LINKS_POSTGRES),
        }
    }

    /// The statement (`$1` the user id) to run before a quota count ([`GROUPS_CREATED_BY`],
    /// [`OPEN_INVITES_OF`]), in the transaction that then writes; `None` where the transaction's
    /// own lock suffices.
    pub const fn lock_user(self) -> Option<&'static str> {
        match self {
            Dialect::Sqlite => None,
            Dialect::Postgres => Some(LOCK_USER_POSTGRES),
        }
    }
}
