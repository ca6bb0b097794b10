
# Copyright (c) the ledger authors; PostgreSQL licence.
#
# Fuzzing of the parsers of outside input (2026-12-06), as fixed-seed
# PL/pgSQL loops of mutated calls: each call ends in a result or an error
# with a proper SQLSTATE (never class XX but the documented XX001, never
# P0001), and no mutated signature, proof, digest or note is accepted.
#
# The fault it found, failing here against the code before: a public key
# given as a SubjectPublicKeyInfo (DER bytea, or a PEM PUBLIC KEY block) was
# decoded by OpenSSL, which takes BER (long-form lengths) and a BIT STRING
# whose first byte declares unused bits, which it clears: an Ed25519 key
# ending in an odd byte, sent with one declared unused bit, was registered
# as another key.  A PEM block's key was also taken with trailing bytes
# after it.  The key's DER encoding must now give back the input exactly.

use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use LedgerTest;

my $node = ledger_node('fuzz');
$node->safe_psql('postgres', q{CREATE EXTENSION ledger;});

# ---------------------------------------------------------------- helpers
$node->safe_psql('postgres', q{
CREATE SCHEMA fz;
CREATE TABLE fz.out(target text, sqlstate text, msg text, input text, result text);
CREATE FUNCTION fz.ri(n int) RETURNS int LANGUAGE sql AS $$ SELECT floor(random()*n)::int $$;
CREATE FUNCTION fz.rb(n int) RETURNS bytea LANGUAGE sql AS $$
  SELECT coalesce(string_agg(set_byte('\x00'::bytea,0,fz.ri(256)),''::bytea),''::bytea) FROM generate_series(1,n) $$;
-- one mutation: bit flip, truncation, extension, interesting byte, insert,
-- delete, duplicated chunk, splice with another input, ...
CREATE FUNCTION fz.mut1(b bytea, other bytea DEFAULT NULL) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE n int := length(b); op int := fz.ri(12); i int; j int;
BEGIN
  IF n = 0 THEN RETURN fz.rb(1 + fz.ri(4)); END IF;
  i := fz.ri(n);
  CASE op
  WHEN 0 THEN RETURN set_byte(b, i, get_byte(b,i) # (1 << fz.ri(8)));
  WHEN 1 THEN RETURN substr(b, 1, fz.ri(n));
  WHEN 2 THEN RETURN b || fz.rb(1 + fz.ri(8));
  WHEN 3 THEN RETURN set_byte(b, i, (ARRAY[0,1,127,128,255,48,2,129,130,132,31])[1+fz.ri(11)]);
  WHEN 4 THEN RETURN substr(b,1,i) || fz.rb(1) || substr(b,i+1);
  WHEN 5 THEN RETURN substr(b,1,i) || substr(b,i+2);
  WHEN 6 THEN j := fz.ri(n); RETURN substr(b,1,i) || substr(b, j+1, 1+fz.ri(8)) || substr(b,i+1);
  WHEN 7 THEN IF other IS NOT NULL THEN RETURN substr(b,1,i) || substr(other, 1+fz.ri(greatest(length(other),1))); END IF; RETURN b || b;
  WHEN 8 THEN RETURN set_byte(b, i, fz.ri(256));
  WHEN 9 THEN RETURN substr(b,1,i) || '\x00'::bytea || substr(b,i+1);
  WHEN 10 THEN RETURN overlay(b placing fz.rb(least(4,n-i)) from i+1);
  ELSE RETURN set_byte(b, i, (get_byte(b,i) + (ARRAY[1,-1,16,-16])[1+fz.ri(4)]) & 255);
  END CASE;
END $$;
CREATE FUNCTION fz.mut(b bytea, other bytea DEFAULT NULL) RETURNS bytea LANGUAGE plpgsql AS $$
DECLARE k int := 1 + fz.ri(3);
BEGIN
  FOR x IN 1..k LOOP b := fz.mut1(b, other); END LOOP;
  RETURN b;
END $$;
-- a proof (an array of hashes) mutated: one hash mutated, or the array
-- cut, extended, given a NULL or emptied
CREATE FUNCTION fz.amut(s bytea[]) RETURNS bytea[] LANGUAGE plpgsql AS $$
BEGIN
  IF array_length(s, 1) > 0 AND fz.ri(4) > 0 THEN
    s[1 + fz.ri(array_length(s, 1))] := fz.mut(s[1 + fz.ri(array_length(s, 1))]);
  ELSE
    s := CASE fz.ri(5) WHEN 0 THEN s[2:] WHEN 1 THEN s || sha256('x') WHEN 2 THEN s[1:array_length(s,1)-1]
                       WHEN 3 THEN s || NULL::bytea ELSE '{}' END;
  END IF;
  RETURN s;
END $$;
CREATE FUNCTION fz.tmut(t text, other text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
DECLARE b bytea;
BEGIN
  FOR tries IN 1..10 LOOP
    b := fz.mut(convert_to(t,'UTF8'), convert_to(other,'UTF8'));
    BEGIN
      RETURN convert_from(b, 'UTF8');
    EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN NULL;
    END;
  END LOOP;
  RETURN t || 'x';
END $$;
-- one call; its outcome in fz.out
CREATE FUNCTION fz.call(target text, q text, inp anyelement) RETURNS text LANGUAGE plpgsql AS $$
DECLARE r text; st text; m text;
BEGIN
  BEGIN
    EXECUTE q INTO r USING inp;
    INSERT INTO fz.out VALUES (target, '00000', NULL, left(inp::text, 2000), left(r, 200));
    RETURN r;
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT;
    INSERT INTO fz.out VALUES (target, st, left(m,300), left(inp::text, 2000), NULL);
    RETURN NULL;
  END;
END $$;
-- the canonical encodings of a raw key: raw, SPKI (and compressed SPKI for P-256)
CREATE FUNCTION fz.key_forms(alg text, r bytea) RETURNS bytea[] LANGUAGE sql AS $$
  SELECT CASE WHEN alg = 'ed25519' THEN ARRAY[r, '\x302a300506032b6570032100'::bytea || r]
         ELSE ARRAY[r, '\x3059301306072a8648ce3d020106082a8648ce3d030107034200'::bytea || r,
                    '\x3039301306072a8648ce3d020106082a8648ce3d030107032200'::bytea
                    || set_byte('\x00'::bytea, 0, 2 + (get_byte(r, 64) & 1)) || substr(r, 2, 32)] END $$;
-- RFC 8032 7.1 TEST 1 and RFC 6979 A.2.5 (P-256, SHA-256, "sample")
CREATE TABLE fz.v(alg text, pk bytea, msg bytea, sig bytea);
INSERT INTO fz.v VALUES
('ed25519','\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a','', '\xe5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'),
('ecdsa-p256','\x0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299','sample','\x3046022100efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8'),
('ecdsa-p256-p1363','\x0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299','sample','\xefd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8');
});

my $ed_raw = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
my $ec_raw = '0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299';
my $ed_spki_hdr = '302a300506032b6570032100';
my $ec_spki_hdr = '3059301306072a8648ce3d020106082a8648ce3d030107034200';

is( $node->safe_psql('postgres', q{SELECT count(*) FROM fz.v WHERE ledger.verify_signature(alg, pk, msg, sig)}),
	'3', 'the three vectors verify');

# ------------------------------------------------ the exact bad keys (DER)
# an odd last byte, one unused bit declared: OpenSSL cleared the bit
my $odd = substr($ed_raw, 0, 62) . '1b';
my %bad_der = (
	'Ed25519 SPKI, BIT STRING with 1 unused bit' => ['ed25519', '302a300506032b6570032101' . $odd],
	'Ed25519 SPKI, long-form SEQUENCE length' => ['ed25519', '30812a300506032b6570032100' . $ed_raw],
	'Ed25519 SPKI, long-form BIT STRING length' => ['ed25519', '302b300506032b657003812100' . $ed_raw],
	'P-256 SPKI, long-form BIT STRING length' => ['ecdsa-p256',
		'305a301306072a8648ce3d020106082a8648ce3d03010703814200' . $ec_raw],
	'P-256 SPKI, long-form SEQUENCE length' => ['ecdsa-p256',
		'30815a301306072a8648ce3d020106082a8648ce3d030107034200' . $ec_raw],);
for my $name (sort keys %bad_der)
{
	my ($alg, $hex) = @{ $bad_der{$name} };
	my ($ret, $out, $err) = $node->psql('postgres',
		"SELECT ledger.canonical_public_key('$alg', '\\x$hex')",
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($err, qr/ERROR:  22023: invalid public key/, "$name: refused with 22023")
	  or diag("got: $out");
}
# what is DER is still taken
is( $node->safe_psql('postgres', "SELECT ledger.canonical_public_key('ed25519', '\\x$ed_spki_hdr$odd')"),
	"\\x$odd", 'a DER Ed25519 SPKI is taken, its key unchanged');
is( $node->safe_psql('postgres', "SELECT ledger.canonical_public_key('ecdsa-p256', '\\x$ec_spki_hdr$ec_raw')"),
	"\\x$ec_raw", 'a DER P-256 SPKI is taken');
my $ec_x = substr($ec_raw, 2, 64);
my $y_odd = hex(substr($ec_raw, -2)) & 1;
is( $node->safe_psql('postgres',
		"SELECT ledger.canonical_public_key('ecdsa-p256', '\\x3039301306072a8648ce3d020106082a8648ce3d030107032200"
		  . ($y_odd ? '03' : '02') . "$ec_x')"),
	"\\x$ec_raw", 'a DER P-256 SPKI with a compressed point is taken');

# ------------------------------------------------ the exact bad keys (PEM)
sub pem
{
	my ($hex) = @_;
	my $b64 = `printf '%s' '$hex' | xxd -r -p | base64 -w 64`;
	return "-----BEGIN PUBLIC KEY-----\n$b64-----END PUBLIC KEY-----\n";
}
my %bad_pem = (
	'PEM, BIT STRING with 1 unused bit' => '302a300506032b6570032101' . $odd,
	'PEM, long-form SEQUENCE length' => '30812a300506032b6570032100' . $odd,
	'PEM, trailing bytes after the SPKI' => "$ed_spki_hdr${odd}0001",);
for my $name (sort keys %bad_pem)
{
	my ($ret, $out, $err) = $node->psql('postgres',
		"SELECT ledger.public_key_from_pem(\$\$" . pem($bad_pem{$name}) . "\$\$)",
		extra_params => [ '-v', 'VERBOSITY=verbose' ]);
	like($err, qr/ERROR:  22023: /, "$name: refused with 22023") or diag("got: $out");
}
is( $node->safe_psql('postgres',
		"SELECT ledger.public_key_from_pem(\$\$" . pem("$ed_spki_hdr$odd") . "\$\$)"),
	"\\x$odd", 'a PEM block of a DER SPKI is taken');

# ---------------------------------------- mutated keys: canonical or refused
$node->safe_psql('postgres', qq{
SELECT setseed(0.2026);
DO \$\$
DECLARE r record; k bytea; c bytea;
BEGIN
  FOR r IN SELECT * FROM (VALUES ('ed25519', '\\x$ed_spki_hdr$ed_raw'::bytea),
                                 ('ecdsa-p256', '\\x$ec_spki_hdr$ec_raw'::bytea),
                                 ('ed25519', '\\x$ed_raw'::bytea)) v(alg, k) LOOP
    FOR i IN 1..1500 LOOP
      k := fz.mut(r.k);
      c := fz.call('key:' || r.alg, format('SELECT ledger.canonical_public_key(%L, \$1)::text', r.alg), k)::bytea;
      IF c IS NOT NULL AND NOT k = ANY (fz.key_forms(r.alg, c)) THEN
        INSERT INTO fz.out VALUES ('key-NONCANONICAL', 'BAD', r.alg, k::text, c::text);
      END IF;
    END LOOP;
  END LOOP;
END \$\$;
});
is($node->safe_psql('postgres', q{SELECT string_agg(input || ' -> ' || result, E'\n') FROM fz.out WHERE target = 'key-NONCANONICAL'}),
	'', 'every key accepted from 4,500 mutated keys is in a canonical encoding');

# ---------------------------------- mutated signatures: never true
$node->safe_psql('postgres', q{
SELECT setseed(0.42);
DO $$
DECLARE r record; s bytea;
BEGIN
  FOR r IN SELECT * FROM fz.v LOOP
    FOR i IN 1..600 LOOP
      s := fz.mut(r.sig, (SELECT sig FROM fz.v ORDER BY random() LIMIT 1));
      CONTINUE WHEN s = r.sig;
      PERFORM fz.call('sig', format('SELECT ledger.verify_signature(%L,%L::bytea,%L::bytea,$1)::text', r.alg, r.pk, r.msg), s);
    END LOOP;
    FOR i IN 0..length(r.sig)-1 LOOP
      PERFORM fz.call('sig', format('SELECT ledger.verify_signature(%L,%L::bytea,%L::bytea,$1)::text', r.alg, r.pk, r.msg), substr(r.sig,1,i));
    END LOOP;
    FOR i IN 1..200 LOOP
      s := fz.mut(r.msg);
      CONTINUE WHEN s = r.msg;
      PERFORM fz.call('sig', format('SELECT ledger.verify_signature(%L,%L::bytea,$1,%L::bytea)::text', r.alg, r.pk, r.sig), s);
    END LOOP;
  END LOOP;
END $$;
});
is($node->safe_psql('postgres', q{SELECT count(*) FILTER (WHERE result = 'true') || ' true, ' || count(*) FILTER (WHERE sqlstate <> '00000') || ' errors' FROM fz.out WHERE target = 'sig'}),
	'0 true, 0 errors', 'no mutated signature or message verifies, none is an error');

# ------------------------------------------- a ledger: digests and proofs
$node->safe_psql('postgres', q{
CREATE TABLE fz.dg(d jsonb);
CREATE TABLE fz.pay(id int, amt numeric, memo text, j jsonb, ts timestamptz, f float8, b bytea);
SELECT ledger.create_ledger('fz.pay');
INSERT INTO fz.pay SELECT g, g*1.5, 'm'||g, jsonb_build_object('k',g,'a',jsonb_build_array(1,'x',null,true,1.50)),
  '2026-01-01'::timestamptz + g*interval '1h', g/3.0, '\x00ff' FROM generate_series(1,5) g;
SELECT ledger.seal('fz.pay'); INSERT INTO fz.dg SELECT ledger.digest('fz.pay');
INSERT INTO fz.pay(id,amt) VALUES (6, 'NaN'), (7, -0.000);
SELECT ledger.seal('fz.pay'); INSERT INTO fz.dg SELECT ledger.digest('fz.pay');
INSERT INTO fz.pay(id,amt) VALUES (8, 1e-300);
SELECT ledger.seal('fz.pay'); INSERT INTO fz.dg SELECT ledger.digest('fz.pay');
CREATE FUNCTION fz.same_digest(m jsonb, d jsonb) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  RETURN lower(m->>'ledger_uuid') = d->>'ledger_uuid' AND (m->'block')::text = (d->'block')::text
     AND lower(m->>'block_hash') = d->>'block_hash'
     AND (m->'tree_root' IS NULL OR jsonb_typeof(m->'tree_root') = 'null'
          OR (lower(m->>'tree_root') = d->>'tree_root' AND (m->'tree_size')::text = (d->'tree_size')::text));
EXCEPTION WHEN OTHERS THEN RETURN false;
END $$;
CREATE FUNCTION fz.jmut(d jsonb) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE keys text[] := ARRAY['ledger_uuid','block','block_hash','tree_root','tree_size'];
  k text := keys[1+fz.ri(5)]; op int := fz.ri(6); r jsonb;
BEGIN
  IF jsonb_typeof(d) <> 'object' THEN RETURN jsonb_build_array(d); END IF;
  IF op = 0 THEN RETURN d - k; END IF;
  IF op = 1 THEN RETURN jsonb_set(d, ARRAY[k], (ARRAY['null','true','[]','{}','0','-1','1.0','1e2','9223372036854775807',
      '9223372036854775808','-0','1e100000','""','"0"','18446744073709551617','3','2.5e0',
      '"'||repeat('a',64)||'"','"'||upper(coalesce(d->>k,''))||'"'])[1+fz.ri(19)]::jsonb); END IF;
  IF op = 2 THEN RETURN to_jsonb(d::text); END IF;
  FOR i IN 1..5 LOOP
    BEGIN r := fz.tmut(d::text)::jsonb; RETURN r; EXCEPTION WHEN invalid_text_representation THEN NULL; END;
  END LOOP;
  RETURN jsonb_build_array(d);
END $$;
});
$node->safe_psql('postgres', q{
SELECT setseed(0.17);
DO $$
DECLARE d jsonb; m jsonb; old jsonb; res text;
BEGIN
  FOR i IN 1..1000 LOOP
    SELECT x.d INTO d FROM fz.dg x ORDER BY random() LIMIT 1;
    m := fz.jmut(d);
    IF fz.ri(3) = 0 THEN m := fz.jmut(m); END IF;
    res := fz.call('dg', 'SELECT ok::text FROM ledger.verify(''fz.pay'', $1)', m);
    IF res = 'true' AND NOT fz.same_digest(m, d) THEN
      INSERT INTO fz.out VALUES ('dg-ACCEPTED', 'BAD', d::text, m::text, res);
    END IF;
    SELECT x.d INTO old FROM fz.dg x ORDER BY random() LIMIT 1;
    IF fz.ri(2) = 0 THEN
      PERFORM fz.call('dg', format('SELECT ledger.consistency_proof(''fz.pay'', $1, %L::jsonb)::text', d), m);
    ELSE
      PERFORM fz.call('dg', format('SELECT ledger.consistency_proof(''fz.pay'', %L::jsonb, $1)::text', old), m);
    END IF;
  END LOOP;
END $$;
DO $$
DECLARE v bigint[] := ARRAY[-9223372036854775808, -1, 0, 1, 2, 3, 4, 2147483648, 4294967296, 9223372036854775807, NULL];
BEGIN
  FOR a IN 1..11 LOOP FOR b IN 1..11 LOOP FOR c IN 1..11 LOOP
    PERFORM fz.call('dg', format('SELECT ledger.prove(''fz.pay'', %s, %s, $1)::text',
                                 coalesce(v[a]::text, 'NULL'), coalesce(v[b]::text, 'NULL')), v[c]);
  END LOOP; END LOOP; END LOOP;
END $$;
});
is($node->safe_psql('postgres', q{SELECT count(*) FROM fz.out WHERE target = 'dg-ACCEPTED'}),
	'0', 'no edited digest verifies');

# --------------------------------------------- RFC 9162 proofs by hand
$node->safe_psql('postgres', q{
SELECT setseed(0.33);
DO $$
DECLARE leaves bytea[] := (SELECT array_agg(sha256(int4send(g))) FROM generate_series(1,13) g);
  n int; idx int; m int; path bytea[]; root bytea; oroot bytea; s bytea[];
BEGIN
  FOR it IN 1..700 LOOP
    n := 1 + fz.ri(13); idx := fz.ri(n); m := 1 + fz.ri(n);
    root := ledger.merkle_root(leaves[1:n]);
    path := ledger.merkle_inclusion_proof(leaves[1:n], idx, n);
    s := fz.amut(path);
    IF s::text <> path::text THEN
      PERFORM fz.call('mk', format('SELECT ledger.merkle_verify_inclusion(%L::bytea, %s, %s, $1, %L::bytea)::text',
                                   leaves[idx+1], idx, n, root), s);
    END IF;
    path := ledger.merkle_consistency_proof(leaves[1:n], m, n);
    oroot := ledger.merkle_root(leaves[1:m]);
    s := fz.amut(path);
    IF s::text <> path::text THEN
      PERFORM fz.call('mk', format('SELECT ledger.merkle_verify_consistency(%s, %s, %L::bytea, %L::bytea, $1)::text',
                                   m, n, oroot, root), s);
    END IF;
  END LOOP;
END $$;
});
is($node->safe_psql('postgres', q{SELECT count(*) FROM fz.out WHERE target = 'mk' AND result = 'true'}),
	'0', 'no edited inclusion or consistency proof verifies');

# ---------------------------------------- no internal error, no P0001
is( $node->safe_psql('postgres',
		q{SELECT string_agg(DISTINCT target || ': ' || sqlstate || ' ' || msg, E'\n') FROM fz.out
		   WHERE sqlstate ~ '^XX' AND sqlstate <> 'XX001' OR sqlstate = 'P0001'}),
	'', 'every call ended in a result or an error with a proper SQLSTATE');
cmp_ok($node->safe_psql('postgres', q{SELECT count(*) FROM fz.out}), '>', 10000, 'over 10,000 calls were made');

$node->stop;
my $log = slurp_file($node->logfile);
unlike($log, qr/TRAP:|terminated by signal|runtime error:|AddressSanitizer/, 'no crash, assertion or sanitizer report in the server log');

done_testing();
