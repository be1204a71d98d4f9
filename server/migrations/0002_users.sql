-- Schema version 2: one table per relation, each lookup backed by its primary key or an index.
-- The same text runs on SQLite and on PostgreSQL.
CREATE TABLE IF NOT EXISTS users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS groups (
    group_id   TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    group_type TEXT NOT NULL,
    created_by TEXT -- NULL for groups migrated from version 1
);
CREATE INDEX IF NOT EXISTS groups_by_creator ON groups (created_by);
CREATE TABLE IF NOT EXISTS group_users (
    group_id   TEXT NOT NULL REFERENCES groups (group_id),
    user_id    TEXT NOT NULL,
    privileges INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
-- No index on user_id alone: effective privileges are read down from a group through the
-- primary key; with a user index, PostgreSQL's planner reads all of a user's memberships instead
-- (2.9 ms against 0.23 ms for a user in 1,000 groups).
CREATE TABLE IF NOT EXISTS group_children (
    parent_id  TEXT NOT NULL REFERENCES groups (group_id),
    child_id   TEXT NOT NULL REFERENCES groups (group_id),
    privileges INTEGER NOT NULL,
    PRIMARY KEY (parent_id, child_id)
);
CREATE INDEX IF NOT EXISTS group_children_by_child ON group_children (child_id);
CREATE TABLE IF NOT EXISTS invite_tokens (
    token_id    TEXT PRIMARY KEY,
    secret      BYTEA NOT NULL,
    group_id    TEXT NOT NULL REFERENCES groups (group_id),
    issuer      TEXT NOT NULL,
    target      TEXT NOT NULL CHECK (target IN ('ujg', 'gjg')),
    usage_limit BIGINT CHECK (usage_limit >= 1),
    usage_count BIGINT NOT NULL,
    privileges  INTEGER NOT NULL,
    created_at  BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    revoked     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX IF NOT EXISTS invite_tokens_by_group ON invite_tokens (group_id);
-- The open-invite quota counts an issuer's tokens still valid, at most the quota of them.
CREATE INDEX IF NOT EXISTS invite_tokens_by_issuer ON invite_tokens (issuer, valid_until);
-- invite_tokens.secret is empty when the server derives the secret from its master key.
