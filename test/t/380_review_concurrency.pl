
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Faults a review of concurrency and transaction semantics reproduced on
# 2026-12-05, each failing here against the code before:
#  1. SELECT * FROM ledger.verify(t, ledger.digest(t)): digest() had a block
#     sealed after the statement's snapshot, verify() read the catalog under
#     that snapshot and reported the block removed (tampering, on an honest
#     ledger); consistency_proof and prove given such a digest refused it.
#  2. A writer committing while drop_ledger() ran (it deleted the history,
#     then waited for the table): the writer's record and work-list entry
#     stayed, for a ledger that no longer exists, and seal() failed for
#     every ledger of the database from then on.
#  3. A REPEATABLE READ transaction whose snapshot predated create_ledger()
#     looked the new ledger up under that snapshot and cached "not a
#     ledger" for the rest of the session: its inserts were refused.
#  4. Without a background sealer, digest() of a ledger another session
#     held left its one-shot sealer waiting for the lock after its own wait
#     ran out: eight such calls took every background worker slot.
#  5. digest() of a ledger dropped while it waited for the sealer ended
#     with XX001 "ledger N has no block" (data corrupted): 42P01, the
#     ledger was dropped.
#  6. Records of a ledger that no longer exists (left by a writer that
#     committed during drop_ledger() before the fix of 2, or by a
#     superuser) stayed: seal() of every ledger failed ("ledger N does not
#     exist"), and the sealer's rebuild of its work list (after a crash,
#     or records loaded by a statement) refused the whole database, so no
#     ledger was sealed any more.  Now they are skipped, kept, and named
#     in one WARNING per pass.
#  7. (an operations review on 2026-12-06) A ledger whose block 0, the
#     genesis, was deleted (a superuser, a partial restore): the sealer
#     wrote a new genesis over its next transactions (no block left) or
#     chained on from a history that starts nowhere, and after a crash the
#     work list's rebuild took it for a half-restored catalog and sealed no
#     ledger of the database any more.  Now it is skipped, kept unsealed,
#     named in one WARNING (XX001) per pass and in sealing_status, and
#     verify() reports it; digest() of it is XX001 at once (it waited
#     ledger.digest_wait, then described a chain that starts nowhere).

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use LedgerTest;
use SyncTest qw(poll_until);

my $node = ledger_node('conc', conf => "max_prepared_transactions = 5\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE t (id int PRIMARY KEY, v text);
	SELECT ledger.create_ledger('t');
});

# ---------- 1. a digest made in the statement that uses it ----------
# (on a server without a background sealer, so that digest() seals within
# the statement; a background pass usually sealed the commit before it)
my $m = ledger_node('manual', conf => "ledger.sealer = off\nmax_worker_processes = 8\n");
$m->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE t (id int PRIMARY KEY, v text);
	SELECT ledger.create_ledger('t');
});
my $old = $m->safe_psql('postgres', "INSERT INTO t VALUES (1, 'a'); SELECT ledger.digest('t')");
for my $i (2 .. 4)
{
	$m->safe_psql('postgres', "INSERT INTO t VALUES ($i, 'x')");
	my $r = $m->safe_psql('postgres',
		"SELECT ok, coalesce(problem, '') FROM ledger.verify('t', ledger.digest('t'))");
	is($r, 't|', "verify(t, digest(t)) in one statement passes (insert $i)");
}
$m->safe_psql('postgres', "INSERT INTO t VALUES (5, 'y')");
my ($ret, $out, $err) = $m->psql('postgres',
	"SELECT ledger.consistency_proof('t', '$old', ledger.digest('t')) ->> 'new_size'");
is($ret, 0, 'consistency_proof(t, old, digest(t)) in one statement: no error') or diag($err);
my $x = $m->safe_psql('postgres', "INSERT INTO t VALUES (6, 'z') RETURNING ledger_xact");
($ret, $out, $err) = $m->psql('postgres',
	"SELECT ledger.prove('t', $x, 0, (ledger.digest('t') ->> 'block')::int8) ->> 'proof_version'");
is($out, '2', 'prove(t, x, s, digest(t) block) in one statement: a proof') or diag($err);

# ---------- 2. drop_ledger() while a writer commits ----------
$node->safe_psql('postgres', q{
	CREATE TABLE d1 (id int PRIMARY KEY, v text);
	SELECT ledger.create_ledger('d1');
	INSERT INTO d1 VALUES (1, 'x');
});
my $d1 = $node->safe_psql('postgres', "SELECT ledger_id FROM ledger.ledgers WHERE relation = 'd1'::regclass");
my $writer = $node->background_psql('postgres', on_error_stop => 1);
$writer->query_safe("BEGIN; INSERT INTO d1 VALUES (2, 'y')");
my $dropper = $node->background_psql('postgres', on_error_stop => 1);
$dropper->query_until(qr/dropping/, "\\echo dropping\nSELECT ledger.drop_ledger('d1');\n");
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%drop_ledger%' AND wait_event_type = 'Lock'")
  or diag('drop_ledger did not wait');
$writer->query_safe('COMMIT');
$dropper->query_safe('SELECT 1');
$writer->quit;
$dropper->quit;
is($node->safe_psql('postgres', "SELECT to_regclass('d1') IS NULL"), 't', 'drop_ledger: the table is dropped');
is($node->safe_psql('postgres',
		"SELECT (SELECT count(*) FROM ledger.transactions WHERE ledger_id = $d1) "
	  . "+ (SELECT count(*) FROM ledger.seal_queue WHERE ledger_id = $d1)"),
	'0', 'drop_ledger: the record of the transaction that committed while it waited is gone too');
($ret, $out, $err) = $node->psql('postgres', 'SELECT ledger.seal()');
is($ret, 0, 'seal() of every ledger still works') or diag($err);
$node->safe_psql('postgres', "INSERT INTO t VALUES (1, 'after')");
is($node->safe_psql('postgres', "SELECT ok FROM ledger.verify('t', ledger.digest('t'))"), 't',
	'the other ledger is sealed and verifies');
($ret, $out, $err) = $node->psql('postgres', q{
	CREATE TABLE d2 (id int PRIMARY KEY);
	SELECT ledger.create_ledger('d2');
	BEGIN ISOLATION LEVEL REPEATABLE READ;
	SELECT ledger.drop_ledger('d2');
});
like($err, qr/cannot drop a ledger in a REPEATABLE READ or SERIALIZABLE transaction/,
	'drop_ledger refuses REPEATABLE READ');

# ---------- 3. a REPEATABLE READ snapshot older than the ledger ----------
$node->safe_psql('postgres', 'CREATE TABLE rc (id int PRIMARY KEY, v text)');
my $w = $node->background_psql('postgres', on_error_stop => 0);
$w->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1');
$node->safe_psql('postgres', "SELECT ledger.create_ledger('rc')");
my $res = $w->query("INSERT INTO rc VALUES (2, 'rr')");
is($w->{stderr}, '', 'REPEATABLE READ snapshot older than the ledger: the insert is hashed, not refused')
  or diag($w->{stderr});
$w->{stderr} = '';
$w->query_safe('COMMIT');
$res = $w->query("INSERT INTO rc VALUES (3, 'rc')");
is($w->{stderr}, '', '... and the session\'s later inserts too') or diag($w->{stderr});
$w->quit;
is($node->safe_psql('postgres', "SELECT ok FROM ledger.verify('rc', ledger.digest('rc'))"), 't',
	'... and the ledger verifies');
is($node->safe_psql('postgres', 'SELECT count(*) FROM rc'), '2', '... with both rows');

# ---------- 4. digest() without a background sealer, ledger held ----------
$m->safe_psql('postgres', q{
	CREATE TABLE ow (id int PRIMARY KEY);
	SELECT ledger.create_ledger('ow');
	INSERT INTO ow VALUES (1);
});
my $holder = $m->background_psql('postgres', on_error_stop => 1);
$holder->query_safe("BEGIN; SELECT ledger.seal('ow')");
$m->safe_psql('postgres', 'INSERT INTO ow VALUES (2)');
for my $i (1 .. 4)
{
	($ret, $out, $err) = $m->psql('postgres', "SET ledger.digest_wait = '100ms'; SELECT ledger.digest('ow') ->> 'block'");
	like($err, qr/could not seal ledger "ow" within 100 ms/, "held ledger, digest $i: the NOTICE says so");
}
usleep(500_000);
is($m->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'ledger sealer'"),
	'0', 'no one-shot sealer is left waiting for the lock');
$holder->query_safe('COMMIT');
$holder->quit;
is($m->safe_psql('postgres', "SELECT ok FROM ledger.verify('ow', ledger.digest('ow'))"), 't',
	'released: digest() seals and the ledger verifies');

# ---------- 5. digest() of a ledger dropped while it waits ----------
# A holder's open seal() keeps the background sealer off the ledger, so
# digest() waits; drop_ledger() waits for the holder, then drops it.
# When the holder commits, the background sealer can still take the row
# before drop_ledger() does (it was waiting first; seen under -j3 on a loaded
# machine): digest() then returns the sealed digest before the drop, which
# is right but not what this part is for.  So up to five tries, each of which
# must end one of the two right ways, and one of which must see the drop.
my ($dropped_seen, @wrong);
for my $try (1 .. 5)
{
	my $t = "dd$try";
	$node->safe_psql('postgres', qq{
		CREATE TABLE $t (id int PRIMARY KEY);
		SELECT ledger.create_ledger('$t');
	});
	# The work list rebuilt first: a seal() that rebuilds it holds its lock
	# to the end of the transaction, and drop_ledger() takes that lock
	# before the ledger's row (480_crash_review part 4), so behind a holder
	# that rebuilt, the drop would wait for the list instead of the row.
	$node->safe_psql('postgres', 'SELECT ledger.seal()');
	$holder = $node->background_psql('postgres', on_error_stop => 1);
	$holder->query_safe("BEGIN; SELECT ledger.seal('$t')");
	$node->safe_psql('postgres', "INSERT INTO $t VALUES (1)");
	my $digester = $node->background_psql('postgres', on_error_stop => 0);
	$digester->query_safe("\\set VERBOSITY verbose\nSET ledger.digest_wait = '10s'");
	$digester->query_until(qr/digesting/, "\\echo digesting\nSELECT ledger.digest('$t');\n");
	$dropper = $node->background_psql('postgres', on_error_stop => 1);
	$dropper->query_until(qr/dropping/, "\\echo dropping\nSELECT ledger.drop_ledger('$t');\n");
	$node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%drop_ledger(''$t'')%' AND wait_event_type = 'Lock' AND wait_event IN ('transactionid', 'tuple')")
	  or diag('drop_ledger did not wait for the ledger\'s row');
	usleep(200_000);
	$holder->query_safe('COMMIT');
	$dropper->query_safe('SELECT 1');
	$digester->query('SELECT 1');
	my ($err, $out) = ($digester->{stderr}, $digester->{stdout});
	$holder->quit;
	$dropper->quit;
	$digester->quit;
	if ($err =~ /ERROR:  42P01: ledger "$t" was dropped while its digest was taken/)
	{
		$dropped_seen = $try;
		last;
	}
	# the sealer took the row first: a digest of the sealed ledger, no error
	push @wrong, "try $try: $err" unless $err !~ /ERROR/ && $out =~ /"ledger": "public\.$t"/;
	note("try $try: the background sealer sealed $t before the drop");
}
is_deeply(\@wrong, [], 'digest() of a ledger dropped while it waited: the sealed digest or an error, never XX001');
ok($dropped_seen, 'digest() of a ledger dropped while it waited: 42P01, dropped, not XX001');


# ---------- 6. records of a ledger that no longer exists ----------
# Made as the race of 2 made them before its fix: drop_ledger()'s body of
# then (the history deleted first, then the table's lock) while a writer
# holds rows in the table; the writer commits while it waits for the lock.
$node->safe_psql('postgres', q{
	CREATE TABLE o1 (id int PRIMARY KEY, v text);
	SELECT ledger.create_ledger('o1');
	INSERT INTO o1 VALUES (1, 'x');
	CREATE TABLE o2 (id int PRIMARY KEY, v text);
	SELECT ledger.create_ledger('o2');
	INSERT INTO o2 VALUES (1, 'x');
});
my $o1 = $node->safe_psql('postgres', "SELECT ledger_id FROM ledger.ledgers WHERE relation = 'o1'::regclass");
$writer = $node->background_psql('postgres', on_error_stop => 1);
$writer->query_safe("BEGIN; INSERT INTO o1 VALUES (2, 'y')");
$dropper = $node->background_psql('postgres', on_error_stop => 1);
$dropper->query_until(qr/dropping/, "\\echo dropping\n" . qq{DO \$\$ BEGIN
	DELETE FROM ledger.seal_queue WHERE ledger_id = $o1;
	DELETE FROM ledger.history_tiles WHERE ledger_id = $o1;
	DELETE FROM ledger.transactions WHERE ledger_id = $o1;
	DELETE FROM ledger.blocks WHERE ledger_id = $o1;
	DELETE FROM ledger.ledgers WHERE ledger_id = $o1;
	DROP TABLE o1;
END \$\$;
});
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '%DROP TABLE o1%' AND wait_event_type = 'Lock'")
  or diag('the drop did not wait');
$writer->query_safe('COMMIT');
$dropper->query_safe('SELECT 1');
$writer->quit;
$dropper->quit;
is( $node->safe_psql('postgres',
		"SELECT count(*) || ' ' || count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ledger.seal_queue q "
		  . "WHERE q.ledger_id = t.ledger_id AND q.xact_id = t.xact_id)) FROM ledger.transactions t WHERE ledger_id = $o1"),
	'1 1', 'orphans: the writer left its record and its work-list entry, of a ledger that does not exist');
$node->safe_psql('postgres', "INSERT INTO o2 VALUES (2, 'y')");
($ret, $out, $err) = $node->psql('postgres', 'SELECT ledger.seal()', extra_params => [ '-v', 'VERBOSITY=verbose' ]);
is($ret, 0, 'orphans: seal() of every ledger works') or diag($err);
my @warnings = $err =~ /WARNING:  XX001: skipped the unsealed transaction records of 1 ledger that does not exist/g;
is(scalar(@warnings), 1, 'orphans: seal() says so in one WARNING (XX001)') or diag($err);
like($err, qr/DETAIL:  Ledger ids with no row in ledger.ledgers, and their records waiting on the sealing list: $o1 \(1 record\)\./,
	'orphans: the detail names the ledger id and the count');
like($err, qr/HINT:  Inspect them as a superuser with SELECT \* FROM ledger.transactions WHERE ledger_id IN \($o1\)\./,
	'orphans: the hint says how to inspect them');
is($node->safe_psql('postgres', "SELECT count(*) FROM ledger.transaction_blocks WHERE block_no IS NULL AND ledger_id <> $o1"),
	'0', 'orphans: every other ledger is sealed');

# a superuser's two records of a ledger id that never existed: loaded by a
# statement, they drop the work list's marker, so the next pass rebuilds
# the list, as after a crash (which empties it); the background sealer's
# rebuild refused the whole database
my $bg_log = -s $node->logfile;
$node->safe_psql('postgres', q{
	SET session_replication_role = replica;
	INSERT INTO ledger.transactions VALUES (4242, 999998, 1, decode(repeat('00', 32), 'hex'), now()),
		(4242, 999999, 1, decode(repeat('00', 32), 'hex'), now());
	RESET session_replication_role;
	INSERT INTO o2 VALUES (3, 'z');
});
my $sealed_after = 0;
for (1 .. 100)
{
	$sealed_after = $node->safe_psql('postgres',
		"SELECT count(*) = 0 FROM ledger.transaction_blocks WHERE block_no IS NULL AND ledger_id NOT IN ($o1, 4242)"
	) eq 't';
	last if $sealed_after;
	usleep(100_000);
}
ok($sealed_after, 'orphans, list rebuilt: the background sealer seals the other ledgers');
ok($node->log_contains('WARNING:  skipped the unsealed transaction records of 2 ledgers that do not exist', $bg_log),
	'orphans, list rebuilt: the sealer\'s WARNING is in the log');
my $status = q{SELECT coalesce(ledger::text, '-') || ' ' || coalesce(unsealed_transactions::text, 'NULL') FROM ledger.sealing_status WHERE };
is( $node->safe_psql('postgres',
		"($status ledger_id = 4242) UNION ALL ($status ledger_id = $o1) UNION ALL ($status ledger = 'o2'::regclass) "
		  . "UNION ALL SELECT (last_error LIKE 'ledger $o1 does not exist%')::text FROM ledger.sealing_status WHERE ledger_id = $o1"),
	"- 2\n- 1\no2 0\ntrue",
	'orphans: sealing_status shows what waits for each id without a row (and the sealer\'s error), nothing for o2');
$node->safe_psql('postgres', "INSERT INTO o2 VALUES (4, 'w')");
($ret, $out, $err) = $node->psql('postgres', 'SELECT ledger.seal()', extra_params => [ '-v', 'VERBOSITY=verbose' ]);
@warnings = $err =~ /WARNING:  XX001: skipped the unsealed transaction records of 2 ledgers that do not exist/g;
is(scalar(@warnings), 1, 'orphans, list rebuilt: seal() gives one WARNING, not one per ledger or record') or diag($err);
like($err, qr/: (4242 \(2 records\), $o1 \(1 record\)|$o1 \(1 record\), 4242 \(2 records\))\./,
	'orphans, list rebuilt: the detail names both ledger ids with their counts');
is( $node->safe_psql('postgres',
		"SELECT (SELECT count(*) FROM ledger.transactions WHERE ledger_id IN ($o1, 4242)) || ' ' || ok FROM ledger.verify('o2', ledger.digest('o2'))"
	),
	'3 true', 'orphans: the records are kept; digest and verify of a healthy ledger');


# ---------- 7. a ledger without its genesis block ----------
# g0 has only its block 0, g1 blocks 0 and 1; a superuser deletes both
# block 0s (the catalog guard acts only in an apply worker); g2 is intact
$node->safe_psql('postgres', q{
	CREATE TABLE g0 (id int PRIMARY KEY);
	SELECT ledger.create_ledger('g0');
	CREATE TABLE g1 (id int PRIMARY KEY);
	SELECT ledger.create_ledger('g1');
	CREATE TABLE g2 (id int PRIMARY KEY);
	SELECT ledger.create_ledger('g2');
	INSERT INTO g1 VALUES (1);
});
$node->safe_psql('postgres', "SELECT ledger.digest('g1')");
my %gid = map { $_ => $node->safe_psql('postgres', "SELECT ledger_id FROM ledger.ledgers WHERE relation = '$_'::regclass") }
  qw(g0 g1 g2);
$node->safe_psql('postgres', "DELETE FROM ledger.blocks WHERE ledger_id IN ($gid{g0}, $gid{g1}) AND block_no = 0");
$node->safe_psql('postgres', $_) for ('INSERT INTO g0 VALUES (1)', 'INSERT INTO g1 VALUES (2)', 'INSERT INTO g2 VALUES (1)');
my $g_unsealed = q{SELECT count(*) FROM ledger.transaction_blocks WHERE block_no IS NULL AND ledger_id = };
my $g_blocks = "SELECT string_agg(ledger_id::text || ':' || block_no, ' ' ORDER BY ledger_id = $gid{g0} DESC, block_no) "
  . "FROM ledger.blocks WHERE ledger_id IN ($gid{g0}, $gid{g1})";
ok(poll_until($node, "SELECT ($g_unsealed $gid{g2}) = 0", 15), 'no genesis: the background sealer seals the intact ledger');
($ret, $out, $err) = $node->psql('postgres', 'SELECT ledger.seal()', extra_params => [ '-v', 'VERBOSITY=verbose' ]);
is($ret, 0, 'no genesis: seal() of every ledger works') or diag($err);
is($node->safe_psql('postgres', $g_blocks), "$gid{g1}:1",
	'no genesis: no block is written for them (no new genesis for g0, no block 2 for g1)');
@warnings = $err =~ /WARNING:  XX001: skipped the unsealed transaction records of 2 ledgers that have no genesis block/g;
is(scalar(@warnings), 1, 'no genesis: seal() says so in one WARNING (XX001)') or diag($err);
# (in the order of their ids)
my ($g0e, $g1e) = map { "public.$_ \\(ledger id $gid{$_}, 1 record\\)" } qw(g0 g1);
like($err, qr/DETAIL:  Ledgers whose block 0 is missing from ledger.blocks, and their records waiting on the sealing list: ($g0e, $g1e|$g1e, $g0e)\./,
	'no genesis: the detail names both ledgers with their counts');
($ret, $out, $err) = $node->psql('postgres', "SELECT ledger.seal('g1')", extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  XX001: cannot seal ledger "g1": its genesis block is missing/,
	'no genesis: seal() of that ledger fails with XX001');
# digest() waited ledger.digest_wait for a pass that skips the ledger, then
# described g1's block 1, a chain that starts nowhere
for my $g (qw(g0 g1))
{
	($ret, $out, $err) = $node->psql('postgres', "SELECT ledger.digest('$g')", extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($err, qr/ERROR:  XX001: cannot take the digest of ledger "$g": its genesis block is missing/,
		"no genesis: digest() of $g fails with XX001, without waiting for the sealer");
}

# after a crash the work list is rebuilt: the rebuild refused the whole
# database, and nothing was sealed any more
my $g_log = -s $node->logfile;
$node->stop('immediate');
$node->start;
$node->safe_psql('postgres', 'INSERT INTO g2 VALUES (2)');
ok(poll_until($node, "SELECT ($g_unsealed $gid{g2}) = 0", 15),
	'no genesis, list rebuilt after a crash: the background sealer seals the intact ledger');
ok( $node->log_contains(
		"WARNING:  skipped the unsealed transaction records of 2 ledgers that have no genesis block", $g_log),
	'no genesis, list rebuilt: the sealer\'s WARNING is in the log');
ok(!$node->log_contains('nothing sealed in database', $g_log),
	'no genesis, list rebuilt: the rebuild does not take it for a half-restored catalog');
is( $node->safe_psql('postgres',
		"SELECT string_agg(ledger::text || ' ' || unsealed_transactions || ' ' || coalesce((last_error LIKE 'ledger % has no genesis block%')::text, 'none'), ', ' ORDER BY ledger::text) "
		  . "FROM ledger.sealing_status WHERE ledger_id IN ($gid{g0}, $gid{g1}, $gid{g2})"),
	'g0 1 true, g1 1 true, g2 0 none',
	'no genesis: sealing_status shows what waits and the sealer\'s error for them, nothing for g2');
is($node->safe_psql('postgres', $g_blocks), "$gid{g1}:1", 'no genesis, list rebuilt: still no block written for them');
my $vg = verify($node, 'postgres', 'g1');
is($vg->{ok} . ' ' . $vg->{problem}, 'f block 0 is missing: the chain jumps from block -1 to block 1',
	'no genesis: verify() reports g1 tampered');
$vg = verify($node, 'postgres', 'g0');
is($vg->{ok}, 'f', 'no genesis: verify() reports g0 tampered') or diag($vg->{problem});
verify_ok($node, 'postgres', 'g2', undef, 'no genesis: the intact ledger verifies');

done_testing();
