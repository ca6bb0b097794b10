
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Calls that do the work of many ledgers in one transaction and PostgreSQL's
# shared lock table (review of 2026-12-06).  Every lock a transaction holds
# on a distinct object (a table, an index, a TOAST table, a type, a
# constraint, a trigger) takes a slot of that table until the transaction
# ends, and the table holds max_locks_per_transaction times the number of
# server processes and prepared transactions.  Measured from pg_locks:
# ledger.create_subscription and resync_subscription lock 7 objects for
# each replica they create (its table, row type, TOAST table and index,
# primary key index and constraint, BRIN index), 1 for each replica held
# already; drop_subscription(drop_replicas => true) 11 for each replica it
# drops (ledger.drop_ledger drops 5 relations, 2 types, a constraint and 3
# triggers).  Past the table's size (and the spare shared memory it grows
# into) the call failed half-way with PostgreSQL's bare "out of shared
# memory" (a resync after dropping the subscription's slot at the origin,
# so that its stream stopped until the next resync).  They are now refused
# before any work, naming the ledgers, the estimate and the
# max_locks_per_transaction that would do, and leave nothing behind (no
# table, subscription, or slot at the origin; a resync keeps its slot).
#
# The peer runs with max_locks_per_transaction = 10 and max_connections =
# 10: 10 x (10 + 3 autovacuum workers + 1 launcher + 16 worker processes
# + 10 WAL senders) = 400 slots.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $A = sync_node('locks_a');
my $B = sync_node('locks_b', conf => "max_connections = 10\nmax_locks_per_transaction = 10\n");

# 30 ledgers for a small publication, 130 for a big one.
my ($small, $big) = (30, 130);
$A->safe_psql('postgres', qq{
	DO \$\$ BEGIN
		FOR i IN 1..$small + $big LOOP
			EXECUTE format('CREATE TABLE l%s (id bigint PRIMARY KEY, memo text)', i);
			PERFORM ledger.create_ledger(format('l%s', i)::regclass);
			EXECUTE format('INSERT INTO l%s VALUES (1, ''x'')', i);
		END LOOP;
	END \$\$;
	SELECT ledger.create_publication('p_small', (SELECT array_agg(format('l%s', i)::regclass) FROM generate_series(1, $small) i));
	SELECT ledger.create_publication('p_big', (SELECT array_agg(format('l%s', i)::regclass) FROM generate_series($small + 1, $small + $big) i));
});
ok(wait_sealed($A, 'postgres'), 'origin: sealed');
my $c = conninfo($A);

is($B->safe_psql('postgres', 'SHOW max_locks_per_transaction'), '10', 'peer: max_locks_per_transaction = 10');

# What is left at the peer and the origin after a refused call.
sub state_of
{
	return $B->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM pg_class WHERE relname ~ '^l[0-9]+$' AND relkind = 'r')
		    || ' tables, ' || (SELECT count(*) FROM ledger.ledgers) || ' ledgers, '
		    || (SELECT count(*) FROM ledger.replicas WHERE subscription IS NOT NULL) || ' subscribed, '
		    || (SELECT coalesce(string_agg(subname || CASE WHEN subenabled THEN '' ELSE ' (disabled)' END, ',' ORDER BY subname), 'none') FROM pg_subscription)})
	  . ' | slots at origin: '
	  . $A->safe_psql('postgres', q{SELECT coalesce(string_agg(slot_name, ',' ORDER BY slot_name), 'none') FROM pg_replication_slots});
}

# 1. 30 ledgers fit: about 7 x 30 slots.
is($B->safe_psql('postgres', "SELECT ledger.create_subscription('s_small', '$c', 'p_small')"),
	$small, 'create_subscription of 30 ledgers completes at max_locks_per_transaction = 10');

# 2. 130 do not (about 7 x 130 = 910): refused before any work, nothing left.
my ($ret, $out, $err) = $B->psql('postgres',
	"\\set VERBOSITY verbose\nSELECT ledger.create_subscription('s_big', '$c', 'p_big')");
isnt($ret, 0, 'create_subscription of 130 ledgers fails');
like($err, qr/ERROR:  54000: create_subscription of 130 ledgers would lock more objects than PostgreSQL's shared lock table holds/,
	'create_subscription of 130 ledgers: refused with 54000 naming the ledger count, not "out of shared memory"');
like($err, qr/DETAIL:  It locks about \d+ objects in one transaction .*; the shared lock table holds 400 \(max_locks_per_transaction = 10 times 40 server processes and prepared transactions\)\./,
	'create_subscription: the detail gives the estimate and the table\'s size');
like($err, qr/HINT:  Set max_locks_per_transaction to at least (2[3-9]|3\d) /,
	'create_subscription: the hint names a setting that would do');
is(state_of(), "30 tables, 30 ledgers, 30 subscribed, s_small | slots at origin: s_small",
	'create_subscription refused: no table, subscription or slot left behind');

# 3. With the setting the hint names (rounded up), it completes.
$B->append_conf('postgresql.conf', "max_locks_per_transaction = 40\n");
$B->restart;
is($B->safe_psql('postgres', "SELECT ledger.create_subscription('s_big', '$c', 'p_big')"),
	$big, 'create_subscription of 130 ledgers completes at max_locks_per_transaction = 40');
$B->append_conf('postgresql.conf', "max_locks_per_transaction = 10\n");
$B->restart;

# 4. A resync locks the replicas held (1 each): it fits.
is($B->safe_psql('postgres', "SELECT ledger.resync_subscription('s_big')"),
	$big, 'resync_subscription of 130 held replicas completes at max_locks_per_transaction = 10');

# 5. Dropping 130 replicas in one transaction (about 11 x 130) does not.
($ret, $out, $err) = $B->psql('postgres',
	"\\set VERBOSITY verbose\nSELECT ledger.drop_subscription('s_big', true)");
isnt($ret, 0, 'drop_subscription(drop_replicas => true) of 130 replicas fails');
like($err, qr/ERROR:  54000: drop_subscription of 130 replicas would lock more objects than PostgreSQL's shared lock table holds/,
	'drop_subscription: refused with 54000 naming the replica count, not "out of shared memory"');
like($err, qr/HINT:  .*drop_replicas => false.*ledger\.drop_ledger\(\)/,
	'drop_subscription: the hint gives the way in several transactions');
is(state_of(), "160 tables, 160 ledgers, 160 subscribed, s_big,s_small | slots at origin: s_big,s_small",
	'drop_subscription refused: the subscription, its slot and its replicas are as they were');

# 6. The way the hint gives: the subscription without its replicas, then
# the replicas in transactions of their own.
$B->safe_psql('postgres', "SELECT ledger.drop_subscription('s_big', false)");
$B->safe_psql('postgres', join("\n",
	map { "SELECT ledger.drop_ledger('l$_');" } ($small + 1 .. $small + $big)));
is(state_of(), "30 tables, 30 ledgers, 30 subscribed, s_small | slots at origin: s_small",
	'drop_subscription without replicas, then drop_ledger one at a time: all gone');

# 7. A resync that would create 130 new replicas is refused before its
# old slot at the origin is dropped: the subscription goes on as it was.
$A->safe_psql('postgres', qq{
	DROP PUBLICATION p_big;
	SELECT ledger.add_to_publication('p_small', (SELECT array_agg(format('l%s', i)::regclass) FROM generate_series($small + 1, $small + $big) i));
});
($ret, $out, $err) = $B->psql('postgres',
	"\\set VERBOSITY verbose\nSELECT ledger.resync_subscription('s_small')");
isnt($ret, 0, 'resync_subscription that would create 130 replicas fails');
like($err, qr/ERROR:  54000: resync_subscription of 160 ledgers would lock more objects than PostgreSQL's shared lock table holds/,
	'resync_subscription: refused with 54000, not "out of shared memory"');
like($err, qr/DETAIL:  .* 130 replicas it creates: .* 30 held here already/,
	'resync_subscription: the detail counts the replicas it would create and those held');
is(state_of(), "30 tables, 30 ledgers, 30 subscribed, s_small | slots at origin: s_small",
	'resync_subscription refused: the subscription and its slot at the origin are as they were');
$A->safe_psql('postgres', qq{
	SELECT ledger.remove_from_publication('p_small', (SELECT array_agg(format('l%s', i)::regclass) FROM generate_series($small + 1, $small + $big) i));
});
$A->safe_psql('postgres', 'INSERT INTO l1 VALUES (2, \'after the refused resync\')');
ok(poll_until($B, q{SELECT count(*) = 2 FROM l1}, 60), 'the subscription streams on after the refused resync');

# 8. The small subscription drops with its replicas (about 11 x 30).
$B->safe_psql('postgres', "SELECT ledger.drop_subscription('s_small', true)");
is(state_of(), "0 tables, 0 ledgers, 0 subscribed, none | slots at origin: none",
	'drop_subscription(drop_replicas => true) of 30 replicas completes');

# 9. Not about locks, found on the way: a create_subscription whose
# publication carries a ledger that another subscription here writes took
# that replica over without a word (it is "held"), and the other
# subscription was disabled at its next change of the ledger.  Refused now,
# before a slot is made.
is($B->safe_psql('postgres', "SELECT ledger.create_subscription('s_small', '$c', 'p_small')"),
	$small, 'subscribed again to the 30 ledgers');
$A->safe_psql('postgres', "SELECT ledger.create_publication('p_overlap', ARRAY['l1'::regclass, 'l31'::regclass])");
($ret, $out, $err) = $B->psql('postgres',
	"\\set VERBOSITY verbose\nSELECT ledger.create_subscription('s_overlap', '$c', 'p_overlap')");
like($err, qr/ERROR:  42710: ledger l1 is a replica that subscription "s_small" writes/,
	'create_subscription of a ledger another subscription writes: refused');
is(state_of(), "30 tables, 30 ledgers, 30 subscribed, s_small | slots at origin: s_small",
	'... leaving nothing behind');
$A->safe_psql('postgres', "INSERT INTO l1 VALUES (3, 'after the overlap')");
ok(poll_until($B, q{SELECT count(*) = 3 FROM l1}, 60), 'the first subscription streams on');
is($B->safe_psql('postgres', "SELECT subenabled FROM pg_subscription WHERE subname = 's_small'"), 't',
	'the first subscription is still enabled');

done_testing();
