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
-- Audit log (issue: audit)
-- ---------------------------------------------------------------------------

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
