# versioning on a multi-row UPDATE and DELETE, against the periods
# extension (C and PL/pgSQL, Debian's postgresql-15-periods), a PL/pgSQL
# versioning trigger written the way nearform's temporal_tables port is
# (arguments read and the history table's columns looked up on every row,
# a dynamic INSERT), and the audit row form.  periods makes its history
# table without an index, so orm_triggers and the PL/pgSQL trigger are
# measured with an index-less history table too; one more orm_triggers
# variant keeps the GiST index create_history_table makes for AS OF reads
# (every row of a bulk UPDATE closes with the same period: GiST's worst
# case of identical keys).
# The extra column is the backend memory (all memory contexts) of the
# session that ran the statement, right after it.
versioning_setup="CREATE TABLE bench_t (id int PRIMARY KEY, v int NOT NULL, note text, price numeric,
                      sys_period tstzrange NOT NULL DEFAULT tstzrange('2020-01-01', NULL));
INSERT INTO bench_t (id, v, note, price) SELECT g, g, 'row ' || g, g * 1.25 FROM generate_series(1, :rows) g;
CREATE FUNCTION bench_plpgsql_versioning() RETURNS trigger LANGUAGE plpgsql AS \$\$
DECLARE
  period_col text := TG_ARGV[0];
  history text := TG_ARGV[1];
  adjust boolean := coalesce(TG_ARGV[2], 'false')::boolean;
  t timestamptz := now();
  old_start timestamptz;
  cols text[];
  mismatch record;
  snap txid_snapshot;
  row_period tstzrange;
BEGIN
  -- every fire checks its configuration, as the nearform port does
  IF TG_WHEN <> 'BEFORE' OR TG_LEVEL <> 'ROW' THEN
    RAISE EXCEPTION 'function must be fired BEFORE ROW';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = TG_RELID AND attname = period_col AND NOT attisdropped) THEN
    RAISE EXCEPTION 'column % does not exist', period_col;
  END IF;
  IF to_regclass(history) IS NULL THEN
    RAISE EXCEPTION 'relation % does not exist', history;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    -- a row this transaction wrote: no version (the port's snapshot test)
    snap := txid_current_snapshot();
    IF OLD.xmin::text >= (txid_snapshot_xmin(snap) % 4294967296)::text
       AND OLD.xmin::text <= (txid_snapshot_xmax(snap) % 4294967296)::text
       AND OLD.xmin::text = (txid_current() % 4294967296)::text THEN
      IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
      RETURN NEW;
    END IF;
    EXECUTE format('SELECT lower((\$1).%I)', period_col) INTO old_start USING OLD;
    IF old_start >= t THEN
      IF NOT adjust THEN
        RAISE EXCEPTION 'system period of % cannot be set', TG_TABLE_NAME USING ERRCODE = '2201H';
      END IF;
      t := old_start + interval '1 microsecond';
    END IF;
    -- the columns of both tables, compared by type, then the common ones
    WITH h AS (SELECT attname, atttypid FROM pg_attribute WHERE attrelid = to_regclass(history) AND attnum > 0 AND NOT attisdropped),
         m AS (SELECT attname, atttypid FROM pg_attribute WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped)
    SELECT h.attname INTO mismatch FROM h JOIN m USING (attname) WHERE h.atttypid <> m.atttypid LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'column % has another type in %', mismatch.attname, history;
    END IF;
    WITH h AS (SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(history) AND attnum > 0 AND NOT attisdropped),
         m AS (SELECT attname, attnum FROM pg_attribute WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped)
    SELECT array_agg(quote_ident(m.attname) ORDER BY m.attnum) INTO cols
      FROM m JOIN h USING (attname) WHERE m.attname <> period_col;
    EXECUTE format('INSERT INTO %s (%s, %I) VALUES (\$1.%s, tstzrange(\$2, \$3, ''[)''))',
                   history, array_to_string(cols, ', '), period_col,
                   array_to_string(cols, ', \$1.'))
      USING OLD, old_start, t;
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  row_period := tstzrange(t, NULL, '[)');
  NEW := jsonb_populate_record(NEW, jsonb_build_object(period_col, row_period));
  RETURN NEW;
END \$\$;"
versioning_ours_gist="SELECT orm_triggers.create_history_table('bench_t');
CREATE TRIGGER t BEFORE INSERT OR UPDATE OR DELETE ON bench_t FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'bench_t_history')"
versioning_ours="CREATE TABLE bench_t_history (LIKE bench_t);
CREATE TRIGGER t BEFORE INSERT OR UPDATE OR DELETE ON bench_t FOR EACH ROW EXECUTE FUNCTION orm_triggers.versioning('sys_period', 'bench_t_history')"
versioning_periods="ALTER TABLE bench_t DROP COLUMN sys_period;
SELECT periods.add_system_time_period('bench_t');
SELECT periods.add_system_versioning('bench_t');"
versioning_plpgsql="CREATE TABLE bench_t_history (LIKE bench_t);
CREATE TRIGGER t BEFORE INSERT OR UPDATE OR DELETE ON bench_t FOR EACH ROW EXECUTE FUNCTION bench_plpgsql_versioning('sys_period', 'bench_t_history')"
versioning_audit="CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON bench_t FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit()"
versioning_memory="SELECT round(sum(total_bytes) / 1048576.0, 1) || ' MiB' FROM pg_backend_memory_contexts"

# The memory figure must come from the session that ran the statement: this
# case times the statement and reads the memory in one psql session (the
# time of the first statement is the one reported).
versioning_time_variant() {
    local i=$1 stmt=${C_VSTMT[$1]:-$C_STMT} out ms mem
    bench_psql -c 'DROP SCHEMA IF EXISTS bench_case CASCADE' -c 'CREATE SCHEMA bench_case' >/dev/null 2>&1
    bench_psql -c 'SET search_path = bench_case, public' -f - >/dev/null <<<"SET search_path = bench_case, public;
TRUNCATE orm_triggers.audit_log;
$C_SETUP
${C_VDDL[$i]}"
    bench_psql -c 'VACUUM (FREEZE, ANALYZE)' -c 'CHECKPOINT' >/dev/null
    out=$(bench_psql -At -c 'SET search_path = bench_case, public' -c '\timing on' -c "$stmt" \
        -c '\timing off' -c "$versioning_memory" 2>&1) ||
        { echo "$out" >&2; ormt_die "case '$C_NAME' variant '${C_VNAMES[$i]}' failed"; }
    ms=$(sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' <<<"$out" | head -1)
    mem=$(tail -1 <<<"$out")
    echo "$ms $mem"
}

versioning_variants() {
    case_variant "no trigger" ''
    case_variant "orm_triggers.versioning" "$versioning_ours"
    case_variant "periods (system versioning)" "$versioning_periods"
    case_variant "PL/pgSQL, nearform-style" "$versioning_plpgsql"
    case_variant "orm_triggers.versioning, history with GiST index" "$versioning_ours_gist"
    case_variant "orm_triggers.audit (row)" "$versioning_audit"
    case_extra "backend memory after" "$versioning_memory"
}

eval "$(declare -f time_variant | sed '1s/time_variant/versioning_saved_time_variant/')"
time_variant() { versioning_time_variant "$@"; }

case_begin "versioning" "UPDATE of $BENCH_ROWS rows"
case_setup "$versioning_setup"
case_statement 'UPDATE bench_t SET v = v + 1'
versioning_variants
case_end

case_begin "versioning" "DELETE of $BENCH_ROWS rows"
case_setup "$versioning_setup"
case_statement 'DELETE FROM bench_t'
versioning_variants
case_end

# backend memory after one statement over ORMT_BENCH_MEM_ROWS (1000000)
# rows (periods is left out: it keeps a plan per row, about 7 GB here)
versioning_mem_rows=${ORMT_BENCH_MEM_ROWS:-1000000}
case_begin "versioning" "memory: UPDATE of $versioning_mem_rows rows "
case_setup "${versioning_setup//:rows/$versioning_mem_rows}"
case_statement 'UPDATE bench_t SET v = v + 1'
case_variant "no trigger" ''
case_variant "orm_triggers.versioning" "$versioning_ours"
case_variant "orm_triggers.versioning, history with GiST index" "$versioning_ours_gist"
case_extra "backend memory after" "$versioning_memory"
versioning_saved_rows=$BENCH_ROWS
BENCH_ROWS=$versioning_mem_rows
case_end
BENCH_ROWS=$versioning_saved_rows

eval "$(declare -f versioning_saved_time_variant | sed '1s/versioning_saved_time_variant/time_variant/')"
