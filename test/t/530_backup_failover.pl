# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Sync across a rewind: a peer brought back to an earlier
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

$_->stop for ($a, $b2);
done_testing();
