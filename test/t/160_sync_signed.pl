# Sync of signed ledgers (issue #11): a signed ledger published with the
# keys that may sign it (ledger.ledger_keys), its replica verifying every
# arriving signature in C against the keys its origin published, with the
# origin's ledger uuid, and judging each key at the origin's commit time.
#
#  1. Ed25519 and P-256 keys made with the openssl command line; rows
#     signed with them by openssl, inserted by pgbench under load; the
#     replica's digest equals the origin's and ledger.verify() there checks
#     the signatures and passes.
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
#  6. resync_subscription and drop_subscription of a signed replica.
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
my $d = caught_up($a, $b, 'pay');
ok(defined $d, 'the peer caught up');
is(row_set($b, 'pay'), row_set($a, 'pay'), 'the peer holds the origin\'s rows');
is(content($b, 'pay'), content($a, 'pay'), 'with the same content, signatures included');
is(digest_of($b, 'pay'), $d, 'the peer\'s digest equals the origin\'s for the same block');
my $v = verify_ok($b, 'postgres', 'pay', $d, 'the replica verifies against the origin\'s digest, signatures included');
is($v->{rows}, '243', 'every row checked');
is($b->safe_psql('postgres', q{SELECT count(*) FROM ledger.signed_messages m JOIN ledger.ledgers l USING (ledger_id)
	WHERE l.relation = 'pay'::regclass}), '243', 'the peer rebuilt the replay table from what arrived');

done_testing();
