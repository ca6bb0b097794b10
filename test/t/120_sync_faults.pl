# Sync (issue #11) under faults, with pgbench writing to the origin's ledger
# (several clients, many small transactions): a subscription made under
# load; the replica restarted mid-stream (fast and immediate); the origin
# restarted (fast and immediate); the link cut (subscription disabled while
# writes continue, then enabled; the walsender terminated); the slot lost
# (max_slot_wal_keep_size) and ledger.resync_subscription() under load.
# A subscription that a lost connection or a transient error (here a lock
# timeout) disabled is enabled again by ledger after
# ledger.sync_reconnect_delay, unless an administrator has taken charge of
# it (disabled it) meanwhile, also when the peer restarts or crashes in
# between.
# After each: the same (ledger_xact, ledger_seq, ledger_hash) at both ends
# (nothing lost, nothing duplicated), the same digest for the same block,
# and the replica verifies against the origin's digest.  Then resync
# refusing equivocation (a record the origin no longer has, another block at
# the same number, an origin restored from an older dump that writes a
# different history) and leaving the replica as it was; and
# drop_subscription, keeping verifiable read-only replicas or dropping them.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $db = 'bank';
my $a = sync_node('faults_origin', db => $db);
# ledger.sync_reconnect_delay: 1 s here (10 by default), doubled for each
# reconnection within 5 minutes of the one before
my $b = sync_node('faults_peer', db => $db, conf => "ledger.sync_reconnect_delay = 1\n");
my $ci = conninfo($a, $db);

$a->safe_psql($db, q{
	CREATE TABLE f (id bigserial PRIMARY KEY, client int NOT NULL, v float8, at timestamptz NOT NULL DEFAULT now());
	SELECT ledger.create_ledger('f');
	INSERT INTO f (client, v) SELECT 0, g FROM generate_series(1, 20) g;
	SELECT ledger.create_publication('pub_f', ARRAY['f'::regclass]);
	CREATE TABLE g (id int PRIMARY KEY, note text);
	SELECT ledger.create_ledger('g');
	INSERT INTO g VALUES (1, 'one'), (2, 'two');
	SELECT ledger.create_publication('pub_g', ARRAY['g'::regclass]);
});
my $fid = $a->safe_psql($db, q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 'f'::regclass});

# Many small transactions: one row (most), a few rows, two statements.
my @scripts = (
	[ "INSERT INTO f (client, v) VALUES (:client_id, random());\n", 8 ],
	[ "\\set n random(2, 6)\nINSERT INTO f (client, v) SELECT :client_id, g FROM generate_series(1, :n) g;\n", 1 ],
	[ "BEGIN;\nINSERT INTO f (client, v) VALUES (:client_id, -1);\nINSERT INTO f (client, v) VALUES (:client_id, -2);\nCOMMIT;\n", 1 ],
);
sub load
{
	my (%o) = @_;
	return load_start($a, db => $db, clients => 4, rate => 150, secs => $o{secs} // 4, scripts => \@scripts);
}

# Both ends equal after a phase.
sub check
{
	my ($phase) = @_;
	my $d = caught_up($a, $b, 'f', $db);
	ok(defined $d, "$phase: the replica caught up") or return;
	is(row_set($b, 'f', $db), row_set($a, 'f', $db), "$phase: same (xact, seq, hash) at both ends");
	is(digest_of($b, 'f', $db), $d, "$phase: same digest for the same block");
	verify_ok($b, $db, 'f', $d, "$phase: replica verifies against the origin's digest");
	return $d;
}

sub state_of
{
	my ($node, $role, $peer) = @_;
	return $node->safe_psql($db,
		"SELECT string_agg(DISTINCT state, ',') FROM ledger.replication_status WHERE role = '$role' AND peer = '$peer'");
}

# ---------- subscribing under load ----------
my $l = load(secs => 4);
sleep 1;
is($b->safe_psql($db, "SELECT ledger.create_subscription('sub_f', '$ci', 'pub_f')"), '1',
	'subscribed while the origin is written');
my ($st, $n) = load_finish($l);
is($st, 0, 'pgbench ran');
cmp_ok($n, '>', 100, "pgbench wrote $n transactions");
check('subscribed under load');
like(state_of($a, 'origin', 'sub_f'), qr/^(streaming|catching up)$/, 'origin: the peer streams');

# ---------- the replica restarted ----------
$l = load();
sleep 1;
$b->restart;
load_finish($l);
check('replica restarted (fast) mid-stream');

$l = load();
sleep 1;
$b->stop('immediate');
$b->start;
load_finish($l);
check('replica crashed (immediate) mid-stream');

# ---------- the origin restarted ----------
# A connection lost while streaming is an error of the apply worker, and
# PostgreSQL 15 disables a subscription made with disable_on_error for any
# error it raises once it streams (not for one in connecting: that is
# retried with the subscription enabled); ledger enables it again ledger.sync_reconnect_delay later
# (docs/replication.md, "Failures"), with no one's help.  The peer's log
# from $offset says both.
sub reconnected_after_connection_loss
{
	my ($phase, $s, $offset) = @_;
	my $said = eval {
		$b->wait_for_log(qr/LOG:  ledger: enabling subscription "$s" again after it lost its connection to the origin/,
			$offset);
		1;
	};
	ok($said, "$phase: $s enabled again by ledger, after the delay") or return;
	my $log = substr(slurp_file($b->logfile), $offset);
	like($log, qr/subscription "$s" has been disabled because of an error/,
		"$phase: $s had been disabled by the lost connection");
	like($log,
		qr/DETAIL:  It was disabled by an error of its apply worker at [^:]+:[^:]+:[^:]+: (could not receive data from WAL stream|could not send (end-of-streaming message to primary|data to WAL stream)|terminating logical replication worker due to timeout)/,
		"$phase: the log names the lost connection");
	ok(poll_until($b, "SELECT subenabled FROM pg_subscription WHERE subname = '$s'", 30, $db),
		"$phase: $s enabled (no ALTER SUBSCRIPTION ... ENABLE by anyone)");
}

# pgbench's clients lose their connections: then more load on the new server
my $offset = -s $b->logfile;
$l = load();
sleep 1;
$a->restart;
load_finish($l);
load_finish(load(secs => 2));
reconnected_after_connection_loss('origin restarted (fast)', 'sub_f', $offset);
check('origin restarted (fast)');

$offset = -s $b->logfile;
$l = load();
sleep 1;
$a->stop('immediate');
$a->start;
load_finish($l);
load_finish(load(secs => 2));
reconnected_after_connection_loss('origin crashed (immediate)', 'sub_f', $offset);
check('origin crashed (immediate)');

# ---------- the link cut ----------
$l = load(secs => 5);
sleep 1;
$b->safe_psql($db, 'ALTER SUBSCRIPTION sub_f DISABLE');
is(state_of($b, 'replica', 'sub_f'), 'disabled', 'replica: disabled by an administrator');
ok(poll_until($a, "SELECT NOT active FROM pg_replication_slots WHERE slot_name = 'sub_f'", 30, $db),
	'origin: the slot is inactive');
is(state_of($a, 'origin', 'sub_f'), 'disconnected', 'origin: the peer is disconnected');
sleep 2;
$b->safe_psql($db, 'ALTER SUBSCRIPTION sub_f ENABLE');
load_finish($l);
check('subscription disabled while the origin is written, then enabled');

$offset = -s $b->logfile;
$l = load();
sleep 1;
$a->safe_psql($db, "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'sub_f'");
load_finish($l);
reconnected_after_connection_loss('walsender terminated mid-stream', 'sub_f', $offset);
check('walsender terminated mid-stream');

# A transient error of the apply worker: with lock_timeout set for the
# cluster, a lock a DBA holds on a replica (LOCK, VACUUM FULL, CLUSTER)
# makes the apply worker fail with 55P03 and PostgreSQL disable the
# subscription; ledger enables it again, and once the lock is gone the
# change applies.
$b->append_conf('postgresql.conf', "lock_timeout = '300ms'\n");
$b->reload;
$offset = -s $b->logfile;
my $locker = $b->background_psql($db);
$locker->query_safe('BEGIN; LOCK TABLE f IN SHARE MODE');
$a->safe_psql($db, "INSERT INTO f (client, v) VALUES (99, 1)");
my $stopped = eval {
	$b->wait_for_log(qr/subscription "sub_f" has been disabled because of an error/, $offset);
	1;
};
ok($stopped, 'a lock held on the replica: the apply worker fails (lock_timeout) and the subscription is disabled');
like(substr(slurp_file($b->logfile), $offset), qr/ERROR:  canceling statement due to lock timeout/, '... by the lock timeout');
$locker->query_safe('COMMIT');
$locker->quit;
my $again = eval {
	$b->wait_for_log(
		qr/LOG:  ledger: enabling subscription "sub_f" again after a transient error of its apply worker \(SQLSTATE 55P03\)/,
		$offset);
	1;
};
ok($again, '... enabled again by ledger after the delay');
like(substr(slurp_file($b->logfile), $offset),
	qr/DETAIL:  It was disabled by an error of its apply worker at [^\n]*: canceling statement due to lock timeout/,
	'... its log names the error');
$b->append_conf('postgresql.conf', "lock_timeout = 0\n");
$b->reload;
check('a lock on the replica held past lock_timeout, then released');

# ledger.sync_reconnect_delay at the peer, reloaded.
sub set_delay
{
	my ($delay) = @_;
	$b->append_conf('postgresql.conf', "ledger.sync_reconnect_delay = $delay\n");
	$b->reload;
}

# The connection lost with the delay set to $delay: the origin's walsender
# terminated.  Returns the peer's log offset from before.
sub lose_connection
{
	my ($delay) = @_;
	set_delay($delay);
	my $offset = -s $b->logfile;
	$a->safe_psql($db, "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'sub_f'");
	return $offset;
}

# An administrator who takes charge of a subscription that a lost
# connection disabled (here: disables it) keeps it disabled.
$offset = lose_connection(60);
ok( poll_until(
		$b,
		"SELECT state = 'reconnecting' AND last_error LIKE '%WAL stream%' FROM ledger.replication_status WHERE peer = 'sub_f' LIMIT 1",
		30, $db),
	"lost connection: replication_status says 'reconnecting' and names it");
is( $b->safe_psql($db,
		"SELECT reconnect_at > last_error_at FROM ledger.replication_status WHERE peer = 'sub_f' LIMIT 1"),
	't', '... and reconnect_at, when ledger will enable it again');
$b->safe_psql($db, 'ALTER SUBSCRIPTION sub_f DISABLE');
is(state_of($b, 'replica', 'sub_f'), 'disabled', 'then disabled by an administrator: replication_status says disabled');
is($b->safe_psql($db, "SELECT count(reconnect_at) FROM ledger.replication_status WHERE peer = 'sub_f'"),
	'0', '... with no reconnect_at');
set_delay(1);
sleep 4;
is($b->safe_psql($db, "SELECT subenabled FROM pg_subscription WHERE subname = 'sub_f'"),
	'f', 'the administrator\'s decision stands: still disabled after the delay');
unlike(substr(slurp_file($b->logfile), $offset), qr/enabling subscription "sub_f" again/,
	'ledger did not enable it');
$b->safe_psql($db, 'ALTER SUBSCRIPTION sub_f ENABLE');
check('enabled by the administrator');

# A peer restarted while a reconnection is pending keeps it, and keeps the
# error: the postmaster writes the apply workers' last errors at a clean
# shutdown and reads them at start (as pg_stat_statements keeps its
# statistics).  Until 2026-12-05 the restart forgot the reconnection and
# the subscription stayed disabled.
$offset = lose_connection(3600);
ok( poll_until(
		$b,
		"SELECT state = 'reconnecting' FROM ledger.replication_status WHERE peer = 'sub_f' LIMIT 1",
		30, $db),
	'lost connection with a delay of an hour: reconnecting');
my $pending_q =
  "SELECT state || ' ' || reconnect_at || ' ' || last_error_at || ' ' || last_error FROM ledger.replication_status WHERE peer = 'sub_f' LIMIT 1";
my $pending = $b->safe_psql($db, $pending_q);
$b->restart;
is($b->safe_psql($db, $pending_q), $pending,
	'peer restarted during the delay: the same state, reconnect_at, error time and error');
set_delay(1);
reconnected_after_connection_loss('peer restarted during the delay', 'sub_f', $offset);
check('peer restarted during the delay, then enabled by ledger');

# And a crash of the peer: the sealers' launcher writes the state within a
# ledger.seal_interval of each change, and the postmaster reads it again
# when it sets up shared memory after the crash.  Until 2026-12-05 (the
# file was written only at a clean shutdown) the crash forgot the
# reconnection, and the subscription stayed disabled.
$offset = lose_connection(3600);
ok( poll_until(
		$b,
		"SELECT state = 'reconnecting' FROM ledger.replication_status WHERE peer = 'sub_f' LIMIT 1",
		30, $db),
	'lost connection with a delay of an hour, again: reconnecting');
$pending = $b->safe_psql($db, $pending_q);
$b->append_conf('postgresql.conf', "restart_after_crash = on\n");
$b->reload;
sleep 2;    # more than the launcher's round
my $launcher_pid =
  $b->safe_psql($db, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher'");
ok($launcher_pid =~ /^\d+$/ && kill('KILL', $launcher_pid), 'peer: a process killed (SIGKILL), so the server restarts after a crash');
ok( poll_until(
		$b, "SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher' AND pid <> $launcher_pid",
		60, $db),
	'... the server is back');
like(substr(slurp_file($b->logfile), $offset), qr/all server processes terminated; reinitializing/,
	'... after a crash (its log says so)');
is($b->safe_psql($db, $pending_q), $pending,
	'peer crashed during the delay: the same state, reconnect_at, error time and error');
set_delay(1);
reconnected_after_connection_loss('peer crashed during the delay', 'sub_f', $offset);
check('peer crashed during the delay, then enabled by ledger');

# ledger.sync_reconnect_delay = -1: a lost connection leaves the
# subscription disabled, as PostgreSQL does, until someone enables it
$offset = lose_connection(-1);
ok(poll_until($b, "SELECT NOT subenabled FROM pg_subscription WHERE subname = 'sub_f'", 30, $db),
	'sync_reconnect_delay = -1: the lost connection disables the subscription');
sleep 3;
is( $b->safe_psql($db, "SELECT state || ': ' || (last_error LIKE '%WAL stream%')::text FROM ledger.replication_status WHERE peer = 'sub_f' LIMIT 1"),
	'disabled: true', '... replication_status says disabled (not reconnecting), naming the lost connection');
unlike(substr(slurp_file($b->logfile), $offset), qr/enabling subscription "sub_f" again/, '... and ledger does not enable it');
set_delay(1);
$b->safe_psql($db, 'ALTER SUBSCRIPTION sub_f ENABLE');
check('sync_reconnect_delay = -1, then enabled by hand');

# An older state of the origin, restored at the end (equivocation).
my $dump = PostgreSQL::Test::Utils::tempdir() . '/origin.dump';
command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $a->connstr($db) ], 'pg_dump of the origin');

# ---------- the slot lost ----------
$a->safe_psql($db, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
$a->reload;
$b->safe_psql($db, 'ALTER SUBSCRIPTION sub_f DISABLE');
poll_until($a, "SELECT NOT active FROM pg_replication_slots WHERE slot_name = 'sub_f'", 30, $db);
load_finish(load(secs => 2));
$a->safe_psql($db, 'CREATE TABLE filler (x text)');
for (1 .. 20)
{
	$a->safe_psql($db, q{INSERT INTO filler SELECT repeat(md5(g::text), 32) FROM generate_series(1, 4000) g;
		SELECT pg_switch_wal(); CHECKPOINT;});
	last if $a->safe_psql($db, "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'sub_f'") eq 'lost';
}
is($a->safe_psql($db, "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'sub_f'"), 'lost',
	'origin: the slot was invalidated (max_slot_wal_keep_size)');
is(state_of($a, 'origin', 'sub_f'), 'lost', "origin: replication_status says 'lost'");
my $since = last_error_at($b, 'sub_f', $db);
$b->safe_psql($db, 'ALTER SUBSCRIPTION sub_f ENABLE');
ok( poll_until(
		$b,
		"SELECT last_error LIKE '%cannot read from logical replication slot \"sub_f\"%' AND state = 'starting' "
		  . "FROM ledger.replication_status WHERE peer = 'sub_f'"
		  . ($since ne '' ? " AND last_error_at > '$since'" : ''),
		60, $db),
	"replica: 'starting', last_error says the slot cannot be read");
$a->safe_psql($db, 'ALTER SYSTEM RESET max_slot_wal_keep_size');
$a->reload;

$l = load(secs => 4);
sleep 1;
is($b->safe_psql($db, "SELECT ledger.resync_subscription('sub_f')"), '1', 'resync_subscription under load');
load_finish($l);
my $good = check('slot lost, resynchronized under load');
like(state_of($b, 'replica', 'sub_f'), qr/^(streaming|catching up)$/, 'replica: streaming after the resync');
is($a->safe_psql($db, "SELECT wal_status <> 'lost' FROM pg_replication_slots WHERE slot_name = 'sub_f'"), 't',
	'origin: a new slot');

# ---------- equivocation refused, the replica left as it was ----------
sub held
{
	return held_state($b, 'f', $db);
}

sub resync_refused
{
	my ($name, $detail) = @_;
	my $before = held();
	my ($ret, $out, $err) = $b->psql($db, "SELECT ledger.resync_subscription('sub_f')");
	isnt($ret, 0, "$name: resync fails");
	like($err, qr/ERROR:  equivocation: the origin's ledger public\.f differs from the replica held here/,
		"$name: equivocation reported");
	like($err, $detail, "$name: the detail names the difference");
	is(held(), $before, "$name: the replica is left as it was");
	is($b->safe_psql($db, "SELECT count(*) FROM pg_subscription WHERE subname = 'sub_f'"), '1',
		"$name: the subscription is back");
	is($a->safe_psql($db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'sub_f'"), '0',
		"$name: no slot left at the origin (the next resync starts over)");
}

# a record the origin does not have
$b->safe_psql($db, "INSERT INTO ledger.transactions VALUES ($fid, 999999999, 1, sha256('x'), now())");
resync_refused('a record held here that the origin does not have',
	qr/DETAIL:  The replica holds transaction 999999999, which the origin no longer has\./);
$b->safe_psql($db, "DELETE FROM ledger.transactions WHERE ledger_id = $fid AND xact_id = 999999999");

# another block at the same number
my $h1 = $b->safe_psql($db, "SELECT encode(block_hash, 'hex') FROM ledger.blocks WHERE ledger_id = $fid AND block_no = 1");
$b->safe_psql($db, "UPDATE ledger.blocks SET block_hash = sha256('another') WHERE ledger_id = $fid AND block_no = 1");
resync_refused('another block at the same number',
	qr/DETAIL:  Block 1: hash [0-9a-f]{64} here, $h1 at the origin\./);
$b->safe_psql($db, "UPDATE ledger.blocks SET block_hash = decode('$h1', 'hex') WHERE ledger_id = $fid AND block_no = 1");

is($b->safe_psql($db, "SELECT ledger.resync_subscription('sub_f')"), '1', 'resync once the replica is as received');
load_finish(load(secs => 2));
$good = check('resynchronized again');

# ---------- drop_subscription ----------
is($b->safe_psql($db, "SELECT ledger.create_subscription('sub_g', '$ci', 'pub_g')"), '1', 'a second subscription');
$a->safe_psql($db, q{INSERT INTO g VALUES (3, 'three')});
my $dg = caught_up($a, $b, 'g', $db);
ok(defined $dg, 'g replicated');
$b->safe_psql($db, q{SELECT ledger.drop_subscription('sub_g')});
is($b->safe_psql($db, q{SELECT count(*) FROM pg_subscription WHERE subname = 'sub_g'}), '0',
	'drop_subscription: the subscription is gone');
is($a->safe_psql($db, q{SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'sub_g'}), '0',
	'drop_subscription: the slot is gone at the origin');
is($b->safe_psql($db, q{SELECT role || ' ' || state || ' ' || coalesce(peer, '-') FROM ledger.replication_status WHERE ledger = 'g'::regclass}),
	'replica dropped -', "drop_subscription: the replica is kept, 'dropped'");
verify_ok($b, $db, 'g', $dg, "drop_subscription: the kept replica verifies against the origin's digest");
my ($ret, $out, $err) = $b->psql($db, q{INSERT INTO g VALUES (4, 'local')});
like($err, qr/cannot insert into ledger table "g": it is a replica/, 'drop_subscription: the kept replica stays read-only');
($ret, $out, $err) = $b->psql($db, q{SELECT ledger.seal('g')});
like($err, qr/cannot seal ledger "g": it is a replica/, 'drop_subscription: and is never sealed here');

# a new subscription takes the kept replica back and completes it
$a->safe_psql($db, q{INSERT INTO g VALUES (4, 'four'), (5, 'five')});
is($b->safe_psql($db, "SELECT ledger.create_subscription('sub_g2', '$ci', 'pub_g')"), '1',
	'a new subscription adopts the kept replica');
$dg = caught_up($a, $b, 'g', $db);
is(row_set($b, 'g', $db), row_set($a, 'g', $db), 'the adopted replica is complete');
verify_ok($b, $db, 'g', $dg, 'and verifies');

my $gid = $a->safe_psql($db, q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 'g'::regclass});
$b->safe_psql($db, q{SELECT ledger.drop_subscription('sub_g2', true)});
is($b->safe_psql($db, q{SELECT to_regclass('g') IS NULL}), 't', 'drop_subscription(..., true): the replica is dropped');
is( $b->safe_psql(
		$db,
		"SELECT (SELECT count(*) FROM ledger.ledgers WHERE ledger_id = $gid) + (SELECT count(*) FROM ledger.replicas WHERE ledger_id = $gid) "
		  . "+ (SELECT count(*) FROM ledger.transactions WHERE ledger_id = $gid) + (SELECT count(*) FROM ledger.blocks WHERE ledger_id = $gid)"),
	'0', 'drop_subscription(..., true): with its catalog rows');
is($a->safe_psql($db, q{SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'sub_g2'}), '0',
	'drop_subscription(..., true): the slot is gone at the origin');
check('the other subscription is untouched');

# ---------- the origin restored from an older dump: another history ----------
$b->safe_psql($db, 'ALTER SUBSCRIPTION sub_f DISABLE');
poll_until($a, "SELECT NOT active FROM pg_replication_slots WHERE slot_name = 'sub_f'", 30, $db);
$a->safe_psql('postgres', "SELECT pg_drop_replication_slot('sub_f')");
$a->safe_psql('postgres', "DROP DATABASE $db WITH (FORCE)");
$a->safe_psql('postgres', "CREATE DATABASE $db");
command_ok([ 'pg_restore', '-d', $a->connstr($db), $dump ], 'the origin restored from the older dump');
# pg_dump keeps a publication's tables but not its extension tables
is($a->safe_psql($db, "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = 'pub_f'"),
	'f', "a restored publication has lost the ledger catalog's tables");
$a->safe_psql($db, "DROP PUBLICATION pub_f; SELECT ledger.create_publication('pub_f', ARRAY['f'::regclass])");
# the restored origin writes again: the same transaction numbers, other rows
$a->safe_psql($db, "INSERT INTO f (client, v) VALUES (-1, 1)") for (1 .. 3);
ok(wait_sealed($a, $db), 'the restored origin seals');
resync_refused('the origin restored from an older dump',
	qr/DETAIL:  (Transaction \d+: here .*, at the origin .*|Block \d+: hash .* here, .* at the origin)/);
verify_ok($b, $db, 'f', $good, "the replica still verifies against the origin's earlier digest");

# drop_subscription while the origin cannot be reached: a WARNING, replicas kept
$a->stop;
($ret, $out, $err) = $b->psql($db, q{SELECT ledger.drop_subscription('sub_f')});
is($ret, 0, 'drop_subscription with the origin down');
like($err, qr/WARNING:  could not drop replication slot "sub_f" at the origin/, '... warns that the slot may be left there');
is($b->safe_psql($db, q{SELECT count(*) FROM pg_subscription}), '0', '... and drops the subscription here');
verify_ok($b, $db, 'f', $good, '... keeping the replica, which verifies');

done_testing();
