-- Device state of the embedded server (SQLite). One row per device of a user; the record is the
-- JSON of `DeviceRecord`, so that a new field needs no migration. Sync state is opaque bytes,
-- one row per piece (the folder hierarchy, one per synced folder, the cached Ping).

CREATE TABLE devices (
    user      TEXT NOT NULL,
    device_id TEXT NOT NULL,
    record    TEXT NOT NULL,
    PRIMARY KEY (user, device_id)
);

-- A plain rowid table: a folder's sync state can be tens of kilobytes (about 12 bytes per item
-- the phone holds), which SQLite keeps in overflow pages; WITHOUT ROWID suits only small rows.
CREATE TABLE device_state (
    user      TEXT NOT NULL,
    device_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    value     BLOB NOT NULL,
    PRIMARY KEY (user, device_id, name)
);
