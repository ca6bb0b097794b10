# tools/ledger-audit against the SQL merkle functions (issue #12).
#
# A synthetic ledger history (test/audit/make_export.sql: rows, transactions,
# blocks of format 2 with their history tree, built from the format
# specification with SQL's sha256 and ledger.merkle_root, independently of
# the tool) gives:
#   - every (m, n) up to 70: inclusion and consistency proofs from
#     ledger.merkle_inclusion_proof / merkle_consistency_proof verify with
#     the tool's RFC 9162 code, and the tool's roots equal ledger.merkle_root
#     (test/audit/agree.py loads the tool's functions);
#   - proof_version 2 proofs, consistency proofs, digests, exports and C2SP
#     checkpoints (signed by test/audit/sign_checkpoint.py) that the tool's
#     command line accepts, and one forgery of each kind that it refuses
#     with exit status 1 and a message naming what failed;
#   - every one-byte, one-character and one-number forgery of an inclusion
#     proof (against a digest, and through a consistency proof to a signed
#     checkpoint) and of a consistency proof refused (test/audit/forge.py),
#     non-canonical base64 and hashes of the wrong length among them.
use strict;
use warnings;

use File::Temp qw(tempdir);
use IPC::Run;
use LedgerTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use MIME::Base64 qw(encode_base64 decode_base64);

my $root = $ENV{TESTDIR} // '.';
my $tool = "$root/tools/ledger-audit";
my $dir = tempdir(CLEANUP => 1);
my $json = JSON::PP->new->canonical;

# change one hex digit of the string $$ref at position $i
sub flip
{
	my ($ref, $i) = @_;
	my $c = substr($$ref, $i, 1);
	substr($$ref, $i, 1) = $c eq '0' ? '1' : '0';
}

my $node = ledger_node('audit');
$node->safe_psql('postgres', 'CREATE EXTENSION ledger');

sub write_file
{
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	print $fh $text;
	close($fh);
}

sub read_file
{
	my ($path) = @_;
	open(my $fh, '<', $path) or die "$path: $!";
	local $/;
	my $t = <$fh>;
	close($fh);
	return $t;
}

# run the tool: (exit status, output)
sub audit
{
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'python3', $tool, @_ ], '<', \undef, '>', \$out, '2>', \$err);
	return ($? >> 8, $out . $err);
}

sub audit_ok
{
	my ($name, $like, @args) = @_;
	my ($rc, $out) = audit(@args);
	ok($rc == 0 && $out =~ /^OK: / && $out =~ $like, "$name") or diag($out);
}

sub audit_fails
{
	my ($name, $like, @args) = @_;
	my ($rc, $out) = audit(@args);
	ok($rc == 1 && $out =~ /^FAIL: / && $out =~ $like, "$name: refused ($out)") or diag("status $rc: $out");
}

# build a fixture (see test/audit/make_export.sql) and return its output
sub fixture
{
	my (%p) = @_;
	my $vars = join(' ', map { "-v $_=$p{$_}" } sort keys %p);
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'psql', '-X', '-v', 'ON_ERROR_STOP=1', (map { ('-v', "$_=$p{$_}") } sort keys %p),
			'-d', $node->connstr('postgres'), '-f', "$root/test/audit/make_export.sql" ],
		'>', \$out, '2>', \$err) or die "make_export.sql ($vars): $err";
	return $out;
}

# ---- every (m, n) up to 70: SQL proofs, the tool's verifier and roots ----
fixture(txs => 70, per_block => 1, unsealed => 0, row_format => 2, v2_from => 0, out => 'none');
my $lines = $node->safe_psql('postgres', q{
WITH l AS (SELECT audit_fixture.history_leaves() AS a)
SELECT 'L ' || encode(x, 'hex') FROM l, unnest(l.a) x
UNION ALL
SELECT format('I %s %s %s %s %s', m, n, encode(a[m + 1], 'hex'), encode(ledger.merkle_root(a[1:n]), 'hex'),
              array_to_string(ARRAY(SELECT encode(h, 'hex')
                                    FROM unnest(ledger.merkle_inclusion_proof(a, m, n)) h), ','))
FROM l, generate_series(1, 70) n, generate_series(0, n - 1) m
UNION ALL
SELECT format('C %s %s %s %s %s', m, n, encode(ledger.merkle_root(a[1:m]), 'hex'), encode(ledger.merkle_root(a[1:n]), 'hex'),
              array_to_string(ARRAY(SELECT encode(h, 'hex')
                                    FROM unnest(ledger.merkle_consistency_proof(a, m, n)) h), ','))
FROM l, generate_series(1, 70) n, generate_series(1, n) m
});
my ($out, $err) = ('', '');
IPC::Run::run([ 'python3', "$root/test/audit/agree.py" ], '<', \$lines, '>', \$out, '2>', \$err);
is($? >> 8, 0, 'the tool and the SQL functions agree on every (m, n) up to 70') or diag($out . $err);
like($out, qr/^inclusion 2485 consistency 2485 roots 70 forgeries \d+ bad 0$/m,
	'2485 inclusion and 2485 consistency proofs, 70 roots, every forgery refused');

# ---- the committed hand-made export (row format 1, blocks of format 1 and 2) ----
audit_ok('hand-made export and its digest', qr/13 rows, 7 transactions \(1 unsealed\), 3 blocks/,
	'export', "$root/test/audit/export-small.ndjson", "$root/test/audit/digest-small.json");

# ---- proof_version 2 on the command line ----
my $digest = $node->safe_psql('postgres', 'SELECT audit_fixture.digest(69)');
write_file("$dir/digest.json", $digest);
my $good = 0;
my @cases = ([ 0, 0, 0 ], [ 0, 0, 69 ], [ 1, 1, 1 ], [ 5, 2, 69 ], [ 31, 0, 31 ], [ 32, 1, 40 ],
	[ 33, 0, 69 ], [ 63, 0, 63 ], [ 64, 1, 69 ], [ 69, 0, 69 ]);
for my $c (@cases)
{
	my ($t, $s, $b) = @$c;
	write_file("$dir/p.json", $node->safe_psql('postgres', "SELECT audit_fixture.proof($t, $s, $b)"));
	my $x = 1000 + $t;
	if ($b == 69)
	{
		my ($rc, $o) = audit('inclusion', "$dir/p.json", "$dir/digest.json");
		$good++ if $rc == 0 && $o =~ /^OK: row \($x, $s\) .* history leaf $t of 70, root \S+, block 69 [0-9a-f]{64}, matching block 69 of the digest$/;
		diag($o) if $rc != 0;
	}
	else
	{
		# a proof at an older block reaches the head digest through a consistency proof
		my $size = $b + 1;
		my ($rc, $o) = audit('inclusion', "$dir/p.json", "$dir/digest.json");
		$good++ if $rc == 1 && $o =~ /pass a consistency proof between them with --consistency/;
		write_file("$dir/c.json", $node->safe_psql('postgres', "SELECT audit_fixture.consistency($size, 70)"));
		($rc, $o) = audit('inclusion', "$dir/p.json", "$dir/digest.json", '--consistency', "$dir/c.json");
		$good++ if $rc == 0 && $o =~ /history size 70 of the digest, through a consistency proof/;
		diag($o) if $rc != 0;
	}
}
is($good, 5 + 2 * 5, 'proof_version 2 proofs at the head and at older blocks (with --consistency) verify');

# one forgery of each kind, each changing one byte or one number; the
# proof carries nothing the verifier computes, so most of them show as a
# block hash that is not the digest's (test/audit/forge.py below makes every
# one-byte forgery)
my $proof = $node->safe_psql('postgres', 'SELECT audit_fixture.proof(44, 2, 69)');
my $other_hash = qr/block 69 has hash [0-9a-f]{64}, the digest [0-9a-f]{64}/;
my %forgery = (
	'row bytes' => [ sub { b64_flip(\$_[0]{row}{canonical_bytes}, 45) }, $other_hash ],
	'row xact in the bytes' => [ sub { b64_flip(\$_[0]{row}{canonical_bytes}, 10) }, qr/canonical bytes name transaction 1045, sequence 2/ ],
	'row format in the bytes' => [ sub { b64_flip(\$_[0]{row}{canonical_bytes}, 2, 1) }, qr/row \(1044, 2\): canonical bytes do not start with 'LR' and row format 1 or 2/ ],
	'row format 1 in the bytes' => [ sub { b64_flip(\$_[0]{row}{canonical_bytes}, 2, 3) }, qr/canonical bytes have \d+ bytes after the last column/ ],
	'row seq' => [ sub { $_[0]{row}{seq} = 1 }, qr/row \(1044, 1\): canonical bytes name transaction 1044, sequence 2/ ],
	'transaction path' => [ sub { b64_flip(\$_[0]{transaction}{path}[0], 7) }, $other_hash ],
	'transaction row count' => [ sub { $_[0]{transaction}{row_count}++ }, qr/path in its transaction's tree does not fit leaf 2 of 4/ ],
	'transaction leaf index' => [ sub { $_[0]{transaction}{leaf_index}-- }, qr/path in its transaction's tree does not fit leaf 1 of 3/ ],
	'commit time' => [ sub { $_[0]{transaction}{committed_at_us}++ }, $other_hash ],
	'history path' => [ sub { b64_flip(\$_[0]{history}{path}[0], 3) }, $other_hash ],
	'history path shortened' => [ sub { pop @{ $_[0]{history}{path} } }, qr/history path does not fit leaf 44 of a tree of 70/ ],
	'history leaf index' => [ sub { $_[0]{history}{leaf_index}-- }, $other_hash ],
	'block tree size' => [ sub { $_[0]{block}{tree_size}-- }, $other_hash ],
	'block prev hash' => [ sub { b64_flip(\$_[0]{block}{prev_hash}, 30) }, $other_hash ],
	'block root' => [ sub { b64_flip(\$_[0]{block}{root}, 0) }, $other_hash ],
	'block number' => [ sub { $_[0]{block}{block_no}-- }, qr/the digest's block 69 and the proof's block 68 have the same history size 70/ ],
	'seal time' => [ sub { $_[0]{block}{sealed_at_us}++ }, $other_hash ],
	'block root non-canonical' => [ sub { $_[0]{block}{root} =~ s/(.)=$/b64_char_xor($1, 1) . '='/e }, qr/proof block field "root" is not canonical base64/ ],
	'block root too short' => [ sub { $_[0]{block}{root} = encode_base64(substr(decode_base64($_[0]{block}{root}), 1), '') }, qr/proof block field "root" is 31 bytes, not a 32-byte hash/ ],
	'path hash not base64' => [ sub { $_[0]{history}{path}[1] =~ s/^./!/ }, qr/proof history field "path\[1\]" is not base64/ ],
	'row bytes not base64' => [ sub { $_[0]{row}{canonical_bytes} .= "\n" }, qr/proof row field "canonical_bytes" is not base64/ ],
	'proof version' => [ sub { $_[0]{proof_version} = 3 }, qr/proof_version 3 is not 1 or 2/ ],
	'ledger uuid' => [ sub { $_[0]{ledger_uuid} =~ s/^c0ffee00/c0ffee01/ }, qr/the digest belongs to another ledger/ ],
);
for my $name (sort keys %forgery)
{
	my $p = $json->decode($proof);
	$forgery{$name}[0]->($p);
	my $t = $json->encode($p);
	isnt($t, $json->encode($json->decode($proof)), "$name: the forgery changed the proof");
	write_file("$dir/bad.json", $t);
	audit_fails("forged $name", $forgery{$name}[1], 'inclusion', "$dir/bad.json", "$dir/digest.json");
}
# every one-byte (and one-character, one-number) forgery of the proof, with
# the digest of its block and with the signed checkpoint below
write_file("$dir/good.json", $proof);
# test/audit/forge.py: every forgery refused; $unchecked: header forgeries
# accepted as not checked (a proof anchored by a history root) expected
sub forge_ok
{
	my ($name, $unchecked, @args) = @_;
	my ($o, $e) = ('', '');
	IPC::Run::run([ 'python3', "$root/test/audit/forge.py", @args ], '>', \$o, '2>', \$e);
	my $rc = $? >> 8;
	ok($rc == 0 && $o =~ /^forgeries (\d+) accepted 0 header not checked (\d+)$/m && $1 > 500
		  && ($unchecked ? $2 > 0 : $2 == 0), "$name: every forgery refused")
	  or diag("status $rc: $o$e");
	note($o);
}
forge_ok('proof at the digest\'s block', 0, 'inclusion', "$dir/good.json", "$dir/digest.json");

# anchors that do not match
my $d = $json->decode($digest);
flip(\$d->{block_hash}, 10);
write_file("$dir/other.json", $json->encode($d));
audit_fails('a digest with another hash for the block', qr/block 69 has hash [0-9a-f]+, the digest/,
	'inclusion', "$dir/good.json", "$dir/other.json");
$d = $json->decode($digest);
$d->{ledger_uuid} =~ s/^c0ffee00/c0ffee01/;
write_file("$dir/other.json", $json->encode($d));
audit_fails('a digest of another ledger', qr/the digest belongs to another ledger/,
	'inclusion', "$dir/good.json", "$dir/other.json");
write_file("$dir/old.json", $node->safe_psql('postgres', 'SELECT audit_fixture.digest(40)'));
audit_fails('a digest older than the proof', qr/later than the digest's 41/,
	'inclusion', "$dir/good.json", "$dir/old.json");

# ---- consistency between two digests ----
write_file("$dir/d20.json", $node->safe_psql('postgres', 'SELECT audit_fixture.digest(20)'));
write_file("$dir/c.json", $node->safe_psql('postgres', 'SELECT audit_fixture.consistency(21, 70)'));
write_file("$dir/c20.json", read_file("$dir/c.json"));
audit_ok('consistency of block 20 and the head', qr/at 21 transactions is a prefix of its history at 70/,
	'consistency', "$dir/c.json", "$dir/d20.json", "$dir/digest.json");
audit_fails('consistency with the digests swapped', qr/old size 21 is not the old digest's \(70\)/,
	'consistency', "$dir/c.json", "$dir/digest.json", "$dir/d20.json");
audit_fails('consistency against another old digest', qr/old size 21 is not the old digest's \(41\)/,
	'consistency', "$dir/c.json", "$dir/old.json", "$dir/digest.json");
my $c = read_file("$dir/c.json");
my $cj = $json->decode($c);
b64_flip(\$cj->{path}[0], 12);
write_file("$dir/bad.json", $json->encode($cj));
audit_fails('consistency proof with a changed hash', qr/consistency proof from size 21 to 70 does not verify/,
	'consistency', "$dir/bad.json", "$dir/d20.json", "$dir/digest.json");
$d = $json->decode($digest);
flip(\$d->{tree_root}, 12);
write_file("$dir/other.json", $json->encode($d));
audit_fails('consistency to a new digest with another history root', qr/consistency proof from size 21 to 70 does not verify/,
	'consistency', "$dir/c.json", "$dir/d20.json", "$dir/other.json");
$d = $json->decode($node->safe_psql('postgres', 'SELECT audit_fixture.digest(20)'));
delete @$d{qw(tree_size tree_root)};
write_file("$dir/v1.json", $json->encode($d));
audit_fails('consistency against a digest without a history tree', qr/has no history tree/,
	'consistency', "$dir/c.json", "$dir/v1.json", "$dir/digest.json");

# ---- C2SP checkpoints ----
my $tree_root = $node->safe_psql('postgres', "SELECT encode(tree_root, 'hex') FROM audit_fixture.blocks WHERE block_no = 69");
my $origin = 'bank-a.example/ledger/c0ffee00-0000-4000-8000-000000000001';
# sign into directory $sub of $dir: returns the checkpoint; keys are $sub/N.vkey
sub sign
{
	my ($sub, $size, $rootx, @signers) = @_;
	my ($o, $e) = ('', '');
	mkdir("$dir/$sub");
	IPC::Run::run([ 'python3', "$root/test/audit/sign_checkpoint.py", "$dir/$sub", $origin, $size, $rootx, @signers ],
		'>', \$o, '2>', \$e) or die "sign_checkpoint.py: $e";
	return "$dir/$sub/checkpoint";
}
my $cp = sign('three', 70, $tree_root, "$origin:ed25519:1", 'bank-b.example/ledger:ecdsa:2', 'bank-c.example/ledger:ed25519:3');
rename("$dir/three/$_.vkey", "$dir/k$_.vkey") for 1 .. 3;
sign('stranger', 70, $tree_root, 'bank-z.example/ledger:ed25519:9');
audit_ok('checkpoint signed by the log and two cosigners', qr/signed by \Q$origin\E \(log\), bank-b.example\/ledger, bank-c.example\/ledger/,
	'checkpoint', $cp, "$dir/k1.vkey", "$dir/k2.vkey", "$dir/k3.vkey", '--quorum', '3');
audit_ok('an unknown cosigner is ignored', qr/signed by \Q$origin\E \(log\), bank-b.example\/ledger, 1 unknown signature/,
	'checkpoint', $cp, "$dir/k1.vkey", "$dir/k2.vkey", '--quorum', '2');
audit_fails('quorum not met', qr/2 of the 3 signatures the quorum needs verified/,
	'checkpoint', $cp, "$dir/k1.vkey", "$dir/k2.vkey", '--quorum', '3');
audit_ok('inclusion against the signed checkpoint', qr/matching history size 70 of the checkpoint/,
	'inclusion', "$dir/good.json", $cp, '--key', "$dir/k1.vkey");
audit_ok('inclusion against a checkpoint without keys says so', qr/signatures not checked/,
	'inclusion', "$dir/good.json", $cp);
my $cptext = read_file($cp);
# one-byte forgeries of the note
my %cpforgery = (
	'tree size' => [ sub { $_[0] =~ s/\n70\n/\n71\n/ }, qr/signature by \Q$origin\E \(ed25519, key ID [0-9a-f]{8}\) does not verify/ ],
	'root' => [ sub { $_[0] =~ s/\n(\d+)\n(.)/"\n$1\n" . ($2 eq 'A' ? 'B' : 'A')/e }, qr/does not verify/ ],
	'origin' => [ sub { $_[0] =~ s/^bank-a/bank-x/ }, qr/does not verify/ ],
	'signature' => [ sub { $_[0] =~ s/(\x{2014} \S+ [A-Za-z0-9+\/]{20})(.)/$1 . ($2 eq 'A' ? 'B' : 'A')/e }, qr/does not verify/ ],
	'ecdsa signature' => [ sub { $_[0] =~ s/(\x{2014} bank-b\S+ [A-Za-z0-9+\/]{30})(.)/$1 . ($2 eq 'A' ? 'B' : 'A')/e }, qr/does not verify|not base64/ ],
);
for my $name (sort keys %cpforgery)
{
	my $t = $cptext;
	utf8::decode($t);
	$cpforgery{$name}[0]->($t);
	utf8::encode($t);
	isnt($t, $cptext, "checkpoint $name: the forgery changed the note");
	write_file("$dir/bad-cp", $t);
	audit_fails("checkpoint with a changed $name", $cpforgery{$name}[1],
		'checkpoint', "$dir/bad-cp", "$dir/k1.vkey", "$dir/k2.vkey");
}
audit_fails('a checkpoint no known key signed', qr/no signature by a known key/,
	'checkpoint', $cp, "$dir/stranger/1.vkey");
my $k1 = read_file("$dir/k1.vkey");
(my $badkey = $k1) =~ s/\+([0-9a-f]{7})([0-9a-f])\+/'+' . $1 . ($2 eq '0' ? '1' : '0') . '+'/e;
write_file("$dir/bad.vkey", $badkey);
audit_fails('a key file whose key ID does not match its key', qr/has key ID [0-9a-f]{8}, its key gives/,
	'checkpoint', $cp, "$dir/bad.vkey");
# a checkpoint at a later size: the proof reaches it through a consistency proof
$cp = sign('log', 70, $tree_root, "$origin:ed25519:1");
write_file("$dir/p40.json", $node->safe_psql('postgres', 'SELECT audit_fixture.proof(12, 0, 40)'));
write_file("$dir/c.json", $node->safe_psql('postgres', 'SELECT audit_fixture.consistency(41, 70)'));
audit_ok('an older proof reaches a signed checkpoint through a consistency proof', qr/history size 70 of the checkpoint, through a consistency proof/,
	'inclusion', "$dir/p40.json", $cp, '--key', "$dir/log/1.vkey", '--consistency', "$dir/c.json");
forge_ok('proof reaching a checkpoint through a consistency proof', 1, 'inclusion', "$dir/p40.json", $cp,
	'--key', "$dir/log/1.vkey", '--consistency', "$dir/c.json");
# the consistency proof forged, the inclusion proof and checkpoint as given
forge_ok('consistency proof between two digests', 0, 'consistency', "$dir/c20.json", "$dir/d20.json", "$dir/digest.json");
$cp = sign('zero', 70, '00' x 32, "$origin:ed25519:1");
audit_fails('a signed checkpoint with another root', qr/history root at size 70 differs/,
	'inclusion', "$dir/good.json", $cp, '--key', "$dir/zero/1.vkey");

# ---- a full export of row format 2, all blocks of format 2 ----
my $export = fixture(txs => 45, per_block => 4, unsealed => 2, row_format => 2, v2_from => 0, out => 'export');
write_file("$dir/export.ndjson", $export);
write_file("$dir/head.json", $node->safe_psql('postgres', 'SELECT audit_fixture.digest(10)'));
audit_ok('export of 45 transactions in 11 blocks', qr/45 transactions \(2 unsealed\), 11 blocks, head block 10 .*history 43 transactions.*matching block 10 of the digest/,
	'export', "$dir/export.ndjson", "$dir/head.json");
my @el = map { $json->decode($_) } split /\n/, $export;
sub pick
{
	my ($lines, $type, %f) = @_;
	for my $o (@$lines)
	{
		next unless $o->{type} eq $type;
		return $o unless grep { $o->{$_} != $f{$_} } keys %f;
	}
	die "no $type line";
}
my %exforgery = (
	'row bytes' => [ sub { flip(\pick($_[0], 'row', xact => 1002, seq => 0)->{canonical_bytes}, 100) }, qr/^FAIL: row \(transaction 1002, sequence 0\) does not match its hash/ ],
	'row leaf hash' => [ sub { flip(\pick($_[0], 'row', xact => 1002, seq => 0)->{leaf_hash}, 7) }, qr/row \(transaction 1002, sequence 0\) does not match its hash/ ],
	'row deleted' => [ sub { my $r = pick($_[0], 'row', xact => 1002, seq => 1); @{ $_[0] } = grep { $_ != $r } @{ $_[0] } }, qr/transaction 1002 recorded 3 rows, but the export holds 2 of them/ ],
	'transaction root' => [ sub { flip(\pick($_[0], 'transaction', xact_id => 1007)->{root}, 3) }, qr/rows of transaction 1007 do not match its recorded root/ ],
	'transaction duplicated' => [ sub { push @{ $_[0] }, { %{ pick($_[0], 'transaction', xact_id => 1009) } } }, qr/transaction 1009 is recorded more than once/ ],
	'block root' => [ sub { flip(\pick($_[0], 'block', block_no => 3)->{root}, 3) }, qr/block 3 does not match its transactions/ ],
	'block tree root' => [ sub { flip(\pick($_[0], 'block', block_no => 6)->{tree_root}, 3) }, qr/block 6's history root differs from the root of the 28 transactions/ ],
	'block tree size' => [ sub { pick($_[0], 'block', block_no => 6)->{tree_size}-- }, qr/block 6 gives history size 27, but 28 transactions were sealed up to it/ ],
	'block seal time' => [ sub { pick($_[0], 'block', block_no => 8)->{sealed_at_us}++ }, qr/block 8 does not match its hash: its header was edited/ ],
	'block prev hash' => [ sub { flip(\pick($_[0], 'block', block_no => 9)->{prev_hash}, 3) }, qr/block 9 does not link to block 8/ ],
	'block removed' => [ sub { my $b = pick($_[0], 'block', block_no => 4); @{ $_[0] } = grep { $_ != $b } @{ $_[0] } }, qr/block 4 is missing: the chain jumps from block 3 to block 5/ ],
);
for my $name (sort keys %exforgery)
{
	my @l = map { $json->decode($_) } split /\n/, $export;
	$exforgery{$name}[0]->(\@l);
	my $t = join('', map { $json->encode($_) . "\n" } @l);
	isnt($t, join('', map { $json->encode($_) . "\n" } @el), "export $name: the forgery changed the export");
	write_file("$dir/bad.ndjson", $t);
	audit_fails("export with a changed $name", $exforgery{$name}[1], 'export', "$dir/bad.ndjson", "$dir/head.json");
}
$d = $json->decode($node->safe_psql('postgres', 'SELECT audit_fixture.digest(10)'));
$d->{block} = 11;
write_file("$dir/later.json", $json->encode($d));
audit_fails('an export that ends before its digest', qr/the digest names block 11, but the export ends at block 10: blocks were removed/,
	'export', "$dir/export.ndjson", "$dir/later.json");

# ---- usage ----
for my $cmd ('', 'inclusion', 'consistency', 'checkpoint', 'export')
{
	my ($rc, $o) = audit($cmd ? ($cmd, '--help') : ('--help'));
	ok($rc == 0 && $o =~ /^usage: ledger-audit/, "--help " . ($cmd || '(top)'));
}
my ($rc, $o) = audit('inclusion');
is($rc, 2, 'a missing argument is a usage error (status 2)');
audit_fails('a file that is not there', qr/cannot read proof/, 'inclusion', "$dir/none.json");

$node->stop;
done_testing();
