-- Signed ledgers: ledger.require_signatures, the signature trigger,
-- ledger.signing_bytes, replay protection and ledger.verify's re-check.
--
-- Keys are published test keys (private halves in test/sign_rows.py):
--   ed-alice   RFC 8032 section 7.1 TEST 1 (Ed25519)
--   ed-carol   RFC 8032 section 7.1 TEST 2
--   ed-old, ed-future   RFC 8032 section 7.1 TEST 3
--   ec-bob, ec-bob-raw  RFC 6979 appendix A.2.5 P-256 key (DER and r||s)
--
-- The signatures below were made at test-authoring time over the bytes
-- ledger.signing_bytes() returns for each row (see the first query using
-- it), with these commands, KEY.pem being "python3 test/sign_rows.py pem KEY":
--   openssl, ed25519:   openssl pkeyutl -sign -rawin -inkey KEY.pem -in row.bin -out row.sig
--   openssl, ecdsa-p256: openssl dgst -sha256 -sign KEY.pem -out row.sig row.bin
--   openssl, ecdsa-p256-p1363: the same, then r || s taken from
--       openssl asn1parse -inform DER -in row.sig   (each INTEGER left-padded to 32 bytes)
--   python (python3-cryptography):  python3 test/sign_rows.py sign ALG KEY HEX
--       (Ed25519PrivateKey.sign(msg); EllipticCurvePrivateKey.sign(msg,
--        ECDSA(SHA256())), decode_dss_signature for r || s)
-- row.bin is the row's signing_bytes, row.sig the signature; the hex is
-- xxd -p row.sig.  Ed25519 is deterministic: python signs r1 to the same bytes.

-- Fixed ledger uuids, so that the embedded signatures stay valid (the uuid
-- is part of every signed message).
CREATE TABLE sr_payments (id int PRIMARY KEY, payer text, amount numeric,
                       memo text, nonce int8, key_id text, sig bytea);
CREATE TABLE sr_payments_b (id int PRIMARY KEY, payer text, amount numeric,
                         memo text, nonce int8, key_id text, sig bytea);
CREATE TABLE sr_transfers (payer text, amount numeric, nonce int8,
                        key_id text, sig bytea);
CREATE TABLE sr_2pc (id int PRIMARY KEY, payer text, amount numeric,
                     memo text, nonce int8, key_id text, sig bytea);
CREATE TABLE sr_2pc_u (id int PRIMARY KEY, payer text, amount numeric,
                       memo text, nonce int8, key_id text, sig bytea);
ALTER TABLE ledger.ledgers ALTER COLUMN ledger_uuid SET DEFAULT '5157e0d0-0000-4000-8000-00000000000a';
SELECT ledger.create_ledger('sr_payments') IS NOT NULL AS created;
ALTER TABLE ledger.ledgers ALTER COLUMN ledger_uuid SET DEFAULT '5157e0d0-0000-4000-8000-00000000000b';
SELECT ledger.create_ledger('sr_payments_b') IS NOT NULL AS created;
ALTER TABLE ledger.ledgers ALTER COLUMN ledger_uuid SET DEFAULT '5157e0d0-0000-4000-8000-00000000000c';
SELECT ledger.create_ledger('sr_transfers') IS NOT NULL AS created;
ALTER TABLE ledger.ledgers ALTER COLUMN ledger_uuid SET DEFAULT '5157e0d0-0000-4000-8000-00000000000d';
SELECT ledger.create_ledger('sr_2pc') IS NOT NULL AS created;
ALTER TABLE ledger.ledgers ALTER COLUMN ledger_uuid SET DEFAULT '5157e0d0-0000-4000-8000-00000000000e';
SELECT ledger.create_ledger('sr_2pc_u') IS NOT NULL AS created;
ALTER TABLE ledger.ledgers ALTER COLUMN ledger_uuid SET DEFAULT pg_catalog.gen_random_uuid();
SELECT ledger.require_signatures('sr_payments', 'sig', 'key_id');
SELECT ledger.require_signatures('sr_payments_b', 'sig', 'key_id');
SELECT ledger.require_signatures('sr_2pc', 'sig', 'key_id');
SELECT ledger.require_signatures('sr_2pc_u', 'sig', 'key_id');
SELECT ledger.require_signatures('sr_transfers', 'sig', 'key_id');
SELECT g.name, s.signature_attname, s.key_attname
  FROM ledger.signed_ledgers s JOIN ledger.ledgers g USING (ledger_id) ORDER BY 1;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'sr_payments'::regclass ORDER BY 1;

-- the keys
SELECT (ledger.add_key('ed-alice', 'alice', 'ed25519', '\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '2000-01-01')).key_id;
SELECT (ledger.add_key('ed-carol', 'carol', 'ed25519', '\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '2000-01-01')).key_id;
SELECT (ledger.add_key('ed-old', 'dave', 'ed25519', '\xfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', '2000-01-01', '2001-01-01')).key_id;
SELECT (ledger.add_key('ed-future', 'erin', 'ed25519', '\xfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', '2999-01-01')).key_id;
SELECT (ledger.add_key('ec-bob', 'bob', 'ecdsa-p256', '\x0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299', '2000-01-01')).key_id;
SELECT (ledger.add_key('ec-bob-raw', 'bob', 'ecdsa-p256-p1363', '\x0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299', '2000-01-01')).key_id;

-- the bytes signed for row 1: tag, ledger uuid, canonical bytes without
-- the signature column
SELECT encode(ledger.signing_bytes('sr_payments',
         ROW(1, 'alice', 10.50, 'rent', 1, 'ed-alice', NULL, NULL, NULL, NULL)::sr_payments), 'hex') AS r1;
SELECT ledger.signing_bytes('sr_payments',
         ROW(1, 'alice', 10.50, 'rent', 1, 'ed-alice', '\xdead', 5, 6, '\xbeef')::sr_payments)
     = ledger.signing_bytes('sr_payments',
         ROW(1, 'alice', 10.50, 'rent', 1, 'ed-alice', NULL, NULL, NULL, NULL)::sr_payments)
       AS signature_and_ledger_columns_ignored;
SELECT ledger.signing_bytes('sr_payments',
         ROW(1, 'alice', 10.50, 'rent', 1, 'ed-alice', NULL, NULL, NULL, NULL)::sr_payments)
     = ledger.signing_bytes('sr_payments_b',
         ROW(1, 'alice', 10.50, 'rent', 1, 'ed-alice', NULL, NULL, NULL, NULL)::sr_payments_b)
       AS same_bytes_in_two_ledgers;

CREATE TEMP TABLE sigs (label text PRIMARY KEY, tool text, alg text, sig bytea);
INSERT INTO sigs VALUES
  ('r1', 'openssl', 'ed25519', '\xab3de07e07869343b1ec358337920434631a333ccfe2a51d6901edfcb2e5bfe1d75e2badf0060bdadead123a62e32ecc6dc4a01bbea6630909306b41d764a202'),
  ('r2', 'python', 'ed25519', '\xab38b705de70dbb3dcf2ca15cfd9813df79f733eccdd4bfaa0d28639b722765c1ffe17ccdaa4c94fa8d38828197e7ebb7ca2108a26afcdcdaaea71256e6a5900'),
  ('r3', 'openssl', 'ecdsa-p256', '\x304402203151602fe87d95c5aa3bd95fcecbfc6424b19156a5c63ed3c272b990baf23b430220338aded347212d70b73d2425a7448548eee31fcfc92db4c715d63bd1a185c580'),
  ('r4', 'python', 'ecdsa-p256', '\x3046022100acdf1384fe1efa6d9f6d2eb904231ee6852d16b318c6f68bbc7bbf2d4058a72c022100b76c3902582ed7fd4024eb2a77b16f7c0f25627c92d90c2d115f642ca8d22155'),
  ('r5', 'openssl', 'ecdsa-p256-p1363', '\x115398123e9aa6735b20bf0472b4c669a4181223d6bffe7279522c8ec2a6a064487d1cbadbc4876c81f8ad653481e23ac24409c4e880657f118e2a67c8045f42'),
  ('r6', 'python', 'ecdsa-p256-p1363', '\x3536196eeee81a9901701d6d3c366a5c6f921bb1d3673f4dd57928afb0875f48eee6d4597d3524436b6e15c803899dfe52c306e27e8bceedb00df8123c8563cf'),
  ('r7', 'python', 'ed25519', '\xa31a6a4b2cc75038ba7a891f768ae34404f9d5f7dcc8a00536219749007b2907f8fcc8947f3d1a12d2322dcf64ac34d8ef225451d76e49302f23c40fe88c0406'),
  ('r8', 'python', 'ed25519', '\x3d9fe7e0cba9d8e73a71908ba698aa8bbdaf3639122cdb73fe640c3e805c8b55003460fb2af35b4cbd633b5174e05c7240433c7f61813f3e9b7d2aa1e43cec0d'),
  ('r9', 'python', 'ed25519', '\xae99e459b1bac61c81bad3b965237804c0e8788d1092f789613367f08b4ec42b736a438b77d232407866fd3739f34d9cfab8d399fb17a632d72add21941f670d'),
  ('r10', 'python', 'ed25519', '\x88a3336dc2e144d549515aff03549341fe2a26e6507d78cb96235f9fb34e3b422039eaafbb80032f0f2747ac94b10a8bc5710d37473b6afe11f14267527afd07'),
  ('r11', 'python', 'ed25519', '\xfd8d0d10f6d270833f0d91d8065a1691575b2eac0ad3687b2f4868a763a1e963c49367b44fd493d1f3ec3d6f04c3e61fdb34138acde18532823f5ab84708c009'),
  ('r12', 'python', 'ed25519', '\x4e224fb774ac52f7ff65df2c3864a5e3958b84fec686c8f2ae6fc03345dc76c7ce35183c491c551933ad64fccc2ba436a9d4259c8ce8ba64be4f8698a9fbd70b'),
  ('c1', 'openssl', 'ed25519', '\x63b4eb537c063c11c54fd61cc6cc3d455feac1c65332e0e8d6605b0d0031454ee73bfd6133e61659d6879d7752550bba45271979be87ece131b9b2ff2c570607'),
  ('c2', 'python', 'ecdsa-p256', '\x3046022100890f532e45347c2df1a85722bd2cee0a68ca70bb33afaeb94c05f1c2227e0731022100b2a19db585016df620f7bd337c95e9e3821718516f9dee4f79e5fff472c00538'),
  ('c3', 'python', 'ed25519', '\x37e484321faf748f1277f1e04c67b371703a39d92aa947632ba37ecd44312f641d05e56c8165f679287a346330e0dbea27cb15f62caf8a9c965f22ba67de8505'),
  ('c4', 'python', 'ed25519', '\x9d82d6be68bebe0cda442c37312fc65fabb0ab3a5e275c54c3342bae313d37b4b4f73bb1eaba9efd27e72030b77d17d03f9335d0e7a162145b1ecb9c2c15780a'),
  ('t1', 'python', 'ed25519', '\x9b8fa8ae0a4452e0425d74bac7561516f45a46ecee7b6326514996bb5f6e4f443da2c32da92aa19d0d3a93720bff17806be12e0be844839f5dfd39744a7d320b'),
  ('t2', 'python', 'ed25519', '\x1d2f72480a654013d2840d2b00d65736f360085b115e9c8966d06381fd1efe81ccf639a8eef7e3ac448f9e31b390028755097813f44ab6e21250dfb0b3a72b02'),
  ('r3-high-s', 'sign_rows.py highs', 'ecdsa-p256', '\x304502203151602fe87d95c5aa3bd95fcecbfc6424b19156a5c63ed3c272b990baf23b43022100cc75212bb8ded29048c2dbda58bb7ab6ce03dadddde9e9bddde38ef15add5fd1');

-- accepted: openssl CLI and Python, all three algorithms
INSERT INTO sr_payments SELECT 1, 'alice', 10.50, 'rent', 1, 'ed-alice', sig FROM sigs WHERE label = 'r1';
INSERT INTO sr_payments SELECT 2, 'alice', 20.00, 'fee', 2, 'ed-alice', sig FROM sigs WHERE label = 'r2';
INSERT INTO sr_payments SELECT 3, 'bob', 30.00, 'coffee', 3, 'ec-bob', sig FROM sigs WHERE label = 'r3';
INSERT INTO sr_payments SELECT 4, 'bob', 40.00, 'tea', 4, 'ec-bob', sig FROM sigs WHERE label = 'r4';
INSERT INTO sr_payments SELECT 5, 'bob', 50.00, 'cake', 5, 'ec-bob-raw', sig FROM sigs WHERE label = 'r5';
INSERT INTO sr_payments SELECT 6, 'bob', 60.00, 'pie', 6, 'ec-bob-raw', sig FROM sigs WHERE label = 'r6';
INSERT INTO sr_payments SELECT 7, 'carol', 70.00, 'before revocation', 7, 'ed-carol', sig FROM sigs WHERE label = 'r7';
SELECT p.id, s.tool, s.alg, length(p.sig) AS siglen
  FROM sr_payments p JOIN sigs s ON s.sig = p.sig ORDER BY p.id;

-- each tampered field of row 1 (signed by ed-alice), and a flipped bit
INSERT INTO sr_payments SELECT 100, 'alice', 10.50, 'rent', 1, 'ed-alice', sig FROM sigs WHERE label = 'r1';
INSERT INTO sr_payments SELECT 1, 'alicf', 10.50, 'rent', 1, 'ed-alice', sig FROM sigs WHERE label = 'r1';
INSERT INTO sr_payments SELECT 1, 'alice', 10.51, 'rent', 1, 'ed-alice', sig FROM sigs WHERE label = 'r1';
INSERT INTO sr_payments SELECT 1, 'alice', 10.5, 'rent', 1, 'ed-alice', sig FROM sigs WHERE label = 'r1';
INSERT INTO sr_payments SELECT 1, 'alice', 10.50, 'Rent', 1, 'ed-alice', sig FROM sigs WHERE label = 'r1';
INSERT INTO sr_payments SELECT 1, 'alice', 10.50, NULL, 1, 'ed-alice', sig FROM sigs WHERE label = 'r1';
INSERT INTO sr_payments SELECT 1, 'alice', 10.50, 'rent', 2, 'ed-alice', sig FROM sigs WHERE label = 'r1';
INSERT INTO sr_payments SELECT 1, 'alice', 10.50, 'rent', 1, 'ed-carol', sig FROM sigs WHERE label = 'r1';
INSERT INTO sr_payments SELECT 1, 'alice', 10.50, 'rent', 1, 'ed-alice', set_byte(sig, 0, get_byte(sig, 0) # 1) FROM sigs WHERE label = 'r1';
INSERT INTO sr_payments SELECT 3, 'bob', 30.00, 'coffee', 3, 'ec-bob', set_byte(sig, 10, get_byte(sig, 10) # 128) FROM sigs WHERE label = 'r3';
INSERT INTO sr_payments SELECT 5, 'bob', 50.00, 'cake', 5, 'ec-bob-raw', set_byte(sig, 40, get_byte(sig, 40) # 2) FROM sigs WHERE label = 'r5';
-- a DER signature under the r||s key id, and the other way round: malformed
INSERT INTO sr_payments SELECT 3, 'bob', 30.00, 'coffee', 3, 'ec-bob-raw', sig FROM sigs WHERE label = 'r3';
INSERT INTO sr_payments SELECT 5, 'bob', 50.00, 'cake', 5, 'ec-bob', sig FROM sigs WHERE label = 'r5';
-- S >= L (top bit of the last byte set): malformed, not merely wrong
INSERT INTO sr_payments SELECT 1, 'alice', 10.50, 'rent', 1, 'ed-alice', set_byte(sig, 63, get_byte(sig, 63) | 128) FROM sigs WHERE label = 'r1';

-- a wrong key: signed with carol's private key, naming alice's key
INSERT INTO sr_payments SELECT 11, 'alice', 110.00, 'wrong key', 11, 'ed-alice', sig FROM sigs WHERE label = 'r11';

-- a revoked key: refused at once, by this and by any other backend
SELECT (ledger.revoke_key('ed-carol', 'rotated')).key_id;
\set VERBOSITY terse
INSERT INTO sr_payments SELECT 8, 'carol', 80.00, 'after revocation', 8, 'ed-carol', sig FROM sigs WHERE label = 'r8';
\set VERBOSITY default

-- a key used after valid_until, and before valid_from
INSERT INTO sr_payments SELECT 9, 'dave', 90.00, 'expired key', 9, 'ed-old', sig FROM sigs WHERE label = 'r9';
INSERT INTO sr_payments SELECT 10, 'erin', 100.00, 'future key', 10, 'ed-future', sig FROM sigs WHERE label = 'r10';

-- a row signed for ledger sr_payments_b is refused by sr_payments, accepted by sr_payments_b
INSERT INTO sr_payments SELECT 12, 'alice', 120.00, 'for ledger b', 12, 'ed-alice', sig FROM sigs WHERE label = 'r12';
INSERT INTO sr_payments_b SELECT 12, 'alice', 120.00, 'for ledger b', 12, 'ed-alice', sig FROM sigs WHERE label = 'r12';

-- replays (refused before the primary key is even checked): the same
-- signed row again, and with the high-S twin of its ECDSA signature, which
-- is a different but valid signature of the same message
SELECT ledger.verify_signature('ecdsa-p256', k.public_key,
         ledger.signing_bytes('sr_payments', ROW(3, 'bob', 30.00, 'coffee', 3, 'ec-bob', NULL, NULL, NULL, NULL)::sr_payments),
         s.sig) AS high_s_twin_verifies
  FROM ledger.keys k, sigs s WHERE k.key_id = 'ec-bob' AND s.label = 'r3-high-s';
INSERT INTO sr_payments SELECT 1, 'alice', 10.50, 'rent', 1, 'ed-alice', sig FROM sigs WHERE label = 'r1';
INSERT INTO sr_payments SELECT 3, 'bob', 30.00, 'coffee', 3, 'ec-bob', sig FROM sigs WHERE label = 'r3-high-s';
BEGIN;
INSERT INTO sr_payments_b SELECT 12, 'alice', 120.00, 'for ledger b', 12, 'ed-alice', sig FROM sigs WHERE label = 'r12';
ROLLBACK;

-- identical content twice needs a nonce: sr_transfers has no primary key,
-- so the row is named by its message hash
INSERT INTO sr_transfers SELECT 'alice', 5.00, 1, 'ed-alice', sig FROM sigs WHERE label = 't1';
INSERT INTO sr_transfers SELECT 'alice', 5.00, 1, 'ed-alice', sig FROM sigs WHERE label = 't1';
INSERT INTO sr_transfers SELECT 'alice', 5.00, 2, 'ed-alice', sig FROM sigs WHERE label = 't2';
-- the same message twice in one statement
BEGIN;
INSERT INTO sr_transfers SELECT 'alice', 5.00, 1, 'ed-alice', sig FROM sigs, generate_series(1, 2) WHERE label = 't1';
ROLLBACK;
SELECT count(*) AS sr_transfers, count(DISTINCT nonce) AS nonces FROM sr_transfers;

-- missing, unregistered and garbage keys and signatures
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, NULL, '\x00');
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, 'ed-alice', NULL);
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, 'nobody', '\x00');
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, '', '\x00');
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, 'ed-alice', '');
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, 'ed-alice', '\x00');
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, 'ec-bob', '\x3000');
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, 'ec-bob-raw', decode(repeat('00', 64), 'hex'));
INSERT INTO sr_payments SELECT 30, 'x', 1, 'm', 30, 'ed-alice', decode(repeat('ab', 1048576), 'hex');
INSERT INTO sr_payments SELECT 30, 'x', 1, repeat('m', 1048576), 30, 'ed-alice', decode(repeat('00', 64), 'hex');

-- COPY of signed rows: one bad row (c3 with its amount changed) stops the
-- COPY and nothing of it is stored
SELECT count(*) AS before FROM sr_payments;
COPY sr_payments (id, payer, amount, memo, nonce, key_id, sig) FROM stdin;
21	alice	1.00	copy 1	21	ed-alice	\\x63b4eb537c063c11c54fd61cc6cc3d455feac1c65332e0e8d6605b0d0031454ee73bfd6133e61659d6879d7752550bba45271979be87ece131b9b2ff2c570607
22	bob	2.00	copy 2	22	ec-bob	\\x3046022100890f532e45347c2df1a85722bd2cee0a68ca70bb33afaeb94c05f1c2227e0731022100b2a19db585016df620f7bd337c95e9e3821718516f9dee4f79e5fff472c00538
23	alice	30.00	copy 3	23	ed-alice	\\x37e484321faf748f1277f1e04c67b371703a39d92aa947632ba37ecd44312f641d05e56c8165f679287a346330e0dbea27cb15f62caf8a9c965f22ba67de8505
24	alice	4.00	copy 4	24	ed-alice	\\x9d82d6be68bebe0cda442c37312fc65fabb0ab3a5e275c54c3342bae313d37b4b4f73bb1eaba9efd27e72030b77d17d03f9335d0e7a162145b1ecb9c2c15780a
\.
SELECT count(*) AS after FROM sr_payments;
SELECT count(*) AS messages_recorded FROM ledger.signed_messages m
  JOIN ledger.ledgers g USING (ledger_id) WHERE g.name = 'public.sr_payments';
SELECT ok, rows_checked, problem FROM ledger.verify('sr_payments');
-- the same rows, all good
COPY sr_payments (id, payer, amount, memo, nonce, key_id, sig) FROM stdin;
21	alice	1.00	copy 1	21	ed-alice	\\x63b4eb537c063c11c54fd61cc6cc3d455feac1c65332e0e8d6605b0d0031454ee73bfd6133e61659d6879d7752550bba45271979be87ece131b9b2ff2c570607
22	bob	2.00	copy 2	22	ec-bob	\\x3046022100890f532e45347c2df1a85722bd2cee0a68ca70bb33afaeb94c05f1c2227e0731022100b2a19db585016df620f7bd337c95e9e3821718516f9dee4f79e5fff472c00538
23	alice	3.00	copy 3	23	ed-alice	\\x37e484321faf748f1277f1e04c67b371703a39d92aa947632ba37ecd44312f641d05e56c8165f679287a346330e0dbea27cb15f62caf8a9c965f22ba67de8505
24	alice	4.00	copy 4	24	ed-alice	\\x9d82d6be68bebe0cda442c37312fc65fabb0ab3a5e275c54c3342bae313d37b4b4f73bb1eaba9efd27e72030b77d17d03f9335d0e7a162145b1ecb9c2c15780a
\.
SELECT count(*) AS after_good_copy FROM sr_payments;

-- verify re-checks every signature against the registry as it was at
-- commit: row 7 was committed before ed-carol was revoked
SELECT ok, rows_checked, problem FROM ledger.verify('sr_payments');
SELECT ok, rows_checked, problem FROM ledger.verify('sr_payments_b');
SELECT ok, rows_checked, problem FROM ledger.verify('sr_transfers');

-- require_signatures: NULLs, garbage and misuse
-- (STRICT until 2026-12-06: a NULL returned NULL and left the ledger unsigned)
SELECT ledger.require_signatures(NULL, 'sig', 'key_id');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.require_signatures('sr_payments', NULL, 'key_id');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.require_signatures('sr_payments', 'sig', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.require_signatures('sr_payments', 'sig', 'key_id');
CREATE TABLE sr_plain (id int, key_id text, sig bytea);
SELECT ledger.require_signatures('sr_plain', 'sig', 'key_id');
SELECT ledger.create_ledger('sr_plain') IS NOT NULL AS created;
SELECT ledger.require_signatures('sr_plain', 'nosuch', 'key_id');
SELECT ledger.require_signatures('sr_plain', 'sig', 'nosuch');
SELECT ledger.require_signatures('sr_plain', 'sig', 'sig');
SELECT ledger.require_signatures('sr_plain', 'key_id', 'sig');
SELECT ledger.require_signatures('sr_plain', 'sig', 'id');
SELECT ledger.require_signatures('sr_plain', 'ledger_hash', 'key_id');
SELECT ledger.require_signatures('sr_plain', 'sig', 'ledger_xact');
SELECT ledger.require_signatures('sr_plain', 'ctid', 'key_id');
SELECT ledger.require_signatures('sr_plain', repeat('x', 100), 'key_id');
INSERT INTO sr_plain VALUES (1, 'k', '\x00');
SELECT ledger.require_signatures('sr_plain', 'sig', 'key_id');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT ledger.require_signatures('sr_plain', 'sig', 'key_id');
ROLLBACK;
CREATE ROLE signed_rows_nobody;
SET ROLE signed_rows_nobody;
SELECT ledger.require_signatures('sr_payments', 'sig', 'key_id');
RESET ROLE;
GRANT EXECUTE ON FUNCTION ledger.require_signatures(regclass, name, name) TO signed_rows_nobody;
SET ROLE signed_rows_nobody;
SELECT ledger.require_signatures('sr_plain', 'sig', 'key_id');
RESET ROLE;

-- signing_bytes: NULLs, garbage and misuse
SELECT ledger.signing_bytes(NULL, ROW(1)) IS NULL AS null_table;
SELECT ledger.signing_bytes('sr_payments', NULL::sr_payments) IS NULL AS null_row;
SELECT ledger.signing_bytes('sr_plain', ROW(1, 'k', NULL, NULL, NULL, NULL)::sr_plain);
SELECT ledger.signing_bytes('sigs', ROW('a', 'b', 'c', NULL)::sigs);
SELECT ledger.signing_bytes('sr_payments', ROW(1, 'k'));
SELECT ledger.signing_bytes('sr_payments', ROW(1, 'alice', 1, 'm', 1, 'k', NULL, NULL, NULL, NULL)::sr_payments_b);
SELECT ledger.signing_bytes('pg_class', ROW(1));
SELECT ledger.signing_bytes(0, ROW(1));
SELECT ledger.require_signatures(0, 'sig', 'key_id');
SELECT length(ledger.signing_bytes('sr_payments',
         ROW(1, 'alice', 1, repeat('m', 1048576), 1, 'k', NULL, NULL, NULL, NULL)::sr_payments)) AS one_mib_row;

-- the trigger functions outside their place
SELECT ledger.signature_trigger();
SELECT ledger.keys_changed();
CREATE TABLE sr_loose (id int, key_id text, sig bytea);
CREATE TRIGGER ledger_signature BEFORE INSERT ON sr_loose
  FOR EACH ROW EXECUTE FUNCTION ledger.signature_trigger();
INSERT INTO sr_loose VALUES (1, 'ed-alice', '\x00');
DROP TABLE sr_loose;
-- a BEFORE INSERT row trigger between ledger_signature and zz_ledger_row
-- is refused by the DDL guard when it is created
CREATE FUNCTION pay_upper() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN NEW.payer := upper(NEW.payer); RETURN NEW; END $$;
CREATE TRIGGER m_upper BEFORE INSERT ON sr_payments FOR EACH ROW EXECUTE FUNCTION pay_upper();
DROP FUNCTION pay_upper();

-- DDL guard: the signature and key columns keep their names and types,
-- the signature trigger stays enabled ALWAYS
ALTER TABLE sr_payments RENAME COLUMN sig TO signature;
ALTER TABLE sr_payments RENAME COLUMN key_id TO signer;
ALTER TABLE sr_payments ALTER COLUMN key_id TYPE varchar;
ALTER TABLE sr_payments DROP COLUMN sig;
DROP TRIGGER ledger_signature ON sr_payments;
ALTER TABLE sr_payments DISABLE TRIGGER ledger_signature;
ALTER TRIGGER ledger_signature ON sr_payments RENAME TO a_signature;
-- ENABLE without ALWAYS is refused since 2026-12-05 (a session in replica
-- mode then wrote around the ledger's triggers); pg_restore creates the
-- trigger that way and then enables it ALWAYS, which passes
ALTER TABLE sr_payments ENABLE TRIGGER ledger_signature;
ALTER TABLE sr_payments ENABLE ALWAYS TRIGGER ledger_signature;
SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'sr_payments'::regclass ORDER BY 1;

-- a superuser swaps a stored signature past the guards (disabled by name:
-- replica mode no longer silences them): verify names the row, first by
-- its hash, and once the hash is forged too, by its signature
SET session_replication_role = replica;
ALTER TABLE sr_payments DISABLE TRIGGER ALL;
RESET session_replication_role;
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER EVENT TRIGGER ledger_guard_signed DISABLE;
ALTER TABLE sr_payments DISABLE TRIGGER ALL;
UPDATE sr_payments SET sig = (SELECT sig FROM sigs WHERE label = 'r2') WHERE id = 1;
ALTER TABLE sr_payments ENABLE ALWAYS TRIGGER ledger_signature, ENABLE ALWAYS TRIGGER zz_ledger_row, ENABLE ALWAYS TRIGGER ledger_append_only, ENABLE ALWAYS TRIGGER ledger_append_only_row;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
ALTER EVENT TRIGGER ledger_guard_signed ENABLE ALWAYS;
SELECT ok, regexp_replace(problem, 'transaction \d+', 'transaction N') AS problem FROM ledger.verify('sr_payments');
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER EVENT TRIGGER ledger_guard_signed DISABLE;
ALTER TABLE sr_payments DISABLE TRIGGER ALL;
UPDATE sr_payments p SET ledger_hash = ledger.leaf_hash(p, p.ledger_xact, p.ledger_seq) WHERE id = 1;
ALTER TABLE sr_payments ENABLE ALWAYS TRIGGER ledger_signature, ENABLE ALWAYS TRIGGER zz_ledger_row, ENABLE ALWAYS TRIGGER ledger_append_only, ENABLE ALWAYS TRIGGER ledger_append_only_row;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
ALTER EVENT TRIGGER ledger_guard_signed ENABLE ALWAYS;
SELECT ok, regexp_replace(problem, 'transaction \d+', 'transaction N') AS problem FROM ledger.verify('sr_payments');

-- a revocation backdated before a row's commit (a compromise found late)
-- makes verify report the rows signed after it
SELECT (ledger.revoke_key('ed-alice', 'compromised', '2000-06-01')).key_id;
SELECT ok, regexp_replace(regexp_replace(problem, 'transaction \d+', 'transaction N'),
                          'committed at .*', 'committed at T') AS problem
  FROM ledger.verify('sr_payments_b');

-- A key must still be good when the transaction commits: verify judges rows
-- at their transaction's commit time, so the commit re-checks every key
-- that signed a row it records (Ed25519 signatures by RFC 8032 TEST 3's key,
-- test/sign_rows.py).
INSERT INTO sigs VALUES
  ('s13', 'python', 'ed25519', '\xed0d1399531adb0143416c395037ab568b1b1d6125295947fd33de4f8b1d39ab40f4b8bb2c602237573fb2876c8bcfc6c3101119b4e16e743e69975c0ca3f10a'),
  ('s14', 'python', 'ed25519', '\x6e5d8d323547a6bf7c9a7324790f1b76136f9b0612a0d1bff981c18455d35bf352ed6d901433e7dce15645198d5be6f93711c64e78b59fdfbdab4f4e37a8ec0d'),
  ('s15', 'python', 'ed25519', '\x664f20f74625f9dd8b95e3abcb01f5df750638336f9b1d14c25a2f48987681436e5555544c2d941f5a6e35ee37341e198ca52bd646012d4f779e849b1ca66701'),
  ('s16', 'python', 'ed25519', '\xc3e142ed9479aa120ddbadaab01ef762e49d6ac3c4b3b6ac9ffa310f3427cec86373246c7fde440a89407e66d3a7363db42ee8594ec3347030023a4d28654e0f');
SELECT (ledger.add_key(k, 'dave', 'ed25519', '\xfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', '2000-01-01')).key_id
  FROM unnest(ARRAY['ed-straddle-rev', 'ed-straddle-sp', 'ed-straddle-ok']) k;
\set VERBOSITY terse
-- revoked after the insert, before the commit (through a released savepoint)
BEGIN;
SAVEPOINT a;
INSERT INTO sr_payments SELECT 13, 'dave', 130.00, 'revoked before commit', 13, 'ed-straddle-rev', sig FROM sigs WHERE label = 's13';
RELEASE a;
SELECT (ledger.revoke_key('ed-straddle-rev', 'compromised')).key_id;
COMMIT;
-- a row rolled back to a savepoint does not hold its key to the commit
BEGIN;
SAVEPOINT a;
INSERT INTO sr_payments SELECT 14, 'dave', 140.00, 'rolled back', 14, 'ed-straddle-sp', sig FROM sigs WHERE label = 's14';
ROLLBACK TO a;
INSERT INTO sr_payments SELECT 16, 'dave', 160.00, 'kept', 16, 'ed-straddle-ok', sig FROM sigs WHERE label = 's16';
SELECT (ledger.revoke_key('ed-straddle-sp', 'rotated')).key_id;
COMMIT;
-- valid at the insert (transaction start), expired by the commit
BEGIN;
SELECT (ledger.add_key('ed-straddle-exp', 'dave', 'ed25519', '\xfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
                       '2000-01-01', clock_timestamp() + interval '300 ms')).key_id;
INSERT INTO sr_payments SELECT 15, 'dave', 150.00, 'expired before commit', 15, 'ed-straddle-exp', sig FROM sigs WHERE label = 's15';
SELECT pg_sleep(0.5);
COMMIT;
\set VERBOSITY default
SELECT id, key_id FROM sr_payments WHERE id BETWEEN 13 AND 16 ORDER BY id;
SELECT key_id, revoked_at IS NOT NULL AS revoked FROM ledger.keys
 WHERE key_id LIKE 'ed-straddle-%' ORDER BY key_id;

-- Prepared transactions.  PREPARE TRANSACTION checks the keys like a
-- commit (the ledger records its time as the transaction's), and records
-- which keys signed its rows; COMMIT PREPARED, from any session that has
-- ledger loaded (here: preloaded), checks them again and refuses to commit
-- a transaction whose key was revoked or expired after the PREPARE.
-- (The signatures are written out, since a transaction that touched the
-- temporary table sigs cannot be prepared.)
SELECT (ledger.add_key(k, 'dave', 'ed25519', '\xfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', '2000-01-01')).key_id
  FROM unnest(ARRAY['ed-2pc-rev', 'ed-2pc-ok', 'ed-2pc-unchecked']) k;
\set VERBOSITY terse
-- revoked between PREPARE and COMMIT PREPARED: the commit is refused, the
-- transaction stays prepared until rolled back, and nothing is recorded
BEGIN;
INSERT INTO sr_2pc VALUES (17, 'dave', 170.00, 'prepared, revoked before commit', 17, 'ed-2pc-rev', '\x62940802a758f3c33c2ee04f055d0389e371aebd500153bb63f1c82c33edfc912ddb295626ca173dd7e9a9aa72113ac2f0eee706d686d2527b81d4b87f60340c');
PREPARE TRANSACTION 'sr_p17';
-- (the record of its keys is part of it: invisible until it commits)
SELECT count(*) AS keys_visible FROM ledger.signed_prepared_keys;
SELECT (ledger.revoke_key('ed-2pc-rev', 'compromised')).key_id;
COMMIT PREPARED 'sr_p17';
SELECT gid FROM pg_prepared_xacts;
ROLLBACK PREPARED 'sr_p17';
-- expired between PREPARE and COMMIT PREPARED: refused too
BEGIN;
SELECT (ledger.add_key('ed-2pc-exp', 'dave', 'ed25519', '\xfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
                       '2000-01-01', clock_timestamp() + interval '500 ms')).key_id;
COMMIT;
BEGIN;
INSERT INTO sr_2pc VALUES (20, 'dave', 200.00, 'prepared, expired before commit', 20, 'ed-2pc-exp', '\xd9cfaee715f98e8f679871fbabbb6c83a2d94de14347f5d399629c91eaa25eacd26fc91eae6a915770c77e43cb331e6d1ebd50d9a83633f180889abdc645b406');
PREPARE TRANSACTION 'sr_p20';
SELECT pg_sleep(0.6);
COMMIT PREPARED 'sr_p20';
ROLLBACK PREPARED 'sr_p20';
-- still good at COMMIT PREPARED: committed, and the check is recorded
BEGIN;
INSERT INTO sr_2pc VALUES (18, 'dave', 180.00, 'prepared and committed', 18, 'ed-2pc-ok', '\x2f1b59e6f15dbed7631e6eacf46ed39eb12e7730de030fcc84a3d45a304cad1872df7b06d5ba3dc4e1c2d8736d100db3254a90deeaa451781bff9d4c4101ea09');
PREPARE TRANSACTION 'sr_p18';
SELECT pg_sleep(0.1);
COMMIT PREPARED 'sr_p18';
\set VERBOSITY default
SELECT id, key_id FROM sr_2pc ORDER BY id;
SELECT count(*) AS prepared_keys FROM ledger.signed_prepared_keys;
SELECT c.gid, c.checked_by = current_user AS by_me, c.checked_at > p.prepared_at AS after_prepare
  FROM ledger.signed_commit_checks c JOIN ledger.signed_prepared_keys p USING (xact_id);
SELECT ok, rows_checked, problem FROM ledger.verify('sr_2pc');
-- a revocation backdated into [PREPARE, COMMIT PREPARED] is reported
SELECT (ledger.revoke_key('ed-2pc-ok', 'compromised',
         (SELECT p.prepared_at + (c.checked_at - p.prepared_at) / 2
            FROM ledger.signed_commit_checks c JOIN ledger.signed_prepared_keys p USING (xact_id)
           WHERE c.gid = 'sr_p18'))).key_id;
SELECT ok, regexp_replace(problem, '(transaction \d+|\d{4}-\d\d-\d\d [0-9:.]+[-+]\d\d)', 'X', 'g') AS problem
  FROM ledger.verify('sr_2pc');
-- committed where COMMIT PREPARED was not checked (simulated: the record
-- of the check removed), and the key revoked after the PREPARE: verify
-- cannot tell whether it committed before the revocation, and says so
BEGIN;
INSERT INTO sr_2pc_u VALUES (19, 'dave', 190.00, 'committed unchecked', 19, 'ed-2pc-unchecked', '\x27361c829c45aab5db2b656415a936b6861b2441b799a619683f4986bc398c7c9e402118dfc7484b71c7d3a2bc2dfc492915b524818242dfe0257063acd7de0a');
PREPARE TRANSACTION 'sr_p19';
COMMIT PREPARED 'sr_p19';
SELECT ok FROM ledger.verify('sr_2pc_u');
DELETE FROM ledger.signed_commit_checks WHERE gid = 'sr_p19';
SELECT ok FROM ledger.verify('sr_2pc_u');
SELECT (ledger.revoke_key('ed-2pc-unchecked', 'compromised')).key_id;
SELECT ok, regexp_replace(problem, '(transaction \d+|\d{4}-\d\d-\d\d [0-9:.]+[-+]\d\d)', 'X', 'g') AS problem
  FROM ledger.verify('sr_2pc_u');
-- COMMIT PREPARED of an unknown transaction, and inside a transaction
-- block, fail as they always do
COMMIT PREPARED 'sr_no_such';
BEGIN;
COMMIT PREPARED 'sr_no_such';
ROLLBACK;

-- The guard keeps the signature trigger exactly as require_signatures made
-- it, and refuses child tables of a signed ledger.
CREATE OR REPLACE TRIGGER ledger_signature BEFORE INSERT ON sr_payments
  FOR EACH ROW WHEN (NEW.id < 100) EXECUTE FUNCTION ledger.signature_trigger();
CREATE TRIGGER a_signature BEFORE INSERT ON sr_payments
  FOR EACH ROW EXECUTE FUNCTION ledger.signature_trigger();
CREATE TABLE sr_child (extra int) INHERITS (sr_payments);
CREATE TABLE sr_orphan (LIKE sr_payments);
ALTER TABLE sr_orphan INHERIT sr_payments;
DROP TABLE sr_orphan;
-- a superuser can get past the guard; rows then still cannot get around
-- the signature trigger: one reaching it (id < 100) is refused for the
-- trigger's definition, one it skips is refused by the ledger's row trigger
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER EVENT TRIGGER ledger_guard_signed DISABLE;
CREATE OR REPLACE TRIGGER ledger_signature BEFORE INSERT ON sr_payments
  FOR EACH ROW WHEN (NEW.id < 100) EXECUTE FUNCTION ledger.signature_trigger();
ALTER TABLE sr_payments ENABLE ALWAYS TRIGGER ledger_signature;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
ALTER EVENT TRIGGER ledger_guard_signed ENABLE ALWAYS;
INSERT INTO sr_payments VALUES (40, 'mallory', 1.00, 'unsigned', 40, 'ed-alice', '\x00');
INSERT INTO sr_payments VALUES (140, 'mallory', 1.00, 'unsigned', 140, 'ed-alice', '\x00');
ALTER EVENT TRIGGER ledger_guard_ddl DISABLE;
ALTER EVENT TRIGGER ledger_guard_signed DISABLE;
CREATE OR REPLACE TRIGGER ledger_signature BEFORE INSERT ON sr_payments
  FOR EACH ROW EXECUTE FUNCTION ledger.signature_trigger();
ALTER TABLE sr_payments ENABLE ALWAYS TRIGGER ledger_signature;
ALTER EVENT TRIGGER ledger_guard_ddl ENABLE ALWAYS;
ALTER EVENT TRIGGER ledger_guard_signed ENABLE ALWAYS;
SELECT count(*) AS unsigned_rows FROM sr_payments WHERE id IN (40, 140);

-- Malformed DER signatures are refused with what is wrong (22023): from
-- sig_ecdsa's "short s" signature, a long-form sequence length, a needless
-- zero before s, bytes after s inside the sequence; RFC 6979's "test"
-- signature with r's zero pad dropped (a negative r); r = 0.
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, 'ec-bob', '\x30814302200801dde977847d0e5d1a1977cbe928d9483313e1b845d36039d851868b9c0fa8021f45c693d80834d02ae4ad0aa4f67640684a6d7430f0a4e46983792c51225420');
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, 'ec-bob', '\x304402200801dde977847d0e5d1a1977cbe928d9483313e1b845d36039d851868b9c0fa802200045c693d80834d02ae4ad0aa4f67640684a6d7430f0a4e46983792c51225420');
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, 'ec-bob', '\x304502200801dde977847d0e5d1a1977cbe928d9483313e1b845d36039d851868b9c0fa8021f45c693d80834d02ae4ad0aa4f67640684a6d7430f0a4e46983792c512254200500');
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, 'ec-bob', '\x30440220f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d383670220019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083');
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, 'ec-bob', '\x3026020100022100f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8');
-- an over-long key id is refused without being quoted whole
INSERT INTO sr_payments VALUES (30, 'x', 1, 'm', 30, repeat('k', 1048576), '\x00');

-- signed_ledgers.required_by names the role that called
-- require_signatures (its current_user), not the extension's owner.
CREATE ROLE signed_rows_admin;
CREATE TABLE sr_owned (id int PRIMARY KEY, key_id text, sig bytea);
ALTER TABLE sr_owned OWNER TO signed_rows_admin;
SELECT ledger.create_ledger('sr_owned') IS NOT NULL AS created;
GRANT EXECUTE ON FUNCTION ledger.require_signatures(regclass, name, name) TO signed_rows_admin;
SET ROLE signed_rows_admin;
SELECT ledger.require_signatures('sr_owned', 'sig', 'key_id');
RESET ROLE;
SELECT s.required_by, s.required_by = 'signed_rows_admin' AS caller
  FROM ledger.signed_ledgers s JOIN ledger.ledgers g USING (ledger_id)
 WHERE g.relation = 'sr_owned'::regclass;
REVOKE EXECUTE ON FUNCTION ledger.require_signatures(regclass, name, name) FROM signed_rows_admin;

REVOKE EXECUTE ON FUNCTION ledger.require_signatures(regclass, name, name) FROM signed_rows_nobody;
DROP ROLE signed_rows_nobody;
-- sr_owned first: signed_rows_admin owns it
SELECT ledger.drop_ledger('sr_owned');
DROP ROLE signed_rows_admin;

