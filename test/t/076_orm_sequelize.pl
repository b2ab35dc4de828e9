# Sequelize 6 (npm: sequelize, pg) against orm_triggers:
# test/orm/node/sequelize.js, the code of doc/orm/sequelize.md.  Its
# migrations (sequelize-cli format, called directly) attach the triggers.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use OrmtNode;

node_clients_ready();

my $node = app_cluster('sequelize');
run_node_tap($node, 'sequelize', [ 'node', 'sequelize.js' ]);
$node->stop;
done_testing();
