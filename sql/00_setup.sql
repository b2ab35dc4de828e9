-- Shared setup: the extension and the roles the other tests run DML as.
CREATE EXTENSION orm_triggers;
SELECT extversion, extrelocatable, n.nspname
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE extname = 'orm_triggers';
-- an unprivileged role that owns and writes the test tables
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ormt_app') THEN
    CREATE ROLE ormt_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
  END IF;
END $$;
GRANT CREATE ON DATABASE contrib_regression TO ormt_app;
GRANT CREATE ON SCHEMA public TO ormt_app;
SELECT rolsuper FROM pg_roles WHERE rolname = 'ormt_app';
