-- orm_triggers 1.0 -> 1.1
--
-- Version 1.0 is released and its install script is never edited again:
-- every change to the extension's SQL objects since then is here.  A fresh
-- CREATE EXTENSION runs orm_triggers--1.0.sql and then this script, and
-- test/t/060_upgrade.pl checks that an installation updated from 1.0 with
-- data in it ends up with exactly the objects of a fresh one, data kept.
-- The rules of the install script hold here too: no CREATE OR REPLACE, no
-- IF NOT EXISTS, every name schema-qualified.

\echo Use "ALTER EXTENSION orm_triggers UPDATE TO '1.1'" to load this file. \quit

-- ---- core (issue 9)
-- The DDL event trigger passes on the table and column error fields
-- (SCHEMA NAME, TABLE NAME, COLUMN NAME) of the error it re-raises, so a
-- driver sees at CREATE TRIGGER / ALTER TABLE time the same fields as at
-- the trigger's first fire.  An event trigger's function cannot be replaced
-- while the event trigger uses it: both are made again.
DROP EVENT TRIGGER orm_triggers_validate_ddl;
DROP FUNCTION orm_triggers.validate_ddl();

CREATE FUNCTION orm_triggers.validate_ddl()
    RETURNS event_trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cmd record;
    tg oid;
    msg text;
    detail text;
    hint text;
    state text;
    sch text;
    tbl text;
    col text;
BEGIN
    IF NOT coalesce(nullif(current_setting('orm_triggers.validate_ddl', true), ''), 'on')::bool THEN
        RETURN;
    END IF;
    FOR cmd IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
        FOR tg IN
            SELECT t.oid
              FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
             WHERE p.pronamespace = 'orm_triggers'::regnamespace
               AND t.tgparentid = 0
               AND ((cmd.classid = 'pg_trigger'::regclass AND t.oid = cmd.objid) OR
                    (cmd.classid = 'pg_class'::regclass AND t.tgrelid = cmd.objid))
        LOOP
            BEGIN
                PERFORM orm_triggers.validate_trigger(tg);
            EXCEPTION WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                                        hint = PG_EXCEPTION_HINT, state = RETURNED_SQLSTATE,
                                        sch = SCHEMA_NAME, tbl = TABLE_NAME, col = COLUMN_NAME;
                detail := coalesce(nullif(detail, ''), 'While checking the orm_triggers triggers on the changed table.');
                hint := concat_ws(' ', nullif(hint, ''),
                    format('(%s was rejected because the trigger would fail at its next fire; SET orm_triggers.validate_ddl = off to skip this check.)',
                           cmd.command_tag));
                -- a field given as '' would be reported as set, and empty
                IF col <> '' THEN
                    RAISE EXCEPTION '%', msg
                        USING ERRCODE = state, DETAIL = detail, HINT = hint,
                              SCHEMA = sch, TABLE = tbl, COLUMN = col;
                ELSIF tbl <> '' THEN
                    RAISE EXCEPTION '%', msg
                        USING ERRCODE = state, DETAIL = detail, HINT = hint,
                              SCHEMA = sch, TABLE = tbl;
                ELSE
                    RAISE EXCEPTION '%', msg
                        USING ERRCODE = state, DETAIL = detail, HINT = hint;
                END IF;
            END;
        END LOOP;
    END LOOP;
END
$$;

CREATE EVENT TRIGGER orm_triggers_validate_ddl ON ddl_command_end
    WHEN TAG IN ('CREATE TRIGGER', 'ALTER TABLE', 'ALTER FOREIGN TABLE', 'ALTER TRIGGER')
    EXECUTE FUNCTION orm_triggers.validate_ddl();

-- ---- audit log: table_oid a regclass, so dump and restore need no manual step (issue 9)
--
-- pg_dump writes a regclass as the table's qualified name, and a restore
-- reads it back as the OID the table has there: restored entries point at
-- the restored tables, and row_history()/row_as_of() find them at once.
-- The OIDs stored are the same (regclass is an oid), so existing entries
-- are kept as they are and the writer stores the same datum; the primary
-- key and audit_log_moves_idx are rebuilt on the column (oid_ops, as
-- before).  An entry of a table dropped since keeps its OID, which is
-- shown and dumped as a number.
ALTER TABLE orm_triggers.audit_log
    ALTER COLUMN table_oid TYPE pg_catalog.regclass;

COMMENT ON COLUMN orm_triggers.audit_log.table_oid IS
    'The audited table (the partitioned root for partitions), as a regclass: dumped and restored by name';

-- audit_relink() stays, for logs restored from a dump of a 1.0
-- installation (whose table_oid column held bare OIDs, dumped as numbers):
-- it points their entries at the tables that now have the logged names.
COMMENT ON FUNCTION orm_triggers.audit_relink() IS
    'For a log restored from a dump taken before version 1.1 (table_oid dumped as numbers): points audit_log entries at the table that now has their logged schema and name; returns the number changed. Not needed for dumps of 1.1 and later';

-- ---- counters (issue 13)
-- counter_cache, touch_parent (src/counters.c, src/touch.c) and recount().

CREATE FUNCTION orm_triggers.counter_cache()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'counter_cache';

COMMENT ON FUNCTION orm_triggers.counter_cache() IS
    'AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW, or one event FOR EACH STATEMENT with transition tables, or AFTER TRUNCATE (fk_col [, ...], ''parent=t'', ''counter=c'' [, ''parent_key=c1,...''] [, ''where=bool_col''] [, ''delta=num_col'']): keeps the parent''s count or sum of children exact, parents updated in key order';

CREATE FUNCTION orm_triggers.touch_parent()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'touch_parent';

COMMENT ON FUNCTION orm_triggers.touch_parent() IS
    'AFTER INSERT/UPDATE/DELETE, ROW or STATEMENT (fk_col [, ...], ''parent=t'', ''column=ts_col'' [, ''parent_key=c1,...''] [, ''deferred=true'']): sets the parent''s timestamp to now() when a child really changes, once per parent, parents in key order';

CREATE FUNCTION orm_triggers.recount(child pg_catalog.regclass, trigger_name pg_catalog.name)
    RETURNS pg_catalog.int8
    LANGUAGE C STRICT
    AS 'MODULE_PATHNAME', 'ormt_recount';

COMMENT ON FUNCTION orm_triggers.recount(pg_catalog.regclass, pg_catalog.name) IS
    'recomputes the counters of a counter_cache trigger from the children, parents locked in key order first; returns the number of parents changed';
