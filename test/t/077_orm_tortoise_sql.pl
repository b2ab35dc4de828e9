# 077_orm_tortoise_sql.pl: the SQL of the Tortoise ORM recipe
# (doc/orm/tortoise.md).  Tortoise itself has no Debian or npm package and
# is not run: test/orm/tortoise/run.py executes the recipe's SQL regions and
# statements of the shape Tortoise sends, through psycopg2.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OrmtClient;
use Test::More;

orm_client_test(
	name     => 'tortoise-sql',
	command  => [ '/usr/bin/python3', 'test/orm/tortoise/run.py' ],
	probe    => [ '/usr/bin/python3', '-c', 'import psycopg2' ],
	packages => 'python3-psycopg2',
	env      => { PYTHONDONTWRITEBYTECODE => '1' },
);
done_testing();
