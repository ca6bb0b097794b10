# Copyright (c) the ledger authors; PostgreSQL licence.
#
# ledger.resync_subscription() of an ENABLED subscription that does not
# end after it dropped the subscription's slot at the origin (a brief of
# 2026-12-07, left by test/t/588_resync_failed.pl).  The rollback (or a
# crash) puts the subscription back enabled, slot gone; until 2026-12-07 its
# apply worker then failed on the missing slot every
# wal_retrieve_retry_interval for ever, replication_status read "starting"
# with "replication slot "sub" does not exist", and after a cancel, a
# terminated session or a crash nothing said that a resync was to blame.
# Now the resync records, before it drops anything, that the slot is being
# dropped (in the file of errors at once); unless it commits, the sealer
# disables the subscription, replication_status reads "disabled" with the
# resync's failure, and ALTER SUBSCRIPTION ... ENABLE is refused: a resync
# recovers.  The resync is made to wait after the slot's drop by a lock on
# the replica held at the peer, then:
#  1. cancelled (pg_cancel_backend);
#  2. failed by statement_timeout;
#  3. its session terminated (pg_terminate_backend: FATAL, no PG_CATCH);
#  4. its backend killed: the peer crashes and restarts.
#     In 3 and 4 nothing drops the new slot that the resync made (under the
#     same name) before it waited: the slot the old subscription then finds
#     is at a later position than the one it had reached, and before
#     2026-12-07 it streamed from there, "streaming" and no error, past any
#     change the origin wrote in between;
#  5. a resync refused before the slot's drop leaves the subscription
#     enabled and streaming, nothing recorded;
#  6. (run before 5) ALTER SUBSCRIPTION ... SET (slot_name) takes the record
#     back: ENABLE in the same transaction is accepted.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('rl_a', conf => "max_prepared_transactions = 2\n");
my $b = sync_node('rl_b', conf => "restart_after_crash = on\n");
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

# A resync of the enabled subscription, waiting for the replica's lock
# after the slot's drop, then ended by $end->($pid of the resync).
# Returns the resync session's stderr.
sub resync_ended
{
	my ($end, $part, $set) = @_;
	is(sub_enabled($b, 'sub'), 't', "part $part: the subscription is enabled");
	my $holder = $b->background_psql('postgres');
	$holder->query_safe('BEGIN; LOCK TABLE acct IN ACCESS EXCLUSIVE MODE');
	my $session = $b->background_psql('postgres', on_error_stop => 0);
	$session->query_safe($set) if defined $set;
	$session->query_until(qr/started/, "\\echo started\nSELECT ledger.resync_subscription('sub');\n");
	ok( poll_until(
			$b, q{SELECT count(*) = 1 FROM pg_stat_activity
			 WHERE query LIKE 'SELECT ledger.resync_subscription(%' AND wait_event_type = 'Lock'}, 30),
		'... a resync waits for the replica\'s lock');
	my $pid = $b->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT ledger.resync_subscription(%'});
	$end->($pid);
	my $err = '';
	eval { $session->quit; };
	$err = $session->{stderr} // '';
	eval { $holder->query_safe('COMMIT'); $holder->quit; };
	if ($part == 3 || $part == 4)
	{
		# no PG_CATCH: the new slot, made by the resync before it waited,
		# at a later position than the old subscription had reached
		is(slot_at_origin(), '1', '... the slot it made is left at the origin');
	}
	else
	{
		is(slot_at_origin(), '0', '... the slot at the origin is gone (dropped, the new one dropped again)');
	}
	return $err;
}

# The subscription disabled by the sealer, its state and error, its ENABLE
# refused, no loop on the missing slot; then a resync recovers.
sub disabled_then_recovers
{
	my ($off, $error, $id) = @_;
	ok(poll_until($b, q{SELECT NOT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30),
		'... the sealer disables the subscription (before: enabled, its apply worker failing on the missing slot)');
	like(status(), $error, '... "disabled", the resync its last error (before: "starting", the missing slot)');
	like(slurp_file($b->logfile, $off),
		qr/LOG:  ledger: disabling subscription "sub": ledger\.resync_subscription\(\) dropped its slot at the origin and did not commit/,
		'... which it logs');
	my $off2 = -s $b->logfile;
	sleep 2;    # ten times wal_retrieve_retry_interval
	my $log = slurp_file($b->logfile, $off2);
	unlike($log, qr/replication slot "sub" does not exist/, '... and no apply worker fails on the missing slot any more');
	my ($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub ENABLE');
	like(
		$err,
		qr/ERROR:  cannot enable subscription "sub": ledger\.resync_subscription\(\) dropped its slot at the origin\n.*HINT:  Call ledger\.resync_subscription\('sub'\)/s,
		'... ALTER SUBSCRIPTION ... ENABLE is refused, with the hint');
	is(sub_enabled($b, 'sub'), 'f', '... and changes nothing');
	resync_recovers($a, $b, $id);
	is(status(), 'streaming | -', '... streaming, no error');
}

# ---------- 1. cancelled ----------
my $off = -s $b->logfile;
my $err = resync_ended(sub { $b->safe_psql('postgres', "SELECT pg_cancel_backend($_[0])") }, 1);
like($err, qr/ERROR:  canceling statement due to user request/, '... cancelled (pg_cancel_backend)');
disabled_then_recovers($off,
	qr/^disabled \| ledger\.resync_subscription\(\) failed after it dropped the subscription's slot at the origin: canceling statement due to user request$/,
	2);

# ---------- 2. statement_timeout ----------
$off = -s $b->logfile;
$err = resync_ended(sub { }, 2, "SET statement_timeout = '5s'");
like($err, qr/ERROR:  canceling statement due to statement timeout/, '... statement_timeout');
disabled_then_recovers($off,
	qr/^disabled \| ledger\.resync_subscription\(\) failed after it dropped the subscription's slot at the origin: canceling statement due to statement timeout$/,
	3);

# ---------- 3. its session terminated ----------
$off = -s $b->logfile;
$err = resync_ended(sub { $b->safe_psql('postgres', "SELECT pg_terminate_backend($_[0])") }, 3);
like(slurp_file($b->logfile, $off), qr/FATAL:  terminating connection due to administrator command/,
	'... its session terminated (pg_terminate_backend)');
disabled_then_recovers($off,
	qr/^disabled \| ledger\.resync_subscription\(\) failed after it dropped the subscription's slot at the origin: terminating connection due to administrator command$/,
	4);

# ---------- 4. a crash ----------
$off = -s $b->logfile;
$err = resync_ended(
	sub {
		kill('KILL', $_[0]);
		for (1 .. 600)
		{
			last if slurp_file($b->logfile, $off) =~ /all server processes terminated; reinitializing(.|\n)*database system is ready to accept connections/;
			select(undef, undef, undef, 0.1);
		}
		poll_until($b, 'SELECT true', 60) or die "the peer did not restart";
	},
	4);
like(slurp_file($b->logfile, $off), qr/terminated by signal 9/, '... its backend killed: the peer crashed');
disabled_then_recovers($off,
	qr/^disabled \| ledger\.resync_subscription\(\) did not end after it began to drop the subscription's slot at the origin: /,
	5);

# ---------- 6 (before 5). an administrator points it at a slot ----------
# A new CONNECTION alone (a password rotated) does not take charge: it says
# nothing of the slot (until 2026-12-07 it dropped the record, and ENABLE
# streamed from whatever slot of that name the origin had).  ALTER
# SUBSCRIPTION ... SET (slot_name = ...) does: the record is dropped and
# ENABLE, in the same transaction, accepted (here the same origin, whose
# slot is gone: the apply worker's own error is shown again)
$off = -s $b->logfile;
$err = resync_ended(sub { $b->safe_psql('postgres', "SELECT pg_cancel_backend($_[0])") }, 6);
ok(poll_until($b, q{SELECT NOT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30),
	'... disabled by the sealer after the cancelled resync');
my ($ret, $out);
($ret, $out, $err) = $b->psql('postgres', "ALTER SUBSCRIPTION sub CONNECTION '$ci'; ALTER SUBSCRIPTION sub ENABLE");
like($err, qr/ERROR:  cannot enable subscription "sub": ledger\.resync_subscription\(\) dropped its slot at the origin/,
	'... ALTER SUBSCRIPTION ... CONNECTION, then ENABLE in the same transaction: ENABLE still refused');
$b->safe_psql('postgres', "ALTER SUBSCRIPTION sub CONNECTION '$ci'");
($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub ENABLE');
like($err, qr/ERROR:  cannot enable subscription "sub"/, '... and after a committed CONNECTION');
is(sub_enabled($b, 'sub'), 'f', '... the subscription stays disabled');
($ret, $out, $err) = $b->psql('postgres', "ALTER SUBSCRIPTION sub SET (slot_name = 'sub'); ALTER SUBSCRIPTION sub ENABLE");
is($err, '', '... ALTER SUBSCRIPTION ... SET (slot_name), then ENABLE in the same transaction: accepted');
ok( poll_until(
		$b, q{SELECT last_error LIKE '%replication slot "sub" does not exist%'
		 FROM ledger.replication_status WHERE peer = 'sub'}, 30),
	'... the record dropped: the apply worker\'s own error is shown again');
is(sub_enabled($b, 'sub'), 't', '... and ledger leaves it enabled');
resync_recovers($a, $b, 7);

# ---------- 5. refused before the slot's drop: nothing recorded ----------
$a->safe_psql('postgres', q{BEGIN; INSERT INTO acct VALUES (6, 60); PREPARE TRANSACTION 'held'});
($ret, $out, $err) = $b->psql('postgres', q{SELECT ledger.resync_subscription('sub')});
isnt($ret, 0, 'part 5: a resync refused before it dropped anything (a prepared transaction at the origin)');
is(slot_at_origin(), '1', '... the slot is still there');
$a->safe_psql('postgres', q{COMMIT PREPARED 'held'});
sleep 1;
is(sub_enabled($b, 'sub'), 't', '... the subscription stays enabled');
ok(caught_up($a, $b, 'acct'), '... and streams');
is(status(), 'streaming | -', '... no error recorded');

$a->stop;
$b->stop;
done_testing();
