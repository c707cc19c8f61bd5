-- A user's own calendar settings; keep in step with the other backend's file.
-- NULL means "not set": the server-wide default (edge.calendar.*) applies.

-- The IANA zone the user lives in: up to 14.1 all-day events go out at its midnights, times a
-- phone sends without a Timezone are read in it, and free/busy lays all-day events in it.
ALTER TABLE users ADD COLUMN time_zone TEXT;
-- The first day of the week (0 Sunday to 6 Saturday) of a weekly series sent without one.
ALTER TABLE users ADD COLUMN first_day_of_week SMALLINT;
