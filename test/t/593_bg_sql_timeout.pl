# Copyright (c) the ledger authors; PostgreSQL licence.
#
# SyncTest's bg_sql_start / bg_sql_finish: a statement in a background psql
# that must end within a time.  The random walk of test/t/585_chaos.pl
# waited for its administrator's background ALTER SUBSCRIPTION (operation
# reconnect_fault) with IPC::Run's finish and no time limit: an ALTER held
# back for good (by a lock nobody lets go) hung the walk instead of
# failing it.  Here an ALTER SUBSCRIPTION waits for the lock of another
# one left open, as the walk's would: bg_sql_finish must give up after its
# time, say what the session waited for and who held it back, and leave no
# backend behind; one that ends in time hands back psql's status and
# output.
use strict;
use warnings;
use Time::HiRes qw(time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $node = sync_node('bg');
$node->safe_psql('postgres', q{
	CREATE SUBSCRIPTION s CONNECTION 'dbname=nowhere' PUBLICATION p
		WITH (connect = false, enabled = false, create_slot = false, slot_name = NONE);
});

# one that ends in time, and one that fails
my ($status, $out, $err) = bg_sql_finish(bg_sql_start($node, 'SELECT 41 + 1', 'bg_ok', 60));
is($status, 0, 'a session that ends in time: psql exits 0');
is($out, '42', '... with its output');
($status, $out, $err) = bg_sql_finish(bg_sql_start($node, 'SELECT 1/0', 'bg_fail', 60));
isnt($status, 0, 'a statement that fails: psql exits non-zero');
like($err, qr/division by zero/, '... with the error');

# an administrator's ALTER SUBSCRIPTION held back by another one left open
my $holder = $node->background_psql('postgres');
$holder->query_safe(q{BEGIN; ALTER SUBSCRIPTION s SET (synchronous_commit = 'off')});
my $t0 = time();
my $bg = bg_sql_start($node, "BEGIN; ALTER SUBSCRIPTION s CONNECTION 'dbname=elsewhere'; COMMIT;", 'chaos_admin', 3);
ok(poll_until($node, q{SELECT count(*) = 1 FROM pg_stat_activity WHERE application_name = 'chaos_admin' AND wait_event_type = 'Lock'}, 30),
	'the ALTER waits for the lock of the one left open');
my $ok = eval { bg_sql_finish($bg); 1 };
my $e = $@;
my $took = sprintf('%.1f', time() - $t0);
note("bg_sql_finish: $e");
ok(!$ok, 'bg_sql_finish gives up on a session that does not end in its time');
like($e, qr/^chaos_admin did not end within 3 s: BEGIN; ALTER SUBSCRIPTION s CONNECTION/, '... and says which');
like($e, qr/waiting for Lock object, held back by pid \d+ \(.*ALTER SUBSCRIPTION s SET/,
	'... what it waited for, and which session held it back');
cmp_ok($took, '<', 60, "... soon after its time ($took s)");
ok(poll_until($node, q{SELECT count(*) = 0 FROM pg_stat_activity WHERE application_name = 'chaos_admin'}, 30),
	'... and its backend is gone');
$holder->query_safe('COMMIT');
$holder->quit;
is($node->safe_psql('postgres', q{SELECT subconninfo || ' ' || subsynccommit FROM pg_subscription WHERE subname = 's'}),
	'dbname=nowhere off', 'the ALTER given up on did not commit; the other one did');

done_testing();
