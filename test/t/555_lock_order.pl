
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# The lock order between what a DBA runs and the extension's own background
# work (a review on 2026-12-07):
#  1. A lock a DBA holds on one of the extension's tables (LOCK TABLE,
#     VACUUM FULL, CLUSTER, or any of them queued behind a pg_dump) stopped
#     the background sealer on its wait, without a timeout (on purpose:
#     worker.c) and without a line in the log: commits stayed unsealed and
#     nothing said why.  The workers now log their lock waits
#     (log_lock_waits): "still waiting for ... on relation ...", and again
#     when the lock is acquired.
#  2. pg_dump's locks (ACCESS SHARE on every table it dumps, for as long as
#     the dump lasts) never stop sealing: held on the ledger and on every
#     table of schema ledger, commits are still sealed.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('lockorder', conf => "deadlock_timeout = 200ms\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE acct (id int PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('acct');
	INSERT INTO acct VALUES (1, 10);
});
ok(wait_sealed($node, 'postgres'), 'first row sealed');

# ---------- 1. a DBA's lock on ledger.blocks stops the sealer: logged ----------
my $blocks_oid = $node->safe_psql('postgres', q{SELECT 'ledger.blocks'::regclass::oid});
my $log_at = -s $node->logfile;
my $dba = $node->background_psql('postgres', on_error_stop => 1);
$dba->query_safe('BEGIN');
$dba->query_safe('LOCK TABLE ledger.blocks IN ACCESS EXCLUSIVE MODE');
$node->safe_psql('postgres', 'INSERT INTO acct VALUES (2, 20)');

# the sealer waits for the DBA's lock (pg_locks shows it waiting)
my $waiting = 0;
for (1 .. 200)
{
	$waiting = $node->safe_psql('postgres', qq{
		SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		 WHERE NOT l.granted AND l.relation = $blocks_oid
		   AND a.backend_type = 'ledger sealer'});
	last if $waiting;
	select(undef, undef, undef, 0.1);
}
$waiting = $node->safe_psql('postgres', qq{
	SELECT count(*) FROM pg_locks l WHERE NOT l.granted AND l.relation = $blocks_oid})
  unless $waiting;
ok($waiting > 0, 'the sealer waits for the lock a DBA holds on ledger.blocks');

my $logged = 0;
for (1 .. 100)
{
	$logged = slurp_file($node->logfile, $log_at) =~
	  /still waiting for \w+ on relation $blocks_oid of database \d+/;
	last if $logged;
	select(undef, undef, undef, 0.1);
}
ok($logged, 'the sealer\'s wait for the DBA\'s lock is in the log')
  or diag(slurp_file($node->logfile, $log_at));

$dba->query_safe('COMMIT');
ok(wait_sealed($node, 'postgres'), 'sealed once the DBA\'s lock is released');
ok(slurp_file($node->logfile, $log_at) =~ /acquired \w+ on relation $blocks_oid of database \d+/,
	'... and the log says the sealer has its lock');

# ---------- 2. pg_dump's ACCESS SHARE locks do not stop sealing ----------
my $tables = $node->safe_psql('postgres', q{
	SELECT string_agg(c.oid::regclass::text, ', ')
	  FROM pg_class c
	 WHERE c.relkind = 'r'
	   AND (c.relnamespace = 'ledger'::regnamespace OR c.oid = 'acct'::regclass)});
$dba->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
$dba->query_safe("LOCK TABLE $tables IN ACCESS SHARE MODE");
$node->safe_psql('postgres', 'INSERT INTO acct SELECT i, i FROM generate_series(3, 50) i');
$node->safe_psql('postgres', "INSERT INTO acct VALUES ($_, $_)") for 51 .. 80;
ok(wait_sealed($node, 'postgres', 30), 'sealed while a dump\'s ACCESS SHARE locks are held');
$dba->query_safe('COMMIT');
$dba->quit;

verify_ok($node, 'postgres', 'acct', undef, 'the ledger verifies');

$node->stop;
done_testing();
