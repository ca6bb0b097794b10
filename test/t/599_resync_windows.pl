# Copyright (c) the ledger authors; PostgreSQL licence.
#
# The windows of ledger.resync_subscription() that test/t/588, 595 and 596
# left untested (a brief of 2026-12-07, resync4).  A resync records in the
# file of errors, before it drops anything, that the subscription's slot at
# the origin is being dropped; unless it commits, the sealer disables the
# subscription and ENABLE is refused until a resync (or ALTER SUBSCRIPTION
# ... SET (slot_name = ...)).
#  1. The peer crashes after the resync made its new slot at the origin
#     (a) its backend killed, (b) an immediate stop of the server, (c) the
#     postmaster killed: the
#     subscription comes back enabled, and a slot of its name exists at the
#     origin, after the origin's changes that the old subscription had not
#     applied.  Until 2026-12-07 (resync4) the apply worker, which the
#     launcher starts at once, streamed from that slot until the sealer
#     disabled the subscription (for ever without a sealer: (b) restarts
#     with ledger.sealer = off, which makes that window certain), and the
#     changes after the slot's start were applied past those in between,
#     which never arrived.  Now an apply worker whose subscription's slot a
#     failed resync dropped does not start; the subscription is disabled by
#     the sealer with the resync as its last error, and a resync brings
#     every row.
#  2. The file cannot be written (a directory of its name; pg_stat_tmp
#     read-only): the resync is refused before it drops anything (53000),
#     the slot, the subscription and its stream as they were; the error's
#     detail says why (until 2026-12-07, resync4, only the server log did,
#     and the hint spoke of a full volume whatever the cause).
#  3. ALTER SUBSCRIPTION ... SET (slot_name = ...) takes the record back
#     when it commits.  Until 2026-12-07 (resync4) only the launcher's next
#     round wrote that to the file, and a crash in between brought the
#     record back beside the administrator's ENABLE: the subscription ran
#     (from the slot the administrator named), its last error the failed
#     resync's, a later ENABLE refused.  Now the committing session writes
#     the file.
#  4. After a cancelled resync (its slot dropped, none made), until the
#     sealer disables the subscription: nothing applied, and the apply
#     worker's errors, if any, name the resync.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('rw_a');
my $b = sync_node('rw_b', conf => "restart_after_crash = on\n");
my $ci = acct_subscribed($a, $b);

sub status
{
	return $b->safe_psql('postgres',
		q{SELECT state || ' | ' || coalesce(last_error, '-') FROM ledger.replication_status WHERE peer = 'sub'});
}

sub ids
{
	return $b->safe_psql('postgres', q{SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM acct});
}

# the rows the origin holds, as ids() has them
sub origin_ids
{
	return $a->safe_psql('postgres', q{SELECT coalesce(string_agg(id::text, ',' ORDER BY id), '') FROM acct});
}

sub slot_at_origin
{
	return $a->safe_psql('postgres',
		q{SELECT count(*) || ' ' || coalesce(max(confirmed_flush_lsn)::text, '-') FROM pg_replication_slots WHERE slot_name = 'sub'});
}

sub insert_at_origin
{
	my ($id) = @_;
	$a->safe_psql('postgres', "INSERT INTO acct VALUES ($id, " . (10 * $id) . ")");
}

# ---------- 1. a crash after the resync made its new slot ----------
# Row $gap is written at the origin while the apply worker waits for a lock
# on the replica: the resync's DROP SUBSCRIPTION stops the worker before it
# applied it, and the new slot starts after it.  The resync then waits for
# the same lock, row $late is written at the origin (after the new slot),
# and $crash crashes the peer.
sub crash_after_new_slot
{
	my ($crash, $part, $gap, $late) = @_;
	is(sub_enabled($b, 'sub'), 't', "part $part: the subscription is enabled");
	my $holder = $b->background_psql('postgres');
	$holder->query_safe('BEGIN; LOCK TABLE acct IN ACCESS EXCLUSIVE MODE');
	insert_at_origin($gap);
	ok( poll_until(
			$b, q{SELECT count(*) = 1 FROM pg_stat_activity
			 WHERE backend_type = 'logical replication worker' AND wait_event_type = 'Lock'}, 30),
		"... the apply worker waits for the replica's lock, with row $gap");
	my $session = $b->background_psql('postgres', on_error_stop => 0);
	$session->query_until(qr/started/, "\\echo started\nSELECT ledger.resync_subscription('sub');\n");
	ok( poll_until(
			$b, q{SELECT count(*) = 1 FROM pg_stat_activity
			 WHERE query LIKE 'SELECT ledger.resync_subscription(%' AND wait_event_type = 'Lock'
			 AND backend_type = 'client backend'}, 30),
		'... a resync waits for the same lock, after it made its new slot');
	like(slot_at_origin(), qr/^1 /, '... a slot of the name at the origin');
	insert_at_origin($late);
	my $pid = $b->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT ledger.resync_subscription(%' AND backend_type = 'client backend'});
	my $off = -s $b->logfile;
	$crash->($pid, $off);
	eval { $session->quit; };
	eval { $holder->quit; };
	poll_until($b, 'SELECT true', 60) or die "the peer did not restart";
	return $off;
}

# (a) the resync's backend killed: the server crashes and restarts
my $off = crash_after_new_slot(
	sub {
		my ($pid, $off) = @_;
		kill('KILL', $pid);
		for (1 .. 600)
		{
			last if slurp_file($b->logfile, $off) =~ /all server processes terminated; reinitializing(.|\n)*database system is ready to accept connections/;
			select(undef, undef, undef, 0.1);
		}
	},
	'1a', 2, 3);
like(slurp_file($b->logfile, $off), qr/terminated by signal 9/, '... its backend killed: the peer crashed');
my $slot = slot_at_origin();
ok(poll_until($b, q{SELECT NOT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30),
	'... the sealer disables the subscription');
like(status(),
	qr/^disabled \| ledger\.resync_subscription\(\) did not end after it began to drop the subscription's slot at the origin: /,
	'... "disabled", the resync its last error');
sleep 1;
is(ids(), '1', '... nothing streamed from the new slot (before: row 3, after the new slot\'s start, applied; row 2 never)');
is(slot_at_origin(), $slot, '... the new slot at the origin not advanced');
resync_recovers($a, $b, 4);
is(ids(), origin_ids(), '... every row the origin holds');

# (b) an immediate stop of the server, restarted without a sealer: nothing
# disables the subscription, its apply worker must not stream all the same
($off) = crash_after_new_slot(
	sub {
		$b->stop('immediate');
		$b->append_conf('postgresql.conf', "ledger.sealer = off\n");
		$b->start;
	},
	'1b', 5, 6);
$slot = slot_at_origin();
sleep 3;    # fifteen times wal_retrieve_retry_interval
is(sub_enabled($b, 'sub'), 't', '... restarted without a sealer, the subscription is still enabled');
is(ids(), '1,2,3,4', '... nothing streamed from the new slot (before: row 6 applied, row 5 never)');
is(slot_at_origin(), $slot, '... the new slot at the origin not advanced');
like(slurp_file($b->logfile, $off),
	qr/logical replication apply worker for subscription "sub" cannot start: ledger\.resync_subscription\(\) dropped its slot at the origin\n.*DETAIL:  ledger\.resync_subscription\(\) did not end after it began to drop.*\n.*HINT:  Call ledger\.resync_subscription\('sub'\)/,
	'... its apply worker refuses to start, and says why');
like(status(),
	qr/ \| ledger\.resync_subscription\(\) did not end after it began to drop the subscription's slot at the origin: /,
	'... the resync stays its last error');
$b->append_conf('postgresql.conf', "ledger.sealer = on\n");
$b->restart;
ok(poll_until($b, q{SELECT NOT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30),
	'... with the sealer again: disabled');
resync_recovers($a, $b, 7);
is(ids(), origin_ids(), '... every row the origin holds');

# (c) the postmaster killed (kill -9): the other processes exit on its
# death, and the server is started again
($off) = crash_after_new_slot(
	sub {
		my $pm = $b->{_pid};
		my @children = grep { /^\d+$/ } split /\s+/, `ps -o pid= --ppid $pm`;
		$b->kill9;
		for (1 .. 300)
		{
			last unless grep { kill(0, $_) } @children;
			select(undef, undef, undef, 0.1);
		}
		$b->start;
	},
	'1c', 16, 17);
$slot = slot_at_origin();
ok(poll_until($b, q{SELECT NOT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30),
	'... the sealer disables the subscription');
like(status(),
	qr/^disabled \| ledger\.resync_subscription\(\) did not end after it began to drop the subscription's slot at the origin: /,
	'... "disabled", the resync its last error');
sleep 1;
is($b->safe_psql('postgres', 'SELECT count(*) FROM acct WHERE id IN (16, 17)'), '0', '... nothing streamed from the new slot');
is(slot_at_origin(), $slot, '... the new slot at the origin not advanced');
resync_recovers($a, $b, 18);
is(ids(), origin_ids(), '... every row the origin holds');

# ---------- 2. the file cannot be written: refused before any drop ----------
my $file = $b->data_dir . '/pg_stat_tmp/ledger_replica_errors.stat';
sub refused_before_drop
{
	my ($what, $id, $reason) = @_;
	my ($ret, $out, $err) = $b->psql('postgres', "\\set VERBOSITY verbose\nSELECT ledger.resync_subscription('sub')");
	like($err, qr/ERROR:  53000: could not record that subscription's slot at the origin is being dropped/,
		"part 2 ($what): the resync is refused, 53000");
	like($err, qr/DETAIL:  The file "pg_stat_tmp\/ledger_replica_errors\.stat" could not be written: $reason; nothing was dropped\./,
		'... the detail says why');
	ok( poll_until(
			$a, q{SELECT count(*) = 1 FROM pg_replication_slots WHERE slot_name = 'sub' AND active}, 30),
		'... the slot at the origin is there, streamed from');
	is(sub_enabled($b, 'sub'), 't', '... the subscription is enabled');
	insert_at_origin($id);
	ok(caught_up($a, $b, 'acct'), '... and streams on');
	is(status(), 'streaming | -', '... no resync recorded');
	($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub DISABLE; ALTER SUBSCRIPTION sub ENABLE');
	is($err, '', '... DISABLE and ENABLE accepted');
}
unlink $file;
mkdir $file or die "mkdir $file: $!";
refused_before_drop('a directory of the file\'s name', 8, 'Is a directory');
rmdir $file or die "rmdir $file: $!";
chmod 0500, $b->data_dir . '/pg_stat_tmp';
refused_before_drop('pg_stat_tmp read-only', 9, 'Permission denied');
chmod 0700, $b->data_dir . '/pg_stat_tmp';
insert_at_origin(10);
ok(caught_up($a, $b, 'acct'), 'the file writable again: streaming');
is(ids(), origin_ids(), '... every row the origin holds');

# ---------- 3. SET (slot_name) committed, then a crash before the file ----------
sub crash_after
{
	my ($sql) = @_;
	my $launcher = $b->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher'");
	die "no launcher" unless $launcher =~ /^\d+$/;
	kill('STOP', $launcher);
	my ($ret, $out, $err) = $b->psql('postgres', $sql, on_error_stop => 0);
	kill('KILL', $launcher);
	poll_until($b, "SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher' AND pid <> $launcher", 60)
	  or die "the peer did not restart";
	return $err;
}
my $holder = $b->background_psql('postgres');
$holder->query_safe('BEGIN; LOCK TABLE acct IN ACCESS EXCLUSIVE MODE');
my ($ret, $out, $err) = $b->psql('postgres', "SET lock_timeout = '1s'; SELECT ledger.resync_subscription('sub')");
like($err, qr/dropped the subscription's slot "sub" at the origin/, 'part 3: a resync failed after it dropped the slot');
$holder->query_safe('COMMIT');
$holder->quit;
ok(poll_until($b, q{SELECT NOT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30), '... disabled');
insert_at_origin(11);
# 3a: the launcher stopped, so nothing writes the file before the crash
$err = crash_after(q{ALTER SUBSCRIPTION sub SET (slot_name = 'sub'); ALTER SUBSCRIPTION sub ENABLE});
is($err, '', '... SET (slot_name) and ENABLE committed, then a crash before the launcher wrote the file');
ok(poll_until($b, q{SELECT NOT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30),
	'... the record back: the sealer disables the subscription');
ok( poll_until(
		$b, q{SELECT last_error LIKE '%ledger.resync_subscription()%' FROM ledger.replication_status WHERE peer = 'sub'},
		30),
	'... its last error the failed resync\'s');
($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub ENABLE');
like($err, qr/ERROR:  cannot enable subscription "sub": ledger\.resync_subscription\(\) dropped its slot at the origin/,
	'... ENABLE refused, consistently');
# 3b: the launcher running, woken by the commit: the file written at once
my $file = q{md5(pg_read_binary_file('pg_stat_tmp/ledger_replica_errors.stat'))};
my $before = $b->safe_psql('postgres', "SELECT $file");
($ret, $out, $err) = $b->psql('postgres', q{ALTER SUBSCRIPTION sub SET (slot_name = 'sub'); ALTER SUBSCRIPTION sub ENABLE});
is($err, '', '... SET (slot_name) and ENABLE again');
ok(poll_until($b, "SELECT $file <> '$before'", 30), '... the file written');
$b->stop('immediate');
$b->start;
sleep 2;    # the sealer's passes after the restart
is(sub_enabled($b, 'sub'), 't', '... after a crash the administrator\'s ENABLE stands');
ok( poll_until(
		$b, q{SELECT last_error LIKE '%replication slot "sub" does not exist%'
		 FROM ledger.replication_status WHERE peer = 'sub'}, 30),
	'... the record stays dropped: the apply worker\'s own error (before: the record back, the resync its last error)');
($ret, $out, $err) = $b->psql('postgres', 'ALTER SUBSCRIPTION sub DISABLE; ALTER SUBSCRIPTION sub ENABLE');
is($err, '', '... DISABLE and ENABLE accepted (before: ENABLE refused)');
is($b->safe_psql('postgres', 'SELECT count(*) FROM acct WHERE id = 11'), '0', '... nothing applied meanwhile');
resync_recovers($a, $b, 12);
is(ids(), origin_ids(), '... every row the origin holds');

# ---------- 4. a cancelled resync, until the sealer disables ----------
$holder = $b->background_psql('postgres');
$holder->query_safe('BEGIN; LOCK TABLE acct IN ACCESS EXCLUSIVE MODE');
insert_at_origin(13);
$off = -s $b->logfile;
($ret, $out, $err) = $b->psql('postgres', "SET lock_timeout = '1s'; SELECT ledger.resync_subscription('sub')");
$holder->query_safe('COMMIT');
$holder->quit;
like($err, qr/canceling statement due to lock timeout/, 'part 4: a resync failed after it dropped the slot');
ok(poll_until($b, q{SELECT NOT subenabled FROM pg_subscription WHERE subname = 'sub'}, 30), '... disabled by the sealer');
insert_at_origin(14);
sleep 1;
is($b->safe_psql('postgres', 'SELECT count(*) FROM acct WHERE id IN (13, 14)'), '0', '... nothing applied');
my @errors = slurp_file($b->logfile, $off) =~ /^.*(?:ERROR|FATAL):  (.*)$/mg;
my @worker = grep { !/lock timeout|^terminating logical replication worker due to administrator command$/ } @errors;
is_deeply([ grep { !/^logical replication apply worker for subscription "sub" cannot start: ledger\.resync_subscription\(\) dropped its slot at the origin$/ } @worker ],
	[], '... the apply worker\'s errors meanwhile, if any, name the resync (before: "replication slot "sub" does not exist")')
  or diag(join("\n", @errors));
resync_recovers($a, $b, 15);
is(ids(), origin_ids(), '... every row the origin holds');

$a->stop;
$b->stop;
done_testing();
