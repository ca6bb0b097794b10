
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Faults found by reading the C of the sealer, verification, proofs and the
# history tree against what PostgreSQL's internal API asks of its callers
# (a review on 2026-12-06), each failing here against the code before:
#  1. The background sealer never set its statement start time
#     (SetCurrentStatementStartTimestamp, which PostgresMain does for every
#     client statement and a background worker must do itself), so every
#     transaction of a sealer had the now() of the moment it connected
#     (InitPostgres sets it once).  A sealer kept busy by a steady load ran
#     for as long as the load lasted, its checkpoints carried made_at = its
#     start, and _make_due_checkpoints, comparing that made_at with the same
#     frozen now(), found every ledger checkpointed "within the interval":
#     one scheduled checkpoint per sealer, none after it however long the
#     sealer ran.  pg_stat_activity showed its xact_start and query_start as
#     old as the sealer.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use LedgerTest;

my $dir = PostgreSQL::Test::Utils::tempdir();
my $node = ledger_node('reader', conf => "ledger.checkpoint_interval = 1s\n");

run_command([ 'openssl', 'genpkey', '-algorithm', 'ed25519', '-out', "$dir/cp.pem" ]);
die 'genpkey' if $?;
my ($pub) = run_command([ 'openssl', 'pkey', '-in', "$dir/cp.pem", '-pubout' ]);
$pub =~ s/'/''/g;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION ledger;
	SELECT ledger.add_key('cp', 'bank', 'ed25519', ledger.public_key_from_pem('$pub'));
	SELECT ledger.set_institution('bank.example', 'cp');
	CREATE TABLE busy (id bigint PRIMARY KEY);
	SELECT ledger.create_ledger('busy');
});

# ---------- 1. a busy sealer's clock ----------

# a commit every 100 ms for 8 s: the sealer never idles a second, and stays
my $t0 = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
my %pids;
my $start = time;
my $i = 0;
my $lag = 0;
while (time - $start < 8)
{
	$i++;
	$node->safe_psql('postgres', "INSERT INTO busy VALUES ($i)");
	# the sealer's last statement ("sealing ledgers"), seen from outside:
	# when did it start?
	my $row = $node->safe_psql('postgres', q{
		SELECT pid || ' ' || COALESCE(extract(epoch FROM clock_timestamp() - query_start)::int, 0)
		  FROM pg_stat_activity WHERE backend_type = 'ledger sealer'});
	for my $l (split /\n/, $row)
	{
		my ($pid, $age) = split / /, $l;
		$pids{$pid} = 1;
		$lag = $age if $age > $lag;
	}
	sleep(0.1);
}
note('sealer pids seen: ' . join(' ', sort keys %pids) . "; oldest query_start seen: $lag s");
ok(wait_sealed($node, 'postgres'), 'everything written is sealed');
# one interval is 1 s: a checkpoint about every second of the 8, whichever
# sealer made it
cmp_ok($node->safe_psql('postgres', q{SELECT count(*) FROM ledger.checkpoints}), '>=', 4,
	'a sealer kept busy makes a checkpoint each interval');
is($node->safe_psql('postgres', qq{
	SELECT count(*) FROM ledger.checkpoints
	 WHERE made_at < '$t0'::timestamptz OR made_at > clock_timestamp()}), '0',
	'each checkpoint made_at is the time it was made');
is($node->safe_psql('postgres', q{
	SELECT max(made_at) > clock_timestamp() - interval '4 s' FROM ledger.checkpoints}), 't',
	'the newest scheduled checkpoint is recent');
cmp_ok($lag, '<=', 2, "the sealer's query_start in pg_stat_activity is its statement's");

done_testing();
