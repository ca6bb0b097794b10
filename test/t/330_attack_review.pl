
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Four faults two reviews acting as attackers found and reproduced on
# 2026-12-05, each failing here against the code before:
#  1. A table owner allowed to call require_signatures (the documented
#     deployment) made itself superuser: the catalog work ran as the
#     extension's owner under the caller's search_path, and IS DISTINCT
#     FROM looked up the caller's "=" operator.
#  2. An application role crashed the server with a numeric of 20,000
#     digits stored out of line (TOAST): the canonical bytes copied the
#     TOAST pointer as if it were a short value, with a wrapped length
#     (verify, and INSERT ... SELECT of such a value).
#  3. create_ledger kept a BEFORE INSERT trigger the table had that fires
#     after the ledger's (name order): rows stored other than hashed.
#  4. The owner could set the ledger's triggers, made ENABLE ALWAYS, to
#     fire on origin only (ALTER TABLE ... ENABLE TRIGGER), and a session
#     in replica mode then updated, deleted and truncated rows.
#  5. (review of 2026-12-06) DROP SCHEMA ledger CASCADE and DROP OWNED BY
#     the role that installed the extension dropped it, with every
#     ledger's history and the sql_drop guard, and left the ledger tables
#     writable; only DROP EXTENSION was refused.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('attack');
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE ROLE tabowner LOGIN;
	CREATE ROLE app LOGIN;
	CREATE SCHEMA own AUTHORIZATION tabowner;
	GRANT USAGE ON SCHEMA ledger TO tabowner;
	GRANT EXECUTE ON FUNCTION ledger.create_ledger(regclass) TO tabowner;
	GRANT EXECUTE ON FUNCTION ledger.require_signatures(regclass, name, name) TO tabowner;
	-- a rotated key (RFC 8032, section 7.1, TEST 3): one revocation in the registry
	SELECT ledger.add_key('ed-old', 'dave', 'ed25519',
		'\xfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', '2000-01-01');
	SELECT ledger.revoke_key('ed-old', 'rotated');
});
sub as_owner
{
	my ($sql) = @_;
	return $node->psql('postgres', $sql, extra_params => [ '-U', 'tabowner' ]);
}

# ---------- 1. search_path and the catalog work done as the extension's owner ----------
my ($ret, $out, $err) = as_owner(q{
	CREATE TABLE own.pay (id int PRIMARY KEY, amount numeric, key_id text, sig bytea);
	SELECT ledger.create_ledger('own.pay');
	CREATE FUNCTION own.evil_eq(timestamptz, timestamptz) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		RAISE NOTICE 'evil runs as %', current_user;
		EXECUTE 'ALTER ROLE tabowner SUPERUSER';
		RETURN $1 OPERATOR(pg_catalog.=) $2;
	END $$;
	CREATE OPERATOR own.= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = own.evil_eq);
	CREATE FUNCTION own.evil_eq_text(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		RAISE NOTICE 'evil runs as %', current_user;
		EXECUTE 'ALTER ROLE tabowner SUPERUSER';
		RETURN $1 OPERATOR(pg_catalog.=) $2;
	END $$;
	CREATE OPERATOR own.= (LEFTARG = text, RIGHTARG = text, FUNCTION = own.evil_eq_text);
	SET search_path = own, pg_catalog;
	SELECT ledger.require_signatures('own.pay', 'sig', 'key_id');
});
is($ret, 0, 'the owner makes its ledger signed, with its own "=" operators first on its search_path');
unlike($err, qr/evil runs/, "... the owner's operator is not run by the catalog work");
is($node->safe_psql('postgres', "SELECT rolsuper FROM pg_roles WHERE rolname = 'tabowner'"),
	'f', '... and the owner is not superuser');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM ledger.signed_ledgers s JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'own.pay'::regclass"),
	'1', '... the ledger is signed');

# ---------- 2. a numeric stored out of line ----------
$node->safe_psql('postgres', q{
	CREATE TABLE n (id int, amount numeric);
	SELECT ledger.create_ledger('n');
	GRANT INSERT, SELECT ON n TO app;
});
my $digits =
  "(SELECT string_agg(translate(md5(g::text), 'abcdef', '123456'), '') FROM generate_series(1, 2500) g)::numeric";
$node->safe_psql('postgres', "INSERT INTO n VALUES (1, $digits)", extra_params => [ '-U', 'app' ]);
my $toast = $node->safe_psql('postgres', "SELECT reltoastrelid::regclass FROM pg_class WHERE oid = 'n'::regclass");
ok($node->safe_psql('postgres', "SELECT count(*) FROM $toast") > 0, 'a numeric of 20,000 digits is stored out of line');
my $started = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my $v = verify_ok($node, 'postgres', 'n', undef, 'verify reads it (before: the server crashed)');
($ret, $out, $err) =
  $node->psql('postgres', 'INSERT INTO n SELECT 2, amount FROM n WHERE id = 1', extra_params => [ '-U', 'app' ]);
is($err, '', 'the application role copies it with INSERT ... SELECT (the row trigger gets the TOAST pointer)');
$v = verify_ok($node, 'postgres', 'n', undef, '... both rows verify');
is($v->{rows}, '2', '... two rows');
is($node->safe_psql('postgres', 'SELECT count(DISTINCT amount) FROM n'), '1', '... the same value twice');
is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'), $started, '... and the server never restarted');

# ---------- 3. a trigger that fires after the ledger's, there before create_ledger ----------
$node->safe_psql('postgres', q{
	CREATE TABLE pre (id int, amount numeric);
	CREATE FUNCTION tamper() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN NEW.amount := NEW.amount * 100; RETURN NEW; END $$;
	CREATE TRIGGER zzz_after_hash BEFORE INSERT ON pre FOR EACH ROW EXECUTE FUNCTION tamper();
});
($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\nSELECT ledger.create_ledger('pre')");
like($err, qr/ERROR:  0A000: .*DETAIL:  Trigger "zzz_after_hash" would change rows after they are hashed/s,
	'create_ledger refuses a table whose BEFORE INSERT trigger fires after the ledger\'s');
is($node->safe_psql('postgres', "SELECT count(*) FROM ledger.ledgers WHERE relation::text = 'pre'"),
	'0', '... it is not made a ledger');
$node->safe_psql('postgres', 'ALTER TRIGGER zzz_after_hash ON pre RENAME TO aaa_before_hash');
is($node->safe_psql('postgres', "SELECT ledger.create_ledger('pre')->>'block'"), '0',
	'... renamed to fire first, the table is made a ledger');
$node->safe_psql('postgres', 'INSERT INTO pre VALUES (1, 5)');
verify_ok($node, 'postgres', 'pre', undef, '... and its rows are hashed as stored');

# ---------- 4. the ledger's triggers set to fire on origin only ----------
$node->safe_psql('postgres', q{
	CREATE TABLE r (id int, note text);
	SELECT ledger.create_ledger('r');
	INSERT INTO r VALUES (1, 'one'), (2, 'two');
	ALTER TABLE r OWNER TO tabowner;
});
for my $cmd ('ENABLE TRIGGER ledger_append_only', 'ENABLE TRIGGER ledger_append_only_row',
	'ENABLE TRIGGER zz_ledger_row', 'ENABLE TRIGGER ALL', 'ENABLE TRIGGER USER')
{
	($ret, $out, $err) = as_owner("\\set VERBOSITY verbose\nALTER TABLE public.r $cmd");
	like($err, qr/ERROR:  0A000: cannot alter ledger table "r" this way.*fires always; ENABLE TRIGGER would make it fire on origin only/s,
		"ALTER TABLE ... $cmd by the owner is refused");
}
is( $node->safe_psql('postgres',
		"SELECT string_agg(tgname || '=' || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger WHERE tgrelid = 'r'::regclass"),
	'ledger_append_only=A,ledger_append_only_row=A,zz_ledger_row=A', '... the triggers still fire always');
($ret, $out, $err) = $node->psql('postgres', "SET session_replication_role = replica; UPDATE r SET note = 'changed' WHERE id = 1");
like($err, qr/cannot update rows of ledger table "r"/, '... and an UPDATE in replica mode is refused');
verify_ok($node, 'postgres', 'r', undef, '... the ledger verifies');
($ret, $out, $err) = as_owner("ALTER TABLE public.r ENABLE ALWAYS TRIGGER zz_ledger_row");
is($err, '', 'ENABLE ALWAYS TRIGGER (what pg_restore runs) passes');

# ---------- 5. DROP SCHEMA and DROP OWNED drop the extension too ----------
# A superuser other than the bootstrap one installs the extension (DROP
# OWNED BY the bootstrap superuser is refused by PostgreSQL itself).
$node->safe_psql('postgres', q{
	CREATE ROLE dba1 SUPERUSER LOGIN;
	CREATE ROLE unrelated LOGIN;
	CREATE DATABASE owned OWNER dba1;
});
$node->safe_psql('owned', q{
	CREATE EXTENSION ledger;
	CREATE TABLE payments (id int, amount numeric);
	SELECT ledger.create_ledger('payments');
	INSERT INTO payments VALUES (1, 10);
	CREATE TABLE notes (id int);
	ALTER TABLE notes OWNER TO unrelated;
}, extra_params => [ '-U', 'dba1' ]);
for my $cmd ('DROP OWNED BY dba1', 'DROP OWNED BY dba1 CASCADE', 'DROP OWNED BY unrelated, dba1 CASCADE')
{
	($ret, $out, $err) = $node->psql('owned', "\\set VERBOSITY verbose\n$cmd");
	like($err, qr/ERROR:  2BP01: cannot drop objects owned by role "dba1" while 1 ledger exists/,
		"$cmd (the extension's owner) is refused");
}
($ret, $out, $err) = $node->psql('owned', "\\set VERBOSITY verbose\nDROP SCHEMA ledger CASCADE");
like($err, qr/ERROR:  2BP01: cannot drop schema "ledger" while 1 ledger exists.*history of payments/s,
	'DROP SCHEMA ledger CASCADE is refused while a ledger exists');
is($node->safe_psql('owned', "SELECT count(*) FROM pg_extension WHERE extname = 'ledger'"),
	'1', '... the extension stays');
($ret, $out, $err) = $node->psql('owned', 'UPDATE payments SET amount = 0');
like($err, qr/cannot update rows of ledger table "payments"/, '... and the ledger stays append-only');
verify_ok($node, 'owned', 'payments', undef, '... and verifies');
# an event trigger of the extension given to another superuser
$node->safe_psql('owned', q{
	ALTER ROLE unrelated SUPERUSER;
	ALTER EVENT TRIGGER ledger_guard_drop OWNER TO unrelated;
});
($ret, $out, $err) = $node->psql('owned', 'DROP OWNED BY unrelated');
like($err, qr/cannot drop objects owned by role "unrelated" while 1 ledger exists/,
	'DROP OWNED BY the owner of one of its event triggers is refused');
$node->safe_psql('owned', q{
	ALTER EVENT TRIGGER ledger_guard_drop OWNER TO dba1;
	ALTER ROLE unrelated NOSUPERUSER;
});
($ret, $out, $err) = $node->psql('owned', 'DROP OWNED BY unrelated');
is($err, '', 'DROP OWNED BY an unrelated role passes');
is($node->safe_psql('owned', "SELECT count(*) FROM pg_class WHERE relname = 'notes'"),
	'0', '... and drops what it owns');
$node->safe_psql('owned', 'CREATE SCHEMA scratch; CREATE TABLE scratch.t (id int)');
($ret, $out, $err) = $node->psql('owned', 'DROP SCHEMA scratch CASCADE');
is($ret, 0, 'DROP SCHEMA of another schema passes') or diag($err);
$node->safe_psql('owned', "SELECT ledger.drop_ledger('payments')");
($ret, $out, $err) = $node->psql('owned', 'BEGIN; DROP OWNED BY dba1 CASCADE; ROLLBACK');
is($ret, 0, 'without ledgers, DROP OWNED BY the extension\'s owner passes') or diag($err);
($ret, $out, $err) = $node->psql('owned', 'DROP SCHEMA ledger CASCADE');
is($ret, 0, '... and so does DROP SCHEMA ledger CASCADE') or diag($err);
is($node->safe_psql('owned', "SELECT count(*) FROM pg_extension WHERE extname = 'ledger'"),
	'0', '... which drops the extension');

$node->stop;
done_testing();
