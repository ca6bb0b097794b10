# Copyright (c) the ledger authors; PostgreSQL licence.
#
# A seeded random walk over two institutions (a review on 2026-12-07):
# origin A publishes ledgers, peer B holds verified replicas, and each step
# draws one of what a bank and its operators do, at random:
#
#  at A   small transactions into 2-3 ledgers, rolled back ones, savepoints
#         rolled back, ON CONFLICT DO NOTHING, bulk loads (COPY, INSERT ...
#         SELECT), PREPARE TRANSACTION and COMMIT / ROLLBACK PREPARED; rows
#         of a signed ledger signed by keys added, rotated, revoked and left
#         to expire (and rows signed by keys no longer good, refused);
#         seal(), digest() (every digest kept), checkpoint() and scheduled
#         checkpoints; a fresh ledger created, added to the publication
#         (before or after the peer's resync_subscription), retired
#         (remove_from_publication and drop_ledger);
#         VACUUM (FULL), CLUSTER, VACUUM and ANALYZE of a ledger;
#  at B   resync_subscription, ALTER SUBSCRIPTION DISABLE / ENABLE, verify,
#         digest, reads, drop_ledger of a retired replica; an
#         administrator's ALTER SUBSCRIPTION ... CONNECTION (the same
#         string), DISABLE or SET (synchronous_commit) in a transaction
#         committed, rolled back or rolled back to a savepoint;
#  both   ledger.seal_interval set between 200 ms and 2 s (ALTER SYSTEM and
#         pg_reload_conf()); REINDEX and VACUUM (FULL) of
#         ledger.transactions;
#  faults pg_ctl restart -m immediate of either node, pg_terminate_backend
#         of the walsender or the apply worker, a DBA holding a lock on a
#         replica or a catalog table at B for up to 2 s; the connection
#         lost, then lost again (walsender terminated or A restarted) while
#         B's subscription waits for the sealer to enable it again or is
#         being enabled, sometimes beside the administrator's ALTER.
#
# Invariants, every LEDGER_CHAOS_CHECK steps (default 10): the origin's
# ledgers hold exactly the rows the walk committed (a model kept here) and
# verify; B's replicas verify.  Every 3 checks, and at the end after the
# faults stop (bounded waits): B catches up and holds the origin's rows,
# records and blocks; every digest kept verifies at both ends; nothing stays
# unsealed; sealing_status and replication_status show no error.  An
# administrator's ALTER SUBSCRIPTION that is rolled back never leaves the
# subscription "disabled" (a pending reconnection stays pending), and one
# committed takes charge of it (the walk's operator enables it).  After
# each step the servers' logs are read: PANIC, TRAP, "terminated by
# signal", and ERROR / WARNING / FATAL lines that no step of the walk
# explains are collected and fail the test.
#
# LEDGER_CHAOS_SEED (default 20261207) and LEDGER_CHAOS_STEPS (default 35,
# about a minute on 2 busy cores) choose the walk; the seed is printed.  The
# servers' timing is not seeded, so a walk repeats its choices but not
# always its interleavings.  LEDGER_CHAOS_WEIGHTS ('op=weight,...') changes
# the weights of the named operations (another walk for the same seed).
# LEDGER_CHAOS_ADMIN_TIMEOUT (default 120 s) bounds the background sessions
# (an administrator's ALTER SUBSCRIPTION, a DBA's lock): one not ended by
# then fails its step and is ended, so the walk fails, never hangs.
# docs/testing.md, "Random walks".
use strict;
use warnings;

use Digest::MD5 qw(md5_hex);
use IPC::Run;
use Time::HiRes qw(time usleep);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $seed = $ENV{LEDGER_CHAOS_SEED} // 20261207;
my $steps = $ENV{LEDGER_CHAOS_STEPS} // 35;
my $check_every = $ENV{LEDGER_CHAOS_CHECK} // 10;
# the longest an administrator's or a DBA's background session may take
my $admin_timeout = $ENV{LEDGER_CHAOS_ADMIN_TIMEOUT} // 120;
srand($seed);
diag("chaos walk: LEDGER_CHAOS_SEED=$seed LEDGER_CHAOS_STEPS=$steps");

my $conf = "max_prepared_transactions = 10\n" . "ledger.sync_reconnect_delay = 1\n";
my $A = sync_node('chaos_a', conf => $conf . "ledger.checkpoint_interval = 2\n" . "logical_decoding_work_mem = '64kB'\n");
my $B = sync_node('chaos_b', conf => $conf);
my $sub = 'b_from_a';
my $step = 0;
my $op = 'setup';

# ---------------------------------------------------------------- signer
# One python process holds the private keys and signs (test keys made
# from the walk's seed, never used elsewhere).
my $py = <<'EOF';
import sys
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives import serialization
keys = {}
for line in sys.stdin:
    a = line.split()
    if a[0] == 'gen':
        k = ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(a[2]))
        keys[a[1]] = k
        print(k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex())
    else:
        print(keys[a[1]].sign(bytes.fromhex(a[2])).hex())
    sys.stdout.flush()
EOF
my ($sin, $sout) = ('', '');
my $signer = IPC::Run::start([ 'python3', '-u', '-c', $py ], '<', \$sin, '>', \$sout);
sub signer
{
	my ($line) = @_;
	$sin .= "$line\n";
	$signer->pump until $sout =~ /\n/;
	$sout =~ s/^(.*)\n//;
	return $1;
}

# ---------------------------------------------------------------- logs
# Lines of the servers' logs: what a step explains is allowed for a few
# steps after it (the apply worker logs later than the step that caused it).
my %logpos = (chaos_a => 0, chaos_b => 0);
my @allow;           # [node name or '', regexp, last step]
my @unexpected;
my %seen_expected;
sub allow
{
	my ($who, $re, $for) = @_;
	push @allow, [ $who, $re, $step + ($for // 6) ];
}
# Always explained: what any restart or lost connection of the other side
# causes, logged by PostgreSQL itself.
my @always = (
	qr/^WARNING:  terminating connection because of unexpected SIGQUIT signal/,
	qr/^FATAL:  the database system is (starting up|shutting down|in recovery mode|not yet accepting connections)/,
);

sub read_logs
{
	for my $n ($A, $B)
	{
		my $name = $n->name;
		open(my $fh, '<', $n->logfile) or next;
		seek($fh, $logpos{$name}, 0);
		while (my $l = <$fh>)
		{
			last unless $l =~ /\n$/;
			$logpos{$name} = tell($fh);
			my $msg;
			# the server's own lines (prefix '%m [%p] %q%a '), not a DETAIL
			# quoting another server's FATAL
			if ($l =~ /^\d{4}-\S+ \S+ \S+ \[\d+\] (?:[^:]* )?((?:PANIC|ERROR|WARNING|FATAL):  .*)$/) { $msg = $1 }
			elsif ($l =~ /(TRAP: .*|terminated by signal.*)$/) { $msg = $1 }
			else { next }
			next if grep { $msg =~ $_ } @always;
			my $ok = 0;
			for my $a (@allow)
			{
				next if $a->[0] ne '' && $a->[0] ne $name;
				next if $a->[2] < $step;
				if ($msg =~ $a->[1]) { $ok = 1; last }
			}
			$msg =~ s/\d{3,}/N/g if $ok;
			if ($ok) { $seen_expected{$msg}++; next }
			push @unexpected, "step $step ($op) $name: $msg";
			diag("UNEXPECTED step $step ($op) $name: $msg");
		}
		close($fh);
	}
	@allow = grep { $_->[2] >= $step } @allow;
}

# ---------------------------------------------------------------- SQL
# Run SQL; returns (1, out) or (0, err).  A hang is a finding: 120 s.
sub sq
{
	my ($node, $sql, %o) = @_;
	my ($ret, $out, $err) = $node->psql($o{db} // 'postgres', $sql, timeout => 120);
	return $ret == 0 ? (1, $out) : (0, $err);
}
sub qq1
{
	my ($node, $sql) = @_;
	my ($ok, $out) = sq($node, $sql);
	die "step $step ($op): $sql: $out" unless $ok;
	return $out;
}

# ---------------------------------------------------------------- model
my %model;           # ledger => { id => v } committed at A
my %state;           # ledger => own (published, replicated) | local | pending | retired | detached
my %next = ();       # ledger => next id
my @digests;         # [ledger, digest, block]
my @prepared;        # [gid, { ledger => { id => v } }]
my %keys;            # key_id => { until => epoch or undef, revoked => 0/1 }
my $nkey = 0;
my $nfresh = 0;
my $need_resync = 0; # a ledger added to the publication since B's last resync
my $stopped_ok = 0;  # B may be stopped by a write to such a ledger
my $b_disabled = 0;  # disabled by the walk (ALTER SUBSCRIPTION)
my $dba;             # a running DBA lock at B
my %restarts = (chaos_a => 0, chaos_b => 0);

sub origin_ledgers { return sort grep { $state{$_} =~ /^(own|local|pending)$/ } keys %state }
sub replicas { return sort grep { $state{$_} =~ /^(own|retired|detached)$/ } keys %state }
sub pick { my @l = @_; return @l ? $l[ int(rand(@l)) ] : undef }

sub content_of
{
	my ($node, $t) = @_;
	return qq1($node,
		"SELECT count(*) || ' ' || coalesce(md5(string_agg(id::text || ':' || v, ',' ORDER BY id)), '-') FROM $t");
}
sub model_content
{
	my ($t) = @_;
	my $m = $model{$t};
	my @ids = sort { $a <=> $b } keys %$m;
	return scalar(@ids) . ' ' . (@ids ? md5_hex(join(',', map { "$_:$m->{$_}" } @ids)) : '-');
}

sub new_key
{
	my ($until) = @_;
	my $kid = 'k' . $nkey++;
	my $priv = join('', map { sprintf('%02x', int(rand(256))) } 1 .. 32);
	my $pub = signer("gen $kid $priv");
	my $u = defined $until ? ", now(), now() + interval '$until seconds'" : '';
	return ($kid, "SELECT ledger.add_key('$kid', 'bank-a', 'ed25519', '\\x$pub'::bytea$u);");
}

# one signed row of sgn: its INSERT statement, signed by key $kid
sub signed_insert
{
	my ($kid, $id, $v) = @_;
	my $hex = qq1($A, "SELECT encode(ledger.signing_bytes('sgn', ROW($id, '$v', '$kid', NULL, NULL, NULL, NULL)::sgn), 'hex')");
	my $sig = signer("sign $kid $hex");
	return "INSERT INTO sgn VALUES ($id, '$v', '$kid', '\\x$sig');";
}

sub key_good
{
	my ($kid, $margin) = @_;
	my $k = $keys{$kid};
	return 0 if $k->{revoked};
	return 1 unless defined $k->{until};
	return $k->{until} > time() + $margin;
}
sub key_bad
{
	my ($kid) = @_;
	my $k = $keys{$kid};
	return $k->{revoked} || (defined $k->{until} && $k->{until} < time() - 1);
}

# rows for a transaction into $t: (sql, {id => v})
sub rows_sql
{
	my ($t, $n) = @_;
	my (@sql, %rows);
	for (1 .. $n)
	{
		my $id = $next{$t}++;
		my $v = "s$step-" . int(rand(1000));
		if ($t eq 'sgn')
		{
			my $kid = pick(grep { key_good($_, 5) } sort keys %keys);
			push @sql, signed_insert($kid, $id, $v);
		}
		else
		{
			push @sql, "INSERT INTO $t VALUES ($id, '$v');";
		}
		$rows{$id} = $v;
	}
	return (join("\n", @sql), \%rows);
}
sub commit_rows
{
	my ($t, $rows) = @_;
	$model{$t}{$_} = $rows->{$_} for keys %$rows;
}

sub writable
{
	# a pending ledger written before B's resync stops B: a path, not
	# drawn often
	my @l = grep { $state{$_} ne 'pending' || rand() < 0.3 } origin_ledgers();
	my $t = pick(@l);
	note_write($t);
	return $t;
}
sub note_write
{
	my ($t) = @_;
	return unless $state{$t} eq 'pending';
	$stopped_ok = 1;
	allow('chaos_b', qr/^ERROR:  logical replication target relation "public\.$t" does not exist/, 1e9);
}

# ---------------------------------------------------------------- setup
$A->safe_psql('postgres', q{
	CREATE TABLE l1 (id bigint PRIMARY KEY, v text);
	CREATE TABLE l2 (id bigint PRIMARY KEY, v text);
	CREATE TABLE sgn (id bigint PRIMARY KEY, v text, key_id text, sig bytea);
	SELECT ledger.create_ledger('l1');
	SELECT ledger.create_ledger('l2');
	SELECT ledger.create_ledger('sgn');
	SELECT ledger.require_signatures('sgn', 'sig', 'key_id');
});
for my $i (1 .. 2)
{
	my ($kid, $sql) = new_key();
	$keys{$kid} = { until => undef, revoked => 0 };
	$A->safe_psql('postgres', $sql);
}
{
	# the checkpoint key, never revoked; B trusts it for A's checkpoints
	# (a checkpoint from an institution not registered there stops B)
	my ($kid, $sql) = new_key();
	$A->safe_psql('postgres', $sql . "SELECT ledger.set_institution('bank-a', '$kid');");
	$B->safe_psql('postgres', $sql . "SELECT ledger.add_peer('bank-a', '$kid');");
}
for my $t (qw(l1 l2 sgn))
{
	$state{$t} = 'own';
	$model{$t} = {};
	$next{$t} = 1;
}
$A->safe_psql('postgres', q{SELECT ledger.create_publication('pub', ARRAY['l1', 'l2', 'sgn']::regclass[])});
my $ci = conninfo($A);
is($B->safe_psql('postgres', "SELECT ledger.create_subscription('$sub', '$ci', 'pub')"), '3', 'B subscribed to 3 ledgers');

# ---------------------------------------------------------------- operations
my @ops = (
	[ small => 30, sub {
		my $t = writable();
		my ($sql, $rows) = rows_sql($t, 1 + int(rand(3)));
		qq1($A, "BEGIN;\n$sql\nCOMMIT;");
		commit_rows($t, $rows);
	} ],
	[ two_ledgers => 6, sub {
		my ($t1, $t2) = (writable(), writable());
		return if $t1 eq $t2;
		my ($s1, $r1) = rows_sql($t1, 1);
		my ($s2, $r2) = rows_sql($t2, 2);
		qq1($A, "BEGIN;\n$s1\n$s2\nCOMMIT;");
		commit_rows($t1, $r1);
		commit_rows($t2, $r2);
	} ],
	[ rollback => 4, sub {
		my $t = writable();
		my ($sql) = rows_sql($t, 2);
		qq1($A, "BEGIN;\n$sql\nROLLBACK;");
	} ],
	[ savepoint => 5, sub {
		my $t = writable();
		my ($s1, $r1) = rows_sql($t, 1);
		my ($s2) = rows_sql($t, 2);
		my ($s3, $r3) = rows_sql($t, 1);
		qq1($A, "BEGIN;\n$s1\nSAVEPOINT a;\n$s2\nROLLBACK TO SAVEPOINT a;\n$s3\nRELEASE a;\nCOMMIT;");
		commit_rows($t, $r1);
		commit_rows($t, $r3);
	} ],
	[ on_conflict => 4, sub {
		my $t = pick(grep { $_ ne 'sgn' } writable());
		return unless defined $t;
		my $old = pick(sort { $a <=> $b } keys %{ $model{$t} });
		my $id = $next{$t}++;
		my $sql = "INSERT INTO $t VALUES ($id, 'oc$step')" . (defined $old ? ", ($old, 'dup')" : '') . ' ON CONFLICT DO NOTHING;';
		qq1($A, $sql);
		commit_rows($t, { $id => "oc$step" });
	} ],
	[ bulk => 3, sub {
		my $t = pick(grep { $_ ne 'sgn' } writable());
		return unless defined $t;
		my $n = 200 + int(rand(3000));
		my $from = $next{$t};
		$next{$t} += $n;
		qq1($A, "INSERT INTO $t SELECT g, 'b' || g FROM generate_series($from, $from + $n - 1) g;");
		commit_rows($t, { map { $_ => "b$_" } $from .. $from + $n - 1 });
	} ],
	[ copy => 3, sub {
		my $t = pick(grep { $_ ne 'sgn' } writable());
		return unless defined $t;
		my $n = 50 + int(rand(500));
		my $from = $next{$t};
		$next{$t} += $n;
		qq1($A, "COPY $t (id, v) FROM STDIN;\n" . join('', map { "$_\tc$_\n" } $from .. $from + $n - 1) . "\\.\n");
		commit_rows($t, { map { $_ => "c$_" } $from .. $from + $n - 1 });
	} ],
	[ prepare => 4, sub {
		return if @prepared >= 3;
		my $t = pick(grep { $state{$_} eq 'own' } origin_ledgers());
		my ($sql, $rows) = rows_sql($t, 1 + int(rand(2)));
		my $gid = "g$step";
		qq1($A, "BEGIN;\n$sql\nPREPARE TRANSACTION '$gid';");
		push @prepared, [ $gid, $t, $rows ];
	} ],
	[ finish_prepared => 5, sub {
		return unless @prepared;
		my $i = int(rand(@prepared));
		my ($gid, $t, $rows) = @{ $prepared[$i] };
		if (rand() < 0.8)
		{
			my ($ok, $err) = sq($A, "COMMIT PREPARED '$gid';");
			if ($ok)
			{
				commit_rows($t, $rows);
			}
			else
			{
				# a key that signed its rows was revoked or expired since
				# the PREPARE: it stays prepared (docs/signing.md)
				die "step $step: COMMIT PREPARED '$gid': $err"
				  unless $t eq 'sgn' && $err =~ /cannot commit prepared transaction "$gid": key "k\d+" that signed its rows was (revoked|expired)/;
				allow('chaos_a', qr/^ERROR:  cannot commit prepared transaction "$gid"/, 1);
				qq1($A, "ROLLBACK PREPARED '$gid';");
			}
		}
		else
		{
			qq1($A, "ROLLBACK PREPARED '$gid';");
		}
		splice(@prepared, $i, 1);
	} ],
	[ signed => 10, sub {
		my $good = rand() < 0.85;
		my @k = grep { $good ? key_good($_, 3) : key_bad($_) } sort keys %keys;
		return unless @k;
		my $kid = pick(@k);
		my $id = $next{sgn}++;
		my $sql = signed_insert($kid, $id, "sg$step");
		my ($ok, $err) = sq($A, $sql);
		if ($good)
		{
			die "step $step: a row signed by good key $kid refused: $err" unless $ok;
			commit_rows('sgn', { $id => "sg$step" });
		}
		else
		{
			die "step $step: a row signed by key $kid (revoked or expired) was accepted" if $ok;
			die "step $step: unexpected error for key $kid: $err" unless $err =~ /key "$kid" .*(revoked|expired)/;
			allow('chaos_a', qr/^ERROR:  .*key "$kid" .*(revoked|expired)/, 1);
		}
	} ],
	[ key_add => 3, sub {
		my $until = rand() < 0.5 ? 2 + int(rand(6)) : undef;
		my ($kid, $sql) = new_key($until);
		qq1($A, $sql);
		$keys{$kid} = { until => defined $until ? time() + $until : undef, revoked => 0 };
	} ],
	[ key_revoke => 1, sub {
		my @k = grep { key_good($_, 0) } sort keys %keys;
		return if grep({ key_good($_, 30) } @k) < 2;
		my $kid = pick(@k);
		qq1($A, "SELECT ledger.revoke_key('$kid', 'chaos $step');");
		$keys{$kid}{revoked} = 1;
	} ],
	[ key_rotate => 1, sub {
		my @k = grep { key_good($_, 30) } sort keys %keys;
		return if @k < 2;
		my $old = pick(@k);
		my ($kid, $sql) = new_key();
		qq1($A, "BEGIN;\n$sql\nSELECT ledger.revoke_key('$old', 'rotated');\nCOMMIT;");
		$keys{$kid} = { until => undef, revoked => 0 };
		$keys{$old}{revoked} = 1;
	} ],
	[ seal => 3, sub { qq1($A, 'SELECT ledger.seal();') } ],
	[ digest => 4, sub {
		my $t = pick(origin_ledgers());
		my $d = qq1($A, "SELECT ledger.digest('$t')");
		my ($blk) = $d =~ /"block": (\d+)/;
		push @digests, [ $t, $d, $blk ];
	} ],
	[ checkpoint => 2, sub {
		my $t = pick(origin_ledgers());
		qq1($A, "SELECT ledger.checkpoint('$t')");
	} ],
	[ fresh_create => 1.5, sub {
		return if grep({ $state{$_} =~ /^(local|pending)$/ } keys %state) >= 2;
		my $t = 'f' . $nfresh++;
		my $n = 1 + int(rand(20));
		qq1($A, "CREATE TABLE $t (id bigint PRIMARY KEY, v text);\nSELECT ledger.create_ledger('$t');\n"
			  . "INSERT INTO $t SELECT g, 'f' || g FROM generate_series(1, $n) g;");
		$state{$t} = 'local';
		$model{$t} = { map { $_ => "f$_" } 1 .. $n };
		$next{$t} = $n + 1;
	} ],
	[ fresh_publish => 1.5, sub {
		my $t = pick(grep { $state{$_} eq 'local' } sort keys %state);
		return unless defined $t;
		qq1($A, "SELECT ledger.add_to_publication('pub', ARRAY['$t'::regclass]);");
		$state{$t} = 'pending';
		$need_resync = 1;
		# the origin's scheduled checkpoint of the new ledger (within
		# ledger.checkpoint_interval) stops B as a write to it does, until
		# B's resync (docs/replication.md, "More ledgers later")
		allow('chaos_b', qr/^ERROR:  subscription "$sub" sent a checkpoint of ledger [0-9a-f-]+, which is not a replica for it/, 1e9);
		# and so does the block of rows written to it while it was local
		# and sealed after the call (a slow sealer: seed 4242 with
		# ledger.seal_interval = 1s; test/t/590_publish_unsealed.pl)
		allow('chaos_b', qr/^ERROR:  subscription "$sub" sent a row of "\w+" for ledger \d+, which is not registered here/, 1e9);
	} ],
	[ fresh_drop => 1, sub {
		# not one a prepared transaction wrote to: its locks would hold the
		# drop until it ends (PostgreSQL's, not a finding)
		my %busy = map { $_->[1] => 1 } @prepared;
		my $t = pick(grep { $state{$_} =~ /^(local|pending|own)$/ && $_ =~ /^f/ && !$busy{$_} } sort keys %state);
		return unless defined $t;
		my $s = $state{$t};
		if ($s eq 'local')
		{
			qq1($A, "SELECT ledger.drop_ledger('$t');");
			delete $state{$t};
		}
		else
		{
			qq1($A, "BEGIN;\nSELECT ledger.remove_from_publication('pub', ARRAY['$t'::regclass]);\n"
				  . "SELECT ledger.drop_ledger('$t');\nCOMMIT;");
			# a replica B does not hold yet is never made
			if ($s eq 'pending') { delete $state{$t} }
			else { $state{$t} = 'retired' }
		}
		delete $model{$t} if !exists $state{$t};
		@digests = grep { $_->[0] ne $t } @digests if !exists $state{$t};
	} ],
	[ resync => 2, sub {
		resync();
	} ],
	[ disable => 1.5, sub {
		return if $b_disabled;
		qq1($B, "ALTER SUBSCRIPTION $sub DISABLE;");
		$b_disabled = 1;
	} ],
	[ enable => 2, sub {
		return unless $b_disabled;
		qq1($B, "ALTER SUBSCRIPTION $sub ENABLE;");
		$b_disabled = 0;
	} ],
	[ b_verify => 3, sub {
		my $t = pick(grep { $state{$_} ne 'pending' } replicas());
		return unless defined $t;
		my $v = verify($B, 'postgres', $t);
		is($v->{ok}, 't', "step $step: B: $t verifies") or diag($v->{problem});
	} ],
	[ b_digest => 2, sub {
		my $t = pick(grep { $state{$_} eq 'own' } replicas());
		return unless defined $t;
		my $d = qq1($B, "SELECT ledger.digest('$t')");
		my ($blk) = $d =~ /"block": (\d+)/;
		my ($same) = grep { $_->[0] eq $t && $_->[2] == $blk } @digests;
		is($d, $same->[1], "step $step: B's digest of $t equals A's of block $blk") if $same;
	} ],
	[ b_read => 2, sub {
		my $t = pick(replicas());
		qq1($B, "SELECT count(*), max(id) FROM $t");
	} ],
	[ b_drop_detached => 0.5, sub {
		my $t = pick(grep { $state{$_} eq 'detached' } sort keys %state);
		return unless defined $t;
		qq1($B, "SELECT ledger.drop_ledger('$t');");
		delete $state{$t};
		delete $model{$t};
		@digests = grep { $_->[0] ne $t } @digests;
	} ],
	[ restart_a => 1, sub { restart($A) } ],
	[ restart_b => 1, sub { restart($B) } ],
	[ kill_walsender => 1.5, sub { kill_walsender() } ],
	[ kill_apply => 1.5, sub {
		allow('chaos_b', qr/^FATAL:  terminating logical replication worker due to administrator command/, 1);
		qq1($B, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_subscription WHERE pid IS NOT NULL");
	} ],
	[ b_admin_alter => 2, sub {
		# B's administrator alters the subscription by PostgreSQL's own
		# statements (the same connection string, DISABLE, a setting) in a
		# transaction that commits or rolls back
		b_admin_alter(pick('connection', 'connection', 'disable', 'set'), pick('commit', 'commit', 'rollback', 'savepoint'));
	} ],
	[ reconnect_fault => 2, sub {
		# the connection lost again while B's subscription waits to be
		# enabled (or is being enabled) by the sealer, sometimes beside an
		# administrator's ALTER SUBSCRIPTION
		return if $b_disabled || $stopped_ok;
		kill_walsender();
		# (the apply worker may not have streamed yet: nothing to lose)
		return unless b_poll("SELECT bool_or(state = 'reconnecting') FROM ledger.replication_status WHERE peer = '$sub'", 5);
		usleep(int(rand(1_500_000)));
		my $admin;
		my $end = pick('commit', 'rollback', 'savepoint');
		if (rand() < 0.5)
		{
			# within $admin_timeout s, or the step fails saying what the
			# ALTER waited for (bg_sql_finish; test/t/593_bg_sql_timeout.pl)
			$admin = bg_sql_start($B, admin_sql(pick('connection', 'set'), $end), 'chaos_admin', $admin_timeout);
			usleep(int(rand(300_000)));
		}
		my $how = rand() < 0.5 ? 'restart_a' : 'kill_walsender';
		note("step $step: reconnecting; then $how" . ($admin ? ", beside an ALTER ($end)" : ''));
		if ($how eq 'restart_a') { restart($A) }
		else { kill_walsender() }
		if ($admin)
		{
			my ($status, undef, $aerr) = bg_sql_finish($admin);
			die "step $step: the administrator's ALTER SUBSCRIPTION failed: $aerr" if $status || $aerr =~ /ERROR/;
			admin_after($end);
		}
	} ],
	[ seal_interval => 1.5, sub {
		# ledger.seal_interval changed at run time, 200 ms to 2 s
		my $n = rand() < 0.5 ? $A : $B;
		my $ms = 200 + int(rand(1801));
		qq1($n, "ALTER SYSTEM SET ledger.seal_interval = '${ms}ms';\nSELECT pg_reload_conf();");
	} ],
	[ maintenance => 2, sub {
		# VACUUM (FULL), CLUSTER, ANALYZE of a ledger at A by its owner;
		# REINDEX of ledger.transactions by a superuser at A or B.  Not
		# beside a prepared transaction that holds a lock they need: they
		# would wait for it (PostgreSQL's, not a finding)
		my %busy = map { $_->[1] => 1 } @prepared;
		my $t = pick(grep { !$busy{$_} } origin_ledgers());
		my @c;
		push @c, "VACUUM (FULL) $t", "CLUSTER $t USING ${t}_pkey", "VACUUM $t" if defined $t;
		push @c, 'ANALYZE ' . pick(origin_ledgers());
		push @c, 'REINDEX TABLE ledger.transactions', 'VACUUM (FULL) ledger.transactions' unless @prepared;
		my $c = pick(@c);
		my $n = $c =~ /ledger\.transactions/ && rand() < 0.5 ? $B : $A;
		qq1($n, "$c;");
	} ],
	[ dba_lock => 2, sub {
		dba_finish();
		my $t = pick((grep { $state{$_} eq 'own' } replicas()), 'ledger.transactions', 'ledger.blocks', 'ledger.replicas');
		my $ms = 300 + int(rand(1700));
		# (its LOCK may wait, but not for ever: dba_finish)
		$dba = bg_sql_start($B, "BEGIN; LOCK TABLE $t IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep($ms / 1000.0); COMMIT;",
			'chaos_dba', $admin_timeout, on_error_stop => 0);
	} ],
);

# the connection lost as the apply worker starts streaming
my $lost_at_start =
  qr/^ERROR:  could not start WAL streaming: (server closed the connection unexpectedly|FATAL:  terminating connection due to administrator command)/;

sub kill_walsender
{
	allow('chaos_b', qr/^ERROR:  could not (receive|send) data (from|to) WAL stream/);
	allow('chaos_b', $lost_at_start);
	allow('chaos_a', qr/^FATAL:  terminating connection due to administrator command/, 1);
	qq1($A, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_replication");
}

# poll B, quietly, for up to $secs s
sub b_poll
{
	my ($q, $secs) = @_;
	my $until = time() + $secs;
	while (time() < $until)
	{
		my ($ok, $out) = sq($B, $q);
		return 1 if $ok && $out eq 't';
		usleep(100_000);
	}
	return 0;
}

sub b_state
{
	return qq1($B, "SELECT string_agg(DISTINCT state, ',') FROM ledger.replication_status WHERE peer = '$sub'");
}

# an administrator's ALTER SUBSCRIPTION at B, ended by $end
sub admin_sql
{
	my ($kind, $end) = @_;
	my $alter =
	    $kind eq 'connection' ? "ALTER SUBSCRIPTION $sub CONNECTION '$ci';"
	  : $kind eq 'disable' ? "ALTER SUBSCRIPTION $sub DISABLE;"
	  : "ALTER SUBSCRIPTION $sub SET (synchronous_commit = '" . pick('off', 'local') . "');";
	return "BEGIN; $alter COMMIT;" if $end eq 'commit';
	return "BEGIN; $alter ROLLBACK;" if $end eq 'rollback';
	return "BEGIN; SAVEPOINT s; $alter ROLLBACK TO SAVEPOINT s; COMMIT;";
}

# After an administrator's ALTER SUBSCRIPTION: one that committed takes
# charge of a pending reconnection (the subscription stays disabled until
# the operator enables it); one rolled back leaves it pending, so the
# subscription never reads "disabled" because of it.
sub admin_after
{
	my ($end, $disable) = @_;
	if ($end eq 'commit')
	{
		$b_disabled = 1 if $disable || sub_enabled($B, $sub) eq 'f';
		return;
	}
	return if $b_disabled || $stopped_ok;
	my $st = b_state();
	is($st =~ /disabled/ ? $st : 'not disabled', 'not disabled',
		"step $step: B: an ALTER SUBSCRIPTION rolled back ($end) leaves the subscription's reconnection alone");
	# (the walk's operator enables it, for the checks that follow)
	$b_disabled = 1 if $st =~ /disabled/;
}

sub b_admin_alter
{
	my ($kind, $end) = @_;
	my $before = b_state();
	qq1($B, admin_sql($kind, $end));
	note("step $step: $kind, $end; the subscription was $before");
	admin_after($end, $kind eq 'disable');
}

sub end_prepared
{
	for my $p (@prepared)
	{
		my ($ok, $err) = sq($A, "COMMIT PREPARED '$p->[0]';");
		if ($ok) { commit_rows($p->[1], $p->[2]) }
		else
		{
			allow('chaos_a', qr/^ERROR:  cannot commit prepared transaction "$p->[0]"/, 1);
			qq1($A, "ROLLBACK PREPARED '$p->[0]';");
		}
	}
	@prepared = ();
}

sub dba_finish
{
	return unless $dba;
	my $d = $dba;
	$dba = undef;
	bg_sql_finish($d);
}

sub restart
{
	my ($n) = @_;
	dba_finish() if $n == $B;
	$n->stop('immediate');
	$n->start;
	$restarts{ $n->name }++;
	# the other side loses its connection: PostgreSQL's messages
	allow('', qr/^ERROR:  could not (receive|send) data (from|to) WAL stream/);
	allow('', qr/^ERROR:  could not connect to the publisher/);
	# (lost between the apply worker's connection and its START_REPLICATION:
	# PostgreSQL's libpqwalreceiver, libpqrcv_startstreaming)
	allow('', $lost_at_start);
	allow('', qr/^ERROR:  could not (send|receive) data (to|from) client/);
	allow('', qr/^FATAL:  terminating connection due to administrator command/);
	allow('', qr/^FATAL:  could not receive data from client/);
}

sub resync
{
	my ($ok, $out) = sq($B, "SELECT ledger.resync_subscription('$sub')");
	if (!$ok && @prepared && $out =~ /the origin holds prepared transaction "g\d+", which a new replication slot would wait for/)
	{
		# refused while a transaction is prepared at A (test/t/582):
		# the operator ends them first
		allow('chaos_b', qr/^ERROR:  the origin holds prepared transaction "g\d+"/, 1);
		end_prepared();
		($ok, $out) = sq($B, "SELECT ledger.resync_subscription('$sub')");
	}
	die "step $step: resync_subscription: $out" unless $ok;
	# what the resync itself causes
	allow('chaos_b', qr/^ERROR:  could not (receive|send) data (from|to) WAL stream/);
	allow('chaos_a', qr/^FATAL:  terminating connection due to administrator command/, 2);
	allow('chaos_a', qr/^ERROR:  replication slot "\w+" is active for PID/, 2);
	allow('chaos_b', qr/^FATAL:  terminating logical replication worker due to administrator command/, 2);
	# what B logged before the resync is still explained (an ENABLE just
	# before it, in streaming(), starts an apply worker that stops on the
	# new ledger's checkpoint): read before the explanation goes
	read_logs();
	$b_disabled = 0;
	$need_resync = 0;
	$stopped_ok = 0;
	@allow = grep { $_->[2] < 1e8 } @allow;
	for my $t (keys %state)
	{
		$state{$t} = 'own' if $state{$t} eq 'pending';
		$state{$t} = 'detached' if $state{$t} eq 'retired';
	}
}

# ---------------------------------------------------------------- checks
sub check_light
{
	for my $t (origin_ledgers())
	{
		is(content_of($A, $t), model_content($t), "step $step: A holds exactly what was committed to $t");
		my $v = verify($A, 'postgres', $t);
		is($v->{ok}, 't', "step $step: A: $t verifies") or diag($v->{problem});
	}
	for my $t (grep { $state{$_} ne 'pending' } replicas())
	{
		my $v = verify($B, 'postgres', $t);
		is($v->{ok}, 't', "step $step: B: $t verifies") or diag($v->{problem});
	}
}

# Wait (bounded) until B's subscription runs; an operator's ENABLE if the
# walk disabled it, a resync if a new ledger calls for one.
sub streaming
{
	my ($secs) = @_;
	if ($b_disabled) { qq1($B, "ALTER SUBSCRIPTION $sub ENABLE;"); $b_disabled = 0 }
	resync() if $need_resync;
	my $q = "SELECT subenabled AND EXISTS (SELECT 1 FROM pg_stat_subscription s WHERE s.subid = p.oid AND pid IS NOT NULL) "
	  . "FROM pg_subscription p WHERE subname = '$sub'";
	return 1 if poll_until($B, $q, $secs);
	my $err = qq1($B, "SELECT string_agg(DISTINCT state || ': ' || coalesce(last_error, ''), '; ') FROM ledger.replication_status WHERE peer = '$sub'");
	fail("step $step: B's subscription did not run again within $secs s by itself: $err");
	qq1($B, "ALTER SUBSCRIPTION $sub ENABLE;");
	return poll_until($B, $q, 30);
}

sub check_full
{
	my ($final) = @_;
	dba_finish();
	streaming($final ? 90 : 40);
	ok(wait_sealed($A, 'postgres', 30), "step $step: A sealed every committed transaction");
	for my $t (grep { $state{$_} eq 'own' } origin_ledgers())
	{
		my $d = caught_up($A, $B, $t);
		ok(defined $d, "step $step: B caught up with $t") or next;
		push @digests, [ $t, $d, ($d =~ /"block": (\d+)/)[0] ];
		is(held_state($B, $t), held_state($A, $t), "step $step: B holds A's rows, records and blocks of $t");
	}
	# every digest kept at the end, a sample of them before
	my @d = @digests;
	@d = map { $digests[ int(rand(@digests)) ] } 1 .. 6 if !$final && @d > 6;
	for my $d (@d)
	{
		my ($t, $dig) = @$d;
		if ($state{$t} =~ /^(own|local|pending)$/)
		{
			my $v = verify($A, 'postgres', $t, $dig);
			is($v->{ok}, 't', "step $step: A: $t verifies against digest of block $d->[2]") or diag($v->{problem});
		}
		next if $state{$t} =~ /^(local|pending)$/;
		my $v = verify($B, 'postgres', $t, $dig);
		is($v->{ok}, 't', "step $step: B: $t verifies against A's digest of block $d->[2]") or diag($v->{problem});
	}
	is(qq1($A, 'SELECT count(*) FROM ledger.sealing_status WHERE unsealed_transactions > 0 OR last_error IS NOT NULL'),
		'0', "step $step: A: sealing_status shows nothing unsealed and no error")
	  or diag(qq1($A, 'SELECT * FROM ledger.sealing_status'));
	my @rs = split /\n/, qq1($B, "SELECT ledger::text || ' ' || state || ' ' || coalesce(last_error, '') "
		  . "FROM ledger.replication_status WHERE role = 'replica'");
	my @bad = grep { my ($t, $s) = split / /; $state{$t} && $state{$t} eq 'own' && $s !~ /^(streaming|catching)$/ } @rs;
	is(join('; ', @bad), '', "step $step: B: replication_status shows every replica streaming");
}

# ---------------------------------------------------------------- the walk
# LEDGER_CHAOS_WEIGHTS ('op=weight,...') changes the weights of some
# operations, to walk around one of them (another walk than the seed's)
for my $w (split /,/, $ENV{LEDGER_CHAOS_WEIGHTS} // '')
{
	my ($name, $weight) = split /=/, $w;
	my ($o) = grep { $_->[0] eq $name } @ops;
	die "LEDGER_CHAOS_WEIGHTS: no operation $name" unless $o && defined $weight;
	$o->[1] = $weight;
}
my $total = 0;
$total += $_->[1] for @ops;
my %count;
my $t0 = time();
read_logs();
for ($step = 1; $step <= $steps; $step++)
{
	my $r = rand($total);
	my $o;
	for (@ops) { $o = $_; last if ($r -= $_->[1]) < 0 }
	$op = $o->[0];
	$count{$op}++;
	note("step $step: $op");
	eval { $o->[2]->(); 1 } or do {
		my $e = $@;
		fail("step $step ($op) failed: $e");
		last;
	};
	read_logs();
	if ($step % $check_every == 0)
	{
		$op = 'check';
		if ($step % (3 * $check_every) == 0) { check_full(0) }
		else { check_light() }
		read_logs();
	}
}
# the step after the last one run: after a step that failed, what it
# explains in the logs (for a few steps) is still explained
$step++ if $step <= $steps;
my $quiesce = $step;
$op = 'quiesce';

# Faults stop: prepared transactions end, the DBA lets go, B catches up.
end_prepared();
check_light();
check_full(1);
is(qq1($A, 'SELECT count(*) FROM pg_prepared_xacts'), '0', 'no prepared transaction left');
read_logs();
is(scalar(@unexpected), 0, 'no log line that the walk does not explain')
  or diag(join("\n", @unexpected));
note(sprintf('walk of %d steps (of %d) in %.0f s: %s; restarts A %d, B %d', $quiesce - 1, $steps, time() - $t0,
	join(', ', map { "$_ $count{$_}" } sort keys %count), $restarts{chaos_a}, $restarts{chaos_b}));
note("explained log lines:\n" . join("\n", map { "$seen_expected{$_} x $_" } sort keys %seen_expected));
diag("chaos walk: seed $seed, $steps steps, " . sprintf('%.0f s', time() - $t0));

$signer->kill_kill;
done_testing();
