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
\echo
\echo '== audit: every change of shop_order logged, with actor and request context'
CREATE TABLE shop_order (id int PRIMARY KEY, customer text, total numeric, card_token text);
CREATE TRIGGER shop_order_audit AFTER INSERT OR UPDATE OR DELETE ON shop_order
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('exclude=card_token');
BEGIN;
SET LOCAL orm_triggers.actor = 'user:17';
SET LOCAL orm_triggers.context = '{"request_id": "req-8f2", "endpoint": "POST /orders"}';
INSERT INTO shop_order VALUES (1, 'ada', 12.50, 'tok_secret'), (2, 'bob', 3, 'tok_other');
COMMIT;
UPDATE shop_order SET total = 15.00 WHERE id = 1;       -- logs only total, old and new
UPDATE shop_order SET card_token = 'tok_new';           -- excluded column only: nothing logged
DELETE FROM shop_order WHERE id = 2;
SELECT id, op, actor, context ->> 'request_id' AS request, key, old_values, new_values
  FROM orm_triggers.audit_log WHERE table_name = 'shop_order' ORDER BY id;
\echo 'order 1 as it was before the price change, and now:'
SELECT orm_triggers.row_as_of('shop_order', '{"id": 1}', min(tx_time)) AS first_version,
       orm_triggers.row_as_of('shop_order', '{"id": 1}', now()) AS current
  FROM orm_triggers.audit_log WHERE table_name = 'shop_order';

-- section: version
\echo '== increment_version: optimistic locking for every writer'
CREATE TABLE doc (id int PRIMARY KEY, title text, lock_version int);
CREATE TRIGGER doc_version BEFORE INSERT OR UPDATE ON doc
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('lock_version');
INSERT INTO doc (id, title) VALUES (1, 'draft') RETURNING lock_version;
-- a writer that read version 1 offers it back: accepted, stored as 2
UPDATE doc SET title = 'final', lock_version = 1 WHERE id = 1 RETURNING lock_version;
-- a second writer that also read version 1 is too late: SQLSTATE 40001
\set ON_ERROR_STOP off
UPDATE doc SET title = 'other edit', lock_version = 1 WHERE id = 1;
\set ON_ERROR_STOP on
-- a bulk update that leaves the version out still bumps it
UPDATE doc SET title = upper(title) RETURNING title, lock_version;

-- section: soft-delete
\echo '== soft_delete: DELETE marks the row instead of removing it'
CREATE TABLE customer (id int PRIMARY KEY, email text NOT NULL, deleted_at timestamptz);
CREATE UNIQUE INDEX customer_email_live ON customer (email) WHERE deleted_at IS NULL;
CREATE TRIGGER customer_soft BEFORE DELETE ON customer
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');
INSERT INTO customer VALUES (1, 'ann@example.com'), (2, 'bob@example.com');
DELETE FROM customer WHERE id = 1 RETURNING id;   -- 0 rows: the DELETE became an UPDATE
SELECT id, email, deleted_at IS NOT NULL AS deleted FROM customer ORDER BY id;
-- the email is free again among live rows
INSERT INTO customer VALUES (3, 'ann@example.com');
-- an administrator really removes it
BEGIN;
SET LOCAL orm_triggers.hard_delete = on;
DELETE FROM customer WHERE id = 1;
COMMIT;
SELECT id, email, deleted_at IS NOT NULL AS deleted FROM customer ORDER BY id;

-- section: notify
\echo '== notify_change: a JSON payload per change, delivered at commit'
CREATE TABLE orders (id int PRIMARY KEY, status text, total numeric);
CREATE TRIGGER orders_notify AFTER INSERT OR UPDATE OR DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('columns=status');
CREATE TRIGGER orders_bulk AFTER UPDATE ON orders REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.notify_change('channel=orders_bulk');
LISTEN orm_triggers;
LISTEN orders_bulk;
INSERT INTO orders VALUES (1, 'new', 10), (2, 'new', 20);
UPDATE orders SET status = 'paid' WHERE id = 1;
UPDATE orders SET id = 3 WHERE id = 2;
DELETE FROM orders WHERE id = 3;
UNLISTEN *;

-- section: versioning
\echo
\echo '== versioning: every superseded version of a price in a history table, AS OF reads'
CREATE TABLE price (sku text PRIMARY KEY, amount numeric NOT NULL, sys_period tstzrange);
SELECT orm_triggers.create_history_table('price') \g /dev/null
CREATE TRIGGER price_versioning BEFORE INSERT OR UPDATE OR DELETE ON price
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'price_history');
SELECT orm_triggers.set_system_time('2026-01-01') \g /dev/null
INSERT INTO price VALUES ('kettle', 25), ('teapot', 40);
SELECT orm_triggers.set_system_time('2026-03-01') \g /dev/null
UPDATE price SET amount = 27.50 WHERE sku = 'kettle';
SELECT orm_triggers.set_system_time('2026-06-01') \g /dev/null
DELETE FROM price WHERE sku = 'teapot';
SELECT orm_triggers.set_system_time(NULL) \g /dev/null
SELECT * FROM orm_triggers.create_as_of_functions('price');
\echo 'history, and the prices as of 1 February and as of 1 April:'
SELECT sku, amount, sys_period FROM price_history ORDER BY sku, sys_period;
SELECT sku, amount FROM price__as_of('2026-02-01') ORDER BY sku;
SELECT sku, amount FROM price__as_of('2026-04-01') ORDER BY sku;

-- section: counters
\echo
\echo '== counter_cache and touch_parent: a post''s comment count and last activity'
CREATE TABLE post (id int PRIMARY KEY, title text, comments_count int NOT NULL DEFAULT 0,
                   last_activity timestamptz);
CREATE TABLE comment (id int PRIMARY KEY, post_id int REFERENCES post, body text);
CREATE TRIGGER comment_count AFTER INSERT OR UPDATE OR DELETE ON comment
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.counter_cache('post_id', 'parent=post', 'counter=comments_count');
CREATE TRIGGER comment_touch AFTER INSERT OR UPDATE OR DELETE ON comment
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.touch_parent('post_id', 'parent=post', 'column=last_activity');
INSERT INTO post (id, title) VALUES (1, 'hello'), (2, 'news');
-- a bulk insert, a move and a delete in raw SQL: the counts stay exact
INSERT INTO comment SELECT g, CASE WHEN g <= 3 THEN 1 ELSE 2 END, 'c' || g FROM generate_series(1, 5) g;
UPDATE comment SET post_id = 2 WHERE id = 1;
DELETE FROM comment WHERE id = 5;
SELECT p.id, p.title, p.comments_count,
       (SELECT count(*) FROM comment c WHERE c.post_id = p.id) AS counted,
       p.last_activity IS NOT NULL AS touched
  FROM post p ORDER BY p.id;
