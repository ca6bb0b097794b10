# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Point-in-time recovery (a base backup and archived WAL replayed to a
# named restore point), the way a bank undoes a mistake:
#  - the recovered cluster holds the ledger as it was at the target: it
#    verifies against the digest taken just before the target; transactions
#    committed before the target and not yet sealed there (the sealer held
#    off) are sealed after the recovery, on top of the last block replayed;
#  - history after the target is gone, and the digest taken then says so:
#    verify against it fails, naming the block the ledger no longer has,
#    and again once the recovered cluster has sealed new blocks under the
#    same numbers (a fork: docs/replication.md, "Point-in-time recovery").
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $p = ledger_node('pitr_primary', allows_streaming => 1, has_archiving => 1);
$p->safe_psql(
	'postgres', q{
CREATE EXTENSION ledger;
CREATE TABLE pay (id int PRIMARY KEY, payee text NOT NULL, amount numeric(18,2) NOT NULL);
SELECT ledger.create_ledger('pay');
INSERT INTO pay SELECT g, 'p' || g, g FROM generate_series(1, 20) g;
});
ok(wait_sealed($p, 'postgres'), 'primary: sealed before the backup');
$p->backup('base');
$p->safe_psql('postgres', "INSERT INTO pay SELECT g, 'p' || g, g FROM generate_series(21, 40) g");
my $d_before = $p->safe_psql('postgres', "SELECT ledger.digest('pay')");

# Two commits left unsealed at the restore point: the sealer waits for the
# ledger's row, held here until after the restore point is made.
my $lid = $p->safe_psql('postgres', "SELECT ledger_id FROM ledger.ledgers WHERE relation = 'pay'::regclass");
my $hold = $p->background_psql('postgres');
$hold->query_safe("BEGIN; SELECT 1 FROM ledger.ledgers WHERE ledger_id = $lid FOR NO KEY UPDATE");
$p->safe_psql('postgres', "INSERT INTO pay VALUES (41, 'unsealed at the target', 41)");
$p->safe_psql('postgres', "INSERT INTO pay VALUES (42, 'unsealed at the target', 42)");
is(verify($p, 'postgres', 'pay')->{unsealed}, 2, 'primary: two transactions unsealed at the restore point');
$p->safe_psql('postgres', "SELECT pg_create_restore_point('before_mistake')");
$hold->query_safe('COMMIT');
$hold->quit;
# sealed before the "mistake", so that the lost history's digest names a
# block past the recovered history's end (a background pass skips a held
# ledger and comes back: it could otherwise seal both in one block)
wait_sealed($p, 'postgres') or die 'the transactions of the target were not sealed';

# the "mistake" and what follows it, sealed and digested
$p->safe_psql('postgres', "INSERT INTO pay SELECT g, 'after the target', g FROM generate_series(43, 60) g");
my $d_after = $p->safe_psql('postgres', "SELECT ledger.digest('pay')");
my $rows_after = $p->safe_psql('postgres', 'SELECT count(*) FROM pay');
# the segment holding the restore point and all before it, archived
# (the name of the segment just completed: WAL written after the switch,
# by the sealer or autovacuum, goes to the next one)
my $walfile = $p->safe_psql('postgres', 'SELECT pg_walfile_name(pg_switch_wal())');
$p->poll_query_until('postgres', "SELECT '$walfile' <= last_archived_wal FROM pg_stat_archiver")
  or die "WAL segment $walfile not archived";
$p->stop;

my $r = PostgreSQL::Test::Cluster->new('pitr_recovered');
$r->init_from_backup($p, 'base', has_restoring => 1);
$r->append_conf('postgresql.conf',
	"recovery_target_name = 'before_mistake'\nrecovery_target_action = 'promote'\n");
$r->start;
$r->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()') or die 'recovery did not end';

is($r->safe_psql('postgres', 'SELECT count(*) FROM pay'), '42', 'recovered: the rows of the target, not those after');
ok(wait_sealed($r, 'postgres'), 'recovered: the transactions unsealed at the target are sealed');
verify_ok($r, 'postgres', 'pay', $d_before, 'recovered: verifies against the digest taken before the target');
my $v = verify($r, 'postgres', 'pay');
is($v->{unsealed}, 0, 'recovered: nothing unsealed');
is($v->{rows}, 42, 'recovered: 42 rows verified');

my $bad = verify($r, 'postgres', 'pay', $d_after);
is($bad->{ok}, 'f', 'recovered: verify against the digest taken after the target fails');
like($bad->{problem}, qr/^the digest names block \d+, but the ledger ends at block \d+: blocks were removed$/,
	'... saying the blocks it names are gone');

# new history on the recovered cluster: blocks under the numbers the lost
# history had, up to the block its digest names (how many blocks the lost
# history took depends on when the sealer ran, so one block per
# transaction here until the number is reached); the digest of the lost
# history still fails, the new one passes
my ($after_block) = $d_after =~ /"block": (\d+)/;
my $head = sub {
	$r->safe_psql('postgres',
		q{SELECT coalesce(max(b.block_no), -1) FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'pay'::regclass});
};
for my $id (43 .. 80)
{
	$r->safe_psql('postgres', "INSERT INTO pay VALUES ($id, 'new history', $id)");
	$r->safe_psql('postgres', "SELECT ledger.seal('pay')");
	last if $head->() >= $after_block;
}
cmp_ok($head->(), '>=', $after_block, 'recovered: the new history reaches the block the lost digest names');
my $d_new = $r->safe_psql('postgres', "SELECT ledger.digest('pay')");
verify_ok($r, 'postgres', 'pay', $d_new, 'recovered: new history verifies against its own digest');
verify_ok($r, 'postgres', 'pay', $d_before, '... and against the digest taken before the target');
$bad = verify($r, 'postgres', 'pay', $d_after);
is($bad->{ok}, 'f', 'recovered: the digest of the lost history still fails (a fork)');
like($bad->{problem}, qr/^block \d+ differs from the digest: the digest has hash [0-9a-f]{64}, the ledger [0-9a-f]{64}$/,
	'... saying its block differs');

$r->stop;
done_testing();
