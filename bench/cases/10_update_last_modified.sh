# update_last_modified on a multi-row UPDATE, against contrib moddatetime,
# a PL/pgSQL trigger and the floor (the column set in the statement itself).
case_begin "update_last_modified" "UPDATE of $BENCH_ROWS rows, one changed column"
case_setup "CREATE TABLE bench_t (id int PRIMARY KEY, v int NOT NULL, note text, updated_at timestamptz);
INSERT INTO bench_t SELECT g, g, 'row ' || g, '2020-01-01' FROM generate_series(1, :rows) g;
CREATE FUNCTION bench_plpgsql_touch() RETURNS trigger LANGUAGE plpgsql AS
  \$\$BEGIN NEW.updated_at := now(); RETURN NEW; END\$\$;"
case_statement 'UPDATE bench_t SET v = v + 1'
case_variant "no trigger" ''
case_variant "orm_triggers.update_last_modified" \
    "CREATE TRIGGER t BEFORE INSERT OR UPDATE ON bench_t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at')"
case_variant "orm_triggers.update_last_modified always=true" \
    "CREATE TRIGGER t BEFORE INSERT OR UPDATE ON bench_t FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at', 'always=true')"
case_variant "contrib moddatetime (C)" \
    "CREATE TRIGGER t BEFORE UPDATE ON bench_t FOR EACH ROW EXECUTE FUNCTION public.moddatetime(updated_at)"
case_variant "PL/pgSQL NEW.updated_at := now()" \
    "CREATE TRIGGER t BEFORE UPDATE ON bench_t FOR EACH ROW EXECUTE FUNCTION bench_plpgsql_touch()"
case_variant "floor: updated_at = now() in the UPDATE" '' 'UPDATE bench_t SET v = v + 1, updated_at = now()'
case_end

# set_created_at on a multi-row INSERT.
case_begin "set_created_at" "INSERT of $BENCH_ROWS rows"
case_setup "CREATE TABLE bench_t (id int, v int NOT NULL, note text, created_at timestamptz);
CREATE FUNCTION bench_plpgsql_created() RETURNS trigger LANGUAGE plpgsql AS
  \$\$BEGIN IF TG_OP = 'INSERT' THEN NEW.created_at := coalesce(NEW.created_at, now());
  ELSE NEW.created_at := OLD.created_at; END IF; RETURN NEW; END\$\$;"
case_statement "INSERT INTO bench_t (id, v, note) SELECT g, g, 'row ' || g FROM generate_series(1, $BENCH_ROWS) g"
case_variant "no trigger" ''
case_variant "orm_triggers.set_created_at" \
    "CREATE TRIGGER t BEFORE INSERT OR UPDATE ON bench_t FOR EACH ROW EXECUTE FUNCTION orm_triggers.set_created_at('created_at')"
case_variant "PL/pgSQL coalesce(NEW.created_at, now())" \
    "CREATE TRIGGER t BEFORE INSERT OR UPDATE ON bench_t FOR EACH ROW EXECUTE FUNCTION bench_plpgsql_created()"
case_variant "floor: created_at = now() in the INSERT" '' \
    "INSERT INTO bench_t (id, v, note, created_at) SELECT g, g, 'row ' || g, now() FROM generate_series(1, $BENCH_ROWS) g"
case_end
