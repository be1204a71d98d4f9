//! The invite operations and the API types of the endpoint: issuing a group invite token
//! (`POST /groups/{id}/users/token`, `POST /groups/{id}/children/token`) and joining with one
//! (`POST /user/groups/join`, `POST /groups/{id}/parents/join`). Pure data in, data out: a
//! server persists the [`Directory`](crate::group::Directory) and the [`InviteRecord`]s and calls
//! these inside its own transactions.

mod api;
mod issue;
mod join;
mod record;

pub use api::{
    ApiError, ErrorBody, GroupInviteToken, GroupInviteTokenRequest, JoinRequest, Status, UsageLimit,
};
pub use issue::{IssuePolicy, IssuedInvite, issue_child_invite_token, issue_invite_token};
pub use join::{Joined, invite_token_id, join_group_with_token, join_parent_group_with_token};
pub use record::{InviteRecord, InviteTarget, SecretBytes};
