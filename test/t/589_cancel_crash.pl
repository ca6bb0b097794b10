# Copyright (c) the ledger authors; PostgreSQL licence.
#
# An administrator's cancellation of a pending reconnection outlives a
# crash (a brief of 2026-12-07, left by the session before).  The owner's
# ALTER SUBSCRIPTION of a subscription that a lost connection disabled
# cancels ledger's reconnection of it when it commits; the cancellation
# lived in shared memory only until the sealers' launcher wrote the state
# file, up to a ledger.seal_interval later, while the reconnection itself
# was in the file (the apply worker writes it before it commits the
# disabling).  A crash in between brought the reconnection back, and the
# sealer enabled the subscription behind the administrator (made certain
# here by stopping the launcher before the ALTER and killing it after).  The
# administrator's session now writes the file before its transaction
# commits, as the apply worker does.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('cc_a');
my $b = sync_node('cc_b', conf => "ledger.sync_reconnect_delay = 3600\nrestart_after_crash = on\n");
my $ci = acct_subscribed($a, $b);

sub state_of
{
	return $b->safe_psql('postgres', q{SELECT state FROM ledger.replication_status WHERE peer = 'sub'});
}

sub lose_connection
{
	$b->safe_psql('postgres', 'ALTER SYSTEM SET ledger.sync_reconnect_delay = 3600; SELECT pg_reload_conf()');
	$a->safe_psql('postgres', "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'sub'");
	return poll_until($b, q{SELECT state = 'reconnecting' FROM ledger.replication_status WHERE peer = 'sub'}, 30);
}

# $sql, then a crash: the sealers' launcher, which writes the file at its
# rounds, is stopped first (SIGSTOP: it writes nothing more), and killed
# after $sql (a crash: the postmaster restarts every process and reads the
# file).  Then ledger's delay is set to a second.
sub crash_after
{
	my ($sql) = @_;
	my $launcher = $b->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher'");
	die "no launcher" unless $launcher =~ /^\d+$/;
	kill('STOP', $launcher);
	$b->psql('postgres', $sql, on_error_stop => 0);
	kill('KILL', $launcher);
	poll_until($b, "SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher' AND pid <> $launcher", 60)
	  or die "the peer did not restart";
	$b->safe_psql('postgres', 'ALTER SYSTEM SET ledger.sync_reconnect_delay = 1; SELECT pg_reload_conf()');
}

# ---------- 1. the owner's ALTER committed, then a crash ----------
ok(lose_connection(), 'lost connection: reconnecting');
my $off = -s $b->logfile;
crash_after(q{ALTER SUBSCRIPTION sub SET (synchronous_commit = 'local')});
sleep 4;    # more than the delay
is(sub_enabled($b, 'sub'), 'f', 'an administrator\'s ALTER committed just before a crash: the subscription stays disabled (before: enabled by ledger)');
is(state_of(), 'disabled', '... "disabled" (before: the reconnection back after the crash)');
unlike(slurp_file($b->logfile, $off), qr/enabling subscription "sub" again/, '... and ledger does not enable it');
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION sub ENABLE');
$a->safe_psql('postgres', 'INSERT INTO acct VALUES (2, 20)');
ok(caught_up($a, $b, 'acct'), 'enabled by the administrator, the replica catches up');

# ---------- 2. one rolled back, then a crash: the reconnection stays ----------
ok(lose_connection(), 'lost connection again: reconnecting');
$off = -s $b->logfile;
crash_after(q{BEGIN; ALTER SUBSCRIPTION sub DISABLE; ROLLBACK;});
ok(poll_until($b, q{SELECT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30),
	'an ALTER rolled back just before a crash: ledger enables the subscription after the delay');
like(slurp_file($b->logfile, $off), qr/enabling subscription "sub" again after it lost its connection/, '... which it logs');
$a->safe_psql('postgres', 'INSERT INTO acct VALUES (3, 30)');
my $digest = caught_up($a, $b, 'acct');
ok($digest, '... and the replica catches up');
verify_ok($b, 'postgres', 'acct', $digest, '... and verifies against the origin\'s digest');

# ---------- 3. a resync failed after it dropped the slot, then a crash ----------
# (test/t/588_resync_failed.pl) the failed resync cancels the reconnection
# and records its failure, which must outlive a crash as well
ok(lose_connection(), 'part 3: lost connection: reconnecting');
my $holder = $b->background_psql('postgres');
$holder->query_safe('BEGIN; LOCK TABLE acct IN ACCESS EXCLUSIVE MODE');
$off = -s $b->logfile;
crash_after(q{SET lock_timeout = '1s'; SELECT ledger.resync_subscription('sub')});
eval { $holder->quit };
like(slurp_file($b->logfile, $off), qr/dropped the subscription's slot "sub" at the origin/,
	'a resync failed after it dropped the slot just before a crash');
sleep 4;    # more than the delay
is(sub_enabled($b, 'sub'), 'f', '... the subscription stays disabled after the crash');
like($b->safe_psql('postgres', q{SELECT state || ' | ' || last_error FROM ledger.replication_status WHERE peer = 'sub'}),
	qr/^disabled \| ledger\.resync_subscription\(\) failed after it dropped/, '... "disabled", the failed resync its last error');
unlike(slurp_file($b->logfile, $off), qr/enabling subscription "sub" again/, '... and ledger does not enable it');
$digest = resync_recovers($a, $b, 4);

$a->stop;
$b->stop;
done_testing();
