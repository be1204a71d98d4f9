//! Consuming invite tokens: `POST /user/groups/join` and `POST /groups/{id}/parents/join`.

use alloc::format;
use alloc::string::String;

use crate::group::{Directory, DirectoryError, GroupId, Privilege, UserId};
use crate::macaroon::Secret;
use crate::token::caveat::{Consumer, ConsumerKind};
use crate::token::{
    CaveatContext, InviteKind, Persistence, Subject, TokenError, TokenIdentifier, TokenSecrets,
    TokenType, UnverifiedToken, Verifier,
};

use super::api::{ApiError, Status};
use super::issue::{forbidden, not_found};
use super::record::{InviteRecord, InviteTarget};

/// A successful join: where the new membership lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// The group that was joined.
    pub group_id: GroupId,
    /// The `Location` header of the `201 Created` answer.
    pub location: String,
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

/// The token id a token names, so the server can load its [`InviteRecord`] before joining.
///
/// # Errors
/// 400 `Bad value: provided "token" is not a valid token` if it does not parse or is not a named
/// token.
pub fn invite_token_id(token: &str) -> Result<String, ApiError> {
    let parsed = UnverifiedToken::parse(token).map_err(|_| ApiError::invalid_token())?;
    match parsed.identifier() {
        TokenIdentifier::V2(v2) if v2.persistence == Persistence::Named => Ok(v2.id.clone()),
        _ => Err(ApiError::invalid_token()),
    }
}

fn token_error(e: &TokenError) -> ApiError {
    match e {
        // Say why only once the token is known to be authentic (the verifier guarantees that
        // caveat failures come after the signature).
        TokenError::CaveatFailed { .. }
        | TokenError::Revoked
        | TokenError::CaveatNotAllowed { .. }
        | TokenError::UnknownCaveat { .. } => ApiError::bad_request(format!(
            "Bad value: provided \"token\" is not a valid token ({e})"
        )),
        _ => ApiError::invalid_token(),
    }
}

/// Checks the token against its record and the joining consumer; on success returns the group.
fn check_token(
    directory: &Directory,
    record: &InviteRecord,
    token: &str,
    target: InviteTarget,
    consumer: Consumer,
    mut ctx: CaveatContext,
) -> Result<GroupId, ApiError> {
    let parsed = UnverifiedToken::parse(token).map_err(|_| ApiError::invalid_token())?;
    // The consumer of an invite is whoever joins, whatever the caller put in the context.
    ctx.consumer = Some(consumer);
    let verified =
        Verifier::new(&RecordSecrets(record)).verify(&parsed, &ctx).map_err(|e| token_error(&e))?;
    let wanted = match target {
        InviteTarget::UserJoinGroup => InviteKind::UserJoinGroup,
        InviteTarget::GroupJoinGroup => InviteKind::GroupJoinGroup,
    };
    let group = match verified.identifier() {
        TokenIdentifier::V2(v2) => match &v2.token_type {
            TokenType::Invite { kind, target: group, .. }
                if *kind == wanted
                    && record.target == target
                    && *group == record.group_id.as_str() =>
            {
                record.group_id.clone()
            }
            _ => return Err(ApiError::invalid_token()),
        },
        _ => return Err(ApiError::invalid_token()),
    };
    if directory.group(&group).is_none() {
        return Err(not_found(group.as_str()));
    }
    // The issuer must still be allowed to invite now.
    let needed = match target {
        InviteTarget::UserJoinGroup => Privilege::GroupInviteUser,
        InviteTarget::GroupJoinGroup => Privilege::GroupInviteGroup,
    };
    if !directory.effective_privileges(&record.issuer, &group).contains(needed) {
        return Err(ApiError::forbidden(format!(
            "The issuer of this invite token is no longer authorized to invite (missing privilege {})",
            needed.as_str()
        )));
    }
    if !record.usage_limit.admits(record.usage_count) {
        return Err(ApiError::bad_request(format!(
            "Bad value: provided \"token\" is not a valid token (its usage limit of {} is reached)",
            record.usage_limit
        )));
    }
    Ok(group)
}

fn internal(e: &DirectoryError) -> ApiError {
    ApiError::new(Status::Internal, format!("Internal server error: {e}"))
}

/// A user joins a group with an invite token: `POST /user/groups/join`.
///
/// `record` is the stored record of the token (find it with [`invite_token_id`]). The token must
/// verify (signature, revocation, caveats in `ctx` with the user as consumer), be a user invite
/// for the record's group, whose issuer must still hold `group_invite_user` and whose usage
/// limit must admit one more use. The user joins with the record's privileges and the record's
/// usage count rises by one. On any error neither `directory` nor `record` changes.
///
/// # Errors
/// 400 for an invalid, spent or misused token and for a user who is already a member; 403 if the
/// issuer lost the privilege; 404 if the group is gone.
pub fn join_group_with_token(
    directory: &mut Directory,
    record: &mut InviteRecord,
    user: &UserId,
    token: &str,
    ctx: &CaveatContext,
) -> Result<Joined, ApiError> {
    let consumer =
        Consumer::new(ConsumerKind::User, user.as_str()).map_err(|_| ApiError::invalid_token())?;
    let group =
        check_token(directory, record, token, InviteTarget::UserJoinGroup, consumer, ctx.clone())?;
    match directory.add_user(&group, user, record.privileges) {
        Ok(()) => {}
        Err(DirectoryError::AlreadyMember { .. }) => {
            return Err(ApiError::bad_request(format!(
                "Bad value: user:{user} is already a member of group:{group}"
            )));
        }
        Err(e @ DirectoryError::TooManyMembers { .. }) => {
            return Err(ApiError::bad_request(format!("Bad value: {e}")));
        }
        Err(e) => return Err(internal(&e)),
    }
    record.usage_count = record.usage_count.saturating_add(1);
    let location = format!("/user/groups/{group}");
    Ok(Joined { group_id: group, location })
}

/// A group joins another as its child with an invite token: `POST /groups/{childId}/parents/join`.
///
/// `actor` needs `group_join_group` in `child`. The child gets the record's privileges in the
/// parent. A join that would make a group its own ancestor (or join itself) is refused. On any
/// error neither `directory` nor `record` changes.
///
/// # Errors
/// As [`join_group_with_token`], plus 404 for an unknown child, 403 if `actor` may not make the
/// child join, and 400 for a cycle or an existing child.
pub fn join_parent_group_with_token(
    directory: &mut Directory,
    record: &mut InviteRecord,
    actor: &UserId,
    child_id: &str,
    token: &str,
    ctx: &CaveatContext,
) -> Result<Joined, ApiError> {
    let child = GroupId::new(child_id).map_err(|_| not_found(child_id))?;
    if directory.group(&child).is_none() {
        return Err(not_found(child_id));
    }
    if !directory.effective_privileges(actor, &child).contains(Privilege::GroupJoinGroup) {
        return Err(forbidden(Privilege::GroupJoinGroup));
    }
    let consumer = Consumer::new(ConsumerKind::Group, child.as_str())
        .map_err(|_| ApiError::invalid_token())?;
    let mut ctx = ctx.clone();
    // A `grp-<id>` consumer caveat admits the joining group itself.
    ctx.consumer_groups.push(String::from(child.as_str()));
    let parent =
        check_token(directory, record, token, InviteTarget::GroupJoinGroup, consumer, ctx)?;
    match directory.add_child(&parent, &child, record.privileges) {
        Ok(()) => {}
        Err(DirectoryError::AlreadyChild { .. }) => {
            return Err(ApiError::bad_request(format!(
                "Bad value: group:{child} is already a member of group:{parent}"
            )));
        }
        Err(
            e @ (DirectoryError::WouldCreateCycle { .. } | DirectoryError::TooManyMembers { .. }),
        ) => {
            return Err(ApiError::bad_request(format!("Bad value: {e}")));
        }
        Err(e) => return Err(internal(&e)),
    }
    record.usage_count = record.usage_count.saturating_add(1);
    let location = format!("/groups/{child}/parents/{parent}");
    Ok(Joined { group_id: parent, location })
}
