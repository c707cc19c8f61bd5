-- Out-of-office settings per user (MS-ASCMD Settings Oof); keep in step with ../postgres.
-- One row per user who ever set them; no row reads as "disabled, no messages".

CREATE TABLE out_of_office (
    user_id                    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- 0 disabled, 1 global, 2 time based (MS-ASCMD 2.2.3.124)
    state                      INTEGER NOT NULL CHECK (state IN (0, 1, 2)),
    -- milliseconds since 1970-01-01 UTC; both set or both NULL
    start_time                 BIGINT,
    end_time                   BIGINT,
    internal_enabled           BOOLEAN NOT NULL DEFAULT FALSE,
    internal_message           TEXT,
    internal_body_type         TEXT,
    external_known_enabled     BOOLEAN NOT NULL DEFAULT FALSE,
    external_known_message     TEXT,
    external_known_body_type   TEXT,
    external_unknown_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    external_unknown_message   TEXT,
    external_unknown_body_type TEXT,
    updated_at                 TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK ((start_time IS NULL) = (end_time IS NULL))
);
