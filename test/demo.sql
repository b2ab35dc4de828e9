-- test/demo.sql: every orm_triggers function at work on a small shop schema.
\set QUIET on
\pset footer off
CREATE EXTENSION orm_triggers;
SET client_min_messages = warning;

-- section: stamps
\echo
\echo '== update_last_modified, set_created_at, set_actor, protect_columns'
CREATE TABLE product (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL,
    price      numeric(10,2) NOT NULL,
    created_at timestamptz,
    updated_at timestamptz,
    created_by text,
    updated_by text
);
CREATE TRIGGER product_updated_at BEFORE INSERT OR UPDATE ON product
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
CREATE TRIGGER product_created_at BEFORE INSERT OR UPDATE ON product
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('created_at');
CREATE TRIGGER product_created_by BEFORE INSERT OR UPDATE ON product
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('created_by', 'on=insert');
CREATE TRIGGER product_updated_by BEFORE INSERT OR UPDATE ON product
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('updated_by');
CREATE TRIGGER product_protect_id BEFORE UPDATE ON product
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('id');

BEGIN;
SET LOCAL orm_triggers.actor = 'alice';
INSERT INTO product (name, price) VALUES ('kettle', 25), ('teapot', 40);
COMMIT;
SELECT pg_sleep(0.01);
\echo '-- a bulk UPDATE by bob through raw SQL: updated_at and updated_by follow, created_* stay'
BEGIN;
SET LOCAL orm_triggers.actor = 'bob';
UPDATE product SET price = price * 1.1, created_at = '2000-01-01', created_by = 'mallory' WHERE name = 'kettle';
-- a no-op update (an ORM saving an unchanged object): nothing is bumped
UPDATE product SET price = price WHERE name = 'teapot';
COMMIT;
SELECT name, price, created_by, updated_by,
       updated_at > created_at AS bumped
  FROM product ORDER BY id;

-- section: audit

-- section: version

-- section: soft-delete

-- section: notify
