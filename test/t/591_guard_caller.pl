# Copyright (c) the ledger authors; PostgreSQL licence.
#
# The DDL guards as the role running the DDL sees them (a review of
# 2026-12-07, after the rename guard's fix of 955b1a2).  The guards are event
# triggers and C functions that run as that role, and they read the catalog
# (ledger.ledgers, ledger.signed_ledgers) as that role:
#  1. Once a DBA had revoked SELECT on the catalog tables from PUBLIC, every
#     ALTER TABLE, CREATE TABLE, DROP TABLE, CREATE TRIGGER, ALTER TYPE and
#     ALTER DOMAIN ... RENAME of any table or type, ledger or not, failed with
#     "permission denied for table ledgers", and the first INSERT of a
#     session into a ledger with "permission denied for table
#     signed_ledgers".  Each innocent command now
#     passes, each one that would rewrite history is refused as before.
#  2. A role that does not own the table, type or schema got ledger's
#     refusal, which names the ledger and its column ("cannot change the
#     type of column ... of ledger table", "cannot rename type ... Column
#     "m" of ledger table "a.led3""), before PostgreSQL's "must be owner of".
#  3. The rename guard's query (CASE $1 WHEN ...) found its "=" through the
#     caller's search_path: the owner of a type that a ledger column uses,
#     with a schema of its own before pg_catalog holding an operator
#     = (int4, int4), renamed the type, and with it the ledger's recorded
#     column definitions no longer matched (a dump then restores the ledger
#     without its triggers).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('guard_caller');
$node->safe_psql('postgres', q{
CREATE EXTENSION ledger;
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
GRANT bob TO alice;
GRANT CREATE ON DATABASE postgres TO alice;
CREATE SCHEMA a AUTHORIZATION alice;
GRANT USAGE, CREATE ON SCHEMA a TO bob;
SET ROLE alice;
CREATE TABLE a.led (id int PRIMARY KEY, amount numeric);
CREATE TABLE a.plain (id int PRIMARY KEY, v text);
CREATE DOMAIN a.amt AS numeric;
CREATE TABLE a.led3 (m a.amt);
CREATE SCHEMA evil;
CREATE FUNCTION evil.never(int4, int4) RETURNS bool LANGUAGE sql AS 'SELECT false';
CREATE OPERATOR evil.= (FUNCTION = evil.never, LEFTARG = int4, RIGHTARG = int4);
RESET ROLE;
SELECT ledger.create_ledger('a.led');
SELECT ledger.create_ledger('a.led3');
INSERT INTO a.led VALUES (1, 10);
});

# psql as role $role; returns (the last error's SQLSTATE, 00000 if none; stderr)
sub as_role
{
	my ($role, $sql) = @_;
	my ($ret, $out, $err) = $node->psql('postgres',
		"$sql;\n\\echo :LAST_ERROR_SQLSTATE",
		on_error_stop => 0,
		extra_params => [ '-U', $role ]);
	return ($out, $err);
}

# statements bob, who owns none of it, may not run: PostgreSQL's error first
my @not_owner = (
	[ 'ALTER TABLE a.led ALTER COLUMN amount TYPE text', qr/must be owner of table led/ ],
	[ 'ALTER TABLE a.led ENABLE TRIGGER ALL', qr/must be owner of table led/ ],
	[ 'ALTER TABLE a.led ENABLE TRIGGER ledger_append_only', qr/must be owner of table led/ ],
	[ 'ALTER DOMAIN a.amt RENAME TO amt2', qr/must be owner of type a.amt/ ],
	[ 'ALTER TYPE a.amt RENAME TO amt2', qr/must be owner of type a.amt/ ],
	[ 'ALTER SCHEMA a RENAME TO b', qr/must be owner of schema a/ ]);

sub not_owner_check
{
	my ($what) = @_;
	for my $t (@not_owner)
	{
		my ($state, $err) = as_role('bob', $t->[0]);
		like($err, $t->[1], "$what: bob: $t->[0]: PostgreSQL's ownership error")
		  or diag($err);
		unlike($err, qr/ledger|Column "|permission denied for table/,
			"... no word of ledger's") or diag($err);
		is($state, '42501', '... SQLSTATE 42501');
	}
}

# part 2, with the catalog readable by all (the extension's grants)
not_owner_check('catalog readable');

# part 3: the owner's own operator = (int4, int4) before pg_catalog's
for my $sql ('ALTER DOMAIN a.amt RENAME TO amt2', 'ALTER SCHEMA a RENAME TO b')
{
	# (in a transaction rolled back: the type or schema keeps its name if not)
	my ($state, $err) = as_role('alice',
		"BEGIN; SET LOCAL search_path = evil, pg_catalog; $sql;\nROLLBACK");
	like($err, qr/ERROR:  cannot rename (type a\.amt|schema "a")/,
		"search_path with the owner's operator =: $sql refused") or diag($err);
}
is($node->safe_psql('postgres', q{SELECT format_type(atttypid, NULL) FROM pg_attribute
	WHERE attrelid = 'a.led3'::regclass AND attname = 'm'}), 'a.amt', '... the type kept its name');

# part 1: a DBA revokes every privilege on the catalog from PUBLIC
$node->safe_psql('postgres', q{
DO $$DECLARE r record;
BEGIN
	FOR r IN SELECT c.oid::regclass AS t FROM pg_class c
	         WHERE c.relnamespace = 'ledger'::regnamespace AND c.relkind IN ('r', 'v', 'p', 'S') LOOP
		EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', r.t);
	END LOOP;
END$$;
});
is($node->safe_psql('postgres', q{SELECT has_table_privilege('alice', 'ledger.ledgers', 'SELECT')}),
	'f', 'alice may not read ledger.ledgers');

# what a table's owner may run, on its own tables and on its ledgers
my @innocent = (
	'INSERT INTO a.led VALUES (2, 20)',
	'CREATE TABLE a.p2 (x int)',
	'ALTER TABLE a.p2 ADD COLUMN y int',
	'ALTER TABLE a.p2 ALTER COLUMN y TYPE bigint',
	'ALTER TABLE a.p2 RENAME COLUMN y TO z',
	'ALTER TABLE a.p2 DROP COLUMN z',
	'ALTER TABLE a.p2 RENAME TO p3',
	'ALTER TABLE a.p3 SET SCHEMA evil',
	'ALTER TABLE evil.p3 SET SCHEMA a',
	'ALTER TABLE a.p3 SET (fillfactor = 90)',
	'ALTER TABLE a.p3 SET UNLOGGED',
	'ALTER TABLE a.p3 SET LOGGED',
	'ALTER TABLE a.p3 OWNER TO bob',
	'CREATE TRIGGER t BEFORE INSERT ON a.plain FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()',
	'ALTER TRIGGER t ON a.plain RENAME TO t2',
	'ALTER TABLE a.plain DISABLE TRIGGER t2',
	'DROP TRIGGER t2 ON a.plain',
	'CREATE INDEX ON a.plain (v)',
	"COMMENT ON TABLE a.plain IS 'x'",
	'GRANT SELECT ON a.plain TO bob',
	'VACUUM a.plain',
	'ANALYZE a.plain',
	'CLUSTER a.plain USING plain_pkey',
	'REINDEX TABLE a.plain',
	'DROP TABLE a.p3',
	'CREATE TYPE a.ty AS (x int)',
	'ALTER TYPE a.ty RENAME TO ty2',
	'ALTER TYPE a.ty2 ALTER ATTRIBUTE x TYPE bigint',
	'CREATE DOMAIN a.dd AS text',
	'ALTER DOMAIN a.dd RENAME TO dd2',
	'ALTER TABLE a.led ADD COLUMN note text',
	'ALTER TABLE a.led ALTER COLUMN note SET STATISTICS 100',
	'ALTER TABLE a.led SET (fillfactor = 90)',
	'ALTER TABLE a.led RENAME TO led2',
	'ALTER TABLE a.led2 RENAME TO led',
	'CREATE INDEX ON a.led (amount)',
	"COMMENT ON TABLE a.led IS 'x'",
	'GRANT SELECT ON a.led TO bob',
	'VACUUM a.led',
	'ANALYZE a.led',
	'REINDEX TABLE a.led');
for my $sql (@innocent)
{
	my ($state, $err) = as_role('alice', $sql);
	is($state, '00000', "catalog revoked: alice: $sql") or diag($err);
}

# what would rewrite history is refused as before, in ledger's words
my @refused = (
	[ 'ALTER TABLE a.led ALTER COLUMN amount TYPE text', qr/cannot change the type of column "amount" of ledger table "led"/ ],
	[ 'ALTER TABLE a.led DROP COLUMN amount', qr/cannot alter ledger table "led" this way/ ],
	[ 'ALTER TABLE a.led RENAME COLUMN amount TO amt', qr/cannot alter ledger table "led" this way/ ],
	[ 'ALTER TABLE a.led DISABLE TRIGGER ALL', qr/cannot alter ledger table "led" this way/ ],
	[ 'ALTER TABLE a.led ENABLE TRIGGER ALL', qr/cannot alter ledger table "led" this way/ ],
	[ 'ALTER TABLE a.led SET UNLOGGED', qr/cannot alter ledger table "led" this way/ ],
	[ 'ALTER TABLE a.led ADD COLUMN r float8 DEFAULT random()', qr/cannot alter ledger table "led" this way/ ],
	[ 'CREATE TABLE a.child () INHERITS (a.led)', qr/cannot alter ledger table "led" this way/ ],
	[ 'DROP TABLE a.led', qr/cannot drop ledger table a\.led/ ],
	[ 'DROP TRIGGER ledger_append_only ON a.led', qr/cannot alter ledger table "led" this way/ ],
	[ 'UPDATE a.led SET amount = 1', qr/cannot update rows of ledger table "led"/ ],
	[ 'TRUNCATE a.led', qr/cannot truncate ledger table "led"/ ],
	[ 'ALTER DOMAIN a.amt RENAME TO amt2', qr/cannot rename type a\.amt/ ],
	[ 'ALTER SCHEMA a RENAME TO b', qr/cannot rename schema "a"/ ],
	[ 'SET LOCAL search_path = evil, pg_catalog; ALTER DOMAIN a.amt RENAME TO amt2', qr/cannot rename type a\.amt/ ]);
for my $t (@refused)
{
	my ($state, $err) = as_role('alice', "BEGIN; $t->[0];\nROLLBACK");
	like($err, $t->[1], "catalog revoked: alice: $t->[0]: refused") or diag($err);
	unlike($err, qr/permission denied for table/, '... not for want of reading the catalog');
}

# the insert before, and every statement since, leave the ledger verifiable
verify_ok($node, 'postgres', 'a.led', undef, 'a.led verifies');

not_owner_check('catalog revoked');

# part 5: a signed ledger.  A writer's first row signed by a key read
# ledger.keys as the writing role: "permission denied for table keys" once
# the catalog was revoked (found after the review, 2026-12-07)
my ($pub) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', 'rfc8032-1' ]);
$pub =~ s/\s+//g;
$node->safe_psql('postgres', qq{
CREATE TABLE a.sig (id int PRIMARY KEY, memo text, key_id text, sig bytea);
SELECT ledger.create_ledger('a.sig');
SELECT ledger.require_signatures('a.sig', 'sig', 'key_id');
SELECT ledger.add_key('k1', 'k1', 'ed25519', '\\x$pub', now() - interval '1 minute');
GRANT INSERT ON a.sig TO bob;
});
my $sig_of = sub {
	my ($id) = @_;
	my $hex = $node->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('a.sig', ROW($id, 'm', 'k1', NULL, NULL, NULL, NULL)::a.sig), 'hex')");
	return sign_hex('ed25519', 'rfc8032-1', $hex);
};
my ($sstate, $serr) = as_role('bob', "INSERT INTO a.sig (id, memo, key_id, sig) VALUES (1, 'm', 'k1', '\\x" . $sig_of->(1) . "')");
is($sstate, '00000', 'catalog revoked: bob inserts a row signed by a registered key') or diag($serr);
($sstate, $serr) = as_role('bob', "INSERT INTO a.sig (id, memo, key_id, sig) VALUES (2, 'm', 'k1', '\\x" . $sig_of->(3) . "')");
like($serr, qr/signature/, '... a row whose signature is another row\'s: refused as before') or diag($serr);
is($node->safe_psql('postgres', 'SELECT count(*) FROM a.sig'), '1', '... one row stored');
verify_ok($node, 'postgres', 'a.sig', undef, 'a.sig verifies');

done_testing();
