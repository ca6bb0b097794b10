
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Tamper suite: a superuser alters history in many ways, and ledger.verify
# must say ok = false and name the row, transaction or block that was
# touched.  Every scenario gets a fresh ledger with several sealed blocks;
# its digest is kept here in Perl, i.e. outside the database.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = PostgreSQL::Test::Cluster->new('tamper');
$node->init;
$node->append_conf('postgresql.conf',
	"shared_preload_libraries = 'ledger'\nwal_level = logical\nledger.seal_interval = 100ms\n");
$node->start;

# Each scenario runs in a database of its own, with an untampered control
# ledger beside the tampered one.  The test at the end checks that a
# tampered ledger does not block DDL on other tables (the DDL guard checks
# only the relations a command touches).
my $n = 0;
my $db = 'postgres';
my ($control, $control_digest);

# A fresh ledger made from a table with rows in it (genesis block 0), then
# five transactions, most of them multi-row, sealed into blocks 1.. .
# Returns (table, digest text).
sub fresh_ledger
{
	$db = 'scenario' . ++$n;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION ledger');
	($control, $control_digest) = make_ledger('control');
	return make_ledger('tl');
}

sub make_ledger
{
	my $t = shift;
	$node->safe_psql(
		$db, qq{
CREATE TABLE $t (id int, v text, amount numeric);
INSERT INTO $t VALUES (1, 'genesis a', 1.5), (2, 'genesis b', 2.5);
SELECT ledger.create_ledger('$t');
INSERT INTO $t (id, v, amount) VALUES (3, 'c', 3), (4, 'd', 4), (5, 'e', 5);
SELECT ledger.seal('$t');
INSERT INTO $t (id, v, amount) VALUES (6, 'f', 6), (7, 'g', 7);
SELECT ledger.seal('$t');
BEGIN;
INSERT INTO $t (id, v, amount) VALUES (8, 'h', 8), (9, 'i', 9);
INSERT INTO $t (id, v, amount) SELECT 10, 'j', 10;
COMMIT;
SELECT ledger.seal('$t');
INSERT INTO $t (id, v, amount) VALUES (11, 'k', 11), (12, 'l', 12);
INSERT INTO $t (id, v, amount) VALUES (13, 'm', 13);
SELECT ledger.seal('$t');
});
	my $digest = $node->safe_psql($db, "SELECT ledger.digest('$t')");
	my $v = verify($node, $db, $t, $digest);
	is($v->{ok}, 't', "$t: untampered ledger verifies against its digest")
	  or diag($v->{problem});
	is($v->{rows}, 13, "$t: untampered ledger has 13 rows checked");
	my ($rc, $out) = audit_export($node, $db, $t, $digest);
	is($rc, 0, "$t: tools/ledger-audit accepts its export") or diag($out);
	return ($t, $digest);
}


# Facts about one row: ctid text "(b,o)", xact, seq, block of its transaction.
sub row_info
{
	my ($t, $id) = @_;
	my $out = $node->safe_psql(
		$db, qq{
SELECT r.ctid, r.ledger_xact, r.ledger_seq, x.block_no
FROM $t r JOIN ledger.ledgers g ON g.relation = '$t'::regclass
LEFT JOIN ledger.transaction_blocks x ON x.ledger_id = g.ledger_id AND x.xact_id = r.ledger_xact
WHERE r.id = $id});
	my ($ctid, $xact, $seq, $block) = split /\|/, $out;
	return { ctid => $ctid, xact => $xact, seq => $seq, block => $block };
}

sub ledger_id
{
	my $t = shift;
	return $node->safe_psql($db,
		"SELECT ledger_id FROM ledger.ledgers WHERE relation = '$t'::regclass");
}

sub last_block
{
	my $t = shift;
	return $node->safe_psql($db,
		"SELECT max(block_no) FROM ledger.blocks WHERE ledger_id = " . ledger_id($t));
}

# Check a tampered ledger: not ok, problem matches.
sub detected
{
	my ($t, $digest, $re, $name) = @_;
	my $v = verify($node, $db, $t, $digest);
	is($v->{ok}, 'f', "$name: verify says not ok");
	like($v->{problem}, $re, "$name: problem names the culprit");
	# the offline verifier agrees, from an export of the same ledger
	my ($rc, $out) = audit_export($node, $db, $t, $digest);
	isnt($rc, 0, "$name: tools/ledger-audit refuses the export too (or it cannot be exported)")
	  or diag($out);
	$v = verify($node, $db, $control, $control_digest);
	is($v->{ok}, 't', "$name: the untampered ledger beside it still verifies")
	  or diag($v->{problem});
}

sub qre { return quotemeta(shift); }

# SQL run as a superuser with the DDL guards switched off by name (they fire
# whatever session_replication_role says), in one transaction, so that they
# are on again after it whether it commits or fails.
sub unguarded
{
	my ($sql) = @_;
	my @g = ('ledger_guard_ddl', 'ledger_guard_drop', 'ledger_guard_rewrite');
	return "BEGIN;\n"
	  . join('', map { "ALTER EVENT TRIGGER $_ DISABLE;\n" } @g)
	  . "$sql;\n"
	  . join('', map { "ALTER EVENT TRIGGER $_ ENABLE ALWAYS;\n" } @g)
	  . "COMMIT;\n";
}


my ($ok, $out, $err);

# 1. update a row's value with the ledger's triggers disabled, event
#    triggers switched off by ALTER EVENT TRIGGER
{
	my ($t, $d) = fresh_ledger();
	my $before = row_info($t, 4);
	($ok, $out, $err) = $node->psql($db, "UPDATE $t SET amount = 400 WHERE id = 4");
	isnt($ok, 0, 'plain UPDATE of a ledger is refused');
	($ok, $out, $err) = $node->psql($db, "ALTER TABLE $t DISABLE TRIGGER ALL");
	isnt($ok, 0, 'disabling the ledger triggers is refused by the DDL guard');
	like($err, qr/cannot alter ledger table/, 'DDL guard names the ledger table');
	$node->safe_psql(
		$db, unguarded(qq{
ALTER TABLE $t DISABLE TRIGGER ALL;
UPDATE $t SET amount = 400 WHERE id = 4;
ALTER TABLE $t ENABLE ALWAYS TRIGGER zz_ledger_row;
ALTER TABLE $t ENABLE ALWAYS TRIGGER ledger_append_only}));
	my $r = row_info($t, 4);
	detected($t, undef,
		qr/^row at ctid @{[qre($r->{ctid})]} \(transaction $before->{xact}, sequence $before->{seq}\) does not match its stored hash/,
		'update with triggers disabled');
}

# 2. update via session_replication_role = replica
{
	my ($t, $d) = fresh_ledger();
	my $before = row_info($t, 7);
	($ok, $out, $err) = $node->psql($db,
		"SET session_replication_role = replica; UPDATE $t SET v = 'G' WHERE id = 7");
	isnt($ok, 0, 'UPDATE is refused even with session_replication_role = replica');
	like($err, qr/\Q$t\E/, 'the refusal names the table');
	# the DDL guard fires in replica mode too (an event trigger enabled
	# ALWAYS): before 0.2.0 it did not, and disabling the triggers passed
	($ok, $out, $err) = $node->psql($db,
		"SET session_replication_role = replica; ALTER TABLE $t DISABLE TRIGGER ALL");
	isnt($ok, 0, 'disabling the ledger triggers is refused even with session_replication_role = replica');
	like($err, qr/cannot alter ledger table/, 'by the DDL guard');
	($ok, $out, $err) = $node->psql($db, "SET session_replication_role = replica; DROP TABLE $t");
	like($err, qr/cannot drop ledger table/, 'DROP TABLE is refused even with session_replication_role = replica');
	$node->safe_psql(
		$db, unguarded(qq{
ALTER TABLE $t DISABLE TRIGGER ALL;
UPDATE $t SET v = 'G' WHERE id = 7}));
	my $r = row_info($t, 7);
	detected($t, $d,
		qr/^row at ctid @{[qre($r->{ctid})]} \(transaction $before->{xact}, sequence $before->{seq}\) does not match its stored hash/,
		'update via session_replication_role');
}

# 3. delete one row of a two-row transaction
{
	my ($t, $d) = fresh_ledger();
	my $r = row_info($t, 6);
	$node->safe_psql($db,
		unguarded("ALTER TABLE $t DISABLE TRIGGER ALL; DELETE FROM $t WHERE id = 6"));
	detected($t, undef,
		qr/^transaction $r->{xact} \(block $r->{block}\) recorded 2 rows, but the table holds 1 of them: rows were deleted/,
		'delete a row');
}

# 4. delete all rows of one transaction
{
	my ($t, $d) = fresh_ledger();
	my $r = row_info($t, 3);
	$node->safe_psql($db,
		unguarded("ALTER TABLE $t DISABLE TRIGGER ALL; DELETE FROM $t WHERE id BETWEEN 3 AND 5"));
	detected($t, undef,
		qr/^transaction $r->{xact} \(block $r->{block}\) recorded 3 rows, but none of them is in the table/,
		'delete a whole transaction\'s rows');
}

# 5. delete the newest rows together with their transaction records and
#    block: only the digest kept outside catches it
{
	my ($t, $d) = fresh_ledger();
	my $lid = ledger_id($t);
	my $last = last_block($t);
	my $prev = $last - 1;
	$node->safe_psql(
		$db, unguarded(qq{
ALTER TABLE $t DISABLE TRIGGER ALL;
DELETE FROM $t WHERE ledger_xact IN
  (SELECT unnest(xact_ids) FROM ledger.blocks WHERE ledger_id = $lid AND block_no = $last);
DELETE FROM ledger.transactions WHERE ledger_id = $lid AND xact_id IN
  (SELECT unnest(xact_ids) FROM ledger.blocks WHERE ledger_id = $lid AND block_no = $last);
DELETE FROM ledger.blocks WHERE ledger_id = $lid AND block_no = $last;
ALTER TABLE $t ENABLE ALWAYS TRIGGER zz_ledger_row;
ALTER TABLE $t ENABLE ALWAYS TRIGGER ledger_append_only}));
	my $v = verify($node, $db, $t);
	is($v->{ok}, 't', 'truncated history: verify without a digest cannot tell')
	  or diag($v->{problem});
	detected($t, $d,
		qr/^the digest names block $last, but the ledger ends at block $prev: blocks were removed/,
		'delete newest rows and blocks');

	# 6. ... and then let the ledger grow back honestly to the same block
	#    number: the digest's block is there but its hash differs
	$node->safe_psql($db,
		"INSERT INTO $t (id, v, amount) VALUES (99, 'replacement', 99); SELECT ledger.seal('$t');");
	is(last_block($t), $last, 'rewritten history reaches the digest\'s block again');
	$v = verify($node, $db, $t);
	is($v->{ok}, 't', 'rewritten history: verify without a digest cannot tell')
	  or diag($v->{problem});
	detected($t, $d, qr/^block $last differs from the digest/,
		'rewrite the newest block');
}

# 7. insert a forged row with invented ledger columns and a correct leaf hash
{
	my ($t, $d) = fresh_ledger();
	$node->safe_psql(
		$db, qq{
INSERT INTO $t VALUES (50, 'forged', 50, 123456789, 0,
  ledger.leaf_hash(ROW(50, 'forged', 50::numeric, NULL::int8, NULL::int8, NULL::bytea)::$t, 123456789, 0));
});
	my $r = row_info($t, 50);
	is($r->{xact}, '123456789', 'forged row with a matching hash was accepted by the table');
	detected($t, undef,
		qr/^row at ctid @{[qre($r->{ctid})]} \(transaction 123456789, sequence 0\) belongs to no recorded transaction/,
		'forged row with invented transaction');
}

# 8. insert a forged row into an existing transaction with a fresh sequence
{
	my ($t, $d) = fresh_ledger();
	my $r = row_info($t, 3);
	$node->safe_psql(
		$db, qq{
INSERT INTO $t VALUES (51, 'forged', 51, $r->{xact}, 3,
  ledger.leaf_hash(ROW(51, 'forged', 51::numeric, NULL::int8, NULL::int8, NULL::bytea)::$t, $r->{xact}, 3));
});
	detected($t, undef,
		qr/^transaction $r->{xact} \(block $r->{block}\) recorded 3 rows, but the table holds 4 of them: rows were added/,
		'forged row in an existing transaction');
}

# 9. replace a row: delete it and insert a forged one with the same
#    transaction and sequence (counts still match)
{
	my ($t, $d) = fresh_ledger();
	my $r = row_info($t, 9);
	$node->safe_psql(
		$db, unguarded(qq{
ALTER TABLE $t DISABLE TRIGGER ALL;
DELETE FROM $t WHERE id = 9;
INSERT INTO $t VALUES (9, 'i', 9000, $r->{xact}, $r->{seq},
  ledger.leaf_hash(ROW(9, 'i', 9000::numeric, NULL::int8, NULL::int8, NULL::bytea)::$t, $r->{xact}, $r->{seq}))}));
	detected($t, undef,
		qr/^rows of transaction $r->{xact} \(block $r->{block}\) do not match its recorded root/,
		'replace a row with a forged one');
}

# 10. edit a stored ledger_hash
{
	my ($t, $d) = fresh_ledger();
	my $before = row_info($t, 10);
	$node->safe_psql(
		$db, unguarded(qq{
ALTER TABLE $t DISABLE TRIGGER ALL;
UPDATE $t SET ledger_hash = sha256('x'::bytea) WHERE id = 10}));
	my $r = row_info($t, 10);
	detected($t, undef,
		qr/^row at ctid @{[qre($r->{ctid})]} \(transaction $before->{xact}, sequence $before->{seq}\) does not match its stored hash/,
		'edit a stored hash');
}

# 11. edit a block's root
{
	my ($t, $d) = fresh_ledger();
	my $lid = ledger_id($t);
	$node->safe_psql($db,
		"UPDATE ledger.blocks SET root = sha256('x'::bytea) WHERE ledger_id = $lid AND block_no = 2");
	detected($t, undef,
		qr/^block 2 does not match its transactions: its root differs/,
		'edit a block root');
}

# 12. edit a block's sealed_at
{
	my ($t, $d) = fresh_ledger();
	my $lid = ledger_id($t);
	$node->safe_psql($db,
		"UPDATE ledger.blocks SET sealed_at = sealed_at - interval '1 day' WHERE ledger_id = $lid AND block_no = 1");
	detected($t, $d, qr/^block 1 does not match its hash: its header was edited/,
		'edit a block sealed_at');
}

# 13. edit a block's hash and the next block's link to it
{
	my ($t, $d) = fresh_ledger();
	my $lid = ledger_id($t);
	$node->safe_psql(
		$db, qq{
UPDATE ledger.blocks SET block_hash = sha256('x'::bytea) WHERE ledger_id = $lid AND block_no = 1;
UPDATE ledger.blocks SET prev_hash = sha256('x'::bytea) WHERE ledger_id = $lid AND block_no = 2;
});
	detected($t, undef, qr/^block 1 does not match its hash/,
		'edit a block hash and the next link');
}

# 14. edit a transaction record's root
{
	my ($t, $d) = fresh_ledger();
	my $lid = ledger_id($t);
	my $r = row_info($t, 8);
	$node->safe_psql($db,
		"UPDATE ledger.transactions SET root = sha256('x'::bytea) WHERE ledger_id = $lid AND xact_id = $r->{xact}");
	detected($t, undef,
		qr/^rows of transaction $r->{xact} \(block $r->{block}\) do not match its recorded root/,
		'edit a transaction root');
}

# 15. edit a transaction record's row_count
{
	my ($t, $d) = fresh_ledger();
	my $lid = ledger_id($t);
	my $r = row_info($t, 8);
	$node->safe_psql($db,
		"UPDATE ledger.transactions SET row_count = 2 WHERE ledger_id = $lid AND xact_id = $r->{xact}");
	detected($t, undef,
		qr/^transaction $r->{xact} \(block $r->{block}\) recorded 2 rows, but the table holds 3 of them/,
		'edit a transaction row_count');
}

# 15b. a transaction record copied (the primary key replaced by a
# non-unique index of the same name first): verify names the transaction
# recorded twice (issue #9, item 11)
{
	my ($t, $d) = fresh_ledger();
	my $lid = ledger_id($t);
	my $r = row_info($t, 8);
	$node->safe_psql($db, unguarded(qq{
ALTER TABLE ledger.transactions DROP CONSTRAINT transactions_pkey;
CREATE INDEX transactions_pkey ON ledger.transactions (ledger_id, xact_id);
INSERT INTO ledger.transactions SELECT * FROM ledger.transactions
 WHERE ledger_id = $lid AND xact_id = $r->{xact}}));
	detected($t, undef,
		qr/^transaction $r->{xact} \(block $r->{block}\) is recorded more than once/,
		'duplicate a transaction record');
	detected($t, $d,
		qr/^transaction $r->{xact} \(block $r->{block}\) is recorded more than once/,
		'duplicate a transaction record, with a digest');
	$node->safe_psql($db, unguarded(qq{
SET session_replication_role = replica;
DELETE FROM ledger.transactions t USING (SELECT ctid FROM ledger.transactions
 WHERE ledger_id = $lid AND xact_id = $r->{xact} LIMIT 1) c WHERE t.ctid = c.ctid;
DROP INDEX ledger.transactions_pkey;
ALTER TABLE ledger.transactions ADD CONSTRAINT transactions_pkey PRIMARY KEY (ledger_id, xact_id)}));
}

# 16. edit a transaction record's committed_at (part of the block leaf)
{
	my ($t, $d) = fresh_ledger();
	my $lid = ledger_id($t);
	my $r = row_info($t, 6);
	$node->safe_psql($db,
		"UPDATE ledger.transactions SET committed_at = committed_at + interval '1 hour' WHERE ledger_id = $lid AND xact_id = $r->{xact}");
	detected($t, undef,
		qr/^block $r->{block} does not match its transactions/,
		'edit a transaction committed_at');
}

# 16b. the same with an infinite commit time: verify reports it, and so does
#     the offline verifier, from an export that writes the int64 PostgreSQL
#     stores for infinity (before 2026-12-06 the export failed on it, "cannot
#     convert infinity to bigint", and the auditor had nothing to check)
{
	my ($t, $d) = fresh_ledger();
	my $lid = ledger_id($t);
	my $r = row_info($t, 6);
	$node->safe_psql($db,
		"UPDATE ledger.transactions SET committed_at = 'infinity' WHERE ledger_id = $lid AND xact_id = $r->{xact}");
	detected($t, undef,
		qr/^block $r->{block} does not match its transactions/,
		'an infinite transaction committed_at');
	my ($ret, $out, $err) = $node->psql($db, "SELECT * FROM ledger.export('$t')");
	is($ret, 0, '... the ledger can be exported') or diag($err);
	like($out, qr/"committed_at_us" ?: ?9223372036854775807\b/,
		'... with the time PostgreSQL stores for infinity');
	my ($rc, $aout) = audit_export($node, $db, $t, undef);
	like($aout, qr/block $r->{block}\b/, '... and tools/ledger-audit names the block');
	isnt($rc, 0, '... and fails');
	# the helper is inlined into export's queries (declared IMMUTABLE over
	# the STABLE EXTRACT, it was called for each time until the last read
	# of 2026-12-06)
	my $plan = $node->safe_psql($db,
		"EXPLAIN (VERBOSE, COSTS OFF) SELECT ledger._export_us(t.committed_at) FROM ledger.transactions t");
	unlike($plan, qr/_export_us/, '... through a helper the planner inlines');
}

# 17. reorder: swap ledger_seq of two rows of one transaction; the row's
#     hash binds its sequence number (row format 2) ...
{
	my ($t, $d) = fresh_ledger();
	my $r = row_info($t, 3);
	$node->safe_psql(
		$db, unguarded(qq{
ALTER TABLE $t DISABLE TRIGGER ALL;
UPDATE $t SET ledger_seq = CASE id WHEN 3 THEN 1 ELSE 0 END WHERE id IN (3, 4)}));
	detected($t, undef,
		qr/^row at ctid \S+ \(transaction $r->{xact}, sequence [01]\) does not match its stored hash/,
		'reorder rows within a transaction');
}

# 17b. ... and with the hashes recomputed for the new numbers, the
#     transaction's root catches the new order
{
	my ($t, $d) = fresh_ledger();
	my $r = row_info($t, 3);
	$node->safe_psql(
		$db, unguarded(qq{
ALTER TABLE $t DISABLE TRIGGER ALL;
UPDATE $t SET ledger_seq = CASE id WHEN 3 THEN 1 ELSE 0 END WHERE id IN (3, 4);
UPDATE $t x SET ledger_hash = ledger.leaf_hash(x, x.ledger_xact, x.ledger_seq) WHERE id IN (3, 4)}));
	detected($t, undef,
		qr/^rows of transaction $r->{xact} \(block $r->{block}\) do not match its recorded root: rows were replaced or reordered/,
		'reorder rows within a transaction, hashes recomputed');
}

# 18. swap two rows' values and hashes across two transactions
{
	my ($t, $d) = fresh_ledger();
	my $a = row_info($t, 4);
	my $b = row_info($t, 7);
	$node->safe_psql(
		$db, unguarded(qq{
ALTER TABLE $t DISABLE TRIGGER ALL;
UPDATE $t x SET id = y.id, v = y.v, amount = y.amount, ledger_hash = y.ledger_hash
FROM (SELECT * FROM $t WHERE id IN (4, 7)) y
WHERE x.id IN (4, 7) AND y.id <> x.id}));
	is($node->safe_psql($db, "SELECT ledger_xact FROM $t WHERE id = 7"),
		$a->{xact}, 'row 7 now sits in row 4\'s transaction');
	detected($t, undef,
		qr/^row at ctid \S+ \(transaction $a->{xact}|$b->{xact}, sequence \d+\) does not match its stored hash/,
		'swap two rows\' values and hashes');

	# with the hashes recomputed for their new places, the roots catch it
	$node->safe_psql(
		$db, unguarded(qq{
ALTER TABLE $t DISABLE TRIGGER ALL;
UPDATE $t x SET ledger_hash = ledger.leaf_hash(x, x.ledger_xact, x.ledger_seq) WHERE id IN (4, 7)}));
	detected($t, undef,
		qr/^rows of transaction ($a->{xact}|$b->{xact}) \(block \d+\) do not match its recorded root/,
		'swap two rows\' values, hashes recomputed');
}

# 19. truncate and reload with one row changed
{
	my ($t, $d) = fresh_ledger();
	my $before = row_info($t, 5);
	$node->safe_psql(
		$db, unguarded(qq{
ALTER TABLE $t DISABLE TRIGGER ALL;
CREATE TABLE ${t}_copy AS SELECT * FROM $t;
TRUNCATE $t;
UPDATE ${t}_copy SET v = 'E' WHERE id = 5}));
	# with the row trigger on, a row whose hash does not match is refused
	($ok, $out, $err) = $node->psql($db,
		unguarded("ALTER TABLE $t ENABLE ALWAYS TRIGGER zz_ledger_row; "
			  . "INSERT INTO $t SELECT * FROM ${t}_copy ORDER BY ledger_xact, ledger_seq"));
	isnt($ok, 0, 'reload through the row trigger refuses the changed row');
	like($err, qr/does not match its hash/, 'row trigger names the hash mismatch');
	$node->safe_psql(
		$db, unguarded(qq{
ALTER TABLE $t DISABLE TRIGGER ALL;
INSERT INTO $t SELECT * FROM ${t}_copy ORDER BY ledger_xact, ledger_seq}));
	my $r = row_info($t, 5);
	detected($t, $d,
		qr/^row at ctid @{[qre($r->{ctid})]} \(transaction $before->{xact}, sequence $before->{seq}\) does not match its stored hash/,
		'truncate and reload with a changed row');
}

# 20. drop a data column with event triggers bypassed
{
	my ($t, $d) = fresh_ledger();
	($ok, $out, $err) = $node->psql($db, "ALTER TABLE $t DROP COLUMN amount");
	isnt($ok, 0, 'dropping a ledger column is refused by the DDL guard');
	$node->safe_psql($db,
		unguarded("ALTER TABLE $t DROP COLUMN amount"));
	# every row's canonical bytes change, so the first row in heap order
	# is the one named
	my ($ctid, $xact, $seq) = split /\|/,
	  $node->safe_psql($db,
		"SELECT ctid, ledger_xact, ledger_seq FROM $t ORDER BY ctid LIMIT 1");
	detected($t, $d,
		qr/^row at ctid @{[qre($ctid)]} \(transaction $xact, sequence $seq\) does not match its stored hash/,
		'drop a column');
}

# 21. drop a ledger column with event triggers bypassed
{
	my ($t, $d) = fresh_ledger();
	$node->safe_psql($db,
		unguarded("ALTER TABLE $t DROP COLUMN ledger_seq"));
	detected($t, undef, qr/^table "$t" has lost its ledger columns/,
		'drop a ledger column');
}

# 22. delete a whole block from the middle and renumber the rest
{
	my ($t, $d) = fresh_ledger();
	my $lid = ledger_id($t);
	my $last = last_block($t);
	$node->safe_psql(
		$db, unguarded(qq{
ALTER TABLE $t DISABLE TRIGGER ALL;
DELETE FROM $t WHERE ledger_xact IN
  (SELECT unnest(xact_ids) FROM ledger.blocks WHERE ledger_id = $lid AND block_no = 2);
DELETE FROM ledger.transactions WHERE ledger_id = $lid AND xact_id IN
  (SELECT unnest(xact_ids) FROM ledger.blocks WHERE ledger_id = $lid AND block_no = 2);
DELETE FROM ledger.blocks WHERE ledger_id = $lid AND block_no = 2;
UPDATE ledger.blocks SET block_no = block_no - 1 WHERE ledger_id = $lid AND block_no > 2}));
	detected($t, $d,
		qr/^block 2 does not link to block 1: its previous-block hash differs/,
		'delete a middle block and renumber');

	# relinking the renumbered block to its new predecessor: its place in
	# the history no longer follows the blocks before it
	$node->safe_psql(
		$db, qq{
UPDATE ledger.blocks SET prev_hash =
  (SELECT block_hash FROM ledger.blocks WHERE ledger_id = $lid AND block_no = 1)
WHERE ledger_id = $lid AND block_no = 2;
});
	detected($t, $d, qr/^block 2 claims history position \d+, but its transactions follow \d+ earlier ones/,
		'delete a middle block, renumber and relink');
}

# Untampered ledgers in the same database still verify, with their digest.
my $v = verify($node, $db, $control, $control_digest);
is($v->{ok}, 't', 'control ledger still verifies after all the tampering')
  or diag($v->{problem});
is($v->{rows}, 13, 'control ledger: 13 rows checked');
$node->safe_psql($db, "INSERT INTO $control (id, v, amount) VALUES (14, 'n', 14)");
$v = verify($node, $db, $control, $control_digest);
is($v->{ok}, 't', 'control ledger verifies after a new insert') or diag($v->{problem});
is($v->{rows}, 14, 'control ledger: 14 rows checked');

# One tampered ledger must not block unrelated DDL in its database: the
# DDL guard checks the ledgers a command touched, not every ledger of the
# database (0.1.0 checked them all, so once a superuser had disabled one
# ledger's triggers, ALTER TABLE or DROP TABLE of a plain table and
# create_ledger() of another table failed with "cannot alter ledger table
# <other>").
{
	$db = 'guard_scope';
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql(
		$db, q{
CREATE EXTENSION ledger;
CREATE TABLE broken (id int);
SELECT ledger.create_ledger('broken');
CREATE TABLE plain (id int);
CREATE TABLE other (id int);
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER TABLE broken DISABLE TRIGGER ALL;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
});
	{
		($ok, $out, $err) = $node->psql($db, 'ALTER TABLE plain ADD COLUMN v text');
		is($ok, 0, 'ALTER TABLE of a plain table works beside a tampered ledger')
		  or diag($err);
		($ok, $out, $err) = $node->psql($db, "SELECT ledger.create_ledger('other')");
		is($ok, 0, 'create_ledger of another table works beside a tampered ledger')
		  or diag($err);
		($ok, $out, $err) = $node->psql($db, 'DROP TABLE plain');
		is($ok, 0, 'DROP TABLE of a plain table works beside a tampered ledger')
		  or diag($err);
	}
	my $v = verify($node, $db, 'broken');
	is($v->{ok}, 't', 'a ledger with disabled triggers but untouched rows still verifies')
	  or diag($v->{problem});
}

$node->stop;
done_testing();
