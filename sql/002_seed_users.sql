-- doorman:seed-data
-- The seed's two users with its example passwords, hashed by pgcrypto as the
-- seed did: gen_salt('bf') makes $2a$ salts at cost 6.
INSERT INTO users (username, pwd)
SELECT 'john_doe', crypt('EXAMPLE_PASSWORD', gen_salt('bf'))
WHERE NOT EXISTS (SELECT 1 FROM users WHERE username = 'john_doe');

INSERT INTO users (username, pwd)
SELECT 'mary_smith', crypt('EXAMPLE_PASSWORD_2', gen_salt('bf'))
WHERE NOT EXISTS (SELECT 1 FROM users WHERE username = 'mary_smith');
