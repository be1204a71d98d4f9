//! The storage-neutral invite API: decisions over caller-given facts, their typed errors, and
//! the token use as a compare-and-set.

use std::num::NonZeroU64;

use onezone_tokens::group::{
    Directory, DirectoryError, DirectoryLimits, GroupId, GroupType, LinkShape, Privilege,
    PrivilegeSet, RowsError, UserId,
};
use onezone_tokens::invite::{
    Authorized, ChildJoinFacts, ChildLink, GroupAccess, InviteError, InviteGroup, InviteRecord,
    InviteToken, InviteUser, IssuePolicy, JoinParent, Membership, RequestError, Status, UsageLimit,
    UserJoinFacts, authorize, group_from_path, in_memory, issue_child_invite_token,
    issue_invite_token, join_group_with_token, join_parent_group_with_token,
};
use onezone_tokens::token::{Caveat, CaveatContext, TokenError};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

const NOW: u64 = 1_800_000_000;

fn uid(s: &str) -> UserId {
    UserId::new(s).unwrap()
}
fn gid(s: &str) -> GroupId {
    GroupId::new(s).unwrap()
}
fn ctx() -> CaveatContext {
    CaveatContext { now: NOW + 1, ..Default::default() }
}
fn policy() -> IssuePolicy {
    IssuePolicy::new("onezone.example.org")
}
fn limits() -> DirectoryLimits {
    DirectoryLimits::default()
}
/// `user`'s standing in the existing group `group`.
fn access(user: &str, group: &str, privileges: PrivilegeSet) -> GroupAccess {
    GroupAccess::new(Some(&uid(user)), &gid(group), true, privileges)
}
/// alice's standing in g1, where every invite of these tests goes.
fn exists(privileges: PrivilegeSet) -> GroupAccess {
    access("alice", "g1", privileges)
}
fn missing() -> GroupAccess {
    GroupAccess::missing(Some(&uid("alice")), &gid("g1"))
}
/// `user`'s membership of g1 (a group of one member, alice).
fn membership(user: &str, is_member: bool) -> Membership {
    Membership { user: uid(user), group: gid("g1"), is_member, members: 1 + u64::from(is_member) }
}
/// The facts of `user` joining g1 on alice's invitation.
fn user_facts(user: &str, issuer: GroupAccess, is_member: bool) -> UserJoinFacts {
    let mut membership = membership(user, is_member);
    if !issuer.group_exists {
        membership.members = u64::from(is_member); // nobody else in a group that is not there
    }
    UserJoinFacts { issuer, membership }
}
/// The new link g1 -> `child`.
fn link(child: &str, is_child: bool, shape: LinkShape) -> ChildLink {
    ChildLink {
        parent: gid("g1"),
        child: gid(child),
        is_child,
        shape,
        children: u64::from(is_child),
    }
}
fn child_facts(
    child: &str,
    issuer: GroupAccess,
    is_child: bool,
    shape: LinkShape,
) -> ChildJoinFacts {
    ChildJoinFacts { issuer, link: link(child, is_child, shape) }
}
/// `user` may join `group` to a parent (an admin there).
fn acting(user: &str, group: &str) -> Authorized<JoinParent> {
    authorize(
        JoinParent,
        &gid(group),
        Some(&uid(user)),
        &access(user, group, PrivilegeSet::admin()),
    )
    .unwrap()
}
fn alice_may<Op: onezone_tokens::invite::Operation>(op: Op) -> Authorized<Op> {
    authorize(op, &gid("g1"), Some(&uid("alice")), &exists(PrivilegeSet::admin())).unwrap()
}

/// A user invite to g1 issued by alice (admin), and its record.
fn user_invite() -> (InviteToken, InviteRecord) {
    let issued = issue_invite_token(
        &alice_may(InviteUser),
        None,
        &policy(),
        NOW,
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap();
    (InviteToken::parse(&issued.response.token).unwrap(), issued.record)
}

/// A child invite to g1 issued by alice (admin), and its record.
fn child_invite() -> (InviteToken, InviteRecord) {
    let issued = issue_child_invite_token(
        &alice_may(InviteGroup),
        None,
        &policy(),
        NOW,
        &mut StdRng::seed_from_u64(2),
    )
    .unwrap();
    (InviteToken::parse(&issued.response.token).unwrap(), issued.record)
}

#[test]
fn privileges_in_a_group_said_not_to_exist_are_an_error_not_a_grant() {
    let ghost = GroupAccess::new(Some(&uid("alice")), &gid("g1"), false, PrivilegeSet::admin());
    let err = authorize(InviteUser, &gid("g1"), Some(&uid("alice")), &ghost).unwrap_err();
    assert!(matches!(err, InviteError::InconsistentFacts(_)), "{err:?}");
    assert_eq!(err.status(), Status::Internal);
    assert_eq!(
        err.to_string(),
        "Internal server error: inconsistent facts: privileges were given in a group said not to exist"
    );

    let (token, record) = user_invite();
    for facts in [user_facts("bob", ghost.clone(), false), user_facts("bob", missing(), true)] {
        let err = join_group_with_token(&uid("bob"), &token, &record, &facts, &ctx(), &limits())
            .unwrap_err();
        assert!(matches!(err, InviteError::InconsistentFacts(_)), "{facts:?}: {err:?}");
    }
    // Members counted in a group said not to exist, with or without the joining user.
    for (is_member, members) in [(false, 3), (true, 0)] {
        let mut facts = user_facts("bob", missing(), is_member);
        facts.membership.members = members;
        let err = join_group_with_token(&uid("bob"), &token, &record, &facts, &ctx(), &limits())
            .unwrap_err();
        assert!(matches!(err, InviteError::InconsistentFacts(_)), "{facts:?}: {err:?}");
    }
    // A member of a group whose (bounded) member count is 0 is no contradiction: with a cap of
    // 0 the count stops at 0. Already a member comes first, as in a `Directory`.
    let mut facts = user_facts("bob", exists(PrivilegeSet::admin()), true);
    facts.membership.members = 0;
    let no_room = DirectoryLimits::default().with_max_members_per_group(0);
    let err =
        join_group_with_token(&uid("bob"), &token, &record, &facts, &ctx(), &no_room).unwrap_err();
    assert_eq!(err, InviteError::AlreadyMember { user: uid("bob"), group: gid("g1") });

    let (token, record) = child_invite();
    let child = acting("bob", "g2");
    let mut counted = child_facts("g2", missing(), false, LinkShape::new(false, 1));
    counted.link.children = 2; // children of a parent said not to exist
    let mut linked = child_facts("g2", missing(), true, LinkShape::new(false, 1));
    linked.link.children = 0; // a link to it, with its (bounded) count at 0
    for facts in [
        counted,
        linked,
        child_facts("g2", ghost, false, LinkShape::new(false, 1)),
        child_facts("g2", missing(), true, LinkShape::new(false, 1)),
        child_facts("g2", exists(PrivilegeSet::admin()), true, LinkShape::new(true, 0)),
    ] {
        let err = join_parent_group_with_token(&child, &token, &record, &facts, &ctx(), &limits())
            .unwrap_err();
        assert!(matches!(err, InviteError::InconsistentFacts(_)), "{facts:?}: {err:?}");
    }
}

#[test]
fn a_group_never_joins_itself_whatever_the_facts_say() {
    let (token, record) = child_invite();
    // The joining group is g1, the token's own group; the facts (wrongly) see no cycle, and
    // even say it is already its own child.
    let child = acting("alice", "g1");
    for is_child in [false, true] {
        let facts =
            child_facts("g1", exists(PrivilegeSet::admin()), is_child, LinkShape::new(false, 1));
        let err = join_parent_group_with_token(&child, &token, &record, &facts, &ctx(), &limits())
            .unwrap_err();
        assert_eq!(err.to_string(), "Bad value: group g1 cannot join itself");
        assert!(matches!(err, InviteError::Refused(DirectoryError::WouldCreateCycle { .. })));
    }
}

/// The proof of one operation cannot stand for another: a child join takes only an
/// `Authorized<JoinParent>`, issuing only `Authorized<InviteUser>` / `Authorized<InviteGroup>`
/// (see the `compile_fail` examples of `invite::Authorized`). Here: `JoinParent` is checked
/// against `group_join_group` in the joining group.
#[test]
fn a_child_join_needs_group_join_group_in_the_child() {
    let viewer = access("bob", "g2", PrivilegeSet::member());
    let err = authorize(JoinParent, &gid("g2"), Some(&uid("bob")), &viewer).unwrap_err();
    assert_eq!(err, InviteError::MissingPrivilege { privilege: Privilege::GroupJoinGroup });
    let manager = access("bob", "g2", PrivilegeSet::manager());
    assert!(authorize(JoinParent, &gid("g2"), Some(&uid("bob")), &manager).is_ok());
}

#[test]
fn the_join_decision_says_what_to_write() {
    let (token, record) = user_invite();
    let facts = user_facts("carol", exists(PrivilegeSet::admin()), false);
    let pending = token.user_join(&uid("carol"), &record, &ctx()).unwrap();
    // The library names the facts to read: the issuer's standing in the group, and the
    // joining user's membership of it.
    assert_eq!(
        (&pending.needs().issuer, &pending.needs().user, &pending.needs().group),
        (&uid("alice"), &uid("carol"), &gid("g1"))
    );
    let join = pending.decide(&facts, &limits()).unwrap();
    assert_eq!(join.group, gid("g1"));
    assert_eq!(join.user, uid("carol"));
    assert_eq!(join.privileges, PrivilegeSet::member());
    assert_eq!(join.token_use.as_ref().unwrap().token_id, record.token_id);
    assert_eq!(join.location(), "/user/groups/g1");
    assert_eq!(
        join.already_member().to_string(),
        "Bad value: user:carol is already a member of group:g1"
    );
    // Deciding writes nothing: the same record decides again.
    assert_eq!(record.usage_count, 0);
    let dave = user_facts("dave", exists(PrivilegeSet::admin()), false);
    assert!(join_group_with_token(&uid("dave"), &token, &record, &dave, &ctx(), &limits()).is_ok());

    // Facts in Onezone's order: a gone group, then the issuer's privilege, then membership.
    let carol = uid("carol");
    let gone = user_facts("carol", missing(), false);
    let err = join_group_with_token(&carol, &token, &record, &gone, &ctx(), &limits()).unwrap_err();
    assert_eq!(err.to_string(), "The resource could not be found: group g1");
    let demoted = user_facts("carol", exists(PrivilegeSet::member()), true);
    let err =
        join_group_with_token(&carol, &token, &record, &demoted, &ctx(), &limits()).unwrap_err();
    assert_eq!(err, InviteError::IssuerNotAuthorized { privilege: Privilege::GroupInviteUser });
    let member = user_facts("carol", exists(PrivilegeSet::admin()), true);
    let err =
        join_group_with_token(&carol, &token, &record, &member, &ctx(), &limits()).unwrap_err();
    assert_eq!(err, InviteError::AlreadyMember { user: uid("carol"), group: gid("g1") });
}

/// Onezone 20.02's consumption order: a used-up token says so before the issuer's re-check and
/// before the group's existence, and before any fact is read.
#[test]
fn the_usage_limit_comes_before_the_issuers_recheck() {
    let (token, mut record) = user_invite();
    record.usage_count = 1;
    let spent = InviteError::UsageLimitReached { limit: UsageLimit::ONCE };
    assert_eq!(token.user_join(&uid("carol"), &record, &ctx()).unwrap_err(), spent);
    for issuer in [missing(), exists(PrivilegeSet::member())] {
        let facts = user_facts("carol", issuer, false);
        let err = join_group_with_token(&uid("carol"), &token, &record, &facts, &ctx(), &limits())
            .unwrap_err();
        assert_eq!(err, spent, "{facts:?}");
    }
    let (token, mut record) = child_invite();
    record.usage_count = 1;
    let facts = child_facts("c1", exists(PrivilegeSet::member()), false, LinkShape::new(false, 1));
    let err = join_parent_group_with_token(
        &acting("bob", "c1"),
        &token,
        &record,
        &facts,
        &ctx(),
        &limits(),
    )
    .unwrap_err();
    assert_eq!(err, spent);
}

/// Custom privileges are re-checked: `group_set_privileges` as well as the invite privilege,
/// only when the record grants more than `[group_view]`.
#[test]
fn custom_privileges_need_the_issuer_to_keep_group_set_privileges() {
    let (token, mut record) = user_invite();
    let carol = uid("carol");
    let manager = user_facts("carol", exists(PrivilegeSet::manager()), false);
    // Default privileges: a manager's invite privilege is enough.
    let _join =
        join_group_with_token(&carol, &token, &record, &manager, &ctx(), &limits()).unwrap();
    // Fewer than the default: still nothing to grant.
    record.privileges = PrivilegeSet::empty();
    let _join =
        join_group_with_token(&carol, &token, &record, &manager, &ctx(), &limits()).unwrap();
    record.privileges = PrivilegeSet::member().union(PrivilegeSet::only(Privilege::GroupUpdate));
    let err =
        join_group_with_token(&carol, &token, &record, &manager, &ctx(), &limits()).unwrap_err();
    assert_eq!(err, InviteError::IssuerCannotGrant { privileges: record.privileges });
    let with_set = user_facts(
        "carol",
        exists(PrivilegeSet::manager().union(PrivilegeSet::only(Privilege::GroupSetPrivileges))),
        false,
    );
    let join =
        join_group_with_token(&carol, &token, &record, &with_set, &ctx(), &limits()).unwrap();
    assert_eq!(join.privileges, record.privileges);
    // The invite privilege is checked first, with its own message.
    let only_set =
        user_facts("carol", exists(PrivilegeSet::only(Privilege::GroupSetPrivileges)), false);
    let err =
        join_group_with_token(&carol, &token, &record, &only_set, &ctx(), &limits()).unwrap_err();
    assert_eq!(err, InviteError::IssuerNotAuthorized { privilege: Privilege::GroupInviteUser });
}

/// A named invite is bound to its record's issuer: a token whose identifier names another
/// subject (`usr-alice`) than the record's issuer fails verification.
#[test]
fn the_identifier_subject_must_be_the_records_issuer() {
    let (token, mut record) = user_invite();
    record.issuer = uid("mallory");
    assert_eq!(
        token.user_join(&uid("carol"), &record, &ctx()).unwrap_err(),
        InviteError::InvalidToken
    );
    let (token, mut record) = child_invite();
    record.issuer = uid("mallory");
    let err = token.child_join(&acting("bob", "c1"), &record, &ctx()).unwrap_err();
    assert_eq!(err, InviteError::InvalidToken);
}

/// The record must be the token's own: one read under another id is refused even when it holds
/// the very secret the token was minted with (a server that looked up the wrong row).
#[test]
fn a_record_of_another_token_id_is_refused_even_with_the_same_secret() {
    let (token, mut record) = user_invite();
    record.token_id = String::from("another-token-id");
    assert_eq!(
        token.user_join(&uid("carol"), &record, &ctx()).unwrap_err(),
        InviteError::InvalidToken
    );
    assert_eq!(token.verify(&record, &ctx()).unwrap_err(), InviteError::InvalidToken);
}

#[test]
fn the_token_use_is_a_compare_and_set_on_the_record() {
    let (token, mut record) = user_invite();
    record.usage_limit = UsageLimit::Limited(NonZeroU64::new(2).unwrap());
    // Three requests decide on the same read of the record (count 0 of 2)...
    let decide = |user: &str, record: &InviteRecord| {
        let facts = user_facts(user, exists(PrivilegeSet::admin()), false);
        join_group_with_token(&uid(user), &token, record, &facts, &ctx(), &limits()).unwrap()
    };
    let (a, b, c) = (decide("a", &record), decide("b", &record), decide("c", &record));
    // ...and the writes decide who wins: two uses, then none.
    a.token_use.as_ref().unwrap().apply(&mut record).unwrap();
    b.token_use.as_ref().unwrap().apply(&mut record).unwrap();
    let spent = c.token_use.as_ref().unwrap().apply(&mut record).unwrap_err();
    assert_eq!(record.usage_count, 2);
    assert_eq!(
        spent.to_string(),
        "Bad value: provided \"token\" is not a valid token (its usage limit of 2 is reached)"
    );
    // Another token's record, or a revoked one, is never counted.
    let (_, mut other) = child_invite();
    assert!(a.token_use.as_ref().unwrap().apply(&mut other).is_err());
    assert_eq!(other.usage_count, 0);
    let (_, mut revoked) = user_invite();
    revoked.revoked = true;
    assert!(a.token_use.as_ref().unwrap().apply(&mut revoked).is_err());
    assert_eq!(revoked.usage_count, 0);
}

// ----- facts about something else than the request: a typed misuse, never a grant -----

#[test]
fn a_gone_parent_is_404_for_a_child_join() {
    let (token, record) = child_invite();
    let facts = child_facts("g2", missing(), false, LinkShape::new(false, 1));
    let err = join_parent_group_with_token(
        &acting("bob", "g2"),
        &token,
        &record,
        &facts,
        &ctx(),
        &limits(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "The resource could not be found: group g1");
}

/// The mismatch reads as a sentence for the log (the client sees a generic 500).
#[test]
fn a_mismatch_says_which_fact_and_key() {
    let (token, record) = user_invite();
    let facts = user_facts("dave", exists(PrivilegeSet::admin()), false);
    let err = join_group_with_token(&uid("carol"), &token, &record, &facts, &ctx(), &limits())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Internal server error: mismatched facts: the membership was read for user dave, but the \
         request needs user carol"
    );
    let anonymous = GroupAccess::new(None, &gid("g1"), true, PrivilegeSet::EMPTY);
    let err = authorize(InviteUser, &gid("g1"), Some(&uid("alice")), &anonymous).unwrap_err();
    assert!(
        err.to_string().ends_with("was read for user (none), but the request needs user alice")
    );
}

fn assert_mismatch(err: InviteError, fact: &str, key: &str) {
    match &err {
        InviteError::MismatchedFacts(m) => {
            assert_eq!((m.fact, m.key), (fact, key), "{err}");
            assert_eq!(err.status(), Status::Internal);
        }
        _ => panic!("expected mismatched facts ({fact}, {key}), got {err:?}"),
    }
}

/// The joining user's own standing passed where the issuer's belongs: carol is an admin of g1
/// too, so with unkeyed facts the join went through on the wrong person's privileges.
#[test]
fn the_joining_users_standing_passed_as_the_issuers_is_refused() {
    let (token, record) = user_invite();
    let carols = access("carol", "g1", PrivilegeSet::admin());
    let facts = UserJoinFacts { issuer: carols, membership: membership("carol", false) };
    let err = join_group_with_token(&uid("carol"), &token, &record, &facts, &ctx(), &limits())
        .unwrap_err();
    assert_mismatch(err, "the issuer's access", "user");
    // And the issuer's membership passed as the joining user's.
    let facts = UserJoinFacts {
        issuer: exists(PrivilegeSet::admin()),
        membership: membership("alice", false),
    };
    let err = join_group_with_token(&uid("carol"), &token, &record, &facts, &ctx(), &limits())
        .unwrap_err();
    assert_mismatch(err, "the membership", "user");
}

/// Parent and child swapped in the link facts: the shape of g2 -> g1 says nothing about
/// g1 -> g2 (a cycle one way is a fine link the other way).
#[test]
fn swapped_parent_and_child_are_refused() {
    let (token, record) = child_invite();
    let swapped = ChildLink {
        parent: gid("g2"),
        child: gid("g1"),
        is_child: false,
        shape: LinkShape::new(false, 1),
        children: 0,
    };
    let facts = ChildJoinFacts { issuer: exists(PrivilegeSet::admin()), link: swapped };
    let err = join_parent_group_with_token(
        &acting("bob", "g2"),
        &token,
        &record,
        &facts,
        &ctx(),
        &limits(),
    )
    .unwrap_err();
    assert_mismatch(err, "the link", "parent");
    // The right parent, another child.
    let facts = child_facts("g3", exists(PrivilegeSet::admin()), false, LinkShape::new(false, 1));
    let err = join_parent_group_with_token(
        &acting("bob", "g2"),
        &token,
        &record,
        &facts,
        &ctx(),
        &limits(),
    )
    .unwrap_err();
    assert_mismatch(err, "the link", "child");
}

/// Another group's access: alice's standing in g2 for an operation in g1 (issuing), or for the
/// re-check of an invite to g1 (joining).
#[test]
fn another_groups_access_is_refused() {
    let in_g2 = access("alice", "g2", PrivilegeSet::admin());
    let err = authorize(InviteUser, &gid("g1"), Some(&uid("alice")), &in_g2).unwrap_err();
    assert_mismatch(err, "the caller's access", "group");
    // An anonymous caller's standing passed for alice, and alice's for an anonymous caller.
    let anonymous = GroupAccess::new(None, &gid("g1"), true, PrivilegeSet::EMPTY);
    let err = authorize(InviteUser, &gid("g1"), Some(&uid("alice")), &anonymous).unwrap_err();
    assert_mismatch(err, "the caller's access", "user");
    let err = authorize(InviteUser, &gid("g1"), None, &exists(PrivilegeSet::admin())).unwrap_err();
    assert_mismatch(err, "the caller's access", "user");

    let (token, record) = user_invite();
    let facts = UserJoinFacts { issuer: in_g2, membership: membership("carol", false) };
    let err = join_group_with_token(&uid("carol"), &token, &record, &facts, &ctx(), &limits())
        .unwrap_err();
    assert_mismatch(err, "the issuer's access", "group");
    let mut elsewhere = membership("carol", false);
    elsewhere.group = gid("g2");
    let facts = UserJoinFacts { issuer: exists(PrivilegeSet::admin()), membership: elsewhere };
    let err = join_group_with_token(&uid("carol"), &token, &record, &facts, &ctx(), &limits())
        .unwrap_err();
    assert_mismatch(err, "the membership", "group");
}

/// Facts read for one request and used for another after a concurrent change: the facts of a
/// pending join for carol do not decide a join for dave, and a membership or a use that a
/// concurrent request wrote after the facts were read makes the conditional write fail, which
/// answers the right error and writes nothing.
#[test]
fn facts_read_before_a_concurrent_change_are_refused() {
    let (token, mut record) = user_invite();
    let carols = user_facts("carol", exists(PrivilegeSet::admin()), false);
    let err = token.user_join(&uid("dave"), &record, &ctx()).unwrap().decide(&carols, &limits());
    assert_mismatch(err.unwrap_err(), "the membership", "user");

    // In memory: carol's join is decided on facts read before a concurrent join of hers.
    let mut d = Directory::new();
    d.create_group(&uid("alice"), gid("g1"), "G", GroupType::Team).unwrap();
    let pending = token.user_join(&uid("carol"), &record, &ctx()).unwrap();
    let facts = UserJoinFacts::from_directory(&d, pending.needs());
    let join = pending.decide(&facts, d.limits()).unwrap();
    d.add_user(&gid("g1"), &uid("carol"), PrivilegeSet::member()).unwrap(); // the concurrent join
    // The write is conditional: insert-if-absent finds the row, so the answer is "already a
    // member", and the use is not counted.
    assert!(d.add_user(&join.group, &join.user, join.privileges).is_err());
    assert_eq!(
        join.already_member(),
        InviteError::AlreadyMember { user: uid("carol"), group: gid("g1") }
    );
    // The one use was taken by a concurrent join since the record was read.
    let mut concurrent = record.clone();
    concurrent.usage_count = 1;
    assert_eq!(
        join.token_use.as_ref().unwrap().apply(&mut concurrent).unwrap_err(),
        join.token_use.as_ref().unwrap().spent()
    );
    assert_eq!(concurrent.usage_count, 1);
    join.token_use.as_ref().unwrap().apply(&mut record).unwrap();
}

/// `DirectoryLimits`' member and child caps hold over facts as over a `Directory`.
#[test]
fn the_member_and_child_caps_hold_over_facts_as_over_a_directory() {
    let capped =
        DirectoryLimits::default().with_max_members_per_group(2).with_max_children_per_group(1);
    let (token, record) = user_invite();
    let mut facts = user_facts("carol", exists(PrivilegeSet::admin()), false);
    facts.membership.members = 2;
    let err =
        join_group_with_token(&uid("carol"), &token, &record, &facts, &ctx(), &capped).unwrap_err();
    let mut d = Directory::with_limits(capped);
    d.create_group(&uid("alice"), gid("g1"), "G", GroupType::Team).unwrap();
    d.add_user(&gid("g1"), &uid("bob"), PrivilegeSet::member()).unwrap();
    let refused = d.add_user(&gid("g1"), &uid("carol"), PrivilegeSet::member()).unwrap_err();
    assert_eq!(err, InviteError::Refused(refused));
    facts.membership.members = 1;
    assert!(join_group_with_token(&uid("carol"), &token, &record, &facts, &ctx(), &capped).is_ok());

    let (token, record) = child_invite();
    let mut facts =
        child_facts("g2", exists(PrivilegeSet::admin()), false, LinkShape::new(false, 1));
    facts.link.children = 1;
    let err = join_parent_group_with_token(
        &acting("bob", "g2"),
        &token,
        &record,
        &facts,
        &ctx(),
        &capped,
    )
    .unwrap_err();
    for g in ["g2", "g3"] {
        d.create_group(&uid("alice"), gid(g), "G", GroupType::Team).unwrap();
    }
    d.add_child(&gid("g1"), &gid("g3"), PrivilegeSet::member()).unwrap();
    let refused = d.add_child(&gid("g1"), &gid("g2"), PrivilegeSet::member()).unwrap_err();
    assert_eq!(err, InviteError::Refused(refused));
}

#[test]
fn every_error_has_its_status_and_onezones_message() {
    let cases: Vec<(InviteError, u16, &str)> = vec![
        (InviteError::group_not_found("g1"), 404, "The resource could not be found: group g1"),
        (InviteError::group_not_found("../etc"), 404, "The resource could not be found"),
        (InviteError::Unauthenticated, 401, "Authentication error"),
        (
            InviteError::MissingPrivilege { privilege: Privilege::GroupInviteUser },
            403,
            "You are not authorized to perform this operation (missing privilege group_invite_user)",
        ),
        (
            InviteError::IssuerNotAuthorized { privilege: Privilege::GroupInviteGroup },
            403,
            "The issuer of this invite token is no longer authorized to invite (missing privilege group_invite_group)",
        ),
        (
            InviteError::IssuerCannotGrant { privileges: PrivilegeSet::admin() },
            403,
            "The issuer of this invite token is no longer authorized to grant the privileges it carries (missing privilege group_set_privileges)",
        ),
        (
            InviteError::InvalidRequest(RequestError::AlreadyExpired(Caveat::Time {
                valid_until: 5,
            })),
            400,
            "Invalid request: the time caveat `time < 5` has already expired",
        ),
        (InviteError::InvalidToken, 400, "Bad value: provided \"token\" is not a valid token"),
        (
            InviteError::TokenRejected(TokenError::Revoked),
            400,
            "Bad value: provided \"token\" is not a valid token (the token has been revoked)",
        ),
        (
            InviteError::UsageLimitReached { limit: UsageLimit::ONCE },
            400,
            "Bad value: provided \"token\" is not a valid token (its usage limit of 1 is reached)",
        ),
        (
            InviteError::AlreadyMember { user: uid("u"), group: gid("g") },
            400,
            "Bad value: user:u is already a member of group:g",
        ),
        (
            InviteError::AlreadyChild { child: gid("c"), parent: gid("p") },
            400,
            "Bad value: group:c is already a member of group:p",
        ),
        (
            InviteError::Refused(DirectoryError::WouldCreateCycle {
                parent: gid("p"),
                child: gid("p"),
            }),
            400,
            "Bad value: group p cannot join itself",
        ),
        (
            InviteError::InconsistentRows(RowsError::Cycle { group: gid("g") }),
            500,
            "Internal server error: inconsistent rows: the link rows form a cycle: group g is its own ancestor",
        ),
        (InviteError::Mint(TokenError::InvalidSignature), 500, "Internal server error"),
    ];
    for (error, status, message) in cases {
        assert_eq!(error.status().code(), status, "{error:?}");
        assert_eq!(error.to_string(), message, "{error:?}");
        // A 5xx body is generic: its detail is for the log only (issue 16, defect 7).
        let body = if status >= 500 { "Internal server error" } else { message };
        assert_eq!(error.body().error, body, "{error:?}");
    }
    assert_eq!(group_from_path("a b").unwrap_err(), InviteError::GroupNotFound { group: None });
}

#[test]
fn the_in_memory_join_is_the_same_decision_applied() {
    let mut d = Directory::new();
    d.create_group(&uid("alice"), gid("g1"), "G", GroupType::Team).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    let issued = in_memory::issue_invite_token(
        &d,
        Some(&uid("alice")),
        "g1",
        None,
        &policy(),
        NOW,
        &mut rng,
    )
    .unwrap();
    let token = InviteToken::parse(&issued.response.token).unwrap();
    let pending = token.user_join(&uid("carol"), &issued.record, &ctx()).unwrap();
    let facts = UserJoinFacts::from_directory(&d, pending.needs());
    assert_eq!(facts, user_facts("carol", exists(PrivilegeSet::admin()), false));
    let decided = pending.decide(&facts, d.limits()).unwrap();
    let mut record = issued.record.clone();
    let written = in_memory::join_group_with_token(
        &mut d,
        &mut record,
        &uid("carol"),
        &issued.response.token,
        &ctx(),
    )
    .unwrap();
    assert_eq!(decided, written);
    assert_eq!(d.direct_privileges(&uid("carol"), &gid("g1")), Some(PrivilegeSet::member()));
    assert_eq!(record.usage_count, 1);
}

proptest! {
    /// Whatever the facts, authorizing never panics and proves only a caller who holds the
    /// privilege in a group that exists; contradictory facts are an error.
    #[test]
    fn authorizing_grants_only_on_consistent_facts_that_allow_it(
        group_exists in any::<bool>(),
        bits in 0u32..0x2000_0000,
        caller in any::<bool>(),
    ) {
        let privileges = PrivilegeSet::from_bits(bits).unwrap();
        let alice = uid("alice");
        let access = GroupAccess::new(caller.then_some(&alice), &gid("g1"), group_exists, privileges);
        let result = authorize(InviteUser, &gid("g1"), caller.then_some(&alice), &access);
        let consistent = group_exists || privileges.is_empty();
        let allowed = group_exists && caller && privileges.allows(Privilege::GroupInviteUser);
        prop_assert_eq!(result.is_ok(), consistent && allowed);
        if !consistent {
            prop_assert!(matches!(result, Err(InviteError::InconsistentFacts(_))));
        }
    }

    /// Whatever the facts, a user join never panics and is decided only when they allow it.
    #[test]
    fn joining_grants_only_on_consistent_facts_that_allow_it(
        group_exists in any::<bool>(),
        bits in 0u32..0x2000_0000,
        is_member in any::<bool>(),
        members in 0u64..4,
    ) {
        let (token, record) = user_invite();
        let privileges = PrivilegeSet::from_bits(bits).unwrap();
        let issuer = GroupAccess::new(Some(&uid("alice")), &gid("g1"), group_exists, privileges);
        let membership = Membership { user: uid("bob"), group: gid("g1"), is_member, members };
        let facts = UserJoinFacts { issuer, membership };
        let capped = DirectoryLimits::default().with_max_members_per_group(3);
        let result = join_group_with_token(&uid("bob"), &token, &record, &facts, &ctx(), &capped);
        let consistent = group_exists || (privileges.is_empty() && !is_member && members == 0);
        let allowed = group_exists
            && privileges.allows(Privilege::GroupInviteUser)
            && !is_member
            && members < 3;
        prop_assert_eq!(result.is_ok(), consistent && allowed, "{:?}", result);
    }
}

// ----- the boundaries `cargo mutants` found untested -----

/// Only named invite tokens have a record: a temporary one (`tmp-<generation>`) of the same
/// shape is refused at parse time, while its named twin parses.
#[test]
fn temporary_invite_tokens_are_refused_at_parse_time() {
    use onezone_tokens::macaroon::Secret;
    use onezone_tokens::token::{
        IdentifierV2, InviteKind, Persistence, Subject, TokenIdentifier, TokenType, mint,
    };
    let secret = Secret::new(&b"a subject's shared secret"[..]);
    let token = |persistence| {
        let identifier = IdentifierV2::new(
            persistence,
            Subject::User("alice".into()),
            TokenType::Invite {
                kind: InviteKind::UserJoinGroup,
                target: "g1".into(),
                params: String::new(),
            },
            "0123456789abcdef",
        )
        .unwrap();
        let caveats = [Caveat::Time { valid_until: NOW + 60 }];
        mint(&secret, "onezone.example.org", &TokenIdentifier::V2(identifier), &caveats).unwrap()
    };
    let temporary = token(Persistence::Temporary { generation: 1 });
    assert_eq!(InviteToken::parse(&temporary).unwrap_err(), InviteError::InvalidToken);
    let named = InviteToken::parse(&token(Persistence::Named)).unwrap();
    assert_eq!(named.token_id(), "0123456789abcdef");
    assert_eq!(named.identifier().subject, Subject::User("alice"));
}

/// A requested lifetime of exactly the policy's maximum is granted; one second more is not.
#[test]
fn the_maximum_lifetime_is_inclusive() {
    let policy = policy().with_max_ttl(3600);
    let body = |t: u64| format!(r#"{{"caveats": [{{"type": "time", "validUntil": {t}}}]}}"#);
    let mut rng = StdRng::seed_from_u64(7);
    let exact = body(NOW + 3600);
    let issued =
        issue_invite_token(&alice_may(InviteUser), Some(exact.as_bytes()), &policy, NOW, &mut rng)
            .unwrap();
    assert_eq!(issued.record.valid_until, NOW + 3600);
    let over = body(NOW + 3601);
    let err =
        issue_invite_token(&alice_may(InviteUser), Some(over.as_bytes()), &policy, NOW, &mut rng)
            .unwrap_err();
    assert_eq!(
        err,
        InviteError::InvalidRequest(RequestError::LifetimeTooLong {
            valid_until: NOW + 3601,
            max_ttl: 3600,
            max_valid_until: NOW + 3600,
        })
    );
}

/// Derived secrets: none by default (each token gets fresh random bytes), the master's
/// derivation once set, and a record stored without its secret gets it back from the same
/// derivation and verifies.
#[test]
fn derived_secrets_are_the_policys_and_put_back_a_stored_records_secret() {
    use onezone_tokens::invite::SecretBytes;
    use onezone_tokens::macaroon::Secret;
    use onezone_tokens::token::DerivedSecrets;
    assert!(policy().derived_secrets().is_none());
    let master = Secret::new(&b"kept outside the database"[..]);
    let policy = policy().with_derived_secrets(DerivedSecrets::new(&master));
    let derived = policy.derived_secrets().expect("set");
    let mut rng = StdRng::seed_from_u64(8);
    let issued = issue_invite_token(&alice_may(InviteUser), None, &policy, NOW, &mut rng).unwrap();
    let id = &issued.record.token_id;
    assert_eq!(issued.record.secret.expose(), derived.named(id).expose());
    let other = DerivedSecrets::new(&Secret::new(&b"another master"[..]));
    assert_ne!(issued.record.secret.expose(), other.named(id).expose());

    let token = InviteToken::parse(&issued.response.token).unwrap();
    let mut stored = issued.record.clone();
    stored.secret = SecretBytes::new(Vec::new());
    // Without its secret the record verifies nothing; with the derivation put back, it does.
    assert_eq!(token.verify(&stored, &ctx()).unwrap_err(), InviteError::InvalidToken);
    assert_eq!(stored.clone().with_derived_secret(None).secret.expose(), b"");
    let restored = stored.with_derived_secret(Some(derived));
    assert_eq!(restored, issued.record);
    let verified = token.verify(&restored, &ctx()).unwrap();
    assert_eq!((verified.group(), verified.issuer()), (&gid("g1"), &uid("alice")));
    // A record that keeps its own secret is left as it is.
    let kept = issued.record.clone().with_derived_secret(Some(&other));
    assert_eq!(kept, issued.record);
}

/// The record-level verify answers what the token is, and refuses it as a join would.
#[test]
fn the_record_level_verify_describes_and_refuses() {
    let (token, mut record) = user_invite();
    record.usage_limit = UsageLimit::Limited(NonZeroU64::new(3).unwrap());
    record.usage_count = 1;
    let verified = token.verify(&record, &ctx()).unwrap();
    assert_eq!(verified.uses_left(), Some(2));
    assert_eq!(verified.privileges(), PrivilegeSet::member());
    assert_eq!(verified.target(), onezone_tokens::invite::InviteTarget::UserJoinGroup);
    assert_eq!(verified.caveats(), &[Caveat::Time { valid_until: verified.valid_until() }]);
    record.usage_limit = UsageLimit::Infinity;
    assert_eq!(token.verify(&record, &ctx()).unwrap().uses_left(), None);
    record.usage_count = 3;
    record.usage_limit = UsageLimit::Limited(NonZeroU64::new(3).unwrap());
    assert!(matches!(token.verify(&record, &ctx()), Err(InviteError::UsageLimitReached { .. })));
    record.usage_count = 0;
    record.revoked = true;
    assert_eq!(
        token.verify(&record, &ctx()).unwrap_err(),
        InviteError::TokenRejected(TokenError::Revoked)
    );
    // Another token's record.
    let (_, other) = child_invite();
    assert_eq!(token.verify(&other, &ctx()).unwrap_err(), InviteError::InvalidToken);
}

/// Onezone 20.02 names the invite privileges `group_add_user`, `group_add_child` and
/// `group_add_parent` (ctool `include/privileges.hrl`, oz-worker `od_group.erl`
/// `upgrade_record`): a set in that vocabulary alone issues, re-checks and joins as the 17.06
/// names do.
#[test]
fn twenty_oh_two_privilege_names_authorize_invites_and_joins() {
    let add_user = PrivilegeSet::only(Privilege::GroupAddUser);
    let caller = authorize(InviteUser, &gid("g1"), Some(&uid("alice")), &exists(add_user)).unwrap();
    let issued =
        issue_invite_token(&caller, None, &policy(), NOW, &mut StdRng::seed_from_u64(9)).unwrap();
    let token = InviteToken::parse(&issued.response.token).unwrap();
    let facts = user_facts("carol", exists(add_user), false);
    let join =
        join_group_with_token(&uid("carol"), &token, &issued.record, &facts, &ctx(), &limits())
            .unwrap();
    assert_eq!(join.privileges, PrivilegeSet::member());

    let add_child = PrivilegeSet::only(Privilege::GroupAddChild);
    assert!(authorize(InviteGroup, &gid("g1"), Some(&uid("alice")), &exists(add_child)).is_ok());
    let add_parent = access("bob", "g2", PrivilegeSet::only(Privilege::GroupAddParent));
    assert!(authorize(JoinParent, &gid("g2"), Some(&uid("bob")), &add_parent).is_ok());
    // Neither vocabulary's name: refused, naming the 17.06 privilege as before.
    let refused = authorize(InviteUser, &gid("g1"), Some(&uid("alice")), &exists(add_child));
    assert_eq!(
        refused.unwrap_err(),
        InviteError::MissingPrivilege { privilege: Privilege::GroupInviteUser }
    );
}

/// Secrets compare by their bytes (in constant time): records that differ only in the secret
/// are different records.
#[test]
fn records_with_different_secrets_differ() {
    use onezone_tokens::invite::SecretBytes;
    let (_, record) = user_invite();
    let mut other = record.clone();
    assert_eq!(other, record);
    other.secret = SecretBytes::new(vec![0; 32]);
    assert_ne!(other, record);
    assert_ne!(SecretBytes::new(vec![1, 2]), SecretBytes::new(vec![1, 2, 3]));
    assert_eq!(SecretBytes::new(vec![1, 2]), SecretBytes::new(vec![1, 2]));
}

/// The detail a 5xx body leaves out stays reachable for the log through `source()`, and so
/// does the cause of a refused link or request.
#[test]
fn errors_keep_their_cause_for_the_log() {
    use std::error::Error as _;
    let cycle = DirectoryError::WouldCreateCycle { parent: gid("p"), child: gid("p") };
    let rows = RowsError::Cycle { group: gid("g") };
    let cases = [
        (InviteError::Refused(cycle.clone()), cycle.to_string()),
        (InviteError::InconsistentRows(rows.clone()), rows.to_string()),
        (
            InviteError::InvalidRequest(RequestError::NothingToUpdate),
            RequestError::NothingToUpdate.to_string(),
        ),
        (InviteError::TokenRejected(TokenError::Revoked), TokenError::Revoked.to_string()),
        (InviteError::Mint(TokenError::InvalidSignature), TokenError::InvalidSignature.to_string()),
    ];
    for (error, cause) in cases {
        assert_eq!(error.source().map(ToString::to_string), Some(cause), "{error:?}");
    }
    assert!(InviteError::InvalidToken.source().is_none());
}
