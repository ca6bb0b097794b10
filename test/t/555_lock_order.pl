
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
#  3. ALTER TABLE ALL IN TABLESPACE ... SET TABLESPACE locks what it moves
#     in pg_class's order, the extension's tables (made by CREATE EXTENSION)
#     before the ledgers made after them; a writer locks its ledger, then
#     ledger.transactions at commit.  With a writer's transaction open the
#     command held ledger.transactions and waited for the ledger, the
#     writer's COMMIT waited for ledger.transactions, and the deadlock
#     detector ended one of them (40P01).  The command now takes the
#     extension's lock and the ledgers it moves first; both succeed.
#  4. (a second review, the same day) Two transactions writing two ledgers
#     in opposite orders do not deadlock: a writer's work at commit takes
#     no lock that another writer holds, as with two plain tables.
#     drop_ledger() waiting for a writer holds the ledger's row (the
#     sealer's lock): a seal() of that ledger in the writer's own
#     transaction is ended by the deadlock detector (documented in
#     reference.md, drop_ledger), and the drop goes on.
#  5. (a third look, the same day) digest() of a ledger with nothing left to
#     seal waited for a pass of the sealer over the whole database, also
#     when that pass was held up by a DBA's lock while sealing another
#     ledger: all of ledger.digest_wait, then a NOTICE that the sealer did
#     not finish a pass.  It returns at once now, and a ledger with commits
#     left still waits and says so.

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

# ---------- 3. ALTER TABLE ALL IN TABLESPACE with a writer committing ----------
my $ts = $node->basedir . '/ts';
mkdir $ts or die "mkdir $ts: $!";
$node->safe_psql('postgres', "CREATE TABLESPACE ts LOCATION '$ts'");
my $id = 1000;
for my $dir ([ 'pg_default', 'ts' ], [ 'ts', 'pg_default' ])
{
	my ($from, $to) = @$dir;
	my $w = $node->background_psql('postgres', on_error_stop => 0);
	# a session that has written before (what its first insert looks up is kept)
	$w->query_safe('INSERT INTO acct VALUES (' . $id++ . ', 1)');
	$w->query_safe('BEGIN');
	$w->query_safe('INSERT INTO acct VALUES (' . $id++ . ', 1)');
	my $mover = $node->background_psql('postgres', on_error_stop => 0);
	$mover->query_until(qr/started/,
		"\\echo started\nALTER TABLE ALL IN TABLESPACE $from SET TABLESPACE $to;\n\\echo moved\n");
	ok( $node->poll_query_until('postgres', q{
			SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
			 WHERE NOT l.granted AND l.relation = 'acct'::regclass
			   AND a.query LIKE 'ALTER TABLE ALL%'}),
		"ALTER TABLE ALL IN TABLESPACE $from waits for the writer's ledger");
	my $log_before = -s $node->logfile;
	$w->{stderr} = '';
	$w->query('COMMIT');
	is($w->{stderr}, '', "... the writer's COMMIT succeeds");
	$w->quit;
	$mover->{stderr} = '';
	$mover->query('SELECT 1');
	is($mover->{stderr}, '', '... and so does the move');
	$mover->quit;
	ok(slurp_file($node->logfile, $log_before) !~ /deadlock detected/, '... no deadlock in the log');
	is($node->safe_psql('postgres', qq{
		SELECT count(*) FROM pg_tables
		 WHERE (schemaname, tablename) IN (('public', 'acct'), ('ledger', 'transactions'))
		   AND coalesce(tablespace, 'pg_default') = '$to'}),
		'2', "... the ledger and ledger.transactions are in $to");
}

# NOWAIT with a writer's transaction open: refused at once, as PostgreSQL
# refuses it, naming the ledger
my $w = $node->background_psql('postgres', on_error_stop => 0);
$w->query_safe('BEGIN');
$w->query_safe('INSERT INTO acct VALUES (' . $id++ . ', 1)');
my ($ret, $out, $err) = $node->psql('postgres',
	'ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE ts NOWAIT');
like($err, qr/aborting because lock on relation "public.acct" is not available/,
	'NOWAIT with a writer of the ledger open is refused');
# ... and a move to the same tablespace, a no-op, locks nothing
($ret, $out, $err) = $node->psql('postgres',
	'ALTER TABLE ALL IN TABLESPACE pg_default SET TABLESPACE pg_default NOWAIT');
is($ret, 0, 'a move to the same tablespace waits for no writer') or diag($err);
$w->query_safe('COMMIT');
$w->quit;
ok(wait_sealed($node, 'postgres', 30), 'everything sealed after the moves');

verify_ok($node, 'postgres', 'acct', undef, 'the ledger verifies');

# ---------- 4. two ledgers in opposite orders; drop_ledger and a writer's seal() ----------
$node->safe_psql('postgres', q{
	CREATE TABLE acct2 (id int PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('acct2');
});
my $log_before = -s $node->logfile;
my @ab = map { $node->background_psql('postgres', on_error_stop => 0) } 1 .. 2;
$ab[0]->query_safe('BEGIN; INSERT INTO acct VALUES (5001, 1)');
$ab[1]->query_safe('BEGIN; INSERT INTO acct2 VALUES (5002, 1)');
$ab[0]->query_safe('INSERT INTO acct2 VALUES (5003, 1)');
$ab[1]->query_safe('INSERT INTO acct VALUES (5004, 1)');
for my $s (@ab)
{
	$s->{stderr} = '';
	$s->query('COMMIT');
	is($s->{stderr}, '', 'a transaction writing two ledgers, the other in the opposite order, commits');
	$s->quit;
}
ok(slurp_file($node->logfile, $log_before) !~ /deadlock detected/, '... no deadlock');

$node->safe_psql('postgres', q{
	CREATE TABLE gone (id int PRIMARY KEY);
	SELECT ledger.create_ledger('gone');
});
$w = $node->background_psql('postgres', on_error_stop => 0);
$w->query_safe('BEGIN; INSERT INTO gone VALUES (1)');
my $dropper = $node->background_psql('postgres', on_error_stop => 0);
$dropper->query_until(qr/started/, "\\echo started\nSELECT ledger.drop_ledger('gone');\n");
ok( $node->poll_query_until('postgres', q{
		SELECT count(*) > 0 FROM pg_locks WHERE NOT granted AND relation = 'gone'::regclass}),
	'drop_ledger waits for the ledger\'s writer');
# (past the drop's deadlock check: the writer's is the one that finds the cycle)
select(undef, undef, undef, 0.6);
$w->{stderr} = '';
$w->query(q{SELECT ledger.seal('gone')});
like($w->{stderr}, qr/deadlock detected/, '... a seal() of it in the writer\'s transaction is ended as a deadlock');
$w->query('ROLLBACK');
$w->quit;
$dropper->{stderr} = '';
$dropper->query('SELECT 1');
is($dropper->{stderr}, '', '... and the drop goes on');
$dropper->quit;
is($node->safe_psql('postgres', q{SELECT to_regclass('gone') IS NULL}), 't', '... the ledger is gone');
ok(wait_sealed($node, 'postgres', 30), 'everything sealed');
verify_ok($node, 'postgres', 'acct2', undef, 'the second ledger verifies');

# ---------- 5. digest() of an idle ledger while a pass is held up ----------
{
	$node->safe_psql('postgres', q{
		CREATE TABLE idle (id int PRIMARY KEY);
		SELECT ledger.create_ledger('idle');
		INSERT INTO idle VALUES (1);
		CREATE TABLE busy (id int PRIMARY KEY);
		SELECT ledger.create_ledger('busy');
	});
	ok(wait_sealed($node, 'postgres', 30), 'both ledgers sealed');
	my $tiles_oid = $node->safe_psql('postgres', q{SELECT 'ledger.history_tiles'::regclass::oid});
	my $dba = $node->background_psql('postgres', on_error_stop => 1);
	$dba->query_safe('BEGIN; LOCK TABLE ledger.history_tiles IN ACCESS EXCLUSIVE MODE');
	$node->safe_psql('postgres', 'INSERT INTO busy VALUES (1)');
	my $waiting = 0;
	for (1 .. 300)
	{
		$waiting = $node->safe_psql('postgres', qq{
			SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
			 WHERE NOT l.granted AND l.relation = $tiles_oid AND a.backend_type = 'ledger sealer'});
		last if $waiting;
		select(undef, undef, undef, 0.1);
	}
	ok($waiting > 0, 'the sealer, sealing one ledger, waits for a DBA\'s lock on ledger.history_tiles');
	my ($out, $err) = ('', '');
	$node->psql('postgres', q{SET ledger.digest_wait = '3s'; SELECT (ledger.digest('idle'))->>'block'},
		stdout => \$out, stderr => \$err);
	is($out, '1', 'digest() of a ledger with nothing left to seal describes its newest block');
	unlike($err, qr/NOTICE/, '... at once, without waiting for the held-up pass (no NOTICE)');
	($out, $err) = ('', '');
	$node->psql('postgres', q{SET ledger.digest_wait = '1s'; SELECT (ledger.digest('busy'))->>'block'},
		stdout => \$out, stderr => \$err);
	like($err, qr/NOTICE:  .*(was not sealed within|did not finish a pass)/,
		'digest() of the ledger with a commit left waits for the pass and says it did not come');
	$dba->query_safe('COMMIT');
	$dba->quit;
	ok(wait_sealed($node, 'postgres', 30), '... sealed once the DBA\'s lock is gone');
	is($node->safe_psql('postgres', q{SELECT (ledger.digest('busy'))->>'block'}), '1',
		'... and its digest describes the block');
	verify_ok($node, 'postgres', 'busy', undef, 'the ledger verifies');
}

$node->stop;
done_testing();
