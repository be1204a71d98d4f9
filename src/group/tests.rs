//! Unit tests of the group model. The differential property test is `tests/group_model.rs`.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::*;

fn g(id: &str) -> GroupId {
    GroupId::new(id).unwrap()
}

fn u(id: &str) -> UserId {
    UserId::new(id).unwrap()
}

fn json(dir: &Directory) -> String {
    serde_json::to_string(dir).unwrap()
}

fn read(json: &str) -> Result<Directory, String> {
    serde_json::from_str(json).map_err(|e| e.to_string())
}

/// `admin` creates each group.
fn with_groups(ids: &[&str]) -> Directory {
    let mut dir = Directory::new();
    for id in ids {
        dir.create_group(&u("admin"), g(id), *id, GroupType::Role).unwrap();
    }
    dir
}

/// Runs `op`; it must fail and leave the directory as it was.
fn refused(
    dir: &mut Directory,
    op: impl FnOnce(&mut Directory) -> Result<(), DirectoryError>,
) -> DirectoryError {
    let before = json(dir);
    let users = dir.user_count();
    let err = op(dir).unwrap_err();
    assert_eq!(json(dir), before, "a refused operation changed the directory: {err}");
    assert_eq!(dir.user_count(), users);
    err
}

#[test]
fn creator_is_admin() {
    let mut dir = Directory::new();
    assert!(dir.is_empty());
    dir.create_group(&u("alice"), g("g1"), "Group one", GroupType::Team).unwrap();
    assert_eq!(dir.len(), 1);
    assert_eq!(
        dir.group(&g("g1")),
        Some(&Group { id: g("g1"), name: "Group one".into(), group_type: GroupType::Team })
    );
    assert_eq!(dir.direct_privileges(&u("alice"), &g("g1")), Some(PrivilegeSet::admin()));
    assert_eq!(dir.effective_privileges(&u("alice"), &g("g1")), PrivilegeSet::admin());
    assert!(dir.is_direct_member(&u("alice"), &g("g1")));
    assert!(dir.is_effective_member(&u("alice"), &g("g1")));
    assert_eq!(dir.members(&g("g1")).unwrap(), [(&u("alice"), PrivilegeSet::admin())]);
    assert_eq!(dir.user_count(), 1);
    assert_eq!(dir.groups().count(), 1);

    let err = refused(&mut dir, |d| d.create_group(&u("bob"), g("g1"), "again", GroupType::Role));
    assert_eq!(err, DirectoryError::GroupExists(g("g1")));
    assert_eq!(err.to_string(), "cannot create group g1: a group with this id already exists");
    for bad in ["", "   ", "a\nb"] {
        let err = refused(&mut dir, |d| d.create_group(&u("bob"), g("g2"), bad, GroupType::Role));
        assert!(matches!(err, DirectoryError::InvalidName { .. }), "{err}");
    }
    assert_eq!(dir.user_count(), 1);
}

#[test]
fn unknown_things_are_empty() {
    let dir = with_groups(&["g"]);
    assert_eq!(dir.effective_privileges(&u("nobody"), &g("g")), PrivilegeSet::EMPTY);
    assert_eq!(dir.effective_privileges(&u("admin"), &g("nope")), PrivilegeSet::EMPTY);
    assert!(!dir.is_effective_member(&u("admin"), &g("nope")));
    assert_eq!(dir.direct_privileges(&u("nobody"), &g("g")), None);
    assert_eq!(dir.members(&g("nope")), None);
    assert_eq!(dir.effective_members(&g("nope")), None);
    assert_eq!(dir.children(&g("nope")), None);
    assert_eq!(dir.parents(&g("nope")), None);
    assert_eq!(dir.child_privileges(&g("g"), &g("nope")), None);
    assert_eq!(dir.group(&g("nope")), None);
}

#[test]
fn add_and_remove_users() {
    let mut dir = with_groups(&["g"]);
    dir.add_user(&g("g"), &u("bob"), PrivilegeSet::member()).unwrap();
    dir.add_user(&g("g"), &u("carol"), PrivilegeSet::EMPTY).unwrap();
    // A member without privileges is still a member.
    assert!(dir.is_effective_member(&u("carol"), &g("g")));
    assert_eq!(dir.direct_privileges(&u("carol"), &g("g")), Some(PrivilegeSet::EMPTY));
    assert_eq!(
        dir.members(&g("g")).unwrap(),
        [
            (&u("admin"), PrivilegeSet::admin()),
            (&u("bob"), PrivilegeSet::member()),
            (&u("carol"), PrivilegeSet::EMPTY)
        ]
    );
    let err = refused(&mut dir, |d| d.add_user(&g("g"), &u("bob"), PrivilegeSet::admin()));
    assert_eq!(err.to_string(), "user bob is already a direct member of group g");
    let err = refused(&mut dir, |d| d.add_user(&g("x"), &u("bob"), PrivilegeSet::admin()));
    assert_eq!(err.to_string(), "group x does not exist");

    assert_eq!(dir.user_count(), 3);
    assert_eq!(dir.remove_user(&g("g"), &u("bob")), Ok(PrivilegeSet::member()));
    assert!(!dir.is_effective_member(&u("bob"), &g("g")));
    assert_eq!(dir.user_count(), 2);
    let err = refused(&mut dir, |d| d.remove_user(&g("g"), &u("bob")).map(drop));
    assert_eq!(err, DirectoryError::NotAMember { user: u("bob"), group: g("g") });
    assert_eq!(err.to_string(), "user bob is not a direct member of group g");
    // A freed slot is reused.
    dir.add_user(&g("g"), &u("dave"), PrivilegeSet::member()).unwrap();
    assert_eq!(dir.user_count(), 3);
    assert_eq!(dir.effective_privileges(&u("dave"), &g("g")), PrivilegeSet::member());
    assert_eq!(dir.effective_privileges(&u("bob"), &g("g")), PrivilegeSet::EMPTY);
}

#[test]
fn child_privileges_replace_the_users_own() {
    // org <- unit <- team; bob is an admin of team only.
    let mut dir = with_groups(&["org", "unit", "team"]);
    dir.add_child(&g("unit"), &g("team"), PrivilegeSet::manager()).unwrap();
    dir.add_child(&g("org"), &g("unit"), PrivilegeSet::member()).unwrap();
    dir.add_user(&g("team"), &u("bob"), PrivilegeSet::admin()).unwrap();

    assert_eq!(dir.effective_privileges(&u("bob"), &g("team")), PrivilegeSet::admin());
    assert_eq!(dir.effective_privileges(&u("bob"), &g("unit")), PrivilegeSet::manager());
    assert_eq!(dir.effective_privileges(&u("bob"), &g("org")), PrivilegeSet::member());
    assert!(!dir.is_direct_member(&u("bob"), &g("org")));
    assert!(dir.is_effective_member(&u("bob"), &g("org")));
    assert_eq!(dir.child_privileges(&g("team"), &g("unit")), Some(PrivilegeSet::manager()));
    assert_eq!(dir.child_privileges(&g("team"), &g("org")), None);
    assert_eq!(dir.children(&g("unit")).unwrap(), [(&g("team"), PrivilegeSet::manager())]);
    assert_eq!(dir.parents(&g("team")).unwrap(), [&g("unit")]);
    assert_eq!(
        dir.effective_members(&g("org")).unwrap(),
        [(&u("admin"), PrivilegeSet::admin()), (&u("bob"), PrivilegeSet::member())]
    );

    // Direct privileges unite with the child's.
    dir.add_user(&g("org"), &u("bob"), PrivilegeSet::only(Privilege::GroupUpdate)).unwrap();
    assert_eq!(
        dir.effective_privileges(&u("bob"), &g("org")),
        PrivilegeSet::from([Privilege::GroupUpdate, Privilege::GroupView])
    );
    dir.remove_user(&g("team"), &u("bob")).unwrap();
    assert_eq!(
        dir.effective_privileges(&u("bob"), &g("org")),
        PrivilegeSet::only(Privilege::GroupUpdate)
    );
    assert!(!dir.is_effective_member(&u("bob"), &g("unit")));
    assert_eq!(dir.user_count(), 2);
}

#[test]
fn several_paths_unite() {
    // top has children a and b; both have child leaf (a diamond).
    let mut dir = with_groups(&["top", "a", "b", "leaf"]);
    dir.add_child(&g("top"), &g("a"), PrivilegeSet::only(Privilege::GroupUpdate)).unwrap();
    dir.add_child(&g("top"), &g("b"), PrivilegeSet::only(Privilege::GroupDelete)).unwrap();
    dir.add_child(&g("a"), &g("leaf"), PrivilegeSet::EMPTY).unwrap();
    dir.add_child(&g("b"), &g("leaf"), PrivilegeSet::EMPTY).unwrap();
    dir.add_user(&g("leaf"), &u("bob"), PrivilegeSet::EMPTY).unwrap();
    assert_eq!(
        dir.effective_privileges(&u("bob"), &g("top")),
        PrivilegeSet::from([Privilege::GroupUpdate, Privilege::GroupDelete])
    );
    assert_eq!(dir.parents(&g("leaf")).unwrap(), [&g("a"), &g("b")]);
    assert_eq!(dir.remove_child(&g("b"), &g("leaf")), Ok(PrivilegeSet::EMPTY));
    assert_eq!(
        dir.effective_privileges(&u("bob"), &g("top")),
        PrivilegeSet::only(Privilege::GroupUpdate)
    );
    assert!(!dir.is_effective_member(&u("bob"), &g("b")));
    let err = refused(&mut dir, |d| d.remove_child(&g("b"), &g("leaf")).map(drop));
    assert_eq!(err.to_string(), "group leaf is not a child of group b");
    dir.remove_child(&g("a"), &g("leaf")).unwrap();
    assert!(!dir.is_effective_member(&u("bob"), &g("top")));
    assert_eq!(dir.effective_privileges(&u("admin"), &g("top")), PrivilegeSet::admin());
}

#[test]
fn cycles_are_refused() {
    let mut dir = with_groups(&["a", "b", "c"]);
    let err = refused(&mut dir, |d| d.add_child(&g("a"), &g("a"), PrivilegeSet::member()));
    assert_eq!(err, DirectoryError::WouldCreateCycle { parent: g("a"), child: g("a") });
    assert_eq!(err.to_string(), "group a cannot join itself");
    dir.add_child(&g("a"), &g("b"), PrivilegeSet::member()).unwrap();
    dir.add_child(&g("b"), &g("c"), PrivilegeSet::member()).unwrap();
    let err = refused(&mut dir, |d| d.add_child(&g("c"), &g("a"), PrivilegeSet::member()));
    assert_eq!(err, DirectoryError::WouldCreateCycle { parent: g("c"), child: g("a") });
    assert_eq!(
        err.to_string(),
        "group a cannot join group c: a is an ancestor of c, so it would become its own ancestor"
    );
    refused(&mut dir, |d| d.add_child(&g("b"), &g("a"), PrivilegeSet::member()));
    let err = refused(&mut dir, |d| d.add_child(&g("a"), &g("b"), PrivilegeSet::admin()));
    assert_eq!(err, DirectoryError::AlreadyChild { child: g("b"), parent: g("a") });
    // A shortcut is no cycle.
    dir.add_child(&g("a"), &g("c"), PrivilegeSet::member()).unwrap();
    refused(&mut dir, |d| d.add_child(&g("c"), &g("b"), PrivilegeSet::member()));
}

#[test]
fn depth_is_bounded() {
    let limits = DirectoryLimits::default().with_max_depth(3);
    let mut dir = Directory::with_limits(limits);
    for id in ["a", "b", "c", "d", "e", "x", "y"] {
        dir.create_group(&u("admin"), g(id), id, GroupType::Role).unwrap();
    }
    // a <- b <- c <- d: 3 links.
    dir.add_child(&g("a"), &g("b"), PrivilegeSet::member()).unwrap();
    dir.add_child(&g("b"), &g("c"), PrivilegeSet::member()).unwrap();
    dir.add_child(&g("c"), &g("d"), PrivilegeSet::member()).unwrap();
    let err = refused(&mut dir, |d| d.add_child(&g("d"), &g("e"), PrivilegeSet::member()));
    assert_eq!(err, DirectoryError::TooDeep { parent: g("d"), child: g("e"), depth: 4, max: 3 });
    assert_eq!(
        err.to_string(),
        "group e cannot be a child of group d: that would nest groups 4 levels deep, more than \
         the maximum of 3"
    );
    // x <- y, then x on top of a: x a b c d = 4 links.
    dir.add_child(&g("x"), &g("y"), PrivilegeSet::member()).unwrap();
    let err = refused(&mut dir, |d| d.add_child(&g("x"), &g("a"), PrivilegeSet::member()));
    assert!(matches!(err, DirectoryError::TooDeep { depth: 4, .. }), "{err}");
    // y (a child of x) also under b: the longest chain through the link is a-b-y, 2 links.
    dir.add_child(&g("b"), &g("y"), PrivilegeSet::member()).unwrap();
    // Heights shrink when links go.
    dir.remove_child(&g("c"), &g("d")).unwrap();
    dir.add_child(&g("d"), &g("e"), PrivilegeSet::member()).unwrap();
    dir.add_child(&g("x"), &g("d"), PrivilegeSet::member()).unwrap();
    let err = refused(&mut dir, |d| d.add_child(&g("c"), &g("x"), PrivilegeSet::member()));
    assert!(matches!(err, DirectoryError::TooDeep { depth: 5, .. }), "{err}");
    dir.remove_child(&g("d"), &g("e")).unwrap();
    dir.remove_child(&g("x"), &g("d")).unwrap();
    let err = refused(&mut dir, |d| d.add_child(&g("c"), &g("x"), PrivilegeSet::member()));
    assert!(matches!(err, DirectoryError::TooDeep { depth: 4, .. }), "{err}");
    dir.remove_child(&g("x"), &g("y")).unwrap();
    dir.add_child(&g("c"), &g("x"), PrivilegeSet::member()).unwrap();

    // Depth 0 allows no link at all.
    let mut flat = Directory::with_limits(DirectoryLimits::default().with_max_depth(0));
    flat.create_group(&u("admin"), g("a"), "a", GroupType::Role).unwrap();
    flat.create_group(&u("admin"), g("b"), "b", GroupType::Role).unwrap();
    refused(&mut flat, |d| d.add_child(&g("a"), &g("b"), PrivilegeSet::member()));
}

#[test]
fn size_limits() {
    let limits = DirectoryLimits::default()
        .with_max_groups(3)
        .with_max_users(3)
        .with_max_members_per_group(3)
        .with_max_children_per_group(1);
    let mut dir = Directory::with_limits(limits);
    for id in ["a", "b", "c"] {
        dir.create_group(&u("admin"), g(id), id, GroupType::Role).unwrap();
    }
    let err = refused(&mut dir, |d| d.create_group(&u("admin"), g("d"), "d", GroupType::Role));
    assert_eq!(err, DirectoryError::TooManyGroups { group: g("d"), max: 3 });
    assert_eq!(
        err.to_string(),
        "cannot create group d: the directory already holds the maximum of 3 groups"
    );

    dir.add_user(&g("a"), &u("u1"), PrivilegeSet::member()).unwrap();
    dir.add_user(&g("b"), &u("u2"), PrivilegeSet::member()).unwrap();
    let err = refused(&mut dir, |d| d.add_user(&g("a"), &u("u3"), PrivilegeSet::member()));
    assert_eq!(err, DirectoryError::TooManyUsers { user: u("u3"), max: 3 });
    let err = refused(&mut dir, |d| d.create_group(&u("u3"), g("d"), "d", GroupType::Role));
    assert!(matches!(err, DirectoryError::TooManyGroups { .. }), "{err}");
    dir.add_user(&g("a"), &u("u2"), PrivilegeSet::member()).unwrap();
    let err = refused(&mut dir, |d| d.add_user(&g("a"), &u("u3"), PrivilegeSet::member()));
    assert_eq!(err, DirectoryError::TooManyMembers { group: g("a"), user: u("u3"), max: 3 });
    assert_eq!(
        err.to_string(),
        "cannot add user u3 to group a: it already has the maximum of 3 direct members"
    );
    // Removing a user frees room for another.
    dir.remove_user(&g("b"), &u("u2")).unwrap();
    dir.remove_user(&g("a"), &u("u2")).unwrap();
    dir.add_user(&g("b"), &u("u3"), PrivilegeSet::member()).unwrap();

    dir.add_child(&g("a"), &g("b"), PrivilegeSet::member()).unwrap();
    let err = refused(&mut dir, |d| d.add_child(&g("a"), &g("c"), PrivilegeSet::member()));
    assert_eq!(err, DirectoryError::TooManyChildren { parent: g("a"), child: g("c"), max: 1 });

    // A directory that allows no member cannot hold a group.
    let mut none = Directory::with_limits(DirectoryLimits::default().with_max_members_per_group(0));
    let err = refused(&mut none, |d| d.create_group(&u("admin"), g("a"), "a", GroupType::Role));
    assert!(matches!(err, DirectoryError::TooManyMembers { .. }), "{err}");
}

#[test]
fn privilege_changes_need_effective_set_privileges() {
    // org <- team; alice created org; bob is in team, which holds set_privileges in org.
    let mut dir = Directory::new();
    dir.create_group(&u("alice"), g("org"), "Org", GroupType::Organization).unwrap();
    dir.create_group(&u("carol"), g("team"), "Team", GroupType::Team).unwrap();
    dir.add_user(&g("team"), &u("bob"), PrivilegeSet::EMPTY).unwrap();
    dir.add_user(&g("org"), &u("dave"), PrivilegeSet::member()).unwrap();
    dir.add_child(&g("org"), &g("team"), PrivilegeSet::member()).unwrap();

    let grant = PrivilegeChange::grant(PrivilegeSet::only(Privilege::GroupUpdate));
    let err = refused(&mut dir, |d| {
        d.change_user_privileges(&u("bob"), &g("org"), &u("dave"), grant).map(drop)
    });
    assert_eq!(
        err,
        DirectoryError::MissingPrivilege {
            actor: u("bob"),
            group: g("org"),
            privilege: Privilege::GroupSetPrivileges
        }
    );
    assert_eq!(err.to_string(), "user bob lacks group_set_privileges in group org");
    // Unknown actors lack everything too.
    refused(&mut dir, |d| {
        d.change_user_privileges(&u("eve"), &g("org"), &u("dave"), grant).map(drop)
    });
    // bob's lack of privileges inside team does not matter: team's privileges in org do.
    dir.change_child_privileges(
        &u("alice"),
        &g("org"),
        &g("team"),
        PrivilegeChange::grant(PrivilegeSet::only(Privilege::GroupSetPrivileges)),
    )
    .unwrap();
    assert!(dir.effective_privileges(&u("bob"), &g("org")).contains(Privilege::GroupSetPrivileges));
    assert_eq!(
        dir.change_user_privileges(&u("bob"), &g("org"), &u("dave"), grant),
        Ok(PrivilegeSet::from([Privilege::GroupUpdate, Privilege::GroupView]))
    );
    assert_eq!(
        dir.change_user_privileges(
            &u("bob"),
            &g("org"),
            &u("dave"),
            PrivilegeChange::revoke(PrivilegeSet::member())
        ),
        Ok(PrivilegeSet::only(Privilege::GroupUpdate))
    );
    assert_eq!(
        dir.change_user_privileges(
            &u("bob"),
            &g("org"),
            &u("dave"),
            PrivilegeChange::set(PrivilegeSet::manager())
        ),
        Ok(PrivilegeSet::manager())
    );
    assert_eq!(dir.effective_privileges(&u("dave"), &g("org")), PrivilegeSet::manager());
    // Setting privileges of someone who is not a direct member.
    let err = refused(&mut dir, |d| {
        d.change_user_privileges(&u("alice"), &g("org"), &u("bob"), grant).map(drop)
    });
    assert_eq!(err, DirectoryError::NotAMember { user: u("bob"), group: g("org") });
    // The authorization is checked before the target, so it reveals nothing to outsiders.
    let err = refused(&mut dir, |d| {
        d.change_user_privileges(&u("eve"), &g("org"), &u("nobody"), grant).map(drop)
    });
    assert!(matches!(err, DirectoryError::MissingPrivilege { .. }), "{err}");
    let err = refused(&mut dir, |d| {
        d.change_user_privileges(&u("eve"), &g("nope"), &u("nobody"), grant).map(drop)
    });
    assert_eq!(err, DirectoryError::NoSuchGroup(g("nope")));

    // Child privileges: dave manages org, but may not set privileges there.
    let err = refused(&mut dir, |d| {
        d.change_child_privileges(&u("dave"), &g("org"), &g("team"), grant).map(drop)
    });
    assert!(matches!(err, DirectoryError::MissingPrivilege { .. }), "{err}");
    // bob revokes team's (hence his own) set_privileges in org.
    dir.change_child_privileges(
        &u("bob"),
        &g("org"),
        &g("team"),
        PrivilegeChange::set(PrivilegeSet::EMPTY),
    )
    .unwrap();
    assert_eq!(dir.effective_privileges(&u("bob"), &g("org")), PrivilegeSet::EMPTY);
    assert!(dir.is_effective_member(&u("bob"), &g("org")));
    let err = refused(&mut dir, |d| {
        d.change_child_privileges(&u("alice"), &g("team"), &g("org"), grant).map(drop)
    });
    assert!(matches!(err, DirectoryError::MissingPrivilege { .. }), "{err}");
    let err = refused(&mut dir, |d| {
        d.change_child_privileges(&u("carol"), &g("team"), &g("org"), grant).map(drop)
    });
    assert_eq!(err, DirectoryError::NotAChild { child: g("org"), parent: g("team") });
}

#[test]
fn removals_as_an_actor() {
    let mut dir = with_groups(&["org", "team"]);
    dir.add_child(&g("org"), &g("team"), PrivilegeSet::manager()).unwrap();
    dir.add_user(&g("org"), &u("bob"), PrivilegeSet::member()).unwrap();
    dir.add_user(&g("org"), &u("carol"), PrivilegeSet::member()).unwrap();
    dir.add_user(&g("team"), &u("mia"), PrivilegeSet::EMPTY).unwrap();

    let err = refused(&mut dir, |d| d.remove_user_as(&u("bob"), &g("org"), &u("carol")).map(drop));
    assert_eq!(err.to_string(), "user bob lacks group_remove_user in group org");
    let err = refused(&mut dir, |d| d.remove_child_as(&u("bob"), &g("org"), &g("team")).map(drop));
    assert_eq!(err.to_string(), "user bob lacks group_remove_group in group org");
    // mia manages org through team.
    assert_eq!(dir.remove_user_as(&u("mia"), &g("org"), &u("carol")), Ok(PrivilegeSet::member()));
    assert!(!dir.is_effective_member(&u("carol"), &g("org")));
    let err = refused(&mut dir, |d| d.remove_user_as(&u("mia"), &g("org"), &u("carol")).map(drop));
    assert!(matches!(err, DirectoryError::NotAMember { .. }), "{err}");
    assert_eq!(dir.remove_child_as(&u("mia"), &g("org"), &g("team")), Ok(PrivilegeSet::manager()));
    assert!(!dir.is_effective_member(&u("mia"), &g("org")));
    // Now mia cannot do it any more.
    dir.add_child(&g("org"), &g("team"), PrivilegeSet::member()).unwrap();
    refused(&mut dir, |d| d.remove_child_as(&u("mia"), &g("org"), &g("team")).map(drop));
}

#[test]
fn serde_round_trip() {
    let mut dir = with_groups(&["org", "a", "b", "leaf"]);
    dir.add_child(&g("org"), &g("a"), PrivilegeSet::manager()).unwrap();
    dir.add_child(&g("org"), &g("b"), PrivilegeSet::only(Privilege::GroupDelete)).unwrap();
    dir.add_child(&g("a"), &g("leaf"), PrivilegeSet::member()).unwrap();
    dir.add_child(&g("b"), &g("leaf"), PrivilegeSet::EMPTY).unwrap();
    dir.add_user(&g("leaf"), &u("bob"), PrivilegeSet::EMPTY).unwrap();
    dir.add_user(&g("a"), &u("carol"), PrivilegeSet::admin()).unwrap();

    let text = json(&dir);
    let back = read(&text).unwrap();
    assert_eq!(json(&back), text);
    for group in ["org", "a", "b", "leaf"] {
        assert_eq!(back.effective_members(&g(group)), dir.effective_members(&g(group)));
        assert_eq!(back.members(&g(group)), dir.members(&g(group)));
        assert_eq!(back.children(&g(group)), dir.children(&g(group)));
        assert_eq!(back.parents(&g(group)), dir.parents(&g(group)));
    }
    // The read directory works on: heights were rebuilt.
    let mut back = back;
    back.remove_child(&g("org"), &g("b")).unwrap();
    assert_eq!(back.effective_privileges(&u("bob"), &g("org")), PrivilegeSet::manager());

    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        value["groups"][0],
        serde_json::json!({"groupId": "a", "name": "a", "type": "role"})
    );
    assert_eq!(
        value["children"][0],
        serde_json::json!({"parentId": "a", "childId": "leaf", "privileges": ["group_view"]})
    );
    assert_eq!(
        value["members"][1],
        serde_json::json!({"groupId": "a", "userId": "carol", "privileges": PrivilegeSet::admin()})
    );
}

#[test]
fn bad_snapshots_are_refused() {
    let groups = r#"[{"groupId": "a", "name": "A"}, {"groupId": "b", "name": "B"},
        {"groupId": "c", "name": "C"}]"#;
    let link = |p: &str, c: &str| {
        alloc::format!(r#"{{"parentId": "{p}", "childId": "{c}", "privileges": ["group_view"]}}"#)
    };
    let doc = |children: &[String], members: &str| {
        alloc::format!(
            r#"{{"groups": {groups}, "members": [{members}], "children": [{}]}}"#,
            children.join(",")
        )
    };
    assert!(read(&doc(&[link("a", "b"), link("b", "c")], "")).is_ok());

    let err = read(&doc(&[link("a", "b"), link("b", "c"), link("c", "a")], "")).unwrap_err();
    assert!(err.contains("invalid group directory: group "), "{err}");
    assert!(err.contains("is its own ancestor"), "{err}");
    // A group hanging below a cycle is not named: the one named is on it.
    let err = read(&doc(&[link("a", "b"), link("b", "a"), link("c", "a")], "")).unwrap_err();
    assert!(!err.contains("group c"), "{err}");
    let err = read(&doc(&[link("a", "a")], "")).unwrap_err();
    assert!(err.contains("group a cannot join itself"), "{err}");
    let err = read(&doc(&[link("a", "zz")], "")).unwrap_err();
    assert!(err.contains("group zz does not exist"), "{err}");
    let err = read(&doc(&[link("a", "b"), link("a", "b")], "")).unwrap_err();
    assert!(err.contains("already a child"), "{err}");

    let member = |grp: &str, usr: &str| {
        alloc::format!(r#"{{"groupId": "{grp}", "userId": "{usr}", "privileges": []}}"#)
    };
    let err = read(&doc(&[], &member("zz", "bob"))).unwrap_err();
    assert!(err.contains("group zz does not exist"), "{err}");
    let twice = [member("a", "bob"), member("a", "bob")].join(",");
    let err = read(&doc(&[], &twice)).unwrap_err();
    assert!(err.contains("already a direct member"), "{err}");
    let err = read(&doc(&[], &member("a", "b b"))).unwrap_err();
    assert!(err.contains("user id has ' '"), "{err}");
    let err = read(
        r#"{"groups": [{"groupId": "a", "name": "A"}, {"groupId": "a", "name": "B"}],
            "members": [], "children": []}"#,
    )
    .unwrap_err();
    assert!(err.contains("a group with this id already exists"), "{err}");
    let err = read(r#"{"groups": [{"groupId": "a", "name": ""}], "members": [], "children": []}"#)
        .unwrap_err();
    assert!(err.contains("cannot name group a"), "{err}");
    let err = read(r#"{"groups": [], "members": [], "children": [], "extra": 1}"#).unwrap_err();
    assert!(err.contains("extra"), "{err}");
    let err = read(r#"{"groups": [], "members": []}"#).unwrap_err();
    assert!(err.contains("children"), "{err}");
    let bad_privilege = r#"{"groupId": "a", "userId": "bob", "privileges": ["group_fly"]}"#;
    let err = read(&doc(&[], bad_privilege)).unwrap_err();
    assert!(err.contains("group_fly"), "{err}");

    // Limits apply when reading.
    let deep = doc(&[link("a", "b"), link("b", "c")], "");
    let limits = DirectoryLimits::default().with_max_depth(1);
    let err =
        Directory::deserialize_with_limits(&mut serde_json::Deserializer::from_str(&deep), limits)
            .unwrap_err()
            .to_string();
    assert!(err.contains("group b cannot be a child of group a"), "{err}");
    let limits = DirectoryLimits::default().with_max_groups(2);
    let err =
        Directory::deserialize_with_limits(&mut serde_json::Deserializer::from_str(&deep), limits)
            .unwrap_err()
            .to_string();
    assert!(err.contains("maximum of 2 groups"), "{err}");
    let limits = DirectoryLimits::default().with_max_children_per_group(1);
    let wide = doc(&[link("a", "b"), link("a", "c")], "");
    assert!(
        Directory::deserialize_with_limits(&mut serde_json::Deserializer::from_str(&wide), limits)
            .is_err()
    );
    let limits = DirectoryLimits::default().with_max_members_per_group(1);
    let two = [member("a", "bob"), member("a", "carol")].join(",");
    assert!(
        Directory::deserialize_with_limits(
            &mut serde_json::Deserializer::from_str(&doc(&[], &two)),
            limits
        )
        .is_err()
    );
}

#[test]
fn debug_is_short() {
    let dir = with_groups(&["a"]);
    let text = alloc::format!("{dir:?}");
    assert!(text.starts_with("Directory { groups: 1, users: 1"), "{text}");
    let _: Vec<&Group> = dir.groups().collect();
}

/// A directory holding 20.02's names authorizes with them as with 17.06's.
#[test]
fn operations_are_authorized_under_either_vocabulary() {
    let mut dir = with_groups(&["org", "team", "other"]);
    dir.add_child(&g("org"), &g("team"), PrivilegeSet::member()).unwrap();
    dir.add_child(&g("org"), &g("other"), PrivilegeSet::member()).unwrap();
    let removers = [
        ("old", PrivilegeSet::only(Privilege::GroupRemoveGroup)),
        ("new", PrivilegeSet::only(Privilege::GroupRemoveChild)),
    ];
    for (name, privileges) in removers {
        dir.add_user(&g("org"), &u(name), privileges).unwrap();
    }
    dir.add_user(&g("org"), &u("viewer"), PrivilegeSet::member()).unwrap();
    let err =
        refused(&mut dir, |d| d.remove_child_as(&u("viewer"), &g("org"), &g("team")).map(drop));
    assert!(matches!(err, DirectoryError::MissingPrivilege { .. }), "{err}");
    dir.remove_child_as(&u("new"), &g("org"), &g("team")).unwrap();
    dir.remove_child_as(&u("old"), &g("org"), &g("other")).unwrap();
    assert!(dir.children(&g("org")).unwrap().is_empty());
}
