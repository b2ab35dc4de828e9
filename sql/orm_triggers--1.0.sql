/* orm_triggers 1.0: install script */

\echo Use "CREATE EXTENSION orm_triggers" to load this file. \quit

-- The schema is created by CREATE EXTENSION (control file: schema = orm_triggers)
-- and owned by the extension.  Nothing here is created with OR REPLACE or
-- IF NOT EXISTS, and every name is schema-qualified.

REVOKE ALL ON SCHEMA orm_triggers FROM PUBLIC;
GRANT USAGE ON SCHEMA orm_triggers TO PUBLIC;

COMMENT ON SCHEMA orm_triggers IS
    'Trigger functions for ORM conventions: timestamps, actors, versions, soft delete, audit, notifications';

-- ---------------------------------------------------------------------------
-- Row-stamping triggers (src/stamps.c)
-- ---------------------------------------------------------------------------

CREATE FUNCTION orm_triggers.update_last_modified()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'update_last_modified';

COMMENT ON FUNCTION orm_triggers.update_last_modified() IS
    'BEFORE UPDATE [OR INSERT] FOR EACH ROW (col [, col...] [, ''always=true''] [, ''ignore=c1,c2'']): sets the columns to now() when the row changed';

CREATE FUNCTION orm_triggers.set_created_at()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'set_created_at';

COMMENT ON FUNCTION orm_triggers.set_created_at() IS
    'BEFORE INSERT OR UPDATE FOR EACH ROW (col): fills NULL with now() on INSERT, keeps the old value on UPDATE';

CREATE FUNCTION orm_triggers.protect_columns()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'protect_columns';

COMMENT ON FUNCTION orm_triggers.protect_columns() IS
    'BEFORE UPDATE FOR EACH ROW (col [, col...] [, ''mode=error''|''mode=keep'']): rejects or undoes changes to the columns';

CREATE FUNCTION orm_triggers.set_actor()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'set_actor';

COMMENT ON FUNCTION orm_triggers.set_actor() IS
    'BEFORE INSERT OR UPDATE FOR EACH ROW (col [, ''on=insert'']): writes orm_triggers.actor, else the session user';

-- Trigger functions are called by the trigger manager, never directly; the
-- default EXECUTE to PUBLIC is what lets any table owner attach them.

-- ---------------------------------------------------------------------------
-- Inspection, validation and migration helpers (src/registry.c)
-- ---------------------------------------------------------------------------

CREATE FUNCTION orm_triggers.validate_trigger(trigger_oid pg_catalog.oid)
    RETURNS pg_catalog.bool
    LANGUAGE C STRICT
    AS 'MODULE_PATHNAME', 'ormt_validate_trigger';

COMMENT ON FUNCTION orm_triggers.validate_trigger(pg_catalog.oid) IS
    'checks an orm_triggers trigger as its first fire would (raises its error); false for other triggers';

CREATE FUNCTION orm_triggers.trigger_arguments(trigger_oid pg_catalog.oid)
    RETURNS pg_catalog.text[]
    LANGUAGE C STRICT STABLE
    AS 'MODULE_PATHNAME', 'ormt_trigger_arguments';

COMMENT ON FUNCTION orm_triggers.trigger_arguments(pg_catalog.oid) IS
    'the arguments of a trigger, as an array';

-- Every orm_triggers trigger as the user created it (clones on partitions
-- are left out: they follow the trigger on the partitioned table).
CREATE VIEW orm_triggers.attached AS
SELECT t.oid AS trigger_oid,
       t.tgrelid::pg_catalog.regclass AS table_name,
       t.tgname AS trigger_name,
       p.proname AS function_name,
       orm_triggers.trigger_arguments(t.oid) AS arguments,
       CASE WHEN (t.tgtype OPERATOR(pg_catalog.&) 2) OPERATOR(pg_catalog.<>) 0 THEN 'BEFORE'
            WHEN (t.tgtype OPERATOR(pg_catalog.&) 64) OPERATOR(pg_catalog.<>) 0 THEN 'INSTEAD OF'
            ELSE 'AFTER' END AS timing,
       CASE WHEN (t.tgtype OPERATOR(pg_catalog.&) 1) OPERATOR(pg_catalog.<>) 0 THEN 'ROW'
            ELSE 'STATEMENT' END AS level,
       pg_catalog.array_remove(ARRAY[
           CASE WHEN (t.tgtype OPERATOR(pg_catalog.&) 4) OPERATOR(pg_catalog.<>) 0 THEN 'INSERT' END,
           CASE WHEN (t.tgtype OPERATOR(pg_catalog.&) 16) OPERATOR(pg_catalog.<>) 0 THEN 'UPDATE' END,
           CASE WHEN (t.tgtype OPERATOR(pg_catalog.&) 8) OPERATOR(pg_catalog.<>) 0 THEN 'DELETE' END,
           CASE WHEN (t.tgtype OPERATOR(pg_catalog.&) 32) OPERATOR(pg_catalog.<>) 0 THEN 'TRUNCATE' END
       ], NULL) AS events,
       CASE t.tgenabled WHEN 'O' THEN 'origin' WHEN 'D' THEN 'disabled'
                        WHEN 'R' THEN 'replica' WHEN 'A' THEN 'always' END AS enabled
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_proc p ON p.oid OPERATOR(pg_catalog.=) t.tgfoid
 WHERE p.pronamespace OPERATOR(pg_catalog.=) 'orm_triggers'::pg_catalog.regnamespace
   AND t.tgparentid OPERATOR(pg_catalog.=) 0;

COMMENT ON VIEW orm_triggers.attached IS
    'every orm_triggers trigger: table, name, function, arguments, timing, level, events, enabled';

GRANT SELECT ON orm_triggers.attached TO PUBLIC;

CREATE FUNCTION orm_triggers.check_triggers()
    RETURNS TABLE (table_name pg_catalog.regclass, trigger_name pg_catalog.name,
                   function_name pg_catalog.name, problem pg_catalog.text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT a.trigger_oid, a.table_name AS tbl, a.trigger_name AS tg, a.function_name AS fn
               FROM orm_triggers.attached a
              ORDER BY a.table_name::text, a.trigger_name
    LOOP
        BEGIN
            PERFORM orm_triggers.validate_trigger(r.trigger_oid);
        EXCEPTION WHEN OTHERS THEN
            table_name := r.tbl;
            trigger_name := r.tg;
            function_name := r.fn;
            problem := SQLERRM;
            RETURN NEXT;
        END;
    END LOOP;
END
$$;

COMMENT ON FUNCTION orm_triggers.check_triggers() IS
    'every attached orm_triggers trigger whose arguments no longer fit its table, with the error its next fire would raise';

-- The canonical timing and events of each function's row form, for attach(),
-- derived from the function's spec in C.
CREATE FUNCTION orm_triggers.row_trigger_clause(func pg_catalog.text)
    RETURNS pg_catalog.text
    LANGUAGE C IMMUTABLE STRICT
    AS 'MODULE_PATHNAME', 'ormt_row_trigger_clause';

CREATE FUNCTION orm_triggers.attach(tbl pg_catalog.regclass, func pg_catalog.text,
                                    args pg_catalog.text[] DEFAULT '{}',
                                    trigger_name pg_catalog.name DEFAULT NULL)
    RETURNS pg_catalog.name
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    clause text := orm_triggers.row_trigger_clause(func);
    first_column text;
    name name;
    def text;
    existing oid;
BEGIN
    IF clause IS NULL THEN
        RAISE EXCEPTION 'orm_triggers.attach() does not know the function "%"', func
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Name one of: ' || (SELECT string_agg(p.proname, ', ' ORDER BY p.proname)
                                               FROM pg_proc p
                                              WHERE p.pronamespace = 'orm_triggers'::regnamespace
                                                AND p.prorettype = 'trigger'::regtype)
                      || '; statement-level forms are created with CREATE TRIGGER.';
    END IF;
    SELECT a INTO first_column FROM unnest(args) a WHERE a !~ '^[a-z_][a-z0-9_]*=' LIMIT 1;
    name := coalesce(trigger_name,
                     left('orm_' || func || coalesce('_' || trim(both '"' from first_column), ''), 63));
    def := format('CREATE TRIGGER %I %s ON %s FOR EACH ROW EXECUTE FUNCTION orm_triggers.%I(%s)',
                  name, clause, tbl, func,
                  coalesce((SELECT string_agg(quote_literal(a), ', ' ORDER BY o)
                              FROM unnest(args) WITH ORDINALITY AS x(a, o)), ''));
    SELECT t.oid INTO existing FROM pg_trigger t WHERE t.tgrelid = tbl AND t.tgname = name;
    IF existing IS NOT NULL THEN
        IF pg_get_triggerdef(existing) = def THEN
            RETURN name;                -- already attached as asked
        END IF;
        IF NOT EXISTS (SELECT 1 FROM orm_triggers.attached a WHERE a.trigger_oid = existing) THEN
            RAISE EXCEPTION 'trigger "%" on table % exists and is not an orm_triggers trigger', name, tbl
                USING ERRCODE = 'duplicate_object',
                      HINT = 'Pass another trigger_name.';
        END IF;
        EXECUTE format('DROP TRIGGER %I ON %s', name, tbl);
    END IF;
    EXECUTE def;
    RETURN name;
END
$$;

COMMENT ON FUNCTION orm_triggers.attach(pg_catalog.regclass, pg_catalog.text, pg_catalog.text[], pg_catalog.name) IS
    'idempotently attaches an orm_triggers row trigger with its canonical timing and events; returns the trigger name';

CREATE FUNCTION orm_triggers.detach(tbl pg_catalog.regclass, trigger_name pg_catalog.name)
    RETURNS pg_catalog.bool
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    existing oid;
BEGIN
    SELECT t.oid INTO existing FROM pg_trigger t WHERE t.tgrelid = tbl AND t.tgname = trigger_name;
    IF existing IS NULL THEN
        RETURN false;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM orm_triggers.attached a WHERE a.trigger_oid = existing) THEN
        RAISE EXCEPTION 'trigger "%" on table % is not an orm_triggers trigger', trigger_name, tbl
            USING ERRCODE = 'wrong_object_type',
                  HINT = 'Use DROP TRIGGER for other triggers.';
    END IF;
    EXECUTE format('DROP TRIGGER %I ON %s', trigger_name, tbl);
    RETURN true;
END
$$;

COMMENT ON FUNCTION orm_triggers.detach(pg_catalog.regclass, pg_catalog.name) IS
    'drops an orm_triggers trigger if it exists; returns whether it did';

-- DDL-time validation: CREATE TRIGGER with an orm_triggers function, and
-- ALTER TABLE on a table that has one, fail at once when the trigger would
-- fail at its next fire.  SET orm_triggers.validate_ddl = off skips it.
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
                                        hint = PG_EXCEPTION_HINT, state = RETURNED_SQLSTATE;
                RAISE EXCEPTION '%', msg
                    USING ERRCODE = state, DETAIL = coalesce(nullif(detail, ''), 'While checking the orm_triggers triggers on the changed table.'),
                          HINT = concat_ws(' ', nullif(hint, ''),
                              format('(%s was rejected because the trigger would fail at its next fire; SET orm_triggers.validate_ddl = off to skip this check.)',
                                     cmd.command_tag));
            END;
        END LOOP;
    END LOOP;
END
$$;

CREATE EVENT TRIGGER orm_triggers_validate_ddl ON ddl_command_end
    WHEN TAG IN ('CREATE TRIGGER', 'ALTER TABLE', 'ALTER FOREIGN TABLE', 'ALTER TRIGGER')
    EXECUTE FUNCTION orm_triggers.validate_ddl();

-- ---------------------------------------------------------------------------
-- Audit log (issue: audit)
-- ---------------------------------------------------------------------------

-- One row per changed row.  Written by orm_triggers.audit() as the table's
-- owner; PUBLIC has no rights on it.  Grant SELECT to auditors.
CREATE TABLE orm_triggers.audit_log (
    id                bigint GENERATED BY DEFAULT AS IDENTITY,
    txid              pg_catalog.xid8 NOT NULL,
    tx_time           pg_catalog.timestamptz NOT NULL,
    logged_at         pg_catalog.timestamptz NOT NULL,
    actor             pg_catalog.text NOT NULL,
    session_user_name pg_catalog.name NOT NULL,
    context           pg_catalog.jsonb,
    table_oid         pg_catalog.oid NOT NULL,
    schema_name       pg_catalog.name NOT NULL,
    table_name        pg_catalog.name NOT NULL,
    op                pg_catalog.text NOT NULL,   -- INSERT, UPDATE, DELETE or TRUNCATE
    key               pg_catalog.jsonb,
    key_hash          pg_catalog.int8 NOT NULL,   -- orm_triggers.audit_key_hash(key); 0 when key is NULL
    old_values        pg_catalog.jsonb,
    new_values        pg_catalog.jsonb,
    old_key_hash      pg_catalog.int8,            -- an UPDATE that changed the key: audit_key_hash(old key)
    -- One btree serves both the primary key and the read functions (one
    -- row's entries in order: table_oid, key_hash, then id).  Every index
    -- on the log costs every audited row an insert, so there is no second
    -- btree on id alone; id is unique on its own (identity), and the BRIN
    -- index below serves ranges of it.
    CONSTRAINT audit_log_pkey PRIMARY KEY (table_oid, key_hash, id)
);

COMMENT ON TABLE orm_triggers.audit_log IS
    'Changes logged by orm_triggers.audit(): one row per changed row (TRUNCATE: one per statement)';

-- The primary key finds one row's entries (TRUNCATEs and keyless tables:
-- key_hash 0, key NULL).  On key_hash, not key: an int8 comparison instead
-- of a jsonb one at every step of every insert, and entries a third the
-- size.  No CHECK constraints and no expression indexes: each would cost
-- every audited row an expression evaluation.
--
-- purge_audit_log and reads of id ranges (a consumer shipping the log
-- elsewhere: WHERE id > $last).  tx_time and id grow with the physical
-- order of the log: a BRIN index serves their ranges, and costs an insert
-- almost nothing (no entry per row; the open range is not summarized until
-- VACUUM), where a btree would cost every audited row a descent.
CREATE INDEX audit_log_time_idx ON orm_triggers.audit_log USING brin (tx_time, id);
-- An UPDATE that changed a row's key is found from the old key too
-- (row_history: where the old key's history ends).  Partial: only such
-- entries, rare, are in it; the others cost a NULL test.
CREATE INDEX audit_log_moves_idx ON orm_triggers.audit_log
    USING btree (table_oid, old_key_hash, id) WHERE old_key_hash IS NOT NULL;

SELECT pg_catalog.pg_extension_config_dump('orm_triggers.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('orm_triggers.audit_log_id_seq', '');

REVOKE ALL ON TABLE orm_triggers.audit_log FROM PUBLIC;
REVOKE ALL ON SEQUENCE orm_triggers.audit_log_id_seq FROM PUBLIC;

CREATE FUNCTION orm_triggers.audit()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'audit';

CREATE FUNCTION orm_triggers.audit_key_hash(key pg_catalog.jsonb)
    RETURNS pg_catalog.int8
    LANGUAGE C
    IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'audit_key_hash';

COMMENT ON FUNCTION orm_triggers.audit_key_hash(pg_catalog.jsonb) IS
    'The key_hash audit() stores for a primary key: the number itself for a key of one integer, else a hash of the jsonb; equal keys, equal key_hash';

COMMENT ON FUNCTION orm_triggers.audit() IS
    'AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW, or AFTER ... FOR EACH STATEMENT with transition tables, or AFTER TRUNCATE ([''full=true''] [, ''exclude=c1,c2'']): logs changes to orm_triggers.audit_log';

-- The log entries of one row of tbl (the partition root for partitioned
-- tables), in order: those with this key, the UPDATE that moved the row to
-- another key, and TRUNCATEs after its first entry.  SECURITY INVOKER: the
-- caller needs SELECT on orm_triggers.audit_log.
CREATE FUNCTION orm_triggers.row_history(tbl pg_catalog.regclass, key pg_catalog.jsonb)
    RETURNS SETOF orm_triggers.audit_log
    LANGUAGE sql
    STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH mine AS (
        SELECT a.*
          FROM orm_triggers.audit_log AS a
         WHERE a.table_oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid
           AND a.key_hash OPERATOR(pg_catalog.=) orm_triggers.audit_key_hash($2)
           AND a.key OPERATOR(pg_catalog.=) $2
    ), first AS (
        SELECT pg_catalog.min(m.id) AS id FROM mine AS m
    )
    SELECT m.* FROM mine AS m
    UNION ALL
    SELECT a.*
      FROM orm_triggers.audit_log AS a, first AS f
     WHERE a.table_oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid
       AND a.key_hash OPERATOR(pg_catalog.=) 0
       AND a.id OPERATOR(pg_catalog.>) f.id
       AND a.key IS NULL
       AND a.op OPERATOR(pg_catalog.=) 'TRUNCATE'
    UNION ALL
    SELECT a.*
      FROM orm_triggers.audit_log AS a, first AS f
     WHERE a.table_oid OPERATOR(pg_catalog.=) $1::pg_catalog.oid
       AND a.old_key_hash OPERATOR(pg_catalog.=) orm_triggers.audit_key_hash($2)
       AND a.id OPERATOR(pg_catalog.>) f.id
       AND a.op OPERATOR(pg_catalog.=) 'UPDATE'
       AND a.key OPERATOR(pg_catalog.<>) $2
       AND a.old_values OPERATOR(pg_catalog.@>) $2
    ORDER BY 1
$$;

COMMENT ON FUNCTION orm_triggers.row_history(pg_catalog.regclass, pg_catalog.jsonb) IS
    'The audit_log entries of the row of tbl with primary key key (a jsonb object), oldest first';

-- The row's logged columns as they were at time at (transactions that
-- started at or before it), or NULL when it did not exist then.
CREATE FUNCTION orm_triggers.row_as_of(tbl pg_catalog.regclass, key pg_catalog.jsonb, at pg_catalog.timestamptz)
    RETURNS pg_catalog.jsonb
    LANGUAGE plpgsql
    STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    e record;
    state pg_catalog.jsonb;
BEGIN
    FOR e IN
        SELECT h.op, h.key, h.new_values
          FROM orm_triggers.row_history($1, $2) AS h
         WHERE h.tx_time OPERATOR(pg_catalog.<=) $3
         ORDER BY h.id
    LOOP
        IF e.op OPERATOR(pg_catalog.=) 'INSERT' THEN
            state := e.new_values;
        ELSIF e.op OPERATOR(pg_catalog.=) 'UPDATE'
              AND e.key OPERATOR(pg_catalog.=) $2 THEN
            state := pg_catalog.jsonb_concat(COALESCE(state, '{}'::pg_catalog.jsonb), e.new_values);
        ELSE
            -- DELETE, TRUNCATE, or an UPDATE that moved the row to another key
            state := NULL;
        END IF;
    END LOOP;
    RETURN state;
END
$$;

COMMENT ON FUNCTION orm_triggers.row_as_of(pg_catalog.regclass, pg_catalog.jsonb, pg_catalog.timestamptz) IS
    'The logged columns of a row as they were at a time, folded from orm_triggers.audit_log; NULL if it did not exist';

-- Delete log entries of transactions that started before older_than;
-- returns how many.  SECURITY INVOKER: the caller needs DELETE on the log.
CREATE FUNCTION orm_triggers.purge_audit_log(older_than pg_catalog.timestamptz)
    RETURNS pg_catalog.int8
    LANGUAGE sql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM orm_triggers.audit_log AS a
         WHERE a.tx_time OPERATOR(pg_catalog.<) $1
        RETURNING 1
    )
    SELECT pg_catalog.count(*) FROM gone
$$;

COMMENT ON FUNCTION orm_triggers.purge_audit_log(pg_catalog.timestamptz) IS
    'Deletes audit_log entries of transactions that started before older_than; returns their number';

REVOKE ALL ON FUNCTION orm_triggers.purge_audit_log(pg_catalog.timestamptz) FROM PUBLIC;

-- After a logical restore (pg_dump, then pg_restore or psql) every table
-- has a new OID, and the restored entries still carry the old ones.  This
-- points every entry at the table that now has the schema and name it
-- logged; returns the number of entries changed.  Entries whose logged
-- name no longer resolves (a table renamed or dropped since) stay as they
-- are.  Run it once, after the restore; it reads the whole log.
-- SECURITY INVOKER: the caller needs UPDATE on the log.
CREATE FUNCTION orm_triggers.audit_relink()
    RETURNS pg_catalog.int8
    LANGUAGE sql
    VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH logged AS (
        SELECT DISTINCT a.table_oid, a.schema_name, a.table_name
          FROM orm_triggers.audit_log AS a
    ), moved AS (
        SELECT l.table_oid AS old_oid, l.schema_name, l.table_name, c.oid AS new_oid
          FROM logged AS l
          JOIN pg_catalog.pg_namespace AS n ON n.nspname OPERATOR(pg_catalog.=) l.schema_name
          JOIN pg_catalog.pg_class AS c ON c.relnamespace OPERATOR(pg_catalog.=) n.oid
                                       AND c.relname OPERATOR(pg_catalog.=) l.table_name
         WHERE c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'f']::pg_catalog."char"[])
           AND c.oid OPERATOR(pg_catalog.<>) l.table_oid
    ), done AS (
        UPDATE orm_triggers.audit_log AS a
           SET table_oid = m.new_oid
          FROM moved AS m
         WHERE a.table_oid OPERATOR(pg_catalog.=) m.old_oid
           AND a.schema_name OPERATOR(pg_catalog.=) m.schema_name
           AND a.table_name OPERATOR(pg_catalog.=) m.table_name
        RETURNING 1
    )
    SELECT pg_catalog.count(*) FROM done
$$;

COMMENT ON FUNCTION orm_triggers.audit_relink() IS
    'After a logical restore: points audit_log entries at the table that now has their logged schema and name (new OIDs); returns the number changed';

REVOKE ALL ON FUNCTION orm_triggers.audit_relink() FROM PUBLIC;


-- ---------------------------------------------------------------------------
-- Optimistic locking, soft delete, change notifications (issue: version/soft delete/notify)
-- ---------------------------------------------------------------------------

CREATE FUNCTION orm_triggers.increment_version()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'increment_version';

COMMENT ON FUNCTION orm_triggers.increment_version() IS
    'BEFORE INSERT OR UPDATE FOR EACH ROW (col): optimistic lock; INSERT fills NULL with 1, UPDATE fails with 40001 on a stale version, else stores old + 1';

CREATE FUNCTION orm_triggers.notify_change()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'notify_change';

COMMENT ON FUNCTION orm_triggers.notify_change() IS
    'AFTER INSERT/UPDATE/DELETE FOR EACH ROW, or FOR EACH STATEMENT with a transition table ([''channel=name''] [, ''columns=c1,c2'']): NOTIFY with a JSON payload (schema, table, op, key, changed), under 8000 bytes';

CREATE FUNCTION orm_triggers.soft_delete()
    RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'soft_delete';

COMMENT ON FUNCTION orm_triggers.soft_delete() IS
    'BEFORE DELETE FOR EACH ROW (col [, ''on_repeat=ignore''|''on_repeat=delete'']): turns DELETE into UPDATE SET col = now() (or true); orm_triggers.hard_delete = on deletes for real';
