# 090_upgrade.pl: upgrading from released versions.
#
# 1. The update scripts are complete: a database that ran CREATE EXTENSION
#    ledger VERSION '0.1.0' and then ALTER EXTENSION ledger UPDATE holds
#    exactly the objects of a fresh CREATE EXTENSION ledger (compared with
#    pg_dump --binary-upgrade, which dumps every member of the extension).
# 2. Ledgers made by the released 0.1.0 binary keep verifying: a cluster
#    runs 0.1.0 as built from its commit (test/lib.sh builds it into a
#    private installation), writes plain, signed and extension-owned
#    ledgers and takes digests; then the package is upgraded in place (the
#    new ledger.so and scripts replace the old, as apt would), the server
#    restarts, ALTER EXTENSION ledger UPDATE runs, and every ledger verifies
#    against the digests taken by 0.1.0, takes new rows, and still detects
#    tampering.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

$ENV{LEDGER_OLD_INSTALL_0_1_0}
  or BAIL_OUT('LEDGER_OLD_INSTALL_0_1_0 is not set: run through make test');
# a copy: the package upgrade below replaces its files, and later tests
# (150_sync_upgrade) need the released ones
my $old_install = install_copy($ENV{LEDGER_OLD_INSTALL_0_1_0});
my $pg_config = $ENV{PG_CONFIG} or BAIL_OUT('PG_CONFIG is not set');
chomp(my $new_share = `$pg_config --sharedir`);
chomp(my $new_version = `sed -n "s/^default_version = '\\(.*\\)'/\\1/p" $new_share/extension/ledger.control`);

# ---------- 1. update scripts against a fresh install ----------

my $node = ledger_node('scripts');
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('postgres', 'CREATE DATABASE upgraded');
$node->safe_psql('fresh', 'CREATE EXTENSION ledger');
$node->safe_psql('upgraded', "CREATE EXTENSION ledger VERSION '0.1.0'");
is($node->safe_psql('upgraded', "SELECT extversion FROM pg_extension WHERE extname = 'ledger'"),
	'0.1.0', 'the 0.1.0 install script still installs');
# a view of the administrator's over the catalog the update rebuilds: the
# update failed with "cannot drop table transactions_0_1 because other
# objects depend on it" (an upgrade review on 2026-12-06); now it is
# refused up front, naming the view
$node->safe_psql('upgraded',
	'CREATE VIEW v_unsealed AS SELECT ledger_id, count(*) FROM ledger.transactions WHERE block_no IS NULL GROUP BY 1');
my ($vret, $vout, $verr) = $node->psql('upgraded', "\\set VERBOSITY verbose\nALTER EXTENSION ledger UPDATE");
like($verr, qr/ERROR:  2BP01: cannot update extension ledger: view public\.v_unsealed depend on its catalog/,
	'a view over ledger.transactions: the update is refused up front, naming it');
is($node->safe_psql('upgraded', "SELECT extversion FROM pg_extension WHERE extname = 'ledger'"),
	'0.1.0', '... and the extension stays at 0.1.0');
$node->safe_psql('upgraded', 'DROP VIEW v_unsealed');
($vret, $vout, $verr) = $node->psql('upgraded', 'ALTER EXTENSION ledger UPDATE');
unlike($verr, qr/WARNING/, 'no object over a changed pricing function: the update warns of nothing');
is($node->safe_psql('upgraded', "SELECT extversion FROM pg_extension WHERE extname = 'ledger'"),
	$new_version, "ALTER EXTENSION ledger UPDATE reaches $new_version");

# pg_dump --binary-upgrade lists every member object of the extension with
# its definition, privileges and comment; OIDs and the dump's own header
# are the only lines that may differ.
sub schema_of
{
	my ($db) = @_;
	my ($out, $err) = run_command(
		[
			'pg_dump', '--schema-only', '--binary-upgrade', '--no-sync',
			'-d', $node->connstr($db)
		]);
	die "pg_dump $db: $err" if $?;
	my @keep;
	for my $line (split /\n/, $out)
	{
		next if $line =~ /binary_upgrade_set_|binary_upgrade_create_empty_extension/;
		next if $line =~ /^-- (Dumped|Name: |TOC entry)/;
		next if $line =~ /^SET |^SELECT pg_catalog.set_config|^\\(un)?restrict /;
		$line =~ s/^WHERE oid = '\d+';/WHERE oid = N;/;
		$line =~ s/(relfrozenxid|relminmxid) = '\d+'/$1 = N/g;
		$line =~ s/oid = '\d+'::pg_catalog.oid/oid = N/g;
		push @keep, $line;
	}
	return join("\n", @keep) . "\n";
}
my $fresh = schema_of('fresh');
my $upgraded = schema_of('upgraded');
ok(length($fresh) > 10000, 'the fresh schema dump lists the extension\'s objects');
if (!ok($upgraded eq $fresh, "0.1.0 + update scripts = a fresh $new_version install"))
{
	my $dir = PostgreSQL::Test::Utils::tempdir();
	open(my $a, '>', "$dir/fresh.sql") or die;
	print $a $fresh;
	close $a;
	open(my $b, '>', "$dir/upgraded.sql") or die;
	print $b $upgraded;
	close $b;
	my ($diff) = run_command([ 'diff', '-u', "$dir/fresh.sql", "$dir/upgraded.sql" ]);
	diag(substr($diff, 0, 6000));
}
$node->stop;

# ---------- 2. ledgers made by the 0.1.0 binary ----------

my $old = ledger_node('old', install_path => $old_install, conf => "max_prepared_transactions = 4\n");
is($old->safe_psql('postgres', 'SELECT 1'), '1', 'a cluster runs the 0.1.0 build');
$old->safe_psql('postgres', 'CREATE EXTENSION ledger');
is($old->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'ledger'"),
	'0.1.0', 'the old installation provides 0.1.0');

# A ledger made from a table with rows (genesis), with columns of many
# types so that the canonical format of 0.1.0 is exercised, then written
# by transactions of several sizes over several blocks.
$old->safe_psql(
	'postgres', q{
SET TimeZone = 'Asia/Kolkata';
CREATE TABLE pay (id int4, payer text, amount numeric(18,2), at timestamptz,
				  d date, flag bool, f float8, raw bytea, doc jsonb, u uuid);
INSERT INTO pay SELECT g, 'payer ' || g, g * 1.25, '2026-01-01 12:00+00'::timestamptz + g * interval '1 hour',
	'2026-01-01'::date + g, g % 2 = 0, g / 3.0, decode(md5(g::text), 'hex'),
	jsonb_build_object('n', g, 'x', ARRAY[1, 2]), md5(g::text)::uuid
  FROM generate_series(1, 5) g;
SELECT ledger.create_ledger('pay');
CREATE TABLE fresh (id bigserial PRIMARY KEY, memo text NOT NULL);
SELECT ledger.create_ledger('fresh');
});
for my $size (1, 2, 7, 30)
{
	$old->safe_psql('postgres',
		"INSERT INTO pay SELECT g, 'later ' || g, g, now(), current_date, true, 0.1, '\\x00', '{}', NULL FROM generate_series(100, 99 + $size) g"
	);
	$old->safe_psql('postgres', "INSERT INTO fresh (memo) SELECT 'm' || g FROM generate_series(1, $size) g");
	$old->safe_psql('postgres', "SELECT ledger.seal()");
}

# A signed ledger, rows signed by published test keys (test/sign_rows.py).
my ($edpub) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', 'rfc8032-1' ]);
my ($ecpub) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', 'rfc6979-p256' ]);
s/\s+//g for ($edpub, $ecpub);
$old->safe_psql(
	'postgres', qq{
SELECT ledger.add_key('ed-1', 'Bank A', 'ed25519', '\\x$edpub', '2026-01-01');
SELECT ledger.add_key('ec-1', 'Bank B', 'ecdsa-p256', '\\x$ecpub', '2026-01-01');
CREATE TABLE transfers (id int PRIMARY KEY, payee text, amount numeric, key_id text, sig bytea);
SELECT ledger.create_ledger('transfers');
SELECT ledger.require_signatures('transfers', 'sig', 'key_id');
});
for my $r ([ 1, 'alice', 10, 'ed-1', 'ed25519' ], [ 2, 'bob', 20, 'ec-1', 'ecdsa-p256' ],
	[ 3, 'carol', 30.5, 'ed-1', 'ed25519' ])
{
	my ($id, $payee, $amount, $key, $alg) = @$r;
	my $msg = $old->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('transfers', ROW($id, '$payee', $amount, '$key', NULL, NULL, NULL, NULL)::transfers), 'hex')"
	);
	my $sig = sign_hex($alg, $key eq 'ed-1' ? 'rfc8032-1' : 'rfc6979-p256', $msg);
	$old->safe_psql('postgres',
		"INSERT INTO transfers VALUES ($id, '$payee', $amount, '$key', '\\x$sig')");
}
$old->safe_psql('postgres', "SELECT ledger.revoke_key('ec-1', 'rotated')");

# An extension-owned ledger: a margin call.
$old->safe_psql(
	'postgres', q{
INSERT INTO ledger.margin_products (product, style, multiplier, settlement, price_scan, vol_scan,
	short_option_minimum) VALUES ('ES', 'futures', 50, 'physical', 120, 0.05, 300);
INSERT INTO ledger.margin_prices VALUES ('ES', 4000, 0.18);
INSERT INTO ledger.margin_positions (account, product, instrument, strike, expiry, quantity, premium)
VALUES ('short', 'ES', 'future', NULL, '2026-06-19', 10, NULL);
INSERT INTO ledger.margin_collateral VALUES ('short', 'USD', 'cash', 10000);
});
is($old->safe_psql('postgres', "SELECT ledger.run_margin_calls('2026-03-20 21:00:00+00')"),
	'1', '0.1.0 writes a margin call');

my @ledgers = ('pay', 'fresh', 'transfers', 'ledger.margin_calls');
my %digest;
my %count;
for my $t (@ledgers)
{
	$digest{$t} = $old->safe_psql('postgres', "SELECT ledger.digest('$t')");
	$count{$t} = $old->safe_psql('postgres', "SELECT count(*) FROM $t");
	verify_ok($old, 'postgres', $t, $digest{$t}, "0.1.0: $t verifies");
}
my $proof_before = $old->safe_psql('postgres',
	"SELECT ledger.prove('pay', ledger_xact, ledger_seq) FROM pay WHERE id = 3");

# Objects of the administrator's over pricing functions whose results
# 0.2.0 changes (an upgrade review on 2026-12-06): american_price's default
# method goes from bjs2002 to qdfp, bsm_price moves in the last bits, and
# the index, the stored column, the constraint and the materialized view
# keep 0.1.0's values. bachelier_price and abs() do not change.
$old->safe_psql(
	'postgres', q{
CREATE TABLE opts (id int PRIMARY KEY, s float8, k float8, t float8, r float8, q float8, sigma float8,
	px float8 GENERATED ALWAYS AS (ledger.american_price('call', s, k, t, r, q, sigma)) STORED,
	CONSTRAINT opts_sane CHECK (ledger.bsm_price('call', s, k, t, r, q, sigma) >= 0));
CREATE INDEX opts_px ON opts (ledger.american_price('call', s, k, t, r, q, sigma));
CREATE INDEX opts_bachelier ON opts (ledger.bachelier_price('call', s, k, t, r, sigma));
CREATE INDEX opts_moneyness ON opts (abs(s - k));
INSERT INTO opts (id, s, k, t, r, q, sigma) VALUES (1, 100, 100, 10, 0.15, 0.05, 0.08);
INSERT INTO opts (id, s, k, t, r, q, sigma)
SELECT g, 100, 100, 10, 0.15, 0.05, 0.08 + g * 1e-6 FROM generate_series(3, 2000) g;
CREATE MATERIALIZED VIEW opts_iv AS
SELECT id, ledger.american_implied_vol('call', px, s, k, t, r, q) AS iv FROM opts WHERE id <= 10;
});

# Two signed transactions prepared under 0.1.0, left prepared across the
# package upgrade (review of 2026-12-06): p_revoked's key is revoked before
# its COMMIT PREPARED, p_kept's is not.
my ($ed2pub) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', 'rfc8032-2' ]);
$ed2pub =~ s/\s+//g;
$old->safe_psql('postgres', "SELECT ledger.add_key('ed-2', 'Bank C', 'ed25519', '\\x$ed2pub', '2026-01-01')");
for my $r ([ 10, 'ed-2', 'rfc8032-2', 'p_revoked' ], [ 11, 'ed-1', 'rfc8032-1', 'p_kept' ])
{
	my ($id, $key, $priv, $gid) = @$r;
	my $msg = $old->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('transfers', ROW($id, 'prepared', $id, '$key', NULL, NULL, NULL, NULL)::transfers), 'hex')"
	);
	my $sig = sign_hex('ed25519', $priv, $msg);
	$old->safe_psql('postgres',
		"BEGIN; INSERT INTO transfers VALUES ($id, 'prepared', $id, '$key', '\\x$sig'); PREPARE TRANSACTION '$gid'");
}
$old->stop;

# ---------- the package upgrade: new files over the old installation ----------

install_new_package($old_install);
$old->start;

# A transaction prepared under 0.1.0 recorded no keys (0.1.0 has no
# ledger.signed_prepared_keys): the new library finds them from its rows of
# ledger.signed_messages, and refuses its COMMIT PREPARED once a key is
# revoked, as for one prepared under 0.2.0 (before: it committed, and
# verify passed the row after the update).
$old->safe_psql('postgres', "SELECT ledger.revoke_key('ed-2', 'compromised')");
my ($ret, $out, $err) = $old->psql('postgres', "\\set VERBOSITY verbose\nCOMMIT PREPARED 'p_revoked'");
like($err, qr/ERROR:  23514: cannot commit prepared transaction "p_revoked": key "ed-2" that signed its rows was revoked after it was prepared/,
	'0.1.0 catalog: COMMIT PREPARED of a transaction prepared under 0.1.0 is refused after its key is revoked');
like($err, qr/DETAIL:  The key was revoked at .*; the transaction was prepared at .* on the 0\.1\.0 catalog/,
	'... saying it was prepared on the 0.1.0 catalog');
is($old->safe_psql('postgres', "SELECT count(*) FROM pg_prepared_xacts WHERE gid = 'p_revoked'"),
	'1', '... and the transaction stays prepared');

# The update refuses to start while a prepared transaction holds a lock on
# the extension's tables or a ledger, naming it (before: it waited for the
# lock on ledger.signed_ledgers forever, silently).
($ret, $out, $err) = $old->psql('postgres',
	"\\set VERBOSITY verbose\nSET lock_timeout = '5s';\nALTER EXTENSION ledger UPDATE");
like($err, qr/ERROR:  55006: cannot update extension "ledger" while prepared transactions "p_kept", "p_revoked" hold locks on its tables/,
	'the update refuses while transactions prepared under 0.1.0 hold ledger tables, naming them');
like($err, qr/HINT:  End them with COMMIT PREPARED or ROLLBACK PREPARED/, '... and says how to end them');

# One whose key is still valid commits in the window (and verifies after
# the update, below); the update then names only the other.
($ret, $out, $err) = $old->psql('postgres', "COMMIT PREPARED 'p_kept'");
is($ret, 0, '0.1.0 catalog: COMMIT PREPARED of a transaction prepared under 0.1.0 with a valid key commits');
$count{transfers}++;
($ret, $out, $err) = $old->psql('postgres',
	"\\set VERBOSITY verbose\nSET lock_timeout = '5s';\nALTER EXTENSION ledger UPDATE");
like($err, qr/ERROR:  55006: cannot update extension "ledger" while prepared transaction "p_revoked" holds locks on its tables/,
	'... the update then names the one left');
$old->safe_psql('postgres', "ROLLBACK PREPARED 'p_revoked'");

# Before ALTER EXTENSION UPDATE the new library refuses to read or write
# the 0.1.0 catalog, with a clear error, rather than misread it; nothing is
# written.
($ret, $out, $err) = $old->psql('postgres', "SELECT ok FROM ledger.verify('pay', '$digest{pay}')");
like($err, qr/extension "ledger" is at version 0\.1\.0, but its library needs version \Q$new_version\E/,
	'new library, 0.1.0 catalog: verify refuses');
like($err, qr/ALTER EXTENSION ledger UPDATE/, '... and says what to run');
($ret, $out, $err) = $old->psql('postgres',
	"INSERT INTO fresh (memo) VALUES ('between package upgrade and ALTER EXTENSION UPDATE')");
isnt($ret, 0, 'new library, 0.1.0 catalog: an insert into a ledger is refused');
like($err, qr/is at version 0\.1\.0/, '... with the same error');
# seal() reached the work list first: 42P01, relation "ledger.seal_queue"
# does not exist (an upgrade review on 2026-12-06)
for my $call ("ledger.seal('pay')", 'ledger.seal()')
{
	($ret, $out, $err) = $old->psql('postgres', "\\set VERBOSITY verbose\nSELECT $call");
	like($err, qr/ERROR:  55000: extension "ledger" is at version 0\.1\.0, but its library needs version \Q$new_version\E/,
		"new library, 0.1.0 catalog: $call refuses with the same error");
}
is($old->safe_psql('postgres', 'SELECT count(*) FROM fresh'), $count{fresh}, '... and writes nothing');

# The update refuses a schema holding what is not the extension's: the
# script, run by a superuser, could find it instead of its own (review of
# 2026-12-05); and one whose CREATE is granted to another role.
$old->safe_psql('postgres', 'CREATE FUNCTION ledger._prepare_builtin(t text) RETURNS void LANGUAGE sql AS $$SELECT$$');
($ret, $out, $err) = $old->psql('postgres', "\\set VERBOSITY verbose\nALTER EXTENSION ledger UPDATE");
like($err, qr/ERROR:  55000: schema "ledger" holds function (ledger\.)?_prepare_builtin\(text\), which is not part of the extension/,
	'the update refuses a function in schema ledger that is not the extension\'s');
$old->safe_psql('postgres', 'DROP FUNCTION ledger._prepare_builtin(text); GRANT CREATE ON SCHEMA ledger TO PUBLIC');
($ret, $out, $err) = $old->psql('postgres', "\\set VERBOSITY verbose\nALTER EXTENSION ledger UPDATE");
like($err, qr/ERROR:  42501: schema "ledger" grants CREATE to PUBLIC/, '... and a schema granting CREATE to PUBLIC');
$old->safe_psql('postgres', 'REVOKE CREATE ON SCHEMA ledger FROM PUBLIC');

($ret, $out, $err) = $old->psql('postgres', "\\set VERBOSITY verbose\nALTER EXTENSION ledger UPDATE");
is($old->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'ledger'"),
	$new_version, "updated to $new_version");

# Each object over a function whose results changed is named in a WARNING
# with the command that recomputes it; the others are not (before: the
# update said nothing, and the index kept 0.1.0's values).
like($err, qr/WARNING:  01000: index public\.opts_px depends on function ledger\.american_price, whose results changed in ledger 0\.2\.0\n.*\nHINT:  Rebuild it: REINDEX INDEX public\.opts_px;/,
	'update: a WARNING names the index over american_price, with REINDEX');
like($err, qr/WARNING:  01000: generated column px of table public\.opts depends on function ledger\.american_price, .*\n.*\nHINT:  Recompute them: UPDATE public\.opts SET s = s;/,
	'... the stored generated column, with the UPDATE that recomputes it');
like($err, qr/WARNING:  01000: constraint opts_sane of table public\.opts depends on function ledger\.bsm_price, .*\n.*\nHINT:  Find the rows that fail it now: SELECT \* FROM public\.opts WHERE NOT \(\(ledger\.bsm_price\(/,
	'... the CHECK constraint over bsm_price, with a query for the rows that fail it');
like($err, qr/WARNING:  01000: materialized view public\.opts_iv depends on function ledger\.american_implied_vol, .*\n.*\nHINT:  Recompute it: REFRESH MATERIALIZED VIEW public\.opts_iv;/,
	'... the materialized view, with REFRESH');
my @warnings = ($err =~ /WARNING:  /g);
is(scalar(@warnings), 4, '... four WARNINGs in all');
unlike($err, qr/opts_bachelier|opts_moneyness|opts_pkey/,
	'... none for the indexes over bachelier_price (unchanged), a built-in and a column');

# The index holds 0.1.0's prices until REINDEX; then an index scan returns
# what a sequential scan does.
{
	my $q = "SELECT string_agg(id::text, ',' ORDER BY id) FROM opts WHERE ledger.american_price('call', s, k, t, r, q, sigma) BETWEEN";
	my $idx = "SET enable_seqscan = off; SET enable_bitmapscan = off;";
	my $seq = "SET enable_indexscan = off; SET enable_bitmapscan = off;";
	like($old->safe_psql('postgres', "$idx EXPLAIN (COSTS OFF) $q 38.5681 AND 38.5682"),
		qr/Index Scan using opts_px/, 'the query scans index opts_px');
	isnt($old->safe_psql('postgres', "$idx $q 38.5681 AND 38.5682"),
		$old->safe_psql('postgres', "$seq $q 38.5681 AND 38.5682"),
		'before REINDEX the index answers with 0.1.0\'s prices');
	$old->safe_psql('postgres', 'REINDEX INDEX public.opts_px');
	for my $range ('38.5681 AND 38.5682', '38.56831 AND 38.56834')
	{
		is($old->safe_psql('postgres', "$idx $q $range"), $old->safe_psql('postgres', "$seq $q $range"),
			"after REINDEX the index answers as a sequential scan does ($range)");
	}
	my $stale = "SELECT count(*) FROM opts WHERE px <> ledger.american_price('call', s, k, t, r, q, sigma)";
	isnt($old->safe_psql('postgres', $stale), '0', 'the generated column holds 0.1.0\'s prices');
	$old->safe_psql('postgres', 'UPDATE public.opts SET s = s; REFRESH MATERIALIZED VIEW public.opts_iv');
	is($old->safe_psql('postgres', $stale), '0', '... and the hint\'s UPDATE recomputes them');
}

# Right after the update every newest block is one 0.1.0 sealed: its digest
# has no history root ("tree_root": null), which tools/ledger-audit takes as
# a digest without a history tree (before: "malformed", found by a review
# on 2026-12-05), and ledger.checkpoint refuses with 55000 (before: a NULL
# root reached the catalog).
{
	my $d = $old->safe_psql('postgres', "SELECT ledger.digest('pay')");
	like($d, qr/"tree_root": null/, 'right after the update, the digest of a 0.1.0 block has no history root');
	my $dir = PostgreSQL::Test::Utils::tempdir();
	for ([ 'p.json', $proof_before ], [ 'd.json', $d ])
	{
		open(my $fh, '>', "$dir/$_->[0]") or die $!;
		print $fh $_->[1];
		close($fh);
	}
	my ($out, $err) = run_command([ 'python3', ($ENV{TESTDIR} // '.') . '/tools/ledger-audit',
		'inclusion', "$dir/p.json", "$dir/d.json" ]);
	like($out, qr/^OK: .* matching block \d+ of the digest/, '... tools/ledger-audit checks the 0.1.0 proof against it');
	$old->safe_psql('postgres', "SELECT ledger.set_institution('bank-a.example', 'ed-1')");
	my ($ret, $cout, $cerr) = $old->psql('postgres', "\\set VERBOSITY verbose\nSELECT ledger.checkpoint('pay')");
	like($cerr, qr/ERROR:  55000: ledger "(public\.)?pay" has no block with a history tree yet/,
		'... and ledger.checkpoint says there is no history tree yet');
}

is($old->safe_psql('postgres', "SELECT string_agg(id::text, ',' ORDER BY id) FROM transfers WHERE id >= 10"),
	'11', 'of the transactions prepared under 0.1.0, the one committed is there, the one refused is not');
for my $t (@ledgers)
{
	is($old->safe_psql('postgres', "SELECT count(*) FROM $t"), $count{$t}, "$t keeps its rows");
	verify_ok($old, 'postgres', $t, $digest{$t}, "after the update: $t verifies against its 0.1.0 digest");
}

# New rows after the update, sealed on top of the 0.1.0 blocks.
$old->safe_psql('postgres',
	"INSERT INTO pay SELECT g, 'after ' || g, g, now(), current_date, false, 0.5, '\\x01', '[]', NULL FROM generate_series(200, 209) g"
);
$old->safe_psql('postgres', "INSERT INTO fresh (memo) VALUES ('after the update')");
my $msg = $old->safe_psql('postgres',
	"SELECT encode(ledger.signing_bytes('transfers', ROW(4, 'dave', 40, 'ed-1', NULL, NULL, NULL, NULL)::transfers), 'hex')"
);
my $sig = sign_hex('ed25519', 'rfc8032-1', $msg);
$old->safe_psql('postgres', "INSERT INTO transfers VALUES (4, 'dave', 40, 'ed-1', '\\x$sig')");
($ret, $out, $err) = $old->psql('postgres',
	"INSERT INTO transfers VALUES (5, 'eve', 50, 'ec-1', '\\x$sig')");
like($err, qr/revoked|not valid|signature/, 'a key revoked under 0.1.0 stays revoked');
for my $t (@ledgers)
{
	my $new_digest = $old->safe_psql('postgres', "SELECT ledger.digest('$t')");
	verify_ok($old, 'postgres', $t, $digest{$t}, "new rows: $t still verifies against its 0.1.0 digest");
	verify_ok($old, 'postgres', $t, $new_digest, "new rows: $t verifies against its new digest");
}
is($old->safe_psql('postgres', 'SELECT count(*) FROM pay'), $count{pay} + 10, 'pay took 10 rows');

# Proofs across the update (tools/ledger-audit, no database): the proof the
# 0.1.0 library gave (proof_version 1) still checks against its digest; the
# new library gives the same proof to the same format-1 block, and a
# compact proof_version 2 of the same format-1 row to the newest block.
{
	my $tool = ($ENV{TESTDIR} // '.') . '/tools/ledger-audit';
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my $audit = sub {
		my ($proof, $digest) = @_;
		open(my $fh, '>', "$dir/p.json") or die $!;
		print $fh $proof;
		close($fh);
		open($fh, '>', "$dir/d.json") or die $!;
		print $fh $digest;
		close($fh);
		my ($out, $err) = ('', '');
		IPC::Run::run([ 'python3', $tool, 'inclusion', "$dir/p.json", "$dir/d.json" ], '>', \$out, '2>', \$err);
		return $out . $err;
	};
	like($audit->($proof_before, $digest{pay}), qr/^OK: row \(\d+, leaf \d+ of \d+; row format 1 binds no sequence number\) of public\.pay: in block \d+, chained to block \d+ [0-9a-f]{64}, matching block \d+ of the digest/,
		'the proof of the 0.1.0 library checks against its digest after the update');
	my $block = $old->safe_psql('postgres', "SELECT '$digest{pay}'::jsonb->>'block'");
	my $v1 = $old->safe_psql('postgres',
		"SELECT ledger.prove('pay', ledger_xact, ledger_seq, $block) FROM pay WHERE id = 3");
	is($v1, $proof_before, 'the new library gives the 0.1.0 proof (proof_version 1) to the same block, byte for byte');
	my $v2 = $old->safe_psql('postgres', "SELECT ledger.prove('pay', ledger_xact, ledger_seq) FROM pay WHERE id = 3");
	like($v2, qr/"proof_version": 2/, 'to the newest block, a proof_version 2');
	like($audit->($v2, $old->safe_psql('postgres', "SELECT ledger.digest('pay')")),
		qr/^OK: row \(\d+, leaf \d+ of \d+; row format 1 binds no sequence number\) of public\.pay: transaction \d+ is history leaf \d+ of \d+, root \S+, block \d+ [0-9a-f]{64}, matching block \d+ of the digest$/m,
		'... of a format-1 row, checked against the newest digest');
}

# Tampering with a row written by 0.1.0 is still caught.
$old->safe_psql(
	'postgres', q{
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER TABLE pay DISABLE TRIGGER ledger_append_only, DISABLE TRIGGER ledger_append_only_row;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
UPDATE pay SET amount = 1000000 WHERE id = 3;
ALTER TABLE pay ENABLE ALWAYS TRIGGER ledger_append_only, ENABLE ALWAYS TRIGGER ledger_append_only_row;
});
my $v = verify($old, 'postgres', 'pay', $digest{pay});
is($v->{ok}, 'f', 'an edited 0.1.0 row is detected after the update');
like($v->{problem}, qr/does not match its stored hash/, '... by its row hash');
ok(length($proof_before) > 100, 'a 0.1.0 proof was taken');

$old->stop;
done_testing();
