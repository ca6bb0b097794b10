# 060_signed_interop.pl: a client signs, at test time, with the openssl
# command line the bytes ledger.signing_bytes() returns; the signed ledger
# accepts the rows, refuses a tampered one and a replay, and verifies.
# Then, on a server without ledger in shared_preload_libraries, a prepared
# transaction whose key is revoked before COMMIT PREPARED: committed from a
# session that never loaded ledger, nothing can refuse it, and verify
# reports the row; from a session that has loaded ledger, it is refused.
use strict;
use warnings;

use File::Temp qw(tempdir);
use LedgerTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

# openssl must be on PATH
my ($stdout, $stderr);
if (!IPC::Run::run([ 'openssl', 'version' ], '>', \$stdout, '2>', \$stderr))
{
	plan skip_all => 'openssl command line not found on PATH';
}
note "using $stdout";

my $dir = tempdir(CLEANUP => 1);

# Run openssl, failing the test with its stderr if it fails.
sub openssl_ok
{
	my ($args, $name) = @_;
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run([ 'openssl', @$args ], '>', \$out, '2>', \$err);
	ok($ok, $name) or diag($err);
	return $out;
}

sub slurp_hex
{
	my ($path) = @_;
	open(my $fh, '<:raw', $path) or die "cannot open $path: $!";
	local $/;
	my $bytes = <$fh>;
	close($fh);
	return unpack('H*', $bytes);
}

sub spew_hex
{
	my ($path, $hex) = @_;
	open(my $fh, '>:raw', $path) or die "cannot open $path: $!";
	print $fh pack('H*', $hex);
	close($fh);
}

my $node = ledger_node('signed');
$node->safe_psql('postgres', 'CREATE EXTENSION ledger');
$node->safe_psql(
	'postgres', q{
CREATE TABLE orders (id int PRIMARY KEY, item text, qty int, key_id text, sig bytea);
SELECT ledger.create_ledger('orders');
SELECT ledger.require_signatures('orders', 'sig', 'key_id');
});

# fresh keys, registered from their PEM public halves
my %keys = (
	'ed-cli' => [ 'ed25519', [ '-algorithm', 'ed25519' ] ],
	'ec-cli' => [
		'ecdsa-p256', [ '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256' ]
	]);
for my $id (sort keys %keys)
{
	my ($alg, $genargs) = @{ $keys{$id} };
	openssl_ok([ 'genpkey', @$genargs, '-out', "$dir/$id.pem" ],
		"openssl genpkey for $id");
	openssl_ok([ 'pkey', '-in', "$dir/$id.pem", '-pubout', '-out', "$dir/$id.pub" ],
		"openssl pkey -pubout for $id");
	open(my $fh, '<', "$dir/$id.pub") or die;
	local $/;
	my $pem = <$fh>;
	close($fh);
	$pem =~ s/'/''/g;
	my $got = $node->safe_psql('postgres',
		"SELECT (ledger.add_key('$id', 'cli', '$alg', ledger.public_key_from_pem('$pem'))).algorithm"
	);
	$got =~ s/\s+\z//;
	is($got, $alg, "key $id registered");
}

# sign the bytes the database says to sign
sub sign_row
{
	my ($id, $row) = @_;
	my $key = $row->{key};
	my $hex = $node->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('orders', ROW($row->{id}, '$row->{item}', $row->{qty}, '$key', NULL, NULL, NULL, NULL)::orders), 'hex')"
	);
	spew_hex("$dir/$id.bin", $hex);
	if ($key eq 'ed-cli')
	{
		openssl_ok(
			[
				'pkeyutl', '-sign', '-rawin', '-inkey', "$dir/$key.pem",
				'-in', "$dir/$id.bin", '-out', "$dir/$id.sig"
			],
			"openssl pkeyutl -sign -rawin signs row $id");
	}
	else
	{
		openssl_ok(
			[
				'dgst', '-sha256', '-sign', "$dir/$key.pem",
				'-out', "$dir/$id.sig", "$dir/$id.bin"
			],
			"openssl dgst -sha256 -sign signs row $id");
	}
	return slurp_hex("$dir/$id.sig");
}

my @rows = (
	{ id => 1, item => 'apples',  qty => 3, key => 'ed-cli' },
	{ id => 2, item => 'pears',   qty => 5, key => 'ec-cli' },
	{ id => 3, item => 'lemons',  qty => 7, key => 'ed-cli' });
for my $r (@rows)
{
	my $sig = sign_row($r->{id}, $r);
	$r->{sig} = $sig;
	my ($ret, $out, $err) = $node->psql('postgres',
		"INSERT INTO orders VALUES ($r->{id}, '$r->{item}', $r->{qty}, '$r->{key}', '\\x$sig')"
	);
	is($ret, 0, "row $r->{id} signed by $r->{key} with the openssl CLI is accepted")
	  or diag($err);
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM orders'), '3', 'three rows stored');

# a tampered quantity, and a replay
my ($ret, $out, $err) = $node->psql('postgres',
	"INSERT INTO orders VALUES (4, 'apples', 30, 'ed-cli', '\\x$rows[0]{sig}')");
isnt($ret, 0, 'a row whose content differs from what was signed is refused');
like($err, qr/signature by key "ed-cli" of row \(id\)=\(4\) of ledger table "orders" does not verify/,
	'the error names the key and the row');

($ret, $out, $err) = $node->psql('postgres',
	"INSERT INTO orders VALUES (1, 'apples', 3, 'ed-cli', '\\x$rows[0]{sig}')");
isnt($ret, 0, 'a replayed row is refused');
like($err, qr/was already inserted/, 'the replay is named as such');

# a revocation in one session is seen by the next insert in another
$node->safe_psql('postgres', "SELECT ledger.revoke_key('ec-cli', 'rotated')");
my $r5 = { id => 5, item => 'plums', qty => 1, key => 'ec-cli' };
my $sig5 = sign_row(5, $r5);
($ret, $out, $err) = $node->psql('postgres',
	"INSERT INTO orders VALUES (5, 'plums', 1, 'ec-cli', '\\x$sig5')");
like($err, qr/key "ec-cli" signing row \(id\)=\(5\) of ledger table "orders" is revoked/,
	'a revoked key is refused');

my $v = verify_ok($node, 'postgres', 'orders', undef,
	'ledger.verify passes, re-checking every signature');
is($v->{rows}, '3', 'and checks the three rows');

$node->stop;

# Two-phase commit where nothing preloads ledger.
my $n2 = PostgreSQL::Test::Cluster->new('signed_2pc');
$n2->init;
$n2->append_conf('postgresql.conf', "max_prepared_transactions = 5\n");
$n2->start;
$n2->safe_psql(
	'postgres', q{
CREATE EXTENSION ledger;
CREATE TABLE orders (id int PRIMARY KEY, item text, qty int, key_id text, sig bytea);
SELECT ledger.create_ledger('orders');
SELECT ledger.require_signatures('orders', 'sig', 'key_id');
});
open(my $pubfh, '<', "$dir/ed-cli.pub") or die;
my $pub = do { local $/; <$pubfh> };
close($pubfh);
for my $id ('ed-2pc-a', 'ed-2pc-b')
{
	$n2->safe_psql('postgres',
		"SELECT ledger.add_key('$id', 'cli', 'ed25519', ledger.public_key_from_pem('$pub'))");
}

# sign a row of this server's ledger with the ed-cli private key
sub sign_row_2pc
{
	my ($id, $key) = @_;
	my $hex = $n2->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('orders', ROW($id, 'figs', 1, '$key', NULL, NULL, NULL, NULL)::orders), 'hex')"
	);
	spew_hex("$dir/2pc$id.bin", $hex);
	openssl_ok(
		[
			'pkeyutl', '-sign', '-rawin', '-inkey', "$dir/ed-cli.pem",
			'-in', "$dir/2pc$id.bin", '-out', "$dir/2pc$id.sig"
		],
		"openssl signs row $id of the second server");
	return slurp_hex("$dir/2pc$id.sig");
}

my $sig_a = sign_row_2pc(1, 'ed-2pc-a');
$n2->safe_psql('postgres',
	"BEGIN; INSERT INTO orders VALUES (1, 'figs', 1, 'ed-2pc-a', '\\x$sig_a'); PREPARE TRANSACTION 'tap_a';"
);
$n2->safe_psql('postgres', "SELECT ledger.revoke_key('ed-2pc-a', 'compromised')");
# a fresh session runs only COMMIT PREPARED: ledger is never loaded in it
($ret, $out, $err) = $n2->psql('postgres', "COMMIT PREPARED 'tap_a'");
is($ret, 0, 'COMMIT PREPARED where ledger is not loaded cannot be refused')
  or diag($err);
is($n2->safe_psql('postgres', 'SELECT count(*) FROM ledger.signed_commit_checks'),
	'0', 'and no check of its keys is recorded');
my $v2 = verify($n2, 'postgres', 'orders');
is($v2->{ok}, 'f', 'verify fails');
like($v2->{problem}, qr/^row \(id\)=\(1\) .* is signed by key "ed-2pc-a", which was revoked at .*, after the row's transaction was prepared at .*; its COMMIT PREPARED was not checked/,
	'verify reports the row: its key was revoked after PREPARE, and the commit was not checked');

my $sig_b = sign_row_2pc(2, 'ed-2pc-b');
$n2->safe_psql('postgres',
	"BEGIN; INSERT INTO orders VALUES (2, 'figs', 1, 'ed-2pc-b', '\\x$sig_b'); PREPARE TRANSACTION 'tap_b';"
);
$n2->safe_psql('postgres', "SELECT ledger.revoke_key('ed-2pc-b', 'compromised')");
($ret, $out, $err) = $n2->psql('postgres', "LOAD 'ledger'; COMMIT PREPARED 'tap_b'");
isnt($ret, 0, 'COMMIT PREPARED where ledger is loaded is refused');
like($err, qr/cannot commit prepared transaction "tap_b": key "ed-2pc-b" that signed its rows was revoked after it was prepared/,
	'the error names the transaction and the key');
is($n2->safe_psql('postgres', 'SELECT gid FROM pg_prepared_xacts'), 'tap_b',
	'the transaction stays prepared');
$n2->safe_psql('postgres', "ROLLBACK PREPARED 'tap_b'");
is($n2->safe_psql('postgres', 'SELECT count(*) FROM orders WHERE id = 2'), '0',
	'rolled back, nothing of it is stored');
$n2->stop;

done_testing();
