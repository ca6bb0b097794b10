
-- ===================================================================
-- Signed checkpoints, cosigned across institutions (issue #12;
-- docs/audit.md, docs/canonical-format.md "Checkpoint", docs/replication.md)
-- ===================================================================
--
-- An institution names itself and its checkpoint key (a key of
-- ledger.keys) with ledger.set_institution(), and registers the
-- institutions it trusts, each with its key, with ledger.add_peer(): trust
-- is configured out of band, never taken from what replication brings.
-- Checkpoints of its own ledgers (C2SP tlog-checkpoint notes over the
-- history tree) are made on demand (ledger.checkpoint()) or by the
-- background sealer (ledger.checkpoint_interval).  Private keys stay out of
-- the database: an external signer signs the note text and
-- ledger.add_checkpoint_signature() stores the signature once it verifies.
-- Checkpoints and signatures travel with the ledger publications
-- (src/sync.c): a peer that holds a verified replica cosigns the
-- checkpoints its own history tree confirms (ledger.checkpoints_to_cosign()),
-- and its cosignatures travel back to the origin and the other peers.
--
-- Rows that arrive from a subscription are checked by the guards below:
-- each signature against the registered key of the institution that made
-- it, or the apply transaction fails (the subscription stops, as for any
-- refused change).  An equivocation is no reason to fail: two validly
-- signed roots at one size, or a signed root that is not the one this
-- database holds, are stored, kept as evidence in
-- ledger.checkpoint_conflicts, reported with a WARNING, and stop this
-- institution from cosigning that ledger until a superuser clears them.
-- Local rows are checked by the functions that write them; the guards do
-- not check them again, so that a restore (pg_dump loads these tables in
-- an order of its own, before the keys they name) keeps what was dumped.

CREATE TABLE ledger.institution (
    singleton          pg_catalog.bool PRIMARY KEY DEFAULT true
        CONSTRAINT institution_singleton CHECK (singleton),
    name               pg_catalog.text NOT NULL
        CONSTRAINT institution_name CHECK (name OPERATOR(pg_catalog.~) '^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$'),
    checkpoint_key_id  pg_catalog.text NOT NULL,
    quorum             pg_catalog.int4
        CONSTRAINT institution_quorum CHECK (quorum OPERATOR(pg_catalog.>=) 1),
    set_at             pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    set_by             pg_catalog.name NOT NULL DEFAULT CURRENT_USER
);
COMMENT ON TABLE ledger.institution IS 'This institution: its name (the origin of its checkpoints), the key of ledger.keys it signs checkpoints with, and the quorum of signatures a checkpoint needs (NULL: a majority of the institutions known here)';

CREATE TABLE ledger.peers (
    institution        pg_catalog.text NOT NULL
        CONSTRAINT peers_institution CHECK (institution OPERATOR(pg_catalog.~) '^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$'),
    key_id             pg_catalog.text NOT NULL,
    algorithm          pg_catalog.text NOT NULL,
    public_key         pg_catalog.bytea NOT NULL,
    added_at           pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    added_by           pg_catalog.name NOT NULL DEFAULT CURRENT_USER,
    PRIMARY KEY (institution, key_id)
);
COMMENT ON TABLE ledger.peers IS 'Institutions whose checkpoint signatures this institution accepts, each with its checkpoint keys (copied from ledger.keys when registered; revocation and validity are read from ledger.keys)';

-- One row per checkpoint: made here for a ledger this institution owns, or
-- arrived with a replica from its origin.  The primary key holds the root,
-- so that two roots of one size (an equivocation) are both kept.
CREATE TABLE ledger.checkpoints (
    ledger_id          pg_catalog.int8 NOT NULL,
    tree_size          pg_catalog.int8 NOT NULL
        CONSTRAINT checkpoints_tree_size CHECK (tree_size OPERATOR(pg_catalog.>=) 0),
    root               pg_catalog.bytea NOT NULL
        CONSTRAINT checkpoints_root CHECK (pg_catalog.length(root) OPERATOR(pg_catalog.=) 32),
    institution        pg_catalog.text NOT NULL,
    note               pg_catalog.text NOT NULL,
    made_at            pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (ledger_id, tree_size, root)
);
COMMENT ON TABLE ledger.checkpoints IS 'Checkpoints of ledgers'' history trees: the C2SP note text (origin <institution>/ledger/<uuid>, tree size, base64 root) that institutions sign';
-- The background sealer asks, after each pass, whether a ledger had a
-- checkpoint made within the interval (ledger._make_due_checkpoints): by
-- this index, not by reading every checkpoint the ledger ever had.
CREATE INDEX checkpoints_made_at ON ledger.checkpoints (ledger_id, made_at);

-- One row per signature: by this institution (signed_here, published to
-- the peers) or arrived from the institution that made it.
CREATE TABLE ledger.checkpoint_signatures (
    ledger_id          pg_catalog.int8 NOT NULL,
    tree_size          pg_catalog.int8 NOT NULL,
    root               pg_catalog.bytea NOT NULL,
    institution        pg_catalog.text NOT NULL,
    note               pg_catalog.text NOT NULL,
    signature          pg_catalog.text NOT NULL,
    signed_at          pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    signed_here        pg_catalog.bool NOT NULL DEFAULT false,
    PRIMARY KEY (ledger_id, tree_size, root, institution)
);
COMMENT ON TABLE ledger.checkpoint_signatures IS 'Signatures of checkpoints: the note text signed and the C2SP signature line (em dash, key name, base64 of key ID and signature), by the checkpoint''s origin or a cosigning institution; signed_here marks this institution''s own, which its ledger publications carry';
-- the publications filter on signed_here, which is no part of the key
ALTER TABLE ledger.checkpoint_signatures REPLICA IDENTITY FULL;
-- An institution's signatures of a ledger, by size: the last one it
-- signed (add_checkpoint_signature, checkpoints_to_cosign) and whether it
-- signed one at a size or later.  Through the primary key these read every
-- signature of the ledger by any institution past the size, for each
-- checkpoint: the two queries of checkpoints_to_cosign() took 1.9 s for
-- 2,000 checkpoints of a replica not cosigned yet and 23 s for 8,000
-- (2026-12-06; 0.06 and 0.23 s with this index).
CREATE INDEX checkpoint_signatures_signer ON ledger.checkpoint_signatures (ledger_id, institution, tree_size);

-- Evidence of equivocation, kept for good; clearing only marks it.  A
-- split view is keyed by its two roots in byte order, so that it is one
-- row whichever of the two checkpoints was found first.
CREATE TABLE ledger.checkpoint_conflicts (
    ledger_id          pg_catalog.int8 NOT NULL,
    tree_size          pg_catalog.int8 NOT NULL,
    kind               pg_catalog.text NOT NULL
        CONSTRAINT checkpoint_conflicts_kind CHECK (kind OPERATOR(pg_catalog.=) ANY (ARRAY['split view', 'history mismatch'])),
    root               pg_catalog.bytea NOT NULL,
    other_root         pg_catalog.bytea NOT NULL,
    signed_note        pg_catalog.text NOT NULL,
    other_note         pg_catalog.text,
    detected_at        pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.now(),
    cleared_at         pg_catalog.timestamptz,
    cleared_by         pg_catalog.name,
    clear_reason       pg_catalog.text,
    PRIMARY KEY (ledger_id, tree_size, kind, root, other_root)
);
COMMENT ON TABLE ledger.checkpoint_conflicts IS 'Equivocation found here, a checkpoint signed by its origin (signed_note: note, blank line, the origin''s signature) whose root differs from another one of that size signed by the origin (split view: other_note, other_root) or from the root of the history held here (history mismatch: other_root); an uncleared row stops cosigning of the ledger';

SELECT pg_catalog.pg_extension_config_dump('ledger.institution', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.peers', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.checkpoints', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.checkpoint_signatures', '');
SELECT pg_catalog.pg_extension_config_dump('ledger.checkpoint_conflicts', '');
REVOKE ALL ON ledger.institution, ledger.peers, ledger.checkpoints,
    ledger.checkpoint_signatures, ledger.checkpoint_conflicts FROM PUBLIC;
GRANT SELECT ON ledger.institution, ledger.peers, ledger.checkpoints,
    ledger.checkpoint_signatures, ledger.checkpoint_conflicts TO PUBLIC;

-- ---------------------------------------------------------------------
-- From C (src/checkpoint.c)
-- ---------------------------------------------------------------------

CREATE FUNCTION ledger._history_root_at(ledger_id pg_catalog.int8, tree_size pg_catalog.int8)
    RETURNS pg_catalog.bytea
    AS 'MODULE_PATHNAME', 'ledger_history_root_at'
    LANGUAGE C STABLE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION ledger._history_root_at(pg_catalog.int8, pg_catalog.int8) IS 'Internal: the root of the ledger''s history tree held here at tree_size (from its tiles, or a block of that size); NULL when less history is held';
REVOKE ALL ON FUNCTION ledger._history_root_at(pg_catalog.int8, pg_catalog.int8) FROM PUBLIC;

CREATE FUNCTION ledger._applying() RETURNS pg_catalog.text
    AS 'MODULE_PATHNAME', 'ledger_applying'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ledger._applying() IS 'Internal: the subscription whose changes this backend applies or copies (a logical replication apply worker, ledger.create_subscription()), else NULL';
REVOKE ALL ON FUNCTION ledger._applying() FROM PUBLIC;

-- ---------------------------------------------------------------------
-- The C2SP formats (docs/canonical-format.md, "Checkpoint")
-- ---------------------------------------------------------------------

CREATE FUNCTION ledger._checkpoint_text(institution pg_catalog.text, ledger_uuid pg_catalog.uuid,
    tree_size pg_catalog.int8, root pg_catalog.bytea) RETURNS pg_catalog.text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF institution OPERATOR(pg_catalog.!~) '^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid institution name "%s"', pg_catalog.left(institution, 300)),
            DETAIL = 'An institution name is 1 to 200 letters, digits, dots, hyphens and underscores, starting with a letter or digit.';
    END IF;
    IF tree_size OPERATOR(pg_catalog.<) 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('history size %s is out of range', tree_size);
    END IF;
    IF pg_catalog.length(root) OPERATOR(pg_catalog.<>) 32 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('root must be 32 bytes, not %s', pg_catalog.length(root));
    END IF;
    RETURN institution OPERATOR(pg_catalog.||) '/ledger/' OPERATOR(pg_catalog.||) ledger_uuid::pg_catalog.text
        OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) tree_size::pg_catalog.text
        OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) pg_catalog.encode(root, 'base64')
        OPERATOR(pg_catalog.||) E'\n';
END
$$;
COMMENT ON FUNCTION ledger._checkpoint_text(pg_catalog.text, pg_catalog.uuid, pg_catalog.int8, pg_catalog.bytea) IS 'Internal: the C2SP checkpoint note text "<institution>/ledger/<uuid>\n<tree size>\n<base64 root>\n"';

-- Standard base64 with padding, canonical (RFC 4648 section 4, no line
-- breaks, no bits after the data); NULL for anything else.
CREATE FUNCTION ledger._b64decode(s pg_catalog.text) RETURNS pg_catalog.bytea
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    b pg_catalog.bytea;
BEGIN
    -- a note's hashes and signatures are short; a long text is not one of
    -- them (and the regular expression below would fail on it with an
    -- internal error past a few hundred MB)
    IF pg_catalog.length(s) OPERATOR(pg_catalog.>) 65536 THEN
        RETURN NULL;
    END IF;
    IF s OPERATOR(pg_catalog.!~) '^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' THEN
        RETURN NULL;
    END IF;
    b := pg_catalog.decode(s, 'base64');
    IF pg_catalog.translate(pg_catalog.encode(b, 'base64'), E'\n', '') OPERATOR(pg_catalog.<>) s THEN
        RETURN NULL;
    END IF;
    RETURN b;
END
$$;
COMMENT ON FUNCTION ledger._b64decode(pg_catalog.text) IS 'Internal: the bytes of canonical standard base64 (RFC 4648 section 4), NULL if the text is not that';

CREATE FUNCTION ledger._parse_note(note pg_catalog.text, OUT institution pg_catalog.text,
    OUT ledger_uuid pg_catalog.uuid, OUT tree_size pg_catalog.int8, OUT root pg_catalog.bytea)
    RETURNS record
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m pg_catalog.text[];
BEGIN
    IF pg_catalog.length(note) OPERATOR(pg_catalog.>) 400 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'checkpoint note is too long',
            DETAIL = pg_catalog.format('The note has %s characters; a ledger checkpoint''s has at most 400.', pg_catalog.length(note));
    END IF;
    m := pg_catalog.regexp_match(note,
        '^([A-Za-z0-9][A-Za-z0-9._-]{0,199})/ledger/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\n(0|[1-9][0-9]{0,18})\n([A-Za-z0-9+/]{43}=)\n$');
    IF m IS NULL OR m[3]::pg_catalog.numeric OPERATOR(pg_catalog.>) 9223372036854775807
       OR ledger._b64decode(m[4]) IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'malformed checkpoint note',
            DETAIL = 'A ledger checkpoint note is three lines, each ending in a newline: "<institution>/ledger/<ledger uuid>", the tree size in decimal without leading zeros, and the canonical base64 of the 32-byte root.';
    END IF;
    institution := m[1];
    ledger_uuid := m[2]::pg_catalog.uuid;
    tree_size := m[3]::pg_catalog.int8;
    root := ledger._b64decode(m[4]);
END
$$;
COMMENT ON FUNCTION ledger._parse_note(pg_catalog.text) IS 'Internal: the institution, ledger uuid, tree size and root of a ledger checkpoint note; 22023 unless it is exactly the form ledger.checkpoint() makes';

CREATE FUNCTION ledger._parse_signature_line(line pg_catalog.text, OUT key_name pg_catalog.text,
    OUT key_hash pg_catalog.bytea, OUT signature pg_catalog.bytea)
    RETURNS record
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m pg_catalog.text[];
    b pg_catalog.bytea;
BEGIN
    IF pg_catalog.length(line) OPERATOR(pg_catalog.>) 1000 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'signature line is too long',
            DETAIL = pg_catalog.format('The line has %s characters; a checkpoint signature line has at most 1000.', pg_catalog.length(line));
    END IF;
    -- U+2014 from its UTF-8 bytes at run time: a database whose encoding
    -- lacks it fails here, not at CREATE EXTENSION
    m := pg_catalog.regexp_match(line, '^' OPERATOR(pg_catalog.||) pg_catalog.convert_from('\xe28094'::pg_catalog.bytea, 'UTF8')
        OPERATOR(pg_catalog.||) ' ([^[:space:][:cntrl:]+]{1,255}) ([A-Za-z0-9+/=]{8,})$');
    IF m IS NOT NULL THEN
        b := ledger._b64decode(m[2]);
    END IF;
    IF m IS NULL OR b IS NULL OR pg_catalog.length(b) OPERATOR(pg_catalog.<) 5 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'malformed signature line',
            DETAIL = 'A C2SP signature line is an em dash (U+2014), a space, the key name (no spaces, no "+"), a space, and the canonical base64 of the 4-byte key ID followed by the signature.';
    END IF;
    key_name := m[1];
    key_hash := pg_catalog.substr(b, 1, 4);
    signature := pg_catalog.substr(b, 5);
END
$$;
COMMENT ON FUNCTION ledger._parse_signature_line(pg_catalog.text) IS 'Internal: the key name, key ID and signature of a C2SP signed-note signature line (without its newline); 22023 if malformed';

-- C2SP key IDs: Ed25519 (type 0x01) SHA-256(name || 0x0A || 0x01 || key)[:4];
-- ECDSA P-256 (type 0x02) SHA-256(DER SubjectPublicKeyInfo)[:4].
CREATE FUNCTION ledger._note_key_id(key_name pg_catalog.text, algorithm pg_catalog.text,
    public_key pg_catalog.bytea) RETURNS pg_catalog.bytea
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF algorithm OPERATOR(pg_catalog.=) 'ed25519' AND pg_catalog.length(public_key) OPERATOR(pg_catalog.=) 32 THEN
        RETURN pg_catalog.substr(pg_catalog.sha256(pg_catalog.convert_to(key_name, 'UTF8')
            OPERATOR(pg_catalog.||) '\x0a01'::pg_catalog.bytea OPERATOR(pg_catalog.||) public_key), 1, 4);
    ELSIF algorithm OPERATOR(pg_catalog.=) ANY (ARRAY['ecdsa-p256', 'ecdsa-p256-p1363'])
          AND pg_catalog.length(public_key) OPERATOR(pg_catalog.=) 65 THEN
        RETURN pg_catalog.substr(pg_catalog.sha256('\x3059301306072a8648ce3d020106082a8648ce3d030107034200'::pg_catalog.bytea
            OPERATOR(pg_catalog.||) public_key), 1, 4);
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'invalid_parameter_value',
        MESSAGE = pg_catalog.format('key of algorithm "%s" and %s bytes has no C2SP key ID', algorithm, pg_catalog.length(public_key)),
        DETAIL = 'Checkpoint keys are Ed25519 (32 bytes) or ECDSA P-256 (the 65-byte uncompressed point), as ledger.keys stores them.';
END
$$;
COMMENT ON FUNCTION ledger._note_key_id(pg_catalog.text, pg_catalog.text, pg_catalog.bytea) IS 'Internal: the 4-byte C2SP key ID of a key of ledger.keys under a key name';

CREATE FUNCTION ledger._note_verify(note pg_catalog.text, signature pg_catalog.bytea,
    algorithm pg_catalog.text, public_key pg_catalog.bytea) RETURNS pg_catalog.bool
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    -- C2SP type 0x02 signatures are ASN.1 DER, whatever form a key of ledger.keys was registered for
    SELECT ledger.verify_signature(CASE WHEN algorithm OPERATOR(pg_catalog.=) 'ed25519' THEN 'ed25519'
                                        ELSE 'ecdsa-p256' END,
                                   public_key, pg_catalog.convert_to(note, 'UTF8'), signature)
$$;
COMMENT ON FUNCTION ledger._note_verify(pg_catalog.text, pg_catalog.bytea, pg_catalog.text, pg_catalog.bytea) IS 'Internal: does signature verify over the UTF-8 note text (Ed25519, or ECDSA P-256 with SHA-256 and a DER signature)?';

CREATE FUNCTION ledger.verifier_key(key_name pg_catalog.text, key_id pg_catalog.text)
    RETURNS pg_catalog.text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    k record;
    raw pg_catalog.bytea;
BEGIN
    IF verifier_key.key_name OPERATOR(pg_catalog.!~) '^[^[:space:][:cntrl:]+]{1,255}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid key name "%s"', pg_catalog.left(verifier_key.key_name, 300)),
            DETAIL = 'A C2SP key name is 1 to 255 characters, with no spaces, control characters or "+".';
    END IF;
    SELECT k2.algorithm, k2.public_key INTO k FROM ledger.keys k2
     WHERE k2.key_id OPERATOR(pg_catalog.=) verifier_key.key_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'undefined_object',
            MESSAGE = pg_catalog.format('key "%s" does not exist', verifier_key.key_id);
    END IF;
    raw := CASE WHEN k.algorithm OPERATOR(pg_catalog.=) 'ed25519' THEN '\x01'::pg_catalog.bytea
                ELSE '\x023059301306072a8648ce3d020106082a8648ce3d030107034200'::pg_catalog.bytea END
           OPERATOR(pg_catalog.||) k.public_key;
    RETURN verifier_key.key_name OPERATOR(pg_catalog.||) '+'
        OPERATOR(pg_catalog.||) pg_catalog.encode(ledger._note_key_id(verifier_key.key_name, k.algorithm, k.public_key), 'hex')
        OPERATOR(pg_catalog.||) '+' OPERATOR(pg_catalog.||) pg_catalog.translate(pg_catalog.encode(raw, 'base64'), E'\n', '');
END
$$;
COMMENT ON FUNCTION ledger.verifier_key(pg_catalog.text, pg_catalog.text) IS 'The C2SP verifier key "<key name>+<key ID>+<base64(type || key)>" of a key of ledger.keys under a key name, for tools/ledger-audit checkpoint';

CREATE FUNCTION ledger.verify_note_signature(note pg_catalog.text, signature_line pg_catalog.text,
    key_id pg_catalog.text) RETURNS pg_catalog.bool
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    k record;
    p record;
    line pg_catalog.text := signature_line;
BEGIN
    IF pg_catalog.octet_length(note) OPERATOR(pg_catalog.>) 1048576 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'note text is too long',
            DETAIL = pg_catalog.format('The note text has %s bytes; at most 1048576 are checked.', pg_catalog.octet_length(note));
    END IF;
    IF note OPERATOR(pg_catalog.!~) '^[^[:cntrl:]]([^[:cntrl:]]|\n)*\n$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'malformed note text',
            DETAIL = 'A C2SP note text is non-empty, ends in a newline, and holds no control characters but newlines.';
    END IF;
    IF pg_catalog.right(line, 1) OPERATOR(pg_catalog.=) E'\n' THEN
        line := pg_catalog.left(line, -1);
    END IF;
    p := ledger._parse_signature_line(line);
    SELECT k2.algorithm, k2.public_key INTO k FROM ledger.keys k2
     WHERE k2.key_id OPERATOR(pg_catalog.=) verify_note_signature.key_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'undefined_object',
            MESSAGE = pg_catalog.format('key "%s" does not exist', verify_note_signature.key_id);
    END IF;
    RETURN p.key_hash OPERATOR(pg_catalog.=) ledger._note_key_id(p.key_name, k.algorithm, k.public_key)
       AND ledger._note_verify(note, p.signature, k.algorithm, k.public_key);
END
$$;
COMMENT ON FUNCTION ledger.verify_note_signature(pg_catalog.text, pg_catalog.text, pg_catalog.text) IS 'Does a C2SP signature line (key name, key ID, signature) verify over a note text with a key of ledger.keys? (Revocation and validity are not looked at.)';

-- ---------------------------------------------------------------------
-- This institution and its peers
-- ---------------------------------------------------------------------

CREATE FUNCTION ledger._require_superuser(what pg_catalog.text) RETURNS void
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT COALESCE((SELECT r.rolsuper FROM pg_catalog.pg_roles r
                      WHERE r.rolname OPERATOR(pg_catalog.=) CURRENT_USER), false) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = pg_catalog.format('must be superuser to %s', what),
            DETAIL = 'Which institutions and keys a database trusts for checkpoints is set by a superuser.';
    END IF;
END
$$;
COMMENT ON FUNCTION ledger._require_superuser(pg_catalog.text) IS 'Internal: 42501 unless the current user is a superuser';

-- A key of ledger.keys must be valid now to sign or be trusted.
CREATE FUNCTION ledger._require_key_valid(key_id pg_catalog.text, what pg_catalog.text) RETURNS void
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    k record;
BEGIN
    SELECT k2.revoked_at, k2.valid_from, k2.valid_until INTO k FROM ledger.keys k2
     WHERE k2.key_id OPERATOR(pg_catalog.=) _require_key_valid.key_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = pg_catalog.format('%s is not registered', what),
            HINT = 'Register the public key with ledger.add_key().';
    ELSIF k.revoked_at OPERATOR(pg_catalog.<=) pg_catalog.now() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = pg_catalog.format('%s is revoked', what),
            DETAIL = pg_catalog.format('It was revoked at %s.', k.revoked_at);
    ELSIF k.valid_until OPERATOR(pg_catalog.<=) pg_catalog.now() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = pg_catalog.format('%s has expired', what),
            DETAIL = pg_catalog.format('It was valid until %s.', k.valid_until);
    ELSIF k.valid_from OPERATOR(pg_catalog.>) pg_catalog.now() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = pg_catalog.format('%s is not yet valid', what),
            DETAIL = pg_catalog.format('It is valid from %s.', k.valid_from);
    END IF;
END
$$;
COMMENT ON FUNCTION ledger._require_key_valid(pg_catalog.text, pg_catalog.text) IS 'Internal: 23503 unless the key is registered, 23514 unless it is valid and not revoked now (what names the key in the message)';

CREATE FUNCTION ledger._institution() RETURNS ledger.institution
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me ledger.institution;
BEGIN
    SELECT * INTO me FROM ledger.institution;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = 'this institution has no name and no checkpoint key',
            HINT = 'A superuser sets them with ledger.set_institution(name, checkpoint_key_id).';
    END IF;
    RETURN me;
END
$$;
COMMENT ON FUNCTION ledger._institution() IS 'Internal: the row of ledger.institution; 55000 if ledger.set_institution() was not called';

CREATE FUNCTION ledger.set_institution(name pg_catalog.text, checkpoint_key_id pg_catalog.text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    k record;
    cur record;
    other pg_catalog.text;
BEGIN
    PERFORM ledger._require_superuser('set the institution');
    IF set_institution.name IS NULL OR set_institution.checkpoint_key_id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'name and checkpoint_key_id must not be null';
    END IF;
    IF set_institution.name OPERATOR(pg_catalog.!~) '^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid institution name "%s"', pg_catalog.left(set_institution.name, 300)),
            DETAIL = 'An institution name is 1 to 200 letters, digits, dots, hyphens and underscores, starting with a letter or digit: it begins the origin of every checkpoint it makes and the key name of every signature.';
    END IF;
    PERFORM ledger._require_key_valid(set_institution.checkpoint_key_id,
        pg_catalog.format('checkpoint key "%s"', set_institution.checkpoint_key_id));
    SELECT k2.algorithm, k2.public_key INTO k FROM ledger.keys k2
     WHERE k2.key_id OPERATOR(pg_catalog.=) set_institution.checkpoint_key_id;
    IF EXISTS (SELECT 1 FROM ledger.peers p WHERE p.institution OPERATOR(pg_catalog.=) set_institution.name) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('institution "%s" is registered as a peer', set_institution.name),
            HINT = 'Institution names must differ between peers.';
    END IF;
    SELECT p.institution INTO other FROM ledger.peers p
     WHERE p.public_key OPERATOR(pg_catalog.=) k.public_key LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('key "%s" is a checkpoint key of peer "%s"', set_institution.checkpoint_key_id, other),
            HINT = 'Each institution signs with a key of its own.';
    END IF;
    SELECT i.name INTO cur FROM ledger.institution i;
    IF FOUND AND cur.name OPERATOR(pg_catalog.<>) set_institution.name
       AND (EXISTS (SELECT 1 FROM ledger.checkpoints c WHERE c.institution OPERATOR(pg_catalog.=) cur.name)
            OR EXISTS (SELECT 1 FROM ledger.checkpoint_signatures s WHERE s.institution OPERATOR(pg_catalog.=) cur.name)) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('cannot rename institution "%s" to "%s"', cur.name, set_institution.name),
            DETAIL = 'Checkpoints and signatures stored here name it, and its peers know its keys by that name.',
            HINT = 'Change the checkpoint key under the same name.';
    END IF;
    INSERT INTO ledger.institution AS i (singleton, name, checkpoint_key_id)
    VALUES (true, set_institution.name, set_institution.checkpoint_key_id)
    ON CONFLICT (singleton) DO UPDATE
       SET name = EXCLUDED.name, checkpoint_key_id = EXCLUDED.checkpoint_key_id,
           set_at = pg_catalog.now(), set_by = CURRENT_USER;
END
$$;
COMMENT ON FUNCTION ledger.set_institution(pg_catalog.text, pg_catalog.text) IS 'Superuser: names this institution (the origin of its checkpoints) and the key of ledger.keys its checkpoint signatures are made with (the private key stays outside the database)';
REVOKE ALL ON FUNCTION ledger.set_institution(pg_catalog.text, pg_catalog.text) FROM PUBLIC;

CREATE FUNCTION ledger.add_peer(institution pg_catalog.text, key_id pg_catalog.text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    k record;
    other pg_catalog.text;
BEGIN
    PERFORM ledger._require_superuser('add a peer');
    IF add_peer.institution IS NULL OR add_peer.key_id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'institution and key_id must not be null';
    END IF;
    IF add_peer.institution OPERATOR(pg_catalog.!~) '^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('invalid institution name "%s"', pg_catalog.left(add_peer.institution, 300)),
            DETAIL = 'An institution name is 1 to 200 letters, digits, dots, hyphens and underscores, starting with a letter or digit.';
    END IF;
    IF EXISTS (SELECT 1 FROM ledger.institution i WHERE i.name OPERATOR(pg_catalog.=) add_peer.institution) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('institution "%s" is this institution', add_peer.institution),
            HINT = 'Register the other institutions as peers.';
    END IF;
    PERFORM ledger._require_key_valid(add_peer.key_id, pg_catalog.format('key "%s"', add_peer.key_id));
    SELECT k2.algorithm, k2.public_key INTO k FROM ledger.keys k2
     WHERE k2.key_id OPERATOR(pg_catalog.=) add_peer.key_id;
    IF EXISTS (SELECT 1 FROM ledger.institution i JOIN ledger.keys k3
                 ON k3.key_id OPERATOR(pg_catalog.=) i.checkpoint_key_id
                WHERE k3.public_key OPERATOR(pg_catalog.=) k.public_key) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('key "%s" is this institution''s checkpoint key', add_peer.key_id),
            HINT = 'Each institution signs with a key of its own.';
    END IF;
    SELECT p.institution INTO other FROM ledger.peers p
     WHERE p.public_key OPERATOR(pg_catalog.=) k.public_key
       AND (p.institution OPERATOR(pg_catalog.<>) add_peer.institution OR p.key_id OPERATOR(pg_catalog.=) add_peer.key_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'duplicate_object',
            MESSAGE = pg_catalog.format('key "%s" is registered for peer "%s" already', add_peer.key_id, other);
    END IF;
    IF EXISTS (SELECT 1 FROM ledger.peers p WHERE p.institution OPERATOR(pg_catalog.=) add_peer.institution
                  AND p.public_key OPERATOR(pg_catalog.=) k.public_key) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'duplicate_object',
            MESSAGE = pg_catalog.format('the key of "%s" is registered for peer "%s" already', add_peer.key_id, add_peer.institution);
    END IF;
    INSERT INTO ledger.peers (institution, key_id, algorithm, public_key)
    VALUES (add_peer.institution, add_peer.key_id, k.algorithm, k.public_key);
END
$$;
COMMENT ON FUNCTION ledger.add_peer(pg_catalog.text, pg_catalog.text) IS 'Superuser: trusts a key of ledger.keys (registered out of band) as a checkpoint key of another institution; its signatures and cosignatures are accepted from then on';
REVOKE ALL ON FUNCTION ledger.add_peer(pg_catalog.text, pg_catalog.text) FROM PUBLIC;

CREATE FUNCTION ledger.set_quorum(k pg_catalog.int4) RETURNS void
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    known pg_catalog.int8;
BEGIN
    PERFORM ledger._require_superuser('set the checkpoint quorum');
    PERFORM ledger._institution();
    IF k OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('quorum must be at least 1, not %s', k);
    END IF;
    UPDATE ledger.institution SET quorum = k;
    SELECT 1 OPERATOR(pg_catalog.+) pg_catalog.count(DISTINCT p.institution) INTO known FROM ledger.peers p;
    IF k OPERATOR(pg_catalog.>) known THEN
        RAISE WARNING 'quorum % is more than the % institutions known here', k, known
            USING HINT = 'No checkpoint reaches it until more peers are registered with ledger.add_peer().';
    END IF;
END
$$;
COMMENT ON FUNCTION ledger.set_quorum(pg_catalog.int4) IS 'Superuser: the number k of distinct known institutions (origin included) whose signatures make a checkpoint final here; NULL: a majority of the institutions known';
REVOKE ALL ON FUNCTION ledger.set_quorum(pg_catalog.int4) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Making checkpoints (the origin)
-- ---------------------------------------------------------------------

-- The ledger of a table argument: 42P01 for no relation, 22023 for not a ledger.
CREATE FUNCTION ledger._ledger_of(tbl pg_catalog.regclass, OUT ledger_id pg_catalog.int8,
    OUT ledger_uuid pg_catalog.uuid, OUT is_replica pg_catalog.bool)
    RETURNS record
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'undefined_table',
            MESSAGE = pg_catalog.format('relation with OID %s does not exist', tbl::pg_catalog.oid);
    END IF;
    SELECT l.ledger_id, l.ledger_uuid,
           EXISTS (SELECT 1 FROM ledger.replicas r WHERE r.ledger_id OPERATOR(pg_catalog.=) l.ledger_id)
      INTO ledger_id, ledger_uuid, is_replica
      FROM ledger.ledgers l WHERE l.relation OPERATOR(pg_catalog.=) tbl;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('table "%s" is not a ledger', tbl),
            HINT = 'Use ledger.create_ledger() to make it one.';
    END IF;
END
$$;
COMMENT ON FUNCTION ledger._ledger_of(pg_catalog.regclass) IS 'Internal: ledger id and uuid of a ledger table, and whether it is a replica';

-- Stores the checkpoint (unless it is there) and returns its note.  The
-- history a checkpoint was made of never goes back or changes.
CREATE FUNCTION ledger._make_checkpoint(ledger_id pg_catalog.int8, ledger_uuid pg_catalog.uuid,
    institution pg_catalog.text, tree_size pg_catalog.int8, root pg_catalog.bytea)
    RETURNS pg_catalog.text
    LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    note pg_catalog.text := ledger._checkpoint_text(_make_checkpoint.institution, _make_checkpoint.ledger_uuid,
                                                    _make_checkpoint.tree_size, _make_checkpoint.root);
    c record;
BEGIN
    SELECT c2.tree_size, c2.root, c2.note INTO c FROM ledger.checkpoints c2
     WHERE c2.ledger_id OPERATOR(pg_catalog.=) _make_checkpoint.ledger_id
       AND (c2.tree_size OPERATOR(pg_catalog.>) _make_checkpoint.tree_size
            OR (c2.tree_size OPERATOR(pg_catalog.=) _make_checkpoint.tree_size
                AND c2.root OPERATOR(pg_catalog.<>) _make_checkpoint.root))
     ORDER BY c2.tree_size DESC LIMIT 1;
    -- A newer checkpoint of this very history (a block that ends there with
    -- its root) was made by a concurrent call after this one read its
    -- digest: it is the newest checkpoint, not a history cut back.
    IF FOUND AND c.tree_size OPERATOR(pg_catalog.>) _make_checkpoint.tree_size
       AND EXISTS (SELECT 1 FROM ledger.blocks b
                    WHERE b.ledger_id OPERATOR(pg_catalog.=) _make_checkpoint.ledger_id
                      AND b.first_position OPERATOR(pg_catalog.+) b.tx_count OPERATOR(pg_catalog.=) c.tree_size
                      AND b.tree_root OPERATOR(pg_catalog.=) c.root) THEN
        RETURN c.note;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'data_corrupted',
            MESSAGE = pg_catalog.format('ledger %s has a checkpoint at history size %s that its history does not extend', _make_checkpoint.ledger_uuid, c.tree_size),
            DETAIL = pg_catalog.format('Its history is now at size %s%s.', _make_checkpoint.tree_size,
                         CASE WHEN c.tree_size OPERATOR(pg_catalog.=) _make_checkpoint.tree_size THEN ' with another root' ELSE '' END),
            HINT = 'The ledger''s history was cut back or rewritten after the checkpoint was made: check it with ledger.verify() against a digest or signed checkpoint kept outside.';
    END IF;
    INSERT INTO ledger.checkpoints AS c3 (ledger_id, tree_size, root, institution, note)
    VALUES (_make_checkpoint.ledger_id, _make_checkpoint.tree_size, _make_checkpoint.root,
            _make_checkpoint.institution, note)
    ON CONFLICT (ledger_id, tree_size, root) DO NOTHING;
    RETURN note;
END
$$;
COMMENT ON FUNCTION ledger._make_checkpoint(pg_catalog.int8, pg_catalog.uuid, pg_catalog.text, pg_catalog.int8, pg_catalog.bytea) IS 'Internal: stores a checkpoint of this institution''s ledger (once) and returns its note text';
REVOKE ALL ON FUNCTION ledger._make_checkpoint(pg_catalog.int8, pg_catalog.uuid, pg_catalog.text, pg_catalog.int8, pg_catalog.bytea) FROM PUBLIC;

CREATE FUNCTION ledger.checkpoint(tbl pg_catalog.regclass) RETURNS pg_catalog.text
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me ledger.institution;
    g record;
    d pg_catalog.jsonb;
BEGIN
    -- not STRICT: a NULL returned NULL and made no checkpoint, without a word
    IF tbl IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'tbl must not be null';
    END IF;
    me := ledger._institution();
    g := ledger._ledger_of(tbl);
    IF g.is_replica THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('cannot make a checkpoint of ledger "%s": it is a replica', tbl),
            DETAIL = 'A ledger''s checkpoints are made and signed by its origin; a peer cosigns them.',
            HINT = 'ledger.checkpoints_to_cosign() lists the checkpoints of replicas ready to cosign.';
    END IF;
    d := ledger.digest(tbl);
    -- a block sealed by 0.1.0: "tree_root": null (and a "tree_size" all the same)
    IF d OPERATOR(pg_catalog.->>) 'tree_root' IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('ledger "%s" has no block with a history tree yet', tbl),
            DETAIL = 'Its newest block was sealed by version 0.1.0.',
            HINT = 'The next block sealed has one: write a transaction, then make the checkpoint.';
    END IF;
    RETURN ledger._make_checkpoint(g.ledger_id, g.ledger_uuid, me.name,
        (d OPERATOR(pg_catalog.->>) 'tree_size')::pg_catalog.int8,
        pg_catalog.decode(d OPERATOR(pg_catalog.->>) 'tree_root', 'hex'));
END
$$;
COMMENT ON FUNCTION ledger.checkpoint(pg_catalog.regclass) IS 'Seals the ledger, stores a checkpoint of its newest history tree (this institution must own it) and returns the note text to sign';
REVOKE ALL ON FUNCTION ledger.checkpoint(pg_catalog.regclass) FROM PUBLIC;

-- For the background sealer (src/checkpoint.c): a checkpoint of every
-- ledger owned here whose history grew, once an interval.
-- put_off: ledgers whose checkpoint failed and whose next try is not due
-- yet (the background sealer keeps them, src/checkpoint.c); failed and
-- errors: the ledgers whose checkpoint failed now, and why.
CREATE FUNCTION ledger._make_due_checkpoints(interval_s pg_catalog.int4, put_off pg_catalog.int8[],
    OUT made pg_catalog.int4, OUT failed pg_catalog.int8[], OUT errors pg_catalog.text[])
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    me record;
    g record;
BEGIN
    made := 0;
    failed := '{}';
    errors := '{}';
    IF interval_s IS NULL THEN
        RETURN;
    END IF;
    SELECT i.name INTO me FROM ledger.institution i;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    FOR g IN
        SELECT l.ledger_id, l.ledger_uuid, h.tree_size, h.tree_root, l.relation
          FROM ledger.ledgers l
          JOIN LATERAL (SELECT b.first_position OPERATOR(pg_catalog.+) b.tx_count AS tree_size, b.tree_root
                          FROM ledger.blocks b WHERE b.ledger_id OPERATOR(pg_catalog.=) l.ledger_id
                         ORDER BY b.block_no DESC LIMIT 1) h ON true
         WHERE h.tree_root IS NOT NULL
           AND NOT l.ledger_id OPERATOR(pg_catalog.=) ANY (COALESCE(put_off, '{}'))
           AND NOT EXISTS (SELECT 1 FROM ledger.replicas r WHERE r.ledger_id OPERATOR(pg_catalog.=) l.ledger_id)
           -- two index probes, not one OR over every checkpoint of the
           -- ledger: this runs after each pass of the sealer, and a ledger
           -- gets a checkpoint every interval for good (a year of minutes:
           -- half a million rows, every one read at each pass until
           -- 2026-12-06)
           AND NOT EXISTS (SELECT 1 FROM ledger.checkpoints c
                            WHERE c.ledger_id OPERATOR(pg_catalog.=) l.ledger_id
                              AND c.tree_size OPERATOR(pg_catalog.>=) h.tree_size)
           -- and none made within the interval: "later" than now() is not
           -- within it (the clock was set back since, by NTP or an
           -- administrator: an hour's step held every scheduled checkpoint
           -- back for an hour until a review on 2026-12-06)
           AND NOT EXISTS (SELECT 1 FROM ledger.checkpoints c
                            WHERE c.ledger_id OPERATOR(pg_catalog.=) l.ledger_id
                              AND c.made_at OPERATOR(pg_catalog.>) (pg_catalog.now()
                                  OPERATOR(pg_catalog.-) pg_catalog.make_interval(secs => interval_s))
                              AND c.made_at OPERATOR(pg_catalog.<=) pg_catalog.now())
         ORDER BY l.ledger_id
    LOOP
        BEGIN
            PERFORM ledger._make_checkpoint(g.ledger_id, g.ledger_uuid, me.name, g.tree_size, g.tree_root);
            made := made OPERATOR(pg_catalog.+) 1;
        EXCEPTION WHEN OTHERS THEN
            -- one ledger's problem does not stop the others' checkpoints
            RAISE WARNING 'could not make a checkpoint of ledger "%": %', g.relation, SQLERRM
                USING DETAIL = 'The background sealer tries it again after a delay that doubles with each failure in a row, from a second up to a minute; ledger.sealing_status shows the error meanwhile.';
            failed := failed OPERATOR(pg_catalog.||) g.ledger_id;
            errors := errors OPERATOR(pg_catalog.||) SQLERRM;
        END;
    END LOOP;
END
$$;
COMMENT ON FUNCTION ledger._make_due_checkpoints(pg_catalog.int4, pg_catalog.int8[]) IS 'Internal: the background sealer''s checkpoints, of each ledger owned here whose history grew, at most one per interval_s seconds, but for the ledgers put off; the ledgers that failed, and why';
REVOKE ALL ON FUNCTION ledger._make_due_checkpoints(pg_catalog.int4, pg_catalog.int8[]) FROM PUBLIC;

CREATE FUNCTION ledger._make_due_checkpoints(interval_s pg_catalog.int4) RETURNS pg_catalog.int4
    LANGUAGE sql VOLATILE STRICT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$ SELECT d.made FROM ledger._make_due_checkpoints(interval_s, NULL) d $$;
COMMENT ON FUNCTION ledger._make_due_checkpoints(pg_catalog.int4) IS 'Internal: the background sealer''s checkpoints, of each ledger owned here whose history grew, at most one per interval_s seconds; returns how many were made';
REVOKE ALL ON FUNCTION ledger._make_due_checkpoints(pg_catalog.int4) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Equivocation
-- ---------------------------------------------------------------------

-- Keeps one piece of evidence (once) and reports it; returns 1 if it is new.
CREATE FUNCTION ledger._record_checkpoint_conflict(ledger_id pg_catalog.int8, tree_size pg_catalog.int8,
    kind pg_catalog.text, root pg_catalog.bytea, signed_note pg_catalog.text,
    other_root pg_catalog.bytea, other_note pg_catalog.text)
    RETURNS pg_catalog.int4
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    n pg_catalog.int8;
    what pg_catalog.text;
BEGIN
    INSERT INTO ledger.checkpoint_conflicts AS x (ledger_id, tree_size, kind, root, other_root, signed_note, other_note)
    VALUES (_record_checkpoint_conflict.ledger_id, _record_checkpoint_conflict.tree_size,
            _record_checkpoint_conflict.kind, _record_checkpoint_conflict.root,
            _record_checkpoint_conflict.other_root, _record_checkpoint_conflict.signed_note,
            _record_checkpoint_conflict.other_note)
    ON CONFLICT (ledger_id, tree_size, kind, root, other_root) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n OPERATOR(pg_catalog.=) 0 THEN
        RETURN 0;
    END IF;
    what := COALESCE((SELECT l.relation::pg_catalog.text FROM ledger.ledgers l
                       WHERE l.ledger_id OPERATOR(pg_catalog.=) _record_checkpoint_conflict.ledger_id),
                     pg_catalog.split_part(pg_catalog.split_part(_record_checkpoint_conflict.signed_note, E'\n', 1), '/ledger/', 2));
    IF _record_checkpoint_conflict.kind OPERATOR(pg_catalog.=) 'split view' THEN
        RAISE WARNING 'equivocation: two checkpoints of ledger "%" at history size % have different roots, both signed by its origin',
                what, _record_checkpoint_conflict.tree_size
            USING DETAIL = 'Both signed notes are kept in ledger.checkpoint_conflicts; this institution cosigns no checkpoint of the ledger until a superuser clears the conflict.',
                  HINT = 'Compare the notes with the origin and the other peers; clear the conflict with ledger.clear_checkpoint_conflicts() once it is resolved.';
    ELSE
        RAISE WARNING 'equivocation: the checkpoint of ledger "%" at history size % signed by its origin does not match the history held here',
                what, _record_checkpoint_conflict.tree_size
            USING DETAIL = 'The signed note and the root held here are kept in ledger.checkpoint_conflicts; this institution cosigns no checkpoint of the ledger until a superuser clears the conflict.',
                  HINT = 'Compare the note with the origin and the other peers; clear the conflict with ledger.clear_checkpoint_conflicts() once it is resolved.';
    END IF;
    RETURN 1;
END
$$;
COMMENT ON FUNCTION ledger._record_checkpoint_conflict(pg_catalog.int8, pg_catalog.int8, pg_catalog.text, pg_catalog.bytea, pg_catalog.text, pg_catalog.bytea, pg_catalog.text) IS 'Internal: keeps evidence of equivocation in ledger.checkpoint_conflicts (once) with a WARNING';
REVOKE ALL ON FUNCTION ledger._record_checkpoint_conflict(pg_catalog.int8, pg_catalog.int8, pg_catalog.text, pg_catalog.bytea, pg_catalog.text, pg_catalog.bytea, pg_catalog.text) FROM PUBLIC;

-- A checkpoint signed by its origin (signed_note: note, blank line, the
-- origin's signature line) against the origin's other signed checkpoints
-- of that size and the history held here.  Returns the conflicts found.
CREATE FUNCTION ledger._check_origin_signature(ledger_id pg_catalog.int8, tree_size pg_catalog.int8,
    root pg_catalog.bytea, origin pg_catalog.text, signed_note pg_catalog.text)
    RETURNS pg_catalog.int4
    LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    o record;
    held pg_catalog.bytea;
    n pg_catalog.int4 := 0;
BEGIN
    FOR o IN SELECT s.root, s.note OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) s.signature
                        OPERATOR(pg_catalog.||) E'\n' AS signed_note
               FROM ledger.checkpoint_signatures s
              WHERE s.ledger_id OPERATOR(pg_catalog.=) _check_origin_signature.ledger_id
                AND s.tree_size OPERATOR(pg_catalog.=) _check_origin_signature.tree_size
                AND s.root OPERATOR(pg_catalog.<>) _check_origin_signature.root
                AND s.institution OPERATOR(pg_catalog.=) _check_origin_signature.origin
                AND pg_catalog.split_part(s.note, E'\n', 1) OPERATOR(pg_catalog.=)
                    pg_catalog.split_part(_check_origin_signature.signed_note, E'\n', 1)
              ORDER BY s.root
    LOOP
        -- one row per pair of roots, the smaller first
        IF _check_origin_signature.root OPERATOR(pg_catalog.<) o.root THEN
            n := n OPERATOR(pg_catalog.+) ledger._record_checkpoint_conflict(
                _check_origin_signature.ledger_id, _check_origin_signature.tree_size, 'split view',
                _check_origin_signature.root, _check_origin_signature.signed_note, o.root, o.signed_note);
        ELSE
            n := n OPERATOR(pg_catalog.+) ledger._record_checkpoint_conflict(
                _check_origin_signature.ledger_id, _check_origin_signature.tree_size, 'split view',
                o.root, o.signed_note, _check_origin_signature.root, _check_origin_signature.signed_note);
        END IF;
    END LOOP;
    IF EXISTS (SELECT 1 FROM ledger.ledgers l WHERE l.ledger_id OPERATOR(pg_catalog.=) _check_origin_signature.ledger_id) THEN
        held := ledger._history_root_at(_check_origin_signature.ledger_id, _check_origin_signature.tree_size);
        IF held OPERATOR(pg_catalog.<>) _check_origin_signature.root THEN
            n := n OPERATOR(pg_catalog.+) ledger._record_checkpoint_conflict(
                _check_origin_signature.ledger_id, _check_origin_signature.tree_size, 'history mismatch',
                _check_origin_signature.root, _check_origin_signature.signed_note, held, NULL);
        END IF;
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION ledger._check_origin_signature(pg_catalog.int8, pg_catalog.int8, pg_catalog.bytea, pg_catalog.text, pg_catalog.text) IS 'Internal: keeps as evidence a checkpoint signed by its origin whose root differs from another one of that size signed by the origin, or from the history held here';
REVOKE ALL ON FUNCTION ledger._check_origin_signature(pg_catalog.int8, pg_catalog.int8, pg_catalog.bytea, pg_catalog.text, pg_catalog.text) FROM PUBLIC;

CREATE FUNCTION ledger.clear_checkpoint_conflicts(tbl pg_catalog.regclass, reason pg_catalog.text)
    RETURNS pg_catalog.int8
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    g record;
    n pg_catalog.int8;
BEGIN
    PERFORM ledger._require_superuser('clear checkpoint conflicts');
    IF tbl IS NULL OR reason IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'tbl and reason must not be null';
    END IF;
    IF pg_catalog.btrim(reason) OPERATOR(pg_catalog.=) '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = 'reason must not be empty',
            HINT = 'Say why the evidence no longer stops cosigning: it stays in ledger.checkpoint_conflicts with the reason.';
    END IF;
    g := ledger._ledger_of(tbl);
    UPDATE ledger.checkpoint_conflicts x
       SET cleared_at = pg_catalog.now(), cleared_by = CURRENT_USER, clear_reason = reason
     WHERE x.ledger_id OPERATOR(pg_catalog.=) g.ledger_id AND x.cleared_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION ledger.clear_checkpoint_conflicts(pg_catalog.regclass, pg_catalog.text) IS 'Superuser: marks the equivocation evidence of a ledger as cleared (it is kept), so that this institution cosigns its checkpoints again; returns the conflicts cleared';
REVOKE ALL ON FUNCTION ledger.clear_checkpoint_conflicts(pg_catalog.regclass, pg_catalog.text) FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Signing and cosigning
-- ---------------------------------------------------------------------

CREATE FUNCTION ledger.signed_checkpoint(tbl pg_catalog.regclass, tree_size pg_catalog.int8 DEFAULT NULL)
    RETURNS pg_catalog.text
    LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    g record;
    c record;
    n pg_catalog.int8;
    size pg_catalog.int8 := signed_checkpoint.tree_size;
    sigs pg_catalog.text;
BEGIN
    IF tbl IS NULL THEN
        RETURN NULL;
    END IF;
    g := ledger._ledger_of(tbl);
    IF size IS NULL THEN
        SELECT c2.tree_size INTO size FROM ledger.checkpoints c2
         WHERE c2.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
           AND EXISTS (SELECT 1 FROM ledger.checkpoint_signatures s
                        WHERE s.ledger_id OPERATOR(pg_catalog.=) c2.ledger_id
                          AND s.tree_size OPERATOR(pg_catalog.=) c2.tree_size
                          AND s.root OPERATOR(pg_catalog.=) c2.root
                          AND s.note OPERATOR(pg_catalog.=) c2.note
                          AND s.institution OPERATOR(pg_catalog.=) c2.institution)
         ORDER BY c2.tree_size DESC LIMIT 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING
                ERRCODE = 'object_not_in_prerequisite_state',
                MESSAGE = pg_catalog.format('ledger "%s" has no checkpoint signed by its origin', tbl);
        END IF;
    ELSIF size OPERATOR(pg_catalog.<) 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('history size %s is out of range', size);
    END IF;
    SELECT pg_catalog.count(*) INTO n FROM ledger.checkpoints c2
     WHERE c2.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
       AND c2.tree_size OPERATOR(pg_catalog.=) size;
    IF n OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('ledger "%s" has no checkpoint at history size %s', tbl, size);
    ELSIF n OPERATOR(pg_catalog.>) 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('ledger "%s" has %s checkpoints with different roots at history size %s',
                                        tbl, n, size),
            HINT = 'That is equivocation; the signed notes are in ledger.checkpoint_conflicts.';
    END IF;
    SELECT c2.tree_size, c2.root, c2.institution, c2.note INTO c FROM ledger.checkpoints c2
     WHERE c2.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
       AND c2.tree_size OPERATOR(pg_catalog.=) size;
    SELECT pg_catalog.string_agg(s.signature OPERATOR(pg_catalog.||) E'\n', ''
               ORDER BY s.institution OPERATOR(pg_catalog.<>) c.institution, s.institution)
      INTO sigs FROM ledger.checkpoint_signatures s
     WHERE s.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
       AND s.tree_size OPERATOR(pg_catalog.=) c.tree_size
       AND s.root OPERATOR(pg_catalog.=) c.root
       AND s.note OPERATOR(pg_catalog.=) c.note;
    IF sigs IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('the checkpoint of ledger "%s" at history size %s is not signed yet', tbl, c.tree_size),
            HINT = 'Sign the note ledger.checkpoint() returned and store the signature with ledger.add_checkpoint_signature().';
    END IF;
    RETURN c.note OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) sigs;
END
$$;
COMMENT ON FUNCTION ledger.signed_checkpoint(pg_catalog.regclass, pg_catalog.int8) IS 'The C2SP signed note of a ledger''s checkpoint at tree_size (default: the newest one signed by its origin), with every signature stored here, the origin''s first; for tools/ledger-audit checkpoint';

CREATE FUNCTION ledger.add_checkpoint_signature(tbl pg_catalog.regclass, tree_size pg_catalog.int8,
    signature_line pg_catalog.text) RETURNS pg_catalog.text
    LANGUAGE plpgsql VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    me ledger.institution;
    g record;
    c record;
    n pg_catalog.int8;
    line pg_catalog.text := signature_line;
    p record;
    k record;
    want pg_catalog.text;
    held pg_catalog.bytea;
    last pg_catalog.int8;
BEGIN
    IF tbl IS NULL OR add_checkpoint_signature.tree_size IS NULL OR signature_line IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'tbl, tree_size and signature_line must not be null';
    END IF;
    IF pg_catalog.right(line, 1) OPERATOR(pg_catalog.=) E'\n' THEN
        line := pg_catalog.left(line, -1);
    END IF;
    p := ledger._parse_signature_line(line);
    -- one signer at a time: the sizes this institution signed only grow
    SELECT * INTO me FROM ledger.institution FOR UPDATE;
    IF NOT FOUND THEN
        me := ledger._institution();
    END IF;
    g := ledger._ledger_of(tbl);
    SELECT pg_catalog.count(*) INTO n FROM ledger.checkpoints c2
     WHERE c2.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
       AND c2.tree_size OPERATOR(pg_catalog.=) add_checkpoint_signature.tree_size;
    IF n OPERATOR(pg_catalog.=) 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('ledger "%s" has no checkpoint at history size %s', tbl, add_checkpoint_signature.tree_size),
            HINT = CASE WHEN g.is_replica
                        THEN 'A replica''s checkpoints arrive from its origin; ledger.checkpoints_to_cosign() lists those ready to cosign.'
                        ELSE 'Make one with ledger.checkpoint() and sign the note text it returns.' END;
    ELSIF n OPERATOR(pg_catalog.>) 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('ledger "%s" has %s checkpoints with different roots at history size %s',
                                        tbl, n, add_checkpoint_signature.tree_size),
            HINT = 'That is equivocation: see ledger.checkpoint_conflicts.';
    END IF;
    SELECT c2.root, c2.institution, c2.note INTO c FROM ledger.checkpoints c2
     WHERE c2.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
       AND c2.tree_size OPERATOR(pg_catalog.=) add_checkpoint_signature.tree_size;
    IF EXISTS (SELECT 1 FROM ledger.checkpoint_conflicts x
                WHERE x.ledger_id OPERATOR(pg_catalog.=) g.ledger_id AND x.cleared_at IS NULL) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('checkpoints of ledger "%s" are not signed here: its origin equivocated', tbl),
            DETAIL = 'The evidence is in ledger.checkpoint_conflicts.',
            HINT = 'A superuser clears it with ledger.clear_checkpoint_conflicts() once it is resolved.';
    END IF;

    -- the key name says who signs: the origin as the checkpoint's origin
    -- line, a cosigner as "<institution>/ledger"
    IF g.is_replica THEN
        want := me.name OPERATOR(pg_catalog.||) '/ledger';
    ELSE
        IF c.institution OPERATOR(pg_catalog.<>) me.name THEN
            RAISE EXCEPTION USING
                ERRCODE = 'object_not_in_prerequisite_state',
                MESSAGE = pg_catalog.format('the checkpoint of ledger "%s" at history size %s names institution "%s", not this institution "%s"',
                                            tbl, add_checkpoint_signature.tree_size, c.institution, me.name);
        END IF;
        want := pg_catalog.split_part(c.note, E'\n', 1);
    END IF;
    IF p.key_name OPERATOR(pg_catalog.<>) want THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('the signature line is by key name "%s", not "%s"', p.key_name, want),
            DETAIL = CASE WHEN g.is_replica
                          THEN 'An institution cosigns other institutions'' checkpoints with the key name "<institution>/ledger".'
                          ELSE 'An institution signs its own checkpoints with the key name that is the checkpoint''s origin line.' END;
    END IF;
    SELECT k2.key_id, k2.algorithm, k2.public_key INTO k FROM ledger.keys k2
     WHERE k2.key_id OPERATOR(pg_catalog.=) me.checkpoint_key_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = pg_catalog.format('checkpoint key "%s" is not registered', me.checkpoint_key_id);
    END IF;
    IF p.key_hash OPERATOR(pg_catalog.<>) ledger._note_key_id(want, k.algorithm, k.public_key) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = pg_catalog.format('the signature line''s key ID %s is not that of checkpoint key "%s"',
                                        pg_catalog.encode(p.key_hash, 'hex'), k.key_id),
            DETAIL = pg_catalog.format('Key "%s" (%s) has key ID %s under key name "%s"; the line was made with another key, or its key ID was changed.',
                                       k.key_id, k.algorithm, pg_catalog.encode(ledger._note_key_id(want, k.algorithm, k.public_key), 'hex'), want),
            HINT = 'Sign with the private key of this institution''s checkpoint key (ledger.set_institution()).';
    END IF;
    PERFORM ledger._require_key_valid(k.key_id, pg_catalog.format('checkpoint key "%s"', k.key_id));
    IF NOT ledger._note_verify(c.note, p.signature, k.algorithm, k.public_key) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = pg_catalog.format('signature by checkpoint key "%s" of ledger "%s" at history size %s does not verify',
                                        k.key_id, tbl, add_checkpoint_signature.tree_size),
            DETAIL = pg_catalog.format('The signature is not an %s signature of the checkpoint''s note text under key "%s": the note, the key or the signature differs from what was signed.', k.algorithm, k.key_id),
            HINT = 'Sign the exact note text, with its final newline, that ledger.checkpoint() or ledger.checkpoints_to_cosign() returned.',
            SCHEMA = 'ledger', TABLE = 'checkpoint_signatures', CONSTRAINT = 'checkpoint_signatures_signature';
    END IF;

    -- what is signed is the history held here
    held := ledger._history_root_at(g.ledger_id, add_checkpoint_signature.tree_size);
    IF g.is_replica THEN
        IF NOT EXISTS (SELECT 1 FROM ledger.checkpoint_signatures s
                        WHERE s.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
                          AND s.tree_size OPERATOR(pg_catalog.=) add_checkpoint_signature.tree_size
                          AND s.root OPERATOR(pg_catalog.=) c.root
                          AND s.note OPERATOR(pg_catalog.=) c.note
                          AND s.institution OPERATOR(pg_catalog.=) c.institution) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'object_not_in_prerequisite_state',
                MESSAGE = pg_catalog.format('the checkpoint of ledger "%s" at history size %s is not signed by its origin "%s"',
                                            tbl, add_checkpoint_signature.tree_size, c.institution),
                HINT = 'Cosign a checkpoint after its origin''s signature has arrived; ledger.checkpoints_to_cosign() lists those.';
        END IF;
        IF held IS NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'object_not_in_prerequisite_state',
                MESSAGE = pg_catalog.format('the replica of ledger "%s" does not reach history size %s yet', tbl, add_checkpoint_signature.tree_size),
                HINT = 'Cosign once the blocks have arrived.';
        END IF;
    END IF;
    IF held IS DISTINCT FROM c.root THEN
        RAISE EXCEPTION USING
            ERRCODE = 'data_corrupted',
            MESSAGE = pg_catalog.format('the checkpoint of ledger "%s" at history size %s does not match the history held here',
                                        tbl, add_checkpoint_signature.tree_size),
            DETAIL = 'Its root differs from the root of the ledger''s history tree here at that size.',
            HINT = CASE WHEN g.is_replica
                        THEN 'ledger.checkpoints_to_cosign() keeps a checkpoint its origin signed with such a root as evidence in ledger.checkpoint_conflicts.'
                        ELSE 'The checkpoint was not made from this ledger''s history: check the ledger with ledger.verify().' END;
    END IF;
    SELECT pg_catalog.max(s.tree_size) INTO last FROM ledger.checkpoint_signatures s
     WHERE s.ledger_id OPERATOR(pg_catalog.=) g.ledger_id AND s.institution OPERATOR(pg_catalog.=) me.name;
    IF last OPERATOR(pg_catalog.>) add_checkpoint_signature.tree_size THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = pg_catalog.format('cannot sign history size %s of ledger "%s": this institution signed size %s already',
                                        add_checkpoint_signature.tree_size, tbl, last),
            DETAIL = 'The history sizes an institution signs never go back: a smaller one signed later would let a rolled-back history pass.',
            HINT = 'Sign the newest checkpoint; older ones are implied by it.';
    END IF;
    IF EXISTS (SELECT 1 FROM ledger.checkpoint_signatures s
                WHERE s.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
                  AND s.tree_size OPERATOR(pg_catalog.=) add_checkpoint_signature.tree_size
                  AND s.institution OPERATOR(pg_catalog.=) me.name) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'unique_violation',
            MESSAGE = pg_catalog.format('the checkpoint of ledger "%s" at history size %s is signed by this institution already',
                                        tbl, add_checkpoint_signature.tree_size),
            SCHEMA = 'ledger', TABLE = 'checkpoint_signatures', CONSTRAINT = 'checkpoint_signatures_pkey';
    END IF;
    INSERT INTO ledger.checkpoint_signatures (ledger_id, tree_size, root, institution, note, signature, signed_here)
    VALUES (g.ledger_id, add_checkpoint_signature.tree_size, c.root, me.name, c.note, line, true);
    RETURN ledger.signed_checkpoint(tbl, add_checkpoint_signature.tree_size);
END
$$;
COMMENT ON FUNCTION ledger.add_checkpoint_signature(pg_catalog.regclass, pg_catalog.int8, pg_catalog.text) IS 'Stores this institution''s signature (C2SP signature line, made outside the database) of a checkpoint: of its own ledger as the origin, or as a cosigner of a replica whose history has the same root at that size; returns the signed note';
REVOKE ALL ON FUNCTION ledger.add_checkpoint_signature(pg_catalog.regclass, pg_catalog.int8, pg_catalog.text) FROM PUBLIC;

CREATE FUNCTION ledger.checkpoints_to_cosign(OUT ledger pg_catalog.regclass, OUT tree_size pg_catalog.int8,
    OUT note pg_catalog.text)
    RETURNS SETOF record
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    me ledger.institution := ledger._institution();
    r record;
BEGIN
    -- first, what the replicas held now contradict (a signed root that
    -- arrived before the blocks of its size did is only checked now)
    FOR r IN
        SELECT c.ledger_id, c.tree_size, c.root, c.institution,
               c.note OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) s.signature OPERATOR(pg_catalog.||) E'\n' AS signed_note
          FROM ledger.checkpoints c
          JOIN ledger.replicas rp ON rp.ledger_id OPERATOR(pg_catalog.=) c.ledger_id
          JOIN ledger.checkpoint_signatures s
            ON s.ledger_id OPERATOR(pg_catalog.=) c.ledger_id AND s.tree_size OPERATOR(pg_catalog.=) c.tree_size
           AND s.root OPERATOR(pg_catalog.=) c.root AND s.institution OPERATOR(pg_catalog.=) c.institution
           AND s.note OPERATOR(pg_catalog.=) c.note
         WHERE c.tree_size OPERATOR(pg_catalog.>=) COALESCE(
                   (SELECT pg_catalog.max(m.tree_size) FROM ledger.checkpoint_signatures m
                     WHERE m.ledger_id OPERATOR(pg_catalog.=) c.ledger_id
                       AND m.institution OPERATOR(pg_catalog.=) me.name), 0)
         ORDER BY c.ledger_id, c.tree_size, c.root
    LOOP
        PERFORM ledger._check_origin_signature(r.ledger_id, r.tree_size, r.root, r.institution, r.signed_note);
    END LOOP;
    RETURN QUERY
        SELECT l.relation, c.tree_size, c.note
          FROM ledger.checkpoints c
          JOIN ledger.replicas rp ON rp.ledger_id OPERATOR(pg_catalog.=) c.ledger_id
          JOIN ledger.ledgers l ON l.ledger_id OPERATOR(pg_catalog.=) c.ledger_id
         WHERE NOT EXISTS (SELECT 1 FROM ledger.checkpoint_conflicts x
                            WHERE x.ledger_id OPERATOR(pg_catalog.=) c.ledger_id AND x.cleared_at IS NULL)
           AND EXISTS (SELECT 1 FROM ledger.checkpoint_signatures s
                        WHERE s.ledger_id OPERATOR(pg_catalog.=) c.ledger_id AND s.tree_size OPERATOR(pg_catalog.=) c.tree_size
                          AND s.root OPERATOR(pg_catalog.=) c.root AND s.institution OPERATOR(pg_catalog.=) c.institution
                          AND s.note OPERATOR(pg_catalog.=) c.note)
           AND NOT EXISTS (SELECT 1 FROM ledger.checkpoint_signatures m
                            WHERE m.ledger_id OPERATOR(pg_catalog.=) c.ledger_id
                              AND m.institution OPERATOR(pg_catalog.=) me.name
                              AND m.tree_size OPERATOR(pg_catalog.>=) c.tree_size)
           AND NOT EXISTS (SELECT 1 FROM ledger.checkpoints o
                            WHERE o.ledger_id OPERATOR(pg_catalog.=) c.ledger_id AND o.tree_size OPERATOR(pg_catalog.=) c.tree_size
                              AND o.root OPERATOR(pg_catalog.<>) c.root)
           AND c.institution OPERATOR(pg_catalog.<>) me.name
           AND ledger._history_root_at(c.ledger_id, c.tree_size) OPERATOR(pg_catalog.=) c.root
         ORDER BY l.relation::pg_catalog.text, c.tree_size;
END
$$;
COMMENT ON FUNCTION ledger.checkpoints_to_cosign() IS 'Checkpoints of replicas held here that their origin signed, that the replica''s history tree confirms (same root at that size), no smaller than the last one this institution cosigned and not cosigned by it yet; keeps any that contradict the replica as evidence first';
REVOKE ALL ON FUNCTION ledger.checkpoints_to_cosign() FROM PUBLIC;

-- ---------------------------------------------------------------------
-- Guards: append-only, and what arrives from a subscription
-- ---------------------------------------------------------------------

-- The institution a ledger's checkpoints name as origin, as this database
-- knows it: for a ledger owned here, this institution (only for a row that
-- arrives: a restore loads these tables before the ledgers and the
-- institution); else the institution its checkpoints held here name (they
-- all name one) or, for a replica, that the checkpoints of the other
-- ledgers replicated through the same subscription name; NULL if unknown.
CREATE FUNCTION ledger._checkpoint_origin(ledger_id pg_catalog.int8, arriving pg_catalog.bool)
    RETURNS pg_catalog.text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    o pg_catalog.text;
BEGIN
    IF arriving
       AND EXISTS (SELECT 1 FROM ledger.ledgers l WHERE l.ledger_id OPERATOR(pg_catalog.=) _checkpoint_origin.ledger_id)
       AND NOT EXISTS (SELECT 1 FROM ledger.replicas r WHERE r.ledger_id OPERATOR(pg_catalog.=) _checkpoint_origin.ledger_id) THEN
        RETURN (SELECT i.name FROM ledger.institution i);
    END IF;
    SELECT c.institution INTO o FROM ledger.checkpoints c
     WHERE c.ledger_id OPERATOR(pg_catalog.=) _checkpoint_origin.ledger_id
     LIMIT 1;
    IF FOUND OR NOT arriving THEN
        RETURN o;
    END IF;
    SELECT c.institution INTO o
      FROM ledger.replicas r
      JOIN ledger.replicas r2 ON r2.subscription OPERATOR(pg_catalog.=) r.subscription
      JOIN ledger.checkpoints c ON c.ledger_id OPERATOR(pg_catalog.=) r2.ledger_id
     WHERE r.ledger_id OPERATOR(pg_catalog.=) _checkpoint_origin.ledger_id
     LIMIT 1;
    RETURN o;
END
$$;
COMMENT ON FUNCTION ledger._checkpoint_origin(pg_catalog.int8, pg_catalog.bool) IS 'Internal: the origin institution of a ledger''s checkpoints as known here (this institution for its own ledgers when arriving is true, else the institution its checkpoints held here name, or those of the other ledgers of its subscription), NULL if unknown';
REVOKE ALL ON FUNCTION ledger._checkpoint_origin(pg_catalog.int8, pg_catalog.bool) FROM PUBLIC;

CREATE FUNCTION ledger._checkpoints_guard() RETURNS trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sub pg_catalog.text;
    n record;
    g record;
    origin pg_catalog.text;
    me pg_catalog.text;
BEGIN
    IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'integrity_constraint_violation',
            MESSAGE = pg_catalog.format('cannot %s table "ledger.checkpoints"',
                                        CASE TG_OP WHEN 'TRUNCATE' THEN 'truncate' WHEN 'DELETE' THEN 'delete from' ELSE 'update' END),
            DETAIL = 'Checkpoints are what institutions sign of a ledger''s history: they are kept as made.',
            SCHEMA = 'ledger', TABLE = 'checkpoints', CONSTRAINT = 'checkpoints_append_only';
    END IF;
    -- always (needs no other table, so a restore passes): the note is the row's
    n := ledger._parse_note(NEW.note);
    IF ledger._ledger_id_of(n.ledger_uuid) OPERATOR(pg_catalog.<>) NEW.ledger_id
       OR n.tree_size OPERATOR(pg_catalog.<>) NEW.tree_size OR n.root OPERATOR(pg_catalog.<>) NEW.root
       OR n.institution OPERATOR(pg_catalog.<>) NEW.institution THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = pg_catalog.format('the note of a checkpoint at history size %s is not that of its ledger, size, root and institution', NEW.tree_size),
            SCHEMA = 'ledger', TABLE = 'checkpoints', CONSTRAINT = 'checkpoints_note';
    END IF;
    sub := ledger._applying();
    IF sub IS NULL THEN
        -- made here by ledger.checkpoint(), which checked it, or restored:
        -- every checkpoint of a ledger names one origin
        origin := ledger._checkpoint_origin(NEW.ledger_id, false);
        IF origin OPERATOR(pg_catalog.<>) NEW.institution THEN
            RAISE EXCEPTION USING
                ERRCODE = 'check_violation',
                MESSAGE = pg_catalog.format('a checkpoint of ledger %s naming institution "%s" is not one of its origin "%s"',
                                            n.ledger_uuid, NEW.institution, origin),
                DETAIL = 'The checkpoints of a ledger held here name its origin institution.',
                SCHEMA = 'ledger', TABLE = 'checkpoints', CONSTRAINT = 'checkpoints_origin';
        END IF;
        RETURN NEW;
    END IF;
    -- arriving: a checkpoint of a ledger replicated through this subscription
    SELECT l.relation, r.subscription INTO g
      FROM ledger.ledgers l JOIN ledger.replicas r ON r.ledger_id OPERATOR(pg_catalog.=) l.ledger_id
     WHERE l.ledger_id OPERATOR(pg_catalog.=) NEW.ledger_id;
    IF NOT FOUND OR g.subscription IS DISTINCT FROM sub THEN
        RAISE EXCEPTION USING
            ERRCODE = 'integrity_constraint_violation',
            MESSAGE = pg_catalog.format('subscription "%s" sent a checkpoint of ledger %s, which is not a replica for it',
                                        sub, COALESCE(g.relation::pg_catalog.text, n.ledger_uuid::pg_catalog.text)),
            DETAIL = 'A ledger''s checkpoints arrive from its origin, through the subscription that replicates the ledger.',
            HINT = 'A ledger added to the origin''s publication must be set up here first: call ledger.resync_subscription().';
    END IF;
    -- by the ledger's origin: the institution its checkpoints (and those of
    -- the other ledgers of this subscription) held here name, else a peer
    -- registered here; never this institution
    origin := ledger._checkpoint_origin(NEW.ledger_id, true);
    SELECT i.name INTO me FROM ledger.institution i;
    IF NEW.institution OPERATOR(pg_catalog.=) me
       OR NEW.institution OPERATOR(pg_catalog.<>) origin
       OR (origin IS NULL AND NOT EXISTS (SELECT 1 FROM ledger.peers p
                                            WHERE p.institution OPERATOR(pg_catalog.=) NEW.institution)) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = pg_catalog.format('subscription "%s" sent a checkpoint of ledger %s naming institution "%s", which is not its origin',
                                        sub, g.relation, NEW.institution),
            DETAIL = CASE WHEN NEW.institution OPERATOR(pg_catalog.=) me THEN 'That is this institution, which does not own the ledger.'
                          WHEN origin IS NOT NULL THEN pg_catalog.format('The checkpoints held here of the ledgers of this subscription name institution "%s".', origin)
                          ELSE 'No peer of that name is registered here with ledger.add_peer().' END,
            SCHEMA = 'ledger', TABLE = 'checkpoints', CONSTRAINT = 'checkpoints_origin';
    END IF;
    IF EXISTS (SELECT 1 FROM ledger.checkpoints c
                WHERE c.ledger_id OPERATOR(pg_catalog.=) NEW.ledger_id
                  AND c.tree_size OPERATOR(pg_catalog.=) NEW.tree_size
                  AND c.root OPERATOR(pg_catalog.=) NEW.root) THEN
        RETURN NULL;			-- held already (a resync)
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ledger._checkpoints_guard() IS 'Internal: trigger of ledger.checkpoints: append-only, each note that of its row; what arrives from a subscription must be a checkpoint of a replica of that subscription';

CREATE TRIGGER checkpoints_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.checkpoints
    FOR EACH ROW EXECUTE FUNCTION ledger._checkpoints_guard();
CREATE TRIGGER checkpoints_guard_truncate BEFORE TRUNCATE ON ledger.checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION ledger._checkpoints_guard();
ALTER TABLE ledger.checkpoints ENABLE ALWAYS TRIGGER checkpoints_guard,
    ENABLE ALWAYS TRIGGER checkpoints_guard_truncate;

CREATE FUNCTION ledger._checkpoint_signatures_guard() RETURNS trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sub pg_catalog.text;
    n record;
    p record;
    signer pg_catalog.text;
    me pg_catalog.text;
    k record;
    origin pg_catalog.text;
    rsub pg_catalog.name;
BEGIN
    IF TG_OP OPERATOR(pg_catalog.<>) 'INSERT' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'integrity_constraint_violation',
            MESSAGE = pg_catalog.format('cannot %s table "ledger.checkpoint_signatures"',
                                        CASE TG_OP WHEN 'TRUNCATE' THEN 'truncate' WHEN 'DELETE' THEN 'delete from' ELSE 'update' END),
            DETAIL = 'Checkpoint signatures are signed evidence: they are kept as made.',
            SCHEMA = 'ledger', TABLE = 'checkpoint_signatures', CONSTRAINT = 'checkpoint_signatures_append_only';
    END IF;
    -- always (needs no other table, so a restore passes): the note is the
    -- row's checkpoint, the key name its signer's
    n := ledger._parse_note(NEW.note);
    IF ledger._ledger_id_of(n.ledger_uuid) OPERATOR(pg_catalog.<>) NEW.ledger_id
       OR n.tree_size OPERATOR(pg_catalog.<>) NEW.tree_size OR n.root OPERATOR(pg_catalog.<>) NEW.root THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = pg_catalog.format('the note of a checkpoint signature at history size %s is not that of its ledger, size and root', NEW.tree_size),
            SCHEMA = 'ledger', TABLE = 'checkpoint_signatures', CONSTRAINT = 'checkpoint_signatures_note';
    END IF;
    p := ledger._parse_signature_line(NEW.signature);
    signer := CASE WHEN p.key_name OPERATOR(pg_catalog.=) pg_catalog.split_part(NEW.note, E'\n', 1) THEN n.institution
                   WHEN p.key_name OPERATOR(pg_catalog.~) '^[A-Za-z0-9][A-Za-z0-9._-]{0,199}/ledger$'
                   THEN pg_catalog.left(p.key_name, -7) END;
    IF signer IS DISTINCT FROM NEW.institution THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = pg_catalog.format('a checkpoint signature by key name "%s" is not one of institution "%s"',
                                        p.key_name, NEW.institution),
            DETAIL = 'An institution signs its own checkpoints with the checkpoint''s origin line as key name, and cosigns with "<institution>/ledger".',
            SCHEMA = 'ledger', TABLE = 'checkpoint_signatures', CONSTRAINT = 'checkpoint_signatures_signature';
    END IF;
    sub := ledger._applying();
    -- what is signed is the checkpoint's exact text, whose first line names
    -- the ledger's origin: known here for a ledger owned here or whose
    -- checkpoints are held here; else, for a replica, an origin's signature
    -- arrives through the subscription that replicates the ledger (a
    -- cosignature of a checkpoint not held yet is kept, and counts only once
    -- its note is the checkpoint's)
    origin := ledger._checkpoint_origin(NEW.ledger_id, sub IS NOT NULL);
    IF origin IS NULL AND sub IS NOT NULL AND signer OPERATOR(pg_catalog.=) n.institution THEN
        SELECT r.subscription INTO rsub FROM ledger.replicas r
         WHERE r.ledger_id OPERATOR(pg_catalog.=) NEW.ledger_id;
        IF FOUND AND rsub IS DISTINCT FROM sub THEN
            RAISE EXCEPTION USING
                ERRCODE = 'check_violation',
                MESSAGE = pg_catalog.format('subscription "%s" sent a checkpoint signature of ledger %s by institution "%s" as its origin, which is not its origin',
                                            sub, n.ledger_uuid, signer),
                DETAIL = pg_catalog.format('The ledger is replicated here from its origin through subscription "%s".', rsub),
                SCHEMA = 'ledger', TABLE = 'checkpoint_signatures', CONSTRAINT = 'checkpoint_signatures_note';
        ELSIF FOUND THEN
            origin := n.institution;
        END IF;
    END IF;
    IF NEW.note OPERATOR(pg_catalog.<>) ledger._checkpoint_text(origin, n.ledger_uuid, NEW.tree_size, NEW.root) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = pg_catalog.format('the note of a checkpoint signature of ledger %s at history size %s names origin "%s", not the ledger''s origin "%s"',
                                        n.ledger_uuid, NEW.tree_size, n.institution, origin),
            DETAIL = 'A checkpoint is signed and cosigned as the exact note text its origin made, whose first line is "<origin institution>/ledger/<ledger uuid>".',
            SCHEMA = 'ledger', TABLE = 'checkpoint_signatures', CONSTRAINT = 'checkpoint_signatures_note';
    END IF;
    IF sub IS NULL THEN
        -- made here by ledger.add_checkpoint_signature(), which verified it, or restored
        RETURN NEW;
    END IF;

    -- arriving from the institution that signed it
    SELECT i.name INTO me FROM ledger.institution i;
    IF me OPERATOR(pg_catalog.=) signer THEN
        RAISE EXCEPTION USING
            ERRCODE = 'integrity_constraint_violation',
            MESSAGE = pg_catalog.format('subscription "%s" sent a checkpoint signature by this institution ("%s")', sub, signer),
            DETAIL = 'Each institution publishes only the signatures it made; its own never arrive from elsewhere.',
            HINT = 'Two institutions may have the same name: names must differ between peers.';
    END IF;
    -- a key of the signer registered here (ledger.add_peer), valid now, that verifies
    SELECT pr.key_id, pr.algorithm, pr.public_key INTO k FROM ledger.peers pr
     WHERE pr.institution OPERATOR(pg_catalog.=) signer
       AND ledger._note_key_id(p.key_name, pr.algorithm, pr.public_key) OPERATOR(pg_catalog.=) p.key_hash
     ORDER BY pr.added_at DESC LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'foreign_key_violation',
            MESSAGE = pg_catalog.format('subscription "%s" sent a checkpoint signature of institution "%s" by a key not registered here',
                                        sub, signer),
            DETAIL = pg_catalog.format('No key of peer "%s" registered with ledger.add_peer() has key ID %s under key name "%s".',
                                       signer, pg_catalog.encode(p.key_hash, 'hex'), p.key_name),
            HINT = 'Register the peer''s key, learnt out of band, with ledger.add_key() and ledger.add_peer(), then enable the subscription again.';
    END IF;
    PERFORM ledger._require_key_valid(k.key_id, pg_catalog.format('checkpoint key "%s" of peer "%s"', k.key_id, signer));
    IF NOT ledger._note_verify(NEW.note, p.signature, k.algorithm, k.public_key) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = pg_catalog.format('subscription "%s" sent a checkpoint signature of institution "%s" that does not verify', sub, signer),
            DETAIL = pg_catalog.format('The signature of the checkpoint at history size %s is not an %s signature of its note under peer key "%s".',
                                       NEW.tree_size, k.algorithm, k.key_id),
            SCHEMA = 'ledger', TABLE = 'checkpoint_signatures', CONSTRAINT = 'checkpoint_signatures_signature';
    END IF;
    IF EXISTS (SELECT 1 FROM ledger.checkpoint_signatures s
                WHERE s.ledger_id OPERATOR(pg_catalog.=) NEW.ledger_id AND s.tree_size OPERATOR(pg_catalog.=) NEW.tree_size
                  AND s.root OPERATOR(pg_catalog.=) NEW.root AND s.institution OPERATOR(pg_catalog.=) NEW.institution) THEN
        RETURN NULL;			-- held already (a resync, or a second publication)
    END IF;
    NEW.signed_here := false;
    -- a signature by the ledger's origin, as known here: checked for
    -- equivocation (of a ledger whose origin is not known here, nobody's
    -- claim to be the origin is evidence)
    IF signer OPERATOR(pg_catalog.=) origin THEN
        PERFORM ledger._check_origin_signature(NEW.ledger_id, NEW.tree_size, NEW.root, signer,
            NEW.note OPERATOR(pg_catalog.||) E'\n' OPERATOR(pg_catalog.||) NEW.signature OPERATOR(pg_catalog.||) E'\n');
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION ledger._checkpoint_signatures_guard() IS 'Internal: trigger of ledger.checkpoint_signatures: append-only; what arrives from a subscription must verify against a registered key of the institution that signed it, and an origin''s signature is checked for equivocation';

CREATE TRIGGER checkpoint_signatures_guard BEFORE INSERT OR UPDATE OR DELETE ON ledger.checkpoint_signatures
    FOR EACH ROW EXECUTE FUNCTION ledger._checkpoint_signatures_guard();
CREATE TRIGGER checkpoint_signatures_guard_truncate BEFORE TRUNCATE ON ledger.checkpoint_signatures
    FOR EACH STATEMENT EXECUTE FUNCTION ledger._checkpoint_signatures_guard();
ALTER TABLE ledger.checkpoint_signatures ENABLE ALWAYS TRIGGER checkpoint_signatures_guard,
    ENABLE ALWAYS TRIGGER checkpoint_signatures_guard_truncate;

CREATE FUNCTION ledger._checkpoint_conflicts_guard() RETURNS trigger
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP OPERATOR(pg_catalog.=) 'UPDATE' AND OLD.cleared_at IS NULL AND NEW.cleared_at IS NOT NULL
       AND ROW(NEW.ledger_id, NEW.tree_size, NEW.kind, NEW.root, NEW.other_root, NEW.signed_note,
               NEW.other_note, NEW.detected_at)
           IS NOT DISTINCT FROM
           ROW(OLD.ledger_id, OLD.tree_size, OLD.kind, OLD.root, OLD.other_root, OLD.signed_note,
               OLD.other_note, OLD.detected_at) THEN
        -- as ledger.clear_checkpoint_conflicts() clears: by whom and why
        IF NEW.cleared_by IS NULL OR pg_catalog.btrim(COALESCE(NEW.clear_reason, '')) OPERATOR(pg_catalog.=) '' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'integrity_constraint_violation',
                MESSAGE = 'cannot clear a checkpoint conflict without cleared_by and clear_reason',
                DETAIL = 'Evidence of equivocation is cleared only with the role that cleared it and the reason.',
                HINT = 'Use ledger.clear_checkpoint_conflicts().',
                SCHEMA = 'ledger', TABLE = 'checkpoint_conflicts', CONSTRAINT = 'checkpoint_conflicts_append_only';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP OPERATOR(pg_catalog.=) 'INSERT' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'integrity_constraint_violation',
        MESSAGE = pg_catalog.format('cannot %s table "ledger.checkpoint_conflicts"',
                                    CASE TG_OP WHEN 'TRUNCATE' THEN 'truncate' WHEN 'DELETE' THEN 'delete from' ELSE 'update' END),
        DETAIL = 'Evidence of equivocation is kept for good; clearing a conflict only marks it.',
        HINT = 'Use ledger.clear_checkpoint_conflicts().',
        SCHEMA = 'ledger', TABLE = 'checkpoint_conflicts', CONSTRAINT = 'checkpoint_conflicts_append_only';
END
$$;
COMMENT ON FUNCTION ledger._checkpoint_conflicts_guard() IS 'Internal: trigger of ledger.checkpoint_conflicts: evidence is never deleted or edited, only marked cleared once';

CREATE TRIGGER checkpoint_conflicts_guard BEFORE UPDATE OR DELETE ON ledger.checkpoint_conflicts
    FOR EACH ROW EXECUTE FUNCTION ledger._checkpoint_conflicts_guard();
CREATE TRIGGER checkpoint_conflicts_guard_truncate BEFORE TRUNCATE ON ledger.checkpoint_conflicts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger._checkpoint_conflicts_guard();
ALTER TABLE ledger.checkpoint_conflicts ENABLE ALWAYS TRIGGER checkpoint_conflicts_guard,
    ENABLE ALWAYS TRIGGER checkpoint_conflicts_guard_truncate;

-- ---------------------------------------------------------------------
-- Quorum
-- ---------------------------------------------------------------------

CREATE VIEW ledger.checkpoint_status AS
    SELECT c.ledger_id,
           l.relation AS ledger,
           c.tree_size,
           c.root,
           c.institution AS origin,
           c.made_at,
           COALESCE(s.signers, '{}') AS signed_by,
           COALESCE(c.institution OPERATOR(pg_catalog.=) ANY (s.signers), false) AS origin_signed,
           COALESCE(pg_catalog.cardinality(s.signers), 0) AS signatures,
           q.known AS institutions,
           q.quorum,
           COALESCE(c.institution OPERATOR(pg_catalog.=) ANY (s.signers)
                    AND pg_catalog.cardinality(s.signers) OPERATOR(pg_catalog.>=) q.quorum, false) AS quorum_reached,
           EXISTS (SELECT 1 FROM ledger.checkpoint_conflicts x
                    WHERE x.ledger_id OPERATOR(pg_catalog.=) c.ledger_id AND x.cleared_at IS NULL) AS conflict
      FROM ledger.checkpoints c
      LEFT JOIN ledger.ledgers l ON l.ledger_id OPERATOR(pg_catalog.=) c.ledger_id
      CROSS JOIN (SELECT k.known,
                         COALESCE((SELECT i.quorum FROM ledger.institution i),
                                  k.known OPERATOR(pg_catalog./) 2 OPERATOR(pg_catalog.+) 1) AS quorum
                    FROM (SELECT ((SELECT pg_catalog.count(*) FROM ledger.institution)
                                  OPERATOR(pg_catalog.+)
                                  (SELECT pg_catalog.count(DISTINCT p.institution) FROM ledger.peers p))::pg_catalog.int4 AS known) k) q
      LEFT JOIN LATERAL (
          SELECT pg_catalog.array_agg(g.institution ORDER BY g.institution OPERATOR(pg_catalog.<>) c.institution, g.institution) AS signers
            FROM ledger.checkpoint_signatures g
           WHERE g.ledger_id OPERATOR(pg_catalog.=) c.ledger_id
             AND g.tree_size OPERATOR(pg_catalog.=) c.tree_size
             AND g.root OPERATOR(pg_catalog.=) c.root
             AND g.note OPERATOR(pg_catalog.=) c.note
             AND (g.institution OPERATOR(pg_catalog.=) ANY (SELECT i.name FROM ledger.institution i)
                  OR g.institution OPERATOR(pg_catalog.=) ANY (SELECT p.institution FROM ledger.peers p))) s ON true;
COMMENT ON VIEW ledger.checkpoint_status IS 'Each checkpoint held here: which known institutions signed it (the origin first), whether its origin did, the quorum k of the n institutions known here, whether it is reached (the origin''s signature and k signatures in all), and whether an uncleared equivocation stops cosigning of its ledger';
GRANT SELECT ON ledger.checkpoint_status TO PUBLIC;
