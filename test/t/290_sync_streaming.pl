# Sync (issue #11) with the subscription's streaming = on, which a DBA
# sets to cut the lag of large transactions: the origin sends a transaction
# larger than logical_decoding_work_mem in pieces before it commits, and
# PostgreSQL 15's apply worker spools them and applies the whole at the
# origin's commit.  Checked: a large transaction streamed arrives whole and
# verifies; one rolled back at the origin after pieces were sent leaves
# nothing; one with a subtransaction rolled back arrives without that
# subtransaction's rows, its record matching; a tampered large transaction
# (an UPDATE among 5,000 inserts) is refused with nothing of it applied.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('stream_origin', conf => "logical_decoding_work_mem = '64kB'\n");
my $b = sync_node('stream_peer');
my $sub = 'b_from_a';

$a->safe_psql('postgres', q{
	CREATE TABLE big (id int PRIMARY KEY, v text);
	SELECT ledger.create_ledger('big');
	INSERT INTO big VALUES (0, 'first');
	SELECT ledger.create_publication('pub', ARRAY['big'::regclass]);
});
ok(wait_sealed($a, 'postgres'), 'origin sealed');
my $ci = conninfo($a);
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('$sub', '$ci', 'pub')"), '1', 'peer subscribed');
$b->safe_psql('postgres', "ALTER SUBSCRIPTION $sub SET (streaming = on)");
is($b->safe_psql('postgres', "SELECT substream FROM pg_subscription WHERE subname = '$sub'"), 't', 'streaming = on');

sub streamed
{
	return $a->safe_psql('postgres', q{SELECT coalesce(sum(stream_txns), 0) FROM pg_stat_replication_slots});
}

sub check
{
	my ($phase) = @_;
	my $d = caught_up($a, $b, 'big');
	ok(defined $d, "$phase: the peer caught up") or return;
	is(row_set($b, 'big'), row_set($a, 'big'), "$phase: same (xact, seq, hash) at both ends");
	is(content($b, 'big'), content($a, 'big'), "$phase: same content");
	is(digest_of($b, 'big'), $d, "$phase: same digest for the same block");
	verify_ok($b, 'postgres', 'big', $d, "$phase: the replica verifies against the origin's digest");
	return $d;
}

# a large transaction, streamed in pieces
my $before = streamed();
$a->safe_psql('postgres', q{INSERT INTO big SELECT g, repeat('y', 100) FROM generate_series(1, 20000) g});
check('a large transaction');
ok(poll_until($a, "SELECT coalesce(sum(stream_txns), 0) > $before FROM pg_stat_replication_slots", 30),
	'... was streamed before its commit (pg_stat_replication_slots.stream_txns)');

# rolled back at the origin after pieces were sent
$before = streamed();
$a->safe_psql('postgres', q{BEGIN; INSERT INTO big SELECT g, repeat('r', 100) FROM generate_series(100001, 120000) g; ROLLBACK});
$a->safe_psql('postgres', q{INSERT INTO big VALUES (20001, 'after the rollback')});
check('a large transaction rolled back at the origin');
ok(poll_until($a, "SELECT coalesce(sum(stream_txns), 0) > $before FROM pg_stat_replication_slots", 30), '... had been streamed');
is($b->safe_psql('postgres', 'SELECT count(*) FROM big WHERE id > 100000'), '0', '... and left nothing at the peer');

# a subtransaction rolled back inside a streamed transaction
$a->safe_psql('postgres', q{BEGIN;
	INSERT INTO big SELECT g, repeat('s', 100) FROM generate_series(30001, 40000) g;
	SAVEPOINT s;
	INSERT INTO big SELECT g, repeat('t', 100) FROM generate_series(40001, 50000) g;
	ROLLBACK TO SAVEPOINT s;
	INSERT INTO big VALUES (50001, 'after the savepoint');
	COMMIT;});
check('a streamed transaction with a subtransaction rolled back');
is($b->safe_psql('postgres', 'SELECT count(*) FROM big WHERE id BETWEEN 40001 AND 50000'), '0',
	"... without the subtransaction's rows");

# tampering inside a large streamed transaction
my $d_good = digest_of($a, 'big');
my $held = content($b, 'big');
my $since = last_error_at($b, $sub);
$a->safe_psql('postgres', q{ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
	BEGIN;
	INSERT INTO big SELECT g, repeat('w', 100) FROM generate_series(60001, 65000) g;
	ALTER TABLE big DISABLE TRIGGER ALL;
	UPDATE big SET v = 'evil' WHERE id = 5;
	ALTER TABLE big ENABLE ALWAYS TRIGGER zz_ledger_row, ENABLE ALWAYS TRIGGER ledger_append_only,
		ENABLE ALWAYS TRIGGER ledger_append_only_row;
	COMMIT;
	ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;});
my ($err) = wait_refused($b, $sub, $since);
like($err, qr/^subscription "$sub" sent a change that would update rows of ledger table "big", which a replica refuses$/,
	'a tampered streamed transaction is refused');
is(content($b, 'big'), $held, '... nothing of it applied (not its 5,000 inserts either)');
verify_ok($b, 'postgres', 'big', $d_good, "... the replica still verifies against the origin's last good digest");
is($b->safe_psql('postgres', "SELECT string_agg(DISTINCT state, ',') FROM ledger.replication_status WHERE peer = '$sub'"),
	'disabled', '... replication_status says disabled, not reconnecting');

done_testing();
