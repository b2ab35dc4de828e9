# The upgrade path: a database that installed orm_triggers 1.0 and wrote
# audit data, updated with ALTER EXTENSION orm_triggers UPDATE, must end up
# with exactly the member objects (and definitions, comments, privileges) of
# a fresh installation of the current version, its data kept.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->start;

my $current = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'orm_triggers'});
isnt($current, '1.0', "the control file's version ($current) is newer than the released 1.0");

# Every member object of the extension, one line each: its identity and its
# definition.  Functions by pg_get_functiondef, relations by their columns,
# constraints and indexes, and every object's comment and ACL.  OIDs never
# appear (the two databases number objects differently).
my $members = <<'SQL';
WITH m AS (
  SELECT d.classid, d.objid, d.objsubid
    FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid
   WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
     AND e.extname = 'orm_triggers'
)
SELECT pg_describe_object(m.classid, m.objid, m.objsubid) || E'\n' ||
       coalesce(CASE m.classid
         WHEN 'pg_proc'::regclass THEN
           (SELECT pg_get_functiondef(p.oid) || ' acl=' || coalesce(p.proacl::text, '-')
              FROM pg_proc p WHERE p.oid = m.objid AND p.prokind <> 'a')
         WHEN 'pg_class'::regclass THEN
           (SELECT format('kind=%s acl=%s options=%s persistence=%s replident=%s',
                          c.relkind, coalesce(c.relacl::text, '-'),
                          coalesce(c.reloptions::text, '-'), c.relpersistence, c.relreplident)
                   || E'\n' || coalesce(pg_get_viewdef(c.oid), '')
                   || E'\n' || coalesce((SELECT string_agg(format('  %s %s notnull=%s default=%s identity=%s generated=%s acl=%s',
                                                  quote_ident(a.attname), format_type(a.atttypid, a.atttypmod),
                                                  a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid),
                                                  a.attidentity, a.attgenerated, coalesce(a.attacl::text, '-')),
                                           E'\n' ORDER BY a.attnum)
                                    FROM pg_attribute a
                                    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '')
                   || E'\n' || coalesce((SELECT string_agg('  ' || conname || ' ' || pg_get_constraintdef(oid), E'\n' ORDER BY conname)
                                    FROM pg_constraint WHERE conrelid = c.oid), '')
                   || E'\n' || coalesce((SELECT string_agg('  ' || pg_get_indexdef(indexrelid), E'\n' ORDER BY 1)
                                    FROM pg_index WHERE indrelid = c.oid), '')
                   || E'\n' || coalesce((SELECT string_agg('  ' || pg_get_triggerdef(t.oid), E'\n' ORDER BY 1)
                                    FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal), '')
              FROM pg_class c WHERE c.oid = m.objid)
         WHEN 'pg_event_trigger'::regclass THEN
           (SELECT format('event=%s enabled=%s tags=%s func=%s', evtevent, evtenabled, evttags, evtfoid::regproc)
              FROM pg_event_trigger WHERE oid = m.objid)
         WHEN 'pg_type'::regclass THEN
           (SELECT format('%s %s', format_type(t.oid, NULL), t.typtype) FROM pg_type t WHERE t.oid = m.objid)
         END, '')
       || E'\ncomment=' || coalesce(obj_description(m.objid, m.classid::regclass::name), '-')
  FROM m
 ORDER BY 1;
SQL

# Database "updated": 1.0 with an audited table and data, then UPDATE.
$node->safe_psql('postgres', 'CREATE DATABASE updated');
$node->safe_psql('updated', q{
	CREATE EXTENSION orm_triggers VERSION '1.0';
	CREATE TABLE item (id int PRIMARY KEY, name text, updated_at timestamptz, version int);
	CREATE TRIGGER item_audit AFTER INSERT OR UPDATE OR DELETE ON item
		FOR EACH ROW EXECUTE FUNCTION orm_triggers.audit();
	CREATE TRIGGER item_stamp BEFORE UPDATE ON item
		FOR EACH ROW EXECUTE FUNCTION orm_triggers.update_last_modified('updated_at');
	CREATE TRIGGER item_version BEFORE INSERT OR UPDATE ON item
		FOR EACH ROW EXECUTE FUNCTION orm_triggers.increment_version('version');
	INSERT INTO item (id, name) VALUES (1, 'one'), (2, 'two');
	UPDATE item SET name = 'uno' WHERE id = 1;
	DELETE FROM item WHERE id = 2;
});
is($node->safe_psql('updated', q{SELECT extversion FROM pg_extension WHERE extname = 'orm_triggers'}),
	'1.0', 'installed 1.0');
my $log_query = q{SELECT id, op, schema_name, table_name, key, old_values, new_values,
	key_hash, actor FROM orm_triggers.audit_log ORDER BY id};
my $log_before = $node->safe_psql('updated', $log_query);
is(scalar(() = $log_before =~ /\n/g) + 1, 4, 'four audit entries written under 1.0');

$node->safe_psql('updated', 'ALTER EXTENSION orm_triggers UPDATE');
is($node->safe_psql('updated', q{SELECT extversion FROM pg_extension WHERE extname = 'orm_triggers'}),
	$current, "updated to $current");
is($node->safe_psql('updated', $log_query), $log_before, 'audit entries kept by the update');
is($node->safe_psql('updated', q{SELECT id, name, version FROM item ORDER BY id}), '1|uno|2',
	'the audited table is unchanged');
is($node->safe_psql('updated', q{SELECT count(*) FROM orm_triggers.row_history('item', '{"id": 1}')}),
	'2', 'row_history reads entries written under 1.0');

# the triggers created under 1.0 keep working after the update
$node->safe_psql('updated', q{UPDATE item SET name = 'one' WHERE id = 1});
is($node->safe_psql('updated', q{SELECT version, updated_at IS NOT NULL FROM item}), '3|t',
	'a 1.0 trigger fires after the update');
is($node->safe_psql('updated', q{SELECT count(*) FROM orm_triggers.audit_log}), '5',
	'and audits into the updated log');

# Database "fresh": the current version straight away.
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION orm_triggers');

my $updated = $node->safe_psql('updated', $members);
my $fresh   = $node->safe_psql('fresh',   $members);
ok(length($fresh) > 1000, 'the member listing is not empty');
if ($updated eq $fresh)
{
	pass('the updated installation has exactly the objects of a fresh one');
}
else
{
	my %u = map { $_ => 1 } split /\n(?=\S)/, $updated;
	my %f = map { $_ => 1 } split /\n(?=\S)/, $fresh;
	diag("only after the update:\n$_") for grep { !$f{$_} } sort keys %u;
	diag("only in a fresh install:\n$_") for grep { !$u{$_} } sort keys %f;
	fail('the updated installation has exactly the objects of a fresh one');
}

# pg_extension_config_dump registrations are members too, but not objects
is($node->safe_psql('updated', q{SELECT extconfig::regclass[]::text, extcondition FROM pg_extension WHERE extname = 'orm_triggers'}),
	$node->safe_psql('fresh', q{SELECT extconfig::regclass[]::text, extcondition FROM pg_extension WHERE extname = 'orm_triggers'}),
	'the same tables are dumped with their data');

$node->stop;
done_testing();
