-- orm_triggers.audit, row form: rows wait for the end of their statement
-- and go in together; nothing may see the log without them, and nothing
-- rolled back may keep them.  Also key_hash and audit_relink().
SET client_min_messages = warning;
CREATE SCHEMA audit_b;
SET search_path = audit_b, public;
CREATE TABLE acct (id int PRIMARY KEY, balance int NOT NULL);
CREATE TRIGGER acct_audit AFTER INSERT OR UPDATE OR DELETE ON acct
  FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
-- entries of acct, in log order, without volatile columns
CREATE FUNCTION log_of() RETURNS TABLE (op text, key jsonb, old_values jsonb, new_values jsonb)
LANGUAGE sql AS $$
  SELECT op, key, old_values, new_values FROM orm_triggers.audit_log
   WHERE table_oid = 'audit_b.acct'::regclass ORDER BY id $$;

-- more rows than one write takes (1000): every one is there, in order, ids
-- increasing with the table's order of changes
INSERT INTO acct SELECT g, 0 FROM generate_series(1, 2500) g;
SELECT count(*) AS entries, count(DISTINCT id) AS ids,
       bool_and(key_hash = (key->>'id')::bigint) AS key_hash_is_the_id
  FROM orm_triggers.audit_log WHERE table_oid = 'acct'::regclass;
SELECT bool_and(prev_id < id AND prev_key < (key->>'id')::int) AS in_order
  FROM (SELECT id, key, lag(id) OVER w AS prev_id, lag((key->>'id')::int) OVER w AS prev_key
          FROM orm_triggers.audit_log WHERE table_oid = 'acct'::regclass WINDOW w AS (ORDER BY id)) s
 WHERE prev_id IS NOT NULL;
DELETE FROM acct WHERE id > 3;
TRUNCATE orm_triggers.audit_log;

-- a query that starts while rows wait sees them: another AFTER trigger
-- reading the log, fired after ours for every row
CREATE TABLE seen (id int, entries bigint);
CREATE FUNCTION count_entries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_b.seen SELECT NEW.id, count(*) FROM orm_triggers.audit_log
   WHERE table_oid = 'audit_b.acct'::regclass;
  RETURN NULL;
END $$;
CREATE TRIGGER zz_count AFTER UPDATE ON acct FOR EACH ROW EXECUTE FUNCTION count_entries();
UPDATE acct SET balance = balance + 1;
SELECT * FROM seen ORDER BY id;
DROP TRIGGER zz_count ON acct;

-- a trigger that changes the same row again: the log keeps the order of
-- the changes (the nested UPDATE's entry comes after the outer one)
CREATE FUNCTION bump_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.balance = 10 THEN
    UPDATE audit_b.acct SET balance = 11 WHERE id = NEW.id;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER zz_bump AFTER UPDATE ON acct FOR EACH ROW EXECUTE FUNCTION bump_once();
TRUNCATE orm_triggers.audit_log;
UPDATE acct SET balance = 10 WHERE id = 1;
SELECT * FROM log_of();
DROP TRIGGER zz_bump ON acct;

-- other triggers' subtransactions (EXCEPTION blocks): one that fails
-- takes its change and its entry with it, one that succeeds keeps both;
-- the outer statement's entries stay, and every entry kept is in the order
-- of the changes (row 1, row 2, then row 3 changed by the second fire)
CREATE FUNCTION try_overdraw() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    UPDATE audit_b.acct SET balance = -100 WHERE id = 3;
    RAISE EXCEPTION 'overdrawn';
  EXCEPTION WHEN raise_exception THEN
    NULL;
  END;
  IF NEW.id = 2 THEN
    BEGIN
      UPDATE audit_b.acct SET balance = 50 WHERE id = 3;
    EXCEPTION WHEN others THEN
      NULL;
    END;
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER zz_try AFTER UPDATE ON acct FOR EACH ROW WHEN (NEW.id < 3)
  EXECUTE FUNCTION try_overdraw();
TRUNCATE orm_triggers.audit_log;
UPDATE acct SET balance = 20 WHERE id < 3;
SELECT * FROM log_of();
SELECT * FROM acct ORDER BY id;
DROP TRIGGER zz_try ON acct;

-- an error while the triggers fire drops the entries waiting, in a
-- statement of its own or in a savepoint rolled back
CREATE FUNCTION fail_on_2() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id = 2 THEN
    RAISE EXCEPTION 'row 2 refused';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER zz_fail AFTER UPDATE ON acct FOR EACH ROW EXECUTE FUNCTION fail_on_2();
TRUNCATE orm_triggers.audit_log;
UPDATE acct SET balance = balance + 1;
SELECT count(*) AS entries FROM orm_triggers.audit_log;
BEGIN;
UPDATE acct SET balance = 30 WHERE id = 1;
SAVEPOINT s;
UPDATE acct SET balance = balance + 1;
ROLLBACK TO SAVEPOINT s;
UPDATE acct SET balance = 33 WHERE id = 3;
COMMIT;
SELECT * FROM log_of();
DROP TRIGGER zz_fail ON acct;

-- savepoints: entries of a rolled-back savepoint are gone, those before it stay
TRUNCATE orm_triggers.audit_log;
BEGIN;
UPDATE acct SET balance = 1 WHERE id = 1;
SAVEPOINT s;
UPDATE acct SET balance = 2 WHERE id = 2;
ROLLBACK TO SAVEPOINT s;
UPDATE acct SET balance = 3 WHERE id = 3;
RELEASE SAVEPOINT s;
COMMIT;
SELECT * FROM log_of();

-- a rolled-back transaction leaves nothing
TRUNCATE orm_triggers.audit_log;
BEGIN;
UPDATE acct SET balance = balance + 1;
ROLLBACK;
SELECT count(*) AS entries FROM orm_triggers.audit_log;

-- COPY fires the row triggers without an executor of its own: the next
-- command (a query, or COPY of the log itself) sees every entry
TRUNCATE orm_triggers.audit_log;
COPY acct FROM stdin;
10	100
11	110
\.
COPY (SELECT op, key, new_values FROM orm_triggers.audit_log ORDER BY id) TO stdout;
BEGIN;
COPY acct FROM stdin;
12	120
\.
COPY orm_triggers.audit_log (op, key, new_values) TO stdout;
COMMIT;

-- TRUNCATE of the log right after a COPY, in one transaction: the COPY's
-- entries are written before the TRUNCATE, never after it
BEGIN;
COPY acct FROM stdin;
13	130
\.
TRUNCATE orm_triggers.audit_log;
COMMIT;
SELECT count(*) AS entries_after_truncate FROM orm_triggers.audit_log;

-- a prepared transaction keeps its entries
BEGIN;
COPY acct FROM stdin;
14	140
\.
PREPARE TRANSACTION 'ormt_audit_batching';
COMMIT PREPARED 'ormt_audit_batching';
SELECT * FROM log_of();

-- the first statement of a session that loads the library: its entries
-- wait past its own end (the executor hooks were not there when it
-- started), and the next query still sees them
\c
SET client_min_messages = warning;
SET search_path = audit_b, public;
TRUNCATE orm_triggers.audit_log;
\c
SET client_min_messages = warning;
SET search_path = audit_b, public;
BEGIN;
UPDATE acct SET balance = 42 WHERE id = 1;
SELECT op, new_values FROM orm_triggers.audit_log;
COMMIT;

-- key_hash: the number itself for a key of one integral number, else
-- jsonb's hash; equal keys (as jsonb) always hash alike
SELECT orm_triggers.audit_key_hash('{"id": 5}') AS int_key,
       orm_triggers.audit_key_hash('{"id": 5.000}') AS same_number,
       orm_triggers.audit_key_hash('{"id": -9223372036854775808}') AS int8_min,
       orm_triggers.audit_key_hash('{"id": "5"}') = 5 AS string_is_not_the_number,
       orm_triggers.audit_key_hash('{"id": 5.5}') = orm_triggers.audit_key_hash('{"id": 5.50}') AS equal_numbers,
       orm_triggers.audit_key_hash('{"a": 1, "b": 2}') = orm_triggers.audit_key_hash('{"b": 2, "a": 1}') AS key_order,
       orm_triggers.audit_key_hash('{"id": 9223372036854775808}') = orm_triggers.audit_key_hash('{"id": 9223372036854775808.0}') AS beyond_int8,
       orm_triggers.audit_key_hash(NULL) IS NULL AS strict;
-- stored key_hash equals audit_key_hash(key) for every entry of every test so far
SELECT count(*) FILTER (WHERE key_hash <> COALESCE(orm_triggers.audit_key_hash(key), 0)) AS mismatches
  FROM orm_triggers.audit_log;

-- an UPDATE that changes the key: old_key_hash is the old key's, and only
-- there; the old key's history ends with it, the new key's starts with it
UPDATE acct SET id = 101 WHERE id = 1;
UPDATE acct SET balance = 6 WHERE id = 101;
SELECT op, key, key_hash, old_key_hash FROM orm_triggers.audit_log ORDER BY id DESC LIMIT 3;
SELECT op, key FROM orm_triggers.row_history('acct', '{"id": 1}') ORDER BY id DESC LIMIT 2;
SELECT orm_triggers.row_as_of('acct', '{"id": 1}', now()) AS old_key_now,
       orm_triggers.row_as_of('acct', '{"id": 101}', now()) AS new_key_now;
UPDATE acct SET id = 1 WHERE id = 101;
-- the direct write keeps that partial index exact (its predicate is
-- evaluated per row): every key change is in it (amcheck), nothing else is
-- (counted through the index against the table)
CREATE EXTENSION IF NOT EXISTS amcheck;
SELECT 'complete' AS moves_idx FROM (SELECT bt_index_check('orm_triggers.audit_log_moves_idx', true)) s;
DROP EXTENSION amcheck;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM orm_triggers.audit_log WHERE old_key_hash IS NOT NULL;
SELECT count(*) AS in_moves_idx FROM orm_triggers.audit_log WHERE old_key_hash IS NOT NULL;
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT count(*) FILTER (WHERE old_key_hash IS NOT NULL) AS key_changes, count(*) > 2 AS other_entries
  FROM orm_triggers.audit_log;

-- audit_relink: entries whose table_oid is stale (as after a logical
-- restore) are pointed at the table that now has their logged name
TRUNCATE orm_triggers.audit_log;
UPDATE acct SET balance = 5 WHERE id = 1;
UPDATE orm_triggers.audit_log SET table_oid = 4000000000 WHERE table_oid = 'acct'::regclass;
SELECT count(*) AS rows_found_before FROM orm_triggers.row_history('acct', '{"id": 1}');
SELECT orm_triggers.audit_relink() AS relinked;
SELECT op, new_values FROM orm_triggers.row_history('acct', '{"id": 1}');
SELECT orm_triggers.audit_relink() AS relinked_again;
-- a table renamed since keeps its entries (its logged name resolves to nothing)
ALTER TABLE acct RENAME TO acct2;
SELECT orm_triggers.audit_relink() AS relinked_after_rename,
       count(*) AS still_found FROM orm_triggers.row_history('acct2', '{"id": 1}');
ALTER TABLE acct2 RENAME TO acct;
-- PUBLIC may not run it
SET ROLE ormt_app;
SELECT orm_triggers.audit_relink();
RESET ROLE;

DROP SCHEMA audit_b CASCADE;
TRUNCATE orm_triggers.audit_log;
