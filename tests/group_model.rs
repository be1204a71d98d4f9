//! Differential property tests of the group model (`onezone_tokens::group`).
//!
//! Random sequences of operations (creating groups, adding and removing users and child groups
//! with random privileges, privilege changes by random actors, attempted cycles and self-joins,
//! serde round trips) run on a `Directory` and on a naive reference model written here. After
//! every step:
//!
//! - each operation was accepted or refused alike, with the same error variant and result;
//! - for every (user, group) pair of the id pools, `effective_privileges`, `is_effective_member`,
//!   `direct_privileges` agree with the reference, which computes them from scratch, recursively,
//!   from the definition;
//! - the listings (`members`, `effective_members`, `children`, `parents`) agree.
//!
//! Small limits make the limit checks fire too. A serde round trip must preserve every answer,
//! and a serialized directory with a cycle or a dangling id must be refused.
//!
//! Case counts are moderate; raise them with `PROPTEST_CASES` for a longer soak.

use std::collections::{BTreeMap, BTreeSet};

use onezone_tokens::group::{
    Directory, DirectoryError, DirectoryLimits, GroupId, GroupType, Operation, Privilege,
    PrivilegeChange, PrivilegeSet, UserId,
};
use proptest::prelude::*;

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// The pools of ids operations draw from: more groups and users than the limits allow.
const GROUPS: usize = 8;
const USERS: usize = 6;

fn limits() -> DirectoryLimits {
    DirectoryLimits::default()
        .with_max_groups(7)
        .with_max_users(5)
        .with_max_depth(4)
        .with_max_members_per_group(4)
        .with_max_children_per_group(3)
}

fn gid(g: usize) -> GroupId {
    GroupId::new(format!("g{g}")).unwrap()
}

fn uid(u: usize) -> UserId {
    UserId::new(format!("u{u}")).unwrap()
}

#[derive(Debug, Clone)]
enum Op {
    Create { creator: usize, group: usize },
    AddUser { group: usize, user: usize, privileges: PrivilegeSet },
    RemoveUser { group: usize, user: usize },
    RemoveUserAs { actor: usize, group: usize, user: usize },
    AddChild { parent: usize, child: usize, privileges: PrivilegeSet },
    RemoveChild { parent: usize, child: usize },
    RemoveChildAs { actor: usize, parent: usize, child: usize },
    ChangeUser { actor: usize, group: usize, user: usize, change: PrivilegeChange },
    ChangeChild { actor: usize, parent: usize, child: usize, change: PrivilegeChange },
    RoundTrip,
}

fn privileges() -> impl Strategy<Value = PrivilegeSet> {
    prop_oneof![
        Just(PrivilegeSet::EMPTY),
        Just(PrivilegeSet::member()),
        Just(PrivilegeSet::manager()),
        Just(PrivilegeSet::admin()),
        Just(PrivilegeSet::only(Privilege::GroupSetPrivileges)),
        (0u32..0x2000_0000).prop_map(|bits| PrivilegeSet::from_bits(bits).unwrap()),
    ]
}

fn change() -> impl Strategy<Value = PrivilegeChange> {
    let operation =
        prop_oneof![Just(Operation::Set), Just(Operation::Grant), Just(Operation::Revoke)];
    (operation, privileges())
        .prop_map(|(operation, privileges)| PrivilegeChange { operation, privileges })
}

fn op() -> impl Strategy<Value = Op> {
    let g = || 0..GROUPS;
    let u = || 0..USERS;
    prop_oneof![
        1 => (u(), g()).prop_map(|(creator, group)| Op::Create { creator, group }),
        4 => (g(), u(), privileges()).prop_map(|(group, user, privileges)| Op::AddUser { group, user, privileges }),
        2 => (g(), u()).prop_map(|(group, user)| Op::RemoveUser { group, user }),
        1 => (u(), g(), u()).prop_map(|(actor, group, user)| Op::RemoveUserAs { actor, group, user }),
        6 => (g(), g(), privileges()).prop_map(|(parent, child, privileges)| Op::AddChild { parent, child, privileges }),
        2 => (g(), g()).prop_map(|(parent, child)| Op::RemoveChild { parent, child }),
        1 => (u(), g(), g()).prop_map(|(actor, parent, child)| Op::RemoveChildAs { actor, parent, child }),
        3 => (u(), g(), u(), change()).prop_map(|(actor, group, user, change)| Op::ChangeUser { actor, group, user, change }),
        3 => (u(), g(), g(), change()).prop_map(|(actor, parent, child, change)| Op::ChangeChild { actor, parent, child, change }),
        1 => Just(Op::RoundTrip),
    ]
}

/// Up to `len` operations after the creation of 5 to 8 groups (the 8th is over the limit), so
/// most operations name groups that exist.
fn script(len: usize) -> impl Strategy<Value = Vec<Op>> {
    (prop::collection::vec(0..USERS, 5..=GROUPS), prop::collection::vec(op(), 1..len)).prop_map(
        |(creators, ops)| {
            let created = creators
                .into_iter()
                .enumerate()
                .map(|(group, creator)| Op::Create { creator, group });
            created.chain(ops).collect()
        },
    )
}

/// The error variants, for comparing outcomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NoSuchGroup,
    GroupExists,
    AlreadyMember,
    NotAMember,
    AlreadyChild,
    NotAChild,
    WouldCreateCycle,
    MissingPrivilege(Privilege),
    TooManyGroups,
    TooManyUsers,
    TooManyMembers,
    TooManyChildren,
    TooDeep(usize),
    Other,
}

fn kind(e: &DirectoryError) -> Kind {
    match e {
        DirectoryError::NoSuchGroup(_) => Kind::NoSuchGroup,
        DirectoryError::GroupExists(_) => Kind::GroupExists,
        DirectoryError::AlreadyMember { .. } => Kind::AlreadyMember,
        DirectoryError::NotAMember { .. } => Kind::NotAMember,
        DirectoryError::AlreadyChild { .. } => Kind::AlreadyChild,
        DirectoryError::NotAChild { .. } => Kind::NotAChild,
        DirectoryError::WouldCreateCycle { .. } => Kind::WouldCreateCycle,
        DirectoryError::MissingPrivilege { privilege, .. } => Kind::MissingPrivilege(*privilege),
        DirectoryError::TooManyGroups { .. } => Kind::TooManyGroups,
        DirectoryError::TooManyUsers { .. } => Kind::TooManyUsers,
        DirectoryError::TooManyMembers { .. } => Kind::TooManyMembers,
        DirectoryError::TooManyChildren { .. } => Kind::TooManyChildren,
        DirectoryError::TooDeep { depth, .. } => Kind::TooDeep(*depth),
        _ => Kind::Other,
    }
}

type Outcome = Result<Option<PrivilegeSet>, Kind>;

/// The reference: plain sets, and every answer computed from scratch by the definition.
#[derive(Debug, Clone, Default)]
struct Model {
    groups: BTreeSet<usize>,
    /// (group, user) → direct privileges.
    direct: BTreeMap<(usize, usize), PrivilegeSet>,
    /// (parent, child) → the privileges the child holds in the parent.
    links: BTreeMap<(usize, usize), PrivilegeSet>,
}

impl Model {
    fn children(&self, g: usize) -> Vec<(usize, PrivilegeSet)> {
        self.links.iter().filter(|((p, _), _)| *p == g).map(|(&(_, c), &h)| (c, h)).collect()
    }

    fn parents(&self, g: usize) -> Vec<usize> {
        self.links.keys().filter(|(_, c)| *c == g).map(|&(p, _)| p).collect()
    }

    /// U is an effective member of G: a direct member, or an effective member of a child.
    fn is_effective_member(&self, u: usize, g: usize) -> bool {
        self.direct.contains_key(&(g, u))
            || self.children(g).into_iter().any(|(c, _)| self.is_effective_member(u, c))
    }

    /// U's direct privileges in G united with P_C for each child C of which U is an effective
    /// member; `None` for a non-member.
    fn effective(&self, u: usize, g: usize) -> Option<PrivilegeSet> {
        if !self.is_effective_member(u, g) {
            return None;
        }
        let mut set = self.direct.get(&(g, u)).copied().unwrap_or_default();
        for (c, held) in self.children(g) {
            if self.is_effective_member(u, c) {
                set |= held;
            }
        }
        Some(set)
    }

    /// `a` is `g` or one of its ancestors.
    fn is_self_or_ancestor(&self, a: usize, g: usize) -> bool {
        a == g || self.parents(g).into_iter().any(|p| self.is_self_or_ancestor(a, p))
    }

    /// The longest chain of links below `g`.
    fn height(&self, g: usize) -> usize {
        self.children(g).into_iter().map(|(c, _)| self.height(c) + 1).max().unwrap_or(0)
    }

    /// The longest chain of links above `g`.
    fn above(&self, g: usize) -> usize {
        self.parents(g).into_iter().map(|p| self.above(p) + 1).max().unwrap_or(0)
    }

    fn users(&self) -> BTreeSet<usize> {
        self.direct.keys().map(|&(_, u)| u).collect()
    }

    fn exists(&self, g: usize) -> Result<(), Kind> {
        if self.groups.contains(&g) { Ok(()) } else { Err(Kind::NoSuchGroup) }
    }

    fn authorize(&self, actor: usize, g: usize, privilege: Privilege) -> Result<(), Kind> {
        // A privilege is held under its 17.06 or its 20.02 name (oz-worker 20.02.20
        // `od_group.erl` `upgrade_record` renamed these).
        use Privilege as P;
        const RENAMED: [(Privilege, Privilege); 6] = [
            (P::GroupInviteUser, P::GroupAddUser),
            (P::GroupInviteGroup, P::GroupAddChild),
            (P::GroupJoinGroup, P::GroupAddParent),
            (P::GroupRemoveGroup, P::GroupRemoveChild),
            (P::GroupCreateSpace, P::GroupAddSpace),
            (P::GroupJoinSpace, P::GroupAddSpace),
        ];
        let held = self.effective(actor, g).unwrap_or_default();
        let renamed = RENAMED.iter().any(|&(old, new)| {
            (old == privilege && held.contains(new)) || (new == privilege && held.contains(old))
        });
        if held.contains(privilege) || renamed {
            Ok(())
        } else {
            Err(Kind::MissingPrivilege(privilege))
        }
    }

    fn room_for_user(&self, u: usize, l: &DirectoryLimits) -> Result<(), Kind> {
        let users = self.users();
        if !users.contains(&u) && users.len() >= l.max_users {
            Err(Kind::TooManyUsers)
        } else {
            Ok(())
        }
    }

    fn apply(&mut self, op: &Op, l: &DirectoryLimits) -> Outcome {
        match *op {
            Op::Create { creator, group } => {
                if self.groups.contains(&group) {
                    return Err(Kind::GroupExists);
                }
                if self.groups.len() >= l.max_groups {
                    return Err(Kind::TooManyGroups);
                }
                self.room_for_user(creator, l)?;
                self.groups.insert(group);
                self.direct.insert((group, creator), PrivilegeSet::admin());
                Ok(None)
            }
            Op::AddUser { group, user, privileges } => {
                self.exists(group)?;
                if self.direct.contains_key(&(group, user)) {
                    return Err(Kind::AlreadyMember);
                }
                if self.direct.keys().filter(|(g, _)| *g == group).count()
                    >= l.max_members_per_group
                {
                    return Err(Kind::TooManyMembers);
                }
                self.room_for_user(user, l)?;
                self.direct.insert((group, user), privileges);
                Ok(None)
            }
            Op::RemoveUser { group, user } => {
                self.exists(group)?;
                self.direct.remove(&(group, user)).map(Some).ok_or(Kind::NotAMember)
            }
            Op::RemoveUserAs { actor, group, user } => {
                self.exists(group)?;
                self.authorize(actor, group, Privilege::GroupRemoveUser)?;
                self.direct.remove(&(group, user)).map(Some).ok_or(Kind::NotAMember)
            }
            Op::AddChild { parent, child, privileges } => {
                self.exists(parent)?;
                self.exists(child)?;
                if parent == child {
                    return Err(Kind::WouldCreateCycle);
                }
                if self.links.contains_key(&(parent, child)) {
                    return Err(Kind::AlreadyChild);
                }
                if self.is_self_or_ancestor(child, parent) {
                    return Err(Kind::WouldCreateCycle);
                }
                if self.children(parent).len() >= l.max_children_per_group {
                    return Err(Kind::TooManyChildren);
                }
                let depth = self.above(parent) + 1 + self.height(child);
                if depth > l.max_depth {
                    return Err(Kind::TooDeep(depth));
                }
                self.links.insert((parent, child), privileges);
                Ok(None)
            }
            Op::RemoveChild { parent, child } => {
                self.exists(parent)?;
                self.exists(child)?;
                self.links.remove(&(parent, child)).map(Some).ok_or(Kind::NotAChild)
            }
            Op::RemoveChildAs { actor, parent, child } => {
                self.exists(parent)?;
                self.authorize(actor, parent, Privilege::GroupRemoveGroup)?;
                self.exists(child)?;
                self.links.remove(&(parent, child)).map(Some).ok_or(Kind::NotAChild)
            }
            Op::ChangeUser { actor, group, user, change } => {
                self.exists(group)?;
                self.authorize(actor, group, Privilege::GroupSetPrivileges)?;
                let held = self.direct.get_mut(&(group, user)).ok_or(Kind::NotAMember)?;
                *held = change.apply(*held);
                Ok(Some(*held))
            }
            Op::ChangeChild { actor, parent, child, change } => {
                self.exists(parent)?;
                self.authorize(actor, parent, Privilege::GroupSetPrivileges)?;
                self.exists(child)?;
                let held = self.links.get_mut(&(parent, child)).ok_or(Kind::NotAChild)?;
                *held = change.apply(*held);
                Ok(Some(*held))
            }
            Op::RoundTrip => Ok(None),
        }
    }
}

fn round_trip(dir: &Directory) -> Directory {
    let json = serde_json::to_string(dir).unwrap();
    let back = Directory::deserialize_with_limits(
        &mut serde_json::Deserializer::from_str(&json),
        *dir.limits(),
    )
    .unwrap();
    assert_eq!(serde_json::to_string(&back).unwrap(), json, "a round trip changed the text");
    back
}

fn run(dir: &mut Directory, op: &Op) -> Outcome {
    let out = |r: Result<PrivilegeSet, DirectoryError>| r.map(Some).map_err(|e| kind(&e));
    let unit = |r: Result<(), DirectoryError>| r.map(|()| None).map_err(|e| kind(&e));
    match *op {
        Op::Create { creator, group } => unit(dir.create_group(
            &uid(creator),
            gid(group),
            format!("Group {group}"),
            GroupType::Team,
        )),
        Op::AddUser { group, user, privileges } => {
            unit(dir.add_user(&gid(group), &uid(user), privileges))
        }
        Op::RemoveUser { group, user } => out(dir.remove_user(&gid(group), &uid(user))),
        Op::RemoveUserAs { actor, group, user } => {
            out(dir.remove_user_as(&uid(actor), &gid(group), &uid(user)))
        }
        Op::AddChild { parent, child, privileges } => {
            unit(dir.add_child(&gid(parent), &gid(child), privileges))
        }
        Op::RemoveChild { parent, child } => out(dir.remove_child(&gid(parent), &gid(child))),
        Op::RemoveChildAs { actor, parent, child } => {
            out(dir.remove_child_as(&uid(actor), &gid(parent), &gid(child)))
        }
        Op::ChangeUser { actor, group, user, change } => {
            out(dir.change_user_privileges(&uid(actor), &gid(group), &uid(user), change))
        }
        Op::ChangeChild { actor, parent, child, change } => {
            out(dir.change_child_privileges(&uid(actor), &gid(parent), &gid(child), change))
        }
        Op::RoundTrip => {
            *dir = round_trip(dir);
            Ok(None)
        }
    }
}

/// Every answer of `dir` agrees with the reference.
fn check(dir: &Directory, model: &Model) -> Result<(), TestCaseError> {
    prop_assert_eq!(dir.len(), model.groups.len());
    prop_assert_eq!(dir.user_count(), model.users().len());
    for g in 0..GROUPS {
        let exists = model.groups.contains(&g);
        prop_assert_eq!(dir.group(&gid(g)).is_some(), exists);
        for u in 0..USERS {
            let expected = model.effective(u, g);
            prop_assert_eq!(
                dir.effective_privileges(&uid(u), &gid(g)),
                expected.unwrap_or_default(),
                "effective privileges of u{} in g{}",
                u,
                g
            );
            prop_assert_eq!(
                dir.is_effective_member(&uid(u), &gid(g)),
                expected.is_some(),
                "effective membership of u{} in g{}",
                u,
                g
            );
            let direct = model.direct.get(&(g, u)).copied();
            prop_assert_eq!(dir.direct_privileges(&uid(u), &gid(g)), direct);
            prop_assert_eq!(dir.is_direct_member(&uid(u), &gid(g)), direct.is_some());
        }
        if !exists {
            prop_assert!(dir.members(&gid(g)).is_none());
            prop_assert!(dir.children(&gid(g)).is_none());
            continue;
        }
        // Ids sort as strings; one digit each, so numeric order is string order.
        let members: Vec<(UserId, PrivilegeSet)> = model
            .direct
            .iter()
            .filter(|((x, _), _)| *x == g)
            .map(|(&(_, u), &p)| (uid(u), p))
            .collect();
        let got: Vec<(UserId, PrivilegeSet)> =
            dir.members(&gid(g)).unwrap().into_iter().map(|(u, p)| (u.clone(), p)).collect();
        prop_assert_eq!(got, members);
        let effective: Vec<(UserId, PrivilegeSet)> =
            (0..USERS).filter_map(|u| Some((uid(u), model.effective(u, g)?))).collect();
        let got: Vec<(UserId, PrivilegeSet)> = dir
            .effective_members(&gid(g))
            .unwrap()
            .into_iter()
            .map(|(u, p)| (u.clone(), p))
            .collect();
        prop_assert_eq!(got, effective);
        let children: Vec<(GroupId, PrivilegeSet)> =
            model.children(g).into_iter().map(|(c, p)| (gid(c), p)).collect();
        let got: Vec<(GroupId, PrivilegeSet)> =
            dir.children(&gid(g)).unwrap().into_iter().map(|(c, p)| (c.clone(), p)).collect();
        prop_assert_eq!(got, children);
        let parents: Vec<GroupId> = model.parents(g).into_iter().map(gid).collect();
        let got: Vec<GroupId> = dir.parents(&gid(g)).unwrap().into_iter().cloned().collect();
        prop_assert_eq!(got, parents);
        for (c, held) in model.children(g) {
            prop_assert_eq!(dir.child_privileges(&gid(c), &gid(g)), Some(held));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(256), ..ProptestConfig::default() })]

    #[test]
    fn directory_matches_the_naive_model(ops in script(80)) {
        let limits = limits();
        let mut dir = Directory::with_limits(limits);
        let mut model = Model::default();
        for (step, op) in ops.iter().enumerate() {
            let expected = model.apply(op, &limits);
            let before = serde_json::to_string(&dir).unwrap();
            let got = run(&mut dir, op);
            prop_assert_eq!(got, expected, "step {}: {:?}", step, op);
            if got.is_err() {
                prop_assert_eq!(serde_json::to_string(&dir).unwrap(), before, "a refused {:?} changed the directory", op);
            }
            check(&dir, &model)?;
        }
        // The round trip preserves every answer.
        let back = round_trip(&dir);
        check(&back, &model)?;
    }

    /// A valid serialized directory with one extra link that closes a cycle, or with a
    /// reference to a group that does not exist, is refused.
    #[test]
    fn corrupt_snapshots_are_refused(ops in script(60), pick in any::<prop::sample::Index>()) {
        let limits = DirectoryLimits::default();
        let mut dir = Directory::with_limits(limits);
        let mut model = Model::default();
        for op in &ops {
            if model.apply(op, &limits).is_ok() {
                prop_assert!(run(&mut dir, op).is_ok());
            }
        }
        let mut value: serde_json::Value = serde_json::to_value(&dir).unwrap();
        let read = |value: &serde_json::Value| {
            serde_json::from_value::<Directory>(value.clone()).map_err(|e| e.to_string())
        };
        prop_assert!(read(&value).is_ok());

        // A cycle: a link from a group to one of its ancestors (or itself).
        let pairs: Vec<(usize, usize)> = model
            .groups
            .iter()
            .flat_map(|&g| model.groups.iter().map(move |&a| (g, a)))
            .filter(|&(g, a)| model.is_self_or_ancestor(a, g))
            .collect();
        if !pairs.is_empty() {
            let (g, a) = pairs[pick.index(pairs.len())];
            let mut bad = value.clone();
            bad["children"].as_array_mut().unwrap().push(serde_json::json!(
                {"parentId": gid(g), "childId": gid(a), "privileges": []}
            ));
            let err = read(&bad).unwrap_err();
            prop_assert!(err.contains("own ancestor") || err.contains("cannot join itself"), "{}", err);
        }

        // Dangling ids: a link to, a link from, and a membership of a missing group.
        let missing = gid(GROUPS + 1);
        if let Some(&g) = model.groups.iter().next() {
            for link in [(gid(g), missing.clone()), (missing.clone(), gid(g))] {
                let mut bad = value.clone();
                bad["children"].as_array_mut().unwrap().push(serde_json::json!(
                    {"parentId": link.0, "childId": link.1, "privileges": ["group_view"]}
                ));
                let err = read(&bad).unwrap_err();
                prop_assert!(err.contains("group g9 does not exist"), "{}", err);
            }
        }
        value["members"].as_array_mut().unwrap().push(serde_json::json!(
            {"groupId": missing, "userId": "u0", "privileges": []}
        ));
        let err = read(&value).unwrap_err();
        prop_assert!(err.contains("group g9 does not exist"), "{}", err);
    }
}

/// A deterministic deep case: a chain at the depth limit, a diamond above it, and a user
/// joining at the bottom, checked against the model after every change.
#[test]
fn deep_chain_and_diamond() {
    let limits = DirectoryLimits::default().with_max_depth(6);
    let mut dir = Directory::with_limits(limits);
    let mut model = Model::default();
    let mut step = |op: Op| {
        let expected = model.apply(&op, &limits);
        assert_eq!(run(&mut dir, &op), expected, "{op:?}");
        check(&dir, &model).unwrap();
    };
    for g in 0..GROUPS {
        step(Op::Create { creator: 0, group: g });
    }
    for g in 1..6 {
        step(Op::AddChild { parent: g - 1, child: g, privileges: PrivilegeSet::manager() });
    }
    step(Op::AddChild {
        parent: 6,
        child: 1,
        privileges: PrivilegeSet::only(Privilege::GroupDelete),
    });
    step(Op::AddChild {
        parent: 7,
        child: 6,
        privileges: PrivilegeSet::only(Privilege::GroupUpdate),
    });
    step(Op::AddChild { parent: 7, child: 0, privileges: PrivilegeSet::member() });
    step(Op::AddUser { group: 5, user: 1, privileges: PrivilegeSet::EMPTY });
    // 7 → 0 → 1 → ... → 5 is 6 links: nothing more fits below 5.
    step(Op::AddChild { parent: 5, child: 6, privileges: PrivilegeSet::admin() });
    step(Op::AddChild { parent: 5, child: 7, privileges: PrivilegeSet::admin() });
    step(Op::RemoveChild { parent: 7, child: 0 });
    step(Op::RemoveChild { parent: 3, child: 4 });
    step(Op::AddChild { parent: 4, child: 0, privileges: PrivilegeSet::admin() });
    step(Op::ChangeChild {
        actor: 0,
        parent: 7,
        child: 6,
        change: PrivilegeChange::grant(PrivilegeSet::admin()),
    });
    step(Op::RemoveUser { group: 5, user: 1 });
    step(Op::RoundTrip);
}
