-- increment_version: every misuse, pinned.
CREATE SCHEMA ver_err AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = ver_err;
-- Misconfigured triggers here are meant to fail at their first fire; the DDL
-- event trigger would reject them at CREATE TRIGGER already (see helpers.sql).
SET orm_triggers.validate_ddl = off;
CREATE TABLE t (id int PRIMARY KEY, version int, ts timestamptz, g int GENERATED ALWAYS AS (id * 2) STORED);
INSERT INTO t VALUES (1, 1);

-- called directly
SELECT orm_triggers.increment_version();
-- AFTER
CREATE TRIGGER bad AFTER INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version');
UPDATE t SET id = 1;
DROP TRIGGER bad ON t;
-- FOR EACH STATEMENT
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.increment_version('version');
UPDATE t SET id = 1;
DROP TRIGGER bad ON t;
-- DELETE is not an event it handles
CREATE TRIGGER bad BEFORE INSERT OR UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version');
UPDATE t SET id = 1;
DROP TRIGGER bad ON t;
-- UPDATE only: INSERTs would bypass it
CREATE TRIGGER bad BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version');
UPDATE t SET id = 1;
DROP TRIGGER bad ON t;
-- no column, two columns, unknown column, option, wrong types, generated, system column
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version();
UPDATE t SET id = 1;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version', 'id');
UPDATE t SET id = 1;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('Version');
UPDATE t SET id = 1;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version', 'start=0');
UPDATE t SET id = 1;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('ts');
UPDATE t SET id = 1;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('g');
UPDATE t SET id = 1;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('xmin');
UPDATE t SET id = 1;
DROP TRIGGER bad ON t;
-- numeric is not an integer type
CREATE TABLE n (id int, v numeric);
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON n FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('v');
INSERT INTO n VALUES (1, 1);
DROP TRIGGER bad ON n;
INSERT INTO n VALUES (1, 1);
-- on a view
CREATE VIEW vw AS SELECT * FROM n;
CREATE TRIGGER bad INSTEAD OF UPDATE ON vw FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('v');
UPDATE vw SET id = 1;
-- a bad value for strict=, and an unknown option
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON n FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('v', 'strict=maybe');
INSERT INTO n VALUES (1, 1);
DROP TRIGGER bad ON n;
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON n FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('v', 'mode=orm');
INSERT INTO n VALUES (1, 1);
DROP TRIGGER bad ON n;
RESET ROLE;
DROP SCHEMA ver_err CASCADE;
