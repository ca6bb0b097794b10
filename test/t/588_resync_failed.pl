# Copyright (c) the ledger authors; PostgreSQL licence.
#
# ledger.resync_subscription() that fails after it has dropped the
# subscription's slot at the origin (a brief of 2026-12-07, left by the
# session before).  The resync runs in the caller's transaction but for the
# slot: the rollback puts the subscription back as it was, slot gone.  Made
# to fail here by a lock on the replica held at the peer (with
# lock_timeout): the first look at the origin passes, the old subscription
# and its slot are dropped, the new slot is made, and the resync then waits
# for the replica's lock and fails.
#  1. The subscription was disabled by a lost connection, a reconnection
#     pending: the failed resync left it pending ("reconnecting", with the
#     lost connection as the last error, the resync's own ALTER
#     SUBSCRIPTION ... DISABLE rolled back with it), and the sealer then
#     enabled a subscription that had no slot any more: its apply worker
#     failed at once with "replication slot "sub" does not exist", again
#     every wal_retrieve_retry_interval, with nothing to say that the
#     resync was to blame.  The failed resync now cancels the reconnection
#     and records itself as the subscription's last error: "disabled", and
#     the subscription stays so until a resync succeeds.
#  2. The subscription was enabled: the rollback enables it again, slot
#     gone (a rollback cannot do otherwise).  Until 2026-12-07 its apply
#     worker then failed with "replication slot ... does not exist" every
#     wal_retrieve_retry_interval for ever ("starting", that error its last
#     one).  The sealer now disables it: "disabled", the failed resync its
#     last error, its ENABLE refused (test/t/595_resync_lost_slot.pl for a
#     cancel, a terminated session, a crash).  A resync then recovers both.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('rf_a');
my $b = sync_node('rf_b', conf => "ledger.sync_reconnect_delay = 3600\n");
my $ci = acct_subscribed($a, $b);

sub status
{
	return $b->safe_psql('postgres',
		q{SELECT state || ' | ' || coalesce(last_error, '-') FROM ledger.replication_status WHERE peer = 'sub'});
}

sub set_delay
{
	my ($delay) = @_;
	$b->safe_psql('postgres', "ALTER SYSTEM SET ledger.sync_reconnect_delay = $delay; SELECT pg_reload_conf()");
}

sub lose_connection
{
	set_delay(3600);
	$a->safe_psql('postgres', "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'sub'");
	return poll_until($b, q{SELECT state = 'reconnecting' FROM ledger.replication_status WHERE peer = 'sub'}, 30);
}

sub slot_at_origin
{
	return $a->safe_psql('postgres', q{SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'sub'});
}

# resync_subscription('sub') while another session holds the replica's lock
sub resync_failing
{
	my $holder = $b->background_psql('postgres');
	$holder->query_safe('BEGIN; LOCK TABLE acct IN ACCESS EXCLUSIVE MODE');
	my ($ret, $out, $err) = $b->psql('postgres',
		"SET lock_timeout = '1s'; SELECT ledger.resync_subscription('sub')", on_error_stop => 0);
	$holder->query_safe('COMMIT');
	$holder->quit;
	return $err;
}

# ---------- 1. a reconnection pending ----------
ok(lose_connection(), 'part 1: lost connection: reconnecting');
my $err = resync_failing();
like($err, qr/ERROR:  canceling statement due to lock timeout/, 'resync_subscription fails (the replica\'s lock)');
like($err, qr/DETAIL:  .*slot "sub" at the origin/, '... and its error says that the slot at the origin was dropped')
  or diag($err);
is(slot_at_origin(), '0', '... after it dropped the slot at the origin');
is(sub_enabled($b, 'sub'), 'f', '... the subscription is back, disabled');
like(status(), qr/^disabled \| ledger\.resync_subscription\(\) failed after it dropped the subscription's slot at the origin: canceling statement due to lock timeout$/,
	'... "disabled", the failed resync its last error (before: "reconnecting", the lost connection)');
my $off = -s $b->logfile;
set_delay(1);
sleep 4;    # more than the delay
is(sub_enabled($b, 'sub'), 'f', '... and ledger does not enable it after the delay (before: enabled, without a slot)');
unlike(slurp_file($b->logfile, $off), qr/enabling subscription "sub" again|replication slot "sub" does not exist/,
	'... nor logs that it does, nor an apply worker failing on the missing slot');
my $digest = resync_recovers($a, $b, 2);
is(status(), 'streaming | -', '... streaming, no error');

# ---------- 2. the subscription enabled ----------
$err = resync_failing();
like($err, qr/ERROR:  canceling statement due to lock timeout/, 'part 2: resync_subscription of an enabled subscription fails');
like($err, qr/DETAIL:  .*slot "sub" at the origin/, '... and its error says that the slot at the origin was dropped');
is(slot_at_origin(), '0', '... after it dropped the slot at the origin');
ok(poll_until($b, q{SELECT NOT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30),
	'... the sealer disables the subscription that the rollback enabled again');
like(status(), qr/^disabled \| ledger\.resync_subscription\(\) failed after it dropped the subscription's slot at the origin: canceling statement due to lock timeout$/,
	'... "disabled", the failed resync its last error (before: "starting", "replication slot "sub" does not exist")');
$off = -s $b->logfile;
sleep 2;    # ten times wal_retrieve_retry_interval
unlike(slurp_file($b->logfile, $off), qr/replication slot "sub" does not exist/,
	'... and its apply worker no longer fails on the missing slot (before: every wal_retrieve_retry_interval)');
my ($ret, $out);
($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub ENABLE');
like($err, qr/ERROR:  cannot enable subscription "sub": ledger\.resync_subscription\(\) dropped its slot at the origin/,
	'... ALTER SUBSCRIPTION ... ENABLE is refused');
$digest = resync_recovers($a, $b, 3);

$a->stop;
$b->stop;
done_testing();
