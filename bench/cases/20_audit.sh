# audit on multi-row UPDATE, INSERT and DELETE: the row and statement forms
# against a PL/pgSQL to_jsonb(OLD)/to_jsonb(NEW) row trigger, a PL/pgSQL
# statement trigger over transition tables (both writing the same
# orm_triggers.audit_log) and the table_log extension (level 5: with user).
# The extra column is the size of the log (table, indexes, TOAST) per row.
audit_setup_common="TRUNCATE orm_triggers.audit_log;
CREATE TABLE bench_t (id int PRIMARY KEY, v int NOT NULL, note text, price numeric, updated_at timestamptz);
CREATE FUNCTION bench_plpgsql_audit() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  INSERT INTO orm_triggers.audit_log (txid, tx_time, logged_at, actor, session_user_name, context,
      table_oid, schema_name, table_name, op, key, key_hash, old_values, new_values)
  VALUES (pg_current_xact_id(), now(), clock_timestamp(),
      coalesce(nullif(current_setting('orm_triggers.actor', true), ''), session_user), session_user,
      nullif(current_setting('orm_triggers.context', true), '')::jsonb,
      TG_RELID, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP,
      jsonb_build_object('id', CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END),
      orm_triggers.audit_key_hash(jsonb_build_object('id', CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END)),
      CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END,
      CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
  RETURN NULL;
END \$\$;
CREATE FUNCTION bench_plpgsql_audit_stmt() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO orm_triggers.audit_log (txid, tx_time, logged_at, actor, session_user_name, context,
        table_oid, schema_name, table_name, op, key, key_hash, old_values, new_values)
    SELECT pg_current_xact_id(), now(), clock_timestamp(),
        coalesce(nullif(current_setting('orm_triggers.actor', true), ''), session_user), session_user,
        nullif(current_setting('orm_triggers.context', true), '')::jsonb,
        TG_RELID, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, jsonb_build_object('id', n.id), orm_triggers.audit_key_hash(jsonb_build_object('id', n.id)), NULL, to_jsonb(n)
      FROM new_rows n;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO orm_triggers.audit_log (txid, tx_time, logged_at, actor, session_user_name, context,
        table_oid, schema_name, table_name, op, key, key_hash, old_values, new_values)
    SELECT pg_current_xact_id(), now(), clock_timestamp(),
        coalesce(nullif(current_setting('orm_triggers.actor', true), ''), session_user), session_user,
        nullif(current_setting('orm_triggers.context', true), '')::jsonb,
        TG_RELID, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, jsonb_build_object('id', n.id), orm_triggers.audit_key_hash(jsonb_build_object('id', n.id)), to_jsonb(o), to_jsonb(n)
      FROM old_rows o JOIN new_rows n ON o.id = n.id;
  ELSE
    INSERT INTO orm_triggers.audit_log (txid, tx_time, logged_at, actor, session_user_name, context,
        table_oid, schema_name, table_name, op, key, key_hash, old_values, new_values)
    SELECT pg_current_xact_id(), now(), clock_timestamp(),
        coalesce(nullif(current_setting('orm_triggers.actor', true), ''), session_user), session_user,
        nullif(current_setting('orm_triggers.context', true), '')::jsonb,
        TG_RELID, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, jsonb_build_object('id', o.id), orm_triggers.audit_key_hash(jsonb_build_object('id', o.id)), to_jsonb(o), NULL
      FROM old_rows o;
  END IF;
  RETURN NULL;
END \$\$;"
audit_fill="INSERT INTO bench_t SELECT g, g, 'row ' || g, g * 1.25, '2020-01-01' FROM generate_series(1, :rows) g;"
audit_row_ddl="CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON bench_t FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit()"
audit_stmt_ddl="CREATE TRIGGER ti AFTER INSERT ON bench_t REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER tu AFTER UPDATE ON bench_t REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();
CREATE TRIGGER td AFTER DELETE ON bench_t REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.audit();"
audit_plrow_ddl="CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON bench_t FOR EACH ROW EXECUTE FUNCTION bench_plpgsql_audit()"
audit_plstmt_ddl="CREATE TRIGGER ti AFTER INSERT ON bench_t REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_plpgsql_audit_stmt();
CREATE TRIGGER tu AFTER UPDATE ON bench_t REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_plpgsql_audit_stmt();
CREATE TRIGGER td AFTER DELETE ON bench_t REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_plpgsql_audit_stmt();"
audit_tablelog_ddl="SELECT table_log_init(5, 'bench_t');"
audit_bytes="SELECT round((pg_total_relation_size('orm_triggers.audit_log')
  + coalesce(pg_total_relation_size(to_regclass('bench_case.bench_t_log')), 0)) / $BENCH_ROWS.0)"

audit_variants() {
    case_variant "no trigger" ''
    case_variant "orm_triggers.audit (row)" "$audit_row_ddl"
    case_variant "orm_triggers.audit (statement)" "$audit_stmt_ddl"
    case_variant "PL/pgSQL to_jsonb row trigger" "$audit_plrow_ddl"
    case_variant "PL/pgSQL statement trigger, transition tables" "$audit_plstmt_ddl"
    case_variant "table_log (C, level 5)" "$audit_tablelog_ddl"
    case_extra "log bytes/row" "$audit_bytes"
}

case_begin "audit" "UPDATE of $BENCH_ROWS rows, one changed column"
case_setup "$audit_setup_common
$audit_fill"
case_statement 'UPDATE bench_t SET v = v + 1'
audit_variants
case_end

case_begin "audit" "INSERT of $BENCH_ROWS rows"
case_setup "$audit_setup_common"
case_statement "INSERT INTO bench_t SELECT g, g, 'row ' || g, g * 1.25, '2020-01-01' FROM generate_series(1, $BENCH_ROWS) g"
audit_variants
case_end

case_begin "audit" "DELETE of $BENCH_ROWS rows"
case_setup "$audit_setup_common
$audit_fill"
case_statement 'DELETE FROM bench_t'
audit_variants
case_end
