# 050_fuzz.pl: random tables, random triggers, random DML, checked
# invariants.  Deterministic for a seed; test/fuzz runs it longer.
#
#   ORMT_FUZZ_SEED    (default 1)   the random seed; printed on failure
#   ORMT_FUZZ_ROUNDS  (default 12)  tables to generate
#   ORMT_FUZZ_STMTS   (default 12)  DML statements per table
#
# Each round creates a table with random payload columns (integers, text,
# varchar, numeric, bool, jsonb, arrays, a domain, a composite type, bytea,
# out-of-line TOASTed text), dropped columns, columns added with a default
# after rows exist, sometimes range partitions (one created apart with
# another column order and a dropped column, then attached), and a random
# subset of the features in @FEATURES attached.  Then, as an unprivileged
# role, random multi-row INSERT / UPDATE / no-op UPDATE / stamp-tampering
# UPDATE / partition-moving UPDATE / INSERT ON CONFLICT / DELETE statements,
# each in its own transaction with a random orm_triggers.actor (or none).
# After each statement, inside its transaction, every row is compared with
# a model of what the triggers must have done, and untouched rows must be
# untouched.  At the end the server must be up with no crash in its log.
# Beyond the stamps: increment_version (INSERT gives 1, every UPDATE old+1;
# 'offer' statements write back the versions read or, the ORMs' own way,
# read + 1, sometimes guarded by WHERE version = read; or, for one row, a
# stale offer (older, newer by two or more, NULL), which must fail with
# 40001 and change nothing), soft_delete (a DELETE
# marks live rows, leaves deleted ones alone, really deletes under
# orm_triggers.hard_delete) and audit (inside each statement's transaction,
# row_as_of(tbl, key, now()) for every row equals the row's columns, and is
# NULL for every logged key that no longer exists).
#
# versioning: replaying the history table plus the current row gives every
# version: each statement's transaction closes exactly one history row for
# every row it changed (no-op UPDATEs aside, unless always=true) or deleted,
# holding the row's values from before the statement; versions of a row
# follow each other without gap or overlap; the current version of every
# changed or inserted row starts at now().
#
# Adding a feature: a new entry in @FEATURES with the columns it needs,
# its CREATE TRIGGER, and a check called after each statement with the
# rows before and after (and the statement's kind and targets); a check may
# also query the database (audit replay equals the table, counters equal
# counts, ...).  The stamping triggers ignore each other's columns, so the
# order they fire in (alphabetical by name) does not change the outcome.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use List::Util qw(shuffle);

my $seed   = $ENV{ORMT_FUZZ_SEED}   // 1;
my $rounds = $ENV{ORMT_FUZZ_ROUNDS} // 12;
my $nstmts = $ENV{ORMT_FUZZ_STMTS}  // 12;
srand($seed);
note("fuzz seed $seed, $rounds rounds of $nstmts statements");

sub pick { return $_[ int(rand(@_)) ]; }
sub chance { return rand() < $_[0]; }
sub word { return join('', map { pick('a' .. 'z', '0' .. '9') } 1 .. (1 + int(rand(8)))); }

# payload column types: SQL type, literal generator
my @TYPES = (
	[ 'int',          sub { int(rand(1000)) - 500 } ],
	[ 'bigint',       sub { int(rand(1e12)) } ],
	[ 'text',         sub { "'" . word() . (chance(0.2) ? "''q" : '') . "'" } ],
	[ 'varchar(20)',  sub { "'" . word() . "'" } ],
	[ 'numeric',      sub { pick('1.0', '1.00', '-3.5', '12345678901234567890.5', "'NaN'") } ],
	[ 'boolean',      sub { pick('true', 'false') } ],
	[ 'jsonb',        sub { pick(q{'{"a": 1}'}, q{'{"a": [1, 2]}'}, q{'[]'}, q{'"s"'}, q{'{"b": null}'}) } ],
	[ 'int[]',        sub { pick(q{'{1,2,3}'}, q{'{}'}, q{'{NULL,1}'}, q{ARRAY[4,5]}) } ],
	[ 'text[]',       sub { "ARRAY['" . word() . "','" . word() . "']" } ],
	[ 'fz_posint',    sub { int(rand(100)) } ],
	[ 'fz_pair',      sub { "ROW(" . int(rand(9)) . ", '" . word() . "')::fz_pair" } ],
	[ 'bytea',        sub { "'\\x" . join('', map { pick(0 .. 9, 'a' .. 'f') } 1 .. 8) . "'::bytea" } ],
	[ 'toast',        sub { my $w = word(); "(SELECT string_agg(md5('$w' || g), '') FROM generate_series(1, 150) g)" } ],
	[ 'timestamptz',  sub { "'2020-01-0" . (1 + int(rand(9))) . " 10:00:00+00'" } ],
);

# stamp column types
my @STAMP_TYPES = ('timestamptz', 'timestamp', 'timestamp(0)', 'date', 'fz_ts');
my @ACTOR_TYPES = ('text', 'varchar(40)', 'name', 'bigint');

# The features: columns they add (name => type chooser), the trigger, and
# their per-statement check (returns a list of problems).  $ctx holds
# before/after rows by id, the statement kind, target ids, expected
# now()/actor per column and the table description.
my @FEATURES = (
	{
		name    => 'created_at',
		columns => sub { (created_at => pick(@STAMP_TYPES)) },
		trigger => sub { "a_created_at BEFORE INSERT OR UPDATE", "set_created_at('created_at')" },
		check   => \&check_created_at,
	},
	{
		name    => 'created_by',
		columns => sub { (created_by => pick(@ACTOR_TYPES)) },
		trigger => sub { "b_created_by BEFORE INSERT OR UPDATE", "set_actor('created_by', 'on=insert')" },
		check   => \&check_created_by,
	},
	{
		name    => 'updated_by',
		columns => sub { (updated_by => pick(@ACTOR_TYPES)) },
		trigger => sub { "c_updated_by BEFORE INSERT OR UPDATE", "set_actor('updated_by')" },
		check   => \&check_updated_by,
	},
	{
		name    => 'protect',
		columns => sub { (frozen => 'text') },
		trigger => sub { "d_protect BEFORE UPDATE", "protect_columns('frozen', 'mode=keep')" },
		check   => \&check_protect,
	},
	{
		name    => 'updated_at',
		columns => sub { (updated_at => pick(@STAMP_TYPES)) },
		trigger => sub {
			my ($t) = @_;
			my @opt;
			push @opt, "'always=true'" if $t->{always};
			push @opt, "'ignore=$t->{ignore}'" if $t->{ignore};
			("z_updated_at BEFORE INSERT OR UPDATE", join(', ', "'updated_at'", @opt) =~ s/^'updated_at'/update_last_modified('updated_at'/r . ')');
		},
		check => \&check_updated_at,
	},
	{
		name    => 'version',
		columns => sub { (version => pick('int', 'bigint', 'smallint')) },
		trigger => sub { "e_version BEFORE INSERT OR UPDATE", "increment_version('version')" },
		check   => \&check_version,
	},
	{
		# not named after its column: for update_last_modified a change of
		# deleted_on is a change like any other (and not *_at: the stamps
		# model treats those as update_last_modified/set_created_at columns)
		name    => 'soft_delete',
		columns => sub { (deleted_on => pick('timestamptz', 'boolean')) },
		trigger => sub { "f_soft_delete BEFORE DELETE", "soft_delete('deleted_on')" },
		check   => \&check_soft_delete,
	},
	{
		name    => 'audit',
		columns => sub { () },
		trigger => sub { "g_audit AFTER INSERT OR UPDATE OR DELETE", "audit()" },
		sql     => \&audit_sql,
		check   => \&check_audit,
	},
	{
		# counter_cache by part (the partition key, moved by 'move'), into
		# a parent table made first; row or statement form (the statement
		# form with a touch_parent row trigger beside it)
		name    => 'counter',
		columns => sub { () },
		pre_ddl => \&counter_pre_ddl,
		trigger => sub {
			my ($t) = @_;
			$t->{counter_statement}
			  ? ("h_touch AFTER INSERT OR UPDATE OR DELETE", "touch_parent('part', 'parent=$t->{name}_parts', 'column=touched_at')")
			  : ("h_counter AFTER INSERT OR UPDATE OR DELETE", "counter_cache('part', 'parent=$t->{name}_parts', 'counter=n')");
		},
		sql   => \&counter_sql,
		check => \&check_counter,
	},
	{
		# its period column and history table come before the trigger; the
		# period is not a stamp (the row models never see it)
		name    => 'versioning',
		columns => sub { () },
		pre_ddl => sub {
			my ($t) = @_;
			"ALTER TABLE $t->{name} ADD COLUMN sys_period tstzrange;\n"
			  . "SELECT orm_triggers.create_history_table('$t->{name}');\n";
		},
		trigger => sub {
			my ($t) = @_;
			$t->{vers_always} = chance(0.2);
			("h_versioning BEFORE INSERT OR UPDATE OR DELETE",
				"versioning('sys_period', '$t->{name}_history'" . ($t->{vers_always} ? ", 'always=true'" : '') . ')');
		},
		sql   => \&versioning_sql,
		check => \&check_versioning,
	},
);

my $node = PostgreSQL::Test::Cluster->new('fuzz');
$node->init;
$node->append_conf('postgresql.conf', "fsync = off\nlog_min_messages = warning\n");
$node->start;
$node->safe_psql('postgres', q{
	CREATE ROLE ormt_fuzz LOGIN;
	CREATE SCHEMA fz AUTHORIZATION ormt_fuzz;
	CREATE EXTENSION orm_triggers;
	SET search_path = fz;
	CREATE DOMAIN fz.fz_posint AS int CHECK (VALUE >= 0);
	CREATE DOMAIN fz.fz_ts AS timestamptz CHECK (VALUE > '2000-01-01');
	CREATE TYPE fz.fz_pair AS (a int, b text);
	ALTER DOMAIN fz.fz_posint OWNER TO ormt_fuzz;
	ALTER DOMAIN fz.fz_ts OWNER TO ormt_fuzz;
	ALTER TYPE fz.fz_pair OWNER TO ormt_fuzz;
	ALTER ROLE ormt_fuzz SET search_path = fz, public;
	-- row_as_of (SECURITY INVOKER) reads the log: the audit check needs it
	GRANT SELECT ON orm_triggers.audit_log TO ormt_fuzz;
});

sub fsql
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', $sql, extra_params => [ '-U', 'ormt_fuzz', '-v', 'ON_ERROR_STOP=1' ]);
	return ($ret, $out, $err);
}

my $problems = 0;
my $checked  = 0;
my %stats;    # what the run exercised, printed at the end
for my $round (1 .. $rounds)
{
	my $t = make_table($round);
	my ($ret, $out, $err) = fsql($t->{ddl});
	if ($ret != 0)
	{
		fail("round $round: table DDL failed (seed $seed)");
		diag("$err\n$t->{ddl}");
		$problems++;
		next;
	}
	for my $s (1 .. $nstmts)
	{
		my $p = run_statement($t, $round, $s);
		$checked++;
		if (@$p)
		{
			$problems++;
			fail("round $round statement $s (seed $seed)");
			diag(join("\n", @$p));
			last;
		}
	}
	# an ALTER after the fact: the trigger caches must follow
	if (chance(0.5) && @{ $t->{junk_late} })
	{
		my $j = shift @{ $t->{junk_late} };
		fsql("ALTER TABLE $t->{name} DROP COLUMN $j");
		my $p = run_statement($t, $round, 'after-drop');
		if (@$p) { $problems++; fail("round $round after DROP COLUMN (seed $seed)"); diag(join("\n", @$p)); }
	}
}
note('exercised: ' . join(', ', map { "$_ $stats{$_}" } sort keys %stats));
is($problems, 0, "fuzz: $checked statements over $rounds tables, every invariant held (seed $seed)");
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is up');
my $log = slurp_file($node->logfile);
unlike($log, qr/TRAP:|terminated by signal|was terminated by|PANIC/, 'no crash or assertion failure in the server log');
$node->stop;
done_testing();

# ---------------------------------------------------------------------------

sub make_table
{
	my ($round) = @_;
	my $name = "fz_t$round";
	my %t = (name => $name, payload => [], stamps => {}, features => [], junk_late => []);
	my @cols;
	my $npay = 2 + int(rand(5));
	for my $i (1 .. $npay)
	{
		my $ty = pick(@TYPES);
		push @{ $t{payload} }, [ "p$i", $ty ];
		push @cols, [ "p$i", $ty->[0] eq 'toast' ? 'text' : $ty->[0] ];
	}
	for my $f (@FEATURES)
	{
		next unless chance(0.7);
		push @{ $t{features} }, $f;
		my %c = $f->{columns}->();
		for my $c (sort keys %c) { push @cols, [ $c, $c{$c} ]; $t{stamps}{$c} = $c{$c}; }
	}
	@{ $t{features} } = ($FEATURES[4]) unless @{ $t{features} };
	if (!$t{stamps}{updated_at} && grep { $_->{name} eq 'updated_at' } @{ $t{features} })
	{
		push @cols, [ 'updated_at', 'timestamptz' ];
		$t{stamps}{updated_at} = 'timestamptz';
	}
	$t{always} = chance(0.2);
	$t{ignore} = chance(0.3) ? $t{payload}[0][0] : undef;
	# junk columns, dropped before or after the triggers exist
	my @junk = map { [ "junk$_", pick('int', 'text') ] } 1 .. int(rand(3));
	$t{junk_all} = [ map { $_->[0] } @junk ];
	@cols = shuffle(@cols, @junk);
	$t{partitioned} = chance(0.4);
	my $coldefs = join(",\n  ", 'id int NOT NULL', 'part int NOT NULL DEFAULT 1', map { "$_->[0] $_->[1]" } @cols);
	my $ddl = "CREATE TABLE $name (\n  $coldefs\n)" . ($t{partitioned} ? " PARTITION BY RANGE (part)" : '') . ";\n";
	if ($t{partitioned})
	{
		$ddl .= "CREATE TABLE ${name}_p1 PARTITION OF $name FOR VALUES FROM (0) TO (2);\n";
		# another column order, a dropped column, attached later
		my @rev = reverse('id int NOT NULL', 'part int NOT NULL DEFAULT 1', map { "$_->[0] $_->[1]" } @cols);
		$ddl .= "CREATE TABLE ${name}_p2 (gone int, " . join(', ', @rev) . ");\n";
		$ddl .= "ALTER TABLE ${name}_p2 DROP COLUMN gone;\n";
		$ddl .= "ALTER TABLE $name ATTACH PARTITION ${name}_p2 FOR VALUES FROM (2) TO (4);\n";
		$ddl .= "ALTER TABLE $name ADD PRIMARY KEY (id, part);\n";
	}
	else
	{
		$ddl .= "ALTER TABLE $name ADD PRIMARY KEY (id);\n";
	}
	for my $p (@{ $t{payload} })
	{
		$ddl .= "ALTER TABLE $name ALTER COLUMN $p->[0] SET STORAGE EXTERNAL;\n" if $p->[1][0] eq 'toast';
	}
	for my $j (@junk)
	{
		if (chance(0.5)) { $ddl .= "ALTER TABLE $name DROP COLUMN $j->[0];\n"; }
		else { push @{ $t{junk_late} }, $j->[0]; }
	}
	# rows before the triggers exist get no stamps: give them values
	for my $f (@{ $t{features} })
	{
		$ddl .= $f->{pre_ddl}->(\%t) if $f->{pre_ddl};
		my ($head, $call) = $f->{trigger}->(\%t);
		my ($tg, $events) = split / /, $head, 2;
		$ddl .= "CREATE TRIGGER $tg $events ON $name FOR EACH ROW EXECUTE FUNCTION orm_triggers.$call;\n";
	}
	# a column added with a default to a populated table
	$ddl .= "SET orm_triggers.actor = '7';\n" . insert_sql(\%t, 1, 5) . ";\nRESET orm_triggers.actor;\n";
	$ddl .= "ALTER TABLE $name ADD COLUMN late int DEFAULT 7;\n";
	push @{ $t{payload} }, [ 'late', [ 'int', $TYPES[0][1] ] ];
	$t{next_id} = 6;
	$t{ddl}     = $ddl;
	return \%t;
}

sub literal_for
{
	my ($p) = @_;
	return chance(0.1) ? 'NULL' : $p->[1][1]->();
}

sub insert_sql
{
	my ($t, $from, $to) = @_;
	my @pay = @{ $t->{payload} };
	my @given;    # stamps given explicitly in this statement
	for my $c (sort keys %{ $t->{stamps} })
	{
		push @given, $c if chance(0.15) && $c =~ /_at$/;
	}
	my @rows;
	for my $id ($from .. $to)
	{
		my $part = $t->{partitioned} ? 1 + int(rand(3)) : 1;
		push @rows, '(' . join(', ', $id, $part, (map { literal_for($_) } @pay),
			map { "'2011-11-11 11:11:11+00'" } @given) . ')';
	}
	$t->{last_given} = { map { $_ => 1 } @given };
	return "INSERT INTO $t->{name} (id, part, " . join(', ', (map { $_->[0] } @pay), @given) . ")\nVALUES " . join(",\n  ", @rows);
}

# the rows of the table: id => { col => text }
sub fetch_sql
{
	my ($t, $tag) = @_;
	my @sel = ("'$tag'", 'id', 'part');
	push @sel, 'coalesce(md5(' . $_->[0] . "::text), 'NULL')" for @{ $t->{payload} };
	push @sel, 'coalesce(' . $_ . "::text, 'NULL')" for sort keys %{ $t->{stamps} };
	return 'SELECT ' . join(', ', @sel) . " FROM $t->{name};\n";
}

sub parse_rows
{
	my ($t, $out, $tag) = @_;
	my %rows;
	my @names = ('part', (map { $_->[0] } @{ $t->{payload} }), sort keys %{ $t->{stamps} });
	for my $line (split /\n/, $out)
	{
		my @f = split /\|/, $line, -1;
		next unless @f && $f[0] eq $tag;
		my %r;
		@r{@names} = @f[ 2 .. $#f ];
		$rows{ $f[1] } = \%r;
	}
	return \%rows;
}

sub run_statement
{
	my ($t, $round, $s) = @_;
	my $name  = $t->{name};
	my @ids   = sort { $a <=> $b } keys %{ $t->{rows} // {} };
	my $actor = chance(0.3) ? undef : (chance(0.5) ? int(rand(1000)) : word());
	my ($kind, $sql, @targets);
	my @kinds = ('insert', 'update', 'noop', 'tamper', 'delete');
	push @kinds, 'upsert' unless $t->{partitioned};
	push @kinds, 'move' if $t->{partitioned};
	push @kinds, 'offer', 'offer' if exists $t->{stamps}{version};
	my ($stale, $hard) = (0, 0);
	$kind = @ids ? pick(@kinds) : 'insert';
	$kind = 'insert' if !defined $t->{rows};
	$t->{last_given} = {};
	if ($kind eq 'insert')
	{
		my $n = 1 + int(rand(6));
		$sql = insert_sql($t, $t->{next_id}, $t->{next_id} + $n - 1);
		@targets = ($t->{next_id} .. $t->{next_id} + $n - 1);
		$t->{next_id} += $n;
	}
	else
	{
		@targets = grep { chance(0.5) } @ids;
		@targets = ($ids[0]) unless @targets;
		my $where = 'id IN (' . join(', ', @targets) . ')';
		my @pay = @{ $t->{payload} };
		if ($kind eq 'update')
		{
			my @set = map { "$_->[0] = " . literal_for($_) } grep { chance(0.5) } @pay;
			@set = ("$pay[-1][0] = " . literal_for($pay[-1])) unless @set;
			$sql = "UPDATE $name SET " . join(', ', @set) . " WHERE $where";
		}
		elsif ($kind eq 'noop')
		{
			$sql = "UPDATE $name SET " . join(', ', map { "$_->[0] = $_->[0]" } @pay) . " WHERE $where";
		}
		elsif ($kind eq 'tamper')
		{
			# write the managed columns, sometimes with a real change too
			my @set;
			push @set, "$_ = NULL" for grep { $_ ne 'frozen' && $_ ne 'version' && chance(0.5) } sort keys %{ $t->{stamps} };
			push @set, "frozen = 'tampered'" if exists $t->{stamps}{frozen};
			push @set, "$pay[0][0] = " . literal_for($pay[0]) if chance(0.5);
			@set = ("id = id") unless @set;
			$sql = "UPDATE $name SET " . join(', ', @set) . " WHERE $where";
		}
		elsif ($kind eq 'move')
		{
			$sql = "UPDATE $name SET part = CASE WHEN part < 2 THEN 3 ELSE 1 END, $pay[0][0] = " . literal_for($pay[0]) . " WHERE $where";
		}
		elsif ($kind eq 'upsert')
		{
			my $new = $t->{next_id}++;
			my @vals = map { literal_for($_) } @pay;
			$sql = "INSERT INTO $name (id, part, " . join(', ', map { $_->[0] } @pay) . ") VALUES "
			  . join(', ', map { "($_, 1, " . join(', ', @vals) . ')' } ($targets[0], $new))
			  . " ON CONFLICT (id) DO UPDATE SET $pay[0][0] = EXCLUDED.$pay[0][0]";
			@targets = ($targets[0], $new);
		}
		elsif ($kind eq 'delete')
		{
			$sql = "DELETE FROM $name WHERE $where";
			$hard = exists $t->{stamps}{deleted_on} && chance(0.3);
		}
		elsif ($kind eq 'offer')
		{
			# the two optimistic-lock protocols, row by row: write back the
			# version read (or the column itself), or the ORM's own read + 1
			# (kept as written); sometimes guarded the ORM's way by WHERE
			# version = read.  Or (stale) one row offers anything but its
			# stored or stored + 1 version: older, newer by 2 or more, NULL.
			$stale = chance(0.4);
			my $old = $targets[ int(rand(@targets)) ];
			my (@case, @guard);
			for my $id (@targets)
			{
				my $v = $t->{rows}{$id}{version};
				my $n = $v eq 'NULL' ? 0 : $v;
				my $offer;
				if ($stale && $id == $old)
				{
					my $how = pick('older', 'newer', $v eq 'NULL' ? () : 'null');
					$offer = $how eq 'older' ? $n - 1 - int(rand(3))
					  : $how eq 'newer' ? $n + 2 + int(rand(3)) : 'NULL::int';
					$stats{"stale offers ($how)"}++;
				}
				else
				{
					my $how = pick('read', 'read + 1', 'column');
					$offer = $how eq 'read' ? ($v eq 'NULL' ? 'NULL::int' : $v) : $how eq 'read + 1' ? $n + 1 : 'version';
					$stats{"offers ($how)"}++;
				}
				push @case, "WHEN $id THEN $offer";
				push @guard, $v eq 'NULL' ? "WHEN $id THEN version IS NULL" : "WHEN $id THEN version = $v";
			}
			$where .= ' AND CASE id ' . join(' ', @guard) . ' END' if !$stale && chance(0.5);
			$sql = "UPDATE $name SET version = CASE id " . join(' ', @case) . " END, $pay[0][0] = " . literal_for($pay[0]) . " WHERE $where";
		}
	}

	# expected values of now() and the actor, per stamp column type
	my @now = map { my $ty = $t->{stamps}{$_}; $_ =~ /_at$/ ? "now()::${ty}::text" : "'-'" } sort keys %{ $t->{stamps} };
	my @act = map {
		my $ty = $t->{stamps}{$_};
		$_ =~ /_by$/ ? "coalesce(nullif(current_setting('orm_triggers.actor', true), ''), session_user)::${ty}::text" : "'-'"
	} sort keys %{ $t->{stamps} };
	my @given = map { "'2011-11-11 11:11:11+00'::" . $t->{stamps}{$_} . '::text' } grep { /_at$/ } sort keys %{ $t->{stamps} };
	# numeric actors for integer columns, any text otherwise
	if (defined $actor && grep { $t->{stamps}{$_} eq 'bigint' } keys %{ $t->{stamps} })
	{
		$actor = int(rand(1000));
	}
	elsif (!defined $actor && grep { $t->{stamps}{$_} eq 'bigint' } keys %{ $t->{stamps} })
	{
		$actor = int(rand(1000));    # the session user would not convert
	}
	my $script = ($stale ? "\\set VERBOSITY verbose\n" : '') . "BEGIN;\n"
	  . (defined $actor ? "SET LOCAL orm_triggers.actor = '$actor';\n" : '')
	  . ($hard ? "SET LOCAL orm_triggers.hard_delete = on;\n" : '')
	  . "$sql;\n"
	  . "SELECT '\@now', " . join(', ', @now, "'x'") . ";\n"
	  . "SELECT '\@act', " . join(', ', @act, "'x'") . ";\n"
	  . "SELECT '\@given', " . join(', ', @given, "'x'") . ";\n"
	  . "SELECT '\@nowtz', now()::text;\n"
	  . fetch_sql($t, '@row')
	  . join('', map { $_->{sql} ? $_->{sql}->($t) : () } @{ $t->{features} })
	  . "COMMIT;\n";
	# the first statement of a table also records the rows the DDL inserted
	if (!defined $t->{rows})
	{
		my ($r, $o, $e) = fsql(fetch_sql($t, '@row'));
		$t->{rows} = parse_rows($t, $o, '@row');
	}
	my ($ret, $out, $err) = fsql($script);
	$stats{$kind}++;
	$stats{'stale versions rejected'}++ if $stale && $ret != 0;
	$stats{'soft deletes'}++ if $kind eq 'delete' && exists $t->{stamps}{deleted_on} && !$hard;
	$stats{'hard deletes'}++ if $hard;
	if ($stale)
	{
		# increment_version: 40001 naming the stored and the offered version,
		# and nothing changed
		my @p;
		push @p, "stale version accepted", $sql if $ret == 0;
		push @p, "stale version: unexpected error: $err", $sql
		  if $ret != 0 && $err !~ /ERROR:  40001: row of table "\Q$name\E" was changed by another transaction/;
		my ($r, $o, $e) = fsql(fetch_sql($t, '@row'));
		my $now = parse_rows($t, $o, '@row');
		push @p, check_rows({ before => $t->{rows}, after => $now, targets => {}, kind => 'none' }), $ret ? () : $sql;
		$t->{rows} = $now;
		return \@p;
	}
	return [ "statement failed: $err", $sql ] if $ret != 0;

	my %expect;
	for my $line (split /\n/, $out)
	{
		my @f = split /\|/, $line, -1;
		next unless @f && $f[0] =~ /^\@(now|act|given)$/;
		my $what = $1;
		my @cols = sort keys %{ $t->{stamps} };
		@cols = grep { /_at$/ } @cols if $what eq 'given';
		@{ $expect{$what} }{@cols} = @f[ 1 .. $#cols + 1 ];
	}
	my $after = parse_rows($t, $out, '@row');
	my ($now_tz) = $out =~ /^\@nowtz\|(.*)$/m;
	my $ctx = {
		t       => $t,
		kind    => $kind,
		sql     => $sql,
		before  => $t->{rows},
		after   => $after,
		targets => { map { $_ => 1 } @targets },
		now     => $expect{now},
		actor   => $expect{act},
		given   => $expect{given},
		now_tz  => $now_tz,
		out     => $out,
		soft    => $kind eq 'delete' && exists $t->{stamps}{deleted_on} && !$hard,
	};
	my @p;
	push @p, check_rows($ctx);
	for my $f (@{ $t->{features} })
	{
		push @p, $f->{check}->($ctx) if $f->{check};
	}
	$t->{rows} = $after;
	push @p, "statement ($kind): $sql" if @p;
	return \@p;
}

# which rows exist, and untouched rows are untouched
sub check_rows
{
	my ($c) = @_;
	my @p;
	my ($b, $a) = ($c->{before}, $c->{after});
	for my $id (keys %$b)
	{
		next if $c->{targets}{$id};
		push @p, "row $id vanished" unless $a->{$id};
		next unless $a->{$id};
		for my $col (keys %{ $b->{$id} })
		{
			push @p, "untouched row $id: $col changed" if $b->{$id}{$col} ne $a->{$id}{$col};
		}
	}
	for my $id (keys %{ $c->{targets} })
	{
		if ($c->{kind} eq 'delete' && !$c->{soft}) { push @p, "row $id not deleted" if $a->{$id}; }
		else                                          { push @p, "row $id missing" unless $a->{$id}; }
	}
	return @p;
}

# was the row inserted by this statement?
sub inserted
{
	my ($c, $id) = @_;
	return $c->{targets}{$id} && !$c->{before}{$id} && $c->{after}{$id};
}

sub updated
{
	my ($c, $id) = @_;
	return 0 unless $c->{targets}{$id} && $c->{before}{$id} && $c->{after}{$id};
	# a soft delete of a live row is an UPDATE; of a deleted one, nothing
	return $c->{soft} && live($c->{before}{$id}) if $c->{kind} eq 'delete';
	return 1;
}

# soft_delete: live while deleted_on is NULL (boolean: NULL or false)
sub live
{
	my ($r) = @_;
	return $r->{deleted_on} eq 'NULL' || $r->{deleted_on} eq 'false';
}

sub check_insert_stamp
{
	my ($c, $col, $want_new) = @_;
	my @p;
	for my $id (keys %{ $c->{targets} })
	{
		next unless inserted($c, $id);
		my $v = $c->{after}{$id}{$col};
		my $w = $c->{t}{last_given}{$col} ? $c->{given}{$col} : $want_new;
		push @p, "inserted row $id: $col = $v, expected $w" if $v ne $w;
	}
	return @p;
}

# a column stamped on INSERT (as insert_stamp checks) and never changed by an UPDATE
sub check_set_once
{
	my ($c, $col, $want_new) = @_;
	my @p = check_insert_stamp($c, $col, $want_new);
	for my $id (grep { updated($c, $_) } keys %{ $c->{targets} })
	{
		push @p, "updated row $id: $col changed" if $c->{before}{$id}{$col} ne $c->{after}{$id}{$col};
	}
	return @p;
}

sub check_created_at { my ($c) = @_; return check_set_once($c, 'created_at', $c->{now}{created_at}); }
sub check_created_by { my ($c) = @_; return check_set_once($c, 'created_by', $c->{actor}{created_by}); }

sub check_updated_by
{
	my ($c) = @_;
	my @p = check_insert_stamp($c, 'updated_by', $c->{actor}{updated_by});
	for my $id (grep { updated($c, $_) } keys %{ $c->{targets} })
	{
		# set_actor writes the actor when the row changed, else keeps it
		my $want = row_changed($c, $id, undef) ? $c->{actor}{updated_by} : $c->{before}{$id}{updated_by};
		my $v = $c->{after}{$id}{updated_by};
		push @p, "updated row $id: updated_by = $v, expected $want" if $v ne $want;
	}
	return @p;
}

sub check_protect
{
	my ($c) = @_;
	my @p;
	for my $id (grep { updated($c, $_) } keys %{ $c->{targets} })
	{
		push @p, "updated row $id: protected column frozen changed" if $c->{before}{$id}{frozen} ne $c->{after}{$id}{frozen};
	}
	return @p;
}

# Did the UPDATE change row $id, as the stamping triggers decide it: a
# payload column (but $ignore) or the partition key changed, or a stamp
# column that has no trigger (then it is a plain column).  Columns the
# stamping triggers own never count, whatever order they fire in.
sub row_changed
{
	my ($c, $id, $ignore) = @_;
	my $t = $c->{t};
	my ($b, $a) = ($c->{before}{$id}, $c->{after}{$id});
	my @watch = ('part', grep { !defined $ignore || $_ ne $ignore } map { $_->[0] } @{ $t->{payload} });
	return 1 if grep { $b->{$_} ne $a->{$_} } @watch;
	for my $col (grep { $_ ne 'updated_at' } keys %{ $t->{stamps} })
	{
		next if grep { $_->{name} eq $col || ($col eq 'frozen' && $_->{name} eq 'protect') } @{ $t->{features} };
		return 1 if $b->{$col} ne $a->{$col};
	}
	return 0;
}

sub check_updated_at
{
	my ($c) = @_;
	my $t = $c->{t};
	my @p = check_insert_stamp($c, 'updated_at', $c->{now}{updated_at});
	for my $id (grep { updated($c, $_) } keys %{ $c->{targets} })
	{
		my ($b, $a) = ($c->{before}{$id}, $c->{after}{$id});
		my $changed = $t->{always} || row_changed($c, $id, $t->{ignore});
		my $want = $changed ? $c->{now}{updated_at} : $b->{updated_at};
		push @p, "updated row $id: updated_at = $a->{updated_at}, expected $want (" . ($changed ? 'changed' : 'unchanged') . ')'
		  if $a->{updated_at} ne $want;
	}
	return @p;
}

# increment_version: INSERT gives 1, every UPDATE (no-op, move, upsert, soft
# delete included, an offer of the version read or of the ORM's read + 1)
# stores old + 1
sub check_version
{
	my ($c) = @_;
	my @p;
	for my $id (keys %{ $c->{targets} })
	{
		next unless $c->{after}{$id};    # deleted (no autovivification)
		my $v = $c->{after}{$id}{version};
		if (inserted($c, $id))
		{
			push @p, "inserted row $id: version = $v, expected 1" if $v ne '1';
		}
		elsif (updated($c, $id))
		{
			my $old = $c->{before}{$id}{version};
			my $want = $old eq 'NULL' ? 1 : $old + 1;
			push @p, "updated row $id: version = $v, expected $want" if $v ne $want;
		}
	}
	return @p;
}

# soft_delete: a DELETE (without hard_delete) marks live rows with now() or
# true and leaves deleted rows exactly as they were
sub check_soft_delete
{
	my ($c) = @_;
	return () unless $c->{soft};
	my @p;
	my $mark = $c->{t}{stamps}{deleted_on} eq 'boolean' ? 'true' : undef;
	for my $id (keys %{ $c->{targets} })
	{
		my ($b, $a) = ($c->{before}{$id}, $c->{after}{$id});
		next unless $b && $a;
		if (live($b))
		{
			my $want = $mark // $c->{now_tz};
			push @p, "soft-deleted row $id: deleted_on = $a->{deleted_on}, expected $want" if $a->{deleted_on} ne $want;
		}
		else
		{
			for my $col (keys %$b)
			{
				push @p, "already deleted row $id: $col changed" if $b->{$col} ne $a->{$col};
			}
		}
	}
	return @p;
}

# audit: folding the log with row_as_of(now()) gives every row of the table
# (its columns but those added or dropped after the log began, which no
# entry can know of), and NULL for every logged key that no longer exists
sub audit_sql
{
	my ($t) = @_;
	my $name = $t->{name};
	my $keyexpr = $t->{partitioned} ? "jsonb_build_object('id', id, 'part', part)" : "jsonb_build_object('id', id)";
	my $skip = "ARRAY['late'" . join('', map { ", '$_'" } @{ $t->{junk_all} }) . "]::text[]";
	return qq{SELECT '\@audit-row', id, r, cur FROM (
  SELECT id, to_jsonb(t) AS cur, orm_triggers.row_as_of('$name', $keyexpr, now()) AS r FROM $name t) s
 WHERE r IS NULL OR (r - $skip) <> (cur - $skip) OR (r ? 'late' AND r->'late' <> cur->'late');
SELECT '\@audit-gone', key, orm_triggers.row_as_of('$name', key, now())
  FROM (SELECT DISTINCT key FROM orm_triggers.audit_log WHERE table_oid = '$name'::regclass AND key IS NOT NULL) k
 WHERE NOT EXISTS (SELECT 1 FROM $name t WHERE $keyexpr = k.key)
   AND orm_triggers.row_as_of('$name', key, now()) IS NOT NULL;
SELECT '\@audit-entries', count(*) FROM orm_triggers.audit_log WHERE table_oid = '$name'::regclass;
};
}

# audit: folding the log with row_as_of(now()) gives every row of the table
# (its columns but those added or dropped after the log began, which no
# entry can know of), and NULL for every logged key that no longer exists;
# queried by audit_sql inside the statement's transaction
sub check_audit
{
	my ($c) = @_;
	my @p = map { "audit replay differs: $_" } grep { /^\@audit-(row|gone)\|/ } split /\n/, $c->{out};
	my ($n) = $c->{out} =~ /^\@audit-entries\|(\d+)$/m;
	$stats{'audit replays'}++;
	push @p, "audit: no entries at all" if !$n;
	return @p;
}

# counter_cache: the parent table of the counts by part, and in the
# statement form the three statement triggers
sub counter_pre_ddl
{
	my ($t) = @_;
	my $name = $t->{name};
	$t->{counter_statement} = chance(0.5);
	my $ddl = "CREATE TABLE ${name}_parts (part int PRIMARY KEY, n bigint NOT NULL DEFAULT 0, touched_at timestamptz);\n"
	  . "INSERT INTO ${name}_parts (part) SELECT g FROM generate_series(0, 3) g;\n";
	if ($t->{counter_statement})
	{
		for (['i', 'INSERT', 'NEW TABLE AS nt'], ['u', 'UPDATE', 'OLD TABLE AS ot NEW TABLE AS nt'], ['d', 'DELETE', 'OLD TABLE AS ot'])
		{
			$ddl .= "CREATE TRIGGER h_counter_$_->[0] AFTER $_->[1] ON $name REFERENCING $_->[2] FOR EACH STATEMENT "
			  . "EXECUTE FUNCTION orm_triggers.counter_cache('part', 'parent=${name}_parts', 'counter=n');\n";
		}
	}
	return $ddl;
}

# counter_cache: every part's counter equals its number of rows, inside the
# statement's transaction
sub counter_sql
{
	my ($t) = @_;
	my $name = $t->{name};
	return qq{SELECT '\@counter', p.part, p.n, (SELECT count(*) FROM $name x WHERE x.part = p.part)
  FROM ${name}_parts p WHERE p.n <> (SELECT count(*) FROM $name x WHERE x.part = p.part);
};
}

sub check_counter
{
	my ($c) = @_;
	$stats{'counter checks'}++;
	return map { "counter differs from the count (part|counter|count): $_" } grep { /^\@counter\|/ } split /\n/, $c->{out};
}

# versioning: the history rows this statement closed, the current rows'
# periods, and the chain of every row's versions
sub versioning_cols
{
	my ($t) = @_;
	return ('part', (grep { $_ ne 'late' } map { $_->[0] } @{ $t->{payload} }),
		(exists $t->{stamps}{deleted_on} ? ('deleted_on') : ()));
}

sub versioning_sql
{
	my ($t) = @_;
	my $name = $t->{name};
	my @sel = map { $_ eq 'part' || $_ eq 'deleted_on' ? "coalesce(${_}::text, 'NULL')" : "coalesce(md5(${_}::text), 'NULL')" } versioning_cols($t);
	return qq{SELECT '\@vers-hist', id, } . join(', ', @sel) . qq{ FROM ${name}_history WHERE upper(sys_period) = now();
SELECT '\@vers-cur', id, lower(sys_period) = now(), upper_inf(sys_period) FROM $name;
SELECT '\@vers-chain', count(*) FROM (
  SELECT id, sys_period, lead(lower(sys_period)) OVER (PARTITION BY id ORDER BY lower(sys_period)) AS next_start
    FROM (SELECT id, sys_period FROM ${name}_history UNION ALL SELECT id, sys_period FROM $name) v) s
 WHERE next_start IS NOT NULL AND upper(sys_period) IS DISTINCT FROM next_start;
};
}

sub check_versioning
{
	my ($c) = @_;
	my $t = $c->{t};
	my @p;
	my @cols = versioning_cols($t);
	my (%hist, %cur);
	for my $line (split /\n/, $c->{out})
	{
		my @f = split /\|/, $line, -1;
		next unless @f;
		push @{ $hist{ $f[1] } }, join('|', @f[ 2 .. $#f ]) if $f[0] eq '@vers-hist';
		$cur{ $f[1] } = "$f[2]|$f[3]" if $f[0] eq '@vers-cur';
		push @p, "versioning: $f[1] versions do not follow each other" if $f[0] eq '@vers-chain' && $f[1] ne '0';
	}
	my %all = (%{ $c->{before} }, %{ $c->{after} });
	my @watch = ('part', (map { $_->[0] } @{ $t->{payload} }), (exists $t->{stamps}{deleted_on} ? ('deleted_on') : ()));
	for my $id (keys %all)
	{
		my ($b, $a) = ($c->{before}{$id}, $c->{after}{$id});
		my $version = 0;
		if ($b && !$a) { $version = 1; }
		elsif (updated($c, $id)) { $version = $t->{vers_always} || grep { $b->{$_} ne $a->{$_} } @watch; }
		my $got = $hist{$id} // [];
		if ($version)
		{
			my $want = join('|', map { $b->{$_} } @cols);
			push @p, "versioning: row $id: " . scalar(@$got) . " history rows, expected 1 ($want)" if @$got != 1;
			push @p, "versioning: row $id: history row $got->[0], expected $want" if @$got == 1 && $got->[0] ne $want;
		}
		else
		{
			push @p, "versioning: row $id: " . scalar(@$got) . " history rows, expected none" if @$got;
		}
		next unless $a;
		my $starts_now = ($version || inserted($c, $id)) ? 't' : 'f';
		push @p, "versioning: row $id: current period (starts now, open) = $cur{$id}, expected $starts_now|t"
		  if ($cur{$id} // '') ne "$starts_now|t";
	}
	return @p;
}
