
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Concurrency: 8 pgbench clients insert single rows into one ledger for
# 20 s while verify runs beside them; afterwards every row is sealed and
# verify counts exactly the rows pgbench committed.  Then a mixed workload
# (COPY, multi-row INSERT, INSERT ... SELECT, PL/pgSQL, prepared statements,
# savepoints, aborted and two-phase transactions) keeps exact counts, and
# INSERT ... ON CONFLICT DO NOTHING under contention records exactly the
# stored rows.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('conc');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'ledger'\nwal_level = logical\nledger.seal_interval = 100ms\n"
	  . "max_connections = 40\nmax_prepared_transactions = 4\n");
$node->start;
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION ledger;
CREATE TABLE bench (client int NOT NULL, n int NOT NULL, v float8);
SELECT ledger.create_ledger('bench');
});


# ---------------------------------------------------------------------
# pgbench: 8 clients, 20 s, single-row INSERT transactions, throttled to
# 5000 transactions/s in all (about 100,000 rows): unthrottled, 2 cores
# write a million rows, and a slow disk then stretches the checks after the
# load to minutes.
# ---------------------------------------------------------------------
my $dir = PostgreSQL::Test::Utils::tempdir;
my $script = "$dir/insert.sql";
open my $fh, '>', $script or die "open $script: $!";
print $fh "\\set n random(1, 1000000)\n"
  . "INSERT INTO bench (client, n, v) VALUES (:client_id, :n, random());\n";
close $fh;

my ($pgb_out, $pgb_err) = ('', '');
my $pgbench = IPC::Run::start(
	[
		'pgbench', '-n', '-T', '20', '-c', '8', '-j', '2', '-R', '5000', '-f', $script,
		'-h', $node->host, '-p', $node->port, 'postgres'
	],
	'>', \$pgb_out, '2>', \$pgb_err);

# verify under a concurrent write load must never report a false break
my $runs = 0;
my $bad = 0;
my $last_problem = '';
my $t0 = time;
sleep 2;
while (time - $t0 < 18)
{
	my $v = verify($node, 'postgres', 'bench');
	$runs++;
	if ($v->{ok} ne 't')
	{
		$bad++;
		$last_problem = $v->{problem};
	}
	sleep 1;
}
ok($runs >= 2, "verify ran $runs times during the load");
is($bad, 0, "verify during the pgbench load never reports a false break")
  or diag($last_problem);

$pgbench->finish;
is($pgbench->result(0), 0, 'pgbench exited cleanly') or diag($pgb_err);
my ($processed) = $pgb_out =~ /number of transactions actually processed: (\d+)/;
ok(defined $processed && $processed > 0, 'pgbench reports its transactions')
  or diag($pgb_out);
$processed //= -1;
note "pgbench processed $processed transactions";
unlike($pgb_out, qr/number of failed transactions: [1-9]/, 'no pgbench transaction failed');

$node->safe_psql('postgres', "SELECT ledger.seal('bench')");
my $count = $node->safe_psql('postgres', 'SELECT count(*) FROM bench');
is($count, $processed, 'table holds exactly the rows pgbench committed');
my $v = verify($node, 'postgres', 'bench');
is($v->{ok}, 't', 'verify after pgbench: ok') or diag($v->{problem});
is($v->{rows}, $count, 'verify checked exactly count(*) rows');
is($v->{rows}, $processed, 'verify checked exactly the pgbench transactions\' rows');
is($v->{txs}, $processed, 'one transaction record per pgbench transaction');
is($v->{unsealed}, 0, 'verify sees nothing unsealed after seal');
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM ledger.transaction_blocks t JOIN ledger.ledgers g USING (ledger_id)
WHERE g.relation = 'bench'::regclass AND t.block_no IS NULL}),
	0,
	'ledger.transactions has no unsealed rows after seal');
is( $node->safe_psql(
		'postgres', q{
SELECT sum(b.row_count) FROM ledger.blocks b JOIN ledger.ledgers g USING (ledger_id)
WHERE g.relation = 'bench'::regclass}),
	$processed,
	'blocks account for every row');
is( $node->safe_psql(
		'postgres',
		'SELECT count(*) FROM (SELECT DISTINCT ledger_xact, ledger_seq FROM bench) s'),
	$processed,
	'(ledger_xact, ledger_seq) is unique across the concurrent writers');

# ---------------------------------------------------------------------
# Mixed workload, with exact counts after every step
# ---------------------------------------------------------------------
$node->safe_psql(
	'postgres', q{
CREATE TABLE mix (id int, note text, at timestamptz DEFAULT now());
INSERT INTO mix (id, note) VALUES (0, 'before the ledger');
SELECT ledger.create_ledger('mix');
CREATE TABLE plain (id int);
});
my $expect = 1;
my $expect_tx = 1;    # the genesis transaction

sub check_mix
{
	my $name = shift;
	$node->safe_psql('postgres', "SELECT ledger.seal('mix')");
	my $c = $node->safe_psql('postgres', 'SELECT count(*) FROM mix');
	is($c, $expect, "$name: count(*) is $expect");
	my $v = verify($node, 'postgres', 'mix');
	is($v->{ok}, 't', "$name: verify ok") or diag($v->{problem});
	is($v->{rows}, $expect, "$name: verify checked $expect rows");
	is($v->{txs}, $expect_tx, "$name: $expect_tx transaction records");
}

# COPY
$node->safe_psql('postgres',
	"COPY mix (id, note) FROM STDIN;\n" . join('', map { "$_\tcopied $_\n" } 1 .. 100) . "\\.\n");
$expect += 100;
$expect_tx++;
check_mix('COPY');

# multi-row INSERT
$node->safe_psql('postgres',
	"INSERT INTO mix (id, note) VALUES (101, 'a'), (102, NULL), (103, 'c'), (104, ''), (105, 'e')");
$expect += 5;
$expect_tx++;
check_mix('multi-row INSERT');

# INSERT ... SELECT
$node->safe_psql('postgres',
	"INSERT INTO mix (id, note) SELECT g, 'gen ' || g FROM generate_series(1000, 2999) g");
$expect += 2000;
$expect_tx++;
check_mix('INSERT ... SELECT');

# PL/pgSQL loop
$node->safe_psql(
	'postgres', q{
DO $$
BEGIN
  FOR i IN 1..50 LOOP
    INSERT INTO mix (id, note) VALUES (3000 + i, 'plpgsql');
  END LOOP;
END
$$;
});
$expect += 50;
$expect_tx++;
check_mix('PL/pgSQL loop');

# PREPARE / EXECUTE, in autocommit: one transaction each
$node->safe_psql(
	'postgres', q{
PREPARE ins (int, text) AS INSERT INTO mix (id, note) VALUES ($1, $2);
EXECUTE ins (4001, 'prepared');
EXECUTE ins (4002, 'prepared');
EXECUTE ins (4003, 'prepared');
});
$expect += 3;
$expect_tx += 3;
check_mix('PREPARE / EXECUTE');

# savepoints, some rolled back: 2 + 1 + 2 survive
$node->safe_psql(
	'postgres', q{
BEGIN;
INSERT INTO mix (id, note) VALUES (5001, 'kept'), (5002, 'kept');
SAVEPOINT a;
INSERT INTO mix (id, note) VALUES (5003, 'rolled back'), (5004, 'rolled back'), (5005, 'rolled back');
ROLLBACK TO a;
INSERT INTO mix (id, note) VALUES (5006, 'kept');
SAVEPOINT b;
INSERT INTO mix (id, note) VALUES (5007, 'kept'), (5008, 'kept');
RELEASE b;
SAVEPOINT c;
INSERT INTO mix (id, note) VALUES (5009, 'rolled back');
SAVEPOINT d;
INSERT INTO mix (id, note) VALUES (5010, 'rolled back');
RELEASE d;
ROLLBACK TO c;
COMMIT;
});
$expect += 5;
$expect_tx++;
check_mix('savepoints with rolled-back subtransactions');
is($node->safe_psql('postgres', "SELECT count(*) FROM mix WHERE note = 'rolled back'"),
	0, 'rolled-back rows are absent');
is( $node->safe_psql(
		'postgres', q{
SELECT x.row_count FROM ledger.transactions x JOIN ledger.ledgers g USING (ledger_id)
WHERE g.relation = 'mix'::regclass
  AND x.xact_id = (SELECT ledger_xact FROM mix WHERE id = 5001)}),
	5,
	'the savepoint transaction records 5 rows');

# a subtransaction rolled back first, then everything in it
$node->safe_psql(
	'postgres', q{
BEGIN;
SAVEPOINT a;
INSERT INTO mix (id, note) VALUES (5101, 'rolled back');
ROLLBACK TO a;
INSERT INTO mix (id, note) VALUES (5102, 'kept');
COMMIT;
});
$expect += 1;
$expect_tx++;
check_mix('rollback of the first subtransaction');

# PL/pgSQL exception block (implicit subtransaction)
$node->safe_psql(
	'postgres', q{
DO $$
BEGIN
  INSERT INTO mix (id, note) VALUES (5201, 'kept');
  BEGIN
    INSERT INTO mix (id, note) VALUES (5202, 'rolled back');
    RAISE EXCEPTION 'undo';
  EXCEPTION WHEN raise_exception THEN
    INSERT INTO mix (id, note) VALUES (5203, 'kept');
  END;
END
$$;
});
$expect += 2;
$expect_tx++;
check_mix('PL/pgSQL exception block');

# aborted transactions: explicit ROLLBACK, and a failing statement
$node->safe_psql('postgres',
	"BEGIN; INSERT INTO mix (id, note) SELECT g, 'rolled back' FROM generate_series(1, 10) g; ROLLBACK;");
my ($ret, $o, $e) = $node->psql('postgres',
	"INSERT INTO mix (id, note) VALUES (6001, 'rolled back'), (6002, (1/0)::text)");
isnt($ret, 0, 'failing multi-row insert errors out');
check_mix('aborted transactions');

# a transaction with only a rolled-back subtransaction writes no record
$node->safe_psql('postgres',
	"BEGIN; SAVEPOINT a; INSERT INTO mix (id, note) VALUES (6101, 'rolled back'); ROLLBACK TO a; INSERT INTO plain VALUES (1); COMMIT;");
check_mix('transaction whose ledger rows all rolled back');

# one transaction writing two ledgers and a plain table
$node->safe_psql('postgres',
	"BEGIN; INSERT INTO mix (id, note) VALUES (7001, 'two ledgers'); INSERT INTO bench VALUES (0, 0, 0); INSERT INTO plain VALUES (2); COMMIT;");
$expect += 1;
$expect_tx++;
check_mix('one transaction writing two ledgers');
$node->safe_psql('postgres', "SELECT ledger.seal('bench')");
$v = verify($node, 'postgres', 'bench');
is($v->{ok}, 't', 'bench still verifies after the shared transaction') or diag($v->{problem});
is($v->{rows}, $processed + 1, 'bench gained exactly one row');

# two-phase commit: committed and rolled-back prepared transactions
$node->safe_psql(
	'postgres', q{
BEGIN;
INSERT INTO mix (id, note) VALUES (8001, '2pc'), (8002, '2pc');
PREPARE TRANSACTION 'p1';
BEGIN;
INSERT INTO mix (id, note) VALUES (8003, 'rolled back');
PREPARE TRANSACTION 'p2';
COMMIT PREPARED 'p1';
ROLLBACK PREPARED 'p2';
});
$expect += 2;
$expect_tx++;
check_mix('two-phase commit');

# concurrent sessions in the mixed workload: 4 background sessions, each
# with several transactions interleaved
my @bg;
for my $i (1 .. 4)
{
	push @bg, $node->background_psql('postgres');
}
for my $round (1 .. 5)
{
	for my $i (0 .. 3)
	{
		$bg[$i]->query_safe("BEGIN; INSERT INTO mix (id, note) VALUES ("
			  . (9000 + 10 * $round + $i) . ", 'bg')");
	}
	for my $i (reverse 0 .. 3)
	{
		$bg[$i]->query_safe("COMMIT");
	}
}
$_->quit for @bg;
$expect += 20;
$expect_tx += 20;
check_mix('interleaved concurrent sessions');

# ---------------------------------------------------------------------
# INSERT ... ON CONFLICT DO NOTHING under contention: 8 clients insert the
# same keys at the same moment (the key is the current half-millisecond),
# so most rows are skipped, by the pre-check or after a speculative
# insertion that a concurrent insert beat; no skipped row may enter a
# transaction's tree.  Throttled like the load above.
# ---------------------------------------------------------------------
$node->safe_psql(
	'postgres', q{
CREATE TABLE idem (id bigint PRIMARY KEY, client int);
SELECT ledger.create_ledger('idem');
});
my $oc_script = "$dir/on_conflict.sql";
open $fh, '>', $oc_script or die "open $oc_script: $!";
print $fh "INSERT INTO idem VALUES "
  . "((extract(epoch FROM clock_timestamp()) * 2000)::bigint, :client_id), "
  . "((extract(epoch FROM clock_timestamp()) * 2000)::bigint + 1, :client_id) "
  . "ON CONFLICT DO NOTHING;\n";
close $fh;
my ($oc_out, $oc_err) = ('', '');
IPC::Run::run(
	[
		'pgbench', '-n', '-T', '8', '-c', '8', '-j', '2', '-R', '4000', '-f', $oc_script,
		'-h', $node->host, '-p', $node->port, 'postgres'
	],
	'>', \$oc_out, '2>', \$oc_err);
my ($oc_processed) = $oc_out =~ /number of transactions actually processed: (\d+)/;
ok(defined $oc_processed && $oc_processed > 0, 'ON CONFLICT pgbench ran')
  or diag($oc_out . $oc_err);
unlike($oc_out, qr/number of failed transactions: [1-9]/, 'no ON CONFLICT transaction failed');
$node->safe_psql('postgres', "SELECT ledger.seal('idem')");
my $oc_count = $node->safe_psql('postgres', 'SELECT count(*) FROM idem');
cmp_ok($oc_count, '<', 2 * ($oc_processed // 0), 'conflicts skipped rows');
my $oc = verify($node, 'postgres', 'idem');
is($oc->{ok}, 't', 'ON CONFLICT under contention: verify ok') or diag($oc->{problem});
is($oc->{rows}, $oc_count, 'ON CONFLICT under contention: verify checked count(*) rows');
is( $node->safe_psql(
		'postgres', q{
SELECT sum(t.row_count) FROM ledger.transactions t JOIN ledger.ledgers g USING (ledger_id)
WHERE g.relation = 'idem'::regclass}),
	$oc_count,
	'ON CONFLICT under contention: transaction records count exactly the stored rows');
# withdrawn speculative insertions show as deletes in the statistics; their
# number depends on timing, so it is reported, not asserted
$node->safe_psql('postgres', 'SELECT pg_stat_force_next_flush()');
note 'speculative insertions withdrawn: '
  . $node->safe_psql('postgres',
	"SELECT n_tup_del FROM pg_stat_user_tables WHERE relname = 'idem'");

$node->stop;
done_testing();
