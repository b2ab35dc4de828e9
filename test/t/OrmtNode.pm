# OrmtNode.pm: shared by the Node.js ORM client tests (074 prisma, 075
# typeorm, 076 sequelize).  Installs test/orm/node's locked npm packages once
# into a cache outside the source tree, links them in as
# test/orm/node/node_modules, and relays a client program's TAP lines.
#
# The cache: $ORMT_NPM_CACHE (test/check sets /var/cache/orm_triggers/npm
# when run as root, owned by the postgres OS user that runs the tests), else
# ${XDG_CACHE_HOME:-~/.cache}/orm_triggers/npm.  Under it, npm's own download
# cache (_cacache) and one installed tree per package-lock.json hash
# (tree-<sha256>/node_modules), so only the first run downloads; a tree no
# run has used for 14 days is removed.  npm ci runs with --ignore-scripts: no
# install script runs, in particular not the one of @prisma/engines that
# would download a schema-engine binary from outside the npm registry.
package OrmtNode;

use strict;
use warnings;
use Cwd qw(abs_path);
use File::Spec;
use Digest::SHA;
use Exporter 'import';
use Fcntl qw(:flock);
use File::Path qw(make_path);
use IPC::Run;
use PostgreSQL::Test::Cluster;
use Test::More;
use Time::HiRes qw(time);

our @EXPORT = qw(node_clients_ready node_step app_cluster run_node_tap);

our $DIR = 'test/orm/node';

# a missing client: skipped when run by hand, a failure in CI
sub missing
{
	my ($why) = @_;
	BAIL_OUT("CI run without the Node.js ORM clients: $why") if $ENV{CI};
	plan skip_all => $why;
}

# the major.minor of `node --version`, or undef
sub node_version
{
	my $out = '';
	IPC::Run::run([ 'node', '--version' ], '>', \$out, '2>', \my $err)
	  or return undef;
	return $out =~ /^v(\d+)\.(\d+)/ ? [ $1, $2 ] : undef;
}

# node_clients_ready(): node >= 20.19 and npm present, packages installed and
# linked; skips (by hand) or bails out (CI) otherwise
sub node_clients_ready
{
	my $v = node_version();
	missing('node is not installed (Debian package nodejs, version 20.19 or later)')
	  unless $v;
	missing("node $v->[0].$v->[1] is too old: Prisma 7 and TypeORM 1 need 20.19 or later")
	  if $v->[0] < 20 || ($v->[0] == 20 && $v->[1] < 19);
	missing('npm is not installed')
	  unless IPC::Run::run([ 'npm', '--version' ], '>', \my $o, '2>', \my $e);

	my $cache = $ENV{ORMT_NPM_CACHE}
	  || ($ENV{XDG_CACHE_HOME} || "$ENV{HOME}/.cache") . '/orm_triggers/npm';
	make_path($cache);
	my $lockfile = "$DIR/package-lock.json";
	my $hash = Digest::SHA->new(256)->addfile($lockfile)->hexdigest;
	my $tree = "$cache/tree-$hash";

	# one installer at a time; the others wait and reuse its tree
	open(my $lock, '>>', "$cache/.lock") or die "cannot open $cache/.lock: $!";
	flock($lock, LOCK_EX) or die "cannot lock $cache/.lock: $!";
	if (!-e "$tree/.complete")
	{
		my $start = time;
		system('rm', '-rf', $tree) == 0 or die "cannot remove $tree";
		make_path($tree);
		system('cp', "$DIR/package.json", $lockfile, $tree) == 0
		  or die "cannot copy the package files to $tree";
		my ($out, $err) = ('', '');
		local $ENV{npm_config_cache} = $cache;
		local $ENV{npm_config_update_notifier} = 'false';
		my $ok = IPC::Run::run(
			[ 'npm', 'ci', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', $tree ],
			'>', \$out, '2>', \$err);
		BAIL_OUT("npm ci failed in $tree:\n$out$err") unless $ok;
		open(my $done, '>', "$tree/.complete") or die "cannot write $tree/.complete: $!";
		close($done);
		diag(sprintf('npm ci installed %s in %.0f s', $tree, time - $start));
	}
	else
	{
		utime(undef, undef, "$tree/.complete");    # in use: not pruned
		note("reusing $tree");
	}
	# trees of other lockfiles unused for 14 days go (each is some 400 MB)
	foreach my $old (glob("$cache/tree-*"))
	{
		next if $old eq $tree;
		my $used = (stat("$old/.complete"))[9] // (stat($old))[9] // 0;
		system('rm', '-rf', $old) if time - $used > 14 * 86400;
	}
	close($lock);

	my $link = "$DIR/node_modules";
	unlink($link) if -l $link;
	die "$link exists and is not a symbolic link" if -e $link;
	symlink(abs_path("$tree/node_modules"), $link) or die "cannot link $link: $!";
	return 1;
}

# a command whose program is a path relative to test/orm/node, made absolute
# (IPC::Run finds the program before the child changes directory)
sub in_dir
{
	my ($cmd) = @_;
	my @c = @$cmd;
	$c[0] = File::Spec->rel2abs("$DIR/$c[0]") if $c[0] =~ m{/};
	return \@c;
}

# node_step($name, [command...], %env): runs a preparation command in
# test/orm/node (at most 600 s) as one test, its output shown when it fails
sub node_step
{
	my ($name, $cmd, %env) = @_;
	local @ENV{ keys %env } = values %env;
	$cmd = in_dir($cmd);
	my ($out, $err) = ('', '');
	my $start = time;
	my $ran = eval {
		IPC::Run::run($cmd, '<', \undef, '>', \$out, '2>', \$err,
			init => sub { chdir $DIR or die "chdir $DIR: $!" }, IPC::Run::timeout(600));
	};
	ok($ran, $name) or diag("exit: " . ($@ || $?) . "\nstdout:\n$out\nstderr:\n$err");
	note(sprintf('%s: %.1f s', $name, time - $start));
	return $ran;
}

# app_cluster($name): a started cluster where, as in production, a DBA has
# run CREATE EXTENSION and the application connects as an unprivileged role
# "app" that may create tables in public (and so attach triggers to them)
sub app_cluster
{
	my ($name) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->start;
	$node->safe_psql('postgres',
		'CREATE EXTENSION orm_triggers; CREATE ROLE app LOGIN; GRANT CREATE ON SCHEMA public TO app;');
	return $node;
}

# run_node_tap($node, $name, [command...]): runs the command in
# test/orm/node (at most 600 s) with PGHOST/PGPORT of $node, PGUSER app and
# ORMT_ADMIN_USER the cluster's superuser: one test per TAP line it prints
# (named "$name: ..."), its time (diag, like OrmtClient.pm's), and a last
# test that it ran to its end; returns the wall time in seconds
sub run_node_tap
{
	my ($node, $name, $cmd) = @_;
	$cmd = in_dir($cmd);
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGUSER} = 'app';
	local $ENV{PGDATABASE} = 'postgres';
	local $ENV{ORMT_ADMIN_USER} = scalar getpwuid($<);
	my ($out, $err) = ('', '');
	my $start = time;
	my $ran = eval {
		IPC::Run::run($cmd, '<', \undef, '>', \$out, '2>', \$err,
			init => sub { chdir $DIR or die "chdir $DIR: $!" }, IPC::Run::timeout(600));
	};
	my $exc = $@;
	my $seconds = time - $start;
	my ($seen, $planned) = (0, undef);
	foreach my $line (split /\n/, $out)
	{
		if ($line =~ /^(not )?ok \d+ - (.*)$/)
		{
			ok(!defined $1, "$name: $2");
			$seen++;
		}
		elsif ($line =~ /^# (.*)$/)
		{
			diag($1);
		}
		elsif ($line =~ /^1\.\.(\d+)$/)
		{
			$planned = $1;
		}
	}
	diag(sprintf('%s client: %d tests in %.1f s', $name, $seen, $seconds));
	ok($ran && !$exc && $seen > 0 && defined $planned && $planned == $seen, "$name client ran to the end")
	  or diag("exit: " . ($exc || $?) . "\nstdout:\n$out\nstderr:\n$err");
	return $seconds;
}

1;
