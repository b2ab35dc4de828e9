-- One JSON rendering for audit and notify_change: for the same row, the key
-- and values a notification carries, the audit log's key and new_values,
-- and to_jsonb(row) are the same jsonb, for every kind of column
-- (timestamptz, oid, numeric with NaN, floats with infinities, integers,
-- booleans, text, arrays, json, jsonb, bytea, composites, domains, ...).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink SCHEMA public;
RESET client_min_messages;
SELECT public.dblink_connect('json_listener',
    format('host=%s port=%s dbname=%s user=%s',
           split_part(current_setting('unix_socket_directories'), ',', 1),
           current_setting('port'), current_database(), current_user));
SELECT public.dblink_exec('json_listener', 'LISTEN ormt_json');
CREATE SCHEMA jr;
SET search_path = jr;
SET timezone = 'UTC';
-- the payloads received since the last call, as jsonb
CREATE FUNCTION jr.received(OUT payload jsonb) RETURNS SETOF jsonb LANGUAGE plpgsql AS $$
BEGIN
  PERFORM * FROM public.dblink('json_listener', 'SELECT 1') AS r(x int);
  RETURN QUERY SELECT n.extra::jsonb FROM public.dblink_get_notify('json_listener') n;
END $$;
CREATE TYPE jr.pair AS (a int, b text);
CREATE DOMAIN jr.price AS numeric CHECK (VALUE IS NULL OR VALUE >= 0);
CREATE DOMAIN jr.tags AS text[];
CREATE TABLE jr.r (
    at timestamptz, o oid, n numeric, i int, b boolean, t text,
    c jr.pair, d jr.price, a int[], by bytea,
    f float8, r4 real, s smallint, big bigint, j json, jb jsonb, dt date,
    ts timestamp, vc varchar(10), nm name, u uuid, iv interval, tg jr.tags,
    pt point, m money, ch "char", inet inet,
    PRIMARY KEY (at, o, n, i, b, t, c, d, a, by));
CREATE TRIGGER r_notify AFTER INSERT OR UPDATE OR DELETE ON jr.r FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.notify_change('channel=ormt_json',
        'columns=at,o,n,i,b,t,c,d,a,by,f,r4,s,big,j,jb,dt,ts,vc,nm,u,iv,tg,pt,m,ch,inet');
CREATE TRIGGER r_audit AFTER INSERT OR UPDATE OR DELETE ON jr.r FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.audit();
INSERT INTO jr.r VALUES
    ('2026-01-01 10:00:00+00', 42, 1.50, 7, true, E'say "hi"\n\\', ROW(1, 'p'), 12.5,
     '{1,NULL,3}', '\x00ff', 'Infinity', '-Infinity', -3, 9007199254740993,
     '{"b": [1, 2.0], "a": null}', '{"k": {"z": 1, "a": [true]}}', '2026-02-03',
     '2026-01-01 10:00:00.5', 'vc', 'nm', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
     '1 day 02:00:00', '{x,"y z"}', '(1.5,-2)', 12.34, 'c', '10.0.0.1/8'),
    ('infinity', 0, 'NaN', -2147483648, false, '', ROW(NULL, NULL), 1,
     '{}', '', 'NaN', 1e-30, NULL, NULL,
     '"just a string"', '[]', '-infinity', 'infinity', NULL, NULL, NULL,
     NULL, '{}', NULL, NULL, NULL, NULL),
    ('1999-12-31 23:59:59.999999+00', 4294967295, 'Infinity', 0, false, 'x',
     ROW(-1, 'q,r'), 0, '{{1,2},{3,4}}', '\x', 1e100, 3.4e38, 32767, -1, 'null',
     'null', '0001-01-01', '2000-02-29 00:00:00', '', '', NULL, '-1 mon', NULL, NULL,
     -0.5, 'z', '::1');
CREATE TEMP TABLE got AS SELECT p FROM jr.received() AS p;
-- the key as each of them has it, for the first row
SELECT p->'key' AS notify_key FROM got WHERE (p->'key'->>'i')::int = 7;
SELECT a.key AS audit_key FROM orm_triggers.audit_log AS a
 WHERE a.table_name = 'r' AND (a.key->>'i')::int = 7;
-- all three agree for every row: notification key and values, audit key
-- and values, to_jsonb of the row
SELECT r.i,
       n.p->'key' = a.key AS notify_key_is_audit_key,
       a.key = (SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(to_jsonb(r)) AS e
                 WHERE e.key IN ('at', 'o', 'n', 'i', 'b', 't', 'c', 'd', 'a', 'by')) AS audit_key_is_to_jsonb,
       n.p->'values' = to_jsonb(r) AS notify_values_are_to_jsonb,
       a.new_values = to_jsonb(r) AS audit_values_are_to_jsonb
  FROM jr.r AS r
  LEFT JOIN orm_triggers.audit_log AS a ON a.table_name = 'r' AND a.op = 'INSERT'
   AND (a.key->>'i')::int = r.i
  LEFT JOIN got AS n ON (n.p->'key'->>'i')::int = r.i AND n.p->>'op' = 'INSERT'
 ORDER BY r.i;
-- an UPDATE: the changed column as to_jsonb has it, in both
UPDATE jr.r SET vc = coalesce(vc, '') || '!', iv = coalesce(iv, '1 s') * 2;
SELECT r.i,
       n.p->'values' = to_jsonb(r) AS notify_values_are_to_jsonb,
       a.new_values = jsonb_build_object('vc', to_jsonb(r.vc), 'iv', to_jsonb(r.iv)) AS audit_values_are_to_jsonb
  FROM jr.r AS r
  LEFT JOIN orm_triggers.audit_log AS a ON a.table_name = 'r' AND a.op = 'UPDATE'
   AND (a.key->>'i')::int = r.i
  LEFT JOIN jr.received() AS n(p) ON (n.p->'key'->>'i')::int = r.i
 ORDER BY r.i;
-- json holding \u0000, which jsonb cannot: a JSON string of the json text in both
CREATE TABLE jr.nul (id int PRIMARY KEY, j json);
CREATE TRIGGER nul_notify AFTER INSERT ON jr.nul FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.notify_change('channel=ormt_json', 'columns=j');
CREATE TRIGGER nul_audit AFTER INSERT ON jr.nul FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.audit();
INSERT INTO jr.nul VALUES (1, '{"a": "x\u0000y"}');
SELECT p->'values' AS notify_values FROM jr.received() AS p;
SELECT new_values AS audit_values FROM orm_triggers.audit_log WHERE table_name = 'nul';
SELECT public.dblink_disconnect('json_listener');
RESET search_path;
DROP SCHEMA jr CASCADE;
DELETE FROM orm_triggers.audit_log WHERE schema_name = 'jr';
