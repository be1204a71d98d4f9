//! Issuing invite tokens: `POST /groups/{id}/users/token` and `POST /groups/{id}/children/token`.

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use rand_core::CryptoRng;

use crate::group::{GroupId, Privilege, PrivilegeSet, UserId};
use crate::token::{
    Caveat, DerivedSecrets, IdentifierV2, InviteKind, Persistence, Subject, TokenError,
    TokenIdentifier, TokenType, mint,
};

use super::api::{GroupInviteToken, GroupInviteTokenRequest, UsageLimit};
use super::error::{InviteError, RequestError};
use super::facts::GroupAccess;
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
    /// use onezone_tokens::invite::{GroupAccess, IssuePolicy, issue_invite_token};
    /// use onezone_tokens::macaroon::Secret;
    /// use onezone_tokens::token::DerivedSecrets;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let master = Secret::new(&b"kept outside the database"[..]);
    /// let policy =
    ///     IssuePolicy::new("onezone.example.org").with_derived_secrets(DerivedSecrets::new(&master));
    /// let access = GroupAccess { group_exists: true, privileges: PrivilegeSet::admin() };
    /// let (g1, alice) = (GroupId::new("g1")?, UserId::new("alice")?);
    /// let issued = issue_invite_token(&g1, Some(&alice), &access, None, &policy, 1_800_000_000, &mut rand::rng())?;
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
pub struct IssuedInvite {
    /// The 200 response body, `{"token": "..."}`.
    pub response: GroupInviteToken,
    /// What to store: token id, secret, group, issuer, usage limit and count, privileges, times.
    pub record: InviteRecord,
}

const TOKEN_ID_BYTES: usize = 16;
const SECRET_BYTES: usize = 32;

/// The group named by a request path: a string that is not a valid [`GroupId`] names no group.
///
/// # Errors
/// [`InviteError::GroupNotFound`] (404) for an invalid id, which is not echoed back.
pub fn group_from_path(id: &str) -> Result<GroupId, InviteError> {
    GroupId::new(id).map_err(|_| InviteError::GroupNotFound { group: None })
}

/// Proof that a caller passed Onezone's checks for an operation in a group: the group exists,
/// the caller is authenticated and holds the privilege. Only [`authorize`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorized {
    group: GroupId,
    caller: UserId,
    privileges: PrivilegeSet,
}

impl Authorized {
    /// The group.
    pub fn group(&self) -> &GroupId {
        &self.group
    }

    /// The caller.
    pub fn caller(&self) -> &UserId {
        &self.caller
    }

    /// The caller's effective privileges in the group (the checked one among them).
    pub fn privileges(&self) -> PrivilegeSet {
        self.privileges
    }
}

/// Onezone's checks before any operation in a group, in its order: the group exists (404),
/// there is a caller (401), the caller holds `needed` (403). `access` is the caller's standing in
/// `group` as the caller's storage tells it.
///
/// ```
/// use onezone_tokens::group::{GroupId, Privilege, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{GroupAccess, InviteError, authorize};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (g1, bob) = (GroupId::new("g1")?, UserId::new("bob")?);
/// let member = GroupAccess { group_exists: true, privileges: PrivilegeSet::member() };
/// let refused = authorize(&g1, Some(&bob), &member, Privilege::GroupJoinGroup).unwrap_err();
/// assert_eq!(refused, InviteError::MissingPrivilege { privilege: Privilege::GroupJoinGroup });
/// let anonymous = authorize(&g1, None, &GroupAccess::MISSING, Privilege::GroupView).unwrap_err();
/// assert_eq!(anonymous.status().code(), 404); // the group's absence comes first
/// # Ok(()) }
/// ```
///
/// # Errors
/// [`InviteError::GroupNotFound`], [`InviteError::Unauthenticated`],
/// [`InviteError::MissingPrivilege`]; [`InviteError::InconsistentFacts`] for privileges in a
/// group said not to exist.
pub fn authorize(
    group: &GroupId,
    caller: Option<&UserId>,
    access: &GroupAccess,
    needed: Privilege,
) -> Result<Authorized, InviteError> {
    let caller = check_access(group, caller, access, needed)?;
    Ok(Authorized { group: group.clone(), caller: caller.clone(), privileges: access.privileges })
}

/// [`authorize`]'s checks, without copying the ids: the caller.
fn check_access<'c>(
    group: &GroupId,
    caller: Option<&'c UserId>,
    access: &GroupAccess,
    needed: Privilege,
) -> Result<&'c UserId, InviteError> {
    access.check()?;
    if !access.group_exists {
        return Err(InviteError::GroupNotFound { group: Some(group.clone()) });
    }
    let caller = caller.ok_or(InviteError::Unauthenticated)?;
    if !access.privileges.contains(needed) {
        return Err(InviteError::MissingPrivilege { privilege: needed });
    }
    Ok(caller)
}

/// Issues a token that lets a new user join `group`: `POST /groups/{id}/users/token`.
///
/// `access` is the caller's standing in `group` (whether it exists, the caller's effective
/// privileges there), as the caller's storage tells it: from a [`Directory`](crate::group::Directory)
/// with [`GroupAccess::from_directory`], or from rows with
/// [`effective_privileges_from_rows`](crate::group::effective_privileges_from_rows). Checks in
/// Onezone's order: the group exists (404), there is a caller (401), the caller holds
/// `group_invite_user` (403), the request is valid (400, including a token that would exceed the
/// parsing [`Limits`](crate::macaroon::Limits): [`RequestError::TokenTooLarge`]); then mints a named invite token
/// (`2/nmd/usr-<caller>/ujg:<group>:/<token id>`) with a fresh random id and secret, serialized
/// as Onezone does (V1, escaped). `body` is the raw request body (absent, empty or `{}` are all
/// valid). Pure: time and randomness are passed in.
///
/// `rng` is any [`CryptoRng`] of `rand_core` 0.10, re-exported as [`crate::rand_core`]:
/// `rand` 0.10's `rand::rng()` or a seeded `StdRng`; `rand` 0.9's generators are of another
/// `rand_core` and do not fit.
///
/// The caller stores [`IssuedInvite::record`] (in the same transaction) before answering
/// [`IssuedInvite::response`].
///
/// ```
/// use onezone_tokens::group::{GroupId, PrivilegeSet, UserId};
/// use onezone_tokens::invite::{GroupAccess, IssuePolicy, issue_invite_token};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (group, alice) = (GroupId::new("g1")?, UserId::new("alice")?);
/// // What the server's database says: g1 exists and alice is its admin.
/// let access = GroupAccess { group_exists: true, privileges: PrivilegeSet::admin() };
/// let policy = IssuePolicy::new("onezone.example.org");
/// let mut rng = rand::rng(); // any `rand_core` 0.10 `CryptoRng`
/// let issued = issue_invite_token(&group, Some(&alice), &access, Some(b"{}"), &policy, 1_800_000_000, &mut rng)?;
/// assert_eq!(issued.record.group_id, group);
/// assert!(issued.response.token.chars().all(|c| c.is_ascii_alphanumeric()));
/// # Ok(()) }
/// ```
///
/// # Errors
/// The [`InviteError`] the API answers; [`InviteError::InconsistentFacts`] if `access` gives
/// privileges in a group it says does not exist.
pub fn issue_invite_token<R: CryptoRng + ?Sized>(
    group: &GroupId,
    caller: Option<&UserId>,
    access: &GroupAccess,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
) -> Result<IssuedInvite, InviteError> {
    issue(group, caller, access, body, policy, now, rng, InviteTarget::UserJoinGroup)
}

/// Issues a token that lets another group join `group` as its child:
/// `POST /groups/{id}/children/token`, needing `group_invite_group` (see [`issue_invite_token`]).
///
/// The token is used with [`join_parent_group_with_token`](super::join_parent_group_with_token):
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
/// As [`issue_invite_token`].
pub fn issue_child_invite_token<R: CryptoRng + ?Sized>(
    group: &GroupId,
    caller: Option<&UserId>,
    access: &GroupAccess,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
) -> Result<IssuedInvite, InviteError> {
    issue(group, caller, access, body, policy, now, rng, InviteTarget::GroupJoinGroup)
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

#[allow(clippy::too_many_arguments)] // the public wrappers fix `target`
fn issue<R: CryptoRng + ?Sized>(
    group: &GroupId,
    caller: Option<&UserId>,
    access: &GroupAccess,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
    target: InviteTarget,
) -> Result<IssuedInvite, InviteError> {
    // 404, 401, 403.
    let caller = check_access(group, caller, access, invite_privilege(target))?;
    let held = access.privileges;
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
        Some(p) if held.contains(Privilege::GroupSetPrivileges) => p,
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
        mint(&secret.to_secret(), &policy.domain, &TokenIdentifier::V2(identifier), &caveats)
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
            usage_limit: request.usage_limit.unwrap_or(policy.default_usage_limit),
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
