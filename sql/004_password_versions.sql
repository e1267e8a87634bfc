-- Invalidation and cache integrity.
--
-- Every password gets a version from one global sequence: a changed password,
-- or a user deleted and created again, always has a higher version than any
-- hash cached before. Every change of a user's password or name, and every
-- deletion, is recorded in doorman_user_changes and announced with
-- NOTIFY doorman_user_changes ('<version>:<username>'), whether it was made
-- through Doorman or with plain SQL. Each Doorman process LISTENs, drops the
-- user's cached hash at once and refuses cached entries older than the
-- change; a process that was not listening catches up from the table.
CREATE SEQUENCE IF NOT EXISTS doorman_password_version_seq;

ALTER TABLE users ADD COLUMN IF NOT EXISTS pwd_version bigint NOT NULL DEFAULT nextval('doorman_password_version_seq');

CREATE TABLE IF NOT EXISTS doorman_user_changes (
    change_id  bigserial PRIMARY KEY,
    username   text,                        -- NULL: every user (TRUNCATE)
    version    bigint NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS doorman_user_changes_changed_at ON doorman_user_changes (changed_at);

-- A changed hash (or name) gets a new version before the row is written.
CREATE OR REPLACE FUNCTION doorman_bump_password_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.pwd IS DISTINCT FROM OLD.pwd OR NEW.username IS DISTINCT FROM OLD.username THEN
        NEW.pwd_version := nextval('doorman_password_version_seq');
    END IF;
    RETURN NEW;
END $$;

-- After the row is written: record the change and tell every listener.
CREATE OR REPLACE FUNCTION doorman_record_user_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed_version bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        changed_version := nextval('doorman_password_version_seq');
        INSERT INTO doorman_user_changes (username, version) VALUES (NULL, changed_version);
        PERFORM pg_notify('doorman_user_changes', changed_version || ':*');
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        changed_version := nextval('doorman_password_version_seq');
        INSERT INTO doorman_user_changes (username, version) VALUES (OLD.username, changed_version);
        PERFORM pg_notify('doorman_user_changes', changed_version || ':' || OLD.username);
        RETURN OLD;
    END IF;
    -- UPDATE
    IF NEW.pwd_version IS DISTINCT FROM OLD.pwd_version THEN
        INSERT INTO doorman_user_changes (username, version) VALUES (OLD.username, NEW.pwd_version);
        PERFORM pg_notify('doorman_user_changes', NEW.pwd_version || ':' || OLD.username);
        IF NEW.username IS DISTINCT FROM OLD.username THEN
            INSERT INTO doorman_user_changes (username, version) VALUES (NEW.username, NEW.pwd_version);
            PERFORM pg_notify('doorman_user_changes', NEW.pwd_version || ':' || NEW.username);
        END IF;
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS doorman_bump_password_version ON users;
CREATE TRIGGER doorman_bump_password_version BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION doorman_bump_password_version();

DROP TRIGGER IF EXISTS doorman_record_user_change ON users;
CREATE TRIGGER doorman_record_user_change AFTER UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION doorman_record_user_change();

DROP TRIGGER IF EXISTS doorman_record_users_truncate ON users;
CREATE TRIGGER doorman_record_users_truncate AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION doorman_record_user_change();

-- The key that signs cached entries (HMAC-SHA-256). It lives here, never in
-- Redis: someone who can write to Redis but not read this table cannot make
-- an entry Doorman accepts.
CREATE TABLE IF NOT EXISTS doorman_secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO doorman_secrets (name, value) VALUES ('cache_hmac_key', gen_random_bytes(32))
ON CONFLICT (name) DO NOTHING;
