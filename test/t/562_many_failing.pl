
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# More ledgers failing than the sealer's 64 error slots (a last read on
# 2026-12-07): a DBA's CHECK on ledger.blocks refusing 100 ledgers while a
# healthy one is written.  Each ledger should be tried again after its
# doubling delay (at 0, 1, 3, 7 s: at most 4 or 5 tries in 10 s), not at
# every few passes.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use LedgerTest;

my $nl = 100;
my $node = ledger_node('many', conf => "ledger.seal_interval = 200ms\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE healthy (id bigserial PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('healthy');
});
$node->safe_psql('postgres', qq{
	DO \$\$ BEGIN FOR i IN 1..$nl LOOP
		EXECUTE format('CREATE TABLE f%s (id bigserial PRIMARY KEY, amount numeric)', i);
		PERFORM ledger.create_ledger(format('f%s', i)::regclass);
	END LOOP; END \$\$});
ok(wait_sealed($node, 'postgres', 60), 'sealed at start');
my $hid = $node->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 'healthy'::regclass});
$node->safe_psql('postgres', "ALTER TABLE ledger.blocks ADD CONSTRAINT dba_only_healthy CHECK (ledger_id = $hid) NOT VALID");
my $log_at = -s $node->logfile;
$node->safe_psql('postgres', qq{DO \$\$ BEGIN FOR i IN 1..$nl LOOP
		EXECUTE format('INSERT INTO f%s (amount) VALUES (1)', i);
	END LOOP; END \$\$});
my $secs = 10;
# a writer of the healthy ledger for the whole test (it keeps the sealer busy)
my $n = 60 * 20;
my $sql = "DO \$\$ BEGIN FOR i IN 1..$n LOOP INSERT INTO healthy (amount) VALUES (i); COMMIT; "
  . "PERFORM pg_sleep(0.05); END LOOP; END \$\$";
my ($o, $e) = ('', '');
my $w = IPC::Run::start([ 'psql', '-X', '-q', '-d', $node->connstr('postgres'), '-c', $sql ], '>', \$o, '2>', \$e);
sleep $secs;
my $log = slurp_file($node->logfile, $log_at);
my %tries;
$tries{$1}++ while $log =~ /background sealing of ledger id (\d+):/g;
my $errors = () = $log =~ /ERROR:  new row for relation "blocks" violates check constraint "dba_only_healthy"/g;
my @most = sort { $b <=> $a } values %tries;
diag("$errors sealing errors in $secs s; most tries of one ledger: $most[0]; ledgers tried: " . scalar(keys %tries));
ok($most[0] <= 6, "no failing ledger is tried at every few passes (most: $most[0] in $secs s)");
ok($errors <= $nl * 6, "the errors stay bounded by the delay ($errors)");
ok($node->poll_query_until('postgres', qq{SELECT count(*) = 0 FROM ledger.transaction_blocks WHERE ledger_id = $hid AND block_no IS NULL}),
	'the healthy ledger is sealed meanwhile');

# The fault removed and one ledger sealed by ledger.seal() while the
# sealer runs, just after a failure that put the ledger off for 16 s: its
# next commit is sealed by the passes at their own pace, not after the delay
# the sealer kept for it in its own memory.
my $fid = $node->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 'f1'::regclass});
my $fifth = 0;
for (1 .. 300)
{
	$fifth = slurp_file($node->logfile, $log_at) =~ /background sealing of ledger id $fid: failure 5 in a row/;
	last if $fifth;
	select(undef, undef, undef, 0.1);
}
ok($fifth, 'the failing ledger is put off for 16 s after its fifth failure');
$node->safe_psql('postgres', 'ALTER TABLE ledger.blocks DROP CONSTRAINT dba_only_healthy');
is($node->safe_psql('postgres', q{SELECT ledger.seal('f1')}), '1', 'ledger.seal() seals the ledger at once');
$node->safe_psql('postgres', 'INSERT INTO f1 (amount) VALUES (2)');
my $sealed = 0;
for (1 .. 30)
{
	$sealed = $node->safe_psql('postgres', qq{SELECT count(*) = 0 FROM ledger.transaction_blocks WHERE ledger_id = $fid AND block_no IS NULL}) eq 't';
	last if $sealed;
	select(undef, undef, undef, 0.1);
}
ok($sealed, 'its next commit is sealed within 3 s (the sealer forgot its delay)');
$node->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'DO $$ BEGIN FOR i IN%' AND pid <> pg_backend_pid()});
$w->finish;
done_testing();
