
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
#  2. A ledger with 2^24 entries waiting on the sealing list (a backlog of
#     16.8 million transactions: days of an unsealed ledger, or a ledger
#     held by an open ALTER TABLE over a weekend) could never be sealed
#     again: seal_read_queue allocated 64 bytes per entry with palloc, past
#     its 1 GB limit, and every pass and every seal() failed with XX000
#     "invalid memory alloc request size".  Reproduced by hand with 16.8
#     million records (39 s to load, seal() failed after 26 s; sealed in 17
#     blocks after the fix); here one record listed 2^24 times takes the
#     same allocation, in a fraction of the time.
#  3. prove() and consistency_proof() handed a block's history position
#     to the history tree unchecked: a first_position a superuser edited
#     gave XX000 ("leaf N is not in a history tree of M leaves", "no
#     consistency proof from N to M leaves") or, negative on the newest
#     block, 55000 with the advice to seal.  It is a ledger that does not
#     verify: XX001, as the other refusals of a proof.  Raised on the
#     newest block (first_position or tx_count), still 55000 and the advice
#     to seal, which builds nothing (the last read of 2026-12-06).

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

# ---------- 2. a backlog of 2^24 entries ----------

my $big = ledger_node('backlog', conf => "ledger.sealer = off\n");
$big->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE backlog (id bigint PRIMARY KEY);
	SELECT ledger.create_ledger('backlog');
	SELECT ledger.seal();
	INSERT INTO backlog VALUES (1);
});
# the entry of that transaction, 2^24 times more (the list is unlogged; its
# guard, which takes entries from the extension only, is set aside for it,
# and the DDL guard that keeps it as made too)
$big->safe_psql('postgres', q{
	ALTER EVENT TRIGGER ledger_guard_signed DISABLE;
	ALTER TABLE ledger.seal_queue DISABLE TRIGGER seal_queue_guard;
	INSERT INTO ledger.seal_queue (ledger_id, xact_id, record_tid)
	SELECT q.ledger_id, q.xact_id, q.record_tid
	  FROM ledger.seal_queue q, generate_series(1, 16777216) g
	 WHERE q.ledger_id OPERATOR(pg_catalog.<>) 0;
	ALTER TABLE ledger.seal_queue ENABLE ALWAYS TRIGGER seal_queue_guard;
	ALTER EVENT TRIGGER ledger_guard_signed ENABLE ALWAYS;});
my ($ret, $out, $err) = $big->psql('postgres', q{SELECT ledger.seal('backlog')}, timeout => 900);
is($out, '1', '2^24 waiting entries of one ledger are sealed (one transaction, one block)');
is($err, '', 'and no error');
is($big->safe_psql('postgres', q{SELECT count(*) FROM ledger.seal_queue WHERE ledger_id <> 0}), '0',
	'the list is empty after');
is($big->safe_psql('postgres', q{SELECT ok FROM ledger.verify('backlog')}), 't', 'the ledger verifies');

# ---------- 3. edited history positions ----------

$big->safe_psql('postgres', q{
	CREATE TABLE pos (id int PRIMARY KEY);
	SELECT ledger.create_ledger('pos');
	INSERT INTO pos VALUES (1);
	SELECT ledger.seal('pos');
	INSERT INTO pos VALUES (2);
	SELECT ledger.seal('pos');
	CREATE TABLE pos_digest AS SELECT ledger.digest('pos') AS d;
	INSERT INTO pos VALUES (3);
	SELECT ledger.seal('pos');
});

sub pos_err
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $big->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	return $err;
}
my $pos_id = q{(SELECT ledger_id FROM ledger.ledgers WHERE relation = 'pos'::regclass)};
my $prove = q{SELECT ledger.prove('pos', (SELECT ledger_xact FROM pos WHERE id = 2), 0)};
my $cons = q{SELECT ledger.consistency_proof('pos', (SELECT d FROM pos_digest))};
for my $case ([ 2, 1000000, 'past the newest block' ], [ 2, -5, 'negative' ], [ 3, -500, 'negative, on the newest block' ],
	[ 3, 1000, 'raised, on the newest block' ])
{
	my ($b, $fp, $what) = @$case;
	my $orig = $big->safe_psql('postgres',
		"SELECT first_position FROM ledger.blocks WHERE ledger_id = $pos_id AND block_no = $b");
	$big->safe_psql('postgres',
		"UPDATE ledger.blocks SET first_position = $fp WHERE ledger_id = $pos_id AND block_no = $b");
	like(pos_err($prove), qr/ERROR:  XX001: the history positions of ledger "pos" do not agree/,
		"prove: block ${b}'s first_position edited ($what) is XX001");
	like(pos_err($cons), qr/ERROR:  XX001: the history positions of ledger "pos" do not agree/,
		"consistency_proof: block ${b}'s first_position edited ($what) is XX001");
	$big->safe_psql('postgres',
		"UPDATE ledger.blocks SET first_position = $orig WHERE ledger_id = $pos_id AND block_no = $b");
}
# the newest block's tx_count raised: it claims a history longer than the
# tree, which no sealing builds (55000 and the advice to seal before the
# last read of 2026-12-06, as for a raised first_position on it)
$big->safe_psql('postgres',
	"UPDATE ledger.blocks SET tx_count = 50 WHERE ledger_id = $pos_id AND block_no = 3");
like(pos_err($prove), qr/ERROR:  XX001: the history positions of ledger "pos" do not agree\nDETAIL:  Block 3 claims 50 transactions and lists 1\./,
	"prove: the newest block's tx_count raised is XX001");
like(pos_err($cons), qr/ERROR:  XX001: the history positions of ledger "pos" do not agree/,
	"consistency_proof: the newest block's tx_count raised is XX001");
$big->safe_psql('postgres',
	"UPDATE ledger.blocks SET tx_count = 1 WHERE ledger_id = $pos_id AND block_no = 3");
like($big->safe_psql('postgres', $prove), qr/"proof_version": 2/, 'prove: restored, the proof is given');
like($big->safe_psql('postgres', $cons), qr/"old_size": 2/, 'consistency_proof: restored, the proof is given');

done_testing();
