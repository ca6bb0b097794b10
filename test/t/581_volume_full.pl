# Volumes that fill, and come back (docs/reference.md, "Running it": when a
# volume fills).  A real ENOSPC without root: a 4 MB tmpfs mounted in a user
# and mount namespace of this test's own (unshare -Urm), which the server
# reaches through /proc/PID/root of the process holding it, as a tablespace.
# Skipped when unprivileged user namespaces are not available.  Nothing is
# left mounted: the mount lives in a namespace that ends with its process.
#
# 1. A ledger table and its index on the full volume: the insert fails with
#    53100 and leaves no record (verify passes); another ledger is written
#    and sealed meanwhile; after space is freed the ledger is written,
#    sealed and verified again.
# 2. The sealer's tables (ledger.blocks, ledger.history_tiles) on the full
#    volume, the writers' records elsewhere: commits go on, the sealer's
#    block fails (sealing_status.last_error says so, the work waits),
#    digest() returns the last block with a NOTICE, seal() raises 53100;
#    once space is freed the waiting transactions are sealed with no
#    manual step, and verify against a digest from before, consistency_proof
#    from it and prove of a row written while full all pass.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $mnt = PostgreSQL::Test::Utils::tempdir_short();
# The holder reads its stdin, a pipe from this script: when the script ends,
# however it ends, the pipe closes, the holder exits and its namespace and
# mount go with it.
my $holder;
my $pid = open($holder, '|-', 'unshare', '-Urm', 'sh', '-c',
	"mount -t tmpfs -o size=4m,mode=0700 tmpfs '$mnt' 2>/dev/null && touch '$mnt/mounted' && exec cat >/dev/null");
my $vol = $pid ? "/proc/$pid/root$mnt" : undef;
for (1 .. 100)
{
	last if !defined $vol || -e "$vol/mounted";
	select(undef, undef, undef, 0.05);
}
unless (defined $vol && -e "$vol/mounted" && mkdir("$vol/ts"))
{
	close($holder) if $pid;
	plan skip_all => 'cannot mount a small tmpfs in a user namespace (unshare -Urm)';
}
END { local $?; close($holder) if $holder; }

my $node = ledger_node('vf');
$node->safe_psql('postgres', qq{
	CREATE EXTENSION ledger;
	CREATE TABLESPACE small LOCATION '$vol/ts';
	CREATE TABLE pay (id bigserial PRIMARY KEY USING INDEX TABLESPACE small, payer text, pad text) TABLESPACE small;
	CREATE TABLE other (id bigserial PRIMARY KEY, v text);
	SELECT ledger.create_ledger('pay');
	SELECT ledger.create_ledger('other');
	INSERT INTO pay (payer, pad) SELECT 'p' || g, 'x' FROM generate_series(1, 10) g;
	INSERT INTO other (v) VALUES ('o');
});

# Fill the volume: batches into a filler table until one fails with 53100.
sub fill
{
	my ($table) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', qq{
		CREATE TABLE $table (x text) TABLESPACE small;
		DO \$\$ BEGIN
			FOR i IN 1 .. 10000 LOOP
				BEGIN
					INSERT INTO $table SELECT repeat('f', 1000) FROM generate_series(1, 50);
				EXCEPTION WHEN disk_full THEN
					EXIT;
				END;
			END LOOP;
			FOR i IN 1 .. 10000 LOOP
				BEGIN
					INSERT INTO $table VALUES (repeat('f', 1000));
				EXCEPTION WHEN disk_full THEN
					RETURN;
				END;
			END LOOP;
			RAISE EXCEPTION 'the volume did not fill';
		END \$\$;
		SELECT 'filled'});
	return $out eq 'filled';
}

# ---------- 1. a ledger's tablespace fills ----------
ok(fill('filler'), '1: the volume is full');
my ($ret, $out, $err) = $node->psql('postgres',
	q{INSERT INTO pay (payer, pad) SELECT 'big' || g, repeat('y', 500) FROM generate_series(1, 2000) g});
like($err, qr/could not extend file .*No space left on device/, '1: the insert fails with ENOSPC');
($ret, $out, $err) = $node->psql('postgres',
	q{INSERT INTO pay (payer, pad) SELECT 'big' || g, repeat('y', 500) FROM generate_series(1, 2000) g},
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
like($err, qr/ERROR:  53100/, '1: ... SQLSTATE 53100 (disk_full)');
$node->safe_psql('postgres', q{INSERT INTO other (v) SELECT 'o' || g FROM generate_series(1, 5) g});
ok(wait_sealed($node, 'postgres'), '1: the other ledger is written and sealed meanwhile');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM ledger.transactions t JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'pay'::regclass}),
	'1', '1: no record of the failed transactions');
verify_ok($node, 'postgres', 'pay', undef, '1: the ledger verifies while full');
verify_ok($node, 'postgres', 'other', undef, '1: the other ledger verifies');
$node->safe_psql('postgres', 'DROP TABLE filler');
$node->safe_psql('postgres',
	q{INSERT INTO pay (payer, pad) SELECT 'after' || g, repeat('y', 500) FROM generate_series(1, 500) g});
ok(wait_sealed($node, 'postgres'), '1: space freed: written and sealed');
my $d = $node->safe_psql('postgres', q{SELECT ledger.digest('pay')});
verify_ok($node, 'postgres', 'pay', $d, '1: verifies against its digest');

# ---------- 2. the sealer's tables fill ----------
my $d0 = $node->safe_psql('postgres', q{SELECT ledger.digest('other')});
$node->safe_psql('postgres', q{
	ALTER TABLE ledger.blocks SET TABLESPACE small;
	ALTER TABLE ledger.history_tiles SET TABLESPACE small;
});
ok(fill('filler2'), '2: the volume of the sealer\'s tables is full');
# Commits until the sealer's block no longer fits (the tables' last pages
# had room for some): a few at a time, so that the volume is full for a few
# seconds only and the sealer's delay stays short.  "No longer fits" does
# not last by itself: ledger.history_tiles is one page here, its tiles are
# updated in place, and once no snapshot needs the versions a pass left
# behind, PostgreSQL prunes them when the page is next read; the sealer's
# retry (1 s after its error) or seal() then finds room in that page and
# seals, with no file extended (seen with ledger.seal_interval = 1s and
# under CPU load: seal() returned, nothing left unsealed).  So when a round
# of the checks below finds everything sealed, the volume had room again:
# more commits, and the checks again, until one round sees the sealer held.
my ($waiting, $behind, $seal_err, $v) = (0, '', '', undef);
my $round = 0;
for my $try (1 .. 20)
{
	$waiting = 0;
	while (!$waiting && $round < 200 * $try)
	{
		$round++;
		$node->safe_psql('postgres', join('', map { "INSERT INTO other (v) VALUES ('full $round.$_');\n" } 1 .. 5));
		$waiting = $node->safe_psql('postgres', q{
			SELECT unsealed_transactions > 0 AND coalesce(last_error LIKE '%No space left on device%', false)
			  FROM ledger.sealing_status WHERE ledger = 'other'::regclass}) eq 't';
		select(undef, undef, undef, 0.1) unless $waiting;
	}
	last unless $waiting;
	(undef, undef, $behind) = $node->psql('postgres', q{SET ledger.digest_wait = '1s'; SELECT ledger.digest('other')->>'block'});
	(undef, undef, $seal_err) = $node->psql('postgres', q{SELECT ledger.seal('other')},
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	$v = verify($node, 'postgres', 'other');
	last unless $v->{ok} eq 't' && $v->{unsealed} == 0;
	diag("round $try: the sealer found room again (pruned tile versions); more commits");
}
ok($waiting, '2: commits go on; sealing_status shows the waiting work and the error');
like($behind, qr/NOTICE:  ledger "other" was not sealed within 1000 ms/, '2: digest() says it is behind');
like($seal_err, qr/ERROR:  53100: could not extend file/, '2: seal() raises 53100');
$v //= { ok => '', unsealed => 0 };
ok($v->{ok} eq 't' && $v->{unsealed} > 0, "2: verify passes, counting the unsealed ($v->{unsealed})");
my $row = $node->safe_psql('postgres', q{SELECT ledger_xact || ',' || ledger_seq FROM other ORDER BY id DESC LIMIT 1});

# Space back, the database written on (another ledger, once a second): the
# sealer comes back to the ledger at its next try, a few seconds here.  (In
# an idle database the sealer exits meanwhile, and the launcher's sweep
# brings it back within a minute.)
$node->safe_psql('postgres', 'DROP TABLE filler2');
my $sealed = 0;
for (1 .. 90)
{
	$node->safe_psql('postgres', q{INSERT INTO pay (payer, pad) VALUES ('tick', 'x')});
	$sealed = $node->safe_psql('postgres', q{
		SELECT unsealed_transactions = 0 AND last_error IS NULL
		  FROM ledger.sealing_status WHERE ledger = 'other'::regclass}) eq 't';
	last if $sealed;
	sleep 1;
}
ok($sealed, '2: space freed: sealed again with no manual step');
my $d1 = $node->safe_psql('postgres', q{SELECT ledger.digest('other')});
verify_ok($node, 'postgres', 'other', $d0, '2: verifies against the digest from before');
verify_ok($node, 'postgres', 'other', $d1, '2: ... and the new one');
(my $q0 = $d0) =~ s/'/''/g;
is($node->safe_psql('postgres', qq{SELECT ledger.consistency_proof('other', '$q0'::jsonb) IS NOT NULL}),
	't', '2: consistency proof from the digest before');
is($node->safe_psql('postgres', qq{SELECT ledger.prove('other', $row) IS NOT NULL}),
	't', '2: a row written while full is proved');

$node->stop;
done_testing();
