# Prisma Client 7 (npm: prisma, @prisma/client, @prisma/adapter-pg, pg)
# against orm_triggers: test/orm/node/prisma.js, the code of doc/orm/prisma.md.
#
# Zero downloads outside the npm registry: npm ci --ignore-scripts (no
# engine download), `prisma generate` with the schema engine replaced by a
# stub that fails (generate does not need it; Prisma Migrate would), the
# generator's TypeScript compiled with tsc, and the client runs on the
# query compiler (WebAssembly, inside @prisma/client) with the pg driver
# adapter.  prisma.js applies the migration SQL itself.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use OrmtNode;

node_clients_ready();

my $stub = PostgreSQL::Test::Utils::tempdir() . '/schema-engine';
open(my $fh, '>', $stub) or die "cannot write $stub: $!";
print $fh "#!/bin/sh\necho 'schema engine stub: this test applies migration.sql itself' >&2\nexit 1\n";
close($fh);
chmod(0755, $stub) or die "chmod $stub: $!";

system('rm', '-rf', 'test/orm/node/generated') == 0 or die 'cannot remove test/orm/node/generated';
node_step('prisma generate',
	[ 'node_modules/.bin/prisma', 'generate', '--schema', 'prisma/schema.prisma' ],
	PRISMA_SCHEMA_ENGINE_BINARY => $stub,
	CHECKPOINT_DISABLE => 1,
	PRISMA_HIDE_UPDATE_MESSAGE => 1)
  or BAIL_OUT('prisma generate failed');
node_step('tsc: the generated client to CommonJS',
	[ 'node_modules/.bin/tsc', '--noCheck', '--rewriteRelativeImportExtensions',
	  '--module', 'commonjs', '--target', 'es2022', '--moduleResolution', 'node',
	  '--skipLibCheck', '--rootDir', 'generated/prisma', '--outDir', 'generated/js',
	  'generated/prisma/client.ts' ])
  or BAIL_OUT('tsc failed on the generated Prisma Client');

my $node = app_cluster('prisma');
run_node_tap($node, 'prisma', [ 'node', 'prisma.js' ]);
$node->stop;
# the generated client copies schema.prisma, recipe markers and all
system('rm', '-rf', 'test/orm/node/generated');
done_testing();
