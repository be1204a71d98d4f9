//! Consuming invite tokens: `POST /user/groups/join` and `POST /groups/{id}/parents/join`.
//!
//! A join is decided in two steps, as a server reads its storage between them:
//! 1. [`InviteToken::user_join`] (or [`InviteToken::child_join`]) checks the token against its
//!    stored [`InviteRecord`] (signature, revocation, caveats, kind, issuer, usage) and answers a
//!    [`PendingUserJoin`] that names the facts it needs ([`PendingUserJoin::needs`]);
//! 2. [`PendingUserJoin::decide`] takes those facts ([`UserJoinFacts`], keyed by what they
//!    describe) and answers what the caller must write ([`UserJoin`], [`ChildJoin`]), in one
//!    transaction: the membership (or child link) and one use of the token ([`TokenUse`]), a
//!    conditional write so that two processes racing on the last use cannot both win.
//!
//! [`join_group_with_token`] and [`join_parent_group_with_token`] run both steps at once, for a
//! caller that read the facts already.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use crate::group::{DirectoryLimits, GroupId, Privilege, PrivilegeSet, UserId};
use crate::macaroon::Secret;
use crate::token::{
    Caveat, CaveatContext, IdentifierV2, Persistence, Subject, TokenError, TokenIdentifier,
    TokenSecrets, TokenType, UnverifiedToken, Verifier,
};
use crate::token::{Consumer, ConsumerKind};
use crate::token::{DEFAULT_MAX_TEMPORARY_TTL, InviteKind};

use super::api::UsageLimit;
use super::authorize::{Authorized, JoinParent};
use super::error::InviteError;
use super::facts::{
    ChildJoinFacts, ChildJoinNeeds, UserJoinFacts, UserJoinNeeds, check_link, check_members,
};
use super::issue::{invite_kind, invite_privilege};
use super::record::{InviteRecord, InviteTarget, SecretBytes};

/// What [`InviteToken::identifier`] would answer for a token `parse` never admits.
const NO_IDENTIFIER: IdentifierV2<&str> = IdentifierV2 {
    persistence: Persistence::Named,
    subject: Subject::Nobody,
    token_type: TokenType::Identity,
    id: "",
};

/// An invite token read from a request, not yet trusted: a named Onezone token whose
/// [`token_id`](InviteToken::token_id) says which [`InviteRecord`] to load, or (read with
/// [`InviteToken::parse_any`]) a temporary one, whose record is made from the token itself
/// ([`InviteRecord::temporary`]). It lends the identifier it parsed from the token's bytes (not
/// copied).
#[derive(Debug, Clone)]
pub struct InviteToken {
    token: UnverifiedToken,
    max_temporary_ttl: u64,
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
    /// if it does not parse or is not a named token (read a temporary invite with
    /// [`InviteToken::parse_any`]).
    pub fn parse(text: &str) -> Result<Self, InviteError> {
        let token = Self::parse_any(text)?;
        if token.is_temporary() {
            return Err(InviteError::InvalidToken);
        }
        Ok(token)
    }

    /// Reads a named or a temporary token (`2/tmp-<generation>/...`), for a server that
    /// consumes temporary invites as Onezone 20.02 does (oz-worker release/20.02.20
    /// `invite_tokens.erl` `consume_internal`). A temporary invite has no stored record: make
    /// it with [`InviteRecord::temporary`] when [`is_temporary`](InviteToken::is_temporary)
    /// says so; its join counts no use ([`UserJoin::token_use`] is `None`).
    ///
    /// # Errors
    /// [`InviteError::InvalidToken`] if it does not parse or has a version 1 identifier.
    pub fn parse_any(text: &str) -> Result<Self, InviteError> {
        let token = UnverifiedToken::parse(text).map_err(|_| InviteError::InvalidToken)?;
        // Every version 2 identifier is named or temporary.
        match token.identifier() {
            TokenIdentifier::V2(_) => {
                Ok(InviteToken { token, max_temporary_ttl: DEFAULT_MAX_TEMPORARY_TTL })
            }
            _ => Err(InviteError::InvalidToken),
        }
    }

    /// Whether it is a temporary token (read by [`InviteToken::parse_any`] only).
    pub fn is_temporary(&self) -> bool {
        matches!(self.identifier().persistence, Persistence::Temporary { .. })
    }

    /// Sets the longest lifetime (seconds from the request's `now`) a temporary invite's time
    /// caveat may reach, as the server's token verifier has it
    /// ([`Verifier::with_max_temporary_ttl`]); [`DEFAULT_MAX_TEMPORARY_TTL`] unless set. Named
    /// invites are not bound by it.
    pub fn with_max_temporary_ttl(mut self, seconds: u64) -> Self {
        self.max_temporary_ttl = seconds;
        self
    }

    /// The token id its identifier names: the key of its [`InviteRecord`].
    pub fn token_id(&self) -> &str {
        self.identifier().id
    }

    /// The identifier it parsed (unverified), lent from the token's bytes.
    pub fn identifier(&self) -> IdentifierV2<&str> {
        match self.token.identifier() {
            TokenIdentifier::V2(v2) => v2,
            // Unreachable: `parse` admits only version 2 identifiers. An empty identifier names
            // no record and verifies nothing.
            _ => NO_IDENTIFIER,
        }
    }

    /// Checks the token against its record as an invite for a user to join the record's
    /// group (`POST /user/groups/join`, step 1 of 2): the token must verify (signature,
    /// revocation, caveats in `ctx` with `user` as consumer) and be a user invite for the record's
    /// group issued by the record's issuer (400, [`InviteError::InvalidToken`]), with a use left
    /// (400, [`InviteError::UsageLimitReached`]). Then read the facts
    /// [`PendingUserJoin::needs`] names and [`decide`](PendingUserJoin::decide).
    ///
    /// # Errors
    /// As above; a record of another token is [`InviteError::InvalidToken`].
    pub fn user_join(
        &self,
        user: &UserId,
        record: &InviteRecord,
        ctx: &CaveatContext,
    ) -> Result<PendingUserJoin, InviteError> {
        let consumer = Consumer::new(ConsumerKind::User, user.as_str())
            .map_err(|_| InviteError::InvalidToken)?;
        let token_use =
            check_token(self, record, InviteTarget::UserJoinGroup, consumer, ctx.clone())?;
        Ok(PendingUserJoin {
            needs: UserJoinNeeds {
                issuer: record.issuer.clone(),
                user: user.clone(),
                group: record.group_id.clone(),
            },
            privileges: record.privileges,
            token_use,
        })
    }

    /// Checks the token against its record as an invite for the group `child` to join the
    /// record's group as its child (`POST /groups/{childId}/parents/join`, step 1 of 2). `child`
    /// is the proof that the acting user holds `group_join_group` in the joining group (404, 401,
    /// 403 come first, before the token is read); then as [`InviteToken::user_join`], with the
    /// joining group as consumer.
    ///
    /// # Errors
    /// As [`InviteToken::user_join`].
    pub fn child_join(
        &self,
        child: &Authorized<JoinParent>,
        record: &InviteRecord,
        ctx: &CaveatContext,
    ) -> Result<PendingChildJoin, InviteError> {
        let consumer = Consumer::new(ConsumerKind::Group, child.group().as_str())
            .map_err(|_| InviteError::InvalidToken)?;
        let mut ctx = ctx.clone();
        // A `grp-<id>` consumer caveat admits the joining group itself.
        ctx.consumer_groups.push(String::from(child.group().as_str()));
        let token_use = check_token(self, record, InviteTarget::GroupJoinGroup, consumer, ctx)?;
        Ok(PendingChildJoin {
            needs: ChildJoinNeeds {
                issuer: record.issuer.clone(),
                parent: record.group_id.clone(),
                child: child.group().clone(),
            },
            privileges: record.privileges,
            token_use,
        })
    }

    /// Checks the token against its record without joining: what `POST
    /// /tokens/verify_invite_token` answers. The token must verify with the record's secret
    /// (signature, revocation, every caveat in `ctx`, whose consumer is whoever would join), be
    /// the record's invite (kind, group, issuer) and have a use left.
    ///
    /// A server that stores records without their secret (derived from a master key) puts it
    /// back first: [`InviteRecord::with_derived_secret`].
    ///
    /// ```
    /// use onezone_tokens::group::{GroupId, PrivilegeSet, UserId};
    /// use onezone_tokens::invite::{GroupAccess, InviteToken, InviteUser, IssuePolicy, authorize, issue_invite_token};
    /// use onezone_tokens::token::CaveatContext;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (g1, alice) = (GroupId::new("g1")?, UserId::new("alice")?);
    /// let access = GroupAccess::new(Some(&alice), &g1, true, PrivilegeSet::admin());
    /// let caller = authorize(InviteUser, &g1, Some(&alice), &access)?;
    /// let policy = IssuePolicy::new("onezone.example.org");
    /// let now = 1_800_000_000;
    /// let issued = issue_invite_token(&caller, None, &policy, now, &mut rand::rng())?;
    ///
    /// let token = InviteToken::parse(&issued.response.token)?;
    /// let verified = token.verify(&issued.record, &CaveatContext::at(now + 1))?;
    /// assert_eq!(verified.group(), &g1);
    /// assert_eq!(verified.uses_left(), Some(1));
    /// assert_eq!(verified.valid_until(), now + 7 * 24 * 3600);
    /// // After its expiry it is refused, with the reason.
    /// let late = token.verify(&issued.record, &CaveatContext::at(now + 8 * 24 * 3600));
    /// assert!(late.unwrap_err().to_string().contains("expired"));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`InviteToken::user_join`].
    pub fn verify(
        &self,
        record: &InviteRecord,
        ctx: &CaveatContext,
    ) -> Result<VerifiedInvite, InviteError> {
        let verified = verify_against(self, record, record.target, ctx)?;
        if !record.usage_limit.admits(record.usage_count) {
            return Err(InviteError::UsageLimitReached { limit: record.usage_limit });
        }
        Ok(VerifiedInvite {
            group: record.group_id.clone(),
            issuer: record.issuer.clone(),
            target: record.target,
            privileges: record.privileges,
            usage_limit: record.usage_limit,
            usage_count: record.usage_count,
            valid_until: record.valid_until.min(verified.valid_until().unwrap_or(u64::MAX)),
            caveats: verified.caveats(),
        })
    }
}

impl InviteRecord {
    /// The record a temporary invite stands for, which Onezone never stores: made from the
    /// token ([`InviteToken::parse_any`]), its subject's shared secret of temporary tokens and
    /// the subject's current generation, both read by the caller (oz-worker release/20.02.20
    /// `invite_tokens.erl` `consume_internal`). Its issuer is the token's subject, its group
    /// and kind the identifier's; it grants the member privileges (a temporary token carries
    /// none), has no usage limit and counts no use. The token's caveats are checked when it is
    /// used ([`InviteToken::user_join`], [`InviteToken::child_join`], [`InviteToken::verify`]),
    /// and the issuer's invitation re-checked by `decide` as for a named invite.
    ///
    /// The record stands for this token alone (its id); it is not to be stored.
    ///
    /// ```
    /// use onezone_tokens::group::{GroupId, PrivilegeSet};
    /// use onezone_tokens::invite::{InviteError, InviteRecord, InviteToken};
    /// use onezone_tokens::macaroon::Secret;
    /// use onezone_tokens::token::{
    ///     Caveat, IdentifierV2, InviteKind, Persistence, Subject, TokenError, TokenIdentifier,
    ///     TokenType, mint,
    /// };
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let alices = Secret::new(&b"alice's secret of temporary tokens"[..]);
    /// let invite = TokenType::Invite { kind: InviteKind::UserJoinGroup, target: "g1".into(), params: String::new() };
    /// let id = IdentifierV2::new(Persistence::Temporary { generation: 1 }, Subject::User("alice".into()), invite, "t1")?;
    /// let text = mint(&alices, "onezone.example.org", &TokenIdentifier::V2(id), &[Caveat::Time { valid_until: 1_800_003_600 }])?;
    ///
    /// let token = InviteToken::parse_any(&text)?;
    /// assert!(token.is_temporary());
    /// let record = InviteRecord::temporary(&token, &alices, 1)?;
    /// assert_eq!((record.group_id.as_str(), record.issuer.as_str()), ("g1", "alice"));
    /// assert_eq!(record.privileges, PrivilegeSet::member());
    /// // After `DELETE /user/tokens/temporary` (generation 2), it is revoked.
    /// let revoked = InviteRecord::temporary(&token, &alices, 2).unwrap_err();
    /// assert_eq!(revoked, InviteError::TokenRejected(TokenError::Revoked));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`InviteError::InvalidToken`] for a named token, a subject other than a user, a token
    /// other than a group invite, or a generation newer than `current_generation`;
    /// [`InviteError::TokenRejected`] with [`TokenError::Revoked`] for an older one (the
    /// answers [`Verifier::verify`] gives).
    pub fn temporary(
        token: &InviteToken,
        secret: &Secret,
        current_generation: u64,
    ) -> Result<InviteRecord, InviteError> {
        let identifier = token.identifier();
        let Persistence::Temporary { generation } = identifier.persistence else {
            return Err(InviteError::InvalidToken);
        };
        if generation < current_generation {
            return Err(token_error(TokenError::Revoked));
        }
        if generation > current_generation {
            return Err(token_error(TokenError::FutureGeneration {
                token: generation,
                current: current_generation,
            }));
        }
        let Subject::User(issuer) = &identifier.subject else {
            return Err(InviteError::InvalidToken);
        };
        let TokenType::Invite { kind, target: group, .. } = &identifier.token_type else {
            return Err(InviteError::InvalidToken);
        };
        let target = match kind {
            InviteKind::UserJoinGroup => InviteTarget::UserJoinGroup,
            InviteKind::GroupJoinGroup => InviteTarget::GroupJoinGroup,
            _ => return Err(InviteError::InvalidToken),
        };
        Ok(InviteRecord {
            token_id: identifier.id.into(),
            secret: SecretBytes::new(secret.expose().to_vec()),
            group_id: GroupId::new(*group).map_err(|_| InviteError::InvalidToken)?,
            issuer: UserId::new(*issuer).map_err(|_| InviteError::InvalidToken)?,
            target,
            usage_limit: UsageLimit::Infinity,
            usage_count: 0,
            privileges: PrivilegeSet::member(),
            created_at: 0,
            valid_until: InviteRecord::NO_EXPIRY,
            revoked: false,
        })
    }
}

/// An invite token checked against its record ([`InviteToken::verify`]): what it invites to,
/// from whom, and how long and how often it can still be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedInvite {
    group: GroupId,
    issuer: UserId,
    target: InviteTarget,
    privileges: PrivilegeSet,
    usage_limit: UsageLimit,
    usage_count: u64,
    valid_until: u64,
    caveats: Vec<Caveat>,
}

impl VerifiedInvite {
    /// The group it invites to.
    pub fn group(&self) -> &GroupId {
        &self.group
    }

    /// The user who issued it (the token's subject).
    pub fn issuer(&self) -> &UserId {
        &self.issuer
    }

    /// Who joins with it.
    pub fn target(&self) -> InviteTarget {
        self.target
    }

    /// The privileges a joining member gets.
    pub fn privileges(&self) -> PrivilegeSet {
        self.privileges
    }

    /// Its usage limit.
    pub fn usage_limit(&self) -> UsageLimit {
        self.usage_limit
    }

    /// How many more joins it admits (`None`: no limit).
    pub fn uses_left(&self) -> Option<u64> {
        match self.usage_limit {
            UsageLimit::Limited(n) => Some(n.get().saturating_sub(self.usage_count)),
            UsageLimit::Infinity => None,
        }
    }

    /// When it stops being valid (Unix seconds): its earliest `time` caveat.
    pub fn valid_until(&self) -> u64 {
        self.valid_until
    }

    /// Its caveats, all of which held.
    pub fn caveats(&self) -> &[Caveat] {
        &self.caveats
    }
}

/// A user's join, checked against the token and its record ([`InviteToken::user_join`]), waiting
/// for the facts it [`needs`](PendingUserJoin::needs).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "read the facts it needs, then decide"]
pub struct PendingUserJoin {
    needs: UserJoinNeeds,
    privileges: PrivilegeSet,
    token_use: Option<TokenUse>,
}

impl PendingUserJoin {
    /// The facts to read: the issuer's standing in the group, and the joining user's membership
    /// of it.
    pub fn needs(&self) -> &UserJoinNeeds {
        &self.needs
    }

    /// Decides the join over `facts`, in Onezone 20.02's order (oz-worker `invite_tokens.erl`):
    /// the group must exist (404); the issuer must still hold `group_invite_user` (403,
    /// [`InviteError::IssuerNotAuthorized`]) and, when the record grants more than
    /// `[group_view]`, `group_set_privileges` too (403, [`InviteError::IssuerCannotGrant`]); the
    /// user must not be a member already (400); the group must have room under
    /// `limits.max_members_per_group` (400, [`InviteError::Refused`]). The answer is what to
    /// write.
    ///
    /// # Errors
    /// As above; [`InviteError::MismatchedFacts`] for facts of other keys than
    /// [`needs`](PendingUserJoin::needs)', [`InviteError::InconsistentFacts`] for facts that
    /// contradict each other.
    pub fn decide(
        self,
        facts: &UserJoinFacts,
        limits: &DirectoryLimits,
    ) -> Result<UserJoin, InviteError> {
        facts.check(&self.needs)?;
        check_issuer(&facts.issuer, InviteTarget::UserJoinGroup, self.privileges)?;
        let join = UserJoin {
            group: self.needs.group,
            user: self.needs.user,
            privileges: self.privileges,
            token_use: self.token_use,
        };
        if facts.membership.is_member {
            return Err(join.already_member());
        }
        check_members(&facts.membership, limits).map_err(InviteError::Refused)?;
        Ok(join)
    }
}

/// A group's join, checked against the token and its record ([`InviteToken::child_join`]),
/// waiting for the facts it [`needs`](PendingChildJoin::needs).
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "read the facts it needs, then decide"]
pub struct PendingChildJoin {
    needs: ChildJoinNeeds,
    privileges: PrivilegeSet,
    token_use: Option<TokenUse>,
}

impl PendingChildJoin {
    /// The facts to read: the issuer's standing in the parent, and the new link.
    pub fn needs(&self) -> &ChildJoinNeeds {
        &self.needs
    }

    /// Decides the join over `facts`: as [`PendingUserJoin::decide`], with `group_invite_group`
    /// for the issuer, then the link checked as [`Directory::add_child`] does: not the parent
    /// itself nor one of its ancestors, not already its child, within
    /// `limits.max_children_per_group` and `limits.max_depth`.
    ///
    /// [`Directory::add_child`]: crate::group::Directory::add_child
    ///
    /// # Errors
    /// As [`PendingUserJoin::decide`], plus [`InviteError::AlreadyChild`] and
    /// [`InviteError::Refused`] for a cycle, too many children or a nesting too deep.
    pub fn decide(
        self,
        facts: &ChildJoinFacts,
        limits: &DirectoryLimits,
    ) -> Result<ChildJoin, InviteError> {
        facts.check(&self.needs)?;
        check_issuer(&facts.issuer, InviteTarget::GroupJoinGroup, self.privileges)?;
        let join = ChildJoin {
            parent: self.needs.parent,
            child: self.needs.child,
            privileges: self.privileges,
            token_use: self.token_use,
        };
        // A group never joins itself, whatever the facts say: that is a cycle, not a membership.
        if facts.link.is_child && join.parent != join.child {
            return Err(join.already_child());
        }
        check_link(&facts.link, limits).map_err(InviteError::Refused)?;
        Ok(join)
    }
}

/// One use of an invite token, to be written in the join's transaction as a conditional update,
/// so that it is counted exactly once across processes: [`storage::USE_INVITE`] with
/// [`token_id`](TokenUse::token_id) (`UPDATE ... WHERE NOT revoked AND (usage_limit IS NULL OR
/// usage_count < usage_limit)`). Never read the count, add one and write it back: under
/// concurrency that lets more joins through than the limit.
///
/// [`storage::USE_INVITE`]: crate::storage::USE_INVITE
///
/// If it updates no row, another request used the token up (or revoked it) since the record was
/// read: roll back and answer [`TokenUse::spent`]. [`TokenUse::apply`] is the same write on an
/// in-memory record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "count the use with the conditional write"]
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
/// (`group`, `user`, `privileges`) if absent ([`storage::INSERT_MEMBERSHIP`]), and apply
/// [`token_use`](UserJoin::token_use) if there is one (a named invite); then answer `201 Created` with
/// [`location`](UserJoin::location). If the insert meets an existing membership (a concurrent
/// join), roll back and answer [`UserJoin::already_member`].
///
/// [`storage::INSERT_MEMBERSHIP`]: crate::storage::INSERT_MEMBERSHIP
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "write the membership and the token's use"]
pub struct UserJoin {
    /// The group joined.
    pub group: GroupId,
    /// The new member.
    pub user: UserId,
    /// The new member's direct privileges (the record's).
    pub privileges: PrivilegeSet,
    /// The use of the token to count; `None` for a temporary invite, which has no usage
    /// limit and no stored record to count on (oz-worker release/20.02.20 `invite_tokens.erl`
    /// `consume_internal`): write nothing for it.
    pub token_use: Option<TokenUse>,
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

/// A group's join as a child, decided: insert the link (`parent`, `child`, `privileges`) if
/// absent ([`storage::INSERT_CHILD_LINK`]) and apply [`token_use`](ChildJoin::token_use) if there
/// is one (a named invite), in one
/// transaction that took the link lock ([`Dialect::lock_child_links`]) before it read the link's
/// [`LinkShape`](crate::group::LinkShape), so that two concurrent links cannot close a cycle
/// together.
///
/// [`storage::INSERT_CHILD_LINK`]: crate::storage::INSERT_CHILD_LINK
/// [`Dialect::lock_child_links`]: crate::storage::Dialect::lock_child_links
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "write the link and the token's use"]
pub struct ChildJoin {
    /// The group joined (the token's).
    pub parent: GroupId,
    /// The joining group.
    pub child: GroupId,
    /// The privileges the child holds in the parent (the record's).
    pub privileges: PrivilegeSet,
    /// The use of the token to count; `None` for a temporary invite, which has no usage
    /// limit and no stored record to count on (oz-worker release/20.02.20 `invite_tokens.erl`
    /// `consume_internal`): write nothing for it.
    pub token_use: Option<TokenUse>,
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

/// The one record a join is checked against, as a secret store. `temporary` is the generation
/// a temporary token being verified claims, when its id is the record's: the record was made
/// for it by [`InviteRecord::temporary`], which checked that generation against the subject's.
struct RecordSecrets<'r> {
    record: &'r InviteRecord,
    temporary: Option<u64>,
}

impl RecordSecrets<'_> {
    fn has_secret(&self) -> bool {
        // A record read without its secret (kept apart, derived from a master key) verifies
        // nothing.
        !self.record.secret.expose().is_empty()
    }
}

impl TokenSecrets for RecordSecrets<'_> {
    fn named_secret(&self, token_id: &str) -> Option<Secret> {
        (token_id == self.record.token_id && self.has_secret())
            .then(|| self.record.secret.to_secret())
    }

    fn temporary_secret(&self, _: &Subject) -> Option<(Secret, u64)> {
        // The subject is checked against the record's issuer once the token verified.
        let generation = self.temporary?;
        self.has_secret().then(|| (self.record.secret.to_secret(), generation))
    }

    fn is_revoked(&self, token_id: &str) -> bool {
        token_id == self.record.token_id && self.record.revoked
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

/// Verifies `token` with `record`'s secret in `ctx`, and checks it is this record's invite of
/// kind `target`, from the record's issuer, for the record's group (400 otherwise).
fn verify_against(
    token: &InviteToken,
    record: &InviteRecord,
    target: InviteTarget,
    ctx: &CaveatContext,
) -> Result<crate::token::VerifiedToken, InviteError> {
    let identifier = token.identifier();
    let temporary = match identifier.persistence {
        Persistence::Temporary { generation } if identifier.id == record.token_id => {
            Some(generation)
        }
        _ => None,
    };
    let secrets = RecordSecrets { record, temporary };
    let verified = Verifier::new(&secrets)
        .with_max_temporary_ttl(token.max_temporary_ttl)
        .verify(&token.token, ctx)
        .map_err(token_error)?;
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
    Ok(verified)
}

/// Step 1 of a join: verifies `token` against its record for a join of kind `target` by
/// `consumer`, then checks it has a use left: the use to count, none for a temporary invite.
fn check_token(
    token: &InviteToken,
    record: &InviteRecord,
    target: InviteTarget,
    consumer: Consumer,
    mut ctx: CaveatContext,
) -> Result<Option<TokenUse>, InviteError> {
    // The consumer of an invite is whoever joins, whatever the caller put in the context.
    ctx.consumer = Some(consumer);
    verify_against(token, record, target, &ctx)?;
    // Temporary invites have no usage limit and no usage count (oz-worker release/20.02.20
    // `invite_tokens.erl` `consume_internal`, `persistence = {temporary, _}`).
    if token.is_temporary() {
        return Ok(None);
    }
    // Named tokens: the usage limit comes before the issuer's re-check (Onezone checks it first,
    // inside its critical section on the token id).
    if !record.usage_limit.admits(record.usage_count) {
        return Err(InviteError::UsageLimitReached { limit: record.usage_limit });
    }
    Ok(Some(TokenUse { token_id: record.token_id.clone(), usage_limit: record.usage_limit }))
}

/// The invitation re-checked as if it were issued now (oz-worker `invite_tokens.erl`): the group
/// exists (404), the issuer may still invite (403) and, if the record grants more than the
/// default member privileges, may still set privileges (403).
fn check_issuer(
    issuer: &super::facts::GroupAccess,
    target: InviteTarget,
    granted: PrivilegeSet,
) -> Result<(), InviteError> {
    if !issuer.group_exists {
        return Err(InviteError::GroupNotFound { group: Some(issuer.group.clone()) });
    }
    let needed = invite_privilege(target);
    if !issuer.privileges.allows(needed) {
        return Err(InviteError::IssuerNotAuthorized { privilege: needed });
    }
    // Only a holder of `group_set_privileges` may hand out more than `[group_view]`.
    if !granted.is_subset(PrivilegeSet::member())
        && !issuer.privileges.allows(Privilege::GroupSetPrivileges)
    {
        return Err(InviteError::IssuerCannotGrant { privileges: granted });
    }
    Ok(())
}

/// A user joins a group with an invite token: `POST /user/groups/join`, both steps at once
/// ([`InviteToken::user_join`], then [`PendingUserJoin::decide`]). Decides; writes nothing.
///
/// `token` was read with [`InviteToken::parse`]; `record` is the stored record of its
/// [`token_id`](InviteToken::token_id) (a token without a record is
/// [`InviteError::InvalidToken`]); `facts` are read from the caller's storage for the keys
/// [`PendingUserJoin::needs`] names: the record's issuer and group, and `user`.
///
/// ```
/// use onezone_tokens::group::{DirectoryLimits, GroupId, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{
///     GroupAccess, InviteError, InviteToken, InviteUser, IssuePolicy, Membership, UserJoinFacts,
///     authorize, issue_invite_token, join_group_with_token,
/// };
/// use onezone_tokens::token::CaveatContext;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (group, alice, carol) = (GroupId::new("g1")?, UserId::new("alice")?, UserId::new("carol")?);
/// let alice_in_g1 = GroupAccess::new(Some(&alice), &group, true, PrivilegeSet::admin());
/// let policy = IssuePolicy::new("onezone.example.org");
/// let now = 1_800_000_000;
/// let caller = authorize(InviteUser, &group, Some(&alice), &alice_in_g1)?;
/// let issued = issue_invite_token(&caller, None, &policy, now, &mut rand::rng())?;
///
/// // POST /user/groups/join {"token": ...}: the record is found by the token's id.
/// let token = InviteToken::parse(&issued.response.token)?;
/// let mut record = issued.record;
/// assert_eq!(token.token_id(), record.token_id);
/// let carol_in_g1 = Membership { user: carol.clone(), group: group.clone(), is_member: false, members: 1 };
/// let facts = UserJoinFacts { issuer: alice_in_g1, membership: carol_in_g1 };
/// let limits = DirectoryLimits::default();
/// let join = join_group_with_token(&carol, &token, &record, &facts, &CaveatContext::at(now + 60), &limits)?;
/// assert_eq!(join.privileges, PrivilegeSet::member());
/// if let Some(u) = &join.token_use { u.apply(&mut record)?; } // or the conditional UPDATE of `TokenUse`
/// assert_eq!(join.location(), "/user/groups/g1");
///
/// // Too late: the token's time caveat (one week by default) has passed.
/// let late = CaveatContext::at(now + 8 * 24 * 3600);
/// let err = join_group_with_token(&carol, &token, &record, &facts, &late, &limits).unwrap_err();
/// assert!(matches!(err, InviteError::TokenRejected(_)), "{err}");
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`InviteToken::user_join`] and [`PendingUserJoin::decide`].
pub fn join_group_with_token(
    user: &UserId,
    token: &InviteToken,
    record: &InviteRecord,
    facts: &UserJoinFacts,
    ctx: &CaveatContext,
    limits: &DirectoryLimits,
) -> Result<UserJoin, InviteError> {
    token.user_join(user, record, ctx)?.decide(facts, limits)
}

/// A group joins another as its child with an invite token: `POST /groups/{childId}/parents/join`,
/// both steps at once ([`InviteToken::child_join`], then [`PendingChildJoin::decide`]). Decides;
/// writes nothing. See [`issue_child_invite_token`](super::issue_child_invite_token) for an
/// example.
///
/// # Errors
/// As [`InviteToken::child_join`] and [`PendingChildJoin::decide`].
pub fn join_parent_group_with_token(
    child: &Authorized<JoinParent>,
    token: &InviteToken,
    record: &InviteRecord,
    facts: &ChildJoinFacts,
    ctx: &CaveatContext,
    limits: &DirectoryLimits,
) -> Result<ChildJoin, InviteError> {
    token.child_join(child, record, ctx)?.decide(facts, limits)
}
