-- RFC 9162 inclusion and consistency proofs (src/history.c, the tiled
-- history tree, through ledger.merkle_inclusion_proof and friends).
--
-- Reference values: the published test data of transparency-dev/merkle,
-- which carries the Certificate Transparency reference implementation's
-- vectors (google/certificate-transparency cpp/merkletree/merkle_tree_test.cc):
--   testonly/constants.go   LeafInputs (the eight leaves below), RootHashes
--                           (tree heads of sizes 1..8);
--   proof/verify_test.go    inclusionProofs {leaf (1-based), size, proof} and
--                           consistencyProofs {size1, size2, proof}.
CREATE EXTENSION IF NOT EXISTS ledger;

CREATE TEMP TABLE ct(a bytea[]);
INSERT INTO ct VALUES (ARRAY['\x'::bytea, '\x00', '\x10', '\x2021', '\x3031', '\x40414243',
                             '\x5051525354555657', '\x606162636465666768696a6b6c6d6e6f']);
CREATE TEMP TABLE ct_root(n int8, r bytea);
INSERT INTO ct_root VALUES
    (1, '\x6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'),
    (2, '\xfac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'),
    (3, '\xaeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77'),
    (4, '\xd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'),
    (5, '\x4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4'),
    (6, '\x76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef'),
    (7, '\xddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c'),
    (8, '\x5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');

-- inclusion vectors (leaf index from 0 here: verify_test.go's leaf - 1)
CREATE TEMP TABLE ct_incl(m int8, n int8, p bytea[]);
INSERT INTO ct_incl VALUES
    (0, 1, '{}'),
    (0, 8, ARRAY['\x96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7'::bytea,
                 '\x5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
                 '\x6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']),
    (5, 8, ARRAY['\xbc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'::bytea,
                 '\xca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
                 '\xd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']),
    (2, 3, ARRAY['\xfac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'::bytea]),
    (1, 5, ARRAY['\x6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'::bytea,
                 '\x5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
                 '\xbc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']);
SELECT i.m, i.n,
       ledger.merkle_inclusion_proof(ct.a, i.m, i.n) = i.p AS proof_matches,
       ledger.merkle_verify_inclusion(ct.a[i.m + 1], i.m, i.n, i.p, r.r) AS verifies
FROM ct_incl i, ct, ct_root r WHERE r.n = i.n ORDER BY i.n, i.m;

-- consistency vectors
CREATE TEMP TABLE ct_cons(m int8, n int8, p bytea[]);
INSERT INTO ct_cons VALUES
    (1, 1, '{}'),
    (1, 8, ARRAY['\x96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7'::bytea,
                 '\x5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
                 '\x6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4']),
    (6, 8, ARRAY['\x0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a'::bytea,
                 '\xca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
                 '\xd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']),
    (2, 5, ARRAY['\x5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e'::bytea,
                 '\xbc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b']),
    (6, 7, ARRAY['\x0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a'::bytea,
                 '\xb08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
                 '\xd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7']);
SELECT c.m, c.n,
       ledger.merkle_consistency_proof(ct.a, c.m, c.n) = c.p AS proof_matches,
       ledger.merkle_verify_consistency(c.m, c.n, o.r, w.r, c.p) AS verifies
FROM ct_cons c, ct, ct_root o, ct_root w WHERE o.n = c.m AND w.n = c.n ORDER BY c.m, c.n;

-- every one-byte change of a vector's proof elements (each of 32 positions),
-- of its root and of its leaf is refused
SELECT count(*) AS forged_inclusions,
       count(*) FILTER (WHERE ledger.merkle_verify_inclusion(l, m, n, p, r)) AS accepted
FROM (SELECT ct.a[i.m + 1] AS l, i.m, i.n, r.r,
             i.p[:e - 1] || set_byte(i.p[e], b, get_byte(i.p[e], b) # 1) || i.p[e + 1:] AS p
      FROM ct_incl i, ct, ct_root r, generate_subscripts(i.p, 1) e, generate_series(0, 31) b
      WHERE r.n = i.n
      UNION ALL
      SELECT ct.a[i.m + 1], i.m, i.n, set_byte(r.r, b, get_byte(r.r, b) # 1), i.p
      FROM ct_incl i, ct, ct_root r, generate_series(0, 31) b WHERE r.n = i.n
      UNION ALL
      SELECT ct.a[i.m + 1] || '\x00'::bytea, i.m, i.n, r.r, i.p
      FROM ct_incl i, ct, ct_root r WHERE r.n = i.n) f;
SELECT count(*) AS forged_consistencies,
       count(*) FILTER (WHERE ledger.merkle_verify_consistency(m, n, o, w, p)) AS accepted
FROM (SELECT c.m, c.n, o.r AS o, w.r AS w,
             c.p[:e - 1] || set_byte(c.p[e], b, get_byte(c.p[e], b) # 1) || c.p[e + 1:] AS p
      FROM ct_cons c, ct_root o, ct_root w, generate_subscripts(c.p, 1) e, generate_series(0, 31) b
      WHERE o.n = c.m AND w.n = c.n
      UNION ALL
      SELECT c.m, c.n, set_byte(o.r, b, get_byte(o.r, b) # 1), w.r, c.p
      FROM ct_cons c, ct_root o, ct_root w, generate_series(0, 31) b WHERE o.n = c.m AND w.n = c.n
      UNION ALL
      SELECT c.m, c.n, o.r, set_byte(w.r, b, get_byte(w.r, b) # 1), c.p
      FROM ct_cons c, ct_root o, ct_root w, generate_series(0, 31) b WHERE o.n = c.m AND w.n = c.n) f;

-- RFC 9162 2.1.3.1 PATH and 2.1.4.1 SUBPROOF written from the RFC's text,
-- over ledger.merkle_root (merkle.c, not the tiles) for every subtree hash
CREATE FUNCTION rfc_path(d bytea[], m int) RETURNS bytea[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE n int := coalesce(array_length(d, 1), 0); k int := 1;
BEGIN
    IF n <= 1 THEN RETURN '{}'; END IF;
    WHILE k * 2 < n LOOP k := k * 2; END LOOP;
    IF m < k THEN RETURN rfc_path(d[1:k], m) || ledger.merkle_root(d[k + 1:n]); END IF;
    RETURN rfc_path(d[k + 1:n], m - k) || ledger.merkle_root(d[1:k]);
END $$;
CREATE FUNCTION rfc_subproof(d bytea[], m int, b bool) RETURNS bytea[] LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE n int := coalesce(array_length(d, 1), 0); k int := 1;
BEGIN
    IF m = n THEN
        IF b THEN RETURN '{}'; END IF;
        RETURN ARRAY[ledger.merkle_root(d)];
    END IF;
    WHILE k * 2 < n LOOP k := k * 2; END LOOP;
    IF m <= k THEN RETURN rfc_subproof(d[1:k], m, b) || ledger.merkle_root(d[k + 1:n]); END IF;
    RETURN rfc_subproof(d[k + 1:n], m - k, false) || ledger.merkle_root(d[1:k]);
END $$;

-- every position of trees of 1 to 70 leaves, from a store of 70 leaves
-- (so every proof is at a size at most the stored one)
CREATE TEMP TABLE t70 AS SELECT array_agg(int4send(i) ORDER BY i) AS a FROM generate_series(1, 70) i;
CREATE TEMP TABLE incl AS
SELECT n, m, t70.a[m + 1] AS leaf, ledger.merkle_root(t70.a[1:n]) AS r,
       ledger.merkle_inclusion_proof(t70.a, m, n) AS p, rfc_path(t70.a[1:n], m::int) AS ref
FROM t70, generate_series(1, 70) n, generate_series(0, n - 1) m;
SELECT count(*) AS inclusion_checks,
       count(*) FILTER (WHERE p IS DISTINCT FROM ref) AS differ_from_rfc,
       count(*) FILTER (WHERE NOT ledger.merkle_verify_inclusion(leaf, m, n, p, r)) AS failures
FROM incl;
CREATE TEMP TABLE cons AS
SELECT m, n, ledger.merkle_root(t70.a[1:m]) AS o, ledger.merkle_root(t70.a[1:n]) AS w,
       ledger.merkle_consistency_proof(t70.a, m, n) AS p, rfc_subproof(t70.a[1:n], m::int, true) AS ref
FROM t70, generate_series(1, 70) n, generate_series(1, n) m;
SELECT count(*) AS consistency_checks,
       count(*) FILTER (WHERE p IS DISTINCT FROM ref) AS differ_from_rfc,
       count(*) FILTER (WHERE NOT ledger.merkle_verify_consistency(m, n, o, w, p)) AS failures
FROM cons;

-- forgeries of every (m, n) up to 70: one byte of each proof element (its
-- position moving with m, n and the element), of the root, of the leaf;
-- the leaf index off by one; an element dropped, one appended
SELECT kind, count(*) AS forgeries,
       count(*) FILTER (WHERE ledger.merkle_verify_inclusion(leaf, m, n, p, r)) AS accepted
FROM (SELECT 'path byte' AS kind, leaf, m, n, r,
             p[:e - 1] || set_byte(p[e], ((m * 7 + n * 3 + e) % 32)::int,
                                   get_byte(p[e], ((m * 7 + n * 3 + e) % 32)::int) # 1) || p[e + 1:] AS p
      FROM incl, generate_subscripts(p, 1) e
      UNION ALL
      SELECT 'root byte', leaf, m, n, set_byte(r, ((m + n) % 32)::int, get_byte(r, ((m + n) % 32)::int) # 1), p FROM incl
      UNION ALL
      SELECT 'leaf byte', set_byte(leaf, (m % 4)::int, get_byte(leaf, (m % 4)::int) # 1), m, n, r, p FROM incl
      UNION ALL
      SELECT 'index - 1', leaf, m - 1, n, r, p FROM incl WHERE m > 0
      UNION ALL
      SELECT 'index + 1', leaf, m + 1, n, r, p FROM incl
      UNION ALL
      SELECT 'element dropped', leaf, m, n, r, p[:array_length(p, 1) - 1] FROM incl WHERE array_length(p, 1) > 0
      UNION ALL
      SELECT 'element appended', leaf, m, n, r, p || r FROM incl) f
GROUP BY kind ORDER BY kind;
-- A tree size off by one is NOT refused in general, by any RFC 9162
-- verifier: the algorithm binds the size only through the shape of the
-- path, and leaf m has the same path shape in trees of n and n +- 1 unless
-- its path runs along the right edge (leaf 0 of 70 and of 71: six perfect
-- siblings, then the right part either way).  A root is the root of one
-- tree, so this only mislabels its size; the ledger binds size and root
-- together by signing both (tree_size and tree_root are in the block hash
-- and in the checkpoint, and ledger-audit compares them).  The counts are
-- fixed by the algorithm, so a change in the verifier shows here.
SELECT kind, count(*) AS forgeries,
       count(*) FILTER (WHERE ledger.merkle_verify_inclusion(leaf, m, n, p, r)) AS accepted
FROM (SELECT 'size - 1' AS kind, leaf, m, n - 1 AS n, r, p FROM incl
      UNION ALL
      SELECT 'size + 1', leaf, m, n + 1, r, p FROM incl) f
GROUP BY kind ORDER BY kind;

SELECT kind, count(*) AS forgeries,
       count(*) FILTER (WHERE ledger.merkle_verify_consistency(m, n, o, w, p)) AS accepted
FROM (SELECT 'proof byte' AS kind, m, n, o, w,
             p[:e - 1] || set_byte(p[e], ((m * 5 + n + e) % 32)::int,
                                   get_byte(p[e], ((m * 5 + n + e) % 32)::int) # 1) || p[e + 1:] AS p
      FROM cons, generate_subscripts(p, 1) e
      UNION ALL
      SELECT 'old root byte', m, n, set_byte(o, ((m + n) % 32)::int, get_byte(o, ((m + n) % 32)::int) # 1), w, p FROM cons
      UNION ALL
      SELECT 'new root byte', m, n, o, set_byte(w, ((m + n) % 32)::int, get_byte(w, ((m + n) % 32)::int) # 1), p FROM cons
      UNION ALL
      SELECT 'roots swapped', m, n, w, o, p FROM cons WHERE m < n
      UNION ALL
      SELECT 'old size - 1', m - 1, n, o, w, p FROM cons
      UNION ALL
      SELECT 'old size + 1', m + 1, n, o, w, p FROM cons
      UNION ALL
      SELECT 'new size - 1', m, n - 1, o, w, p FROM cons
      UNION ALL
      SELECT 'new size + 1', m, n + 1, o, w, p FROM cons
      UNION ALL
      SELECT 'element dropped', m, n, o, w, p[:array_length(p, 1) - 1] FROM cons WHERE array_length(p, 1) > 0
      UNION ALL
      SELECT 'element appended', m, n, o, w, p || w FROM cons) f
GROUP BY kind ORDER BY kind;

-- the trivial cases: m = 0 and m = n
SELECT ledger.merkle_consistency_proof(a, 0, 5) AS from_empty, ledger.merkle_consistency_proof(a, 5, 5) AS same
FROM t70;
SELECT ledger.merkle_verify_consistency(0, 5, sha256(''::bytea), ledger.merkle_root(a[1:5]), '{}') AS from_empty_tree,
       ledger.merkle_verify_consistency(0, 5, ledger.merkle_root(a[1:1]), ledger.merkle_root(a[1:5]), '{}') AS from_other_root,
       ledger.merkle_verify_consistency(0, 0, sha256(''::bytea), sha256(''::bytea), '{}') AS empty_to_empty,
       ledger.merkle_verify_consistency(5, 5, ledger.merkle_root(a[1:5]), ledger.merkle_root(a[1:5]), '{}') AS same_tree,
       ledger.merkle_verify_consistency(5, 5, ledger.merkle_root(a[1:5]), ledger.merkle_root(a[1:6]), '{}') AS same_size_other_root,
       ledger.merkle_verify_consistency(5, 5, ledger.merkle_root(a[1:5]), ledger.merkle_root(a[1:5]),
                                        ARRAY[ledger.merkle_root(a[1:5])]) AS same_tree_nonempty_proof,
       ledger.merkle_verify_consistency(6, 5, ledger.merkle_root(a[1:6]), ledger.merkle_root(a[1:5]), '{}') AS shrinking
FROM t70;

-- a proof longer than any tree's (64 hashes) is false, not an error
SELECT ledger.merkle_verify_inclusion('\x01', 0, 2, array_fill(sha256('\x'::bytea), ARRAY[65]), sha256('\x'::bytea)) AS long_path,
       ledger.merkle_verify_consistency(1, 2, sha256('\x'::bytea), sha256('\x'::bytea),
                                        array_fill(sha256('\x'::bytea), ARRAY[65])) AS long_proof;

-- tiles read, counted by a synthetic store: root(n) at most G(n), proofs at
-- most 2 G(n) - 1, appending one leaf at most G(n) reads and G(n + 1) writes,
-- where G(n) = ceil(bitlen(n) / 5) (the bounds of src/history.c), for trees
-- up to 10^7 leaves and beyond (2^62)
CREATE FUNCTION g(n int8) RETURNS int LANGUAGE sql IMMUTABLE AS
    $$ SELECT (length(ltrim(n::bit(64)::text, '0')) + 4) / 5 $$;
CREATE TEMP TABLE sizes AS
SELECT DISTINCT n FROM (
    SELECT generate_series(1, 130)::int8 AS n
    UNION ALL SELECT floor(1.07 ^ k)::int8 FROM generate_series(72, 238) k  -- 130 .. 10^7
    UNION ALL SELECT 10000000
    UNION ALL SELECT (2::numeric ^ k + d)::int8 FROM generate_series(5, 62) k, generate_series(-1, 1) d
    UNION ALL SELECT 1073741824::int8 * 1021 + 99999) s;
CREATE TEMP TABLE reads AS
SELECT s.n, m, g(s.n) AS g, g(s.n + 1) AS g1, r.*
FROM sizes s,
     LATERAL (SELECT DISTINCT m FROM (
         SELECT unnest(ARRAY[0, 1, s.n / 3, s.n / 2, s.n - 32, s.n - 33, s.n - 2, s.n - 1]) AS m
         UNION ALL SELECT (s.n / 17) * j + j FROM generate_series(1, 16) j
         UNION ALL SELECT m FROM generate_series(0, s.n - 1) m WHERE s.n <= 130) x
         WHERE m >= 0 AND m < s.n) ms,
     LATERAL ledger._history_read_count(s.n, ms.m) r;
SELECT count(DISTINCT n) AS sizes, count(*) AS cases, max(n) AS largest,
       count(*) FILTER (WHERE root_reads > g) AS root_over,
       count(*) FILTER (WHERE inclusion_reads > 2 * g - 1) AS inclusion_over,
       count(*) FILTER (WHERE consistency_reads > 2 * g - 1) AS consistency_over,
       count(*) FILTER (WHERE append_reads > g) AS append_reads_over,
       count(*) FILTER (WHERE append_writes > g1) AS append_writes_over
FROM reads;
-- the worst case met at each scale
SELECT g AS groups, min(n) AS from_n, max(n) AS to_n, max(root_reads) AS root, max(inclusion_reads) AS inclusion,
       max(consistency_reads) AS consistency, max(append_reads) AS append_reads, max(append_writes) AS append_writes
FROM reads GROUP BY g ORDER BY g;
DROP FUNCTION g(int8);

-- bad input
SELECT ledger.merkle_inclusion_proof(NULL, 0, 1) IS NULL AS strict_null,
       ledger.merkle_verify_inclusion(NULL, 0, 1, '{}', sha256('\x'::bytea)) IS NULL AS strict_null_verify;
SELECT ledger.merkle_inclusion_proof(ARRAY['\x01'::bytea, NULL], 0, 2);
SELECT ledger.merkle_consistency_proof(ARRAY[NULL::bytea], 0, 1);
SELECT ledger.merkle_inclusion_proof(ARRAY[['\x01'::bytea], ['\x02'::bytea]], 0, 2);
SELECT ledger.merkle_inclusion_proof(ARRAY['\x01'::bytea], -1, 1);
SELECT ledger.merkle_inclusion_proof(ARRAY['\x01'::bytea], 1, 1);
SELECT ledger.merkle_inclusion_proof(ARRAY['\x01'::bytea], 0, 2);
SELECT ledger.merkle_inclusion_proof(ARRAY['\x01'::bytea], 0, -1);
SELECT ledger.merkle_inclusion_proof('{}', 0, 0);
SELECT ledger.merkle_inclusion_proof(ARRAY['\x01'::bytea], 9223372036854775807, 9223372036854775807);
SELECT ledger.merkle_consistency_proof(ARRAY['\x01'::bytea, '\x02'], 2, 1);
SELECT ledger.merkle_consistency_proof(ARRAY['\x01'::bytea, '\x02'], 1, 3);
SELECT ledger.merkle_consistency_proof(ARRAY['\x01'::bytea, '\x02'], -1, 2);
SELECT ledger.merkle_consistency_proof(ARRAY[['\x01'::bytea]], 0, 1);
SELECT ledger.merkle_consistency_proof('{}', 0, 0) AS empty_tree;
SELECT ledger.merkle_verify_inclusion('\x01', -1, 1, '{}', sha256('\x0001'::bytea));
SELECT ledger.merkle_verify_inclusion('\x01', 0, -1, '{}', sha256('\x0001'::bytea));
SELECT ledger.merkle_verify_inclusion('\x01', 0, 1, '{}', '\x00');
SELECT ledger.merkle_verify_inclusion('\x01', 0, 2, ARRAY[NULL::bytea], sha256('\x0001'::bytea));
SELECT ledger.merkle_verify_inclusion('\x01', 0, 2, ARRAY['\x0102'::bytea], sha256('\x0001'::bytea));
SELECT ledger.merkle_verify_inclusion('\x01', 0, 2, ARRAY[[sha256('\x'::bytea)]], sha256('\x0001'::bytea));
SELECT ledger.merkle_verify_inclusion('\x01', 0, 1, '{}', sha256('\x0001'::bytea)) AS one_leaf,
       ledger.merkle_verify_inclusion('\x01', 1, 1, '{}', sha256('\x0001'::bytea)) AS index_at_size,
       ledger.merkle_verify_inclusion('\x01', 0, 0, '{}', sha256('\x0001'::bytea)) AS empty_tree,
       ledger.merkle_verify_inclusion('\x01', 9223372036854775806, 9223372036854775807,
                                      array_fill(sha256('\x'::bytea), ARRAY[63]), sha256('\x'::bytea)) AS huge_tree;
SELECT ledger.merkle_verify_consistency(-1, 1, sha256('\x'::bytea), sha256('\x'::bytea), '{}');
SELECT ledger.merkle_verify_consistency(1, -1, sha256('\x'::bytea), sha256('\x'::bytea), '{}');
SELECT ledger.merkle_verify_consistency(1, 2, '\x', sha256('\x'::bytea), '{}');
SELECT ledger.merkle_verify_consistency(1, 2, sha256('\x'::bytea), repeat('x', 33)::bytea, '{}');
SELECT ledger.merkle_verify_consistency(1, 2, sha256('\x'::bytea), sha256('\x'::bytea), ARRAY[NULL::bytea]);
SELECT ledger.merkle_verify_consistency(1, 2, sha256('\x'::bytea), sha256('\x'::bytea), ARRAY['\x00'::bytea]);
-- oversized: more than 2^20 leaves; a 10 MB leaf is fine
SELECT ledger.merkle_inclusion_proof(array_fill('\x'::bytea, ARRAY[1048577]), 0, 1);
SELECT array_length(ledger.merkle_inclusion_proof(ARRAY[decode(repeat('ab', 5000000), 'hex'), '\x01'], 0, 2), 1) AS big_leaf_path;
-- the test hook is not for PUBLIC, and refuses sizes it cannot count
SELECT has_function_privilege('public', 'ledger._history_read_count(int8, int8)', 'EXECUTE') AS hook_public;
SELECT * FROM ledger._history_read_count(0, 0);
SELECT * FROM ledger._history_read_count(5, 5);

DROP FUNCTION rfc_path(bytea[], int);
DROP FUNCTION rfc_subproof(bytea[], int, bool);
