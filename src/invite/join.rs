//! Consuming invite tokens: `POST /user/groups/join` and `POST /groups/{id}/parents/join`.
//!
//! A join is decided from the token, its stored [`InviteRecord`] and a few facts of the caller's
//! storage ([`UserJoinFacts`], [`ChildJoinFacts`]); the decision ([`UserJoin`], [`ChildJoin`]) is
//! what the caller must write, in one transaction: the membership (or child link) and one use of
//! the token ([`TokenUse`]), a conditional write so that two processes racing on the last use
//! cannot both win.

use alloc::format;
use alloc::string::String;

use crate::group::{DirectoryLimits, GroupId, Privilege, PrivilegeSet, UserId};
use crate::macaroon::Secret;
use crate::token::{
    CaveatContext, Persistence, Subject, TokenError, TokenIdentifier, TokenSecrets, TokenType,
    UnverifiedToken, Verifier,
};
use crate::token::{Consumer, ConsumerKind};

use super::api::UsageLimit;
use super::error::InviteError;
use super::facts::{ChildJoinFacts, UserJoinFacts};
use super::issue::{Authorized, invite_kind, invite_privilege};
use super::record::{InviteRecord, InviteTarget};

/// An invite token read from a request, not yet trusted: a named Onezone token whose
/// [`token_id`](InviteToken::token_id) says which [`InviteRecord`] to load.
#[derive(Debug, Clone)]
pub struct InviteToken {
    token: UnverifiedToken,
}

impl InviteToken {
    /// Reads a token in any of Onezone's text forms.
    ///
    /// ```
    /// use onezone_tokens::invite::{InviteError, InviteToken};
    /// assert_eq!(InviteToken::parse("not a token").unwrap_err(), InviteError::InvalidToken);
    /// ```
    ///
    /// # Errors
    /// [`InviteError::InvalidToken`] (400, `Bad value: provided "token" is not a valid token`)
    /// if it does not parse or is not a named token.
    pub fn parse(text: &str) -> Result<Self, InviteError> {
        let token = UnverifiedToken::parse(text).map_err(|_| InviteError::InvalidToken)?;
        match token.identifier() {
            TokenIdentifier::V2(v2) if v2.persistence == Persistence::Named => {
                Ok(InviteToken { token })
            }
            _ => Err(InviteError::InvalidToken),
        }
    }

    /// The token id its identifier names: the key of its [`InviteRecord`].
    pub fn token_id(&self) -> &str {
        match self.token.identifier() {
            TokenIdentifier::V2(v2) => &v2.id,
            // Unreachable: `parse` admits only version 2 identifiers, and no record has an empty id.
            TokenIdentifier::Legacy(_) => "",
        }
    }
}

/// One use of an invite token, to be written in the join's transaction as a conditional update,
/// so that it is counted exactly once across processes:
///
/// ```sql
/// UPDATE invite_tokens SET usage_count = usage_count + 1
/// WHERE token_id = :token_id AND NOT revoked
///   AND (usage_limit IS NULL OR usage_count < usage_limit)  -- NULL: "infinity"
/// ```
///
/// If it updates no row, another request used the token up (or revoked it) since the record was
/// read: roll back and answer [`TokenUse::spent`]. [`TokenUse::apply`] is the same write on an
/// in-memory record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenUse {
    /// The token id.
    pub token_id: String,
    /// The token's usage limit, as the record said.
    pub usage_limit: UsageLimit,
}

impl TokenUse {
    /// Counts the use on `record`, if it is this token's, not revoked and not used up.
    ///
    /// # Errors
    /// [`TokenUse::spent`] if the condition does not hold; the record is then unchanged.
    pub fn apply(&self, record: &mut InviteRecord) -> Result<(), InviteError> {
        if record.token_id != self.token_id
            || record.revoked
            || !record.usage_limit.admits(record.usage_count)
        {
            return Err(self.spent());
        }
        record.usage_count = record.usage_count.saturating_add(1);
        Ok(())
    }

    /// The answer when the conditional write matched no row: the usage limit is reached.
    pub fn spent(&self) -> InviteError {
        InviteError::UsageLimitReached { limit: self.usage_limit }
    }
}

/// A user's join, decided: what the caller writes in one transaction. Insert the membership
/// (`group`, `user`, `privileges`) with a uniqueness constraint on (`group`, `user`), and apply
/// [`token_use`](UserJoin::token_use); then answer `201 Created` with
/// [`location`](UserJoin::location). If the insert meets an existing membership (a concurrent
/// join), roll back and answer [`UserJoin::already_member`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserJoin {
    /// The group joined.
    pub group: GroupId,
    /// The new member.
    pub user: UserId,
    /// The new member's direct privileges (the record's).
    pub privileges: PrivilegeSet,
    /// The use of the token to count.
    pub token_use: TokenUse,
}

impl UserJoin {
    /// The `Location` header of the `201 Created` answer: `/user/groups/{groupId}`.
    pub fn location(&self) -> String {
        format!("/user/groups/{}", self.group)
    }

    /// The answer when the membership already exists at write time.
    pub fn already_member(&self) -> InviteError {
        InviteError::AlreadyMember { user: self.user.clone(), group: self.group.clone() }
    }
}

/// A group's join as a child, decided: insert the link (`parent`, `child`, `privileges`) with a
/// uniqueness constraint on (`parent`, `child`) and apply
/// [`token_use`](ChildJoin::token_use), in one transaction that also read the link's
/// [`LinkShape`](crate::group::LinkShape) (run it `SERIALIZABLE`, or lock the groups involved,
/// so that two concurrent links cannot close a cycle together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildJoin {
    /// The group joined (the token's).
    pub parent: GroupId,
    /// The joining group.
    pub child: GroupId,
    /// The privileges the child holds in the parent (the record's).
    pub privileges: PrivilegeSet,
    /// The use of the token to count.
    pub token_use: TokenUse,
}

impl ChildJoin {
    /// The `Location` header of the `201 Created` answer: `/groups/{childId}/parents/{parentId}`.
    pub fn location(&self) -> String {
        format!("/groups/{}/parents/{}", self.child, self.parent)
    }

    /// The answer when the link already exists at write time.
    pub fn already_child(&self) -> InviteError {
        InviteError::AlreadyChild { child: self.child.clone(), parent: self.parent.clone() }
    }
}

/// The one record a join is checked against, as a secret store.
struct RecordSecrets<'r>(&'r InviteRecord);

impl TokenSecrets for RecordSecrets<'_> {
    fn named_secret(&self, token_id: &str) -> Option<Secret> {
        (token_id == self.0.token_id).then(|| self.0.secret.to_secret())
    }

    fn temporary_secret(&self, _: &Subject) -> Option<(Secret, u64)> {
        None
    }

    fn is_revoked(&self, token_id: &str) -> bool {
        token_id == self.0.token_id && self.0.revoked
    }
}

fn token_error(e: TokenError) -> InviteError {
    match e {
        // Say why only once the token is known to be authentic (the verifier guarantees that
        // caveat failures come after the signature).
        TokenError::CaveatFailed { .. }
        | TokenError::Revoked
        | TokenError::CaveatNotAllowed { .. }
        | TokenError::UnknownCaveat { .. } => InviteError::TokenRejected(e),
        _ => InviteError::InvalidToken,
    }
}

/// Verifies `token` against its record for a join of kind `target` by `consumer`, then checks
/// the rest in Onezone 20.02's order (oz-worker `invite_tokens.erl`): the token is this record's
/// invite of this kind, from the record's issuer (400); it has a use left (400); the record's
/// group exists (404); the issuer may still invite (403) and, if the record grants more than the
/// default member privileges, may still set privileges (403).
fn check_token(
    token: &InviteToken,
    record: &InviteRecord,
    target: InviteTarget,
    consumer: Consumer,
    mut ctx: CaveatContext,
    issuer: &super::facts::GroupAccess,
) -> Result<TokenUse, InviteError> {
    // The consumer of an invite is whoever joins, whatever the caller put in the context.
    ctx.consumer = Some(consumer);
    let verified =
        Verifier::new(&RecordSecrets(record)).verify(&token.token, &ctx).map_err(token_error)?;
    let matches = match verified.identifier() {
        TokenIdentifier::V2(v2) => {
            matches!(
                &v2.token_type,
                TokenType::Invite { kind, target: group, .. }
                    if *kind == invite_kind(target)
                        && record.target == target
                        && *group == record.group_id.as_str()
            ) && matches!(&v2.subject, Subject::User(id) if *id == record.issuer.as_str())
        }
        TokenIdentifier::Legacy(_) => false,
    };
    if !matches {
        return Err(InviteError::InvalidToken);
    }
    // Named tokens: the usage limit comes before the issuer's re-check (Onezone checks it first,
    // inside its critical section on the token id).
    if !record.usage_limit.admits(record.usage_count) {
        return Err(InviteError::UsageLimitReached { limit: record.usage_limit });
    }
    if !issuer.group_exists {
        return Err(InviteError::GroupNotFound { group: Some(record.group_id.clone()) });
    }
    // The invitation is re-checked as if it were issued now: the issuer must still be allowed to
    // invite, and to grant the privileges the record carries if they exceed a member's.
    let needed = invite_privilege(target);
    if !issuer.privileges.contains(needed) {
        return Err(InviteError::IssuerNotAuthorized { privilege: needed });
    }
    if carries_custom_privileges(record)
        && !issuer.privileges.contains(Privilege::GroupSetPrivileges)
    {
        return Err(InviteError::IssuerCannotGrant { privileges: record.privileges });
    }
    Ok(TokenUse { token_id: record.token_id.clone(), usage_limit: record.usage_limit })
}

/// Whether the record grants more than the default member privileges (`[group_view]`), which
/// only a holder of `group_set_privileges` may hand out.
fn carries_custom_privileges(record: &InviteRecord) -> bool {
    !record.privileges.is_subset(PrivilegeSet::member())
}

/// A user joins a group with an invite token: `POST /user/groups/join`. Decides; writes nothing.
///
/// `token` was read with [`InviteToken::parse`]; `record` is the stored record of its
/// [`token_id`](InviteToken::token_id) (a token without a record is
/// [`InviteError::InvalidToken`]); `facts` are read from the caller's storage for the record's
/// group. In Onezone 20.02's order: the token must verify (signature, revocation, caveats in
/// `ctx` with the user as consumer) and be a user invite for the record's group, issued by the
/// record's issuer (400); the usage limit must admit one more use (400); the group must exist
/// (404); the issuer must still hold `group_invite_user` (403,
/// [`InviteError::IssuerNotAuthorized`]) and, when the record grants more than `[group_view]`,
/// `group_set_privileges` too (403, [`InviteError::IssuerCannotGrant`]); the user must not be a
/// member already (400). The answer is what to write.
///
/// ```
/// use onezone_tokens::group::{GroupId, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{
///     GroupAccess, InviteError, InviteToken, IssuePolicy, UserJoinFacts, issue_invite_token,
///     join_group_with_token,
/// };
/// use onezone_tokens::token::CaveatContext;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (group, alice, carol) = (GroupId::new("g1")?, UserId::new("alice")?, UserId::new("carol")?);
/// let alice_in_g1 = GroupAccess { group_exists: true, privileges: PrivilegeSet::admin() };
/// let policy = IssuePolicy::new("onezone.example.org");
/// let now = 1_800_000_000;
/// let issued = issue_invite_token(&group, Some(&alice), &alice_in_g1, None, &policy, now, &mut rand::rng())?;
///
/// // POST /user/groups/join {"token": ...}: the record is found by the token's id.
/// let token = InviteToken::parse(&issued.response.token)?;
/// let mut record = issued.record;
/// assert_eq!(token.token_id(), record.token_id);
/// let facts = UserJoinFacts { issuer: alice_in_g1, already_member: false };
/// let join = join_group_with_token(&carol, &token, &record, &facts, &CaveatContext::at(now + 60))?;
/// assert_eq!(join.privileges, PrivilegeSet::member());
/// join.token_use.apply(&mut record)?; // or the conditional UPDATE of `TokenUse`
/// assert_eq!(join.location(), "/user/groups/g1");
///
/// // Too late: the token's time caveat (one week by default) has passed.
/// let late = CaveatContext::at(now + 8 * 24 * 3600);
/// let err = join_group_with_token(&carol, &token, &record, &facts, &late).unwrap_err();
/// assert!(matches!(err, InviteError::TokenRejected(_)), "{err}");
/// # Ok(()) }
/// ```
///
/// # Errors
/// The [`InviteError`] the API answers; [`InviteError::InconsistentFacts`] for facts that
/// contradict each other.
pub fn join_group_with_token(
    user: &UserId,
    token: &InviteToken,
    record: &InviteRecord,
    facts: &UserJoinFacts,
    ctx: &CaveatContext,
) -> Result<UserJoin, InviteError> {
    facts.check()?;
    let consumer =
        Consumer::new(ConsumerKind::User, user.as_str()).map_err(|_| InviteError::InvalidToken)?;
    let token_use = check_token(
        token,
        record,
        InviteTarget::UserJoinGroup,
        consumer,
        ctx.clone(),
        &facts.issuer,
    )?;
    let join = UserJoin {
        group: record.group_id.clone(),
        user: user.clone(),
        privileges: record.privileges,
        token_use,
    };
    if facts.already_member {
        return Err(join.already_member());
    }
    Ok(join)
}

/// A group joins another as its child with an invite token: `POST /groups/{childId}/parents/join`.
/// Decides; writes nothing.
///
/// `child` is the proof that the acting user passed [`authorize`](super::authorize) for the
/// joining group with `group_join_group` (404, 401, 403 come first, before the token is read).
/// Then as [`join_group_with_token`], with `group_invite_group` for the issuer (and
/// `group_set_privileges` when the record grants the child more than `[group_view]`) and the
/// joining group as consumer, and the link checked as [`Directory::add_child`] does: not the parent
/// itself nor one of its ancestors, not already its child, within `limits.max_depth`.
///
/// [`Directory::add_child`]: crate::group::Directory::add_child
///
/// ```
/// use onezone_tokens::group::{DirectoryLimits, GroupId, LinkShape, Privilege, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{
///     ChildJoinFacts, GroupAccess, InviteToken, IssuePolicy, authorize, issue_child_invite_token,
///     join_parent_group_with_token,
/// };
/// use onezone_tokens::token::CaveatContext;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (parent, lab) = (GroupId::new("dept")?, GroupId::new("lab")?);
/// let (alice, dave) = (UserId::new("alice")?, UserId::new("dave")?);
/// let now = 1_800_000_000;
///
/// // alice, an admin of dept, invites a group to join it as a child.
/// let alice_in_dept = GroupAccess { group_exists: true, privileges: PrivilegeSet::admin() };
/// let policy = IssuePolicy::new("onezone.example.org");
/// let issued = issue_child_invite_token(&parent, Some(&alice), &alice_in_dept, None, &policy, now, &mut rand::rng())?;
///
/// // dave, a manager of lab (he holds group_join_group there), joins lab to dept with it.
/// let dave_in_lab = GroupAccess { group_exists: true, privileges: PrivilegeSet::manager() };
/// let acting = authorize(&lab, Some(&dave), &dave_in_lab, Privilege::GroupJoinGroup)?;
/// let token = InviteToken::parse(&issued.response.token)?;
/// let facts = ChildJoinFacts {
///     issuer: alice_in_dept,
///     already_child: false,
///     link: LinkShape::new(false, 1), // read with group::LINK_SHAPE_SQL: no cycle, one link
/// };
/// let ctx = CaveatContext::at(now + 60);
/// let join = join_parent_group_with_token(&acting, &token, &issued.record, &facts, &ctx, &DirectoryLimits::default())?;
/// assert_eq!((join.parent.as_str(), join.child.as_str()), ("dept", "lab"));
/// assert_eq!(join.privileges, PrivilegeSet::member());
/// assert_eq!(join.location(), "/groups/lab/parents/dept");
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`join_group_with_token`], plus [`InviteError::AlreadyChild`] and
/// [`InviteError::Refused`] for a cycle or a nesting too deep.
pub fn join_parent_group_with_token(
    child: &Authorized,
    token: &InviteToken,
    record: &InviteRecord,
    facts: &ChildJoinFacts,
    ctx: &CaveatContext,
    limits: &DirectoryLimits,
) -> Result<ChildJoin, InviteError> {
    facts.check()?;
    if !child.privileges().contains(Privilege::GroupJoinGroup) {
        return Err(InviteError::MissingPrivilege { privilege: Privilege::GroupJoinGroup });
    }
    let consumer = Consumer::new(ConsumerKind::Group, child.group().as_str())
        .map_err(|_| InviteError::InvalidToken)?;
    let mut ctx = ctx.clone();
    // A `grp-<id>` consumer caveat admits the joining group itself.
    ctx.consumer_groups.push(String::from(child.group().as_str()));
    let token_use =
        check_token(token, record, InviteTarget::GroupJoinGroup, consumer, ctx, &facts.issuer)?;
    let join = ChildJoin {
        parent: record.group_id.clone(),
        child: child.group().clone(),
        privileges: record.privileges,
        token_use,
    };
    // A group never joins itself, whatever the facts say.
    let link = if join.parent == join.child {
        crate::group::LinkShape::new(true, 0)
    } else if facts.already_child {
        return Err(join.already_child());
    } else {
        facts.link
    };
    link.check(&join.parent, &join.child, limits).map_err(InviteError::Refused)?;
    Ok(join)
}
