# Sync (issue #11): a superuser at the origin changes history around the
# ledger (triggers and the DDL guard disabled).  For each kind of change --
# UPDATE, DELETE, a forged row with a correct hash but no transaction record,
# a forged row with a wrong hash, a row with NULL ledger columns, a forged
# transaction record, a forged block (also one listing a transaction
# sealed before, or one transaction twice), an UPDATE of a block and of a record, a
# DELETE of a record, TRUNCATE of the ledger and of ledger.transactions, an
# UPDATE of ledger.ledgers changing the uuid, and UPDATE/DELETE of a ledger
# without a primary key -- the peer refuses it on arrival: the subscription
# is disabled, ledger.replication_status.last_error names the refusal, the
# replica's data is unchanged and still verifies against the last digest
# the origin published.  Then the documented recovery (docs/replication.md,
# "Failures"): the origin is restored, each refused origin transaction is
# skipped with ALTER SUBSCRIPTION ... SKIP (lsn = last_error_lsn), the
# subscription is enabled, new rows flow, and the replica equals the origin
# (same rows, same digest for the same block): nothing lost, nothing
# duplicated.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('tamper_origin');
# a lost connection is reconnected after 1 s here; a refusal never is
my $b = sync_node('tamper_peer', conf => "ledger.sync_reconnect_delay = 1\n");
my $sub = 'peer_from_origin';

# Two ledgers: t with a primary key, k without (REPLICA IDENTITY FULL).
$a->safe_psql('postgres', q{
	CREATE SCHEMA keep;
	CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL, n numeric);
	CREATE TABLE k (v text, n int);
	SELECT ledger.create_ledger('t');
	SELECT ledger.create_ledger('k');
	INSERT INTO t SELECT g, 'v' || g, g FROM generate_series(1, 5) g;
	INSERT INTO t VALUES (6, 'six', 6.5), (7, 'seven', NULL);
	INSERT INTO k VALUES ('k1', 1), ('k2', 2);
	INSERT INTO k VALUES ('k3', 3);
	SELECT ledger.create_publication('origin_pub', ARRAY['t'::regclass, 'k'::regclass]);
});
ok(wait_sealed($a, 'postgres'), 'origin sealed');
my $ci = conninfo($a);
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('$sub', '$ci', 'origin_pub')"),
	'2', 'peer subscribed to two ledgers');
is($a->safe_psql('postgres', "SELECT relreplident FROM pg_class WHERE oid = 'k'::regclass"),
	'f', 'a ledger without a primary key is published with REPLICA IDENTITY FULL');

my $next_id = 100;
my $last_good;
my $tid;    # ledger t's id

# New rows at the origin, then wait until the peer holds them.
sub flow
{
	my ($what) = @_;
	my $id = $next_id++;
	$a->safe_psql('postgres', "INSERT INTO t VALUES ($id, 'after $what', $id)");
	$a->safe_psql('postgres', "INSERT INTO k VALUES ('after $what', $id)");
	my %d;
	for my $tbl ('t', 'k')
	{
		$d{$tbl} = caught_up($a, $b, $tbl);
		die "peer did not catch up after $what" unless defined $d{$tbl};
	}
	return \%d;
}

# A change at the origin with the ledgers' triggers and the DDL guard off,
# as one origin transaction; the triggers are put back as they were.
sub at_origin_unguarded
{
	my ($sql) = @_;
	$a->safe_psql('postgres', qq{
		ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
		ALTER TABLE t DISABLE TRIGGER ALL;
		ALTER TABLE k DISABLE TRIGGER ALL;
		BEGIN;
		$sql;
		COMMIT;
		ALTER TABLE t ENABLE ALWAYS TRIGGER zz_ledger_row, ENABLE ALWAYS TRIGGER ledger_append_only,
			ENABLE ALWAYS TRIGGER ledger_append_only_row;
		ALTER TABLE k ENABLE ALWAYS TRIGGER zz_ledger_row, ENABLE ALWAYS TRIGGER ledger_append_only,
			ENABLE ALWAYS TRIGGER ledger_append_only_row;
		ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
	});
}

# One case: tamper, check the refusal and the untouched replica, restore
# the origin, skip the refused transactions, check that rows flow again
# and that both sides are equal.
#   name, save (SQL run first, to keep what the restore needs), tamper,
#   refused (regexp of last_error), restore, restore_refused (regexp, or
#   undef when the restoring transaction changes nothing at the peer)
sub tamper_case
{
	my (%c) = @_;
	my $name = $c{name};
	# the digests the origin published last, which the peer holds
	my $good = $last_good;
	$a->safe_psql('postgres', $c{save}) if $c{save};
	my %before = map { $_ => content($b, $_) } ('t', 'k');
	my $since = last_error_at($b, $sub);

	# A tampered record would be sealed by any pass that ran before the
	# restore (a forged record forgets the work list's marker, and the
	# rebuild lists it): the origin's block would then list it for good,
	# beyond what a restore of the catalog undoes.  The origin's superuser
	# holds the ledger's row meanwhile, which a sealer must lock first
	# (FOR NO KEY UPDATE: writes to ledger.transactions still check their
	# foreign key).  A pass that started waits, and then finds the record
	# gone.
	my $hold;
	if ($c{hold_sealer})
	{
		$hold = $a->background_psql('postgres');
		$hold->query_safe("BEGIN; SELECT 1 FROM ledger.ledgers WHERE ledger_id = $tid FOR NO KEY UPDATE");
	}
	at_origin_unguarded($c{tamper});
	my ($err, $lsn, $at) = wait_refused($b, $sub, $since);
	ok(defined $err, "$name: subscription disabled") or return;
	like($err, $c{refused}, "$name: last_error names the refusal");
	like($lsn, qr{^[0-9A-F]+/[0-9A-F]+$}, "$name: last_error_lsn is known");
	like($b->safe_psql('postgres', "SELECT string_agg(DISTINCT state, ',') FROM ledger.replication_status WHERE peer = '$sub'"),
		qr/^disabled$/, "$name: replication_status says disabled");
	if ($c{linger})
	{
		# not a lost connection: ledger.sync_reconnect_delay does not apply
		sleep 3;
		is(sub_enabled($b, $sub), 'f', "$name: still disabled after ledger.sync_reconnect_delay");
		unlike(slurp_file($b->logfile), qr/enabling subscription "$sub" again/, "$name: ledger did not enable it");
	}
	for my $tbl ('t', 'k')
	{
		is(content($b, $tbl), $before{$tbl}, "$name: replica $tbl unchanged");
		verify_ok($b, 'postgres', $tbl, $good->{$tbl}, "$name: replica $tbl verifies against the origin's last digest");
	}

	# the documented recovery
	at_origin_unguarded($c{restore});
	if ($hold)
	{
		$hold->query_safe('COMMIT');
		$hold->quit;
		# a pass that waited for the row has finished (nothing to seal)
		ok(wait_sealed($a, 'postgres'), "$name: origin has nothing unsealed after the restore");
	}
	verify_ok($a, 'postgres', $_, $good->{$_}, "$name: origin $_ restored") for ('t', 'k');
	skip_refused($b, $sub, $lsn);
	if ($c{restore_refused})
	{
		my ($err2, $lsn2) = wait_refused($b, $sub, $at);
		ok(defined $err2, "$name: the restoring transaction is refused too") or return;
		like($err2, $c{restore_refused}, "$name: its refusal");
		isnt($lsn2, $lsn, "$name: at another LSN");
		skip_refused($b, $sub, $lsn2);
	}
	my $d = flow("after $name");
	$last_good = $d;
	is(sub_enabled($b, $sub), 't', "$name: subscription enabled again");
	for my $tbl ('t', 'k')
	{
		is(row_set($b, $tbl), row_set($a, $tbl), "$name: $tbl rows equal at both ends (nothing lost, nothing duplicated)");
		is(content($b, $tbl), content($a, $tbl), "$name: $tbl content equal");
		is(digest_of($b, $tbl), $d->{$tbl}, "$name: $tbl digest equal for the same block");
		verify_ok($b, 'postgres', $tbl, $d->{$tbl}, "$name: replica $tbl verifies against the new digest");
	}
}

$last_good = flow('the first copy');
$tid = $a->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 't'::regclass});
my $append = qr/^subscription "$sub" sent a change that would/;

tamper_case(
	name => 'UPDATE of a row',
	linger => 1,
	tamper => q{UPDATE t SET v = 'evil' WHERE id = 2},
	refused => qr/^subscription "$sub" sent a change that would update rows of ledger table "t", which a replica refuses$/,
	restore => q{UPDATE t SET v = 'v2' WHERE id = 2},
	restore_refused => qr/would update rows of ledger table "t"/);

tamper_case(
	name => 'DELETE of a row',
	save => q{CREATE TABLE keep.t3 AS SELECT * FROM t WHERE id = 3},
	tamper => q{DELETE FROM t WHERE id = 3},
	refused => qr/^subscription "$sub" sent a change that would delete rows from ledger table "t", which a replica refuses$/,
	restore => q{INSERT INTO t SELECT * FROM keep.t3},
	# the peer still holds the row
	restore_refused => qr/^duplicate key value violates unique constraint "t_pkey"$/);

tamper_case(
	name => 'forged row with a correct hash and no transaction',
	tamper => q{INSERT INTO t (id, v, n, ledger_xact, ledger_seq, ledger_hash)
		VALUES (900, 'forged', 1, 999999, 0,
			ledger.leaf_hash(ROW(900, 'forged', 1::numeric, NULL::int8, NULL::int8, NULL::bytea)::t, 999999, 0))},
	refused => qr/^rows of transaction 999999 of ledger "t" arrived without a transaction record$/,
	restore => q{DELETE FROM t WHERE id = 900});

tamper_case(
	name => 'forged row with a wrong hash',
	tamper => q{INSERT INTO t (id, v, n, ledger_xact, ledger_seq, ledger_hash)
		SELECT 901, 'forged', 1, max(ledger_xact), 77, sha256('not this row')::bytea FROM t},
	refused => qr/^row of ledger table "t" does not match its hash$/,
	restore => q{DELETE FROM t WHERE id = 901});

tamper_case(
	name => 'row with NULL ledger columns',
	tamper => q{ALTER TABLE t ALTER COLUMN ledger_xact DROP NOT NULL, ALTER COLUMN ledger_seq DROP NOT NULL,
			ALTER COLUMN ledger_hash DROP NOT NULL;
		INSERT INTO t (id, v, n) VALUES (902, 'no ledger columns', 2)},
	refused => qr/^subscription "$sub" sent a row of ledger table "t" without its hash$/,
	restore => q{DELETE FROM t WHERE id = 902;
		ALTER TABLE t ALTER COLUMN ledger_xact SET NOT NULL, ALTER COLUMN ledger_seq SET NOT NULL,
			ALTER COLUMN ledger_hash SET NOT NULL});

tamper_case(
	name => 'forged transaction record',
	hold_sealer => 1,
	tamper => qq{INSERT INTO ledger.transactions VALUES ($tid, 999998, 1, sha256('x'), now())},
	refused => qr/^the record of transaction 999998 of ledger $tid arrived without its rows$/,
	restore => qq{DELETE FROM ledger.transactions WHERE ledger_id = $tid AND xact_id = 999998});

tamper_case(
	name => 'forged block',
	# the next block, chained to the head, empty, with the head's history:
	# everything checks but its hash
	tamper => qq{INSERT INTO ledger.blocks
		SELECT ledger_id, block_no + 1, block_hash, sha256(''), 0, 0, now(), format_version,
			sha256('forged block'), '{}', first_position + tx_count, tree_root, total_rows
		  FROM ledger.blocks WHERE ledger_id = $tid ORDER BY block_no DESC LIMIT 1},
	refused => qr/^block \d+ of ledger "t" does not match its hash$/,
	restore => qq{DELETE FROM ledger.blocks WHERE ledger_id = $tid AND block_hash = sha256('forged block')});

# hashes that are not hashes: refused as such, not with the hint of a stored
# hash ("Run ledger.verify()"), which fits no replica (2026-12-06)
tamper_case(
	name => 'forged transaction record with a root of one byte',
	hold_sealer => 1,
	tamper => qq{INSERT INTO ledger.transactions VALUES ($tid, 999997, 1, '\\x00', now())},
	refused => qr/^the record of transaction 999997 of ledger $tid arrived with a root of 1 bytes, not a 32-byte hash$/,
	restore => qq{DELETE FROM ledger.transactions WHERE ledger_id = $tid AND xact_id = 999997});

tamper_case(
	name => 'forged block with a root of one byte',
	tamper => qq{INSERT INTO ledger.blocks
		SELECT ledger_id, block_no + 1, block_hash, '\\x00'::bytea, 0, 0, now(), format_version,
			sha256('forged block 4'), '{}', first_position + tx_count, tree_root, total_rows
		  FROM ledger.blocks WHERE ledger_id = $tid ORDER BY block_no DESC LIMIT 1},
	refused => qr/^block \d+ of ledger "t" arrived with a root of 1 bytes, not a 32-byte hash$/,
	restore => qq{DELETE FROM ledger.blocks WHERE ledger_id = $tid AND block_hash = sha256('forged block 4')});

tamper_case(
	name => 'forged block listing a transaction sealed before',
	tamper => qq{INSERT INTO ledger.blocks
		SELECT h.ledger_id, h.block_no + 1, h.block_hash, s.root, 1, s.row_count, now(), h.format_version,
			sha256('forged block 2'), ARRAY[s.xact_ids[1]], h.first_position + h.tx_count, h.tree_root,
			h.total_rows + s.row_count
		  FROM (SELECT * FROM ledger.blocks WHERE ledger_id = $tid ORDER BY block_no DESC LIMIT 1) h,
			   (SELECT * FROM ledger.blocks WHERE ledger_id = $tid AND tx_count = 1 ORDER BY block_no DESC LIMIT 1) s},
	refused => qr/^block \d+ of ledger "t" lists transaction \d+, which block \d+ holds already$/,
	restore => qq{DELETE FROM ledger.blocks WHERE ledger_id = $tid AND block_hash = sha256('forged block 2')});

tamper_case(
	name => 'forged block listing a transaction twice',
	tamper => qq{INSERT INTO ledger.blocks
		SELECT h.ledger_id, h.block_no + 1, h.block_hash, s.root, 2, 2 * s.row_count, now(), h.format_version,
			sha256('forged block 3'), ARRAY[s.xact_ids[1], s.xact_ids[1]], h.first_position + h.tx_count, h.tree_root,
			h.total_rows + 2 * s.row_count
		  FROM (SELECT * FROM ledger.blocks WHERE ledger_id = $tid ORDER BY block_no DESC LIMIT 1) h,
			   (SELECT * FROM ledger.blocks WHERE ledger_id = $tid AND tx_count = 1 ORDER BY block_no DESC LIMIT 1) s},
	refused => qr/^block \d+ of ledger "t" lists transaction \d+ twice$/,
	restore => qq{DELETE FROM ledger.blocks WHERE ledger_id = $tid AND block_hash = sha256('forged block 3')});

tamper_case(
	name => 'UPDATE of a block',
	tamper => qq{UPDATE ledger.blocks SET sealed_at = sealed_at + interval '1 second' WHERE ledger_id = $tid AND block_no = 1},
	refused => qr/^subscription "$sub" sent an UPDATE of "ledger.blocks", which a replica refuses$/,
	restore => qq{UPDATE ledger.blocks SET sealed_at = sealed_at - interval '1 second' WHERE ledger_id = $tid AND block_no = 1},
	restore_refused => qr/sent an UPDATE of "ledger.blocks"/);

my $x2 = $a->safe_psql('postgres', 'SELECT ledger_xact FROM t WHERE id = 2');
tamper_case(
	name => 'UPDATE of a transaction record',
	tamper => qq{UPDATE ledger.transactions SET row_count = row_count + 1 WHERE ledger_id = $tid AND xact_id = $x2},
	refused => qr/^subscription "$sub" sent an UPDATE of "ledger.transactions", which a replica refuses$/,
	restore => qq{UPDATE ledger.transactions SET row_count = row_count - 1 WHERE ledger_id = $tid AND xact_id = $x2},
	restore_refused => qr/sent an UPDATE of "ledger.transactions"/);

tamper_case(
	name => 'DELETE of a transaction record',
	save => qq{CREATE TABLE keep.rec AS SELECT * FROM ledger.transactions WHERE ledger_id = $tid AND xact_id = $x2},
	tamper => qq{DELETE FROM ledger.transactions WHERE ledger_id = $tid AND xact_id = $x2},
	refused => qr/^subscription "$sub" sent a DELETE of "ledger.transactions", which a replica refuses$/,
	restore => q{INSERT INTO ledger.transactions SELECT * FROM keep.rec},
	restore_refused => qr/^the record of transaction $x2 of ledger $tid arrived without its rows$/);

tamper_case(
	name => 'TRUNCATE of the ledger',
	save => q{CREATE TABLE keep.t_all AS SELECT * FROM t},
	tamper => q{TRUNCATE t},
	refused => qr/^subscription "$sub" sent a change that would truncate ledger table "t", which a replica refuses$/,
	restore => q{INSERT INTO t SELECT * FROM keep.t_all},
	restore_refused => qr/duplicate key value|arrived without a transaction record/);

tamper_case(
	name => 'TRUNCATE of ledger.transactions',
	save => q{CREATE TABLE keep.tx_all AS SELECT * FROM ledger.transactions},
	tamper => q{TRUNCATE ledger.transactions},
	refused => qr/^subscription "$sub" sent a TRUNCATE of "ledger.transactions", which a replica refuses$/,
	restore => q{INSERT INTO ledger.transactions SELECT * FROM keep.tx_all},
	restore_refused => qr/^the record of transaction \d+ of ledger \d+ arrived without its rows$/);

my $uuid = $a->safe_psql('postgres', "SELECT ledger_uuid FROM ledger.ledgers WHERE ledger_id = $tid");
tamper_case(
	name => 'UPDATE of ledger.ledgers changing the uuid',
	tamper => qq{UPDATE ledger.ledgers SET ledger_uuid = '00000000-0000-4000-8000-000000000001' WHERE ledger_id = $tid},
	refused => qr/^subscription "$sub" sent an UPDATE of column "ledger_uuid" of "ledger.ledgers", which a replica refuses$/,
	# the peer holds the old uuid: the restoring UPDATE changes nothing there
	restore => qq{UPDATE ledger.ledgers SET ledger_uuid = '$uuid' WHERE ledger_id = $tid});

tamper_case(
	name => 'UPDATE of a row of a ledger without a key',
	tamper => q{UPDATE k SET n = 20 WHERE v = 'k2'},
	refused => qr/^subscription "$sub" sent a change that would update rows of ledger table "k", which a replica refuses$/,
	# the peer holds no row like the tampered one: nothing to update there
	restore => q{UPDATE k SET n = 2 WHERE v = 'k2'});

tamper_case(
	name => 'DELETE of a row of a ledger without a key',
	save => q{CREATE TABLE keep.k1 AS SELECT * FROM k WHERE v = 'k1'},
	tamper => q{DELETE FROM k WHERE v = 'k1'},
	refused => qr/^subscription "$sub" sent a change that would delete rows from ledger table "k", which a replica refuses$/,
	restore => q{INSERT INTO k SELECT * FROM keep.k1},
	restore_refused => qr/^rows of transaction \d+ of ledger "k" arrived without a transaction record$/);

# The origin is back as it was: its triggers fire always again, it verifies.
is($a->safe_psql('postgres', q{SELECT string_agg(DISTINCT tgenabled::text, '') FROM pg_trigger
	WHERE tgrelid IN ('t'::regclass, 'k'::regclass) AND NOT tgisinternal}), 'A',
	"origin: the ledgers' triggers are back, enabled always");
verify_ok($a, 'postgres', $_, undef, "origin $_ verifies at the end") for ('t', 'k');
like($b->safe_psql('postgres', "SELECT string_agg(DISTINCT state, ',') FROM ledger.replication_status WHERE peer = '$sub'"),
	qr/^(streaming|catching up)$/, 'peer: streaming again at the end');

done_testing();
