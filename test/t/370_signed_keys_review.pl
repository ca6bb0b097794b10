
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Faults of signed rows and the key registry a review reproduced on
# 2026-12-05, each failing here against the code before (the roles are
# those of docs/signing.md: "keyadm" with USAGE on schema ledger, EXECUTE
# on add_key and revoke_key and INSERT/UPDATE on ledger.keys; "app" with
# INSERT on the ledgers):
#  1. COMMIT PREPARED let through a key that expired, or was revoked, after
#     the PREPARE when the prepared transaction had itself made that change
#     (add_key with a near valid_until, revoke_key with a near revoked_at):
#     the check read the registry without the prepared transaction's own
#     changes, and skipped a key it did not find.  verify then failed for
#     good.  Now refused with 23514, the transaction left prepared.
#  2. A direct INSERT into ledger.keys chose added_at (in the future: the
#     signature trigger accepted rows that verify refuses for good) and
#     added_by; a direct UPDATE bringing a revocation forward replaced the
#     reason that revoke_key keeps.  Now a future added_at is refused, an
#     added_at or added_by other than the defaults is refused but to the
#     table's owner (a restore), the signature trigger refuses a key
#     registered after the row's insert, and the trigger keeps the earlier
#     revocation's date and reason, for revoke_key and a direct UPDATE alike.
#  3. A revocation committed by another session did not take effect in the
#     middle of a running COPY (docs/signing.md, "The key cache"): the
#     signature trigger kept its cached key until the commit refused the
#     whole transaction.

use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use LedgerTest;

my $node = ledger_node('keys_review', conf => "max_prepared_transactions = 5\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE ROLE keyadm LOGIN;
	CREATE ROLE app LOGIN;
	GRANT USAGE ON SCHEMA ledger TO keyadm, app;
	GRANT EXECUTE ON FUNCTION ledger.add_key(text, text, text, bytea, timestamptz, timestamptz),
		ledger.revoke_key(text, text, timestamptz) TO keyadm;
	GRANT INSERT, UPDATE ON ledger.keys TO keyadm;
	CREATE TABLE t3 (id int PRIMARY KEY, memo text, key_id text, sig bytea);
	SELECT ledger.create_ledger('t3');
	SELECT ledger.require_signatures('t3', 'sig', 'key_id');
	GRANT INSERT, SELECT ON t3 TO keyadm, app;
});

my ($pub) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', 'rfc8032-1' ]);
$pub =~ s/\s+//g;

# VALUES of a row of $table signed by RFC 8032's TEST 1 key, under key id $key
sub signed
{
	my ($table, $id, $memo, $key) = @_;
	my $hex = $node->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('$table', ROW($id, '$memo', '$key', NULL, NULL, NULL, NULL)::$table), 'hex')");
	return ($id, $memo, $key, sign_hex('ed25519', 'rfc8032-1', $hex));
}

sub values_of
{
	my ($id, $memo, $key, $sig) = @_;
	return "($id, '$memo', '$key', '\\x$sig')";
}

sub psql_as
{
	my ($role, $sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql",
		extra_params => [ '-U', $role ]);
	return ($ret, $out, $err);
}

my ($ret, $out, $err);

# ---------- 1. COMMIT PREPARED and the prepared transaction's own key changes ----------
($ret, $out, $err) = psql_as('keyadm', "SELECT (ledger.add_key('lou', 'lou', 'ed25519', '\\x$pub', now() - interval '1 minute')).key_id");
is($err, '', 'keyadm registers key lou');

# One prepared transaction at a time: one that changed the registry holds
# ledger.ledger_keys' lock (keys_changed) until it is committed or rolled
# back, and every other change of the registry waits for it.

# kit: registered inside the prepared transaction (in a subtransaction),
# still good at commit
my $kit = values_of(signed('t3', 3, 'kit', 'kit'));
($ret, $out, $err) = psql_as('keyadm', qq{
	BEGIN;
	SAVEPOINT s;
	SELECT (ledger.add_key('kit', 'kit', 'ed25519', '\\x$pub', now() - interval '1 minute')).key_id;
	RELEASE s;
	INSERT INTO t3 VALUES $kit;
	PREPARE TRANSACTION 'p6';
});
is($ret, 0, 'p6: a key registered with no end (in a released savepoint) and a row it signs, prepared') or diag($err);
($ret, $out, $err) = psql_as('keyadm', "COMMIT PREPARED 'p6'");
is($ret, 0, "p6: COMMIT PREPARED of a transaction whose own key is still good commits") or diag($err);

# Prepare $body as $gid, wait until its key's change took effect, and
# expect COMMIT PREPARED to be refused with $refusal, the transaction left
# prepared (then rolled back).
sub refused_after_prepare
{
	my ($gid, $body, $refusal, $what) = @_;
	my ($ret, $out, $err) = psql_as('keyadm', "BEGIN;\n$body\nPREPARE TRANSACTION '$gid';");
	is($ret, 0, "$gid: $what, prepared") or diag($err);
	sleep(2);
	($ret, $out, $err) = psql_as('keyadm', "COMMIT PREPARED '$gid'");
	like($err, qr/ERROR:  23514: cannot commit prepared transaction "$gid": $refusal/,
		"$gid: COMMIT PREPARED once that took effect is refused (before: committed, and verify failed)");
	is($node->safe_psql('postgres', "SELECT string_agg(gid, ',') FROM pg_prepared_xacts"),
		$gid, '... it stays prepared');
	$node->psql('postgres', "ROLLBACK PREPARED '$gid'");
}

# kim: registered inside the prepared transaction, expiring soon after
my $kim = values_of(signed('t3', 1, 'kim', 'kim'));
refused_after_prepare('p4', qq{
	SELECT (ledger.add_key('kim', 'kim', 'ed25519', '\\x$pub', now() - interval '1 minute',
		clock_timestamp() + interval '1.5 seconds')).key_id;
	INSERT INTO t3 VALUES $kim;},
	'key "kim" that signed its rows expired after it was prepared',
	'a key registered with a near valid_until and a row it signs');

# lou: revoked inside the prepared transaction, from soon after
my $lou = values_of(signed('t3', 2, 'lou', 'lou'));
refused_after_prepare('p5', qq{
	INSERT INTO t3 VALUES $lou;
	SELECT (ledger.revoke_key('lou', 'rotation', clock_timestamp() + interval '1.5 seconds')).key_id;},
	'key "lou" that signed its rows was revoked after it was prepared',
	'a row signed by lou, then lou revoked from soon after');

is($node->safe_psql('postgres', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM t3'), '3',
	'only the good transaction\'s row is stored');
is($node->safe_psql('postgres', "SELECT string_agg(key_id || ':' || (revoked_at IS NULL), ',' ORDER BY key_id) FROM ledger.keys WHERE key_id IN ('kim', 'kit', 'lou')"),
	'kit:true,lou:true', '... kim went with its transaction, lou\'s revocation too');

# ---------- 2. what a direct INSERT or UPDATE of ledger.keys may choose ----------
my $cols = 'key_id, owner, algorithm, public_key, valid_from';
($ret, $out, $err) = psql_as('keyadm', qq{
	INSERT INTO ledger.keys ($cols, added_at) VALUES ('fut', 'x', 'ed25519', '\\x$pub', now() - interval '1 day', '2036-01-01')});
like($err, qr/ERROR:  23514: key "fut" cannot be registered with an added_at in the future/,
	'a direct INSERT with added_at in the future is refused (before: accepted)');
($ret, $out, $err) = psql_as('keyadm', qq{
	INSERT INTO ledger.keys ($cols, added_by) VALUES ('who', 'x', 'ed25519', '\\x$pub', now() - interval '1 day', 'auditor')});
like($err, qr/ERROR:  42501: permission denied to choose added_at or added_by of key "who"/,
	'a direct INSERT by keyadm naming another added_by is refused (before: accepted)');
($ret, $out, $err) = psql_as('keyadm', qq{
	INSERT INTO ledger.keys ($cols, added_at) VALUES ('old', 'x', 'ed25519', '\\x$pub', now() - interval '1 day', now() - interval '1 hour')});
like($err, qr/ERROR:  42501: permission denied to choose added_at or added_by of key "old"/,
	'... and so is one backdating added_at');
($ret, $out, $err) = psql_as('keyadm', qq{
	INSERT INTO ledger.keys ($cols) VALUES ('plain', 'x', 'ed25519', '\\x$pub', now() - interval '1 day')});
is($err, '', 'a direct INSERT by keyadm with the defaults is accepted');
is($node->safe_psql('postgres', "SELECT added_by FROM ledger.keys WHERE key_id = 'plain'"), 'keyadm',
	'... recording keyadm');
# what pg_restore does, as the superuser that restores the extension
$node->safe_psql('postgres', qq{
	INSERT INTO ledger.keys ($cols, added_at, added_by)
	VALUES ('restored', 'x', 'ed25519', '\\x$pub', '2020-01-01', '2020-01-01', 'someone_gone')});
is($node->safe_psql('postgres', "SELECT added_by FROM ledger.keys WHERE key_id = 'restored'"), 'someone_gone',
	'the owner (a restore) inserts a key with its old added_at and added_by');

# a key registered after the row's insert (a row left by the code before:
# the registry's triggers set aside by a superuser)
$node->safe_psql('postgres', qq{
	BEGIN;
	ALTER EVENT TRIGGER ledger_guard_signed DISABLE;
	DO \$\$ DECLARE t name; BEGIN
		FOR t IN SELECT tgname FROM pg_trigger WHERE tgrelid = 'ledger.keys'::regclass LOOP
			EXECUTE format('ALTER TABLE ledger.keys DISABLE TRIGGER %I', t);
		END LOOP;
		INSERT INTO ledger.keys ($cols, added_at)
		VALUES ('zed', 'x', 'ed25519', '\\x$pub', now() - interval '1 day', now() + interval '10 years');
		FOR t IN SELECT tgname FROM pg_trigger WHERE tgrelid = 'ledger.keys'::regclass LOOP
			EXECUTE format('ALTER TABLE ledger.keys ENABLE ALWAYS TRIGGER %I', t);
		END LOOP;
	END \$\$;
	ALTER EVENT TRIGGER ledger_guard_signed ENABLE ALWAYS;
	COMMIT;
});
my $zed = values_of(signed('t3', 4, 'zed', 'zed'));
($ret, $out, $err) = psql_as('app', "INSERT INTO t3 VALUES $zed");
like($err, qr/ERROR:  23514: key "zed" signing row \(id\)=\(4\) of ledger table "t3" is not registered yet/,
	'a row signed by a key registered after its insert is refused (before: accepted, and verify refused it for good)');

# a key registered by another session after the writer's transaction began,
# before the insert: accepted (verify judges at the commit)
my $late = values_of(signed('t3', 5, 'late', 'late'));
my $writer = $node->background_psql('postgres', on_error_stop => 0, extra_params => [ '-U', 'app' ]);
$writer->query_safe('BEGIN');
$writer->query_safe('SELECT now()');
sleep(0.2);
($ret, $out, $err) = psql_as('keyadm', "SELECT (ledger.add_key('late', 'late', 'ed25519', '\\x$pub', '2020-01-01')).key_id");
is($err, '', 'key late registered while a writer\'s transaction is open');
$writer->query_safe("INSERT INTO t3 VALUES $late");
$writer->query_safe('COMMIT');
$writer->quit;
is($node->safe_psql('postgres', 'SELECT count(*) FROM t3 WHERE id = 5'), '1',
	'... and a row it signs, inserted after, is stored');

# a revocation brought forward by a direct UPDATE keeps the earlier one, as
# revoke_key does
for my $k ('fwd-fn', 'fwd-upd')
{
	($ret, $out, $err) = psql_as('keyadm', qq{
		SELECT (ledger.add_key('$k', 'x', 'ed25519', '\\x$pub', '2020-01-01')).key_id;
		SELECT (ledger.revoke_key('$k', 'scheduled rotation', '2031-01-01 00:00+00')).key_id});
	is($err, '', "$k registered and its rotation scheduled");
}
($ret, $out, $err) = psql_as('keyadm', "SELECT (ledger.revoke_key('fwd-fn', 'laptop stolen', '2030-01-01 00:00+00')).key_id");
is($err, '', 'revoke_key brings fwd-fn\'s revocation forward');
($ret, $out, $err) = psql_as('keyadm',
	"UPDATE ledger.keys SET revoked_at = '2030-01-01 00:00+00', revocation_reason = 'laptop stolen' WHERE key_id = 'fwd-upd'");
is($err, '', 'a direct UPDATE brings fwd-upd\'s forward');
my @reasons = split /\|/, $node->safe_psql('postgres',
	"SELECT string_agg(revocation_reason, '|' ORDER BY key_id) FROM ledger.keys WHERE key_id LIKE 'fwd-%'");
like($reasons[0], qr/^laptop stolen \(brought forward from 2031-01-01 .*, when the reason was: scheduled rotation\)$/,
	'revoke_key keeps the earlier date and reason');
is($reasons[1], $reasons[0], '... and so does the direct UPDATE, in the same words (before: it replaced the reason)');

# ---------- 3. a revocation committed during a COPY ----------
# The CHECK constraint holds the COPY after its first row (checked after
# the row's triggers) until the revocation is committed.
$node->safe_psql('postgres', q{
	CREATE FUNCTION hold(i int) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		IF i = 1 THEN PERFORM pg_sleep(3); END IF;
		RETURN true;
	END $$;
	CREATE TABLE tc (id int PRIMARY KEY, memo text, key_id text, sig bytea, CONSTRAINT held CHECK (hold(id)));
	SELECT ledger.create_ledger('tc');
	SELECT ledger.require_signatures('tc', 'sig', 'key_id');
	GRANT INSERT, SELECT ON tc TO app;
});
($ret, $out, $err) = psql_as('keyadm', "SELECT (ledger.add_key('cop', 'cop', 'ed25519', '\\x$pub', '2020-01-01')).key_id");
is($err, '', 'key cop registered');
my $copy = "\\set VERBOSITY verbose\nCOPY tc (id, memo, key_id, sig) FROM STDIN;\n";
for my $id (1, 2)
{
	my ($i, $memo, $key, $sig) = signed('tc', $id, 'copied', 'cop');
	$copy .= "$i\t$memo\t$key\t\\\\x$sig\n";
}
$copy .= "\\.\n";
# from a file: IPC::Run writes a scalar's input only when pumped
my $copy_file = PostgreSQL::Test::Utils::tempdir() . '/copy.sql';
open(my $fh, '>', $copy_file) or die "open $copy_file: $!";
print $fh $copy;
close($fh);
my ($copy_out, $copy_err) = ('', '');
my $h = IPC::Run::start(
	[ 'psql', '-X', '-q', '-h', $node->host, '-p', $node->port, '-U', 'app', '-d', 'postgres' ],
	'<', $copy_file, '>', \$copy_out, '2>', \$copy_err);
my $holding = 0;
for (1 .. 100)
{
	$holding = $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE usename = 'app' AND wait_event = 'PgSleep'");
	last if $holding;
	sleep(0.05);
}
is($holding, '1', 'the COPY stored its first row and is held');
($ret, $out, $err) = psql_as('keyadm', "SELECT (ledger.revoke_key('cop', 'compromised')).key_id");
is($err, '', '... while cop is revoked by another session');
$h->finish;
like($copy_err, qr/ERROR:  23514: key "cop" signing row \(id\)=\(2\) of ledger table "tc" is revoked/,
	'the COPY\'s next row is refused for the revocation (before: accepted, the commit refused)');
is($node->safe_psql('postgres', 'SELECT count(*) FROM tc'), '0', '... and nothing is stored');

# ---------- the ledgers verify ----------
ok(wait_sealed($node, 'postgres'), 'sealed');
verify_ok($node, 'postgres', 't3', undef, 't3 verifies');
verify_ok($node, 'postgres', 'tc', undef, 'tc verifies');

done_testing();
