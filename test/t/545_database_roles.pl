
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Database- and role-level operations a bank's DBA runs, on a cluster with
# ordinary and signed ledgers, the sealer running and a peer replicating
# (a review of 2026-12-07):
#  1. Roles.  ALTER ROLE ... NOSUPERUSER of the role that installed the
#     extension let that role, still owner of the extension's tables and
#     functions, delete history records and replace the PL/pgSQL function of
#     one of the extension's event triggers, which then ran as the next
#     superuser running DDL: the demoted role made itself superuser again.
#     It is now refused, from any database (the fix; it failed before).
#     REASSIGN OWNED of the extension's owner to a role that is not a
#     superuser is refused by PostgreSQL itself; ALTER TABLE ... OWNER TO,
#     REASSIGN OWNED of a table owner, ALTER ROLE ... RENAME, DROP OWNED and
#     DROP ROLE of roles that own ledgers, hold grants or added keys leave
#     every guard in place, and inserts, signed inserts, sealing and verify
#     against the digest taken before go on.
#  2. Databases.  CREATE DATABASE ... TEMPLATE (wal_log and file_copy) makes
#     a fork under the same uuids, sealed in the copy; a peer database that
#     replicates the original refuses the copy's publication, and takes it
#     over after drop_subscription only as an equivocation.  ALTER DATABASE
#     RENAME, SET TABLESPACE and DROP DATABASE right after a commit wait for
#     the sealer's exit (about a second), not fail; the sealer seals the
#     renamed database; DROP DATABASE ... WITH (FORCE) ends a busy sealer.
#     A database marked IS_TEMPLATE is not sealed in the background
#     (documented), seal() seals it.
#  3. DR rehearsal: pg_dumpall --globals-only and pg_dump of one database
#     restored into a new cluster under another name, with the roles and
#     with --no-owner and no roles at all: both verify against the digests
#     taken before, and take inserts and signed inserts.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use LedgerTest;
use SyncTest;

my $a = sync_node('dbr_origin');
my $b = sync_node('dbr_peer', db => 'bank');

my ($pub) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', 'rfc8032-1' ]);
$pub =~ s/\s+//g;

# the extension is installed by "dba", a superuser that is not the bootstrap
# superuser; the ledgers belong to "tabowner"
$a->safe_psql('postgres', q{
	CREATE ROLE dba SUPERUSER LOGIN;
	CREATE ROLE tabowner LOGIN;
	CREATE ROLE newowner LOGIN;
	CREATE ROLE app LOGIN;
	CREATE ROLE keyadm LOGIN;
	CREATE ROLE nonsuper LOGIN;
	CREATE DATABASE bank OWNER dba;
});

sub run_as
{
	my ($node, $db, $user, $sql) = @_;
	return $node->psql($db, "\\set VERBOSITY verbose\n$sql", extra_params => [ '-U', $user ]);
}

sub signed_values
{
	my ($node, $db, $id, $memo) = @_;
	my $hex = $node->safe_psql($db,
		"SELECT encode(ledger.signing_bytes('own.spay', ROW($id, '$memo', 'k1', NULL, NULL, NULL, NULL)::own.spay), 'hex')"
	);
	return "($id, '$memo', 'k1', '\\x" . sign_hex('ed25519', 'rfc8032-1', $hex) . "')";
}

my ($ret, $out, $err) = run_as($a, 'bank', 'dba', qq{
	CREATE EXTENSION ledger;
	GRANT USAGE ON SCHEMA ledger TO tabowner, newowner, app, keyadm, nonsuper;
	GRANT EXECUTE ON FUNCTION ledger.create_ledger(regclass) TO tabowner;
	GRANT EXECUTE ON FUNCTION ledger.require_signatures(regclass, name, name) TO tabowner;
	GRANT EXECUTE ON FUNCTION ledger.add_key(text, text, text, bytea, timestamptz, timestamptz) TO keyadm;
	GRANT INSERT, UPDATE ON ledger.keys TO keyadm;
	CREATE SCHEMA own AUTHORIZATION tabowner;
	GRANT USAGE ON SCHEMA own TO app, newowner;
});
is($ret, 0, 'the extension installed by a superuser that is not the bootstrap superuser') or diag($err);
($ret, $out, $err) = run_as($a, 'bank', 'tabowner', q{
	CREATE TABLE own.pay (id int PRIMARY KEY, amount numeric);
	SELECT ledger.create_ledger('own.pay');
	CREATE TABLE own.spay (id int PRIMARY KEY, memo text, key_id text, sig bytea);
	SELECT ledger.create_ledger('own.spay');
	SELECT ledger.require_signatures('own.spay', 'sig', 'key_id');
	GRANT SELECT, INSERT ON own.pay, own.spay TO app;
	INSERT INTO own.pay SELECT g, g FROM generate_series(1, 5) g;
});
is($ret, 0, 'the table owner makes an ordinary and a signed ledger') or diag($err);
run_as($a, 'bank', 'keyadm', qq{SELECT ledger.add_key('k1', 'alice', 'ed25519', '\\x$pub', '2000-01-01')});
run_as($a, 'bank', 'app', 'INSERT INTO own.spay VALUES ' . signed_values($a, 'bank', 1, 'one'));
ok(wait_sealed($a, 'bank'), 'sealed in the background');
my $d_pay = digest_of($a, 'own.pay', 'bank');
my $d_spay = digest_of($a, 'own.spay', 'bank');

my $next = 100;

# insert (ordinary and signed, as the application), wait for sealing, verify
# both ledgers against the digests taken at the start
sub still_works
{
	my ($label) = @_;
	$next++;
	my ($r1, $o1, $e1) = run_as($a, 'bank', 'app', "INSERT INTO own.pay VALUES ($next, 1)");
	my ($r2, $o2, $e2) = run_as($a, 'bank', 'app', 'INSERT INTO own.spay VALUES ' . signed_values($a, 'bank', $next, $label));
	is("$r1/$r2", '0/0', "$label: inserts and signed inserts go on") or diag("$e1 $e2");
	ok(wait_sealed($a, 'bank', 30), "$label: sealed");
	verify_ok($a, 'bank', 'own.pay', $d_pay, "$label: the ledger verifies against the digest taken before");
	verify_ok($a, 'bank', 'own.spay', $d_spay, "$label: the signed ledger too");
}

# the attacks of test/t/330_attack_review.pl by a ledger's owner
sub owner_guards
{
	my ($user, $label) = @_;
	my @refused;
	for my $sql ('UPDATE own.pay SET amount = 0', 'DELETE FROM own.pay', 'TRUNCATE own.pay',
		'ALTER TABLE own.pay DISABLE TRIGGER ALL', 'ALTER TABLE own.pay ENABLE TRIGGER zz_ledger_row',
		'DROP TABLE own.pay', 'ALTER TABLE own.pay DROP COLUMN amount', 'DELETE FROM ledger.blocks',
		'DELETE FROM own.spay')
	{
		my ($r, $o, $e) = run_as($a, 'bank', $user, "BEGIN; $sql; ROLLBACK");
		push @refused, $sql if $e =~ /ERROR/;
	}
	is(scalar(@refused), 9, "$label: the new owner's UPDATE, DELETE, TRUNCATE, DROP and trigger changes are refused")
	  or diag("refused: @refused");
}

# ---------- 1. roles ----------
($ret, $out, $err) = run_as($a, 'bank', 'dba', 'ALTER TABLE own.pay OWNER TO newowner; ALTER TABLE own.spay OWNER TO newowner');
is($ret, 0, 'ALTER TABLE ... OWNER TO of both ledgers') or diag($err);
owner_guards('newowner', 'OWNER TO');
still_works('owner_to');
run_as($a, 'bank', 'dba', 'ALTER TABLE own.pay OWNER TO tabowner; ALTER TABLE own.spay OWNER TO tabowner');

($ret, $out, $err) = run_as($a, 'bank', 'dba', 'REASSIGN OWNED BY tabowner TO newowner');
is($ret, 0, 'REASSIGN OWNED BY the table owner') or diag($err);
is( $a->safe_psql('bank',
		"SELECT string_agg(tgname || '=' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'own.pay'::regclass"
	),
	'ledger_append_only=A,ledger_append_only_row=A,zz_ledger_row=A',
	'... the ledger\'s triggers still fire always');
owner_guards('newowner', 'REASSIGN OWNED');
still_works('reassign');

($ret, $out, $err) = run_as($a, 'bank', 'dba', 'ALTER ROLE newowner RENAME TO newowner2; ALTER ROLE keyadm RENAME TO keyadm2');
is($ret, 0, 'ALTER ROLE ... RENAME of the table owner and of the role that added the key') or diag($err);
still_works('rename');
run_as($a, 'bank', 'dba', 'ALTER ROLE newowner2 RENAME TO newowner; ALTER ROLE keyadm2 RENAME TO keyadm');

($ret, $out, $err) = run_as($a, 'bank', 'dba', 'DROP OWNED BY keyadm; DROP ROLE keyadm');
is($ret, 0, 'DROP OWNED and DROP ROLE of the role that added the key (added_by is text)') or diag($err);
is($a->safe_psql('bank', "SELECT added_by FROM ledger.keys WHERE key_id = 'k1'"), 'keyadm', '... the key keeps its added_by');
($ret, $out, $err) = run_as($a, 'bank', 'dba', 'DROP OWNED BY app');
is($ret, 0, 'DROP OWNED BY a role that only holds grants on the ledgers') or diag($err);
run_as($a, 'bank', 'dba', 'GRANT USAGE ON SCHEMA ledger, own TO app; GRANT SELECT, INSERT ON own.pay, own.spay TO app');
still_works('drop_owned');
($ret, $out, $err) = run_as($a, 'bank', 'dba', 'DROP OWNED BY newowner');
like($err, qr/cannot drop ledger table own\.pay/, 'DROP OWNED BY the ledgers\' owner is refused by the drop guard');

# the extension's owner: REASSIGN to a role that is not a superuser
($ret, $out, $err) = run_as($a, 'bank', 'postgres', 'REASSIGN OWNED BY dba TO nonsuper');
like($err, qr/ERROR:  42501: cannot reassign the objects of role "dba" to role "nonsuper"/,
	'REASSIGN OWNED of the extension\'s owner to a role that is not a superuser is refused');
is($a->safe_psql('bank', "SELECT extowner::regrole FROM pg_extension WHERE extname = 'ledger'"),
	'dba', '... the extension keeps its owner');

# the extension's owner demoted: refused from its database and from another
for my $db ('bank', 'postgres')
{
	($ret, $out, $err) = run_as($a, $db, 'postgres', 'ALTER ROLE dba NOSUPERUSER');
	like($err, qr/ERROR:  2BP01: cannot remove the superuser attribute of role "dba".*event triggers in database bank/s,
		"ALTER ROLE ... NOSUPERUSER of the extension's owner is refused (run in database $db)");
}
($ret, $out, $err) = run_as($a, 'postgres', 'postgres', 'ALTER USER dba WITH CREATEDB NOSUPERUSER');
like($err, qr/cannot remove the superuser attribute of role "dba"/, '... as ALTER USER ... WITH CREATEDB NOSUPERUSER too');
($ret, $out, $err) = run_as($a, 'bank', 'dba', 'ALTER ROLE dba NOSUPERUSER');
like($err, qr/cannot remove the superuser attribute of role "dba"/, '... and when dba demotes itself');
is($a->safe_psql('postgres', "SELECT rolsuper FROM pg_roles WHERE rolname = 'dba'"), 't', '... dba is still a superuser');

# its event triggers given to another superuser: the extension's owner is
# still refused where it owns the extension
$a->safe_psql('bank', q{DO $$ DECLARE t text; BEGIN
	FOR t IN SELECT evtname FROM pg_event_trigger LOOP
		EXECUTE pg_catalog.format('ALTER EVENT TRIGGER %I OWNER TO postgres', t);
	END LOOP; END $$});
($ret, $out, $err) = run_as($a, 'bank', 'postgres', 'ALTER ROLE dba NOSUPERUSER');
like($err, qr/cannot remove the superuser attribute of role "dba".*owns extension ledger in this database/s,
	'the extension\'s owner without its event triggers: refused in its database');

# ... and REASSIGN OWNED to a role that is not a superuser, which
# PostgreSQL no longer refuses once the event triggers are another's: it
# gave the extension and its tables to nonsuper, who deleted history
($ret, $out, $err) = run_as($a, 'bank', 'postgres', 'REASSIGN OWNED BY dba TO nonsuper');
like($err, qr/ERROR:  42501: cannot reassign the objects of role "dba" to role "nonsuper"/,
	'the extension\'s owner without its event triggers: REASSIGN OWNED to a role that is not a superuser is refused');
is($a->safe_psql('bank',
		"SELECT count(*) FROM pg_class WHERE relnamespace = 'ledger'::regnamespace AND relowner = 'nonsuper'::regrole"),
	'0', '... nonsuper owns none of the extension\'s tables');
($ret, $out, $err) = run_as($a, 'bank', 'postgres', 'REASSIGN OWNED BY tabowner, dba TO nonsuper');
like($err, qr/cannot reassign the objects of role "dba"/, '... also with the owner second in the list');

# a demotion after the ownership went to another superuser passes
($ret, $out, $err) = run_as($a, 'bank', 'postgres', 'REASSIGN OWNED BY dba TO postgres');
is($ret, 0, 'REASSIGN OWNED BY the extension\'s owner to another superuser') or diag($err);
($ret, $out, $err) = run_as($a, 'postgres', 'postgres', 'ALTER ROLE dba NOSUPERUSER');
is($ret, 0, '... then ALTER ROLE ... NOSUPERUSER passes') or diag($err);
($ret, $out, $err) = run_as($a, 'bank', 'dba', 'BEGIN; DELETE FROM ledger.blocks; ROLLBACK');
like($err, qr/permission denied for table blocks/, '... and the demoted role cannot touch the history');
($ret, $out, $err) = run_as($a, 'postgres', 'postgres', 'ALTER ROLE nonsuper NOSUPERUSER');
is($ret, 0, 'ALTER ROLE ... NOSUPERUSER of a role that is no superuser passes');
still_works('extension_owner');

# ---------- 2. databases ----------
# a peer replicates the bank's ledgers
$a->safe_psql('bank', "SELECT ledger.create_publication('bank_pub', ARRAY['own.pay'::regclass, 'own.spay'::regclass])");
$b->safe_psql('bank', 'CREATE SCHEMA own');
my $ci = conninfo($a, 'bank');
is($b->safe_psql('bank', "SELECT ledger.create_subscription('peer_from_bank', '$ci', 'bank_pub')"),
	'2', 'the peer replicates both ledgers');
ok(defined caught_up($a, $b, 'own.pay', 'bank'), '... and has caught up');

sub timed
{
	my ($node, $db, $sql) = @_;
	my $t = time;
	my ($r, $o, $e) = $node->psql($db, $sql);
	return ($r, $e, time - $t);
}

# the peer's walsender is a session of the database: PostgreSQL's refusal
my ($r, $e, $secs) = timed($a, 'postgres', 'CREATE DATABASE clone_w TEMPLATE bank STRATEGY wal_log');
like($e, qr/source database "bank" is being accessed by other users/,
	'CREATE DATABASE ... TEMPLATE while a peer streams from it: PostgreSQL refuses (the walsender is a session)');
$b->safe_psql('bank', 'ALTER SUBSCRIPTION peer_from_bank DISABLE');
poll_until($a, "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = 'bank' AND backend_type = 'walsender'", 30);

# a commit just before: the sealer is connected, and leaves within a second
my %uuid;
for my $c ([ 'clone_w', 'wal_log' ], [ 'clone_f', 'file_copy' ])
{
	my ($db, $strategy) = @$c;
	$next++;
	$a->safe_psql('bank', "INSERT INTO own.pay VALUES ($next, 1)");
	($r, $e, $secs) = timed($a, 'postgres', "CREATE DATABASE $db TEMPLATE bank STRATEGY $strategy");
	is($r, 0, "CREATE DATABASE ... TEMPLATE bank STRATEGY $strategy right after a commit") or diag($e);
	ok($secs < 4, "... waits for the sealer's exit only ($secs s)");
	$next++;
	$a->safe_psql($db, "INSERT INTO own.pay VALUES ($next, 1)");
	$a->safe_psql($db, 'INSERT INTO own.spay VALUES ' . signed_values($a, $db, $next, $db));
	ok(wait_sealed($a, $db, 30), "... the copy's sealer seals it");
	verify_ok($a, $db, 'own.pay', $d_pay, '... the copy verifies against the original\'s digest');
	verify_ok($a, $db, 'own.spay', $d_spay, '... its signed ledger too');
	$uuid{$db} = $a->safe_psql($db, "SELECT string_agg(ledger_uuid::text, ',' ORDER BY ledger_uuid) FROM ledger.ledgers");
}
$next++;
$a->safe_psql('bank', "INSERT INTO own.pay VALUES ($next, 1)");
ok(wait_sealed($a, 'bank', 30), 'the original is sealed');
$uuid{bank} = $a->safe_psql('bank', "SELECT string_agg(ledger_uuid::text, ',' ORDER BY ledger_uuid) FROM ledger.ledgers");
is("$uuid{clone_w} $uuid{clone_f}", "$uuid{bank} $uuid{bank}", 'the copies hold the same ledgers (uuids)');
is($a->safe_psql('clone_f', 'SELECT string_agg(pubname, \',\') FROM pg_publication'), 'bank_pub',
	'... and the publication');
my %head = map { $_ => $a->safe_psql($_, "SELECT ledger.digest('own.pay')::jsonb->>'block_hash'") } qw(bank clone_w);
isnt($head{clone_w}, $head{bank}, '... with other histories since: a fork');

# the copy published to the peer that replicates the original
$a->safe_psql('clone_w', "SELECT ledger.create_publication('clone_pub', ARRAY['own.pay'::regclass, 'own.spay'::regclass])");
my $cic = conninfo($a, 'clone_w');
($r, $out, $e) = $b->psql('bank', "SELECT ledger.create_subscription('peer_from_clone', '$cic', 'clone_pub')");
like($e, qr/ledger own\.pay is a replica that subscription "peer_from_bank" writes/,
	'the peer refuses the copy\'s publication: its replica has a subscription');
# another database at the peer, which never held the original's history
$b->safe_psql('postgres', 'CREATE DATABASE other');
$b->safe_psql('other', 'CREATE EXTENSION ledger; CREATE SCHEMA own');
is($b->safe_psql('other', "SELECT ledger.create_subscription('other_from_clone', '$cic', 'clone_pub')"),
	'2', 'a peer database that never held the original accepts the copy as the ledgers (documented)');
$b->safe_psql('other', "SELECT ledger.drop_subscription('other_from_clone')");
$b->safe_psql('bank', 'ALTER SUBSCRIPTION peer_from_bank ENABLE');
ok(defined caught_up($a, $b, 'own.pay', 'bank'), 'the peer catches up with the original');
$b->safe_psql('bank', "SELECT ledger.drop_subscription('peer_from_bank')");
($r, $out, $e) = $b->psql('bank', "SELECT ledger.create_subscription('peer_from_clone', '$cic', 'clone_pub')");
like($e, qr/equivocation: the origin's ledger own\.(s?pay) differs from the replica held here/,
	'... and, its subscription dropped, takes the copy over only as an equivocation');
$a->safe_psql('clone_w', 'DROP PUBLICATION clone_pub');

# ALTER DATABASE ... RENAME, SET TABLESPACE, DROP DATABASE right after a commit
$next++;
$a->safe_psql('clone_f', "INSERT INTO own.pay VALUES ($next, 1)");
($r, $e, $secs) = timed($a, 'postgres', 'ALTER DATABASE clone_f RENAME TO clone_r');
is($r, 0, 'ALTER DATABASE ... RENAME right after a commit') or diag($e);
ok($secs < 4, "... waits for the sealer's exit only ($secs s)");
$next++;
$a->safe_psql('clone_r', "INSERT INTO own.pay VALUES ($next, 1)");
ok(wait_sealed($a, 'clone_r', 30), '... the renamed database is sealed');
my $ts = PostgreSQL::Test::Utils::tempdir();
$a->safe_psql('postgres', "CREATE TABLESPACE dbr_ts LOCATION '$ts'");
$next++;
$a->safe_psql('clone_r', "INSERT INTO own.pay VALUES ($next, 1)");
($r, $e, $secs) = timed($a, 'postgres', 'ALTER DATABASE clone_r SET TABLESPACE dbr_ts');
is($r, 0, 'ALTER DATABASE ... SET TABLESPACE right after a commit') or diag($e);
ok($secs < 4, "... waits for the sealer's exit only ($secs s)");
$next++;
$a->safe_psql('clone_r', "INSERT INTO own.pay VALUES ($next, 1)");
ok(wait_sealed($a, 'clone_r', 30), '... the moved database is sealed');
verify_ok($a, 'clone_r', 'own.pay', $d_pay, '... and verifies');

# a database marked as a template: not sealed in the background
$a->safe_psql('postgres', 'ALTER DATABASE clone_r IS_TEMPLATE true');
poll_until($a, "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = 'clone_r'", 10);
$next++;
$a->safe_psql('clone_r', "INSERT INTO own.pay VALUES ($next, 1)");
sleep 1.5;
is($a->safe_psql('clone_r', 'SELECT count(*) FROM ledger.transaction_blocks WHERE block_no IS NULL'),
	'1', 'a database marked IS_TEMPLATE is not sealed in the background');
$a->safe_psql('clone_r', 'SELECT ledger.seal()');
ok(wait_sealed($a, 'clone_r', 1), '... seal() seals it');
$a->safe_psql('postgres', 'ALTER DATABASE clone_r IS_TEMPLATE false');

$next++;
$a->safe_psql('clone_r', "INSERT INTO own.pay VALUES ($next, 1)");
($r, $e, $secs) = timed($a, 'postgres', 'DROP DATABASE clone_r');
is($r, 0, 'DROP DATABASE right after a commit') or diag($e);
ok($secs < 4, "... waits for the sealer's exit only ($secs s)");

# a busy sealer: WITH (FORCE) ends it with the writers
my $load = load_start($a, db => 'clone_w', clients => 2, secs => 4,
	scripts => [ [ "INSERT INTO own.pay SELECT 1000000 + (random() * 1e9)::int, 1 ON CONFLICT DO NOTHING;\n", 1 ] ]);
poll_until($a, "SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type LIKE 'ledger sealer%' AND datname = 'clone_w'", 10);
($r, $e, $secs) = timed($a, 'postgres', 'DROP DATABASE clone_w WITH (FORCE)');
is($r, 0, 'DROP DATABASE ... WITH (FORCE) while its sealer is busy') or diag($e);
ok($secs < 4, "... ends the sealer ($secs s)");
load_finish($load);
$next++;
$a->safe_psql('bank', "INSERT INTO own.pay VALUES ($next, 1)");
ok(wait_sealed($a, 'bank', 30), 'the other databases are still sealed');

# ---------- 3. DR rehearsal: another cluster, another database name ----------
my $dir = PostgreSQL::Test::Utils::tempdir();
my ($o, $err2) = run_command([ 'pg_dumpall', '--globals-only', '-d', $a->connstr('postgres'), '-f', "$dir/globals.sql" ]);
is($err2, '', 'pg_dumpall --globals-only');
($o, $err2) = run_command([ 'pg_dump', '-Fc', '-d', $a->connstr('bank'), '-f', "$dir/bank.dump" ]);
is($err2, '', 'pg_dump -Fc of the bank database');

my $dr = ledger_node('dbr_dr');
run_command([ 'psql', '-X', '-q', '-d', $dr->connstr('postgres'), '-f', "$dir/globals.sql" ]);
$dr->safe_psql('postgres', 'CREATE DATABASE bank_dr');
($o, $err2) = run_command([ 'pg_restore', '-d', $dr->connstr('bank_dr'), "$dir/bank.dump" ]);
is($err2, '', 'restored with its roles under another database name');
my $dr2 = ledger_node('dbr_dr2');
$dr2->safe_psql('postgres', 'CREATE DATABASE other_name');
($o, $err2) = run_command([ 'pg_restore', '--no-owner', '--no-acl', '-d', $dr2->connstr('other_name'), "$dir/bank.dump" ]);
is($err2, '', 'restored with --no-owner --no-acl into a cluster without the roles');
for my $t ([ $dr, 'bank_dr' ], [ $dr2, 'other_name' ])
{
	my ($node, $db) = @$t;
	ok(wait_sealed($node, $db, 30), "$db: sealed");
	verify_ok($node, $db, 'own.pay', $d_pay, "$db: verifies against the digest taken before");
	verify_ok($node, $db, 'own.spay', $d_spay, "$db: the signed ledger too");
	$node->safe_psql($db, 'INSERT INTO own.pay VALUES (9999, 1)');
	$node->safe_psql($db, 'INSERT INTO own.spay VALUES ' . signed_values($node, $db, 9999, 'dr'));
	ok(wait_sealed($node, $db, 30), "$db: new rows and signed rows are sealed");
	verify_ok($node, $db, 'own.spay', $d_spay, "$db: and verify");
	($r, $out, $e) = $node->psql($db, 'UPDATE own.pay SET amount = 0');
	like($e, qr/cannot update rows of ledger table "pay"/, "$db: the ledger stays append-only");
}
($r, $out, $e) = run_as($dr, 'bank_dr', 'newowner', 'ALTER TABLE own.pay DISABLE TRIGGER ALL');
like($e, qr/cannot alter ledger table "pay" this way/, 'bank_dr: the restored owner cannot disable the triggers');

done_testing();
