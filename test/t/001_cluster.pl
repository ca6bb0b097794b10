# 001_cluster.pl: a node with ledger preloaded starts, creates the extension,
# and the client programs the later tests rely on (psql, pgbench) are on PATH.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use InitdbTemplate;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init(allows_streaming => 'logical');
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'ledger'\n");
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION ledger');

is( $node->safe_psql(
		'postgres',
		"SELECT extversion FROM pg_extension WHERE extname = 'ledger'"),
	$node->safe_psql(
		'postgres',
		"SELECT default_version FROM pg_available_extensions WHERE name = 'ledger'"),
	'extension ledger installed at its default version');

is( $node->safe_psql(
		'postgres',
		"SELECT extnamespace::regnamespace FROM pg_extension WHERE extname = 'ledger'"),
	'ledger', 'extension lives in schema ledger');

is($node->safe_psql('postgres', 'SHOW wal_level'), 'logical', 'wal_level is logical');

# pgbench from the server's bin directory, as the concurrency tests use it
$node->command_ok([ 'pgbench', '--version' ], 'pgbench is on PATH');

$node->stop;
done_testing();
