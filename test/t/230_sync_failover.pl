
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Sync (issue #11) across a failover of the origin.  The origin A has two
# streaming standbys; peer B holds a replica of A's ledger.  PostgreSQL 15
# carries no logical slot to a standby, so after a promotion B points its
# subscription at the new primary (ALTER SUBSCRIPTION ... CONNECTION) and
# calls resync_subscription (docs/replication.md, "Physical standbys and
# promotion").
#  - A standby that had not received A's last transactions (its streaming
#    cut), promoted: it goes on from an older history and seals A's
#    leftovers into blocks of its own.  B holds what it lost: the resync is
#    refused as equivocation, B's replica stays as it was and still
#    verifies against A's last digest.
#  - A standby that had everything, promoted: the resync succeeds, the new
#    primary's writes arrive, and B's replica verifies against the new
#    primary's digest and against A's last one (the history goes on).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('failover_a', allows_streaming => 'logical');
$a->safe_psql(
	'postgres', q{
	CREATE TABLE pay (id bigint PRIMARY KEY, amount numeric(18,2) NOT NULL);
	SELECT ledger.create_ledger('pay');
	INSERT INTO pay SELECT g, g FROM generate_series(1, 5) g;
	SELECT ledger.create_publication('fo_pub', ARRAY['pay'::regclass]);
});
$a->backup('fo');
my @standby;
for my $n (1, 2)
{
	my $s = PostgreSQL::Test::Cluster->new("failover_s$n");
	$s->init_from_backup($a, 'fo', has_streaming => 1);
	$s->start;
	push @standby, $s;
}
my ($s1, $s2) = @standby;
my $b = sync_node('failover_b');
my $sub = 'fo_sub';
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('$sub', '" . conninfo($a) . "', 'fo_pub')"),
	'1', 'B subscribed to A');
$a->safe_psql('postgres', 'INSERT INTO pay VALUES (6, 6)');
ok(defined caught_up($a, $b, 'pay'), 'B caught up');
$a->wait_for_catchup($_) for @standby;

# s2 stops receiving WAL; A writes on, sealed and unsealed; B and s1 get it
$s2->append_conf('postgresql.conf', "primary_conninfo = ''\n");
$s2->reload;
ok(poll_until($s2, 'SELECT count(*) = 0 FROM pg_stat_wal_receiver', 30), 's2: streaming cut');
$a->safe_psql('postgres', 'INSERT INTO pay SELECT g, g FROM generate_series(7, 10) g');
my $a_digest = caught_up($a, $b, 'pay');
ok(defined $a_digest, "B holds A's last block");
$a->safe_psql('postgres', q{ALTER SYSTEM SET ledger.seal_interval = '1h'; SELECT pg_reload_conf()});
sleep 1;
$a->safe_psql('postgres', 'INSERT INTO pay VALUES (11, 11)');
ok(poll_until($b, 'SELECT EXISTS (SELECT 1 FROM pay WHERE id = 11)', 30), 'B holds a row A left unsealed');
$a->wait_for_catchup($s1);
is($s1->safe_psql('postgres', 'SELECT count(*) FROM pay'), '11', 's1 has every row');
is($s2->safe_psql('postgres', 'SELECT count(*) FROM pay'), '6', 's2 has the first six');
$a->stop;

sub held
{
	return held_state($b, 'pay');
}

# ---- the lagging standby promoted: a fork, refused ----
$s2->promote;
$s2->safe_psql('postgres', 'INSERT INTO pay VALUES (100, 100)');
ok(wait_sealed($s2, 'postgres', 30), 's2 promoted: it seals');
my $before = held();
$b->safe_psql('postgres', "ALTER SUBSCRIPTION $sub CONNECTION '" . conninfo($s2) . "'");
my ($ret, $out, $err) = $b->psql('postgres', "SELECT ledger.resync_subscription('$sub')");
isnt($ret, 0, 'lagging standby promoted: the resync fails');
like($err, qr/ERROR:  equivocation: the origin's ledger public\.pay differs from the replica held here/,
	'lagging standby promoted: equivocation reported');
like($err, qr/DETAIL:  The replica holds transaction \d+, which the origin no longer has\./,
	'lagging standby promoted: the detail names a transaction the new primary lost');
is(held(), $before, 'lagging standby promoted: the replica is left as it was');
is($b->safe_psql('postgres', 'SELECT EXISTS (SELECT 1 FROM pay WHERE id = 100)'), 'f',
	"lagging standby promoted: nothing of the new primary's history applied");
verify_ok($b, 'postgres', 'pay', $a_digest, "lagging standby promoted: B still verifies against A's last digest");

# ---- the standby that had everything promoted: the history goes on ----
$s1->promote;
$s1->safe_psql('postgres', 'INSERT INTO pay VALUES (12, 12)');
ok(wait_sealed($s1, 'postgres', 30), "s1 promoted: A's leftover and a new row sealed");
$b->safe_psql('postgres', "ALTER SUBSCRIPTION $sub CONNECTION '" . conninfo($s1) . "'");
is($b->safe_psql('postgres', "SELECT ledger.resync_subscription('$sub')"), '1',
	'caught-up standby promoted: resync_subscription');
$s1->safe_psql('postgres', 'INSERT INTO pay VALUES (13, 13)');
my $s1_digest = caught_up($s1, $b, 'pay');
ok(defined $s1_digest, "B holds the new primary's newest block");
is(row_set($b, 'pay'), row_set($s1, 'pay'), 'the same rows at B and the new primary');
is($b->safe_psql('postgres', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM pay'),
	join(',', 1 .. 13), 'every row once, the fork\'s row 100 not among them');
verify_ok($b, 'postgres', 'pay', $s1_digest, "B verifies against the new primary's digest");
verify_ok($b, 'postgres', 'pay', $a_digest, "B verifies against A's last digest: the history went on");
like($b->safe_psql('postgres', "SELECT state FROM ledger.replication_status WHERE role = 'replica'"),
	qr/^(streaming|catching up)$/, 'B streams from the new primary');

$_->stop for ($s1, $s2, $b);
done_testing();
