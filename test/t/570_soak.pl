# Copyright (c) the ledger authors; PostgreSQL licence.
#
# What a long-lived process keeps over time (a review on 2026-12-07): a
# pooled backend lives for days, the background workers never restart.
# Each part measures a process before and after a few hundred or thousand
# operations of one kind and asserts a bound on the growth; per operation,
# a leak shows as many times the bound.
#  1. A session that created and dropped ledgers kept each dropped ledger's
#     entry in its ledger description cache, with its "ledger layout"
#     memory context (about 5 kB), for the rest of its life: one context
#     per ledger it ever wrote to, verified or created.  Entries of
#     relations that no longer exist are now given back at the next
#     look-up after an invalidation (src/catalog.c, ledger_cache_sweep).
#  2. A guard for what was found flat: the memory contexts of a session
#     writing single-row transactions, rolled back, with savepoints,
#     prepared, and ON CONFLICT DO NOTHING, and calling verify, prove and
#     digest, do not grow with the number of operations.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('soak', conf => "max_prepared_transactions = 2\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE TABLE acct (id bigserial PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('acct');
	CREATE TABLE oc (id int PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('oc');
});

# The "ledger layout" contexts of the session: "CTX count bytes".
my $ctx = q{SELECT 'CTX ' || count(*) || ' ' || coalesce(sum(total_bytes), 0)
	FROM pg_backend_memory_contexts WHERE name = 'ledger layout';};

# 1. Ledgers created, written, verified and dropped by one session.
my $warm = 10;
my $n = 150;
my $script = '';
for my $i (1 .. $warm + $n)
{
	$script .= $ctx . "\n" if $i == $warm + 1;
	$script .= qq{CREATE TABLE day$i (id int PRIMARY KEY, amount numeric);
SELECT ledger.create_ledger('day$i') IS NULL;
INSERT INTO day$i VALUES (1, 1);
INSERT INTO acct (amount) VALUES ($i);
SELECT ledger.drop_ledger('day$i');
};
}
$script .= $ctx;
my $out = $node->safe_psql('postgres', $script);
my @ctx = map { [ split / / ] } ($out =~ /^CTX (\d+ \d+)$/mg);
is(scalar(@ctx), 2, 'layout contexts measured twice');
note("ledger layout contexts before: $ctx[0][0] ($ctx[0][1] bytes), after $n ledgers "
	  . "created and dropped: $ctx[1][0] ($ctx[1][1] bytes)");
cmp_ok($ctx[1][0] - $ctx[0][0], '<', 10,
	"$n ledgers created and dropped leave no layout context behind");
cmp_ok($ctx[1][1] - $ctx[0][1], '<', 64 * 1024,
	"$n ledgers created and dropped: the layouts' memory does not grow");
verify_ok($node, 'postgres', 'acct');

# 2. The everyday operations of a pooled session.
my $all = q{SELECT 'ALL ' || sum(total_bytes) FROM pg_backend_memory_contexts;};
$script = '';
$n = 600;
for my $i (1 .. 50 + $n)
{
	$script .= $all . "\n" if $i == 51;
	my $k = $i % 20;
	$script .= qq{INSERT INTO acct (amount) VALUES ($i);
BEGIN; INSERT INTO acct (amount) VALUES ($i); ROLLBACK;
BEGIN; INSERT INTO acct (amount) VALUES ($i); SAVEPOINT a; INSERT INTO acct (amount) VALUES ($i);
ROLLBACK TO a; SAVEPOINT b; INSERT INTO acct (amount) VALUES ($i); RELEASE b; COMMIT;
BEGIN; INSERT INTO acct (amount) VALUES ($i); PREPARE TRANSACTION 'p'; COMMIT PREPARED 'p';
INSERT INTO oc VALUES ($k, 1) ON CONFLICT DO NOTHING;
};
	$script .= qq{SELECT ledger.seal() IS NULL;
SELECT (ledger.verify('acct')).ok;
SELECT ledger.digest('acct') IS NULL;
SELECT ledger.prove('acct', (SELECT min(ledger_xact) FROM acct), 0) IS NULL;
} if $i % 20 == 0;
}
$script .= $all;
$out = $node->safe_psql('postgres', $script);
my @all = ($out =~ /^ALL (\d+)$/mg);
is(scalar(@all), 2, 'memory measured twice');
note("session memory before: $all[0] bytes, after $n rounds: $all[1] bytes");
cmp_ok($all[1] - $all[0], '<', 64 * 1024,
	"$n rounds of inserts, rollbacks, savepoints, prepared transactions, "
	  . "ON CONFLICT, verify, digest and prove: the session's memory does not grow");
verify_ok($node, 'postgres', 'acct');
verify_ok($node, 'postgres', 'oc');

done_testing();
