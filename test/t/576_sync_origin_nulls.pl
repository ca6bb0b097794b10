
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# create_subscription copies from an origin whose answers carry NULL where
# the origin's catalog holds none: a tampered origin (a superuser there
# replaced ledger._shape, or took NOT NULL off a catalog column).  The copy
# reads what the origin's queries return as text; a NULL read as a string
# (strcmp, pg_strtoint64, an array's input function) crashed the peer's
# backend, and the postmaster restarted every session of the peer.  Found by
# gcc -fanalyzer (-Wanalyzer-null-argument, src/sync.c) on 2026-12-07.
# Each case: the call fails with XX001 naming what came without a value, the
# peer's server stays up, no slot is left at the origin; after the origin is
# put back, the same call subscribes.  resync_subscription runs the same
# code; its own case (part 4) is a held block's comparison.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('nulls_origin');
my $b = sync_node('nulls_peer');
my $sub = 'peer_nulls';

$a->safe_psql('postgres', q{
	CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL);
	SELECT ledger.create_ledger('t');
	INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 5) g;
	INSERT INTO t VALUES (6, 'six');
	SELECT ledger.create_publication('origin_pub', ARRAY['t'::regclass]);
});
ok(wait_sealed($a, 'postgres'), 'origin sealed');
my $ci = conninfo($a);
# a second origin database for the case whose tampering is not undone (a
# DELETE from ledger.transactions needs its replica identity, which the
# extension's guard keeps as it is)
$a->safe_psql('postgres', 'CREATE DATABASE other');
$a->safe_psql('other', q{
	CREATE EXTENSION ledger;
	CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL);
	SELECT ledger.create_ledger('t');
	INSERT INTO t VALUES (1, 'one');
	SELECT ledger.create_publication('origin_pub', ARRAY['t'::regclass]);
});
ok(wait_sealed($a, 'other'), 'second origin database sealed');
my $lid_other = $a->safe_psql('other', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 't'::regclass});
my $lname = $a->safe_psql('postgres', q{SELECT name FROM ledger.ledgers WHERE relation = 't'::regclass});

# A change at the origin around the extension's guards (superuser).
sub at_origin
{
	my ($sql, $db) = @_;
	$a->safe_psql($db // 'postgres', qq{
		ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
		SET session_replication_role = replica;
		$sql;
		RESET session_replication_role;
		ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
	});
}

sub refused_case
{
	my ($name, $tamper, $refused, $restore, $db) = @_;
	my $conn = conninfo($a, $db);
	at_origin($tamper, $db);
	my ($ret, $out, $err) = $b->psql('postgres',
		"SELECT ledger.create_subscription('$sub', '$conn', 'origin_pub')",
		on_error_stop => 0);
	like($err, $refused, "$name: create_subscription is refused");
	like($err, qr/\b(XX001|the origin sent)/, "$name: ... as data the origin sent");
	is($b->safe_psql('postgres', 'SELECT 1'), '1', "$name: ... and the peer's server is up");
	is($a->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$sub'"),
		'0', "$name: ... and no slot is left at the origin");
	at_origin($restore, $db) if defined $restore;
}

# 1. the shape of the ledger's columns NULL (ledger._shape replaced)
my $shape_def = $a->safe_psql('postgres',
	q{SELECT pg_get_functiondef('ledger._shape(pg_catalog.regclass)'::regprocedure)});
refused_case('shape',
	q{CREATE OR REPLACE FUNCTION ledger._shape(tbl pg_catalog.regclass) RETURNS pg_catalog.text[]
	  LANGUAGE sql AS 'SELECT NULL::pg_catalog.text[]'},
	qr/the origin sent a ledger of publication "origin_pub" without its shape/,
	$shape_def);

# 2. a ledger's name NULL in ledger.ledgers
refused_case('name',
	q{ALTER TABLE ledger.ledgers ALTER COLUMN name DROP NOT NULL;
	  UPDATE ledger.ledgers SET name = NULL WHERE relation = 't'::regclass},
	qr/the origin sent a ledger of publication "origin_pub" without its name/,
	qq{UPDATE ledger.ledgers SET name = '$lname' WHERE relation = 't'::regclass;
	  ALTER TABLE ledger.ledgers ALTER COLUMN name SET NOT NULL});

# 3. a transaction record without its transaction id (in database other,
# left so)
refused_case('record',
	qq{ALTER TABLE ledger.transactions DROP CONSTRAINT transactions_pkey;
	   ALTER TABLE ledger.transactions ALTER COLUMN xact_id DROP NOT NULL;
	   INSERT INTO ledger.transactions VALUES ($lid_other, NULL, 1, '\\x00', now())},
	qr/the origin sent a transaction record of ledger public\.t without its xact_id/,
	undef, 'other');

# put back: the same call subscribes, and the replica verifies
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('$sub', '$ci', 'origin_pub')"),
	'1', 'with the origin put back, the peer subscribes');
is($b->safe_psql('postgres', 'SELECT count(*) FROM t'), '6', '... and holds its rows');

# 4. resync_subscription of a peer that holds the ledger (2026-12-07, the
# next session): the origin sends a block numbered -1 without its hash.  The
# comparison with the blocks held took a number below 0 for a difference
# without reading the hash, and the message printed glibc's "(null)" for it
# (a NULL passed to %s); the hash is required first now.
my $lid = $a->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 't'::regclass});
at_origin(qq{ALTER TABLE ledger.blocks ALTER COLUMN block_hash DROP NOT NULL;
	INSERT INTO ledger.blocks SELECT ledger_id, -1, prev_hash, root, tx_count, row_count, sealed_at,
	  format_version, NULL, xact_ids, first_position, tree_root, total_rows
	  FROM ledger.blocks WHERE ledger_id = $lid AND block_no = 0});
my ($ret, $out, $err) = $b->psql('postgres', "SELECT ledger.resync_subscription('$sub')", on_error_stop => 0);
like($err, qr/the origin sent a block of ledger public\.t without its block_hash/,
	'resync: a block without its hash is refused as such');
unlike($err, qr/\(null\)/, '... and no message prints "(null)"');
is($b->safe_psql('postgres', 'SELECT 1'), '1', "... and the peer's server is up");
at_origin(qq{DELETE FROM ledger.blocks WHERE ledger_id = $lid AND block_no = -1;
	ALTER TABLE ledger.blocks ALTER COLUMN block_hash SET NOT NULL});
is($b->safe_psql('postgres', "SELECT ledger.resync_subscription('$sub')"), '1',
	'with the origin put back, the resync goes through');
verify_ok($b, 'postgres', 't', undef, '... and the replica verifies');

unlike(slurp_file($b->logfile), qr/terminated by signal|TRAP:/,
	"the peer's log shows no process killed by a signal");

done_testing();
