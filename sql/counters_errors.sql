-- counter_cache, touch_parent and recount(): every misuse and its error.
-- The DDL event trigger (orm_triggers.validate_ddl, on by default) checks a
-- trigger when it is created: each bad CREATE TRIGGER fails at once.
CREATE SCHEMA ctr_err AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = ctr_err;
\set VERBOSITY default
CREATE TABLE parent (id int PRIMARY KEY, n int, ts timestamptz, label text, big bigint);
CREATE TABLE child (id int, parent_id int, pbig bigint, flag boolean, amount numeric, note text);
CREATE TABLE nokey (id int, n int);
CREATE VIEW parent_view AS SELECT * FROM parent;

-- called directly
SELECT orm_triggers.counter_cache();
SELECT orm_triggers.touch_parent();

-- wrong timing
CREATE TRIGGER t BEFORE INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n');
CREATE TRIGGER t BEFORE INSERT ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=parent', 'column=ts');
-- wrong events: the row form needs all three; TRUNCATE is no event of touch_parent
CREATE TRIGGER t AFTER INSERT OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n');
CREATE TRIGGER t AFTER TRUNCATE ON child FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=parent', 'column=ts');
-- statement level: one event, with its transition tables
CREATE TRIGGER t AFTER INSERT OR DELETE ON child FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n');
CREATE TRIGGER t AFTER INSERT ON child FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n');
CREATE TRIGGER t AFTER DELETE ON child FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=parent', 'column=ts');
CREATE TRIGGER t AFTER UPDATE ON child REFERENCING NEW TABLE AS nt FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n');
-- argument count: no fk column; more fk columns than the key has
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent=parent', 'counter=n');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'id', 'parent=parent', 'counter=n');
-- unknown column
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parentid', 'parent=parent', 'counter=n');
-- parent= missing, not a name, not there, not a table, in the caller's search_path only
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'counter=n');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=a.b.c', 'counter=n');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=Parent2', 'counter=n');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent_view', 'counter=n');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent="Parent"', 'counter=n');
-- a parent without a primary key, a parent_key= of the wrong length or column
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=nokey', 'counter=n');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n', 'parent_key=id,big');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n', 'parent_key=ID');
-- type mismatch between the fk and the parent key
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('pbig', 'parent=parent', 'counter=n');
CREATE TRIGGER t AFTER INSERT ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('note', 'parent=parent', 'column=ts');
-- counter=: missing, unknown, two columns, wrong type, the key itself
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=count');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n,big');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=label');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=id');
-- where= and delta=: unknown, wrong types
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n', 'where=flagged');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n', 'where=note');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n', 'delta=note');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n', 'delta=amount,id');
-- unknown and repeated options
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n', 'deferred=true');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n', 'parent=parent');
-- touch_parent: column= missing, unknown, wrong type; deferred= not a boolean
CREATE TRIGGER t AFTER INSERT ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=parent');
CREATE TRIGGER t AFTER INSERT ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=parent', 'column=updated_at');
CREATE TRIGGER t AFTER INSERT ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=parent', 'column=label');
CREATE TRIGGER t AFTER INSERT ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=parent', 'column=ts', 'deferred=later');
CREATE TRIGGER t AFTER INSERT ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=parent', 'column=ts', 'counter=n');

-- without DDL validation the same errors come at the first fire
SET orm_triggers.validate_ddl = off;
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('pbig', 'parent=parent', 'counter=n');
INSERT INTO child (id, pbig) VALUES (1, 1);
-- and check_triggers() lists it
RESET orm_triggers.validate_ddl;
SELECT table_name, trigger_name, function_name, problem FROM orm_triggers.check_triggers()
 WHERE table_name = 'child'::regclass;
DROP TRIGGER t ON child;

-- recount(): an unknown trigger, a trigger of another function
SELECT orm_triggers.recount('child', 'nope');
CREATE TRIGGER other AFTER INSERT ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=parent', 'column=ts');
SELECT orm_triggers.recount('child', 'other');
SELECT orm_triggers.recount(NULL, 'other') IS NULL AS strict;

-- an ALTER of the child that breaks the trigger fails at once
CREATE TRIGGER c AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n');
ALTER TABLE child ALTER COLUMN parent_id TYPE bigint;
-- one of the parent is not checked by the DDL trigger (it checks the
-- triggers of the altered table); check_triggers() and the next fire tell
DROP VIEW parent_view;
ALTER TABLE parent RENAME COLUMN n TO m;
SELECT table_name, trigger_name, problem FROM orm_triggers.check_triggers()
 WHERE table_name = 'child'::regclass;
INSERT INTO child (id, parent_id) VALUES (1, 1);
RESET ROLE;
DROP SCHEMA ctr_err CASCADE;
