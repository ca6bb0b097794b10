
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Faults the internal-API review of the writer's path (2026-12-06) found,
# each failing here against the code before:
#  1. ledger.canonical_bytes() and ledger.leaf_hash() kept the layout of a
#     record argument's type in fn_extra keyed by the type's OID only.  A
#     named composite type keeps its OID through ALTER TYPE ... ALTER
#     ATTRIBUTE ... TYPE and ALTER TABLE ... ALTER COLUMN ... TYPE, and a
#     PL/pgSQL assignment in a loop calls the function again with the same
#     fn_extra: the old layout read the new integer as a text pointer, and
#     the backend died of SIGSEGV (any role: the functions are PUBLIC, and a
#     temporary table or type will do).  The layout is now also keyed by the
#     descriptor's identifier (assign_record_type_identifier).
#     Expected bytes from docs/canonical-format.md: 'L' 'R' 0x01, one
#     column, name "a", tag 3 (int4) or 8 (text), length, value.
#  2. The per-backend cache of signed-ledger shapes read the ledger's
#     signature configuration (ledger.signed_ledgers) under the caller's
#     snapshot.  A REPEATABLE READ transaction whose snapshot predated
#     ledger.require_signatures() inserted into the ledger: the signature
#     trigger (in the relcache, which reads the catalogs afresh) found "not
#     a signed ledger" (39P01) and the answer stayed cached for the
#     session, so every later insert of that backend into the ledger, in
#     any transaction, failed the same way until some DDL on the table.
#     It is now read with the latest snapshot, as ledger_catalog_lookup
#     reads ledger.ledgers (fixed the same way on 2026-12-05).
#  3. The per-backend ledger description cache (catalog.c) kept an entry and
#     a memory context of about a kilobyte for every relation it was ever
#     asked about, ledger or not, for the life of the session: any role
#     calling ledger.verify() on temporary tables made and dropped in a loop
#     grew CacheMemoryContext without bound (2,000 tables: 2,000 contexts,
#     2.3 MB).  A negative entry now holds no context and goes with the
#     relation's invalidation.
#  4. The row trigger's buffer for canonical bytes (TopMemoryContext) was
#     trimmed only after a row hashed: an error in the middle of a very
#     large row (here a 100 MB text column, then text with no unique UTF-8
#     form in an EUC_JP database, 22P05) left it at that row's size until
#     the session's next ledger insert.  It is trimmed when the transaction
#     aborts now.
#  5. ... and when a transaction that caught that error commits: a
#     ROLLBACK TO SAVEPOINT, or a PL/pgSQL EXCEPTION block, ends only the
#     subtransaction, and the top-level abort of 4 never came, so the buffer
#     stayed at 100 MB until the session's next ledger insert.  It is
#     trimmed at every end of a transaction now.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('api_writer');
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE ROLE app LOGIN;
});

# ---------- 1. a record layout kept across a change of the type ----------

my $text_bytes = '\x4c52010001000161080000000568656c6c6f';    # a text 'hello'
my $int_bytes = '\x4c5201000100016103000000040000002a';        # a int4 42
# SHA-256(0x00 || bytes), computed outside the server
my $int_leaf = '\x427cda25496c8f618feb9bc2202f9ddd58d5a32783c0d5c06f4fef10bf981b0f';

# as an unprivileged role, with a temporary composite type
my ($ret, $out, $err) = $node->psql('postgres', q{
	CREATE TYPE pg_temp.ct AS (a text);
	DO $$
	DECLARE s text; x bytea;
	BEGIN
		FOR i IN 1..2 LOOP
			IF i = 1 THEN
				s := '(hello)';
			ELSE
				ALTER TYPE pg_temp.ct ALTER ATTRIBUTE a TYPE int;
				s := '(42)';
			END IF;
			x := ledger.canonical_bytes(s::pg_temp.ct);
			RAISE NOTICE 'bytes % %', i, x;
		END LOOP;
	END $$;
}, extra_params => [ '-U', 'app' ]);
is($ret, 0, 'canonical_bytes after ALTER TYPE in a loop: no crash');
like($err, qr/bytes 1 \Q$text_bytes\E/, 'canonical_bytes of the text column');
like($err, qr/bytes 2 \Q$int_bytes\E/,
	'canonical_bytes of the column retyped to integer, by the new type');

# a table's row type, ALTER TABLE ... ALTER COLUMN ... TYPE, leaf_hash
($ret, $out, $err) = $node->psql('postgres', q{
	CREATE TEMP TABLE tt (a text);
	DO $$
	DECLARE s text; x bytea;
	BEGIN
		FOR i IN 1..2 LOOP
			IF i = 2 THEN
				ALTER TABLE tt ALTER COLUMN a TYPE int USING 0;
				s := '(42)';
			ELSE
				s := '(hello)';
			END IF;
			x := ledger.leaf_hash(s::tt);
			RAISE NOTICE 'leaf % %', i, x;
		END LOOP;
	END $$;
}, extra_params => [ '-U', 'app' ]);
is($ret, 0, 'leaf_hash after ALTER TABLE ... TYPE in a loop: no crash');
like($err, qr/leaf 2 \Q$int_leaf\E/, 'leaf_hash of the retyped row, by the new type');

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'server alive');

# ---------- 2. a snapshot older than require_signatures ----------

my ($pub) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', 'rfc8032-1' ]);
$pub =~ s/\s+//g;
$node->safe_psql('postgres', qq{
	SELECT ledger.add_key('k1', 'k1', 'ed25519', '\\x$pub', now() - interval '1 minute');
	CREATE TABLE s (id int PRIMARY KEY, memo text, key_id text, sig bytea);
	SELECT ledger.create_ledger('s');
});

# VALUES of a row of s signed by RFC 8032's TEST 1 key as k1
sub signed_row
{
	my ($id, $memo) = @_;
	my $hex = $node->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('s', ROW($id, '$memo', 'k1', NULL, NULL, NULL, NULL)::s), 'hex')");
	return "($id, '$memo', 'k1', '\\x" . sign_hex('ed25519', 'rfc8032-1', $hex) . "')";
}

my $w = $node->background_psql('postgres', on_error_stop => 0);
$w->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1');
$node->safe_psql('postgres', "SELECT ledger.require_signatures('s', 'sig', 'key_id')");
my $row1 = signed_row(1, 'rr');
my $row2 = signed_row(2, 'later');
$w->query("INSERT INTO s VALUES $row1");
unlike($w->{stderr}, qr/is not a signed ledger/,
	'REPEATABLE READ snapshot older than require_signatures: not "not a signed ledger"')
  or diag($w->{stderr});
$w->{stderr} = '';
$w->query('ROLLBACK');
$w->{stderr} = '';
$w->query("INSERT INTO s VALUES $row2");
is($w->{stderr}, '', '... and a signed row in the session\'s next transaction is accepted')
  or diag($w->{stderr});
$w->{stderr} = '';
$w->query("INSERT INTO s VALUES (3, 'unsigned', 'k1', NULL)");
like($w->{stderr}, qr/has no signature/, '... and an unsigned one refused for its missing signature');
$w->quit;
is($node->safe_psql('postgres', "SELECT ok FROM ledger.verify('s', ledger.digest('s'))"), 't',
	'... and the signed ledger verifies');

# ---------- 3. the ledger description cache and relations not ledgers ----------

$node->safe_psql('postgres', "CREATE TABLE kept (a int); SELECT ledger.create_ledger('kept')");
my $mem = $node->safe_psql('postgres', q{
	DO $$ BEGIN FOR i IN 1..2000 LOOP
		EXECUTE 'CREATE TEMP TABLE tmp_' || i || ' (a int)';
		BEGIN
			PERFORM ledger.verify(('tmp_' || i)::regclass);
		EXCEPTION WHEN invalid_parameter_value THEN NULL;
		END;
		EXECUTE 'DROP TABLE tmp_' || i;
	END LOOP; END $$;
	INSERT INTO kept VALUES (1);
	SELECT count(*) FROM pg_backend_memory_contexts WHERE name = 'ledger layout';
	SELECT sum(total_bytes) < 65536 FROM pg_backend_memory_contexts
		WHERE 'ledger table cache' IN (name, ident);
	SELECT ok FROM ledger.verify('kept');
});
is($mem, "1\nt\nt",
	'2,000 temporary tables verified and dropped: one layout left (the ledger\'s), the cache small, the ledger verified');

# ---------- 4. the row buffer after an error in the middle of a row ----------

$node->safe_psql('postgres',
	"CREATE DATABASE eucjp ENCODING 'EUC_JP' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
$node->safe_psql('eucjp', "CREATE EXTENSION ledger; CREATE TABLE big (a_big text, z_memo text);
	SELECT ledger.create_ledger('big')");
# 0xADF0 (NEC's row 13) is U+2252 in UTF-8, as is JIS 0xA2E2: no unique form
($ret, $out, $err) = $node->psql('eucjp', q{
	INSERT INTO big VALUES (repeat('x', 100000000), convert_from('\xadf0', 'EUC_JP'));
	SELECT total_bytes < 16000000 FROM pg_backend_memory_contexts WHERE name = 'TopMemoryContext';
	INSERT INTO big VALUES ('small', 'row');
	SELECT count(*) FROM big;
}, on_error_stop => 0);
like($err, qr/ERROR:  value of column "z_memo" has no unique UTF-8 form/,
	'a 100 MB row with text of no unique UTF-8 form refused');
is($out, "t\n1",
	'... and the session\'s top memory context back under 16 MB after the failed transaction; the next row inserted');

# ---------- 5. the same error caught by a savepoint, then a commit ----------

($ret, $out, $err) = $node->psql('eucjp', q{
	BEGIN;
	SAVEPOINT s;
	INSERT INTO big VALUES (repeat('x', 100000000), convert_from('\xadf0', 'EUC_JP'));
	ROLLBACK TO SAVEPOINT s;
	COMMIT;
	SELECT total_bytes < 16000000 FROM pg_backend_memory_contexts WHERE name = 'TopMemoryContext';
	DO $$
	BEGIN
		INSERT INTO big VALUES (repeat('x', 100000000), convert_from('\xadf0', 'EUC_JP'));
	EXCEPTION WHEN untranslatable_character THEN
		NULL;
	END
	$$;
	SELECT total_bytes < 16000000 FROM pg_backend_memory_contexts WHERE name = 'TopMemoryContext';
	SELECT count(*) FROM big;
}, on_error_stop => 0);
like($err, qr/ERROR:  value of column "z_memo" has no unique UTF-8 form/,
	'the 100 MB row refused inside a savepoint');
is($out, "t\nt\n1",
	'... the top memory context back under 16 MB after COMMIT, also after an EXCEPTION block caught the error');

done_testing();
