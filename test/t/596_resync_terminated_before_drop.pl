# Copyright (c) the ledger authors; PostgreSQL licence.
#
# ledger.resync_subscription() of an enabled subscription whose session is
# terminated (pg_terminate_backend: FATAL, no PG_CATCH) or cancelled while
# its DROP SUBSCRIPTION of the old subscription waits for the apply worker
# to stop, before the replication origin or the slot at the origin is
# dropped (last read of 2026-12-07; the apply worker is held by SIGSTOP).
# A resync records that the slot is being dropped before it drops anything
# (test/t/595_resync_lost_slot.pl); a cancel at this step takes the record
# back, but a terminated session did not: its slot of errors read "failed
# after it dropped the subscription's slot at the origin", the sealer
# disabled a subscription whose slot and replication origin were intact,
# and ALTER SUBSCRIPTION ... ENABLE was refused.  Now both leave the
# subscription enabled and streaming, with no resync failure recorded.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('rt_a');
my $b = sync_node('rt_b');
my $ci = acct_subscribed($a, $b);

sub status
{
	return $b->safe_psql('postgres',
		q{SELECT state || ' | ' || coalesce(last_error, '-') FROM ledger.replication_status WHERE peer = 'sub'});
}

sub slot_at_origin
{
	return $a->safe_psql('postgres', q{SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'sub'});
}

# A resync whose DROP SUBSCRIPTION waits for the stopped apply worker,
# ended by $end.
sub resync_ended_before_drop
{
	my ($end, $part, $what, $id) = @_;
	is(sub_enabled($b, 'sub'), 't', "part $part: the subscription is enabled");
	my $worker = $b->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_subscription WHERE subname = 'sub' AND relid IS NULL AND pid IS NOT NULL});
	ok($worker, '... its apply worker runs');
	kill('STOP', $worker);
	my $session = $b->background_psql('postgres', on_error_stop => 0);
	$session->query_until(qr/started/, "\\echo started\nSELECT ledger.resync_subscription('sub');\n");
	ok( poll_until(
			$b, q{SELECT count(*) = 1 FROM pg_stat_activity
			 WHERE query LIKE 'SELECT ledger.resync_subscription(%' AND wait_event = 'BgWorkerShutdown'}, 30),
		'... a resync waits for the apply worker to stop, in DROP SUBSCRIPTION');
	my $pid = $b->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT ledger.resync_subscription(%'});
	$end->($pid);
	ok(poll_until($b, "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $pid AND state = 'active'", 30),
		"... $what");
	eval { $session->quit; };
	kill('CONT', $worker);
	sleep 3;    # a sealer's pass or two (it disabled the subscription here)
	is(sub_enabled($b, 'sub'), 't',
		'... the subscription is still enabled (before, for a terminated session: disabled by the sealer)');
	is(slot_at_origin(), '1', '... its slot at the origin is there');
	$a->safe_psql('postgres', "INSERT INTO acct VALUES ($id, " . (10 * $id) . ")");
	ok(caught_up($a, $b, 'acct'), '... and it streams');
	# (the apply worker that DROP SUBSCRIPTION stopped says so, as any
	# stopped worker does)
	like(status(), qr/^streaming \| (-|terminating logical replication worker due to administrator command)$/,
		'... and no resync failure recorded (before, for a terminated session: "disabled", "failed after it dropped the subscription\'s slot")');
}

resync_ended_before_drop(sub { $b->safe_psql('postgres', "SELECT pg_cancel_backend($_[0])") },
	1, 'cancelled (pg_cancel_backend)', 2);
resync_ended_before_drop(sub { $b->safe_psql('postgres', "SELECT pg_terminate_backend($_[0])") },
	2, 'its session terminated (pg_terminate_backend)', 3);

$a->stop;
$b->stop;
done_testing();
