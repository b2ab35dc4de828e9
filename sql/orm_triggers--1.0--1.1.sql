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

-- ---- versioning (issue 12)
-- System-versioned tables (src/versioning.c): versioning() keeps the
-- current row's period and writes every superseded version to a history
-- table; set_system_time() sets the time it uses; create_history_table()
-- and create_as_of_functions() are for migrations.

CREATE FUNCTION orm_triggers.versioning()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'versioning';

COMMENT ON FUNCTION orm_triggers.versioning() IS
    'BEFORE INSERT OR UPDATE OR DELETE row trigger (or BEFORE TRUNCATE statement trigger): system-versioned rows with a history table';

CREATE FUNCTION orm_triggers.set_system_time(ts pg_catalog.timestamptz)
    RETURNS void
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'ormt_set_system_time';

COMMENT ON FUNCTION orm_triggers.set_system_time(pg_catalog.timestamptz) IS
    'makes versioning triggers use ts as the system time for the session (NULL: the transaction start); undone by a rollback of the transaction or savepoint that set it';

-- The history table a versioning trigger writes, as the trigger reads its
-- argument (an SQL name; unqualified: the trigger table's schema); NULL
-- when it does not exist or the trigger is not a versioning trigger.
CREATE FUNCTION orm_triggers.versioning_history(trigger_oid pg_catalog.oid)
    RETURNS pg_catalog.regclass
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    args text[];
    positional text[];
    tbl oid;
    parts text[];
BEGIN
    SELECT orm_triggers.trigger_arguments(t.oid), t.tgrelid INTO args, tbl
      FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
     WHERE t.oid = trigger_oid AND p.proname = 'versioning'
       AND p.pronamespace = 'orm_triggers'::regnamespace;
    IF args IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(a ORDER BY o) INTO positional
      FROM unnest(args) WITH ORDINALITY AS x(a, o)
     WHERE a !~ '^[a-z_][a-z0-9_]*=';
    IF EXISTS (SELECT 1 FROM unnest(args) a WHERE a ~ '^start=') THEN
        parts := parse_ident(positional[1]);
    ELSE
        parts := parse_ident(positional[2]);
    END IF;
    IF cardinality(parts) = 1 THEN
        parts := ARRAY[(SELECT n.nspname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE c.oid = tbl), parts[1]];
    END IF;
    IF cardinality(parts) <> 2 THEN
        RETURN NULL;
    END IF;
    RETURN (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = parts[1] AND c.relname = parts[2]);
EXCEPTION WHEN OTHERS THEN
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION orm_triggers.versioning_history(pg_catalog.oid) IS
    'the history table of a versioning trigger, NULL if there is none';

-- A history table for tbl: same schema, tbl's columns (types and
-- collations; no constraints, defaults or identity), and a GiST index on
-- each range column for AS OF reads.  Named tbl_history unless given (the
-- name is taken exactly, not parsed).  Owned by the caller.
CREATE FUNCTION orm_triggers.create_history_table(tbl pg_catalog.regclass,
                                                  history_name pg_catalog.text DEFAULT NULL)
    RETURNS pg_catalog.regclass
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    nsp name;
    rel name;
    target text;
    cols text;
    created regclass;
    r record;
BEGIN
    SELECT n.nspname, c.relname INTO nsp, rel
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid = tbl AND c.relkind IN ('r', 'p');
    IF nsp IS NULL THEN
        RAISE EXCEPTION '% is not a table', tbl
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Name an ordinary or partitioned table.';
    END IF;
    target := coalesce(history_name, left(rel, 55) || '_history');
    IF target = '' THEN
        RAISE EXCEPTION 'history table name must not be empty'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass NULL for the default name, ' || quote_literal(left(rel, 55) || '_history') || '.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = nsp::regnamespace AND c.relname = target) THEN
        RAISE EXCEPTION 'relation %.% already exists', quote_ident(nsp), quote_ident(target)
            USING ERRCODE = 'duplicate_table',
                  HINT = 'Pass another name as the second argument, or use the existing table.';
    END IF;
    SELECT string_agg(format('%I %s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                             CASE WHEN a.attcollation <> t.typcollation
                                  THEN ' COLLATE ' || a.attcollation::regcollation::text ELSE '' END),
                      ', ' ORDER BY a.attnum)
      INTO cols
      FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped;
    EXECUTE format('CREATE TABLE %I.%I (%s)', nsp, target, coalesce(cols, ''));
    created := format('%I.%I', nsp, target)::regclass;
    FOR r IN SELECT a.attname FROM pg_attribute a
              WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
                AND a.atttypid IN ('pg_catalog.tstzrange'::regtype, 'pg_catalog.tsrange'::regtype)
              ORDER BY a.attnum
    LOOP
        EXECUTE format('CREATE INDEX ON %s USING gist (%I)', created, r.attname);
    END LOOP;
    RETURN created;
END
$$;

COMMENT ON FUNCTION orm_triggers.create_history_table(pg_catalog.regclass, pg_catalog.text) IS
    'creates a history table for a versioned table: same schema and columns, no constraints, a GiST index on its range columns';

-- AS OF reads for tbl, which must have a versioning row trigger: in tbl's
-- schema, SQL functions that the planner inlines into the calling query
-- (LANGUAGE sql, STABLE, one SELECT, no SET clause):
--   tbl__as_of(at)          the rows as they were at time at
--   tbl__between(a, b)      every version that existed at some time in [a, b]
--   tbl__from_to(a, b)      every version that existed at some time in [a, b)
-- each returning SETOF tbl, current rows and history together (columns
-- history lacks are NULL in its rows).  Idempotent: run it again after a
-- change; an ALTER TABLE of tbl or its history table runs it again by
-- itself (event trigger below).  Returns the functions.
CREATE FUNCTION orm_triggers.create_as_of_functions(tbl pg_catalog.regclass)
    RETURNS SETOF pg_catalog.regprocedure
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tg oid;
    args text[];
    hist regclass;
    nsp name;
    rel name;
    period text;
    s_col text;
    e_col text;
    ptype text;
    rangefn text;
    cur_cols text;
    hist_cols text;
    qtbl text;
    cond_cur text;
    cond_hist text;
    fn text;
    body text;
    kind text;
BEGIN
    SELECT n.nspname, c.relname INTO nsp, rel
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = tbl;
    SELECT t.oid, orm_triggers.trigger_arguments(t.oid) INTO tg, args
      FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
     WHERE t.tgrelid = tbl AND t.tgparentid = 0 AND p.proname = 'versioning'
       AND p.pronamespace = 'orm_triggers'::regnamespace
       AND (t.tgtype & 1) <> 0
     ORDER BY t.tgname LIMIT 1;
    IF tg IS NULL THEN
        RAISE EXCEPTION 'table % has no orm_triggers.versioning row trigger', tbl
            USING ERRCODE = 'undefined_object',
                  HINT = 'Attach one first: SELECT orm_triggers.attach(' || quote_literal(tbl::text)
                         || ', ''versioning'', ARRAY[''sys_period'', ''history_table'']).';
    END IF;
    hist := orm_triggers.versioning_history(tg);
    IF hist IS NULL THEN
        RAISE EXCEPTION 'the history table of trigger "%" on table % does not exist', (SELECT tgname FROM pg_trigger WHERE oid = tg), tbl
            USING ERRCODE = 'undefined_table',
                  HINT = 'SELECT * FROM orm_triggers.check_triggers() shows what the trigger expects.';
    END IF;
    SELECT substr(a, 7) INTO s_col FROM unnest(args) a WHERE a ~ '^start=';
    SELECT substr(a, 5) INTO e_col FROM unnest(args) a WHERE a ~ '^end=';
    IF s_col IS NULL THEN
        period := (SELECT a FROM unnest(args) a WHERE a !~ '^[a-z_][a-z0-9_]*=' LIMIT 1);
        IF period ~ '^".*"$' THEN
            period := replace(substr(period, 2, length(period) - 2), '""', '"');
        END IF;
        SELECT format_type(a.atttypid, NULL) INTO ptype FROM pg_attribute a
         WHERE a.attrelid = tbl AND a.attname = period AND NOT a.attisdropped;
        ptype := CASE ptype WHEN 'tsrange' THEN 'pg_catalog.timestamp' ELSE 'pg_catalog.timestamptz' END;
        rangefn := CASE ptype WHEN 'pg_catalog.timestamp' THEN 'pg_catalog.tsrange' ELSE 'pg_catalog.tstzrange' END;
    ELSE
        IF s_col ~ '^".*"$' THEN s_col := replace(substr(s_col, 2, length(s_col) - 2), '""', '"'); END IF;
        IF e_col ~ '^".*"$' THEN e_col := replace(substr(e_col, 2, length(e_col) - 2), '""', '"'); END IF;
        SELECT CASE format_type(a.atttypid, NULL) WHEN 'timestamp without time zone'
                    THEN 'pg_catalog.timestamp' ELSE 'pg_catalog.timestamptz' END INTO ptype
          FROM pg_attribute a WHERE a.attrelid = tbl AND a.attname = s_col AND NOT a.attisdropped;
    END IF;
    qtbl := format('%I.%I', nsp, rel);
    SELECT string_agg(format('%I', a.attname), ', ' ORDER BY a.attnum),
           string_agg(CASE WHEN h.attname IS NULL OR h.atttypid <> a.atttypid
                           THEN format('NULL::%s', format_type(a.atttypid, a.atttypmod))
                           ELSE format('%I', a.attname) END, ', ' ORDER BY a.attnum)
      INTO cur_cols, hist_cols
      FROM pg_attribute a
      LEFT JOIN pg_attribute h ON h.attrelid = hist AND h.attname = a.attname
                              AND h.attnum > 0 AND NOT h.attisdropped
     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped;
    FOREACH kind IN ARRAY ARRAY['as_of', 'between', 'from_to'] LOOP
        IF s_col IS NULL THEN
            cond_cur := CASE kind
                WHEN 'as_of' THEN format('%I OPERATOR(pg_catalog.@>) $1', period)
                WHEN 'between' THEN format('%I OPERATOR(pg_catalog.&&) %s($1, $2, ''[]'')', period, rangefn)
                ELSE format('%I OPERATOR(pg_catalog.&&) %s($1, $2, ''[)'')', period, rangefn) END;
        ELSE
            cond_cur := CASE kind
                WHEN 'as_of' THEN format('COALESCE(%I, ''-infinity''::%s) OPERATOR(pg_catalog.<=) $1 AND %I OPERATOR(pg_catalog.>) $1', s_col, ptype, e_col)
                WHEN 'between' THEN format('COALESCE(%I, ''-infinity''::%s) OPERATOR(pg_catalog.<=) $2 AND %I OPERATOR(pg_catalog.>) $1', s_col, ptype, e_col)
                ELSE format('COALESCE(%I, ''-infinity''::%s) OPERATOR(pg_catalog.<) $2 AND %I OPERATOR(pg_catalog.>) $1', s_col, ptype, e_col) END;
        END IF;
        cond_hist := cond_cur;
        body := format('SELECT %s FROM %s WHERE %s UNION ALL SELECT %s FROM %s WHERE %s',
                       cur_cols, qtbl, cond_cur, hist_cols, hist, cond_hist);
        fn := format('%I.%I', nsp, left(rel, 63 - length(kind) - 2) || '__' || kind);
        EXECUTE format('CREATE OR REPLACE FUNCTION %s(%s) RETURNS SETOF %s LANGUAGE sql STABLE AS %L',
                       fn,
                       CASE kind WHEN 'as_of' THEN format('at %s', ptype)
                                 ELSE format('from_time %s, to_time %s', ptype, ptype) END,
                       qtbl, body);
        EXECUTE format('COMMENT ON FUNCTION %s(%s) IS %L', fn,
                       CASE kind WHEN 'as_of' THEN ptype ELSE ptype || ', ' || ptype END,
                       format('orm_triggers: %s reads of %s; made by orm_triggers.create_as_of_functions()',
                              replace(kind, '_', ' '), qtbl));
        RETURN NEXT format('%s(%s)', fn, CASE kind WHEN 'as_of' THEN ptype ELSE ptype || ', ' || ptype END)::regprocedure;
    END LOOP;
END
$$;

COMMENT ON FUNCTION orm_triggers.create_as_of_functions(pg_catalog.regclass) IS
    'creates or refreshes the inlinable AS OF functions tbl__as_of, tbl__between and tbl__from_to of a versioned table';

-- ALTER TABLE of a history table: check the versioning triggers that write
-- it (orm_triggers_validate_ddl checks those on the altered table itself),
-- and refresh the AS OF functions of the tables it concerns.
CREATE FUNCTION orm_triggers.versioning_ddl()
    RETURNS event_trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    cmd record;
    tg record;
    msg text;
    detail text;
    hint text;
    state text;
    sch text;
    tbl text;
    col text;
BEGIN
    FOR cmd IN SELECT DISTINCT c.objid FROM pg_event_trigger_ddl_commands() c
                WHERE c.classid = 'pg_class'::regclass LOOP
        FOR tg IN
            SELECT t.oid, t.tgrelid, orm_triggers.versioning_history(t.oid) AS hist
              FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
             WHERE p.pronamespace = 'orm_triggers'::regnamespace AND p.proname = 'versioning'
               AND t.tgparentid = 0
        LOOP
            IF tg.hist = cmd.objid AND tg.tgrelid <> cmd.objid
               AND coalesce(nullif(current_setting('orm_triggers.validate_ddl', true), ''), 'on')::bool THEN
                BEGIN
                    PERFORM orm_triggers.validate_trigger(tg.oid);
                EXCEPTION WHEN OTHERS THEN
                    -- re-raised with its table and column fields, as validate_ddl() does
                    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                                            hint = PG_EXCEPTION_HINT, state = RETURNED_SQLSTATE,
                                            sch = SCHEMA_NAME, tbl = TABLE_NAME, col = COLUMN_NAME;
                    detail := coalesce(nullif(detail, ''), 'While checking the versioning triggers that write the changed table.');
                    hint := concat_ws(' ', nullif(hint, ''),
                        '(ALTER TABLE was rejected because the trigger would fail at its next fire; SET orm_triggers.validate_ddl = off to skip this check.)');
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
            END IF;
            IF (tg.tgrelid = cmd.objid OR tg.hist = cmd.objid) AND tg.hist IS NOT NULL
               AND EXISTS (SELECT 1 FROM pg_proc f JOIN pg_description d
                                  ON d.objoid = f.oid AND d.classoid = 'pg_proc'::regclass
                            WHERE f.pronamespace = (SELECT relnamespace FROM pg_class WHERE oid = tg.tgrelid)
                              AND f.proname = left((SELECT relname FROM pg_class WHERE oid = tg.tgrelid), 56) || '__as_of'
                              AND d.description LIKE 'orm_triggers: as of reads of %') THEN
                PERFORM orm_triggers.create_as_of_functions(tg.tgrelid);
            END IF;
        END LOOP;
    END LOOP;
END
$$;

CREATE EVENT TRIGGER orm_triggers_versioning_ddl ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE')
    EXECUTE FUNCTION orm_triggers.versioning_ddl();
