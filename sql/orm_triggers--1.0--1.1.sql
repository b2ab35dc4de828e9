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
