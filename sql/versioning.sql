-- versioning: system-versioned rows with a history table.
-- Times come from set_system_time() so that every period is exact.
SET client_min_messages = notice;
SET timezone = 'UTC';
CREATE SCHEMA vers AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = vers, public;

-- ---------------------------------------------------------------------
-- the temporal_tables form, a month-by-month timeline with rollbacks
-- ---------------------------------------------------------------------
CREATE TABLE account (id int PRIMARY KEY, owner text, balance numeric,
                      sys_period tstzrange NOT NULL DEFAULT tstzrange(now(), NULL));
SELECT orm_triggers.create_history_table('account');
\d account_history
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON account
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'account_history', 'true');

SELECT orm_triggers.set_system_time('2024-01-01');
SHOW orm_triggers.system_time;
-- whatever period the writer supplies, INSERT starts it at the system time
INSERT INTO account VALUES (1, 'ann', 100, tstzrange('1999-01-01', '2000-01-01')), (2, 'bob', 200, DEFAULT);
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE account SET balance = 110 WHERE id = 1;
SELECT orm_triggers.set_system_time('2024-03-01');
BEGIN;
UPDATE account SET balance = 999 WHERE id = 2;
ROLLBACK;
UPDATE account SET balance = 120 WHERE id = 1;
SELECT orm_triggers.set_system_time('2024-04-01');
DELETE FROM account WHERE id = 2;
SELECT orm_triggers.set_system_time('2024-05-01');
INSERT INTO account VALUES (3, 'cy', 300);
SELECT * FROM account ORDER BY id;
SELECT * FROM account_history ORDER BY id, sys_period;

-- set_system_time is undone with the transaction or savepoint that set it
BEGIN;
SELECT orm_triggers.set_system_time('2030-01-01');
ROLLBACK;
SHOW orm_triggers.system_time;
BEGIN;
SAVEPOINT a;
SELECT orm_triggers.set_system_time('2031-01-01');
ROLLBACK TO SAVEPOINT a;
SHOW orm_triggers.system_time;
SELECT orm_triggers.set_system_time('2024-05-15');
COMMIT;
SHOW orm_triggers.system_time;
-- the setting is read back the same whatever DateStyle and TimeZone
SET DateStyle = 'SQL, DMY';
SET timezone = 'America/New_York';
SELECT orm_triggers.set_system_time('2024-06-01 00:00:00+00');
SHOW orm_triggers.system_time;
UPDATE account SET owner = 'cyd' WHERE id = 3;
RESET DateStyle;
SET timezone = 'UTC';
SELECT sys_period FROM account WHERE id = 3;
SELECT sys_period FROM account_history WHERE id = 3;
-- NULL goes back to the transaction start time
SELECT orm_triggers.set_system_time(NULL);
SHOW orm_triggers.system_time;
BEGIN;
UPDATE account SET balance = 130 WHERE id = 1;
SELECT lower(sys_period) = now() AS starts_now, upper_inf(sys_period) FROM account WHERE id = 1;
SELECT upper(sys_period) = now() AS closed_now FROM account_history WHERE id = 1 AND balance = 120;
ROLLBACK;

-- ---------------------------------------------------------------------
-- one version per row per transaction, pre-transaction values
-- ---------------------------------------------------------------------
CREATE TABLE item (id int PRIMARY KEY, v text, sys_period tstzrange);
SELECT orm_triggers.create_history_table('item', 'item_hist');
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON item
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'item_hist');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO item VALUES (1, 'a'), (2, 'b'), (3, 'c');
SELECT orm_triggers.set_system_time('2024-02-01');
BEGIN;
-- inserted, updated and deleted in one transaction: no version at all
INSERT INTO item VALUES (4, 'd');
UPDATE item SET v = 'd2' WHERE id = 4;
DELETE FROM item WHERE id = 4;
-- updated twice: one version, with the values from before the transaction
UPDATE item SET v = 'a2' WHERE id = 1;
UPDATE item SET v = 'a3' WHERE id = 1;
-- updated then deleted: one version
UPDATE item SET v = 'b2' WHERE id = 2;
DELETE FROM item WHERE id = 2;
COMMIT;
SELECT * FROM item ORDER BY id;
SELECT * FROM item_hist ORDER BY id;

-- the savepoint case: insert in a savepoint, release, update: no version,
-- and no one-microsecond version either (as Django atomic() or Rails
-- requires_new do)
SELECT orm_triggers.set_system_time('2024-03-01');
BEGIN;
SAVEPOINT s1;
INSERT INTO item VALUES (5, 'e');
RELEASE SAVEPOINT s1;
UPDATE item SET v = 'e2' WHERE id = 5;
SAVEPOINT s2;
UPDATE item SET v = 'e3' WHERE id = 5;
RELEASE SAVEPOINT s2;
COMMIT;
SELECT * FROM item WHERE id = 5;
SELECT count(*) FROM item_hist WHERE id = 5;
-- a version written in a savepoint that is rolled back is written again
SELECT orm_triggers.set_system_time('2024-04-01');
BEGIN;
SAVEPOINT s1;
UPDATE item SET v = 'c2' WHERE id = 3;
ROLLBACK TO SAVEPOINT s1;
UPDATE item SET v = 'c3' WHERE id = 3;
COMMIT;
SELECT * FROM item WHERE id = 3;
SELECT * FROM item_hist WHERE id = 3;
-- in a subtransaction that errors (a PL/pgSQL EXCEPTION block)
SELECT orm_triggers.set_system_time('2024-05-01');
DO $$
BEGIN
  BEGIN
    UPDATE vers.item SET v = 'c4' WHERE id = 3;
    RAISE EXCEPTION 'undo';
  EXCEPTION WHEN raise_exception THEN NULL;
  END;
  UPDATE vers.item SET v = 'c5' WHERE id = 3;
END $$;
SELECT * FROM item WHERE id = 3;
SELECT * FROM item_hist WHERE id = 3 ORDER BY sys_period;

-- ---------------------------------------------------------------------
-- no-op updates, always=true, exclude=
-- ---------------------------------------------------------------------
CREATE TABLE doc (id int PRIMARY KEY, title text, views int, updated_at timestamptz,
                  sys_period tstzrange);
CREATE TABLE doc_history (LIKE doc);
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON doc
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'doc_history', 'exclude=views');
CREATE TRIGGER stamp BEFORE UPDATE ON doc
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO doc VALUES (1, 't', 0, '2024-01-01');
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE doc SET title = 't';                            -- nothing changed
UPDATE doc SET views = views + 1;                      -- excluded column only
-- a period written by the statement is put back
UPDATE doc SET title = 't', sys_period = tstzrange('2000-01-01', '2001-01-01');
-- (update_last_modified bumps updated_at for views; versioning does not count it)
SELECT id, title, views, updated_at > '2025-01-01' AS bumped, sys_period FROM doc;
SELECT count(*) FROM doc_history;
UPDATE doc SET title = 'u';                            -- a real change
SELECT id, title, views, sys_period FROM doc_history;
CREATE TABLE doc2 (id int PRIMARY KEY, title text, sys_period tstzrange);
CREATE TABLE doc2_history (LIKE doc2);
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON doc2
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'doc2_history', 'always=true');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO doc2 VALUES (1, 't');
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE doc2 SET title = 't';                           -- a version all the same
SELECT * FROM doc2_history;

-- ---------------------------------------------------------------------
-- periods found in the table before the trigger: NULL, empty, bounded,
-- unbounded
-- ---------------------------------------------------------------------
CREATE TABLE pre (id int PRIMARY KEY, sys_period tstzrange);
CREATE TABLE pre_history (LIKE pre);
INSERT INTO pre VALUES (1, NULL), (2, 'empty'), (3, '[2023-01-01,2023-06-01)'),
                       (4, '(,2023-06-01)'), (5, '[2023-01-01,)');
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON pre
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'pre_history');
SELECT orm_triggers.set_system_time('2024-01-01');
DELETE FROM pre;
SELECT * FROM pre_history ORDER BY id;

-- ---------------------------------------------------------------------
-- a start before the system time: 2201H, or with adjust a warning and
-- start + 1 microsecond (a concurrent writer's later start; see also
-- test/isolation/specs/versioning_race.spec)
-- ---------------------------------------------------------------------
CREATE TABLE late (id int PRIMARY KEY, v int, sys_period tstzrange);
CREATE TABLE late_history (LIKE late);
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON late
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'late_history');
SELECT orm_triggers.set_system_time('2024-03-01');
INSERT INTO late VALUES (1, 1), (2, 2);
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE late SET v = 10 WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
DELETE FROM late WHERE id = 1;
\echo :LAST_ERROR_SQLSTATE
SELECT orm_triggers.set_system_time('2024-03-01');
UPDATE late SET v = 10 WHERE id = 1;                   -- the same start: 2201H too
DROP TRIGGER versioning ON late;
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON late
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'late_history', 'adjust=true');
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE late SET v = 10 WHERE id = 1;
DELETE FROM late WHERE id = 2;
SELECT * FROM late;
SELECT * FROM late_history ORDER BY id;

-- ---------------------------------------------------------------------
-- start= and end= columns; tsrange
-- ---------------------------------------------------------------------
CREATE TABLE price (sku text PRIMARY KEY, cents int,
                    valid_from timestamptz, valid_to timestamptz);
CREATE TABLE price_history (LIKE price);
CREATE INDEX ON price_history (valid_to, valid_from);
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON price
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('price_history', 'start=valid_from', 'end=valid_to');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO price VALUES ('a', 100, NULL, '2000-01-01'), ('b', 200, NULL, NULL);
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE price SET cents = 150 WHERE sku = 'a';
DELETE FROM price WHERE sku = 'b';
SELECT * FROM price;
SELECT * FROM price_history ORDER BY sku;
CREATE TABLE local (id int PRIMARY KEY, v int, period tsrange);
SELECT orm_triggers.create_history_table('local');
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON local
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('period', 'local_history');
SET timezone = 'Europe/Paris';
SELECT orm_triggers.set_system_time('2024-01-01 00:00:00+01');
INSERT INTO local VALUES (1, 1);
SELECT orm_triggers.set_system_time('2024-02-01 00:00:00+01');
UPDATE local SET v = 2;
SELECT * FROM local;
SELECT * FROM local_history;
SET timezone = 'UTC';

-- ---------------------------------------------------------------------
-- history matched by column name
-- ---------------------------------------------------------------------
CREATE TABLE wide (id int PRIMARY KEY, gone int, a text, b int,
                   doubled int GENERATED ALWAYS AS (b * 2) STORED,
                   base_only text, sys_period tstzrange);
ALTER TABLE wide DROP COLUMN gone;
CREATE TABLE wide_history (
    hist_id bigint GENERATED ALWAYS AS IDENTITY,
    sys_period tstzrange,
    dropped_here int,
    b int,
    a text,
    doubled int,
    quad int GENERATED ALWAYS AS (b * 4) STORED,
    id int,
    recorded_by name DEFAULT current_user);
ALTER TABLE wide_history DROP COLUMN dropped_here;
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON wide
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'wide_history');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO wide (id, a, b, base_only) VALUES (1, 'x', 5, 'only in base');
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE wide SET b = 6;
SELECT * FROM wide;
SELECT * FROM wide_history;
-- history's own identity column: OVERRIDING SYSTEM VALUE copies the base value
CREATE TABLE ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v int, sys_period tstzrange);
CREATE TABLE ident_history (id int GENERATED ALWAYS AS IDENTITY, v int, sys_period tstzrange);
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON ident
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'ident_history');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO ident (v) VALUES (1), (2), (3);
SELECT orm_triggers.set_system_time('2024-02-01');
DELETE FROM ident WHERE id = 3;
SELECT * FROM ident_history;
-- a history table in another schema, with a quoted name
CREATE SCHEMA "Arch ive";
CREATE TABLE "Arch ive"."Order History" (id int, total int, sys_period tstzrange);
CREATE TABLE orders (id int PRIMARY KEY, total int, sys_period tstzrange);
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON orders
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', '"Arch ive"."Order History"');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO orders VALUES (1, 10);
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE orders SET total = 20;
SELECT * FROM "Arch ive"."Order History";
-- large values: TOASTed in the table, copied whole
CREATE TABLE blob (id int PRIMARY KEY, body text, sys_period tstzrange);
SELECT orm_triggers.create_history_table('blob');
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON blob
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'blob_history');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO blob SELECT 1, string_agg(md5(g::text), '') FROM generate_series(1, 20000) g;
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE blob SET id = 2;
SELECT h.body = (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 20000) g) AS same,
       length(h.body) FROM blob_history h;

-- ---------------------------------------------------------------------
-- exactly one history row: row movement, soft_delete, ON CONFLICT, MERGE
-- ---------------------------------------------------------------------
CREATE TABLE part (id int, region text, v int, sys_period tstzrange,
                   PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE part_eu PARTITION OF part FOR VALUES IN ('eu');
CREATE TABLE part_us (v int, sys_period tstzrange, region text NOT NULL, id int NOT NULL);
ALTER TABLE part ATTACH PARTITION part_us FOR VALUES IN ('us');
SELECT orm_triggers.create_history_table('part');
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON part
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'part_history');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO part VALUES (1, 'eu', 1), (2, 'eu', 2);
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE part SET region = 'us' WHERE id = 1;            -- moves: one version
BEGIN;
INSERT INTO part VALUES (3, 'eu', 3);
UPDATE part SET region = 'us' WHERE id = 3;            -- new in this transaction: none
COMMIT;
SELECT orm_triggers.set_system_time('2024-03-01');
UPDATE part SET region = 'eu', v = 10 WHERE id = 1;    -- and back
SELECT tableoid::regclass, * FROM part ORDER BY id;
SELECT * FROM part_history ORDER BY id, sys_period;
-- a moved row keeps the period its UPDATE gave it: after an adjust, and
-- when the row was already changed in the transaction
CREATE TABLE pm (id int, region text, sys_period tstzrange) PARTITION BY LIST (region);
CREATE TABLE pm_a PARTITION OF pm FOR VALUES IN ('a');
CREATE TABLE pm_b PARTITION OF pm FOR VALUES IN ('b');
CREATE TABLE pm_history (LIKE pm);
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON pm
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'pm_history', 'true');
SELECT orm_triggers.set_system_time('2024-03-01');
INSERT INTO pm VALUES (1, 'a');
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE pm SET region = 'b';
BEGIN;
SELECT orm_triggers.set_system_time('2024-04-01');
UPDATE pm SET id = 2;
SELECT orm_triggers.set_system_time('2024-05-01');
UPDATE pm SET region = 'a';
COMMIT;
SELECT tableoid::regclass, * FROM pm;
SELECT * FROM pm_history ORDER BY sys_period;
-- a partition's trigger names the partitioned table in errors
SELECT orm_triggers.set_system_time('2024-01-01');
UPDATE part SET v = 11 WHERE id = 1;

-- soft_delete on the same table, both trigger orders
CREATE TABLE soft_a (id int PRIMARY KEY, deleted_at timestamptz, sys_period tstzrange);
CREATE TABLE soft_a_history (LIKE soft_a);
CREATE TRIGGER a_soft BEFORE DELETE ON soft_a
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');
CREATE TRIGGER b_versioning BEFORE INSERT OR UPDATE OR DELETE ON soft_a
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'soft_a_history');
CREATE TABLE soft_b (id int PRIMARY KEY, deleted_at timestamptz, sys_period tstzrange);
CREATE TABLE soft_b_history (LIKE soft_b);
CREATE TRIGGER a_versioning BEFORE INSERT OR UPDATE OR DELETE ON soft_b
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'soft_b_history');
CREATE TRIGGER b_soft BEFORE DELETE ON soft_b
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO soft_a VALUES (1), (2);
INSERT INTO soft_b VALUES (1), (2);
SELECT orm_triggers.set_system_time('2024-02-01');
DELETE FROM soft_a WHERE id = 1;
DELETE FROM soft_b WHERE id = 1;
SELECT id, deleted_at IS NOT NULL AS deleted, sys_period FROM soft_a ORDER BY id;
SELECT id, deleted_at IS NOT NULL AS deleted, sys_period FROM soft_b ORDER BY id;
SELECT * FROM soft_a_history;
SELECT * FROM soft_b_history;

-- INSERT ... ON CONFLICT DO UPDATE, and MERGE
CREATE TABLE kv (k text PRIMARY KEY, v int, sys_period tstzrange);
SELECT orm_triggers.create_history_table('kv');
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON kv
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'kv_history');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO kv VALUES ('a', 1), ('b', 2), ('c', 3);
SELECT orm_triggers.set_system_time('2024-02-01');
INSERT INTO kv VALUES ('a', 10), ('d', 4) ON CONFLICT (k) DO UPDATE SET v = excluded.v;
SELECT orm_triggers.set_system_time('2024-03-01');
MERGE INTO kv USING (VALUES ('a', 100), ('b', NULL), ('e', 5)) AS s(k, v) ON kv.k = s.k
  WHEN MATCHED AND s.v IS NULL THEN DELETE
  WHEN MATCHED THEN UPDATE SET v = s.v
  WHEN NOT MATCHED THEN INSERT VALUES (s.k, s.v);
SELECT * FROM kv ORDER BY k;
SELECT * FROM kv_history ORDER BY k, sys_period;

-- ---------------------------------------------------------------------
-- TRUNCATE: the statement form closes every current version first
-- ---------------------------------------------------------------------
CREATE TRIGGER versioning_truncate BEFORE TRUNCATE ON kv
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'kv_history');
SELECT orm_triggers.set_system_time('2024-04-01');
BEGIN;
INSERT INTO kv VALUES ('f', 6);                        -- new in this transaction: no version
TRUNCATE kv;
COMMIT;
SELECT count(*) FROM kv;
SELECT * FROM kv_history WHERE upper(sys_period) = '2024-04-01' ORDER BY k;

-- ---------------------------------------------------------------------
-- AS OF reads, on both sides of every boundary
-- ---------------------------------------------------------------------
SELECT * FROM orm_triggers.create_as_of_functions('account');
SELECT * FROM orm_triggers.create_as_of_functions('account');  -- idempotent
SELECT t, array_remove(array_agg(id || ':' || balance ORDER BY id), NULL) AS rows
  FROM unnest(ARRAY['2023-12-31 23:59:59.999999+00', '2024-01-01', '2024-01-31 23:59:59.999999+00',
                    '2024-02-01', '2024-03-01', '2024-03-31 23:59:59.999999+00', '2024-04-01',
                    '2024-04-30 23:59:59.999999+00', '2024-05-01', '2030-01-01']::timestamptz[]) t
  LEFT JOIN LATERAL account__as_of(t) a ON true
 GROUP BY t ORDER BY t;
SELECT id, balance, sys_period FROM account__between('2024-02-01', '2024-03-01') ORDER BY id, sys_period;
SELECT id, balance, sys_period FROM account__from_to('2024-02-01', '2024-03-01') ORDER BY id, sys_period;
SELECT id, balance FROM account__from_to('2024-01-15', '2024-01-15') ORDER BY id;
-- inlined: the planner sees the tables, and history's index serves AS OF
-- (PostgreSQL 18 marks a node that enable_seqscan = off disabled; that line is left out)
CREATE FUNCTION vers.plan_of(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE l text;
BEGIN
  FOR l IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
    IF l !~ '^\s*Disabled: ' THEN RETURN NEXT l; END IF;
  END LOOP;
END $$;
SET enable_seqscan = off;
SELECT * FROM vers.plan_of($$SELECT * FROM account__as_of('2024-02-15')$$);
RESET enable_seqscan;
SELECT * FROM orm_triggers.create_as_of_functions('price');
SELECT * FROM price__as_of('2024-01-15') ORDER BY sku;
SELECT * FROM price__as_of('2024-02-15') ORDER BY sku;
SELECT sku, cents FROM price__between('2024-01-15', '2024-02-15') ORDER BY sku, cents;
SELECT * FROM orm_triggers.create_as_of_functions('local');
SELECT v FROM local__as_of('2024-01-15');
-- columns history lacks are NULL in history's rows
SELECT * FROM orm_triggers.create_as_of_functions('wide');
SELECT * FROM wide__as_of('2024-01-15');

-- ---------------------------------------------------------------------
-- attach(), the attached view, check_triggers()
-- ---------------------------------------------------------------------
CREATE TABLE att (id int PRIMARY KEY, sys_period tstzrange);
SELECT orm_triggers.create_history_table('att');
SELECT orm_triggers.attach('att', 'versioning', ARRAY['sys_period', 'att_history', 'true']);
SELECT orm_triggers.attach('att', 'versioning', ARRAY['sys_period', 'att_history', 'true']);
SELECT table_name, trigger_name, function_name, arguments, timing, level, events
  FROM orm_triggers.attached WHERE function_name = 'versioning' ORDER BY table_name::text, trigger_name;
SELECT * FROM orm_triggers.check_triggers();
SELECT orm_triggers.versioning_history(oid) FROM pg_trigger WHERE tgname = 'orm_versioning_sys_period';

-- ---------------------------------------------------------------------
-- a hostile search_path: a decoy history table in a schema the writer
-- puts first gets nothing; the trigger writes the one in the table's schema
-- ---------------------------------------------------------------------
CREATE SCHEMA decoy;
CREATE TABLE decoy.item_hist (LIKE vers.item_hist);
SET search_path = decoy, vers, public;
SELECT orm_triggers.set_system_time('2024-06-01');
UPDATE vers.item SET v = 'a4' WHERE id = 1;
SELECT count(*) AS decoy_rows FROM decoy.item_hist;
SELECT v, sys_period FROM vers.item_hist WHERE id = 1 ORDER BY sys_period;
SET search_path = vers, public;
RESET ROLE;

-- ---------------------------------------------------------------------
-- least privilege: a writer with no right on the history table still
-- versions its changes, and cannot read or change history.  History is
-- written as its owner: a default of current_user there names the owner.
-- ---------------------------------------------------------------------
CREATE ROLE ormt_vers_owner NOLOGIN;
CREATE ROLE ormt_vers_writer NOLOGIN;
CREATE TABLE vers.secret (id int PRIMARY KEY, v text, sys_period tstzrange);
CREATE TABLE vers.secret_history (LIKE vers.secret, written_by name DEFAULT current_user);
ALTER TABLE vers.secret OWNER TO ormt_vers_owner;
ALTER TABLE vers.secret_history OWNER TO ormt_vers_owner;
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON vers.secret
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'secret_history');
GRANT USAGE ON SCHEMA vers TO ormt_vers_writer, ormt_vers_owner;
GRANT SELECT, INSERT, UPDATE, DELETE ON vers.secret TO ormt_vers_writer;
SET ROLE ormt_vers_writer;
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO vers.secret VALUES (1, 'a');
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE vers.secret SET v = 'b';
SELECT orm_triggers.set_system_time('2024-02-15');
DELETE FROM vers.secret;
SELECT * FROM vers.secret_history;
DELETE FROM vers.secret_history;
RESET ROLE;
SELECT * FROM vers.secret_history ORDER BY sys_period;
-- the planned INSERT path (a CHECK constraint on history) too
ALTER TABLE vers.secret_history ADD CHECK (v <> '');
SET ROLE ormt_vers_writer;
SELECT orm_triggers.set_system_time('2024-03-01');
INSERT INTO vers.secret VALUES (2, 'c');
SELECT orm_triggers.set_system_time('2024-04-01');
UPDATE vers.secret SET v = 'd';
RESET ROLE;
SELECT * FROM vers.secret_history WHERE id = 2;
DROP TABLE vers.secret, vers.secret_history;
REVOKE ALL ON SCHEMA vers FROM ormt_vers_writer, ormt_vers_owner;
DROP ROLE ormt_vers_owner;
DROP ROLE ormt_vers_writer;
SELECT orm_triggers.set_system_time(NULL);

-- A BRIN index on history (from PostgreSQL 17 on BRIN keeps buffer pins
-- between inserts until the executor's end-of-statement cleanup, so such a
-- history table is written through the planned INSERT): the same history,
-- over several statements of one transaction, and nothing left pinned.
CREATE TABLE vers.brin_t (id int PRIMARY KEY, v text, sys_period tstzrange);
CREATE TABLE vers.brin_t_history (id int, v text, sys_period tstzrange);
CREATE INDEX ON vers.brin_t_history USING brin (id);
CREATE TRIGGER brin_t_versioning BEFORE INSERT OR UPDATE OR DELETE ON vers.brin_t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'brin_t_history');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO vers.brin_t SELECT g, 'a' FROM generate_series(1, 3) g;
BEGIN;
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE vers.brin_t SET v = 'b' WHERE id = 1;
SAVEPOINT s;
DELETE FROM vers.brin_t WHERE id = 2;
RELEASE s;
UPDATE vers.brin_t SET v = 'c' WHERE id = 3;
COMMIT;
SELECT id, v, sys_period FROM vers.brin_t_history ORDER BY id;
SELECT id, v, sys_period FROM vers.brin_t ORDER BY id;
DROP TABLE vers.brin_t, vers.brin_t_history;
SELECT orm_triggers.set_system_time(NULL);
