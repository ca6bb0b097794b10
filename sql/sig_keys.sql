-- The key registry ledger.keys, ledger.add_key and ledger.revoke_key.
SET client_min_messages = notice;
SET timezone = 'UTC';

-- Ed25519 (RFC 8032 TEST 1 public key) and ECDSA P-256 (RFC 6979 A.2.5,
-- given as a DER SPKI: stored in canonical, uncompressed-point form).
SELECT key_id, owner, algorithm, octet_length(public_key) AS len, valid_from,
	   valid_until, revoked_at, revocation_reason, added_by = current_user AS by_me
  FROM ledger.add_key('alice-1', 'alice', 'ed25519',
		'\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
		'2026-01-01 00:00+00', '2027-01-01 00:00+00');
SELECT key_id, algorithm, encode(public_key, 'hex') AS public_key, valid_until
  FROM ledger.add_key('bank-1', 'bank', 'ecdsa-p256',
		'\x3059301306072a8648ce3d020106082a8648ce3d0301070342000460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb67903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299');
SELECT key_id FROM ledger.add_key('bank-1-raw', 'bank', 'ecdsa-p256-p1363',
		(SELECT public_key FROM ledger.keys WHERE key_id = 'bank-1'));

-- Errors: duplicate id, bad algorithm, bad key, bad validity, NULLs, empty id.
SELECT ledger.add_key('alice-1', 'alice', 'ed25519',
		'\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.add_key('x', 'x', 'rsa', '\x00');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.add_key('x', 'x', 'ed25519', '\x0200000000000000000000000000000000000000000000000000000000000000');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.add_key('x', 'x', 'ecdsa-p256', '\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
SELECT ledger.add_key('x', 'x', 'ed25519',
		'\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
		'2026-01-01', '2025-01-01');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.add_key(NULL, 'x', 'ed25519', '\x00');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.add_key('x', 'x', 'ed25519', NULL);
SELECT ledger.add_key('', 'x', 'ed25519', '\x00');
SELECT ledger.add_key('x', 'x', 'ed25519', decode(repeat('00', 1048576), 'hex'));

-- Times must be finite (22000) and key ids at most 256 bytes (22023).
SELECT ledger.add_key('inf-1', 'x', 'ed25519',
		'\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.add_key('inf-2', 'x', 'ed25519',
		'\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '-infinity');
SELECT ledger.add_key('inf-3', 'x', 'ed25519',
		'\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
		'2026-01-01', 'infinity');
SELECT ledger.add_key(repeat('k', 257), 'x', 'ed25519',
		'\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.add_key(repeat('k', 1048576), 'x', 'ed25519',
		'\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
SELECT octet_length((ledger.add_key(repeat('k', 256), 'x', 'ed25519',
		'\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '2026-01-01')).key_id) AS longest_id;

-- Direct INSERTs are checked by constraints as well.  (Terse: the failing
-- row in a constraint error shows the added_at timestamp.)
\set VERBOSITY terse
INSERT INTO ledger.keys (key_id, owner, algorithm, public_key, valid_from)
VALUES ('y', 'y', 'ed25519', '\x0200000000000000000000000000000000000000000000000000000000000000', now());
INSERT INTO ledger.keys (key_id, owner, algorithm, public_key, valid_from)
VALUES ('y', 'y', 'ed25519', '\x302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', now());
INSERT INTO ledger.keys (key_id, owner, algorithm, public_key, valid_from)
VALUES ('y', 'y', 'dsa', '\x00', now());
INSERT INTO ledger.keys (key_id, owner, algorithm, public_key, valid_from, revoked_at)
VALUES ('y', 'y', 'ed25519', '\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', now(), now());

\set VERBOSITY default

-- Revocation: once, with a reason.
SELECT key_id, revoked_at, revocation_reason
  FROM ledger.revoke_key('alice-1', 'laptop stolen', '2026-06-01 12:00+00');
SELECT ledger.revoke_key('alice-1', 'again', '2026-06-02 12:00+00');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.revoke_key('nobody', 'no such key');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.revoke_key(repeat('k', 1048576), 'no such key either');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.revoke_key('bank-1', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.revoke_key('bank-1', 'never', 'infinity');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.revoke_key('bank-1', 'always', '-infinity');

-- A revocation scheduled for a rotation is brought forward when the key is
-- found compromised; it can never be put off, repeated or withdrawn.
SELECT (ledger.add_key('rot-1', 'carol', 'ed25519',
		'\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '2026-01-01')).key_id;
SELECT key_id, revoked_at, revocation_reason
  FROM ledger.revoke_key('rot-1', 'scheduled rotation', '2026-12-31 00:00+00');
SELECT key_id, revoked_at, revocation_reason
  FROM ledger.revoke_key('rot-1', 'laptop stolen', '2026-03-15 08:00+00');
SELECT ledger.revoke_key('rot-1', 'later', '2026-04-01 00:00+00');
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.revoke_key('rot-1', 'same time', '2026-03-15 08:00+00');
-- and backdated further, to when the compromise began
SELECT key_id, revoked_at FROM ledger.revoke_key('rot-1', 'compromised earlier', '2026-02-01 00:00+00');
-- by direct UPDATE too: earlier is allowed, later or NULL is not
UPDATE ledger.keys SET revoked_at = '2026-01-15 00:00+00', revocation_reason = 'earlier still'
 WHERE key_id = 'rot-1';
UPDATE ledger.keys SET revoked_at = '2026-06-01 00:00+00' WHERE key_id = 'rot-1';
UPDATE ledger.keys SET revoked_at = '-infinity' WHERE key_id = 'rot-1';
SELECT key_id, revoked_at, revocation_reason FROM ledger.keys WHERE key_id = 'rot-1';

-- Append-only: no DELETE, no TRUNCATE, no edits, not even of a revocation.
DELETE FROM ledger.keys WHERE key_id = 'bank-1';
\echo :LAST_ERROR_SQLSTATE
TRUNCATE ledger.keys;
UPDATE ledger.keys SET owner = 'mallory' WHERE key_id = 'bank-1';
UPDATE ledger.keys SET valid_until = now() WHERE key_id = 'bank-1';
UPDATE ledger.keys SET revocation_reason = 'edited' WHERE key_id = 'alice-1';
UPDATE ledger.keys SET revoked_at = NULL, revocation_reason = NULL WHERE key_id = 'alice-1';
-- a revocation that also changes another column is refused
UPDATE ledger.keys SET revoked_at = now(), revocation_reason = 'x', owner = 'eve'
 WHERE key_id = 'bank-1';
-- a revocation without a reason breaks keys_revocation
\set VERBOSITY terse
UPDATE ledger.keys SET revoked_at = now() WHERE key_id = 'bank-1';
\set VERBOSITY default
-- the one allowed UPDATE: setting the revocation columns once
UPDATE ledger.keys SET revoked_at = '2026-07-01 00:00+00', revocation_reason = 'rotated'
 WHERE key_id = 'bank-1';

SELECT left(key_id, 20) AS key_id, owner, algorithm, revoked_at, revocation_reason
  FROM ledger.keys ORDER BY key_id;

-- In replica mode too (a superuser may give a key administrator's role
-- session_replication_role = replica, as to a loader): the registry's
-- triggers fire ALWAYS.  Until 2026-12-05 these went through: a revoked key
-- un-revoked, a key's bytes replaced, a key deleted.
SET session_replication_role = replica;
\set VERBOSITY terse
UPDATE ledger.keys SET revoked_at = NULL, revocation_reason = NULL WHERE key_id = 'bank-1';
UPDATE ledger.keys SET owner = 'mallory' WHERE key_id = 'bank-1';
DELETE FROM ledger.keys WHERE key_id = 'bank-1';
TRUNCATE ledger.keys CASCADE;
\set VERBOSITY default
RESET session_replication_role;

-- The registry's triggers stay as the extension made them (even for its
-- owner): not disabled, dropped, replaced or changed, nor made to fire on
-- origin only.
ALTER TABLE ledger.keys DISABLE TRIGGER keys_append_only;
ALTER TABLE ledger.keys ENABLE TRIGGER keys_append_only;
ALTER TABLE ledger.keys ENABLE TRIGGER keys_no_truncate;
ALTER TABLE ledger.keys ENABLE TRIGGER keys_changed;
DROP TRIGGER keys_no_truncate ON ledger.keys;
CREATE OR REPLACE TRIGGER keys_append_only BEFORE DELETE ON ledger.keys
	FOR EACH ROW EXECUTE FUNCTION ledger.keys_append_only();
SELECT tgname, tgenabled, tgtype FROM pg_trigger
 WHERE tgrelid = 'ledger.keys'::regclass ORDER BY tgname;

-- ledger.canonical_public_key: NULL in, NULL out; an unknown algorithm, a
-- point off the curve, keys longer than any encoding (refused unread, up
-- to 16 MB); RFC 8032 TEST 1's key as a DER SubjectPublicKeyInfo (prefix
-- 302a300506032b6570032100, RFC 8410 section 10.1) gives its raw 32 bytes.
SELECT ledger.canonical_public_key(NULL, '\x00') IS NULL AS null_alg,
	   ledger.canonical_public_key('ed25519', NULL) IS NULL AS null_key;
SELECT ledger.canonical_public_key('rsa', '\x00');
SELECT ledger.canonical_public_key('ed25519', '\x0200000000000000000000000000000000000000000000000000000000000000');
SELECT ledger.canonical_public_key('ed25519', decode(repeat('00', 4097), 'hex'));
SELECT ledger.canonical_public_key('ecdsa-p256', decode(repeat('30', 16777216), 'hex'));
SELECT encode(ledger.canonical_public_key('ed25519',
		'\x302a300506032b6570032100d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'), 'hex') AS raw;

-- Privileges: the admin functions are not executable by PUBLIC; the
-- registry is readable by everyone who may use the schema.
CREATE ROLE sig_keys_nobody;
SELECT has_function_privilege('sig_keys_nobody',
		'ledger.add_key(text, text, text, bytea, timestamptz, timestamptz)', 'EXECUTE') AS add_key,
	   has_function_privilege('sig_keys_nobody',
		'ledger.revoke_key(text, text, timestamptz)', 'EXECUTE') AS revoke_key,
	   has_function_privilege('sig_keys_nobody',
		'ledger.verify_signature(text, bytea, bytea, bytea)', 'EXECUTE') AS verify,
	   has_table_privilege('sig_keys_nobody', 'ledger.keys', 'SELECT') AS can_read,
	   has_table_privilege('sig_keys_nobody', 'ledger.keys', 'INSERT') AS can_insert;
SET ROLE sig_keys_nobody;
SELECT ledger.add_key('z', 'z', 'ed25519',
		'\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
RESET ROLE;
DROP ROLE sig_keys_nobody;

-- The table is dumped with the extension.
SELECT c.relname, e.extconfig IS NOT NULL AS dumped
  FROM pg_extension e, pg_class c
 WHERE e.extname = 'ledger' AND c.oid = ANY (e.extconfig)
 ORDER BY c.relname;
