-- soft_delete: every misuse, pinned.
CREATE SCHEMA sd_err AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = sd_err;
-- Misconfigured triggers here are meant to fail at their first fire; the DDL
-- event trigger would reject them at CREATE TRIGGER already (see helpers.sql).
SET orm_triggers.validate_ddl = off;
CREATE TABLE t (id int PRIMARY KEY, n int, deleted_at timestamptz, g boolean GENERATED ALWAYS AS (n > 0) STORED);
INSERT INTO t VALUES (1, 1);

SELECT orm_triggers.soft_delete();
-- AFTER
CREATE TRIGGER bad AFTER DELETE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');
DELETE FROM t;
DROP TRIGGER bad ON t;
-- FOR EACH STATEMENT
CREATE TRIGGER bad BEFORE DELETE ON t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');
DELETE FROM t;
DROP TRIGGER bad ON t;
-- UPDATE is not its event
CREATE TRIGGER bad BEFORE UPDATE OR DELETE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');
DELETE FROM t;
DROP TRIGGER bad ON t;
-- arguments
CREATE TRIGGER bad BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete();
DELETE FROM t;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at', 'n');
DELETE FROM t;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted');
DELETE FROM t;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('n');
DELETE FROM t;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('g');
DELETE FROM t;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at', 'on_repeat=skip');
DELETE FROM t;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at', 'mode=keep');
DELETE FROM t;
DROP TRIGGER bad ON t;
-- a view
CREATE VIEW vw AS SELECT * FROM t;
CREATE TRIGGER bad INSTEAD OF DELETE ON vw FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');
DELETE FROM vw;
-- a role that may DELETE but not UPDATE the marker column
CREATE TRIGGER soft BEFORE DELETE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');
RESET ROLE;
CREATE ROLE ormt_sd_deleter;
GRANT USAGE ON SCHEMA sd_err TO ormt_sd_deleter;
GRANT SELECT, DELETE ON sd_err.t TO ormt_sd_deleter;
SET ROLE ormt_sd_deleter;
DELETE FROM t;
RESET ROLE;
SET ROLE ormt_app;
-- nothing above deleted or marked the row
SELECT id, deleted_at FROM t;
RESET ROLE;
DROP SCHEMA sd_err CASCADE;
DROP ROLE ormt_sd_deleter;
