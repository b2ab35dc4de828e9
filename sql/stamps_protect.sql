-- protect_columns: mode=error (default) rejects a change, mode=keep undoes it.
CREATE SCHEMA ormt_pc AUTHORIZATION ormt_app;
SET ROLE ormt_app;
SET search_path = ormt_pc;

-- print SQLSTATE, message, detail and hint of an error
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

CREATE TABLE acct (id int PRIMARY KEY, owner text, secret text, balance int, note text);
CREATE TRIGGER acct_protect BEFORE UPDATE ON acct
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('owner', 'secret');
INSERT INTO acct VALUES (1, 'alice', 's3cr3t-value', 10, NULL), (2, 'bob', NULL, 20, NULL);

-- other columns change freely; writing a protected column's current value is fine
UPDATE acct SET balance = balance + 1, owner = owner, secret = secret;
UPDATE acct SET owner = 'alice' WHERE id = 1;
SELECT * FROM acct ORDER BY id;

-- a change fails: the column and table are named, the values are not
UPDATE acct SET secret = 'leaked-new-value' WHERE id = 1;
UPDATE acct SET owner = 'mallory';
SELECT try($$UPDATE ormt_pc.acct SET secret = 'leaked-new-value' WHERE id = 1$$);
-- NULL to a value and a value to NULL are changes
SELECT try($$UPDATE ormt_pc.acct SET secret = 'x' WHERE id = 2$$);
SELECT try($$UPDATE ormt_pc.acct SET secret = NULL WHERE id = 1$$);
-- NULL to NULL is not
UPDATE acct SET secret = NULL, note = 'n' WHERE id = 2;
-- an update that matches no row or only unprotected columns passes
UPDATE acct SET owner = 'z' WHERE id = 99;
-- ON CONFLICT DO UPDATE goes through BEFORE UPDATE too
INSERT INTO acct VALUES (1, 'eve', NULL, 0, NULL)
    ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner;
INSERT INTO acct VALUES (1, 'eve', NULL, 0, NULL)
    ON CONFLICT (id) DO UPDATE SET balance = EXCLUDED.balance;
-- INSERT and DELETE are not restricted
INSERT INTO acct VALUES (3, 'carol', 'c', 30, NULL);
DELETE FROM acct WHERE id = 3;
SELECT * FROM acct ORDER BY id;

-- explicit mode=error behaves like the default
CREATE TABLE pe (id int PRIMARY KEY, code text);
CREATE TRIGGER pe_protect BEFORE UPDATE ON pe
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('mode=error', 'code');
INSERT INTO pe VALUES (1, 'A');
SELECT try($$UPDATE ormt_pc.pe SET code = 'B'$$);

-- mode=keep silently keeps the old values, the rest of the update applies
CREATE TABLE pk (id int PRIMARY KEY, code text, "Created By" text, n int);
CREATE TRIGGER pk_keep BEFORE UPDATE ON pk
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('code', 'Created By', 'mode=keep');
INSERT INTO pk VALUES (1, 'A', 'alice', 1), (2, NULL, NULL, 2);
UPDATE pk SET code = 'Z', "Created By" = 'mallory', n = n * 10;
UPDATE pk SET code = NULL WHERE id = 1;
SELECT * FROM pk ORDER BY id;
-- ON CONFLICT with mode=keep
INSERT INTO pk VALUES (1, 'Q', 'q', 0) ON CONFLICT (id) DO UPDATE
    SET code = EXCLUDED.code, n = EXCLUDED.n;
SELECT * FROM pk ORDER BY id;

-- a protected TOASTed value: rewriting the same content is no change,
-- changing one byte is
CREATE TABLE pt (id int PRIMARY KEY, doc text, n int);
ALTER TABLE pt ALTER COLUMN doc SET STORAGE EXTERNAL;
CREATE TRIGGER pt_protect BEFORE UPDATE ON pt
    FOR EACH ROW EXECUTE FUNCTION orm_triggers.protect_columns('doc');
INSERT INTO pt VALUES (1, repeat('x', 100000), 0);
UPDATE pt SET doc = repeat('x', 100000), n = 1;
UPDATE pt SET doc = repeat('x', 99999) || 'y';
SELECT n, length(doc) FROM pt;

RESET ROLE;
RESET search_path;
DROP SCHEMA ormt_pc CASCADE;
