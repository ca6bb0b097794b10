
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Faults a review of sync.c against PostgreSQL's internal API reproduced
# (2026-12-06), each failing here against the code before:
#  1. drop_subscription caught every error while dropping the slot at the
#     origin with PG_TRY/PG_CATCH, without a subtransaction, and turned it
#     into a WARNING: a statement_timeout (or a query cancel) while the
#     origin was slow went by as a WARNING, the call carried on and
#     committed, and the replication connection opened before the error was
#     never closed (the origin's walsender stayed as long as the peer's
#     session).  As PostgreSQL's DropSubscription: the connection is closed
#     on every path and the cancel is raised, rolling the call back; only
#     what fails at the origin is a WARNING.
#  2. After an error of create_subscription, the clean-up at the origin
#     (ROLLBACK, drop of the new slot) caught its own errors and called
#     FlushErrorState(), which also discarded the error being raised: a
#     query cancel while the origin did not answer the clean-up was reported
#     as "errstart was not called" (XX000) instead of an error the user
#     could read.
#  3. An error of create_subscription while a query at the origin was
#     running (a statement_timeout or a cancel while the origin was slow)
#     left the slot it had made at the origin, silently: the clean-up's
#     ROLLBACK and slot drop went over the same connection, busy with that
#     query, and failed.  The slot is now dropped over a new connection.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $db = 'bank';
my $a = sync_node('api_origin', db => $db);
my $b = sync_node('api_peer', db => $db);
my $ci = conninfo($a, $db);

$a->safe_psql($db, q{
	CREATE TABLE t (id int PRIMARY KEY, note text);
	SELECT ledger.create_ledger('t');
	INSERT INTO t VALUES (1, 'one'), (2, 'two');
	SELECT ledger.create_publication('pub_t', ARRAY['t'::regclass]);
	CREATE TABLE u (id int PRIMARY KEY, note text);
	SELECT ledger.create_ledger('u');
	INSERT INTO u VALUES (1, 'one');
	SELECT ledger.create_publication('pub_u', ARRAY['u'::regclass]);
});

# ---------- 1. drop_subscription: statement_timeout while the origin is slow ----------
is($b->safe_psql($db, "SELECT ledger.create_subscription('sub_t', '$ci', 'pub_t')"), '1', 'subscribed to t');

# the slot stays in use at the origin: its walsender, stopped, holds it, so
# DROP_REPLICATION_SLOT ... WAIT waits there
# (the subscription's walsender starts a moment after create_subscription)
$a->poll_query_until($db,
	q{SELECT active_pid IS NOT NULL FROM pg_replication_slots WHERE slot_name = 'sub_t'})
  or die 'the subscription never started streaming';
my $apid = $a->safe_psql($db, q{SELECT active_pid FROM pg_replication_slots WHERE slot_name = 'sub_t'});
like($apid, qr/^\d+$/, "the slot's walsender at the origin");
kill 'STOP', $apid;

my $peer = $b->background_psql($db, on_error_stop => 0);
$peer->query_safe(q{SET statement_timeout = '2s'});
$peer->query(q{SELECT ledger.drop_subscription('sub_t')});
my $err = $peer->{stderr};
like($err, qr/ERROR:  canceling statement due to statement timeout/,
	'drop_subscription: a statement_timeout while the origin is slow is raised');
unlike($err, qr/WARNING/, '... not turned into a WARNING');
is($b->safe_psql($db, q{SELECT count(*) FROM pg_subscription WHERE subname = 'sub_t'}), '1',
	'... and the call rolled back: the subscription is still there');
is($b->safe_psql($db, q{SELECT count(*) FROM ledger.replicas WHERE subscription = 'sub_t'}), '1',
	'... with its replica');

# the connection made for the drop is closed: once the origin goes on, the
# walsender that served it ends, while the peer's session goes on (an idle
# walsender of sub_t is one whose client is still connected)
kill 'CONT', $apid;
ok( poll_until(
		$a,
		q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'walsender' }
		  . q{AND application_name = 'sub_t' AND state = 'idle'},
		30, $db),
	'... and the connection it opened to the origin is closed');

$peer->{stderr} = '';
$peer->query_safe(q{RESET statement_timeout});
$peer->query(q{SELECT ledger.drop_subscription('sub_t')});
is($b->safe_psql($db, q{SELECT count(*) FROM pg_subscription WHERE subname = 'sub_t'}), '0',
	'drop_subscription again: the subscription is gone');
ok(poll_until($a, q{SELECT count(*) = 0 FROM pg_replication_slots WHERE slot_name = 'sub_t'}, 30, $db),
	'... and the slot at the origin');
$peer->quit;

# ---------- 2. create_subscription: a cancel during the clean-up at the origin ----------
# a lock at the peer stops create_subscription after it made its slot (on
# ledger.transactions, which only its copy writes: it reads ledger.replicas
# before it makes the slot, since 2026-12-06)
my $block = $b->background_psql($db);
$block->query_safe('BEGIN; LOCK TABLE ledger.transactions IN ACCESS EXCLUSIVE MODE');
my $sub = call_waiting($b, "create_subscription('sub_u', '$ci', 'pub_u')", "wait_event_type = 'Lock'",
	'create_subscription waits for a lock at the peer', $db);
ok(poll_until($a, q{SELECT count(*) = 1 FROM pg_replication_slots WHERE slot_name = 'sub_u'}, 30, $db),
	'... having made its slot at the origin');
my $wpid = $a->safe_psql($db,
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'walsender' AND application_name = 'sub_u'});
like($wpid, qr/^\d+$/, "... the origin's walsender of its connection");

# the origin stops answering; the first cancel starts the clean-up, which
# waits for the origin; a second cancel ends it
kill 'STOP', $wpid;
my $spid = $b->safe_psql($db,
	q{SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT ledger.create_subscription(%' AND state = 'active'});
$b->safe_psql($db, "SELECT pg_cancel_backend($spid)");
ok( poll_until(
		$b, "SELECT wait_event = 'LibPQWalReceiverReceive' FROM pg_stat_activity WHERE pid = $spid",
		30, $db),
	'cancelled: the clean-up waits for the origin');
$b->safe_psql($db, "SELECT pg_cancel_backend($spid)");
ok(poll_until($b, "SELECT state = 'idle' FROM pg_stat_activity WHERE pid = $spid", 30, $db),
	'a second cancel ends the call');
kill 'CONT', $wpid;
$block->query_safe('COMMIT');
$block->quit;
$sub->quit;
$err = $sub->{stderr};
unlike($err, qr/errstart was not called/, 'the error raised is not lost');
like($err, qr/ERROR:  canceling statement due to user request/, '... it is the cancel');
like($err, qr/CONTEXT:  while dropping replication slot "sub_u" at the origin after an error/,
	'... naming the slot the clean-up could not drop');
ok( poll_until(
		$a, q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'walsender' AND application_name = 'sub_u'},
		30, $db),
	"... the connection to the origin is closed");
is($b->safe_psql($db, q{SELECT count(*) FROM pg_subscription}), '0', 'nothing subscribed at the peer');
$a->safe_psql($db, q{SELECT pg_drop_replication_slot('sub_u') FROM pg_replication_slots WHERE slot_name = 'sub_u'});
is($b->safe_psql($db, "SELECT ledger.create_subscription('sub_u', '$ci', 'pub_u')"), '1',
	'create_subscription again');

# ---------- 3. create_subscription: a cancel while the origin is slow ----------
$a->safe_psql($db, q{
	CREATE TABLE w (id int PRIMARY KEY, note text);
	SELECT ledger.create_ledger('w');
	INSERT INTO w VALUES (1, 'one');
	SELECT ledger.create_publication('pub_w', ARRAY['w'::regclass]);
});
$block = $b->background_psql($db);
$block->query_safe('BEGIN; LOCK TABLE ledger.transactions IN ACCESS EXCLUSIVE MODE');
$sub = call_waiting($b, "create_subscription('sub_w', '$ci', 'pub_w')", "wait_event_type = 'Lock'",
	'create_subscription of w waits at the peer', $db);
ok(poll_until($a, q{SELECT count(*) = 1 FROM pg_replication_slots WHERE slot_name = 'sub_w'}, 30, $db),
	'... having made its slot at the origin');
# the origin's rows of w wait for a lock there; the query at the origin is
# cancelled at the peer, and the connection is busy with it
my $olock = $a->background_psql($db);
$olock->query_safe('BEGIN; LOCK TABLE w IN ACCESS EXCLUSIVE MODE');
$block->query_safe('COMMIT');
$block->quit;
ok( poll_until(
		$a,
		q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'walsender' AND application_name = 'sub_w' AND wait_event_type = 'Lock'},
		30, $db),
	"... then its copy of w waits for a lock at the origin");
$spid = $b->safe_psql($db,
	q{SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT ledger.create_subscription(%' AND state = 'active'});
$b->safe_psql($db, "SELECT pg_cancel_backend($spid)");
ok(poll_until($b, "SELECT state = 'idle' FROM pg_stat_activity WHERE pid = $spid", 30, $db), 'cancelled');
ok(poll_until($a, q{SELECT count(*) = 0 FROM pg_replication_slots WHERE slot_name = 'sub_w'}, 10, $db),
	'the slot it made is dropped at the origin, over a new connection, while the first one is busy');
$olock->query_safe('COMMIT');
$olock->quit;
$sub->quit;
$err = $sub->{stderr};
like($err, qr/ERROR:  canceling statement due to user request/, '... the error is the cancel');
unlike($err, qr/WARNING/, '... without a WARNING about the slot');
is($b->safe_psql($db, "SELECT ledger.create_subscription('sub_w', '$ci', 'pub_w')"), '1',
	'create_subscription of w again');

done_testing();
