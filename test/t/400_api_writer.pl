
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

done_testing();
