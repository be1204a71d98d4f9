//! Issuing invite tokens: `POST /groups/{id}/users/token` and `POST /groups/{id}/children/token`.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use rand_core::CryptoRng;

use crate::group::{Directory, GroupId, Privilege, PrivilegeSet, UserId};
use crate::token::{
    Caveat, IdentifierV2, InviteKind, Persistence, Subject, TokenIdentifier, TokenType, mint,
};

use super::api::{ApiError, GroupInviteToken, GroupInviteTokenRequest, UsageLimit};
use super::record::{InviteRecord, InviteTarget, SecretBytes};

/// How a server issues invite tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
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
}

impl IssuePolicy {
    /// The defaults for this Onezone domain.
    pub fn new(domain: impl Into<String>) -> Self {
        IssuePolicy {
            domain: domain.into(),
            default_ttl: 7 * 24 * 3600,
            max_ttl: 30 * 24 * 3600,
            default_usage_limit: UsageLimit::ONCE,
        }
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

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(2 * bytes.len());
    for b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            // A nibble is below 16, so `from_digit` always succeeds.
            out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    out
}

/// Issues a token that lets a new user join `group_id`: `POST /groups/{id}/users/token`.
///
/// Checks in Onezone's order: the group exists (404), there is a caller (401), the caller holds
/// `group_invite_user` effectively (403), the request is valid (400); then mints a named invite
/// token (`2/nmd/usr-<caller>/ujg:<group>:/<token id>`) with a fresh random id and secret,
/// serialized as Onezone does (V1, escaped). `body` is the raw request body (absent, empty or
/// `{}` are all valid). Pure: time and randomness are passed in.
///
/// # Errors
/// An [`ApiError`] with the status and message the API answers.
pub fn issue_invite_token<R: CryptoRng + ?Sized>(
    directory: &Directory,
    caller: Option<&UserId>,
    group_id: &str,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
) -> Result<IssuedInvite, ApiError> {
    issue(directory, caller, group_id, body, policy, now, rng, InviteTarget::UserJoinGroup)
}

/// Issues a token that lets another group join `group_id` as its child:
/// `POST /groups/{id}/children/token`, needing `group_invite_group` (see [`issue_invite_token`]).
///
/// # Errors
/// As [`issue_invite_token`].
pub fn issue_child_invite_token<R: CryptoRng + ?Sized>(
    directory: &Directory,
    caller: Option<&UserId>,
    group_id: &str,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
) -> Result<IssuedInvite, ApiError> {
    issue(directory, caller, group_id, body, policy, now, rng, InviteTarget::GroupJoinGroup)
}

pub(crate) fn not_found(group_id: &str) -> ApiError {
    // Only a valid id is echoed back; anything else could be arbitrary text from the path.
    match GroupId::new(group_id) {
        Ok(id) => ApiError::not_found(format!("The resource could not be found: group {id}")),
        Err(_) => ApiError::not_found("The resource could not be found"),
    }
}

pub(crate) fn forbidden(privilege: Privilege) -> ApiError {
    ApiError::forbidden(format!(
        "You are not authorized to perform this operation (missing privilege {})",
        privilege.as_str()
    ))
}

#[allow(clippy::too_many_arguments)] // the public wrappers fix `target`
fn issue<R: CryptoRng + ?Sized>(
    directory: &Directory,
    caller: Option<&UserId>,
    group_id: &str,
    body: Option<&[u8]>,
    policy: &IssuePolicy,
    now: u64,
    rng: &mut R,
    target: InviteTarget,
) -> Result<IssuedInvite, ApiError> {
    // 404: the group exists.
    let group = GroupId::new(group_id).map_err(|_| not_found(group_id))?;
    if directory.group(&group).is_none() {
        return Err(not_found(group_id));
    }
    // 401: there is a caller.
    let caller = caller.ok_or_else(ApiError::unauthorized)?;
    // 403: the caller may invite.
    let (needed, kind) = match target {
        InviteTarget::UserJoinGroup => (Privilege::GroupInviteUser, InviteKind::UserJoinGroup),
        InviteTarget::GroupJoinGroup => (Privilege::GroupInviteGroup, InviteKind::GroupJoinGroup),
    };
    let held = directory.effective_privileges(caller, &group);
    if !held.contains(needed) {
        return Err(forbidden(needed));
    }
    // 400: the request is valid.
    let request = GroupInviteTokenRequest::from_body(body)?;
    let mut caveats: Vec<Caveat> = Vec::with_capacity(request.caveats.len() + 1);
    let max_valid_until = now.saturating_add(policy.max_ttl);
    let mut valid_until: Option<u64> = None;
    for caveat in &request.caveats {
        if !caveat.allowed_in_invite() {
            return Err(ApiError::bad_request(format!(
                "Invalid request: the caveat `{caveat}` is not allowed in invite tokens \
                 (allowed: time, ip, asn, geo.country, geo.region, consumer)"
            )));
        }
        if let Caveat::Time { valid_until: t } = caveat {
            if *t > max_valid_until {
                return Err(ApiError::bad_request(format!(
                    "Invalid request: the requested lifetime ends at {t}, after the maximum \
                     lifetime of {} s (at {max_valid_until})",
                    policy.max_ttl
                )));
            }
            if *t <= now {
                return Err(ApiError::bad_request(format!(
                    "Invalid request: the time caveat `{caveat}` has already expired"
                )));
            }
            valid_until = Some(valid_until.map_or(*t, |v| v.min(*t)));
        }
    }
    let privileges = match request.privileges {
        None => PrivilegeSet::member(),
        Some(p) if held.contains(Privilege::GroupSetPrivileges) => p,
        Some(_) => return Err(forbidden(Privilege::GroupSetPrivileges)),
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
    let mut secret = alloc::vec![0u8; SECRET_BYTES];
    rng.fill_bytes(&mut secret);
    let secret = SecretBytes::new(secret);

    let internal = |_| ApiError::new(super::api::Status::Internal, "Internal server error");
    let identifier = IdentifierV2::new(
        Persistence::Named,
        Subject::User(String::from(caller.as_str())),
        TokenType::Invite { kind, target: String::from(group.as_str()), params: String::new() },
        token_id.clone(),
    )
    .map_err(internal)?;
    let token =
        mint(&secret.to_secret(), &policy.domain, &TokenIdentifier::V2(identifier), &caveats)
            .map_err(|_| ApiError::new(super::api::Status::Internal, "Internal server error"))?;

    Ok(IssuedInvite {
        response: GroupInviteToken { token },
        record: InviteRecord {
            token_id,
            secret,
            group_id: group,
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
