
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Crash: an immediate shutdown under write load.  After restart every
# acknowledged row is there, the background sealer seals what was left
# unsealed without anyone calling ledger.seal(), and verify passes.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest qw(verify);
use IPC::Run;
use Time::HiRes qw(time usleep);

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'ledger'\nwal_level = logical\nledger.seal_interval = 100ms\n");
$node->start;
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION ledger;
CREATE TABLE acked (id int NOT NULL, note text);
SELECT ledger.create_ledger('acked');
CREATE TABLE load (client int, v float8);
INSERT INTO load VALUES (0, 0);
SELECT ledger.create_ledger('load');
});

my $dir = PostgreSQL::Test::Utils::tempdir;


sub unsealed
{
	return $node->safe_psql('postgres',
		'SELECT count(*) FROM ledger.transaction_blocks WHERE block_no IS NULL');
}

# Wait (at most $secs) for the sealer to leave nothing unsealed, without
# calling ledger.seal().  Returns the seconds it took, or undef.
sub wait_sealed
{
	my $secs = shift;
	my $t0 = time;
	while (time - $t0 < $secs)
	{
		return time - $t0 if unsealed() == 0;
		usleep(100_000);
	}
	return undef;
}

# A writer: psql running single-row autocommit INSERTs with increasing ids;
# an id is acknowledged once psql has printed it (after the commit).
sub start_writer
{
	my ($from, $out) = @_;
	my $file = "$dir/writer_$from.sql";
	open my $fh, '>', $file or die "open $file: $!";
	print $fh "INSERT INTO acked (id, note) VALUES ($_, 'w') RETURNING id;\n"
	  for $from .. $from + 200_000;
	close $fh;
	return IPC::Run::start(
		[
			'psql', '-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', $node->host,
			'-p', $node->port, '-d', 'postgres', '-f', $file
		],
		'>', $out, '2>', \my $err);
}

sub start_pgbench
{
	my $script = "$dir/load.sql";
	open my $fh, '>', $script or die "open $script: $!";
	print $fh "INSERT INTO load (client, v) VALUES (:client_id, random());\n"
	  . "INSERT INTO load (client, v) VALUES (:client_id, random());\n";
	close $fh;
	return IPC::Run::start(
		[
			'pgbench', '-n', '-T', '30', '-c', '4', '-j', '2', '-R', '3000', '-f', $script,
			'-h', $node->host, '-p', $node->port, 'postgres'
		],
		'>', \my $out, '2>', \my $err);
}

# Check after a crash and restart; $first_id..$last_acked must be present.
sub check_after_crash
{
	my ($name, $first_id, $out) = @_;
	my @ids = grep { /^\d+$/ } split /\n/, $$out;
	my $last = @ids ? $ids[-1] : $first_id - 1;
	ok($last >= $first_id, "$name: the writer had acknowledged rows (last id $last)");
	is( $node->safe_psql('postgres',
			"SELECT count(DISTINCT id) FROM acked WHERE id BETWEEN $first_id AND $last"),
		$last - $first_id + 1,
		"$name: every acknowledged row is present");
	my $beyond = $node->safe_psql('postgres', "SELECT count(*) FROM acked WHERE id > $last");
	ok($beyond <= 1, "$name: at most the one in-flight row beyond the last acknowledged ($beyond)");

	my $took = wait_sealed(30);
	ok(defined $took, "$name: the sealer sealed everything by itself within 30 s")
	  or diag('still unsealed: ' . unsealed());
	note sprintf("%s: sealed after %.2f s", $name, $took // -1);
	for my $t ('acked', 'load')
	{
		my $v = verify($node, 'postgres', $t);
		is($v->{ok}, 't', "$name: $t verifies") or diag($v->{problem});
		is($v->{rows}, $node->safe_psql('postgres', "SELECT count(*) FROM $t"),
			"$name: $t verify checked count(*) rows");
		is($v->{unsealed}, 0, "$name: $t has no unsealed transactions");
	}
	return $last;
}

# ---------------------------------------------------------------------
# 1. Realistic: sealer at 100 ms, pgbench load plus the acknowledging
#    writer, immediate shutdown after about 5 s.
# ---------------------------------------------------------------------
my $out1 = '';
my $writer = start_writer(1, \$out1);
my $pgbench = start_pgbench();
sleep 5;
note 'unsealed before the crash: ' . unsealed();
$node->stop('immediate');
$writer->finish;
$pgbench->finish;
$node->start;
my $last = check_after_crash('crash under load', 1, \$out1);

# ---------------------------------------------------------------------
# 2. Deterministic leftovers: with a 1 h seal interval the running sealer
#    seals once and then sleeps, so committed work is unsealed when the
#    server crashes; after a restart (interval back to 100 ms) the launcher
#    must find it by itself.
# ---------------------------------------------------------------------
$node->append_conf('postgresql.conf', "ledger.seal_interval = '1h'\n");
$node->reload;
my $first2 = $last + 10;
$node->safe_psql('postgres', "INSERT INTO acked (id, note) VALUES ($first2 - 1, 'setup')");
sleep 1;
my $out2 = '';
$writer = start_writer($first2, \$out2);
$pgbench = start_pgbench();
sleep 3;
my $left = unsealed();
ok($left > 0, "committed but unsealed transactions exist at the crash ($left)");
$node->stop('immediate');
$writer->finish;
$pgbench->finish;
$node->adjust_conf('postgresql.conf', 'ledger.seal_interval', '100ms');
$node->start;
check_after_crash('crash with unsealed work', $first2, \$out2);

# sealing keeps working for new commits
$node->safe_psql('postgres', "INSERT INTO acked (id, note) VALUES (-1, 'after restart')");
ok(defined wait_sealed(5), 'a commit after the restart is sealed within 5 s');
my $v = verify($node, 'postgres', 'acked');
is($v->{ok}, 't', 'acked verifies at the end') or diag($v->{problem});

# ---------------------------------------------------------------------
# 3. A crash with a long history: the rebuild of the sealer's list (it is
#    unlogged, so a crash empties it) must be one pass over the records and
#    the blocks' lists.  Planned as a nested loop, it joined each record
#    with every block's list: with 40,000 transactions in 40 blocks that is
#    minutes, during which nothing is sealed (found 2026-12-04 on a
#    catalog of 1.9 million records, where it ran for hours).
# ---------------------------------------------------------------------
$node->append_conf('postgresql.conf', "ledger.block_max_transactions = 1000\n");
$node->reload;
my $one = "$dir/one.sql";
open my $fh1, '>', $one or die "open $one: $!";
print $fh1 "INSERT INTO load (client, v) VALUES (:client_id, random());\n";
close $fh1;
my ($pgb_out, $pgb_err) = ('', '');
IPC::Run::run(
	[
		'pgbench', '-n', '-t', '10000', '-c', '4', '-j', '2', '-f', $one,
		'-h', $node->host, '-p', $node->port, 'postgres'
	],
	'>', \$pgb_out, '2>', \$pgb_err) or diag("pgbench: $pgb_err");
ok(defined wait_sealed(60), 'long history: 40,000 more transactions sealed');
my $records = $node->safe_psql('postgres', 'SELECT count(*) FROM ledger.transactions');
my $blocks = $node->safe_psql('postgres', 'SELECT count(*) FROM ledger.blocks');
note "records $records, blocks $blocks";
ok($records > 40_000 && $blocks > 40, "long history: $records records in $blocks blocks");
# statistics as autovacuum leaves them on a catalog this size (the plan that
# joined each record with every block's list came from these)
$node->safe_psql('postgres', 'ANALYZE ledger.transactions, ledger.blocks, ledger.replicas');
$node->stop('immediate');
$node->start;
$node->safe_psql('postgres', "INSERT INTO acked (id, note) VALUES (-2, 'after a crash with a long history')");
my $took = wait_sealed(30);
ok(defined $took, 'long history: after the crash, a new commit is sealed within 30 s (the list rebuilt in one pass)');
note sprintf('sealed %.1f s after the restart', $took) if defined $took;
$v = verify($node, 'postgres', 'load');
is($v->{ok}, 't', 'long history: load verifies') or diag($v->{problem});

# ---------------------------------------------------------------------
# 4. Transactions prepared before a crash.  A prepared transaction's entry
#    on the sealer's list is written at PREPARE, into the unlogged list that
#    the crash empties; its record stays invisible to the rebuild until
#    COMMIT PREPARED.  Committed after the rebuild, its rows were never
#    sealed (found 2026-12-04): the rebuild now watches the transactions
#    prepared when it runs and rebuilds again once one has committed.
#    Through two crashes: q3 is still prepared at the second.
# ---------------------------------------------------------------------
$node->append_conf('postgresql.conf', "max_prepared_transactions = 5\n");
$node->restart;
$node->safe_psql(
	'postgres', q{
BEGIN; INSERT INTO acked (id, note) VALUES (-101, 'q1'), (-102, 'q1'); PREPARE TRANSACTION 'q1';
BEGIN; INSERT INTO acked (id, note) VALUES (-103, 'q2'); PREPARE TRANSACTION 'q2';
BEGIN; INSERT INTO acked (id, note) VALUES (-104, 'q3'); PREPARE TRANSACTION 'q3';
BEGIN; INSERT INTO load (client, v) VALUES (-1, 0); PREPARE TRANSACTION 'q4';
});
$node->stop('immediate');
$node->start;
is( $node->safe_psql('postgres', 'SELECT string_agg(gid, \',\' ORDER BY gid) FROM pg_prepared_xacts'),
	'q1,q2,q3,q4', 'prepared: the four transactions survive the crash');
# a commit after the restart: once it is sealed, the list has been rebuilt
$node->safe_psql('postgres', "INSERT INTO acked (id, note) VALUES (-105, 'after the crash')");
ok(defined wait_sealed(30), 'prepared: a commit after the restart is sealed (the list rebuilt)');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ledger.seal_queue WHERE ledger_id = 0 AND xact_id <> 0'),
	'4', 'prepared: the rebuild watches the four prepared transactions');
$node->safe_psql('postgres', "COMMIT PREPARED 'q1'; ROLLBACK PREPARED 'q2'; COMMIT PREPARED 'q4';");
# COMMIT PREPARED announces nothing to the sealer; the next commit does
$node->safe_psql('postgres', "INSERT INTO acked (id, note) VALUES (-106, 'after commit prepared')");
ok(defined wait_sealed(30),
	'prepared: rows of transactions prepared before the crash and committed after the rebuild are sealed');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ledger.transaction_blocks tb
	JOIN ledger.ledgers l USING (ledger_id)
	WHERE l.relation = 'acked'::regclass AND tb.block_no IS NOT NULL
	AND tb.xact_id IN (SELECT ledger_xact FROM acked WHERE id IN (-101, -102))}),
	'1', 'prepared: q1 is in a block');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ledger.seal_queue WHERE ledger_id = 0 AND xact_id <> 0'),
	'1', 'prepared: only q3, still prepared, is watched after the second rebuild');
ok($node->log_contains('a transaction prepared before the sealing list of database "postgres" was rebuilt has ended'),
	'prepared: the second rebuild is logged');
# a second crash with q3 still prepared: watched again by the next rebuild
$node->stop('immediate');
$node->start;
$node->safe_psql('postgres', "INSERT INTO acked (id, note) VALUES (-107, 'after the second crash')");
ok(defined wait_sealed(30), 'prepared: sealing after the second crash');
$node->safe_psql('postgres', "COMMIT PREPARED 'q3'");
$node->safe_psql('postgres', "INSERT INTO acked (id, note) VALUES (-108, 'after q3')");
ok(defined wait_sealed(30), 'prepared: q3, prepared across two crashes, is sealed once committed');
is($node->safe_psql('postgres', q{SELECT string_agg(id::text, ',' ORDER BY id DESC) FROM acked WHERE id BETWEEN -108 AND -101}),
	'-101,-102,-104,-105,-106,-107,-108', 'prepared: the committed rows are there, the rolled back one is not');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ledger.seal_queue WHERE ledger_id = 0 AND xact_id <> 0'),
	'0', 'prepared: nothing watched once no transaction is prepared');
$v = verify($node, 'postgres', 'acked');
is($v->{ok}, 't', 'prepared: acked verifies') or diag($v->{problem});
$v = verify($node, 'postgres', 'load');
is($v->{ok}, 't', 'prepared: load verifies') or diag($v->{problem});

ok(!$node->log_contains('(PANIC|TRAP|server process .* was terminated by signal)'),
	'no PANIC, assertion failure or crashed backend in the server log');

$node->stop;
done_testing();
