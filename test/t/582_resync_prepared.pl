# Copyright (c) the ledger authors; PostgreSQL licence.
#
# A prepared transaction left at the origin (found by the random walk of
# test/t/585_chaos.pl, seed 1, on 2026-12-07): PostgreSQL makes a logical
# replication slot only once every transaction running at the origin has
# ended, prepared ones included, and resync_subscription dropped the
# subscription's slot before it made the new one.  So a resync waited for
# the prepared transaction without end, and when a statement_timeout (or a
# cancel) ended the wait, the subscription was left without a slot at the
# origin: nothing streamed any more until a resync could succeed, which the
# prepared transaction still prevented.  Now create_subscription and
# resync_subscription refuse, from their first look at the origin, before a
# slot is dropped or made, while the origin holds a prepared transaction.
# A refused resync (this one, or one that cannot reach the origin) keeps the
# subscription's replication origin progress too.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use LedgerTest;
use SyncTest;

my $a = sync_node('prep_origin', conf => "max_prepared_transactions = 2\n");
my $b = sync_node('prep_peer');
my $sub = 'b_from_a';
$a->safe_psql('postgres', q{
	CREATE TABLE t (id int PRIMARY KEY, v text);
	SELECT ledger.create_ledger('t');
	INSERT INTO t VALUES (1, 'one');
	SELECT ledger.create_publication('pub', ARRAY['t'::regclass]);
});
my $ci = conninfo($a);
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('$sub', '$ci', 'pub')"), '1', 'subscribed');
ok(defined caught_up($a, $b, 't'), 'caught up');

# where the subscription's apply stands (its replication origin's progress,
# once it applied a transaction)
$a->safe_psql('postgres', q{INSERT INTO t VALUES (10, 'streamed')});
ok(defined caught_up($a, $b, 't'), 'caught up with a streamed transaction');
my $progress = "SELECT coalesce(max(remote_lsn)::text, 'none') FROM pg_replication_origin_status o "
  . "JOIN pg_subscription s ON o.external_id = 'pg_' || s.oid WHERE s.subname = '$sub'";
my $at = $b->safe_psql('postgres', $progress);
isnt($at, '0/0', "the subscription's replication origin records where it stands ($at)");

$a->safe_psql('postgres', q{BEGIN; INSERT INTO t VALUES (2, 'prepared'); PREPARE TRANSACTION 'left_behind'});

my ($ret, $out, $err) = $b->psql('postgres',
	"SET statement_timeout = '30s'; SELECT ledger.resync_subscription('$sub')");
isnt($ret, 0, 'resync_subscription fails while the origin holds a prepared transaction');
like($err, qr/ERROR:  the origin holds prepared transaction "left_behind", which a new replication slot would wait for/,
	'... refused, naming the prepared transaction (not a statement timeout)');
like($err, qr/HINT:  End it at the origin with COMMIT PREPARED or ROLLBACK PREPARED/, '... with the way out');

# A refused resync left the subscription as it was, but not its
# replication origin's progress: DROP SUBSCRIPTION (run first, and rolled
# back) had cleared it in shared memory, where no rollback puts it back, so
# the apply worker would start again from the slot's confirmed position at
# the origin, behind what it had applied (found by the random walk, seed 2:
# a signed row arrived a second time and was refused as a replay).
is($b->safe_psql('postgres', $progress), $at, "... and the subscription's progress is kept");

# the stream goes on: the subscription's slot is still there
is($a->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$sub'"), '1',
	"the subscription's slot at the origin is still there");
$a->safe_psql('postgres', q{INSERT INTO t VALUES (3, 'after')});
ok(poll_until($b, 'SELECT count(*) = 1 FROM t WHERE id = 3', 30), 'a row written after the refused resync arrives');

($ret, $out, $err) = $b->psql('postgres',
	"SET statement_timeout = '30s'; SELECT ledger.create_subscription('other', '$ci', 'pub')");
like($err, qr/the origin holds prepared transaction "left_behind"/, 'create_subscription refuses the same way');

# the same for a resync that cannot reach the origin
ok(defined caught_up($a, $b, 't'), 'caught up');
$at = $b->safe_psql('postgres', $progress);
$a->stop;
($ret, $out, $err) = $b->psql('postgres', "SELECT ledger.resync_subscription('$sub')");
isnt($ret, 0, 'resync_subscription with the origin down fails');
is($b->safe_psql('postgres', $progress), $at, "... and the subscription's progress is kept");
$a->start;
$a->safe_psql('postgres', q{INSERT INTO t VALUES (4, 'after the origin came back')});
ok(poll_until($b, 'SELECT count(*) = 1 FROM t WHERE id = 4', 60), '... and it streams on once the origin is back');

$a->safe_psql('postgres', q{COMMIT PREPARED 'left_behind'});
is($b->safe_psql('postgres', "SELECT ledger.resync_subscription('$sub')"), '1', 'once it ends, the resync runs');
my $d = caught_up($a, $b, 't');
ok(defined $d, 'caught up after the resync');
is(row_set($b, 't'), row_set($a, 't'), 'same rows at both ends');
verify_ok($b, 'postgres', 't', $d, "the replica verifies against the origin's digest");

# A transaction manager's two-phase commit, prepared and committed within
# moments, is waited for (a grace of 5 s), not refused.
$a->safe_psql('postgres', q{BEGIN; INSERT INTO t VALUES (5, 'two-phase'); PREPARE TRANSACTION 'brief'});
my $caller = call_waiting($b, "resync_subscription('$sub')", "wait_event = 'Extension'",
	'the resync waits for the transaction prepared at the origin');
$a->safe_psql('postgres', q{COMMIT PREPARED 'brief'});
$caller->{stderr} = '';
$caller->query('SELECT 1');
is($caller->{stderr}, '', 'a transaction prepared and committed during the resync\'s first look is waited for, not refused');
$caller->quit;
$d = caught_up($a, $b, 't');
ok(defined $d, '... and the subscription streams on');
is(row_set($b, 't'), row_set($a, 't'), 'same rows at both ends');

# An origin busy with two-phase commits (two clients, each holding a
# prepared transaction for 20 ms of every cycle, for 12 s) nearly always
# holds a young prepared transaction: only those prepared at the first look
# are waited for, each for up to 5 s, so the resync runs (refused at once
# as first delivered; refused, more often than not, when any prepared
# transaction seen for 5 s in a row counted).
$a->safe_psql('postgres', 'CREATE TABLE xa (id bigint)');
my $script = PostgreSQL::Test::Utils::tempdir() . '/xa.sql';
open(my $fh, '>', $script) or die "xa.sql: $!";
print $fh "\\set r random(1, 1000000000)\nBEGIN;\nINSERT INTO xa VALUES (:r);\nPREPARE TRANSACTION 'x:client_id:r';\n\\sleep 20 ms\nCOMMIT PREPARED 'x:client_id:r';\n";
close($fh);
my ($xout, $xerr) = ('', '');
my $xa = IPC::Run::start(
	[ 'pgbench', '-n', '-c', '2', '-T', '12', '-f', $script, '-h', $a->host, '-p', $a->port, 'postgres' ],
	'>', \$xout, '2>', \$xerr);
ok(poll_until($a, 'SELECT count(*) > 100 FROM xa', 30), 'the origin commits in two phases without pause');
($ret, $out, $err) = $b->psql('postgres', "SET statement_timeout = '60s'; SELECT ledger.resync_subscription('$sub')");
is($err, '', 'resync_subscription beside them runs');
$xa->finish;
like($xout, qr/number of failed transactions: 0/, '... and the two-phase commits went on (none failed)');
unlike($xout . $xerr, qr/aborted/, '... no pgbench client aborted');
$d = caught_up($a, $b, 't');
ok(defined $d, '... and the subscription streams on');

done_testing();
