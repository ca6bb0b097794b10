-- RFC 6962 Merkle tree hashing.
-- Reference roots: the Certificate Transparency test vectors (eight leaves
-- "", 00, 10, 2021, 3031, 40414243, 5051525354555657,
-- 606162636465666768696a6b6c6d6e6f and the tree heads of sizes 0..8), from
-- google/certificate-transparency cpp/merkletree/merkle_tree_test.cc, also
-- used by Trillian (merkle/rfc6962) and RFC 9162 implementations.
CREATE EXTENSION IF NOT EXISTS ledger;

WITH leaves(l) AS (
    SELECT ARRAY['\x'::bytea, '\x00', '\x10', '\x2021', '\x3031', '\x40414243',
                 '\x5051525354555657', '\x606162636465666768696a6b6c6d6e6f']
), roots(n, r) AS (VALUES
    (0, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'),
    (1, '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d'),
    (2, 'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'),
    (3, 'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77'),
    (4, 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'),
    (5, '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4'),
    (6, '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef'),
    (7, 'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c'),
    (8, '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'))
SELECT n, encode(ledger.merkle_root(
            CASE WHEN n = 0 THEN '{}'::bytea[] ELSE l[1:n] END), 'hex') = r AS matches_ct
FROM leaves, roots ORDER BY n;

-- a single leaf's root is its leaf hash, SHA-256(0x00 || data)
SELECT ledger.merkle_root(ARRAY['\x616263'::bytea]) = sha256('\x00616263'::bytea) AS one_leaf;
-- two leaves: SHA-256(0x01 || leaf0 || leaf1)
SELECT ledger.merkle_root(ARRAY['\x61'::bytea, '\x62']) =
       sha256('\x01'::bytea || sha256('\x0061'::bytea) || sha256('\x0062'::bytea)) AS two_leaves;
-- order matters
SELECT ledger.merkle_root(ARRAY['\x61'::bytea, '\x62']) <>
       ledger.merkle_root(ARRAY['\x62'::bytea, '\x61']) AS order_matters;
-- a larger tree agrees with a recursive SQL definition of RFC 6962 MTH
CREATE FUNCTION mth(leaves bytea[]) RETURNS bytea LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE n int := coalesce(array_length(leaves, 1), 0); k int := 1;
BEGIN
    IF n = 0 THEN RETURN sha256(''::bytea); END IF;
    IF n = 1 THEN RETURN sha256('\x00'::bytea || leaves[1]); END IF;
    WHILE k * 2 < n LOOP k := k * 2; END LOOP;
    RETURN sha256('\x01'::bytea || mth(leaves[1:k]) || mth(leaves[k+1:n]));
END $$;
SELECT count(*) FILTER (WHERE ledger.merkle_root(a) = mth(a)) AS agree, count(*) AS trees
FROM (SELECT array_agg(int4send(i)) AS a FROM generate_series(1, 70) s,
      LATERAL generate_series(1, s) i GROUP BY s) t;
DROP FUNCTION mth(bytea[]);

-- bad input
SELECT ledger.merkle_root(NULL) IS NULL AS null_in_null_out;
SELECT ledger.merkle_root(ARRAY['\x00'::bytea, NULL]);
SELECT ledger.merkle_root(ARRAY[['\x00'::bytea], ['\x01'::bytea]]);
-- oversized leaf
SELECT length(ledger.merkle_root(ARRAY[decode(repeat('ab', 5000000), 'hex')])) AS big_leaf_root_len;
