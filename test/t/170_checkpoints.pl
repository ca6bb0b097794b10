# Signed checkpoints cosigned across institutions (issue #12), with three
# real servers: bank A owns a ledger that banks B and C replicate (each of
# them owns a ledger too, so that each has a publication for its
# signatures; the three form a mesh).  A makes a checkpoint and signs it
# outside the database (tools/ledger-audit sign, with a PEM key made here by
# openssl); B and C cosign it (B with the tool, C with the openssl commands
# docs/audit.md gives); the cosignatures replicate; every status view shows
# the quorum of 2 of 3 reached, and tools/ledger-audit checkpoint verifies
# the note the database hands out with the three keys.  Refused and
# reported: a forged signature (locally, and on arrival: the subscription
# stops), a key that is not registered (locally, and on arrival, until the
# peer registers it), a revoked key (locally and on arrival), a rolled-back
# size, and a split view (A's superuser signs a second root for a size):
# evidence kept at the peers, cosigning stopped until a superuser clears it.
use strict;
use warnings;

use MIME::Base64;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $tool = "$ENV{TESTDIR}/tools/ledger-audit";
my $dir = PostgreSQL::Test::Utils::tempdir();
my $conf = "max_wal_senders = 10\nmax_replication_slots = 10\n";
my %node;
my %inst = (a => 'bank-a.example', b => 'bank-b.example', c => 'bank-c.example');
$node{$_} = ledger_node("bank_$_", conf => $conf) for qw(a b c);
my ($A, $B, $C) = @node{qw(a b c)};

# ---------- helpers ----------

sub write_file
{
	my ($name, $text) = @_;
	open(my $fh, '>', "$dir/$name") or die "$name: $!";
	print $fh $text;
	close($fh);
	return "$dir/$name";
}

# tools/ledger-audit: (exit status, output without the final newline)
sub tool
{
	my ($out, $err) = run_command([ 'python3', $tool, @_ ]);
	my $rc = $? >> 8;
	$out .= $err;
	chomp $out;
	return ($rc, $out);
}

# The signature line of a note (text as the database returns it) by a PEM key.
sub sign_line
{
	my ($note, $pem, @name) = @_;
	my ($rc, $out) = tool('sign', write_file('note.txt', $note), $pem,
		@name ? ('--name', @name) : ());
	die "sign: $out" if $rc;
	return $out;
}

# The same with the openssl command line only, as docs/audit.md shows.
sub openssl_line
{
	my ($note, $pem, $name, $alg) = @_;
	my $n = write_file('onote.txt', $note);
	my $script = $alg eq 'ed25519'
	  ? qq{openssl pkeyutl -sign -inkey '$pem' -rawin -in '$n' -out '$dir/sig.bin' &&
		openssl pkey -in '$pem' -pubout -outform DER | tail -c 32 > '$dir/pub.bin' &&
		{ printf '%s\\n\\001' '$name'; cat '$dir/pub.bin'; } | openssl dgst -sha256 -binary | head -c 4 > '$dir/kid.bin'}
	  : qq{openssl dgst -sha256 -sign '$pem' -out '$dir/sig.bin' '$n' &&
		openssl pkey -in '$pem' -pubout -outform DER | openssl dgst -sha256 -binary | head -c 4 > '$dir/kid.bin'};
	my ($out, $err) = run_command([ 'bash', '-c', "set -e; $script; cat '$dir/kid.bin' '$dir/sig.bin' | base64 -w0" ]);
	die "openssl: $err" if $?;
	return "\xe2\x80\x94 $name $out";
}

sub lit { (my $s = shift) =~ s/'/''/g; return "'$s'"; }

# Value of a query, waiting until it is what is wanted.
sub wait_is
{
	my ($n, $sql, $want, $what) = @_;
	$n->poll_query_until('postgres', $sql, $want) or diag("timed out: $what");
	is($n->safe_psql('postgres', $sql), $want, $what);
}

# ---------- keys, institutions, ledgers, the mesh ----------

my %pem;
for my $k ([ 'a', 'ed25519' ], [ 'b', 'P-256' ], [ 'c', 'ed25519' ], [ 'c2', 'ed25519' ])
{
	my ($name, $alg) = @$k;
	$pem{$name} = "$dir/$name.pem";
	my @gen = $alg eq 'ed25519'
	  ? ('openssl', 'genpkey', '-algorithm', 'ed25519', '-out', $pem{$name})
	  : ('openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', $pem{$name});
	run_command(\@gen);
	die "genpkey $name" if $?;
	my ($pub) = run_command([ 'openssl', 'pkey', '-in', $pem{$name}, '-pubout' ]);
	$pem{"$name.pub"} = $pub;
}
my $keys_sql = join('', map {
	my $alg = $_ eq 'b' ? 'ecdsa-p256' : 'ed25519';
	"SELECT ledger.add_key('$_-cp', '$_', '$alg', ledger.public_key_from_pem(" . lit($pem{"$_.pub"}) . "));\n"
} qw(a b c));
for my $x (qw(a b c))
{
	my $n = $node{$x};
	$n->safe_psql('postgres', 'CREATE EXTENSION ledger');
	$n->safe_psql('postgres', $keys_sql . "SELECT ledger.set_institution('$inst{$x}', '$x-cp');\n"
		  . join('', map { "SELECT ledger.add_peer('$inst{$_}', '$_-cp');\n" } grep { $_ ne $x } qw(a b c))
		  . "SELECT ledger.set_quorum(2);\n"
		  . "CREATE TABLE book_$x (id bigint PRIMARY KEY, memo text);\n"
		  . "SELECT ledger.create_ledger('book_$x');\n"
		  . "INSERT INTO book_$x VALUES (1, 'opening');\n");
}
$A->safe_psql('postgres', q{
	CREATE TABLE payments (id bigint PRIMARY KEY, payer text NOT NULL, amount numeric(18,2) NOT NULL);
	SELECT ledger.create_ledger('payments');
	INSERT INTO payments SELECT g, 'p' || g, g FROM generate_series(1, 10) g;
	INSERT INTO payments VALUES (11, 'eleven', 11);
});

# A checkpoint made and signed before the peers subscribe: it reaches them
# with the copy.
my $note0 = $A->safe_psql('postgres', q{SELECT ledger.checkpoint('payments')});
my $digest = $A->safe_psql('postgres', q{SELECT ledger.digest('payments')});
my ($uuid) = $digest =~ /"ledger_uuid": "([0-9a-f-]+)"/;
my ($size0) = $digest =~ /"tree_size": (\d+)/;
my ($root0) = $digest =~ /"tree_root": "([0-9a-f]+)"/;
my $origin = "$inst{a}/ledger/$uuid";
is($note0, "$origin\n$size0\n" . encode_base64(pack('H*', $root0), '') . "\n",
	'the note is origin, tree size and base64 root of the digest, each with a newline');
my $line = sign_line($note0, $pem{a});
like($line, qr/^\xe2\x80\x94 \Q$origin\E [A-Za-z0-9+\/]+=*$/, 'the tool signs as the origin');
my $signed = $A->safe_psql('postgres',
	"SELECT ledger.add_checkpoint_signature('payments', $size0, " . lit($line) . ')');
is($signed, $note0 . "\n" . $line . "\n", 'add_checkpoint_signature returns the signed note');

for my $x (qw(a b c))
{
	$node{$x}->safe_psql('postgres', "SELECT ledger.create_publication('pub_$x', ARRAY['book_$x'::regclass"
		  . ($x eq 'a' ? ", 'payments'::regclass" : '') . '])');
}
for my $sub ([qw(b a)], [qw(c a)], [qw(a b)], [qw(c b)], [qw(a c)], [qw(b c)])
{
	my ($to, $from) = @$sub;
	(my $connstr = $node{$from}->connstr('postgres')) =~ s/'/''/g;
	$node{$to}->safe_psql('postgres',
		"SELECT ledger.create_subscription('${to}_from_$from', '$connstr', 'pub_$from')");
}
for my $x (qw(b c))
{
	is($node{$x}->safe_psql('postgres',
		"SELECT signed_by, origin_signed FROM ledger.checkpoint_status WHERE ledger = 'payments'::regclass"),
		"{$inst{a}}|t", "$x: the signed checkpoint came with the copy");
}

# ---------- cosigning, quorum 2 of 3 ----------

my $list = $B->safe_psql('postgres', 'SELECT ledger, tree_size FROM ledger.checkpoints_to_cosign()');
is($list, "payments|$size0", 'B: the checkpoint is listed to cosign');
my ($bnote) = $B->safe_psql('postgres', 'SELECT note FROM ledger.checkpoints_to_cosign()');
is($bnote, $note0, 'B: the note to cosign is the origin\'s');
$B->safe_psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size0, "
	  . lit(sign_line($note0, $pem{b}, "$inst{b}/ledger")) . ')');
$C->safe_psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size0, "
	  . lit(openssl_line($note0, $pem{c}, "$inst{c}/ledger", 'ed25519')) . ')');
is($B->safe_psql('postgres', 'SELECT count(*) FROM ledger.checkpoints_to_cosign()'), '0',
	'B: nothing left to cosign');

my $status = "SELECT signed_by, signatures, institutions, quorum, quorum_reached, conflict "
  . "FROM ledger.checkpoint_status WHERE ledger = 'payments'::regclass AND tree_size = $size0";
for my $x (qw(a b c))
{
	wait_is($node{$x}, $status, "{$inst{a},$inst{b},$inst{c}}|3|3|2|t|f",
		"$x: signed by A, B and C; quorum 2 of 3 reached");
}

# The offline verifier takes the note the database hands out, with the
# verifier keys the tool computes from the PEM keys (and the database too).
my $full = $A->safe_psql('postgres', q{SELECT ledger.signed_checkpoint('payments')});
my $cp = write_file('checkpoint.txt', $full);
my %vkey;
for my $x (qw(a b c))
{
	my $name = $x eq 'a' ? $origin : "$inst{$x}/ledger";
	my ($rc, $v) = tool('verifier-key', $pem{$x}, '--name', $name);
	is($A->safe_psql('postgres', "SELECT ledger.verifier_key('$name', '$x-cp')"), $v,
		"verifier key of $x: the database's equals the tool's");
	$vkey{$x} = write_file("$x.vkey", "$v\n");
}
my ($rc, $out) = tool('checkpoint', $cp, @vkey{qw(a b c)}, '--quorum', 2);
is($rc, 0, 'ledger-audit checkpoint: three keys, quorum 2') or diag($out);
like($out, qr/signed by \Q$origin\E \(log\), bank-b.example\/ledger, bank-c.example\/ledger/, '... all three verified');
($rc, $out) = tool('checkpoint', $cp, @vkey{qw(a b c)}, '--quorum', 3);
is($rc, 0, 'ledger-audit checkpoint: quorum 3') or diag($out);
($rc, $out) = tool('checkpoint', $cp, @vkey{qw(b c)}, '--quorum', 2);
is($rc, 0, 'ledger-audit checkpoint: the two cosigners alone make quorum 2') or diag($out);
($rc, $out) = tool('checkpoint', $cp, @vkey{qw(a b c)}, '--quorum', 4);
isnt($rc, 0, 'ledger-audit checkpoint: quorum 4 is not reached');
(my $bad = $full) =~ s/\n$size0\n/\n@{[$size0 + 1]}\n/;
($rc, $out) = tool('checkpoint', write_file('bad.txt', $bad), @vkey{qw(a b c)});
like($out, qr/^FAIL: the signature by .* does not verify/, 'ledger-audit checkpoint: a changed size fails');

# A row's proof, anchored at the cosigned checkpoint.
my $proof = $A->safe_psql('postgres', q{SELECT ledger.prove('payments', (SELECT ledger_xact FROM payments WHERE id = 11), 0)});
($rc, $out) = tool('inclusion', write_file('proof.json', $proof), $cp, '--key', $vkey{a}, '--key', $vkey{b},
	'--key', $vkey{c}, '--quorum', 3);
is($rc, 0, 'ledger-audit inclusion: a row proved against the cosigned checkpoint') or diag($out);

# ---------- review 2026-12-06: rows a superuser plants ----------

# A row stored by hand past the guards, as a superuser can (the event trigger
# disabled by name, then the tables' guards): what the peers do on arrival.
sub planted
{
	my ($n, $sql) = @_;
	$n->safe_psql('postgres', "ALTER EVENT TRIGGER ledger_guard_signed DISABLE;\n"
		  . "ALTER TABLE ledger.checkpoints DISABLE TRIGGER checkpoints_guard;\n"
		  . "ALTER TABLE ledger.checkpoint_signatures DISABLE TRIGGER checkpoint_signatures_guard;\n$sql;\n"
		  . "ALTER TABLE ledger.checkpoints ENABLE ALWAYS TRIGGER checkpoints_guard;\n"
		  . "ALTER TABLE ledger.checkpoint_signatures ENABLE ALWAYS TRIGGER checkpoint_signatures_guard;\n"
		  . "ALTER EVENT TRIGGER ledger_guard_signed ENABLE ALWAYS;");
}

# Wait until subscription S of node N stopped or the row arrived; it must
# have stopped with the error wanted; the transaction is skipped.
sub refused_on_arrival
{
	my ($n, $sub, $arrived, $want, $what) = @_;
	$n->poll_query_until('postgres', "SELECT NOT subenabled OR ($arrived) FROM pg_subscription WHERE subname = '$sub'")
	  or diag("$what: neither refused nor arrived");
	my $e = $n->safe_psql('postgres', "SELECT CASE WHEN s.subenabled THEN 'enabled, the row stored' ELSE coalesce(r.last_error, '') END "
		  . "FROM pg_subscription s LEFT JOIN ledger.replication_status r ON r.peer = s.subname WHERE s.subname = '$sub' LIMIT 1");
	like($e, $want, $what);
	return if $e =~ /^enabled/;
	my $lsn = $n->safe_psql('postgres', "SELECT last_error_lsn FROM ledger.replication_status WHERE peer = '$sub' LIMIT 1");
	$n->safe_psql('postgres', "ALTER SUBSCRIPTION $sub SKIP (lsn = '$lsn'); ALTER SUBSCRIPTION $sub ENABLE");
}

# 1. C signs a checkpoint of A over another note text (its first line
# changed): refused at C, and on arrival at A and B; it never counts.
$A->safe_psql('postgres', q{INSERT INTO payments VALUES (101, 'review', 1)});
my $znote = $A->safe_psql('postgres', q{SELECT ledger.checkpoint('payments')});
my ($zsize) = $znote =~ /\n(\d+)\n/;
$A->safe_psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $zsize, " . lit(sign_line($znote, $pem{a})) . ')');
wait_is($C, "SELECT origin_signed FROM ledger.checkpoint_status WHERE ledger = 'payments'::regclass AND tree_size = $zsize",
	't', 'C: the new checkpoint signed by A arrived');
(my $zzz = $znote) =~ s/^[^\n]*/zzz\/ledger\/$uuid/;
my $zins = "INSERT INTO ledger.checkpoint_signatures (ledger_id, tree_size, root, institution, note, signature, signed_here) "
  . "SELECT ledger_id, tree_size, root, '$inst{c}', " . lit($zzz) . ', ' . lit(sign_line($zzz, $pem{c}, "$inst{c}/ledger"))
  . ", true FROM ledger.checkpoints WHERE tree_size = $zsize AND ledger_id = (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'payments'::regclass)";
my ($ret, $o, $err) = $C->psql('postgres', $zins);
like($err, qr/ERROR:  the note of a checkpoint signature of ledger $uuid at history size $zsize names origin "zzz", not the ledger's origin "$inst{a}"/,
	'C: a signature over another note text than the checkpoint\'s is refused');
planted($C, $zins) if $ret;
for my $x (qw(a b))
{
	refused_on_arrival($node{$x}, "${x}_from_c",
		"EXISTS (SELECT 1 FROM ledger.checkpoint_signatures WHERE tree_size = $zsize AND institution = '$inst{c}')",
		qr/names origin "zzz", not the ledger's origin "$inst{a}"/, "$x: C's signature over another note is refused on arrival");
}
$B->safe_psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $zsize, "
	  . lit(sign_line($znote, $pem{b}, "$inst{b}/ledger")) . ')');
$A->poll_query_until('postgres', "SELECT count(*) = 1 FROM ledger.checkpoint_signatures WHERE tree_size = $zsize AND institution = '$inst{b}'")
  or diag('A: B\'s cosignature did not arrive');
is($A->safe_psql('postgres', "SELECT signed_by, quorum_reached FROM ledger.checkpoint_status "
	  . "WHERE ledger = 'payments'::regclass AND tree_size = $zsize"),
	"{$inst{a},$inst{b}}|t", 'A: the quorum counts the signatures of the checkpoint\'s text only');
($rc, $out) = tool('checkpoint', write_file('z.txt', $A->safe_psql('postgres', "SELECT ledger.signed_checkpoint('payments', $zsize)")),
	@vkey{qw(a b c)}, '--quorum', 2);
is($rc, 0, 'ledger-audit checkpoint verifies what A hands out') or diag($out);

# 2. C signs a note naming itself the origin of A's ledger book_a, as if it
# were its origin: no evidence against book_a anywhere.
my $a_uuid = $A->safe_psql('postgres', q{SELECT ledger_uuid FROM ledger.ledgers WHERE relation = 'book_a'::regclass});
# C's publication carries no signature by C of a ledger it does not
# publish (test/t/515_privilege_leaks.pl, part 3): its superuser widens the
# row filter back to every signature made there, as it was before
# 2026-12-06, so that the peers' own check on arrival is what refuses it.
$C->safe_psql('postgres', q{ALTER PUBLICATION pub_c DROP TABLE ledger.checkpoint_signatures;
	ALTER PUBLICATION pub_c ADD TABLE ledger.checkpoint_signatures WHERE (signed_here)});
my $cnote = "$inst{c}/ledger/$a_uuid\n1\n" . encode_base64(pack('H*', '7' x 64), '') . "\n";
$C->safe_psql('postgres', "INSERT INTO ledger.checkpoint_signatures (ledger_id, tree_size, root, institution, note, signature, signed_here) "
	  . "SELECT ledger_id, 1, '\\x" . ('7' x 64) . "', '$inst{c}', " . lit($cnote) . ', '
	  . lit(sign_line($cnote, $pem{c}, "$inst{c}/ledger/$a_uuid")) . ", true FROM ledger.ledgers WHERE relation = 'book_a'::regclass");
for my $x (qw(a b))
{
	refused_on_arrival($node{$x}, "${x}_from_c",
		"EXISTS (SELECT 1 FROM ledger.checkpoint_signatures WHERE tree_size = 1 AND institution = '$inst{c}')",
		qr/names origin "$inst{c}", not the ledger's origin "$inst{a}"/, "$x: C's signature as origin of A's ledger is refused on arrival");
	is($node{$x}->safe_psql('postgres', 'SELECT count(*) FROM ledger.checkpoint_conflicts'), '0', "$x: no evidence planted by C");
}

# 3. A's superuser first stores a checkpoint of book_a naming another
# institution, then signs a forged root: the first is refused on arrival,
# the second kept as evidence.
my $empty = encode_base64(pack('H*', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'), '');
$A->safe_psql('postgres', "INSERT INTO ledger.checkpoints (ledger_id, tree_size, root, institution, note) "
	  . "SELECT ledger_id, 0, '\\xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'nobody', "
	  . lit("nobody/ledger/$a_uuid\n0\n$empty\n") . " FROM ledger.ledgers WHERE relation = 'book_a'::regclass");
for my $x (qw(b c))
{
	refused_on_arrival($node{$x}, "${x}_from_a", "EXISTS (SELECT 1 FROM ledger.checkpoints WHERE institution = 'nobody')",
		qr/sent a checkpoint of ledger public.book_a naming institution "nobody", which is not its origin/,
		"$x: a checkpoint naming another institution than the origin is refused on arrival");
}
my $fnote = "$inst{a}/ledger/$a_uuid\n1\n" . encode_base64(pack('H*', '6' x 64), '') . "\n";
planted($A, "INSERT INTO ledger.checkpoints (ledger_id, tree_size, root, institution, note) "
	  . "SELECT ledger_id, 1, '\\x" . ('6' x 64) . "', '$inst{a}', " . lit($fnote) . " FROM ledger.ledgers WHERE relation = 'book_a'::regclass;\n"
	  . "INSERT INTO ledger.checkpoint_signatures (ledger_id, tree_size, root, institution, note, signature, signed_here) "
	  . "SELECT ledger_id, 1, '\\x" . ('6' x 64) . "', '$inst{a}', " . lit($fnote) . ', '
	  . lit(sign_line($fnote, $pem{a}, "$inst{a}/ledger/$a_uuid")) . ", true FROM ledger.ledgers WHERE relation = 'book_a'::regclass");
for my $x (qw(b c))
{
	my $n = $node{$x};
	$n->poll_query_until('postgres', "SELECT count(*) = 1 FROM ledger.checkpoint_signatures WHERE tree_size = 1 AND institution = '$inst{a}'")
	  or diag("$x: the forged checkpoint did not arrive");
	is($n->safe_psql('postgres', "SELECT string_agg(kind || ' ' || tree_size, ',') FROM ledger.checkpoint_conflicts c "
		  . "JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'book_a'::regclass"),
		'history mismatch 1', "$x: the forged root signed by A is kept as evidence on arrival");
}

# 4. Evidence and signatures are kept: their guards cannot be disabled, and
# a conflict is not cleared without who and why.
for my $t ([ 'checkpoint_conflicts', 'checkpoint_conflicts_guard' ], [ 'checkpoint_signatures', 'checkpoint_signatures_guard' ],
	[ 'checkpoints', 'checkpoints_guard_truncate' ])
{
	($ret, $o, $err) = $B->psql('postgres', "ALTER TABLE ledger.$t->[0] DISABLE TRIGGER $t->[1]");
	like($err, qr/ERROR:  cannot alter the checkpoint tables this way/, "B: DISABLE TRIGGER $t->[1] is refused");
}
($ret, $o, $err) = $B->psql('postgres', 'ALTER TABLE ledger.checkpoint_signatures ENABLE REPLICA TRIGGER checkpoint_signatures_guard');
like($err, qr/ERROR:  cannot alter the checkpoint tables this way/, 'B: ENABLE REPLICA TRIGGER is refused');
($ret, $o, $err) = $B->psql('postgres', 'DROP TRIGGER checkpoint_conflicts_guard ON ledger.checkpoint_conflicts');
like($err, qr/ERROR:  cannot alter the checkpoint tables this way/, 'B: DROP TRIGGER is refused');
($ret, $o, $err) = $B->psql('postgres', 'UPDATE ledger.checkpoint_conflicts SET cleared_at = now()');
like($err, qr/ERROR:  cannot clear a checkpoint conflict without cleared_by and clear_reason/,
	'B: a conflict is not cleared by hand without who and why');
($ret, $o, $err) = $B->psql('postgres', 'DELETE FROM ledger.checkpoint_conflicts');
like($err, qr/ERROR:  cannot delete from table "ledger.checkpoint_conflicts"/, 'B: evidence is not deleted');
is($B->safe_psql('postgres', 'SELECT count(*) FROM ledger.checkpoint_conflicts WHERE cleared_at IS NULL'), '1',
	'B: the evidence stands');

# ---------- scheduled checkpoints (the background sealer) ----------

for my $n ($A, $B)
{
	$n->append_conf('postgresql.conf', "ledger.checkpoint_interval = 1s\n");
	$n->reload;
}
$A->safe_psql('postgres', q{INSERT INTO payments VALUES (12, 'twelve', 12)});
$B->safe_psql('postgres', q{INSERT INTO book_b VALUES (2, 'b')});
wait_is($A, "SELECT count(*) > 0 FROM ledger.checkpoints c JOIN ledger.ledgers l USING (ledger_id) "
	  . "WHERE l.relation = 'payments'::regclass AND c.tree_size > $size0", 't',
	'A: the sealer made a checkpoint of the grown history');
wait_is($B, "SELECT count(*) > 0 FROM ledger.checkpoints c JOIN ledger.ledgers l USING (ledger_id) "
	  . "WHERE l.relation = 'book_b'::regclass AND c.tree_size > 1", 't',
	'B: the sealer made a checkpoint of its own ledger');
wait_is($B, "SELECT count(*) > 0 FROM ledger.checkpoint_status WHERE ledger = 'payments'::regclass AND tree_size > $size0",
	't', 'B: the scheduled checkpoint of A arrived');
is($B->safe_psql('postgres', "SELECT count(*) FROM ledger.checkpoints WHERE institution = '$inst{b}' "
	  . "AND ledger_id = (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'payments'::regclass)"),
	'0', 'B: no checkpoint of a replica made by its sealer');
for my $n ($A, $B)
{
	$n->append_conf('postgresql.conf', "ledger.checkpoint_interval = 0\n");
	$n->reload;
}
wait_sealed($A, 'postgres');

# ---------- a rolled-back size ----------

$A->safe_psql('postgres', q{INSERT INTO payments VALUES (13, 'thirteen', 13)});
my $note1 = $A->safe_psql('postgres', q{SELECT ledger.checkpoint('payments')});
$A->safe_psql('postgres', q{INSERT INTO payments VALUES (14, 'fourteen', 14)});
my $note2 = $A->safe_psql('postgres', q{SELECT ledger.checkpoint('payments')});
my ($size1) = $note1 =~ /\n(\d+)\n/;
my ($size2) = $note2 =~ /\n(\d+)\n/;
for my $n ([ $note1, $size1 ], [ $note2, $size2 ])
{
	$A->safe_psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $n->[1], "
		  . lit(sign_line($n->[0], $pem{a})) . ')');
}
wait_is($B, 'SELECT string_agg(tree_size::text, \',\' ORDER BY tree_size) FROM ledger.checkpoints_to_cosign()',
	"$size1,$size2", 'B: two newer checkpoints to cosign');
$B->safe_psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size2, "
	  . lit(openssl_line($note2, $pem{b}, "$inst{b}/ledger", 'ecdsa')) . ')');
($ret, $o, $err) = $B->psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size1, "
	  . lit(sign_line($note1, $pem{b}, "$inst{b}/ledger")) . ')');
like($err, qr/cannot sign history size $size1 of ledger "public.payments": this institution signed size $size2 already/,
	'B: cosigning a smaller size than already cosigned is refused');
is($B->safe_psql('postgres', 'SELECT count(*) FROM ledger.checkpoints_to_cosign()'), '0',
	'B: the smaller size is not listed any more');

# ---------- refused locally: forged signature, unknown key, forged key ID ----------

$A->safe_psql('postgres', q{INSERT INTO payments VALUES (15, 'fifteen', 15)});
my $note3 = $A->safe_psql('postgres', q{SELECT ledger.checkpoint('payments')});
my ($size3) = $note3 =~ /\n(\d+)\n/;
my $good3 = sign_line($note3, $pem{a});
# one base64 character of the signature changed (any of the 64: a '+' or
# '/' there left the line as it was, about one run in 32)
(my $forged3 = $good3) =~ s/( [A-Za-z0-9+\/]{20})([A-Za-z0-9+\/])([^ ]*)$/$1 . ($2 eq 'A' ? 'B' : 'A') . $3/e;
isnt($forged3, $good3, 'the forged line differs from the signed one');
($ret, $o, $err) = $A->psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size3, " . lit($forged3) . ')');
like($err, qr/ERROR:  signature by checkpoint key "a-cp" of ledger "public.payments" at history size $size3 does not verify/,
	'A: a forged signature is refused');
($ret, $o, $err) = $A->psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size3, "
	  . lit(sign_line($note3, $pem{c2}, $origin)) . ')');
like($err, qr/ERROR:  the signature line's key ID [0-9a-f]{8} is not that of checkpoint key "a-cp"/,
	'A: a signature by a key that is not the checkpoint key is refused');
($ret, $o, $err) = $A->psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size3, "
	  . lit(sign_line($note1, $pem{a})) . ')');
like($err, qr/does not verify/, 'A: a signature of another checkpoint is refused');

# ---------- refused on arrival: a forged signature row ----------

# A's superuser stores the forged signature by hand: the peers refuse it,
# their subscriptions from A stop, and the row is skipped there.
$A->safe_psql('postgres', "INSERT INTO ledger.checkpoint_signatures (ledger_id, tree_size, root, institution, note, signature, signed_here) "
	  . "SELECT ledger_id, tree_size, root, institution, note, " . lit($forged3) . ", true FROM ledger.checkpoints "
	  . "WHERE tree_size = $size3 AND ledger_id = (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'payments'::regclass)");
for my $x (qw(b c))
{
	my $n = $node{$x};
	$n->poll_query_until('postgres', "SELECT NOT subenabled FROM pg_subscription WHERE subname = '${x}_from_a'")
	  or diag("$x: subscription not disabled");
	like($n->safe_psql('postgres', "SELECT state || ': ' || coalesce(last_error, '') FROM ledger.replication_status "
		  . "WHERE peer = '${x}_from_a' LIMIT 1"),
		qr/^disabled: .*sent a checkpoint signature of institution "$inst{a}" that does not verify/,
		"$x: the forged signature is refused on arrival and reported");
	my $lsn = $n->safe_psql('postgres', "SELECT last_error_lsn FROM ledger.replication_status WHERE peer = '${x}_from_a' LIMIT 1");
	$n->safe_psql('postgres', "ALTER SUBSCRIPTION ${x}_from_a SKIP (lsn = '$lsn'); ALTER SUBSCRIPTION ${x}_from_a ENABLE");
	is($n->safe_psql('postgres', "SELECT count(*) FROM ledger.checkpoint_signatures WHERE tree_size = $size3"),
		'0', "$x: the forged signature was not stored");
}

# ---------- refused on arrival: a key not registered, until it is ----------

$A->safe_psql('postgres', q{INSERT INTO payments VALUES (16, 'sixteen', 16)});
my $note4 = $A->safe_psql('postgres', q{SELECT ledger.checkpoint('payments')});
my ($size4) = $note4 =~ /\n(\d+)\n/;
$A->safe_psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size4, " . lit(sign_line($note4, $pem{a})) . ')');
wait_is($C, "SELECT count(*) FROM ledger.checkpoints_to_cosign() WHERE tree_size = $size4", '1',
	'C: the new checkpoint is listed to cosign');
# C changes its checkpoint key; its peers do not know the new key yet
$C->safe_psql('postgres', "SELECT ledger.add_key('c2-cp', 'c', 'ed25519', ledger.public_key_from_pem(" . lit($pem{'c2.pub'}) . "));"
	  . "SELECT ledger.set_institution('$inst{c}', 'c2-cp')");
($ret, $o, $err) = $C->psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size4, "
	  . lit(sign_line($note4, $pem{c}, "$inst{c}/ledger")) . ')');
like($err, qr/key ID [0-9a-f]{8} is not that of checkpoint key "c2-cp"/, 'C: a signature by its old key is refused');
$C->safe_psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size4, "
	  . lit(sign_line($note4, $pem{c2}, "$inst{c}/ledger")) . ')');
for my $x (qw(a b))
{
	my $n = $node{$x};
	$n->poll_query_until('postgres', "SELECT NOT subenabled FROM pg_subscription WHERE subname = '${x}_from_c'")
	  or diag("$x: subscription from C not disabled");
	like($n->safe_psql('postgres', "SELECT coalesce(last_error, '') FROM ledger.replication_status WHERE peer = '${x}_from_c' LIMIT 1"),
		qr/sent a checkpoint signature of institution "$inst{c}" by a key not registered here/,
		"$x: C's signature by an unregistered key is refused on arrival");
	$n->safe_psql('postgres', "SELECT ledger.add_key('c2-cp', 'c', 'ed25519', ledger.public_key_from_pem(" . lit($pem{'c2.pub'}) . "));"
		  . "SELECT ledger.add_peer('$inst{c}', 'c2-cp'); ALTER SUBSCRIPTION ${x}_from_c ENABLE");
	wait_is($n, "SELECT signed_by FROM ledger.checkpoint_status WHERE ledger = 'payments'::regclass AND tree_size = $size4",
		"{$inst{a},$inst{c}}", "$x: once the key is registered, the signature arrives");
}

# ---------- a split view ----------

# A's superuser signs a second root for the size it signed last, and stores
# checkpoint and signature by hand.
my $forged_root = encode_base64(pack('H*', '5' x 64), '');
(my $split = $note4) =~ s/\n[^\n]+\n$/\n$forged_root\n/;
my $split_line = sign_line($split, $pem{a});
($ret, $o, $err) = $A->psql('postgres', "INSERT INTO ledger.checkpoints (ledger_id, tree_size, root, institution, note) "
	  . "SELECT ledger_id, $size4, '\\x" . ('5' x 64) . "', '$inst{a}', " . lit($split)
	  . " FROM ledger.ledgers WHERE relation = 'payments'::regclass");
($ret, $o, $err) = $A->psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size4, " . lit($split_line) . ')');
like($err, qr/has 2 checkpoints with different roots at history size $size4/, 'A: the database does not sign the forged root');
$A->safe_psql('postgres', "INSERT INTO ledger.checkpoint_signatures (ledger_id, tree_size, root, institution, note, signature, signed_here) "
	  . "SELECT ledger_id, $size4, '\\x" . ('5' x 64) . "', '$inst{a}', " . lit($split) . ', ' . lit($split_line) . ', true '
	  . "FROM ledger.ledgers WHERE relation = 'payments'::regclass");
for my $x (qw(b c))
{
	my $n = $node{$x};
	wait_is($n, "SELECT string_agg(kind, ',' ORDER BY kind) FROM ledger.checkpoint_conflicts WHERE tree_size = $size4",
		'history mismatch,split view', "$x: the split view is kept as evidence");
	is($n->safe_psql('postgres', "SELECT bool_and(conflict) FROM ledger.checkpoint_status WHERE ledger = 'payments'::regclass"),
		't', "$x: the status view reports the conflict");
	ok($n->wait_for_log(qr/WARNING:  equivocation: two checkpoints of ledger "public.payments" at history size $size4 have different roots, both signed by its origin/),
		"$x: the equivocation is reported in the log");
	# the evidence is two notes validly signed by A with different roots
	my ($one, $two) = split /\|/, $n->safe_psql('postgres',
		"SELECT signed_note || '|' || other_note FROM ledger.checkpoint_conflicts WHERE kind = 'split view'");
	($rc, $out) = tool('checkpoint', write_file("e1$x.txt", $one), $vkey{a});
	my ($rc2, $out2) = tool('checkpoint', write_file("e2$x.txt", $two), $vkey{a});
	ok($rc == 0 && $rc2 == 0 && $one ne $two, "$x: both notes of the evidence verify with A's key") or diag("$out\n$out2");
}
$A->safe_psql('postgres', q{INSERT INTO payments VALUES (17, 'seventeen', 17)});
my $note5 = $A->safe_psql('postgres', q{SELECT ledger.checkpoint('payments')});
my ($size5) = $note5 =~ /\n(\d+)\n/;
$A->safe_psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size5, " . lit(sign_line($note5, $pem{a})) . ')');
$B->poll_query_until('postgres', "SELECT count(*) = 1 FROM ledger.checkpoint_signatures WHERE tree_size = $size5")
  or diag('B: checkpoint 5 did not arrive');
is($B->safe_psql('postgres', 'SELECT count(*) FROM ledger.checkpoints_to_cosign()'), '0',
	'B: cosigning stops after the split view');
($ret, $o, $err) = $B->psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size5, "
	  . lit(sign_line($note5, $pem{b}, "$inst{b}/ledger")) . ')');
like($err, qr/checkpoints of ledger "public.payments" are not signed here: its origin equivocated/,
	'B: add_checkpoint_signature refuses while the conflict stands');
is($B->safe_psql('postgres', q{SELECT ledger.clear_checkpoint_conflicts('payments', 'compared with A and C')}),
	'2', 'B: a superuser clears the conflict');
is($B->safe_psql('postgres', 'SELECT tree_size FROM ledger.checkpoints_to_cosign()'), $size5,
	'B: cosigning resumes');
is($B->safe_psql('postgres', "SELECT count(*) FROM ledger.checkpoint_conflicts WHERE cleared_at IS NOT NULL"),
	'2', 'B: the evidence is kept, marked cleared');

# ---------- a revoked key ----------

$B->safe_psql('postgres', q{SELECT ledger.revoke_key('b-cp', 'compromised')});
($ret, $o, $err) = $B->psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size5, "
	  . lit(sign_line($note5, $pem{b}, "$inst{b}/ledger")) . ')');
like($err, qr/checkpoint key "b-cp" is revoked/, 'B: a revoked checkpoint key cannot sign');
# B learns that C's key is compromised: C's cosignatures stop being accepted
$B->safe_psql('postgres', q{SELECT ledger.revoke_key('c2-cp', 'compromised')});
$C->safe_psql('postgres', q{SELECT ledger.clear_checkpoint_conflicts('payments', 'compared with A and B')});
$C->safe_psql('postgres', "SELECT ledger.add_checkpoint_signature('payments', $size5, "
	  . lit(sign_line($note5, $pem{c2}, "$inst{c}/ledger")) . ')');
$B->poll_query_until('postgres', "SELECT NOT subenabled FROM pg_subscription WHERE subname = 'b_from_c'")
  or diag('B: subscription from C not disabled');
like($B->safe_psql('postgres', "SELECT coalesce(last_error, '') FROM ledger.replication_status WHERE peer = 'b_from_c' LIMIT 1"),
	qr/checkpoint key "c2-cp" of peer "$inst{c}" is revoked/, 'B: a signature by a revoked peer key is refused on arrival');
wait_is($A, "SELECT signed_by FROM ledger.checkpoint_status WHERE ledger = 'payments'::regclass AND tree_size = $size5",
	"{$inst{a},$inst{c}}", 'A, which did not revoke it, takes it');

# everything held still verifies
verify_ok($node{$_}, 'postgres', 'payments', undef, "$_: payments verifies") for qw(a b c);

# A dump of B restores its checkpoints, signatures and evidence as they
# were (pg_dump loads these tables before the keys they name).
my $status_all = 'SELECT tree_size, encode(root, \'hex\'), signed_by, origin_signed, conflict FROM ledger.checkpoint_status ORDER BY 1, 2';
my $dump = "$dir/b.dump";
$B->command_ok([ 'pg_dump', '-Fc', '--no-publications', '--no-subscriptions', '-f', $dump, '-d', $B->connstr('postgres') ],
	'B: pg_dump');
$B->safe_psql('postgres', 'CREATE DATABASE restored');
$B->command_ok([ 'pg_restore', '-d', $B->connstr('restored'), $dump ], 'B: pg_restore');
is($B->safe_psql('restored', $status_all), $B->safe_psql('postgres', $status_all),
	'B: the restored database holds the same checkpoints, signatures and conflicts');
is($B->safe_psql('restored', 'SELECT count(*) FROM ledger.checkpoint_signatures WHERE signed_here'),
	$B->safe_psql('postgres', 'SELECT count(*) FROM ledger.checkpoint_signatures WHERE signed_here'),
	'B: and still knows which signatures it made');

done_testing();
