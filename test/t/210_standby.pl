
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# A physical standby (streaming replication, the high-availability set-up
# of most banks) and its promotion.
#  - On the hot standby: verify passes, also against the primary's digest;
#    digest() describes the newest block replayed, equals the primary's,
#    and does not wait for a sealer (none runs during recovery: before,
#    every call waited ledger.digest_wait, 10 s, and said it could not
#    seal); prove() gives the primary's proof; seal() is refused with 25006.
#  - With transactions unsealed at the primary and one prepared (two-phase
#    commit), the standby is promoted: the sealer seals what the primary
#    left, the prepared transaction committed after the first pass too
#    (the unlogged work list is empty after a promotion; docs/design.md,
#    "Sealing"), and the history goes on from the primary's digest.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $p = ledger_node('standby_primary',
	allows_streaming => 1,
	conf => "max_prepared_transactions = 5\n");
$p->safe_psql(
	'postgres', q{
CREATE EXTENSION ledger;
CREATE TABLE pay (id int PRIMARY KEY, amount numeric(18,2) NOT NULL);
SELECT ledger.create_ledger('pay');
INSERT INTO pay SELECT g, g * 10 FROM generate_series(1, 10) g;
});
ok(wait_sealed($p, 'postgres'), 'primary: sealed');
$p->backup('b');
my $s = PostgreSQL::Test::Cluster->new('standby_standby');
$s->init_from_backup($p, 'b', has_streaming => 1);
$s->start;
$p->safe_psql('postgres', 'INSERT INTO pay VALUES (11, 110)');
ok(wait_sealed($p, 'postgres'), 'primary: the row after the backup sealed');
$p->wait_for_catchup($s);

# ---- the hot standby ----
my $pdigest = $p->safe_psql('postgres', "SELECT ledger.digest('pay')");
is($s->safe_psql('postgres', 'SELECT pg_is_in_recovery()'), 't', 'standby: in recovery');
verify_ok($s, 'postgres', 'pay', undef, 'standby: verify');
verify_ok($s, 'postgres', 'pay', $pdigest, "standby: verify against the primary's digest");
my ($ret, $sdigest, $err) = $s->psql('postgres', "SELECT ledger.digest('pay')");
is($ret, 0, 'standby: digest');
is($sdigest, $pdigest, "standby: digest equals the primary's");
is($err, '', 'standby: digest says nothing (it did not wait for a sealer)');
my ($x, $q) = split /\|/, $p->safe_psql('postgres', 'SELECT ledger_xact, ledger_seq FROM pay WHERE id = 3');
is( $s->safe_psql('postgres', "SELECT ledger.prove('pay', $x, $q)"),
	$p->safe_psql('postgres', "SELECT ledger.prove('pay', $x, $q)"),
	"standby: prove gives the primary's proof");
for my $call ("ledger.seal('pay')", 'ledger.seal()')
{
	($ret, my $out, $err) = $s->psql('postgres', "\\set VERBOSITY verbose\nSELECT $call");
	like($err, qr/ERROR:  25006: cannot seal ledgers during recovery/, "standby: $call refused (25006)");
}

# ---- unsealed and prepared work at the primary, then a promotion ----
$p->safe_psql('postgres', q{ALTER SYSTEM SET ledger.seal_interval = '1h'; SELECT pg_reload_conf()});
sleep 1;
$p->safe_psql(
	'postgres', q{
INSERT INTO pay VALUES (12, 120);
INSERT INTO pay VALUES (13, 130);
BEGIN; INSERT INTO pay VALUES (14, 140), (15, 150); PREPARE TRANSACTION 'sp1';
});
my $unsealed = $p->safe_psql('postgres',
	'SELECT count(*) FROM ledger.transaction_blocks WHERE block_no IS NULL');
ok($unsealed >= 1, "primary: $unsealed committed transactions unsealed");
$p->wait_for_catchup($s);
($ret, $sdigest, $err) = $s->psql('postgres', "SELECT ledger.digest('pay')");
is($sdigest, $pdigest, 'standby: with unsealed work replayed, digest describes the newest block replayed');
is($err, '', 'standby: and says nothing');
# (before 2026-12-05: "cannot access temporary or unlogged relations during recovery")
my ($pblock) = $pdigest =~ /"block": (\d+)/;
is( $s->safe_psql('postgres',
		"SELECT coalesce(unsealed_transactions::text, 'unknown') || ' ' || last_block_no "
		  . "FROM ledger.sealing_status WHERE ledger = 'pay'::regclass"),
	"unknown $pblock",
	'standby: sealing_status answers: what waits is unknown there, the newest block is the one replayed');
my $v = verify($s, 'postgres', 'pay');
is($v->{ok}, 't', 'standby: verify with unsealed work');
is($v->{unsealed}, $unsealed, 'standby: verify counts the unsealed transactions');

$p->stop;
$s->promote;
is($s->safe_psql('postgres', 'SELECT gid FROM pg_prepared_xacts'), 'sp1',
	'promoted: the prepared transaction is there');
$s->safe_psql('postgres', 'INSERT INTO pay VALUES (16, 160)');
ok(wait_sealed($s, 'postgres', 30), "promoted: the primary's unsealed work and a new row sealed");
$s->safe_psql('postgres', "COMMIT PREPARED 'sp1'");
# COMMIT PREPARED announces nothing to the sealer; the next commit does
$s->safe_psql('postgres', 'INSERT INTO pay VALUES (17, 170)');
ok(wait_sealed($s, 'postgres', 30),
	'promoted: a transaction prepared at the primary, committed after the promotion, sealed');
is($s->safe_psql('postgres', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM pay'),
	join(',', 1 .. 17), 'promoted: every row');
verify_ok($s, 'postgres', 'pay', $pdigest, "promoted: the history extends the primary's digest");
my $sealed = $s->safe_psql('postgres',
	q{SELECT count(DISTINCT block_no) FROM ledger.transaction_blocks tb JOIN pay ON pay.ledger_xact = tb.xact_id
	  WHERE pay.id BETWEEN 12 AND 17});
ok($sealed >= 1, "promoted: rows 12-17 in $sealed block(s)");
ok(!$s->log_contains('ERROR:  (?!cannot seal ledgers during recovery)|PANIC|TRAP'),
	'standby: no error but the refused seal() calls, no PANIC or assertion failure in its log');

$s->stop;
done_testing();
