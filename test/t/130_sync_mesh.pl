# Sync (issue #11): a mesh of three institutions.  A, B and C each own
# ledgers, publish them, and subscribe to the other two; pgbench writes to
# every node's own ledgers at once.  Then each node holds verified replicas
# of the others' ledgers beside its own: every replica verifies against its
# origin's digest, has the origin's rows, records and blocks (the same
# digest for the same block), ids, transaction numbers and blocks never
# collide, and ledger.replication_status shows the right roles and states
# at each node, origin rows too.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my %node = map { $_ => sync_node("mesh_$_") } qw(a b c);
my @names = sort keys %node;

# Each node's own ledgers: "a_pay" and "a_fx" at A, and so on.
for my $n (@names)
{
	$node{$n}->safe_psql('postgres', qq{
		CREATE TABLE ${n}_pay (id bigserial PRIMARY KEY, client int NOT NULL, amount numeric(18,2));
		CREATE TABLE ${n}_fx (pair text NOT NULL, rate float8);
		SELECT ledger.create_ledger('${n}_pay');
		SELECT ledger.create_ledger('${n}_fx');
		INSERT INTO ${n}_pay (client, amount) SELECT 0, g FROM generate_series(1, 12) g;
		INSERT INTO ${n}_fx VALUES ('EURUSD', 1.08);
		SELECT ledger.create_publication('${n}_pub', ARRAY['${n}_pay'::regclass, '${n}_fx'::regclass]);
	});
}
# Each subscribes to the other two (subscription names unique at each origin).
for my $n (@names)
{
	for my $o (grep { $_ ne $n } @names)
	{
		my $ci = conninfo($node{$o});
		is($node{$n}->safe_psql('postgres', "SELECT ledger.create_subscription('${n}_from_$o', '$ci', '${o}_pub')"),
			'2', "$n subscribes to $o");
	}
}

# Load on all three at once: each writes its own ledgers.
my @loads;
for my $n (@names)
{
	push @loads,
	  load_start(
		$node{$n},
		clients => 2,
		rate => 60,
		secs => 5,
		scripts => [
			[ "INSERT INTO ${n}_pay (client, amount) VALUES (:client_id, random() * 100);\n", 6 ],
			[ "\\set k random(2, 5)\nINSERT INTO ${n}_pay (client, amount) SELECT :client_id, g FROM generate_series(1, :k) g;\n", 1 ],
			[ "BEGIN;\nINSERT INTO ${n}_pay (client, amount) VALUES (:client_id, 1);\nINSERT INTO ${n}_fx VALUES ('USDJPY', random());\nCOMMIT;\n", 2 ],
		]);
}
for my $i (0 .. $#names)
{
	my ($st, $cnt) = load_finish($loads[$i]);
	is($st, 0, "pgbench on $names[$i] ran");
	cmp_ok($cnt, '>', 50, "pgbench wrote $cnt transactions at $names[$i]");
}

# Every replica catches up with, equals and verifies against its origin.
for my $o (@names)
{
	for my $tbl ("${o}_pay", "${o}_fx")
	{
		wait_sealed($node{$o}, 'postgres');
		my $digest = digest_of($node{$o}, $tbl);
		my $head = head_block($node{$o}, $tbl);
		for my $n (grep { $_ ne $o } @names)
		{
			ok(wait_head($node{$n}, $tbl, $head), "$n holds $o\'s $tbl up to block $head") or next;
			is(row_set($node{$n}, $tbl), row_set($node{$o}, $tbl), "$n: $tbl has $o\'s rows");
			is(digest_of($node{$n}, $tbl), $digest, "$n: $tbl digest equals $o\'s for block $head");
			verify_ok($node{$n}, 'postgres', $tbl, $digest, "$n: $tbl verifies against $o\'s digest");
		}
	}
}

# Ids, transaction numbers and blocks: the same at every node for each
# ledger, and six distinct ledgers everywhere.
my $catalog_q = q{
	SELECT string_agg(l.relation::text || ':' || l.ledger_id || ':' || l.ledger_uuid, ' ' ORDER BY l.relation::text) FROM ledger.ledgers l};
my $ids = $node{a}->safe_psql('postgres', $catalog_q);
is($node{$_}->safe_psql('postgres', $catalog_q), $ids, "$_: the same six ledgers, ids and uuids as a") for qw(b c);
is($node{a}->safe_psql('postgres', 'SELECT count(DISTINCT ledger_id) FROM ledger.ledgers'), '6', 'six distinct ledger ids');
for my $o (@names)
{
	for my $tbl ("${o}_pay", "${o}_fx")
	{
		my $q = qq{SELECT (SELECT count(*) || ' ' || md5(string_agg(t::text, ';' ORDER BY xact_id)) FROM ledger.transactions t
			WHERE ledger_id = (SELECT ledger_id FROM ledger.ledgers WHERE relation = '$tbl'::regclass))
			|| ' / ' ||
			(SELECT count(*) || ' ' || md5(string_agg(b::text, ';' ORDER BY block_no)) FROM ledger.blocks b
			WHERE ledger_id = (SELECT ledger_id FROM ledger.ledgers WHERE relation = '$tbl'::regclass))};
		my $there = $node{$o}->safe_psql('postgres', $q);
		is($node{$_}->safe_psql('postgres', $q), $there, "$_: $o\'s transaction records and blocks of $tbl, exactly")
		  for grep { $_ ne $o } @names;
	}
}
# A node's own transactions and its replicas' share ledger.transactions:
# its own numbers come from its sequence, a replica's from its origin.
for my $n (@names)
{
	is( $node{$n}->safe_psql(
			'postgres', qq{SELECT count(*) FROM ledger.transactions t JOIN ledger.ledgers l USING (ledger_id)
			WHERE l.relation IN ('${n}_pay'::regclass, '${n}_fx'::regclass)
			  AND t.xact_id > (SELECT last_value FROM ledger.transaction_id_seq)}),
		'0', "$n: its own ledgers' transaction numbers come from its own sequence");
	is($node{$n}->safe_psql('postgres', 'SELECT count(*) FROM ledger.seal_queue q JOIN ledger.replicas r USING (ledger_id)'),
		'0', "$n: no replica on its sealing list");
}

# replication_status at each node: four replica rows (two origins x two
# ledgers), streaming; four origin rows (two peers x two own ledgers).
for my $n (@names)
{
	my @others = grep { $_ ne $n } @names;
	my $expect_replica = join(' ',
		map { my $o = $_; map { "$_:${n}_from_$o" } ("${o}_fx", "${o}_pay") } @others);
	my $expect_origin = join(' ',
		map { my $p = $_; map { "$_:${p}_from_$n" } ("${n}_fx", "${n}_pay") } @others);
	ok( poll_until(
			$node{$n},
			"SELECT bool_and(state = 'streaming') FROM ledger.replication_status", 30),
		"$n: every row streaming");
	is( $node{$n}->safe_psql(
			'postgres', q{SELECT string_agg(ledger::text || ':' || peer, ' ' ORDER BY peer, ledger::text)
			FROM ledger.replication_status WHERE role = 'replica'}),
		join(' ', sort { (split /:/, $a)[1] cmp (split /:/, $b)[1] || $a cmp $b } split / /, $expect_replica),
		"$n: replica rows, one per (subscription, ledger)");
	is( $node{$n}->safe_psql(
			'postgres', q{SELECT string_agg(ledger::text || ':' || peer, ' ' ORDER BY peer, ledger::text)
			FROM ledger.replication_status WHERE role = 'origin'}),
		join(' ', sort { (split /:/, $a)[1] cmp (split /:/, $b)[1] || $a cmp $b } split / /, $expect_origin),
		"$n: origin rows, one per (peer slot, own ledger)");
	is( $node{$n}->safe_psql(
			'postgres', q{SELECT count(*) FROM ledger.replication_status s JOIN ledger.blocks b USING (ledger_id)
			WHERE b.block_no = s.verified_block AND b.block_hash = s.verified_block_hash}),
		'8', "$n: verified_block and its hash name the newest block held");
	is($node{$n}->safe_psql('postgres', q{SELECT count(*) FROM ledger.replication_status WHERE last_error IS NOT NULL}),
		'0', "$n: no error");
}

# A slot that streams a publication of other tables (the DBA's own CDC feed,
# a plain CREATE SUBSCRIPTION from another database) is no peer of A's
# ledgers: listed against them it showed its lag as theirs (review of
# 2026-12-06).  The publication's name has a comma and quotes in it, as the
# walsender's START_REPLICATION command shows them.
$node{a}->safe_psql('postgres', q{
	CREATE TABLE orders (id int PRIMARY KEY, note text);
	CREATE PUBLICATION "cdc, it's ""ours""" FOR TABLE orders;
});
$node{b}->safe_psql('postgres', 'CREATE DATABASE cdc');
$node{b}->safe_psql('cdc', 'CREATE TABLE orders (id int PRIMARY KEY, note text)');
$node{b}->safe_psql('cdc',
	    "CREATE SUBSCRIPTION cdc_feed CONNECTION '"
	  . conninfo($node{a})
	  . q{' PUBLICATION "cdc, it's ""ours"""});
$node{a}->safe_psql('postgres', q{INSERT INTO orders VALUES (1, 'x'); INSERT INTO a_pay (client, amount) VALUES (0, 1)});
ok( poll_until(
		$node{a}, q{SELECT EXISTS (SELECT 1 FROM pg_stat_replication r
			JOIN pg_replication_slots s ON s.active_pid = r.pid
			WHERE s.slot_name = 'cdc_feed' AND r.state = 'streaming')}, 30),
	'a: the CDC slot is streaming');
is( $node{a}->safe_psql(
		'postgres', q{SELECT string_agg(ledger::text || ':' || peer, ' ' ORDER BY peer, ledger::text)
		FROM ledger.replication_status WHERE role = 'origin'}),
	'a_fx:b_from_a a_pay:b_from_a a_fx:c_from_a a_pay:c_from_a',
	'a: the CDC slot streaming a publication of other tables is listed against no ledger, the peers still are');
$node{b}->safe_psql('cdc', 'DROP SUBSCRIPTION cdc_feed');

done_testing();
