
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Sync (issue #11): what a subscription of replicas writes at the peer is
# exactly its replicas and the catalog rows that are checked on arrival.
# A superuser at the origin who puts other tables into the publication
# (ledger.keys, ledger.replicas) before a peer subscribes or resyncs could
# otherwise have the apply worker write them at the peer unchecked: the
# peer's own keys changed, a ledger of the peer's own made a "replica" and
# fed forged rows that the peer then sealed as its own (found by a review
# on 2026-12-05, reproduced before the fix).  create_subscription and
# resync_subscription now refuse such a publication, and a refresh of a
# subscription holding replicas is refused also without the table copy.
# A column list in the origin's publication of the catalog left NULLs in
# arriving catalog rows that the checks read as values: the peer's server
# crashed (SIGSEGV) and crashed again each time the apply worker restarted;
# such a row is now refused, the subscription disabled.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('pub_origin');
my $b = sync_node('pub_peer');
my $sub = 'peer_from_origin';
my $ci = conninfo($a);

# Public keys of RFC 8032, section 7.1: TEST 1 (the peer's own key) and
# TEST 2 (the origin's key under the same id).
my $pk1 = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
my $pk2 = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c';

$a->safe_psql('postgres', qq{
	CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL);
	SELECT ledger.create_ledger('t');
	INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 5) g;
	SELECT ledger.create_publication('pub', ARRAY['t'::regclass]);
	SELECT ledger.add_key('alice', 'attacker', 'ed25519', '\\x$pk2');
});
ok(wait_sealed($a, 'postgres'), 'origin sealed');
$b->safe_psql('postgres', qq{
	SELECT ledger.add_key('alice', 'bank b', 'ed25519', '\\x$pk1');
	CREATE TABLE own (id int, v text);
	SELECT ledger.create_ledger('own');
	INSERT INTO own VALUES (1, 'mine');
});
my $peer_keys_q = q{SELECT string_agg(key_id || ' ' || owner || ' ' || encode(public_key, 'hex') || ' ' || coalesce(revoked_at::text, '-'), '; ' ORDER BY key_id) FROM ledger.keys};
my $peer_keys = $b->safe_psql('postgres', $peer_keys_q);

# ---------- a publication carrying more than ledgers and their catalog ----------
$a->safe_psql('postgres', 'ALTER PUBLICATION pub ADD TABLE ledger.keys, ledger.replicas');
my ($ret, $out, $err) = $b->psql('postgres',
	"\\set VERBOSITY verbose\nSELECT ledger.create_subscription('$sub', '$ci', 'pub')");
like($err,
	qr/ERROR:  55000: publication "pub" at the origin carries table ledger\.keys, which is neither one of its ledgers nor part of ledger's catalog that peers check/,
	'create_subscription refuses a publication that also carries ledger.keys and ledger.replicas');
is($b->safe_psql('postgres', 'SELECT count(*) FROM pg_subscription'), '0', '... no subscription is left at the peer');
is($b->safe_psql('postgres', "SELECT count(*) FROM ledger.replicas"), '0', '... no replica registered');
is($b->safe_psql('postgres', "SELECT to_regclass('t') IS NULL"), 't', '... no replica table left');
is($a->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$sub'"),
	'0', '... and no slot left at the origin');
is($b->safe_psql('postgres', $peer_keys_q), $peer_keys, "... the peer's own keys unchanged");

# ---------- the same tables added after the peer subscribed ----------
$a->safe_psql('postgres', 'ALTER PUBLICATION pub DROP TABLE ledger.keys, ledger.replicas');
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('$sub', '$ci', 'pub')"),
	'1', 'the publication of the ledger and its catalog alone: subscribed');
is( $b->safe_psql('postgres',
		"SELECT string_agg(srrelid::regclass::text, ',' ORDER BY srrelid::regclass::text) FROM pg_subscription_rel"),
	'ledger.blocks,ledger.checkpoint_signatures,ledger.checkpoints,ledger.ledger_keys,ledger.ledgers,ledger.signed_ledgers,ledger.transactions,t',
	'... its tables: the replica and the checked catalog');
ok(defined caught_up($a, $b, 't'), '... caught up');

$a->safe_psql('postgres', qq{
	ALTER PUBLICATION pub ADD TABLE ledger.keys, ledger.replicas;
	SELECT ledger.add_key('mallory', 'attacker', 'ed25519', '\\x$pk2');
	SELECT ledger.revoke_key('alice', 'taken over', '2000-01-01 00:00+00');
	INSERT INTO t VALUES (6, 'six');
});
my $dig = caught_up($a, $b, 't');
ok(defined $dig, 'rows written at the origin after it published ledger.keys arrive');
verify_ok($b, 'postgres', 't', $dig, '... and verify');
is($b->safe_psql('postgres', $peer_keys_q), $peer_keys,
	"... the origin's key changes are not applied to the peer's ledger.keys (no refresh)");

for my $cmd ('REFRESH PUBLICATION WITH (copy_data = false)', 'SET PUBLICATION pub WITH (copy_data = false)')
{
	($ret, $out, $err) = $b->psql('postgres', "\\set VERBOSITY verbose\nALTER SUBSCRIPTION $sub $cmd");
	like($err,
		qr/ERROR:  0A000: subscription "$sub" holds ledger replicas, whose tables only ledger\.resync_subscription\(\) sets.*HINT:  Call ledger\.resync_subscription\('$sub'\)/s,
		"ALTER SUBSCRIPTION ... $cmd is refused (it would subscribe to ledger.keys unchecked)");
}
is($b->safe_psql('postgres', "SELECT count(*) FROM pg_subscription_rel WHERE srrelid = 'ledger.keys'::regclass"),
	'0', '... ledger.keys is not subscribed');

($ret, $out, $err) = $b->psql('postgres', "\\set VERBOSITY verbose\nSELECT ledger.resync_subscription('$sub')");
like($err, qr/ERROR:  55000: publication "pub" at the origin carries table ledger\.keys, which is neither/,
	'resync_subscription refuses it too');
is($b->safe_psql('postgres', $peer_keys_q), $peer_keys, "... the peer's own keys unchanged");
is($b->safe_psql('postgres', "SELECT count(*) FROM pg_subscription_rel WHERE srrelid = 'ledger.keys'::regclass"),
	'0', '... ledger.keys is not subscribed');

$a->safe_psql('postgres', 'ALTER PUBLICATION pub DROP TABLE ledger.keys, ledger.replicas');
is($b->safe_psql('postgres', "SELECT ledger.resync_subscription('$sub')"), '1',
	'the tables dropped from the publication again: resync passes');
$a->safe_psql('postgres', "INSERT INTO t VALUES (7, 'seven')");
$dig = caught_up($a, $b, 't');
ok(defined $dig, '... rows flow again');
verify_ok($b, 'postgres', 't', $dig, '... and verify');
is($b->safe_psql('postgres', 'SELECT string_agg(v, \',\' ORDER BY id) FROM own'), 'mine', "the peer's own ledger untouched");
my $own = $b->safe_psql('postgres', "SELECT ok FROM ledger.verify('own')");
is($own, 't', "... and verifies");

# ---------- a column list on the catalog: refused on arrival, no crash ----------
my $started = $b->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my $before = held_state($b, 't');
my $tid = $a->safe_psql('postgres', "SELECT ledger_id FROM ledger.ledgers WHERE relation = 't'::regclass");
my $since = last_error_at($b, $sub);
$a->safe_psql('postgres', qq{
	BEGIN;
	ALTER PUBLICATION pub DROP TABLE ledger.transactions;
	ALTER PUBLICATION pub ADD TABLE ledger.transactions (ledger_id, xact_id, row_count, committed_at)
		WHERE (ledger_id = $tid);
	COMMIT;
	INSERT INTO t VALUES (8, 'eight');
});
my ($e) = wait_refused($b, $sub, $since);
like($e // '', qr/subscription "$sub" sent a row of "ledger\.transactions" without root, which a replica refuses/,
	'a transaction record without its root (a column list at the origin) is refused');
is(sub_enabled($b, $sub), 'f', '... the subscription is disabled');
is($b->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started, '... the peer did not crash');
unlike(slurp_file($b->logfile), qr/terminated by signal/, '... its log shows no process killed by a signal');
is(held_state($b, 't'), $before, '... the replica unchanged');
verify_ok($b, 'postgres', 't', $dig, "... and it verifies against the origin's last digest");

$a->stop;
$b->stop;
done_testing();
