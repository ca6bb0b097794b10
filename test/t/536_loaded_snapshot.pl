# Copyright (c) the ledger authors; PostgreSQL licence.
#
# The statement triggers of loaded records and blocks (ledger.records_loaded,
# ledger.blocks_loaded) under a transaction snapshot (REPEATABLE READ or
# SERIALIZABLE, as default_transaction_isolation may make every restore
# session): each takes the work list's lock and then deletes from it, and a
# rebuild that committed after the loading transaction's snapshot was taken
# and before that lock left rows the DELETE did not see.
#  1. blocks: the rebuild listed records whose blocks were being loaded; the
#     entries stayed, the next pass sealed those transactions a second
#     time, and verify() failed ("listed by blocks").
#  2. records: the rebuild wrote its marker before the records were
#     committed; the marker stayed, no pass rebuilt the list again, and the
#     loaded records were never sealed.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('ls', conf => "ledger.sealer = off\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE acct (id int PRIMARY KEY, v text);
	CREATE TABLE other (id int PRIMARY KEY);
	CREATE TABLE acct2 (id int PRIMARY KEY);
	SELECT ledger.create_ledger('acct');
	SELECT ledger.create_ledger('acct2');
	SELECT ledger.create_ledger('other');
	INSERT INTO acct VALUES (1, 'a');
	INSERT INTO acct VALUES (2, 'b');
	INSERT INTO other VALUES (1);
	INSERT INTO acct2 VALUES (1);
	SELECT ledger.seal();
	INSERT INTO acct VALUES (3, 'c');
	SELECT ledger.seal();
});
my $acct = $node->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 'acct'::regclass});
my $acct2 = $node->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 'acct2'::regclass});
my $digest = $node->safe_psql('postgres', q{SELECT ledger.digest('acct')});

# ---------- 1. blocks loaded under a transaction snapshot ----------
sub blocks_case
{
	my ($t, $lid, $iso, $digest) = @_;
	# the ledger's blocks after its genesis taken out (as if still to be
	# restored), and the list's marker gone (as a load of records leaves it)
	$node->safe_psql('postgres', qq{
		DROP TABLE IF EXISTS saved_blocks;
		CREATE TABLE saved_blocks AS SELECT * FROM ledger.blocks WHERE ledger_id = $lid AND block_no > 0;
		DELETE FROM ledger.blocks WHERE ledger_id = $lid AND block_no > 0;
		DELETE FROM ledger.seal_queue WHERE ledger_id = 0;
	});
	my $loader = $node->background_psql('postgres', on_error_stop => 1);
	$loader->query_safe("BEGIN ISOLATION LEVEL $iso; SELECT 1");
	# a pass between the loader's snapshot and its load: the rebuild lists
	# the ledger's records, which no block holds yet
	$node->safe_psql('postgres', q{SELECT ledger.seal('other')});
	cmp_ok($node->safe_psql('postgres', "SELECT count(*) FROM ledger.seal_queue WHERE ledger_id = $lid"), '>', 0,
		"blocks, $iso: the rebuild listed the records whose blocks are still to come");
	$loader->query_safe('INSERT INTO ledger.blocks SELECT * FROM saved_blocks');
	$loader->query_safe('COMMIT');
	$loader->quit;
	is($node->safe_psql('postgres', "SELECT count(*) FROM ledger.seal_queue WHERE ledger_id = $lid"), '0',
		"blocks loaded under $iso: their transactions leave the list");
	$node->safe_psql('postgres', q{SELECT ledger.seal()});
	verify_ok($node, 'postgres', $t, $digest, "blocks loaded under $iso: the ledger verifies");
}
blocks_case('acct', $acct, 'REPEATABLE READ', $digest);

# ---------- 2. records loaded under REPEATABLE READ ----------
$node->safe_psql('postgres', q{INSERT INTO acct2 VALUES (2)});
my $x = $node->safe_psql('postgres', "SELECT max(xact_id) FROM ledger.transactions WHERE ledger_id = $acct2");
$node->safe_psql('postgres', qq{
	CREATE TABLE saved_records AS SELECT * FROM ledger.transactions WHERE ledger_id = $acct2 AND xact_id = $x;
	DELETE FROM ledger.transactions WHERE ledger_id = $acct2 AND xact_id = $x;
	DELETE FROM ledger.seal_queue WHERE ledger_id <> 0;
	DELETE FROM ledger.seal_queue WHERE ledger_id = 0;
});
my $loader = $node->background_psql('postgres', on_error_stop => 1);
$loader->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1');
# a pass between the loader's snapshot and its load: the rebuild marks the
# list, without the records still to come
$node->safe_psql('postgres', q{SELECT ledger.seal('other')});
is($node->safe_psql('postgres', 'SELECT count(*) FROM ledger.seal_queue WHERE ledger_id = 0'), '1',
	'records: the rebuild marked the list');
$loader->query_safe('INSERT INTO ledger.transactions SELECT * FROM saved_records');
$loader->query_safe('COMMIT');
$loader->quit;
$node->safe_psql('postgres', q{SELECT ledger.seal()});
is($node->safe_psql('postgres', "SELECT count(*) FROM ledger.transaction_blocks WHERE ledger_id = $acct2 AND block_no IS NULL"),
	'0', 'records loaded under REPEATABLE READ: the next pass seals them');
verify_ok($node, 'postgres', 'acct2', undef, 'records loaded under REPEATABLE READ: the ledger verifies');

# ---------- 3. blocks loaded under SERIALIZABLE ----------
$node->safe_psql('postgres', q{INSERT INTO acct2 VALUES (3); SELECT ledger.seal()});
blocks_case('acct2', $acct2, 'SERIALIZABLE', $node->safe_psql('postgres', q{SELECT ledger.digest('acct2')}));

# the list's own guard is kept as made by the DDL guard (docs/design.md)
my ($ret, $out, $err) = $node->psql('postgres', 'ALTER TABLE ledger.seal_queue DISABLE TRIGGER seal_queue_guard');
like($err, qr/cannot alter the triggers of the ledger catalog this way/,
	'the work list\'s guard is not disabled, even by a superuser');

done_testing();
