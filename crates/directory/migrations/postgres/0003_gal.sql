-- GAL fields and photos per user (MS-ASCMD Search Store=GAL, ResolveRecipients Picture); keep in
-- step with ../sqlite. NULL means "not set"; first and last name are then derived from the
-- display name by the library.

ALTER TABLE users ADD COLUMN first_name TEXT;
ALTER TABLE users ADD COLUMN last_name TEXT;
-- first_name and last_name lowercased by the library, space-separated, for GAL search; byte
-- order as display_name_folded
ALTER TABLE users ADD COLUMN names_folded TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN title TEXT;
ALTER TABLE users ADD COLUMN company TEXT;
ALTER TABLE users ADD COLUMN office TEXT;
-- business phone (gal:Phone)
ALTER TABLE users ADD COLUMN phone TEXT;
ALTER TABLE users ADD COLUMN home_phone TEXT;
ALTER TABLE users ADD COLUMN mobile_phone TEXT;

-- One photo per user, JPEG or PNG, at most 102400 bytes (checked by the library).
CREATE TABLE user_photos (
    user_id      BIGINT      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    content_type TEXT        NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    size         BIGINT      NOT NULL,
    data         BYTEA       NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
