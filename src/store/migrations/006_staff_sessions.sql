-- 006: staff sessions end when the password changes (token_version is in every session token).
ALTER TABLE staff ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
CREATE INDEX credentials_code_nocase ON credentials(code_norm COLLATE NOCASE);
CREATE INDEX members_member_no_nocase ON members(member_no COLLATE NOCASE);
