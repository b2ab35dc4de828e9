# 010_memory.pl: a million rows through every row-level trigger in one
# session; the backend's memory must not grow with the number of rows.
#
# Two measurements, from pg_backend_memory_contexts (sum of total_bytes):
#  - inside one statement: probe triggers, a BEFORE and an AFTER ROW one,
#    each fired after all the others of its kind, sample the backend's
#    memory every $step rows of a 1M-row INSERT, UPDATE and no-op UPDATE
#    (the AFTER probe while the queued AFTER events fire, at the end of the
#    statement); the growth from $step to 1M rows must be
#    within $slack of the growth of the same statement on a table without
#    the triggers (a per-row leak into the executor's or the trigger cache's
#    context shows here; 1M rows x 8 bytes would be 8 MB);
#  - across statements: ten 100k-row UPDATEs; the growth from the first to
#    the tenth, the same way (leaks into long-lived contexts).
#
# To cover a new trigger function, add an entry to @triggers: the columns it
# needs, what must exist before it (before: SQL), its events and the function call (BEFORE or AFTER, ROW, or a
# statement form with its REFERENCING clause in level).  A 1M-row DELETE
# follows the UPDATEs: soft_delete turns each row's delete into an UPDATE
# (c has a PL/pgSQL twin doing the same UPDATE, so PostgreSQL's own cost of
# a nested statement per row cancels out).  The queue
# of AFTER events grows with the rows by design; the control table has the
# same AFTER probe, so that growth cancels out and only the triggers' own
# growth counts.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $rows  = $ENV{ORMT_MEMORY_ROWS} // 1_000_000;
my $step  = $rows / 10;
my $slack = 256 * 1024;

my @triggers = (
	{
		name    => 'update_last_modified',
		columns => 'updated_at timestamptz, updated_on date, updated_ts timestamp(3)',
		events  => 'BEFORE INSERT OR UPDATE',
		function => q{orm_triggers.update_last_modified('updated_at', 'updated_on', 'updated_ts', 'ignore=note')},
	},
	{
		name    => 'update_last_modified always',
		columns => 'touched_at timestamptz',
		events  => 'BEFORE UPDATE',
		function => q{orm_triggers.update_last_modified('touched_at', 'always=true')},
	},
	{
		name    => 'set_created_at',
		columns => 'created_at timestamptz',
		events  => 'BEFORE INSERT OR UPDATE',
		function => q{orm_triggers.set_created_at('created_at')},
	},
	{
		name    => 'protect_columns mode=error',
		columns => 'code text',
		events  => 'BEFORE UPDATE',
		function => q{orm_triggers.protect_columns('code')},
	},
	{
		name    => 'protect_columns mode=keep',
		columns => 'frozen text',
		events  => 'BEFORE UPDATE',
		function => q{orm_triggers.protect_columns('frozen', 'mode=keep')},
	},
	{
		name    => 'set_actor text',
		columns => 'updated_by text',
		events  => 'BEFORE INSERT OR UPDATE',
		function => q{orm_triggers.set_actor('updated_by')},
	},
	{
		name    => 'set_actor int8 on=insert',
		columns => 'created_by bigint',
		events  => 'BEFORE INSERT OR UPDATE',
		function => q{orm_triggers.set_actor('created_by', 'on=insert')},
	},
	{
		name    => 'increment_version',
		columns => 'version int',
		events  => 'BEFORE INSERT OR UPDATE',
		function => q{orm_triggers.increment_version('version')},
	},
	{
		# only the delete phase: every DELETE becomes an UPDATE
		name    => 'soft_delete',
		columns => 'deleted_at timestamptz',
		events  => 'BEFORE DELETE',
		function => q{orm_triggers.soft_delete('deleted_at')},
	},
	{
		name    => 'audit row',
		events  => 'AFTER INSERT OR UPDATE OR DELETE',
		function => q{orm_triggers.audit('exclude=note')},
	},
	{
		name    => 'audit statement insert',
		events  => 'AFTER INSERT',
		level   => 'REFERENCING NEW TABLE AS n FOR EACH STATEMENT',
		function => q{orm_triggers.audit('full=true')},
	},
	{
		name    => 'audit statement update',
		events  => 'AFTER UPDATE',
		level   => 'REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH STATEMENT',
		function => q{orm_triggers.audit()},
	},
	{
		# a million children over a thousand parents of table mp (made
		# before the trigger): deltas merged in the statement's batch
		name    => 'counter_cache row',
		before  => 'CREATE TABLE mp (id bigint PRIMARY KEY, cnt bigint NOT NULL DEFAULT 0, '
		  . 'amount_sum numeric NOT NULL DEFAULT 0, touched_at timestamptz); '
		  . 'INSERT INTO mp (id) SELECT g FROM generate_series(1, 1000) g;',
		columns => 'grp bigint GENERATED ALWAYS AS (id % 1000 + 1) STORED, amount numeric DEFAULT 1.5',
		events  => 'AFTER INSERT OR UPDATE OR DELETE',
		function => q{orm_triggers.counter_cache('grp', 'parent=mp', 'counter=cnt')},
	},
	{
		name    => 'counter_cache statement delta',
		events  => 'AFTER INSERT',
		level   => 'REFERENCING NEW TABLE AS n FOR EACH STATEMENT',
		function => q{orm_triggers.counter_cache('grp', 'parent=mp', 'counter=amount_sum', 'delta=amount')},
	},
	{
		name    => 'touch_parent row',
		events  => 'AFTER INSERT OR UPDATE OR DELETE',
		function => q{orm_triggers.touch_parent('grp', 'parent=mp', 'column=touched_at')},
	},
	{
		name    => 'notify_change row',
		events  => 'AFTER INSERT OR UPDATE OR DELETE',
		function => q{orm_triggers.notify_change('columns=code')},
	},
	{
		# history written without the executor; an index on it
		name    => 'versioning',
		columns => 'sys_period tstzrange',
		events  => 'BEFORE INSERT OR UPDATE OR DELETE',
		function => q{orm_triggers.versioning('sys_period', 'm_history')},
		before  => q{CREATE TABLE m_history (LIKE m); CREATE INDEX ON m_history (id);},
	},
	{
		name    => 'notify_change statement',
		events  => 'AFTER UPDATE',
		level   => 'REFERENCING NEW TABLE AS n FOR EACH STATEMENT',
		function => q{orm_triggers.notify_change('channel=bulk')},
	},
);

my $node = PostgreSQL::Test::Cluster->new('memory');
$node->init;
$node->append_conf('postgresql.conf', "autovacuum = off\nfsync = off\nsynchronous_commit = off\nmax_wal_size = '4GB'\n");
$node->start;

my $columns = join(",\n  ", map { $_->{columns} // () } @triggers);
my $i       = 0;
my $create  = join("\n",
	map { ($_->{before} // '') . sprintf('CREATE TRIGGER t%02d_%s %s ON m %s EXECUTE FUNCTION %s;',
			$i++, ($_->{name} =~ s/\W+/_/gr), $_->{events}, $_->{level} // 'FOR EACH ROW', $_->{function}) } @triggers);
# the statement forms keep transition tables (tuplestores, up to work_mem
# in memory): the control table gets the same ones, on a trigger that does
# nothing, so that only the orm_triggers code's own memory counts
# The same goes for the queue of AFTER events (one entry per row and
# AFTER trigger): every AFTER trigger of m has a twin on c that does nothing.
my $j       = 0;
my $control = join("\n",
	map { sprintf('CREATE TRIGGER t%02d_twin %s ON c %s EXECUTE FUNCTION nothing();', $j++, $_->{events}, $_->{level} // 'FOR EACH ROW') }
	grep { $_->{events} =~ /^AFTER/ } @triggers);

# Everything in one psql session (one backend).  Table m has the triggers,
# table c the same columns and none: PostgreSQL's own executor memory grows
# a little with the rows of an UPDATE (about 40 bytes a row for this table,
# with or without any trigger), so what is asserted is m's growth beyond c's.
# The probes are named to fire last; they sample every $step rows into an
# unlogged table (a temp table would grow local buffers).
my $sql = <<"SQL";
\\set ON_ERROR_STOP 1
CREATE EXTENSION orm_triggers;
CREATE TABLE m (
  id bigint PRIMARY KEY,
  payload text,
  note text,
  $columns
);
CREATE TABLE c (LIKE m INCLUDING ALL);
$create
CREATE FUNCTION nothing() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RETURN NULL; END \$\$;
$control
-- c's twin of soft_delete: the same one-row UPDATE per deleted row, so that
-- PostgreSQL's own cost of a nested UPDATE per row cancels out
CREATE FUNCTION soft_twin() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
  UPDATE c SET deleted_at = now() WHERE ctid = OLD.ctid;
  RETURN NULL;
END \$\$;
CREATE TRIGGER t_soft_twin BEFORE DELETE ON c FOR EACH ROW EXECUTE FUNCTION soft_twin();
CREATE UNLOGGED TABLE mem (phase text, nrows bigint, context text, bytes bigint);
CREATE SEQUENCE probe_before;
CREATE SEQUENCE probe_after;
-- probe(sequence, phase suffix)
CREATE FUNCTION probe() RETURNS trigger LANGUAGE plpgsql AS \$\$
DECLARE n bigint := nextval(TG_ARGV[0]::regclass);
BEGIN
  IF n % $step = 0 THEN
    INSERT INTO mem SELECT current_setting('ormt.phase') || TG_ARGV[1] || '/' || TG_TABLE_NAME, n, name, sum(total_bytes)
      FROM pg_backend_memory_contexts GROUP BY name;
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END \$\$;
CREATE SEQUENCE probe_delete;
CREATE TRIGGER zz_probe BEFORE INSERT OR UPDATE ON m FOR EACH ROW EXECUTE FUNCTION probe('probe_before', '');
CREATE TRIGGER zz_probe BEFORE INSERT OR UPDATE ON c FOR EACH ROW EXECUTE FUNCTION probe('probe_before', '');
CREATE TRIGGER zz_probe_after AFTER INSERT OR UPDATE ON m FOR EACH ROW EXECUTE FUNCTION probe('probe_after', '-after');
CREATE TRIGGER zz_probe_after AFTER INSERT OR UPDATE ON c FOR EACH ROW EXECUTE FUNCTION probe('probe_after', '-after');
SQL
for my $t ('c', 'm')
{
	$sql .= <<"SQL";
-- $t: one $rows-row INSERT, one UPDATE that changes every row, one no-op UPDATE
SET orm_triggers.actor = '42';
SELECT setval('probe_before', 1, false), setval('probe_after', 1, false) \\g /dev/null
SET ormt.phase = 'insert';
INSERT INTO $t (id, payload, code, frozen) SELECT g, 'p' || g, 'c' || g, 'f' || g FROM generate_series(1, $rows) g;
SELECT setval('probe_before', 1, false), setval('probe_after', 1, false) \\g /dev/null
SET ormt.phase = 'update';
UPDATE $t SET payload = payload || 'x', frozen = 'changed', note = 'n';
SELECT setval('probe_before', 1, false), setval('probe_after', 1, false) \\g /dev/null
SET ormt.phase = 'noop';
RESET orm_triggers.actor;
UPDATE $t SET payload = payload;
DROP TRIGGER zz_probe ON $t;
DROP TRIGGER zz_probe_after ON $t;
SQL
	# across statements: ten UPDATEs of $step rows each
	for my $k (1 .. 10)
	{
		my $lo = ($k - 1) * $step + 1;
		my $hi = $k * $step;
		$sql .= $k % 2 ? "SET orm_triggers.actor = '$k';\n" : "RESET orm_triggers.actor;\n";
		$sql .= "UPDATE $t SET payload = 'q$k' WHERE id BETWEEN $lo AND $hi;\n";
		$sql .= "INSERT INTO mem SELECT 'stmt/$t', $k, name, sum(total_bytes) FROM pg_backend_memory_contexts GROUP BY name;\n";
	}
}
# a $rows-row DELETE: soft_delete turns each row's delete into an UPDATE of
# m (whose UPDATE triggers, audit and notify_change included, fire inside
# it); c's rows are really deleted.  The probe fires first, before soft_delete
# cancels the delete.
for my $t ('c', 'm')
{
	$sql .= <<"SQL";
CREATE TRIGGER aa_probe_delete BEFORE DELETE ON $t FOR EACH ROW EXECUTE FUNCTION probe('probe_delete', '');
SELECT setval('probe_delete', 1, false) \\g /dev/null
SET ormt.phase = 'delete';
SET orm_triggers.actor = '9';
DELETE FROM $t;
DROP TRIGGER aa_probe_delete ON $t;
SQL
}
$sql .= "SELECT phase, nrows, context, bytes FROM mem ORDER BY phase, nrows;\n";

my $t0 = time;
my ($ret, $out, $err) = $node->psql('postgres', $sql, timeout => 3600);
is($ret, 0, "workload ran in one session") or diag($err);
note(sprintf('%d rows through %d triggers in %d s', $rows, scalar(@triggers), time - $t0));

# $mem{phase}{rows} = total bytes; $ctx{phase}{rows}{context} = bytes.
# Inside a statement, PostgreSQL keeps every distinct pending NOTIFY until
# commit, by design: in TopTransactionContext (the list of notifications,
# which orm_triggers' C code never allocates in) and "Pending Notifies" (its
# hash for merging duplicates).  Those two are left out of the in-statement
# sums and reported; the across-statement samples (each UPDATE commits)
# count every context.
my %by_design = ('TopTransactionContext' => 1, 'Pending Notifies' => 1);
my (%mem, %ctx);
for my $line (split /\n/, $out)
{
	my ($phase, $n, $context, $bytes) = split /\|/, $line;
	next unless defined $bytes && $bytes =~ /^\d+$/;
	$mem{$phase}{$n} += $bytes unless $phase ne 'stmt' && $by_design{$context};
	$ctx{$phase}{$n}{$context} += $bytes;
}

# the contexts that grew most between two samples, for the failure message
sub growth_report
{
	my ($phase, $from, $to) = @_;
	my ($before, $after) = ($ctx{$phase}{$from}, $ctx{$phase}{$to});
	my %names = map { $_ => 1 } keys %$before, keys %$after;
	my @grew = sort { $b->[1] <=> $a->[1] }
	  map { [ $_, ($after->{$_} // 0) - ($before->{$_} // 0) ] } keys %names;
	return join("\n", map { sprintf('  %-40s %+d', @$_) } grep { $_->[1] } @grew[ 0 .. ($#grew < 9 ? $#grew : 9) ]);
}

# growth of table m's samples beyond table c's, between two sample points
sub check_growth
{
	my ($phase, $from, $to, $what) = @_;
	my ($m0, $m1, $c0, $c1) =
	  ($mem{"$phase/m"}{$from}, $mem{"$phase/m"}{$to}, $mem{"$phase/c"}{$from}, $mem{"$phase/c"}{$to});
	ok(defined $m0 && defined $m1 && defined $c0 && defined $c1, "$phase: memory sampled at $from and $to")
	  or return;
	my $growth = ($m1 - $m0) - ($c1 - $c0);
	note("$phase: with triggers $m0 -> $m1 bytes, without $c0 -> $c1");
	if ($phase ne 'stmt')
	{
		my $bd = sub { my ($p, $n) = @_; my $x = 0; $x += $ctx{$p}{$n}{$_} // 0 for keys %by_design; $x };
		my $extra = ($bd->("$phase/m", $to) - $bd->("$phase/m", $from)) - ($bd->("$phase/c", $to) - $bd->("$phase/c", $from));
		note(sprintf('%s: TopTransactionContext and Pending Notifies (left out; pending NOTIFYs in the AFTER phases): %+d bytes, %.1f a row',
				$phase, $extra, $extra / ($to - $from)));
	}
	cmp_ok($growth, '<=', $slack, "$phase: $what (grew $growth bytes more than without triggers)")
	  or diag("contexts that grew with triggers:\n" . growth_report("$phase/m", $from, $to)
		  . "\nwithout:\n" . growth_report("$phase/c", $from, $to));
}

check_growth($_, $step, $rows, "backend memory at $rows rows within $slack bytes of $step rows")
  for qw(insert update noop insert-after update-after noop-after delete);
check_growth('stmt', 1, 10, "backend memory after 10 UPDATEs within $slack bytes of after 1");

# the triggers really ran: every row has its stamps, the no-op kept them
is($node->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE updated_at IS NULL OR created_at IS NULL OR updated_on IS NULL
	                           OR updated_ts IS NULL OR touched_at IS NULL OR created_by <> 42
	                           OR frozen = 'changed' OR updated_by IS NULL
	                           OR deleted_at IS NULL OR version <> 5)
	FROM m}), '0', 'every row carries its stamps, its version and its soft-delete mark');
# row form: 5 entries a row (INSERT, UPDATE, the no-op UPDATE that bumps the
# version, one of the ten UPDATEs, the soft delete's UPDATE); statement
# form: the same less the DELETE's, the INSERT logged whole
is($node->safe_psql('postgres', q{SELECT string_agg(op || ':' || n, ' ' ORDER BY op) FROM (SELECT op, count(*) AS n FROM orm_triggers.audit_log GROUP BY op) s}),
	'INSERT:' . (2 * $rows) . ' UPDATE:' . (8 * $rows), 'the audit log holds every entry');
is($node->safe_psql('postgres', 'SELECT count(*) FROM c WHERE deleted_at IS NULL'), '0', 'the control table\'s twin marked its rows too');
# counter_cache and touch_parent: every parent counts its (soft-deleted) rows
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM mp WHERE touched_at IS NULL
	    OR cnt <> (SELECT count(*) FROM m WHERE grp = mp.id)
	    OR amount_sum <> (SELECT sum(amount) FROM m WHERE grp = mp.id)}),
	'0', 'every parent counts and sums its rows, and was touched');


$node->stop;
done_testing();
