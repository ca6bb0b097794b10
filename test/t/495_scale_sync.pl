
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Costs of replication that grow with the number of ledgers and peers,
# found by the second scale review of 2026-12-06.  Counted, never timed:
#  1. ledger.replication_status at the origin parsed each walsender's
#     START_REPLICATION command (ledger._streamed_publications, a regular
#     expression in an SQL function) once or twice for every (slot, ledger)
#     pair: 27,400 calls, 2.3 s, for 3,375 published ledgers and 4 peers.
#     It is parsed once per slot now; the function calls are counted
#     (track_functions), and must not exceed the number of slots.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $A = sync_node('scale_sync_a');
my $B = sync_node('scale_sync_b');

# Two publications of 20 ledgers each, and 10 ledgers published to no one.
my $n = 20;
$A->safe_psql('postgres', qq{
	DO \$\$ BEGIN
		FOR i IN 1..2 * $n + 10 LOOP
			EXECUTE format('CREATE TABLE l%s (id bigint PRIMARY KEY, memo text)', i);
			PERFORM ledger.create_ledger(format('l%s', i)::regclass);
			EXECUTE format('INSERT INTO l%s VALUES (1, ''x'')', i);
		END LOOP;
	END \$\$;
	SELECT ledger.create_publication('pub_one', (SELECT array_agg(format('l%s', i)::regclass) FROM generate_series(1, $n) i));
	SELECT ledger.create_publication('pub_two', (SELECT array_agg(format('l%s', i)::regclass) FROM generate_series($n + 1, 2 * $n) i));
});
ok(wait_sealed($A, 'postgres'), 'origin: sealed');
my $c = conninfo($A);
is($B->safe_psql('postgres', "SELECT ledger.create_subscription('sub_one', '$c', 'pub_one')"), $n, 'peer: first subscription');
is($B->safe_psql('postgres', "SELECT ledger.create_subscription('sub_two', '$c', 'pub_two')"), $n, 'peer: second subscription');

# Both walsenders streaming, their commands visible to replication_status.
ok(poll_until($A, q{SELECT count(*) = 2 FROM pg_stat_activity WHERE query LIKE 'START_REPLICATION%'}, 60),
	'origin: two walsenders streaming');
ok(poll_until($A, q{SELECT count(*) = 40 AND bool_and(state = 'streaming') FROM ledger.replication_status}, 60),
	'origin: each peer listed against the 20 ledgers of its own publication, streaming');

my $status = $A->safe_psql('postgres', qq{
	BEGIN;
	SET LOCAL track_functions = 'all';
	SELECT string_agg(peer || ':' || min || '-' || max || '/' || count, ' ' ORDER BY peer)
	  FROM (SELECT peer, min(substr(ledger::text, 2)::int), max(substr(ledger::text, 2)::int), count(*)
	          FROM ledger.replication_status WHERE role = 'origin' GROUP BY peer) s;
	SELECT coalesce(sum(calls), 0) FROM pg_stat_xact_user_functions WHERE funcname = '_streamed_publications';
	COMMIT;
});
my ($listed, $calls) = split /\n/, $status;
is($listed, "sub_one:1-20/20 sub_two:21-40/20", 'origin: the ledgers listed against each peer');
cmp_ok($calls, '<=', 2,
	'origin: replication_status parses each walsender\'s command once, not once per (slot, ledger)');

done_testing();
