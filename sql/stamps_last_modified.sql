-- update_last_modified: INSERT fills a NULL, UPDATE bumps only on a real
-- change of another column.  Runs as the unprivileged role ormt_app.
CREATE SCHEMA ormt_lm AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = ormt_lm;

CREATE TABLE t (
    id int PRIMARY KEY,
    x text,
    n int,
    note text,
    updated_at timestamptz
);
CREATE TRIGGER t_lm BEFORE INSERT OR UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');

-- INSERT: NULL becomes now(), a given value is kept
BEGIN;
INSERT INTO t (id, x) VALUES (1, 'a'), (2, 'b');
INSERT INTO t (id, x, updated_at) VALUES (3, 'c', '2000-01-01 00:00+00');
INSERT INTO t (id, x, updated_at) VALUES (4, 'd', NULL);
SELECT id, updated_at = now() AS is_now, updated_at = '2000-01-01 00:00+00' AS is_given
  FROM t ORDER BY id;
COMMIT;

-- start every row from a known old value (INSERT keeps given values)
DELETE FROM t;
INSERT INTO t (id, x, n, updated_at)
    SELECT i, 'v' || i, CASE WHEN i % 2 = 0 THEN i END, '2000-01-01 00:00+00'
      FROM generate_series(1, 6) i;
CREATE FUNCTION state() RETURNS TABLE (id int, x text, n int, note text, stamp text)
    LANGUAGE sql AS $$
    SELECT id, x, n, note,
           CASE WHEN updated_at = '2000-01-01 00:00+00' THEN 'old'
                WHEN updated_at = now() THEN 'now'
                ELSE 'other: ' || (updated_at IS NULL)::text END
      FROM ormt_lm.t ORDER BY id $$;

-- no-op updates do not bump
BEGIN;
UPDATE t SET x = x;
UPDATE t SET x = 'v1' WHERE id = 1;
UPDATE t SET n = n, note = NULL;
SELECT * FROM state();
ROLLBACK;

-- writing updated_at alone does not bump and is reverted
BEGIN;
UPDATE t SET updated_at = '2010-06-01 00:00+00' WHERE id = 1;
UPDATE t SET updated_at = NULL WHERE id = 2;
UPDATE t SET updated_at = now() WHERE id = 3;
SELECT * FROM state();
ROLLBACK;

-- a real change bumps, only the changed rows (multi-row UPDATE)
BEGIN;
UPDATE t SET x = CASE WHEN id IN (2, 5) THEN 'changed' ELSE x END;
SELECT * FROM state();
ROLLBACK;

-- NULL vs non-NULL counts as a change both ways; NULL to NULL does not
BEGIN;
UPDATE t SET n = 100 WHERE id = 1;      -- NULL -> 100
UPDATE t SET n = NULL WHERE id = 2;     -- 2 -> NULL
UPDATE t SET n = NULL WHERE id = 3;     -- NULL -> NULL
UPDATE t SET note = '' WHERE id = 4;    -- NULL -> ''
SELECT * FROM state();
ROLLBACK;

-- a change plus an explicit value for updated_at: the trigger wins
BEGIN;
UPDATE t SET x = 'new', updated_at = '1999-01-01 00:00+00' WHERE id = 1;
SELECT * FROM state() WHERE id = 1;
ROLLBACK;

-- the value is the transaction start: equal across statements, not the
-- statement time
BEGIN;
SELECT pg_sleep(0.05);
UPDATE t SET x = 'first' WHERE id = 1;
SELECT pg_sleep(0.05);
UPDATE t SET x = 'second' WHERE id = 2;
SELECT count(*) AS bumped, count(DISTINCT updated_at) AS distinct_values,
       bool_and(updated_at = now()) AS all_now,
       bool_and(updated_at < statement_timestamp()) AS before_statement
  FROM t WHERE id IN (1, 2);
-- a second change to the same row in the same transaction keeps now()
UPDATE t SET x = 'third' WHERE id = 1;
SELECT updated_at = now() AS is_now FROM t WHERE id = 1;
ROLLBACK;

-- DELETE is not the trigger's business
BEGIN;
DELETE FROM t WHERE id = 6 RETURNING id, updated_at = '2000-01-01 00:00+00' AS untouched;
ROLLBACK;

-- INSERT ... ON CONFLICT DO UPDATE: BEFORE INSERT fires on the proposed row
-- (EXCLUDED.updated_at is now()), then BEFORE UPDATE on the existing one
BEGIN;
INSERT INTO t (id, x) VALUES (1, 'v1'), (2, 'other'), (7, 'v7')
    ON CONFLICT (id) DO UPDATE SET x = EXCLUDED.x,
        note = (EXCLUDED.updated_at = now())::text;
SELECT * FROM state() WHERE id IN (1, 2, 7);
ROLLBACK;
BEGIN;
-- only updated_at written by the conflict action: reverted
INSERT INTO t (id, x) VALUES (3, 'v3')
    ON CONFLICT (id) DO UPDATE SET updated_at = EXCLUDED.updated_at;
SELECT * FROM state() WHERE id = 3;
ROLLBACK;

-- MERGE fires the same BEFORE ROW triggers: a no-op match keeps, a real
-- change bumps, an insert fills
BEGIN;
MERGE INTO t USING (VALUES (1, 'v1'), (2, 'merged'), (8, 'new')) AS s(id, x) ON t.id = s.id
    WHEN MATCHED THEN UPDATE SET x = s.x, updated_at = '1999-01-01 00:00+00'
    WHEN NOT MATCHED THEN INSERT (id, x) VALUES (s.id, s.x);
SELECT * FROM state() WHERE id IN (1, 2, 8);
ROLLBACK;

-- COPY keeps given values and fills NULLs
BEGIN;
COPY t (id, x, updated_at) FROM stdin;
10	copied	2001-02-03 04:05:06+00
11	copied	\N
\.
SELECT id, updated_at = '2001-02-03 04:05:06+00' AS given, updated_at = now() AS is_now
  FROM t WHERE id >= 10 ORDER BY id;
ROLLBACK;

-- always=true bumps on every UPDATE, no-op or not
CREATE TABLE ta (id int PRIMARY KEY, x text, updated_at timestamptz);
CREATE TRIGGER ta_lm BEFORE UPDATE ON ta
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at', 'always=true');
INSERT INTO ta VALUES (1, 'a', '2000-01-01 00:00+00'), (2, 'b', NULL);
-- BEFORE UPDATE only: INSERT leaves the column alone
SELECT id, updated_at IS NULL AS is_null FROM ta ORDER BY id;
BEGIN;
UPDATE ta SET x = x;
SELECT id, updated_at = now() AS is_now FROM ta ORDER BY id;
ROLLBACK;
-- always=false behaves like the default
CREATE TABLE taf (id int PRIMARY KEY, x text, updated_at timestamptz);
CREATE TRIGGER taf_lm BEFORE UPDATE ON taf
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at', 'always=off');
INSERT INTO taf VALUES (1, 'a', '2000-01-01 00:00+00');
BEGIN;
UPDATE taf SET x = x;
SELECT updated_at = '2000-01-01 00:00+00' AS kept FROM taf;
UPDATE taf SET x = 'b';
SELECT updated_at = now() AS is_now FROM taf;
ROLLBACK;

-- ignore=: changes to ignored columns alone do not bump
CREATE TABLE ti (id int PRIMARY KEY, x text, hits int, "Seen At" timestamptz,
                 updated_at timestamptz);
CREATE TRIGGER ti_lm BEFORE INSERT OR UPDATE ON ti
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at', 'ignore=hits,"Seen At"');
INSERT INTO ti VALUES (1, 'a', 0, NULL, '2000-01-01 00:00+00');
BEGIN;
UPDATE ti SET hits = hits + 1, "Seen At" = now();
SELECT hits, updated_at = '2000-01-01 00:00+00' AS kept FROM ti;
UPDATE ti SET hits = hits + 1, x = 'b';
SELECT hits, updated_at = now() AS is_now FROM ti;
ROLLBACK;

-- several managed columns of different types, none compared with the others
CREATE TABLE tm (id int PRIMARY KEY, x text,
                 m_tz timestamptz, m_ts timestamp, m_d date);
CREATE TRIGGER tm_lm BEFORE INSERT OR UPDATE ON tm
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('m_tz', 'm_ts', 'm_d');
INSERT INTO tm VALUES (1, 'a', '2000-01-01 00:00+00', '2000-01-01 00:00', '2000-01-01');
BEGIN;
UPDATE tm SET m_ts = '2005-01-01';          -- a managed column only: reverted
SELECT m_tz = '2000-01-01 00:00+00' AS tz_kept, m_ts = '2000-01-01 00:00' AS ts_kept,
       m_d = '2000-01-01' AS d_kept FROM tm;
UPDATE tm SET x = 'b';
SELECT m_tz = now() AS tz_now, m_ts = now()::timestamp AS ts_now,
       m_d = now()::date AS d_now FROM tm;
ROLLBACK;

-- timestamp is session-local time, recomputed when the time zone changes
-- within a transaction; date follows the time zone too
CREATE TABLE tz (id int PRIMARY KEY, x text, ts timestamp, tstz timestamptz, d date);
CREATE TRIGGER tz_lm BEFORE INSERT OR UPDATE ON tz
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('ts', 'tstz', 'd');
BEGIN;
SET LOCAL timezone = 'Pacific/Kiritimati';
INSERT INTO tz (id, x) VALUES (1, 'a');
SET LOCAL timezone = 'Pacific/Pago_Pago';
INSERT INTO tz (id, x) VALUES (2, 'b');
SELECT id, ts = now()::timestamp AS ts_is_local_now, tstz = now() AS tstz_now,
       d = now()::date AS d_is_local_date
  FROM tz ORDER BY id;
-- each row holds the local time and date of the zone it was written in,
-- and the same instant
SELECT id, ts = (tstz AT TIME ZONE CASE id WHEN 1 THEN 'Pacific/Kiritimati' ELSE 'Pacific/Pago_Pago' END) AS ts_local,
       d = (tstz AT TIME ZONE CASE id WHEN 1 THEN 'Pacific/Kiritimati' ELSE 'Pacific/Pago_Pago' END)::date AS d_local
  FROM tz ORDER BY id;
SELECT (SELECT ts FROM tz WHERE id = 1) - (SELECT ts FROM tz WHERE id = 2) AS ts_diff,
       (SELECT tstz FROM tz WHERE id = 1) = (SELECT tstz FROM tz WHERE id = 2) AS same_instant;
COMMIT;

-- precision (typmod) is applied: timestamptz(0), timestamp(2)
CREATE TABLE tp (id int PRIMARY KEY, x text, a timestamptz(0), b timestamp(2));
CREATE TRIGGER tp_lm BEFORE INSERT OR UPDATE ON tp
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('a', 'b');
BEGIN;
INSERT INTO tp (id, x) VALUES (1, 'a');
SELECT a = now()::timestamptz(0) AS a_rounded, b = now()::timestamp(2) AS b_rounded,
       a = date_trunc('second', a) AS a_whole_seconds FROM tp;
ROLLBACK;

-- domains: over timestamptz with a CHECK, over timestamp(0)
CREATE DOMAIN recent_tz AS timestamptz CHECK (VALUE > '2020-01-01 00:00+00');
CREATE DOMAIN ts0 AS timestamp(0);
CREATE DOMAIN ancient_tz AS timestamptz CHECK (VALUE < '2000-01-01 00:00+00');
CREATE TABLE td (id int PRIMARY KEY, x text, a recent_tz, b ts0);
CREATE TRIGGER td_lm BEFORE INSERT OR UPDATE ON td
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('a', 'b');
BEGIN;
INSERT INTO td (id, x) VALUES (1, 'a');
SELECT a = now() AS a_now, b = now()::timestamp(0) AS b_rounded FROM td;
ROLLBACK;
-- a domain whose CHECK rejects now(): the domain is enforced
CREATE TABLE tdx (id int PRIMARY KEY, x text, a ancient_tz);
CREATE TRIGGER tdx_lm BEFORE INSERT OR UPDATE ON tdx
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('a');
INSERT INTO tdx (id, x) VALUES (1, 'a');
INSERT INTO tdx (id, x, a) VALUES (2, 'b', '1999-01-01 00:00+00');
UPDATE tdx SET x = x;                       -- no-op: keeps the valid old value
UPDATE tdx SET x = 'c';                     -- bump: now() fails the CHECK
SELECT id, x, a = '1999-01-01 00:00+00' AS kept FROM tdx;

-- generated columns are not compared (their value is not known yet in a
-- BEFORE trigger); a change to their inputs bumps
CREATE TABLE tg (id int PRIMARY KEY, x text,
                 x_len int GENERATED ALWAYS AS (length(x)) STORED,
                 updated_at timestamptz);
CREATE TRIGGER tg_lm BEFORE INSERT OR UPDATE ON tg
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
INSERT INTO tg (id, x, updated_at) VALUES (1, 'abc', '2000-01-01 00:00+00');
BEGIN;
UPDATE tg SET x = 'abc';
SELECT x_len, updated_at = '2000-01-01 00:00+00' AS kept FROM tg;
UPDATE tg SET x = 'abcd';
SELECT x_len, updated_at = now() AS is_now FROM tg;
ROLLBACK;

-- the stamp written into a copy of the row (a timestamp over a timestamp)
-- leaves every other column as it was: short and long, inline, compressed
-- and TOASTed text, NULLs before and after it, unaligned neighbours; a
-- NULL stamp, or one in a column added after the row, takes the slow path
CREATE TABLE lay (id int PRIMARY KEY, flag bool, short text, n1 int, big text,
                  c "char", updated_at timestamptz, tail text, d date);
CREATE TRIGGER lay_lm BEFORE UPDATE ON lay
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
INSERT INTO lay VALUES
  (1, true, 'a', NULL, repeat('x', 100), 'q', '2000-01-01', 'end', '2001-02-03'),
  (2, NULL, NULL, 7, repeat('long and compressible ', 5000), NULL, '2000-01-01', NULL, NULL),
  (3, false, 'b', 3, (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 300) g), 'z', NULL, 't', '2002-03-04');
CREATE TABLE lay_before AS SELECT * FROM lay;
BEGIN;
UPDATE lay SET n1 = COALESCE(n1, 0) + 1;
SELECT l.id, l.updated_at = now() AS stamped,
       (l.flag, l.short, l.big, l.c, l.tail, l.d) IS NOT DISTINCT FROM (b.flag, b.short, b.big, b.c, b.tail, b.d) AS others_kept,
       l.n1 IS NOT DISTINCT FROM COALESCE(b.n1, 0) + 1 AS changed_column
  FROM lay l JOIN lay_before b USING (id) ORDER BY id;
ROLLBACK;
ALTER TABLE lay ADD COLUMN touched timestamptz;
CREATE TRIGGER lay_touch BEFORE UPDATE ON lay
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('touched');
BEGIN;
UPDATE lay SET short = 'c' WHERE id = 1;
SELECT id, touched = now() AS touched_now, updated_at = now() AS stamped_now,
       big = repeat('x', 100) AS big_kept, short FROM lay WHERE id = 1;
ROLLBACK;

RESET ROLE;
RESET search_path;
DROP SCHEMA ormt_lm CASCADE;
