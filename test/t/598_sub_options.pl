# Options a DBA sets by hand on the subscription and the publication that
# ledger made (docs/replication.md, "Options of the subscription and the
# publication"): every arriving row is verified, or the change is refused,
# or the subscription stops with an error that says so; nothing is missing
# from a replica that reads "streaming".  One pair of nodes throughout:
#   - two_phase = true (the subscription made again by hand on ledger's
#     slot): PREPARE, COMMIT PREPARED, ROLLBACK PREPARED at the origin
#     arrive and verify; rows around the ledger in a prepared transaction
#     are refused at its PREPARE (until 2026-12-07 they were kept: the check
#     ran at a commit only); a resync puts ledger's options back.
#   - ALTER SUBSCRIPTION ... SKIP at a transaction the replica did not
#     refuse (a block) is refused; until 2026-12-07 it was taken and the
#     replica, "streaming", silently lacked the block.
#   - ALTER SUBSCRIPTION ... SET, ADD or DROP PUBLICATION without a refresh
#     is refused; until 2026-12-07 SET PUBLICATION to another publication
#     of the origin was taken and the replica, "streaming" and verifying,
#     received nothing more.
#   - at the origin, a row filter or a column list on the ledger, or the
#     ledger out of the publication for a while: refused on arrival, the
#     subscription disabled with the error; a resync recovers.
#   - at the origin, publish without update, delete or truncate is refused
#     for a publication carrying ledgers (until 2026-12-07 taken: a key's
#     revocation would never have reached the peers).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $conf = "max_prepared_transactions = 5\nledger.sync_reconnect_delay = 1\n";
my $a = sync_node('opts_origin', conf => $conf);
my $b = sync_node('opts_peer', conf => $conf);
my $ci = acct_subscribed($a, $b);
my $id = 100;

# a new row at the origin, and the replica equal to the origin and verifying
sub flows
{
	my ($what) = @_;
	$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
	my $d = caught_up($a, $b, 'acct');
	ok($d, "$what: the replica caught up");
	is(row_set($b, 'acct'), row_set($a, 'acct'), "$what: the same rows at both ends");
	verify_ok($b, 'postgres', 'acct', $d, "$what: the replica verifies against the origin's digest");
	return $d;
}

# ---- two_phase = true: made again by hand on ledger's slot
$b->safe_psql('postgres', qq{
	ALTER SUBSCRIPTION sub DISABLE;
	ALTER SUBSCRIPTION sub SET (slot_name = NONE);
});
$b->safe_psql('postgres', 'DROP SUBSCRIPTION sub');
$b->safe_psql('postgres', qq{CREATE SUBSCRIPTION sub CONNECTION '$ci' PUBLICATION pub
	WITH (create_slot = false, slot_name = 'sub', copy_data = false, two_phase = true,
		binary = true, disable_on_error = true)});
flows('two_phase');
is($b->safe_psql('postgres', q{SELECT subtwophasestate FROM pg_subscription WHERE subname = 'sub'}), 'e',
	'two_phase: on once the stream started');
$a->safe_psql('postgres', q{BEGIN; INSERT INTO acct VALUES (200, 2), (201, 3); PREPARE TRANSACTION 'p1'});
ok(poll_until($b, q{SELECT count(*) = 1 FROM pg_prepared_xacts WHERE gid LIKE 'pg_gid_%'}, 30),
	'two_phase: the origin\'s PREPARE is prepared at the peer');
$a->safe_psql('postgres', q{COMMIT PREPARED 'p1'});
flows('two_phase, COMMIT PREPARED');
$a->safe_psql('postgres', q{BEGIN; INSERT INTO acct VALUES (202, 2); PREPARE TRANSACTION 'p2'});
ok(poll_until($b, q{SELECT count(*) = 1 FROM pg_prepared_xacts WHERE gid LIKE 'pg_gid_%'}, 30),
	'two_phase: the second PREPARE is prepared at the peer');
$a->safe_psql('postgres', q{ROLLBACK PREPARED 'p2'});
flows('two_phase, ROLLBACK PREPARED');
is($b->safe_psql('postgres', 'SELECT count(*) FROM acct WHERE id = 202'), '0', '... left nothing');

# rows around the ledger in a prepared transaction at the origin
$a->safe_psql('postgres', q{
	ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
	ALTER TABLE acct DISABLE TRIGGER ALL;
	BEGIN;
	INSERT INTO acct (id, amount, ledger_xact, ledger_seq, ledger_hash)
		VALUES (900, 1, 999999, 0,
			ledger.leaf_hash(ROW(900, 1::numeric, NULL::int8, NULL::int8, NULL::bytea)::acct, 999999, 0));
	PREPARE TRANSACTION 'p3';
	COMMIT PREPARED 'p3';
	ALTER TABLE acct ENABLE TRIGGER ALL;
	ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
});
my ($err, $lsn) = wait_refused($b, 'sub', '');
like($err // 'accepted', qr/^rows of transaction 999999 of ledger "acct" arrived without a transaction record$/,
	'two_phase: rows without a record in a prepared transaction are refused at its PREPARE');
is($b->safe_psql('postgres', 'SELECT count(*) FROM acct WHERE id = 900'), '0', '... and not kept');
is($b->safe_psql('postgres', q{SELECT count(*) FROM pg_prepared_xacts WHERE gid LIKE 'pg_gid_%'}), '0',
	'... nor left prepared');
# the documented recovery: the origin put back, the refused transaction skipped
$a->safe_psql('postgres', q{
	ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
	ALTER TABLE acct DISABLE TRIGGER ALL;
	DELETE FROM acct WHERE id = 900;
	ALTER TABLE acct ENABLE TRIGGER ALL;
	ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
});
skip_refused($b, 'sub', $lsn);
flows('two_phase, after the refused PREPARE was skipped');

# back to ledger's own options
is($b->safe_psql('postgres', q{SELECT ledger.resync_subscription('sub')}), '1', 'a resync makes the subscription again');
is($b->safe_psql('postgres', q{SELECT subtwophasestate FROM pg_subscription WHERE subname = 'sub'}), 'd',
	'... with two_phase off');
flows('after the resync');

# ---- SKIP of a transaction the replica did not refuse: a block
$a->safe_psql('postgres', 'CREATE EXTENSION pg_walinspect');
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION sub DISABLE');
my $from = $a->safe_psql('postgres', 'SELECT pg_current_wal_lsn()');
$a->safe_psql('postgres', 'INSERT INTO acct VALUES (' . $id++ . ', 1)');
ok(wait_sealed($a, 'postgres'), 'skip: a row sealed at the origin, the subscription disabled');
my $blk = $a->safe_psql('postgres', qq{
	SELECT w.start_lsn FROM pg_get_wal_records_info('$from', pg_current_wal_flush_lsn()) w
	WHERE w.resource_manager = 'Transaction' AND w.record_type = 'COMMIT'
	  AND (SELECT x FROM (SELECT xmin::text AS x FROM ledger.blocks ORDER BY block_no DESC LIMIT 1) b)
		IN (w.xid::text, substring(w.description from 'subxacts: ([0-9]+)'))});
ok($blk =~ m{^[0-9A-F]+/[0-9A-F]+$}, "skip: the block's commit at the origin: $blk");
my ($ret, $out);
($ret, $out, $err) = $b->psql('postgres', "ALTER SUBSCRIPTION sub SKIP (lsn = '$blk')");
like($err, qr/cannot skip/, 'SKIP at a transaction the replica did not refuse is refused');
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION sub ENABLE');
my $d = caught_up($a, $b, 'acct');
ok($d, 'skip: the replica caught up, with the block');
verify_ok($b, 'postgres', 'acct', $d, "skip: the replica verifies against the origin's digest");
($ret, $out, $err) = $b->psql('postgres', "ALTER SUBSCRIPTION sub SKIP (lsn = NONE)");
is($ret, 0, 'SKIP (lsn = NONE) is accepted');

# ---- the subscription's publications changed without a refresh
$a->safe_psql('postgres', q{
	CREATE TABLE other (id int PRIMARY KEY);
	SELECT ledger.create_ledger('other');
	SELECT ledger.create_publication('pub2', ARRAY['other'::regclass]);
});
for my $alter ('SET PUBLICATION pub2', 'ADD PUBLICATION pub2', 'DROP PUBLICATION pub')
{
	($ret, $out, $err) = $b->psql('postgres', "ALTER SUBSCRIPTION sub $alter WITH (refresh = false)");
	like($err, qr/holds ledger replicas, whose publication only ledger\.create_subscription\(\) sets/,
		"$alter without a refresh is refused");
}
($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub SET PUBLICATION pub WITH (refresh = false)');
is($ret, 0, 'SET PUBLICATION of the publication it has, without a refresh, changes nothing and passes');
is($b->safe_psql('postgres', q{SELECT subpublications FROM pg_subscription WHERE subname = 'sub'}), '{pub}',
	'... and the subscription streams its publication');
flows('after SET PUBLICATION was refused');

# ---- the publication changed at the origin
sub pub_case
{
	my ($name, $change, $write, $refused) = @_;
	my $at = last_error_at($b, 'sub');
	my $held = row_set($b, 'acct');
	$a->safe_psql('postgres', $change);
	$a->safe_psql('postgres', $write);
	my ($e) = wait_refused($b, 'sub', $at);
	like($e // 'accepted, the subscription enabled', $refused, "$name: refused on arrival, the subscription disabled");
	is(row_set($b, 'acct'), $held, "$name: nothing of it kept");
	$a->safe_psql('postgres', 'ALTER PUBLICATION pub DROP TABLE acct; ALTER PUBLICATION pub ADD TABLE acct');
	is($b->safe_psql('postgres', q{SELECT ledger.resync_subscription('sub')}), '1', "$name: the publication put back, a resync");
	flows("after $name");
}
pub_case('a row filter on the ledger',
	q{ALTER PUBLICATION pub DROP TABLE acct; ALTER PUBLICATION pub ADD TABLE acct WHERE (id < 1000)},
	q{INSERT INTO acct VALUES (5000, 1), (7, 1)},
	qr/^the record of transaction \d+ of ledger "acct" does not match the rows that arrived with it$/);
pub_case('a column list on the ledger',
	q{ALTER PUBLICATION pub DROP TABLE acct; ALTER PUBLICATION pub ADD TABLE acct (id, ledger_xact, ledger_seq, ledger_hash)},
	q{INSERT INTO acct VALUES (8, 1)},
	qr/^row of ledger table "acct" does not match its hash$/);
pub_case('rows written while the ledger was out of the publication',
	q{ALTER PUBLICATION pub DROP TABLE acct},
	q{INSERT INTO acct VALUES (9, 1); ALTER PUBLICATION pub ADD TABLE acct; INSERT INTO acct VALUES (10, 1)},
	qr/^the record of transaction \d+ of ledger \d+ arrived without its rows$/);

# ---- publish at the origin: every kind of change stays published
for my $publish ('insert', 'insert, update', 'insert, update, delete')
{
	($ret, $out, $err) = $a->psql('postgres', "ALTER PUBLICATION pub SET (publish = '$publish')");
	like($err, qr/publication "pub" carries ledgers to peers: it must publish (update|delete|truncate)/,
		"publish = '$publish' is refused for a publication of ledgers");
}
is($a->safe_psql('postgres', q{SELECT pubinsert AND pubupdate AND pubdelete AND pubtruncate FROM pg_publication WHERE pubname = 'pub'}),
	't', '... and the publication publishes every kind of change');
# the guard's look-up is not the caller's to answer: an "=" of the caller's
# own, found first through its search_path, said the publication carried no
# ledger (lead's review of the guard, 2026-12-07)
($ret, $out, $err) = $a->psql('postgres', q{
	CREATE SCHEMA evil;
	CREATE FUNCTION evil.never(name, text) RETURNS bool LANGUAGE sql IMMUTABLE AS 'SELECT false';
	CREATE OPERATOR evil.= (LEFTARG = name, RIGHTARG = text, FUNCTION = evil.never);
	SET search_path = evil, pg_catalog;
	ALTER PUBLICATION pub SET (publish = 'insert')});
like($err, qr/publication "pub" carries ledgers to peers: it must publish update/,
	"publish = 'insert' is refused with an operator \"=\" of the caller's before pg_catalog");
$a->safe_psql('postgres', 'DROP SCHEMA evil CASCADE');
# publish set while ledger.transactions is out of the publication, which is
# then put back (in one transaction: no row written in between, nothing for
# the peer to refuse): until 2026-12-07 taken, the publication carrying
# ledgers again without updates (last reader's review, 2026-12-07)
for my $add ('ADD TABLE ledger.transactions', 'SET TABLE acct, ledger.transactions',
	'ADD TABLES IN SCHEMA ledger')
{
	($ret, $out, $err) = $a->psql('postgres', qq{
		BEGIN;
		ALTER PUBLICATION pub DROP TABLE ledger.transactions;
		ALTER PUBLICATION pub SET (publish = 'insert');
		ALTER PUBLICATION pub $add;
		COMMIT});
	like($err, qr/publication "pub" carries ledgers to peers: it must publish update/,
		"$add to a publication without updates is refused");
}
is($a->safe_psql('postgres', q{SELECT pubinsert AND pubupdate AND pubdelete AND pubtruncate FROM pg_publication WHERE pubname = 'pub'}),
	't', '... and the publication still publishes every kind of change');
# a peer's walsender finds its publication by name: the ledgers' publication
# renamed and one made under its name, carrying the same tables, without
# updates (until 2026-12-07 taken; last reader's review, 2026-12-07)
my $tables = $a->safe_psql('postgres', q{SELECT string_agg(format('%I.%I', schemaname, tablename), ', ')
	FROM pg_publication_tables WHERE pubname = 'pub'});
for my $made ("FOR TABLE $tables", 'FOR ALL TABLES', 'FOR TABLES IN SCHEMA ledger, public')
{
	($ret, $out, $err) = $a->psql('postgres', qq{
		BEGIN;
		ALTER PUBLICATION pub RENAME TO pub_was;
		CREATE PUBLICATION pub $made WITH (publish = 'insert, delete, truncate');
		COMMIT});
	like($err, qr/publication "pub" carries ledgers to peers: it must publish update/,
		"CREATE PUBLICATION ... $made without updates is refused") or diag $err;
}
is($a->safe_psql('postgres', q{SELECT pubinsert AND pubupdate AND pubdelete AND pubtruncate FROM pg_publication WHERE pubname = 'pub'}),
	't', '... and the publication under that name publishes every kind of change');
$a->safe_psql('postgres', q{ALTER PUBLICATION pub SET (publish = 'Insert, UPDATE, delete, truncate')});
ok(1, "publish = 'insert, update, delete, truncate' passes");
$a->safe_psql('postgres', q{CREATE TABLE plain (x int); CREATE PUBLICATION cdc FOR TABLE plain;
	ALTER PUBLICATION cdc SET (publish = 'insert')});
ok(1, "publish = 'insert' passes for a publication without ledgers");
flows('after publish was left as it was');
done_testing();
