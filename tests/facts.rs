//! The storage-neutral invite API: decisions over caller-given facts, their typed errors, and
//! the token use as a compare-and-set.

use std::num::NonZeroU64;

use onezone_tokens::group::{
    Directory, DirectoryError, DirectoryLimits, GroupId, GroupType, LinkShape, Privilege,
    PrivilegeSet, RowsError, UserId,
};
use onezone_tokens::invite::{
    ChildJoinFacts, GroupAccess, InviteError, InviteRecord, InviteToken, IssuePolicy, RequestError,
    Status, UsageLimit, UserJoinFacts, authorize, group_from_path, in_memory,
    issue_child_invite_token, issue_invite_token, join_group_with_token,
    join_parent_group_with_token,
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
fn exists(privileges: PrivilegeSet) -> GroupAccess {
    GroupAccess { group_exists: true, privileges }
}

/// A user invite to g1 issued by alice (admin), and its record.
fn user_invite() -> (InviteToken, InviteRecord) {
    let issued = issue_invite_token(
        &gid("g1"),
        Some(&uid("alice")),
        &exists(PrivilegeSet::admin()),
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
        &gid("g1"),
        Some(&uid("alice")),
        &exists(PrivilegeSet::admin()),
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
    let ghost = GroupAccess { group_exists: false, privileges: PrivilegeSet::admin() };
    let err = issue_invite_token(
        &gid("g1"),
        Some(&uid("alice")),
        &ghost,
        None,
        &policy(),
        NOW,
        &mut StdRng::seed_from_u64(1),
    )
    .unwrap_err();
    assert!(matches!(err, InviteError::InconsistentFacts(_)), "{err:?}");
    assert_eq!(err.status(), Status::Internal);
    assert_eq!(
        err.to_string(),
        "Internal server error: inconsistent facts: privileges were given in a group said not to exist"
    );

    let (token, record) = user_invite();
    let bob = uid("bob");
    for facts in [
        UserJoinFacts { issuer: ghost, already_member: false },
        UserJoinFacts { issuer: GroupAccess::MISSING, already_member: true },
    ] {
        let err = join_group_with_token(&bob, &token, &record, &facts, &ctx()).unwrap_err();
        assert!(matches!(err, InviteError::InconsistentFacts(_)), "{facts:?}: {err:?}");
    }

    let (token, record) = child_invite();
    let child = authorize(
        &gid("g2"),
        Some(&bob),
        &exists(PrivilegeSet::admin()),
        Privilege::GroupJoinGroup,
    )
    .unwrap();
    let limits = DirectoryLimits::default();
    for facts in [
        ChildJoinFacts { issuer: ghost, already_child: false, link: LinkShape::new(false, 1) },
        ChildJoinFacts {
            issuer: GroupAccess::MISSING,
            already_child: true,
            link: LinkShape::new(false, 1),
        },
        ChildJoinFacts {
            issuer: exists(PrivilegeSet::admin()),
            already_child: true,
            link: LinkShape::new(true, 0),
        },
    ] {
        let err = join_parent_group_with_token(&child, &token, &record, &facts, &ctx(), &limits)
            .unwrap_err();
        assert!(matches!(err, InviteError::InconsistentFacts(_)), "{facts:?}: {err:?}");
    }
}

#[test]
fn a_group_never_joins_itself_whatever_the_facts_say() {
    let (token, record) = child_invite();
    // The joining group is g1, the token's own group; the facts (wrongly) see no cycle.
    let child = authorize(
        &gid("g1"),
        Some(&uid("alice")),
        &exists(PrivilegeSet::admin()),
        Privilege::GroupJoinGroup,
    )
    .unwrap();
    let facts = ChildJoinFacts {
        issuer: exists(PrivilegeSet::admin()),
        already_child: false,
        link: LinkShape::new(false, 1),
    };
    let err = join_parent_group_with_token(
        &child,
        &token,
        &record,
        &facts,
        &ctx(),
        &DirectoryLimits::default(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "Bad value: group g1 cannot join itself");
    assert!(matches!(err, InviteError::Refused(DirectoryError::WouldCreateCycle { .. })));
}

#[test]
fn a_child_join_needs_group_join_group_in_the_child_even_with_a_proof_for_another_privilege() {
    let (token, record) = child_invite();
    // Authorized, but for `group_view` only.
    let child = authorize(
        &gid("g2"),
        Some(&uid("bob")),
        &exists(PrivilegeSet::member()),
        Privilege::GroupView,
    )
    .unwrap();
    let facts = ChildJoinFacts {
        issuer: exists(PrivilegeSet::admin()),
        already_child: false,
        link: LinkShape::new(false, 1),
    };
    let err = join_parent_group_with_token(
        &child,
        &token,
        &record,
        &facts,
        &ctx(),
        &DirectoryLimits::default(),
    )
    .unwrap_err();
    assert_eq!(err, InviteError::MissingPrivilege { privilege: Privilege::GroupJoinGroup });
}

#[test]
fn the_join_decision_says_what_to_write() {
    let (token, record) = user_invite();
    let facts = UserJoinFacts { issuer: exists(PrivilegeSet::admin()), already_member: false };
    let join = join_group_with_token(&uid("carol"), &token, &record, &facts, &ctx()).unwrap();
    assert_eq!(join.group, gid("g1"));
    assert_eq!(join.user, uid("carol"));
    assert_eq!(join.privileges, PrivilegeSet::member());
    assert_eq!(join.token_use.token_id, record.token_id);
    assert_eq!(join.location(), "/user/groups/g1");
    assert_eq!(
        join.already_member().to_string(),
        "Bad value: user:carol is already a member of group:g1"
    );
    // Deciding writes nothing: the same record decides again.
    assert_eq!(record.usage_count, 0);
    assert!(join_group_with_token(&uid("dave"), &token, &record, &facts, &ctx()).is_ok());

    // Facts in Onezone's order: a gone group, then the issuer's privilege, then membership.
    let gone = UserJoinFacts { issuer: GroupAccess::MISSING, already_member: false };
    let err = join_group_with_token(&uid("carol"), &token, &record, &gone, &ctx()).unwrap_err();
    assert_eq!(err.to_string(), "The resource could not be found: group g1");
    let demoted = UserJoinFacts { issuer: exists(PrivilegeSet::member()), already_member: true };
    let err = join_group_with_token(&uid("carol"), &token, &record, &demoted, &ctx()).unwrap_err();
    assert_eq!(err, InviteError::IssuerNotAuthorized { privilege: Privilege::GroupInviteUser });
    let member = UserJoinFacts { issuer: exists(PrivilegeSet::admin()), already_member: true };
    let err = join_group_with_token(&uid("carol"), &token, &record, &member, &ctx()).unwrap_err();
    assert_eq!(err, InviteError::AlreadyMember { user: uid("carol"), group: gid("g1") });
}

/// Onezone 20.02's consumption order: a used-up token says so before the issuer's re-check and
/// before the group's existence. Failed on main (it answered 404 and 403).
#[test]
fn the_usage_limit_comes_before_the_issuers_recheck() {
    let (token, mut record) = user_invite();
    record.usage_count = 1;
    let spent = InviteError::UsageLimitReached { limit: UsageLimit::ONCE };
    for issuer in [GroupAccess::MISSING, exists(PrivilegeSet::member())] {
        let facts = UserJoinFacts { issuer, already_member: false };
        let err =
            join_group_with_token(&uid("carol"), &token, &record, &facts, &ctx()).unwrap_err();
        assert_eq!(err, spent, "{issuer:?}");
    }
    let (token, mut record) = child_invite();
    record.usage_count = 1;
    let child = authorize(
        &gid("c1"),
        Some(&uid("bob")),
        &exists(PrivilegeSet::admin()),
        Privilege::GroupJoinGroup,
    )
    .unwrap();
    let facts = ChildJoinFacts {
        issuer: exists(PrivilegeSet::member()),
        already_child: false,
        link: LinkShape::new(false, 1),
    };
    let err = join_parent_group_with_token(
        &child,
        &token,
        &record,
        &facts,
        &ctx(),
        &DirectoryLimits::default(),
    )
    .unwrap_err();
    assert_eq!(err, spent);
}

/// Custom privileges are re-checked: `group_set_privileges` as well as the invite privilege,
/// only when the record grants more than `[group_view]`. Failed on main.
#[test]
fn custom_privileges_need_the_issuer_to_keep_group_set_privileges() {
    let (token, mut record) = user_invite();
    let manager = UserJoinFacts { issuer: exists(PrivilegeSet::manager()), already_member: false };
    // Default privileges: a manager's invite privilege is enough.
    join_group_with_token(&uid("carol"), &token, &record, &manager, &ctx()).unwrap();
    // Fewer than the default: still nothing to grant.
    record.privileges = PrivilegeSet::empty();
    join_group_with_token(&uid("carol"), &token, &record, &manager, &ctx()).unwrap();
    record.privileges = PrivilegeSet::member().union(PrivilegeSet::only(Privilege::GroupUpdate));
    let err = join_group_with_token(&uid("carol"), &token, &record, &manager, &ctx()).unwrap_err();
    assert_eq!(err, InviteError::IssuerCannotGrant { privileges: record.privileges });
    let with_set = UserJoinFacts {
        issuer: exists(
            PrivilegeSet::manager().union(PrivilegeSet::only(Privilege::GroupSetPrivileges)),
        ),
        already_member: false,
    };
    let join = join_group_with_token(&uid("carol"), &token, &record, &with_set, &ctx()).unwrap();
    assert_eq!(join.privileges, record.privileges);
    // The invite privilege is checked first, with its own message.
    let only_set = UserJoinFacts {
        issuer: exists(PrivilegeSet::only(Privilege::GroupSetPrivileges)),
        already_member: false,
    };
    let err = join_group_with_token(&uid("carol"), &token, &record, &only_set, &ctx()).unwrap_err();
    assert_eq!(err, InviteError::IssuerNotAuthorized { privilege: Privilege::GroupInviteUser });
}

/// A named invite is bound to its record's issuer: a token whose identifier names another
/// subject (`usr-alice`) than the record's issuer fails verification. Failed on main (it joined).
#[test]
fn the_identifier_subject_must_be_the_records_issuer() {
    let (token, mut record) = user_invite();
    let facts = UserJoinFacts { issuer: exists(PrivilegeSet::admin()), already_member: false };
    record.issuer = uid("mallory");
    let err = join_group_with_token(&uid("carol"), &token, &record, &facts, &ctx()).unwrap_err();
    assert_eq!(err, InviteError::InvalidToken);
    let (token, mut record) = child_invite();
    record.issuer = uid("mallory");
    let child = authorize(
        &gid("c1"),
        Some(&uid("bob")),
        &exists(PrivilegeSet::admin()),
        Privilege::GroupJoinGroup,
    )
    .unwrap();
    let facts = ChildJoinFacts {
        issuer: exists(PrivilegeSet::admin()),
        already_child: false,
        link: LinkShape::new(false, 1),
    };
    let err = join_parent_group_with_token(
        &child,
        &token,
        &record,
        &facts,
        &ctx(),
        &DirectoryLimits::default(),
    )
    .unwrap_err();
    assert_eq!(err, InviteError::InvalidToken);
}

#[test]
fn the_token_use_is_a_compare_and_set_on_the_record() {
    let (token, mut record) = user_invite();
    record.usage_limit = UsageLimit::Limited(NonZeroU64::new(2).unwrap());
    let facts = UserJoinFacts { issuer: exists(PrivilegeSet::admin()), already_member: false };
    // Two requests decide on the same read of the record (count 0 of 2)...
    let a = join_group_with_token(&uid("a"), &token, &record, &facts, &ctx()).unwrap();
    let b = join_group_with_token(&uid("b"), &token, &record, &facts, &ctx()).unwrap();
    let c = join_group_with_token(&uid("c"), &token, &record, &facts, &ctx()).unwrap();
    // ...and the writes decide who wins: two uses, then none.
    a.token_use.apply(&mut record).unwrap();
    b.token_use.apply(&mut record).unwrap();
    let spent = c.token_use.apply(&mut record).unwrap_err();
    assert_eq!(record.usage_count, 2);
    assert_eq!(
        spent.to_string(),
        "Bad value: provided \"token\" is not a valid token (its usage limit of 2 is reached)"
    );
    // Another token's record, or a revoked one, is never counted.
    let (_, mut other) = child_invite();
    assert!(a.token_use.apply(&mut other).is_err());
    assert_eq!(other.usage_count, 0);
    let (_, mut revoked) = user_invite();
    revoked.revoked = true;
    assert!(a.token_use.apply(&mut revoked).is_err());
    assert_eq!(revoked.usage_count, 0);
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
        assert_eq!(error.body().error, message);
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
    let facts = UserJoinFacts::from_directory(&d, &uid("alice"), &gid("g1"), &uid("carol"));
    let decided =
        join_group_with_token(&uid("carol"), &token, &issued.record, &facts, &ctx()).unwrap();
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
    /// Whatever the facts, issuing never panics and mints only for a caller who holds the
    /// privilege in a group that exists; contradictory facts are an error.
    #[test]
    fn issuing_grants_only_on_consistent_facts_that_allow_it(
        group_exists in any::<bool>(),
        bits in 0u32..0x2000_0000,
        caller in any::<bool>(),
    ) {
        let privileges = PrivilegeSet::from_bits(bits).unwrap();
        let access = GroupAccess { group_exists, privileges };
        let alice = uid("alice");
        let result = issue_invite_token(
            &gid("g1"), caller.then_some(&alice), &access, None, &policy(), NOW,
            &mut StdRng::seed_from_u64(1),
        );
        let consistent = group_exists || privileges.is_empty();
        let allowed = group_exists && caller && privileges.contains(Privilege::GroupInviteUser);
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
        already_member in any::<bool>(),
    ) {
        let (token, record) = user_invite();
        let issuer = GroupAccess { group_exists, privileges: PrivilegeSet::from_bits(bits).unwrap() };
        let facts = UserJoinFacts { issuer, already_member };
        let result = join_group_with_token(&uid("bob"), &token, &record, &facts, &ctx());
        let allowed = group_exists
            && issuer.privileges.contains(Privilege::GroupInviteUser)
            && !already_member;
        prop_assert_eq!(result.is_ok(), allowed);
    }
}
