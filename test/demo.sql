-- test/demo.sql: every orm_triggers function at work on a small shop schema.
\set QUIET on
\pset footer off
CREATE EXTENSION orm_triggers;
SET client_min_messages = warning;

-- section: stamps

-- section: audit

-- section: version

-- section: soft-delete

-- section: notify
