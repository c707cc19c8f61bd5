-- Mail schema for the cluster (PostgreSQL) backend; keep in step with ../sqlite.
-- Times are unix seconds. Identity columns never reuse an id, since a phone may
-- still hold the id of a purged tombstone.

CREATE TABLE mailboxes (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    address           TEXT    NOT NULL UNIQUE,
    hierarchy_counter BIGINT  NOT NULL DEFAULT 0,
    created_at        BIGINT  NOT NULL DEFAULT (extract(epoch FROM now())::BIGINT)
);

CREATE TABLE folders (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mailbox_id     BIGINT  NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    parent_id      BIGINT  REFERENCES folders (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    -- name lowercased by the library: sibling names are unique regardless of case
    name_key       TEXT    COLLATE "C" NOT NULL,
    folder_type    INTEGER NOT NULL,
    counter        BIGINT  NOT NULL DEFAULT 0,
    purged_through BIGINT  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX folders_sibling_names ON folders (mailbox_id, COALESCE(parent_id, 0), name_key);
CREATE INDEX folders_parent ON folders (parent_id);

-- Content-addressed blobs: raw messages and decoded attachments, each stored once.
CREATE TABLE blobs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sha256      TEXT    NOT NULL UNIQUE,
    size        BIGINT  NOT NULL,
    chunk_count INTEGER NOT NULL
);

CREATE TABLE blob_chunks (
    blob_id BIGINT  NOT NULL REFERENCES blobs (id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    data    BYTEA   NOT NULL,
    PRIMARY KEY (blob_id, seq)
);

-- Live messages and tombstones (deleted: no blob, no content, only id/modseq/date).
CREATE TABLE messages (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mailbox_id      BIGINT  NOT NULL REFERENCES mailboxes (id) ON DELETE CASCADE,
    folder_id       BIGINT  NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    modseq          BIGINT  NOT NULL,
    deleted         BOOLEAN NOT NULL DEFAULT FALSE,
    blob_id         BIGINT  REFERENCES blobs (id),
    size            BIGINT  NOT NULL,
    received_at     BIGINT  NOT NULL,
    sent_at         BIGINT,
    subject         TEXT    NOT NULL,
    from_json       TEXT    NOT NULL,
    to_json         TEXT    NOT NULL,
    cc_json         TEXT    NOT NULL,
    reply_to_json   TEXT    NOT NULL,
    message_id      TEXT,
    in_reply_to     TEXT    NOT NULL,
    refs            TEXT    NOT NULL,
    importance      INTEGER NOT NULL,
    has_attachments BOOLEAN NOT NULL,
    read            BOOLEAN NOT NULL DEFAULT FALSE,
    flag_status     INTEGER NOT NULL DEFAULT 0,
    flag_start      BIGINT,
    flag_due        BIGINT,
    -- lowercased subject, senders and body text
    search_text     TEXT
);
CREATE INDEX messages_changes ON messages (folder_id, modseq, id);
CREATE INDEX messages_received ON messages (mailbox_id, received_at);
CREATE INDEX messages_blob ON messages (blob_id);

CREATE TABLE attachments (
    message_id   BIGINT  NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    idx          INTEGER NOT NULL,
    name         TEXT,
    content_type TEXT    NOT NULL,
    size         BIGINT  NOT NULL,
    content_id   TEXT,
    inline       BOOLEAN NOT NULL,
    blob_id      BIGINT  NOT NULL REFERENCES blobs (id),
    PRIMARY KEY (message_id, idx)
);
CREATE INDEX attachments_blob ON attachments (blob_id);
