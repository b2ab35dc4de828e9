-- versioning: every misuse, pinned.  Most are rejected at CREATE TRIGGER
-- by the DDL validation; the same errors come at the first fire when it
-- is off (shown for a few).
CREATE SCHEMA vers_err AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = vers_err;
SET timezone = 'UTC';
CREATE TABLE t (id int PRIMARY KEY, n int, sys_period tstzrange, d daterange,
                g tstzrange GENERATED ALWAYS AS (tstzrange('2000-01-01', NULL)) STORED,
                s timestamptz, e timestamptz, ts timestamp);
CREATE TABLE t_history (id int, n int, sys_period tstzrange, s timestamptz, e timestamptz, ts timestamp);
CREATE VIEW v AS SELECT * FROM t;

SELECT orm_triggers.versioning();
-- timing, level, events
CREATE TRIGGER bad AFTER INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history');
CREATE TRIGGER bad BEFORE UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history');
CREATE TRIGGER bad AFTER TRUNCATE ON t
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history');
-- arguments: none, one, too many, a third that is not true/false, adjust twice
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning();
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history', 'true', 'n');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history', 'maybe');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history', 'true', 'adjust=false');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history', 'adjust=perhaps');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history', 'adjsut=true');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history', 'exclude=nope');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', '');
-- the period column: missing, wrong type, generated, a system column
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('period', 't_history');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('n', 't_history');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('d', 't_history');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('g', 't_history');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('xmin', 't_history');
-- start= and end=
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('t_history', 'start=s');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('t_history', 'start=s,e', 'end=e');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('t_history', 'start=s', 'end=s');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('t_history', 'start=n', 'end=e');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('t_history', 'start=s', 'end=ts');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history', 'start=s', 'end=e');
-- the history table: missing (unqualified: looked up in the table's schema,
-- not on the search_path), missing schema, bad name, a view, the table itself
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'nope');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'nowhere.t_history');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'a.b.c');
-- (unquoted parts are lower-cased, as in SQL: this one is fine)
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'T_History');
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', '"T_History"');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'v');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't');
-- history without the period column, with a mismatched type, with a
-- generated period column
CREATE TABLE h_noperiod (id int, n int);
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'h_noperiod');
CREATE TABLE h_type (id bigint, n int, sys_period tstzrange);
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'h_type');
CREATE TABLE h_ptype (id int, sys_period tsrange);
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'h_ptype');
CREATE TABLE h_gen (id int, sys_period tstzrange GENERATED ALWAYS AS (NULL) STORED);
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'h_gen');
CREATE TABLE h_noend (id int, s timestamptz);
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('h_noend', 'start=s', 'end=e');
-- on a view
CREATE TRIGGER bad INSTEAD OF INSERT OR UPDATE OR DELETE ON v
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history');

-- the same errors at the first fire when the DDL validation is off
SET orm_triggers.validate_ddl = off;
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'nope');
INSERT INTO t (id) VALUES (1);
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 't_history');
INSERT INTO t (id) VALUES (1);
DROP TRIGGER bad ON t;
RESET orm_triggers.validate_ddl;

-- check_triggers() reports a history table dropped after the trigger
CREATE TABLE gone_history (LIKE t_history);
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'gone_history');
DROP TABLE gone_history;
SELECT table_name, trigger_name, problem FROM orm_triggers.check_triggers();
INSERT INTO t (id) VALUES (1);
DROP TRIGGER versioning ON t;

-- set_system_time and the setting
SELECT orm_triggers.set_system_time('infinity');
SELECT orm_triggers.set_system_time('-infinity');
SET orm_triggers.system_time = 'yesterday-ish';
SET orm_triggers.system_time = 'infinity';
SHOW orm_triggers.system_time;

-- create_history_table
SELECT orm_triggers.create_history_table('v');
SELECT orm_triggers.create_history_table('t', 't_history');
SELECT orm_triggers.create_history_table('t', '');
SELECT orm_triggers.create_history_table('nope');
-- create_as_of_functions
SELECT orm_triggers.create_as_of_functions('t');

-- a history table that is a partition: its bound is checked like any
-- INSERT's (a row outside it fails, and is not written)
CREATE TABLE hp (id int, n int, sys_period tstzrange) PARTITION BY RANGE (id);
CREATE TABLE hp_low PARTITION OF hp FOR VALUES FROM (0) TO (10);
CREATE TABLE tp (id int PRIMARY KEY, n int, sys_period tstzrange);
CREATE TRIGGER versioning BEFORE INSERT OR UPDATE OR DELETE ON tp
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'hp_low');
SELECT orm_triggers.set_system_time('2024-01-01');
INSERT INTO tp VALUES (1, 1), (50, 50);
SELECT orm_triggers.set_system_time('2024-02-01');
UPDATE tp SET n = n + 1 WHERE id = 50;
UPDATE tp SET n = n + 1 WHERE id = 1;
SELECT id, n FROM hp;
SELECT orm_triggers.set_system_time(NULL);
RESET ROLE;
