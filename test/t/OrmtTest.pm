# OrmtTest.pm: shared by the multi-cluster TAP tests (replication, dump and
# restore, crash).  One sample table carrying every trigger the extension
# has, described in @TRIGGERS, so that a new feature is covered by all those
# tests by adding its column(s) and its trigger here; a feature with effects
# outside the table (audit log, history table, parent counters) also adds
# its relations to @EXTRA_RELATIONS, which the tests compare the same way.
package OrmtTest;

use strict;
use warnings;
use Exporter 'import';
our @EXPORT = qw(create_sample_table sample_rows sample_state);
our @EXPORT_OK = qw($AUDIT_LOG $HISTORY);

# name => column definitions, trigger events, function call, and optionally
# SQL run before the trigger is created; %s in the last two is the table name
our @TRIGGERS = (
	[ 'created_at', 'created_at timestamptz', 'BEFORE INSERT OR UPDATE',
		q{orm_triggers.set_created_at('created_at')} ],
	[ 'updated_at', 'updated_at timestamptz', 'BEFORE INSERT OR UPDATE',
		q{orm_triggers.update_last_modified('updated_at')} ],
	[ 'created_by', 'created_by text', 'BEFORE INSERT OR UPDATE',
		q{orm_triggers.set_actor('created_by', 'on=insert')} ],
	[ 'updated_by', 'updated_by text', 'BEFORE INSERT OR UPDATE',
		q{orm_triggers.set_actor('updated_by')} ],
	[ 'protect_id', '', 'BEFORE UPDATE',
		q{orm_triggers.protect_columns('id')} ],
	[ 'version', 'version int', 'BEFORE INSERT OR UPDATE',
		q{orm_triggers.increment_version('version')} ],
	[ 'audit', '', 'AFTER INSERT OR UPDATE OR DELETE',
		q{orm_triggers.audit()} ],
	# adjust: concurrent writers (the crash test's workload) get a warning,
	# not 2201H
	[ 'versioning', 'sys_period tstzrange', 'BEFORE INSERT OR UPDATE OR DELETE',
		q{orm_triggers.versioning('sys_period', '%s_history', 'true')},
		q{SELECT orm_triggers.create_history_table('%s');} ],
);

# relations besides the sample tables whose contents the tests compare, as
# "SELECT ..." texts ordered deterministically.  The audit log's table_oid
# as a name (it is a regclass): the OID is local to a cluster (dump/restore
# and replication give the table another one), the name is not.
our $AUDIT_LOG = q{SELECT id, txid, tx_time, logged_at, actor, session_user_name, context,
	table_oid::pg_catalog.text, schema_name, table_name, op, key, old_values, new_values
	FROM orm_triggers.audit_log ORDER BY id};
# versioning's history table of the sample table (the tests name it item)
our $HISTORY = q{SELECT * FROM item_history ORDER BY id, lower(sys_period)};
our @EXTRA_RELATIONS = ($AUDIT_LOG, $HISTORY);

# SQL creating table $name with every trigger of @TRIGGERS
sub create_sample_table
{
	my ($name) = @_;
	my $cols = join('', map { $_->[1] ne '' ? ",\n  $_->[1]" : '' } @TRIGGERS);
	my $sql  = "CREATE TABLE $name (\n  id int PRIMARY KEY,\n  name text$cols\n);\n";
	for my $t (@TRIGGERS)
	{
		my ($call, $before) = ($t->[3], $t->[4] // '');
		$call   =~ s/%s/$name/g;
		$before =~ s/%s/$name/g;
		$sql .= "$before\n" if $before ne '';
		$sql .= "CREATE TRIGGER ${name}_$t->[0] $t->[2] ON $name FOR EACH ROW EXECUTE FUNCTION $call;\n";
	}
	return $sql;
}

# the rows of a table as one text, in key order
sub sample_rows
{
	my ($node, $db, $name) = @_;
	return $node->safe_psql($db, "SELECT * FROM $name ORDER BY id");
}

# the sample table plus every extra relation, as one text
sub sample_state
{
	my ($node, $db, $name) = @_;
	my $out = sample_rows($node, $db, $name);
	$out .= "\n--\n" . $node->safe_psql($db, $_) for @EXTRA_RELATIONS;
	return $out;
}

1;
