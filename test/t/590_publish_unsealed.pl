# Copyright (c) the ledger authors; PostgreSQL licence.
#
# A ledger added to a publication with transactions not yet sealed (found
# by the random walk of test/t/585_chaos.pl, seed 4242 with
# ledger.seal_interval = 1s, 2026-12-07): rows written to a ledger while it
# was local, sealed after ledger.add_to_publication(), send the new
# ledger's block to the peer, which stops its subscription until its
# resync_subscription(), as a write to the new ledger or a scheduled
# checkpoint of it does (docs/replication.md, "More ledgers later").  The
# walk explained the checkpoint's stop but not this one.  Made
# deterministic here with the origin's sealer off and seal() by hand.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('pu_a', conf => "ledger.sealer = off\n");
my $b = sync_node('pu_b');
$a->safe_psql('postgres', q{
	CREATE TABLE acct (id int PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('acct');
	INSERT INTO acct VALUES (1, 10);
	SELECT ledger.create_publication('pub', ARRAY['acct'::regclass]);
	SELECT ledger.seal();
});
my $ci = conninfo($a);
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('sub', '$ci', 'pub')"), '1', 'subscribed');
ok(caught_up($a, $b, 'acct'), 'the replica caught up');

# a local ledger written, published, and then sealed
$a->safe_psql('postgres', q{
	CREATE TABLE fresh (id int PRIMARY KEY, v text);
	SELECT ledger.create_ledger('fresh');
	INSERT INTO fresh VALUES (1, 'before the publication');
	SELECT ledger.add_to_publication('pub', ARRAY['fresh'::regclass]);
	SELECT ledger.seal();
	INSERT INTO acct VALUES (2, 20);
	SELECT ledger.seal();
});
ok( poll_until(
		$b, q{SELECT bool_and(state = 'disabled' AND last_error LIKE 'subscription "sub" sent a row of "blocks" for ledger %, which is not registered here')
		 FROM ledger.replication_status WHERE peer = 'sub'}, 60),
	'the block of transactions written before add_to_publication stops the peer\'s subscription')
  or diag($b->safe_psql('postgres', 'SELECT * FROM ledger.replication_status'));
is($b->safe_psql('postgres', 'SELECT count(*) FROM acct'), '1', '... before the origin\'s next transaction');

$b->safe_psql('postgres', q{SELECT ledger.resync_subscription('sub')});
my $d = caught_up($a, $b, 'fresh');
ok($d, 'after resync_subscription the peer holds the new ledger');
verify_ok($b, 'postgres', 'fresh', $d, '... which verifies against the origin\'s digest');
$d = caught_up($a, $b, 'acct');
ok($d, '... and the other ledger catches up');
verify_ok($b, 'postgres', 'acct', $d, '... and verifies');

$a->stop;
$b->stop;
done_testing();
