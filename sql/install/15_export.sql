
-- ===================================================================
-- Export for offline audit (docs/canonical-format.md#export-ledgerexport)
-- ===================================================================

-- The calling transaction's ledger transaction number (NULL until it has
-- written a ledger row): its rows have no record until it commits.
CREATE FUNCTION ledger._own_xact() RETURNS pg_catalog.int8
    AS 'MODULE_PATHNAME', 'ledger_own_xact'
    LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION ledger._own_xact() IS
'Internal: the calling transaction''s ledger transaction number, NULL if it has written no ledger row';

-- ERROR (22021) unless the table's schema and table names are UTF-8, which
-- only a SQL_ASCII database can fail to hold: an export names the table in
-- UTF-8 JSON (src/catalog.c, ledger_name_must_be_utf8; ledger.prove and
-- ledger.create_ledger check it in C).
CREATE FUNCTION ledger._check_name_utf8(tbl pg_catalog.regclass, fn pg_catalog.text) RETURNS void
    AS 'MODULE_PATHNAME', 'ledger_check_name_utf8'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION ledger._check_name_utf8(pg_catalog.regclass, pg_catalog.text) IS
'Internal: raises 22021 unless the table''s schema and table names can be written as UTF-8 JSON';

-- A timestamptz as an export writes it: microseconds since 2000-01-01 UTC
-- (as committed_at_us), the int64 extremes for -infinity and infinity (the
-- values PostgreSQL stores for them, and so the ones the record and block
-- hashes bind), NULL for NULL.  Neither STRICT nor SET search_path (every
-- name in it is qualified), and STABLE, so that the planner inlines it:
-- export calls it for every transaction record and block.  (PostgreSQL
-- inlines no IMMUTABLE function whose body calls a STABLE one, and
-- EXTRACT from a timestamptz is STABLE: declared IMMUTABLE, as until the
-- last read of 2026-12-06, it was called for each value.)
CREATE FUNCTION ledger._export_us(t pg_catalog.timestamptz) RETURNS pg_catalog.int8
    LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN t OPERATOR(pg_catalog.=) 'infinity'::pg_catalog.timestamptz THEN 9223372036854775807::pg_catalog.int8
                WHEN t OPERATOR(pg_catalog.=) '-infinity'::pg_catalog.timestamptz THEN (-9223372036854775808)::pg_catalog.int8
                ELSE ((EXTRACT(epoch FROM t) OPERATOR(pg_catalog.-) 946684800)
                      OPERATOR(pg_catalog.*) 1000000)::pg_catalog.int8 END
$$;
COMMENT ON FUNCTION ledger._export_us(pg_catalog.timestamptz) IS
'Internal: a timestamptz in microseconds since 2000-01-01 UTC, as ledger.export() writes times';

-- ledger.export() carries a row's canonical bytes in hex, in one line of
-- text: a row of more than 536,870,399 canonical bytes (about 512 MB) gives
-- more than 1 GB, which PostgreSQL cannot hold.  Raised for such a row, by
-- its length, before encoding it.
CREATE FUNCTION ledger._export_row_too_large(tbl pg_catalog.regclass, xact pg_catalog.int8,
                                             seq pg_catalog.int8, len pg_catalog.int8) RETURNS pg_catalog.text
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'program_limit_exceeded',
        MESSAGE = pg_catalog.format('row of transaction %s, sequence %s of ledger "%s" is too large for an export', xact, seq, tbl),
        DETAIL = pg_catalog.format('Its canonical form is %s bytes, %s characters in hex; a line of export holds at most 1073741823 bytes.',
                                   len, len OPERATOR(pg_catalog.*) 2),
        HINT = 'ledger.verify() checks the row, and ledger.prove() proves it if its canonical form is at most about 201 MB; ledger.export() cannot carry it.';
END
$$;
COMMENT ON FUNCTION ledger._export_row_too_large(pg_catalog.regclass, pg_catalog.int8, pg_catalog.int8, pg_catalog.int8) IS
    'Internal: the error of ledger.export() for a row too large to export';

-- Every row (canonical bytes and stored leaf hash), transaction record and
-- block of a ledger, one JSON object per line, under one snapshot;
-- tools/ledger-audit export recomputes all of it.  Rows the calling
-- transaction wrote are left out (they have no record until it commits),
-- as ledger.verify leaves them out; a replica's rows carry the origin's
-- transaction numbers, and none is left out.
CREATE FUNCTION ledger.export(tbl pg_catalog.regclass) RETURNS SETOF pg_catalog.text
    LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL RESTRICTED
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    g record;
    s record;
    own pg_catalog.int8;
BEGIN
    -- as verify(NULL): an export of nothing would read as an empty ledger
    IF tbl IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'null_value_not_allowed',
            MESSAGE = 'ledger table must not be NULL';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'undefined_table',
            MESSAGE = pg_catalog.format('relation with OID %s does not exist', tbl::pg_catalog.oid);
    END IF;
    SELECT l.ledger_id, l.ledger_uuid, l.format_version, l.replica INTO g
      FROM ledger.ledgers l WHERE l.relation OPERATOR(pg_catalog.=) tbl;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = pg_catalog.format('table "%s" is not a ledger', tbl),
            HINT = 'Use ledger.create_ledger() to make it one.';
    END IF;
    IF pg_catalog.row_security_active(tbl) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = pg_catalog.format('cannot export ledger "%s": row-level security hides rows from the current user', tbl),
            HINT = 'Export as the table''s owner, a superuser or a role with BYPASSRLS.';
    END IF;
    PERFORM ledger._check_name_utf8(tbl, 'ledger.export()');
    own := CASE WHEN g.replica THEN -1 ELSE COALESCE(ledger._own_xact(), -1) END;
    SELECT sl.signature_attname, sl.key_attname INTO s
      FROM ledger.signed_ledgers sl WHERE sl.ledger_id OPERATOR(pg_catalog.=) g.ledger_id;
    RETURN NEXT pg_catalog.json_build_object('type', 'ledger', 'ledger', tbl::pg_catalog.text,
        'ledger_uuid', g.ledger_uuid, 'row_format', g.format_version,
        'signed', CASE WHEN s.key_attname IS NULL THEN NULL
                       ELSE pg_catalog.json_build_object('signature_column', s.signature_attname,
                                                         'key_column', s.key_attname) END)::pg_catalog.text;
    -- A signed ledger: the keys its exported rows name, as ledger.verify
    -- judges them (src/signed.c, signed_verify_read_keys: the registry, or
    -- for a replica the keys its origin published for it), with the times
    -- that judgement compares, in microseconds since 2000-01-01 UTC (an
    -- infinite time, which only a row restored from before 0.2.0 holds, as
    -- the int64 extreme the server stores for it).
    IF s.key_attname IS NOT NULL THEN
        RETURN QUERY EXECUTE pg_catalog.format(
            'WITH named AS (SELECT DISTINCT r.%1$I::pg_catalog.text AS key_id FROM %2$s r '
            '                WHERE r.ledger_xact OPERATOR(pg_catalog.<>) $1 AND r.%1$I IS NOT NULL), '
            '     k AS (%3$s) '
            'SELECT pg_catalog.json_build_object(''type'', ''key'', ''key_id'', k.key_id, '
            '''algorithm'', k.algorithm, ''public_key'', pg_catalog.encode(k.public_key, ''hex''), '
            '''added_at_us'', ledger._export_us(k.added_at), ''valid_from_us'', ledger._export_us(k.valid_from), '
            '''valid_until_us'', ledger._export_us(k.valid_until), '
            '''revoked_at_us'', ledger._export_us(k.revoked_at))::pg_catalog.text '
            'FROM k WHERE k.key_id OPERATOR(pg_catalog.=) ANY (SELECT n.key_id FROM named n) '
            'ORDER BY k.key_id COLLATE "C"',
            s.key_attname, tbl,
            CASE WHEN g.replica
                 THEN 'SELECT lk.key_id, lk.algorithm, lk.public_key, lk.added_at, lk.valid_from, lk.valid_until, '
                      'lk.revoked_at FROM ledger.ledger_keys lk WHERE lk.ledger_id OPERATOR(pg_catalog.=) $2'
                 ELSE 'SELECT rk.key_id, rk.algorithm, rk.public_key, rk.added_at, rk.valid_from, rk.valid_until, '
                      'rk.revoked_at FROM ledger.keys rk' END)
            USING own, g.ledger_id;
    END IF;
    RETURN QUERY EXECUTE pg_catalog.format(
        'SELECT pg_catalog.json_build_object(''type'', ''row'', ''xact'', r.ledger_xact, ''seq'', r.ledger_seq, '
        '''canonical_bytes'', CASE WHEN pg_catalog.octet_length(c.b) OPERATOR(pg_catalog.<=) 536870399 '
        'THEN pg_catalog.encode(c.b, ''hex'') '
        'ELSE ledger._export_row_too_large($2, r.ledger_xact, r.ledger_seq, pg_catalog.octet_length(c.b)) END, '
        '''leaf_hash'', pg_catalog.encode(r.ledger_hash, ''hex''))::pg_catalog.text '
        'FROM %s r, LATERAL (SELECT %s AS b OFFSET 0) c WHERE r.ledger_xact OPERATOR(pg_catalog.<>) $1 '
        'ORDER BY r.ledger_xact, r.ledger_seq',
        tbl,
        CASE WHEN g.format_version OPERATOR(pg_catalog.=) 1
             THEN 'ledger.canonical_bytes(r)'
             ELSE 'ledger.canonical_bytes(r, r.ledger_xact, r.ledger_seq)' END)
        USING own, tbl;
    RETURN QUERY
        SELECT pg_catalog.json_build_object('type', 'transaction', 'xact_id', t.xact_id,
                   'row_count', t.row_count, 'root', pg_catalog.encode(t.root, 'hex'),
                   'committed_at_us', ledger._export_us(t.committed_at))::pg_catalog.text
          FROM ledger.transactions t
         WHERE t.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
         ORDER BY t.xact_id;
    RETURN QUERY
        SELECT (pg_catalog.jsonb_build_object('type', 'block', 'block_no', b.block_no,
                    'prev_hash', pg_catalog.encode(b.prev_hash, 'hex'), 'root', pg_catalog.encode(b.root, 'hex'),
                    'tx_count', b.tx_count, 'row_count', b.row_count,
                    'sealed_at_us', ledger._export_us(b.sealed_at),
                    'format_version', b.format_version)
                OPERATOR(pg_catalog.||) CASE WHEN b.tree_root IS NULL THEN '{}'::pg_catalog.jsonb
                    ELSE pg_catalog.jsonb_build_object('tree_size', b.first_position OPERATOR(pg_catalog.+) b.tx_count,
                                                       'tree_root', pg_catalog.encode(b.tree_root, 'hex')) END
                OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object('block_hash', pg_catalog.encode(b.block_hash, 'hex'),
                                                                      'xact_ids', pg_catalog.to_jsonb(b.xact_ids)))::pg_catalog.text
          FROM ledger.blocks b
         WHERE b.ledger_id OPERATOR(pg_catalog.=) g.ledger_id
         ORDER BY b.block_no;
END
$$;
COMMENT ON FUNCTION ledger.export(pg_catalog.regclass) IS 'Every row, transaction record and block of a ledger as NDJSON lines, for tools/ledger-audit export';
