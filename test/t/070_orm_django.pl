# 070_orm_django.pl: Django (Debian's python3-django, python3-psycopg2)
# through its own API against orm_triggers, set up as doc/orm/django.md
# says (test/orm/django/).
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use OrmtClient;
use Test::More;

orm_client_test(
	name     => 'django',
	command  => [ '/usr/bin/python3', 'test/orm/django/run.py' ],
	probe    => [ '/usr/bin/python3', '-c', 'import django, psycopg2' ],
	packages => 'python3-django, python3-psycopg2',
	env      => { PYTHONDONTWRITEBYTECODE => '1' },
);
done_testing();
