-- set_actor: orm_triggers.actor when set and not empty, else session_user,
-- converted with the column type's input function.
CREATE SCHEMA ormt_ac AUTHORIZATION ormt_app;
CREATE ROLE ormt_ac_other NOLOGIN;
GRANT ormt_ac_other TO ormt_app;
GRANT USAGE, CREATE ON SCHEMA ormt_ac TO ormt_ac_other;
SET ROLE ormt_app;
SET search_path = ormt_ac;

CREATE FUNCTION try(sql text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text; ctx text;
BEGIN
    EXECUTE sql;
    RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT,
                            ctx = PG_EXCEPTION_CONTEXT;
    -- the first context line, when it is not just the statement
    ctx := split_part(ctx, E'\n', 1);
    IF ctx LIKE 'SQL statement %' THEN ctx := NULL; END IF;
    RAISE NOTICE '%', format(E'%s: %s\nDETAIL:  %s\nHINT:  %s%s', st, msg, det, hnt,
                             coalesce(E'\nCONTEXT:  ' || ctx, ''));
END $$;

CREATE TABLE t (id int PRIMARY KEY, x text, created_by text, updated_by text);
CREATE TRIGGER t_created_by BEFORE INSERT OR UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('created_by', 'on=insert');
CREATE TRIGGER t_updated_by BEFORE INSERT OR UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('updated_by');
GRANT ALL ON t TO ormt_ac_other;

-- a new session: the library is not loaded yet (CREATE TRIGGER above loaded
-- it in the old one, to validate the trigger), so the setting is only a
-- placeholder; a SET LOCAL made before the first trigger fires is honoured
-- and ends with the transaction
\c -
SET ROLE ormt_app;
SET search_path = ormt_ac;
SELECT current_setting('orm_triggers.actor', true) IS NULL AS not_defined_yet;
BEGIN;
SET LOCAL orm_triggers.actor = 'early-bird';
INSERT INTO t (id, x) VALUES (0, 'early');
SELECT id, created_by, updated_by FROM t WHERE id = 0;
COMMIT;
SELECT current_setting('orm_triggers.actor') AS after_commit;
DELETE FROM t WHERE id = 0;

-- not set: the session user (the superuser that runs the test, not ormt_app)
INSERT INTO t (id, x) VALUES (1, 'a');
SELECT id, created_by = session_user AS by_session_user,
       created_by = current_user AS by_current_user, updated_by = created_by AS same
  FROM t;

-- set: the setting; a given value is kept on INSERT
SET orm_triggers.actor = 'app-user-7';
INSERT INTO t (id, x) VALUES (2, 'b');
INSERT INTO t VALUES (3, 'c', 'restored-creator', 'restored-updater');
SELECT id, created_by, updated_by FROM t WHERE id > 1 ORDER BY id;

-- UPDATE: updated_by becomes the actor even when the statement writes
-- another value; created_by (on=insert) keeps its old value
SET orm_triggers.actor = 'editor';
UPDATE t SET x = x || '!', created_by = 'forged', updated_by = 'forged' WHERE id IN (2, 3);
SELECT id, x, created_by, updated_by FROM t WHERE id > 1 ORDER BY id;
-- a no-op UPDATE changes nothing, so it keeps the last actor (like updated_at)
SET orm_triggers.actor = 'toucher';
UPDATE t SET x = x WHERE id = 2;
SELECT id, created_by, updated_by FROM t WHERE id = 2;

-- ignore=: a change to an ignored column alone keeps the last actor, as
-- update_last_modified's ignore= keeps updated_at
CREATE TABLE ti (id int PRIMARY KEY, views int, name text, updated_by text);
CREATE TRIGGER ti_by BEFORE INSERT OR UPDATE ON ti
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('updated_by', 'ignore=views');
SET orm_triggers.actor = 'writer';
INSERT INTO ti VALUES (1, 0, 'a', NULL);
SET orm_triggers.actor = 'reader';
UPDATE ti SET views = views + 1;
SELECT views, updated_by FROM ti;
UPDATE ti SET views = views + 1, name = 'b';
SELECT views, name, updated_by FROM ti;
SET orm_triggers.actor = 'toucher';

-- SET LOCAL ends with the transaction; RESET and '' mean the session user
BEGIN;
SET LOCAL orm_triggers.actor = 'local-actor';
UPDATE t SET x = 'l' WHERE id = 2;
SELECT updated_by FROM t WHERE id = 2;
COMMIT;
SHOW orm_triggers.actor;
UPDATE t SET x = 'after-local' WHERE id = 2;
SELECT updated_by FROM t WHERE id = 2;
RESET orm_triggers.actor;
UPDATE t SET x = 'after-reset' WHERE id = 2;
SELECT updated_by = session_user AS by_session_user FROM t WHERE id = 2;
SET orm_triggers.actor = '';
UPDATE t SET x = 'empty' WHERE id = 2;
SELECT updated_by = session_user AS by_session_user FROM t WHERE id = 2;
-- the last actor is cached: switching back and forth is seen every time
SET orm_triggers.actor = 'A';
UPDATE t SET x = 'a1' WHERE id = 2;
SELECT updated_by FROM t WHERE id = 2;
SET orm_triggers.actor = 'B';
UPDATE t SET x = 'b1' WHERE id = 2;
SELECT updated_by FROM t WHERE id = 2;
SET orm_triggers.actor = 'A';
UPDATE t SET x = 'a2' WHERE id = 2;
SELECT updated_by FROM t WHERE id = 2;
RESET orm_triggers.actor;

-- the session user, not the current user: SET ROLE does not change it,
-- SET SESSION AUTHORIZATION does
RESET ROLE;
SET SESSION AUTHORIZATION ormt_app;
SET ROLE ormt_ac_other;
SELECT session_user, current_user;
INSERT INTO t (id, x) VALUES (4, 'd');
UPDATE t SET x = 'dd' WHERE id = 4;
SELECT id, created_by, updated_by FROM t WHERE id = 4;
RESET ROLE;
RESET SESSION AUTHORIZATION;
SELECT session_user = current_user AS back_to_superuser;
SET ROLE ormt_app;
SET search_path = ormt_ac;

-- DELETE: not involved
DELETE FROM t WHERE id = 4 RETURNING id;

-- ON CONFLICT DO UPDATE
SET orm_triggers.actor = 'upserter';
INSERT INTO t (id, x) VALUES (1, 'up'), (5, 'new')
    ON CONFLICT (id) DO UPDATE SET x = EXCLUDED.x;
SELECT id, x, CASE WHEN created_by = session_user THEN '(session user)' ELSE created_by END AS created_by,
       updated_by
  FROM t WHERE id IN (1, 5) ORDER BY id;
-- COPY keeps given values
COPY t FROM stdin;
6	copied	orig-creator	orig-updater
7	copied	\N	\N
\.
SELECT id, created_by, updated_by FROM t WHERE id IN (6, 7) ORDER BY id;
RESET orm_triggers.actor;

-- other column types: varchar(n), name, uuid, int2/4/8, a domain
CREATE DOMAIN actor_code AS text CHECK (VALUE ~ '^[a-z]+$');
CREATE TABLE ty (id int PRIMARY KEY, v varchar(12), nm name, u uuid,
                 i2 smallint, i4 int, i8 bigint, dom actor_code);
CREATE TRIGGER ty_v BEFORE INSERT OR UPDATE ON ty FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('v');
CREATE TRIGGER ty_nm BEFORE INSERT OR UPDATE ON ty FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('nm');
CREATE TABLE tu (id int PRIMARY KEY, u uuid);
CREATE TRIGGER tu_u BEFORE INSERT OR UPDATE ON tu FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('u');
CREATE TABLE tn (id int PRIMARY KEY, i2 smallint, i4 int, i8 bigint);
CREATE TRIGGER tn_i2 BEFORE INSERT OR UPDATE ON tn FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('i2');
CREATE TRIGGER tn_i4 BEFORE INSERT OR UPDATE ON tn FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('i4');
CREATE TRIGGER tn_i8 BEFORE INSERT OR UPDATE ON tn FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('i8');
CREATE TABLE td (id int PRIMARY KEY, dom actor_code);
CREATE TRIGGER td_dom BEFORE INSERT OR UPDATE ON td FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('dom');

SET orm_triggers.actor = 'webuser';
INSERT INTO ty (id) VALUES (1);
SELECT v, nm, pg_typeof(nm) FROM ty;
SET orm_triggers.actor = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';
INSERT INTO tu (id) VALUES (1);
SELECT u FROM tu;
SET orm_triggers.actor = '42';
INSERT INTO tn (id) VALUES (1);
SET orm_triggers.actor = ' 43 ';
UPDATE tn SET id = -id;
SELECT i2, i4, i8 FROM tn;
SET orm_triggers.actor = 'svc';
INSERT INTO td (id) VALUES (1);
SELECT dom FROM td;

-- actors that do not convert: errors naming the setting
SET orm_triggers.actor = 'alice';
SELECT try($$INSERT INTO ormt_ac.tn (id) VALUES (2)$$);
SELECT try($$UPDATE ormt_ac.tn SET id = -id$$);
SET orm_triggers.actor = '99999999999';
SELECT try($$UPDATE ormt_ac.tn SET id = -id$$);
SET orm_triggers.actor = 'not-a-uuid';
SELECT try($$INSERT INTO ormt_ac.tu (id) VALUES (2)$$);
SET orm_triggers.actor = 'Bad1';
SELECT try($$INSERT INTO ormt_ac.td (id) VALUES (2)$$);
SET orm_triggers.actor = 'much-too-long-for-twelve';
SELECT try($$INSERT INTO ormt_ac.ty (id) VALUES (2)$$);
-- without the setting the session user is converted, and the error says so
RESET orm_triggers.actor;
RESET ROLE;
SET SESSION AUTHORIZATION ormt_app;
SELECT try($$INSERT INTO ormt_ac.tn (id) VALUES (3)$$);
RESET SESSION AUTHORIZATION;
SET ROLE ormt_app;
SELECT * FROM tn ORDER BY id;

-- a constraint added to the domain later applies to the actor at once, even
-- to one that was converted (and cached) before
SET orm_triggers.actor = 'svc';
INSERT INTO td (id) VALUES (10);
ALTER DOMAIN actor_code ADD CONSTRAINT not_svc CHECK (VALUE <> 'svc') NOT VALID;
SELECT try($$INSERT INTO ormt_ac.td (id) VALUES (11)$$);
SELECT try($$UPDATE ormt_ac.td SET id = -id WHERE id = 10$$);
SELECT id, dom FROM td ORDER BY id;
ALTER DOMAIN actor_code DROP CONSTRAINT not_svc;
RESET orm_triggers.actor;

-- varchar(3): a too-long actor is an error, not truncated
CREATE TABLE t3 (id int PRIMARY KEY, by varchar(3));
CREATE TRIGGER t3_by BEFORE INSERT OR UPDATE ON t3
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('by');
SET orm_triggers.actor = 'abc';
INSERT INTO t3 (id) VALUES (1);
SET orm_triggers.actor = 'abcd';
SELECT try($$UPDATE ormt_ac.t3 SET id = -id$$);
SELECT * FROM t3;
RESET orm_triggers.actor;

-- a renamed session user is recorded under its new name (the name is
-- cached per session user, and the cache must follow ALTER ROLE)
RESET ROLE;
CREATE ROLE ormt_ac_renamed;
GRANT USAGE ON SCHEMA ormt_ac TO ormt_ac_renamed;
GRANT INSERT, SELECT ON ormt_ac.t TO ormt_ac_renamed;
SET SESSION AUTHORIZATION ormt_ac_renamed;
INSERT INTO ormt_ac.t (id, x) VALUES (8, 'before rename');
RESET SESSION AUTHORIZATION;
ALTER ROLE ormt_ac_renamed RENAME TO ormt_ac_renamed2;
SET SESSION AUTHORIZATION ormt_ac_renamed2;
INSERT INTO ormt_ac.t (id, x) VALUES (9, 'after rename');
RESET SESSION AUTHORIZATION;
SELECT id, x, created_by, updated_by FROM ormt_ac.t WHERE id IN (8, 9) ORDER BY id;

RESET search_path;
DROP SCHEMA ormt_ac CASCADE;
DROP ROLE ormt_ac_renamed2;
DROP ROLE ormt_ac_other;
