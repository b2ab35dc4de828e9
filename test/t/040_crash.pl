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
#  - version = the number of ledger entries of the item, and the audit log
#    has exactly one entry per ledger entry (same transaction, key, op,
#    actor and time) and none without one;
#  - amcheck (bt_index_parent_check, verify_heapam) finds the audit log
#    intact too.
#  - every item_group counter (counter_cache) equals its number of items,
#    and its touched_at (touch_parent) is the time of one of its committed
#    writes, no earlier than its last insert.
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
	                     actor text NOT NULL, inserted bool NOT NULL,
	                     txid xid8 NOT NULL DEFAULT pg_current_xact_id());
	CREATE INDEX ON ledger (id);
	-- counter_cache and touch_parent: items in 10 groups
	CREATE TABLE item_group (g int PRIMARY KEY, n int NOT NULL DEFAULT 0, touched_at timestamptz);
	INSERT INTO item_group (g) SELECT g FROM generate_series(0, 9) g;
	ALTER TABLE item ADD COLUMN g int GENERATED ALWAYS AS (id % 10) STORED;
	CREATE TRIGGER item_group_n AFTER INSERT OR UPDATE OR DELETE ON item FOR EACH ROW
	    EXECUTE FUNCTION orm_triggers.counter_cache('g', 'parent=item_group', 'counter=n');
	CREATE TRIGGER item_group_touch AFTER INSERT OR UPDATE OR DELETE ON item FOR EACH ROW
	    EXECUTE FUNCTION orm_triggers.touch_parent('g', 'parent=item_group', 'column=touched_at');
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
# (updated_at may be before created_at: stamps are transaction start times,
# and an upsert that started first can wait for the inserting transaction
# and then update its row -- seen here once, 18 microseconds apart)
is($node->safe_psql('postgres', q{SELECT count(*) FROM item WHERE name IS NULL OR created_at IS NULL OR updated_at IS NULL}),
	'0', 'no row lacks its name or stamps');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM item i WHERE version IS DISTINCT FROM (SELECT count(*) FROM ledger l WHERE l.id = i.id)}),
	'0', 'every item: version = the number of committed writes');
# versioning: one history row per committed write but the first, each
# version's period ending where the next one's begins
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM item i
	WHERE (SELECT count(*) FROM item_history h WHERE h.id = i.id)
	      IS DISTINCT FROM (SELECT count(*) - 1 FROM ledger l WHERE l.id = i.id)}),
	'0', 'every item: one history row per committed write after its insert');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (
	  SELECT id, sys_period, lead(lower(sys_period)) OVER (PARTITION BY id ORDER BY lower(sys_period)) AS next_start
	    FROM (SELECT id, sys_period FROM item_history UNION ALL SELECT id, sys_period FROM item) v) s
	WHERE next_start IS NOT NULL AND upper(sys_period) IS DISTINCT FROM next_start}),
	'0', 'every item: its versions\' periods follow each other without gap or overlap');
# the audit log: exactly one entry per committed write, of its transaction,
# with the version that write gave; nothing from a transaction the crash undid
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM ledger l
	WHERE (SELECT count(*) FROM orm_triggers.audit_log a
	        WHERE a.txid = l.txid AND a.key = jsonb_build_object('id', l.id)
	          AND a.op = CASE WHEN l.inserted THEN 'INSERT' ELSE 'UPDATE' END
	          AND a.actor = l.actor AND a.tx_time = l.ts) <> 1}),
	'0', 'every committed write has exactly its one audit row');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM orm_triggers.audit_log a
	WHERE NOT EXISTS (SELECT 1 FROM ledger l WHERE l.txid = a.txid AND a.key = jsonb_build_object('id', l.id))}),
	'0', 'no audit row without its committed write');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT key, (new_values->>'version')::int AS v,
	                             row_number() OVER (PARTITION BY key ORDER BY id) AS k
	                        FROM orm_triggers.audit_log) s WHERE v IS DISTINCT FROM k}),
	'0', 'the audit log shows versions 1, 2, 3 ... for every row, in log order');
# counter_cache: every group counts its items; touch_parent: every group
# was touched by one of its committed writes, no earlier than its last insert
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM item_group p WHERE p.n <> (SELECT count(*) FROM item i WHERE i.g = p.g)}),
	'0', 'every group counter equals its number of items');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM item_group p
	 WHERE EXISTS (SELECT 1 FROM item i WHERE i.g = p.g)
	   AND (p.touched_at IS NULL
	        OR NOT EXISTS (SELECT 1 FROM ledger l WHERE l.id % 10 = p.g AND l.ts = p.touched_at)
	        OR p.touched_at < (SELECT max(l.ts) FROM ledger l WHERE l.id % 10 = p.g AND l.inserted))}),
	'0', 'every group touched by one of its writes, never before its last insert');
# every btree index (the log may also have others, e.g. BRIN, which amcheck
# cannot check): item's and ledger's, and the log's primary key
my $btrees = q{FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
	WHERE am.amname = 'btree' AND i.indrelid IN ('item'::regclass, 'ledger'::regclass, 'orm_triggers.audit_log'::regclass)};
my $nbtrees = $node->safe_psql('postgres', "SELECT count(*) $btrees");
cmp_ok($nbtrees, '>=', 4, "$nbtrees btree indexes to check");
is($node->safe_psql('postgres', "SELECT count(*) FROM (SELECT bt_index_parent_check(i.indexrelid, true) $btrees) s"),
	$nbtrees, 'amcheck: the indexes of item, ledger and the audit log are intact');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT * FROM verify_heapam('orm_triggers.audit_log', check_toast => true)
	                      UNION ALL SELECT * FROM verify_heapam('item', check_toast => true)) s}),
	'0', 'amcheck: verify_heapam finds the heap of the audit log and of item intact');

# the table keeps working after recovery
$node->safe_psql('postgres', q{SET orm_triggers.actor = 'after'; UPDATE item SET name = 'post-crash' WHERE id = (SELECT min(id) FROM item)});
is($node->safe_psql('postgres', q{SELECT updated_by FROM item WHERE name = 'post-crash'}), 'after',
	'triggers fire after recovery');

my $log = slurp_file($node->logfile);
like($log, qr/database system was interrupted|redo starts/, 'crash recovery ran');
unlike($log, qr/TRAP:|terminated by signal (?!9)/, 'no assertion failure or backend crash in the log');

$node->stop;
done_testing();
