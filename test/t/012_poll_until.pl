# Copyright (c) the ledger authors; PostgreSQL licence.
#
# SyncTest's poll_until must survive a node that refuses psql.  Polling a
# node while it restarts after a crash (test/t/589_cancel_crash.pl, an
# ASan run on a loaded host, 2026-12-07), psql failed to connect and exited
# before it read the query from its stdin; IPC::Run then died of the broken
# pipe ("ack Broken pipe: write(...)") and took the test file with it,
# instead of poll_until trying again.  A query larger than a pipe's buffer
# makes that deterministic against a stopped node.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $node = PostgreSQL::Test::Cluster->new('poll');
$node->init;
$node->start;
ok(poll_until($node, 'SELECT true', 5), 'poll_until: a running node answers');
$node->stop;

my $q = 'SELECT true' . (' ' x 300_000);
my $got = eval { poll_until($node, $q, 1) };
is($@, '', 'poll_until: a node refusing connections does not kill the test');
is($got, 0, '... and poll_until returns false after its time');

done_testing();
