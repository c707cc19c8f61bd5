-- Contacts schema for the cluster (PostgreSQL) backend; keep in step with ../sqlite.
-- Identity columns never reuse an id, since a phone may still hold the id of a
-- purged tombstone.

-- One row per user: the hierarchy counter of the user's contact folders.
CREATE TABLE books (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    address           TEXT    NOT NULL UNIQUE,
    hierarchy_counter BIGINT  NOT NULL DEFAULT 0
);

-- role: 'contacts' (the default Contacts folder, type 9), 'user' (user-created, type 14),
-- 'collected' (recipients of sent mail: searchable, never listed to phones).
CREATE TABLE folders (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    book_id        BIGINT  NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    parent_id      BIGINT  REFERENCES folders (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    -- name lowercased by the service: sibling names are unique regardless of case
    name_key       TEXT    COLLATE "C" NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('contacts', 'user', 'collected')),
    counter        BIGINT  NOT NULL DEFAULT 0,
    purged_through BIGINT  NOT NULL DEFAULT 0
);
-- The collected contacts are not a folder the user sees, so their name takes no slot.
CREATE UNIQUE INDEX folders_sibling_names ON folders (book_id, COALESCE(parent_id, 0), name_key)
    WHERE role <> 'collected';
CREATE UNIQUE INDEX folders_one_role ON folders (book_id, role) WHERE role <> 'user';
CREATE INDEX folders_parent ON folders (parent_id);

-- Live contacts and tombstones (deleted: json empty, no index rows).
CREATE TABLE contacts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    book_id      BIGINT  NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    folder_id    BIGINT  NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    modseq       BIGINT  NOT NULL,
    deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    -- crates/contacts' stored form (stored::to_json)
    json         TEXT    NOT NULL,
    -- indexed columns, as the contact had them
    display_name TEXT    NOT NULL DEFAULT '',
    -- the display name lowercased by the service: the order of search results
    sort_key     TEXT    COLLATE "C" NOT NULL DEFAULT '',
    first_name   TEXT,
    last_name    TEXT,
    nick_name    TEXT
);
CREATE INDEX contacts_changes ON contacts (folder_id, modseq, id);

-- The search terms of live contacts, lowercased: kind 1 a name (the display name, each of its
-- words, first and last name, nickname), kind 2 an e-mail address.
CREATE TABLE contact_terms (
    contact_id BIGINT  NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    book_id    BIGINT  NOT NULL REFERENCES books (id) ON DELETE CASCADE,
    kind       INTEGER NOT NULL,
    term       TEXT    COLLATE "C" NOT NULL,
    PRIMARY KEY (contact_id, kind, term)
);
CREATE INDEX contact_terms_lookup ON contact_terms (book_id, term);
