# TypeORM 1 (npm: typeorm, pg, reflect-metadata) against orm_triggers:
# test/orm/node/typeorm.js, the code of doc/orm/typeorm.md.  Its migration
# (a MigrationInterface run by dataSource.runMigrations()) attaches the
# triggers.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use OrmtNode;

node_clients_ready();

my $node = app_cluster('typeorm');
run_node_tap($node, 'typeorm', [ 'node', 'typeorm.js' ]);
$node->stop;
done_testing();
