-- Errors about a table or column carry the table and column as error fields
-- (what psql prints as SCHEMA NAME, TABLE NAME and COLUMN NAME with
-- VERBOSITY verbose, and what drivers read: psycopg's diag.table_name and
-- diag.column_name), and name the table the trigger was created on: for a
-- partitioned table the partitioned table, not the partition the row is in.
-- The fields are read with GET STACKED DIAGNOSTICS, which prints them
-- without psql's LOCATION line (a C file and line number).
CREATE SCHEMA ormt_diag AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = ormt_diag;
-- misconfigured triggers fail at their first fire here (the DDL event
-- trigger, which raises the same errors at CREATE TRIGGER, is shown last)
SET orm_triggers.validate_ddl = off;

-- SQLSTATE: message, then the fields (empty when not set)
CREATE FUNCTION diag(sql text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE st text; msg text; sch text; tbl text; col text;
BEGIN
    EXECUTE sql;
    RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            sch = SCHEMA_NAME, tbl = TABLE_NAME, col = COLUMN_NAME;
    RAISE NOTICE '%', format(E'%s: %s\nSCHEMA NAME:  %s\nTABLE NAME:  %s\nCOLUMN NAME:  %s',
                             st, msg, sch, tbl, col);
END $$;

-- ---------------------------------------------------------------- a plain table
CREATE TABLE t (id int PRIMARY KEY, code text, v int, ts timestamptz, n text, by uuid);
INSERT INTO t VALUES (1, 'c', 1, now(), 'x', NULL);
CREATE TRIGGER t_pc BEFORE UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('code');
CREATE TRIGGER t_v BEFORE INSERT OR UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('v', 'strict=true');
-- protect_columns: the column that may not change
SELECT diag($$UPDATE t SET code = 'new'$$);
-- increment_version: a stale version (40001)
SELECT diag($$UPDATE t SET v = 7$$);
DROP TRIGGER t_pc ON t;
DROP TRIGGER t_v ON t;

-- a column of the wrong type, a missing column
BEGIN;
CREATE TRIGGER t_bad BEFORE UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('n');
SELECT diag($$UPDATE t SET id = id$$);
ROLLBACK;
BEGIN;
CREATE TRIGGER t_bad BEFORE UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('nope');
SELECT diag($$UPDATE t SET id = id$$);
ROLLBACK;
-- errors about the trigger as a whole name the table only
BEGIN;
CREATE TRIGGER t_bad AFTER UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts');
SELECT diag($$UPDATE t SET id = id$$);
ROLLBACK;
BEGIN;
CREATE TRIGGER t_bad BEFORE UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'bogus=1');
SELECT diag($$UPDATE t SET id = id$$);
ROLLBACK;
-- set_actor: a value that does not convert.  The message is the type's own;
-- the context line says whose value it was for which column
CREATE TRIGGER t_by BEFORE INSERT OR UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('by');
SET orm_triggers.actor = 'not-a-uuid';
SELECT diag($$INSERT INTO t (id) VALUES (2)$$);
INSERT INTO t (id) VALUES (2);
RESET orm_triggers.actor;
DROP TRIGGER t_by ON t;
-- for a domain column the domain's error keeps its own fields (the
-- domain's schema and constraint, no table)
CREATE DOMAIN code_d AS text CHECK (VALUE ~ '^[a-z]+$');
ALTER TABLE t ADD COLUMN dby code_d;
CREATE TRIGGER t_dby BEFORE INSERT OR UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('dby');
SET orm_triggers.actor = 'Bad1';
SELECT diag($$INSERT INTO t (id) VALUES (3)$$);
INSERT INTO t (id) VALUES (3);
RESET orm_triggers.actor;
DROP TRIGGER t_dby ON t;

-- ---------------------------------------------------------------- partitions
-- p is partitioned; p_2 is partitioned again, so its leaf p_2a is two
-- levels down; p_1 is a leaf with its columns in another order
CREATE TABLE p (k int NOT NULL, id int NOT NULL, code text, v int, n text)
    PARTITION BY LIST (k);
CREATE TABLE p_1 (n text, v int, code text, id int NOT NULL, k int NOT NULL);
ALTER TABLE p ATTACH PARTITION p_1 FOR VALUES IN (1);
CREATE TABLE p_2 PARTITION OF p FOR VALUES IN (2) PARTITION BY LIST (id);
CREATE TABLE p_2a PARTITION OF p_2 FOR VALUES IN (2);
INSERT INTO p VALUES (1, 1, 'c1', 1, 'x'), (2, 2, 'c2', 1, 'y');
CREATE TRIGGER p_pc BEFORE UPDATE ON p
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('code');
CREATE TRIGGER p_v BEFORE INSERT OR UPDATE ON p
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('v', 'strict=true');
-- the trigger was created on p: p is named, in both partitions
SELECT diag($$UPDATE p SET code = 'new' WHERE k = 1$$);
SELECT diag($$UPDATE p SET code = 'new' WHERE k = 2$$);
SELECT diag($$UPDATE p SET v = 9 WHERE k = 2$$);
-- also at the top level, in psql's own report
UPDATE p SET code = 'new' WHERE k = 2;
-- renaming the partitioned table renames it in the messages too
ALTER TABLE p RENAME TO p_renamed;
SELECT diag($$UPDATE p_renamed SET code = 'new' WHERE k = 2$$);
ALTER TABLE p_renamed RENAME TO p;
DROP TRIGGER p_pc ON p;
DROP TRIGGER p_v ON p;
-- a trigger created on the middle level names that level; one created on
-- a leaf names the leaf
CREATE TRIGGER p_2_pc BEFORE UPDATE ON p_2
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('code');
SELECT diag($$UPDATE p SET code = 'new' WHERE k = 2$$);
DROP TRIGGER p_2_pc ON p_2;
CREATE TRIGGER p_2a_pc BEFORE UPDATE ON p_2a
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('code');
SELECT diag($$UPDATE p SET code = 'new' WHERE k = 2$$);
DROP TRIGGER p_2a_pc ON p_2a;
-- a misconfigured trigger on p fails on a partition, naming p
BEGIN;
CREATE TRIGGER p_bad BEFORE UPDATE ON p
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('n');
SELECT diag($$UPDATE p SET id = id WHERE k = 1$$);
ROLLBACK;
BEGIN;
CREATE TRIGGER p_bad BEFORE UPDATE ON p
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('code', 'mode=maybe');
SELECT diag($$UPDATE p SET id = id WHERE k = 2$$);
ROLLBACK;

-- ---------------------------------------------------------------- at CREATE TRIGGER
SET orm_triggers.validate_ddl = on;
SELECT diag($$CREATE TRIGGER p_bad BEFORE UPDATE ON p
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('code')$$);

RESET ROLE;
DROP SCHEMA ormt_diag CASCADE;
