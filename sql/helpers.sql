-- Inspection and migration helpers, and DDL-time validation:
-- orm_triggers.attached, check_triggers(), attach(), detach(), the event trigger.
CREATE SCHEMA helpers AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = helpers;
CREATE TABLE item (id int PRIMARY KEY, name text, updated_at timestamptz, created_by text, "Odd ""name""" text);

-- attach(): canonical timing and events, a default name, idempotent
SELECT orm_triggers.attach('item', 'update_last_modified', '{updated_at}');
SELECT orm_triggers.attach('item', 'update_last_modified', '{updated_at}');
SELECT orm_triggers.attach('item', 'set_actor', '{created_by,on=insert}');
SELECT orm_triggers.attach('item', 'protect_columns', '{"\"Odd \"\"name\"\"\""}', 'item_keep_odd');
SELECT table_name, trigger_name, function_name, arguments, timing, level, events, enabled
  FROM orm_triggers.attached WHERE table_name = 'helpers.item'::regclass ORDER BY trigger_name;
SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'item'::regclass ORDER BY tgname;
-- changing the arguments replaces the trigger
SELECT orm_triggers.attach('item', 'set_actor', '{created_by}');
SELECT arguments FROM orm_triggers.attached WHERE trigger_name = 'orm_set_actor_created_by';
-- they work
BEGIN;
SET LOCAL orm_triggers.actor = 'alice';
INSERT INTO item (id, name) VALUES (1, 'kettle');
SELECT created_by, updated_at = now() AS stamped FROM item;
ROLLBACK;
-- the canonical row forms attach() uses, from each function's spec
SELECT f, orm_triggers.row_trigger_clause(f)
  FROM unnest(ARRAY['update_last_modified', 'set_created_at', 'protect_columns', 'set_actor',
                    'increment_version', 'soft_delete', 'notify_change', 'audit', 'no_such']) f;
-- ... in pg_get_triggerdef()'s event order, so that attaching an AFTER
-- INSERT OR UPDATE OR DELETE function again leaves its trigger alone
SELECT orm_triggers.attach('item', 'audit');
CREATE TEMP TABLE audit_oid AS SELECT oid FROM pg_trigger WHERE tgname = 'orm_audit';
SELECT orm_triggers.attach('item', 'audit');
SELECT t.oid = a.oid AS same_trigger FROM pg_trigger t, audit_oid a WHERE t.tgname = 'orm_audit';
SELECT orm_triggers.detach('item', 'orm_audit');
-- misuse of attach()/detach()
SELECT orm_triggers.attach('item', 'no_such_function', '{x}');
CREATE FUNCTION plain_trigger() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER not_ours BEFORE UPDATE ON item FOR EACH ROW EXECUTE FUNCTION plain_trigger();
SELECT orm_triggers.attach('item', 'set_actor', '{created_by}', 'not_ours');
SELECT orm_triggers.detach('item', 'not_ours');
SELECT orm_triggers.detach('item', 'orm_set_actor_created_by');
SELECT orm_triggers.detach('item', 'orm_set_actor_created_by');
SELECT orm_triggers.trigger_arguments(oid) FROM pg_trigger WHERE tgname = 'not_ours';

-- DDL-time validation: a misconfigured CREATE TRIGGER fails at once ...
CREATE TRIGGER bad_column BEFORE INSERT OR UPDATE ON item
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updatedAt');
CREATE TRIGGER bad_timing AFTER UPDATE ON item
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('id');
CREATE TRIGGER bad_option BEFORE UPDATE ON item
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('id', 'mode=ignore');
-- ... and so does an ALTER TABLE that would break an attached trigger
ALTER TABLE item DROP COLUMN updated_at;
ALTER TABLE item RENAME COLUMN updated_at TO modified_at;
ALTER TABLE item ALTER COLUMN updated_at TYPE text;
-- changes that leave the triggers working go through
ALTER TABLE item ADD COLUMN price numeric DEFAULT 0;
ALTER TABLE item ALTER COLUMN updated_at TYPE timestamp;
ALTER TABLE item DROP COLUMN price;
-- unrelated DDL is not affected
CREATE TABLE other (id int);
ALTER TABLE other ADD COLUMN x int;
CREATE TRIGGER plain BEFORE UPDATE ON other FOR EACH ROW EXECUTE FUNCTION plain_trigger();
-- partitioned tables: validated on the parent
CREATE TABLE part (id int, updated_at timestamptz) PARTITION BY RANGE (id);
CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (0) TO (100);
CREATE TRIGGER part_touch BEFORE INSERT OR UPDATE ON part
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
ALTER TABLE part DROP COLUMN updated_at;
SELECT count(*) AS listed_once FROM orm_triggers.attached WHERE trigger_name = 'part_touch';

INSERT INTO item (id, name) VALUES (1, 'kettle');
-- the escape hatch; check_triggers() then lists what is broken
SET orm_triggers.validate_ddl = off;
ALTER TABLE item RENAME COLUMN updated_at TO modified_at;
CREATE TRIGGER bad_column BEFORE INSERT OR UPDATE ON item
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updatedAt');
RESET orm_triggers.validate_ddl;
SELECT * FROM orm_triggers.check_triggers()
 WHERE (SELECT relnamespace FROM pg_class WHERE oid = table_name) = 'helpers'::regnamespace;
-- the broken trigger fails at its first fire with the same message
UPDATE item SET name = 'x';
DROP TRIGGER bad_column ON item;
SELECT orm_triggers.detach('item', 'orm_update_last_modified_updated_at');
SELECT * FROM orm_triggers.check_triggers()
 WHERE (SELECT relnamespace FROM pg_class WHERE oid = table_name) = 'helpers'::regnamespace;
RESET ROLE;
DROP SCHEMA helpers CASCADE;
