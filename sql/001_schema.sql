-- Doorman schema: the seed's tables (products, users) and pgcrypto.
-- Safe on an empty database and on one that already has the seed's tables.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE IF NOT EXISTS products (
    product_id   SERIAL PRIMARY KEY,
    product_name VARCHAR (50),
    retail_price NUMERIC (5, 2)
);

CREATE TABLE IF NOT EXISTS users (
    user_id  SERIAL PRIMARY KEY,
    username VARCHAR (50),
    pwd      VARCHAR (255)
);

-- The seed's table let two rows share a username; a login must name exactly one user.
CREATE UNIQUE INDEX IF NOT EXISTS users_username_key ON users (username);
