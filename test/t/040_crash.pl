# 040_crash.pl: an immediate stop (no shutdown checkpoint, like a power cut
# for the server) in the middle of a write workload on the sample table.
#
# Every transaction of the workload also appends to a ledger table what it
# did (its now(), its actor, whether it inserted the row).  The ledger row
# and the stamped row commit or vanish together, so after crash recovery:
#  - every item has exactly one ledger entry that inserted it, and its
#    created_at/created_by are that transaction's;
#  - updated_at/updated_by are those of one of the item's ledger entries
#    (the last writer's: concurrent transactions commit out of start order);
#  - no ledger entry refers to a missing item;
#  - the server came back, logged no assertion failure, and amcheck finds
#    the table's indexes intact.
# A later feature adds its own effect to the ledger check (an audit row per
# ledger entry, a version equal to the number of entries, a parent counter
# equal to the count of children).
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use OrmtTest;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', "restart_after_crash = off\n");
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION orm_triggers; CREATE EXTENSION amcheck; ' . create_sample_table('item') . q{
	CREATE TABLE ledger (n bigserial PRIMARY KEY, id int NOT NULL, ts timestamptz NOT NULL,
	                     actor text NOT NULL, inserted bool NOT NULL);
	CREATE INDEX ON ledger (id);
});

my $tmp    = PostgreSQL::Test::Utils::tempdir;
my $script = "$tmp/workload.sql";
open(my $fh, '>', $script) or die $!;
print $fh <<'SQL';
\set id random(1, 3000)
BEGIN;
SELECT set_config('orm_triggers.actor', 'client' || :client_id, true) \gset
INSERT INTO item (id, name) VALUES (:id, 'n') ON CONFLICT (id) DO UPDATE SET name = left(item.name, 20) || 'x' RETURNING (xmax = 0)::int AS inserted \gset
INSERT INTO ledger (id, ts, actor, inserted) VALUES (:id, now(), current_setting('orm_triggers.actor'), :inserted::int::bool);
COMMIT;
SQL
close $fh;

my ($out, $err) = ('', '');
my $bench = IPC::Run::start(
	[ 'pgbench', '-n', '-c', '4', '-j', '2', '-T', '120', '-f', $script,
	  '-h', $node->host, '-p', $node->port, 'postgres' ],
	'>', \$out, '2>', \$err);

# let it commit a few thousand transactions, then pull the plug
my $deadline = time + 60;
while (time < $deadline)
{
	sleep(1);
	last if $node->safe_psql('postgres', 'SELECT count(*) FROM ledger') >= 2000;
}
my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM ledger');
$node->stop('immediate');
$bench->finish;    # pgbench fails: its connections are gone
cmp_ok($before, '>=', 100, "the workload committed transactions before the stop ($before)")
  or diag("pgbench: $err");

$node->start;
ok(1, 'the server restarted after the immediate stop');
my $after = $node->safe_psql('postgres', 'SELECT count(*) FROM ledger');
cmp_ok($after, '>=', $before, "no committed transaction lost ($after ledger entries)");

is($node->safe_psql('postgres', q{
	SELECT count(*) FROM item i
	WHERE (SELECT count(*) FROM ledger l WHERE l.id = i.id AND l.inserted) <> 1
	   OR NOT EXISTS (SELECT 1 FROM ledger l WHERE l.id = i.id AND l.inserted
	                  AND l.ts = i.created_at AND l.actor = i.created_by)}),
	'0', 'every item: created_at/created_by of the transaction that inserted it');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM item i
	WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.id = i.id AND l.ts = i.updated_at AND l.actor = i.updated_by)}),
	'0', 'every item: updated_at/updated_by of one of its writers');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM item i WHERE i.id = l.id)}),
	'0', 'no ledger entry without its item');
is($node->safe_psql('postgres', q{SELECT count(*) FROM item WHERE updated_at < created_at OR name IS NULL}),
	'0', 'no stamp goes back in time');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT bt_index_parent_check(i.indexrelid, true)
	  FROM pg_index i WHERE i.indrelid IN ('item'::regclass, 'ledger'::regclass)) s}),
	'3', 'amcheck: the indexes of item and ledger are intact');

# the table keeps working after recovery
$node->safe_psql('postgres', q{SET orm_triggers.actor = 'after'; UPDATE item SET name = 'post-crash' WHERE id = (SELECT min(id) FROM item)});
is($node->safe_psql('postgres', q{SELECT updated_by FROM item WHERE name = 'post-crash'}), 'after',
	'triggers fire after recovery');

my $log = slurp_file($node->logfile);
like($log, qr/database system was interrupted|redo starts/, 'crash recovery ran');
unlike($log, qr/TRAP:|terminated by signal (?!9)/, 'no assertion failure or backend crash in the log');

$node->stop;
done_testing();
