-- Per-user settings the administrator may set; keep in step with the other backend's file.
-- NULL means "not set": the server-wide default applies.

-- Whether the user's devices are offered calendars other users shared with them (FolderSync);
-- a device's own setting wins over it, and it wins over the device type's default.
ALTER TABLE users ADD COLUMN shared_calendars BOOLEAN;
