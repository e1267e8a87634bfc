-- Any change to products is announced with NOTIFY doorman_product_changes, so
-- that a running Doorman can serve its cached product list until something
-- actually changes, whether through Doorman or with plain SQL.
CREATE OR REPLACE FUNCTION doorman_products_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('doorman_product_changes', TG_OP);
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS doorman_products_changed ON products;
CREATE TRIGGER doorman_products_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION doorman_products_changed();
