//! The statements only this server runs, beside the library's storage contract
//! (`onezone_tokens::storage`, which holds the schema and every statement of the invite flow).
//! As there, parameters are named `$1`, `$2`, ... in order of first appearance, and every
//! integer is a `BIGINT` both ways, so both drivers bind and read `i64`.

/// The server's own table: its users and their password hashes.
pub const USERS_SCHEMA: &str = include_str!("../../migrations/0002_users.sql");

pub const USER_HASH: &str = "SELECT password_hash FROM users WHERE name = $1";
pub const SET_USER: &str = "INSERT INTO users (name, password_hash) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash";
pub const USER_COUNT: &str = "SELECT COUNT(*) FROM users";

pub const UPDATE_MEMBERSHIP: &str =
    "UPDATE group_users SET privileges = CAST($1 AS BIGINT) WHERE group_id = $2 AND user_id = $3";
pub const MEMBERS: &str = "SELECT user_id FROM group_users WHERE group_id = $1 ORDER BY user_id";
pub const EFFECTIVE_MEMBERS: &str = "WITH RECURSIVE down(group_id, depth) AS (
    SELECT CAST($1 AS TEXT), 0
  UNION
    SELECT c.child_id, down.depth + 1
    FROM group_children c JOIN down ON c.parent_id = down.group_id
    WHERE down.depth < CAST($2 AS BIGINT)
)
SELECT DISTINCT user_id FROM group_users WHERE group_id IN (SELECT group_id FROM down)
ORDER BY user_id";

pub const UPDATE_CHILD_LINK: &str = "UPDATE group_children SET privileges = CAST($1 AS BIGINT)
     WHERE parent_id = $2 AND child_id = $3";
pub const CHILDREN: &str =
    "SELECT child_id FROM group_children WHERE parent_id = $1 ORDER BY child_id";
pub const PARENTS: &str =
    "SELECT parent_id FROM group_children WHERE child_id = $1 ORDER BY parent_id";
pub const USER_GROUPS: &str =
    "SELECT group_id FROM group_users WHERE user_id = $1 ORDER BY group_id";
pub const GROUP_CREATOR: &str = "SELECT created_by FROM groups WHERE group_id = $1";

pub const INVITE_COUNT: &str = "SELECT COUNT(*) FROM invite_tokens";

#[cfg(test)]
mod tests {
    #[test]
    fn parameters_appear_in_order() {
        // SQLite numbers `$N` by first appearance: each statement must name $1, $2, ... in order.
        // (The library's own statements are checked by its tests/storage.rs.)
        for sql in [
            super::USER_HASH,
            super::SET_USER,
            super::UPDATE_MEMBERSHIP,
            super::MEMBERS,
            super::EFFECTIVE_MEMBERS,
            super::UPDATE_CHILD_LINK,
            super::CHILDREN,
            super::PARENTS,
            super::USER_GROUPS,
            super::GROUP_CREATOR,
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
