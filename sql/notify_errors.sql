-- notify_change: every misuse, pinned.
CREATE SCHEMA ntf_err AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = ntf_err;
-- Misconfigured triggers here are meant to fail at their first fire; the DDL
-- event trigger would reject them at CREATE TRIGGER already (see helpers.sql).
SET orm_triggers.validate_ddl = off;
CREATE TABLE t (id int PRIMARY KEY, v int);
INSERT INTO t VALUES (1, 1);

SELECT orm_triggers.notify_change();
-- BEFORE
CREATE TRIGGER bad BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change();
UPDATE t SET v = 2;
DROP TRIGGER bad ON t;
-- TRUNCATE
CREATE TRIGGER bad AFTER TRUNCATE ON t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.notify_change();
TRUNCATE t;
DROP TRIGGER bad ON t;
-- a column name where there are only options
CREATE TRIGGER bad AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('v');
UPDATE t SET v = 2;
DROP TRIGGER bad ON t;
-- unknown option, bad channel, bad or unknown columns
CREATE TRIGGER bad AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('chanel=x');
UPDATE t SET v = 2;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('channel=');
UPDATE t SET v = 2;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('channel=cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc');
UPDATE t SET v = 2;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('channel=a', 'channel=b');
UPDATE t SET v = 2;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('columns=v,');
UPDATE t SET v = 2;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('columns=v,nope');
UPDATE t SET v = 2;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('columns=ctid');
UPDATE t SET v = 2;
DROP TRIGGER bad ON t;
-- statement level without the transition table
CREATE TRIGGER bad AFTER UPDATE ON t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.notify_change();
UPDATE t SET v = 2;
DROP TRIGGER bad ON t;
CREATE TRIGGER bad AFTER DELETE ON t FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.notify_change();
DELETE FROM t;
DROP TRIGGER bad ON t;
-- INSTEAD OF on a view
CREATE VIEW vw AS SELECT * FROM t;
CREATE TRIGGER bad INSTEAD OF UPDATE ON vw FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change();
UPDATE vw SET v = 3;
-- every statement above failed: v is still 1
SELECT * FROM t;
RESET ROLE;
DROP SCHEMA ntf_err CASCADE;
