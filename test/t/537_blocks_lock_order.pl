# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Lock order of a load of ledger.blocks against a sealing pass (a review on
# 2026-12-06).  The trigger blocks_loaded took the work list's lock at the
# end of the loading statement, after its rows; a pass that held that lock
# (its rebuild, in the pass's first transaction) and then sealed a ledger
# the load was putting blocks back into waited for the load's row of the
# same block number: "deadlock detected", and one of them failed.  Now the
# load takes the lock before its first row (catalog_guard), waits for the
# pass, and then finds the block the pass sealed (a duplicate key: the
# records were sealed again meanwhile, and the blocks put back are not
# needed).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('dl', conf => "ledger.sealer = off\ndeadlock_timeout = 200ms\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE acct (id int PRIMARY KEY);
	CREATE TABLE other (id int PRIMARY KEY);
	SELECT ledger.create_ledger('acct');
	SELECT ledger.create_ledger('other');
	INSERT INTO acct VALUES (1);
	INSERT INTO other VALUES (1);
	SELECT ledger.seal();
});
my $acct = $node->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 'acct'::regclass});
$node->safe_psql('postgres', qq{
	CREATE TABLE saved_blocks AS SELECT * FROM ledger.blocks WHERE ledger_id = $acct AND block_no > 0;
	DELETE FROM ledger.blocks WHERE ledger_id = $acct AND block_no > 0;
	DELETE FROM ledger.seal_queue WHERE ledger_id = 0;
});
# a pass: its rebuild takes the list's lock (the sealer worker's pass
# rebuilds and seals its first ledgers in one transaction, sealer_pass;
# two seal() calls in one transaction here)
my $pass = $node->background_psql('postgres', on_error_stop => 0);
$pass->query_safe(q{BEGIN; SELECT ledger.seal('other')});
# the load: its rows in, then its trigger waits for the list's lock
my $loader = $node->background_psql('postgres', on_error_stop => 0);
$loader->query_until(qr/loading/, "\\echo loading\nINSERT INTO ledger.blocks SELECT * FROM saved_blocks;\n");
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE 'INSERT INTO ledger.blocks%' AND wait_event_type = 'Lock'")
  or diag('the load did not wait');
# the same pass goes on to seal acct
$pass->query(q{SELECT ledger.seal('acct')});
my $perr = $pass->{stderr};
$pass->query(q{COMMIT});
$loader->query(q{SELECT 1});
my $lerr = $loader->{stderr};
unlike($perr . $lerr, qr/deadlock detected/, 'no deadlock between a pass and a load of blocks')
  or diag("pass: $perr\nloader: $lerr");
is($perr, '', 'the pass sealed the ledger');
like($lerr, qr/duplicate key value violates unique constraint "blocks_pkey"/,
	'the load, after the pass, found the block the pass sealed');
$pass->quit;
$loader->quit;
verify_ok($node, 'postgres', 'acct', undef, 'the ledger verifies');
done_testing();
