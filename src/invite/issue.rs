//! Issuing invite tokens: `POST /groups/{id}/users/token` and `POST /groups/{id}/children/token`.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use rand_core::CryptoRng;

use crate::group::{Privilege, PrivilegeSet};
use crate::token::{
    Caveat, DerivedSecrets, IdentifierV2, InviteKind, Persistence, Subject, TokenError,
    TokenIdentifier, TokenType, mint,
};

use super::api::{GroupInviteToken, GroupInviteTokenRequest, UsageLimit};
use super::authorize::{Authorized, InviteGroup, InviteUser};
use super::error::{InviteError, RequestError};
use super::record::{InviteRecord, InviteTarget, SecretBytes};

/// How a server issues invite tokens.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssuePolicy {
    /// The Onezone domain, written as the token's location.
    pub domain: String,
    /// Lifetime (seconds) of a token whose request gives no `time` caveat. Default one week.
    pub default_ttl: u64,
    /// Longest lifetime (seconds) a request may ask for. Default 30 days.
    pub max_ttl: u64,
    /// Usage limit of a token whose request gives none. Default 1, as the 17.06 API.
    pub default_usage_limit: UsageLimit,
    /// Where a named token's secret comes from: fresh randomness by default, or derived from a
    /// master secret ([`IssuePolicy::with_derived_secrets`]).
    secrets: Option<Arc<DerivedSecrets>>,
}

impl IssuePolicy {
    /// The defaults for this Onezone domain.
    pub fn new(domain: impl Into<String>) -> Self {
        IssuePolicy {
            domain: domain.into(),
            default_ttl: 7 * 24 * 3600,
            max_ttl: 30 * 24 * 3600,
            default_usage_limit: UsageLimit::ONCE,
            secrets: None,
        }
    }

    /// Derives each named token's secret from a master secret (`DerivedSecrets::named` of the
    /// token id) instead of drawing it at random, so that a server need not store the secret: a
    /// copy of its database alone mints nothing. The record still carries the secret, for the
    /// join; a server that keeps the master key apart stores the record without it and derives
    /// it again when it reads the record.
    ///
    /// ```
    /// use onezone_tokens::group::{GroupId, PrivilegeSet, UserId};
    /// use onezone_tokens::invite::{GroupAccess, InviteUser, IssuePolicy, authorize, issue_invite_token};
    /// use onezone_tokens::macaroon::Secret;
    /// use onezone_tokens::token::DerivedSecrets;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let master = Secret::new(&b"kept outside the database"[..]);
    /// let policy =
    ///     IssuePolicy::new("onezone.example.org").with_derived_secrets(DerivedSecrets::new(&master));
    /// let (g1, alice) = (GroupId::new("g1")?, UserId::new("alice")?);
    /// let access = GroupAccess::new(Some(&alice), &g1, true, PrivilegeSet::admin());
    /// let caller = authorize(InviteUser, &g1, Some(&alice), &access)?;
    /// let issued = issue_invite_token(&caller, None, &policy, 1_800_000_000, &mut rand::rng())?;
    /// let again = policy.derived_secrets().map(|d| d.named(&issued.record.token_id));
    /// assert_eq!(Some(issued.record.secret.expose()), again.as_ref().map(|s| s.expose()));
    /// # Ok(()) }
    /// ```
    pub fn with_derived_secrets(mut self, secrets: DerivedSecrets) -> Self {
        self.secrets = Some(Arc::new(secrets));
        self
    }

    /// The master secret's derivations, if named token secrets are derived.
    pub fn derived_secrets(&self) -> Option<&DerivedSecrets> {
        self.secrets.as_deref()
    }

    /// Sets the default lifetime.
    pub fn with_default_ttl(mut self, seconds: u64) -> Self {
        self.default_ttl = seconds;
        self
    }

    /// Sets the maximum lifetime.
    pub fn with_max_ttl(mut self, seconds: u64) -> Self {
        self.max_ttl = seconds;
        self
    }

    /// Sets the default usage limit.
    pub fn with_default_usage_limit(mut self, limit: UsageLimit) -> Self {
        self.default_usage_limit = limit;
        self
    }
}

/// A freshly issued invite: the response body and the record the server must store (in the
/// same transaction) before answering.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "store the record before answering the token"]
pub struct IssuedInvite {
    /// The 200 response body, `{"token": "..."}`.
    pub response: GroupInviteToken,
    /// What to store: token id, secret, group, issuer, usage limit and count, privileges, times.
    pub record: InviteRecord,
}

const TOKEN_ID_BYTES: usize = 16;
const SECRET_BYTES: usize = 32;

/// Issues a token that lets a new user join a group: `POST /groups/{id}/users/token`.
///
/// `caller` is the proof that the caller passed Onezone's checks for this operation in the group
/// ([`authorize`](super::authorize) with [`InviteUser`]: the group exists (404), there is a caller
/// (401), the caller holds `group_invite_user` (403)). Then the request must be valid (400,
/// including a token that would exceed the parsing [`Limits`](crate::macaroon::Limits):
/// [`RequestError::TokenTooLarge`]); then a named invite token is minted
/// (`2/nmd/usr-<caller>/ujg:<group>:/<token id>`) with a fresh random id and secret, serialized
/// as Onezone does (V1, escaped). `body` is the raw request body (absent, empty or `{}` are all
/// valid). Pure: time and randomness are passed in.
///
/// `rng` is any [`CryptoRng`] of `rand_core` 0.10, re-exported as [`crate::rand_core`]:
/// `rand` 0.10's `rand::rng()` or a seeded `StdRng`; `rand` 0.9's generators are of another
/// `rand_core` and do not fit. In an async handler, make the generator inside the synchronous
/// part that issues (or use `rand::rngs::SysRng`): `rand::rng()` held across an `.await` makes the
/// future `!Send`.
///
/// The caller stores [`IssuedInvite::record`] (in the same transaction) before answering
/// [`IssuedInvite::response`].
///
/// ```
/// use onezone_tokens::group::{GroupId, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{GroupAccess, InviteUser, IssuePolicy, authorize, issue_invite_token};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (group, alice) = (GroupId::new("g1")?, UserId::new("alice")?);
/// // What the server's database says: g1 exists and alice is its admin.
/// let access = GroupAccess::new(Some(&alice), &group, true, PrivilegeSet::admin());
/// let caller = authorize(InviteUser, &group, Some(&alice), &access)?;
/// let policy = IssuePolicy::new("onezone.example.org");
/// let mut rng = rand::rng(); // any `rand_core` 0.10 `CryptoRng`
/// let issued = issue_invite_token(&caller, Some(b"{}"), &policy, 1_800_000_000, &mut rng)?;
/// assert_eq!(issued.record.group_id, group);
/// assert!(issued.response.token.chars().all(|c| c.is_ascii_alphanumeric()));
/// # Ok(()) }
/// ```
///
/// # Errors
/// The [`InviteError`] the API answers for an invalid request (400).
pub fn issue_invite_token<R: CryptoRng + ?Sized>(
    caller: &Authorized<InviteUser>,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
) -> Result<IssuedInvite, InviteError> {
    issue(caller, body, policy, now, rng, InviteTarget::UserJoinGroup)
}

/// Issues a token that lets another group join a group as its child:
/// `POST /groups/{id}/children/token`, for a caller [`authorize`](super::authorize)d with
/// [`InviteGroup`] (`group_invite_group`); otherwise as [`issue_invite_token`].
///
/// The token is used with [`join_parent_group_with_token`](super::join_parent_group_with_token):
///
/// ```
/// use onezone_tokens::group::{DirectoryLimits, GroupId, LinkShape, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{
///     ChildJoinFacts, ChildLink, GroupAccess, InviteGroup, InviteToken, IssuePolicy, JoinParent,
///     authorize, issue_child_invite_token, join_parent_group_with_token,
/// };
/// use onezone_tokens::token::CaveatContext;
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (parent, lab) = (GroupId::new("dept")?, GroupId::new("lab")?);
/// let (alice, dave) = (UserId::new("alice")?, UserId::new("dave")?);
/// let now = 1_800_000_000;
///
/// // alice, an admin of dept, invites a group to join it as a child.
/// let alice_in_dept = GroupAccess::new(Some(&alice), &parent, true, PrivilegeSet::admin());
/// let policy = IssuePolicy::new("onezone.example.org");
/// let inviting = authorize(InviteGroup, &parent, Some(&alice), &alice_in_dept)?;
/// let issued = issue_child_invite_token(&inviting, None, &policy, now, &mut rand::rng())?;
///
/// // dave, a manager of lab (he holds group_join_group there), joins lab to dept with it.
/// let dave_in_lab = GroupAccess::new(Some(&dave), &lab, true, PrivilegeSet::manager());
/// let acting = authorize(JoinParent, &lab, Some(&dave), &dave_in_lab)?;
/// let token = InviteToken::parse(&issued.response.token)?;
/// let facts = ChildJoinFacts {
///     issuer: alice_in_dept,
///     // read with group::LINK_SHAPE_SQL and two counts: no cycle, one link, no children yet
///     link: ChildLink { parent: parent.clone(), child: lab.clone(), is_child: false,
///                       shape: LinkShape::new(false, 1), children: 0 },
/// };
/// let ctx = CaveatContext::at(now + 60);
/// let limits = DirectoryLimits::default();
/// let join = join_parent_group_with_token(&acting, &token, &issued.record, &facts, &ctx, &limits)?;
/// assert_eq!((join.parent.as_str(), join.child.as_str()), ("dept", "lab"));
/// assert_eq!(join.privileges, PrivilegeSet::member());
/// assert_eq!(join.location(), "/groups/lab/parents/dept");
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`issue_invite_token`].
pub fn issue_child_invite_token<R: CryptoRng + ?Sized>(
    caller: &Authorized<InviteGroup>,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
) -> Result<IssuedInvite, InviteError> {
    issue(caller, body, policy, now, rng, InviteTarget::GroupJoinGroup)
}

/// The privilege that lets a user issue (and keep valid) invites of `target`.
pub(crate) fn invite_privilege(target: InviteTarget) -> Privilege {
    match target {
        InviteTarget::UserJoinGroup => Privilege::GroupInviteUser,
        InviteTarget::GroupJoinGroup => Privilege::GroupInviteGroup,
    }
}

/// The identifier's invite code of `target`.
pub(crate) fn invite_kind(target: InviteTarget) -> InviteKind {
    match target {
        InviteTarget::UserJoinGroup => InviteKind::UserJoinGroup,
        InviteTarget::GroupJoinGroup => InviteKind::GroupJoinGroup,
    }
}

/// Issues for a caller authorized for an operation (the wrappers fix which, and `target`).
fn issue<Op, R: CryptoRng + ?Sized>(
    authorized: &Authorized<Op>,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
    target: InviteTarget,
) -> Result<IssuedInvite, InviteError> {
    let held = authorized.privileges();
    // 404, 401, 403 were checked by `authorize`.
    // 400: the request is valid.
    let request = GroupInviteTokenRequest::from_body(body)?;
    let mut caveats: Vec<Caveat> = Vec::with_capacity(request.caveats.len() + 1);
    let max_valid_until = now.saturating_add(policy.max_ttl);
    let mut valid_until: Option<u64> = None;
    for caveat in &request.caveats {
        if !caveat.allowed_in_invite() {
            return Err(RequestError::CaveatNotAllowed(caveat.clone()).into());
        }
        if let Caveat::Time { valid_until: t } = caveat {
            if *t > max_valid_until {
                return Err(RequestError::LifetimeTooLong {
                    valid_until: *t,
                    max_ttl: policy.max_ttl,
                    max_valid_until,
                }
                .into());
            }
            if *t <= now {
                return Err(RequestError::AlreadyExpired(caveat.clone()).into());
            }
            valid_until = Some(valid_until.map_or(*t, |v| v.min(*t)));
        }
    }
    let privileges = match request.privileges {
        None => PrivilegeSet::member(),
        Some(p) if held.allows(Privilege::GroupSetPrivileges) => p,
        Some(_) => {
            return Err(InviteError::MissingPrivilege { privilege: Privilege::GroupSetPrivileges });
        }
    };
    // A request without a time caveat gets the default lifetime.
    let valid_until = match valid_until {
        Some(v) => v,
        None => {
            let v = now.saturating_add(policy.default_ttl);
            caveats.push(Caveat::Time { valid_until: v });
            v
        }
    };
    caveats.extend(request.caveats);
    let usage_limit = request.usage_limit.unwrap_or(policy.default_usage_limit);
    let grant = Grant { target, privileges, usage_limit, valid_until };
    mint_named_invite(authorized, grant, &caveats, policy, now, rng)
}

/// What a named invite grants, as its record keeps it.
pub(super) struct Grant {
    pub(super) target: InviteTarget,
    pub(super) privileges: PrivilegeSet,
    pub(super) usage_limit: UsageLimit,
    pub(super) valid_until: u64,
}

/// Mints a named invite of `grant` with these caveats, for the checked caller, and its record.
pub(super) fn mint_named_invite<Op, R: CryptoRng + ?Sized>(
    authorized: &Authorized<Op>,
    grant: Grant,
    caveats: &[Caveat],
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
) -> Result<IssuedInvite, InviteError> {
    let (group, caller) = (authorized.group(), authorized.caller());
    let Grant { target, privileges, usage_limit, valid_until } = grant;
    let mut id_bytes = [0u8; TOKEN_ID_BYTES];
    rng.fill_bytes(&mut id_bytes);
    let token_id = hex(&id_bytes);
    let secret = match &policy.secrets {
        Some(derived) => SecretBytes::new(derived.named(&token_id).expose().to_vec()),
        None => {
            let mut secret = alloc::vec![0u8; SECRET_BYTES];
            rng.fill_bytes(&mut secret);
            SecretBytes::new(secret)
        }
    };

    let identifier = IdentifierV2::new(
        Persistence::Named,
        Subject::User(String::from(caller.as_str())),
        TokenType::Invite {
            kind: invite_kind(target),
            target: String::from(group.as_str()),
            params: String::new(),
        },
        token_id.clone(),
    )
    .map_err(|e| InviteError::Mint(TokenError::Identifier(e)))?;
    let token =
        mint(&secret.to_secret(), &policy.domain, &TokenIdentifier::V2(identifier), caveats)
            .map_err(|e| match e {
                // The request asked for more than a token can carry: the token would never parse.
                e @ TokenError::ExceedsLimit { .. } => RequestError::TokenTooLarge(e).into(),
                e => InviteError::Mint(e),
            })?;

    Ok(IssuedInvite {
        response: GroupInviteToken { token },
        record: InviteRecord {
            token_id,
            secret,
            group_id: group.clone(),
            issuer: caller.clone(),
            target,
            usage_limit,
            usage_count: 0,
            privileges,
            created_at: now,
            valid_until,
            revoked: false,
        },
    })
}

fn hex(bytes: &[u8]) -> String {
    base16ct::lower::encode_string(bytes)
}
