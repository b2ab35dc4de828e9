-- Errors about a table or column carry it in the error fields drivers read
-- (psycopg's diag.schema_name, table_name, column_name), naming the table
-- the trigger was created on: the partitioned table, not the partition.
CREATE SCHEMA ef;
CREATE FUNCTION ef.fields(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE s text; t text; c text; m text;
BEGIN
  EXECUTE stmt;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = SCHEMA_NAME, t = TABLE_NAME, c = COLUMN_NAME, m = MESSAGE_TEXT;
  RETURN format('%s | schema=%s table=%s column=%s', m, s, t, c);
END $$;
-- set_actor on a partitioned table: the actor does not convert
CREATE TABLE ef.parted (id int, by_user int) PARTITION BY RANGE (id);
CREATE TABLE ef.parted_1 PARTITION OF ef.parted FOR VALUES FROM (0) TO (100);
CREATE TRIGGER parted_actor BEFORE INSERT OR UPDATE ON ef.parted
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('by_user');
SET orm_triggers.actor = 'alice';
SELECT ef.fields('INSERT INTO ef.parted (id) VALUES (1)');
RESET orm_triggers.actor;
-- a statement trigger without the transition tables it needs (created
-- without the DDL-time check, to fail at its first fire)
SET orm_triggers.validate_ddl = off;
CREATE TABLE ef.plain (id int PRIMARY KEY);
CREATE TRIGGER plain_audit AFTER UPDATE ON ef.plain
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
SELECT ef.fields('UPDATE ef.plain SET id = id');
DROP TRIGGER plain_audit ON ef.plain;
CREATE TRIGGER plain_notify AFTER DELETE ON ef.plain
    FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.notify_change();
SELECT ef.fields('DELETE FROM ef.plain');
DROP TRIGGER plain_notify ON ef.plain;
-- the audit log itself
CREATE TRIGGER log_audit AFTER DELETE ON orm_triggers.audit_log
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
SELECT ef.fields('INSERT INTO orm_triggers.audit_log (txid, tx_time, logged_at, actor, session_user_name, table_oid, schema_name, table_name, op, key_hash) VALUES (pg_current_xact_id(), now(), now(), ''x'', ''x'', ''ef.plain'', ''ef'', ''plain'', ''DELETE'', 0); DELETE FROM orm_triggers.audit_log WHERE actor = ''x''');
DROP TRIGGER log_audit ON orm_triggers.audit_log;
RESET orm_triggers.validate_ddl;
DROP SCHEMA ef CASCADE;
