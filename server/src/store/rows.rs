//! The SQL both backends run, and the decoding of their rows into the library's types. Every
//! statement names its parameters `$1`, `$2`, ... in order of first appearance, which PostgreSQL
//! and SQLite number alike.

use onezone_tokens::group::{ChildRow, Group, GroupId, GroupType, PrivilegeSet, UserId};
use onezone_tokens::invite::{InviteRecord, InviteTarget, SecretBytes, UsageLimit};

use super::StoreError;

pub const USER_HASH: &str = "SELECT password_hash FROM users WHERE name = $1";
pub const SET_USER: &str = "INSERT INTO users (name, password_hash) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash";
pub const USER_COUNT: &str = "SELECT COUNT(*) FROM users";

pub const GROUP: &str = "SELECT name, group_type FROM groups WHERE group_id = $1";
pub const INSERT_GROUP: &str = "INSERT INTO groups (group_id, name, group_type, created_by)
     VALUES ($1, $2, $3, $4) ON CONFLICT (group_id) DO NOTHING";
/// PostgreSQL only, before a quota count: the user's requests that count and then write take
/// turns until the first commits (SQLite runs one transaction at a time anyway).
pub const LOCK_USER: &str = "SELECT 1 FROM users WHERE name = $1 FOR UPDATE";
/// Counts at most `$2` of them: the work is bounded by the quota.
pub const GROUPS_CREATED_BY: &str =
    "SELECT COUNT(*) FROM (SELECT 1 FROM groups WHERE created_by = $1 LIMIT $2) AS created";

pub const MEMBERSHIP: &str =
    "SELECT privileges FROM group_users WHERE group_id = $1 AND user_id = $2";
pub const INSERT_MEMBERSHIP: &str =
    "INSERT INTO group_users (group_id, user_id, privileges) VALUES ($1, $2, $3)
     ON CONFLICT (group_id, user_id) DO NOTHING";
pub const UPDATE_MEMBERSHIP: &str =
    "UPDATE group_users SET privileges = $1 WHERE group_id = $2 AND user_id = $3";
pub const MEMBERS: &str = "SELECT user_id FROM group_users WHERE group_id = $1 ORDER BY user_id";
pub const EFFECTIVE_MEMBERS: &str = "WITH RECURSIVE down(group_id, depth) AS (
    SELECT CAST($1 AS TEXT), 0
  UNION
    SELECT c.child_id, down.depth + 1
    FROM group_children c JOIN down ON c.parent_id = down.group_id
    WHERE down.depth < $2
)
SELECT DISTINCT user_id FROM group_users WHERE group_id IN (SELECT group_id FROM down)
ORDER BY user_id";

pub const CHILD_LINK: &str =
    "SELECT privileges FROM group_children WHERE parent_id = $1 AND child_id = $2";
pub const INSERT_CHILD_LINK: &str =
    "INSERT INTO group_children (parent_id, child_id, privileges) VALUES ($1, $2, $3)
     ON CONFLICT (parent_id, child_id) DO NOTHING";
pub const UPDATE_CHILD_LINK: &str =
    "UPDATE group_children SET privileges = $1 WHERE parent_id = $2 AND child_id = $3";
pub const CHILDREN: &str =
    "SELECT child_id FROM group_children WHERE parent_id = $1 ORDER BY child_id";
pub const PARENTS: &str =
    "SELECT parent_id FROM group_children WHERE child_id = $1 ORDER BY parent_id";

/// The invite records where `$cond` holds, oldest first, in the columns of [`InviteRow`].
macro_rules! invites_where {
    ($cond:literal) => {
        concat!(
            "SELECT token_id, secret, group_id, issuer, target, usage_limit, usage_count,
     privileges, created_at, valid_until, revoked FROM invite_tokens WHERE ",
            $cond,
            " ORDER BY created_at, token_id"
        )
    };
}
pub const INVITE: &str = invites_where!("token_id = $1");
pub const INVITES_OF_ISSUER: &str = invites_where!("issuer = $1");
pub const INVITES_IN_GROUP: &str = invites_where!("group_id = $1");
pub const INSERT_INVITE: &str = "INSERT INTO invite_tokens (token_id, secret, group_id, issuer,
     target, usage_limit, usage_count, privileges, created_at, valid_until, revoked)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
/// The library's conditional write (`TokenUse`): exactly one use, or none.
pub const USE_TOKEN: &str = "UPDATE invite_tokens SET usage_count = usage_count + 1
     WHERE token_id = $1 AND NOT revoked
       AND (usage_limit IS NULL OR usage_count < usage_limit)";
pub const INVITE_COUNT: &str = "SELECT COUNT(*) FROM invite_tokens";
/// Open: not revoked, not expired, a use left. Counts at most `$3` of them, over the
/// (issuer, valid_until) index: the work is bounded by the quota and the issuer's tokens still
/// valid.
pub const OPEN_INVITES_OF: &str = "SELECT COUNT(*) FROM (SELECT 1 FROM invite_tokens
     WHERE issuer = $1 AND valid_until > $2 AND NOT revoked
       AND (usage_limit IS NULL OR usage_count < usage_limit) LIMIT $3) AS open";
pub const SET_REVOKED: &str = "UPDATE invite_tokens SET revoked = $1 WHERE token_id = $2";
pub const DELETE_INVITE: &str = "DELETE FROM invite_tokens WHERE token_id = $1";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

pub fn group_id(text: String) -> Result<GroupId, StoreError> {
    GroupId::new(text).map_err(|_| corrupt("group id"))
}

pub fn user_id(text: String) -> Result<UserId, StoreError> {
    UserId::new(text).map_err(|_| corrupt("user id"))
}

pub fn privileges(bits: i64) -> Result<PrivilegeSet, StoreError> {
    u32::try_from(bits)
        .ok()
        .and_then(PrivilegeSet::from_bits)
        .ok_or_else(|| corrupt("privilege set"))
}

pub fn group(id: &GroupId, name: String, group_type: &str) -> Result<Group, StoreError> {
    let group_type: GroupType = group_type.parse().map_err(|_| corrupt("group type"))?;
    Ok(Group { id: id.clone(), name, group_type })
}

pub fn child_row(child: String, parent: String, bits: i64) -> Result<ChildRow, StoreError> {
    Ok(ChildRow {
        child: group_id(child)?,
        parent: group_id(parent)?,
        privileges: privileges(bits)?,
    })
}

/// An `i64` column of a count or a time as the `u64` it stands for.
pub fn unsigned(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| corrupt("count or time"))
}

/// A `u64` count or time as the `i64` a column holds.
pub fn signed(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Failed(format!("{value} does not fit a column")))
}

pub fn target_code(target: InviteTarget) -> &'static str {
    match target {
        InviteTarget::UserJoinGroup => "ujg",
        InviteTarget::GroupJoinGroup => "gjg",
    }
}

pub fn usage_limit_column(limit: UsageLimit) -> Result<Option<i64>, StoreError> {
    match limit {
        UsageLimit::Limited(n) => signed(n.get()).map(Some),
        UsageLimit::Infinity => Ok(None),
    }
}

/// An `invite_tokens` row, as read.
pub struct InviteRow {
    pub token_id: String,
    pub secret: Vec<u8>,
    pub group_id: String,
    pub issuer: String,
    pub target: String,
    pub usage_limit: Option<i64>,
    pub usage_count: i64,
    pub privileges: i64,
    pub created_at: i64,
    pub valid_until: i64,
    pub revoked: bool,
}

impl InviteRow {
    pub fn into_record(self) -> Result<InviteRecord, StoreError> {
        Ok(InviteRecord {
            token_id: self.token_id,
            secret: SecretBytes::new(self.secret),
            group_id: group_id(self.group_id)?,
            issuer: user_id(self.issuer)?,
            target: match self.target.as_str() {
                "ujg" => InviteTarget::UserJoinGroup,
                "gjg" => InviteTarget::GroupJoinGroup,
                _ => return Err(corrupt("invite target")),
            },
            usage_limit: match self.usage_limit {
                None => UsageLimit::Infinity,
                Some(n) => unsigned(n)?
                    .try_into()
                    .map(UsageLimit::Limited)
                    .map_err(|_| corrupt("usage limit"))?,
            },
            usage_count: unsigned(self.usage_count)?,
            privileges: privileges(self.privileges)?,
            created_at: unsigned(self.created_at)?,
            valid_until: unsigned(self.valid_until)?,
            revoked: self.revoked,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parameters_appear_in_order() {
        // SQLite numbers `$N` by first appearance: each statement must name $1, $2, ... in order.
        for sql in [
            super::SET_USER,
            super::INSERT_GROUP,
            super::MEMBERSHIP,
            super::INSERT_MEMBERSHIP,
            super::UPDATE_MEMBERSHIP,
            super::EFFECTIVE_MEMBERS,
            super::CHILD_LINK,
            super::INSERT_CHILD_LINK,
            super::UPDATE_CHILD_LINK,
            super::INSERT_INVITE,
            super::USE_TOKEN,
            super::OPEN_INVITES_OF,
            super::GROUPS_CREATED_BY,
            super::LOCK_USER,
            super::SET_REVOKED,
            onezone_tokens::group::EFFECTIVE_PRIVILEGES_SQL,
            onezone_tokens::group::LINK_SHAPE_SQL,
        ] {
            let mut next = 1;
            let mut rest = sql;
            while let Some(at) = rest.find('$') {
                let digits: String =
                    rest[at + 1..].chars().take_while(char::is_ascii_digit).collect();
                let n: usize = digits.parse().unwrap();
                assert!(n <= next, "${n} before ${next} in {sql}");
                if n == next {
                    next += 1;
                }
                rest = &rest[at + 1 + digits.len()..];
            }
        }
    }
}
