# increment_version on a multi-row UPDATE, against the PL/pgSQL equivalent
# and the floor (the version bumped in the statement itself, no check).
case_begin "increment_version" "UPDATE of $BENCH_ROWS rows, version left out of the SET"
case_setup "CREATE TABLE bench_t (id int PRIMARY KEY, v int NOT NULL, note text, version int NOT NULL DEFAULT 1);
INSERT INTO bench_t SELECT g, g, 'row ' || g FROM generate_series(1, :rows) g;
CREATE FUNCTION bench_plpgsql_version() RETURNS trigger LANGUAGE plpgsql AS
  \$\$BEGIN
    IF TG_OP = 'INSERT' THEN NEW.version := coalesce(NEW.version, 1); RETURN NEW; END IF;
    IF NEW.version IS DISTINCT FROM OLD.version THEN
      RAISE EXCEPTION 'row of table % was changed by another transaction', TG_TABLE_NAME
        USING ERRCODE = 'serialization_failure';
    END IF;
    NEW.version := coalesce(OLD.version, 0) + 1;
    RETURN NEW;
  END\$\$;"
case_statement 'UPDATE bench_t SET v = v + 1'
case_variant "no trigger" ''
case_variant "orm_triggers.increment_version" \
    "CREATE TRIGGER t BEFORE INSERT OR UPDATE ON bench_t FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version')"
case_variant "PL/pgSQL equivalent" \
    "CREATE TRIGGER t BEFORE INSERT OR UPDATE ON bench_t FOR EACH ROW EXECUTE FUNCTION bench_plpgsql_version()"
case_variant "floor: version = version + 1 in the UPDATE" '' 'UPDATE bench_t SET v = v + 1, version = version + 1'
case_end
