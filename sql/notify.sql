-- notify_change: JSON payloads, as a listener on another connection receives them.
-- The listener is a dblink connection; every payload is cast to json, so an
-- invalid one fails the test.
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;
SELECT public.dblink_connect('listener',
    format('host=%s port=%s dbname=%s user=%s',
           split_part(current_setting('unix_socket_directories'), ',', 1),
           current_setting('port'), current_database(), current_user));
SELECT public.dblink_exec('listener', 'LISTEN orm_triggers');
SELECT public.dblink_exec('listener', 'LISTEN custom');
CREATE SCHEMA ntf AUTHORIZATION ormt_app;
-- what the listener has received since the last call (the round trip makes
-- the listener's backend flush what is queued for it first)
CREATE FUNCTION ntf.received(OUT channel text, OUT payload json)
    RETURNS SETOF record LANGUAGE plpgsql AS $$
BEGIN
  PERFORM * FROM public.dblink('listener', 'SELECT 1') AS r(x int);
  RETURN QUERY SELECT n.notify_name, n.extra::json FROM public.dblink_get_notify('listener') n;
END $$;
-- the same, but only sizes and a few fields, for big payloads
CREATE FUNCTION ntf.received_size(OUT channel text, OUT bytes int, OUT truncated text,
                                  OUT has_key boolean, OUT has_values boolean, OUT nkeys int, OUT count text)
    RETURNS SETOF record LANGUAGE sql AS $$
  SELECT channel, octet_length(payload::text), payload->>'truncated',
         payload->'key' IS NOT NULL, payload->'values' IS NOT NULL,
         CASE WHEN json_typeof(payload->'keys') = 'array' THEN json_array_length(payload->'keys') END,
         payload->>'count'
    FROM ntf.received() $$;
GRANT USAGE ON SCHEMA ntf TO ormt_app;
SET ROLE ormt_app;
SET search_path = ntf;

CREATE TABLE item (id int PRIMARY KEY, name text, price numeric, active boolean, doc jsonb);
CREATE TRIGGER item_notify AFTER INSERT OR UPDATE OR DELETE ON item
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change();

INSERT INTO item VALUES (1, 'one', 1.50, true, '{"a": [1, 2]}'), (2, 'two', 'NaN', NULL, NULL);
SELECT * FROM received();
UPDATE item SET name = 'uno', price = 'Infinity' WHERE id = 1;
SELECT * FROM received();
-- an UPDATE that changes nothing: "changed" is empty
UPDATE item SET name = name WHERE id = 2;
SELECT * FROM received();
-- the key changed: old_key
UPDATE item SET id = 10 WHERE id = 1;
SELECT * FROM received();
DELETE FROM item WHERE id = 10;
SELECT * FROM received();

-- notifications go out at commit only, none after a rollback; identical
-- payloads in one transaction are merged by PostgreSQL
BEGIN;
UPDATE item SET name = 'x' WHERE id = 2;
SELECT * FROM received();
UPDATE item SET name = 'y' WHERE id = 2;
UPDATE item SET name = 'z' WHERE id = 2;
COMMIT;
SELECT * FROM received();
BEGIN;
DELETE FROM item;
ROLLBACK;
SELECT * FROM received();

-- ON CONFLICT: the INSERT or the UPDATE it turned into
INSERT INTO item (id, name) VALUES (2, 'upsert'), (3, 'new')
    ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name;
SELECT * FROM received();
-- MERGE
MERGE INTO item i USING (VALUES (2, 'merged'), (4, 'four')) s(id, name) ON i.id = s.id
    WHEN MATCHED THEN UPDATE SET name = s.name
    WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name);
SELECT * FROM received();

-- channel= and columns=: values of the listed columns only (old row on DELETE)
CREATE TABLE account (id bigint, region text, email text, secret text, balance numeric,
                      PRIMARY KEY (region, id));
CREATE TRIGGER account_notify AFTER INSERT OR UPDATE OR DELETE ON account
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('channel=custom', 'columns=email, balance');
INSERT INTO account VALUES (7, 'eu', 'a@example.com', 'hunter2', 10);
UPDATE account SET balance = 12, secret = 'x';
DELETE FROM account;
SELECT * FROM received();

-- no primary key: "key" is null
CREATE TABLE log_line (msg text);
CREATE TRIGGER log_notify AFTER INSERT OR UPDATE ON log_line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change();
INSERT INTO log_line VALUES ('hello');
UPDATE log_line SET msg = 'bye';
SELECT * FROM received();

-- quoted names and awkward values are valid JSON
CREATE SCHEMA "My ""Schema""\";
CREATE TABLE "My ""Schema""\"."Tab	le ünï" ("Id ""1""" text PRIMARY KEY, "new
line" text, "back\slash" float8);
CREATE TRIGGER "n" AFTER INSERT OR UPDATE ON "My ""Schema""\"."Tab	le ünï"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('columns="new
line","back\slash"');
INSERT INTO "My ""Schema""\"."Tab	le ünï" VALUES (E'"quoted"\\ \u0001 ✓', E'a\nb\tc', '-Infinity');
UPDATE "My ""Schema""\"."Tab	le ünï" SET "new
line" = '}{"', "back\slash" = 1e300;
SELECT channel, payload, payload->'key' AS key FROM received();

-- partitions notify under the partitioned table's name; a row moved to
-- another partition is a DELETE and an INSERT to PostgreSQL's row triggers
CREATE TABLE part (id int, region text, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE part_eu PARTITION OF part FOR VALUES IN ('eu');
CREATE TABLE part_us PARTITION OF part FOR VALUES IN ('us');
CREATE TRIGGER part_notify AFTER INSERT OR UPDATE OR DELETE ON part
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change();
INSERT INTO part VALUES (1, 'eu', 1);
UPDATE part SET v = 2;
UPDATE part SET region = 'us';
SELECT * FROM received();

-- oversize: values are dropped first ...
CREATE TABLE big (id int PRIMARY KEY, body text);
CREATE TRIGGER big_notify AFTER INSERT OR UPDATE ON big
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('columns=body');
INSERT INTO big VALUES (1, repeat('x', 7900)), (2, repeat('x', 7990)), (3, repeat('x', 100));
SELECT * FROM received_size();
-- ... then the keys (a key of 1500 bytes that escapes to 9000)
CREATE TABLE bigkey (k text PRIMARY KEY, v int);
CREATE TRIGGER bigkey_notify AFTER INSERT OR UPDATE ON bigkey
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change();
INSERT INTO bigkey VALUES (repeat(E'\u0001', 1500), 1);
UPDATE bigkey SET v = 2;
SELECT * FROM received();
-- ... then the changed list (1000 columns of 40-byte names)
DO $$ BEGIN
  EXECUTE (SELECT format('CREATE TABLE ntf.wide (id int PRIMARY KEY, %s)',
                         string_agg(format('%I int', 'a_rather_long_column_name_number_' || lpad(g::text, 5, '0')), ', '))
             FROM generate_series(1, 1000) g);
END $$;
CREATE TRIGGER wide_notify AFTER INSERT OR UPDATE ON wide
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change();
INSERT INTO wide (id) VALUES (1);
DO $$ BEGIN
  EXECUTE (SELECT format('UPDATE ntf.wide SET %s',
                         string_agg(format('%I = 1', 'a_rather_long_column_name_number_' || lpad(g::text, 5, '0')), ', '))
             FROM generate_series(1, 1000) g);
END $$;
SELECT * FROM received();
UPDATE wide SET a_rather_long_column_name_number_00001 = 2;
SELECT * FROM received();

-- statement form: one payload per statement, keys as many as fit
CREATE TABLE bulk (id int PRIMARY KEY, v int);
CREATE TRIGGER bulk_ins AFTER INSERT ON bulk REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.notify_change();
CREATE TRIGGER bulk_upd AFTER UPDATE ON bulk REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.notify_change('channel=custom');
CREATE TRIGGER bulk_del AFTER DELETE ON bulk REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.notify_change();
INSERT INTO bulk SELECT g, g FROM generate_series(1, 3) g;
UPDATE bulk SET v = v + 1 WHERE id > 1;
-- no row changed: nothing is sent
UPDATE bulk SET v = 0 WHERE id > 100;
DELETE FROM bulk WHERE id = 1;
SELECT * FROM received();
INSERT INTO bulk SELECT g, g FROM generate_series(4, 5000) g;
UPDATE bulk SET v = 0;
SELECT * FROM received_size();
-- statement form on a partitioned table, and without a primary key
CREATE TABLE spart (id int PRIMARY KEY, v int) PARTITION BY RANGE (id);
CREATE TABLE spart_1 PARTITION OF spart FOR VALUES FROM (0) TO (10);
CREATE TABLE spart_2 PARTITION OF spart FOR VALUES FROM (10) TO (20);
CREATE TRIGGER spart_upd AFTER UPDATE ON spart REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.notify_change();
INSERT INTO spart VALUES (5, 0), (15, 0);
UPDATE spart SET v = 1;
CREATE TABLE snopk (v int);
CREATE TRIGGER snopk_del AFTER DELETE ON snopk REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.notify_change();
INSERT INTO snopk VALUES (1), (2);
DELETE FROM snopk;
SELECT * FROM received();

RESET ROLE;
SELECT public.dblink_disconnect('listener');
DROP SCHEMA ntf CASCADE;
DROP SCHEMA "My ""Schema""\" CASCADE;
DROP EXTENSION dblink;
