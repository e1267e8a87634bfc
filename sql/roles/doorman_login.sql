-- A least-privilege PostgreSQL role for Doorman processes that only log users
-- in: `doorman` (the terminal UI), `doorman serve`, `doorman login`.
-- (`doorman db init` and `doorman user …` need the database owner, or a role
-- that may create tables and write to users.)
--
-- Run as the database owner, after `doorman db init`:
--   psql "$ADMIN_URL" -v password="'a long random secret'" -f sql/roles/doorman_login.sql
-- then give Doorman postgresql://doorman_login:…@host/db.
-- This file is not a migration: `doorman db init` never runs it.

CREATE ROLE doorman_login LOGIN PASSWORD :password;

GRANT USAGE ON SCHEMA public TO doorman_login;
-- Read a user's hash and its version; nothing else of users, and no writes.
GRANT SELECT (username, pwd, pwd_version) ON users TO doorman_login;
GRANT SELECT (product_id, product_name, retail_price) ON products TO doorman_login;
-- To let Doorman replace weak hashes (cost below --bcrypt-cost) on login, also:
--   GRANT UPDATE (pwd) ON users TO doorman_login;
-- Without it, Doorman logs one notice and leaves stored hashes alone.
-- The key that signs cache entries.
GRANT SELECT ON doorman_secrets TO doorman_login;
-- Catch up on user changes, and prune the old ones.
GRANT SELECT, DELETE ON doorman_user_changes TO doorman_login;
