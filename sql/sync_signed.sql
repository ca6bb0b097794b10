-- The keys an origin publishes with its signed ledgers (ledger.ledger_keys,
-- docs/replication.md#signed-ledgers), on one node: kept equal to
-- ledger.keys for every own signed ledger, in the transaction that changes
-- the registry; carried by publications; not writable by users.
SET client_min_messages = warning;
SET timezone = 'UTC';

CREATE TABLE ss_signed (id int PRIMARY KEY, v text, key_id text, sig bytea);
CREATE TABLE ss_plain (id int PRIMARY KEY, v text);
SELECT ledger.create_ledger('ss_signed') IS NOT NULL AS created;
SELECT ledger.create_ledger('ss_plain') IS NOT NULL AS created;
SELECT ledger_id AS sid FROM ledger.ledgers WHERE relation = 'ss_signed'::regclass \gset

-- Keys registered before the ledger is signed: require_signatures copies
-- them.  RFC 8032 TEST 1 and TEST 2 public keys.
SELECT key_id FROM ledger.add_key('ss-k1', 'ss', 'ed25519',
		'\xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
SELECT count(*) AS before_signed FROM ledger.ledger_keys WHERE ledger_id = :sid;
SELECT ledger.require_signatures('ss_signed', 'sig', 'key_id');
SELECT g.relation, k.key_id, encode(k.public_key, 'hex') = encode(r.public_key, 'hex') AS same_key,
	   k.owner, k.algorithm, k.revoked_at IS NULL AS not_revoked
  FROM ledger.ledger_keys k JOIN ledger.ledgers g USING (ledger_id)
  JOIN ledger.keys r USING (key_id) WHERE k.ledger_id = :sid AND k.key_id LIKE 'ss-%' ORDER BY 1, 2;
SELECT count(*) = (SELECT count(*) FROM ledger.keys) AS every_key FROM ledger.ledger_keys WHERE ledger_id = :sid;

-- A key added later, in the same transaction as add_key.
BEGIN;
SELECT key_id FROM ledger.add_key('ss-k2', 'ss', 'ed25519',
		'\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
SELECT key_id FROM ledger.ledger_keys WHERE ledger_id = :sid AND key_id LIKE 'ss-%' ORDER BY 1;
ROLLBACK;
SELECT key_id AS after_rollback FROM ledger.ledger_keys WHERE ledger_id = :sid AND key_id LIKE 'ss-%' ORDER BY 1;
SELECT key_id FROM ledger.add_key('ss-k2', 'ss', 'ed25519',
		'\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');

-- A revocation, and bringing it forward, travel with it.
SELECT key_id FROM ledger.revoke_key('ss-k1', 'rotated', '2030-01-01 00:00+00');
SELECT key_id, revoked_at, revocation_reason FROM ledger.ledger_keys WHERE ledger_id = :sid AND key_id LIKE 'ss-%' ORDER BY 1;
SELECT key_id FROM ledger.revoke_key('ss-k1', 'compromised', '2029-01-01 00:00+00');
SELECT key_id, revoked_at, revocation_reason FROM ledger.ledger_keys WHERE ledger_id = :sid AND key_id LIKE 'ss-%' ORDER BY 1;

-- The mirror is the registry's: users cannot write it, and the trigger
-- function on another table only invalidates (nothing is copied).
CREATE ROLE ss_user;
GRANT ALL ON SCHEMA public TO ss_user;
SET ROLE ss_user;
SELECT count(*) > 0 AS readable FROM ledger.ledger_keys;
INSERT INTO ledger.ledger_keys SELECT ledger_id, 'forged', owner, algorithm, public_key, valid_from,
	NULL, NULL, NULL, added_at, added_by FROM ledger.ledger_keys LIMIT 1;
UPDATE ledger.ledger_keys SET revoked_at = NULL, revocation_reason = NULL;
DELETE FROM ledger.ledger_keys;
CREATE TABLE ss_own (x int);
CREATE TRIGGER ss_own_changed AFTER INSERT ON ss_own
	FOR EACH STATEMENT EXECUTE FUNCTION ledger.keys_changed();
INSERT INTO ss_own VALUES (1);
SELECT ledger.keys_changed();
RESET ROLE;
SELECT count(*) AS still_two FROM ledger.ledger_keys WHERE ledger_id = :sid AND key_id LIKE 'ss-%';

-- A publication of a signed ledger carries its keys and registration,
-- filtered on its id; of a plain one, no key.
SELECT ledger.create_publication('ss_pub', ARRAY['ss_signed'::regclass, 'ss_plain'::regclass]);
SELECT p.tablename, p.rowfilter LIKE '%' || (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'ss_signed'::regclass) || '%'
	   AND p.rowfilter LIKE '%' || (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'ss_plain'::regclass) || '%' AS both_ids
  FROM pg_publication_tables p
 WHERE p.pubname = 'ss_pub' AND p.tablename IN ('signed_ledgers', 'ledger_keys') ORDER BY 1;
DROP PUBLICATION ss_pub;

-- A second signed ledger gets every key, revoked ones too; dropping a
-- ledger drops its keys' rows.
CREATE TABLE ss_signed2 (id int PRIMARY KEY, v text, key_id text, sig bytea);
SELECT ledger.create_ledger('ss_signed2') IS NOT NULL AS created;
SELECT ledger.require_signatures('ss_signed2', 'sig', 'key_id');
SELECT g.relation, k.key_id, k.revoked_at IS NOT NULL AS revoked
  FROM ledger.ledger_keys k JOIN ledger.ledgers g USING (ledger_id)
 WHERE g.relation::text LIKE 'ss%' AND k.key_id LIKE 'ss-%' ORDER BY 1, 2;

-- Own and replica are told apart by the signed ledger's own row
-- (signed_ledgers.replica: a restore may load ledger.keys before
-- ledger.replicas): a signed ledger whose row says replica gets none of
-- this institution's keys, nor their revocations.  RFC 8032 TEST 3 public
-- key.
SELECT g.relation, s.replica FROM ledger.signed_ledgers s JOIN ledger.ledgers g USING (ledger_id)
 WHERE g.relation::text LIKE 'ss%' ORDER BY 1;
UPDATE ledger.signed_ledgers SET replica = true
 WHERE ledger_id = (SELECT ledger_id FROM ledger.ledgers WHERE relation = 'ss_signed2'::regclass);
SELECT key_id FROM ledger.add_key('ss-k3', 'ss', 'ed25519',
		'\xfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025');
SELECT key_id FROM ledger.revoke_key('ss-k2', 'rotated', '2031-01-01 00:00+00');
SELECT g.relation, k.key_id, k.revoked_at
  FROM ledger.ledger_keys k JOIN ledger.ledgers g USING (ledger_id)
 WHERE g.relation::text LIKE 'ss%' AND k.key_id LIKE 'ss-%' ORDER BY 1, 2;

-- A key row inserted again, the same in every column, is skipped (a
-- restore may load ledger_keys' data after keys' trigger copied the same
-- rows); one that differs in any column still meets the primary key.
INSERT INTO ledger.ledger_keys SELECT * FROM ledger.ledger_keys WHERE ledger_id = :sid AND key_id = 'ss-k1';
SELECT count(*) AS still_one FROM ledger.ledger_keys WHERE ledger_id = :sid AND key_id = 'ss-k1';
\set VERBOSITY terse
INSERT INTO ledger.ledger_keys SELECT ledger_id, key_id, 'someone else', algorithm, public_key, valid_from,
	valid_until, revoked_at, revocation_reason, added_at, added_by
  FROM ledger.ledger_keys WHERE ledger_id = :sid AND key_id = 'ss-k1';
INSERT INTO ledger.ledger_keys SELECT ledger_id, key_id, owner, algorithm, public_key, valid_from,
	valid_until, NULL, NULL, added_at, added_by
  FROM ledger.ledger_keys WHERE ledger_id = :sid AND key_id = 'ss-k1';
\set VERBOSITY default
SELECT ledger.drop_ledger('ss_signed2');
SELECT count(*) AS orphans FROM ledger.ledger_keys k
 WHERE NOT EXISTS (SELECT 1 FROM ledger.ledgers g WHERE g.ledger_id = k.ledger_id);

-- The catalog guard lets local writes through (ledger.verify reports a
-- superuser's), and the trigger function must be called as a trigger.
SELECT ledger.catalog_guard();
SELECT ledger.drop_ledger('ss_signed');
SELECT ledger.drop_ledger('ss_plain');
DROP TABLE ss_own;
REVOKE ALL ON SCHEMA public FROM ss_user;
DROP ROLE ss_user;
SELECT count(*) AS left_over FROM ledger.ledger_keys WHERE ledger_id = :sid;
