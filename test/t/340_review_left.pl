
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Three faults the reviews of 2026-12-05 reproduced and left, each failing
# here against the code before:
#  1. A function that a row's insert runs after the ledger's trigger (a
#     CHECK constraint, a row-level security policy) and that inserts into
#     the same ledger had the outer row counted as skipped: the row trigger
#     holds a row until it knows it was stored (ON CONFLICT DO NOTHING) and
#     settled it when the nested insert fired it, before the outer row was
#     stored.  Verify then reported "rows were added", for good.  Such a
#     nested insert is now refused (27000); one made after the outer row is
#     stored (a volatile function in INSERT ... SELECT) goes through.
#  2. INSERT ... ON CONFLICT DO NOTHING into a signed ledger recorded the
#     row's signed message (replay protection) before the conflict check:
#     a skipped row's message stayed, and the same correctly signed row was
#     refused as a replay for good.  The message now goes back at commit.
#  3. The DDL guard compares column types by name: a domain renamed, another
#     made under its old name over another base type, and ALTER COLUMN ...
#     TYPE to it (binary-coercible, no rewrite) passed, and earlier rows then
#     failed verify; so did ALTER TYPE ... ALTER ATTRIBUTE ... TYPE ...
#     CASCADE of a typed ledger's type.  Both are now refused before they
#     run, for any type.
# And one the review of the audit tool reproduced (2026-12-05): an export
# taken inside a transaction that had written to the ledger carried that
# transaction's rows, which have no record yet, and tools/ledger-audit
# reported them as inserted around the ledger.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('left', conf => "max_prepared_transactions = 5\n");
$node->safe_psql('postgres', q{
	CREATE EXTENSION ledger;
	CREATE ROLE app LOGIN;
});

sub verbose_err
{
	my ($sql, @o) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql", @o);
	return $err;
}

# ---------- 1. inserts nested in a row's insert ----------
$node->safe_psql('postgres', q{
	CREATE TABLE nest (id int PRIMARY KEY, v text);
	SELECT ledger.create_ledger('nest');
	CREATE FUNCTION side(i int) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		IF i BETWEEN 1 AND 99 THEN INSERT INTO nest VALUES (i + 1000, 'side'); END IF;
		RETURN true;
	END $$;
});

# a volatile function in the SELECT list: its row is inserted between the
# statement's rows, each of which is stored by then
$node->safe_psql('postgres', q{INSERT INTO nest SELECT i, 'main' FROM generate_series(1, 3) i WHERE side(i)});
is($node->safe_psql('postgres', 'SELECT count(*) FROM nest'), '6',
	'INSERT ... SELECT whose function inserts into the same ledger stores all six rows');
ok(wait_sealed($node, 'postgres'), '... sealed');
verify_ok($node, 'postgres', 'nest', undef, '... and the ledger verifies');

# a CHECK constraint that inserts while the row is being inserted
$node->safe_psql('postgres', 'ALTER TABLE nest ADD CONSTRAINT c CHECK (side(id)) NOT VALID');
like(verbose_err(q{INSERT INTO nest VALUES (5, 'checked')}),
	qr/ERROR:  27000: cannot insert into ledger table "nest" while a row of it is being inserted/,
	'a CHECK constraint whose function inserts into the same ledger is refused');
$node->safe_psql('postgres', q{INSERT INTO nest VALUES (500, 'checked')});
is($node->safe_psql('postgres', 'SELECT string_agg(id::text, \',\' ORDER BY id) FROM nest WHERE v = \'checked\''),
	'500', '... a row whose check inserts nothing is stored');

# refused inside an exception block: the outer row goes on, and is counted
$node->safe_psql('postgres', q{
	CREATE OR REPLACE FUNCTION side(i int) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		IF i BETWEEN 1 AND 99 THEN
			BEGIN
				INSERT INTO nest VALUES (i + 1000, 'side');
			EXCEPTION WHEN triggered_data_change_violation THEN
				RAISE NOTICE 'nested insert refused';
			END;
		END IF;
		RETURN true;
	END $$;
});
my ($ret, $out, $err) = $node->psql('postgres', q{INSERT INTO nest VALUES (7, 'caught')});
like($err, qr/nested insert refused/, 'the refusal can be caught inside the check');
is($node->safe_psql('postgres', q{SELECT count(*) FROM nest WHERE id IN (7, 1007)}), '1',
	'... the outer row is stored, the nested one is not');

# COPY: the same, through a utility command
$node->safe_psql('postgres', q{
	CREATE OR REPLACE FUNCTION side(i int) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
		IF i BETWEEN 1 AND 99 THEN INSERT INTO nest VALUES (i + 1000, 'side'); END IF;
		RETURN true;
	END $$;
});
like(verbose_err("COPY nest (id, v) FROM stdin;\n8\tcopied\n\\.\n"),
	qr/ERROR:  27000: cannot insert into ledger table "nest"/, 'COPY whose CHECK inserts into the ledger is refused');
# a data-modifying CTE that nothing reads runs in ExecutorFinish, not in
# ExecutorRun (second review of 2026-12-05: its rows were stamped in no
# known run, and the nesting went unseen)
like(verbose_err(q{WITH x AS (INSERT INTO nest VALUES (6, 'cte') RETURNING 1) SELECT 1}),
	qr/ERROR:  27000: cannot insert into ledger table "nest"/,
	'a CTE inserting a row whose CHECK inserts into the ledger is refused');
$node->safe_psql('postgres', q{
	CREATE TABLE nest2 (id int PRIMARY KEY, v text);
	SELECT ledger.create_ledger('nest2');
	CREATE FUNCTION side_cte(i int) RETURNS boolean LANGUAGE plpgsql AS $$
	DECLARE n int;
	BEGIN
		IF i < 100 THEN
			WITH x AS (INSERT INTO nest2 VALUES (i + 1000, 'side') RETURNING 1) SELECT 1 INTO n;
		END IF;
		RETURN true;
	END $$;
	ALTER TABLE nest2 ADD CONSTRAINT c CHECK (side_cte(id));
});
like(verbose_err(q{INSERT INTO nest2 VALUES (5, 'plain')}),
	qr/ERROR:  27000: cannot insert into ledger table "nest2"/,
	'... and so is a CHECK whose function inserts through a CTE');

$node->safe_psql('postgres', 'ALTER TABLE nest DROP CONSTRAINT c');

# a row-level security policy, run by the application role
$node->safe_psql('postgres', q{
	GRANT INSERT, SELECT ON nest TO app;
	ALTER TABLE nest ENABLE ROW LEVEL SECURITY;
	CREATE POLICY ins ON nest FOR INSERT TO app WITH CHECK (side(id));
	CREATE POLICY sel ON nest FOR SELECT TO app USING (true);
});
like(verbose_err(q{INSERT INTO nest VALUES (9, 'policed')}, extra_params => [ '-U', 'app' ]),
	qr/ERROR:  27000: cannot insert into ledger table "nest"/,
	'a row-level security policy whose function inserts into the ledger is refused');
$node->safe_psql('postgres', q{INSERT INTO nest VALUES (600, 'policed')}, extra_params => [ '-U', 'app' ]);
$node->safe_psql('postgres', 'ALTER TABLE nest DISABLE ROW LEVEL SECURITY');

# ON CONFLICT DO NOTHING still skips rows; a skipped row followed, in the
# same statement, by a nested insert cannot be told from one in progress
$node->safe_psql('postgres', q{INSERT INTO nest VALUES (1, 'dup'), (700, 'new') ON CONFLICT DO NOTHING});
is($node->safe_psql('postgres', q{SELECT count(*) FROM nest WHERE v IN ('dup', 'new')}), '1',
	'ON CONFLICT DO NOTHING skips the conflicting row and stores the other');
like(verbose_err(q{INSERT INTO nest SELECT i, 'again' FROM generate_series(2, 3) i WHERE side(i + 20) ON CONFLICT DO NOTHING}),
	qr/ERROR:  27000: /, '... a skipped row, then a nested insert in the same statement, is refused (documented)');

ok(wait_sealed($node, 'postgres'), 'sealed');
my $v = verify_ok($node, 'postgres', 'nest', undef, 'the ledger verifies after all of these (before: "rows were added")');
is($v->{rows}, $node->safe_psql('postgres', 'SELECT count(*) FROM nest'), '... every stored row checked');

# ---------- 2. a signed row skipped by ON CONFLICT DO NOTHING ----------
my ($pub) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', 'rfc8032-1' ]);
$pub =~ s/\s+//g;
$node->safe_psql('postgres', qq{
	SELECT ledger.add_key('ed-1', 'tap', 'ed25519', '\\x$pub');
	CREATE TABLE sp (id int, payer text, amount numeric, key_id text, sig bytea);
	SELECT ledger.create_ledger('sp');
	SELECT ledger.require_signatures('sp', 'sig', 'key_id');
});

# VALUES of a row of sp signed by RFC 8032's TEST 1 key
sub signed
{
	my ($id, $payer, $amount) = @_;
	my $hex = $node->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('sp', ROW($id, '$payer', $amount, 'ed-1', NULL, NULL, NULL, NULL)::sp), 'hex')"
	);
	my $sig = sign_hex('ed25519', 'rfc8032-1', $hex);
	return "($id, '$payer', $amount, 'ed-1', '\\x$sig')";
}
my $messages = sub {
	$node->safe_psql('postgres',
		"SELECT count(*) FROM ledger.signed_messages m JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'sp'::regclass"
	);
};

my $a = signed(1, 'alice', 10);
my $b = signed(2, 'alice', 20);
my $c = signed(3, 'alice', 30);
$node->safe_psql('postgres', "INSERT INTO sp VALUES $a");
# the owner's unique index makes the next row conflict
$node->safe_psql('postgres', 'CREATE UNIQUE INDEX sp_payer ON sp (payer)');
$node->safe_psql('postgres', "INSERT INTO sp VALUES $b ON CONFLICT DO NOTHING");
is($node->safe_psql('postgres', 'SELECT count(*) FROM sp'), '1', 'a signed row that conflicts is skipped');
is($messages->(), '1', '... and its signed message is not kept (before: 2)');
$node->safe_psql('postgres', 'DROP INDEX sp_payer');
($ret, $out, $err) = $node->psql('postgres', "INSERT INTO sp VALUES $b");
is($err, '', '... so the same signed row is accepted once the conflict is gone (before: refused as a replay)');
($ret, $out, $err) = $node->psql('postgres', "INSERT INTO sp VALUES $b");
like($err, qr/was already inserted/, '... and then, stored, is refused as a replay');

# the table's relcache entry rebuilt after the skip (a GRANT here; another
# session's ANALYZE does the same): the pre-commit count still sees the
# skip (second review of 2026-12-05: the row was taken as stored)
$node->safe_psql('postgres', 'CREATE UNIQUE INDEX sp_id ON sp (id)');
my $g = signed(1, 'zed', 5);
($ret, $out, $err) = $node->psql('postgres', "BEGIN; INSERT INTO sp VALUES $g ON CONFLICT DO NOTHING; GRANT SELECT ON sp TO app; COMMIT");
is($err, '', 'a row skipped, then the table granted, in one transaction');
is($messages->(), '2', '... leaves no message for the skipped row');
$node->safe_psql('postgres', 'DROP INDEX sp_id');

# inside one transaction the message stays taken until commit (documented)
$node->safe_psql('postgres', 'CREATE UNIQUE INDEX sp_payer ON sp (payer, amount)');
($ret, $out, $err) = $node->psql('postgres',
	"BEGIN; INSERT INTO sp VALUES $a ON CONFLICT DO NOTHING; INSERT INTO sp VALUES $a ON CONFLICT DO NOTHING; COMMIT");
like($err, qr/was already inserted/, 'a row of the ledger re-sent is refused as a replay, not skipped');

# skipped inside a savepoint: rolled back with it, or kept and given back
($ret, $out, $err) = $node->psql('postgres', qq{
	BEGIN;
	SAVEPOINT s1;
	INSERT INTO sp VALUES $c ON CONFLICT DO NOTHING;
	INSERT INTO sp VALUES } . signed(7, 'alice', 10) . qq{ ON CONFLICT DO NOTHING;
	ROLLBACK TO s1;
	SAVEPOINT s2;
	INSERT INTO sp VALUES } . signed(4, 'alice', 20) . qq{ ON CONFLICT DO NOTHING;
	RELEASE s2;
	COMMIT;
});
is($err, '', 'skips inside savepoints, one rolled back, one released, commit');
is($messages->(), '2', '... and leave only the stored rows\' messages');

# a prepared transaction gives the message back at COMMIT PREPARED
my $d = signed(5, 'bob', 20);
$node->safe_psql('postgres', "INSERT INTO sp VALUES " . signed(6, 'bob', 20));
$node->safe_psql('postgres', "BEGIN; INSERT INTO sp VALUES $d ON CONFLICT DO NOTHING; PREPARE TRANSACTION 'skip'");
$node->safe_psql('postgres', "COMMIT PREPARED 'skip'");
is($messages->(), '3', 'a row skipped in a prepared transaction leaves no message');
$node->safe_psql('postgres', 'DROP INDEX sp_payer');
($ret, $out, $err) = $node->psql('postgres', "INSERT INTO sp VALUES $d");
is($err, '', '... and is accepted later');
ok(wait_sealed($node, 'postgres'), 'sealed');
$v = verify_ok($node, 'postgres', 'sp', undef, 'the signed ledger verifies');
is($v->{rows}, '4', '... four rows');

# a skipped row's message deleted already in the transaction, by
# drop_ledger: taking it back at commit is no error
$node->safe_psql('postgres', q{
	CREATE TABLE sp2 (id int, payer text, amount numeric, key_id text, sig bytea);
	SELECT ledger.create_ledger('sp2');
	SELECT ledger.require_signatures('sp2', 'sig', 'key_id');
	CREATE UNIQUE INDEX sp2_id ON sp2 (id);
});
sub signed2
{
	my ($id, $payer, $amount) = @_;
	my $hex = $node->safe_psql('postgres',
		"SELECT encode(ledger.signing_bytes('sp2', ROW($id, '$payer', $amount, 'ed-1', NULL, NULL, NULL, NULL)::sp2), 'hex')"
	);
	return "($id, '$payer', $amount, 'ed-1', '\\x" . sign_hex('ed25519', 'rfc8032-1', $hex) . "')";
}
$node->safe_psql('postgres', 'INSERT INTO sp2 VALUES ' . signed2(1, 'ann', 1));
my $sp2_id = $node->safe_psql('postgres', "SELECT ledger_id FROM ledger.ledgers WHERE relation = 'sp2'::regclass");
# (a row stored in the transaction makes drop_ledger refuse, since
# 2026-12-06: its record was written at commit for a ledger gone)
($ret, $out, $err) = $node->psql('postgres',
	'BEGIN; INSERT INTO sp2 VALUES ' . signed2(1, 'bob', 2) . ' ON CONFLICT DO NOTHING; INSERT INTO sp2 VALUES '
	  . signed2(2, 'cy', 3) . "; SELECT ledger.drop_ledger('sp2'); COMMIT");
like($err, qr/cannot drop ledger "public.sp2": this transaction wrote rows to it/,
	'a skipped and a stored signed row, then drop_ledger, in one transaction: refused');
($ret, $out, $err) = $node->psql('postgres',
	'BEGIN; INSERT INTO sp2 VALUES ' . signed2(1, 'bob', 2) . " ON CONFLICT DO NOTHING; SELECT ledger.drop_ledger('sp2'); COMMIT");
is($err, '', 'a skipped signed row, then drop_ledger, in one transaction: committed');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM ledger.transactions WHERE ledger_id = $sp2_id") . ','
	  . $node->safe_psql('postgres', "SELECT count(*) FROM ledger.seal_queue WHERE ledger_id = $sp2_id"),
	'0,0', '... and leaves no record or work-list entry of the ledger dropped');

# ---------- 3. a column retyped to a type of the same name ----------
$node->safe_psql('postgres', q{
	CREATE DOMAIN memo AS text;
	CREATE TABLE dl (id int, m memo);
	SELECT ledger.create_ledger('dl');
	INSERT INTO dl VALUES (1, 'one');
	-- a typed ledger: its columns follow its type
	CREATE TABLE tl (id int, m memo);
	SELECT ledger.create_ledger('tl');
	INSERT INTO tl VALUES (1, 'one');
	CREATE TYPE tl_type AS (id int, m memo, ledger_xact int8, ledger_seq int8, ledger_hash bytea);
	ALTER TABLE tl OF tl_type;
	-- (renaming the domain, as the review did, is refused since 2026-12-06:
	-- the ledgers' recorded column definitions name it)
	CREATE SCHEMA other;
	CREATE DOMAIN other.memo AS varchar;
});
like(verbose_err('ALTER TABLE dl ALTER COLUMN m TYPE other.memo'),
	qr/ERROR:  0A000: cannot change the type of column "m" of ledger table "dl"/,
	'ALTER COLUMN ... TYPE to another type of the same name is refused (before: passed)');
like(verbose_err('ALTER TABLE dl ADD COLUMN extra int, ALTER COLUMN m TYPE memo'),
	qr/ERROR:  0A000: cannot change the type of column "m"/, '... any ALTER COLUMN ... TYPE, with other commands too');
like(verbose_err('ALTER TYPE tl_type ALTER ATTRIBUTE m TYPE other.memo CASCADE'),
	qr/ERROR:  0A000: cannot change the type of attribute "m" of type "tl_type".*DETAIL:  Ledger table "tl" is a typed table of it/s,
	'... and so is ALTER TYPE ... ALTER ATTRIBUTE ... TYPE of a typed ledger\'s type (before: passed)');
is($node->safe_psql('postgres', "SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attrelid::regclass::text) FROM pg_attribute WHERE attrelid IN ('dl'::regclass, 'tl'::regclass) AND attname = 'm'"),
	'memo,memo', '... the columns keep their types');
$node->safe_psql('postgres', q{INSERT INTO dl VALUES (2, 'two'); INSERT INTO tl VALUES (2, 'two')});
ok(wait_sealed($node, 'postgres'), 'sealed');
verify_ok($node, 'postgres', 'dl', undef, '... and the ledgers verify');
verify_ok($node, 'postgres', 'tl', undef, '... both of them');

# ---------- 4. an export inside a transaction that wrote to the ledger ----------
my $export = $node->safe_psql('postgres', q{
	BEGIN;
	INSERT INTO dl VALUES (3, 'three');
	SELECT * FROM ledger.export('dl');
	COMMIT;
});
my $exdir = PostgreSQL::Test::Utils::tempdir();
open(my $fh, '>', "$exdir/own.ndjson") or die;
print $fh "$export\n";
close($fh);
is(scalar(() = $export =~ /"type" : "row"|"type":"row"/g), 2, 'an export inside a writing transaction holds the two committed rows, not its own');
my ($aout, $aerr) = run_command([ 'python3', "$ENV{TESTDIR}/tools/ledger-audit", 'export', "$exdir/own.ndjson" ]);
like($aout, qr/^UNANCHORED: ledger public.dl: 2 rows/, '... and tools/ledger-audit finds it consistent (before: "inserted around the ledger")');
is($node->safe_psql('postgres', 'SELECT ledger._own_xact() IS NULL'), 't', 'ledger._own_xact() is NULL in a transaction that wrote no ledger row');

$node->stop;
done_testing();
