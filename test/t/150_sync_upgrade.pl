# Sync (issue #11) of a ledger made by the released 0.1.0: its rows are of
# row format 1 and its first blocks of block format 1 (no history root).  The
# origin runs 0.1.0, writes and seals, is upgraded in place (new library and
# scripts, ALTER EXTENSION ledger UPDATE), writes on (blocks of format 2),
# and publishes the ledger; a peer subscribes.  The first copy accepts the
# format-1 blocks, the replica verifies against the digests the origin took
# under 0.1.0 and after the update, and new rows stream in.  A block of
# format 1 arriving through the stream is refused (format 1 is accepted only
# in the first copy of a history that starts with it).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

$ENV{LEDGER_OLD_INSTALL_0_1_0}
  or BAIL_OUT('LEDGER_OLD_INSTALL_0_1_0 is not set: run through make test');
my $pg_config = $ENV{PG_CONFIG} or BAIL_OUT('PG_CONFIG is not set');
my $old_install = install_copy($ENV{LEDGER_OLD_INSTALL_0_1_0});

my $a = sync_node('upgraded_origin', install_path => $old_install);
is($a->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'ledger'"), '0.1.0',
	'the origin runs 0.1.0');
$a->safe_psql('postgres', q{
	CREATE TABLE pay (id int PRIMARY KEY, payer text, amount numeric(18,2), at date);
	INSERT INTO pay SELECT g, 'genesis ' || g, g * 1.5, date '2026-01-01' + g FROM generate_series(1, 4) g;
	SELECT ledger.create_ledger('pay');
	CREATE TABLE memo (note text);
	SELECT ledger.create_ledger('memo');
});
for my $size (1, 3, 11)
{
	$a->safe_psql('postgres',
		"INSERT INTO pay SELECT g, 'v1', g, date '2026-02-01' FROM generate_series(100 * $size, 100 * $size + $size - 1) g");
	$a->safe_psql('postgres', "INSERT INTO memo SELECT 'm' || g FROM generate_series(1, $size) g");
	$a->safe_psql('postgres', 'SELECT ledger.seal()');
}
my %v1 = map { $_ => $a->safe_psql('postgres', "SELECT ledger.digest('$_')") } ('pay', 'memo');
$a->stop;

# the package upgrade in place, then the catalog
install_new_package($old_install);
$a->start;
$a->safe_psql('postgres', 'ALTER EXTENSION ledger UPDATE');
verify_ok($a, 'postgres', $_, $v1{$_}, "origin: $_ verifies against its 0.1.0 digest after the update") for ('pay', 'memo');
$a->safe_psql('postgres', q{INSERT INTO pay VALUES (900, 'after the update', 9, '2026-03-01'), (901, 'x', 1, NULL)});
$a->safe_psql('postgres', q{INSERT INTO memo VALUES ('after the update')});
ok(wait_sealed($a, 'postgres'), 'origin: sealed after the update');
my $formats = q{SELECT string_agg(DISTINCT b.format_version::text, ',' ORDER BY b.format_version::text)
	FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'pay'::regclass};
is($a->safe_psql('postgres', $formats), '1,2', 'origin: blocks of format 1 (0.1.0) and 2');
is($a->safe_psql('postgres', q{SELECT format_version FROM ledger.ledgers WHERE relation = 'pay'::regclass}), '1',
	'origin: rows of format 1');
$a->safe_psql('postgres', q{SELECT ledger.create_publication('pub', ARRAY['pay'::regclass, 'memo'::regclass])});

my $b = sync_node('upgrade_peer');
my $ci = conninfo($a);
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('from_upgraded', '$ci', 'pub')"), '2',
	'the peer subscribes to the upgraded origin');
is($b->safe_psql('postgres', $formats), '1,2', 'the first copy took the blocks of format 1');
for my $t ('pay', 'memo')
{
	my $d = caught_up($a, $b, $t);
	is(row_set($b, $t), row_set($a, $t), "$t: the origin's rows");
	verify_ok($b, 'postgres', $t, $v1{$t}, "$t: the replica verifies against the digest taken under 0.1.0");
	verify_ok($b, 'postgres', $t, $d, "$t: and against the origin's newest digest");
	is(digest_of($b, $t), $d, "$t: same digest for the same block");
}

$a->safe_psql('postgres', q{INSERT INTO pay VALUES (902, 'streamed', 2, NULL)});
$a->safe_psql('postgres', q{INSERT INTO memo VALUES ('streamed')});
for my $t ('pay', 'memo')
{
	my $d = caught_up($a, $b, $t);
	ok(defined $d, "$t: rows of format 1 stream in");
	verify_ok($b, 'postgres', $t, $d, "$t: and verify");
}

# a block of format 1 through the stream
my $pid = $a->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 'pay'::regclass});
my $since = last_error_at($b, 'from_upgraded');
$a->safe_psql('postgres', qq{INSERT INTO ledger.blocks
	SELECT ledger_id, block_no + 1, block_hash, sha256(''), 0, 0, now(), 1, sha256('v1 block'), '{}',
		first_position + tx_count, NULL, total_rows
	  FROM ledger.blocks WHERE ledger_id = $pid ORDER BY block_no DESC LIMIT 1});
my ($err, $lsn) = wait_refused($b, 'from_upgraded', $since);
like($err, qr/^block \d+ of ledger "pay" has an inconsistent header$/, 'a block of format 1 through the stream is refused');
$a->safe_psql('postgres', qq{DELETE FROM ledger.blocks WHERE ledger_id = $pid AND block_hash = sha256('v1 block')});
skip_refused($b, 'from_upgraded', $lsn);
$a->safe_psql('postgres', q{INSERT INTO pay VALUES (903, 'after', 3, NULL)});
my $d = caught_up($a, $b, 'pay');
ok(defined $d, 'skipped, the replica follows again');
is(row_set($b, 'pay'), row_set($a, 'pay'), 'nothing lost or duplicated');
verify_ok($b, 'postgres', 'pay', $d, 'the replica verifies');

done_testing();
