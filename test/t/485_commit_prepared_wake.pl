
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# COMMIT PREPARED wakes the background sealer (f6bfec3, 480 part 1), but it
# did so in every database of the server, also one without the extension
# (the hook is loaded server-wide by shared_preload_libraries): each
# COMMIT PREPARED there started a sealer worker, which connected, found no
# extension and exited.  A server whose other databases use two-phase
# commit (an XA transaction manager) paid a background worker's fork and
# connection, and a worker slot, for each of theirs.  It is told only in a
# database that has the extension now.  The postmaster's DEBUG1 lines
# "starting background worker process" name each worker started.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use LedgerTest;

my $node = ledger_node('commit_prepared_wake',
	conf => "max_prepared_transactions = 5\nlog_min_messages = debug1\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE pay (id int);
	SELECT ledger.create_ledger('pay');
	CREATE DATABASE other;
});
$node->safe_psql('other', 'CREATE TABLE t (id int)');
my $other = $node->safe_psql('postgres', "SELECT oid FROM pg_database WHERE datname = 'other'");

# the launcher looks at every database when it starts: let that pass
sleep 3;
my $offset = -s $node->logfile;
for my $i (1 .. 5)
{
	$node->safe_psql('other', "BEGIN; INSERT INTO t VALUES ($i); PREPARE TRANSACTION 'x$i'");
	$node->safe_psql('other', "COMMIT PREPARED 'x$i'");
	usleep(300_000);
}
sleep 2;
my $log = slurp_file($node->logfile, $offset);
my $started = () = $log =~ /starting background worker process "ledger sealer for database $other"/g;
is($started, 0, 'COMMIT PREPARED in a database without the extension starts no sealer there')
  or diag("sealers started there: $started");

# in the ledger's database it still wakes the sealer (480 part 1 times it)
$node->safe_psql('postgres', "BEGIN; INSERT INTO pay VALUES (1); PREPARE TRANSACTION 'p1'");
$offset = -s $node->logfile;
$node->safe_psql('postgres', "COMMIT PREPARED 'p1'");
ok( $node->poll_query_until('postgres',
		'SELECT count(*) = 0 FROM ledger.transaction_blocks WHERE block_no IS NULL'),
	'the prepared transaction of the ledger\'s database is sealed');

done_testing();
