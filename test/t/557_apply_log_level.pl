# Copyright (c) the ledger authors; PostgreSQL licence.
#
# The log level of the apply worker of a subscription of replicas follows
# the server's log_min_messages, only never above error (a last read on
# 2026-12-07).  ledger learns of the worker's errors from the log
# (replica_emit_log), so where the server's setting is log, fatal or panic
# the worker logs from error up (test/t/556, part 4).  That was made an
# override of the setting's every other source, fixed for the life of the
# worker: a DBA who changed log_min_messages later (ALTER SYSTEM and a
# reload, to debug2 to see what the worker does, or back to the default
# warning) did not reach a running worker, which went on logging from error
# up until it restarted.  The worker now takes the server's setting again
# at the end of each of its transactions, kept at error or below.
#  1. At log, a reload to debug2 reaches the worker: its DEBUG2 "sending
#     feedback" lines are logged once it has applied a transaction.
#  2. Back at log by a reload, the worker's errors are still logged, and
#     replication_status has them (a lock timeout, which ledger enables the
#     subscription again after).
#  3. A worker started at warning, the server's setting then reloaded to
#     log: its next transaction's error is logged.  Before, the worker took
#     the reload's log and set error again only at its next commit, so an
#     error in the first transaction after the reload was not logged, and
#     the subscription it disabled stayed disabled.
#  4. A worker that starts while a DBA's lock keeps ledger.replicas from
#     being read cannot tell yet whether its subscription holds replicas:
#     it logs its errors as one that does until it can tell.  Before, it
#     kept the server's log: its lock timeout waiting for that lock went
#     unlogged, and the subscription stayed disabled after the DBA let go.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;
use Time::HiRes qw(usleep);

my $a = sync_node('ll_a');
my $b = sync_node('ll_b', conf => "log_min_messages = log\nledger.sync_reconnect_delay = 1\n");
my $ci = acct_subscribed($a, $b);
my $id = 100;

sub apply_one
{
	$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
	return caught_up($a, $b, 'acct');
}

# ---------- 1. a reload to debug2 reaches the running worker ----------
my $pid = $b->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'logical replication worker'});
like($pid, qr/^\d+$/, 'one apply worker at the peer');
my $off = -s $b->logfile;
$b->safe_psql('postgres', q{ALTER SYSTEM SET log_min_messages = debug2; SELECT pg_reload_conf()});
ok(poll_until($b, q{SELECT setting = 'debug2' FROM pg_settings WHERE name = 'log_min_messages'}, 30),
	'the peer reloaded log_min_messages = debug2');
ok(apply_one(), 'a transaction applied after the reload');
ok(apply_one(), '... and another');
my $seen = 0;
for (1 .. 60)
{
	$seen = 1 if slurp_file($b->logfile, $off) =~ /DEBUG:  sending feedback/;
	last if $seen;
	usleep(500_000);
}
ok($seen, 'the running apply worker logs at the debug2 the DBA set (its DEBUG2 "sending feedback")');
is($b->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'logical replication worker'}),
	$pid, '... the same worker, not restarted');

# ---------- 2. back at log: the worker's errors are still logged ----------
$b->safe_psql('postgres', q{ALTER SYSTEM SET log_min_messages = log;
	ALTER SYSTEM SET lock_timeout = '300ms'; SELECT pg_reload_conf()});
ok(poll_until($b, q{SELECT setting = 'log' FROM pg_settings WHERE name = 'log_min_messages'}, 30),
	'the peer reloaded log_min_messages = log');
ok(apply_one(), 'a transaction applied after the reload');
$off = -s $b->logfile;
my $dba = $b->background_psql('postgres');
$dba->query_safe('SET lock_timeout = 0; BEGIN; LOCK TABLE acct IN SHARE MODE');
$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
ok( poll_until(
		$b, q{SELECT count(*) > 0 FROM ledger.replication_status
		 WHERE peer = 'sub' AND last_error LIKE '%lock timeout%'}, 30),
	'a lock timeout of the apply worker: replication_status has it');
like(slurp_file($b->logfile, $off), qr/ERROR:  canceling statement due to lock timeout/,
	'... and the log, the server\'s log_min_messages being log');
$dba->query_safe('COMMIT');
$dba->quit;
$b->safe_psql('postgres', q{ALTER SYSTEM RESET lock_timeout; SELECT pg_reload_conf()});
ok(caught_up($a, $b, 'acct'), 'ledger enabled the subscription again: the replica caught up');
is(row_set($b, 'acct'), row_set($a, 'acct'), 'the replica holds the origin\'s rows');

# ---------- 3. a worker started at warning, then a reload to log ----------
$b->safe_psql('postgres', q{ALTER SYSTEM SET log_min_messages = warning; SELECT pg_reload_conf()});
ok(poll_until($b, q{SELECT setting = 'warning' FROM pg_settings WHERE name = 'log_min_messages'}, 30),
	'the peer reloaded log_min_messages = warning');
$pid = $b->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'logical replication worker'});
$b->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok( poll_until(
		$b, qq{SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE backend_type = 'logical replication worker' AND pid <> $pid}, 30),
	'a new apply worker, started at warning');
ok(apply_one(), '... which applies');
$b->safe_psql('postgres', q{ALTER SYSTEM SET log_min_messages = log;
	ALTER SYSTEM SET lock_timeout = '300ms'; SELECT pg_reload_conf()});
ok(poll_until($b, q{SELECT setting = 'log' FROM pg_settings WHERE name = 'log_min_messages'}, 30),
	'the peer reloaded log_min_messages = log');
sleep 1;
my $at = $b->safe_psql('postgres', 'SELECT now()');
$off = -s $b->logfile;
$dba = $b->background_psql('postgres');
$dba->query_safe('SET lock_timeout = 0; BEGIN; LOCK TABLE acct IN SHARE MODE');
$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
ok( poll_until(
		$b, qq{SELECT count(*) > 0 FROM ledger.replication_status
		 WHERE peer = 'sub' AND last_error LIKE '%lock timeout%' AND last_error_at > '$at'}, 30),
	'the first transaction after the reload fails: replication_status has its error');
like(slurp_file($b->logfile, $off), qr/ERROR:  canceling statement due to lock timeout/,
	'... and the log');
$dba->query_safe('COMMIT');
$dba->quit;
$b->safe_psql('postgres', q{ALTER SYSTEM RESET lock_timeout; SELECT pg_reload_conf()});
ok(caught_up($a, $b, 'acct'), 'ledger enabled the subscription again: the replica caught up');
is(row_set($b, 'acct'), row_set($a, 'acct'), 'the replica holds the origin\'s rows');

# ---------- 4. a worker started while ledger.replicas is locked ----------
$b->safe_psql('postgres', q{ALTER SYSTEM SET lock_timeout = '300ms'; SELECT pg_reload_conf()});
ok(poll_until($b, q{SELECT setting = '300' FROM pg_settings WHERE name = 'lock_timeout'}, 30),
	'the peer reloaded lock_timeout = 300ms, log_min_messages still log');
$pid = $b->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'logical replication worker'});
$off = -s $b->logfile;
$dba = $b->background_psql('postgres');
$dba->query_safe('SET lock_timeout = 0; BEGIN; LOCK TABLE ledger.replicas IN ACCESS EXCLUSIVE MODE');
$b->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
ok( poll_until(
		$b, qq{SELECT count(*) = 1 FROM pg_stat_activity
		 WHERE backend_type = 'logical replication worker' AND pid <> $pid}, 30),
	'a new apply worker, started while a DBA locks ledger.replicas');
sleep 1;
$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
my $logged = 0;
for (1 .. 60)
{
	$logged = 1 if slurp_file($b->logfile, $off) =~ /ERROR:  canceling statement due to lock timeout/;
	last if $logged;
	usleep(500_000);
}
ok($logged, '... its lock timeout waiting for it is logged, the server\'s log_min_messages being log');
$dba->query_safe('COMMIT');
$dba->quit;
$b->safe_psql('postgres', q{ALTER SYSTEM RESET lock_timeout; SELECT pg_reload_conf()});
ok(caught_up($a, $b, 'acct'), 'ledger enabled the subscription again: the replica caught up');
is(row_set($b, 'acct'), row_set($a, 'acct'), 'the replica holds the origin\'s rows');

done_testing();
