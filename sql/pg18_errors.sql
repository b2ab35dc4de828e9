-- PostgreSQL 18: every function that needs a column's value, named a
-- virtual generated column.  Runs on 18 and later only (see pg18_features).
SET client_min_messages = warning;
CREATE SCHEMA pg18e AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = pg18e;
-- (no CONTEXT lines: the validating event trigger's line numbers are not the point)
\set SHOW_CONTEXT never
CREATE TABLE line (
    id int PRIMARY KEY,
    qty int NOT NULL,
    price numeric NOT NULL,
    total numeric GENERATED ALWAYS AS (qty * price),
    total_stored numeric GENERATED ALWAYS AS (qty * price) STORED);
INSERT INTO line (id, qty, price) VALUES (1, 1, 1);

-- A BEFORE trigger can neither set nor read a generated column, virtual
-- (never computed for a trigger) or stored (computed after BEFORE
-- triggers): CREATE TRIGGER is rejected (DDL-time validation) ...
CREATE TRIGGER bad BEFORE UPDATE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('total');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('total');
CREATE TRIGGER bad BEFORE UPDATE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('total');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('total');
CREATE TRIGGER bad BEFORE INSERT OR UPDATE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('total');
CREATE TRIGGER bad BEFORE DELETE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('total');
CREATE TRIGGER bad BEFORE UPDATE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('total_stored');
-- notify_change('columns=...'): a virtual column has no value to send
CREATE TRIGGER bad AFTER INSERT ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('columns=qty,total');

-- ... and, with that check off, the trigger fails at its first fire
SET orm_triggers.validate_ddl = off;
CREATE TRIGGER bad BEFORE UPDATE ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('total');
UPDATE line SET qty = 2 WHERE id = 1;
DROP TRIGGER bad ON line;
CREATE TRIGGER bad AFTER INSERT ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('columns=qty,total');
INSERT INTO line (id, qty, price) VALUES (2, 1, 1);
DROP TRIGGER bad ON line;
RESET orm_triggers.validate_ddl;

-- the stored one is fine in columns= (computed before AFTER triggers run)
CREATE TRIGGER ok AFTER INSERT ON line
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('columns=qty,total_stored');
INSERT INTO line (id, qty, price) VALUES (3, 1, 1);
SELECT id, total, total_stored FROM line ORDER BY id;

RESET ROLE;
DROP SCHEMA pg18e CASCADE;
