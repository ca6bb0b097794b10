-- Signed checkpoints (docs/audit.md, docs/canonical-format.md "Checkpoint"):
-- the C2SP note and signature formats against published vectors, the
-- set-up functions, and what ledger.add_checkpoint_signature and its
-- neighbours refuse.  Signing, cosigning, quorum and equivocation between
-- three real servers are in test/t/170_checkpoints.pl.
\set VERBOSITY terse
SET timezone = 'UTC';

-- Errors whose message holds a random ledger uuid, as "SQLSTATE: message".
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM,
        '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g');
END $$;
-- A C2SP signature line: em dash, key name, base64 of key ID and signature.
CREATE FUNCTION pg_temp.line(name text, b64 text) RETURNS text LANGUAGE sql AS $$
    SELECT convert_from('\xe28094', 'UTF8') || ' ' || name || ' ' || b64
$$;

-- ---------- published vectors ----------

-- golang.org/x/mod/sumdb/note, note_test.go (TestNewVerifier, TestSign,
-- TestOpen): the Ed25519 verifier keys
--   PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW
--   EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop
-- and their signatures of the two-line text below.  Then the worked example
-- of docs/canonical-format.md ("Checkpoint"), made with Python's
-- cryptography package: an Ed25519 and an ECDSA P-256 key, a checkpoint
-- note of a known root, signed by both.
CREATE TEMP TABLE v (name text PRIMARY KEY, val text NOT NULL);
INSERT INTO v VALUES
  ('text', E'If you think cryptography is the answer to your problem,\nthen you don''t know what your problem is.\n'),
  ('peter', pg_temp.line('PeterNeumann', 'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=')),
  ('enoch', pg_temp.line('EnochRoot', 'rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=')),
  ('doc_note', E'bank-a.example/ledger/c0ffee00-0000-4000-8000-000000000001\n3\n1wou7drBGsZsaQo43VP/CmXzchE6GbcObUTkAlay8/g=\n'),
  ('doc_a', pg_temp.line('bank-a.example/ledger/c0ffee00-0000-4000-8000-000000000001', 'V2xB39za81FmWcuTgg8vJGdEtIq5idxY+yl79XKnL0e7Zcbz1zt+/PKmF8TS2G0mOwTEnWmhjvoAc13ojvbSyDlWRA0=')),
  ('doc_b_b64', 'X9COhzBFAiEAmd2n7TuKcyrAs6UC4fuhr0mMxR+MfmkZz652Zm4xvjwCIDwcjSF73k5B2Hh4W+qNgAQnArHXm+QxhRGoc18F/D7s');
CREATE FUNCTION pg_temp.v(text) RETURNS text LANGUAGE sql AS $$ SELECT val FROM v WHERE name = $1 $$;

SELECT key_id FROM ledger.add_key('peter', 'go', 'ed25519',
    substr(decode('ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', 'base64'), 2));
SELECT key_id FROM ledger.add_key('enoch', 'go', 'ed25519',
    substr(decode('ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop', 'base64'), 2));
SELECT key_id FROM ledger.add_key('doc-a', 'doc', 'ed25519',
    '\xcd03fbddcaaa2703c251656d5ccdd99f5635b1e0653c0636b951a3a3db21dad4');
SELECT key_id FROM ledger.add_key('doc-b', 'doc', 'ecdsa-p256',
    '\x3059301306072a8648ce3d020106082a8648ce3d03010703420004f728c57e47115f2e20cc0dcbf9680a1a9ac29309fc28928af7ea01cd36b4b7b914e37848c3a6aeba9085e3142620671da9a246e41bf6ef3da6a4c612e6f49c29');

SELECT ledger.verifier_key('PeterNeumann', 'peter') = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW' AS peter,
       ledger.verifier_key('EnochRoot', 'enoch') = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop' AS enoch,
       ledger.verifier_key('bank-a.example/ledger/c0ffee00-0000-4000-8000-000000000001', 'doc-a')
         = 'bank-a.example/ledger/c0ffee00-0000-4000-8000-000000000001+576c41df+Ac0D+93KqicDwlFlbVzN2Z9WNbHgZTwGNrlRo6PbIdrU' AS doc_a,
       ledger.verifier_key('bank-b.example/ledger', 'doc-b')
         = 'bank-b.example/ledger+5fd08e87+AjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABPcoxX5HEV8uIMwNy/loChqawpMJ/CiSivfqAc02tLe5FON4SMOmrrqQheMUJiBnHamiRuQb9u89pqTGEub0nCk=' AS doc_b;
-- an Ed25519 key ID hashes the key name, an ECDSA P-256 one does not
SELECT ledger.verifier_key('other', 'doc-a') AS ed25519_other_name;
SELECT ledger.verifier_key('other', 'doc-b') AS ecdsa_other_name;

SELECT ledger.verify_note_signature(pg_temp.v('text'), pg_temp.v('peter'), 'peter') AS peter,
       ledger.verify_note_signature(pg_temp.v('text'), pg_temp.v('enoch'), 'enoch') AS enoch,
       ledger.verify_note_signature(pg_temp.v('text'), pg_temp.v('peter') || E'\n', 'peter') AS line_with_newline,
       ledger.verify_note_signature(pg_temp.v('doc_note'), pg_temp.v('doc_a'), 'doc-a') AS doc_a,
       ledger.verify_note_signature(pg_temp.v('doc_note'),
           pg_temp.line('bank-b.example/ledger', pg_temp.v('doc_b_b64')), 'doc-b') AS doc_b;
-- each of these must not verify: the other key; the key name changed (the
-- key ID no longer matches); one byte of the text; one character of the
-- signature; one of the key ID
SELECT ledger.verify_note_signature(pg_temp.v('text'), pg_temp.v('peter'), 'enoch') AS other_key,
       ledger.verify_note_signature(pg_temp.v('text'), replace(pg_temp.v('peter'), 'PeterNeumann', 'PeterNeuman'), 'peter') AS other_name,
       ledger.verify_note_signature(replace(pg_temp.v('text'), 'answer', 'Answer'), pg_temp.v('peter'), 'peter') AS other_text,
       ledger.verify_note_signature(pg_temp.v('text'), replace(pg_temp.v('peter'), 'ZJkuBS9UG', 'ZJkuBS9UH'), 'peter') AS other_signature,
       ledger.verify_note_signature(pg_temp.v('text'), replace(pg_temp.v('peter'), 'x08go', 'x08gp'), 'peter') AS other_key_id,
       ledger.verify_note_signature(pg_temp.v('doc_note'),
           pg_temp.line('bank-b.example/ledger', replace(pg_temp.v('doc_b_b64'), 'Amd2n7', 'Amd2n8')), 'doc-b') AS ecdsa_other_signature,
       ledger.verify_note_signature(replace(pg_temp.v('doc_note'), E'\n3\n', E'\n4\n'),
           pg_temp.line('bank-b.example/ledger', pg_temp.v('doc_b_b64')), 'doc-b') AS ecdsa_other_size;

-- the checkpoint note, byte for byte (docs/canonical-format.md: base64 of
-- d70a2eed...f3f8 is 1wou7drB...8/g=), and back
SELECT ledger._checkpoint_text('bank-a.example', 'c0ffee00-0000-4000-8000-000000000001', 3,
    '\xd70a2eeddac11ac66c690a38dd53ff0a65f372113a19b70e6d44e40256b2f3f8') = pg_temp.v('doc_note') AS doc_note;
SELECT institution, ledger_uuid, tree_size, encode(root, 'hex') AS root FROM ledger._parse_note(pg_temp.v('doc_note'));
SELECT key_name, encode(key_hash, 'hex') AS key_hash, octet_length(signature) AS signature_bytes
  FROM ledger._parse_signature_line(pg_temp.v('peter'));
SELECT ledger._checkpoint_text('b', 'c0ffee00-0000-4000-8000-000000000001', 0, sha256(''));
SELECT ledger._checkpoint_text('b', 'c0ffee00-0000-4000-8000-000000000001', 9223372036854775807, sha256(''));
SELECT ledger._checkpoint_text('b', 'c0ffee00-0000-4000-8000-000000000001', -1, sha256(''));
SELECT ledger._checkpoint_text('b', 'c0ffee00-0000-4000-8000-000000000001', 1, '\x00');
SELECT ledger._checkpoint_text('b c', 'c0ffee00-0000-4000-8000-000000000001', 1, sha256(''));
SELECT ledger._checkpoint_text(NULL, 'c0ffee00-0000-4000-8000-000000000001', 1, sha256('')) IS NULL AS strict;

-- malformed notes
SELECT ledger._parse_note(left(pg_temp.v('doc_note'), -1));                         -- no final newline
SELECT ledger._parse_note(pg_temp.v('doc_note') || E'x\n');                         -- a fourth line
SELECT ledger._parse_note(replace(pg_temp.v('doc_note'), E'\n3\n', E'\n03\n'));     -- a leading zero
SELECT ledger._parse_note(replace(pg_temp.v('doc_note'), E'\n3\n', E'\n-3\n'));
SELECT ledger._parse_note(replace(pg_temp.v('doc_note'), E'\n3\n', E'\n9223372036854775808\n'));
SELECT ledger._parse_note(replace(pg_temp.v('doc_note'), 'c0ffee00', 'C0FFEE00')); -- not the uuid's text
SELECT ledger._parse_note(replace(pg_temp.v('doc_note'), '8/g=', '8/h='));         -- not canonical base64
SELECT ledger._parse_note(replace(pg_temp.v('doc_note'), '8/g=', '8/g'));
SELECT ledger._parse_note(replace(pg_temp.v('doc_note'), 'bank-a', 'bank a'));
SELECT ledger._parse_note(replace(pg_temp.v('doc_note'), '/ledger/', '/log/'));
SELECT ledger._parse_note(repeat('x', 401));
SELECT ledger._parse_note('');

-- malformed signature lines
SELECT ledger._parse_signature_line(replace(pg_temp.v('peter'), convert_from('\xe28094', 'UTF8'), '-'));
SELECT ledger._parse_signature_line(substr(pg_temp.v('peter'), 3));
SELECT ledger._parse_signature_line(replace(pg_temp.v('peter'), 'PeterNeumann', 'Peter+Neumann'));
SELECT ledger._parse_signature_line(replace(pg_temp.v('peter'), ' x08', '  x08'));
SELECT ledger._parse_signature_line(replace(pg_temp.v('peter'), 'AM=', 'AN='));      -- not canonical base64
SELECT ledger._parse_signature_line(pg_temp.line('k', 'AAAAAA=='));                -- 4 bytes: a key ID, no signature
SELECT ledger._parse_signature_line(pg_temp.line('k', 'AAAAAAA=') || E'\n');
SELECT ledger._parse_signature_line(pg_temp.line(repeat('k', 256), 'AAAAAAA='));
SELECT ledger._parse_signature_line(pg_temp.line('k', repeat('A', 1000)));
SELECT ledger._b64decode('') AS empty, ledger._b64decode('QQ==') AS a, ledger._b64decode('QR==') AS noncanonical,
       ledger._b64decode('QQ=') AS short, ledger._b64decode(E'QQ\n==') AS newline;
SELECT ledger._note_key_id('k', 'ed25519', '\x00');
SELECT ledger._note_key_id('k', 'rsa', '\x00');

-- verifier_key and verify_note_signature: bad arguments
SELECT ledger.verifier_key(NULL, 'peter') IS NULL AS strict;
SELECT ledger.verifier_key('', 'peter');
SELECT ledger.verifier_key('a b', 'peter');
SELECT ledger.verifier_key('a+b', 'peter');
SELECT ledger.verifier_key(repeat('a', 256), 'peter');
SELECT ledger.verifier_key('a', 'nope');
SELECT ledger.verify_note_signature(NULL, pg_temp.v('peter'), 'peter') IS NULL AS strict;
SELECT ledger.verify_note_signature(left(pg_temp.v('text'), -1), pg_temp.v('peter'), 'peter');
SELECT ledger.verify_note_signature(E'a\x01\n', pg_temp.v('peter'), 'peter');
SELECT ledger.verify_note_signature('', pg_temp.v('peter'), 'peter');
SELECT ledger.verify_note_signature(repeat('a', 1048576) || E'\n', pg_temp.v('peter'), 'peter');
SELECT ledger.verify_note_signature(pg_temp.v('text'), 'not a line', 'peter');
SELECT ledger.verify_note_signature(pg_temp.v('text'), pg_temp.v('peter'), 'nope');

-- ---------- this institution, its peers, the quorum ----------

CREATE TABLE cp_pay (id int PRIMARY KEY, amount numeric);
SELECT ledger.create_ledger('cp_pay') IS NOT NULL AS created;
SELECT ledger_id AS cp_id FROM ledger.ledgers WHERE relation = 'cp_pay'::regclass \gset
INSERT INTO cp_pay VALUES (1, 1.5), (2, 2.5);
SHOW ledger.checkpoint_interval;
SELECT ledger.checkpoint('cp_pay');
SELECT ledger.set_quorum(2);
SELECT ledger.checkpoints_to_cosign();

SELECT ledger.set_institution(NULL, 'doc-b');
SELECT ledger.set_institution('bank-b.example', NULL);
SELECT ledger.set_institution('', 'doc-b');
SELECT ledger.set_institution('bank b', 'doc-b');
SELECT ledger.set_institution('bank/b', 'doc-b');
SELECT ledger.set_institution('.bank', 'doc-b');
SELECT ledger.set_institution(repeat('b', 201), 'doc-b');
SELECT ledger.set_institution('bank-b.example', 'nope');
SELECT key_id FROM ledger.add_key('old', 'x', 'ed25519',
    '\x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '2000-01-01', '2001-01-01');
SELECT key_id FROM ledger.add_key('later', 'x', 'ed25519',
    '\xfc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025', '2100-01-01');
SELECT key_id FROM ledger.add_key('rev', 'x', 'ed25519',
    '\x278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e');
SELECT key_id, revocation_reason FROM ledger.revoke_key('rev', 'test', '2020-01-01');
SELECT ledger.set_institution('bank-b.example', 'old');
SELECT ledger.set_institution('bank-b.example', 'later');
SELECT ledger.set_institution('bank-b.example', 'rev');
SELECT ledger.set_institution('bank-x.example', 'doc-b');
-- renaming is allowed while nothing stored names it
SELECT ledger.set_institution('bank-b.example', 'doc-b');
SELECT name, checkpoint_key_id, quorum FROM ledger.institution;

SELECT ledger.add_peer(NULL, 'doc-a');
SELECT ledger.add_peer('bank-a.example', NULL);
SELECT ledger.add_peer('bank a', 'doc-a');
SELECT ledger.add_peer('bank-b.example', 'doc-a');
SELECT ledger.add_peer('bank-a.example', 'nope');
SELECT ledger.add_peer('bank-a.example', 'doc-b');
SELECT ledger.add_peer('bank-a.example', 'rev');
SELECT ledger.add_peer('bank-a.example', 'doc-a');
SELECT ledger.add_peer('bank-a.example', 'doc-a');
SELECT ledger.add_peer('bank-c.example', 'doc-a');
SELECT ledger.add_peer('bank-a.example', 'peter');
SELECT ledger.set_institution('bank-a.example', 'doc-b');
SELECT ledger.set_institution('bank-b.example', 'peter');
SELECT institution, key_id, algorithm, octet_length(public_key) AS key_bytes FROM ledger.peers ORDER BY 1, 2;

SELECT ledger.set_quorum(0);
SELECT ledger.set_quorum(-2147483648);
SELECT ledger.set_quorum(3);
SELECT ledger.set_quorum(NULL);
SELECT quorum FROM ledger.institution;
SELECT ledger.set_quorum(2);

-- ---------- checkpoints of a ledger owned here ----------

SELECT ledger.checkpoint(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT ledger.checkpoint(0);
SELECT ledger.checkpoint('pg_class');
-- the note of the digest's history: institution/ledger/uuid, size, base64 root
SELECT ledger.checkpoint('cp_pay') =
       (SELECT 'bank-b.example/ledger/' || (d->>'ledger_uuid') || E'\n' || (d->>'tree_size') || E'\n'
               || encode(decode(d->>'tree_root', 'hex'), 'base64') || E'\n'
          FROM ledger.digest('cp_pay') d) AS note_of_the_digest;
SELECT ledger.checkpoint('cp_pay') = ledger.checkpoint('cp_pay') AS made_once;
SELECT count(*) AS checkpoints, min(tree_size) AS tree_size FROM ledger.checkpoints WHERE ledger_id = :cp_id;
SELECT tree_size, origin, signed_by, origin_signed, signatures, institutions, quorum, quorum_reached, conflict
  FROM ledger.checkpoint_status WHERE ledger = 'cp_pay'::regclass;
SELECT ledger._history_root_at(ledger_id, tree_size) = root AS held_root,
       ledger._history_root_at(ledger_id, 0) = sha256('') AS empty_root,
       ledger._history_root_at(ledger_id, 1000) IS NULL AS beyond
  FROM ledger.checkpoints WHERE ledger_id = :cp_id;
SELECT ledger._history_root_at(1, -1);
SELECT ledger._applying() IS NULL AS not_applying;

-- the background sealer's checkpoints: only when the history grew
INSERT INTO cp_pay VALUES (3, 3.5);
SELECT (ledger.digest('cp_pay')->>'tree_size')::int AS tree_size;
-- (they are made of every ledger owned here: the other tests' too)
SELECT ledger._make_due_checkpoints(3600) >= 0 AS ran;
SELECT tree_size AS within_the_hour FROM ledger.checkpoints WHERE ledger_id = :cp_id ORDER BY 1;
SELECT ledger._make_due_checkpoints(0) >= 1 AS made;
SELECT ledger._make_due_checkpoints(0) AS again;
SELECT tree_size FROM ledger.checkpoints WHERE ledger_id = :cp_id ORDER BY 1;

-- ---------- add_checkpoint_signature ----------

CREATE FUNCTION pg_temp.origin() RETURNS text LANGUAGE sql AS $$
    SELECT split_part(note, E'\n', 1) FROM ledger.checkpoints c JOIN ledger.ledgers l USING (ledger_id)
     WHERE l.relation = 'cp_pay'::regclass ORDER BY tree_size LIMIT 1
$$;
SELECT ledger.add_checkpoint_signature(NULL, 1, pg_temp.v('peter'));
SELECT ledger.add_checkpoint_signature('cp_pay', NULL, pg_temp.v('peter'));
SELECT ledger.add_checkpoint_signature('cp_pay', 1, NULL);
SELECT ledger.add_checkpoint_signature('cp_pay', 1, 'nonsense');
SELECT ledger.add_checkpoint_signature('cp_pay', 1, repeat('x', 1001));
SELECT ledger.add_checkpoint_signature(0, 1, pg_temp.v('peter'));
SELECT ledger.add_checkpoint_signature('pg_class', 1, pg_temp.v('peter'));
SELECT ledger.add_checkpoint_signature('cp_pay', 99, pg_temp.v('peter'));
SELECT ledger.add_checkpoint_signature('cp_pay', -1, pg_temp.v('peter'));
-- the origin signs with the checkpoint's origin line as key name
SELECT pg_temp.try(format('SELECT ledger.add_checkpoint_signature(%L, 1, %L)', 'cp_pay',
    pg_temp.line('bank-b.example/ledger', pg_temp.v('doc_b_b64'))));
-- a key ID that is not the checkpoint key's: another key, or a forged ID
SELECT pg_temp.try(format('SELECT ledger.add_checkpoint_signature(%L, 1, %L)', 'cp_pay',
    pg_temp.line(pg_temp.origin(), 'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=')));
SELECT pg_temp.try(format('SELECT ledger.add_checkpoint_signature(%L, 1, %L)', 'cp_pay',
    pg_temp.line(pg_temp.origin(), replace(pg_temp.v('doc_b_b64'), 'X9CO', 'Y9CO'))));
-- the right key and key ID (ECDSA: the same under any name), a signature of another text
SELECT pg_temp.try(format('SELECT ledger.add_checkpoint_signature(%L, 1, %L)', 'cp_pay',
    pg_temp.line(pg_temp.origin(), pg_temp.v('doc_b_b64'))));
SELECT pg_temp.try(format('SELECT ledger.add_checkpoint_signature(%L, 1, %L)', 'cp_pay',
    pg_temp.line(pg_temp.origin(), replace(pg_temp.v('doc_b_b64'), 'Amd2n7', 'Amd2n8'))));
SELECT count(*) AS signatures FROM ledger.checkpoint_signatures WHERE ledger_id = :cp_id;

SELECT ledger.signed_checkpoint(NULL) IS NULL AS strict;
SELECT ledger.signed_checkpoint('cp_pay');
SELECT ledger.signed_checkpoint('cp_pay', 1);
SELECT ledger.signed_checkpoint('cp_pay', -1);
SELECT ledger.signed_checkpoint('cp_pay', 99);
SELECT ledger.signed_checkpoint('pg_class');

-- ---------- equivocation evidence ----------

SELECT ledger.clear_checkpoint_conflicts(NULL, 'x');
SELECT ledger.clear_checkpoint_conflicts('cp_pay', NULL);
SELECT ledger.clear_checkpoint_conflicts('cp_pay', ' ');
SELECT ledger.clear_checkpoint_conflicts('pg_class', 'x');
SELECT ledger.clear_checkpoint_conflicts('cp_pay', 'nothing to clear');
-- evidence kept by hand stops signing of the ledger, until cleared
INSERT INTO ledger.checkpoint_conflicts (ledger_id, tree_size, kind, root, other_root, signed_note)
SELECT ledger_id, tree_size, 'history mismatch', root, sha256('x'), note FROM ledger.checkpoints WHERE ledger_id = :cp_id AND tree_size = 1;
SELECT DISTINCT conflict FROM ledger.checkpoint_status WHERE ledger = 'cp_pay'::regclass;
SELECT ledger.add_checkpoint_signature('cp_pay', 1, pg_temp.line('k', 'AAAAAAA='));
UPDATE ledger.checkpoint_conflicts SET signed_note = 'x';
DELETE FROM ledger.checkpoint_conflicts;
TRUNCATE ledger.checkpoint_conflicts;
SELECT ledger.clear_checkpoint_conflicts('cp_pay', 'made by hand');
SELECT ledger.clear_checkpoint_conflicts('cp_pay', 'again');
UPDATE ledger.checkpoint_conflicts SET cleared_at = now();
SELECT kind, cleared_by = current_user AS by_me, clear_reason FROM ledger.checkpoint_conflicts;
SELECT DISTINCT conflict FROM ledger.checkpoint_status WHERE ledger = 'cp_pay'::regclass;

-- checkpoints and signatures are never changed
UPDATE ledger.checkpoints SET made_at = now();
DELETE FROM ledger.checkpoints;
TRUNCATE ledger.checkpoints;
INSERT INTO ledger.checkpoints (ledger_id, tree_size, root, institution, note)
SELECT ledger_id, tree_size, root, 'bank-x.example', note FROM ledger.checkpoints WHERE ledger_id = :cp_id AND tree_size = 1;
INSERT INTO ledger.checkpoints (ledger_id, tree_size, root, institution, note)
SELECT ledger_id, tree_size, root, institution, replace(note, 'bank', 'Bank') FROM ledger.checkpoints WHERE ledger_id = :cp_id AND tree_size = 1;
INSERT INTO ledger.checkpoints (ledger_id, tree_size, root, institution, note)
SELECT ledger_id OPERATOR(pg_catalog.+) 1, tree_size, root, institution, note FROM ledger.checkpoints WHERE ledger_id = :cp_id AND tree_size = 1;
-- (a row stored by hand must at least be well formed)
INSERT INTO ledger.checkpoint_signatures (ledger_id, tree_size, root, institution, note, signature)
SELECT ledger_id, tree_size, root, 'bank-b.example', note, 'x' FROM ledger.checkpoints WHERE ledger_id = :cp_id AND tree_size = 1;
SELECT pg_temp.try(format($$INSERT INTO ledger.checkpoint_signatures (ledger_id, tree_size, root, institution, note, signature)
    SELECT ledger_id, tree_size, root, 'bank-a.example', note, %L FROM ledger.checkpoints WHERE ledger_id = %s AND tree_size = 1$$,
    pg_temp.line(pg_temp.origin(), 'AAAAAAA='), :cp_id));
INSERT INTO ledger.checkpoint_signatures (ledger_id, tree_size, root, institution, note, signature)
SELECT ledger_id, tree_size, sha256('other'), 'bank-b.example', note, pg_temp.line('bank-b.example/ledger', 'AAAAAAA=')
  FROM ledger.checkpoints WHERE ledger_id = :cp_id AND tree_size = 1;
INSERT INTO ledger.checkpoint_signatures (ledger_id, tree_size, root, institution, note, signature)
SELECT ledger_id, tree_size, root, 'bank-b.example', note, pg_temp.line('bank-b.example/ledger', 'AAAAAAA=')
  FROM ledger.checkpoints WHERE ledger_id = :cp_id AND tree_size = 1;
UPDATE ledger.checkpoint_signatures SET signature = 'y';
DELETE FROM ledger.checkpoint_signatures;
TRUNCATE ledger.checkpoint_signatures;

-- a second root at a size, or a size the history does not reach, by a superuser's hand
INSERT INTO ledger.checkpoints (ledger_id, tree_size, root, institution, note)
SELECT ledger_id, 1, sha256('forged'), institution,
       ledger._checkpoint_text(institution, (SELECT ledger_uuid FROM ledger.ledgers l WHERE l.ledger_id = c.ledger_id), 1, sha256('forged'))
  FROM ledger.checkpoints c WHERE ledger_id = :cp_id AND tree_size = 1;
SELECT ledger.add_checkpoint_signature('cp_pay', 1, pg_temp.line('k', 'AAAAAAA='));
SELECT ledger.signed_checkpoint('cp_pay', 1);
INSERT INTO ledger.checkpoints (ledger_id, tree_size, root, institution, note)
SELECT ledger_id, 100, sha256('ahead'), institution,
       ledger._checkpoint_text(institution, (SELECT ledger_uuid FROM ledger.ledgers l WHERE l.ledger_id = c.ledger_id), 100, sha256('ahead'))
  FROM ledger.checkpoints c WHERE ledger_id = :cp_id AND tree_size = 1 AND root <> sha256('forged');
SELECT pg_temp.try($$SELECT ledger.checkpoint('cp_pay')$$);

-- ---------- a replica: no checkpoint made here, only cosigned ----------

CREATE TABLE cp_rep (id int PRIMARY KEY);
SELECT ledger.create_ledger('cp_rep') IS NOT NULL AS created;
INSERT INTO cp_rep VALUES (1);
SELECT (ledger.digest('cp_rep')->>'tree_size')::int AS tree_size;
INSERT INTO ledger.replicas (ledger_id, subscription, publication)
SELECT ledger_id, 'nosub', 'nopub' FROM ledger.ledgers WHERE relation = 'cp_rep'::regclass;
SELECT ledger.checkpoint('cp_rep');
SELECT ledger.add_checkpoint_signature('cp_rep', 1, pg_temp.v('peter'));
-- as if it had arrived from its origin
INSERT INTO ledger.checkpoints (ledger_id, tree_size, root, institution, note)
SELECT l.ledger_id, 1, ledger._history_root_at(l.ledger_id, 1), 'bank-a.example',
       ledger._checkpoint_text('bank-a.example', l.ledger_uuid, 1, ledger._history_root_at(l.ledger_id, 1))
  FROM ledger.ledgers l WHERE relation = 'cp_rep'::regclass;
SELECT ledger.checkpoints_to_cosign();
SELECT tree_size, origin, origin_signed, quorum_reached FROM ledger.checkpoint_status WHERE ledger = 'cp_rep'::regclass;
-- a cosigner signs as "<institution>/ledger", and only what the origin signed
SELECT pg_temp.try(format('SELECT ledger.add_checkpoint_signature(%L, 1, %L)', 'cp_rep',
    pg_temp.line(split_part(c.note, E'\n', 1), pg_temp.v('doc_b_b64'))))
  FROM ledger.checkpoints c JOIN ledger.ledgers l USING (ledger_id) WHERE l.relation = 'cp_rep'::regclass;
SELECT ledger.add_checkpoint_signature('cp_rep', 1, pg_temp.line('bank-b.example/ledger', pg_temp.v('doc_b_b64')));

-- ---------- privileges ----------

CREATE ROLE cp_user;
SET ROLE cp_user;
SELECT ledger.set_institution('bank-b.example', 'doc-b');
SELECT ledger.add_peer('bank-z.example', 'enoch');
SELECT ledger.set_quorum(1);
SELECT ledger.checkpoint('cp_pay');
SELECT ledger.add_checkpoint_signature('cp_pay', 1, pg_temp.v('peter'));
SELECT ledger.checkpoints_to_cosign();
SELECT ledger.clear_checkpoint_conflicts('cp_pay', 'x');
SELECT ledger._history_root_at(1, 1);
SELECT ledger._make_due_checkpoints(0);
INSERT INTO ledger.checkpoints SELECT * FROM ledger.checkpoints;
SELECT count(*) > 0 AS can_read FROM ledger.checkpoint_status;
SELECT ledger.verifier_key('PeterNeumann', 'peter') LIKE 'PeterNeumann+c74f20a3+%' AS can_compute;
RESET ROLE;
-- granted: the signing functions run as the extension's owner
GRANT EXECUTE ON FUNCTION ledger.checkpoints_to_cosign(), ledger.set_institution(text, text) TO cp_user;
SET ROLE cp_user;
SELECT count(*) AS to_cosign FROM ledger.checkpoints_to_cosign();
SELECT ledger.set_institution('bank-b.example', 'doc-b');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION ledger.checkpoints_to_cosign(), ledger.set_institution(text, text) FROM cp_user;
DROP ROLE cp_user;

-- a revoked checkpoint key signs nothing
SELECT key_id, revocation_reason FROM ledger.revoke_key('doc-b', 'test');
SELECT ledger.add_checkpoint_signature('cp_rep', 1, pg_temp.line('bank-b.example/ledger', pg_temp.v('doc_b_b64')));
SELECT ledger.set_institution('bank-b.example', 'doc-b');
