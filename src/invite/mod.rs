//! The invite operations and the API types of the endpoint: issuing a group invite token
//! (`POST /groups/{id}/users/token`, `POST /groups/{id}/children/token`), joining with one
//! (`POST /user/groups/join`, `POST /groups/{id}/parents/join`), and managing issued ones
//! (`GET /user/tokens/named`, `GET`/`PATCH`/`DELETE /tokens/named/{id}`: [`list_named_tokens`],
//! [`authorize_named_token`], [`update_named_token`]). Onezone 20.02's answers to the deprecated
//! invite routes: [`issue_legacy_invite_token`], [`issue_legacy_child_invite_token`] (body
//! ignored, usage limit 1, no caveats) and the name it stores them under,
//! [`legacy_invite_name`].
//!
//! The library decides; the caller does the I/O. Each operation takes the facts it needs of the
//! caller's storage ([`GroupAccess`], [`UserJoinFacts`], [`ChildJoinFacts`], read from any
//! database, sync or async) and returns what must be written: an [`IssuedInvite`] whose record to
//! store, a [`UserJoin`] or [`ChildJoin`] whose membership to insert and whose [`TokenUse`] to
//! count with a conditional write. Refusals are typed ([`InviteError`]), with the API's status and
//! Onezone's message. [`in_memory`] runs the same decisions over a
//! [`Directory`](crate::group::Directory).
//!
//! A server on its own database handles `POST /user/groups/join` like this (the storage calls
//! are the server's):
//!
//! ```text
//! token   = InviteToken::parse(body.token)?                     // 400 if it does not parse
//! record  = db.invite(token.token_id())? or InvalidToken        // one row by primary key
//! pending = token.user_join(&user, &record, &ctx)?              // 400: signature, caveats, uses
//! needs   = pending.needs()                                     // (issuer, group), (user, group)
//! facts   = UserJoinFacts { issuer: GroupAccess { .. }, membership: Membership { .. } } // keyed
//! join    = pending.decide(&facts, &limits)?                    // 404, 403, 400
//! db.transaction: if let Some(u) = join.token_use:                 // None: a temporary invite
//!                   UPDATE .. usage_count + 1 WHERE .. (see TokenUse), or answer u.spent()
//!                 INSERT membership, or answer join.already_member()
//! 201 Created, Location: join.location()
//! ```
//!
//! A temporary invite (Onezone 20.02) has no row: read it with [`InviteToken::parse_any`] and,
//! when [`InviteToken::is_temporary`], make its record with [`InviteRecord::temporary`] from the
//! subject's shared secret and current generation instead of reading one; its join has no
//! [`TokenUse`].

mod api;
mod authorize;
mod error;
mod facts;
pub mod in_memory;
mod issue;
mod join;
mod legacy;
mod manage;
mod onezone_error;
mod record;
mod token_api;

pub use api::read_json_object;
pub use api::{ErrorBody, GroupInviteToken, GroupInviteTokenRequest, JoinRequest, UsageLimit};
pub use authorize::{
    Authorized, InviteGroup, InviteUser, JoinParent, Operation, authorize, group_from_path,
};
pub use error::{InviteError, RequestError, Status};
pub use facts::{
    ChildJoinFacts, ChildJoinNeeds, ChildLink, FactsMismatch, GroupAccess, Membership,
    UserJoinFacts, UserJoinNeeds,
};
pub use issue::{IssuePolicy, IssuedInvite, issue_child_invite_token, issue_invite_token};
pub use join::{
    ChildJoin, InviteToken, PendingChildJoin, PendingUserJoin, TokenUse, UserJoin, VerifiedInvite,
    join_group_with_token, join_parent_group_with_token,
};
pub use legacy::{
    MAX_LEGACY_NAME_LEN, issue_legacy_child_invite_token, issue_legacy_invite_token,
    legacy_invite_name, legacy_named_record,
};
pub use manage::{
    AdminAccess, InviteFilter, InviteSummary, NamedTokenUpdate, TokenUpdate, authorize_named_token,
    list_named_tokens, update_named_token,
};
pub use record::{InviteRecord, InviteTarget, SecretBytes};
pub use token_api::{
    ConfineRequest, JsonObject, NamedTokenPatch, NamedTokenRecord, NamedTokenRequest,
    TemporaryTokenRequest, TokenApiError, VerifyKind, VerifyRequest, bad_value_token,
    is_valid_name, read_token, verification_json,
};
