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
