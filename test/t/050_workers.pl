
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
use SyncTest qw(poll_until);
use Time::HiRes qw(time usleep);
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('workers');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'ledger'\nwal_level = logical\nledger.seal_interval = 100ms\n");
$node->start;

# (the postmaster starts it once the server accepts connections)
ok( poll_until(
		$node, "SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher'", 10),
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

# Many ledgers in one database, one of them broken (its row in
# ledger.ledgers deleted by a superuser, so it cannot be sealed): one pass
# seals them all in one transaction, each ledger in a subtransaction of its
# own, reading the work list once; the broken one is reported (a WARNING)
# and left unsealed, the others are sealed, and a later commit is sealed as
# well.
make_ledger_db('many');
$node->safe_psql('many', q{
DO $$ BEGIN FOR i IN 1..40 LOOP
  EXECUTE format('CREATE TABLE m%s (id int, v text)', i);
  PERFORM ledger.create_ledger(format('m%s', i)::regclass);
END LOOP; END $$;
CREATE TABLE broken (id int, v text);
SELECT ledger.create_ledger('broken');
});
my $broken_id = $node->safe_psql('many', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 'broken'::regclass});
$node->safe_psql('many', "CREATE TABLE broken_row AS SELECT * FROM ledger.ledgers WHERE ledger_id = $broken_id");
# a first pass (it writes the work list's marker)
ok(defined time_to_sealed('many', $node->safe_psql('many', "INSERT INTO m1 VALUES (0, 'first') RETURNING ledger_xact"), time, 10),
	'many ledgers: a first commit sealed');
my $many_log = -s $node->logfile;
$node->safe_psql('many',
	join('', map { "INSERT INTO m$_ VALUES ($_, 'one');\n" } 1 .. 20)
	  . "BEGIN; INSERT INTO broken VALUES (2, 'not sealed'); "
	  . "DELETE FROM ledger.ledgers WHERE ledger_id = $broken_id; COMMIT;\n"
	  . join('', map { "INSERT INTO m$_ VALUES ($_, 'one');\n" } 21 .. 40)
	  . join('', map { "INSERT INTO m$_ VALUES ($_, 'two');\n" } 1 .. 40));
my $many_q = q{SELECT count(*) FROM ledger.transaction_blocks WHERE block_no IS NULL AND ledger_id };
ok(poll_until($node, "SELECT ($many_q <> $broken_id) = 0", 10, 'many'),
	'many ledgers: the 80 commits to the 40 good ones sealed');
is($node->safe_psql('many', $many_q . "= $broken_id"), '1', 'many ledgers: the broken one left unsealed');
ok( $node->log_contains(
		"DETAIL:  Ledger ids with no row in ledger.ledgers, and their records waiting on the sealing list: $broken_id \\(1 record\\)",
		$many_log),
	'many ledgers: the sealer\'s WARNING about it is in the log');
# ledger.sealing_status says the same to a DBA: the work waiting for a
# ledger with no row, and the background sealer's error for it
is( $node->safe_psql('many',
		"SELECT coalesce(ledger::text, '-') || ' ' || unsealed_transactions || ' ' || (last_error LIKE '%ledger $broken_id does not exist%') || ' ' || (last_error_at <= clock_timestamp()) FROM ledger.sealing_status WHERE ledger_id = $broken_id"
	),
	'- 1 true true',
	'many ledgers: sealing_status shows the broken one, its unsealed transaction and the sealer\'s error');
is($node->safe_psql('many', "SELECT count(*) FILTER (WHERE last_error IS NOT NULL) || ' of ' || count(*) FROM ledger.sealing_status"),
	'1 of 42', '... and no error for the 41 good ones');
# its row put back: the next pass seals it, and the error is gone
$node->safe_psql('many', "INSERT INTO ledger.ledgers SELECT * FROM broken_row");
$node->safe_psql('many', "INSERT INTO m8 VALUES (8, 'three')");
ok( poll_until(
		$node,
		"SELECT unsealed_transactions = 0 AND last_error IS NULL FROM ledger.sealing_status WHERE ledger_id = $broken_id",
		10, 'many'),
	'many ledgers: its row put back, the broken one is sealed and its error cleared');
$node->safe_psql('many', "INSERT INTO m7 VALUES (7, 'three')");
ok(poll_until($node, "SELECT ($many_q <> $broken_id) = 0", 10, 'many'),
	'many ledgers: sealing goes on after the error');
is($node->safe_psql('many', q{SELECT count(DISTINCT b.ledger_id) FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id)
	WHERE l.relation::text LIKE 'm%' AND b.block_no > 0}), '40',
	'many ledgers: each good ledger has a block');
my $many_v = verify($node, 'many', 'm40');
is($many_v->{ok}, 't', 'many ledgers: verify') or diag($many_v->{problem});
$node->safe_psql('postgres', 'DROP DATABASE many WITH (FORCE)');

# A database dropped while its work is pending: the launcher started a
# sealer for it every ledger.seal_interval, for good (each failing at once,
# "database N does not exist", two log lines a time), and its slot among
# the databases the launcher serves was never freed.  Now it is forgotten.
make_ledger_db('gone');
my $gone_dir = PostgreSQL::Test::Utils::tempdir;
open my $gone_fh, '>', "$gone_dir/w.sql" or die "w.sql: $!";
print $gone_fh "INSERT INTO t (id, v) VALUES (1, 'w');\n";
close $gone_fh;
my $gone_log = -s $node->logfile;
my ($gone_out, $gone_err) = ('', '');
my $gone_load = IPC::Run::start(
	[
		'pgbench', '-n', '-T', '4', '-c', '2', '-f', "$gone_dir/w.sql",
		'-h', $node->host, '-p', $node->port, 'gone'
	],
	'>', \$gone_out, '2>', \$gone_err);
sleep 1;
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE gone WITH (FORCE)');
is($ret, 0, 'a database dropped while it is written') or diag($err);
$gone_load->finish;
sleep 3;
my $fatals = () = slurp_file($node->logfile, $gone_log) =~ /FATAL:  database \d+ does not exist/g;
ok($fatals <= 1,
	"a dropped database: no sealer started for it again and again ($fatals failed starts in 3 s)");

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

# ---------------------------------------------------------------------
# a database whose sessions default to SERIALIZABLE (ALTER DATABASE ...
# SET default_transaction_isolation): the workers took the setting too,
# and a sealer that waited for a ledger's lock then read the chain's head
# with the snapshot from before the wait, writing a block number already
# taken (duplicate key on ledger.blocks, the worker gone until the next
# commit).  The workers run READ COMMITTED whatever the database says,
# and without the database's lock_timeout.
# ---------------------------------------------------------------------
make_ledger_db('ser');
$node->safe_psql('postgres',
	"ALTER DATABASE ser SET default_transaction_isolation = 'serializable'");
# and a lock_timeout for its sessions: a sealer waiting for the ledger
# failed its pass after 200 ms, again every ledger.seal_interval
$node->safe_psql('postgres', "ALTER DATABASE ser SET lock_timeout = '200ms'");
is($node->safe_psql('ser', 'SHOW transaction_isolation'),
	'serializable', 'serializable: the database\'s sessions default to SERIALIZABLE');
my $ser_log = -s $node->logfile;
my $ser_x = $node->safe_psql('ser', "INSERT INTO t (id, v) VALUES (1, 's') RETURNING ledger_xact");
ok(defined time_to_sealed('ser', $ser_x, time, 10), 'serializable: a commit is sealed');
# an open seal() holds the ledger; a commit finds it held; the open seal()
# then seals that commit itself; one more commit; the holder commits: the
# sealer's next pass must see the holder's block
my $holder = $node->background_psql('ser', on_error_stop => 1);
$holder->query_safe('BEGIN ISOLATION LEVEL READ COMMITTED');
$holder->query_safe("SELECT ledger.seal('t')");
$node->safe_psql('ser', "INSERT INTO t (id, v) VALUES (2, 's')");
# sealers of the database waiting for a lock
my $ser_waiting = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'ledger sealer' "
  . "AND datname = 'ser' AND wait_event_type = 'Lock'";
# Since 2026-12-05 a background pass does not wait for a held ledger (DDL
# on a ledger holds its row too, and a pass waiting there held back every
# ledger of the database): it skips it and comes back at the next pass,
# for longer than the database's lock_timeout here.
my $waited = 0;
for (1 .. 20)
{
	$waited += $node->safe_psql('ser', $ser_waiting);
	usleep(50_000);
}
is($waited, 0, 'serializable, lock_timeout: no sealer waits for the ledger held by an open seal()');
is($holder->query_safe("SELECT ledger.seal('t')"), '1', 'serializable: the open seal() seals the commit itself');
$ser_x = $node->safe_psql('ser', "INSERT INTO t (id, v) VALUES (3, 's') RETURNING ledger_xact");
$holder->query_safe('COMMIT');
$holder->quit;
ok(defined time_to_sealed('ser', $ser_x, time, 10),
	'serializable: the commit made while seal() held the ledger is sealed after it');
ok(!$node->log_contains('ERROR', $ser_log),
	'serializable, lock_timeout: no error in the server log (no block number written twice, no lock timeout)');
is($node->safe_psql('ser', 'SELECT string_agg(block_no::text, \',\' ORDER BY block_no) FROM ledger.blocks'),
	'0,1,2,3', 'serializable: genesis and three blocks');
my $ser_v = verify($node, 'ser', 't');
is($ser_v->{ok}, 't', 'serializable: verify') or diag($ser_v->{problem});

# A database set read-only for its sessions (ALTER DATABASE ... SET
# default_transaction_read_only, a way to freeze one): what was committed
# before, or by a session that turned it off, was never sealed, and each
# pass failed with an ERROR in the log, every ledger.seal_interval.
make_ledger_db('ro');
$node->safe_psql('postgres', "ALTER DATABASE ro SET default_transaction_read_only = on");
my $ro_log = -s $node->logfile;
my ($ro_ret, $ro_out, $ro_err) = $node->psql('ro', "INSERT INTO t (id, v) VALUES (1, 'ro')");
like($ro_err, qr/cannot execute INSERT in a read-only transaction/, 'read-only database: sessions cannot write');
my $ro_x = $node->safe_psql('ro',
	"SET default_transaction_read_only = off; INSERT INTO t (id, v) VALUES (2, 'rw') RETURNING ledger_xact");
ok(defined time_to_sealed('ro', $ro_x, time, 10),
	'read-only database: a commit of a session that turned it off is sealed in the background');
# (the test's own sessions are named in the log; the workers are not)
my @ro_errs = grep { /ERROR:/ && !/050_workers\.pl/ }
  split /\n/, slurp_file($node->logfile, $ro_log);
is(scalar @ro_errs, 0, 'read-only database: no sealer error in the server log') or diag($ro_errs[0]);
is($node->safe_psql('ro', "SELECT ledger.digest('t')->>'block'"), '1', 'read-only database: digest() from a read-only session');
my $ro_v = verify($node, 'ro', 't');
is($ro_v->{ok}, 't', 'read-only database: verify');

# More than 128 databases (the places of the launcher's table): it looks at
# every database when it starts, and kept a place for each one for good,
# those without the extension too, so a database with ledgers made later
# found no place and got no background sealing.  Now databases without the
# extension are forgotten once their sealer found none.
$node->safe_psql('postgres', join('', map { "CREATE DATABASE crowd_$_;\n" } 1 .. 130));
$node->restart;
make_ledger_db('late');
my $late_t0 = time;
my $late_sealed;
while (time - $late_t0 < 60 && !defined $late_sealed)
{
	my $x = $node->safe_psql('late', "INSERT INTO t (id, v) VALUES (1, 'late') RETURNING ledger_xact");
	$late_sealed = time_to_sealed('late', $x, time, 2);
}
ok(defined $late_sealed,
	sprintf('more than 128 databases: a ledger database made after the restart is sealed in the background (after %.1f s)',
		time - $late_t0));
my $late_digest = $node->safe_psql('late', "SELECT ledger.digest('t')->>'block'");
ok($late_digest > 0, 'more than 128 databases: digest');
$node->safe_psql('postgres', join('', map { "DROP DATABASE crowd_$_;\n" } 1 .. 130));

# The work list with autovacuum off (for the cluster, or for the list):
# each transaction's entry is deleted when it is sealed, but the space is
# reused only after a VACUUM, so the list grew for good, about one page
# per 157 transactions, and every pass read all of it.  The sealer now
# vacuums the list itself once it has grown past 32 pages, at most once a
# second: its size stays bounded, whatever the number of transactions.
make_ledger_db('novac');
$node->safe_psql('novac', 'ALTER TABLE ledger.seal_queue SET (autovacuum_enabled = false)');
my $nv_dir = PostgreSQL::Test::Utils::tempdir;
open my $nv_fh, '>', "$nv_dir/w.sql" or die "w.sql: $!";
print $nv_fh "INSERT INTO t (id, v) VALUES (1, 'w');\n";
close $nv_fh;
# Two loads of 40,000 single-row transactions, each sealed: without a
# VACUUM the second doubles the list (255 pages or more each: one page per
# 157 entries, 48-byte tuples and their line pointers); vacuumed, it
# reuses the first one's pages.
sub novac_load
{
	my ($out, $err) = ('', '');
	IPC::Run::run(
		[ 'pgbench', '-n', '-t', '10000', '-c', '4', '-f', "$nv_dir/w.sql", '-h', $node->host, '-p', $node->port, 'novac' ],
		'>', \$out, '2>', \$err)
	  or diag($err);
	ok(poll_until($node, "SELECT count(*) = 0 FROM ledger.transaction_blocks WHERE block_no IS NULL", 30, 'novac'),
		'autovacuum off for the work list: 40,000 transactions sealed');
	return split /\|/,
	  $node->safe_psql('novac',
		"SELECT (SELECT count(*) FROM ledger.transactions), pg_relation_size('ledger.seal_queue') / 8192");
}
my ($nv_tx1, $nv_pages1) = novac_load();
my ($nv_tx2, $nv_pages2) = novac_load();
note "work list: $nv_pages1 pages after $nv_tx1 transactions, $nv_pages2 after $nv_tx2";
cmp_ok($nv_tx2, '>=', 80000, 'autovacuum off for the work list: the transactions are there');
# Unvacuumed, the list holds every entry ever made: one page per 157, 510
# pages or more after 80,000.  Vacuumed, it holds what is unsealed at a
# time, which depends on the machine's speed (72 then 134 pages in a run
# with another TAP file beside it, where 1.5 x the first load, the bound
# here before, failed): half the unvacuumed size is the bound.
cmp_ok($nv_pages2, '<', $nv_tx2 / 157 / 2,
	'autovacuum off for the work list: the list stays under half its size without VACUUM (the sealer vacuums it)');
is($node->safe_psql('novac', "SELECT autovacuum_count FROM pg_stat_all_tables WHERE relid = 'ledger.seal_queue'::regclass"),
	'0', '... and autovacuum did not');
cmp_ok($node->safe_psql('novac', "SELECT vacuum_count FROM pg_stat_all_tables WHERE relid = 'ledger.seal_queue'::regclass"),
	'>', 0, '... the sealer did');
my $nv_v = verify($node, 'novac', 't');
is($nv_v->{ok}, 't', 'autovacuum off for the work list: verify') or diag($nv_v->{problem});
$node->safe_psql('postgres', 'DROP DATABASE novac WITH (FORCE)');

# No background worker slot free for a sealer (max_worker_processes taken
# by other workers, parallel query for one): nothing was sealed and the
# server log said nothing of why.  Now a WARNING, at most once a minute;
# seal() still seals.
$node->append_conf('postgresql.conf', "max_worker_processes = 2\n");
my $slots_log = -s $node->logfile;
$node->restart;
ok( poll_until(
		$node,
		"SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type IN ('logical replication launcher', 'ledger sealer launcher')",
		10),
	'no slot free: the two launchers take both background worker slots');
my $slots_x = $node->safe_psql('one', "INSERT INTO t (id, v) VALUES (1, 'no slot') RETURNING ledger_xact");
my $slots_warned;
for (1 .. 100)
{
	$slots_warned = $node->log_contains('WARNING:  out of background worker slots', $slots_log);
	last if $slots_warned;
	usleep(100_000);
}
ok($slots_warned, 'no slot free: the launcher says so in the log');
ok($node->log_contains('HINT:  You might need to increase "max_worker_processes"', $slots_log),
	'no slot free: with a hint');
sleep 2;
my $slots_n = () = slurp_file($node->logfile, $slots_log) =~ /out of background worker slots/g;
is($slots_n, 1, 'no slot free: said once, not at each retry');
ok(!defined time_to_sealed('one', $slots_x, time, 0.5), 'no slot free: the commit is not sealed in the background');
is($node->safe_psql('one', "SELECT ledger.seal('t')"), '1', 'no slot free: seal() seals it');
ok(defined time_to_sealed('one', $slots_x, time, 1), 'no slot free: sealed');

# the server log has no errors from the workers
my $log = slurp_file($node->logfile);
my @errs = grep { /ledger/i && /(ERROR|FATAL|PANIC)/ && !/due to administrator command/ && !/ledger $broken_id does not exist/ } split /\n/, $log;
is(scalar @errs, 0, 'no ledger worker errors in the server log')
  or diag(join("\n", @errs[ 0 .. ($#errs < 9 ? $#errs : 9) ]));

$node->stop;
done_testing();
