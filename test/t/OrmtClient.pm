# OrmtClient.pm: runs one real ORM client program against a fresh cluster
# and relays its TAP lines ("ok N - name" / "not ok N - name") as tests of
# the calling .pl (test/t/07N_orm_<client>.pl).
#
#   use OrmtClient;
#   orm_client_test(
#       name     => 'django',                        # test names start with it
#       command  => [ '/usr/bin/python3', 'test/orm/django/run.py' ],
#       probe    => [ '/usr/bin/python3', '-c', 'import django' ],  # installed?
#       packages => 'python3-django, python3-psycopg2',             # for messages
#       env      => { ... },                         # extra environment
#       timeout  => 600,                             # seconds
#   );
#
# A missing client (probe fails) skips the file on a hand-run prove and is a
# BAIL_OUT under CI ($ENV{CI}): CI must never skip silently.  The client gets
# PGHOST, PGPORT and PGUSER of the node, may create databases and extensions.
# Lines starting with "#" are passed on as notes; the client's wall time is
# printed (diag) and a last test checks the client ran to its end (exit 0,
# a plan line, at least one test).
package OrmtClient;

use strict;
use warnings;
use Exporter 'import';
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

our @EXPORT = qw(orm_client_test);

sub orm_client_test
{
	my (%a) = @_;
	my $name = $a{name};
	if (system(@{ $a{probe} }) != 0)
	{
		BAIL_OUT("CI run without the $name client ($a{packages})") if $ENV{CI};
		plan skip_all => "$name client not installed ($a{packages}); test/check installs it";
	}

	my $node = PostgreSQL::Test::Cluster->new("orm_$name");
	$node->init;
	$node->start;

	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGUSER} = $ENV{PGUSER} // scalar getpwuid($<);
	local $ENV{PGDATABASE} = 'postgres';
	my %env = %{ $a{env} // {} };
	local @ENV{ keys %env } = values %env;

	my ($out, $err) = ('', '');
	my $start = time;
	my $ran = eval {
		IPC::Run::run($a{command}, '<', \undef, '>', \$out, '2>', \$err,
			IPC::Run::timeout($a{timeout} // 600));
	};
	my $exc = $@;
	my $secs = time - $start;
	my ($seen, $plan) = (0, 0);
	foreach my $line (split /\n/, $out)
	{
		if ($line =~ /^(not )?ok \d+ - (.*)$/)
		{
			ok(!defined $1, "$name: $2");
			$seen++;
		}
		elsif ($line =~ /^1\.\.(\d+)$/)
		{
			$plan = $1;
		}
		elsif ($line =~ /^#\s?(.*)$/)
		{
			note("$name: $1");
		}
	}
	diag(sprintf("%s client: %d tests in %.1f s", $name, $seen, $secs));
	ok($ran && !$exc && $seen > 0 && $plan == $seen, "$name client ran to the end")
	  or diag("exit: " . ($exc || $? >> 8) . "\nstdout tail:\n"
		  . join("\n", grep { defined } (split /\n/, $out)[-20 .. -1]) . "\nstderr:\n$err");
	$node->stop;
	return;
}

1;
