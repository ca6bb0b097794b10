# Copyright (c) the ledger authors; PostgreSQL licence.
#
# ledger enabling a subscription again (after a lost connection or a
# transient error, ledger.sync_reconnect_delay) beside an administrator's
# ALTER SUBSCRIPTION, and beside roles that may not alter it (a review of
# 2026-12-07, items left by the notes of the sessions before):
#  1. A role that does not own the subscription ran ALTER SUBSCRIPTION of
#     it: PostgreSQL refused it ("must be owner"), but ledger's guard, which
#     runs before that check, had already cancelled the pending
#     reconnection, for good: any role could keep a subscription of
#     replicas disabled after a lost connection.  Only the owner's ALTER
#     takes charge now.
#  2. The sealer cleared the reconnection before its ALTER SUBSCRIPTION ...
#     ENABLE committed: while that ENABLE waited (here for a DBA's lock on
#     pg_subscription), replication_status read "disabled", which an alert
#     rule on "disabled" takes for a subscription that needs a person (seen
#     once as a failure of test/t/490 under ASan).  It reads "reconnecting"
#     until the ENABLE has committed.
#  3. An administrator's ALTER SUBSCRIPTION that read the subscription while
#     the sealer's ENABLE of it was under way could fail with PostgreSQL's
#     "tuple concurrently updated" (XX000) once the sealer committed
#     (PostgreSQL's ALTER SUBSCRIPTION reads the row before it waits for the
#     subscription's lock; found by reading, and the failure depends on
#     which of the two reads first: not reproduced here).  The sealer takes
#     the subscription's lock before it reads it, and the guard takes it
#     before PostgreSQL's ALTER reads the row, both after pg_subscription's
#     lock (PostgreSQL's order): the administrator's ALTER waits for the
#     sealer's commit, then applies to what the sealer committed.  What is
#     asserted: the sealer holds the lock through its ENABLE, and the
#     administrator's ALTER then goes through.
#  4. resync_subscription() in a REPEATABLE READ transaction read the
#     subscription under the transaction's snapshot, after it had locked
#     it: an administrator's ALTER SUBSCRIPTION ... CONNECTION committed
#     since the snapshot was missed, and the subscription made again with
#     the old connection.  It reads the subscription from the catalog's
#     cache, which the lock brings up to date.
#  5. The owner's ALTER SUBSCRIPTION that failed or was rolled back
#     cancelled the pending reconnection all the same (the guard cancelled
#     it as it ran): the subscription stayed disabled for good.  It is
#     cancelled when the ALTER's transaction commits.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('rc_a');
my $b = sync_node('rc_b', conf => "ledger.sync_reconnect_delay = 3600\n");
my $ci = acct_subscribed($a, $b);
$b->safe_psql('postgres', 'CREATE ROLE app LOGIN');

sub state_of
{
	return $b->safe_psql('postgres', q{SELECT state FROM ledger.replication_status WHERE peer = 'sub'});
}

sub set_delay
{
	my ($delay) = @_;
	$b->safe_psql('postgres', "ALTER SYSTEM SET ledger.sync_reconnect_delay = $delay; SELECT pg_reload_conf()");
}

# the origin's walsender terminated: the subscription is disabled, and
# ledger will enable it again after the delay (an hour here)
sub lose_connection
{
	set_delay(3600);
	$a->safe_psql('postgres', "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'sub'");
	return poll_until($b, q{SELECT state = 'reconnecting' FROM ledger.replication_status WHERE peer = 'sub'}, 30);
}

# ---------- 1. a role that may not alter the subscription ----------
ok(lose_connection(), 'lost connection: reconnecting');
my ($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub ENABLE',
	extra_params => [ '-U', 'app' ]);
like($err, qr/must be owner of subscription sub/, 'a role that does not own it: ALTER SUBSCRIPTION refused by PostgreSQL');
is(state_of(), 'reconnecting', '... and the reconnection still pending (before: "disabled", cancelled for good)');
my $off = -s $b->logfile;
set_delay(1);
ok(poll_until($b, q{SELECT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30),
	'... ledger enables the subscription again after the delay');
like(slurp_file($b->logfile, $off), qr/ledger: enabling subscription "sub" again after it lost its connection/,
	'... which it logs');
# (enabled by hand if part 1 failed, so that the next part stands alone)
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION sub ENABLE') if sub_enabled($b, 'sub') ne 't';
$a->safe_psql('postgres', 'INSERT INTO acct VALUES (2, 20)');
ok(caught_up($a, $b, 'acct'), '... and the replica catches up');

# ---------- 2 and 3. the sealer's ENABLE held up, an administrator's ALTER beside it ----------
# A DBA's SHARE lock on pg_subscription holds up the sealer's ALTER
# SUBSCRIPTION ... ENABLE (PostgreSQL's ALTER opens pg_subscription for
# writing first).  Meanwhile another DBA alters the subscription.
ok(lose_connection(), 'lost connection again: reconnecting');
my $holder = $b->background_psql('postgres');
$holder->query_safe('BEGIN; LOCK TABLE pg_catalog.pg_subscription IN SHARE MODE');
$off = -s $b->logfile;
set_delay(1);
ok( poll_until(
		$b, q{SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity s USING (pid)
		 WHERE NOT l.granted AND l.relation = 'pg_catalog.pg_subscription'::regclass
		   AND s.backend_type = 'ledger sealer'}, 30),
	'the sealer\'s ENABLE waits for the DBA\'s lock on pg_subscription');
is(state_of(), 'reconnecting', '... and replication_status reads "reconnecting" meanwhile (before: "disabled")');
is( $b->safe_psql('postgres', q{SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s USING (pid)
		 WHERE l.granted AND l.locktype = 'object' AND l.mode = 'AccessExclusiveLock'
		   AND l.classid = 'pg_catalog.pg_subscription'::regclass
		   AND l.objid = (SELECT oid FROM pg_subscription WHERE subname = 'sub')
		   AND s.backend_type = 'ledger sealer'}),
	'1', '... holding the subscription\'s lock (before: taken only after the wait, by PostgreSQL\'s ALTER)');
my $dba = $b->background_psql('postgres', on_error_stop => 0);
$dba->query_until(qr/started/, "\\echo started\nALTER SUBSCRIPTION sub SET (synchronous_commit = 'local');\n\\echo altered\n");
ok( poll_until(
		$b, q{SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity s USING (pid)
		 WHERE NOT l.granted AND s.query LIKE 'ALTER SUBSCRIPTION sub SET%'}, 30),
	'an administrator\'s ALTER SUBSCRIPTION waits (for pg_subscription, then for the subscription, which the sealer holds)');
$holder->query_safe('COMMIT');
$holder->quit;
$dba->{stderr} = '';
$dba->query_until(qr/altered/, '');
$dba->quit;
unlike($dba->{stderr}, qr/ERROR/, '... and then succeeds, after the sealer\'s commit')
  or diag($dba->{stderr});
ok(poll_until($b, q{SELECT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30),
	'the sealer\'s ENABLE committed');
is($b->safe_psql('postgres', q{SELECT subsynccommit FROM pg_subscription WHERE subname = 'sub'}), 'local',
	'... and the administrator\'s change applies on top of it');
like(slurp_file($b->logfile, $off), qr/ledger: enabling subscription "sub" again after it lost its connection/,
	'... the sealer logged its reconnection');
unlike(slurp_file($b->logfile, $off), qr/tuple concurrently updated/, '... and no process failed on the row');
$a->safe_psql('postgres', 'INSERT INTO acct VALUES (3, 30)');
my $digest = caught_up($a, $b, 'acct');
ok($digest, 'the replica catches up');
verify_ok($b, 'postgres', 'acct', $digest, 'the replica verifies against the origin\'s digest');

# ---------- 4. resync_subscription in a REPEATABLE READ transaction ----------
# Its transaction's snapshot was taken before the call locked the
# subscription: a DBA's ALTER SUBSCRIPTION ... CONNECTION committed in
# between was missed, and the subscription made again with the old
# connection.  The subscription is read from the catalog's cache, which the
# lock brings up to date.
my $rr = $b->background_psql('postgres');
$rr->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
$rr->query_safe('SELECT count(*) FROM pg_subscription');
my $newci = $ci . ' application_name=after_the_change';
$b->safe_psql('postgres', "ALTER SUBSCRIPTION sub CONNECTION '$newci'");
is($rr->query_safe(q{SELECT subconninfo LIKE '%after_the_change%' FROM pg_subscription WHERE subname = 'sub'}), 'f',
	'part 4: a REPEATABLE READ transaction begun before a DBA changed the connection does not see it');
$rr->query_safe(q{SELECT ledger.resync_subscription('sub')});
$rr->query_safe('COMMIT');
$rr->quit;
like($b->safe_psql('postgres', q{SELECT subconninfo FROM pg_subscription WHERE subname = 'sub'}),
	qr/application_name=after_the_change/, '... its resync_subscription keeps the new connection (before: the old one)');
$a->safe_psql('postgres', 'INSERT INTO acct VALUES (4, 40)');
$digest = caught_up($a, $b, 'acct');
ok($digest, '... and the replica catches up');
verify_ok($b, 'postgres', 'acct', $digest, '... and verifies against the origin\'s digest');

# ---------- 5. an owner's ALTER SUBSCRIPTION that fails or is rolled back ----------
# (2026-12-07, the last read of the session) The guard cancelled the
# pending reconnection when it ran, before the ALTER was done: an ALTER
# that then failed (a bad connection string, a REFRESH that the guard
# itself refuses) or was rolled back changed nothing, yet the subscription
# stayed disabled for good.  So did a failed ledger.resync_subscription(),
# whose own ALTER SUBSCRIPTION ... DISABLE rolls back with it.  The
# reconnection is cancelled when the ALTER's transaction commits.
ok(lose_connection(), 'part 5: lost connection: reconnecting');
for my $case (
	[ 'a bad connection string', q{ALTER SUBSCRIPTION sub CONNECTION 'nosuchoption=1'} ],
	[ 'a REFRESH that the guard refuses', q{ALTER SUBSCRIPTION sub REFRESH PUBLICATION} ],
	[ 'a rolled back transaction', q{BEGIN; ALTER SUBSCRIPTION sub DISABLE; ROLLBACK;} ],
	[ 'a rolled back savepoint', q{BEGIN; SAVEPOINT s; ALTER SUBSCRIPTION sub DISABLE; ROLLBACK TO s; COMMIT;} ])
{
	$b->psql('postgres', $case->[1], on_error_stop => 0);
	is(state_of(), 'reconnecting', "... $case->[0]: the reconnection is still pending (before: \"disabled\")");
	# (each case stands alone: if it cancelled the reconnection, enabled and
	# lost again)
	next if state_of() eq 'reconnecting';
	$b->safe_psql('postgres', 'ALTER SUBSCRIPTION sub ENABLE');
	poll_until($b, q{SELECT state = 'streaming' FROM ledger.replication_status WHERE peer = 'sub'}, 60);
	lose_connection();
}
$b->safe_psql('postgres', q{BEGIN; SAVEPOINT s; ALTER SUBSCRIPTION sub SET (synchronous_commit = 'off'); RELEASE s; COMMIT;});
is(state_of(), 'disabled', '... an ALTER committed (in a savepoint released) takes charge: disabled');
$off = -s $b->logfile;
set_delay(1);
sleep 3;    # more than the delay
is(sub_enabled($b, 'sub'), 'f', '... and ledger does not enable it behind the administrator');
unlike(slurp_file($b->logfile, $off), qr/enabling subscription "sub" again/, '... nor says it does');
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION sub ENABLE');
$a->safe_psql('postgres', 'INSERT INTO acct VALUES (5, 50)');
$digest = caught_up($a, $b, 'acct');
ok($digest, 'enabled by the administrator, the replica catches up');
verify_ok($b, 'postgres', 'acct', $digest, '... and verifies against the origin\'s digest');

$a->stop;
$b->stop;
done_testing();
