# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Sync across a rewind: a peer, or an origin, brought back to an earlier
# state by a backup or a promoted standby (docs/replication.md, "Backup and
# restore", "Physical standbys and promotion", "Failures").
#  1. A peer's physical standby that had replayed everything, promoted when
#     the peer dies: the subscription goes on from the same slot, nothing
#     lost or applied twice, no resync needed.
#  2. A peer restored from a base backup older than what its subscription
#     had confirmed to the origin: the origin's walsender starts at the
#     slot's confirmed position (CreateDecodingContext in PostgreSQL's
#     logical.c moves a start before it forward), so what came in between
#     never arrives.  The first block after the gap is refused, naming the
#     block the replica lacks and the resync (until 2026-12-06 it was
#     "does not continue the chain held here", with a hint that blamed the
#     origin); the resync copies what is missing, and the replica verifies.
#     The same with only transaction records in the gap: their block is
#     refused, its hint naming the resync.
#  3. An origin restored from a file-level copy that carries its slot: the
#     origin seals new blocks under numbers the peer holds.  With the slot
#     dropped before the restored origin takes writes, the peer finds no
#     slot and its resync is refused as equivocation, nothing of the new
#     history applied.  With the slot kept, the first transaction past the
#     peer's position comes under a number the peer holds: refused, naming
#     it (until 2026-12-06 a bare duplicate key error).  The
#     way on once the fork is settled: keep the evidence, drop the replica,
#     subscribe again.
#  4. A peer's standby promoted while a lost connection's reconnection was
#     pending: the subscription stays disabled until enabled by hand.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

sub status
{
	my ($n, $sub) = @_;
	return $n->safe_psql('postgres',
		"SELECT state || ' ' || coalesce(last_error, '') FROM ledger.replication_status WHERE role = 'replica' AND peer = '$sub'");
}

sub ids
{
	my ($n, $t) = @_;
	return $n->safe_psql('postgres', "SELECT string_agg(id::text, ',' ORDER BY id) FROM " . ($t // 'pay'));
}

my $a = sync_node('bf_a', allows_streaming => 'logical');
$a->safe_psql(
	'postgres', q{
	CREATE TABLE pay (id bigint PRIMARY KEY, amount numeric(18,2) NOT NULL);
	SELECT ledger.create_ledger('pay');
	INSERT INTO pay SELECT g, g FROM generate_series(1, 5) g;
	SELECT ledger.create_publication('bf_pub', ARRAY['pay'::regclass]);
});
my $b = sync_node('bf_b', allows_streaming => 1);
my $sub = 'bf_sub';
$b->safe_psql('postgres', "SELECT ledger.create_subscription('$sub', '" . conninfo($a) . "', 'bf_pub')");
ok(defined caught_up($a, $b, 'pay'), 'B subscribed and caught up');
$b->backup('b_old');
my $bs = PostgreSQL::Test::Cluster->new('bf_bs');
$bs->init_from_backup($b, 'b_old', has_streaming => 1);
$bs->start;

# ---- 1. B's standby, which replayed everything, promoted ----
$a->safe_psql('postgres', "INSERT INTO pay VALUES ($_, $_)") for 6 .. 10;
ok(defined caught_up($a, $b, 'pay'), 'B holds rows 1 to 10');
$b->wait_for_catchup($bs);
$b->stop;
$bs->promote;
$a->safe_psql('postgres', 'INSERT INTO pay VALUES (11, 11)');
my $d11 = caught_up($a, $bs, 'pay');
ok(defined $d11, "caught-up standby of B promoted: it goes on from the slot");
is(ids($bs), join(',', 1 .. 11), '... every row once');
verify_ok($bs, 'postgres', 'pay', $d11, "... and verifies against the origin's digest");
like(status($bs, $sub), qr/^(streaming|catching up) $/, '... streaming, no error');

# make sure the slot's confirmed position is past row 11, then lose that peer
$a->safe_psql('postgres', 'INSERT INTO pay VALUES (12, 12)');
my $d12 = caught_up($a, $bs, 'pay');
ok(poll_until($a,
	"SELECT confirmed_flush_lsn >= '" . $a->lsn('insert') . "' FROM pg_replication_slots WHERE slot_name = '$sub'", 30),
	'the slot confirmed everything');
$bs->stop;

# ---- 2. B restored from the older base backup ----
my $b2 = PostgreSQL::Test::Cluster->new('bf_b2');
$b2->init_from_backup($b, 'b_old');
$b2->start;
my $head = head_block($b2, 'pay');
$a->safe_psql('postgres', "INSERT INTO pay VALUES ($_, $_)") for 13 .. 14;
my ($err) = wait_refused($b2, $sub, '');
like($err // '', qr/^block \d+ of ledger "pay" arrived, but the replica does not hold block @{[$head + 1]}$/,
	'restored peer: the first block after the gap is refused, naming the block it lacks');
my $log = slurp_file($b2->logfile);
like($log, qr/HINT:  If this database was restored from a backup or promoted from a standby, it lost what subscription "$sub" had already confirmed to the origin: call ledger\.resync_subscription\('$sub'\)\./,
	'... the hint says what to do');
is(head_block($b2, 'pay'), $head, '... it keeps the blocks it had');
is(verify($b2, 'postgres', 'pay')->{ok}, 't', '... which verify');
is($b2->safe_psql('postgres', "SELECT ledger.resync_subscription('$sub')"), '1', 'restored peer: resync');
my $d14 = caught_up($a, $b2, 'pay');
ok(defined $d14, '... catches up');
is(ids($b2), join(',', 1 .. 14), '... every row once, nothing lost');
verify_ok($b2, 'postgres', 'pay', $d14, "... verifies against the origin's newest digest");
verify_ok($b2, 'postgres', 'pay', $d12, '... and against the one taken before the restore');
is(row_set($b2, 'pay'), row_set($a, 'pay'), '... the same rows as the origin');

# 2b. restored again, the gap holding only transaction records: the peer
# had received a transaction the origin had not sealed yet; its block,
# arriving next in the chain, lists a transaction the restored peer never
# got (the hint named only a forged block or a changed origin until
# 2026-12-06)
$b2->backup('b2_old');
$a->safe_psql('postgres', q{ALTER SYSTEM SET ledger.seal_interval = '1h'; SELECT pg_reload_conf()});
sleep 1;
$a->safe_psql('postgres', 'INSERT INTO pay VALUES (14001, 1)');
my $x14001 = $a->safe_psql('postgres', 'SELECT ledger_xact FROM pay WHERE id = 14001');
ok(poll_until($b2, 'SELECT EXISTS (SELECT 1 FROM pay WHERE id = 14001)', 30), 'B holds a row the origin has not sealed');
ok(poll_until($a,
	"SELECT confirmed_flush_lsn >= '" . $a->lsn('insert') . "' FROM pg_replication_slots WHERE slot_name = '$sub'", 30),
	'the slot confirmed it');
$b2->stop;
my $b3 = PostgreSQL::Test::Cluster->new('bf_b3');
$b3->init_from_backup($b2, 'b2_old');
$b3->start;
$a->safe_psql('postgres', q{ALTER SYSTEM RESET ledger.seal_interval; SELECT pg_reload_conf()});
$a->safe_psql('postgres', "SELECT ledger.seal('pay')");
($err) = wait_refused($b3, $sub, '');
like($err // '', qr/^block \d+ of ledger "pay" lists transaction $x14001, which has 0 records here$/,
	'restored peer, records missing: the block listing them is refused');
like(slurp_file($b3->logfile), qr/HINT:  If this database was restored from a backup or promoted from a standby, it lost what subscription "$sub" had already confirmed to the origin: call ledger\.resync_subscription\('$sub'\)\. Otherwise a block was forged or the origin's history was changed\./,
	'... the hint names the resync');
is($b3->safe_psql('postgres', "SELECT ledger.resync_subscription('$sub')"), '1', '... resync');
my $d14001 = caught_up($a, $b3, 'pay');
ok(defined $d14001, '... catches up');
is(row_set($b3, 'pay'), row_set($a, 'pay'), '... the same rows as the origin');
verify_ok($b3, 'postgres', 'pay', $d14001, "... verifies against the origin's digest");
$b2 = $b3;

# ---- 3. the origin restored from a file-level copy carrying its slot ----
$a->stop;
$a->backup_fs_cold('a_cold');
$a->start;
$a->safe_psql('postgres', "INSERT INTO pay VALUES ($_, $_)") for 15 .. 20;
my $d20 = caught_up($a, $b2, 'pay');
ok(defined $d20, 'B holds rows 1 to 20');
ok(poll_until($a,
	"SELECT confirmed_flush_lsn >= '" . $a->lsn('insert') . "' FROM pg_replication_slots WHERE slot_name = '$sub'", 30),
	'the slot confirmed everything');
$a->stop;
my $b2_held = held_state($b2, 'pay');

# 3a. the copy restored, its slot dropped before it takes writes
my $a3 = PostgreSQL::Test::Cluster->new('bf_a3');
$a3->init_from_backup($a, 'a_cold');
$a3->start;
$a3->safe_psql('postgres', "SELECT pg_drop_replication_slot('$sub')");
$a3->safe_psql('postgres', "INSERT INTO pay VALUES ($_, -$_)") for 101 .. 110;
ok(wait_sealed($a3, 'postgres'), 'origin restored from the copy, its slot dropped: it seals');
my $at = last_error_at($b2, $sub);
$b2->safe_psql('postgres', "ALTER SUBSCRIPTION $sub CONNECTION '" . conninfo($a3) . "'; ALTER SUBSCRIPTION $sub ENABLE");
ok(poll_until($b2, "SELECT last_error LIKE '%replication slot \"$sub\" does not exist%' FROM ledger.replication_status WHERE peer = '$sub'", 30),
	'slot dropped: the peer finds no slot');
($err) = ($b2->psql('postgres', "SELECT ledger.resync_subscription('$sub')"))[2];
like($err, qr/ERROR:  equivocation: the origin's ledger public\.pay differs from the replica held here/,
	'... the resync is refused as equivocation');
is(held_state($b2, 'pay'), $b2_held, '... the replica is left as it was: none of the new history reached it');
verify_ok($b2, 'postgres', 'pay', $d20, "... the replica still verifies against the old digest");

$a3->stop;

# 3b. the copy restored again with its slot: once the restored origin's WAL
# is past what the peer applied, its first transaction arrives under a
# number the peer holds, and is refused as such (until 2026-12-06 by the
# catalog's primary key, "duplicate key value violates unique constraint
# "transactions_pkey"", which named neither the ledger nor the fork)
my $a2 = PostgreSQL::Test::Cluster->new('bf_a2');
$a2->init_from_backup($a, 'a_cold');
$a2->start;
is($a2->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$sub'"), '1',
	'restored origin: the copy carries the slot');
# (the resync of 3a dropped the subscription's replication origin before it
# was refused, and a rollback does not bring an origin's progress back: only
# an apply worker's start sets it up again, and since the sealer disables a
# subscription whose resync failed after its drop, none may have started:
# no row, nothing confirmed, 0/0)
my $peer_lsn = $b2->safe_psql('postgres',
	"SELECT coalesce((SELECT remote_lsn FROM pg_replication_origin_status o JOIN pg_subscription s ON o.external_id = 'pg_' || s.oid WHERE s.subname = '$sub'), '0/0')");
$a2->safe_psql('postgres', 'SELECT pg_switch_wal()') for 1 .. 2;
ok($a2->safe_psql('postgres', "SELECT pg_current_wal_insert_lsn() > '$peer_lsn'") eq 't',
	"restored origin: its WAL is past the peer's position");
$at = last_error_at($b2, $sub);
# (the administrator names the restored origin's slot: a new CONNECTION
# alone does not take charge of a slot a failed resync dropped, 595 part 6)
$b2->safe_psql('postgres', "ALTER SUBSCRIPTION $sub CONNECTION '" . conninfo($a2) . "'; ALTER SUBSCRIPTION $sub SET (slot_name = '$sub'); ALTER SUBSCRIPTION $sub ENABLE");
$a2->safe_psql('postgres', 'INSERT INTO pay VALUES (101, -101)');
my $x = $a2->safe_psql('postgres', 'SELECT ledger_xact FROM pay WHERE id = 101');
($err) = wait_refused($b2, $sub, $at);
like($err // '', qr/^subscription "$sub" sent transaction $x of ledger "pay", which the replica holds already$/,
	"restored origin: its first transaction is refused, named as one the replica holds");
like(slurp_file($b2->logfile), qr/DETAIL:  The replica holds it with 1 rows, committed at [^;]+; the origin sent 1 rows, committed at /,
	'... the detail gives both');
is(held_state($b2, 'pay'), $b2_held, '... the replica is left as it was');
$a2->safe_psql('postgres', "INSERT INTO pay VALUES ($_, -$_)") for 102 .. 104;
ok(wait_sealed($a2, 'postgres'), 'restored origin: it seals new blocks');
($err) = ($b2->psql('postgres', "SELECT ledger.resync_subscription('$sub')"))[2];
like($err, qr/ERROR:  equivocation: the origin's ledger public\.pay differs from the replica held here/,
	'... the resync is refused as equivocation');
verify_ok($b2, 'postgres', 'pay', $d20, "... the replica still verifies against the old digest");
$a2->stop;
$a3->start;

# the way on, once the institutions have settled the fork: keep the
# replica as evidence (here in another table), drop it, subscribe again
($err) = ($b2->psql('postgres', "SELECT ledger.create_subscription('bf_sub2', '" . conninfo($a3) . "', 'bf_pub')"))[2];
like($err, qr/ERROR:  ledger pay is a replica that subscription "$sub" writes/,
	'after the fork: a new subscription is refused while the old replica is held');
$b2->safe_psql('postgres', 'CREATE TABLE pay_evidence AS SELECT * FROM pay');
$b2->safe_psql('postgres', "SELECT ledger.drop_subscription('$sub', drop_replicas => true)");
is($b2->safe_psql('postgres', "SELECT ledger.create_subscription('$sub', '" . conninfo($a3) . "', 'bf_pub')"),
	'1', 'after the fork: subscribed again to the restored origin');
my $d_new = caught_up($a3, $b2, 'pay');
ok(defined $d_new, '... caught up');
is(row_set($b2, 'pay'), row_set($a3, 'pay'), "... holds the restored origin's history");
verify_ok($b2, 'postgres', 'pay', $d_new, "... verifies against its digest");

# ---- 4. a peer's standby promoted while a reconnection was pending ----
# ledger keeps the pending reconnection in pg_stat_tmp, which WAL does not
# carry: the promoted standby holds the subscription disabled, without an
# error, and nothing enables it; ALTER SUBSCRIPTION ... ENABLE does
$b2->safe_psql('postgres', q{ALTER SYSTEM SET ledger.sync_reconnect_delay = 3600; SELECT pg_reload_conf()});
$b2->backup('b2_standby');
my $bs2 = PostgreSQL::Test::Cluster->new('bf_bs2');
$bs2->init_from_backup($b2, 'b2_standby', has_streaming => 1);
$bs2->start;
$a3->safe_psql('postgres', "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '$sub'");
ok(poll_until($b2, "SELECT state = 'reconnecting' FROM ledger.replication_status WHERE peer = '$sub'", 30),
	'peer: a lost connection, reconnection pending');
$b2->wait_for_catchup($bs2);
$b2->stop('immediate');
$bs2->promote;
$a3->safe_psql('postgres', 'INSERT INTO pay VALUES (200, 200)');
is($bs2->safe_psql('postgres', "SELECT state || ' ' || coalesce(last_error, 'no error') FROM ledger.replication_status WHERE peer = '$sub'"),
	'disabled no error', "peer's standby promoted: the subscription is disabled, the pending reconnection gone");
$bs2->safe_psql('postgres', "ALTER SUBSCRIPTION $sub ENABLE");
my $d200 = caught_up($a3, $bs2, 'pay');
ok(defined $d200, '... enabled by hand, it catches up');
is(row_set($bs2, 'pay'), row_set($a3, 'pay'), '... nothing lost or applied twice');
verify_ok($bs2, 'postgres', 'pay', $d200, "... and verifies against the origin's digest");

$_->stop for ($bs2, $a3);
done_testing();
