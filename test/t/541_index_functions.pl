
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# An index a DBA adds on one of the extension's tables whose expression or
# predicate calls a function that runs a query (PL/pgSQL with a SELECT, an
# SQL function PostgreSQL does not inline).  The records and work-list rows
# are written at pre-commit, where no statement's snapshot is active: the
# PL/pgSQL function failed every ledger commit ("cannot execute SQL without
# an outer snapshot or portal") and the SQL function crashed the server
# (SIGSEGV, GetActiveSnapshot with none; last read of 2026-12-07).  Each
# check here failed against the code before.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('idxfn', conf => "max_prepared_transactions = 5\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE p (id int PRIMARY KEY, v text);
	SELECT ledger.create_ledger('p');
	CREATE FUNCTION plus_pl(bigint) RETURNS bigint IMMUTABLE LANGUAGE plpgsql AS $$
	DECLARE r bigint; BEGIN SELECT $1 + 1 INTO r; RETURN r; END $$;
	CREATE FUNCTION plus_sql(bigint) RETURNS bigint IMMUTABLE LANGUAGE sql AS 'SELECT 1; SELECT $1 + 1';
	CREATE FUNCTION big_pl(bigint) RETURNS boolean IMMUTABLE LANGUAGE plpgsql AS $$
	DECLARE r boolean; BEGIN SELECT $1 >= 3 INTO r; RETURN r; END $$;
});

my ($ret, $out, $err);
my $id = 0;

sub commit_ok
{
	my ($what) = @_;
	$id++;
	($ret, $out, $err) = $node->psql('postgres', "INSERT INTO p VALUES ($id, 'a')");
	is($err, '', "a ledger commit with $what");
}

for my $idx (
	[ 'ledger.transactions ((plus_pl(row_count)))', 'a PL/pgSQL expression index on ledger.transactions' ],
	[ 'ledger.transactions ((plus_sql(row_count)))', 'an SQL-function expression index on ledger.transactions' ],
	[ 'ledger.transactions (ledger_id) WHERE big_pl(row_count)', 'a PL/pgSQL partial index on ledger.transactions' ],
	[ 'ledger.seal_queue ((plus_sql(xact_id)))', 'an SQL-function expression index on ledger.seal_queue' ])
{
	$node->safe_psql('postgres', "CREATE INDEX lr_idx ON $idx->[0]");
	commit_ok($idx->[1]);
	$node->safe_psql('postgres', 'DROP INDEX ledger.lr_idx');
}

# a prepared transaction writes its records at PRE_PREPARE
$node->safe_psql('postgres', 'CREATE INDEX lr_idx ON ledger.transactions ((plus_sql(row_count)))');
($ret, $out, $err) = $node->psql('postgres', q{
	BEGIN; INSERT INTO p SELECT g, 'b' FROM generate_series(100, 104) g; PREPARE TRANSACTION 'lr1';});
is($err, '', 'PREPARE TRANSACTION with an SQL-function expression index on ledger.transactions');
$node->safe_psql('postgres', "COMMIT PREPARED 'lr1'");
is($node->safe_psql('postgres',
		'SET enable_seqscan = off; SELECT count(*) FROM ledger.transactions WHERE plus_sql(row_count) = 6'),
	'1', '... the index holds its record');
is($node->safe_psql('postgres', 'SELECT count(*) FROM p'), $id + 5, 'every row stored');
ok(wait_sealed($node, 'postgres'), 'sealed');
verify_ok($node, 'postgres', 'p', undef, 'p verifies');

done_testing();
