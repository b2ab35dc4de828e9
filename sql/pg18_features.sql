-- PostgreSQL 18 features that meet the triggers: virtual generated columns
-- (18's default kind of generated column) and RETURNING old/new.  Runs on 18
-- and later only (the Makefile leaves pg18_* out of REGRESS before 18: 15
-- cannot parse this file).
SET client_min_messages = warning;
CREATE SCHEMA pg18 AUTHORIZATION ormt_app;
GRANT USAGE ON SCHEMA pg18 TO PUBLIC;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;
SELECT public.dblink_connect('listener18',
    format('host=%s port=%s dbname=%s user=%s',
           split_part(current_setting('unix_socket_directories'), ',', 1),
           current_setting('port'), current_database(), current_user));
SELECT public.dblink_exec('listener18', 'LISTEN orm_triggers');
-- what the listener has received since the last call
CREATE FUNCTION pg18.received() RETURNS SETOF json LANGUAGE plpgsql AS $$
BEGIN
  PERFORM * FROM public.dblink('listener18', 'SELECT 1') AS r(x int);
  RETURN QUERY SELECT n.extra::json FROM public.dblink_get_notify('listener18') n;
END $$;
-- the log entries of a table, without volatile columns (the tables' owner
-- may not read the log: a superuser's function)
CREATE FUNCTION pg18.log_of(t regclass) RETURNS TABLE (op text, key jsonb, old_values jsonb, new_values jsonb)
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT op, key, old_values, new_values FROM orm_triggers.audit_log
   WHERE table_oid = t ORDER BY id $$;
SET ROLE ormt_app;
SET search_path = pg18;

-- ---------------------------------------------------------------------
-- Virtual generated columns
-- ---------------------------------------------------------------------
-- GENERATED ALWAYS AS (...) without STORED is virtual in 18: computed when
-- read, never stored, never computed for a trigger.
CREATE TABLE line (
    id int PRIMARY KEY,
    qty int NOT NULL,
    price numeric NOT NULL,
    total numeric GENERATED ALWAYS AS (qty * price),
    total_stored numeric GENERATED ALWAYS AS (qty * price) STORED,
    note text,
    created_at timestamptz,
    updated_at timestamptz,
    updated_by text,
    version int,
    deleted_at timestamptz);
SELECT attname, attgenerated FROM pg_attribute
 WHERE attrelid = 'line'::regclass AND attgenerated <> '' ORDER BY attnum;

-- (naming a virtual column where a value is needed: pg18_errors)

-- every trigger on the table, each naming only regular columns (a virtual
-- column in an ignore= list is fine: it is never compared anyway)
CREATE TRIGGER l1_created BEFORE INSERT OR UPDATE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('created_at');
CREATE TRIGGER l2_updated BEFORE INSERT OR UPDATE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at', 'ignore=note,total');
CREATE TRIGGER l3_actor BEFORE INSERT OR UPDATE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('updated_by');
CREATE TRIGGER l4_version BEFORE INSERT OR UPDATE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version');
CREATE TRIGGER l5_soft BEFORE DELETE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');
CREATE TRIGGER l6_audit AFTER INSERT OR UPDATE OR DELETE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('exclude=created_at,updated_at');
CREATE TRIGGER l7_notify AFTER INSERT OR UPDATE OR DELETE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change();
SELECT count(*) FROM received();

SET orm_triggers.actor = 'vg';
BEGIN;
INSERT INTO line (id, qty, price, note) VALUES (1, 2, 1.50, 'a'), (2, 1, 10, 'b');
SELECT id, qty, price, total, total_stored, created_at = now() AS created,
       updated_at = now() AS updated, updated_by, version, deleted_at
  FROM line ORDER BY id;
COMMIT;
-- audit: the virtual column is not in the log (its value is never computed
-- for a trigger); the stored one is
SELECT * FROM log_of('line');
-- notify_change: no virtual column in the payload either
SELECT p->>'op' AS op, p->'key' AS key, p->'changed' AS changed FROM received() p;

-- an UPDATE of a base column changes the virtual column's value: the base
-- column (and the stored generated one) are what the triggers see change
UPDATE line SET qty = 3 WHERE id = 1;
SELECT id, total, total_stored, version FROM line WHERE id = 1;
SELECT * FROM log_of('line') OFFSET 2;
SELECT p->>'op' AS op, p->'changed' AS changed FROM received() p;
-- an UPDATE that changes only an ignored column: no updated_at bump (the
-- version still counts every UPDATE)
BEGIN;
SELECT updated_at AS before_update FROM line WHERE id = 2 \gset
UPDATE line SET note = 'bb' WHERE id = 2;
SELECT updated_at = :'before_update' AS not_bumped, version FROM line WHERE id = 2;
COMMIT;
SELECT * FROM log_of('line') OFFSET 3;
SELECT p->>'op' AS op, p->'changed' AS changed FROM received() p;

-- the statement form reads transition tables: the same rule
CREATE TABLE stmt_line (id int PRIMARY KEY, qty int, price numeric,
                        total numeric GENERATED ALWAYS AS (qty * price));
CREATE TRIGGER s_ins AFTER INSERT ON stmt_line REFERENCING NEW TABLE AS n
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER s_upd AFTER UPDATE ON stmt_line REFERENCING OLD TABLE AS o NEW TABLE AS n
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER s_del AFTER DELETE ON stmt_line REFERENCING OLD TABLE AS o
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER s_ntf AFTER UPDATE ON stmt_line REFERENCING OLD TABLE AS o NEW TABLE AS n
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.notify_change();
INSERT INTO stmt_line (id, qty, price) VALUES (1, 2, 3), (2, 4, 5);
UPDATE stmt_line SET price = price + 1;
DELETE FROM stmt_line WHERE id = 2;
SELECT * FROM log_of('stmt_line');
SELECT p->>'op' AS op, p->>'count' AS count FROM received() p;

-- notify_change('columns=...') may name a stored generated column (its
-- value is computed before AFTER triggers run); a virtual one is an error
-- (pg18_errors)
CREATE TABLE nv (id int PRIMARY KEY, a int,
                 v int GENERATED ALWAYS AS (a * 10),
                 s int GENERATED ALWAYS AS (a * 100) STORED);
CREATE TRIGGER nv_s AFTER INSERT ON nv
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('columns=s');
INSERT INTO nv (id, a) VALUES (1, 1);
SELECT p->'values' AS "values" FROM received() p;
DROP TRIGGER nv_s ON nv;
-- ... and audit's exclude= may name either (excluding is always possible)
CREATE TRIGGER nv_a AFTER INSERT ON nv
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('exclude=v,s');
INSERT INTO nv (id, a) VALUES (3, 3);
SELECT * FROM log_of('nv');
DROP TRIGGER nv_a ON nv;
-- full=true: whole rows, still without the virtual column
CREATE TRIGGER nv_f AFTER UPDATE ON nv
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('full=true');
UPDATE nv SET a = 4 WHERE id = 3;
SELECT * FROM log_of('nv') OFFSET 1;

-- ---------------------------------------------------------------------
-- RETURNING old.*, new.*
-- ---------------------------------------------------------------------
-- RETURNING shows the row as the BEFORE triggers left it: new.* carries
-- the stamps, the version and the actor the triggers wrote, old.* the row
-- before the statement
SET orm_triggers.actor = 'returning';
UPDATE line SET qty = 4 WHERE id = 1
RETURNING old.qty AS old_qty, new.qty AS new_qty, old.total AS old_total, new.total AS new_total,
          old.version AS old_version, new.version AS new_version,
          old.updated_by AS old_by, new.updated_by AS new_by,
          new.updated_at = now() AS new_stamped, old.created_at = new.created_at AS created_kept;
-- an UPDATE that tries to change created_at: set_created_at keeps the old
-- value, and new.* says so
UPDATE line SET created_at = '2000-01-01' WHERE id = 1
RETURNING old.created_at = new.created_at AS created_kept, new.created_at <> '2000-01-01' AS not_overwritten;
-- the ORM's own stored + 1: kept
UPDATE line SET version = 5, qty = 5 WHERE id = 1 RETURNING old.version, new.version;
-- a stale version: 40001, no row returned
UPDATE line SET version = 2, qty = 6 WHERE id = 1 RETURNING old.version, new.version;

-- a soft-deleted row: the DELETE is cancelled (the trigger returned NULL),
-- so DELETE ... RETURNING gives no row at all, old or new; the row is
-- still there, marked
SELECT count(*) AS earlier_notifications FROM received();
DELETE FROM line WHERE id = 2 RETURNING old.id, old.deleted_at, new.id, new.deleted_at;
SELECT id, deleted_at IS NOT NULL AS soft_deleted, version, updated_by FROM line WHERE id = 2;
-- what the soft delete logged: an UPDATE of the marker (through the
-- table's own UPDATE triggers), no DELETE
SELECT op, key, old_values, new_values - 'deleted_at' AS new_values,
       new_values ? 'deleted_at' AS marker_logged
  FROM (SELECT *, row_number() OVER () AS n FROM log_of('line')) l
 ORDER BY n DESC LIMIT 1;
SELECT p->>'op' AS op, p->'changed' AS changed FROM received() p;
-- a hard delete returns old.* and a null new.*
BEGIN;
SET LOCAL orm_triggers.hard_delete = on;
DELETE FROM line WHERE id = 2
RETURNING old.id, old.qty, old.total, old.deleted_at IS NOT NULL AS was_marked, new.id IS NULL AS no_new;
ROLLBACK;
-- MERGE ... RETURNING: a soft-deleting DELETE action returns no row, the
-- UPDATE action returns old and new as the triggers left them
MERGE INTO line l USING (VALUES (1, 'upd'), (2, 'del')) s(id, what) ON l.id = s.id
  WHEN MATCHED AND s.what = 'del' THEN DELETE
  WHEN MATCHED THEN UPDATE SET qty = l.qty + 1
RETURNING merge_action(), old.id, old.qty, new.qty, new.version - old.version AS version_step,
          new.total;
-- INSERT ... ON CONFLICT DO UPDATE: old.* is null for the inserted row, the
-- conflicting row's old values for the updated one
INSERT INTO line (id, qty, price) VALUES (1, 9, 1), (3, 1, 1)
ON CONFLICT (id) DO UPDATE SET qty = excluded.qty
RETURNING old.id AS old_id, old.qty AS old_qty, new.id, new.qty, new.total,
          new.version, new.created_at = now() AS created_now;
SELECT count(*) > 0 AS notified FROM received();

-- AFTER triggers do not change what RETURNING shows: the audit entry and
-- RETURNING agree on old and new
CREATE TABLE acc (id int PRIMARY KEY, balance numeric, updated_at timestamptz);
CREATE TRIGGER acc_lm BEFORE UPDATE ON acc
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
CREATE TRIGGER acc_audit AFTER UPDATE ON acc
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
INSERT INTO acc VALUES (1, 100, '2001-01-01');
CREATE TEMP TABLE ret AS
WITH u AS (UPDATE acc SET balance = balance - 30 WHERE id = 1
           RETURNING old.balance AS old_balance, new.balance AS new_balance,
                     old.updated_at AS old_at, new.updated_at AS new_at)
SELECT * FROM u;
SELECT (l.old_values->>'balance')::numeric = r.old_balance AS old_balance_agrees,
       (l.new_values->>'balance')::numeric = r.new_balance AS new_balance_agrees,
       (l.old_values->>'updated_at')::timestamptz = r.old_at AS old_at_agrees,
       (l.new_values->>'updated_at')::timestamptz = r.new_at AS new_at_agrees
  FROM log_of('acc') l, ret r;

RESET orm_triggers.actor;
RESET ROLE;
SELECT public.dblink_disconnect('listener18');
DROP SCHEMA pg18 CASCADE;
