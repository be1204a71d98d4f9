//! The group layer's refusals in Onezone's error model (see [`crate::onezone_error`]).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use serde_json::{Value, json};

use super::error::DirectoryError;
use super::model::{GroupId, UserId};
use super::privilege::UnknownPrivilege;
use super::rows::RowsError;
use super::vocabulary::Vocabulary;
use crate::onezone_error::{OnezoneError, Refusal, sentence};

/// `relationAlreadyExists` (409): `child` (of `child_type`, `user` or `group`) is already in
/// `parent` (ctool release/20.02.20 `src/errors.erl`: details `childType`, `childId`,
/// `parentType`, `parentId`, the types as `gri:serialize_type` writes them).
pub(crate) fn relation_already_exists(
    child_type: &str,
    child: &str,
    parent: &GroupId,
) -> OnezoneError {
    OnezoneError::new(
        "relationAlreadyExists",
        409,
        format!("Bad value: {child_type}:{child} is already a member of group:{parent}."),
    )
    .with_details(json!({
        "childType": child_type,
        "childId": child,
        "parentType": "group",
        "parentId": parent.as_str(),
    }))
}

/// `relationDoesNotExist` (400). ctool 20.02.20 writes the types of its details as the
/// record names (`od_user`, `od_group`), unlike `relationAlreadyExists`; so does this.
fn relation_does_not_exist(child_type: &str, child: &str, parent: &GroupId) -> OnezoneError {
    OnezoneError::new(
        "relationDoesNotExist",
        400,
        format!("Bad value: {child_type}:{child} is not a member of group:{parent}."),
    )
    .with_details(json!({
        "childType": format!("od_{child_type}"),
        "childId": child,
        "parentType": "od_group",
        "parentId": parent.as_str(),
    }))
}

/// `badData` (400) with the key refused and a hint: the directory's own size and depth limits,
/// which Onezone does not have.
fn limit(key: &str, error: &DirectoryError) -> OnezoneError {
    let hint = error.to_string();
    OnezoneError::new("badData", 400, format!("Bad value provided for \"{key}\": {hint}."))
        .with_details(json!({ "key": key, "hint": hint }))
}

fn user(user: &UserId) -> &str {
    user.as_str()
}

impl Refusal for DirectoryError {
    /// 404 for a missing group, 403 for a missing privilege, 500 for a stored cycle, else 400,
    /// with 17.06's words.
    fn onezone_1706(&self) -> (u16, String) {
        match self {
            DirectoryError::NoSuchGroup(group) => {
                (404, format!("The resource could not be found: group {group}"))
            }
            DirectoryError::MissingPrivilege { privilege, .. } => (
                403,
                format!(
                    "You are not authorized to perform this operation (missing privilege {})",
                    privilege.as_str()
                ),
            ),
            DirectoryError::Cycle { .. } => (500, "Internal server error".into()),
            other => (400, format!("Bad value: {other}")),
        }
    }

    /// `notFound`, `forbidden`, `relationAlreadyExists` (409), `relationDoesNotExist`,
    /// `cannotAddRelationToSelf` (also for a join that would make a group its own ancestor),
    /// `alreadyExists` (409), `badValueName`, `internalServerError` for a stored cycle, and
    /// `badData` for the directory's limits.
    fn onezone_2002(&self) -> OnezoneError {
        match self {
            DirectoryError::NoSuchGroup(_) => {
                OnezoneError::new("notFound", 404, "The resource could not be found.")
            }
            DirectoryError::GroupExists(_) => {
                OnezoneError::new("alreadyExists", 409, "The resource already exists.")
            }
            DirectoryError::InvalidName { problem, .. } => {
                OnezoneError::new("badValueName", 400, sentence(format!("Bad value: {problem}")))
            }
            DirectoryError::AlreadyMember { user: u, group } => {
                relation_already_exists("user", user(u), group)
            }
            DirectoryError::NotAMember { user: u, group } => {
                relation_does_not_exist("user", user(u), group)
            }
            DirectoryError::AlreadyChild { child, parent } => {
                relation_already_exists("group", child.as_str(), parent)
            }
            DirectoryError::NotAChild { child, parent } => {
                relation_does_not_exist("group", child.as_str(), parent)
            }
            DirectoryError::WouldCreateCycle { .. } => {
                OnezoneError::new("cannotAddRelationToSelf", 400, "Cannot add relation to self.")
            }
            DirectoryError::MissingPrivilege { .. } => OnezoneError::new(
                "forbidden",
                403,
                "You are not authorized to perform this operation.",
            ),
            DirectoryError::Cycle { .. } => OnezoneError::internal(),
            DirectoryError::TooManyGroups { .. } => limit("groupId", self),
            DirectoryError::TooManyUsers { .. } | DirectoryError::TooManyMembers { .. } => {
                limit("userId", self)
            }
            DirectoryError::TooManyChildren { .. } | DirectoryError::TooDeep { .. } => {
                limit("groupId", self)
            }
        }
    }
}

impl Refusal for RowsError {
    /// 500: rows that cannot come from a consistent store are the server's fault; the client
    /// learns nothing more.
    fn onezone_1706(&self) -> (u16, String) {
        (500, "Internal server error".into())
    }

    /// `internalServerError`, without details.
    fn onezone_2002(&self) -> OnezoneError {
        OnezoneError::internal()
    }
}

impl UnknownPrivilege {
    /// How Onezone 20.02 refuses this name in a request's list `key` (`grant`, `revoke`,
    /// `privileges`): 400 `badValueListNotAllowed` with the vocabulary's names as `allowed`
    /// (ctool release/20.02.20 `src/errors.erl`).
    pub fn onezone_error(&self, key: &str, vocabulary: Vocabulary) -> OnezoneError {
        let allowed: Vec<&str> = vocabulary.privileges().names();
        OnezoneError::new(
            "badValueListNotAllowed",
            400,
            format!(
                "Bad value: provided \"{key}\" must be a list containing zero or more following \
                 values: {}.",
                allowed.join(", ")
            ),
        )
        .with_details(json!({ "key": key, "allowed": Value::from(allowed) }))
    }
}
