-- test/demo.sql: every orm_triggers function at work on a small shop schema.
\set QUIET on
\pset footer off
CREATE EXTENSION orm_triggers;
SET client_min_messages = warning;

-- section: stamps

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

-- section: soft-delete

-- section: notify
