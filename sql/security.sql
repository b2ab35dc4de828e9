-- security: the row-stamping triggers as an unprivileged role facing a
-- hostile search_path, SQL injection through trigger arguments and data,
-- and a spoofed orm_triggers.actor.
--
-- orm_triggers' C code builds no SQL for these triggers and looks up no
-- object by name at run time (timestamps come from the transaction start,
-- the actor from the setting or the session user), so whatever shadows
-- an object on the search_path must change nothing.  Features that do run
-- SQL (audit, counters) add their own shadows and checks below.
SELECT current_user AS superuser \gset
\c - ormt_app
SELECT session_user, current_user;
CREATE SCHEMA sec;
CREATE TABLE sec.item (
    id          int PRIMARY KEY,
    name        text,
    created_at  timestamptz,
    updated_at  timestamptz,
    created_by  text,
    updated_by  text
);
CREATE TRIGGER a_created_at BEFORE INSERT OR UPDATE ON sec.item
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('created_at');
CREATE TRIGGER b_updated_at BEFORE INSERT OR UPDATE ON sec.item
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
CREATE TRIGGER c_created_by BEFORE INSERT OR UPDATE ON sec.item
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('created_by', 'on=insert');
CREATE TRIGGER d_updated_by BEFORE INSERT OR UPDATE ON sec.item
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('updated_by');
CREATE TRIGGER e_protect BEFORE UPDATE ON sec.item
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('id', 'created_by');

-- ---------------------------------------------------------------------
-- search_path hijacking
-- ---------------------------------------------------------------------
-- hostile objects in a schema searched before pg_catalog, and in pg_temp
CREATE SCHEMA hostile;
CREATE FUNCTION hostile.now() RETURNS timestamptz LANGUAGE sql
    AS $$ SELECT '1999-01-01 00:00:00+00'::timestamptz $$;
CREATE FUNCTION hostile.transaction_timestamp() RETURNS timestamptz LANGUAGE sql
    AS $$ SELECT '1999-01-01 00:00:00+00'::timestamptz $$;
CREATE FUNCTION hostile.current_setting(text) RETURNS text LANGUAGE sql
    AS $$ SELECT 'hijacked'::text $$;
CREATE FUNCTION hostile.current_setting(text, bool) RETURNS text LANGUAGE sql
    AS $$ SELECT 'hijacked'::text $$;
CREATE FUNCTION hostile.always_true(timestamptz, timestamptz) RETURNS bool LANGUAGE sql
    AS $$ SELECT true $$;
CREATE OPERATOR hostile.= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = hostile.always_true);
CREATE FUNCTION hostile.text_eq(text, text) RETURNS bool LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR hostile.= (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.text_eq);
CREATE OPERATOR hostile.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = hostile.text_eq);
-- temp objects: relations are looked up in pg_temp first
CREATE TEMP TABLE item (id int, name text, created_at timestamptz, updated_at timestamptz,
                        created_by text, updated_by text);
CREATE TEMP TABLE audit_log (x int);
CREATE TEMP TABLE pg_trigger (x int);
CREATE TEMP TABLE pg_attribute (x int);
CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE sql
    AS $$ SELECT '1999-01-01 00:00:00+00'::timestamptz $$;
SET search_path = hostile, public, pg_catalog, pg_temp;
SELECT now() = '1999-01-01 00:00:00+00' AS "now() is hijacked for the session";
BEGIN;
INSERT INTO sec.item (id, name) VALUES (1, 'one'), (2, 'two');
-- (while the hostile schema is first, the test's own comparisons name
-- pg_catalog's operators)
SELECT id,
       created_at OPERATOR(pg_catalog.=) pg_catalog.now() AS created_is_now,
       updated_at OPERATOR(pg_catalog.=) pg_catalog.now() AS updated_is_now,
       created_by OPERATOR(pg_catalog.=) 'ormt_app' AS created_by_ok,
       updated_by OPERATOR(pg_catalog.=) 'ormt_app' AS updated_by_ok
  FROM sec.item ORDER BY id;
COMMIT;
SELECT pg_catalog.pg_sleep(0.01);
BEGIN;
UPDATE sec.item SET name = 'ONE' WHERE id = 1;
UPDATE sec.item SET name = name WHERE id = 2;     -- no-op: the hostile = must not make it "changed"
SELECT id,
       updated_at OPERATOR(pg_catalog.=) pg_catalog.now() AS bumped,
       created_at OPERATOR(pg_catalog.<) pg_catalog.now() AS created_kept
  FROM sec.item ORDER BY id;
COMMIT;
-- protect_columns and on=insert are not fooled by a hostile = on text
UPDATE sec.item SET id = 10 WHERE id = 1;
UPDATE sec.item SET created_by = 'mallory' WHERE id = 1;
SELECT id, created_by FROM sec.item ORDER BY id;
SELECT count(*) AS temp_item_rows FROM item;       -- the temp shadow got nothing
RESET search_path;

-- ---------------------------------------------------------------------
-- SQL injection through trigger arguments and data
-- ---------------------------------------------------------------------
CREATE TABLE sec.victim (x int);
CREATE TABLE sec."it'em; DROP TABLE sec.victim; --" (
    id int,
    "up'dated""; DROP TABLE sec.victim; --" timestamptz,
    "by); DROP TABLE sec.victim; --" text
);
CREATE TRIGGER "t'; DROP TABLE sec.victim; --" BEFORE INSERT OR UPDATE ON sec."it'em; DROP TABLE sec.victim; --"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('up''dated"; DROP TABLE sec.victim; --');
CREATE TRIGGER "u'; DROP TABLE sec.victim; --" BEFORE INSERT OR UPDATE ON sec."it'em; DROP TABLE sec.victim; --"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('by); DROP TABLE sec.victim; --');
SET orm_triggers.actor = $$x'); DROP TABLE sec.victim; --$$;
INSERT INTO sec."it'em; DROP TABLE sec.victim; --" (id) VALUES (1);
SELECT id, "up'dated""; DROP TABLE sec.victim; --" IS NOT NULL AS stamped,
       "by); DROP TABLE sec.victim; --" AS actor
  FROM sec."it'em; DROP TABLE sec.victim; --";
RESET orm_triggers.actor;
-- an argument that names no column fails cleanly, quoting the name: at
-- CREATE TRIGGER already (the DDL event trigger, itself search_path-proof) ...
CREATE TABLE sec.inj (id int, updated_at timestamptz);
CREATE TRIGGER inj BEFORE UPDATE ON sec.inj
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at''); DROP TABLE sec.victim; --');
-- ... and at the first fire, for a trigger created with the check off
SET orm_triggers.validate_ddl = off;
CREATE TRIGGER inj BEFORE UPDATE ON sec.inj
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at''); DROP TABLE sec.victim; --');
INSERT INTO sec.inj VALUES (1, NULL);
UPDATE sec.inj SET id = 2;
DROP TRIGGER inj ON sec.inj;
-- options are parsed, not evaluated
CREATE TRIGGER inj BEFORE UPDATE ON sec.inj
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at', 'ignore=id); DROP TABLE sec.victim; --');
UPDATE sec.inj SET id = 3;
DROP TRIGGER inj ON sec.inj;
CREATE TRIGGER inj BEFORE UPDATE ON sec.inj
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at', 'always=true; DROP TABLE sec.victim');
UPDATE sec.inj SET id = 4;
RESET orm_triggers.validate_ddl;
SELECT pg_catalog.to_regclass('sec.victim') IS NOT NULL AS victim_still_there;

-- ---------------------------------------------------------------------
-- the actor: a client assertion, not authentication
-- ---------------------------------------------------------------------
-- any role may claim any actor; the session user stays what it is
SET orm_triggers.actor = 'admin';
INSERT INTO sec.item (id, name) VALUES (3, 'three');
SELECT id, created_by, updated_by, session_user AS really FROM sec.item WHERE id = 3;
-- nor can it become someone else to fake the session user
SET ROLE pg_write_server_files;
RESET orm_triggers.actor;
-- an empty actor means the session user
SET orm_triggers.actor = '';
INSERT INTO sec.item (id, name) VALUES (4, 'four');
SELECT id, created_by, updated_by FROM sec.item WHERE id = 4;
RESET orm_triggers.actor;
-- on INSERT a value given by the statement is kept (COPY and restores keep
-- their data): set_actor alone does not stop a writer from naming any actor
INSERT INTO sec.item (id, name, created_by, updated_by) VALUES (5, 'five', 'someone', 'else');
SELECT id, created_by, updated_by FROM sec.item WHERE id = 5;
-- on UPDATE the actor is written whatever the statement says, and
-- created_by is protected
UPDATE sec.item SET name = 'FIVE', updated_by = 'someone' WHERE id = 5;
SELECT id, created_by, updated_by FROM sec.item WHERE id = 5;
-- an actor that does not fit the column's type is an error naming the setting
CREATE TABLE sec.numeric_actor (id int, by_user bigint);
CREATE TRIGGER a BEFORE INSERT OR UPDATE ON sec.numeric_actor
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('by_user');
SET orm_triggers.actor = '1; DROP TABLE sec.victim';
INSERT INTO sec.numeric_actor VALUES (1, NULL);
RESET orm_triggers.actor;


-- ---------------------------------------------------------------------
-- audit log tampering by a role that writes an audited table
-- ---------------------------------------------------------------------
-- ormt_app owns sec.ledger, which is audited, versioned, soft-deleting and
-- notifying; it has no rights on orm_triggers.audit_log.  Hostile shadows
-- of what the audit code could name are on the search_path (above, plus
-- these).
CREATE FUNCTION hostile.to_jsonb(anyelement) RETURNS jsonb LANGUAGE sql
    AS $$ SELECT '"hijacked"'::jsonb $$;
CREATE FUNCTION hostile.session_user_name() RETURNS name LANGUAGE sql AS $$ SELECT 'nobody'::name $$;
CREATE FUNCTION hostile.jsonb_eq(jsonb, jsonb) RETURNS bool LANGUAGE sql AS $$ SELECT true $$;
CREATE OPERATOR hostile.= (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = hostile.jsonb_eq);
CREATE TABLE sec.ledger (id int PRIMARY KEY, amount int, version int, deleted_at timestamptz);
CREATE TRIGGER a_version BEFORE INSERT OR UPDATE ON sec.ledger
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version');
CREATE TRIGGER b_soft BEFORE DELETE ON sec.ledger
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');
CREATE TRIGGER c_audit AFTER INSERT OR UPDATE OR DELETE ON sec.ledger
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER d_notify AFTER INSERT OR UPDATE OR DELETE ON sec.ledger
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change('columns=amount');
-- a spoofed actor and context: logged as claimed, next to the real session user
SET orm_triggers.actor = 'admin';
SET orm_triggers.context = '{"request": "forged"}';
INSERT INTO sec.ledger (id, amount) VALUES (1, 100), (2, 200);
UPDATE sec.ledger SET amount = 150 WHERE id = 1;
DELETE FROM sec.ledger WHERE id = 2;
RESET orm_triggers.context;
-- the spoofed actor can also pose as the superuser by name
SELECT set_config('orm_triggers.actor', :'superuser', false) IS NOT NULL AS spoofed;
UPDATE sec.ledger SET amount = 175 WHERE id = 1;
RESET orm_triggers.actor;
SELECT id, amount, version, deleted_at IS NOT NULL AS soft_deleted FROM sec.ledger ORDER BY id;
-- every way at the log, its sequence and its indexes is denied
SELECT count(*) FROM orm_triggers.audit_log;
SELECT id FROM orm_triggers.audit_log WHERE false;
INSERT INTO orm_triggers.audit_log (txid, tx_time, logged_at, actor, session_user_name, table_oid, schema_name, table_name, op)
  VALUES ('1', now(), now(), 'admin', 'admin', 'sec.ledger'::regclass, 'sec', 'ledger', 'INSERT');
UPDATE orm_triggers.audit_log SET session_user_name = 'admin' WHERE table_name = 'ledger';
DELETE FROM orm_triggers.audit_log WHERE table_name = 'ledger';
TRUNCATE orm_triggers.audit_log;
COPY orm_triggers.audit_log TO STDOUT;
SELECT orm_triggers.purge_audit_log('infinity');
SELECT setval('orm_triggers.audit_log_id_seq', 1);
ALTER TABLE orm_triggers.audit_log DISABLE TRIGGER ALL;
ALTER TABLE orm_triggers.audit_log ADD COLUMN forged text;
ALTER TABLE orm_triggers.audit_log RENAME TO audit_log_old;
ALTER TABLE orm_triggers.audit_log OWNER TO ormt_app;
CREATE TRIGGER forge BEFORE INSERT ON orm_triggers.audit_log
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('actor');
CREATE RULE forge AS ON INSERT TO orm_triggers.audit_log DO INSTEAD NOTHING;
CREATE POLICY forge ON orm_triggers.audit_log USING (false);
DROP INDEX orm_triggers.audit_log_time_idx;
DROP TABLE orm_triggers.audit_log;
-- a view or table named audit_log in a schema of its own changes nothing
CREATE TABLE hostile.audit_log (LIKE pg_catalog.pg_class);
-- skipping the triggers needs superuser
SET session_replication_role = replica;
-- after all that the table is still audited
UPDATE sec.ledger SET amount = 180 WHERE id = 1;

-- ---------------------------------------------------------------------
-- the extension's own objects are out of an unprivileged role's reach
-- ---------------------------------------------------------------------
CREATE FUNCTION orm_triggers.evil() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE OR REPLACE FUNCTION orm_triggers.update_last_modified() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
ALTER FUNCTION orm_triggers.set_actor() OWNER TO ormt_app;
CREATE TABLE orm_triggers.t (x int);
-- a trigger function is not callable directly
SELECT orm_triggers.set_actor();

\c - :superuser
-- what the log says about sec.ledger: the forged actor and context as
-- claimed, the real session user always, every change including the
-- soft delete (an UPDATE of deleted_at) and the one after the attempts
-- (the soft delete's time is compared with the row's, not printed)
SELECT op, key, old_values, new_values - 'deleted_at' AS new_values,
       (new_values->>'deleted_at')::timestamptz
         = (SELECT deleted_at FROM sec.ledger l WHERE l.id = (a.key->>'id')::int) AS deleted_at_as_stored,
       CASE actor WHEN :'superuser' THEN '(the superuser''s name)' ELSE actor END AS actor,
       session_user_name, context
  FROM orm_triggers.audit_log a WHERE table_oid = 'sec.ledger'::regclass ORDER BY id;
SELECT count(*) AS forged_rows FROM orm_triggers.audit_log
 WHERE session_user_name <> 'ormt_app' AND table_name = 'ledger';
-- the log as installed: no trigger, rule or policy, nothing added or dropped
SELECT relname, relowner = (SELECT oid FROM pg_roles WHERE rolname = :'superuser') AS owned_by_superuser,
       relrowsecurity,
       (SELECT count(*) FROM pg_trigger WHERE tgrelid = c.oid) AS triggers,
       (SELECT count(*) FROM pg_rewrite WHERE ev_class = c.oid) AS rules,
       (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid) AS policies,
       (SELECT count(*) FROM pg_index WHERE indrelid = c.oid) AS indexes,
       (SELECT count(*) FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) AS columns
  FROM pg_class c WHERE oid = 'orm_triggers.audit_log'::regclass;
DELETE FROM orm_triggers.audit_log WHERE table_oid = 'sec.ledger'::regclass;
DROP SCHEMA sec, hostile CASCADE;
