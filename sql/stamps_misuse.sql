-- Every misuse of the row-stamping functions fails on the first fire with a
-- pinned SQLSTATE, message, detail and hint.
CREATE SCHEMA ormt_mu AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = ormt_mu;
-- Misconfigured triggers here are meant to fail at their first fire; the DDL
-- event trigger would reject them at CREATE TRIGGER already (see helpers.sql).
SET orm_triggers.validate_ddl = off;

-- Create a trigger and fire it in a subtransaction, then print the error
-- (SQLSTATE: message, detail, hint).  Everything is rolled back, also when
-- there is no error.
CREATE FUNCTION misuse(ddl text, dml text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
    EXECUTE ddl;
    EXECUTE dml;
    RAISE EXCEPTION 'no error' USING ERRCODE = 'ZZ000';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    IF st = 'ZZ000' THEN
        RAISE NOTICE 'no error';
    ELSE
        RAISE NOTICE E'%: %\nDETAIL:  %\nHINT:  %', st, msg, det, hnt;
    END IF;
END $$;

CREATE TABLE t (id int PRIMARY KEY, x text, ts timestamptz, d date, n int,
                g int GENERATED ALWAYS AS (n * 2) STORED, flag boolean);
INSERT INTO t (id, x) VALUES (1, 'a');

-- ---------------------------------------------------------------- calling directly
SELECT orm_triggers.update_last_modified();
SELECT orm_triggers.set_created_at();
SELECT orm_triggers.protect_columns();
SELECT orm_triggers.set_actor();
-- with the SQLSTATE, directly and from PL/pgSQL
SELECT misuse('SELECT 1', 'SELECT orm_triggers.set_actor()');
CREATE FUNCTION call_it() RETURNS void LANGUAGE plpgsql AS $$
BEGIN PERFORM orm_triggers.update_last_modified(); END $$;
SELECT misuse('SELECT 1', 'SELECT ormt_mu.call_it()');

-- ---------------------------------------------------------------- update_last_modified
-- timing
SELECT misuse($$CREATE TRIGGER bad AFTER UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts')$$,
              'UPDATE ormt_mu.t SET x = x');
-- level
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.update_last_modified('ts')$$,
              'UPDATE ormt_mu.t SET x = x');
-- a statement trigger fires even when no row matches
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.update_last_modified('ts')$$,
              'UPDATE ormt_mu.t SET x = x WHERE false');
SELECT misuse($$CREATE TRIGGER bad BEFORE TRUNCATE ON ormt_mu.t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.update_last_modified('ts')$$,
              'TRUNCATE ormt_mu.t');
-- events: DELETE is not allowed, whichever event fires first
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE OR DELETE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts')$$,
              'DELETE FROM ormt_mu.t');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE OR DELETE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE DELETE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts')$$,
              'DELETE FROM ormt_mu.t');
-- UPDATE is required
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts')$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);
-- arguments
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified()$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('always=true')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('nope')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('TS')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified(' ts')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('xmin')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ctid')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('g')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('x')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'n')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'ts')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', '"ts"')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('"ts')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('""')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('"ts" x')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('')$$,
              'UPDATE ormt_mu.t SET x = x');
-- options
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'bogus=1')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'mode=keep')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'Always=true')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'always = true')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'always=')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'always=maybe')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'always=true', 'always=false')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'ignore=')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'ignore=x,')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'ignore=x,,n')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'ignore="x')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'ignore=x,nope')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'ignore=xmin')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'ignore=x', 'ignore=n')$$,
              'UPDATE ormt_mu.t SET x = x');
-- a column of the wrong type named through a domain over text
CREATE DOMAIN not_a_time AS text;
ALTER TABLE t ADD COLUMN dom not_a_time;
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('dom')$$,
              'UPDATE ormt_mu.t SET x = x');
-- timetz and interval are not timestamps either
ALTER TABLE t ADD COLUMN ttz timetz;
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ttz')$$,
              'UPDATE ormt_mu.t SET x = x');
ALTER TABLE t ADD COLUMN tsa timestamptz[];
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('tsa')$$,
              'UPDATE ormt_mu.t SET x = x');

-- ---------------------------------------------------------------- set_created_at
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('ts')$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('ts')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad AFTER INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('ts')$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.set_created_at('ts')$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('ts')$$,
              'DELETE FROM ormt_mu.t');
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at()$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('ts', 'd')$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('ts', 'always=true')$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('flag')$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('g')$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('tableoid')$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);

-- ---------------------------------------------------------------- protect_columns
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('x')$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('x')$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);
SELECT misuse($$CREATE TRIGGER bad AFTER UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('x')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.protect_columns('x')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns()$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('mode=keep')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('x', 'mode=ignore')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('x', 'mode=KEEP')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('x', 'mode=keep', 'mode=error')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('x', 'n', 'x')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('x', 'g')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('x', 'nope')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('oid')$$,
              'UPDATE ormt_mu.t SET x = x');

-- ---------------------------------------------------------------- set_actor
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('x')$$,
              $$INSERT INTO ormt_mu.t (id) VALUES (2)$$);
SELECT misuse($$CREATE TRIGGER bad AFTER INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('x')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.set_actor('x')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('x', 'on=update')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('x', 'on=')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('x', 'n')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('on=insert')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('ts')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('flag')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('g')$$,
              'UPDATE ormt_mu.t SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('cmin')$$,
              'UPDATE ormt_mu.t SET x = x');

-- ---------------------------------------------------------------- views
CREATE VIEW v AS SELECT id, x, ts FROM t;
SELECT misuse($$CREATE TRIGGER bad INSTEAD OF UPDATE ON ormt_mu.v FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts')$$,
              'UPDATE ormt_mu.v SET x = x');
SELECT misuse($$CREATE TRIGGER bad INSTEAD OF INSERT ON ormt_mu.v FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('ts')$$,
              $$INSERT INTO ormt_mu.v (id) VALUES (3)$$);
-- an automatically updatable view fires the base table's triggers, not the
-- view's statement triggers; with an INSTEAD OF row trigger it fires them
CREATE FUNCTION v_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO ormt_mu.t (id, x, ts) VALUES (NEW.id, NEW.x, NEW.ts);
    ELSE
        UPDATE ormt_mu.t SET x = NEW.x, ts = NEW.ts WHERE id = OLD.id;
    END IF;
    RETURN NEW;
END $$;
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.v FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.protect_columns('x')$$,
              'UPDATE ormt_mu.v SET x = x');
CREATE TRIGGER v_write INSTEAD OF INSERT OR UPDATE ON v
    FOR EACH ROW EXECUTE FUNCTION v_write();
SELECT misuse($$CREATE TRIGGER bad BEFORE UPDATE ON ormt_mu.v FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.protect_columns('x')$$,
              'UPDATE ormt_mu.v SET x = x');
SELECT misuse($$CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON ormt_mu.v FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.set_actor('x')$$,
              $$INSERT INTO ormt_mu.v (id) VALUES (3)$$);

-- ---------------------------------------------------------------- after misuse
-- a failed first fire leaves nothing behind: a right trigger works
CREATE TRIGGER good BEFORE INSERT OR UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'd');
BEGIN;
UPDATE t SET x = 'changed';
SELECT ts = now() AS ts_now, d = current_date AS d_today FROM t;
ROLLBACK;
-- a trigger that failed its first fire fails the same way the second time
-- (the cache does not keep a half-built entry)
CREATE TRIGGER bad2 BEFORE UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('x', 'nope');
UPDATE t SET x = x;
UPDATE t SET x = x;
-- and after the cause is fixed it works
ALTER TABLE t ADD COLUMN nope int;
UPDATE t SET x = 'y';
SELECT x FROM t;

RESET ROLE;
RESET search_path;
DROP SCHEMA ormt_mu CASCADE;
