//! Onezone's group rules over a database's rows, held to `Directory` on random nested graphs.
//!
//! Each case builds a random graph of groups (diamonds, privilege overrides, depth up to the
//! limit; links the directory refuses are left out) in a `Directory` and the same rows in SQLite
//! (the schema and handlers of `examples/sqlite_embedding`). Then:
//!
//! - for every (user, group), `effective_privileges_from_rows` over the rows of
//!   `EFFECTIVE_PRIVILEGES_SQL`, and over all rows, equals `Directory::effective_privileges`;
//! - a sequence of child-group joins with invite tokens, some closing cycles or nesting too deep,
//!   goes through the storage-neutral decision (SQL facts, `LINK_SHAPE_SQL`) and through
//!   `invite::in_memory` alike: the same answer, error for error, and afterwards the same graph;
//! - so does a sequence of user joins; with small caps, both sequences meet the member and child
//!   caps (`MEMBER_COUNT`, `CHILD_COUNT` and `DirectoryLimits::check_*_count` over rows).
//!
//! Plus unit cases of the row functions' refusals of inconsistent rows.

#[path = "../examples/sqlite_embedding/store.rs"]
#[allow(dead_code)]
mod store;

use onezone_tokens::group::{
    ChildRow, Directory, DirectoryError, DirectoryLimits, GroupId, GroupType, LinkShape,
    MembershipRow, Privilege, PrivilegeSet, RowsError, UserId, effective_privileges_from_rows,
};
use onezone_tokens::invite::{InviteError, InviteRecord, InviteToken, IssuePolicy, in_memory};
use onezone_tokens::token::CaveatContext;
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rusqlite::Connection;

const GROUPS: usize = 8;
const USERS: usize = 5;
const NOW: u64 = 1_800_000_000;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn gid(g: usize) -> GroupId {
    GroupId::new(format!("g{g}")).unwrap()
}

fn uid(u: usize) -> UserId {
    UserId::new(format!("u{u}")).unwrap()
}

fn limits() -> DirectoryLimits {
    // Small enough that random links and joins hit them; joins must refuse the same links and
    // members (the caps over the contract's bounded counts, as `Directory` refuses them).
    DirectoryLimits::default()
        .with_max_depth(4)
        .with_max_members_per_group(3)
        .with_max_children_per_group(2)
}

fn privileges() -> impl Strategy<Value = PrivilegeSet> {
    prop_oneof![
        Just(PrivilegeSet::EMPTY),
        Just(PrivilegeSet::member()),
        Just(PrivilegeSet::manager()),
        Just(PrivilegeSet::admin()),
        Just(PrivilegeSet::only(Privilege::GroupInviteGroup)),
        (0u32..0x2000_0000).prop_map(|bits| PrivilegeSet::from_bits(bits).unwrap()),
    ]
}

#[derive(Debug, Clone)]
struct World {
    /// The creator of each group (its admin member).
    creators: Vec<usize>,
    members: Vec<(usize, usize, PrivilegeSet)>,
    links: Vec<(usize, usize, PrivilegeSet)>,
    joins: Vec<(usize, usize, PrivilegeSet)>,
}

fn world() -> impl Strategy<Value = World> {
    (
        proptest::collection::vec(0..USERS, GROUPS),
        proptest::collection::vec((0..GROUPS, 0..USERS, privileges()), 0..16),
        // Parent < child most of the time builds deep chains and diamonds; the rest tries
        // cycles, which the directory refuses.
        proptest::collection::vec((0..GROUPS, 0..GROUPS, privileges()), 0..20),
        proptest::collection::vec((0..GROUPS, 0..GROUPS, privileges()), 1..8),
    )
        .prop_map(|(creators, members, links, joins)| World {
            creators,
            members,
            links,
            joins,
        })
}

/// The world in a `Directory` and in SQLite, row for row.
fn build(w: &World) -> (Directory, Connection) {
    let mut d = Directory::with_limits(limits());
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(onezone_tokens::storage::SCHEMA).unwrap();
    for (g, &creator) in w.creators.iter().enumerate() {
        d.create_group(&uid(creator), gid(g), format!("Group {g}"), GroupType::Team).unwrap();
        store::create_group(&conn, &uid(creator), &gid(g), "G", GroupType::Team).unwrap();
    }
    for &(g, u, p) in &w.members {
        if d.add_user(&gid(g), &uid(u), p).is_ok() {
            store::add_user(&conn, &gid(g), &uid(u), p).unwrap();
        }
    }
    for &(parent, child, p) in &w.links {
        if d.add_child(&gid(parent), &gid(child), p).is_ok() {
            store::add_child(&conn, &gid(parent), &gid(child), p).unwrap();
        }
    }
    (d, conn)
}

/// Every row of the directory: all memberships of `user`, and all links.
fn all_rows(d: &Directory, user: &UserId) -> (Vec<MembershipRow>, Vec<ChildRow>) {
    let mut memberships = Vec::new();
    let mut links = Vec::new();
    for g in 0..GROUPS {
        let group = gid(g);
        if let Some(p) = d.direct_privileges(user, &group) {
            memberships.push(MembershipRow {
                user: user.clone(),
                group: group.clone(),
                privileges: p,
            });
        }
        for (child, p) in d.children(&group).unwrap_or_default() {
            links.push(ChildRow { child: child.clone(), parent: group.clone(), privileges: p });
        }
    }
    (memberships, links)
}

fn assert_same_privileges(d: &Directory, conn: &Connection) -> Result<(), TestCaseError> {
    // The world's users, and the three that user joins add.
    for u in 0..USERS + 3 {
        let user = uid(u);
        let (memberships, links) = all_rows(d, &user);
        for g in 0..GROUPS {
            let group = gid(g);
            let expected = d.effective_privileges(&user, &group);
            let from_sql = store::effective_privileges(conn, &user, &group, &limits()).unwrap();
            let from_all =
                effective_privileges_from_rows(&user, &group, &memberships, &links).unwrap();
            prop_assert_eq!(from_sql, expected, "{} in {} (SQL rows)", user, group);
            prop_assert_eq!(from_all, expected, "{} in {} (all rows)", user, group);
        }
    }
    Ok(())
}

/// An invite to `group` with privileges `p` (infinite uses), issued over SQL by the group's
/// creator: the token and its record. The same record then serves both sides.
fn issue(
    conn: &mut Connection,
    w: &World,
    group: usize,
    p: PrivilegeSet,
    rng: &mut StdRng,
    child: bool,
) -> (String, InviteRecord) {
    let policy = IssuePolicy::new("onezone.example.org")
        .with_default_usage_limit(onezone_tokens::invite::UsageLimit::Infinity);
    let issuer = uid(w.creators[group]);
    let body = serde_json::json!({ "privileges": p }).to_string();
    let token = store::issue(
        conn,
        Some(&issuer),
        gid(group).as_str(),
        Some(body.as_bytes()),
        &policy,
        &limits(),
        NOW,
        rng,
        child,
    )
    .unwrap()
    .token;
    let token_id = InviteToken::parse(&token).unwrap().token_id().to_owned();
    (token, store::invite(conn, &token_id).unwrap().unwrap())
}

/// The same answer over rows and in memory, error for error, and the same usage count after.
fn same_outcome(
    conn: &Connection,
    over_rows: &Result<String, store::Failure>,
    in_memory: Result<String, &InviteError>,
    record: &InviteRecord,
    before: u64,
) -> Result<(), TestCaseError> {
    match (over_rows, in_memory) {
        (Ok(location), Ok(expected)) => {
            prop_assert_eq!(location, &expected);
            prop_assert_eq!(record.usage_count, before + 1);
        }
        (Err(store::Failure::Api(a)), Err(b)) => {
            prop_assert_eq!(a, b);
            prop_assert_eq!(record.usage_count, before);
        }
        (a, b) => prop_assert!(false, "over rows {:?}, in memory {:?}", a, b),
    }
    let stored = store::usage_count(conn, &record.token_id).unwrap();
    prop_assert_eq!(stored, Some(record.usage_count));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases(128)))]

    #[test]
    fn effective_privileges_from_rows_equal_the_directorys(w in world()) {
        let (d, conn) = build(&w);
        assert_same_privileges(&d, &conn)?;
    }

    #[test]
    fn child_joins_decide_alike_over_rows_and_over_the_directory(w in world()) {
        let (mut d, mut conn) = build(&w);
        let ctx = CaveatContext { now: NOW + 1, ..Default::default() };
        let mut rng = StdRng::seed_from_u64(9);
        for &(parent, child, p) in &w.joins {
            // The parent's creator invites (with custom privileges, as its admin); the child's
            // creator joins it.
            let (token, mut record) = issue(&mut conn, &w, parent, p, &mut rng, true);
            let actor = uid(w.creators[child]);
            let over_rows =
                store::join_parent(&mut conn, Some(&actor), gid(child).as_str(), &token, &ctx, &limits());
            let before = record.usage_count;
            let in_memory = in_memory::join_parent_group_with_token(
                &mut d, &mut record, &actor, gid(child).as_str(), &token, &ctx,
            );
            let answer = in_memory.as_ref().map(|join| join.location());
            same_outcome(&conn, &over_rows, answer, &record, before)?;
            if parent == child {
                prop_assert!(
                    matches!(in_memory, Err(InviteError::Refused(DirectoryError::WouldCreateCycle { .. }))),
                    "{:?}", in_memory
                );
            }
        }
        // The graphs stayed the same: the same answers everywhere.
        assert_same_privileges(&d, &conn)?;
    }

    #[test]
    fn user_joins_decide_alike_over_rows_and_over_the_directory(w in world()) {
        let (mut d, mut conn) = build(&w);
        let ctx = CaveatContext { now: NOW + 1, ..Default::default() };
        let mut rng = StdRng::seed_from_u64(11);
        for &(group, user, p) in &w.joins {
            let (token, mut record) = issue(&mut conn, &w, group, p, &mut rng, false);
            // A user of its own beyond the world's, so that joins add members up to the cap.
            let joining = uid(USERS + user % 3);
            let over_rows = store::join_group(&mut conn, &joining, &token, &ctx, &limits());
            let before = record.usage_count;
            let in_memory =
                in_memory::join_group_with_token(&mut d, &mut record, &joining, &token, &ctx);
            let answer = in_memory.as_ref().map(|join| join.location());
            same_outcome(&conn, &over_rows, answer, &record, before)?;
        }
        assert_same_privileges(&d, &conn)?;
    }

    #[test]
    fn link_shapes_from_rows_equal_the_directorys(w in world(), parent in 0..GROUPS, child in 0..GROUPS) {
        let (d, conn) = build(&w);
        let (p, c) = (gid(parent), gid(child));
        let expected = d.link_shape(&p, &c).unwrap();
        let from_sql = store::link_shape(&conn, &p, &c, &limits()).unwrap();
        let (_, links) = all_rows(&d, &uid(0));
        let from_all = LinkShape::from_rows(&p, &c, &links).unwrap();
        prop_assert_eq!(from_sql, expected);
        prop_assert_eq!(from_all, expected);
        // And `add_child` refuses exactly what `check` and the child cap over the count refuse,
        // in its order: a cycle, too many children, too deep.
        if d.child_privileges(&c, &p).is_none() {
            let added = d.clone().add_child(&p, &c, PrivilegeSet::member());
            let children = d.children(&p).unwrap().len() as u64;
            let over_rows = if expected.closes_cycle {
                expected.check(&p, &c, &limits())
            } else {
                limits()
                    .check_child_count(&p, &c, children)
                    .and_then(|()| expected.check(&p, &c, &limits()))
            };
            prop_assert_eq!(added.err(), over_rows.err());
        }
    }
}

fn m(user: &str, group: &str, privileges: PrivilegeSet) -> MembershipRow {
    MembershipRow {
        user: UserId::new(user).unwrap(),
        group: GroupId::new(group).unwrap(),
        privileges,
    }
}

fn l(child: &str, parent: &str, privileges: PrivilegeSet) -> ChildRow {
    ChildRow {
        child: GroupId::new(child).unwrap(),
        parent: GroupId::new(parent).unwrap(),
        privileges,
    }
}

#[test]
fn a_childs_privileges_replace_its_members_own_and_paths_unite() {
    let (alice, top) = (UserId::new("alice").unwrap(), GroupId::new("top").unwrap());
    // alice is an admin of `a` and a plain member of `b`; both are children of `top`, holding
    // `group_view` and `group_invite_user` there; alice's own privileges do not reach `top`.
    let memberships =
        [m("alice", "a", PrivilegeSet::admin()), m("alice", "b", PrivilegeSet::member())];
    let links = [
        l("a", "top", PrivilegeSet::only(Privilege::GroupView)),
        l("b", "top", PrivilegeSet::only(Privilege::GroupInviteUser)),
        l("c", "top", PrivilegeSet::admin()), // alice is not in c
    ];
    let held = effective_privileges_from_rows(&alice, &top, &memberships, &links).unwrap();
    assert_eq!(held, PrivilegeSet::from([Privilege::GroupView, Privilege::GroupInviteUser]));
    // No membership anywhere below: nothing.
    let none = effective_privileges_from_rows(&UserId::new("bob").unwrap(), &top, &[], &links);
    assert_eq!(none, Ok(PrivilegeSet::EMPTY));
}

#[test]
fn inconsistent_rows_are_refused_never_answered() {
    let alice = UserId::new("alice").unwrap();
    let top = GroupId::new("top").unwrap();
    let admin = PrivilegeSet::admin();
    // Another user's membership.
    let err = effective_privileges_from_rows(&alice, &top, &[m("mallory", "top", admin)], &[]);
    assert!(matches!(err, Err(RowsError::OtherUser { .. })), "{err:?}");
    // The same membership twice.
    let twice = [m("alice", "a", admin), m("alice", "a", PrivilegeSet::member())];
    let err = effective_privileges_from_rows(&alice, &top, &twice, &[]);
    assert!(matches!(err, Err(RowsError::DuplicateMembership { .. })), "{err:?}");
    // The same link twice.
    let links = [l("a", "top", admin), l("a", "top", admin)];
    let err = effective_privileges_from_rows(&alice, &top, &[], &links);
    assert!(matches!(err, Err(RowsError::DuplicateLink { .. })), "{err:?}");
    // A cycle, even one the user does not reach, and even one that would grant `top`.
    let cycle = [l("a", "b", admin), l("b", "c", admin), l("c", "a", admin), l("a", "top", admin)];
    let err = effective_privileges_from_rows(&alice, &top, &[m("alice", "a", admin)], &cycle);
    assert!(matches!(err, Err(RowsError::Cycle { .. })), "{err:?}");
    assert_eq!(err.unwrap_err().to_string().split(':').next(), Some("the link rows form a cycle"));
    let err =
        LinkShape::from_rows(&GroupId::new("x").unwrap(), &GroupId::new("y").unwrap(), &cycle);
    assert!(matches!(err, Err(RowsError::Cycle { .. })), "{err:?}");
    // A self-loop is a cycle too.
    let err = effective_privileges_from_rows(&alice, &top, &[], &[l("a", "a", admin)]);
    assert!(matches!(err, Err(RowsError::Cycle { .. })), "{err:?}");
}

#[test]
fn a_long_chain_of_rows_is_walked_without_recursion() {
    // 100 000 links in a chain: an iterative walk, no stack overflow, the right depth.
    let n = 100_000;
    let links: Vec<ChildRow> = (0..n)
        .map(|i| l(&format!("g{}", i + 1), &format!("g{i}"), PrivilegeSet::member()))
        .collect();
    let shape = LinkShape::from_rows(
        &GroupId::new(format!("g{n}")).unwrap(),
        &GroupId::new("fresh").unwrap(),
        &links,
    )
    .unwrap();
    assert_eq!(shape, LinkShape::new(false, n + 1));
    let alice = UserId::new("alice").unwrap();
    let held = effective_privileges_from_rows(
        &alice,
        &GroupId::new("g0").unwrap(),
        &[m("alice", &format!("g{n}"), PrivilegeSet::admin())],
        &links,
    )
    .unwrap();
    assert_eq!(held, PrivilegeSet::member());
}

#[test]
fn every_child_join_outcome_is_decided_alike() {
    // g0 ⊃ g1 ⊃ g2 ⊃ g3 (depth 3 of the limit 4), g4 alone; u0 creates every group.
    let w = World {
        creators: vec![0; GROUPS],
        members: vec![],
        links: vec![
            (0, 1, PrivilegeSet::member()),
            (1, 2, PrivilegeSet::member()),
            (2, 3, PrivilegeSet::member()),
        ],
        joins: vec![],
    };
    let (mut d, mut conn) = build(&w);
    let policy = IssuePolicy::new("onezone.example.org");
    let ctx = CaveatContext { now: NOW + 1, ..Default::default() };
    let mut rng = StdRng::seed_from_u64(3);
    let mut join = |parent: usize, child: usize| {
        let token = store::issue(
            &mut conn,
            Some(&uid(0)),
            gid(parent).as_str(),
            None,
            &policy,
            &limits(),
            NOW,
            &mut rng,
            true,
        )
        .unwrap()
        .token;
        let id = onezone_tokens::invite::InviteToken::parse(&token).unwrap().token_id().to_owned();
        let mut record = store::invite(&conn, &id).unwrap().unwrap();
        let sql = store::join_parent(
            &mut conn,
            Some(&uid(0)),
            gid(child).as_str(),
            &token,
            &ctx,
            &limits(),
        );
        let memory = in_memory::join_parent_group_with_token(
            &mut d,
            &mut record,
            &uid(0),
            gid(child).as_str(),
            &token,
            &ctx,
        );
        let sql = sql.map_err(|e| match e {
            store::Failure::Api(e) => e,
            store::Failure::Db(e) => panic!("database: {e}"),
        });
        assert_eq!(sql, memory.as_ref().map(|j| j.location()).map_err(Clone::clone));
        memory.map(|_| ())
    };
    let refused = |r: Result<(), InviteError>| match r {
        Err(InviteError::Refused(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert!(matches!(refused(join(2, 2)), DirectoryError::WouldCreateCycle { .. }));
    assert!(matches!(refused(join(3, 0)), DirectoryError::WouldCreateCycle { .. }));
    assert!(matches!(refused(join(3, 1)), DirectoryError::WouldCreateCycle { .. }));
    assert!(matches!(join(0, 1), Err(InviteError::AlreadyChild { .. })));
    // g4 under g3 makes a chain of 4 links: allowed; then g5 under g4 would make 5.
    join(3, 4).unwrap();
    assert!(matches!(refused(join(4, 5)), DirectoryError::TooDeep { depth: 5, max: 4, .. }));
    // A diamond: g5 under g0 and under g1.
    join(0, 5).unwrap();
    join(1, 5).unwrap();
}
