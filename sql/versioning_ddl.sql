-- versioning: ALTER TABLE on the versioned table or its history table after
-- the trigger has fired.  The cached column mapping and INSERT follow; what
-- would break the trigger is rejected at the ALTER (DDL validation) or, with
-- the validation off, fails clearly at the next write.  The AS OF functions
-- follow ALTER TABLE of either table.  (Also run with debug_discard_caches=1.)
CREATE SCHEMA vers_ddl AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = vers_ddl;
SET timezone = 'UTC';

CREATE TABLE t (id int PRIMARY KEY, a text, b int, sys_period tstzrange);
SELECT orm_triggers.create_history_table('t');
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history');
SELECT count(*) FROM orm_triggers.create_as_of_functions('t');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO t VALUES (1, 'a', 1), (2, 'b', 2);
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE t SET b = b + 10 WHERE id = 1;

-- a column added to the table only: not copied; AS OF shows NULL for history
ALTER TABLE t ADD COLUMN c text DEFAULT 'dflt';
SELECT orm_triggers.set_system_time('2024-03-01');
UPDATE t SET c = 'c1' WHERE id = 1;
SELECT * FROM t_history ORDER BY id, sys_period;
SELECT * FROM t__as_of('2024-02-15') ORDER BY id;
-- then to history too: copied from now on, and the AS OF functions follow
ALTER TABLE t_history ADD COLUMN c text;
SELECT orm_triggers.set_system_time('2024-04-01');
UPDATE t SET c = 'c2' WHERE id = 1;
SELECT * FROM t_history WHERE c IS NOT NULL;
SELECT id, c FROM t__as_of('2024-03-15') ORDER BY id;
-- a history-only column with a default
ALTER TABLE t_history ADD COLUMN changed_by name DEFAULT 'someone';
SELECT orm_triggers.set_system_time('2024-05-01');
UPDATE t SET a = 'b2' WHERE id = 2;
SELECT id, a, changed_by FROM t_history WHERE id = 2;
-- a column dropped from history: no longer copied
ALTER TABLE t_history DROP COLUMN a;
SELECT orm_triggers.set_system_time('2024-06-01');
UPDATE t SET a = 'b3' WHERE id = 2;
SELECT id, b, sys_period FROM t_history WHERE id = 2 ORDER BY sys_period;
SELECT id, a FROM t__as_of('2024-05-15') ORDER BY id;
-- a column dropped from the table, columns reordered by drop and re-add
ALTER TABLE t DROP COLUMN b;
ALTER TABLE t ADD COLUMN b int;
SELECT orm_triggers.set_system_time('2024-07-01');
UPDATE t SET b = 7 WHERE id = 2;
SELECT id, b, c, sys_period FROM t_history WHERE id = 2 ORDER BY sys_period;
SELECT id, a, b FROM t__as_of('2024-06-15') ORDER BY id;

-- what would break the trigger is rejected at the ALTER
ALTER TABLE t_history ALTER COLUMN c TYPE varchar(10);
ALTER TABLE t_history DROP COLUMN sys_period;
ALTER TABLE t ALTER COLUMN sys_period TYPE tsrange;
ALTER TABLE t RENAME COLUMN sys_period TO validity;
-- with the validation off, the next write fails clearly
SET orm_triggers.validate_ddl = off;
ALTER TABLE t_history ALTER COLUMN c TYPE varchar(10);
UPDATE t SET a = 'x' WHERE id = 1;
SELECT * FROM orm_triggers.check_triggers();
ALTER TABLE t_history ALTER COLUMN c TYPE text;
RESET orm_triggers.validate_ddl;
SELECT * FROM orm_triggers.check_triggers();

-- history dropped and created again (with another column order): the trigger
-- follows, the old one's plan is not used
SELECT orm_triggers.set_system_time('2024-08-01');
BEGIN;
DROP TABLE t_history;
CREATE TABLE t_history (sys_period tstzrange, c text, id int, a text, b int);
UPDATE t SET a = 'y' WHERE id = 1;
COMMIT;
SELECT * FROM t_history;
-- a history table that needs the planned INSERT (a CHECK constraint, which
-- it enforces) and back
ALTER TABLE t_history ADD CONSTRAINT positive CHECK (b > 0);
SELECT orm_triggers.set_system_time('2024-09-01');
UPDATE t SET a = 'z' WHERE id = 1;
UPDATE t SET b = -1, a = 'w' WHERE id = 2;
SELECT orm_triggers.set_system_time('2024-10-01');
UPDATE t SET b = 1 WHERE id = 2;
ALTER TABLE t_history DROP CONSTRAINT positive;
SELECT orm_triggers.set_system_time('2024-11-01');
UPDATE t SET b = 2 WHERE id = 2;
SELECT * FROM t_history ORDER BY id, sys_period;
-- an index added to history is maintained
CREATE UNIQUE INDEX ON t_history (id, sys_period);
SELECT orm_triggers.set_system_time('2024-12-01');
UPDATE t SET b = 3 WHERE id = 2;
SET enable_seqscan = off;
SELECT id, b FROM t_history WHERE id = 2 AND sys_period = '["2024-11-01","2024-12-01")';
RESET enable_seqscan;

-- the versioned table renamed: the trigger and AS OF reads follow the OID
ALTER TABLE t RENAME TO t2;
SELECT orm_triggers.set_system_time('2025-01-01');
UPDATE t2 SET b = 4 WHERE id = 2;
SELECT count(*) FROM t_history WHERE upper(sys_period) = '2025-01-01';
SELECT count(*) FROM orm_triggers.create_as_of_functions('t2');
SELECT id, b FROM t2__as_of('2024-12-15') ORDER BY id;
-- the history table renamed: the trigger's argument names it, so
-- check_triggers() reports it and the next write fails clearly
ALTER TABLE t_history RENAME TO t_hist;
SELECT table_name, trigger_name, problem FROM orm_triggers.check_triggers();
UPDATE t2 SET b = 5 WHERE id = 2;
ALTER TABLE t_hist RENAME TO t_history;
SELECT orm_triggers.set_system_time('2025-02-01');
UPDATE t2 SET b = 5 WHERE id = 2;
SELECT id, b FROM t_history WHERE upper(sys_period) = '2025-02-01';
SELECT orm_triggers.set_system_time(NULL);
RESET ROLE;
