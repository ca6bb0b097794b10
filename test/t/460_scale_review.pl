
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Costs that grow with what a bank accumulates, found by the scale review
# of 2026-12-06.  Each is counted in buffers (EXPLAIN (ANALYZE, BUFFERS) of
# the call, which counts the statements a function runs), never timed, and
# each bound is one the code before could not meet:
#  1. The background sealer asks after every pass (every seal_interval
#     while busy) which ledgers are due a checkpoint
#     (ledger._make_due_checkpoints): the test "a checkpoint at this size
#     or later, or one made within the interval" was one OR over the
#     ledger's checkpoints, which no index answers, so every checkpoint the
#     ledger ever had was read at each pass: a ledger checkpointed once a
#     minute has half a million after a year.
#  2. ledger.checkpoints_to_cosign() at a peer asked, for each checkpoint of
#     a replica, for this institution's signatures at its size or later
#     through the primary key (ledger, size, root, institution): every
#     signature by any institution past that size was read, for each
#     checkpoint, quadratic in the checkpoints not cosigned yet (a peer that
#     joins late, or whose cosigning job stopped for a while).

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $dir = PostgreSQL::Test::Utils::tempdir();
my $tool = "$ENV{TESTDIR}/tools/ledger-audit";
my $conf = "max_wal_senders = 10\nmax_replication_slots = 10\n";
my $A = ledger_node('scale_a', conf => $conf);
my $B = ledger_node('scale_b', conf => $conf);
my %inst = (a => 'bank-a.example', b => 'bank-b.example');

sub lit { (my $s = shift) =~ s/'/''/g; return "'$s'"; }

# Buffers (shared hit + read) of one statement, with everything it runs,
# the second time in a session (the first reads the catalogs into its caches).
sub buffers
{
	my ($node, $sql) = @_;
	my $plan = $node->safe_psql('postgres',
		"$sql;\nEXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) $sql");
	my ($hit) = $plan =~ /"Shared Hit Blocks": (\d+)/;
	my ($read) = $plan =~ /"Shared Read Blocks": (\d+)/;
	return $hit + $read;
}

my %pem;
for my $x (qw(a b))
{
	$pem{$x} = "$dir/$x.pem";
	run_command([ 'openssl', 'genpkey', '-algorithm', 'ed25519', '-out', $pem{$x} ]);
	die "genpkey $x" if $?;
	($pem{"$x.pub"}) = run_command([ 'openssl', 'pkey', '-in', $pem{$x}, '-pubout' ]);
}
my $keys_sql = join('', map {
	"SELECT ledger.add_key('$_-cp', '$_', 'ed25519', ledger.public_key_from_pem(" . lit($pem{"$_.pub"}) . "));\n"
} qw(a b));
for my $x (qw(a b))
{
	my $o = $x eq 'a' ? 'b' : 'a';
	my $n = $x eq 'a' ? $A : $B;
	$n->safe_psql('postgres', "CREATE EXTENSION ledger;\n" . $keys_sql
		  . "SELECT ledger.set_institution('$inst{$x}', '$x-cp');\n"
		  . "SELECT ledger.add_peer('$inst{$o}', '$o-cp');\n");
}

# A ledger of $n transactions, one row each
my $n = 1500;
$A->safe_psql('postgres', qq{
	CREATE TABLE book (id bigint PRIMARY KEY, memo text);
	SELECT ledger.create_ledger('book');
	CREATE PROCEDURE grow(n int) LANGUAGE plpgsql AS \$\$
	BEGIN
		FOR i IN 1..n LOOP
			INSERT INTO book VALUES (i, 'row');
			COMMIT;
		END LOOP;
	END \$\$;
	CALL grow($n);
});
ok(wait_sealed($A, 'postgres'), "A: $n transactions sealed");

# Checkpoints at sizes 1 .. n-1, one a minute, the newest a minute old, as
# the sealer leaves them after a day of ledger.checkpoint_interval = 60s
# (stored as a restore stores them: the roots are the ledger's).  First the
# newest alone, then the day before it.
sub checkpoints
{
	my ($from, $to) = @_;
	$A->safe_psql('postgres', qq{
		INSERT INTO ledger.checkpoints (ledger_id, tree_size, root, institution, note, made_at)
		SELECT l.ledger_id, g, ledger._history_root_at(l.ledger_id, g), '$inst{a}',
		       ledger._checkpoint_text('$inst{a}', l.ledger_uuid, g, ledger._history_root_at(l.ledger_id, g)),
		       now() - ($n - g) * interval '1 minute'
		  FROM ledger.ledgers l, generate_series($from, $to) g
		 WHERE l.relation = 'book'::regclass;
		ANALYZE ledger.checkpoints;
	});
}

# ---------- 1. the sealer's question, after each pass ----------

my $due = 'SELECT ledger._make_due_checkpoints(3600)';
checkpoints($n - 1, $n - 1);
is($A->safe_psql('postgres', $due), '0',
	'A: no checkpoint is due within an hour of the last one');
my $b0 = buffers($A, $due);
checkpoints(1, $n - 2);
is($A->safe_psql('postgres', $due), '0', 'A: nor with a day of checkpoints before it');
my $b1 = buffers($A, $due);
diag("_make_due_checkpoints: $b0 buffers with one checkpoint, $b1 with " . ($n - 1));
cmp_ok($b1, '<=', $b0 + 5,
	'A: deciding that reads about as many pages with ' . ($n - 1) . ' checkpoints as with one');

# ---------- 2. checkpoints to cosign, at a peer ----------

# A signs each checkpoint as its origin (one process signs them all, with
# the audit tool's own code)
my $notes = $A->safe_psql('postgres',
	q{SELECT rtrim(note, E'\n') FROM ledger.checkpoints ORDER BY tree_size});
open(my $fh, '>', "$dir/notes.txt") or die $!;
print $fh $notes;
close($fh);
my ($lines, $err) = run_command([ 'python3', '-c', q{
import importlib.machinery, importlib.util, sys, base64
loader = importlib.machinery.SourceFileLoader("audit", sys.argv[1])
spec = importlib.util.spec_from_loader("audit", loader)
m = importlib.util.module_from_spec(spec)
loader.exec_module(m)
alg, key, pub = m.load_pem_key(sys.argv[2], True)
lines = open(sys.argv[3], encoding="utf-8").read().split("\n")
for i in range(0, len(lines) - 2, 3):
    text = "\n".join(lines[i:i + 3]) + "\n"
    name = lines[i]
    kid, _ = m.note_key(name, alg, pub)
    print(base64.b64encode(kid + key.sign(text.encode())).decode())
}, $tool, $pem{a}, "$dir/notes.txt" ]);
die "signing: $err" if $?;
my @sig = split /\n/, $lines;
is(scalar(@sig), $n - 1, 'A: every checkpoint signed outside the database');
my $origin = (split /\n/, $notes)[0];
open($fh, '>', "$dir/sigs.csv") or die $!;
print $fh join('', map { ($_ + 1) . ",\xe2\x80\x94 $origin $sig[$_]\n" } 0 .. $#sig);
close($fh);
$A->safe_psql('postgres', qq{
	CREATE TEMP TABLE s (tree_size bigint, line text);
	\\copy s FROM '$dir/sigs.csv' WITH (FORMAT csv)
	SELECT count(ledger.add_checkpoint_signature('book', tree_size, line)) FROM (SELECT * FROM s ORDER BY tree_size) q;
});
is($A->safe_psql('postgres', "SELECT count(*) FROM ledger.checkpoint_signatures WHERE institution = '$inst{a}'"),
	$n - 1, 'A: the signatures are stored');

# B replicates the ledger, its checkpoints and signatures, and has cosigned none
$A->safe_psql('postgres', "SELECT ledger.create_publication('pub_a', ARRAY['book'::regclass])");
(my $connstr = $A->connstr('postgres')) =~ s/'/''/g;
$B->safe_psql('postgres', "SELECT ledger.create_subscription('b_from_a', '$connstr', 'pub_a')");
$B->poll_query_until('postgres',
	"SELECT count(*) = $n - 1 FROM ledger.checkpoint_signatures WHERE institution = '$inst{a}'")
  or diag('timed out waiting for the signatures at B');
$B->poll_query_until('postgres', "SELECT ledger._history_root_at(ledger_id, $n) IS NOT NULL "
	  . "FROM ledger.ledgers WHERE relation = 'book'::regclass")
  or diag('timed out waiting for the history at B');
$B->safe_psql('postgres', 'ANALYZE ledger.checkpoints, ledger.checkpoint_signatures');

my $cosign = 'SELECT count(*) FROM ledger.checkpoints_to_cosign()';
is($B->safe_psql('postgres', $cosign), $n - 1, "B: the " . ($n - 1) . ' checkpoints are to cosign');
my $b2 = buffers($B, $cosign);
diag("checkpoints_to_cosign: $b2 buffers with " . ($n - 1) . ' checkpoints not cosigned');
cmp_ok($b2, '<', 60 * $n, 'B: listing them reads a bounded number of pages per checkpoint');

done_testing();
