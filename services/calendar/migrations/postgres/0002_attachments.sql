-- The bytes of event attachments (16.x, MS-ASAIRS 2.2.2.7); keep in step with ../sqlite.
-- The event's JSON describes each attachment and names its bytes by `reference`, the
-- FileReference the service made (`cal:att:<32 hex digits>`). A row goes when the event no
-- longer lists it, when the event becomes a tombstone (the service deletes it) and with the
-- event row (a calendar's deletion); a move hands the rows to the event's new id.
CREATE TABLE attachments (
    reference TEXT    COLLATE "C" PRIMARY KEY,
    event_id  BIGINT  NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    size      BIGINT  NOT NULL,
    content   BYTEA   NOT NULL
);
CREATE INDEX attachments_event ON attachments (event_id);
