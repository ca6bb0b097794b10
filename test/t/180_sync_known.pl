# Sync (issue #11): the apply worker keeps the records that arrived and are
# not sealed yet in memory, and checks a block whose transactions it knows
# without reading their records again or looking them up in other blocks
# (src/replica.c, docs/design.md "Sync between institutions").  The origin
# seals only when asked (ledger.sealer = off), so that a transaction can be
# held unsealed at both ends while forged blocks arrive.  Each forged block
# must still be refused by the same check as without the memory:
#  - one listing a transaction known unsealed and one sealed before (the
#    sealed one is no longer known: its block made the worker forget it);
#  - one listing a known transaction twice;
#  - one listing only known transactions, with a wrong root;
#  - one listing a known transaction and one whose record never arrived;
# and after each refusal the replica is unchanged and the origin's real
# block of those transactions, arriving at a new worker that knows nothing
# (every refusal ends the worker), is accepted: nothing lost.  Last, a block
# of the same apply worker's life that lists only known transactions is
# accepted, and the replica verifies against the origin's digest.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('known_origin', conf => "ledger.sealer = off\n");
my $b = sync_node('known_peer');
my $sub = 'peer_known';

$a->safe_psql('postgres', q{
	CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL);
	SELECT ledger.create_ledger('t');
	INSERT INTO t VALUES (1, 'one');
	SELECT ledger.seal('t');
	SELECT ledger.create_publication('known_pub', ARRAY['t'::regclass]);
});
my $ci = conninfo($a);
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('$sub', '$ci', 'known_pub')"),
	'1', 'peer subscribed');
my $tid = $a->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 't'::regclass});
my $next_id = 10;

# A row in a transaction of its own at the origin, held by the peer (its
# record known there, unsealed at both ends); returns its transaction.
sub unsealed_row
{
	my $id = $next_id++;
	$a->safe_psql('postgres', "INSERT INTO t VALUES ($id, 'row $id')");
	poll_until($b, "SELECT EXISTS (SELECT 1 FROM t WHERE id = $id)", 60)
	  or die "row $id did not arrive";
	return $a->safe_psql('postgres', "SELECT ledger_xact FROM t WHERE id = $id");
}

# Seal at the origin and wait for the block at the peer; the digest.
sub seal_and_wait
{
	my $d = $a->safe_psql('postgres', q{SELECT ledger.digest('t')});
	ok(wait_head($b, 't', head_block($a, 't')), 'the peer holds the origin\'s newest block')
	  or die;
	return $d;
}

# A forged block at the origin, next in the chain, listing the
# transactions of the array $xacts, with their row counts and a root that
# is not theirs (each case but one is refused before the root is compared);
# the peer must refuse it with $refused.  Then the forged block is removed
# at the origin (a DELETE the peer skips: it never held the row) and the
# refused origin transaction is skipped at the peer.
sub forged_block
{
	my (%c) = @_;
	my $name = $c{name};
	my $before = content($b, 't');
	my $since = last_error_at($b, $sub);
	$a->safe_psql('postgres', qq{
		INSERT INTO ledger.blocks
		SELECT h.ledger_id, h.block_no + 1, h.block_hash, sha256('root of $name'), cardinality(x.ids),
			(SELECT coalesce(sum(r.row_count), 0) FROM ledger.transactions r
			  WHERE r.ledger_id = $tid AND r.xact_id = ANY (x.ids)),
			now(), h.format_version, sha256('$name'), x.ids, h.first_position + h.tx_count, h.tree_root,
			h.total_rows + (SELECT coalesce(sum(r.row_count), 0) FROM ledger.transactions r
			  WHERE r.ledger_id = $tid AND r.xact_id = ANY (x.ids))
		  FROM (SELECT * FROM ledger.blocks WHERE ledger_id = $tid ORDER BY block_no DESC LIMIT 1) h,
			   (SELECT '$c{xacts}'::int8[] AS ids) x;
	});
	my ($err, $lsn, $at) = wait_refused($b, $sub, $since);
	ok(defined $err, "$name: subscription disabled") or return;
	like($err, $c{refused}, "$name: refused by the same check as without the memory");
	is(content($b, 't'), $before, "$name: replica unchanged");
	is($b->safe_psql('postgres', "SELECT count(*) FROM ledger.blocks WHERE block_hash = sha256('$name')"),
		'0', "$name: the forged block is not held");

	# the recovery
	$a->safe_psql('postgres', qq{DELETE FROM ledger.blocks WHERE ledger_id = $tid AND block_hash = sha256('$name')});
	skip_refused($b, $sub, $lsn);
}

my $x1 = unsealed_row();
seal_and_wait();
my $x2 = unsealed_row();

forged_block(
	name => 'forged block: a known transaction and one sealed before',
	xacts => "{$x2,$x1}",
	refused => qr/^block \d+ of ledger "t" lists transaction $x1, which block \d+ holds already$/);

# the worker that refused the block is gone: a new one, knowing nothing
my $x3 = unsealed_row();
forged_block(
	name => 'forged block: a known transaction twice',
	xacts => "{$x3,$x3}",
	refused => qr/^block \d+ of ledger "t" lists transaction $x3 twice$/);

my $x4 = unsealed_row();
my $x5 = unsealed_row();
forged_block(
	name => 'forged block: known transactions, wrong root',
	xacts => "{$x4,$x5}",
	refused => qr/^block \d+ of ledger "t" does not match the transactions it lists$/);

my $x6 = unsealed_row();
forged_block(
	name => 'forged block: a known transaction and one without a record',
	xacts => "{$x6,999999}",
	refused => qr/^block \d+ of ledger "t" lists transaction 999999, which has 0 records here$/);

# the origin's real blocks: first at a worker that knows nothing of x2..x6
# (they arrived at the workers that refused the forged blocks)
my $d = seal_and_wait();
is(sub_enabled($b, $sub), 't', 'the real block of the transactions held unsealed is accepted');
verify_ok($b, 'postgres', 't', $d, 'replica verifies against the origin\'s digest');

# then within one worker's life: rows, then their block, all known
my @xs = map { unsealed_row() } 1 .. 3;
$d = seal_and_wait();
is(sub_enabled($b, $sub), 't', 'a block of known transactions is accepted');
is(row_set($b, 't'), row_set($a, 't'), 'rows equal at both ends');
is(digest_of($b, 't'), $d, 'digest equal for the same block');
verify_ok($b, 'postgres', 't', $d, 'replica verifies against the origin\'s digest');

done_testing();
