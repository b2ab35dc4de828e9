# JPA (EclipseLink, Debian's libeclipselink-java, with libpostgresql-jdbc-java)
# against orm_triggers, as doc/orm/jpa.md sets it up: compiles
# test/orm/jpa/src with the machine's javac into a temp dir, runs
# ormt.JpaTap and relays its TAP lines as tests.
#
# -Xlint:-path: the manifests of Debian's jars name jars of packages not
# installed (Recommends).  pgjdbc cannot use a unix socket, so this node also listens on 127.0.0.1,
# with a random password (scram-sha-256) for TCP connections.
use strict;
use warnings;
use File::Copy ();
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes ();

my ($javac, $java) = ('/usr/bin/javac', '/usr/bin/java');
my @jars = map { "/usr/share/java/$_" }
  qw(eclipselink.jar eclipselink-jpa-2.1-spec.jar postgresql.jar);

my @missing = grep { !-e $_ } ($javac, $java, @jars);
if (@missing)
{
	# test/check installs them; only a hand-run prove gets here
	plan skip_all => "not installed: @missing" unless $ENV{CI};
	BAIL_OUT("CI run without @missing");
}

my $tmp = PostgreSQL::Test::Utils::tempdir;
my $classes = "$tmp/classes";
my $src = 'test/orm/jpa/src';
my $start = Time::HiRes::time();
my ($out, $err) = ('', '');
my @sources = glob("$src/ormt/*.java");
my $compiled = IPC::Run::run([ $javac, '-Xlint:all,-path', '-Werror', '-d', $classes, '-cp',
		join(':', @jars), @sources ], '>', \$out, '2>', \$err);
ok($compiled, 'javac compiles test/orm/jpa/src without warnings') or diag($out . $err);
if (!$compiled)
{
	done_testing();
	exit;
}
mkdir "$classes/META-INF";
File::Copy::copy("$src/META-INF/persistence.xml", "$classes/META-INF/persistence.xml")
  or die "copy persistence.xml: $!";
note('javac: ' . sprintf("%.1f", Time::HiRes::time() - $start) . ' s');

my $node = PostgreSQL::Test::Cluster->new('jpa');
$node->init;
$node->append_conf('postgresql.conf', "listen_addresses = '127.0.0.1'");
my $hba = $node->data_dir . '/pg_hba.conf';
open(my $fh, '>', $hba) or die "$hba: $!";
print $fh "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n";
close $fh;
$node->start;
my $user = $node->safe_psql('postgres', 'SELECT current_user');
my $password = join('', map { ('a' .. 'z', 0 .. 9)[ int(rand(36)) ] } 1 .. 24);
$node->safe_psql('postgres', "ALTER ROLE \"$user\" PASSWORD '$password'");

my $run_start = Time::HiRes::time();
($out, $err) = ('', '');
{
	local $ENV{PGHOST} = '127.0.0.1';
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGUSER} = $user;
	local $ENV{PGPASSWORD} = $password;
	IPC::Run::run([ $java, '-cp', join(':', $classes, @jars), 'ormt.JpaTap' ],
		'>', \$out, '2>', \$err);
}
my ($seen, $plan) = (0, 0);
foreach my $line (split /\n/, $out)
{
	if ($line =~ /^(not )?ok \d+ - (.*)$/)
	{
		ok(!defined $1, "jpa: $2");
		$seen++;
	}
	$plan = $1 if $line =~ /^1\.\.(\d+)$/;
}
ok($seen > 0 && $plan == $seen, "ormt.JpaTap ran to the end ($seen tests)")
  or diag($err);
note('jpa client: ' . sprintf("%.1f", Time::HiRes::time() - $run_start) . ' s; with javac: ' . sprintf("%.1f", Time::HiRes::time() - $start) . ' s');

$node->stop;
done_testing();
