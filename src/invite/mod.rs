//! The invite operations and the API types of the endpoint: issuing a group invite token
//! (`POST /groups/{id}/users/token`, `POST /groups/{id}/children/token`), joining with one
//! (`POST /user/groups/join`, `POST /groups/{id}/parents/join`), and managing issued ones
//! (`GET /user/tokens/named`, `GET`/`PATCH`/`DELETE /tokens/named/{id}`: [`list_named_tokens`],
//! [`authorize_named_token`], [`update_named_token`]).
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
//! token  = InviteToken::parse(body.token)?                      // 400 if it does not parse
//! record = db.invite(token.token_id())? or InvalidToken         // one row by primary key
//! facts  = UserJoinFacts { issuer: GroupAccess { .. }, already_member: .. }   // 2-3 queries
//! join   = join_group_with_token(&user, &token, &record, &facts, &ctx)?
//! db.transaction: UPDATE .. usage_count + 1 WHERE .. (see TokenUse), or answer join.token_use.spent()
//!                 INSERT membership, or answer join.already_member()
//! 201 Created, Location: join.location()
//! ```

mod api;
mod error;
mod facts;
pub mod in_memory;
mod issue;
mod join;
mod manage;
mod onezone_error;
mod record;

pub use api::{ErrorBody, GroupInviteToken, GroupInviteTokenRequest, JoinRequest, UsageLimit};
pub use error::{InviteError, RequestError, Status};
pub use facts::{ChildJoinFacts, GroupAccess, UserJoinFacts};
pub use issue::{
    Authorized, IssuePolicy, IssuedInvite, authorize, group_from_path, issue_child_invite_token,
    issue_invite_token,
};
pub use join::{
    ChildJoin, InviteToken, TokenUse, UserJoin, join_group_with_token, join_parent_group_with_token,
};
pub use manage::{
    AdminAccess, InviteFilter, InviteSummary, NamedTokenUpdate, TokenUpdate, authorize_named_token,
    list_named_tokens, update_named_token,
};
pub use record::{InviteRecord, InviteTarget, SecretBytes};
