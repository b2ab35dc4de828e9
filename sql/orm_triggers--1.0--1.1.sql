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
