-- orm_triggers.audit: row and statement forms give the same log; key
-- changes, ON CONFLICT, MERGE, COPY, partitions, ALTER TABLE, replay.
SET client_min_messages = warning;
CREATE SCHEMA audit_f;
SET search_path = audit_f, public;
-- a table's entries in a comparable order (per key, oldest first)
CREATE FUNCTION log_of(t regclass) RETURNS TABLE (op text, key jsonb, old_values jsonb, new_values jsonb)
LANGUAGE sql AS $$
  SELECT op, key, old_values, new_values FROM orm_triggers.audit_log
   WHERE table_oid = t ORDER BY key::text, id $$;

CREATE TABLE r (id int PRIMARY KEY, name text, qty int, tags text[]);
CREATE TABLE s (LIKE r INCLUDING ALL);
CREATE TRIGGER r_audit AFTER INSERT OR UPDATE OR DELETE ON r
  FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER s_ins AFTER INSERT ON s REFERENCING NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER s_upd AFTER UPDATE ON s REFERENCING OLD TABLE AS o NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER s_del AFTER DELETE ON s REFERENCING OLD TABLE AS o
  FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER s_trunc AFTER TRUNCATE ON s
  FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();

CREATE PROCEDURE workload(t regclass) LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('INSERT INTO %s SELECT g, ''n'' || g, g, ARRAY[''a'', g::text] FROM generate_series(1, 6) g', t);
  EXECUTE format('UPDATE %s SET qty = qty * 10 WHERE id <= 3', t);
  EXECUTE format('UPDATE %s SET qty = qty', t);                         -- no-op: nothing logged
  EXECUTE format('UPDATE %s SET id = id + 100, name = upper(name) WHERE id IN (2, 4, 5)', t);  -- key changes
  EXECUTE format('INSERT INTO %s VALUES (1, ''dup'', 0, NULL), (7, ''new'', 7, NULL)
                  ON CONFLICT (id) DO UPDATE SET qty = excluded.qty, tags = NULL', t);
  EXECUTE format('MERGE INTO %s AS x USING (VALUES (3, 30), (6, -1), (8, 80)) AS v(id, q) ON x.id = v.id
                  WHEN MATCHED AND v.q < 0 THEN DELETE
                  WHEN MATCHED THEN UPDATE SET qty = v.q + 1
                  WHEN NOT MATCHED THEN INSERT VALUES (v.id, ''merged'', v.q, ''{}'')', t);
  EXECUTE format('DELETE FROM %s WHERE id > 100', t);
END $$;
CALL workload('r');
CALL workload('s');
COPY r FROM stdin;
50	copied	5	{x}
51	"q"	\N	\N
\.
COPY s FROM stdin;
50	copied	5	{x}
51	"q"	\N	\N
\.
SELECT * FROM log_of('r');
-- the same log from both forms
SELECT (SELECT array_agg(l) FROM log_of('r') l) = (SELECT array_agg(l) FROM log_of('s') l) AS same_log,
       (SELECT count(*) FROM log_of('r')) AS entries;
-- the statement form writes one log INSERT per statement (and event): all
-- rows it logs share logged_at
SELECT count(DISTINCT logged_at) AS statement_fires
  FROM orm_triggers.audit_log WHERE table_oid = 's'::regclass;
TRUNCATE s;
SELECT op, key FROM orm_triggers.audit_log WHERE table_oid = 's'::regclass ORDER BY id DESC LIMIT 1;

-- row_history and row_as_of follow a key change
SELECT op, key, old_values, new_values FROM orm_triggers.row_history('r', '{"id": 2}');
SELECT orm_triggers.row_as_of('r', '{"id": 2}', now()) AS gone,
       orm_triggers.row_as_of('r', '{"id": 1}', now()) AS one,
       orm_triggers.row_as_of('r', '{"id": 3}', '-infinity') AS before_all;

-- partitions: logged under the root, columns matched by name whatever the
-- order and dropped columns of each partition
CREATE TABLE p (id int, region text, v int, note text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE p_eu (note text, dropme int, v int, region text NOT NULL, id int NOT NULL);
ALTER TABLE p_eu DROP COLUMN dropme;
CREATE TRIGGER p_audit AFTER INSERT OR UPDATE OR DELETE ON p
  FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('exclude=note');
ALTER TABLE p ATTACH PARTITION p_eu FOR VALUES IN ('eu');
CREATE TABLE p_us PARTITION OF p FOR VALUES IN ('us');
INSERT INTO p VALUES (1, 'eu', 10, 'secret'), (2, 'us', 20, 'secret');
UPDATE p SET v = v + 1;
UPDATE p SET region = 'us' WHERE id = 1;       -- moves partitions: row triggers see DELETE + INSERT
-- ALTER TABLE after attach: new, renamed and dropped columns are followed
ALTER TABLE p ADD COLUMN extra int DEFAULT 7;
ALTER TABLE p RENAME COLUMN v TO val;
UPDATE p SET val = val * 2, extra = 8 WHERE id = 2;
ALTER TABLE p DROP COLUMN extra;
DELETE FROM p;
SELECT table_name, op, key, old_values, new_values FROM orm_triggers.audit_log
 WHERE table_oid = 'p'::regclass ORDER BY id;
SELECT count(*) AS leaf_entries FROM orm_triggers.audit_log
 WHERE table_oid IN ('p_eu'::regclass, 'p_us'::regclass);

-- the statement form on a partitioned table: one UPDATE for the move
CREATE TABLE q (id int, region text, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE q_eu (v int, region text NOT NULL, id int NOT NULL);
ALTER TABLE q ATTACH PARTITION q_eu FOR VALUES IN ('eu');
CREATE TABLE q_us PARTITION OF q FOR VALUES IN ('us');
CREATE TRIGGER q_ins AFTER INSERT ON q REFERENCING NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER q_upd AFTER UPDATE ON q REFERENCING OLD TABLE AS o NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
INSERT INTO q VALUES (1, 'eu', 10), (2, 'us', 20);
UPDATE q SET region = 'us', v = 11 WHERE id = 1;
SELECT table_name, op, key, old_values, new_values FROM orm_triggers.audit_log
 WHERE table_oid = 'q'::regclass ORDER BY id;

-- replay: after a seeded random workload, folding the log with row_as_of
-- gives every key's current row (or NULL for a deleted one)
CREATE TABLE rp (id int PRIMARY KEY, a int, b text, c numeric);
CREATE TABLE sp (LIKE rp INCLUDING ALL);
CREATE TRIGGER rp_audit AFTER INSERT OR UPDATE OR DELETE ON rp
  FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER sp_ins AFTER INSERT ON sp REFERENCING NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER sp_upd AFTER UPDATE ON sp REFERENCING OLD TABLE AS o NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER sp_del AFTER DELETE ON sp REFERENCING OLD TABLE AS o
  FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE PROCEDURE random_workload(t regclass, n int) LANGUAGE plpgsql AS $$
DECLARE
  k int;
BEGIN
  PERFORM setseed(0.42);
  FOR i IN 1 .. n LOOP
    k := 1 + floor(random() * 40)::int;
    CASE floor(random() * 6)::int
      WHEN 0, 1 THEN
        EXECUTE format('INSERT INTO %s VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET a = excluded.a', t)
          USING k, floor(random() * 100)::int, md5(random()::text), round(random()::numeric, 3);
      WHEN 2 THEN
        EXECUTE format('UPDATE %s SET a = a + 1, c = NULL WHERE id BETWEEN $1 AND $1 + 5', t) USING k;
      WHEN 3 THEN
        EXECUTE format('UPDATE %s SET b = NULL WHERE id = $1', t) USING k;
      WHEN 4 THEN
        EXECUTE format('UPDATE %s SET id = id + 40 WHERE id = $1 AND NOT EXISTS (SELECT FROM %s WHERE id = $1 + 40)', t, t) USING k;
      ELSE
        EXECUTE format('DELETE FROM %s WHERE id %% 7 = $1 %% 7 AND id > $1', t) USING k;
    END CASE;
  END LOOP;
END $$;
CALL random_workload('rp', 400);
CALL random_workload('sp', 400);
SELECT (SELECT count(*) FROM rp) AS rows_left,
       (SELECT count(*) FROM orm_triggers.audit_log WHERE table_oid = 'rp'::regclass) > 400 AS many_entries,
       (SELECT count(DISTINCT op) FROM orm_triggers.audit_log WHERE table_oid = 'rp'::regclass) AS ops;
CREATE FUNCTION replay_mismatches(t regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE format($q$
    WITH keys AS (SELECT DISTINCT key FROM orm_triggers.audit_log WHERE table_oid = %L::regclass),
         live AS (SELECT jsonb_build_object('id', x.id) AS key, to_jsonb(x) AS row FROM %s x)
    SELECT count(*) FROM keys k FULL JOIN live l ON l.key = k.key
     WHERE orm_triggers.row_as_of(%L, coalesce(k.key, l.key), now()) IS DISTINCT FROM l.row $q$, t, t, t)
    INTO n;
  RETURN n;
END $$;
SELECT replay_mismatches('rp') AS row_form_mismatches, replay_mismatches('sp') AS statement_form_mismatches;
SELECT (SELECT array_agg(l) FROM log_of('rp') l) = (SELECT array_agg(l) FROM log_of('sp') l) AS same_log;
-- and it can fail: a tampered log no longer replays
UPDATE orm_triggers.audit_log SET new_values = new_values || '{"a": -1}'
 WHERE id = (SELECT max(id) FROM orm_triggers.audit_log WHERE table_oid = 'rp'::regclass AND op = 'INSERT');
SELECT replay_mismatches('rp') > 0 AS tampered_detected;
-- every entry's key_hash is audit_key_hash(key), 0 for no key (composite,
-- text, numeric and partitioned keys among them)
SELECT count(*) FILTER (WHERE key_hash <> COALESCE(orm_triggers.audit_key_hash(key), 0)) AS key_hash_mismatches,
       count(*) > 0 AS some_entries
  FROM orm_triggers.audit_log;
