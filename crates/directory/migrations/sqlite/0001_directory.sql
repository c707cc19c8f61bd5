-- Directory schema for the embedded (SQLite) backend; keep in step with ../postgres.
-- Every name (domain, address, local part) is stored lowercase by the library.

CREATE TABLE domains (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL UNIQUE,
    -- NULL: the global default applies; else allow_all | require_approval | block
    approval   TEXT    CHECK (approval IN ('allow_all', 'require_approval', 'block')),
    created_at TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    domain_id           INTEGER NOT NULL REFERENCES domains (id) ON DELETE RESTRICT,
    local_part          TEXT    NOT NULL,
    address             TEXT    NOT NULL UNIQUE,
    display_name        TEXT    NOT NULL,
    -- display_name lowercased by the library, for GAL search and ordering
    display_name_folded TEXT    NOT NULL,
    -- argon2 PHC string; never the password itself
    password_hash       TEXT    NOT NULL,
    disabled            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at          TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at          TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (domain_id, local_part)
);

CREATE INDEX users_local_part ON users (local_part);
CREATE INDEX users_display_name_folded ON users (domain_id, display_name_folded);

-- Every name a user logs in or receives mail under: the primary address and the aliases.
-- One table so that the database itself keeps an alias from shadowing another user's address.
CREATE TABLE addresses (
    address    TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    domain_id  INTEGER NOT NULL REFERENCES domains (id) ON DELETE RESTRICT,
    local_part TEXT    NOT NULL,
    is_primary BOOLEAN NOT NULL
);

CREATE INDEX addresses_user_id ON addresses (user_id);
CREATE INDEX addresses_local_part ON addresses (local_part);
CREATE INDEX addresses_domain_id ON addresses (domain_id);
