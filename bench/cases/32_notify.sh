# notify_change on multi-row statements: the row form against contrib tcn
# (C, one NOTIFY per row with a text payload) and a PL/pgSQL pg_notify
# trigger building the same JSON; the statement form against a PL/pgSQL
# statement trigger over the transition table.  No one listens: the cost
# measured is building and queueing the payloads (the queue is written at
# commit, which the timing includes).
case_begin "notify_change (row)" "UPDATE of $BENCH_ROWS rows, one NOTIFY per row"
case_setup "CREATE TABLE bench_t (id int PRIMARY KEY, v int NOT NULL, note text);
INSERT INTO bench_t SELECT g, g, 'row ' || g FROM generate_series(1, :rows) g;
CREATE FUNCTION bench_plpgsql_notify() RETURNS trigger LANGUAGE plpgsql AS
  \$\$BEGIN
    PERFORM pg_notify('orm_triggers', json_build_object('schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME,
      'op', TG_OP, 'key', json_build_object('id', NEW.id),
      'changed', (SELECT json_agg(n.key) FROM jsonb_each(to_jsonb(NEW)) n
                   WHERE n.value IS DISTINCT FROM to_jsonb(OLD) -> n.key))::text);
    RETURN NULL;
  END\$\$;"
case_statement 'UPDATE bench_t SET v = v + 1'
case_variant "no trigger" ''
case_variant "orm_triggers.notify_change" \
    "CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON bench_t FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change()"
case_variant "contrib tcn (C, text payload)" \
    "CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON bench_t FOR EACH ROW EXECUTE FUNCTION public.triggered_change_notification()"
case_variant "PL/pgSQL pg_notify(json)" \
    "CREATE TRIGGER t AFTER UPDATE ON bench_t FOR EACH ROW EXECUTE FUNCTION bench_plpgsql_notify()"
case_end

case_begin "notify_change (statement)" "UPDATE of $BENCH_ROWS rows, one NOTIFY per statement"
case_setup "CREATE TABLE bench_t (id int PRIMARY KEY, v int NOT NULL, note text);
INSERT INTO bench_t SELECT g, g, 'row ' || g FROM generate_series(1, :rows) g;
CREATE FUNCTION bench_plpgsql_notify_stmt() RETURNS trigger LANGUAGE plpgsql AS
  \$\$BEGIN
    PERFORM pg_notify('orm_triggers', json_build_object('schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME,
      'op', TG_OP, 'count', (SELECT count(*) FROM new_rows),
      'keys', (SELECT json_agg(json_build_object('id', id)) FROM (SELECT id FROM new_rows LIMIT 500) k))::text);
    RETURN NULL;
  END\$\$;"
case_statement 'UPDATE bench_t SET v = v + 1'
case_variant "no trigger" ''
case_variant "orm_triggers.notify_change FOR EACH STATEMENT" \
    "CREATE TRIGGER t AFTER UPDATE ON bench_t REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.notify_change()"
case_variant "PL/pgSQL statement trigger (count + 500 keys)" \
    "CREATE TRIGGER t AFTER UPDATE ON bench_t REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_plpgsql_notify_stmt()"
case_variant "orm_triggers.notify_change FOR EACH ROW" \
    "CREATE TRIGGER t AFTER UPDATE ON bench_t FOR EACH ROW EXECUTE FUNCTION orm_triggers.notify_change()"
case_end
