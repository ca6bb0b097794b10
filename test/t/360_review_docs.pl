
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Faults a review of the documentation against the code reproduced on
# 2026-12-05, each failing here against the code before (the key
# registry's triggers in replica mode are in sql/sig_keys.sql, the audit
# tool's status without an anchor in 085_audit_tool.pl):
#  1. digest() with the ledger held by another session (an open seal(); an
#     owner's open ALTER TABLE the same way): the background pass skips a
#     held ledger, and digest() took "a pass finished" for "sealed" and
#     described an older block at once, without the NOTICE the reference
#     promises.
#  2. prove() of a row of the caller's own open transaction reported a
#     corrupt ledger (XX001 "has 0 records", "Run ledger.verify()") where
#     verify() in the same transaction passed: 55000, not sealed yet.
#  3. A signed ledger whose primary key holds the signature column put the
#     signature's bytes in its error messages ("(sig)=(\xdeadbeef...)"),
#     which the README says they never contain.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use LedgerTest;

my $node = ledger_node('docs');
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE ROLE bob LOGIN;
	GRANT USAGE ON SCHEMA ledger TO bob;
	GRANT EXECUTE ON FUNCTION ledger.create_ledger(regclass) TO bob;
	GRANT CREATE ON SCHEMA public TO bob;
	CREATE TABLE bt (id int PRIMARY KEY, v text);
	ALTER TABLE bt OWNER TO bob;
});
$node->safe_psql('postgres', "SET ROLE bob; SELECT ledger.create_ledger('bt')");
$node->safe_psql('postgres', "INSERT INTO bt VALUES (1, 'a')");
wait_sealed($node, 'postgres');

# ---------- 1. digest() with the ledger held ----------
sub digest_block
{
	my ($wait) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"SET ledger.digest_wait = '$wait'; SELECT ledger.digest('bt')->>'block'");
	return ($out, $err);
}

my $sealed_before = $node->safe_psql('postgres', "SELECT max(block_no) FROM ledger.blocks b "
	  . "JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'bt'::regclass");

# (an owner's open ALTER TABLE ... ADD COLUMN holds the ledger's row the
# same way, storing the new shape, and the table too: the open seal() is
# the case that lets a commit in meanwhile)
for my $case ([ 'an open seal()', "SELECT ledger.seal('bt')" ])
{
	my ($what, $hold_sql) = @$case;
	my $holder = $node->background_psql('postgres', on_error_stop => 1);
	$holder->query_safe('BEGIN');
	$holder->query_safe($hold_sql);
	my $x = $node->safe_psql('postgres',
		"INSERT INTO bt (id, v) SELECT coalesce(max(id), 0) + 1, 'held' FROM bt RETURNING ledger_xact");
	my ($block, $err) = digest_block('1s');
	is($block, $sealed_before, "$what: digest() describes the block sealed before the commit");
	like($err, qr/NOTICE:  ledger "bt" was not sealed within 1000 ms/,
		"$what: ... and a NOTICE says the ledger was not sealed") or diag($err);
	like($err, qr/another session holds the ledger/, "$what: ... naming the likely cause");
	$holder->query_safe('ROLLBACK');
	$holder->quit;
	($block, $err) = digest_block('10s');
	ok($block > $sealed_before, "$what: released, digest() describes a newer block ($block)");
	is($err, '', "$what: ... with no NOTICE");
	is($node->safe_psql('postgres', "SELECT count(*) FROM ledger.transaction_blocks tb "
		  . "WHERE tb.xact_id = $x AND tb.block_no IS NOT NULL"),
		'1', "$what: ... in which the commit is sealed");
	$sealed_before = $block;
}

# nothing held: a digest right after a commit names its block, no NOTICE
my $x = $node->safe_psql('postgres', "INSERT INTO bt (id, v) VALUES (100, 'free') RETURNING ledger_xact");
my ($block, $err) = digest_block('10s');
is($err, '', 'nothing held: digest() gives no NOTICE');
is($node->safe_psql('postgres', "SELECT block_no FROM ledger.transaction_blocks WHERE xact_id = $x"),
	$block, 'nothing held: the digest names the block of the commit just made');

# ---------- 2. prove() of the caller's own open transaction ----------
my ($ret, $out);
($ret, $out, $err) = $node->psql('postgres', q{
	\set VERBOSITY verbose
	BEGIN;
	INSERT INTO bt (id, v) VALUES (200, 'own');
	SELECT ok FROM ledger.verify('bt');
	SELECT ledger.prove('bt', ledger._own_xact(), 0);
	ROLLBACK;
});
like($err, qr/ERROR:  55000: transaction \d+ of ledger "bt" is not sealed yet/,
	"prove() of the caller's own uncommitted row: 55000, not sealed yet") or diag($err);
like($err, qr/DETAIL:  It is the caller's own transaction, not committed yet/, '... saying why');
unlike($err, qr/XX001|records/, '... not a corrupt ledger');
is($out, 't', '... while verify() in the same transaction passes');
# a session with no transaction number of its own (-1 inside): transaction
# -1 is simply not there (the check above took -1 for "own" at first)
($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\nSELECT ledger.prove('bt', -1, 0)");
like($err, qr/ERROR:  22023: ledger "bt" has no row of transaction -1 with sequence 0/,
	'prove() of transaction -1 in a session that wrote no row: no such row (22023), not "own"') or diag($err);

# ---------- 3. signature bytes stay out of messages ----------
$node->safe_psql('postgres', q{
	CREATE TABLE sp (sig bytea PRIMARY KEY, key_id text NOT NULL, v text);
	SELECT ledger.create_ledger('sp');
	SELECT ledger.require_signatures('sp', 'sig', 'key_id');
	CREATE TABLE sk (id int, sig bytea, key_id text NOT NULL, v text, PRIMARY KEY (id, sig));
	SELECT ledger.create_ledger('sk');
	SELECT ledger.require_signatures('sk', 'sig', 'key_id');
});
for my $t ([ 'sp', q{'\xdeadbeefcafebabe', 'nosuchkey', 'x'} ],
	[ 'sk', q{7, '\xdeadbeefcafebabe', 'nosuchkey', 'x'} ])
{
	my ($tbl, $vals) = @$t;
	($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\nINSERT INTO $tbl VALUES ($vals)");
	like($err, qr/key "nosuchkey" .* is not registered/, "$tbl: a row signed by an unknown key is refused")
	  or diag($err);
	unlike($err, qr/deadbeef/i, "$tbl: the message holds no signature bytes");
	like($err, qr/with message hash [0-9a-f]{64}/, "$tbl: the row is named by its message hash");
}

done_testing();
