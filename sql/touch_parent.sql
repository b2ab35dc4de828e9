-- touch_parent: a parent's timestamp follows its children's changes.
CREATE SCHEMA tch AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = tch;

CREATE TABLE board (id int PRIMARY KEY, name text, touched_at timestamptz);
CREATE TABLE card (id int PRIMARY KEY, board_id int REFERENCES board, title text, note text);
CREATE TRIGGER card_touch AFTER INSERT OR UPDATE OR DELETE ON card FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('board_id', 'parent=board', 'column=touched_at');
-- one write per parent per statement: counted by a trigger on the parent
CREATE TABLE writes (board int, at timestamptz);
CREATE FUNCTION note_write() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO tch.writes VALUES (NEW.id, NEW.touched_at); RETURN NULL; END $$;
CREATE TRIGGER board_writes AFTER UPDATE ON board FOR EACH ROW EXECUTE FUNCTION note_write();
CREATE VIEW w AS SELECT board, count(*) AS writes, bool_and(at > '2001-01-01') AS moved_forward FROM writes GROUP BY board ORDER BY board;
INSERT INTO board (id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c');

-- INSERT: parents touched once per statement, at the transaction time
BEGIN;
INSERT INTO card SELECT g, 1 + g % 2, 't', NULL FROM generate_series(1, 10) g;
SELECT * FROM w;
SELECT id, touched_at = now() AS now FROM board ORDER BY id;
-- and once per transaction: a second statement writes nothing
INSERT INTO card VALUES (11, 1, 't', NULL);
UPDATE card SET title = 'u' WHERE id = 2;
SELECT * FROM w;
COMMIT;
TRUNCATE writes;
-- a no-op UPDATE touches nothing; a real change does; NULL keys touch nowhere
UPDATE board SET touched_at = '2000-01-01';
TRUNCATE writes;
UPDATE card SET title = title;
SELECT * FROM w;
UPDATE card SET note = 'x' WHERE id = 1;
SELECT * FROM w;
TRUNCATE writes;
INSERT INTO card VALUES (12, NULL, 'orphan', NULL);
UPDATE card SET note = 'y' WHERE id = 12;
SELECT * FROM w;
-- an fk change touches the old and the new parent
UPDATE board SET touched_at = '2000-01-01';
TRUNCATE writes;
UPDATE card SET board_id = 3 WHERE id = 1;
SELECT * FROM w;
TRUNCATE writes;
-- DELETE
UPDATE board SET touched_at = '2000-01-01';
TRUNCATE writes;
DELETE FROM card WHERE board_id = 3;
SELECT * FROM w;
-- never backwards: a later timestamp stays
UPDATE board SET touched_at = 'infinity' WHERE id = 2;
TRUNCATE writes;
INSERT INTO card VALUES (20, 2, 'late', NULL);
SELECT id, touched_at FROM board WHERE id = 2;
SELECT * FROM w;
DROP TRIGGER board_writes ON board;

-- update_last_modified on the parent: a touch counts as a change of the
-- parent (touched_at changed), so updated_at follows; to keep touches out
-- of it, ignore= the touched column
CREATE TABLE list (id int PRIMARY KEY, touched_at timestamp(0), updated_at timestamptz,
                   cards_count int DEFAULT 0);
CREATE TABLE list_card (id int PRIMARY KEY, list_id int);
CREATE TRIGGER list_stamp BEFORE UPDATE ON list FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at', 'ignore=touched_at,cards_count');
CREATE TRIGGER list_card_touch AFTER INSERT OR UPDATE OR DELETE ON list_card FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('list_id', 'parent=list', 'column=touched_at');
CREATE TRIGGER list_card_count AFTER INSERT OR UPDATE OR DELETE ON list_card FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('list_id', 'parent=list', 'counter=cards_count');
INSERT INTO list (id, updated_at) VALUES (1, '2000-01-01'), (2, '2000-01-01');
INSERT INTO list_card VALUES (1, 1), (2, 1);
-- touched and counted; updated_at kept (its trigger ignores both columns);
-- timestamp(0) holds the rounded time
SELECT id, touched_at > '2001-01-01' AND touched_at = date_trunc('second', touched_at) AS touched,
       updated_at, cards_count FROM list ORDER BY id;
-- or touch updated_at itself: update_last_modified on the parent takes the
-- touch as the change (a statement writing only updated_at is no change)
CREATE TABLE topic (id int PRIMARY KEY, title text, updated_at timestamptz);
CREATE TABLE reply (id int PRIMARY KEY, topic_id int);
CREATE TRIGGER topic_stamp BEFORE UPDATE ON topic FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
CREATE TRIGGER reply_touch AFTER INSERT OR UPDATE OR DELETE ON reply FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('topic_id', 'parent=topic', 'column=updated_at');
INSERT INTO topic VALUES (1, 't', '2000-01-01'), (2, 'u', '2000-01-01');
INSERT INTO reply VALUES (1, 1);
SELECT id, updated_at > '2001-01-01' AS touched FROM topic ORDER BY id;
UPDATE topic SET updated_at = '2000-01-01' WHERE id = 1;   -- kept by update_last_modified
SELECT id, updated_at > '2001-01-01' AS touched FROM topic ORDER BY id;
-- audit on the parent, the counter and the touch excluded
CREATE TABLE folder (id int PRIMARY KEY, name text, files int DEFAULT 0, touched_at timestamptz);
CREATE TABLE file (id int PRIMARY KEY, folder_id int);
CREATE TRIGGER folder_audit AFTER INSERT OR UPDATE OR DELETE ON folder FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.audit('exclude=files,touched_at');
CREATE TRIGGER file_count AFTER INSERT OR UPDATE OR DELETE ON file FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('folder_id', 'parent=folder', 'counter=files');
CREATE TRIGGER file_touch AFTER INSERT OR UPDATE OR DELETE ON file FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('folder_id', 'parent=folder', 'column=touched_at');
INSERT INTO folder (id, name) VALUES (1, 'f');
INSERT INTO file VALUES (1, 1), (2, 1);
DELETE FROM file WHERE id = 1;
UPDATE folder SET name = 'g';
SELECT files, touched_at IS NOT NULL AS touched FROM folder;
RESET ROLE;
SELECT op, old_values, new_values FROM orm_triggers.audit_log
 WHERE table_name = 'folder' ORDER BY id;
SET ROLE ormt_app;

-- statement form and self-reference: a thread touched by its replies
CREATE TABLE post (id int PRIMARY KEY, parent_id int REFERENCES post, body text,
                   activity_at timestamptz);
CREATE TRIGGER post_touch_ins AFTER INSERT ON post REFERENCING NEW TABLE AS nt FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=post', 'column=activity_at');
CREATE TRIGGER post_touch_upd AFTER UPDATE ON post REFERENCING OLD TABLE AS ot NEW TABLE AS nt FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=post', 'column=activity_at');
INSERT INTO post (id, parent_id, body, activity_at) VALUES (1, NULL, 'root', '2000-01-01');
INSERT INTO post (id, parent_id, body, activity_at) VALUES (2, 1, 'reply', '2000-01-01');
INSERT INTO post (id, parent_id, body, activity_at) VALUES (3, 2, 'reply to reply', '2000-01-01');
-- touching 2 changes 2, whose statement trigger touches 1 in turn
SELECT id, activity_at > '2001-01-01' AS touched FROM post ORDER BY id;
UPDATE post SET activity_at = '2000-01-01';
BEGIN;
UPDATE post SET body = body WHERE id = 3;   -- no real change: nothing
SELECT id, activity_at = now() AS touched FROM post ORDER BY id;
UPDATE post SET body = 'edited' WHERE id = 3;
SELECT id, activity_at = now() AS touched FROM post ORDER BY id;
COMMIT;

-- a cycle A -> B -> A ends: each parent is written once per transaction
CREATE TABLE node (id int PRIMARY KEY, other int, at timestamptz, n int DEFAULT 0);
CREATE TRIGGER node_touch AFTER INSERT OR UPDATE OR DELETE ON node FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('other', 'parent=node', 'column=at');
INSERT INTO node VALUES (1, 2, NULL), (2, 1, NULL);
SELECT id, at IS NOT NULL AS touched FROM node ORDER BY id;
BEGIN;
UPDATE node SET at = NULL, n = n + 1 WHERE id = 1;
SELECT id, at = now() AS touched, n, xmin = pg_current_xact_id()::xid AS written FROM node ORDER BY id;
COMMIT;

-- deferred=true: touches wait for the commit, applied once, in key order
CREATE TABLE doc (id int PRIMARY KEY, seen_at timestamptz);
CREATE TABLE line (id int PRIMARY KEY, doc_id int, t text);
CREATE TRIGGER line_touch AFTER INSERT OR UPDATE OR DELETE ON line FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('doc_id', 'parent=doc', 'column=seen_at', 'deferred=true');
INSERT INTO doc VALUES (1, NULL), (2, NULL);
BEGIN;
INSERT INTO line VALUES (1, 2, 'a');
INSERT INTO line VALUES (2, 1, 'b');
SELECT id, seen_at FROM doc ORDER BY id;   -- not yet
SAVEPOINT s;
INSERT INTO line VALUES (3, 3, 'c');
ROLLBACK TO s;
COMMIT;
SELECT id, seen_at IS NOT NULL AS touched FROM doc ORDER BY id;
-- a rolled back transaction touches nothing
UPDATE doc SET seen_at = NULL;
BEGIN;
INSERT INTO line VALUES (4, 1, 'd');
ROLLBACK;
SELECT id, seen_at FROM doc ORDER BY id;
-- outside a transaction block: at the statement's end
INSERT INTO line VALUES (5, 2, 'e');
SELECT id, seen_at IS NOT NULL AS touched FROM doc ORDER BY id;
-- PREPARE TRANSACTION applies them before preparing
UPDATE doc SET seen_at = NULL;
BEGIN;
DELETE FROM line WHERE id = 2;
PREPARE TRANSACTION 'tch';
COMMIT PREPARED 'tch';
SELECT id, seen_at IS NOT NULL AS touched FROM doc ORDER BY id;

-- partitioned child, parent in another schema, least privilege
CREATE SCHEMA tch_other;
CREATE TABLE tch_other.account (id bigint PRIMARY KEY, changed_at date);
CREATE TABLE event (id int, account_id bigint) PARTITION BY HASH (id);
CREATE TABLE event_0 PARTITION OF event FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE event_1 PARTITION OF event FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE TRIGGER event_touch AFTER INSERT OR UPDATE OR DELETE ON event FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('account_id', 'parent=tch_other.account', 'column=changed_at');
INSERT INTO tch_other.account VALUES (1, '2000-01-01'), (2, '2000-01-01');
RESET ROLE;
CREATE ROLE ormt_tch_writer;
GRANT USAGE ON SCHEMA tch TO ormt_tch_writer;
GRANT INSERT, SELECT ON tch.event TO ormt_tch_writer;
SET ROLE ormt_tch_writer;
INSERT INTO tch.event SELECT g, 1 FROM generate_series(1, 5) g;
RESET ROLE;
SELECT id, changed_at = current_date AS touched FROM tch_other.account ORDER BY id;
DROP OWNED BY ormt_tch_writer;
DROP ROLE ormt_tch_writer;
DROP SCHEMA tch, tch_other CASCADE;
