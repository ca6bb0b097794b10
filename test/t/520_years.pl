
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# A ledger that runs for years: the 32-bit transaction id wraps (and its
# epoch changes) under ledgers, a signed ledger and prepared transactions
# holding ledger rows, with the sealer running.  pg_resetwal puts the node
# a few hundred transaction ids before the wrap (after VACUUM FREEZE of
# every database: older rows would otherwise read as written in the
# future), with the pg_xact segment the new ids need made by hand, as
# pg_resetwal's documentation asks.  Then the wall clock set back an hour
# while the server runs: the sealers' launcher started no sealer until the
# clock came back to its last start (fixed 2026-12-06).

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest qw(poll_until);

my $node = ledger_node('years', conf => "max_prepared_transactions = 5\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE pay (id int PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('pay');
	CREATE TABLE t3 (id int PRIMARY KEY, memo text, key_id text, sig bytea);
	SELECT ledger.create_ledger('t3');
	SELECT ledger.require_signatures('t3', 'sig', 'key_id');
	INSERT INTO pay SELECT g, g FROM generate_series(1, 5) g;
});
my ($pub) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', 'rfc8032-1' ]);
$pub =~ s/\s+//g;
$node->safe_psql('postgres',
	"SELECT ledger.add_key('k1', 'k1', 'ed25519', '\\x$pub', now() - interval '1 minute')");

sub signed_row
{
	my ($id, $memo) = @_;
	my $hex = $node->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('t3', ROW($id, '$memo', 'k1', NULL, NULL, NULL, NULL)::t3), 'hex')");
	my $sig = sign_hex('ed25519', 'rfc8032-1', $hex);
	return "($id, '$memo', 'k1', '\\x$sig')";
}

$node->safe_psql('postgres', 'INSERT INTO t3 VALUES ' . signed_row(1, 'a'));
ok(wait_sealed($node, 'postgres'), 'sealed before the reset');
# a ledger dropped, its OID given again by pg_resetwal -o below
$node->safe_psql('postgres', q{
	CREATE TABLE gone (id int PRIMARY KEY);
	SELECT ledger.create_ledger('gone');
	INSERT INTO gone VALUES (1);
});
ok(wait_sealed($node, 'postgres'), 'gone sealed');
my $gone = $node->safe_psql('postgres', "SELECT 'gone'::regclass::oid");
$node->safe_psql('postgres', "SELECT ledger.drop_ledger('gone')");
for my $db (qw(postgres template1))
{
	$node->safe_psql($db, 'VACUUM FREEZE');
}
$node->stop;

# epoch 7, 0x200 ids before the wrap
my ($ret, $out, $err);
my $pgdata = $node->data_dir;
my $start_xid = 0xFFFFFE00;
command_ok([ 'pg_resetwal', '-e', '7', '-x', sprintf('0x%X', $start_xid), '-o', $gone, $pgdata ],
	'pg_resetwal -e -x -o');
my $seg = sprintf('%s/pg_xact/%04X', $pgdata, $start_xid >> 20);
open(my $fh, '>', $seg) or die "$seg: $!";
binmode $fh;
print $fh "\0" x (8192 * 32);
close($fh);
$node->start;
# relfrozenxid of every table is from before the jump, and would read as
# later than the new ids (VACUUM: "found xmin ... from before
# relfrozenxid"): a VACUUM sets it again (vac_update_relstats takes a
# relfrozenxid in the future as bogus)
for my $db (qw(postgres template1))
{
	$node->safe_psql($db, 'VACUUM FREEZE');
}
is($node->safe_psql('postgres', 'SELECT pg_current_xact_id()::text::int8 >> 32'), '7', 'epoch 7');

# the OID of the dropped ledger, reused: an ordinary table, then a new ledger
$node->safe_psql('postgres', 'CREATE TABLE reborn (id int PRIMARY KEY)');
is($node->safe_psql('postgres', "SELECT 'reborn'::regclass::oid"), $gone, 'reborn has the OID gone had');
$node->safe_psql('postgres', 'INSERT INTO reborn VALUES (1)');
($ret, $out, $err) = $node->psql('postgres', "SELECT ok FROM ledger.verify('reborn')");
like($err, qr/is not a ledger/, 'reborn is not a ledger');
$node->safe_psql('postgres', "SELECT ledger.create_ledger('reborn')");
$node->safe_psql('postgres', 'INSERT INTO reborn VALUES (2)');
ok(wait_sealed($node, 'postgres'), 'reborn sealed');
is($node->safe_psql('postgres', "SELECT transactions_checked FROM ledger.verify('reborn')"), '2',
	'reborn\'s history is its own (genesis and one insert)');

# before the wrap: rows, a signed row, prepared transactions holding rows
$node->safe_psql('postgres', 'INSERT INTO pay SELECT g, g FROM generate_series(6, 10) g');
$node->safe_psql('postgres', 'INSERT INTO t3 VALUES ' . signed_row(2, 'b'));
$node->safe_psql('postgres',
	"BEGIN; INSERT INTO pay VALUES (100, 1); INSERT INTO t3 VALUES " . signed_row(100, 'p1')
	  . "; PREPARE TRANSACTION 'p1'");
$node->safe_psql('postgres',
	"BEGIN; INSERT INTO pay VALUES (200, 1); INSERT INTO t3 VALUES " . signed_row(200, 'p2')
	  . "; PREPARE TRANSACTION 'p2'");
my $p1 = $node->safe_psql('postgres', "SELECT transaction FROM pg_prepared_xacts WHERE gid = 'p1'");
cmp_ok($p1, '>', 0xFFFFFE00, "p1 prepared before the wrap (xid $p1)");
ok(wait_sealed($node, 'postgres'), 'sealed before the wrap');

# across the wrap
$node->safe_psql('postgres', q{
	CREATE PROCEDURE burn(n int) LANGUAGE plpgsql AS $$
	BEGIN
		FOR i IN 1 .. n LOOP
			PERFORM pg_current_xact_id();
			COMMIT;
		END LOOP;
	END $$;
	CALL burn(1000);
});
is($node->safe_psql('postgres', 'SELECT pg_current_xact_id()::text::int8 >> 32'), '8', 'epoch 8: the xid wrapped');
$node->safe_psql('postgres', 'INSERT INTO pay SELECT g, g FROM generate_series(11, 15) g');
$node->safe_psql('postgres', 'INSERT INTO t3 VALUES ' . signed_row(3, 'c'));
ok(wait_sealed($node, 'postgres'), 'sealed after the wrap, prepared transactions from before it open');

($ret, $out, $err) = $node->psql('postgres', "COMMIT PREPARED 'p1'");
is($ret, 0, 'COMMIT PREPARED across the wrap (signed rows)') or diag($err);
ok(wait_sealed($node, 'postgres'), 'p1 sealed');

# a crash empties the unlogged work list: its rebuild watches p2, prepared
# in the epoch before
$node->stop('immediate');
$node->start;
$node->safe_psql('postgres', 'INSERT INTO pay VALUES (16, 16)');
ok(wait_sealed($node, 'postgres'), 'sealed after the crash, p2 still prepared');
my $watch = $node->safe_psql('postgres',
	'SELECT xact_id FROM ledger.seal_queue WHERE ledger_id = 0 AND xact_id <> 0');
is($watch, (7 << 32) + $node->safe_psql('postgres', "SELECT transaction FROM pg_prepared_xacts WHERE gid = 'p2'"),
	'the rebuild watches p2 by its full id, in epoch 7');
($ret, $out, $err) = $node->psql('postgres', "COMMIT PREPARED 'p2'");
is($ret, 0, 'COMMIT PREPARED of p2 after the crash') or diag($err);
ok(wait_sealed($node, 'postgres'), 'p2 sealed');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ledger.seal_queue WHERE ledger_id <> 0'), '0',
	'work list empty');

is($node->safe_psql('postgres', 'SELECT count(*) FROM pay'), '18', 'every pay row');
is($node->safe_psql('postgres', 'SELECT count(*) FROM t3'), '5', 'every signed row');
verify_ok($node, 'postgres', 'pay', undef, 'pay verifies after the wrap');
verify_ok($node, 'postgres', 't3', undef, 't3 verifies after the wrap');

# prove a row from before and one from after the wrap
for my $id (1, 16, 200)
{
	my ($x, $s) = split /\|/, $node->safe_psql('postgres', "SELECT ledger_xact, ledger_seq FROM pay WHERE id = $id");
	($ret, $out, $err) = $node->psql('postgres', "SELECT ledger.prove('pay', $x, $s) IS NOT NULL");
	is($out, 't', "prove row $id") or diag($err);
}

# freezing after the wrap: ledger, signed and catalog tables
for my $sql ('VACUUM (FREEZE) pay', 'VACUUM (FREEZE) t3', 'VACUUM (FREEZE)')
{
	($ret, $out, $err) = $node->psql('postgres', $sql);
	is($ret, 0, "$sql after the wrap") or diag($err);
}
verify_ok($node, 'postgres', 'pay', undef, 'pay verifies after VACUUM FREEZE');
verify_ok($node, 'postgres', 't3', undef, 't3 verifies after VACUUM FREEZE');

# ---------- clock steps ----------
# The system clock cannot be set here: the server runs with a preloaded
# shim whose gettimeofday() (GetCurrentTimestamp's clock) is the real one
# less the microseconds written in a file, so that the clock can be set
# back while the server runs, as NTP or a corrected host clock does.
my $tmp = PostgreSQL::Test::Utils::tempdir();
my $shift = "$tmp/shift";
open($fh, '>', "$tmp/shift.c") or die;
print $fh <<'C';
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	static int (*real) (struct timeval *, void *);
	const char *path = getenv("LEDGER_CLOCK_SHIFT_FILE");
	long long	off = 0;
	int			r;
	FILE	   *f;

	if (real == NULL)
		real = (int (*) (struct timeval *, void *)) dlsym(RTLD_NEXT, "gettimeofday");
	r = real(tv, tz);
	if (r == 0 && path != NULL && (f = fopen(path, "r")) != NULL)
	{
		if (fscanf(f, "%lld", &off) == 1 && off != 0)
		{
			long long	us = (long long) tv->tv_sec * 1000000 + tv->tv_usec - off;

			tv->tv_sec = us / 1000000;
			tv->tv_usec = us % 1000000;
		}
		fclose(f);
	}
	return r;
}
C
close($fh);
system('cc', '-shared', '-fPIC', '-O2', '-o', "$tmp/shift.so", "$tmp/shift.c", '-ldl') == 0
  or die 'could not build the clock shim';

sub set_shift
{
	my ($us) = @_;
	open(my $f, '>', "$shift.new") or die;
	print $f "$us\n";
	close($f);
	rename("$shift.new", $shift) or die;
}
set_shift(0);

my $clock;
{
	local $ENV{LD_PRELOAD} = "$tmp/shift.so";
	local $ENV{LEDGER_CLOCK_SHIFT_FILE} = $shift;
	$clock = ledger_node('years_clock', conf => "ledger.margin_database = 'postgres'\n");
}
# the shim is in the server only when nothing else sets LD_PRELOAD for it
# (LEDGER_ASAN=1 wraps postgres in a script that does)
set_shift(3600 * 1000000);
my $shifted = $clock->safe_psql('postgres', 'SELECT extract(epoch FROM now())::int8') < time() - 1800;
set_shift(0);
SKIP:
{
skip 'the server did not take the clock shim (LD_PRELOAD set for it by a wrapper)', 10 unless $shifted;
$clock->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE pay (id int PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('pay');
	INSERT INTO pay VALUES (1, 1);
});
ok(wait_sealed($clock, 'postgres'), 'clock: sealed');
# the sealer leaves after a second idle; then the clock goes back an hour
sleep 3;
set_shift(3600 * 1000000);
my $t = $clock->safe_psql('postgres', "SELECT now() < (SELECT max(sealed_at) FROM ledger.blocks)");
is($t, 't', 'clock: now() is before the last block\'s sealed_at');
$clock->safe_psql('postgres', 'INSERT INTO pay VALUES (2, 2)');
ok(wait_sealed($clock, 'postgres', 10),
	'clock set back an hour: a commit is still sealed (before: not for an hour, the launcher waiting for the clock to pass its last start)');
$clock->safe_psql('postgres', 'INSERT INTO pay VALUES (3, 3)');
ok(wait_sealed($clock, 'postgres', 10), 'clock set back: the next commit too');
verify_ok($clock, 'postgres', 'pay', undef, 'clock: verifies with a block sealed before the one before it');

# Scheduled checkpoints (ledger.checkpoint_interval): one per interval at
# most, judged by the made_at of the ledger's checkpoints; one made before
# the clock went back is later than now() until the clock comes back to it.
set_shift(0);
$clock->safe_psql('postgres', qq{
	SELECT ledger.add_key('cp', 'cp', 'ed25519', '\\x$pub');
	SELECT ledger.set_institution('bank-a', 'cp');
	ALTER SYSTEM SET ledger.checkpoint_interval = '1s';
	SELECT pg_reload_conf();
});
$clock->safe_psql('postgres', 'INSERT INTO pay VALUES (4, 4)');
my $cps = 'SELECT (SELECT count(*) FROM ledger.checkpoints)';
ok(poll_until($clock, "$cps >= 1", 10), 'clock: a scheduled checkpoint');
sleep 3;
my $ncp = $clock->safe_psql('postgres', $cps);
set_shift(3600 * 1000000);
$clock->safe_psql('postgres', 'INSERT INTO pay VALUES (5, 5)');
ok(wait_sealed($clock, 'postgres', 10), 'clock set back an hour: sealed');
ok(poll_until($clock, "$cps > $ncp", 10),
	'clock set back an hour: the grown history gets its scheduled checkpoint (before: not for an hour)');

# The margin launcher starts the scheduler again at most once every 10 s,
# judged from its last start, which the clock set back put an hour ahead:
# a scheduler that stopped was not started again for an hour (fixed
# 2026-12-06).  The scheduler started before the step; it is ended.
my $sched = "SELECT pid FROM pg_stat_activity WHERE backend_type = 'ledger margin scheduler'";
ok(poll_until($clock, "SELECT EXISTS ($sched)", 30), 'clock: the margin scheduler runs');
my $old_pid = $clock->safe_psql('postgres', $sched);
$clock->safe_psql('postgres', "SELECT pg_terminate_backend(($sched))");
ok(poll_until($clock, "SELECT EXISTS ($sched AND pid <> $old_pid)", 40),
	'clock set back an hour: a margin scheduler that stopped is started again (before: not for an hour)');
}
$clock->stop;
set_shift(0);


done_testing();
