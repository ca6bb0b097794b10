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
#     non-canonical base64 and hashes of the wrong length among them;
#   - a checkpoint is an anchor only through its signatures: inclusion,
#     consistency and export refuse one without --key, and one that is
#     unsigned or signed by another key with it;
#   - proof_version 1 (a chain of block headers, built here from the format
#     specification) is anchored only by a digest of its chain's last block:
#     a forged chain ending in a format-2 header is refused against a
#     checkpoint, a digest of another block and through --consistency;
#   - an export newer than a signed checkpoint reaches it (the history root
#     at the checkpoint's size), one that lost history does not;
#   - malformed input is one "FAIL: " line with status 1, never a traceback;
#   - after the review of 2026-12-06 (each failed before its fix): --quorum
#     counts distinct signers (one key under two names, one institution
#     under its origin and cosigner names: one); an export checks every
#     field of a digest of an older block, and the digest's ledger first;
#     blocks out of order are named so; a format-1 row's sequence number,
#     which nothing binds, is not printed (forge.py: 0 accepted); names
#     from the inputs are printed escaped, on one line; an export's line
#     says row signatures were not checked;
#   - a signed ledger's export (2026-12-06; each failed before): the ledger
#     line says the ledger is signed and key lines give the keys its rows
#     name; the tool checks every row's signature (Ed25519, P-256, high-S
#     accepted as by the server) and its key at the row's commit, and names
#     a row a superuser inserted around the signature trigger with a bad
#     signature, an unknown key, a revoked key, non-strict DER, an Ed25519
#     S >= L, or a replayed message; and edited key lines.
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
use Digest::SHA qw(sha256);

my $root = $ENV{TESTDIR} // '.';
my $tool = "$root/tools/ledger-audit";
my $dir = tempdir(CLEANUP => 1);
my $json = JSON::PP->new->canonical;
# the tail of an export line that does not say whether the ledger is signed
# (the fixtures, and exports from before 2026-12-06)
my $nosig = qr/; row signatures not checked \(of a signed ledger, only ledger\.verify checks them\)/;

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

# no digest or checkpoint given: consistent in itself, anchored to nothing;
# status 3, never 0 (until 2026-12-05 "OK" and status 0, so that a script
# taking status 0 for "verified" accepted a made-up proof or export)
sub audit_unanchored
{
	my ($name, $like, @args) = @_;
	my ($rc, $out) = audit(@args);
	ok($rc == 3 && $out =~ /^UNANCHORED: / && $out =~ $like, "$name") or diag("status $rc: $out");
}

sub audit_fails
{
	my ($name, $like, @args) = @_;
	my ($rc, $out) = audit(@args);
	ok($rc == 1 && $out =~ /^FAIL: / && $out =~ $like, "$name: refused ($out)") or diag("status $rc: $out");
}

# malformed input: status 1 and one line "FAIL: ...", no Python traceback
sub audit_malformed
{
	my ($name, $like, @args) = @_;
	my ($rc, $out) = audit(@args);
	ok($rc == 1 && $out =~ /\AFAIL: [^\n]*\n\z/ && $out =~ $like && $out !~ /Traceback/,
		"$name: refused as malformed ($out)") or diag("status $rc: $out");
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
# $unbound: forgeries of a format-1 row's "seq" alone, accepted with the
# true proof's line (which names no sequence number), expected
sub forge_ok
{
	my ($name, $unchecked, $unbound, @args) = @_;
	my ($o, $e) = ('', '');
	IPC::Run::run([ 'python3', "$root/test/audit/forge.py", @args ], '>', \$o, '2>', \$e);
	my $rc = $? >> 8;
	ok($rc == 0 && $o =~ /^forgeries (\d+) accepted 0 header not checked (\d+)(?: sequence not bound (\d+))?$/m && $1 > 500
		  && ($unchecked ? $2 > 0 : $2 == 0) && ($3 // 0) == $unbound, "$name: every forgery refused")
	  or diag("status $rc: $o$e");
	note($o);
}
forge_ok('proof at the digest\'s block', 0, 0, 'inclusion', "$dir/good.json", "$dir/digest.json");

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
# A digest of the proof's block is met by every field the proof
# determines, as an export meets one: its block hash and history tree
# alone let an edited "root" or "format_version" pass (review of
# 2026-12-06).
for my $edit ([ 'root', sub { flip(\$_[0]{root}, 3) }, qr/"root" [0-9a-f]{64}, the proof [0-9a-f]{64}/ ],
	[ 'format_version', sub { $_[0]{format_version} = 1 }, qr/"format_version" 1, the proof 2/ ],
	[ 'history tree removed', sub { $_[0]{tree_root} = undef; $_[0]{tree_size} = 999 }, qr/no history tree, the proof's block one/ ])
{
	$d = $json->decode($digest);
	$edit->[1]->($d);
	write_file("$dir/other.json", $json->encode($d));
	audit_fails("a digest of the proof's block with a changed $edit->[0]",
		qr/block 69 differs from the digest: the digest has $edit->[2]: the digest was edited/,
		'inclusion', "$dir/good.json", "$dir/other.json");
}

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
audit_fails('quorum not met', qr/2 of the 3 distinct signers the quorum needs verified/,
	'checkpoint', $cp, "$dir/k1.vkey", "$dir/k2.vkey", '--quorum', '3');
audit_ok('inclusion against the signed checkpoint', qr/matching history size 70 of the checkpoint/,
	'inclusion', "$dir/good.json", $cp, '--key', "$dir/k1.vkey");
audit_fails('inclusion against a checkpoint without keys', qr/a checkpoint is an anchor only through its signatures \(pass --key/,
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

# --quorum counts distinct signers, as the database counts institutions
# (review of 2026-12-06: it counted (name, key ID) pairs, so bank-a's key
# listed under its origin name and its cosigner name met --quorum 2 alone)
my $same = sign('same', 70, $tree_root, "$origin:ed25519:1", 'bank-a.example/ledger:ed25519:1');
write_file("$dir/same/a.vkey", read_file("$dir/same/1.vkey") . read_file("$dir/same/2.vkey"));
my $one_a = qr/1 of the 2 distinct signers the quorum needs verified \(\Q$origin\E \(log\) and bank-a.example\/ledger \(one signer: the same institution, the same key\)\)/;
audit_fails('one key under its origin name and its cosigner name is one signer', $one_a,
	'checkpoint', $same, "$dir/same/a.vkey", "$dir/k2.vkey", '--quorum', '2');
audit_ok('... which meets --quorum 1', qr/signed by \Q$origin\E \(log\) and bank-a.example\/ledger \(one signer: the same institution, the same key\)$/,
	'checkpoint', $same, "$dir/same/a.vkey");
audit_fails('... and is one signer as the anchor of an inclusion proof', $one_a,
	'inclusion', "$dir/good.json", $same, '--key', "$dir/same/a.vkey", '--key', "$dir/k2.vkey", '--quorum', '2');
my $twin = sign('twin', 70, $tree_root, 'bank-e.example/ledger:ecdsa:5', 'bank-f.example/ledger:ecdsa:5');
audit_fails('one ECDSA key under two institutions\' names is one signer',
	qr/1 of the 2 distinct signers the quorum needs verified \(bank-e.example\/ledger and bank-f.example\/ledger \(one signer: the same key\)\)/,
	'checkpoint', $twin, "$dir/twin/1.vkey", "$dir/twin/2.vkey", '--quorum', '2');
my $inst2 = sign('inst2', 70, $tree_root, "$origin:ed25519:1", 'bank-a.example/ledger:ed25519:8');
audit_fails('two keys of one institution are one signer',
	qr/1 of the 2 distinct signers the quorum needs verified \(.*\(one signer: the same institution\)\)/,
	'checkpoint', $inst2, "$dir/inst2/1.vkey", "$dir/inst2/2.vkey", '--quorum', '2');

# strings from the inputs are printed escaped, on one line (review of
# 2026-12-06: an origin or key name with U+2028 or U+202E was printed raw)
{
	my ($o, $e) = ('', '');
	my $spoof = "bank-a.example\x{2028}OK: forged/ledger/c0ffee00-0000-4000-8000-000000000001";
	my $cosigner = "bank-b.example\x{202e}/ledger";
	utf8::encode($_) for $spoof, $cosigner;
	mkdir("$dir/spoof");
	IPC::Run::run([ 'python3', "$root/test/audit/sign_checkpoint.py", "$dir/spoof", $spoof, 70, $tree_root, "$cosigner:ed25519:4" ],
		'>', \$o, '2>', \$e) or die "sign_checkpoint.py: $e";
	my ($rc, $out) = audit('checkpoint', "$dir/spoof/checkpoint", "$dir/spoof/1.vkey");
	ok($rc == 0 && $out =~ /\AOK: [^\n]*\n\z/ && $out !~ /\xe2\x80[\xa8\xae]/
		  && $out =~ /at bank-a\.example\\u2028OK: forged, 70 transactions, .*: signed by bank-b\.example\\u202e\/ledger$/m,
		'a checkpoint\'s origin and key names are printed escaped') or diag("status $rc: $out");
}
# a checkpoint at a later size: the proof reaches it through a consistency proof
$cp = sign('log', 70, $tree_root, "$origin:ed25519:1");
write_file("$dir/p40.json", $node->safe_psql('postgres', 'SELECT audit_fixture.proof(12, 0, 40)'));
write_file("$dir/c.json", $node->safe_psql('postgres', 'SELECT audit_fixture.consistency(41, 70)'));
audit_ok('an older proof reaches a signed checkpoint through a consistency proof', qr/history size 70 of the checkpoint, through a consistency proof/,
	'inclusion', "$dir/p40.json", $cp, '--key', "$dir/log/1.vkey", '--consistency', "$dir/c.json");
forge_ok('proof reaching a checkpoint through a consistency proof', 1, 0, 'inclusion', "$dir/p40.json", $cp,
	'--key', "$dir/log/1.vkey", '--consistency', "$dir/c.json");
# the consistency proof forged, the inclusion proof and checkpoint as given
forge_ok('consistency proof between two digests', 0, 0, 'consistency', "$dir/c20.json", "$dir/d20.json", "$dir/digest.json");
$cp = sign('zero', 70, '00' x 32, "$origin:ed25519:1");
audit_fails('a signed checkpoint with another root', qr/history root at size 70 differs/,
	'inclusion', "$dir/good.json", $cp, '--key', "$dir/zero/1.vkey");

# ---- a checkpoint is an anchor only through its signatures ----
# $logcp: signed by the log's key $logkey; unsigned($cp): its text with a
# signature line claiming $logkey's name and key ID and a signature of
# zeros; a note signed by a key not given (bank-z)
my ($logcp, $logkey) = ("$dir/log/checkpoint", "$dir/log/1.vkey");
my ($logkid) = read_file($logkey) =~ /\+([0-9a-f]{8})\+/;
sub unsigned
{
	my ($path) = @_;
	(my $text = read_file($path)) =~ s/\n\n.*\z/\n/s;
	# U+2014 (em dash) in UTF-8
	write_file("$path.unsigned", $text . "\n\xe2\x80\x94 $origin " . encode_base64(pack('H*', $logkid) . "\0" x 64, '') . "\n");
	return "$path.unsigned";
}
my $stranger = sign('stranger70', 70, $tree_root, 'bank-z.example/ledger:ed25519:9');
audit_fails('consistency to a checkpoint without keys', qr/a checkpoint is an anchor only through its signatures \(pass --key/,
	'consistency', "$dir/c20.json", "$dir/d20.json", $logcp);
audit_ok('consistency to a checkpoint signed by the key given', qr/at 21 transactions is a prefix of its history at 70/,
	'consistency', "$dir/c20.json", "$dir/d20.json", $logcp, '--key', $logkey);
audit_fails('consistency to an unsigned checkpoint', qr/signature by \Q$origin\E \(ed25519, key ID $logkid\) does not verify/,
	'consistency', "$dir/c20.json", "$dir/d20.json", unsigned($logcp), '--key', $logkey);
audit_fails('consistency to a checkpoint signed by another key', qr/no signature by a known key/,
	'consistency', "$dir/c20.json", "$dir/d20.json", $stranger, '--key', $logkey);

# ---- proof_version 1: anchored only by a digest of its chain's last block ----
# A forged proof_version 1 (after test/audit/forge_v1 of the review): a row
# never in the ledger, in a one-transaction block 500 of format 2 whose
# header gives any history size and root; every hash in it is computed, so
# it is as self-consistent as a true proof.  Block hash of format 2 from
# docs/canonical-format.md.
sub be64 { pack('q>', $_[0]) }
sub forged_v1
{
	my ($size, $rootx) = @_;
	my $lid = pack('H*', 'c0ffee00000040008000000000000001');
	my $row = "LR\x01" . pack('n', 2) . pack('n', 2) . 'id' . "\x03" . pack('N', 4) . pack('N', 999)
	  . pack('n', 4) . 'memo' . "\x08" . pack('N', 6) . 'FORGED';
	my $leaf = sha256("\x00" . $row);
	my $txleaf = sha256("\x00" . "T\x01" . be64(777) . be64(1) . $leaf . be64(0));
	my $hash = sha256("ledger-block-v2\x00" . $lid . be64(500) . ("\0" x 32) . $txleaf . be64(1) . be64(1)
		  . be64(0) . be64(2) . be64($size) . pack('H*', $rootx));
	return $json->encode({ proof_version => 1, ledger => 'audit_fixture.pay',
		ledger_uuid => 'c0ffee00-0000-4000-8000-000000000001',
		row => { xact => 777, seq => 0, canonical_bytes => unpack('H*', $row), leaf_hash => unpack('H*', $leaf) },
		transaction => { xact_id => 777, row_count => 1, root => unpack('H*', $leaf), committed_at_us => 0,
			leaf_index => 0, path => [] },
		block => { block_no => 500, tx_index => 0, tx_count => 1, path => [] },
		chain => [ { block_no => 500, prev_hash => '00' x 32, root => unpack('H*', $txleaf), tx_count => 1,
			row_count => 1, sealed_at_us => 0, format_version => 2, tree_size => $size, tree_root => $rootx,
			block_hash => unpack('H*', $hash) } ] });
}
write_file("$dir/forged70.json", forged_v1(70, $tree_root));
write_file("$dir/forged0.json", forged_v1(0, unpack('H*', sha256(''))));
write_file("$dir/c0.json", $json->encode({ proof_version => 2, ledger_uuid => 'c0ffee00-0000-4000-8000-000000000001',
	old_size => 0, new_size => 70, path => [] }));
my $only_digest = qr/a proof_version 1 is anchored only by a digest of its chain's last block/;
my $ask_v2 = qr/ask ledger.prove for a proof_version 2 to reach a checkpoint or another block/;
audit_fails('forged proof_version 1 with the checkpoint\'s history root, against the signed checkpoint',
	qr/$only_digest \(block 500\), not by a checkpoint: $ask_v2/, 'inclusion', "$dir/forged70.json", $logcp, '--key', $logkey);
audit_fails('forged proof_version 1 at history size 0, through --consistency to the signed checkpoint',
	qr/$only_digest \(block 500\), not by a checkpoint/,
	'inclusion', "$dir/forged0.json", $logcp, '--key', $logkey, '--consistency', "$dir/c0.json");
audit_fails('forged proof_version 1 at history size 0, through --consistency to a digest of another block',
	qr/$only_digest: the chain ends at block 500, the digest is of block 69: $ask_v2/,
	'inclusion', "$dir/forged0.json", "$dir/digest.json", '--consistency', "$dir/c0.json");
audit_unanchored('forged proof_version 1 alone: nothing is anchored (status 3)', qr/in block 500, chained to block 500 [0-9a-f]{64} \(no digest or checkpoint given: the block hash is computed from the proof; compare it with a digest of block 500 you trust\)$/,
	'inclusion', "$dir/forged70.json");

# True proofs of version 1, built from the format specification as 0.1.0's
# ledger.prove gives them: blocks 0 to 2 of format 1, 3 and 4 of format 2
# (history sizes 8, 10); the row (1001, 1), in block 0, chained to block $to.
fixture(txs => 10, per_block => 2, unsealed => 0, row_format => 1, v2_from => 3, out => 'none');
sub v1_proof
{
	my ($t, $s, $to) = @_;
	return $node->safe_psql('postgres', qq{
SELECT json_build_object('proof_version', 1, 'ledger', 'audit_fixture.pay', 'ledger_uuid', p.lid,
    'row', json_build_object('xact', r.xact, 'seq', r.seq, 'canonical_bytes', encode(r.bytes, 'hex'),
        'leaf_hash', encode(sha256('\\x00'::bytea || r.bytes), 'hex')),
    'transaction', json_build_object('xact_id', x.xact_id, 'row_count', x.row_count, 'root', encode(x.root, 'hex'),
        'committed_at_us', x.committed_at_us, 'leaf_index', r.seq,
        'path', to_json(ARRAY(SELECT encode(h, 'hex') FROM unnest(ledger.merkle_inclusion_proof(
            (SELECT array_agg(bytes ORDER BY seq) FROM audit_fixture.rows WHERE rows.t = x.t), r.seq, x.row_count)) h))),
    'block', json_build_object('block_no', k.block_no, 'tx_index', array_position(k.xact_ids, x.xact_id) - 1,
        'tx_count', k.tx_count,
        'path', to_json(ARRAY(SELECT encode(h, 'hex') FROM unnest(ledger.merkle_inclusion_proof(
            (SELECT array_agg(leaf_data ORDER BY t) FROM audit_fixture.tx WHERE tx.block_no = k.block_no),
            array_position(k.xact_ids, x.xact_id) - 1, k.tx_count)) h))),
    'chain', (SELECT json_agg((jsonb_build_object('block_no', c.block_no, 'prev_hash', encode(c.prev_hash, 'hex'),
                  'root', encode(c.root, 'hex'), 'tx_count', c.tx_count, 'row_count', c.row_count,
                  'sealed_at_us', c.sealed_at_us, 'format_version', c.format_version)
              || CASE WHEN c.format_version = 2 THEN jsonb_build_object('tree_size', c.tree_size,
                     'tree_root', encode(c.tree_root, 'hex')) ELSE '{}' END
              || jsonb_build_object('block_hash', encode(c.block_hash, 'hex'))) ORDER BY c.block_no)
              FROM audit_fixture.blocks c WHERE c.block_no BETWEEN k.block_no AND $to))
FROM audit_fixture.params p, audit_fixture.rows r, audit_fixture.tx x, audit_fixture.blocks k
WHERE r.t = $t AND r.seq = $s AND x.t = $t AND k.block_no = x.block_no});
}
write_file("$dir/v1to2.json", v1_proof(1, 1, 2));
write_file("$dir/v1to3.json", v1_proof(1, 1, 3));
write_file("$dir/v1to4.json", v1_proof(1, 1, 4));
write_file("$dir/v1d$_.json", $node->safe_psql('postgres', "SELECT audit_fixture.digest($_)")) for 2, 4;
write_file("$dir/v1c.json", $node->safe_psql('postgres', 'SELECT audit_fixture.consistency(8, 10)'));
my $root10 = $node->safe_psql('postgres', "SELECT encode(tree_root, 'hex') FROM audit_fixture.blocks WHERE block_no = 4");
my $v1cp = sign('v1cp', 10, $root10, "$origin:ed25519:1");
audit_ok('proof_version 1 to a format-1 block, against the digest of that block',
	qr/row \(1001, leaf 1 of 2; row format 1 binds no sequence number\) of audit_fixture.pay: in block 0, chained to block 2 [0-9a-f]{64}, matching block 2 of the digest$/,
	'inclusion', "$dir/v1to2.json", "$dir/v1d2.json");
audit_ok('proof_version 1 running into format-2 blocks, against the digest of its last block',
	qr/in block 0, chained to block 4 [0-9a-f]{64}, matching block 4 of the digest$/,
	'inclusion', "$dir/v1to4.json", "$dir/v1d4.json");
audit_unanchored('proof_version 1 alone: nothing is anchored (status 3)', qr/chained to block 2 [0-9a-f]{64} \(no digest or checkpoint given: .*compare it with a digest of block 2 you trust\)$/,
	'inclusion', "$dir/v1to2.json");
audit_fails('proof_version 1 against a digest of a later block', qr/$only_digest: the chain ends at block 2, the digest is of block 4: $ask_v2/,
	'inclusion', "$dir/v1to2.json", "$dir/v1d4.json");
audit_fails('proof_version 1 ending at a format-2 block, through --consistency to a digest of a later block',
	qr/$only_digest: the chain ends at block 3, the digest is of block 4: $ask_v2/,
	'inclusion', "$dir/v1to3.json", "$dir/v1d4.json", '--consistency', "$dir/v1c.json");
audit_fails('proof_version 1 ending at a format-2 block, against a signed checkpoint of its history size',
	qr/$only_digest \(block 4\), not by a checkpoint: $ask_v2/,
	'inclusion', "$dir/v1to4.json", $v1cp, '--key', "$dir/v1cp/1.vkey");
audit_fails('proof_version 1 with --consistency, against the digest of its last block',
	qr/--consistency does not apply to a proof_version 1.*$ask_v2/,
	'inclusion', "$dir/v1to4.json", "$dir/v1d4.json", '--consistency', "$dir/v1c.json");

# A row of format 1 carries no sequence number, and ledger_seq has gaps, so
# nothing binds the proof's "seq" (review of 2026-12-06: the OK line printed
# it, forged to 5 or 0, and forge.py counted 2 forgeries accepted): the line
# names the row's transaction and its leaf in the transaction's tree, which
# the hashes bind, and not the proof's "seq".
write_file("$dir/fx1p.json", $node->safe_psql('postgres', 'SELECT audit_fixture.proof(1, 1, 4)'));
my ($f1rc, $f1line) = audit('inclusion', "$dir/fx1p.json", "$dir/v1d4.json");
ok($f1rc == 0 && $f1line =~ /^OK: row \(1001, leaf 1 of 2; row format 1 binds no sequence number\) of audit_fixture\.pay: transaction 1001 is history leaf 1 of 10, root \S+, block 4 [0-9a-f]{64}, matching block 4 of the digest$/,
	'proof_version 2 of a format-1 row: its transaction and leaf index, no sequence number') or diag($f1line);
for my $seq (5, 0)
{
	for my $f ([ 'fx1p', 'v1d4', 2 ], [ 'v1to2', 'v1d2', 1 ])
	{
		my $p = $json->decode(read_file("$dir/$f->[0].json"));
		$p->{row}{seq} = $seq;
		write_file("$dir/seq.json", $json->encode($p));
		my ($rc0, $o0) = audit('inclusion', "$dir/$f->[0].json", "$dir/$f->[1].json");
		my ($rc, $o) = audit('inclusion', "$dir/seq.json", "$dir/$f->[1].json");
		ok($rc == 0 && $o eq $o0 && $o !~ /\(1001, $seq\)/,
			"proof_version $f->[2] of a format-1 row with \"seq\" $seq: the true proof's line, no sequence number") or diag($o);
	}
}
forge_ok('proof of a format-1 row', 0, 2, 'inclusion', "$dir/fx1p.json", "$dir/v1d4.json");

# malformed proofs of version 1: one FAIL line, no traceback
my $v1 = $json->decode(read_file("$dir/v1to2.json"));
$v1->{chain} = [1];
write_file("$dir/bad.json", $json->encode($v1));
audit_malformed('proof_version 1 whose chain holds a number', qr/proof field "chain"\[0\] is not a block header/,
	'inclusion', "$dir/bad.json", "$dir/v1d2.json");
$v1 = $json->decode(read_file("$dir/v1to2.json"));
$v1->{chain}[1]{sealed_at_us} = 'SEALED';
(my $t63 = $json->encode($v1)) =~ s/"SEALED"/9223372036854775808/;
write_file("$dir/bad.json", $t63);
audit_malformed('proof_version 1 with a seal time of 2^63', qr/proof chain block 1 field "sealed_at_us" is missing or malformed/,
	'inclusion', "$dir/bad.json", "$dir/v1d2.json");
write_file("$dir/bad.json", '[' x 100000);
audit_malformed('a proof nested 100000 deep', qr/^FAIL: malformed input: RecursionError$/m,
	'inclusion', "$dir/bad.json", "$dir/v1d2.json");

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

# ---- an export against signed checkpoints ----
# blocks of 4 transactions: block 5 at history size 24, block 10 (the head) at 43
my %xroot = map { $_ => $node->safe_psql('postgres', "SELECT encode(tree_root, 'hex') FROM audit_fixture.blocks WHERE block_no = $_") } 4, 5, 10;
my $root30 = $node->safe_psql('postgres', "SELECT encode(ledger.merkle_root((audit_fixture.history_leaves())[1:30]), 'hex')");
my $xcp43 = sign('x43', 43, $xroot{10}, "$origin:ed25519:1");
my $xcp24 = sign('x24', 24, $xroot{5}, "$origin:ed25519:1");
audit_fails('export against a checkpoint without keys', qr/a checkpoint is an anchor only through its signatures \(pass --key/,
	'export', "$dir/export.ndjson", $xcp43);
audit_ok('export against a checkpoint of its head, signed by the key given', qr/history 43 transactions [0-9a-f]{64}, matching history size 43 of the checkpoint$nosig$/,
	'export', "$dir/export.ndjson", $xcp43, '--key', $logkey);
audit_fails('export against an unsigned checkpoint', qr/signature by \Q$origin\E \(ed25519, key ID $logkid\) does not verify/,
	'export', "$dir/export.ndjson", unsigned($xcp43), '--key', $logkey);
audit_fails('export against a checkpoint signed by another key', qr/no signature by a known key/,
	'export', "$dir/export.ndjson", sign('x43z', 43, $xroot{10}, 'bank-z.example/ledger:ed25519:9'), '--key', $logkey);
audit_ok('an export newer than a signed checkpoint reaches it', qr/matching history size 24 of the checkpoint \(the export's history extends it by 19 transactions\)$nosig$/,
	'export', "$dir/export.ndjson", $xcp24, '--key', $logkey);
audit_ok('an export newer than a signed checkpoint at no block\'s history size', qr/matching history size 30 of the checkpoint \(the export's history extends it by 13 transactions\)$nosig$/,
	'export', "$dir/export.ndjson", sign('x30', 30, $root30, "$origin:ed25519:1"), '--key', $logkey);
audit_fails('a signed checkpoint with another root at an older size', qr/the checkpoint's history root at size 24 differs from the export's/,
	'export', "$dir/export.ndjson", sign('x24b', 24, $xroot{4}, "$origin:ed25519:1"), '--key', $logkey);
audit_fails('a signed checkpoint larger than the export\'s history', qr/the checkpoint is at history size 44, but the export's history holds 43 transactions: history was removed/,
	'export', "$dir/export.ndjson", sign('x44', 44, $xroot{10}, "$origin:ed25519:1"), '--key', $logkey);
my $xsame = sign('xsame', 43, $xroot{10}, "$origin:ed25519:1", 'bank-a.example/ledger:ed25519:1');
write_file("$dir/xsame/a.vkey", read_file("$dir/xsame/1.vkey") . read_file("$dir/xsame/2.vkey"));
audit_fails('export against a checkpoint signed by one institution under two names, --quorum 2', $one_a,
	'export', "$dir/export.ndjson", $xsame, '--key', "$dir/xsame/a.vkey", '--key', "$dir/k2.vkey", '--quorum', '2');

# ---- an export against a digest: every field, the ledger first (review of 2026-12-06) ----
# A digest of an older block was met by its block_hash alone: an honest
# hash with a rewritten history root passed, and that digest then anchored
# a consistency check of the rewritten history.
my $d3 = $node->safe_psql('postgres', 'SELECT audit_fixture.digest(3)');
write_file("$dir/d3.json", $d3);
audit_ok('an export reaches the digest of an older block', qr/matching block 3 of the digest \(the export's chain extends it by 7 blocks\)$nosig$/,
	'export', "$dir/export.ndjson", "$dir/d3.json");
my $differs = qr/block 3 differs from the digest: the digest has/;
my %dforgery = (
	'tree_root' => [ sub { flip(\$_[0]{tree_root}, 5) }, qr/$differs history size 16 and root [0-9a-f]{64}, the export 16 and [0-9a-f]{64}: the digest was edited/ ],
	'tree_size' => [ sub { $_[0]{tree_size}-- }, qr/$differs history size 15 and root [0-9a-f]{64}, the export 16 and/ ],
	'root' => [ sub { flip(\$_[0]{root}, 5) }, qr/$differs "root" [0-9a-f]{64}, the export [0-9a-f]{64}: the digest was edited/ ],
	'rows' => [ sub { $_[0]{rows}++ }, qr/$differs "rows" \d+, the export \d+: the digest was edited/ ],
	'transactions' => [ sub { $_[0]{transactions}++ }, qr/$differs "transactions" 17, the export 16/ ],
	'format_version' => [ sub { $_[0]{format_version} = 1 }, qr/$differs "format_version" 1, the export 2/ ],
	'block_hash' => [ sub { flip(\$_[0]{block_hash}, 5) }, qr/$differs hash [0-9a-f]{64}, the export [0-9a-f]{64}$/ ],
	'ledger_uuid' => [ sub { $_[0]{ledger_uuid} =~ s/^c0ffee00/c0ffee01/ }, qr/the digest belongs to another ledger \(c0ffee01-/ ],
	'ledger_uuid, and a block after the export\'s last' => [ sub { $_[0]{ledger_uuid} =~ s/^c0ffee00/c0ffee01/; $_[0]{block} = 20 },
		qr/the digest belongs to another ledger \(c0ffee01-/ ],
);
for my $name (sort keys %dforgery)
{
	my $dj = $json->decode($d3);
	$dforgery{$name}[0]->($dj);
	write_file("$dir/bad-d3.json", $json->encode($dj));
	audit_fails("a digest of an older block with a changed $name", $dforgery{$name}[1], 'export', "$dir/export.ndjson", "$dir/bad-d3.json");
}
$d = $json->decode($node->safe_psql('postgres', 'SELECT audit_fixture.digest(10)'));
flip(\$d->{root}, 7);
write_file("$dir/bad-head.json", $json->encode($d));
audit_fails('the digest of the head with a changed root', qr/block 10 differs from the digest: the digest has "root"/,
	'export', "$dir/export.ndjson", "$dir/bad-head.json");
{
	# blocks 0 and 1 swapped in the file: out of order, not "block 0 is missing"
	my @l = map { $json->decode($_) } split /\n/, $export;
	my ($i0) = grep { $l[$_]{type} eq 'block' && $l[$_]{block_no} == 0 } 0 .. $#l;
	@l[ $i0, $i0 + 1 ] = @l[ $i0 + 1, $i0 ];
	write_file("$dir/swap.ndjson", join('', map { $json->encode($_) . "\n" } @l));
	audit_fails('an export whose blocks 0 and 1 are swapped', qr/the export's blocks are out of order: block 1 \(export line \d+\) comes where block 0 belongs/,
		'export', "$dir/swap.ndjson", "$dir/head.json");
}

# the ledger's name, which no hash covers, is printed escaped, on one line
{
	my @l = map { $json->decode($_) } split /\n/, $export;
	$l[0]{ledger} = "audit_fixture.pay\nOK: ledger public.payments: 1 rows\x{2028}";
	write_file("$dir/name.ndjson", join('', map { JSON::PP->new->canonical->ascii->encode($_) . "\n" } @l));
	my ($rc, $out) = audit('export', "$dir/name.ndjson", "$dir/head.json");
	ok($rc == 0 && $out =~ /\AOK: ledger audit_fixture\.pay\\nOK: ledger public\.payments: 1 rows\\u2028: 90 rows, [^\n]*\n\z/,
		'an export\'s ledger name with a newline: one line, escaped') or diag("status $rc: $out");
	my $p = $json->decode($proof);
	$p->{ledger} = "public.payments\nOK: row (1, 0) of public.payments: forged \\ \x{202e}";
	write_file("$dir/name.json", JSON::PP->new->canonical->ascii->encode($p));
	($rc, $out) = audit('inclusion', "$dir/name.json", "$dir/digest.json");
	ok($rc == 0 && $out =~ /\AOK: row \(1044, 2\) of public\.payments\\nOK: row \(1, 0\) of public\.payments: forged \\\\ \\u202e: transaction 1044 [^\n]*\n\z/,
		'a proof\'s ledger name with a newline: one line, escaped') or diag("status $rc: $out");
}

# an empty signed ledger's export: no row, no key line
$node->safe_psql('postgres', q{
CREATE TABLE signed_pay (id int, key_id text, sig bytea);
SELECT ledger.create_ledger('signed_pay');
SELECT ledger.require_signatures('signed_pay', 'sig', 'key_id');
});
write_file("$dir/signed.ndjson", $node->safe_psql('postgres', q{SELECT * FROM ledger.export('signed_pay')}) . "\n");
write_file("$dir/signed.json", $node->safe_psql('postgres', q{SELECT ledger.digest('signed_pay')}));
audit_ok('an empty signed ledger\'s export: 0 row signatures checked against 0 keys',
	qr/^OK: ledger public\.signed_pay: 0 rows, .* matching block 0 of the digest; 0 row signatures checked against the export's 0 keys \(/,
	'export', "$dir/signed.ndjson", "$dir/signed.json");

# ---- a signed ledger's export: row signatures checked offline (2026-12-06) ----
# The export says whether the ledger is signed (its ledger line's "signed")
# and gives the keys its rows name; the tool checks every row's signature
# as ledger.verify does.  Before, every export line ended "row signatures
# not checked" and a row with a bad signature, an unknown key or a key
# revoked before its commit passed (each assertion below failed then).
# Keys: the published test keys of test/sign_rows.py.  The ledgers are set
# up in a few psql and python calls, to keep the test short.
my $signer = "$root/test/sign_rows.py";
sub py
{
	my ($in, @args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'python3', @args ], '<', \$in, '>', \$out, '2>', \$err) or die "python3 @args: $err";
	chomp $out;
	return $out;
}
# lines "ALG KEY HEXMSG HOW" in, one hex signature a line out; HOW: "as-is",
# "highs" (the high-S twin, which the server accepts), "der0" (a zero byte
# r does not need: not strict DER, refused by the server; OpenSSL's d2i
# alone would take it), "bigs" (Ed25519 S + L: S out of range)
my $sign_many = q{
import sys
sys.path.insert(0, sys.argv[1])
from sign_rows import key, N
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils
L = 2 ** 252 + 27742317777372353535851937790883648493
for line in sys.stdin.read().split("\n"):
    if not line:
        continue
    alg, name, msg, how = line.split(" ")
    k, msg = key(name), bytes.fromhex(msg)
    sig = k.sign(msg) if alg == "ed25519" else k.sign(msg, ec.ECDSA(hashes.SHA256()))
    if how == "highs":
        r, s = utils.decode_dss_signature(sig)
        sig = utils.encode_dss_signature(r, N - s)
    elif how == "der0":
        r, s = utils.decode_dss_signature(sig)
        ri = b"\x00" + r.to_bytes((r.bit_length() + 8) // 8, "big")
        si = utils.encode_dss_signature(1, min(s, N - s))[5:]   # 32 bytes at most: 72 in all
        body = b"\x02" + bytes([len(ri)]) + ri + si
        sig = b"\x30" + bytes([len(body)]) + body
    elif how == "bigs":
        sig = sig[:32] + (int.from_bytes(sig[32:], "little") + L).to_bytes(32, "little")
    print(sig.hex())
};
my %pub = map { $_ => py(undef, $signer, 'pub', $_) } qw(rfc8032-1 rfc8032-2 rfc8032-3 rfc6979-p256);
my %priv = ('sx-ed' => [ 'ed25519', 'rfc8032-1' ], 'sx-ec' => [ 'ecdsa-p256', 'rfc6979-p256' ],
	'sx-ed2' => [ 'ed25519', 'rfc8032-2' ], 'sx-rev' => [ 'ed25519', 'rfc8032-3' ]);

# Rows inserted around the signature trigger by a superuser (below), one
# ledger each, after a good row (1, 'one'), as (2, 'two', key) (the replay
# as (1, 'one', key)): [key, signed as (id, memo, key) if not so, how, the
# tool's FAIL, ledger.verify's problem (LIKE)].  Chained like any row,
# so the hash checks pass; the tool names the row as ledger.verify does.
my %sneaked = (
	sx_badsig => [ 'sx-ed', [ 2, 'other', 'sx-ed' ], 'as-is',
		qr/^FAIL: row \(transaction \d+, sequence 0\) has a signature that does not verify under key "sx-ed": the row or its signature was changed after it was signed/,
		'%has a signature that does not verify under key "sx-ed"%' ],
	sx_unknown => [ "sx-no\nbody", undef, undef,
		qr/^FAIL: row \(transaction \d+, sequence 0\) is signed by key "sx-no\\nbody", which is not among the export's key lines: the key is not in the key registry\n\z/,
		'%is signed by key "sx-no' . "\n" . 'body", which is not in the key registry' ],
	sx_revoked => [ 'sx-rev', undef, 'as-is',
		qr/^FAIL: row \(transaction \d+, sequence 0\) is signed by key "sx-rev", which was revoked at [-0-9 :.+]+, before the row's transaction committed at [-0-9 :.+]+$/,
		'%is signed by key "sx-rev", which was revoked at %, before the row\'s transaction committed at %' ],
	sx_der => [ 'sx-ec', undef, 'der0',
		qr/^FAIL: row \(transaction \d+, sequence 0\) has a malformed signature by key "sx-ec": The ECDSA signature is not in strict DER\./,
		'%has a malformed signature by key "sx-ec": The ECDSA signature is not in strict DER.' ],
	sx_bigs => [ 'sx-ed', undef, 'bigs',
		qr/^FAIL: row \(transaction \d+, sequence 0\) has a malformed signature by key "sx-ed": The Ed25519 signature's S is not below the group order\./,
		'%has a malformed signature by key "sx-ed": The Ed25519 signature\'s S is not below the group order.' ],
	# row 1 again with the high-S twin of its signature: the same message,
	# a replay (ledger.verify does not look for replays: the trigger does)
	sx_replay => [ 'sx-ec', undef, 'highs',
		qr/^FAIL: row \(transaction \d+, sequence 0\) signed by key "sx-ec" carries the same signed message as row \(transaction \d+, sequence 0\): a replay$/,
		undef ],
);
my @sneaked = sort keys %sneaked;

# the keys and the ledgers (without a primary key, so that a replayed row fits)
$node->safe_psql('postgres', qq{
SELECT ledger.add_key('sx-ed', 'alice', 'ed25519', '\\x$pub{'rfc8032-1'}');
SELECT ledger.add_key('sx-ec', 'bob', 'ecdsa-p256', '\\x$pub{'rfc6979-p256'}');
SELECT ledger.add_key('sx-ed2', 'carol', 'ed25519', '\\x$pub{'rfc8032-2'}');
SELECT ledger.add_key('sx-rev', 'dave', 'ed25519', '\\x$pub{'rfc8032-3'}');
SELECT ledger.revoke_key('sx-rev', 'test: revoked before any row');
} . join('', map { qq{
CREATE TABLE $_ (id int, memo text, key_id text, sig bytea);
SELECT ledger.create_ledger('$_');
SELECT ledger.require_signatures('$_', 'sig', 'key_id');} } 'sx_ok', @sneaked));

sub lit { my $s = shift; $s =~ s/'/''/g; $s =~ s/\n/\\n/g; return "E'$s'" }

# Ed25519 and P-256 rows in three transactions of sx_ok (row 4 with a
# high-S ECDSA signature, which the server accepts: docs/signing.md,
# "Strictness policy"), and the rows of the other ledgers: [table, id,
# memo, key, (signed as) id, memo, key, how]
my @rows = (
	[ 'sx_ok', 1, 'one', 'sx-ed' ], [ 'sx_ok', 2, 'two', 'sx-ec' ],
	[ 'sx_ok', 3, 'three', 'sx-ed2' ], [ 'sx_ok', 4, 'four', 'sx-ec', 4, 'four', 'sx-ec', 'highs' ],
	(map { [ $_, 1, 'one', $_ eq 'sx_replay' ? 'sx-ec' : 'sx-ed' ] } @sneaked),
	(map { [ $_, ($_ eq 'sx_replay' ? (1, 'one') : (2, 'two')), $sneaked{$_}[0], @{ $sneaked{$_}[1] // [ undef, undef, undef ] }, $sneaked{$_}[2] ] } @sneaked));
$_->[4] //= $_->[1], $_->[5] //= $_->[2], $_->[6] //= $_->[3], $_->[7] //= 'as-is' for @rows;
my @msgs = split /\n/, $node->safe_psql('postgres', 'SELECT h FROM (' . join("\nUNION ALL ", map {
	my ($t, undef, undef, undef, $i, $m, $k) = @{ $rows[$_] };
	"SELECT $_, encode(ledger.signing_bytes('$t', ROW($i, '$m', " . lit($k) . ", NULL, NULL, NULL, NULL)::$t), 'hex')" } 0 .. $#rows)
	  . ') s(n, h) ORDER BY n');
my @sig = split /\n/, py(join('', map {
	my $r = $rows[$_];
	$priv{ $r->[6] } ? "@{ $priv{ $r->[6] } } $msgs[$_] $r->[7]\n" : "ed25519 rfc8032-1 $msgs[$_] as-is\n" } 0 .. $#rows),
	'-c', $sign_many, "$root/test");
my @insert = map { "INSERT INTO $rows[$_][0] VALUES ($rows[$_][1], '$rows[$_][2]', " . lit($rows[$_][3]) . ", '\\x$sig[$_]')" } 0 .. $#rows;
my $n1 = 4 + @sneaked;
$node->safe_psql('postgres', join(";\n", 'BEGIN', @insert[ 0, 1 ], 'COMMIT', @insert[ 2 .. $n1 - 1 ]));

# a superuser inserts the rows around the signature trigger: with the
# guard's event triggers disabled, each ledger is unsigned for one
# transaction (ledger.signed_ledgers) and its signature trigger disabled;
# the ledger's row trigger then chains the row like any other
# (docs/signing.md, "The DDL guard": ledger.verify reports it)
my $list = join(', ', map { "'$_'::regclass" } @sneaked);
$node->safe_psql('postgres', qq{
CREATE TABLE sx_saved AS SELECT s.* FROM ledger.signed_ledgers s JOIN ledger.ledgers l USING (ledger_id)
 WHERE l.relation IN ($list);
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER EVENT TRIGGER ledger_guard_signed DISABLE;
} . join('', map { "ALTER TABLE $_ DISABLE TRIGGER ledger_signature;\n" } @sneaked) . q{
DELETE FROM ledger.signed_ledgers WHERE ledger_id IN (SELECT ledger_id FROM sx_saved);
});
$node->safe_psql('postgres', join(";\n", @insert[ $n1 .. $#insert ]));
$node->safe_psql('postgres', q{
INSERT INTO ledger.signed_ledgers SELECT * FROM sx_saved;
DROP TABLE sx_saved;
} . join('', map { "ALTER TABLE $_ ENABLE ALWAYS TRIGGER ledger_signature;\n" } @sneaked) . q{
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
ALTER EVENT TRIGGER ledger_guard_signed ENABLE ALWAYS;
});

# the digest and the export of each ledger, in $dir/T.json and $dir/T.ndjson:
# the digest first, which waits for the sealer to seal what is committed
# (an export taken first could end a block before the digest's, when the
# sealer had not yet sealed the last rows: "blocks were removed", seen once
# under load)
$node->safe_psql('postgres', join('', map { qq{\\o $dir/$_.json
SELECT ledger.digest('$_');
\\o $dir/$_.ndjson
SELECT * FROM ledger.export('$_');
} } 'sx_ok', @sneaked) . '\\o');
sub export_of { return ("$dir/$_[0].ndjson", "$dir/$_[0].json") }

my $sigs_checked = sub {
	my ($n, $k) = @_;
	qr/; $n row signatures checked against the export's $k keys \(the key lines are not covered by the digest: compare them with the keys you registered\)$/;
};
my ($sxe, $sxd) = export_of('sx_ok');
audit_ok('a signed ledger\'s export: every row signature checked against its key lines',
	qr/^OK: ledger public\.sx_ok: 4 rows, 3 transactions .* matching block \d+ of the digest${\ $sigs_checked->(4, 3)}/,
	'export', $sxe, $sxd);
my @sxl = map { $json->decode($_) } split /\n/, read_file($sxe);
is_deeply($sxl[0]{signed}, { signature_column => 'sig', key_column => 'key_id' }, 'the ledger line says the ledger is signed, and by which columns');
is_deeply([ map { $_->{type} eq 'key' ? $_->{key_id} : () } @sxl ], [ 'sx-ec', 'sx-ed', 'sx-ed2' ],
	'one key line per key the rows name, by key id');
is(join(' ', map { $_->{type} } @sxl[ 0 .. 4 ]), 'ledger key key key row', 'the key lines right after the ledger line');
is_deeply([ sort keys %{ $sxl[2] } ], [ qw(added_at_us algorithm key_id public_key revoked_at_us type valid_from_us valid_until_us) ],
	'a key line holds what ledger.verify judges a key by');
is($sxl[2]{public_key}, $pub{'rfc8032-1'}, 'a key line holds the registry\'s public key, hex');

# the key lines edited: each validity time moved to the commit of the row's
# transaction (row 3, signed by sx-ed2), one microsecond either side, where
# ledger.verify's comparison turns (src/signed.c, signed_verify_key_ok)
my ($x3) = map { $_->{xact} } grep { $_->{type} eq 'row' && $_->{canonical_bytes} =~ /7468726565/ } @sxl;
my ($c3) = map { $_->{committed_at_us} } grep { $_->{type} eq 'transaction' && $_->{xact_id} == $x3 } @sxl;
sub edited
{
	my ($edit) = @_;
	my @l = map { $json->decode($_) } split /\n/, read_file($sxe);
	$edit->(\@l);
	write_file("$dir/sx-edit.ndjson", join('', map { $json->encode($_) . "\n" } @l));
	return "$dir/sx-edit.ndjson";
}
sub keyline { my ($l, $id) = @_; (grep { $_->{type} eq 'key' && $_->{key_id} eq $id } @$l)[0] }
my $row3 = qr/row \(transaction $x3, sequence 0\) is signed by key "sx-ed2", /;
my %keyedit = (
	'revoked_at at the commit' => [ sub { keyline($_[0], 'sx-ed2')->{revoked_at_us} = $c3 },
		qr/^FAIL: ${row3}which was revoked at [-0-9 :.+]+, before the row's transaction committed at [-0-9 :.+]+$/ ],
	'valid_until at the commit' => [ sub { keyline($_[0], 'sx-ed2')->{valid_until_us} = $c3 },
		qr/^FAIL: ${row3}which was valid only until .*, before the row's transaction committed at/ ],
	'added_at after the commit' => [ sub { keyline($_[0], 'sx-ed2')->{added_at_us} = $c3 + 1 },
		qr/^FAIL: ${row3}which was registered at .*, after the row's transaction committed at/ ],
	'valid_from after the commit' => [ sub { keyline($_[0], 'sx-ed2')->{valid_from_us} = $c3 + 1 },
		qr/^FAIL: ${row3}which was valid only from .*, after the row's transaction committed at/ ],
	'key line removed' => [ sub { @{ $_[0] } = grep { !($_->{type} eq 'key' && $_->{key_id} eq 'sx-ed2') } @{ $_[0] } },
		qr/^FAIL: ${row3}which is not among the export's key lines/ ],
	'public key replaced' => [ sub { keyline($_[0], 'sx-ed2')->{public_key} = $pub{'rfc8032-3'} },
		qr/^FAIL: row \(transaction $x3, sequence 0\) has a signature that does not verify under key "sx-ed2"/ ],
	'public key of small order' => [ sub { keyline($_[0], 'sx-ed2')->{public_key} = '01' . ('00' x 31) },
		qr/^FAIL: key "sx-ed2" of the export's key lines cannot be used: The point has small order/ ],
	'a key line in an export that says the ledger is not signed' => [ sub { $_[0][0]{signed} = undef },
		qr/^FAIL: export line 2 is a key line, but the ledger line does not say the ledger is signed$/ ],
);
for my $name (sort keys %keyedit)
{
	audit_fails("a signed ledger's export with its key lines edited: $name", $keyedit{$name}[1],
		'export', edited($keyedit{$name}[0]), $sxd);
}
audit_ok('a key revoked and expired one microsecond after the commit, registered and valid from it, passes (as in ledger.verify)',
	qr/^OK: .*${\ $sigs_checked->(4, 3)}/, 'export',
	edited(sub { my $k = keyline($_[0], 'sx-ed2'); $k->{revoked_at_us} = $k->{valid_until_us} = $c3 + 1; $k->{added_at_us} = $k->{valid_from_us} = $c3 }), $sxd);
# what a dishonest exporter can do: drop the flag (no hash covers it)
audit_ok('the signed flag set to null and the key lines dropped: the line says so',
	qr/^OK: ledger public\.sx_ok: 4 rows, .*; the export says the ledger is not signed \(not covered by the digest\)$/,
	'export', edited(sub { $_[0][0]{signed} = undef; @{ $_[0] } = grep { $_->{type} ne 'key' } @{ $_[0] } }), $sxd);
audit_ok('an export from before the signed flag (no "signed", no key lines): not checked, as before',
	qr/^OK: ledger public\.sx_ok: 4 rows, .*$nosig$/,
	'export', edited(sub { delete $_[0][0]{signed}; @{ $_[0] } = grep { $_->{type} ne 'key' } @{ $_[0] } }), $sxd);
audit_malformed('a key line with a malformed time', qr/^FAIL: export line 3 field "revoked_at_us" is malformed$/,
	'export', edited(sub { keyline($_[0], 'sx-ed')->{revoked_at_us} = '2026-12-06' }), $sxd);

# the rows inserted around the signature trigger
my $verified = $node->safe_psql('postgres', join("\nUNION ALL ", map {
	"SELECT '$_', NOT v.ok AND v.problem LIKE " . lit($sneaked{$_}[4]) . " FROM ledger.verify('$_') v" } grep { defined $sneaked{$_}[4] } @sneaked));
for my $t (@sneaked)
{
	my ($e, $d) = export_of($t);
	like($verified, qr/^$t\|t$/m, "$t: ledger.verify reports the row") if defined $sneaked{$t}[4];
	audit_fails("$t: the tool names the row", $sneaked{$t}[3], 'export', $e, $d);
}

# an unsigned ledger's export says so
$node->safe_psql('postgres', q{
CREATE TABLE sx_plain (id int);
SELECT ledger.create_ledger('sx_plain');
INSERT INTO sx_plain VALUES (1);
});
write_file("$dir/sx_plain.json", $node->safe_psql('postgres', q{SELECT ledger.digest('sx_plain')}));
write_file("$dir/sx_plain.ndjson", $node->safe_psql('postgres', q{SELECT * FROM ledger.export('sx_plain')}) . "\n");
my ($spe, $spd) = export_of('sx_plain');
audit_ok('an unsigned ledger\'s export says it is not signed',
	qr/^OK: ledger public\.sx_plain: 1 rows, .*; the export says the ledger is not signed \(not covered by the digest\)$/,
	'export', $spe, $spd);

# malformed exports: one FAIL line, no traceback
my %exmalformed = (
	'a seal time of 2^63' => [ sub { pick($_[0], 'block', block_no => 8)->{sealed_at_us} = 'SEALED' },
		qr/block 8 field "sealed_at_us" is missing or malformed/ ],
	'a wrong transaction count and no row count' => [ sub { my $b = pick($_[0], 'block', block_no => 3); $b->{tx_count}++; delete $b->{row_count} },
		qr/export line \d+ field "row_count" is missing/ ],
);
for my $name (sort keys %exmalformed)
{
	my @l = map { $json->decode($_) } split /\n/, $export;
	$exmalformed{$name}[0]->(\@l);
	(my $t = join('', map { $json->encode($_) . "\n" } @l)) =~ s/"SEALED"/9223372036854775808/;
	write_file("$dir/bad.ndjson", $t);
	audit_malformed("export with $name", $exmalformed{$name}[1], 'export', "$dir/bad.ndjson");
}

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
