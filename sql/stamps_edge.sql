-- Partitions, inheritance, TOAST, identifiers, other schemas and a hostile
-- search_path.
CREATE SCHEMA ormt_edge AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = ormt_edge;
-- Misconfigured triggers here are meant to fail at their first fire; the DDL
-- event trigger would reject them at CREATE TRIGGER already (see helpers.sql).
SET orm_triggers.validate_ddl = off;

CREATE FUNCTION try(sql text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
    EXECUTE sql;
    RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
    RAISE NOTICE E'%: %\nDETAIL:  %\nHINT:  %', st, msg, det, hnt;
END $$;

-- =====================================================================
-- Partitioned table: the triggers are on the parent; partitions have
-- different column orders and dropped columns
CREATE TABLE p (k int NOT NULL, id int, x text, created_at timestamptz,
                updated_at timestamptz, by text, code text)
    PARTITION BY LIST (k);
CREATE TRIGGER p_lm BEFORE INSERT OR UPDATE ON p
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
CREATE TRIGGER p_ca BEFORE INSERT OR UPDATE ON p
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('created_at');
CREATE TRIGGER p_by BEFORE INSERT OR UPDATE ON p
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('by');
CREATE TRIGGER p_pc BEFORE UPDATE ON p
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('code');
-- p1: same layout
CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1);
-- p2: reversed column order and two dropped columns, attached afterwards
CREATE TABLE p2 (junk1 int, code text, by text, updated_at timestamptz, junk2 text,
                 created_at timestamptz, x text, id int, k int NOT NULL);
ALTER TABLE p2 DROP COLUMN junk1, DROP COLUMN junk2;
ALTER TABLE p ATTACH PARTITION p2 FOR VALUES IN (2);
-- p3: a sub-partitioned partition with its own order
CREATE TABLE p3 (x text, k int NOT NULL, updated_at timestamptz, id int,
                 created_at timestamptz, code text, by text) PARTITION BY RANGE (id);
CREATE TABLE p3a (dropme int, by text, code text, created_at timestamptz, id int,
                  updated_at timestamptz, k int NOT NULL, x text);
ALTER TABLE p3a DROP COLUMN dropme;
ALTER TABLE p3 ATTACH PARTITION p3a FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
ALTER TABLE p ATTACH PARTITION p3 FOR VALUES IN (3);
-- the row triggers were cloned onto every leaf
SELECT tgrelid::regclass AS leaf, count(*) AS triggers
  FROM pg_trigger WHERE tgrelid IN ('p1'::regclass, 'p2'::regclass, 'p3a'::regclass)
 GROUP BY 1 ORDER BY 1;

CREATE FUNCTION pstate() RETURNS TABLE (leaf regclass, k int, id int, x text, created text,
                                        updated text, by text, code text)
    LANGUAGE sql AS $$
    SELECT tableoid::regclass, k, id, x,
           CASE WHEN created_at = '2000-01-01 00:00+00' THEN 'old'
                WHEN created_at = now() THEN 'now' ELSE coalesce(created_at::text, 'null') END,
           CASE WHEN updated_at = '2000-01-01 00:00+00' THEN 'old'
                WHEN updated_at = now() THEN 'now' ELSE coalesce(updated_at::text, 'null') END,
           by, code
      FROM ormt_edge.p ORDER BY k, id $$;

SET orm_triggers.actor = 'loader';
BEGIN;
INSERT INTO p (k, id, x, code) VALUES (1, 1, 'a', 'c1'), (2, 2, 'b', 'c2'), (3, 3, 'c', 'c3');
INSERT INTO p VALUES (1, 11, 'given', '2000-01-01 00:00+00', '2000-01-01 00:00+00', 'someone', 'c11');
SELECT * FROM pstate();
ROLLBACK;
INSERT INTO p VALUES (1, 1, 'a', '2000-01-01 00:00+00', '2000-01-01 00:00+00', 'loader', 'c1'),
                     (2, 2, 'b', '2000-01-01 00:00+00', '2000-01-01 00:00+00', 'loader', 'c2'),
                     (3, 3, 'c', '2000-01-01 00:00+00', '2000-01-01 00:00+00', 'loader', 'c3');
-- no-op update in every partition: nothing bumps; writing stamps is reverted
BEGIN;
UPDATE p SET x = x, created_at = NULL, updated_at = NULL;
SELECT * FROM pstate();
ROLLBACK;
-- a real change in every partition
BEGIN;
UPDATE p SET x = x || '!' WHERE id IN (2, 3);
SELECT * FROM pstate();
ROLLBACK;
-- the protected column, in a partition with a different column order
UPDATE p SET code = 'new' WHERE k = 2;
UPDATE p SET code = 'new' WHERE k = 3;
-- moving a row to another partition: BEFORE UPDATE on the source bumps,
-- BEFORE INSERT on the destination keeps the values it is given
BEGIN;
UPDATE p SET k = 2 WHERE id = 1;
UPDATE p SET k = 3, x = 'moved' WHERE id = 2;
SELECT * FROM pstate();
ROLLBACK;
-- ON CONFLICT on a partition, and COPY into the parent
CREATE UNIQUE INDEX p_k_id ON p (k, id);
BEGIN;
INSERT INTO p (k, id, x) VALUES (2, 2, 'b'), (3, 3, 'upsert')
    ON CONFLICT (k, id) DO UPDATE SET x = EXCLUDED.x;
COPY p (k, id, x, created_at) FROM stdin;
2	20	copied	2000-01-01 00:00:00+00
3	30	copied	\N
\.
SELECT * FROM pstate();
ROLLBACK;
-- a partition detached keeps its own (cloned) triggers? No: detaching drops
-- the clones, so the table stops being stamped
ALTER TABLE p DETACH PARTITION p2;
SELECT count(*) AS triggers_left FROM pg_trigger WHERE tgrelid = 'p2'::regclass;
ALTER TABLE p ATTACH PARTITION p2 FOR VALUES IN (2);
BEGIN;
UPDATE p SET x = 'again' WHERE k = 2;
SELECT * FROM pstate() WHERE k = 2;
ROLLBACK;
-- another actor on a no-op update changes nothing: set_actor (p_by) fires
-- before update_last_modified (p_lm), but neither counts the other's column
BEGIN;
SET LOCAL orm_triggers.actor = 'editor';
UPDATE p SET x = x WHERE k = 3;
SELECT * FROM pstate() WHERE k = 3;
ROLLBACK;

-- renaming a column on the parent renames it in every leaf: each leaf's
-- trigger fails clearly at the next write, and works again after the
-- rename back
ALTER TABLE p RENAME COLUMN updated_at TO modified_at;
UPDATE p SET x = 'r' WHERE k = 1;
UPDATE p SET x = 'r' WHERE k = 2;
UPDATE p SET x = 'r' WHERE k = 3;
ALTER TABLE p RENAME COLUMN modified_at TO updated_at;
BEGIN;
UPDATE p SET x = 'r';
SELECT * FROM pstate();
ROLLBACK;

-- =====================================================================
-- Inheritance: a parent's row triggers do not fire for rows of its
-- children, even when the statement names the parent
CREATE TABLE ip (id int, x text, updated_at timestamptz);
CREATE TABLE ic (extra int) INHERITS (ip);
CREATE TRIGGER ip_lm BEFORE INSERT OR UPDATE ON ip
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
INSERT INTO ip (id, x) VALUES (1, 'parent');
INSERT INTO ic (id, x) VALUES (2, 'child');
BEGIN;
SELECT tableoid::regclass, id, updated_at = now() AS stamped, updated_at IS NULL AS is_null
  FROM ip ORDER BY id;
ROLLBACK;
BEGIN;
UPDATE ip SET x = x || '!';
SELECT tableoid::regclass, id, x, updated_at = now() AS stamped, updated_at IS NULL AS is_null
  FROM ip ORDER BY id;
ROLLBACK;
-- the child needs its own trigger
CREATE TRIGGER ic_lm BEFORE INSERT OR UPDATE ON ic
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
BEGIN;
UPDATE ip SET x = x || '!';
SELECT tableoid::regclass, id, updated_at = now() AS stamped FROM ip ORDER BY id;
ROLLBACK;

-- =====================================================================
-- TOASTed values (over 1 MB)
CREATE TABLE big (id int PRIMARY KEY, doc text, n int, updated_at timestamptz);
CREATE TRIGGER big_lm BEFORE INSERT OR UPDATE ON big
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
-- doc compressed (default storage) for row 1; stored uncompressed for row 2
INSERT INTO big VALUES (1, repeat('0123456789', 120000), 0, '2000-01-01 00:00+00');
ALTER TABLE big ALTER COLUMN doc SET STORAGE EXTERNAL;
INSERT INTO big VALUES (2, repeat('0123456789', 120000), 0, '2000-01-01 00:00+00');
ALTER TABLE big ALTER COLUMN doc SET STORAGE EXTENDED;
SELECT id, length(doc), pg_column_size(doc) < 100000 AS compressed,
       pg_column_size(doc) > 1000000 AS uncompressed
  FROM big ORDER BY id;
-- the same TOAST pointer: no bump
BEGIN;
UPDATE big SET doc = doc, n = n;
SELECT id, updated_at = '2000-01-01 00:00+00' AS kept FROM big ORDER BY id;
ROLLBACK;
-- the same content as a new in-memory value: no bump, compressed or not
BEGIN;
UPDATE big SET doc = repeat('0123456789', 120000);
SELECT id, updated_at = '2000-01-01 00:00+00' AS kept FROM big ORDER BY id;
ROLLBACK;
-- the same content from the other row (compressed vs uncompressed
-- TOAST pointers of different values): no bump
BEGIN;
UPDATE big SET doc = (SELECT doc FROM big b2 WHERE b2.id = 3 - big.id);
SELECT id, updated_at = '2000-01-01 00:00+00' AS kept FROM big ORDER BY id;
ROLLBACK;
-- the same length, one byte different (at the end): bump
BEGIN;
UPDATE big SET doc = repeat('0123456789', 119999) || '012345678X' WHERE id = 1;
UPDATE big SET doc = 'X' || substr(doc, 2) WHERE id = 2;
SELECT id, updated_at = now() AS bumped, length(doc) FROM big ORDER BY id;
ROLLBACK;
-- one byte longer: bump
BEGIN;
UPDATE big SET doc = doc || '!';
SELECT id, updated_at = now() AS bumped FROM big ORDER BY id;
ROLLBACK;
-- a large jsonb and bytea value, unchanged and changed
CREATE TABLE bigj (id int PRIMARY KEY, j jsonb, b bytea, updated_at timestamptz);
CREATE TRIGGER bigj_lm BEFORE UPDATE ON bigj
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
INSERT INTO bigj SELECT 1, jsonb_agg(i), decode(repeat('ab', 600000), 'hex'), '2000-01-01 00:00+00'
  FROM generate_series(1, 200000) i;
BEGIN;
UPDATE bigj SET j = (SELECT jsonb_agg(i) FROM generate_series(1, 200000) i),
                b = decode(repeat('ab', 600000), 'hex');
SELECT updated_at = '2000-01-01 00:00+00' AS kept FROM bigj;
UPDATE bigj SET b = b || '\x00'::bytea;
SELECT updated_at = now() AS bumped FROM bigj;
ROLLBACK;

-- =====================================================================
-- Identifiers: another schema, spaces, quotes, mixed case, unicode, '=',
-- commas, 63-byte names
RESET ROLE;
CREATE SCHEMA "Other Schema ""q""" AUTHORIZATION ormt_app;
SET ROLE ormt_app;
CREATE TABLE "Other Schema ""q"""."Tbl ""x"" é" (
    "Id" int PRIMARY KEY,
    "Some Value" text,
    "it's ""quoted""" text,
    "Zeit ünïcode" timestamptz,
    "a=b" timestamptz,
    "x,y" int,
    "UpdatedAt" timestamp,
    "Created By" varchar(20),
    col_63_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx date
);
SELECT attname, octet_length(attname::text) FROM pg_attribute
 WHERE attrelid = '"Other Schema ""q"""."Tbl ""x"" é"'::regclass AND attnum > 0
 ORDER BY attnum;
CREATE TRIGGER "Stamp It ""now""" BEFORE INSERT OR UPDATE ON "Other Schema ""q"""."Tbl ""x"" é"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified(
        'Zeit ünïcode', '"a=b"', 'UpdatedAt',
        'col_63_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
        'ignore="x,y","it''s ""quoted"""');
CREATE TRIGGER "who did it" BEFORE INSERT OR UPDATE ON "Other Schema ""q"""."Tbl ""x"" é"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_actor('Created By', 'on=insert');
CREATE TRIGGER "protect ""it""" BEFORE UPDATE ON "Other Schema ""q"""."Tbl ""x"" é"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('Some Value');
SET search_path = ormt_edge;
SET orm_triggers.actor = 'Zoë';
BEGIN;
INSERT INTO "Other Schema ""q"""."Tbl ""x"" é" ("Id", "Some Value") VALUES (1, 'v');
SELECT "Zeit ünïcode" = now() AS z, "a=b" = now() AS ab, "UpdatedAt" = now()::timestamp AS ua,
       col_63_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx = current_date AS c63,
       "Created By"
  FROM "Other Schema ""q"""."Tbl ""x"" é";
COMMIT;
UPDATE "Other Schema ""q"""."Tbl ""x"" é" SET
    "Zeit ünïcode" = '2000-01-01 00:00+00', "a=b" = '2000-01-01 00:00+00',
    "UpdatedAt" = '2000-01-01 00:00', col_63_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx = '2000-01-01';
-- (the trigger owns the columns: that was reverted to the insert values;
-- put old values in place by re-inserting)
DELETE FROM "Other Schema ""q"""."Tbl ""x"" é";
INSERT INTO "Other Schema ""q"""."Tbl ""x"" é" VALUES
    (1, 'v', 'q', '2000-01-01 00:00+00', '2000-01-01 00:00+00', 0, '2000-01-01 00:00', NULL, '2000-01-01');
BEGIN;
-- only ignored columns change: no bump
UPDATE "Other Schema ""q"""."Tbl ""x"" é" SET "x,y" = 1, "it's ""quoted""" = 'changed';
SELECT "Zeit ünïcode" = '2000-01-01 00:00+00' AS z_kept, "a=b" = '2000-01-01 00:00+00' AS ab_kept,
       "UpdatedAt" = '2000-01-01 00:00' AS ua_kept,
       col_63_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx = '2000-01-01' AS c63_kept,
       "Created By"
  FROM "Other Schema ""q"""."Tbl ""x"" é";
ROLLBACK;
-- only the actor column is written; set_actor (on=insert) puts the old value
-- back.  "Stamp It ..." fires before "who did it", but update_last_modified
-- does not count columns other stamping triggers own, so nothing bumps
BEGIN;
UPDATE "Other Schema ""q"""."Tbl ""x"" é" SET "Created By" = 'forged';
SELECT "Zeit ünïcode" = now() AS z_bumped, "Created By"
  FROM "Other Schema ""q"""."Tbl ""x"" é";
ROLLBACK;
-- ... and the same when set_actor fires first
ALTER TRIGGER "who did it" ON "Other Schema ""q"""."Tbl ""x"" é" RENAME TO "A who did it";
BEGIN;
UPDATE "Other Schema ""q"""."Tbl ""x"" é" SET "Created By" = 'forged';
SELECT "Zeit ünïcode" = '2000-01-01 00:00+00' AS z_kept, "Created By"
  FROM "Other Schema ""q"""."Tbl ""x"" é";
ROLLBACK;
-- the protected column's error names it exactly
SELECT try($$UPDATE "Other Schema ""q"""."Tbl ""x"" é" SET "Some Value" = 'w'$$);
-- misuse messages quote the names in their hint
SELECT try($$CREATE TRIGGER "bad ""one""" AFTER UPDATE ON "Other Schema ""q"""."Tbl ""x"" é"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('a=b''s', '"a=b"')$$);
SELECT try($$UPDATE "Other Schema ""q"""."Tbl ""x"" é" SET "x,y" = 2$$);
DROP TRIGGER "bad ""one""" ON "Other Schema ""q"""."Tbl ""x"" é";
-- 'a=b' unquoted is an (unknown) option
SELECT try($$CREATE TRIGGER bad2 BEFORE UPDATE ON "Other Schema ""q"""."Tbl ""x"" é"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('a=b')$$);
SELECT try($$UPDATE "Other Schema ""q"""."Tbl ""x"" é" SET "x,y" = 2$$);
DROP TRIGGER bad2 ON "Other Schema ""q"""."Tbl ""x"" é";
-- a name longer than 63 bytes is not truncated the way SQL truncates
-- identifiers: it names no column
SELECT try($$CREATE TRIGGER bad3 BEFORE UPDATE ON "Other Schema ""q"""."Tbl ""x"" é"
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('col_63_bytes_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxTOOLONG')$$);
SELECT try($$UPDATE "Other Schema ""q"""."Tbl ""x"" é" SET "x,y" = 2$$);
DROP TRIGGER bad3 ON "Other Schema ""q"""."Tbl ""x"" é";

-- =====================================================================
-- A hostile search_path: shadowing functions, operators and tables in a
-- schema searched first and in pg_temp change nothing (the triggers run
-- no SQL; this pins that they never will without qualifying names)
RESET ROLE;
CREATE SCHEMA ormt_evil AUTHORIZATION ormt_app;
SET ROLE ormt_app;
CREATE FUNCTION ormt_evil.now() RETURNS timestamptz LANGUAGE sql
    AS $$ SELECT '1970-01-01 00:00+00'::timestamptz $$;
CREATE FUNCTION ormt_evil.session_user() RETURNS text LANGUAGE sql AS $$ SELECT 'evil' $$;
CREATE FUNCTION ormt_evil.texteq(text, text) RETURNS boolean LANGUAGE sql
    AS $$ SELECT false $$;
CREATE OPERATOR ormt_evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = ormt_evil.texteq);
CREATE TABLE ormt_evil.p (k int, id int);
CREATE TEMP TABLE big (id int, doc text);
CREATE TEMP TABLE p (k int);
CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE sql
    AS $$ SELECT '1970-01-01 00:00+00'::timestamptz $$;
SET search_path = ormt_evil, pg_temp, ormt_edge, public;
SET orm_triggers.actor = 'loader';
BEGIN;
UPDATE ormt_edge.big SET doc = doc, n = n;                     -- no-op: kept
UPDATE ormt_edge.p SET x = x, updated_at = NULL;               -- no-op: kept
UPDATE ormt_edge.p SET x = 'evil' WHERE k = 1;                 -- bumps to the real now()
RESET orm_triggers.actor;
UPDATE ormt_edge.p SET x = 'evil' WHERE k = 2;                 -- the real session user
SELECT k, x, updated_at OPERATOR(pg_catalog.=) pg_catalog.now() AS real_now,
       updated_at OPERATOR(pg_catalog.=) '2000-01-01 00:00+00' AS kept,
       by OPERATOR(pg_catalog.=) pg_catalog.session_user() AS session_user_recorded, by <> 'evil' AS not_evil
  FROM ormt_edge.p ORDER BY k;
SELECT id, updated_at = '2000-01-01 00:00+00' AS kept FROM ormt_edge.big ORDER BY id;
ROLLBACK;
RESET search_path;

RESET ROLE;
RESET orm_triggers.actor;
DROP SCHEMA ormt_evil CASCADE;
DROP SCHEMA "Other Schema ""q""" CASCADE;
DROP SCHEMA ormt_edge CASCADE;
