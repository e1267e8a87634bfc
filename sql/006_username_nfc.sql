-- Logins compare usernames after NFC (RFC 8265), so that a row stored in
-- another normal form (NFD, by plain SQL) is still found: index that
-- comparison. normalize() needs a UTF8 database; elsewhere nothing is done.
DO $$
BEGIN
    IF current_setting('server_encoding') = 'UTF8' THEN
        CREATE INDEX IF NOT EXISTS users_username_nfc ON users (normalize(username, NFC));
    END IF;
END
$$;
