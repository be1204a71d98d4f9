//! Temporary invite tokens (`2/tmp-<generation>/usr-<issuer>/ujg:<group>:/<id>`), consumed as
//! Onezone 20.02 consumes them (oz-worker release/20.02.20 `src/logic/tokens/invite_tokens.erl`
//! `consume_internal`): no stored record and no usage count, the member privileges, the issuer's
//! invitation re-checked, verified with the subject's shared secret at its current generation,
//! every caveat checked.

use onezone_tokens::group::{DirectoryLimits, GroupId, LinkShape, PrivilegeSet, UserId};
use onezone_tokens::invite::{
    Authorized, ChildJoinFacts, ChildLink, GroupAccess, InviteError, InviteRecord, InviteTarget,
    InviteToken, JoinParent, Membership, UserJoinFacts, authorize,
};
use onezone_tokens::macaroon::Secret;
use onezone_tokens::token::{
    Caveat, CaveatContext, IdentifierV2, InviteKind, Persistence, Subject, TokenError,
    TokenIdentifier, TokenType, mint,
};

const NOW: u64 = 1_800_000_000;
const HOUR: u64 = 3600;

fn uid(s: &str) -> UserId {
    UserId::new(s).unwrap()
}
fn gid(s: &str) -> GroupId {
    GroupId::new(s).unwrap()
}
fn ctx() -> CaveatContext {
    CaveatContext::at(NOW + 1)
}
/// alice's shared secret of temporary tokens (what `DerivedSecrets::temporary` answers a server).
fn alices() -> Secret {
    Secret::new(&b"alice's shared secret of temporary tokens"[..])
}

/// A temporary invite of `kind` to g1 from `issuer`, of `generation`, signed with `secret`.
fn temporary(
    secret: &Secret,
    issuer: &str,
    kind: InviteKind,
    generation: u64,
    caveats: &[Caveat],
) -> InviteToken {
    let id = IdentifierV2::new(
        Persistence::Temporary { generation },
        Subject::User(issuer.into()),
        TokenType::Invite { kind, target: "g1".into(), params: String::new() },
        "tmp0123456789",
    )
    .unwrap();
    let text = mint(secret, "onezone.example.org", &TokenIdentifier::V2(id), caveats).unwrap();
    InviteToken::parse_any(&text).unwrap()
}
fn user_invite(caveats: &[Caveat]) -> InviteToken {
    temporary(&alices(), "alice", InviteKind::UserJoinGroup, 3, caveats)
}
fn an_hour() -> [Caveat; 1] {
    [Caveat::Time { valid_until: NOW + HOUR }]
}
/// alice's standing in g1.
fn alice_in_g1(privileges: PrivilegeSet) -> GroupAccess {
    GroupAccess::new(Some(&uid("alice")), &gid("g1"), true, privileges)
}
fn user_facts(user: &str, issuer: GroupAccess) -> UserJoinFacts {
    let membership = Membership { user: uid(user), group: gid("g1"), is_member: false, members: 1 };
    UserJoinFacts { issuer, membership }
}
fn acting(user: &str, group: &str) -> Authorized<JoinParent> {
    let access = GroupAccess::new(Some(&uid(user)), &gid(group), true, PrivilegeSet::admin());
    authorize(JoinParent, &gid(group), Some(&uid(user)), &access).unwrap()
}

#[test]
fn users_join_with_a_temporary_invite_as_often_as_it_is_valid() {
    let token = user_invite(&an_hour());
    assert!(token.is_temporary());
    // `parse` stays as it was: named invites only.
    let text = mint(
        &alices(),
        "onezone.example.org",
        &TokenIdentifier::V2(token.identifier().into_owned()),
        &an_hour(),
    )
    .unwrap();
    assert_eq!(InviteToken::parse(&text).unwrap_err(), InviteError::InvalidToken);

    let record = InviteRecord::temporary(&token, &alices(), 3).unwrap();
    assert_eq!(
        (record.group_id.as_str(), record.issuer.as_str(), record.target),
        ("g1", "alice", InviteTarget::UserJoinGroup)
    );
    assert_eq!(record.privileges, PrivilegeSet::member());
    let verified = token.verify(&record, &ctx()).unwrap();
    assert_eq!((verified.uses_left(), verified.valid_until()), (None, NOW + HOUR));

    // Many joins, none counted: the record never changes and no use is to be written.
    let issuer = alice_in_g1(PrivilegeSet::admin());
    for user in ["bob", "carol", "dave"] {
        let pending = token.user_join(&uid(user), &record, &ctx()).unwrap();
        assert_eq!(pending.needs().issuer, uid("alice"));
        let join = pending.decide(&user_facts(user, issuer.clone()), &DirectoryLimits::default());
        let join = join.unwrap();
        assert_eq!((join.group.as_str(), join.user.as_str()), ("g1", user));
        assert_eq!(join.privileges, PrivilegeSet::member());
        assert_eq!(join.token_use, None);
        assert_eq!(join.location(), "/user/groups/g1");
    }
    // A user invite is no child invite.
    let err = token.child_join(&acting("bob", "c1"), &record, &ctx()).unwrap_err();
    assert_eq!(err, InviteError::InvalidToken);
}

#[test]
fn a_group_joins_with_a_temporary_child_invite() {
    let token = temporary(&alices(), "alice", InviteKind::GroupJoinGroup, 1, &an_hour());
    let record = InviteRecord::temporary(&token, &alices(), 1).unwrap();
    assert_eq!(record.target, InviteTarget::GroupJoinGroup);
    for child in ["c1", "c2"] {
        let pending = token.child_join(&acting("bob", child), &record, &ctx()).unwrap();
        let link = ChildLink {
            parent: gid("g1"),
            child: gid(child),
            is_child: false,
            shape: LinkShape::new(false, 1),
            children: 0,
        };
        let facts = ChildJoinFacts { issuer: alice_in_g1(PrivilegeSet::admin()), link };
        let join = pending.decide(&facts, &DirectoryLimits::default()).unwrap();
        assert_eq!((join.parent.as_str(), join.child.as_str()), ("g1", child));
        assert_eq!((join.privileges, join.token_use), (PrivilegeSet::member(), None));
    }
    // A child invite is no user invite.
    let err = token.user_join(&uid("bob"), &record, &ctx()).unwrap_err();
    assert_eq!(err, InviteError::InvalidToken);
}

/// `DELETE /user/tokens/temporary` bumps the subject's generation: the invite is then revoked,
/// as the token verifier says of any temporary token (oz-worker release/20.02.20
/// `token_auth.erl`); a generation the subject has not reached is invalid.
#[test]
fn another_generation_is_revoked_or_invalid() {
    let token = user_invite(&an_hour());
    assert_eq!(
        InviteRecord::temporary(&token, &alices(), 4).unwrap_err(),
        InviteError::TokenRejected(TokenError::Revoked)
    );
    assert_eq!(
        InviteRecord::temporary(&token, &alices(), 2).unwrap_err(),
        InviteError::InvalidToken
    );
    assert!(InviteRecord::temporary(&token, &alices(), 3).is_ok());
}

#[test]
fn forged_and_foreign_temporary_invites_are_invalid() {
    // Signed with another secret (or checked with another subject's).
    let forged =
        temporary(&Secret::new(&b"a guess"[..]), "alice", InviteKind::UserJoinGroup, 3, &an_hour());
    let record = InviteRecord::temporary(&forged, &alices(), 3).unwrap();
    let err = forged.user_join(&uid("bob"), &record, &ctx()).unwrap_err();
    assert_eq!(err, InviteError::InvalidToken);
    assert_eq!(forged.verify(&record, &ctx()).unwrap_err(), InviteError::InvalidToken);

    // A record made for another temporary token (another id) verifies nothing.
    let token = user_invite(&an_hour());
    let mut other = InviteRecord::temporary(&token, &alices(), 3).unwrap();
    other.token_id = "someothertoken".into();
    assert_eq!(
        token.user_join(&uid("bob"), &other, &ctx()).unwrap_err(),
        InviteError::InvalidToken
    );

    // A record without its secret verifies nothing, not even a token minted with none.
    let empty = Secret::new(Vec::new());
    let text = mint(&empty, "x", &TokenIdentifier::V2(token.identifier().into_owned()), &an_hour());
    let unsigned = InviteToken::parse_any(&text.unwrap()).unwrap();
    let record = InviteRecord::temporary(&unsigned, &empty, 3).unwrap();
    let err = unsigned.user_join(&uid("bob"), &record, &ctx()).unwrap_err();
    assert_eq!(err, InviteError::InvalidToken);

    // Only temporary group invites of a user have such a record.
    let named = InviteToken::parse(
        &mint(
            &alices(),
            "onezone.example.org",
            &TokenIdentifier::V2(
                IdentifierV2::new(
                    Persistence::Named,
                    Subject::User("alice".into()),
                    TokenType::Invite {
                        kind: InviteKind::UserJoinGroup,
                        target: "g1".into(),
                        params: String::new(),
                    },
                    "named1",
                )
                .unwrap(),
            ),
            &[],
        )
        .unwrap(),
    )
    .unwrap();
    assert!(!named.is_temporary());
    assert_eq!(
        InviteRecord::temporary(&named, &alices(), 1).unwrap_err(),
        InviteError::InvalidToken
    );
    let space = temporary(&alices(), "alice", InviteKind::UserJoinSpace, 3, &an_hour());
    assert_eq!(
        InviteRecord::temporary(&space, &alices(), 3).unwrap_err(),
        InviteError::InvalidToken
    );
}

/// The invitation is re-checked as if issued now, with the default privileges: the issuer must
/// still hold `group_invite_user` (20.02: `group_add_user`) and the group must exist.
#[test]
fn an_issuer_who_lost_the_invite_privilege_is_refused() {
    let token = user_invite(&an_hour());
    let record = InviteRecord::temporary(&token, &alices(), 3).unwrap();
    let limits = DirectoryLimits::default();
    let pending = token.user_join(&uid("bob"), &record, &ctx()).unwrap();
    let err = pending.decide(&user_facts("bob", alice_in_g1(PrivilegeSet::member())), &limits);
    assert!(matches!(err, Err(InviteError::IssuerNotAuthorized { .. })), "{err:?}");
    let gone = GroupAccess::missing(Some(&uid("alice")), &gid("g1"));
    let pending = token.user_join(&uid("bob"), &record, &ctx()).unwrap();
    let mut facts = user_facts("bob", gone);
    facts.membership.members = 0; // nobody in a group that is not there
    let err = pending.decide(&facts, &limits);
    assert!(matches!(err, Err(InviteError::GroupNotFound { .. })), "{err:?}");
}

#[test]
fn its_caveats_are_checked() {
    let consumer = Caveat::parse("consumer = usr-bob").unwrap();
    let token = user_invite(&[Caveat::Time { valid_until: NOW + HOUR }, consumer]);
    let record = InviteRecord::temporary(&token, &alices(), 3).unwrap();
    assert!(token.user_join(&uid("bob"), &record, &ctx()).is_ok());
    // Another consumer, or too late.
    let err = token.user_join(&uid("carol"), &record, &ctx()).unwrap_err();
    assert!(matches!(&err, InviteError::TokenRejected(TokenError::CaveatFailed { .. })), "{err:?}");
    let late = CaveatContext::at(NOW + HOUR + 1);
    let err = token.user_join(&uid("bob"), &record, &late).unwrap_err();
    assert!(matches!(&err, InviteError::TokenRejected(TokenError::CaveatFailed { .. })), "{err:?}");

    // A lifetime past the verifier's maximum (7 days by default) is refused unless the server
    // allows it (onezone-server's 30 days).
    let long = user_invite(&[Caveat::Time { valid_until: NOW + 20 * 24 * HOUR }]);
    let record = InviteRecord::temporary(&long, &alices(), 3).unwrap();
    assert!(long.user_join(&uid("bob"), &record, &ctx()).is_err());
    let long = long.with_max_temporary_ttl(30 * 24 * 3600);
    assert!(long.user_join(&uid("bob"), &record, &ctx()).is_ok());
}

#[test]
fn facts_of_another_request_are_refused() {
    let token = user_invite(&an_hour());
    let record = InviteRecord::temporary(&token, &alices(), 3).unwrap();
    let limits = DirectoryLimits::default();
    // dave's membership for bob's join; carol's standing as the issuer's.
    let pending = token.user_join(&uid("bob"), &record, &ctx()).unwrap();
    let err = pending.decide(&user_facts("dave", alice_in_g1(PrivilegeSet::admin())), &limits);
    assert!(matches!(err, Err(InviteError::MismatchedFacts(_))), "{err:?}");
    let carols = GroupAccess::new(Some(&uid("carol")), &gid("g1"), true, PrivilegeSet::admin());
    let pending = token.user_join(&uid("bob"), &record, &ctx()).unwrap();
    let err = pending.decide(&user_facts("bob", carols), &limits);
    assert!(matches!(err, Err(InviteError::MismatchedFacts(_))), "{err:?}");
}
