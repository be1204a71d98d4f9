CREATE TABLE IF NOT EXISTS named_tokens (
    token_id        TEXT PRIMARY KEY,
    subject         TEXT NOT NULL, -- the identifier's subject part: usr-<id>, prv-<id>
    name            TEXT NOT NULL,
    token_type      TEXT NOT NULL, -- the identifier's type part: act, idn, ujg:<group>:
    caveats         TEXT NOT NULL, -- a JSON array of Onezone JSON caveats
    custom_metadata TEXT NOT NULL, -- a JSON object
    revoked         BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      BIGINT NOT NULL,
    UNIQUE (subject, name)
);
-- No secret column: a named token's secret is derived from the master key and its id.
CREATE TABLE IF NOT EXISTS temporary_token_generations (
    subject    TEXT PRIMARY KEY, -- usr-<id>, prv-<id>
    generation BIGINT NOT NULL CHECK (generation >= 1)
);
