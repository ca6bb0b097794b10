-- Canonical row bytes, format version 1 (docs/canonical-format.md).
-- Expected bytes and leaf hashes come from test/canon_vectors.py, an
-- independent encoder written from the spec with Python's standard library.
CREATE EXTENSION IF NOT EXISTS ledger;

CREATE TABLE canon_all (
    b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric,
    t text, vc varchar(10), c char(3), by bytea, d date, ts timestamp,
    tz timestamptz, u uuid, j jsonb, nm name);
INSERT INTO canon_all VALUES (
    true, -2, 100000, 9007199254740993, 1.5, -0.1, 12.340,
    'héllo', 'ab', 'x', '\x00ff', '2000-01-02', '2000-01-01 00:00:01',
    '2000-01-01 00:00:00+01', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    '{"b": 1, "a": [true, null]}', 'nm');

-- vector "all_types"
SELECT encode(ledger.canonical_bytes(r), 'hex') =
  '4c52010011000162010000000101000269320200000002fffe000269340300000004000186a000026938040000000800200000000000010002663405000000043fc00000000266380600000008bfb999999999999a00016e070000000631322e333430000174080000000668c3a96c6c6f00027663090000000261620001630a00000003782020000262790b0000000200ff0001640c0000000400000001000274730d0000000800000000000f42400002747a0e00000008ffffffff296c5c000001750f00000010a0eebc999c0b4ef8bb6d6bb9bd380a1100016a100000001b7b2261223a205b747275652c206e756c6c5d2c202262223a20317d00026e6d11000000026e6d'
  AS all_types_bytes_match,
  encode(ledger.leaf_hash(r), 'hex') =
  '17f06901c4299985009e708eddd42de3b9debdae9b875a3d8dc172a2518d2e6c'
  AS all_types_leaf_match
FROM canon_all r;

-- the leaf is SHA-256(0x00 || bytes), as RFC 6962 says (checked with pgcrypto-free sha256())
SELECT ledger.leaf_hash(r) = sha256('\x00'::bytea || ledger.canonical_bytes(r)) AS leaf_is_rfc6962
FROM canon_all r;

-- session settings do not change the bytes
SET datestyle = 'SQL, DMY';
SET timezone = 'Pacific/Chatham';
SET extra_float_digits = -15;
SET bytea_output = 'escape';
SET intervalstyle = 'sql_standard';
SET lc_monetary = 'C';
SELECT encode(ledger.leaf_hash(r), 'hex') =
  '17f06901c4299985009e708eddd42de3b9debdae9b875a3d8dc172a2518d2e6c'
  AS leaf_unchanged_by_settings
FROM canon_all r;
RESET ALL;

-- vector "with_nulls": NULL is encoded by absence
CREATE TABLE canon_nulls (id int4, memo text, amount numeric);
INSERT INTO canon_nulls VALUES (7, NULL, -0.5);
SELECT encode(ledger.canonical_bytes(x), 'hex') =
  '4c52010002000269640300000004000000070006616d6f756e7407000000042d302e35' AS with_nulls_match,
  encode(ledger.leaf_hash(x), 'hex') =
  'c889660a5608e5a61452dfc685e4453c6fdeb21862debdb573d5e5e78527de6a' AS with_nulls_leaf
FROM canon_nulls x;

-- vector "empty_text": an empty string is present, unlike NULL
CREATE TABLE canon_empty (id int4, memo text);
INSERT INTO canon_empty VALUES (0, ''), (0, NULL);
SELECT memo IS NULL AS memo_null, encode(ledger.canonical_bytes(x), 'hex')
FROM canon_empty x ORDER BY 1;

-- distinct values give distinct bytes: NaN is canonical, -0 is not 0,
-- numeric scale is kept, char padding is kept
CREATE TABLE canon_f (f float8, n numeric);
INSERT INTO canon_f VALUES ('NaN', 1.0), ('-0', 1.00), ('0', 1), ('Infinity', 'NaN'), ('-Infinity', 'Infinity');
SELECT f, n, encode(ledger.canonical_bytes(x), 'hex') FROM canon_f x ORDER BY 3;

-- dropped columns are left out; a domain hashes as its base type
CREATE DOMAIN positive_int AS int4 CHECK (VALUE > 0);
CREATE TABLE canon_drop (a int4, gone text, b positive_int);
ALTER TABLE canon_drop DROP COLUMN gone;
CREATE TABLE canon_nodrop (a int4, b int4);
INSERT INTO canon_drop VALUES (1, 2);
INSERT INTO canon_nodrop VALUES (1, 2);
SELECT ledger.canonical_bytes(d) = ledger.canonical_bytes(n) AS drop_and_domain_transparent
FROM canon_drop d, canon_nodrop n;

-- column names are part of the bytes
CREATE TABLE canon_renamed (a int4, c int4);
INSERT INTO canon_renamed VALUES (1, 2);
SELECT ledger.canonical_bytes(r) <> ledger.canonical_bytes(n) AS names_matter
FROM canon_renamed r, canon_nodrop n;

-- toasted (oversized) values hash by content
CREATE TABLE canon_big (t text);
INSERT INTO canon_big VALUES (repeat('x', 1000000));
SELECT length(ledger.canonical_bytes(b)) AS big_len,
       ledger.leaf_hash(b) = sha256('\x00'::bytea || ledger.canonical_bytes(b)) AS big_leaf_ok
FROM canon_big b;

-- unsupported types are refused with the column named
CREATE TABLE canon_bad (a int4, p point);
INSERT INTO canon_bad VALUES (1, '(1,2)');
SELECT ledger.canonical_bytes(b) FROM canon_bad b;
-- NULL row: STRICT
SELECT ledger.canonical_bytes(NULL::canon_nodrop) IS NULL AS null_row;
SELECT ledger.leaf_hash(NULL::canon_nodrop) IS NULL AS null_row_leaf;
-- anonymous records work too
SELECT encode(ledger.canonical_bytes(ROW(1::int4, 'a'::text)), 'hex');

DROP TABLE canon_all, canon_nulls, canon_empty, canon_f, canon_drop, canon_nodrop,
    canon_renamed, canon_big, canon_bad;
DROP DOMAIN positive_int;
