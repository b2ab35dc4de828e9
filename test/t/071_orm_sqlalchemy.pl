# 071_orm_sqlalchemy.pl: SQLAlchemy with Alembic (Debian's
# python3-sqlalchemy, alembic, python3-psycopg2) through their own API
# against orm_triggers, set up as doc/orm/sqlalchemy.md says
# (test/orm/sqlalchemy/).
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OrmtClient;
use Test::More;

orm_client_test(
	name     => 'sqlalchemy',
	command  => [ '/usr/bin/python3', 'test/orm/sqlalchemy/run.py' ],
	probe    => [ '/usr/bin/python3', '-c', 'import sqlalchemy, alembic, psycopg2' ],
	packages => 'python3-sqlalchemy, alembic, python3-psycopg2',
	env      => { PYTHONDONTWRITEBYTECODE => '1' },
);
done_testing();
