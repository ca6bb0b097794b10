
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# The lock order at a peer, between what a DBA runs there and the apply
# worker of a subscription of replicas (a review on 2026-12-07, the part
# test/t/555_lock_order.pl did not reach):
#  1. A lock a DBA holds at the peer on a replica or on one of the
#     extension's tables (LOCK TABLE, VACUUM FULL, CLUSTER, REINDEX, CREATE
#     INDEX) stopped the apply worker for as long as it was held, without a
#     line in the log (replication_status still said "streaming").  The
#     apply workers of subscriptions of replicas now log their lock waits,
#     as the extension's own workers do; other subscriptions' apply workers
#     keep the server's log_lock_waits.
#  2. Maintenance at the peer while rows stream (VACUUM FULL, CLUSTER,
#     REINDEX, CREATE INDEX of the replica and of the catalog): waits, no
#     deadlock, nothing refused, the replica the origin's.  A reader's
#     verify() and prove() in an open REPEATABLE READ transaction do not
#     hold up the apply worker.
#  3. resync_subscription() read what the replica holds under the snapshot
#     its statement (or REPEATABLE READ transaction) took, before it stopped
#     the apply worker: what the worker committed in between was copied a
#     second time, and the resync failed with "duplicate key value violates
#     unique constraint" after dropping the old slot, which left the
#     subscription stopped until the next resync.  It reads what is held
#     under a snapshot taken once the worker is gone.
#  4. The apply worker ended by the deadlock detector leaves nothing of the
#     origin transaction applied, and PostgreSQL 15 disables the
#     subscription.  With the server's log_min_messages at log (as here),
#     PostgreSQL logged no ERROR, so ledger (which learns of the worker's
#     errors from the log hook) never saw the deadlock: no last_error, and
#     the subscription stayed disabled until a DBA enabled it.  Apply
#     workers of subscriptions of replicas now log their errors whatever
#     log_min_messages, and ledger enables the subscription again after
#     ledger.sync_reconnect_delay, as for any transient error.
#  5. A block's check read ledger.history_tiles and then wrote it: with a
#     DBA's SHARE lock on it (REINDEX) taken in between and then a stronger
#     one (the index's ACCESS EXCLUSIVE), the apply worker deadlocked with
#     it, and the subscription was disabled.  It takes the write's lock
#     before it reads.
#  6. resync_subscription() and drop_subscription() beside a DBA's ALTER
#     SUBSCRIPTION of the same subscription in an open transaction: they
#     read the subscription, then waited for the DBA's lock in their own
#     ALTER SUBSCRIPTION, and then failed with PostgreSQL's "tuple
#     concurrently updated" (XX000), PostgreSQL's ALTER having read the
#     row before its wait.  They take the subscription's lock before they
#     read it.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('lo_a');
my $b = sync_node('lo_b',
	conf => "log_min_messages = log\ndeadlock_timeout = 200ms\nledger.sync_reconnect_delay = 1\n");
my $ci = acct_subscribed($a, $b);
$a->safe_psql('postgres', q{
	CREATE TABLE plain (id int PRIMARY KEY);
	CREATE PUBLICATION plain_pub FOR TABLE plain;
});
$b->safe_psql('postgres', 'CREATE TABLE plain (id int PRIMARY KEY)');
$b->safe_psql('postgres', "CREATE SUBSCRIPTION plain_sub CONNECTION '$ci' PUBLICATION plain_pub WITH (copy_data = false)");
my $id = 100;

# stop the subscription's apply worker and wait for the one that replaces
# it (which reads the server's settings as they are now)
sub restart_apply_worker
{
	my ($node, $sub) = @_;
	my $worker = qq{SELECT (SELECT count(*) FROM pg_stat_subscription WHERE subname = '$sub' AND pid IS NOT NULL)};
	$node->safe_psql('postgres', "ALTER SUBSCRIPTION $sub DISABLE");
	poll_until($node, "$worker = 0", 30) or die "the apply worker of $sub did not stop";
	$node->safe_psql('postgres', "ALTER SUBSCRIPTION $sub ENABLE");
	poll_until($node, "$worker = 1", 30) or die "no apply worker of $sub started";
}

# ---------- 1. the apply worker's wait for a DBA's lock is in the log ----------
for my $t ('acct', 'ledger.transactions', 'ledger.history_tiles', 'plain')
{
	my $oid = $b->safe_psql('postgres', "SELECT '$t'::regclass::oid");
	my $table = $t eq 'plain' ? 'plain' : 'acct';
	my $off = -s $b->logfile;
	my $dba = $b->background_psql('postgres');
	$dba->query_safe("BEGIN; LOCK TABLE $t IN ACCESS EXCLUSIVE MODE");
	$a->safe_psql('postgres', "INSERT INTO $table VALUES (" . $id++ . ')');
	wait_sealed($a, 'postgres');
	ok( poll_until(
			$b, qq{SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity s USING (pid)
			 WHERE NOT l.granted AND l.relation = $oid AND s.backend_type = 'logical replication worker'}, 30),
		"$t locked at the peer: the apply worker waits");
	if ($t eq 'plain')
	{
		sleep 1;
		unlike(slurp_file($b->logfile, $off), qr/still waiting for \w+ on relation $oid /,
			'... the apply worker of a plain subscription keeps the server\'s log_lock_waits');
	}
	else
	{
		my $logged = 0;
		for (1 .. 100)
		{
			$logged = slurp_file($b->logfile, $off) =~ /still waiting for \w+ on relation $oid of database \d+/;
			last if $logged;
			select(undef, undef, undef, 0.1);
		}
		ok($logged, "... and its wait is in the log") or diag(slurp_file($b->logfile, $off));
	}
	$dba->query_safe('COMMIT');
	$dba->quit;
	if ($t ne 'plain')
	{
		ok(caught_up($a, $b, 'acct'), '... it goes on once the lock is released');
		like(slurp_file($b->logfile, $off), qr/acquired \w+ on relation $oid of database \d+/,
			'... and the log says it has its lock');
	}
}

# ---------- 2. maintenance and readers at the peer while rows stream ----------
{
	my $off = -s $b->logfile;
	my $reader = $b->background_psql('postgres');
	$reader->query_safe(q{BEGIN ISOLATION LEVEL REPEATABLE READ});
	is($reader->query_safe(q{SELECT ok FROM ledger.verify('acct')}), 't', 'a reader at the peer verifies the replica');
	like($reader->query_safe(q{SELECT ledger.prove('acct', ledger_xact, ledger_seq)::text FROM acct WHERE id = 100}), qr/proof_version/,
		'... and proves a row, its transaction left open');
	$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
	ok(caught_up($a, $b, 'acct'), '... the replica catches up meanwhile');
	# (its locks would hold up VACUUM FULL and CLUSTER of what it read, and
	# the apply worker behind them, as in PostgreSQL with any table)
	$reader->query_safe('COMMIT');
	$reader->quit;
	my $load = load_start($a, clients => 2, secs => 6, rate => 300, scripts =>
		  [ [ "INSERT INTO acct VALUES (10000 + (random() * 1000000000)::int, 1) ON CONFLICT DO NOTHING;\n", 1 ] ]);
	my @cmds = (
		'VACUUM FULL acct', 'CLUSTER acct USING acct_pkey', 'REINDEX TABLE acct',
		'CREATE INDEX acct_amount ON acct (amount)', 'DROP INDEX acct_amount',
		'VACUUM FULL ledger.transactions', 'CLUSTER ledger.transactions USING transactions_pkey',
		'REINDEX TABLE ledger.transactions', 'CREATE INDEX tx_at ON ledger.transactions (committed_at)',
		'DROP INDEX ledger.tx_at', 'VACUUM FULL ledger.blocks', 'REINDEX TABLE ledger.blocks',
		'VACUUM FULL ledger.history_tiles', 'REINDEX TABLE ledger.history_tiles');
	my $errs = '';
	my $t0 = time;
	while (time - $t0 < 5)
	{
		for my $c (@cmds)
		{
			my ($r, $o, $e) = $b->psql('postgres', $c);
			$errs .= "$c: $e\n" if $r;
		}
	}
	my ($status, $n) = load_finish($load);
	is($status, 0, "the origin committed $n transactions meanwhile");
	is($errs, '', 'every maintenance command at the peer succeeded');
	my $digest = caught_up($a, $b, 'acct');
	ok($digest, 'the replica caught up');
	my $log = slurp_file($b->logfile, $off);
	unlike($log, qr/deadlock detected|logical replication worker.*ERROR|ERROR:.*\n.*apply/,
		'no deadlock, no error of the apply worker');
	is(row_set($b, 'acct'), row_set($a, 'acct'), 'the replica holds the origin\'s rows');
	verify_ok($b, 'postgres', 'acct', $digest, 'the replica verifies against the origin\'s digest');
}

# ---------- 3. resync_subscription while the apply worker commits ----------
# The call's statement snapshot is taken before it can stop the apply
# worker, held up here by a DBA's COMMENT ON SUBSCRIPTION in an open
# transaction (a lock on the subscription, which the apply worker does not
# take while it applies): a transaction applied in between is held before
# the worker is stopped.
{
	my $dba = $b->background_psql('postgres');
	$dba->query_safe("BEGIN; COMMENT ON SUBSCRIPTION sub IS 'ours'");
	my $resync = call_waiting($b, "resync_subscription('sub')", "wait_event_type = 'Lock'",
		'resync_subscription waits for the DBA\'s lock');
	$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
	ok(caught_up($a, $b, 'acct'), '... while the apply worker applies a transaction');
	$dba->query_safe('COMMIT');
	$dba->quit;
	$resync->{stderr} = '';
	my $out = $resync->query('SELECT 1');
	is($resync->{stderr}, '', '... then the resync succeeds');
	$resync->quit;
	$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
	ok(caught_up($a, $b, 'acct'), '... and the subscription streams on');

	# the same in a REPEATABLE READ transaction whose snapshot predates the
	# applied transaction
	my $rr = $b->background_psql('postgres', on_error_stop => 0);
	$rr->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
	$rr->query_safe('SELECT count(*) FROM acct');
	$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
	ok(caught_up($a, $b, 'acct'), 'a transaction applied after a REPEATABLE READ snapshot');
	$rr->{stderr} = '';
	$rr->query(q{SELECT ledger.resync_subscription('sub')});
	is($rr->{stderr}, '', '... resync_subscription in that transaction succeeds');
	$rr->query_safe('COMMIT');
	$rr->quit;
	$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
	my $digest = caught_up($a, $b, 'acct');
	ok($digest, '... and the subscription streams on');
	is(row_set($b, 'acct'), row_set($a, 'acct'), 'the replica holds the origin\'s rows');
	verify_ok($b, 'postgres', 'acct', $digest, 'the replica verifies against the origin\'s digest');
}

# ---------- 4. the apply worker ended by the deadlock detector ----------
# A DBA locks ledger.transactions, then (its own deadlock check put off)
# the replica while the apply worker holds it, applying a large origin
# transaction; the worker then waits for ledger.transactions for the
# transaction's record, and its deadlock check ends it: the same cycle as
# with any two tables a subscription writes.  Nothing of the origin
# transaction stays applied, and PostgreSQL 15's apply worker disables the
# subscription.  The server's log_min_messages is log here, which leaves
# ERRORs out of the log and so out of ledger's sight: the apply worker of a
# subscription of replicas logs its errors all the same, and ledger enables
# the subscription again ledger.sync_reconnect_delay (1 s here) later.
#
# The worker's deadlock check runs once, deadlock_timeout after it begins
# to wait for ledger.transactions; the DBA's lock on the replica must be
# queued by then, or the cycle is found by nobody for the 60 s the DBA's
# check is put off (seen once under load with 200 ms: the worker had
# applied the rows before the DBA's lock came).  The part runs with 5 s,
# read by an apply worker started after the change.
{
	$b->safe_psql('postgres', "ALTER SYSTEM SET deadlock_timeout = '5s'; SELECT pg_reload_conf()");
	restart_apply_worker($b, 'sub');
	my $before = row_set($b, 'acct');
	my $off = -s $b->logfile;
	my $dba = $b->background_psql('postgres', on_error_stop => 0);
	$dba->query_safe("SET deadlock_timeout = '60s'");
	$dba->query_safe('BEGIN; LOCK TABLE ledger.transactions IN SHARE MODE');
	$a->safe_psql('postgres', 'INSERT INTO acct SELECT -g, 1 FROM generate_series(1, 30000) g');
	ok( poll_until(
			$b, q{SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity s USING (pid)
			 WHERE l.granted AND l.relation = 'acct'::regclass AND l.mode = 'RowExclusiveLock'
			   AND s.backend_type = 'logical replication worker'}, 30),
		'the apply worker applies a large transaction to the replica');
	$dba->query_until(qr/started/, "\\echo started\nLOCK TABLE acct IN SHARE MODE;\n");
	ok( poll_until(
			$b, q{SELECT count(*) > 0 FROM ledger.replication_status
			 WHERE peer = 'sub' AND last_error LIKE '%deadlock detected%'}, 30),
		'... it is ended by the deadlock detector: replication_status has the error');
	my $log = slurp_file($b->logfile, $off);
	like($log,
		qr/process \d+ detected deadlock while waiting for RowExclusiveLock on relation \d+ of database \d+/,
		'... which the log says, from the lock wait it logs');
	like($log, qr/ERROR:  deadlock detected/,
		'... and with the error, though the server\'s log_min_messages is log');
	# (logged once the worker's disabling commits, after the error the
	# status shows: waited for, not read at once)
	ok(defined eval { $b->wait_for_log(qr/subscription "sub" has been disabled because of an error/, $off) },
		'... PostgreSQL disabled the subscription');
	# what the DBA's locks hold still: read before they go
	is(row_set($b, 'acct'), $before, '... nothing of the origin transaction stays at the replica');
	verify_ok($b, 'postgres', 'acct', undef, '... which verifies');
	$dba->{stderr} = '';
	$dba->query('COMMIT');
	is($dba->{stderr}, '', '... the DBA\'s transaction goes on');
	$dba->quit;
	ok( poll_until(
			$b, q{SELECT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30),
		'ledger enables the subscription again');
	like(slurp_file($b->logfile, $off),
		qr/ledger: enabling subscription "sub" again after a transient error of its apply worker \(SQLSTATE 40P01\)/,
		'... for a transient error, which it logs');
	$b->safe_psql('postgres', 'ALTER SYSTEM RESET deadlock_timeout; SELECT pg_reload_conf()');
	my $digest = caught_up($a, $b, 'acct');
	ok($digest, '... and the transaction is applied whole');
	is(row_set($b, 'acct'), row_set($a, 'acct'), 'the replica holds the origin\'s rows');
	verify_ok($b, 'postgres', 'acct', $digest, 'the replica verifies against the origin\'s digest');
}

# ---------- 5. ledger.history_tiles: read, then written, by a block's check ----------
# A DBA's SHARE lock on ledger.history_tiles (as REINDEX or CREATE INDEX
# take), then ACCESS EXCLUSIVE (as VACUUM FULL, CLUSTER, or REINDEX on its
# index): the apply worker, checking a block, read the tiles and then waited
# to write them, holding the read's lock, and the two deadlocked.  It takes
# the write's lock first now, as with a table it applies to.
{
	my $off = -s $b->logfile;
	my $dba = $b->background_psql('postgres', on_error_stop => 0);
	$dba->query_safe("SET deadlock_timeout = '60s'");
	$dba->query_safe('BEGIN; LOCK TABLE ledger.history_tiles IN SHARE MODE');
	$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
	wait_sealed($a, 'postgres');
	ok( poll_until(
			$b, q{SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity s USING (pid)
			 WHERE NOT l.granted AND l.relation = 'ledger.history_tiles'::regclass
			   AND s.backend_type = 'logical replication worker'}, 30),
		'the apply worker checking a block waits for the DBA\'s lock on ledger.history_tiles');
	$dba->{stderr} = '';
	$dba->query('LOCK TABLE ledger.history_tiles IN ACCESS EXCLUSIVE MODE');
	is($dba->{stderr}, '', '... the DBA\'s stronger lock is granted');
	$dba->query_safe('COMMIT');
	$dba->quit;
	my $digest = caught_up($a, $b, 'acct');
	ok($digest, '... and the block is applied');
	unlike(slurp_file($b->logfile, $off), qr/detected deadlock|has been disabled/, '... no deadlock');
	verify_ok($b, 'postgres', 'acct', $digest, 'the replica verifies against the origin\'s digest');
}

# ---------- 6. resync_subscription and drop_subscription beside a DBA's ALTER SUBSCRIPTION ----------
# The DBA's ALTER SUBSCRIPTION holds the subscription's lock until its
# commit; PostgreSQL's own ALTER SUBSCRIPTION (which the resync and the
# drop run) reads the row before it waits for that lock, so theirs must be
# taken first.
for my $call ('resync_subscription', 'drop_subscription')
{
	my $dba = $b->background_psql('postgres');
	$dba->query_safe("BEGIN; ALTER SUBSCRIPTION sub SET (synchronous_commit = 'local')");
	my $caller = call_waiting($b, "$call('sub')", "wait_event_type = 'Lock'",
		"$call waits for the lock of the DBA's ALTER SUBSCRIPTION");
	$dba->query_safe('COMMIT');
	$dba->quit;
	$caller->{stderr} = '';
	$caller->query('SELECT 1');
	is($caller->{stderr}, '', "... then $call succeeds (no \"tuple concurrently updated\")");
	$caller->quit;
	if ($call eq 'resync_subscription')
	{
		is($b->safe_psql('postgres', q{SELECT subsynccommit FROM pg_subscription WHERE subname = 'sub'}),
			'off', '... and subscribes again with its own options');
		$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
		my $digest = caught_up($a, $b, 'acct');
		ok($digest, '... and the subscription streams on');
		verify_ok($b, 'postgres', 'acct', $digest, 'the replica verifies against the origin\'s digest');
	}
	else
	{
		is($b->safe_psql('postgres', q{SELECT count(*) FROM pg_subscription WHERE subname = 'sub'}),
			'0', '... and the subscription is gone');
		verify_ok($b, 'postgres', 'acct', undef, 'the replica it kept verifies');
	}
}

$a->stop;
$b->stop;
done_testing();
