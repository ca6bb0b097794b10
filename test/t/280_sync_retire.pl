# Sync (issue #11): retiring a replicated ledger.  Before, ledger.drop_ledger
# at the origin of a published ledger deleted its transaction records and
# blocks, the deletions reached the peer, which refuses them, and the
# subscription stopped for every ledger of that origin (shown on
# 2026-12-05: "subscription "sub" sent a DELETE of "ledger.transactions",
# which a replica refuses", a later row of another ledger never arrived).
# Now drop_ledger refuses a published ledger; ledger.remove_from_publication
# takes it out of the publication first; the peer keeps its replica,
# read-only and verifying against the origin's last digest of it, while the
# other ledgers stream on; the peer may then drop its replica, or resync.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('retire_origin');
my $b = sync_node('retire_peer');
my $sub = 'b_from_a';

$a->safe_psql('postgres', q{
	CREATE TABLE keep (id int PRIMARY KEY, v text);
	CREATE TABLE old (id int PRIMARY KEY, v text);
	CREATE TABLE old2 (id int PRIMARY KEY, v text);
	CREATE TABLE other (id int PRIMARY KEY);
	SELECT ledger.create_ledger('keep');
	SELECT ledger.create_ledger('old');
	SELECT ledger.create_ledger('old2');
	SELECT ledger.create_ledger('other');
	INSERT INTO keep VALUES (1, 'k1');
	INSERT INTO old SELECT g, 'o' || g FROM generate_series(1, 5) g;
	INSERT INTO old VALUES (6, 'o6');
	INSERT INTO old2 VALUES (1, 'p1');
	SELECT ledger.create_publication('pub', ARRAY['keep'::regclass, 'old'::regclass, 'old2'::regclass]);
});
ok(wait_sealed($a, 'postgres'), 'origin sealed');
my $ci = conninfo($a);
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('$sub', '$ci', 'pub')"), '3', 'peer subscribed to three ledgers');
my %last;
for my $t ('keep', 'old', 'old2')
{
	$last{$t} = caught_up($a, $b, $t);
	ok(defined $last{$t}, "$t: the peer caught up");
}
my $old_id = $a->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 'old'::regclass});

# ---- drop_ledger refuses a published ledger ----
my ($ret, $out, $err) = $a->psql('postgres', "\\set VERBOSITY verbose\nSELECT ledger.drop_ledger('old')");
like($err, qr/ERROR:  55000: cannot drop ledger "public\.old": publication "pub" carries it/, 'drop_ledger refuses a published ledger');
like($err, qr/HINT:  Remove it from the publication first: SELECT ledger\.remove_from_publication\('pub', ARRAY\['public\.old'::regclass\]\); peers keep their replicas\./,
	'... and says how to retire it');
is($a->safe_psql('postgres', q{SELECT count(*) FROM old}) . ' '
	  . $a->safe_psql('postgres', "SELECT count(*) FROM ledger.transactions WHERE ledger_id = $old_id"),
	'6 2', '... leaving the ledger and its history');

# ---- remove_from_publication: bad input ----
for my $case (
	[ q{SELECT ledger.remove_from_publication('pub', ARRAY['other'::regclass])},
		qr/ERROR:  42704: publication "pub" does not carry ledger "other"/, 'a ledger the publication does not carry' ],
	[ q{SELECT ledger.remove_from_publication('nopub', ARRAY['old'::regclass])},
		qr/ERROR:  42704: publication "nopub" does not exist/, 'an unknown publication' ],
	[ q{SELECT ledger.remove_from_publication('pub', ARRAY['keep', 'old', 'old2']::regclass[])},
		qr/ERROR:  55000: publication "pub" would carry no ledger.*HINT:  Drop the publication instead/s, 'every ledger of the publication' ],
	[ q{SELECT ledger.remove_from_publication('pub', ARRAY['old', 'old']::regclass[])},
		qr/ERROR:  42710: ledger "old" is listed twice/, 'a ledger listed twice' ],
	[ q{SELECT ledger.remove_from_publication('pub', NULL)}, qr/ERROR:  22004: tables must not be NULL/, 'NULL tables' ],
	[ q{SELECT ledger.remove_from_publication(NULL, ARRAY['old'::regclass])}, qr/ERROR:  22004: publication name must not be NULL/,
		'a NULL publication name' ],
	[ q{SELECT ledger.remove_from_publication('pub', ARRAY[]::regclass[])},
		qr/ERROR:  22023: tables must name at least one ledger/, 'no table' ],
	[ q{SELECT ledger.remove_from_publication('pub', ARRAY[NULL]::regclass[])},
		qr/ERROR:  22004: tables must not contain NULL/, 'a NULL table' ],
	[ q{CREATE TABLE plain (x int); SELECT ledger.remove_from_publication('pub', ARRAY['plain'::regclass])},
		qr/ERROR:  .*"plain" is not a ledger/, 'a table that is not a ledger' ],
	[ q{CREATE PUBLICATION byhand FOR TABLE keep; SELECT ledger.remove_from_publication('byhand', ARRAY['keep'::regclass])},
		qr/ERROR:  55000: publication "byhand" was not made by ledger\.create_publication\(\)/, 'a publication made by hand' ],
	[ q{CREATE ROLE nobody; SET ROLE nobody; SELECT ledger.remove_from_publication('pub', ARRAY['old'::regclass])},
		qr/ERROR:  42501: permission denied for function remove_from_publication/, 'a role that is not a superuser' ],
  )
{
	($ret, $out, $err) = $a->psql('postgres', "\\set VERBOSITY verbose\nBEGIN;\n$case->[0];\nROLLBACK;");
	like($err, $case->[1], "remove_from_publication refuses $case->[2]");
}
is( $a->safe_psql('postgres', q{SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables
		WHERE pubname = 'pub' AND schemaname = 'public'}),
	'keep,old,old2', '... and the publication is as it was');

# ---- retired: removed from the publication, then dropped ----
$a->safe_psql('postgres', q{SELECT ledger.remove_from_publication('pub', ARRAY['old'::regclass])});
is( $a->safe_psql('postgres', q{SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables
		WHERE pubname = 'pub' AND schemaname = 'public'}),
	'keep,old2', 'remove_from_publication: the publication no longer carries the ledger');
is( $a->safe_psql('postgres',
		"SELECT count(*) FROM pg_publication_tables WHERE pubname = 'pub' AND schemaname = 'ledger' AND rowfilter ~ '\\m$old_id\\M'"),
	'0', '... nor its catalog rows (the row filters leave its id out)');
$a->safe_psql('postgres', q{SELECT ledger.drop_ledger('old')});
is($a->safe_psql('postgres', "SELECT count(*) FROM ledger.transactions WHERE ledger_id = $old_id"),
	'0', 'drop_ledger then drops it with its history');
$a->safe_psql('postgres', q{INSERT INTO keep VALUES (2, 'k2'); INSERT INTO old2 VALUES (2, 'p2')});
for my $t ('keep', 'old2')
{
	my $d = caught_up($a, $b, $t);
	ok(defined $d, "$t: rows written after the drop arrive at the peer");
	is(row_set($b, $t), row_set($a, $t), "$t: equal at both ends");
	verify_ok($b, 'postgres', $t, $d, "$t: the replica verifies against the origin's digest");
}
is(sub_enabled($b, $sub), 't', 'the subscription was not stopped');
is($b->safe_psql('postgres', q{SELECT count(*) FROM old}), '6', 'the peer keeps its replica of the retired ledger');
verify_ok($b, 'postgres', 'old', $last{old}, "... which verifies against the origin's last digest of it");
($ret, $out, $err) = $b->psql('postgres', q{INSERT INTO old VALUES (7, 'local')});
like($err, qr/cannot insert into ledger table "old": it is a replica/, '... and stays read-only');
# a replica the subscription still writes cannot be dropped at the peer:
# the next change of it would find no table and stop the subscription
for my $t ('keep', 'old')
{
	($ret, $out, $err) = $b->psql('postgres', "\\set VERBOSITY verbose\nSELECT ledger.drop_ledger('$t')");
	like($err,
		qr/ERROR:  55000: cannot drop replica "public\.$t": subscription "$sub" writes it.*HINT:  Drop the subscription with its replicas \(ledger\.drop_subscription\('$sub', true\)\), or once the origin has retired the ledger \(ledger\.remove_from_publication\), call ledger\.resync_subscription\('$sub'\) first\./s,
		"drop_ledger at the peer refuses replica $t, which the subscription writes");
}

# ---- the same in one transaction ----
$a->safe_psql('postgres', q{BEGIN;
	SELECT ledger.remove_from_publication('pub', ARRAY['old2'::regclass]);
	SELECT ledger.drop_ledger('old2');
	COMMIT;});
$a->safe_psql('postgres', q{INSERT INTO keep VALUES (3, 'k3')});
my $d = caught_up($a, $b, 'keep');
ok(defined $d, 'removed and dropped in one transaction: later rows arrive');
is(sub_enabled($b, $sub), 't', '... the subscription was not stopped');
is(row_set($b, 'keep'), row_set($a, 'keep'), '... keep is equal at both ends');
is($b->safe_psql('postgres', q{SELECT count(*) FROM old2}), '2', '... the peer keeps old2 as it was');
verify_ok($b, 'postgres', 'old2', undef, '... and it verifies');

# ---- the peer retires its replicas ----
# a resync re-copies what the publication carries; replicas it no longer
# carries stay as they are
($ret, $out, $err) = $b->psql('postgres', "SELECT ledger.resync_subscription('$sub')");
is($out, '1', 'resync at the peer: the one ledger still published');
like($err, qr/NOTICE:  replica "old" is no longer published to subscription "$sub": kept as it is, read-only/,
	'... says that it keeps the retired replicas');
like($err, qr/NOTICE:  replica "old2" is no longer published/, '... both of them');
is( $b->safe_psql('postgres',
		q{SELECT string_agg(g.relation::text || ':' || coalesce(r.subscription, '-'), ',' ORDER BY g.relation::text)
		FROM ledger.replicas r JOIN ledger.ledgers g USING (ledger_id)}),
	"keep:$sub,old:-,old2:-", '... which no longer belong to the subscription');
$b->safe_psql('postgres', "ALTER SUBSCRIPTION $sub DISABLE");
$b->safe_psql('postgres', "ALTER SUBSCRIPTION $sub ENABLE");
is(sub_enabled($b, $sub), 't', '... so that it can be disabled and enabled as ever');
($ret, $out, $err) = $b->psql('postgres', q{INSERT INTO old2 VALUES (9, 'local')});
like($err, qr/cannot insert into ledger table "old2": it is a replica/, 'a retired replica stays read-only');
$a->safe_psql('postgres', q{INSERT INTO keep VALUES (4, 'k4')});
$d = caught_up($a, $b, 'keep');
ok(defined $d, '... which streams on');
verify_ok($b, 'postgres', 'keep', $d, '... and verifies');
verify_ok($b, 'postgres', 'old', $last{old}, 'the retired replica still verifies');
$b->safe_psql('postgres', q{SELECT ledger.drop_ledger('old')});
is($b->safe_psql('postgres', q{SELECT count(*) FROM pg_class WHERE relname = 'old'}), '0', 'the peer drops a retired replica with drop_ledger');
$a->safe_psql('postgres', q{INSERT INTO keep VALUES (5, 'k5')});
$d = caught_up($a, $b, 'keep');
ok(defined $d, 'the subscription goes on after the peer dropped its replica');
is(row_set($b, 'keep'), row_set($a, 'keep'), '... nothing lost, nothing twice');

done_testing();
