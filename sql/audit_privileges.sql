-- orm_triggers.audit: least privilege.  A role with DML rights on an audited
-- table and none on the log gets its changes audited and cannot touch the log.
SET client_min_messages = warning;
CREATE SCHEMA audit_p;
CREATE TABLE audit_p.acct (id int PRIMARY KEY, owner text, balance numeric);
CREATE TRIGGER acct_audit AFTER INSERT OR UPDATE OR DELETE ON audit_p.acct
  FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
CREATE TABLE audit_p.acct2 (LIKE audit_p.acct INCLUDING ALL);
CREATE TRIGGER acct2_upd AFTER UPDATE ON audit_p.acct2 REFERENCING OLD TABLE AS o NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER acct2_trunc AFTER TRUNCATE ON audit_p.acct2
  FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
INSERT INTO audit_p.acct2 VALUES (1, 'a', 10);
GRANT USAGE ON SCHEMA audit_p TO ormt_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON audit_p.acct, audit_p.acct2 TO ormt_app;
GRANT TRUNCATE ON audit_p.acct2 TO ormt_app;
-- the log's rights: its owner only
SELECT relacl IS NOT NULL AND NOT EXISTS (
         SELECT FROM aclexplode(relacl) a WHERE a.grantee = 0) AS no_public_rights
  FROM pg_class WHERE oid = 'orm_triggers.audit_log'::regclass;
SELECT has_function_privilege('ormt_app', 'orm_triggers.purge_audit_log(timestamptz)', 'EXECUTE') AS app_may_purge;

SET ROLE ormt_app;
-- hostile objects on the search path change nothing
CREATE SCHEMA hostile;
CREATE TABLE hostile.audit_log (id bigint, txid xid8, tx_time timestamptz, logged_at timestamptz,
  actor text, session_user_name name, context jsonb, table_oid oid, schema_name name, table_name name,
  op text, key jsonb, old_values jsonb, new_values jsonb);
CREATE TEMP TABLE audit_log (id int);
CREATE FUNCTION hostile.unnest(jsonb[]) RETURNS SETOF jsonb LANGUAGE sql AS $$ SELECT '{"evil": 1}'::jsonb $$;
CREATE FUNCTION hostile.jsonb_hash(jsonb) RETURNS int LANGUAGE sql AS $$ SELECT 0 $$;
SET search_path = hostile, pg_temp, public;
INSERT INTO audit_p.acct VALUES (1, 'alice', 100), (2, 'bob', 50);
UPDATE audit_p.acct SET balance = balance - 10 WHERE id = 1;
DELETE FROM audit_p.acct WHERE id = 2;
UPDATE audit_p.acct2 SET balance = 11;
TRUNCATE audit_p.acct2;
SELECT current_user;                           -- restored after every log write
-- no rights on the log
SELECT count(*) FROM orm_triggers.audit_log;
INSERT INTO orm_triggers.audit_log (txid, tx_time, logged_at, actor, session_user_name, table_oid, schema_name, table_name, op)
  VALUES ('1', now(), now(), 'me', 'me', 0, 's', 't', 'INSERT');
UPDATE orm_triggers.audit_log SET actor = 'me';
DELETE FROM orm_triggers.audit_log;
TRUNCATE orm_triggers.audit_log;
SELECT nextval('orm_triggers.audit_log_id_seq');
SELECT * FROM orm_triggers.row_history('audit_p.acct', '{"id": 1}');
SELECT orm_triggers.row_as_of('audit_p.acct', '{"id": 1}', now());
SELECT orm_triggers.purge_audit_log(now());
SELECT count(*) AS hostile_rows FROM hostile.audit_log;
SELECT count(*) AS temp_rows FROM pg_temp.audit_log;
RESET search_path;
RESET ROLE;
-- everything was logged, with the session user recorded
SELECT table_name, op, key, old_values, new_values, actor = session_user AS actor_is_session_user
  FROM orm_triggers.audit_log WHERE schema_name = 'audit_p' ORDER BY id;

-- an auditor granted SELECT on the log may use the read functions
GRANT SELECT ON orm_triggers.audit_log TO ormt_app;
SET ROLE ormt_app;
SELECT op, key FROM orm_triggers.row_history('audit_p.acct', '{"id": 1}');
SELECT orm_triggers.row_as_of('audit_p.acct', '{"id": 1}', now());
DELETE FROM orm_triggers.audit_log;            -- still no DELETE
RESET ROLE;
REVOKE SELECT ON orm_triggers.audit_log FROM ormt_app;

-- purge: granted explicitly (it also needs DELETE on the log)
BEGIN;
SELECT orm_triggers.purge_audit_log('-infinity') AS purged_nothing;
SELECT orm_triggers.purge_audit_log('infinity') > 0 AS purged_all;
SELECT count(*) AS left FROM orm_triggers.audit_log;
ROLLBACK;

-- a table owned by the unprivileged role, audited by it
SET ROLE ormt_app;
CREATE TABLE public.app_own (id int PRIMARY KEY, v text);
CREATE TRIGGER app_own_audit AFTER INSERT OR UPDATE OR DELETE ON public.app_own
  FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
INSERT INTO public.app_own VALUES (1, 'x');
DROP TABLE public.app_own;
DROP SCHEMA hostile CASCADE;
RESET ROLE;
SELECT op, table_name, new_values FROM orm_triggers.audit_log WHERE table_name = 'app_own';
REVOKE ALL ON SCHEMA audit_p FROM ormt_app;
REVOKE ALL ON ALL TABLES IN SCHEMA audit_p FROM ormt_app;
