-- counter_cache and touch_parent after ALTER TABLE on the child and the
-- parent: cached plans and columns follow (also run with
-- debug_discard_caches=1 by test/check ddl).
CREATE SCHEMA ctr_ddl AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = ctr_ddl;
CREATE TABLE parent (id int PRIMARY KEY, n int DEFAULT 0, ts timestamptz);
CREATE TABLE child (id int PRIMARY KEY, parent_id int, x int);
CREATE TRIGGER c AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=parent', 'counter=n');
CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=parent', 'column=ts');
INSERT INTO parent (id) VALUES (1), (2);
CREATE VIEW check_n AS
SELECT p.id, p.n, p.n = (SELECT count(*) FROM child c WHERE c.parent_id = p.id) AS exact,
       p.ts IS NOT NULL AS touched
  FROM parent p ORDER BY p.id;
INSERT INTO child VALUES (1, 1, 0), (2, 2, 0);
SELECT * FROM check_n;
-- columns added and dropped before the fk: attnums move
ALTER TABLE child ADD COLUMN y text DEFAULT 'y';
ALTER TABLE child DROP COLUMN x;
INSERT INTO child (id, parent_id) VALUES (3, 1);
SELECT * FROM check_n;
-- the fk column renamed: the trigger names the old name; DDL rejects it
ALTER TABLE child RENAME COLUMN parent_id TO pid;
-- the parent's counter column moved to the end by a drop and re-add
DROP VIEW check_n;
ALTER TABLE parent ADD COLUMN m int DEFAULT 0;
ALTER TABLE parent DROP COLUMN n;
ALTER TABLE parent RENAME COLUMN m TO n;
CREATE VIEW check_n AS
SELECT p.id, p.n, p.n = (SELECT count(*) FROM child c WHERE c.parent_id = p.id) AS exact,
       p.ts IS NOT NULL AS touched
  FROM parent p ORDER BY p.id;
SELECT orm_triggers.recount('child', 'c');
INSERT INTO child (id, parent_id) VALUES (4, 2);
SELECT * FROM check_n;
-- the parent dropped and created again (another OID)
SET orm_triggers.validate_ddl = off;
DROP VIEW check_n;
DROP TABLE parent;
INSERT INTO child (id, parent_id) VALUES (5, 2);
CREATE TABLE parent (id int PRIMARY KEY, ts timestamptz, n bigint);
INSERT INTO parent (id) VALUES (1), (2);
RESET orm_triggers.validate_ddl;
SELECT orm_triggers.recount('child', 'c');
DELETE FROM child WHERE id = 5;
SELECT id, n FROM parent ORDER BY id;
-- the parent's key type changes with the child's: still consistent
ALTER TABLE child ALTER COLUMN parent_id TYPE bigint;
SET orm_triggers.validate_ddl = off;
ALTER TABLE child ALTER COLUMN parent_id TYPE bigint;
INSERT INTO child (id, parent_id) VALUES (6, 1);
RESET orm_triggers.validate_ddl;
ALTER TABLE parent ALTER COLUMN id TYPE bigint;
INSERT INTO child (id, parent_id) VALUES (7, 1);
SELECT id, n FROM parent ORDER BY id;
-- ALTER inside the transaction that has parent writes waiting (deferred)
CREATE TABLE line (id int, parent_id bigint);
CREATE TRIGGER lt AFTER INSERT ON line FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=parent', 'column=ts', 'deferred=true');
UPDATE parent SET ts = NULL;
BEGIN;
INSERT INTO line VALUES (1, 2);
ALTER TABLE parent ADD COLUMN z int;
ALTER TABLE line ADD COLUMN w int;
INSERT INTO line VALUES (2, 1);
COMMIT;
SELECT id, ts IS NOT NULL AS touched FROM parent ORDER BY id;
RESET ROLE;
DROP SCHEMA ctr_ddl CASCADE;
