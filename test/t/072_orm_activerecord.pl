# ActiveRecord (Debian's ruby-activerecord, ruby-pg) against orm_triggers, as
# doc/orm/rails.md sets it up: runs test/orm/activerecord/activerecord_tap.rb
# with Debian's /usr/bin/ruby and relays its TAP lines as tests.
use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes ();

my $ruby = '/usr/bin/ruby';
my $script = 'test/orm/activerecord/activerecord_tap.rb';

if (!-x $ruby || system($ruby, '-e', 'require "active_record"; require "pg"') != 0)
{
	# test/check installs them; only a hand-run prove gets here
	plan skip_all => 'ruby-activerecord or ruby-pg not installed' unless $ENV{CI};
	BAIL_OUT('CI run without ruby-activerecord/ruby-pg');
}

my $node = PostgreSQL::Test::Cluster->new('activerecord');
$node->init;
$node->start;

my $start = Time::HiRes::time();
my ($out, $err) = ('', '');
{
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	IPC::Run::run([ $ruby, $script ], '>', \$out, '2>', \$err);
}
my $ran = $? == 0;
my ($seen, $plan) = (0, 0);
foreach my $line (split /\n/, $out)
{
	if ($line =~ /^(not )?ok \d+ - (.*)$/)
	{
		ok(!defined $1, "activerecord: $2");
		$seen++;
	}
	$plan = $1 if $line =~ /^1\.\.(\d+)$/;
}
ok($seen > 0 && $plan == $seen, "activerecord_tap.rb ran to the end ($seen tests)")
  or diag($err);
diag($err) if !$ran && $err ne '';
note('activerecord client: ' . sprintf("%.1f", Time::HiRes::time() - $start) . ' s');

$node->stop;
done_testing();
