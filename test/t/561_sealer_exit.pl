
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# A sealer stopped by pg_terminate_backend (or a shutdown's SIGTERM) did
# not end by an error: its database's next sealer must not be put off, nor
# the log say "ended by an error" (a last read on 2026-12-07).  SIGTERM's
# handler, die(), sets ProcDiePending, and ProcessInterrupts clears it
# before its FATAL, so the exit callback saw code 1 and ProcDiePending
# false, and counted a failure.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use LedgerTest;

my $node = ledger_node('lastread', conf => "ledger.seal_interval = 200ms\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE acct (id bigserial PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('acct');
	INSERT INTO acct (amount) VALUES (1);
});
ok(wait_sealed($node, 'postgres'), 'sealed at start');

my $n = 200;
my $sql = "DO \$\$ BEGIN FOR i IN 1..$n LOOP INSERT INTO acct (amount) VALUES (i); COMMIT; "
  . "PERFORM pg_sleep(0.05); END LOOP; END \$\$";
my ($o, $e) = ('', '');
my $w = IPC::Run::start([ 'psql', '-X', '-q', '-d', $node->connstr('postgres'), '-c', $sql ],
	'>', \$o, '2>', \$e);

my $log_at = -s $node->logfile;
for my $round (1 .. 3)
{
	$node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'ledger sealer'});
	$node->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'ledger sealer'});
	sleep 1;
}
$w->finish;
ok(wait_sealed($node, 'postgres'), 'sealed after the terminations');
my $log = slurp_file($node->logfile, $log_at);
my $terminated = () = $log =~ /terminating background worker "ledger sealer" due to administrator command/g;
ok($terminated >= 2, "sealers terminated ($terminated)");
unlike($log, qr/ledger sealer for database \d+ ended by an error/,
	'a sealer terminated by pg_terminate_backend is not counted as ended by an error');

# A sealer terminated while it waits (here for a DBA's lock on ledger.blocks)
# had taken its database's pending work: the next one comes at once, not at
# the next commit or the minute's sweep.
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN; LOCK TABLE ledger.blocks IN EXCLUSIVE MODE');
$node->safe_psql('postgres', 'INSERT INTO acct (amount) VALUES (-1)');
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM pg_stat_activity
	WHERE backend_type = 'ledger sealer' AND wait_event_type = 'Lock'}), 'the sealer waits for the lock');
my $spid = $node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'ledger sealer'});
$node->safe_psql('postgres', "SELECT pg_terminate_backend($spid)");
$node->poll_query_until('postgres', "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $spid");
$locker->query_safe('COMMIT');
$locker->quit;
my $t0 = time;
ok(wait_sealed($node, 'postgres', 10), 'the work the terminated sealer had taken is sealed without another commit');
diag('sealed ' . (time - $t0) . ' s after the lock was released');
verify_ok($node, 'postgres', 'acct');

done_testing();
