# A peer whose data directory fills while its apply worker applies.
#
# A transient error of the apply worker (disk full, class 53; a lock
# timeout) disables the subscription (disable_on_error), and ledger enables
# it again after ledger.sync_reconnect_delay.  That intent outlives a crash
# only through pg_stat_tmp/ledger_replica_errors.stat, which the apply
# worker writes before its disabling commits.  On a full volume the file
# cannot be written either: until 2026-12-07 the disabling committed all
# the same, and a crash while the volume was full (PostgreSQL PANICs when
# WAL on that volume cannot be written) left the subscription disabled for
# good, with no error in ledger.replication_status, after space came back
# (found by filling a peer's volume, a loop-mounted ext4 image: the log
# said `could not write file "pg_stat_tmp/ledger_replica_errors.stat.N.tmp":
# No space left on device`, then `subscription "S" has been disabled`).
# Now the disabling fails with it: the subscription stays enabled and
# PostgreSQL starts the apply worker again, which applies once the cause is
# gone, with or without a crash in between.
#
# Needs no root: the file's directory is made read-only (the write fails as
# it does on a full volume), and the transient error is a lock timeout on
# the replica, which ledger treats as it treats a full disk.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('df_origin');
my $b = sync_node('df_peer',
	conf => "ledger.sync_reconnect_delay = 1\nrestart_after_crash = on\n");
my $ci = conninfo($a);
$a->safe_psql('postgres', q{
	CREATE TABLE f (id bigserial PRIMARY KEY, v int);
	SELECT ledger.create_ledger('f');
	INSERT INTO f (v) SELECT g FROM generate_series(1, 10) g;
	SELECT ledger.create_publication('pub_f', ARRAY['f'::regclass]);
});
$b->safe_psql('postgres', "SELECT ledger.create_subscription('sub_f', '$ci', 'pub_f')");
ok(defined caught_up($a, $b, 'f'), 'subscribed and caught up');

# The launcher's round (ledger.seal_interval) writes the file too: an hour,
# so that only the apply worker's write counts.  A cluster-wide lock_timeout
# makes the apply worker's wait for a DBA's lock a transient error.
$b->append_conf('postgresql.conf', "ledger.seal_interval = '1h'\nlock_timeout = '300ms'\n");
$b->reload;
sleep 2;
my $stat_tmp = $b->data_dir . '/pg_stat_tmp';
ok(chmod(0500, $stat_tmp), 'pg_stat_tmp cannot be written (as on a full volume)');

my $offset = -s $b->logfile;
my $dba = $b->background_psql('postgres');
$dba->query_safe("SET lock_timeout = 0");
$dba->query_safe("BEGIN; LOCK TABLE f IN ACCESS EXCLUSIVE MODE");
$a->safe_psql('postgres', 'INSERT INTO f (v) VALUES (11)');
$b->wait_for_log(qr/canceling statement due to lock timeout/, $offset);
$b->wait_for_log(qr/could not write file "pg_stat_tmp\/ledger_replica_errors\.stat/, $offset);
# what a DBA sees meanwhile: the error, whatever the state
sleep 1;
like($b->safe_psql('postgres', "SELECT state || ': ' || coalesce(last_error, 'no error') FROM ledger.replication_status WHERE peer = 'sub_f'"),
	qr/: canceling statement due to lock timeout$/, 'replication_status shows the apply worker\'s error');

# a crash while the file still cannot be written
my $launcher = $b->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher'");
ok($launcher =~ /^\d+$/ && kill('KILL', $launcher), 'peer crashes (a process killed)');
ok(poll_until($b, "SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher' AND pid <> $launcher", 60),
	'... and is back (the DBA\'s lock is gone with it)');
eval { $dba->quit };
ok(chmod(0700, $stat_tmp), 'pg_stat_tmp writable again');
$b->append_conf('postgresql.conf', "ledger.seal_interval = '100ms'\n");
$b->reload;

ok(poll_until($b, "SELECT subenabled FROM pg_subscription WHERE subname = 'sub_f'", 30),
	'the subscription is enabled, with no manual step');
$a->safe_psql('postgres', 'INSERT INTO f (v) VALUES (12)');
my $d = caught_up($a, $b, 'f');
ok(defined $d, 'the replica catches up');
is(row_set($b, 'f'), row_set($a, 'f'), 'nothing lost or duplicated');
verify_ok($b, 'postgres', 'f', $d, "the replica verifies against the origin's digest");

# 2. An administrator takes charge of a subscription whose reconnection is
# pending (here: disables it) while the file cannot be written.  The
# launcher's write of the change failed, and until 2026-12-07 it was tried
# again only at the next change: a crash after space came back read the
# old file, and ledger enabled the subscription behind the administrator.
$b->safe_psql('postgres', 'ALTER SYSTEM SET ledger.sync_reconnect_delay = 3600; SELECT pg_reload_conf()');
$a->safe_psql('postgres', "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'sub_f'");
ok(poll_until($b, "SELECT state = 'reconnecting' FROM ledger.replication_status WHERE peer = 'sub_f'", 30),
	'part 2: lost connection, reconnecting (in an hour)');
sleep 1;    # the launcher's rounds write it
ok(chmod(0500, $stat_tmp), '... pg_stat_tmp cannot be written');
$offset = -s $b->logfile;
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION sub_f DISABLE');
$b->wait_for_log(qr/could not write file "pg_stat_tmp\/ledger_replica_errors\.stat/, $offset);
is($b->safe_psql('postgres', "SELECT state FROM ledger.replication_status WHERE peer = 'sub_f'"), 'disabled',
	'... an administrator disables it: no reconnection pending; the launcher could not write the change');
ok(chmod(0700, $stat_tmp), '... pg_stat_tmp writable again');
$b->safe_psql('postgres', 'ALTER SYSTEM SET ledger.sync_reconnect_delay = 1; SELECT pg_reload_conf()');
sleep 2;    # the launcher's rounds
$launcher = $b->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher'");
ok($launcher =~ /^\d+$/ && kill('KILL', $launcher), '... then the peer crashes');
ok(poll_until($b, "SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher' AND pid <> $launcher", 60),
	'... and is back');
sleep 3;    # more than the delay
is($b->safe_psql('postgres', "SELECT subenabled FROM pg_subscription WHERE subname = 'sub_f'"), 'f',
	'the administrator\'s decision outlives the crash: still disabled');
unlike(slurp_file($b->logfile, $offset), qr/enabling subscription "sub_f" again/, '... ledger did not enable it');
is($b->safe_psql('postgres', "SELECT state FROM ledger.replication_status WHERE peer = 'sub_f'"), 'disabled',
	'... and replication_status says disabled');
is(scalar(() = slurp_file($b->logfile, $offset) =~ /LOG:  could not write file "pg_stat_tmp\/ledger_replica_errors/g), 1,
	'the launcher\'s failed write was logged once, though tried again each round');
# (since 2026-12-07 the administrator's session writes the file before its
# ALTER commits, test/t/589_cancel_crash.pl: its failure is a WARNING, and
# the ALTER goes on)
is(scalar(() = slurp_file($b->logfile, $offset) =~ /WARNING:  could not write file "pg_stat_tmp\/ledger_replica_errors/g), 1,
	'... and the administrator\'s session warned of its own');
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION sub_f ENABLE');
$a->safe_psql('postgres', 'INSERT INTO f (v) VALUES (13)');
$d = caught_up($a, $b, 'f');
ok(defined $d, 'enabled by the administrator, the replica catches up');
verify_ok($b, 'postgres', 'f', $d, "... and verifies against the origin's digest");

done_testing();
