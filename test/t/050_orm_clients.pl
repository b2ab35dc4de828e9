# Real ORM clients (Debian's python3-django and python3-sqlalchemy) against
# orm_triggers, set up as the README's recipes say: test/orm/*_tap.py.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $python = '/usr/bin/python3';
my @scripts = qw(django_tap.py sqlalchemy_tap.py);

if (system($python, '-c', 'import django, sqlalchemy, psycopg2') != 0)
{
	# test/check installs them; only a hand-run prove gets here
	plan skip_all => 'python3-django, python3-sqlalchemy or python3-psycopg2 not installed'
	  unless $ENV{CI};
	BAIL_OUT('CI run without python3-django/python3-sqlalchemy/python3-psycopg2');
}

my $node = PostgreSQL::Test::Cluster->new('orm');
$node->init;
$node->start;

foreach my $script (@scripts)
{
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	my ($out, $err) = ('', '');
	my $ran = IPC::Run::run([ $python, "test/orm/$script" ], '>', \$out, '2>', \$err);
	my $seen = 0;
	foreach my $line (split /\n/, $out)
	{
		if ($line =~ /^(not )?ok \d+ - (.*)$/)
		{
			ok(!defined $1, "$script: $2");
			$seen++;
		}
	}
	ok($ran && $seen > 0, "$script ran to the end") or diag($err);
}

$node->stop;
done_testing();
