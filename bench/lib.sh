# bench/lib.sh: how a case is written (sourced by bench/run).
#
#   case_begin "update_last_modified" "UPDATE of all rows"
#   case_setup 'CREATE TABLE bench_t (...); INSERT INTO bench_t SELECT ... FROM generate_series(1, :rows) g;'
#   case_statement 'UPDATE bench_t SET v = v + 1'
#   case_variant "no trigger" ''                       # the first one is the baseline
#   case_variant "orm_triggers" 'CREATE TRIGGER ...'   # DDL run after setup
#   case_variant "floor: set in the statement" '' 'UPDATE bench_t SET v = v + 1, ts = now()'
#   case_extra "log bytes/row" 'SELECT ...'            # optional: a figure per variant,
#                                                      # from a query run after the statement
#   case_end                                           # runs and prints the table
#
# The setup runs afresh for every variant and repeat (then VACUUM FREEZE,
# ANALYZE and CHECKPOINT), so every timed statement starts from the same
# table.  :rows in SQL is the row count.  Variants named "orm_triggers..."
# are what the ratio column compares against (the first such one).

case_begin() { C_NAME=$1; C_WHAT=$2; C_SETUP=''; C_STMT=''; C_VNAMES=(); C_VDDL=(); C_VSTMT=(); C_EXTRA_NAME=''; C_EXTRA_SQL=''; }
case_setup() { C_SETUP=$1; }
case_statement() { C_STMT=$1; }
case_variant() { C_VNAMES+=("$1"); C_VDDL+=("$2"); C_VSTMT+=("${3:-}"); }
case_extra() { C_EXTRA_NAME=$1; C_EXTRA_SQL=$2; }

bench_psql() { psql -X -q -v ON_ERROR_STOP=1 -v rows="$BENCH_ROWS" "$@"; }

# time_variant I: prints the statement's milliseconds (and the extra figure)
time_variant() {
    local i=$1 stmt=${C_VSTMT[$1]:-$C_STMT} out ms extra=''
    bench_psql -c 'DROP SCHEMA IF EXISTS bench_case CASCADE' -c 'CREATE SCHEMA bench_case' >/dev/null 2>&1
    bench_psql -c 'SET search_path = bench_case, public' -f - >/dev/null <<<"SET search_path = bench_case, public;
$C_SETUP
${C_VDDL[$i]}"
    bench_psql -c 'VACUUM (FREEZE, ANALYZE)' -c 'CHECKPOINT' >/dev/null
    out=$(bench_psql -At -c 'SET search_path = bench_case, public' -c '\timing on' -c "$stmt" 2>&1) ||
        { echo "$out" >&2; ormt_die "case '$C_NAME' variant '${C_VNAMES[$i]}' failed"; }
    ms=$(sed -nE 's/^Time: ([0-9.]+) ms.*/\1/p' <<<"$out" | tail -1)
    if [ -n "$C_EXTRA_SQL" ]; then
        extra=$(bench_psql -At -c 'SET search_path = bench_case, public' -c "$C_EXTRA_SQL")
    fi
    echo "$ms ${extra:--}"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

case_end() {
    local n=${#C_VNAMES[@]} r i res
    local -a times extras
    for ((i = 0; i < n; i++)); do times[i]=''; extras[i]='-'; done
    for ((r = 0; r < BENCH_REPEAT; r++)); do
        for ((i = 0; i < n; i++)); do
            res=$(time_variant "$i")
            times[i]+="${res%% *}"$'\n'
            extras[i]=${res#* }
        done
    done
    local base ours='' med over
    local -a meds overs
    for ((i = 0; i < n; i++)); do
        meds[i]=$(printf '%s' "${times[i]}" | median)
    done
    base=${meds[0]}
    for ((i = 0; i < n; i++)); do
        overs[i]=$(awk -v m="${meds[i]}" -v b="$base" -v rows="$BENCH_ROWS" 'BEGIN {printf "%.3f", (m - b) * 1000 / rows}')
        if [ -z "$ours" ] && [[ ${C_VNAMES[i]} == orm_triggers* ]]; then ours=${overs[i]}; fi
    done
    echo
    echo "### $C_NAME: $C_WHAT"
    echo
    if [ -n "$C_EXTRA_NAME" ]; then
        echo "| variant | ms | overhead µs/row | × orm_triggers | $C_EXTRA_NAME |"
        echo "|---|---:|---:|---:|---:|"
    else
        echo "| variant | ms | overhead µs/row | × orm_triggers |"
        echo "|---|---:|---:|---:|"
    fi
    for ((i = 0; i < n; i++)); do
        med=${meds[i]}
        over=${overs[i]}
        local ratio='-'
        if [ "$i" -gt 0 ] && [ -n "$ours" ]; then
            ratio=$(awk -v o="$over" -v u="$ours" 'BEGIN {if (u > 0) printf "%.2f", o / u; else print "-"}')
        fi
        [ "$i" -eq 0 ] && over='-'
        if [ -n "$C_EXTRA_NAME" ]; then
            printf '| %s | %.0f | %s | %s | %s |\n' "${C_VNAMES[i]}" "$med" "$over" "$ratio" "${extras[i]}"
        else
            printf '| %s | %.0f | %s | %s |\n' "${C_VNAMES[i]}" "$med" "$over" "$ratio"
        fi
    done
}
