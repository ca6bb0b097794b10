-- ledger.verify_signature with Ed25519 (RFC 8032).
SET client_min_messages = notice;

-- RFC 8032 section 7.1 test vectors (Ed25519): TEST 1, TEST 2, TEST 3 and
-- TEST SHA(abc), whose message is SHA-512("abc").  Public keys, messages and
-- signatures copied from the RFC; every one must verify.
CREATE TEMP TABLE rfc8032 (name text, pk bytea, msg bytea, sig bytea);
INSERT INTO rfc8032 VALUES
('TEST 1',
 '\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '\x',
 '\xe5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'),
('TEST 2',
 '\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '\x72',
 '\x92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'),
('TEST 3',
 '\xfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', '\xaf82',
 '\x6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a'),
('TEST SHA(abc)',
 '\xec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
 '\xddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
 '\xdc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704');
SELECT name, ledger.verify_signature('ed25519', pk, msg, sig) AS valid
  FROM rfc8032 ORDER BY name;

-- The RFC message is SHA-512("abc"): computed here, it verifies too.
SELECT ledger.verify_signature('ed25519', pk, sha512('abc'::bytea), sig)
  FROM rfc8032 WHERE name = 'TEST SHA(abc)';

-- Tampering: another message, a flipped signature bit, another key.
SELECT name,
	   ledger.verify_signature('ed25519', pk, msg || '\x00'::bytea, sig) AS longer_msg,
	   ledger.verify_signature('ed25519', pk, msg,
			set_byte(sig, 0, get_byte(sig, 0) # 1)) AS flipped_r,
	   ledger.verify_signature('ed25519', pk, msg,
			set_byte(sig, 40, get_byte(sig, 40) # 1)) AS flipped_s,
	   ledger.verify_signature('ed25519',
			(SELECT pk FROM rfc8032 o WHERE o.name <> r.name ORDER BY o.name LIMIT 1),
			msg, sig) AS other_key
  FROM rfc8032 r ORDER BY name;

-- Malformed signatures are false, not errors: wrong lengths, empty, and
-- S >= L (TEST 1's S plus L, which an implementation reducing S mod L would
-- wrongly accept; RFC 8032 5.1.7 requires S < L).
SELECT ledger.verify_signature('ed25519', pk, msg, substring(sig FROM 1 FOR 63)) AS short,
	   ledger.verify_signature('ed25519', pk, msg, sig || '\x00'::bytea) AS long,
	   ledger.verify_signature('ed25519', pk, msg, '\x'::bytea) AS empty,
	   ledger.verify_signature('ed25519', pk, msg,
			overlay(sig PLACING '\x4c8c7872aa064e049dbb3013fbf29380d25bf5f0595bbe24655141438e7a101b'::bytea FROM 33)) AS s_plus_l,
	   ledger.verify_signature('ed25519', pk, msg,
			overlay(sig PLACING '\xedd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010'::bytea FROM 33)) AS s_equals_l,
	   ledger.verify_signature('ed25519', pk, msg,
			overlay(sig PLACING '\xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'::bytea FROM 33)) AS s_all_ones
  FROM rfc8032 WHERE name = 'TEST 1';

-- Public keys that cannot be parsed are errors (22023).
\set VERBOSITY default
-- wrong lengths
SELECT ledger.verify_signature('ed25519', '\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f70751', '\x', '\x00');
SELECT ledger.verify_signature('ed25519', '\x', '\x', '\x00');
\echo :LAST_ERROR_SQLSTATE
-- y = 2 is not the y of any point (RFC 8032 5.1.3 step 2 fails)
SELECT ledger.verify_signature('ed25519', '\x0200000000000000000000000000000000000000000000000000000000000000', '\x', '\x00');
-- y = p is not canonical
SELECT ledger.verify_signature('ed25519', '\xedffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', '\x', '\x00');
-- y = 1 with the sign bit set: x = 0 cannot be negative (5.1.3 step 4)
SELECT ledger.verify_signature('ed25519', '\x0100000000000000000000000000000000000000000000000000000000000080', '\x', '\x00');
-- small-order points: identity, order 2, order 4, order 8
SELECT ledger.verify_signature('ed25519', '\x0100000000000000000000000000000000000000000000000000000000000000', '\x', '\x00');
SELECT ledger.verify_signature('ed25519', '\xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', '\x', '\x00');
SELECT ledger.verify_signature('ed25519', '\x0000000000000000000000000000000000000000000000000000000000000080', '\x', '\x00');
SELECT ledger.verify_signature('ed25519', '\xc7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', '\x', '\x00');
-- algorithm names are exact
SELECT ledger.verify_signature('Ed25519', pk, msg, sig) FROM rfc8032 WHERE name = 'TEST 1';
SELECT ledger.verify_signature('', pk, msg, sig) FROM rfc8032 WHERE name = 'TEST 1';
\echo :LAST_ERROR_SQLSTATE

-- STRICT: any NULL argument gives NULL.
SELECT ledger.verify_signature(NULL, pk, msg, sig) IS NULL AS a,
	   ledger.verify_signature('ed25519', NULL, msg, sig) IS NULL AS b,
	   ledger.verify_signature('ed25519', pk, NULL, sig) IS NULL AS c,
	   ledger.verify_signature('ed25519', pk, msg, NULL) IS NULL AS d
  FROM rfc8032 WHERE name = 'TEST 1';

-- Oversized input.  A 1 MiB message (1048576 bytes 'x') signed with the
-- RFC 8032 TEST 1 secret key by Python cryptography:
--   Ed25519PrivateKey.from_private_bytes(bytes.fromhex('9d61...7f60')).sign(b'x' * 1048576)
SELECT ledger.verify_signature('ed25519', pk, convert_to(repeat('x', 1048576), 'SQL_ASCII'),
	'\xa0768ad67ffa1a38c56d97ed54e0d3346ac5cd4c902003fafdb628d36d32170a01c2db65f9b34c6702e07263ab342b08d08538bd709c6d9b40bfe8840ddd370d') AS one_mib,
	   ledger.verify_signature('ed25519', pk, convert_to(repeat('x', 1048575), 'SQL_ASCII'),
	'\xa0768ad67ffa1a38c56d97ed54e0d3346ac5cd4c902003fafdb628d36d32170a01c2db65f9b34c6702e07263ab342b08d08538bd709c6d9b40bfe8840ddd370d') AS one_byte_less
  FROM rfc8032 WHERE name = 'TEST 1';
-- a 1 MiB signature is simply false; a 1 MiB or 64 KiB key is refused unread
SELECT ledger.verify_signature('ed25519', pk, msg, convert_to(repeat('x', 1048576), 'SQL_ASCII'))
  FROM rfc8032 WHERE name = 'TEST 1';
SELECT ledger.verify_signature('ed25519', convert_to(repeat('x', 1048576), 'SQL_ASCII'), '\x', '\x');
SELECT ledger.verify_signature('ed25519', decode(repeat('30', 65536), 'hex'), '\x', '\x');

-- Many rows with one key use the per-call-site key cache; all verify.
SELECT count(*) FILTER (WHERE ledger.verify_signature('ed25519', r.pk, r.msg, r.sig)) AS valid
  FROM rfc8032 r, generate_series(1, 100);

-- The planner's cost of a verification.  jit_above_cost (100000 by default)
-- stands for a query of about a second; a verification takes 50-75 us.  A
-- query over 5,000 signatures (about 0.3 s) stays under it, so a session
-- does not load LLVM and compile the query for nothing: under 0.1.0's
-- COST 10000 it did (3,000 P-256 rows in a fresh session: 240-279 ms
-- against 164 ms with jit = off, 2026-12-07).  The function still costs far
-- more than a comparison, so cheap quals are tested first.  PostgreSQL's
-- defaults, explicitly: the plan's cost scales with cpu_operator_cost, a
-- session with jit_above_cost = -1 (JIT off by cost) would answer false, and
-- force_parallel_mode = on puts a Gather over the plan.
SET cpu_operator_cost = 0.0025;
SET jit_above_cost = 100000;
SET force_parallel_mode = off;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE j json;
BEGIN
	EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
	RETURN j::jsonb -> 0 -> 'Plan';
END $$;
SELECT (p ->> 'Total Cost')::float8 < current_setting('jit_above_cost')::float8 AS no_jit_at_5000,
	   (p ->> 'Total Cost')::float8 > 5000 AS dearer_than_a_comparison
  FROM pg_temp.plan_of($q$SELECT count(*) FROM generate_series(1, 5000) g
	WHERE ledger.verify_signature('ed25519', '\x00', int8send(g), '\x')$q$) p;
SELECT p -> 'Plans' -> 0 ->> 'Filter' AS cheap_qual_first
  FROM pg_temp.plan_of($q$SELECT count(*) FROM generate_series(1, 5000) g
	WHERE ledger.verify_signature('ed25519', '\x00', int8send(g), '\x') AND g > 10$q$) p;
-- The three functions' COST as docs/signing.md gives it
SELECT proname, procost FROM pg_proc
 WHERE pronamespace = 'ledger'::regnamespace
   AND proname IN ('verify_signature', 'canonical_public_key', 'public_key_from_pem')
 ORDER BY proname;
RESET cpu_operator_cost;
RESET jit_above_cost;
RESET force_parallel_mode;
