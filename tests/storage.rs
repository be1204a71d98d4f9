//! Every statement of `onezone_tokens::storage` on a real database: SQLite always, PostgreSQL
//! when `ONEZONE_TEST_POSTGRES` names a database (`postgres://user@host:port/name`; CI sets it
//! from `server/pg.sh`'s throwaway server; each run works in its own schema, dropped at the
//! end). Without it the PostgreSQL case reports itself ignored, unless
//! `ONEZONE_REQUIRE_POSTGRES=1`, when that is a failure.
//!
//! The same test runs on both through a small `Db` seam that binds and reads only the contract's
//! plain types (`&str`, `i64`, `Option<i64>`, `&[u8]`, `bool`): on PostgreSQL an `int4`
//! parameter or column is an error, so the casts the contract promises are checked.

use onezone_tokens::group::{
    ChildRow, DirectoryError, DirectoryLimits, GroupId, LinkShape, PrivilegeSet, UserId,
};
use onezone_tokens::invite::{InviteRecord, InviteTarget, NamedTokenRecord, TokenUse, UsageLimit};
use onezone_tokens::storage::{self, ColumnError, Dialect, InviteRow, PrivilegeRows};
use onezone_tokens::token::Subject;

/// A value of the contract's plain column types.
#[derive(Debug, Clone, PartialEq)]
enum V {
    /// An absent integer (`Option<i64>`).
    Null,
    /// An absent text (`Option<&str>`).
    NullText,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
    Bool(bool),
}

impl V {
    fn int(&self) -> i64 {
        match self {
            V::Int(n) => *n,
            other => panic!("expected an integer, got {other:?}"),
        }
    }
    fn opt_int(&self) -> Option<i64> {
        match self {
            V::Null => None,
            other => Some(other.int()),
        }
    }
    fn text(&self) -> String {
        match self {
            V::Text(t) => t.clone(),
            other => panic!("expected text, got {other:?}"),
        }
    }
    fn opt_text(&self) -> Option<String> {
        match self {
            V::Null => None,
            other => Some(other.text()),
        }
    }
    fn bool(&self) -> bool {
        match self {
            V::Bool(b) => *b,
            // SQLite has no boolean type: 0 and 1, which rusqlite and sqlx read as `bool`.
            V::Int(0) => false,
            V::Int(1) => true,
            other => panic!("expected a boolean, got {other:?}"),
        }
    }
    fn bytes(&self) -> Vec<u8> {
        match self {
            V::Bytes(b) => b.clone(),
            other => panic!("expected bytes, got {other:?}"),
        }
    }
}

fn t(s: &str) -> V {
    V::Text(s.to_owned())
}

trait Db {
    fn dialect(&self) -> Dialect;
    fn batch(&mut self, sql: &str);
    fn exec(&mut self, sql: &str, params: &[V]) -> u64;
    fn query(&mut self, sql: &str, params: &[V]) -> Vec<Vec<V>>;
    fn one(&mut self, sql: &str, params: &[V]) -> Vec<V> {
        let mut rows = self.query(sql, params);
        assert_eq!(rows.len(), 1, "{sql}");
        rows.remove(0)
    }
}

// ----- SQLite -----

struct Sqlite(rusqlite::Connection);

impl Sqlite {
    fn params(params: &[V]) -> Vec<rusqlite::types::Value> {
        use rusqlite::types::Value as S;
        params
            .iter()
            .map(|v| match v {
                V::Null | V::NullText => S::Null,
                V::Int(n) => S::Integer(*n),
                V::Text(t) => S::Text(t.clone()),
                V::Bytes(b) => S::Blob(b.clone()),
                V::Bool(b) => S::Integer(i64::from(*b)),
            })
            .collect()
    }
}

impl Db for Sqlite {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
    fn batch(&mut self, sql: &str) {
        self.0.execute_batch(sql).unwrap();
    }
    fn exec(&mut self, sql: &str, params: &[V]) -> u64 {
        let n = self.0.execute(sql, rusqlite::params_from_iter(Self::params(params)));
        n.unwrap_or_else(|e| panic!("{e}: {sql}")) as u64
    }
    fn query(&mut self, sql: &str, params: &[V]) -> Vec<Vec<V>> {
        use rusqlite::types::ValueRef;
        let mut statement = self.0.prepare(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
        let columns = statement.column_count();
        let mut rows = statement.query(rusqlite::params_from_iter(Self::params(params))).unwrap();
        let mut out = Vec::new();
        while let Some(row) = rows.next().unwrap() {
            out.push(
                (0..columns)
                    .map(|i| match row.get_ref(i).unwrap() {
                        ValueRef::Null => V::Null,
                        ValueRef::Integer(n) => V::Int(n),
                        ValueRef::Text(t) => V::Text(String::from_utf8(t.to_vec()).unwrap()),
                        ValueRef::Blob(b) => V::Bytes(b.to_vec()),
                        ValueRef::Real(r) => panic!("a REAL column ({r}) in {sql}"),
                    })
                    .collect(),
            );
        }
        out
    }
}

// ----- PostgreSQL -----

struct Postgres {
    client: postgres::Client,
    schema: String,
}

impl Postgres {
    fn connect(url: &str) -> Postgres {
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        let schema = format!("storage_test_{}", std::process::id());
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; SET search_path TO {schema}"
            ))
            .unwrap();
        Postgres { client, schema }
    }

    /// Binds exactly the Rust types of the contract: an `int4` parameter refuses the `i64`.
    fn params(params: &[V]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
        params
            .iter()
            .map(|v| -> Box<dyn postgres::types::ToSql + Sync> {
                match v {
                    V::Null => Box::new(None::<i64>),
                    V::NullText => Box::new(None::<String>),
                    V::Int(n) => Box::new(*n),
                    V::Text(t) => Box::new(t.clone()),
                    V::Bytes(b) => Box::new(b.clone()),
                    V::Bool(b) => Box::new(*b),
                }
            })
            .collect()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ =
            self.client.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

impl Db for Postgres {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
    fn batch(&mut self, sql: &str) {
        self.client.batch_execute(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    }
    fn exec(&mut self, sql: &str, params: &[V]) -> u64 {
        let owned = Self::params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = owned.iter().map(|b| &**b).collect();
        self.client.execute(sql, &refs).unwrap_or_else(|e| panic!("{e:?}: {sql}"))
    }
    fn query(&mut self, sql: &str, params: &[V]) -> Vec<Vec<V>> {
        use postgres::types::Type;
        let owned = Self::params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = owned.iter().map(|b| &**b).collect();
        let rows = self.client.query(sql, &refs).unwrap_or_else(|e| panic!("{e:?}: {sql}"));
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| {
                        let ty = row.columns()[i].type_().clone();
                        let value = match ty {
                            Type::INT8 => row.get::<_, Option<i64>>(i).map(V::Int),
                            Type::TEXT => row.get::<_, Option<String>>(i).map(V::Text),
                            Type::BYTEA => row.get::<_, Option<Vec<u8>>>(i).map(V::Bytes),
                            Type::BOOL => row.get::<_, Option<bool>>(i).map(V::Bool),
                            Type::VOID => None,
                            other => panic!("column {i} of {sql} is {other}, not a contract type"),
                        };
                        value.unwrap_or(V::Null)
                    })
                    .collect()
            })
            .collect()
    }
}

// ----- the statements -----

fn gid(s: &str) -> GroupId {
    GroupId::new(s).unwrap()
}

fn uid(s: &str) -> UserId {
    UserId::new(s).unwrap()
}

fn bits(p: PrivilegeSet) -> V {
    V::Int(storage::privileges_to_column(p))
}

fn record(
    token_id: &str,
    group: &str,
    issuer: &str,
    limit: UsageLimit,
    until: u64,
) -> InviteRecord {
    InviteRecord {
        token_id: token_id.to_owned(),
        secret: onezone_tokens::invite::SecretBytes::new(vec![7; 32]),
        group_id: gid(group),
        issuer: uid(issuer),
        target: InviteTarget::UserJoinGroup,
        usage_limit: limit,
        usage_count: 0,
        privileges: PrivilegeSet::manager(),
        created_at: 1_800_000_000,
        valid_until: until,
        revoked: false,
    }
}

fn insert_invite(db: &mut dyn Db, record: &InviteRecord) -> u64 {
    let row = InviteRow::try_from(record).unwrap();
    db.exec(
        storage::INSERT_INVITE,
        &[
            V::Text(row.token_id.clone()),
            V::Bytes(row.secret.clone()),
            V::Text(row.group_id.clone()),
            V::Text(row.issuer.clone()),
            V::Text(row.target.clone()),
            row.usage_limit.map_or(V::Null, V::Int),
            V::Int(row.usage_count),
            V::Int(row.privileges),
            V::Int(row.created_at),
            V::Int(row.valid_until),
            V::Bool(row.revoked),
        ],
    )
}

fn invites(db: &mut dyn Db, sql: &str, key: &str) -> Vec<InviteRecord> {
    db.query(sql, &[t(key)])
        .into_iter()
        .map(|r| {
            let row = InviteRow {
                token_id: r[0].text(),
                secret: r[1].bytes(),
                group_id: r[2].text(),
                issuer: r[3].text(),
                target: r[4].text(),
                usage_limit: r[5].opt_int(),
                usage_count: r[6].int(),
                privileges: r[7].int(),
                created_at: r[8].int(),
                valid_until: r[9].int(),
                revoked: r[10].bool(),
            };
            InviteRecord::try_from(row).unwrap()
        })
        .collect()
}

fn exists(db: &mut dyn Db, sql: &str, params: &[V]) -> bool {
    db.one(sql, params)[0].bool()
}

fn count(db: &mut dyn Db, sql: &str, params: &[V]) -> u64 {
    storage::count_from_column(db.one(sql, params)[0].int()).unwrap()
}

fn every_statement(db: &mut dyn Db) {
    db.batch(storage::SCHEMA);
    db.batch(storage::SCHEMA); // idempotent: applied to a database that has it

    // Groups.
    for (g, creator) in [("top", "alice"), ("mid", "alice"), ("low", "bob"), ("solo", "alice")] {
        let row = [t(g), t(&format!("Group {g}")), t("team"), t(creator)];
        assert_eq!(db.exec(storage::INSERT_GROUP, &row), 1);
        assert_eq!(db.exec(storage::INSERT_GROUP, &row), 0, "the id is taken");
    }
    assert_eq!(db.exec(storage::INSERT_GROUP, &[t("old"), t("Old"), t("team"), V::NullText]), 1);
    assert_eq!(db.one(storage::SELECT_GROUP, &[t("mid")]), vec![t("Group mid"), t("team")]);
    assert!(db.query(storage::SELECT_GROUP, &[t("nope")]).is_empty());
    assert!(exists(db, storage::GROUP_EXISTS, &[t("top")]));
    assert!(!exists(db, storage::GROUP_EXISTS, &[t("nope")]));

    // Memberships: insert-if-absent, read, exists, bounded count.
    let admin = PrivilegeSet::admin();
    for user in ["alice", "carol", "dave"] {
        assert_eq!(db.exec(storage::INSERT_MEMBERSHIP, &[t("top"), t(user), bits(admin)]), 1);
    }
    let member = PrivilegeSet::member();
    assert_eq!(db.exec(storage::INSERT_MEMBERSHIP, &[t("top"), t("carol"), bits(member)]), 0);
    assert_eq!(db.exec(storage::INSERT_MEMBERSHIP, &[t("low"), t("erin"), bits(member)]), 1);
    let held = db.one(storage::SELECT_MEMBERSHIP, &[t("top"), t("carol")])[0].int();
    assert_eq!(storage::privileges_from_column(held).unwrap(), admin, "the first insert stands");
    assert!(db.query(storage::SELECT_MEMBERSHIP, &[t("mid"), t("carol")]).is_empty());
    assert!(exists(db, storage::MEMBERSHIP_EXISTS, &[t("top"), t("dave")]));
    assert!(!exists(db, storage::MEMBERSHIP_EXISTS, &[t("mid"), t("dave")]));
    assert_eq!(count(db, storage::MEMBER_COUNT, &[t("top"), V::Int(2)]), 2, "bounded");
    assert_eq!(
        count(db, storage::MEMBER_COUNT, &[t("top"), V::Int(storage::bound(usize::MAX))]),
        3
    );
    assert_eq!(count(db, storage::MEMBER_COUNT, &[t("mid"), V::Int(10)]), 0);

    // Links: top -> mid -> low, top -> solo.
    let manager = PrivilegeSet::manager();
    for (parent, child) in [("top", "mid"), ("mid", "low"), ("top", "solo")] {
        let row = [t(parent), t(child), bits(manager)];
        assert_eq!(db.exec(storage::INSERT_CHILD_LINK, &row), 1);
        assert_eq!(db.exec(storage::INSERT_CHILD_LINK, &row), 0, "the link exists");
    }
    let held = db.one(storage::SELECT_CHILD_LINK, &[t("top"), t("mid")])[0].int();
    assert_eq!(storage::privileges_from_column(held).unwrap(), manager);
    assert!(db.query(storage::SELECT_CHILD_LINK, &[t("mid"), t("top")]).is_empty());
    assert!(exists(db, storage::CHILD_LINK_EXISTS, &[t("mid"), t("low")]));
    assert!(!exists(db, storage::CHILD_LINK_EXISTS, &[t("low"), t("mid")]));
    assert_eq!(count(db, storage::CHILD_COUNT, &[t("top"), V::Int(1)]), 1, "bounded");
    assert_eq!(count(db, storage::CHILD_COUNT, &[t("top"), V::Int(9)]), 2);

    // The recursive queries, with an i64 depth, privileges read as i64.
    let depth = V::Int(storage::bound(64usize));
    let mut rows = PrivilegeRows::default();
    for r in db.query(storage::EFFECTIVE_PRIVILEGES_SQL, &[t("erin"), t("top"), depth.clone()]) {
        rows.push(&uid("erin"), r[0].text(), r[1].opt_text(), r[2].int()).unwrap();
    }
    assert_eq!(rows.memberships.len(), 1);
    assert_eq!(rows.effective_privileges(&uid("erin"), &gid("top")).unwrap(), manager);
    // Depth 1 stops above `low`: erin's membership is out of reach.
    let mut shallow = PrivilegeRows::default();
    for r in db.query(storage::EFFECTIVE_PRIVILEGES_SQL, &[t("erin"), t("top"), V::Int(1)]) {
        shallow.push(&uid("erin"), r[0].text(), r[1].opt_text(), r[2].int()).unwrap();
    }
    assert_eq!(
        shallow.effective_privileges(&uid("erin"), &gid("top")).unwrap(),
        PrivilegeSet::EMPTY
    );
    let links: Vec<ChildRow> = db
        .query(storage::LINK_SHAPE_SQL, &[t("low"), t("top"), depth])
        .into_iter()
        .map(|r| ChildRow::from_columns(r[0].text(), r[1].text(), r[2].int()).unwrap())
        .collect();
    let shape = LinkShape::from_rows(&gid("low"), &gid("top"), &links).unwrap();
    assert!(shape.closes_cycle, "top is an ancestor of low");
    let links: Vec<ChildRow> = db
        .query(storage::LINK_SHAPE_SQL, &[t("solo"), t("mid"), V::Int(64)])
        .into_iter()
        .map(|r| ChildRow::from_columns(r[0].text(), r[1].text(), r[2].int()).unwrap())
        .collect();
    assert_eq!(
        LinkShape::from_rows(&gid("solo"), &gid("mid"), &links).unwrap(),
        LinkShape::new(false, 3)
    );

    // Invite records: the row mapping both ways, the conditional use, revoke, delete.
    let now = 1_800_000_000u64;
    let two = UsageLimit::Limited(2.try_into().unwrap());
    let mut a = record("tok-a", "top", "alice", two, now + 3600);
    a.created_at += 10;
    let mut b = record("tok-b", "top", "bob", UsageLimit::Infinity, now + 60);
    b.created_at += 5;
    let mut c =
        record("tok-c", "mid", "alice", UsageLimit::Limited(1.try_into().unwrap()), now - 1);
    c.target = InviteTarget::GroupJoinGroup;
    c.secret = onezone_tokens::invite::SecretBytes::new(Vec::new()); // derived: none stored
    for r in [&a, &b, &c] {
        assert_eq!(insert_invite(db, r), 1);
    }
    assert_eq!(invites(db, storage::SELECT_INVITE, "tok-c"), vec![c.clone()]);
    assert!(invites(db, storage::SELECT_INVITE, "nope").is_empty());
    assert_eq!(invites(db, storage::SELECT_INVITES_OF_ISSUER, "alice"), vec![c.clone(), a.clone()]);
    assert_eq!(invites(db, storage::SELECT_INVITES_IN_GROUP, "top"), vec![b.clone(), a.clone()]);

    let open = |db: &mut dyn Db, issuer: &str, bound: i64| {
        count(db, storage::OPEN_INVITES_OF, &[t(issuer), V::Int(now as i64), V::Int(bound)])
    };
    assert_eq!(open(db, "alice", 10), 1, "tok-c has expired");
    let token_use = TokenUse { token_id: "tok-a".into(), usage_limit: two };
    assert_eq!(db.exec(storage::USE_INVITE, &[t(&token_use.token_id)]), 1);
    assert_eq!(db.exec(storage::USE_INVITE, &[t(&token_use.token_id)]), 1);
    assert_eq!(db.exec(storage::USE_INVITE, &[t(&token_use.token_id)]), 0, "used up");
    assert_eq!(invites(db, storage::SELECT_INVITE, "tok-a")[0].usage_count, 2);
    assert_eq!(open(db, "alice", 10), 0, "used up is not open");
    assert_eq!(open(db, "bob", 10), 1);
    assert_eq!(open(db, "bob", 0), 0, "bounded");
    assert_eq!(db.exec(storage::SET_INVITE_REVOKED, &[V::Bool(true), t("tok-b")]), 1);
    assert_eq!(db.exec(storage::USE_INVITE, &[t("tok-b")]), 0, "revoked");
    assert_eq!(open(db, "bob", 10), 0, "revoked is not open");
    assert!(invites(db, storage::SELECT_INVITE, "tok-b")[0].revoked);
    assert_eq!(db.exec(storage::SET_INVITE_REVOKED, &[V::Bool(false), t("tok-b")]), 1);
    assert_eq!(db.exec(storage::USE_INVITE, &[t("tok-b")]), 1, "reinstated, infinite");
    assert_eq!(db.exec(storage::SET_INVITE_REVOKED, &[V::Bool(true), t("nope")]), 0);
    assert_eq!(db.exec(storage::DELETE_INVITE, &[t("tok-b")]), 1);
    assert_eq!(db.exec(storage::DELETE_INVITE, &[t("tok-b")]), 0);

    // Quotas, under the user lock where the dialect needs one (inside a transaction: the locks
    // last until it ends).
    db.batch("BEGIN");
    if let Some(lock) = db.dialect().lock_user() {
        db.query(lock, &[t("alice")]);
    }
    assert_eq!(count(db, storage::GROUPS_CREATED_BY, &[t("alice"), V::Int(10)]), 3);
    assert_eq!(count(db, storage::GROUPS_CREATED_BY, &[t("alice"), V::Int(2)]), 2, "bounded");
    assert_eq!(count(db, storage::GROUPS_CREATED_BY, &[t("carol"), V::Int(2)]), 0);
    if let Some(lock) = db.dialect().lock_child_links() {
        db.exec(lock, &[]);
    }
    assert_eq!(db.exec(storage::INSERT_CHILD_LINK, &[t("solo"), t("old"), bits(member)]), 1);
    db.batch("COMMIT");
    assert_eq!(db.dialect().lock_user().is_some(), db.dialect() == Dialect::Postgres);
    token_statements(db);
}

fn named_row(params: &storage::NamedTokenRow) -> Vec<V> {
    vec![
        t(&params.token_id),
        t(&params.subject),
        t(&params.name),
        t(&params.token_type),
        t(&params.caveats),
        t(&params.custom_metadata),
        V::Bool(params.revoked),
        V::Int(params.created_at),
    ]
}

fn read_named(db: &mut dyn Db, sql: &str, params: &[V]) -> Vec<NamedTokenRecord> {
    db.query(sql, params)
        .into_iter()
        .map(|r| {
            let row = storage::NamedTokenRow {
                token_id: r[0].text(),
                subject: r[1].text(),
                name: r[2].text(),
                token_type: r[3].text(),
                caveats: r[4].text(),
                custom_metadata: r[5].text(),
                revoked: r[6].bool(),
                created_at: r[7].int(),
            };
            NamedTokenRecord::try_from(row).unwrap()
        })
        .collect()
}

/// Onezone 20.02's named tokens and temporary-token generations (`TOKENS_SCHEMA`).
fn token_statements(db: &mut dyn Db) {
    db.batch(storage::TOKENS_SCHEMA);
    db.batch(storage::TOKENS_SCHEMA); // idempotent
    let alice = Subject::User("alice".into());
    let record = |id: &str, name: &str, created_at: u64| NamedTokenRecord {
        token_id: id.into(),
        name: name.into(),
        subject: alice.clone(),
        token_type: "ujg:top:".parse().unwrap(),
        caveats: vec!["time < 1900000000".parse().unwrap(), "interface = rest".parse().unwrap()],
        custom_metadata: serde_json::json!({"app": {"x": 1}}).as_object().unwrap().clone(),
        revoked: false,
        created_at,
    };
    let (t1, t2) = (record("t1", "first", 10), record("t2", "second", 5));
    for r in [&t1, &t2] {
        let row = storage::NamedTokenRow::try_from(r).unwrap();
        assert_eq!(db.exec(storage::INSERT_NAMED_TOKEN, &named_row(&row)), 1);
    }
    // The same name for the same subject, or the same id: nothing inserted, no error.
    let mut clash = storage::NamedTokenRow::try_from(&record("t3", "first", 11)).unwrap();
    assert_eq!(db.exec(storage::INSERT_NAMED_TOKEN, &named_row(&clash)), 0, "name taken");
    clash.subject = "usr-bob".into();
    assert_eq!(db.exec(storage::INSERT_NAMED_TOKEN, &named_row(&clash)), 1, "bob's own name");
    clash.name = "other".into();
    assert_eq!(db.exec(storage::INSERT_NAMED_TOKEN, &named_row(&clash)), 0, "id taken");

    assert_eq!(read_named(db, storage::SELECT_NAMED_TOKEN, &[t("t1")]), vec![t1.clone()]);
    assert!(read_named(db, storage::SELECT_NAMED_TOKEN, &[t("nope")]).is_empty());
    let by_name = [t("usr-alice"), t("second")];
    assert_eq!(read_named(db, storage::SELECT_NAMED_TOKEN_BY_NAME, &by_name), vec![t2.clone()]);
    let ids: Vec<String> = db
        .query(storage::SELECT_NAMED_TOKEN_IDS_OF, &[t("usr-alice")])
        .into_iter()
        .map(|r| r[0].text())
        .collect();
    assert_eq!(ids, ["t2", "t1"], "oldest first");
    assert!(exists(db, storage::NAMED_TOKEN_NAME_TAKEN, &[t("usr-alice"), t("first"), t("t2")]));
    assert!(!exists(db, storage::NAMED_TOKEN_NAME_TAKEN, &[t("usr-alice"), t("first"), t("t1")]));

    let mut renamed = t1.clone();
    renamed.name = "renamed".into();
    renamed.revoked = true;
    let row = storage::NamedTokenRow::try_from(&renamed).unwrap();
    let update = [t(&row.name), t(&row.custom_metadata), V::Bool(true), t("t1")];
    assert_eq!(db.exec(storage::UPDATE_NAMED_TOKEN, &update), 1);
    assert_eq!(read_named(db, storage::SELECT_NAMED_TOKEN, &[t("t1")]), vec![renamed]);
    assert_eq!(db.exec(storage::DELETE_NAMED_TOKEN, &[t("t1")]), 1);
    assert_eq!(db.exec(storage::DELETE_NAMED_TOKEN, &[t("t1")]), 0);

    // Generations: 1 without a row, then one more per revocation.
    let generation = |db: &mut dyn Db| {
        let rows = db.query(storage::SELECT_TEMPORARY_GENERATION, &[t("usr-alice")]);
        storage::generation_from_column(rows.first().map(|r| r[0].int())).unwrap()
    };
    assert_eq!(generation(db), 1);
    for expected in [2, 3] {
        assert_eq!(db.exec(storage::NEXT_TEMPORARY_GENERATION, &[t("usr-alice")]), 1);
        assert_eq!(generation(db), expected);
    }
}

fn sqlite() -> Result<(), libtest_mimic::Failed> {
    let conn = rusqlite::Connection::open_in_memory()?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    every_statement(&mut Sqlite(conn));
    Ok(())
}

fn postgres(url: &str) -> Result<(), libtest_mimic::Failed> {
    every_statement(&mut Postgres::connect(url));
    Ok(())
}

/// SQLite numbers `$N` by first appearance: each statement must name `$1`, `$2`, ... in order,
/// or the two databases would bind the same values to different parameters.
fn parameters_in_order() -> Result<(), libtest_mimic::Failed> {
    for sql in [
        storage::INSERT_GROUP,
        storage::SELECT_GROUP,
        storage::GROUP_EXISTS,
        storage::SELECT_MEMBERSHIP,
        storage::MEMBERSHIP_EXISTS,
        storage::INSERT_MEMBERSHIP,
        storage::MEMBER_COUNT,
        storage::SELECT_CHILD_LINK,
        storage::CHILD_LINK_EXISTS,
        storage::INSERT_CHILD_LINK,
        storage::CHILD_COUNT,
        storage::INSERT_INVITE,
        storage::SELECT_INVITE,
        storage::SELECT_INVITES_OF_ISSUER,
        storage::SELECT_INVITES_IN_GROUP,
        storage::USE_INVITE,
        storage::SET_INVITE_REVOKED,
        storage::DELETE_INVITE,
        storage::GROUPS_CREATED_BY,
        storage::OPEN_INVITES_OF,
        storage::LOCK_USER_POSTGRES,
        storage::INSERT_NAMED_TOKEN,
        storage::SELECT_NAMED_TOKEN,
        storage::SELECT_NAMED_TOKEN_BY_NAME,
        storage::SELECT_NAMED_TOKEN_IDS_OF,
        storage::NAMED_TOKEN_NAME_TAKEN,
        storage::UPDATE_NAMED_TOKEN,
        storage::DELETE_NAMED_TOKEN,
        storage::SELECT_TEMPORARY_GENERATION,
        storage::NEXT_TEMPORARY_GENERATION,
        storage::EFFECTIVE_PRIVILEGES_SQL,
        storage::LINK_SHAPE_SQL,
    ] {
        let mut next = 1;
        let mut rest = sql;
        while let Some(at) = rest.find('$') {
            let digits: String = rest[at + 1..].chars().take_while(char::is_ascii_digit).collect();
            let n: usize = digits.parse()?;
            if n > next {
                return Err(format!("${n} before ${next} in {sql}").into());
            }
            next += usize::from(n == next);
            rest = &rest[at + 1 + digits.len()..];
        }
    }
    Ok(())
}

type SetField = fn(&mut InviteRecord, u64);
type SpoilColumn = fn(&mut InviteRow);

/// The row mapping's refusals, both ways: what does not fit a column, what no record holds.
fn row_conversions_refuse_what_does_not_fit() -> Result<(), libtest_mimic::Failed> {
    let base = record("t", "g", "u", UsageLimit::Infinity, 60);
    let past = i64::MAX as u64 + 1;
    let cases: [(SetField, &str); 4] = [
        (
            |r, v| r.usage_limit = UsageLimit::Limited(v.try_into().unwrap()),
            "invite_tokens.usage_limit",
        ),
        (|r, v| r.usage_count = v, "invite_tokens.usage_count"),
        (|r, v| r.created_at = v, "invite_tokens.created_at"),
        (|r, v| r.valid_until = v, "invite_tokens.valid_until"),
    ];
    for (set, column) in cases {
        for value in [past, u64::MAX] {
            let mut r = base.clone();
            set(&mut r, value);
            let err = InviteRow::try_from(&r).unwrap_err();
            assert_eq!(err, ColumnError::OutOfRange { column, value });
            assert_eq!(
                err.to_string(),
                format!("{column} {value} is too large to store (at most 9223372036854775807)")
            );
        }
        let mut r = base.clone();
        set(&mut r, i64::MAX as u64);
        let back = InviteRecord::try_from(InviteRow::try_from(&r)?)?;
        assert_eq!(back, r, "i64::MAX itself fits {column}");
    }

    let bad: [(SpoilColumn, &str); 10] = [
        (|r| r.target = "xyz".into(), "invite_tokens.target"),
        (|r| r.usage_limit = Some(0), "invite_tokens.usage_limit"),
        (|r| r.usage_limit = Some(-1), "invite_tokens.usage_limit"),
        (|r| r.usage_count = -1, "invite_tokens.usage_count"),
        (|r| r.privileges = 1 << 29, "invite_tokens.privileges"), // past the 29 names of 17.06 and 21.02
        (|r| r.privileges = -1, "invite_tokens.privileges"),
        (|r| r.created_at = i64::MIN, "invite_tokens.created_at"),
        (|r| r.valid_until = -5, "invite_tokens.valid_until"),
        (|r| r.group_id = String::new(), "invite_tokens.group_id"),
        (|r| r.issuer = "a/b".into(), "invite_tokens.issuer"),
    ];
    for (spoil, column) in bad {
        let mut row = InviteRow::try_from(&base)?;
        spoil(&mut row);
        assert_eq!(InviteRecord::try_from(row).unwrap_err(), ColumnError::Invalid { column });
    }
    assert!(!format!("{:?}", InviteRow::try_from(&base)?).contains("7, 7"), "no secret in Debug");

    assert_eq!(
        ChildRow::from_columns("a".into(), "b".into(), 1 << 30).unwrap_err(),
        ColumnError::Invalid { column: "group_children.privileges" }
    );
    assert_eq!(
        onezone_tokens::group::MembershipRow::from_columns(String::new(), "g".into(), 1)
            .unwrap_err(),
        ColumnError::Invalid { column: "group_users.user_id" }
    );
    let mut rows = PrivilegeRows::default();
    assert_eq!(
        rows.push(&uid("u"), "g".into(), Some(String::new()), 1).unwrap_err(),
        ColumnError::Invalid { column: "group_children.parent_id" }
    );
    assert_eq!(
        storage::count_from_column(-1).unwrap_err(),
        ColumnError::Invalid { column: "count" }
    );
    for target in [InviteTarget::UserJoinGroup, InviteTarget::GroupJoinGroup] {
        assert_eq!(InviteTarget::from_code(target.code()), Some(target));
    }
    assert_eq!(InviteTarget::from_code("UJG"), None);
    assert_eq!(storage::bound(u64::MAX), i64::MAX);
    assert_eq!(storage::bound(5usize), 5);
    Ok(())
}

/// The caps over counts refuse exactly at the cap, with the directory's error.
fn caps_over_counts() -> Result<(), libtest_mimic::Failed> {
    let limits =
        DirectoryLimits::default().with_max_members_per_group(2).with_max_children_per_group(1);
    let mut d = onezone_tokens::group::Directory::with_limits(limits);
    let (g, h) = (gid("g"), gid("h"));
    d.create_group(&uid("a"), g.clone(), "G", onezone_tokens::group::GroupType::Team)?;
    d.create_group(&uid("a"), h.clone(), "H", onezone_tokens::group::GroupType::Team)?;
    assert_eq!(limits.check_member_count(&g, &uid("b"), 1), Ok(()));
    d.add_user(&g, &uid("b"), PrivilegeSet::member())?;
    let refused = d.add_user(&g, &uid("c"), PrivilegeSet::member()).unwrap_err();
    assert_eq!(limits.check_member_count(&g, &uid("c"), 2), Err(refused.clone()));
    assert_eq!(limits.check_member_count(&g, &uid("c"), u64::MAX), Err(refused));
    assert_eq!(limits.check_child_count(&g, &h, 0), Ok(()));
    d.add_child(&g, &h, PrivilegeSet::member())?;
    d.create_group(&uid("a"), gid("k"), "K", onezone_tokens::group::GroupType::Team)?;
    let refused = d.add_child(&g, &gid("k"), PrivilegeSet::member()).unwrap_err();
    assert!(matches!(refused, DirectoryError::TooManyChildren { max: 1, .. }));
    assert_eq!(limits.check_child_count(&g, &gid("k"), 1), Err(refused));
    Ok(())
}

fn main() {
    let args = libtest_mimic::Arguments::from_args();
    let url = std::env::var("ONEZONE_TEST_POSTGRES").ok().filter(|u| !u.is_empty());
    let required = std::env::var("ONEZONE_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    let pg_url = url.clone().unwrap_or_default();
    let trials = vec![
        libtest_mimic::Trial::test("sqlite::every_statement", sqlite),
        libtest_mimic::Trial::test("postgres::every_statement", move || {
            if pg_url.is_empty() {
                return Err(
                    "ONEZONE_REQUIRE_POSTGRES=1 but ONEZONE_TEST_POSTGRES is not set".into()
                );
            }
            postgres(&pg_url)
        })
        .with_ignored_flag(url.is_none() && !required),
        libtest_mimic::Trial::test("parameters_in_order", parameters_in_order),
        libtest_mimic::Trial::test(
            "row_conversions_refuse_what_does_not_fit",
            row_conversions_refuse_what_does_not_fit,
        ),
        libtest_mimic::Trial::test("caps_over_counts", caps_over_counts),
    ];
    libtest_mimic::run(&args, trials).exit();
}
