-- The per-trigger cache frees the entries of dropped triggers: a backend
-- that creates, fires and drops triggers over and over keeps a bounded
-- number of entries.  Each built entry owns a memory context named
-- "orm_triggers trigger entry" (its identifier is the trigger's name), so
-- the entries are counted in pg_backend_memory_contexts.
CREATE SCHEMA ormt_cache AUTHORIZATION ormt_app;
SET search_path = ormt_cache;
SET orm_triggers.validate_ddl = off;
CREATE TABLE t (id int PRIMARY KEY, x text, updated_at timestamptz);
CREATE TABLE keep (id int PRIMARY KEY, updated_at timestamptz);
CREATE TRIGGER keep_lm BEFORE INSERT OR UPDATE ON keep
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
INSERT INTO keep VALUES (1, NULL);

CREATE VIEW entries AS
    SELECT count(*) AS entries, string_agg(ident, ', ' ORDER BY ident) AS triggers
      FROM pg_backend_memory_contexts
     WHERE name = 'orm_triggers trigger entry';
SELECT * FROM entries;

-- 30 triggers, each created, fired once and dropped, each statement its
-- own transaction
SELECT format('CREATE TRIGGER cyc_%s BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified(''updated_at'')', g),
       format('INSERT INTO t VALUES (%s, ''a'')', g),
       format('DROP TRIGGER cyc_%s ON t', g)
  FROM generate_series(1, 30) g
\gexec
-- the last one dropped is freed at the next lookup that builds an entry
SELECT * FROM entries;
UPDATE keep SET id = id;
SELECT * FROM entries;
-- each of them fired
SELECT count(*) AS rows, count(updated_at) AS stamped FROM t;

-- a DROP TRIGGER rolled back: the entry is rebuilt at the next fire
CREATE TRIGGER back_lm BEFORE INSERT OR UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
UPDATE t SET x = 'b' WHERE id = 1;
BEGIN;
DROP TRIGGER back_lm ON t;
UPDATE keep SET id = id;
ROLLBACK;
UPDATE keep SET id = id;
UPDATE t SET x = 'c', updated_at = NULL WHERE id = 1;
SELECT updated_at IS NOT NULL AS stamped FROM t WHERE id = 1;
SELECT * FROM entries;
-- dropped in a transaction that also fires other triggers: freed at commit
BEGIN;
DROP TRIGGER back_lm ON t;
UPDATE keep SET id = id;
COMMIT;
SELECT * FROM entries;

-- a trigger dropped while its statement runs (by a row trigger that fires
-- after it, on the first row) still works for the statement's other rows,
-- and is freed later
CREATE TRIGGER self_lm BEFORE UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
CREATE FUNCTION drop_self() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DROP TRIGGER self_lm ON ormt_cache.t;
    UPDATE ormt_cache.keep SET id = id;
    RETURN NEW;
END $$;
CREATE TRIGGER t_drop BEFORE UPDATE ON t
    FOR EACH ROW WHEN (OLD.id = 1) EXECUTE FUNCTION drop_self();
UPDATE t SET x = 'd', updated_at = NULL WHERE id IN (1, 2);
SELECT id, updated_at IS NOT NULL AS stamped FROM t WHERE id IN (1, 2) ORDER BY id;
SELECT count(*) AS self_left FROM pg_trigger WHERE tgname = 'self_lm';
UPDATE keep SET id = id;
SELECT * FROM entries;

DROP SCHEMA ormt_cache CASCADE;
