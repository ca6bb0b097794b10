# Copyright (c) the ledger authors; PostgreSQL licence.
#
# A DBA hardens the database as the CIS benchmark and PostgreSQL's own
# guides say (a review of 2026-12-07):
#     REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ledger FROM PUBLIC;
#     REVOKE USAGE ON SCHEMA ledger FROM PUBLIC;
#     REVOKE ALL ON ALL TABLES IN SCHEMA ledger FROM PUBLIC;
# and grants back only what each role is documented to need
# (docs/reference.md, "Privileges").
#  1. The DDL guards written in PL/pgSQL called ledger._is_ledger and
#     ledger._check_ledger, and _guard_signed looked up ledger.keys with
#     to_regclass, as the role running the DDL; the check of a ledger's
#     triggers looked up its trigger functions with LookupFuncName, which
#     wants USAGE on schema ledger: every CREATE TABLE, ALTER TABLE, CREATE
#     TRIGGER, DROP TABLE and table rewrite in the database failed with
#     "permission denied for schema ledger" (or "for function _is_ledger"
#     with USAGE left), for roles that never touch a ledger.  Innocent DDL
#     now passes for a role with no privilege on schema ledger at all; what
#     would rewrite a ledger's history is refused as before, in ledger's
#     words.
#  2. digest() read ledger.replicas as its caller: an auditor granted the
#     catalog tables docs/design.md names got "permission denied for table
#     replicas".
#  3. The documented grants for prove and export suffice.
# And what the hardening must leave working: sealing in the background,
# sync between two hardened institutions (part 7).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('revoked_execute');
$node->safe_psql('postgres', q{
CREATE EXTENSION ledger;
CREATE ROLE alice LOGIN;      -- owns ledgers and plain tables
CREATE ROLE nobody LOGIN;     -- owns a schema of plain tables, nothing of ledger
CREATE ROLE app LOGIN;        -- the application: writes and reads alice's ledger
CREATE ROLE auditor LOGIN;    -- granted the documented user calls
GRANT CREATE ON DATABASE postgres TO alice, nobody;
CREATE SCHEMA a AUTHORIZATION alice;
CREATE SCHEMA n AUTHORIZATION nobody;
GRANT USAGE ON SCHEMA a TO app, auditor;
SET ROLE alice;
CREATE TABLE a.led (id int PRIMARY KEY, amount numeric);
CREATE TABLE a.plain (id int PRIMARY KEY, v text);
CREATE TYPE a.ty AS (x int);
CREATE TABLE a.typed OF a.ty;
RESET ROLE;
SELECT ledger.create_ledger('a.led');
INSERT INTO a.led VALUES (1, 10);
GRANT INSERT, SELECT ON a.led TO app;
GRANT SELECT ON a.led TO auditor;
-- the hardening
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ledger FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA ledger FROM PUBLIC;
REVOKE USAGE ON SCHEMA ledger FROM PUBLIC;
-- granted back: the auditor's documented calls (docs/reference.md)
GRANT USAGE ON SCHEMA ledger TO auditor;
GRANT EXECUTE ON FUNCTION ledger.digest(regclass) TO auditor;
GRANT EXECUTE ON FUNCTION ledger.verify(regclass, jsonb) TO auditor;
});
is($node->safe_psql('postgres', q{SELECT has_schema_privilege('nobody', 'ledger', 'USAGE')
	OR has_function_privilege('nobody', 'ledger._check_ledger(regclass, bool)', 'EXECUTE')}),
	'f', 'nobody may neither use schema ledger nor call its functions');

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

# part 1: a role that owns nothing of ledger's, on its own tables
my @innocent = (
	'CREATE TABLE n.t (x int)',
	'CREATE TABLE n.u (LIKE n.t)',
	'ALTER TABLE n.t ADD COLUMN y int',
	'ALTER TABLE n.t ALTER COLUMN y TYPE bigint',
	'ALTER TABLE n.t ADD COLUMN r float8 DEFAULT random()',
	'ALTER TABLE n.t SET UNLOGGED',
	'ALTER TABLE n.t SET LOGGED',
	'ALTER TABLE n.t RENAME COLUMN y TO z',
	'ALTER TABLE n.t DROP COLUMN z',
	'ALTER TABLE n.t RENAME TO t2',
	'CREATE TRIGGER tr BEFORE INSERT ON n.t2 FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()',
	'ALTER TRIGGER tr ON n.t2 RENAME TO tr2',
	'ALTER TABLE n.t2 DISABLE TRIGGER tr2',
	'ALTER TABLE n.t2 ENABLE TRIGGER tr2',
	'DROP TRIGGER tr2 ON n.t2',
	'CREATE VIEW n.v AS SELECT * FROM n.t2',
	'CREATE RULE r AS ON INSERT TO n.u DO ALSO NOTIFY x',
	'CREATE TYPE n.ty AS (x int)',
	'ALTER TYPE n.ty RENAME TO ty2',
	'ALTER TYPE n.ty2 ADD ATTRIBUTE y int CASCADE',
	'CREATE TABLE n.typed OF n.ty2',
	'ALTER TYPE n.ty2 ALTER ATTRIBUTE y TYPE bigint CASCADE',
	'CREATE DOMAIN n.d AS text',
	'ALTER DOMAIN n.d RENAME TO d2',
	'CREATE TABLE n.parent (x int) PARTITION BY RANGE (x)',
	'CREATE TABLE n.part PARTITION OF n.parent FOR VALUES FROM (0) TO (10)',
	'CREATE TABLE n.child () INHERITS (n.u)',
	'DROP VIEW n.v',
	'DROP TABLE n.child',
	'DROP TABLE n.t2',
	'DROP TABLE n.parent',
	'TRUNCATE n.u',
	'DROP SCHEMA n CASCADE',
	'CREATE SCHEMA n2',
	'CREATE TABLE n2.x (a int)',
	'CREATE TABLE n2.mine (a int)',
	'REASSIGN OWNED BY nobody TO nobody',
	'DROP TABLE n2.mine',
	'DROP OWNED BY nobody');
for my $sql (@innocent)
{
	my ($state, $err) = as_role('nobody', $sql);
	is($state, '00000', "hardened: nobody: $sql") or diag($err);
}

# part 2: a ledger's owner, granted nothing of ledger's
my $copy_file = PostgreSQL::Test::Utils::tempdir() . '/rows.tsv';
PostgreSQL::Test::Utils::append_to_file($copy_file, "3\t30\n");
chmod 0644, $copy_file;
my @owner_innocent = (
	'INSERT INTO a.led VALUES (2, 20)',
	"\\copy a.led (id, amount) from '$copy_file'",
	'ALTER TABLE a.plain ADD COLUMN w int',
	'ALTER TABLE a.plain ALTER COLUMN w TYPE bigint',
	'ALTER TYPE a.ty ADD ATTRIBUTE y int CASCADE',
	'CREATE TABLE a.p2 (x int)',
	'DROP TABLE a.p2',
	'ALTER TABLE a.led ADD COLUMN note text',
	'ALTER TABLE a.led SET (fillfactor = 90)',
	'ALTER TABLE a.led RENAME TO led2',
	'ALTER TABLE a.led2 RENAME TO led',
	'CREATE INDEX ON a.led (amount)',
	"COMMENT ON TABLE a.led IS 'x'",
	'ANALYZE a.led');
for my $sql (@owner_innocent)
{
	my ($state, $err) = as_role('alice', $sql);
	is($state, '00000', "hardened: alice: $sql") or diag($err);
}

# what would rewrite history is refused as before, in ledger's words
my @refused = (
	[ 'alice', 'ALTER TABLE a.led ALTER COLUMN amount TYPE text', qr/cannot change the type of column "amount" of ledger table "led"/ ],
	[ 'alice', 'ALTER TABLE a.led ALTER COLUMN amount TYPE numeric(10,2)', qr/cannot change the type of column "amount" of ledger table "led"/ ],
	[ 'alice', 'ALTER TABLE a.led DROP COLUMN amount', qr/cannot alter ledger table "led" this way/ ],
	[ 'alice', 'ALTER TABLE a.led RENAME COLUMN amount TO amt', qr/cannot alter ledger table "led" this way/ ],
	[ 'alice', 'ALTER TABLE a.led DISABLE TRIGGER ALL', qr/cannot alter ledger table "led" this way/ ],
	[ 'alice', 'ALTER TABLE a.led SET UNLOGGED', qr/cannot alter ledger table "led" this way/ ],
	[ 'alice', 'ALTER TABLE a.led ADD COLUMN r float8 DEFAULT random()', qr/cannot alter ledger table "led" this way/ ],
	[ 'alice', 'CREATE TABLE a.child () INHERITS (a.led)', qr/cannot alter ledger table "led" this way/ ],
	[ 'alice', 'CREATE TRIGGER zzz BEFORE INSERT ON a.led FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()', qr/ledger table "led"/ ],
	[ 'alice', 'CREATE RULE r AS ON INSERT TO a.led DO INSTEAD NOTHING', qr/cannot alter ledger table "led" this way/ ],
	[ 'alice', 'DROP TABLE a.led', qr/cannot drop ledger table a\.led/ ],
	[ 'alice', 'DROP TRIGGER ledger_append_only ON a.led', qr/cannot alter ledger table "led" this way/ ],
	[ 'alice', 'DROP OWNED BY alice', qr/cannot drop ledger table a\.led/ ],
	[ 'alice', 'UPDATE a.led SET amount = 1', qr/cannot update rows of ledger table "led"/ ],
	[ 'alice', 'DELETE FROM a.led', qr/cannot delete rows of ledger table "led"|cannot delete/ ],
	[ 'alice', 'TRUNCATE a.led', qr/cannot truncate ledger table "led"/ ],
	[ 'app', 'UPDATE a.led SET amount = 1', qr/permission denied for table led|cannot update rows of ledger table "led"/ ]);
for my $t (@refused)
{
	my ($state, $err) = as_role($t->[0], "BEGIN; $t->[1];\nROLLBACK");
	like($err, $t->[2], "hardened: $t->[0]: $t->[1]: refused") or diag($err);
	unlike($err, qr/permission denied for (function|schema)/, '... not for want of a privilege on ledger\'s objects');
}

# part 3: the application writes; the background sealer seals
my ($state, $err) = as_role('app', 'INSERT INTO a.led VALUES (4, 40)');
is($state, '00000', 'hardened: app inserts into the ledger') or diag($err);
verify_ok($node, 'postgres', 'a.led', undef, 'a.led verifies');
is($node->safe_psql('postgres', 'SELECT count(*) FROM a.led'), '4', '4 rows stored');
ok(wait_sealed($node, 'postgres'), 'the background sealer seals every row');

# part 4: a signed ledger; the application inserts rows signed by a
# registered key, granted nothing of ledger's
my ($pub) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', 'rfc8032-1' ]);
$pub =~ s/\s+//g;
$node->safe_psql('postgres', qq{
CREATE TABLE a.sig (id int PRIMARY KEY, memo text, key_id text, sig bytea);
ALTER TABLE a.sig OWNER TO alice;
SELECT ledger.create_ledger('a.sig');
SELECT ledger.require_signatures('a.sig', 'sig', 'key_id');
SELECT ledger.add_key('k1', 'k1', 'ed25519', '\\x$pub', now() - interval '1 minute');
GRANT INSERT ON a.sig TO app;
});
my $sig_of = sub {
	my ($id) = @_;
	my $hex = $node->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('a.sig', ROW($id, 'm', 'k1', NULL, NULL, NULL, NULL)::a.sig), 'hex')");
	return sign_hex('ed25519', 'rfc8032-1', $hex);
};
($state, $err) = as_role('app', "INSERT INTO a.sig (id, memo, key_id, sig) VALUES (1, 'm', 'k1', '\\x" . $sig_of->(1) . "')");
is($state, '00000', 'hardened: app inserts a row signed by a registered key') or diag($err);
($state, $err) = as_role('app', "INSERT INTO a.sig (id, memo, key_id, sig) VALUES (2, 'm', 'k1', '\\x" . $sig_of->(3) . "')");
like($err, qr/signature/, '... a row whose signature is another row\'s: refused as before') or diag($err);
unlike($err, qr/permission denied/, '... by the signature check');
($state, $err) = as_role('alice', 'ALTER TABLE a.sig ADD COLUMN note text');
is($state, '00000', 'hardened: alice adds a column to her signed ledger') or diag($err);
($state, $err) = as_role('alice', "BEGIN; ALTER TABLE a.sig DISABLE TRIGGER ledger_signature;\nROLLBACK");
like($err, qr/cannot alter ledger table "sig" this way/, '... and may not disable its signature trigger') or diag($err);
($state, $err) = as_role('nobody', 'ALTER TABLE ledger.keys DISABLE TRIGGER keys_insert');
like($err, qr/permission denied for schema ledger|must be owner/, 'nobody may not touch the key registry') or diag($err);
($state, $err) = as_role('postgres', "BEGIN; ALTER TABLE ledger.keys DISABLE TRIGGER keys_insert;\nROLLBACK");
like($err, qr/cannot alter the key registry/, '... nor a superuser, in ledger\'s words') or diag($err);
verify_ok($node, 'postgres', 'a.sig', undef, 'a.sig verifies');

# part 5: the auditor takes a digest and verifies, granted SELECT on the
# catalog tables docs/design.md ("Privileges") names for a catalog revoked
# from PUBLIC
$node->safe_psql('postgres', q{GRANT SELECT ON ledger.ledgers, ledger.transactions, ledger.blocks,
	ledger.history_tiles, ledger.signed_messages TO auditor});
($state, $err) = as_role('auditor', 'SELECT ledger.digest(\'a.led\') IS NOT NULL');
is($state, "t\n00000", 'hardened: auditor takes a digest') or diag($err);
($state, $err) = as_role('auditor', 'SELECT ok FROM ledger.verify(\'a.led\')');
is($state, "t\n00000", 'hardened: auditor verifies') or diag($err);

# part 6: the grants docs/reference.md ("Privileges") lists for prove and
# export
$node->safe_psql('postgres', q{
GRANT EXECUTE ON FUNCTION ledger.prove(regclass, int8, int8, int8),
	ledger._xact_span(int8, int8), ledger._block_span(int8, int8[]),
	ledger.canonical_bytes(record, int8, int8), ledger.leaf_hash(record, int8, int8),
	ledger.export(regclass), ledger._check_name_utf8(regclass, text), ledger._own_xact(),
	ledger._export_row_too_large(regclass, int8, int8, int8), ledger._export_us(timestamptz)
	TO auditor;
GRANT SELECT ON ledger.signed_ledgers TO auditor;
});
($state, $err) = as_role('auditor', q{SELECT ledger.prove('a.led', ledger_xact, ledger_seq) IS NOT NULL
	FROM a.led WHERE id = 1});
is($state, "t\n00000", 'hardened: auditor proves a row with the documented grants') or diag($err);
($state, $err) = as_role('auditor', q{SELECT count(*) > 0 FROM ledger.export('a.led')});
is($state, "t\n00000", 'hardened: auditor exports with the documented grants') or diag($err);

# part 8: a table's owner makes ledgers with the grants docs/reference.md
# ("Privileges") lists for create_ledger and require_signatures
$node->safe_psql('postgres', q{
GRANT USAGE ON SCHEMA ledger TO alice;
GRANT EXECUTE ON FUNCTION ledger.create_ledger(regclass), ledger.require_signatures(regclass, name, name),
	ledger.row_trigger(), ledger.refuse_change(), ledger.refuse_row_change(),
	ledger.leaf_hash(record, int8, int8), ledger.signature_trigger() TO alice;
GRANT SELECT ON ledger.ledgers, ledger.transactions, ledger.blocks TO alice;
});
($state, $err) = as_role('alice', q{CREATE TABLE a.l2 (id int PRIMARY KEY, v text);
INSERT INTO a.l2 VALUES (1, 'before');
SELECT ledger.create_ledger('a.l2') IS NOT NULL});
is($state, "t\n00000", 'hardened: alice makes a ledger of her table with rows') or diag($err);
($state, $err) = as_role('alice', q{CREATE TABLE a.l3 (id int PRIMARY KEY, key_id text, sig bytea);
SELECT ledger.create_ledger('a.l3') IS NOT NULL;
SELECT ledger.require_signatures('a.l3', 'sig', 'key_id')});
like($state, qr/00000$/, 'hardened: alice makes a signed ledger') or diag($err);
($state, $err) = as_role('alice', q{INSERT INTO a.l2 VALUES (2, 'after')});
is($state, '00000', '... and inserts into it') or diag($err);
verify_ok($node, 'postgres', 'a.l2', undef, 'a.l2 verifies');

# part 7: sync between two hardened institutions.  The peer's apply worker
# (the subscription's owner) stores and verifies what arrives, the sealer
# at the origin seals it, and a role owning nothing of ledger's runs DDL at
# the peer.
my $harden = q{
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ledger FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA ledger FROM PUBLIC;
REVOKE USAGE ON SCHEMA ledger FROM PUBLIC;
};
my $conf = "max_wal_senders = 10\nmax_replication_slots = 10\n";
my $origin = ledger_node('hardened_origin', conf => $conf);
my $peer = ledger_node('hardened_peer', conf => $conf);
$origin->safe_psql('postgres', q{
CREATE EXTENSION ledger;
CREATE ROLE app LOGIN;
CREATE TABLE payments (id int PRIMARY KEY, amount numeric);
SELECT ledger.create_ledger('payments');
GRANT INSERT ON payments TO app;
} . $harden);
$origin->safe_psql('postgres', q{SELECT ledger.create_publication('hardened_pub', ARRAY['payments'::regclass])});
$peer->safe_psql('postgres', q{
CREATE EXTENSION ledger;
CREATE ROLE nobody LOGIN;
CREATE SCHEMA n AUTHORIZATION nobody;
} . $harden);
(my $origin_conn = $origin->connstr('postgres')) =~ s/'/''/g;
is($peer->safe_psql('postgres',
	"SELECT ledger.create_subscription('hardened_sub', '$origin_conn', 'hardened_pub')"), '1',
	'hardened peer: create_subscription replicates one ledger');
my ($rc, $out, $oerr) = $origin->psql('postgres',
	'INSERT INTO payments SELECT g, g FROM generate_series(1, 50) g', extra_params => [ '-U', 'app' ]);
is($rc, 0, 'hardened origin: app inserts') or diag($oerr);
ok(wait_sealed($origin, 'postgres'), 'hardened origin: sealed in the background');
my $odigest = $origin->safe_psql('postgres', q{SELECT ledger.digest('payments')});
my $ohead = $origin->safe_psql('postgres', q{SELECT max(block_no) FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'payments'::regclass});
ok($peer->poll_query_until('postgres',
	"SELECT max(block_no) = $ohead FROM ledger.blocks b JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'payments'::regclass"),
	'hardened peer: the apply worker brings every block');
is($peer->safe_psql('postgres', 'SELECT count(*) FROM payments'), '50', 'hardened peer: every row');
verify_ok($peer, 'postgres', 'payments', $odigest, "hardened peer verifies against the origin's digest");
for my $sql ('CREATE TABLE n.t (x int)', 'ALTER TABLE n.t ADD COLUMN y int',
	'ALTER TABLE n.t ALTER COLUMN y TYPE bigint', 'DROP TABLE n.t')
{
	($rc, $out, $oerr) = $peer->psql('postgres', $sql, extra_params => [ '-U', 'nobody' ]);
	is($rc, 0, "hardened peer: nobody: $sql") or diag($oerr);
}

done_testing();
