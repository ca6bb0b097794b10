# Sync between two institutions (issue #11): a ledger published at its
# origin, subscribed by a peer with ledger.create_subscription(): the peer's
# replica is copied and verified, then streamed and verified on arrival; its
# digest equals the origin's for the same block; it is read-only and never
# sealed locally; tampering at the origin stops the subscription with the
# replica unchanged.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $conf = "max_wal_senders = 10\nmax_replication_slots = 10\n";
my $a = ledger_node('bank_a', conf => $conf);
my $b = ledger_node('bank_b', conf => $conf);
for my $n ($a, $b)
{
	$n->safe_psql('postgres', 'CREATE EXTENSION ledger');
}

# The origin's ledger, with rows from before and after it became one.
$a->safe_psql('postgres', q{
	CREATE TABLE payments (id bigint PRIMARY KEY, payer text NOT NULL,
		amount numeric(18,2) NOT NULL, note text COLLATE "C", at timestamptz);
	INSERT INTO payments VALUES (1, 'alice', 10.50, 'genesis', '2026-01-01 10:00+00');
	SELECT ledger.create_ledger('payments');
	INSERT INTO payments VALUES (2, 'bob', 20, NULL, now()), (3, 'carol', 0.01, 'x', now());
	INSERT INTO payments VALUES (4, 'dave', -5, 'refund', now());
});
ok(wait_sealed($a, 'postgres'), 'origin: sealed');
$a->safe_psql('postgres', q{SELECT ledger.create_publication('bank_a_pub', ARRAY['payments'::regclass])});

(my $connstr = $a->connstr('postgres')) =~ s/'/''/g;

# A publication made without ledger.create_publication() carries the rows
# but not the records and blocks that verify them: refused.
$a->safe_psql('postgres', q{CREATE PUBLICATION plain_pub FOR TABLE payments});
my ($prc, $pout, $perr) = $b->psql('postgres',
	"SELECT ledger.create_subscription('bank_b_plain', '$connstr', 'plain_pub')");
like($perr, qr/publication "plain_pub" at the origin is not a publication of ledgers/,
	'a plain publication of the ledger table is refused');
$a->safe_psql('postgres', q{DROP PUBLICATION plain_pub});

my $n = $b->safe_psql('postgres',
	"SELECT ledger.create_subscription('bank_b_from_a', '$connstr', 'bank_a_pub')");
is($n, '1', 'create_subscription replicates one ledger');
is($b->safe_psql('postgres', 'SELECT count(*) FROM payments'), '4', 'replica: copied rows');
verify_ok($b, 'postgres', 'payments', undef, 'replica verifies after the copy');

# Streamed rows are verified on arrival.
$a->safe_psql('postgres', q{
	INSERT INTO payments SELECT g, 'p' || g, g, NULL, now() FROM generate_series(5, 200) g;
	INSERT INTO payments VALUES (201, 'last', 1, NULL, now());
});
ok(wait_sealed($a, 'postgres'), 'origin: sealed again');
my $digest = $a->safe_psql('postgres', q{SELECT ledger.digest('payments')});
my $head = $a->safe_psql('postgres', q{SELECT max(block_no) FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'payments'::regclass});
$b->poll_query_until('postgres',
	"SELECT max(block_no) = $head FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'payments'::regclass")
  or die 'replica did not catch up';
is($b->safe_psql('postgres', 'SELECT count(*) FROM payments'), '201', 'replica: streamed rows');
is($b->safe_psql('postgres', q{SELECT ledger.digest('payments')}), $digest,
	"replica's digest equals the origin's for the same block");
verify_ok($b, 'postgres', 'payments', $digest, "replica verifies against the origin's digest");

# Read-only replica.
my ($ret, $out, $err) = $b->psql('postgres', q{INSERT INTO payments (id, payer, amount) VALUES (999, 'x', 1)});
like($err, qr/it is a replica/, 'local insert into a replica refused');
($ret, $out, $err) = $b->psql('postgres', q{SELECT ledger.seal('payments')});
like($err, qr/cannot seal ledger "payments": it is a replica/, 'seal() of a replica refused');
is($b->safe_psql('postgres', 'SELECT ledger.seal()'), '0', 'seal() of all seals no replica');

# Status
like($b->safe_psql('postgres', q{SELECT role || ' ' || state || ' ' || verified_block FROM ledger.replication_status}),
	qr/^replica (streaming|catching up) $head$/, 'replication_status at the replica');

# Tampering at the origin: an UPDATE with the ledger's triggers disabled.
$a->safe_psql('postgres', q{
	ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
	ALTER TABLE payments DISABLE TRIGGER ALL;
	UPDATE payments SET amount = 1000000 WHERE id = 2;
	ALTER TABLE payments ENABLE ALWAYS TRIGGER zz_ledger_row, ENABLE ALWAYS TRIGGER ledger_append_only,
		ENABLE ALWAYS TRIGGER ledger_append_only_row;
	ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
});
$b->poll_query_until('postgres',
	q{SELECT NOT subenabled FROM pg_subscription WHERE subname = 'bank_b_from_a'})
  or die 'subscription not disabled';
is($b->safe_psql('postgres', 'SELECT amount FROM payments WHERE id = 2'), '20.00', 'tampered UPDATE not applied');
like($b->safe_psql('postgres', q{SELECT state || ': ' || coalesce(last_error, '') FROM ledger.replication_status}),
	qr/^disabled: subscription "bank_b_from_a" sent a change that would update rows of ledger table "payments"/,
	'replication_status names the refusal');
verify_ok($b, 'postgres', 'payments', $digest, 'replica still verifies');

done_testing();
