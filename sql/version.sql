-- increment_version: optimistic locking.
CREATE SCHEMA ver AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = ver;
-- Misconfigured triggers here are meant to fail at their first fire; the DDL
-- event trigger would reject them at CREATE TRIGGER already (see helpers.sql).
SET orm_triggers.validate_ddl = off;

CREATE TABLE doc (id int PRIMARY KEY, title text, version int);
CREATE TRIGGER doc_version BEFORE INSERT OR UPDATE ON doc
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version');

-- INSERT: NULL becomes 1, a given value is kept
INSERT INTO doc (id, title) VALUES (1, 'a');
INSERT INTO doc VALUES (2, 'b', 7), (3, 'c', NULL);
SELECT * FROM doc ORDER BY id;

-- UPDATE without touching the version: stored + 1
UPDATE doc SET title = 'a2' WHERE id = 1 RETURNING id, version;
-- a no-op UPDATE still bumps (the row was written)
UPDATE doc SET title = title WHERE id = 1 RETURNING id, version;
-- offering the stored version (the one read) succeeds and bumps
UPDATE doc SET title = 'a3', version = 3 WHERE id = 1 RETURNING id, version;
-- offering a stale version fails with 40001, naming both versions
UPDATE doc SET title = 'stale', version = 3 WHERE id = 1;
DO $$ BEGIN
  UPDATE ver.doc SET title = 'stale', version = 3 WHERE id = 1;
EXCEPTION WHEN serialization_failure THEN RAISE NOTICE 'caught SQLSTATE %', SQLSTATE;
END $$;
UPDATE doc SET version = NULL WHERE id = 1;
-- a newer version is as wrong as an older one
UPDATE doc SET version = 100 WHERE id = 1;
SELECT * FROM doc WHERE id = 1;
-- multi-row UPDATE: every row bumped from its own version
UPDATE doc SET title = upper(title);
SELECT * FROM doc ORDER BY id;
-- a stored NULL (legacy row, trigger disabled) becomes 1; offering NULL is the stored value
ALTER TABLE doc DISABLE TRIGGER doc_version;
UPDATE doc SET version = NULL WHERE id = 3;
ALTER TABLE doc ENABLE TRIGGER doc_version;
UPDATE doc SET version = 5 WHERE id = 3;
UPDATE doc SET version = NULL WHERE id = 3 RETURNING id, version;

-- ON CONFLICT: BEFORE INSERT then BEFORE UPDATE
INSERT INTO doc (id, title) VALUES (1, 'upsert')
    ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title RETURNING id, title, version;
-- EXCLUDED.version is the inserted row's version (1 after BEFORE INSERT): stale
INSERT INTO doc (id, title) VALUES (1, 'upsert2')
    ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, version = EXCLUDED.version;
-- the version the client read, as a compare-and-set
INSERT INTO doc (id, title, version) VALUES (1, 'upsert3', 6)
    ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, version = EXCLUDED.version
    RETURNING id, title, version;

-- MERGE
MERGE INTO doc d USING (VALUES (2, 'merged', 8), (4, 'new', NULL)) s(id, title, v) ON d.id = s.id
    WHEN MATCHED THEN UPDATE SET title = s.title, version = s.v
    WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.title, s.v);
SELECT * FROM doc ORDER BY id;
MERGE INTO doc d USING (VALUES (2, 'stale')) s(id, title) ON d.id = s.id
    WHEN MATCHED THEN UPDATE SET title = s.title, version = 8;

-- int2 and int8, overflow, domains
CREATE DOMAIN small_version AS smallint CHECK (VALUE < 3);
CREATE TABLE v2 (id int PRIMARY KEY, v smallint);
CREATE TRIGGER v2_version BEFORE INSERT OR UPDATE ON v2
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('v');
INSERT INTO v2 VALUES (1, 32766);
UPDATE v2 SET id = 1 RETURNING v;
UPDATE v2 SET id = 1;
CREATE TABLE v8 (id int PRIMARY KEY, v bigint);
CREATE TRIGGER v8_version BEFORE INSERT OR UPDATE ON v8
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('v');
INSERT INTO v8 VALUES (1, 9223372036854775806), (2, NULL);
UPDATE v8 SET id = id RETURNING *;
UPDATE v8 SET id = id;
UPDATE v8 SET v = 9223372036854775807 WHERE id = 2;
CREATE TABLE vd (id int PRIMARY KEY, v small_version);
CREATE TRIGGER vd_version BEFORE INSERT OR UPDATE ON vd
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('v');
INSERT INTO vd VALUES (1);
UPDATE vd SET id = 1 RETURNING v;
UPDATE vd SET id = 1;
SELECT * FROM vd;

-- partitions: the message names the partitioned table
CREATE TABLE pv (id int, region text, version int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE pv_eu PARTITION OF pv FOR VALUES IN ('eu');
CREATE TABLE pv_us PARTITION OF pv FOR VALUES IN ('us');
CREATE TRIGGER pv_version BEFORE INSERT OR UPDATE ON pv
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version');
INSERT INTO pv VALUES (1, 'eu');
UPDATE pv SET version = 9;
-- moving a row to another partition: BEFORE UPDATE on the source bumps it, BEFORE INSERT
-- on the destination keeps the bumped version
UPDATE pv SET region = 'us' RETURNING tableoid::regclass, *;

-- quoted names, dropped columns before the version column, ALTER TABLE picked up
CREATE TABLE "Odd ""T""" (drop_me int, id int PRIMARY KEY, "Lock Version" int);
ALTER TABLE "Odd ""T""" DROP COLUMN drop_me;
CREATE TRIGGER "t v" BEFORE INSERT OR UPDATE ON "Odd ""T"""
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('Lock Version');
INSERT INTO "Odd ""T""" (id) VALUES (1);
UPDATE "Odd ""T""" SET "Lock Version" = 0;
ALTER TABLE "Odd ""T""" ALTER COLUMN "Lock Version" TYPE bigint;
UPDATE "Odd ""T""" SET id = 1 RETURNING *;
ALTER TABLE "Odd ""T""" ALTER COLUMN "Lock Version" TYPE text;
UPDATE "Odd ""T""" SET id = 1;

-- The ORMs' own protocol (Rails lock_version, Hibernate @Version, SQLAlchemy
-- version_id_col): the statement writes read + 1, guarded by WHERE version = read.
CREATE TABLE lock_t (id int PRIMARY KEY, title text, lock_version int NOT NULL DEFAULT 0);
CREATE TRIGGER lock_t_version BEFORE INSERT OR UPDATE ON lock_t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('lock_version');
-- Rails creates with lock_version 0 (a given value is kept) ...
INSERT INTO lock_t (id, title) VALUES (1, 'a') RETURNING lock_version;
-- ... and saves with lock_version = read + 1: kept as written, not bumped again
UPDATE lock_t SET title = 'b', lock_version = 1 WHERE id = 1 AND lock_version = 0 RETURNING lock_version;
-- a second save of the same stale read matches no row: the ORM raises its own error
UPDATE lock_t SET title = 'stale', lock_version = 1 WHERE id = 1 AND lock_version = 0 RETURNING lock_version;
SELECT * FROM lock_t;
-- a bulk update that leaves the column out bumps; one that writes version + 1 bumps once
UPDATE lock_t SET title = 'bulk' RETURNING lock_version;
UPDATE lock_t SET lock_version = lock_version + 1 RETURNING lock_version;
-- stale by more than one, a jump ahead and NULL still fail
UPDATE lock_t SET lock_version = 1;
UPDATE lock_t SET lock_version = 5;
UPDATE lock_t SET lock_version = NULL;
SELECT * FROM lock_t;
-- at the top of the type, read + 1 cannot be written; the stored version bumps into the error
CREATE TABLE lock2 (id int PRIMARY KEY, v smallint);
CREATE TRIGGER lock2_version BEFORE INSERT OR UPDATE ON lock2
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('v');
INSERT INTO lock2 VALUES (1, 32766);
UPDATE lock2 SET v = 32767 RETURNING v;
UPDATE lock2 SET v = 32767;

-- strict=true: only the version read (or none) is accepted; read + 1 is stale
CREATE TABLE strict_t (id int PRIMARY KEY, v int);
CREATE TRIGGER strict_t_version BEFORE INSERT OR UPDATE ON strict_t
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('v', 'strict=true');
INSERT INTO strict_t VALUES (1, NULL) RETURNING v;
UPDATE strict_t SET v = 1 RETURNING v;
UPDATE strict_t SET v = 3;
UPDATE strict_t SET id = 1 RETURNING v;

RESET ROLE;
DROP SCHEMA ver CASCADE;
