# counter_cache and touch_parent: $BENCH_ROWS children over 1000 parents,
# INSERT, an UPDATE that moves every child to another parent, and DELETE,
# each one statement.  Against a Rails-style PL/pgSQL row trigger (one
# UPDATE of the parent per child row, as counter_cache / touch: true do) and
# a PL/pgSQL statement trigger over the transition tables.

bench_counters_setup="CREATE TABLE parent (id int PRIMARY KEY, c int NOT NULL DEFAULT 0, touched_at timestamptz);
INSERT INTO parent (id) SELECT g FROM generate_series(1, 1000) g;
CREATE TABLE child (id int PRIMARY KEY, p int, note text);
CREATE TABLE src AS SELECT g AS id, 1 + g % 1000 AS p, 'child ' || g AS note FROM generate_series(1, :rows) g;
CREATE FUNCTION rails_count() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.p IS NOT NULL AND (TG_OP = 'DELETE' OR NEW.p IS DISTINCT FROM OLD.p) THEN
    UPDATE bench_case.parent SET c = c - 1 WHERE id = OLD.p;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.p IS NOT NULL AND (TG_OP = 'INSERT' OR NEW.p IS DISTINCT FROM OLD.p) THEN
    UPDATE bench_case.parent SET c = c + 1 WHERE id = NEW.p;
  END IF;
  RETURN NULL;
END\$\$;
CREATE FUNCTION stmt_count() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE bench_case.parent x SET c = x.c + d.n
      FROM (SELECT p, count(*) AS n FROM new_rows WHERE p IS NOT NULL GROUP BY p ORDER BY p) d WHERE x.id = d.p;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE bench_case.parent x SET c = x.c - d.n
      FROM (SELECT p, count(*) AS n FROM old_rows WHERE p IS NOT NULL GROUP BY p ORDER BY p) d WHERE x.id = d.p;
  ELSE
    UPDATE bench_case.parent x SET c = x.c + d.n
      FROM (SELECT p, sum(n) AS n FROM (SELECT p, 1 AS n FROM new_rows UNION ALL SELECT p, -1 FROM old_rows) u
             WHERE p IS NOT NULL GROUP BY p HAVING sum(n) <> 0 ORDER BY p) d WHERE x.id = d.p;
  END IF;
  RETURN NULL;
END\$\$;
CREATE FUNCTION rails_touch() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  IF TG_OP <> 'INSERT' AND OLD.p IS NOT NULL THEN
    UPDATE bench_case.parent SET touched_at = now() WHERE id = OLD.p;
  END IF;
  IF TG_OP <> 'DELETE' AND NEW.p IS NOT NULL THEN
    UPDATE bench_case.parent SET touched_at = now() WHERE id = NEW.p;
  END IF;
  RETURN NULL;
END\$\$;
CREATE FUNCTION stmt_touch() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE bench_case.parent SET touched_at = now() WHERE id IN (SELECT p FROM new_rows);
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE bench_case.parent SET touched_at = now() WHERE id IN (SELECT p FROM old_rows);
  ELSE
    UPDATE bench_case.parent SET touched_at = now()
     WHERE id IN (SELECT p FROM new_rows UNION SELECT p FROM old_rows);
  END IF;
  RETURN NULL;
END\$\$;"

# bench_counters EVENT STATEMENT REFERENCING FILL: one table per function
bench_counters() {
    local ev=$1 stmt=$2 refs=$3 fill=$4 f
    for f in counter_cache touch_parent; do
        local args plrow plstmt
        if [ $f = counter_cache ]; then
            args="'p', 'parent=parent', 'counter=c'" plrow=rails_count plstmt=stmt_count
        else
            args="'p', 'parent=parent', 'column=touched_at'" plrow=rails_touch plstmt=stmt_touch
        fi
        case_begin "$f" "$ev of $BENCH_ROWS children over 1000 parents, one statement"
        case_setup "$bench_counters_setup
$fill"
        case_statement "$stmt"
        case_variant "no trigger" ''
        case_variant "orm_triggers.$f row form" \
            "CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW EXECUTE FUNCTION orm_triggers.$f($args)"
        case_variant "orm_triggers.$f statement form" \
            "CREATE TRIGGER t AFTER $ev ON child REFERENCING $refs FOR EACH STATEMENT EXECUTE FUNCTION orm_triggers.$f($args)"
        case_variant "PL/pgSQL row trigger (Rails style)" \
            "CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON child FOR EACH ROW EXECUTE FUNCTION $plrow()"
        case_variant "PL/pgSQL statement trigger" \
            "CREATE TRIGGER t AFTER $ev ON child REFERENCING $refs FOR EACH STATEMENT EXECUTE FUNCTION $plstmt()"
        case_end
    done
}

bench_counters INSERT 'INSERT INTO child SELECT * FROM src' 'NEW TABLE AS new_rows' ''
bench_counters UPDATE 'UPDATE child SET p = 1 + p % 1000' 'OLD TABLE AS old_rows NEW TABLE AS new_rows' \
    'INSERT INTO child SELECT * FROM src;'
bench_counters DELETE 'DELETE FROM child' 'OLD TABLE AS old_rows' 'INSERT INTO child SELECT * FROM src;'
