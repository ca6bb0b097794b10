# 1. A peer that crashes right after a lost connection disabled its
# subscription, before the sealers' launcher wrote the error to
# pg_stat_tmp: after the crash the subscription must still be enabled
# again by ledger (docs/replication.md, "Failures").
# 2. Two ledger.checkpoint() calls at once at an origin: the one that read
#    its digest before the other stored a newer checkpoint reported the
#    history "cut back or rewritten" (XX001, a false alarm of tampering;
#    seen in a crash campaign on sync, seed 11 round 6).  The interleaving
#    is forced by calling what checkpoint() calls after its digest, with
#    the older digest, once the newer checkpoint is stored.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('cs_origin');
# the launcher's round is ledger.seal_interval: an hour here, so that it
# writes nothing between the error and the crash
my $b = sync_node('cs_peer', conf => "ledger.sync_reconnect_delay = 1\nrestart_after_crash = on\n");
my $ci = conninfo($a);
$a->safe_psql('postgres', q{
	CREATE TABLE f (id bigserial PRIMARY KEY, v int);
	SELECT ledger.create_ledger('f');
	INSERT INTO f (v) SELECT g FROM generate_series(1, 10) g;
	SELECT ledger.create_publication('pub_f', ARRAY['f'::regclass]);
});
$b->safe_psql('postgres', "SELECT ledger.create_subscription('sub_f', '$ci', 'pub_f')");
ok(defined caught_up($a, $b, 'f'), 'subscribed and caught up');

$b->append_conf('postgresql.conf', "ledger.seal_interval = '1h'\n");
$b->reload;
sleep 2;
my $offset = -s $b->logfile;
$a->safe_psql('postgres', "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'sub_f'");
$b->wait_for_log(qr/subscription "sub_f" has been disabled because of an error/, $offset);
is($b->safe_psql('postgres', "SELECT state FROM ledger.replication_status WHERE peer = 'sub_f'"),
	'reconnecting', 'the lost connection disabled the subscription: reconnecting');
my $launcher = $b->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher'");
ok($launcher =~ /^\d+$/ && kill('KILL', $launcher), 'peer crashes (a process killed)');
ok(poll_until($b, "SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'ledger sealer launcher' AND pid <> $launcher", 60),
	'... and is back');
$b->append_conf('postgresql.conf', "ledger.seal_interval = '100ms'\n");
$b->reload;
# (reconnecting, or already enabled again: the delay is a second)
like($b->safe_psql('postgres', "SELECT state || ' ' || coalesce(last_error, 'no error') FROM ledger.replication_status WHERE peer = 'sub_f'"),
	qr/^(reconnecting|starting|catching up|streaming) could not receive data from WAL stream/,
	'after the crash: not disabled, and the error is kept');
ok(poll_until($b, "SELECT subenabled FROM pg_subscription WHERE subname = 'sub_f'", 30),
	'ledger enables the subscription again');
$a->safe_psql('postgres', 'INSERT INTO f (v) VALUES (11)');
my $d = caught_up($a, $b, 'f');
ok(defined $d, 'the replica catches up');
is(row_set($b, 'f'), row_set($a, 'f'), 'nothing lost or duplicated');
verify_ok($b, 'postgres', 'f', $d, "the replica verifies against the origin's digest");

# 2. concurrent checkpoints
my $pub = `python3 $ENV{TESTDIR}/test/sign_rows.py pub rfc8032-1`;
chomp $pub;
$a->safe_psql('postgres', qq{
	SELECT ledger.add_key('k1', 'tap', 'ed25519', '\\x$pub', now() - interval '1 day');
	SELECT ledger.set_institution('bank-x.example', 'k1');
	CREATE TABLE c (v int);
	SELECT ledger.create_ledger('c');
	INSERT INTO c VALUES (1);
});
my $older = $a->safe_psql('postgres', q{SELECT d->>'tree_size', d->>'tree_root' FROM ledger.digest('c') d});
my ($size1, $root1) = split /\|/, $older;
$a->safe_psql('postgres', 'INSERT INTO c VALUES (2)');
my $newer = $a->safe_psql('postgres', q{SELECT ledger.checkpoint('c')});
like($newer, qr/bank-x\.example/, 'a checkpoint of the newer history');
my ($ret, $out, $err) = $a->psql('postgres', qq{
	SELECT ledger._make_checkpoint(l.ledger_id, l.ledger_uuid, 'bank-x.example', $size1, decode('$root1', 'hex'))
	FROM ledger.ledgers l WHERE l.relation = 'c'::regclass});
is($err, '', 'the call that read the older digest: no error (it is the same history)');
is($out, $newer, '... and returns the newest checkpoint, the one the other call stored');
is($a->safe_psql('postgres', q{SELECT count(*) FROM ledger.checkpoints k JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'c'::regclass}),
	'1', '... storing no older checkpoint after it');
done_testing();
