-- Directory schema for the cluster (PostgreSQL) backend; keep in step with ../sqlite.
-- Every name (domain, address, local part) is stored lowercase by the library.

CREATE TABLE domains (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT        NOT NULL UNIQUE,
    -- NULL: the global default applies; else allow_all | require_approval | block
    approval   TEXT        CHECK (approval IN ('allow_all', 'require_approval', 'block')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    domain_id           BIGINT      NOT NULL REFERENCES domains (id) ON DELETE RESTRICT,
    local_part          TEXT        NOT NULL,
    address             TEXT        NOT NULL UNIQUE,
    display_name        TEXT        NOT NULL,
    -- display_name lowercased by the library, for GAL search and ordering; byte order ("C")
    -- so that both backends sort the same way and prefix LIKE can use the index
    display_name_folded TEXT        COLLATE "C" NOT NULL,
    -- argon2 PHC string; never the password itself
    password_hash       TEXT        NOT NULL,
    disabled            BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (domain_id, local_part)
);

CREATE INDEX users_local_part ON users (local_part);
CREATE INDEX users_display_name_folded ON users (domain_id, display_name_folded);

-- Every name a user logs in or receives mail under: the primary address and the aliases.
-- One table so that the database itself keeps an alias from shadowing another user's address.
CREATE TABLE addresses (
    address    TEXT    PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    domain_id  BIGINT  NOT NULL REFERENCES domains (id) ON DELETE RESTRICT,
    local_part TEXT    NOT NULL,
    is_primary BOOLEAN NOT NULL
);

CREATE INDEX addresses_user_id ON addresses (user_id);
CREATE INDEX addresses_local_part ON addresses (local_part);
CREATE INDEX addresses_domain_id ON addresses (domain_id);
