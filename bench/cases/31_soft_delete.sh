# soft_delete on a multi-row DELETE, against the PL/pgSQL equivalent (an
# UPDATE by ctid from a BEFORE DELETE trigger) and the floor (the UPDATE
# the application would run instead).
case_begin "soft_delete" "DELETE of $BENCH_ROWS rows, each turned into an UPDATE"
case_setup "CREATE TABLE bench_t (id int PRIMARY KEY, v int NOT NULL, note text, deleted_at timestamptz);
INSERT INTO bench_t SELECT g, g, 'row ' || g FROM generate_series(1, :rows) g;
CREATE FUNCTION bench_plpgsql_soft() RETURNS trigger LANGUAGE plpgsql AS
  \$\$BEGIN
    IF current_setting('orm_triggers.hard_delete', true) = 'on' THEN RETURN OLD; END IF;
    IF OLD.deleted_at IS NOT NULL THEN RETURN NULL; END IF;
    UPDATE ONLY bench_case.bench_t SET deleted_at = now() WHERE ctid = OLD.ctid;
    RETURN NULL;
  END\$\$;"
case_statement 'DELETE FROM bench_t'
case_variant "no trigger (real DELETE)" ''
case_variant "orm_triggers.soft_delete" \
    "CREATE TRIGGER t BEFORE DELETE ON bench_t FOR EACH ROW EXECUTE FUNCTION orm_triggers.soft_delete('deleted_at')"
case_variant "PL/pgSQL UPDATE ... WHERE ctid = OLD.ctid" \
    "CREATE TRIGGER t BEFORE DELETE ON bench_t FOR EACH ROW EXECUTE FUNCTION bench_plpgsql_soft()"
case_variant "floor: UPDATE bench_t SET deleted_at = now()" '' 'UPDATE bench_t SET deleted_at = now() WHERE deleted_at IS NULL'
case_end
