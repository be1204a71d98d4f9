-- Schema version 2, the server's own table. The rest of version 2 is the library's schema,
-- `onezone_tokens::storage::SCHEMA` (groups, group_users, group_children, invite_tokens),
-- applied in the same transaction. The same text runs on SQLite and on PostgreSQL.
CREATE TABLE IF NOT EXISTS users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
);
