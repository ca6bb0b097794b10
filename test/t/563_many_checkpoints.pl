
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# More ledgers whose scheduled checkpoint fails than the sealer's 64 error
# slots (a last read on 2026-12-07): a DBA's CHECK on ledger.checkpoints
# refusing every checkpoint, 80 ledgers, while one is written.  Each should
# be tried again after its doubling delay (at 0, 1, 3, 7 s: 4 or 5 tries in
# 10 s), not at every few passes.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use LedgerTest;

my $nl = 80;
my $node = ledger_node('manycp', conf => "ledger.seal_interval = 200ms\nledger.checkpoint_interval = 1s\n");
my ($pub) = run_command([ 'bash', '-c', 'openssl genpkey -algorithm ed25519 | openssl pkey -pubout' ]);
$node->safe_psql('postgres', qq{
	CREATE EXTENSION ledger;
	SELECT ledger.add_key('me-cp', 'me', 'ed25519', ledger.public_key_from_pem(\$k\$$pub\$k\$));
	SELECT ledger.set_institution('me', 'me-cp');
	CREATE TABLE healthy (id bigserial PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('healthy');
});
$node->safe_psql('postgres', qq{
	DO \$\$ BEGIN FOR i IN 1..$nl LOOP
		EXECUTE format('CREATE TABLE f%s (id bigserial PRIMARY KEY, amount numeric)', i);
		PERFORM ledger.create_ledger(format('f%s', i)::regclass);
	END LOOP; END \$\$});
ok(wait_sealed($node, 'postgres', 60), 'sealed at start');
$node->safe_psql('postgres', 'ALTER TABLE ledger.checkpoints ADD CONSTRAINT dba_no_cp CHECK (ledger_id = 0) NOT VALID');
my $log_at = -s $node->logfile;
$node->safe_psql('postgres', qq{DO \$\$ BEGIN FOR i IN 1..$nl LOOP
		EXECUTE format('INSERT INTO f%s (amount) VALUES (1)', i);
	END LOOP; END \$\$});
my $secs = 10;
my $n = $secs * 20;
my $sql = "DO \$\$ BEGIN FOR i IN 1..$n LOOP INSERT INTO healthy (amount) VALUES (i); COMMIT; "
  . "PERFORM pg_sleep(0.05); END LOOP; END \$\$";
my ($o, $e) = ('', '');
IPC::Run::run([ 'psql', '-X', '-q', '-d', $node->connstr('postgres'), '-c', $sql ], '>', \$o, '2>', \$e);
my $log = slurp_file($node->logfile, $log_at);
my %tries;
$tries{$1}++ while $log =~ /WARNING:  could not make a checkpoint of ledger "public\.(f\d+)"/g;
my @most = sort { $b <=> $a } values %tries;
my $total = 0;
$total += $_ for values %tries;
diag("$total checkpoint warnings in about $secs s; most of one ledger: " . ($most[0] // 0) . '; ledgers: ' . scalar(keys %tries));
ok(scalar(keys %tries) >= $nl, 'every failing ledger was tried');
ok(($most[0] // 99) <= 6, 'no failing checkpoint is tried at every few passes (most: ' . ($most[0] // 'none') . ')');
$node->safe_psql('postgres', 'ALTER TABLE ledger.checkpoints DROP CONSTRAINT dba_no_cp');
ok($node->poll_query_until('postgres', qq{SELECT count(DISTINCT ledger_id) >= $nl FROM ledger.checkpoints c JOIN ledger.ledgers l USING (ledger_id)
	WHERE l.relation::text LIKE 'f%'}), 'the checkpoints are made once the constraint is dropped');
done_testing();
