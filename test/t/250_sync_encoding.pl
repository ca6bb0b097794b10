# Copyright (c) the ledger authors; PostgreSQL licence.
#
# A ledger in a database whose encoding is not UTF-8 (LATIN1, as legacy
# banking databases often are), replicated to a peer whose database is
# UTF-8.  The canonical form hashes text and column names in UTF-8
# whatever the server encoding (docs/canonical-format.md), so:
#  1. the same row has the same canonical bytes and leaf hash in a LATIN1
#     database and in a UTF-8 one, and those bytes hold U+00E9 as its UTF-8
#     encoding C3 A9 (The Unicode Standard, table 3-6), not as LATIN1's E9;
#  2. the UTF-8 peer's replica of the LATIN1 origin's ledger (PostgreSQL
#     converts the text on the way) verifies on arrival and against the
#     origin's digest, its digest equal to the origin's, the text equal;
#  3. in a SQL_ASCII database (bytes stored unchecked) a ledger hashes text
#     that is UTF-8 as it is and refuses text that is not (22021), storing
#     nothing;
#  4. there, the digests, proofs and exports (UTF-8 JSON naming the table)
#     of a ledger whose schema and table names are UTF-8 name it exactly,
#     and tools/ledger-audit reads them; a name that is not UTF-8 is
#     refused (22021) by create_ledger, and by prove and export once a
#     ledger is renamed so, which wrote its bytes into the JSON, which the
#     tool could not read (found by a review on 2026-12-05);
#  5. jsonb object keys (found by a review on 2026-12-06): jsonb keeps keys
#     sorted by length and bytes in the server encoding, where U+00E9 is one
#     byte in LATIN1 and two in UTF-8; row format 2 orders them by UTF-8
#     (length, then bytes) at every level, so a row with such keys has the
#     same bytes and leaf in LATIN1 and UTF-8, equal to those computed from
#     docs/canonical-format.md alone, and so has a signed row's message; a
#     LATIN1 database's ledgers dumped and restored into a UTF-8 one verify
#     against their LATIN1 digests, and replicate to a UTF-8 peer.  Row
#     format 1 keeps 0.1.0's bytes (jsonb's order in the server encoding);
#  6. text with no unique UTF-8 form (found by a review on 2026-12-06): in
#     EUC_JP, 0xA2E2 (JIS X 0208) and 0xADF0 (NEC's duplicate) are both
#     U+2252, which converts back to 0xA2E2.  A ledger takes 0xA2E2 and
#     refuses 0xADF0 (22P05) in text, jsonb, COPY and rows that carry their
#     hash, and in column names (create_ledger, ADD COLUMN); a superuser's
#     edit from one to the other, whose UTF-8 and so hash are unchanged,
#     fails verification naming the row, and canonical_bytes, prove and
#     export refuse the row.
use strict;
use warnings;

use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;
use SyncTest;

my $a = sync_node('enc_origin');
my $b = sync_node('enc_peer');
$a->safe_psql('postgres',
	"CREATE DATABASE legacy ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
$b->safe_psql('postgres',
	"CREATE DATABASE modern ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
is($a->safe_psql('legacy', 'SHOW server_encoding'), 'LATIN1', 'origin database in LATIN1');
is($b->safe_psql('modern', 'SHOW server_encoding'), 'UTF8', 'peer database in UTF-8');

# Text written with chr() of code points, so that neither psql's nor the
# script's encoding is involved: U+00E9 e-acute, U+00FC u-umlaut, U+00A3
# pound sign, U+00DF sharp s; a column name with U+00E9 too.
my $setup = q{
DO $$BEGIN
  EXECUTE format('CREATE TABLE pay (id int PRIMARY KEY, %I text, memo text, amount numeric(18,2) NOT NULL)',
                 'b' || chr(233) || 'n' || chr(233) || 'ficiaire');
END$$;
SELECT ledger.create_ledger('pay');
INSERT INTO pay VALUES (1, 'caf' || chr(233), 'Z' || chr(252) || 'rich', 100),
                       (2, 'Stra' || chr(223) || 'e', chr(163) || '100', 2.5);
INSERT INTO pay VALUES (3, 'plain', NULL, 3);
};
$a->safe_psql('legacy', 'CREATE EXTENSION ledger');
$a->safe_psql('legacy', $setup);
$b->safe_psql('postgres', $setup);    # a UTF-8 ledger of the peer's own, to compare

# (the ledger's transaction numbers differ between the two databases: the
# row format 1 forms, which bind no transaction, compare the row itself)
my $canon = q{SELECT encode(ledger.canonical_bytes(p), 'hex') || ' ' || encode(ledger.leaf_hash(p), 'hex')
	FROM pay p WHERE id = %d};
for my $id (1, 2, 3)
{
	is( $a->safe_psql('legacy', sprintf($canon, $id)),
		$b->safe_psql('postgres', sprintf($canon, $id)),
		"row $id: the same canonical bytes and leaf hash in LATIN1 and in UTF-8");
}
like($a->safe_psql('legacy', "SELECT encode(ledger.canonical_bytes(p), 'hex') FROM pay p WHERE id = 1"),
	qr/636166c3a9/, 'LATIN1: "caf" and U+00E9 hashed as UTF-8 (63 61 66 C3 A9)');
unlike($a->safe_psql('legacy', "SELECT encode(ledger.canonical_bytes(p), 'hex') FROM pay p WHERE id = 1"),
	qr/636166e9/, '... not as LATIN1 (63 61 66 E9)');

# ---- 2. replicated into UTF-8 ----
$a->safe_psql('legacy', "SELECT ledger.create_publication('pub_legacy', ARRAY['pay']::regclass[])");
$b->safe_psql('modern', 'CREATE EXTENSION ledger');
my $ci = conninfo($a, 'legacy');
is($b->safe_psql('modern', "SELECT ledger.create_subscription('from_legacy', '$ci', 'pub_legacy')"),
	'1', 'UTF-8 peer subscribes to the LATIN1 origin');
$a->safe_psql('legacy', q{INSERT INTO pay VALUES (4, 'na' || chr(239) || 've', chr(233) || chr(233), 4)});
ok(wait_sealed($a, 'legacy'), 'origin: sealed');
my $d = digest_of($a, 'pay', 'legacy');
ok(wait_head($b, 'pay', head_block($a, 'pay', 'legacy'), 'modern'), 'the replica holds the newest block');
verify_ok($b, 'modern', 'pay', $d, "UTF-8 replica verifies against the LATIN1 origin's digest");
is($b->safe_psql('modern', "SELECT ledger.digest('pay')"), $d, "the replica's digest equals the origin's");
# U+00FC = C3 BC, U+00A3 = C2 A3, U+00E9 = C3 A9 in UTF-8
is( $b->safe_psql('modern',
		q{SELECT string_agg(id || '=' || encode(convert_to(memo, 'UTF8'), 'hex'), ',' ORDER BY id) FROM pay WHERE memo IS NOT NULL}),
	'1=5ac3bc72696368,2=c2a3313030,4=c3a9c3a9',
	'the text arrived converted to UTF-8');
is( $a->safe_psql('legacy',
		q{SELECT string_agg(id || '=' || encode(convert_to(memo, 'LATIN1'), 'hex'), ',' ORDER BY id) FROM pay WHERE memo IS NOT NULL}),
	'1=5afc72696368,2=a3313030,4=e9e9',
	'... from LATIN1 at the origin');

# ---- 3. SQL_ASCII: bytes stored unchecked; a ledger takes valid UTF-8 only ----
$a->safe_psql('postgres',
	"CREATE DATABASE raw ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
$a->safe_psql('raw', q{CREATE EXTENSION ledger; CREATE TABLE memo (id int, memo text); SELECT ledger.create_ledger('memo')});
$a->safe_psql('raw', q{INSERT INTO memo VALUES (1, E'caf\\303\\251')});
like($a->safe_psql('raw', q{SELECT encode(ledger.canonical_bytes(m), 'hex') FROM memo m}),
	qr/636166c3a9$/, 'SQL_ASCII: text that is UTF-8 is hashed as it is');
my ($ret, $out, $err) = $a->psql('raw', qq{\\set VERBOSITY verbose\nINSERT INTO memo VALUES (2, E'caf\\351')});
like($err, qr/ERROR:  22021: invalid byte sequence for encoding "UTF8": 0xe9/,
	'SQL_ASCII: text that is not UTF-8 is refused (22021)');
is($a->safe_psql('raw', 'SELECT count(*) FROM memo'), '1', '... and not stored');
verify_ok($a, 'raw', 'memo', undef, 'SQL_ASCII: the ledger verifies');

# ---- 4. SQL_ASCII: the names in the JSON a ledger writes ----
my $dir = PostgreSQL::Test::Utils::tempdir();

sub write_bytes
{
	my ($name, $bytes) = @_;
	open(my $fh, '>:raw', "$dir/$name") or die "$name: $!";
	print $fh $bytes;
	close($fh);
	return "$dir/$name";
}

sub audit
{
	my ($out, $err) = run_command([ 'python3', "$ENV{TESTDIR}/tools/ledger-audit", @_ ]);
	return ($? >> 8, $out . $err);
}

# schema "s" U+00E9, table "caf" U+00E9, in UTF-8 (C3 A9): t is the regclass text
my $utf = q{SELECT format('%I.%I', E's\\303\\251', E'caf\\303\\251') AS t \gset
};
$a->safe_psql('raw', $utf . q{SELECT format('CREATE SCHEMA %I', E's\\303\\251') \gexec
SELECT format('CREATE TABLE %s (id int, memo text)', :'t') \gexec
SELECT ledger.create_ledger(:'t') IS NOT NULL;
SELECT format('INSERT INTO %s VALUES (1, ''one'')', :'t') \gexec
});
my $d1 = $a->safe_psql('raw', $utf . q{SELECT ledger.digest(:'t')});
$a->safe_psql('raw', $utf . q{SELECT format('INSERT INTO %s VALUES (2, ''two'')', :'t') \gexec});
my $d2 = $a->safe_psql('raw', $utf . q{SELECT ledger.digest(:'t')});
my $proof = $a->safe_psql('raw', $utf . q{SELECT format('SELECT ledger.prove(%L, ledger_xact, ledger_seq) FROM %s WHERE id = 2', :'t', :'t') \gexec});
my $cons = $a->safe_psql('raw', $utf . q{SELECT ledger.consistency_proof(:'t', :'d1'::jsonb, :'d2'::jsonb)}
	=~ s/:'d1'/'$d1'/r =~ s/:'d2'/'$d2'/r);
my $export = $a->safe_psql('raw', $utf . q{SELECT * FROM ledger.export(:'t')}) . "\n";
my $want = qq{"s\x{e9}"."caf\x{e9}"};
for ([ 'digest', $d2 ], [ 'proof', $proof ], [ 'export', (split /\n/, $export)[0] ])
{
	my ($what, $text) = @$_;
	my $name = eval { decode_json($text)->{ledger} };
	is($name, $want, "SQL_ASCII, names in UTF-8: the $what is UTF-8 JSON naming the table exactly") or diag($text);
}
my $rc;
($rc, $out) = audit('inclusion', write_bytes('p.json', $proof), write_bytes('d2.json', $d2));
ok($rc == 0 && $out =~ /^OK: row \(\d+, 0\) of "s\xc3\xa9"."caf\xc3\xa9"/, 'ledger-audit reads the proof and verifies it against the digest') or diag($out);
($rc, $out) = audit('consistency', write_bytes('c.json', $cons), write_bytes('d1.json', $d1), "$dir/d2.json");
ok($rc == 0 && $out =~ /^OK: /, 'ledger-audit reads the consistency proof and both digests') or diag($out);
($rc, $out) = audit('export', write_bytes('e.ndjson', $export), "$dir/d2.json");
ok($rc == 0 && $out =~ /^OK: ledger "s\xc3\xa9"."caf\xc3\xa9": 2 rows/, 'ledger-audit reads the export and verifies it against the digest') or diag($out);

# a name that is not UTF-8 (byte E9, chr(233) in SQL_ASCII)
($ret, $out, $err) = $a->psql('raw', qq{\\set VERBOSITY verbose
SELECT format('%I', 'caf' || chr(233)) AS b \\gset
CREATE TABLE :b (id int);
SELECT ledger.create_ledger(:'b');});
like($err, qr/ERROR:  22021: ledger.create_ledger\(\) cannot name table "caf\xe9" in UTF-8/,
	'SQL_ASCII: create_ledger refuses a table name that is not UTF-8 (22021)');
like($err, qr/HINT:  Rename the table to a name in UTF-8/, '... and says what to rename');
is($a->safe_psql('raw', q{SELECT count(*) FROM ledger.ledgers WHERE name LIKE 'public.%caf%'}), '0', '... and makes no ledger');
# a ledger renamed so afterwards: prove and export refuse; its digest and
# consistency proofs name no table but the one recorded at creation
$a->safe_psql('raw', q{CREATE TABLE ren (id int); SELECT ledger.create_ledger('ren'); INSERT INTO ren VALUES (1)});
my $dr = $a->safe_psql('raw', q{SELECT ledger.digest('ren')});
$a->safe_psql('raw', q{SELECT format('ALTER TABLE ren RENAME TO %I', 'ren' || chr(233)) \gexec});
for my $call (
	[ 'prove', q{SELECT format('SELECT ledger.prove(%L, ledger_xact, ledger_seq) FROM %1$s', format('%I', 'ren' || chr(233))) \\gexec} ],
	[ 'export', q{SELECT * FROM ledger.export(format('%I', 'ren' || chr(233)))} ])
{
	($ret, $out, $err) = $a->psql('raw', "\\set VERBOSITY verbose\n$call->[1]");
	like($err, qr/ERROR:  22021: ledger.$call->[0]\(\) cannot name table "ren\xe9" in UTF-8/,
		"SQL_ASCII: $call->[0] of a ledger renamed to a name that is not UTF-8 is refused (22021)");
	is($out, '', '... and writes nothing');
}
is($a->safe_psql('raw', q{SELECT ledger.digest(format('%I', 'ren' || chr(233))::regclass)}), $dr,
	"... its digest is unchanged");
$a->safe_psql('raw', q{SELECT format('ALTER TABLE %I RENAME TO ren', 'ren' || chr(233)) \gexec});
($rc, $out) = audit('export', write_bytes('r.ndjson', $a->safe_psql('raw', q{SELECT * FROM ledger.export('ren')}) . "\n"),
	write_bytes('dr.json', $dr));
ok($rc == 0 && $out =~ /^OK: ledger public.ren: 1 rows/, 'renamed back, it exports and the export verifies') or diag($out);

# ---- 5. jsonb object keys in UTF-8 order (row format 2) ----
# Keys chr(233) U+00E9, chr(252) U+00FC, chr(223) U+00DF: one byte each in
# LATIN1, two in UTF-8, so jsonb's own order (length, then bytes in the
# server encoding) puts them before "ab" in LATIN1 and after it in UTF-8.
$a->safe_psql('postgres',
	"CREATE DATABASE legjs ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
$a->safe_psql('postgres',
	"CREATE DATABASE utfjs ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
my ($pub) = run_command([ 'python3', "$ENV{TESTDIR}/test/sign_rows.py", 'pub', 'rfc8032-1' ]);
$pub =~ s/\s+//g;
my $docs = q{
CREATE EXTENSION ledger;
CREATE TABLE doc (id int PRIMARY KEY, v jsonb);
SELECT ledger.create_ledger('doc') IS NOT NULL;
INSERT INTO doc VALUES
  (1, jsonb_build_object(chr(233), 1, 'ab', 2, 'n', jsonb_build_object('zz', 1, chr(252),
        jsonb_build_array(jsonb_build_object(chr(223), 1, 'aaa', 2))))),
  (2, jsonb_build_object('k', chr(233), 'list', jsonb_build_array(1.50, NULL, true, 'x"\'), 'e', '{}'::jsonb)),
  (3, to_jsonb(chr(252))),
  (4, jsonb_build_array(jsonb_build_object(chr(233) || chr(233), '', 'abcd', -0.0, 'abc', 1e-7), '[]'::jsonb)),
  (5, jsonb_build_object('ab' || chr(233), 1, chr(233) || 'ab', 2, 'abcd', 3, 'xyz', 4));
CREATE TABLE sdoc (id int PRIMARY KEY, v jsonb, key_id text, sig bytea);
SELECT ledger.create_ledger('sdoc') IS NOT NULL;
SELECT ledger.require_signatures('sdoc', 'sig', 'key_id');
} . "SELECT ledger.add_key('alice', 'Bank A', 'ed25519', '\\x$pub') IS NOT NULL;";
$a->safe_psql($_, $docs) for ('legjs', 'utfjs');
is($a->safe_psql('legjs', 'SHOW server_encoding') . ' ' . $a->safe_psql('utfjs', 'SHOW server_encoding'),
	'LATIN1 UTF8', 'jsonb ledgers in a LATIN1 and a UTF-8 database');

# A signed row: the message as the server gives it, signed by RFC 8032 key 1.
my $sval = q{jsonb_build_object(chr(233), 1, 'ab', jsonb_build_object(chr(252), 2, 'zz', 3))};
my %smsg;
for my $db ('legjs', 'utfjs')
{
	$smsg{$db} = $a->safe_psql($db,
		"SELECT encode(ledger.signing_bytes('sdoc', ROW(1, $sval, 'alice', NULL, NULL, NULL, NULL)::sdoc), 'hex')");
	my $sig = sign_hex('ed25519', 'rfc8032-1', $smsg{$db});
	$a->safe_psql($db, "INSERT INTO sdoc VALUES (1, $sval, 'alice', '\\x$sig')");
}
# (the ledgers' uuids differ: compare the messages after tag and uuid)
is(substr($smsg{legjs}, 58), substr($smsg{utfjs}, 58),
	'signed row with non-ASCII jsonb keys: the same message in LATIN1 and in UTF-8');

# Row format 2 (xact 1, seq 1 here: the transaction numbers differ between
# the two databases) and format 1 of each row.
my $canon2 = q{SELECT string_agg(id || ' ' || encode(ledger.canonical_bytes(d, 1, 1), 'hex') || ' '
	|| encode(ledger.leaf_hash(d, 1, 1), 'hex'), E'\n' ORDER BY id) FROM doc d};
my $lat2 = $a->safe_psql('legjs', $canon2);
my $utf2 = $a->safe_psql('utfjs', $canon2);
my @lat2 = split /\n/, $lat2;
my @utf2 = split /\n/, $utf2;
is(scalar(@lat2), 5, 'five jsonb rows');
for my $i (0 .. $#utf2)
{
	is($lat2[$i], $utf2[$i], 'row format 2, jsonb row ' . ($i + 1) . ': the same bytes and leaf in LATIN1 and in UTF-8');
}
# Computed from docs/canonical-format.md alone with Python's json and
# hashlib: keys sorted by (len(k.encode()), k.encode()), then the format-2
# row 'LR' 02, xact 1, seq 1, (id int4 = 1, v jsonb):
#   {"n": {"zz": 1, "ü": [{"ß": 1, "aaa": 2}]}, "ab": 2, "é": 1}
my $want_text = '7b226e223a207b227a7a223a20312c2022c3bc223a205b7b22c39f223a20312c2022616161223a20327d5d7d2c20'
  . '226162223a20322c2022c3a9223a20317d';
is( $lat2[0],
	'1 4c5202000000000000000100000000000000010002000269640300000004000000010001761000'
	  . "00003f$want_text 575dacf19aabf0750d378b730a9cd6b4e6be80d3a873f7fc6ee88c24b91aa14b",
	'LATIN1, row format 2: keys in UTF-8 order at every level; bytes and leaf as computed from the spec');
is($a->safe_psql('legjs', q{SELECT count(*) FROM doc d WHERE ledger_hash <> ledger.leaf_hash(d, ledger_xact, ledger_seq)}),
	'0', 'LATIN1: every stored leaf is the format-2 leaf');
# Row format 1 is 0.1.0's: jsonb's own order, in LATIN1 "n", U+00E9, "ab"
like($a->safe_psql('legjs', q{SELECT encode(ledger.canonical_bytes(d), 'hex') FROM doc d WHERE id = 1}),
	qr/7b226e223a207b22c3bc223a205b7b22c39f223a20312c2022616161223a20327d5d2c20227a7a223a20317d2c2022c3a9223a20312c20226162223a20327d$/,
	'LATIN1, row format 1: jsonb keys in the server encoding\'s order, as 0.1.0 hashed them');

# dump (custom format) of the LATIN1 database, restored into a UTF-8 one
my %djs;
ok(wait_sealed($a, 'legjs'), 'LATIN1 jsonb ledgers sealed');
$djs{$_} = digest_of($a, $_, 'legjs') for ('doc', 'sdoc');
verify_ok($a, 'legjs', $_, $djs{$_}, "LATIN1: $_ verifies") for ('doc', 'sdoc');
my $jdump = "$dir/legjs.dump";
$a->command_ok([ 'pg_dump', '-Fc', '-d', $a->connstr('legjs'), '-f', $jdump ], 'pg_dump -Fc of the LATIN1 database');
$a->safe_psql('postgres',
	"CREATE DATABASE utfrestored ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
$a->command_ok([ 'pg_restore', '-d', $a->connstr('utfrestored'), $jdump ], 'pg_restore into a UTF-8 database');
verify_ok($a, 'utfrestored', $_, $djs{$_}, "restored in UTF-8: $_ verifies against its LATIN1 digest")
  for ('doc', 'sdoc');

# replicated to a UTF-8 peer
$a->safe_psql('legjs', "SELECT ledger.create_publication('pub_legjs', ARRAY['doc', 'sdoc']::regclass[])");
$b->safe_psql('postgres',
	"CREATE DATABASE modernjs ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
$b->safe_psql('modernjs', 'CREATE EXTENSION ledger');
my $cij = conninfo($a, 'legjs');
$b->safe_psql('modernjs', "SELECT ledger.create_subscription('from_legjs', '$cij', 'pub_legjs')");
$a->safe_psql('legjs', q{INSERT INTO doc VALUES (6, jsonb_build_object(chr(252), 6, 'zz', 7))});
ok(wait_sealed($a, 'legjs'), 'origin: the new jsonb row sealed');
$djs{$_} = digest_of($a, $_, 'legjs') for ('doc', 'sdoc');
for my $t ('doc', 'sdoc')
{
	ok(wait_head($b, $t, head_block($a, $t, 'legjs'), 'modernjs'), "the UTF-8 replica of $t holds the newest block");
	verify_ok($b, 'modernjs', $t, $djs{$t}, "UTF-8 replica: $t verifies against the LATIN1 origin's digest");
}


# ---- 6. EUC_JP: text with no unique UTF-8 form ----
$a->safe_psql('postgres',
	"CREATE DATABASE eucjp ENCODING 'EUC_JP' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
# the bytes are made in the server, so that no client conversion maps them
my $jis = q{convert_from('\xa2e2', 'EUC_JP')};
my $nec = q{convert_from('\xadf0', 'EUC_JP')};
$a->safe_psql(
	'eucjp', qq{CREATE EXTENSION ledger;
CREATE TABLE pay (id int, memo text, doc jsonb);
SELECT ledger.create_ledger('pay');
INSERT INTO pay VALUES (1, 'rate ' || $jis || ' 1.0', jsonb_build_object($jis, 1)), (2, 'plain', NULL)});
like($a->safe_psql('eucjp', q{SELECT encode(ledger.canonical_bytes(p), 'hex') FROM pay p WHERE id = 1}),
	qr/7261746520e289922031/, 'EUC_JP: 0xA2E2 is hashed as U+2252 in UTF-8 (E2 89 92)');
my $dj = digest_of($a, 'pay', 'eucjp');
verify_ok($a, 'eucjp', 'pay', $dj, 'EUC_JP: the ledger verifies');

my @refused = (
	[ "INSERT INTO pay VALUES (3, 'rate ' || $nec || ' 1.0')", 'memo', 'INSERT of text' ],
	[ "INSERT INTO pay VALUES (3, 'x', jsonb_build_object($nec, 1))", 'doc', 'INSERT of a jsonb key' ],
	[ "SET client_encoding = 'EUC_JP'; COPY pay (id, memo) FROM stdin;\n3\t\xad\xf0\n\\.\n", 'memo', 'COPY' ],
	[ "INSERT INTO pay (id, memo, doc, ledger_xact, ledger_seq, ledger_hash) "
		  . "SELECT 3, replace(memo, $jis, $nec), doc, ledger_xact, ledger_seq, ledger_hash FROM pay WHERE id = 1",
		'memo', 'a row carrying its hash (as replication brings them)' ]);
for my $r (@refused)
{
	($ret, $out, $err) = $a->psql('eucjp', "\\set VERBOSITY verbose\n$r->[0]");
	like($err, qr/ERROR:  22P05: value of column "$r->[1]" has no unique UTF-8 form/,
		"EUC_JP: 0xADF0 refused (22P05): $r->[2]");
}
like($err, qr/DETAIL:  The character with byte sequence 0xad 0xf0 in encoding "EUC_JP" is U\+2252 in UTF-8, which converts back to 0xa2 0xe2/,
	'... naming the bytes, the encoding and the character');
like($err, qr/HINT:  Store the character as 0xa2 0xe2/, '... and what to store instead');
is($a->safe_psql('eucjp', 'SELECT count(*) FROM pay'), '2', '... storing nothing');

# a superuser's edit from 0xA2E2 to 0xADF0: the same UTF-8, the same hash
$a->safe_psql(
	'eucjp', qq{BEGIN;
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER TABLE pay DISABLE TRIGGER ALL;
UPDATE pay SET memo = replace(memo, $jis, $nec) WHERE id = 1;
ALTER TABLE pay ENABLE ALWAYS TRIGGER zz_ledger_row;
ALTER TABLE pay ENABLE ALWAYS TRIGGER ledger_append_only;
ALTER TABLE pay ENABLE ALWAYS TRIGGER ledger_append_only_row;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
COMMIT});
is($a->safe_psql('eucjp', q{SELECT encode(convert_to(memo, 'EUC_JP'), 'hex') FROM pay WHERE id = 1}),
	'7261746520adf020312e30', 'EUC_JP: the stored text was changed');
my $vj = verify($a, 'eucjp', 'pay', $dj);
is($vj->{ok}, 'f', 'EUC_JP: the edited ledger fails verification');
like($vj->{problem},
	qr/^row at ctid \(\d+,\d+\) \(transaction \d+, sequence 0\) has a value in column "memo" with no unique UTF-8 form: the character with byte sequence 0xad 0xf0/,
	'... naming the row, the column and the bytes');
for my $q (q{SELECT ledger.canonical_bytes(p) FROM pay p WHERE id = 1},
	q{SELECT ledger.prove('pay', ledger_xact, ledger_seq) FROM pay WHERE id = 1},
	q{SELECT count(*) FROM ledger.export('pay')})
{
	($ret, $out, $err) = $a->psql('eucjp', "\\set VERBOSITY verbose\n$q");
	like($err, qr/ERROR:  22P05: value of column "memo" has no unique UTF-8 form/, "EUC_JP: refused (22P05): $q");
}

# column names: "x" and U+2252 twice, once in each form; NULL is absence,
# so (1, 100, NULL) and (1, NULL, 100) had the same bytes
$a->safe_psql(
	'eucjp', qq{DO \$\$BEGIN
EXECUTE format('CREATE TABLE two (id int, %I int, %I int)', 'x' || $jis, 'x' || $nec);
EXECUTE format('CREATE TYPE twin AS (id int, %I int, %I int)', 'x' || $jis, 'x' || $nec);
END\$\$});
for my $q (q{SELECT ledger.create_ledger('two')}, q{SELECT ledger.canonical_bytes(ROW(1, NULL, 100)::twin)})
{
	($ret, $out, $err) = $a->psql('eucjp', "\\set VERBOSITY verbose\n$q");
	like($err, qr/ERROR:  22P05: column name "x.*" has no unique UTF-8 form/, "EUC_JP: a column name in 0xADF0 refused: $q");
}
like($err, qr/HINT:  Name the column with 0xa2 0xe2 for that character/, '... saying what to name it with');
is($a->safe_psql('eucjp', q{SELECT count(*) FROM ledger.ledgers WHERE name = 'public.two'}), '0', '... and no ledger made');
($ret, $out, $err) = $a->psql('eucjp',
	qq{\\set VERBOSITY verbose\nDO \$\$BEGIN EXECUTE format('ALTER TABLE pay ADD COLUMN %I int', 'y' || $nec); END\$\$});
like($err, qr/ERROR:  22P05: column name "y.*" has no unique UTF-8 form/, 'EUC_JP: ADD COLUMN of such a name refused');
is($a->safe_psql('eucjp', q{SELECT count(*) FROM pg_attribute WHERE attrelid = 'pay'::regclass AND attnum > 0}),
	'6', '... and not added');
$a->safe_psql('eucjp',
	qq{DO \$\$BEGIN EXECUTE format('ALTER TABLE pay ADD COLUMN %I int', 'y' || $jis); END\$\$});
is($a->safe_psql('eucjp', q{SELECT count(*) FROM pg_attribute WHERE attrelid = 'pay'::regclass AND attnum > 0}),
	'7', 'EUC_JP: ADD COLUMN with 0xA2E2 in the name is taken');

# a superuser's rename from one form to the other, the guard off: the rows
# holding a value in the column have the same UTF-8, and hash
is($a->safe_psql('eucjp', q{SELECT encode(ledger.canonical_bytes(ROW(1, 100, NULL)::twin), 'hex')}),
	'4c52010002000269640300000004000000010004' . '78e28992' . '0300000004' . '00000064',
	'EUC_JP: the column named in 0xA2E2 is hashed as U+2252, a row with NULL in the other taken');
$a->safe_psql(
	'eucjp', qq{DO \$\$BEGIN
EXECUTE format('CREATE TABLE three (id int, %I int)', 'z' || $jis);
END\$\$;
SELECT ledger.create_ledger('three');
INSERT INTO three VALUES (1, NULL), (2, 5)});
my $d3 = digest_of($a, 'three', 'eucjp');
$a->safe_psql(
	'eucjp', qq{BEGIN;
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
DO \$\$BEGIN EXECUTE format('ALTER TABLE three RENAME COLUMN %I TO %I', 'z' || $jis, 'z' || $nec); END\$\$;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
COMMIT});
$vj = verify($a, 'eucjp', 'three', $d3);
is($vj->{ok}, 'f', 'EUC_JP: a column renamed to 0xADF0 behind the guard fails verification');
like($vj->{problem},
	qr/^row at ctid \(0,2\) \(transaction \d+, sequence 1\) has a value in column "z.*", whose name has no unique UTF-8 form: the character with byte sequence 0xad 0xf0/,
	'... naming the first row with a value in it');
($ret, $out, $err) = $a->psql('eucjp', "\\set VERBOSITY verbose\nINSERT INTO three VALUES (3, 1)");
like($err, qr/ERROR:  22P05: column name "z.*" has no unique UTF-8 form/, '... and a row with a value in it is refused');

# ---- 7. column names a ledger could not hash or a UTF-8 database hold ----
# (a review of 2026-12-06) SQL_ASCII: a table owner's ADD COLUMN of a name
# that is not UTF-8 was accepted, and every later insert and verify of the
# ledger failed for good (the column can be neither dropped nor renamed);
# LATIN1: a name of 40 e-acute is 40 bytes there and 80 in UTF-8, so a dump
# restored into a UTF-8 database truncated it to 63 and the restored ledger
# lost its triggers and failed verify
($ret, $out, $err) = $a->psql('raw',
	"\\set VERBOSITY verbose\nDO \$\$BEGIN EXECUTE format('ALTER TABLE memo ADD COLUMN %I text', 'note' || chr(233)); END\$\$");
like($err, qr/ERROR:  22021: invalid byte sequence for encoding "UTF8": 0xe9/,
	'SQL_ASCII: ADD COLUMN of a name that is not UTF-8 is refused (22021)');
is($a->safe_psql('raw', "SELECT count(*) FROM pg_attribute WHERE attrelid = 'memo'::regclass AND attnum > 0 AND NOT attisdropped"),
	'5', '... and the column is not added (id, memo and the three ledger columns)');
$a->safe_psql('raw', q{INSERT INTO memo VALUES (3, 'after')});
verify_ok($a, 'raw', 'memo', undef, '... the ledger takes rows and verifies');
$a->safe_psql('legacy', q{CREATE TABLE seven (id int); SELECT ledger.create_ledger('seven')});
($ret, $out, $err) = $a->psql('legacy',
	"\\set VERBOSITY verbose\nDO \$\$BEGIN EXECUTE format('ALTER TABLE seven ADD COLUMN %I text', repeat(chr(233), 40)); END\$\$");
like($err, qr/ERROR:  42622: column name ".*" is 80 bytes in UTF-8, more than a name holds \(63\)/,
	'LATIN1: ADD COLUMN of a name of 80 bytes in UTF-8 is refused (42622)');
($ret, $out, $err) = $a->psql('legacy',
	"\\set VERBOSITY verbose\nDO \$\$BEGIN EXECUTE format('CREATE TABLE longname (id int, %I text)', repeat(chr(233), 40)); END\$\$;\nSELECT ledger.create_ledger('longname')");
like($err, qr/ERROR:  42622: column name ".*" is 80 bytes in UTF-8/, '... and create_ledger of a table with one');

done_testing();
