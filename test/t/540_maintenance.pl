
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# A bank DBA's table maintenance against ledgers, a signed ledger and the
# extension's own tables (review of 2026-12-07), with writers committing
# and the sealer sealing.  Three faults it found, each failing here against
# the code before:
#  1. An expression or partial index on one of the extension's tables (the
#     guard allows CREATE INDEX there, for reports): the rows the extension
#     writes below SQL (ledger.transactions, ledger.seal_queue,
#     ledger.signed_messages) went through CatalogTupleInsert, which forms
#     index entries without an executor state.  The next commit that wrote
#     a ledger ended with a segmentation fault (the server went through
#     crash recovery), and a partial index got every row and answered a
#     query with rows its predicate excludes.
#  2. CLUSTER ledger.signed_messages inside a transaction that had skipped
#     signed rows (INSERT ... ON CONFLICT DO NOTHING): their messages were
#     taken back at commit by the tid they had been recorded at, which
#     CLUSTER had given to other rows.  Another row's message was deleted,
#     so that row could be inserted again (a replay), and the skipped
#     row's message stayed.
#  3. CREATE TABLE x () INHERITS (ledger.transactions), and ALTER TABLE x
#     INHERIT ledger.transactions (or ATTACH PARTITION of it): refused on
#     the extension's table itself (ALTER TABLE ledger.transactions
#     INHERIT), they passed from the other side, and every reader of the
#     table without ONLY took x's rows for records (a row put in x showed in
#     ledger.transaction_blocks as a transaction of a ledger not sealed).
# The rest checks what stays sound: VACUUM FULL, CLUSTER, REINDEX
# (CONCURRENTLY), SET TABLESPACE (one table, an index, ALL IN TABLESPACE),
# storage parameters, SET STATISTICS / STORAGE / COMPRESSION, VACUUM
# (FREEZE, INDEX_CLEANUP off, TRUNCATE), ANALYZE, CREATE INDEX
# CONCURRENTLY and amcheck on ledgers and the catalog while pgbench writes,
# then verify against the digest taken before, prove, consistency_proof,
# sealing; and that SET UNLOGGED / SET ACCESS METHOD of a copy of heap
# stay refused.

use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $node = ledger_node('maint');
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE EXTENSION amcheck;
	CREATE TABLE s (id int, memo text, key_id text, sig bytea, CONSTRAINT s_id UNIQUE (id));
	SELECT ledger.create_ledger('s');
	SELECT ledger.require_signatures('s', 'sig', 'key_id');
	CREATE TABLE w (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, c int, memo text);
	SELECT ledger.create_ledger('w');
	CREATE TABLE p (id int PRIMARY KEY, v text);
	SELECT ledger.create_ledger('p');
});
my ($pub) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', 'rfc8032-1' ]);
$pub =~ s/\s+//g;
$node->safe_psql('postgres',
	"SELECT (ledger.add_key('k1', 'k1', 'ed25519', '\\x$pub', now() - interval '1 minute')).key_id");

# VALUES of a row of s signed by RFC 8032's TEST 1 key
sub signed_values
{
	my ($id, $memo) = @_;
	my $hex = $node->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('s', ROW($id, '$memo', 'k1', NULL, NULL, NULL, NULL)::s), 'hex')");
	return "($id, '$memo', 'k1', '\\x" . sign_hex('ed25519', 'rfc8032-1', $hex) . "')";
}

sub psql_err
{
	my ($sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
	return ($ret, $out, $err);
}

my %row;
$row{$_} = signed_values($_, "m$_") for 1 .. 24;
$node->safe_psql('postgres', "INSERT INTO s VALUES $row{$_}") for 1 .. 24;
$node->safe_psql('postgres', "INSERT INTO p SELECT g, 'v' FROM generate_series(1, 40) g");
ok(wait_sealed($node, 'postgres'), 'setup sealed');

# rows of s whose message is missing, and messages of no row of s
my $msg_mismatch = q{
	SELECT (SELECT count(*) FROM s WHERE NOT EXISTS (SELECT 1 FROM ledger.signed_messages m
			WHERE m.ledger_id = l.ledger_id AND m.message_hash = sha256(ledger.signing_bytes('s', s))))
		|| '/' || (SELECT count(*) FROM ledger.signed_messages m WHERE m.ledger_id = l.ledger_id
			AND NOT EXISTS (SELECT 1 FROM s WHERE m.message_hash = sha256(ledger.signing_bytes('s', s))))
	FROM ledger.ledgers l WHERE l.relation = 's'::regclass};
is($node->safe_psql('postgres', $msg_mismatch), '0/0', 'every row of s has its message, and no other');

my ($ret, $out, $err);

# ---------- 2. CLUSTER of the replay table in a transaction that skipped rows ----------
my $skipped = join(', ', map { signed_values($_, "again$_") } 3, 11, 19);
($ret, $out, $err) = psql_err(qq{
	BEGIN;
	INSERT INTO s VALUES $skipped ON CONFLICT DO NOTHING;
	INSERT INTO s VALUES } . signed_values(25, 'm25') . qq{;
	CLUSTER ledger.signed_messages USING signed_messages_pkey;
	COMMIT;});
is($err, '', 'CLUSTER ledger.signed_messages in a transaction that skipped signed rows: the commit passes');
is($node->safe_psql('postgres', 'SELECT count(*) FROM s'), '25', '... it stored its one new row');
is($node->safe_psql('postgres', $msg_mismatch), '0/0',
	'... every stored row keeps its message and the skipped rows\' messages are gone');
$node->safe_psql('postgres', 'ALTER TABLE s DROP CONSTRAINT s_id');
my $replayed = 0;
for my $i (1 .. 24)
{
	($ret, $out, $err) = psql_err("INSERT INTO s VALUES $row{$i}");
	$replayed++ unless $err =~ /ERROR:  23505: row .*of ledger table "s" signed by key "k1" was already inserted/;
}
is($replayed, 0, '... and a replay of each stored signed row is still refused');
($ret, $out, $err) = psql_err('INSERT INTO s VALUES ' . signed_values(3, 'again3'));
is($err, '', '... a skipped row can be sent again');
ok(wait_sealed($node, 'postgres'), '... sealed');
verify_ok($node, 'postgres', 's', undef, '... and s verifies');

# ---------- 1. expression and partial indexes on the extension's tables ----------
$node->safe_psql('postgres', q{
	CREATE INDEX tx_big ON ledger.transactions (ledger_id) WHERE row_count >= 5;
	CREATE INDEX sq_part ON ledger.seal_queue (ledger_id) WHERE xact_id < 0;
	CREATE INDEX sm_part ON ledger.signed_messages (key_id) WHERE key_id = 'nobody';
});
$node->safe_psql('postgres', "INSERT INTO p VALUES (101, 'one')");
$node->safe_psql('postgres', "INSERT INTO p SELECT g, 'five' FROM generate_series(102, 106) g");
$node->safe_psql('postgres', "INSERT INTO s VALUES " . signed_values(30, 'm30'));
my $q = q{
	SELECT (SELECT count(*) FROM ledger.transactions WHERE ledger_id = (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'p'::regclass) AND row_count >= 5)
		|| '/' || (SELECT count(*) FROM ledger.signed_messages WHERE key_id = 'nobody')
		|| '/' || (SELECT count(*) FROM ledger.seal_queue WHERE ledger_id > 0 AND xact_id < 0)};
my $by_heap = $node->safe_psql('postgres', "SET enable_indexscan = off; SET enable_bitmapscan = off; SET enable_indexonlyscan = off; $q");
is($by_heap, '2/0/0', 'two transactions of p have five rows or more (a table scan)');
is($node->safe_psql('postgres', "SET enable_seqscan = off; SET enable_bitmapscan = off; $q"), $by_heap,
	'partial indexes on ledger.transactions, signed_messages and seal_queue answer as the table does');
$node->safe_psql('postgres', 'DROP INDEX ledger.tx_big, ledger.sq_part, ledger.sm_part');
ok(wait_sealed($node, 'postgres'), '... sealed');

$node->safe_psql('postgres', q{
	CREATE INDEX tx_expr ON ledger.transactions ((row_count + 1));
	CREATE INDEX sq_expr ON ledger.seal_queue ((xact_id + 1));
	CREATE INDEX s_by_id ON s (id);
	CREATE INDEX sm_expr ON ledger.signed_messages ((length(key_id)));
});
($ret, $out, $err) = psql_err("INSERT INTO p VALUES (200, 'x')");
is($err, '', 'with an expression index on ledger.transactions and seal_queue a ledger insert commits (it crashed the server)');
($ret, $out, $err) = psql_err('INSERT INTO s VALUES ' . signed_values(31, 'm31'));
is($err, '', '... and a signed insert with one on signed_messages');
is( $node->safe_psql('postgres', q{SET enable_seqscan = off; SET enable_bitmapscan = off;
		SELECT count(*) FROM ledger.transactions WHERE row_count + 1 = 6}),
	'1', '... the expression index answers as the table does');
$node->safe_psql('postgres', 'DROP INDEX ledger.tx_expr, ledger.sq_expr, ledger.sm_expr');
ok(wait_sealed($node, 'postgres'), '... sealed');
verify_ok($node, 'postgres', 'p', undef, '... p verifies');

# ---------- maintenance while writers commit and the sealer seals ----------
my $tsdir = PostgreSQL::Test::Utils::tempdir();
$node->safe_psql('postgres', "CREATE TABLESPACE ts LOCATION '$tsdir'");
my %digest;
$digest{$_} = $node->safe_psql('postgres', "SELECT ledger.digest('$_')") for qw(w s p);
my $script = "$tsdir/../w.sql";
open(my $fh, '>', $script) or die;
print $fh "INSERT INTO w (c, memo) VALUES (:client_id, repeat('x', 300));\n";
close($fh);
my ($pbout, $pberr) = ('', '');
my $pgbench = IPC::Run::start(
	[ 'pgbench', '-n', '-c', '2', '-T', '20', '-R', '400', '-f', $script, '-h', $node->host, '-p', $node->port, 'postgres' ],
	'>', \$pbout, '2>', \$pberr);
sleep 1;
my @ops = (
	'VACUUM FULL w', 'CLUSTER w USING w_pkey', 'REINDEX TABLE CONCURRENTLY w',
	'VACUUM (FREEZE, INDEX_CLEANUP off, TRUNCATE) w', 'ANALYZE w',
	'CREATE INDEX CONCURRENTLY w_c ON w (c)', 'ALTER TABLE w SET TABLESPACE ts',
	'ALTER INDEX w_pkey SET TABLESPACE ts',
	'ALTER TABLE w SET (fillfactor = 80, autovacuum_vacuum_insert_scale_factor = 0, toast.autovacuum_enabled = off)',
	'ALTER TABLE w ALTER COLUMN memo SET STATISTICS 500', 'ALTER TABLE w ALTER COLUMN memo SET STORAGE EXTERNAL',
	'ALTER TABLE w ALTER COLUMN memo SET COMPRESSION pglz',
	'VACUUM FULL s', 'CLUSTER s USING s_by_id',
	'VACUUM FULL ledger.transactions', 'CLUSTER ledger.transactions USING transactions_pkey',
	'REINDEX TABLE CONCURRENTLY ledger.transactions', 'VACUUM FULL ledger.blocks',
	'CLUSTER ledger.blocks USING blocks_pkey', 'VACUUM FULL ledger.seal_queue', 'VACUUM FULL ledger.history_tiles',
	'VACUUM FULL ledger.signed_messages', 'REINDEX TABLE CONCURRENTLY ledger.signed_messages',
	'VACUUM FULL ledger.ledgers', 'VACUUM (FREEZE, TRUNCATE) ledger.transactions',
	'ALTER TABLE ledger.transactions SET TABLESPACE ts', 'ALTER INDEX ledger.transactions_pkey SET TABLESPACE ts',
	'ALTER TABLE ledger.transactions SET TABLESPACE pg_default', 'VACUUM FULL w', 'CLUSTER ledger.transactions');
for my $op (@ops)
{
	($ret, $out, $err) = psql_err($op);
	is($err, '', "$op while pgbench writes w");
}
$pgbench->finish;
like($pbout, qr/number of failed transactions: 0 /, 'pgbench committed without a failure');

# every table at once (ALTER TABLE ALL IN TABLESPACE locks them one after
# the other, and deadlocks with writers that lock a ledger and then, at
# commit, ledger.transactions: run without writers)
for my $op ('ALTER TABLE ALL IN TABLESPACE pg_default OWNED BY CURRENT_USER SET TABLESPACE ts',
	'ALTER INDEX ALL IN TABLESPACE pg_default SET TABLESPACE ts',
	'ALTER TABLE ALL IN TABLESPACE ts SET TABLESPACE pg_default', 'ALTER INDEX ALL IN TABLESPACE ts SET TABLESPACE pg_default')
{
	($ret, $out, $err) = psql_err($op);
	is($err, '', $op);
}
$node->safe_psql('postgres', "INSERT INTO w (c, memo) VALUES (-3, 'moved')");
ok(wait_sealed($node, 'postgres'), 'everything sealed after the maintenance');
for my $t (qw(w s p))
{
	verify_ok($node, 'postgres', $t, $digest{$t}, "$t verifies against the digest taken before");
	my $d = $node->safe_psql('postgres', "SELECT ledger.digest('$t')");
	(my $dq = $digest{$t}) =~ s/'/''/g;
	($ret, $out, $err) = psql_err("SELECT ledger.consistency_proof('$t', '$dq'::jsonb) IS NOT NULL");
	is($out, 't', "... consistency_proof of $t from that digest");
	($ret, $out, $err) = psql_err("SELECT ledger.prove('$t', x, q) IS NOT NULL FROM (SELECT ledger_xact x, ledger_seq q FROM $t ORDER BY 1 DESC, 2 LIMIT 1) r");
	is($out, 't', "... prove of its newest row");
}
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM (SELECT ledger_id, unnest(xact_ids) x FROM ledger.blocks) b GROUP BY ledger_id, x HAVING count(*) > 1}),
	'', 'no transaction is in two blocks');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM ledger.transactions t LEFT JOIN (SELECT ledger_id, unnest(xact_ids) x FROM ledger.blocks) b
			ON b.ledger_id = t.ledger_id AND b.x = t.xact_id WHERE b.x IS NULL}),
	'0', 'none is left out of a block');
$node->safe_psql('postgres', 'SELECT ledger.seal()');
is($node->safe_psql('postgres', 'SELECT count(*) FROM ledger.seal_queue WHERE ledger_id <> 0'), '0',
	'ledger.seal_queue is empty after seal()');
is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM (SELECT bt_index_check(i.indexrelid, true)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
		WHERE a.amname = 'btree' AND i.indisvalid AND c.relnamespace IN ('ledger'::regnamespace, 'public'::regnamespace)) x}) > 0 ? 1 : 0,
	1, 'bt_index_check (heapallindexed) passes on every btree index of the catalog and the ledgers');
is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM pg_class c, verify_heapam(c.oid) v
		WHERE c.relkind = 'r' AND c.relnamespace IN ('ledger'::regnamespace, 'public'::regnamespace)}),
	'0', 'verify_heapam finds nothing');

# the replay table after VACUUM FULL and REINDEX CONCURRENTLY
($ret, $out, $err) = psql_err("INSERT INTO s VALUES $row{5}");
like($err, qr/ERROR:  23505: row .*of ledger table "s" signed by key "k1" was already inserted/,
	'a replay of a signed row is still refused after the replay table was rewritten');
($ret, $out, $err) = psql_err('INSERT INTO s VALUES ' . signed_values(40, 'm40'));
is($err, '', '... and a new signed row is accepted');
ok(wait_sealed($node, 'postgres'), '... and sealed');
verify_ok($node, 'postgres', 's', $digest{s}, '... s verifies against the digest taken before');

# inside an open transaction that wrote to the ledger
($ret, $out, $err) = psql_err(q{
	BEGIN;
	INSERT INTO w (c, memo) VALUES (-1, 'in');
	CLUSTER w USING w_pkey;
	REINDEX TABLE w;
	ALTER TABLE w SET TABLESPACE ts;
	CLUSTER ledger.transactions USING transactions_pkey;
	INSERT INTO w (c, memo) VALUES (-2, 'in');
	COMMIT;});
is($err, '', 'CLUSTER, REINDEX, SET TABLESPACE inside a transaction that wrote w');
ok(wait_sealed($node, 'postgres'), '... sealed');
verify_ok($node, 'postgres', 'w', $digest{w}, '... w verifies against the digest taken before');

# what must stay refused, by another spelling
$node->safe_psql('postgres', 'CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler');
for my $op ('ALTER TABLE w SET ACCESS METHOD heap2', 'ALTER TABLE ledger.transactions SET ACCESS METHOD heap2',
	'ALTER TABLE w SET UNLOGGED', 'ALTER TABLE ledger.blocks SET UNLOGGED',
	'ALTER TABLE w ALTER COLUMN memo TYPE varchar(400)')
{
	($ret, $out, $err) = psql_err($op);
	like($err, qr/ERROR:  0A000: cannot/, "$op is refused");
}
# inheritance of the extension's tables, from the other side
for my $op ('CREATE TABLE fake_records () INHERITS (ledger.transactions)',
	'CREATE TABLE fake_blocks (LIKE ledger.blocks); ALTER TABLE fake_blocks INHERIT ledger.blocks',
	'CREATE TABLE all_records (LIKE ledger.transactions) PARTITION BY LIST (ledger_id); '
	  . 'ALTER TABLE all_records ATTACH PARTITION ledger.transactions DEFAULT')
{
	($ret, $out, $err) = psql_err($op);
	like($err,
		qr/ERROR:  0A000: table "\w+" cannot inherit from or be inherited by table "ledger\.\w+" of extension ledger/,
		"$op is refused");
}
is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_class c ON c.oid = i.inhrelid
		WHERE 'ledger'::regnamespace IN (p.relnamespace, c.relnamespace)}),
	'0', '... no table of the extension has a parent or a child');
is( $node->safe_psql('postgres', 'SELECT count(*) FROM ledger.transaction_blocks WHERE block_no IS NULL'),
	'0', '... and no record waits for sealing');

is( $node->safe_psql('postgres',
		q{SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relpersistence <> 'p' AND relnamespace IN ('ledger'::regnamespace, 'public'::regnamespace) AND relkind = 'r'}),
	'seal_queue', 'only the work list is unlogged');

# ---------- a replica and its catalog at a peer, while the subscription streams ----------
my $oa = sync_node('maint_origin');
my $pb = sync_node('maint_peer');
$oa->safe_psql('postgres', q{
	CREATE TABLE pay (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, c int, memo text);
	SELECT ledger.create_ledger('pay');
	INSERT INTO pay (c, memo) SELECT g, 'seed' FROM generate_series(1, 50) g;
	SELECT ledger.create_publication('mpub', ARRAY['pay'::regclass]);
});
ok(wait_sealed($oa, 'postgres'), 'origin sealed');
is( $pb->safe_psql('postgres',
		"SELECT ledger.create_subscription('msub', '" . conninfo($oa) . "', 'mpub')"),
	'1', 'the peer subscribes to pay');
my $rdigest = caught_up($oa, $pb, 'pay');
ok(defined $rdigest, 'the replica caught up');
my $load = load_start($oa, clients => 2, secs => 12, rate => 200,
	scripts => [ [ "INSERT INTO pay (c, memo) VALUES (:client_id, repeat('y', 200));\n", 1 ] ]);
sleep 1;
for my $op ('VACUUM FULL pay', 'CLUSTER pay USING pay_pkey', 'REINDEX TABLE CONCURRENTLY pay',
	'VACUUM (FREEZE, TRUNCATE) pay', 'ANALYZE pay', 'CREATE INDEX CONCURRENTLY pay_c ON pay (c)',
	'ALTER TABLE pay SET (fillfactor = 90)', 'VACUUM FULL ledger.transactions',
	'CLUSTER ledger.transactions USING transactions_pkey', 'VACUUM FULL ledger.blocks',
	'REINDEX TABLE CONCURRENTLY ledger.blocks', 'VACUUM FULL ledger.history_tiles', 'VACUUM FULL ledger.replicas')
{
	($ret, $out, $err) = $pb->psql('postgres', "\\set VERBOSITY verbose\n$op");
	is($err, '', "at the peer: $op while the subscription streams");
}
my ($lstatus) = load_finish($load);
is($lstatus, 0, 'the origin\'s writers committed');
$rdigest = caught_up($oa, $pb, 'pay');
ok(defined $rdigest, 'the replica caught up after the maintenance');
is(row_set($pb, 'pay'), row_set($oa, 'pay'), '... with the origin\'s rows');
verify_ok($pb, 'postgres', 'pay', $rdigest, '... and verifies against the origin\'s digest');
is(sub_enabled($pb, 'msub'), 't', '... its subscription still enabled');

done_testing();
