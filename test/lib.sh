# test/lib.sh: shared by test/check, test/demo and bench/run.  Sourced, not run.
#
# What it gives a script, in order:
#   ormt_require_packages PKG...  install missing Debian packages (root) or
#                                 name them and stop (anyone else)
#   ormt_stage "$@"               copy the source tree to a fresh temp dir; as
#                                 root, re-run the calling script there as the
#                                 postgres OS user (the server refuses root)
#   ormt_build_install            build the extension and install it into a
#                                 private copy of PostgreSQL inside that dir,
#                                 so nothing under /usr is touched
#   ormt_start_cluster            initdb + start a server on a unix socket in
#                                 that dir; stopped (and the dir removed) on
#                                 exit, whatever happens
#
# Settings (environment): PG_MAJOR (15), PG_CFLAGS (passed to the compiler),
# ORMT_KEEP=1 (keep the temp dir even on success), ORMT_PG_PREFIX (use the
# PostgreSQL installed under that prefix, e.g. the assertion build from
# test/cassert-build, instead of Debian's /usr/lib/postgresql/$PG_MAJOR).
# Every exported ORMT_* variable is passed on to the staged copy.

set -euo pipefail

PG_MAJOR=${PG_MAJOR:-15}
ORMT_SYS_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
ORMT_BASE_PACKAGES=(make gcc libc6-dev perl "postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR")

ormt_say() { printf '==> %s\n' "$*" >&2; }
ormt_die() { printf 'orm_triggers: %s\n' "$*" >&2; exit 1; }

ormt_have_package() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# ormt_require_packages PKG...: the base packages plus PKG...
ormt_require_packages() {
    local missing=() pkg
    command -v dpkg-query >/dev/null ||
        ormt_die "this script installs its dependencies with Debian's apt-get; on another system install PostgreSQL $PG_MAJOR with its server headers, make, gcc, perl and IPC::Run, then run it again"
    for pkg in "${ORMT_BASE_PACKAGES[@]}" "$@"; do
        ormt_have_package "$pkg" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        ormt_die "missing Debian packages: ${missing[*]}
    install them with:  sudo apt-get install ${missing[*]}
    then run this command again"
    fi
    ormt_say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# ormt_stage SCRIPT ARGS...: sets ORMT_WORK and ORMT_SRC (the copy).
# As root this does not return: it re-runs SCRIPT from the copy as postgres.
ormt_stage() {
    local script=$1 src rel
    shift
    if [ -n "${ORMT_STAGED:-}" ]; then
        ORMT_SRC=$ORMT_WORK/src
        return 0
    fi
    # scripts live one level down (test/, bench/): the tree is their parent
    script=$(cd "$(dirname "$script")" && pwd)/$(basename "$script")
    src=$(dirname "$(dirname "$script")")
    rel=${script#"$src"/}
    ORMT_WORK=$(mktemp -d "${TMPDIR:-/tmp}/orm_triggers.XXXXXX")
    ORMT_SRC=$ORMT_WORK/src
    mkdir "$ORMT_SRC"
    if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        (cd "$src" && git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$ORMT_SRC"
    else
        (cd "$src" && tar --exclude='*.o' --exclude='*.so' -cf - .) | tar -xf - -C "$ORMT_SRC"
    fi
    if [ "$(id -u)" -eq 0 ]; then
        chown -R postgres: "$ORMT_WORK"
        chmod 700 "$ORMT_WORK"
        ormt_say "running as the postgres OS user in $ORMT_WORK (the server refuses to run as root)"
        local passenv=() v
        for v in $(compgen -e ORMT_); do
            case $v in ORMT_STAGED|ORMT_WORK|ORMT_SRC) ;; *) passenv+=("$v=${!v}") ;; esac
        done
        exec runuser -u postgres -- env ORMT_STAGED=1 ORMT_WORK="$ORMT_WORK" \
            HOME="$ORMT_WORK" PATH="$PATH" PG_MAJOR="$PG_MAJOR" \
            ${PG_CFLAGS:+PG_CFLAGS="$PG_CFLAGS"} ${CI:+CI="$CI"} "${passenv[@]}" \
            ${TERM:+TERM="$TERM"} \
            bash "$ORMT_SRC/$rel" "$@"
    fi
    export ORMT_STAGED=1 ORMT_WORK
    trap ormt_cleanup EXIT
}

# A private PostgreSQL installation: binaries copied (so that they find their
# share and lib directories relative to themselves), everything else symbolic
# links into the system one.  make install then writes only inside it.
ormt_build_install() {
    local inst=$ORMT_WORK/inst libdir
    trap ormt_cleanup EXIT
    if [ -n "${ORMT_PG_PREFIX:-}" ]; then
        ormt_install_from_prefix "$ORMT_PG_PREFIX"
        return
    fi
    mkdir -p "$inst/usr/lib/postgresql/$PG_MAJOR" "$inst/usr/share/postgresql"
    cp -a "$ORMT_SYS_BIN" "$inst/usr/lib/postgresql/$PG_MAJOR/bin"
    cp -as "/usr/lib/postgresql/$PG_MAJOR/lib" "$inst/usr/lib/postgresql/$PG_MAJOR/lib"
    cp -as "/usr/share/postgresql/$PG_MAJOR" "$inst/usr/share/postgresql/$PG_MAJOR"
    ln -s /usr/include "$inst/usr/include"
    ln -s /usr/share/locale "$inst/usr/share/locale"
    libdir=$("$ORMT_SYS_BIN/pg_config" --libdir)
    mkdir -p "$(dirname "$inst$libdir")"
    ln -s "$libdir" "$inst$libdir"
    rm -f "$inst/usr/lib/postgresql/$PG_MAJOR/lib/orm_triggers.so" \
        "$inst/usr/share/postgresql/$PG_MAJOR/extension/orm_triggers"*

    ORMT_BIN=$inst/usr/lib/postgresql/$PG_MAJOR/bin
    ormt_make_install
}

# The same private copy of a PostgreSQL built with --prefix (test/cassert-build):
# bin copied, lib, share and include as trees of symbolic links.
ormt_install_from_prefix() {
    local prefix=$1 inst=$ORMT_WORK/inst d
    [ -x "$prefix/bin/pg_config" ] || ormt_die "ORMT_PG_PREFIX=$prefix has no bin/pg_config (run test/cassert-build)"
    mkdir -p "$inst"
    cp -a "$prefix/bin" "$inst/bin"
    for d in lib share include; do
        [ -d "$prefix/$d" ] && cp -as "$prefix/$d" "$inst/$d"
    done
    ORMT_BIN=$inst/bin
    rm -f "$("$ORMT_BIN/pg_config" --pkglibdir)/orm_triggers.so" \
        "$("$ORMT_BIN/pg_config" --sharedir)/extension/orm_triggers"*
    ormt_say "using the PostgreSQL in $prefix ($("$ORMT_BIN/pg_config" --version))"
    ormt_make_install
}

# build the extension with $ORMT_BIN/pg_config and install it there
ormt_make_install() {
    export PG_CONFIG=$ORMT_BIN/pg_config
    export PATH=$ORMT_BIN:$PATH
    ormt_say "building orm_triggers${PG_CFLAGS:+ with PG_CFLAGS=$PG_CFLAGS}"
    make -s -C "$ORMT_SRC" PG_CONFIG="$PG_CONFIG" >"$ORMT_WORK/build.log" 2>&1 ||
        { cat "$ORMT_WORK/build.log" >&2; ormt_die "build failed"; }
    grep -E 'warning|error' "$ORMT_WORK/build.log" >&2 || true
    make -s -C "$ORMT_SRC" PG_CONFIG="$PG_CONFIG" install >>"$ORMT_WORK/build.log" 2>&1 ||
        { cat "$ORMT_WORK/build.log" >&2; ormt_die "install failed"; }
}

# ormt_start_cluster [postgresql.conf lines...]
ormt_start_cluster() {
    export PGDATA=$ORMT_WORK/data PGHOST=$ORMT_WORK/sock PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
    mkdir -p "$PGHOST"
    ormt_say "starting a throwaway cluster (socket $PGHOST)"
    initdb -D "$PGDATA" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$ORMT_WORK/initdb.log" 2>&1 ||
        { cat "$ORMT_WORK/initdb.log" >&2; ormt_die "initdb failed"; }
    {
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$PGHOST'"
        echo "port = $PGPORT"
        echo "fsync = off"
        echo "lc_messages = 'C'"
        echo "max_prepared_transactions = 10"
        echo "log_min_messages = warning"
        echo "log_line_prefix = '%m [%p] '"
        local line
        for line in "$@"; do echo "$line"; done
    } >>"$PGDATA/postgresql.conf"
    local timeout=60
    if [ -n "${ORMT_VALGRIND:-}" ]; then
        ormt_valgrind_wrap
        timeout=300
    fi
    pg_ctl -D "$PGDATA" -l "$ORMT_WORK/postgres.log" -w -t "$timeout" start >/dev/null ||
        { cat "$ORMT_WORK/postgres.log" >&2; ormt_die "the server did not start"; }
}

# ORMT_VALGRIND=1: after initdb (which runs without it), the server binary of
# the private installation becomes a wrapper that runs it under valgrind
# with PostgreSQL's suppressions (the assertion build installs them, and is
# built with USE_VALGRIND so memory contexts tell valgrind about pfree'd and
# unallocated chunks).  One log per process in $ORMT_WORK/valgrind/.
ormt_valgrind_wrap() {
    local supp=${ORMT_PG_PREFIX:-}/valgrind.supp
    [ -f "$supp" ] || ormt_die "no $supp: --valgrind needs the assertion build (test/cassert-build)"
    command -v valgrind >/dev/null || ormt_die "valgrind is not installed"
    mkdir -p "$ORMT_WORK/valgrind"
    mv "$ORMT_BIN/postgres" "$ORMT_BIN/postgres.real"
    cat >"$ORMT_BIN/postgres" <<EOF
#!/bin/sh
exec valgrind --quiet --trace-children=no --track-origins=yes --read-var-info=no \\
    --leak-check=no --num-callers=40 --gen-suppressions=all \\
    --error-markers=VALGRINDERROR-BEGIN,VALGRINDERROR-END \\
    --suppressions="$supp" --log-file="$ORMT_WORK/valgrind/%p.log" \\
    "$ORMT_BIN/postgres.real" "\$@"
EOF
    chmod 755 "$ORMT_BIN/postgres"
    ormt_say "the server runs under valgrind (logs in $ORMT_WORK/valgrind)"
}

# ormt_valgrind_report: print every valgrind error; fails if there is one
ormt_valgrind_report() {
    local logs errors ours
    logs=$(grep -l VALGRINDERROR-BEGIN "$ORMT_WORK"/valgrind/*.log 2>/dev/null || true)
    errors=$(cat "$ORMT_WORK"/valgrind/*.log 2>/dev/null | grep -c VALGRINDERROR-BEGIN || true)
    ours=$(cat "$ORMT_WORK"/valgrind/*.log 2>/dev/null |
        awk '/VALGRINDERROR-BEGIN/ {b=""; inb=1} inb {b=b $0 "\n"} /VALGRINDERROR-END/ {inb=0; if (b ~ /orm_triggers|ormt_/) n++} END {print n+0}')
    echo "valgrind: $(ls "$ORMT_WORK"/valgrind/*.log 2>/dev/null | wc -l) process logs, $errors errors, $ours in orm_triggers code"
    [ -z "$logs" ] || { for l in $logs; do echo "---- $l"; sed -n '/VALGRINDERROR-BEGIN/,/VALGRINDERROR-END/p' "$l"; done; }
    [ "$errors" -eq 0 ]
}

ormt_cleanup() {
    local rc=$?
    set +e
    if [ -n "${PGDATA:-}" ] && [ -f "$PGDATA/postmaster.pid" ]; then
        pg_ctl -D "$PGDATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
            pg_ctl -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1
    fi
    if [ -n "${ORMT_WORK:-}" ] && [ -d "$ORMT_WORK" ]; then
        if [ "$rc" -eq 0 ] && [ -z "${ORMT_KEEP:-}" ]; then
            rm -rf "$ORMT_WORK"
        else
            printf '==> kept %s (build.log, postgres.log, src/regression.diffs)\n' "$ORMT_WORK" >&2
        fi
    fi
    exit "$rc"
}
