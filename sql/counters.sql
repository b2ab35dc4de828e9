-- counter_cache: parents' child counts and sums, and recount().
CREATE SCHEMA ctr AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = ctr;

CREATE TABLE author (id int PRIMARY KEY, name text, posts_count int NOT NULL DEFAULT 0,
                     published_count int DEFAULT 0, words bigint DEFAULT 0,
                     score numeric DEFAULT 0);
CREATE TABLE post (id int PRIMARY KEY, author_id int REFERENCES author ON DELETE CASCADE,
                   published boolean, words int, score numeric, title text);
CREATE TRIGGER post_count AFTER INSERT OR UPDATE OR DELETE ON post FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('author_id', 'parent=author', 'counter=posts_count');
CREATE TRIGGER post_published AFTER INSERT OR UPDATE OR DELETE ON post FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('author_id', 'parent=author', 'counter=published_count',
                                                'where=published');
CREATE TRIGGER post_words AFTER INSERT OR UPDATE OR DELETE ON post FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('author_id', 'parent=author', 'counter=words',
                                                'delta=words');
CREATE TRIGGER post_score AFTER INSERT OR UPDATE OR DELETE ON post FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('author_id', 'parent=author', 'counter=score',
                                                'delta=score', 'where=published');
INSERT INTO author (id, name) SELECT g, 'a' || g FROM generate_series(1, 4) g;

-- every count compared with the truth after each step
CREATE VIEW check_counts AS
SELECT a.id, a.posts_count, a.published_count, a.words, a.score,
       a.posts_count = (SELECT count(*) FROM post p WHERE p.author_id = a.id)
   AND a.published_count = (SELECT count(*) FROM post p WHERE p.author_id = a.id AND p.published)
   AND a.words = (SELECT coalesce(sum(p.words), 0) FROM post p WHERE p.author_id = a.id)
   AND a.score = (SELECT coalesce(sum(p.score), 0) FROM post p WHERE p.author_id = a.id AND p.published)
       AS exact
  FROM author a ORDER BY a.id;

-- INSERT, one row and many
INSERT INTO post VALUES (1, 1, true, 100, 1.5, 'p1');
INSERT INTO post SELECT g, 1 + g % 3, g % 2 = 0, g * 10, g / 4.0, 'p' || g FROM generate_series(2, 20) g;
SELECT * FROM check_counts;
-- NULL key: counts nowhere; a missing parent is no error (no FK here)
INSERT INTO post VALUES (21, NULL, true, 5, 1, 'orphan');
SELECT * FROM check_counts;
-- UPDATE of another column: no parent row written (xmin unchanged)
CREATE TEMP TABLE before_xmin AS SELECT id, xmin::text AS x FROM author;
UPDATE post SET title = title || '!';
SELECT a.id, a.xmin::text = b.x AS untouched FROM author a JOIN before_xmin b USING (id) ORDER BY a.id;
-- a no-op update of the fk itself: nothing either
UPDATE post SET author_id = author_id;
SELECT a.id, a.xmin::text = b.x AS untouched FROM author a JOIN before_xmin b USING (id) ORDER BY a.id;
-- moving children: -1 old, +1 new
UPDATE post SET author_id = 4 WHERE id IN (1, 2, 3);
SELECT * FROM check_counts;
-- flipping where=, changing delta=
UPDATE post SET published = NOT published WHERE id <= 6;
UPDATE post SET words = words + 1, score = score * 2 WHERE id % 3 = 0;
SELECT * FROM check_counts;
-- NULL delta counts as nothing; NULL where counts as false
UPDATE post SET words = NULL, published = NULL WHERE id = 4;
SELECT * FROM check_counts;
-- moving to and from NULL
UPDATE post SET author_id = NULL WHERE id = 5;
UPDATE post SET author_id = 2 WHERE id = 21;
SELECT * FROM check_counts;
-- DELETE
DELETE FROM post WHERE id % 4 = 0;
SELECT * FROM check_counts;

-- one statement, one UPDATE per parent: parents' xmin shows one write each
-- (a per-row trigger would create as many versions as rows)
CREATE TABLE hits (n int);
CREATE FUNCTION count_parent_updates() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN INSERT INTO ctr.hits VALUES (NEW.id); RETURN NULL; END $$;
CREATE TRIGGER author_updates AFTER UPDATE ON author FOR EACH ROW EXECUTE FUNCTION count_parent_updates();
INSERT INTO post SELECT g, 1 + g % 2, false, 1, 0, 'bulk' FROM generate_series(100, 199) g;
SELECT n, count(*) FROM hits GROUP BY n ORDER BY n;
TRUNCATE hits;
-- deltas that net to zero in one statement: no write at all
UPDATE post SET author_id = CASE author_id WHEN 1 THEN 2 ELSE 1 END WHERE id BETWEEN 100 AND 199;
SELECT count(*) AS parent_writes FROM hits;
SELECT * FROM check_counts;
DROP TRIGGER author_updates ON author;

-- rolled back statements and savepoints leave the counts right
BEGIN;
INSERT INTO post VALUES (300, 3, true, 1, 1, 'x');
SAVEPOINT s;
INSERT INTO post VALUES (301, 3, true, 1, 1, 'y');
ROLLBACK TO s;
INSERT INTO post VALUES (302, 3, true, 1, 1, 'z');
COMMIT;
BEGIN;
DELETE FROM post WHERE author_id = 3;
ROLLBACK;
SELECT * FROM check_counts;
-- an error inside a subtransaction of a function
DO $$ BEGIN
  BEGIN
    INSERT INTO ctr.post VALUES (303, 3, true, 1, 1, 'w');
    RAISE EXCEPTION 'undo';
  EXCEPTION WHEN raise_exception THEN NULL;
  END;
  INSERT INTO ctr.post VALUES (304, 3, true, 1, 1, 'v');
END $$;
SELECT * FROM check_counts;
-- COPY
COPY post FROM stdin;
400	2	t	7	0.5	copied
401	2	f	8	0.5	copied
\.
SELECT * FROM check_counts;
-- INSERT ... ON CONFLICT DO UPDATE moving the child
INSERT INTO post VALUES (400, 3, true, 7, 0.5, 'upsert')
    ON CONFLICT (id) DO UPDATE SET author_id = EXCLUDED.author_id;
SELECT * FROM check_counts;

-- ON DELETE CASCADE from the parent
DELETE FROM author WHERE id = 4;
SELECT * FROM check_counts;
-- ON UPDATE CASCADE keeps the count with the parent row (no doubling)
CREATE TABLE team (id int PRIMARY KEY, members int DEFAULT 0);
CREATE TABLE member (id int PRIMARY KEY, team_id int REFERENCES team ON UPDATE CASCADE);
CREATE TRIGGER member_count AFTER INSERT OR UPDATE OR DELETE ON member FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('team_id', 'parent=team', 'counter=members');
INSERT INTO team VALUES (1), (2);
INSERT INTO member SELECT g, 1 + g % 2 FROM generate_series(1, 5) g;
UPDATE team SET id = 10 WHERE id = 1;
UPDATE member SET team_id = 2 WHERE id = 1;
SELECT t.id, t.members, (SELECT count(*) FROM member m WHERE m.team_id = t.id) AS actual FROM team t ORDER BY id;

-- TRUNCATE: an AFTER TRUNCATE statement trigger resets the counters
CREATE TRIGGER member_truncate AFTER TRUNCATE ON member FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.counter_cache('team_id', 'parent=team', 'counter=members');
TRUNCATE member;
SELECT * FROM team ORDER BY id;

-- the statement form, one trigger per event with its transition tables
CREATE TABLE box (k text, n int, PRIMARY KEY (k, n), items bigint, weight numeric);
CREATE TABLE item (id int PRIMARY KEY, box_k text, box_n int, w numeric);
CREATE TRIGGER item_ins AFTER INSERT ON item REFERENCING NEW TABLE AS nt FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.counter_cache('box_k', 'box_n', 'parent=box', 'counter=items');
CREATE TRIGGER item_upd AFTER UPDATE ON item REFERENCING OLD TABLE AS ot NEW TABLE AS nt FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.counter_cache('box_k', 'box_n', 'parent=box', 'counter=items');
CREATE TRIGGER item_del AFTER DELETE ON item REFERENCING OLD TABLE AS ot FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.counter_cache('box_k', 'box_n', 'parent=box', 'counter=items');
CREATE TRIGGER item_w_ins AFTER INSERT ON item REFERENCING NEW TABLE AS nt FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.counter_cache('box_k', 'box_n', 'parent=box', 'counter=weight', 'delta=w');
CREATE TRIGGER item_w_upd AFTER UPDATE ON item REFERENCING OLD TABLE AS ot NEW TABLE AS nt FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.counter_cache('box_k', 'box_n', 'parent=box', 'counter=weight', 'delta=w');
CREATE TRIGGER item_w_del AFTER DELETE ON item REFERENCING OLD TABLE AS ot FOR EACH STATEMENT
    EXECUTE FUNCTION orm_triggers.counter_cache('box_k', 'box_n', 'parent=box', 'counter=weight', 'delta=w');
INSERT INTO box SELECT k, n, NULL, NULL FROM unnest(ARRAY['a', 'B', 'c d']) k, generate_series(1, 2) n;
CREATE VIEW check_boxes AS
SELECT b.k, b.n, b.items, b.weight,
       coalesce(b.items, 0) = (SELECT count(*) FROM item i WHERE (i.box_k, i.box_n) = (b.k, b.n))
   AND coalesce(b.weight, 0) = (SELECT coalesce(sum(i.w), 0) FROM item i WHERE (i.box_k, i.box_n) = (b.k, b.n))
       AS exact
  FROM box b ORDER BY b.k, b.n;
INSERT INTO item SELECT g, (ARRAY['a', 'B', 'c d'])[1 + g % 3], 1 + g % 2, g / 10.0 FROM generate_series(1, 30) g;
SELECT * FROM check_boxes;
UPDATE item SET box_n = 3 - box_n WHERE id <= 10;
UPDATE item SET w = w + 1 WHERE box_k = 'a';
UPDATE item SET box_k = NULL WHERE id = 11;
SELECT * FROM check_boxes;
DELETE FROM item WHERE id % 2 = 0;
SELECT * FROM check_boxes;
-- recount(): after attaching to a populated table, and after drift
UPDATE author SET posts_count = 99, published_count = NULL, words = -1, score = 7;
SELECT orm_triggers.recount('post', 'post_count') AS c1,
       orm_triggers.recount('post', 'post_published') AS c2,
       orm_triggers.recount('post', 'post_words') AS c3,
       orm_triggers.recount('post', 'post_score') AS c4;
SELECT * FROM check_counts;
SELECT orm_triggers.recount('post', 'post_count') AS nothing_to_change;
UPDATE box SET items = 5, weight = NULL;
SELECT orm_triggers.recount('item', 'item_ins'), orm_triggers.recount('item', 'item_w_del');
SELECT * FROM check_boxes;

-- a statement whose deltas net to zero per parent writes nothing (the sums
-- of w would not net to zero: their triggers go first)
DROP TRIGGER item_w_ins ON item;
DROP TRIGGER item_w_upd ON item;
DROP TRIGGER item_w_del ON item;
CREATE TEMP TABLE box_xmin AS SELECT k, n, xmin::text AS x FROM box;
UPDATE item SET box_n = 3 - box_n WHERE id IN (1, 13);
UPDATE item SET id = id + 1000 WHERE box_k = 'c d';
SELECT b.k, b.n, b.xmin::text = x.x AS untouched FROM box b JOIN box_xmin x USING (k, n) ORDER BY 1, 2;

-- self-referencing: a comment's replies
CREATE TABLE comment (id int PRIMARY KEY, parent_id int REFERENCES comment ON DELETE CASCADE,
                      replies int NOT NULL DEFAULT 0);
CREATE TRIGGER comment_replies AFTER INSERT OR UPDATE OR DELETE ON comment FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=comment', 'counter=replies');
INSERT INTO comment (id, parent_id) VALUES (1, NULL), (2, 1), (3, 1), (4, 2), (5, 4);
INSERT INTO comment (id, parent_id) VALUES (6, 5), (7, 5);
UPDATE comment SET parent_id = 3 WHERE id = 4;
SELECT c.id, c.replies, (SELECT count(*) FROM comment r WHERE r.parent_id = c.id) AS actual FROM comment c ORDER BY id;
DELETE FROM comment WHERE id = 4;
SELECT c.id, c.replies, (SELECT count(*) FROM comment r WHERE r.parent_id = c.id) AS actual FROM comment c ORDER BY id;

-- self-referencing with soft_delete: the soft delete's UPDATE runs inside
-- the DELETE (a BEFORE trigger); its parent writes wait for the DELETE's
-- end, as the DELETE may still change those rows.  A generated "live"
-- flag counts live replies only.
CREATE TABLE note (id int PRIMARY KEY, parent_id int, deleted_at timestamptz,
                   live boolean GENERATED ALWAYS AS (deleted_at IS NULL) STORED,
                   live_replies int NOT NULL DEFAULT 0, touched_at timestamptz);
CREATE TRIGGER note_soft BEFORE DELETE ON note FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at');
CREATE TRIGGER note_replies AFTER INSERT OR UPDATE OR DELETE ON note FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('parent_id', 'parent=note', 'counter=live_replies', 'where=live');
CREATE TRIGGER note_touch AFTER INSERT OR UPDATE OR DELETE ON note FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.touch_parent('parent_id', 'parent=note', 'column=touched_at');
INSERT INTO note (id, parent_id) VALUES (1, NULL), (2, 1), (3, 1), (4, 2), (5, 2), (6, 5);
DELETE FROM note WHERE id IN (1, 2, 5, 6);
SELECT n.id, n.live, n.live_replies,
       (SELECT count(*) FROM note r WHERE r.parent_id = n.id AND r.live) AS actual,
       n.touched_at IS NOT NULL AS touched
  FROM note n ORDER BY id;

-- partitioned child and partitioned parent, quoted names, another schema
CREATE SCHEMA "Other Schema";
CREATE TABLE "Other Schema"."Shop" (region text, id int, "Order Count" int DEFAULT 0,
                                    PRIMARY KEY (region, id)) PARTITION BY LIST (region);
CREATE TABLE "Other Schema".shop_eu PARTITION OF "Other Schema"."Shop" FOR VALUES IN ('eu');
CREATE TABLE "Other Schema".shop_us PARTITION OF "Other Schema"."Shop" FOR VALUES IN ('us');
CREATE TABLE orders (id int, region text, shop int, amount int) PARTITION BY RANGE (id);
CREATE TABLE orders_1 PARTITION OF orders FOR VALUES FROM (0) TO (100);
CREATE TABLE orders_2 (amount int, shop int, region text, id int);
ALTER TABLE orders_2 DROP COLUMN amount;
ALTER TABLE orders_2 ADD COLUMN amount int;
ALTER TABLE orders ATTACH PARTITION orders_2 FOR VALUES FROM (100) TO (200);
CREATE TRIGGER orders_count AFTER INSERT OR UPDATE OR DELETE ON orders FOR EACH ROW
    EXECUTE FUNCTION orm_triggers.counter_cache('region', 'shop', 'parent="Other Schema"."Shop"',
                                                'counter="Order Count"');
INSERT INTO "Other Schema"."Shop" (region, id) VALUES ('eu', 1), ('us', 1), ('us', 2);
INSERT INTO orders SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, 1 + g % 3 % 2, g FROM generate_series(1, 199, 7) g;
-- a row moving between partitions of the child, and between parents
UPDATE orders SET id = id + 100, region = 'us', shop = 2 WHERE id < 30;
SELECT s.region, s.id, s."Order Count",
       (SELECT count(*) FROM orders o WHERE o.region = s.region AND o.shop = s.id) AS actual
  FROM "Other Schema"."Shop" s ORDER BY 1, 2;
DELETE FROM orders WHERE id > 150;
SELECT s.region, s.id, s."Order Count",
       (SELECT count(*) FROM orders o WHERE o.region = s.region AND o.shop = s.id) AS actual
  FROM "Other Schema"."Shop" s ORDER BY 1, 2;
SELECT orm_triggers.recount('orders', 'orders_count');
-- not on a partition: it holds only some of the children
SELECT orm_triggers.recount('orders_1', 'orders_count');

-- attach() makes the canonical row trigger
CREATE TABLE tag (id int PRIMARY KEY, uses int DEFAULT 0);
CREATE TABLE tagging (id int, tag_id int);
SELECT orm_triggers.attach('tagging', 'counter_cache', ARRAY['tag_id', 'parent=tag', 'counter=uses']);
SELECT trigger_name, timing, level, events, arguments FROM orm_triggers.attached WHERE table_name = 'tagging'::regclass;
INSERT INTO tag VALUES (1);
INSERT INTO tagging VALUES (1, 1), (2, 1);
SELECT * FROM tag;
RESET ROLE;

-- least privilege: a writer of the child with no right on the parent
CREATE ROLE ormt_ctr_writer;
GRANT USAGE ON SCHEMA ctr TO ormt_ctr_writer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ctr.tagging TO ormt_ctr_writer;
SET ROLE ormt_ctr_writer;
INSERT INTO ctr.tagging VALUES (3, 1);
DELETE FROM ctr.tagging WHERE id = 1;
SELECT * FROM ctr.tag;  -- no right to read it
RESET ROLE;
SELECT uses FROM ctr.tag;
-- recount() runs with the caller's rights: the writer has none on the parent
SET ROLE ormt_ctr_writer;
SELECT orm_triggers.recount('ctr.tagging', 'orm_counter_cache_tag_id');
RESET ROLE;

-- search_path: a decoy table and operator on the caller's path change nothing
CREATE SCHEMA decoy;
CREATE TABLE decoy.tag (id int PRIMARY KEY, uses int DEFAULT 0);
INSERT INTO decoy.tag VALUES (1, 0);
CREATE FUNCTION decoy.bad_eq(int, int) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR decoy.= (LEFTARG = int, RIGHTARG = int, FUNCTION = decoy.bad_eq);
SET search_path = decoy, ctr, public;
INSERT INTO ctr.tagging VALUES (4, 1);
SELECT 'ctr' AS s, uses FROM ctr.tag UNION ALL SELECT 'decoy', uses FROM decoy.tag;
RESET search_path;
DROP SCHEMA decoy CASCADE;
DROP OWNED BY ormt_ctr_writer;
DROP ROLE ormt_ctr_writer;
DROP SCHEMA "Other Schema" CASCADE;
DROP SCHEMA ctr CASCADE;
