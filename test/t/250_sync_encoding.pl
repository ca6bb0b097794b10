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
#     nothing.
use strict;
use warnings;

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

done_testing();
