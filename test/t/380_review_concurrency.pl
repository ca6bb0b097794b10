
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

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use LedgerTest;

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

done_testing();
