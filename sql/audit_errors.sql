-- orm_triggers.audit: misuse errors, pinned.
SET client_min_messages = warning;
CREATE SCHEMA audit_e;
SET search_path = audit_e, public;
-- Misconfigured triggers here are meant to fail at their first fire; the DDL
-- event trigger would reject them at CREATE TRIGGER already (see helpers.sql).
SET orm_triggers.validate_ddl = off;
CREATE TABLE t (id int PRIMARY KEY, v text);
\set VERBOSITY default
-- BEFORE
CREATE TRIGGER a BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
INSERT INTO t VALUES (1, 'x');
DROP TRIGGER a ON t;
-- statement level without transition tables
CREATE TRIGGER a AFTER INSERT ON t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
INSERT INTO t VALUES (1, 'x');
DROP TRIGGER a ON t;
CREATE TRIGGER a AFTER UPDATE ON t REFERENCING NEW TABLE AS n FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
UPDATE t SET v = 'y';
INSERT INTO t VALUES (1, 'x');
UPDATE t SET v = 'y';
DROP TRIGGER a ON t;
CREATE TRIGGER a AFTER INSERT OR DELETE ON t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
DELETE FROM t;
DROP TRIGGER a ON t;
-- arguments
CREATE TRIGGER a AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('fulll=true');
INSERT INTO t VALUES (2, 'x');
DROP TRIGGER a ON t;
CREATE TRIGGER a AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('full=maybe');
INSERT INTO t VALUES (2, 'x');
DROP TRIGGER a ON t;
CREATE TRIGGER a AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('full=true', 'full=false');
INSERT INTO t VALUES (2, 'x');
DROP TRIGGER a ON t;
CREATE TRIGGER a AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('exclude=nope');
INSERT INTO t VALUES (2, 'x');
DROP TRIGGER a ON t;
CREATE TRIGGER a AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('exclude=ctid');
INSERT INTO t VALUES (2, 'x');
DROP TRIGGER a ON t;
CREATE TRIGGER a AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('exclude=');
INSERT INTO t VALUES (2, 'x');
DROP TRIGGER a ON t;
CREATE TRIGGER a AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('v');
INSERT INTO t VALUES (2, 'x');
DROP TRIGGER a ON t;
-- a column dropped after the trigger was created
ALTER TABLE t ADD COLUMN gone int;
CREATE TRIGGER a AFTER INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit('exclude=gone');
INSERT INTO t VALUES (2, 'x');
ALTER TABLE t DROP COLUMN gone;
INSERT INTO t VALUES (3, 'x');
DROP TRIGGER a ON t;
-- a view
CREATE VIEW tv AS SELECT * FROM t;
CREATE TRIGGER a INSTEAD OF INSERT ON tv FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
INSERT INTO tv VALUES (4, 'x');
DROP VIEW tv;
-- the log itself
CREATE TRIGGER a AFTER INSERT ON orm_triggers.audit_log FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER b AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
INSERT INTO t VALUES (5, 'x');
DROP TRIGGER a ON orm_triggers.audit_log;
-- invalid JSON in orm_triggers.context names the setting and aborts the statement
SET orm_triggers.context = '{"request": ';
INSERT INTO t VALUES (6, 'x');
SET orm_triggers.context = '"a plain JSON string is fine"';
INSERT INTO t VALUES (6, 'x');
RESET orm_triggers.context;
SELECT key, context FROM orm_triggers.audit_log WHERE table_oid = 't'::regclass ORDER BY id;
SELECT count(*) AS t_rows FROM t;
-- called outside the trigger manager
SELECT orm_triggers.audit();
