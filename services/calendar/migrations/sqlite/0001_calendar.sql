-- Calendar schema for the embedded (SQLite) backend; keep in step with ../postgres.
-- AUTOINCREMENT keeps ids from ever being reused, since a phone may still hold the id of a
-- purged tombstone.

-- One row per user: the hierarchy counter of the calendars the user sees (their own and those
-- shared with them).
CREATE TABLE accounts (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    address           TEXT    NOT NULL UNIQUE,
    hierarchy_counter BIGINT  NOT NULL DEFAULT 0
);

-- role: 'calendar' (the default Calendar, type 8), 'user' (user-created, type 13).
CREATE TABLE folders (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    parent_id      BIGINT  REFERENCES folders (id) ON DELETE CASCADE,
    name           TEXT    NOT NULL,
    -- name lowercased by the service: sibling names are unique regardless of case
    name_key       TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('calendar', 'user')),
    counter        BIGINT  NOT NULL DEFAULT 0,
    purged_through BIGINT  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX folders_sibling_names ON folders (account_id, COALESCE(parent_id, 0), name_key);
CREATE UNIQUE INDEX folders_one_role ON folders (account_id, role) WHERE role <> 'user';
CREATE INDEX folders_parent ON folders (parent_id);

-- Live events and tombstones (deleted: json, uid and client_uid empty, date 0).
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    -- the owner of the calendar the event is in
    account_id BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    folder_id  BIGINT  NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    modseq     BIGINT  NOT NULL,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    -- crates/calendar's stored form (stored::to_json)
    json       TEXT    NOT NULL,
    -- MS-ASCAL 2.2.2.46 UID; empty when none
    uid        TEXT    NOT NULL DEFAULT '',
    -- MS-ASCAL 2.2.2.13 ClientUid of the Add that created the event; empty when none
    client_uid TEXT    NOT NULL DEFAULT '',
    -- the end of the last occurrence in unix seconds, 0 for a series without end
    -- (ItemVersion.date, the FilterType window of MS-ASCMD 2.2.3.68.2)
    date       BIGINT  NOT NULL DEFAULT 0
);
CREATE INDEX events_changes ON events (folder_id, modseq, id);
-- A repeated Add with the same ClientUid finds the first one's event.
CREATE UNIQUE INDEX events_client_uid ON events (folder_id, client_uid) WHERE client_uid <> '';
-- iCalendar import replaces the event with the same UID.
CREATE INDEX events_uid ON events (folder_id, uid) WHERE uid <> '';

-- Calendars shared with other users; they go with the calendar or the grantee.
CREATE TABLE shares (
    folder_id  BIGINT NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
    grantee_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    access     TEXT   NOT NULL CHECK (access IN ('read', 'read_write')),
    PRIMARY KEY (folder_id, grantee_id)
);
CREATE INDEX shares_grantee ON shares (grantee_id);
