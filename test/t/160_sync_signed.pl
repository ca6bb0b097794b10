# Sync of signed ledgers (issue #11): a signed ledger published with the
# keys that may sign it (ledger.ledger_keys), its replica verifying every
# arriving signature in C against the keys its origin published, with the
# origin's ledger uuid, and judging each key at the origin's commit time.
#
#  1. Ed25519 and P-256 keys made with the openssl command line; rows
#     signed with them by openssl, inserted by pgbench under load; the
#     replica's digest equals the origin's and ledger.verify() there checks
#     the signatures and passes; so does tools/ledger-audit on the
#     replica's export, against the keys its origin published.
#  2. A key whose revocation was scheduled: a row committed at the origin
#     before the revocation time, applied at the peer after that time and
#     after the revocation arrived, is accepted.  A peer subscribing after
#     the revocation copies the revoked key first, then the row: accepted.
#  3. The apply worker (a session open before the revocation, which used
#     the key) sees a replicated revocation: a row the origin signed with
#     the key after its revocation (its own registry bypassed by a
#     superuser) is refused, by that same worker.
#  4. A tampering origin superuser: a forged signature with a correct hash,
#     key rows edited, swapped, deleted, re-inserted, their revocation
#     withdrawn, and a replayed signature: each refused on arrival, the
#     subscription disabled, the replica unchanged and still verifying.
#  5. Two institutions that both register a key "alice" replicate each
#     other's signed ledgers: the keys do not collide, and neither key can
#     sign the other institution's ledgers.
#  6. resync_subscription and drop_subscription of a signed replica; a
#     ledger made signed at the origin after a peer subscribed is refused
#     until resync_subscription sets the replica up.
#  7. The peer's database dumped (pg_dump -Fc) and restored into a new
#     database: its replicas verify there against the origin's digests, with
#     the keys it held, stay read-only; its own signed ledger takes rows
#     signed with its restored keys only; the restored subscription is
#     disabled and holds no table ("not subscribed"; ENABLE refused) until
#     resync_subscription takes over from the old database.
use strict;
use warnings;

use File::Temp qw(tempdir);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my ($stdout, $stderr);
if (!IPC::Run::run([ 'openssl', 'version' ], '>', \$stdout, '2>', \$stderr))
{
	plan skip_all => 'openssl command line not found on PATH';
}

my $dir = tempdir(CLEANUP => 1);
my $more = "max_wal_senders = 20\nmax_replication_slots = 20\nmax_logical_replication_workers = 12\n"
  . "max_worker_processes = 24\n";
my $a = sync_node('signed_origin', conf => $more);
my $b = sync_node('signed_peer', conf => $more);

sub openssl
{
	my (@args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'openssl', @args ], '>', \$out, '2>', \$err)
	  or die "openssl @args: $err";
	return $out;
}

sub slurp
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or die "$path: $!";
	local $/;
	my $s = <$fh>;
	close($fh);
	return $s;
}

# A key pair made by openssl: (algorithm, PEM public key quoted for SQL).
my %alg;
sub make_key
{
	my ($name, $alg) = @_;
	openssl('genpkey',
		$alg eq 'ed25519'
		? ('-algorithm', 'ed25519')
		: ('-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'),
		'-out', "$dir/$name.pem");
	openssl('pkey', '-in', "$dir/$name.pem", '-pubout', '-out', "$dir/$name.pub");
	$alg{$name} = $alg;
	(my $pem = slurp("$dir/$name.pub")) =~ s/'/''/g;
	return $pem;
}

# Register at a node under key_id the public half of openssl key $name.
sub add_key
{
	my ($node, $key_id, $name, %o) = @_;
	my $pem = make_key($name, $o{alg}) unless -e "$dir/$name.pem";
	($pem = slurp("$dir/$name.pub")) =~ s/'/''/g;
	$node->safe_psql('postgres',
		"SELECT ledger.add_key('$key_id', 'tap', '$alg{$name}', ledger.public_key_from_pem('$pem'))");
}

# Sign hex bytes with openssl key $name: Ed25519 raw, P-256 DER over SHA-256.
my $nsig = 0;
sub sign_hex_with
{
	my ($name, $hex) = @_;
	my $f = "$dir/m" . $nsig++;
	open(my $fh, '>:raw', "$f.bin") or die;
	print $fh pack('H*', $hex);
	close($fh);
	if ($alg{$name} eq 'ed25519')
	{
		openssl('pkeyutl', '-sign', '-rawin', '-inkey', "$dir/$name.pem", '-in', "$f.bin", '-out', "$f.sig");
	}
	else
	{
		openssl('dgst', '-sha256', '-sign', "$dir/$name.pem", '-out', "$f.sig", "$f.bin");
	}
	return unpack('H*', slurp("$f.sig"));
}

# The VALUES of a signed row of a ledger (id, payer, amount, key_id, sig)
# at node $node, signed with openssl key $name, registered as $key_id.
sub signed_row
{
	my ($node, $table, $id, $payer, $amount, $key_id, $name) = @_;
	my $idv = defined $id ? "$id, " : '';
	my $hex = $node->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('$table', ROW($idv'$payer', $amount, '$key_id', NULL, NULL, NULL, NULL)::$table), 'hex')");
	my $sig = sign_hex_with($name, $hex);
	return "($idv'$payer', $amount, '$key_id', '\\x$sig')";
}

# ---------- 1. a signed ledger under load ----------

# A's keys: made by openssl, registered from their PEM public halves.
add_key($a, 'ed1', 'a_ed1', alg => 'ed25519');
add_key($a, 'ec1', 'a_ec1', alg => 'ecdsa-p256');
add_key($a, 'ed2', 'a_ed2', alg => 'ed25519');
add_key($a, 'ec2', 'a_ec2', alg => 'ecdsa-p256');
add_key($a, 'alice', 'a_alice', alg => 'ed25519');
make_key('mallory', 'ed25519');
make_key('mallory_ec', 'ecdsa-p256');

sub signed_ledger
{
	my ($node, $table, %o) = @_;
	my $pk = $o{nokey} ? '' : 'id bigint PRIMARY KEY, ';
	$node->safe_psql('postgres', qq{
		CREATE TABLE $table (${pk}payer text NOT NULL, amount numeric(18,2) NOT NULL, key_id text, sig bytea);
		SELECT ledger.create_ledger('$table');
		SELECT ledger.require_signatures('$table', 'sig', 'key_id');
	});
}

signed_ledger($a, 'pay');
$a->safe_psql('postgres', 'INSERT INTO pay VALUES ' . join(', ',
	signed_row($a, 'pay', 1, 'alice', 10.5, 'ed1', 'a_ed1'),
	signed_row($a, 'pay', 2, 'bob', 20, 'ec1', 'a_ec1'),
	signed_row($a, 'pay', 3, 'carol', 0.01, 'alice', 'a_alice')));
$a->safe_psql('postgres', "SELECT ledger.create_publication('a_pub', ARRAY['pay'::regclass])");
is($a->safe_psql('postgres', q{SELECT count(*) FROM ledger.ledger_keys k JOIN ledger.ledgers l USING (ledger_id)
	WHERE l.relation = 'pay'::regclass}), '5', 'origin: the publication carries the five keys that may sign the ledger');
ok(wait_sealed($a, 'postgres'), 'origin sealed');

my $ci = conninfo($a);

# A publication of the signed ledger and the chain's tables without the
# keys that may sign it: refused.
$a->safe_psql('postgres', q{CREATE PUBLICATION nokeys_pub
	FOR TABLE pay, ledger.ledgers, ledger.transactions, ledger.blocks});
my (undef, undef, $nkerr) = $b->psql('postgres',
	"SELECT ledger.create_subscription('b_nokeys', '$ci', 'nokeys_pub')");
like($nkerr, qr/publication "nokeys_pub" at the origin carries signed ledgers without their keys/,
	'a publication of a signed ledger without its keys is refused');
$a->safe_psql('postgres', q{DROP PUBLICATION nokeys_pub});

is($b->safe_psql('postgres', "SELECT ledger.create_subscription('b_from_a', '$ci', 'a_pub')"), '1',
	'peer subscribed to the signed ledger');
is($b->safe_psql('postgres', q{SELECT signature_attname || ',' || key_attname FROM ledger.signed_ledgers s
	JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'pay'::regclass}), 'sig,key_id',
	'the replica is registered as a signed ledger with the origin\'s columns');
is($b->safe_psql('postgres', q{SELECT tgenabled FROM pg_trigger WHERE tgrelid = 'pay'::regclass AND tgname = 'ledger_signature'}),
	'A', 'the replica has the signature trigger, enabled always');
is($b->safe_psql('postgres', q{SELECT ledger_uuid FROM ledger.ledgers WHERE relation = 'pay'::regclass}),
	$a->safe_psql('postgres', q{SELECT ledger_uuid FROM ledger.ledgers WHERE relation = 'pay'::regclass}),
	'the replica has the origin\'s ledger uuid, which the signatures cover');
is($b->safe_psql('postgres', 'SELECT count(*) FROM ledger.keys'), '0',
	'the origin\'s keys are not in the peer\'s own registry');
is($b->safe_psql('postgres', q{SELECT string_agg(key_id, ',' ORDER BY key_id) FROM ledger.ledger_keys}),
	'alice,ec1,ec2,ed1,ed2', 'the peer holds the origin\'s keys for the ledger');
is($b->safe_psql('postgres', 'SELECT count(*) FROM pay'), '3', 'the copy holds the three signed rows');
verify_ok($b, 'postgres', 'pay', undef, 'the copy verifies, signatures included');

# 240 rows signed by openssl with each of two Ed25519 and two P-256 keys,
# inserted by four pgbench clients.
my @names = ([ 'ed1', 'a_ed1' ], [ 'ec1', 'a_ec1' ], [ 'ed2', 'a_ed2' ], [ 'ec2', 'a_ec2' ]);
my $hexes = $a->safe_psql('postgres', q{
	SELECT g, encode(ledger.signing_bytes('pay', ROW(g, 'p' || g, g / 7.0, (ARRAY['ed1', 'ec1', 'ed2', 'ec2'])[g % 4 + 1],
		NULL, NULL, NULL, NULL)::pay), 'hex') FROM generate_series(100, 339) g});
my @staged;
for my $line (split /\n/, $hexes)
{
	my ($g, $hex) = split /\|/, $line;
	my ($key_id, $name) = @{ $names[ $g % 4 ] };
	push @staged, "($g, 'p$g', round($g / 7.0, 2), '$key_id', '\\x" . sign_hex_with($name, $hex) . "')";
}
# amounts are numeric(18,2): signing_bytes of the value as stored
$a->safe_psql('postgres', 'CREATE TABLE stage (id bigint PRIMARY KEY, payer text, amount numeric(18,2), key_id text, sig bytea); '
	  . 'CREATE SEQUENCE stage_n MINVALUE 100 START 100; INSERT INTO stage VALUES ' . join(', ', @staged));
my $load = load_start($a, clients => 4, secs => 4, rate => 80, scripts => [
	[ "WITH n AS (SELECT nextval('stage_n') AS id) INSERT INTO pay SELECT s.* FROM stage s JOIN n USING (id);\n", 1 ] ]);
my ($status, $ntx, $lerr) = load_finish($load);
is($status, 0, 'pgbench ran') or diag($lerr);
$a->safe_psql('postgres', q{INSERT INTO pay SELECT s.* FROM stage s WHERE s.id NOT IN (SELECT id FROM pay)});
is($a->safe_psql('postgres', 'SELECT count(*) FROM pay'), '243', 'origin: every staged row was accepted');
# a key registered now reaches the peer before the first row it signs
add_key($a, 'ed3', 'a_ed3', alg => 'ed25519');
$a->safe_psql('postgres', 'INSERT INTO pay VALUES ' . signed_row($a, 'pay', 400, 'new key', 4, 'ed3', 'a_ed3'));
my $d = caught_up($a, $b, 'pay');
ok(defined $d, 'the peer caught up');
is(row_set($b, 'pay'), row_set($a, 'pay'), 'the peer holds the origin\'s rows');
is(content($b, 'pay'), content($a, 'pay'), 'with the same content, signatures included');
is(digest_of($b, 'pay'), $d, 'the peer\'s digest equals the origin\'s for the same block');
my $v = verify_ok($b, 'postgres', 'pay', $d, 'the replica verifies against the origin\'s digest, signatures included');
is($v->{rows}, '244', 'every row checked');
# the replica's export gives the keys its origin published (ledger.ledger_keys),
# as the origin's gives them from its registry, and tools/ledger-audit checks
# every signature against them (2026-12-06; before, it checked none)
my $keylines = sub {
	join("\n", grep { /^\{"type" : "key"/ } split /\n/, $_[0]->safe_psql('postgres', q{SELECT * FROM ledger.export('pay')}));
};
my $akeys = $keylines->($a);
ok($akeys =~ /"key_id" : "ed3"/, 'the origin\'s export gives the keys its rows name');
is($keylines->($b), $akeys, 'the replica\'s export gives the same keys, those its origin published');
my ($arc, $aout) = audit_export($b, 'postgres', 'pay', $d);
ok($arc == 0 && $aout =~ /; 244 row signatures checked against the export's \d+ keys \(/,
	'tools/ledger-audit checks every signature of the replica\'s export') or diag($aout);
is($b->safe_psql('postgres', 'SELECT key_id FROM pay WHERE id = 400'), 'ed3', 'the row signed by the new key arrived');
is($b->safe_psql('postgres', q{SELECT count(*) FROM ledger.signed_messages m JOIN ledger.ledgers l USING (ledger_id)
	WHERE l.relation = 'pay'::regclass}), '244', 'the peer rebuilt the replay table from what arrived');

# ---------- 2. keys judged at the origin's commit time ----------

# A revocation scheduled three seconds ahead, a row signed by the key before
# then; the peer applies both after that time.
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION b_from_a DISABLE');
ok(poll_until($b, "SELECT count(*) = 0 FROM pg_stat_subscription WHERE subname = 'b_from_a' AND pid IS NOT NULL", 30),
	'peer: subscription held disabled');
my $rev_at = $a->safe_psql('postgres',
	q{SELECT (ledger.revoke_key('ed2', 'scheduled rotation', clock_timestamp() + interval '3 seconds')).revoked_at});
$a->safe_psql('postgres', 'INSERT INTO pay VALUES ' . signed_row($a, 'pay', 500, 'before', 5, 'ed2', 'a_ed2'));
is($a->safe_psql('postgres', qq{SELECT t.committed_at < '$rev_at'::timestamptz FROM ledger.transactions t
	JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'pay'::regclass
	AND t.xact_id = (SELECT ledger_xact FROM pay WHERE id = 500)}), 't',
	'origin: the row committed before the key\'s revocation time');
ok(poll_until($a, "SELECT now() > '$rev_at'::timestamptz", 10), 'the revocation time has passed');
my ($ret, $out, $err) = $a->psql('postgres', 'INSERT INTO pay VALUES ' . signed_row($a, 'pay', 501, 'after', 5, 'ed2', 'a_ed2'));
like($err, qr/key "ed2" signing row \(id\)=\(501\) of ledger table "pay" is revoked/,
	'origin: a row signed by the key now is refused');
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION b_from_a ENABLE');
$d = caught_up($a, $b, 'pay');
ok(defined $d, 'peer caught up after the revocation time');
is($b->safe_psql('postgres', qq{SELECT k.revoked_at = '$rev_at'::timestamptz FROM ledger.ledger_keys k
	JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'pay'::regclass AND k.key_id = 'ed2'}), 't',
	'peer: the revocation arrived');
is($b->safe_psql('postgres', 'SELECT payer FROM pay WHERE id = 500'), 'before',
	'peer: the row committed before the revocation, applied after it, is accepted');
verify_ok($b, 'postgres', 'pay', $d, 'peer: the replica verifies against the origin\'s digest');

# A peer subscribing now copies the revoked key first, then the row.
my $c = sync_node('signed_late', conf => $more);
is($c->safe_psql('postgres', "SELECT ledger.create_subscription('c_from_a', '$ci', 'a_pub')"), '1',
	'a later peer subscribes');
is($c->safe_psql('postgres', 'SELECT payer FROM pay WHERE id = 500'), 'before',
	'later peer: the row arrives after its key\'s revocation and is accepted');
is(row_set($c, 'pay'), row_set($a, 'pay'), 'later peer: the origin\'s rows');
verify_ok($c, 'postgres', 'pay', $d, 'later peer: verifies against the origin\'s digest');
$c->safe_psql('postgres', "SELECT ledger.drop_subscription('c_from_a')");
$c->stop;

# ---------- 3. a replicated revocation reaches a session open before it ----------

# The origin's superuser, its registry's guards off: $sql runs between them.
sub registry_unguarded
{
	my ($sql) = @_;
	$a->safe_psql('postgres', qq{
		ALTER EVENT TRIGGER ledger_guard_signed DISABLE;
		ALTER TABLE ledger.keys DISABLE TRIGGER ALL;
		$sql;
		ALTER TABLE ledger.keys ENABLE ALWAYS TRIGGER keys_append_only, ENABLE ALWAYS TRIGGER keys_no_truncate,
			ENABLE ALWAYS TRIGGER keys_changed, ENABLE ALWAYS TRIGGER keys_insert;
		ALTER EVENT TRIGGER ledger_guard_signed ENABLE ALWAYS;
	});
}

# A ledger on a subscription of its own.
sub published
{
	my ($table, %o) = @_;
	signed_ledger($a, $table, %o);
	$a->safe_psql('postgres', 'INSERT INTO ' . $table . ' VALUES '
		  . signed_row($a, $table, $o{nokey} ? undef : 1, 'first', 1, 'ec2', 'a_ec2'));
	$a->safe_psql('postgres', "SELECT ledger.create_publication('${table}_pub', ARRAY['$table'::regclass])");
	wait_sealed($a, 'postgres');
	is($b->safe_psql('postgres', "SELECT ledger.create_subscription('${table}_sub', '$ci', '${table}_pub')"), '1',
		"$table: subscribed");
	my $dg = caught_up($a, $b, $table);
	ok(defined $dg, "$table: caught up");
	return $dg;
}

my $rid = 10;
signed_ledger($a, 't_revoked');
$a->safe_psql('postgres', 'INSERT INTO t_revoked VALUES ' . signed_row($a, 't_revoked', 1, 'x', 1, 'ec1', 'a_ec1'));
$a->safe_psql('postgres', "SELECT ledger.create_publication('rev_pub', ARRAY['t_revoked'::regclass])");
wait_sealed($a, 'postgres');
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('b_rev', '$ci', 'rev_pub')"), '1', 't_revoked: subscribed');
$a->safe_psql('postgres', 'INSERT INTO t_revoked VALUES ' . signed_row($a, 't_revoked', 2, 'y', 2, 'ec1', 'a_ec1'));
my $d2 = caught_up($a, $b, 't_revoked');
ok(defined $d2, 't_revoked: a row signed by ec1 arrived through the stream');
my $pid = $b->safe_psql('postgres', q{SELECT pid FROM pg_stat_subscription WHERE subname = 'b_rev'});
like($pid, qr/^\d+$/, 'the apply worker that checked it runs');
$a->safe_psql('postgres', q{SELECT ledger.revoke_key('ec1', 'compromised')});
ok(poll_until($b, q{SELECT k.revoked_at IS NOT NULL FROM ledger.ledger_keys k JOIN ledger.ledgers l USING (ledger_id)
	WHERE l.relation = 't_revoked'::regclass AND k.key_id = 'ec1'}, 30), 'the revocation of ec1 replicated');
is($b->safe_psql('postgres', q{SELECT pid FROM pg_stat_subscription WHERE subname = 'b_rev'}), $pid,
	'the same apply worker applied it');
my $since = last_error_at($b, 'b_rev');
my $logpos = -s $b->logfile;
# the origin's superuser withdraws the revocation in its registry alone,
# signs a row with the key, and puts the revocation back
registry_unguarded(q{
	CREATE TABLE keep_ec1 AS SELECT revoked_at, revocation_reason FROM ledger.keys WHERE key_id = 'ec1';
	UPDATE ledger.keys SET revoked_at = NULL, revocation_reason = NULL WHERE key_id = 'ec1'});
$a->safe_psql('postgres', 'INSERT INTO t_revoked VALUES ' . signed_row($a, 't_revoked', 3, 'late', 3, 'ec1', 'a_ec1'));
registry_unguarded(q{UPDATE ledger.keys k SET revoked_at = s.revoked_at, revocation_reason = s.revocation_reason
	FROM keep_ec1 s WHERE k.key_id = 'ec1'});
my ($rerr) = wait_refused($b, 'b_rev', $since);
like($rerr, qr/^key "ec1" signing row \(id\)=\(3\) of replica ledger table "t_revoked" was revoked before transaction \d+ committed at the origin$/,
	'a row signed after the revocation is refused');
like(substr(slurp($b->logfile), $logpos), qr/\[$pid\] .*ERROR:  key "ec1" signing row \(id\)=\(3\)/,
	'by the apply worker that had used the key before its revocation arrived');
is($b->safe_psql('postgres', 'SELECT count(*) FROM t_revoked'), '2', 'the replica is unchanged');
verify_ok($b, 'postgres', 't_revoked', $d2, 'and verifies against the origin\'s last good digest');

# ---------- 4. a tampering origin superuser ----------

# A forged signature whose row the origin hashed and recorded: its registry
# held another key under "ec2" for one insert.
my $dforge = published('t_forge');
$since = last_error_at($b, 't_forge_sub');
(my $mpem = slurp("$dir/mallory_ec.pub")) =~ s/'/''/g;
registry_unguarded(qq{
	CREATE TABLE keep_ec2 AS SELECT public_key FROM ledger.keys WHERE key_id = 'ec2';
	UPDATE ledger.keys SET public_key = ledger.public_key_from_pem('$mpem') WHERE key_id = 'ec2'});
$a->safe_psql('postgres', 'INSERT INTO t_forge VALUES ' . signed_row($a, 't_forge', 2, 'forged', 1, 'ec2', 'mallory_ec'));
registry_unguarded(q{UPDATE ledger.keys k SET public_key = s.public_key FROM keep_ec2 s WHERE k.key_id = 'ec2'});
is($a->safe_psql('postgres', q{SELECT ledger_hash = ledger.leaf_hash(t, ledger_xact, ledger_seq) FROM t_forge t WHERE id = 2}), 't',
	'origin: the forged row has a correct hash');
($rerr) = wait_refused($b, 't_forge_sub', $since);
like($rerr, qr/^signature by key "ec2" of row \(id\)=\(2\) of ledger table "t_forge" does not verify$/,
	'forged signature: refused on arrival');
is($b->safe_psql('postgres', 'SELECT count(*) FROM t_forge'), '1', 'forged signature: the replica is unchanged');
verify_ok($b, 'postgres', 't_forge', $dforge, 'forged signature: the replica verifies');

# The key rows: each change refused, then the origin restored and the
# refused transactions skipped; rows flow again.
my $dkeys = published('t_keys');
my $kid = $a->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 't_keys'::regclass});
my $next = 10;
sub key_case
{
	my (%c) = @_;
	my $name = $c{name};
	my $before = content($b, 't_keys');
	my $keys_before = $b->safe_psql('postgres', "SELECT md5(string_agg(k::text, ';' ORDER BY key_id)) FROM ledger.ledger_keys k WHERE ledger_id = $kid");
	my $since = last_error_at($b, 't_keys_sub');
	$a->safe_psql('postgres', $c{tamper});
	my ($err, $lsn, $at) = wait_refused($b, 't_keys_sub', $since);
	ok(defined $err, "$name: subscription disabled") or return;
	like($err, $c{refused}, "$name: refused on arrival");
	is(content($b, 't_keys'), $before, "$name: the replica is unchanged");
	is($b->safe_psql('postgres', "SELECT md5(string_agg(k::text, ';' ORDER BY key_id)) FROM ledger.ledger_keys k WHERE ledger_id = $kid"),
		$keys_before, "$name: its keys are unchanged");
	verify_ok($b, 'postgres', 't_keys', $dkeys, "$name: the replica verifies");
	$a->safe_psql('postgres', $c{restore});
	skip_refused($b, 't_keys_sub', $lsn);
	if ($c{restore_refused})
	{
		my ($err2, $lsn2) = wait_refused($b, 't_keys_sub', $at);
		like($err2, $c{restore_refused}, "$name: the restoring change is refused too");
		skip_refused($b, 't_keys_sub', $lsn2);
	}
	my $id = $next++;
	$a->safe_psql('postgres', 'INSERT INTO t_keys VALUES ' . signed_row($a, 't_keys', $id, "after $name", 1, 'ec2', 'a_ec2'));
	$dkeys = caught_up($a, $b, 't_keys');
	ok(defined $dkeys, "$name: rows flow again");
	is(row_set($b, 't_keys'), row_set($a, 't_keys'), "$name: the same rows at both ends");
	is($b->safe_psql('postgres', "SELECT md5(string_agg(k::text, ';' ORDER BY key_id)) FROM ledger.ledger_keys k WHERE ledger_id = $kid"),
		$a->safe_psql('postgres', "SELECT md5(string_agg(k::text, ';' ORDER BY key_id)) FROM ledger.ledger_keys k WHERE ledger_id = $kid"),
		"$name: the same keys at both ends");
	verify_ok($b, 'postgres', 't_keys', $dkeys, "$name: the replica verifies against the new digest");
}

my $refused = sub { qr/^subscription "t_keys_sub" sent $_[0] key "$_[1]" of ledger "t_keys", which a replica refuses$/ };
(my $mal = slurp("$dir/mallory.pub")) =~ s/'/''/g;
key_case(
	name => 'key row edited',
	tamper => qq{UPDATE ledger.ledger_keys SET owner = 'mallory' WHERE ledger_id = $kid AND key_id = 'ed1'},
	refused => $refused->('a change of', 'ed1'),
	# an UPDATE to what the peer holds changes nothing there
	restore => qq{UPDATE ledger.ledger_keys SET owner = 'tap' WHERE ledger_id = $kid AND key_id = 'ed1'});
key_case(
	name => 'key swapped under its id',
	tamper => qq{UPDATE ledger.ledger_keys SET public_key = ledger.public_key_from_pem('$mal')
		WHERE ledger_id = $kid AND key_id = 'alice'},
	refused => $refused->('a change of', 'alice'),
	restore => qq{UPDATE ledger.ledger_keys m SET public_key = k.public_key FROM ledger.keys k
		WHERE m.ledger_id = $kid AND m.key_id = 'alice' AND k.key_id = 'alice'});
key_case(
	name => 'key deleted',
	tamper => qq{CREATE TABLE keep_alice AS SELECT * FROM ledger.ledger_keys WHERE ledger_id = $kid AND key_id = 'alice';
		DELETE FROM ledger.ledger_keys WHERE ledger_id = $kid AND key_id = 'alice'},
	refused => qr/^subscription "t_keys_sub" sent a DELETE of "ledger.ledger_keys", which a replica refuses$/,
	restore => q{INSERT INTO ledger.ledger_keys SELECT * FROM keep_alice},
	restore_refused => $refused->('a second', 'alice'));
key_case(
	name => 'revocation withdrawn',
	tamper => qq{CREATE TABLE keep_ed2 AS SELECT revoked_at, revocation_reason FROM ledger.ledger_keys WHERE ledger_id = $kid AND key_id = 'ed2';
		UPDATE ledger.ledger_keys SET revoked_at = NULL, revocation_reason = NULL WHERE ledger_id = $kid AND key_id = 'ed2'},
	refused => $refused->('a change of', 'ed2'),
	restore => qq{UPDATE ledger.ledger_keys m SET revoked_at = s.revoked_at, revocation_reason = s.revocation_reason
		FROM keep_ed2 s WHERE m.ledger_id = $kid AND m.key_id = 'ed2'});
key_case(
	name => 'revocation put off',
	tamper => qq{UPDATE ledger.ledger_keys SET revoked_at = revoked_at + interval '1 day' WHERE ledger_id = $kid AND key_id = 'ed2'},
	refused => $refused->('a change of', 'ed2'),
	restore => qq{UPDATE ledger.ledger_keys m SET revoked_at = s.revoked_at FROM keep_ed2 s WHERE m.ledger_id = $kid AND m.key_id = 'ed2'});
my $log = slurp($b->logfile);
like($log, qr/DETAIL:  Its column "owner" would change/, 'the edited column is named in the log');
like($log, qr/DETAIL:  Its column "public_key" would change/, 'so is the swapped key');
like($log, qr/DETAIL:  It would withdraw the key's revocation/, 'and the withdrawn revocation');
like($log, qr/DETAIL:  It would put the key's revocation off/, 'and the revocation put off');

# A replayed signature: the origin's superuser empties its replay table and
# inserts a signed row again (a ledger without a key, where it can).
signed_ledger($a, 't_replay', nokey => 1);
my $row = signed_row($a, 't_replay', undef, 'once', 7, 'ec2', 'a_ec2');
$a->safe_psql('postgres', "INSERT INTO t_replay VALUES $row");
$a->safe_psql('postgres', "SELECT ledger.create_publication('t_replay_pub', ARRAY['t_replay'::regclass])");
wait_sealed($a, 'postgres');
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('t_replay_sub', '$ci', 't_replay_pub')"), '1', 't_replay: subscribed');
my $dreplay = caught_up($a, $b, 't_replay');
($ret, $out, $err) = $a->psql('postgres', "INSERT INTO t_replay VALUES $row");
like($err, qr/signed by key "ec2" was already inserted/, 'origin: the replay is refused there');
$since = last_error_at($b, 't_replay_sub');
my $rl = $a->safe_psql('postgres', q{SELECT ledger_id FROM ledger.ledgers WHERE relation = 't_replay'::regclass});
$a->safe_psql('postgres', "DELETE FROM ledger.signed_messages WHERE ledger_id = $rl; INSERT INTO t_replay VALUES $row");
($rerr) = wait_refused($b, 't_replay_sub', $since);
like($rerr, qr/^row with message hash [0-9a-f]{64} of ledger table "t_replay" signed by key "ec2" was already inserted$/,
	'replayed signature: refused on arrival');
is($b->safe_psql('postgres', 'SELECT count(*) FROM t_replay'), '1', 'replayed signature: the replica is unchanged');
verify_ok($b, 'postgres', 't_replay', $dreplay, 'replayed signature: the replica verifies');

# ---------- 5. two institutions, one key id ----------

add_key($b, 'alice', 'b_alice', alg => 'ed25519');
signed_ledger($b, 'b_pay');
$b->safe_psql('postgres', 'INSERT INTO b_pay VALUES ' . signed_row($b, 'b_pay', 1, 'from b', 1, 'alice', 'b_alice'));
$b->safe_psql('postgres', "SELECT ledger.create_publication('b_pub', ARRAY['b_pay'::regclass])");
wait_sealed($b, 'postgres');
my $cib = conninfo($b);
is($a->safe_psql('postgres', "SELECT ledger.create_subscription('a_from_b', '$cib', 'b_pub')"), '1',
	'mesh: A subscribes to B\'s signed ledger');
$b->safe_psql('postgres', 'INSERT INTO b_pay VALUES ' . signed_row($b, 'b_pay', 2, 'from b', 2, 'alice', 'b_alice'));
$a->safe_psql('postgres', 'INSERT INTO pay VALUES ' . signed_row($a, 'pay', 600, 'from a', 6, 'alice', 'a_alice'));
my $db = caught_up($b, $a, 'b_pay');
$d = caught_up($a, $b, 'pay');
ok(defined $db && defined $d, 'mesh: both directions caught up');
verify_ok($a, 'postgres', 'b_pay', $db, 'mesh: A\'s replica of B\'s ledger verifies, signed by B\'s "alice"');
verify_ok($b, 'postgres', 'pay', $d, 'mesh: B\'s replica of A\'s ledger verifies, signed by A\'s "alice"');
for my $n ([ 'A', $a, 'b_pay' ], [ 'B', $b, 'pay' ])
{
	my ($nm, $node, $replica) = @$n;
	is($node->safe_psql('postgres', qq{SELECT count(DISTINCT public_key) FROM (
		SELECT public_key FROM ledger.keys WHERE key_id = 'alice'
		UNION ALL SELECT k.public_key FROM ledger.ledger_keys k JOIN ledger.ledgers l USING (ledger_id)
		 WHERE k.key_id = 'alice' AND l.relation = '$replica'::regclass) s}), '2',
		"mesh: $nm holds its own \"alice\" and the other's, apart");
}
($ret, $out, $err) = $a->psql('postgres', 'INSERT INTO pay VALUES ' . signed_row($a, 'pay', 601, 'x', 1, 'alice', 'b_alice'));
like($err, qr/signature by key "alice" of row \(id\)=\(601\) of ledger table "pay" does not verify/,
	'mesh: B\'s "alice" cannot sign A\'s own ledger at A');
($ret, $out, $err) = $b->psql('postgres', 'INSERT INTO b_pay VALUES ' . signed_row($b, 'b_pay', 3, 'x', 1, 'alice', 'a_alice'));
like($err, qr/signature by key "alice" of row \(id\)=\(3\) of ledger table "b_pay" does not verify/,
	'mesh: A\'s "alice" cannot sign B\'s own ledger at B');
($ret, $out, $err) = $b->psql('postgres', 'INSERT INTO pay VALUES ' . signed_row($b, 'pay', 602, 'x', 1, 'alice', 'b_alice'));
like($err, qr/cannot insert into ledger table "pay": it is a replica/, 'mesh: nobody inserts into a replica');

# ---------- 6. resync and drop ----------

# ed1 revoked while the peer's slot is gone: resync copies the revocation.
$b->safe_psql('postgres', 'ALTER SUBSCRIPTION b_from_a DISABLE');
$a->safe_psql('postgres', q{SELECT ledger.revoke_key('ed1', 'rotated')});
$a->safe_psql('postgres', 'INSERT INTO pay VALUES ' . signed_row($a, 'pay', 700, 'resync', 7, 'ec2', 'a_ec2'));
is($b->safe_psql('postgres', "SELECT ledger.resync_subscription('b_from_a')"), '1', 'resync of the signed replica');
is($b->safe_psql('postgres', q{SELECT k.revoked_at IS NOT NULL FROM ledger.ledger_keys k JOIN ledger.ledgers l USING (ledger_id)
	WHERE l.relation = 'pay'::regclass AND k.key_id = 'ed1'}), 't', 'resync: the revocation made meanwhile is copied');
$a->safe_psql('postgres', 'INSERT INTO pay VALUES ' . signed_row($a, 'pay', 701, 'after resync', 7, 'ec2', 'a_ec2'));
$d = caught_up($a, $b, 'pay');
ok(defined $d, 'resync: streaming again');
is(row_set($b, 'pay'), row_set($a, 'pay'), 'resync: the origin\'s rows, nothing lost or duplicated');
verify_ok($b, 'postgres', 'pay', $d, 'resync: the replica verifies against the origin\'s digest');

$b->safe_psql('postgres', "SELECT ledger.drop_subscription('b_from_a')");
verify_ok($b, 'postgres', 'pay', $d, 'dropped subscription: the replica stays and verifies its signatures');
($ret, $out, $err) = $b->psql('postgres', 'INSERT INTO pay VALUES ' . signed_row($b, 'pay', 702, 'x', 1, 'ec2', 'a_ec2'));
like($err, qr/cannot insert into ledger table "pay": it is a replica/, 'dropped subscription: the replica is read-only');
verify_ok($a, 'postgres', 'pay', $d, 'origin: its own ledger verifies');

# A published ledger made signed at the origin after the peer subscribed:
# refused until resync sets the replica up as a signed ledger.
$a->safe_psql('postgres', q{
	CREATE TABLE late_signed (id bigint PRIMARY KEY, payer text NOT NULL, amount numeric(18,2) NOT NULL, key_id text, sig bytea);
	SELECT ledger.create_ledger('late_signed');
	SELECT ledger.create_publication('late_pub', ARRAY['late_signed'::regclass]);
});
wait_sealed($a, 'postgres');
is($b->safe_psql('postgres', "SELECT ledger.create_subscription('late_sub', '$ci', 'late_pub')"), '1',
	'late signed: subscribed while the ledger is not signed');
$since = last_error_at($b, 'late_sub');
$a->safe_psql('postgres', q{SELECT ledger.require_signatures('late_signed', 'sig', 'key_id')});
($rerr) = wait_refused($b, 'late_sub', $since);
like($rerr, qr/^subscription "late_sub" sent that ledger "late_signed" became a signed ledger at the origin, which its replica here is not$/,
	'late signed: the peer refuses to go on unsigned');
$a->safe_psql('postgres', 'INSERT INTO late_signed VALUES ' . signed_row($a, 'late_signed', 1, 'late', 1, 'ec2', 'a_ec2'));
is($b->safe_psql('postgres', "SELECT ledger.resync_subscription('late_sub')"), '1', 'late signed: resync');
is($b->safe_psql('postgres', q{SELECT count(*) FROM ledger.signed_ledgers s JOIN ledger.ledgers l USING (ledger_id)
	WHERE l.relation = 'late_signed'::regclass}), '1', 'late signed: the replica is now a signed ledger');
$a->safe_psql('postgres', 'INSERT INTO late_signed VALUES ' . signed_row($a, 'late_signed', 2, 'later', 2, 'ec2', 'a_ec2'));
my $dl = caught_up($a, $b, 'late_signed');
ok(defined $dl, 'late signed: streaming again');
is(row_set($b, 'late_signed'), row_set($a, 'late_signed'), 'late signed: the origin\'s rows');
verify_ok($b, 'postgres', 'late_signed', $dl, 'late signed: the replica verifies its signatures');

# ---------- 7. a peer restored from its own dump ----------

# B's database is dumped (custom format) and restored into a new database
# of the same cluster, with one job (docs/replication.md, "Backup and restore"): its
# own signed ledger, the replicas it holds (the origin's keys with them) and
# the subscription, which pg_restore makes disabled and unconnected.
my $bdump = "$dir/peer.dump";
$b->command_ok([ 'pg_dump', '-Fc', '-f', $bdump, '-d', 'postgres' ], 'restore: pg_dump of the peer');
my $bd_own = $b->safe_psql('postgres', "SELECT ledger.digest('b_pay')");
$b->safe_psql('postgres', 'CREATE DATABASE restored');
my ($rout, $rerr2) = ('', '');
IPC::Run::run([ 'pg_restore', '-h', $b->host, '-p', $b->port, '-d', 'restored', $bdump ],
	'>', \$rout, '2>', \$rerr2);
is($rerr2, '', 'restore: pg_restore of the peer runs without errors');
verify_ok($b, 'restored', 'pay', $d, 'restore: the restored replica verifies, signatures included, against the origin\'s digest');
verify_ok($b, 'restored', 'late_signed', $dl, 'restore: the restored replica of late_signed verifies');
verify_ok($b, 'restored', 'b_pay', $bd_own, 'restore: the peer\'s own signed ledger verifies');
is($b->safe_psql('restored', q{SELECT string_agg(key_id, ',' ORDER BY key_id) FROM ledger.ledger_keys k
	JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'pay'::regclass}),
	$b->safe_psql('postgres', q{SELECT string_agg(key_id, ',' ORDER BY key_id) FROM ledger.ledger_keys k
	JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'pay'::regclass}),
	'restore: the replica\'s keys are the ones the peer held');
is($b->safe_psql('restored', q{SELECT ledger_uuid FROM ledger.ledgers WHERE relation = 'pay'::regclass}),
	$a->safe_psql('postgres', q{SELECT ledger_uuid FROM ledger.ledgers WHERE relation = 'pay'::regclass}),
	'restore: the replica keeps the origin\'s ledger uuid');
($ret, $out, $err) = $b->psql('restored', 'INSERT INTO pay VALUES ' . signed_row($a, 'pay', 800, 'x', 1, 'ec2', 'a_ec2'));
like($err, qr/cannot insert into ledger table "pay": it is a replica/, 'restore: the restored replica is read-only');
($ret, $out, $err) = $b->psql('restored', q{UPDATE late_signed SET amount = 0});
isnt($ret, 0, 'restore: UPDATE of the restored replica is refused');
($ret, $out, $err) = $b->psql('restored', 'INSERT INTO b_pay VALUES ' . signed_row($b, 'b_pay', 10, 'after restore', 1, 'alice', 'b_alice'));
is($ret, 0, 'restore: the peer\'s own signed ledger takes a row signed with its restored key') or diag($err);
($ret, $out, $err) = $b->psql('restored', 'INSERT INTO b_pay VALUES ' . signed_row($b, 'b_pay', 11, 'forged', 1, 'alice', 'a_alice'));
like($err, qr/signature by key "alice" of row \(id\)=\(11\) of ledger table "b_pay" does not verify/,
	'restore: a row signed by another key than the restored one is refused');
is($b->safe_psql('restored', q{SELECT subenabled FROM pg_subscription s JOIN pg_database d ON d.oid = s.subdbid
	WHERE d.datname = 'restored' AND s.subname = 'late_sub'}), 'f',
	'restore: the restored subscription is disabled');
is( $b->safe_psql('restored',
		"SELECT string_agg(DISTINCT state, ',') FROM ledger.replication_status WHERE peer = 'late_sub'"),
	'not subscribed', 'restore: replication_status says the restored subscription holds no replica');
# enabled as pg_restore made it (no table in pg_subscription_rel), the apply
# worker would skip every change to the replicas while the slot moves on
($ret, $out, $err) = $b->psql('restored', 'ALTER SUBSCRIPTION late_sub ENABLE');
like($err, qr/cannot enable subscription "late_sub": it does not hold replica "late_signed"/,
	'restore: ENABLE of the restored subscription is refused');

# The restored database takes over from the old one (disaster recovery):
# the old one's subscription is dropped (its slot at the origin with it),
# then resync_subscription in the restored database makes a new slot,
# finds the held history to be the origin's and streams again.
$b->safe_psql('postgres', "SELECT ledger.drop_subscription('late_sub')");
$a->safe_psql('postgres', 'INSERT INTO late_signed VALUES ' . signed_row($a, 'late_signed', 3, 'while restoring', 3, 'ec2', 'a_ec2'));
is($b->safe_psql('restored', "SELECT ledger.resync_subscription('late_sub')"), '1',
	'restore: resync_subscription in the restored database');
$a->safe_psql('postgres', 'INSERT INTO late_signed VALUES ' . signed_row($a, 'late_signed', 4, 'after restoring', 4, 'ec2', 'a_ec2'));
my $dr = digest_of($a, 'late_signed');
ok(wait_head($b, 'late_signed', head_block($a, 'late_signed'), 'restored'),
	'restore: the restored replica streams again (the origin\'s newest block arrived)');
is(row_set($b, 'late_signed', 'restored'), row_set($a, 'late_signed'),
	'restore: the origin\'s rows, nothing lost or duplicated');
verify_ok($b, 'restored', 'late_signed', $dr, 'restore: the restored replica verifies against the origin\'s new digest');

done_testing();
