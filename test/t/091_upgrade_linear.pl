# 091_upgrade_linear.pl: the update from 0.1.0 does work linear in the
# history it carries over.
#
# The update fills each block's list of transactions (blocks.xact_ids) and
# its place in the history tree (first_position, total_rows) from the
# 0.1.0 catalog.  It did so with a subquery per block that scanned every
# 0.1.0 transaction record (whose only index is on unsealed records) and
# summed every earlier block of the ledger twice: time quadratic in the
# history, so that a bank's year of blocks took hours under the update's
# exclusive locks (an upgrade review at scale on 2026-12-07: the
# statement took 8 min 45 s over 10,742 blocks and 211,010 records, and
# would take about 100 times as long over 10 times the history; it now
# takes 1.4 s).
# Here a 0.1.0 ledger of 3,000 blocks (one transaction each, as a ledger
# written now and then is sealed) is updated, and the shared buffers that
# statement touched (pg_stat_statements, which tracks the statements of
# the update script) stay within a bound linear in the blocks: the
# quadratic form touched 55 times as many (343 a block).  Then every block's
# list, position and row total are checked against the 0.1.0 records, and
# every ledger verifies against the digest 0.1.0 took.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

$ENV{LEDGER_OLD_INSTALL_0_1_0}
  or BAIL_OUT('LEDGER_OLD_INSTALL_0_1_0 is not set: run through make test');
my $old_install = install_copy($ENV{LEDGER_OLD_INSTALL_0_1_0});

my $blocks = 3000;
my $node = ledger_node(
	'linear',
	install_path => $old_install,
	conf => "shared_preload_libraries = 'ledger, pg_stat_statements'\n"
	  . "pg_stat_statements.track = all\n"
	  . "ledger.sealer = off\n");
$node->safe_psql(
	'postgres', qq{
CREATE EXTENSION ledger;
CREATE TABLE hist (id bigserial, memo text NOT NULL);
SELECT ledger.create_ledger('hist');
CREATE TABLE bulk (id bigserial, memo text NOT NULL);
SELECT ledger.create_ledger('bulk');
CREATE PROCEDURE fill(n int) LANGUAGE plpgsql AS \$\$
BEGIN
    FOR i IN 1..n LOOP
        INSERT INTO hist (memo) VALUES ('tx ' || i);
        INSERT INTO bulk (memo) SELECT 'row ' || g FROM generate_series(1, i % 5) g;
        COMMIT;
        IF i % 7 = 0 THEN
            INSERT INTO bulk (memo) VALUES ('more ' || i);
            COMMIT;
        END IF;
        PERFORM ledger.seal('hist');
        IF i % 10 = 0 THEN
            PERFORM ledger.seal('bulk');
        END IF;
        COMMIT;
    END LOOP;
END
\$\$;
CALL fill($blocks);
SELECT ledger.seal();
});
my %digest;
for my $t ('hist', 'bulk')
{
	$digest{$t} = $node->safe_psql('postgres', "SELECT ledger.digest('$t')");
}
# and a record of each left unsealed (no background sealer here)
$node->safe_psql('postgres', "INSERT INTO $_ (memo) VALUES ('unsealed')") for ('hist', 'bulk');
my $nblocks = $node->safe_psql('postgres', 'SELECT count(*) FROM ledger.blocks');
cmp_ok($nblocks, '>', $blocks, "0.1.0 sealed more than $blocks blocks");
# which block holds each record, as 0.1.0 says, by ledger uuid (the update
# changes the ledger ids)
$node->safe_psql(
	'postgres', q{
CREATE TABLE before_map AS
SELECT l.ledger_uuid, t.xact_id, t.block_no, t.committed_at
  FROM ledger.transactions t JOIN ledger.ledgers l USING (ledger_id)});
$node->stop;

install_new_package($old_install);
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION pg_stat_statements');
$node->safe_psql('postgres', 'SELECT pg_stat_statements_reset()');
$node->safe_psql('postgres', 'ALTER EXTENSION ledger UPDATE');

# the statement of the update that fills the blocks' new columns
my $touched = $node->safe_psql(
	'postgres', q{
SELECT sum(shared_blks_hit + shared_blks_read) || ' ' || count(*)
  FROM pg_stat_statements
 WHERE query LIKE '%UPDATE ledger.blocks b%xact_ids = COALESCE(%'});
my ($buffers, $statements) = split / /, $touched;
is($statements, 1, 'pg_stat_statements saw the statement that fills blocks.xact_ids');
ok(defined $buffers && $buffers < 20 * $nblocks,
	"filling the blocks' lists touched fewer than 20 buffers a block (" . ($buffers // 'none') . " for $nblocks blocks)");

# every list (in (committed_at, xact_id) order), position and total
# against the 0.1.0 records and blocks
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM (
    SELECT b.*, lag(b.first_position + b.tx_count, 1, 0::bigint) OVER w AS expect_first,
           sum(b.row_count) OVER w AS expect_total
      FROM ledger.blocks b
    WINDOW w AS (PARTITION BY b.ledger_id ORDER BY b.block_no)) x
 WHERE x.first_position <> x.expect_first OR x.total_rows <> x.expect_total
    OR cardinality(x.xact_ids) <> x.tx_count}),
	'0', 'every block: first_position and total_rows add up its ledger\'s earlier blocks');
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM ledger.blocks b
  JOIN ledger.ledgers l USING (ledger_id)
  LEFT JOIN (SELECT m.ledger_uuid, m.block_no,
                    array_agg(m.xact_id ORDER BY m.committed_at, m.xact_id) AS xact_ids
               FROM before_map m GROUP BY 1, 2) m
    ON m.ledger_uuid = l.ledger_uuid AND m.block_no = b.block_no
 WHERE b.xact_ids <> COALESCE(m.xact_ids, '{}')}),
	'0', 'every block lists the transactions 0.1.0 sealed into it, in their order');
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM before_map m
  JOIN ledger.ledgers l USING (ledger_uuid)
  FULL JOIN ledger.transaction_blocks tb ON tb.ledger_id = l.ledger_id AND tb.xact_id = m.xact_id
 WHERE m.block_no IS DISTINCT FROM tb.block_no OR m.xact_id IS NULL OR tb.xact_id IS NULL}),
	'0', 'every record is in the block 0.1.0 sealed it into, the two unsealed ones in none');
for my $t ('hist', 'bulk')
{
	verify_ok($node, 'postgres', $t, $digest{$t}, "after the update $t verifies against its 0.1.0 digest");
}
$node->stop;
done_testing();
