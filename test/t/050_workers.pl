
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# The sealer workers: commits are sealed without anyone calling seal(),
# several databases are served, DROP DATABASE and CREATE DATABASE ...
# TEMPLATE of a ledger database work soon after writes stop, and a
# database without the extension is left alone.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use Time::HiRes qw(time usleep);

my $node = PostgreSQL::Test::Cluster->new('workers');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'ledger'\nwal_level = logical\nledger.seal_interval = 100ms\n");
$node->start;

is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher'"),
	1,
	'the launcher runs');

sub make_ledger_db
{
	my $db = shift;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql(
		$db, q{
CREATE EXTENSION ledger;
CREATE TABLE t (id int, v text);
SELECT ledger.create_ledger('t');
});
}

# Seconds until transaction $xact of ledger t in $db is sealed, or undef.
sub time_to_sealed
{
	my ($db, $xact, $t0, $limit) = @_;
	while (time - $t0 < $limit)
	{
		return time - $t0
		  if $node->safe_psql($db,
			"SELECT count(*) FROM ledger.transaction_blocks WHERE xact_id = $xact AND block_no IS NOT NULL"
		  ) == 1;
		usleep(20_000);
	}
	return undef;
}


# ---------------------------------------------------------------------
# commit to sealed, without ledger.seal(), in two databases
# ---------------------------------------------------------------------
make_ledger_db('one');
make_ledger_db('two');
my @lat;
for my $i (1 .. 5)
{
	for my $db ('one', 'two')
	{
		my $t0 = time;
		my $xact = $node->safe_psql($db,
			"INSERT INTO t (id, v) VALUES ($i, 'x') RETURNING ledger_xact");
		my $took = time_to_sealed($db, $xact, $t0, 5);
		ok(defined $took, "$db: commit $i sealed by the worker within 5 s");
		push @lat, $took // 99;
		# let the per-database sealer go idle now and then, so that both a
		# running sealer and a freshly launched one are measured
		sleep 2 if $i == 3 && $db eq 'two';
	}
}
@lat = sort { $a <=> $b } @lat;
note sprintf('commit-to-sealed: min %.3f s, median %.3f s, max %.3f s',
	$lat[0], $lat[ $#lat / 2 ], $lat[-1]);
ok($lat[-1] < 5, 'every commit sealed in under 5 s');
verify_ok($node, 'one', 't', undef, 'database one' . ': verify ok');
verify_ok($node, 'two', 't', undef, 'database two' . ': verify ok');

# ---------------------------------------------------------------------
# DROP DATABASE of a ledger database soon after writes stop
# ---------------------------------------------------------------------
make_ledger_db('victim');
$node->safe_psql('victim',
	join('', map { "INSERT INTO t (id, v) VALUES ($_, 'w');\n" } 1 .. 300));
my $t0 = time;
my ($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE victim');
my $took = time - $t0;
is($ret, 0, 'DROP DATABASE of a database with a ledger, right after writes, succeeds')
  or diag($err);
note sprintf('DROP DATABASE took %.2f s', $took);
ok($took < 4, 'DROP DATABASE did not wait on the sealer for long')
  or diag(sprintf('took %.2f s', $took));

# a sealer still busy must not hold the database either: drop while the
# writes are only just committed, retrying for a few seconds
make_ledger_db('victim2');
$node->safe_psql('victim2',
	"INSERT INTO t (id, v) SELECT g, 'bulk' FROM generate_series(1, 20000) g;\n"
	  . join('', map { "INSERT INTO t (id, v) VALUES ($_, 'w');\n" } 1 .. 100));
$t0 = time;
my $dropped = 0;
while (time - $t0 < 10)
{
	($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE victim2');
	if ($ret == 0) { $dropped = 1; last; }
	usleep(200_000);
}
ok($dropped, 'DROP DATABASE works within a few seconds after writes stop')
  or diag($err);
note sprintf('second DROP DATABASE done after %.2f s', time - $t0);

# CREATE DATABASE ... TEMPLATE of a ledger database right after writes
make_ledger_db('tmpl');
$node->safe_psql('tmpl', join('', map { "INSERT INTO t (id, v) VALUES ($_, 't');\n" } 1 .. 50));
$t0 = time;
my $copied = 0;
while (time - $t0 < 10)
{
	($ret, $out, $err) = $node->psql('postgres', 'CREATE DATABASE tmpl_copy TEMPLATE tmpl');
	if ($ret == 0) { $copied = 1; last; }
	usleep(200_000);
}
ok($copied, 'CREATE DATABASE ... TEMPLATE of a ledger database works soon after writes')
  or diag($err);
note sprintf('CREATE DATABASE TEMPLATE done after %.2f s', time - $t0);
verify_ok($node, 'tmpl_copy', 't', undef, 'copy of the template' . ': verify ok') if $copied;

# after the drops, the workers keep serving the remaining databases
{
	my $t1 = time;
	my $xact = $node->safe_psql('one', "INSERT INTO t (id, v) VALUES (100, 'after drop') RETURNING ledger_xact");
	ok(defined time_to_sealed('one', $xact, $t1, 5), 'sealing continues after databases were dropped');
}
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher'"),
	1,
	'the launcher is still running after the drops');

# ---------------------------------------------------------------------
# a database without the extension is not disturbed
# ---------------------------------------------------------------------
$node->safe_psql('postgres', 'CREATE DATABASE plain');
$node->safe_psql('plain', 'CREATE TABLE p (id int); INSERT INTO p SELECT generate_series(1, 1000);');
# keep ledger work going elsewhere meanwhile, then sample the workers
my $seen_plain = 0;
for my $i (1 .. 10)
{
	$node->safe_psql('one', "INSERT INTO t (id, v) VALUES ($i, 'busy')");
	$node->safe_psql('plain', "INSERT INTO p VALUES ($i)");
	$seen_plain += $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE datname = 'plain' AND backend_type LIKE 'ledger%'");
	usleep(100_000);
}
is($seen_plain, 0, 'no ledger worker ever connects to a database without the extension');
is($node->safe_psql('plain', "SELECT count(*) FROM pg_namespace WHERE nspname = 'ledger'"),
	0, 'nothing was created in the database without the extension');
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE plain');
is($ret, 0, 'the database without the extension drops at once') or diag($err);

# At start the launcher marks every database pending: its sealers must not
# sit in databases without the extension, e.g. template1, which
# CREATE DATABASE copies and which must then have no other connections.
$node->restart;
($ret, $out, $err) = $node->psql('postgres', 'CREATE DATABASE right_after_start');
is($ret, 0, 'CREATE DATABASE (from template1) right after a restart works') or diag($err);
my $wk = $node->safe_psql('postgres',
	"SELECT string_agg(datname, ',') FROM pg_stat_activity WHERE backend_type = 'ledger sealer' "
	  . "AND datname NOT IN ('one', 'two', 'tmpl', 'tmpl_copy')");
is($wk, '', 'no sealer connected to a database without the extension after a restart');

# the server log has no errors from the workers
my $log = slurp_file($node->logfile);
my @errs = grep { /ledger/i && /(ERROR|FATAL|PANIC)/ && !/due to administrator command/ } split /\n/, $log;
is(scalar @errs, 0, 'no ledger worker errors in the server log')
  or diag(join("\n", @errs[ 0 .. ($#errs < 9 ? $#errs : 9) ]));

$node->stop;
done_testing();
