-- Messages waiting for the SMTP relay: one row per submission with its external recipients.
-- Times are unix milliseconds.
CREATE TABLE outbound (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    sender       TEXT    NOT NULL,
    -- JSON array of envelope recipient addresses
    recipients   TEXT    NOT NULL,
    raw          BLOB    NOT NULL,
    queued_at    BIGINT  NOT NULL,
    next_attempt BIGINT  NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX outbound_due ON outbound (next_attempt);
