-- set_created_at: INSERT fills a NULL, UPDATE keeps the old value.
CREATE SCHEMA ormt_ca AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = ormt_ca;

CREATE TABLE t (id int PRIMARY KEY, x text, created_at timestamptz);
CREATE TRIGGER t_ca BEFORE INSERT OR UPDATE ON t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('created_at');

BEGIN;
INSERT INTO t (id, x) VALUES (1, 'a'), (2, 'b');
INSERT INTO t VALUES (3, 'c', '2000-01-01 00:00+00'), (4, 'd', NULL);
SELECT id, created_at = now() AS is_now, created_at = '2000-01-01 00:00+00' AS is_given
  FROM t ORDER BY id;
COMMIT;

-- UPDATE keeps the old value whatever the statement writes (multi-row)
BEGIN;
UPDATE t SET created_at = '2020-02-02 00:00+00', x = x || '!';
UPDATE t SET created_at = NULL WHERE id IN (1, 3);
UPDATE t SET created_at = DEFAULT WHERE id = 2;
SELECT id, x, created_at IS NULL AS is_null,
       created_at = '2000-01-01 00:00+00' AS old_given,
       created_at = '2020-02-02 00:00+00' AS written
  FROM t ORDER BY id;
ROLLBACK;
-- (the rows inserted with now() in the earlier transaction keep that value:
-- it is not the current now())
BEGIN;
UPDATE t SET x = 'y';
SELECT id, created_at = now() AS is_current_now, created_at IS NOT NULL AS set
  FROM t ORDER BY id;
ROLLBACK;

-- DELETE: not involved
DELETE FROM t WHERE id = 4 RETURNING id, x;

-- ON CONFLICT DO UPDATE: the existing row's value survives even when the
-- conflict action copies the proposed row's (which BEFORE INSERT set)
BEGIN;
INSERT INTO t (id, x) VALUES (3, 'conflict'), (5, 'new')
    ON CONFLICT (id) DO UPDATE SET x = EXCLUDED.x, created_at = EXCLUDED.created_at;
SELECT id, x, created_at = '2000-01-01 00:00+00' AS kept, created_at = now() AS is_now
  FROM t WHERE id IN (3, 5) ORDER BY id;
ROLLBACK;

-- COPY keeps given values, fills \N
BEGIN;
COPY t FROM stdin;
20	copied	1999-12-31 23:59:59+00
21	copied	\N
\.
SELECT id, created_at = '1999-12-31 23:59:59+00' AS given, created_at = now() AS is_now
  FROM t WHERE id >= 20 ORDER BY id;
ROLLBACK;

-- timestamp, date, timestamp(0) and a domain over date with a CHECK
CREATE DOMAIN past_date AS date CHECK (VALUE < '2000-01-01');
CREATE TABLE ty (id int PRIMARY KEY, a timestamp, b date, c timestamp(0), d past_date);
CREATE TRIGGER ty_a BEFORE INSERT OR UPDATE ON ty
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('a');
CREATE TRIGGER ty_b BEFORE INSERT OR UPDATE ON ty
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('b');
CREATE TRIGGER ty_c BEFORE INSERT OR UPDATE ON ty
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('c');
CREATE TRIGGER ty_d BEFORE INSERT OR UPDATE ON ty
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('d');
BEGIN;
SET LOCAL timezone = 'Asia/Tokyo';
INSERT INTO ty (id, d) VALUES (1, '1990-05-05');
SELECT a = now()::timestamp AS a_local, b = current_date AS b_today,
       c = now()::timestamp(0) AS c_rounded, d = '1990-05-05' AS d_given FROM ty;
ROLLBACK;
-- the domain's CHECK is enforced on the filled value
INSERT INTO ty (id) VALUES (2);
SELECT count(*) FROM ty;

RESET ROLE;
RESET search_path;
DROP SCHEMA ormt_ca CASCADE;
