# pg_restore in any order, in parallel too (docs/replication.md, "Backup and restore").
#
# A peer holds its own signed ledger (keys "alice" and "bob" of its own
# registry, "bob" revoked) beside a signed replica of another
# institution's ledger, whose key is also called "alice" but is the
# origin's.  Its database is dumped (pg_dump -Fc) and restored into new
# databases with the catalog's data in the orders a parallel restore can
# take, forced with pg_restore -L, then with pg_restore -j 4:
#
#  1. ledger.signed_ledgers and ledger.keys before ledger.ledger_keys and
#     ledger.replicas (keys' trigger then runs with both signed ledgers
#     present and the replica not yet known as one);
#  2. every table's data in the reverse of pg_dump's order;
#  3. pg_restore -j 4, five times; then the sections (pre-data, data,
#     post-data) as three restores.  A schema-only restore followed by a
#     data-only one is refused for signed ledgers and replicas (their
#     triggers meet the data), and --disable-triggers by the DDL guard:
#     both checked as documented.
#
# Each restore runs without errors; ledger.ledger_keys, ledger.keys and
# ledger.signed_ledgers are the source's, row for row (the replica's keys
# are the origin's, none of this peer's); both ledgers verify against the
# digests taken before the dump, signatures included; the own ledger takes
# a row signed with its restored key "alice" and refuses one signed with
# the origin's "alice".
#
#  4. Records left unsealed at the dump and restored after a sealing pass
#     ran in the new database (a restore split in two runs of pg_restore
#     with ledger.seal() between them): the next pass still seals them.
#  5. A sealing pass after ledger.transactions' data was loaded and before
#     ledger.blocks' was: it seals nothing (every ledger has a genesis
#     block, so records without one mean blocks still to come), the blocks
#     then restore without errors, and every ledger verifies.
#  6. A sealing pass before ledger.replicas is loaded, with records of the
#     replica that its origin had not sealed at the dump: it leaves them
#     unsealed (ledgers.replica).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use LedgerTest;
use SyncTest;

my $dir = PostgreSQL::Test::Utils::tempdir;
my $a = sync_node('ro_origin');
my $b = sync_node('ro_peer');

# Public keys of test/sign_rows.py's published test keys, hex.
sub pub
{
	my ($key) = @_;
	my ($out) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', $key ]);
	$out =~ s/\s+//g;
	return $out;
}

# VALUES of a row of a signed ledger (id, memo, key_id, sig) signed by $key.
sub signed_row
{
	my ($node, $db, $table, $id, $memo, $key_id, $alg, $key) = @_;
	my $msg = $node->safe_psql($db,
		"SELECT encode(ledger.signing_bytes('$table', ROW($id, '$memo', '$key_id', NULL, NULL, NULL, NULL)::$table), 'hex')");
	my $sig = sign_hex($alg, $key, $msg);
	return "($id, '$memo', '$key_id', '\\x$sig')";
}

my $cols = '(id int PRIMARY KEY, memo text, key_id text, sig bytea)';

# The origin: "alice" is RFC 8032 test key 1.
$a->safe_psql('postgres', qq{
	SELECT ledger.add_key('alice', 'Bank A', 'ed25519', '\\x} . pub('rfc8032-1') . qq{', '2026-01-01');
	CREATE TABLE pay $cols;
	SELECT ledger.create_ledger('pay');
	SELECT ledger.require_signatures('pay', 'sig', 'key_id');
});
for my $i (1 .. 3)
{
	$a->safe_psql('postgres',
		'INSERT INTO pay VALUES ' . signed_row($a, 'postgres', 'pay', $i, "a$i", 'alice', 'ed25519', 'rfc8032-1'));
}
$a->safe_psql('postgres', q{SELECT ledger.create_publication('pub_a', ARRAY['pay'::regclass])});

# The peer: its own "alice" is RFC 8032 test key 2, its "bob" the RFC 6979
# P-256 key, revoked after signing.
$b->safe_psql('postgres', qq{
	SELECT ledger.add_key('alice', 'Bank B', 'ed25519', '\\x} . pub('rfc8032-2') . qq{', '2026-01-01');
	SELECT ledger.add_key('bob', 'Bank B', 'ecdsa-p256', '\\x} . pub('rfc6979-p256') . qq{', '2026-01-01');
	CREATE TABLE b_pay $cols;
	SELECT ledger.create_ledger('b_pay');
	SELECT ledger.require_signatures('b_pay', 'sig', 'key_id');
});
$b->safe_psql('postgres',
	'INSERT INTO b_pay VALUES ' . signed_row($b, 'postgres', 'b_pay', 1, 'b1', 'alice', 'ed25519', 'rfc8032-2'));
$b->safe_psql('postgres',
	'INSERT INTO b_pay VALUES ' . signed_row($b, 'postgres', 'b_pay', 2, 'b2', 'bob', 'ecdsa-p256', 'rfc6979-p256'));
$b->safe_psql('postgres', q{SELECT ledger.revoke_key('bob', 'rotated')});
is( $b->safe_psql('postgres',
		"SELECT ledger.create_subscription('b_from_a', '" . conninfo($a) . "', 'pub_a')"),
	'1', 'the peer subscribes to the origin\'s signed ledger');
my $da = caught_up($a, $b, 'pay');
ok(defined $da, 'the replica caught up');
ok(wait_sealed($b, 'postgres'), 'the peer\'s own ledger is sealed');
my $db_own = digest_of($b, 'b_pay');

# What the restored databases must hold, as the source holds it.
my %src;
my @catalog = ('ledger.ledger_keys', 'ledger.keys', 'ledger.signed_ledgers', 'ledger.replicas');
$src{$_} = content($b, $_) for @catalog;
is( $b->safe_psql('postgres', q{SELECT string_agg(g.relation || ':' || k.key_id || ':' || encode(k.public_key, 'hex'), ' '
	ORDER BY g.relation::text, k.key_id) FROM ledger.ledger_keys k JOIN ledger.ledgers g USING (ledger_id)}),
	'b_pay:alice:' . pub('rfc8032-2') . ' b_pay:bob:' . pub('rfc6979-p256') . ' pay:alice:' . pub('rfc8032-1'),
	'source: the replica has the origin\'s "alice", the own ledger this peer\'s "alice" and "bob"');

my $dump = "$dir/peer.dump";
$b->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', 'postgres' ], 'pg_dump -Fc of the peer');


# A list file of the dump's whole table of contents with its TABLE DATA
# entries in the order given by $order (a sub mapping the list of those
# entries to another).
my @toc = toc_of($dump);
sub list_file
{
	my ($order) = @_;
	my @at = grep { $toc[$_] =~ /^\d+; \d+ \d+ TABLE DATA / } 0 .. $#toc;
	my @data = $order->(map { $toc[$_] } @at);
	die 'entries lost' unless @data == @at;
	my @out = @toc;
	@out[@at] = @data;
	return write_list($dir, @out);
}
sub data_of
{
	my ($table, @entries) = @_;
	return grep { / TABLE DATA ledger $table / } @entries;
}
ok(scalar(data_of('ledger_keys', @toc)) == 1 && scalar(data_of('signed_ledgers', @toc)) == 1,
	'the dump holds the data of ledger.ledger_keys and ledger.signed_ledgers');

# pg_restore of dump $file into database $db with @args; returns its stderr.
sub pg_restore_into
{
	my ($db, $file, @args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pg_restore', '-h', $b->host, '-p', $b->port, '-d', $db, @args, $file ],
		'>', \$out, '2>', \$err);
	return $err;
}

# Restore the peer's dump into a new database with pg_restore's @args.
sub restore
{
	my ($db, @args) = @_;
	$b->safe_psql('postgres', "CREATE DATABASE $db");
	return pg_restore_into($db, $dump, @args);
}

sub check_restored
{
	my ($db, $name, $err) = @_;
	is($err, '', "$name: pg_restore runs without errors");
	for my $t (@catalog)
	{
		is(content($b, $t, $db), $src{$t}, "$name: $t holds the source's rows, no more, no fewer");
	}
	verify_ok($b, $db, 'b_pay', $db_own, "$name: the own signed ledger verifies against its digest");
	verify_ok($b, $db, 'pay', $da, "$name: the replica verifies against the origin's digest");
	my ($ret, $out, $e) = $b->psql($db,
		'INSERT INTO b_pay VALUES ' . signed_row($b, $db, 'b_pay', 10, 'restored', 'alice', 'ed25519', 'rfc8032-2'));
	is($ret, 0, "$name: the own ledger takes a row signed with its restored key") or diag($e);
	($ret, $out, $e) = $b->psql($db,
		'INSERT INTO b_pay VALUES ' . signed_row($b, $db, 'b_pay', 11, 'forged', 'alice', 'ed25519', 'rfc8032-1'));
	like($e, qr/signature by key "alice" of row \(id\)=\(11\) of ledger table "b_pay" does not verify/,
		"$name: and refuses one signed with the origin's \"alice\"");
}

# ---------- 1. signed_ledgers and keys first, ledger_keys and replicas last ----------
my $first = list_file(sub {
	my @e = @_;
	my @rest = grep { !/ TABLE DATA ledger (signed_ledgers|keys|ledger_keys|replicas) / } @e;
	return (data_of('signed_ledgers', @e), data_of('keys', @e), @rest,
		data_of('ledger_keys', @e), data_of('replicas', @e));
});
check_restored('r_keys_late', 'keys\' trigger before ledger_keys', restore('r_keys_late', '-L', $first));

# ---------- 2. every table's data in reverse order ----------
my $reverse = list_file(sub { return reverse @_ });
check_restored('r_reverse', 'data in reverse order', restore('r_reverse', '-L', $reverse));

# ---------- 3. in parallel ----------
for my $i (1 .. 5)
{
	check_restored("r_jobs$i", "pg_restore -j 4 (run $i)", restore("r_jobs$i", '-j', '4'));
}

# ---------- 3b. a restore in sections ----------

# Sections restored one after the other (pre-data, data, post-data): the
# data is loaded before the ledgers' triggers exist, as in one restore.
sub restore_steps
{
	my ($db, @steps) = @_;
	$b->safe_psql('postgres', "CREATE DATABASE $db");
	return join('', map { pg_restore_into($db, $dump, @$_) } @steps);
}
check_restored('r_sections', 'three sections one after the other',
	restore_steps('r_sections', [ '--section=pre-data' ], [ '--section=data' ], [ '--section=post-data' ]));

# --schema-only, then --data-only: the data meets the ledgers' triggers.
# A plain ledger's rows carry their hashes and are taken (a superuser's
# copy, checked); a signed ledger's rows meet replay protection, whose
# table was loaded first, and a replica's rows its read-only guard: both
# refused, nothing of those tables loaded (docs/replication.md, "Backup and
# restore": restore in sections instead).
my $err = restore_steps('r_schema_data', [ '--schema-only' ], [ '--data-only' ]);
like($err, qr/COPY failed for table "b_pay": ERROR:  row \(id\)=\(1\) of ledger table "b_pay" signed by key "alice" was already inserted/,
	'--schema-only, then --data-only: a signed ledger\'s rows are refused as replays');
like($err, qr/COPY failed for table "pay": ERROR:  cannot insert into ledger table "pay": it is a replica/,
	'--schema-only, then --data-only: a replica\'s rows are refused');
is($b->safe_psql('r_schema_data', 'SELECT count(*) FROM b_pay') . ' ' . $b->safe_psql('r_schema_data', 'SELECT count(*) FROM pay'),
	'0 0', '--schema-only, then --data-only: nothing of either loaded');

# --disable-triggers would switch the ledgers' triggers off: the DDL guard
# refuses it, and pg_restore goes on with the triggers on.
$err = restore_steps('r_disable', [ '--schema-only' ], [ '--data-only', '--disable-triggers' ]);
like($err, qr/cannot alter ledger table "b_pay" this way/, '--disable-triggers: refused on a ledger table');
like($err, qr/cannot alter the key registry "ledger.keys" this way/, '--disable-triggers: refused on the key registry');
is($b->safe_psql('r_disable', q{SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
	WHERE c.relname IN ('b_pay', 'pay', 'keys') AND t.tgenabled = 'D'}), '0', '--disable-triggers: no trigger left disabled');

# ---------- 4. records restored unsealed, after a sealing pass ran ----------

# The peer stops sealing (ledger.sealer = off) and writes two transactions
# to a new ledger, left unsealed in the dump.  The restore is split: every
# entry but ledger.transactions' data, then ledger.seal() in the new
# database (the pass writes the work list's marker: nothing unsealed yet),
# then the records.  The next sealing pass seals them.
$b->append_conf('postgresql.conf', "ledger.sealer = off\n");
$b->restart;
$b->safe_psql('postgres', q{CREATE TABLE notes (id int PRIMARY KEY, body text);
	SELECT ledger.create_ledger('notes');
	INSERT INTO notes VALUES (1, 'sealed');});
my $dn = digest_of($b, 'notes');
$b->safe_psql('postgres', q{INSERT INTO notes VALUES (2, 'unsealed');
	INSERT INTO notes VALUES (3, 'unsealed too');});
my $pay_blocks = q{SELECT count(*) FROM ledger.blocks b JOIN ledger.ledgers g USING (ledger_id)
	WHERE g.relation = 'pay'::regclass};
my $unsealed = q{SELECT count(*) FROM ledger.transaction_blocks t JOIN ledger.ledgers g USING (ledger_id)
	WHERE g.relation = 'notes'::regclass AND t.block_no IS NULL};
is($b->safe_psql('postgres', $unsealed), '2', 'split restore: two transactions of the source are unsealed');
my $dump2 = "$dir/unsealed.dump";
$b->command_ok([ 'pg_dump', '-Fc', '-f', $dump2, '-d', 'postgres' ], 'split restore: pg_dump with records unsealed');
my $blocks_at_dump = $b->safe_psql('postgres', 'SELECT count(*) FROM ledger.blocks');
$b->append_conf('postgresql.conf', "ledger.sealer = on\n");
$b->restart;

my @toc2 = toc_of($dump2);
my @records = data_of('transactions', @toc2);
is(scalar(@records), 1, 'split restore: the dump holds ledger.transactions\' data');
$b->safe_psql('postgres', 'CREATE DATABASE r_split');
is(pg_restore_into('r_split', $dump2, '-L', write_list($dir, grep { !/ TABLE DATA ledger transactions / } @toc2)),
	'', 'split restore: everything but the records restores');
$b->safe_psql('r_split', 'SELECT ledger.seal()');
is($b->safe_psql('r_split', 'SELECT count(*) FROM ledger.seal_queue WHERE ledger_id = 0'), '1',
	'split restore: a sealing pass ran in the new database (the work list is marked)');
is(pg_restore_into('r_split', $dump2, '-L', write_list($dir, @records)), '', 'split restore: then the records restore');
is($b->safe_psql('r_split', $unsealed), '2', 'split restore: the two restored records are unsealed');
# Nothing starts a pass while a restore may still be loading blocks; the
# first one after it (here seal(); a commit or digest() would do) seals them.
$b->safe_psql('r_split', 'SELECT ledger.seal()');
is($b->safe_psql('r_split', $unsealed), '0', 'split restore: the next sealing pass seals them');
my $v = verify($b, 'r_split', 'notes', $dn);
is($v->{ok}, 't', 'split restore: the ledger verifies against the digest taken before them') or diag($v->{problem});
is($v->{rows}, 3, 'split restore: all three rows checked');
is($v->{unsealed}, 0, 'split restore: none unsealed');
verify_ok($b, 'r_split', 'notes', digest_of($b, 'notes', 'r_split'),
	'split restore: and against a new digest');
verify_ok($b, 'r_split', 'b_pay', $db_own, 'split restore: the own signed ledger verifies');
verify_ok($b, 'r_split', 'pay', $da, 'split restore: the replica verifies against the origin\'s digest');
is($b->safe_psql('r_split', $pay_blocks), $b->safe_psql('postgres', $pay_blocks),
	'split restore: no block of the replica was sealed here');

# ---------- 5. a sealing pass between the records and the blocks ----------

# ledger.transactions' data loaded, ledger.blocks' not yet (an order
# pg_restore -j may take), and a sealing pass then: it must seal nothing
# (the records are in blocks still to come), or the blocks' load fails on
# their primary key and the ledgers fork.
my @blocks = data_of('blocks', @toc2);
is(scalar(@blocks), 1, 'records before blocks: the dump holds ledger.blocks\' data');
my %step = (
	rest => [ grep { !/ TABLE DATA ledger (transactions|blocks) / } @toc2 ],
	recs => \@records);
$b->safe_psql('postgres', 'CREATE DATABASE r_blocks_late');
for my $k ('rest', 'recs')
{
	is(pg_restore_into('r_blocks_late', $dump2, '-L', write_list($dir, @{ $step{$k} })),
		'', "records before blocks: pg_restore of the $k runs without errors");
}
my ($sret, $sout, $serr) = $b->psql('r_blocks_late', 'SELECT ledger.seal()');
is($sout, '0', 'records before blocks: ledger.seal() seals nothing');
like($serr, qr/NOTICE:  nothing sealed: a ledger of this database has transaction records but no genesis block/,
	'records before blocks: and says why');
is($b->safe_psql('r_blocks_late', 'SELECT count(*) FROM ledger.blocks'), '0', 'records before blocks: no block written');
is(pg_restore_into('r_blocks_late', $dump2, '-L', write_list($dir, @blocks)),
	'', 'records before blocks: then the blocks restore without errors');
is($b->safe_psql('r_blocks_late', 'SELECT count(*) FROM ledger.blocks'),
	$blocks_at_dump, 'records before blocks: every block of the dump');
$b->safe_psql('r_blocks_late', 'SELECT ledger.seal()');
is($b->safe_psql('r_blocks_late', $unsealed), '0', 'records before blocks: the next pass seals the unsealed records');
is( $b->safe_psql('r_blocks_late', q{SELECT count(*) FROM (SELECT b.ledger_id, x FROM ledger.blocks b, unnest(b.xact_ids) x
	GROUP BY 1, 2 HAVING count(*) > 1) d}), '0', 'records before blocks: no record in two blocks');
verify_ok($b, 'r_blocks_late', 'notes', $dn, 'records before blocks: notes verifies against the digest taken before');
verify_ok($b, 'r_blocks_late', 'b_pay', $db_own, 'records before blocks: the own signed ledger verifies');
verify_ok($b, 'r_blocks_late', 'pay', $da, 'records before blocks: the replica verifies against the origin\'s digest');

# ---------- 6. a sealing pass before ledger.replicas is loaded ----------

# The origin stops sealing; two more signed rows reach the peer's replica
# with their records and without a block.  The peer's dump is restored
# with everything but ledger.replicas' data, then ledger.seal(): the
# replica's records must stay unsealed (the ledger's own row says it is a
# replica, ledgers.replica), then ledger.replicas is loaded.
# (the subscription is disabled across the origin's restart, which would
# disable it anyway: docs/replication.md, "Failures")
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION b_from_a DISABLE');
$a->append_conf('postgresql.conf', "ledger.sealer = off\n");
$a->restart;
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION b_from_a ENABLE');
for my $i (4, 5)
{
	$a->safe_psql('postgres',
		'INSERT INTO pay VALUES ' . signed_row($a, 'postgres', 'pay', $i, "a$i", 'alice', 'ed25519', 'rfc8032-1'));
}
my $replica_unsealed = q{SELECT count(*) FROM ledger.transaction_blocks t JOIN ledger.ledgers g USING (ledger_id)
	WHERE g.relation = 'pay'::regclass AND t.block_no IS NULL};
ok(poll_until($b, "SELECT ($replica_unsealed) = 2", 60), 'replicas late: the replica holds two records its origin has not sealed');
my $pay_blocks_at_dump = $b->safe_psql('postgres', $pay_blocks);
my $dump3 = "$dir/replica_unsealed.dump";
$b->command_ok([ 'pg_dump', '-Fc', '-f', $dump3, '-d', 'postgres' ], 'replicas late: pg_dump of the peer');
my @toc3 = toc_of($dump3);
$b->safe_psql('postgres', 'CREATE DATABASE r_replicas_late');
is(pg_restore_into('r_replicas_late', $dump3, '-L', write_list($dir, grep { !/ TABLE DATA ledger replicas / } @toc3)),
	'', 'replicas late: everything but ledger.replicas restores');
is($b->safe_psql('r_replicas_late', 'SELECT count(*) FROM ledger.replicas'), '0', 'replicas late: ledger.replicas is empty');
$b->safe_psql('r_replicas_late', 'SELECT ledger.seal()');
is($b->safe_psql('r_replicas_late', $replica_unsealed), '2', 'replicas late: ledger.seal() leaves the replica\'s records unsealed');
is($b->safe_psql('r_replicas_late', $pay_blocks), $pay_blocks_at_dump, 'replicas late: and writes no block of the replica');
is(pg_restore_into('r_replicas_late', $dump3, '-L', write_list($dir, data_of('replicas', @toc3))),
	'', 'replicas late: then ledger.replicas restores');
$b->safe_psql('r_replicas_late', 'SELECT ledger.seal()');
is($b->safe_psql('r_replicas_late', $pay_blocks), $pay_blocks_at_dump, 'replicas late: still no block of the replica sealed here');
verify_ok($b, 'r_replicas_late', 'pay', $da, 'replicas late: the replica verifies against the origin\'s digest');
verify_ok($b, 'r_replicas_late', 'b_pay', $db_own, 'replicas late: the own signed ledger verifies');

done_testing();
