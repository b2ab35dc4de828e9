# 020_logical_replication.pl: a publisher and a subscriber, both with the
# stamp triggers attached to the replicated table.
#
# The apply worker runs with session_replication_role = replica, so the
# subscriber's ordinary (ENABLE) triggers do not fire: rows arrive with the
# publisher's timestamps and actors untouched, also through the initial
# table copy.  ENABLE ALWAYS (or ENABLE REPLICA) triggers do fire in the
# apply worker: shown here for update_last_modified and set_actor, which then
# overwrite the publisher's values with the subscriber's apply time and the
# subscription owner.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use OrmtTest qw(:DEFAULT $AUDIT_LOG);

my $pub = PostgreSQL::Test::Cluster->new('publisher');
$pub->init(allows_streaming => 'logical');
$pub->start;
my $sub = PostgreSQL::Test::Cluster->new('subscriber');
$sub->init;
$sub->start;

for my $node ($pub, $sub)
{
	$node->safe_psql('postgres', 'CREATE EXTENSION orm_triggers; ' . create_sample_table('item'));
	# counter_cache: item counted per group in item_group, replicated too
	$node->safe_psql('postgres', q{
		CREATE TABLE item_group (g int PRIMARY KEY, n int NOT NULL DEFAULT 0);
		ALTER TABLE item ADD COLUMN g int GENERATED ALWAYS AS (id % 5) STORED;
		CREATE TRIGGER item_group_n AFTER INSERT OR UPDATE OR DELETE ON item FOR EACH ROW
		    EXECUTE FUNCTION orm_triggers.counter_cache('g', 'parent=item_group', 'counter=n');
	});
}
# the groups travel by the initial copy
$pub->safe_psql('postgres', 'INSERT INTO item_group SELECT g FROM generate_series(0, 4) g');

# rows written before the subscription exists travel by the initial copy
$pub->safe_psql('postgres', q{
	SET orm_triggers.actor = 'alice';
	INSERT INTO item (id, name) SELECT g, 'n' || g FROM generate_series(1, 50) g;
	-- a given stamp is kept on INSERT
	INSERT INTO item (id, name, created_at, updated_at, created_by, updated_by)
	VALUES (100, 'given', '2001-02-03 04:05:06+00', '2002-03-04 05:06:07+00', 'carol', 'dave');
});
# let the subscriber's clock move on, so a stamp it wrote would differ
sleep(1);

my $connstr = $pub->connstr . ' dbname=postgres';
$pub->safe_psql('postgres', 'CREATE PUBLICATION p FOR TABLE item, item_group');
$sub->safe_psql('postgres', "CREATE SUBSCRIPTION s CONNECTION '$connstr' PUBLICATION p");
$sub->wait_for_subscription_sync($pub, 's');

is(sample_rows($sub, 'postgres', 'item'), sample_rows($pub, 'postgres', 'item'),
	'initial copy: rows arrive with the publisher\'s stamps, actors and versions');
is($sub->safe_psql('postgres', 'SELECT count(*) FROM orm_triggers.audit_log'), '0',
	'initial copy: the subscriber\'s audit trigger logged nothing (the publisher\'s log has the rows)');

$pub->safe_psql('postgres', q{
	SET orm_triggers.actor = 'bob';
	INSERT INTO item (id, name) SELECT g, 'n' || g FROM generate_series(51, 80) g;
	UPDATE item SET name = name || ' changed' WHERE id % 3 = 0;
	UPDATE item SET name = name WHERE id % 3 = 1;   -- no-op: no bump
	DELETE FROM item WHERE id % 10 = 0;
});
$pub->wait_for_catchup('s');

is(sample_rows($sub, 'postgres', 'item'), sample_rows($pub, 'postgres', 'item'),
	'streamed INSERT/UPDATE/DELETE: the subscriber\'s ENABLE triggers did not fire');
is($sub->safe_psql('postgres', 'SELECT count(*) FROM orm_triggers.audit_log'), '0',
	'streamed changes: no audit rows on the subscriber, so none twice');
# the publisher's counter writes arrive; the subscriber's trigger adds none
is($sub->safe_psql('postgres', q{SELECT string_agg(g || ':' || n, ',' ORDER BY g) FROM item_group}),
	$pub->safe_psql('postgres', q{SELECT string_agg(g || ':' || n, ',' ORDER BY g) FROM item_group}),
	'counter_cache: the counters arrive as the publisher wrote them');
is($sub->safe_psql('postgres', 'SELECT count(*) FROM item_group p WHERE n <> (SELECT count(*) FROM item i WHERE i.g = p.g)'),
	'0', 'counter_cache: on the subscriber every counter equals its count, not counted twice');
is($pub->safe_psql('postgres', q{SELECT string_agg(op || ':' || n, ' ' ORDER BY op) FROM (SELECT op, count(*) n FROM orm_triggers.audit_log GROUP BY op) s}),
	'DELETE:9 INSERT:81 UPDATE:54', 'the publisher logged each change once (no-op UPDATEs bump the version, so they are logged)');
is($sub->safe_psql('postgres', q{SELECT string_agg(DISTINCT id % 3 || ':' || version, ',') FROM item WHERE id < 100}),
	'0:2,1:2,2:1', 'versions arrive as written by the publisher (2 after an UPDATE or a no-op UPDATE, 1 when never updated)');
is($sub->safe_psql('postgres', q{SELECT count(*) FROM item WHERE updated_by = 'bob' AND id % 3 = 0}),
	$pub->safe_psql('postgres', q{SELECT count(*) FROM item WHERE updated_by = 'bob' AND id % 3 = 0}),
	'the publisher\'s actor arrived');

# a local write on the subscriber still fires them
$sub->safe_psql('postgres', q{UPDATE item SET name = 'local' WHERE id = 1});
is($sub->safe_psql('postgres', q{SELECT updated_by = session_user AND updated_at > (SELECT max(created_at) FROM item WHERE id <> 100) FROM item WHERE id = 1}),
	't', 'a local UPDATE on the subscriber fires the triggers');
is($sub->safe_psql('postgres', q{SELECT op || ' ' || key || ' ' || (new_values - 'sys_period') FROM orm_triggers.audit_log}),
	'UPDATE {"id": 1} {"name": "local", "version": 3, "updated_at": "' . $sub->safe_psql('postgres', q{SELECT to_jsonb(updated_at) #>> '{}' FROM item WHERE id = 1}) . '", "updated_by": "postgres"}',
	'a local UPDATE on the subscriber is audited and versioned there');
is($sub->safe_psql('postgres', q{SELECT count(*) FROM item_history WHERE id = 1 AND name <> 'local'}), '1',
	'a local UPDATE on the subscriber writes its history row there (versioning)');
is($sub->safe_psql('postgres', q{SELECT count(*) FROM item_history WHERE id <> 1}), '0',
	'the apply worker fires no versioning trigger: the publisher\'s changes made no history on the subscriber');
$sub->safe_psql('postgres', q{DELETE FROM item WHERE id = 1});
$pub->safe_psql('postgres', q{DELETE FROM item WHERE id = 1});
$pub->wait_for_catchup('s');

# ENABLE ALWAYS: the triggers fire in the apply worker too
$sub->safe_psql('postgres', q{
	ALTER TABLE item ENABLE ALWAYS TRIGGER item_updated_at;
	ALTER TABLE item ENABLE ALWAYS TRIGGER item_updated_by;
	ALTER TABLE item ENABLE REPLICA TRIGGER item_audit;
	DELETE FROM orm_triggers.audit_log;
});
sleep(1);
$pub->safe_psql('postgres', q{
	SET orm_triggers.actor = 'erin';
	UPDATE item SET name = name || ' again' WHERE id IN (2, 3);
	INSERT INTO item (id, name) VALUES (90, 'new');
});
$pub->wait_for_catchup('s');

my $q = q{SELECT id, name, created_at, updated_at, created_by, updated_by FROM item WHERE id IN (2, 3, 90) ORDER BY id};
my @p = split /\n/, $pub->safe_psql('postgres', $q);
my @s = split /\n/, $sub->safe_psql('postgres', $q);
is(scalar(@s), 3, 'ENABLE ALWAYS: the rows arrived');
for my $k (0 .. 1)
{
	my @pc = split /\|/, $p[$k];
	my @sc = split /\|/, $s[$k];
	is_deeply([ @sc[ 0, 1, 2, 4 ] ], [ @pc[ 0, 1, 2, 4 ] ], "ENABLE ALWAYS, UPDATE of row $pc[0]: name, created_at and created_by as published");
	is($sc[5], 'postgres', "ENABLE ALWAYS, UPDATE of row $pc[0]: set_actor writes the subscription owner, not the publisher's actor");
}
is($sub->safe_psql('postgres', q{
	SELECT bool_and(s.updated_at > p.updated_at)
	FROM item s JOIN (VALUES (2, '} . (split /\|/, $p[0])[3] . q{'::timestamptz), (3, '} . (split /\|/, $p[1])[3] . q{'::timestamptz)) p(id, updated_at) USING (id)}),
	't', 'ENABLE ALWAYS: update_last_modified stamps the subscriber\'s apply time over the publisher\'s');
is($s[2], $p[2], 'ENABLE ALWAYS, INSERT: given (non-NULL) stamps and actors are kept, so the row arrives as published');
# ENABLE REPLICA audit: fires in the apply worker (only there): a second log
# of the same changes on the subscriber, written as the subscription owner
is($sub->safe_psql('postgres', q{SELECT string_agg(op || ' ' || (key->>'id') || ' ' || actor || ' ' || session_user_name, ', ' ORDER BY key->>'id') FROM orm_triggers.audit_log}),
	'UPDATE 2 postgres postgres, UPDATE 3 postgres postgres, INSERT 90 postgres postgres',
	'ENABLE REPLICA audit: the subscriber logs the replicated changes too, as the subscription owner, not the publisher\'s actor');
is($sub->safe_psql('postgres', q{SELECT new_values ? 'updated_at' FROM orm_triggers.audit_log WHERE key->>'id' = '2'}),
	't', 'ENABLE REPLICA audit: the UPDATE entry shows the subscriber\'s own updated_at bump (ENABLE ALWAYS above)');
$sub->safe_psql('postgres', q{
	ALTER TABLE item ENABLE TRIGGER item_updated_at;
	ALTER TABLE item ENABLE TRIGGER item_updated_by;
	ALTER TABLE item ENABLE TRIGGER item_audit;
});

# ENABLE ALWAYS increment_version: the replicated UPDATE carries the
# publisher's new version, stored + 1 of the subscriber's copy, which the
# trigger keeps as written (the ORMs' own read + 1): the row arrives as
# published, no error.
$sub->safe_psql('postgres', q{ALTER TABLE item ENABLE ALWAYS TRIGGER item_version});
my $offset = -s $sub->logfile;
$pub->safe_psql('postgres', q{UPDATE item SET name = 'v' WHERE id = 4});
$pub->wait_for_catchup('s');
is($sub->safe_psql('postgres', q{SELECT name, version FROM item WHERE id = 4}),
	$pub->safe_psql('postgres', q{SELECT name, version FROM item WHERE id = 4}),
	'ENABLE ALWAYS increment_version: the replicated UPDATE keeps the publisher\'s version (stored + 1)');
unlike(slurp_file($sub->logfile, $offset), qr/was changed by another transaction/,
	'ENABLE ALWAYS increment_version: no 40001 in the apply worker');

# With 'strict=true' the trigger accepts only the stored version or none:
# the replicated stored + 1 is a stale offer, 40001 in the apply worker,
# which retries and fails again until the trigger is set back to ENABLE.
$sub->safe_psql('postgres', q{
	CREATE OR REPLACE TRIGGER item_version BEFORE INSERT OR UPDATE ON item
		FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version', 'strict=true');
	ALTER TABLE item ENABLE ALWAYS TRIGGER item_version;
});
$offset = -s $sub->logfile;
$pub->safe_psql('postgres', q{UPDATE item SET name = 'w' WHERE id = 5});
$sub->wait_for_log(qr/row of table "item" was changed by another transaction/, $offset);
ok(1, 'ENABLE ALWAYS increment_version strict=true: the apply worker fails with 40001 on a replicated UPDATE');
isnt($sub->safe_psql('postgres', q{SELECT name FROM item WHERE id = 5}), 'w',
	'ENABLE ALWAYS increment_version strict=true: the UPDATE is not applied meanwhile');
$sub->safe_psql('postgres', q{ALTER TABLE item ENABLE TRIGGER item_version});
$pub->wait_for_catchup('s');
is($sub->safe_psql('postgres', q{SELECT name, version FROM item WHERE id = 5}),
	$pub->safe_psql('postgres', q{SELECT name, version FROM item WHERE id = 5}),
	'back to ENABLE: the apply worker retries and the row arrives with the publisher\'s version');

$sub->stop;
$pub->stop;
done_testing();
